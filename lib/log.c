/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

static const char *program = "ctrctl";
static int max_level = LOG_INFO;
static int log_fd = -EBADF;
static bool log_json;

void log_set_program(const char *name)
{
        program = name;
}

void log_set_max_level(int level)
{
        max_level = level;
}

int log_get_max_level(void)
{
        return max_level;
}

int log_open_file(const char *path, bool json)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return negative_errno();
        safe_close(log_fd);
        log_fd = fd;
        log_json = json;
        return 0;
}

static const char *level_name(int level)
{
        switch (level) {
        case LOG_DEBUG:
                return "debug";
        case LOG_INFO:
        case LOG_NOTICE:
                return "info";
        case LOG_WARNING:
                return "warning";
        default:
                return "error";
        }
}

static void write_log_file(int level, const char *msg)
{
        char ts[64];
        struct timespec now;
        struct tm tm;

        clock_gettime(CLOCK_REALTIME, &now);
        gmtime_r(&now.tv_sec, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

        if (log_json) {
                _cleanup_free_ char *escaped = json_escape_string(msg);
                dprintf(log_fd, "{\"level\":\"%s\",\"msg\":%s,\"time\":\"%s.%09ldZ\"}\n", level_name(level),
                        escaped ?: "\"\"", ts, now.tv_nsec);
        } else
                dprintf(log_fd, "%s.%09ldZ %s: %s\n", ts, now.tv_nsec, level_name(level), msg);
}

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...)
{
        char buf[4096];
        va_list ap;
        int saved = errno;

        if (error != 0)
                errno = abs(error);
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);

        if (log_fd >= 0)
                write_log_file(level, buf);
        /* runc prints errors to stderr even when a log file is given; the shim reads the file. */
        if (log_fd < 0 || level <= LOG_WARNING)
                fprintf(stderr, "%s: %s\n", program, buf);

        errno = saved;
        return -abs(error ?: EIO);
}
