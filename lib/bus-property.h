/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* Unit properties given as "NAME=VALUE" (systemd-run -p, the .ctr [Resources] lines), turned into
 * either one StartTransientUnit property or, on hosts without systemd, OCI linux.resources.
 *
 * Both share one parser, so a value is accepted or refused the same way on every host. Errors
 * return -EINVAL (bad value, *err "NAME=VALUE: reason") or -EOPNOTSUPP (*err "unknown property
 * 'NAME'"); property_to_resources() also -errno of a path it could not stat. *err is set through
 * set_error() (malloc'ed, only if still NULL), never on success; err may be NULL. */

/* "1G", "1.5M", "512", "1G 512M" (summed); suffixes B K M G T P E, powers of base (1000 or
 * 1024). No "infinity" and no percentages: callers handle those. -EINVAL on syntax, -ERANGE on
 * overflow. */
int parse_size(const char *s, uint64_t base, uint64_t *ret);

/* systemd time spans in microseconds: "1min 30s", "500ms", "2h", "1.5s", "1h30m"; a bare number
 * is seconds; "infinity" is UINT64_MAX. Units: us usec µs, ms msec, s sec second(s), m min
 * minute(s), h hr hour(s), d day(s), w week(s), M month(s) (30.44 d), y year(s) (365.25 d). */
int parse_timespan_usec(const char *s, uint64_t *ret);

/* Append one "(sv)" to m, inside the "a(sv)" the caller has opened, with the D-Bus name and type
 * systemd's API takes: e.g. "CPUQuota=50%" -> ("CPUQuotaPerSecUSec", t 500000), "MemoryMax=10%"
 * -> ("MemoryMaxScale", u 429496730), "TimeoutStopSec=5s" -> ("TimeoutStopUSec", t 5000000).
 * Nothing is appended when the assignment is refused. An empty VALUE resets to the default as
 * systemd-run does ("MemoryMax=" -> infinity, "MemoryLow=" -> 0, "DeviceAllow=" -> empty list).
 *
 * Known: MemoryMin MemoryLow MemoryHigh MemoryMax MemorySwapMax MemoryLimit DefaultMemoryMin
 * DefaultMemoryLow TasksMax CPUQuota CPUQuotaPeriodSec CPUWeight StartupCPUWeight CPUShares
 * StartupCPUShares IOWeight StartupIOWeight BlockIOWeight StartupBlockIOWeight AllowedCPUs
 * StartupAllowedCPUs AllowedMemoryNodes StartupAllowedMemoryNodes IOReadBandwidthMax
 * IOWriteBandwidthMax IOReadIOPSMax IOWriteIOPSMax BlockIOReadBandwidth BlockIOWriteBandwidth
 * IODeviceWeight BlockIODeviceWeight DeviceAllow DevicePolicy CPUAccounting MemoryAccounting
 * IOAccounting BlockIOAccounting TasksAccounting IPAccounting Delegate (boolean, or a controller
 * list sent as DelegateControllers) DisableControllers ManagedOOMSwap ManagedOOMMemoryPressure
 * ManagedOOMMemoryPressureLimit ManagedOOMPreference Description Slice CollectMode KillMode
 * KillSignal RestartKillSignal FinalKillSignal SendSIGKILL SendSIGHUP TimeoutStartSec
 * TimeoutStopSec TimeoutAbortSec RuntimeMaxSec RuntimeRandomizedExtraSec Environment OOMPolicy
 * OOMScoreAdjust Nice. */
int bus_append_property(sd_bus_message *m, const char *assignment, char **err);

/* The same assignment for the cgroupfs driver: merged into resources, an OCI linux.resources
 * object as cgroup_resources_parse() reads it (sub-objects created as needed, existing values
 * replaced). Returns 1 when resources changed, 0 when the property is known but is no cgroup
 * limit (Description=, KillMode=, the Startup* and accounting switches, ...) or has no effect
 * here, <0 as bus_append_property().
 *
 *   MemoryMax MemoryLimit  memory.limit (-1 for infinity)
 *   MemoryLow              memory.reservation
 *   MemorySwapMax          memory.swap, which OCI defines as memory+swap: memory.limit plus
 *                          this. The swap-only value is kept in memory[PROPERTY_SWAP_NOTE] so that
 *                          a later MemoryMax= recomputes it; see property_resources_finish().
 *   MemoryHigh MemoryMin   unified "memory.high"/"memory.min" (cgroup v2 only: cgroup_apply()
 *                          refuses "unified" on v1, where systemd too has no such knob)
 *   CPUQuota               cpu.quota, over cpu.period (set to 100000 unless given)
 *   CPUQuotaPeriodSec      cpu.period, clamped to [1ms, 1s]; an existing quota is rescaled
 *   CPUShares              cpu.shares
 *   CPUWeight              cpu.shares, the inverse of cgroup_cpu_shares_to_weight() rounded up so
 *                          that converting back yields the weight given; "idle": cpu.idle 1
 *   TasksMax               pids.limit (N% of min(kernel.pid_max - 1, kernel.threads-max))
 *   AllowedCPUs            cpu.cpus, AllowedMemoryNodes cpu.mems, in the kernel's list syntax
 *   BlockIOWeight          blockIO.weight; IOWeight mapped from [1, 10000] onto [10, 1000]
 *   IODeviceWeight ...     blockIO.weightDevice, by the block device's major:minor
 *   IO*BandwidthMax IO*IOPSMax BlockIO*Bandwidth  blockIO.throttle*Device ("infinity": rate 0)
 *   DeviceAllow            an allow rule appended to devices (after a deny-all if there was no
 *                          list): /dev/ paths by their node, char-/block-GROUP by /proc/devices
 *   DevicePolicy           auto and closed: nothing; strict: -EOPNOTSUPP (refused rather than
 *                          silently looser)
 * Percentages of memory are taken of MemTotal in /proc/meminfo. */
int property_to_resources(const char *assignment, json_t *resources, char **err);

/* The key in resources.memory under which property_to_resources() keeps MemorySwapMax='s bytes. */
#define PROPERTY_SWAP_NOTE "ctrctl.swapMax"

/* After the last property_to_resources() call: removes the notes it left. -EINVAL with *err when
 * a MemorySwapMax= could not be expressed (OCI's memory+swap needs a finite memory.limit). */
int property_resources_finish(json_t *resources, char **err);
