/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "layer.h"
#include "store.h"

/* `ctrctl image import FILE|DIR [NAME[:TAG]]`. What the input is, is found out from its content:
 *  - a directory with an oci-layout file: an OCI image layout (skopeo oci:, umoci);
 *  - a tar whose first entries are an image archive's (oci-layout, index.json, blobs/,
 *    manifest.json, repositories, a docker layer directory): an OCI archive (skopeo
 *    oci-archive:, docker 25+ save) or a docker-archive (docker save);
 *  - any other tar, plain or gzip/zstd/xz/bzip2-compressed: a root filesystem (docker export),
 *    imported as a one-layer image.
 * Every blob is checked against its digest and size before it is used, layers against their
 * diff IDs; nothing becomes visible before the whole image is in place. */

typedef enum ImportKind {
        IMPORT_AUTO,
        IMPORT_ROOTFS,
        IMPORT_DOCKER_ARCHIVE,
        IMPORT_OCI_ARCHIVE,
        IMPORT_OCI_LAYOUT,
} ImportKind;

typedef struct ImportOptions {
        const char *name; /* NAME[:TAG] for the imported image, or NULL: the archive's own names */
        ImportKind kind;
        LayerLimits limits;
} ImportOptions;

typedef struct ImportResult {
        char **refs; /* the names now pointing at the imported images */
        char **manifest_digests; /* one per image */
        unsigned layers_unpacked, layers_reused;
} ImportResult;

void import_result_done(ImportResult *r);
const char *import_kind_to_string(ImportKind k);

int image_import(Store *s, const char *path, const ImportOptions *o, ImportResult *ret, char **err);
