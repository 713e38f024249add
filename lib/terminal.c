/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "terminal.h"
#include "util.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int console_socket_connect(const char *path, int *ret_fd)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return negative_errno();
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int send_fd(int sock, int fd, const char *name)
{
        char buf[CMSG_SPACE(sizeof(int))] = {0};
        struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof(buf)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
                return negative_errno();
        return 0;
}

int console_receive_fd(int sock, int *ret_fd)
{
        char buf[CMSG_SPACE(sizeof(int))] = {0}, name[256];
        struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof(buf)};
        ssize_t k = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        if (k < 0)
                return negative_errno();
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
                return -EBADMSG;
        memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
        return 0;
}

static int bind_console(int peer)
{
        struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};
        _cleanup_close_ int dev = (int)syscall(SYS_openat2, AT_FDCWD, "/dev", &how, sizeof(how));
        if (dev < 0)
                return negative_errno();
        /* Create /dev/console exclusively: an existing entry (a planted symlink) is removed
         * without being followed, then replaced. */
        int f = openat(dev, "console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                       0600);
        if (f < 0 && errno == EEXIST) {
                if (unlinkat(dev, "console", 0) < 0)
                        return negative_errno();
                f = openat(dev, "console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                           0600);
        }
        if (f < 0)
                return negative_errno();
        close(f);
        how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
        _cleanup_close_ int target = (int)syscall(SYS_openat2, dev, "console", &how, sizeof(how));
        if (target < 0)
                return negative_errno();
        int tree =
                (int)syscall(SYS_open_tree, peer, "", OPEN_TREE_CLONE | AT_EMPTY_PATH | OPEN_TREE_CLOEXEC);
        if (tree < 0)
                return negative_errno();
        int r = (int)syscall(SYS_move_mount, tree, "", target, "",
                             MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
        r = r < 0 ? negative_errno() : 0;
        close(tree);
        return r;
}

int terminal_setup(int sock, unsigned rows, unsigned cols, bool bind_dev_console)
{
        _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return negative_errno();
        if (unlockpt(master) < 0)
                return negative_errno();
        _cleanup_close_ int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (peer < 0)
                return negative_errno();
        if (rows || cols) {
                struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
                (void)ioctl(peer, TIOCSWINSZ, &ws);
        }
        int r;
        if (bind_dev_console) {
                r = bind_console(peer);
                if (r < 0)
                        return r;
        }
        char name[64];
        if (ptsname_r(master, name, sizeof(name)) != 0)
                strcpy(name, "/dev/console");
        r = send_fd(sock, master, name);
        if (r < 0)
                return r;
        if (setsid() < 0)
                return negative_errno();
        if (ioctl(peer, TIOCSCTTY, 0) < 0)
                return negative_errno();
        for (int i = 0; i < 3; i++)
                if (dup2(peer, i) < 0)
                        return negative_errno();
        return 0;
}
