/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "digest.h"

/* Unpacking one layer (a tar stream, plain or compressed) into a directory that overlayfs will use
 * as a lower layer. The tar is hostile until proven otherwise: every entry is resolved inside the
 * target with openat2(RESOLVE_IN_ROOT), nothing is created through a symlink, hard links stay
 * inside, and whiteouts become overlayfs's own form. See layer.c for the rules. */

typedef struct LayerLimits {
        uint64_t max_bytes; /* uncompressed tar bytes; 0 = LAYER_DEFAULT_MAX_BYTES */
        uint64_t max_entries; /* 0 = LAYER_DEFAULT_MAX_ENTRIES */
} LayerLimits;

#define LAYER_DEFAULT_MAX_BYTES (UINT64_C(64) << 30)
#define LAYER_DEFAULT_MAX_ENTRIES UINT64_C(10000000)

typedef struct LayerResult {
        char digest[DIGEST_MAX]; /* of the bytes read (compressed or not): the blob digest */
        char diff_id[DIGEST_MAX]; /* of the uncompressed tar stream */
        uint64_t size; /* bytes read */
        uint64_t uncompressed_size;
        uint64_t entries;
        uint64_t xattrs_dropped; /* xattrs not applied (not user.* or security.capability, or unsupported) */
        const char *compression; /* "gzip", "zstd", "xz", "bzip2" or NULL (none); static string */
} LayerResult;

/* Read the tar stream from in_fd (from its current offset to EOF) and unpack it into dir_fd,
 * which should be an empty directory. When tee_fd >= 0, every byte read from in_fd is also
 * written to tee_fd (so an import stores the blob and unpacks it in one pass). On failure the
 * directory holds a partial tree; the caller removes it. Errors name the entry:
 * "entry 'etc/../../x': path leaves the layer". */
int layer_unpack(int in_fd, int dir_fd, int tee_fd, const LayerLimits *limits, LayerResult *ret, char **err);

/* Only the digests and sizes of a tar stream, without unpacking (verifying a blob). */
int layer_digest(int in_fd, const LayerLimits *limits, LayerResult *ret, char **err);
