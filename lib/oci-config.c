/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "cgroup.h"
#include "json-util.h"
#include "oci-config.h"
#include "seccomp.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define P(buf, parent, key) json_path_key(buf, parent, key)
#define PI(buf, parent, i) json_path_index(buf, parent, i)

static const struct {
        const char *name;
        int type;
} namespace_table[] = {
        {"pid", CLONE_NEWPID},       {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
        {"ipc", CLONE_NEWIPC},       {"uts", CLONE_NEWUTS},     {"user", CLONE_NEWUSER},
        {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

int namespace_from_string(const char *s)
{
        for (size_t i = 0; i < ELEMENTSOF(namespace_table); i++)
                if (streq(namespace_table[i].name, s))
                        return namespace_table[i].type;
        return -EINVAL;
}

const char *namespace_to_string(int type)
{
        for (size_t i = 0; i < ELEMENTSOF(namespace_table); i++)
                if (namespace_table[i].type == type)
                        return namespace_table[i].name;
        return NULL;
}

static const struct {
        const char *name;
        int resource;
} rlimit_table[] = {
        {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_STACK", RLIMIT_STACK},
};

static void mount_done(OciMount *m)
{
        free(m->destination);
        free(m->source);
        free(m->type);
        strv_free(m->options);
        free(m->data);
        free(m->uid_mappings);
        free(m->gid_mappings);
}

static void hook_done(OciHook *h)
{
        free(h->path);
        strv_free(h->args);
        strv_free(h->env);
}

OciProcess *oci_process_free(OciProcess *p)
{
        if (!p)
                return NULL;
        free(p->user.additional_gids);
        strv_free(p->args);
        strv_free(p->env);
        free(p->cwd);
        free(p->rlimits);
        free(p->apparmor_profile);
        free(p->selinux_label);
        free(p->exec_cpu_affinity_initial);
        free(p->exec_cpu_affinity_final);
        free(p);
        return NULL;
}

OciConfig *oci_config_free(OciConfig *c)
{
        if (!c)
                return NULL;
        free(c->oci_version);
        free(c->root_path);
        oci_process_free(c->process);
        free(c->hostname);
        free(c->domainname);
        for (size_t i = 0; i < c->n_mounts; i++)
                mount_done(&c->mounts[i]);
        free(c->mounts);
        for (int k = 0; k < _OCI_HOOK_MAX; k++) {
                for (size_t i = 0; i < c->n_hooks[k]; i++)
                        hook_done(&c->hooks[k][i]);
                free(c->hooks[k]);
        }
        if (c->annotations)
                json_decref(c->annotations);
        for (size_t i = 0; i < c->n_namespaces; i++)
                free(c->namespaces[i].path);
        free(c->namespaces);
        free(c->uid_mappings);
        free(c->gid_mappings);
        for (size_t i = 0; i < c->n_devices; i++)
                free(c->devices[i].path);
        free(c->devices);
        free(c->cgroups_path);
        cgroup_resources_free(c->resources);
        for (size_t i = 0; i < c->n_sysctls; i++) {
                free(c->sysctls[i].key);
                free(c->sysctls[i].value);
        }
        free(c->sysctls);
        seccomp_config_free(c->seccomp);
        strv_free(c->masked_paths);
        strv_free(c->readonly_paths);
        free(c->mount_label);
        strv_free(c->warnings);
        free(c);
        return NULL;
}

static int warn(OciConfig *c, const char *path, const char *fmt, ...) _printf_(3, 4);
static int warn(OciConfig *c, const char *path, const char *fmt, ...)
{
        char msg[1024], *w;
        va_list ap;
        if (!c)
                return 0;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (asprintf(&w, "%s: %s", path, msg) < 0)
                return -ENOMEM;
        return strv_push(&c->warnings, w);
}

/* "1.0.0" .. "1.3.x", with optional pre-release ("1.0.2-dev") */
static int check_version(const char *v, const char *path, char **err)
{
        unsigned major, minor, patch;
        char rest[64] = "";
        if (sscanf(v, "%u.%u.%u%63s", &major, &minor, &patch, rest) < 3 ||
            (rest[0] && rest[0] != '-' && rest[0] != '+'))
                return json_err(err, path, "'%s' is not a SemVer version", v);
        if (major != 1 || minor > 3)
                return json_err(err, path, "version '%s' not supported (1.0.0 to 1.3.x are)", v);
        return 0;
}

static int parse_id_mappings(json_t *obj, const char *key, const char *path, OciIdMapping **ret,
                             size_t *ret_n, char **err)
{
        char p[512], ip[512];
        json_t *a = json_object_get(obj, key);
        int r;
        if (!a || json_is_null(a))
                return 0;
        P(p, path, key);
        if ((r = json_expect_array(a, p, err)) < 0)
                return r;
        size_t n = json_array_size(a), i;
        OciIdMapping *m = calloc(n ?: 1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        json_t *e;
        json_array_foreach (a, i, e) {
                PI(ip, p, i);
                if ((r = json_expect_object(e, ip, err)) < 0 ||
                    (r = json_read_uint32(e, "containerID", ip, true, &m[i].container_id, err)) < 0 ||
                    (r = json_read_uint32(e, "hostID", ip, true, &m[i].host_id, err)) < 0 ||
                    (r = json_read_uint32(e, "size", ip, true, &m[i].size, err)) < 0) {
                        free(m);
                        return r;
                }
                if (m[i].size == 0) {
                        free(m);
                        return json_err(err, P(p, ip, "size"), "must be greater than zero");
                }
        }
        *ret = m;
        *ret_n = n;
        return 0;
}

static int parse_mount(json_t *j, const char *path, OciMount *m, char **err)
{
        char p[512];
        int r;
        if ((r = json_expect_object(j, path, err)) < 0)
                return r;
        if ((r = json_read_string(j, "destination", path, true, &m->destination, err)) < 0)
                return r;
        /* Relative destinations are allowed for old configs and mean relative to "/". */
        if (!*m->destination)
                return json_err(err, P(p, path, "destination"), "must not be empty");
        /* Relative destinations mean relative to "/"; "//proc", "/proc/." and "/dev/../proc"
         * all mean "/proc", and every check below compares the clean form. */
        char *clean = path_clean(m->destination);
        if (!clean)
                return -ENOMEM;
        free(m->destination);
        m->destination = clean;
        if ((r = json_read_string(j, "source", path, false, &m->source, err)) < 0 ||
            (r = json_read_string(j, "type", path, false, &m->type, err)) < 0 ||
            (r = json_read_strv(j, "options", path, &m->options, err)) < 0)
                return r;
        if ((r = parse_id_mappings(j, "uidMappings", path, &m->uid_mappings, &m->n_uid_mappings, err)) < 0 ||
            (r = parse_id_mappings(j, "gidMappings", path, &m->gid_mappings, &m->n_gid_mappings, err)) < 0)
                return r;
        if (!!m->n_uid_mappings != !!m->n_gid_mappings)
                return json_err(err, path, "uidMappings and gidMappings must be given together");
        if ((r = mount_options_parse(m, P(p, path, "options"), err)) < 0)
                return r;
        if (m->type && streq(m->type, "bind"))
                m->bind = true;
        if (m->bind && !m->source)
                return json_err(err, P(p, path, "source"), "a bind mount needs a source");
        if (!m->bind && !m->type && !m->source)
                return json_err(err, path, "neither type nor source given");
        return 0;
}

static int parse_caps_set(json_t *caps, const char *key, const char *path, uint64_t *ret, OciConfig *c,
                          char **err)
{
        char p[512], ip[512];
        json_t *a = json_object_get(caps, key);
        int r;
        if (!a || json_is_null(a))
                return 0;
        P(p, path, key);
        if ((r = json_expect_array(a, p, err)) < 0)
                return r;
        size_t i;
        json_t *e;
        json_array_foreach (a, i, e) {
                cap_value_t v;
                PI(ip, p, i);
                if (!json_is_string(e))
                        return json_err(err, ip, "expected a capability name");
                const char *name = json_string_value(e);
                /* The spec asks for a warning, not a failure, for capabilities this kernel lacks. */
                if (!startswith(name, "CAP_") || cap_from_name(name, &v) < 0 || v >= 64 ||
                    v > (int)cap_max_bits() - 1) {
                        if ((r = warn(c, ip, "unknown capability '%s', ignoring", name)) < 0)
                                return r;
                        continue;
                }
                *ret |= UINT64_C(1) << v;
        }
        return 0;
}

static int parse_user(json_t *j, const char *path, OciUser *u, char **err)
{
        char p[512], ip[512];
        int r;
        uint32_t v;
        if ((r = json_expect_object(j, path, err)) < 0)
                return r;
        if ((r = json_read_uint32(j, "uid", path, true, &u->uid, err)) < 0 ||
            (r = json_read_uint32(j, "gid", path, true, &u->gid, err)) < 0)
                return r;
        if ((r = json_read_uint32(j, "umask", path, false, &v, err)) < 0)
                return r;
        if (r > 0) {
                if (v > 0777)
                        return json_err(err, P(p, path, "umask"), "value %u out of range", v);
                u->has_umask = true;
                u->umask = (mode_t)v;
        }
        json_t *a = json_object_get(j, "additionalGids");
        if (a && !json_is_null(a)) {
                P(p, path, "additionalGids");
                if ((r = json_expect_array(a, p, err)) < 0)
                        return r;
                u->n_additional_gids = json_array_size(a);
                u->additional_gids = calloc(u->n_additional_gids ?: 1, sizeof(gid_t));
                if (!u->additional_gids)
                        return -ENOMEM;
                size_t i;
                json_t *e;
                json_array_foreach (a, i, e) {
                        if (!json_is_integer(e) || json_integer_value(e) < 0 ||
                            json_integer_value(e) > UINT32_MAX)
                                return json_err(err, PI(ip, p, i), "expected a group ID");
                        u->additional_gids[i] = (gid_t)json_integer_value(e);
                }
        }
        return 0;
}

static int parse_rlimits(json_t *a, const char *path, OciProcess *proc, char **err)
{
        char ip[512], tp[512];
        int r;
        if ((r = json_expect_array(a, path, err)) < 0)
                return r;
        proc->rlimits = calloc(json_array_size(a) ?: 1, sizeof(OciRlimit));
        if (!proc->rlimits)
                return -ENOMEM;
        size_t i;
        json_t *e;
        json_array_foreach (a, i, e) {
                _cleanup_free_ char *type = NULL;
                OciRlimit *rl = &proc->rlimits[i];
                PI(ip, path, i);
                if ((r = json_expect_object(e, ip, err)) < 0 ||
                    (r = json_read_string(e, "type", ip, true, &type, err)) < 0 ||
                    (r = json_read_uint64(e, "soft", ip, true, &rl->soft, err)) < 0 ||
                    (r = json_read_uint64(e, "hard", ip, true, &rl->hard, err)) < 0)
                        return r;
                rl->resource = -1;
                for (size_t k = 0; k < ELEMENTSOF(rlimit_table); k++)
                        if (streq(rlimit_table[k].name, type))
                                rl->resource = rlimit_table[k].resource;
                if (rl->resource < 0)
                        return json_err(err, P(tp, ip, "type"), "unknown rlimit '%s'", type);
                for (size_t k = 0; k < i; k++)
                        if (proc->rlimits[k].resource == rl->resource)
                                return json_err(err, P(tp, ip, "type"), "rlimit '%s' given twice", type);
                if (rl->soft > rl->hard)
                        return json_err(err, ip, "soft limit above hard limit");
                proc->n_rlimits++;
        }
        return 0;
}

static const struct {
        const char *name;
        int policy;
} sched_policies[] = {
        {"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2},       {"SCHED_BATCH", 3},
        {"SCHED_ISO", 4},   {"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6},
};

static int parse_scheduler(json_t *j, const char *path, OciProcess *proc, char **err)
{
        _cleanup_free_ char *policy = NULL;
        char p[512], ip[512];
        int64_t v;
        int r;
        if ((r = json_expect_object(j, path, err)) < 0 ||
            (r = json_read_string(j, "policy", path, true, &policy, err)) < 0)
                return r;
        proc->sched_policy = -1;
        for (size_t i = 0; i < ELEMENTSOF(sched_policies); i++)
                if (streq(policy, sched_policies[i].name))
                        proc->sched_policy = sched_policies[i].policy;
        if (proc->sched_policy < 0)
                return json_err(err, P(p, path, "policy"), "unknown policy '%s'", policy);
        if ((r = json_read_int64(j, "nice", path, false, &v, err)) < 0)
                return r;
        if (r > 0) {
                if (v < -20 || v > 19)
                        return json_err(err, P(p, path, "nice"), "value %lld out of range", (long long)v);
                proc->sched_nice = (int)v;
        }
        if ((r = json_read_int64(j, "priority", path, false, &v, err)) < 0)
                return r;
        if (r > 0) {
                if (v < 0 || v > 99)
                        return json_err(err, P(p, path, "priority"), "value %lld out of range",
                                        (long long)v);
                proc->sched_priority = (int)v;
        }
        if ((r = json_read_uint64(j, "runtime", path, false, &proc->sched_runtime, err)) < 0 ||
            (r = json_read_uint64(j, "deadline", path, false, &proc->sched_deadline, err)) < 0 ||
            (r = json_read_uint64(j, "period", path, false, &proc->sched_period, err)) < 0)
                return r;
        json_t *flags = json_object_get(j, "flags");
        if (flags && !json_is_null(flags)) {
                static const char *const names[] = {"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",
                                                    "SCHED_FLAG_DL_OVERRUN",    "SCHED_FLAG_KEEP_POLICY",
                                                    "SCHED_FLAG_KEEP_PARAMS",   "SCHED_FLAG_UTIL_CLAMP_MIN",
                                                    "SCHED_FLAG_UTIL_CLAMP_MAX"};
                size_t i;
                json_t *e;
                P(p, path, "flags");
                if ((r = json_expect_array(flags, p, err)) < 0)
                        return r;
                json_array_foreach (flags, i, e) {
                        size_t k;
                        for (k = 0; k < ELEMENTSOF(names); k++)
                                if (json_is_string(e) && streq(json_string_value(e), names[k]))
                                        break;
                        if (k == ELEMENTSOF(names))
                                return json_err(err, PI(ip, p, i), "unknown scheduler flag");
                        proc->sched_flags |= UINT64_C(1) << k;
                }
        }
        proc->has_scheduler = true;
        return 0;
}

static int parse_process(json_t *j, const char *path, OciProcess *proc, OciConfig *c, char **err)
{
        char p[512];
        int r;
        json_t *v;

        if ((r = json_expect_object(j, path, err)) < 0)
                return r;
        if ((r = json_read_bool(j, "terminal", path, &proc->terminal, err)) < 0)
                return r;
        if ((v = json_object_get(j, "consoleSize")) && !json_is_null(v)) {
                uint32_t h = 0, w = 0;
                P(p, path, "consoleSize");
                if ((r = json_expect_object(v, p, err)) < 0 ||
                    (r = json_read_uint32(v, "height", p, true, &h, err)) < 0 ||
                    (r = json_read_uint32(v, "width", p, true, &w, err)) < 0)
                        return r;
                if (h > UINT16_MAX || w > UINT16_MAX)
                        return json_err(err, p, "console size out of range");
                proc->console_height = h;
                proc->console_width = w;
        }
        if (!(v = json_object_get(j, "user")) || json_is_null(v))
                return json_err(err, P(p, path, "user"), "required but missing");
        if ((r = parse_user(v, P(p, path, "user"), &proc->user, err)) < 0)
                return r;
        if ((r = json_read_strv(j, "args", path, &proc->args, err)) < 0)
                return r;
        if (json_object_get(j, "commandLine") && !proc->args)
                return json_err(err, P(p, path, "commandLine"), "only supported on Windows; use args");
        if (!proc->args || !proc->args[0])
                return json_err(err, P(p, path, "args"), "at least one argument is required");
        if (!*proc->args[0])
                return json_err(err, P(p, path, "args[0]"), "must not be empty");
        if ((r = json_read_strv(j, "env", path, &proc->env, err)) < 0)
                return r;
        STRV_FOREACH (e, proc->env)
                if (!strchr(*e, '=') || **e == '=')
                        return json_err(err, P(p, path, "env"), "'%s' is not of the form KEY=VALUE", *e);
        if ((r = json_read_string(j, "cwd", path, true, &proc->cwd, err)) < 0)
                return r;
        if (proc->cwd[0] != '/')
                return json_err(err, P(p, path, "cwd"), "'%s' is not an absolute path", proc->cwd);
        if ((v = json_object_get(j, "capabilities")) && !json_is_null(v)) {
                P(p, path, "capabilities");
                if ((r = json_expect_object(v, p, err)) < 0 ||
                    (r = parse_caps_set(v, "bounding", p, &proc->caps.bounding, c, err)) < 0 ||
                    (r = parse_caps_set(v, "effective", p, &proc->caps.effective, c, err)) < 0 ||
                    (r = parse_caps_set(v, "inheritable", p, &proc->caps.inheritable, c, err)) < 0 ||
                    (r = parse_caps_set(v, "permitted", p, &proc->caps.permitted, c, err)) < 0 ||
                    (r = parse_caps_set(v, "ambient", p, &proc->caps.ambient, c, err)) < 0)
                        return r;
                proc->has_caps = true;
        }
        if ((v = json_object_get(j, "rlimits")) && !json_is_null(v))
                if ((r = parse_rlimits(v, P(p, path, "rlimits"), proc, err)) < 0)
                        return r;
        if ((r = json_read_bool(j, "noNewPrivileges", path, &proc->no_new_privileges, err)) < 0)
                return r;
        int64_t oom;
        if ((r = json_read_int64(j, "oomScoreAdj", path, false, &oom, err)) < 0)
                return r;
        if (r > 0) {
                if (oom < -1000 || oom > 1000)
                        return json_err(err, P(p, path, "oomScoreAdj"),
                                        "value %lld out of range -1000..1000", (long long)oom);
                proc->has_oom_score_adj = true;
                proc->oom_score_adj = (int)oom;
        }
        if ((r = json_read_string(j, "apparmorProfile", path, false, &proc->apparmor_profile, err)) < 0 ||
            (r = json_read_string(j, "selinuxLabel", path, false, &proc->selinux_label, err)) < 0)
                return r;
        if ((v = json_object_get(j, "ioPriority")) && !json_is_null(v)) {
                _cleanup_free_ char *cls = NULL;
                int64_t prio = 0;
                P(p, path, "ioPriority");
                if ((r = json_expect_object(v, p, err)) < 0 ||
                    (r = json_read_string(v, "class", p, true, &cls, err)) < 0 ||
                    (r = json_read_int64(v, "priority", p, false, &prio, err)) < 0)
                        return r;
                if (streq(cls, "IOPRIO_CLASS_RT"))
                        proc->io_priority_class = 1;
                else if (streq(cls, "IOPRIO_CLASS_BE"))
                        proc->io_priority_class = 2;
                else if (streq(cls, "IOPRIO_CLASS_IDLE"))
                        proc->io_priority_class = 3;
                else {
                        char cp[512];
                        return json_err(err, P(cp, p, "class"), "unknown class '%s'", cls);
                }
                if (prio < 0 || prio > 7) {
                        char pp[512];
                        return json_err(err, P(pp, p, "priority"), "value %lld out of range 0..7",
                                        (long long)prio);
                }
                proc->io_priority = (int)prio;
                proc->has_io_priority = true;
        }
        if ((v = json_object_get(j, "scheduler")) && !json_is_null(v))
                if ((r = parse_scheduler(v, P(p, path, "scheduler"), proc, err)) < 0)
                        return r;
        if ((v = json_object_get(j, "execCPUAffinity")) && !json_is_null(v)) {
                P(p, path, "execCPUAffinity");
                if ((r = json_expect_object(v, p, err)) < 0 ||
                    (r = json_read_string(v, "initial", p, false, &proc->exec_cpu_affinity_initial, err)) <
                            0 ||
                    (r = json_read_string(v, "final", p, false, &proc->exec_cpu_affinity_final, err)) < 0)
                        return r;
        }
        return 0;
}

int oci_process_parse(json_t *j, const char *path, OciProcess **ret, char **err)
{
        OciProcess *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        int r = parse_process(j, path, p, NULL, err);
        if (r < 0) {
                oci_process_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

static int parse_hooks(json_t *j, const char *path, OciConfig *c, char **err)
{
        static const char *const names[_OCI_HOOK_MAX] = {
                [OCI_HOOK_PRESTART] = "prestart",
                [OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
                [OCI_HOOK_CREATE_CONTAINER] = "createContainer",
                [OCI_HOOK_START_CONTAINER] = "startContainer",
                [OCI_HOOK_POSTSTART] = "poststart",
                [OCI_HOOK_POSTSTOP] = "poststop",
        };
        char p[512], ip[512], tp[512];
        int r;
        if ((r = json_expect_object(j, path, err)) < 0)
                return r;
        for (int k = 0; k < _OCI_HOOK_MAX; k++) {
                json_t *a = json_object_get(j, names[k]);
                if (!a || json_is_null(a))
                        continue;
                P(p, path, names[k]);
                if ((r = json_expect_array(a, p, err)) < 0)
                        return r;
                c->hooks[k] = calloc(json_array_size(a) ?: 1, sizeof(OciHook));
                if (!c->hooks[k])
                        return -ENOMEM;
                size_t i;
                json_t *e;
                json_array_foreach (a, i, e) {
                        OciHook *h = &c->hooks[k][i];
                        int64_t t = 0;
                        PI(ip, p, i);
                        c->n_hooks[k]++;
                        if ((r = json_expect_object(e, ip, err)) < 0 ||
                            (r = json_read_string(e, "path", ip, true, &h->path, err)) < 0 ||
                            (r = json_read_strv(e, "args", ip, &h->args, err)) < 0 ||
                            (r = json_read_strv(e, "env", ip, &h->env, err)) < 0 ||
                            (r = json_read_int64(e, "timeout", ip, false, &t, err)) < 0)
                                return r;
                        if (h->path[0] != '/')
                                return json_err(err, P(tp, ip, "path"), "'%s' is not an absolute path",
                                                h->path);
                        if (r > 0 && (t <= 0 || t > INT_MAX))
                                return json_err(err, P(tp, ip, "timeout"), "must be greater than zero");
                        h->timeout = (int)t;
                }
        }
        return 0;
}

static int parse_namespaces(json_t *a, const char *path, OciConfig *c, char **err)
{
        char ip[512], tp[512];
        int r;
        if ((r = json_expect_array(a, path, err)) < 0)
                return r;
        c->namespaces = calloc(json_array_size(a) ?: 1, sizeof(OciNamespace));
        if (!c->namespaces)
                return -ENOMEM;
        size_t i;
        json_t *e;
        json_array_foreach (a, i, e) {
                _cleanup_free_ char *type = NULL;
                OciNamespace *ns = &c->namespaces[i];
                PI(ip, path, i);
                if ((r = json_expect_object(e, ip, err)) < 0 ||
                    (r = json_read_string(e, "type", ip, true, &type, err)) < 0 ||
                    (r = json_read_string(e, "path", ip, false, &ns->path, err)) < 0)
                        return r;
                c->n_namespaces++;
                ns->type = namespace_from_string(type);
                if (ns->type < 0)
                        return json_err(err, P(tp, ip, "type"), "unknown namespace '%s'", type);
                for (size_t k = 0; k < i; k++)
                        if (c->namespaces[k].type == ns->type)
                                return json_err(err, P(tp, ip, "type"), "namespace '%s' given twice", type);
                if (ns->path && ns->path[0] != '/')
                        return json_err(err, P(tp, ip, "path"), "'%s' is not an absolute path", ns->path);
        }
        return 0;
}

static int parse_devices(json_t *a, const char *path, OciConfig *c, char **err)
{
        char ip[512], tp[512];
        int r;
        if ((r = json_expect_array(a, path, err)) < 0)
                return r;
        c->devices = calloc(json_array_size(a) ?: 1, sizeof(OciDevice));
        if (!c->devices)
                return -ENOMEM;
        size_t i;
        json_t *e;
        json_array_foreach (a, i, e) {
                _cleanup_free_ char *type = NULL;
                OciDevice *d = &c->devices[i];
                uint32_t u;
                PI(ip, path, i);
                c->n_devices++;
                if ((r = json_expect_object(e, ip, err)) < 0 ||
                    (r = json_read_string(e, "type", ip, true, &type, err)) < 0 ||
                    (r = json_read_string(e, "path", ip, true, &d->path, err)) < 0)
                        return r;
                if (!path_is_safe_absolute(d->path))
                        return json_err(err, P(tp, ip, "path"), "'%s' is not a clean absolute path",
                                        d->path);
                if (strlen(type) != 1 || !strchr("cbup", type[0]))
                        return json_err(err, P(tp, ip, "type"), "unknown device type '%s'", type);
                d->type = type[0] == 'u' ? 'c' : type[0];
                if (d->type != 'p') {
                        if ((r = json_read_int64(e, "major", ip, true, &d->major, err)) < 0 ||
                            (r = json_read_int64(e, "minor", ip, true, &d->minor, err)) < 0)
                                return r;
                        if (d->major < 0 || d->major > 4095 || d->minor < 0 || d->minor > 1048575)
                                return json_err(err, ip, "device number out of range");
                }
                if ((r = json_read_uint32(e, "fileMode", ip, false, &u, err)) < 0)
                        return r;
                if (r > 0) {
                        if (u > 07777)
                                return json_err(err, P(tp, ip, "fileMode"), "value %u out of range", u);
                        d->has_file_mode = true;
                        d->file_mode = (mode_t)u;
                }
                if ((r = json_read_uint32(e, "uid", ip, false, &d->uid, err)) < 0)
                        return r;
                d->has_uid = r > 0;
                if ((r = json_read_uint32(e, "gid", ip, false, &d->gid, err)) < 0)
                        return r;
                d->has_gid = r > 0;
        }
        return 0;
}

static int parse_propagation(const char *s, unsigned long *ret)
{
        static const struct {
                const char *name;
                unsigned long flags;
        } t[] = {
                {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
                {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
                {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
                {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                if (streq(s, t[i].name)) {
                        *ret = t[i].flags;
                        return 0;
                }
        return -EINVAL;
}

static int parse_linux(json_t *j, const char *path, OciConfig *c, char **err)
{
        char p[512];
        int r;
        json_t *v;
        if ((r = json_expect_object(j, path, err)) < 0)
                return r;
        if ((v = json_object_get(j, "namespaces")) && !json_is_null(v))
                if ((r = parse_namespaces(v, P(p, path, "namespaces"), c, err)) < 0)
                        return r;
        if ((r = parse_id_mappings(j, "uidMappings", path, &c->uid_mappings, &c->n_uid_mappings, err)) < 0 ||
            (r = parse_id_mappings(j, "gidMappings", path, &c->gid_mappings, &c->n_gid_mappings, err)) < 0)
                return r;
        if ((v = json_object_get(j, "devices")) && !json_is_null(v))
                if ((r = parse_devices(v, P(p, path, "devices"), c, err)) < 0)
                        return r;
        if ((r = json_read_string(j, "cgroupsPath", path, false, &c->cgroups_path, err)) < 0)
                return r;
        if ((v = json_object_get(j, "resources")) && !json_is_null(v))
                if ((r = cgroup_resources_parse(v, P(p, path, "resources"), &c->resources, err)) < 0)
                        return r;
        if ((v = json_object_get(j, "sysctl")) && !json_is_null(v)) {
                const char *key;
                json_t *val;
                P(p, path, "sysctl");
                if ((r = json_expect_object(v, p, err)) < 0)
                        return r;
                c->sysctls = calloc(json_object_size(v) ?: 1, sizeof(OciSysctl));
                if (!c->sysctls)
                        return -ENOMEM;
                json_object_foreach (v, key, val) {
                        char kp[512];
                        json_path_key(kp, p, key);
                        if (!json_is_string(val))
                                return json_err(err, kp, "expected a string");
                        /* The key becomes a path under /proc/sys. */
                        if (!*key || strstr(key, "..") || key[0] == '/' || key[0] == '.')
                                return json_err(err, kp, "invalid sysctl name");
                        OciSysctl *s = &c->sysctls[c->n_sysctls++];
                        s->key = strdup(key);
                        s->value = strdup(json_string_value(val));
                        if (!s->key || !s->value)
                                return -ENOMEM;
                }
        }
        if ((v = json_object_get(j, "seccomp")) && !json_is_null(v))
                if ((r = seccomp_config_parse(v, P(p, path, "seccomp"), &c->seccomp, err)) < 0)
                        return r;
        _cleanup_free_ char *prop = NULL;
        if ((r = json_read_string(j, "rootfsPropagation", path, false, &prop, err)) < 0)
                return r;
        if (prop && parse_propagation(prop, &c->rootfs_propagation) < 0)
                return json_err(err, P(p, path, "rootfsPropagation"), "unknown propagation '%s'", prop);
        if ((r = json_read_strv(j, "maskedPaths", path, &c->masked_paths, err)) < 0 ||
            (r = json_read_strv(j, "readonlyPaths", path, &c->readonly_paths, err)) < 0 ||
            (r = json_read_string(j, "mountLabel", path, false, &c->mount_label, err)) < 0)
                return r;
        STRV_FOREACH (m, c->masked_paths)
                if ((*m)[0] != '/')
                        return json_err(err, P(p, path, "maskedPaths"), "'%s' is not an absolute path", *m);
        STRV_FOREACH (m, c->readonly_paths)
                if ((*m)[0] != '/')
                        return json_err(err, P(p, path, "readonlyPaths"), "'%s' is not an absolute path",
                                        *m);
        /* Features that change what the container is: refuse rather than run without them. */
        if ((v = json_object_get(j, "intelRdt")) && !json_is_null(v))
                c->unsupported = "linux.intelRdt: Intel RDT is not supported by this runtime";
        if ((v = json_object_get(j, "netDevices")) && !json_is_null(v) && json_object_size(v))
                c->unsupported = "linux.netDevices: moving network devices is not supported by this runtime";
        if ((v = json_object_get(j, "memoryPolicy")) && !json_is_null(v))
                c->unsupported = "linux.memoryPolicy: memory policies are not supported by this runtime";
        if ((v = json_object_get(j, "personality")) && !json_is_null(v)) {
                _cleanup_free_ char *domain = NULL;
                P(p, path, "personality");
                if ((r = json_expect_object(v, p, err)) < 0 ||
                    (r = json_read_string(v, "domain", p, true, &domain, err)) < 0)
                        return r;
                if (streq(domain, "LINUX"))
                        c->personality = 0x0000;
                else if (streq(domain, "LINUX32"))
                        c->personality = 0x0008;
                else {
                        char dp[512];
                        return json_err(err, P(dp, p, "domain"), "unknown domain '%s'", domain);
                }
                c->has_personality = true;
        }
        if ((v = json_object_get(j, "timeOffsets")) && !json_is_null(v)) {
                const char *key;
                json_t *val;
                P(p, path, "timeOffsets");
                if ((r = json_expect_object(v, p, err)) < 0)
                        return r;
                json_object_foreach (v, key, val) {
                        char kp[512];
                        json_path_key(kp, p, key);
                        OciTimeOffset *t = &c->time_offsets[c->n_time_offsets];
                        if (streq(key, "monotonic"))
                                t->clock = CLOCK_MONOTONIC;
                        else if (streq(key, "boottime"))
                                t->clock = CLOCK_BOOTTIME;
                        else
                                return json_err(err, kp, "unknown clock '%s'", key);
                        if ((r = json_expect_object(val, kp, err)) < 0 ||
                            (r = json_read_int64(val, "secs", kp, false, &t->secs, err)) < 0 ||
                            (r = json_read_uint32(val, "nanosecs", kp, false, &t->nanosecs, err)) < 0)
                                return r;
                        c->n_time_offsets++;
                }
        }
        return 0;
}

int oci_config_parse_json(json_t *j, OciConfig **ret, char **err)
{
        _cleanup_oci_config_ OciConfig *c = calloc(1, sizeof(*c));
        char p[512];
        json_t *v;
        int r;

        if (!c)
                return -ENOMEM;
        if ((r = json_expect_object(j, "", err)) < 0)
                return r;
        if ((r = json_read_string(j, "ociVersion", "", true, &c->oci_version, err)) < 0 ||
            (r = check_version(c->oci_version, "ociVersion", err)) < 0)
                return r;
        if ((v = json_object_get(j, "root")) && !json_is_null(v)) {
                if ((r = json_expect_object(v, "root", err)) < 0 ||
                    (r = json_read_string(v, "path", "root", true, &c->root_path, err)) < 0 ||
                    (r = json_read_bool(v, "readonly", "root", &c->root_readonly, err)) < 0)
                        return r;
                if (!*c->root_path)
                        return json_err(err, "root.path", "must not be empty");
        }
        if ((v = json_object_get(j, "process")) && !json_is_null(v)) {
                c->process = calloc(1, sizeof(OciProcess));
                if (!c->process)
                        return -ENOMEM;
                if ((r = parse_process(v, "process", c->process, c, err)) < 0)
                        return r;
        }
        if ((r = json_read_string(j, "hostname", "", false, &c->hostname, err)) < 0 ||
            (r = json_read_string(j, "domainname", "", false, &c->domainname, err)) < 0)
                return r;
        if ((v = json_object_get(j, "mounts")) && !json_is_null(v)) {
                if ((r = json_expect_array(v, "mounts", err)) < 0)
                        return r;
                c->mounts = calloc(json_array_size(v) ?: 1, sizeof(OciMount));
                if (!c->mounts)
                        return -ENOMEM;
                size_t i;
                json_t *e;
                json_array_foreach (v, i, e) {
                        c->n_mounts++;
                        if ((r = parse_mount(e, PI(p, "mounts", i), &c->mounts[i], err)) < 0)
                                return r;
                }
        }
        if ((v = json_object_get(j, "hooks")) && !json_is_null(v))
                if ((r = parse_hooks(v, "hooks", c, err)) < 0)
                        return r;
        if ((v = json_object_get(j, "annotations")) && !json_is_null(v)) {
                const char *key;
                json_t *val;
                if ((r = json_expect_object(v, "annotations", err)) < 0)
                        return r;
                json_object_foreach (v, key, val) {
                        if (!*key)
                                return json_err(err, "annotations", "keys must not be empty");
                        if (!json_is_string(val))
                                return json_err(err, P(p, "annotations", key), "expected a string");
                }
                c->annotations = json_incref(v);
        }
        if ((v = json_object_get(j, "linux")) && !json_is_null(v))
                if ((r = parse_linux(v, "linux", c, err)) < 0)
                        return r;

        /* Cross-field rules */
        if (c->hostname && *c->hostname && !oci_config_has_namespace(c, CLONE_NEWUTS))
                return json_err(err, "hostname", "setting a hostname needs a private UTS namespace");
        if (c->domainname && *c->domainname && !oci_config_has_namespace(c, CLONE_NEWUTS))
                return json_err(err, "domainname", "setting a domainname needs a private UTS namespace");
        if ((c->n_uid_mappings || c->n_gid_mappings) && !oci_config_has_namespace(c, CLONE_NEWUSER))
                return json_err(err, "linux.uidMappings", "ID mappings need a user namespace");
        const OciNamespace *user = oci_config_namespace(c, CLONE_NEWUSER);
        if (user && !user->path && (!c->n_uid_mappings || !c->n_gid_mappings))
                return json_err(err, "linux.uidMappings",
                                "a new user namespace needs uidMappings and gidMappings");
        if (c->n_time_offsets && !oci_config_has_namespace(c, CLONE_NEWTIME))
                return json_err(err, "linux.timeOffsets", "time offsets need a time namespace");
        for (size_t i = 0; i < c->n_sysctls; i++) {
                const char *k = c->sysctls[i].key;
                /* A sysctl outside the container's own namespaces would change the host. */
                if ((startswith(k, "net.") && !oci_config_has_namespace(c, CLONE_NEWNET)) ||
                    ((startswith(k, "kernel.msg") || startswith(k, "kernel.sem") ||
                      startswith(k, "kernel.shm") || startswith(k, "fs.mqueue.")) &&
                     !oci_config_has_namespace(c, CLONE_NEWIPC)) ||
                    ((streq(k, "kernel.hostname") || streq(k, "kernel.domainname")) &&
                     !oci_config_has_namespace(c, CLONE_NEWUTS))) {
                        char kp[512];
                        snprintf(kp, sizeof(kp), "linux.sysctl.%s", k);
                        return json_err(err, kp, "not namespaced by this container's namespaces");
                }
        }
        *ret = TAKE_PTR(c);
        return 0;
}

int oci_config_load(const char *bundle, OciConfig **ret, char **err)
{
        char path[PATH_MAX];
        json_error_t jerr;
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r;

        snprintf(path, sizeof(path), "%s/config.json", bundle);
        r = read_full_file(path, 16 * 1024 * 1024, &data, &size);
        if (r < 0) {
                if (err && asprintf(err, "%s: %s", path, strerror(-r)) < 0)
                        *err = NULL;
                return r;
        }
        _cleanup_json_ json_t *j = json_loadb_lenient(data, size, JSON_REJECT_DUPLICATES, &jerr);
        if (!j) {
                if (err && asprintf(err, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text) < 0)
                        *err = NULL;
                return -EINVAL;
        }
        r = oci_config_parse_json(j, ret, err);
        if (r < 0 && err && *err) {
                char *prefixed;
                if (asprintf(&prefixed, "%s: %s", path, *err) >= 0) {
                        free(*err);
                        *err = prefixed;
                }
        }
        return r;
}

const OciNamespace *oci_config_namespace(const OciConfig *c, int type)
{
        for (size_t i = 0; i < c->n_namespaces; i++)
                if (c->namespaces[i].type == type)
                        return &c->namespaces[i];
        return NULL;
}

bool oci_config_has_namespace(const OciConfig *c, int type)
{
        return oci_config_namespace(c, type) != NULL;
}
