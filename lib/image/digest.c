/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libcrypto's SHA256_* functions, not EVP: EVP's first use sets up OpenSSL's provider machinery
 * (about 0.5 ms, more with its config file), which every 'ctrctl run IMAGE' would pay to check a
 * manifest of a few hundred bytes. The same code hashes (SHA-NI where the CPU has it); the
 * functions are deprecated in OpenSSL 3 but kept in the 3.x series. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "util.h"

#define DIGEST_READ_SIZE (1U << 20)

struct Digest {
        SHA256_CTX ctx;
};

Digest *digest_new(void)
{
        Digest *d = calloc(1, sizeof(Digest));
        if (!d)
                return NULL;
        if (SHA256_Init(&d->ctx) != 1)
                return digest_free(d);
        return d;
}

void digest_update(Digest *d, const void *p, size_t n)
{
        if (n > 0)
                (void)SHA256_Update(&d->ctx, p, n);
}

void digest_final(Digest *d, char out[static DIGEST_MAX])
{
        static const char hex[] = "0123456789abcdef";
        unsigned char md[SHA256_DIGEST_LENGTH];
        unsigned int len = SHA256_DIGEST_LENGTH;
        char *o = stpcpy(out, DIGEST_PREFIX);

        if (SHA256_Final(md, &d->ctx) != 1) {
                /* Cannot happen with a context digest_new() made; never hand out a digest that
                 * could match something. */
                *out = 0;
                return;
        }
        for (unsigned int i = 0; i < len; i++) {
                *o++ = hex[md[i] >> 4];
                *o++ = hex[md[i] & 15];
        }
        *o = 0;
}

Digest *digest_free(Digest *d)
{
        free(d);
        return NULL;
}

bool digest_valid(const char *s)
{
        const char *h = s ? startswith(s, DIGEST_PREFIX) : NULL;
        if (!h)
                return false;
        for (size_t i = 0; i < DIGEST_HEX_LEN; i++)
                if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
                        return false;
        return h[DIGEST_HEX_LEN] == 0;
}

const char *digest_hex(const char *s)
{
        return s + strlen(DIGEST_PREFIX);
}

int digest_buffer(const void *p, size_t n, char out[static DIGEST_MAX])
{
        _cleanup_digest_ Digest *d = digest_new();
        if (!d)
                return -ENOMEM;
        digest_update(d, p, n);
        digest_final(d, out);
        return 0;
}

int digest_fd(int fd, char out[static DIGEST_MAX], uint64_t *ret_size)
{
        _cleanup_digest_ Digest *d = digest_new();
        _cleanup_free_ void *buf = malloc(DIGEST_READ_SIZE);
        uint64_t size = 0;

        if (!d || !buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf, DIGEST_READ_SIZE);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        break;
                digest_update(d, buf, (size_t)n);
                size += (uint64_t)n;
        }
        digest_final(d, out);
        if (ret_size)
                *ret_size = size;
        return 0;
}
