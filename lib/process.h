/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci-config.h"

/* The last steps before execve, on the container side: resource limits, scheduling, user and
 * groups, capabilities. Each returns -errno and names its step in process_last_step(). */

int process_apply_rlimits(const OciProcess *p);
int process_apply_scheduling(const OciProcess *p);
/* Drop the bounding set, switch to the process user (always calling setgroups, so no
 * caller group leaks in), then set effective/permitted/inheritable/ambient exactly. */
int process_apply_user_and_caps(const OciProcess *p, bool setgroups_allowed);
/* args[0] looked up in the process' PATH (or the default PATH), as the payload will see it. */
int process_find_executable(const OciProcess *p, char *ret, size_t size);
const char *process_last_step(void);
/* The capabilities this runtime can hand out (its bounding set). */
uint64_t process_grantable_caps(void);
/* Drop what cannot be granted, with a warning each (the spec asks for a warning, not a
 * failure). */
int process_mask_caps(OciProcess *p, char ***warnings);
/* Highest capability number this kernel knows. */
int cap_last_cap(void);
