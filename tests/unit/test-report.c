/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "json-util.h"
#include "report.h"
#include "tap.h"
#include "util.h"

/* Layers are written with libarchive into memfds; nothing touches the disk. */

typedef struct TarEntry {
        const char *path;
        char type; /* 'f' file, 'd' directory, 'l' symlink, 'h' hard link */
        uint64_t size;
        const char *link;
} TarEntry;

typedef enum Filter {
        FILTER_NONE,
        FILTER_GZIP,
        FILTER_ZSTD,
} Filter;

static int layer_begin(Filter filter, struct archive **ret)
{
        int fd = memfd_create("layer", MFD_CLOEXEC);
        struct archive *a = archive_write_new();

        if (fd < 0 || !a)
                return -1;
        archive_write_set_format_pax_restricted(a);
        if (filter == FILTER_GZIP)
                archive_write_add_filter_gzip(a);
        else if (filter == FILTER_ZSTD && archive_write_add_filter_zstd(a) != ARCHIVE_OK)
                archive_write_add_filter_none(a);
        if (archive_write_open_fd(a, fd) != ARCHIVE_OK)
                return -1;
        *ret = a;
        return fd;
}

static int layer_put(struct archive *a, const TarEntry *e)
{
        static const char zeros[4096];
        struct archive_entry *x = archive_entry_new();
        int r = 0;

        archive_entry_set_pathname(x, e->path);
        archive_entry_set_mtime(x, 1700000000, 0);
        switch (e->type) {
        case 'd':
                archive_entry_set_filetype(x, AE_IFDIR);
                archive_entry_set_perm(x, 0755);
                break;
        case 'l':
                archive_entry_set_filetype(x, AE_IFLNK);
                archive_entry_set_perm(x, 0777);
                archive_entry_set_symlink(x, e->link);
                break;
        case 'h':
                archive_entry_set_filetype(x, AE_IFREG);
                archive_entry_set_perm(x, 0644);
                archive_entry_set_hardlink(x, e->link);
                archive_entry_set_size(x, 0);
                break;
        default:
                archive_entry_set_filetype(x, AE_IFREG);
                archive_entry_set_perm(x, 0644);
                archive_entry_set_size(x, (la_int64_t)e->size);
        }
        if (archive_write_header(a, x) < ARCHIVE_WARN)
                r = -1;
        if (e->type == 'f')
                for (uint64_t left = e->size; r == 0 && left > 0;) {
                        size_t n = left < sizeof(zeros) ? left : sizeof(zeros);
                        if (archive_write_data(a, zeros, n) != (la_ssize_t)n)
                                r = -1;
                        left -= n;
                }
        archive_entry_free(x);
        return r;
}

static int layer_end(struct archive *a, int fd)
{
        if (archive_write_close(a) != ARCHIVE_OK) {
                archive_write_free(a);
                close(fd);
                return -1;
        }
        archive_write_free(a);
        lseek(fd, 0, SEEK_SET);
        return fd;
}

static int make_layer(const TarEntry *e, size_t n, Filter filter)
{
        struct archive *a;
        int fd = layer_begin(filter, &a);
        if (fd < 0)
                return -1;
        for (size_t i = 0; i < n; i++)
                if (layer_put(a, &e[i]) < 0) {
                        archive_write_free(a);
                        close(fd);
                        return -1;
                }
        return layer_end(a, fd);
}

static int make_raw(const void *p, size_t n)
{
        int fd = memfd_create("raw", MFD_CLOEXEC);
        if (fd < 0 || (n > 0 && write(fd, p, n) != (ssize_t)n))
                return -1;
        lseek(fd, 0, SEEK_SET);
        return fd;
}

static bool changes_are(const ReportChanges *c, const char *const *paths, const uint64_t *sizes, size_t n)
{
        if (c->n_files != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(c->files[i].path, paths[i]) || c->files[i].size != sizes[i])
                        return false;
        return true;
}

#define CHANGES_ARE(c, p, s) (ELEMENTSOF(p) == ELEMENTSOF(s) && changes_are(c, p, s, ELEMENTSOF(p)))

static char *capture(void (*fn)(FILE *f, const void *arg), const void *arg)
{
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return NULL;
        fn(f, arg);
        fclose(f);
        return buf;
}

static void print_verbose(FILE *f, const void *r)
{
        image_report_print(f, r, true);
}

typedef struct CiCall {
        const ImageReport *r;
        ReportCiLimits l;
        int ret;
} CiCall;

static void ci_call(FILE *f, const void *arg)
{
        CiCall *c = (CiCall *)arg;
        c->ret = image_report_ci(c->r, &c->l, f);
}

static int run_ci(const ImageReport *r, ReportCiLimits l, char **out)
{
        CiCall c = {.r = r, .l = l};
        *out = capture(ci_call, &c);
        return c.ret;
}

/*
 * The image of the main test, and its numbers worked out by hand.
 *
 * layer 0 (plain tar), history "base": etc/passwd 100, etc/config 50, usr/bin/tool 1000,
 *   var/cache/a 200, var/cache/b 300, data/old 40, link -> etc/passwd; size 1690
 * history: an ENV entry with empty_layer, no layer
 * layer 1 (gzip), "overwrite": etc/passwd 120 (modified), app/bin 500 (added); size 620
 * layer 2 (zstd), "cleanup": etc/.wh.config, var/cache/ opaque with var/cache/b 10 written
 *   again, .wh.data (a directory below), app/bin 500 again; size 510
 *
 * dive's leaves and sizes per path:
 *   /etc/passwd   100, 120   -> total 220, min 100, twice
 *   /etc/config   50, 0      -> total 50, min 0, twice (a whiteout of a file counts 0)
 *   /usr/bin/tool 1000
 *   /var/cache/a  200        (the opaque directory is invisible to dive)
 *   /var/cache/b  300, 10    -> total 310, min 10, twice
 *   /data/old     40
 *   /data         40         (whiteout of a directory: the bytes under it; a leaf once)
 *   /link         0
 *   /app/bin      500, 500   -> total 1000, min 500, twice
 * sum of minimums 1890, sum of totals 2860: efficiency 1890/2860;
 * wasted 1000 + 310 + 220 + 50 = 1580; user size 620 + 510 = 1130; ratio 1580/1130.
 */
static void test_three_layers(void)
{
        static const TarEntry l0[] = {
                {"etc/", 'd'},
                {"etc/passwd", 'f', 100},
                {"etc/config", 'f', 50},
                {"usr/", 'd'},
                {"usr/bin/", 'd'},
                {"usr/bin/tool", 'f', 1000},
                {"var/", 'd'},
                {"var/cache/", 'd'},
                {"var/cache/a", 'f', 200},
                {"var/cache/b", 'f', 300},
                {"data/", 'd'},
                {"data/old", 'f', 40},
                {"link", 'l', 0, "etc/passwd"},
        };
        static const TarEntry l1[] = {
                {"./etc/", 'd'},
                {"./etc/passwd", 'f', 120},
                {"./app/", 'd'},
                {"./app/bin", 'f', 500},
        };
        static const TarEntry l2[] = {
                {"etc/", 'd'},
                {"etc/.wh.config", 'f'},
                {"var/", 'd'},
                {"var/cache/", 'd'},
                {"var/cache/.wh..wh..opq", 'f'},
                {"var/cache/b", 'f', 10},
                {".wh.data", 'f'},
                {"app/", 'd'},
                {"app/bin", 'f', 500},
        };
        _cleanup_json_ json_t *config =
                json_pack("{s:s,s:[{s:s},{s:s,s:b},{s:s},{s:s}]}", "architecture", "amd64", "history",
                          "created_by", "base", "created_by", "ENV X=1", "empty_layer", 1, "created_by",
                          "overwrite", "created_by", "cleanup");
        int fds[3] = {make_layer(l0, ELEMENTSOF(l0), FILTER_NONE),
                      make_layer(l1, ELEMENTSOF(l1), FILTER_GZIP),
                      make_layer(l2, ELEMENTSOF(l2), FILTER_ZSTD)};
        ReportLayerInput in[3] = {
                {fds[0],
                 "sha256:"
                 "0000000000000000000000000000000000000000000000000000000000000000",
                 4096},
                {fds[1],
                 "sha256:"
                 "1111111111111111111111111111111111111111111111111111111111111111",
                 300},
                {fds[2],
                 "sha256:"
                 "2222222222222222222222222222222222222222222222222222222222222222",
                 400},
        };
        _cleanup_image_report_ ImageReport *r = NULL;
        _cleanup_free_ char *err = NULL;
        int k;

        CHECK(config && fds[0] >= 0 && fds[1] >= 0 && fds[2] >= 0,
              "three layers written (plain, gzip, zstd)");
        k = image_report_build(in, 3, config, 0, &r, &err);
        CHECK(k == 0 && r, "three-layer report built (%d %s)", k, strempty(err));
        for (size_t i = 0; i < 3; i++)
                close(fds[i]);
        if (!r)
                return;

        CHECK(r->n_layers == 3, "three layers");
        const ReportLayer *a = &r->layers[0], *b = &r->layers[1], *c = &r->layers[2];

        CHECK(a->index == 0 && streq(a->digest, in[0].digest) && a->blob_size == 4096,
              "layer 0 digest and blob size");
        CHECK(streq_ptr(a->created_by, "base"), "layer 0 created by 'base'");
        CHECK(streq_ptr(b->created_by, "overwrite"),
              "layer 1 created by 'overwrite' (empty_layer entry skipped)");
        CHECK(streq_ptr(c->created_by, "cleanup"), "layer 2 created by 'cleanup'");

        CHECK(a->size == 1690 && b->size == 620 && c->size == 510,
              "layer sizes 1690, 620, 510 (got %" PRIu64 ", %" PRIu64 ", %" PRIu64 ")", a->size, b->size,
              c->size);
        CHECK(a->n_entries == 13 && b->n_entries == 4 && c->n_entries == 9, "entries counted");
        CHECK(a->n_skipped == 0 && b->n_skipped == 0 && c->n_skipped == 0, "nothing skipped");

        {
                static const char *const p[] = {"/data/old",     "/etc/config",  "/etc/passwd", "/link",
                                                "/usr/bin/tool", "/var/cache/a", "/var/cache/b"};
                static const uint64_t s[] = {40, 50, 100, 0, 1000, 200, 300};
                CHECK(CHANGES_ARE(&a->added, p, s) && a->added.bytes == 1690,
                      "layer 0 adds 7 files, 1690 bytes");
                CHECK(a->modified.n_files == 0 && a->removed.n_files == 0,
                      "layer 0 modifies and removes nothing");
        }
        {
                static const char *const pa[] = {"/app/bin"}, *const pm[] = {"/etc/passwd"};
                static const uint64_t sa[] = {500}, sm[] = {120};
                CHECK(CHANGES_ARE(&b->added, pa, sa) && b->added.bytes == 500, "layer 1 adds /app/bin");
                CHECK(CHANGES_ARE(&b->modified, pm, sm) && b->modified.bytes == 120,
                      "layer 1 modifies /etc/passwd (120 bytes)");
                CHECK(b->removed.n_files == 0, "layer 1 removes nothing");
        }
        {
                static const char *const pm[] = {"/app/bin", "/var/cache/b"}, *const pr[] = {"/data/old",
                                                                                             "/etc/config",
                                                                                             "/var/cache/a"};
                static const uint64_t sm[] = {500, 10}, sr[] = {40, 50, 200};
                CHECK(c->added.n_files == 0 && c->added.bytes == 0, "layer 2 adds nothing");
                CHECK(CHANGES_ARE(&c->modified, pm, sm) && c->modified.bytes == 510,
                      "layer 2 modifies /app/bin and /var/cache/b (written again under the opaque dir)");
                CHECK(CHANGES_ARE(&c->removed, pr, sr) && c->removed.bytes == 290,
                      "layer 2 removes /data/old (dir whiteout), /etc/config (whiteout), /var/cache/a "
                      "(opaque)");
        }

        CHECK(r->total_size == 2820 && r->user_size == 1130, "total 2820, user 1130");
        CHECK(r->efficiency == 1890.0 / 2860.0, "efficiency 1890/2860 (got %.17g)", r->efficiency);
        CHECK(r->wasted_bytes == 1580, "wasted 1580 (got %" PRIu64 ")", r->wasted_bytes);
        CHECK(r->user_wasted_percent == 1580.0 / 1130.0, "user wasted ratio 1580/1130 (got %.17g)",
              r->user_wasted_percent);
        CHECK(r->n_inefficient == 4, "four inefficient files (got %zu)", r->n_inefficient);
        if (r->n_inefficient == 4) {
                static const char *const p[] = {"/app/bin", "/var/cache/b", "/etc/passwd", "/etc/config"};
                static const uint64_t s[] = {1000, 310, 220, 50};
                bool ok = true;
                for (size_t i = 0; i < 4; i++)
                        ok = ok && streq(r->inefficient[i].path, p[i]) &&
                             r->inefficient[i].total_bytes == s[i] && r->inefficient[i].count == 2;
                CHECK(ok,
                      "inefficient files by total bytes: /app/bin 1000, /var/cache/b 310, /etc/passwd 220, "
                      "/etc/config 50, each twice");
        }

        /* --json */
        _cleanup_json_ json_t *j = image_report_to_json(r);
        CHECK(j && json_is_object(j), "JSON built");
        json_t *jl = json_object_get(j, "layer"), *ji = json_object_get(j, "image");
        CHECK(json_is_array(jl) && json_array_size(jl) == 3 && json_is_object(ji),
              "JSON has layer[3] and image");
        json_t *l1j = json_array_get(jl, 1);
        CHECK(json_integer_value(json_object_get(l1j, "index")) == 1 &&
                      streq(json_string_value(json_object_get(l1j, "digestId")), in[1].digest) &&
                      json_integer_value(json_object_get(l1j, "sizeBytes")) == 620 &&
                      streq(json_string_value(json_object_get(l1j, "command")), "overwrite") &&
                      json_integer_value(json_object_get(l1j, "blobSizeBytes")) == 300,
              "JSON layer[1]: index, digestId, sizeBytes, command, blobSizeBytes");
        json_t *mod = json_object_get(l1j, "modified");
        CHECK(json_integer_value(json_object_get(mod, "count")) == 1 &&
                      json_integer_value(json_object_get(mod, "sizeBytes")) == 120 &&
                      streq(json_string_value(json_object_get(
                                    json_array_get(json_object_get(mod, "files"), 0), "path")),
                            "/etc/passwd"),
              "JSON layer[1].modified {count, sizeBytes, files[{path, sizeBytes}]}");
        json_t *rem = json_object_get(json_array_get(jl, 2), "removed");
        CHECK(json_integer_value(json_object_get(rem, "count")) == 3 &&
                      json_array_size(json_object_get(rem, "files")) == 3,
              "JSON layer[2].removed has 3 files");
        CHECK(json_is_object(json_object_get(json_array_get(jl, 0), "added")) &&
                      json_integer_value(json_object_get(json_array_get(jl, 0), "skippedEntries")) == 0 &&
                      json_integer_value(json_object_get(json_array_get(jl, 0), "entries")) == 13,
              "JSON layer[0] has added, entries, skippedEntries");
        CHECK(json_integer_value(json_object_get(ji, "sizeBytes")) == 2820 &&
                      json_integer_value(json_object_get(ji, "inefficientBytes")) == 1580 &&
                      json_integer_value(json_object_get(ji, "userSizeBytes")) == 1130 &&
                      json_real_value(json_object_get(ji, "efficiencyScore")) == 1890.0 / 2860.0 &&
                      json_real_value(json_object_get(ji, "userWastedPercent")) == 1580.0 / 1130.0,
              "JSON image: sizeBytes, inefficientBytes, userSizeBytes, efficiencyScore, userWastedPercent");
        json_t *refs = json_object_get(ji, "fileReference");
        json_t *ref0 = json_array_get(refs, 0);
        CHECK(json_array_size(refs) == 4 && json_integer_value(json_object_get(ref0, "count")) == 2 &&
                      json_integer_value(json_object_get(ref0, "sizeBytes")) == 1000 &&
                      streq(json_string_value(json_object_get(ref0, "file")), "/app/bin"),
              "JSON image.fileReference[0] = {count 2, sizeBytes 1000, file /app/bin}");
        _cleanup_free_ char *dump = j ? json_dumps(j, JSON_COMPACT) : NULL;
        CHECK(dump && strstr(dump, "{\"layer\":[{\"index\":0,\"digestId\":"),
              "JSON serializes, dive's key order first");

        /* text */
        _cleanup_free_ char *text = capture(print_verbose, r);
        CHECK(text && strstr(text, "overwrite") && strstr(text, "      D       40 B  /data/old\n") &&
                      strstr(text, "Image efficiency score:  66 %") &&
                      strstr(text, "Total image size:        2.8 kB"),
              "human table (verbose) lists layers, changes and details");

        /* --ci */
        _cleanup_free_ char *o1 = NULL, *o2 = NULL, *o3 = NULL;
        CHECK(run_ci(r, REPORT_CI_LIMITS_DEFAULT, &o1) == 1, "dive's default CI rules fail this image");
        CHECK(o1 && strstr(o1, "  FAIL: lowestEfficiency: image efficiency is too low") &&
                      strstr(o1, "  FAIL: highestUserWastedPercent:") &&
                      strstr(o1, "  SKIP: highestWastedBytes: rule disabled") &&
                      strstr(o1, "Result:FAIL [Total:3] [Passed:0] [Failed:2] [Warn:0] [Skipped:1]") &&
                      strstr(o1, "  wastedBytes: 1580 bytes (1.6 kB)") &&
                      strstr(o1, "  efficiency: 66.0839 %"),
              "CI output like dive's");

        ReportCiLimits l = REPORT_CI_LIMITS_DEFAULT;
        CHECK(report_ci_limits_set(&l, "lowestEfficiency", "0.6", NULL) == 0 &&
                      report_ci_limits_set(&l, "rules.highestWastedBytes", "2KB", NULL) == 0 &&
                      report_ci_limits_set(&l, "highestUserWastedPercent", "disabled", NULL) == 0,
              "limits set");
        CHECK(run_ci(r, l, &o2) == 0 && o2 && strstr(o2, "Result:PASS [Total:3] [Passed:2] [Failed:0]"),
              "lowestEfficiency 0.6, highestWastedBytes 2KB, percent disabled: pass");
        CHECK(report_ci_limits_set(&l, "highestWastedBytes", "1.5kB", NULL) == 0 && run_ci(r, l, &o3) == 1 &&
                      o3 &&
                      strstr(o3, "FAIL: highestWastedBytes: too many bytes wasted (wasted-bytes=1580 > "
                                 "threshold=1500)"),
              "highestWastedBytes 1.5kB: fail");
        l.lowest_efficiency = 1.5;
        CHECK(image_report_ci(r, &l, stderr) == -EINVAL, "an out-of-range limit is refused");
}

static void test_limits_parse(void)
{
        static const struct {
                const char *s;
                int64_t v; /* -1: refused */
        } bytes[] = {
                {"20MB", 20000000},  {"20M", 20000000},  {"20mb", 20000000}, {"20 MB", 20000000},
                {"20MiB", 20971520}, {"20mi", 20971520}, {"1000", 1000},     {"0", 0},
                {"1.5 kB", 1500},    {"1.5k", 1500},     {"2KiB", 2048},     {"1GB", 1000000000},
                {"7b", 7},           {"9EiB", -1},       {"1e3", -1},        {"", -1},
                {"MB", -1},          {"-1", -1},         {" 1", -1},         {"1.2.3", -1},
                {"12 parsecs", -1},  {"1 MB x", -1},     {"1,000", -1},      {"0.5", 0},
        };
        for (size_t i = 0; i < ELEMENTSOF(bytes); i++) {
                uint64_t v = 0;
                int k = report_parse_bytes(bytes[i].s, &v);
                if (bytes[i].v < 0)
                        CHECK(k < 0, "bytes '%s' refused", bytes[i].s);
                else
                        CHECK(k == 0 && v == (uint64_t)bytes[i].v,
                              "bytes '%s' = %" PRId64 " (got %d, %" PRIu64 ")", bytes[i].s, bytes[i].v, k,
                              v);
        }

        ReportCiLimits l = REPORT_CI_LIMITS_DEFAULT;
        CHECK(l.lowest_efficiency == 0.9 && l.highest_wasted_bytes < 0 &&
                      l.highest_user_wasted_percent == 0.1,
              "dive's default rules: 0.9, disabled, 0.1");
        CHECK(report_ci_limits_set(&l, "lowestEfficiency", "0.95", NULL) == 0 && l.lowest_efficiency == 0.95,
              "lowestEfficiency 0.95");
        CHECK(report_ci_limits_set(&l, "rules.lowestEfficiency", "disabled", NULL) == 0 &&
                      l.lowest_efficiency < 0,
              "rules.lowestEfficiency disabled");
        CHECK(report_ci_limits_set(&l, "highestWastedBytes", "20MB", NULL) == 0 &&
                      l.highest_wasted_bytes == 20000000,
              "highestWastedBytes 20MB");
        CHECK(report_ci_limits_set(&l, "highestWastedBytes", "disabled", NULL) == 0 &&
                      l.highest_wasted_bytes < 0,
              "highestWastedBytes disabled");
        CHECK(report_ci_limits_set(&l, "highestUserWastedPercent", "0.1", NULL) == 0 &&
                      l.highest_user_wasted_percent == 0.1,
              "highestUserWastedPercent 0.1");

        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
        CHECK(report_ci_limits_set(&l, "lowestEfficiency", "1.5", &e1) == -EINVAL && e1 &&
                      strstr(e1, "(0-1)"),
              "ratio above 1 refused (%s)", strempty(e1));
        CHECK(report_ci_limits_set(&l, "highestUserWastedPercent", "ten", &e2) == -EINVAL && e2,
              "ratio not a number refused");
        CHECK(report_ci_limits_set(&l, "highestWastedBytes", "lots", &e3) == -EINVAL && e3,
              "size not a size refused");
        CHECK(report_ci_limits_set(&l, "highestFoo", "1", &e4) == -EINVAL && e4 &&
                      strstr(e4, "'highestFoo'"),
              "unknown rule refused");
        CHECK(report_ci_limits_set(&l, "lowestEfficiency", "nan", NULL) == -EINVAL &&
                      report_ci_limits_set(&l, "lowestEfficiency", "-0.1", NULL) == -EINVAL &&
                      report_ci_limits_set(&l, "lowestEfficiency", " 0.5", NULL) == -EINVAL,
              "nan, negative and padded ratios refused");
}

static void test_one_layer(void)
{
        static const TarEntry l0[] = {
                {"bin/", 'd'},
                {"bin/sh", 'f', 1234},
                {"bin/ash", 'h', 0, "bin/sh"},
                {"etc/motd", 'f', 10},
        };
        int fd = make_layer(l0, ELEMENTSOF(l0), FILTER_GZIP);
        ReportLayerInput in = {fd,
                               "sha256:"
                               "3333333333333333333333333333333333333333333333333333333333333333",
                               99};
        _cleanup_image_report_ ImageReport *r = NULL;
        _cleanup_free_ char *out = NULL;

        CHECK(image_report_build(&in, 1, NULL, 0, &r, NULL) == 0 && r, "one-layer report, no config");
        close(fd);
        if (!r)
                return;
        CHECK(r->layers[0].size == 1244 && r->layers[0].added.n_files == 3,
              "hard link counted as a file of 0");
        CHECK(!r->layers[0].created_by, "no history: created_by NULL");
        CHECK(r->efficiency == 1.0 && r->wasted_bytes == 0 && r->n_inefficient == 0,
              "score 1.0, nothing wasted");
        CHECK(r->user_size == 0 && r->user_wasted_percent == 0.0,
              "user size 0, ratio 0 (no division by zero)");
        CHECK(run_ci(r, REPORT_CI_LIMITS_DEFAULT, &out) == 0 && out &&
                      strstr(out, "  userWastedPercent: 0.0000 %"),
              "default CI rules pass");
        _cleanup_json_ json_t *j = image_report_to_json(r);
        CHECK(j &&
                      json_is_null(
                              json_object_get(json_array_get(json_object_get(j, "layer"), 0), "command")) &&
                      json_real_value(json_object_get(json_object_get(j, "image"), "efficiencyScore")) ==
                              1.0,
              "JSON: command null, efficiencyScore 1.0");
}

static void test_history_and_replacements(void)
{
        static const TarEntry l0[] = {
                {"d/", 'd'},
                {"d/x", 'f', 10},
                {"d/y", 'f', 20},
                {"f", 'f', 100},
        };
        static const TarEntry l1[] = {
                {"d", 'f', 5},
                {".wh.f", 'f'},
                {".wh.never-there", 'f'},
        };
        _cleanup_json_ json_t *config = json_pack("{s:[{s:s}]}", "history", "created_by", "only one");
        int fds[2] = {make_layer(l0, ELEMENTSOF(l0), FILTER_NONE),
                      make_layer(l1, ELEMENTSOF(l1), FILTER_NONE)};
        ReportLayerInput in[2] = {{fds[0], "sha256:a", 1}, {fds[1], "sha256:b", 1}};
        _cleanup_image_report_ ImageReport *r = NULL;
        _cleanup_free_ char *out = NULL;

        CHECK(image_report_build(in, 2, config, 0, &r, NULL) == 0 && r, "two-layer report");
        close(fds[0]);
        close(fds[1]);
        if (!r)
                return;
        CHECK(streq_ptr(r->layers[0].created_by, "only one") && !r->layers[1].created_by,
              "history shorter than the layers: created_by NULL");
        static const char *const pm[] = {"/d"}, *const pr[] = {"/d/x", "/d/y", "/f"};
        static const uint64_t sm[] = {5}, sr[] = {10, 20, 100};
        CHECK(CHANGES_ARE(&r->layers[1].modified, pm, sm) && CHANGES_ARE(&r->layers[1].removed, pr, sr),
              "a file over a directory: modified, and the files under it removed; whiteout of a missing "
              "path "
              "ignored");
        /* leaves: /d/x 10, /d/y 20, /f 100 | /d 5, /f 0 (whiteout of a file) -> /f twice */
        CHECK(r->wasted_bytes == 100 && r->efficiency == 35.0 / 135.0, "deleted file costs its size (%.17g)",
              r->efficiency);
        CHECK(r->user_size == 5 && r->user_wasted_percent == 20.0, "ratio 100/5");

        static const TarEntry l2[] = {{".wh.d", 'f'}};
        int fd2 = make_layer(l2, ELEMENTSOF(l2), FILTER_NONE);
        int fd0 = make_layer(l0, ELEMENTSOF(l0), FILTER_NONE);
        ReportLayerInput in2[2] = {{fd0, "sha256:a", 1}, {fd2, "sha256:c", 1}};
        _cleanup_image_report_ ImageReport *r2 = NULL;
        CHECK(image_report_build(in2, 2, NULL, 0, &r2, NULL) == 0 && r2, "delete-only image built");
        close(fd0);
        close(fd2);
        if (!r2)
                return;
        /* dive: /d is a leaf only in layer 1 (30 bytes under it), seen once: no waste */
        CHECK(r2->wasted_bytes == 0 && r2->efficiency == 1.0 && r2->layers[1].removed.bytes == 30,
              "deleting a whole directory is no waste to dive");
        CHECK(r2->user_size == 0 && r2->user_wasted_percent == 0.0, "no waste, no user bytes: ratio 0");

        static const TarEntry l3[] = {{"d/.wh.x", 'f'}};
        int fd3 = make_layer(l3, ELEMENTSOF(l3), FILTER_NONE);
        fd0 = make_layer(l0, ELEMENTSOF(l0), FILTER_NONE);
        ReportLayerInput in3[2] = {{fd0, "sha256:a", 1}, {fd3, "sha256:d", 1}};
        _cleanup_image_report_ ImageReport *r3 = NULL;
        CHECK(image_report_build(in3, 2, NULL, 0, &r3, NULL) == 0 && r3, "file-delete-only image built");
        close(fd0);
        close(fd3);
        if (!r3)
                return;
        CHECK(r3->wasted_bytes == 10 && isinf(r3->user_wasted_percent),
              "waste without user bytes: ratio infinite");
        _cleanup_json_ json_t *j = image_report_to_json(r3);
        CHECK(j && json_is_null(json_object_get(json_object_get(j, "image"), "userWastedPercent")),
              "JSON: infinite ratio is null");
        CHECK(run_ci(r3, REPORT_CI_LIMITS_DEFAULT, &out) == 1 && out &&
                      strstr(out, "FAIL: highestUserWastedPercent"),
              "infinite ratio fails highestUserWastedPercent, as in dive");
}

static void test_hostile_names(void)
{
        char long_path[5001], long_comp[300];
        memset(long_path, 'a', sizeof(long_path) - 1);
        for (size_t i = 100; i < sizeof(long_path) - 1; i += 100)
                long_path[i] = '/';
        long_path[sizeof(long_path) - 1] = 0;
        memset(long_comp, 'b', sizeof(long_comp) - 1);
        long_comp[sizeof(long_comp) - 1] = 0;

        const TarEntry l0[] = {
                {"../x", 'f', 1}, /* skipped */
                {"a/../../b", 'f', 1}, /* skipped */
                {"a/..", 'd'}, /* skipped */
                {"/abs", 'f', 5}, /* /abs */
                {"./ok", 'f', 7}, /* /ok */
                {"//x//y/./z/", 'd'}, /* /x/y/z, a directory */
                {long_path, 'f', 1}, /* skipped: PATH_MAX */
                {long_comp, 'f', 1}, /* skipped: NAME_MAX */
                {".wh..", 'f'}, /* skipped */
                {".wh...", 'f'}, /* skipped */
                {".wh.", 'f'}, /* skipped */
                {"q/.wh.w/child", 'f', 1}, /* skipped: a whiteout is no directory */
                {"q/.wh..wh.plnk", 'f'}, /* aufs metadata: taken, means nothing */
                {"esc\x1b[31mred\x7f", 'f', 3}, /* kept; printed escaped */
                {"c1\xc2\x9b"
                 "2J",
                 'f', 1}, /* kept; C1 CSI printed escaped */
                {"caf\xc3\xa9", 'f', 1}, /* kept; printed as is */
                {".", 'd'}, /* the root: ignored */
        };
        int fd = make_layer(l0, ELEMENTSOF(l0), FILTER_NONE);
        ReportLayerInput in = {fd, "sha256:e", 1};
        _cleanup_image_report_ ImageReport *r = NULL;
        _cleanup_free_ char *err = NULL;
        int k;

        CHECK(fd >= 0, "hostile layer written");
        k = image_report_build(&in, 1, NULL, 0, &r, &err);
        CHECK(k == 0 && r, "hostile names do not fail the report (%d %s)", k, strempty(err));
        close(fd);
        if (!r)
                return;
        const ReportLayer *l = &r->layers[0];
        CHECK(l->n_skipped == 9, "9 entries skipped (got %" PRIu64 ")", l->n_skipped);
        CHECK(l->n_entries == 7, "7 entries taken (got %" PRIu64 ")", l->n_entries);
        static const char *const p[] = {"/abs",
                                        "/c1\xc2\x9b"
                                        "2J",
                                        "/caf\xc3\xa9", "/esc\x1b[31mred\x7f", "/ok"};
        static const uint64_t s[] = {5, 1, 1, 3, 7};
        CHECK(CHANGES_ARE(&l->added, p, s),
              "added: /abs, /c1.., /café, /esc.., /ok (leading / and ./ stripped)");
        CHECK(l->size == 17, "size of the taken files only");

        _cleanup_free_ char *text = capture(print_verbose, r);
        CHECK(text && !strchr(text, '\x1b') && !strchr(text, '\x7f') && !strstr(text, "\xc2\x9b") &&
                      strstr(text, "/esc\\x1b[31mred\\x7f") && strstr(text, "/c1\\xc2\\x9b2J") &&
                      strstr(text, "/caf\xc3\xa9") && strstr(text, "9 entries with unusable names, ignored"),
              "control characters escaped in the table");
        _cleanup_json_ json_t *j = image_report_to_json(r);
        _cleanup_free_ char *dump = j ? json_dumps(j, 0) : NULL;
        CHECK(dump && strcasestr(dump, "\\u001b[31mred"), "JSON escapes them too");
}

static void test_bad_input(void)
{
        static const TarEntry l0[] = {
                {"a/", 'd'},     {"a/1", 'f', 1}, {"a/2", 'f', 1}, {"a/3", 'f', 1},
                {"a/4", 'f', 1}, {"a/5", 'f', 1}, {"a/6", 'f', 1},
        };
        static const char junk[] = "this is not a tar stream, not even compressed, just text....";
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL;
        ImageReport *r = NULL;
        int k, fd;

        fd = make_raw(junk, sizeof(junk));
        ReportLayerInput in = {fd, "sha256:f", sizeof(junk)};
        k = image_report_build(&in, 1, NULL, 0, &r, &e1);
        CHECK(k == -EBADMSG && !r && e1 && startswith(e1, "layer 0: "), "garbage refused (%s)",
              strempty(e1));
        close(fd);

        fd = make_layer(l0, ELEMENTSOF(l0), FILTER_GZIP);
        in.fd = fd;
        k = image_report_build(&in, 1, NULL, 5, &r, &e2);
        CHECK(k == -E2BIG && !r && e2 && strstr(e2, "limit"), "path limit enforced (%s)", strempty(e2));
        close(fd);

        /* a truncated gzip stream */
        fd = make_layer(l0, ELEMENTSOF(l0), FILTER_GZIP);
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof(buf));
        close(fd);
        fd = make_raw(buf, n > 40 ? (size_t)n - 30 : 1);
        in.fd = fd;
        k = image_report_build(&in, 1, NULL, 0, &r, &e3);
        CHECK(k < 0 && !r && e3, "truncated stream refused (%s)", strempty(e3));
        close(fd);

        fd = make_raw("", 0);
        in.fd = fd;
        k = image_report_build(&in, 1, NULL, 0, &r, NULL);
        CHECK(k == 0 && r && r->layers[0].n_entries == 0 && r->efficiency == 1.0,
              "an empty blob is an empty layer");
        r = image_report_free(r);
        close(fd);

        in.fd = -1;
        CHECK(image_report_build(&in, 1, NULL, 0, &r, NULL) == -EBADF, "no fd refused");
}

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int make_big_layer(uint64_t size)
{
        struct archive *a;
        char path[64];
        int fd = layer_begin(FILTER_NONE, &a);

        if (fd < 0)
                return -1;
        for (int d = 0; d < 100; d++) {
                snprintf(path, sizeof(path), "usr/share/d%03d/", d);
                if (layer_put(a, &(TarEntry){path, 'd'}) < 0)
                        return -1;
                for (int f = 0; f < 1000; f++) {
                        snprintf(path, sizeof(path), "usr/share/d%03d/file-%04d", d, f);
                        if (layer_put(a, &(TarEntry){path, 'f', f == 0 ? size : 0}) < 0)
                                return -1;
                }
        }
        return layer_end(a, fd);
}

static void test_performance(void)
{
        int fds[2] = {make_big_layer(1), make_big_layer(2)};
        ReportLayerInput in[2] = {{fds[0], "sha256:0", 0}, {fds[1], "sha256:1", 0}};
        _cleanup_image_report_ ImageReport *r = NULL;

        CHECK(fds[0] >= 0 && fds[1] >= 0, "two layers of 100100 entries written");
        double t = now();
        int k = image_report_build(in, 2, NULL, 0, &r, NULL);
        t = now() - t;
        close(fds[0]);
        close(fds[1]);
        CHECK(k == 0 && r && r->layers[0].added.n_files == 100000 &&
                      r->layers[1].modified.n_files == 100000 && r->wasted_bytes == 300 &&
                      r->n_inefficient == 100000,
              "every file of layer 0 modified by layer 1");
        /* speed is for bench/, not a pass/fail criterion: the time is only reported */
        printf("# two layers of 100k entries analysed in %.3f s\n", t);
}

int main(void)
{
        test_three_layers();
        test_limits_parse();
        test_one_layer();
        test_history_and_replacements();
        test_hostile_names();
        test_bad_input();
        test_performance();
        return tap_done();
}
