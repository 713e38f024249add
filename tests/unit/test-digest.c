/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/mman.h>

#include "digest.h"
#include "tap.h"
#include "util.h"

#define SHA256_EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_ABC "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/* FIPS 180-2 vectors: a million 'a', and the two-block message */
#define SHA256_MILLION_A "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
#define MSG_448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define SHA256_448 "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"

static void test_vectors(void)
{
        char out[DIGEST_MAX];

        CHECK(digest_buffer("", 0, out) == 0 && streq(out, SHA256_EMPTY), "sha256 of '' (got %s)", out);
        CHECK(digest_buffer("abc", 3, out) == 0 && streq(out, SHA256_ABC), "sha256 of 'abc' (got %s)", out);
        CHECK(digest_buffer(MSG_448, strlen(MSG_448), out) == 0 && streq(out, SHA256_448),
              "sha256 of the 448-bit message");
        CHECK(strlen(out) == DIGEST_MAX - 1, "a digest fills DIGEST_MAX");

        {
                _cleanup_digest_ Digest *d = digest_new();
                CHECK(d, "digest_new");
                digest_update(d, "a", 1);
                digest_update(d, "", 0);
                digest_update(d, "bc", 2);
                digest_final(d, out);
                CHECK(streq(out, SHA256_ABC), "incremental 'a' + '' + 'bc' = 'abc'");
        }
        {
                _cleanup_digest_ Digest *d = digest_new();
                char a[1000];
                memset(a, 'a', sizeof(a));
                for (int i = 0; i < 1000; i++)
                        digest_update(d, a, sizeof(a));
                digest_final(d, out);
                CHECK(streq(out, SHA256_MILLION_A), "a million 'a' in 1000 updates");
        }
        CHECK(digest_free(NULL) == NULL, "digest_free(NULL)");
}

static void test_valid(void)
{
        static const char *const good[] = {
                SHA256_EMPTY,
                SHA256_ABC,
                "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        };
        static const char *const bad[] = {
                "",
                "sha256:",
                "sha256",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
                "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
                "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g",
                " sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "sha256:../../x",
                "sha256:../../../../../../../../../../../../../../../../../../etc/passwd",
                "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b/../855",
                "sha512:"
                "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877"
                "eec2f63b931bd47417a81a538327af927da3e",
                "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                CHECK(digest_valid(good[i]), "valid: '%s'", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                CHECK(!digest_valid(bad[i]), "invalid: '%s'", bad[i]);
        CHECK(!digest_valid(SHA256_EMPTY "\n"), "invalid: a valid digest and a newline");
        CHECK(!digest_valid(NULL), "invalid: NULL");
        CHECK(streq(digest_hex(SHA256_ABC), SHA256_ABC + strlen(DIGEST_PREFIX)), "digest_hex");
}

static void test_fd(void)
{
        char out[DIGEST_MAX];
        uint64_t size = 1;
        int fd = memfd_create("test-digest", MFD_CLOEXEC);

        CHECK(fd >= 0, "memfd_create");
        if (fd < 0)
                return;
        CHECK(digest_fd(fd, out, &size) == 0 && streq(out, SHA256_EMPTY) && size == 0,
              "digest_fd of nothing");

        CHECK(loop_write(fd, "xyabc", 5) == 0, "write");
        CHECK(lseek(fd, 2, SEEK_SET) == 2, "seek");
        CHECK(digest_fd(fd, out, &size) == 0 && streq(out, SHA256_ABC) && size == 3,
              "digest_fd reads from the current offset (size %" PRIu64 ")", size);
        CHECK(digest_fd(fd, out, NULL) == 0 && streq(out, SHA256_EMPTY), "again at EOF: nothing left");

        /* more than one read buffer */
        CHECK(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0, "truncate");
        {
                char a[1000];
                memset(a, 'a', sizeof(a));
                for (int i = 0; i < 1000; i++)
                        loop_write(fd, a, sizeof(a));
        }
        CHECK(lseek(fd, 0, SEEK_SET) == 0, "rewind");
        CHECK(digest_fd(fd, out, &size) == 0 && streq(out, SHA256_MILLION_A) && size == 1000000,
              "digest_fd of a million 'a'");
        close(fd);

        CHECK(digest_fd(fd, out, &size) == -EBADF, "a closed fd is -EBADF");
        fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(digest_fd(fd, out, &size) == -EISDIR, "a directory is -EISDIR");
        close(fd);
}

int main(void)
{
        test_vectors();
        test_valid();
        test_fd();
        return tap_done();
}
