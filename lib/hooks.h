/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "oci-config.h"

/* Run hooks in order, each with the container state on stdin, each bounded by its timeout.
 * The first failure stops the list; *err names the hook and why. */
int hooks_run(const OciHook *hooks, size_t n, const char *kind, const char *state_json, char **err);
const char *hook_kind_name(OciHookKind k);
