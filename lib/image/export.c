/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "export.h"
#include "json-util.h"
#include "util.h"

#define COPY_BUF_SIZE (128u * 1024)
#define MANIFEST_MAX (4u << 20)
/* Every entry's mtime, so that two exports of one image are the same bytes. */
#define EXPORT_MTIME 0

typedef struct Exporter {
        Store *store;
        struct archive *tar;
        char *buf; /* COPY_BUF_SIZE */
        char **written; /* entry names written: a blob or layer an image uses twice goes in once */
        int out_fd;
        bool failed; /* nothing more goes out, the end-of-archive blocks least of all */
} Exporter;

int export_format_from_string(const char *s, ExportFormat *ret)
{
        if (!s)
                return -EINVAL;
        if (streq(s, "docker-archive") || streq(s, "docker"))
                *ret = EXPORT_DOCKER_ARCHIVE;
        else if (streq(s, "oci-archive") || streq(s, "oci"))
                *ret = EXPORT_OCI_ARCHIVE;
        else
                return -EINVAL;
        return 0;
}

const char *export_format_to_string(ExportFormat f)
{
        switch (f) {
        case EXPORT_DOCKER_ARCHIVE:
                return "docker-archive";
        case EXPORT_OCI_ARCHIVE:
                return "oci-archive";
        }
        return NULL;
}

static void archive_read_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}

static bool was_written(Exporter *e, const char *name)
{
        STRV_FOREACH (w, e->written)
                if (streq(*w, name))
                        return true;
        return false;
}

static la_ssize_t tar_out(struct archive *a, void *userdata, const void *buf, size_t n)
{
        Exporter *e = userdata;
        if (e->failed) {
                archive_set_error(a, ECANCELED, "the export failed");
                return -1;
        }
        int r = loop_write(e->out_fd, buf, n);
        if (r < 0) {
                archive_set_error(a, -r, "%s", strerror(-r));
                return -1;
        }
        return (la_ssize_t)n;
}

static int tar_error(Exporter *e, const char *name, char **err)
{
        int r = archive_errno(e->tar);
        return set_error(err, r > 0 ? -r : -EIO, "cannot write '%s' to the archive: %s", name,
                         strempty(archive_error_string(e->tar)));
}

static int tar_add_header(Exporter *e, const char *name, mode_t type, int64_t size, char **err)
{
        struct archive_entry *ae = archive_entry_new();
        if (!ae)
                return -ENOMEM;
        archive_entry_set_pathname(ae, name);
        archive_entry_set_filetype(ae, type);
        archive_entry_set_perm(ae, type == AE_IFDIR ? 0755 : 0644);
        archive_entry_set_size(ae, type == AE_IFDIR ? 0 : size);
        archive_entry_set_mtime(ae, EXPORT_MTIME, 0);
        archive_entry_set_uid(ae, 0);
        archive_entry_set_gid(ae, 0);
        archive_entry_set_uname(ae, "root");
        archive_entry_set_gname(ae, "root");
        int r = archive_write_header(e->tar, ae);
        archive_entry_free(ae);
        if (r != ARCHIVE_OK)
                return tar_error(e, name, err);
        return strv_extend(&e->written, name);
}

static int tar_write(Exporter *e, const char *name, const void *p, size_t n, char **err)
{
        if (n == 0)
                return 0;
        la_ssize_t k = archive_write_data(e->tar, p, n);
        if (k < 0 || (size_t)k != n)
                return tar_error(e, name, err);
        return 0;
}

static int tar_add_dir(Exporter *e, const char *name, char **err)
{
        return tar_add_header(e, name, AE_IFDIR, 0, err);
}

static int tar_add_data(Exporter *e, const char *name, const void *data, size_t n, char **err)
{
        int r = tar_add_header(e, name, AE_IFREG, (int64_t)n, err);
        if (r < 0)
                return r;
        return tar_write(e, name, data, n, err);
}

/* Takes the reference j. */
static int tar_add_json(Exporter *e, const char *name, json_t *j_owned, char **err)
{
        _cleanup_json_ json_t *j = j_owned;
        if (!j)
                return -ENOMEM;
        _cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
        if (!s)
                return -ENOMEM;
        return tar_add_data(e, name, s, strlen(s), err);
}

/* size bytes from fd's offset as the entry name; d, when given, hashes them. what names the source
 * in errors. */
static int tar_add_fd(Exporter *e, const char *name, int fd, uint64_t size, Digest *d, const char *what,
                      char **err)
{
        int r = tar_add_header(e, name, AE_IFREG, (int64_t)size, err);
        if (r < 0)
                return r;
        for (uint64_t left = size; left > 0;) {
                ssize_t n = read(fd, e->buf, left < COPY_BUF_SIZE ? left : COPY_BUF_SIZE);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return set_error(err, -errno, "cannot read %s: %m", what);
                if (n == 0)
                        return set_error(err, -EBADMSG,
                                         "%s ended %" PRIu64 " bytes early (changed while exported?)", what,
                                         left);
                if (d)
                        digest_update(d, e->buf, n);
                r = tar_write(e, name, e->buf, n, err);
                if (r < 0)
                        return r;
                left -= n;
        }
        return 0;
}

static int check_buffer_digest(const char *what, const char *digest, const void *p, size_t n, char **err)
{
        char got[DIGEST_MAX];
        int r = digest_buffer(p, n, got);
        if (r < 0)
                return r;
        if (!streq(got, digest))
                return set_error(err, -EBADMSG, "%s %s is corrupt (its content hashes to %s)", what, digest,
                                 got);
        return 0;
}

/* A store blob as blobs/sha256/HEX, byte for byte, checked while it is copied. */
static int export_blob(Exporter *e, const char *digest, uint64_t expected_size, char **err)
{
        char name[128];
        snprintf(name, sizeof(name), "blobs/sha256/%s", digest_hex(digest));
        if (was_written(e, name))
                return 0;

        _cleanup_close_ int fd = -EBADF;
        int r = store_open_blob(e->store, digest, &fd, err);
        if (r < 0)
                return r;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return set_error(err, -errno, "blob %s: %m", digest);
        if (!S_ISREG(st.st_mode))
                return set_error(err, -EBADMSG, "blob %s is not a regular file", digest);
        if (expected_size > 0 && (uint64_t)st.st_size != expected_size)
                return set_error(err, -EBADMSG,
                                 "blob %s is corrupt (%jd bytes, its descriptor says %" PRIu64 ")", digest,
                                 (intmax_t)st.st_size, expected_size);

        _cleanup_digest_ Digest *d = digest_new();
        if (!d)
                return -ENOMEM;
        char what[DIGEST_MAX + 8];
        snprintf(what, sizeof(what), "blob %s", digest);
        r = tar_add_fd(e, name, fd, st.st_size, d, what, err);
        if (r < 0)
                return r;
        char got[DIGEST_MAX];
        digest_final(d, got);
        if (!streq(got, digest))
                return set_error(err, -EBADMSG, "blob %s is corrupt (its content hashes to %s)", digest,
                                 got);
        return 0;
}

/* An unnamed file for one decompressed layer: in the store's tmp/ (the same file system as the
 * blobs, so there is room), else in $TMPDIR or /var/tmp. memfd only when none of them takes
 * O_TMPFILE, as it lives in memory. */
static int layer_tmp_file(Store *s)
{
        int fd = openat(s->dir_fd, "tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0)
                return fd;
        const char *t = secure_getenv("TMPDIR");
        fd = open(t && *t ? t : "/var/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0)
                return fd;
        fd = memfd_create("ctr-export-layer", MFD_CLOEXEC);
        return fd >= 0 ? fd : -errno;
}

typedef struct BlobReader {
        int fd;
        Digest *digest;
        char *buf;
} BlobReader;

/* libarchive reads the compressed blob through this, so the blob digest is computed in the same
 * pass as the diff ID. */
static la_ssize_t blob_read(struct archive *a, void *userdata, const void **ret)
{
        BlobReader *br = userdata;
        ssize_t n;
        do
                n = read(br->fd, br->buf, COPY_BUF_SIZE);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                archive_set_error(a, errno, "%s", strerror(errno));
                return -1;
        }
        digest_update(br->digest, br->buf, n);
        *ret = br->buf;
        return n;
}

/* Decompress a layer blob into a temporary file, checking the blob against its digest and the
 * tar against its diff ID before any of it goes into the archive. */
static int layer_decompress(Exporter *e, const ImageLayer *l, int *ret_fd, uint64_t *ret_size, char **err)
{
        _cleanup_close_ int blob_fd = -EBADF, tmp_fd = -EBADF;
        int r = store_open_blob(e->store, l->digest, &blob_fd, err);
        if (r < 0)
                return r;
        tmp_fd = layer_tmp_file(e->store);
        if (tmp_fd < 0)
                return set_error(err, tmp_fd, "cannot make a temporary file to decompress layer %s: %s",
                                 l->diff_id, strerror(-tmp_fd));

        _cleanup_digest_ Digest *blob_digest = digest_new(), *tar_digest = digest_new();
        _cleanup_free_ char *rbuf = malloc(COPY_BUF_SIZE);
        _cleanup_(archive_read_freep) struct archive *a = archive_read_new();
        if (!blob_digest || !tar_digest || !rbuf || !a)
                return -ENOMEM;
        /* what an import accepts (layer.h); each is built into libarchive, no external program */
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_zstd(a);
        archive_read_support_filter_xz(a);
        archive_read_support_filter_bzip2(a);
        archive_read_support_format_raw(a);
        BlobReader br = {.fd = blob_fd, .digest = blob_digest, .buf = rbuf};
        if (archive_read_open(a, &br, NULL, blob_read, NULL) != ARCHIVE_OK)
                goto fail_archive;
        struct archive_entry *ae;
        r = archive_read_next_header(a, &ae);
        if (r != ARCHIVE_OK && r != ARCHIVE_EOF) /* EOF: an empty stream */
                goto fail_archive;
        uint64_t size = 0;
        while (r == ARCHIVE_OK) {
                la_ssize_t n = archive_read_data(a, e->buf, COPY_BUF_SIZE);
                if (n < 0)
                        goto fail_archive;
                if (n == 0)
                        break;
                digest_update(tar_digest, e->buf, n);
                int k = loop_write(tmp_fd, e->buf, n);
                if (k < 0)
                        return set_error(err, k,
                                         "cannot write the decompressed layer %s to a temporary file: %s",
                                         l->diff_id, strerror(-k));
                size += n;
        }
        /* the compressed stream may end before the file does: the digest covers all of it */
        for (;;) {
                ssize_t n = read(blob_fd, rbuf, COPY_BUF_SIZE);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return set_error(err, -errno, "cannot read blob %s: %m", l->digest);
                if (n == 0)
                        break;
                digest_update(blob_digest, rbuf, n);
        }

        char got[DIGEST_MAX];
        digest_final(blob_digest, got);
        if (!streq(got, l->digest))
                return set_error(err, -EBADMSG, "blob %s is corrupt (its content hashes to %s)", l->digest,
                                 got);
        digest_final(tar_digest, got);
        if (!streq(got, l->diff_id))
                return set_error(
                        err, -EBADMSG,
                        "layer blob %s decompresses to content hashing to %s, not to its diff ID %s",
                        l->digest, got, l->diff_id);
        if (lseek(tmp_fd, 0, SEEK_SET) < 0)
                return set_error(err, -errno, "cannot rewind a temporary file: %m");
        *ret_fd = TAKE_FD(tmp_fd);
        *ret_size = size;
        return 0;

fail_archive:
        return set_error(err, -EBADMSG, "blob %s: cannot decompress: %s", l->digest,
                         strempty(archive_error_string(a)));
}

/* One layer as HEX/layer.tar of a docker-archive, HEX being its diff ID's. */
static int export_docker_layer(Exporter *e, const ImageLayer *l, char **err)
{
        const char *hex = digest_hex(l->diff_id);
        char dir[DIGEST_HEX_LEN + 2], name[DIGEST_HEX_LEN + 16], what[2 * DIGEST_MAX + 32];
        snprintf(dir, sizeof(dir), "%s/", hex);
        if (was_written(e, dir))
                return 0;
        int r = tar_add_dir(e, dir, err);
        if (r < 0)
                return r;
        /* docker save's layer directory; only pre-1.10 docker, which also wanted a "json" here,
         * read it: kept for tools that recognise the format by it */
        snprintf(name, sizeof(name), "%s/VERSION", hex);
        r = tar_add_data(e, name, "1.0", 3, err);
        if (r < 0)
                return r;

        snprintf(name, sizeof(name), "%s/layer.tar", hex);
        _cleanup_close_ int fd = -EBADF;
        uint64_t size = 0;
        if (streq(l->digest, l->diff_id)) {
                /* the blob is the tar itself: copy it straight, checked as it goes */
                r = store_open_blob(e->store, l->digest, &fd, err);
                if (r < 0)
                        return r;
                struct stat st;
                if (fstat(fd, &st) < 0)
                        return set_error(err, -errno, "blob %s: %m", l->digest);
                _cleanup_digest_ Digest *d = digest_new();
                if (!d)
                        return -ENOMEM;
                snprintf(what, sizeof(what), "blob %s", l->digest);
                r = tar_add_fd(e, name, fd, st.st_size, d, what, err);
                if (r < 0)
                        return r;
                char got[DIGEST_MAX];
                digest_final(d, got);
                if (!streq(got, l->digest))
                        return set_error(err, -EBADMSG, "blob %s is corrupt (its content hashes to %s)",
                                         l->digest, got);
                return 0;
        }
        r = layer_decompress(e, l, &fd, &size, err);
        if (r < 0)
                return r;
        snprintf(what, sizeof(what), "the decompressed layer %s", l->diff_id);
        return tar_add_fd(e, name, fd, size, NULL, what, err);
}

static int export_docker_archive(Exporter *e, const Image *img, const char *ref, char **err)
{
        _cleanup_free_ char *name = NULL;
        if (ref && *ref) {
                /* docker load wants NAME:TAG here */
                int r = ref_normalize(ref, &name, err);
                if (r < 0)
                        return r;
        }
        int r = check_buffer_digest("image config", img->config_digest, img->config_data, img->config_size,
                                    err);
        if (r < 0)
                return r;

        char config_name[DIGEST_HEX_LEN + 8];
        snprintf(config_name, sizeof(config_name), "%s.json", digest_hex(img->config_digest));
        _cleanup_json_ json_t *layers = json_array(), *tags = json_array();
        if (!layers || !tags || (name && json_array_append_new(tags, json_string(name)) < 0))
                return -ENOMEM;
        for (size_t i = 0; i < img->n_layers; i++) {
                char path[DIGEST_HEX_LEN + 16];
                snprintf(path, sizeof(path), "%s/layer.tar", digest_hex(img->layers[i].diff_id));
                if (json_array_append_new(layers, json_string(path)) < 0)
                        return -ENOMEM;
        }

        /* the small files first, so that a reader of the stream knows what comes before it comes */
        r = tar_add_json(
                e, "manifest.json",
                json_pack("[{s:s,s:O,s:O}]", "Config", config_name, "RepoTags", tags, "Layers", layers),
                err);
        if (r < 0)
                return r;
        if (name && img->n_layers > 0) {
                /* pre-1.10 docker's tags: {"REPO":{"TAG":"TOP LAYER ID"}} */
                char *colon = strrchr(name, ':'); /* ref_normalize() always gives a tag */
                *colon = 0;
                r = tar_add_json(e, "repositories",
                                 json_pack("{s:{s:s}}", name, colon + 1,
                                           digest_hex(img->layers[img->n_layers - 1].diff_id)),
                                 err);
                *colon = ':';
                if (r < 0)
                        return r;
        }
        r = tar_add_data(e, config_name, img->config_data, img->config_size, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < img->n_layers; i++) {
                r = export_docker_layer(e, img->layers + i, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int export_oci_archive(Exporter *e, const Image *img, const char *ref, char **err)
{
        _cleanup_free_ char *manifest = NULL;
        size_t manifest_size;
        int r = store_read_blob(e->store, img->manifest_digest, MANIFEST_MAX, &manifest, &manifest_size,
                                err);
        if (r < 0)
                return r;
        r = check_buffer_digest("image config", img->config_digest, img->config_data, img->config_size, err);
        if (r < 0)
                return r;

        const char *mt =
                json_string_value(json_object_get(img->manifest, "mediaType")) ?: MEDIA_TYPE_OCI_MANIFEST;
        _cleanup_json_ json_t *desc = json_pack("{s:s,s:s,s:I}", "mediaType", mt, "digest",
                                                img->manifest_digest, "size", (json_int_t)manifest_size);
        if (!desc)
                return -ENOMEM;
        if (ref && *ref &&
            json_object_set_new(desc, "annotations", json_pack("{s:s}", REF_NAME_ANNOTATION, ref)) < 0)
                return -ENOMEM;

        static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
        r = tar_add_data(e, "oci-layout", layout, sizeof(layout) - 1, err);
        if (r < 0)
                return r;
        r = tar_add_json(e, "index.json",
                         json_pack("{s:i,s:s,s:[O]}", "schemaVersion", 2, "mediaType", MEDIA_TYPE_OCI_INDEX,
                                   "manifests", desc),
                         err);
        if (r < 0)
                return r;
        r = tar_add_dir(e, "blobs/", err);
        if (r >= 0)
                r = tar_add_dir(e, "blobs/sha256/", err);
        if (r < 0)
                return r;

        char name[128];
        snprintf(name, sizeof(name), "blobs/sha256/%s", digest_hex(img->manifest_digest));
        r = tar_add_data(e, name, manifest, manifest_size, err);
        if (r < 0)
                return r;
        snprintf(name, sizeof(name), "blobs/sha256/%s", digest_hex(img->config_digest));
        if (!was_written(e, name)) {
                r = tar_add_data(e, name, img->config_data, img->config_size, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < img->n_layers; i++) {
                r = export_blob(e, img->layers[i].digest, img->layers[i].size, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int image_export(Store *s, const Image *img, const char *ref, ExportFormat format, int out_fd, char **err)
{
        if (!s || !img || out_fd < 0)
                return -EINVAL;
        if (!img->config_data || !digest_valid(img->manifest_digest) || !digest_valid(img->config_digest))
                return set_error(err, -EINVAL, "image %s is incomplete", img->manifest_digest);

        Exporter e = {.store = s, .out_fd = out_fd};
        e.buf = malloc(COPY_BUF_SIZE);
        e.tar = archive_write_new();
        int r = -ENOMEM;
        if (!e.buf || !e.tar)
                goto finish;
        /* pax headers only where ustar cannot say it (layers of 8 GiB and more); no padding to
         * libarchive's 10 KiB blocks, so a pipe gets the same bytes as a file */
        if (archive_write_set_format_pax_restricted(e.tar) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(e.tar, 1) != ARCHIVE_OK ||
            archive_write_add_filter_none(e.tar) != ARCHIVE_OK ||
            archive_write_open(e.tar, &e, NULL, tar_out, NULL) != ARCHIVE_OK) {
                r = tar_error(&e, "the archive header", err);
                goto finish;
        }

        switch (format) {
        case EXPORT_DOCKER_ARCHIVE:
                r = export_docker_archive(&e, img, ref, err);
                break;
        case EXPORT_OCI_ARCHIVE:
                r = export_oci_archive(&e, img, ref, err);
                break;
        default:
                r = set_error(err, -EINVAL, "unknown export format %d", (int)format);
        }
        if (r >= 0 && archive_write_close(e.tar) != ARCHIVE_OK)
                r = tar_error(&e, "the end of the archive", err);

finish:
        /* no end-of-archive blocks after a failure (tar_out() refuses them): a partial tar must not
         * look whole. archive_write_fail() would do it too, but leaks libarchive's block buffer. */
        e.failed = r < 0;
        if (e.tar)
                archive_write_free(e.tar);
        free(e.buf);
        strv_free(e.written);
        return r < 0 ? r : 0;
}
