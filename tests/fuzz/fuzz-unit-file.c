/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the .ctr parser: a definition file is untrusted input (an image or a user may
 * ship one), so every byte sequence must end in entries or an error, never in a crash, hang or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit-file.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parse(UnitFile *uf, const char *path, const uint8_t *data, size_t size, char **err)
{
        size_t n0 = uf->n_entries;
        int r = unit_file_parse(uf, path, (const char *)data, size, err);

        if (r < 0) {
                /* a failure that is the input's fault says where, and appends nothing */
                if (r != -ENOMEM && (!*err || strncmp(*err, path, strlen(path)) != 0))
                        abort();
                if (uf->n_entries != n0)
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        UnitFile uf = {};
        char *err = NULL;
        bool b;

        /* once as the main file, once more as a drop-in appended to it */
        check_parse(&uf, "fuzz.ctr", data, size, &err);
        check_parse(&uf, "fuzz.ctr.d/a.conf", data, size, &err);

        for (size_t i = 0; i < uf.n_entries; i++) {
                const UnitEntry *e = uf.entries + i;
                char **words = NULL;

                if (!e->section[0] || !e->key[0] || !e->file || e->line == 0 ||
                    strlen(e->value) > UNIT_LINE_MAX)
                        abort();
                int r = unit_value_split(e->value, &words, &err);
                if (r >= 0 && (!words || strv_length(words) != (size_t)r))
                        abort();
                if (r < 0 && r != -ENOMEM && (!err || words))
                        abort();
                strv_free(words);
                (void)unit_value_bool(e->value, &b);
        }

        size_t it = 0, n = 0;
        while (unit_file_next(&uf, NULL, NULL, &it))
                n++;
        if (n != uf.n_entries)
                abort();
        if (uf.n_entries > 0 && unit_file_last(&uf, uf.entries[0].section, uf.entries[0].key) == NULL)
                abort();

        free(err);
        unit_file_done(&uf);
        return 0;
}

#ifdef FUZZ_STANDALONE
/* Without libFuzzer (gcc, or a build without -fsanitize=fuzzer): replay the files named on the
 * command line, or with none run a fixed number of pseudo-random inputs assembled from the syntax's
 * tokens. Deterministic, so it can run as an ordinary test. */
#include <fcntl.h>

static uint64_t rnd_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
        rnd_state ^= rnd_state << 13;
        rnd_state ^= rnd_state >> 7;
        rnd_state ^= rnd_state << 17;
        return rnd_state;
}

int main(int argc, char **argv)
{
        static const char *const tokens[] = {
                "[",           "]",    "=",      "\n",  "\r\n", "\\\n",         "\\",          "#",
                ";",           " ",    "\t",     "\"",  "'",    "\\x41",        "\\x0",        "\\u00e9",
                "\\U0001F600", "\\s",  "\\\\",   "\\n", "\\q",  "\\101",        "[Container]", "[Service]",
                "Image",       "Exec", "Volume", "yes", "off",  "\xef\xbb\xbf", "\xff",        "a",
                "0",           "\x01", "=\n",
        };
        static char buf[1 << 16];

        if (argc > 1) {
                for (int i = 1; i < argc; i++) {
                        char *data = NULL;
                        size_t size = 0;
                        int r = read_full_file(argv[i], 1 << 24, &data, &size);
                        if (r < 0) {
                                fprintf(stderr, "%s: %s\n", argv[i], strerror(-r));
                                return 1;
                        }
                        LLVMFuzzerTestOneInput((const uint8_t *)data, size);
                        free(data);
                }
                return 0;
        }

        for (int iter = 0; iter < 200000; iter++) {
                size_t n = 0, want = rnd() % (iter % 100 == 0 ? sizeof(buf) : 512);
                while (n < want) {
                        const char *t = tokens[rnd() % ELEMENTSOF(tokens)];
                        size_t l = strlen(t);
                        if (n + l > want)
                                break;
                        memcpy(buf + n, t, l);
                        n += l;
                }
                /* now and then a raw byte, NUL included */
                if (n > 0 && rnd() % 8 == 0)
                        buf[rnd() % n] = (char)rnd();
                LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
        }
        return 0;
}
#endif
