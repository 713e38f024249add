/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "bus-property.h"
#include "cgroup.h"
#include "json-util.h"
#include "tap.h"
#include "util.h"

#define MAX "18446744073709551615"

static sd_bus *bus;

static sd_bus_message *new_message(void)
{
        sd_bus_message *m = NULL;
        if (sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager", "StartTransientUnit") < 0)
                return NULL;
        return m;
}

/* The a(sv) read back as "NAME SIG VALUE...", "" when empty, NULL on a malformed message. Arrays
 * list their elements after the signature; ay is in hex. */
static char *render(sd_bus_message *m)
{
        char *buf = NULL, *ret = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        const char *name, *contents;
        char type;
        if (!f)
                return NULL;
        if (sd_bus_message_enter_container(m, 'a', "(sv)") <= 0)
                goto out;
        for (int n = 0;; n++) {
                int r = sd_bus_message_enter_container(m, 'r', "sv");
                if (r < 0)
                        goto out;
                if (r == 0)
                        break;
                if (sd_bus_message_read_basic(m, 's', &name) < 0 ||
                    sd_bus_message_peek_type(m, &type, &contents) <= 0 || type != 'v' ||
                    sd_bus_message_enter_container(m, 'v', contents) <= 0)
                        goto out;
                fprintf(f, "%s%s %s", n ? " | " : "", name, contents);
                if (streq(contents, "t")) {
                        uint64_t t;
                        if (sd_bus_message_read_basic(m, 't', &t) < 0)
                                goto out;
                        fprintf(f, " %" PRIu64, t);
                } else if (streq(contents, "u")) {
                        uint32_t u;
                        if (sd_bus_message_read_basic(m, 'u', &u) < 0)
                                goto out;
                        fprintf(f, " %" PRIu32, u);
                } else if (streq(contents, "i") || streq(contents, "b")) {
                        int32_t i;
                        if (sd_bus_message_read_basic(m, contents[0], &i) < 0)
                                goto out;
                        fprintf(f, " %" PRIi32, i);
                } else if (streq(contents, "s")) {
                        const char *s;
                        if (sd_bus_message_read_basic(m, 's', &s) < 0)
                                goto out;
                        fprintf(f, " '%s'", s);
                } else if (streq(contents, "ay")) {
                        const void *p;
                        size_t l;
                        if (sd_bus_message_read_array(m, 'y', &p, &l) < 0)
                                goto out;
                        for (size_t k = 0; k < l; k++)
                                fprintf(f, " %02x", ((const uint8_t *)p)[k]);
                } else if (streq(contents, "as")) {
                        char **l = NULL;
                        if (sd_bus_message_read_strv(m, &l) < 0)
                                goto out;
                        STRV_FOREACH (s, l)
                                fprintf(f, " '%s'", *s);
                        strv_free(l);
                } else if (streq(contents, "a(st)") || streq(contents, "a(ss)")) {
                        bool st = contents[3] == 't';
                        if (sd_bus_message_enter_container(m, 'a', st ? "(st)" : "(ss)") <= 0)
                                goto out;
                        for (;;) {
                                const char *a, *b;
                                uint64_t t;
                                r = st ? sd_bus_message_read(m, "(st)", &a, &t)
                                       : sd_bus_message_read(m, "(ss)", &a, &b);
                                if (r < 0)
                                        goto out;
                                if (r == 0)
                                        break;
                                if (st)
                                        fprintf(f, " %s %" PRIu64, a, t);
                                else
                                        fprintf(f, " %s '%s'", a, b);
                        }
                        if (sd_bus_message_exit_container(m) < 0)
                                goto out;
                } else
                        goto out;
                if (sd_bus_message_exit_container(m) < 0 || sd_bus_message_exit_container(m) < 0)
                        goto out;
        }
        if (sd_bus_message_exit_container(m) < 0)
                goto out;
        if (fflush(f) != 0)
                goto out;
        ret = strdup(buf ? buf : "");
out:
        fclose(f);
        free(buf);
        return ret;
}

/* bus_append_property() into a fresh a(sv), sealed and rewound, rendered */
static char *append_and_render(const char *assignment, int *ret_r, char **err)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = new_message();
        if (!m || sd_bus_message_open_container(m, 'a', "(sv)") < 0)
                return NULL;
        *ret_r = bus_append_property(m, assignment, err);
        if (sd_bus_message_close_container(m) < 0 || sd_bus_message_seal(m, 1, 0) < 0 ||
            sd_bus_message_rewind(m, true) < 0)
                return NULL;
        return render(m);
}

static void test_bus_values(void)
{
        static const char *const cases[][2] = {
                /* sizes, base 1024 */
                {"MemoryMax=512", "MemoryMax t 512"},
                {"MemoryMax=1K", "MemoryMax t 1024"},
                {"MemoryMax=64M", "MemoryMax t 67108864"},
                {"MemoryMax=1G", "MemoryMax t 1073741824"},
                {"MemoryMax=1.5G", "MemoryMax t 1610612736"},
                {"MemoryMax=1G 512M", "MemoryMax t 1610612736"},
                {"MemoryMax=2T", "MemoryMax t 2199023255552"},
                {"MemoryMax=1P", "MemoryMax t 1125899906842624"},
                {"MemoryMax=1E", "MemoryMax t 1152921504606846976"},
                {"MemoryMax=100B", "MemoryMax t 100"},
                {"MemoryMax=infinity", "MemoryMax t " MAX},
                {"MemoryMax=", "MemoryMax t " MAX},
                {"MemoryMax=50%", "MemoryMaxScale u 2147483648"},
                {"MemoryMax=10%", "MemoryMaxScale u 429496730"},
                {"MemoryMax=100%", "MemoryMaxScale u 4294967295"},
                {"MemoryHigh=12.5%", "MemoryHighScale u 536870912"},
                {"MemoryHigh=2G", "MemoryHigh t 2147483648"},
                {"MemoryLow=256M", "MemoryLow t 268435456"},
                {"MemoryLow=", "MemoryLow t 0"},
                {"MemoryLow=infinity", "MemoryLow t " MAX},
                {"MemoryMin=0", "MemoryMin t 0"},
                {"MemoryMin=5%", "MemoryMinScale u 214748365"},
                {"MemorySwapMax=0", "MemorySwapMax t 0"},
                {"MemorySwapMax=1G", "MemorySwapMax t 1073741824"},
                {"MemorySwapMax=", "MemorySwapMax t " MAX},
                {"MemoryLimit=2G", "MemoryLimit t 2147483648"},
                {"DefaultMemoryLow=1M", "DefaultMemoryLow t 1048576"},
                /* tasks */
                {"TasksMax=10", "TasksMax t 10"},
                {"TasksMax=50%", "TasksMaxScale u 2147483648"},
                {"TasksMax=infinity", "TasksMax t " MAX},
                {"TasksMax=", "TasksMax t " MAX},
                /* cpu */
                {"CPUQuota=50%", "CPUQuotaPerSecUSec t 500000"},
                {"CPUQuota=150%", "CPUQuotaPerSecUSec t 1500000"},
                {"CPUQuota=12.5%", "CPUQuotaPerSecUSec t 125000"},
                {"CPUQuota=1%", "CPUQuotaPerSecUSec t 10000"},
                {"CPUQuota=", "CPUQuotaPerSecUSec t " MAX},
                {"CPUQuota=infinity", "CPUQuotaPerSecUSec t " MAX},
                {"CPUQuotaPeriodSec=10ms", "CPUQuotaPeriodUSec t 10000"},
                {"CPUQuotaPeriodSec=1s", "CPUQuotaPeriodUSec t 1000000"},
                {"CPUQuotaPeriodSec=", "CPUQuotaPeriodUSec t " MAX},
                {"CPUWeight=100", "CPUWeight t 100"},
                {"CPUWeight=1", "CPUWeight t 1"},
                {"CPUWeight=10000", "CPUWeight t 10000"},
                {"CPUWeight=idle", "CPUWeight t 0"},
                {"CPUWeight=", "CPUWeight t " MAX},
                {"StartupCPUWeight=50", "StartupCPUWeight t 50"},
                {"CPUShares=1024", "CPUShares t 1024"},
                {"StartupCPUShares=2", "StartupCPUShares t 2"},
                {"AllowedCPUs=0-2,5", "AllowedCPUs ay 27"},
                {"AllowedCPUs=8", "AllowedCPUs ay 00 01"},
                {"AllowedCPUs=0 1,  3", "AllowedCPUs ay 0b"},
                {"AllowedCPUs=", "AllowedCPUs ay"},
                {"StartupAllowedCPUs=7-9", "StartupAllowedCPUs ay 80 03"},
                {"AllowedMemoryNodes=0", "AllowedMemoryNodes ay 01"},
                /* io */
                {"IOWeight=500", "IOWeight t 500"},
                {"StartupIOWeight=1", "StartupIOWeight t 1"},
                {"BlockIOWeight=10", "BlockIOWeight t 10"},
                {"IOReadBandwidthMax=/dev/sda 5M", "IOReadBandwidthMax a(st) /dev/sda 5000000"},
                {"IOWriteBandwidthMax=/dev/sda 1.5K", "IOWriteBandwidthMax a(st) /dev/sda 1500"},
                {"IOWriteBandwidthMax=/dev/sda infinity", "IOWriteBandwidthMax a(st) /dev/sda " MAX},
                {"IOReadIOPSMax=/dev/sda 1K", "IOReadIOPSMax a(st) /dev/sda 1000"},
                {"IOWriteIOPSMax=/dev/vdb 100", "IOWriteIOPSMax a(st) /dev/vdb 100"},
                {"IOReadBandwidthMax=", "IOReadBandwidthMax a(st)"},
                {"BlockIOReadBandwidth=/dev/sda 1M", "BlockIOReadBandwidth a(st) /dev/sda 1000000"},
                {"IODeviceWeight=/dev/sda 1000", "IODeviceWeight a(st) /dev/sda 1000"},
                {"BlockIODeviceWeight=/dev/sda 500", "BlockIODeviceWeight a(st) /dev/sda 500"},
                /* devices */
                {"DeviceAllow=/dev/null rw", "DeviceAllow a(ss) /dev/null 'rw'"},
                {"DeviceAllow=/dev/fuse mwr", "DeviceAllow a(ss) /dev/fuse 'rwm'"},
                {"DeviceAllow=char-pts", "DeviceAllow a(ss) char-pts ''"},
                {"DeviceAllow=", "DeviceAllow a(ss)"},
                {"DevicePolicy=closed", "DevicePolicy s 'closed'"},
                /* switches */
                {"CPUAccounting=yes", "CPUAccounting b 1"},
                {"MemoryAccounting=off", "MemoryAccounting b 0"},
                {"IOAccounting=true", "IOAccounting b 1"},
                {"TasksAccounting=0", "TasksAccounting b 0"},
                {"BlockIOAccounting=FALSE", "BlockIOAccounting b 0"},
                {"Delegate=on", "Delegate b 1"},
                {"Delegate=1", "Delegate b 1"},
                {"Delegate=no", "Delegate b 0"},
                {"Delegate=cpu memory pids", "DelegateControllers as 'cpu' 'memory' 'pids'"},
                {"DisableControllers=io", "DisableControllers as 'io'"},
                {"ManagedOOMMemoryPressure=kill", "ManagedOOMMemoryPressure s 'kill'"},
                {"ManagedOOMMemoryPressureLimit=50%", "ManagedOOMMemoryPressureLimit u 2147483648"},
                {"ManagedOOMSwap=auto", "ManagedOOMSwap s 'auto'"},
                /* unit and process */
                {"Description=My container", "Description s 'My container'"},
                {"Description=", "Description s ''"},
                {"Slice=machine.slice", "Slice s 'machine.slice'"},
                {"Slice=ctr-web.slice", "Slice s 'ctr-web.slice'"},
                {"CollectMode=inactive-or-failed", "CollectMode s 'inactive-or-failed'"},
                {"KillMode=mixed", "KillMode s 'mixed'"},
                {"KillSignal=SIGTERM", "KillSignal i 15"},
                {"KillSignal=KILL", "KillSignal i 9"},
                {"KillSignal=2", "KillSignal i 2"},
                {"FinalKillSignal=SIGKILL", "FinalKillSignal i 9"},
                {"SendSIGKILL=no", "SendSIGKILL b 0"},
                {"TimeoutStopSec=90", "TimeoutStopUSec t 90000000"},
                {"TimeoutStopSec=1min 30s", "TimeoutStopUSec t 90000000"},
                {"TimeoutStopSec=500ms", "TimeoutStopUSec t 500000"},
                {"TimeoutStopSec=infinity", "TimeoutStopUSec t " MAX},
                {"TimeoutStartSec=2min", "TimeoutStartUSec t 120000000"},
                {"RuntimeMaxSec=2h", "RuntimeMaxUSec t 7200000000"},
                {"RuntimeMaxSec=1d 2h", "RuntimeMaxUSec t 93600000000"},
                {"Environment=A=1 \"B=two words\" C='x y' D=a\\ b",
                 "Environment as 'A=1' 'B=two words' 'C=x y' 'D=a b'"},
                {"Environment=", "Environment as"},
                {"OOMPolicy=kill", "OOMPolicy s 'kill'"},
                {"OOMScoreAdjust=-500", "OOMScoreAdjust i -500"},
                {"OOMScoreAdjust=1000", "OOMScoreAdjust i 1000"},
                {"Nice=10", "Nice i 10"},
                {"Nice=-20", "Nice i -20"},
        };

        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                _cleanup_free_ char *err = NULL, *got = NULL;
                int r = -1;
                got = append_and_render(cases[k][0], &r, &err);
                CHECK(r == 0 && !err && got && streq(got, cases[k][1]), "'%s' -> %s%s%s%s%s", cases[k][0],
                      cases[k][1], got && !streq(got, cases[k][1]) ? " (got: " : "",
                      got && !streq(got, cases[k][1]) ? got : "", got && !streq(got, cases[k][1]) ? ")" : "",
                      err ? err : "");
        }
}

static void test_bus_errors(void)
{
        static const struct {
                const char *assignment;
                int r;
                const char *err;
        } cases[] = {
                {"Foo=1", -EOPNOTSUPP, "unknown property 'Foo'"},
                {"memorymax=1G", -EOPNOTSUPP, "unknown property 'memorymax'"},
                {"MemoryMax", -EINVAL, "invalid assignment 'MemoryMax', expected NAME=VALUE"},
                {"=1", -EINVAL, "invalid assignment '=1', expected NAME=VALUE"},
                {"MemoryMax=12Q", -EINVAL, "MemoryMax=12Q: invalid size"},
                {"MemoryMax=1k", -EINVAL, "MemoryMax=1k: invalid size"},
                {"MemoryMax=-1", -EINVAL, "MemoryMax=-1: invalid size"},
                {"MemoryMax=16E", -EINVAL, "MemoryMax=16E: invalid size"},
                {"MemoryMax=G", -EINVAL, "MemoryMax=G: invalid size"},
                {"MemoryMax=0", -EINVAL, "MemoryMax=0: must be at least 1 byte"},
                {"MemoryMax=0%", -EINVAL, "MemoryMax=0%: must be above 0%"},
                {"MemoryMax=101%", -EINVAL, "MemoryMax=101%: invalid percentage"},
                {"MemoryMax=1.234%", -EINVAL, "MemoryMax=1.234%: invalid percentage"},
                {"MemoryMax=x%", -EINVAL, "MemoryMax=x%: invalid percentage"},
                {"TasksMax=0", -EINVAL, "TasksMax=0: must be at least 1"},
                {"TasksMax=1K", -EINVAL, "TasksMax=1K: invalid number of tasks"},
                {"TasksMax=abc", -EINVAL, "TasksMax=abc: invalid number of tasks"},
                {"TasksMax=0%", -EINVAL, "TasksMax=0%: must be above 0%"},
                {"CPUQuota=50", -EINVAL, "CPUQuota=50: invalid percentage"},
                {"CPUQuota=0%", -EINVAL, "CPUQuota=0%: must be above 0%"},
                {"CPUQuota=-5%", -EINVAL, "CPUQuota=-5%: invalid percentage"},
                {"CPUQuotaPeriodSec=fast", -EINVAL, "CPUQuotaPeriodSec=fast: invalid time span"},
                {"CPUWeight=0", -EINVAL, "CPUWeight=0: invalid value, expected 1..10000 or 'idle'"},
                {"CPUWeight=10001", -EINVAL, "CPUWeight=10001: invalid value, expected 1..10000 or 'idle'"},
                {"IOWeight=idle", -EINVAL, "IOWeight=idle: invalid value, expected 1..10000"},
                {"CPUShares=1", -EINVAL, "CPUShares=1: invalid value, expected 2..262144"},
                {"BlockIOWeight=1001", -EINVAL, "BlockIOWeight=1001: invalid value, expected 10..1000"},
                {"AllowedCPUs=3-1", -EINVAL, "AllowedCPUs=3-1: invalid CPU list"},
                {"AllowedCPUs=8192", -EINVAL, "AllowedCPUs=8192: invalid CPU list"},
                {"AllowedCPUs=1-", -EINVAL, "AllowedCPUs=1-: invalid CPU list"},
                {"AllowedMemoryNodes=x", -EINVAL, "AllowedMemoryNodes=x: invalid NUMA node list"},
                {"IOReadBandwidthMax=/dev/sda", -EINVAL,
                 "IOReadBandwidthMax=/dev/sda: expected 'PATH VALUE'"},
                {"IOReadBandwidthMax=/dev/sda 5Q", -EINVAL, "IOReadBandwidthMax=/dev/sda 5Q: invalid size"},
                {"IOReadBandwidthMax=sda 5M", -EINVAL,
                 "IOReadBandwidthMax=sda 5M: 'sda' is not an absolute path"},
                {"IODeviceWeight=/dev/sda 0", -EINVAL,
                 "IODeviceWeight=/dev/sda 0: invalid weight, expected 1..10000"},
                {"IODeviceWeight=/dev/sda", -EINVAL, "IODeviceWeight=/dev/sda: expected 'PATH WEIGHT'"},
                {"DeviceAllow=/dev/null rx", -EINVAL,
                 "DeviceAllow=/dev/null rx: invalid access 'rx', expected a combination of r, w, m"},
                {"DeviceAllow=/dev/null rr", -EINVAL,
                 "DeviceAllow=/dev/null rr: invalid access 'rr', expected a combination of r, w, m"},
                {"DeviceAllow=/tmp/x r", -EINVAL,
                 "DeviceAllow=/tmp/x r: invalid device '/tmp/x', expected /dev/..., char-GROUP or "
                 "block-GROUP"},
                {"DevicePolicy=open", -EINVAL,
                 "DevicePolicy=open: invalid value, expected auto, closed or strict"},
                {"CPUAccounting=maybe", -EINVAL, "CPUAccounting=maybe: invalid boolean"},
                {"CPUAccounting=", -EINVAL, "CPUAccounting=: invalid boolean"},
                {"Delegate=cpu bogus", -EINVAL, "Delegate=cpu bogus: unknown controller 'bogus'"},
                {"KillSignal=SIGFOO", -EINVAL, "KillSignal=SIGFOO: invalid signal"},
                {"KillMode=", -EINVAL,
                 "KillMode=: invalid value, expected control-group, process, mixed or none"},
                {"TimeoutStopSec=5x", -EINVAL, "TimeoutStopSec=5x: invalid time span"},
                {"TimeoutStopSec=", -EINVAL, "TimeoutStopSec=: invalid time span"},
                {"RuntimeMaxSec=-1s", -EINVAL, "RuntimeMaxSec=-1s: invalid time span"},
                {"Nice=20", -EINVAL, "Nice=20: invalid value, expected -20..19"},
                {"OOMScoreAdjust=-1001", -EINVAL,
                 "OOMScoreAdjust=-1001: invalid value, expected -1000..1000"},
                {"Environment=1A=b", -EINVAL, "Environment=1A=b: invalid environment assignment '1A=b'"},
                {"Environment=NOEQUALS", -EINVAL,
                 "Environment=NOEQUALS: invalid environment assignment 'NOEQUALS'"},
                {"Environment=\"A=b", -EINVAL, "Environment=\"A=b: unbalanced quotes or bad escape"},
                {"Slice=foo", -EINVAL, "Slice=foo: invalid slice name, expected NAME.slice"},
                {"Slice=a/b.slice", -EINVAL, "Slice=a/b.slice: invalid slice name, expected NAME.slice"},
                {"Description=\xff", -EINVAL, "Description=\xff: invalid UTF-8"},
                {"OOMPolicy=restart", -EINVAL,
                 "OOMPolicy=restart: invalid value, expected continue, stop or kill"},
        };

        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                _cleanup_free_ char *err = NULL, *got = NULL;
                int r = 0;
                got = append_and_render(cases[k].assignment, &r, &err);
                CHECK(r == cases[k].r && err && streq(err, cases[k].err) && got && streq(got, ""),
                      "'%s' refused: %s%s%s", cases[k].assignment, cases[k].err,
                      err && !streq(err, cases[k].err) ? " -- got: " : "",
                      err && !streq(err, cases[k].err) ? err : "");
        }

        /* a NULL err is allowed */
        _cleanup_free_ char *got = NULL;
        int r = 0;
        got = append_and_render("MemoryMax=12Q", &r, NULL);
        CHECK(r == -EINVAL && got && streq(got, ""), "err may be NULL, nothing appended");
}

/* several properties in one a(sv), as a caller builds StartTransientUnit */
static void test_bus_many(void)
{
        static const char *const props[] = {"Description=web", "MemoryMax=1G", "CPUQuota=200%",
                                            "AllowedCPUs=0-3", "Environment=A=1"};
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = new_message();
        _cleanup_free_ char *got = NULL;
        bool ok = m && sd_bus_message_open_container(m, 'a', "(sv)") >= 0;
        for (size_t k = 0; ok && k < ELEMENTSOF(props); k++)
                ok = bus_append_property(m, props[k], NULL) == 0;
        ok = ok && sd_bus_message_close_container(m) >= 0 && sd_bus_message_seal(m, 1, 0) >= 0 &&
             sd_bus_message_rewind(m, true) >= 0 && (got = render(m));
        CHECK(ok && streq(got,
                          "Description s 'web' | MemoryMax t 1073741824 | CPUQuotaPerSecUSec t 2000000 | "
                          "AllowedCPUs ay 0f | Environment as 'A=1'"),
              "five properties in one array (%s)", strempty(got));
}

static void test_parsers(void)
{
        static const struct {
                const char *s;
                uint64_t base;
                int r;
                uint64_t v;
        } sizes[] = {
                {"1K", 1024, 0, 1024},
                {"1K", 1000, 0, 1000},
                {"1.5K", 1024, 0, 1536},
                {"0.5M", 1000, 0, 500000},
                {"1G 512M", 1024, 0, 1610612736},
                {" 7 ", 1024, 0, 7},
                {"1E", 1024, 0, UINT64_C(1) << 60},
                {"15E", 1024, 0, UINT64_C(15) << 60},
                {"16E", 1024, -ERANGE, 0},
                {"18446744073709551616", 1024, -ERANGE, 0},
                {"12Q", 1024, -EINVAL, 0},
                {"1k", 1024, -EINVAL, 0},
                {"", 1024, -EINVAL, 0},
                {"-1", 1024, -ERANGE, 0},
                {"1K", 10, -EINVAL, 0},
                {"K", 1024, -EINVAL, 0},
        };
        for (size_t k = 0; k < ELEMENTSOF(sizes); k++) {
                uint64_t v = 0;
                int r = parse_size(sizes[k].s, sizes[k].base, &v);
                CHECK(r == sizes[k].r && (r < 0 || v == sizes[k].v),
                      "parse_size('%s', %" PRIu64 ") = %d, %" PRIu64, sizes[k].s, sizes[k].base, sizes[k].r,
                      sizes[k].v);
        }

        static const struct {
                const char *s;
                int r;
                uint64_t v;
        } spans[] = {
                {"1min 30s", 0, 90000000},
                {"1min30", 0, 90000000},
                {"500ms", 0, 500000},
                {"2h", 0, 7200000000},
                {"1h30m", 0, 5400000000},
                {"1.5s", 0, 1500000},
                {"1.5", 0, 1500000},
                {"5", 0, 5000000},
                {" 2 s ", 0, 2000000},
                {"10us", 0, 10},
                {"10\xc2\xb5s", 0, 10},
                {"3usec", 0, 3},
                {"2msec", 0, 2000},
                {"1d", 0, UINT64_C(86400000000)},
                {"1w", 0, UINT64_C(604800000000)},
                {"1M", 0, UINT64_C(2629800000000)},
                {"1y", 0, UINT64_C(31557600000000)},
                {"2 minutes 3 seconds", 0, 123000000},
                {"1hr", 0, 3600000000},
                {"0", 0, 0},
                {"infinity", 0, UINT64_MAX},
                {"", -EINVAL, 0},
                {"5x", -EINVAL, 0},
                {"s", -EINVAL, 0},
                {"-1", -ERANGE, 0},
                {"5 mins", -EINVAL, 0},
                {"99999999999999999999", -ERANGE, 0},
                {"600000y", -ERANGE, 0},
        };
        for (size_t k = 0; k < ELEMENTSOF(spans); k++) {
                uint64_t v = 0;
                int r = parse_timespan_usec(spans[k].s, &v);
                CHECK(r == spans[k].r && (r < 0 || v == spans[k].v),
                      "parse_timespan_usec('%s') = %d, %" PRIu64, spans[k].s, spans[k].r, spans[k].v);
        }
}

/* ---- property_to_resources ---- */

static char *dump(json_t *j)
{
        return json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
}

/* Apply the assignments in order to a fresh {}, then finish; "r=N err=... json" */
static char *resources_of(const char *const *assignments, size_t n, int *ret_r, char **err)
{
        _cleanup_json_ json_t *res = json_object();
        int r = 0;
        for (size_t k = 0; k < n && r >= 0; k++)
                r = property_to_resources(assignments[k], res, err);
        if (r >= 0)
                r = property_resources_finish(res, err);
        *ret_r = r;
        return dump(res);
}

/* the result must be what the cgroupfs driver accepts */
static bool cgroup_accepts(const char *json)
{
        json_error_t e;
        _cleanup_json_ json_t *j = json_loads(json, 0, &e);
        _cleanup_(cgroup_resources_freep) CgroupResources *res = NULL;
        _cleanup_free_ char *err = NULL;
        return j && cgroup_resources_parse(j, "linux.resources", &res, &err) == 0;
}

static uint64_t meminfo_total(void)
{
        _cleanup_free_ char *s = NULL;
        uint64_t kb = 0;
        const char *l;
        if (read_full_file("/proc/meminfo", 1 << 20, &s, NULL) < 0 || !(l = strstr(s, "MemTotal:")) ||
            sscanf(l, "MemTotal: %" SCNu64, &kb) != 1)
                return 0;
        return kb * 1024;
}

static void test_resources_table(void)
{
        static const struct {
                const char *a[3];
                const char *json;
        } cases[] = {
                {{"MemoryMax=64M"}, "{\"memory\":{\"limit\":67108864}}"},
                {{"MemoryLimit=infinity"}, "{\"memory\":{\"limit\":-1}}"},
                {{"MemoryMax="}, "{\"memory\":{\"limit\":-1}}"},
                {{"MemoryLow=32M"}, "{\"memory\":{\"reservation\":33554432}}"},
                {{"MemoryLow=32M", "MemoryLow="}, "{\"memory\":{}}"},
                {{"MemoryMax=64M", "MemorySwapMax=1G"},
                 "{\"memory\":{\"limit\":67108864,\"swap\":1140850688}}"},
                {{"MemorySwapMax=1G", "MemoryMax=64M"},
                 "{\"memory\":{\"limit\":67108864,\"swap\":1140850688}}"},
                {{"MemorySwapMax=1G", "MemoryMax=64M", "MemoryMax=128M"},
                 "{\"memory\":{\"limit\":134217728,\"swap\":1207959552}}"},
                {{"MemoryMax=64M", "MemorySwapMax=0"},
                 "{\"memory\":{\"limit\":67108864,\"swap\":67108864}}"},
                {{"MemorySwapMax=infinity"}, "{\"memory\":{\"swap\":-1}}"},
                {{"MemoryHigh=1G"}, "{\"unified\":{\"memory.high\":\"1073741824\"}}"},
                {{"MemoryHigh=infinity"}, "{\"unified\":{\"memory.high\":\"max\"}}"},
                {{"MemoryMin=16M"}, "{\"unified\":{\"memory.min\":\"16777216\"}}"},
                {{"CPUQuota=50%"}, "{\"cpu\":{\"period\":100000,\"quota\":50000}}"},
                {{"CPUQuota=150%"}, "{\"cpu\":{\"period\":100000,\"quota\":150000}}"},
                {{"CPUQuota=0.5%"}, "{\"cpu\":{\"period\":200000,\"quota\":1000}}"},
                {{"CPUQuota="}, "{\"cpu\":{\"quota\":-1}}"},
                {{"CPUQuota=50%", "CPUQuotaPeriodSec=10ms"}, "{\"cpu\":{\"period\":10000,\"quota\":5000}}"},
                {{"CPUQuotaPeriodSec=10ms", "CPUQuota=50%"}, "{\"cpu\":{\"period\":10000,\"quota\":5000}}"},
                {{"CPUQuotaPeriodSec=5s"}, "{\"cpu\":{\"period\":1000000}}"},
                {{"CPUQuotaPeriodSec=1us"}, "{\"cpu\":{\"period\":1000}}"},
                {{"CPUQuotaPeriodSec="}, "{\"cpu\":{\"period\":100000}}"},
                {{"CPUShares=512"}, "{\"cpu\":{\"shares\":512}}"},
                {{"CPUWeight=100"}, "{\"cpu\":{\"shares\":2598}}"},
                {{"CPUWeight=1"}, "{\"cpu\":{\"shares\":2}}"},
                {{"CPUWeight=10000"}, "{\"cpu\":{\"shares\":262144}}"},
                {{"CPUWeight=idle"}, "{\"cpu\":{\"idle\":1}}"},
                {{"CPUWeight=idle", "CPUWeight=100"}, "{\"cpu\":{\"shares\":2598}}"},
                {{"CPUWeight=100", "CPUWeight="}, "{\"cpu\":{}}"},
                {{"TasksMax=10"}, "{\"pids\":{\"limit\":10}}"},
                {{"TasksMax=infinity"}, "{\"pids\":{\"limit\":-1}}"},
                {{"AllowedCPUs=0-2,5"}, "{\"cpu\":{\"cpus\":\"0-2,5\"}}"},
                {{"AllowedCPUs=5 0 1,2 7"}, "{\"cpu\":{\"cpus\":\"0-2,5,7\"}}"},
                {{"AllowedMemoryNodes=0"}, "{\"cpu\":{\"mems\":\"0\"}}"},
                {{"AllowedCPUs=1", "AllowedCPUs="}, "{\"cpu\":{}}"},
                {{"IOWeight=10000"}, "{\"blockIO\":{\"weight\":1000}}"},
                {{"IOWeight=1"}, "{\"blockIO\":{\"weight\":10}}"},
                {{"IOWeight=100"}, "{\"blockIO\":{\"weight\":20}}"},
                {{"BlockIOWeight=500"}, "{\"blockIO\":{\"weight\":500}}"},
                {{"DeviceAllow=/dev/null rw"},
                 "{\"devices\":[{\"access\":\"rwm\",\"allow\":false},"
                 "{\"access\":\"rw\",\"allow\":true,\"major\":1,\"minor\":3,\"type\":\"c\"}]}"},
                {{"DeviceAllow=/dev/zero"},
                 "{\"devices\":[{\"access\":\"rwm\",\"allow\":false},"
                 "{\"access\":\"rwm\",\"allow\":true,\"major\":1,\"minor\":5,\"type\":\"c\"}]}"},
                {{"DeviceAllow=char-no-such-group-*"}, "{}"},
                {{"DevicePolicy=closed"}, "{}"},
                {{"DevicePolicy=auto"}, "{}"},
                /* not cgroup limits: nothing */
                {{"Description=web", "KillMode=mixed", "TimeoutStopSec=5s"}, "{}"},
                {{"CPUAccounting=yes", "Delegate=yes", "Environment=A=1"}, "{}"},
                {{"StartupCPUWeight=10", "StartupAllowedCPUs=0", "Slice=a.slice"}, "{}"},
                {{"Nice=5", "OOMScoreAdjust=100", "KillSignal=SIGINT"}, "{}"},
        };

        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                size_t n = 0;
                while (n < ELEMENTSOF(cases[k].a) && cases[k].a[n])
                        n++;
                _cleanup_free_ char *err = NULL, *got = NULL;
                int r = 0;
                got = resources_of(cases[k].a, n, &r, &err);
                CHECK(r >= 0 && got && streq(got, cases[k].json) && cgroup_accepts(got),
                      "%s%s%s%s -> %s%s%s%s", cases[k].a[0], n > 1 ? ", " : "", n > 1 ? cases[k].a[1] : "",
                      n > 2 ? ", ..." : "", cases[k].json,
                      got && !streq(got, cases[k].json) ? " -- got: " : "",
                      got && !streq(got, cases[k].json) ? got : "", err ? err : "");
        }
}

static void test_resources_misc(void)
{
        _cleanup_free_ char *err = NULL;
        int r;

        /* return values */
        {
                _cleanup_json_ json_t *res = json_object();
                CHECK(property_to_resources("MemoryMax=1G", res, &err) == 1, "a limit returns 1");
                CHECK(property_to_resources("Description=x", res, &err) == 0, "a non-limit returns 0");
                CHECK(property_to_resources("DeviceAllow=char-no-such-group", res, &err) == 0,
                      "an unresolvable device group returns 0");
                CHECK(!err, "no error text on success");
        }

        /* errors: the same as on the bus */
        static const struct {
                const char *assignment;
                int r;
                const char *err;
        } errors[] = {
                {"Foo=1", -EOPNOTSUPP, "unknown property 'Foo'"},
                {"MemoryMax=12Q", -EINVAL, "MemoryMax=12Q: invalid size"},
                {"CPUQuota=abc", -EINVAL, "CPUQuota=abc: invalid percentage"},
                {"KillMode=bad", -EINVAL,
                 "KillMode=bad: invalid value, expected control-group, process, mixed or none"},
                {"IOReadBandwidthMax=/dev/null 1M", -ENOTBLK,
                 "IOReadBandwidthMax=/dev/null 1M: '/dev/null' is not a block device"},
                {"IOReadBandwidthMax=/nonexistent 1M", -ENOENT,
                 "IOReadBandwidthMax=/nonexistent 1M: cannot stat '/nonexistent': No such file or "
                 "directory"},
                {"DeviceAllow=/dev/nonexistent r", -ENOENT,
                 "DeviceAllow=/dev/nonexistent r: cannot stat '/dev/nonexistent': No such file or "
                 "directory"},
                {"DevicePolicy=strict", -EOPNOTSUPP,
                 "DevicePolicy=strict: not supported without systemd (the container keeps the standard "
                 "pseudo "
                 "devices)"},
        };
        for (size_t k = 0; k < ELEMENTSOF(errors); k++) {
                _cleanup_json_ json_t *res = json_object();
                _cleanup_free_ char *e = NULL, *d = NULL;
                r = property_to_resources(errors[k].assignment, res, &e);
                d = dump(res);
                CHECK(r == errors[k].r && e && streq(e, errors[k].err) && d && streq(d, "{}"),
                      "'%s' refused: %s%s%s", errors[k].assignment, errors[k].err,
                      e && !streq(e, errors[k].err) ? " -- got: " : "",
                      e && !streq(e, errors[k].err) ? e : "");
        }

        /* MemorySwapMax= alone has no OCI form */
        {
                static const char *const a[] = {"MemorySwapMax=1G"};
                _cleanup_free_ char *e = NULL, *got = resources_of(a, 1, &r, &e);
                CHECK(r == -EINVAL && e &&
                              streq(e, "MemorySwapMax=1073741824: needs a finite MemoryMax= on hosts "
                                       "without systemd") &&
                              got && streq(got, "{\"memory\":{}}"),
                      "MemorySwapMax= without MemoryMax= is reported by property_resources_finish (%s)",
                      strempty(e));
        }
        {
                static const char *const a[] = {"MemorySwapMax=1G", "MemoryMax=infinity"};
                _cleanup_free_ char *e = NULL, *got = resources_of(a, 2, &r, &e);
                CHECK(r == -EINVAL && got && streq(got, "{\"memory\":{\"limit\":-1}}"),
                      "MemorySwapMax= with MemoryMax=infinity is reported too");
        }
        {
                /* an existing memory+swap pair keeps its swap part when the limit changes */
                _cleanup_json_ json_t *res = json_pack("{s:{s:I, s:I}}", "memory", "limit",
                                                       (json_int_t)100 << 20, "swap", (json_int_t)300 << 20);
                _cleanup_free_ char *got = NULL;
                r = property_to_resources("MemoryMax=200M", res, NULL);
                got = dump(res);
                CHECK(r == 1 && got && streq(got, "{\"memory\":{\"limit\":209715200,\"swap\":419430400}}"),
                      "a new limit keeps the swap share of an existing memory+swap (%s)", strempty(got));
        }
        {
                /* an existing quota keeps its ratio when the period changes */
                _cleanup_json_ json_t *res = json_pack("{s:{s:I, s:I}}", "cpu", "period", (json_int_t)50000,
                                                       "quota", (json_int_t)25000);
                _cleanup_free_ char *got = NULL;
                r = property_to_resources("CPUQuotaPeriodSec=200ms", res, NULL);
                got = dump(res);
                CHECK(r == 1 && got && streq(got, "{\"cpu\":{\"period\":200000,\"quota\":100000}}"),
                      "a new period rescales the existing quota (%s)", strempty(got));
        }

        /* percentages: of MemTotal and of the kernel's task maximum */
        uint64_t total = meminfo_total();
        if (total > 0) {
                _cleanup_json_ json_t *res = json_object();
                json_int_t limit = 0;
                r = property_to_resources("MemoryMax=50%", res, NULL);
                json_unpack(res, "{s:{s:I}}", "memory", "limit", &limit);
                CHECK(r == 1 && (uint64_t)limit == total / 2,
                      "MemoryMax=50%% is half of MemTotal (%" PRIu64 ")", (uint64_t)limit);
                r = property_to_resources("MemoryLow=25%", res, NULL);
                json_unpack(res, "{s:{s:I}}", "memory", "reservation", &limit);
                CHECK(r == 1 && (uint64_t)limit == total / 4, "MemoryLow=25%% is a quarter of MemTotal");
        } else
                CHECK(true, "# SKIP no MemTotal in /proc/meminfo");
        {
                _cleanup_json_ json_t *res = json_object();
                json_int_t limit = 0;
                uint64_t pid_max = 0, threads = 0;
                _cleanup_free_ char *a = NULL, *b = NULL;
                r = property_to_resources("TasksMax=50%", res, NULL);
                json_unpack(res, "{s:{s:I}}", "pids", "limit", &limit);
                if (read_full_file("/proc/sys/kernel/pid_max", 64, &a, NULL) >= 0 &&
                    read_full_file("/proc/sys/kernel/threads-max", 64, &b, NULL) >= 0) {
                        pid_max = strtoull(a, NULL, 10);
                        threads = strtoull(b, NULL, 10);
                }
                uint64_t m = pid_max - 1 < threads ? pid_max - 1 : threads;
                CHECK(r == 1 && (uint64_t)limit == m / 2,
                      "TasksMax=50%% is half of min(pid_max-1, threads-max) = %" PRIu64, m);
        }

        /* CPUWeight -> cpu.shares -> cgroup_cpu_shares_to_weight() gives the weight back, for each */
        {
                uint64_t bad = 0;
                for (uint64_t w = 1; w <= 10000 && !bad; w++) {
                        char a[32];
                        json_int_t shares = 0;
                        _cleanup_json_ json_t *res = json_object();
                        snprintf(a, sizeof(a), "CPUWeight=%" PRIu64, w);
                        if (property_to_resources(a, res, NULL) != 1 ||
                            json_unpack(res, "{s:{s:I}}", "cpu", "shares", &shares) < 0 || shares < 2 ||
                            shares > 262144 || cgroup_cpu_shares_to_weight((uint64_t)shares) != w)
                                bad = w;
                }
                CHECK(bad == 0, "CPUWeight=1..10000 round-trip through cpu.shares (first bad: %" PRIu64 ")",
                      bad);
        }
        /* IOWeight -> blkio.weight: 991 values for 10000, the closest one */
        {
                int64_t worst = 0;
                bool ok = true;
                for (uint64_t w = 1; w <= 10000 && ok; w++) {
                        char a[32];
                        json_int_t bw = 0;
                        _cleanup_json_ json_t *res = json_object();
                        snprintf(a, sizeof(a), "IOWeight=%" PRIu64, w);
                        ok = property_to_resources(a, res, NULL) == 1 &&
                             json_unpack(res, "{s:{s:I}}", "blockIO", "weight", &bw) == 0 && bw >= 10 &&
                             bw <= 1000;
                        int64_t d = (int64_t)cgroup_blkio_weight_to_io_weight((uint64_t)bw) - (int64_t)w;
                        if (d < 0)
                                d = -d;
                        if (d > worst)
                                worst = d;
                }
                CHECK(ok && worst <= 6, "IOWeight=1..10000 round-trip within 6 (worst %" PRId64 ")", worst);
        }
}

/* Block devices: a node made for the test (root), else /dev/loop0 if present. */
static void test_resources_block(void)
{
        char dir[] = "/tmp/test-bus-property-XXXXXX", node[64];
        struct stat st;
        unsigned ma = 7, mi = 0;
        bool made = false;
        const char *path = NULL;

        if (mkdtemp(dir)) {
                snprintf(node, sizeof(node), "%s/blk", dir);
                if (mknod(node, S_IFBLK | 0600, makedev(ma, mi)) == 0) {
                        made = true;
                        path = node;
                }
        }
        if (!path && stat("/dev/loop0", &st) == 0 && S_ISBLK(st.st_mode)) {
                path = "/dev/loop0";
                ma = major(st.st_rdev);
                mi = minor(st.st_rdev);
        }
        if (!path) {
                CHECK(true, "# SKIP no block device node to test with");
                rmdir(dir);
                return;
        }

        _cleanup_json_ json_t *res = json_object();
        char a[128], want[512];
        _cleanup_free_ char *got = NULL;
        int r1, r2, r3, r4, r5;
        snprintf(a, sizeof(a), "IOReadBandwidthMax=%s 1M", path);
        r1 = property_to_resources(a, res, NULL);
        snprintf(a, sizeof(a), "IOReadBandwidthMax=%s 2M", path); /* replaces */
        r2 = property_to_resources(a, res, NULL);
        snprintf(a, sizeof(a), "IOWriteIOPSMax=%s infinity", path);
        r3 = property_to_resources(a, res, NULL);
        snprintf(a, sizeof(a), "IODeviceWeight=%s 10000", path);
        r4 = property_to_resources(a, res, NULL);
        snprintf(a, sizeof(a), "BlockIOWriteBandwidth=%s 1K", path);
        r5 = property_to_resources(a, res, NULL);
        got = dump(res);
        snprintf(want, sizeof(want),
                 "{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":%u,\"minor\":%u,\"rate\":2000000}],"
                 "\"throttleWriteBpsDevice\":[{\"major\":%u,\"minor\":%u,\"rate\":1000}],"
                 "\"throttleWriteIOPSDevice\":[{\"major\":%u,\"minor\":%u,\"rate\":0}],"
                 "\"weightDevice\":[{\"major\":%u,\"minor\":%u,\"weight\":1000}]}}",
                 ma, mi, ma, mi, ma, mi, ma, mi);
        CHECK(r1 == 1 && r2 == 1 && r3 == 1 && r4 == 1 && r5 == 1 && got && streq(got, want) &&
                      cgroup_accepts(got),
              "per-device io limits by major:minor of %s (%s)", path, strempty(got));

        snprintf(a, sizeof(a), "IOReadBandwidthMax=");
        CHECK(property_to_resources(a, res, NULL) == 1 &&
                      !json_object_get(json_object_get(res, "blockIO"), "throttleReadBpsDevice"),
              "an empty IOReadBandwidthMax= drops the list");

        if (made)
                unlink(node);
        rmdir(dir);
}

static void test_devices(void)
{
        {
                _cleanup_json_ json_t *dev =
                        json_pack("{s:[{s:b, s:s}, {s:b, s:s, s:I, s:I, s:s}]}", "devices", "allow", 0,
                                  "access", "rwm", "allow", 1, "type", "c", "major", (json_int_t)1, "minor",
                                  (json_int_t)5, "access", "rwm");
                _cleanup_free_ char *got = NULL;
                int r = property_to_resources("DeviceAllow=/dev/null r", dev, NULL);
                got = dump(dev);
                CHECK(r == 1 && got &&
                              streq(got, "{\"devices\":[{\"access\":\"rwm\",\"allow\":false},"
                                         "{\"access\":\"rwm\",\"allow\":true,\"major\":1,\"minor\":5,"
                                         "\"type\":\"c\"},"
                                         "{\"access\":\"r\",\"allow\":true,\"major\":1,\"minor\":3,\"type\":"
                                         "\"c\"}]}"),
                      "DeviceAllow= appends to an existing device list (%s)", strempty(got));
        }

        /* /proc/devices lists "136 pts" on every Linux with devpts */
        _cleanup_json_ json_t *res = json_object();
        _cleanup_free_ char *got = NULL;
        int r = property_to_resources("DeviceAllow=char-pts rw", res, NULL);
        got = dump(res);
        CHECK(r == 1 && got &&
                      strstr(got, "{\"access\":\"rw\",\"allow\":true,\"major\":136,\"minor\":-1,\"type\":"
                                  "\"c\"}") &&
                      cgroup_accepts(got),
              "DeviceAllow=char-pts is major 136, any minor (%s)", strempty(got));
}

int main(void)
{
        /* sd-bus makes messages only on a started bus; one end of a socketpair will do (the
         * authentication it writes there is never read) */
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0 || sd_bus_new(&bus) < 0 ||
            sd_bus_set_fd(bus, sp[0], sp[0]) < 0 || sd_bus_start(bus) < 0)
                return tap_skip_all("cannot set up an unconnected sd_bus");

        test_parsers();
        test_bus_values();
        test_bus_errors();
        test_bus_many();
        test_resources_table();
        test_resources_misc();
        test_resources_block();
        test_devices();

        sd_bus_close_unref(bus);
        close(sp[1]);
        return tap_done();
}
