/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Minimal TAP producer for the unit tier: each check prints "ok N - what" or "not ok N - what";
 * tap_done() prints the plan and returns the exit code (1 if any check failed). */

#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

/* cond is evaluated once: it may have side effects */
#define CHECK(cond, ...) \
        do { \
                int ok_ = !!(cond); \
                tap_n++; \
                if (!ok_) \
                        tap_failed++; \
                printf("%s %d - ", ok_ ? "ok" : "not ok", tap_n); \
                printf(__VA_ARGS__); \
                printf("\n"); \
                if (!ok_) \
                        printf("# failed: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
                fflush(stdout); \
        } while (0)

static inline int tap_done(void)
{
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}

static inline int tap_skip_all(const char *why)
{
        printf("1..0 # SKIP %s\n", why);
        return 77;
}
