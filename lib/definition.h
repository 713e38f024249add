/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "unit-file.h"

/* A .ctr definition (NAME.ctr plus drop-ins), translated into the OCI runtime-spec config that
 * bundles use, so the executor has one input. [Unit], [Service] and [Install] are kept for the
 * generator, which passes them through to ctr@NAME.service. Every error names the file, the
 * line and the key: "/etc/ctr/web.ctr:7: Volume=: 'data' is not an absolute path". */

typedef struct Definition {
        char *name;
        char *path; /* the main file */
        UnitFile unit; /* every entry, drop-ins included, in order */
        json_t *config; /* the OCI config */
        char *bundle; /* Bundle=: the directory used as the container's bundle (config.json there is
                       * read as is), else NULL and config is generated */
        bool init; /* Init=: a minimal reaper runs as PID 1 and forwards signals */

        /* Image=: a reference in the local image store. config is then completed at start from
         * the image (lib/image/image-run.c): root.path is empty, and what the definition says
         * about the command, user, directory and environment is kept here to override the
         * image's defaults. */
        char *image;
        bool image_readonly;
        char **image_entrypoint; /* NULL: the image's (an Entrypoint= line sets it, maybe empty) */
        char **image_cmd; /* NULL: the image's Cmd */
        char *image_user; /* User=[:Group=] as written, NULL: the image's */
        char *image_cwd;
        char **image_env; /* Environment=/EnvironmentFile= over the image's Env */
} Definition;

Definition *definition_free(Definition *d);
static inline void definition_freep(Definition **d)
{
        definition_free(*d);
}

int definition_load(const char *name, Definition **ret, char **err);

/* Is key one of [Container]'s (including those reserved for features still to come)? */
bool definition_key_known(const char *key);

/* [Service] keys ctr@.service owns: a definition may not set them. */
bool definition_service_key_reserved(const char *key);
