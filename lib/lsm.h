/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* AppArmor profiles and SELinux labels for the payload. A profile or label that cannot be
 * applied is an error, never silently dropped: an unconfined container that was meant to be
 * confined is the failure CVE-2019-16884 turned into an escape. */

bool lsm_apparmor_enabled(void);
bool lsm_selinux_enabled(void);
/* Check, on the runtime side, that what the process asks for can be applied here. */
int lsm_check(const char *apparmor_profile, const char *selinux_label, const char **ret_what);
/* Container side, right before execve: write the exec-time profile/label through the
 * container's procfs, verified to be procfs, with no symlink or mount crossing allowed. */
int lsm_apply_exec(const char *apparmor_profile, const char *selinux_label);
