/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "definition.h"

/* Running a definition with Image=: the image's layers are mounted as the container's rootfs
 * (an overlay with the container's own upper dir, in a private mount namespace this process
 * enters, see store_container_create()), and the OCI config is completed from the image config:
 * command, environment, working directory, user (looked up in the image's own /etc files) and
 * anonymous volumes, with what the definition sets taking precedence. */
int image_run_prepare(Definition *d, const char *id, char **err);

/* Remove the container's upper dir and volumes from the store (no-op when there are none). */
int image_run_cleanup(const char *id, char **err);
