/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure half of the systemd cgroup driver: linux.cgroupsPath "slice:prefix:name" and the
 * translation of linux.resources into unit properties. The bus half runs in
 * tests/system/test-oci-systemd-cgroup.sh. */
#include <stdio.h>

#include "cgroup.h"
#include "systemd-scope.h"
#include "tap.h"
#include "util.h"

static const char proc_devices[] = "Character devices:\n"
                                   "  1 mem\n"
                                   "  4 /dev/vc/0\n"
                                   "  5 /dev/tty\n"
                                   "136 pts\n"
                                   "180 usb\n"
                                   "\n"
                                   "188 ttyUSB\n"
                                   "189 ttyUSB\n"
                                   "190 odd*name\n"
                                   "\n"
                                   "Block devices:\n"
                                   "  7 loop\n"
                                   "  8 sd\n"
                                   " 65 sd\n";

/* "SLICE|SLICE-PATH|UNIT", or "error: MESSAGE" */
static char *parse(const char *path, const char *id)
{
        ScopePath p = {};
        char *err = NULL, *out = NULL;
        int r = scope_path_parse(path, id, &p, &err);
        if (r < 0) {
                if (asprintf(&out, "error: %s", strempty(err)) < 0)
                        out = NULL;
        } else if (asprintf(&out, "%s|%s|%s", p.slice, p.slice_path, p.unit) < 0)
                out = NULL;
        free(err);
        scope_path_done(&p);
        return out;
}

static bool parse_is(const char *path, const char *id, const char *want)
{
        _cleanup_free_ char *got = parse(path, id);
        if (!got || !streq(got, want)) {
                printf("# '%s': got '%s', want '%s'\n", strempty(path), strempty(got), want);
                return false;
        }
        return true;
}

static bool parse_fails(const char *path, const char *mentions)
{
        _cleanup_free_ char *got = parse(path, "id");
        if (!got || !startswith(got, "error: ") || !strstr(got, mentions)) {
                printf("# '%s': got '%s', want an error mentioning '%s'\n", path, strempty(got), mentions);
                return false;
        }
        return true;
}

/* The properties for linux.resources JSON, "NAME=VALUE | ...", "" for none, NULL on error */
static char *translate(const char *json, CgroupLayout layout, unsigned version, uint64_t current_period)
{
        _cleanup_(cgroup_resources_freep) CgroupResources *res = NULL;
        _cleanup_free_ char *err = NULL;
        ScopeProperties props = {};
        json_error_t je;
        json_t *j = json_loads(json, 0, &je);
        char *buf = NULL;
        size_t size = 0;
        if (!j) {
                printf("# bad test JSON: %s\n", je.text);
                return NULL;
        }
        int r = cgroup_resources_parse(j, "linux.resources", &res, &err);
        json_decref(j);
        if (r < 0) {
                printf("# %s\n", strempty(err));
                return NULL;
        }
        ScopeTranslation t = {.layout = layout,
                              .systemd_version = version,
                              .current_period = current_period,
                              .proc_devices = proc_devices};
        if (scope_resources_to_properties(res, &t, &props) < 0)
                return NULL;
        FILE *f = open_memstream(&buf, &size);
        if (!f) {
                scope_properties_done(&props);
                return NULL;
        }
        for (size_t i = 0; i < props.n; i++) {
                _cleanup_free_ char *s = scope_property_to_string(&props.p[i]);
                fprintf(f, "%s%s", i ? " | " : "", strempty(s));
        }
        fclose(f);
        scope_properties_done(&props);
        return buf;
}

static bool translates(const char *json, CgroupLayout layout, unsigned version, const char *want)
{
        _cleanup_free_ char *got = translate(json, layout, version, 0);
        if (!got || !streq(got, want)) {
                printf("# %s\n#   got:  '%s'\n#   want: '%s'\n", json, strempty(got), want);
                return false;
        }
        return true;
}

static void test_paths(void)
{
        CHECK(parse_is("system.slice:cri-containerd:abc123", "id",
                       "system.slice|/system.slice|cri-containerd-abc123.scope"),
              "slice:prefix:name -> PREFIX-NAME.scope in the slice");
        CHECK(parse_is(":crio:abc", "id", "system.slice|/system.slice|crio-abc.scope"),
              "an empty slice is system.slice");
        CHECK(parse_is("", "c1", "system.slice|/system.slice|ctr-oci-c1.scope"),
              "no cgroupsPath: system.slice and ctr-oci-ID.scope");
        CHECK(parse_is(NULL, "c1", "system.slice|/system.slice|ctr-oci-c1.scope"), "NULL the same");
        CHECK(parse_is("kubepods-burstable-pod1234.slice:cri-containerd:abc", "id",
                       "kubepods-burstable-pod1234.slice|/kubepods.slice/kubepods-burstable.slice/"
                       "kubepods-burstable-pod1234.slice|cri-containerd-abc.scope"),
              "a nested slice expands to its parents, as systemd nests it");
        CHECK(parse_is("-.slice:p:n", "id", "-.slice||p-n.scope"), "-.slice is the root");
        CHECK(parse_is("machine.slice::n", "id", "machine.slice|/machine.slice|n.scope"),
              "an empty prefix gives NAME.scope");
        CHECK(parse_fails("/kubepods/pod1/abc", "slice:prefix:name"),
              "a cgroupfs path is refused, naming the form");
        CHECK(parse_fails("system.slice:p", "slice:prefix:name"), "two parts are refused");
        CHECK(parse_fails("a:b:c:d", "slice:prefix:name"), "four parts are refused");
        CHECK(parse_fails("foo:p:n", "'foo' is not a slice"), "a slice name without .slice is refused");
        CHECK(parse_fails("a--b.slice:p:n", "'a--b.slice'"), "an empty dash-separated part is refused");
        CHECK(parse_fails("-a.slice:p:n", "'-a.slice'"), "a leading dash is refused");
        CHECK(parse_fails("a/b.slice:p:n", "'a/b.slice'"), "a '/' in the slice is refused");
        CHECK(parse_fails(".slice:p:n", "'.slice'"), "'.slice' alone is refused");
        CHECK(parse_fails("system.slice:p:", "name part is empty"), "an empty name is refused");
        CHECK(parse_fails("system.slice:p:x.slice", "is a slice"), "a slice as the unit is refused");
        CHECK(parse_fails("system.slice:p:a/b", "'/'"), "a '/' in the name is refused");
        CHECK(parse_fails("system.slice:a b:n", "space"), "a space in the prefix is refused");

        _cleanup_free_ char *e = NULL;
        CHECK(slice_expand("a-b-c.slice", &e) == 0 && streq(e, "/a.slice/a-b.slice/a-b-c.slice"),
              "slice_expand: a-b-c.slice");
        free(e);
        e = NULL;
        CHECK(slice_expand("a-.slice", &e) == -EINVAL, "slice_expand: a trailing dash is refused");
}

static void test_v1(void)
{
        CHECK(translates("{\"memory\":{\"limit\":134217728},\"pids\":{\"limit\":15},"
                         "\"cpu\":{\"quota\":50000,\"period\":100000,\"shares\":1024}}",
                         CGROUP_LAYOUT_HYBRID, 252,
                         "MemoryMax=134217728 | CPUShares=1024 | CPUQuotaPeriodUSec=100000 | "
                         "CPUQuotaPerSecUSec=500000 | TasksMax=15"),
              "v1: memory, shares, quota/period, pids");
        CHECK(translates(
                      "{\"memory\":{\"limit\":-1,\"reservation\":1000,\"swap\":-1},\"pids\":{\"limit\":-1},"
                      "\"cpu\":{\"quota\":-1}}",
                      CGROUP_LAYOUT_LEGACY, 252,
                      "MemoryMax=infinity | CPUQuotaPerSecUSec=infinity | TasksMax=infinity"),
              "v1: -1 is infinity; no MemoryLow or MemorySwapMax on v1");
        CHECK(translates("{\"memory\":{\"limit\":0,\"reservation\":0,\"swap\":0},\"cpu\":{\"shares\":0,"
                         "\"quota\":0,\"period\":0},\"pids\":{\"limit\":0},\"blockIO\":{\"weight\":0}}",
                         CGROUP_LAYOUT_HYBRID, 252, ""),
              "zero values are unset (runc), and pids.limit 0 is left to cgroupfs");
        CHECK(translates("{\"cpu\":{\"quota\":33333,\"period\":100000}}", CGROUP_LAYOUT_HYBRID, 252,
                         "CPUQuotaPeriodUSec=100000 | CPUQuotaPerSecUSec=340000"),
              "a quota of a fraction of a percent is rounded up to 10 ms per second");
        CHECK(translates("{\"cpu\":{\"quota\":25000}}", CGROUP_LAYOUT_HYBRID, 252,
                         "CPUQuotaPerSecUSec=250000"),
              "a quota alone is per the default period");
        {
                _cleanup_free_ char *got =
                        translate("{\"cpu\":{\"quota\":25000}}", CGROUP_LAYOUT_HYBRID, 252, 50000);
                CHECK(got && streq(got, "CPUQuotaPerSecUSec=500000"),
                      "a quota alone is per the group's current period when known ('update')");
        }
        CHECK(translates("{\"cpu\":{\"period\":50000}}", CGROUP_LAYOUT_HYBRID, 252,
                         "CPUQuotaPeriodUSec=50000"),
              "a period alone leaves the quota be");
        CHECK(translates("{\"cpu\":{\"quota\":50000,\"period\":100000}}", CGROUP_LAYOUT_HYBRID, 241,
                         "CPUQuotaPerSecUSec=500000"),
              "no CPUQuotaPeriodUSec before systemd 242");
        CHECK(translates("{\"cpu\":{\"cpus\":\"0-3,7\",\"mems\":\"0\"}}", CGROUP_LAYOUT_HYBRID, 252,
                         "AllowedCPUs=0-3,7 | AllowedMemoryNodes=0"),
              "cpuset: AllowedCPUs, AllowedMemoryNodes");
        CHECK(translates("{\"cpu\":{\"cpus\":\"0-3\"}}", CGROUP_LAYOUT_HYBRID, 243, ""),
              "no AllowedCPUs before systemd 244");
        CHECK(translates("{\"blockIO\":{\"weight\":500}}", CGROUP_LAYOUT_HYBRID, 252, "BlockIOWeight=500"),
              "v1: BlockIOWeight");
        CHECK(translates("{\"unified\":{\"memory.high\":\"1000\"}}", CGROUP_LAYOUT_HYBRID, 252, ""),
              "v1: unified keys are not translated");
        CHECK(translates("{\"memory\":{\"limit\":1000}}", CGROUP_LAYOUT_HYBRID, 0, "MemoryMax=1000"),
              "an unknown systemd version is taken as the newest");
}

static void test_v2(void)
{
        char want[256];
        snprintf(want, sizeof(want),
                 "MemoryMax=104857600 | MemoryLow=52428800 | MemorySwapMax=209715200 | CPUWeight=%llu | "
                 "IOWeight=%llu",
                 (unsigned long long)cgroup_cpu_shares_to_weight(1024),
                 (unsigned long long)cgroup_blkio_weight_to_io_weight(500));
        CHECK(translates("{\"memory\":{\"limit\":104857600,\"reservation\":52428800,\"swap\":314572800},"
                         "\"cpu\":{\"shares\":1024},\"blockIO\":{\"weight\":500}}",
                         CGROUP_LAYOUT_UNIFIED, 252, want),
              "v2: MemoryLow, MemorySwapMax is swap minus memory, CPUWeight, IOWeight");
        CHECK(cgroup_cpu_shares_to_weight(1024) == 1 + ((1024 - 2) * 9999) / 262142,
              "CPUWeight is runc's 1 + ((shares - 2) * 9999) / 262142");
        CHECK(translates("{\"memory\":{\"limit\":-1,\"swap\":-1}}", CGROUP_LAYOUT_UNIFIED, 252,
                         "MemoryMax=infinity | MemorySwapMax=infinity"),
              "v2: unlimited memory and swap");
        CHECK(translates("{\"memory\":{\"swap\":1000}}", CGROUP_LAYOUT_UNIFIED, 252, ""),
              "v2: a swap without a memory limit is left to cgroupfs to refuse");
        CHECK(translates("{\"unified\":{\"memory.high\":\"max\",\"memory.min\":\"4096\",\"pids.max\":\"20\","
                         "\"cpu.max\":\"50000 100000\",\"cpu.weight\":\"200\",\"cpuset.cpus\":\"1\","
                         "\"io.weight\":\"default 100\"}}",
                         CGROUP_LAYOUT_UNIFIED, 252,
                         "MemoryHigh=infinity | MemoryMin=4096 | TasksMax=20 | CPUQuotaPeriodUSec=100000 | "
                         "CPUQuotaPerSecUSec=500000 | CPUWeight=200 | AllowedCPUs=1"),
              "v2: the unified keys systemd has a property for, and no others");
        CHECK(translates("{\"unified\":{\"cpu.max\":\"max\"}}", CGROUP_LAYOUT_UNIFIED, 252,
                         "CPUQuotaPerSecUSec=infinity"),
              "v2: cpu.max \"max\" is no quota");
}

static void test_devices(void)
{
        /* systemd expands char-NAME/block-NAME to every major of that name (fnmatch): a name
         * shared by several majors, or with a glob character, is not given, so no rule opens
         * more than the major asked for */
        CHECK(translates("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                         "{\"allow\":true,\"type\":\"b\",\"major\":8,\"access\":\"rwm\"},"
                         "{\"allow\":true,\"type\":\"c\",\"major\":188,\"access\":\"rwm\"},"
                         "{\"allow\":true,\"type\":\"c\",\"major\":190,\"access\":\"rwm\"},"
                         "{\"allow\":true,\"type\":\"b\",\"major\":7,\"access\":\"r\"}]}",
                         CGROUP_LAYOUT_HYBRID, 252, "DevicePolicy=strict | DeviceAllow=block-loop r"),
              "a major whose name another major shares (sd, ttyUSB) or with a glob (odd*name) is left out");
        CHECK(translates("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                         "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"
                         "{\"allow\":true,\"type\":\"c\",\"major\":136,\"access\":\"rwm\"},"
                         "{\"allow\":true,\"type\":\"c\",\"access\":\"m\"},"
                         "{\"allow\":true,\"type\":\"b\",\"major\":8,\"minor\":0,\"access\":\"r\"}]}",
                         CGROUP_LAYOUT_HYBRID, 252,
                         "DevicePolicy=strict | DeviceAllow=/dev/char/1:3 rwm,char-pts rwm,char-* m,"
                         "/dev/block/8:0 r"),
              "deny-all then allows: strict, one entry per rule, a major by its /proc/devices group");
        CHECK(translates("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                         "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":7,\"access\":\"rwm\"},"
                         "{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":7,\"access\":\"w\"},"
                         "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":9,\"access\":\"rw\"},"
                         "{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":9,\"access\":\"rwm\"}]}",
                         CGROUP_LAYOUT_HYBRID, 252, "DevicePolicy=strict | DeviceAllow=/dev/char/1:7 rm"),
              "a later deny takes access away from the same device, as the v1 kernel does");
        CHECK(translates("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                         "{\"allow\":true,\"type\":\"c\",\"major\":4,\"access\":\"rwm\"},"
                         "{\"allow\":true,\"type\":\"c\",\"major\":999,\"access\":\"rwm\"},"
                         "{\"allow\":true,\"type\":\"c\",\"minor\":5,\"access\":\"rwm\"}]}",
                         CGROUP_LAYOUT_HYBRID, 252, "DevicePolicy=strict | DeviceAllow="),
              "what systemd cannot name (a group with a '/', an unknown major, *:N) is left out: stricter");
        CHECK(translates("{\"devices\":[{\"allow\":true,\"access\":\"rwm\"},"
                         "{\"allow\":false,\"type\":\"b\",\"major\":8,\"minor\":0,\"access\":\"rwm\"}]}",
                         CGROUP_LAYOUT_HYBRID, 252, "DevicePolicy=auto"),
              "allow-all with exceptions: DevicePolicy=auto (cgroupfs writes the exceptions)");
        CHECK(translates("{\"devices\":[{\"allow\":true,\"access\":\"rwm\"},{\"allow\":false,\"access\":"
                         "\"rwm\"},"
                         "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"}]}",
                         CGROUP_LAYOUT_HYBRID, 252, "DevicePolicy=strict | DeviceAllow=/dev/char/1:3 rw"),
              "the last 'a' rule decides the default");
        CHECK(translates("{\"devices\":[]}", CGROUP_LAYOUT_HYBRID, 252,
                         "DevicePolicy=strict | DeviceAllow="),
              "an empty list denies everything, as the cgroupfs driver writes it");
        CHECK(translates("{\"memory\":{\"limit\":1000}}", CGROUP_LAYOUT_HYBRID, 252, "MemoryMax=1000"),
              "no devices given: no device properties");
}

int main(void)
{
        test_paths();
        test_v1();
        test_v2();
        test_devices();
        return tap_done();
}
