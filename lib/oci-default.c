/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json-util.h"
#include "oci-config.h"

/* What 'spec' writes: a config that runs 'sh' in a rootfs/ beside it, with the usual
 * filesystems, a minimal capability set and the masked and read-only paths every runtime
 * applies by default. */

static json_t *strings(const char *const *l)
{
        json_t *a = json_array();
        for (; *l; l++)
                json_array_append_new(a, json_string(*l));
        return a;
}

json_t *oci_config_default(bool rootless)
{
        static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL};
        static const char *const masked[] = {
                "/proc/acpi",
                "/proc/asound",
                "/proc/kcore",
                "/proc/keys",
                "/proc/latency_stats",
                "/proc/timer_list",
                "/proc/timer_stats",
                "/proc/sched_debug",
                "/sys/firmware",
                "/proc/scsi",
                "/sys/devices/virtual/powercap",
                NULL,
        };
        static const char *const readonly[] = {"/proc/bus",           "/proc/fs", "/proc/irq", "/proc/sys",
                                               "/proc/sysrq-trigger", NULL};
        json_t *process = json_pack(
                "{s:b, s:{s:i, s:i}, s:[s], s:[ss], s:s, s:{s:o, s:o, s:o}, s:[{s:s, s:i, s:i}], s:b}",
                "terminal", true, "user", "uid", 0, "gid", 0, "args", "sh", "env",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "cwd",
                "/", "capabilities", "bounding", strings(caps), "effective", strings(caps), "permitted",
                strings(caps), "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024,
                "noNewPrivileges", true);
        json_t *mounts = json_pack(
                "[{s:s, s:s, s:s}, {s:s, s:s, s:s, s:[ssss]}, {s:s, s:s, s:s, s:[ssssss]}, "
                "{s:s, s:s, s:s, s:[ssss]}, {s:s, s:s, s:s, s:[sss]}, {s:s, s:s, s:s, s:[ssss]}, "
                "{s:s, s:s, s:s, s:[sssss]}]",
                "destination", "/proc", "type", "proc", "source", "proc", "destination", "/dev", "type",
                "tmpfs", "source", "tmpfs", "options", "nosuid", "strictatime", "mode=755", "size=65536k",
                "destination", "/dev/pts", "type", "devpts", "source", "devpts", "options", "nosuid",
                "noexec", "newinstance", "ptmxmode=0666", "mode=0620", rootless ? "mode=0620" : "gid=5",
                "destination", "/dev/shm", "type", "tmpfs", "source", "shm", "options", "nosuid", "noexec",
                "nodev", "mode=1777", "destination", "/dev/mqueue", "type", "mqueue", "source", "mqueue",
                "options", "nosuid", "noexec", "nodev", "destination", "/sys", "type",
                rootless ? "none" : "sysfs", "source", rootless ? "/sys" : "sysfs", "options",
                rootless ? "rbind" : "nosuid", "noexec", "nodev", "ro", "destination", "/sys/fs/cgroup",
                "type", "cgroup", "source", "cgroup", "options", "nosuid", "noexec", "nodev", "relatime",
                "ro");
        json_t *linux_ = json_pack("{s:o, s:o, s:[{s:s},{s:s},{s:s},{s:s},{s:s}]}", "maskedPaths",
                                   strings(masked), "readonlyPaths", strings(readonly), "namespaces", "type",
                                   "pid", "type", "network", "type", "ipc", "type", "uts", "type", "mount");
        json_array_append_new(json_object_get(linux_, "namespaces"), json_pack("{s:s}", "type", "cgroup"));
        if (rootless) {
                json_array_append_new(json_object_get(linux_, "namespaces"),
                                      json_pack("{s:s}", "type", "user"));
                json_object_set_new(
                        linux_, "uidMappings",
                        json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", 1000, "size", 1));
                json_object_set_new(
                        linux_, "gidMappings",
                        json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", 1000, "size", 1));
        } else {
                json_object_set_new(
                        linux_, "resources",
                        json_pack("{s:[{s:b, s:s}]}", "devices", "allow", false, "access", "rwm"));
        }
        return json_pack("{s:s, s:{s:s, s:b}, s:o, s:s, s:o, s:o}", "ociVersion", OCI_VERSION, "root",
                         "path", "rootfs", "readonly", true, "process", process, "hostname", "ctrctl",
                         "mounts", mounts, "linux", linux_);
}
