/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "tap.h"
#include "unit-file.h"
#include "util.h"

static char tmp[] = "/tmp/test-unit-file.XXXXXX";

/* a string fit for a TAP line: control characters escaped */
static const char *vis(const char *s)
{
        static char buf[4][256];
        static int k;
        char *b = buf[k++ % 4], *o = b;

        for (; s && *s && o < b + sizeof(buf[0]) - 5; s++)
                if ((unsigned char)*s < ' ' || *s == 0x7f)
                        o += sprintf(o, "\\x%02x", (unsigned char)*s);
                else
                        *o++ = *s;
        *o = 0;
        return b;
}

static int parse_str(UnitFile *uf, const char *s, char **err)
{
        return unit_file_parse(uf, "t.ctr", s, strlen(s), err);
}

static bool entry_is(const UnitFile *uf, size_t i, const char *section, const char *key, const char *value,
                     unsigned line)
{
        if (i >= uf->n_entries)
                return false;
        const UnitEntry *e = uf->entries + i;
        if (!streq(e->section, section) || !streq(e->key, key) || !streq(e->value, value) ||
            e->line != line) {
                printf("# entry %zu: [%s] '%s'='%s' line %u\n", i, e->section, e->key, e->value, e->line);
                return false;
        }
        return true;
}

/* input refused with exactly this code and message, and uf left as it was */
static void check_error(const char *what, const char *input, size_t size, int code, const char *msg)
{
        UnitFile uf = {};
        _cleanup_free_ char *err = NULL;

        CHECK(parse_str(&uf, "[Pre]\nA=1\n", &err) == 0 && uf.n_entries == 1, "%s: setup", vis(what));
        int r = unit_file_parse(&uf, "t.ctr", input, size, &err);
        CHECK(r == code && err && streq(err, msg), "%s: %d (got %d '%s')", vis(what), code, r, vis(err));
        CHECK(uf.n_entries == 1 && entry_is(&uf, 0, "Pre", "A", "1", 2), "%s: nothing appended", vis(what));
        unit_file_done(&uf);
}

static void check_error_str(const char *input, int code, const char *msg)
{
        check_error(msg, input, strlen(input), code, msg);
}

static void test_syntax(void)
{
        UnitFile uf = {};
        _cleanup_free_ char *err = NULL;
        const char *s = "# comment\n"
                        "  ; indented comment\n"
                        "\n"
                        "[Unit]\n"
                        "Description = Web server  \n"
                        "\t \n"
                        "[Container]\n"
                        "Image=busybox\n"
                        "Exec=/bin/sh -c \\\n"
                        "  \"echo hi\"\n"
                        "Volume=/a:/b\n"
                        "Volume=\n"
                        "Volume=/c:/d\n"
                        "Environment=A=1 B=2\n"
                        "Blank=   \t\n"
                        "[Service]\n"
                        "MemoryMax=256M";

        CHECK(parse_str(&uf, s, &err) == 0 && !err, "a definition parses (%s)", strempty(err));
        CHECK(uf.n_entries == 9, "9 entries (got %zu)", uf.n_entries);
        CHECK(entry_is(&uf, 0, "Unit", "Description", "Web server", 5),
              "whitespace around '=' and at the end trimmed");
        CHECK(entry_is(&uf, 1, "Container", "Image", "busybox", 8), "section switch");
        CHECK(entry_is(&uf, 2, "Container", "Exec", "/bin/sh -c    \"echo hi\"", 9),
              "continuation: backslash becomes a space, line of the start, quotes kept");
        CHECK(entry_is(&uf, 3, "Container", "Volume", "/a:/b", 11), "repeated key 1");
        CHECK(entry_is(&uf, 4, "Container", "Volume", "", 12), "empty assignment kept");
        CHECK(entry_is(&uf, 5, "Container", "Volume", "/c:/d", 13), "repeated key 2");
        CHECK(entry_is(&uf, 6, "Container", "Environment", "A=1 B=2", 14), "'=' in a value");
        CHECK(entry_is(&uf, 7, "Container", "Blank", "", 15), "blank value is empty");
        CHECK(entry_is(&uf, 8, "Service", "MemoryMax", "256M", 17), "last line without newline");
        CHECK(streq(uf.entries[0].file, "t.ctr") && streq(uf.entries[8].file, "t.ctr"), "file recorded");

        size_t it = 0;
        const UnitEntry *e;
        int n = 0;
        while ((e = unit_file_next(&uf, "Container", "Volume", &it)))
                n++;
        CHECK(n == 3, "unit_file_next: 3 Volume= (got %d)", n);
        it = 0;
        n = 0;
        while ((e = unit_file_next(&uf, "Container", NULL, &it)))
                n++;
        CHECK(n == 7, "unit_file_next: NULL key is any key of the section (got %d)", n);
        it = 0;
        CHECK(!unit_file_next(&uf, "Nope", NULL, &it), "unknown section: nothing");
        e = unit_file_last(&uf, "Container", "Volume");
        CHECK(e && streq(e->value, "/c:/d"), "unit_file_last");
        CHECK(!unit_file_last(&uf, "Unit", "Volume"), "unit_file_last: section matters");
        unit_file_done(&uf);
        CHECK(uf.n_entries == 0 && !uf.entries, "unit_file_done resets");

        /* systemd.syntax(7)'s example: comment lines inside a continuation are dropped */
        CHECK(parse_str(&uf,
                        "[Section C]\n"
                        "KeyThree=value 3\\\n"
                        "# this line is ignored\n"
                        "; this line is ignored too\n"
                        "       value 3 continued\n"
                        "Next=1\n",
                        &err) == 0,
              "systemd.syntax example parses");
        CHECK(entry_is(&uf, 0, "Section C", "KeyThree", "value 3        value 3 continued", 2),
              "comments inside a continuation skipped");
        CHECK(entry_is(&uf, 1, "Section C", "Next", "1", 6), "line numbers go on after it");
        unit_file_done(&uf);

        CHECK(parse_str(&uf,
                        "\xef\xbb\xbf[A]\r\n"
                        "K=v\r\n"
                        "Even=a\\\\\n"
                        "Space=a\\ \n"
                        "# comment \\\n"
                        "After=1\n"
                        "Three=x\\\\\\\n"
                        "y\n"
                        "Blank=a\\\n"
                        "\n"
                        "Lone=\\\n"
                        "\\\n"
                        "z\n"
                        "Eof=end\\",
                        &err) == 0,
              "edge cases parse (%s)", strempty(err));
        CHECK(entry_is(&uf, 0, "A", "K", "v", 2), "BOM and CRLF");
        CHECK(entry_is(&uf, 1, "A", "Even", "a\\\\", 3), "an even run of backslashes does not continue");
        CHECK(entry_is(&uf, 2, "A", "Space", "a\\", 4),
              "a backslash before trailing space does not continue");
        CHECK(entry_is(&uf, 3, "A", "After", "1", 6), "a comment ending in a backslash does not continue");
        CHECK(entry_is(&uf, 4, "A", "Three", "x\\\\ y", 7), "an odd run continues");
        CHECK(entry_is(&uf, 5, "A", "Blank", "a", 9), "an empty line ends a continuation");
        CHECK(entry_is(&uf, 6, "A", "Lone", "z", 11), "lines of a lone backslash");
        CHECK(entry_is(&uf, 7, "A", "Eof", "end", 14), "a continuation at end of file is parsed");
        CHECK(uf.n_entries == 8, "8 entries");
        unit_file_done(&uf);

        /* appending a second file (a drop-in) */
        CHECK(parse_str(&uf, "[A]\nK=1\n", &err) == 0 &&
                      unit_file_parse(&uf, "d.conf", "[A]\nK=2\n", 8, &err) == 0,
              "two files into one UnitFile");
        CHECK(uf.n_entries == 2 && streq(uf.entries[1].file, "d.conf") && streq(uf.entries[0].file, "t.ctr"),
              "entries keep their file");
        e = unit_file_last(&uf, "A", "K");
        CHECK(e && streq(e->value, "2"), "the drop-in's assignment comes last");
        unit_file_done(&uf);

        CHECK(unit_file_parse(&uf, "e.ctr", "", 0, &err) == 0 && uf.n_entries == 0, "empty buffer");
        CHECK(unit_file_parse(&uf, "e.ctr", NULL, 0, NULL) == 0 && uf.n_entries == 0, "NULL empty buffer");
        CHECK(parse_str(&uf, "# only\n\n; comments\n", NULL) == 0 && uf.n_entries == 0, "only comments");
        CHECK(parse_str(&uf, "[Empty]\n", NULL) == 0 && uf.n_entries == 0, "section without keys");
        unit_file_done(&uf);
}

static void test_errors(void)
{
        check_error_str("K=v\n", -EINVAL, "t.ctr:1: assignment outside of section");
        check_error_str("# c\n\nK=v\n[A]\n", -EINVAL, "t.ctr:3: assignment outside of section");
        check_error_str("[A]\nK=v\nfoo\n", -EINVAL, "t.ctr:3: missing '='");
        check_error_str("[A]\n  = v\n", -EINVAL, "t.ctr:2: missing key name before '='");
        check_error_str("[A\n", -EINVAL, "t.ctr:1: invalid section header '[A'");
        check_error_str("[\n", -EINVAL, "t.ctr:1: invalid section header '['");
        check_error_str("[A] x\n", -EINVAL, "t.ctr:1: invalid section header '[A] x'");
        check_error_str("[]\n", -EINVAL, "t.ctr:1: invalid section name ''");
        check_error_str("[A\"B]\n", -EINVAL, "t.ctr:1: invalid section name 'A\"B'");
        check_error_str("[A\x01]\n", -EINVAL, "t.ctr:1: invalid section name 'A?'");
        check_error_str("[A]\nK=a \\\n  b\nbad \\\n  line\n", -EINVAL, "t.ctr:4: missing '='");
        check_error("NUL byte", "[A]\nK=a\0b\nL=c\n", 14, -EINVAL, "t.ctr:2: NUL byte");
        check_error("NUL at start", "\0[A]", 4, -EINVAL, "t.ctr:1: NUL byte");

        /* error with err == NULL, and a message already in *err replaced */
        UnitFile uf = {};
        CHECK(parse_str(&uf, "K=v", NULL) == -EINVAL, "err may be NULL");
        char *err = strdup("old");
        CHECK(parse_str(&uf, "K=v", &err) == -EINVAL && err &&
                      streq(err, "t.ctr:1: assignment outside of section"),
              "an old message is replaced");
        free(err);
        err = NULL;
        CHECK(parse_str(&uf, "[A]\nK=v\n", &err) == 0 && !err, "success leaves err alone");
        unit_file_done(&uf);
}

static void test_limits(void)
{
        UnitFile uf = {};
        _cleanup_free_ char *err = NULL;
        size_t big = UNIT_FILE_SIZE_MAX + 16;
        _cleanup_free_ char *buf = malloc(big);

        /* a line of exactly UNIT_LINE_MAX bytes passes, one more fails */
        memcpy(buf, "[A]\nK=", 6);
        memset(buf + 6, 'x', UNIT_LINE_MAX - 2);
        CHECK(unit_file_parse(&uf, "t.ctr", buf, 4 + UNIT_LINE_MAX, &err) == 0 && uf.n_entries == 1 &&
                      strlen(uf.entries[0].value) == UNIT_LINE_MAX - 2,
              "a line of %u bytes", UNIT_LINE_MAX);
        unit_file_done(&uf);
        memset(buf + 6, 'x', UNIT_LINE_MAX - 1);
        check_error("line too long", buf, 4 + UNIT_LINE_MAX + 1, -ENOBUFS,
                    "t.ctr:2: line too long (max 65536 bytes)");

        /* ... also when the length comes from continuations */
        size_t n = 0;
        n += (size_t)sprintf(buf, "[A]\n# c\nK=");
        for (int i = 0; i < 3; i++) {
                memset(buf + n, 'y', 30000);
                n += 30000;
                buf[n++] = '\\';
                buf[n++] = '\n';
        }
        check_error("continued line too long", buf, n, -ENOBUFS, "t.ctr:3: line too long (max 65536 bytes)");

        /* file size */
        memset(buf, '#', big);
        CHECK(unit_file_parse(&uf, "t.ctr", buf, UNIT_FILE_SIZE_MAX, &err) == -ENOBUFS,
              "a file of exactly the maximum size is read (and its line refused)");
        for (size_t i = 1000; i < big; i += 1000)
                buf[i] = '\n';
        CHECK(unit_file_parse(&uf, "t.ctr", buf, UNIT_FILE_SIZE_MAX, &err) == 0, "a 1 MiB file of comments");
        check_error("file too large", buf, UNIT_FILE_SIZE_MAX + 1, -EFBIG,
                    "t.ctr: file too large (max 1048576 bytes)");

        /* entries */
        n = (size_t)sprintf(buf, "[A]\n");
        for (unsigned i = 0; i < UNIT_ENTRIES_MAX - 1; i++)
                n += (size_t)sprintf(buf + n, "K=%u\n", i);
        CHECK(unit_file_parse(&uf, "t.ctr", buf, n, &err) == 0 && uf.n_entries == UNIT_ENTRIES_MAX - 1,
              "%u entries", UNIT_ENTRIES_MAX - 1);
        CHECK(unit_file_parse(&uf, "d.conf", "[A]\nL=1\nM=2\n", 12, &err) == -E2BIG && err &&
                      streq(err, "d.conf:3: too many assignments (max 10000)"),
              "entry %u refused across files: %s", UNIT_ENTRIES_MAX + 1, strempty(err));
        CHECK(uf.n_entries == UNIT_ENTRIES_MAX - 1, "the failed file is rolled back whole");
        CHECK(unit_file_parse(&uf, "d.conf", "[A]\nL=1\n", 8, &err) == 0 && uf.n_entries == UNIT_ENTRIES_MAX,
              "entry %u accepted", UNIT_ENTRIES_MAX);
        CHECK(entry_is(&uf, 5000, "A", "K", "5000", 5002), "earlier entries intact after a rollback");
        unit_file_done(&uf);
}

static void check_split(const char *in, const char *const *want)
{
        _cleanup_strv_free_ char **w = NULL;
        _cleanup_free_ char *err = NULL;
        int r = unit_value_split(in, &w, &err);
        size_t n = 0;
        bool ok = r >= 0 && w;

        while (want[n])
                n++;
        ok = ok && (size_t)r == n && strv_length(w) == n;
        for (size_t i = 0; ok && i < n; i++)
                ok = streq(w[i], want[i]);
        CHECK(ok, "split «%s» into %zu words (got %d: %s)", vis(in), n, r,
              vis(r > 0 && w && w[0] ? w[0] : strempty(err)));
}

static void check_split_error(const char *in, const char *msg)
{
        char **w = NULL;
        _cleanup_free_ char *err = NULL;
        int r = unit_value_split(in, &w, &err);
        CHECK(r == -EINVAL && !w && err && streq(err, msg), "split «%s» fails: '%s' (got %d '%s')", vis(in),
              msg, r, vis(err));
        strv_free(w);
}

#define SPLIT(in, ...) check_split(in, (const char *const[]){__VA_ARGS__, NULL})

static void test_split(void)
{
        check_split("", (const char *const[]){NULL});
        check_split(" \t ", (const char *const[]){NULL});
        SPLIT("a b  c", "a", "b", "c");
        SPLIT("  lead trail  ", "lead", "trail");
        SPLIT("\"a b\" 'c d'", "a b", "c d");
        SPLIT("a\"b c\"d", "ab cd");
        SPLIT("\"\"", "");
        SPLIT("a '' b", "a", "", "b");
        SPLIT("\"it's\" 'say \"hi\"'", "it's", "say \"hi\"");
        SPLIT("a\\nb \\t", "a\nb", "\t");
        SPLIT("\\\\ \\\" \\'", "\\", "\"", "'");
        SPLIT("a\\sb", "a b");
        SPLIT("\\x41\\x7a \\101", "Az", "A");
        SPLIT("\\a\\b\\f\\r\\v", "\a\b\f\r\v");
        SPLIT("\\xff", "\xff");
        SPLIT("\\u00e9 \\U0001F600", "\xc3\xa9", "\xf0\x9f\x98\x80");
        SPLIT("'a\\tb' \"c\\\"d\"", "a\tb", "c\"d");
        SPLIT("x=\"1 2\" y", "x=1 2", "y");

        check_split_error("\"abc", "unbalanced quoting");
        check_split_error("a 'b c", "unbalanced quoting");
        check_split_error("a\"b", "unbalanced quoting");
        check_split_error("abc\\", "trailing backslash");
        check_split_error("\"abc\\", "trailing backslash");
        check_split_error("\\q", "invalid escape sequence '\\q'");
        check_split_error("a\\ b", "invalid escape sequence '\\ '");
        check_split_error("\\x00", "invalid escape sequence '\\x00'");
        check_split_error("\\x4", "invalid escape sequence '\\x4'");
        check_split_error("\\x4g", "invalid escape sequence '\\x4g'");
        check_split_error("\\000", "invalid escape sequence '\\000'");
        check_split_error("\\400", "invalid escape sequence '\\400'");
        check_split_error("\\u0000", "invalid escape sequence '\\u0000'");
        check_split_error("\\ud800", "invalid escape sequence '\\ud800'");
        check_split_error("\\U00110000", "invalid escape sequence '\\U00110000'");
        check_split_error("\\\x1b[31m", "invalid escape sequence '\\?'");
        check_split_error("\\\xc3\xa9t\xc3\xa9", "invalid escape sequence '\\\xc3\xa9'");

        char **w = NULL;
        CHECK(unit_value_split("'x", &w, NULL) == -EINVAL && !w, "err may be NULL");
}

static void test_bool(void)
{
        static const char *const yes[] = {"1", "yes", "y", "true", "t", "on", "YES", "True", "ON"};
        static const char *const no[] = {"0", "no", "n", "false", "f", "off", "No", "FALSE", "Off"};
        static const char *const bad[] = {"", "2", "yess", "on ", " on", "enable", "-1", "nope"};
        bool b;

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                b = false;
                CHECK(unit_value_bool(yes[i], &b) == 0 && b, "'%s' is true", yes[i]);
        }
        for (size_t i = 0; i < ELEMENTSOF(no); i++) {
                b = true;
                CHECK(unit_value_bool(no[i], &b) == 0 && !b, "'%s' is false", no[i]);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                CHECK(unit_value_bool(bad[i], &b) == -EINVAL, "'%s' is not a boolean", bad[i]);
}

static void test_names(void)
{
        static const char *const good[] = {"web", "a", "web@1:x_y.z-w", "A9", "x.", "-x"};
        static const char *const bad[] = {"",    ".",      "..", ".hidden", "a/b",
                                          "a b", "a\\x2d", "é",  "a*",      "a\n"};
        char n200[201], n201[202];

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                CHECK(definition_name_is_valid(good[i]), "name '%s' valid", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                CHECK(!definition_name_is_valid(bad[i]), "name '%s' invalid", vis(bad[i]));
        memset(n200, 'n', 200);
        n200[200] = 0;
        memset(n201, 'n', 201);
        n201[201] = 0;
        CHECK(definition_name_is_valid(n200), "200 characters valid");
        CHECK(!definition_name_is_valid(n201), "201 characters invalid");
        CHECK(!definition_name_is_valid(NULL), "NULL invalid");
}

/* Test tree */

static char *tpath(const char *rel)
{
        static char buf[8][PATH_MAX];
        static int i;
        char *p = buf[i++ % 8];
        snprintf(p, PATH_MAX, "%s/%s", tmp, rel);
        return p;
}

static void put(const char *rel, const char *content)
{
        char *p = tpath(rel);
        char *slash = strrchr(p, '/');
        *slash = 0;
        mkdir_p(p, 0755);
        *slash = '/';
        /* reported only when it fails: the speed test writes thousands */
        if (write_file_atomic(AT_FDCWD, p, content, strlen(content), 0644) < 0)
                CHECK(false, "write %s", rel);
}

static void link_to(const char *rel, const char *target)
{
        char *p = tpath(rel);
        char *slash = strrchr(p, '/');
        *slash = 0;
        mkdir_p(p, 0755);
        *slash = '/';
        CHECK(symlink(target, p) == 0, "symlink %s -> %s", rel, target);
}

static bool strv_equal_tree(char **l, const char *const *want)
{
        size_t i = 0;
        for (; want[i]; i++)
                if (!l || !l[i] || !streq(l[i], tpath(want[i]))) {
                        printf("# [%zu] got '%s' want '%s'\n", i, l && l[i] ? l[i] : "(end)",
                               tpath(want[i]));
                        return false;
                }
        return l && !l[i];
}

static void test_search_path(void)
{
        char **l = NULL;

        unsetenv("CTR_DEFINITION_PATH");
        CHECK(definition_search_path(&l) == 0 && strv_length(l) == 3 && streq(l[0], "/etc/ctr") &&
                      streq(l[1], "/run/ctr") && streq(l[2], "/usr/lib/ctr"),
              "default search path");
        l = strv_free(l);

        setenv("CTR_DEFINITION_PATH", "::/a::/b/:", 1);
        CHECK(definition_search_path(&l) == 0 && strv_length(l) == 2 && streq(l[0], "/a") &&
                      streq(l[1], "/b/"),
              "CTR_DEFINITION_PATH: empty entries skipped");
        l = strv_free(l);

        setenv("CTR_DEFINITION_PATH", "", 1);
        CHECK(definition_search_path(&l) == 0 && l && !l[0], "CTR_DEFINITION_PATH='' searches nothing");
        l = strv_free(l);
        char *p = NULL;
        CHECK(definition_find("web", &p, NULL) == -ENOENT && !p, "... and finds nothing");
}

static void test_lookup(void)
{
        char *path = NULL, **dropins = NULL, **names = NULL;
        _cleanup_free_ char *err = NULL;
        UnitFile uf = {};

        put("d1/web.ctr.d/20-b.conf", "[Container]\nImage=from-d1-20\n");
        put("d1/web.ctr.d/.hidden.conf", "[Container]\nImage=hidden\n");
        link_to("d1/web.ctr.d/40-masked.conf", "/dev/null");
        link_to("d1/web.ctr.d/25-dangling.conf", "/nonexistent/x");
        put("d1/web.ctr.d/45-empty.conf", "");
        put("d2/web.ctr", "[Container]\nImage=main-d2\nVolume=/a:/a\n");
        put("d2/web.ctr.d/30-c.conf", "[Container]\nVolume=\n");
        put("d2/web.ctr.d/foo.txt", "not a drop-in");
        put("d2/web.ctr.d/50-dir.conf/x", "");
        put("d3/web.ctr", "[Container]\nImage=main-d3\n");
        put("d3/web.ctr.d/20-b.conf", "[Container]\nImage=from-d3-20 (overridden)\n");
        put("d3/web.ctr.d/10-a.conf", "[Container]\nImage=from-d3-10\n");
        put("d3/web.ctr.d/40-masked.conf", "[Container]\nImage=masked\n");
        put("d3/web.ctr.d/45-empty.conf", "[Container]\nImage=masked by an empty file\n");
        put("d3/web.ctr.d/50-dir.conf", "[Container]\nVolume=/from-d3-50\n");

        link_to("d1/db.ctr", "/dev/null");
        put("d3/db.ctr", "[Container]\nImage=db\n");
        put("d2/empty.ctr", "");
        link_to("d1/ghost.ctr", "/nonexistent/ghost.ctr");
        put("d3/ghost.ctr", "[Container]\nImage=ghost\n");
        link_to("d1/dangling.ctr", "/nonexistent/dangling.ctr");
        put("d1/bad.ctr", "[Container]\nImage=x\n");
        put("d1/bad.ctr.d/10-x.conf", "[Container]\nImage=y\nbroken\n");
        put("d1/.hidden.ctr", "[Container]\n");
        put("d1/bad name.ctr", "[Container]\n");
        put("d1/notes.ctrl", "");
        put("d1/.ctr", "");
        CHECK(mkfifo(tpath("d2/fifo.ctr"), 0644) == 0, "mkfifo");
        CHECK(mkdir(tpath("d2/dir.ctr"), 0755) == 0, "mkdir");
        put("file-not-dir", "");

        {
                char buf[5 * PATH_MAX];
                snprintf(buf, sizeof(buf), "%s/d1::%s/nonexistent:%s/d2:%s/file-not-dir:%s/d3/", tmp, tmp,
                         tmp, tmp, tmp);
                setenv("CTR_DEFINITION_PATH", buf, 1);
        }

        CHECK(definition_find("web", &path, &dropins) == 0, "web found");
        CHECK(path && streq(path, tpath("d2/web.ctr")), "the first directory holding web.ctr wins: %s",
              strempty(path));
        CHECK(strv_equal_tree(dropins,
                              (const char *const[]){"d3/web.ctr.d/10-a.conf", "d1/web.ctr.d/20-b.conf",
                                                    "d2/web.ctr.d/30-c.conf", "d3/web.ctr.d/50-dir.conf",
                                                    NULL}),
              "drop-ins from all directories, earlier ones override by name, masks and junk skipped, "
              "lexical order");
        free(path);
        path = NULL;
        dropins = strv_free(dropins);

        CHECK(unit_file_load_definition("web", &uf, &path, &err) == 0, "web loads (%s)", strempty(err));
        CHECK(path && streq(path, tpath("d2/web.ctr")), "main path returned");
        CHECK(uf.n_entries == 6, "6 entries (got %zu)", uf.n_entries);
        CHECK(entry_is(&uf, 0, "Container", "Image", "main-d2", 2) &&
                      streq(uf.entries[0].file, tpath("d2/web.ctr")),
              "main file first");
        CHECK(entry_is(&uf, 2, "Container", "Image", "from-d3-10", 2) &&
                      streq(uf.entries[2].file, tpath("d3/web.ctr.d/10-a.conf")),
              "then 10-a.conf");
        const UnitEntry *e = unit_file_last(&uf, "Container", "Image");
        CHECK(e && streq(e->value, "from-d1-20") && streq(e->file, tpath("d1/web.ctr.d/20-b.conf")),
              "the last Image= is d1's 20-b.conf");
        e = unit_file_last(&uf, "Container", "Volume");
        CHECK(e && streq(e->value, "/from-d3-50") && e[-1].line == 2 && streq(e[-1].value, "") &&
                      streq(e[-1].file, tpath("d2/web.ctr.d/30-c.conf")),
              "30-c.conf's reset, then d3's 50-dir.conf (d2's directory of that name does not mask it)");
        free(path);
        path = NULL;

        /* a failing load leaves uf as it was */
        CHECK(unit_file_load_definition("bad", &uf, &path, &err) == -EINVAL && !path,
              "bad definition fails");
        {
                char want[PATH_MAX + 64];
                snprintf(want, sizeof(want), "%s:3: missing '='", tpath("d1/bad.ctr.d/10-x.conf"));
                CHECK(err && streq(err, want), "error names the drop-in and line: %s", strempty(err));
        }
        CHECK(uf.n_entries == 6, "rolled back to web's 6 entries");
        unit_file_done(&uf);

        CHECK(definition_find("db", &path, &dropins) == -ERFKILL && !path && !dropins,
              "a symlink to /dev/null masks a later directory's definition");
        CHECK(definition_find("empty", &path, NULL) == -ERFKILL, "an empty file masks");
        CHECK(unit_file_load_definition("db", &uf, NULL, &err) == -ERFKILL && err &&
                      streq(err, "definition 'db' is masked"),
              "masked: %s", strempty(err));
        CHECK(definition_find("ghost", &path, NULL) == 0 && path && streq(path, tpath("d3/ghost.ctr")),
              "a dangling symlink does not hide a later definition");
        free(path);
        path = NULL;
        CHECK(definition_find("dangling", &path, NULL) == -ENOENT,
              "a dangling symlink alone is not a definition");
        CHECK(definition_find("nope", &path, &dropins) == -ENOENT && !path && !dropins, "missing: -ENOENT");
        CHECK(unit_file_load_definition("nope", &uf, NULL, &err) == -ENOENT && err &&
                      startswith(err, "definition 'nope' not found (searched ") && strstr(err, "/d3/)"),
              "missing: %s", strempty(err));
        CHECK(definition_find("../d2/web", &path, NULL) == -EINVAL, "a name with a slash is refused");
        CHECK(unit_file_load_definition("a/\x1b", &uf, NULL, &err) == -EINVAL && err &&
                      streq(err, "invalid definition name 'a/?'"),
              "bad name: %s", strempty(err));

        /* non-regular files: refused, and a FIFO without waiting for a writer */
        alarm(10);
        CHECK(unit_file_load_definition("fifo", &uf, NULL, &err) == -EBADFD && err &&
                      strstr(err, "/d2/fifo.ctr: not a regular file"),
              "FIFO refused: %s", strempty(err));
        CHECK(unit_file_load(&uf, tpath("d2/fifo.ctr"), NULL) == -EBADFD, "FIFO refused by unit_file_load");
        alarm(0);
        CHECK(unit_file_load_definition("dir", &uf, NULL, &err) == -EISDIR && err &&
                      strstr(err, "/d2/dir.ctr: not a regular file"),
              "directory refused: %s", strempty(err));
        CHECK(unit_file_load(&uf, "/dev/null", &err) == -EBADFD, "a device refused");
        CHECK(unit_file_load(&uf, tpath("nonexistent"), &err) == -ENOENT && err &&
                      strstr(err, ": No such file or directory"),
              "ENOENT: %s", strempty(err));
        CHECK(uf.n_entries == 0, "nothing loaded");

        CHECK(definition_list(&names) == 0, "definition_list");
        static const char *const want[] = {"bad", "db", "dir", "empty", "fifo", "ghost", "web", NULL};
        bool ok = strv_length(names) == ELEMENTSOF(want) - 1;
        for (size_t i = 0; ok && want[i]; i++)
                ok = streq(names[i], want[i]);
        CHECK(ok, "names sorted, deduplicated, invalid and dangling ones left out (got %zu)",
              strv_length(names));
        names = strv_free(names);

        /* a big file through unit_file_load */
        {
                size_t n = UNIT_FILE_SIZE_MAX + 1;
                _cleanup_free_ char *buf = malloc(n);
                memset(buf, '#', n);
                for (size_t i = 1000; i < n; i += 1000)
                        buf[i] = '\n';
                CHECK(write_file_atomic(AT_FDCWD, tpath("big.ctr"), buf, n - 1, 0644) == 0, "write 1 MiB");
                CHECK(unit_file_load(&uf, tpath("big.ctr"), &err) == 0, "a 1 MiB file loads");
                CHECK(write_file_atomic(AT_FDCWD, tpath("big.ctr"), buf, n, 0644) == 0, "write 1 MiB + 1");
                CHECK(unit_file_load(&uf, tpath("big.ctr"), &err) == -EFBIG && err &&
                              strstr(err, "big.ctr: file too large (max 1048576 bytes)"),
                      "1 MiB + 1 refused: %s", strempty(err));
        }
        unit_file_done(&uf);
}

/* The generator's case: many definitions, each found along the path and parsed with a drop-in. */
static void test_speed(void)
{
        char buf[4 * PATH_MAX];
        const int n = 1000;
        struct timespec a, b;
        _cleanup_free_ char *err = NULL;
        char **names = NULL;

        for (int i = 0; i < n; i++) {
                char rel[64];
                snprintf(rel, sizeof(rel), "speed/etc/c%04d.ctr", i);
                put(rel,
                    "# a typical definition\n[Unit]\nDescription=Container\nAfter=network-online.target\n"
                    "[Container]\nImage=docker.io/library/nginx:latest\nExec=/usr/sbin/nginx -g \"daemon "
                    "off;\"\n"
                    "Environment=A=1 B=2 \\\n  C=3\nVolume=/srv/www:/usr/share/nginx/html:ro\n"
                    "Volume=/srv/conf:/etc/nginx/conf.d:ro\nNetwork=bridge\nPublishPort=8080:80/tcp\n"
                    "ReadOnly=yes\nDropCapability=all\nAddCapability=CAP_NET_BIND_SERVICE\n"
                    "[Service]\nMemoryMax=256M\nCPUQuota=50%\nRestart=on-failure\n[Install]\n"
                    "WantedBy=multi-user.target\n");
                snprintf(rel, sizeof(rel), "speed/usr/c%04d.ctr.d/10-x.conf", i);
                put(rel, "[Service]\nTasksMax=100\n");
        }
        snprintf(buf, sizeof(buf), "%s/speed/etc:%s/speed/run:%s/speed/usr", tmp, tmp, tmp);
        setenv("CTR_DEFINITION_PATH", buf, 1);

        clock_gettime(CLOCK_MONOTONIC, &a);
        int r = definition_list(&names);
        size_t total = 0, loaded = 0;
        STRV_FOREACH (name, names) {
                UnitFile uf = {};
                if (unit_file_load_definition(*name, &uf, NULL, &err) == 0)
                        loaded++;
                total += uf.n_entries;
                unit_file_done(&uf);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
        printf("# listed, found and parsed %zu definitions (%zu entries) in %.1f ms\n", loaded, total, ms);
        CHECK(r == 0 && loaded == (size_t)n && total == (size_t)n * 17, "all %d definitions load", n);
        /* generous: sanitizer builds and loaded CI machines; the real figure is printed above */
        CHECK(ms < 2000, "1000 definitions in under 2 s");
        strv_free(names);
}

int main(void)
{
        if (!mkdtemp(tmp)) {
                perror("mkdtemp");
                return 1;
        }
        test_syntax();
        test_errors();
        test_limits();
        test_split();
        test_bool();
        test_names();
        test_search_path();
        test_lookup();
        test_speed();
        rm_rf_at(AT_FDCWD, tmp);
        return tap_done();
}
