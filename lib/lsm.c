/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lsm.h"
#include "util.h"

bool lsm_apparmor_enabled(void)
{
        char buf[4] = "";
        int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        ssize_t k = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        return k > 0 && buf[0] == 'Y';
}

bool lsm_selinux_enabled(void)
{
        return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

int lsm_check(const char *apparmor_profile, const char *selinux_label, const char **ret_what)
{
        if (apparmor_profile && *apparmor_profile && !lsm_apparmor_enabled()) {
                *ret_what = "process.apparmorProfile is set but AppArmor is not enabled on this host";
                return -EOPNOTSUPP;
        }
        if (selinux_label && *selinux_label && !lsm_selinux_enabled()) {
                *ret_what = "process.selinuxLabel is set but SELinux is not enabled on this host";
                return -EOPNOTSUPP;
        }
        return 0;
}

static int write_attr(int proc, const char *rel, const char *value)
{
        struct open_how how = {
                .flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        _cleanup_close_ int fd = (int)syscall(SYS_openat2, proc, rel, &how, sizeof(how));
        if (fd < 0)
                return negative_errno();
        ssize_t k = write(fd, value, strlen(value));
        if (k < 0)
                return negative_errno();
        return (size_t)k == strlen(value) ? 0 : -EIO;
}

int lsm_apply_exec(const char *apparmor_profile, const char *selinux_label)
{
        bool aa = apparmor_profile && *apparmor_profile, se = selinux_label && *selinux_label;
        if (!aa && !se)
                return 0;
        struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};
        _cleanup_close_ int proc = (int)syscall(SYS_openat2, AT_FDCWD, "/proc", &how, sizeof(how));
        struct statfs sf;
        if (proc < 0)
                return negative_errno();
        if (fstatfs(proc, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
                return -EXDEV;
        char rel[128];
        int r;
        if (aa) {
                char v[1024];
                if (snprintf(v, sizeof(v), "exec %s", apparmor_profile) >= (int)sizeof(v))
                        return -ENAMETOOLONG;
                snprintf(rel, sizeof(rel), "%d/attr/apparmor/exec", (int)getpid());
                r = write_attr(proc, rel, v);
                if (r == -ENOENT) {
                        snprintf(rel, sizeof(rel), "%d/attr/exec", (int)getpid());
                        r = write_attr(proc, rel, v);
                }
                if (r < 0)
                        return r;
        }
        if (se) {
                snprintf(rel, sizeof(rel), "%d/attr/exec", (int)getpid());
                r = write_attr(proc, rel, selinux_label);
                if (r < 0)
                        return r;
        }
        return 0;
}
