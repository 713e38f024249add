/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* probe: small checks run inside a container by the security tests (built static at test time).
 *   probe openw PATH...   open each path O_WRONLY (no O_TRUNC, nothing is ever written) and
 *                         print "PATH: OK" or "PATH: <errno name>"
 *   probe ids             print "uid=R euid=E gid=G egid=EG"
 *   probe fds             print the open fds, one per line, without the fd used to list them */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *ename(int e)
{
        const char *n = strerrorname_np(e);
        return n ? n : "E?";
}

int main(int argc, char **argv)
{
        if (argc >= 2 && !strcmp(argv[1], "openw")) {
                for (int i = 2; i < argc; i++) {
                        int fd = open(argv[i], O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
                        printf("%s: %s\n", argv[i], fd >= 0 ? "OK" : ename(errno));
                        if (fd >= 0)
                                close(fd);
                }
                return 0;
        }
        if (argc == 2 && !strcmp(argv[1], "ids")) {
                printf("uid=%u euid=%u gid=%u egid=%u\n", (unsigned)getuid(), (unsigned)geteuid(),
                       (unsigned)getgid(), (unsigned)getegid());
                return 0;
        }
        if (argc == 2 && !strcmp(argv[1], "fds")) {
                DIR *d = opendir("/proc/self/fd");
                struct dirent *de;
                if (!d) {
                        printf("opendir: %s\n", ename(errno));
                        return 1;
                }
                while ((de = readdir(d)))
                        if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
                                printf("%s\n", de->d_name);
                closedir(d);
                return 0;
        }
        fprintf(stderr, "usage: probe openw PATH... | ids | fds\n");
        return 2;
}
