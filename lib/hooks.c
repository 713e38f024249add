/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "util.h"

const char *hook_kind_name(OciHookKind k)
{
        static const char *const names[_OCI_HOOK_MAX] = {
                "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
        };
        return k < _OCI_HOOK_MAX ? names[k] : "?";
}

static int run_one(const OciHook *h, const char *state_json, int *ret_status, bool *ret_timed_out)
{
        _cleanup_close_pair_ int in[2] = {-EBADF, -EBADF};
        if (pipe2(in, O_CLOEXEC) < 0)
                return negative_errno();
        pid_t pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                char *const empty[] = {NULL};
                char *const argv0[] = {h->path, NULL};
                if (dup2(in[0], 0) < 0)
                        _exit(127);
                /* a hook starts with default signal handling, whatever the caller had */
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                for (int s = 1; s < _NSIG; s++)
                        if (s != SIGKILL && s != SIGSTOP)
                                signal(s, SIG_DFL);
                execve(h->path, h->args ? h->args : argv0, h->env ? h->env : empty);
                _exit(127);
        }
        in[0] = safe_close(in[0]);
        /* A hook that does not read its stdin must not block us: ignore EPIPE. */
        void (*old)(int) = signal(SIGPIPE, SIG_IGN);
        (void)loop_write(in[1], state_json, strlen(state_json));
        signal(SIGPIPE, old);
        in[1] = safe_close(in[1]);

        int status = 0;
        *ret_timed_out = false;
        if (h->timeout > 0) {
                int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
                if (pfd >= 0) {
                        struct pollfd p = {.fd = pfd, .events = POLLIN};
                        int k;
                        do
                                k = poll(&p, 1, h->timeout * 1000);
                        while (k < 0 && errno == EINTR);
                        if (k == 0) {
                                kill(pid, SIGKILL);
                                *ret_timed_out = true;
                        }
                        close(pfd);
                }
        }
        int r = wait_for_pid(pid, &status);
        if (r < 0)
                return r;
        *ret_status = status;
        return 0;
}

int hooks_run(const OciHook *hooks, size_t n, const char *kind, const char *state_json, char **err)
{
        for (size_t i = 0; i < n; i++) {
                int status = 0;
                bool timed_out = false;
                int r = run_one(&hooks[i], state_json, &status, &timed_out);
                if (r < 0) {
                        if (err &&
                            asprintf(err, "%s hook #%zu '%s': %s", kind, i, hooks[i].path, strerror(-r)) < 0)
                                *err = NULL;
                        return r;
                }
                if (timed_out) {
                        if (err && asprintf(err, "%s hook #%zu '%s' timed out after %d s", kind, i,
                                            hooks[i].path, hooks[i].timeout) < 0)
                                *err = NULL;
                        return -ETIMEDOUT;
                }
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        if (err && asprintf(err, "%s hook #%zu '%s' failed: %s %d", kind, i, hooks[i].path,
                                            WIFEXITED(status) ? "exit status" : "killed by signal",
                                            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status)) < 0)
                                *err = NULL;
                        return -EPROTO;
                }
        }
        return 0;
}
