/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "definition.h"
#include "json-util.h"
#include "oci-config.h"
#include "process.h"
#include "util.h"

#define SECTION "Container"

/* What every container gets unless the definition says otherwise: podman's default set. */
static const char *const default_caps[] = {
        "CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FOWNER",     "CAP_FSETID",
        "CAP_KILL",    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP",    "CAP_SETGID",
        "CAP_SETPCAP", "CAP_SETUID",           "CAP_SYS_CHROOT", NULL,
};

static const char *const reserved_service_keys[] = {
        "Type",
        "ExecStart",
        "ExecStopPost",
        "NotifyAccess",
        "KillMode",
        "PIDFile",
        "RemainAfterExit",
        "GuessMainPID",
        "RootDirectory",
        "RootImage",
        "User",
        "Group",
        "DynamicUser",
        "PrivateUsers",
        "PrivateNetwork",
        "NetworkNamespacePath",
        "PrivateMounts",
        "MountAPIVFS",
        "ProtectSystem",
        "PrivatePIDs",
        NULL,
};

bool definition_service_key_reserved(const char *key)
{
        for (size_t i = 0; reserved_service_keys[i]; i++)
                if (streq(key, reserved_service_keys[i]))
                        return true;
        return false;
}

Definition *definition_free(Definition *d)
{
        if (!d)
                return NULL;
        free(d->name);
        free(d->path);
        unit_file_done(&d->unit);
        if (d->config)
                json_decref(d->config);
        free(d->bundle);
        free(d->image);
        strv_free(d->image_entrypoint);
        strv_free(d->image_cmd);
        free(d->image_user);
        free(d->image_cwd);
        strv_free(d->image_env);
        free(d);
        return NULL;
}

static int entry_err(char **err, const UnitEntry *e, const char *fmt, ...) _printf_(3, 4);
static int entry_err(char **err, const UnitEntry *e, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (err) {
                free(*err);
                if (asprintf(err, "%s:%u: %s=: %s", e->file, e->line, e->key, msg) < 0)
                        *err = NULL;
        }
        return -EINVAL;
}

static int split(const UnitEntry *e, char ***ret, char **err)
{
        _cleanup_free_ char *why = NULL;
        int r = unit_value_split(e->value, ret, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return entry_err(err, e, "%s", why ?: "cannot split value");
        return r;
}

static int get_bool(const UnitEntry *e, bool *ret, char **err)
{
        if (unit_value_bool(e->value, ret) < 0)
                return entry_err(err, e, "'%s' is not a boolean", e->value);
        return 0;
}

/* A list key: every assignment adds its words; an empty one resets the list. */
static int collect_words(const Definition *d, const char *key, char ***ret, const UnitEntry **ret_last,
                         char **err)
{
        _cleanup_strv_free_ char **all = NULL;
        const UnitEntry *e, *last = NULL;
        size_t it = 0;
        while ((e = unit_file_next(&d->unit, SECTION, key, &it))) {
                last = e;
                if (!*e->value) {
                        all = strv_free(all);
                        continue;
                }
                _cleanup_strv_free_ char **w = NULL;
                int r = split(e, &w, err);
                if (r < 0)
                        return r;
                STRV_FOREACH (s, w) {
                        if (strv_extend(&all, *s) < 0)
                                return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(all);
        if (ret_last)
                *ret_last = last;
        return 0;
}

/* A list key whose values are taken whole (not split): Volume=, Tmpfs=. */
static int collect_values(const Definition *d, const char *key, const UnitEntry ***ret, size_t *ret_n)
{
        const UnitEntry *e;
        const UnitEntry **l = NULL;
        size_t it = 0, n = 0;
        while ((e = unit_file_next(&d->unit, SECTION, key, &it))) {
                if (!*e->value) {
                        n = 0;
                        continue;
                }
                const UnitEntry **nl = realloc(l, sizeof(*l) * (n + 1));
                if (!nl) {
                        free(l);
                        return -ENOMEM;
                }
                l = nl;
                l[n++] = e;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

/* ---- users and groups, looked up inside the rootfs without trusting it ---- */

static int read_rootfs_file(const char *rootfs, const char *path, char **ret)
{
        /* /etc/passwd of an image may be a symlink to a host file, a FIFO, /dev/zero: resolve it
         * inside the rootfs, open without blocking, accept only a regular file of bounded size. */
        _cleanup_close_ int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return negative_errno();
        struct open_how how = {
                .flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        _cleanup_close_ int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
        if (fd < 0)
                return negative_errno();
        struct stat st;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        return read_full_fd(fd, 1024 * 1024, ret, NULL);
}

/* Field `field` (0-based) of the line whose field 0 is name (or whose field 2 is the number). */
static int lookup_db(const char *data, const char *name, unsigned field, char **ret_line)
{
        for (const char *p = data; p && *p;) {
                size_t n = strcspn(p, "\n");
                size_t k = strcspn(p, ":");
                if (k < n && k == strlen(name) && strncmp(p, name, k) == 0) {
                        *ret_line = strndup(p, n);
                        return *ret_line ? 0 : -ENOMEM;
                }
                p += n;
                if (*p)
                        p++;
        }
        (void)field;
        return -ESRCH;
}

static const char *nth_field(char *line, unsigned n)
{
        char *p = line;
        for (unsigned i = 0; i < n; i++) {
                p = strchr(p, ':');
                if (!p)
                        return NULL;
                p++;
        }
        char *end = strchr(p, ':');
        if (end)
                *end = 0;
        return p;
}

static int resolve_user(const char *rootfs, const UnitEntry *e, uint32_t *ret_uid, uint32_t *ret_gid,
                        bool *ret_gid_known, char **err)
{
        uint32_t v;
        if (safe_atou32(e->value, &v) >= 0 && v != UINT32_MAX) {
                *ret_uid = v;
                *ret_gid_known = false;
                return 0;
        }
        _cleanup_free_ char *db = NULL, *line = NULL;
        int r = read_rootfs_file(rootfs, "/etc/passwd", &db);
        if (r < 0)
                return entry_err(err, e, "cannot look up user '%s': /etc/passwd of the rootfs: %s", e->value,
                                 strerror(-r));
        if (lookup_db(db, e->value, 0, &line) < 0)
                return entry_err(err, e, "no user '%s' in the rootfs' /etc/passwd", e->value);
        _cleanup_free_ char *copy = strdup(line);
        if (!copy)
                return -ENOMEM;
        const char *uid = nth_field(line, 2), *gid = nth_field(copy, 3);
        if (!uid || !gid || safe_atou32(uid, ret_uid) < 0 || safe_atou32(gid, ret_gid) < 0)
                return entry_err(err, e, "the rootfs' /etc/passwd entry of '%s' is malformed", e->value);
        *ret_gid_known = true;
        return 0;
}

static int resolve_group(const char *rootfs, const UnitEntry *e, uint32_t *ret_gid, char **err)
{
        uint32_t v;
        if (safe_atou32(e->value, &v) >= 0 && v != UINT32_MAX) {
                *ret_gid = v;
                return 0;
        }
        _cleanup_free_ char *db = NULL, *line = NULL;
        int r = read_rootfs_file(rootfs, "/etc/group", &db);
        if (r < 0)
                return entry_err(err, e, "cannot look up group '%s': /etc/group of the rootfs: %s", e->value,
                                 strerror(-r));
        if (lookup_db(db, e->value, 0, &line) < 0)
                return entry_err(err, e, "no group '%s' in the rootfs' /etc/group", e->value);
        const char *gid = nth_field(line, 2);
        if (!gid || safe_atou32(gid, ret_gid) < 0)
                return entry_err(err, e, "the rootfs' /etc/group entry of '%s' is malformed", e->value);
        return 0;
}

/* Supplementary groups: every /etc/group line listing the user by name (CVE-2022-2989: the
 * primary group is always among them). */
static int user_groups(const char *rootfs, const char *user, uint32_t primary, json_t *ret)
{
        _cleanup_free_ char *db = NULL;
        json_array_append_new(ret, json_integer(primary));
        if (!user || read_rootfs_file(rootfs, "/etc/group", &db) < 0)
                return 0;
        for (char *p = db; p && *p;) {
                size_t n = strcspn(p, "\n");
                _cleanup_free_ char *line = strndup(p, n), *copy = strndup(p, n);
                p += n;
                if (*p)
                        p++;
                if (!line || !copy)
                        return -ENOMEM;
                const char *gid = nth_field(line, 2), *members = nth_field(copy, 3);
                uint32_t g;
                if (!gid || !members || safe_atou32(gid, &g) < 0 || g == primary)
                        continue;
                _cleanup_free_ char *m = strdup(members);
                if (!m)
                        return -ENOMEM;
                for (char *tok = strtok(m, ","); tok; tok = strtok(NULL, ","))
                        if (streq(tok, user)) {
                                json_array_append_new(ret, json_integer(g));
                                break;
                        }
        }
        return 0;
}

/* ---- the translation ---- */

static int parse_id_map(const UnitEntry *e, json_t *list, char **err)
{
        unsigned long c, h, s;
        char extra;
        if (sscanf(e->value, "%lu:%lu:%lu%c", &c, &h, &s, &extra) != 3 || s == 0 || c > UINT32_MAX ||
            h > UINT32_MAX || s > UINT32_MAX)
                return entry_err(err, e, "'%s' is not CONTAINER-ID:HOST-ID:SIZE", e->value);
        json_array_append_new(list, json_pack("{s:I, s:I, s:I}", "containerID", (json_int_t)c, "hostID",
                                              (json_int_t)h, "size", (json_int_t)s));
        return 0;
}

static int add_env_file(const UnitEntry *e, json_t *env, char **err)
{
        const char *path = e->value;
        bool optional = path[0] == '-';
        if (optional)
                path++;
        if (path[0] != '/')
                return entry_err(err, e, "'%s' is not an absolute path", path);
        _cleanup_free_ char *data = NULL;
        int r = read_full_file(path, 1024 * 1024, &data, NULL);
        if (r < 0) {
                if (optional && r == -ENOENT)
                        return 0;
                return entry_err(err, e, "'%s': %s", path, strerror(-r));
        }
        unsigned lineno = 0;
        for (char *p = data; *p;) {
                size_t n = strcspn(p, "\n");
                char *line = strndup(p, n);
                p += n;
                if (*p)
                        p++;
                lineno++;
                if (!line)
                        return -ENOMEM;
                char *s = line;
                while (*s == ' ' || *s == '\t')
                        s++;
                if (!*s || *s == '#' || *s == ';') {
                        free(line);
                        continue;
                }
                if (!strchr(s, '=') || *s == '=') {
                        free(line);
                        return entry_err(err, e, "'%s' line %u: not KEY=VALUE", path, lineno);
                }
                json_array_append_new(env, json_string(s));
                free(line);
        }
        return 0;
}

static json_t *mount_json(const char *dest, const char *type, const char *source, const char *const *opts)
{
        json_t *o = json_array();
        for (; opts && *opts; opts++)
                json_array_append_new(o, json_string(*opts));
        return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", source,
                         "options", o);
}

static int build_config(Definition *d, char **err)
{
        const UnitEntry *e;
        int r;

        /* Start from the same defaults 'ctr-oci spec' writes, then apply the keys. */
        _cleanup_json_ json_t *c = oci_config_default(false);
        if (!c)
                return -ENOMEM;
        json_t *process = json_object_get(c, "process");
        json_t *linux_ = json_object_get(c, "linux");
        _cleanup_free_ char *def_path =
                strdup(json_string_value(json_array_get(json_object_get(process, "env"), 0)) ?: "");
        if (!def_path)
                return -ENOMEM;
        json_object_set_new(process, "terminal", json_false());
        json_object_del(process, "rlimits");
        json_object_set_new(process, "noNewPrivileges", json_false());
        /* the name may be longer than a hostname can be */
        json_object_set_new(c, "hostname", json_stringn(d->name, strnlen(d->name, 63)));
        json_object_set_new(json_object_get(c, "root"), "readonly", json_false());

        /* rootfs */
        const UnitEntry *root = unit_file_last(&d->unit, SECTION, "RootDirectory");
        const UnitEntry *image = unit_file_last(&d->unit, SECTION, "Image");
        const char *rootfs = NULL;
        if (image && *image->value && root && *root->value) {
                const UnitEntry *later =
                        image->line > root->line || image->file != root->file ? image : root;
                return entry_err(err, later, "Image= and RootDirectory= exclude each other");
        }
        if (image && *image->value) {
                d->image = strdup(image->value);
                if (!d->image)
                        return -ENOMEM;
                /* set when the image is mounted at start; until then a path that cannot
                 * exist next to the definition, so a config never completed cannot run */
                json_object_set_new(json_object_get(c, "root"), "path",
                                    json_string(".image-rootfs-not-mounted"));
        } else {
                if (!root || !*root->value)
                        return entry_err(
                                err,
                                root ?: &(UnitEntry){.file = d->path, .line = 1, .key = "RootDirectory"},
                                "a container needs Image=, RootDirectory= or Bundle=");
                if (root->value[0] != '/')
                        return entry_err(err, root, "'%s' is not an absolute path", root->value);
                struct stat st;
                if (stat(root->value, &st) < 0 || !S_ISDIR(st.st_mode))
                        return entry_err(err, root, "'%s' is not a directory", root->value);
                json_object_set_new(json_object_get(c, "root"), "path", json_string(root->value));
                rootfs = root->value;
        }

        if ((e = unit_file_last(&d->unit, SECTION, "ReadOnly")) && *e->value) {
                bool b;
                if ((r = get_bool(e, &b, err)) < 0)
                        return r;
                json_object_set_new(json_object_get(c, "root"), "readonly", json_boolean(b));
        }

        /* command */
        _cleanup_strv_free_ char **entry = NULL, **exec = NULL;
        const UnitEntry *last_exec = NULL, *last_entry = NULL;
        if ((r = collect_words(d, "Entrypoint", &entry, &last_entry, err)) < 0 ||
            (r = collect_words(d, "Exec", &exec, &last_exec, err)) < 0)
                return r;
        if (d->image) {
                /* the image supplies what is not given; args are completed at start */
                if (last_entry && !(d->image_entrypoint = entry ?: calloc(1, sizeof(char *))))
                        return -ENOMEM;
                if (last_entry)
                        entry = NULL;
                if (last_exec && !(d->image_cmd = exec ?: calloc(1, sizeof(char *))))
                        return -ENOMEM;
                if (last_exec)
                        exec = NULL;
        }
        json_t *args = json_array();
        STRV_FOREACH (s, entry)
                json_array_append_new(args, json_string(*s));
        STRV_FOREACH (s, exec)
                json_array_append_new(args, json_string(*s));
        if (json_array_size(args) == 0 && d->image)
                json_array_append_new(args, json_string("/.image-command-not-set")); /* set at start */
        if (json_array_size(args) == 0) {
                json_decref(args);
                const UnitEntry *at = last_exec ?: last_entry;
                return entry_err(err, at ?: &(UnitEntry){.file = d->path, .line = 1, .key = "Exec"},
                                 "a container needs a command: Exec= (or Entrypoint=)");
        }
        json_object_set_new(process, "args", args);

        /* environment: the default PATH, then the files, then Environment= */
        json_t *env = json_object_get(process, "env");
        json_array_remove(env, 1); /* TERM=xterm: there is no terminal */
        _cleanup_free_ const UnitEntry **files = NULL;
        size_t n_files = 0, it = 0;
        if ((r = collect_values(d, "EnvironmentFile", &files, &n_files)) < 0)
                return r;
        for (size_t i = 0; i < n_files; i++)
                if ((r = add_env_file(files[i], env, err)) < 0)
                        return r;
        /* Environment=: each word checked against its own line; an empty assignment resets
         * what earlier ones set */
        size_t base = json_array_size(env);
        it = 0;
        while ((e = unit_file_next(&d->unit, SECTION, "Environment", &it))) {
                if (!*e->value) {
                        while (json_array_size(env) > base)
                                json_array_remove(env, base);
                        continue;
                }
                _cleanup_strv_free_ char **w = NULL;
                if ((r = split(e, &w, err)) < 0)
                        return r;
                STRV_FOREACH (s, w) {
                        if (!strchr(*s, '=') || **s == '=')
                                return entry_err(err, e, "'%s' is not KEY=VALUE", *s);
                        json_array_append_new(env, json_string(*s));
                }
        }
        /* a later KEY=... replaces an earlier one (Environment=PATH=... the default PATH) */
        for (size_t i = 0; i < json_array_size(env); i++) {
                const char *a = json_string_value(json_array_get(env, i));
                size_t klen = strcspn(a, "=");
                for (size_t k = i + 1; k < json_array_size(env); k++) {
                        const char *b = json_string_value(json_array_get(env, k));
                        if (strncmp(a, b, klen) == 0 && b[klen] == '=') {
                                json_array_remove(env, i--);
                                break;
                        }
                }
        }

        if ((e = unit_file_last(&d->unit, SECTION, "WorkingDirectory")) && *e->value) {
                if (e->value[0] != '/')
                        return entry_err(err, e, "'%s' is not an absolute path", e->value);
                json_object_set_new(process, "cwd", json_string(e->value));
                if (d->image && !(d->image_cwd = strdup(e->value)))
                        return -ENOMEM;
        }

        if (d->image) {
                /* over the image's Env at start; the default PATH gives way to the image's */
                size_t i;
                json_t *v;
                json_array_foreach (env, i, v)
                        if (!streq_ptr(json_string_value(v), def_path) &&
                            strv_extend(&d->image_env, json_string_value(v)) < 0)
                                return -ENOMEM;
                /* and the user is looked up in the image's files at start */
                const UnitEntry *u = unit_file_last(&d->unit, SECTION, "User");
                const UnitEntry *g = unit_file_last(&d->unit, SECTION, "Group");
                if ((u && *u->value) || (g && *g->value)) {
                        if (asprintf(&d->image_user, "%s%s%s", u && *u->value ? u->value : "0",
                                     g && *g->value ? ":" : "", g && *g->value ? g->value : "") < 0) {
                                d->image_user = NULL;
                                return -ENOMEM;
                        }
                }
        }

        /* user and groups */
        uint32_t uid = 0, gid = 0;
        bool gid_known = false;
        const char *user_name = NULL;
        if (!d->image && (e = unit_file_last(&d->unit, SECTION, "User")) && *e->value) {
                if ((r = resolve_user(rootfs, e, &uid, &gid, &gid_known, err)) < 0)
                        return r;
                uint32_t dummy;
                if (safe_atou32(e->value, &dummy) < 0)
                        user_name = e->value;
        }
        if (!d->image && (e = unit_file_last(&d->unit, SECTION, "Group")) && *e->value) {
                if ((r = resolve_group(rootfs, e, &gid, err)) < 0)
                        return r;
                gid_known = true;
        }
        if (!gid_known)
                gid = uid == 0 ? 0 : uid;
        json_t *groups = json_array();
        if (rootfs && (r = user_groups(rootfs, user_name, gid, groups)) < 0) {
                json_decref(groups);
                return r;
        }
        json_object_set_new(process, "user",
                            json_pack("{s:I, s:I, s:o}", "uid", (json_int_t)uid, "gid", (json_int_t)gid,
                                      "additionalGids", groups));

        /* capabilities */
        json_t *caps = json_array();
        for (size_t i = 0; default_caps[i]; i++)
                json_array_append_new(caps, json_string(default_caps[i]));
        it = 0;
        while ((e = unit_file_next(&d->unit, SECTION, NULL, &it))) {
                bool add = streq(e->key, "AddCapability"), drop = streq(e->key, "DropCapability");
                if (!add && !drop)
                        continue;
                _cleanup_strv_free_ char **w = NULL;
                if ((r = split(e, &w, err)) < 0) {
                        json_decref(caps);
                        return r;
                }
                STRV_FOREACH (s, w) {
                        char name[64];
                        snprintf(name, sizeof(name), "%s%s", startswith(*s, "CAP_") ? "" : "CAP_", *s);
                        for (char *q = name; *q; q++)
                                *q = (char)(*q >= 'a' && *q <= 'z' ? *q - 32 : *q);
                        if (streq(name, "CAP_ALL")) {
                                json_array_clear(caps);
                                for (int k = 0; add && k <= cap_last_cap(); k++) {
                                        char *cn = cap_to_name(k);
                                        if (!cn)
                                                return -ENOMEM;
                                        char up[64];
                                        snprintf(up, sizeof(up), "%s", cn);
                                        cap_free(cn);
                                        for (char *q = up; *q; q++)
                                                *q = (char)(*q >= 'a' && *q <= 'z' ? *q - 32 : *q);
                                        json_array_append_new(caps, json_string(up));
                                }
                                continue;
                        }
                        size_t i;
                        json_t *v;
                        bool found = false;
                        json_array_foreach (caps, i, v)
                                if (streq(json_string_value(v), name)) {
                                        found = true;
                                        if (drop)
                                                json_array_remove(caps, i);
                                        break;
                                }
                        if (add && !found)
                                json_array_append_new(caps, json_string(name));
                }
        }
        json_object_set_new(
                process, "capabilities",
                json_pack("{s:O, s:O, s:O}", "bounding", caps, "effective", caps, "permitted", caps));
        json_decref(caps);

        if ((e = unit_file_last(&d->unit, SECTION, "NoNewPrivileges")) && *e->value) {
                bool b;
                if ((r = get_bool(e, &b, err)) < 0)
                        return r;
                json_object_set_new(process, "noNewPrivileges", json_boolean(b));
        }
        if ((e = unit_file_last(&d->unit, SECTION, "SeccompProfile")) && *e->value) {
                if (e->value[0] != '/')
                        return entry_err(err, e, "'%s' is not an absolute path", e->value);
                json_error_t je;
                json_t *prof = json_load_file(e->value, JSON_REJECT_DUPLICATES, &je);
                if (!prof)
                        return entry_err(err, e, "'%s': line %d: %s", e->value, je.line, je.text);
                json_object_set_new(linux_, "seccomp", prof);
        }

        if ((e = unit_file_last(&d->unit, SECTION, "Hostname")) && *e->value) {
                if (strlen(e->value) > 64 || strchr(e->value, '/'))
                        return entry_err(err, e, "'%s' is not a valid hostname (at most 64 characters)",
                                         e->value);
                json_object_set_new(c, "hostname", json_string(e->value));
        }

        /* network */
        json_t *nss = json_object_get(linux_, "namespaces");
        if ((e = unit_file_last(&d->unit, SECTION, "Network")) && *e->value) {
                const char *netns;
                size_t i;
                json_t *v;
                json_array_foreach (nss, i, v)
                        if (streq(json_string_value(json_object_get(v, "type")), "network"))
                                break;
                if (streq(e->value, "none"))
                        ;
                else if (streq(e->value, "host"))
                        json_array_remove(nss, i);
                else if ((netns = startswith(e->value, "netns:"))) {
                        char p[PATH_MAX];
                        if (!*netns || strchr(netns, '/') || streq(netns, ".") || streq(netns, ".."))
                                return entry_err(err, e, "'%s' is not a network namespace name", netns);
                        snprintf(p, sizeof(p), "/run/netns/%s", netns);
                        json_object_set_new(json_array_get(nss, i), "path", json_string(p));
                } else if (startswith(e->value, "bridge"))
                        return entry_err(
                                err, e,
                                "bridge networking is not supported yet; use none, host or netns:NAME");
                else
                        return entry_err(err, e, "'%s' is not none, host or netns:NAME", e->value);
        }

        /* user namespace */
        json_t *uidmap = json_array(), *gidmap = json_array();
        it = 0;
        while ((e = unit_file_next(&d->unit, SECTION, NULL, &it))) {
                json_t *target = streq(e->key, "UIDMap") ? uidmap : streq(e->key, "GIDMap") ? gidmap : NULL;
                if (!target)
                        continue;
                if (!*e->value) {
                        json_array_clear(target);
                        continue;
                }
                if ((r = parse_id_map(e, target, err)) < 0) {
                        json_decref(uidmap);
                        json_decref(gidmap);
                        return r;
                }
        }
        bool userns = json_array_size(uidmap) || json_array_size(gidmap);
        if ((e = unit_file_last(&d->unit, SECTION, "UserNamespace")) && *e->value) {
                if ((r = get_bool(e, &userns, err)) < 0) {
                        json_decref(uidmap);
                        json_decref(gidmap);
                        return r;
                }
                if (userns && !json_array_size(uidmap)) {
                        json_decref(uidmap);
                        json_decref(gidmap);
                        return entry_err(err, e, "a user namespace needs UIDMap= and GIDMap=");
                }
        }
        if (userns) {
                if (!json_array_size(uidmap) || !json_array_size(gidmap)) {
                        const UnitEntry *at = unit_file_last(&d->unit, SECTION,
                                                             json_array_size(uidmap) ? "UIDMap" : "GIDMap");
                        json_decref(uidmap);
                        json_decref(gidmap);
                        return entry_err(err, at, "UIDMap= and GIDMap= must be given together");
                }
                json_array_append_new(nss, json_pack("{s:s}", "type", "user"));
                /* sysfs belongs to the network namespace: one owned by another user namespace
                 * cannot be mounted from this one, so bind the host's read-only instead */
                bool own_netns = false;
                size_t ni;
                json_t *nv;
                json_array_foreach (nss, ni, nv)
                        if (streq(json_string_value(json_object_get(nv, "type")), "network") &&
                            !json_object_get(nv, "path"))
                                own_netns = true;
                if (!own_netns) {
                        json_t *ms = json_object_get(c, "mounts"), *mv;
                        json_array_foreach (ms, ni, mv)
                                if (streq(json_string_value(json_object_get(mv, "destination")), "/sys")) {
                                        const char *o[] = {"rbind",  "ro",    "rro", "nosuid",
                                                           "noexec", "nodev", NULL};
                                        json_array_set_new(ms, ni, mount_json("/sys", "bind", "/sys", o));
                                        break;
                                }
                }
                json_object_set_new(linux_, "uidMappings", uidmap);
                json_object_set_new(linux_, "gidMappings", gidmap);
        } else {
                json_decref(uidmap);
                json_decref(gidmap);
        }

        /* volumes */
        json_t *mounts = json_object_get(c, "mounts");
        _cleanup_free_ const UnitEntry **vols = NULL, **tmpfs = NULL;
        size_t n_vols = 0, n_tmpfs = 0;
        if ((r = collect_values(d, "Volume", &vols, &n_vols)) < 0 ||
            (r = collect_values(d, "Tmpfs", &tmpfs, &n_tmpfs)) < 0)
                return r;
        for (size_t i = 0; i < n_vols; i++) {
                _cleanup_free_ char *copy = strdup(vols[i]->value);
                if (!copy)
                        return -ENOMEM;
                char *src = copy, *dst = strchr(copy, ':'), *mode = NULL;
                if (!dst)
                        return entry_err(err, vols[i], "'%s' is not SOURCE:DESTINATION[:ro|rw]",
                                         vols[i]->value);
                *dst++ = 0;
                if ((mode = strchr(dst, ':')))
                        *mode++ = 0;
                if (!path_is_safe_absolute(src))
                        return entry_err(err, vols[i], "source '%s' is not an absolute path", src);
                if (!path_is_safe_absolute(dst))
                        return entry_err(err, vols[i], "destination '%s' is not an absolute path", dst);
                if (mode && !streq(mode, "ro") && !streq(mode, "rw"))
                        return entry_err(err, vols[i], "'%s' is neither ro nor rw", mode);
                if (access(src, F_OK) < 0)
                        return entry_err(err, vols[i], "source '%s': %s", src, strerror(errno));
                const char *ro[] = {"rbind", "ro", "rro", "nosuid", "nodev", NULL};
                const char *rw[] = {"rbind", "nosuid", "nodev", NULL};
                json_array_append_new(mounts,
                                      mount_json(dst, "bind", src, mode && streq(mode, "ro") ? ro : rw));
        }
        for (size_t i = 0; i < n_tmpfs; i++) {
                if (!path_is_safe_absolute(tmpfs[i]->value))
                        return entry_err(err, tmpfs[i], "'%s' is not an absolute path", tmpfs[i]->value);
                const char *o[] = {"nosuid", "nodev", "mode=1777", NULL};
                json_array_append_new(mounts, mount_json(tmpfs[i]->value, "tmpfs", "tmpfs", o));
        }

        /* Init= */
        d->init = true;
        if ((e = unit_file_last(&d->unit, SECTION, "Init")) && *e->value &&
            (r = get_bool(e, &d->init, err)) < 0)
                return r;

        /* Resources come from [Service] through systemd; the container stays in the unit's cgroup. */
        json_object_del(linux_, "resources");

        /* Unknown keys of [Container] are a warning in systemd; here an error would stop a
         * definition written for a newer ctrctl from running at all, so they are reported by the
         * generator and ignored. The translation is checked by the same parser bundles go
         * through. */
        _cleanup_oci_config_ OciConfig *parsed = NULL;
        _cleanup_free_ char *perr = NULL;
        r = oci_config_parse_json(c, &parsed, &perr);
        if (r < 0) {
                if (err) {
                        free(*err);
                        if (asprintf(err, "%s: %s", d->path, perr ?: "invalid configuration") < 0)
                                *err = NULL;
                }
                return r;
        }
        d->config = TAKE_PTR(c);
        return 0;
}

static const char *const known_keys[] = {
        "Image",
        "RootDirectory",
        "Bundle",
        "Exec",
        "Entrypoint",
        "Environment",
        "EnvironmentFile",
        "WorkingDirectory",
        "User",
        "Group",
        "Hostname",
        "ReadOnly",
        "Volume",
        "Tmpfs",
        "Network",
        "AddCapability",
        "DropCapability",
        "NoNewPrivileges",
        "SeccompProfile",
        "UserNamespace",
        "UIDMap",
        "GIDMap",
        "Init",
        "Address",
        "Gateway",
        "PublishPort",
        "Pull",
        "AuthFile",
        NULL,
};

bool definition_key_known(const char *key)
{
        for (size_t i = 0; known_keys[i]; i++)
                if (streq(key, known_keys[i]))
                        return true;
        return false;
}

int definition_load(const char *name, Definition **ret, char **err)
{
        Definition *d = calloc(1, sizeof(*d));
        const UnitEntry *e;
        size_t it = 0;
        int r;

        if (!d)
                return -ENOMEM;
        d->name = strdup(name);
        if (!d->name) {
                definition_free(d);
                return -ENOMEM;
        }
        r = unit_file_load_definition(name, &d->unit, &d->path, err);
        if (r < 0) {
                definition_free(d);
                return r;
        }
        /* sections: only the four known ones */
        while ((e = unit_file_next(&d->unit, NULL, NULL, &it))) {
                if (!streq(e->section, "Unit") && !streq(e->section, "Service") &&
                    !streq(e->section, "Install") && !streq(e->section, SECTION)) {
                        char *m;
                        if (asprintf(&m, "%s:%u: unknown section [%s]", e->file, e->line, e->section) >= 0 &&
                            err) {
                                free(*err);
                                *err = m;
                        }
                        definition_free(d);
                        return -EINVAL;
                }
                if (streq(e->section, "Service") && definition_service_key_reserved(e->key)) {
                        r = entry_err(err, e, "set by ctr@.service itself; a definition cannot change it");
                        definition_free(d);
                        return r;
                }
        }
        const UnitEntry *bundle = unit_file_last(&d->unit, SECTION, "Bundle");
        if (bundle && *bundle->value) {
                if (bundle->value[0] != '/') {
                        r = entry_err(err, bundle, "'%s' is not an absolute path", bundle->value);
                        definition_free(d);
                        return r;
                }
                it = 0;
                while ((e = unit_file_next(&d->unit, SECTION, NULL, &it)))
                        if (!streq(e->key, "Bundle") && !streq(e->key, "Init") && *e->value) {
                                r = entry_err(err, e,
                                              "cannot be combined with Bundle=: the bundle's config.json is "
                                              "used as is");
                                definition_free(d);
                                return r;
                        }
                d->bundle = strdup(bundle->value);
                d->init = false;
                if ((e = unit_file_last(&d->unit, SECTION, "Init")) && *e->value &&
                    (r = get_bool(e, &d->init, err)) < 0) {
                        definition_free(d);
                        return r;
                }
                *ret = d;
                return 0;
        }
        r = build_config(d, err);
        if (r < 0) {
                definition_free(d);
                return r;
        }
        *ret = d;
        return 0;
}
