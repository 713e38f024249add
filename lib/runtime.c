/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "hooks.h"
#include "json-util.h"
#include "log.h"
#include "lsm.h"
#include "oci-config.h"
#include "process.h"
#include "runtime.h"
#include "seccomp.h"
#include "state.h"
#include "systemd-scope.h"
#include "terminal.h"
#include "util.h"

typedef struct Loaded {
        int dirfd; /* O_PATH */
        ContainerState *state;
        ContainerStatus status;
} Loaded;

static void loaded_done(Loaded *l)
{
        safe_close(l->dirfd);
        container_state_free(l->state);
}

static int load(const char *root, const char *id, Loaded *l, char **err)
{
        int r;
        l->dirfd = -EBADF;
        l->state = NULL;
        if (!id_valid(id))
                return set_error(err, -EINVAL, "invalid container id '%s'", id);
        r = state_dir_open(root, id, &l->dirfd);
        if (r == -ENOENT)
                return set_error(err, r, "container '%s' does not exist", id);
        if (r < 0)
                return set_error(err, r, "opening state of '%s': %s", id, strerror(-r));
        r = state_load(l->dirfd, &l->state);
        if (r == -ENOENT)
                return set_error(err, r, "container '%s' does not exist", id);
        if (r < 0)
                return set_error(err, r, "reading state of '%s': %s", id, strerror(-r));
        l->status = state_status(l->dirfd, l->state);
        return 0;
}

static int open_cgroup(const Loaded *l, Cgroup **ret)
{
        if (!l->state->cgroup)
                return -ENOENT;
        if (container_scope_check(l->state) == SCOPE_TAKEN)
                return -ESTALE; /* its scope went with its processes; the path is another's now */
        return cgroup_from_json(l->state->cgroup, ret);
}

int runtime_load_config(const char *root, const char *id, json_t **ret, char **err)
{
        _cleanup_free_ char *data = NULL;
        size_t size;
        Loaded l;
        int r = load(root, id, &l, err);
        if (r < 0)
                goto out;
        r = read_full_file_at(l.dirfd, "config.json", 16 * 1024 * 1024, &data, &size);
        if (r < 0) {
                r = set_error(err, r, "reading saved config of '%s': %s", id, strerror(-r));
                goto out;
        }
        *ret = json_loadb(data, size, 0, NULL);
        if (!*ret)
                r = set_error(err, -EBADMSG, "saved config of '%s' is corrupt", id);
out:
        loaded_done(&l);
        return r;
}

static char *state_json_string(const Loaded *l, ContainerStatus st)
{
        _cleanup_json_ json_t *j = state_to_oci_json(l->state, st);
        return j ? json_dumps(j, JSON_COMPACT) : NULL;
}

static void run_hooks_warn(const char *root, const char *id, const Loaded *l, OciHookKind kind,
                           ContainerStatus st)
{
        _cleanup_oci_config_ OciConfig *config = NULL;
        _cleanup_free_ char *sj = NULL;
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s/%s", root, id);
        if (oci_config_load(dir, &config, NULL) < 0 || !config->n_hooks[kind])
                return;
        sj = state_json_string(l, st);
        /* The spec wants a warning, not a failure, when poststart or poststop hooks fail, and
         * the remaining hooks to run. */
        for (size_t i = 0; i < config->n_hooks[kind]; i++) {
                _cleanup_free_ char *e = NULL;
                if (hooks_run(&config->hooks[kind][i], 1, hook_kind_name(kind), sj ?: "{}", &e) < 0)
                        log_warning("%s", e ?: "hook failed");
        }
}

/* exec.done is held open by the container until its payload runs (close-on-exec): EOF means
 * it did; text means it failed before, and says why. */
/* exec.done, opened by 'start' before it lets the container go: a container that fails at
 * once writes its reason into the pipe while we hold it open, instead of into a pipe that no
 * longer exists when we come to read it. */
static int open_exec_done(int dirfd, int *ret)
{
        _cleanup_close_ int d = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int fd = d < 0 ? -EBADF : openat(d, "exec.done", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT ? 0 : negative_errno();
        (void)unlinkat(d, "exec.done", 0);
        *ret = fd;
        return 0;
}

/* The container holds exec.done until its payload runs (close-on-exec): EOF means it did;
 * text means it failed before, and says why. */
static int wait_exec(int fd, char **ret_msg)
{
        if (fd < 0)
                return 0;
        if (fcntl(fd, F_SETFL, 0) < 0)
                return negative_errno();
        char buf[1024];
        ssize_t k;
        do
                k = read(fd, buf, sizeof(buf) - 1);
        while (k < 0 && errno == EINTR);
        if (k <= 0)
                return 0;
        buf[k] = 0;
        uint32_t e;
        if (safe_atou32(buf, &e) >= 0) /* from the exec stub: a bare errno */
                snprintf(buf, sizeof(buf), "executing the payload: %s", strerror((int)e));
        *ret_msg = strdup(buf);
        return -EIO;
}

int container_start(const char *root, const char *id, char **err)
{
        _cleanup_close_ int done = -EBADF;
        Loaded l;
        int r = load(root, id, &l, err);
        if (r < 0)
                goto out;
        if (l.status != STATUS_CREATED) {
                r = set_error(err, -EINVAL, "cannot start container '%s': it is %s, not created", id,
                              container_status_to_string(l.status));
                goto out;
        }
        r = open_exec_done(l.dirfd, &done);
        if (r < 0) {
                r = set_error(err, r, "starting container '%s': %s", id, strerror(-r));
                goto out;
        }
        {
                _cleanup_close_ int d = openat(l.dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                _cleanup_close_ int fifo =
                        d < 0 ? -EBADF
                              : openat(d, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
                if (fifo < 0) {
                        r = set_error(err, errno == ENXIO ? -ESRCH : negative_errno(),
                                      "cannot start container '%s': container not running", id);
                        goto out;
                }
                char b = 0;
                if (write(fifo, &b, 1) != 1) {
                        r = set_error(err, negative_errno(), "starting container '%s': %m", id);
                        goto out;
                }
                (void)unlinkat(d, "exec.fifo", 0);
        }
        /* Returns once the payload runs (poststart hooks must come after that), or with the
         * reason it could not: a startContainer hook, the user switch, execve itself. */
        {
                _cleanup_free_ char *why = NULL;
                r = wait_exec(done, &why);
                if (r < 0) {
                        r = set_error(err, r, "starting container '%s': %s", id, why ?: strerror(-r));
                        goto out;
                }
        }
        run_hooks_warn(root, id, &l, OCI_HOOK_POSTSTART, STATUS_RUNNING);
        r = 0;
out:
        loaded_done(&l);
        return r;
}

static int wait_gone(pid_t pid, uint64_t start_time, int timeout_ms)
{
        int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pfd < 0)
                return errno == ESRCH ? 0 : negative_errno();
        uint64_t st;
        /* the pid may have been recycled between our check and pidfd_open */
        if (pid_start_time(pid, &st) < 0 || st != start_time) {
                close(pfd);
                return 0;
        }
        struct pollfd p = {.fd = pfd, .events = POLLIN};
        int k;
        do
                k = poll(&p, 1, timeout_ms);
        while (k < 0 && errno == EINTR);
        close(pfd);
        return k > 0 ? 0 : -ETIMEDOUT;
}

/* --systemd-cgroup: the scope goes (StopUnit, waited for) before its directories do. */
static int stop_scope(const char *unit, char **err)
{
        _cleanup_(scope_bus_closep) ScopeBus *bus = NULL;
        int r = scope_bus_open(&bus, err);
        if (r >= 0)
                r = scope_stop(bus, unit, SCOPE_JOB_TIMEOUT_USEC, err);
        return r;
}

int container_delete(const char *root, const char *id, bool force, char **err)
{
        Loaded l;
        Cgroup *cg = NULL;
        int r = load(root, id, &l, err);
        if (r == -ENOENT && force) {
                /* an aborted create may have left a directory without state */
                free(*err);
                *err = NULL;
                (void)state_dir_remove(root, id);
                loaded_done(&l);
                return 0;
        }
        if (r < 0) {
                if (r == -ENOENT && l.dirfd >= 0)
                        (void)state_dir_remove(root, id);
                goto out;
        }
        /* runtime-spec: deleting a container that is not stopped MUST fail and leave it be;
         * --force kills it first. A create that died half-way (creating) is remains. */
        if (l.status == STATUS_CREATING && !state_is_stale(l.state) && !force) {
                r = set_error(err, -EBUSY, "cannot delete container '%s': it is being created", id);
                goto out;
        }
        if ((l.status == STATUS_RUNNING || l.status == STATUS_PAUSED || l.status == STATUS_CREATED) &&
            !force) {
                r = set_error(err, -EBUSY, "cannot delete container '%s' that is not stopped: %s", id,
                              container_status_to_string(l.status));
                goto out;
        }
        (void)open_cgroup(&l, &cg);
        /* Even with its init gone, a container without a pid namespace of its own may have left
         * processes in its cgroup: they go too, or the cgroup could not be removed. */
        if (cg) {
                if (l.status == STATUS_PAUSED)
                        (void)cgroup_freeze(cg, false);
                (void)cgroup_kill_all(cg, SIGKILL);
        }
        if (l.status != STATUS_STOPPED) {
                if (state_pid_alive(l.state)) {
                        (void)kill(l.state->pid, SIGKILL);
                        (void)wait_gone(l.state->pid, l.state->start_time, 5000);
                }
        }
        if (l.state->systemd_unit && container_scope_check(l.state) == SCOPE_OURS) {
                _cleanup_free_ char *serr = NULL;
                r = stop_scope(l.state->systemd_unit, &serr);
                if (r < 0 && !force) {
                        /* the state stays, so that a later delete can try again */
                        r = set_error(err, r, "removing container '%s': %s", id, serr ?: strerror(-r));
                        goto out;
                }
                if (r < 0)
                        log_warning("%s, ignoring", serr ?: strerror(-r));
        }
        if (cg) {
                r = cgroup_destroy(cg);
                if (r < 0) {
                        r = set_error(err, r, "removing cgroup of '%s': %s", id, strerror(-r));
                        goto out;
                }
        }
        run_hooks_warn(root, id, &l, OCI_HOOK_POSTSTOP, STATUS_STOPPED);
        r = state_dir_remove(root, id);
        if (r < 0)
                r = set_error(err, r, "removing state of '%s': %s", id, strerror(-r));
out:
        cgroup_free(cg);
        loaded_done(&l);
        return r;
}

int runtime_state(const char *root, const char *id, json_t **ret, char **err)
{
        Loaded l;
        int r = load(root, id, &l, err);
        if (r < 0)
                goto out;
        json_t *j = state_to_oci_json(l.state, l.status);
        if (!j) {
                r = -ENOMEM;
                goto out;
        }
        if (l.state->rootfs)
                json_object_set_new(j, "rootfs", json_string(l.state->rootfs));
        if (l.state->created)
                json_object_set_new(j, "created", json_string(l.state->created));
        json_object_set_new(j, "owner", json_string(""));
        *ret = j;
out:
        loaded_done(&l);
        return r;
}

int runtime_list(const char *root, json_t **ret, char **err)
{
        json_t *a = json_array();
        DIR *d = opendir(root);
        if (!a)
                return -ENOMEM;
        if (!d) {
                if (errno == ENOENT) {
                        *ret = a;
                        return 0;
                }
                json_decref(a);
                return set_error(err, negative_errno(), "opening '%s': %m", root);
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                json_t *s = NULL;
                if (de->d_name[0] == '.' || !id_valid(de->d_name))
                        continue;
                if (runtime_state(root, de->d_name, &s, NULL) >= 0)
                        json_array_append_new(a, s);
        }
        closedir(d);
        *ret = a;
        return 0;
}

static int signal_pid(const ContainerState *s, int sig)
{
        /* A pidfd pins the process: a PID recycled after our start-time check cannot be hit. */
        int pfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
        if (pfd < 0)
                return negative_errno();
        uint64_t st;
        int r;
        if (pid_start_time(s->pid, &st) < 0 || st != s->start_time)
                r = -ESRCH;
        else
                r = RET_NERRNO((int)syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0));
        close(pfd);
        return r;
}

int runtime_kill(const char *root, const char *id, int sig, bool all, char **err)
{
        Loaded l;
        Cgroup *cg = NULL;
        int r = load(root, id, &l, err);
        if (r < 0)
                goto out;
        if (all) {
                /* containerd sends 'kill --all ID 9' to stopped containers too: not an error */
                if (open_cgroup(&l, &cg) >= 0)
                        r = cgroup_kill_all(cg, sig);
                if (r < 0 && r != -ENOENT && r != -ESRCH) {
                        r = set_error(err, r, "signalling container '%s': %s", id, strerror(-r));
                        goto out;
                }
                if (l.status != STATUS_STOPPED)
                        (void)signal_pid(l.state, sig);
                r = 0;
                goto out;
        }
        if (l.status == STATUS_STOPPED || l.status == STATUS_CREATING) {
                r = set_error(err, -ESRCH, "container not running");
                goto out;
        }
        r = signal_pid(l.state, sig);
        if (r == -ESRCH)
                r = set_error(err, r, "container not running");
        else if (r < 0)
                r = set_error(err, r, "signalling container '%s': %s", id, strerror(-r));
out:
        cgroup_free(cg);
        loaded_done(&l);
        return r;
}

int runtime_pause(const char *root, const char *id, bool pause, char **err)
{
        Loaded l;
        Cgroup *cg = NULL;
        int r = load(root, id, &l, err);
        if (r < 0)
                goto out;
        if (pause ? l.status != STATUS_RUNNING : l.status != STATUS_PAUSED) {
                r = set_error(err, -EINVAL, "container '%s' is %s, not %s", id,
                              container_status_to_string(l.status), pause ? "running" : "paused");
                goto out;
        }
        r = open_cgroup(&l, &cg);
        if (r >= 0)
                r = cgroup_freeze(cg, pause);
        if (r < 0)
                r = set_error(err, r, "%s container '%s': %s", pause ? "pausing" : "resuming", id,
                              strerror(-r));
out:
        cgroup_free(cg);
        loaded_done(&l);
        return r;
}

int runtime_pids(const char *root, const char *id, pid_t **ret, size_t *ret_n, char **err)
{
        Loaded l;
        Cgroup *cg = NULL;
        int r = load(root, id, &l, err);
        if (r < 0)
                goto out;
        r = open_cgroup(&l, &cg);
        if (r >= 0)
                r = cgroup_get_pids(cg, ret, ret_n);
        if (r < 0)
                r = set_error(err, r, "listing processes of '%s': %s", id, strerror(-r));
out:
        cgroup_free(cg);
        loaded_done(&l);
        return r;
}

/* The CFS period a quota given alone is per: the group's current one (0: unknown). */
static uint64_t current_cpu_period(Cgroup *cg)
{
        bool v2 = cgroup_get_layout(cg) == CGROUP_LAYOUT_UNIFIED;
        const char *dir = cgroup_get_dir(cg, "cpu");
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        uint64_t v = 0;
        if (!dir)
                return 0;
        snprintf(path, sizeof(path), "%s/%s", dir, v2 ? "cpu.max" : "cpu.cfs_period_us");
        if (read_full_file(path, 4096, &text, NULL) < 0)
                return 0;
        /* v2: "QUOTA PERIOD" */
        const char *p = v2 ? strchr(text, ' ') : text;
        if (!p)
                return 0;
        text[strcspn(text, "\n")] = 0;
        return safe_atou64(p + (v2 ? 1 : 0), &v) >= 0 ? v : 0;
}

/* --systemd-cgroup: systemd keeps the unit's limits and writes them again on daemon-reload, so it
 * must learn the new ones (runtime only, as runc does), before cgroupfs gets them too. */
static int update_scope(const char *unit, Cgroup *cg, const CgroupResources *res, char **err)
{
        _cleanup_(scope_bus_closep) ScopeBus *bus = NULL;
        ScopeProperties props = {};
        int r = scope_bus_open(&bus, err);
        if (r < 0)
                return r;
        ScopeTranslation t = {
                .layout = cgroup_get_layout(cg),
                .systemd_version = scope_bus_systemd_version(bus),
                .current_period = current_cpu_period(cg),
        };
        r = scope_resources_to_properties(res, &t, &props);
        if (r < 0)
                r = set_error(err, r, "translating the resources for systemd: %s", strerror(-r));
        else
                r = scope_set_properties(bus, unit, &props, err);
        scope_properties_done(&props);
        return r;
}

int runtime_update(const char *root, const char *id, json_t *resources, char **err)
{
        Loaded l;
        Cgroup *cg = NULL;
        CgroupResources *res = NULL;
        int r = load(root, id, &l, err);
        if (r < 0)
                goto out;
        if (l.status == STATUS_STOPPED) {
                r = set_error(err, -ESRCH, "container not running");
                goto out;
        }
        r = cgroup_resources_parse(resources, "resources", &res, err);
        if (r < 0)
                goto out;
        /* The device rules stay those of create, as runc keeps them: containerd hands update
         * the container's whole linux.resources, whose devices lack the defaults create adds
         * (/dev/null, /dev/urandom, ...), so applying them would take those away. */
        if (res->has_devices) {
                free(res->devices);
                res->devices = NULL;
                res->n_devices = 0;
                res->has_devices = false;
        }
        r = open_cgroup(&l, &cg);
        if (r >= 0 && l.state->systemd_unit) {
                r = update_scope(l.state->systemd_unit, cg, res, err);
                if (r < 0)
                        goto out;
        }
        if (r >= 0)
                r = cgroup_apply(cg, res);
        if (r < 0)
                r = set_error(err, r, "updating '%s': %s: %s", id, cgroup_last_error_path(), strerror(-r));
out:
        cgroup_resources_free(res);
        cgroup_free(cg);
        loaded_done(&l);
        return r;
}

/* ---- exec ---- */

static int open_container_namespaces(pid_t pid, int *fds, int *types, size_t *n)
{
        static const struct {
                const char *name;
                int type;
        } order[] = {
                /* user last: once in it we lose the host capabilities the others need */
                {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
                {"net", CLONE_NEWNET},       {"time", 0x80},        {"mnt", CLONE_NEWNS},
                {"user", CLONE_NEWUSER},
        };
        *n = 0;
        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                char p[64], q[64];
                struct stat a, b;
                snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)pid, order[i].name);
                snprintf(q, sizeof(q), "/proc/self/ns/%s", order[i].name);
                if (stat(p, &a) < 0)
                        continue;
                if (stat(q, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
                        continue; /* already there; setns into one's own user ns fails */
                int fd = open(p, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return negative_errno();
                fds[*n] = fd;
                types[(*n)++] = order[i].type;
        }
        return 0;
}

/* A container that lives in its systemd unit's cgroup has none of its own in the state: an
 * exec'd process joins the groups of the container's init, hierarchy by hierarchy. */
static int join_cgroups_of(pid_t pid)
{
        char p[64];
        _cleanup_free_ char *text = NULL;
        CgroupLayout layout;
        int r;
        snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)pid);
        if ((r = read_full_file(p, 64 * 1024, &text, NULL)) < 0)
                return r;
        if ((r = cgroup_detect_layout(&layout)) < 0)
                return r;
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                char *ctl = strchr(line, ':'), *path = ctl ? strchr(ctl + 1, ':') : NULL;
                if (!path)
                        continue;
                *path++ = 0;
                ctl++;
                if (strstr(path, "/..") || path[0] != '/')
                        continue;
                char dir[PATH_MAX], self[32];
                if (!*ctl)
                        snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s%s",
                                 layout == CGROUP_LAYOUT_UNIFIED ? "" : "/unified", path);
                else
                        snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s%s", startswith(ctl, "name=") ?: ctl,
                                 path);
                if (layout == CGROUP_LAYOUT_UNIFIED && *ctl)
                        continue;
                snprintf(self, sizeof(self), "%d", (int)getpid());
                _cleanup_close_ int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (d < 0)
                        continue; /* a hierarchy not mounted here */
                if ((r = write_string_at(d, "cgroup.procs", self)) < 0)
                        return r;
        }
        return 0;
}

int container_exec(const ExecOptions *o, OciProcess *process, int *ret_status, char **err)
{
        Loaded l;
        Cgroup *cg = NULL;
        SeccompFilter *filter = NULL;
        _cleanup_oci_config_ OciConfig *config = NULL;
        _cleanup_close_ int pidns = -EBADF, own_pidns = -EBADF, console = -EBADF, master = -EBADF;
        _cleanup_close_pair_ int report[2] = {-EBADF, -EBADF};
        int ns_fds[8], ns_types[8];
        size_t n_ns = 0;
        pid_t pid = 0;
        char dir[PATH_MAX];
        int r = load(o->root, o->id, &l, err);
        if (r < 0)
                goto out;
        if (l.status != STATUS_RUNNING && l.status != STATUS_CREATED) {
                r = set_error(err, -ESRCH, "cannot exec in container '%s': container not running (%s)",
                              o->id, container_status_to_string(l.status));
                goto out;
        }
        {
                const char *what = NULL;
                r = lsm_check(process->apparmor_profile, process->selinux_label, &what);
                if (r < 0) {
                        r = set_error(err, r, "%s", what);
                        goto out;
                }
        }
        snprintf(dir, sizeof(dir), "%s/%s", o->root, o->id);
        r = oci_config_load(dir, &config, err);
        if (r < 0)
                goto out;
        (void)open_cgroup(&l, &cg);
        /* The container's seccomp filter applies to everything that runs in it. */
        if (config->seccomp) {
                r = seccomp_filter_build(config->seccomp, &filter, err);
                if (r < 0)
                        goto out;
        }
        if (process->terminal && o->detach && !o->console_socket) {
                /* no one would hold the pty: runc refuses this too */
                r = set_error(err, -EINVAL, "exec --tty --detach needs --console-socket");
                goto out;
        }
        if (process->terminal) {
                if (o->console_socket) {
                        r = console_socket_connect(o->console_socket, &console);
                        if (r < 0) {
                                r = set_error(err, r, "console socket '%s': %s", o->console_socket,
                                              strerror(-r));
                                goto out;
                        }
                } else {
                        int sp[2];
                        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
                                r = set_error(err, negative_errno(), "socketpair: %m");
                                goto out;
                        }
                        master = sp[0];
                        console = sp[1];
                }
        }
        char p[64];
        snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)l.state->pid);
        pidns = open(p, O_RDONLY | O_CLOEXEC);
        own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
        r = open_container_namespaces(l.state->pid, ns_fds, ns_types, &n_ns);
        if (r < 0 || pidns < 0 || !state_pid_alive(l.state)) {
                r = set_error(err, r < 0 ? r : -ESRCH, "container not running");
                goto out;
        }
        if (pipe2(report, O_CLOEXEC) < 0) {
                r = set_error(err, negative_errno(), "pipe: %m");
                goto out;
        }
        /* Children land in the container's pid namespace; we stay where we are. */
        if (setns(pidns, CLONE_NEWPID) < 0) {
                r = set_error(err, negative_errno(), "joining pid namespace: %m");
                goto out;
        }
        pid_t init_pid = l.state->pid;
        pid = fork();
        if (pid < 0) {
                r = set_error(err, negative_errno(), "fork: %m");
                goto out;
        }
        if (pid == 0) {
                char exe[PATH_MAX], msg[512];
                int k;
                (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
                report[0] = safe_close(report[0]);
                if ((k = cg ? cgroup_enter(cg, getpid()) : join_cgroups_of(init_pid)) < 0) {
                        snprintf(msg, sizeof(msg), "joining the container's cgroup: %s", strerror(-k));
                        goto child_fail;
                }
                for (size_t i = 0; i < n_ns; i++)
                        if (setns(ns_fds[i], ns_types[i]) < 0) {
                                snprintf(msg, sizeof(msg), "joining namespaces: %s", strerror(errno));
                                goto child_fail;
                        }
                if (chdir("/") < 0) {
                        snprintf(msg, sizeof(msg), "chdir: %s", strerror(errno));
                        goto child_fail;
                }
                if (process->terminal && (k = terminal_setup(console, process->console_height,
                                                             process->console_width, false)) < 0) {
                        snprintf(msg, sizeof(msg), "setting up the terminal: %s", strerror(-k));
                        goto child_fail;
                }
                if ((k = process_find_executable(process, exe, sizeof(exe))) < 0) {
                        snprintf(msg, sizeof(msg), "executable file '%s' not found in $PATH",
                                 process->args[0]);
                        goto child_fail;
                }
                finalize_and_exec(&(FinalExec){
                        .process = process,
                        .exe = exe,
                        .seccomp = filter,
                        .preserve_fds = o->preserve_fds,
                        .terminal_done = process->terminal,
                        .report_fd = report[1],
                        .listener_fd = -EBADF,
                });
        child_fail:
                (void)!write(report[1], msg, strlen(msg));
                _exit(127);
        }
        (void)setns(own_pidns, CLONE_NEWPID);
        report[1] = safe_close(report[1]);
        console = safe_close(console);
        {
                char msg[512];
                ssize_t k;
                do
                        k = read(report[0], msg, sizeof(msg) - 1);
                while (k < 0 && errno == EINTR);
                if (k > 0) {
                        msg[k] = 0;
                        uint32_t e;
                        /* the exec stub reports a failed execve as a bare errno */
                        if (safe_atou32(msg, &e) >= 0)
                                snprintf(msg, sizeof(msg), "executing '%s': %s", process->args[0],
                                         strerror((int)e));
                        (void)wait_for_pid(pid, NULL);
                        pid = 0;
                        r = set_error(err, -EIO, "exec in '%s' failed: %s", o->id, msg);
                        goto out;
                }
        }
        if (o->pid_file) {
                r = write_pid_file(o->pid_file, pid);
                if (r < 0) {
                        r = set_error(err, r, "writing pid file '%s': %s", o->pid_file, strerror(-r));
                        goto out;
                }
        }
        if (o->detach) {
                *ret_status = 0;
                r = 0;
                pid = 0;
                goto out;
        }
        int proxy = -EBADF;
        if (master >= 0) {
                r = console_receive_fd(master, &proxy);
                if (r < 0) {
                        r = set_error(err, r, "receiving the terminal: %s", strerror(-r));
                        goto out;
                }
        }
        *ret_status = container_wait_forwarding(pid, proxy);
        safe_close(proxy);
        pid = 0;
        r = 0;
out:
        if (pid > 0 && r < 0) {
                kill(pid, SIGKILL);
                (void)wait_for_pid(pid, NULL);
        }
        for (size_t i = 0; i < n_ns; i++)
                safe_close(ns_fds[i]);
        seccomp_filter_free(filter);
        cgroup_free(cg);
        loaded_done(&l);
        return r;
}

/* ---- foreground waiting ---- */

static struct termios saved_tio;
static bool tio_saved;

static void restore_tty(void)
{
        if (tio_saved)
                tcsetattr(0, TCSANOW, &saved_tio);
}

static void copy_fd(int from, int to, bool *open_flag)
{
        char buf[8192];
        ssize_t k = read(from, buf, sizeof(buf));
        if (k <= 0) {
                *open_flag = false;
                return;
        }
        (void)loop_write(to, buf, (size_t)k);
}

int container_wait_forwarding(pid_t pid, int proxy_fd)
{
        sigset_t all, old;
        int status = 0;

        sigfillset(&all);
        sigdelset(&all, SIGSEGV);
        sigdelset(&all, SIGBUS);
        sigdelset(&all, SIGILL);
        sigdelset(&all, SIGFPE);
        sigprocmask(SIG_BLOCK, &all, &old);
        int sfd = signalfd(-1, &all, SFD_CLOEXEC);
        int pfd = (int)syscall(SYS_pidfd_open, pid, 0);

        if (proxy_fd >= 0 && isatty(0) && tcgetattr(0, &saved_tio) == 0) {
                struct termios raw = saved_tio;
                cfmakeraw(&raw);
                tio_saved = tcsetattr(0, TCSANOW, &raw) == 0;
                struct winsize ws;
                if (ioctl(0, TIOCGWINSZ, &ws) == 0)
                        (void)ioctl(proxy_fd, TIOCSWINSZ, &ws);
        }
        bool in_open = proxy_fd >= 0, out_open = proxy_fd >= 0;
        for (;;) {
                struct pollfd p[4] = {
                        {.fd = sfd, .events = POLLIN},
                        {.fd = pfd, .events = POLLIN},
                        {.fd = in_open ? 0 : -1, .events = POLLIN},
                        {.fd = out_open ? proxy_fd : -1, .events = POLLIN},
                };
                if (poll(p, 4, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGCHLD) {
                                if (si.ssi_signo == SIGWINCH && proxy_fd >= 0) {
                                        struct winsize ws;
                                        if (ioctl(0, TIOCGWINSZ, &ws) == 0)
                                                (void)ioctl(proxy_fd, TIOCSWINSZ, &ws);
                                } else
                                        (void)kill(pid, (int)si.ssi_signo);
                        }
                }
                if (p[2].revents & (POLLIN | POLLHUP))
                        copy_fd(0, proxy_fd, &in_open);
                if (p[3].revents & (POLLIN | POLLHUP))
                        copy_fd(proxy_fd, 1, &out_open);
                if (p[1].revents & POLLIN || pfd < 0) {
                        /* drain what the payload still wrote to the pty */
                        while (out_open) {
                                struct pollfd q = {.fd = proxy_fd, .events = POLLIN};
                                if (poll(&q, 1, 0) <= 0)
                                        break;
                                copy_fd(proxy_fd, 1, &out_open);
                        }
                        break;
                }
        }
        (void)wait_for_pid(pid, &status);
        restore_tty();
        safe_close(sfd);
        safe_close(pfd);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return exit_status_from_wait(status);
}

json_t *runtime_features(void)
{
        json_t *mounts = json_array();
        for (size_t i = 0; i < mount_option_count(); i++)
                json_array_append_new(mounts, json_string(mount_option_name(i)));
        json_t *ns = json_array();
        static const char *const nss[] = {"cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time"};
        for (size_t i = 0; i < ELEMENTSOF(nss); i++)
                json_array_append_new(ns, json_string(nss[i]));
        json_t *caps = json_array();
        for (int c = 0; c <= cap_last_cap(); c++) {
                char *n = cap_to_name(c);
                if (n) {
                        char up[64];
                        snprintf(up, sizeof(up), "%s", n);
                        for (char *q = up; *q; q++)
                                *q = (char)(*q >= 'a' && *q <= 'z' ? *q - 32 : *q);
                        json_array_append_new(caps, json_string(up));
                        cap_free(n);
                }
        }
        json_t *linux_ = json_pack("{s:o, s:o, s:o, s:o, s:{s:b}, s:{s:b}, s:{s:b}}", "namespaces", ns,
                                   "capabilities", caps, "cgroup", cgroup_features(), "seccomp",
                                   seccomp_features(), "apparmor", "enabled", false, "selinux", "enabled",
                                   false, "intelRdt", "enabled", false);
        json_object_set_new(linux_, "mountExtensions", json_pack("{s:{s:b}}", "idmap", "enabled", false));
        /* the cgroupfs driver's report, plus the systemd driver of systemd-scope.c */
        json_object_set_new(json_object_get(linux_, "cgroup"), "systemd", json_true());
        return json_pack("{s:s, s:s, s:[ssssss], s:o, s:o, s:{s:s}}", "ociVersionMin", "1.0.0",
                         "ociVersionMax", OCI_VERSION, "hooks", "prestart", "createRuntime",
                         "createContainer", "startContainer", "poststart", "poststop", "mountOptions",
                         mounts, "linux", linux_, "annotations", "org.ctrctl.version", PACKAGE_VERSION);
}

int container_start_or_remove(const char *root, const char *id, char **err)
{
        int r = container_start(root, id, err);
        if (r < 0) {
                /* a container whose payload never ran is of no use: take it down (the first
                 * error stays the one reported) */
                char *ignored = NULL;
                (void)container_delete(root, id, true, &ignored);
                free(ignored);
        }
        return r;
}
