/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <sys/wait.h>

#include "tap.h"
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "util.h"

int main(void)
{
        int sig = 0;
        uint32_t u;
        int64_t i;

        CHECK(parse_signal("9", &sig) == 0 && sig == SIGKILL, "'9' is SIGKILL");
        CHECK(parse_signal("KILL", &sig) == 0 && sig == SIGKILL, "'KILL' is SIGKILL");
        CHECK(parse_signal("SIGTERM", &sig) == 0 && sig == SIGTERM, "'SIGTERM'");
        CHECK(parse_signal("sigusr1", &sig) == 0 && sig == SIGUSR1, "case-insensitive names");
        CHECK(parse_signal("RTMIN+2", &sig) == 0 && sig == SIGRTMIN + 2, "RTMIN+2");
        CHECK(parse_signal("0", &sig) < 0, "0 is not a signal");
        CHECK(parse_signal("65", &sig) < 0, "65 is out of range");
        CHECK(parse_signal("9x", &sig) < 0, "trailing junk refused");
        CHECK(parse_signal("", &sig) < 0, "empty refused");

        CHECK(safe_atou32("1", &u) == 0 && u == 1, "'1' is 1 (not 0: CVE-2026-30892)");
        CHECK(safe_atou32("4294967296", &u) < 0, "2^32 overflows uint32");
        CHECK(safe_atou32("-1", &u) < 0, "negative refused");
        CHECK(safe_atou32(" 1", &u) < 0, "leading space refused");
        CHECK(safe_atou32("1:2", &u) < 0, "junk refused");
        CHECK(safe_atoi64("-5", &i) == 0 && i == -5, "signed parse");

        CHECK(path_is_safe_absolute("/a/b"), "/a/b is safe");
        CHECK(!path_is_safe_absolute("a/b"), "relative is not");
        CHECK(!path_is_safe_absolute("/a/../b"), "dot-dot is not");
        CHECK(!path_is_safe_absolute("/.."), "/.. is not");
        CHECK(path_is_safe_absolute("/a/..b"), "'..b' is a name");

        {
                static const char *const cases[][2] = {
                        {"/proc", "/proc"},
                        {"//proc", "/proc"},
                        {"/./proc", "/proc"},
                        {"/proc/.", "/proc"},
                        {"/dev/../proc", "/proc"},
                        {"proc/", "/proc"},
                        {"/../../x", "/x"},
                        {"/", "/"},
                        {"", "/"},
                        {"/a//b/./c/..", "/a/b"},
                };
                for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                        char *c = path_clean(cases[k][0]);
                        CHECK(c && streq(c, cases[k][1]), "path_clean('%s') = '%s' (got '%s')", cases[k][0],
                              cases[k][1], strempty(c));
                        free(c);
                }
        }
        CHECK(id_valid("abc-1_2.3+x"), "normal id");
        CHECK(!id_valid("a/b"), "slash refused");
        CHECK(!id_valid(".."), "dot-dot refused");
        CHECK(!id_valid(""), "empty refused");
        CHECK(!id_valid("a b"), "space refused");

        char *e = json_escape_string("a\"b\\c\nd\x01");
        CHECK(e && streq(e, "\"a\\\"b\\\\c\\nd\\u0001\""), "json escaping (%s)", strempty(e));
        free(e);

        CHECK(exit_status_from_wait(W_EXITCODE(42, 0)) == 42, "exit 42");
        CHECK(exit_status_from_wait(SIGKILL) == 137, "SIGKILL is 137");
        /* rm_rf_at: a tree deeper than the fds a process may open (a container can make one
         * in its upper dir) goes, with the fd limit lowered to 64 */
        {
                char top[] = "/tmp/ctr-test-rmrf.XXXXXX";
                CHECK(mkdtemp(top) != NULL, "temp dir");
                int dfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                int cur = dup(dfd);
                bool made = cur >= 0;
                for (int k = 0; made && k < 1500; k++) {
                        char f[16];
                        snprintf(f, sizeof(f), "f%d", k);
                        int x = openat(cur, f, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                        close(x);
                        made = mkdirat(cur, "d", 0700) == 0;
                        int next = made ? openat(cur, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
                        close(cur);
                        cur = next;
                        made = made && cur >= 0;
                }
                close(cur);
                for (int k = 0; made && k < 100; k++) {
                        char sub[16];
                        snprintf(sub, sizeof(sub), "w%d", k);
                        made = mkdirat(dfd, sub, 0700) == 0;
                }
                CHECK(made, "a tree 1500 directories deep and 100 wide made");
                struct rlimit old_lim, low = {64, 64};
                getrlimit(RLIMIT_NOFILE, &old_lim);
                setrlimit(RLIMIT_NOFILE, &low);
                int r = rm_rf_at(AT_FDCWD, top);
                setrlimit(RLIMIT_NOFILE, &old_lim);
                CHECK(r == 0 && access(top, F_OK) < 0, "rm_rf_at removes it with 64 fds (%s)",
                      strerror(r < 0 ? -r : 0));
                close(dfd);
        }
        return tap_done();
}
