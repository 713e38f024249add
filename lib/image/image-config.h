/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* An OCI image config (the image-spec's config JSON) and how it becomes the process of an OCI
 * runtime config. The blob is hostile until proven otherwise (it names paths that become mounts,
 * and a user that is looked up in files of the image): see image-config.c for the rules, and rows
 * 12 and 16 of the CVE catalogue. */

/* Bigger blobs are refused before parsing. */
#define IMAGE_CONFIG_MAX_SIZE (UINT64_C(8) << 20)
/* /etc/passwd and /etc/group of an image are read up to this size; bigger is an error. */
#define IMAGE_USER_DB_MAX (UINT64_C(1) << 20)

typedef struct ImageConfig ImageConfig;

typedef struct ImageOverrides {
        /* NULL: the image's Entrypoint. Non-NULL (may be an empty strv): replaces it, and the
         * image's Cmd is dropped too (docker's --entrypoint). */
        char **entrypoint;
        /* NULL: the image's Cmd (unless entrypoint is overridden); else the arguments. */
        char **cmd;
        /* NULL: the image's User ("" or absent in the image: root). Else as the image's: "name",
         * "uid", "name:group", "uid:gid", "uid:group", "name:gid". */
        const char *user;
        /* NULL: the image's WorkingDir, else "/". Non-NULL: must be absolute. */
        const char *cwd;
        /* KEY=VALUE over the image's Env: the same KEY is replaced where it stands, new keys are
         * appended. */
        char **env;
} ImageOverrides;

ImageConfig *image_config_free(ImageConfig *ic);
static inline void image_config_freep(ImageConfig **ic)
{
        image_config_free(*ic);
}
#define _cleanup_image_config_ _cleanup_(image_config_freep)

/* Parse and validate a config blob. It must be a JSON object (UTF-8, no duplicate keys, at most
 * IMAGE_CONFIG_MAX_SIZE bytes); a field of the wrong type or form is an error naming its JSON path
 * ("config.Env[2]: expected a string"). Validated here, so that an import refuses the image:
 * Volumes (absolute, no ".." component, not "/", not at or below /proc or /sys), WorkingDir
 * (absolute; cleaned lexically), Env (KEY=VALUE), ExposedPorts (PORT[/tcp|udp|sctp]), StopSignal,
 * Labels (strings), rootfs (type "layers", diff_ids sha256 digests). Fields the image spec
 * reserves or deprecates are ignored. */
int image_config_parse(const char *data, size_t size, ImageConfig **ret, char **err);

/* Fill process.args, env, cwd and user (uid, gid, additionalGids; umask is kept) of the runtime
 * config `oci` (a JSON object as definition.c builds it; "process" is created if missing). env is
 * replaced by: the image's Env, then o->env, with PATH set to docker's default when neither gives
 * one. rootfs_fd: an O_PATH (or O_RDONLY) directory fd of the container's root, where names are
 * looked up in /etc/passwd and /etc/group. o may be NULL. Errors: no command at all ("image has no
 * Entrypoint or Cmd and none was given"), a relative cwd, a user or group not found, a hostile or
 * oversized /etc/passwd or /etc/group. `oci` is only modified on success. */
int image_config_apply(const ImageConfig *ic, const ImageOverrides *o, int rootfs_fd, json_t *oci,
                       char **err);

/* The image's Volumes: clean absolute container paths, sorted, without duplicates (a copy; the
 * paths were checked by image_config_parse()). An image without volumes gives an empty strv. */
int image_config_volumes(const ImageConfig *ic, char ***ret, char **err);

typedef struct ImageCopyLimits {
        uint64_t max_bytes; /* file contents; 0 = IMAGE_VOLUME_DEFAULT_MAX_BYTES */
        uint64_t max_entries; /* 0 = IMAGE_VOLUME_DEFAULT_MAX_ENTRIES */
} ImageCopyLimits;

#define IMAGE_VOLUME_DEFAULT_MAX_BYTES (UINT64_C(4) << 30)
#define IMAGE_VOLUME_DEFAULT_MAX_ENTRIES UINT64_C(1000000)
#define IMAGE_VOLUME_MAX_DEPTH 128

/* Fill the anonymous volume for `path` (one of image_config_volumes()) in vol_dir_fd, an empty
 * directory the caller made in the container's storage (O_PATH is fine). What the image has at
 * `path` is resolved INSIDE rootfs_fd (RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS: a symlink /vol ->
 * /etc reaches the image's /etc, never the host's) and copied up with modes, owners and times;
 * nothing below it is followed (symlinks are copied as symlinks, device nodes and sockets are
 * skipped, hard links become separate files). Nothing at `path` leaves the volume empty; a
 * non-directory there is an error. vol_dir_fd takes the mode and owner of the image's directory.
 * On failure the volume holds a partial copy: the caller removes it. limits may be NULL. The caller
 * then bind-mounts the volume directory onto `path`. */
int image_volume_copy_up(int rootfs_fd, const char *path, int vol_dir_fd, const ImageCopyLimits *limits,
                         char **err);

/* Accessors; the pointers live as long as ic. */
char **image_config_exposed_ports(const ImageConfig *ic); /* "80/tcp", sorted, unique; never NULL */
int image_config_stop_signal(const ImageConfig *ic); /* 0: the image sets none */
json_t *image_config_labels(const ImageConfig *ic); /* object of strings, or NULL */
char **image_config_diff_ids(const ImageConfig *ic); /* rootfs.diff_ids; never NULL */
const char *image_config_architecture(const ImageConfig *ic); /* NULL if absent */
const char *image_config_os(const ImageConfig *ic); /* NULL if absent */
json_t *image_config_json(const ImageConfig *ic); /* the whole parsed document */
