/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "oci-config.h"

struct Cgroup;

/* Container-side filesystem setup, run in the container's new mount namespace before
 * pivot_root. Every path inside the rootfs is resolved with openat2(RESOLVE_IN_ROOT) against
 * rootfs_fd, and every mount lands on an fd, so a symlink planted in the rootfs can never
 * redirect a mount or a file creation to the host. */

typedef struct RootfsContext {
        const OciConfig *config;
        const char *rootfs; /* absolute host path of the rootfs */
        int rootfs_fd; /* O_PATH of rootfs, reopened after it is bind-mounted */
        bool userns; /* mknod is not allowed: bind device nodes from the host */
        struct Cgroup *cgroup; /* for "cgroup" mounts */
        int dev_null_fd; /* O_PATH of the host's /dev/null, verified 1:3 */
} RootfsContext;

/* Open path (absolute, as seen in the container) inside the rootfs, creating missing
 * directories; if create_file, the last component is created as an empty file when missing. */
int rootfs_open_in_root(int rootfs_fd, const char *path, bool mkdirs, bool create_file, int *ret_fd);
/* The same with extra RESOLVE_* flags (e.g. RESOLVE_NO_SYMLINKS) for the whole walk. */
int rootfs_open_in_root_flags(int rootfs_fd, const char *path, bool mkdirs, bool create_file, uint64_t extra,
                              int *ret_fd);

int rootfs_prepare(RootfsContext *ctx); /* propagation, bind rootfs onto itself */
int rootfs_mount_all(RootfsContext *ctx); /* mounts[] in order */
int rootfs_setup_dev(RootfsContext *ctx); /* default devices, linux.devices, /dev symlinks */
int rootfs_pivot(RootfsContext *ctx, bool no_pivot);
/* After pivot: maskedPaths, readonlyPaths, readonly root. */
int rootfs_finalize(RootfsContext *ctx);
/* A short description of the step that failed last, for the error message. */
const char *rootfs_last_step(void);
