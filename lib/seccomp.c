/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CTR_INCLUDE_LIBSECCOMP 1
#include <seccomp.h> /* both ours and libseccomp's, see there */

#include "json-util.h"
#include "util.h"

/* Kernel uapi headers older than the flags we know about. */
#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SYS_seccomp
#define SYS_seccomp __NR_seccomp
#endif
#ifndef BPF_MAXINSNS
#define BPF_MAXINSNS 4096
#endif

#define PATH_MAX_JSON 512
#define SECCOMP_ARGS_MAX 6
/* The action word keeps 16 bits of data; the kernel clamps errno further to MAX_ERRNO. */
#define SECCOMP_ERRNO_MAX 0xffffU

typedef enum SeccompActionType {
        SECCOMP_ACTION_KILL,
        SECCOMP_ACTION_KILL_PROCESS,
        SECCOMP_ACTION_KILL_THREAD,
        SECCOMP_ACTION_TRAP,
        SECCOMP_ACTION_ERRNO,
        SECCOMP_ACTION_TRACE,
        SECCOMP_ACTION_ALLOW,
        SECCOMP_ACTION_LOG,
        SECCOMP_ACTION_NOTIFY,
} SeccompActionType;

static const char *const action_names[] = {
        [SECCOMP_ACTION_KILL] = "SCMP_ACT_KILL",
        [SECCOMP_ACTION_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
        [SECCOMP_ACTION_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
        [SECCOMP_ACTION_TRAP] = "SCMP_ACT_TRAP",
        [SECCOMP_ACTION_ERRNO] = "SCMP_ACT_ERRNO",
        [SECCOMP_ACTION_TRACE] = "SCMP_ACT_TRACE",
        [SECCOMP_ACTION_ALLOW] = "SCMP_ACT_ALLOW",
        [SECCOMP_ACTION_LOG] = "SCMP_ACT_LOG",
        [SECCOMP_ACTION_NOTIFY] = "SCMP_ACT_NOTIFY",
};

static const struct {
        const char *name;
        enum scmp_compare op;
} operator_table[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* Every architecture the spec names. Token 0 means this libseccomp cannot build for it: such an
 * entry is accepted and left out of the filter, whose bad-arch action then kills any caller using
 * that ABI (fail closed). */
static const struct {
        const char *name;
        uint32_t token;
} arch_table[] = {
        {"SCMP_ARCH_X86", SCMP_ARCH_X86},
        {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
        {"SCMP_ARCH_X32", SCMP_ARCH_X32},
        {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
        {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
#ifdef SCMP_ARCH_LOONGARCH64
        {"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64},
#else
        {"SCMP_ARCH_LOONGARCH64", 0},
#endif
#ifdef SCMP_ARCH_M68K
        {"SCMP_ARCH_M68K", SCMP_ARCH_M68K},
#else
        {"SCMP_ARCH_M68K", 0},
#endif
        {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
        {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
        {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
        {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
        {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
        {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
        {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
        {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
        {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
        {"SCMP_ARCH_S390", SCMP_ARCH_S390},
        {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
#ifdef SCMP_ARCH_SH
        {"SCMP_ARCH_SH", SCMP_ARCH_SH},
#else
        {"SCMP_ARCH_SH", 0},
#endif
#ifdef SCMP_ARCH_SHEB
        {"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB},
#else
        {"SCMP_ARCH_SHEB", 0},
#endif
        {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
        {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
        {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

static const struct {
        const char *name;
        unsigned long flag;
} flag_table[] = {
        {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
        {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
        {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

typedef struct SeccompArg {
        unsigned index;
        enum scmp_compare op;
        uint64_t value;
        uint64_t value_two;
} SeccompArg;

typedef struct SeccompSyscall {
        char **names;
        uint32_t action; /* libseccomp action word, errno folded in */
        SeccompArg *args;
        size_t n_args;
        bool any_arg; /* an argument is compared more than once: one rule per comparison */
} SeccompSyscall;

struct SeccompConfig {
        char *path; /* of the object, for messages from seccomp_filter_build() */
        uint32_t default_action;
        uint32_t *arches; /* tokens, 0 = not buildable here */
        size_t n_arches;
        unsigned long flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
        char *listener_path;
        char *listener_metadata;
        SeccompSyscall *syscalls;
        size_t n_syscalls;
        bool wants_listener;
};

struct SeccompFilter {
        scmp_filter_ctx ctx;
        struct sock_fprog prog;
        unsigned long flags; /* passed to seccomp(2) as is */
        bool wants_listener;
};

/* The json_read_* helpers say -ENOENT for a missing required key; to callers every invalid
 * config is -EINVAL. */
static int config_error(int r)
{
        return r == -ENOENT ? -EINVAL : r;
}

/* obj[key], NULL when missing or null (null means "not set", like every config writer treats it). */
static json_t *object_get(json_t *obj, const char *key)
{
        json_t *v = json_object_get(obj, key);
        return v && !json_is_null(v) ? v : NULL;
}

static int read_string_value(json_t *v, const char *path, const char **ret, char **err)
{
        if (!json_is_string(v))
                return json_err(err, path, "expected a string");
        if (strlen(json_string_value(v)) != json_string_length(v))
                return json_err(err, path, "string contains a NUL byte");
        *ret = json_string_value(v);
        return 0;
}

static bool action_takes_errno(SeccompActionType t)
{
        return t == SECCOMP_ACTION_ERRNO || t == SECCOMP_ACTION_TRACE;
}

static uint32_t action_word(SeccompActionType t, uint32_t errno_ret)
{
        switch (t) {
        case SECCOMP_ACTION_KILL:
        case SECCOMP_ACTION_KILL_THREAD:
                return SCMP_ACT_KILL_THREAD;
        case SECCOMP_ACTION_KILL_PROCESS:
                return SCMP_ACT_KILL_PROCESS;
        case SECCOMP_ACTION_TRAP:
                return SCMP_ACT_TRAP;
        case SECCOMP_ACTION_ERRNO:
                return SCMP_ACT_ERRNO(errno_ret);
        case SECCOMP_ACTION_TRACE:
                return SCMP_ACT_TRACE(errno_ret);
        case SECCOMP_ACTION_ALLOW:
                return SCMP_ACT_ALLOW;
        case SECCOMP_ACTION_LOG:
                return SCMP_ACT_LOG;
        case SECCOMP_ACTION_NOTIFY:
                return SCMP_ACT_NOTIFY;
        }
        return SCMP_ACT_KILL_PROCESS;
}

/* Reads obj[action_key] and obj[errno_key] into one libseccomp action word. */
static int parse_action(json_t *obj, const char *action_key, const char *errno_key, const char *path,
                        SeccompActionType *ret_type, uint32_t *ret_action, char **err)
{
        char p[PATH_MAX_JSON];
        const char *name;
        uint32_t errno_ret = EPERM;
        size_t i;
        int r;

        json_path_key(p, path, action_key);
        json_t *v = object_get(obj, action_key);
        if (!v)
                return json_err(err, p, "required but missing");
        r = read_string_value(v, p, &name, err);
        if (r < 0)
                return r;
        for (i = 0; i < ELEMENTSOF(action_names); i++)
                if (streq(name, action_names[i]))
                        break;
        if (i >= ELEMENTSOF(action_names))
                return json_err(err, p, "unknown action '%s'", name);
        SeccompActionType t = (SeccompActionType)i;

        r = json_read_uint32(obj, errno_key, path, false, &errno_ret, err);
        if (r < 0)
                return config_error(r);
        if (r > 0) {
                json_path_key(p, path, errno_key);
                if (!action_takes_errno(t))
                        return json_err(err, p, "not allowed with action '%s'", name);
                if (errno_ret > SECCOMP_ERRNO_MAX)
                        return json_err(err, p, "value %" PRIu32 " out of range (at most %u)", errno_ret,
                                        SECCOMP_ERRNO_MAX);
        }

        *ret_type = t;
        *ret_action = action_word(t, errno_ret);
        return 0;
}

static int parse_arg(json_t *v, const char *path, SeccompArg *ret, char **err)
{
        char p[PATH_MAX_JSON];
        uint32_t index = 0;
        const char *op;
        size_t i;
        int r;

        r = json_expect_object(v, path, err);
        if (r < 0)
                return r;

        r = json_read_uint32(v, "index", path, true, &index, err);
        if (r < 0)
                return config_error(r);
        if (index >= SECCOMP_ARGS_MAX)
                return json_err(err, json_path_key(p, path, "index"),
                                "value %" PRIu32 " out of range (0..%d)", index, SECCOMP_ARGS_MAX - 1);

        r = json_read_uint64(v, "value", path, true, &ret->value, err);
        if (r < 0)
                return config_error(r);
        ret->value_two = 0;
        r = json_read_uint64(v, "valueTwo", path, false, &ret->value_two, err);
        if (r < 0)
                return config_error(r);

        json_path_key(p, path, "op");
        json_t *o = object_get(v, "op");
        if (!o)
                return json_err(err, p, "required but missing");
        r = read_string_value(o, p, &op, err);
        if (r < 0)
                return r;
        for (i = 0; i < ELEMENTSOF(operator_table); i++)
                if (streq(op, operator_table[i].name))
                        break;
        if (i >= ELEMENTSOF(operator_table))
                return json_err(err, p, "unknown operator '%s'", op);

        ret->index = index;
        ret->op = operator_table[i].op;
        return 0;
}

static int parse_syscall(json_t *v, const char *path, SeccompSyscall *ret, bool *ret_notify, char **err)
{
        char p[PATH_MAX_JSON], ip[PATH_MAX_JSON];
        SeccompActionType t;
        int r;

        r = json_expect_object(v, path, err);
        if (r < 0)
                return r;

        json_path_key(p, path, "names");
        if (!object_get(v, "names"))
                return json_err(err, p, "required but missing");
        r = json_read_strv(v, "names", path, &ret->names, err);
        if (r < 0)
                return config_error(r);
        if (strv_length(ret->names) == 0)
                return json_err(err, p, "must contain at least one name");

        r = parse_action(v, "action", "errnoRet", path, &t, &ret->action, err);
        if (r < 0)
                return r;
        *ret_notify = t == SECCOMP_ACTION_NOTIFY;

        json_t *args = object_get(v, "args");
        if (!args)
                return 0;
        json_path_key(p, path, "args");
        r = json_expect_array(args, p, err);
        if (r < 0)
                return r;
        size_t n = json_array_size(args), i;
        if (n == 0)
                return 0;
        ret->args = calloc(n, sizeof(SeccompArg));
        if (!ret->args)
                return -ENOMEM;
        bool seen[SECCOMP_ARGS_MAX] = {};
        json_t *a;
        json_array_foreach (args, i, a) {
                r = parse_arg(a, json_path_index(ip, p, i), &ret->args[i], err);
                if (r < 0)
                        return r;
                ret->n_args++;
                if (seen[ret->args[i].index])
                        ret->any_arg = true;
                seen[ret->args[i].index] = true;
        }
        return 0;
}

static int parse_architectures(json_t *j, const char *path, SeccompConfig *c, char **err)
{
        char p[PATH_MAX_JSON], ip[PATH_MAX_JSON];
        int r;

        json_t *v = object_get(j, "architectures");
        if (!v)
                return 0;
        json_path_key(p, path, "architectures");
        r = json_expect_array(v, p, err);
        if (r < 0)
                return r;
        size_t n = json_array_size(v), i;
        if (n == 0)
                return 0;
        c->arches = calloc(n, sizeof(uint32_t));
        if (!c->arches)
                return -ENOMEM;
        json_t *e;
        json_array_foreach (v, i, e) {
                const char *name;
                size_t k;

                json_path_index(ip, p, i);
                r = read_string_value(e, ip, &name, err);
                if (r < 0)
                        return r;
                for (k = 0; k < ELEMENTSOF(arch_table); k++)
                        if (streq(name, arch_table[k].name))
                                break;
                if (k >= ELEMENTSOF(arch_table))
                        return json_err(err, ip, "unknown architecture '%s'", name);
                c->arches[c->n_arches++] = arch_table[k].token;
        }
        return 0;
}

static int parse_flags(json_t *j, const char *path, SeccompConfig *c, char **err)
{
        char p[PATH_MAX_JSON], ip[PATH_MAX_JSON];
        int r;

        json_t *v = object_get(j, "flags");
        if (!v)
                return 0;
        json_path_key(p, path, "flags");
        r = json_expect_array(v, p, err);
        if (r < 0)
                return r;
        size_t i;
        json_t *e;
        json_array_foreach (v, i, e) {
                const char *name;
                size_t k;

                json_path_index(ip, p, i);
                r = read_string_value(e, ip, &name, err);
                if (r < 0)
                        return r;
                for (k = 0; k < ELEMENTSOF(flag_table); k++)
                        if (streq(name, flag_table[k].name))
                                break;
                if (k >= ELEMENTSOF(flag_table))
                        return json_err(err, ip, "unknown flag '%s'", name);
                c->flags |= flag_table[k].flag;
        }
        return 0;
}

static int parse_syscalls(json_t *j, const char *path, SeccompConfig *c, char **err)
{
        char p[PATH_MAX_JSON], ip[PATH_MAX_JSON];
        int r;

        json_t *v = object_get(j, "syscalls");
        if (!v)
                return 0;
        json_path_key(p, path, "syscalls");
        r = json_expect_array(v, p, err);
        if (r < 0)
                return r;
        size_t n = json_array_size(v), i;
        if (n == 0)
                return 0;
        c->syscalls = calloc(n, sizeof(SeccompSyscall));
        if (!c->syscalls)
                return -ENOMEM;
        json_t *e;
        json_array_foreach (v, i, e) {
                bool notify = false;

                json_path_index(ip, p, i);
                /* Counted first so that a partly parsed entry is freed with the config. */
                c->n_syscalls++;
                r = parse_syscall(e, ip, &c->syscalls[i], &notify, err);
                if (r < 0)
                        return r;
                if (notify) {
                        if (!c->listener_path) {
                                char ap[PATH_MAX_JSON];
                                return json_err(err, json_path_key(ap, ip, "action"),
                                                "SCMP_ACT_NOTIFY requires listenerPath");
                        }
                        c->wants_listener = true;
                }
        }
        return 0;
}

SeccompConfig *seccomp_config_free(SeccompConfig *c)
{
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_syscalls; i++) {
                strv_free(c->syscalls[i].names);
                free(c->syscalls[i].args);
        }
        free(c->syscalls);
        free(c->arches);
        free(c->path);
        free(c->listener_path);
        free(c->listener_metadata);
        free(c);
        return NULL;
}

static inline void seccomp_config_freep(SeccompConfig **c)
{
        seccomp_config_free(*c);
}

int seccomp_config_parse(json_t *j, const char *path, SeccompConfig **ret, char **err)
{
        _cleanup_(seccomp_config_freep) SeccompConfig *c = NULL;
        char p[PATH_MAX_JSON];
        SeccompActionType t;
        int r;

        if (!ret)
                return -EINVAL;

        r = json_expect_object(j, path, err);
        if (r < 0)
                return r;

        c = calloc(1, sizeof(SeccompConfig));
        if (!c)
                return -ENOMEM;
        c->path = strdup(strempty(path));
        if (!c->path)
                return -ENOMEM;

        r = parse_action(j, "defaultAction", "defaultErrnoRet", path, &t, &c->default_action, err);
        if (r < 0)
                return r;
        /* libseccomp refuses it, and a filter that parks every syscall, including the ones
         * needed to hand the listener fd out, could never start. */
        if (t == SECCOMP_ACTION_NOTIFY)
                return json_err(err, json_path_key(p, path, "defaultAction"),
                                "SCMP_ACT_NOTIFY cannot be the default action");

        r = json_read_string(j, "listenerPath", path, false, &c->listener_path, err);
        if (r < 0)
                return config_error(r);
        if (c->listener_path && !*c->listener_path)
                return json_err(err, json_path_key(p, path, "listenerPath"), "must not be empty");
        r = json_read_string(j, "listenerMetadata", path, false, &c->listener_metadata, err);
        if (r < 0)
                return config_error(r);
        if (c->listener_metadata && !c->listener_path)
                return json_err(err, json_path_key(p, path, "listenerMetadata"),
                                "must not be set without listenerPath");

        r = parse_architectures(j, path, c, err);
        if (r < 0)
                return r;
        r = parse_flags(j, path, c, err);
        if (r < 0)
                return r;
        r = parse_syscalls(j, path, c, err);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(c);
        return 0;
}

bool seccomp_config_wants_listener(const SeccompConfig *c)
{
        return c && c->wants_listener;
}

const char *seccomp_config_listener_path(const SeccompConfig *c)
{
        return c ? c->listener_path : NULL;
}

const char *seccomp_config_listener_metadata(const SeccompConfig *c)
{
        return c ? c->listener_metadata : NULL;
}

SeccompFilter *seccomp_filter_free(SeccompFilter *f)
{
        if (!f)
                return NULL;
        if (f->ctx)
                seccomp_release(f->ctx);
        free(f->prog.filter);
        free(f);
        return NULL;
}

static inline void seccomp_filter_freep(SeccompFilter **f)
{
        seccomp_filter_free(*f);
}

static int filter_add_arches(SeccompFilter *f, const SeccompConfig *c, char **err)
{
        char p[PATH_MAX_JSON], ip[PATH_MAX_JSON];
        int r;

        json_path_key(p, c->path, "architectures");
        for (size_t i = 0; i < c->n_arches; i++) {
                if (c->arches[i] == 0)
                        continue;
                r = seccomp_arch_add(f->ctx, c->arches[i]);
                /* -EEXIST: native or listed twice. -EDOM: an ABI of the other byte order, which
                 * cannot share one filter; left out, its callers meet the bad-arch action. */
                if (r < 0 && r != -EEXIST && r != -EDOM)
                        return json_err(err, json_path_index(ip, p, i), "cannot add architecture: %s",
                                        strerror(-r));
        }
        return 0;
}

static int filter_set_attrs(SeccompFilter *f, const SeccompConfig *c, char **err)
{
        static const struct {
                unsigned long flag;
                enum scmp_filter_attr attr;
        } attrs[] = {
                {SECCOMP_FILTER_FLAG_TSYNC, SCMP_FLTATR_CTL_TSYNC},
                {SECCOMP_FILTER_FLAG_LOG, SCMP_FLTATR_CTL_LOG},
                {SECCOMP_FILTER_FLAG_SPEC_ALLOW, SCMP_FLTATR_CTL_SSB},
        };
        int r;

        /* We load the exported program ourselves: keep the context's idea of the filter the same
         * as ours, never let it touch no_new_privs (the caller owns that), and learn here, before
         * forking, if the kernel lacks a flag (libseccomp probes it). */
        r = seccomp_attr_set(f->ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r < 0)
                return json_err(err, c->path, "cannot configure the filter: %s", strerror(-r));
        for (size_t i = 0; i < ELEMENTSOF(attrs); i++) {
                if (!(c->flags & attrs[i].flag))
                        continue;
                r = seccomp_attr_set(f->ctx, attrs[i].attr, 1);
                if (r < 0) {
                        const char *name = "?";
                        for (size_t k = 0; k < ELEMENTSOF(flag_table); k++)
                                if (flag_table[k].flag == attrs[i].flag)
                                        name = flag_table[k].name;
                        char p[PATH_MAX_JSON];
                        return json_err(err, json_path_key(p, c->path, "flags"),
                                        "flag '%s' is not supported: %s", name, strerror(-r));
                }
        }
        return 0;
}

static int filter_add_rule(SeccompFilter *f, const SeccompSyscall *s, int nr, const char *path, char **err)
{
        struct scmp_arg_cmp cmp[SECCOMP_ARGS_MAX];
        int r;

        /* Parsing guarantees it: without a repeated index there are at most six comparisons. */
        if (!s->any_arg && s->n_args > SECCOMP_ARGS_MAX)
                return -EINVAL;

        if (s->n_args == 0)
                r = seccomp_rule_add_array(f->ctx, s->action, nr, 0, NULL);
        else if (s->any_arg) {
                /* One argument compared more than once: as runc does, each comparison becomes a
                 * rule of its own, so the syscall matches if any of them holds. */
                r = 0;
                for (size_t i = 0; i < s->n_args && r >= 0; i++) {
                        cmp[0] = (struct scmp_arg_cmp){
                                .arg = s->args[i].index,
                                .op = s->args[i].op,
                                .datum_a = s->args[i].value,
                                .datum_b = s->args[i].value_two,
                        };
                        r = seccomp_rule_add_array(f->ctx, s->action, nr, 1, cmp);
                }
        } else {
                /* Distinct arguments, at most one comparison each: all of them must hold. */
                for (size_t i = 0; i < s->n_args; i++)
                        cmp[i] = (struct scmp_arg_cmp){
                                .arg = s->args[i].index,
                                .op = s->args[i].op,
                                .datum_a = s->args[i].value,
                                .datum_b = s->args[i].value_two,
                        };
                r = seccomp_rule_add_array(f->ctx, s->action, nr, (unsigned)s->n_args, cmp);
        }
        if (r < 0)
                return json_err(err, path, "cannot add rule: %s", strerror(-r));
        return 0;
}

/* libseccomp refuses a rule that repeats the default action; it would change nothing anyway. */
static bool syscall_rule_needed(const SeccompConfig *c, const SeccompSyscall *s)
{
        return s->action != c->default_action;
}

/* Each rule costs at least one instruction, and libseccomp's time grows with the square of the
 * rule count: refuse, before adding any, a config no filter could hold. */
static int filter_check_rule_count(const SeccompConfig *c, char **err)
{
        char p[PATH_MAX_JSON], sp[PATH_MAX_JSON];
        size_t n_rules = 0;

        for (size_t i = 0; i < c->n_syscalls; i++) {
                const SeccompSyscall *s = &c->syscalls[i];

                if (!syscall_rule_needed(c, s))
                        continue;
                for (size_t k = 0; s->names[k]; k++) {
                        if (seccomp_syscall_resolve_name(s->names[k]) == __NR_SCMP_ERROR)
                                continue;
                        n_rules += s->any_arg ? s->n_args : 1;
                        if (n_rules > BPF_MAXINSNS)
                                return json_err(
                                        err, json_path_index(sp, json_path_key(p, c->path, "syscalls"), i),
                                        "too many rules, a filter holds at most %d instructions",
                                        BPF_MAXINSNS);
                }
        }
        return 0;
}

static int filter_add_rules(SeccompFilter *f, const SeccompConfig *c, char **err)
{
        char p[PATH_MAX_JSON], sp[PATH_MAX_JSON], np[PATH_MAX_JSON], ip[PATH_MAX_JSON];
        int r;

        r = filter_check_rule_count(c, err);
        if (r < 0)
                return r;

        json_path_key(p, c->path, "syscalls");
        for (size_t i = 0; i < c->n_syscalls; i++) {
                const SeccompSyscall *s = &c->syscalls[i];

                if (!syscall_rule_needed(c, s))
                        continue;
                json_path_key(np, json_path_index(sp, p, i), "names");
                for (size_t k = 0; s->names[k]; k++) {
                        int nr = seccomp_syscall_resolve_name(s->names[k]);
                        /* Not a syscall on any ABI this libseccomp knows: profiles list syscalls
                         * of newer kernels and other arches. */
                        if (nr == __NR_SCMP_ERROR)
                                continue;
                        r = filter_add_rule(f, s, nr, json_path_index(ip, np, k), err);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* Exports the BPF program into memory, so that loading needs neither libseccomp nor malloc. */
static int filter_export(SeccompFilter *f, const char *path, char **err)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        fd = memfd_create("ctrctl-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = seccomp_export_bpf(f->ctx, fd);
        if (r < 0)
                return json_err(err, path, "cannot generate the filter: %s", strerror(-r));
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0)
                return json_err(err, path, "generated filter has an invalid size %lld",
                                (long long)st.st_size);
        size_t n = (size_t)st.st_size / sizeof(struct sock_filter);
        if (n > BPF_MAXINSNS)
                return json_err(err, path, "filter too large: %zu instructions, at most %d", n,
                                BPF_MAXINSNS);

        _cleanup_free_ struct sock_filter *insns = calloc(n, sizeof(struct sock_filter));
        if (!insns)
                return -ENOMEM;
        size_t size = n * sizeof(struct sock_filter), done = 0;
        while (done < size) {
                ssize_t k = pread(fd, (char *)insns + done, size - done, (off_t)done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        return -EIO;
                done += (size_t)k;
        }

        f->prog.len = (unsigned short)n;
        f->prog.filter = TAKE_PTR(insns);
        return 0;
}

/* Does the kernel accept this seccomp(2) flags word? A NULL program makes the call fail with EFAULT
 * once the flags passed its checks, without installing anything. */
static bool kernel_has_flags(unsigned long flags)
{
        /* Refused without a listener to apply to. */
        if (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
                flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL);
        return r < 0 && errno == EFAULT;
}

/* Settles the flags word for seccomp(2) and checks it against the kernel here, before forking,
 * rather than in the container. */
static int filter_set_load_flags(SeccompFilter *f, const SeccompConfig *c, char **err)
{
        unsigned long flags = c->flags;
        char p[PATH_MAX_JSON];

        if (c->wants_listener) {
                flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
                /* Else a thread that cannot be synchronized is reported by its id, which the
                 * caller could not tell from the listener fd. */
                if (flags & SECCOMP_FILTER_FLAG_TSYNC)
                        flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        } else
                /* It only changes how a listener waits; without one the kernel refuses it. */
                flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;

        json_path_key(p, c->path, "flags");
        for (size_t i = 0; i < ELEMENTSOF(flag_table); i++)
                if ((flags & flag_table[i].flag) && !kernel_has_flags(flag_table[i].flag))
                        return json_err(err, p, "flag '%s' is not supported by the kernel",
                                        flag_table[i].name);
        if (flags != 0 && !kernel_has_flags(flags))
                return json_err(err, c->wants_listener ? p : c->path,
                                "the kernel refuses the seccomp(2) flags 0x%lx%s", flags,
                                c->wants_listener ? " (with a listener for SCMP_ACT_NOTIFY)" : "");

        f->flags = flags;
        f->wants_listener = c->wants_listener;
        return 0;
}

int seccomp_filter_build(const SeccompConfig *c, SeccompFilter **ret, char **err)
{
        _cleanup_(seccomp_filter_freep) SeccompFilter *f = NULL;
        int r;

        if (!c || !ret)
                return -EINVAL;

        f = calloc(1, sizeof(SeccompFilter));
        if (!f)
                return -ENOMEM;

        f->ctx = seccomp_init(c->default_action);
        if (!f->ctx) {
                char p[PATH_MAX_JSON];
                return json_err(err, json_path_key(p, c->path, "defaultAction"),
                                "action not supported by libseccomp or the kernel");
        }

        r = filter_set_attrs(f, c, err);
        if (r < 0)
                return r;
        r = filter_set_load_flags(f, c, err);
        if (r < 0)
                return r;
        r = filter_add_arches(f, c, err);
        if (r < 0)
                return r;
        r = filter_add_rules(f, c, err);
        if (r < 0)
                return r;
        r = filter_export(f, c->path, err);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(f);
        return 0;
}

int seccomp_filter_load(SeccompFilter *f, int *ret_notify_fd)
{
        long r;

        if (ret_notify_fd)
                *ret_notify_fd = -EBADF;
        if (!f || !f->prog.filter)
                return -EINVAL;
        if (f->wants_listener && !ret_notify_fd)
                return -EINVAL;

        /* Called after fork, right before execve: no allocation, no libseccomp. */
        r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &f->prog);
        if (r < 0)
                return negative_errno();
        if (f->wants_listener) {
                *ret_notify_fd = (int)r;
                return 0;
        }
        /* With TSYNC, a positive return is the id of a thread that could not be synchronized. */
        if (r > 0)
                return -ESRCH;
        return 0;
}

static int append_string(json_t *array, const char *s)
{
        return json_array_append_new(array, json_string(s)) < 0 ? -ENOMEM : 0;
}

json_t *seccomp_features(void)
{
        json_auto_t *o = json_pack("{s:b,s:[],s:[],s:[],s:[],s:[]}", "enabled", true, "actions", "operators",
                                   "archs", "knownFlags", "supportedFlags");
        if (!o)
                return NULL;
        json_t *actions = json_object_get(o, "actions"), *operators = json_object_get(o, "operators"),
               *archs = json_object_get(o, "archs"), *known = json_object_get(o, "knownFlags"),
               *supported = json_object_get(o, "supportedFlags");

        for (size_t i = 0; i < ELEMENTSOF(action_names); i++)
                if (append_string(actions, action_names[i]) < 0)
                        return NULL;
        for (size_t i = 0; i < ELEMENTSOF(operator_table); i++)
                if (append_string(operators, operator_table[i].name) < 0)
                        return NULL;
        /* Only the ones this libseccomp can build filters for. */
        for (size_t i = 0; i < ELEMENTSOF(arch_table); i++)
                if (arch_table[i].token != 0 && append_string(archs, arch_table[i].name) < 0)
                        return NULL;
        for (size_t i = 0; i < ELEMENTSOF(flag_table); i++) {
                if (append_string(known, flag_table[i].name) < 0)
                        return NULL;
                if (kernel_has_flags(flag_table[i].flag) && append_string(supported, flag_table[i].name) < 0)
                        return NULL;
        }

        return TAKE_PTR(o);
}
