/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

/* Programs log; lib/ logs at debug level only and returns -errno to its caller. */

void log_set_program(const char *name);
int log_open_file(const char *path, bool json);
void log_set_max_level(int level);
int log_get_max_level(void);

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...) _printf_(5, 6);

#define log_full_errno(level, error, ...) \
        ({ \
                int _l_ = (level), _e_ = (error); \
                (_l_ <= log_get_max_level()) ? log_internal(_l_, _e_, __FILE__, __LINE__, __VA_ARGS__) \
                                             : -abs(_e_); \
        })

#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)
