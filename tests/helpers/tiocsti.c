/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tiocsti: try to push a keystroke into the terminal on fd 0 (CVE-2017-5226). Prints
 *   devtty: OK|<errno>    whether the process has a controlling terminal (/dev/tty opens)
 *   TIOCSTI: OK|<errno>   whether the injection worked
 * The injected byte is a harmless 'x' (no newline). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char *ename(int e)
{
        const char *n = strerrorname_np(e);
        return n ? n : "E?";
}

int main(void)
{
        int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
        printf("devtty: %s\n", fd >= 0 ? "OK" : ename(errno));
        if (fd >= 0)
                close(fd);
        printf("isatty0: %d\n", isatty(0));
        char c = 'x';
        int r = ioctl(0, TIOCSTI, &c);
        printf("TIOCSTI: %s\n", r == 0 ? "OK" : ename(errno));
        fflush(stdout);
        return 0;
}
