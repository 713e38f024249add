/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cgroup.h"
#include "rootfs.h"
#include "util.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

static char last_step[PATH_MAX + 64];

const char *rootfs_last_step(void)
{
        return last_step;
}

#define STEP(...) snprintf(last_step, sizeof(last_step), __VA_ARGS__)

static int openat2_in(int dirfd, const char *path, int flags, uint64_t resolve)
{
        struct open_how how = {
                .flags = (uint64_t)flags | O_CLOEXEC,
                .resolve = resolve,
        };
        int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        return fd < 0 ? negative_errno() : fd;
}

static const char *skip_slashes(const char *p)
{
        while (*p == '/')
                p++;
        return p;
}

int rootfs_open_in_root(int rootfs_fd, const char *path, bool mkdirs, bool create_file, int *ret_fd)
{
        return rootfs_open_in_root_flags(rootfs_fd, path, mkdirs, create_file, 0, ret_fd);
}

static int open_in_root(int rootfs_fd, const char *path, bool mkdirs, bool create_file, uint64_t extra,
                        unsigned depth, int *ret_fd);

int rootfs_open_in_root_flags(int rootfs_fd, const char *path, bool mkdirs, bool create_file, uint64_t extra,
                              int *ret_fd)
{
        return open_in_root(rootfs_fd, path, mkdirs, create_file, extra, 0, ret_fd);
}

/* A component that exists but does not resolve is a symlink to something missing: what it names
 * is made (inside the root, as runc does), so the path resolves through it. */
static int make_symlink_target(int rootfs_fd, int parent, const char *comp, const char *prefix,
                               bool create_file, uint64_t extra, unsigned depth)
{
        char target[PATH_MAX], joined[PATH_MAX];
        ssize_t n = readlinkat(parent, comp, target, sizeof(target) - 1);
        if (n < 0)
                return -ENOENT; /* not a symlink: something removed it meanwhile */
        target[n] = 0;
        if (depth >= 8)
                return -ELOOP;
        if (target[0] == '/' || !*prefix)
                snprintf(joined, sizeof(joined), "%s", target);
        else if (snprintf(joined, sizeof(joined), "%s/%s", prefix, target) >= (int)sizeof(joined))
                return -ENAMETOOLONG;
        _cleanup_close_ int fd = -EBADF;
        return open_in_root(rootfs_fd, joined, true, create_file, extra, depth + 1, &fd);
}

static int open_in_root(int rootfs_fd, const char *path, bool mkdirs, bool create_file, uint64_t extra,
                        unsigned depth, int *ret_fd)
{
        const uint64_t resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra;
        const char *rel = skip_slashes(path);
        char buf[PATH_MAX];
        int fd;

        if (!*rel)
                rel = ".";
        fd = openat2_in(rootfs_fd, rel, O_PATH, resolve);
        if (fd >= 0 || fd != -ENOENT || !mkdirs) {
                if (fd < 0)
                        return fd;
                *ret_fd = fd;
                return 0;
        }
        if (strlen(rel) >= sizeof(buf))
                return -ENAMETOOLONG;
        strcpy(buf, rel);

        /* Create the missing components one at a time, each parent re-resolved inside the root. */
        _cleanup_close_ int parent = openat2_in(rootfs_fd, ".", O_PATH | O_DIRECTORY, resolve);
        if (parent < 0)
                return parent;
        char *comp = buf;
        for (;;) {
                char *slash = strchr(comp, '/');
                bool last;
                if (slash)
                        *slash = 0;
                last = !slash || !*skip_slashes(slash + 1);
                if (!*comp || streq(comp, ".")) {
                        if (last)
                                break;
                        comp = (char *)skip_slashes(slash + 1);
                        continue;
                }
                if (streq(comp, ".."))
                        return -EINVAL;
                if (last && create_file) {
                        int f = openat2_in(parent, comp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY,
                                           RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
                        if (f < 0 && f != -EEXIST)
                                return f;
                        safe_close(f);
                } else if (mkdirat(parent, comp, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
                /* Re-resolve the prefix from the root: a symlink raced into its place is followed
                 * within the rootfs, never out of it. */
                int next = openat2_in(rootfs_fd, buf, O_PATH, resolve);
                if (next == -ENOENT) {
                        char prefix[PATH_MAX];
                        snprintf(prefix, sizeof(prefix), "%.*s", (int)(comp - buf), buf);
                        int r = make_symlink_target(rootfs_fd, parent, comp, prefix, last && create_file,
                                                    extra, depth);
                        if (r < 0)
                                return r;
                        next = openat2_in(rootfs_fd, buf, O_PATH, resolve);
                }
                if (next < 0)
                        return next;
                safe_close(parent);
                parent = next;
                if (last)
                        break;
                *slash = '/';
                comp = (char *)skip_slashes(slash + 1);
        }
        /* Final answer: resolve the full path from the root once more. */
        fd = openat2_in(rootfs_fd, rel, O_PATH, resolve);
        if (fd < 0)
                return fd;
        *ret_fd = fd;
        return 0;
}

static void fd_path(char *buf, int fd)
{
        snprintf(buf, 64, "/proc/self/fd/%d", fd);
}

static int mount_fd(const char *source, int target_fd, const char *type, unsigned long flags,
                    const char *data)
{
        char t[64];
        fd_path(t, target_fd);
        return RET_NERRNO(mount(source, t, type, flags, data));
}

/* A bind mount ignores most flags: apply them with a remount, keeping the flags the kernel
 * locked on the source (nosuid/nodev/noexec inherited in a user namespace). */
static int remount_bind(int target_fd, unsigned long flags)
{
        struct statvfs sv;
        char t[64];
        unsigned long keep = 0;

        fd_path(t, target_fd);
        if (statvfs(t, &sv) == 0) {
                if (sv.f_flag & ST_NOSUID)
                        keep |= MS_NOSUID;
                if (sv.f_flag & ST_NODEV)
                        keep |= MS_NODEV;
                if (sv.f_flag & ST_NOEXEC)
                        keep |= MS_NOEXEC;
        }
        return RET_NERRNO(mount(NULL, t, NULL, MS_BIND | MS_REMOUNT | flags | keep, NULL));
}

static int apply_attrs(int target_fd, uint64_t set, uint64_t clr)
{
        struct mount_attr attr = {.attr_set = set, .attr_clr = clr};
        if (!set && !clr)
                return 0;
        if (syscall(SYS_mount_setattr, target_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                return negative_errno();
        return 0;
}

int rootfs_prepare(RootfsContext *ctx)
{
        unsigned long prop = ctx->config->rootfs_propagation;
        int r;

        /* Nothing the container mounts may reach the host: the whole tree becomes a slave of
         * the host's (or private, if asked). A shared or unbindable rootfsPropagation is applied
         * after pivot_root, which refuses a shared mount and cannot bind an unbindable one. */
        STEP("making mounts private");
        r = RET_NERRNO(mount(NULL, "/", NULL, ((prop & MS_PRIVATE) ? MS_PRIVATE : MS_SLAVE) | MS_REC, NULL));
        if (r < 0)
                return r;

        STEP("binding rootfs '%s' onto itself", ctx->rootfs);
        r = mount_fd(ctx->rootfs, ctx->rootfs_fd, NULL, MS_BIND | MS_REC, NULL);
        if (r < 0)
                return r;
        /* Reopen: the old fd refers to the directory below the new mount. */
        int fd = openat2_in(AT_FDCWD, ctx->rootfs, O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
        if (fd < 0)
                return fd;
        safe_close(ctx->rootfs_fd);
        ctx->rootfs_fd = fd;
        return 0;
}

static bool is_dir_source(const char *source)
{
        struct stat st;
        return stat(source, &st) < 0 || S_ISDIR(st.st_mode);
}

static int verify_fs_type(int fd, long magic)
{
        struct statfs sf;
        if (fstatfs(fd, &sf) < 0)
                return negative_errno();
        return sf.f_type == magic ? 0 : -EXDEV;
}

/* The container has no cgroup of its own (it lives in its systemd unit's): mount the
 * hierarchies afresh. In the container's cgroup namespace their root is the unit's group. */
static int move_onto(int tree, int target)
{
        int r = (int)syscall(SYS_move_mount, tree, "", target, "",
                             MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
        return r < 0 ? negative_errno() : 0;
}

static int mount_cgroup_fresh(RootfsContext *ctx, const OciMount *m, int target_fd)
{
        unsigned long flags = (m->flags | MS_NOSUID | MS_NODEV | MS_NOEXEC) & ~MS_RDONLY;
        struct statfs sf;
        int r;

        if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
                return mount_fd("cgroup2", target_fd, "cgroup2", flags | (m->flags & MS_RDONLY), NULL);
        r = mount_fd("tmpfs", target_fd, "tmpfs", flags, "mode=755");
        if (r < 0)
                return r;
        _cleanup_close_ int dir = -EBADF;
        r = rootfs_open_in_root(ctx->rootfs_fd, m->destination, false, false, &dir);
        if (r < 0)
                return r;
        _cleanup_free_ char *self = NULL;
        r = read_full_file("/proc/self/cgroup", 64 * 1024, &self, NULL);
        if (r < 0)
                return r;
        for (char *line = strtok(self, "\n"); line; line = strtok(NULL, "\n")) {
                /* "ID:CONTROLLERS:PATH" */
                char *ctl = strchr(line, ':');
                if (!ctl)
                        continue;
                ctl++;
                char *end = strchr(ctl, ':');
                if (!end)
                        continue;
                *end = 0;
                const char *name = *ctl ? (startswith(ctl, "name=") ?: ctl) : "unified";
                if (strchr(name, '/') || streq(name, ".") || streq(name, ".."))
                        continue;
                if (mkdirat(dir, name, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
                _cleanup_close_ int sub =
                        openat2_in(dir, name, O_PATH | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
                if (sub < 0)
                        return sub;
                if (*ctl)
                        r = mount_fd("cgroup", sub, "cgroup", flags, ctl);
                else
                        r = mount_fd("cgroup2", sub, "cgroup2", flags, NULL);
                if (r < 0)
                        return r;
        }
        if (m->flags & MS_RDONLY) {
                _cleanup_close_ int top = -EBADF;
                r = rootfs_open_in_root(ctx->rootfs_fd, m->destination, false, false, &top);
                if (r < 0)
                        return r;
                return apply_attrs(top, MOUNT_ATTR_RDONLY, 0);
        }
        return 0;
}

static int mount_cgroup(RootfsContext *ctx, const OciMount *m, int target_fd)
{
        _cleanup_strv_free_ char **names = NULL, **dirs = NULL;
        int r;

        if (!ctx->cgroup)
                return mount_cgroup_fresh(ctx, m, target_fd);
        r = cgroup_mount_sources(ctx->cgroup, &names, &dirs);
        if (r < 0)
                return r;
        if (strv_length(names) == 1 && !*names[0]) {
                /* unified: the container's own group, seen as the root of the tree */
                r = mount_fd(dirs[0], target_fd, NULL, MS_BIND | MS_REC, NULL);
                if (r < 0)
                        return r;
                _cleanup_close_ int top = -EBADF;
                r = rootfs_open_in_root(ctx->rootfs_fd, m->destination, false, false, &top);
                if (r < 0)
                        return r;
                return remount_bind(top, m->flags & ~MS_REC);
        }
        r = mount_fd("tmpfs", target_fd, "tmpfs", (m->flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                     "mode=755");
        if (r < 0)
                return r;
        _cleanup_close_ int tmpfs_fd = -EBADF;
        r = rootfs_open_in_root(ctx->rootfs_fd, m->destination, false, false, &tmpfs_fd);
        if (r < 0)
                return r;
        for (size_t i = 0; names[i]; i++) {
                _cleanup_close_ int sub = -EBADF, tree = -EBADF;
                if (mkdirat(tmpfs_fd, names[i], 0755) < 0 && errno != EEXIST)
                        return negative_errno();
                sub = openat2_in(tmpfs_fd, names[i], O_PATH | O_DIRECTORY,
                                 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
                if (sub < 0)
                        return sub;
                tree = (int)syscall(SYS_open_tree, AT_FDCWD, dirs[i],
                                    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
                if (tree < 0)
                        return negative_errno();
                r = move_onto(tree, sub);
                if (r < 0)
                        return r;
                /* comounted hierarchies are reachable under each controller's name too */
                if (strchr(names[i], ',')) {
                        _cleanup_free_ char *copy = strdup(names[i]);
                        if (!copy)
                                return -ENOMEM;
                        for (char *t = strtok(copy, ","); t; t = strtok(NULL, ","))
                                if (symlinkat(names[i], tmpfs_fd, t) < 0 && errno != EEXIST)
                                        return negative_errno();
                }
        }
        /* one call for the whole tree instead of a remount per hierarchy */
        return apply_attrs(tmpfs_fd,
                           MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
                                   ((m->flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0),
                           0);
}

static int reopen(RootfsContext *ctx, const char *dest, int *fd)
{
        int n;
        int r = rootfs_open_in_root(ctx->rootfs_fd, dest, false, false, &n);
        if (r < 0)
                return r;
        safe_close(*fd);
        *fd = n;
        return 0;
}

static bool path_under(const char *path, const char *dir)
{
        const char *rest = startswith(path, dir);
        return rest && (*rest == 0 || *rest == '/');
}

static bool is_kernel_fs(const char *type)
{
        static const char *const types[] = {"proc", "sysfs", "devpts", "mqueue", "cgroup", "cgroup2"};
        for (size_t i = 0; type && i < ELEMENTSOF(types); i++)
                if (streq(type, types[i]))
                        return true;
        return false;
}

static bool source_is_fs(const char *source, long magic)
{
        _cleanup_close_ int fd = source ? open(source, O_PATH | O_CLOEXEC) : -EBADF;
        return fd >= 0 && verify_fs_type(fd, magic) == 0;
}

/* Only a real procfs may sit on /proc (CVE-2019-16884: a fake /proc/self/attr swallows the
 * LSM label), and below it only a few bind mounts that tools like lxcfs provide. Only a
 * real sysfs may sit on /sys. The destination is already lexically clean. */
static int check_kernel_fs_target(const OciMount *m)
{
        static const char *const proc_allowed[] = {
                "/proc/cpuinfo", "/proc/diskstats",
                "/proc/meminfo", "/proc/stat",
                "/proc/swaps",   "/proc/uptime",
                "/proc/loadavg", "/proc/slabinfo",
                "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
        };
        if (streq(m->destination, "/proc")) {
                if (streq_ptr(m->type, "proc") && !m->bind)
                        return 0;
                if (m->bind && source_is_fs(m->source, PROC_SUPER_MAGIC))
                        return 0;
                STEP("refusing to mount '%s' on /proc: not procfs", m->source ?: m->type ?: "");
                return -EPERM;
        }
        if (path_under(m->destination, "/proc")) {
                if (m->bind && source_is_fs(m->source, PROC_SUPER_MAGIC))
                        return 0;
                for (size_t i = 0; i < ELEMENTSOF(proc_allowed); i++)
                        if (streq(m->destination, proc_allowed[i]) && m->bind)
                                return 0;
                STEP("refusing to mount '%s' on '%s': not allowed below /proc", m->source ?: m->type ?: "",
                     m->destination);
                return -EPERM;
        }
        if (streq(m->destination, "/sys")) {
                if (streq_ptr(m->type, "sysfs") && !m->bind)
                        return 0;
                if (m->bind && source_is_fs(m->source, SYSFS_MAGIC))
                        return 0;
                STEP("refusing to mount '%s' on /sys: not sysfs", m->source ?: m->type ?: "");
                return -EPERM;
        }
        return 0;
}

static int mount_one(RootfsContext *ctx, const OciMount *m)
{
        _cleanup_close_ int target = -EBADF;
        const char *type = m->type;
        bool bind = m->bind;
        int r;

        STEP("mounting '%s' on '%s'", m->source ?: type, m->destination);
        if (bind && m->source && m->source[0] != '/')
                return -EINVAL;

        r = check_kernel_fs_target(m);
        if (r < 0)
                return r;
        bool file_target = bind && !is_dir_source(m->source);
        /* Below /proc, /sys and /dev nothing may be reached through a symlink: a rootfs whose
         * /proc is a link would get procfs (and its masks) somewhere else. */
        bool strict = path_under(m->destination, "/proc") || path_under(m->destination, "/sys") ||
                      path_under(m->destination, "/dev") || is_kernel_fs(type);
        r = rootfs_open_in_root_flags(ctx->rootfs_fd, m->destination, true, file_target,
                                      strict ? RESOLVE_NO_SYMLINKS : 0, &target);
        if (r == -ELOOP) {
                STEP("mount target '%s' must be an ordinary directory, not a symlink", m->destination);
                return -ELOOP;
        }
        if (r < 0)
                return r;
        {
                struct stat st;
                if (fstatat(target, "", &st, AT_EMPTY_PATH) < 0)
                        return negative_errno();
                /* Mounting over a symlink is impossible; a non-directory where a filesystem goes
                 * means the rootfs was tampered with. */
                if (!bind && !S_ISDIR(st.st_mode)) {
                        STEP("mount target '%s' is not a directory", m->destination);
                        return -ENOTDIR;
                }
        }

        if (bind) {
                r = mount_fd(m->source, target, NULL, MS_BIND | (m->rbind ? MS_REC : 0), NULL);
                if (r < 0)
                        return r;
                if ((r = reopen(ctx, m->destination, &target)) < 0)
                        return r;
                unsigned long f = m->flags & ~(MS_REMOUNT | MS_BIND | MS_REC);
                if (f) {
                        r = remount_bind(target, f);
                        if (r < 0)
                                return r;
                }
        } else if (streq_ptr(type, "cgroup") || streq_ptr(type, "cgroup2")) {
                r = mount_cgroup(ctx, m, target);
                if (r < 0)
                        return r;
        } else {
                if (m->flags & MS_REMOUNT)
                        return mount_fd(NULL, target, NULL, m->flags, m->data);
                r = mount_fd(m->source ?: type, target, type, m->flags, m->data);
                if (r < 0)
                        return r;
        }
        /* The fd still names the directory below the new mount: look the path up again. */
        if ((r = reopen(ctx, m->destination, &target)) < 0)
                return r;
        if (streq_ptr(type, "proc") && verify_fs_type(target, PROC_SUPER_MAGIC) < 0) {
                STEP("the mount on '%s' is not procfs", m->destination);
                return -EXDEV;
        }
        if (m->propagation) {
                r = mount_fd(NULL, target, NULL, m->propagation, NULL);
                if (r < 0)
                        return r;
        }
        if (m->attr_set || m->attr_clr) {
                r = apply_attrs(target, m->attr_set, m->attr_clr);
                if (r < 0)
                        return r;
        }
        return 0;
}

int rootfs_mount_all(RootfsContext *ctx)
{
        for (size_t i = 0; i < ctx->config->n_mounts; i++) {
                int r = mount_one(ctx, &ctx->config->mounts[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static const struct {
        const char *name;
        unsigned major, minor;
} default_devices[] = {
        {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static int make_device(RootfsContext *ctx, int devdir, const char *path_in_root, const char *name, char type,
                       unsigned major, unsigned minor, mode_t mode, uid_t uid, gid_t gid, bool set_owner)
{
        _cleanup_close_ int parent = -EBADF;
        const char *base = name;
        int r;

        STEP("creating device '%s'", path_in_root);
        if (devdir < 0 || strchr(name, '/')) {
                /* linux.devices may live anywhere: resolve the parent inside the root */
                _cleanup_free_ char *dir = strdup(path_in_root);
                if (!dir)
                        return -ENOMEM;
                char *slash = strrchr(dir, '/');
                base = path_in_root + (slash - dir) + 1;
                *slash = 0;
                r = rootfs_open_in_root(ctx->rootfs_fd, *dir ? dir : "/", true, false, &parent);
                if (r < 0)
                        return r;
                devdir = parent;
        }
        if (!*base)
                return -EINVAL;

        if (!ctx->userns) {
                mode_t fmt = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
                /* umask 0 for the mknod, so that no chmod by name (which a symlink raced into
                 * place would redirect) is needed afterwards */
                mode_t old_umask = umask(0);
                int k = mknodat(devdir, base, fmt | (mode & 07777), makedev(major, minor));
                umask(old_umask);
                if (k < 0) {
                        if (errno != EEXIST)
                                return negative_errno();
                        /* Something is already there: accept only the same device, never follow a link. */
                        struct stat st;
                        if (fstatat(devdir, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                return negative_errno();
                        if ((st.st_mode & S_IFMT) != fmt ||
                            (type != 'p' && st.st_rdev != makedev(major, minor)))
                                return -EEXIST;
                        return 0;
                }
                if (set_owner && fchownat(devdir, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                        return negative_errno();
                return 0;
        }

        /* In a user namespace mknod is refused: bind the host's node onto an empty file. */
        char host[PATH_MAX];
        /* the host's node at the same path (/dev/net/tun, not /dev//dev/net/tun) */
        snprintf(host, sizeof(host), "%s", path_in_root ? path_in_root : name);
        if (!path_in_root)
                snprintf(host, sizeof(host), "/dev/%s", name);
        int f = openat2_in(devdir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY,
                           RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
        if (f < 0 && f != -EEXIST)
                return f;
        safe_close(f);
        _cleanup_close_ int target = openat2_in(devdir, base, O_PATH, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
        if (target < 0)
                return target;
        return mount_fd(host, target, NULL, MS_BIND, NULL);
}

int rootfs_setup_dev(RootfsContext *ctx)
{
        _cleanup_close_ int dev = -EBADF;
        int r;

        STEP("opening /dev in the rootfs");
        /* /dev itself must be a real directory of the rootfs: a symlink here is an attack. */
        dev = openat2_in(ctx->rootfs_fd, "dev", O_PATH | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
        if (dev == -ENOENT) {
                if (mkdirat(ctx->rootfs_fd, "dev", 0755) < 0 && errno != EEXIST)
                        return negative_errno();
                dev = openat2_in(ctx->rootfs_fd, "dev", O_PATH | O_DIRECTORY,
                                 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
        }
        if (dev < 0)
                return dev == -ELOOP || dev == -ENOTDIR ? -ENOTDIR : dev;

        for (size_t i = 0; i < ELEMENTSOF(default_devices); i++) {
                r = make_device(ctx, dev, NULL, default_devices[i].name, 'c', default_devices[i].major,
                                default_devices[i].minor, 0666, 0, 0, false);
                if (r < 0) {
                        STEP("creating /dev/%s", default_devices[i].name);
                        return r;
                }
        }
        for (size_t i = 0; i < ctx->config->n_devices; i++) {
                const OciDevice *d = &ctx->config->devices[i];
                const char *in_dev = startswith(d->path, "/dev/");
                r = make_device(ctx, in_dev && !strchr(in_dev, '/') ? dev : -EBADF, d->path,
                                in_dev && !strchr(in_dev, '/') ? in_dev : d->path, d->type,
                                (unsigned)d->major, (unsigned)d->minor,
                                d->has_file_mode ? d->file_mode : 0666, d->uid, d->gid,
                                d->has_uid || d->has_gid);
                if (r < 0)
                        return r;
        }

        static const struct {
                const char *target, *name;
        } links[] = {
                {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
                {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"},
        };
        STEP("creating /dev symlinks");
        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (symlinkat(links[i].target, dev, links[i].name) < 0 && errno != EEXIST)
                        return negative_errno();
        /* /dev/ptmx must reach the container's own devpts instance */
        struct stat st;
        if (fstatat(dev, "pts/ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (unlinkat(dev, "ptmx", 0) < 0 && errno != ENOENT)
                        return negative_errno();
                if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
                        return negative_errno();
        }
        return 0;
}

int rootfs_pivot(RootfsContext *ctx, bool no_pivot)
{
        STEP("changing into the rootfs");
        if (fchdir(ctx->rootfs_fd) < 0)
                return negative_errno();
        if (no_pivot) {
                /* For ramfs roots, where pivot_root is impossible. */
                STEP("moving the rootfs to /");
                if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
                        return negative_errno();
                if (chroot(".") < 0)
                        return negative_errno();
        } else {
                STEP("pivot_root");
                /* Stack the old root on the new one and detach it: no temporary directory in
                 * the rootfs is needed. Only the old root is made a slave before the detach, so
                 * its unmount cannot propagate to the host, while the container's own mounts
                 * keep the propagation the config gave them. */
                _cleanup_close_ int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (oldroot < 0)
                        return negative_errno();
                if (syscall(SYS_pivot_root, ".", ".") < 0)
                        return negative_errno();
                if (fchdir(oldroot) < 0)
                        return negative_errno();
                if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                        return negative_errno();
                if (umount2(".", MNT_DETACH) < 0)
                        return negative_errno();
        }
        if (chdir("/") < 0)
                return negative_errno();
        return 0;
}

/* After pivot_root every mount goes through fds only (open_tree, fsmount, move_mount,
 * mount_setattr): no path through the container's /proc/self/fd, which a config mount could
 * have covered with links of its own. */

static int open_target(const char *path, int *ret)
{
        int fd = openat2_in(AT_FDCWD, path, O_PATH | O_NOFOLLOW, RESOLVE_NO_MAGICLINKS);
        if (fd < 0)
                return fd;
        *ret = fd;
        return 0;
}

static int empty_tmpfs(int *ret)
{
        _cleanup_close_ int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
        if (fs < 0)
                return negative_errno();
        if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "0", 0) < 0 ||
            syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "000", 0) < 0 ||
            syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return negative_errno();
        int m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
                             MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        if (m < 0)
                return negative_errno();
        *ret = m;
        return 0;
}

static int mask_path(RootfsContext *ctx, const char *path)
{
        _cleanup_close_ int target = -EBADF, tree = -EBADF;
        struct stat st;
        int r;

        STEP("masking '%s'", path);
        r = open_target(path, &target);
        if (r == -ENOENT)
                return 0; /* nothing there to hide */
        if (r < 0)
                return r;
        if (fstatat(target, "", &st, AT_EMPTY_PATH) < 0)
                return negative_errno();
        /* A symlink in place of a masked path is never followed; it cannot be covered either,
         * so fail closed rather than leave the path unmasked. */
        if (S_ISLNK(st.st_mode))
                return -ELOOP;
        if (S_ISDIR(st.st_mode))
                r = empty_tmpfs(&tree);
        else {
                /* the container's /dev/null, checked to be 1:3 by rootfs_finalize() */
                tree = (int)syscall(SYS_open_tree, ctx->dev_null_fd, "",
                                    OPEN_TREE_CLONE | AT_EMPTY_PATH | OPEN_TREE_CLOEXEC);
                r = tree < 0 ? negative_errno() : 0;
        }
        if (r < 0)
                return r;
        return move_onto(tree, target);
}

static int readonly_path(const char *path)
{
        _cleanup_close_ int target = -EBADF, tree = -EBADF;
        int r;

        STEP("making '%s' read-only", path);
        r = open_target(path, &target);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        tree = (int)syscall(SYS_open_tree, target, "",
                            OPEN_TREE_CLONE | AT_RECURSIVE | AT_EMPTY_PATH | OPEN_TREE_CLOEXEC);
        if (tree < 0)
                return negative_errno();
        r = apply_attrs(tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                        0);
        if (r < 0)
                return r;
        return move_onto(tree, target);
}

int rootfs_finalize(RootfsContext *ctx)
{
        int r;
        if (ctx->config->masked_paths) {
                /* Mask with the container's own /dev/null (the host's is gone after pivot_root),
                 * checked to be the real device: a symlink or a file planted there must not be
                 * what covers /proc/kcore. */
                struct stat st;
                STEP("opening /dev/null for masking");
                safe_close(ctx->dev_null_fd);
                ctx->dev_null_fd =
                        openat2_in(AT_FDCWD, "/dev/null", O_PATH | O_NOFOLLOW, RESOLVE_NO_SYMLINKS);
                if (ctx->dev_null_fd < 0)
                        return ctx->dev_null_fd;
                if (fstat(ctx->dev_null_fd, &st) < 0)
                        return negative_errno();
                if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
                        STEP("refusing to mask paths: /dev/null is not the null device");
                        return -EPERM;
                }
        }
        STRV_FOREACH (p, ctx->config->masked_paths) {
                r = mask_path(ctx, *p);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH (p, ctx->config->readonly_paths) {
                r = readonly_path(*p);
                if (r < 0)
                        return r;
        }
        if (ctx->config->root_readonly) {
                STEP("making the rootfs read-only");
                _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (root < 0)
                        return negative_errno();
                struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
                /* only the root mount itself: what the config mounted below keeps its own flags */
                if (syscall(SYS_mount_setattr, root, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                        return negative_errno();
        }
        /* last: an unbindable tree cannot be cloned for the masks above */
        unsigned long prop = ctx->config->rootfs_propagation;
        if (prop && !(prop & MS_PRIVATE)) {
                STEP("applying rootfsPropagation");
                if (mount(NULL, "/", NULL, prop | MS_REC, NULL) < 0)
                        return negative_errno();
        }
        return 0;
}
