/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus-property.h"
#include "transient.h"
#include "util.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"

bool systemd_running(void)
{
        return access("/run/systemd/system", F_OK) == 0;
}

int transient_bus_open(sd_bus **ret)
{
        return sd_bus_open_system(ret);
}

typedef struct JobWait {
        const char *job;
        char *result;
        bool done;
} JobWait;

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        JobWait *w = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (w->job && streq(path, w->job)) {
                w->result = strdup(result);
                w->done = true;
        }
        return 0;
}

static int append_exec(sd_bus_message *m, const char *name, char **argv)
{
        int r;
        if ((r = sd_bus_message_open_container(m, 'r', "sv")) < 0 ||
            (r = sd_bus_message_append(m, "s", name)) < 0 ||
            (r = sd_bus_message_open_container(m, 'v', "a(sasb)")) < 0 ||
            (r = sd_bus_message_open_container(m, 'a', "(sasb)")) < 0 ||
            (r = sd_bus_message_open_container(m, 'r', "sasb")) < 0 ||
            (r = sd_bus_message_append(m, "s", argv[0])) < 0 ||
            (r = sd_bus_message_append_strv(m, argv)) < 0 || (r = sd_bus_message_append(m, "b", false)) < 0)
                return r;
        for (int i = 0; i < 4; i++)
                if ((r = sd_bus_message_close_container(m)) < 0)
                        return r;
        return 0;
}

static int build_call(sd_bus *bus, const TransientUnit *u, sd_bus_message **ret, char **err)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        bool scope = strstr(u->name, ".scope") != NULL;
        int r;

        if ((r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
                                                "StartTransientUnit")) < 0 ||
            (r = sd_bus_message_append(m, "ss", u->name, "fail")) < 0 ||
            (r = sd_bus_message_open_container(m, 'a', "(sv)")) < 0)
                return r;
        if (u->description && (r = sd_bus_message_append(m, "(sv)", "Description", "s", u->description)) < 0)
                return r;
        if (u->slice && (r = sd_bus_message_append(m, "(sv)", "Slice", "s", u->slice)) < 0)
                return r;
        if (scope) {
                /* ctrctl is in the scope with the container and reports an OOM kill itself: systemd
                 * must not stop the scope (and ctrctl with it) over one */
                if ((r = sd_bus_message_append(m, "(sv)", "PIDs", "au", 1, (uint32_t)u->pid)) < 0 ||
                    (r = sd_bus_message_append(m, "(sv)", "OOMPolicy", "s", "continue")) < 0)
                        return r;
        } else {
                /* what ctr@.service sets, for the same reasons (see units/ctr@.service.in) */
                if ((r = sd_bus_message_append(m, "(sv)", "Type", "s", "notify")) < 0 ||
                    (r = sd_bus_message_append(m, "(sv)", "NotifyAccess", "s", "all")) < 0 ||
                    (r = sd_bus_message_append(m, "(sv)", "KillMode", "s", "control-group")) < 0 ||
                    (r = sd_bus_message_append(m, "(sv)", "DevicePolicy", "s", "closed")) < 0 ||
                    (r = sd_bus_message_append(m, "(sv)", "TimeoutStopUSec", "t", (uint64_t)10 * 1000000)) <
                            0 ||
                    (r = sd_bus_message_append(m, "(sv)", "SuccessExitStatus", "(aiai)", 1, 143, 0)) < 0 ||
                    (r = append_exec(m, "ExecStart", u->exec_start)) < 0)
                        return r;
                if (u->exec_stop_post && (r = append_exec(m, "ExecStopPost", u->exec_stop_post)) < 0)
                        return r;
                if (u->collect &&
                    (r = sd_bus_message_append(m, "(sv)", "CollectMode", "s", "inactive-or-failed")) < 0)
                        return r;
        }
        STRV_FOREACH (p, u->properties) {
                r = bus_append_property(m, *p, err);
                if (r < 0)
                        return r;
        }
        if ((r = sd_bus_message_close_container(m)) < 0 ||
            (r = sd_bus_message_append(m, "a(sa(sv))", 0)) < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

static uint64_t now_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int transient_start(sd_bus *bus, const TransientUnit *u, uint64_t timeout_usec, char **err)
{
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        JobWait w = {};
        int r;

        /* Subscribe before the call: the job may finish before the reply is read. */
        r = sd_bus_match_signal(bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, &w);
        if (r < 0)
                return set_error(err, r, "subscribing to systemd's job signals: %s", strerror(-r));
        (void)sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", NULL, NULL, NULL);

        for (int attempt = 0;; attempt++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                const char *job;
                r = build_call(bus, u, &m, err);
                if (r < 0)
                        return set_error(err, r, "building the request for %s: %s", u->name, strerror(-r));
                r = sd_bus_call(bus, m, timeout_usec, &error, &reply);
                if (r < 0 && attempt == 0 &&
                    sd_bus_error_has_name(&error, "org.freedesktop.systemd1.UnitExists")) {
                        /* a failed unit of that name from an earlier run: reset it, once */
                        (void)sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", NULL,
                                                 NULL, "s", u->name);
                        continue;
                }
                if (r < 0)
                        /* systemd names the property it refuses in its message */
                        return set_error(err, r, "systemd refused %s: %s", u->name,
                                         error.message ?: strerror(-r));
                r = sd_bus_message_read(reply, "o", &job);
                if (r < 0)
                        return set_error(err, r, "reading systemd's reply: %s", strerror(-r));
                w.job = strdup(job);
                break;
        }
        uint64_t end = now_usec() + timeout_usec;
        while (!w.done) {
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        free((char *)w.job);
                        return set_error(err, r, "talking to systemd: %s", strerror(-r));
                }
                if (r > 0)
                        continue;
                uint64_t n = now_usec();
                if (n >= end) {
                        free((char *)w.job);
                        return set_error(err, -ETIMEDOUT, "timed out waiting for the start job of %s",
                                         u->name);
                }
                (void)sd_bus_wait(bus, end - n);
        }
        free((char *)w.job);
        r = streq(w.result, "done")
                    ? 0
                    : set_error(err, -EIO, "job for %s failed: %s (see 'systemctl status %s')", u->name,
                                w.result, u->name);
        free(w.result);
        return r;
}

static int get_unit_property(sd_bus *bus, const char *unit, const char *iface, const char *prop, char type,
                             void *ret)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *path = NULL;
        const char *p;
        int r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "LoadUnit", &error, &reply, "s", unit);
        if (r < 0)
                return r;
        if ((r = sd_bus_message_read(reply, "o", &p)) < 0)
                return r;
        path = strdup(p);
        if (!path)
                return -ENOMEM;
        if (type == 's') {
                char *s = NULL;
                r = sd_bus_get_property_string(bus, SD_DEST, path, iface, prop, &error, &s);
                *(char **)ret = s;
                return r;
        }
        return sd_bus_get_property_trivial(bus, SD_DEST, path, iface, prop, &error, type, ret);
}

int transient_wait_exit(sd_bus *bus, const char *unit, int *ret_status, char **err)
{
        for (;;) {
                _cleanup_free_ char *state = NULL;
                int r = get_unit_property(bus, unit, "org.freedesktop.systemd1.Unit", "ActiveState", 's',
                                          &state);
                if (r < 0)
                        return set_error(err, r, "reading the state of %s: %s", unit, strerror(-r));
                if (streq(state, "inactive") || streq(state, "failed"))
                        break;
                usleep(50 * 1000);
        }
        int32_t code = 0, status = 0;
        (void)get_unit_property(bus, unit, "org.freedesktop.systemd1.Service", "ExecMainCode", 'i', &code);
        (void)get_unit_property(bus, unit, "org.freedesktop.systemd1.Service", "ExecMainStatus", 'i',
                                &status);
        /* CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3 */
        *ret_status = code == 1 ? status : code == 2 || code == 3 ? 128 + status : status;
        return 0;
}

int transient_reset_failed(sd_bus *bus, const char *unit)
{
        return sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", NULL, NULL, "s",
                                  unit);
}

int unit_set_properties(sd_bus *bus, const char *unit, bool runtime, char **properties, char **err)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;
        if ((r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
                                                "SetUnitProperties")) < 0 ||
            (r = sd_bus_message_append(m, "sb", unit, runtime)) < 0 ||
            (r = sd_bus_message_open_container(m, 'a', "(sv)")) < 0)
                return set_error(err, r, "building the request: %s", strerror(-r));
        STRV_FOREACH (p, properties) {
                r = bus_append_property(m, *p, err);
                if (r < 0)
                        return r;
        }
        if ((r = sd_bus_message_close_container(m)) < 0)
                return set_error(err, r, "building the request: %s", strerror(-r));
        r = sd_bus_call(bus, m, 30 * 1000000ULL, &error, NULL);
        if (r < 0)
                return set_error(err, r, "systemd refused to change %s: %s", unit,
                                 error.message ?: strerror(-r));
        return 0;
}

/* The unit a container NAME lives in: ctr@NAME.service for a definition, else the transient
 * ctr-NAME.service or .scope, whichever systemd knows as loaded. */
int container_unit_name(sd_bus *bus, const char *name, char **ret)
{
        static const struct {
                const char *prefix, *suffix;
        } forms[] = {{"ctr@", ".service"}, {"ctr-", ".service"}, {"ctr-", ".scope"}};
        for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
                _cleanup_free_ char *state = NULL;
                char unit[512];
                snprintf(unit, sizeof(unit), "%s%s%s", forms[i].prefix, name, forms[i].suffix);
                if (get_unit_property(bus, unit, "org.freedesktop.systemd1.Unit", "LoadState", 's',
                                      &state) >= 0 &&
                    streq(state, "loaded")) {
                        _cleanup_free_ char *active = NULL;
                        if (get_unit_property(bus, unit, "org.freedesktop.systemd1.Unit", "ActiveState", 's',
                                              &active) >= 0 &&
                            (streq(active, "active") || streq(active, "activating") ||
                             streq(active, "reloading"))) {
                                *ret = strdup(unit);
                                return *ret ? 0 : -ENOMEM;
                        }
                }
        }
        return -ESRCH;
}

int unit_control_group(sd_bus *bus, const char *unit, char **ret)
{
        const char *iface = strstr(unit, ".scope") ? "org.freedesktop.systemd1.Scope"
                                                   : "org.freedesktop.systemd1.Service";
        return get_unit_property(bus, unit, iface, "ControlGroup", 's', ret);
}

int unit_processes(sd_bus *bus, const char *unit, pid_t **ret_pids, char ***ret_cmdlines)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_strv_free_ char **cmds = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "GetUnitProcesses", &error, &reply,
                                   "s", unit);
        if (r < 0)
                return r;
        if ((r = sd_bus_message_enter_container(reply, 'a', "(sus)")) < 0)
                return r;
        const char *cg, *cmd;
        uint32_t pid;
        while ((r = sd_bus_message_read(reply, "(sus)", &cg, &pid, &cmd)) > 0) {
                pid_t *np = realloc(pids, sizeof(pid_t) * (n + 1));
                if (!np)
                        return -ENOMEM;
                pids = np;
                pids[n++] = (pid_t)pid;
                if (strv_extend(&cmds, cmd) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        *ret_pids = TAKE_PTR(pids);
        *ret_cmdlines = TAKE_PTR(cmds);
        return (int)n;
}

int container_units(sd_bus *bus, char ***ret)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_strv_free_ char **units = NULL;
        int r;
        if ((r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
                                                "ListUnitsByPatterns")) < 0 ||
            (r = sd_bus_message_append(m, "as", 1, "active")) < 0 ||
            (r = sd_bus_message_append(m, "as", 3, "ctr@*.service", "ctr-*.service", "ctr-*.scope")) < 0)
                return r;
        if ((r = sd_bus_call(bus, m, 30 * 1000000ULL, &error, &reply)) < 0)
                return r;
        if ((r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)")) < 0)
                return r;
        const char *name;
        while ((r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, NULL, NULL, NULL, NULL,
                                        NULL, NULL, NULL)) > 0) {
                if (strv_extend(&units, name) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(units);
        return 0;
}

int unit_attach_processes(sd_bus *bus, const char *unit, const pid_t *pids, size_t n, char **err)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;
        if ((r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
                                                "AttachProcessesToUnit")) < 0 ||
            (r = sd_bus_message_append(m, "ss", unit, "")) < 0 ||
            (r = sd_bus_message_open_container(m, 'a', "u")) < 0)
                return set_error(err, r, "building the request: %s", strerror(-r));
        for (size_t i = 0; i < n; i++)
                if ((r = sd_bus_message_append(m, "u", (uint32_t)pids[i])) < 0)
                        return set_error(err, r, "building the request: %s", strerror(-r));
        if ((r = sd_bus_message_close_container(m)) < 0)
                return set_error(err, r, "building the request: %s", strerror(-r));
        r = sd_bus_call(bus, m, 30 * 1000000ULL, &error, NULL);
        if (r < 0)
                return set_error(err, r, "systemd refused to move the processes into %s: %s", unit,
                                 error.message ?: strerror(-r));
        return 0;
}

int unit_stop(sd_bus *bus, const char *unit, char **err)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit", &error, NULL, "ss", unit,
                                   "replace");
        if (r < 0)
                return set_error(err, r, "stopping %s: %s", unit, error.message ?: strerror(-r));
        return 0;
}
