/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * timer: run one command, or a sequence of commands, and report the wall time of each (monotonic
 * clock, ns) and its peak RSS (wait4() ru_maxrss, KiB). Used by bench/startup.py.
 *
 *   timer [-e ERRFILE] [-p PIDFILE] -- CMD [ARGS...] [';' CMD [ARGS...]]...
 *
 * Each ';'-separated segment is forked, exec'd and waited for in turn (stdin and stdout are
 * /dev/null, stderr goes to ERRFILE, default /dev/null). The segment '@wait' instead waits for
 * the process whose pid is in PIDFILE: the timer is a child subreaper, so a container's init
 * that its runtime left behind (create; start) is re-parented to it, as to a containerd shim.
 * A failing segment ends the sequence.
 *
 * Output, one line per segment that ran: "NS MAXRSS_KIB STATUS PID" (STATUS: exit code, or
 * 128+signal; PID: the process forked for the segment, 0 for @wait).
 *
 * Why not time from python: a child forked or vfork'ed by a large process inherits that process's
 * RSS high-water mark (exec_mmap() folds the old mm's hiwater_rss into signal->maxrss), so
 * ru_maxrss would report python's ~13 MiB for every command. This program is small and static.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int status_code(int st)
{
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int wait_pidfile(const char *pidfile, int *code)
{
        char buf[32] = {0};
        int fd = open(pidfile, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0) {
                fprintf(stderr, "timer: reading %s: %s\n", pidfile, strerror(errno));
                return -1;
        }
        close(fd);
        pid_t pid = (pid_t)atoi(buf);
        int st;
        if (waitpid(pid, &st, 0) == pid) {
                *code = status_code(st);
                return 0;
        }
        if (errno != ECHILD) {
                fprintf(stderr, "timer: waitpid %d: %s\n", (int)pid, strerror(errno));
                return -1;
        }
        /* not ours (not re-parented to us): poll */
        while (kill(pid, 0) == 0 || errno == EPERM) {
                struct timespec d = {0, 50000};
                nanosleep(&d, NULL);
        }
        *code = 0;
        return 0;
}

int main(int argc, char **argv)
{
        const char *errfile = "/dev/null", *pidfile = NULL;
        int opt;

        while ((opt = getopt(argc, argv, "+e:p:")) != -1) {
                switch (opt) {
                case 'e':
                        errfile = optarg;
                        break;
                case 'p':
                        pidfile = optarg;
                        break;
                default:
                        fprintf(stderr,
                                "usage: timer [-e ERRFILE] [-p PIDFILE] -- CMD... [';' CMD...]...\n");
                        return 2;
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "usage: timer [-e ERRFILE] [-p PIDFILE] -- CMD... [';' CMD...]...\n");
                return 2;
        }
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
                perror("timer: PR_SET_CHILD_SUBREAPER");
                return 2;
        }
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        int errfd = open(errfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (devnull < 0 || errfd < 0) {
                perror("timer: open");
                return 2;
        }

        int rc = 0;
        char **seg = argv + optind;
        while (*seg && rc == 0) {
                char **end = seg;
                while (*end && strcmp(*end, ";") != 0)
                        end++;
                char **next = *end ? end + 1 : end;
                *end = NULL;

                int code;
                uint64_t t0, t1;
                long maxrss = 0;
                pid_t pid = 0;
                if (strcmp(seg[0], "@wait") == 0) {
                        if (!pidfile) {
                                fprintf(stderr, "timer: @wait needs -p PIDFILE\n");
                                return 2;
                        }
                        t0 = now_ns();
                        if (wait_pidfile(pidfile, &code) < 0)
                                return 2;
                        t1 = now_ns();
                } else {
                        struct rusage ru;
                        int st;
                        t0 = now_ns();
                        pid = fork();
                        if (pid < 0) {
                                perror("timer: fork");
                                return 2;
                        }
                        if (pid == 0) {
                                dup2(devnull, 0);
                                dup2(devnull, 1);
                                dup2(errfd, 2);
                                execvp(seg[0], seg);
                                fprintf(stderr, "timer: exec %s: %s\n", seg[0], strerror(errno));
                                _exit(127);
                        }
                        while (wait4(pid, &st, 0, &ru) < 0)
                                if (errno != EINTR) {
                                        perror("timer: wait4");
                                        return 2;
                                }
                        t1 = now_ns();
                        code = status_code(st);
                        maxrss = ru.ru_maxrss;
                }
                printf("%llu %ld %d %d\n", (unsigned long long)(t1 - t0), maxrss, code, (int)pid);
                rc = code;
                seg = next;
        }
        /* reap whatever was re-parented to us (runtime helpers, a container left running) */
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
        return 0;
}
