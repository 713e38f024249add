/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Hand ownership of a pointer or fd out of a cleanup scope. */
#define TAKE_PTR(p) \
        ({ \
                __typeof__(p) _p_ = (p); \
                (p) = NULL; \
                _p_; \
        })
#define TAKE_FD(fd) \
        ({ \
                int _fd_ = (fd); \
                (fd) = -EBADF; \
                _fd_; \
        })

static inline void freep(void *p)
{
        free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline int safe_close(int fd)
{
        if (fd >= 0) {
                int saved = errno;
                close(fd);
                errno = saved;
        }
        return -EBADF;
}
static inline void closep(int *fd)
{
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void close_pair(int p[2])
{
        p[0] = safe_close(p[0]);
        p[1] = safe_close(p[1]);
}
static inline void close_pairp(int (*p)[2])
{
        close_pair(*p);
}
#define _cleanup_close_pair_ _cleanup_(close_pairp)

static inline bool streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}
static inline bool streq_ptr(const char *a, const char *b)
{
        if (!a || !b)
                return a == b;
        return streq(a, b);
}
static inline const char *strempty(const char *s)
{
        return s ?: "";
}
static inline const char *startswith(const char *s, const char *prefix)
{
        size_t l = strlen(prefix);
        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

/* Return -errno of the last failed libc call, never 0. */
static inline int negative_errno(void)
{
        return errno > 0 ? -errno : -EIO;
}

#define RET_NERRNO(expr) \
        ({ \
                int _r_ = (expr); \
                _r_ < 0 ? negative_errno() : _r_; \
        })

#define STRV_FOREACH(s, l) for (char **s = (l); s && *s; s++)
