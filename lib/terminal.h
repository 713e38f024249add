/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Connect to a --console-socket (a host path, before any namespace is entered). */
int console_socket_connect(const char *path, int *ret_fd);

/* Container side, after pivot_root with the container's devpts mounted: make a pty from
 * /dev/ptmx, get the peer with TIOCGPTPEER (no path lookup a symlink could redirect), bind it
 * over /dev/console by fd, send the master over sock, and make the peer our controlling
 * terminal and stdio. */
int terminal_setup(int sock, unsigned rows, unsigned cols, bool bind_dev_console);

/* Receive a pty master sent with SCM_RIGHTS. */
int console_receive_fd(int sock, int *ret_fd);
