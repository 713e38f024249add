/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"

/* The systemd cgroup driver of ctr-oci (runc's --systemd-cgroup): the container's cgroup is a
 * transient scope that systemd makes over D-Bus, with Delegate=yes and linux.resources as unit
 * properties; the cgroupfs driver then writes every resource into the scope's directories too,
 * for what systemd does not model. ctr-oci does not link libsystemd (its start-up is measured):
 * libsystemd.so.0 is loaded with dlopen() the first time a bus is opened here. */

/* linux.cgroupsPath "SLICE:PREFIX:NAME" (empty: ":ctr-oci:ID"). */
typedef struct ScopePath {
        char *slice; /* "system.slice" when SLICE is empty */
        char *slice_path; /* where systemd puts it: "/kubepods.slice/kubepods-besteffort.slice"; "" for
                             -.slice */
        char *unit; /* "PREFIX-NAME.scope" ("NAME.scope" when PREFIX is empty) */
} ScopePath;

#define SCOPE_DEFAULT_SLICE "system.slice"
#define SCOPE_DEFAULT_PREFIX "ctr-oci"

/* -EINVAL with *err for a path that is not "SLICE:PREFIX:NAME", a slice name systemd could not
 * place (not ending in ".slice", a "/", an empty dash-separated part), an empty NAME or one
 * ending in ".slice" (a slice holds no processes), or a '/' or control character in PREFIX or
 * NAME. What else systemd refuses in a unit name (length, characters) it says itself. */
int scope_path_parse(const char *cgroups_path, const char *id, ScopePath *ret, char **err);
void scope_path_done(ScopePath *p);
/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice", "-.slice" -> "", as systemd nests them. */
int slice_expand(const char *slice, char **ret);

/* One unit property as StartTransientUnit/SetUnitProperties take it. */
typedef struct ScopeProperty {
        const char *name; /* the D-Bus name: "MemoryMax", "CPUQuotaPerSecUSec", ... */
        char type; /* 's', 'b', 't'; 'c': a CPU or node list (ay bitmask); 'd': DeviceAllow a(ss) */
        uint64_t value; /* 'b', 't' */
        char *text; /* 's'; 'c': the list as given ("0-3,7") */
        char **devices; /* 'd': PATH, ACCESS, PATH, ACCESS, ... */
} ScopeProperty;

typedef struct ScopeProperties {
        ScopeProperty *p;
        size_t n;
} ScopeProperties;

void scope_properties_done(ScopeProperties *props);

typedef struct ScopeTranslation {
        CgroupLayout layout; /* v2 properties on a unified host, v1 ones otherwise */
        unsigned systemd_version; /* 0: assume the newest */
        /* The period the CPU quota is per when linux.resources gives a quota alone ('update'):
         * the group's current one; 0 means the default, 100000 us. */
        uint64_t current_period;
        /* Text of /proc/devices (the device group of a "c 136:* rwm" rule); NULL: read it. */
        const char *proc_devices;
} ScopeTranslation;

/* The linux.resources that systemd models, as runc translates them (docs/systemd.md there):
 *   memory.limit       MemoryMax (-1: infinity)
 *   memory.reservation MemoryLow (v2)
 *   memory.swap        MemorySwapMax (v2, swap alone: memory.swap minus memory.limit)
 *   cpu.shares         CPUShares (v1), CPUWeight (v2, 1 + ((shares - 2) * 9999) / 262142)
 *   cpu.quota/period   CPUQuotaPerSecUSec (quota per second of CPU, rounded up to 10 ms as
 *                      systemd stores whole percents), CPUQuotaPeriodUSec (systemd >= 242)
 *   cpu.cpus/mems      AllowedCPUs, AllowedMemoryNodes (systemd >= 244)
 *   pids.limit         TasksMax (-1: infinity; 0 is left to cgroupfs, systemd refuses it)
 *   blockIO.weight     BlockIOWeight (v1), IOWeight (v2)
 *   unified (v2)       memory.high/low/min/max/swap.max, pids.max, cpu.weight, cpu.max
 *   devices            DevicePolicy=strict and the DeviceAllow= list that the rules leave
 *                      allowed (evaluated as the v1 kernel does: exact rules, in order);
 *                      a list that ends allowing everything is DevicePolicy=auto
 * so that systemd, when it applies a unit's cgroup settings again (daemon-reload), writes the
 * same limits and never opens the devices up. What systemd cannot express is left out here
 * and written by the cgroupfs driver only. Unset values (0, as runc reads them) give nothing. */
int scope_resources_to_properties(const CgroupResources *r, const ScopeTranslation *t, ScopeProperties *ret);

/* "NAME=VALUE" for messages and tests: "MemoryMax=infinity", "AllowedCPUs=0-3",
 * "DeviceAllow=/dev/char/1:3 rwm,char-pts rwm". */
char *scope_property_to_string(const ScopeProperty *p);

/* ---- the bus ---- */

typedef struct ScopeBus ScopeBus;

/* Load libsystemd and connect to systemd: its private socket when root (as systemctl does; no
 * D-Bus daemon needed), else the system bus. */
int scope_bus_open(ScopeBus **ret, char **err);
ScopeBus *scope_bus_close(ScopeBus *b);
static inline void scope_bus_closep(ScopeBus **b)
{
        scope_bus_close(*b);
}
/* The major version of the systemd we talk to, 0 if it cannot be read. */
unsigned scope_bus_systemd_version(ScopeBus *b);

#define SCOPE_JOB_TIMEOUT_USEC (30ULL * 1000 * 1000)

/* StartTransientUnit(unit, "fail") with Description=, Slice=, Delegate=yes, PIDs=[pid], the
 * accounting switches, DefaultDependencies=no, and props; then wait for the job. A unit of the
 * same name left failed is reset and the start tried once more; an active one is refused.
 * *ret_started tells whether systemd took the request (a unit exists that is ours to stop),
 * also on failure. */
int scope_start(ScopeBus *b, const ScopePath *path, const char *description, pid_t pid,
                const ScopeProperties *props, uint64_t timeout_usec, bool *ret_started, char **err);
/* StopUnit and wait for the job, then ResetFailedUnit: the unit is gone. A unit systemd does
 * not know (already gone) is success. */
int scope_stop(ScopeBus *b, const char *unit, uint64_t timeout_usec, char **err);
/* SetUnitProperties(unit, runtime=true, props). */
int scope_set_properties(ScopeBus *b, const char *unit, const ScopeProperties *props, char **err);

/* The container's cgroup once systemd has moved pid into its scope: every hierarchy at the path
 * /proc/PID/cgroup shows for name=systemd (v2: the unified one), which must end in
 * SLICE-PATH/UNIT. -EBADMSG with *err when it does not. */
int scope_cgroup_of(pid_t pid, const ScopePath *path, Cgroup **ret, char **err);
