/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The layer unpacker from the shell, for tests/integration/test-layer-unpack.sh:
 *
 *   layer-tool [--max-bytes N] [--max-entries N] [--tee FILE] unpack TAR DIR
 *   layer-tool [--max-bytes N] [--max-entries N] digest TAR
 *
 * TAR may be '-' for stdin; DIR must exist and be empty. N takes K, M, G, T (powers of 1024); the
 * limits default to $CTR_LAYER_MAX_BYTES and $CTR_LAYER_MAX_ENTRIES. Prints the digests and sizes,
 * one "key value" a line; on failure the error goes to stderr and the exit status is 1. */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "layer.h"
#include "util.h"

static int parse_size(const char *s, uint64_t *ret)
{
        static const char suffixes[] = "KMGT";
        _cleanup_free_ char *num = strdup(s);
        unsigned shift = 0;
        size_t n;
        uint64_t v;

        if (!num)
                return -ENOMEM;
        n = strlen(num);
        if (n > 0) {
                const char *p = strchr(suffixes, num[n - 1]);
                if (p && *p) {
                        shift = 10 * (unsigned)(p - suffixes + 1);
                        num[n - 1] = 0;
                }
        }
        if (safe_atou64(num, &v) < 0 || v > (UINT64_MAX >> shift))
                return -EINVAL;
        *ret = v << shift;
        return 0;
}

static int dir_is_empty(int fd)
{
        int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;
        struct dirent *de;
        bool empty = true;

        if (dfd < 0)
                return -errno;
        d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return -ENOMEM;
        }
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                        empty = false;
                        break;
                }
        closedir(d);
        return empty;
}

static void print_result(const LayerResult *res)
{
        printf("digest %s\n", res->digest);
        printf("diff_id %s\n", res->diff_id);
        printf("size %" PRIu64 "\n", res->size);
        printf("uncompressed_size %" PRIu64 "\n", res->uncompressed_size);
        printf("entries %" PRIu64 "\n", res->entries);
        printf("compression %s\n", res->compression ?: "none");
        printf("xattrs_dropped %" PRIu64 "\n", res->xattrs_dropped);
}

static int usage(void)
{
        fprintf(stderr, "usage: layer-tool [--max-bytes N] [--max-entries N] [--tee FILE] unpack TAR DIR\n"
                        "       layer-tool [--max-bytes N] [--max-entries N] digest TAR\n");
        return 2;
}

int main(int argc, char **argv)
{
        static const struct option options[] = {
                {"max-bytes", required_argument, NULL, 'b'},
                {"max-entries", required_argument, NULL, 'e'},
                {"tee", required_argument, NULL, 't'},
                {},
        };
        LayerLimits limits = {};
        LayerResult res;
        const char *tee = NULL, *env;
        _cleanup_close_ int in_fd = -EBADF, dir_fd = -EBADF, tee_fd = -EBADF;
        _cleanup_free_ char *err = NULL;
        int c, r;

        if ((env = getenv("CTR_LAYER_MAX_BYTES")) && parse_size(env, &limits.max_bytes) < 0) {
                fprintf(stderr, "layer-tool: invalid CTR_LAYER_MAX_BYTES '%s'\n", env);
                return 2;
        }
        if ((env = getenv("CTR_LAYER_MAX_ENTRIES")) && parse_size(env, &limits.max_entries) < 0) {
                fprintf(stderr, "layer-tool: invalid CTR_LAYER_MAX_ENTRIES '%s'\n", env);
                return 2;
        }
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'b':
                        if (parse_size(optarg, &limits.max_bytes) < 0)
                                return usage();
                        break;
                case 'e':
                        if (parse_size(optarg, &limits.max_entries) < 0)
                                return usage();
                        break;
                case 't':
                        tee = optarg;
                        break;
                default:
                        return usage();
                }
        argc -= optind;
        argv += optind;
        if (argc < 2 || !(streq(argv[0], "unpack") ? argc == 3 : streq(argv[0], "digest") && argc == 2))
                return usage();

        in_fd = streq(argv[1], "-") ? dup(STDIN_FILENO) : open(argv[1], O_RDONLY | O_CLOEXEC);
        if (in_fd < 0) {
                fprintf(stderr, "layer-tool: %s: %m\n", argv[1]);
                return 1;
        }

        if (streq(argv[0], "digest"))
                r = layer_digest(in_fd, &limits, &res, &err);
        else {
                dir_fd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dir_fd < 0) {
                        fprintf(stderr, "layer-tool: %s: %m\n", argv[2]);
                        return 1;
                }
                r = dir_is_empty(dir_fd);
                if (r <= 0) {
                        fprintf(stderr, "layer-tool: %s: %s\n", argv[2], r < 0 ? strerror(-r) : "not empty");
                        return 1;
                }
                if (tee) {
                        tee_fd = open(tee, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                        if (tee_fd < 0) {
                                fprintf(stderr, "layer-tool: %s: %m\n", tee);
                                return 1;
                        }
                }
                r = layer_unpack(in_fd, dir_fd, tee_fd, &limits, &res, &err);
        }
        if (r < 0) {
                fprintf(stderr, "layer-tool: %s\n", err ?: strerror(-r));
                return 1;
        }
        print_result(&res);
        return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
