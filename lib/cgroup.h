/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* cgroupfs driver: linux.resources written to cgroup v2 (pure unified) or v1 (legacy and
 * hybrid; the unified hierarchy of a hybrid host is used for tracking only). */

/* The parsed linux.resources. Public so that the systemd property translation reads the same
 * values the cgroupfs driver writes. A has_* flag false means "not given": nothing is written.
 * Byte and count limits use -1 for "unlimited"; the parser rejects anything below -1. As runc
 * does, 0 for memory limit/reservation/swap, cpu shares/quota/period and blkio weight means
 * "not set" (Go writers emit zero values); pids.limit 0 is a real limit (runtime-spec 1.3). */

typedef struct CgroupDeviceRule {
        bool allow;
        char type; /* 'a', 'c' or 'b' */
        int64_t major, minor; /* -1: any ('*') */
        char access[4]; /* non-empty subset of "rwm", in that order */
} CgroupDeviceRule;

typedef struct CgroupBlkioWeightDevice {
        int64_t major, minor;
        bool has_weight, has_leaf_weight;
        uint16_t weight, leaf_weight;
} CgroupBlkioWeightDevice;

typedef struct CgroupBlkioThrottleDevice {
        int64_t major, minor;
        uint64_t rate; /* 0 removes the limit */
} CgroupBlkioThrottleDevice;

typedef enum CgroupThrottleKind {
        CGROUP_THROTTLE_READ_BPS,
        CGROUP_THROTTLE_WRITE_BPS,
        CGROUP_THROTTLE_READ_IOPS,
        CGROUP_THROTTLE_WRITE_IOPS,
        _CGROUP_THROTTLE_MAX,
} CgroupThrottleKind;

typedef struct CgroupHugepageLimit {
        char *page_size; /* as in the kernel's file names: "2MB", "1GB", "64KB" */
        uint64_t limit;
} CgroupHugepageLimit;

typedef struct CgroupNetPriority {
        char *name;
        uint32_t priority;
} CgroupNetPriority;

typedef struct CgroupRdmaLimit {
        char *device;
        bool has_hca_handles, has_hca_objects;
        uint32_t hca_handles, hca_objects;
} CgroupRdmaLimit;

typedef struct CgroupResources {
        struct {
                bool has_limit, has_reservation, has_swap, has_kernel, has_kernel_tcp, has_swappiness;
                int64_t limit, reservation, swap, kernel, kernel_tcp;
                uint64_t swappiness; /* 0..100 */
                bool has_disable_oom_killer, disable_oom_killer;
                bool has_use_hierarchy, use_hierarchy;
                bool check_before_update;
        } memory;
        struct {
                bool has_shares, has_quota, has_burst, has_period, has_rt_runtime, has_rt_period, has_idle;
                uint64_t shares, burst, period, rt_period;
                int64_t quota, rt_runtime, idle;
                char *cpus, *mems; /* NULL or validated cpu lists ("0-3,7") */
        } cpu;
        bool has_pids_limit;
        int64_t pids_limit;
        struct {
                bool has_weight, has_leaf_weight;
                uint16_t weight, leaf_weight;
                CgroupBlkioWeightDevice *weight_devices;
                size_t n_weight_devices;
                CgroupBlkioThrottleDevice *throttle[_CGROUP_THROTTLE_MAX];
                size_t n_throttle[_CGROUP_THROTTLE_MAX];
        } blkio;
        CgroupHugepageLimit *hugepage_limits;
        size_t n_hugepage_limits;
        bool has_net_class_id;
        uint32_t net_class_id;
        CgroupNetPriority *net_priorities;
        size_t n_net_priorities;
        CgroupRdmaLimit *rdma;
        size_t n_rdma;
        char **unified_keys, **unified_values; /* parallel, NULL-terminated */
        bool has_devices; /* "devices" was given, even empty: the device list is replaced */
        CgroupDeviceRule *devices;
        size_t n_devices;
} CgroupResources;

/* Parse and validate linux.resources (memory, cpu, pids, blockIO, hugepageLimits, network,
 * rdma, unified, devices). path is "linux.resources", used in *err. Unknown fields are ignored.
 * j NULL or JSON null yields empty resources. */
int cgroup_resources_parse(json_t *j, const char *path, CgroupResources **ret, char **err);
CgroupResources *cgroup_resources_free(CgroupResources *r);
static inline void cgroup_resources_freep(CgroupResources **r)
{
        cgroup_resources_free(*r);
}

/* The conversions the v2 driver uses, shared with the systemd property translation so both
 * agree. cpu.shares [2, 262144] -> cpu.weight [1, 10000], linear (runc, crun); blkio.weight
 * [10, 1000] -> io.weight [1, 10000]; inputs outside are clamped. */
uint64_t cgroup_cpu_shares_to_weight(uint64_t shares);
uint64_t cgroup_blkio_weight_to_io_weight(uint64_t weight);
/* OCI memory.swap is memory+swap; v2 memory.swap.max is swap alone. limit/swap 0 = not set,
 * -1 = unlimited. Returns 1 with *ret (-1 meaning "max") when memory.swap.max is to be
 * written, 0 when not, -EINVAL when swap is finite without a finite limit at or below it. */
int cgroup_swap_to_v2(int64_t limit, int64_t swap, int64_t *ret);

typedef enum CgroupLayout {
        CGROUP_LAYOUT_UNIFIED, /* /sys/fs/cgroup is cgroup2 */
        CGROUP_LAYOUT_HYBRID, /* v1 controllers + cgroup2 at /sys/fs/cgroup/unified */
        CGROUP_LAYOUT_LEGACY, /* v1 only */
} CgroupLayout;

const char *cgroup_layout_to_string(CgroupLayout l);

typedef struct Cgroup Cgroup;

/* For tests: operate on a fake tree. root replaces /sys/fs/cgroup, self_cgroup replaces the
 * contents of /proc/self/cgroup. NULL restores the real ones. In test mode the layout is read
 * from the tree (root/cgroup.controllers: unified; else every real subdirectory is a v1
 * hierarchy named by its controllers, "systemd" meaning name=systemd, and "unified" with a
 * cgroup.controllers file the cgroup2 tracking hierarchy), control files written are created
 * when missing, and cgroup_destroy unlinks the regular files that stand in for them. */
void cgroup_set_test_root(const char *root, const char *self_cgroup);

int cgroup_detect_layout(CgroupLayout *ret);

/* Resolve a container's cgroup. cgroups_path absolute: taken as is under each hierarchy's
 * root; relative (or NULL/empty, meaning id): under the caller's own cgroup in each v1
 * hierarchy and in the tracking hierarchy of a hybrid host, as runc does. On a pure v2 host a
 * relative path goes under the *parent* of the caller's cgroup (runc's fs2 rule: the caller's
 * own group holds processes, so by the no-internal-processes rule it cannot delegate
 * controllers). Components "." and "..", empty components and "/" alone are rejected with
 * -EINVAL. Nothing is created yet. */
int cgroup_new(const char *cgroups_path, const char *id, Cgroup **ret);
Cgroup *cgroup_free(Cgroup *cg);
static inline void cgroup_freep(Cgroup **cg)
{
        cgroup_free(*cg);
}

CgroupLayout cgroup_get_layout(const Cgroup *cg);
/* The group's directory in the hierarchy holding controller ("memory", "cpu", "name=systemd"),
 * or, with NULL, in the primary hierarchy (v2: the one dir; v1: pids, memory or freezer). NULL
 * if there is no such hierarchy. Owned by cg. */
const char *cgroup_get_dir(Cgroup *cg, const char *controller);

/* The resolved paths, to store in the container state and reopen later. */
json_t *cgroup_to_json(const Cgroup *cg);
int cgroup_from_json(json_t *j, Cgroup **ret);

/* mkdir the group in every hierarchy; on v1 cpuset, copies the parent's cpus/mems into empty
 * new groups so that tasks can join. Idempotent. */
int cgroup_create(Cgroup *cg);
/* Write the limits that r sets (r NULL: only the v2 controller delegation). On v2 the needed
 * controllers are first enabled in cgroup.subtree_control of every ancestor. A limit for a
 * controller the host lacks fails with -EOPNOTSUPP. v2 device rules need an eBPF program and
 * are not applied here. */
int cgroup_apply(Cgroup *cg, const CgroupResources *r); /* create-time and 'update' */
int cgroup_enter(Cgroup *cg, pid_t pid);
/* The calling (single-threaded) process joins every v1 hierarchy through "tasks": fast. */
int cgroup_enter_self_v1(Cgroup *cg);
/* fd of the group in the unified hierarchy (v2, or the hybrid tracking tree), for
 * clone3(CLONE_INTO_CGROUP); -ENOENT if there is none. */
int cgroup_open_unified(Cgroup *cg);
/* Every pid in the group and its descendants (primary hierarchy). */
int cgroup_get_pids(Cgroup *cg, pid_t **ret, size_t *ret_n);
int cgroup_kill_all(Cgroup *cg, int sig); /* freeze, signal every task, thaw */
int cgroup_freeze(Cgroup *cg, bool freeze); /* pause / resume; waits (5 s at most) */
int cgroup_is_frozen(Cgroup *cg, bool *ret);
/* Remove every directory it made (deepest first); a busy group is retried briefly. */
int cgroup_destroy(Cgroup *cg);
/* The path as seen inside a cgroup namespace rooted at the container's group, for the
 * cgroup mount inside the container: per hierarchy "/sys/fs/cgroup/<name>" -> host dir.
 * v1 names are the controller lists ("memory", "cpu,cpuacct", "systemd" for name=systemd,
 * "unified" for the hybrid tracking hierarchy); pure v2 yields one entry named "". */
int cgroup_mount_sources(Cgroup *cg, char ***ret_names, char ***ret_host_dirs);

/* Stats for 'ctr-oci events --stats'/'ctrctl stats':
 * {"memory":{"usage":N,"max_usage":N,"limit":N},"pids":{"current":N,"limit":N},"cpu":{"usage_ns":N}}
 * from whichever v1 or v2 files exist; a limit of null means unlimited, a missing key unknown. */
int cgroup_stats(Cgroup *cg, json_t **ret);

/* OOM kills counted in the group (v2 memory.events, v1 memory.oom_control). */
int cgroup_oom_kills(Cgroup *cg, uint64_t *ret);

/* For 'features': the "linux.cgroup" object. */
json_t *cgroup_features(void);

/* After a failing call: the cgroup file (absolute path) or the linux.resources field that could
 * not be applied, for the caller's error message. "" if none. Per thread. */
const char *cgroup_last_error_path(void);
