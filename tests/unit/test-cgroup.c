/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgroupfs driver: linux.resources parsing, and what cgroup_* do to fake v2 and hybrid trees
 * built in a temporary directory. With CTR_TEST_REAL_CGROUP=1, as root, on a host with the v1
 * memory controller, also a round on the real /sys/fs/cgroup (tests/integration runs that). */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "cgroup.h"
#include "json-util.h"
#include "util.h"

/* tap.h's CHECK evaluates its condition twice (once more for the failure note), and most of
 * ours are steps with side effects: evaluate once. */
#define CHECK1(cond, ...) \
        do { \
                bool once_ = (cond); \
                CHECK(once_, __VA_ARGS__); \
        } while (0)

static char tmp_root[] = "/tmp/test-cgroup-XXXXXX";

static void put(const char *dir, const char *rel, const char *content)
{
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s", dir, rel);
        char *slash = strrchr(p, '/');
        *slash = 0;
        (void)mkdir_p(p, 0755);
        *slash = '/';
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || loop_write(fd, content, strlen(content)) < 0) {
                printf("# cannot write %s: %m\n", p);
                abort();
        }
        close(fd);
}

static void mkdirs(const char *dir, const char *rel)
{
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s", dir, rel);
        (void)mkdir_p(p, 0755);
}

/* File contents, or "<missing>". Static buffer. */
static const char *get(const char *dir, const char *rel)
{
        static char buf[8192];
        char p[4096];
        char *s = NULL;
        snprintf(p, sizeof(p), "%s/%s", dir, rel);
        if (read_full_file(p, sizeof(buf) - 1, &s, NULL) < 0)
                return "<missing>";
        snprintf(buf, sizeof(buf), "%s", s);
        free(s);
        return buf;
}

static bool exists(const char *dir, const char *rel)
{
        char p[4096];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", dir, rel);
        return stat(p, &st) >= 0;
}

static bool streq_get(const char *dir, const char *rel, const char *want)
{
        const char *got = get(dir, rel);
        if (streq(got, want))
                return true;
        printf("# %s/%s: got '%s', want '%s'\n", dir, rel, got, want);
        return false;
}

static int parse(const char *text, CgroupResources **ret, char **err)
{
        json_error_t je;
        _cleanup_json_ json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
        if (!j) {
                printf("# bad test JSON: %s\n", je.text);
                abort();
        }
        return cgroup_resources_parse(j, "linux.resources", ret, err);
}

static void check_parse_error(const char *text, const char *want_prefix)
{
        CgroupResources *r = NULL;
        _cleanup_free_ char *err = NULL;
        int k = parse(text, &r, &err);
        bool ok = k == -EINVAL && err && startswith(err, want_prefix);
        CHECK1(ok, "rejects %s with '%s…'", text, want_prefix);
        if (!ok)
                printf("#   got %d, '%s'\n", k, strempty(err));
        cgroup_resources_free(r);
}

static CgroupResources *must_parse(const char *text)
{
        CgroupResources *r = NULL;
        _cleanup_free_ char *err = NULL;
        int k = parse(text, &r, &err);
        if (k < 0) {
                printf("# unexpected parse failure %d: %s\n", k, strempty(err));
                abort();
        }
        return r;
}

static const char *const spec_example =
        "{"
        "\"memory\": {\"limit\": 536870912, \"reservation\": 536870912, \"swap\": 536870912,"
        "  \"kernel\": -1, \"kernelTCP\": -1, \"swappiness\": 0, \"disableOOMKiller\": false,"
        "  \"checkBeforeUpdate\": true, \"someFutureKnob\": 3},"
        "\"cpu\": {\"shares\": 1024, \"quota\": 1000000, \"burst\": 1000000, \"period\": 500000,"
        "  \"realtimeRuntime\": 950000, \"realtimePeriod\": 1000000, \"cpus\": \"2-3\", \"mems\": \"0-7\","
        "  \"idle\": 0},"
        "\"pids\": {\"limit\": 32771},"
        "\"blockIO\": {\"weight\": 10, \"leafWeight\": 10,"
        "  \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 500, \"leafWeight\": 300},"
        "                   {\"major\": 8, \"minor\": 16, \"weight\": 500}],"
        "  \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 600}],"
        "  \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 300}]},"
        "\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 209715200},"
        "                     {\"pageSize\": \"64KB\", \"limit\": 1000000}],"
        "\"network\": {\"classID\": 1048577, \"priorities\": [{\"name\": \"eth0\", \"priority\": 500},"
        "                                                    {\"name\": \"eth1\", \"priority\": 1000}]},"
        "\"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3, \"hcaObjects\": 10000}, \"mlx4_0\": {\"hcaObjects\": "
        "1000}},"
        "\"unified\": {\"io.max\": \"259:0 rbps=2097152 wiops=120\\n253:0 rbps=2097152 wiops=120\","
        "              \"hugetlb.1GB.max\": \"1073741824\"},"
        "\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
        "              {\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": "
        "\"wr\"},"
        "              {\"allow\": true, \"type\": \"b\", \"major\": 8, \"minor\": 0, \"access\": \"r\"},"
        "              {\"allow\": true, \"type\": \"c\", \"major\": 136}],"
        "\"intelRdtIsNotHere\": {}"
        "}";

static void test_parse(void)
{
        CgroupResources *r = must_parse(spec_example);
        CHECK1(r->memory.has_limit && r->memory.limit == 536870912, "memory.limit");
        CHECK1(r->memory.has_swap && r->memory.swap == 536870912, "memory.swap");
        CHECK1(r->memory.has_kernel && r->memory.kernel == -1, "memory.kernel -1");
        CHECK1(r->memory.has_swappiness && r->memory.swappiness == 0, "memory.swappiness 0 is set");
        CHECK1(r->memory.has_disable_oom_killer && !r->memory.disable_oom_killer, "memory.disableOOMKiller");
        CHECK1(!r->memory.has_use_hierarchy, "memory.useHierarchy unset");
        CHECK1(r->memory.check_before_update, "memory.checkBeforeUpdate");
        CHECK1(r->cpu.has_shares && r->cpu.shares == 1024 && r->cpu.quota == 1000000 &&
                       r->cpu.burst == 1000000 && r->cpu.period == 500000,
               "cpu shares/quota/burst/period");
        CHECK1(r->cpu.rt_runtime == 950000 && r->cpu.rt_period == 1000000, "cpu realtime");
        CHECK1(streq_ptr(r->cpu.cpus, "2-3") && streq_ptr(r->cpu.mems, "0-7"), "cpu cpus/mems");
        CHECK1(r->cpu.has_idle && r->cpu.idle == 0, "cpu idle");
        CHECK1(r->has_pids_limit && r->pids_limit == 32771, "pids.limit");
        CHECK1(r->blkio.has_weight && r->blkio.weight == 10 && r->blkio.leaf_weight == 10,
               "blockIO weights");
        CHECK1(r->blkio.n_weight_devices == 2 && r->blkio.weight_devices[0].leaf_weight == 300 &&
                       !r->blkio.weight_devices[1].has_leaf_weight && r->blkio.weight_devices[1].minor == 16,
               "blockIO.weightDevice");
        CHECK1(r->blkio.n_throttle[CGROUP_THROTTLE_READ_BPS] == 1 &&
                       r->blkio.throttle[CGROUP_THROTTLE_READ_BPS][0].rate == 600 &&
                       r->blkio.n_throttle[CGROUP_THROTTLE_WRITE_IOPS] == 1 &&
                       r->blkio.n_throttle[CGROUP_THROTTLE_WRITE_BPS] == 0,
               "blockIO throttles");
        CHECK1(r->n_hugepage_limits == 2 && streq(r->hugepage_limits[1].page_size, "64KB") &&
                       r->hugepage_limits[0].limit == 209715200,
               "hugepageLimits");
        CHECK1(r->has_net_class_id && r->net_class_id == 1048577 && r->n_net_priorities == 2 &&
                       streq(r->net_priorities[1].name, "eth1") && r->net_priorities[1].priority == 1000,
               "network");
        CHECK1(r->n_rdma == 2 && streq(r->rdma[0].device, "mlx5_1") && r->rdma[0].hca_handles == 3 &&
                       !r->rdma[1].has_hca_handles && r->rdma[1].hca_objects == 1000,
               "rdma");
        CHECK1(strv_length(r->unified_keys) == 2 && streq(r->unified_keys[0], "io.max") &&
                       streq(r->unified_values[1], "1073741824"),
               "unified");
        CHECK1(r->has_devices && r->n_devices == 4, "devices count");
        CHECK1(!r->devices[0].allow && r->devices[0].type == 'a' && r->devices[0].major == -1 &&
                       streq(r->devices[0].access, "rwm"),
               "devices[0]: deny all");
        CHECK1(r->devices[1].allow && r->devices[1].type == 'c' && r->devices[1].major == 10 &&
                       r->devices[1].minor == 229 && streq(r->devices[1].access, "rw"),
               "devices[1]: access normalised to 'rw'");
        CHECK1(r->devices[3].minor == -1 && streq(r->devices[3].access, "rwm"),
               "devices[3]: minor and access default to any");
        cgroup_resources_free(r);

        r = must_parse("null");
        CHECK1(r && !r->memory.has_limit && !r->has_devices && !r->unified_keys, "null: nothing set");
        cgroup_resources_free(r);
        r = must_parse("{\"memory\": null, \"pids\": null, \"devices\": []}");
        CHECK1(r && !r->has_pids_limit && r->has_devices && r->n_devices == 0,
               "null members are unset; empty devices is a (deny-all) list");
        cgroup_resources_free(r);
        r = must_parse("{\"pids\": {\"limit\": 0}, \"cpu\": {\"cpus\": \"\", \"quota\": -1}}");
        CHECK1(r->has_pids_limit && r->pids_limit == 0, "pids.limit 0 is a limit");
        CHECK1(!r->cpu.cpus && r->cpu.quota == -1, "cpus \"\" is unset, quota -1 unlimited");
        cgroup_resources_free(r);
        r = must_parse("{\"cpu\": {\"cpus\": \"0-15:2/4,17\"}}");
        CHECK1(streq_ptr(r->cpu.cpus, "0-15:2/4,17"), "cpu list with stride");
        cgroup_resources_free(r);

        check_parse_error("[]", "linux.resources: expected an object");
        check_parse_error("{\"memory\": 5}", "linux.resources.memory: expected an object");
        check_parse_error("{\"memory\": {\"limit\": \"1G\"}}",
                          "linux.resources.memory.limit: expected an integer");
        check_parse_error("{\"memory\": {\"limit\": -2}}", "linux.resources.memory.limit: must be -1");
        check_parse_error("{\"memory\": {\"reservation\": 1.5}}", "linux.resources.memory.reservation:");
        check_parse_error("{\"memory\": {\"swappiness\": 101}}",
                          "linux.resources.memory.swappiness: must be");
        check_parse_error("{\"memory\": {\"swappiness\": -1}}", "linux.resources.memory.swappiness:");
        check_parse_error("{\"memory\": {\"disableOOMKiller\": 1}}",
                          "linux.resources.memory.disableOOMKiller:");
        check_parse_error("{\"memory\": {\"limit\": 2000, \"swap\": 1000}}", "linux.resources.memory.swap:");
        check_parse_error("{\"memory\": {\"limit\": -1, \"swap\": 1000}}", "linux.resources.memory.swap:");
        check_parse_error("{\"cpu\": {\"shares\": -1}}", "linux.resources.cpu.shares:");
        check_parse_error("{\"cpu\": {\"quota\": 1000, \"burst\": 2000}}", "linux.resources.cpu.burst:");
        check_parse_error("{\"cpu\": {\"cpus\": \"0-3,a\"}}", "linux.resources.cpu.cpus: invalid list");
        check_parse_error("{\"cpu\": {\"mems\": \"3-1\"}}", "linux.resources.cpu.mems: invalid list");
        check_parse_error("{\"cpu\": {\"cpus\": \"1,\"}}", "linux.resources.cpu.cpus:");
        check_parse_error("{\"cpu\": {\"idle\": 2}}", "linux.resources.cpu.idle: must be 0 or 1");
        check_parse_error("{\"cpu\": {\"realtimeRuntime\": -7}}", "linux.resources.cpu.realtimeRuntime:");
        check_parse_error("{\"pids\": {}}", "linux.resources.pids.limit: required");
        check_parse_error("{\"pids\": {\"limit\": -5}}", "linux.resources.pids.limit:");
        check_parse_error("{\"blockIO\": {\"weight\": 70000}}",
                          "linux.resources.blockIO.weight: value 70000");
        check_parse_error("{\"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 5},"
                          "{\"major\": 8, \"minor\": 1}]}}",
                          "linux.resources.blockIO.weightDevice[1]: needs");
        check_parse_error("{\"blockIO\": {\"weightDevice\": [{\"minor\": 0, \"weight\": 5}]}}",
                          "linux.resources.blockIO.weightDevice[0].major: required");
        check_parse_error("{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0}]}}",
                          "linux.resources.blockIO.throttleReadBpsDevice[0].rate: required");
        check_parse_error(
                "{\"blockIO\": {\"throttleWriteIOPSDevice\": [{\"major\": -1, \"minor\": 0, \"rate\": 1}]}}",
                "linux.resources.blockIO.throttleWriteIOPSDevice[0].major: invalid");
        check_parse_error("{\"blockIO\": {\"throttleWriteBpsDevice\": {}}}",
                          "linux.resources.blockIO.throttleWriteBpsDevice: expected an array");
        check_parse_error("{\"hugepageLimits\": [{\"pageSize\": \"2M\", \"limit\": 1}]}",
                          "linux.resources.hugepageLimits[0].pageSize: invalid page size");
        check_parse_error(
                "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 1}, {\"pageSize\": \"1GB\"}]}",
                "linux.resources.hugepageLimits[1].limit: required");
        check_parse_error("{\"network\": {\"classID\": 4294967296}}", "linux.resources.network.classID:");
        check_parse_error("{\"network\": {\"priorities\": [{\"name\": \"eth 0\", \"priority\": 1}]}}",
                          "linux.resources.network.priorities[0].name: invalid interface name");
        check_parse_error("{\"network\": {\"priorities\": [{\"name\": \"eth0\"}]}}",
                          "linux.resources.network.priorities[0].priority: required");
        check_parse_error("{\"rdma\": {\"mlx5_1\": {}}}", "linux.resources.rdma[\"mlx5_1\"]: needs");
        check_parse_error("{\"rdma\": {\"mlx5_1\": {\"hcaHandles\": -1}}}",
                          "linux.resources.rdma[\"mlx5_1\"].hcaHandles:");
        check_parse_error("{\"unified\": {\"../memory.max\": \"1\"}}",
                          "linux.resources.unified[\"../memory.max\"]:");
        check_parse_error("{\"unified\": {\"a/memory.max\": \"1\"}}",
                          "linux.resources.unified[\"a/memory.max\"]:");
        check_parse_error("{\"unified\": {\"..\": \"1\"}}", "linux.resources.unified[\"..\"]:");
        check_parse_error("{\"unified\": {\"memory.max\": 1}}",
                          "linux.resources.unified[\"memory.max\"]: expected a string");
        check_parse_error("{\"devices\": [{\"access\": \"rwm\"}]}",
                          "linux.resources.devices[0].allow: required");
        check_parse_error("{\"devices\": [{\"allow\": false}, {\"allow\": true, \"type\": \"x\"}]}",
                          "linux.resources.devices[1].type: must be");
        check_parse_error("{\"devices\": [{\"allow\": true, \"type\": \"p\"}]}",
                          "linux.resources.devices[0].type:");
        check_parse_error("{\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}",
                          "linux.resources.devices[0].access:");
        check_parse_error("{\"devices\": [{\"allow\": true, \"access\": \"rr\"}]}",
                          "linux.resources.devices[0].access:");
        check_parse_error("{\"devices\": [{\"allow\": true, \"access\": \"\"}]}",
                          "linux.resources.devices[0].access: must not be empty");
        check_parse_error("{\"devices\": [{\"allow\": true, \"type\": \"c\", \"major\": -2}]}",
                          "linux.resources.devices[0].major: invalid");
        check_parse_error("{\"devices\": {}}", "linux.resources.devices: expected an array");
}

static void test_conversions(void)
{
        int64_t v = 0;
        CHECK1(cgroup_cpu_shares_to_weight(2) == 1, "shares 2 -> weight 1");
        CHECK1(cgroup_cpu_shares_to_weight(1024) == 39, "shares 1024 -> weight 39");
        CHECK1(cgroup_cpu_shares_to_weight(262144) == 10000, "shares 262144 -> weight 10000");
        CHECK1(cgroup_cpu_shares_to_weight(1) == 1 && cgroup_cpu_shares_to_weight(1000000) == 10000,
               "shares outside the kernel's range are clamped");
        CHECK1(cgroup_blkio_weight_to_io_weight(10) == 1 &&
                       cgroup_blkio_weight_to_io_weight(1000) == 10000 &&
                       cgroup_blkio_weight_to_io_weight(500) == 4950,
               "blkio weight -> io weight");
        CHECK1(cgroup_swap_to_v2(1000, 3000, &v) == 1 && v == 2000,
               "swap 3000 with limit 1000 -> swap.max 2000");
        CHECK1(cgroup_swap_to_v2(1000, 1000, &v) == 1 && v == 0, "swap == limit -> no swap");
        CHECK1(cgroup_swap_to_v2(1000, -1, &v) == 1 && v == -1, "swap -1 -> max");
        CHECK1(cgroup_swap_to_v2(-1, 0, &v) == 1 && v == -1, "unlimited memory, swap unset -> max");
        CHECK1(cgroup_swap_to_v2(1000, 0, &v) == 0, "swap unset -> nothing");
        CHECK1(cgroup_swap_to_v2(0, 1000, &v) == -EINVAL, "swap without memory limit -> EINVAL");
        CHECK1(cgroup_swap_to_v2(2000, 1000, &v) == -EINVAL, "swap below limit -> EINVAL");
}

static void test_features(void)
{
        _cleanup_json_ json_t *f = cgroup_features();
        CHECK1(f && json_is_true(json_object_get(f, "v1")) && json_is_true(json_object_get(f, "v2")) &&
                       json_is_false(json_object_get(f, "systemd")) &&
                       json_is_false(json_object_get(f, "systemdUser")) &&
                       json_is_true(json_object_get(f, "rdma")),
               "features: linux.cgroup object");
}

static int cmp_pid(const void *a, const void *b)
{
        return *(const pid_t *)a - *(const pid_t *)b;
}

static bool roundtrip_equal(Cgroup *cg)
{
        _cleanup_json_ json_t *a = cgroup_to_json(cg), *b = NULL;
        Cgroup *back = NULL;
        if (!a || cgroup_from_json(a, &back) < 0)
                return false;
        b = cgroup_to_json(back);
        bool eq = b && json_equal(a, b) && streq_ptr(cgroup_get_dir(back, NULL), cgroup_get_dir(cg, NULL)) &&
                  cgroup_get_layout(back) == cgroup_get_layout(cg);
        cgroup_free(back);
        return eq;
}

static int from_json_text(const char *text)
{
        _cleanup_json_ json_t *j = json_loads(text, 0, NULL);
        Cgroup *cg = NULL;
        int r = cgroup_from_json(j, &cg);
        cgroup_free(cg);
        return r;
}

static void test_v2(void)
{
        char root[1024], leaf[2048];
        const char *all = "cpuset cpu io memory hugetlb pids rdma misc\n";
        Cgroup *cg = NULL;
        CgroupResources *res = NULL;
        CgroupLayout layout;
        int r;

        snprintf(root, sizeof(root), "%s/v2", tmp_root);
        put(root, "cgroup.controllers", all);
        put(root, "cgroup.subtree_control", "cpu memory pids\n");
        put(root, "user.slice/cgroup.controllers", all);
        put(root, "user.slice/cgroup.subtree_control", "");
        mkdirs(root, "user.slice/session-1.scope");
        cgroup_set_test_root(root, "0::/user.slice/session-1.scope\n");

        CHECK1(cgroup_detect_layout(&layout) >= 0 && layout == CGROUP_LAYOUT_UNIFIED, "v2: layout unified");

        /* relative: a sibling of our own group (runc's fs2 rule) */
        r = cgroup_new("ctr-1", "ignored", &cg);
        snprintf(leaf, sizeof(leaf), "%s/user.slice/ctr-1", root);
        CHECK1(r >= 0 && streq_ptr(cgroup_get_dir(cg, NULL), leaf),
               "v2: relative path beside the caller's group");
        CHECK1(cg && streq_ptr(cgroup_get_dir(cg, "memory"), leaf), "v2: every controller is the one dir");
        Cgroup *other = NULL;
        char want[4096];
        snprintf(want, sizeof(want), "%s/user.slice/my-id", root);
        CHECK1(cgroup_new(NULL, "my-id", &other) >= 0 && streq_ptr(cgroup_get_dir(other, NULL), want),
               "v2: no cgroupsPath -> id");
        other = cgroup_free(other);
        snprintf(want, sizeof(want), "%s/machine/abs", root);
        CHECK1(cgroup_new("/machine/abs", "x", &other) >= 0 && streq_ptr(cgroup_get_dir(other, NULL), want),
               "v2: absolute path from the root");
        other = cgroup_free(other);

        CHECK1(cgroup_create(cg) >= 0 && exists(root, "user.slice/ctr-1"), "v2: create");
        put(leaf, "memory.swap.max", "max\n");
        put(leaf, "memory.current", "1000\n");
        put(leaf, "cpu.max", "max 100000\n");

        res = must_parse(
                "{\"memory\": {\"limit\": 268435456, \"swap\": 536870912, \"reservation\": 134217728},"
                " \"cpu\": {\"shares\": 1024, \"quota\": 50000, \"period\": 100000, \"burst\": 10000,"
                "          \"cpus\": \"0-1\", \"mems\": \"0\"},"
                " \"pids\": {\"limit\": 100},"
                " \"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 200}],"
                "   \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1048576}],"
                "   \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 0}]},"
                " \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}],"
                " \"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3}},"
                " \"devices\": [{\"allow\": false, \"access\": \"rwm\"}],"
                " \"unified\": {\"memory.high\": \"200000000\", \"misc.max\": \"res_a 1\\nres_b 2\"}}");
        r = cgroup_apply(cg, res);
        CHECK1(r >= 0, "v2: apply (%d, %s)", r, cgroup_last_error_path());
        CHECK1(streq_get(leaf, "memory.max", "268435456"), "v2: memory.max");
        CHECK1(streq_get(leaf, "memory.swap.max", "268435456"), "v2: memory.swap.max = swap - limit");
        CHECK1(streq_get(leaf, "memory.low", "134217728"), "v2: memory.low from reservation");
        CHECK1(streq_get(leaf, "cpu.weight", "39"), "v2: cpu.weight from shares 1024");
        CHECK1(streq_get(leaf, "cpu.max", "50000 100000"), "v2: cpu.max");
        CHECK1(streq_get(leaf, "cpu.max.burst", "10000"), "v2: cpu.max.burst");
        CHECK1(streq_get(leaf, "cpuset.cpus", "0-1") && streq_get(leaf, "cpuset.mems", "0"), "v2: cpuset");
        CHECK1(streq_get(leaf, "pids.max", "100"), "v2: pids.max");
        CHECK1(streq_get(leaf, "io.weight", "8:0 1920\n"), "v2: io.weight per device, converted");
        CHECK1(streq_get(leaf, "io.max", "8:0 rbps=1048576\n8:16 wiops=max\n"), "v2: io.max lines");
        CHECK1(streq_get(leaf, "hugetlb.2MB.max", "4194304"), "v2: hugetlb.2MB.max");
        CHECK1(!exists(leaf, "hugetlb.2MB.rsvd.max"), "v2: no rsvd file, none written");
        CHECK1(streq_get(leaf, "rdma.max", "mlx5_1 hca_handle=3\n"), "v2: rdma.max");
        CHECK1(streq_get(leaf, "memory.high", "200000000"), "v2: unified key written as given");
        CHECK1(streq_get(leaf, "misc.max", "res_a 1\nres_b 2\n"),
               "v2: unified multi-line value, a write per line");
        CHECK1(!exists(leaf, "devices.allow") && !exists(leaf, "devices.deny"), "v2: no v1 device files");
        CHECK1(streq_get(root, "user.slice/cgroup.subtree_control",
                         "+cpuset +cpu +io +memory +hugetlb +pids +rdma +misc"),
               "v2: parent's subtree_control gets the needed controllers in kernel order");
        CHECK1(streq_get(root, "cgroup.subtree_control", "+cpuset +io +hugetlb +rdma +misc"),
               "v2: root's subtree_control gets only the missing ones");
        res = cgroup_resources_free(res);

        /* update: a period alone keeps the quota */
        res = must_parse("{\"cpu\": {\"period\": 200000}}");
        CHECK1(cgroup_apply(cg, res) >= 0 && streq_get(leaf, "cpu.max", "50000 200000"),
               "v2: period-only update");
        res = cgroup_resources_free(res);
        res = must_parse("{\"cpu\": {\"quota\": -1}}");
        CHECK1(cgroup_apply(cg, res) >= 0 && streq_get(leaf, "cpu.max", "max"),
               "v2: quota -1 alone -> \"max\"");
        res = cgroup_resources_free(res);
        res = must_parse("{\"memory\": {\"limit\": -1}, \"pids\": {\"limit\": -1}}");
        CHECK1(cgroup_apply(cg, res) >= 0 && streq_get(leaf, "memory.max", "max") &&
                       streq_get(leaf, "memory.swap.max", "max") && streq_get(leaf, "pids.max", "max"),
               "v2: -1 -> max, swap follows an unlimited memory");
        res = cgroup_resources_free(res);
        res = must_parse("{\"pids\": {\"limit\": 0}}");
        CHECK1(cgroup_apply(cg, res) >= 0 && streq_get(leaf, "pids.max", "0"),
               "v2: pids.limit 0 written as 0");
        res = cgroup_resources_free(res);
        put(leaf, "io.bfq.weight", "100\n");
        res = must_parse("{\"blockIO\": {\"weight\": 300}}");
        CHECK1(cgroup_apply(cg, res) >= 0 && streq_get(leaf, "io.bfq.weight", "300"),
               "v2: blkio weight goes to io.bfq.weight as is when BFQ is there");
        res = cgroup_resources_free(res);

        /* failures name what failed */
        res = must_parse("{\"memory\": {\"swap\": 1000}}");
        r = cgroup_apply(cg, res);
        CHECK1(r == -EINVAL && startswith(cgroup_last_error_path(), "linux.resources.memory.swap"),
               "v2: swap without a memory limit fails (%d, %s)", r, cgroup_last_error_path());
        res = cgroup_resources_free(res);
        res = must_parse("{\"unified\": {\"foo.bar\": \"1\"}}");
        r = cgroup_apply(cg, res);
        CHECK1(r == -EOPNOTSUPP && strstr(cgroup_last_error_path(), "cgroup.controllers (foo)"),
               "v2: unified key of an absent controller fails (%d, %s)", r, cgroup_last_error_path());
        res = cgroup_resources_free(res);
        res = must_parse("{\"network\": {\"classID\": 1}}");
        CHECK1(cgroup_apply(cg, res) == -EOPNOTSUPP &&
                       startswith(cgroup_last_error_path(), "linux.resources.network"),
               "v2: network (v1 only) fails");
        res = cgroup_resources_free(res);
        res = must_parse("{\"cpu\": {\"realtimeRuntime\": 1000}}");
        CHECK1(cgroup_apply(cg, res) == -EOPNOTSUPP, "v2: realtime fails");
        res = cgroup_resources_free(res);
        put(leaf, "memory.current", "1000000\n");
        res = must_parse("{\"memory\": {\"limit\": 4096, \"checkBeforeUpdate\": true}}");
        r = cgroup_apply(cg, res);
        CHECK1(r == -EBUSY && strstr(cgroup_last_error_path(), "memory.max (below current usage)"),
               "v2: checkBeforeUpdate refuses a limit below usage (%d, %s)", r, cgroup_last_error_path());
        res = cgroup_resources_free(res);
        mkdirs(leaf, "pids.max.d");
        mkdirs(root, "user.slice/ctr-1/sub");
        snprintf(want, sizeof(want), "%s/pids.max", leaf);
        (void)unlink(want);
        mkdirs(leaf, "pids.max");
        res = must_parse("{\"pids\": {\"limit\": 5}}");
        r = cgroup_apply(cg, res);
        CHECK1(r == -EISDIR && streq(cgroup_last_error_path(), want),
               "v2: write error returns -errno and the file (%d, %s)", r, cgroup_last_error_path());
        res = cgroup_resources_free(res);
        snprintf(want, sizeof(want), "%s/pids.max", leaf);
        (void)rmdir(want);
        snprintf(want, sizeof(want), "%s/pids.max.d", leaf);
        (void)rmdir(want);

        /* processes, freezing, stats */
        put(leaf, "cgroup.procs", "10\n11\n");
        put(leaf, "sub/cgroup.procs", "12\n");
        pid_t *pids = NULL;
        size_t n = 0;
        r = cgroup_get_pids(cg, &pids, &n);
        if (r >= 0)
                qsort(pids, n, sizeof(pid_t), cmp_pid);
        CHECK1(r >= 0 && n == 3 && pids[0] == 10 && pids[1] == 11 && pids[2] == 12,
               "v2: get_pids includes child groups");
        free(pids);
        put(leaf, "cgroup.freeze", "0\n");
        put(leaf, "cgroup.events", "populated 1\nfrozen 1\n");
        bool frozen = false;
        CHECK1(cgroup_freeze(cg, true) >= 0 && streq_get(leaf, "cgroup.freeze", "1"),
               "v2: freeze writes cgroup.freeze");
        CHECK1(cgroup_is_frozen(cg, &frozen) >= 0 && frozen, "v2: frozen per cgroup.events");
        put(leaf, "cgroup.events", "populated 1\nfrozen 0\n");
        CHECK1(cgroup_freeze(cg, false) >= 0 && streq_get(leaf, "cgroup.freeze", "0"), "v2: thaw");
        CHECK1(cgroup_is_frozen(cg, &frozen) >= 0 && !frozen, "v2: not frozen");

        put(leaf, "memory.current", "1000\n");
        put(leaf, "memory.peak", "2000\n");
        put(leaf, "memory.max", "max\n");
        put(leaf, "pids.current", "3\n");
        put(leaf, "pids.max", "100\n");
        put(leaf, "cpu.stat", "usage_usec 5\nuser_usec 3\nsystem_usec 2\n");
        json_t *st = NULL;
        CHECK1(cgroup_stats(cg, &st) >= 0, "v2: stats");
        if (st) {
                json_t *m = json_object_get(st, "memory"), *p = json_object_get(st, "pids"),
                       *c = json_object_get(st, "cpu");
                CHECK1(json_integer_value(json_object_get(m, "usage")) == 1000 &&
                               json_integer_value(json_object_get(m, "max_usage")) == 2000 &&
                               json_is_null(json_object_get(m, "limit")),
                       "v2: memory stats, limit null when unlimited");
                CHECK1(json_integer_value(json_object_get(p, "current")) == 3 &&
                               json_integer_value(json_object_get(p, "limit")) == 100,
                       "v2: pids stats");
                CHECK1(json_integer_value(json_object_get(c, "usage_ns")) == 5000, "v2: cpu usage in ns");
                json_decref(st);
        }

        char **names = NULL, **dirs = NULL;
        CHECK1(cgroup_mount_sources(cg, &names, &dirs) >= 0 && strv_length(names) == 1 &&
                       streq(names[0], "") && streq(dirs[0], leaf),
               "v2: one mount source named \"\"");
        strv_free(names);
        strv_free(dirs);

        CHECK1(roundtrip_equal(cg), "v2: to_json/from_json round trip");

        CHECK1(cgroup_destroy(cg) >= 0 && !exists(root, "user.slice/ctr-1") && exists(root, "user.slice"),
               "v2: destroy removes the group and its children, not the parent");
        cg = cgroup_free(cg);

        /* parents it made go too; parents it found stay */
        CHECK1(cgroup_new("a/b/c", NULL, &cg) >= 0 && cgroup_create(cg) >= 0 &&
                       exists(root, "user.slice/a/b/c"),
               "v2: nested create");
        {
                _cleanup_json_ json_t *j = cgroup_to_json(cg);
                json_t *h = json_array_get(json_object_get(j, "hierarchies"), 0);
                CHECK1(json_integer_value(json_object_get(h, "created")) == 3,
                       "v2: three components created (%lld)",
                       (long long)json_integer_value(json_object_get(h, "created")));
        }
        /* the kernel gives each new group these; the fake tree needs them by hand */
        put(root, "user.slice/a/cgroup.controllers", all);
        put(root, "user.slice/a/cgroup.subtree_control", "");
        put(root, "user.slice/a/b/cgroup.controllers", all);
        put(root, "user.slice/a/b/cgroup.subtree_control", "");
        r = cgroup_apply(cg, NULL);
        CHECK1(r >= 0, "v2: apply NULL only delegates (%d, %s)", r, cgroup_last_error_path());
        CHECK1(streq_get(root, "user.slice/a/b/cgroup.subtree_control", "+memory +pids") &&
                       !exists(root, "user.slice/a/b/c/cgroup.subtree_control"),
               "v2: accounting controllers down to the parent, not the group itself");
        CHECK1(cgroup_destroy(cg) >= 0 && !exists(root, "user.slice/a") && exists(root, "user.slice"),
               "v2: destroy removes created parents");
        cg = cgroup_free(cg);

        CHECK1(from_json_text(
                       "{\"layout\":\"unified\",\"hierarchies\":[{\"controllers\":\"\",\"mount\":\"/x\","
                       "\"path\":\"/a/../b\",\"created\":1,\"unified\":true}]}") == -EINVAL,
               "from_json: '..' rejected");
        CHECK1(from_json_text(
                       "{\"layout\":\"unified\",\"hierarchies\":[{\"controllers\":\"\",\"mount\":\"/x\","
                       "\"path\":\"/a\",\"created\":2,\"unified\":true}]}") == -EINVAL,
               "from_json: more created than components rejected");
        CHECK1(from_json_text("{\"layout\":\"sideways\",\"hierarchies\":[]}") == -EINVAL,
               "from_json: bad layout");
        CHECK1(from_json_text(
                       "{\"layout\":\"unified\",\"hierarchies\":[{\"controllers\":\"\",\"mount\":\"/x\","
                       "\"path\":\"/a\",\"created\":1,\"unified\":true}]}") == 0,
               "from_json: valid");
}

static void test_v1(void)
{
        char root[1024], want[4096];
        Cgroup *cg = NULL;
        CgroupResources *res = NULL;
        CgroupLayout layout;
        int r;

        snprintf(root, sizeof(root), "%s/v1", tmp_root);
        mkdirs(root, "memory/a/m");
        mkdirs(root, "cpu,cpuacct/cc");
        put(root, "cpuset/cpuset.cpus", "0-3\n");
        put(root, "cpuset/cpuset.mems", "0\n");
        put(root, "cpuset/c/cpuset.cpus", "0-1\n");
        put(root, "cpuset/c/cpuset.mems", "0\n");
        mkdirs(root, "pids");
        mkdirs(root, "freezer/f");
        mkdirs(root, "devices");
        mkdirs(root, "blkio");
        mkdirs(root, "systemd/sd");
        put(root, "unified/cgroup.controllers", "\n");
        mkdirs(root, "unified/u");
        snprintf(want, sizeof(want), "%s/cpu", root);
        (void)symlink("cpu,cpuacct", want);
        snprintf(want, sizeof(want), "%s/cpuacct", root);
        (void)symlink("cpu,cpuacct", want);
        cgroup_set_test_root(root,
                             "12:memory:/a/m\n11:cpuacct,cpu:/cc\n10:pids:/\n9:cpuset:/c\n8:freezer:/f\n"
                             "7:devices:/\n6:blkio:/\n1:name=systemd:/sd\n0::/u\n");

        CHECK1(cgroup_detect_layout(&layout) >= 0 && layout == CGROUP_LAYOUT_HYBRID, "v1: layout hybrid");
        r = cgroup_new("ctr/x", "id", &cg);
        CHECK1(r >= 0, "v1: new (%d, %s)", r, cgroup_last_error_path());
        if (r < 0)
                return;
#define DIR_IS(ctl, rel) \
        do { \
                snprintf(want, sizeof(want), "%s/%s", root, rel); \
                CHECK1(streq_ptr(cgroup_get_dir(cg, ctl), want), "v1: %s group at %s (got %s)", \
                       ctl ?: "primary", rel, strempty(cgroup_get_dir(cg, ctl))); \
        } while (0)
        DIR_IS("memory", "memory/a/m/ctr/x");
        DIR_IS("cpu", "cpu,cpuacct/cc/ctr/x");
        DIR_IS("cpuacct", "cpu,cpuacct/cc/ctr/x");
        DIR_IS("cpuset", "cpuset/c/ctr/x");
        DIR_IS("pids", "pids/ctr/x");
        DIR_IS("name=systemd", "systemd/sd/ctr/x");
        DIR_IS(NULL, "pids/ctr/x");
        CHECK1(cgroup_get_dir(cg, "hugetlb") == NULL, "v1: no hugetlb hierarchy");

        char **names = NULL, **dirs = NULL;
        r = cgroup_mount_sources(cg, &names, &dirs);
        CHECK1(r >= 0 && strv_length(names) == 9, "v1: nine mount sources (%zu)", strv_length(names));
        bool saw_cpu = false, saw_sd = false, saw_uni = false;
        for (size_t i = 0; names && names[i]; i++) {
                if (streq(names[i], "cpu,cpuacct"))
                        saw_cpu = true;
                if (streq(names[i], "systemd"))
                        saw_sd = true;
                snprintf(want, sizeof(want), "%s/unified/u/ctr/x", root);
                if (streq(names[i], "unified") && streq(dirs[i], want))
                        saw_uni = true;
        }
        CHECK1(saw_cpu && saw_sd && saw_uni, "v1: sources 'cpu,cpuacct', 'systemd', 'unified' (tracking)");
        strv_free(names);
        strv_free(dirs);

        Cgroup *abs = NULL;
        CHECK1(cgroup_new("/abs/y", "id", &abs) >= 0, "v1: absolute path");
        if (abs) {
                snprintf(want, sizeof(want), "%s/memory/abs/y", root);
                CHECK1(streq_ptr(cgroup_get_dir(abs, "memory"), want),
                       "v1: absolute path ignores the caller's group");
                snprintf(want, sizeof(want), "%s/cpu,cpuacct/abs/y", root);
                CHECK1(streq_ptr(cgroup_get_dir(abs, "cpu"), want), "v1: absolute path in cpu,cpuacct");
                abs = cgroup_free(abs);
        }
        static const char *const bad[] = {"..", "a/../b", "/..", "a/..", "./a", "a//b", "a/", "/", "a\nb"};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                Cgroup *x = NULL;
                _cleanup_free_ char *shown = json_escape_string(bad[i]); /* keep TAP on one line */
                CHECK1(cgroup_new(bad[i], "id", &x) == -EINVAL && !x, "v1: cgroupsPath %s rejected",
                       strempty(shown));
        }
        Cgroup *x = NULL;
        CHECK1(cgroup_new(NULL, "a/b", &x) == -EINVAL && !x, "v1: id with '/' rejected");
        CHECK1(cgroup_new("", NULL, &x) == -EINVAL && !x, "v1: no path, no id rejected");
        cgroup_set_test_root(root, "12:memory:/a/m\n0::/u\n");
        CHECK1(cgroup_new("rel", "id", &x) == -ENOENT && !x,
               "v1: hierarchy missing in /proc/self/cgroup fails");
        CHECK1(cgroup_new("/abs", "id", &x) >= 0, "v1: ... but an absolute path needs no caller group");
        x = cgroup_free(x);
        cgroup_set_test_root(root, "6:blkio:/../..\n0::/u\n");
        CHECK1(cgroup_new("rel", "id", &x) == -EINVAL && !x, "v1: caller outside its cgroupns root refused");
        cgroup_set_test_root(root,
                             "12:memory:/a/m\n11:cpuacct,cpu:/cc\n10:pids:/\n9:cpuset:/c\n8:freezer:/f\n"
                             "7:devices:/\n6:blkio:/\n1:name=systemd:/sd\n0::/u\n");

        r = cgroup_create(cg);
        CHECK1(r >= 0, "v1: create (%d, %s)", r, cgroup_last_error_path());
        CHECK1(exists(root, "memory/a/m/ctr/x") && exists(root, "cpu,cpuacct/cc/ctr/x") &&
                       exists(root, "systemd/sd/ctr/x") && exists(root, "unified/u/ctr/x") &&
                       exists(root, "pids/ctr/x") && exists(root, "devices/ctr/x"),
               "v1: group made in every hierarchy");
        CHECK1(streq_get(root, "cpuset/c/ctr/cpuset.cpus", "0-1") &&
                       streq_get(root, "cpuset/c/ctr/x/cpuset.cpus", "0-1") &&
                       streq_get(root, "cpuset/c/ctr/x/cpuset.mems", "0"),
               "v1: cpuset cpus/mems copied down from the parent");

        snprintf(want, sizeof(want), "%s/memory/a/m/ctr/x", root);
        put(want, "memory.memsw.limit_in_bytes", "9223372036854771712\n");
        snprintf(want, sizeof(want), "%s/blkio/ctr/x", root);
        put(want, "blkio.bfq.weight", "100\n");
        put(want, "blkio.bfq.weight_device", "");
        res = must_parse(
                "{\"memory\": {\"limit\": 67108864, \"swap\": 134217728, \"reservation\": 33554432,"
                "   \"kernel\": 1000, \"swappiness\": 10, \"disableOOMKiller\": true},"
                " \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"burst\": 1000,"
                "   \"cpus\": \"1\", \"idle\": 1},"
                " \"pids\": {\"limit\": -1},"
                " \"blockIO\": {\"weight\": 300, \"leafWeight\": 20,"
                "   \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 200}],"
                "   \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 100},"
                "                             {\"major\": 8, \"minor\": 16, \"rate\": 200}]},"
                " \"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
                "   {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rw\"},"
                "   {\"allow\": true, \"type\": \"b\", \"major\": 8},"
                "   {\"allow\": false, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"w\"}]}");
        r = cgroup_apply(cg, res);
        CHECK1(r >= 0, "v1: apply (%d, %s)", r, cgroup_last_error_path());
        res = cgroup_resources_free(res);
        snprintf(want, sizeof(want), "%s/memory/a/m/ctr/x", root);
        CHECK1(streq_get(want, "memory.limit_in_bytes", "67108864"), "v1: memory.limit_in_bytes");
        CHECK1(streq_get(want, "memory.memsw.limit_in_bytes", "134217728"),
               "v1: memsw is memory+swap as given");
        CHECK1(streq_get(want, "memory.soft_limit_in_bytes", "33554432"), "v1: soft limit from reservation");
        CHECK1(streq_get(want, "memory.swappiness", "10"), "v1: swappiness");
        CHECK1(streq_get(want, "memory.oom_control", "1"), "v1: oom_control");
        CHECK1(!exists(want, "memory.kmem.limit_in_bytes"),
               "v1: kernel memory limit not written (deprecated)");
        snprintf(want, sizeof(want), "%s/cpu,cpuacct/cc/ctr/x", root);
        CHECK1(streq_get(want, "cpu.shares", "512"), "v1: cpu.shares");
        CHECK1(streq_get(want, "cpu.cfs_period_us", "100000") &&
                       streq_get(want, "cpu.cfs_quota_us", "50000"),
               "v1: cfs period and quota");
        CHECK1(streq_get(want, "cpu.cfs_burst_us", "1000") && streq_get(want, "cpu.idle", "1"),
               "v1: burst, idle");
        CHECK1(streq_get(root, "cpuset/c/ctr/x/cpuset.cpus", "1"), "v1: cpuset.cpus");
        CHECK1(streq_get(root, "pids/ctr/x/pids.max", "max"), "v1: pids -1 -> max");
        snprintf(want, sizeof(want), "%s/blkio/ctr/x", root);
        CHECK1(streq_get(want, "blkio.bfq.weight", "300"),
               "v1: weight to blkio.bfq.weight when only BFQ's exists");
        CHECK1(!exists(want, "blkio.leaf_weight"), "v1: leaf weight skipped without CFQ");
        CHECK1(streq_get(want, "blkio.bfq.weight_device", "8:0 200\n"), "v1: per-device weight");
        CHECK1(streq_get(want, "blkio.throttle.read_bps_device", "8:0 100\n8:16 200\n"),
               "v1: throttle lines");
        snprintf(want, sizeof(want), "%s/devices/ctr/x", root);
        CHECK1(streq_get(want, "devices.deny", "a\na\nc 1:3 w\n"),
               "v1: devices.deny: reset, then deny rules in order");
        CHECK1(streq_get(want, "devices.allow", "c 1:3 rw\nb 8:* rwm\n"), "v1: devices.allow rules");

        res = must_parse("{\"unified\": {\"memory.high\": \"1\"}}");
        r = cgroup_apply(cg, res);
        CHECK1(r == -EOPNOTSUPP && startswith(cgroup_last_error_path(), "linux.resources.unified"),
               "v1: unified refused on a v1 host");
        res = cgroup_resources_free(res);
        res = must_parse("{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 1}]}");
        CHECK1(cgroup_apply(cg, res) == -EOPNOTSUPP &&
                       streq(cgroup_last_error_path(), "linux.resources.hugepageLimits"),
               "v1: limit for an absent controller fails");
        res = cgroup_resources_free(res);
        res = must_parse("{\"network\": {\"classID\": 7}}");
        CHECK1(cgroup_apply(cg, res) == -EOPNOTSUPP, "v1: net_cls absent fails");
        res = cgroup_resources_free(res);

        Cgroup *y = NULL;
        CHECK1(cgroup_new("ctr/y", "id", &y) >= 0 && cgroup_create(y) >= 0, "v1: second group");
        res = must_parse("{\"memory\": {\"limit\": 100, \"swap\": 200}}");
        r = cgroup_apply(y, res);
        snprintf(want, sizeof(want), "%s/memory/a/m/ctr/y/memory.memsw.limit_in_bytes", root);
        CHECK1(r == -EOPNOTSUPP && streq(cgroup_last_error_path(), want),
               "v1: swap without swap accounting fails (%d, %s)", r, cgroup_last_error_path());
        res = cgroup_resources_free(res);
        res = must_parse("{\"memory\": {\"limit\": 100, \"swap\": -1}}");
        snprintf(want, sizeof(want), "%s/memory/a/m/ctr/y", root);
        CHECK1(cgroup_apply(y, res) >= 0 && streq_get(want, "memory.limit_in_bytes", "100"),
               "v1: swap -1 without swap accounting is fine");
        res = cgroup_resources_free(res);
        CHECK1(cgroup_destroy(y) >= 0 && !exists(root, "memory/a/m/ctr/y") &&
                       exists(root, "memory/a/m/ctr/x"),
               "v1: destroying y leaves x and the shared parent");
        y = cgroup_free(y);

        CHECK1(cgroup_enter(cg, 4242) >= 0, "v1: enter");
        CHECK1(streq_get(root, "memory/a/m/ctr/x/cgroup.procs", "4242") &&
                       streq_get(root, "systemd/sd/ctr/x/cgroup.procs", "4242") &&
                       streq_get(root, "unified/u/ctr/x/cgroup.procs", "4242"),
               "v1: pid written in every hierarchy, tracking one included");
        pid_t *pids = NULL;
        size_t n = 0;
        CHECK1(cgroup_get_pids(cg, &pids, &n) >= 0 && n == 1 && pids[0] == 4242, "v1: get_pids from pids");
        free(pids);

        bool frozen = true;
        CHECK1(cgroup_freeze(cg, true) >= 0 && streq_get(root, "freezer/f/ctr/x/freezer.state", "FROZEN"),
               "v1: freeze");
        CHECK1(cgroup_is_frozen(cg, &frozen) >= 0 && frozen, "v1: is frozen");
        CHECK1(cgroup_freeze(cg, false) >= 0 && streq_get(root, "freezer/f/ctr/x/freezer.state", "THAWED"),
               "v1: thaw");

        snprintf(want, sizeof(want), "%s/memory/a/m/ctr/x", root);
        put(want, "memory.usage_in_bytes", "4096\n");
        put(want, "memory.limit_in_bytes", "9223372036854771712\n");
        snprintf(want, sizeof(want), "%s/cpu,cpuacct/cc/ctr/x", root);
        put(want, "cpuacct.usage", "12345\n");
        json_t *st = NULL;
        CHECK1(cgroup_stats(cg, &st) >= 0, "v1: stats");
        if (st) {
                json_t *m = json_object_get(st, "memory");
                CHECK1(json_integer_value(json_object_get(m, "usage")) == 4096 &&
                               json_is_null(json_object_get(m, "limit")) && !json_object_get(m, "max_usage"),
                       "v1: memory stats; v1 'unlimited' is null; unknown left out");
                CHECK1(json_integer_value(json_object_get(json_object_get(st, "cpu"), "usage_ns")) == 12345,
                       "v1: cpuacct.usage");
                json_decref(st);
        }

        CHECK1(roundtrip_equal(cg), "v1: to_json/from_json round trip");
        {
                _cleanup_json_ json_t *j = cgroup_to_json(cg);
                Cgroup *back = NULL;
                snprintf(want, sizeof(want), "%s/cpu,cpuacct/cc/ctr/x", root);
                CHECK1(cgroup_from_json(j, &back) >= 0 && streq_ptr(cgroup_get_dir(back, "cpuacct"), want) &&
                               cgroup_get_layout(back) == CGROUP_LAYOUT_HYBRID,
                       "v1: restored paths per hierarchy");
                /* destroy through the restored object, as 'delete' would */
                r = cgroup_destroy(back);
                CHECK1(r >= 0, "v1: destroy (%d, %s)", r, cgroup_last_error_path());
                cgroup_free(back);
        }
        CHECK1(!exists(root, "memory/a/m/ctr") && !exists(root, "cpu,cpuacct/cc/ctr") &&
                       !exists(root, "pids/ctr") && !exists(root, "unified/u/ctr") &&
                       !exists(root, "cpuset/c/ctr"),
               "v1: groups and the parents made for them are gone");
        CHECK1(exists(root, "memory/a/m") && exists(root, "cpuset/c/cpuset.cpus"),
               "v1: the caller's groups stay");
        cgroup_free(cg);
}

/* ---- the real thing ---- */

static pid_t spawn_sleeper(void)
{
        pid_t pid = fork();
        if (pid == 0) {
                for (;;)
                        pause();
        }
        return pid;
}

static bool pid_in(Cgroup *cg, pid_t pid)
{
        pid_t *pids = NULL;
        size_t n = 0;
        bool found = false;
        if (cgroup_get_pids(cg, &pids, &n) < 0)
                return false;
        for (size_t i = 0; i < n; i++)
                found = found || pids[i] == pid;
        free(pids);
        return found;
}

/* The signal that ended pid, 0 for an exit, -1 if it is still around after 10 s: a test must
 * not hang on a child left frozen. */
static int killed_by(pid_t pid)
{
        for (unsigned i = 0; i < 1000; i++) {
                int status;
                pid_t k = waitpid(pid, &status, WNOHANG);
                if (k == pid)
                        return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
                if (k < 0)
                        return -1;
                usleep(10000);
        }
        printf("# child %d did not die\n", (int)pid);
        return -1;
}

static bool real_equals(Cgroup *cg, const char *controller, const char *file, const char *want)
{
        const char *dir = cgroup_get_dir(cg, controller);
        return dir && streq_get(dir, file, want);
}

static void test_real(void)
{
        const char *env = getenv("CTR_TEST_REAL_CGROUP");
        struct stat st;
        if (!env || !streq(env, "1")) {
                printf("# real cgroupfs round skipped: CTR_TEST_REAL_CGROUP=1 not set\n");
                return;
        }
        if (geteuid() != 0 || stat("/sys/fs/cgroup/memory/memory.limit_in_bytes", &st) < 0) {
                printf("# real cgroupfs round skipped: needs root and the v1 memory controller\n");
                return;
        }
        cgroup_set_test_root(NULL, NULL);

        char name[64];
        Cgroup *cg = NULL;
        CgroupLayout layout;
        pid_t kids[3] = {-1, -1, -1};
        char **names = NULL, **dirs = NULL;
        int r;

        snprintf(name, sizeof(name), "ctr-test-%d", (int)getpid());
        CHECK1(cgroup_detect_layout(&layout) >= 0 && layout != CGROUP_LAYOUT_UNIFIED, "real: layout %s",
               cgroup_layout_to_string(layout));
        r = cgroup_new(name, NULL, &cg);
        CHECK1(r >= 0, "real: new %s (%d, %s)", name, r, cgroup_last_error_path());
        if (r < 0)
                return;
        r = cgroup_mount_sources(cg, &names, &dirs);
        CHECK1(r >= 0 && strv_length(names) > 1, "real: %zu hierarchies", strv_length(names));
        for (size_t i = 0; names && names[i]; i++)
                printf("#   %s -> %s\n", names[i], dirs[i]);

        r = cgroup_create(cg);
        CHECK1(r >= 0, "real: create (%d, %s)", r, cgroup_last_error_path());
        if (r < 0)
                goto finish;
        CgroupResources *res = must_parse("{\"memory\": {\"limit\": 67108864}, \"pids\": {\"limit\": 10},"
                                          " \"cpu\": {\"quota\": 50000, \"period\": 100000}}");
        r = cgroup_apply(cg, res);
        cgroup_resources_free(res);
        CHECK1(r >= 0, "real: apply (%d, %s)", r, cgroup_last_error_path());
        CHECK1(real_equals(cg, "memory", "memory.limit_in_bytes", "67108864\n"),
               "real: memory.limit_in_bytes");
        CHECK1(real_equals(cg, "pids", "pids.max", "10\n"), "real: pids.max");
        CHECK1(real_equals(cg, "cpu", "cpu.cfs_quota_us", "50000\n") &&
                       real_equals(cg, "cpu", "cpu.cfs_period_us", "100000\n"),
               "real: cfs quota/period");

        for (size_t i = 0; i < 2; i++) {
                kids[i] = spawn_sleeper();
                CHECK1(kids[i] > 0 && cgroup_enter(cg, kids[i]) >= 0, "real: child %d entered",
                       (int)kids[i]);
        }
        CHECK1(pid_in(cg, kids[0]) && pid_in(cg, kids[1]), "real: get_pids finds the children");
        {
                char p[64];
                _cleanup_free_ char *text = NULL;
                snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)kids[0]);
                CHECK1(read_full_file(p, 65536, &text, NULL) >= 0 && strstr(text, name),
                       "real: /proc/PID/cgroup names the group");
        }

        bool frozen = false;
        r = cgroup_freeze(cg, true);
        CHECK1(r >= 0, "real: freeze (%d, %s)", r, cgroup_last_error_path());
        CHECK1(cgroup_is_frozen(cg, &frozen) >= 0 && frozen, "real: is frozen");
        CHECK1(cgroup_freeze(cg, false) >= 0 && cgroup_is_frozen(cg, &frozen) >= 0 && !frozen,
               "real: thawed");

        /* not SIGKILL: the freeze, signal each, thaw path */
        r = cgroup_kill_all(cg, SIGTERM);
        CHECK1(r >= 0, "real: kill_all(SIGTERM) (%d)", r);
        int s0 = killed_by(kids[0]), s1 = killed_by(kids[1]);
        CHECK1(s0 == SIGTERM && s1 == SIGTERM, "real: both children got SIGTERM (%d, %d)", s0, s1);
        if (s0 >= 0)
                kids[0] = -1;
        if (s1 >= 0)
                kids[1] = -1;
        CHECK1(cgroup_is_frozen(cg, &frozen) >= 0 && !frozen, "real: left thawed");

        kids[2] = spawn_sleeper();
        CHECK1(kids[2] > 0 && cgroup_enter(cg, kids[2]) >= 0, "real: third child entered");
        CHECK1(cgroup_freeze(cg, true) >= 0, "real: frozen again");
        r = cgroup_kill_all(cg, SIGKILL);
        CHECK1(r >= 0, "real: kill_all(SIGKILL) on a frozen group (%d)", r);
        int s2 = killed_by(kids[2]);
        CHECK1(s2 == SIGKILL, "real: third child got SIGKILL (%d)", s2);
        if (s2 >= 0)
                kids[2] = -1;
        CHECK1(cgroup_is_frozen(cg, &frozen) >= 0 && !frozen, "real: killing a paused group thaws it");

finish:
        (void)cgroup_freeze(cg, false);
        for (size_t i = 0; i < ELEMENTSOF(kids); i++)
                if (kids[i] > 0) {
                        kill(kids[i], SIGKILL);
                        (void)killed_by(kids[i]);
                }
        r = cgroup_destroy(cg);
        CHECK1(r >= 0, "real: destroy (%d, %s)", r, cgroup_last_error_path());
        bool gone = true;
        for (size_t i = 0; dirs && dirs[i]; i++)
                if (stat(dirs[i], &st) >= 0 || errno != ENOENT) {
                        printf("#   still there: %s\n", dirs[i]);
                        gone = false;
                }
        CHECK1(gone, "real: every directory removed");
        strv_free(names);
        strv_free(dirs);
        cgroup_free(cg);
}

int main(void)
{
        if (!mkdtemp(tmp_root)) {
                printf("1..0 # SKIP cannot make a temporary directory: %m\n");
                return 77;
        }
        test_parse();
        test_conversions();
        test_features();
        test_v2();
        test_v1();
        cgroup_set_test_root(NULL, NULL);
        (void)rm_rf_at(AT_FDCWD, tmp_root);
        test_real();
        return tap_done();
}
