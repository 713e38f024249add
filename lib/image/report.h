/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The layer report of an image: what each layer added, modified and removed, and the image's
 * efficiency the way dive (github.com/wagoodman/dive) scores it, so `ctrctl image layers --ci`
 * passes and fails where `dive --ci` does. The layers are read, never unpacked: nothing touches
 * the disk, and every tar is hostile (see report.c for how names are taken). */

/* At most this many paths (tar entries and the parent directories they imply) are held at once,
 * counting the stacked tree of the layers read so far and the layer being read. */
#define REPORT_DEFAULT_MAX_PATHS UINT64_C(2000000)

typedef struct ReportLayerInput {
        int fd; /* the blob, read from its current offset to EOF; not closed */
        const char *digest; /* the blob digest, copied into the report */
        uint64_t blob_size;
} ReportLayerInput;

typedef struct ReportFile {
        char *path; /* absolute: "/etc/passwd" */
        uint64_t size; /* regular files only; 0 for everything else */
} ReportFile;

/* Files are every entry that is not a directory (symlinks, hard links, devices included). */
typedef struct ReportChanges {
        ReportFile *files; /* sorted by path */
        size_t n_files;
        uint64_t bytes;
} ReportChanges;

typedef struct ReportLayer {
        size_t index; /* 0 = base */
        char *digest;
        uint64_t blob_size;
        uint64_t size; /* sum of the sizes of the layer's regular files (dive's layer size) */
        char *created_by; /* from the config's history; NULL when there is no entry for this layer */
        uint64_t n_entries; /* tar entries taken */
        uint64_t n_skipped; /* tar entries ignored: a '..' component, a name too long, a bad whiteout */
        ReportChanges added; /* path not in the layers below */
        ReportChanges modified; /* path in the layers below, replaced */
        ReportChanges removed; /* by a whiteout or an opaque directory; sizes as they were below */
} ReportLayer;

typedef struct ReportInefficiency {
        char *path;
        uint64_t count; /* occurrences across the layers (dive's "Count") */
        uint64_t total_bytes; /* the sum of their sizes (dive's "Total Space") */
} ReportInefficiency;

typedef struct ImageReport {
        ReportLayer *layers;
        size_t n_layers;
        uint64_t total_size; /* sum of the layer sizes */
        uint64_t user_size; /* the same without the base layer */
        uint64_t wasted_bytes; /* sum of total_bytes of the inefficient files */
        /* A ratio (0.25 = 25%), as dive keeps it: wasted_bytes / user_size; 0 when both are 0,
         * INFINITY when only user_size is (layers that only delete). */
        double user_wasted_percent;
        double efficiency; /* 0..1; 1 for an image without any byte */
        ReportInefficiency *inefficient; /* by total_bytes, largest first, then by path */
        size_t n_inefficient;
} ImageReport;

/* Read the layers (base first) and build the report. image_config is the OCI image config (its
 * "history" names the command of each layer) and may be NULL. max_paths: 0 =
 * REPORT_DEFAULT_MAX_PATHS; beyond it the build fails with -E2BIG. A tar that cannot be read
 * fails the build (-EBADMSG) with *err naming the layer. */
int image_report_build(const ReportLayerInput *layers, size_t n_layers, json_t *image_config,
                       uint64_t max_paths, ImageReport **ret, char **err);
ImageReport *image_report_free(ImageReport *r);
static inline void image_report_freep(ImageReport **r)
{
        image_report_free(*r);
}
#define _cleanup_image_report_ __attribute__((cleanup(image_report_freep)))

/* dive's --json export ("layer": [{index, digestId, sizeBytes, command}], "image": {sizeBytes,
 * inefficientBytes, efficiencyScore, fileReference: [{count, sizeBytes, file}]}) plus the
 * changes of each layer and the user size and wasted ratio. NULL on allocation failure. */
json_t *image_report_to_json(const ImageReport *r);

/* The table of layers, then the image details and the inefficient files; verbose lists the
 * changed files of each layer. Names from the image are printed with control characters
 * escaped. */
void image_report_print(FILE *f, const ImageReport *r, bool verbose);

/* dive's CI rules; a negative value disables a rule. */
typedef struct ReportCiLimits {
        double lowest_efficiency; /* fail when efficiency < this (0..1) */
        int64_t highest_wasted_bytes; /* fail when wasted_bytes > this */
        double highest_user_wasted_percent; /* fail when user_wasted_percent > this (0..1) */
} ReportCiLimits;

/* dive's defaults: lowestEfficiency 0.9, highestWastedBytes disabled, highestUserWastedPercent 0.1 */
#define REPORT_CI_LIMITS_DEFAULT \
        ((ReportCiLimits){ \
                .lowest_efficiency = 0.9, \
                .highest_wasted_bytes = -1, \
                .highest_user_wasted_percent = 0.1, \
        })

/* Set one rule from dive's key ("lowestEfficiency", "highestWastedBytes",
 * "highestUserWastedPercent", also with dive's "rules." prefix) and value as dive takes it: a
 * ratio in 0..1, a size ("20MB", "20M", "20MiB", "1.5 kb", "1000"), or "disabled". -EINVAL with
 * *err set for an unknown key or a bad value. */
int report_ci_limits_set(ReportCiLimits *l, const char *key, const char *value, char **err);

/* A size the way dive's highestWastedBytes takes it (go-humanize's ParseBytes): a decimal
 * number, optional spaces, an optional unit, case-insensitive: B, k/kB = 1000, ki/KiB = 1024,
 * and so on up to E/EiB; fractions are truncated. -EINVAL, or -ERANGE beyond INT64_MAX. */
int report_parse_bytes(const char *s, uint64_t *ret);

/* Print dive --ci's summary and per-rule results (PASS/FAIL/SKIP) to out. Returns 0 when every
 * enabled rule passes, 1 when one fails, -EINVAL when a limit is out of range. */
int image_report_ci(const ImageReport *r, const ReportCiLimits *l, FILE *out);
