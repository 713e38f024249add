/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "digest.h"

/* The image store: an OCI image layout (oci-layout, index.json, blobs/sha256/…) under
 * /var/lib/ctr (CTR_STORAGE_DIR moves it), so skopeo and umoci read and write it too, plus what is
 * ours beside it:
 *
 *   layers/ID/diff        a layer unpacked once per chain ID (ID: the first 16 hex digits of the
 *   layers/ID/chain       chain ID, short enough for 170 layers in overlayfs's one-page options,
 *                         long enough that no one can make a colliding layer), and the full
 *                         chain ID it holds
 *   containers/NAME/      a container's upper and work dirs, its anonymous volumes, and the
 *                         layers it uses (kept from garbage collection while it exists)
 *   tmp/XXXXXX/           work in progress of one process, locked by it; anything unlocked
 *                         here is garbage from an interrupted run and goes on the next write
 *   lock                  flock, exclusive while index.json is rewritten
 *   gc.lock               flock: shared while a process relies on blobs and layers staying (an
 *                         import, a container being set up, an export), exclusive to delete
 *                         any (image rm, prune); always taken before 'lock'
 *
 * Imports stage everything in tmp/ without the lock, then commit under the exclusive lock with
 * renames and one atomic index.json write: an interrupted import leaves no image visible. */

#define STORE_DEFAULT_DIR "/var/lib/ctr"
#define STORE_LAYER_ID_LEN 16
#define REF_NAME_ANNOTATION "org.opencontainers.image.ref.name"

#define MEDIA_TYPE_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MEDIA_TYPE_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_TYPE_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MEDIA_TYPE_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_TYPE_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_TYPE_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MEDIA_TYPE_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_TYPE_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_TYPE_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MEDIA_TYPE_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define MEDIA_TYPE_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

typedef struct Store {
        char *path;
        int dir_fd;
        int lock_fd;
        int gc_lock_fd;
} Store;

typedef struct ImageLayer {
        char digest[DIGEST_MAX]; /* blob */
        char diff_id[DIGEST_MAX];
        char chain_id[DIGEST_MAX];
        char *media_type;
        uint64_t size; /* blob size */
} ImageLayer;

typedef struct Image {
        char **refs; /* every name the index gives this manifest */
        char manifest_digest[DIGEST_MAX];
        uint64_t manifest_size;
        char config_digest[DIGEST_MAX];
        json_t *manifest;
        json_t *config;
        char *config_data; /* the config blob's bytes */
        size_t config_size;
        ImageLayer *layers;
        size_t n_layers;
} Image;

Image *image_free(Image *i);
static inline void image_freep(Image **i)
{
        image_free(*i);
}
#define _cleanup_image_ __attribute__((cleanup(image_freep)))

/* path NULL: $CTR_STORAGE_DIR, else /var/lib/ctr. create: make the layout if missing. */
int store_open(const char *path, bool create, Store **ret, char **err);
Store *store_close(Store *s);
static inline void store_closep(Store **s)
{
        store_close(*s);
}
#define _cleanup_store_ __attribute__((cleanup(store_closep)))

int store_lock(Store *s, int mode /* LOCK_SH, LOCK_EX, LOCK_UN */);
/* gc.lock (see above); take it before store_lock(). */
int store_lock_gc(Store *s, int mode);

/* "busybox" → "busybox:latest"; validates the name the way image references are written
 * (lower-case path components, optional registry host[:port]/, tag [A-Za-z0-9_][A-Za-z0-9_.-]*). */
int ref_normalize(const char *ref, char **ret, char **err);

/* An image by name[:tag], by manifest digest (sha256:…), or by a prefix of at least 6 hex digits
 * of its ID (the config digest, as docker shows it) or manifest digest. -ENOENT if none. */
int store_find_image(Store *s, const char *what, Image **ret, char **err);
/* Every image in index.json (one per manifest, with all its refs). */
int store_list_images(Store *s, Image ***ret, size_t *ret_n, char **err);
void image_list_free(Image **l, size_t n);

/* Blobs: opened read-only after checking the digest's form; the content was verified when it
 * was committed. */
int store_open_blob(Store *s, const char *digest, int *ret_fd, char **err);
int store_read_blob(Store *s, const char *digest, size_t max, char **ret, size_t *ret_size, char **err);
bool store_has_blob(Store *s, const char *digest);
/* The size of a blob of the store, or -errno. */
int64_t store_blob_size(Store *s, const char *digest);

/* Chain IDs per the image spec: ChainID(L0) = DiffID(L0), ChainID(Ln) = sha256(ChainID(Ln-1) + " " +
 * DiffID(Ln)). */
int chain_id_next(const char *parent_chain, const char *diff_id, char out[static DIGEST_MAX]);
/* "layers/ID": the short id of a chain id, and whether the unpacked layer exists. */
void layer_dir_name(const char *chain_id, char out[static STORE_LAYER_ID_LEN + 1]);
bool store_has_layer(Store *s, const char *chain_id);

/* A private work dir in tmp/, locked while the returned fd is open; *ret_name is its name under
 * tmp/. Garbage of dead runs is removed first. */
int store_tmp_dir(Store *s, int *ret_fd, char **ret_name, char **err);
void store_clean_tmp(Store *s);

/* index.json edits (the caller holds LOCK_EX). */
int store_index_load(Store *s, json_t **ret, char **err);
int store_index_save(Store *s, json_t *index, char **err);
/* Point ref at a manifest (replacing what it named before). */
int store_index_tag(json_t *index, const char *ref, const char *manifest_digest, uint64_t manifest_size);

/* Remove refs; the blobs and layers nothing references any more go too. */
int store_remove_image(Store *s, const char *what, char ***ret_removed_refs, char **err);
/* Garbage collection: blobs, layers, tmp garbage not referenced by index.json or a container.
 * The caller holds gc.lock and lock exclusively (store_remove_image() too). */
typedef struct GcStats {
        uint64_t blobs, layers, bytes;
} GcStats;
int store_gc(Store *s, GcStats *ret, char **err);

/* Commit staged content (LOCK_EX held): a blob file in a tmp dir moved to blobs/sha256/ (dropped
 * if the blob is there already), an unpacked layer dir moved to layers/ID. */
int store_commit_blob(Store *s, int tmp_fd, const char *tmp_name, const char *digest, char **err);
int store_commit_layer(Store *s, int tmp_fd, const char *tmp_name, const char *chain_id, char **err);

/* Containers from images: make containers/NAME (upper, work, the layer list), and mount the
 * image's layers as an overlay on containers/NAME/rootfs in a private mount namespace this
 * process enters first (so the mount is never seen on the host and goes away with the
 * container). readonly: no upper dir. Returns the rootfs path. */
int store_container_create(Store *s, const Image *img, const char *name, bool readonly, char **ret_rootfs,
                           char **err);
int store_container_remove(Store *s, const char *name, char **err);
/* containers/NAME/volumes/N for the image's anonymous volumes: a fresh empty dir. */
int store_container_volume_dir(Store *s, const char *name, size_t n, int *ret_fd, char **ret_path,
                               char **err);
