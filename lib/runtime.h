/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>

/* The runc-compatible verbs over the container state, shared by ctr-oci and ctrctl. Each
 * returns -errno with *err set to the message for the user. Texts containerd matches:
 * "does not exist", "container not running". */

int runtime_state(const char *root, const char *id, json_t **ret, char **err);
int runtime_list(const char *root, json_t **ret, char **err);
int runtime_kill(const char *root, const char *id, int sig, bool all, char **err);
int runtime_pause(const char *root, const char *id, bool pause, char **err);
int runtime_pids(const char *root, const char *id, pid_t **ret, size_t *ret_n, char **err);
/* resources: a linux.resources object */
int runtime_update(const char *root, const char *id, json_t *resources, char **err);
/* The container's saved config.json process, for 'exec ID CMD...' defaults. */
int runtime_load_config(const char *root, const char *id, json_t **ret, char **err);
json_t *runtime_features(void);
