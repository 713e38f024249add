/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "import.h"
#include "json-util.h"
#include "log.h"
#include "util.h"

#define SMALL_BLOB_MAX (8u << 20) /* index.json, configs (as the store reads them) */
#define MANIFEST_MAX (4u << 20) /* manifests and indexes: the distribution spec's limit, the store's */
#define MAX_STAGED 100000
#define MAX_IMAGES 64
#define DEFAULT_PATH_ENV "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* A regular file, symlink or hard link of an image archive, staged in the import's tmp dir. */
typedef struct Staged {
        char *name; /* normalized entry name */
        char *link; /* symlink target (resolved to an entry name) or hard link target */
        char file[24]; /* its file in the tmp dir */
        char digest[DIGEST_MAX];
        uint64_t size;
} Staged;

typedef struct Commit {
        char file[24]; /* in the tmp dir */
        uint64_t size; /* of a blob */
        char id[DIGEST_MAX]; /* blob digest or chain ID */
        bool layer;
} Commit;

typedef struct Import {
        Store *s;
        const ImportOptions *o;
        const char *path;
        int tmp_fd;
        char *tmp_name;
        int src_dir_fd; /* an OCI layout directory */
        Staged *staged;
        size_t n_staged;
        Commit *commits;
        size_t n_commits;
        unsigned counter;
        ImportResult *res;
} Import;

const char *import_kind_to_string(ImportKind k)
{
        static const char *const names[] = {
                [IMPORT_AUTO] = "auto",
                [IMPORT_ROOTFS] = "rootfs tarball",
                [IMPORT_DOCKER_ARCHIVE] = "docker-archive",
                [IMPORT_OCI_ARCHIVE] = "OCI archive",
                [IMPORT_OCI_LAYOUT] = "OCI layout",
        };
        return k < ELEMENTSOF(names) ? names[k] : "?";
}

void import_result_done(ImportResult *r)
{
        r->refs = strv_free(r->refs);
        r->manifest_digests = strv_free(r->manifest_digests);
}

static void import_done(Import *imp)
{
        for (size_t i = 0; i < imp->n_staged; i++) {
                free(imp->staged[i].name);
                free(imp->staged[i].link);
        }
        free(imp->staged);
        free(imp->commits);
        if (imp->tmp_name) {
                int tmp = openat(imp->s->dir_fd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (tmp >= 0) {
                        (void)rm_rf_at(tmp, imp->tmp_name);
                        safe_close(tmp);
                }
                free(imp->tmp_name);
        }
        safe_close(imp->tmp_fd);
        safe_close(imp->src_dir_fd);
}

static void new_file_name(Import *imp, char prefix, char out[static 24])
{
        snprintf(out, 24, "%c%u", prefix, imp->counter++);
}

static int add_commit(Import *imp, const char *file, const char *id, bool layer)
{
        for (size_t i = 0; i < imp->n_commits; i++)
                if (streq(imp->commits[i].id, id) && imp->commits[i].layer == layer) {
                        /* the same content staged twice (a layer two images share) */
                        if (layer)
                                (void)rm_rf_at(imp->tmp_fd, file);
                        else
                                (void)unlinkat(imp->tmp_fd, file, 0);
                        return 0;
                }
        Commit *c = realloc(imp->commits, (imp->n_commits + 1) * sizeof(*c));
        if (!c)
                return -ENOMEM;
        imp->commits = c;
        c += imp->n_commits++;
        *c = (Commit){.layer = layer};
        struct stat st;
        if (!layer && fstatat(imp->tmp_fd, file, &st, AT_SYMLINK_NOFOLLOW) == 0)
                c->size = st.st_size;
        snprintf(c->file, sizeof(c->file), "%s", file);
        snprintf(c->id, sizeof(c->id), "%s", id);
        return 0;
}

/* The size of a blob the store has or this import brings, or -1. */
static int64_t known_blob_size(Import *imp, const char *digest)
{
        for (size_t i = 0; i < imp->n_commits; i++)
                if (!imp->commits[i].layer && streq(imp->commits[i].id, digest))
                        return (int64_t)imp->commits[i].size;
        int64_t sz = store_blob_size(imp->s, digest);
        return sz >= 0 ? sz : -1;
}

static bool commit_has(Import *imp, const char *id, bool layer)
{
        for (size_t i = 0; i < imp->n_commits; i++)
                if (streq(imp->commits[i].id, id) && imp->commits[i].layer == layer)
                        return true;
        return false;
}

/* Small blob bytes (manifest, config) to commit. */
static int stage_bytes(Import *imp, const char *data, size_t n, const char *digest, char **err)
{
        if (store_has_blob(imp->s, digest) || commit_has(imp, digest, false))
                return 0;
        char f[24];
        new_file_name(imp, 'm', f);
        int r = write_file_new(imp->tmp_fd, f, data, n, 0644);
        if (r < 0)
                return set_error(err, r, "cannot write to the store's tmp dir: %s", strerror(-r));
        return add_commit(imp, f, digest, false);
}

/* Archive entry names as keys: "./a//b" → "a/b"; NULL for names that climb out. */
static char *entry_key(const char *name)
{
        _cleanup_free_ char *abs = NULL;
        if (asprintf(&abs, "/%s", name) < 0)
                return NULL;
        char *clean = path_clean(abs);
        if (!clean)
                return NULL;
        if (!path_is_safe_absolute(clean)) {
                free(clean);
                return NULL;
        }
        char *k = strdup(clean + 1);
        free(clean);
        return k;
}

static Staged *staged_find(Import *imp, const char *name)
{
        for (int hops = 0; hops < 16; hops++) {
                Staged *st = NULL;
                for (size_t i = 0; i < imp->n_staged && !st; i++)
                        if (streq(imp->staged[i].name, name))
                                st = imp->staged + i;
                if (!st || !st->link)
                        return st;
                name = st->link;
        }
        return NULL;
}

static bool is_archive_marker(const char *k)
{
        if (streq(k, "oci-layout") || streq(k, "index.json") || streq(k, "manifest.json") ||
            streq(k, "repositories") || streq(k, "blobs") || startswith(k, "blobs/"))
                return true;
        /* docker save's <64 hex>/ layer directories and <64 hex>.json configs, skopeo's <64 hex>.tar layers
         */
        size_t i = 0;
        while (isxdigit((unsigned char)k[i]) && !isupper((unsigned char)k[i]))
                i++;
        return i == 64 && (k[i] == '/' || k[i] == 0 || streq(k + i, ".json") || streq(k + i, ".tar"));
}

static struct archive *archive_reader(int fd, bool any_format)
{
        struct archive *a = archive_read_new();
        if (!a)
                return NULL;
        /* the compressions libarchive decodes itself: _all() would also run external
         * programs (lrzip, lzop, grzip) on an untrusted archive */
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_zstd(a);
        archive_read_support_filter_xz(a);
        archive_read_support_filter_bzip2(a);
        if (any_format)
                archive_read_support_format_raw(a);
        else
                archive_read_support_format_tar(a);
        if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
                archive_read_free(a);
                return NULL;
        }
        return a;
}

/* Look at the first named entry to tell an image archive from a root filesystem. */
static int detect_tar(int fd, const char *path, ImportKind *ret, char **err)
{
        struct archive *a = archive_reader(fd, false);
        if (!a)
                return set_error(err, -EINVAL, "%s: not a tar archive", path);
        struct archive_entry *e;
        int r = -EINVAL;
        for (int i = 0; i < 8; i++) {
                int k = archive_read_next_header(a, &e);
                if (k == ARCHIVE_EOF) {
                        r = set_error(err, -EINVAL, "%s: an empty archive", path);
                        break;
                }
                if (k != ARCHIVE_OK && k != ARCHIVE_WARN) {
                        r = set_error(err, -EINVAL, "%s: not a tar archive (%s)", path,
                                      archive_error_string(a));
                        break;
                }
                _cleanup_free_ char *key = entry_key(archive_entry_pathname(e) ?: "");
                if (key && !*key)
                        continue; /* "./" */
                *ret = key && is_archive_marker(key) ? IMPORT_DOCKER_ARCHIVE : IMPORT_ROOTFS;
                r = 0;
                break;
        }
        archive_read_free(a);
        if (r >= 0 && lseek(fd, 0, SEEK_SET) < 0)
                return set_error(err, -errno, "%s: cannot seek: %m", path);
        return r;
}

/* Stage every regular file, symlink and hard link of an image archive in the tmp dir, hashing as
 * it goes (one pass; manifest.json may come last). */
static int stage_archive(Import *imp, int fd, char **err)
{
        const uint64_t max_bytes = imp->o->limits.max_bytes ?: LAYER_DEFAULT_MAX_BYTES;
        struct archive *a = archive_reader(fd, false);
        if (!a)
                return set_error(err, -EINVAL, "%s: not a tar archive", imp->path);
        int r = 0;
        _cleanup_free_ char *buf = malloc(1 << 20);
        if (!buf) {
                archive_read_free(a);
                return -ENOMEM;
        }
        for (;;) {
                struct archive_entry *e;
                int k = archive_read_next_header(a, &e);
                if (k == ARCHIVE_EOF)
                        break;
                if (k != ARCHIVE_OK && k != ARCHIVE_WARN) {
                        r = set_error(err, -EINVAL, "%s: %s", imp->path, archive_error_string(a));
                        break;
                }
                const char *raw = archive_entry_pathname(e) ?: "";
                _cleanup_free_ char *key = entry_key(raw);
                if (!key) {
                        r = set_error(err, -EINVAL, "%s: entry '%s' leaves the archive", imp->path, raw);
                        break;
                }
                mode_t type = archive_entry_filetype(e);
                const char *hl = archive_entry_hardlink(e);
                if (type == AE_IFDIR || (!hl && type != AE_IFREG && type != AE_IFLNK))
                        continue;
                if (imp->n_staged >= MAX_STAGED) {
                        r = set_error(err, -E2BIG, "%s: more than %d files in an image archive", imp->path,
                                      MAX_STAGED);
                        break;
                }
                Staged *n = realloc(imp->staged, (imp->n_staged + 1) * sizeof(*n));
                if (!n) {
                        r = -ENOMEM;
                        break;
                }
                imp->staged = n;
                Staged *st = n + imp->n_staged++;
                *st = (Staged){.name = TAKE_PTR(key)};
                if (hl || type == AE_IFLNK) {
                        /* docker save links identical layers; keep the target as an entry name */
                        _cleanup_free_ char *t = NULL;
                        if (hl)
                                t = strdup(hl);
                        else {
                                const char *sl = archive_entry_symlink(e) ?: "";
                                const char *slash = strrchr(st->name, '/');
                                if (sl[0] == '/' || !slash)
                                        t = strdup(sl);
                                else if (asprintf(&t, "%.*s/%s", (int)(slash - st->name), st->name, sl) < 0)
                                        t = NULL;
                        }
                        st->link = t ? entry_key(t) : NULL;
                        if (!st->link) {
                                r = set_error(err, -EINVAL, "%s: link '%s' points outside the archive",
                                              imp->path, raw);
                                break;
                        }
                        continue;
                }
                new_file_name(imp, 's', st->file);
                _cleanup_close_ int out =
                        openat(imp->tmp_fd, st->file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                if (out < 0) {
                        r = set_error(err, -errno, "cannot write to %s/tmp: %m", imp->s->path);
                        break;
                }
                _cleanup_digest_ Digest *d = digest_new();
                if (!d) {
                        r = -ENOMEM;
                        break;
                }
                for (;;) {
                        la_ssize_t got = archive_read_data(a, buf, 1 << 20);
                        if (got == 0)
                                break;
                        if (got < 0) {
                                r = set_error(err, -EIO, "%s: %s: %s", imp->path, st->name,
                                              archive_error_string(a));
                                break;
                        }
                        digest_update(d, buf, got);
                        st->size += got;
                        /* a decompression bomb in the outer archive fills the disk as well as
                         * one in a layer: the same bound */
                        if (st->size > max_bytes) {
                                r = set_error(err, -EFBIG, "%s: %s exceeds %llu bytes (CTR_LAYER_MAX_BYTES)",
                                              imp->path, st->name, (unsigned long long)max_bytes);
                                break;
                        }
                        r = loop_write(out, buf, got);
                        if (r < 0) {
                                r = set_error(err, r, "writing to %s/tmp: %s", imp->s->path, strerror(-r));
                                break;
                        }
                }
                if (r < 0)
                        break;
                digest_final(d, st->digest);
        }
        archive_read_free(a);
        return r;
}

/* A file of an OCI layout directory: beneath it, through no symlink, and a regular file (a FIFO
 * would hang the import, a device or a link could read what the layout's author chose). */
static int open_in_layout(Import *imp, const char *name, int *ret_fd, uint64_t *ret_size, char **err)
{
        struct open_how how = {
                .flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
        };
        int fd = syscall(SYS_openat2, imp->src_dir_fd, name, &how, sizeof(how));
        if (fd < 0)
                return set_error(err, -errno, "%s: %s: %m", imp->path, name);
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                safe_close(fd);
                return set_error(err, -EINVAL, "%s: %s is not a regular file", imp->path, name);
        }
        *ret_fd = fd;
        *ret_size = st.st_size;
        return 0;
}

/* The content of a blob of the source: staged (hashed while staging) or in a layout dir. */
static int source_open_blob(Import *imp, const char *digest, bool *ret_verified, int *ret_fd,
                            uint64_t *ret_size, char **err)
{
        if (!digest_valid(digest))
                return set_error(err, -EINVAL, "%s: '%.80s' is not a sha256 digest", imp->path, digest);
        char name[128];
        snprintf(name, sizeof(name), "blobs/sha256/%s", digest_hex(digest));
        if (imp->src_dir_fd >= 0) {
                int r = open_in_layout(imp, name, ret_fd, ret_size, err);
                if (r < 0)
                        return r;
                *ret_verified = false;
                return 0;
        }
        Staged *st = staged_find(imp, name);
        if (!st)
                return set_error(err, -ENOENT, "%s: blob %s is missing from the archive", imp->path, digest);
        if (!streq(st->digest, digest))
                return set_error(err, -EBADMSG,
                                 "%s: blob %s does not match its digest (content hashes to %s)", imp->path,
                                 digest, st->digest);
        int fd = openat(imp->tmp_fd, st->file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret_verified = true;
        *ret_fd = fd;
        *ret_size = st->size;
        return 0;
}

/* A small JSON blob (index, manifest, config), verified against digest and size. */
static int source_read_blob(Import *imp, const char *digest, int64_t size, size_t max, char **ret,
                            size_t *ret_n, char **err)
{
        bool verified;
        _cleanup_close_ int fd = -EBADF;
        uint64_t sz;
        int r = source_open_blob(imp, digest, &verified, &fd, &sz, err);
        if (r < 0)
                return r;
        if (size >= 0 && sz != (uint64_t)size)
                return set_error(err, -EBADMSG, "%s: blob %s has %llu bytes, its descriptor says %lld",
                                 imp->path, digest, (unsigned long long)sz, (long long)size);
        r = read_full_fd(fd, max, ret, ret_n);
        if (r == -EFBIG)
                return set_error(err, r, "%s: blob %s: larger than %zu bytes, too large for a %s", imp->path,
                                 digest, max, max == MANIFEST_MAX ? "manifest" : "config");
        if (r < 0)
                return set_error(err, r, "%s: blob %s: %s", imp->path, digest, strerror(-r));
        char d[DIGEST_MAX];
        digest_buffer(*ret, *ret_n, d);
        if (!streq(d, digest)) {
                free(TAKE_PTR(*ret));
                return set_error(err, -EBADMSG,
                                 "%s: blob %s does not match its digest (content hashes to %s)", imp->path,
                                 digest, d);
        }
        return 0;
}

/* The OCI media type of a layer in this compression; NULL for those OCI has none for. */
static const char *media_type_for(const char *compression)
{
        if (!compression)
                return MEDIA_TYPE_OCI_LAYER;
        if (streq(compression, "gzip"))
                return MEDIA_TYPE_OCI_LAYER_GZIP;
        if (streq(compression, "zstd"))
                return MEDIA_TYPE_OCI_LAYER_ZSTD;
        return NULL;
}

static bool layer_media_type_supported(const char *mt)
{
        static const char *const ok[] = {
                MEDIA_TYPE_OCI_LAYER,
                MEDIA_TYPE_OCI_LAYER_GZIP,
                MEDIA_TYPE_OCI_LAYER_ZSTD,
                "application/vnd.oci.image.layer.nondistributable.v1.tar",
                "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
                MEDIA_TYPE_DOCKER_LAYER,
                MEDIA_TYPE_DOCKER_LAYER_GZIP,
                "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++)
                if (streq(mt, ok[i]))
                        return true;
        return false;
}

/* Decompress src into a new file of the tmp dir (for xz/bzip2 tarballs, which have no OCI media
 * type: the blob is stored as a plain tar). */
static int decompress_to(Import *imp, int src, const char *dst, char **err)
{
        if (lseek(src, 0, SEEK_SET) < 0)
                return -errno;
        struct archive *a = archive_reader(src, true);
        struct archive_entry *e;
        if (!a || archive_read_next_header(a, &e) != ARCHIVE_OK) {
                if (a)
                        archive_read_free(a);
                return set_error(err, -EINVAL, "%s: cannot decompress", imp->path);
        }
        _cleanup_close_ int out = openat(imp->tmp_fd, dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        _cleanup_free_ char *buf = malloc(1 << 20);
        int r = out < 0 ? -errno : buf ? 0 : -ENOMEM;
        while (r >= 0) {
                la_ssize_t n = archive_read_data(a, buf, 1 << 20);
                if (n == 0)
                        break;
                if (n < 0)
                        r = set_error(err, -EIO, "%s: %s", imp->path, archive_error_string(a));
                else
                        r = loop_write(out, buf, n);
        }
        archive_read_free(a);
        return r;
}

/* Copy fd to a new file of the tmp dir, checking it hashes to digest. */
static int copy_verified(Import *imp, int fd, const char *dst, const char *digest, char **err)
{
        _cleanup_close_ int out = openat(imp->tmp_fd, dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (out < 0)
                return set_error(err, -errno, "%s/tmp: %m", imp->s->path);
        _cleanup_digest_ Digest *d = digest_new();
        _cleanup_free_ char *buf = malloc(1 << 20);
        if (!d || !buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf, 1 << 20);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return set_error(err, -errno, "%s: reading blob %s: %m", imp->path, digest);
                if (n == 0)
                        break;
                digest_update(d, buf, n);
                int r = loop_write(out, buf, n);
                if (r < 0)
                        return set_error(err, r, "%s/tmp: %s", imp->s->path, strerror(-r));
        }
        char got[DIGEST_MAX];
        digest_final(d, got);
        if (!streq(got, digest))
                return set_error(err, -EBADMSG,
                                 "%s: blob %s does not match its digest (content hashes to %s)", imp->path,
                                 digest, got);
        return 0;
}

/* Unpack one layer blob (unless the store has it) and stage it for commit. *parent_chain is
 * advanced to this layer's chain ID. verified: fd is a staged file whose digest was checked while
 * staging; else it is hashed while it is read. */
static int import_layer(Import *imp, int index, int fd, bool verified, const char *digest,
                        const char *expect_diff_id, char parent_chain[static DIGEST_MAX], char **err)
{
        char chain[DIGEST_MAX];
        chain_id_next(*parent_chain ? parent_chain : NULL, expect_diff_id, chain);
        bool have_layer = store_has_layer(imp->s, chain) || commit_has(imp, chain, true);
        bool have_blob = store_has_blob(imp->s, digest) || commit_has(imp, digest, false);
        if (have_layer && have_blob) {
                imp->res->layers_reused++;
                snprintf(parent_chain, DIGEST_MAX, "%s", chain);
                return 0;
        }

        if (have_layer) {
                /* the layer is unpacked already (another compression of the same content): only
                 * the blob is new. A staged blob was hashed while staging; one from a layout
                 * directory is copied and hashed now. */
                if (!verified) {
                        char blob[24];
                        new_file_name(imp, 'b', blob);
                        int r = copy_verified(imp, fd, blob, digest, err);
                        if (r < 0)
                                return r;
                        r = add_commit(imp, blob, digest, false);
                        if (r < 0)
                                return r;
                }
                imp->res->layers_reused++;
                snprintf(parent_chain, DIGEST_MAX, "%s", chain);
                return 0;
        }

        char ldir[24], blob[24] = "";
        new_file_name(imp, 'L', ldir);
        if (mkdirat(imp->tmp_fd, ldir, 0700) < 0)
                return set_error(err, -errno, "%s/tmp: %m", imp->s->path);
        char diffp[40];
        snprintf(diffp, sizeof(diffp), "%s/diff", ldir);
        if (mkdirat(imp->tmp_fd, diffp, 0755) < 0)
                return set_error(err, -errno, "%s/tmp: %m", imp->s->path);
        _cleanup_close_ int diff_fd = openat(imp->tmp_fd, diffp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int tee = -EBADF;
        if (!verified) {
                new_file_name(imp, 'b', blob);
                tee = openat(imp->tmp_fd, blob, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                if (tee < 0)
                        return set_error(err, -errno, "%s/tmp: %m", imp->s->path);
        }
        if (diff_fd < 0)
                return -errno;

        LayerResult lr = {};
        _cleanup_free_ char *lerr = NULL;
        log_debug("unpacking layer %d, %s", index + 1, digest);
        int r = layer_unpack(fd, diff_fd, tee, &imp->o->limits, &lr, &lerr);
        if (r < 0)
                return set_error(err, r, "%s: layer %d (%s): %s", imp->path, index + 1, digest,
                                 strempty(lerr));
        if (!streq(lr.digest, digest))
                return set_error(err, -EBADMSG,
                                 "%s: layer %d: blob %s does not match its digest (content hashes to %s)",
                                 imp->path, index + 1, digest, lr.digest);
        if (!streq(lr.diff_id, expect_diff_id))
                return set_error(
                        err, -EBADMSG,
                        "%s: layer %d (%s): its uncompressed content hashes to %s, the image config's "
                        "rootfs.diff_ids says %s",
                        imp->path, index + 1, digest, lr.diff_id, expect_diff_id);

        char chainp[40];
        snprintf(chainp, sizeof(chainp), "%s/chain", ldir);
        r = write_file_new(imp->tmp_fd, chainp, chain, strlen(chain), 0644);
        if (r < 0)
                return r;
        r = add_commit(imp, ldir, chain, true);
        imp->res->layers_unpacked++;
        if (r >= 0 && !have_blob && *blob)
                r = add_commit(imp, blob, digest, false);
        else if (*blob)
                (void)unlinkat(imp->tmp_fd, blob, 0);
        /* a staged blob is committed by the caller through its Staged file */
        snprintf(parent_chain, DIGEST_MAX, "%s", chain);
        return r;
}

static void now_rfc3339(char buf[static 32])
{
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *host_arch(void)
{
        struct utsname u;
        static char arch[32];
        if (uname(&u) < 0)
                return "amd64";
        if (streq(u.machine, "x86_64"))
                return "amd64";
        if (streq(u.machine, "aarch64"))
                return "arm64";
        if (startswith(u.machine, "arm"))
                return "arm";
        snprintf(arch, sizeof(arch), "%.31s", u.machine);
        return arch;
}

/* Write manifest + config blobs for an image whose layers are staged. */
static int finish_image(Import *imp, const char *config_data, size_t config_size, json_t *layers,
                        char ret_digest[static DIGEST_MAX], uint64_t *ret_size, char **err)
{
        char config_digest[DIGEST_MAX];
        digest_buffer(config_data, config_size, config_digest);
        int r = stage_bytes(imp, config_data, config_size, config_digest, err);
        if (r < 0)
                return r;
        _cleanup_json_ json_t *m =
                json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:O}", "schemaVersion", 2, "mediaType",
                          MEDIA_TYPE_OCI_MANIFEST, "config", "mediaType", MEDIA_TYPE_OCI_CONFIG, "digest",
                          config_digest, "size", (json_int_t)config_size, "layers", layers);
        if (!m)
                return -ENOMEM;
        _cleanup_free_ char *md = json_dumps(m, JSON_COMPACT);
        if (!md)
                return -ENOMEM;
        digest_buffer(md, strlen(md), ret_digest);
        *ret_size = strlen(md);
        return stage_bytes(imp, md, strlen(md), ret_digest, err);
}

/* The staged tmp files a set of layers use, to commit. */
static int commit_staged_blob(Import *imp, const char *digest)
{
        if (store_has_blob(imp->s, digest) || commit_has(imp, digest, false))
                return 0;
        char name[128];
        snprintf(name, sizeof(name), "blobs/sha256/%s", digest_hex(digest));
        Staged *st = staged_find(imp, name);
        if (!st)
                return -ENOENT;
        return add_commit(imp, st->file, digest, false);
}

/* Records of images to tag at commit time. */
typedef struct Tag {
        char *ref;
        char digest[DIGEST_MAX];
        uint64_t size;
} Tag;

typedef struct Tags {
        Tag *v;
        size_t n;
} Tags;

static int tags_add(Import *imp, Tags *t, const char *ref, const char *digest, uint64_t size, char **err)
{
        /* one name for two images of one archive: which one it means is anybody's guess */
        for (size_t i = 0; ref && i < t->n; i++)
                if (streq_ptr(t->v[i].ref, ref)) {
                        if (streq(t->v[i].digest, digest))
                                return 0;
                        return set_error(err, -ENOTUNIQ, "%s: two different images are both named '%s'",
                                         imp->path, ref);
                }
        Tag *n = realloc(t->v, (t->n + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        t->v = n;
        n += t->n;
        *n = (Tag){.ref = ref ? strdup(ref) : NULL, .size = size};
        if (ref && !n->ref)
                return -ENOMEM;
        snprintf(n->digest, sizeof(n->digest), "%s", digest);
        t->n++;
        return 0;
}

static void tags_done(Tags *t)
{
        for (size_t i = 0; i < t->n; i++)
                free(t->v[i].ref);
        free(t->v);
}

/* A name of the archive made a full reference: "busybox:1.36" as is, a bare tag ("latest", as
 * umoci and skopeo write into a layout) gets the input's base name as its name. */
static int archive_ref(Import *imp, const char *name, char **ret, char **err)
{
        if (strchr(name, ':') || strchr(name, '/'))
                return ref_normalize(name, ret, err);
        _cleanup_free_ char *path = strdup(imp->path), *full = NULL;
        if (!path)
                return -ENOMEM;
        for (size_t n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
                path[n - 1] = 0; /* "layout/", as shell completion writes it */
        const char *b = strrchr(path, '/');
        char *base = (char *)(b && b[1] ? b + 1 : path);
        char *dot = strchr(base, '.');
        if (dot && dot != base)
                *dot = 0;
        for (char *p = base; *p; p++)
                *p = isalnum((unsigned char)*p) ? tolower((unsigned char)*p) : '-';
        /* a name component may not start or end with a separator */
        while (*base == '-')
                base++;
        for (size_t n = strlen(base); n > 0 && base[n - 1] == '-'; n--)
                base[n - 1] = 0;
        if (asprintf(&full, "%s:%s", *base ? base : "image", name) < 0)
                return -ENOMEM;
        return ref_normalize(full, ret, err);
}

static int import_manifest(Import *imp, const char *digest, int64_t size, char **refs, Tags *tags,
                           unsigned depth, char **err);
#define MAX_INDEX_DEPTH 4

/* Pick this machine's platform from an index. */
static int import_index(Import *imp, json_t *index, const char *what, char **refs, Tags *tags,
                        unsigned depth, char **err)
{
        if (depth >= MAX_INDEX_DEPTH)
                return set_error(err, -ELOOP, "%s: indexes nested more than %d deep at %s", imp->path,
                                 MAX_INDEX_DEPTH, what);
        if (json_object_get(index, "layers") || json_object_get(index, "config"))
                return set_error(err, -EINVAL, "%s: %s has 'layers' or 'config': ambiguous document",
                                 imp->path, what);
        json_t *manifests = json_object_get(index, "manifests"), *d;
        if (!json_is_array(manifests))
                return set_error(err, -EINVAL, "%s: %s has no manifests array", imp->path, what);
        size_t i;
        const char *arch = host_arch();
        json_array_foreach (manifests, i, d) {
                json_t *p = json_object_get(d, "platform");
                const char *os = json_string_value(json_object_get(p, "os"));
                const char *a = json_string_value(json_object_get(p, "architecture"));
                if (p && (!streq_ptr(os, "linux") || !streq_ptr(a, arch)))
                        continue;
                const char *dg = json_string_value(json_object_get(d, "digest"));
                json_int_t sz = json_is_integer(json_object_get(d, "size"))
                                        ? json_integer_value(json_object_get(d, "size"))
                                        : -1;
                if (!dg)
                        return set_error(err, -EINVAL, "%s: %s.manifests[%zu] has no digest", imp->path,
                                         what, i);
                return import_manifest(imp, dg, sz, refs, tags, depth + 1, err);
        }
        return set_error(err, -ENOENT, "%s: %s has no manifest for linux/%s", imp->path, what, arch);
}

static int import_manifest(Import *imp, const char *digest, int64_t size, char **refs, Tags *tags,
                           unsigned depth, char **err)
{
        _cleanup_free_ char *data = NULL;
        size_t n;
        int r = source_read_blob(imp, digest, size, MANIFEST_MAX, &data, &n, err);
        if (r < 0)
                return r;
        json_error_t jerr;
        _cleanup_json_ json_t *m = json_loadb(data, n, 0, &jerr);
        if (!json_is_object(m))
                return set_error(err, -EINVAL, "%s: manifest %s: not a JSON object", imp->path, digest);
        const char *mt = json_string_value(json_object_get(m, "mediaType"));
        if (json_object_get(m, "manifests") || streq_ptr(mt, MEDIA_TYPE_OCI_INDEX) ||
            streq_ptr(mt, MEDIA_TYPE_DOCKER_LIST))
                return import_index(imp, m, digest, refs, tags, depth, err);
        if (mt && !streq(mt, MEDIA_TYPE_OCI_MANIFEST) && !streq(mt, MEDIA_TYPE_DOCKER_MANIFEST))
                return set_error(err, -EINVAL, "%s: manifest %s: unsupported media type '%s'", imp->path,
                                 digest, mt);

        json_t *config = json_object_get(m, "config");
        const char *cd = json_string_value(json_object_get(config, "digest"));
        if (!cd)
                return set_error(err, -EINVAL, "%s: manifest %s: no config.digest", imp->path, digest);
        json_t *csz = json_object_get(config, "size");
        _cleanup_free_ char *cdata = NULL;
        size_t cn;
        r = source_read_blob(imp, cd, json_is_integer(csz) ? json_integer_value(csz) : -1, SMALL_BLOB_MAX,
                             &cdata, &cn, err);
        if (r < 0)
                return r;
        _cleanup_json_ json_t *cj = json_loadb(cdata, cn, 0, &jerr);
        json_t *diff_ids = json_object_get(json_object_get(cj, "rootfs"), "diff_ids");
        json_t *layers = json_object_get(m, "layers");
        if (!json_is_array(layers) || !json_is_array(diff_ids) ||
            json_array_size(layers) != json_array_size(diff_ids))
                return set_error(err, -EINVAL,
                                 "%s: manifest %s: layers and the config's rootfs.diff_ids differ in number",
                                 imp->path, digest);
        if (json_array_size(layers) == 0)
                return set_error(err, -EINVAL, "%s: manifest %s has no layers", imp->path, digest);

        char chain[DIGEST_MAX] = "";
        size_t i;
        json_t *d;
        json_array_foreach (layers, i, d) {
                const char *ld = json_string_value(json_object_get(d, "digest"));
                const char *lmt = json_string_value(json_object_get(d, "mediaType")) ?: MEDIA_TYPE_OCI_LAYER;
                const char *di = json_string_value(json_array_get(diff_ids, i));
                json_t *lsz = json_object_get(d, "size");
                if (!ld || !digest_valid(ld) || !di || !digest_valid(di))
                        return set_error(err, -EINVAL, "%s: manifest %s: layers[%zu]: not a sha256 digest",
                                         imp->path, digest, i);
                if (!layer_media_type_supported(lmt))
                        return set_error(err, -EINVAL, "%s: layers[%zu]: unsupported media type '%s'",
                                         imp->path, i, lmt);
                bool verified;
                _cleanup_close_ int fd = -EBADF;
                uint64_t bsz;
                char next[DIGEST_MAX];
                chain_id_next(*chain ? chain : NULL, di, next);
                if ((store_has_layer(imp->s, next) || commit_has(imp, next, true)) &&
                    (store_has_blob(imp->s, ld) || commit_has(imp, ld, false))) {
                        /* the content is known and was verified; its descriptor still has to
                         * describe it */
                        int64_t known = known_blob_size(imp, ld);
                        if (json_is_integer(lsz) && known >= 0 && json_integer_value(lsz) != known)
                                return set_error(err, -EBADMSG,
                                                 "%s: layer %s has %lld bytes, its descriptor says %lld",
                                                 imp->path, ld, (long long)known,
                                                 (long long)json_integer_value(lsz));
                        imp->res->layers_reused++;
                        snprintf(chain, sizeof(chain), "%s", next);
                        continue;
                }
                r = source_open_blob(imp, ld, &verified, &fd, &bsz, err);
                if (r < 0)
                        return r;
                if (json_is_integer(lsz) && (uint64_t)json_integer_value(lsz) != bsz)
                        return set_error(err, -EBADMSG,
                                         "%s: layer %s has %llu bytes, its descriptor says %lld", imp->path,
                                         ld, (unsigned long long)bsz, (long long)json_integer_value(lsz));
                r = import_layer(imp, i, fd, verified, ld, di, chain, err);
                if (r < 0)
                        return r;
                if (verified && (r = commit_staged_blob(imp, ld)) < 0)
                        return r;
        }
        r = stage_bytes(imp, cdata, cn, cd, err);
        if (r >= 0)
                r = stage_bytes(imp, data, n, digest, err);
        if (r < 0)
                return r;
        if (!refs || !*refs)
                return tags_add(imp, tags, NULL, digest, n, err);
        for (char **p = refs; *p; p++)
                if ((r = tags_add(imp, tags, *p, digest, n, err)) < 0)
                        return r;
        return 0;
}

/* An OCI layout (directory, or staged from an archive). */
static int import_oci(Import *imp, Tags *tags, char **err)
{
        _cleanup_free_ char *data = NULL;
        size_t n;
        int r;
        if (imp->src_dir_fd >= 0) {
                _cleanup_close_ int ifd = -EBADF;
                uint64_t isz;
                r = open_in_layout(imp, "index.json", &ifd, &isz, err);
                if (r < 0)
                        return r;
                r = read_full_fd(ifd, SMALL_BLOB_MAX, &data, &n);
        } else {
                Staged *st = staged_find(imp, "index.json");
                r = st ? read_full_file_at(imp->tmp_fd, st->file, SMALL_BLOB_MAX, &data, &n) : -ENOENT;
        }
        if (r < 0)
                return set_error(err, r, "%s: index.json: %s", imp->path, strerror(-r));
        json_error_t jerr;
        _cleanup_json_ json_t *index = json_loadb(data, n, 0, &jerr);
        if (!json_is_object(index))
                return set_error(err, -EINVAL, "%s: index.json:%d: %s", imp->path, jerr.line, jerr.text);
        if (json_object_get(index, "layers") || json_object_get(index, "config"))
                return set_error(err, -EINVAL, "%s: index.json has 'layers' or 'config': ambiguous document",
                                 imp->path);
        json_t *manifests = json_object_get(index, "manifests"), *d;
        if (!json_is_array(manifests) || json_array_size(manifests) == 0)
                return set_error(err, -EINVAL, "%s: index.json lists no manifests", imp->path);
        if (json_array_size(manifests) > MAX_IMAGES)
                return set_error(err, -E2BIG, "%s: index.json lists more than %d manifests", imp->path,
                                 MAX_IMAGES);
        if (imp->o->name && json_array_size(manifests) > 1)
                return set_error(err, -EINVAL,
                                 "%s holds %zu images; import it without a name to keep theirs", imp->path,
                                 json_array_size(manifests));
        size_t i;
        json_array_foreach (manifests, i, d) {
                const char *dg = json_string_value(json_object_get(d, "digest"));
                json_t *sz = json_object_get(d, "size");
                const char *name = json_string_value(
                        json_object_get(json_object_get(d, "annotations"), REF_NAME_ANNOTATION));
                _cleanup_strv_free_ char **refs = NULL;
                _cleanup_free_ char *ref = NULL;
                if (imp->o->name)
                        r = ref_normalize(imp->o->name, &ref, err);
                else if (name)
                        r = archive_ref(imp, name, &ref, err);
                else
                        r = 0;
                if (r < 0)
                        return r;
                if (ref && (r = strv_extend(&refs, ref)) < 0)
                        return r;
                if (!dg)
                        return set_error(err, -EINVAL, "%s: index.json manifests[%zu] has no digest",
                                         imp->path, i);
                r = import_manifest(imp, dg, json_is_integer(sz) ? json_integer_value(sz) : -1, refs, tags,
                                    0, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* docker save: manifest.json lists each image's config and layer tars. */
static int import_docker(Import *imp, Tags *tags, char **err)
{
        Staged *mf = staged_find(imp, "manifest.json");
        if (!mf)
                return set_error(err, -EINVAL, "%s: an image archive without manifest.json or index.json",
                                 imp->path);
        _cleanup_free_ char *data = NULL;
        size_t n;
        int r = read_full_file_at(imp->tmp_fd, mf->file, SMALL_BLOB_MAX, &data, &n);
        if (r < 0)
                return set_error(err, r, "%s: manifest.json: %s", imp->path, strerror(-r));
        json_error_t jerr;
        _cleanup_json_ json_t *list = json_loadb(data, n, 0, &jerr);
        if (!json_is_array(list) || json_array_size(list) == 0)
                return set_error(err, -EINVAL, "%s: manifest.json is not a list of images", imp->path);
        if (json_array_size(list) > MAX_IMAGES)
                return set_error(err, -E2BIG, "%s: manifest.json lists more than %d images", imp->path,
                                 MAX_IMAGES);
        if (imp->o->name && json_array_size(list) > 1)
                return set_error(err, -EINVAL,
                                 "%s holds %zu images; import it without a name to keep theirs", imp->path,
                                 json_array_size(list));
        size_t i;
        json_t *img;
        json_array_foreach (list, i, img) {
                const char *cfg = json_string_value(json_object_get(img, "Config"));
                json_t *layers = json_object_get(img, "Layers");
                if (!cfg || !json_is_array(layers) || json_array_size(layers) == 0)
                        return set_error(err, -EINVAL, "%s: manifest.json[%zu] needs Config and Layers",
                                         imp->path, i);
                _cleanup_free_ char *ck = entry_key(cfg);
                Staged *cs = ck ? staged_find(imp, ck) : NULL;
                if (!cs)
                        return set_error(err, -ENOENT, "%s: config '%s' is not in the archive", imp->path,
                                         cfg);
                _cleanup_free_ char *cdata = NULL;
                size_t cn;
                r = read_full_file_at(imp->tmp_fd, cs->file, SMALL_BLOB_MAX, &cdata, &cn);
                if (r < 0)
                        return set_error(err, r, "%s: %s: %s", imp->path, cfg, strerror(-r));
                _cleanup_json_ json_t *cj = json_loadb(cdata, cn, 0, &jerr);
                json_t *diff_ids = json_object_get(json_object_get(cj, "rootfs"), "diff_ids");
                if (!json_is_object(cj) || !json_is_array(diff_ids) ||
                    json_array_size(diff_ids) != json_array_size(layers))
                        return set_error(err, -EINVAL,
                                         "%s: %s: rootfs.diff_ids does not match the %zu layers", imp->path,
                                         cfg, json_array_size(layers));

                _cleanup_json_ json_t *descs = json_array();
                char chain[DIGEST_MAX] = "";
                size_t k;
                json_t *l;
                json_array_foreach (layers, k, l) {
                        const char *ln = json_string_value(l);
                        const char *di = json_string_value(json_array_get(diff_ids, k));
                        _cleanup_free_ char *lk = ln ? entry_key(ln) : NULL;
                        Staged *ls = lk ? staged_find(imp, lk) : NULL;
                        if (!ls)
                                return set_error(err, -ENOENT, "%s: layer '%s' is not in the archive",
                                                 imp->path, strempty(ln));
                        if (!di || !digest_valid(di))
                                return set_error(err, -EINVAL,
                                                 "%s: %s: rootfs.diff_ids[%zu] is not a sha256 digest",
                                                 imp->path, cfg, k);
                        /* the layer tar's own digest is its blob digest; docker writes them
                         * uncompressed, so it is the diff ID too, which import_layer checks */
                        _cleanup_close_ int fd = openat(imp->tmp_fd, ls->file, O_RDONLY | O_CLOEXEC);
                        if (fd < 0)
                                return -errno;
                        r = import_layer(imp, k, fd, true, ls->digest, di, chain, err);
                        if (r < 0)
                                return r;
                        if (!store_has_blob(imp->s, ls->digest) && !commit_has(imp, ls->digest, false) &&
                            (r = add_commit(imp, ls->file, ls->digest, false)) < 0)
                                return r;
                        /* the media type follows what the blob is */
                        char magic[4] = {};
                        (void)!pread(fd, magic, sizeof(magic), 0);
                        const char *mt = (uint8_t)magic[0] == 0x1f && (uint8_t)magic[1] == 0x8b
                                                 ? MEDIA_TYPE_OCI_LAYER_GZIP
                                         : (uint8_t)magic[0] == 0x28 && (uint8_t)magic[1] == 0xb5
                                                 ? MEDIA_TYPE_OCI_LAYER_ZSTD
                                                 : MEDIA_TYPE_OCI_LAYER;
                        json_t *desc = json_pack("{s:s,s:s,s:I}", "mediaType", mt, "digest", ls->digest,
                                                 "size", (json_int_t)ls->size);
                        if (!desc || json_array_append_new(descs, desc) < 0)
                                return -ENOMEM;
                }
                char manifest_digest[DIGEST_MAX];
                uint64_t msize;
                r = finish_image(imp, cdata, cn, descs, manifest_digest, &msize, err);
                if (r < 0)
                        return r;
                json_t *tagsj = json_object_get(img, "RepoTags");
                _cleanup_strv_free_ char **refs = NULL;
                if (imp->o->name) {
                        _cleanup_free_ char *ref = NULL;
                        r = ref_normalize(imp->o->name, &ref, err);
                        if (r >= 0)
                                r = strv_extend(&refs, ref);
                        if (r < 0)
                                return r;
                } else {
                        size_t t;
                        json_t *tj;
                        json_array_foreach (tagsj, t, tj) {
                                _cleanup_free_ char *ref = NULL;
                                if (!json_is_string(tj))
                                        continue;
                                r = ref_normalize(json_string_value(tj), &ref, err);
                                if (r >= 0)
                                        r = strv_extend(&refs, ref);
                                if (r < 0)
                                        return r;
                        }
                }
                if (!refs) {
                        if ((r = tags_add(imp, tags, NULL, manifest_digest, msize, err)) < 0)
                                return r;
                }
                for (char **p = refs; p && *p; p++)
                        if ((r = tags_add(imp, tags, *p, manifest_digest, msize, err)) < 0)
                                return r;
        }
        return 0;
}

/* The blob of a rootfs tarball, copied and hashed by a second thread while the first unpacks the
 * same file (pread, so neither moves the other's offset): on two cores the copy costs no time. */
typedef struct BlobCopy {
        int in_fd, out_fd;
        char digest[DIGEST_MAX];
        uint64_t size;
        int r;
} BlobCopy;

static void *blob_copy_thread(void *userdata)
{
        BlobCopy *c = userdata;
        _cleanup_digest_ Digest *d = digest_new();
        _cleanup_free_ char *buf = malloc(1 << 20);
        if (!d || !buf) {
                c->r = -ENOMEM;
                return NULL;
        }
        for (;;) {
                ssize_t n = pread(c->in_fd, buf, 1 << 20, (off_t)c->size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        c->r = -errno;
                        return NULL;
                }
                if (n == 0)
                        break;
                digest_update(d, buf, n);
                c->r = loop_write(c->out_fd, buf, n);
                if (c->r < 0)
                        return NULL;
                c->size += n;
        }
        digest_final(d, c->digest);
        return NULL;
}

/* docker export: one layer, a config made here. */
static int import_rootfs(Import *imp, int fd, Tags *tags, char **err)
{
        char ldir[24], blob[24];
        new_file_name(imp, 'L', ldir);
        new_file_name(imp, 'b', blob);
        char diffp[40];
        snprintf(diffp, sizeof(diffp), "%s/diff", ldir);
        if (mkdirat(imp->tmp_fd, ldir, 0700) < 0 || mkdirat(imp->tmp_fd, diffp, 0755) < 0)
                return set_error(err, -errno, "%s/tmp: %m", imp->s->path);
        _cleanup_close_ int diff_fd = openat(imp->tmp_fd, diffp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int tee = openat(imp->tmp_fd, blob, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (diff_fd < 0 || tee < 0)
                return set_error(err, -errno, "%s/tmp: %m", imp->s->path);
        LayerResult lr = {};
        _cleanup_free_ char *lerr = NULL;
        BlobCopy copy = {.in_fd = fd, .out_fd = tee};
        pthread_t thread;
        bool threaded = pthread_create(&thread, NULL, blob_copy_thread, &copy) == 0;
        int r = layer_unpack(fd, diff_fd, threaded ? -EBADF : tee, &imp->o->limits, &lr, &lerr);
        if (threaded) {
                pthread_join(thread, NULL);
                if (r >= 0 && copy.r < 0)
                        r = set_error(&lerr, copy.r, "copying it into the store: %s", strerror(-copy.r));
                /* both read the same file: a difference means it changed meanwhile */
                if (r >= 0 && (copy.size != lr.size || !streq(copy.digest, lr.digest)))
                        r = set_error(&lerr, -EBUSY, "the file changed while it was imported");
        }
        if (r < 0)
                return set_error(err, r, "%s: %s", imp->path, strempty(lerr));

        char digest[DIGEST_MAX];
        uint64_t size = lr.size;
        snprintf(digest, sizeof(digest), "%s", lr.digest);
        const char *mt = media_type_for(lr.compression);
        if (!mt) {
                /* xz, bzip2: keep the plain tar (its digest is the diff ID) */
                char plain[24];
                new_file_name(imp, 'b', plain);
                r = decompress_to(imp, tee, plain, err);
                if (r < 0)
                        return r;
                (void)unlinkat(imp->tmp_fd, blob, 0);
                snprintf(blob, sizeof(blob), "%s", plain);
                snprintf(digest, sizeof(digest), "%s", lr.diff_id);
                size = lr.uncompressed_size;
                mt = MEDIA_TYPE_OCI_LAYER;
        }

        char chain[DIGEST_MAX];
        chain_id_next(NULL, lr.diff_id, chain);
        char chainp[40];
        snprintf(chainp, sizeof(chainp), "%s/chain", ldir);
        r = write_file_new(imp->tmp_fd, chainp, chain, strlen(chain), 0644);
        if (r < 0)
                return r;
        if (store_has_layer(imp->s, chain)) {
                imp->res->layers_reused++;
                (void)rm_rf_at(imp->tmp_fd, ldir);
        } else {
                imp->res->layers_unpacked++;
                if ((r = add_commit(imp, ldir, chain, true)) < 0)
                        return r;
        }
        if ((r = add_commit(imp, blob, digest, false)) < 0)
                return r;

        char created[32];
        now_rfc3339(created);
        const char *base = strrchr(imp->path, '/');
        _cleanup_free_ char *by = NULL;
        if (asprintf(&by, "ctrctl image import %s", base ? base + 1 : imp->path) < 0)
                return -ENOMEM;
        _cleanup_json_ json_t *config =
                json_pack("{s:s,s:s,s:s,s:{s:[s]},s:{s:s,s:[s]},s:[{s:s,s:s,s:s}]}", "created", created,
                          "architecture", host_arch(), "os", "linux", "config", "Env", DEFAULT_PATH_ENV,
                          "rootfs", "type", "layers", "diff_ids", lr.diff_id, "history", "created", created,
                          "created_by", by, "comment", "imported from a root filesystem tarball");
        _cleanup_free_ char *cdata = config ? json_dumps(config, JSON_COMPACT) : NULL;
        if (!cdata)
                return -ENOMEM;
        _cleanup_json_ json_t *layers =
                json_pack("[{s:s,s:s,s:I}]", "mediaType", mt, "digest", digest, "size", (json_int_t)size);
        if (!layers)
                return -ENOMEM;
        char manifest_digest[DIGEST_MAX];
        uint64_t msize;
        r = finish_image(imp, cdata, strlen(cdata), layers, manifest_digest, &msize, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *ref = NULL;
        if (imp->o->name && (r = ref_normalize(imp->o->name, &ref, err)) < 0)
                return r;
        return tags_add(imp, tags, ref, manifest_digest, msize, err);
}

/* Under the store's exclusive lock: move what was staged into place, then name it. */
static int commit(Import *imp, Tags *tags, char **err)
{
        int r = store_lock(imp->s, LOCK_EX);
        if (r < 0)
                return set_error(err, r, "cannot lock %s: %s", imp->s->path, strerror(-r));
        for (size_t i = 0; r >= 0 && i < imp->n_commits; i++) {
                Commit *c = imp->commits + i;
                r = c->layer ? store_commit_layer(imp->s, imp->tmp_fd, c->file, c->id, err)
                             : store_commit_blob(imp->s, imp->tmp_fd, c->file, c->id, err);
        }
        _cleanup_json_ json_t *index = NULL;
        if (r >= 0)
                r = store_index_load(imp->s, &index, err);
        for (size_t i = 0; r >= 0 && i < tags->n; i++) {
                Tag *t = tags->v + i;
                if (!store_has_blob(imp->s, t->digest)) {
                        r = set_error(err, -ENOENT, "manifest %s did not reach the store", t->digest);
                        break;
                }
                if (t->ref)
                        r = store_index_tag(index, t->ref, t->digest, t->size);
                else {
                        /* an unnamed image: listed by digest alone (once) */
                        json_t *manifests = json_object_get(index, "manifests"), *d;
                        size_t k;
                        bool found = false;
                        json_array_foreach (manifests, k, d)
                                found = found || streq_ptr(json_string_value(json_object_get(d, "digest")),
                                                           t->digest);
                        if (!found)
                                r = json_array_append_new(manifests, json_pack("{s:s,s:s,s:I}", "mediaType",
                                                                               MEDIA_TYPE_OCI_MANIFEST,
                                                                               "digest", t->digest, "size",
                                                                               (json_int_t)t->size)) < 0
                                            ? -ENOMEM
                                            : 0;
                }
                if (r >= 0)
                        r = strv_extend(&imp->res->manifest_digests, t->digest);
                if (r >= 0 && t->ref)
                        r = strv_extend(&imp->res->refs, t->ref);
        }
        if (r >= 0)
                r = store_index_save(imp->s, index, err);
        store_lock(imp->s, LOCK_UN);
        return r;
}

int image_import(Store *s, const char *path, const ImportOptions *o, ImportResult *ret, char **err)
{
        Import imp = {.s = s, .o = o, .path = path, .tmp_fd = -EBADF, .src_dir_fd = -EBADF, .res = ret};
        Tags tags = {};
        *ret = (ImportResult){};

        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return set_error(err, -errno, "%s: %m", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return set_error(err, -errno, "%s: %m", path);
        ImportKind kind = o->kind;
        int r = 0;
        if (S_ISDIR(st.st_mode)) {
                if (faccessat(fd, "oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                        return set_error(err, -EINVAL,
                                         "%s: a directory without an oci-layout file (only OCI image "
                                         "layouts are imported "
                                         "from directories; use RootDirectory= for a plain root filesystem)",
                                         path);
                kind = IMPORT_OCI_LAYOUT;
                imp.src_dir_fd = TAKE_FD(fd);
        } else if (!S_ISREG(st.st_mode))
                return set_error(err, -EINVAL, "%s: not a regular file or directory", path);
        else if (kind == IMPORT_AUTO) {
                r = detect_tar(fd, path, &kind, err);
                if (r < 0)
                        return r;
        }

        /* what this import finds in the store (a layer, a blob it reuses) stays there until
         * it has committed: garbage collection waits */
        r = store_lock_gc(s, LOCK_SH);
        if (r < 0)
                return set_error(err, r, "cannot lock %s: %s", s->path, strerror(-r));
        r = store_tmp_dir(s, &imp.tmp_fd, &imp.tmp_name, err);
        if (r < 0)
                goto finish;
        switch (kind) {
        case IMPORT_OCI_LAYOUT:
                r = import_oci(&imp, &tags, err);
                break;
        case IMPORT_ROOTFS:
                r = import_rootfs(&imp, fd, &tags, err);
                break;
        default:
                r = stage_archive(&imp, fd, err);
                if (r < 0)
                        break;
                if (staged_find(&imp, "oci-layout") && staged_find(&imp, "index.json"))
                        r = import_oci(&imp, &tags, err);
                else
                        r = import_docker(&imp, &tags, err);
                break;
        }
        if (r >= 0)
                r = commit(&imp, &tags, err);
finish:
        tags_done(&tags);
        import_done(&imp);
        store_lock_gc(s, LOCK_UN);
        if (r < 0)
                import_result_done(ret);
        return r;
}
