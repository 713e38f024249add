/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The image config blob comes from whoever built the image. The rules here:
 * - Paths that become mounts (Volumes) must be clean and absolute: a ".." component is refused
 *   rather than cleaned, so what the image says and what is mounted cannot differ
 *   (CVE-2022-23648). What lies at such a path is only ever resolved inside the rootfs
 *   (RESOLVE_IN_ROOT), and the copy-up below it follows no symlink (CVE-2024-1753).
 * - /etc/passwd and /etc/group are read only when they are regular files, opened without
 *   following a final symlink and without blocking, up to IMAGE_USER_DB_MAX bytes
 *   (CVE-2024-9676): a symlink to /dev/zero, a FIFO or a huge file is an error, not a hang.
 * - No NSS: the image's files are parsed here, never by a library loaded from the image. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "image-config.h"
#include "json-util.h"
#include "util.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* the kernel's NGROUPS_MAX */
#define GROUPS_MAX 65536

struct ImageConfig {
        json_t *json;
        char *architecture, *os;
        char *user; /* NULL: not set */
        char *working_dir; /* cleaned; NULL: not set */
        char **entrypoint, **cmd, **env;
        char **exposed_ports, **volumes, **diff_ids; /* never NULL */
        int stop_signal;
        json_t *labels; /* borrowed from json */
};

ImageConfig *image_config_free(ImageConfig *ic)
{
        if (!ic)
                return NULL;
        json_decref(ic->json);
        free(ic->architecture);
        free(ic->os);
        free(ic->user);
        free(ic->working_dir);
        strv_free(ic->entrypoint);
        strv_free(ic->cmd);
        strv_free(ic->env);
        strv_free(ic->exposed_ports);
        strv_free(ic->volumes);
        strv_free(ic->diff_ids);
        free(ic);
        return NULL;
}

static int strcmp_ptr(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strv_sort_uniq(char **l)
{
        size_t n = strv_length(l), k = 0;
        if (n == 0)
                return;
        qsort(l, n, sizeof(char *), strcmp_ptr);
        for (size_t i = 1; i < n; i++) {
                if (streq(l[k], l[i]))
                        free(l[i]);
                else
                        l[++k] = l[i];
        }
        l[k + 1] = NULL;
}

static bool has_control_char(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return true;
        return false;
}

/* A uid or gid: decimal digits only, below (uid_t)-1. */
static bool parse_id_n(const char *s, size_t n, uint32_t *ret)
{
        uint64_t v = 0;
        if (n == 0 || n > 10)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (uint64_t)(s[i] - '0');
        }
        if (v >= UINT32_MAX)
                return false;
        *ret = (uint32_t)v;
        return true;
}

static bool is_number(const char *s)
{
        return *s && strspn(s, "0123456789") == strlen(s);
}

/* A value from the image, fit to be quoted in a message: control characters (a newline could
 * forge a log line) become '?', and it is cut at 200 bytes. */
static const char *shown(const char *v, char buf[static 208])
{
        size_t i = 0;
        for (; v[i] && i < 200; i++)
                buf[i] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
        snprintf(buf + i, 208 - i, "%s", v[i] ? "..." : "");
        return buf;
}

/* NULL if spec has the form USER[:GROUP] with numeric parts in range, else why not. */
static const char *user_spec_invalid(const char *spec)
{
        const char *colon = strchr(spec, ':');
        uint32_t id;
        if (has_control_char(spec))
                return "contains a control character";
        if (colon && strchr(colon + 1, ':'))
                return "is not USER[:GROUP]";
        size_t un = colon ? (size_t)(colon - spec) : strlen(spec);
        if (un > 0 && strspn(spec, "0123456789") >= un && !parse_id_n(spec, un, &id))
                return "has a uid out of range";
        if (colon && is_number(colon + 1) && !parse_id_n(colon + 1, strlen(colon + 1), &id))
                return "has a gid out of range";
        return NULL;
}

/* ---- parsing the blob ---- */

/* Entrypoint and Cmd: an array of strings, or (as docker's strslice reads old configs) one
 * string. */
static int read_command(json_t *obj, const char *key, const char *path, char ***ret, char **err)
{
        char p[512];
        json_t *v = json_object_get(obj, key);
        if (json_is_string(v)) {
                json_path_key(p, path, key);
                if (strlen(json_string_value(v)) != json_string_length(v))
                        return json_err(err, p, "string contains a NUL byte");
                char **l = NULL;
                int r = strv_extend(&l, json_string_value(v));
                if (r < 0)
                        return r;
                strv_free(*ret);
                *ret = l;
                return 1;
        }
        return json_read_strv(obj, key, path, ret, err);
}

static int parse_env(json_t *config, ImageConfig *ic, char **err)
{
        char p[512];
        int r = json_read_strv(config, "Env", "config", &ic->env, err);
        if (r <= 0)
                return r;
        for (size_t i = 0; ic->env[i]; i++)
                if (!strchr(ic->env[i], '=') || ic->env[i][0] == '=')
                        return json_err(err, json_path_index(p, "config.Env", i), "'%s' is not KEY=VALUE",
                                        ic->env[i]);
        return 0;
}

/* Go's map[string]struct{}: every value an object (or null); the keys are what counts. */
static int read_key_set(json_t *config, const char *key, json_t **ret, char **err)
{
        char p[512], vp[512];
        json_t *v = json_object_get(config, key);
        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        json_path_key(p, "config", key);
        int r = json_expect_object(v, p, err);
        if (r < 0)
                return r;
        const char *k;
        json_t *e;
        json_object_foreach (v, k, e)
                if (!json_is_object(e) && !json_is_null(e))
                        return json_err(err, json_path_key(vp, p, k), "expected an object");
        *ret = v;
        return 1;
}

/* "80", "80/tcp", "53/UDP" → "80/tcp", "53/udp". */
static int normalize_port(const char *s, char **ret)
{
        size_t n = strspn(s, "0123456789");
        const char *proto = "tcp";
        uint32_t port;
        if (n == 0 || n > 5)
                return -EINVAL;
        if (s[n] == '/') {
                proto = s + n + 1;
                if (strcasecmp(proto, "tcp") != 0 && strcasecmp(proto, "udp") != 0 &&
                    strcasecmp(proto, "sctp") != 0)
                        return -EINVAL;
        } else if (s[n])
                return -EINVAL;
        if (safe_atou32(strndupa(s, n), &port) < 0 || port == 0 || port > 65535)
                return -EINVAL;
        if (asprintf(ret, "%u/%s", port, proto) < 0)
                return -ENOMEM;
        for (char *c = strchr(*ret, '/'); *c; c++)
                *c = (char)tolower((unsigned char)*c);
        return 0;
}

static int parse_ports(json_t *config, ImageConfig *ic, char **err)
{
        json_t *set;
        int r = read_key_set(config, "ExposedPorts", &set, err);
        if (r <= 0)
                return r;
        const char *k;
        json_t *e;
        json_object_foreach (set, k, e) {
                char *s = NULL;
                r = normalize_port(k, &s);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return json_err(err, "config.ExposedPorts", "'%s' is not PORT[/tcp|udp|sctp]", k);
                if ((r = strv_consume(&ic->exposed_ports, s)) < 0)
                        return r;
        }
        strv_sort_uniq(ic->exposed_ports);
        return 0;
}

/* NULL if p is fine as the destination of an image volume, else why not. */
static const char *volume_path_invalid(const char *p)
{
        if (p[0] != '/')
                return "is not an absolute path";
        if (strlen(p) >= PATH_MAX)
                return "is too long";
        if (has_control_char(p))
                return "contains a control character";
        /* refused, not cleaned: docker would mount "/../../etc/x" at "/etc/x", but an image that
         * says ".." is either broken or probing for CVE-2022-23648 */
        if (!path_is_safe_absolute(p))
                return "has a '..' component";
        return NULL;
}

static int parse_volumes(json_t *config, ImageConfig *ic, char **err)
{
        char sb[208];
        json_t *set;
        int r = read_key_set(config, "Volumes", &set, err);
        if (r <= 0)
                return r;
        const char *k;
        json_t *e;
        json_object_foreach (set, k, e) {
                const char *why = volume_path_invalid(k);
                if (why)
                        return json_err(err, "config.Volumes",
                                        "'%s' %s; image volumes must be clean absolute paths", shown(k, sb),
                                        why);
                char *c = path_clean(k);
                if (!c)
                        return -ENOMEM;
                if (streq(c, "/"))
                        why = "is the root directory";
                /* the runtime mounts procfs and sysfs there; a volume on top would hide them or
                 * fake them (CVE-2019-16884) */
                else if (streq(c, "/proc") || startswith(c, "/proc/") || streq(c, "/sys") ||
                         startswith(c, "/sys/"))
                        why = "is at or below /proc or /sys";
                if (why) {
                        free(c);
                        return json_err(err, "config.Volumes", "'%s' %s; refusing it as an image volume",
                                        shown(k, sb), why);
                }
                if ((r = strv_consume(&ic->volumes, c)) < 0)
                        return r;
        }
        strv_sort_uniq(ic->volumes);
        return 0;
}

static int parse_labels(json_t *config, ImageConfig *ic, char **err)
{
        char p[512];
        json_t *v = json_object_get(config, "Labels");
        if (!v || json_is_null(v))
                return 0;
        int r = json_expect_object(v, "config.Labels", err);
        if (r < 0)
                return r;
        const char *k;
        json_t *e;
        json_object_foreach (v, k, e)
                if (!json_is_string(e))
                        return json_err(err, json_path_key(p, "config.Labels", k), "expected a string");
        ic->labels = v;
        return 0;
}

static int parse_config_section(json_t *config, ImageConfig *ic, char **err)
{
        char sb[208];
        _cleanup_free_ char *wd = NULL, *sig = NULL;
        int r;

        if ((r = json_expect_object(config, "config", err)) < 0)
                return r;
        if ((r = json_read_string(config, "User", "config", false, &ic->user, err)) < 0)
                return r;
        const char *why = ic->user ? user_spec_invalid(ic->user) : NULL;
        if (why)
                return json_err(err, "config.User", "'%s' %s", shown(ic->user, sb), why);
        if ((r = read_command(config, "Entrypoint", "config", &ic->entrypoint, err)) < 0 ||
            (r = read_command(config, "Cmd", "config", &ic->cmd, err)) < 0)
                return r;
        if ((r = parse_env(config, ic, err)) < 0 || (r = parse_ports(config, ic, err)) < 0 ||
            (r = parse_volumes(config, ic, err)) < 0 || (r = parse_labels(config, ic, err)) < 0)
                return r;

        if ((r = json_read_string(config, "WorkingDir", "config", false, &wd, err)) < 0)
                return r;
        if (wd && *wd) {
                if (wd[0] != '/')
                        return json_err(err, "config.WorkingDir", "'%s' is not an absolute path", wd);
                if (!(ic->working_dir = path_clean(wd)))
                        return -ENOMEM;
        }

        if ((r = json_read_string(config, "StopSignal", "config", false, &sig, err)) < 0)
                return r;
        if (sig && *sig && parse_signal(sig, &ic->stop_signal) < 0)
                return json_err(err, "config.StopSignal", "'%s' is not a signal", sig);
        return 0;
}

static bool diff_id_valid(const char *s)
{
        const char *hex = startswith(s, "sha256:");
        if (!hex || strlen(hex) != 64)
                return false;
        for (; *hex; hex++)
                if (!strchr("0123456789abcdef", *hex))
                        return false;
        return true;
}

static int parse_rootfs(json_t *j, ImageConfig *ic, char **err)
{
        _cleanup_free_ char *type = NULL;
        char p[512];
        json_t *rootfs = json_object_get(j, "rootfs");
        int r;

        if (!rootfs || json_is_null(rootfs))
                return 0;
        if ((r = json_expect_object(rootfs, "rootfs", err)) < 0)
                return r;
        if ((r = json_read_string(rootfs, "type", "rootfs", false, &type, err)) < 0)
                return r;
        if (type && !streq(type, "layers"))
                return json_err(err, "rootfs.type", "'%s' is not \"layers\"", type);
        if ((r = json_read_strv(rootfs, "diff_ids", "rootfs", &ic->diff_ids, err)) < 0)
                return r;
        for (size_t i = 0; ic->diff_ids && ic->diff_ids[i]; i++)
                if (!diff_id_valid(ic->diff_ids[i]))
                        return json_err(err, json_path_index(p, "rootfs.diff_ids", i),
                                        "'%s' is not a sha256 digest", ic->diff_ids[i]);
        return 0;
}

static int strv_ensure(char ***l)
{
        if (*l)
                return 0;
        *l = calloc(1, sizeof(char *));
        return *l ? 0 : -ENOMEM;
}

int image_config_parse(const char *data, size_t size, ImageConfig **ret, char **err)
{
        json_error_t jerr;
        int r;

        if (size > IMAGE_CONFIG_MAX_SIZE)
                return set_error(err, -EFBIG, "image config of %zu bytes is bigger than the limit of %llu",
                                 size, (unsigned long long)IMAGE_CONFIG_MAX_SIZE);
        _cleanup_(image_config_freep) ImageConfig *ic = calloc(1, sizeof(*ic));
        if (!ic)
                return -ENOMEM;
        /* duplicate keys refused: two readers must not see two different configs */
        ic->json = json_loadb_lenient(data, size, JSON_REJECT_DUPLICATES, &jerr);
        if (!ic->json)
                return set_error(err, -EINVAL, "image config is not valid JSON: %s (line %d, column %d)",
                                 jerr.text, jerr.line, jerr.column);
        if ((r = json_expect_object(ic->json, NULL, err)) < 0)
                return r;
        if ((r = json_read_string(ic->json, "architecture", NULL, false, &ic->architecture, err)) < 0 ||
            (r = json_read_string(ic->json, "os", NULL, false, &ic->os, err)) < 0)
                return r;
        json_t *config = json_object_get(ic->json, "config");
        if (config && !json_is_null(config) && (r = parse_config_section(config, ic, err)) < 0)
                return r;
        if ((r = parse_rootfs(ic->json, ic, err)) < 0)
                return r;
        if ((r = strv_ensure(&ic->exposed_ports)) < 0 || (r = strv_ensure(&ic->volumes)) < 0 ||
            (r = strv_ensure(&ic->diff_ids)) < 0)
                return r;
        *ret = TAKE_PTR(ic);
        return 0;
}

char **image_config_exposed_ports(const ImageConfig *ic)
{
        return ic->exposed_ports;
}

int image_config_stop_signal(const ImageConfig *ic)
{
        return ic->stop_signal;
}

json_t *image_config_labels(const ImageConfig *ic)
{
        return ic->labels;
}

char **image_config_diff_ids(const ImageConfig *ic)
{
        return ic->diff_ids;
}

const char *image_config_architecture(const ImageConfig *ic)
{
        return ic->architecture;
}

const char *image_config_os(const ImageConfig *ic)
{
        return ic->os;
}

json_t *image_config_json(const ImageConfig *ic)
{
        return ic->json;
}

int image_config_volumes(const ImageConfig *ic, char ***ret, char **err)
{
        char **l = calloc(strv_length(ic->volumes) + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; ic->volumes[i]; i++)
                if (!(l[i] = strdup(ic->volumes[i]))) {
                        strv_free(l);
                        return -ENOMEM;
                }
        *ret = l;
        return 0;
}

/* ---- users and groups, from the image's own files ---- */

static int openat2_fd(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
        struct open_how how = {.flags = flags | O_CLOEXEC, .resolve = resolve};
        int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        return fd < 0 ? negative_errno() : fd;
}

/* Read etc/NAME of the rootfs into *ret (NUL-terminated; NULL if the file does not exist). */
static int read_user_db(int rootfs_fd, const char *name, char **ret, size_t *ret_size, char **err)
{
        char path[32];
        struct stat st;
        int r;

        snprintf(path, sizeof(path), "etc/%s", name);
        _cleanup_close_ int fd = openat2_fd(rootfs_fd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
                                            RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (fd == -ENOENT) {
                *ret = NULL;
                *ret_size = 0;
                return 0;
        }
        if (fd == -ELOOP)
                return set_error(err, fd, "the image's /etc/%s is a symlink, which is not followed", name);
        if (fd < 0)
                return set_error(err, fd, "cannot open the image's /etc/%s: %s", name, strerror(-fd));
        if (fstat(fd, &st) < 0) {
                r = negative_errno();
                return set_error(err, r, "cannot stat the image's /etc/%s: %s", name, strerror(-r));
        }
        if (!S_ISREG(st.st_mode))
                return set_error(err, -EBADFD, "the image's /etc/%s is not a regular file", name);
        if ((uint64_t)st.st_size > IMAGE_USER_DB_MAX)
                return set_error(err, -EFBIG, "the image's /etc/%s is bigger than %llu bytes", name,
                                 (unsigned long long)IMAGE_USER_DB_MAX);
        /* +1: a file of exactly the limit is fine; one that grows past it while read is not */
        r = read_full_fd(fd, IMAGE_USER_DB_MAX + 1, ret, ret_size);
        if (r == -EFBIG)
                return set_error(err, r, "the image's /etc/%s is bigger than %llu bytes", name,
                                 (unsigned long long)IMAGE_USER_DB_MAX);
        if (r < 0)
                return set_error(err, r, "cannot read the image's /etc/%s: %s", name, strerror(-r));
        return 0;
}

typedef struct Field {
        const char *p;
        size_t n;
} Field;

/* Next line of [*pos, end) split at ':' into at most max fields; false at the end. Lines with a NUL
 * byte, empty lines and comments come back with 0 fields. */
static bool next_line(const char **pos, const char *end, Field *f, size_t max, size_t *ret_n)
{
        const char *p = *pos;
        if (p >= end)
                return false;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        *pos = p + len + (nl ? 1 : 0);
        if (len > 0 && p[len - 1] == '\r')
                len--;
        *ret_n = 0;
        if (len == 0 || p[0] == '#' || memchr(p, 0, len))
                return true;
        size_t n = 0;
        for (const char *c = p, *le = p + len; n < max;) {
                const char *colon = memchr(c, ':', (size_t)(le - c));
                f[n].p = c;
                f[n].n = colon ? (size_t)(colon - c) : (size_t)(le - c);
                n++;
                if (!colon)
                        break;
                c = colon + 1;
        }
        *ret_n = n;
        return true;
}

static bool field_eq(Field f, const char *s)
{
        return f.n == strlen(s) && memcmp(f.p, s, f.n) == 0;
}

typedef struct PasswdEntry {
        uint32_t uid, gid;
        char *name;
} PasswdEntry;

/* The first line naming `name` (if non-NULL), else the first with uid `uid`. 1: found, 0: not,
 * -EBADMSG: the named user's line is malformed. */
static int passwd_find(const char *data, size_t size, const char *name, uint32_t uid, PasswdEntry *ret)
{
        const char *pos = data, *end = data + size;
        Field f[4];
        size_t n;
        while (next_line(&pos, end, f, 4, &n)) {
                uint32_t u, g;
                if (n == 0 || f[0].n == 0)
                        continue;
                bool ok = n >= 4 && parse_id_n(f[2].p, f[2].n, &u) && parse_id_n(f[3].p, f[3].n, &g);
                if (name) {
                        if (!field_eq(f[0], name))
                                continue;
                        if (!ok)
                                return -EBADMSG;
                } else if (!ok || u != uid)
                        continue;
                ret->uid = u;
                ret->gid = g;
                ret->name = strndup(f[0].p, f[0].n);
                return ret->name ? 1 : -ENOMEM;
        }
        return 0;
}

/* 1: found, 0: not, -EBADMSG: the named group's line is malformed. */
static int group_find(const char *data, size_t size, const char *name, uint32_t *ret_gid)
{
        const char *pos = data, *end = data + size;
        Field f[4];
        size_t n;
        while (next_line(&pos, end, f, 4, &n)) {
                if (n == 0 || !field_eq(f[0], name))
                        continue;
                if (n < 3 || !parse_id_n(f[2].p, f[2].n, ret_gid))
                        return -EBADMSG;
                return 1;
        }
        return 0;
}

static int gids_add(uint32_t **gids, size_t *n, uint32_t g)
{
        for (size_t i = 0; i < *n; i++)
                if ((*gids)[i] == g)
                        return 0;
        if (*n >= GROUPS_MAX)
                return -E2BIG;
        uint32_t *l = realloc(*gids, sizeof(uint32_t) * (*n + 1));
        if (!l)
                return -ENOMEM;
        l[(*n)++] = g;
        *gids = l;
        return 0;
}

/* Every group whose member list names `user` (docker and runc do this too). */
static int groups_of(const char *data, size_t size, const char *user, uint32_t **gids, size_t *n)
{
        const char *pos = data, *end = data + size;
        Field f[4];
        size_t nf;
        while (next_line(&pos, end, f, 4, &nf)) {
                uint32_t g;
                if (nf < 4 || !parse_id_n(f[2].p, f[2].n, &g))
                        continue;
                for (const char *m = f[3].p, *me = f[3].p + f[3].n; m < me;) {
                        const char *comma = memchr(m, ',', (size_t)(me - m));
                        Field member = {m, comma ? (size_t)(comma - m) : (size_t)(me - m)};
                        if (field_eq(member, user)) {
                                int r = gids_add(gids, n, g);
                                if (r < 0)
                                        return r;
                                break;
                        }
                        m += member.n + 1;
                }
        }
        return 0;
}

typedef struct ResolvedUser {
        uint32_t uid, gid;
        uint32_t *gids; /* additionalGids, the primary gid first */
        size_t n_gids;
} ResolvedUser;

static int resolve_user(int rootfs_fd, const char *spec, ResolvedUser *ret, char **err)
{
        char sb[208];
        _cleanup_free_ char *user = NULL, *passwd = NULL, *groupdb = NULL;
        _cleanup_free_ char *pw_name = NULL;
        const char *group = NULL;
        size_t passwd_size = 0, group_size = 0;
        uint32_t uid = 0, gid = 0;
        bool user_numeric, gid_known = false;
        int r;

        const char *why = user_spec_invalid(spec);
        if (why)
                return set_error(err, -EINVAL, "user '%s' %s", shown(spec, sb), why);
        if (!(user = strdup(spec)))
                return -ENOMEM;
        char *colon = strchr(user, ':');
        if (colon) {
                *colon = 0;
                group = colon + 1;
                if (!*group)
                        group = NULL; /* "app:" is "app", as runc reads it */
        }
        /* "" (or ":GROUP") is root, as docker and runc read it */
        user_numeric = !*user || is_number(user);
        if (*user && user_numeric)
                (void)parse_id_n(user, strlen(user), &uid);
        if (group && is_number(group)) {
                (void)parse_id_n(group, strlen(group), &gid);
                gid_known = true;
        }

        /* /etc/passwd: for a name, and for the default group and the name of a uid */
        if (!user_numeric || !group) {
                if ((r = read_user_db(rootfs_fd, "passwd", &passwd, &passwd_size, err)) < 0)
                        return r;
                if (!passwd && !user_numeric)
                        return set_error(err, -ESRCH, "user '%s' not found: the image has no /etc/passwd",
                                         user);
        }
        if (passwd) {
                PasswdEntry pw = {};
                r = passwd_find(passwd, passwd_size, user_numeric ? NULL : user, uid, &pw);
                if (r == -EBADMSG)
                        return set_error(err, r, "the image's /etc/passwd entry of user '%s' is malformed",
                                         user);
                if (r < 0)
                        return r;
                if (r == 0 && !user_numeric)
                        return set_error(err, -ESRCH, "user '%s' not found in the image's /etc/passwd",
                                         user);
                if (r > 0) {
                        uid = pw.uid;
                        pw_name = pw.name;
                        if (!group)
                                gid = pw.gid;
                }
        }

        if (group && !gid_known) {
                if ((r = read_user_db(rootfs_fd, "group", &groupdb, &group_size, err)) < 0)
                        return r;
                if (!groupdb)
                        return set_error(err, -ESRCH, "group '%s' not found: the image has no /etc/group",
                                         group);
                r = group_find(groupdb, group_size, group, &gid);
                if (r == -EBADMSG)
                        return set_error(err, r, "the image's /etc/group entry of group '%s' is malformed",
                                         group);
                if (r == 0)
                        return set_error(err, -ESRCH, "group '%s' not found in the image's /etc/group",
                                         group);
        }

        /* the primary group is always listed (CVE-2022-2989); memberships only without an explicit
         * group, as the image spec says */
        _cleanup_free_ uint32_t *gids = NULL;
        size_t n_gids = 0;
        if ((r = gids_add(&gids, &n_gids, gid)) < 0)
                return r;
        if (!group && pw_name && *pw_name) {
                if ((r = read_user_db(rootfs_fd, "group", &groupdb, &group_size, err)) < 0)
                        return r;
                if (groupdb && (r = groups_of(groupdb, group_size, pw_name, &gids, &n_gids)) < 0)
                        return r == -E2BIG ? set_error(err, r, "user '%s' is in more than %d groups",
                                                       pw_name, GROUPS_MAX)
                                           : r;
        }
        ret->uid = uid;
        ret->gid = gid;
        ret->gids = TAKE_PTR(gids);
        ret->n_gids = n_gids;
        return 0;
}

/* ---- the runtime config's process ---- */

static int append_string(json_t *arr, const char *s, const char *what, char **err)
{
        json_t *v = json_string(s);
        if (!v)
                return set_error(err, -EINVAL, "%s '%s' is not valid UTF-8", what, s);
        return json_array_append_new(arr, v) < 0 ? -ENOMEM : 0;
}

/* KEY=VALUE replaces an entry of the same KEY where it stands, or is appended. */
static int env_set(json_t *env, const char *kv, const char *what, char **err)
{
        size_t klen = strcspn(kv, "=");
        if (!kv[klen] || klen == 0)
                return set_error(err, -EINVAL, "%s '%s' is not KEY=VALUE", what, kv);
        size_t i;
        json_t *e;
        json_array_foreach (env, i, e) {
                const char *s = json_string_value(e);
                if (strncmp(s, kv, klen) == 0 && s[klen] == '=') {
                        json_t *v = json_string(kv);
                        if (!v)
                                return set_error(err, -EINVAL, "%s '%s' is not valid UTF-8", what, kv);
                        return json_array_set_new(env, i, v) < 0 ? -ENOMEM : 0;
                }
        }
        return append_string(env, kv, what, err);
}

static int build_args(const ImageConfig *ic, const ImageOverrides *o, json_t **ret, char **err)
{
        char **entry = o && o->entrypoint ? o->entrypoint : ic->entrypoint;
        char **cmd = o && o->cmd ? o->cmd : o && o->entrypoint ? NULL : ic->cmd;
        _cleanup_json_ json_t *args = json_array();
        int r;

        if (!args)
                return -ENOMEM;
        STRV_FOREACH (s, entry)
                if ((r = append_string(args, *s, "argument", err)) < 0)
                        return r;
        STRV_FOREACH (s, cmd)
                if ((r = append_string(args, *s, "argument", err)) < 0)
                        return r;
        if (json_array_size(args) == 0)
                return set_error(err, -EINVAL, "image has no Entrypoint or Cmd and none was given");
        if (!*json_string_value(json_array_get(args, 0)))
                return set_error(err, -EINVAL, "the command to run is an empty string");
        *ret = TAKE_PTR(args);
        return 0;
}

static int build_env(const ImageConfig *ic, const ImageOverrides *o, json_t **ret, char **err)
{
        _cleanup_json_ json_t *env = json_array();
        int r;

        if (!env)
                return -ENOMEM;
        STRV_FOREACH (s, ic->env)
                if ((r = env_set(env, *s, "image environment variable", err)) < 0)
                        return r;
        STRV_FOREACH (s, o ? o->env : NULL)
                if ((r = env_set(env, *s, "environment variable", err)) < 0)
                        return r;
        bool has_path = false;
        size_t i;
        json_t *e;
        json_array_foreach (env, i, e)
                if (startswith(json_string_value(e), "PATH="))
                        has_path = true;
        if (!has_path && json_array_insert_new(env, 0, json_string(DEFAULT_PATH)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(env);
        return 0;
}

static int build_user(const ImageConfig *ic, const ImageOverrides *o, int rootfs_fd, json_t *old,
                      json_t **ret, char **err)
{
        const char *spec = o && o->user ? o->user : strempty(ic->user);
        ResolvedUser u = {};
        int r = resolve_user(rootfs_fd, spec, &u, err);
        if (r < 0)
                return r;
        _cleanup_free_ uint32_t *gids = u.gids;
        _cleanup_json_ json_t *user = json_is_object(old) ? json_deep_copy(old) : json_object();
        json_t *list = json_array();
        if (!user || !list) {
                json_decref(list);
                return -ENOMEM;
        }
        for (size_t i = 0; i < u.n_gids; i++)
                if (json_array_append_new(list, json_integer(gids[i])) < 0) {
                        json_decref(list);
                        return -ENOMEM;
                }
        if (json_object_set_new(user, "additionalGids", list) < 0 ||
            json_object_set_new(user, "uid", json_integer(u.uid)) < 0 ||
            json_object_set_new(user, "gid", json_integer(u.gid)) < 0)
                return -ENOMEM;
        json_object_del(user, "username"); /* Windows only */
        *ret = TAKE_PTR(user);
        return 0;
}

int image_config_apply(const ImageConfig *ic, const ImageOverrides *o, int rootfs_fd, json_t *oci,
                       char **err)
{
        _cleanup_json_ json_t *args = NULL, *env = NULL, *user = NULL, *cwd = NULL;
        _cleanup_free_ char *cwd_clean = NULL;
        int r;

        if (!json_is_object(oci))
                return set_error(err, -EINVAL, "the runtime config is not a JSON object");
        json_t *process = json_object_get(oci, "process");

        if ((r = build_args(ic, o, &args, err)) < 0 || (r = build_env(ic, o, &env, err)) < 0)
                return r;
        if (o && o->cwd) {
                if (o->cwd[0] != '/')
                        return set_error(err, -EINVAL, "working directory '%s' is not an absolute path",
                                         o->cwd);
                if (!(cwd_clean = path_clean(o->cwd)))
                        return -ENOMEM;
                if (!(cwd = json_string(cwd_clean)))
                        return set_error(err, -EINVAL, "working directory '%s' is not valid UTF-8", o->cwd);
        } else if (!(cwd = json_string(ic->working_dir ?: "/")))
                return -ENOMEM;
        if ((r = build_user(ic, o, rootfs_fd, json_object_get(process, "user"), &user, err)) < 0)
                return r;

        if (!json_is_object(process)) {
                process = json_object();
                if (!process || json_object_set_new(oci, "process", process) < 0)
                        return -ENOMEM;
        }
        if (json_object_set(process, "args", args) < 0 || json_object_set(process, "env", env) < 0 ||
            json_object_set(process, "cwd", cwd) < 0 || json_object_set(process, "user", user) < 0)
                return -ENOMEM;
        return 0;
}

/* ---- anonymous volumes ---- */

typedef struct CopyState {
        uint64_t max_bytes, max_entries, bytes, entries;
        char path[PATH_MAX]; /* of the entry at hand, as the container sees it */
        size_t path_len;
        char **err;
} CopyState;

static int copy_err(CopyState *s, int r, const char *what)
{
        return set_error(s->err, r, "copying '%s' into its volume: %s: %s", s->path, what, strerror(-r));
}

static int path_push(CopyState *s, const char *name, size_t *saved)
{
        size_t n = strlen(name);
        *saved = s->path_len;
        if (s->path_len + 1 + n >= sizeof(s->path))
                return set_error(s->err, -ENAMETOOLONG, "copying '%s/%s' into its volume: path too long",
                                 s->path, name);
        s->path[s->path_len++] = '/';
        memcpy(s->path + s->path_len, name, n + 1);
        s->path_len += n;
        return 0;
}

static void path_pop(CopyState *s, size_t saved)
{
        s->path_len = saved;
        s->path[saved] = 0;
}

/* Owner first: chown clears the setuid and setgid bits that the chmod then sets. */
static int copy_metadata_fd(CopyState *s, int fd, const struct stat *st)
{
        const struct timespec ts[2] = {st->st_atim, st->st_mtim};
        if (fchown(fd, st->st_uid, st->st_gid) < 0)
                return copy_err(s, negative_errno(), "cannot set the owner");
        if (fchmod(fd, st->st_mode & 07777) < 0)
                return copy_err(s, negative_errno(), "cannot set the mode");
        if (futimens(fd, ts) < 0)
                return copy_err(s, negative_errno(), "cannot set the times");
        return 0;
}

static int account_bytes(CopyState *s, uint64_t n)
{
        if (n > s->max_bytes - s->bytes)
                return set_error(s->err, -EFBIG,
                                 "copying '%s' into its volume: the volume's content exceeds %llu bytes",
                                 s->path, (unsigned long long)s->max_bytes);
        s->bytes += n;
        return 0;
}

static int copy_data(CopyState *s, int in, int out)
{
        static const size_t chunk = 1 << 20;
        bool use_cfr = true;
        for (;;) {
                /* one byte more than the budget allows, to notice a file that grew */
                uint64_t left = s->max_bytes - s->bytes;
                size_t want = left < chunk ? (size_t)left + 1 : chunk;
                ssize_t k;
                if (use_cfr) {
                        k = copy_file_range(in, NULL, out, NULL, want, 0);
                        if (k < 0 && (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP ||
                                      errno == ENOSYS || errno == EPERM || errno == ETXTBSY)) {
                                use_cfr = false;
                                continue;
                        }
                } else {
                        char buf[65536];
                        k = read(in, buf, want < sizeof(buf) ? want : sizeof(buf));
                        if (k > 0) {
                                int r = account_bytes(s, (uint64_t)k);
                                if (r < 0)
                                        return r;
                                if ((r = loop_write(out, buf, (size_t)k)) < 0)
                                        return copy_err(s, r, "cannot write");
                                continue;
                        }
                }
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return copy_err(s, negative_errno(), "cannot copy");
                }
                if (k == 0)
                        return 0;
                int r = account_bytes(s, (uint64_t)k);
                if (r < 0)
                        return r;
        }
}

static int copy_file(CopyState *s, int src_dir, const char *name, int dst_dir)
{
        struct stat st;
        int r;
        /* O_NOFOLLOW|O_NONBLOCK: an entry swapped for a symlink or a FIFO since it was looked at
         * fails here or below, it does not lead elsewhere or hang */
        _cleanup_close_ int in =
                openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (in < 0)
                return copy_err(s, negative_errno(), "cannot open");
        if (fstat(in, &st) < 0)
                return copy_err(s, negative_errno(), "cannot stat");
        if (!S_ISREG(st.st_mode))
                return copy_err(s, -EBUSY, "changed while being copied");
        if ((uint64_t)st.st_size > s->max_bytes - s->bytes)
                return account_bytes(s, (uint64_t)st.st_size);
        _cleanup_close_ int out =
                openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return copy_err(s, negative_errno(), "cannot create");
        if ((r = copy_data(s, in, out)) < 0)
                return r;
        return copy_metadata_fd(s, out, &st);
}

static int copy_symlink(CopyState *s, int src_dir, const char *name, int dst_dir, const struct stat *st)
{
        char target[PATH_MAX];
        const struct timespec ts[2] = {st->st_atim, st->st_mtim};
        ssize_t k = readlinkat(src_dir, name, target, sizeof(target));
        if (k < 0)
                return copy_err(s, negative_errno(), "cannot read the symlink");
        if ((size_t)k >= sizeof(target))
                return copy_err(s, -ENAMETOOLONG, "cannot read the symlink");
        target[k] = 0;
        if (symlinkat(target, dst_dir, name) < 0)
                return copy_err(s, negative_errno(), "cannot create the symlink");
        if (fchownat(dst_dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                return copy_err(s, negative_errno(), "cannot set the owner");
        if (utimensat(dst_dir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return copy_err(s, negative_errno(), "cannot set the times");
        return 0;
}

/* By name in the volume directory, which only the caller writes to: opening a FIFO to get an fd
 * would block. */
static int copy_fifo(CopyState *s, const char *name, int dst_dir, const struct stat *st)
{
        const struct timespec ts[2] = {st->st_atim, st->st_mtim};
        if (mknodat(dst_dir, name, S_IFIFO | 0600, 0) < 0)
                return copy_err(s, negative_errno(), "cannot create the FIFO");
        if (fchownat(dst_dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                return copy_err(s, negative_errno(), "cannot set the owner");
        if (fchmodat(dst_dir, name, st->st_mode & 07777, 0) < 0)
                return copy_err(s, negative_errno(), "cannot set the mode");
        if (utimensat(dst_dir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return copy_err(s, negative_errno(), "cannot set the times");
        return 0;
}

static int copy_dir(CopyState *s, int src_fd, int dst_fd, unsigned depth);

static int copy_subdir(CopyState *s, int src_dir, const char *name, int dst_dir, unsigned depth)
{
        struct stat st;
        int r;
        int in = openat(src_dir, name,
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (in < 0)
                return copy_err(s, negative_errno(), "cannot open the directory");
        if (fstat(in, &st) < 0) {
                r = negative_errno();
                safe_close(in);
                return copy_err(s, r, "cannot stat");
        }
        if (mkdirat(dst_dir, name, 0700) < 0) {
                r = negative_errno();
                safe_close(in);
                return copy_err(s, r, "cannot create the directory");
        }
        _cleanup_close_ int out = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (out < 0) {
                r = negative_errno();
                safe_close(in);
                return copy_err(s, r, "cannot open the directory");
        }
        if ((r = copy_dir(s, in, out, depth + 1)) < 0)
                return r;
        /* after the children: a read-only directory still took them */
        return copy_metadata_fd(s, out, &st);
}

/* Takes src_fd over. */
static int copy_dir(CopyState *s, int src_fd, int dst_fd, unsigned depth)
{
        struct dirent *de;
        int r;

        if (depth > IMAGE_VOLUME_MAX_DEPTH) {
                safe_close(src_fd);
                return set_error(s->err, -ELOOP,
                                 "copying '%s' into its volume: directories nested deeper than %d", s->path,
                                 IMAGE_VOLUME_MAX_DEPTH);
        }
        DIR *d = fdopendir(src_fd);
        if (!d) {
                r = negative_errno();
                safe_close(src_fd);
                return copy_err(s, r, "cannot read the directory");
        }
        for (;;) {
                errno = 0;
                if (!(de = readdir(d))) {
                        r = errno > 0 ? copy_err(s, -errno, "cannot read the directory") : 0;
                        break;
                }
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                size_t saved;
                if ((r = path_push(s, de->d_name, &saved)) < 0)
                        break;
                if (++s->entries > s->max_entries) {
                        r = set_error(s->err, -EFBIG, "copying '%s' into its volume: more than %llu entries",
                                      s->path, (unsigned long long)s->max_entries);
                        break;
                }
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = copy_err(s, negative_errno(), "cannot stat");
                        break;
                }
                switch (st.st_mode & S_IFMT) {
                case S_IFDIR:
                        r = copy_subdir(s, dirfd(d), de->d_name, dst_fd, depth);
                        break;
                case S_IFREG:
                        r = copy_file(s, dirfd(d), de->d_name, dst_fd);
                        break;
                case S_IFLNK:
                        r = copy_symlink(s, dirfd(d), de->d_name, dst_fd, &st);
                        break;
                case S_IFIFO:
                        r = copy_fifo(s, de->d_name, dst_fd, &st);
                        break;
                default:
                        /* Device nodes would be made with the caller's privileges and the image's
                         * major:minor, and a socket means nothing without its listener: neither is
                         * copied. */
                        r = 0;
                }
                if (r < 0)
                        break;
                path_pop(s, saved);
        }
        closedir(d);
        return r;
}

int image_volume_copy_up(int rootfs_fd, const char *path, int vol_dir_fd, const ImageCopyLimits *limits,
                         char **err)
{
        struct stat st;
        int r;

        if (!path || volume_path_invalid(path))
                return set_error(err, -EINVAL, "volume path '%s' is not a clean absolute path",
                                 strempty(path));
        _cleanup_free_ char *clean = path_clean(path);
        if (!clean)
                return -ENOMEM;
        if (streq(clean, "/"))
                return set_error(err, -EINVAL, "a volume cannot be the root directory");

        CopyState s = {
                .max_bytes =
                        limits && limits->max_bytes ? limits->max_bytes : IMAGE_VOLUME_DEFAULT_MAX_BYTES,
                .max_entries = limits && limits->max_entries ? limits->max_entries
                                                             : IMAGE_VOLUME_DEFAULT_MAX_ENTRIES,
                .err = err,
        };
        snprintf(s.path, sizeof(s.path), "%s", clean);
        s.path_len = strlen(s.path);

        /* The path is resolved in the image: a symlink on the way (/vol -> /etc) goes to the
         * image's own target. Below it, nothing is followed. */
        int src = openat2_fd(rootfs_fd, clean + 1, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_NOCTTY,
                             RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (src == -ENOENT)
                return 0; /* nothing in the image there: the volume starts empty */
        if (src == -ENOTDIR)
                return set_error(err, src,
                                 "volume '%s': the image has something other than a directory there", clean);
        if (src < 0)
                return set_error(err, src, "volume '%s': cannot open it in the image: %s", clean,
                                 strerror(-src));
        _cleanup_close_ int dst = openat(vol_dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dst < 0) {
                r = negative_errno();
                safe_close(src);
                return set_error(err, r, "volume '%s': cannot open the volume directory: %s", clean,
                                 strerror(-r));
        }
        if (fstat(src, &st) < 0) {
                r = negative_errno();
                safe_close(src);
                return copy_err(&s, r, "cannot stat");
        }
        if ((r = copy_dir(&s, src, dst, 0)) < 0)
                return r;
        return copy_metadata_fd(&s, dst, &st);
}
