/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Content digests of the OCI image spec: "sha256:" and 64 lower-case hex digits. Only sha256 is
 * accepted (every registry and tool writes it; sha512 is optional in the spec). */

#define DIGEST_PREFIX "sha256:"
#define DIGEST_HEX_LEN 64
#define DIGEST_MAX (sizeof(DIGEST_PREFIX) - 1 + DIGEST_HEX_LEN + 1)

typedef struct Digest Digest; /* a running sha256 */

Digest *digest_new(void); /* NULL on allocation failure */
void digest_update(Digest *d, const void *p, size_t n);
/* Writes "sha256:<hex>" to out; the digest may not be updated afterwards. */
void digest_final(Digest *d, char out[static DIGEST_MAX]);
Digest *digest_free(Digest *d);
static inline void digest_freep(Digest **d)
{
        digest_free(*d);
}
#define _cleanup_digest_ __attribute__((cleanup(digest_freep)))

/* ^sha256:[a-f0-9]{64}$ — checked before a digest is used in a path or a URL. */
bool digest_valid(const char *s);
/* The hex part of a valid digest (a pointer into s). */
const char *digest_hex(const char *s);

int digest_buffer(const void *p, size_t n, char out[static DIGEST_MAX]);
/* Reads fd from its current offset to EOF. */
int digest_fd(int fd, char out[static DIGEST_MAX], uint64_t *ret_size);
