/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

/* Transient units over D-Bus, the way systemd-run makes them: subscribe before the call, start
 * the unit, wait for its job with a timeout and report the job's result. */

typedef struct TransientUnit {
        const char *name; /* ctr-NAME.service or .scope */
        const char *description;
        const char *slice;
        char **properties; /* NAME=VALUE, as for systemd-run -p */
        /* service */
        char **exec_start; /* argv, [0] an absolute path */
        char **exec_stop_post;
        bool collect;
        /* scope */
        pid_t pid;
} TransientUnit;

int transient_bus_open(sd_bus **ret);
/* Start it and wait for the job (timeout_usec). A failed unit of the same name left over is
 * reset and the start tried once more. On error *err says what: the job result, or which
 * property systemd refused. */
int transient_start(sd_bus *bus, const TransientUnit *u, uint64_t timeout_usec, char **err);
/* Wait until the unit is no longer active; its main process' exit status (or 128+signal). */
int transient_wait_exit(sd_bus *bus, const char *unit, int *ret_status, char **err);
/* Forget a failed unit (what --collect does for a unit whose status we read ourselves). */
int transient_reset_failed(sd_bus *bus, const char *unit);
/* SetUnitProperties: change a running unit's properties (runtime: until reboot only). */
int unit_set_properties(sd_bus *bus, const char *unit, bool runtime, char **properties, char **err);
/* The running unit of container NAME: ctr@NAME.service, ctr-NAME.service or ctr-NAME.scope. */
int container_unit_name(sd_bus *bus, const char *name, char **ret);
/* The unit's cgroup path (the same in every hierarchy), e.g. "/ctr.slice/ctr-web.service". */
int unit_control_group(sd_bus *bus, const char *unit, char **ret);
/* The unit's processes: PIDs and command lines; returns how many. */
int unit_processes(sd_bus *bus, const char *unit, pid_t **ret_pids, char ***ret_cmdlines);
/* The active container units: ctr@*.service, ctr-*.service, ctr-*.scope. */
int container_units(sd_bus *bus, char ***ret);
/* AttachProcessesToUnit: move running processes into the unit's cgroup. */
int unit_attach_processes(sd_bus *bus, const char *unit, const pid_t *pids, size_t n, char **err);
/* StopUnit (the job is not waited for). */
int unit_stop(sd_bus *bus, const char *unit, char **err);
/* Is systemd the init system here (/run/systemd/system exists)? */
bool systemd_running(void);
