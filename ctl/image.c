/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ctrctl image …: the local image store (lib/image). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bus-property.h"
#include "export.h"
#include "import.h"
#include "json-util.h"
#include "log.h"
#include "report.h"
#include "store.h"
#include "util.h"

static void image_help(void)
{
        printf("Usage: ctrctl image import FILE|DIR [NAME[:TAG]]\n"
               "       ctrctl image export [--format=docker-archive|oci-archive] NAME FILE\n"
               "       ctrctl image ls [--json]          (also: ctrctl images)\n"
               "       ctrctl image inspect [--json] NAME\n"
               "       ctrctl image layers [--json] [--ci] [--lowest-efficiency=R]\n"
               "                           [--highest-wasted-bytes=SIZE] [--highest-user-wasted-percent=R] "
               "NAME\n"
               "       ctrctl image tag NAME NEWNAME\n"
               "       ctrctl image rm NAME...\n"
               "       ctrctl image prune\n\n"
               "The image store is an OCI image layout in /var/lib/ctr (CTR_STORAGE_DIR moves it);\n"
               "skopeo (oci:/var/lib/ctr:NAME:TAG) and umoci read it too.\n\n"
               "import takes a docker export tarball (a root filesystem, plain or gzip/zstd/xz/bzip2),\n"
               "a docker save archive, an OCI archive or an OCI layout directory. NAME is an image\n"
               "name, NAME:TAG, a digest, or a prefix of at least 6 digits of the image ID.\n\n"
               "layers reports what each layer adds, modifies and removes, the bytes wasted on files a\n"
               "later layer replaces or deletes, and the efficiency score, as dive defines them; with\n"
               "--ci it exits 1 when a threshold is not met (defaults: efficiency 0.9, user wasted\n"
               "percent 0.1, wasted bytes unchecked).\n\n"
               "See ctrctl(1).\n");
}

static void human_size(char *buf, size_t n, uint64_t v)
{
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
        double d = (double)v;
        size_t u = 0;
        while (d >= 1000 && u + 1 < ELEMENTSOF(units)) {
                d /= 1000;
                u++;
        }
        if (u == 0)
                snprintf(buf, n, "%llu B", (unsigned long long)v);
        else
                snprintf(buf, n, "%.3g %s", d, units[u]);
}

static int open_store(bool create, Store **ret)
{
        char *err = NULL;
        int r = store_open(NULL, create, ret, &err);
        if (r < 0) {
                log_error("%s", err ?: strerror(-r));
                free(err);
        }
        return r;
}

static int find(Store *s, const char *what, Image **ret)
{
        char *err = NULL;
        int r = store_find_image(s, what, ret, &err);
        if (r < 0) {
                log_error("%s", err ?: strerror(-r));
                free(err);
        }
        return r;
}

static int verb_import(int argc, char **argv)
{
        static const struct option o[] = {
                {"quiet", no_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool quiet = false;
        int c;
        while ((c = getopt_long(argc, argv, "qh", o, NULL)) >= 0)
                switch (c) {
                case 'q':
                        quiet = true;
                        break;
                case 'h':
                        image_help();
                        return 0;
                default:
                        return 1;
                }
        if (optind >= argc || argc - optind > 2) {
                log_error("image import: FILE|DIR [NAME[:TAG]] expected");
                return 1;
        }
        _cleanup_store_ Store *s = NULL;
        if (open_store(true, &s) < 0)
                return 1;
        ImportOptions io = {.name = argc - optind == 2 ? argv[optind + 1] : NULL};
        /* limits against decompression bombs: a value that does not parse is an error, not
         * a silent fallback to the default */
        const char *v;
        if ((v = getenv("CTR_LAYER_MAX_BYTES")) &&
            (parse_size(v, 1024, &io.limits.max_bytes) < 0 || !io.limits.max_bytes)) {
                log_error("CTR_LAYER_MAX_BYTES=%s: not a size (bytes, or with K, M, G, T)", v);
                return 1;
        }
        if ((v = getenv("CTR_LAYER_MAX_ENTRIES")) &&
            (safe_atou64(v, &io.limits.max_entries) < 0 || !io.limits.max_entries)) {
                log_error("CTR_LAYER_MAX_ENTRIES=%s: not a positive number", v);
                return 1;
        }
        if (io.name) {
                _cleanup_free_ char *ref = NULL;
                char *err = NULL;
                if (ref_normalize(io.name, &ref, &err) < 0) {
                        log_error("%s", err);
                        free(err);
                        return 1;
                }
        }
        ImportResult res = {};
        char *err = NULL;
        int r = image_import(s, argv[optind], &io, &res, &err);
        if (r < 0) {
                log_error("%s", err ?: strerror(-r));
                free(err);
                return 1;
        }
        if (!quiet) {
                STRV_FOREACH (m, res.manifest_digests)
                        printf("%s\n", *m);
                STRV_FOREACH (ref, res.refs)
                        printf("Imported %s\n", *ref);
                fprintf(stderr, "%u layer(s) unpacked, %u already in the store\n", res.layers_unpacked,
                        res.layers_reused);
        }
        import_result_done(&res);
        return 0;
}

static int verb_export(int argc, char **argv)
{
        static const struct option o[] = {
                {"format", required_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        ExportFormat fmt = EXPORT_DOCKER_ARCHIVE;
        int c;
        while ((c = getopt_long(argc, argv, "f:h", o, NULL)) >= 0)
                switch (c) {
                case 'f':
                        if (export_format_from_string(optarg, &fmt) < 0) {
                                log_error("--format: '%s' is neither docker-archive nor oci-archive",
                                          optarg);
                                return 1;
                        }
                        break;
                case 'h':
                        image_help();
                        return 0;
                default:
                        return 1;
                }
        if (argc - optind != 2) {
                log_error("image export: NAME FILE expected");
                return 1;
        }
        const char *what = argv[optind], *out = argv[optind + 1];
        _cleanup_store_ Store *s = NULL;
        _cleanup_image_ Image *img = NULL;
        if (open_store(false, &s) < 0 || store_lock_gc(s, LOCK_SH) < 0 || find(s, what, &img) < 0)
                return 1;
        /* the name to record: the one asked for if it is a name, else the image's first */
        _cleanup_free_ char *ref = NULL;
        if (!digest_valid(what) && ref_normalize(what, &ref, NULL) >= 0) {
                bool known = false;
                STRV_FOREACH (p, img->refs)
                        known = known || streq(*p, ref);
                if (!known) {
                        free(ref);
                        ref = NULL;
                }
        }
        if (!ref && img->refs && img->refs[0])
                ref = strdup(img->refs[0]);

        /* to a new OUT.XXXXXX beside it (O_EXCL: never through a link planted there), renamed
         * when complete: a failed export leaves no partial file */
        _cleanup_free_ char *tmp = NULL;
        bool to_stdout = streq(out, "-");
        int fd = STDOUT_FILENO;
        if (!to_stdout) {
                if (asprintf(&tmp, "%s.XXXXXX", out) < 0)
                        return log_error("out of memory"), 1;
                fd = mkostemp(tmp, O_CLOEXEC);
                if (fd >= 0)
                        (void)fchmod(fd, 0644);
                if (fd < 0)
                        return log_error_errno(-errno, "%s: %m", tmp), 1;
        }
        char *err = NULL;
        int r = image_export(s, img, ref, fmt, fd, &err);
        if (!to_stdout) {
                if (r >= 0 && fsync(fd) < 0)
                        r = set_error(&err, -errno, "%s: %m", tmp);
                close(fd);
                if (r >= 0 && rename(tmp, out) < 0)
                        r = set_error(&err, -errno, "%s: %m", out);
                if (r < 0)
                        unlink(tmp);
        }
        if (r < 0) {
                log_error("%s", err ?: strerror(-r));
                free(err);
                return 1;
        }
        return 0;
}

static uint64_t image_size(const Image *img)
{
        uint64_t sum = 0;
        for (size_t i = 0; i < img->n_layers; i++)
                sum += img->layers[i].size;
        return sum;
}

static const char *config_created(const Image *img)
{
        return json_string_value(json_object_get(img->config, "created"));
}

static int verb_ls(int argc, char **argv)
{
        bool json = false;
        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--json"))
                        json = true;
                else if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
                        image_help();
                        return 0;
                } else {
                        log_error("image ls: unknown argument '%s'", argv[i]);
                        return 1;
                }
        }
        _cleanup_store_ Store *s = NULL;
        char *err = NULL;
        int r = store_open(NULL, false, &s, &err);
        if (r == -ENOENT) {
                free(err);
                if (json)
                        puts("[]");
                else
                        printf("%-40s %-12s %-19s %10s\n", "NAME", "IMAGE ID", "CREATED (UTC)", "SIZE");
                return 0;
        }
        if (r < 0 || store_lock_gc(s, LOCK_SH) < 0) {
                log_error("%s", err ?: strerror(-r));
                free(err);
                return 1;
        }
        Image **l = NULL;
        size_t n = 0;
        r = store_list_images(s, &l, &n, &err);
        if (r < 0) {
                log_error("%s", err ?: strerror(-r));
                free(err);
                return 1;
        }
        _cleanup_json_ json_t *arr = json_array();
        if (!json)
                printf("%-40s %-12s %-19s %10s\n", "NAME", "IMAGE ID", "CREATED (UTC)", "SIZE");
        for (size_t i = 0; i < n; i++) {
                Image *img = l[i];
                char size[32];
                human_size(size, sizeof(size), image_size(img));
                if (json) {
                        json_t *refs = json_array();
                        STRV_FOREACH (p, img->refs)
                                json_array_append_new(refs, json_string(*p));
                        json_array_append_new(
                                arr, json_pack("{s:o,s:s,s:s,s:s?,s:I,s:I}", "names", refs, "id",
                                               img->config_digest, "digest", img->manifest_digest, "created",
                                               config_created(img), "size", (json_int_t)image_size(img),
                                               "layers", (json_int_t)img->n_layers));
                        continue;
                }
                char created[20];
                snprintf(created, sizeof(created), "%s", config_created(img) ?: "-");
                if (strlen(created) > 10 && created[10] == 'T')
                        created[10] = ' ';
                const char *id = digest_hex(img->config_digest);
                if (!img->refs)
                        printf("%-40s %-12.12s %-19s %10s\n", "<none>", id, created, size);
                STRV_FOREACH (p, img->refs)
                        printf("%-40s %-12.12s %-19s %10s\n", *p, id, created, size);
        }
        image_list_free(l, n);
        if (json) {
                _cleanup_free_ char *out = json_dumps(arr, JSON_INDENT(2));
                puts(out ?: "[]");
        }
        return 0;
}

static int verb_inspect(int argc, char **argv)
{
        bool json = false;
        const char *what = NULL;
        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--json"))
                        json = true;
                else if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
                        image_help();
                        return 0;
                } else if (!what)
                        what = argv[i];
                else {
                        log_error("image inspect: one NAME expected");
                        return 1;
                }
        }
        if (!what) {
                log_error("image inspect: NAME expected");
                return 1;
        }
        _cleanup_store_ Store *s = NULL;
        _cleanup_image_ Image *img = NULL;
        if (open_store(false, &s) < 0 || store_lock_gc(s, LOCK_SH) < 0 || find(s, what, &img) < 0)
                return 1;
        json_t *cfg = json_object_get(img->config, "config");
        if (json) {
                json_t *refs = json_array(), *layers = json_array();
                STRV_FOREACH (p, img->refs)
                        json_array_append_new(refs, json_string(*p));
                for (size_t i = 0; i < img->n_layers; i++) {
                        const ImageLayer *l = img->layers + i;
                        json_array_append_new(layers, json_pack("{s:s,s:s,s:s,s:s,s:I}", "digest", l->digest,
                                                                "diffID", l->diff_id, "chainID", l->chain_id,
                                                                "mediaType", l->media_type, "size",
                                                                (json_int_t)l->size));
                }
                _cleanup_json_ json_t *out =
                        json_pack("{s:s,s:s,s:o,s:O?,s:O?,s:O?,s:O?,s:o,s:I}", "id", img->config_digest,
                                  "digest", img->manifest_digest, "names", refs, "created",
                                  json_object_get(img->config, "created"), "architecture",
                                  json_object_get(img->config, "architecture"), "config", cfg, "history",
                                  json_object_get(img->config, "history"), "layers", layers, "size",
                                  (json_int_t)image_size(img));
                _cleanup_free_ char *t = out ? json_dumps(out, JSON_INDENT(2)) : NULL;
                if (!t)
                        return log_error("out of memory"), 1;
                puts(t);
                return 0;
        }
        char size[32];
        human_size(size, sizeof(size), image_size(img));
        printf("ID:           %s\nDigest:       %s\n", img->config_digest, img->manifest_digest);
        printf("Names:       ");
        if (!img->refs)
                printf(" <none>");
        STRV_FOREACH (p, img->refs)
                printf(" %s", *p);
        printf("\nCreated:      %s\n", config_created(img) ?: "-");
        printf("Platform:     %s/%s\n", json_string_value(json_object_get(img->config, "os")) ?: "?",
               json_string_value(json_object_get(img->config, "architecture")) ?: "?");
        printf("Size:         %s in %zu layer(s)\n", size, img->n_layers);
        static const char *const keys[] = {"Entrypoint",   "Cmd",     "Env",        "WorkingDir", "User",
                                           "ExposedPorts", "Volumes", "StopSignal", "Labels"};
        for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
                json_t *v = json_object_get(cfg, keys[k]);
                if (!v || json_is_null(v))
                        continue;
                _cleanup_free_ char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                printf("%-13s %s\n", keys[k], strempty(t));
        }
        printf("Layers:\n");
        for (size_t i = 0; i < img->n_layers; i++) {
                human_size(size, sizeof(size), img->layers[i].size);
                printf("  %2zu %s %10s  %s\n", i + 1, img->layers[i].digest, size,
                       img->layers[i].media_type);
        }
        json_t *hist = json_object_get(img->config, "history"), *h;
        size_t i;
        if (json_array_size(hist) > 0)
                printf("History:\n");
        json_array_foreach (hist, i, h) {
                const char *by = json_string_value(json_object_get(h, "created_by"));
                const char *when = json_string_value(json_object_get(h, "created"));
                printf("  %-20.20s %s%s\n", when ?: "-", by ?: "-",
                       json_is_true(json_object_get(h, "empty_layer")) ? " (no layer)" : "");
        }
        return 0;
}

static int verb_layers(int argc, char **argv)
{
        static const struct option o[] = {
                {"json", no_argument, NULL, 'j'},
                {"ci", no_argument, NULL, 'c'},
                {"verbose", no_argument, NULL, 'v'},
                {"lowest-efficiency", required_argument, NULL, 'E'},
                {"highest-wasted-bytes", required_argument, NULL, 'W'},
                {"highest-user-wasted-percent", required_argument, NULL, 'P'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool json = false, ci = false, verbose = false;
        ReportCiLimits lim = REPORT_CI_LIMITS_DEFAULT;
        char *err = NULL;
        int c, r;
        while ((c = getopt_long(argc, argv, "jcvh", o, NULL)) >= 0) {
                r = 0;
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'c':
                        ci = true;
                        break;
                case 'v':
                        verbose = true;
                        break;
                case 'E':
                        r = report_ci_limits_set(&lim, "lowestEfficiency", optarg, &err);
                        break;
                case 'W':
                        r = report_ci_limits_set(&lim, "highestWastedBytes", optarg, &err);
                        break;
                case 'P':
                        r = report_ci_limits_set(&lim, "highestUserWastedPercent", optarg, &err);
                        break;
                case 'h':
                        image_help();
                        return 0;
                default:
                        return 1;
                }
                if (r < 0) {
                        log_error("%s", err ?: strerror(-r));
                        free(err);
                        return 1;
                }
        }
        if (argc - optind != 1) {
                log_error("image layers: one NAME expected");
                return 1;
        }
        _cleanup_store_ Store *s = NULL;
        _cleanup_image_ Image *img = NULL;
        if (open_store(false, &s) < 0 || store_lock_gc(s, LOCK_SH) < 0 || find(s, argv[optind], &img) < 0)
                return 1;
        ReportLayerInput *in = calloc(img->n_layers ?: 1, sizeof(*in));
        if (!in)
                return log_error("out of memory"), 1;
        r = 0;
        for (size_t i = 0; i < img->n_layers; i++)
                in[i].fd = -EBADF;
        for (size_t i = 0; r >= 0 && i < img->n_layers; i++) {
                r = store_open_blob(s, img->layers[i].digest, &in[i].fd, &err);
                in[i].digest = img->layers[i].digest;
                in[i].blob_size = img->layers[i].size;
        }
        _cleanup_image_report_ ImageReport *rep = NULL;
        if (r >= 0)
                r = image_report_build(in, img->n_layers, img->config, 0, &rep, &err);
        for (size_t i = 0; i < img->n_layers; i++)
                safe_close(in[i].fd);
        free(in);
        if (r < 0) {
                log_error("%s", err ?: strerror(-r));
                free(err);
                return 1;
        }
        if (json) {
                _cleanup_json_ json_t *j = image_report_to_json(rep);
                _cleanup_free_ char *t = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
                if (!t)
                        return log_error("out of memory"), 1;
                puts(t);
        } else if (!ci || verbose)
                image_report_print(stdout, rep, verbose);
        if (ci)
                return image_report_ci(rep, &lim, json ? stderr : stdout) == 0 ? 0 : 1;
        return 0;
}

static int verb_tag(int argc, char **argv)
{
        if (argc != 3) {
                log_error("image tag: NAME NEWNAME expected");
                return 1;
        }
        _cleanup_store_ Store *s = NULL;
        _cleanup_image_ Image *img = NULL;
        _cleanup_free_ char *ref = NULL;
        char *err = NULL;
        if (ref_normalize(argv[2], &ref, &err) < 0) {
                log_error("%s", err);
                free(err);
                return 1;
        }
        if (open_store(false, &s) < 0 || store_lock(s, LOCK_EX) < 0 || find(s, argv[1], &img) < 0)
                return 1;
        _cleanup_json_ json_t *index = NULL;
        int r = store_index_load(s, &index, &err);
        if (r >= 0)
                r = store_index_tag(index, ref, img->manifest_digest, img->manifest_size);
        if (r >= 0)
                r = store_index_save(s, index, &err);
        if (r < 0) {
                log_error("%s", err ?: strerror(-r));
                free(err);
                return 1;
        }
        return 0;
}

static int verb_rm(int argc, char **argv)
{
        if (argc < 2) {
                log_error("image rm: NAME... expected");
                return 1;
        }
        _cleanup_store_ Store *s = NULL;
        if (open_store(false, &s) < 0)
                return 1;
        if (store_lock_gc(s, LOCK_EX) < 0 || store_lock(s, LOCK_EX) < 0)
                return log_error_errno(-errno, "locking %s: %m", s->path), 1;
        int ret = 0;
        for (int i = 1; i < argc; i++) {
                char *err = NULL, **removed = NULL;
                int r = store_remove_image(s, argv[i], &removed, &err);
                if (r < 0) {
                        log_error("%s", err ?: strerror(-r));
                        ret = 1;
                }
                STRV_FOREACH (p, removed)
                        printf("Untagged %s\n", *p);
                strv_free(removed);
                free(err);
        }
        return ret;
}

static int verb_prune(int argc, char **argv)
{
        _cleanup_store_ Store *s = NULL;
        if (open_store(false, &s) < 0)
                return 1;
        if (store_lock_gc(s, LOCK_EX) < 0 || store_lock(s, LOCK_EX) < 0)
                return log_error_errno(-errno, "locking %s: %m", s->path), 1;
        GcStats st = {};
        char *err = NULL;
        int r = store_gc(s, &st, &err);
        if (r < 0) {
                log_error("%s", err ?: strerror(-r));
                free(err);
                return 1;
        }
        char size[32];
        human_size(size, sizeof(size), st.bytes);
        printf("Removed %llu blob(s) and %llu layer(s), %s\n", (unsigned long long)st.blobs,
               (unsigned long long)st.layers, size);
        return 0;
}

static int verb_image(int argc, char **argv)
{
        if (argc < 2 || streq(argv[1], "-h") || streq(argv[1], "--help")) {
                image_help();
                return argc < 2;
        }
        const char *v = argv[1];
        argc--;
        argv++;
        if (streq(v, "import"))
                return verb_import(argc, argv);
        if (streq(v, "export"))
                return verb_export(argc, argv);
        if (streq(v, "ls") || streq(v, "list"))
                return verb_ls(argc, argv);
        if (streq(v, "inspect"))
                return verb_inspect(argc, argv);
        if (streq(v, "layers"))
                return verb_layers(argc, argv);
        if (streq(v, "tag"))
                return verb_tag(argc, argv);
        if (streq(v, "rm") || streq(v, "remove"))
                return verb_rm(argc, argv);
        if (streq(v, "prune"))
                return verb_prune(argc, argv);
        log_error("unknown image command '%s' (see ctrctl image --help)", v);
        return 1;
}

/* ctr-image: what 'ctrctl image VERB ...' and 'ctrctl images' run. A program of its own so that
 * ctrctl itself does not load libarchive (and with it libxml2 and ICU), about 1.5 ms of every
 * 'ctrctl run'. */
int main(int argc, char **argv)
{
        log_set_program("ctrctl");
        if (argc >= 2 && streq(argv[1], "images"))
                return verb_ls(argc - 1, argv + 1);
        if (argc >= 2 && streq(argv[1], "image"))
                return verb_image(argc - 1, argv + 1);
        fprintf(stderr, "ctr-image: run as 'ctrctl image VERB ...' or 'ctrctl images'\n");
        return 1;
}
