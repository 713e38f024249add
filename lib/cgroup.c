/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "json-util.h"
#include "util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define JPATH_MAX 512
/* cgroup.procs of a big group, mountinfo of a busy host */
#define CG_READ_MAX (16U * 1024U * 1024U)
#define FREEZE_TIMEOUT_USEC (5U * 1000U * 1000U)
#define RMDIR_BUSY_TIMEOUT_USEC (1000U * 1000U)
#define TREE_DEPTH_MAX 64U

static char *arg_test_root, *arg_test_self;
static __thread char last_error[PATH_MAX + 128];

typedef struct CgroupHierarchy {
        char *controllers; /* "memory", "cpu,cpuacct", "name=systemd"; "" for cgroup2 */
        char *mount; /* mount point on the host */
        char *path; /* the group, absolute within the hierarchy */
        char *dir; /* mount + path */
        unsigned created; /* trailing components of path that cgroup_create made */
        bool unified;
} CgroupHierarchy;

struct Cgroup {
        CgroupLayout layout;
        CgroupHierarchy *hier;
        size_t n_hier;
};

/* A cgroup mount found on the host, before the group's path is known. */
typedef struct CgroupMount {
        char *controllers;
        char *mount;
        char *root; /* the mount's root within the hierarchy (field 4 of mountinfo) */
        bool unified;
} CgroupMount;

/* ---- errors and small helpers ---- */

const char *cgroup_last_error_path(void)
{
        return last_error;
}

static void clear_error(void)
{
        last_error[0] = 0;
}

/* Remember what failed ("dir/file", or either alone) and pass r through. */
static int fail_at(int r, const char *dir, const char *file)
{
        if (dir && file)
                snprintf(last_error, sizeof(last_error), "%s/%s", dir, file);
        else
                snprintf(last_error, sizeof(last_error), "%s", dir ?: file ?: "");
        return r;
}

static int fail_detail(int r, const char *dir, const char *file, const char *detail)
{
        fail_at(r, dir, file);
        size_t l = strlen(last_error);
        snprintf(last_error + l, sizeof(last_error) - l, " (%s)", detail);
        return r;
}

static const char *cgroup_root(void)
{
        return arg_test_root ?: CGROUP_ROOT;
}

void cgroup_set_test_root(const char *root, const char *self_cgroup)
{
        free(arg_test_root);
        free(arg_test_self);
        arg_test_root = root ? strdup(root) : NULL;
        arg_test_self = root && self_cgroup ? strdup(self_cgroup) : NULL;
}

const char *cgroup_layout_to_string(CgroupLayout l)
{
        switch (l) {
        case CGROUP_LAYOUT_UNIFIED:
                return "unified";
        case CGROUP_LAYOUT_HYBRID:
                return "hybrid";
        case CGROUP_LAYOUT_LEGACY:
                return "legacy";
        }
        return NULL;
}

static int cgroup_layout_from_string(const char *s, CgroupLayout *ret)
{
        for (CgroupLayout l = CGROUP_LAYOUT_UNIFIED; l <= CGROUP_LAYOUT_LEGACY; l++)
                if (streq(s, cgroup_layout_to_string(l))) {
                        *ret = l;
                        return 0;
                }
        return -EINVAL;
}

static uint64_t now_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000U + (uint64_t)ts.tv_nsec / 1000U;
}

static void sleep_usec(unsigned usec)
{
        struct timespec ts = {.tv_sec = usec / 1000000U, .tv_nsec = (long)(usec % 1000000U) * 1000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static char *strip(char *s)
{
        while (isspace((unsigned char)*s))
                s++;
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char)s[n - 1]))
                s[--n] = 0;
        return s;
}

/* Is c one of the comma-separated entries of list? */
static bool list_has(const char *list, const char *c)
{
        size_t cl = strlen(c);
        for (const char *p = list; p && *p;) {
                size_t n = strcspn(p, ",");
                if (n == cl && strncmp(p, c, n) == 0)
                        return true;
                p += n;
                if (*p == ',')
                        p++;
        }
        return false;
}

/* Same set of comma-separated entries, in any order: mountinfo and /proc/self/cgroup need not
 * agree on the order. */
static bool list_equal(const char *a, const char *b)
{
        size_t na = 0, nb = 0;
        for (const char *p = a; *p;) {
                size_t n = strcspn(p, ",");
                if (n > 0) {
                        char *tok = strndupa(p, n);
                        if (!list_has(b, tok))
                                return false;
                        na++;
                }
                p += n;
                if (*p == ',')
                        p++;
        }
        for (const char *p = b; *p;) {
                size_t n = strcspn(p, ",");
                if (n > 0)
                        nb++;
                p += n;
                if (*p == ',')
                        p++;
        }
        return na == nb;
}

/* Is t one of the space-separated words of s? */
static bool word_has(const char *s, const char *t)
{
        size_t tl = strlen(t);
        for (const char *p = s; p && *p;) {
                p += strspn(p, " \t\n");
                size_t n = strcspn(p, " \t\n");
                /* a fake tree's subtree_control may still hold what we wrote ("+memory") */
                const char *w = p;
                size_t wl = n;
                if (wl > 0 && *w == '+') {
                        w++;
                        wl--;
                }
                if (wl == tl && strncmp(w, t, wl) == 0)
                        return true;
                p += n;
        }
        return false;
}

static char *path_join(const char *a, const char *b)
{
        char *s;
        if (streq(b, "/") || !*b)
                return strdup(a);
        if (streq(a, "/"))
                return *b == '/' ? strdup(b) : (asprintf(&s, "/%s", b) < 0 ? NULL : s);
        if (asprintf(&s, "%s%s%s", a, *b == '/' ? "" : "/", b) < 0)
                return NULL;
        return s;
}

/* "/a/b" under prefix "/a" is "/b"; NULL if not under it. */
static const char *path_under(const char *path, const char *prefix)
{
        if (streq(prefix, "/"))
                return path;
        size_t l = strlen(prefix);
        if (strncmp(path, prefix, l) != 0 || (path[l] != 0 && path[l] != '/'))
                return NULL;
        return path[l] ? path + l : "/";
}

static size_t path_components(const char *p)
{
        size_t n = 0;
        for (const char *s = p; *s;) {
                s += strspn(s, "/");
                if (!*s)
                        break;
                n++;
                s += strcspn(s, "/");
        }
        return n;
}

/* A group name: components separated by single slashes, none "." or "..", none empty, no
 * newline (the kernel refuses it), not the hierarchy root itself. */
static int cgroup_path_valid(const char *p)
{
        const char *s = p;
        if (*s == '/')
                s++;
        if (!*s)
                return -EINVAL;
        while (*s) {
                size_t n = strcspn(s, "/");
                if (n == 0 || n > NAME_MAX)
                        return -EINVAL;
                if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
                        return -EINVAL;
                if (memchr(s, '\n', n))
                        return -EINVAL;
                s += n;
                if (*s == '/') {
                        s++;
                        if (!*s)
                                return -EINVAL;
                }
        }
        return 0;
}

/* ---- file access below a group directory ---- */

static bool file_exists(int dfd, const char *file)
{
        return faccessat(dfd, file, F_OK, AT_SYMLINK_NOFOLLOW) >= 0;
}

static int open_control(int dfd, const char *file)
{
        /* cgroupfs ignores O_TRUNC; a fake tree's regular files need it */
        int flags = O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW;
        if (arg_test_root)
                flags |= O_CREAT;
        return openat(dfd, file, flags, 0644);
}

/* One value in one write(): cgroupfs parses each write on its own. */
static int write_value(int dfd, const char *dir, const char *file, const char *value)
{
        _cleanup_close_ int fd = open_control(dfd, file);
        if (fd < 0)
                return fail_at(negative_errno(), dir, file);
        size_t n = strlen(value);
        ssize_t k = write(fd, value, n);
        if (k < 0)
                return fail_at(negative_errno(), dir, file);
        if ((size_t)k != n)
                return fail_at(-EIO, dir, file);
        return 0;
}

/* Several entries (devices.allow rules, io.max lines): one write() each, in order. */
static int write_lines(int dfd, const char *dir, const char *file, char **lines)
{
        if (!lines || !lines[0])
                return 0;
        _cleanup_close_ int fd = open_control(dfd, file);
        if (fd < 0)
                return fail_at(negative_errno(), dir, file);
        STRV_FOREACH (l, lines) {
                _cleanup_free_ char *s = NULL;
                if (asprintf(&s, "%s\n", *l) < 0)
                        return -ENOMEM;
                ssize_t k = write(fd, s, strlen(s));
                if (k < 0)
                        return fail_at(negative_errno(), dir, file);
                if ((size_t)k != strlen(s))
                        return fail_at(-EIO, dir, file);
        }
        return 0;
}

static int write_int64(int dfd, const char *dir, const char *file, int64_t v)
{
        char buf[32];
        snprintf(buf, sizeof(buf), "%" PRId64, v);
        return write_value(dfd, dir, file, buf);
}

static int write_uint64(int dfd, const char *dir, const char *file, uint64_t v)
{
        char buf[32];
        snprintf(buf, sizeof(buf), "%" PRIu64, v);
        return write_value(dfd, dir, file, buf);
}

/* v2 spells "unlimited" as "max" */
static int write_max_or(int dfd, const char *dir, const char *file, int64_t v)
{
        return v < 0 ? write_value(dfd, dir, file, "max") : write_int64(dfd, dir, file, v);
}

static int read_text(int dfd, const char *file, char **ret)
{
        char *s = NULL;
        int r = read_full_file_at(dfd, file, CG_READ_MAX, &s, NULL);
        if (r < 0)
                return r;
        *ret = s;
        return 0;
}

/* A number, "max" reading as UINT64_MAX. */
static int read_u64(int dfd, const char *file, uint64_t *ret)
{
        _cleanup_free_ char *s = NULL;
        int r = read_text(dfd, file, &s);
        if (r < 0)
                return r;
        char *v = strip(s);
        if (streq(v, "max")) {
                *ret = UINT64_MAX;
                return 0;
        }
        return safe_atou64(v, ret);
}

/* "key value" lines (cgroup.events, cpu.stat, memory.stat). */
static int read_keyed(int dfd, const char *file, const char *key, uint64_t *ret)
{
        _cleanup_free_ char *s = NULL;
        int r = read_text(dfd, file, &s);
        if (r < 0)
                return r;
        size_t kl = strlen(key);
        for (char *line = s; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = 0;
                if (strncmp(line, key, kl) == 0 && line[kl] == ' ')
                        return safe_atou64(strip(line + kl + 1), ret);
                line = nl ? nl + 1 : NULL;
        }
        return -ENOENT;
}

static int group_open(const CgroupHierarchy *h)
{
        int fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return fail_at(negative_errno(), h->dir, NULL);
        return fd;
}

/* ---- conversions shared with the systemd property translation ---- */

uint64_t cgroup_cpu_shares_to_weight(uint64_t shares)
{
        /* the kernel clamps v1 shares to [2, 262144]; map that range linearly onto [1, 10000] */
        if (shares < 2)
                shares = 2;
        if (shares > 262144)
                shares = 262144;
        return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cgroup_blkio_weight_to_io_weight(uint64_t weight)
{
        /* blkio.weight [10, 1000] onto io.weight [1, 10000] */
        if (weight < 10)
                weight = 10;
        if (weight > 1000)
                weight = 1000;
        return 1 + ((weight - 10) * 9999) / 990;
}

int cgroup_swap_to_v2(int64_t limit, int64_t swap, int64_t *ret)
{
        /* OCI (like v1 memsw) limits memory+swap; v2's memory.swap.max limits swap alone. */
        if (swap == 0) {
                /* unlimited memory with swap unsaid means both unlimited, as on v1 */
                if (limit == -1) {
                        *ret = -1;
                        return 1;
                }
                return 0;
        }
        if (swap == -1) {
                *ret = -1;
                return 1;
        }
        if (limit <= 0 || swap < limit)
                return -EINVAL;
        *ret = swap - limit;
        return 1;
}

/* ---- parsing linux.resources ---- */

static json_t *member(json_t *obj, const char *key)
{
        json_t *v = json_object_get(obj, key);
        return v && !json_is_null(v) ? v : NULL;
}

static const char *path_map_key(char *buf, const char *parent, const char *key)
{
        snprintf(buf, JPATH_MAX, "%s[\"%s\"]", parent, key);
        return buf;
}

/* json-util reports a missing required member as -ENOENT; ours is -EINVAL throughout. */
static int einval(int r)
{
        return r == -ENOENT ? -EINVAL : r;
}

static int read_limit(json_t *o, const char *key, const char *path, bool *has, int64_t *ret, char **err)
{
        int64_t v;
        int r = json_read_int64(o, key, path, false, &v, err);
        if (r <= 0)
                return r;
        if (v < -1) {
                char p[JPATH_MAX];
                return json_err(err, json_path_key(p, path, key),
                                "must be -1 (unlimited) or a non-negative number, got %" PRId64, v);
        }
        *has = true;
        *ret = v;
        return 1;
}

static int read_u64_opt(json_t *o, const char *key, const char *path, bool *has, uint64_t *ret, char **err)
{
        int r = json_read_uint64(o, key, path, false, ret, err);
        if (r > 0)
                *has = true;
        return r;
}

static int read_u16(json_t *o, const char *key, const char *path, bool required, bool *has, uint16_t *ret,
                    char **err)
{
        uint64_t v;
        int r = json_read_uint64(o, key, path, required, &v, err);
        if (r <= 0)
                return einval(r);
        if (v > UINT16_MAX) {
                char p[JPATH_MAX];
                return json_err(err, json_path_key(p, path, key), "value %" PRIu64 " out of range (0-65535)",
                                v);
        }
        if (has)
                *has = true;
        *ret = (uint16_t)v;
        return 1;
}

/* major/minor: int64 in the schema; -1 means "any" where wildcards are allowed. */
static int read_devnum(json_t *o, const char *key, const char *path, bool wildcard, int64_t *ret, char **err)
{
        int64_t v;
        int r = json_read_int64(o, key, path, !wildcard, &v, err);
        if (r <= 0)
                return einval(r);
        if ((v < 0 && !(wildcard && v == -1)) || v > UINT32_MAX) {
                char p[JPATH_MAX];
                return json_err(err, json_path_key(p, path, key), "invalid device number %" PRId64, v);
        }
        *ret = v;
        return 1;
}

/* The kernel's list format for cpuset.cpus/mems: "0-3,7", also "0-15:2/4" (stride). */
static bool cpu_list_valid(const char *s)
{
        const char *p = s;
        while (*p) {
                char *end;
                if (!isdigit((unsigned char)*p))
                        return false;
                unsigned long a = strtoul(p, &end, 10);
                p = end;
                if (*p == '-') {
                        p++;
                        if (!isdigit((unsigned char)*p))
                                return false;
                        unsigned long b = strtoul(p, &end, 10);
                        p = end;
                        if (b < a)
                                return false;
                        if (*p == ':') {
                                p++;
                                if (!isdigit((unsigned char)*p))
                                        return false;
                                strtoul(p, &end, 10);
                                p = end;
                                if (*p != '/' || !isdigit((unsigned char)p[1]))
                                        return false;
                                strtoul(p + 1, &end, 10);
                                p = end;
                        }
                }
                if (*p == ',') {
                        p++;
                        if (!*p)
                                return false;
                } else if (*p)
                        return false;
        }
        return true;
}

static int read_cpu_list(json_t *o, const char *key, const char *path, char **ret, char **err)
{
        _cleanup_free_ char *s = NULL;
        int r = json_read_string(o, key, path, false, &s, err);
        if (r <= 0)
                return r;
        if (!*s) /* runc treats "" as unset */
                return 0;
        if (!cpu_list_valid(s)) {
                char p[JPATH_MAX];
                return json_err(err, json_path_key(p, path, key),
                                "invalid list '%s', expected e.g. \"0-3,7\"", s);
        }
        free(*ret);
        *ret = TAKE_PTR(s);
        return 1;
}

static int parse_memory(json_t *m, const char *path, CgroupResources *res, char **err)
{
        char p[JPATH_MAX];
        int r;
        if ((r = json_expect_object(m, path, err)) < 0)
                return r;
        if ((r = read_limit(m, "limit", path, &res->memory.has_limit, &res->memory.limit, err)) < 0 ||
            (r = read_limit(m, "reservation", path, &res->memory.has_reservation, &res->memory.reservation,
                            err)) < 0 ||
            (r = read_limit(m, "swap", path, &res->memory.has_swap, &res->memory.swap, err)) < 0 ||
            (r = read_limit(m, "kernel", path, &res->memory.has_kernel, &res->memory.kernel, err)) < 0 ||
            (r = read_limit(m, "kernelTCP", path, &res->memory.has_kernel_tcp, &res->memory.kernel_tcp,
                            err)) < 0)
                return r;
        r = read_u64_opt(m, "swappiness", path, &res->memory.has_swappiness, &res->memory.swappiness, err);
        if (r < 0)
                return r;
        if (r > 0 && res->memory.swappiness > 100)
                return json_err(err, json_path_key(p, path, "swappiness"),
                                "must be between 0 and 100, got %" PRIu64, res->memory.swappiness);
        r = json_read_bool(m, "disableOOMKiller", path, &res->memory.disable_oom_killer, err);
        if (r < 0)
                return r;
        res->memory.has_disable_oom_killer = r > 0;
        r = json_read_bool(m, "useHierarchy", path, &res->memory.use_hierarchy, err);
        if (r < 0)
                return r;
        res->memory.has_use_hierarchy = r > 0;
        r = json_read_bool(m, "checkBeforeUpdate", path, &res->memory.check_before_update, err);
        if (r < 0)
                return r;

        /* memory+swap can never be below memory alone, neither on v1 nor after conversion on v2 */
        if (res->memory.has_swap && res->memory.swap > 0 && res->memory.has_limit) {
                if (res->memory.limit == -1)
                        return json_err(err, json_path_key(p, path, "swap"),
                                        "a finite memory+swap limit needs a finite memory limit");
                if (res->memory.limit > 0 && res->memory.swap < res->memory.limit)
                        return json_err(err, json_path_key(p, path, "swap"),
                                        "memory+swap limit %" PRId64 " is below the memory limit %" PRId64,
                                        res->memory.swap, res->memory.limit);
        }
        return 0;
}

static int parse_cpu(json_t *c, const char *path, CgroupResources *res, char **err)
{
        char p[JPATH_MAX];
        int r;
        if ((r = json_expect_object(c, path, err)) < 0)
                return r;
        if ((r = read_u64_opt(c, "shares", path, &res->cpu.has_shares, &res->cpu.shares, err)) < 0 ||
            (r = read_limit(c, "quota", path, &res->cpu.has_quota, &res->cpu.quota, err)) < 0 ||
            (r = read_u64_opt(c, "burst", path, &res->cpu.has_burst, &res->cpu.burst, err)) < 0 ||
            (r = read_u64_opt(c, "period", path, &res->cpu.has_period, &res->cpu.period, err)) < 0 ||
            (r = read_limit(c, "realtimeRuntime", path, &res->cpu.has_rt_runtime, &res->cpu.rt_runtime,
                            err)) < 0 ||
            (r = read_u64_opt(c, "realtimePeriod", path, &res->cpu.has_rt_period, &res->cpu.rt_period,
                              err)) < 0 ||
            (r = read_cpu_list(c, "cpus", path, &res->cpu.cpus, err)) < 0 ||
            (r = read_cpu_list(c, "mems", path, &res->cpu.mems, err)) < 0)
                return r;
        r = json_read_int64(c, "idle", path, false, &res->cpu.idle, err);
        if (r < 0)
                return r;
        if (r > 0) {
                if (res->cpu.idle != 0 && res->cpu.idle != 1)
                        return json_err(err, json_path_key(p, path, "idle"), "must be 0 or 1, got %" PRId64,
                                        res->cpu.idle);
                res->cpu.has_idle = true;
        }
        if (res->cpu.has_burst && res->cpu.has_quota && res->cpu.quota > 0 &&
            res->cpu.burst > (uint64_t)res->cpu.quota)
                return json_err(err, json_path_key(p, path, "burst"),
                                "%" PRIu64 " is larger than the quota %" PRId64, res->cpu.burst,
                                res->cpu.quota);
        return 0;
}

static int parse_pids(json_t *o, const char *path, CgroupResources *res, char **err)
{
        char p[JPATH_MAX];
        int r;
        if ((r = json_expect_object(o, path, err)) < 0)
                return r;
        r = json_read_int64(o, "limit", path, true, &res->pids_limit, err);
        if (r < 0)
                return einval(r);
        if (res->pids_limit < -1)
                return json_err(err, json_path_key(p, path, "limit"),
                                "must be -1 (unlimited) or a non-negative number, got %" PRId64,
                                res->pids_limit);
        res->has_pids_limit = true;
        return 0;
}

static int parse_throttle(json_t *o, const char *key, const char *path, CgroupBlkioThrottleDevice **ret,
                          size_t *ret_n, char **err)
{
        char p[JPATH_MAX], ip[JPATH_MAX];
        int r;
        json_t *a = member(o, key), *e;
        size_t i;
        if (!a)
                return 0;
        json_path_key(p, path, key);
        if ((r = json_expect_array(a, p, err)) < 0)
                return r;
        CgroupBlkioThrottleDevice *l = calloc(json_array_size(a) + 1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        free(*ret);
        *ret = l;
        *ret_n = 0;
        json_array_foreach (a, i, e) {
                json_path_index(ip, p, i);
                if ((r = json_expect_object(e, ip, err)) < 0 ||
                    (r = read_devnum(e, "major", ip, false, &l[i].major, err)) < 0 ||
                    (r = read_devnum(e, "minor", ip, false, &l[i].minor, err)) < 0 ||
                    (r = einval(json_read_uint64(e, "rate", ip, true, &l[i].rate, err))) < 0)
                        return r;
                (*ret_n)++;
        }
        return 0;
}

static int parse_blkio(json_t *o, const char *path, CgroupResources *res, char **err)
{
        static const char *const throttle_keys[_CGROUP_THROTTLE_MAX] = {
                [CGROUP_THROTTLE_READ_BPS] = "throttleReadBpsDevice",
                [CGROUP_THROTTLE_WRITE_BPS] = "throttleWriteBpsDevice",
                [CGROUP_THROTTLE_READ_IOPS] = "throttleReadIOPSDevice",
                [CGROUP_THROTTLE_WRITE_IOPS] = "throttleWriteIOPSDevice",
        };
        char p[JPATH_MAX], ip[JPATH_MAX];
        int r;
        if ((r = json_expect_object(o, path, err)) < 0)
                return r;
        if ((r = read_u16(o, "weight", path, false, &res->blkio.has_weight, &res->blkio.weight, err)) < 0 ||
            (r = read_u16(o, "leafWeight", path, false, &res->blkio.has_leaf_weight, &res->blkio.leaf_weight,
                          err)) < 0)
                return r;

        json_t *a = member(o, "weightDevice"), *e;
        if (a) {
                size_t i;
                json_path_key(p, path, "weightDevice");
                if ((r = json_expect_array(a, p, err)) < 0)
                        return r;
                CgroupBlkioWeightDevice *l = calloc(json_array_size(a) + 1, sizeof(*l));
                if (!l)
                        return -ENOMEM;
                res->blkio.weight_devices = l;
                json_array_foreach (a, i, e) {
                        json_path_index(ip, p, i);
                        if ((r = json_expect_object(e, ip, err)) < 0 ||
                            (r = read_devnum(e, "major", ip, false, &l[i].major, err)) < 0 ||
                            (r = read_devnum(e, "minor", ip, false, &l[i].minor, err)) < 0 ||
                            (r = read_u16(e, "weight", ip, false, &l[i].has_weight, &l[i].weight, err)) <
                                    0 ||
                            (r = read_u16(e, "leafWeight", ip, false, &l[i].has_leaf_weight,
                                          &l[i].leaf_weight, err)) < 0)
                                return r;
                        if (!l[i].has_weight && !l[i].has_leaf_weight)
                                return json_err(err, ip, "needs 'weight' or 'leafWeight'");
                        res->blkio.n_weight_devices++;
                }
        }

        for (CgroupThrottleKind k = 0; k < _CGROUP_THROTTLE_MAX; k++) {
                r = parse_throttle(o, throttle_keys[k], path, &res->blkio.throttle[k],
                                   &res->blkio.n_throttle[k], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* "<size><K|M|G>B" as in the kernel's hugetlb.<size>.* file names. */
static bool page_size_valid(const char *s)
{
        if (*s < '1' || *s > '9')
                return false;
        while (isdigit((unsigned char)*s))
                s++;
        return (s[0] == 'K' || s[0] == 'M' || s[0] == 'G') && s[1] == 'B' && s[2] == 0;
}

static int parse_hugepages(json_t *a, const char *path, CgroupResources *res, char **err)
{
        char ip[JPATH_MAX], kp[JPATH_MAX];
        int r;
        json_t *e;
        size_t i;
        if ((r = json_expect_array(a, path, err)) < 0)
                return r;
        CgroupHugepageLimit *l = calloc(json_array_size(a) + 1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        res->hugepage_limits = l;
        json_array_foreach (a, i, e) {
                json_path_index(ip, path, i);
                if ((r = json_expect_object(e, ip, err)) < 0)
                        return r;
                res->n_hugepage_limits++;
                if ((r = einval(json_read_string(e, "pageSize", ip, true, &l[i].page_size, err))) < 0)
                        return r;
                if (!page_size_valid(l[i].page_size))
                        return json_err(err, json_path_key(kp, ip, "pageSize"),
                                        "invalid page size '%s', expected e.g. \"2MB\"", l[i].page_size);
                if ((r = einval(json_read_uint64(e, "limit", ip, true, &l[i].limit, err))) < 0)
                        return r;
        }
        return 0;
}

static bool ifname_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 15 || streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *p = s; *p; p++)
                if (*p == '/' || *p == ':' || isspace((unsigned char)*p) || !isprint((unsigned char)*p))
                        return false;
        return true;
}

static int parse_network(json_t *o, const char *path, CgroupResources *res, char **err)
{
        char p[JPATH_MAX], ip[JPATH_MAX], kp[JPATH_MAX];
        int r;
        if ((r = json_expect_object(o, path, err)) < 0)
                return r;
        r = json_read_uint32(o, "classID", path, false, &res->net_class_id, err);
        if (r < 0)
                return r;
        res->has_net_class_id = r > 0;

        json_t *a = member(o, "priorities"), *e;
        size_t i;
        if (!a)
                return 0;
        json_path_key(p, path, "priorities");
        if ((r = json_expect_array(a, p, err)) < 0)
                return r;
        CgroupNetPriority *l = calloc(json_array_size(a) + 1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        res->net_priorities = l;
        json_array_foreach (a, i, e) {
                json_path_index(ip, p, i);
                if ((r = json_expect_object(e, ip, err)) < 0)
                        return r;
                res->n_net_priorities++;
                if ((r = einval(json_read_string(e, "name", ip, true, &l[i].name, err))) < 0)
                        return r;
                if (!ifname_valid(l[i].name))
                        return json_err(err, json_path_key(kp, ip, "name"), "invalid interface name '%s'",
                                        l[i].name);
                if ((r = einval(json_read_uint32(e, "priority", ip, true, &l[i].priority, err))) < 0)
                        return r;
        }
        return 0;
}

static bool word_valid(const char *s)
{
        if (!*s)
                return false;
        for (const char *p = s; *p; p++)
                if (isspace((unsigned char)*p) || !isprint((unsigned char)*p))
                        return false;
        return true;
}

static int parse_rdma(json_t *o, const char *path, CgroupResources *res, char **err)
{
        char kp[JPATH_MAX];
        const char *key;
        json_t *e;
        int r;
        if ((r = json_expect_object(o, path, err)) < 0)
                return r;
        CgroupRdmaLimit *l = calloc(json_object_size(o) + 1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        res->rdma = l;
        json_object_foreach (o, key, e) {
                path_map_key(kp, path, key);
                CgroupRdmaLimit *x = &l[res->n_rdma];
                if (!word_valid(key))
                        return json_err(err, kp, "invalid device name");
                if ((r = json_expect_object(e, kp, err)) < 0)
                        return r;
                x->device = strdup(key);
                if (!x->device)
                        return -ENOMEM;
                res->n_rdma++;
                r = json_read_uint32(e, "hcaHandles", kp, false, &x->hca_handles, err);
                if (r < 0)
                        return r;
                x->has_hca_handles = r > 0;
                r = json_read_uint32(e, "hcaObjects", kp, false, &x->hca_objects, err);
                if (r < 0)
                        return r;
                x->has_hca_objects = r > 0;
                if (!x->has_hca_handles && !x->has_hca_objects)
                        return json_err(err, kp, "needs 'hcaHandles' or 'hcaObjects'");
        }
        return 0;
}

/* A file directly in the group: no path, nothing hidden. */
static bool unified_key_valid(const char *k)
{
        return *k && *k != '.' && !strchr(k, '/') && !strchr(k, '\n') && strchr(k, '.');
}

static int parse_unified(json_t *o, const char *path, CgroupResources *res, char **err)
{
        char kp[JPATH_MAX];
        const char *key;
        json_t *e;
        int r;
        if ((r = json_expect_object(o, path, err)) < 0)
                return r;
        size_t n = json_object_size(o);
        res->unified_keys = calloc(n + 1, sizeof(char *));
        res->unified_values = calloc(n + 1, sizeof(char *));
        if (!res->unified_keys || !res->unified_values)
                return -ENOMEM;
        size_t i = 0;
        json_object_foreach (o, key, e) {
                path_map_key(kp, path, key);
                if (!unified_key_valid(key))
                        return json_err(err, kp, "not a cgroup file name");
                if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e))
                        return json_err(err, kp, "expected a string without NUL bytes");
                res->unified_keys[i] = strdup(key);
                res->unified_values[i] = strdup(json_string_value(e));
                if (!res->unified_keys[i] || !res->unified_values[i]) {
                        i++;
                        return -ENOMEM;
                }
                i++;
        }
        return 0;
}

static int parse_devices(json_t *a, const char *path, CgroupResources *res, char **err)
{
        char ip[JPATH_MAX], kp[JPATH_MAX];
        json_t *e;
        size_t i;
        int r;
        if ((r = json_expect_array(a, path, err)) < 0)
                return r;
        CgroupDeviceRule *l = calloc(json_array_size(a) + 1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        res->devices = l;
        res->has_devices = true;
        json_array_foreach (a, i, e) {
                CgroupDeviceRule *d = &l[i];
                json_path_index(ip, path, i);
                if ((r = json_expect_object(e, ip, err)) < 0)
                        return r;
                if (!member(e, "allow"))
                        return json_err(err, json_path_key(kp, ip, "allow"), "required but missing");
                if ((r = json_read_bool(e, "allow", ip, &d->allow, err)) < 0)
                        return r;

                _cleanup_free_ char *type = NULL, *access = NULL;
                if ((r = json_read_string(e, "type", ip, false, &type, err)) < 0)
                        return r;
                d->type = 'a';
                if (type) {
                        if (!streq(type, "a") && !streq(type, "c") && !streq(type, "b"))
                                return json_err(err, json_path_key(kp, ip, "type"),
                                                "must be \"a\", \"c\" or \"b\", got '%s'", type);
                        d->type = type[0];
                }
                d->major = d->minor = -1;
                if ((r = read_devnum(e, "major", ip, true, &d->major, err)) < 0 ||
                    (r = read_devnum(e, "minor", ip, true, &d->minor, err)) < 0)
                        return r;

                if ((r = json_read_string(e, "access", ip, false, &access, err)) < 0)
                        return r;
                bool rd = !access, wr = !access, mk = !access;
                if (access) {
                        if (!*access)
                                return json_err(err, json_path_key(kp, ip, "access"), "must not be empty");
                        for (const char *c = access; *c; c++) {
                                bool *f = *c == 'r' ? &rd : *c == 'w' ? &wr : *c == 'm' ? &mk : NULL;
                                if (!f || *f)
                                        return json_err(
                                                err, json_path_key(kp, ip, "access"),
                                                "'%s' is not a combination of \"r\", \"w\" and \"m\"",
                                                access);
                                *f = true;
                        }
                }
                char *o = d->access;
                if (rd)
                        *o++ = 'r';
                if (wr)
                        *o++ = 'w';
                if (mk)
                        *o++ = 'm';
                *o = 0;
                res->n_devices++;
        }
        return 0;
}

CgroupResources *cgroup_resources_free(CgroupResources *r)
{
        if (!r)
                return NULL;
        free(r->cpu.cpus);
        free(r->cpu.mems);
        free(r->blkio.weight_devices);
        for (size_t k = 0; k < _CGROUP_THROTTLE_MAX; k++)
                free(r->blkio.throttle[k]);
        for (size_t i = 0; r->hugepage_limits && r->hugepage_limits[i].page_size; i++)
                free(r->hugepage_limits[i].page_size);
        free(r->hugepage_limits);
        for (size_t i = 0; r->net_priorities && r->net_priorities[i].name; i++)
                free(r->net_priorities[i].name);
        free(r->net_priorities);
        for (size_t i = 0; r->rdma && r->rdma[i].device; i++)
                free(r->rdma[i].device);
        free(r->rdma);
        strv_free(r->unified_keys);
        strv_free(r->unified_values);
        free(r->devices);
        free(r);
        return NULL;
}

int cgroup_resources_parse(json_t *j, const char *path, CgroupResources **ret, char **err)
{
        _cleanup_(cgroup_resources_freep) CgroupResources *res = calloc(1, sizeof(*res));
        char p[JPATH_MAX];
        json_t *v;
        int r;
        if (!res)
                return -ENOMEM;
        if (!path)
                path = "linux.resources";
        if (!j || json_is_null(j)) {
                *ret = TAKE_PTR(res);
                return 0;
        }
        if ((r = json_expect_object(j, path, err)) < 0)
                return r;

        if ((v = member(j, "memory")) &&
            (r = parse_memory(v, json_path_key(p, path, "memory"), res, err)) < 0)
                return r;
        if ((v = member(j, "cpu")) && (r = parse_cpu(v, json_path_key(p, path, "cpu"), res, err)) < 0)
                return r;
        if ((v = member(j, "pids")) && (r = parse_pids(v, json_path_key(p, path, "pids"), res, err)) < 0)
                return r;
        if ((v = member(j, "blockIO")) &&
            (r = parse_blkio(v, json_path_key(p, path, "blockIO"), res, err)) < 0)
                return r;
        if ((v = member(j, "hugepageLimits")) &&
            (r = parse_hugepages(v, json_path_key(p, path, "hugepageLimits"), res, err)) < 0)
                return r;
        if ((v = member(j, "network")) &&
            (r = parse_network(v, json_path_key(p, path, "network"), res, err)) < 0)
                return r;
        if ((v = member(j, "rdma")) && (r = parse_rdma(v, json_path_key(p, path, "rdma"), res, err)) < 0)
                return r;
        if ((v = member(j, "unified")) &&
            (r = parse_unified(v, json_path_key(p, path, "unified"), res, err)) < 0)
                return r;
        if ((v = member(j, "devices")) &&
            (r = parse_devices(v, json_path_key(p, path, "devices"), res, err)) < 0)
                return r;

        *ret = TAKE_PTR(res);
        return 0;
}

/* ---- finding the hierarchies ---- */

int cgroup_detect_layout(CgroupLayout *ret)
{
        if (arg_test_root) {
                _cleanup_close_ int fd = open(arg_test_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return negative_errno();
                if (file_exists(fd, "cgroup.controllers"))
                        *ret = CGROUP_LAYOUT_UNIFIED;
                else if (file_exists(fd, "unified/cgroup.controllers"))
                        *ret = CGROUP_LAYOUT_HYBRID;
                else
                        *ret = CGROUP_LAYOUT_LEGACY;
                return 0;
        }

        struct statfs fs;
        if (statfs(CGROUP_ROOT, &fs) < 0)
                return negative_errno();
        if (fs.f_type == CGROUP2_SUPER_MAGIC) {
                *ret = CGROUP_LAYOUT_UNIFIED;
                return 0;
        }
        if (statfs(CGROUP_ROOT "/unified", &fs) >= 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
                *ret = CGROUP_LAYOUT_HYBRID;
        else
                *ret = CGROUP_LAYOUT_LEGACY;
        return 0;
}

static void mounts_free(CgroupMount *m, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(m[i].controllers);
                free(m[i].mount);
                free(m[i].root);
        }
        free(m);
}

static int mounts_add(CgroupMount **m, size_t *n, const char *controllers, const char *mount,
                      const char *root, bool unified)
{
        CgroupMount *nm = realloc(*m, sizeof(CgroupMount) * (*n + 1));
        if (!nm)
                return -ENOMEM;
        *m = nm;
        nm[*n] = (CgroupMount){
                .controllers = strdup(controllers),
                .mount = strdup(mount),
                .root = strdup(root),
                .unified = unified,
        };
        (*n)++;
        if (!nm[*n - 1].controllers || !nm[*n - 1].mount || !nm[*n - 1].root)
                return -ENOMEM;
        return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unoctal(char *s)
{
        char *o = s;
        for (char *p = s; *p;) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
                    p[3] >= '0' && p[3] <= '7') {
                        *o++ = (char)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
                        p += 4;
                } else
                        *o++ = *p++;
        }
        *o = 0;
}

/* The controllers of a v1 mount from its super options: everything but the mount flags. */
static int v1_controllers(const char *superopts, char **ret)
{
        static const char *const not_controllers[] = {
                "rw", "ro", "xattr", "noprefix", "clone_children", "cpuset_v2_mode", "favordynmods",
        };
        _cleanup_free_ char *out = strdup("");
        _cleanup_free_ char *copy = strdup(superopts);
        char *save = NULL;
        if (!out || !copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                bool skip = strchr(t, '=') && !startswith(t, "name=");
                for (size_t i = 0; !skip && i < ELEMENTSOF(not_controllers); i++)
                        skip = streq(t, not_controllers[i]);
                if (skip)
                        continue;
                char *n;
                if (asprintf(&n, "%s%s%s", out, *out ? "," : "", t) < 0)
                        return -ENOMEM;
                free(out);
                out = n;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

static int discover_real(CgroupLayout layout, CgroupMount **ret, size_t *ret_n)
{
        _cleanup_free_ char *text = NULL;
        CgroupMount *m = NULL;
        size_t n = 0;
        bool have_v2 = false;
        int r = read_full_file("/proc/self/mountinfo", CG_READ_MAX, &text, NULL);
        if (r < 0)
                return r;

        const char *v2_at = layout == CGROUP_LAYOUT_UNIFIED  ? CGROUP_ROOT
                            : layout == CGROUP_LAYOUT_HYBRID ? CGROUP_ROOT "/unified"
                                                             : NULL;
        for (char *line = text, *nl; line && *line; line = nl) {
                char *f[64];
                size_t nf = 0, sep = 0;
                nl = strchr(line, '\n');
                if (nl)
                        *nl++ = 0;
                char *save = NULL;
                for (char *t = strtok_r(line, " ", &save); t && nf < ELEMENTSOF(f);
                     t = strtok_r(NULL, " ", &save))
                        f[nf++] = t;
                for (size_t i = 6; i < nf; i++)
                        if (streq(f[i], "-")) {
                                sep = i;
                                break;
                        }
                if (sep == 0 || sep + 3 >= nf)
                        continue;
                char *root = f[3], *mp = f[4], *fstype = f[sep + 1], *superopts = f[sep + 3];
                unoctal(root);
                unoctal(mp);

                if (streq(fstype, "cgroup2")) {
                        if (!v2_at || have_v2 || !streq(mp, v2_at))
                                continue;
                        if ((r = mounts_add(&m, &n, "", mp, root, true)) < 0)
                                goto fail;
                        have_v2 = true;
                } else if (streq(fstype, "cgroup") && layout != CGROUP_LAYOUT_UNIFIED) {
                        const char *rel = startswith(mp, CGROUP_ROOT "/");
                        if (!rel || !*rel || strchr(rel, '/'))
                                continue;
                        _cleanup_free_ char *ctl = NULL;
                        if ((r = v1_controllers(superopts, &ctl)) < 0)
                                goto fail;
                        bool dup = !*ctl;
                        for (size_t i = 0; !dup && i < n; i++)
                                dup = !m[i].unified && list_equal(m[i].controllers, ctl);
                        if (dup)
                                continue;
                        if ((r = mounts_add(&m, &n, ctl, mp, root, false)) < 0)
                                goto fail;
                }
        }
        if (layout == CGROUP_LAYOUT_UNIFIED && !have_v2 &&
            (r = mounts_add(&m, &n, "", CGROUP_ROOT, "/", true)) < 0)
                goto fail;
        *ret = m;
        *ret_n = n;
        return 0;
fail:
        mounts_free(m, n);
        return r;
}

static int strcmp_ptr(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int discover_test(CgroupLayout layout, CgroupMount **ret, size_t *ret_n)
{
        _cleanup_strv_free_ char **names = NULL;
        CgroupMount *m = NULL;
        size_t n = 0;
        int r;
        if (layout == CGROUP_LAYOUT_UNIFIED) {
                if ((r = mounts_add(&m, &n, "", arg_test_root, "/", true)) < 0)
                        goto fail;
                *ret = m;
                *ret_n = n;
                return 0;
        }

        int fd = open(arg_test_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        DIR *d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -ENOMEM;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                struct stat st;
                if (de->d_name[0] == '.')
                        continue;
                /* comounted hierarchies have symlinks ("cpu" -> "cpu,cpuacct"): take the real dir */
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                char *s = strdup(de->d_name);
                if (!s || strv_push(&names, s) < 0) {
                        free(s);
                        closedir(d);
                        return -ENOMEM;
                }
        }
        closedir(d);
        if (names)
                qsort(names, strv_length(names), sizeof(char *), strcmp_ptr);

        STRV_FOREACH (name, names) {
                _cleanup_free_ char *mp = path_join(arg_test_root, *name);
                if (!mp) {
                        r = -ENOMEM;
                        goto fail;
                }
                if (streq(*name, "unified")) {
                        if (layout == CGROUP_LAYOUT_HYBRID &&
                            (r = mounts_add(&m, &n, "", mp, "/", true)) < 0)
                                goto fail;
                        continue;
                }
                const char *ctl = streq(*name, "systemd") ? "name=systemd" : *name;
                if ((r = mounts_add(&m, &n, ctl, mp, "/", false)) < 0)
                        goto fail;
        }
        *ret = m;
        *ret_n = n;
        return 0;
fail:
        mounts_free(m, n);
        return r;
}

/* The caller's group in one hierarchy, from /proc/self/cgroup ("ID:controllers:/path"),
 * relative to what the mount shows. */
static int self_group(const char *text, const CgroupMount *m, char **ret)
{
        for (const char *line = text; line && *line;) {
                const char *nl = strchr(line, '\n');
                _cleanup_free_ char *l = nl ? strndup(line, (size_t)(nl - line)) : strdup(line);
                line = nl ? nl + 1 : NULL;
                if (!l)
                        return -ENOMEM;
                char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c1 = *c2 = 0;
                const char *ctl = c1 + 1, *path = c2 + 1;
                if (m->unified ? !(streq(l, "0") && !*ctl) : !(*ctl && list_equal(ctl, m->controllers)))
                        continue;
                if (*path != '/')
                        return -EINVAL;
                const char *under = path_under(path, m->root);
                if (!under) /* our group is not visible through this mount */
                        return -ENOENT;
                char *s = strdup(under);
                if (!s)
                        return -ENOMEM;
                *ret = s;
                return 0;
        }
        return -ENOENT;
}

static void hierarchy_done(CgroupHierarchy *h)
{
        free(h->controllers);
        free(h->mount);
        free(h->path);
        free(h->dir);
}

Cgroup *cgroup_free(Cgroup *cg)
{
        if (!cg)
                return NULL;
        for (size_t i = 0; i < cg->n_hier; i++)
                hierarchy_done(&cg->hier[i]);
        free(cg->hier);
        free(cg);
        return NULL;
}

static char *parent_path(const char *p)
{
        const char *s = strrchr(p, '/');
        if (!s || s == p)
                return strdup("/");
        return strndup(p, (size_t)(s - p));
}

int cgroup_new(const char *cgroups_path, const char *id, Cgroup **ret)
{
        CgroupMount *mounts = NULL;
        size_t n_mounts = 0;
        _cleanup_free_ char *self = NULL;
        int r;

        clear_error();
        const char *p = cgroups_path && *cgroups_path ? cgroups_path : id;
        if (!p || !*p || (p == id && strchr(id, '/')))
                return fail_at(-EINVAL, "linux.cgroupsPath", NULL);
        if (cgroup_path_valid(p) < 0)
                return fail_at(-EINVAL, "linux.cgroupsPath", NULL);
        bool relative = *p != '/';

        _cleanup_(cgroup_freep) Cgroup *cg = calloc(1, sizeof(Cgroup));
        if (!cg)
                return -ENOMEM;
        if ((r = cgroup_detect_layout(&cg->layout)) < 0)
                return fail_at(r, cgroup_root(), NULL);
        r = arg_test_root ? discover_test(cg->layout, &mounts, &n_mounts)
                          : discover_real(cg->layout, &mounts, &n_mounts);
        if (r < 0)
                return fail_at(r, arg_test_root ? arg_test_root : "/proc/self/mountinfo", NULL);
        if (n_mounts == 0) {
                r = fail_at(-ENOENT, cgroup_root(), NULL);
                goto finish;
        }
        if (relative) {
                r = arg_test_self ? ((self = strdup(arg_test_self)) ? 0 : -ENOMEM)
                                  : read_full_file("/proc/self/cgroup", CG_READ_MAX, &self, NULL);
                if (r < 0) {
                        fail_at(r, "/proc/self/cgroup", NULL);
                        goto finish;
                }
        }

        cg->hier = calloc(n_mounts, sizeof(CgroupHierarchy));
        if (!cg->hier) {
                r = -ENOMEM;
                goto finish;
        }
        for (size_t i = 0; i < n_mounts; i++) {
                CgroupHierarchy *h = &cg->hier[cg->n_hier++];
                h->unified = mounts[i].unified;
                if (relative) {
                        _cleanup_free_ char *base = NULL;
                        r = self_group(self, &mounts[i], &base);
                        if (r < 0) {
                                fail_detail(r, "/proc/self/cgroup", NULL,
                                            *mounts[i].controllers ? mounts[i].controllers : "cgroup2");
                                goto finish;
                        }
                        /* outside our cgroup namespace's root the kernel shows "/../..": no
                         * place to build on */
                        if (!streq(base, "/") && cgroup_path_valid(base) < 0) {
                                r = fail_detail(-EINVAL, "/proc/self/cgroup", NULL, base);
                                goto finish;
                        }
                        /* runc's fs2 rule: our own v2 group holds us, and a group with processes
                         * cannot hand controllers to children, so place siblings of it instead */
                        if (cg->layout == CGROUP_LAYOUT_UNIFIED && !streq(base, "/")) {
                                char *up = parent_path(base);
                                if (!up) {
                                        r = -ENOMEM;
                                        goto finish;
                                }
                                free(base);
                                base = up;
                        }
                        h->path = path_join(base, p);
                } else
                        h->path = strdup(p);
                h->controllers = TAKE_PTR(mounts[i].controllers);
                h->mount = TAKE_PTR(mounts[i].mount);
                if (!h->path || !(h->dir = path_join(h->mount, h->path))) {
                        r = -ENOMEM;
                        goto finish;
                }
        }
        *ret = TAKE_PTR(cg);
        r = 0;
finish:
        mounts_free(mounts, n_mounts);
        return r;
}

CgroupLayout cgroup_get_layout(const Cgroup *cg)
{
        return cg->layout;
}

static CgroupHierarchy *find_v1(Cgroup *cg, const char *controller)
{
        for (size_t i = 0; i < cg->n_hier; i++)
                if (!cg->hier[i].unified && list_has(cg->hier[i].controllers, controller))
                        return &cg->hier[i];
        return NULL;
}

static CgroupHierarchy *find_unified(Cgroup *cg)
{
        for (size_t i = 0; i < cg->n_hier; i++)
                if (cg->hier[i].unified)
                        return &cg->hier[i];
        return NULL;
}

/* Where the group's processes are listed: the v2 dir, or the first of pids, memory, freezer. */
static CgroupHierarchy *find_primary(Cgroup *cg)
{
        CgroupHierarchy *h;
        if (cg->layout == CGROUP_LAYOUT_UNIFIED)
                return find_unified(cg);
        if ((h = find_v1(cg, "pids")) || (h = find_v1(cg, "memory")) || (h = find_v1(cg, "freezer")))
                return h;
        return cg->n_hier > 0 ? &cg->hier[0] : NULL;
}

const char *cgroup_get_dir(Cgroup *cg, const char *controller)
{
        CgroupHierarchy *h;
        if (!controller)
                h = find_primary(cg);
        else if (cg->layout == CGROUP_LAYOUT_UNIFIED)
                h = find_unified(cg);
        else
                h = find_v1(cg, controller);
        return h ? h->dir : NULL;
}

/* ---- persistence ---- */

json_t *cgroup_to_json(const Cgroup *cg)
{
        _cleanup_json_ json_t *a = json_array();
        if (!a)
                return NULL;
        for (size_t i = 0; i < cg->n_hier; i++) {
                const CgroupHierarchy *h = &cg->hier[i];
                json_t *o =
                        json_pack("{s:s,s:s,s:s,s:I,s:b}", "controllers", h->controllers, "mount", h->mount,
                                  "path", h->path, "created", (json_int_t)h->created, "unified", h->unified);
                if (!o || json_array_append_new(a, o) < 0)
                        return NULL;
        }
        return json_pack("{s:s,s:O}", "layout", cgroup_layout_to_string(cg->layout), "hierarchies", a);
}

int cgroup_from_json(json_t *j, Cgroup **ret)
{
        _cleanup_free_ char *layout = NULL;
        _cleanup_free_ char *err = NULL;
        char p[JPATH_MAX];

        clear_error();
        if (!json_is_object(j))
                return -EINVAL;
        _cleanup_(cgroup_freep) Cgroup *cg = calloc(1, sizeof(Cgroup));
        if (!cg)
                return -ENOMEM;
        if (json_read_string(j, "layout", "cgroup", true, &layout, &err) < 0)
                return -EINVAL;
        if (cgroup_layout_from_string(layout, &cg->layout) < 0)
                return -EINVAL;
        json_t *a = json_object_get(j, "hierarchies"), *e;
        size_t i;
        if (!json_is_array(a) || json_array_size(a) == 0)
                return -EINVAL;
        cg->hier = calloc(json_array_size(a), sizeof(CgroupHierarchy));
        if (!cg->hier)
                return -ENOMEM;
        json_array_foreach (a, i, e) {
                CgroupHierarchy *h = &cg->hier[cg->n_hier++];
                uint32_t created = 0;
                json_path_index(p, "cgroup.hierarchies", i);
                if (!json_is_object(e) ||
                    json_read_string(e, "controllers", p, true, &h->controllers, &err) < 0 ||
                    json_read_string(e, "mount", p, true, &h->mount, &err) < 0 ||
                    json_read_string(e, "path", p, true, &h->path, &err) < 0 ||
                    json_read_uint32(e, "created", p, false, &created, &err) < 0 ||
                    json_read_bool(e, "unified", p, &h->unified, &err) < 0)
                        return -EINVAL;
                if (h->mount[0] != '/' || h->path[0] != '/' || cgroup_path_valid(h->path) < 0 ||
                    created > path_components(h->path) || (h->unified && *h->controllers) ||
                    (!h->unified && !*h->controllers))
                        return -EINVAL;
                h->created = created;
                if (!(h->dir = path_join(h->mount, h->path)))
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(cg);
        return 0;
}

/* ---- creating ---- */

/* A v1 cpuset group starts with empty cpus and mems and admits no task until they are set. */
static int cpuset_fill(int parent_fd, int fd, const char *dir)
{
        static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *mine = NULL, *theirs = NULL;
                int r = read_text(fd, files[i], &mine);
                if (r < 0 && r != -ENOENT)
                        return fail_at(r, dir, files[i]);
                if (r >= 0 && *strip(mine))
                        continue;
                r = read_text(parent_fd, files[i], &theirs);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return fail_at(r, dir, "../cpuset.cpus");
                if (!*strip(theirs))
                        continue;
                if ((r = write_value(fd, dir, files[i], strip(theirs))) < 0)
                        return r;
        }
        return 0;
}

static int hierarchy_create(CgroupHierarchy *h)
{
        _cleanup_close_ int fd = open(h->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return fail_at(negative_errno(), h->mount, NULL);
        bool cpuset = !h->unified && list_has(h->controllers, "cpuset");
        size_t n = path_components(h->path), i = 0;
        long first_created = -1;
        char built[PATH_MAX];
        snprintf(built, sizeof(built), "%s", h->mount);

        for (const char *s = h->path; *s;) {
                s += strspn(s, "/");
                if (!*s)
                        break;
                size_t l = strcspn(s, "/");
                char *comp = strndupa(s, l);
                s += l;
                size_t bl = strlen(built);
                snprintf(built + bl, sizeof(built) - bl, "/%s", comp);

                if (mkdirat(fd, comp, 0755) >= 0) {
                        if (first_created < 0)
                                first_created = (long)i;
                } else if (errno != EEXIST)
                        return fail_at(negative_errno(), built, NULL);
                int cfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cfd < 0)
                        return fail_at(negative_errno(), built, NULL);
                if (cpuset) {
                        int r = cpuset_fill(fd, cfd, built);
                        if (r < 0) {
                                safe_close(cfd);
                                return r;
                        }
                }
                safe_close(fd);
                fd = cfd;
                i++;
        }
        if (first_created >= 0 && n - (size_t)first_created > h->created)
                h->created = (unsigned)(n - (size_t)first_created);
        return 0;
}

int cgroup_create(Cgroup *cg)
{
        clear_error();
        for (size_t i = 0; i < cg->n_hier; i++) {
                int r = hierarchy_create(&cg->hier[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- applying limits: cgroup v1 ---- */

static int format_line(char ***l, const char *fmt, ...) _printf_(2, 3);
static int format_line(char ***l, const char *fmt, ...)
{
        va_list ap;
        char *s;
        va_start(ap, fmt);
        int k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        if (strv_push(l, s) < 0) {
                free(s);
                return -ENOMEM;
        }
        return 0;
}

static void devnum(char buf[24], int64_t v)
{
        if (v < 0)
                snprintf(buf, 24, "*");
        else
                snprintf(buf, 24, "%" PRId64, v);
}

static int v1_devices(Cgroup *cg, const CgroupResources *r)
{
        if (!r->has_devices)
                return 0;
        CgroupHierarchy *h = find_v1(cg, "devices");
        if (!h)
                return fail_at(-EOPNOTSUPP, "linux.resources.devices", NULL);
        _cleanup_close_ int fd = group_open(h);
        if (fd < 0)
                return fd;
        /* Start from nothing, then the rules in order: the spec's list is the whole policy. The two
         * files stay open so that rules land in the order given. */
        _cleanup_close_ int allow = open_control(fd, "devices.allow");
        if (allow < 0)
                return fail_at(negative_errno(), h->dir, "devices.allow");
        _cleanup_close_ int deny = open_control(fd, "devices.deny");
        if (deny < 0)
                return fail_at(negative_errno(), h->dir, "devices.deny");
        if (loop_write(deny, "a\n", 2) < 0)
                return fail_at(negative_errno(), h->dir, "devices.deny");
        for (size_t i = 0; i < r->n_devices; i++) {
                const CgroupDeviceRule *d = &r->devices[i];
                char line[96], ma[24], mi[24];
                if (d->type == 'a')
                        snprintf(line, sizeof(line), "a\n");
                else {
                        devnum(ma, d->major);
                        devnum(mi, d->minor);
                        snprintf(line, sizeof(line), "%c %s:%s %s\n", d->type, ma, mi, d->access);
                }
                ssize_t k = write(d->allow ? allow : deny, line, strlen(line));
                if (k < 0 || (size_t)k != strlen(line))
                        return fail_at(k < 0 ? negative_errno() : -EIO, h->dir,
                                       d->allow ? "devices.allow" : "devices.deny");
        }
        return 0;
}

static int v1_cpuset(Cgroup *cg, const CgroupResources *r)
{
        if (!r->cpu.cpus && !r->cpu.mems)
                return 0;
        CgroupHierarchy *h = find_v1(cg, "cpuset");
        if (!h)
                return fail_at(-EOPNOTSUPP,
                               r->cpu.cpus ? "linux.resources.cpu.cpus" : "linux.resources.cpu.mems", NULL);
        _cleanup_close_ int fd = group_open(h);
        int k;
        if (fd < 0)
                return fd;
        if (r->cpu.cpus && (k = write_value(fd, h->dir, "cpuset.cpus", r->cpu.cpus)) < 0)
                return k;
        if (r->cpu.mems && (k = write_value(fd, h->dir, "cpuset.mems", r->cpu.mems)) < 0)
                return k;
        return 0;
}

#define MEMSW "memory.memsw.limit_in_bytes"

static int v1_memory(Cgroup *cg, const CgroupResources *r)
{
        bool set_limit = r->memory.has_limit && r->memory.limit != 0;
        bool set_swap = r->memory.has_swap && r->memory.swap != 0;
        bool set_res = r->memory.has_reservation && r->memory.reservation != 0;
        bool set_tcp = r->memory.has_kernel_tcp && r->memory.kernel_tcp != 0;
        bool set_hier = r->memory.has_use_hierarchy && r->memory.use_hierarchy;
        int64_t swap = r->memory.swap;
        int k;

        /* memory.kmem.limit_in_bytes ("kernel") is not written: the kernel deprecated it in 5.4 and
         * refuses writes since 6.1; runc ignores it too. */
        if (!set_limit && !set_swap && !set_res && !set_tcp && !set_hier && !r->memory.has_swappiness &&
            !r->memory.has_disable_oom_killer)
                return 0;
        CgroupHierarchy *h = find_v1(cg, "memory");
        if (!h)
                return fail_at(-EOPNOTSUPP, "linux.resources.memory", NULL);
        _cleanup_close_ int fd = group_open(h);
        if (fd < 0)
                return fd;

        bool have_memsw = file_exists(fd, MEMSW);
        if (set_limit && !set_swap && r->memory.limit == -1 && have_memsw) {
                /* the kernel keeps memsw >= limit: unlimited memory drags memsw along */
                set_swap = true;
                swap = -1;
        }
        if (set_swap && !have_memsw) {
                if (swap != -1) /* swap accounting is off (swapaccount=0) */
                        return fail_at(-EOPNOTSUPP, h->dir, MEMSW);
                set_swap = false;
        }
        if (set_limit && set_swap) {
                /* Either write can transiently break limit <= memsw: raise memsw first when the new
                 * limit is above the current memsw, else lower the limit first. */
                uint64_t cur;
                bool swap_first = false;
                if (read_u64(fd, MEMSW, &cur) >= 0)
                        swap_first = (r->memory.limit < 0 ? UINT64_MAX : (uint64_t)r->memory.limit) > cur;
                if (swap_first) {
                        if ((k = write_int64(fd, h->dir, MEMSW, swap)) < 0 ||
                            (k = write_int64(fd, h->dir, "memory.limit_in_bytes", r->memory.limit)) < 0)
                                return k;
                } else if ((k = write_int64(fd, h->dir, "memory.limit_in_bytes", r->memory.limit)) < 0 ||
                           (k = write_int64(fd, h->dir, MEMSW, swap)) < 0)
                        return k;
        } else if (set_limit && (k = write_int64(fd, h->dir, "memory.limit_in_bytes", r->memory.limit)) < 0)
                return k;
        else if (set_swap && (k = write_int64(fd, h->dir, MEMSW, swap)) < 0)
                return k;

        if (set_res &&
            (k = write_int64(fd, h->dir, "memory.soft_limit_in_bytes", r->memory.reservation)) < 0)
                return k;
        if (set_tcp &&
            (k = write_int64(fd, h->dir, "memory.kmem.tcp.limit_in_bytes", r->memory.kernel_tcp)) < 0)
                return k;
        if (r->memory.has_swappiness &&
            (k = write_uint64(fd, h->dir, "memory.swappiness", r->memory.swappiness)) < 0)
                return k;
        if (r->memory.has_disable_oom_killer &&
            (k = write_value(fd, h->dir, "memory.oom_control", r->memory.disable_oom_killer ? "1" : "0")) <
                    0)
                return k;
        /* Hierarchical accounting is always on since 5.x and the kernel refuses "0": only "1" is
         * worth writing. */
        if (set_hier && (k = write_value(fd, h->dir, "memory.use_hierarchy", "1")) < 0)
                return k;
        return 0;
}

static int v1_cpu(Cgroup *cg, const CgroupResources *r)
{
        bool shares = r->cpu.has_shares && r->cpu.shares != 0;
        bool quota = r->cpu.has_quota && r->cpu.quota != 0;
        bool period = r->cpu.has_period && r->cpu.period != 0;
        bool rt_period = r->cpu.has_rt_period && r->cpu.rt_period != 0;
        int k;
        if (!shares && !quota && !period && !r->cpu.has_burst && !rt_period && !r->cpu.has_rt_runtime &&
            !r->cpu.has_idle)
                return 0;
        CgroupHierarchy *h = find_v1(cg, "cpu");
        if (!h)
                return fail_at(-EOPNOTSUPP, "linux.resources.cpu", NULL);
        _cleanup_close_ int fd = group_open(h);
        if (fd < 0)
                return fd;

        if (shares && (k = write_uint64(fd, h->dir, "cpu.shares", r->cpu.shares)) < 0)
                return k;
        if (period && (k = write_uint64(fd, h->dir, "cpu.cfs_period_us", r->cpu.period)) < 0)
                return k;
        if (quota) {
                k = write_int64(fd, h->dir, "cpu.cfs_quota_us", r->cpu.quota < 0 ? -1 : r->cpu.quota);
                /* a quota below the current burst is refused until the burst comes down */
                if (k == -EINVAL && r->cpu.has_burst) {
                        if ((k = write_uint64(fd, h->dir, "cpu.cfs_burst_us", r->cpu.burst)) < 0)
                                return k;
                        k = write_int64(fd, h->dir, "cpu.cfs_quota_us", r->cpu.quota);
                }
                if (k < 0)
                        return k;
        }
        if (r->cpu.has_burst && (k = write_uint64(fd, h->dir, "cpu.cfs_burst_us", r->cpu.burst)) < 0)
                return k;
        if (rt_period && (k = write_uint64(fd, h->dir, "cpu.rt_period_us", r->cpu.rt_period)) < 0)
                return k;
        if (r->cpu.has_rt_runtime &&
            (k = write_int64(fd, h->dir, "cpu.rt_runtime_us", r->cpu.rt_runtime)) < 0)
                return k;
        if (r->cpu.has_idle && (k = write_int64(fd, h->dir, "cpu.idle", r->cpu.idle)) < 0)
                return k;
        return 0;
}

static int v1_pids(Cgroup *cg, const CgroupResources *r)
{
        if (!r->has_pids_limit)
                return 0;
        CgroupHierarchy *h = find_v1(cg, "pids");
        if (!h)
                return fail_at(-EOPNOTSUPP, "linux.resources.pids", NULL);
        _cleanup_close_ int fd = group_open(h);
        if (fd < 0)
                return fd;
        return write_max_or(fd, h->dir, "pids.max", r->pids_limit);
}

static const char *first_existing(int fd, const char *a, const char *b)
{
        return file_exists(fd, a) ? a : file_exists(fd, b) ? b : NULL;
}

static bool blkio_requested(const CgroupResources *r)
{
        if ((r->blkio.has_weight && r->blkio.weight != 0) ||
            (r->blkio.has_leaf_weight && r->blkio.leaf_weight) || r->blkio.n_weight_devices > 0)
                return true;
        for (size_t k = 0; k < _CGROUP_THROTTLE_MAX; k++)
                if (r->blkio.n_throttle[k] > 0)
                        return true;
        return false;
}

static int v1_blkio(Cgroup *cg, const CgroupResources *r)
{
        static const char *const throttle_files[_CGROUP_THROTTLE_MAX] = {
                [CGROUP_THROTTLE_READ_BPS] = "blkio.throttle.read_bps_device",
                [CGROUP_THROTTLE_WRITE_BPS] = "blkio.throttle.write_bps_device",
                [CGROUP_THROTTLE_READ_IOPS] = "blkio.throttle.read_iops_device",
                [CGROUP_THROTTLE_WRITE_IOPS] = "blkio.throttle.write_iops_device",
        };
        int k;
        if (!blkio_requested(r))
                return 0;
        CgroupHierarchy *h = find_v1(cg, "blkio");
        if (!h)
                return fail_at(-EOPNOTSUPP, "linux.resources.blockIO", NULL);
        _cleanup_close_ int fd = group_open(h);
        if (fd < 0)
                return fd;

        /* CFQ had blkio.weight; BFQ, its successor since 5.0, has blkio.bfq.weight */
        bool need_weight = (r->blkio.has_weight && r->blkio.weight != 0);
        for (size_t i = 0; i < r->blkio.n_weight_devices; i++)
                need_weight = need_weight || r->blkio.weight_devices[i].has_weight;
        const char *wfile = first_existing(fd, "blkio.weight", "blkio.bfq.weight");
        const char *wdfile = first_existing(fd, "blkio.weight_device", "blkio.bfq.weight_device");
        if (need_weight && (!wfile || (r->blkio.n_weight_devices > 0 && !wdfile)))
                return fail_at(-EOPNOTSUPP, h->dir, "blkio.weight");
        if (r->blkio.has_weight && r->blkio.weight != 0 &&
            (k = write_uint64(fd, h->dir, wfile, r->blkio.weight)) < 0)
                return k;
        /* Leaf weights were CFQ's alone; with CFQ gone (5.0) there is nothing to write them to. */
        bool leaf = file_exists(fd, "blkio.leaf_weight");
        if (leaf && r->blkio.has_leaf_weight && r->blkio.leaf_weight != 0 &&
            (k = write_uint64(fd, h->dir, "blkio.leaf_weight", r->blkio.leaf_weight)) < 0)
                return k;

        _cleanup_strv_free_ char **wd = NULL, **lwd = NULL;
        for (size_t i = 0; i < r->blkio.n_weight_devices; i++) {
                const CgroupBlkioWeightDevice *d = &r->blkio.weight_devices[i];
                if (d->has_weight && format_line(&wd, "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
                                                 (unsigned)d->weight) < 0)
                        return -ENOMEM;
                if (leaf && d->has_leaf_weight &&
                    format_line(&lwd, "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
                                (unsigned)d->leaf_weight) < 0)
                        return -ENOMEM;
        }
        if (wd && (k = write_lines(fd, h->dir, wdfile, wd)) < 0)
                return k;
        if (lwd && (k = write_lines(fd, h->dir, "blkio.leaf_weight_device", lwd)) < 0)
                return k;

        for (size_t t = 0; t < _CGROUP_THROTTLE_MAX; t++) {
                _cleanup_strv_free_ char **l = NULL;
                for (size_t i = 0; i < r->blkio.n_throttle[t]; i++) {
                        const CgroupBlkioThrottleDevice *d = &r->blkio.throttle[t][i];
                        if (format_line(&l, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
                                        d->rate) < 0)
                                return -ENOMEM;
                }
                if ((k = write_lines(fd, h->dir, throttle_files[t], l)) < 0)
                        return k;
        }
        return 0;
}

static int hugetlb_write(int fd, const char *dir, const CgroupHugepageLimit *l, bool v2)
{
        char f[64], rsvd[64];
        int k;
        snprintf(f, sizeof(f), v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes", l->page_size);
        snprintf(rsvd, sizeof(rsvd), v2 ? "hugetlb.%s.rsvd.max" : "hugetlb.%s.rsvd.limit_in_bytes",
                 l->page_size);
        if ((k = write_uint64(fd, dir, f, l->limit)) < 0)
                return k;
        /* reservation accounting (5.7+) catches what page-fault accounting lets through as SIGBUS */
        if (file_exists(fd, rsvd) && (k = write_uint64(fd, dir, rsvd, l->limit)) < 0)
                return k;
        return 0;
}

static int v1_hugetlb(Cgroup *cg, const CgroupResources *r)
{
        if (r->n_hugepage_limits == 0)
                return 0;
        CgroupHierarchy *h = find_v1(cg, "hugetlb");
        if (!h)
                return fail_at(-EOPNOTSUPP, "linux.resources.hugepageLimits", NULL);
        _cleanup_close_ int fd = group_open(h);
        if (fd < 0)
                return fd;
        for (size_t i = 0; i < r->n_hugepage_limits; i++) {
                int k = hugetlb_write(fd, h->dir, &r->hugepage_limits[i], false);
                if (k < 0)
                        return k;
        }
        return 0;
}

static int v1_network(Cgroup *cg, const CgroupResources *r)
{
        int k;
        if (r->has_net_class_id) {
                CgroupHierarchy *h = find_v1(cg, "net_cls");
                if (!h)
                        return fail_at(-EOPNOTSUPP, "linux.resources.network.classID", NULL);
                _cleanup_close_ int fd = group_open(h);
                if (fd < 0)
                        return fd;
                if ((k = write_uint64(fd, h->dir, "net_cls.classid", r->net_class_id)) < 0)
                        return k;
        }
        if (r->n_net_priorities > 0) {
                CgroupHierarchy *h = find_v1(cg, "net_prio");
                if (!h)
                        return fail_at(-EOPNOTSUPP, "linux.resources.network.priorities", NULL);
                _cleanup_close_ int fd = group_open(h);
                _cleanup_strv_free_ char **l = NULL;
                if (fd < 0)
                        return fd;
                for (size_t i = 0; i < r->n_net_priorities; i++)
                        if (format_line(&l, "%s %" PRIu32, r->net_priorities[i].name,
                                        r->net_priorities[i].priority) < 0)
                                return -ENOMEM;
                if ((k = write_lines(fd, h->dir, "net_prio.ifpriomap", l)) < 0)
                        return k;
        }
        return 0;
}

static int rdma_write(int fd, const char *dir, const CgroupResources *r)
{
        _cleanup_strv_free_ char **l = NULL;
        for (size_t i = 0; i < r->n_rdma; i++) {
                const CgroupRdmaLimit *x = &r->rdma[i];
                char a[32] = "", b[32] = "";
                if (x->has_hca_handles)
                        snprintf(a, sizeof(a), " hca_handle=%" PRIu32, x->hca_handles);
                if (x->has_hca_objects)
                        snprintf(b, sizeof(b), " hca_object=%" PRIu32, x->hca_objects);
                if (format_line(&l, "%s%s%s", x->device, a, b) < 0)
                        return -ENOMEM;
        }
        return write_lines(fd, dir, "rdma.max", l);
}

static int v1_rdma(Cgroup *cg, const CgroupResources *r)
{
        if (r->n_rdma == 0)
                return 0;
        CgroupHierarchy *h = find_v1(cg, "rdma");
        if (!h)
                return fail_at(-EOPNOTSUPP, "linux.resources.rdma", NULL);
        _cleanup_close_ int fd = group_open(h);
        if (fd < 0)
                return fd;
        return rdma_write(fd, h->dir, r);
}

static int apply_v1(Cgroup *cg, const CgroupResources *r)
{
        int k;
        if (!r)
                return 0;
        /* the unified hierarchy of a hybrid host carries no controllers we could write to */
        if (r->unified_keys && r->unified_keys[0])
                return fail_detail(-EOPNOTSUPP, "linux.resources.unified", NULL, "cgroup v2 only");
        /* runc's order: cpuset first, so that the other controllers see the final placement */
        if ((k = v1_cpuset(cg, r)) < 0 || (k = v1_devices(cg, r)) < 0 || (k = v1_memory(cg, r)) < 0 ||
            (k = v1_cpu(cg, r)) < 0 || (k = v1_pids(cg, r)) < 0 || (k = v1_blkio(cg, r)) < 0 ||
            (k = v1_hugetlb(cg, r)) < 0 || (k = v1_network(cg, r)) < 0 || (k = v1_rdma(cg, r)) < 0)
                return k;
        return 0;
}

/* ---- applying limits: cgroup v2 ---- */

/* Controllers the resources need, in no particular order. */
static int v2_needed_controllers(const CgroupResources *r, char ***ret)
{
        _cleanup_strv_free_ char **l = NULL;
        const char *fixed[8];
        size_t n = 0;
        if (r) {
                if (r->cpu.cpus || r->cpu.mems)
                        fixed[n++] = "cpuset";
                if ((r->cpu.has_shares && r->cpu.shares) || (r->cpu.has_quota && r->cpu.quota) ||
                    (r->cpu.has_period && r->cpu.period) || r->cpu.has_burst || r->cpu.has_idle)
                        fixed[n++] = "cpu";
                if (blkio_requested(r))
                        fixed[n++] = "io";
                if ((r->memory.has_limit && r->memory.limit) || (r->memory.has_swap && r->memory.swap) ||
                    (r->memory.has_reservation && r->memory.reservation))
                        fixed[n++] = "memory";
                if (r->n_hugepage_limits > 0)
                        fixed[n++] = "hugetlb";
                if (r->has_pids_limit)
                        fixed[n++] = "pids";
                if (r->n_rdma > 0)
                        fixed[n++] = "rdma";
        }
        for (size_t i = 0; i < n; i++) {
                char *s = strdup(fixed[i]);
                if (!s || strv_push(&l, s) < 0) {
                        free(s);
                        return -ENOMEM;
                }
        }
        STRV_FOREACH (k, r ? r->unified_keys : NULL) {
                char *c = strndup(*k, strcspn(*k, "."));
                if (!c)
                        return -ENOMEM;
                bool dup = streq(c, "cgroup"); /* core files need no controller */
                STRV_FOREACH (e, l)
                        dup = dup || streq(*e, c);
                if (dup) {
                        free(c);
                        continue;
                }
                if (strv_push(&l, c) < 0) {
                        free(c);
                        return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static bool strv_has(char **l, const char *s)
{
        STRV_FOREACH (e, l)
                if (streq(*e, s))
                        return true;
        return false;
}

/* Delegate controllers down to the group: each ancestor's cgroup.subtree_control must list them.
 * needed must be available; accounting ones (memory, pids, for stats) are enabled if they can. */
static int v2_enable_controllers(const CgroupHierarchy *h, char **needed)
{
        static const char *const accounting[] = {"memory", "pids"};
        _cleanup_close_ int fd = open(h->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return fail_at(negative_errno(), h->mount, NULL);
        size_t levels = path_components(h->path), level = 0;
        char built[PATH_MAX];
        snprintf(built, sizeof(built), "%s", h->mount);
        const char *s = h->path;

        for (;;) {
                _cleanup_free_ char *avail = NULL, *enabled = NULL, *want = NULL, *must = NULL;
                int k = read_text(fd, "cgroup.controllers", &avail);
                if (k < 0)
                        return fail_at(k, built, "cgroup.controllers");
                k = read_text(fd, "cgroup.subtree_control", &enabled);
                if (k < 0)
                        return fail_at(k, built, "cgroup.subtree_control");
                STRV_FOREACH (c, needed)
                        if (!word_has(avail, *c))
                                return fail_detail(-EOPNOTSUPP, built, "cgroup.controllers", *c);

                /* in the kernel's order, as cgroup.controllers lists them */
                want = strdup("");
                must = strdup("");
                if (!want || !must)
                        return -ENOMEM;
                for (const char *p = avail; *p;) {
                        p += strspn(p, " \t\n");
                        size_t n = strcspn(p, " \t\n");
                        if (n == 0)
                                break;
                        char *c = strndupa(p, n);
                        p += n;
                        if (word_has(enabled, c))
                                continue;
                        bool req = strv_has(needed, c), acc = false;
                        for (size_t i = 0; i < ELEMENTSOF(accounting); i++)
                                acc = acc || streq(accounting[i], c);
                        if (!req && !acc)
                                continue;
                        char *nw;
                        if (asprintf(&nw, "%s%s+%s", want, *want ? " " : "", c) < 0)
                                return -ENOMEM;
                        free(want);
                        want = nw;
                        if (req) {
                                if (asprintf(&nw, "%s%s+%s", must, *must ? " " : "", c) < 0)
                                        return -ENOMEM;
                                free(must);
                                must = nw;
                        }
                }
                if (*want && write_value(fd, built, "cgroup.subtree_control", want) < 0) {
                        /* the accounting extras are a nicety: retry with what the limits need */
                        if (*must && (k = write_value(fd, built, "cgroup.subtree_control", must)) < 0)
                                return k;
                        clear_error();
                }

                if (level + 1 >= levels)
                        break;
                s += strspn(s, "/");
                size_t l = strcspn(s, "/");
                char *comp = strndupa(s, l);
                s += l;
                size_t bl = strlen(built);
                snprintf(built + bl, sizeof(built) - bl, "/%s", comp);
                int cfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cfd < 0)
                        return fail_at(negative_errno(), built, NULL);
                safe_close(fd);
                fd = cfd;
                level++;
        }
        return 0;
}

static int v2_memory(int fd, const CgroupHierarchy *h, const CgroupResources *r)
{
        bool set_limit = r->memory.has_limit && r->memory.limit != 0;
        int64_t limit = set_limit ? r->memory.limit : 0, swap_max;
        int k;

        /* kernel, kernelTCP, swappiness, disableOOMKiller and useHierarchy have no v2 files; runc and
         * crun drop them too. */
        if (set_limit) {
                if (r->memory.check_before_update && limit > 0) {
                        /* v2 would OOM-kill instead of refusing the way v1 does: refuse here */
                        uint64_t cur;
                        if (read_u64(fd, "memory.current", &cur) >= 0 && cur > (uint64_t)limit)
                                return fail_detail(-EBUSY, h->dir, "memory.max", "below current usage");
                }
                if ((k = write_max_or(fd, h->dir, "memory.max", limit)) < 0)
                        return k;
        }
        k = cgroup_swap_to_v2(limit, r->memory.has_swap ? r->memory.swap : 0, &swap_max);
        if (k < 0)
                return fail_detail(k, "linux.resources.memory.swap", NULL,
                                   "memory+swap needs a memory limit it is not below");
        if (k > 0) {
                if (!file_exists(fd, "memory.swap.max")) {
                        if (swap_max != -1) /* no swap accounting */
                                return fail_at(-EOPNOTSUPP, h->dir, "memory.swap.max");
                } else if ((k = write_max_or(fd, h->dir, "memory.swap.max", swap_max)) < 0)
                        return k;
        }
        if (r->memory.has_reservation && r->memory.reservation != 0 &&
            (k = write_max_or(fd, h->dir, "memory.low", r->memory.reservation)) < 0)
                return k;
        return 0;
}

static int v2_cpu(int fd, const CgroupHierarchy *h, const CgroupResources *r)
{
        bool quota = r->cpu.has_quota && r->cpu.quota != 0;
        bool period = r->cpu.has_period && r->cpu.period != 0;
        int k;

        if ((r->cpu.has_rt_runtime && r->cpu.rt_runtime != 0) ||
            (r->cpu.has_rt_period && r->cpu.rt_period != 0))
                return fail_detail(-EOPNOTSUPP, "linux.resources.cpu.realtimeRuntime", NULL,
                                   "cgroup v2 has no realtime group scheduling");
        if (r->cpu.has_shares && r->cpu.shares != 0 &&
            (k = write_uint64(fd, h->dir, "cpu.weight", cgroup_cpu_shares_to_weight(r->cpu.shares))) < 0)
                return k;
        if (r->cpu.has_idle && (k = write_int64(fd, h->dir, "cpu.idle", r->cpu.idle)) < 0)
                return k;
        if (quota || period) {
                char q[32], v[64];
                if (quota && r->cpu.quota > 0)
                        snprintf(q, sizeof(q), "%" PRId64, r->cpu.quota);
                else if (quota)
                        snprintf(q, sizeof(q), "max");
                else {
                        /* a new period alone keeps the quota in force */
                        _cleanup_free_ char *cur = NULL;
                        snprintf(q, sizeof(q), "max");
                        if (read_text(fd, "cpu.max", &cur) >= 0) {
                                char *t = strip(cur);
                                t[strcspn(t, " ")] = 0;
                                if (*t && strlen(t) < sizeof(q))
                                        snprintf(q, sizeof(q), "%s", t);
                        }
                }
                /* the quota alone keeps the period in force */
                if (period)
                        snprintf(v, sizeof(v), "%s %" PRIu64, q, r->cpu.period);
                else
                        snprintf(v, sizeof(v), "%s", q);
                if ((k = write_value(fd, h->dir, "cpu.max", v)) < 0)
                        return k;
        }
        if (r->cpu.has_burst && (k = write_uint64(fd, h->dir, "cpu.max.burst", r->cpu.burst)) < 0)
                return k;
        if (r->cpu.cpus && (k = write_value(fd, h->dir, "cpuset.cpus", r->cpu.cpus)) < 0)
                return k;
        if (r->cpu.mems && (k = write_value(fd, h->dir, "cpuset.mems", r->cpu.mems)) < 0)
                return k;
        return 0;
}

static int v2_io(int fd, const CgroupHierarchy *h, const CgroupResources *r)
{
        static const char *const keys[_CGROUP_THROTTLE_MAX] = {
                [CGROUP_THROTTLE_READ_BPS] = "rbps",
                [CGROUP_THROTTLE_WRITE_BPS] = "wbps",
                [CGROUP_THROTTLE_READ_IOPS] = "riops",
                [CGROUP_THROTTLE_WRITE_IOPS] = "wiops",
        };
        int k;
        if (!blkio_requested(r))
                return 0;
        /* BFQ takes blkio weights as they are; io.weight (iocost) has a wider range. Leaf weights
         * have no v2 counterpart. */
        bool bfq = file_exists(fd, "io.bfq.weight");
        const char *wfile = bfq ? "io.bfq.weight" : "io.weight";
        if (r->blkio.has_weight && r->blkio.weight != 0 &&
            (k = write_uint64(fd, h->dir, wfile,
                              bfq ? r->blkio.weight : cgroup_blkio_weight_to_io_weight(r->blkio.weight))) <
                    0)
                return k;

        _cleanup_strv_free_ char **wd = NULL, **max = NULL;
        for (size_t i = 0; i < r->blkio.n_weight_devices; i++) {
                const CgroupBlkioWeightDevice *d = &r->blkio.weight_devices[i];
                if (!d->has_weight)
                        continue;
                uint64_t w = bfq ? d->weight : cgroup_blkio_weight_to_io_weight(d->weight);
                if (format_line(&wd, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor, w) < 0)
                        return -ENOMEM;
        }
        if ((k = write_lines(fd, h->dir, wfile, wd)) < 0)
                return k;

        for (size_t t = 0; t < _CGROUP_THROTTLE_MAX; t++)
                for (size_t i = 0; i < r->blkio.n_throttle[t]; i++) {
                        const CgroupBlkioThrottleDevice *d = &r->blkio.throttle[t][i];
                        char v[32];
                        /* v1 drops a rule written as 0; v2 spells that "max" */
                        if (d->rate == 0)
                                snprintf(v, sizeof(v), "max");
                        else
                                snprintf(v, sizeof(v), "%" PRIu64, d->rate);
                        if (format_line(&max, "%" PRId64 ":%" PRId64 " %s=%s", d->major, d->minor, keys[t],
                                        v) < 0)
                                return -ENOMEM;
                }
        return write_lines(fd, h->dir, "io.max", max);
}

static int v2_unified(int fd, const CgroupHierarchy *h, const CgroupResources *r)
{
        for (size_t i = 0; r->unified_keys && r->unified_keys[i]; i++) {
                _cleanup_strv_free_ char **lines = NULL;
                const char *v = r->unified_values[i];
                /* "io.max": "8:0 rbps=1\n8:16 wbps=2" is two writes to the kernel */
                if (!strchr(v, '\n')) {
                        int k = write_value(fd, h->dir, r->unified_keys[i], v);
                        if (k < 0)
                                return k;
                        continue;
                }
                for (const char *p = v; *p;) {
                        size_t n = strcspn(p, "\n");
                        if (n > 0) {
                                char *s = strndup(p, n);
                                if (!s || strv_push(&lines, s) < 0) {
                                        free(s);
                                        return -ENOMEM;
                                }
                        }
                        p += n;
                        if (*p)
                                p++;
                }
                int k = write_lines(fd, h->dir, r->unified_keys[i], lines);
                if (k < 0)
                        return k;
        }
        return 0;
}

static int apply_v2(Cgroup *cg, const CgroupResources *r)
{
        _cleanup_strv_free_ char **needed = NULL;
        CgroupHierarchy *h = find_unified(cg);
        int k;
        if (!h)
                return fail_at(-ENOENT, cgroup_root(), NULL);
        if (r && (r->has_net_class_id || r->n_net_priorities > 0))
                return fail_detail(-EOPNOTSUPP, "linux.resources.network", NULL, "cgroup v1 only");
        if ((k = v2_needed_controllers(r, &needed)) < 0)
                return k;
        if ((k = v2_enable_controllers(h, needed)) < 0)
                return k;
        if (!r)
                return 0;

        _cleanup_close_ int fd = group_open(h);
        if (fd < 0)
                return fd;
        if ((k = v2_memory(fd, h, r)) < 0 || (k = v2_cpu(fd, h, r)) < 0)
                return k;
        if (r->has_pids_limit && (k = write_max_or(fd, h->dir, "pids.max", r->pids_limit)) < 0)
                return k;
        if ((k = v2_io(fd, h, r)) < 0)
                return k;
        for (size_t i = 0; i < r->n_hugepage_limits; i++)
                if ((k = hugetlb_write(fd, h->dir, &r->hugepage_limits[i], true)) < 0)
                        return k;
        if (r->n_rdma > 0 && (k = rdma_write(fd, h->dir, r)) < 0)
                return k;
        /* v2 has no devices files: the device policy is an eBPF program (BPF_CGROUP_DEVICE)
         * attached to the group. Not done here; the rootfs setup only creates allowed nodes and
         * drops CAP_MKNOD unless asked, which is what keeps device access in check on v2 for now. */

        /* last, so that they override the translated values, as the spec intends */
        return v2_unified(fd, h, r);
}

int cgroup_apply(Cgroup *cg, const CgroupResources *r)
{
        clear_error();
        if (cg->layout == CGROUP_LAYOUT_UNIFIED)
                return apply_v2(cg, r);
        return apply_v1(cg, r);
}

/* ---- processes ---- */

int cgroup_enter(Cgroup *cg, pid_t pid)
{
        char buf[32];
        clear_error();
        snprintf(buf, sizeof(buf), "%d", (int)pid);
        for (size_t i = 0; i < cg->n_hier; i++) {
                _cleanup_close_ int fd = group_open(&cg->hier[i]);
                if (fd < 0)
                        return fd;
                int k = write_value(fd, cg->hier[i].dir, "cgroup.procs", buf);
                if (k < 0)
                        return k;
        }
        return 0;
}

typedef struct PidSet {
        pid_t *pids;
        size_t n, alloc;
} PidSet;

static int collect_pids(int fd, const char *dir, PidSet *set, unsigned depth)
{
        _cleanup_free_ char *text = NULL;
        int k;
        if (depth > TREE_DEPTH_MAX)
                return fail_at(-ELOOP, dir, NULL);
        k = read_text(fd, "cgroup.procs", &text);
        if (k < 0 && k != -ENOENT) /* a fake tree's inner dirs may lack it */
                return fail_at(k, dir, "cgroup.procs");
        for (char *p = text; p && *p;) {
                size_t n = strcspn(p, "\n");
                char *line = strndupa(p, n);
                p += n;
                if (*p)
                        p++;
                uint32_t v;
                if (!*strip(line))
                        continue;
                if (safe_atou32(strip(line), &v) < 0 || v == 0 || v > INT_MAX)
                        return fail_at(-EBADMSG, dir, "cgroup.procs");
                if (set->n == set->alloc) {
                        size_t na = set->alloc ? set->alloc * 2 : 16;
                        pid_t *np = realloc(set->pids, na * sizeof(pid_t));
                        if (!np)
                                return -ENOMEM;
                        set->pids = np;
                        set->alloc = na;
                }
                set->pids[set->n++] = (pid_t)v;
        }

        int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return fail_at(negative_errno(), dir, NULL);
        DIR *d = fdopendir(dfd);
        if (!d) {
                safe_close(dfd);
                return -ENOMEM;
        }
        struct dirent *de;
        k = 0;
        while (k >= 0 && (de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
                        continue;
                int cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cfd < 0) {
                        if (errno == ENOENT || errno == ENOTDIR) /* gone meanwhile, or a file */
                                continue;
                        k = fail_at(negative_errno(), dir, de->d_name);
                        break;
                }
                _cleanup_free_ char *sub = path_join(dir, de->d_name);
                k = sub ? collect_pids(cfd, sub, set, depth + 1) : -ENOMEM;
                safe_close(cfd);
        }
        closedir(d);
        return k;
}

int cgroup_get_pids(Cgroup *cg, pid_t **ret, size_t *ret_n)
{
        PidSet set = {};
        clear_error();
        CgroupHierarchy *h = find_primary(cg);
        if (!h)
                return fail_at(-ENOENT, cgroup_root(), NULL);
        _cleanup_close_ int fd = group_open(h);
        if (fd < 0)
                return fd;
        int k = collect_pids(fd, h->dir, &set, 0);
        if (k < 0) {
                free(set.pids);
                return k;
        }
        *ret = set.pids;
        *ret_n = set.n;
        return 0;
}

static CgroupHierarchy *find_freezer(Cgroup *cg, bool *ret_v2)
{
        CgroupHierarchy *h = cg->layout == CGROUP_LAYOUT_UNIFIED ? NULL : find_v1(cg, "freezer");
        if (h) {
                *ret_v2 = false;
                return h;
        }
        /* cgroup.freeze is core v2 (5.2+): the tracking hierarchy of a hybrid host has it too */
        h = find_unified(cg);
        *ret_v2 = true;
        return h;
}

static int v2_frozen(int fd, bool *ret)
{
        uint64_t v;
        int k = read_keyed(fd, "cgroup.events", "frozen", &v);
        if (k == -ENOENT) /* before 5.2, or a fake tree: trust what was asked */
                k = read_u64(fd, "cgroup.freeze", &v);
        if (k < 0)
                return k;
        *ret = v == 1;
        return 0;
}

static int v1_state(int fd, char buf[16])
{
        _cleanup_free_ char *s = NULL;
        int k = read_text(fd, "freezer.state", &s);
        if (k < 0)
                return k;
        snprintf(buf, 16, "%s", strip(s));
        return 0;
}

int cgroup_is_frozen(Cgroup *cg, bool *ret)
{
        bool v2;
        clear_error();
        CgroupHierarchy *h = find_freezer(cg, &v2);
        if (!h)
                return fail_at(-EOPNOTSUPP, "freezer", NULL);
        _cleanup_close_ int fd = group_open(h);
        if (fd < 0)
                return fd;
        if (v2) {
                int k = v2_frozen(fd, ret);
                return k < 0 ? fail_at(k, h->dir, "cgroup.events") : 0;
        }
        char state[16];
        int k = v1_state(fd, state);
        if (k < 0)
                return fail_at(k, h->dir, "freezer.state");
        *ret = streq(state, "FROZEN");
        return 0;
}

static int v2_freeze(int fd, const char *dir, bool freeze)
{
        int k = write_value(fd, dir, "cgroup.freeze", freeze ? "1" : "0");
        if (k < 0)
                return k;
        uint64_t deadline = now_usec() + FREEZE_TIMEOUT_USEC;
        unsigned delay = 1000;
        for (;;) {
                bool frozen;
                k = v2_frozen(fd, &frozen);
                if (k < 0)
                        return fail_at(k, dir, "cgroup.events");
                if (frozen == freeze)
                        return 0;
                if (now_usec() > deadline)
                        break;
                sleep_usec(delay);
                delay = delay < 20000 ? delay * 2 : delay;
        }
        if (freeze)
                (void)write_value(fd, dir, "cgroup.freeze", "0");
        return fail_at(-ETIMEDOUT, dir, "cgroup.events");
}

static int v1_freeze(int fd, const char *dir, bool freeze)
{
        const char *want = freeze ? "FROZEN" : "THAWED";
        uint64_t deadline = now_usec() + FREEZE_TIMEOUT_USEC;
        for (unsigned attempt = 0;; attempt++) {
                char state[16];
                /* A v1 freeze can stall in FREEZING (a task in vfork, in an uninterruptible
                 * sleep); thawing and freezing again gets it going, as runc does. */
                if (freeze && attempt > 0 && attempt % 50 == 0)
                        (void)write_value(fd, dir, "freezer.state", "THAWED");
                if (attempt % 50 == 0) {
                        int k = write_value(fd, dir, "freezer.state", want);
                        if (k < 0)
                                return k;
                }
                int k = v1_state(fd, state);
                if (k < 0)
                        return fail_at(k, dir, "freezer.state");
                if (streq(state, want))
                        return 0;
                if (now_usec() > deadline)
                        break;
                sleep_usec(attempt < 10 ? 1000 : 10000);
        }
        if (freeze)
                (void)write_value(fd, dir, "freezer.state", "THAWED");
        return fail_at(-ETIMEDOUT, dir, "freezer.state");
}

int cgroup_freeze(Cgroup *cg, bool freeze)
{
        bool v2;
        clear_error();
        CgroupHierarchy *h = find_freezer(cg, &v2);
        if (!h)
                return fail_at(-EOPNOTSUPP, "freezer", NULL);
        _cleanup_close_ int fd = group_open(h);
        if (fd < 0)
                return fd;
        if (v2) {
                if (!file_exists(fd, "cgroup.freeze"))
                        return fail_at(-EOPNOTSUPP, h->dir, "cgroup.freeze");
                return v2_freeze(fd, h->dir, freeze);
        }
        return v1_freeze(fd, h->dir, freeze);
}

int cgroup_kill_all(Cgroup *cg, int sig)
{
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        bool v2_freezer = false, was_frozen = false, froze = false;
        int k;
        clear_error();

        CgroupHierarchy *f = find_freezer(cg, &v2_freezer);
        if (!f || cgroup_is_frozen(cg, &was_frozen) < 0)
                was_frozen = false;
        clear_error();

        CgroupHierarchy *u = find_unified(cg);
        if (u && sig == SIGKILL) {
                /* cgroup.kill (5.14+) kills the whole subtree atomically, forks in flight included;
                 * a hybrid host's tracking group has it too */
                _cleanup_close_ int fd = group_open(u);
                if (fd >= 0 && file_exists(fd, "cgroup.kill") &&
                    write_value(fd, u->dir, "cgroup.kill", "1") >= 0) {
                        /* A fatal signal takes a task out of the v2 freezer, not out of v1's: a
                         * paused v1 group must run again for its tasks to die. */
                        if (was_frozen && !v2_freezer)
                                return cgroup_freeze(cg, false);
                        return 0;
                }
                clear_error();
        }

        /* Frozen, nobody can fork past the list we read. A group the user paused stays paused,
         * unless the signal is SIGKILL, which only takes effect once the tasks run again. */
        if (f && !was_frozen) {
                froze = cgroup_freeze(cg, true) >= 0;
                clear_error();
        }

        k = cgroup_get_pids(cg, &pids, &n);
        if (k >= 0)
                for (size_t i = 0; i < n; i++)
                        if (kill(pids[i], sig) < 0 && errno != ESRCH && k >= 0)
                                k = -errno;

        if (froze || (was_frozen && sig == SIGKILL)) {
                int t = cgroup_freeze(cg, false);
                if (k >= 0 && t < 0)
                        k = t;
        }
        return k < 0 ? k : 0;
}

/* ---- removing ---- */

/* In a fake tree regular files stand in for the control files and must go before rmdir. With
 * ret_has_subdirs, a group that still has children keeps its files. */
static int unlink_test_files(int fd, bool *ret_has_subdirs)
{
        int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        DIR *d = fdopendir(dfd);
        if (!d) {
                safe_close(dfd);
                return -ENOMEM;
        }
        bool subdirs = false;
        for (int pass = ret_has_subdirs ? 0 : 1; pass < 2 && !subdirs; pass++) {
                struct dirent *de;
                rewinddir(d);
                while ((de = readdir(d))) {
                        struct stat st;
                        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                                continue;
                        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                continue;
                        if (pass == 0 && S_ISDIR(st.st_mode))
                                subdirs = true;
                        else if (pass == 1 && S_ISREG(st.st_mode))
                                (void)unlinkat(dirfd(d), de->d_name, 0);
                }
        }
        closedir(d);
        if (ret_has_subdirs)
                *ret_has_subdirs = subdirs;
        return 0;
}

/* rmdir name below parent_fd, its child groups first. A group whose last task is still
 * exiting stays busy for a moment: retry EBUSY for a while. */
static int rmdir_group(int parent_fd, const char *name, const char *path, unsigned depth)
{
        if (depth > TREE_DEPTH_MAX)
                return fail_at(-ELOOP, path, NULL);
        int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : fail_at(negative_errno(), path, NULL);
        if (arg_test_root)
                (void)unlink_test_files(fd, NULL);
        DIR *d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -ENOMEM;
        }
        struct dirent *de;
        int k = 0;
        while (k >= 0 && (de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
                        continue;
                if (de->d_type == DT_UNKNOWN) {
                        struct stat st;
                        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                            !S_ISDIR(st.st_mode))
                                continue;
                }
                _cleanup_free_ char *sub = path_join(path, de->d_name);
                k = sub ? rmdir_group(dirfd(d), de->d_name, sub, depth + 1) : -ENOMEM;
        }
        closedir(d);
        if (k < 0)
                return k;

        uint64_t deadline = now_usec() + RMDIR_BUSY_TIMEOUT_USEC;
        for (;;) {
                if (unlinkat(parent_fd, name, AT_REMOVEDIR) >= 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY || now_usec() > deadline)
                        return fail_at(negative_errno(), path, NULL);
                sleep_usec(10000);
        }
}

static int hierarchy_destroy(CgroupHierarchy *h)
{
        _cleanup_free_ char *parent = parent_path(h->dir);
        if (!parent)
                return -ENOMEM;
        _cleanup_close_ int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return errno == ENOENT ? 0 : fail_at(negative_errno(), parent, NULL);
        const char *leaf = strrchr(h->dir, '/') + 1;
        int k = rmdir_group(pfd, leaf, h->dir, 0);
        if (k < 0)
                return k;

        /* The parents cgroup_create made go too, unless something else lives in them now. */
        _cleanup_free_ char *cur = strdup(h->dir);
        if (!cur)
                return -ENOMEM;
        for (unsigned i = 1; i < h->created; i++) {
                char *slash = strrchr(cur, '/');
                if (!slash || slash == cur)
                        break;
                *slash = 0;
                if (arg_test_root) {
                        _cleanup_close_ int fd = open(cur, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        bool subdirs = false;
                        if (fd >= 0 && unlink_test_files(fd, &subdirs) >= 0 && subdirs)
                                break;
                }
                if (rmdir(cur) < 0 && errno != ENOENT)
                        break;
        }
        h->created = 0;
        return 0;
}

int cgroup_destroy(Cgroup *cg)
{
        char first[sizeof(last_error)] = "";
        int r = 0;
        clear_error();
        /* every hierarchy gets its turn; the first failure is the one reported */
        for (size_t i = 0; i < cg->n_hier; i++) {
                int k = hierarchy_destroy(&cg->hier[i]);
                if (k < 0 && r == 0) {
                        r = k;
                        memcpy(first, last_error, sizeof(first));
                }
        }
        memcpy(last_error, first, sizeof(first));
        return r;
}

/* ---- mounts, stats, features ---- */

int cgroup_mount_sources(Cgroup *cg, char ***ret_names, char ***ret_host_dirs)
{
        _cleanup_strv_free_ char **names = NULL, **dirs = NULL;
        for (size_t i = 0; i < cg->n_hier; i++) {
                const CgroupHierarchy *h = &cg->hier[i];
                const char *name = h->unified ? (cg->layout == CGROUP_LAYOUT_UNIFIED ? "" : "unified")
                                              : (startswith(h->controllers, "name=") ?: h->controllers);
                char *a = strdup(name), *b = strdup(h->dir);
                if (!a || !b || strv_push(&names, a) < 0) {
                        free(a);
                        free(b);
                        return -ENOMEM;
                }
                if (strv_push(&dirs, b) < 0) {
                        free(b);
                        return -ENOMEM;
                }
        }
        if (!names && (!(names = calloc(1, sizeof(char *))) || !(dirs = calloc(1, sizeof(char *)))))
                return -ENOMEM;
        *ret_names = TAKE_PTR(names);
        *ret_host_dirs = TAKE_PTR(dirs);
        return 0;
}

static json_t *json_u64(uint64_t v)
{
        return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Limit as JSON: null when unlimited (v2 "max", or v1's page-rounded LLONG_MAX). */
static json_t *json_limit(uint64_t v)
{
        return v >= (uint64_t)INT64_MAX - 4096 ? json_null() : json_u64(v);
}

static int stats_set(json_t *o, const char *key, json_t *v)
{
        if (!v || json_object_set_new(o, key, v) < 0)
                return -ENOMEM;
        return 0;
}

static int stats_group(json_t *top, const char *key, json_t *o)
{
        if (json_object_size(o) == 0) {
                json_decref(o);
                return 0;
        }
        return json_object_set_new(top, key, o) < 0 ? -ENOMEM : 0;
}

int cgroup_stats(Cgroup *cg, json_t **ret)
{
        _cleanup_json_ json_t *top = json_object();
        json_t *mem = json_object(), *pids = json_object(), *cpu = json_object();
        bool v2 = cg->layout == CGROUP_LAYOUT_UNIFIED;
        CgroupHierarchy *h;
        uint64_t v;
        int k = 0;

        clear_error();
        if (!top || !mem || !pids || !cpu) {
                json_decref(mem);
                json_decref(pids);
                json_decref(cpu);
                return -ENOMEM;
        }

        if ((h = v2 ? find_unified(cg) : find_v1(cg, "memory"))) {
                _cleanup_close_ int fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0) {
                        if (k >= 0 && read_u64(fd, v2 ? "memory.current" : "memory.usage_in_bytes", &v) >= 0)
                                k = stats_set(mem, "usage", json_u64(v));
                        if (k >= 0 &&
                            read_u64(fd, v2 ? "memory.peak" : "memory.max_usage_in_bytes", &v) >= 0)
                                k = stats_set(mem, "max_usage", json_u64(v));
                        if (k >= 0 && read_u64(fd, v2 ? "memory.max" : "memory.limit_in_bytes", &v) >= 0)
                                k = stats_set(mem, "limit", json_limit(v));
                }
        }
        if ((h = v2 ? find_unified(cg) : find_v1(cg, "pids"))) {
                _cleanup_close_ int fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0) {
                        if (k >= 0 && read_u64(fd, "pids.current", &v) >= 0)
                                k = stats_set(pids, "current", json_u64(v));
                        if (k >= 0 && read_u64(fd, "pids.max", &v) >= 0)
                                k = stats_set(pids, "limit", json_limit(v));
                }
        }
        /* v1 cpuacct.usage is in ns; v2 cpu.stat (core, also in a hybrid host's tracking group)
         * counts usec */
        bool have_cpu = false;
        if (!v2 && (h = find_v1(cg, "cpuacct"))) {
                _cleanup_close_ int fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0 && k >= 0 && read_u64(fd, "cpuacct.usage", &v) >= 0) {
                        k = stats_set(cpu, "usage_ns", json_u64(v));
                        have_cpu = true;
                }
        }
        if (!have_cpu && (h = find_unified(cg))) {
                _cleanup_close_ int fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0 && k >= 0 && read_keyed(fd, "cpu.stat", "usage_usec", &v) >= 0)
                        k = stats_set(cpu, "usage_ns",
                                      json_u64(v > UINT64_MAX / 1000 ? UINT64_MAX : v * 1000));
        }

        if (k < 0) {
                json_decref(mem);
                json_decref(pids);
                json_decref(cpu);
                return k;
        }
        /* stats_group consumes its object whatever happens */
        int a = stats_group(top, "memory", mem), b = stats_group(top, "pids", pids),
            c = stats_group(top, "cpu", cpu);
        if (a < 0 || b < 0 || c < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(top);
        return 0;
}

json_t *cgroup_features(void)
{
        return json_pack("{s:b,s:b,s:b,s:b,s:b}", "v1", true, "v2", true, "systemd", false, "systemdUser",
                         false, "rdma", true);
}

/* Joining a v1 hierarchy through cgroup.procs takes the kernel's global threadgroup lock,
 * which waits out an RCU grace period (~10 ms when the system is idle). A single-threaded
 * process moving itself through "tasks" takes no such lock. The unified hierarchy has no
 * "tasks": the caller enters it with clone3(CLONE_INTO_CGROUP) instead (see
 * cgroup_open_unified()). */
int cgroup_enter_self_v1(Cgroup *cg)
{
        clear_error();
        for (size_t i = 0; i < cg->n_hier; i++) {
                if (cg->hier[i].unified)
                        continue;
                _cleanup_close_ int fd = group_open(&cg->hier[i]);
                if (fd < 0)
                        return fd;
                int k = write_value(fd, cg->hier[i].dir, "tasks", "0");
                if (k < 0)
                        return k;
        }
        return 0;
}

int cgroup_open_unified(Cgroup *cg)
{
        CgroupHierarchy *h = find_unified(cg);
        if (!h)
                return -ENOENT;
        return group_open(h);
}

/* How many times the OOM killer struck in this group: v2 memory.events "oom_kill", v1
 * memory.oom_control "oom_kill" (kernels since 4.13). */
int cgroup_oom_kills(Cgroup *cg, uint64_t *ret)
{
        bool v2 = cg->layout == CGROUP_LAYOUT_UNIFIED;
        CgroupHierarchy *h = v2 ? find_unified(cg) : find_v1(cg, "memory");
        if (!h)
                return -ENOENT;
        _cleanup_close_ int fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        return read_keyed(fd, v2 ? "memory.events" : "memory.oom_control", "oom_kill", ret);
}
