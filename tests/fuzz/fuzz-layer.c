/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the layer unpacker: the bytes are a layer blob (tar, maybe compressed) from
 * a registry, so anything must end in a tree inside the target directory or an error, never in a
 * file outside it, a crash, a hang or a leak. Each input is unpacked into a fresh directory
 * BASE/root next to BASE/outside/sentinel; afterwards BASE holds exactly those two and the sentinel
 * is untouched. Run as root to reach everything (device nodes, ownership, trusted.* xattrs). */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "digest.h"
#include "layer.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SENTINEL "do not touch\n"

static char base[64]; /* BASE: made once per process */
static int base_fd = -EBADF;

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
        snprintf(base, sizeof(base), "%s", "/tmp/fuzz-layer.XXXXXX");
        if (!mkdtemp(base))
                abort();
        atexit(remove_base);
        base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (base_fd < 0 || mkdirat(base_fd, "outside", 0755) < 0)
                abort();
        fd = openat(base_fd, "outside/sentinel", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || loop_write(fd, SENTINEL, strlen(SENTINEL)) < 0 || fchmod(fd, 0600) < 0)
                abort();
        close(fd);
}

/* The names in dir_fd/path, sorted and joined by spaces, must be exactly want. */
static void check_listing(const char *path, const char *want)
{
        char got[256] = "";
        int fd = openat(base_fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct dirent **names;
        int n;

        if (fd < 0)
                abort();
        n = scandirat(fd, ".", &names, NULL, alphasort);
        close(fd);
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
        if (!streq(got, want))
                abort();
}

static void check_outside(void)
{
        char buf[64];
        struct stat st;
        int fd;

        check_listing(".", "outside root");
        check_listing("outside", "sentinel");
        fd = openat(base_fd, "outside/sentinel", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != 0600 ||
            st.st_nlink != 1 || st.st_uid != geteuid() || st.st_size != (off_t)strlen(SENTINEL) ||
            read(fd, buf, sizeof(buf)) != (ssize_t)strlen(SENTINEL) ||
            memcmp(buf, SENTINEL, strlen(SENTINEL)) != 0)
                abort();
        close(fd);
}

static int memfd_with(const uint8_t *data, size_t size)
{
        int fd = memfd_create("fuzz-layer", MFD_CLOEXEC);
        if (fd < 0 || loop_write(fd, data, size) < 0 || lseek(fd, 0, SEEK_SET) != 0)
                abort();
        return fd;
}

/* the tee copy holds exactly the first n bytes of data */
static void check_tee(int tee_fd, const uint8_t *data, size_t n)
{
        struct stat st;
        void *p;

        if (fstat(tee_fd, &st) < 0 || (size_t)st.st_size != n)
                abort();
        if (n == 0)
                return;
        p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, tee_fd, 0);
        if (p == MAP_FAILED || memcmp(p, data, n) != 0)
                abort();
        munmap(p, n);
}

static int last_result;
static char last_error[512];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const LayerLimits limits = {.max_bytes = 8 << 20, .max_entries = 2000};
        LayerResult res, res2;
        char *err = NULL, want[DIGEST_MAX];
        int in_fd, tee_fd, root_fd, r;
        struct stat st;

        make_base();
        if (mkdirat(base_fd, "root", 0755) < 0)
                abort();
        root_fd = openat(base_fd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        in_fd = memfd_with(data, size);
        tee_fd = memfd_create("fuzz-layer-tee", MFD_CLOEXEC);
        if (root_fd < 0 || tee_fd < 0)
                abort();

        r = layer_unpack(in_fd, root_fd, tee_fd, &limits, &res, &err);
        last_result = r;
        snprintf(last_error, sizeof(last_error), "%s", strempty(err));
        if (r < 0) {
                /* a failure says why; what was read so far was copied, nothing else */
                if (r != -ENOMEM && (!err || !*err))
                        abort();
                if (fstat(tee_fd, &st) < 0 || (size_t)st.st_size > size)
                        abort();
                check_tee(tee_fd, data, (size_t)st.st_size);
        } else {
                if (err || !digest_valid(res.digest) || !digest_valid(res.diff_id) || res.size != size ||
                    res.uncompressed_size > limits.max_bytes || res.entries > limits.max_entries)
                        abort();
                if (digest_buffer(data, size, want) < 0 || !streq(want, res.digest))
                        abort();
                if (!res.compression && !streq(res.digest, res.diff_id))
                        abort();
                check_tee(tee_fd, data, size);

                /* digests alone agree with the unpack */
                if (lseek(in_fd, 0, SEEK_SET) != 0)
                        abort();
                if (layer_digest(in_fd, &limits, &res2, &err) < 0 || !streq(res.digest, res2.digest) ||
                    !streq(res.diff_id, res2.diff_id) || res.size != res2.size ||
                    res.uncompressed_size != res2.uncompressed_size || res.entries != res2.entries)
                        abort();
        }
        free(err);
        close(in_fd);
        close(tee_fd);
        close(root_fd);

        check_outside();
        if (rm_rf_at(base_fd, "root") < 0)
                abort();
        return 0;
}

#ifdef FUZZ_STANDALONE
/* Without libFuzzer: replay the files named on the command line, or run a small built-in corpus
 * (tars written with libarchive, naming BASE so absolute symlinks aim outside) as it is, gzip'd
 * and zstd'd, then deterministic mutations of it. A few seconds, so it runs as a test. */
#include <archive.h>
#include <archive_entry.h>

typedef struct Entry {
        const char *name;
        mode_t type; /* 0: hard link to link */
        mode_t perm;
        const char *data; /* regular files; symlink target */
        const char *link; /* hard link target */
        const char *xattr, *xattr_value;
        unsigned rdev_major, rdev_minor;
        size_t xattr_len; /* 0: strlen(xattr_value) */
} Entry;

#define CORPUS_MAX 64
#define BUF_MAX (1 << 20)

static uint8_t *corpus[CORPUS_MAX];
static size_t corpus_size[CORPUS_MAX], n_corpus;

static void add_tar(const Entry *entries, int filter)
{
        struct archive *a = archive_write_new();
        uint8_t *buf = malloc(BUF_MAX);
        size_t used = 0;

        if (!a || !buf || n_corpus >= CORPUS_MAX ||
            archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            (filter != ARCHIVE_FILTER_NONE && archive_write_add_filter(a, filter) != ARCHIVE_OK) ||
            archive_write_open_memory(a, buf, BUF_MAX, &used) != ARCHIVE_OK)
                abort();
        for (const Entry *e = entries; e->name; e++) {
                struct archive_entry *ae = archive_entry_new();
                size_t len = e->type == AE_IFREG && e->data ? strlen(e->data) : 0;

                archive_entry_set_pathname(ae, e->name);
                archive_entry_set_perm(ae, e->perm ?: 0644);
                archive_entry_set_mtime(ae, 1600000000, 0);
                if (e->type == 0) {
                        archive_entry_set_filetype(ae, AE_IFREG);
                        archive_entry_set_hardlink(ae, e->link);
                } else
                        archive_entry_set_filetype(ae, e->type);
                if (e->type == AE_IFLNK)
                        archive_entry_set_symlink(ae, e->data);
                if (e->type == AE_IFCHR || e->type == AE_IFBLK) {
                        archive_entry_set_rdevmajor(ae, e->rdev_major);
                        archive_entry_set_rdevminor(ae, e->rdev_minor);
                }
                if (e->xattr)
                        archive_entry_xattr_add_entry(ae, e->xattr, e->xattr_value,
                                                      e->xattr_len ?: strlen(e->xattr_value));
                archive_entry_set_size(ae, (la_int64_t)len);
                if (archive_write_header(a, ae) != ARCHIVE_OK ||
                    (len > 0 && archive_write_data(a, e->data, len) != (la_ssize_t)len))
                        abort();
                archive_entry_free(ae);
        }
        if (archive_write_close(a) != ARCHIVE_OK)
                abort();
        archive_write_free(a);
        corpus[n_corpus] = buf;
        corpus_size[n_corpus++] = used;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
        rnd_state ^= rnd_state << 13;
        rnd_state ^= rnd_state >> 7;
        rnd_state ^= rnd_state << 17;
        return rnd_state;
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
                size_t at = rnd() % 345; /* name .. prefix, not the padding */
                static const char chars[] = {'/', '.', 0, '0', '1', '5', '7', 'a', '-', ' '};
                p[at] = rnd() % 2 ? (uint8_t)chars[rnd() % sizeof(chars)] : (uint8_t)rnd();
        }
        memset(p + 148, ' ', 8);
        for (size_t k = 0; k < 512; k++)
                sum += p[k];
        snprintf((char *)p + 148, 8, "%06o", sum & 0777777);
}

static void run(const uint8_t *data, size_t size, int expect)
{
        LLVMFuzzerTestOneInput(data, size);
        if ((expect == 0 && last_result != 0) || (expect < 0 && last_result >= 0)) {
                fprintf(stderr, "fuzz-layer: built-in input: expected %s, got %d %s\n",
                        expect == 0 ? "success" : "failure", last_result, last_error);
                abort();
        }
}

int main(int argc, char **argv)
{
        char out_dir[128], out_file[128];
        const Entry normal[] = {
                {"./", AE_IFDIR, 0755},
                {"etc", AE_IFDIR, 0755},
                {"etc/hostname", AE_IFREG, 0644, "box\n"},
                {"etc/link", AE_IFLNK, 0777, "hostname"},
                {"etc/abs", AE_IFLNK, 0777, "/etc/hostname"},
                {"etc/hard", 0, 0644, NULL, "etc/hostname"},
                {"bin/ping", AE_IFREG, 04755, "ELF", NULL, "security.capability",
                 "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 0, 0,
                 20},
                {"bin/x", AE_IFREG, 0755, "x", NULL, "trusted.overlay.opaque", "y"},
                {"bin/u", AE_IFREG, 0755, "u", NULL, "user.a", "b"},
                {"dev/null", AE_IFCHR, 0666, NULL, NULL, NULL, NULL, 1, 3},
                {"run/fifo", AE_IFIFO, 0600},
                {"a/b/c/d", AE_IFREG, 0600, "deep"},
                {NULL},
        };
        const Entry whiteouts[] = {
                {"a", AE_IFDIR, 0755},      {"a/f", AE_IFREG, 0644, "f"},
                {"a/.wh.f", AE_IFREG},      {"b/.wh..wh..opq", AE_IFREG},
                {".wh..wh.plnk", AE_IFREG}, {".wh.gone", AE_IFREG},
                {"c/.wh..", AE_IFREG},      {NULL},
        };
        const Entry escapes[] = {
                {"../outside/x", AE_IFREG, 0644, "pwned"},
                {NULL},
        };
        const Entry abs_escape[] = {
                {"/../outside/x", AE_IFREG, 0644, "pwned"},
                {NULL},
        };
        const Entry hardlink_out[] = {
                {"h", 0, 0644, NULL, "../outside/sentinel"},
                {NULL},
        };
        const Entry symlink_dir[] = {
                {"loop", AE_IFLNK, 0777, out_dir},
                {"loop/f", AE_IFREG, 0644, "pwned"},
                {NULL},
        };
        const Entry symlink_rel[] = {
                {"loop", AE_IFLNK, 0777, "../outside"},
                {"loop/f", AE_IFREG, 0644, "pwned"},
                {NULL},
        };
        const Entry symlink_chmod[] = {
                {"s", AE_IFLNK, 0777, out_file},
                {"s", AE_IFREG, 0777, "mine"},
                {"t", AE_IFLNK, 0777, out_dir},
                {"t", AE_IFDIR, 0777},
                {"u", AE_IFLNK, 0777, out_file},
                {"h", 0, 0644, NULL, "u"},
                {NULL},
        };
        const Entry dir_swap[] = {
                {"d", AE_IFDIR, 0755},
                {"d/a", AE_IFREG, 0644, "a"},
                {"d", AE_IFLNK, 0777, out_dir},
                {"d/b", AE_IFREG, 0777, "pwned"},
                {NULL},
        };
        const struct {
                const Entry *entries;
                int expect; /* 0 success, -1 failure, 1 either */
        } sets[] = {
                {normal, 0},       {whiteouts, -1},    {escapes, -1},
                {abs_escape, -1},  {hardlink_out, -1}, {symlink_dir, -1},
                {symlink_rel, -1}, {symlink_chmod, 0}, {dir_swap, -1},
        };
        static const int filters[] = {ARCHIVE_FILTER_NONE, ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_ZSTD};
        int expect[CORPUS_MAX];
        static uint8_t buf[BUF_MAX];

        if (argc > 1) {
                for (int i = 1; i < argc; i++) {
                        char *data = NULL;
                        size_t size = 0;
                        int r = read_full_file(argv[i], 1 << 26, &data, &size);
                        if (r < 0) {
                                fprintf(stderr, "%s: %s\n", argv[i], strerror(-r));
                                return 1;
                        }
                        LLVMFuzzerTestOneInput((const uint8_t *)data, size);
                        free(data);
                }
                return 0;
        }

        make_base();
        snprintf(out_dir, sizeof(out_dir), "%s/outside", base);
        snprintf(out_file, sizeof(out_file), "%s/outside/sentinel", base);
        for (size_t s = 0; s < ELEMENTSOF(sets); s++)
                for (size_t f = 0; f < ELEMENTSOF(filters); f++) {
                        expect[n_corpus] = sets[s].expect;
                        add_tar(sets[s].entries, filters[f]);
                }

        /* as they are: the normal ones unpack, the hostile ones fail or stay inside */
        for (size_t i = 0; i < n_corpus; i++)
                run(corpus[i], corpus_size[i], expect[i]);
        run((const uint8_t *)"", 0, 0);

        /* then mutated: bytes flipped, cut short, spliced, grown */
        for (int iter = 0; iter < 10000; iter++) {
                size_t i = rnd() % n_corpus, n = corpus_size[i];
                memcpy(buf, corpus[i], n);
                switch (rnd() % 5) {
                case 4:
                        /* a field of a tar header, its checksum mended so the parser goes on */
                        mutate_header(buf, n);
                        break;
                case 0:
                        for (int k = 1 + (int)(rnd() % 8); k > 0; k--)
                                buf[rnd() % n] = (uint8_t)rnd();
                        break;
                case 1:
                        n = rnd() % n;
                        break;
                case 2: {
                        size_t j = rnd() % n_corpus, at = rnd() % n, from = rnd() % corpus_size[j];
                        size_t len = corpus_size[j] - from;
                        if (at + len > BUF_MAX)
                                len = BUF_MAX - at;
                        memcpy(buf + at, corpus[j] + from, len);
                        n = at + len;
                        break;
                }
                default: {
                        size_t at = rnd() % n, len = rnd() % 2048;
                        if (n + len > BUF_MAX)
                                len = BUF_MAX - n;
                        memmove(buf + at + len, buf + at, n - at);
                        for (size_t k = 0; k < len; k++)
                                buf[at + k] = (uint8_t)rnd();
                        n += len;
                        break;
                }
                }
                LLVMFuzzerTestOneInput(buf, n);
        }
        for (size_t i = 0; i < n_corpus; i++)
                free(corpus[i]);
        return 0;
}
#endif
