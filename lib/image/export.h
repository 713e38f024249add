/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "store.h"

/* `ctrctl image export NAME FILE`: an image of the store written as one tar stream.
 *
 *  - docker-archive: what `docker save` wrote before docker 25 and `docker load` and skopeo's
 *    docker-archive: read: manifest.json ([{"Config","RepoTags","Layers"}]), the config as
 *    <config hex>.json, each layer UNCOMPRESSED as <diff ID hex>/layer.tar (with a VERSION file
 *    beside it), and `repositories` when a name is given. Compressed store blobs are decompressed
 *    (gzip, zstd, xz, bzip2) into an unnamed temporary file first, because a tar header states the
 *    size before the data; only one layer at a time is ever there, never in memory.
 *  - oci-archive: a tar of an OCI image layout (oci-layout, index.json with one manifest,
 *    blobs/sha256/...), the blobs copied byte for byte so every digest stays what it was; what
 *    skopeo's oci-archive: and docker 25+'s load read.
 *
 * Every blob is checked against its digest as it is copied (and decompressed layers against their
 * diff IDs): a corrupt store fails the export with an error naming the blob. The output is
 * reproducible: the same image and ref give the same bytes (fixed mtime, owner root:root, modes
 * 0644/0755, a fixed entry order).
 *
 * Only out_fd is written; on failure it holds a partial tar. Removing that is the caller's job:
 * the CLI writes FILE.tmp and renames it over FILE on success (and unlinks it on failure). The
 * caller holds the store's shared lock (store_lock(s, LOCK_SH)) so that no garbage collection
 * removes a blob while it is read. */

typedef enum ExportFormat {
        EXPORT_DOCKER_ARCHIVE,
        EXPORT_OCI_ARCHIVE,
} ExportFormat;

/* "docker-archive" (or "docker"), "oci-archive" (or "oci"); -EINVAL for anything else. */
int export_format_from_string(const char *s, ExportFormat *ret);
const char *export_format_to_string(ExportFormat f);

/* Write img (found in s) to out_fd. ref: the name to record (RepoTags and `repositories` of a
 * docker-archive, where a missing tag becomes ":latest" and an invalid name is an error; the
 * org.opencontainers.image.ref.name annotation of an oci-archive, written as given), or NULL for
 * none. */
int image_export(Store *s, const Image *img, const char *ref, ExportFormat format, int out_fd, char **err);
