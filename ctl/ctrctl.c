/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ctrctl: the user's command line. 'ctrctl run' is to containers what systemd-run is to
 * commands: the container gets a transient unit of its own (a scope in the foreground, a
 * service with -d), resource limits are systemd's properties (-p), and without systemd the
 * same limits go to cgroupfs. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-property.h"
#include "cgroup.h"
#include "container.h"
#include "definition.h"
#include "image-run.h"
#include "store.h"
#include "json-util.h"
#include "log.h"
#include "runtime.h"
#include "state.h"
#include "terminal.h"
#include "transient.h"
#include "unit-file.h"
#include "util.h"

#define RUNTIME_DEFINITIONS "/run/ctr"

static inline void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

static const char *arg_root = CTR_STATE_DIR_DEFAULT;

static void help(void)
{
        printf("Usage: ctrctl run [OPTIONS] ROOTFS|BUNDLE|IMAGE [COMMAND [ARG...]]\n"
               "       ctrctl update [--runtime] -p NAME=VALUE... NAME\n"
               "       ctrctl stats [--json] [--no-stream] [NAME...]\n"
               "       ctrctl top NAME\n"
               "       ctrctl attach NAME PID...\n"
               "       ctrctl get NAME ATTRIBUTE\n"
               "       ctrctl stop NAME...\n"
               "       ctrctl image import|export|ls|inspect|layers|tag|rm|prune ...  (ctrctl image "
               "--help)\n\n"
               "Run a container in a transient systemd unit, as systemd-run runs a command.\n\n"
               "  -d, --detach            run as a transient service (ctr-NAME.service) and return\n"
               "      --scope             run in the foreground in a transient scope (the default)\n"
               "      --name NAME         container name (default: run-XXXXXXXX)\n"
               "      --unit UNIT         unit name (default: ctr-NAME.service / .scope)\n"
               "  -p, --property NAME=VALUE\n"
               "                          a unit property, as systemd-run -p: MemoryMax=, CPUQuota=,\n"
               "                          CPUWeight=, TasksMax=, IOWeight=, AllowedCPUs= ...\n"
               "      --slice SLICE       the slice (default ctr.slice)\n"
               "      --memory SIZE       = -p MemoryMax=SIZE\n"
               "      --cpus N            = -p CPUQuota=N*100%%\n"
               "      --pids-limit N      = -p TasksMax=N\n"
               "  -e, --env KEY=VALUE     an environment variable of the payload\n"
               "  -v, --volume SRC:DST[:ro]  a bind mount\n"
               "      --hostname NAME     the UTS name (default: the container name)\n"
               "      --user USER[:GROUP] the payload's user (names looked up in the rootfs)\n"
               "  -w, --workdir DIR       the payload's working directory\n"
               "      --entrypoint PROG   replaces an image's Entrypoint (and drops its Cmd)\n"
               "      --network MODE      none (default), host, netns:NAME\n"
               "      --init=yes|no       a reaper as PID 1 that forwards signals (default yes)\n"
               "      --wait              with -d: wait for the container to end, return its status\n"
               "      --collect           unload the unit even if it failed\n"
               "      --rm                remove everything of the container when it ends\n"
               "      --host              run COMMAND on the host (no container) under the limits\n"
               "  -h, --help              this text\n\n"
               "update changes a running container's unit properties live (SetUnitProperties; kept\n"
               "across restarts of the unit unless --runtime).\n\n"
               "See ctrctl(1).\n");
}

/* systemd's quoting for one word of a value. */
static int append_word(FILE *f, const char *w)
{
        fputc('"', f);
        for (const char *p = w; *p; p++) {
                if (*p == '"' || *p == '\\')
                        fputc('\\', f);
                if (*p == '\n') {
                        fputs("\\n", f);
                        continue;
                }
                fputc(*p, f);
        }
        fputc('"', f);
        fputc(' ', f);
        return 0;
}

typedef struct RunArgs {
        const char *name, *unit, *slice, *hostname, *network, *init, *user, *workdir, *entrypoint;
        char **env, **volumes;
        bool detach, wait, collect, rm;
        const char *target;
        char **cmd;
} RunArgs;

static int write_definition(const RunArgs *a, char **ret_path)
{
        char path[PATH_MAX], tmp[PATH_MAX];
        struct stat st;
        _cleanup_free_ char *target = realpath(a->target, NULL);
        _cleanup_free_ char *image = NULL;
        if (!target || stat(target, &st) < 0 || !S_ISDIR(st.st_mode)) {
                /* not a directory: an image of the store */
                char *err = NULL;
                _cleanup_store_ Store *s = NULL;
                _cleanup_image_ Image *img = NULL;
                int r = store_open(NULL, false, &s, &err);
                if (r >= 0)
                        r = store_find_image(s, a->target, &img, &err);
                if (r < 0) {
                        log_error("'%s' is neither a directory (a root filesystem or an OCI bundle) nor an "
                                  "image: %s",
                                  a->target, err ?: strerror(-r));
                        free(err);
                        return -ENOENT;
                }
                /* pinned by digest: what was found is what runs, whatever is tagged meanwhile */
                image = strdup(img->manifest_digest);
                if (!image)
                        return -ENOMEM;
        }
        {
                /* ctr-exec looks NAME up along the whole search path: a definition of that name
                 * elsewhere (/etc/ctr) would be run instead, and its container shares the ID */
                _cleanup_free_ char *other = NULL;
                if (definition_find(a->name, &other, NULL) >= 0 || (other && *other)) {
                        log_error("a definition named '%s' exists already (%s); choose another --name",
                                  a->name, strempty(other));
                        return -EEXIST;
                }
        }
        if (mkdir(RUNTIME_DEFINITIONS, 0755) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "creating %s: %m", RUNTIME_DEFINITIONS);
        snprintf(path, sizeof(path), RUNTIME_DEFINITIONS "/%s.ctr", a->name);
        snprintf(tmp, sizeof(tmp), RUNTIME_DEFINITIONS "/.%s.ctr.tmp", a->name);
        (void)unlink(tmp); /* a leftover of a ctrctl killed mid-write */
        FILE *f = fopen(tmp, "wex");
        if (!f)
                return log_error_errno(-errno, "writing %s: %m", tmp);
        fprintf(f, "# written by 'ctrctl run'; removed with the container\n[Container]\n");
        char cfg[PATH_MAX];
        snprintf(cfg, sizeof(cfg), "%s/config.json", target);
        bool bundle = !image && access(cfg, F_OK) == 0;
        if (bundle)
                fprintf(f, "Bundle=%s\n", target);
        else {
                if (image)
                        fprintf(f, "Image=%s\n", image);
                else
                        fprintf(f, "RootDirectory=%s\n", target);
                if (a->cmd && a->cmd[0]) {
                        fputs("Exec=", f);
                        STRV_FOREACH (w, a->cmd)
                                append_word(f, *w);
                        fputc('\n', f);
                } else if (!image)
                        fputs("Exec=sh\n", f);
                STRV_FOREACH (e, a->env) {
                        fputs("Environment=", f);
                        append_word(f, *e);
                        fputc('\n', f);
                }
                STRV_FOREACH (v, a->volumes)
                        fprintf(f, "Volume=%s\n", *v);
                if (a->hostname)
                        fprintf(f, "Hostname=%s\n", a->hostname);
                if (a->user) {
                        /* USER[:GROUP], as docker -u */
                        const char *colon = strchr(a->user, ':');
                        fprintf(f, "User=%.*s\n", colon ? (int)(colon - a->user) : (int)strlen(a->user),
                                a->user);
                        if (colon)
                                fprintf(f, "Group=%s\n", colon + 1);
                }
                if (a->workdir)
                        fprintf(f, "WorkingDirectory=%s\n", a->workdir);
                if (a->entrypoint) {
                        fputs("Entrypoint=", f);
                        if (*a->entrypoint)
                                append_word(f, a->entrypoint);
                        fputc('\n', f);
                }
                if (a->network)
                        fprintf(f, "Network=%s\n", a->network);
        }
        if (a->init)
                fprintf(f, "Init=%s\n", a->init);
        if (fflush(f) != 0 || ferror(f)) {
                fclose(f);
                unlink(tmp);
                return log_error_errno(-EIO, "writing %s failed", tmp);
        }
        fclose(f);
        /* never over another container's definition */
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) < 0) {
                int r = -errno;
                unlink(tmp);
                if (r == -EEXIST) {
                        log_error("a container named '%s' exists already (%s); choose another --name",
                                  a->name, path);
                        return r;
                }
                return log_error_errno(r, "writing %s: %m", path);
        }
        *ret_path = strdup(path);
        return 0;
}

static int load_definition(const char *name, Definition **ret)
{
        char *err = NULL;
        /* the definition just written, whatever the caller's CTR_DEFINITION_PATH says */
        const char *saved = getenv("CTR_DEFINITION_PATH");
        _cleanup_free_ char *keep = saved ? strdup(saved) : NULL;
        setenv("CTR_DEFINITION_PATH", RUNTIME_DEFINITIONS, 1);
        int r = definition_load(name, ret, &err);
        if (keep)
                setenv("CTR_DEFINITION_PATH", keep, 1);
        else
                unsetenv("CTR_DEFINITION_PATH");
        if (r < 0) {
                log_error_errno(r, "%s", err ?: strerror(-r));
                free(err);
        }
        return r;
}

/* Our own group in the memory hierarchy (v1) or the unified one (v2): a scope's. */
static Cgroup *own_memory_cgroup(void)
{
        _cleanup_free_ char *self = NULL;
        Cgroup *cg = NULL;
        if (read_full_file("/proc/self/cgroup", 64 * 1024, &self, NULL) < 0)
                return NULL;
        const char *path = NULL;
        for (char *line = strtok(self, "\n"); line; line = strtok(NULL, "\n")) {
                char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
                if (!b)
                        continue;
                *b = 0;
                if (streq(a + 1, "memory") || (!path && streq(a + 1, "")))
                        path = b + 1;
                if (streq(a + 1, "memory"))
                        break;
        }
        if (!path || cgroup_new(path, "x", &cg) < 0)
                return NULL;
        return cg;
}

/* The container in the foreground, in whatever cgroup we are (a scope, or with cgroupfs its own
 * group); its exit status becomes ours. */
static int run_foreground(const RunArgs *a, Definition *d, json_t *resources)
{
        char id[256], *err = NULL;
        pid_t pid;
        snprintf(id, sizeof(id), "ctr@%s", a->name);
        if (resources) {
                json_object_set(json_object_get(d->config, "linux"), "resources", resources);
                char cg[300];
                snprintf(cg, sizeof(cg), "ctrctl-%s", a->name);
                json_object_set_new(json_object_get(d->config, "linux"), "cgroupsPath", json_string(cg));
        }
        /* an owner mark, so that the cleanup of a ctr@NAME unit that failed to start (it finds
         * this run's definition under the same name) leaves this container alone */
        char owner[64];
        snprintf(owner, sizeof(owner), "ctrctl-run-%d", (int)getpid());
        CreateOptions o = {
                .root = arg_root,
                .id = id,
                .bundle = d->bundle ?: RUNTIME_DEFINITIONS,
                .config_json = d->bundle ? NULL : d->config,
                .invocation = owner,
                .no_cgroup = !resources,
                .init = d->init,
                .foreground = true,
                .console_fd_out = -EBADF,
        };
        int r = 0;
        if (d->image)
                r = image_run_prepare(d, id, &err);
        if (r >= 0)
                r = container_create(&o, &pid, &err);
        if (r < 0) {
                log_error_errno(r, "%s", err ?: strerror(-r));
                free(err);
                if (d->image)
                        (void)image_run_cleanup(id, NULL);
                return 125;
        }
        r = container_start_or_remove(arg_root, id, &err);
        if (r < 0) {
                log_error_errno(r, "%s", err ?: strerror(-r));
                free(err);
                if (d->image)
                        (void)image_run_cleanup(id, NULL);
                return 125;
        }
        /* where the OOM killer would count: the container's own group (cgroupfs), or the scope
         * we are in with it */
        Cgroup *cg = NULL;
        uint64_t oom_before = 0, oom_after = 0;
        if (resources) {
                _cleanup_close_ int dfd = -EBADF;
                _cleanup_(container_state_freep) ContainerState *st = NULL;
                if (state_dir_open(arg_root, id, &dfd) >= 0 && state_load(dfd, &st) >= 0 && st->cgroup)
                        (void)cgroup_from_json(st->cgroup, &cg);
        } else
                cg = own_memory_cgroup();
        if (cg)
                (void)cgroup_oom_kills(cg, &oom_before);
        int status = container_wait_forwarding(pid, -EBADF);
        if (cg && cgroup_oom_kills(cg, &oom_after) >= 0 && oom_after > oom_before)
                log_error("container '%s' was killed by the OOM killer: its memory limit was reached",
                          a->name);
        cgroup_free(cg);
        err = NULL;
        (void)container_delete(arg_root, id, true, &err);
        free(err);
        if (d->image)
                (void)image_run_cleanup(id, NULL);
        return status;
}

/* run --host: a host command under limits, no container (what cgexec did): in a transient
 * scope with systemd, else in a cgroup of its own below ours. */
static int run_host(const char *name, const char *slice, char **props, char **cmd)
{
        int r;
        if (systemd_running()) {
                _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
                char unit[300], desc[300], *err = NULL;
                if ((r = transient_bus_open(&bus)) < 0)
                        return log_error_errno(r, "connecting to systemd: %m"), 1;
                snprintf(unit, sizeof(unit), "ctr-%s.scope", name);
                snprintf(desc, sizeof(desc), "ctrctl run --host %s", cmd[0]);
                TransientUnit u = {.name = unit,
                                   .description = desc,
                                   .slice = slice,
                                   .properties = props,
                                   .pid = getpid()};
                r = transient_start(bus, &u, 30 * 1000000ULL, &err);
                if (r < 0) {
                        log_error_errno(r, "%s", err ?: strerror(-r));
                        free(err);
                        return 1;
                }
                execvp(cmd[0], cmd);
                log_error_errno(-errno, "executing '%s': %m", cmd[0]);
                return 127;
        }
        _cleanup_json_ json_t *res = json_object();
        CgroupResources *cr = NULL;
        Cgroup *cg = NULL;
        char *err = NULL;
        STRV_FOREACH (p, props)
                if ((r = property_to_resources(*p, res, &err)) < 0)
                        goto fail;
        if ((r = property_resources_finish(res, &err)) < 0 ||
            (r = cgroup_resources_parse(res, "resources", &cr, &err)) < 0)
                goto fail;
        char path[300];
        snprintf(path, sizeof(path), "ctrctl-%s", name);
        if ((r = cgroup_new(path, name, &cg)) < 0 || (r = cgroup_create(cg)) < 0 ||
            (r = cgroup_apply(cg, cr)) < 0) {
                set_error(&err, r, "%s: %s", cgroup_last_error_path(), strerror(-r));
                goto fail;
        }
        log_info("systemd is not running (no /run/systemd/system): limits are written to cgroupfs");
        pid_t pid = fork();
        if (pid == 0) {
                if (cgroup_enter(cg, getpid()) < 0)
                        _exit(125);
                execvp(cmd[0], cmd);
                fprintf(stderr, "ctrctl: executing '%s': %m\n", cmd[0]);
                _exit(127);
        }
        int status = pid > 0 ? container_wait_forwarding(pid, -EBADF) : 125;
        (void)cgroup_destroy(cg);
        cgroup_free(cg);
        cgroup_resources_free(cr);
        return status;
fail:
        log_error_errno(r, "%s", err ?: strerror(-r));
        free(err);
        if (cg) {
                (void)cgroup_destroy(cg);
                cgroup_free(cg);
        }
        cgroup_resources_free(cr);
        return 1;
}

static int verb_run(int argc, char **argv)
{
        static const struct option o[] = {
                {"detach", no_argument, NULL, 'd'},
                {"scope", no_argument, NULL, 'S'},
                {"name", required_argument, NULL, 'n'},
                {"unit", required_argument, NULL, 'u'},
                {"property", required_argument, NULL, 'p'},
                {"slice", required_argument, NULL, 's'},
                {"memory", required_argument, NULL, 'm'},
                {"cpus", required_argument, NULL, 'c'},
                {"pids-limit", required_argument, NULL, 'P'},
                {"env", required_argument, NULL, 'e'},
                {"volume", required_argument, NULL, 'v'},
                {"hostname", required_argument, NULL, 'H'},
                {"user", required_argument, NULL, 'U'},
                {"workdir", required_argument, NULL, 'w'},
                {"entrypoint", required_argument, NULL, 'E'},
                {"network", required_argument, NULL, 'N'},
                {"init", required_argument, NULL, 'I'},
                {"wait", no_argument, NULL, 'W'},
                {"collect", no_argument, NULL, 'C'},
                {"rm", no_argument, NULL, 'R'},
                {"host", no_argument, NULL, 'O'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_strv_free_ char **props = NULL, **env = NULL, **vols = NULL;
        RunArgs a = {.slice = "ctr.slice"};
        bool host = false;
        char name[64], buf[128];
        int c, r;

        while ((c = getopt_long(argc, argv, "+dn:u:p:e:v:w:h", o, NULL)) >= 0) {
                r = 0;
                switch (c) {
                case 'd':
                        a.detach = true;
                        break;
                case 'S':
                        a.detach = false;
                        break;
                case 'n':
                        a.name = optarg;
                        break;
                case 'u':
                        a.unit = optarg;
                        break;
                case 'p':
                        r = strv_extend(&props, optarg);
                        break;
                case 's':
                        a.slice = optarg;
                        break;
                case 'm':
                        snprintf(buf, sizeof(buf), "MemoryMax=%s", optarg);
                        r = strv_extend(&props, buf);
                        break;
                case 'c': {
                        double cpus = strtod(optarg, NULL);
                        if (cpus <= 0 || cpus > 100000) {
                                log_error("--cpus: '%s' is not a positive number", optarg);
                                return 1;
                        }
                        snprintf(buf, sizeof(buf), "CPUQuota=%.0f%%", cpus * 100);
                        r = strv_extend(&props, buf);
                        break;
                }
                case 'P':
                        snprintf(buf, sizeof(buf), "TasksMax=%s", optarg);
                        r = strv_extend(&props, buf);
                        break;
                case 'e':
                        if (!strchr(optarg, '=')) {
                                log_error("--env '%s': expected KEY=VALUE", optarg);
                                return 1;
                        }
                        r = strv_extend(&env, optarg);
                        break;
                case 'v':
                        r = strv_extend(&vols, optarg);
                        break;
                case 'H':
                        a.hostname = optarg;
                        break;
                case 'U':
                        a.user = optarg;
                        break;
                case 'w':
                        a.workdir = optarg;
                        break;
                case 'E':
                        a.entrypoint = optarg;
                        break;
                case 'N':
                        a.network = optarg;
                        break;
                case 'I':
                        a.init = optarg;
                        break;
                case 'W':
                        a.wait = true;
                        break;
                case 'C':
                        a.collect = true;
                        break;
                case 'R':
                        a.rm = a.collect = true;
                        break;
                case 'O':
                        host = true;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return 1;
                }
                if (r < 0)
                        return log_error_errno(r, "%m"), 1;
        }
        if (!a.name) {
                uint32_t rnd = 0;
                (void)getrandom(&rnd, sizeof(rnd), 0);
                snprintf(name, sizeof(name), "run-%08x", rnd);
                a.name = name;
        }
        if (!definition_name_is_valid(a.name)) {
                log_error("invalid container name '%s'", a.name);
                return 1;
        }
        if (host) {
                if (optind >= argc) {
                        log_error("run --host: a command is required");
                        return 1;
                }
                return run_host(a.name, a.slice, props, argv + optind);
        }
        if (optind >= argc) {
                log_error("run: a root filesystem or bundle directory is required (see --help)");
                return 1;
        }
        a.target = argv[optind];
        a.cmd = argv + optind + 1;
        a.env = env;
        a.volumes = vols;
        _cleanup_free_ char *defpath = NULL;
        /* From here to the end, a SIGINT/SIGTERM/SIGHUP must not end ctrctl between the steps
         * (it would leave the definition and the container behind): held pending, they reach
         * the container once it runs (container_wait_forwarding() takes them over). */
        if (!a.detach) {
                sigset_t held;
                sigemptyset(&held);
                sigaddset(&held, SIGINT);
                sigaddset(&held, SIGTERM);
                sigaddset(&held, SIGHUP);
                sigaddset(&held, SIGQUIT);
                sigprocmask(SIG_BLOCK, &held, NULL);
        }
        r = write_definition(&a, &defpath);
        if (r < 0)
                return 1;
        _cleanup_(definition_freep) Definition *d = NULL;
        if (load_definition(a.name, &d) < 0) {
                unlink(defpath);
                return 1;
        }

        if (!systemd_running()) {
                /* No systemd as init: the same limits, straight to cgroupfs, with the device
                 * policy a container gets everywhere (deny, then the usual devices). */
                _cleanup_json_ json_t *res =
                        json_pack("{s:[{s:b, s:s}]}", "devices", "allow", false, "access", "rwm");
                STRV_FOREACH (p, props) {
                        char *err = NULL;
                        r = property_to_resources(*p, res, &err);
                        if (r < 0) {
                                log_error_errno(r, "%s", err ?: strerror(-r));
                                free(err);
                                unlink(defpath);
                                return 1;
                        }
                }
                {
                        char *err = NULL;
                        r = property_resources_finish(res, &err);
                        if (r < 0) {
                                log_error_errno(r, "%s", err ?: strerror(-r));
                                free(err);
                                unlink(defpath);
                                return 1;
                        }
                }
                if (a.detach)
                        log_warning("systemd is not running: -d needs it; running in the foreground");
                if (props)
                        log_info("systemd is not running (no /run/systemd/system): limits are written to "
                                 "cgroupfs");
                r = run_foreground(&a, d, res);
                unlink(defpath);
                return r;
        }

        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        r = transient_bus_open(&bus);
        if (r < 0) {
                log_error_errno(r, "connecting to systemd: %m");
                unlink(defpath);
                return 1;
        }
        char unit[300], desc[300];
        snprintf(unit, sizeof(unit), "%s", a.unit ?: "");
        if (!a.unit)
                snprintf(unit, sizeof(unit), "ctr-%s.%s", a.name, a.detach ? "service" : "scope");
        snprintf(desc, sizeof(desc), "Container %s (ctrctl run %s)", a.name, a.target);
        /* a store moved with CTR_STORAGE_DIR is where the service's ctr-exec (start and
         * cleanup) must look too */
        const char *storage = getenv("CTR_STORAGE_DIR");
        if (a.detach && storage && *storage) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "Environment=CTR_STORAGE_DIR=%s", storage) < 0 ||
                    strv_extend(&props, p) < 0) {
                        unlink(defpath);
                        return log_error_errno(-ENOMEM, "%m"), 1;
                }
        }
        char *start_argv[] = {CTR_EXEC_PATH, (char *)a.name, NULL};
        char *stop_argv_rm[] = {CTR_EXEC_PATH, "--cleanup", "--remove-definition", (char *)a.name, NULL};
        TransientUnit u = {
                .name = unit,
                .description = desc,
                .slice = a.slice,
                .properties = props,
                .exec_start = start_argv,
                /* the definition lives as long as the container: removed when it ends */
                .exec_stop_post = stop_argv_rm,
                /* with --wait the status is read first, then the unit forgotten */
                .collect = a.collect && !a.wait,
                .pid = getpid(),
        };
        char *err = NULL;
        r = transient_start(bus, &u, 30 * 1000000ULL, &err);
        if (r < 0) {
                log_error_errno(r, "%s", err ?: strerror(-r));
                free(err);
                unlink(defpath);
                return 1;
        }
        if (!a.detach) {
                r = run_foreground(&a, d, NULL);
                unlink(defpath);
                return r;
        }
        fprintf(stderr, "Running as unit: %s\n", unit);
        if (!a.wait)
                return 0;
        int status = 0;
        r = transient_wait_exit(bus, unit, &status, &err);
        if (r < 0) {
                log_error_errno(r, "%s", err ?: strerror(-r));
                free(err);
                return 1;
        }
        if (a.collect)
                (void)transient_reset_failed(bus, unit);
        return status;
}

/* systemd and the unit of container NAME, or an error message naming what is missing. */
static int connect_container(const char *verb, const char *name, sd_bus **ret_bus, char **ret_unit)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;
        if (!systemd_running()) {
                log_error("%s: systemd is not running; use 'ctr-oci' for the containers it runs", verb);
                return -ENOMEDIUM;
        }
        if ((r = transient_bus_open(&bus)) < 0)
                return log_error_errno(r, "connecting to systemd: %m");
        if (name && container_unit_name(bus, name, ret_unit) < 0) {
                log_error("no running container '%s' (ctr@%s.service, ctr-%s.service or .scope)", name, name,
                          name);
                return -ESRCH;
        }
        *ret_bus = TAKE_PTR(bus);
        return 0;
}

static int verb_update(int argc, char **argv)
{
        static const struct option o[] = {
                {"property", required_argument, NULL, 'p'},
                {"runtime", no_argument, NULL, 'r'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_strv_free_ char **props = NULL;
        bool runtime = false;
        int c, r;
        while ((c = getopt_long(argc, argv, "+p:h", o, NULL)) >= 0)
                switch (c) {
                case 'p':
                        if (strv_extend(&props, optarg) < 0)
                                return 1;
                        break;
                case 'r':
                        runtime = true;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return 1;
                }
        if (optind != argc - 1 || !props) {
                log_error("update: expected NAME and at least one -p NAME=VALUE");
                return 1;
        }
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *unit = NULL;
        char *err = NULL;
        if (connect_container("update", argv[optind], &bus, &unit) < 0)
                return 1;
        r = unit_set_properties(bus, unit, runtime, props, &err);
        if (r < 0) {
                log_error_errno(r, "%s", err ?: strerror(-r));
                free(err);
                return 1;
        }
        return 0;
}

/* The container's name from its unit: ctr@NAME.service, ctr-NAME.service, ctr-NAME.scope. */
static char *unit_to_name(const char *unit)
{
        const char *p = startswith(unit, "ctr@") ?: startswith(unit, "ctr-") ?: unit;
        const char *dot = strrchr(p, '.');
        return strndup(p, dot ? (size_t)(dot - p) : strlen(p));
}

static uint64_t now_nsec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int unit_stats(sd_bus *bus, const char *unit, json_t **ret)
{
        _cleanup_free_ char *cgpath = NULL;
        Cgroup *cg = NULL;
        int r = unit_control_group(bus, unit, &cgpath);
        if (r < 0 || !cgpath || !*cgpath)
                return r < 0 ? r : -ENOENT;
        r = cgroup_new(cgpath, "x", &cg);
        if (r >= 0)
                r = cgroup_stats(cg, ret);
        if (r >= 0) {
                uint64_t oom = 0;
                if (cgroup_oom_kills(cg, &oom) >= 0)
                        json_object_set_new(json_object_get(*ret, "memory"), "oom_kills",
                                            json_integer((json_int_t)oom));
        }
        cgroup_free(cg);
        return r;
}

static uint64_t jget_u64(json_t *j, const char *a, const char *b)
{
        json_t *v = json_object_get(json_object_get(j, a), b);
        return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

static void human(char *buf, size_t size, uint64_t v)
{
        const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        double d = (double)v;
        size_t i = 0;
        while (d >= 1024 && i + 1 < ELEMENTSOF(u)) {
                d /= 1024;
                i++;
        }
        snprintf(buf, size, i ? "%.1f%s" : "%.0f%s", d, u[i]);
}

static int verb_stats(int argc, char **argv)
{
        static const struct option o[] = {
                {"json", no_argument, NULL, 'j'},
                {"no-stream", no_argument, NULL, 'n'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool json = false, no_stream = false;
        int c, r;
        while ((c = getopt_long(argc, argv, "+h", o, NULL)) >= 0)
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'n':
                        no_stream = true;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return 1;
                }
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        if (connect_container("stats", NULL, &bus, NULL) < 0)
                return 1;
        _cleanup_strv_free_ char **units = NULL;
        if (optind < argc) {
                for (int i = optind; i < argc; i++) {
                        char *u = NULL;
                        if (container_unit_name(bus, argv[i], &u) < 0) {
                                log_error("no running container '%s'", argv[i]);
                                return 1;
                        }
                        if (strv_push(&units, u) < 0)
                                return 1;
                }
        } else if ((r = container_units(bus, &units)) < 0)
                return log_error_errno(r, "listing containers: %m"), 1;
        bool stream = !no_stream && !json && isatty(1);
        size_t n = strv_length(units);
        uint64_t *cpu0 = calloc(n + 1, sizeof(uint64_t));
        if (!cpu0)
                return 1;
        for (;;) {
                /* CPU percent needs two samples */
                uint64_t t0 = now_nsec();
                for (size_t i = 0; i < n; i++) {
                        json_t *s = NULL;
                        if (unit_stats(bus, units[i], &s) >= 0)
                                cpu0[i] = jget_u64(s, "cpu", "usage_ns");
                        json_decref(s);
                }
                usleep(500 * 1000);
                uint64_t dt = now_nsec() - t0;
                _cleanup_json_ json_t *all = json_array();
                if (stream)
                        printf("\033[H\033[2J");
                if (!json)
                        printf("%-20s %-28s %-22s %-10s %7s %6s\n", "NAME", "UNIT", "MEM USAGE / LIMIT",
                               "MEM PEAK", "CPU %", "PIDS");
                for (size_t i = 0; i < n; i++) {
                        json_t *s = NULL;
                        if (unit_stats(bus, units[i], &s) < 0)
                                continue;
                        uint64_t cpu1 = jget_u64(s, "cpu", "usage_ns");
                        double pct =
                                dt && cpu1 >= cpu0[i] ? 100.0 * (double)(cpu1 - cpu0[i]) / (double)dt : 0;
                        json_object_set_new(json_object_get(s, "cpu"), "percent", json_real(pct));
                        _cleanup_free_ char *name = unit_to_name(units[i]);
                        json_object_set_new(s, "name", json_string(name));
                        json_object_set_new(s, "unit", json_string(units[i]));
                        if (!json) {
                                char u[32], l[32], p[32], ul[80];
                                human(u, sizeof(u), jget_u64(s, "memory", "usage"));
                                json_t *lim = json_object_get(json_object_get(s, "memory"), "limit");
                                if (json_is_integer(lim))
                                        human(l, sizeof(l), (uint64_t)json_integer_value(lim));
                                else
                                        snprintf(l, sizeof(l), "-");
                                human(p, sizeof(p), jget_u64(s, "memory", "max_usage"));
                                snprintf(ul, sizeof(ul), "%s / %s", u, l);
                                printf("%-20s %-28s %-22s %-10s %6.1f%% %6llu\n", name, units[i], ul, p, pct,
                                       (unsigned long long)jget_u64(s, "pids", "current"));
                        }
                        json_array_append_new(all, s);
                }
                if (json) {
                        char *d = json_dumps(all, JSON_INDENT(2));
                        puts(d ?: "[]");
                        free(d);
                }
                fflush(stdout);
                if (!stream)
                        break;
        }
        free(cpu0);
        return 0;
}

static int verb_top(int argc, char **argv)
{
        if (argc != 2) {
                log_error("top: expected a container NAME");
                return 1;
        }
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *unit = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        _cleanup_strv_free_ char **cmds = NULL;
        int r;
        if (connect_container("top", argv[1], &bus, &unit) < 0)
                return 1;
        r = unit_processes(bus, unit, &pids, &cmds);
        if (r < 0)
                return log_error_errno(r, "listing the processes of %s: %m", unit), 1;
        printf("%-8s %s\n", "PID", "COMMAND");
        for (int i = 0; i < r; i++)
                printf("%-8d %s\n", (int)pids[i], cmds[i]);
        return 0;
}

static int verb_attach(int argc, char **argv)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *unit = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        char *err = NULL;
        if (argc < 3) {
                log_error("attach: expected NAME PID...");
                return 1;
        }
        pids = calloc((size_t)argc, sizeof(pid_t));
        if (!pids)
                return 1;
        for (int i = 2; i < argc; i++) {
                uint32_t v;
                if (safe_atou32(argv[i], &v) < 0 || v == 0 || v > INT32_MAX) {
                        log_error("attach: '%s' is not a PID", argv[i]);
                        return 1;
                }
                pids[i - 2] = (pid_t)v;
        }
        if (connect_container("attach", argv[1], &bus, &unit) < 0)
                return 1;
        int r = unit_attach_processes(bus, unit, pids, (size_t)argc - 2, &err);
        if (r >= 0)
                return 0;
        /* systemd only migrates into delegated units: otherwise write the PIDs into the unit's
         * group in every hierarchy, as cgclassify did (systemd counts them as the unit's) */
        _cleanup_free_ char *cgpath = NULL;
        if (unit_control_group(bus, unit, &cgpath) < 0 || !cgpath) {
                log_error_errno(r, "%s", err ?: strerror(-r));
                free(err);
                return 1;
        }
        free(err);
        /* v1 and hybrid: the unit's group in each hierarchy below /sys/fs/cgroup that has it;
         * pure v2: the one group */
        bool any = false;
        _cleanup_(closedirp) DIR *d = opendir("/sys/fs/cgroup");
        struct dirent *de;
        while (d && (de = readdir(d))) {
                char p[PATH_MAX + 300];
                if (de->d_name[0] == '.' || de->d_type != DT_DIR)
                        continue;
                snprintf(p, sizeof(p), "/sys/fs/cgroup/%s%s/cgroup.procs", de->d_name, cgpath);
                if (access(p, F_OK) < 0)
                        continue;
                for (int i = 2; i < argc; i++)
                        if ((r = write_string_at(AT_FDCWD, p, argv[i])) < 0)
                                return log_error_errno(r, "moving %s into %s: %m", argv[i], p), 1;
                any = true;
        }
        if (!any) {
                char p[PATH_MAX];
                snprintf(p, sizeof(p), "/sys/fs/cgroup%s/cgroup.procs", cgpath);
                for (int i = 2; i < argc; i++)
                        if ((r = write_string_at(AT_FDCWD, p, argv[i])) < 0)
                                return log_error_errno(r, "moving %s into %s: %m", argv[i], p), 1;
        }
        return 0;
}

/* cgget: one cgroup attribute of a container's unit, e.g. memory.limit_in_bytes or pids.max,
 * read in the hierarchy that has it (v1) or in the unified one (v2). */
static int verb_get(int argc, char **argv)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *unit = NULL, *cgpath = NULL;
        if (argc != 3 || strchr(argv[2], '/') || argv[2][0] == '.') {
                log_error("get: expected NAME ATTRIBUTE (a cgroup file name such as memory.max)");
                return 1;
        }
        if (connect_container("get", argv[1], &bus, &unit) < 0)
                return 1;
        int r = unit_control_group(bus, unit, &cgpath);
        if (r < 0 || !cgpath)
                return log_error_errno(r, "reading the cgroup of %s: %m", unit), 1;
        char ctl[64];
        snprintf(ctl, sizeof(ctl), "%.*s", (int)strcspn(argv[2], "."), argv[2]);
        const char *dirs[] = {ctl, "unified", ""};
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                char p[PATH_MAX];
                _cleanup_free_ char *v = NULL;
                snprintf(p, sizeof(p), "/sys/fs/cgroup%s%s%s/%s", *dirs[i] ? "/" : "", dirs[i], cgpath,
                         argv[2]);
                if (read_full_file(p, 1024 * 1024, &v, NULL) >= 0) {
                        fputs(v, stdout);
                        return 0;
                }
        }
        log_error("%s: no cgroup attribute '%s'", unit, argv[2]);
        return 1;
}

static int verb_stop(int argc, char **argv)
{
        int ret = 0;
        if (argc < 2) {
                log_error("stop: expected NAME...");
                return 1;
        }
        for (int i = 1; i < argc; i++) {
                _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
                _cleanup_free_ char *unit = NULL;
                char *err = NULL;
                if (connect_container("stop", argv[i], &bus, &unit) < 0) {
                        ret = 1;
                        continue;
                }
                if (unit_stop(bus, unit, &err) < 0) {
                        log_error("%s", err ?: "stop failed");
                        ret = 1;
                }
                free(err);
        }
        return ret;
}

/* 'ctrctl image ...' is ctr-image (ctl/image.c): next to ctrctl in a build tree, else where it is
 * installed. */
static int exec_image_helper(char **argv)
{
        char self[PATH_MAX], path[PATH_MAX + 16];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
                self[n] = 0;
                char *slash = strrchr(self, '/');
                if (slash) {
                        *slash = 0;
                        snprintf(path, sizeof(path), "%s/ctr-image", self);
                        if (access(path, X_OK) == 0)
                                execv(path, argv);
                }
        }
        execv(CTR_IMAGE_PATH, argv);
        log_error_errno(-errno, "executing %s: %m", CTR_IMAGE_PATH);
        return 1;
}

int main(int argc, char **argv)
{
        log_set_program("ctrctl");
        if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h") || streq(argv[1], "help")) {
                help();
                return argc < 2;
        }
        if (streq(argv[1], "--version")) {
                printf("ctrctl %s\n", PACKAGE_VERSION);
                return 0;
        }
        if (streq(argv[1], "run"))
                return verb_run(argc - 1, argv + 1);
        if (streq(argv[1], "update"))
                return verb_update(argc - 1, argv + 1);
        if (streq(argv[1], "stats"))
                return verb_stats(argc - 1, argv + 1);
        if (streq(argv[1], "top"))
                return verb_top(argc - 1, argv + 1);
        if (streq(argv[1], "attach"))
                return verb_attach(argc - 1, argv + 1);
        if (streq(argv[1], "get"))
                return verb_get(argc - 1, argv + 1);
        if (streq(argv[1], "stop"))
                return verb_stop(argc - 1, argv + 1);
        if (streq(argv[1], "image") || streq(argv[1], "images"))
                return exec_image_helper(argv);
        log_error("unknown command '%s' (see --help)", argv[1]);
        return 1;
}
