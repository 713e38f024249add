/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* Files */
int read_full_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_size);
static inline int read_full_file(const char *path, size_t max, char **ret, size_t *ret_size)
{
        return read_full_file_at(-100 /* AT_FDCWD */, path, max, ret, ret_size);
}
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_size);
int write_string_at(int dirfd, const char *path, const char *s);
int write_file_atomic(int dirfd, const char *path, const char *data, size_t len, mode_t mode);
/* Create a file that must not exist yet (a fresh directory's), without temp-and-rename. */
int write_file_new(int dirfd, const char *path, const char *data, size_t len, mode_t mode);
int mkdir_p(const char *path, mode_t mode);
int rm_rf_at(int dirfd, const char *name);
int loop_write(int fd, const void *buf, size_t n);
int loop_read_exact(int fd, void *buf, size_t n);

/* Errors for the user: *err gets the message unless one is there already (the first, most
 * precise one wins); returns r (or -EIO if r is not negative). */
int set_error(char **err, int r, const char *fmt, ...) _printf_(3, 4);

/* Strings */
char *json_escape_string(const char *s);
int safe_atou64(const char *s, uint64_t *ret);
int safe_atoi64(const char *s, int64_t *ret);
int safe_atou32(const char *s, uint32_t *ret);
int parse_signal(const char *s, int *ret);
const char *signal_to_string(int sig);
bool id_valid(const char *id);

char **strv_free(char **l);
size_t strv_length(char *const *l);
int strv_push(char ***l, char *s);
int strv_consume(char ***l, char *s);
int strv_extend(char ***l, const char *s);
static inline void strv_freep(char ***l)
{
        strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Processes */
int pid_start_time(pid_t pid, uint64_t *ret);
int wait_for_pid(pid_t pid, int *ret_status);
int exit_status_from_wait(int status);
/* Close every fd >= start except the listed ones (at most 8; negative entries ignored). */
int close_fds_from(int start, const int *except, size_t n_except);
int write_pid_file(const char *path, pid_t pid);

/* CPU and memory node lists, "0-3,5 7" (the kernel's syntax, blanks as systemd allows) -> a
 * bitmask, bit n%8 of byte n/8, as systemd's CPUSet goes over the bus; numbers up to max - 1
 * (-ERANGE beyond), -EINVAL on syntax. */
int cpu_set_parse(const char *s, unsigned long max, uint8_t **ret, size_t *ret_n);

/* Paths */
bool path_is_safe_absolute(const char *p); /* absolute, no ".." component */
char *path_clean(const char *p);
