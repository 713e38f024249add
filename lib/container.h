/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "macro.h"
#include "oci-config.h"

typedef struct CreateOptions {
        const char *root; /* state root, e.g. /run/ctrctl */
        const char *id;
        const char *bundle;
        const char *pid_file;
        const char *console_socket;
        bool no_pivot;
        bool no_new_keyring;
        unsigned preserve_fds;
        /* 'run' in the foreground: the caller stays the parent of the container's init, may
         * proxy its terminal, and needs no console socket. */
        bool foreground;
        int console_fd_out; /* foreground + terminal: receives the pty master */
        /* The config to use instead of BUNDLE/config.json (a .ctr definition's translation). */
        struct json_t *config_json;
        /* Leave the container in the caller's cgroup (a systemd unit's): no cgroup of its own. */
        bool no_cgroup;
        /* runc's --systemd-cgroup: linux.cgroupsPath is "slice:prefix:name" and the cgroup a
         * transient scope that systemd makes for the container's init (see systemd-scope.h). */
        bool systemd_cgroup;
        /* A minimal reaper runs as PID 1, forwards signals to the payload and reaps orphans. */
        bool init;
        /* The systemd unit invocation this container belongs to (ctr-exec), or NULL. */
        const char *invocation;
} CreateOptions;

/* create: set up the container up to the point where only execve of the payload is left,
 * leaving it blocked on its exec fifo. On failure nothing is left: no process, cgroup, state
 * directory. *err gets a message for the user. */
int container_create(CreateOptions *o, pid_t *ret_pid, char **err);

/* Clean up what a create killed mid-way left behind, or a container whose init is gone;
 * -EBUSY if it is alive. */
int container_cleanup_stale(const char *root, const char *id);

/* start: let the created container exec its payload, then run poststart hooks. */
int container_start(const char *root, const char *id, char **err);

typedef struct ExecOptions {
        const char *root;
        const char *id;
        const char *pid_file;
        const char *console_socket;
        bool detach;
        unsigned preserve_fds;
        bool tty_proxy; /* no console socket: proxy the pty on our own stdio */
} ExecOptions;

/* exec: run process (args already filled) in the container's namespaces and cgroup. In the
 * foreground, returns the process' exit status (128+N for a signal). */
int container_exec(const ExecOptions *o, OciProcess *process, int *ret_status, char **err);

/* start; if that fails, delete --force what is left. */
int container_start_or_remove(const char *root, const char *id, char **err);

/* delete: remove state, cgroup, run poststop hooks. force kills a running container first. */
int container_delete(const char *root, const char *id, bool force, char **err);

/* Forward catchable signals to pid until it exits; return its exit status (128+N for a
 * signal). proxy_fd >= 0: copy between our stdio and this pty master meanwhile. */
int container_wait_forwarding(pid_t pid, int proxy_fd);

/* The last steps, shared by create and exec: rlimits, session, cwd, user and capabilities,
 * no_new_privs, fds, seccomp, execve. Never returns. */
struct SeccompFilter;
typedef struct FinalExec {
        const OciProcess *process;
        const char *exe;
        struct SeccompFilter *seccomp;
        unsigned preserve_fds;
        bool terminal_done; /* a pty is already our controlling terminal */
        int report_fd; /* errors go here (a close-on-exec pipe), else to stderr */
        bool also_stderr; /* and to stderr too */
        int listener_fd; /* connected to linux.seccomp.listenerPath, or -1 */
        char *listener_msg; /* the container process state to send with the notify fd */
} FinalExec;
_noreturn_ void finalize_and_exec(const FinalExec *f);

/* --systemd-cgroup: is the scope the state names still the one made for this container? systemd
 * removes an empty scope (SCOPE_GONE: what ctr-oci made beside it is still its own to remove), and
 * a later container or unit may take its name and cgroup path (SCOPE_TAKEN: delete, kill --all and
 * cleanups must leave that one alone). SCOPE_OURS also when there is nothing to tell. */
enum { SCOPE_OURS, SCOPE_GONE, SCOPE_TAKEN };
struct ContainerState;
int container_scope_check(const struct ContainerState *s);
