/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

/* Typed readers for untrusted JSON. Every failure returns -EINVAL and sets *err to
 * "PATH: reason", PATH being the JSON path of the offending value (e.g. "linux.namespaces[2].type"). */

/* jansson ships json_decrefp() (the cleanup function behind its json_auto_t) */
#define _cleanup_json_ _cleanup_(json_decrefp)

int json_err(char **err, const char *path, const char *fmt, ...) _printf_(3, 4);
/* Child path "PARENT.key" or "PARENT[i]" into buf (size 512). */
const char *json_path_key(char *buf, const char *parent, const char *key);
const char *json_path_index(char *buf, const char *parent, size_t i);

int json_expect_object(json_t *v, const char *path, char **err);
int json_expect_array(json_t *v, const char *path, char **err);

/* Each reads obj[key]. Missing: -ENOENT if required (with *err set), else 0 leaving *ret alone.
 * Present but of the wrong type or range: -EINVAL. Present and valid: 1. */
int json_read_string(json_t *obj, const char *key, const char *path, bool required, char **ret, char **err);
int json_read_bool(json_t *obj, const char *key, const char *path, bool *ret, char **err);
int json_read_int64(json_t *obj, const char *key, const char *path, bool required, int64_t *ret, char **err);
int json_read_uint64(json_t *obj, const char *key, const char *path, bool required, uint64_t *ret,
                     char **err);
int json_read_uint32(json_t *obj, const char *key, const char *path, bool required, uint32_t *ret,
                     char **err);
int json_read_strv(json_t *obj, const char *key, const char *path, char ***ret, char **err);

/* json_loadb() that also takes integers beyond int64 (as reals; see json_read_uint64()). */
json_t *json_loadb_lenient(const char *data, size_t size, size_t flags, json_error_t *error);
