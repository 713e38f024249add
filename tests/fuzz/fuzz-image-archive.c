/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for image_import() of an image archive: the bytes are a file someone hands to
 * `ctrctl image import` (docker save, skopeo oci-archive:, docker export), so its manifest.json,
 * index.json, manifests, configs and layers are untrusted. Each input is written to BASE/image.tar
 * and imported into the store BASE/store, next to BASE/outside/sentinel. The store is kept across
 * inputs, so that an import meets what earlier ones left (layers and blobs it may reuse), and is
 * removed every RESET_EVERY inputs to stay small. After every call:
 *  - a failure says why, leaves index.json byte for byte as it was and returns no result;
 *  - a success names manifests that are blobs of the store and that store_find_image() finds, by
 *    digest and by every name returned, with the blobs and unpacked layers of all their layers;
 *  - either way tmp/ is empty, no lock is held, no fd is left open once the store is closed, the
 *    store's top holds only its own files, every blob hashes to its name, every layers/ID holds a
 *    chain ID of that ID, and nothing appeared outside the store: BASE holds exactly image.tar,
 *    outside and store, and the sentinel is untouched.
 * Run as root to reach everything the layer unpacker does. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "digest.h"
#include "import.h"
#include "store.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SENTINEL "do not touch\n"
#define INPUT_NAME "image.tar"
#define RESET_EVERY 32
#define INDEX_READ_MAX (16u << 20)

static char base[64]; /* BASE: made once per process */
static int base_fd = -EBADF;
static char store_path[128], input_path[128];
static unsigned n_inputs;
static char **verified; /* "b/HEX" and "l/ID" of the store checked already, since the last reset */

static int last_result;
static char last_error[512];
static const uint8_t *cur_data; /* the input of the call being checked */
static size_t cur_size;

static _noreturn_ void fail(const char *what)
{
        /* only ever printed on the way to the crash report */
        fprintf(stderr, "fuzz-image-archive: %s (image_import() returned %d: %s)\n", what, last_result,
                last_error);
#ifdef FUZZ_STANDALONE
        /* libFuzzer saves the input itself */
        static const char saved[] = "/var/tmp/fuzz-image-archive-crash.tar";
        int fd = open(saved, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0 && loop_write(fd, cur_data, cur_size) >= 0)
                fprintf(stderr, "fuzz-image-archive: the input is in %s\n", saved);
#endif
        abort();
}

static void remove_base(void)
{
        if (base[0])
                rm_rf_at(AT_FDCWD, base);
}

static void make_base(void)
{
        int fd;

        if (base_fd >= 0)
                return;
        snprintf(base, sizeof(base), "%s", "/tmp/fuzz-image-archive.XXXXXX");
        if (!mkdtemp(base))
                abort();
        atexit(remove_base);
        snprintf(store_path, sizeof(store_path), "%s/store", base);
        snprintf(input_path, sizeof(input_path), "%s/" INPUT_NAME, base);
        base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (base_fd < 0 || mkdirat(base_fd, "outside", 0755) < 0)
                abort();
        fd = openat(base_fd, "outside/sentinel", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || loop_write(fd, SENTINEL, strlen(SENTINEL)) < 0 || fchmod(fd, 0600) < 0)
                abort();
        close(fd);
}

static void reset_store(void)
{
        if (rm_rf_at(base_fd, "store") < 0)
                abort();
        verified = strv_free(verified);
}

static void write_input(const uint8_t *data, size_t size)
{
        _cleanup_close_ int fd =
                openat(base_fd, INPUT_NAME, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 || loop_write(fd, data, size) < 0)
                abort();
}

static int count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        int n = 0;

        if (!d)
                abort();
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

/* The names in dir_fd/path, sorted and joined by spaces, must be exactly want. */
static void check_listing(int dir_fd, const char *path, const char *want)
{
        char got[512] = "", what[600];
        _cleanup_close_ int fd = openat(dir_fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct dirent **names;
        int n;

        if (fd < 0)
                fail("a directory of the store or of BASE is gone");
        n = scandirat(fd, ".", &names, NULL, alphasort);
        if (n < 0)
                abort();
        for (int i = 0; i < n; i++) {
                if (!streq(names[i]->d_name, ".") && !streq(names[i]->d_name, "..") &&
                    strlen(got) + strlen(names[i]->d_name) + 2 < sizeof(got)) {
                        if (got[0])
                                strcat(got, " ");
                        strcat(got, names[i]->d_name);
                }
                free(names[i]);
        }
        free(names);
        if (!streq(got, want)) {
                snprintf(what, sizeof(what), "'%s' holds '%.200s', not '%s'", path, got, want);
                fail(what);
        }
}

/* The top of the store holds what store.h lists and nothing else (no index.json.tmpPID left). */
static void check_store_top(Store *s)
{
        static const char *const required[] = {"blobs", "containers", "index.json", "layers",
                                               "lock",  "oci-layout", "tmp"};
        static const char *const optional[] = {"gc.lock"};
        _cleanup_close_ int fd = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent **names;
        size_t found = 0;
        int n;

        if (fd < 0 || (n = scandirat(fd, ".", &names, NULL, alphasort)) < 0)
                abort();
        for (int i = 0; i < n; i++) {
                const char *name = names[i]->d_name;
                bool req = false, opt = false;

                for (size_t k = 0; k < ELEMENTSOF(required); k++)
                        req = req || streq(name, required[k]);
                for (size_t k = 0; k < ELEMENTSOF(optional); k++)
                        opt = opt || streq(name, optional[k]);
                if (!req && !opt && !streq(name, ".") && !streq(name, "..")) {
                        char what[300];
                        snprintf(what, sizeof(what), "the store holds a stray '%s'", name);
                        fail(what);
                }
                found += req;
                free(names[i]);
        }
        free(names);
        if (found != ELEMENTSOF(required))
                fail("a file of the store's layout is gone");
}

/* No lock of the store is held any more: a second open file description can take each one. */
static void check_unlocked(Store *s)
{
        static const char *const locks[] = {"lock", "gc.lock"};

        for (size_t i = 0; i < ELEMENTSOF(locks); i++) {
                _cleanup_close_ int fd = openat(s->dir_fd, locks[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 && errno == ENOENT)
                        continue;
                if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
                        fail("a lock of the store is still held");
        }
}

static void check_outside(void)
{
        char buf[64];
        struct stat st;
        _cleanup_close_ int fd = -EBADF;

        check_listing(base_fd, ".", INPUT_NAME " outside store");
        check_listing(base_fd, "outside", "sentinel");
        fd = openat(base_fd, "outside/sentinel", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != 0600 ||
            st.st_nlink != 1 || st.st_uid != geteuid() || st.st_size != (off_t)strlen(SENTINEL) ||
            read(fd, buf, sizeof(buf)) != (ssize_t)strlen(SENTINEL) ||
            memcmp(buf, SENTINEL, strlen(SENTINEL)) != 0)
                fail("the sentinel outside the store changed");
}

static bool contains(char **l, const char *s)
{
        STRV_FOREACH (p, l)
                if (streq(*p, s))
                        return true;
        return false;
}

/* true if kind/name was checked before; else it is remembered as checked now */
static bool seen(const char *kind, const char *name)
{
        char key[300];

        snprintf(key, sizeof(key), "%s/%s", kind, name);
        if (contains(verified, key))
                return true;
        if (strv_extend(&verified, key) < 0)
                abort();
        return false;
}

/* blobs/sha256/HEX: a regular file whose content hashes to sha256:HEX, whatever the import did */
static void check_blobs(Store *s)
{
        int fd = openat(s->dir_fd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct dirent *de;
        DIR *d;

        if (fd < 0 || !(d = fdopendir(fd)))
                fail("blobs/sha256 is gone");
        while ((de = readdir(d))) {
                char want[sizeof(DIGEST_PREFIX) + sizeof(de->d_name)], got[DIGEST_MAX];
                struct stat st;
                uint64_t size;
                int b;

                if (streq(de->d_name, ".") || streq(de->d_name, "..") || seen("b", de->d_name))
                        continue;
                snprintf(want, sizeof(want), DIGEST_PREFIX "%s", de->d_name);
                b = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (!digest_valid(want) || b < 0 || fstat(b, &st) < 0 || !S_ISREG(st.st_mode) ||
                    digest_fd(b, got, &size) < 0 || !streq(got, want))
                        fail("a blob of the store does not hash to its name");
                close(b);
        }
        closedir(d);
}

/* layers/ID: a chain file naming a chain ID that starts with ID, and a diff directory */
static void check_layers(Store *s)
{
        int fd = openat(s->dir_fd, "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct dirent *de;
        DIR *d;

        if (fd < 0 || !(d = fdopendir(fd)))
                fail("layers/ is gone");
        while ((de = readdir(d))) {
                _cleanup_free_ char *chain = NULL;
                char path[300], id[STORE_LAYER_ID_LEN + 1];
                struct stat st;
                size_t n;

                if (streq(de->d_name, ".") || streq(de->d_name, "..") || seen("l", de->d_name))
                        continue;
                snprintf(path, sizeof(path), "%s/chain", de->d_name);
                if (read_full_file_at(dirfd(d), path, DIGEST_MAX, &chain, &n) < 0 || !digest_valid(chain))
                        fail("a layer of the store has no valid chain file");
                layer_dir_name(chain, id);
                snprintf(path, sizeof(path), "%s/diff", de->d_name);
                if (!streq(id, de->d_name) || fstatat(dirfd(d), path, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISDIR(st.st_mode))
                        fail("a layer of the store is not the chain it says or has no diff dir");
        }
        closedir(d);
}

/* An image the import says it made: there, complete, and found by its digest. */
static void check_image(Store *s, const char *digest)
{
        _cleanup_image_ Image *img = NULL;
        _cleanup_free_ char *e = NULL;

        if (!digest_valid(digest) || !store_has_blob(s, digest))
                fail("an imported manifest is not a blob of the store");
        if (store_find_image(s, digest, &img, &e) < 0 || !img || !streq(img->manifest_digest, digest))
                fail("store_find_image() does not find an imported manifest by its digest");
        if (img->n_layers == 0 || !store_has_blob(s, img->config_digest))
                fail("an imported image has no layers or no config");
        for (size_t i = 0; i < img->n_layers; i++)
                if (!store_has_blob(s, img->layers[i].digest) ||
                    !store_has_layer(s, img->layers[i].chain_id))
                        fail("a layer of an imported image is missing from the store");
}

static void check_ref(Store *s, const char *ref, char **digests)
{
        _cleanup_image_ Image *img = NULL;
        _cleanup_free_ char *e = NULL, *normal = NULL;

        if (ref_normalize(ref, &normal, NULL) < 0 || !streq(normal, ref))
                fail("an imported name is not a normalized reference");
        if (store_find_image(s, ref, &img, &e) < 0 || !img || !contains(digests, img->manifest_digest))
                fail("an imported name does not lead to an imported manifest");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const ImportOptions opts = {
                .kind = IMPORT_AUTO,
                .limits = {.max_bytes = 8 << 20, .max_entries = 10000},
        };
        _cleanup_free_ char *before = NULL, *after = NULL;
        size_t before_n, after_n;
        ImportResult res = {};
        Store *s = NULL;
        char *err = NULL;
        int fds, r;

        cur_data = data;
        cur_size = size;
        make_base();
        if (n_inputs++ % RESET_EVERY == 0)
                reset_store();
        write_input(data, size);
        fds = count_fds();
        if (store_open(store_path, true, &s, &err) < 0 ||
            read_full_file_at(s->dir_fd, "index.json", INDEX_READ_MAX, &before, &before_n) < 0)
                abort();

        r = image_import(s, input_path, &opts, &res, &err);
        last_result = r;
        snprintf(last_error, sizeof(last_error), "%s", strempty(err));

        check_unlocked(s);
        check_store_top(s);
        check_listing(s->dir_fd, "tmp", "");
        check_listing(s->dir_fd, "containers", "");
        if (r < 0) {
                if (r != -ENOMEM && (!err || !*err))
                        fail("a failure without a message");
                if (res.refs || res.manifest_digests)
                        fail("a failure with a result");
                if (read_full_file_at(s->dir_fd, "index.json", INDEX_READ_MAX, &after, &after_n) < 0 ||
                    after_n != before_n || memcmp(before, after, before_n) != 0)
                        fail("a failed import changed index.json");
        } else {
                if (err)
                        fail("a success with an error message");
                if (!res.manifest_digests || !res.manifest_digests[0])
                        fail("a success without a manifest");
                STRV_FOREACH (d, res.manifest_digests)
                        check_image(s, *d);
                STRV_FOREACH (ref, res.refs)
                        check_ref(s, *ref, res.manifest_digests);
        }
        check_blobs(s);
        check_layers(s);
        check_outside();

        import_result_done(&res);
        free(err);
        store_close(s);
        /* the store's own fds (its dir, its locks) close with it; any other is a leak */
        if (count_fds() != fds)
                fail("an fd was left open");
        return 0;
}

#ifdef FUZZ_STANDALONE
/* Without libFuzzer: replay the files named on the command line; with `--write-corpus DIR`, write
 * the built-in seeds there (a start for a libFuzzer corpus); with no argument, run the built-in
 * seeds, then a few hundred archives from a generator, then byte-level mutations of those.
 *
 * The generator writes real docker-archives, OCI archives and rootfs tarballs with libarchive,
 * with correct digests and sizes everywhere, and now and then turns a knob: a wrong size, a
 * missing blob, a nested index, a symlinked blob, a name that is no reference, a JSON document
 * with a byte changed (and then its digest recomputed, so the damage reaches the parser instead
 * of the digest check). An archive no harmful knob touched must import. Deterministic, and a
 * few seconds, so it runs as an ordinary test. */
#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <sys/utsname.h>

#include "json-util.h"

#define N_GENERATED 500
#define N_MUTATED 500
#define N_CORPUS 60

typedef struct Bytes {
        uint8_t *p;
        size_t n;
} Bytes;

typedef struct Member {
        char *name;
        mode_t type; /* AE_IFREG, AE_IFDIR, AE_IFLNK; 0: a hard link */
        Bytes data;
        char *link;
} Member;

typedef struct Archive {
        Member *m;
        size_t n;
} Archive;

static uint64_t rnd_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
        rnd_state ^= rnd_state << 13;
        rnd_state ^= rnd_state >> 7;
        rnd_state ^= rnd_state << 17;
        return rnd_state;
}

static bool knobs = true; /* off for the seeds */
static bool surely_valid; /* no knob that may break the import turned, since the last gen_*() */

/* A knob turned one time in one_in; harmful: the archive may not import any more. */
static bool knob(unsigned one_in, bool harmful)
{
        if (!knobs || rnd() % one_in != 0)
                return false;
        if (harmful)
                surely_valid = false;
        return true;
}

static void *xmemdup(const void *p, size_t n)
{
        void *q = malloc(n ?: 1);
        if (!q)
                abort();
        return n ? memcpy(q, p, n) : q;
}

static char *xstrdup(const char *s)
{
        return xmemdup(s, strlen(s) + 1);
}

static Member *add_member(Archive *a, const char *name, mode_t type)
{
        Member *m = realloc(a->m, (a->n + 1) * sizeof(*m));
        if (!m)
                abort();
        a->m = m;
        m += a->n++;
        *m = (Member){.name = xstrdup(name), .type = type};
        return m;
}

static void add_file(Archive *a, const char *name, const void *data, size_t n)
{
        add_member(a, name, AE_IFREG)->data = (Bytes){xmemdup(data, n), n};
}

static void add_link(Archive *a, const char *name, const char *target, mode_t type)
{
        add_member(a, name, type)->link = xstrdup(target);
}

static void move_last_first(Archive *a)
{
        Member t = a->m[a->n - 1];

        memmove(a->m + 1, a->m, (a->n - 1) * sizeof(t));
        a->m[0] = t;
}

static void archive_done(Archive *a)
{
        for (size_t i = 0; i < a->n; i++) {
                free(a->m[i].name);
                free(a->m[i].data.p);
                free(a->m[i].link);
        }
        free(a->m);
        *a = (Archive){};
}

static la_ssize_t bytes_write(struct archive *a, void *userdata, const void *buf, size_t n)
{
        Bytes *b = userdata;
        uint8_t *p = realloc(b->p, b->n + n);

        (void)a;
        if (!p)
                abort();
        memcpy(p + b->n, buf, n);
        b->p = p;
        b->n += n;
        return (la_ssize_t)n;
}

static struct archive *writer(Bytes *out, int filter, bool raw)
{
        struct archive *a = archive_write_new();

        if (!a ||
            (raw ? archive_write_set_format_raw(a) : archive_write_set_format_pax_restricted(a)) !=
                    ARCHIVE_OK ||
            (filter != ARCHIVE_FILTER_NONE && archive_write_add_filter(a, filter) != ARCHIVE_OK) ||
            archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
            archive_write_open(a, out, NULL, bytes_write, NULL) != ARCHIVE_OK)
                abort();
        return a;
}

static bool filter_supported(int filter)
{
        struct archive *a = archive_write_new();
        bool ok = a && archive_write_add_filter(a, filter) == ARCHIVE_OK;

        archive_write_free(a);
        return ok;
}

static Bytes tar_of(const Archive *ar)
{
        Bytes out = {};
        struct archive *a = writer(&out, ARCHIVE_FILTER_NONE, false);

        for (size_t i = 0; i < ar->n; i++) {
                const Member *m = ar->m + i;
                struct archive_entry *e = archive_entry_new();

                archive_entry_set_pathname(e, m->name);
                archive_entry_set_mtime(e, 1600000000, 0);
                archive_entry_set_filetype(e, m->type ?: AE_IFREG);
                archive_entry_set_perm(e, m->type == AE_IFDIR ? 0755 : m->type == AE_IFLNK ? 0777 : 0644);
                if (m->type == AE_IFLNK)
                        archive_entry_set_symlink(e, m->link);
                else if (m->type == 0)
                        archive_entry_set_hardlink(e, m->link);
                archive_entry_set_size(e, m->type == AE_IFREG ? (la_int64_t)m->data.n : 0);
                if (archive_write_header(a, e) != ARCHIVE_OK ||
                    (m->type == AE_IFREG && m->data.n > 0 &&
                     archive_write_data(a, m->data.p, m->data.n) != (la_ssize_t)m->data.n))
                        abort();
                archive_entry_free(e);
        }
        if (archive_write_close(a) != ARCHIVE_OK)
                abort();
        archive_write_free(a);
        return out;
}

/* in, compressed as a whole (so its uncompressed stream is exactly in) */
static Bytes compress_bytes(Bytes in, int filter)
{
        Bytes out = {};
        struct archive *a = writer(&out, filter, true);
        struct archive_entry *e = archive_entry_new();

        archive_entry_set_pathname(e, "data");
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, (la_int64_t)in.n);
        if (archive_write_header(a, e) != ARCHIVE_OK ||
            (in.n > 0 && archive_write_data(a, in.p, in.n) != (la_ssize_t)in.n) ||
            archive_write_close(a) != ARCHIVE_OK)
                abort();
        archive_entry_free(e);
        archive_write_free(a);
        return out;
}

static const char *host_arch(void)
{
        static char arch[32];
        struct utsname u;

        if (uname(&u) < 0 || streq(u.machine, "x86_64"))
                return "amd64";
        if (streq(u.machine, "aarch64"))
                return "arm64";
        if (startswith(u.machine, "arm"))
                return "arm";
        snprintf(arch, sizeof(arch), "%.31s", u.machine);
        return arch;
}

static int layer_filter(void)
{
        static const int f[] = {ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_ZSTD};
        return knob(4, false) ? f[rnd() % ELEMENTSOF(f)] : ARCHIVE_FILTER_NONE;
}

/* The members of a small root filesystem; variant 3 climbs out, which no layer may do. */
static void rootfs_members(Archive *a, unsigned variant)
{
        switch (variant) {
        case 0:
                add_member(a, "etc", AE_IFDIR);
                add_file(a, "etc/hostname", "box\n", 4);
                add_link(a, "etc/localtime", "/usr/share/zoneinfo/UTC", AE_IFLNK);
                add_link(a, "etc/hostname.bak", "etc/hostname", 0);
                break;
        case 1:
                add_file(a, "bin/sh", "\177ELF", 4);
                add_file(a, "usr/lib/os-release", "ID=fuzz\n", 8);
                break;
        case 2:
                add_file(a, "etc/.wh.hostname", "", 0);
                add_file(a, "var/.wh..wh..opq", "", 0);
                add_file(a, "srv/data", "x", 1);
                break;
        default:
                add_file(a, "../escape", "pwned", 5);
                break;
        }
}

/* A layer blob (maybe compressed) and the diff ID of its tar. */
static Bytes make_layer(unsigned variant, int filter, char diff_id[static DIGEST_MAX])
{
        Archive a = {};
        Bytes plain, blob;

        rootfs_members(&a, variant);
        plain = tar_of(&a);
        archive_done(&a);
        digest_buffer(plain.p, plain.n, diff_id);
        if (filter == ARCHIVE_FILTER_NONE)
                return plain;
        blob = compress_bytes(plain, filter);
        free(plain.p);
        return blob;
}

static unsigned layer_variant(void)
{
        return knob(16, true) ? 3 : (unsigned)(rnd() % 3);
}

/* A JSON document as text; now and then with a byte changed (before anyone hashes it). */
static Bytes json_text(json_t *j)
{
        static const char chars[] = "{}[]\":,09-.e\\ a/\n";
        char *s = json_dumps(j, knob(4, false) ? JSON_INDENT(2) : JSON_COMPACT);
        Bytes b;

        if (!s)
                abort();
        b = (Bytes){(uint8_t *)s, strlen(s)};
        if (b.n > 0 && knob(20, true))
                for (int k = 1 + (int)(rnd() % 3); k > 0; k--)
                        b.p[rnd() % b.n] =
                                rnd() % 2 ? (uint8_t)chars[rnd() % (sizeof(chars) - 1)] : (uint8_t)rnd();
        return b;
}

static const char *const refs_valid[] = {
        "fuzz/image:1", "latest", "v1.0", "docker.io/library/busybox:1.36", "localhost:5000/a/b:c",
};
static const char *const refs_invalid[] = {
        "UPPER:x", "../x", "", "a:b:c", "x@sha256:00", ":tag", "a//b:c", "a/b:", "x:-y", "a b",
};

/* The name of image i of an archive. Two different images of one archive never get the same name
 * here: image_import() then reports both as imported, but the last one takes the name and the first
 * is left neither named nor listed by digest in index.json, so check_image() fails. That is a bug of
 * image_import(); once fixed, this may pick any name for any image. */
static size_t ref_base; /* per archive */

static const char *pick_ref(size_t i)
{
        if (knob(12, true))
                return refs_invalid[rnd() % ELEMENTSOF(refs_invalid)];
        return refs_valid[(ref_base + i) % ELEMENTSOF(refs_valid)];
}

/* A digest that is not one, or one of content nobody has. */
static const char *bad_digest(void)
{
        static const char *const d[] = {
                "sha256:../../../../outside/sentinel",
                "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                "sha512:"
                "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877"
                "eec2f63b931bd47417a81a538327af927da3e",
                "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "sha256:",
                "",
        };
        return d[rnd() % ELEMENTSOF(d)];
}

static json_t *config_json(char diff_ids[][DIGEST_MAX], size_t n)
{
        json_t *ids = json_array(), *c;

        for (size_t i = 0; i < n; i++)
                json_array_append_new(ids, json_string(knob(30, true) ? bad_digest() : diff_ids[i]));
        if (knob(30, true))
                json_array_append_new(ids, json_string(diff_ids[0]));
        c = json_pack("{s:s,s:s,s:{s:[s],s:[s]},s:{s:s,s:o}}", "architecture", host_arch(), "os", "linux",
                      "config", "Cmd", "/bin/sh", "Env", "PATH=/bin", "rootfs", "type", "layers", "diff_ids",
                      ids);
        if (!c)
                abort();
        if (knob(40, true))
                json_object_del(c, "rootfs");
        return c;
}

/* blobs/sha256/HEX in the archive */
static void add_blob(Archive *a, Bytes b, char digest[static DIGEST_MAX])
{
        char name[128];

        digest_buffer(b.p, b.n, digest);
        snprintf(name, sizeof(name), "%sblobs/sha256/%s", knob(10, false) ? "./" : "", digest_hex(digest));
        if (!knob(40, true))
                add_file(a, name, b.p, b.n);
}

/* A descriptor {mediaType, digest, size} with its knobs. */
static json_t *descriptor(const char *media_type, const char *digest, size_t size)
{
        json_t *d = json_pack("{s:s,s:s,s:I}", "mediaType", media_type, "digest", digest, "size",
                              (json_int_t)size);

        if (!d)
                abort();
        if (knob(30, true))
                json_object_set_new(d, "digest", json_string(bad_digest()));
        if (knob(20, false))
                json_object_del(d, "size");
        else if (knob(30, true))
                json_object_set_new(d, "size", json_integer((json_int_t)size + (rnd() % 2 ? 1 : -1)));
        else if (knob(40, false))
                json_object_set_new(d, "size", json_string("12"));
        return d;
}

static const char *layer_media_type(int filter)
{
        static const char *const other[] = {
                "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                MEDIA_TYPE_DOCKER_LAYER,
                MEDIA_TYPE_DOCKER_LAYER_GZIP,
                "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        };

        if (knob(20, true))
                return rnd() % 2 ? "application/vnd.oci.image.layer.v1.tar+bzip2" : "text/plain";
        if (knob(10, false))
                return other[rnd() % ELEMENTSOF(other)];
        return filter == ARCHIVE_FILTER_GZIP   ? MEDIA_TYPE_OCI_LAYER_GZIP
               : filter == ARCHIVE_FILTER_ZSTD ? MEDIA_TYPE_OCI_LAYER_ZSTD
                                               : MEDIA_TYPE_OCI_LAYER;
}

/* One OCI image (layers, config, manifest) into the archive; the manifest's digest and size. */
static void oci_image(Archive *a, char digest[static DIGEST_MAX], size_t *ret_size)
{
        size_t n_layers = knob(6, false) ? 2 : 1;
        char diff_ids[2][DIGEST_MAX], ld[DIGEST_MAX], cd[DIGEST_MAX];
        json_t *layers = json_array(), *m;
        Bytes config, manifest;

        for (size_t i = 0; i < n_layers; i++) {
                int filter = layer_filter();
                Bytes l = make_layer(layer_variant(), filter, diff_ids[i]);
                const char *mt = layer_media_type(filter);

                add_blob(a, l, ld);
                json_array_append_new(layers, descriptor(mt, ld, l.n));
                free(l.p);
        }
        if (knob(40, false))
                json_object_del(json_array_get(layers, 0), "mediaType");
        {
                _cleanup_json_ json_t *c = config_json(diff_ids, n_layers);
                config = json_text(c);
        }
        add_blob(a, config, cd);
        m = json_pack("{s:i,s:s,s:o,s:o}", "schemaVersion", 2, "mediaType", MEDIA_TYPE_OCI_MANIFEST,
                      "config", descriptor(MEDIA_TYPE_OCI_CONFIG, cd, config.n), "layers", layers);
        if (!m)
                abort();
        free(config.p);
        if (knob(20, false))
                json_object_set_new(m, "mediaType", json_string(MEDIA_TYPE_DOCKER_MANIFEST));
        else if (knob(20, false))
                json_object_del(m, "mediaType");
        else if (knob(30, true))
                json_object_set_new(m, "mediaType",
                                    json_string(rnd() % 2 ? MEDIA_TYPE_OCI_INDEX : "application/json"));
        if (knob(40, true))
                json_object_set_new(m, "layers", json_array());
        manifest = json_text(m);
        json_decref(m);
        add_blob(a, manifest, digest);
        *ret_size = manifest.n;
        free(manifest.p);
}

/* An image index blob in front of a manifest: one entry for another platform, one for ours. */
static void nested_index(Archive *a, char digest[static DIGEST_MAX], size_t *size)
{
        const char *arch = knob(8, true) ? "s390x" : host_arch();
        json_t *here = descriptor(MEDIA_TYPE_OCI_MANIFEST, digest, *size), *idx;
        Bytes b;

        json_object_set_new(here, "platform", json_pack("{s:s,s:s}", "os", "linux", "architecture", arch));
        if (knob(10, false))
                json_object_del(here, "platform");
        idx = json_pack("{s:i,s:s,s:[{s:s,s:s,s:i,s:{s:s,s:s}},o]}", "schemaVersion", 2, "mediaType",
                        MEDIA_TYPE_OCI_INDEX, "manifests", "mediaType", MEDIA_TYPE_OCI_MANIFEST, "digest",
                        bad_digest(), "size", 7, "platform", "os", "linux", "architecture", "s390x", here);
        if (!idx)
                abort();
        b = json_text(idx);
        json_decref(idx);
        add_blob(a, b, digest);
        *size = b.n;
        free(b.p);
}

/* Archive-level knobs: reordered, links, dirs, strays. rootfs: members of a root filesystem, whose
 * order matters (a hard link comes after its target). */
static void shake(Archive *a, bool rootfs)
{
        if (a->n > 1 && knob(3, rootfs))
                for (size_t i = a->n - 1; i > 0; i--) {
                        size_t j = rnd() % (i + 1);
                        Member t = a->m[i];
                        a->m[i] = a->m[j];
                        a->m[j] = t;
                }
        if (a->n > 0 && knob(6, rootfs)) {
                /* a regular member moved to data/N, its old name a symlink or hard link to it */
                Member *m = a->m + rnd() % a->n;
                if (m->type == AE_IFREG) {
                        char data[32], target[300];
                        Bytes content = m->data;
                        bool hard = rnd() % 2;
                        const char *slash = strrchr(m->name, '/');
                        size_t depth = 0;

                        snprintf(data, sizeof(data), "data/%zu", a->n);
                        for (const char *p = m->name; slash && p < slash; p++)
                                depth += *p == '/';
                        target[0] = 0;
                        if (!hard && slash)
                                for (size_t k = 0; k <= depth; k++)
                                        strcat(target, "../");
                        strcat(target, data);
                        m->type = hard ? 0 : AE_IFLNK;
                        m->link = xstrdup(target);
                        m->data = (Bytes){};
                        add_file(a, data, content.p, content.n);
                        free(content.p);
                }
        }
        if (knob(8, rootfs))
                add_member(a, "blobs", AE_IFDIR);
        if (knob(30, true))
                add_file(a, "../outside/x", "pwned", 5);
        if (knob(30, true))
                add_link(a, "blobs/sha256/loop", "blobs/sha256/loop", AE_IFLNK);
        if (a->n > 0 && knob(30, true)) {
                /* a member of the name of another, first */
                _cleanup_free_ char *name = xstrdup(a->m[rnd() % a->n].name);

                add_file(a, name, "{}", 2);
                move_last_first(a);
        }
        if (a->n > 0 && knob(30, true)) {
                size_t i = rnd() % a->n;
                free(a->m[i].name);
                free(a->m[i].data.p);
                free(a->m[i].link);
                a->m[i] = a->m[--a->n];
        }
}

static void gen_oci(Archive *a)
{
        size_t n_images = knob(5, false) ? 2 : 1;
        json_t *manifests = json_array(), *index;
        char digest[DIGEST_MAX];
        size_t size;

        add_file(a, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
        if (knob(30, true))
                a->m[0].name[0] = 'x';
        for (size_t i = 0; i < n_images; i++) {
                json_t *d;

                oci_image(a, digest, &size);
                if (knob(6, false))
                        nested_index(a, digest, &size);
                d = descriptor(MEDIA_TYPE_OCI_MANIFEST, digest, size);
                if (!knob(8, false))
                        json_object_set_new(d, "annotations",
                                            json_pack("{s:s}", REF_NAME_ANNOTATION, pick_ref(i)));
                json_array_append_new(manifests, d);
                /* the same manifest under a second name */
                if (knob(8, false)) {
                        char second[48];

                        snprintf(second, sizeof(second), "fuzz/second:%zu", i);
                        d = json_deep_copy(d);
                        json_object_set_new(d, "annotations",
                                            json_pack("{s:s}", REF_NAME_ANNOTATION, second));
                        json_array_append_new(manifests, d);
                }
        }
        index = json_pack("{s:i,s:s,s:o}", "schemaVersion", 2, "mediaType", MEDIA_TYPE_OCI_INDEX,
                          "manifests", manifests);
        if (!index)
                abort();
        if (knob(40, true))
                json_object_set_new(index, "layers", json_array());
        if (knob(40, true))
                json_array_clear(manifests);
        {
                Bytes b = json_text(index);
                add_file(a, "index.json", b.p, b.n);
                free(b.p);
        }
        json_decref(index);
        if (knob(8, false)) {
                /* docker 25+ save: a manifest.json too, which an OCI archive ignores */
                static const char mj[] = "[{\"Config\":\"blobs/sha256/x\",\"Layers\":[\"nope\"]}]";
                add_file(a, "manifest.json", mj, sizeof(mj) - 1);
        }
        shake(a, false);
}

static void gen_docker(Archive *a)
{
        size_t n_images = knob(6, false) ? 2 : 1;
        json_t *list = json_array();

        for (size_t i = 0; i < n_images; i++) {
                size_t n_layers = knob(5, false) ? 2 : 1;
                char diff_ids[2][DIGEST_MAX], names[2][128], cname[128], cd[DIGEST_MAX];
                json_t *layers = json_array(), *img, *tags;
                Bytes config;

                for (size_t k = 0; k < n_layers; k++) {
                        Bytes l = make_layer(layer_variant(), layer_filter(), diff_ids[k]);
                        char dir[DIGEST_HEX_LEN + 1], version[100];

                        /* docker names the layer directories by a v1 ID: any 64 hex digits */
                        snprintf(dir, sizeof(dir), "%s", digest_hex(diff_ids[k]));
                        dir[0] = "0123456789abcdef"[(i * 2 + k) % 16];
                        if (knob(6, false))
                                snprintf(names[k], sizeof(names[k]), "%s.tar", dir); /* skopeo's */
                        else {
                                snprintf(names[k], sizeof(names[k]), "%s/layer.tar", dir);
                                snprintf(version, sizeof(version), "%s/VERSION", dir);
                                add_member(a, dir, AE_IFDIR);
                                add_file(a, version, "1.0", 3);
                        }
                        add_file(a, names[k], l.p, l.n);
                        free(l.p);
                        if (k == 1 && knob(3, false)) {
                                /* identical layers: docker save links the second to the first */
                                bool hard = rnd() % 2;
                                char target[160];

                                snprintf(diff_ids[1], DIGEST_MAX, "%s", diff_ids[0]);
                                snprintf(target, sizeof(target), "%s%s", hard ? "" : "../", names[0]);
                                snprintf(names[1], sizeof(names[1]), "linked%zu/layer.tar", i);
                                add_link(a, names[1], target, hard ? 0 : AE_IFLNK);
                        }
                        json_array_append_new(
                                layers,
                                json_string(knob(40, true) ? (rnd() % 2 ? "../x/layer.tar" : "missing.tar")
                                                           : names[k]));
                }
                if (knob(40, true))
                        json_array_append_new(layers, json_string(names[0])); /* one layer too many */
                {
                        _cleanup_json_ json_t *c = config_json(diff_ids, n_layers);
                        config = json_text(c);
                }
                digest_buffer(config.p, config.n, cd);
                snprintf(cname, sizeof(cname), "%s.json", digest_hex(cd));
                add_file(a, cname, config.p, config.n);
                free(config.p);
                tags = json_pack("[s]", pick_ref(i));
                if (knob(10, false)) {
                        char extra[48];

                        snprintf(extra, sizeof(extra), "fuzz/docker:extra%zu", i);
                        json_array_append_new(tags, json_string(extra));
                }
                img = json_pack("{s:s,s:o,s:o}", "Config", knob(40, true) ? "../config.json" : cname,
                                "RepoTags", tags, "Layers", layers);
                if (!img)
                        abort();
                if (knob(8, false))
                        json_object_del(img, "RepoTags");
                else if (knob(40, false))
                        json_object_set_new(img, "RepoTags", json_null());
                json_array_append_new(list, img);
        }
        {
                Bytes b = json_text(list);
                add_file(a, "manifest.json", b.p, b.n);
                free(b.p);
        }
        json_decref(list);
        if (knob(4, false))
                add_file(a, "repositories", "{}", 2);
        shake(a, false);
}

static void gen_rootfs(Archive *a)
{
        rootfs_members(a, layer_variant());
        shake(a, true);
        if (knob(20, true)) {
                /* a first member that makes it look like an image archive */
                add_file(a, rnd() % 2 ? "manifest.json" : "index.json", "[]", 2);
                move_last_first(a);
        }
}

/* One archive from the generator: its bytes, maybe compressed as a whole. */
static Bytes generate(unsigned kind)
{
        static const int outer[] = {ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_ZSTD, ARCHIVE_FILTER_XZ,
                                    ARCHIVE_FILTER_BZIP2};
        Archive a = {};
        Bytes b;

        surely_valid = true;
        ref_base = (size_t)rnd();
        switch (kind % 3) {
        case 0:
                gen_docker(&a);
                break;
        case 1:
                gen_oci(&a);
                break;
        default:
                gen_rootfs(&a);
                break;
        }
        b = tar_of(&a);
        archive_done(&a);
        if (knob(6, false)) {
                int f = outer[rnd() % ELEMENTSOF(outer)];
                if (filter_supported(f)) {
                        Bytes c = compress_bytes(b, f);
                        free(b.p);
                        b = c;
                }
        }
        return b;
}

/* The data of the members of an uncompressed tar that look like JSON: where to flip bytes. */
static size_t json_regions(const uint8_t *p, size_t n, size_t starts[], size_t lens[], size_t max)
{
        size_t found = 0;

        for (size_t off = 0; off + 512 <= n && found < max;) {
                const uint8_t *h = p + off;
                char size_field[13] = {};
                size_t size;

                if (h[0] == 0)
                        break;
                memcpy(size_field, h + 124, 12);
                size = strtoull(size_field, NULL, 8);
                if (size > n - off - 512)
                        break;
                if ((h[156] == '0' || h[156] == 0) && size > 0 && (h[512] == '{' || h[512] == '[')) {
                        starts[found] = off + 512;
                        lens[found++] = size;
                }
                off += 512 + (size + 511) / 512 * 512;
        }
        return found;
}

/* Changes bytes in one ustar header of an uncompressed tar and fixes its checksum. */
static void mutate_header(uint8_t *p, size_t n)
{
        size_t blocks = n / 512, b, start = rnd() % (blocks ?: 1);
        unsigned sum = 0;

        for (b = start; b < blocks && memcmp(p + b * 512 + 257, "ustar", 5) != 0; b++)
                ;
        if (b >= blocks)
                return;
        p += b * 512;
        for (int k = 1 + (int)(rnd() % 3); k > 0; k--) {
                static const char chars[] = {'/', '.', 0, '0', '1', '2', '5', 'a', 'x', ' '};
                size_t at = rnd() % 2 ? rnd() % 100 : rnd() % 345; /* mostly the name */
                p[at] = rnd() % 2 ? (uint8_t)chars[rnd() % sizeof(chars)] : (uint8_t)rnd();
        }
        memset(p + 148, ' ', 8);
        for (size_t k = 0; k < 512; k++)
                sum += p[k];
        snprintf((char *)p + 148, 8, "%06o", sum & 0777777);
}

static void mutate(Bytes *b)
{
        static const char chars[] = "{}[]\":,09-.e\\ a/";
        size_t starts[64], lens[64], n;

        if (b->n == 0)
                return;
        switch (rnd() % 5) {
        case 0:
        case 1:
                n = json_regions(b->p, b->n, starts, lens, ELEMENTSOF(starts));
                if (n > 0) {
                        size_t r = rnd() % n;
                        for (int k = 1 + (int)(rnd() % 4); k > 0; k--)
                                b->p[starts[r] + rnd() % lens[r]] =
                                        rnd() % 3 ? (uint8_t)chars[rnd() % (sizeof(chars) - 1)]
                                                  : (uint8_t)rnd();
                        break;
                }
                __attribute__((fallthrough));
        case 2:
                b->n = rnd() % b->n;
                break;
        case 3:
                mutate_header(b->p, b->n);
                break;
        default:
                for (int k = 1 + (int)(rnd() % 8); k > 0; k--)
                        b->p[rnd() % b->n] = (uint8_t)rnd();
                break;
        }
}

static void run(Bytes b, bool must_import, const char *what)
{
        LLVMFuzzerTestOneInput(b.p, b.n);
        if (must_import && last_result < 0) {
                fprintf(stderr, "fuzz-image-archive: %s: a valid archive failed to import: %s\n", what,
                        last_error);
                abort();
        }
}

/* The seeds, then generated archives with knobs turning: a start for a libFuzzer corpus. */
static int write_corpus(const char *dir)
{
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                fprintf(stderr, "%s: %m\n", dir);
                return 1;
        }
        for (unsigned k = 0; k < 3 + N_CORPUS; k++) {
                char path[PATH_MAX];
                Bytes b;
                _cleanup_close_ int fd = -EBADF;

                knobs = k >= 3;
                b = generate(k);
                snprintf(path, sizeof(path), "%s/%s-%u.tar", dir, knobs ? "generated" : "seed", k);
                fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || loop_write(fd, b.p, b.n) < 0) {
                        fprintf(stderr, "%s: %m\n", path);
                        return 1;
                }
                free(b.p);
        }
        return 0;
}

int main(int argc, char **argv)
{
        static const char *const kinds[] = {"docker-archive", "OCI archive", "rootfs tarball"};
        Bytes kept[N_GENERATED];
        size_t n_kept = 0;

        if (argc == 3 && streq(argv[1], "--write-corpus"))
                return write_corpus(argv[2]);
        if (argc > 1) {
                for (int i = 1; i < argc; i++) {
                        char *data = NULL;
                        size_t size = 0;
                        int r = read_full_file(argv[i], 1 << 26, &data, &size);
                        if (r < 0) {
                                fprintf(stderr, "%s: %s\n", argv[i], strerror(-r));
                                return 1;
                        }
                        /* each with a fresh store */
                        n_inputs = 0;
                        LLVMFuzzerTestOneInput((const uint8_t *)data, size);
                        free(data);
                }
                return 0;
        }

        /* the seeds, twice each: the second import reuses what the first stored */
        knobs = false;
        for (unsigned k = 0; k < 3; k++) {
                Bytes b = generate(k);
                run(b, true, kinds[k]);
                run(b, true, kinds[k]);
                free(b.p);
        }
        run((Bytes){(uint8_t *)"", 0}, false, "empty");
        run((Bytes){(uint8_t *)"not a tar\n", 10}, false, "text");

        /* generated, knobs turning */
        knobs = true;
        for (unsigned i = 0; i < N_GENERATED; i++) {
                unsigned k = (unsigned)(rnd() % 3);
                Bytes b = generate(k);
                char what[64];

                snprintf(what, sizeof(what), "generated %s #%u", kinds[k], i);
                run(b, surely_valid, what);
                kept[n_kept++] = b;
        }

        /* then bytes changed: in the JSON, in a header, anywhere; or cut short */
        for (unsigned i = 0; i < N_MUTATED; i++) {
                Bytes from = kept[rnd() % n_kept], b = {xmemdup(from.p, from.n), from.n};
                mutate(&b);
                run(b, false, "mutated");
                free(b.p);
        }
        for (size_t i = 0; i < n_kept; i++)
                free(kept[i].p);
        strv_free(verified);
        return 0;
}
#endif
