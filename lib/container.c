/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "hooks.h"
#include "json-util.h"
#include "lsm.h"
#include "process.h"
#include "rootfs.h"
#include "seccomp.h"
#include "state.h"
#include "systemd-scope.h"
#include "terminal.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

enum {
        SYNC_GO = 1, /* parent → child: ID maps written, cgroup joined; payload: state JSON */
        SYNC_HOOKS, /* child → parent: run prestart + createRuntime now */
        SYNC_HOOKS_DONE, /* parent → child */
        SYNC_READY, /* child → parent: only execve is left */
        SYNC_ERROR, /* child → parent: error, payload: message */
        SYNC_CGROUP, /* parent → child, before SYNC_GO with --systemd-cgroup: the scope's
                      * cgroup_to_json(), where systemd has just moved the child */
};

typedef struct SyncHeader {
        int type;
        int error;
} SyncHeader;

#define SYNC_MAX (64 * 1024)

typedef struct Container {
        const CreateOptions *opts;
        OciConfig *config;
        char *bundle;
        char *rootfs;
        int rootfs_fd;
        int state_fd;
        Cgroup *cgroup;
        SeccompFilter *seccomp;
        int console_fd;
        int fifo_fd;
        int sync[2];
        int ns_fds[8];
        int ns_types[8];
        size_t n_ns_fds;
        pid_t parent;
        int listener_fd; /* connected to linux.seccomp.listenerPath */
        int done_fd; /* exec.done, see container_create() */
        int unified_fd; /* the parent's, for clone3(CLONE_INTO_CGROUP) */
        bool self_join; /* the child joins the v1 hierarchies itself */
        bool in_unified; /* clone3 put the child into the unified hierarchy */
        char *state_json; /* for hooks on the container side (pid as the container sees it) */
        char *state_json_runtime; /* the same, pid as the runtime sees it */
} Container;

#define CLONE_INTO_CGROUP_FLAG 0x200000000ULL

/* The devices every container needs, allowed after the config's own rules, as runc and crun
 * do: a config that denies everything (as 'spec' writes) still gets a working /dev. */
static int connect_unix(const char *path, int *ret)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int r = negative_errno();
                close(fd);
                return r;
        }
        *ret = fd;
        return 0;
}

/* The container process state for the seccomp agent (runtime-spec, config-linux.md). */
static char *listener_message(const Container *c)
{
        if (c->listener_fd < 0)
                return NULL;
        json_t *state = json_loads(c->state_json_runtime ?: "{}", 0, NULL);
        json_t *m =
                json_pack("{s:s, s:[s], s:O, s:o}", "ociVersion", OCI_VERSION, "fds", "seccompFd", "pid",
                          json_object_get(state, "pid") ?: json_integer(0), "state", state ?: json_object());
        const char *meta = seccomp_config_listener_metadata(c->config->seccomp);
        if (m && meta)
                json_object_set_new(m, "metadata", json_string(meta));
        char *s = m ? json_dumps(m, JSON_COMPACT) : NULL;
        json_decref(m);
        return s;
}

static int add_default_device_rules(OciConfig *config)
{
        static const struct {
                char type;
                int64_t major, minor;
                const char *access;
        } defaults[] = {
                {'c', -1, -1, "m"},    {'b', -1, -1, "m"}, /* mknod of anything, access per rule */
                {'c', 1, 3, "rwm"},    {'c', 1, 5, "rwm"},    {'c', 1, 7, "rwm"}, {'c', 1, 8, "rwm"},
                {'c', 1, 9, "rwm"},    {'c', 5, 0, "rwm"},    {'c', 5, 1, "rwm"}, {'c', 5, 2, "rwm"},
                {'c', 136, -1, "rwm"}, {'c', 10, 200, "rwm"},
        };
        CgroupResources *r = config->resources;
        if (!r->has_devices)
                return 0;
        size_t n_extra = ELEMENTSOF(defaults) + config->n_devices;
        CgroupDeviceRule *d = calloc(r->n_devices + n_extra, sizeof(*d));
        if (!d)
                return -ENOMEM;
        /* The defaults go right after a leading deny-all (what 'spec' writes), so the config's
         * own later rules still decide, in order: a later deny of 1:7 blocks /dev/full. */
        size_t lead = r->n_devices > 0 && !r->devices[0].allow && r->devices[0].type == 'a' ? 1 : 0, n = 0;
        for (size_t i = 0; i < lead; i++)
                d[n++] = r->devices[i];
        for (size_t i = 0; i < ELEMENTSOF(defaults); i++) {
                CgroupDeviceRule *x = &d[n++];
                *x = (CgroupDeviceRule){.allow = true,
                                        .type = defaults[i].type,
                                        .major = defaults[i].major,
                                        .minor = defaults[i].minor};
                snprintf(x->access, sizeof(x->access), "%s", defaults[i].access);
        }
        for (size_t i = 0; i < config->n_devices; i++) {
                const OciDevice *dev = &config->devices[i];
                if (dev->type == 'p')
                        continue;
                CgroupDeviceRule *x = &d[n++];
                *x = (CgroupDeviceRule){
                        .allow = true, .type = dev->type, .major = dev->major, .minor = dev->minor};
                snprintf(x->access, sizeof(x->access), "rwm");
        }
        for (size_t i = lead; i < r->n_devices; i++)
                d[n++] = r->devices[i];
        free(r->devices);
        r->devices = d;
        r->n_devices = n;
        return 0;
}

static int sync_send(int fd, int type, int error, const char *payload)
{
        size_t n = payload ? strlen(payload) : 0;
        char buf[SYNC_MAX];
        SyncHeader h = {type, error};
        if (n > sizeof(buf) - sizeof(h))
                n = sizeof(buf) - sizeof(h);
        memcpy(buf, &h, sizeof(h));
        if (n)
                memcpy(buf + sizeof(h), payload, n);
        ssize_t k;
        do
                k = send(fd, buf, sizeof(h) + n, MSG_NOSIGNAL);
        while (k < 0 && errno == EINTR);
        return k < 0 ? negative_errno() : 0;
}

/* Returns the message type, 0 on EOF. *ret_payload is NUL-terminated (or NULL). */
static int sync_recv(int fd, int *ret_error, char **ret_payload)
{
        char *buf = malloc(SYNC_MAX + 1);
        SyncHeader h;
        ssize_t k;
        if (!buf)
                return -ENOMEM;
        do
                k = recv(fd, buf, SYNC_MAX, 0);
        while (k < 0 && errno == EINTR);
        if (k < 0) {
                free(buf);
                return negative_errno();
        }
        if (k == 0) {
                free(buf);
                return 0;
        }
        if ((size_t)k < sizeof(h)) {
                free(buf);
                return -EBADMSG;
        }
        memcpy(&h, buf, sizeof(h));
        buf[k] = 0;
        if (ret_error)
                *ret_error = h.error;
        if (ret_payload) {
                memmove(buf, buf + sizeof(h), (size_t)k - sizeof(h) + 1);
                *ret_payload = buf;
        } else
                free(buf);
        return h.type;
}

/* ---- container side ---- */

_noreturn_ static void child_fail(Container *c, int r, const char *what)
{
        char msg[PATH_MAX + 256];
        snprintf(msg, sizeof(msg), "%s: %s", what, strerror(-r > 0 ? -r : EIO));
        if (c->sync[1] >= 0)
                (void)sync_send(c->sync[1], SYNC_ERROR, r, msg);
        else
                fprintf(stderr, "ctr-exec: %s\n", msg);
        _exit(127);
}

static int join_namespaces(Container *c, bool user)
{
        for (size_t i = 0; i < c->n_ns_fds; i++) {
                if ((c->ns_types[i] == CLONE_NEWUSER) != user)
                        continue;
                if (setns(c->ns_fds[i], c->ns_types[i]) < 0)
                        return negative_errno();
                c->ns_fds[i] = safe_close(c->ns_fds[i]);
        }
        return 0;
}

static int write_sysctls(const OciConfig *config)
{
        if (!config->n_sysctls)
                return 0;
        /* /proc is the procfs we mounted; check it, and never cross into another mount below
         * /proc/sys (a bind over a sysctl file would redirect the write). */
        struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};
        _cleanup_close_ int sys = (int)syscall(SYS_openat2, AT_FDCWD, "/proc/sys", &how, sizeof(how));
        struct statfs sf;
        if (sys < 0)
                return negative_errno();
        if (fstatfs(sys, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
                return -EXDEV;
        for (size_t i = 0; i < config->n_sysctls; i++) {
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "%s", config->sysctls[i].key);
                for (char *p = path; *p; p++)
                        if (*p == '.')
                                *p = '/';
                how.flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW;
                how.resolve =
                        RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS;
                _cleanup_close_ int fd = (int)syscall(SYS_openat2, sys, path, &how, sizeof(how));
                if (fd < 0)
                        return negative_errno();
                if (write(fd, config->sysctls[i].value, strlen(config->sysctls[i].value)) < 0)
                        return negative_errno();
        }
        return 0;
}

static void reset_signals(void)
{
        sigset_t all;
        struct sigaction sa = {.sa_handler = SIG_DFL};
        for (int s = 1; s < _NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        (void)sigaction(s, &sa, NULL);
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
}

static bool setgroups_allowed(void)
{
        char buf[16] = "";
        int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return true;
        ssize_t k = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        return !(k > 0 && startswith(buf, "deny"));
}

/* The last steps, shared by create and exec: from here on only the process config matters. */
static int send_listener(int sock, int fd, const char *msg)
{
        char buf[CMSG_SPACE(sizeof(int))] = {0};
        struct iovec iov = {.iov_base = (void *)msg, .iov_len = strlen(msg)};
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof(buf)};
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? negative_errno() : 0;
}

#if HAVE_EXEC_STUB
extern const unsigned char exec_stub[];
extern const size_t exec_stub_size;

/* A sealed, executable memfd holding the exec stub; -errno if this kernel forbids it
 * (vm.memfd_noexec) or lacks something. */
static int exec_stub_fd(void)
{
        _cleanup_close_ int fd = memfd_create("ctr-exec-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return negative_errno();
        int r = loop_write(fd, exec_stub, exec_stub_size);
        if (r < 0)
                return r;
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}
#endif

/* execve the payload, through the sealed stub (stub >= 0, made before any seccomp filter: a
 * profile may forbid memfd_create) where there is one. The stub is run through
 * /proc/self/fd/N with plain execve, which every profile allows, execveat only if /proc is
 * missing. report_fd (close-on-exec) is passed on to the stub, which reports a failed
 * execve of the payload there. */
static int exec_payload(const char *exe, char *const argv[], char *const envp[], int report_fd, int stub)
{
        if (stub >= 0) {
                size_t n = strv_length((char **)argv);
                char fdbuf[16], self[64];
                const char **a = calloc(n + 4, sizeof(char *));
                if (a) {
                        snprintf(fdbuf, sizeof(fdbuf), "%d", report_fd);
                        snprintf(self, sizeof(self), "/proc/self/fd/%d", stub);
                        a[0] = "ctr-exec-stub";
                        a[1] = fdbuf;
                        a[2] = exe;
                        for (size_t i = 0; i < n; i++)
                                a[3 + i] = argv[i];
                        /* the stub sets close-on-exec again before it runs the payload */
                        if (report_fd >= 0)
                                (void)fcntl(report_fd, F_SETFD, 0);
                        execve(self, (char *const *)a, envp);
                        syscall(SYS_execveat, stub, "", a, envp, AT_EMPTY_PATH);
                        if (report_fd >= 0)
                                (void)fcntl(report_fd, F_SETFD, FD_CLOEXEC);
                        free(a);
                }
                /* memfd exec refused (vm.memfd_noexec): exec directly */
                close(stub);
        }
        execve(exe, argv, envp);
        return negative_errno();
}

static int load_seccomp(const FinalExec *f, const char **what)
{
        int notify = -EBADF;
        int r = seccomp_filter_load(f->seccomp, &notify);
        if (r < 0) {
                *what = "loading the seccomp filter";
                return r;
        }
        if (notify >= 0 && f->listener_fd >= 0) {
                /* the seccomp agent gets the listener and the container's state */
                r = send_listener(f->listener_fd, notify, f->listener_msg ?: "{}");
                if (r < 0)
                        *what = "sending the seccomp listener to linux.seccomp.listenerPath";
        }
        safe_close(notify);
        safe_close(f->listener_fd);
        return r < 0 ? r : 0;
}

_noreturn_ void finalize_and_exec(const FinalExec *f)
{
        const OciProcess *p = f->process;
        const int report_fd = f->report_fd;
        int r;
        const char *what = "";
#define FAIL(step) \
        do { \
                what = step; \
                goto fail; \
        } while (0)

        if ((r = process_apply_rlimits(p)) < 0)
                FAIL(process_last_step());
        if ((r = process_apply_scheduling(p)) < 0)
                FAIL(process_last_step());
        /* Nothing of ours may reach the payload, and no leaked directory fd may serve as a
         * way out (cwd=/proc/self/fd/N): close every fd but stdio, the preserved ones and the
         * error pipe (close-on-exec) before anything else. */
        r = close_fds_from(3 + (int)f->preserve_fds, (int[]){report_fd, f->listener_fd}, 2);
        if (r < 0)
                FAIL("closing file descriptors");
        /* A new session: the payload can never push keystrokes into the caller's terminal. */
        if (!f->terminal_done && setsid() < 0 && errno != EPERM)
                FAIL("setsid");
        if (chdir(p->cwd) < 0) {
                r = negative_errno();
                if (r != -EACCES)
                        FAIL("changing to the working directory");
        }
        r = lsm_apply_exec(p->apparmor_profile, p->selinux_label);
        if (r < 0)
                FAIL("applying the AppArmor profile or SELinux label");
        reset_signals();
        int stub = -EBADF;
#if HAVE_EXEC_STUB
        stub = exec_stub_fd();
#endif
        /* Without no_new_privs the kernel takes a filter only from a process that still has
         * CAP_SYS_ADMIN: load it before the capabilities go (as runc does), after they went
         * otherwise. The filter must then allow the few syscalls left (capset, setresuid,
         * execve ...), as every runtime's default profile does. */
        bool seccomp_early = f->seccomp && !p->no_new_privileges;
        if (seccomp_early && (r = load_seccomp(f, &what)) < 0)
                goto fail;
        if ((r = process_apply_user_and_caps(p, setgroups_allowed())) < 0)
                FAIL(process_last_step());
        if (chdir(p->cwd) < 0) {
                r = negative_errno();
                FAIL("changing to the working directory");
        }
        {
                /* A cwd reached through a leaked fd would point outside the container. */
                char cwd[PATH_MAX];
                if (!getcwd(cwd, sizeof(cwd)) || cwd[0] != '/') {
                        r = -EPERM;
                        FAIL("the working directory is outside the container");
                }
        }
        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                r = negative_errno();
                FAIL("setting no_new_privs");
        }
        if (f->seccomp && !seccomp_early && (r = load_seccomp(f, &what)) < 0)
                goto fail;
        r = exec_payload(f->exe, p->args, p->env ?: (char *[]){NULL}, report_fd, stub);
        what = "executing the payload";
fail:
        if (report_fd >= 0 && f->also_stderr)
                fprintf(stderr, "ctr-exec: %s: %s\n", what, strerror(-r));
        if (report_fd >= 0) {
                char msg[512];
                snprintf(msg, sizeof(msg), "%s: %s", what, strerror(-r));
                (void)!write(report_fd, msg, strlen(msg));
        } else
                fprintf(stderr, "ctr-exec: %s: %s\n", what, strerror(-r));
        _exit(127);
#undef FAIL
}

/* A new network namespace has 'lo' down; every runtime brings it up, as programs expect
 * 127.0.0.1 to work. */
static int loopback_up(void)
{
        struct ifreq ifr = {.ifr_name = "lo"};
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return negative_errno();
        if (ifr.ifr_flags & IFF_UP)
                return 0;
        ifr.ifr_flags |= IFF_UP;
        return RET_NERRNO(ioctl(fd, SIOCSIFFLAGS, &ifr));
}

static void noop_handler(int sig)
{
        (void)sig;
}

/* Init=: PID 1 of the container is this loop, not the payload. A payload that is PID 1 never
 * sees a SIGTERM it has no handler for (the kernel drops it), so 'systemctl stop' would sit
 * out the timeout; here every signal is forwarded to the payload, orphans are reaped, and the
 * payload's status becomes ours (128+N for a death by signal N). */
_noreturn_ static void reaper(pid_t payload)
{
        sigset_t all;
        int status = 0;

        (void)close_fds_from(3, NULL, 0);
        (void)prctl(PR_SET_NAME, "ctr-init", 0, 0, 0);
        sigfillset(&all);
        int sfd = signalfd(-1, &all, SFD_CLOEXEC);
        if (sfd < 0)
                _exit(127);
        /* Keep only what forwarding needs. */
        for (int cap = 0; cap <= cap_last_cap(); cap++)
                if (cap != CAP_KILL)
                        (void)prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct d[2] = {{.effective = 1u << CAP_KILL, .permitted = 1u << CAP_KILL}};
        (void)syscall(SYS_capset, &h, d);
        (void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);

        for (;;) {
                struct signalfd_siginfo si;
                ssize_t k = read(sfd, &si, sizeof(si));
                if (k != sizeof(si)) {
                        if (k < 0 && errno == EINTR)
                                continue;
                        _exit(127);
                }
                if (si.ssi_signo != SIGCHLD) {
                        (void)kill(payload, (int)si.ssi_signo);
                        continue;
                }
                pid_t p;
                while ((p = waitpid(-1, &status, WNOHANG)) > 0)
                        if (p == payload)
                                _exit(exit_status_from_wait(status));
        }
}

/* Before the fork: handlers (so the kernel queues signals for PID 1 instead of dropping
 * them) and everything blocked (so signalfd gets them). The payload resets both. */
static void reaper_prepare(void)
{
        struct sigaction sa = {.sa_handler = noop_handler};
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        for (int s = 1; s < _NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        (void)sigaction(s, &sa, NULL);
}

_noreturn_ static void child_main(Container *c)
{
        const OciConfig *config = c->config;
        const OciProcess *p = config->process;
        char exe[PATH_MAX];
        char *payload = NULL;
        int r, error = 0;

        /* If the runtime dies during setup, so do we: nothing half-made survives it. (Had it
         * died before this line, the sync socket below reads EOF.) */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
                _exit(127);
        /* Keep /proc/self/exe (our binary) out of reach of the container until execve. */
        (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        c->sync[0] = safe_close(c->sync[0]);
        c->state_fd = safe_close(c->state_fd);
        c->unified_fd = safe_close(c->unified_fd);

        if (c->self_join && c->in_unified && (r = cgroup_enter_self_v1(c->cgroup)) < 0)
                child_fail(c, r, "joining the container's cgroup");

        r = sync_recv(c->sync[1], &error, &payload);
        if (r == SYNC_CGROUP) {
                /* Cloned before its cgroup existed: learn it now, for the cgroup mounts. */
                json_t *j = json_loads(payload ?: "", 0, NULL);
                free(payload);
                payload = NULL;
                r = j ? cgroup_from_json(j, &c->cgroup) : -EBADMSG;
                json_decref(j);
                if (r < 0)
                        child_fail(c, r, "reading the container's cgroup");
                /* systemd placed us in its hierarchies; the others we join, cheaply, ourselves */
                if (c->self_join && (r = cgroup_enter_self_v1(c->cgroup)) < 0)
                        child_fail(c, r, "joining the container's cgroup");
                r = sync_recv(c->sync[1], &error, &payload);
        }
        if (r != SYNC_GO)
                _exit(127);
        c->state_json = c->state_json_runtime = payload;
        /* Hooks run in the container's namespaces see its pid as the container sees it. */
        {
                json_t *sj = json_loads(payload ?: "{}", 0, NULL);
                if (sj) {
                        json_object_set_new(sj, "pid", json_integer(getpid()));
                        char *d = json_dumps(sj, JSON_COMPACT);
                        if (d)
                                c->state_json = d;
                        json_decref(sj);
                }
        }

        if ((r = join_namespaces(c, false)) < 0)
                child_fail(c, r, "joining namespaces");
        if ((r = join_namespaces(c, true)) < 0)
                child_fail(c, r, "joining the user namespace");
        if (oci_config_has_namespace(config, CLONE_NEWUSER)) {
                if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                        child_fail(c, negative_errno(), "becoming root in the user namespace");
        }
        const OciNamespace *netns = oci_config_namespace(config, CLONE_NEWNET);
        if (netns && !netns->path && (r = loopback_up()) < 0)
                child_fail(c, r, "bringing up the loopback interface");
        const OciNamespace *cgns = oci_config_namespace(config, CLONE_NEWCGROUP);
        if (cgns && !cgns->path && unshare(CLONE_NEWCGROUP) < 0)
                child_fail(c, negative_errno(), "creating the cgroup namespace");

        /* fds opened before the clone point into the runtime's mount namespace, where nothing
         * can be mounted from here: reopen them in ours. */
        safe_close(c->rootfs_fd);
        c->rootfs_fd = open(c->rootfs, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (c->rootfs_fd < 0)
                child_fail(c, negative_errno(), "opening the rootfs");

        RootfsContext rc = {
                .config = config,
                .rootfs = c->rootfs,
                .rootfs_fd = c->rootfs_fd,
                .userns = oci_config_has_namespace(config, CLONE_NEWUSER),
                .cgroup = c->cgroup,
                .dev_null_fd = -EBADF,
        };
        if ((r = rootfs_prepare(&rc)) < 0 || (r = rootfs_mount_all(&rc)) < 0 ||
            (r = rootfs_setup_dev(&rc)) < 0)
                child_fail(c, r, rootfs_last_step());

        if (config->hostname && oci_config_has_namespace(config, CLONE_NEWUTS) &&
            sethostname(config->hostname, strlen(config->hostname)) < 0)
                child_fail(c, negative_errno(), "setting the hostname");
        if (config->domainname && oci_config_has_namespace(config, CLONE_NEWUTS) &&
            setdomainname(config->domainname, strlen(config->domainname)) < 0)
                child_fail(c, negative_errno(), "setting the domainname");

        if (config->n_hooks[OCI_HOOK_PRESTART] || config->n_hooks[OCI_HOOK_CREATE_RUNTIME]) {
                if ((r = sync_send(c->sync[1], SYNC_HOOKS, 0, NULL)) < 0)
                        child_fail(c, r, "synchronizing with the runtime");
                r = sync_recv(c->sync[1], NULL, NULL);
                if (r != SYNC_HOOKS_DONE)
                        _exit(127);
        }
        if (config->n_hooks[OCI_HOOK_CREATE_CONTAINER]) {
                _cleanup_free_ char *herr = NULL;
                r = hooks_run(config->hooks[OCI_HOOK_CREATE_CONTAINER],
                              config->n_hooks[OCI_HOOK_CREATE_CONTAINER], "createContainer", c->state_json,
                              &herr);
                if (r < 0)
                        child_fail(c, r, herr ?: "createContainer hook");
        }

        if (c->config->seccomp && seccomp_config_wants_listener(c->config->seccomp)) {
                /* listenerPath resolves in the runtime's filesystem: connect before pivot_root */
                r = connect_unix(seccomp_config_listener_path(c->config->seccomp), &c->listener_fd);
                if (r < 0)
                        child_fail(c, r, "connecting to linux.seccomp.listenerPath");
        }
        if ((r = rootfs_pivot(&rc, c->opts->no_pivot)) < 0)
                child_fail(c, r, rootfs_last_step());
        c->rootfs_fd = rc.rootfs_fd;

        if (p->terminal) {
                if ((r = terminal_setup(c->console_fd, p->console_height, p->console_width, true)) < 0)
                        child_fail(c, r, "setting up the console");
        }
        c->console_fd = safe_close(c->console_fd);

        /* before readonlyPaths make /proc/sys read-only */
        if ((r = write_sysctls(config)) < 0)
                child_fail(c, r, "writing sysctls");
        if ((r = rootfs_finalize(&rc)) < 0)
                child_fail(c, r, rootfs_last_step());
        rc.dev_null_fd = safe_close(rc.dev_null_fd);
        c->rootfs_fd = safe_close(c->rootfs_fd);

        if (config->has_personality && personality(config->personality) < 0)
                child_fail(c, negative_errno(), "setting the personality");
        if (!c->opts->no_new_keyring) {
                /* A fresh session keyring: the host's keys are not the container's. */
                (void)syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL);
        }

        if ((r = process_find_executable(p, exe, sizeof(exe))) < 0) {
                char msg[PATH_MAX + 64];
                snprintf(msg, sizeof(msg), "executable file '%s' not found in $PATH", p->args[0]);
                child_fail(c, r, msg);
        }

        /* Setup is done: from now on the runtime may exit without taking us along. */
        (void)prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        if ((r = sync_send(c->sync[1], SYNC_READY, 0, NULL)) < 0)
                _exit(127);
        c->sync[1] = safe_close(c->sync[1]);

        /* Wait for 'start'. */
        char b;
        ssize_t k;
        do
                k = read(c->fifo_fd, &b, 1);
        while (k < 0 && errno == EINTR);
        if (k != 1)
                _exit(127);
        c->fifo_fd = safe_close(c->fifo_fd);

        if (c->opts->init) {
                reaper_prepare();
                pid_t child = fork();
                if (child < 0) {
                        fprintf(stderr, "ctr-exec: forking the payload: %m\n");
                        _exit(127);
                }
                if (child > 0)
                        reaper(child);
        }

        if (config->n_hooks[OCI_HOOK_START_CONTAINER]) {
                _cleanup_free_ char *herr = NULL;
                r = hooks_run(config->hooks[OCI_HOOK_START_CONTAINER],
                              config->n_hooks[OCI_HOOK_START_CONTAINER], "startContainer", c->state_json,
                              &herr);
                if (r < 0) {
                        const char *m = herr ?: "startContainer hook failed";
                        fprintf(stderr, "ctr-exec: %s\n", m);
                        (void)!write(c->done_fd, m, strlen(m));
                        _exit(127);
                }
        }
        finalize_and_exec(&(FinalExec){
                .process = p,
                .exe = exe,
                .seccomp = c->seccomp,
                .preserve_fds = c->opts->preserve_fds,
                .terminal_done = p->terminal,
                .report_fd = c->done_fd,
                .also_stderr = true,
                .listener_fd = c->listener_fd,
                .listener_msg = listener_message(c),
        });
}

/* ---- runtime side ---- */

static int write_id_map(pid_t pid, const char *file, const OciIdMapping *m, size_t n)
{
        char path[64], buf[4096];
        size_t off = 0;
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
        for (size_t i = 0; i < n; i++) {
                int k = snprintf(buf + off, sizeof(buf) - off, "%u %u %u\n", m[i].container_id, m[i].host_id,
                                 m[i].size);
                if (k < 0 || (size_t)k >= sizeof(buf) - off)
                        return -E2BIG;
                off += (size_t)k;
        }
        return write_string_at(AT_FDCWD, path, buf);
}

static void now_rfc3339(char *buf, size_t size)
{
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, size - n, ".%09ldZ", ts.tv_nsec);
}

static char *state_json_for_hooks(const ContainerState *s, ContainerStatus st)
{
        _cleanup_json_ json_t *j = state_to_oci_json(s, st);
        return j ? json_dumps(j, JSON_COMPACT) : NULL;
}

static int cleanup_container(const char *root, const char *id, ContainerState *s)
{
        Cgroup *cg = NULL;
        int r = 0;

        if (s && state_pid_alive(s))
                (void)kill(s->pid, SIGKILL);
        int scope = s ? container_scope_check(s) : SCOPE_OURS;
        if (s && scope != SCOPE_TAKEN && s->cgroup && cgroup_from_json(s->cgroup, &cg) >= 0)
                (void)cgroup_kill_all(cg, SIGKILL);
        if (s && scope == SCOPE_OURS && s->systemd_unit) {
                _cleanup_(scope_bus_closep) ScopeBus *bus = NULL;
                if (scope_bus_open(&bus, NULL) >= 0)
                        (void)scope_stop(bus, s->systemd_unit, SCOPE_JOB_TIMEOUT_USEC, NULL);
        }
        if (cg) {
                r = cgroup_destroy(cg);
                cgroup_free(cg);
        }
        int k = state_dir_remove(root, id);
        return r < 0 ? r : k;
}

int container_cleanup_stale(const char *root, const char *id)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_container_state_ ContainerState *s = NULL;
        int r = state_dir_open(root, id, &fd);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        /* only remains: a create whose runtime died, or a container whose init is gone */
        if (state_load(fd, &s) >= 0 && !state_is_stale(s) && state_status(fd, s) != STATUS_STOPPED)
                return -EBUSY;
        return cleanup_container(root, id, s);
}

static bool is_stale(const char *root, const char *id)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_container_state_ ContainerState *s = NULL;
        if (state_dir_open(root, id, &fd) < 0)
                return false;
        if (state_load(fd, &s) < 0)
                return true; /* killed before the first state was written */
        return state_is_stale(s);
}

static void container_done(Container *c)
{
        oci_config_free(c->config);
        free(c->bundle);
        free(c->rootfs);
        safe_close(c->rootfs_fd);
        safe_close(c->state_fd);
        cgroup_free(c->cgroup);
        seccomp_filter_free(c->seccomp);
        safe_close(c->console_fd);
        safe_close(c->fifo_fd);
        safe_close(c->done_fd);
        close_pair(c->sync);
        for (size_t i = 0; i < c->n_ns_fds; i++)
                safe_close(c->ns_fds[i]);
}

int container_scope_check(const ContainerState *s)
{
        if (!s->systemd_unit || !s->systemd_scope_ino || !s->cgroup)
                return SCOPE_OURS;
        Cgroup *cg = NULL;
        if (cgroup_from_json(s->cgroup, &cg) < 0)
                return SCOPE_OURS;
        const char *dir = cgroup_get_dir(cg, NULL);
        struct stat st;
        int r = !dir                                          ? SCOPE_OURS
                : stat(dir, &st) < 0                          ? SCOPE_GONE
                : (uint64_t)st.st_ino == s->systemd_scope_ino ? SCOPE_OURS
                                                              : SCOPE_TAKEN;
        cgroup_free(cg);
        return r;
}

/* --systemd-cgroup, with the child cloned and waiting for SYNC_GO: systemd makes the scope and
 * moves the child in; then, as runc does, the scope's path in the v1 hierarchies systemd does not
 * manage (freezer, cpuset, net_cls, ...) is made and joined, and every resource is written
 * through cgroupfs too. The child learns its cgroup last (SYNC_CGROUP). *started: a scope exists
 * that is ours to stop. */
static int enter_systemd_scope(Container *c, ContainerState *st, ScopeBus *bus, const ScopePath *scope,
                               const ScopeProperties *props, pid_t pid, bool *started, char **err)
{
        _cleanup_free_ char *description = NULL, *cg_json = NULL;
        int r;

        if (asprintf(&description, "ctr-oci container %s", c->opts->id) < 0)
                return -ENOMEM;
        r = scope_start(bus, scope, description, pid, props, SCOPE_JOB_TIMEOUT_USEC, started, err);
        if (r < 0)
                return r;
        r = scope_cgroup_of(pid, scope, &c->cgroup, err);
        if (r < 0)
                return r;
        /* Recorded before any directory is made, so that a cleanup after a crash finds them. */
        st->systemd_unit = scope->unit;
        struct stat sst;
        const char *primary = cgroup_get_dir(c->cgroup, NULL);
        st->systemd_scope_ino = primary && stat(primary, &sst) == 0 ? (uint64_t)sst.st_ino : 0;
        for (int pass = 0; pass < 2; pass++) {
                if (st->cgroup)
                        json_decref(st->cgroup);
                st->cgroup = cgroup_to_json(c->cgroup);
                if (!st->cgroup)
                        return -ENOMEM;
                r = state_save(c->state_fd, st);
                if (r < 0)
                        return set_error(err, r, "saving state: %s", strerror(-r));
                if (pass == 1)
                        break;
                /* systemd's own directories exist already: only the others are made (and
                 * counted, for delete to remove) */
                r = cgroup_create(c->cgroup);
                if (r < 0)
                        return set_error(err, r, "creating the scope's cgroup: %s: %s",
                                         cgroup_last_error_path(), strerror(-r));
        }
        /* In a new user namespace the child cannot write the host's cgroupfs: moved from here.
         * Otherwise it joins the rest itself through "tasks" (SYNC_CGROUP), which spares the
         * kernel's threadgroup lock that every cgroup.procs write here would take. */
        if (!c->self_join) {
                r = cgroup_enter(c->cgroup, pid);
                if (r < 0)
                        return set_error(err, r, "moving the container into its cgroup: %s: %s",
                                         cgroup_last_error_path(), strerror(-r));
        }
        if (c->config->resources) {
                r = cgroup_apply(c->cgroup, c->config->resources);
                if (r < 0)
                        return set_error(err, r, "applying linux.resources: %s: %s",
                                         cgroup_last_error_path(), strerror(-r));
        }
        cg_json = json_dumps(st->cgroup, JSON_COMPACT);
        if (!cg_json)
                return -ENOMEM;
        r = sync_send(c->sync[0], SYNC_CGROUP, 0, cg_json);
        if (r < 0)
                return set_error(err, r, "container init died during setup");
        return 0;
}

int container_create(CreateOptions *o, pid_t *ret_pid, char **err)
{
        Container c = {
                .opts = o,
                .rootfs_fd = -EBADF,
                .state_fd = -EBADF,
                .console_fd = -EBADF,
                .fifo_fd = -EBADF,
                .listener_fd = -EBADF,
                .done_fd = -EBADF,
                .unified_fd = -EBADF,
                .sync = {-EBADF, -EBADF},
        };
        ContainerState st = {0};
        char created[64], path[PATH_MAX];
        _cleanup_close_ int own_pidns = -EBADF, own_timens = -EBADF, state_dir = -EBADF;
        _cleanup_(scope_bus_closep) ScopeBus *bus = NULL;
        ScopePath scope = {};
        ScopeProperties scope_props = {};
        bool systemd = o->systemd_cgroup && !o->no_cgroup, scope_started = false;
        bool state_made = false;
        pid_t pid = 0;
        int r;

        c.bundle = realpath(o->bundle, NULL);
        if (!c.bundle) {
                r = set_error(err, negative_errno(), "bundle '%s': %s", o->bundle, strerror(errno));
                goto fail;
        }
        if (o->config_json)
                r = oci_config_parse_json(o->config_json, &c.config, err);
        else
                r = oci_config_load(c.bundle, &c.config, err);
        if (r < 0)
                goto fail;
        if (c.config->process)
                (void)process_mask_caps(c.config->process, &c.config->warnings);
        /* Bind sources relative to the bundle (runtime-spec config.md) */
        for (size_t i = 0; i < c.config->n_mounts; i++) {
                OciMount *m = &c.config->mounts[i];
                if (m->bind && m->source && m->source[0] != '/') {
                        char *abs;
                        if (asprintf(&abs, "%s/%s", c.bundle, m->source) < 0) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        free(m->source);
                        m->source = abs;
                }
        }
        if (c.config->unsupported) {
                r = set_error(err, -EOPNOTSUPP, "%s/config.json: %s", c.bundle, c.config->unsupported);
                goto fail;
        }
        STRV_FOREACH (w, c.config->warnings)
                fprintf(stderr, "warning: %s\n", *w);
        if (!c.config->process) {
                r = set_error(err, -EINVAL, "%s/config.json: process: required to create a container",
                              c.bundle);
                goto fail;
        }
        if (!c.config->root_path) {
                r = set_error(err, -EINVAL, "%s/config.json: root: required on Linux", c.bundle);
                goto fail;
        }
        const OciNamespace *mntns = oci_config_namespace(c.config, CLONE_NEWNS);
        if (!mntns || mntns->path) {
                r = set_error(err, -EINVAL,
                              "%s/config.json: linux.namespaces: a new mount namespace is required",
                              c.bundle);
                goto fail;
        }
        if (c.config->root_path[0] == '/')
                c.rootfs = realpath(c.config->root_path, NULL);
        else {
                snprintf(path, sizeof(path), "%s/%s", c.bundle, c.config->root_path);
                c.rootfs = realpath(path, NULL);
        }
        if (!c.rootfs) {
                r = set_error(err, negative_errno(), "root.path '%s': %s", c.config->root_path,
                              strerror(errno));
                goto fail;
        }
        c.rootfs_fd = open(c.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c.rootfs_fd < 0) {
                r = set_error(err, negative_errno(), "root.path '%s': %s", c.rootfs, strerror(errno));
                goto fail;
        }
        {
                const char *what = NULL;
                r = lsm_check(c.config->process->apparmor_profile, c.config->process->selinux_label, &what);
                if (r < 0) {
                        r = set_error(err, r, "%s/config.json: %s", c.bundle, what);
                        goto fail;
                }
        }
        if (c.config->process->terminal && !o->console_socket && !o->foreground) {
                r = set_error(err, -EINVAL, "process.terminal is true: --console-socket is required");
                goto fail;
        }
        if (systemd) {
                /* before anything exists: a bad path or no systemd leaves nothing behind */
                r = scope_path_parse(c.config->cgroups_path, o->id, &scope, err);
                if (r >= 0)
                        r = scope_bus_open(&bus, err);
                if (r < 0)
                        goto fail;
        }

        r = state_dir_create(o->root, o->id, &c.state_fd);
        if (r == -EEXIST && is_stale(o->root, o->id)) {
                (void)container_cleanup_stale(o->root, o->id);
                r = state_dir_create(o->root, o->id, &c.state_fd);
        }
        if (r == -EEXIST) {
                r = set_error(err, r, "container '%s' already exists", o->id);
                goto fail;
        }
        if (r < 0) {
                r = set_error(err, r, "creating state directory in '%s': %s", o->root, strerror(-r));
                goto fail;
        }
        state_made = true;
        state_dir = openat(c.state_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (state_dir < 0) {
                r = set_error(err, negative_errno(), "opening state directory: %m");
                goto fail;
        }

        now_rfc3339(created, sizeof(created));
        st.id = (char *)o->id;
        st.bundle = c.bundle;
        st.rootfs = c.rootfs;
        st.created = created;
        st.owner = geteuid();
        st.creating = true;
        st.invocation = (char *)o->invocation;
        st.creator = getpid();
        (void)pid_start_time(st.creator, &st.creator_start_time);
        st.annotations = c.config->annotations;

        if (!o->no_cgroup && !systemd) {
                r = cgroup_new(c.config->cgroups_path, o->id, &c.cgroup);
                if (r < 0) {
                        r = set_error(err, r, "linux.cgroupsPath '%s': %s", strempty(c.config->cgroups_path),
                                      strerror(-r));
                        goto fail;
                }
                r = cgroup_create(c.cgroup);
                if (r < 0) {
                        (void)cgroup_destroy(c.cgroup);
                        r = set_error(err, r, "creating cgroup: %s: %s", cgroup_last_error_path(),
                                      strerror(-r));
                        goto fail;
                }
        }
        /* Saved as soon as something exists, so a cleanup after a crash knows what to remove.
         * The directory is new: no temporary file and rename needed. */
        st.cgroup = c.cgroup ? cgroup_to_json(c.cgroup) : NULL;
        r = state_save(c.state_fd, &st);
        if (r < 0) {
                r = set_error(err, r, "saving state: %s", strerror(-r));
                goto fail;
        }
        /* The validated config, for exec, delete (poststop hooks) and update. */
        {
                _cleanup_free_ char *data = NULL;
                size_t size;
                if (o->config_json) {
                        data = json_dumps(o->config_json, JSON_COMPACT);
                        size = data ? strlen(data) : 0;
                        r = data ? 0 : -ENOMEM;
                } else {
                        snprintf(path, sizeof(path), "%s/config.json", c.bundle);
                        r = read_full_file(path, 16 * 1024 * 1024, &data, &size);
                }
                if (r >= 0)
                        r = write_file_new(state_dir, "config.json", data, size, 0600);
                if (r < 0) {
                        r = set_error(err, r, "saving config: %s", strerror(-r));
                        goto fail;
                }
        }
        if (c.config->resources && c.cgroup) {
                r = add_default_device_rules(c.config);
                if (r >= 0)
                        r = cgroup_apply(c.cgroup, c.config->resources);
                if (r < 0) {
                        r = set_error(err, r, "applying linux.resources: %s: %s", cgroup_last_error_path(),
                                      strerror(-r));
                        goto fail;
                }
        }
        if (systemd && c.config->resources) {
                /* the scope is made with its limits; the cgroupfs driver writes them again once
                 * it exists (enter_systemd_scope()) */
                ScopeTranslation t = {.systemd_version = scope_bus_systemd_version(bus)};
                r = cgroup_detect_layout(&t.layout);
                if (r >= 0)
                        r = add_default_device_rules(c.config);
                if (r >= 0)
                        r = scope_resources_to_properties(c.config->resources, &t, &scope_props);
                if (r < 0) {
                        r = set_error(err, r, "translating linux.resources for systemd: %s", strerror(-r));
                        goto fail;
                }
        }
        if (c.config->seccomp) {
                r = seccomp_filter_build(c.config->seccomp, &c.seccomp, err);
                if (r < 0)
                        goto fail;
        }
        if (c.config->process->terminal) {
                if (o->console_socket) {
                        r = console_socket_connect(o->console_socket, &c.console_fd);
                        if (r < 0) {
                                r = set_error(err, r, "console socket '%s': %s", o->console_socket,
                                              strerror(-r));
                                goto fail;
                        }
                } else {
                        int sp[2];
                        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
                                r = set_error(err, negative_errno(), "socketpair: %m");
                                goto fail;
                        }
                        c.console_fd = sp[1];
                        o->console_fd_out = sp[0];
                }
        }
        if (mkfifoat(state_dir, "exec.fifo", 0600) < 0) {
                r = set_error(err, negative_errno(), "creating exec fifo: %m");
                goto fail;
        }
        /* O_RDWR never blocks on a FIFO; the container blocks in read() until 'start' writes. */
        c.fifo_fd = openat(state_dir, "exec.fifo", O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (c.fifo_fd < 0) {
                r = set_error(err, negative_errno(), "opening exec fifo: %m");
                goto fail;
        }
        /* exec.done: held open (close-on-exec) by the container until its payload runs, so
         * 'start' reads EOF once it did; a failure before that is written into it. */
        if (mkfifoat(state_dir, "exec.done", 0600) < 0) {
                r = set_error(err, negative_errno(), "creating exec fifo: %m");
                goto fail;
        }
        c.done_fd = openat(state_dir, "exec.done", O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (c.done_fd < 0) {
                r = set_error(err, negative_errno(), "opening exec fifo: %m");
                goto fail;
        }

        /* Namespaces to join by path, opened now so a bad path fails here with its name. */
        int clone_flags = 0;
        for (size_t i = 0; i < c.config->n_namespaces; i++) {
                const OciNamespace *ns = &c.config->namespaces[i];
                if (!ns->path) {
                        if (ns->type != CLONE_NEWCGROUP && ns->type != CLONE_NEWTIME)
                                clone_flags |= ns->type;
                        continue;
                }
                int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        r = set_error(err, negative_errno(), "linux.namespaces[%zu].path '%s': %m", i,
                                      ns->path);
                        goto fail;
                }
                if (ns->type == CLONE_NEWPID) {
                        /* pid namespaces apply to children: enter it before the clone */
                        own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
                        if (setns(fd, CLONE_NEWPID) < 0) {
                                r = set_error(err, negative_errno(), "joining pid namespace '%s': %m",
                                              ns->path);
                                close(fd);
                                goto fail;
                        }
                        close(fd);
                        continue;
                }
                c.ns_fds[c.n_ns_fds] = fd;
                c.ns_types[c.n_ns_fds++] = ns->type;
        }
        const OciNamespace *timens = oci_config_namespace(c.config, CLONE_NEWTIME);
        if (timens && !timens->path) {
                own_timens = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
                if (unshare(CLONE_NEWTIME) < 0) {
                        r = set_error(err, negative_errno(), "creating time namespace: %m");
                        goto fail;
                }
                for (size_t i = 0; i < c.config->n_time_offsets; i++) {
                        char line[128];
                        snprintf(line, sizeof(line), "%s %lld %u",
                                 c.config->time_offsets[i].clock == CLOCK_MONOTONIC ? "monotonic"
                                                                                    : "boottime",
                                 (long long)c.config->time_offsets[i].secs,
                                 c.config->time_offsets[i].nanosecs);
                        r = write_string_at(AT_FDCWD, "/proc/self/timens_offsets", line);
                        if (r < 0) {
                                r = set_error(err, r, "linux.timeOffsets: %s", strerror(-r));
                                goto fail;
                        }
                }
        }

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c.sync) < 0) {
                r = set_error(err, negative_errno(), "socketpair: %m");
                goto fail;
        }
        /* No directory fd of the host may reach the container's side. */
        state_dir = safe_close(state_dir);
        c.parent = getpid();
        /* Born into its cgroup: clone3(CLONE_INTO_CGROUP) places the child in the unified
         * hierarchy without the slow cgroup.procs write; the child joins the v1 hierarchies
         * itself. In a new user namespace it could not write the host's cgroupfs: the parent
         * moves it. */
        bool new_userns = oci_config_has_namespace(c.config, CLONE_NEWUSER) &&
                          !oci_config_namespace(c.config, CLONE_NEWUSER)->path;
        c.self_join = !new_userns;
        pid = -1;
        {
                _cleanup_close_ int ufd = c.cgroup ? cgroup_open_unified(c.cgroup) : -ENOENT;
                c.unified_fd = ufd; /* for the child to close */
                if (ufd >= 0) {
                        struct clone_args_v2 {
                                uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size,
                                        tls, set_tid, set_tid_size, cgroup;
                        } ca = {
                                .flags = (uint64_t)clone_flags | CLONE_INTO_CGROUP_FLAG,
                                .exit_signal = SIGCHLD,
                                .cgroup = (uint64_t)ufd,
                        };
                        c.in_unified = true; /* what the child sees if clone3 works */
                        pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
                        if (pid == 0)
                                child_main(&c);
                        c.in_unified = pid > 0;
                }
                c.unified_fd = -EBADF; /* closed with ufd here */
        }
        if (pid < 0) {
                pid = (pid_t)syscall(SYS_clone, (unsigned long)clone_flags | SIGCHLD, NULL, NULL, NULL,
                                     NULL);
                if (pid == 0)
                        child_main(&c);
        }
        if (pid < 0) {
                r = set_error(err, negative_errno(), "clone: %m");
                pid = 0;
                goto fail;
        }

        if (own_pidns >= 0)
                (void)setns(own_pidns, CLONE_NEWPID);
        if (own_timens >= 0)
                (void)setns(own_timens, CLONE_NEWTIME);
        c.sync[1] = safe_close(c.sync[1]);
        /* Only the container holds the fifo now: if it dies, 'start' sees no reader. */
        c.fifo_fd = safe_close(c.fifo_fd);
        c.done_fd = safe_close(c.done_fd);
        c.console_fd = safe_close(c.console_fd);

        /* No state save here: until READY the child dies with us (PDEATHSIG), and after it the
         * cgroup recorded above finds it. */
        st.pid = pid;
        (void)pid_start_time(pid, &st.start_time);
        const OciNamespace *userns = oci_config_namespace(c.config, CLONE_NEWUSER);
        if (userns && !userns->path) {
                r = write_id_map(pid, "uid_map", c.config->uid_mappings, c.config->n_uid_mappings);
                if (r >= 0)
                        r = write_id_map(pid, "gid_map", c.config->gid_mappings, c.config->n_gid_mappings);
                if (r < 0) {
                        r = set_error(err, r, "writing ID mappings: %s", strerror(-r));
                        goto fail;
                }
        }
        if (c.config->process->has_oom_score_adj) {
                char p[64], v[16];
                snprintf(p, sizeof(p), "/proc/%d/oom_score_adj", (int)pid);
                snprintf(v, sizeof(v), "%d", c.config->process->oom_score_adj);
                r = write_string_at(AT_FDCWD, p, v);
                if (r < 0) {
                        r = set_error(err, r, "process.oomScoreAdj %d: %s", c.config->process->oom_score_adj,
                                      strerror(-r));
                        goto fail;
                }
        }
        if (systemd) {
                r = enter_systemd_scope(&c, &st, bus, &scope, &scope_props, pid, &scope_started, err);
                if (r < 0)
                        goto fail;
        } else if (c.cgroup && (!c.self_join || !c.in_unified)) {
                r = cgroup_enter(c.cgroup, pid);
                if (r < 0) {
                        r = set_error(err, r, "moving the container into its cgroup: %s: %s",
                                      cgroup_last_error_path(), strerror(-r));
                        goto fail;
                }
        }
        {
                _cleanup_free_ char *sj = state_json_for_hooks(&st, STATUS_CREATED);
                r = sync_send(c.sync[0], SYNC_GO, 0, sj);
                if (r < 0) {
                        r = set_error(err, r, "container init died during setup");
                        goto fail;
                }
        }
        for (;;) {
                _cleanup_free_ char *msg = NULL;
                int error = 0;
                r = sync_recv(c.sync[0], &error, &msg);
                if (r == SYNC_READY)
                        break;
                if (r == SYNC_HOOKS) {
                        _cleanup_free_ char *sj = state_json_for_hooks(&st, STATUS_CREATED);
                        r = hooks_run(c.config->hooks[OCI_HOOK_PRESTART],
                                      c.config->n_hooks[OCI_HOOK_PRESTART], "prestart", sj, err);
                        if (r >= 0)
                                r = hooks_run(c.config->hooks[OCI_HOOK_CREATE_RUNTIME],
                                              c.config->n_hooks[OCI_HOOK_CREATE_RUNTIME], "createRuntime",
                                              sj, err);
                        if (r < 0)
                                goto fail;
                        r = sync_send(c.sync[0], SYNC_HOOKS_DONE, 0, NULL);
                        if (r < 0)
                                goto fail;
                        continue;
                }
                if (r == SYNC_ERROR) {
                        r = set_error(err, error, "%s", msg ?: "container setup failed");
                        goto fail;
                }
                r = set_error(err, r < 0 ? r : -ECHILD, "container init exited during setup");
                goto fail;
        }

        st.creating = false;
        r = state_save(c.state_fd, &st);
        if (r < 0) {
                r = set_error(err, r, "saving state: %s", strerror(-r));
                goto fail;
        }
        if (o->pid_file) {
                r = write_pid_file(o->pid_file, pid);
                if (r < 0) {
                        r = set_error(err, r, "writing pid file '%s': %s", o->pid_file, strerror(-r));
                        goto fail;
                }
        }
        if (st.cgroup)
                json_decref(st.cgroup);
        scope_properties_done(&scope_props);
        scope_path_done(&scope);
        container_done(&c);
        *ret_pid = pid;
        return 0;

fail:
        if (pid > 0) {
                kill(pid, SIGKILL);
                (void)wait_for_pid(pid, NULL);
                /* runtime-spec lifecycle: a create that failed after the container existed goes on
                 * as a delete would, poststop hooks included (their failures only warn) */
                _cleanup_free_ char *sj = state_json_for_hooks(&st, STATUS_STOPPED);
                for (size_t i = 0; c.config && i < c.config->n_hooks[OCI_HOOK_POSTSTOP]; i++) {
                        _cleanup_free_ char *herr = NULL;
                        if (hooks_run(&c.config->hooks[OCI_HOOK_POSTSTOP][i], 1, "poststop", sj ?: "{}",
                                      &herr) < 0)
                                fprintf(stderr, "warning: %s\n", herr ?: "poststop hook failed");
                }
        }
        if (c.cgroup)
                (void)cgroup_kill_all(c.cgroup, SIGKILL);
        if (scope_started) {
                /* ours, made for this container: it goes before its directories do */
                _cleanup_free_ char *serr = NULL;
                if (scope_stop(bus, scope.unit, SCOPE_JOB_TIMEOUT_USEC, &serr) < 0)
                        fprintf(stderr, "warning: %s\n", serr ?: "stopping the scope failed");
        }
        if (c.cgroup)
                (void)cgroup_destroy(c.cgroup);
        if (state_made)
                (void)state_dir_remove(o->root, o->id);
        if (o->console_fd_out >= 0 && !o->console_socket && c.config && c.config->process &&
            c.config->process->terminal) {
                safe_close(o->console_fd_out);
                o->console_fd_out = -EBADF;
        }
        if (st.cgroup)
                json_decref(st.cgroup);
        scope_properties_done(&scope_props);
        scope_path_done(&scope);
        container_done(&c);
        if (err && !*err)
                set_error(err, r, "%s", strerror(-r));
        return r;
}
