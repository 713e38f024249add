/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

int loop_write(int fd, const void *buf, size_t n)
{
        const char *p = buf;
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                p += k;
                n -= (size_t)k;
        }
        return 0;
}

int loop_read_exact(int fd, void *buf, size_t n)
{
        char *p = buf;
        while (n > 0) {
                ssize_t k = read(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        return -EPIPE;
                p += k;
                n -= (size_t)k;
        }
        return 0;
}

int read_full_fd(int fd, size_t max, char **ret, size_t *ret_size)
{
        size_t size = 0, alloc = 4096;
        _cleanup_free_ char *buf = malloc(alloc + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (size == alloc) {
                        if (alloc >= max)
                                return -EFBIG;
                        alloc = alloc * 2 > max ? max : alloc * 2;
                        char *n = realloc(buf, alloc + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                }
                ssize_t k = read(fd, buf + size, alloc - size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                size += (size_t)k;
        }
        buf[size] = 0;
        if (ret_size)
                *ret_size = size;
        *ret = TAKE_PTR(buf);
        return 0;
}

int read_full_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_size)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        return read_full_fd(fd, max, ret, ret_size);
}

int write_string_at(int dirfd, const char *path, const char *s)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        /* cgroupfs and procfs want the value in one write() */
        ssize_t k = write(fd, s, strlen(s));
        if (k < 0)
                return negative_errno();
        if ((size_t)k != strlen(s))
                return -EIO;
        return 0;
}

int write_file_atomic(int dirfd, const char *path, const char *data, size_t len, mode_t mode)
{
        char tmp[PATH_MAX];
        if (snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid()) >= (int)sizeof(tmp))
                return -ENAMETOOLONG;
        _cleanup_close_ int fd =
                openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0)
                return negative_errno();
        int r = loop_write(fd, data, len);
        if (r < 0) {
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        if (renameat(dirfd, tmp, dirfd, path) < 0) {
                r = negative_errno();
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        return 0;
}

int mkdir_p(const char *path, mode_t mode)
{
        char buf[PATH_MAX];
        if (strlen(path) >= sizeof(buf))
                return -ENAMETOOLONG;
        strcpy(buf, path);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = 0;
                if (mkdir(buf, mode) < 0 && errno != EEXIST)
                        return negative_errno();
                *p = '/';
        }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

/* One level of rm_rf_at()'s walk: the name of the directory entered, and its stream while it
 * is one of the top RM_RF_OPEN_LEVELS levels (deeper ones are re-read from the start when the
 * walk comes back up: their removed entries are gone, so that finds what is left). The fds in
 * use stay bounded however deep a tree (an image layer, a container's upper dir) goes. */
#define RM_RF_OPEN_LEVELS 32
typedef struct RmLevel {
        char *name;
        DIR *d;
} RmLevel;

int rm_rf_at(int dir_fd, const char *name)
{
        if (unlinkat(dir_fd, name, 0) == 0 || errno == ENOENT)
                return 0;
        if (errno != EISDIR && errno != EPERM)
                return negative_errno();
        int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();

        RmLevel *stack = NULL;
        size_t depth = 0, allocated = 0;
        DIR *d = fdopendir(fd);
        int r = 0;
        if (!d) {
                safe_close(fd);
                return -ENOMEM;
        }
        for (;;) {
                struct dirent *de;
                bool descended = false;
                errno = 0;
                while ((de = readdir(d))) {
                        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                                continue;
                        if (unlinkat(dirfd(d), de->d_name, 0) == 0 || errno == ENOENT)
                                continue;
                        if (errno != EISDIR && errno != EPERM) {
                                r = negative_errno();
                                goto done;
                        }
                        int child = openat(dirfd(d), de->d_name,
                                           O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (child < 0) {
                                r = negative_errno();
                                goto done;
                        }
                        if (depth == allocated) {
                                size_t n = allocated ? allocated * 2 : 16;
                                RmLevel *ns = realloc(stack, n * sizeof(*ns));
                                if (!ns) {
                                        safe_close(child);
                                        r = -ENOMEM;
                                        goto done;
                                }
                                stack = ns;
                                allocated = n;
                        }
                        stack[depth].name = strdup(de->d_name);
                        if (!stack[depth].name) {
                                safe_close(child);
                                r = -ENOMEM;
                                goto done;
                        }
                        /* keep the parent's stream near the top, close it deeper down */
                        if (depth < RM_RF_OPEN_LEVELS)
                                stack[depth].d = d;
                        else {
                                stack[depth].d = NULL;
                                closedir(d);
                        }
                        depth++;
                        d = fdopendir(child);
                        if (!d) {
                                safe_close(child);
                                r = -ENOMEM;
                                goto done;
                        }
                        descended = true;
                        break;
                }
                if (descended)
                        continue;
                /* this directory is empty: remove it from its parent and go on there */
                if (depth == 0)
                        break;
                depth--;
                DIR *parent = stack[depth].d;
                if (!parent) {
                        int pfd = openat(dirfd(d), "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        parent = pfd >= 0 ? fdopendir(pfd) : NULL;
                        if (!parent) {
                                r = pfd < 0 ? negative_errno() : -ENOMEM;
                                safe_close(pfd);
                                free(stack[depth].name);
                                goto done;
                        }
                }
                closedir(d);
                d = parent;
                if (unlinkat(dirfd(d), stack[depth].name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
                        r = negative_errno(); /* something in it could not go: stop, do not loop */
                        free(stack[depth].name);
                        goto done;
                }
                free(stack[depth].name);
        }
done:
        if (d)
                closedir(d);
        while (depth > 0) {
                depth--;
                free(stack[depth].name);
                if (stack[depth].d)
                        closedir(stack[depth].d);
        }
        free(stack);
        if (r < 0)
                return r;
        if (unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}

char *json_escape_string(const char *s)
{
        size_t n = strlen(s);
        char *out = malloc(n * 6 + 3), *o = out;
        if (!out)
                return NULL;
        *o++ = '"';
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p == '"' || *p == '\\') {
                        *o++ = '\\';
                        *o++ = (char)*p;
                } else if (*p == '\n') {
                        *o++ = '\\';
                        *o++ = 'n';
                } else if (*p < 0x20) {
                        o += sprintf(o, "\\u%04x", *p);
                } else
                        *o++ = (char)*p;
        }
        *o++ = '"';
        *o = 0;
        return out;
}

int safe_atou64(const char *s, uint64_t *ret)
{
        char *end;
        if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno > 0)
                return -errno;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int safe_atoi64(const char *s, int64_t *ret)
{
        char *end;
        if (!s || !*s || isspace((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno > 0)
                return -errno;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int safe_atou32(const char *s, uint32_t *ret)
{
        uint64_t v;
        int r = safe_atou64(s, &v);
        if (r < 0)
                return r;
        if (v > UINT32_MAX)
                return -ERANGE;
        *ret = (uint32_t)v;
        return 0;
}

static const char *const signal_names[] = {
        [SIGHUP] = "HUP",   [SIGINT] = "INT",       [SIGQUIT] = "QUIT", [SIGILL] = "ILL",
        [SIGTRAP] = "TRAP", [SIGABRT] = "ABRT",     [SIGBUS] = "BUS",   [SIGFPE] = "FPE",
        [SIGKILL] = "KILL", [SIGUSR1] = "USR1",     [SIGSEGV] = "SEGV", [SIGUSR2] = "USR2",
        [SIGPIPE] = "PIPE", [SIGALRM] = "ALRM",     [SIGTERM] = "TERM", [SIGSTKFLT] = "STKFLT",
        [SIGCHLD] = "CHLD", [SIGCONT] = "CONT",     [SIGSTOP] = "STOP", [SIGTSTP] = "TSTP",
        [SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU",     [SIGURG] = "URG",   [SIGXCPU] = "XCPU",
        [SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH",
        [SIGIO] = "IO",     [SIGPWR] = "PWR",       [SIGSYS] = "SYS",
};

const char *signal_to_string(int sig)
{
        if (sig > 0 && (size_t)sig < ELEMENTSOF(signal_names))
                return signal_names[sig];
        return NULL;
}

int parse_signal(const char *s, int *ret)
{
        uint32_t n;
        if (safe_atou32(s, &n) >= 0) {
                if (n == 0 || n > (uint32_t)SIGRTMAX)
                        return -EINVAL;
                *ret = (int)n;
                return 0;
        }
        const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
        for (size_t i = 1; i < ELEMENTSOF(signal_names); i++)
                if (signal_names[i] && strcasecmp(signal_names[i], name) == 0) {
                        *ret = (int)i;
                        return 0;
                }
        const char *rt;
        if ((rt = startswith(name, "RTMIN"))) {
                int64_t off = 0;
                if (*rt && (*rt != '+' || safe_atoi64(rt + 1, &off) < 0))
                        return -EINVAL;
                if (SIGRTMIN + off > SIGRTMAX)
                        return -EINVAL;
                *ret = SIGRTMIN + (int)off;
                return 0;
        }
        if ((rt = startswith(name, "RTMAX"))) {
                int64_t off = 0;
                if (*rt && (*rt != '-' || safe_atoi64(rt + 1, &off) < 0))
                        return -EINVAL;
                if (SIGRTMAX - off < SIGRTMIN)
                        return -EINVAL;
                *ret = SIGRTMAX - (int)off;
                return 0;
        }
        return -EINVAL;
}

/* Container IDs become file names under the state dir: no '/', no dot-dot, printable. */
bool id_valid(const char *id)
{
        size_t n = strlen(id);
        if (n == 0 || n > 1024 || streq(id, ".") || streq(id, ".."))
                return false;
        for (const char *p = id; *p; p++)
                if (!(isalnum((unsigned char)*p) || strchr("_+-.@", *p)))
                        return false;
        return true;
}

char **strv_free(char **l)
{
        STRV_FOREACH (s, l)
                free(*s);
        free(l);
        return NULL;
}

/* Append s, taking it over: on failure s is freed (a NULL s, from a failed strdup, is
 * -ENOMEM). */
int strv_consume(char ***l, char *s)
{
        if (!s)
                return -ENOMEM;
        int r = strv_push(l, s);
        if (r < 0)
                free(s);
        return r;
}

/* Append a copy of s. */
int strv_extend(char ***l, const char *s)
{
        return strv_consume(l, strdup(s));
}

size_t strv_length(char *const *l)
{
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

int strv_push(char ***l, char *s)
{
        size_t n = strv_length(*l);
        char **nl = realloc(*l, sizeof(char *) * (n + 2));
        if (!nl)
                return -ENOMEM;
        nl[n] = s;
        nl[n + 1] = NULL;
        *l = nl;
        return 0;
}

/* Field 22 of /proc/PID/stat: tells a live container init from a recycled PID. */
int pid_start_time(pid_t pid, uint64_t *ret)
{
        char path[64], buf[1024];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        ssize_t k = read(fd, buf, sizeof(buf) - 1);
        if (k <= 0)
                return -ESRCH;
        buf[k] = 0;
        char *p = strrchr(buf, ')');
        if (!p)
                return -EIO;
        p += 2;
        /* state is field 3; skip to field 22 */
        char state = *p;
        if (state == 'Z' || state == 'X')
                return -ESRCH;
        for (int field = 3; field < 22; field++) {
                p = strchr(p, ' ');
                if (!p)
                        return -EIO;
                p++;
        }
        return safe_atou64(strndupa(p, strcspn(p, " ")), ret);
}

int wait_for_pid(pid_t pid, int *ret_status)
{
        int status;
        for (;;) {
                if (waitpid(pid, &status, __WALL) < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                break;
        }
        if (ret_status)
                *ret_status = status;
        return 0;
}

/* Exit status as a shell reports it: a death by signal N becomes 128+N. */
int exit_status_from_wait(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 255;
}

bool path_is_safe_absolute(const char *p)
{
        if (!p || p[0] != '/')
                return false;
        for (const char *c = p; *c;) {
                size_t n = strcspn(c, "/");
                if (n == 2 && c[0] == '.' && c[1] == '.')
                        return false;
                c += n;
                while (*c == '/')
                        c++;
        }
        return true;
}

int close_fds_from(int start, const int *except, size_t n_except)
{
        /* close [start, ∞) but the listed fds; except[] need not be sorted */
        int keep[8];
        size_t n = 0;
        for (size_t i = 0; i < n_except && n < ELEMENTSOF(keep); i++)
                if (except[i] >= start)
                        keep[n++] = except[i];
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
                        int t = keep[j];
                        keep[j] = keep[j - 1];
                        keep[j - 1] = t;
                }
        for (size_t i = 0; i <= n; i++) {
                unsigned to = i < n ? (unsigned)keep[i] : ~0U;
                if (to > (unsigned)start && syscall(SYS_close_range, (unsigned)start, to - 1, 0) < 0)
                        return negative_errno();
                if (i < n)
                        start = keep[i] + 1;
        }
        return 0;
}

int write_pid_file(const char *path, pid_t pid)
{
        char v[32], dir[PATH_MAX];
        const char *slash = strrchr(path, '/');
        snprintf(v, sizeof(v), "%d", (int)pid);
        if (!slash)
                strcpy(dir, ".");
        else if (slash == path)
                strcpy(dir, "/");
        else if ((size_t)(slash - path) >= sizeof(dir))
                return -ENAMETOOLONG;
        else {
                memcpy(dir, path, (size_t)(slash - path));
                dir[slash - path] = 0;
        }
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        return write_file_atomic(dfd, slash ? slash + 1 : path, v, strlen(v), 0644);
}

int write_file_new(int dirfd, const char *path, const char *data, size_t len, mode_t mode)
{
        _cleanup_close_ int fd =
                openat(dirfd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0)
                return negative_errno();
        int r = loop_write(fd, data, len);
        if (r < 0)
                (void)unlinkat(dirfd, path, 0);
        return r;
}

/* Lexical clean-up of an absolute path, as Go's filepath.Clean: "//a/./b/../c/" → "/a/c".
 * ".." never climbs above "/". */
char *path_clean(const char *p)
{
        size_t n = strlen(p);
        char *out = malloc(n + 2), *o = out;
        if (!out)
                return NULL;
        *o++ = '/';
        for (const char *c = p; *c;) {
                while (*c == '/')
                        c++;
                size_t k = strcspn(c, "/");
                if (k == 0)
                        break;
                if (k == 1 && c[0] == '.') {
                        /* skip */
                } else if (k == 2 && c[0] == '.' && c[1] == '.') {
                        if (o > out + 1) {
                                o--;
                                while (o > out + 1 && o[-1] != '/')
                                        o--;
                        }
                } else {
                        memcpy(o, c, k);
                        o += k;
                        *o++ = '/';
                }
                c += k;
        }
        if (o > out + 1)
                o--;
        *o = 0;
        return out;
}

int set_error(char **err, int r, const char *fmt, ...)
{
        va_list ap;
        if (err && !*err) {
                va_start(ap, fmt);
                if (vasprintf(err, fmt, ap) < 0)
                        *err = NULL;
                va_end(ap);
        }
        return r < 0 ? r : -EIO;
}

int cpu_set_parse(const char *s, unsigned long max, uint8_t **ret, size_t *ret_n)
{
        _cleanup_free_ uint8_t *bits = NULL;
        size_t n = 0;
        const char *p = s;
        for (;;) {
                while ((*p == ' ' || *p == '\t') || *p == ',')
                        p++;
                if (!*p)
                        break;
                char *end;
                if (!isdigit((unsigned char)*p))
                        return -EINVAL;
                errno = 0;
                unsigned long a = strtoul(p, &end, 10), b = a;
                if (errno > 0 || a >= max)
                        return -ERANGE;
                p = end;
                if (*p == '-') {
                        p++;
                        if (!isdigit((unsigned char)*p))
                                return -EINVAL;
                        b = strtoul(p, &end, 10);
                        if (errno > 0 || b >= max)
                                return -ERANGE;
                        if (b < a)
                                return -EINVAL;
                        p = end;
                }
                if (*p && !(*p == ' ' || *p == '\t') && *p != ',')
                        return -EINVAL;
                if (b / 8 + 1 > n) {
                        uint8_t *nb = realloc(bits, b / 8 + 1);
                        if (!nb)
                                return -ENOMEM;
                        memset(nb + n, 0, b / 8 + 1 - n);
                        bits = nb;
                        n = b / 8 + 1;
                }
                for (unsigned long c = a; c <= b; c++)
                        bits[c / 8] |= (uint8_t)(1U << (c % 8));
        }
        *ret = TAKE_PTR(bits);
        *ret_n = n;
        return 0;
}
