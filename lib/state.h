/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Per-container state under the runtime's root (default /run/ctrctl/ID/):
 *   state.json  what later verbs need (pid, start time, bundle, cgroup paths, ...)
 *   config.json the validated config the container was created from
 *   exec.fifo   exists while the container is "created"; 'start' writes to it */

typedef enum ContainerStatus {
        STATUS_CREATING, /* create never finished (runtime killed mid-setup) */
        STATUS_CREATED,
        STATUS_RUNNING,
        STATUS_PAUSED,
        STATUS_STOPPED,
} ContainerStatus;

typedef struct ContainerState {
        char *id;
        char *bundle;
        char *rootfs;
        pid_t pid;
        uint64_t start_time; /* of pid, from /proc/PID/stat, to detect a recycled PID */
        char *created; /* RFC 3339 */
        uid_t owner;
        json_t *annotations;
        json_t *cgroup; /* cgroup_to_json() */
        /* --systemd-cgroup: the transient scope systemd made for the container (its cgroup), which
         * delete stops; NULL with the cgroupfs driver */
        char *systemd_unit;
        /* the inode of the scope's directory in the primary hierarchy: systemd removes an empty
         * scope, and another container or unit may take its name and path afterwards */
        uint64_t systemd_scope_ino;
        bool creating; /* create has not finished */
        char *invocation; /* systemd's INVOCATION_ID of the unit that made it, if any */
        pid_t creator; /* the runtime process doing the create, and its start time */
        uint64_t creator_start_time;
} ContainerState;

ContainerState *container_state_free(ContainerState *s);
static inline void container_state_freep(ContainerState **s)
{
        container_state_free(*s);
}
#define _cleanup_container_state_ _cleanup_(container_state_freep)

/* Create ROOT/ID exclusively (ROOT made 0700 if missing). -EEXIST if the id is taken. */
int state_dir_create(const char *root, const char *id, int *ret_fd);
int state_dir_open(const char *root, const char *id, int *ret_fd);
int state_dir_remove(const char *root, const char *id);

int state_save(int dirfd, const ContainerState *s);
int state_load(int dirfd, ContainerState **ret);
ContainerStatus state_status(int dirfd, const ContainerState *s);
const char *container_status_to_string(ContainerStatus st);
/* The runtime-spec state document (ociVersion, id, status, pid, bundle, annotations). */
json_t *state_to_oci_json(const ContainerState *s, ContainerStatus st);
/* A create that no runtime is finishing any more (it was killed): remains to clear. */
bool state_is_stale(const ContainerState *s);
/* Is the recorded init still the same live process? */
bool state_pid_alive(const ContainerState *s);
