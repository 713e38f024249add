/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/capability.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "process.h"
#include "util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static char last_step[256];
#define STEP(...) snprintf(last_step, sizeof(last_step), __VA_ARGS__)

const char *process_last_step(void)
{
        return last_step;
}

int cap_last_cap(void)
{
        static int cached = -1;
        if (cached >= 0)
                return cached;
        char buf[16] = "";
        int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                ssize_t k = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (k > 0)
                        cached = atoi(buf);
        }
        if (cached <= 0)
                cached = CAP_LAST_CAP;
        return cached;
}

int process_apply_rlimits(const OciProcess *p)
{
        for (size_t i = 0; i < p->n_rlimits; i++) {
                struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
                STEP("setting rlimit %d", p->rlimits[i].resource);
                if (setrlimit(p->rlimits[i].resource, &rl) < 0)
                        return negative_errno();
        }
        return 0;
}

struct sched_attr_v1 {
        uint32_t size, sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime, sched_deadline, sched_period;
};

int process_apply_scheduling(const OciProcess *p)
{
        if (p->has_scheduler) {
                struct sched_attr_v1 a = {
                        .size = sizeof(a),
                        .sched_policy = (uint32_t)p->sched_policy,
                        .sched_flags = p->sched_flags,
                        .sched_nice = p->sched_nice,
                        .sched_priority = (uint32_t)p->sched_priority,
                        .sched_runtime = p->sched_runtime,
                        .sched_deadline = p->sched_deadline,
                        .sched_period = p->sched_period,
                };
                STEP("setting the scheduler");
                if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
                        return negative_errno();
        }
        if (p->has_io_priority) {
                STEP("setting the I/O priority");
                if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0,
                            (p->io_priority_class << 13) | p->io_priority) < 0)
                        return negative_errno();
        }
        return 0;
}

struct cap_data {
        uint32_t effective, permitted, inheritable;
};

static int capset_raw(uint64_t eff, uint64_t perm, uint64_t inh)
{
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct d[2] = {
                {(uint32_t)eff, (uint32_t)perm, (uint32_t)inh},
                {(uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32)},
        };
        return RET_NERRNO((int)syscall(SYS_capset, &h, d));
}

int process_apply_user_and_caps(const OciProcess *p, bool setgroups_allowed)
{
        const OciCaps *c = &p->caps;
        int last = cap_last_cap();

        /* Without a capabilities object the payload gets none: never run with the runtime's. */
        STEP("dropping the capability bounding set");
        for (int cap = 0; cap <= last; cap++) {
                if (c->bounding & (UINT64_C(1) << cap))
                        continue;
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
                        return negative_errno();
        }

        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return negative_errno();
        /* Always call setgroups, even with an empty list: otherwise the runtime's supplementary
         * groups would reach the payload. */
        if (setgroups_allowed) {
                STEP("setting supplementary groups");
                if (setgroups(p->user.n_additional_gids, p->user.additional_gids) < 0)
                        return negative_errno();
        }
        STEP("switching to gid %u", (unsigned)p->user.gid);
        if (setresgid(p->user.gid, p->user.gid, p->user.gid) < 0)
                return negative_errno();
        STEP("switching to uid %u", (unsigned)p->user.uid);
        if (setresuid(p->user.uid, p->user.uid, p->user.uid) < 0)
                return negative_errno();
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return negative_errno();

        STEP("setting capabilities");
        /* Ambient needs the bits in permitted and inheritable first. */
        int r = capset_raw(c->effective, c->permitted, c->inheritable);
        if (r < 0)
                return r;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return negative_errno();
        for (int cap = 0; cap <= last; cap++) {
                if (!(c->ambient & (UINT64_C(1) << cap)))
                        continue;
                STEP("raising ambient capability %d", cap);
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
                        return negative_errno();
        }
        if (p->user.has_umask)
                umask(p->user.umask);
        else
                umask(0022);
        return 0;
}

static bool is_executable_file(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

int process_find_executable(const OciProcess *p, char *ret, size_t size)
{
        const char *name = p->args[0];
        const char *path = DEFAULT_PATH;

        STEP("looking up '%s'", name);
        if (strchr(name, '/')) {
                if (snprintf(ret, size, "%s", name) >= (int)size)
                        return -ENAMETOOLONG;
                return is_executable_file(ret) ? 0 : (access(ret, F_OK) < 0 ? -ENOENT : -EACCES);
        }
        STRV_FOREACH (e, p->env)
                if (startswith(*e, "PATH=")) {
                        path = *e + 5;
                        break;
                }
        for (const char *d = path; d && *d;) {
                size_t n = strcspn(d, ":");
                if (snprintf(ret, size, "%.*s%s%s", (int)n, n ? d : ".", "/", name) < (int)size &&
                    is_executable_file(ret))
                        return 0;
                d += n;
                if (*d == ':')
                        d++;
        }
        return -ENOENT;
}

uint64_t process_grantable_caps(void)
{
        uint64_t m = 0;
        for (int cap = 0; cap <= cap_last_cap() && cap < 64; cap++)
                if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) > 0)
                        m |= UINT64_C(1) << cap;
        return m;
}

int process_mask_caps(OciProcess *p, char ***warnings)
{
        uint64_t ok = process_grantable_caps();
        uint64_t all = p->caps.bounding | p->caps.effective | p->caps.permitted | p->caps.inheritable |
                       p->caps.ambient;
        for (int cap = 0; cap < 64; cap++) {
                if (!(all & (UINT64_C(1) << cap)) || (ok & (UINT64_C(1) << cap)))
                        continue;
                char *name = cap_to_name(cap), *w;
                if (asprintf(&w,
                             "process.capabilities: %s cannot be granted (not in this runtime's bounding "
                             "set), ignoring",
                             name ? name : "?") >= 0 &&
                    strv_push(warnings, w) < 0)
                        free(w);
                if (name)
                        cap_free(name);
        }
        p->caps.bounding &= ok;
        p->caps.effective &= ok;
        p->caps.permitted &= ok;
        p->caps.inheritable &= ok;
        p->caps.ambient &= ok;
        return 0;
}
