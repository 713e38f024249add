/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "json-util.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define INDEX_MAX (16u << 20)
#define MANIFEST_MAX (4u << 20) /* the distribution spec's limit, as imports apply it */
#define CONFIG_MAX (8u << 20)

Image *image_free(Image *i)
{
        if (!i)
                return NULL;
        strv_free(i->refs);
        json_decref(i->manifest);
        json_decref(i->config);
        free(i->config_data);
        for (size_t k = 0; k < i->n_layers; k++)
                free(i->layers[k].media_type);
        free(i->layers);
        free(i);
        return NULL;
}

void image_list_free(Image **l, size_t n)
{
        for (size_t i = 0; i < n; i++)
                image_free(l[i]);
        free(l);
}

Store *store_close(Store *s)
{
        if (!s)
                return NULL;
        safe_close(s->lock_fd);
        safe_close(s->gc_lock_fd);
        safe_close(s->dir_fd);
        free(s->path);
        free(s);
        return NULL;
}

static int mkdirat_ok(int dir_fd, const char *name, mode_t mode)
{
        if (mkdirat(dir_fd, name, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int store_open(const char *path, bool create, Store **ret, char **err)
{
        if (!path)
                path = getenv("CTR_STORAGE_DIR");
        if (!path || !*path)
                path = STORE_DEFAULT_DIR;
        if (path[0] != '/')
                return set_error(err, -EINVAL, "storage directory '%s' is not an absolute path", path);

        _cleanup_free_ Store *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->dir_fd = s->lock_fd = s->gc_lock_fd = -EBADF;

        if (create) {
                int r = mkdir_p(path, 0700);
                if (r < 0)
                        return set_error(err, r, "cannot create %s: %s", path, strerror(-r));
        }
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                int r = -errno;
                if (r == -ENOENT)
                        return set_error(err, r, "no image store at %s (import an image first)", path);
                return set_error(err, r, "cannot open %s: %s", path, strerror(-r));
        }
        s->dir_fd = fd;
        if (create) {
                static const char *const dirs[] = {"blobs", "blobs/sha256", "layers", "containers", "tmp"};
                for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                        int r = mkdirat_ok(fd, dirs[i], 0700);
                        if (r < 0) {
                                safe_close(fd);
                                return set_error(err, r, "cannot create %s/%s: %s", path, dirs[i],
                                                 strerror(-r));
                        }
                }
                struct stat st;
                if (fstatat(fd, "oci-layout", &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
                        int r = write_file_atomic(fd, "oci-layout", layout, sizeof(layout) - 1, 0644);
                        if (r < 0) {
                                safe_close(fd);
                                return set_error(err, r, "cannot write %s/oci-layout: %s", path,
                                                 strerror(-r));
                        }
                }
                if (fstatat(fd, "index.json", &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        static const char index[] =
                                "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_TYPE_OCI_INDEX
                                "\",\"manifests\":[]}";
                        int r = write_file_atomic(fd, "index.json", index, sizeof(index) - 1, 0644);
                        if (r < 0) {
                                safe_close(fd);
                                return set_error(err, r, "cannot write %s/index.json: %s", path,
                                                 strerror(-r));
                        }
                }
        }
        /* a layout skopeo or umoci made has no lock file yet: made on first use; a read-only
         * store (EROFS, EACCES) is read without one */
        s->lock_fd = openat(fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (s->lock_fd < 0 && (errno == EROFS || errno == EACCES))
                s->lock_fd = openat(fd, "lock", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (s->lock_fd < 0 && (create || (errno != ENOENT && errno != EROFS && errno != EACCES))) {
                int r = -errno;
                safe_close(fd);
                return set_error(err, r, "cannot open %s/lock: %s", path, strerror(-r));
        }
        s->path = strdup(path);
        if (!s->path) {
                safe_close(s->lock_fd);
                safe_close(fd);
                return -ENOMEM;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

int store_lock(Store *s, int mode)
{
        if (s->lock_fd < 0)
                return mode == LOCK_EX ? -EROFS : 0; /* a store we cannot write: readers need no lock */
        return flock(s->lock_fd, mode) < 0 ? -errno : 0;
}

int store_lock_gc(Store *s, int mode)
{
        if (s->gc_lock_fd < 0) {
                s->gc_lock_fd =
                        openat(s->dir_fd, "gc.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (s->gc_lock_fd < 0 && (errno == EROFS || errno == EACCES))
                        s->gc_lock_fd = openat(s->dir_fd, "gc.lock", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                if (s->gc_lock_fd < 0)
                        return mode == LOCK_EX || (errno != EROFS && errno != EACCES && errno != ENOENT)
                                       ? -errno
                                       : 0;
        }
        return flock(s->gc_lock_fd, mode) < 0 ? -errno : 0;
}

/* Reference grammar, after the distribution spec: name components [a-z0-9]+ joined by '.', '_',
 * '__' or '-'s, separated by '/'; the first component may be a registry host[:port]; the tag
 * [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
static bool name_component_valid(const char *s, size_t n)
{
        if (n == 0 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
                return false;
        if (!(islower((unsigned char)s[n - 1]) || isdigit((unsigned char)s[n - 1])))
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = s[i];
                if (islower(c) || isdigit(c))
                        continue;
                if (c == '.' || c == '_' || c == '-') {
                        if (c == '.' && (s[i + 1] == '.' || s[i + 1] == '_' || s[i + 1] == '-'))
                                return false;
                        continue;
                }
                return false;
        }
        return true;
}

static bool host_component_valid(const char *s, size_t n)
{
        /* host[:port], the host may have upper case letters and must contain '.' or ':' or be
         * "localhost" to count as a host at all (decided by the caller) */
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = s[i];
                if (!(isalnum(c) || c == '.' || c == '-' || c == ':'))
                        return false;
        }
        return s[0] != '.' && s[0] != '-' && s[0] != ':';
}

static bool tag_valid(const char *t)
{
        size_t n = strlen(t);
        if (n == 0 || n > 128)
                return false;
        if (!(isalnum((unsigned char)t[0]) || t[0] == '_'))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
                        return false;
        return true;
}

int ref_normalize(const char *ref, char **ret, char **err)
{
        if (!ref || !*ref)
                return set_error(err, -EINVAL, "empty image name");
        if (strlen(ref) > 255)
                return set_error(err, -EINVAL, "image name '%.40s…' is longer than 255 characters", ref);
        if (strchr(ref, '@'))
                return set_error(err, -EINVAL,
                                 "'%s': name@digest references are not supported here; use the digest alone",
                                 ref);

        /* docker's familiar form: docker.io/library/busybox is busybox, docker.io/u/x is u/x */
        const char *fam;
        if ((fam = startswith(ref, "docker.io/")) || (fam = startswith(ref, "index.docker.io/"))) {
                const char *lib = startswith(fam, "library/");
                ref = lib && !strchr(lib, '/') ? lib : fam;
        }

        /* the tag: after the last ':' that follows the last '/' */
        const char *slash = strrchr(ref, '/');
        const char *colon = strrchr(slash ?: ref, ':');
        size_t name_len = colon ? (size_t)(colon - ref) : strlen(ref);
        const char *tag = colon ? colon + 1 : "latest";
        if (!tag_valid(tag))
                return set_error(err, -EINVAL,
                                 "'%s': invalid tag '%s' (letters, digits, '_', '.', '-'; at most 128)", ref,
                                 tag);

        /* the components */
        const char *p = ref, *end = ref + name_len;
        bool first = true;
        while (p < end) {
                const char *q = memchr(p, '/', end - p) ?: end;
                size_t n = q - p;
                bool is_host =
                        first && q != end &&
                        (memchr(p, '.', n) || memchr(p, ':', n) || (n == 9 && !strncmp(p, "localhost", 9)));
                if (is_host ? !host_component_valid(p, n) : !name_component_valid(p, n))
                        return set_error(
                                err, -EINVAL,
                                "'%s': invalid image name (lower-case letters, digits and '.', '_', '-' "
                                "between them, components separated by '/')",
                                ref);
                first = false;
                p = q + (q != end);
                if (q != end && p == end)
                        return set_error(err, -EINVAL, "'%s': invalid image name (ends in '/')", ref);
        }
        if (name_len == 0)
                return set_error(err, -EINVAL, "'%s': no image name before the tag", ref);

        char *s;
        if (asprintf(&s, "%.*s:%s", (int)name_len, ref, tag) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int store_index_load(Store *s, json_t **ret, char **err)
{
        _cleanup_free_ char *data = NULL;
        size_t n;
        int r = read_full_file_at(s->dir_fd, "index.json", INDEX_MAX, &data, &n);
        if (r == -ENOENT) {
                *ret = json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType", MEDIA_TYPE_OCI_INDEX,
                                 "manifests");
                return *ret ? 0 : -ENOMEM;
        }
        if (r < 0)
                return set_error(err, r, "%s/index.json: %s", s->path, strerror(-r));
        json_error_t jerr;
        json_t *j = json_loadb(data, n, 0, &jerr);
        if (!j)
                return set_error(err, -EINVAL, "%s/index.json:%d: %s", s->path, jerr.line, jerr.text);
        json_t *m = json_object_get(j, "manifests");
        if (!json_is_object(j) || (m && !json_is_array(m))) {
                json_decref(j);
                return set_error(err, -EINVAL, "%s/index.json: not an image index", s->path);
        }
        if (!m)
                json_object_set_new(j, "manifests", json_array());
        *ret = j;
        return 0;
}

int store_index_save(Store *s, json_t *index, char **err)
{
        _cleanup_free_ char *data = json_dumps(index, JSON_COMPACT);
        if (!data)
                return -ENOMEM;
        int r = write_file_atomic(s->dir_fd, "index.json", data, strlen(data), 0644);
        if (r < 0)
                return set_error(err, r, "cannot write %s/index.json: %s", s->path, strerror(-r));
        return 0;
}

static const char *descriptor_ref(json_t *d)
{
        return json_string_value(json_object_get(json_object_get(d, "annotations"), REF_NAME_ANNOTATION));
}

int store_index_tag(json_t *index, const char *ref, const char *manifest_digest, uint64_t manifest_size)
{
        json_t *manifests = json_object_get(index, "manifests");
        size_t i;
        json_t *d;

        /* drop what the ref named before */
        for (i = 0; i < json_array_size(manifests);) {
                d = json_array_get(manifests, i);
                if (streq_ptr(descriptor_ref(d), ref))
                        json_array_remove(manifests, i);
                else
                        i++;
        }
        d = json_pack("{s:s,s:s,s:I,s:{s:s}}", "mediaType", MEDIA_TYPE_OCI_MANIFEST, "digest",
                      manifest_digest, "size", (json_int_t)manifest_size, "annotations", REF_NAME_ANNOTATION,
                      ref);
        if (!d || json_array_append_new(manifests, d) < 0)
                return -ENOMEM;
        return 0;
}

bool store_has_blob(Store *s, const char *digest)
{
        if (!digest_valid(digest))
                return false;
        char path[128];
        snprintf(path, sizeof(path), "blobs/sha256/%s", digest_hex(digest));
        struct stat st;
        return fstatat(s->dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

int64_t store_blob_size(Store *s, const char *digest)
{
        if (!digest_valid(digest))
                return -EINVAL;
        char path[128];
        snprintf(path, sizeof(path), "blobs/sha256/%s", digest_hex(digest));
        struct stat st;
        if (fstatat(s->dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return S_ISREG(st.st_mode) ? (int64_t)st.st_size : -EBADMSG;
}

int store_open_blob(Store *s, const char *digest, int *ret_fd, char **err)
{
        if (!digest_valid(digest))
                return set_error(err, -EINVAL, "'%.80s' is not a sha256 digest", strempty(digest));
        char path[128];
        snprintf(path, sizeof(path), "blobs/sha256/%s", digest_hex(digest));
        int fd = openat(s->dir_fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                int r = -errno;
                return set_error(err, r, "blob %s: %s", digest,
                                 r == -ENOENT ? "missing from the store" : strerror(-r));
        }
        *ret_fd = fd;
        return 0;
}

int store_read_blob(Store *s, const char *digest, size_t max, char **ret, size_t *ret_size, char **err)
{
        _cleanup_close_ int fd = -EBADF;
        int r = store_open_blob(s, digest, &fd, err);
        if (r < 0)
                return r;
        r = read_full_fd(fd, max, ret, ret_size);
        if (r == -EFBIG || r == -E2BIG)
                return set_error(err, r, "blob %s is larger than %zu bytes", digest, max);
        if (r < 0)
                return set_error(err, r, "blob %s: %s", digest, strerror(-r));
        /* small JSON blobs are checked on every read: they decide which other blobs are used */
        char d[DIGEST_MAX];
        digest_buffer(*ret, *ret_size, d);
        if (!streq(d, digest)) {
                free(TAKE_PTR(*ret));
                return set_error(err, -EBADMSG, "blob %s is corrupt (its content hashes to %s)", digest, d);
        }
        return 0;
}

int chain_id_next(const char *parent_chain, const char *diff_id, char out[static DIGEST_MAX])
{
        if (!parent_chain) {
                snprintf(out, DIGEST_MAX, "%s", diff_id);
                return 0;
        }
        char buf[2 * DIGEST_MAX + 2];
        int n = snprintf(buf, sizeof(buf), "%s %s", parent_chain, diff_id);
        return digest_buffer(buf, n, out);
}

void layer_dir_name(const char *chain_id, char out[static STORE_LAYER_ID_LEN + 1])
{
        snprintf(out, STORE_LAYER_ID_LEN + 1, "%s", digest_hex(chain_id));
}

bool store_has_layer(Store *s, const char *chain_id)
{
        char id[STORE_LAYER_ID_LEN + 1], path[64];
        layer_dir_name(chain_id, id);
        snprintf(path, sizeof(path), "layers/%s/chain", id);
        _cleanup_free_ char *c = NULL;
        size_t n;
        if (read_full_file_at(s->dir_fd, path, DIGEST_MAX, &c, &n) < 0)
                return false;
        if (n > 0 && c[n - 1] == '\n')
                c[n - 1] = 0;
        return streq(c, chain_id);
}

/* Parse one manifest into img (digest and size known); reads the config blob. */
static int image_load_manifest(Store *s, Image *img, char **err)
{
        _cleanup_free_ char *data = NULL;
        size_t n;
        int r = store_read_blob(s, img->manifest_digest, MANIFEST_MAX, &data, &n, err);
        if (r < 0)
                return r;
        json_error_t jerr;
        img->manifest = json_loadb(data, n, 0, &jerr);
        if (!img->manifest || !json_is_object(img->manifest))
                return set_error(err, -EINVAL, "manifest %s is not a JSON object", img->manifest_digest);
        const char *mt = json_string_value(json_object_get(img->manifest, "mediaType"));
        if (json_object_get(img->manifest, "manifests"))
                return set_error(err, -EINVAL, "manifest %s has 'manifests': an index is not an image",
                                 img->manifest_digest);
        if (mt && !streq(mt, MEDIA_TYPE_OCI_MANIFEST) && !streq(mt, MEDIA_TYPE_DOCKER_MANIFEST))
                return set_error(err, -EINVAL, "manifest %s: unsupported media type '%s'",
                                 img->manifest_digest, mt);

        json_t *config = json_object_get(img->manifest, "config");
        const char *cd = json_string_value(json_object_get(config, "digest"));
        if (!cd || !digest_valid(cd))
                return set_error(err, -EINVAL, "manifest %s: config.digest is not a sha256 digest",
                                 img->manifest_digest);
        snprintf(img->config_digest, sizeof(img->config_digest), "%s", cd);
        r = store_read_blob(s, cd, CONFIG_MAX, &img->config_data, &img->config_size, err);
        if (r < 0)
                return r;
        img->config = json_loadb(img->config_data, img->config_size, 0, &jerr);
        if (!img->config || !json_is_object(img->config))
                return set_error(err, -EINVAL, "image config %s is not a JSON object", cd);

        json_t *layers = json_object_get(img->manifest, "layers");
        json_t *diff_ids = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
        if (!json_is_array(layers) || !json_is_array(diff_ids) ||
            json_array_size(layers) != json_array_size(diff_ids))
                return set_error(err, -EINVAL,
                                 "manifest %s: its layers and the config's rootfs.diff_ids do not match",
                                 img->manifest_digest);
        img->n_layers = json_array_size(layers);
        img->layers = calloc(img->n_layers ?: 1, sizeof(ImageLayer));
        if (!img->layers)
                return -ENOMEM;
        const char *parent = NULL;
        for (size_t i = 0; i < img->n_layers; i++) {
                ImageLayer *l = img->layers + i;
                json_t *d = json_array_get(layers, i);
                const char *ld = json_string_value(json_object_get(d, "digest"));
                const char *di = json_string_value(json_array_get(diff_ids, i));
                if (!ld || !digest_valid(ld) || !di || !digest_valid(di))
                        return set_error(err, -EINVAL, "manifest %s: layers[%zu]: bad digest",
                                         img->manifest_digest, i);
                snprintf(l->digest, sizeof(l->digest), "%s", ld);
                snprintf(l->diff_id, sizeof(l->diff_id), "%s", di);
                chain_id_next(parent, di, l->chain_id);
                parent = l->chain_id;
                l->media_type =
                        strdup(json_string_value(json_object_get(d, "mediaType")) ?: MEDIA_TYPE_OCI_LAYER);
                if (!l->media_type)
                        return -ENOMEM;
                json_int_t sz = json_integer_value(json_object_get(d, "size"));
                l->size = sz > 0 ? (uint64_t)sz : 0;
        }
        return 0;
}

static int image_add_ref(Image *img, const char *ref)
{
        return ref ? strv_extend(&img->refs, ref) : 0;
}

int store_list_images(Store *s, Image ***ret, size_t *ret_n, char **err)
{
        _cleanup_json_ json_t *index = NULL;
        int r = store_index_load(s, &index, err);
        if (r < 0)
                return r;
        Image **l = NULL;
        size_t n = 0;
        json_t *manifests = json_object_get(index, "manifests"), *d;
        size_t i;
        json_array_foreach (manifests, i, d) {
                const char *md = json_string_value(json_object_get(d, "digest"));
                if (!md || !digest_valid(md))
                        continue;
                Image *found = NULL;
                for (size_t k = 0; k < n; k++)
                        if (streq(l[k]->manifest_digest, md))
                                found = l[k];
                if (found) {
                        if (image_add_ref(found, descriptor_ref(d)) < 0)
                                goto oom;
                        continue;
                }
                Image *img = calloc(1, sizeof(*img));
                if (!img)
                        goto oom;
                snprintf(img->manifest_digest, sizeof(img->manifest_digest), "%s", md);
                json_int_t sz = json_integer_value(json_object_get(d, "size"));
                img->manifest_size = sz > 0 ? (uint64_t)sz : 0;
                _cleanup_free_ char *e = NULL;
                r = image_load_manifest(s, img, &e);
                if (r < 0) {
                        /* one broken entry (e.g. a nested index skopeo wrote) does not hide the rest */
                        log_debug("skipping %s: %s", md, strempty(e));
                        image_free(img);
                        continue;
                }
                if (image_add_ref(img, descriptor_ref(d)) < 0) {
                        image_free(img);
                        goto oom;
                }
                Image **nl = realloc(l, (n + 1) * sizeof(*l));
                if (!nl) {
                        image_free(img);
                        goto oom;
                }
                l = nl;
                l[n++] = img;
        }
        *ret = l;
        *ret_n = n;
        return 0;
oom:
        image_list_free(l, n);
        return -ENOMEM;
}

static bool hex_prefix(const char *s)
{
        size_t n = strlen(s);
        if (n < 6 || n > DIGEST_HEX_LEN)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
                        return false;
        return true;
}

/* The image a manifest digest or a name of index.json points at, loading only that manifest: the
 * common case (a name, or the digest 'ctrctl run' pins) costs one manifest and one config read
 * however many images the store holds. 0 with *ret NULL when the index has no such entry. */
static int find_in_index(Store *s, const char *digest, const char *ref, Image **ret, char **err)
{
        _cleanup_json_ json_t *index = NULL;
        int r = store_index_load(s, &index, err);
        if (r < 0)
                return r;
        json_t *manifests = json_object_get(index, "manifests"), *d;
        size_t i;
        const char *md = NULL;
        json_int_t size = 0;
        json_array_foreach (manifests, i, d) {
                const char *dg = json_string_value(json_object_get(d, "digest"));
                if (dg && digest_valid(dg) &&
                    ((digest && streq(dg, digest)) || (ref && streq_ptr(descriptor_ref(d), ref)))) {
                        md = dg;
                        size = json_integer_value(json_object_get(d, "size"));
                        break;
                }
        }
        *ret = NULL;
        if (!md)
                return 0;
        _cleanup_image_ Image *img = calloc(1, sizeof(*img));
        if (!img)
                return -ENOMEM;
        snprintf(img->manifest_digest, sizeof(img->manifest_digest), "%s", md);
        img->manifest_size = size > 0 ? (uint64_t)size : 0;
        json_array_foreach (manifests, i, d)
                if (streq_ptr(json_string_value(json_object_get(d, "digest")), img->manifest_digest) &&
                    image_add_ref(img, descriptor_ref(d)) < 0)
                        return -ENOMEM;
        r = image_load_manifest(s, img, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(img);
        return 0;
}

int store_find_image(Store *s, const char *what, Image **ret, char **err)
{
        _cleanup_free_ char *ref = NULL;
        bool by_digest = digest_valid(what);
        const char *prefix = startswith(what, DIGEST_PREFIX) ?: what;
        bool by_prefix = hex_prefix(prefix);
        if (!by_digest)
                (void)ref_normalize(what, &ref, NULL);

        int r = find_in_index(s, by_digest ? what : NULL, ref, ret, err);
        if (r < 0 || *ret)
                return r;

        /* an image ID (config digest) or a prefix: every manifest is looked at */
        Image **l = NULL;
        size_t n = 0;
        r = store_list_images(s, &l, &n, err);
        if (r < 0)
                return r;

        Image *match = NULL;
        size_t n_prefix_matches = 0;
        const char *first_config = NULL;
        for (size_t i = 0; i < n && !match; i++) {
                Image *img = l[i];
                if (by_digest && (streq(img->manifest_digest, what) || streq(img->config_digest, what)))
                        match = img;
                for (char **p = img->refs; ref && p && *p && !match; p++)
                        if (streq(*p, ref))
                                match = img;
        }
        if (!match && by_prefix)
                for (size_t i = 0; i < n; i++)
                        if (startswith(digest_hex(l[i]->config_digest), prefix) ||
                            startswith(digest_hex(l[i]->manifest_digest), prefix)) {
                                /* manifests of one config (a layout and a docker-archive of the
                                 * same image) are one image ID: the first is as good as any */
                                if (first_config && streq(first_config, l[i]->config_digest))
                                        continue;
                                if (!match)
                                        first_config = l[i]->config_digest;
                                match = match ?: l[i];
                                n_prefix_matches++;
                        }
        if (n_prefix_matches > 1) {
                image_list_free(l, n);
                return set_error(err, -EINVAL, "'%s' names more than one image; give more digits", what);
        }
        if (!match) {
                image_list_free(l, n);
                return set_error(err, -ENOENT, "no image '%s' in %s", what, s->path);
        }
        for (size_t i = 0; i < n; i++)
                if (l[i] == match)
                        l[i] = NULL;
        image_list_free(l, n);
        *ret = match;
        return 0;
}

/* tmp/: each process's work dir is flock'ed while it lives */
void store_clean_tmp(Store *s)
{
        int fd = openat(s->dir_fd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return;
        DIR *d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (de->d_name[0] == '.') {
                        /* ".new-*": a dir between its mkdir and its lock (store_tmp_dir()); only
                         * one a crash left there long ago is garbage */
                        struct stat st;
                        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                            st.st_mtime > time(NULL) - 600)
                                continue;
                }
                int e = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
                if (e >= 0 && flock(e, LOCK_EX | LOCK_NB) < 0) {
                        safe_close(e); /* in use */
                        continue;
                }
                safe_close(e);
                log_debug("removing %s/tmp/%s, left by an interrupted run", s->path, de->d_name);
                (void)rm_rf_at(dirfd(d), de->d_name);
        }
        closedir(d);
}

int store_tmp_dir(Store *s, int *ret_fd, char **ret_name, char **err)
{
        store_clean_tmp(s);
        int tmp = openat(s->dir_fd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (tmp < 0)
                return set_error(err, -errno, "%s/tmp: %m", s->path);
        for (int tries = 0; tries < 100; tries++) {
                char name[32];
                uint64_t rnd;
                if (getentropy(&rnd, sizeof(rnd)) < 0)
                        rnd = ((uint64_t)getpid() << 32) ^ (uint64_t)tries;
                char newname[40];
                snprintf(name, sizeof(name), "%016llx", (unsigned long long)rnd);
                snprintf(newname, sizeof(newname), ".new-%s", name);
                /* made under a dot name and locked before it gets its real one: another
                 * process's cleanup must never see it unlocked */
                if (mkdirat(tmp, newname, 0700) < 0) {
                        if (errno == EEXIST)
                                continue;
                        int r = -errno;
                        safe_close(tmp);
                        return set_error(err, r, "cannot create a directory in %s/tmp: %s", s->path,
                                         strerror(-r));
                }
                int fd = openat(tmp, newname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || flock(fd, LOCK_EX) < 0 ||
                    renameat2(tmp, newname, tmp, name, RENAME_NOREPLACE) < 0) {
                        int r = -errno;
                        safe_close(fd);
                        (void)unlinkat(tmp, newname, AT_REMOVEDIR);
                        if (r == -EEXIST)
                                continue;
                        safe_close(tmp);
                        return set_error(err, r, "cannot create a directory in %s/tmp: %s", s->path,
                                         strerror(-r));
                }
                safe_close(tmp);
                *ret_name = strdup(name);
                if (!*ret_name) {
                        safe_close(fd);
                        return -ENOMEM;
                }
                *ret_fd = fd;
                return 0;
        }
        safe_close(tmp);
        return set_error(err, -EEXIST, "cannot make a temporary directory in %s/tmp", s->path);
}

int store_commit_blob(Store *s, int tmp_fd, const char *tmp_name, const char *digest, char **err)
{
        if (!digest_valid(digest))
                return set_error(err, -EINVAL, "'%s' is not a sha256 digest", digest);
        char path[128];
        snprintf(path, sizeof(path), "blobs/sha256/%s", digest_hex(digest));
        if (store_has_blob(s, digest)) {
                (void)unlinkat(tmp_fd, tmp_name, 0);
                return 0;
        }
        (void)fchmodat(tmp_fd, tmp_name, 0644, 0);
        if (renameat(tmp_fd, tmp_name, s->dir_fd, path) < 0)
                return set_error(err, -errno, "cannot store blob %s: %m", digest);
        return 0;
}

int store_commit_layer(Store *s, int tmp_fd, const char *tmp_name, const char *chain_id, char **err)
{
        char id[STORE_LAYER_ID_LEN + 1], path[64];
        layer_dir_name(chain_id, id);
        snprintf(path, sizeof(path), "layers/%s", id);
        if (store_has_layer(s, chain_id)) {
                (void)rm_rf_at(tmp_fd, tmp_name);
                return 0;
        }
        struct stat st;
        if (fstatat(s->dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                /* same short id, different chain (or a half-made layer of an old version) */
                _cleanup_free_ char *c = NULL;
                size_t n;
                snprintf(path, sizeof(path), "layers/%s/chain", id);
                if (read_full_file_at(s->dir_fd, path, DIGEST_MAX, &c, &n) >= 0)
                        return set_error(err, -EEXIST,
                                         "layer id %s is taken by another chain ID (%.*s); cannot store %s",
                                         id, (int)n, c, chain_id);
                snprintf(path, sizeof(path), "layers/%s", id);
                (void)rm_rf_at(s->dir_fd, path);
        }
        if (renameat(tmp_fd, tmp_name, s->dir_fd, path) < 0)
                return set_error(err, -errno, "cannot store layer %s: %m", chain_id);
        return 0;
}

/* The blobs and layers an image needs. */
static int image_mark(const Image *img, char ***blobs, char ***layers)
{
        int r = strv_extend(blobs, img->manifest_digest);
        if (r >= 0)
                r = strv_extend(blobs, img->config_digest);
        for (size_t i = 0; r >= 0 && i < img->n_layers; i++) {
                r = strv_extend(blobs, img->layers[i].digest);
                if (r >= 0) {
                        char id[STORE_LAYER_ID_LEN + 1];
                        layer_dir_name(img->layers[i].chain_id, id);
                        r = strv_extend(layers, id);
                }
        }
        return r;
}

static bool strv_contains(char **l, const char *s)
{
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

static uint64_t du_at(int dir_fd, const char *name)
{
        struct stat st;
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;
        if (!S_ISDIR(st.st_mode))
                return S_ISREG(st.st_mode) ? (uint64_t)st.st_blocks * 512 : 0;
        int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return 0;
        DIR *d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return 0;
        }
        uint64_t sum = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        sum += du_at(dirfd(d), de->d_name);
        closedir(d);
        return sum;
}

/* Every name of a directory (but dot files). */
static int list_dir(int dir_fd, const char *path, char ***ret)
{
        int fd = openat(dir_fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -ENOMEM;
        }
        struct dirent *de;
        int r = 0;
        while (r >= 0 && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        r = strv_extend(ret, de->d_name);
        closedir(d);
        return r;
}

int store_gc(Store *s, GcStats *ret, char **err)
{
        GcStats st = {};
        _cleanup_strv_free_ char **keep_blobs = NULL, **keep_layers = NULL, **names = NULL,
                                 **containers = NULL;
        _cleanup_json_ json_t *index = NULL, *todo = NULL;
        int r = store_index_load(s, &index, err);
        if (r < 0)
                return r;

        /* everything the index references, nested indexes included (skopeo may write them) */
        todo = json_array();
        if (!todo)
                return -ENOMEM;
        json_array_extend(todo, json_object_get(index, "manifests"));
        for (size_t i = 0; i < json_array_size(todo) && i < 100000; i++) {
                json_t *d = json_array_get(todo, i);
                const char *dg = json_string_value(json_object_get(d, "digest"));
                if (!dg || !digest_valid(dg) || strv_contains(keep_blobs, dg))
                        continue;
                if (strv_extend(&keep_blobs, dg) < 0)
                        return -ENOMEM;
                const char *mt = json_string_value(json_object_get(d, "mediaType"));
                if (!mt || (!strstr(mt, "manifest") && !strstr(mt, "index")))
                        continue;
                _cleanup_free_ char *data = NULL;
                size_t n;
                /* what cannot be read cannot be followed: better keep everything than delete the
                 * layers of an image still named */
                r = store_read_blob(s, dg, MANIFEST_MAX, &data, &n, NULL);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return set_error(
                                err, r,
                                "cannot read %s, which index.json references: %s; not collecting garbage",
                                dg, strerror(-r));
                _cleanup_json_ json_t *m = json_loadb(data, n, 0, NULL);
                json_array_extend(todo, json_object_get(m, "manifests"));
                json_t *c = json_object_get(m, "config");
                if (c)
                        json_array_append(todo, c);
                json_array_extend(todo, json_object_get(m, "layers"));
        }
        Image **images = NULL;
        size_t n_images = 0;
        r = store_list_images(s, &images, &n_images, err);
        if (r < 0)
                return r;
        for (size_t i = 0; r >= 0 && i < n_images; i++)
                r = image_mark(images[i], &keep_blobs, &keep_layers);
        image_list_free(images, n_images);
        if (r < 0)
                return r;

        /* layers containers still use */
        r = list_dir(s->dir_fd, "containers", &containers);
        if (r < 0)
                return set_error(err, r, "%s/containers: %s", s->path, strerror(-r));
        for (char **c = containers; c && *c; c++) {
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "containers/%s/layers", *c);
                _cleanup_free_ char *data = NULL;
                size_t n;
                if (read_full_file_at(s->dir_fd, path, 1 << 20, &data, &n) < 0)
                        continue;
                for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n"))
                        if (strv_extend(&keep_layers, line) < 0)
                                return -ENOMEM;
        }

        r = list_dir(s->dir_fd, "blobs/sha256", &names);
        if (r < 0)
                return set_error(err, r, "%s/blobs/sha256: %s", s->path, strerror(-r));
        int bfd = openat(s->dir_fd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (char **b = names; bfd >= 0 && b && *b; b++) {
                char d[DIGEST_MAX];
                snprintf(d, sizeof(d), DIGEST_PREFIX "%s", *b);
                if (strv_contains(keep_blobs, d))
                        continue;
                uint64_t sz = du_at(bfd, *b);
                if (unlinkat(bfd, *b, 0) == 0) {
                        st.blobs++;
                        st.bytes += sz;
                }
        }
        safe_close(bfd);
        names = strv_free(names);

        r = list_dir(s->dir_fd, "layers", &names);
        if (r < 0)
                return set_error(err, r, "%s/layers: %s", s->path, strerror(-r));
        int lfd = openat(s->dir_fd, "layers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (char **l = names; lfd >= 0 && l && *l; l++) {
                if (strv_contains(keep_layers, *l))
                        continue;
                uint64_t sz = du_at(lfd, *l);
                if (rm_rf_at(lfd, *l) == 0) {
                        st.layers++;
                        st.bytes += sz;
                }
        }
        safe_close(lfd);
        store_clean_tmp(s);
        if (ret)
                *ret = st;
        return 0;
}

int store_remove_image(Store *s, const char *what, char ***ret_removed, char **err)
{
        _cleanup_image_ Image *img = NULL;
        int r = store_find_image(s, what, &img, err);
        if (r < 0)
                return r;
        _cleanup_json_ json_t *index = NULL;
        r = store_index_load(s, &index, err);
        if (r < 0)
                return r;

        /* a name removes that name; a digest or ID removes every name of the image */
        _cleanup_free_ char *ref = NULL;
        bool by_name = ref_normalize(what, &ref, NULL) >= 0 && strv_contains(img->refs, ref);
        json_t *manifests = json_object_get(index, "manifests");
        _cleanup_strv_free_ char **removed = NULL;
        for (size_t i = 0; i < json_array_size(manifests);) {
                json_t *d = json_array_get(manifests, i);
                const char *dref = descriptor_ref(d);
                bool same = streq_ptr(json_string_value(json_object_get(d, "digest")), img->manifest_digest);
                if (same && (!by_name || streq_ptr(dref, ref))) {
                        if (strv_extend(&removed, dref ?: img->manifest_digest) < 0)
                                return -ENOMEM;
                        json_array_remove(manifests, i);
                } else
                        i++;
        }
        r = store_index_save(s, index, err);
        if (r < 0)
                return r;
        r = store_gc(s, NULL, err);
        if (r < 0)
                return r;
        if (ret_removed)
                *ret_removed = TAKE_PTR(removed);
        return 0;
}

/* Containers */

static bool container_name_valid(const char *name)
{
        return id_valid(name) && !strchr(name, '/');
}

int store_container_volume_dir(Store *s, const char *name, size_t n, int *ret_fd, char **ret_path,
                               char **err)
{
        char rel[PATH_MAX];
        snprintf(rel, sizeof(rel), "containers/%s/volumes", name);
        int r = mkdirat_ok(s->dir_fd, rel, 0700);
        if (r < 0)
                return set_error(err, r, "%s/%s: %s", s->path, rel, strerror(-r));
        snprintf(rel, sizeof(rel), "containers/%s/volumes/%zu", name, n);
        if (mkdirat(s->dir_fd, rel, 0755) < 0)
                return set_error(err, -errno, "%s/%s: %m", s->path, rel);
        int fd = openat(s->dir_fd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return set_error(err, -errno, "%s/%s: %m", s->path, rel);
        if (asprintf(ret_path, "%s/%s", s->path, rel) < 0) {
                safe_close(fd);
                return -ENOMEM;
        }
        *ret_fd = fd;
        return 0;
}

int store_container_remove(Store *s, const char *name, char **err)
{
        if (!container_name_valid(name))
                return set_error(err, -EINVAL, "invalid container name '%s'", name);
        char rel[PATH_MAX], rootfs[PATH_MAX];
        /* the overlay, where this process mounted it (its own namespace), goes first: removing
         * through it would only fill the upper dir with whiteouts */
        snprintf(rootfs, sizeof(rootfs), "%s/containers/%s/rootfs", s->path, name);
        (void)umount2(rootfs, MNT_DETACH);
        snprintf(rel, sizeof(rel), "containers/%s", name);
        int r = rm_rf_at(s->dir_fd, rel);
        if (r < 0)
                return set_error(err, r, "cannot remove %s/%s: %s", s->path, rel, strerror(-r));
        return 0;
}

/* Mount the image's layers on rootfs (an absolute path) with overlayfs. The options must fit in
 * one page, and 6.1 has no lowerdir+, so the lower dirs are given relative to the layers
 * directory, which we chdir into for the mount call ("ID/diff" is 17 bytes a layer). */
static int mount_layers(Store *s, const Image *img, const char *rootfs, const char *upper, const char *work,
                        char **err)
{
        char id[STORE_LAYER_ID_LEN + 1];
        if (img->n_layers == 0)
                return set_error(err, -EINVAL, "image %s has no layers", img->manifest_digest);

        if (img->n_layers == 1 && !upper) {
                /* overlayfs wants two lower dirs without an upper one: bind the one read-only */
                char src[PATH_MAX];
                layer_dir_name(img->layers[0].chain_id, id);
                snprintf(src, sizeof(src), "%s/layers/%s/diff", s->path, id);
                if (mount(src, rootfs, NULL, MS_BIND, NULL) < 0)
                        return set_error(err, -errno, "cannot bind %s on %s: %m", src, rootfs);
                if (mount(NULL, rootfs, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NODEV, NULL) < 0)
                        return set_error(err, -errno, "cannot make %s read-only: %m", rootfs);
                return 0;
        }

        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        _cleanup_free_ char *opts = malloc(page);
        if (!opts)
                return -ENOMEM;
        size_t len = 0;
        int n = snprintf(opts, page, "lowerdir=");
        len = n;
        for (size_t i = img->n_layers; i-- > 0;) {
                layer_dir_name(img->layers[i].chain_id, id);
                n = snprintf(opts + len, page - len, "%s%s/diff", i + 1 == img->n_layers ? "" : ":", id);
                if (n < 0 || (size_t)n >= page - len)
                        goto too_long;
                len += n;
        }
        if (upper) {
                /* volatile: the upper dir is thrown away with the container, so overlayfs need
                 * not sync it (which makes its unmount slow) */
                n = snprintf(opts + len, page - len, ",upperdir=%s,workdir=%s,volatile", upper, work);
                if (n < 0 || (size_t)n >= page - len)
                        goto too_long;
                len += n;
        }

        /* by path, not from s->dir_fd: overlayfs takes lower dirs only from mounts of the
         * caller's mount namespace, and s->dir_fd was opened before we got our own */
        char layers_path[PATH_MAX];
        snprintf(layers_path, sizeof(layers_path), "%s/layers", s->path);
        int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        int layers_fd = open(layers_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (layers_fd < 0 || fchdir(layers_fd) < 0) {
                int r = -errno;
                safe_close(layers_fd);
                safe_close(cwd);
                return set_error(err, r, "%s/layers: %s", s->path, strerror(-r));
        }
        int r = mount("overlay", rootfs, "overlay", MS_NODEV, opts) < 0 ? -errno : 0;
        if (r == -EINVAL && upper) {
                /* a kernel before 5.10 has no volatile */
                opts[len - strlen(",volatile")] = 0;
                r = mount("overlay", rootfs, "overlay", MS_NODEV, opts) < 0 ? -errno : 0;
        }
        if (cwd >= 0)
                (void)fchdir(cwd);
        else
                (void)chdir("/");
        safe_close(cwd);
        safe_close(layers_fd);
        if (r < 0)
                return set_error(err, r, "cannot mount the image's %zu layer(s) on %s: %s", img->n_layers,
                                 rootfs, strerror(-r));
        return 0;

too_long:
        return set_error(
                err, -E2BIG,
                "image %s has %zu layers: their overlayfs options exceed one page (about %zu layers fit)",
                img->manifest_digest, img->n_layers, (page - 200) / (STORE_LAYER_ID_LEN + 6));
}

int store_container_create(Store *s, const Image *img, const char *name, bool readonly, char **ret_rootfs,
                           char **err)
{
        if (!container_name_valid(name))
                return set_error(err, -EINVAL, "invalid container name '%s'", name);
        for (size_t i = 0; i < img->n_layers; i++)
                if (!store_has_layer(s, img->layers[i].chain_id))
                        return set_error(
                                err, -ENOENT,
                                "layer %s of image %s is not unpacked in %s (import the image again)",
                                img->layers[i].diff_id, img->manifest_digest, s->path);

        char rel[PATH_MAX];
        snprintf(rel, sizeof(rel), "containers/%s", name);
        if (mkdirat(s->dir_fd, rel, 0700) < 0) {
                if (errno != EEXIST)
                        return set_error(err, -errno, "cannot create %s/%s: %m", s->path, rel);
                /* a leftover of a container of this name that did not clean up (it is not
                 * running: the caller checked its state), so start afresh */
                int r = rm_rf_at(s->dir_fd, rel);
                if (r < 0 || mkdirat(s->dir_fd, rel, 0700) < 0)
                        return set_error(err, r < 0 ? r : -errno, "cannot recreate %s/%s", s->path, rel);
        }
        int r = 0;
        _cleanup_free_ char *layers = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&layers, &len);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < img->n_layers; i++) {
                char id[STORE_LAYER_ID_LEN + 1];
                layer_dir_name(img->layers[i].chain_id, id);
                fprintf(f, "%s\n", id);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        snprintf(rel, sizeof(rel), "containers/%s/layers", name);
        r = write_file_atomic(s->dir_fd, rel, layers, len, 0600);
        if (r >= 0) {
                snprintf(rel, sizeof(rel), "containers/%s/image", name);
                r = write_file_atomic(s->dir_fd, rel, img->manifest_digest, strlen(img->manifest_digest),
                                      0600);
        }
        static const char *const sub[] = {"upper", "work", "rootfs"};
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(sub); i++) {
                snprintf(rel, sizeof(rel), "containers/%s/%s", name, sub[i]);
                r = mkdirat(s->dir_fd, rel, i == 0 ? 0755 : 0700) < 0 ? -errno : 0;
        }
        if (r < 0) {
                store_container_remove(s, name, NULL);
                return set_error(err, r, "cannot set up %s/containers/%s: %s", s->path, name, strerror(-r));
        }

        /* a private mount namespace for this process: the overlay is seen only by it and the
         * container it creates */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
                r = -errno;
                store_container_remove(s, name, NULL);
                return set_error(err, r, "cannot make a private mount namespace: %s", strerror(-r));
        }
        _cleanup_free_ char *rootfs = NULL, *upper = NULL, *work = NULL;
        if (asprintf(&rootfs, "%s/containers/%s/rootfs", s->path, name) < 0 ||
            asprintf(&upper, "%s/containers/%s/upper", s->path, name) < 0 ||
            asprintf(&work, "%s/containers/%s/work", s->path, name) < 0)
                return -ENOMEM;
        struct statfs sfs;
        if (!readonly && statfs(upper, &sfs) == 0 && sfs.f_type == OVERLAYFS_SUPER_MAGIC) {
                store_container_remove(s, name, NULL);
                return set_error(
                        err, -EOPNOTSUPP,
                        "%s is on overlayfs, which cannot hold a container's upper dir; "
                        "put the store elsewhere with CTR_STORAGE_DIR (a tmpfs or a real filesystem)",
                        s->path);
        }
        r = mount_layers(s, img, rootfs, readonly ? NULL : upper, work, err);
        if (r < 0) {
                store_container_remove(s, name, NULL);
                return r;
        }
        *ret_rootfs = TAKE_PTR(rootfs);
        return 0;
}
