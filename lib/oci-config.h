/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The OCI runtime-spec config (1.0.0 .. 1.3.x) as ctrctl's one internal model. A bundle's
 * config.json is parsed into it; a .ctr definition and the CLI are translated into it. */

#define OCI_VERSION "1.3.0"

struct SeccompConfig; /* seccomp.h */
struct CgroupResources; /* cgroup.h */

typedef struct OciIdMapping {
        uint32_t container_id, host_id, size;
} OciIdMapping;

/* Mount flags parsed from "options" per mount(8). */
typedef struct OciMount {
        char *destination;
        char *source;
        char *type;
        char **options;
        unsigned long flags; /* MS_* to set */
        unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC) or 0 */
        uint64_t attr_set, attr_clr; /* MOUNT_ATTR_* applied recursively (rro, rnosuid, ...) */
        char *data; /* filesystem-specific options, comma separated */
        bool bind, rbind;
        bool tmpcopyup;
        OciIdMapping *uid_mappings, *gid_mappings;
        size_t n_uid_mappings, n_gid_mappings;
} OciMount;

typedef struct OciNamespace {
        int type; /* CLONE_NEW* */
        char *path;
} OciNamespace;

typedef struct OciRlimit {
        int resource;
        uint64_t soft, hard;
} OciRlimit;

typedef struct OciCaps {
        uint64_t bounding, effective, inheritable, permitted, ambient;
} OciCaps;

typedef struct OciUser {
        uid_t uid;
        gid_t gid;
        bool has_umask;
        mode_t umask;
        gid_t *additional_gids;
        size_t n_additional_gids;
} OciUser;

typedef struct OciProcess {
        bool terminal;
        unsigned console_height, console_width;
        OciUser user;
        char **args;
        char **env;
        char *cwd;
        bool has_caps;
        OciCaps caps;
        OciRlimit *rlimits;
        size_t n_rlimits;
        bool no_new_privileges;
        bool has_oom_score_adj;
        int oom_score_adj;
        char *apparmor_profile;
        char *selinux_label;
        bool has_io_priority;
        int io_priority_class, io_priority;
        bool has_scheduler;
        int sched_policy, sched_nice, sched_priority;
        uint64_t sched_flags, sched_runtime, sched_deadline, sched_period;
        char *exec_cpu_affinity_initial, *exec_cpu_affinity_final;
} OciProcess;

typedef struct OciHook {
        char *path;
        char **args;
        char **env;
        int timeout; /* seconds, 0 = none */
} OciHook;

typedef enum OciHookKind {
        OCI_HOOK_PRESTART,
        OCI_HOOK_CREATE_RUNTIME,
        OCI_HOOK_CREATE_CONTAINER,
        OCI_HOOK_START_CONTAINER,
        OCI_HOOK_POSTSTART,
        OCI_HOOK_POSTSTOP,
        _OCI_HOOK_MAX,
} OciHookKind;

typedef struct OciDevice {
        char *path;
        char type; /* 'c', 'b', 'p' ('u' is read as 'c') */
        int64_t major, minor;
        bool has_file_mode, has_uid, has_gid;
        mode_t file_mode;
        uid_t uid;
        gid_t gid;
} OciDevice;

typedef struct OciSysctl {
        char *key, *value;
} OciSysctl;

typedef struct OciTimeOffset {
        int clock; /* CLOCK_MONOTONIC / CLOCK_BOOTTIME */
        int64_t secs;
        uint32_t nanosecs;
} OciTimeOffset;

typedef struct OciConfig {
        char *oci_version;
        char *root_path; /* as written; relative to the bundle */
        bool root_readonly;
        OciProcess *process;
        char *hostname, *domainname;
        OciMount *mounts;
        size_t n_mounts;
        OciHook *hooks[_OCI_HOOK_MAX];
        size_t n_hooks[_OCI_HOOK_MAX];
        json_t *annotations; /* object of strings, or NULL */

        /* linux */
        OciNamespace *namespaces;
        size_t n_namespaces;
        OciIdMapping *uid_mappings, *gid_mappings;
        size_t n_uid_mappings, n_gid_mappings;
        OciDevice *devices;
        size_t n_devices;
        char *cgroups_path;
        struct CgroupResources *resources;
        OciSysctl *sysctls;
        size_t n_sysctls;
        struct SeccompConfig *seccomp;
        unsigned long rootfs_propagation; /* 0 = default (rprivate on the rootfs' parent) */
        char **masked_paths, **readonly_paths;
        char *mount_label;
        bool has_personality;
        unsigned long personality;
        OciTimeOffset time_offsets[2];
        size_t n_time_offsets;

        char **warnings; /* non-fatal problems found while parsing, for the caller to log */
        const char *unsupported; /* set: a feature this runtime cannot apply; create must fail */
} OciConfig;

OciConfig *oci_config_free(OciConfig *c);
static inline void oci_config_freep(OciConfig **c)
{
        oci_config_free(*c);
}
#define _cleanup_oci_config_ _cleanup_(oci_config_freep)

/* Parse and validate. On failure *err says where and why ("linux.namespaces[2].type: unknown
 * namespace 'foo'"). Unknown fields are ignored, as the spec asks. */
int oci_config_parse_json(json_t *j, OciConfig **ret, char **err);
int oci_config_load(const char *bundle, OciConfig **ret, char **err);
/* A process object alone, as given to 'exec --process'. */
int oci_process_parse(json_t *j, const char *path, OciProcess **ret, char **err);
OciProcess *oci_process_free(OciProcess *p);

/* Lookups */
const OciNamespace *oci_config_namespace(const OciConfig *c, int type);
bool oci_config_has_namespace(const OciConfig *c, int type);

/* Tables shared with the CLI ('features', 'spec') */
int namespace_from_string(const char *s);
const char *namespace_to_string(int type);
size_t mount_option_count(void);
const char *mount_option_name(size_t i);
int mount_options_parse(OciMount *m, const char *path, char **err);

/* The runtime-spec's default config for 'spec' (rootless: with a user namespace, no
 * devices that need CAP_MKNOD, no cgroup limits). */
json_t *oci_config_default(bool rootless);
