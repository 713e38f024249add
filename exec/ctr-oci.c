/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ctr-oci: the runc-compatible command line (verbs, flags, JSON output and error texts that
 * containerd's runc shim, CRI-O and podman rely on). */
#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "json-util.h"
#include "log.h"
#include "oci-config.h"
#include "runtime.h"
#include "terminal.h"
#include "util.h"

static const char *arg_root = CTR_STATE_DIR_DEFAULT;
static bool arg_systemd_cgroup;

static void help(void)
{
        printf("Usage: ctr-oci [GLOBAL OPTIONS] COMMAND [OPTIONS] ARGS...\n\n"
               "Run OCI bundles, compatible with runc's command line.\n\n"
               "Commands:\n"
               "  spec [--bundle DIR] [--rootless]           write a default config.json\n"
               "  create [-b DIR] [--pid-file F] [--console-socket S] ID\n"
               "                                             set up a container, stopped before its "
               "payload\n"
               "  start ID                                   run the payload of a created container\n"
               "  run [-b DIR] [-d] [--pid-file F] [--console-socket S] [--keep] ID\n"
               "                                             create and start; wait unless -d\n"
               "  state ID                                   print the container state as JSON\n"
               "  kill [--all] ID [SIGNAL]                   send a signal (default SIGTERM)\n"
               "  delete [--force] ID                        remove a stopped container\n"
               "  list [--format table|json] [-q]            list containers\n"
               "  ps [--format table|json] ID [PS-ARGS]      list the container's processes\n"
               "  exec [--process FILE | OPTIONS ID CMD...]  run a process in a container\n"
               "  update [--resources FILE|-] [OPTIONS] ID   change linux.resources\n"
               "  pause ID / resume ID                       freeze / thaw every process\n"
               "  features                                   print what this runtime supports, as JSON\n\n"
               "Global options:\n"
               "  --root DIR          state directory (default %s)\n"
               "  --log FILE          also log to FILE\n"
               "  --log-format FMT    text or json\n"
               "  --debug             log debug messages\n"
               "  --systemd-cgroup    the cgroup is a transient systemd scope; cgroupsPath is\n"
               "                      \"slice:prefix:name\"\n"
               "  -v, --version       print the version\n\n"
               "See ctr-oci(1).\n",
               CTR_STATE_DIR_DEFAULT);
}

/* runc's urfave/cli accepts "-flag", "--flag", "--flag=value" and "--flag value"; getopt_long_only
 * handles all of them. Parsing stops at the first non-option (the ID). */

static int fail(char *err, int r)
{
        log_error_errno(r, "%s", err ?: strerror(-r));
        free(err);
        return 1;
}

static int print_json(json_t *j, bool pretty)
{
        char *s = json_dumps(j, pretty ? JSON_INDENT(2) : JSON_COMPACT);
        if (!s)
                return 1;
        puts(s);
        free(s);
        return 0;
}

static int need_id(int argc, char **argv, const char *verb)
{
        if (optind >= argc) {
                log_error("%s: a container ID is required", verb);
                return -EINVAL;
        }
        return 0;
}

static int verb_spec(int argc, char **argv)
{
        static const struct option o[] = {
                {"bundle", required_argument, NULL, 'b'},
                {"rootless", no_argument, NULL, 'R'},
                {},
        };
        const char *bundle = ".";
        bool rootless = false;
        int c;
        while ((c = getopt_long_only(argc, argv, "+b:", o, NULL)) >= 0)
                switch (c) {
                case 'b':
                        bundle = optarg;
                        break;
                case 'R':
                        rootless = true;
                        break;
                default:
                        return 1;
                }
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/config.json", bundle);
        if (access(path, F_OK) == 0) {
                log_error("File '%s' exists. Remove it first", path);
                return 1;
        }
        _cleanup_json_ json_t *j = oci_config_default(rootless);
        if (!j || json_dump_file(j, path, JSON_INDENT(2)) < 0) {
                log_error("writing '%s' failed", path);
                return 1;
        }
        return 0;
}

typedef struct CreateArgs {
        CreateOptions o;
        bool detach, keep;
} CreateArgs;

static int parse_create(int argc, char **argv, CreateArgs *a, bool run)
{
        static const struct option o[] = {
                {"bundle", required_argument, NULL, 'b'},
                {"pid-file", required_argument, NULL, 'p'},
                {"console-socket", required_argument, NULL, 'c'},
                {"no-pivot", no_argument, NULL, 'P'},
                {"no-new-keyring", no_argument, NULL, 'K'},
                {"preserve-fds", required_argument, NULL, 'f'},
                {"detach", no_argument, NULL, 'd'},
                {"keep", no_argument, NULL, 'k'},
                {"no-subreaper", no_argument, NULL, 'S'},
                {"notify-socket", required_argument, NULL, 'N'},
                {},
        };
        int c;
        a->o.bundle = ".";
        a->o.root = arg_root;
        a->o.console_fd_out = -EBADF;
        /* only create reads the flag: later commands follow what the state recorded */
        a->o.systemd_cgroup = arg_systemd_cgroup;
        while ((c = getopt_long_only(argc, argv, run ? "+b:d" : "+b:", o, NULL)) >= 0)
                switch (c) {
                case 'b':
                        a->o.bundle = optarg;
                        break;
                case 'p':
                        a->o.pid_file = optarg;
                        break;
                case 'c':
                        a->o.console_socket = optarg;
                        break;
                case 'P':
                        a->o.no_pivot = true;
                        break;
                case 'K':
                        a->o.no_new_keyring = true;
                        break;
                case 'f': {
                        uint32_t n;
                        if (safe_atou32(optarg, &n) < 0 || n > 65536) {
                                log_error("--preserve-fds: invalid number '%s'", optarg);
                                return -EINVAL;
                        }
                        a->o.preserve_fds = n;
                        break;
                }
                case 'd':
                        a->detach = true;
                        break;
                case 'k':
                        a->keep = true;
                        break;
                case 'S':
                case 'N':
                        break;
                default:
                        return -EINVAL;
                }
        if (need_id(argc, argv, run ? "run" : "create") < 0)
                return -EINVAL;
        a->o.id = argv[optind];
        if (!id_valid(a->o.id)) {
                log_error("invalid container id '%s'", a->o.id);
                return -EINVAL;
        }
        return 0;
}

static int verb_create(int argc, char **argv)
{
        CreateArgs a = {};
        char *err = NULL;
        pid_t pid;
        if (parse_create(argc, argv, &a, false) < 0)
                return 1;
        int r = container_create(&a.o, &pid, &err);
        if (r < 0)
                return fail(err, r);
        return 0;
}

static int verb_run(int argc, char **argv)
{
        CreateArgs a = {};
        char *err = NULL;
        pid_t pid;
        if (parse_create(argc, argv, &a, true) < 0)
                return 1;
        a.o.foreground = !a.detach;
        if (a.detach && !a.o.pid_file) {
                /* nothing to do: runc allows it too */
        }
        int r = container_create(&a.o, &pid, &err);
        if (r < 0)
                return fail(err, r);
        r = container_start_or_remove(arg_root, a.o.id, &err);
        if (r < 0)
                return fail(err, r);
        if (a.detach)
                return 0;
        int proxy = -EBADF;
        if (a.o.console_fd_out >= 0) {
                if (console_receive_fd(a.o.console_fd_out, &proxy) < 0)
                        proxy = -EBADF;
                close(a.o.console_fd_out);
        }
        int status = container_wait_forwarding(pid, proxy);
        safe_close(proxy);
        if (!a.keep) {
                r = container_delete(arg_root, a.o.id, true, &err);
                if (r < 0)
                        (void)fail(err, r);
        }
        return status;
}

static int verb_start(int argc, char **argv)
{
        char *err = NULL;
        if (getopt_long_only(argc, argv, "+", (struct option[]){{}}, NULL) >= 0 ||
            need_id(argc, argv, "start") < 0)
                return 1;
        int r = container_start(arg_root, argv[optind], &err);
        return r < 0 ? fail(err, r) : 0;
}

static int verb_state(int argc, char **argv)
{
        char *err = NULL;
        json_t *j = NULL;
        if (getopt_long_only(argc, argv, "+", (struct option[]){{}}, NULL) >= 0 ||
            need_id(argc, argv, "state") < 0)
                return 1;
        int r = runtime_state(arg_root, argv[optind], &j, &err);
        if (r < 0)
                return fail(err, r);
        r = print_json(j, true);
        json_decref(j);
        return r;
}

static int verb_kill(int argc, char **argv)
{
        static const struct option o[] = {{"all", no_argument, NULL, 'a'}, {}};
        bool all = false;
        int c, sig = SIGTERM;
        char *err = NULL;
        while ((c = getopt_long_only(argc, argv, "+a", o, NULL)) >= 0)
                switch (c) {
                case 'a':
                        all = true;
                        break;
                default:
                        return 1;
                }
        if (need_id(argc, argv, "kill") < 0)
                return 1;
        if (optind + 1 < argc && parse_signal(argv[optind + 1], &sig) < 0) {
                log_error("unknown signal '%s'", argv[optind + 1]);
                return 1;
        }
        int r = runtime_kill(arg_root, argv[optind], sig, all, &err);
        return r < 0 ? fail(err, r) : 0;
}

static int verb_delete(int argc, char **argv)
{
        static const struct option o[] = {{"force", no_argument, NULL, 'f'}, {}};
        bool force = false;
        int c, ret = 0;
        while ((c = getopt_long_only(argc, argv, "+f", o, NULL)) >= 0)
                switch (c) {
                case 'f':
                        force = true;
                        break;
                default:
                        return 1;
                }
        if (need_id(argc, argv, "delete") < 0)
                return 1;
        for (int i = optind; i < argc; i++) {
                char *err = NULL;
                int r = container_delete(arg_root, argv[i], force, &err);
                if (r < 0)
                        ret = fail(err, r);
        }
        return ret;
}

static int verb_list(int argc, char **argv)
{
        static const struct option o[] = {
                {"format", required_argument, NULL, 'f'},
                {"quiet", no_argument, NULL, 'q'},
                {},
        };
        const char *format = "table";
        bool quiet = false;
        int c;
        char *err = NULL;
        while ((c = getopt_long_only(argc, argv, "+f:q", o, NULL)) >= 0)
                switch (c) {
                case 'f':
                        format = optarg;
                        break;
                case 'q':
                        quiet = true;
                        break;
                default:
                        return 1;
                }
        json_t *a = NULL, *e;
        size_t i;
        int r = runtime_list(arg_root, &a, &err);
        if (r < 0)
                return fail(err, r);
        if (streq(format, "json"))
                r = print_json(a, false);
        else if (quiet)
                json_array_foreach (a, i, e)
                        puts(json_string_value(json_object_get(e, "id")));
        else {
                printf("%-20s %-8s %-10s %-40s %-31s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
                       "OWNER");
                json_array_foreach (a, i, e)
                        printf("%-20s %-8lld %-10s %-40s %-31s %s\n",
                               json_string_value(json_object_get(e, "id")),
                               (long long)json_integer_value(json_object_get(e, "pid")),
                               json_string_value(json_object_get(e, "status")),
                               json_string_value(json_object_get(e, "bundle")),
                               strempty(json_string_value(json_object_get(e, "created"))), "root");
        }
        json_decref(a);
        return r;
}

static int verb_ps(int argc, char **argv)
{
        static const struct option o[] = {{"format", required_argument, NULL, 'f'}, {}};
        const char *format = "table";
        int c;
        char *err = NULL;
        while ((c = getopt_long_only(argc, argv, "+f:", o, NULL)) >= 0)
                switch (c) {
                case 'f':
                        format = optarg;
                        break;
                default:
                        return 1;
                }
        if (need_id(argc, argv, "ps") < 0)
                return 1;
        pid_t *pids = NULL;
        size_t n = 0;
        int r = runtime_pids(arg_root, argv[optind], &pids, &n, &err);
        if (r < 0)
                return fail(err, r);
        if (streq(format, "json")) {
                printf("[");
                for (size_t i = 0; i < n; i++)
                        printf("%s%d", i ? "," : "", (int)pids[i]);
                printf("]\n");
                free(pids);
                return 0;
        }
        /* table: ps(1) output restricted to the container's processes */
        int p[2];
        if (pipe(p) < 0) {
                free(pids);
                return 1;
        }
        pid_t child = fork();
        if (child == 0) {
                char *args[64] = {"ps"};
                int k = 1;
                if (optind + 1 >= argc)
                        args[k++] = "-ef";
                for (int i = optind + 1; i < argc && k < 63; i++)
                        args[k++] = argv[i];
                args[k] = NULL;
                dup2(p[1], 1);
                execvp("ps", args);
                _exit(127);
        }
        close(p[1]);
        FILE *f = fdopen(p[0], "r");
        char line[4096];
        int pid_col = -1;
        while (f && fgets(line, sizeof(line), f)) {
                if (pid_col < 0) {
                        /* find the PID column in the header */
                        char copy[4096];
                        snprintf(copy, sizeof(copy), "%s", line);
                        int col = 0;
                        for (char *t = strtok(copy, " \t\n"); t; t = strtok(NULL, " \t\n"), col++)
                                if (streq(t, "PID"))
                                        pid_col = col;
                        fputs(line, stdout);
                        if (pid_col < 0) {
                                log_error("ps output has no PID column");
                                break;
                        }
                        continue;
                }
                char copy[4096];
                snprintf(copy, sizeof(copy), "%s", line);
                int col = 0;
                for (char *t = strtok(copy, " \t\n"); t; t = strtok(NULL, " \t\n"), col++)
                        if (col == pid_col) {
                                int v = atoi(t);
                                for (size_t i = 0; i < n; i++)
                                        if (pids[i] == v)
                                                fputs(line, stdout);
                                break;
                        }
        }
        if (f)
                fclose(f);
        int status;
        waitpid(child, &status, 0);
        free(pids);
        return 0;
}

static int verb_pause(int argc, char **argv, bool pause)
{
        char *err = NULL;
        if (getopt_long_only(argc, argv, "+", (struct option[]){{}}, NULL) >= 0 ||
            need_id(argc, argv, pause ? "pause" : "resume") < 0)
                return 1;
        int r = runtime_pause(arg_root, argv[optind], pause, &err);
        return r < 0 ? fail(err, r) : 0;
}

/* runc's memory flags take sizes: "100M", "1g", "512k", "1024" (bytes), powers of 1024;
 * -1 means unlimited. */
static int parse_memory_flag(const char *s, int64_t *ret)
{
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || end == s)
                return -EINVAL;
        if (v < 0) {
                if (v != -1 || *end)
                        return -EINVAL;
                *ret = -1;
                return 0;
        }
        static const char units[] = "bkmgtp";
        const char *u = *end ? strchr(units, tolower((unsigned char)*end)) : units;
        if (!u || (*end && end[1] && !(strchr("bB", end[1]) && !end[2])))
                return -EINVAL;
        for (const char *q = units; q < u; q++) {
                if (v > INT64_MAX / 1024)
                        return -ERANGE;
                v *= 1024;
        }
        *ret = v;
        return 0;
}

static int set_memory(json_t *res, const char *key, const char *value)
{
        int64_t v;
        if (parse_memory_flag(value, &v) < 0)
                return -EINVAL;
        json_t *s = json_object_get(res, "memory");
        if (!s)
                json_object_set_new(res, "memory", s = json_object());
        json_object_set_new(s, key, json_integer(v));
        return 0;
}

static int set_int(json_t *res, const char *section, const char *key, const char *value, bool sign)
{
        json_t *s = json_object_get(res, section);
        if (!s) {
                s = json_object();
                json_object_set_new(res, section, s);
        }
        if (sign) {
                int64_t v;
                if (safe_atoi64(value, &v) < 0)
                        return -EINVAL;
                json_object_set_new(s, key, json_integer(v));
        } else {
                uint64_t v;
                if (safe_atou64(value, &v) < 0 || v > INT64_MAX)
                        return -EINVAL;
                json_object_set_new(s, key, json_integer((json_int_t)v));
        }
        return 0;
}

static int verb_update(int argc, char **argv)
{
        static const struct option o[] = {
                {"resources", required_argument, NULL, 'r'},
                {"memory", required_argument, NULL, 'm'},
                {"memory-reservation", required_argument, NULL, 'R'},
                {"memory-swap", required_argument, NULL, 's'},
                {"cpu-shares", required_argument, NULL, 'S'},
                {"cpu-quota", required_argument, NULL, 'Q'},
                {"cpu-period", required_argument, NULL, 'P'},
                {"cpuset-cpus", required_argument, NULL, 'C'},
                {"cpuset-mems", required_argument, NULL, 'M'},
                {"pids-limit", required_argument, NULL, 'p'},
                {"blkio-weight", required_argument, NULL, 'w'},
                {},
        };
        _cleanup_json_ json_t *res = NULL;
        _cleanup_json_ json_t *flags = json_object();
        int c, r = 0;
        char *err = NULL;
        while ((c = getopt_long_only(argc, argv, "+r:", o, NULL)) >= 0) {
                switch (c) {
                case 'r': {
                        json_error_t je;
                        res = streq(optarg, "-") ? json_loadf(stdin, 0, &je)
                                                 : json_load_file(optarg, 0, &je);
                        if (!res) {
                                log_error("--resources '%s': line %d: %s", optarg, je.line, je.text);
                                return 1;
                        }
                        continue;
                }
                case 'm':
                        r = set_memory(flags, "limit", optarg);
                        break;
                case 'R':
                        r = set_memory(flags, "reservation", optarg);
                        break;
                case 's':
                        r = set_memory(flags, "swap", optarg);
                        break;
                case 'S':
                        r = set_int(flags, "cpu", "shares", optarg, false);
                        break;
                case 'Q':
                        r = set_int(flags, "cpu", "quota", optarg, true);
                        break;
                case 'P':
                        r = set_int(flags, "cpu", "period", optarg, false);
                        break;
                case 'C':
                case 'M': {
                        json_t *s = json_object_get(flags, "cpu");
                        if (!s)
                                json_object_set_new(flags, "cpu", s = json_object());
                        json_object_set_new(s, c == 'C' ? "cpus" : "mems", json_string(optarg));
                        break;
                }
                case 'p':
                        r = set_int(flags, "pids", "limit", optarg, true);
                        break;
                case 'w':
                        r = set_int(flags, "blockIO", "weight", optarg, false);
                        break;
                default:
                        return 1;
                }
                if (r < 0) {
                        log_error("invalid value '%s'", optarg);
                        return 1;
                }
        }
        if (need_id(argc, argv, "update") < 0)
                return 1;
        if (!res)
                res = json_object();
        /* flags override the file, section by section */
        const char *k;
        json_t *v;
        json_object_foreach (flags, k, v) {
                json_t *s = json_object_get(res, k);
                if (json_is_object(s))
                        json_object_update(s, v);
                else
                        json_object_set(res, k, v);
        }
        r = runtime_update(arg_root, argv[optind], res, &err);
        return r < 0 ? fail(err, r) : 0;
}

static int parse_user_spec(const char *s, OciUser *u)
{
        /* strict: "UID" or "UID:GID", decimal only (CVE-2026-30892: "-u 1" must be uid 1) */
        char buf[64];
        uint32_t v;
        if (strlen(s) >= sizeof(buf))
                return -EINVAL;
        strcpy(buf, s);
        char *colon = strchr(buf, ':');
        if (colon)
                *colon = 0;
        if (safe_atou32(buf, &v) < 0 || v == UINT32_MAX)
                return -EINVAL;
        u->uid = v;
        if (colon) {
                if (safe_atou32(colon + 1, &v) < 0 || v == UINT32_MAX)
                        return -EINVAL;
                u->gid = v;
        }
        return 0;
}

static int verb_exec(int argc, char **argv)
{
        static const struct option o[] = {
                {"process", required_argument, NULL, 'p'},
                {"console-socket", required_argument, NULL, 'c'},
                {"detach", no_argument, NULL, 'd'},
                {"pid-file", required_argument, NULL, 'P'},
                {"tty", no_argument, NULL, 't'},
                {"cwd", required_argument, NULL, 'w'},
                {"env", required_argument, NULL, 'e'},
                {"user", required_argument, NULL, 'u'},
                {"additional-gids", required_argument, NULL, 'g'},
                {"cap", required_argument, NULL, 'C'},
                {"no-new-privs", no_argument, NULL, 'n'},
                {"preserve-fds", required_argument, NULL, 'f'},
                {"apparmor", required_argument, NULL, 'A'},
                {"process-label", required_argument, NULL, 'L'},
                {"ignore-paused", no_argument, NULL, 'I'},
                {"cgroup", required_argument, NULL, 'G'},
                {},
        };
        ExecOptions eo = {.root = arg_root};
        const char *process_file = NULL, *cwd = NULL, *user = NULL, *apparmor = NULL, *label = NULL;
        _cleanup_strv_free_ char **env = NULL, **caps = NULL, **gids = NULL;
        bool tty = false, nnp = false;
        int c;
        char *err = NULL;
        while ((c = getopt_long_only(argc, argv, "+p:dte:u:g:c:", o, NULL)) >= 0)
                switch (c) {
                case 'p':
                        process_file = optarg;
                        break;
                case 'c':
                        eo.console_socket = optarg;
                        break;
                case 'd':
                        eo.detach = true;
                        break;
                case 'P':
                        eo.pid_file = optarg;
                        break;
                case 't':
                        tty = true;
                        break;
                case 'w':
                        cwd = optarg;
                        break;
                case 'e':
                        if (!strchr(optarg, '=') || strv_extend(&env, optarg) < 0) {
                                log_error("--env '%s': expected KEY=VALUE", optarg);
                                return 1;
                        }
                        break;
                case 'u':
                        user = optarg;
                        break;
                case 'g':
                        if (strv_extend(&gids, optarg) < 0)
                                return 1;
                        break;
                case 'C':
                        if (strv_extend(&caps, optarg) < 0)
                                return 1;
                        break;
                case 'n':
                        nnp = true;
                        break;
                case 'f': {
                        uint32_t n;
                        if (safe_atou32(optarg, &n) < 0 || n > 65536) {
                                log_error("--preserve-fds: invalid number '%s'", optarg);
                                return 1;
                        }
                        eo.preserve_fds = n;
                        break;
                }
                case 'A':
                        apparmor = optarg;
                        break;
                case 'L':
                        label = optarg;
                        break;
                case 'I':
                case 'G':
                        break;
                default:
                        return 1;
                }
        if (need_id(argc, argv, "exec") < 0)
                return 1;
        eo.id = argv[optind];

        _cleanup_json_ json_t *pj = NULL;
        if (process_file) {
                json_error_t je;
                pj = json_load_file(process_file, JSON_REJECT_DUPLICATES, &je);
                if (!pj) {
                        log_error("--process '%s': line %d: %s", process_file, je.line, je.text);
                        return 1;
                }
        } else {
                if (optind + 1 >= argc) {
                        log_error("exec: a command is required (or --process FILE)");
                        return 1;
                }
                /* Start from the container's own process: env, cwd, user, capabilities. */
                _cleanup_json_ json_t *config = NULL;
                int r = runtime_load_config(arg_root, eo.id, &config, &err);
                if (r < 0)
                        return fail(err, r);
                pj = json_deep_copy(json_object_get(config, "process"));
                if (!pj)
                        pj = json_pack("{s:{s:i, s:i}, s:s}", "user", "uid", 0, "gid", 0, "cwd", "/");
                json_t *args = json_array();
                for (int i = optind + 1; i < argc; i++)
                        json_array_append_new(args, json_string(argv[i]));
                json_object_set_new(pj, "args", args);
                json_object_set_new(pj, "terminal", json_boolean(tty));
                if (cwd)
                        json_object_set_new(pj, "cwd", json_string(cwd));
                if (nnp)
                        json_object_set_new(pj, "noNewPrivileges", json_true());
                json_t *e = json_object_get(pj, "env");
                if (!json_is_array(e))
                        json_object_set_new(pj, "env", e = json_array());
                STRV_FOREACH (s, env)
                        json_array_append_new(e, json_string(*s));
                /* --cap adds to bounding, effective and permitted, never to inheritable or
                 * ambient (CVE-2022-29162) */
                if (caps) {
                        json_t *cj = json_object_get(pj, "capabilities");
                        if (!json_is_object(cj))
                                json_object_set_new(pj, "capabilities", cj = json_object());
                        static const char *const sets[] = {"bounding", "effective", "permitted"};
                        for (size_t k = 0; k < ELEMENTSOF(sets); k++) {
                                json_t *a = json_object_get(cj, sets[k]);
                                if (!json_is_array(a))
                                        json_object_set_new(cj, sets[k], a = json_array());
                                STRV_FOREACH (cap, caps)
                                        json_array_append_new(a, json_string(*cap));
                        }
                }
        }
        OciProcess *proc = NULL;
        int r = oci_process_parse(pj, "process", &proc, &err);
        if (r < 0)
                return fail(err, r);
        if (apparmor && !(proc->apparmor_profile = strdup(apparmor)))
                return 1;
        if (label && !(proc->selinux_label = strdup(label)))
                return 1;
        if (user && parse_user_spec(user, &proc->user) < 0) {
                log_error("--user '%s': expected UID[:GID] as numbers", user);
                oci_process_free(proc);
                return 1;
        }
        STRV_FOREACH (g, gids) {
                uint32_t v;
                if (safe_atou32(*g, &v) < 0) {
                        log_error("--additional-gids '%s': not a number", *g);
                        oci_process_free(proc);
                        return 1;
                }
                gid_t *n = realloc(proc->user.additional_gids,
                                   sizeof(gid_t) * (proc->user.n_additional_gids + 1));
                if (!n)
                        return 1;
                n[proc->user.n_additional_gids++] = v;
                proc->user.additional_gids = n;
        }
        int status = 0;
        r = container_exec(&eo, proc, &status, &err);
        oci_process_free(proc);
        if (r < 0)
                return fail(err, r);
        return status;
}

static int verb_features(int argc, char **argv)
{
        _cleanup_json_ json_t *j = runtime_features();
        return print_json(j, true);
}

int main(int argc, char **argv)
{
        static const struct option o[] = {
                {"root", required_argument, NULL, 'r'},
                {"log", required_argument, NULL, 'l'},
                {"log-format", required_argument, NULL, 'F'},
                {"debug", no_argument, NULL, 'D'},
                {"systemd-cgroup", no_argument, NULL, 'S'},
                {"rootless", required_argument, NULL, 'R'},
                {"criu", required_argument, NULL, 'X'},
                {"version", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *log_path = NULL, *log_format = "text";
        int c;

        log_set_program("ctr-oci");
        while ((c = getopt_long_only(argc, argv, "+vh", o, NULL)) >= 0)
                switch (c) {
                case 'r':
                        arg_root = optarg;
                        break;
                case 'l':
                        log_path = optarg;
                        break;
                case 'F':
                        log_format = optarg;
                        break;
                case 'D':
                        log_set_max_level(LOG_DEBUG);
                        break;
                case 'S':
                        arg_systemd_cgroup = true;
                        break;
                case 'R':
                case 'X':
                        break;
                case 'v':
                        printf("ctr-oci version %s\nspec: %s\n", PACKAGE_VERSION, OCI_VERSION);
                        return 0;
                case 'h':
                        help();
                        return 0;
                default:
                        return 1;
                }
        if (log_path && log_open_file(log_path, streq(log_format, "json")) < 0)
                fprintf(stderr, "ctr-oci: cannot open log file '%s', logging to stderr only\n", log_path);
        if (optind >= argc) {
                help();
                return 1;
        }
        const char *verb = argv[optind];
        argc -= optind;
        argv += optind;
        optind = 0; /* reset getopt for the verb, which sees argv[0] = verb */

        if (streq(verb, "spec"))
                return verb_spec(argc, argv);
        if (streq(verb, "create"))
                return verb_create(argc, argv);
        if (streq(verb, "run"))
                return verb_run(argc, argv);
        if (streq(verb, "start"))
                return verb_start(argc, argv);
        if (streq(verb, "state"))
                return verb_state(argc, argv);
        if (streq(verb, "kill"))
                return verb_kill(argc, argv);
        if (streq(verb, "delete"))
                return verb_delete(argc, argv);
        if (streq(verb, "list"))
                return verb_list(argc, argv);
        if (streq(verb, "ps"))
                return verb_ps(argc, argv);
        if (streq(verb, "exec"))
                return verb_exec(argc, argv);
        if (streq(verb, "update"))
                return verb_update(argc, argv);
        if (streq(verb, "pause"))
                return verb_pause(argc, argv, true);
        if (streq(verb, "resume"))
                return verb_pause(argc, argv, false);
        if (streq(verb, "features"))
                return verb_features(argc, argv);
        if (streq(verb, "help")) {
                help();
                return 0;
        }
        log_error("unknown command '%s'", verb);
        return 1;
}
