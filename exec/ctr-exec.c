/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ctr-exec: what ctr@NAME.service runs. It loads /etc/ctr/NAME.ctr, sets the container up in
 * the unit's own cgroup, hands the container's init to systemd as the main PID, says READY,
 * waits until systemd has taken that in, and exits: nothing of ours stays resident. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "container.h"
#include "definition.h"
#include "image-run.h"
#include "json-util.h"
#include "log.h"
#include "runtime.h"
#include "state.h"
#include "util.h"

static const char *arg_root = CTR_STATE_DIR_DEFAULT;

static void help(void)
{
        printf("Usage: ctr-exec [OPTIONS] NAME\n\n"
               "Run the container defined in NAME.ctr as the main process of the calling systemd\n"
               "service (ctr@NAME.service runs this).\n\n"
               "  --cleanup        remove what is left of the container (ExecStopPost=)\n"
               "  --remove-definition  with --cleanup: also remove /run/ctr/NAME.ctr (ctrctl run --rm)\n"
               "  --print-config   print the OCI config the definition translates to, and exit\n"
               "  --root DIR       state directory (default %s)\n"
               "  -h, --help       this text\n\n"
               "Definitions are searched in /etc/ctr, /run/ctr, /usr/lib/ctr, or $CTR_DEFINITION_PATH.\n"
               "See ctr-exec(8) and ctrctl.ctr(5).\n",
               CTR_STATE_DIR_DEFAULT);
}

static void container_id(const char *name, char *buf, size_t size)
{
        snprintf(buf, size, "ctr@%s", name);
}

static bool arg_remove_definition;

static int do_cleanup(const char *name)
{
        char id[256], *err = NULL;
        container_id(name, id, sizeof(id));
        /* Only the container this unit invocation made: a start that failed because another
         * unit runs a container of that name must not take that one down. */
        {
                _cleanup_close_ int fd = -EBADF;
                _cleanup_(container_state_freep) ContainerState *s = NULL;
                const char *inv = getenv("INVOCATION_ID");
                if (inv && state_dir_open(arg_root, id, &fd) >= 0 && state_load(fd, &s) >= 0 &&
                    s->invocation && !streq(s->invocation, inv)) {
                        log_info("container '%s' belongs to another unit invocation, leaving it", id);
                        return 0;
                }
        }
        int r = container_delete(arg_root, id, true, &err);
        if (r >= 0)
                r = image_run_cleanup(id, &err);
        if (arg_remove_definition) {
                /* a 'ctrctl run --rm' container: its definition lives as long as it does */
                char p[PATH_MAX];
                snprintf(p, sizeof(p), "/run/ctr/%s.ctr", name);
                if (unlink(p) < 0 && errno != ENOENT)
                        log_warning_errno(-errno, "removing %s: %m", p);
        }
        if (r < 0) {
                log_error_errno(r, "%s", err ?: strerror(-r));
                free(err);
                return 1;
        }
        return 0;
}

static int do_run(const char *name, bool print_only)
{
        _cleanup_(definition_freep) Definition *d = NULL;
        char *err = NULL, id[256];
        int r;

        r = definition_load(name, &d, &err);
        if (r < 0) {
                /* The exact problem, in the journal and in 'systemctl status'. */
                log_error_errno(r, "%s", err ?: strerror(-r));
                (void)sd_notifyf(0, "STATUS=Definition error: %s", err ?: strerror(-r));
                free(err);
                return 1;
        }
        if (print_only) {
                if (d->bundle) {
                        printf("bundle: %s\n", d->bundle);
                        return 0;
                }
                char *s = json_dumps(d->config, JSON_INDENT(2));
                puts(s ?: "");
                free(s);
                return 0;
        }
        container_id(name, id, sizeof(id));
        /* A container of an earlier run whose ExecStopPost= never ran (a crash of systemd)
         * is cleared; one that runs (another unit, or 'ctrctl run' with this name) is not
         * touched. */
        r = container_cleanup_stale(arg_root, id);
        if (r == -EBUSY) {
                log_error("container '%s' is already running (another unit or 'ctrctl run --name %s'?)", id,
                          name);
                return 1;
        }

        if (d->image) {
                /* the image's layers become the rootfs (in a mount namespace of ours that the
                 * container inherits), its config fills in what the definition leaves open */
                r = image_run_prepare(d, id, &err);
                if (r < 0) {
                        log_error_errno(r, "%s: Image=%s: %s", d->path, d->image, err ?: strerror(-r));
                        (void)sd_notifyf(0, "STATUS=Failed: %s", err ?: strerror(-r));
                        free(err);
                        return 1;
                }
        }

        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", d->path);
        char *slash = strrchr(dir, '/');
        if (slash)
                *slash = 0;
        CreateOptions o = {
                .root = arg_root,
                .id = id,
                .bundle = d->bundle ?: dir,
                .config_json = d->bundle ? NULL : d->config,
                .no_cgroup = true,
                .invocation = getenv("INVOCATION_ID"),
                .init = d->init,
                .console_fd_out = -EBADF,
        };
        pid_t pid;
        r = container_create(&o, &pid, &err);
        if (r < 0) {
                if (d->image)
                        (void)image_run_cleanup(id, NULL);
                log_error_errno(r, "%s: %s", d->path, err ?: strerror(-r));
                (void)sd_notifyf(0, "STATUS=Failed: %s", err ?: strerror(-r));
                free(err);
                return 1;
        }
        /* systemd follows the container's init from now on. It is told while that process
         * still waits for 'start' (alive for sure: a payload that ends at once must not leave
         * systemd a dead PID), and takes it in before the payload runs. */
        r = sd_notifyf(0, "MAINPID=%d", (int)pid);
        if (r < 0)
                log_warning_errno(r, "telling systemd the main PID: %m");
        if (r > 0 && (r = sd_notify_barrier(0, 5 * 1000000ULL)) < 0)
                log_warning_errno(r, "waiting for systemd to take the main PID: %m");
        r = container_start_or_remove(arg_root, id, &err);
        if (r < 0) {
                log_error_errno(r, "%s", err ?: strerror(-r));
                free(err);
                return 1;
        }
        r = sd_notifyf(
                0, "READY=1\nSTATUS=Running %s",
                d->bundle ?: json_string_value(json_object_get(json_object_get(d->config, "root"), "path")));
        /* Exit only once systemd has processed READY=1. */
        if (r > 0)
                r = sd_notify_barrier(0, 5 * 1000000ULL);
        if (r < 0 && r != -EOPNOTSUPP && getenv("NOTIFY_SOCKET"))
                log_warning_errno(r, "waiting for systemd to take the main PID: %m");
        return 0;
}

int main(int argc, char **argv)
{
        static const struct option o[] = {
                {"cleanup", no_argument, NULL, 'c'},      {"remove-definition", no_argument, NULL, 'R'},
                {"print-config", no_argument, NULL, 'p'}, {"root", required_argument, NULL, 'r'},
                {"help", no_argument, NULL, 'h'},         {},
        };
        bool cleanup = false, print_only = false;
        int c;

        log_set_program("ctr-exec");
        while ((c = getopt_long(argc, argv, "h", o, NULL)) >= 0)
                switch (c) {
                case 'c':
                        cleanup = true;
                        break;
                case 'p':
                        print_only = true;
                        break;
                case 'R':
                        arg_remove_definition = true;
                        break;
                case 'r':
                        arg_root = optarg;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return 2;
                }
        if (optind != argc - 1) {
                log_error("expected one definition NAME (see --help)");
                return 2;
        }
        const char *name = argv[optind];
        if (!definition_name_is_valid(name)) {
                log_error("invalid definition name '%s'", name);
                return 2;
        }
        return cleanup ? do_cleanup(name) : do_run(name, print_only);
}
