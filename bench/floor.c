/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * floor: the least work a container runtime can do to start /bin/true in a container, i.e. the
 * speed floor for bench/startup.sh.
 *
 *   floor [-c|-t] ROOTFS [CMD [ARGS...]]      (CMD defaults to /bin/true)
 *
 * clone() into new pid, mount, uts, ipc and net namespaces; in the child: make every mount
 * private, bind ROOTFS onto itself, mount proc on ROOTFS/proc, pivot_root into it, exec CMD.
 * The parent waits and exits with the child's status.
 *
 * -c: also put the child in a cgroup: a v1 memory and a v1 pids group named floor-PID, created
 *     under the caller's own group in each hierarchy (from /proc/self/cgroup and mountinfo), and
 *     removed after the child exited. The child waits on a pipe until it has been moved.
 * -t: the same groups, but the child joins them itself by writing "0" (itself, one thread) to
 *     each group's v1 "tasks" file. The kernel then skips the global threadgroup lock that a
 *     cgroup.procs write takes (percpu_down_write, i.e. an RCU grace period when idle: ~10 ms
 *     here), so this shows what attaching can cost at best.
 *
 * No seccomp, no capabilities, no /dev, no config parsing: a runtime cannot be faster than this.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *rootfs;
static char **cmd;
static int sync_pipe[2] = {-1, -1};
static bool self_join;
static const char *controllers[] = {"memory", "pids"};
static char groups[2][2 * PATH_MAX + 32];

static void die(const char *what)
{
        fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
        _exit(127);
}

/* DIR/FILE into OUT */
static const char *in_group(char *out, size_t n, const char *dir, const char *file)
{
        size_t a = strlen(dir), b = strlen(file);
        if (a + 1 + b + 1 > n) {
                errno = ENAMETOOLONG;
                die(dir);
        }
        memcpy(out, dir, a);
        out[a] = '/';
        memcpy(out + a + 1, file, b + 1);
        return out;
}

static int child(void *arg)
{
        (void)arg;
        char proc[PATH_MAX];

        if (sync_pipe[0] >= 0) {
                char c;
                close(sync_pipe[1]);
                /* EOF once the parent has moved us into the cgroups */
                if (read(sync_pipe[0], &c, 1) < 0)
                        die("sync read");
                close(sync_pipe[0]);
        }
        if (self_join)
                for (int i = 0; i < 2; i++) {
                        char path[sizeof(groups[0]) + 16];
                        int fd =
                                open(in_group(path, sizeof(path), groups[i], "tasks"), O_WRONLY | O_CLOEXEC);
                        if (fd < 0 || write(fd, "0", 1) != 1)
                                die(path);
                        close(fd);
                }
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                die("making mounts private");
        if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                die("binding the rootfs onto itself");
        snprintf(proc, sizeof(proc), "%s/proc", rootfs);
        if (mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                die("mounting proc");
        if (chdir(rootfs) < 0)
                die("chdir rootfs");
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                die("pivot_root");
        if (umount2(".", MNT_DETACH) < 0)
                die("detaching the old root");
        if (chdir("/") < 0)
                die("chdir /");
        execv(cmd[0], cmd);
        die(cmd[0]);
        return 127;
}

/* Mount point of the v1 hierarchy that has CONTROLLER among its super options. */
static bool v1_mount(const char *controller, char *out, size_t n)
{
        FILE *f = fopen("/proc/self/mountinfo", "re");
        char *line = NULL;
        size_t cap = 0;
        bool found = false;

        if (!f)
                return false;
        while (!found && getline(&line, &cap, f) > 0) {
                char *sep = strstr(line, " - cgroup ");
                if (!sep)
                        continue;
                /* fields: id parent maj:min root mountpoint ... */
                char mp[PATH_MAX];
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
                        continue;
                char *opts = strrchr(sep, ' ');
                if (!opts)
                        continue;
                opts++;
                opts[strcspn(opts, "\n")] = 0;
                for (char *save = NULL, *t = strtok_r(opts, ",", &save); t; t = strtok_r(NULL, ",", &save))
                        if (strcmp(t, controller) == 0) {
                                snprintf(out, n, "%s", mp);
                                found = true;
                                break;
                        }
        }
        free(line);
        fclose(f);
        return found;
}

/* The caller's group in the v1 hierarchy that has CONTROLLER, from /proc/self/cgroup. */
static bool own_group(const char *controller, char *out, size_t n)
{
        FILE *f = fopen("/proc/self/cgroup", "re");
        char *line = NULL;
        size_t cap = 0;
        bool found = false;

        if (!f)
                return false;
        while (!found && getline(&line, &cap, f) > 0) {
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c2 = 0;
                char *path = c2 + 1;
                path[strcspn(path, "\n")] = 0;
                for (char *save = NULL, *t = strtok_r(c1 + 1, ",", &save); t; t = strtok_r(NULL, ",", &save))
                        if (strcmp(t, controller) == 0) {
                                snprintf(out, n, "%s", path);
                                found = true;
                                break;
                        }
        }
        free(line);
        fclose(f);
        return found;
}

static void make_groups(void)
{
        for (int i = 0; i < 2; i++) {
                char mp[PATH_MAX], own[PATH_MAX];
                if (!v1_mount(controllers[i], mp, sizeof(mp)) ||
                    !own_group(controllers[i], own, sizeof(own))) {
                        fprintf(stderr, "floor: no v1 %s hierarchy\n", controllers[i]);
                        exit(127);
                }
                snprintf(groups[i], sizeof(groups[i]), "%s%s%sfloor-%d", mp, own,
                         own[strlen(own) - 1] == '/' ? "" : "/", (int)getpid());
                if (mkdir(groups[i], 0755) < 0 && errno != EEXIST)
                        die(groups[i]);
        }
}

static void enter_groups(pid_t pid)
{
        char buf[32], path[sizeof(groups[0]) + 16];
        int len = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
        for (int i = 0; i < 2; i++) {
                int fd = open(in_group(path, sizeof(path), groups[i], "cgroup.procs"), O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, buf, len) != len) {
                        kill(pid, SIGKILL);
                        die(path);
                }
                close(fd);
        }
}

static void remove_groups(void)
{
        for (int i = 0; i < 2; i++)
                if (groups[i][0] && rmdir(groups[i]) < 0)
                        fprintf(stderr, "floor: removing %s: %s\n", groups[i], strerror(errno));
}

int main(int argc, char **argv)
{
        static char *default_cmd[] = {"/bin/true", NULL};
        bool use_cgroup = false;
        int opt;

        while ((opt = getopt(argc, argv, "+ct")) != -1) {
                if (opt == 'c')
                        use_cgroup = true;
                else if (opt == 't')
                        use_cgroup = self_join = true;
                else {
                        fprintf(stderr, "usage: floor [-c|-t] ROOTFS [CMD [ARGS...]]\n");
                        return 2;
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "usage: floor [-c|-t] ROOTFS [CMD [ARGS...]]\n");
                return 2;
        }
        rootfs = argv[optind];
        cmd = optind + 1 < argc ? argv + optind + 1 : default_cmd;

        if (use_cgroup)
                make_groups();
        if (use_cgroup && !self_join) {
                if (pipe2(sync_pipe, O_CLOEXEC) < 0)
                        die("pipe");
        }

        static char stack[64 * 1024] __attribute__((aligned(16)));
        pid_t pid = clone(child, stack + sizeof(stack),
                          CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | SIGCHLD,
                          NULL);
        if (pid < 0) {
                int e = errno;
                if (use_cgroup)
                        remove_groups();
                errno = e;
                die("clone");
        }
        if (use_cgroup && !self_join) {
                close(sync_pipe[0]);
                enter_groups(pid);
                close(sync_pipe[1]); /* release the child */
        }

        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        die("waitpid");
        if (use_cgroup)
                remove_groups();
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
}
