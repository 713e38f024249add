/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "json-util.h"
#include "util.h"

#define JSON_PATH_MAX 512

int json_err(char **err, const char *path, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (err) {
                free(*err);
                if (asprintf(err, "%s: %s", path && *path ? path : "(root)", msg) < 0)
                        *err = NULL;
        }
        return -EINVAL;
}

const char *json_path_key(char *buf, const char *parent, const char *key)
{
        if (parent && *parent)
                snprintf(buf, JSON_PATH_MAX, "%s.%s", parent, key);
        else
                snprintf(buf, JSON_PATH_MAX, "%s", key);
        return buf;
}

const char *json_path_index(char *buf, const char *parent, size_t i)
{
        snprintf(buf, JSON_PATH_MAX, "%s[%zu]", parent ? parent : "", i);
        return buf;
}

static const char *json_type_name(json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
                return "an integer";
        case JSON_REAL:
                return "a number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        default:
                return "null";
        }
}

int json_expect_object(json_t *v, const char *path, char **err)
{
        if (!json_is_object(v))
                return json_err(err, path, "expected an object, got %s", json_type_name(v));
        return 0;
}

int json_expect_array(json_t *v, const char *path, char **err)
{
        if (!json_is_array(v))
                return json_err(err, path, "expected an array, got %s", json_type_name(v));
        return 0;
}

static json_t *lookup(json_t *obj, const char *key, const char *path, bool required, char *pbuf, int *r,
                      char **err)
{
        json_t *v = json_object_get(obj, key);
        json_path_key(pbuf, path, key);
        /* An explicit null means "not set", as Go's encoding/json (and so every config writer) treats it. */
        if (!v || json_is_null(v)) {
                *r = required ? json_err(err, pbuf, "required but missing") : 0;
                if (required)
                        *r = -ENOENT;
                return NULL;
        }
        *r = 1;
        return v;
}

int json_read_string(json_t *obj, const char *key, const char *path, bool required, char **ret, char **err)
{
        char p[JSON_PATH_MAX];
        int r;
        json_t *v = lookup(obj, key, path, required, p, &r, err);
        if (!v)
                return r;
        if (!json_is_string(v))
                return json_err(err, p, "expected a string, got %s", json_type_name(v));
        if (strlen(json_string_value(v)) != json_string_length(v))
                return json_err(err, p, "string contains a NUL byte");
        char *s = strdup(json_string_value(v));
        if (!s)
                return -ENOMEM;
        free(*ret);
        *ret = s;
        return 1;
}

int json_read_bool(json_t *obj, const char *key, const char *path, bool *ret, char **err)
{
        char p[JSON_PATH_MAX];
        int r;
        json_t *v = lookup(obj, key, path, false, p, &r, err);
        if (!v)
                return r;
        if (!json_is_boolean(v))
                return json_err(err, p, "expected a boolean, got %s", json_type_name(v));
        *ret = json_is_true(v);
        return 1;
}

int json_read_int64(json_t *obj, const char *key, const char *path, bool required, int64_t *ret, char **err)
{
        char p[JSON_PATH_MAX];
        int r;
        json_t *v = lookup(obj, key, path, required, p, &r, err);
        if (!v)
                return r;
        if (!json_is_integer(v))
                return json_err(err, p, "expected an integer, got %s", json_type_name(v));
        *ret = json_integer_value(v);
        return 1;
}

int json_read_uint64(json_t *obj, const char *key, const char *path, bool required, uint64_t *ret,
                     char **err)
{
        char p[JSON_PATH_MAX];
        int r;
        json_t *v = lookup(obj, key, path, required, p, &r, err);
        if (!v)
                return r;
        /* jansson stores integers as signed 64 bit; values above INT64_MAX arrive as reals. */
        if (json_is_real(v)) {
                double d = json_real_value(v);
                /* 2^64-1 arrives rounded to 2^64; doubles this large have no fraction */
                if (d >= 9223372036854775808.0 && d <= 18446744073709551616.0) {
                        *ret = d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d;
                        return 1;
                }
                return json_err(err, p, "expected an unsigned integer, got %g", d);
        }
        if (!json_is_integer(v))
                return json_err(err, p, "expected an unsigned integer, got %s", json_type_name(v));
        if (json_integer_value(v) < 0)
                return json_err(err, p, "expected an unsigned integer, got %lld",
                                (long long)json_integer_value(v));
        *ret = (uint64_t)json_integer_value(v);
        return 1;
}

int json_read_uint32(json_t *obj, const char *key, const char *path, bool required, uint32_t *ret,
                     char **err)
{
        uint64_t u = 0;
        int r = json_read_uint64(obj, key, path, required, &u, err);
        if (r <= 0)
                return r;
        if (u > UINT32_MAX) {
                char p[JSON_PATH_MAX];
                return json_err(err, json_path_key(p, path, key), "value %llu out of range",
                                (unsigned long long)u);
        }
        *ret = (uint32_t)u;
        return 1;
}

int json_read_strv(json_t *obj, const char *key, const char *path, char ***ret, char **err)
{
        char p[JSON_PATH_MAX], ip[JSON_PATH_MAX];
        int r;
        json_t *v = lookup(obj, key, path, false, p, &r, err);
        if (!v)
                return r;
        if ((r = json_expect_array(v, p, err)) < 0)
                return r;
        size_t n = json_array_size(v), i;
        char **l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        json_t *e;
        json_array_foreach (v, i, e) {
                if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e)) {
                        strv_free(l);
                        return json_err(err, json_path_index(ip, p, i), "expected a string");
                }
                l[i] = strdup(json_string_value(e));
                if (!l[i]) {
                        strv_free(l);
                        return -ENOMEM;
                }
        }
        strv_free(*ret);
        *ret = l;
        return 1;
}

/* jansson refuses integers beyond int64, but Go writes uint64 values such as 2^64-1
 * (RLIM_INFINITY) as plain integers. Retry such a document with those literals turned into
 * reals, which json_read_uint64() maps back. */
json_t *json_loadb_lenient(const char *data, size_t size, size_t flags, json_error_t *error)
{
        json_t *j = json_loadb(data, size, flags, error);
        if (j || !strstr(error->text, "too big integer"))
                return j;
        _cleanup_free_ char *copy = malloc(size * 2 + 1);
        if (!copy)
                return NULL;
        size_t o = 0;
        bool in_string = false;
        for (size_t i = 0; i < size;) {
                char ch = data[i];
                if (in_string) {
                        copy[o++] = ch;
                        if (ch == '\\' && i + 1 < size)
                                copy[o++] = data[++i];
                        else if (ch == '"')
                                in_string = false;
                        i++;
                        continue;
                }
                if (ch == '"') {
                        in_string = true;
                        copy[o++] = ch;
                        i++;
                        continue;
                }
                if ((ch >= '0' && ch <= '9') || ch == '-') {
                        size_t start = i, digits = 0;
                        bool integer = true;
                        if (data[i] == '-')
                                i++;
                        while (i < size && data[i] >= '0' && data[i] <= '9') {
                                i++;
                                digits++;
                        }
                        if (i < size && (data[i] == '.' || data[i] == 'e' || data[i] == 'E'))
                                integer = false;
                        memcpy(copy + o, data + start, i - start);
                        o += i - start;
                        if (integer && digits >= 19) {
                                copy[o++] = '.';
                                copy[o++] = '0';
                        }
                        continue;
                }
                copy[o++] = ch;
                i++;
        }
        return json_loadb(copy, o, flags, error);
}
