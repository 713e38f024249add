/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "bus-property.h"
#include "util.h"

#define _fallthrough_ __attribute__((fallthrough))

#define CPU_SET_MAX 8192U /* indices 0..8191, as systemd's CPUSet */
#define USEC_PER_SEC UINT64_C(1000000)
#define CPU_PERIOD_DEFAULT 100000
#define CPU_PERIOD_MIN 1000 /* the kernel's cfs bounds, in usec */
#define CPU_PERIOD_MAX 1000000

typedef enum PropertyKind {
        KIND_MEMORY, /* t bytes, "infinity", N% as NAMEScale (u); min: the smallest allowed */
        KIND_TASKS_MAX, /* t count, "infinity", N% as TasksMaxScale (u) */
        KIND_CPU_QUOTA, /* N% as CPUQuotaPerSecUSec (t) */
        KIND_TIMESPAN, /* t usec, sent as bus_name */
        KIND_CPU_WEIGHT, /* t in [min, max] or "idle" (0) */
        KIND_WEIGHT, /* t in [min, max] */
        KIND_CPU_SET, /* ay bitmask */
        KIND_IO_LIMIT, /* a(st) "PATH SIZE", base 1000, "infinity" */
        KIND_DEVICE_WEIGHT, /* a(st) "PATH WEIGHT", weight in [min, max] */
        KIND_DEVICE_ALLOW, /* a(ss) "PATH [rwm]" */
        KIND_BOOL, /* b */
        KIND_DELEGATE, /* b, or a controller list as DelegateControllers (as) */
        KIND_CONTROLLERS, /* as */
        KIND_ENVIRONMENT, /* as of "KEY=VALUE", quoted words */
        KIND_STRING, /* s */
        KIND_ENUM, /* s, one of choices */
        KIND_SLICE, /* s, a slice unit name */
        KIND_SIGNAL, /* i */
        KIND_INT, /* i in [min, max] */
        KIND_PERCENT_SCALE, /* u, N% of UINT32_MAX */
} PropertyKind;

/* What the cgroupfs fallback makes of a property. */
typedef enum ResourceTarget {
        RES_NONE,
        RES_MEMORY_LIMIT,
        RES_MEMORY_RESERVATION,
        RES_MEMORY_SWAP,
        RES_MEMORY_HIGH,
        RES_MEMORY_MIN,
        RES_CPU_QUOTA,
        RES_CPU_PERIOD,
        RES_CPU_SHARES,
        RES_CPU_WEIGHT,
        RES_PIDS,
        RES_CPUS,
        RES_MEMS,
        RES_BLKIO_WEIGHT,
        RES_IO_WEIGHT,
        RES_BLKIO_DEVICE_WEIGHT,
        RES_IO_DEVICE_WEIGHT,
        RES_THROTTLE_READ_BPS,
        RES_THROTTLE_WRITE_BPS,
        RES_THROTTLE_READ_IOPS,
        RES_THROTTLE_WRITE_IOPS,
        RES_DEVICE_ALLOW,
        RES_DEVICE_POLICY,
} ResourceTarget;

typedef struct PropertyInfo {
        const char *name;
        PropertyKind kind;
        ResourceTarget res;
        const char *bus_name; /* KIND_TIMESPAN: the D-Bus name */
        int64_t min, max;
        bool empty_ok; /* KIND_TIMESPAN: "" means the default (infinity on the bus) */
        const char *const *choices; /* KIND_ENUM */
} PropertyInfo;

static const char *const device_policies[] = {"auto", "closed", "strict", NULL};
static const char *const collect_modes[] = {"inactive", "inactive-or-failed", NULL};
static const char *const kill_modes[] = {"control-group", "process", "mixed", "none", NULL};
static const char *const oom_policies[] = {"continue", "stop", "kill", NULL};
static const char *const managed_oom_modes[] = {"auto", "kill", NULL};
static const char *const managed_oom_preferences[] = {"none", "avoid", "omit", NULL};

/* Controllers systemd can delegate or disable. */
static const char *const controllers[] = {
        "cpu",
        "cpuacct",
        "cpuset",
        "io",
        "blkio",
        "memory",
        "devices",
        "pids",
        "bpf-firewall",
        "bpf-devices",
        "bpf-foreign",
        "bpf-socket-bind",
        "bpf-restrict-network-interfaces",
        NULL,
};

/* clang-format off */
#define MEM(n, r, mn) {.name = n, .kind = KIND_MEMORY, .res = r, .min = mn}
#define WEIGHT(n, r, mn, mx) {.name = n, .kind = KIND_WEIGHT, .res = r, .min = mn, .max = mx}
#define BOOL(n) {.name = n, .kind = KIND_BOOL}
#define ENUM(n, c, r) {.name = n, .kind = KIND_ENUM, .choices = c, .res = r}
#define SPAN(n, b) {.name = n, .kind = KIND_TIMESPAN, .bus_name = b}
#define SIGNAL(n) {.name = n, .kind = KIND_SIGNAL}
/* clang-format on */

static const PropertyInfo properties[] = {
        /* memory: Max, High and Limit must be at least 1 byte (systemd refuses 0), the rest 0 */
        MEM("MemoryMax", RES_MEMORY_LIMIT, 1),
        MEM("MemoryLimit", RES_MEMORY_LIMIT, 1),
        MEM("MemoryHigh", RES_MEMORY_HIGH, 1),
        MEM("MemoryLow", RES_MEMORY_RESERVATION, 0),
        MEM("MemoryMin", RES_MEMORY_MIN, 0),
        MEM("DefaultMemoryLow", RES_NONE, 0),
        MEM("DefaultMemoryMin", RES_NONE, 0),
        MEM("MemorySwapMax", RES_MEMORY_SWAP, 0),
        {.name = "TasksMax", .kind = KIND_TASKS_MAX, .res = RES_PIDS, .min = 1},

        /* cpu */
        {.name = "CPUQuota", .kind = KIND_CPU_QUOTA, .res = RES_CPU_QUOTA},
        {.name = "CPUQuotaPeriodSec",
         .kind = KIND_TIMESPAN,
         .bus_name = "CPUQuotaPeriodUSec",
         .res = RES_CPU_PERIOD,
         .empty_ok = true},
        {.name = "CPUWeight", .kind = KIND_CPU_WEIGHT, .res = RES_CPU_WEIGHT, .min = 1, .max = 10000},
        {.name = "StartupCPUWeight", .kind = KIND_CPU_WEIGHT, .min = 1, .max = 10000},
        WEIGHT("CPUShares", RES_CPU_SHARES, 2, 262144),
        WEIGHT("StartupCPUShares", RES_NONE, 2, 262144),
        {.name = "AllowedCPUs", .kind = KIND_CPU_SET, .res = RES_CPUS},
        {.name = "StartupAllowedCPUs", .kind = KIND_CPU_SET},
        {.name = "AllowedMemoryNodes", .kind = KIND_CPU_SET, .res = RES_MEMS},
        {.name = "StartupAllowedMemoryNodes", .kind = KIND_CPU_SET},

        /* io */
        WEIGHT("IOWeight", RES_IO_WEIGHT, 1, 10000),
        WEIGHT("StartupIOWeight", RES_NONE, 1, 10000),
        WEIGHT("BlockIOWeight", RES_BLKIO_WEIGHT, 10, 1000),
        WEIGHT("StartupBlockIOWeight", RES_NONE, 10, 1000),
        {.name = "IODeviceWeight",
         .kind = KIND_DEVICE_WEIGHT,
         .res = RES_IO_DEVICE_WEIGHT,
         .min = 1,
         .max = 10000},
        {.name = "BlockIODeviceWeight",
         .kind = KIND_DEVICE_WEIGHT,
         .res = RES_BLKIO_DEVICE_WEIGHT,
         .min = 10,
         .max = 1000},
        {.name = "IOReadBandwidthMax", .kind = KIND_IO_LIMIT, .res = RES_THROTTLE_READ_BPS},
        {.name = "IOWriteBandwidthMax", .kind = KIND_IO_LIMIT, .res = RES_THROTTLE_WRITE_BPS},
        {.name = "IOReadIOPSMax", .kind = KIND_IO_LIMIT, .res = RES_THROTTLE_READ_IOPS},
        {.name = "IOWriteIOPSMax", .kind = KIND_IO_LIMIT, .res = RES_THROTTLE_WRITE_IOPS},
        {.name = "BlockIOReadBandwidth", .kind = KIND_IO_LIMIT, .res = RES_THROTTLE_READ_BPS},
        {.name = "BlockIOWriteBandwidth", .kind = KIND_IO_LIMIT, .res = RES_THROTTLE_WRITE_BPS},

        /* devices */
        {.name = "DeviceAllow", .kind = KIND_DEVICE_ALLOW, .res = RES_DEVICE_ALLOW},
        ENUM("DevicePolicy", device_policies, RES_DEVICE_POLICY),

        /* switches: no cgroup limit */
        BOOL("CPUAccounting"),
        BOOL("MemoryAccounting"),
        BOOL("IOAccounting"),
        BOOL("BlockIOAccounting"),
        BOOL("TasksAccounting"),
        BOOL("IPAccounting"),
        BOOL("SendSIGKILL"),
        BOOL("SendSIGHUP"),
        {.name = "Delegate", .kind = KIND_DELEGATE},
        {.name = "DisableControllers", .kind = KIND_CONTROLLERS},
        ENUM("ManagedOOMSwap", managed_oom_modes, RES_NONE),
        ENUM("ManagedOOMMemoryPressure", managed_oom_modes, RES_NONE),
        {.name = "ManagedOOMMemoryPressureLimit", .kind = KIND_PERCENT_SCALE},
        ENUM("ManagedOOMPreference", managed_oom_preferences, RES_NONE),

        /* the unit and its processes */
        {.name = "Description", .kind = KIND_STRING},
        {.name = "Slice", .kind = KIND_SLICE},
        ENUM("CollectMode", collect_modes, RES_NONE),
        ENUM("KillMode", kill_modes, RES_NONE),
        SIGNAL("KillSignal"),
        SIGNAL("RestartKillSignal"),
        SIGNAL("FinalKillSignal"),
        SPAN("TimeoutStartSec", "TimeoutStartUSec"),
        SPAN("TimeoutStopSec", "TimeoutStopUSec"),
        SPAN("TimeoutAbortSec", "TimeoutAbortUSec"),
        SPAN("RuntimeMaxSec", "RuntimeMaxUSec"),
        SPAN("RuntimeRandomizedExtraSec", "RuntimeRandomizedExtraUSec"),
        {.name = "Environment", .kind = KIND_ENVIRONMENT},
        ENUM("OOMPolicy", oom_policies, RES_NONE),
        {.name = "OOMScoreAdjust", .kind = KIND_INT, .min = -1000, .max = 1000},
        {.name = "Nice", .kind = KIND_INT, .min = -20, .max = 19},
};

/* One parsed assignment. */
typedef struct Property {
        const PropertyInfo *info;
        char *name;
        const char *value; /* after the '=' of the caller's string */
        bool reset; /* VALUE was empty */
        bool infinity;
        bool scaled; /* a percentage, in permyriad */
        bool idle; /* CPUWeight=idle */
        uint32_t permyriad;
        uint64_t u; /* 't' (and 'u' scale) values */
        int32_t i; /* 'i' and 'b' values */
        char *path; /* a(st) and a(ss): the path; owned */
        char access[4]; /* a(ss): the second string */
        char **strv; /* 'as'; owned */
        uint8_t *bits; /* 'ay'; owned */
        size_t n_bits; /* bytes */
} Property;

static void property_done(Property *p)
{
        free(p->name);
        free(p->path);
        strv_free(p->strv);
        free(p->bits);
}

/* "NAME=VALUE: why", -EINVAL */
static int value_err(char **err, const Property *p, const char *why)
{
        return set_error(err, -EINVAL, "%s=%s: %s", p->name, p->value, why);
}

/* ---- syntax ---- */

static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\n';
}

static const char *skip_blank(const char *s)
{
        while (is_blank(*s))
                s++;
        return s;
}

static bool utf8_valid(const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        while (*p) {
                uint32_t c;
                int n;
                if (*p < 0x80) {
                        p++;
                        continue;
                }
                if ((*p & 0xe0) == 0xc0)
                        c = *p & 0x1f, n = 1;
                else if ((*p & 0xf0) == 0xe0)
                        c = *p & 0x0f, n = 2;
                else if ((*p & 0xf8) == 0xf0)
                        c = *p & 0x07, n = 3;
                else
                        return false;
                for (int k = 1; k <= n; k++) {
                        if ((p[k] & 0xc0) != 0x80)
                                return false;
                        c = (c << 6) | (p[k] & 0x3f);
                }
                static const uint32_t min_for_len[] = {0, 0x80, 0x800, 0x10000};
                if (c < min_for_len[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                        return false;
                p += n + 1;
        }
        return true;
}

static int parse_boolean(const char *s)
{
        static const char *const yes[] = {"1", "yes", "y", "true", "t", "on"};
        static const char *const no[] = {"0", "no", "n", "false", "f", "off"};
        for (size_t k = 0; k < ELEMENTSOF(yes); k++) {
                if (strcasecmp(s, yes[k]) == 0)
                        return 1;
                if (strcasecmp(s, no[k]) == 0)
                        return 0;
        }
        return -EINVAL;
}

/* d[.f] at *s; the integer part and fraction digits are returned separately so that callers scale
 * without floating point. At least one digit overall. */
static int parse_decimal(const char **s, uint64_t *ret_int, const char **ret_frac, size_t *ret_nfrac)
{
        const char *p = *s;
        uint64_t v = 0;
        size_t nint = 0, nfrac = 0;
        for (; isdigit((unsigned char)*p); p++, nint++) {
                if (v > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t)(*p - '0');
        }
        const char *frac = NULL;
        if (*p == '.' && isdigit((unsigned char)p[1])) {
                frac = ++p;
                while (isdigit((unsigned char)*p))
                        p++, nfrac++;
        }
        if (nint + nfrac == 0)
                return -EINVAL;
        *s = p;
        *ret_int = v;
        *ret_frac = frac;
        *ret_nfrac = nfrac;
        return 0;
}

static int add_checked(uint64_t *acc, uint64_t v);

/* i.f * mult, rounded down; fraction digits beyond the ninth are ignored */
static int scale_decimal(uint64_t i, const char *frac, size_t nfrac, uint64_t mult, uint64_t *ret)
{
        uint64_t f = 0, p10 = 1;
        if (i > 0 && mult > UINT64_MAX / i)
                return -ERANGE;
        uint64_t v = i * mult;
        for (size_t k = 0; k < nfrac && k < 9; k++) {
                f = f * 10 + (uint64_t)(frac[k] - '0');
                p10 *= 10;
        }
        /* f < p10 <= 10^9: neither product overflows */
        int r = add_checked(&v, f * (mult / p10) + f * (mult % p10) / p10);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

static int add_checked(uint64_t *acc, uint64_t v)
{
        if (*acc > UINT64_MAX - v)
                return -ERANGE;
        *acc += v;
        return 0;
}

int parse_size(const char *s, uint64_t base, uint64_t *ret)
{
        static const char suffixes[] = "BKMGTPE";
        uint64_t sum = 0;
        int r;

        if (!s || (base != 1000 && base != 1024))
                return -EINVAL;
        const char *p = skip_blank(s);
        if (!*p)
                return -EINVAL;
        while (*p) {
                uint64_t i, mult = 1, v;
                const char *frac;
                size_t nfrac;
                if (*p == '-')
                        return -ERANGE;
                if ((r = parse_decimal(&p, &i, &frac, &nfrac)) < 0)
                        return r;
                p = skip_blank(p);
                if (*p && !isdigit((unsigned char)*p) && *p != '.') {
                        const char *e = strchr(suffixes, *p);
                        if (!e)
                                return -EINVAL;
                        for (ptrdiff_t k = 0; k < e - suffixes; k++)
                                mult *= base;
                        p = skip_blank(p + 1);
                }
                if ((r = scale_decimal(i, frac, nfrac, mult, &v)) < 0 || (r = add_checked(&sum, v)) < 0)
                        return r;
        }
        *ret = sum;
        return 0;
}

int parse_timespan_usec(const char *s, uint64_t *ret)
{
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                /* longer spellings first: "min" before "m", "ms" before "m" and "s" */
                {"seconds", USEC_PER_SEC},
                {"second", USEC_PER_SEC},
                {"sec", USEC_PER_SEC},
                {"s", USEC_PER_SEC},
                {"minutes", 60 * USEC_PER_SEC},
                {"minute", 60 * USEC_PER_SEC},
                {"min", 60 * USEC_PER_SEC},
                {"months", 2629800 * USEC_PER_SEC},
                {"month", 2629800 * USEC_PER_SEC},
                {"M", 2629800 * USEC_PER_SEC},
                {"msec", 1000},
                {"ms", 1000},
                {"m", 60 * USEC_PER_SEC},
                {"hours", 3600 * USEC_PER_SEC},
                {"hour", 3600 * USEC_PER_SEC},
                {"hr", 3600 * USEC_PER_SEC},
                {"h", 3600 * USEC_PER_SEC},
                {"days", 86400 * USEC_PER_SEC},
                {"day", 86400 * USEC_PER_SEC},
                {"d", 86400 * USEC_PER_SEC},
                {"weeks", 604800 * USEC_PER_SEC},
                {"week", 604800 * USEC_PER_SEC},
                {"w", 604800 * USEC_PER_SEC},
                {"years", 31557600 * USEC_PER_SEC},
                {"year", 31557600 * USEC_PER_SEC},
                {"y", 31557600 * USEC_PER_SEC},
                {"usec", 1},
                {"us", 1},
                {"\xc2\xb5s", 1}, /* µ, MICRO SIGN */
                {"\xce\xbcs", 1}, /* μ, GREEK SMALL LETTER MU */
        };
        uint64_t sum = 0;
        int r;

        if (!s)
                return -EINVAL;
        const char *p = skip_blank(s);
        if (!*p)
                return -EINVAL;
        size_t l = strlen(p);
        while (l > 0 && is_blank(p[l - 1]))
                l--;
        if (l == strlen("infinity") && strncmp(p, "infinity", l) == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        while (*p) {
                uint64_t i, mult = USEC_PER_SEC, v;
                const char *frac;
                size_t nfrac;
                if (*p == '-')
                        return -ERANGE;
                if ((r = parse_decimal(&p, &i, &frac, &nfrac)) < 0)
                        return r;
                p = skip_blank(p);
                if (*p && !isdigit((unsigned char)*p) && *p != '.') {
                        size_t k, n = 0;
                        for (k = 0; k < ELEMENTSOF(units); k++) {
                                n = strlen(units[k].suffix);
                                /* a unit ends at a blank, a digit or the end: "5min" is not "5m in" */
                                if (strncmp(p, units[k].suffix, n) == 0 &&
                                    (!p[n] || is_blank(p[n]) || isdigit((unsigned char)p[n])))
                                        break;
                        }
                        if (k >= ELEMENTSOF(units))
                                return -EINVAL;
                        mult = units[k].usec;
                        p = skip_blank(p + n);
                }
                if ((r = scale_decimal(i, frac, nfrac, mult, &v)) < 0 || (r = add_checked(&sum, v)) < 0)
                        return r;
        }
        if (sum == UINT64_MAX) /* that is "infinity" */
                return -ERANGE;
        *ret = sum;
        return 0;
}

static bool has_percent_suffix(const char *s)
{
        size_t l = strlen(s);
        return (l >= 1 && s[l - 1] == '%') || (l >= 3 && (strcmp(s + l - 3, "\xe2\x80\xb0") == 0 || /* ‰ */
                                                          strcmp(s + l - 3, "\xe2\x80\xb1") == 0)); /* ‱ */
}

/* "50%", "12.5%", "12.34%", "125‰", "1250‱" in permyriad (1% = 100); -ERANGE above 100% when
 * bounded. */
static int parse_permyriad(const char *s, bool bounded, uint32_t *ret)
{
        size_t l = strlen(s), sl, max_frac;
        uint64_t mult;
        if (l >= 1 && s[l - 1] == '%')
                sl = 1, mult = 100, max_frac = 2;
        else if (l >= 3 && strcmp(s + l - 3, "\xe2\x80\xb0") == 0)
                sl = 3, mult = 10, max_frac = 1;
        else if (l >= 3 && strcmp(s + l - 3, "\xe2\x80\xb1") == 0)
                sl = 3, mult = 1, max_frac = 0;
        else
                return -EINVAL;

        const char *p = s, *frac;
        uint64_t i, v;
        size_t nfrac;
        int r;
        if (!isdigit((unsigned char)*p))
                return -EINVAL;
        if ((r = parse_decimal(&p, &i, &frac, &nfrac)) < 0)
                return r;
        if ((size_t)(p - s) != l - sl || nfrac > max_frac)
                return -EINVAL;
        if ((r = scale_decimal(i, frac, nfrac, mult, &v)) < 0)
                return r;
        if (v > (bounded ? 10000 : UINT32_MAX))
                return -ERANGE;
        *ret = (uint32_t)v;
        return 0;
}

/* 100% is UINT32_MAX, rounded to the closest */
static uint32_t scale_from_permyriad(uint32_t p)
{
        return (uint32_t)(((uint64_t)p * UINT32_MAX + 5000) / 10000);
}

static int parse_cpu_set(const char *s, uint8_t **ret, size_t *ret_n)
{
        return cpu_set_parse(s, CPU_SET_MAX, ret, ret_n);
}

static bool bit_set(const uint8_t *bits, size_t n, size_t c)
{
        return c / 8 < n && (bits[c / 8] >> (c % 8)) & 1;
}

/* The kernel's list syntax, "0-2,5" */
static char *cpu_set_to_string(const uint8_t *bits, size_t n)
{
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return NULL;
        bool first = true;
        for (size_t c = 0; c < n * 8; c++) {
                if (!bit_set(bits, n, c))
                        continue;
                size_t e = c;
                while (bit_set(bits, n, e + 1))
                        e++;
                if (e == c)
                        fprintf(f, "%s%zu", first ? "" : ",", c);
                else
                        fprintf(f, "%s%zu-%zu", first ? "" : ",", c, e);
                first = false;
                c = e;
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* Whitespace-separated words; '...' and "..." group, a backslash escapes (\n \t \\ \" \' \ ). */
static int split_words(const char *s, char ***ret)
{
        _cleanup_strv_free_ char **l = NULL;
        const char *p = s;
        for (;;) {
                p = skip_blank(p);
                if (!*p)
                        break;
                _cleanup_free_ char *w = malloc(strlen(p) + 1);
                if (!w)
                        return -ENOMEM;
                char *o = w, quote = 0;
                for (; *p && (quote || !is_blank(*p)); p++) {
                        if (quote == '\'' && *p == '\'') {
                                quote = 0;
                                continue;
                        }
                        if (quote == '\'') {
                                *o++ = *p;
                                continue;
                        }
                        if (*p == '\\') {
                                p++;
                                switch (*p) {
                                case 'n':
                                        *o++ = '\n';
                                        break;
                                case 't':
                                        *o++ = '\t';
                                        break;
                                case '\\':
                                case '"':
                                case '\'':
                                case ' ':
                                        *o++ = *p;
                                        break;
                                default:
                                        return -EINVAL;
                                }
                                continue;
                        }
                        if (quote == '"' && *p == '"') {
                                quote = 0;
                                continue;
                        }
                        if (!quote && (*p == '"' || *p == '\'')) {
                                quote = *p;
                                continue;
                        }
                        *o++ = *p;
                }
                if (quote)
                        return -EINVAL;
                *o = 0;
                int r = strv_push(&l, TAKE_PTR(w));
                if (r < 0)
                        return r;
        }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static bool env_assignment_valid(const char *s)
{
        const char *eq = strchr(s, '=');
        if (!eq || eq == s || isdigit((unsigned char)*s))
                return false;
        for (const char *c = s; c < eq; c++)
                if (!isalnum((unsigned char)*c) && *c != '_')
                        return false;
        return utf8_valid(eq + 1);
}

static bool in_list(const char *const *l, const char *s)
{
        for (; *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

static bool slice_name_valid(const char *s)
{
        size_t l = strlen(s);
        if (l <= strlen(".slice") || l > 255 || !streq(s + l - strlen(".slice"), ".slice"))
                return false;
        for (const char *c = s; *c; c++)
                if (!isalnum((unsigned char)*c) && !strchr(":-_.\\", *c))
                        return false;
        return true;
}

/* "PATH REST" -> owned path, rest (NULL when absent) */
static int split_path(Property *p, const char **ret_rest)
{
        const char *v = skip_blank(p->value), *e = v;
        while (*e && !is_blank(*e))
                e++;
        p->path = strndup(v, (size_t)(e - v));
        if (!p->path)
                return -ENOMEM;
        e = skip_blank(e);
        *ret_rest = *e ? e : NULL;
        return 0;
}

/* ---- one parser for both back ends ---- */

static int property_parse(const char *assignment, Property *p, char **err)
{
        int r;

        const char *eq = assignment ? strchr(assignment, '=') : NULL;
        if (!eq || eq == assignment)
                return set_error(err, -EINVAL, "invalid assignment '%s', expected NAME=VALUE",
                                 strempty(assignment));
        p->name = strndup(assignment, (size_t)(eq - assignment));
        if (!p->name)
                return -ENOMEM;
        p->value = eq + 1;
        for (size_t k = 0; k < ELEMENTSOF(properties); k++)
                if (streq(properties[k].name, p->name)) {
                        p->info = &properties[k];
                        break;
                }
        if (!p->info)
                return set_error(err, -EOPNOTSUPP, "unknown property '%s'", p->name);

        const PropertyInfo *info = p->info;
        const char *v = p->value;
        char why[160];
        if (!utf8_valid(v))
                return value_err(err, p, "invalid UTF-8");

        switch (info->kind) {
        case KIND_MEMORY:
        case KIND_TASKS_MAX: {
                bool tasks = info->kind == KIND_TASKS_MAX;
                if (!*v) {
                        /* as systemd-run: no protection, or no limit */
                        p->reset = true;
                        p->u = !tasks && info->min == 0 && info->res != RES_MEMORY_SWAP ? 0 : UINT64_MAX;
                        return 0;
                }
                if (streq(v, "infinity")) {
                        p->infinity = true;
                        p->u = UINT64_MAX;
                        return 0;
                }
                if (has_percent_suffix(v)) {
                        if (parse_permyriad(v, true, &p->permyriad) < 0)
                                return value_err(err, p, "invalid percentage");
                        if (p->permyriad == 0 && info->min > 0)
                                return value_err(err, p, "must be above 0%");
                        p->scaled = true;
                        p->u = scale_from_permyriad(p->permyriad);
                        return 0;
                }
                r = tasks ? safe_atou64(v, &p->u) : parse_size(v, 1024, &p->u);
                if (r < 0)
                        return value_err(err, p, tasks ? "invalid number of tasks" : "invalid size");
                if (p->u < (uint64_t)info->min)
                        return value_err(err, p, tasks ? "must be at least 1" : "must be at least 1 byte");
                return 0;
        }

        case KIND_CPU_QUOTA:
                if (!*v || streq(v, "infinity")) {
                        p->reset = !*v;
                        p->infinity = true;
                        p->u = UINT64_MAX;
                        return 0;
                }
                if (!has_percent_suffix(v) || parse_permyriad(v, false, &p->permyriad) < 0)
                        return value_err(err, p, "invalid percentage");
                if (p->permyriad == 0)
                        return value_err(err, p, "must be above 0%");
                p->scaled = true;
                p->u = (uint64_t)p->permyriad * USEC_PER_SEC / 10000;
                return 0;

        case KIND_TIMESPAN:
                if (!*v && info->empty_ok) {
                        p->reset = true;
                        p->u = UINT64_MAX;
                        return 0;
                }
                if (parse_timespan_usec(v, &p->u) < 0)
                        return value_err(err, p, "invalid time span");
                p->infinity = p->u == UINT64_MAX;
                return 0;

        case KIND_CPU_WEIGHT:
                if (streq(v, "idle")) {
                        p->idle = true;
                        p->u = 0; /* CGROUP_WEIGHT_IDLE on the bus */
                        return 0;
                }
                _fallthrough_;
        case KIND_WEIGHT:
                if (!*v) {
                        p->reset = true;
                        p->u = UINT64_MAX;
                        return 0;
                }
                if (safe_atou64(v, &p->u) < 0 || p->u < (uint64_t)info->min || p->u > (uint64_t)info->max) {
                        snprintf(why, sizeof(why), "invalid value, expected %" PRId64 "..%" PRId64 "%s",
                                 info->min, info->max, info->kind == KIND_CPU_WEIGHT ? " or 'idle'" : "");
                        return value_err(err, p, why);
                }
                return 0;

        case KIND_CPU_SET:
                r = parse_cpu_set(v, &p->bits, &p->n_bits);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return value_err(err, p,
                                         strstr(info->name, "Memory") ? "invalid NUMA node list"
                                                                      : "invalid CPU list");
                p->reset = p->n_bits == 0;
                return 0;

        case KIND_IO_LIMIT:
        case KIND_DEVICE_WEIGHT: {
                const char *rest;
                if (!*v) {
                        p->reset = true;
                        return 0;
                }
                if ((r = split_path(p, &rest)) < 0)
                        return r;
                if (!rest)
                        return value_err(err, p,
                                         info->kind == KIND_IO_LIMIT ? "expected 'PATH VALUE'"
                                                                     : "expected 'PATH WEIGHT'");
                if (p->path[0] != '/')
                        return set_error(err, -EINVAL, "%s=%s: '%s' is not an absolute path", p->name, v,
                                         p->path);
                if (info->kind == KIND_DEVICE_WEIGHT) {
                        if (safe_atou64(rest, &p->u) < 0 || p->u < (uint64_t)info->min ||
                            p->u > (uint64_t)info->max) {
                                snprintf(why, sizeof(why), "invalid weight, expected %" PRId64 "..%" PRId64,
                                         info->min, info->max);
                                return value_err(err, p, why);
                        }
                        return 0;
                }
                if (streq(rest, "infinity")) {
                        p->infinity = true;
                        p->u = UINT64_MAX;
                        return 0;
                }
                if (parse_size(rest, 1000, &p->u) < 0)
                        return value_err(err, p, "invalid size");
                return 0;
        }

        case KIND_DEVICE_ALLOW: {
                const char *rest;
                if (!*v) {
                        p->reset = true;
                        return 0;
                }
                if ((r = split_path(p, &rest)) < 0)
                        return r;
                if (!startswith(p->path, "/dev/") && !startswith(p->path, "char-") &&
                    !startswith(p->path, "block-"))
                        return set_error(
                                err, -EINVAL,
                                "%s=%s: invalid device '%s', expected /dev/..., char-GROUP or block-GROUP",
                                p->name, v, p->path);
                static const char rwm[] = "rwm";
                bool seen[3] = {};
                for (const char *c = rest ? rest : ""; *c; c++) {
                        const char *f = strchr(rwm, *c);
                        if (!f || seen[f - rwm])
                                return set_error(
                                        err, -EINVAL,
                                        "%s=%s: invalid access '%s', expected a combination of r, w, m",
                                        p->name, v, rest);
                        seen[f - rwm] = true;
                }
                char *o = p->access;
                for (size_t k = 0; k < 3; k++)
                        if (seen[k])
                                *o++ = rwm[k];
                *o = 0;
                return 0;
        }

        case KIND_BOOL:
                r = parse_boolean(v);
                if (r < 0)
                        return value_err(err, p, "invalid boolean");
                p->i = r;
                return 0;

        case KIND_DELEGATE:
                r = parse_boolean(v);
                if (r >= 0) {
                        p->i = r;
                        return 0;
                }
                _fallthrough_;
        case KIND_CONTROLLERS:
                r = split_words(v, &p->strv);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return value_err(err, p, "unbalanced quotes or bad escape");
                STRV_FOREACH (c, p->strv)
                        if (!in_list(controllers, *c))
                                return set_error(err, -EINVAL, "%s=%s: unknown controller '%s'", p->name, v,
                                                 *c);
                return 0;

        case KIND_ENVIRONMENT:
                r = split_words(v, &p->strv);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return value_err(err, p, "unbalanced quotes or bad escape");
                STRV_FOREACH (e, p->strv)
                        if (!env_assignment_valid(*e))
                                return set_error(err, -EINVAL, "%s=%s: invalid environment assignment '%s'",
                                                 p->name, v, *e);
                return 0;

        case KIND_STRING:
                return 0;

        case KIND_ENUM:
                if (!in_list(info->choices, v)) {
                        char list[96] = "";
                        for (const char *const *c = info->choices; *c; c++)
                                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                                         c == info->choices ? ""
                                         : c[1]             ? ", "
                                                            : " or ",
                                         *c);
                        snprintf(why, sizeof(why), "invalid value, expected %s", list);
                        return value_err(err, p, why);
                }
                return 0;

        case KIND_SLICE:
                if (!slice_name_valid(v))
                        return value_err(err, p, "invalid slice name, expected NAME.slice");
                return 0;

        case KIND_SIGNAL: {
                int sig;
                if (parse_signal(v, &sig) < 0)
                        return value_err(err, p, "invalid signal");
                p->i = sig;
                return 0;
        }

        case KIND_INT: {
                int64_t n;
                if (safe_atoi64(v, &n) < 0 || n < info->min || n > info->max) {
                        snprintf(why, sizeof(why), "invalid value, expected %" PRId64 "..%" PRId64,
                                 info->min, info->max);
                        return value_err(err, p, why);
                }
                p->i = (int32_t)n;
                return 0;
        }

        case KIND_PERCENT_SCALE:
                if (parse_permyriad(v, true, &p->permyriad) < 0)
                        return value_err(err, p, "invalid percentage");
                p->scaled = true;
                p->u = scale_from_permyriad(p->permyriad);
                return 0;
        }
        return -EINVAL;
}

/* ---- D-Bus ---- */

static int append_struct_open(sd_bus_message *m, const char *name, const char *signature)
{
        int r = sd_bus_message_open_container(m, SD_BUS_TYPE_STRUCT, "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append_basic(m, SD_BUS_TYPE_STRING, name);
        if (r < 0)
                return r;
        return sd_bus_message_open_container(m, SD_BUS_TYPE_VARIANT, signature);
}

static int append_struct_close(sd_bus_message *m)
{
        int r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static int append_parsed(sd_bus_message *m, const Property *p)
{
        const PropertyInfo *info = p->info;
        int r;

        switch (info->kind) {
        case KIND_MEMORY:
        case KIND_TASKS_MAX:
                if (p->scaled) {
                        char scale_name[64];
                        snprintf(scale_name, sizeof(scale_name), "%sScale", info->name);
                        return sd_bus_message_append(m, "(sv)", scale_name, "u", (uint32_t)p->u);
                }
                return sd_bus_message_append(m, "(sv)", info->name, "t", p->u);
        case KIND_CPU_QUOTA:
                return sd_bus_message_append(m, "(sv)", "CPUQuotaPerSecUSec", "t", p->u);
        case KIND_TIMESPAN:
                return sd_bus_message_append(m, "(sv)", info->bus_name, "t", p->u);
        case KIND_CPU_WEIGHT:
        case KIND_WEIGHT:
                return sd_bus_message_append(m, "(sv)", info->name, "t", p->u);
        case KIND_CPU_SET:
                if ((r = append_struct_open(m, info->name, "ay")) < 0 ||
                    (r = sd_bus_message_append_array(m, 'y', p->bits ? p->bits : (const uint8_t *)"",
                                                     p->n_bits)) < 0)
                        return r;
                return append_struct_close(m);
        case KIND_IO_LIMIT:
        case KIND_DEVICE_WEIGHT:
                if (p->reset)
                        return sd_bus_message_append(m, "(sv)", info->name, "a(st)", 0);
                return sd_bus_message_append(m, "(sv)", info->name, "a(st)", 1, p->path, p->u);
        case KIND_DEVICE_ALLOW:
                if (p->reset)
                        return sd_bus_message_append(m, "(sv)", info->name, "a(ss)", 0);
                return sd_bus_message_append(m, "(sv)", info->name, "a(ss)", 1, p->path, p->access);
        case KIND_BOOL:
                return sd_bus_message_append(m, "(sv)", info->name, "b", (int)p->i);
        case KIND_DELEGATE:
                if (!p->strv)
                        return sd_bus_message_append(m, "(sv)", info->name, "b", (int)p->i);
                _fallthrough_;
        case KIND_CONTROLLERS:
        case KIND_ENVIRONMENT:
                if ((r = append_struct_open(m,
                                            info->kind == KIND_DELEGATE ? "DelegateControllers" : info->name,
                                            "as")) < 0 ||
                    (r = sd_bus_message_append_strv(m, p->strv)) < 0)
                        return r;
                return append_struct_close(m);
        case KIND_STRING:
        case KIND_ENUM:
        case KIND_SLICE:
                return sd_bus_message_append(m, "(sv)", info->name, "s", p->value);
        case KIND_SIGNAL:
        case KIND_INT:
                return sd_bus_message_append(m, "(sv)", info->name, "i", p->i);
        case KIND_PERCENT_SCALE:
                return sd_bus_message_append(m, "(sv)", info->name, "u", (uint32_t)p->u);
        }
        return -EINVAL;
}

int bus_append_property(sd_bus_message *m, const char *assignment, char **err)
{
        _cleanup_(property_done) Property p = {};
        int r;

        if (!m)
                return -EINVAL;
        r = property_parse(assignment, &p, err);
        if (r < 0)
                return r;
        r = append_parsed(m, &p);
        if (r < 0)
                return set_error(err, r, "%s=%s: cannot append to the message: %s", p.name, p.value,
                                 strerror(-r));
        return 0;
}

/* ---- OCI linux.resources ---- */

static int read_meminfo_total(uint64_t *ret)
{
        _cleanup_free_ char *s = NULL;
        int r = read_full_file("/proc/meminfo", 1U << 20, &s, NULL);
        if (r < 0)
                return r;
        const char *l = strstr(s, "MemTotal:");
        if (!l || (l != s && l[-1] != '\n'))
                return -EIO;
        uint64_t kb;
        if (sscanf(l, "MemTotal: %" SCNu64 " kB", &kb) != 1 || kb == 0 || kb > UINT64_MAX / 1024)
                return -EIO;
        *ret = kb * 1024;
        return 0;
}

static int read_sysctl_u64(const char *path, uint64_t *ret)
{
        _cleanup_free_ char *s = NULL;
        int r = read_full_file(path, 64, &s, NULL);
        if (r < 0)
                return r;
        s[strcspn(s, "\n")] = 0;
        return safe_atou64(s, ret);
}

/* The "configured maximum number of tasks" TasksMax=N% is relative to */
static int system_tasks_max(uint64_t *ret)
{
        uint64_t pid_max, threads_max;
        int r;
        if ((r = read_sysctl_u64("/proc/sys/kernel/pid_max", &pid_max)) < 0 ||
            (r = read_sysctl_u64("/proc/sys/kernel/threads-max", &threads_max)) < 0)
                return r;
        if (pid_max < 2)
                return -EIO;
        /* PIDs run 1..pid_max-1 */
        uint64_t m = pid_max - 1 < threads_max ? pid_max - 1 : threads_max;
        if (m == 0)
                return -EIO;
        *ret = m;
        return 0;
}

static uint64_t apply_permyriad(uint64_t total, uint32_t p)
{
        return total / 10000 * p + total % 10000 * p / 10000;
}

static json_t *object_child(json_t *parent, const char *key)
{
        json_t *o = json_object_get(parent, key);
        if (json_is_object(o))
                return o;
        o = json_object();
        if (!o || json_object_set_new(parent, key, o) < 0)
                return NULL;
        return o;
}

static int object_set_int(json_t *o, const char *key, int64_t v)
{
        return json_object_set_new(o, key, json_integer(v)) < 0 ? -ENOMEM : 0;
}

static bool object_get_int(json_t *o, const char *key, int64_t *ret)
{
        json_t *v = json_object_get(o, key);
        if (!json_is_integer(v))
                return false;
        *ret = json_integer_value(v);
        return true;
}

/* bytes or a percentage of RAM as an OCI limit (-1 for infinity) */
static int memory_bytes(const Property *p, int64_t *ret, char **err)
{
        uint64_t v = p->u;
        if (p->infinity || (p->reset && p->u == UINT64_MAX)) {
                *ret = -1;
                return 0;
        }
        if (p->scaled) {
                uint64_t total;
                int r = read_meminfo_total(&total);
                if (r < 0)
                        return set_error(err, r, "%s=%s: cannot read MemTotal from /proc/meminfo: %s",
                                         p->name, p->value, strerror(-r));
                v = apply_permyriad(total, p->permyriad);
        }
        if (v > INT64_MAX)
                return value_err(err, p, "value out of range");
        *ret = (int64_t)v;
        return 0;
}

/* OCI memory.swap is memory+swap. Keep it equal to limit + the swap-only amount (explicit: the note
 * MemorySwapMax= left; else what the existing pair implies) whenever either changes. */
static int memory_sync_swap(json_t *mem, int64_t old_limit, bool had_limit)
{
        json_t *note = json_object_get(mem, PROPERTY_SWAP_NOTE);
        int64_t limit = -1, swap = 0, swap_only = -1;
        bool have_limit = object_get_int(mem, "limit", &limit);

        if (json_is_integer(note))
                swap_only = json_integer_value(note);
        else if (had_limit && old_limit > 0 && object_get_int(mem, "swap", &swap) && swap >= old_limit)
                swap_only = swap - old_limit;
        else
                return 0;

        if (have_limit && limit > 0) {
                if (swap_only > INT64_MAX - limit)
                        return object_set_int(mem, "swap", -1);
                return object_set_int(mem, "swap", limit + swap_only);
        }
        if (json_is_integer(note)) {
                /* not expressible yet: property_resources_finish() reports it unless a limit comes */
                json_object_del(mem, "swap");
                return 0;
        }
        /* memory became unlimited: so does memory+swap */
        return object_set_int(mem, "swap", -1);
}

static int memory_set(json_t *resources, const Property *p, char **err)
{
        json_t *mem = object_child(resources, "memory");
        int64_t v, old_limit = 0;
        int r;
        if (!mem)
                return -ENOMEM;
        switch (p->info->res) {
        case RES_MEMORY_LIMIT: {
                bool had = object_get_int(mem, "limit", &old_limit);
                if ((r = memory_bytes(p, &v, err)) < 0 || (r = object_set_int(mem, "limit", v)) < 0)
                        return r;
                return memory_sync_swap(mem, old_limit, had);
        }
        case RES_MEMORY_RESERVATION:
                if (p->reset) /* OCI: 0 is "not set" */
                        return json_object_del(mem, "reservation"), 0;
                if ((r = memory_bytes(p, &v, err)) < 0)
                        return r;
                return object_set_int(mem, "reservation", v);
        case RES_MEMORY_SWAP:
                if (p->infinity || p->reset) {
                        json_object_del(mem, PROPERTY_SWAP_NOTE);
                        return object_set_int(mem, "swap", -1);
                }
                if ((r = memory_bytes(p, &v, err)) < 0)
                        return r;
                if (object_set_int(mem, PROPERTY_SWAP_NOTE, v) < 0)
                        return -ENOMEM;
                return memory_sync_swap(mem, 0, false);
        default:
                return -EINVAL;
        }
}

/* memory.high and memory.min exist on cgroup v2 only: OCI's "unified" map */
static int unified_set(json_t *resources, const Property *p, const char *file, char **err)
{
        json_t *u = object_child(resources, "unified");
        char buf[32];
        int64_t v;
        int r;
        if (!u)
                return -ENOMEM;
        if ((r = memory_bytes(p, &v, err)) < 0)
                return r;
        if (v < 0)
                snprintf(buf, sizeof(buf), "max");
        else
                snprintf(buf, sizeof(buf), "%" PRId64, v);
        return json_object_set_new(u, file, json_string(buf)) < 0 ? -ENOMEM : 0;
}

static int cpu_set_quota(json_t *resources, const Property *p)
{
        json_t *cpu = object_child(resources, "cpu");
        int64_t period;
        if (!cpu)
                return -ENOMEM;
        if (p->infinity)
                return object_set_int(cpu, "quota", -1);
        if (!object_get_int(cpu, "period", &period) || period <= 0)
                period = CPU_PERIOD_DEFAULT;
        /* the kernel wants a quota of 1ms at least: lengthen the period, keeping the ratio */
        uint64_t quota = (uint64_t)period * p->permyriad / 10000;
        if (quota < CPU_PERIOD_MIN) {
                uint64_t need = ((uint64_t)CPU_PERIOD_MIN * 10000 + p->permyriad - 1) / p->permyriad;
                period = need > CPU_PERIOD_MAX ? CPU_PERIOD_MAX : (int64_t)need;
                quota = (uint64_t)period * p->permyriad / 10000;
                if (quota < CPU_PERIOD_MIN)
                        quota = CPU_PERIOD_MIN;
        }
        if (object_set_int(cpu, "period", period) < 0)
                return -ENOMEM;
        return object_set_int(cpu, "quota", (int64_t)quota);
}

static int cpu_set_period(json_t *resources, const Property *p)
{
        json_t *cpu = object_child(resources, "cpu");
        int64_t old_period, quota;
        if (!cpu)
                return -ENOMEM;
        uint64_t period = p->u == UINT64_MAX ? CPU_PERIOD_DEFAULT : p->u;
        if (period < CPU_PERIOD_MIN)
                period = CPU_PERIOD_MIN;
        if (period > CPU_PERIOD_MAX)
                period = CPU_PERIOD_MAX;
        if (!object_get_int(cpu, "period", &old_period) || old_period <= 0)
                old_period = CPU_PERIOD_DEFAULT;
        /* a quota given as a percentage stays that percentage */
        if (object_get_int(cpu, "quota", &quota) && quota > 0 && (uint64_t)old_period != period) {
                uint64_t q = ((uint64_t)quota * period + (uint64_t)old_period / 2) / (uint64_t)old_period;
                if (object_set_int(cpu, "quota", (int64_t)(q < CPU_PERIOD_MIN ? CPU_PERIOD_MIN : q)) < 0)
                        return -ENOMEM;
        }
        return object_set_int(cpu, "period", (int64_t)period);
}

/* Inverse of cgroup_cpu_shares_to_weight(), rounded up: that one rounds down, so the round trip
 * gives the weight back (the forward map reaches every weight). */
static uint64_t cpu_weight_to_shares(uint64_t w)
{
        return 2 + ((w - 1) * 262142 + 9998) / 9999;
}

/* Inverse of cgroup_blkio_weight_to_io_weight(), to the closest: 991 blkio weights cannot give back
 * each of 10000 io weights. */
static uint64_t io_weight_to_blkio_weight(uint64_t w)
{
        return 10 + ((w - 1) * 990 + 9999 / 2) / 9999;
}

static int cpu_set_weight(json_t *resources, const Property *p)
{
        json_t *cpu = object_child(resources, "cpu");
        if (!cpu)
                return -ENOMEM;
        if (p->idle) {
                json_object_del(cpu, "shares");
                return object_set_int(cpu, "idle", 1);
        }
        json_object_del(cpu, "idle");
        if (p->reset)
                return json_object_del(cpu, "shares"), 0;
        uint64_t shares = p->info->res == RES_CPU_WEIGHT ? cpu_weight_to_shares(p->u) : p->u;
        return object_set_int(cpu, "shares", (int64_t)shares);
}

static int cpu_set_list(json_t *resources, const Property *p, const char *key)
{
        json_t *cpu = object_child(resources, "cpu");
        if (!cpu)
                return -ENOMEM;
        if (p->reset)
                return json_object_del(cpu, key), 0;
        _cleanup_free_ char *s = cpu_set_to_string(p->bits, p->n_bits);
        if (!s)
                return -ENOMEM;
        return json_object_set_new(cpu, key, json_string(s)) < 0 ? -ENOMEM : 0;
}

static int pids_set(json_t *resources, const Property *p, char **err)
{
        json_t *pids = object_child(resources, "pids");
        uint64_t v = p->u;
        if (!pids)
                return -ENOMEM;
        if (p->infinity || p->reset)
                return object_set_int(pids, "limit", -1);
        if (p->scaled) {
                uint64_t total;
                int r = system_tasks_max(&total);
                if (r < 0)
                        return set_error(err, r,
                                         "%s=%s: cannot read kernel.pid_max and kernel.threads-max: %s",
                                         p->name, p->value, strerror(-r));
                v = apply_permyriad(total, p->permyriad);
                if (v == 0)
                        v = 1;
        }
        if (v > INT64_MAX)
                return value_err(err, p, "value out of range");
        return object_set_int(pids, "limit", (int64_t)v);
}

static int stat_err(char **err, const Property *p)
{
        int r = negative_errno();
        return set_error(err, r, "%s=%s: cannot stat '%s': %s", p->name, p->value, p->path, strerror(-r));
}

/* major:minor of the block device node at path */
static int block_device(const Property *p, unsigned *ret_major, unsigned *ret_minor, char **err)
{
        struct stat st;
        if (stat(p->path, &st) < 0)
                return stat_err(err, p);
        if (!S_ISBLK(st.st_mode))
                return set_error(err, -ENOTBLK, "%s=%s: '%s' is not a block device", p->name, p->value,
                                 p->path);
        *ret_major = major(st.st_rdev);
        *ret_minor = minor(st.st_rdev);
        return 0;
}

/* blockIO[key]: replace the entry of the device, or add one */
static int blkio_device_set(json_t *resources, const Property *p, const char *key, const char *field,
                            uint64_t value, char **err)
{
        unsigned ma = 0, mi = 0;
        size_t i;
        json_t *e;
        int r;
        if (!p->reset && (r = block_device(p, &ma, &mi, err)) < 0)
                return r;
        json_t *blkio = object_child(resources, "blockIO");
        if (!blkio)
                return -ENOMEM;
        if (p->reset)
                return json_object_del(blkio, key), 0;
        json_t *a = json_object_get(blkio, key);
        if (!json_is_array(a)) {
                a = json_array();
                if (!a || json_object_set_new(blkio, key, a) < 0)
                        return -ENOMEM;
        }
        json_array_foreach (a, i, e) {
                int64_t ema, emi;
                if (object_get_int(e, "major", &ema) && object_get_int(e, "minor", &emi) && ema == ma &&
                    emi == mi)
                        return object_set_int(e, field, (int64_t)value);
        }
        e = json_pack("{s:I, s:I, s:I}", "major", (json_int_t)ma, "minor", (json_int_t)mi, field,
                      (json_int_t)value);
        if (!e || json_array_append_new(a, e) < 0)
                return -ENOMEM;
        return 0;
}

static int blkio_set_weight(json_t *resources, const Property *p)
{
        json_t *blkio = object_child(resources, "blockIO");
        if (!blkio)
                return -ENOMEM;
        if (p->reset)
                return json_object_del(blkio, "weight"), 0;
        uint64_t w = p->info->res == RES_IO_WEIGHT ? io_weight_to_blkio_weight(p->u) : p->u;
        return object_set_int(blkio, "weight", (int64_t)w);
}

static int devices_append(json_t *resources, char type, int64_t ma, int64_t mi, const char *access)
{
        json_t *a = json_object_get(resources, "devices");
        if (!json_is_array(a)) {
                /* a new list replaces the container's whole device policy: start it closed */
                a = json_pack("[{s:b, s:s}]", "allow", 0, "access", "rwm");
                if (!a || json_object_set_new(resources, "devices", a) < 0)
                        return -ENOMEM;
        }
        char t[2] = {type, 0};
        json_t *e = json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", 1, "type", t, "major", (json_int_t)ma,
                              "minor", (json_int_t)mi, "access", *access ? access : "rwm");
        if (!e || json_array_append_new(a, e) < 0)
                return -ENOMEM;
        return 0;
}

/* char-GROUP, block-GROUP: every major /proc/devices lists under a matching name (a glob) */
static int devices_allow_group(json_t *resources, const Property *p, char **err)
{
        bool block = startswith(p->path, "block-");
        const char *pattern = p->path + strlen(block ? "block-" : "char-");
        _cleanup_free_ char *s = NULL;
        int r = read_full_file("/proc/devices", 1U << 20, &s, NULL);
        if (r < 0)
                return set_error(err, r, "%s=%s: cannot read /proc/devices: %s", p->name, p->value,
                                 strerror(-r));
        bool in_section = false, changed = false;
        char *save = NULL;
        for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                if (streq(l, "Character devices:") || streq(l, "Block devices:")) {
                        in_section = streq(l, block ? "Block devices:" : "Character devices:");
                        continue;
                }
                unsigned ma;
                char name[256];
                if (!in_section || sscanf(l, " %u %255[^\n]", &ma, name) != 2)
                        continue;
                if (fnmatch(pattern, name, 0) != 0)
                        continue;
                if ((r = devices_append(resources, block ? 'b' : 'c', ma, -1, p->access)) < 0)
                        return r;
                changed = true;
        }
        /* as systemd: a group not present (yet) adds nothing */
        return changed;
}

static int devices_allow(json_t *resources, const Property *p, char **err)
{
        struct stat st;
        int r;
        if (p->reset) /* the container's list stays what it is */
                return 0;
        if (!startswith(p->path, "/dev/"))
                return devices_allow_group(resources, p, err);
        if (stat(p->path, &st) < 0)
                return stat_err(err, p);
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                return set_error(err, -ENODEV, "%s=%s: '%s' is not a device node", p->name, p->value,
                                 p->path);
        r = devices_append(resources, S_ISBLK(st.st_mode) ? 'b' : 'c', major(st.st_rdev), minor(st.st_rdev),
                           p->access);
        return r < 0 ? r : 1;
}

static int resources_apply(json_t *resources, const Property *p, char **err)
{
        static const char *const throttle_keys[] = {
                [RES_THROTTLE_READ_BPS] = "throttleReadBpsDevice",
                [RES_THROTTLE_WRITE_BPS] = "throttleWriteBpsDevice",
                [RES_THROTTLE_READ_IOPS] = "throttleReadIOPSDevice",
                [RES_THROTTLE_WRITE_IOPS] = "throttleWriteIOPSDevice",
        };
        ResourceTarget t = p->info->res;

        switch (t) {
        case RES_NONE:
                return 0;
        case RES_MEMORY_LIMIT:
        case RES_MEMORY_RESERVATION:
        case RES_MEMORY_SWAP:
                return memory_set(resources, p, err);
        case RES_MEMORY_HIGH:
                return unified_set(resources, p, "memory.high", err);
        case RES_MEMORY_MIN:
                return unified_set(resources, p, "memory.min", err);
        case RES_CPU_QUOTA:
                return cpu_set_quota(resources, p);
        case RES_CPU_PERIOD:
                return cpu_set_period(resources, p);
        case RES_CPU_SHARES:
        case RES_CPU_WEIGHT:
                return cpu_set_weight(resources, p);
        case RES_PIDS:
                return pids_set(resources, p, err);
        case RES_CPUS:
                return cpu_set_list(resources, p, "cpus");
        case RES_MEMS:
                return cpu_set_list(resources, p, "mems");
        case RES_BLKIO_WEIGHT:
        case RES_IO_WEIGHT:
                return blkio_set_weight(resources, p);
        case RES_BLKIO_DEVICE_WEIGHT:
        case RES_IO_DEVICE_WEIGHT:
                return blkio_device_set(resources, p, "weightDevice", "weight",
                                        t == RES_IO_DEVICE_WEIGHT ? io_weight_to_blkio_weight(p->u) : p->u,
                                        err);
        case RES_THROTTLE_READ_BPS:
        case RES_THROTTLE_WRITE_BPS:
        case RES_THROTTLE_READ_IOPS:
        case RES_THROTTLE_WRITE_IOPS:
                /* OCI: rate 0 removes the limit */
                return blkio_device_set(resources, p, throttle_keys[t], "rate", p->infinity ? 0 : p->u, err);
        case RES_DEVICE_ALLOW:
                return devices_allow(resources, p, err);
        case RES_DEVICE_POLICY:
                if (streq(p->value, "strict"))
                        return set_error(
                                err, -EOPNOTSUPP,
                                "%s=%s: not supported without systemd (the container keeps the standard "
                                "pseudo devices)",
                                p->name, p->value);
                return 0;
        }
        return -EINVAL;
}

int property_to_resources(const char *assignment, json_t *resources, char **err)
{
        _cleanup_(property_done) Property p = {};
        int r;

        if (!json_is_object(resources))
                return -EINVAL;
        r = property_parse(assignment, &p, err);
        if (r < 0)
                return r;
        r = resources_apply(resources, &p, err);
        if (r < 0)
                return r;
        if (p.info->res == RES_NONE || (p.info->res == RES_DEVICE_POLICY) ||
            (p.info->res == RES_DEVICE_ALLOW && r == 0))
                return 0;
        return 1;
}

int property_resources_finish(json_t *resources, char **err)
{
        json_t *mem = json_object_get(resources, "memory");
        json_t *note = json_object_get(mem, PROPERTY_SWAP_NOTE);
        if (!note)
                return 0;
        bool expressed = json_object_get(mem, "swap") != NULL;
        int64_t v = json_integer_value(note);
        json_object_del(mem, PROPERTY_SWAP_NOTE);
        if (!expressed)
                return set_error(
                        err, -EINVAL,
                        "MemorySwapMax=%" PRId64 ": needs a finite MemoryMax= on hosts without systemd", v);
        return 0;
}
