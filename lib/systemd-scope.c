/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Types and prototypes only: every call goes through the sym_* pointers filled by dlsym(), so
 * nothing here makes the linker want libsystemd. */
#include <systemd/sd-bus.h>

#include "systemd-scope.h"
#include "util.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_PRIVATE_ADDRESS "unix:path=/run/systemd/private"

#define CPU_PERIOD_DEFAULT 100000U
#define CPU_LIST_MAX 65536U /* CPUs or memory nodes in a list we turn into a bitmask */
#define USEC_INFINITY UINT64_MAX

/* ---- cgroupsPath ---- */

void scope_path_done(ScopePath *p)
{
        free(p->slice);
        free(p->slice_path);
        free(p->unit);
        *p = (ScopePath){};
}

int slice_expand(const char *slice, char **ret)
{
        const char *suffix = ".slice";
        size_t l = strlen(slice), ls = strlen(suffix);
        if (l <= ls || !streq(slice + l - ls, suffix) || strchr(slice, '/'))
                return -EINVAL;
        if (streq(slice, "-.slice")) {
                *ret = strdup("");
                return *ret ? 0 : -ENOMEM;
        }
        _cleanup_free_ char *base = strndup(slice, l - ls);
        if (!base)
                return -ENOMEM;
        /* systemd nests "a-b-c.slice" in "a-b.slice" in "a.slice": every dash-separated part must
         * be there ("a--b.slice", "-a.slice", "a-.slice" name no parent) */
        size_t out_size = 1, parts = 1;
        for (const char *p = base; *p; p++)
                parts += *p == '-';
        out_size += parts * (l + 1);
        _cleanup_free_ char *out = malloc(out_size);
        if (!out)
                return -ENOMEM;
        out[0] = 0;
        size_t o = 0;
        for (const char *p = base;;) {
                const char *dash = strchr(p, '-');
                size_t n = dash ? (size_t)(dash - p) : strlen(p);
                if (n == 0)
                        return -EINVAL;
                /* "/" + everything up to the end of this part + ".slice" */
                o += (size_t)snprintf(out + o, out_size - o, "/%.*s%s", (int)(p + n - base), base, suffix);
                if (!dash)
                        break;
                p = dash + 1;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

static bool unit_part_ok(const char *s)
{
        for (const char *p = s; *p; p++)
                if (*p == '/' || (unsigned char)*p <= ' ' || *p == 0x7f)
                        return false;
        return true;
}

static bool endswith(const char *s, const char *suffix)
{
        size_t l = strlen(s), k = strlen(suffix);
        return l >= k && streq(s + l - k, suffix);
}

int scope_path_parse(const char *cgroups_path, const char *id, ScopePath *ret, char **err)
{
        _cleanup_free_ char *slice = NULL, *prefix = NULL, *name = NULL;
        ScopePath p = {};
        int r;

        if (!cgroups_path || !*cgroups_path) {
                slice = strdup("");
                prefix = strdup(SCOPE_DEFAULT_PREFIX);
                name = strdup(strempty(id));
        } else {
                const char *c1 = strchr(cgroups_path, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2 || strchr(c2 + 1, ':'))
                        return set_error(err, -EINVAL,
                                         "linux.cgroupsPath '%s': with --systemd-cgroup it must be "
                                         "\"slice:prefix:name\", as for runc",
                                         cgroups_path);
                slice = strndup(cgroups_path, (size_t)(c1 - cgroups_path));
                prefix = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
                name = strdup(c2 + 1);
        }
        if (!slice || !prefix || !name)
                return -ENOMEM;
        if (!*slice) {
                free(slice);
                if (!(slice = strdup(SCOPE_DEFAULT_SLICE)))
                        return -ENOMEM;
        }
        r = slice_expand(slice, &p.slice_path);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return set_error(
                        err, r,
                        "linux.cgroupsPath '%s': '%s' is not a slice systemd can place (NAME.slice, "
                        "parents joined by '-', no '/')",
                        strempty(cgroups_path), slice);
        if (!*name || !unit_part_ok(name) || !unit_part_ok(prefix)) {
                r = set_error(err, -EINVAL, "linux.cgroupsPath '%s': %s", strempty(cgroups_path),
                              !*name ? "the name part is empty"
                                     : "a '/', space or control character in the unit name");
                goto fail;
        }
        if (endswith(name, ".slice")) {
                r = set_error(err, -EINVAL,
                              "linux.cgroupsPath '%s': '%s' is a slice, which cannot hold the container's "
                              "processes; name a scope",
                              cgroups_path, name);
                goto fail;
        }
        if (asprintf(&p.unit, "%s%s%s.scope", prefix, *prefix ? "-" : "", name) < 0) {
                p.unit = NULL;
                r = -ENOMEM;
                goto fail;
        }
        p.slice = TAKE_PTR(slice);
        *ret = p;
        return 0;
fail:
        scope_path_done(&p);
        return r;
}

/* ---- resources -> properties ---- */

void scope_properties_done(ScopeProperties *props)
{
        for (size_t i = 0; i < props->n; i++) {
                free(props->p[i].text);
                strv_free(props->p[i].devices);
        }
        free(props->p);
        *props = (ScopeProperties){};
}

static ScopeProperty *prop_add(ScopeProperties *props, const char *name, char type)
{
        ScopeProperty *n = realloc(props->p, sizeof(*n) * (props->n + 1));
        if (!n)
                return NULL;
        props->p = n;
        n[props->n] = (ScopeProperty){.name = name, .type = type};
        return &n[props->n++];
}

static int add_u64(ScopeProperties *props, const char *name, uint64_t v)
{
        ScopeProperty *p = prop_add(props, name, 't');
        if (!p)
                return -ENOMEM;
        p->value = v;
        return 0;
}

static int add_text(ScopeProperties *props, const char *name, char type, const char *text)
{
        char *s = strdup(text);
        ScopeProperty *p = s ? prop_add(props, name, type) : NULL;
        if (!p) {
                free(s);
                return -ENOMEM;
        }
        p->text = s;
        return 0;
}

/* OCI byte and count limits: -1 is unlimited */
static uint64_t limit_value(int64_t v)
{
        return v < 0 ? USEC_INFINITY : (uint64_t)v;
}

/* systemd stores a quota as CPUQuotaPerSecUSec and shows whole percents (10 ms per second):
 * round up, as runc does, so that a quota that is a fraction of a percent is not cut below
 * what the container was given. */
static uint64_t quota_per_sec(int64_t quota, uint64_t period)
{
        if (quota <= 0)
                return USEC_INFINITY;
        if (period == 0)
                period = CPU_PERIOD_DEFAULT;
        uint64_t q = (uint64_t)quota;
        if (q > UINT64_MAX / 1000000)
                return USEC_INFINITY;
        uint64_t v = q * 1000000 / period;
        if (v % 10000)
                v = (v / 10000 + 1) * 10000;
        return v;
}

/* "max" or a number, as in the v2 files */
static int parse_max(const char *s, uint64_t *ret)
{
        if (streq(s, "max")) {
                *ret = USEC_INFINITY;
                return 0;
        }
        return safe_atou64(s, ret);
}

static int add_cpu_list(ScopeProperties *props, const char *name, const char *list)
{
        _cleanup_free_ uint8_t *mask = NULL;
        size_t n;
        /* an empty or unreadable list is the cgroupfs driver's to write (or refuse) */
        if (!list || !*list || cpu_set_parse(list, CPU_LIST_MAX, &mask, &n) < 0)
                return 0;
        return add_text(props, name, 'c', list);
}

/* ---- devices: the rules as the v1 kernel evaluates them ---- */

enum { ACC_R = 1, ACC_W = 2, ACC_M = 4 };

typedef struct DevException {
        char type;
        int64_t major, minor;
        unsigned access;
} DevException;

static unsigned access_bits(const char *s)
{
        unsigned a = 0;
        for (; *s; s++)
                a |= *s == 'r' ? ACC_R : *s == 'w' ? ACC_W : *s == 'm' ? ACC_M : 0;
        return a;
}

/* v1 devices cgroup semantics (what the cgroupfs driver makes of the same list, written after
 * "deny a"): "a" switches the default and clears the exceptions; any other rule adds its access
 * to an exception of the same type and numbers when it goes against the default, and takes it
 * away from one when it goes with it. Nothing is matched by wildcard. */
static int devices_evaluate(const CgroupResources *r, bool *ret_default_allow, DevException **ret,
                            size_t *ret_n)
{
        _cleanup_free_ DevException *l = calloc(r->n_devices + 1, sizeof(*l));
        bool allow_all = false;
        size_t n = 0;
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < r->n_devices; i++) {
                const CgroupDeviceRule *d = &r->devices[i];
                if (d->type == 'a') {
                        allow_all = d->allow;
                        n = 0;
                        continue;
                }
                unsigned acc = access_bits(d->access);
                size_t k;
                for (k = 0; k < n; k++)
                        if (l[k].type == d->type && l[k].major == d->major && l[k].minor == d->minor)
                                break;
                if (d->allow != allow_all) {
                        if (k == n)
                                l[n++] = (DevException){d->type, d->major, d->minor, 0};
                        l[k].access |= acc;
                } else if (k < n) {
                        l[k].access &= ~acc;
                        if (!l[k].access)
                                l[k] = l[--n];
                }
        }
        *ret_default_allow = allow_all;
        *ret = TAKE_PTR(l);
        *ret_n = n;
        return 0;
}

/* The group name /proc/devices gives a major ("pts" for char 136), or NULL. systemd turns
 * "char-NAME" into a rule for every major of that name (it matches them with fnmatch), so a name
 * is given only when no other major has it and it has no glob character: "block-sd" would open
 * every sd major, not just the one asked for. No name: the rule is left out, stricter. */
static bool device_name_plain(const char *name)
{
        return !strpbrk(name, "/,\\*?[");
}

static char *device_group(const char *proc_devices, char type, int64_t major)
{
        const char *section = type == 'c' ? "Character devices:" : "Block devices:";
        _cleanup_free_ char *found = NULL;
        for (int pass = 0; pass < 2; pass++) {
                bool in = false;
                for (const char *line = proc_devices; line && *line;) {
                        const char *nl = strchr(line, '\n');
                        size_t len = nl ? (size_t)(nl - line) : strlen(line);
                        _cleanup_free_ char *l = strndup(line, len);
                        line = nl ? nl + 1 : NULL;
                        if (!l)
                                return NULL;
                        if (!isspace((unsigned char)l[0]) && !isdigit((unsigned char)l[0])) {
                                in = streq(l, section);
                                continue;
                        }
                        unsigned m;
                        char name[128];
                        if (!in || sscanf(l, "%u %127s", &m, name) != 2)
                                continue;
                        if (pass == 0 && (int64_t)m == major && !found && device_name_plain(name)) {
                                found = strdup(name);
                                if (!found)
                                        return NULL;
                        }
                        /* the second pass: the same name on another major makes it ambiguous */
                        if (pass == 1 && (int64_t)m != major && streq(name, found))
                                return NULL;
                }
                if (!found)
                        return NULL;
        }
        return TAKE_PTR(found);
}

static int add_devices(ScopeProperties *props, const CgroupResources *r, const ScopeTranslation *t)
{
        _cleanup_free_ DevException *l = NULL;
        _cleanup_free_ char *devices_text = NULL;
        _cleanup_strv_free_ char **pairs = NULL;
        bool allow_all;
        size_t n;
        int k;

        if (!r->has_devices)
                return 0;
        if ((k = devices_evaluate(r, &allow_all, &l, &n)) < 0)
                return k;
        if (allow_all) {
                /* systemd cannot list exceptions to "everything": auto writes "a" as the rules'
                 * start does; the cgroupfs driver adds the denials */
                return add_text(props, "DevicePolicy", 's', "auto");
        }
        const char *proc_devices = t->proc_devices;
        for (size_t i = 0; i < n; i++) {
                const DevException *e = &l[i];
                const char *kind = e->type == 'c' ? "char" : "block";
                _cleanup_free_ char *path = NULL;
                char access[4], *o = access;
                if (e->major < 0) {
                        /* "c *:* m": every device of the type; "c *:5" has no systemd form: left
                         * out, stricter */
                        if (e->minor >= 0)
                                continue;
                        if (asprintf(&path, "%s-*", kind) < 0)
                                return -ENOMEM;
                } else if (e->minor < 0) {
                        if (!proc_devices && !devices_text &&
                            read_full_file("/proc/devices", 1 << 20, &devices_text, NULL) >= 0)
                                proc_devices = devices_text;
                        _cleanup_free_ char *group = device_group(proc_devices, e->type, e->major);
                        if (!group)
                                continue; /* no name to give systemd: left out, stricter */
                        if (asprintf(&path, "%s-%s", kind, group) < 0)
                                return -ENOMEM;
                } else if (asprintf(&path, "/dev/%s/%" PRId64 ":%" PRId64, kind, e->major, e->minor) < 0)
                        return -ENOMEM;
                if (e->access & ACC_R)
                        *o++ = 'r';
                if (e->access & ACC_W)
                        *o++ = 'w';
                if (e->access & ACC_M)
                        *o++ = 'm';
                *o = 0;
                if (strv_consume(&pairs, TAKE_PTR(path)) < 0 || strv_extend(&pairs, access) < 0)
                        return -ENOMEM;
        }
        if ((k = add_text(props, "DevicePolicy", 's', "strict")) < 0)
                return k;
        ScopeProperty *p = prop_add(props, "DeviceAllow", 'd');
        if (!p)
                return -ENOMEM;
        if (!pairs && !(pairs = calloc(1, sizeof(char *))))
                return -ENOMEM;
        p->devices = TAKE_PTR(pairs);
        return 0;
}

/* v2 "unified" keys systemd has a property for */
static int add_unified(ScopeProperties *props, const CgroupResources *r, bool period_ok)
{
        static const struct {
                const char *key, *property;
        } map[] = {
                {"memory.max", "MemoryMax"},          {"memory.high", "MemoryHigh"},
                {"memory.low", "MemoryLow"},          {"memory.min", "MemoryMin"},
                {"memory.swap.max", "MemorySwapMax"}, {"pids.max", "TasksMax"},
                {"cpu.weight", "CPUWeight"},
        };
        int k;
        for (size_t i = 0; r->unified_keys && r->unified_keys[i]; i++) {
                const char *key = r->unified_keys[i], *value = r->unified_values[i];
                uint64_t v;
                for (size_t j = 0; j < ELEMENTSOF(map); j++)
                        if (streq(key, map[j].key) && parse_max(value, &v) >= 0 &&
                            (k = add_u64(props, map[j].property, v)) < 0)
                                return k;
                if (streq(key, "cpu.max")) {
                        /* "QUOTA [PERIOD]", QUOTA "max" */
                        char q[32];
                        uint64_t quota, period = 0;
                        int used = 0;
                        if (sscanf(value, "%31s %n", q, &used) < 1 || parse_max(q, &quota) < 0)
                                continue;
                        if (value[used] && safe_atou64(value + used, &period) < 0)
                                continue;
                        if (period && period_ok && (k = add_u64(props, "CPUQuotaPeriodUSec", period)) < 0)
                                return k;
                        if ((k = add_u64(props, "CPUQuotaPerSecUSec",
                                         quota == USEC_INFINITY || quota > INT64_MAX
                                                 ? USEC_INFINITY
                                                 : quota_per_sec((int64_t)quota, period))) < 0)
                                return k;
                } else if (streq(key, "cpuset.cpus") && (k = add_cpu_list(props, "AllowedCPUs", value)) < 0)
                        return k;
                else if (streq(key, "cpuset.mems") &&
                         (k = add_cpu_list(props, "AllowedMemoryNodes", value)) < 0)
                        return k;
        }
        return 0;
}

int scope_resources_to_properties(const CgroupResources *r, const ScopeTranslation *t, ScopeProperties *ret)
{
        ScopeProperties props = {};
        bool v2 = t->layout == CGROUP_LAYOUT_UNIFIED;
        unsigned ver = t->systemd_version ?: UINT32_MAX;
        int k = 0;

        if (!r) {
                *ret = props;
                return 0;
        }
        if (r->memory.has_limit && r->memory.limit != 0)
                k = add_u64(&props, "MemoryMax", limit_value(r->memory.limit));
        if (k >= 0 && v2 && r->memory.has_reservation && r->memory.reservation != 0)
                k = add_u64(&props, "MemoryLow", limit_value(r->memory.reservation));
        if (k >= 0 && v2 && r->memory.has_swap && r->memory.swap != 0) {
                int64_t swap;
                /* refused combinations are the cgroupfs driver's to report */
                if (cgroup_swap_to_v2(r->memory.has_limit ? r->memory.limit : 0, r->memory.swap, &swap) > 0)
                        k = add_u64(&props, "MemorySwapMax", limit_value(swap));
        }
        if (k >= 0 && r->cpu.has_shares && r->cpu.shares != 0)
                k = v2 ? add_u64(&props, "CPUWeight", cgroup_cpu_shares_to_weight(r->cpu.shares))
                       : add_u64(&props, "CPUShares", r->cpu.shares);
        bool quota = r->cpu.has_quota && r->cpu.quota != 0, period = r->cpu.has_period && r->cpu.period != 0;
        if (k >= 0 && period && ver >= 242)
                k = add_u64(&props, "CPUQuotaPeriodUSec", r->cpu.period);
        if (k >= 0 && quota)
                k = add_u64(&props, "CPUQuotaPerSecUSec",
                            quota_per_sec(r->cpu.quota, period ? r->cpu.period : t->current_period));
        if (k >= 0 && ver >= 244)
                k = add_cpu_list(&props, "AllowedCPUs", r->cpu.cpus);
        if (k >= 0 && ver >= 244)
                k = add_cpu_list(&props, "AllowedMemoryNodes", r->cpu.mems);
        if (k >= 0 && r->has_pids_limit && r->pids_limit != 0)
                k = add_u64(&props, "TasksMax", limit_value(r->pids_limit));
        if (k >= 0 && r->blkio.has_weight && r->blkio.weight != 0)
                k = v2 ? add_u64(&props, "IOWeight", cgroup_blkio_weight_to_io_weight(r->blkio.weight))
                       : add_u64(&props, "BlockIOWeight", r->blkio.weight);
        if (k >= 0 && v2)
                k = add_unified(&props, r, ver >= 242);
        if (k >= 0)
                k = add_devices(&props, r, t);
        if (k < 0) {
                scope_properties_done(&props);
                return k;
        }
        /* AllowedCPUs= from a unified key on an old systemd */
        if (ver < 244)
                for (size_t i = 0; i < props.n; i++)
                        if (props.p[i].type == 'c')
                                props.p[i].name = NULL;
        size_t o = 0;
        for (size_t i = 0; i < props.n; i++)
                if (props.p[i].name)
                        props.p[o++] = props.p[i];
                else {
                        free(props.p[i].text);
                        strv_free(props.p[i].devices);
                }
        props.n = o;
        *ret = props;
        return 0;
}

char *scope_property_to_string(const ScopeProperty *p)
{
        char *s = NULL;
        int k = -1;
        switch (p->type) {
        case 't':
                k = p->value == USEC_INFINITY ? asprintf(&s, "%s=infinity", p->name)
                                              : asprintf(&s, "%s=%" PRIu64, p->name, p->value);
                break;
        case 'b':
                k = asprintf(&s, "%s=%s", p->name, p->value ? "yes" : "no");
                break;
        case 's':
        case 'c':
                k = asprintf(&s, "%s=%s", p->name, strempty(p->text));
                break;
        case 'd': {
                char *buf = NULL;
                size_t size = 0;
                FILE *f = open_memstream(&buf, &size);
                if (!f)
                        return NULL;
                fprintf(f, "%s=", p->name);
                for (size_t i = 0; p->devices && p->devices[i] && p->devices[i + 1]; i += 2)
                        fprintf(f, "%s%s %s", i ? "," : "", p->devices[i], p->devices[i + 1]);
                if (fclose(f) != 0) {
                        free(buf);
                        return NULL;
                }
                return buf;
        }
        }
        return k < 0 ? NULL : s;
}

/* ---- libsystemd, loaded on demand ---- */

#define SYMBOLS(X) \
        X(sd_bus_new) \
        X(sd_bus_set_address) \
        X(sd_bus_start) \
        X(sd_bus_open_system) \
        X(sd_bus_flush_close_unref) \
        X(sd_bus_message_new_method_call) \
        X(sd_bus_message_append) \
        X(sd_bus_message_append_array) \
        X(sd_bus_message_open_container) \
        X(sd_bus_message_close_container) \
        X(sd_bus_message_read) \
        X(sd_bus_message_unref) \
        X(sd_bus_call) \
        X(sd_bus_call_method) \
        X(sd_bus_get_property_string) \
        X(sd_bus_error_free) \
        X(sd_bus_match_signal) \
        X(sd_bus_slot_unref) \
        X(sd_bus_process) \
        X(sd_bus_wait)

#define DECLARE(s) static __typeof__(s) *sym_##s;
SYMBOLS(DECLARE)
#undef DECLARE

static void *libsystemd;

static int load_libsystemd(char **err)
{
        if (libsystemd)
                return 0;
        void *dl = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
        if (!dl)
                return set_error(err, -EOPNOTSUPP, "--systemd-cgroup needs libsystemd.so.0: %s", dlerror());
#define RESOLVE(s) \
        if (!(sym_##s = (__typeof__(s) *)dlsym(dl, #s))) { \
                dlclose(dl); \
                return set_error(err, -EOPNOTSUPP, "libsystemd.so.0 lacks %s, needed by --systemd-cgroup", \
                                 #s); \
        }
        SYMBOLS(RESOLVE)
#undef RESOLVE
        libsystemd = dl;
        return 0;
}

static void message_unrefp(sd_bus_message **m)
{
        if (*m)
                sym_sd_bus_message_unref(*m);
}

static void slot_unrefp(sd_bus_slot **s)
{
        if (*s)
                sym_sd_bus_slot_unref(*s);
}

static void error_freep(sd_bus_error *e)
{
        if (libsystemd)
                sym_sd_bus_error_free(e);
}

#define _cleanup_message_ _cleanup_(message_unrefp)
#define _cleanup_bus_error_ _cleanup_(error_freep)

struct ScopeBus {
        sd_bus *bus;
        bool direct; /* systemd's private socket: no bus daemon, signals carry no sender */
        bool have_version;
        unsigned version;
};

int scope_bus_open(ScopeBus **ret, char **err)
{
        sd_bus *bus = NULL;
        bool direct = false;
        int r = load_libsystemd(err);
        if (r < 0)
                return r;
        if (geteuid() == 0) {
                r = sym_sd_bus_new(&bus);
                if (r >= 0 && (r = sym_sd_bus_set_address(bus, SD_PRIVATE_ADDRESS)) >= 0 &&
                    (r = sym_sd_bus_start(bus)) >= 0)
                        direct = true;
                else if (bus)
                        bus = sym_sd_bus_flush_close_unref(bus);
        }
        if (!direct) {
                r = sym_sd_bus_open_system(&bus);
                if (r < 0)
                        return set_error(
                                err, r,
                                "--systemd-cgroup: cannot connect to systemd (is it the init system?): %s",
                                strerror(-r));
        }
        ScopeBus *b = calloc(1, sizeof(*b));
        if (!b) {
                sym_sd_bus_flush_close_unref(bus);
                return -ENOMEM;
        }
        b->bus = bus;
        b->direct = direct;
        *ret = b;
        return 0;
}

ScopeBus *scope_bus_close(ScopeBus *b)
{
        if (!b)
                return NULL;
        if (b->bus)
                sym_sd_bus_flush_close_unref(b->bus);
        free(b);
        return NULL;
}

unsigned scope_bus_systemd_version(ScopeBus *b)
{
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *v = NULL;
        if (b->have_version)
                return b->version;
        b->have_version = true;
        if (sym_sd_bus_get_property_string(b->bus, SD_DEST, SD_PATH, SD_MANAGER, "Version", &error, &v) <
                    0 ||
            !v)
                return 0;
        /* "252.36-1~deb12u1", "v254-rc1-123-gabcdef" */
        const char *p = v + (*v == 'v');
        b->version = (unsigned)strtoul(p, NULL, 10);
        return b->version;
}

static uint64_t now_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

typedef struct JobWait {
        char *job;
        char *result;
} JobWait;

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        JobWait *w = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        (void)error;
        if (sym_sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (w->job && !w->result && streq(path, w->job))
                w->result = strdup(result);
        return 0;
}

/* Subscribe to JobRemoved before the call that makes the job: it may be gone before the reply
 * is read. Over the private socket systemd sends every signal; on the bus only to
 * subscribers. */
static int job_watch(ScopeBus *b, sd_bus_slot **ret_slot, JobWait *w)
{
        int r = sym_sd_bus_match_signal(b->bus, ret_slot, b->direct ? NULL : SD_DEST, SD_PATH, SD_MANAGER,
                                        "JobRemoved", on_job_removed, w);
        if (r < 0)
                return r;
        (void)sym_sd_bus_call_method(b->bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", NULL, NULL, NULL);
        return 0;
}

static int job_wait(ScopeBus *b, JobWait *w, uint64_t timeout_usec)
{
        uint64_t end = now_usec() + timeout_usec;
        while (!w->result) {
                int r = sym_sd_bus_process(b->bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                uint64_t n = now_usec();
                if (n >= end)
                        return -ETIMEDOUT;
                r = sym_sd_bus_wait(b->bus, end - n);
                if (r < 0 && r != -EINTR)
                        return r;
        }
        return 0;
}

static void job_done(JobWait *w)
{
        free(w->job);
        free(w->result);
}

static int append_property(sd_bus_message *m, const ScopeProperty *p)
{
        int r;
        switch (p->type) {
        case 's':
                return sym_sd_bus_message_append(m, "(sv)", p->name, "s", p->text);
        case 'b':
                return sym_sd_bus_message_append(m, "(sv)", p->name, "b", (int)!!p->value);
        case 't':
                return sym_sd_bus_message_append(m, "(sv)", p->name, "t", p->value);
        case 'c': {
                _cleanup_free_ uint8_t *mask = NULL;
                size_t n = 0;
                if ((r = cpu_set_parse(p->text, CPU_LIST_MAX, &mask, &n)) < 0)
                        return r;
                if ((r = sym_sd_bus_message_open_container(m, 'r', "sv")) < 0 ||
                    (r = sym_sd_bus_message_append(m, "s", p->name)) < 0 ||
                    (r = sym_sd_bus_message_open_container(m, 'v', "ay")) < 0 ||
                    (r = sym_sd_bus_message_append_array(m, 'y', mask, n)) < 0 ||
                    (r = sym_sd_bus_message_close_container(m)) < 0)
                        return r;
                return sym_sd_bus_message_close_container(m);
        }
        case 'd':
                if ((r = sym_sd_bus_message_open_container(m, 'r', "sv")) < 0 ||
                    (r = sym_sd_bus_message_append(m, "s", p->name)) < 0 ||
                    (r = sym_sd_bus_message_open_container(m, 'v', "a(ss)")) < 0 ||
                    (r = sym_sd_bus_message_open_container(m, 'a', "(ss)")) < 0)
                        return r;
                for (size_t i = 0; p->devices && p->devices[i] && p->devices[i + 1]; i += 2)
                        if ((r = sym_sd_bus_message_append(m, "(ss)", p->devices[i], p->devices[i + 1])) < 0)
                                return r;
                for (int i = 0; i < 3; i++)
                        if ((r = sym_sd_bus_message_close_container(m)) < 0)
                                return r;
                return 0;
        }
        return -EINVAL;
}

static int append_properties(sd_bus_message *m, const ScopeProperties *props)
{
        for (size_t i = 0; props && i < props->n; i++) {
                int r = append_property(m, &props->p[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int build_start(ScopeBus *b, const ScopePath *path, const char *description, pid_t pid,
                       const ScopeProperties *props, sd_bus_message **ret)
{
        _cleanup_message_ sd_bus_message *m = NULL;
        CgroupLayout layout = CGROUP_LAYOUT_HYBRID;
        unsigned ver = scope_bus_systemd_version(b) ?: UINT32_MAX;
        int r;

        (void)cgroup_detect_layout(&layout);
        if ((r = sym_sd_bus_message_new_method_call(b->bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
                                                    "StartTransientUnit")) < 0 ||
            (r = sym_sd_bus_message_append(m, "ss", path->unit, "fail")) < 0 ||
            (r = sym_sd_bus_message_open_container(m, 'a', "(sv)")) < 0 ||
            (r = sym_sd_bus_message_append(m, "(sv)", "Description", "s", description)) < 0 ||
            (r = sym_sd_bus_message_append(m, "(sv)", "Slice", "s", path->slice)) < 0 ||
            (r = sym_sd_bus_message_append(m, "(sv)", "Delegate", "b", 1)) < 0 ||
            (r = sym_sd_bus_message_append(m, "(sv)", "PIDs", "au", 1, (uint32_t)pid)) < 0 ||
            /* as runc: accounting on for every controller (the fs driver's behaviour; the kernel
             * copes badly with joining the memory controller later), no implicit ordering */
            (r = sym_sd_bus_message_append(m, "(sv)", "MemoryAccounting", "b", 1)) < 0 ||
            (r = sym_sd_bus_message_append(m, "(sv)", "CPUAccounting", "b", 1)) < 0 ||
            (r = sym_sd_bus_message_append(
                     m, "(sv)", layout == CGROUP_LAYOUT_UNIFIED ? "IOAccounting" : "BlockIOAccounting", "b",
                     1)) < 0 ||
            (r = sym_sd_bus_message_append(m, "(sv)", "TasksAccounting", "b", 1)) < 0 ||
            (r = sym_sd_bus_message_append(m, "(sv)", "DefaultDependencies", "b", 0)) < 0)
                return r;
        /* The kernel's OOM killer picks a process; the container goes on, as under runc's fs
         * driver. systemd's default for scopes since they have the setting stops them all. */
        if (ver >= 252 && (r = sym_sd_bus_message_append(m, "(sv)", "OOMPolicy", "s", "continue")) < 0)
                return r;
        if ((r = append_properties(m, props)) < 0 || (r = sym_sd_bus_message_close_container(m)) < 0 ||
            (r = sym_sd_bus_message_append(m, "a(sa(sv))", 0)) < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

static bool error_is(const sd_bus_error *e, const char *name)
{
        return e->name && streq(e->name, name);
}

int scope_start(ScopeBus *b, const ScopePath *path, const char *description, pid_t pid,
                const ScopeProperties *props, uint64_t timeout_usec, bool *ret_started, char **err)
{
        _cleanup_(slot_unrefp) sd_bus_slot *slot = NULL;
        JobWait w = {};
        int r;

        *ret_started = false;
        r = job_watch(b, &slot, &w);
        if (r < 0)
                return set_error(err, r, "subscribing to systemd's job signals: %s", strerror(-r));
        for (int attempt = 0;; attempt++) {
                _cleanup_message_ sd_bus_message *m = NULL, *reply = NULL;
                _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
                const char *job;
                r = build_start(b, path, description, pid, props, &m);
                if (r < 0)
                        return set_error(err, r, "building the request for %s: %s", path->unit,
                                         strerror(-r));
                r = sym_sd_bus_call(b->bus, m, timeout_usec, &error, &reply);
                if (r < 0 && attempt == 0 && error_is(&error, "org.freedesktop.systemd1.UnitExists")) {
                        /* a failed unit of that name left over: reset it and try once more (an
                         * active one stays, and the second call is refused) */
                        (void)sym_sd_bus_call_method(b->bus, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit",
                                                     NULL, NULL, "s", path->unit);
                        continue;
                }
                if (r < 0)
                        return set_error(err, r, "systemd refused to create %s: %s", path->unit,
                                         error.message ?: strerror(-r));
                *ret_started = true;
                r = sym_sd_bus_message_read(reply, "o", &job);
                if (r < 0)
                        return set_error(err, r, "reading systemd's reply: %s", strerror(-r));
                if (!(w.job = strdup(job)))
                        return -ENOMEM;
                break;
        }
        r = job_wait(b, &w, timeout_usec);
        if (r == -ETIMEDOUT)
                r = set_error(err, r, "timed out after %" PRIu64 " s waiting for systemd to start %s",
                              timeout_usec / 1000000, path->unit);
        else if (r < 0)
                r = set_error(err, r, "waiting for systemd to start %s: %s", path->unit, strerror(-r));
        else if (!streq(w.result, "done"))
                r = set_error(err, -EIO, "systemd could not start %s: job %s (see 'systemctl status %s')",
                              path->unit, w.result, path->unit);
        job_done(&w);
        return r;
}

int scope_stop(ScopeBus *b, const char *unit, uint64_t timeout_usec, char **err)
{
        _cleanup_(slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_message_ sd_bus_message *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        JobWait w = {};
        const char *job;
        int r = job_watch(b, &slot, &w);
        if (r < 0)
                return set_error(err, r, "subscribing to systemd's job signals: %s", strerror(-r));
        r = sym_sd_bus_call_method(b->bus, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit", &error, &reply, "ss",
                                   unit, "replace");
        if (r < 0 && error_is(&error, "org.freedesktop.systemd1.NoSuchUnit"))
                return 0;
        if (r < 0)
                return set_error(err, r, "stopping %s: %s", unit, error.message ?: strerror(-r));
        if ((r = sym_sd_bus_message_read(reply, "o", &job)) < 0)
                return set_error(err, r, "reading systemd's reply: %s", strerror(-r));
        if (!(w.job = strdup(job)))
                return -ENOMEM;
        r = job_wait(b, &w, timeout_usec);
        if (r == -ETIMEDOUT)
                r = set_error(err, r, "timed out waiting for systemd to stop %s", unit);
        else if (r < 0)
                r = set_error(err, r, "waiting for systemd to stop %s: %s", unit, strerror(-r));
        else if (!streq(w.result, "done"))
                r = set_error(err, -EIO, "systemd could not stop %s: job %s", unit, w.result);
        job_done(&w);
        /* a scope whose processes were killed may be left "failed": forget it */
        (void)sym_sd_bus_call_method(b->bus, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", NULL, NULL,
                                     "s", unit);
        return r;
}

int scope_set_properties(ScopeBus *b, const char *unit, const ScopeProperties *props, char **err)
{
        _cleanup_message_ sd_bus_message *m = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;
        if (!props || props->n == 0)
                return 0;
        if ((r = sym_sd_bus_message_new_method_call(b->bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
                                                    "SetUnitProperties")) < 0 ||
            (r = sym_sd_bus_message_append(m, "sb", unit, 1)) < 0 ||
            (r = sym_sd_bus_message_open_container(m, 'a', "(sv)")) < 0)
                return set_error(err, r, "building the request for %s: %s", unit, strerror(-r));
        for (size_t i = 0; i < props->n; i++) {
                /* a DeviceAllow= list adds to the unit's; an empty one first resets it */
                char *none[] = {NULL};
                ScopeProperty reset = {.name = props->p[i].name, .type = 'd', .devices = none};
                if ((props->p[i].type == 'd' && (r = append_property(m, &reset)) < 0) ||
                    (r = append_property(m, &props->p[i])) < 0)
                        return set_error(err, r, "building the request for %s: %s", unit, strerror(-r));
        }
        if ((r = sym_sd_bus_message_close_container(m)) < 0)
                return set_error(err, r, "building the request for %s: %s", unit, strerror(-r));
        r = sym_sd_bus_call(b->bus, m, SCOPE_JOB_TIMEOUT_USEC, &error, NULL);
        if (r < 0)
                return set_error(err, r, "systemd refused to change %s: %s", unit,
                                 error.message ?: strerror(-r));
        return 0;
}

/* ---- where systemd put it ---- */

int scope_cgroup_of(pid_t pid, const ScopePath *path, Cgroup **ret, char **err)
{
        _cleanup_free_ char *text = NULL, *want = NULL, *found = NULL;
        CgroupLayout layout;
        char file[64];
        int r;

        snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
        if ((r = read_full_file(file, 1 << 20, &text, NULL)) < 0)
                return set_error(err, r, "reading %s: %s", file, strerror(-r));
        if ((r = cgroup_detect_layout(&layout)) < 0)
                return set_error(err, r, "finding the cgroup hierarchies: %s", strerror(-r));
        /* the hierarchy systemd tracks its units in */
        for (char *line = text, *nl; line && *line; line = nl) {
                nl = strchr(line, '\n');
                if (nl)
                        *nl++ = 0;
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c2 = 0;
                if (layout == CGROUP_LAYOUT_UNIFIED ? streq(line, "0:") : streq(c1 + 1, "name=systemd")) {
                        found = strdup(c2 + 1);
                        if (!found)
                                return -ENOMEM;
                        break;
                }
        }
        if (asprintf(&want, "%s/%s", path->slice_path, path->unit) < 0) {
                want = NULL;
                return -ENOMEM;
        }
        if (!found || !endswith(found, want))
                return set_error(err, -EBADMSG, "systemd put the container's init in '%s', not in %s",
                                 strempty(found), want);
        r = cgroup_new(found, path->unit, ret);
        if (r < 0)
                return set_error(err, r, "the cgroup of %s: %s: %s", path->unit, cgroup_last_error_path(),
                                 strerror(-r));
        return 0;
}
