/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json-util.h"
#include "seccomp.h"
#include "../tap.h"

#define P "linux.seccomp"
/* Config builders for the cases: default ALLOW plus REST; syscalls[]; syscalls[0].args[]. */
#define ALLOW(rest) "{'defaultAction':'SCMP_ACT_ALLOW'," rest "}"
#define SYSCALLS(list) ALLOW("'syscalls':[" list "]")
#define ARGS(list) SYSCALLS("{'names':['read'],'action':'SCMP_ACT_ERRNO','args':[" list "]}")

/* A sanitizer runtime makes syscalls of its own (mmap, sigaltstack) in the child, which a
 * default-deny filter breaks. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

/* JSON with ' for ", to keep the cases readable. */
static json_t *json_from(const char *s)
{
        _cleanup_free_ char *t = strdup(s);
        if (!t)
                return NULL;
        for (char *c = t; *c; c++)
                if (*c == '\'')
                        *c = '"';
        json_error_t e;
        json_t *j = json_loads(t, JSON_ALLOW_NUL, &e);
        if (!j)
                printf("# bad test JSON: %s: %s\n", s, e.text);
        return j;
}

static int parse(const char *s, SeccompConfig **ret, char **err)
{
        json_auto_t *j = json_from(s);
        if (!j)
                return -EBADMSG;
        return seccomp_config_parse(j, P, ret, err);
}

/* NULL, with the reason on a TAP comment line, if s does not parse and build. */
static SeccompFilter *build(const char *s)
{
        SeccompConfig *c = NULL;
        SeccompFilter *f = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        r = parse(s, &c, &err);
        if (r >= 0)
                r = seccomp_filter_build(c, &f, &err);
        if (r < 0)
                printf("# %s: %s (%s)\n", s, strerror(-r), strempty(err));
        seccomp_config_free(c);
        return f;
}

typedef int (*ChildFn)(int notify_fd);

/* Runs fn in a child that first loads f (nothing if NULL) under no_new_privs, as the container
 * side does. Returns the wait status, or -1. The child reports through its exit code only: after
 * the load it may make no other syscall than the ones a test allows. */
static int run_child(SeccompFilter *f, ChildFn fn)
{
        int status;
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                struct rlimit no_core = {};
                int fd = -EBADF;

                /* A child that cannot even exit must not hang the suite. */
                alarm(10);
                (void)setrlimit(RLIMIT_CORE, &no_core);
                (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(120);
                if (f && seccomp_filter_load(f, &fd) < 0)
                        _exit(121);
                _exit(fn(fd));
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -1;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                printf("# child: %s %d\n", WIFEXITED(status) ? "exit" : "signal",
                       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        return status;
}

static bool exited_ok(int status)
{
        return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static bool killed_by(int status, int sig)
{
        return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

/* Child bodies */

static int child_getcwd_enosys(int fd)
{
        char buf[256];
        if (getcwd(buf, sizeof(buf)) || errno != ENOSYS)
                return 1;
        if (syscall(SYS_getpid) <= 0)
                return 2;
        return 0;
}

static int child_mkdir_eperm(int fd)
{
        /* Without the filter: ENOENT. */
        if (mkdir("/ctrctl-no-such-dir/x", 0700) == 0 || errno != EPERM)
                return 1;
        return 0;
}

static int child_personality_arg(int fd)
{
        /* 0xffffffff only queries the persona. */
        if (syscall(SYS_personality, 0xffffffffUL) != -1 || errno != 99)
                return 1;
        if (syscall(SYS_personality, (unsigned long)PER_LINUX) < 0)
                return 2;
        return 0;
}

static int child_personality_any(int fd)
{
        if (syscall(SYS_personality, (unsigned long)PER_LINUX32) != -1 || errno != 100)
                return 1;
        if (syscall(SYS_personality, (unsigned long)(PER_LINUX32 | UNAME26)) != -1 || errno != 100)
                return 2;
        if (syscall(SYS_personality, 0xffffffffUL) < 0)
                return 3;
        return 0;
}

static int child_socket_and(int fd)
{
        long s;

        /* Both conditions hold; valueTwo is the datum MASKED_EQ compares against. */
        if (syscall(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) != -1 || errno != 101)
                return 1;
        /* Only the first holds. */
        s = syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return 2;
        /* Only the second holds (the call may fail for other reasons, not ours). */
        if (syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) == -1 && errno == 101)
                return 3;
        return 0;
}

static int child_allow_list(int fd)
{
        if (syscall(SYS_getpid) <= 0)
                return 1;
        if (syscall(SYS_getppid) != -1 || errno != EXDEV)
                return 2;
        /* Leaves through exit_group, which must be allowed, or the child dies of SIGSYS/SIGSEGV. */
        return 0;
}

static int child_getppid(int fd)
{
        syscall(SYS_getppid);
        return 0;
}

static int child_getcwd_works(int fd)
{
        char buf[256];
        return getcwd(buf, sizeof(buf)) ? 0 : 1;
}

static int child_notify(int fd)
{
        struct seccomp_notif req = {};
        struct seccomp_notif_resp resp = {};
        int status, flags;
        pid_t pid;

        if (fd < 0)
                return 1;
        flags = fcntl(fd, F_GETFD);
        if (flags < 0 || !(flags & FD_CLOEXEC))
                return 2;

        pid = fork();
        if (pid < 0)
                return 3;
        if (pid == 0)
                _exit(syscall(SYS_getppid) == -1 && errno == ENOMSG ? 0 : 1);

        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
                return 4;
        if (req.data.nr != SYS_getppid || req.pid != (__u32)pid)
                return 5;
        resp.id = req.id;
        resp.error = -ENOMSG;
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0)
                return 6;
        if (waitpid(pid, &status, 0) != pid)
                return 7;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 8;
}

static int child_nothing(int fd)
{
        return 0;
}

/* Tests */

static void test_parse_valid(void)
{
        SeccompConfig *c = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        r = parse("{'defaultAction':'SCMP_ACT_ALLOW'}", &c, &err);
        CHECK(r == 0 && c, "minimal config parses");
        CHECK(!seccomp_config_wants_listener(c), "minimal config wants no listener");
        CHECK(!seccomp_config_listener_path(c) && !seccomp_config_listener_metadata(c), "no listener path");
        c = seccomp_config_free(c);

        /* The example of the spec. */
        r = parse("{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86','SCMP_ARCH_X32'],"
                  "'syscalls':[{'names':['getcwd','chmod'],'action':'SCMP_ACT_ERRNO'}]}",
                  &c, &err);
        CHECK(r == 0 && c, "spec example parses");
        c = seccomp_config_free(c);

        r = parse("{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':38,"
                  "'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86','SCMP_ARCH_X32','SCMP_ARCH_AARCH64',"
                  "'SCMP_ARCH_ARM','SCMP_ARCH_LOONGARCH64','SCMP_ARCH_M68K','SCMP_ARCH_MIPS',"
                  "'SCMP_ARCH_MIPS64',"
                  "'SCMP_ARCH_MIPS64N32','SCMP_ARCH_MIPSEL','SCMP_ARCH_MIPSEL64','SCMP_ARCH_MIPSEL64N32',"
                  "'SCMP_ARCH_PPC','SCMP_ARCH_PPC64','SCMP_ARCH_PPC64LE','SCMP_ARCH_S390','SCMP_ARCH_S390X',"
                  "'SCMP_ARCH_SH','SCMP_ARCH_SHEB','SCMP_ARCH_PARISC','SCMP_ARCH_PARISC64',"
                  "'SCMP_ARCH_RISCV64'],"
                  "'flags':['SECCOMP_FILTER_FLAG_TSYNC','SECCOMP_FILTER_FLAG_LOG',"
                  "'SECCOMP_FILTER_FLAG_SPEC_ALLOW','SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],"
                  "'listenerPath':'/run/agent.sock','listenerMetadata':'MKNOD=/dev/null',"
                  "'someFutureField':{'x':1},"
                  "'syscalls':["
                  "{'names':['read','write','exit_group'],'action':'SCMP_ACT_ALLOW','comment':'ignored'},"
                  "{'names':['mknod'],'action':'SCMP_ACT_NOTIFY'},"
                  "{'names':['ptrace'],'action':'SCMP_ACT_TRACE','errnoRet':1},"
                  "{'names':['kexec_load'],'action':'SCMP_ACT_KILL_PROCESS'},"
                  "{'names':['reboot'],'action':'SCMP_ACT_KILL_THREAD'},"
                  "{'names':['swapon'],'action':'SCMP_ACT_KILL'},"
                  "{'names':['acct'],'action':'SCMP_ACT_TRAP'},"
                  "{'names':['getcwd'],'action':'SCMP_ACT_LOG','args':null},"
                  "{'names':['personality'],'action':'SCMP_ACT_ALLOW','args':["
                  "{'index':0,'value':0,'op':'SCMP_CMP_EQ'},{'index':1,'value':1,'op':'SCMP_CMP_NE'},"
                  "{'index':2,'value':2,'op':'SCMP_CMP_LT'},{'index':3,'value':3,'op':'SCMP_CMP_LE'},"
                  "{'index':4,'value':4,'op':'SCMP_CMP_GE'},"
                  "{'index':5,'value':4294967295,'valueTwo':7,'op':'SCMP_CMP_MASKED_EQ'}]},"
                  "{'names':['clone'],'action':'SCMP_ACT_ERRNO','errnoRet':0,'args':[]}]}",
                  &c, &err);
        CHECK(r == 0 && c, "full schema parses%s%s", err ? ": " : "", strempty(err));
        CHECK(seccomp_config_wants_listener(c), "SCMP_ACT_NOTIFY wants a listener");
        CHECK(streq_ptr(seccomp_config_listener_path(c), "/run/agent.sock"), "listenerPath kept");
        CHECK(streq_ptr(seccomp_config_listener_metadata(c), "MKNOD=/dev/null"), "listenerMetadata kept");
        c = seccomp_config_free(c);

        r = parse("{'defaultAction':'SCMP_ACT_ALLOW','architectures':null,'flags':null,'syscalls':null,"
                  "'listenerPath':null,'defaultErrnoRet':null}",
                  &c, &err);
        CHECK(r == 0 && c && !seccomp_config_listener_path(c), "null means unset");
        c = seccomp_config_free(c);

        CHECK(!seccomp_config_free(NULL) && !seccomp_filter_free(NULL), "freeing NULL is a no-op");
}

static void test_parse_invalid(void)
{
        static const struct {
                const char *json;
                const char *error;
        } cases[] = {
                {"[]", P ": expected an object, got an array"},
                {"{}", P ".defaultAction: required but missing"},
                {"{'defaultAction':null}", P ".defaultAction: required but missing"},
                {"{'defaultAction':'X'}", P ".defaultAction: unknown action 'X'"},
                {"{'defaultAction':5}", P ".defaultAction: expected a string"},
                {"{'defaultAction':'scmp_act_allow'}", P ".defaultAction: unknown action 'scmp_act_allow'"},
                {"{'defaultAction':'SCMP_ACT_NOTIFY','listenerPath':'/a'}",
                 P ".defaultAction: SCMP_ACT_NOTIFY cannot be the default action"},
                {ALLOW("'defaultErrnoRet':1"),
                 P ".defaultErrnoRet: not allowed with action 'SCMP_ACT_ALLOW'"},
                {"{'defaultAction':'SCMP_ACT_KILL_PROCESS','defaultErrnoRet':1}",
                 P ".defaultErrnoRet: not allowed with action 'SCMP_ACT_KILL_PROCESS'"},
                {"{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':-1}",
                 P ".defaultErrnoRet: expected an unsigned integer, got -1"},
                {"{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':'1'}",
                 P ".defaultErrnoRet: expected an unsigned integer, got a string"},
                {"{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':70000}",
                 P ".defaultErrnoRet: value 70000 out of range (at most 65535)"},
                {ALLOW("'architectures':'SCMP_ARCH_X86_64'"),
                 P ".architectures: expected an array, got a string"},
                {ALLOW("'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_FOO']"),
                 P ".architectures[1]: unknown architecture 'SCMP_ARCH_FOO'"},
                {ALLOW("'architectures':[1]"), P ".architectures[0]: expected a string"},
                {ALLOW("'flags':['SECCOMP_FILTER_FLAG_NEW_LISTENER']"),
                 P ".flags[0]: unknown flag 'SECCOMP_FILTER_FLAG_NEW_LISTENER'"},
                {ALLOW("'flags':{}"), P ".flags: expected an array, got an object"},
                {ALLOW("'listenerPath':1"), P ".listenerPath: expected a string, got an integer"},
                {ALLOW("'listenerPath':''"), P ".listenerPath: must not be empty"},
                {ALLOW("'listenerMetadata':'m'"),
                 P ".listenerMetadata: must not be set without listenerPath"},
                {ALLOW("'syscalls':{}"), P ".syscalls: expected an array, got an object"},
                {SYSCALLS("1"), P ".syscalls[0]: expected an object, got an integer"},
                {SYSCALLS("{'action':'SCMP_ACT_ERRNO'}"), P ".syscalls[0].names: required but missing"},
                {SYSCALLS("{'names':[],'action':'SCMP_ACT_ERRNO'}"),
                 P ".syscalls[0].names: must contain at least one name"},
                {SYSCALLS("{'names':'read','action':'SCMP_ACT_ERRNO'}"),
                 P ".syscalls[0].names: expected an array, got a string"},
                {SYSCALLS("{'names':['read',1],'action':'SCMP_ACT_ERRNO'}"),
                 P ".syscalls[0].names[1]: expected a string"},
                {SYSCALLS("{'names':['read'],'action':'SCMP_ACT_ERRNO'},{'names':['write']}"),
                 P ".syscalls[1].action: required but missing"},
                {SYSCALLS("{'names':['read'],'action':'SCMP_ACT_FOO'}"),
                 P ".syscalls[0].action: unknown action 'SCMP_ACT_FOO'"},
                {SYSCALLS("{'names':['read'],'action':'SCMP_ACT_KILL','errnoRet':1}"),
                 P ".syscalls[0].errnoRet: not allowed with action 'SCMP_ACT_KILL'"},
                {SYSCALLS("{'names':['read'],'action':'SCMP_ACT_LOG','errnoRet':1}"),
                 P ".syscalls[0].errnoRet: not allowed with action 'SCMP_ACT_LOG'"},
                {"{'defaultAction':'SCMP_ACT_ERRNO',"
                 "'syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW','errnoRet':1}]}",
                 P ".syscalls[0].errnoRet: not allowed with action 'SCMP_ACT_ALLOW'"},
                {SYSCALLS("{'names':['read'],'action':'SCMP_ACT_ERRNO','errnoRet':65536}"),
                 P ".syscalls[0].errnoRet: value 65536 out of range (at most 65535)"},
                {SYSCALLS("{'names':['read'],'action':'SCMP_ACT_NOTIFY'}"),
                 P ".syscalls[0].action: SCMP_ACT_NOTIFY requires listenerPath"},
                {SYSCALLS("{'names':['read'],'action':'SCMP_ACT_ERRNO','args':{}}"),
                 P ".syscalls[0].args: expected an array, got an object"},
                {ARGS("7"), P ".syscalls[0].args[0]: expected an object, got an integer"},
                {ARGS("{'value':1,'op':'SCMP_CMP_EQ'}"),
                 P ".syscalls[0].args[0].index: required but missing"},
                {ARGS("{'index':0,'value':1,'op':'SCMP_CMP_EQ'},{'index':6,'value':1,'op':'SCMP_CMP_EQ'}"),
                 P ".syscalls[0].args[1].index: value 6 out of range (0..5)"},
                {ARGS("{'index':4294967296,'value':1,'op':'SCMP_CMP_EQ'}"),
                 P ".syscalls[0].args[0].index: value 4294967296 out of range"},
                {ARGS("{'index':-1,'value':1,'op':'SCMP_CMP_EQ'}"),
                 P ".syscalls[0].args[0].index: expected an unsigned integer, got -1"},
                {ARGS("{'index':0,'op':'SCMP_CMP_EQ'}"),
                 P ".syscalls[0].args[0].value: required but missing"},
                {ARGS("{'index':0,'value':-5,'op':'SCMP_CMP_EQ'}"),
                 P ".syscalls[0].args[0].value: expected an unsigned integer, got -5"},
                {ARGS("{'index':0,'value':1,'valueTwo':'2','op':'SCMP_CMP_MASKED_EQ'}"),
                 P ".syscalls[0].args[0].valueTwo: expected an unsigned integer, got a string"},
                {ARGS("{'index':0,'value':1}"), P ".syscalls[0].args[0].op: required but missing"},
                {ARGS("{'index':0,'value':1,'op':3}"), P ".syscalls[0].args[0].op: expected a string"},
                {SYSCALLS("{'names':['a'],'action':'SCMP_ACT_ERRNO'},"
                          "{'names':['b'],'action':'SCMP_ACT_ERRNO'},"
                          "{'names':['c'],'action':'SCMP_ACT_ERRNO',"
                          "'args':[{'index':1,'value':2,'op':'SCMP_CMP_GT'}]},"
                          "{'names':['d'],'action':'SCMP_ACT_ERRNO',"
                          "'args':[{'index':0,'value':1,'op':'SCMP_CMP_FOO'}]}"),
                 P ".syscalls[3].args[0].op: unknown operator 'SCMP_CMP_FOO'"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                SeccompConfig *c = NULL;
                _cleanup_free_ char *err = NULL;
                int r = parse(cases[i].json, &c, &err);
                CHECK(r == -EINVAL && !c && streq_ptr(err, cases[i].error), "invalid %zu: %s", i,
                      cases[i].error);
                if (!streq_ptr(err, cases[i].error))
                        printf("#   got r=%d '%s'\n", r, strempty(err));
                seccomp_config_free(c);
        }

        /* A NUL inside a name cannot reach the filter. */
        {
                SeccompConfig *c = NULL;
                _cleanup_free_ char *err = NULL;
                int r = parse("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['rea\\u0000d'],"
                              "'action':'SCMP_ACT_ERRNO'}]}",
                              &c, &err);
                CHECK(r == -EINVAL && streq_ptr(err, P ".syscalls[0].names[0]: expected a string"),
                      "NUL in a syscall name: %s", strempty(err));
                seccomp_config_free(c);
        }

        /* The path given by the caller prefixes every message. */
        {
                SeccompConfig *c = NULL;
                _cleanup_free_ char *err = NULL;
                json_auto_t *j = json_from("{'defaultAction':'NOPE'}");
                int r = seccomp_config_parse(j, "process.seccomp", &c, &err);
                CHECK(r == -EINVAL && streq_ptr(err, "process.seccomp.defaultAction: unknown action 'NOPE'"),
                      "caller's path used: %s", strempty(err));
        }
}

/* Builds a config of personality rules: with chains == false one entry comparing argument 0 to
 * n values (so n rules), else n entries comparing all six arguments (n rules, ~12 instructions
 * each). */
static int build_many_rules(int n, bool chains, char **err)
{
        json_auto_t *j = json_pack("{s:s,s:[]}", "defaultAction", "SCMP_ACT_ALLOW", "syscalls");
        json_t *syscalls = json_object_get(j, "syscalls");
        SeccompConfig *c = NULL;
        SeccompFilter *f = NULL;
        int r;

        for (int i = 0; i < (chains ? n : 1); i++) {
                json_t *args = json_array();
                for (int k = 0; k < (chains ? 6 : n); k++)
                        json_array_append_new(args, json_pack("{s:i,s:i,s:s}", "index", chains ? k : 0,
                                                              "value", chains ? i : k, "op", "SCMP_CMP_EQ"));
                json_array_append_new(syscalls, json_pack("{s:[s],s:s,s:o}", "names", "personality",
                                                          "action", "SCMP_ACT_ERRNO", "args", args));
        }
        r = seccomp_config_parse(j, P, &c, err);
        if (r >= 0)
                r = seccomp_filter_build(c, &f, err);
        if (r >= 0 && !f)
                r = -EIO;
        seccomp_filter_free(f);
        seccomp_config_free(c);
        return r;
}

static void test_build(void)
{
        SeccompFilter *f;

        f = build("{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86','SCMP_ARCH_X32'],"
                  "'syscalls':[{'names':['getcwd','chmod'],'action':'SCMP_ACT_ERRNO'}]}");
        CHECK(f, "spec example builds");
        f = seccomp_filter_free(f);

        /* Unknown names, rules repeating the default, other ABIs (incl. ones of the other byte
         * order and ones this libseccomp may not know) are all accepted. */
        f = build("{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86',"
                  "'SCMP_ARCH_X32','SCMP_ARCH_AARCH64','SCMP_ARCH_ARM','SCMP_ARCH_PPC64','SCMP_ARCH_S390X',"
                  "'SCMP_ARCH_LOONGARCH64','SCMP_ARCH_M68K','SCMP_ARCH_SH','SCMP_ARCH_X86_64'],"
                  "'syscalls':[{'names':['ctrctl_no_such_syscall','read'],'action':'SCMP_ACT_ALLOW'},"
                  "{'names':['ctrctl_no_such_syscall'],'action':'SCMP_ACT_ERRNO'},"
                  "{'names':['_llseek','socketcall','getcwd'],'action':'SCMP_ACT_ERRNO','errnoRet':38}]}");
        CHECK(f, "unknown names, default-repeating rules and foreign arches build");
        f = seccomp_filter_free(f);

        f = build("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
                  "{'names':['getcwd'],'action':'SCMP_ACT_ERRNO','errnoRet':1},"
                  "{'names':['getcwd'],'action':'SCMP_ACT_ERRNO','errnoRet':1}]}");
        CHECK(f, "a syscall listed twice builds");
        f = seccomp_filter_free(f);

        /* The kernel takes at most 4096 instructions: say so before forking, and do not let a
         * config make libseccomp work for minutes on rules that could never load. */
        {
                _cleanup_free_ char *err = NULL;
                int r = build_many_rules(5000, false, &err);
                const char *want =
                        P ".syscalls[0]: too many rules, a filter holds at most 4096 instructions";
                CHECK(r == -EINVAL && streq_ptr(err, want), "too many rules refused: %s", strempty(err));
        }
        {
                _cleanup_free_ char *err = NULL;
                int r = build_many_rules(400, true, &err);
                CHECK(r == -EINVAL && err && startswith(err, P ": filter too large: "),
                      "oversized filter refused: %s", strempty(err));
        }
}

/* CHECK() evaluates its condition twice: children run outside it. */
static void test_load(void)
{
        SeccompFilter *f;
        bool ok;
        int st;

        /* Controls: without the filter the children must fail, so the checks below can. */
        ok = !exited_ok(run_child(NULL, child_getcwd_enosys));
        CHECK(ok, "control: getcwd works unfiltered");
        ok = !exited_ok(run_child(NULL, child_mkdir_eperm));
        CHECK(ok, "control: mkdir gives ENOENT unfiltered");
        ok = !exited_ok(run_child(NULL, child_personality_any));
        CHECK(ok, "control: personality works unfiltered");
        ok = !exited_ok(run_child(NULL, child_allow_list));
        CHECK(ok, "control: getppid works unfiltered");

        f = build("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
                  "{'names':['ctrctl_no_such_syscall','getcwd'],'action':'SCMP_ACT_ERRNO','errnoRet':38}]}");
        ok = f && exited_ok(run_child(f, child_getcwd_enosys));
        CHECK(ok, "getcwd denied with errnoRet 38");
        f = seccomp_filter_free(f);

        f = build("{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86',"
                  "'SCMP_ARCH_X32','SCMP_ARCH_AARCH64'],"
                  "'syscalls':[{'names':['getcwd'],'action':'SCMP_ACT_ERRNO','errnoRet':38}]}");
        ok = f && exited_ok(run_child(f, child_getcwd_enosys));
        CHECK(ok, "getcwd denied in a multi-arch filter");
        f = seccomp_filter_free(f);

        f = build("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
                  "{'names':['mkdir','mkdirat'],'action':'SCMP_ACT_ERRNO'}]}");
        ok = f && exited_ok(run_child(f, child_mkdir_eperm));
        CHECK(ok, "SCMP_ACT_ERRNO defaults to EPERM");
        f = seccomp_filter_free(f);

        f = build("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['personality'],"
                  "'action':'SCMP_ACT_ERRNO','errnoRet':99,"
                  "'args':[{'index':0,'value':4294967295,'op':'SCMP_CMP_EQ'}]}]}");
        ok = f && exited_ok(run_child(f, child_personality_arg));
        CHECK(ok, "argument rule: personality(0xffffffff)");
        f = seccomp_filter_free(f);

        f = build("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['personality'],"
                  "'action':'SCMP_ACT_ERRNO','errnoRet':100,"
                  "'args':[{'index':0,'value':8,'op':'SCMP_CMP_EQ'},"
                  "{'index':0,'value':131080,'op':'SCMP_CMP_EQ'}]}]}");
        ok = f && exited_ok(run_child(f, child_personality_any));
        CHECK(ok, "same argument twice matches either");
        f = seccomp_filter_free(f);

        f = build("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['socket'],"
                  "'action':'SCMP_ACT_ERRNO','errnoRet':101,"
                  "'args':[{'index':0,'value':1,'op':'SCMP_CMP_EQ'},"
                  "{'index':1,'value':15,'valueTwo':2,'op':'SCMP_CMP_MASKED_EQ'}]}]}");
        ok = f && exited_ok(run_child(f, child_socket_and));
        CHECK(ok, "different arguments must all match");
        f = seccomp_filter_free(f);

        if (UNDER_SANITIZER)
                CHECK(true, "default ERRNO with an allow list # SKIP sanitizer runtime needs more syscalls");
        else {
                f = build("{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':18,'syscalls':["
                          "{'names':['exit_group','exit','getpid'],'action':'SCMP_ACT_ALLOW'}]}");
                ok = f && exited_ok(run_child(f, child_allow_list));
                CHECK(ok, "default ERRNO with an allow list");
                f = seccomp_filter_free(f);

                f = build("{'defaultAction':'SCMP_ACT_ERRNO',"
                          "'syscalls':[{'names':['getpid'],'action':'SCMP_ACT_ALLOW'}]}");
                st = f ? run_child(f, child_nothing) : -1;
                CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) != SIGALRM,
                      "default ERRNO without exit_group: the child cannot exit");
                f = seccomp_filter_free(f);
        }

        f = build(SYSCALLS("{'names':['getppid'],'action':'SCMP_ACT_KILL_PROCESS'}"));
        ok = f && killed_by(run_child(f, child_getppid), SIGSYS);
        CHECK(ok, "SCMP_ACT_KILL_PROCESS kills with SIGSYS");
        f = seccomp_filter_free(f);

        f = build(SYSCALLS("{'names':['getppid'],'action':'SCMP_ACT_KILL'}"));
        ok = f && killed_by(run_child(f, child_getppid), SIGSYS);
        CHECK(ok, "SCMP_ACT_KILL kills with SIGSYS");
        f = seccomp_filter_free(f);

        f = build(SYSCALLS("{'names':['getppid'],'action':'SCMP_ACT_TRAP'}"));
        ok = f && killed_by(run_child(f, child_getppid), SIGSYS);
        CHECK(ok, "SCMP_ACT_TRAP raises SIGSYS");
        f = seccomp_filter_free(f);

        f = build("{'defaultAction':'SCMP_ACT_KILL_PROCESS','syscalls':["
                  "{'names':['exit_group','getppid'],'action':'SCMP_ACT_ALLOW'}]}");
        ok = f && killed_by(run_child(f, child_getcwd_works), SIGSYS);
        CHECK(ok, "default SCMP_ACT_KILL_PROCESS");
        f = seccomp_filter_free(f);

        f = build("{'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_TSYNC',"
                  "'SECCOMP_FILTER_FLAG_LOG','SECCOMP_FILTER_FLAG_SPEC_ALLOW'],"
                  "'syscalls':[{'names':['getcwd'],'action':'SCMP_ACT_LOG'},"
                  "{'names':['mkdir','mkdirat'],'action':'SCMP_ACT_ERRNO'}]}");
        ok = f && exited_ok(run_child(f, child_getcwd_works));
        CHECK(ok, "flags load; SCMP_ACT_LOG allows");
        ok = f && exited_ok(run_child(f, child_mkdir_eperm));
        CHECK(ok, "flags load; rules still apply");
        f = seccomp_filter_free(f);

        f = build("{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'/run/ctrctl-test.sock',"
                  "'flags':['SECCOMP_FILTER_FLAG_TSYNC'],"
                  "'syscalls':[{'names':['getppid'],'action':'SCMP_ACT_NOTIFY'}]}");
        ok = f && exited_ok(run_child(f, child_notify));
        CHECK(ok, "SCMP_ACT_NOTIFY hands out a working listener fd");
        f = seccomp_filter_free(f);

        f = build("{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'/run/ctrctl-test.sock',"
                  "'flags':['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],"
                  "'syscalls':[{'names':['getppid'],'action':'SCMP_ACT_NOTIFY'}]}");
        {
                json_auto_t *feat = seccomp_features();
                json_t *v;
                size_t i;
                bool have = false;
                json_array_foreach (json_object_get(feat, "supportedFlags"), i, v)
                        if (streq(json_string_value(v), "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"))
                                have = true;
                if (have) {
                        ok = f && exited_ok(run_child(f, child_notify));
                        CHECK(ok, "WAIT_KILLABLE_RECV with a listener");
                } else
                        CHECK(true, "WAIT_KILLABLE_RECV with a listener # SKIP kernel lacks the flag");
        }
        f = seccomp_filter_free(f);

        /* Without a place for the listener fd the load must refuse, before touching the thread. */
        f = build("{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'/run/ctrctl-test.sock',"
                  "'syscalls':[{'names':['getppid'],'action':'SCMP_ACT_NOTIFY'}]}");
        {
                pid_t pid = f ? fork() : -1;
                if (pid == 0) {
                        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                                _exit(2);
                        if (seccomp_filter_load(f, NULL) != -EINVAL)
                                _exit(3);
                        /* Nothing loaded: the process has no filter. */
                        _exit(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0 ? 0 : 4);
                }
                int status = -1;
                if (pid > 0)
                        waitpid(pid, &status, 0);
                CHECK(exited_ok(status), "load with a listener and no fd pointer refused");
        }
        f = seccomp_filter_free(f);
}

static bool array_has(json_t *a, const char *s)
{
        json_t *v;
        size_t i;
        json_array_foreach (a, i, v)
                if (json_is_string(v) && streq(json_string_value(v), s))
                        return true;
        return false;
}

static void test_features(void)
{
        json_auto_t *j = seccomp_features();
        json_t *v;
        size_t i;
        bool subset = true;

        CHECK(json_is_object(j), "features is an object");
        CHECK(json_is_true(json_object_get(j, "enabled")), "features: enabled");
        CHECK(json_array_size(json_object_get(j, "actions")) == 9 &&
                      array_has(json_object_get(j, "actions"), "SCMP_ACT_NOTIFY") &&
                      array_has(json_object_get(j, "actions"), "SCMP_ACT_KILL_PROCESS"),
              "features: actions");
        CHECK(json_array_size(json_object_get(j, "operators")) == 7 &&
                      array_has(json_object_get(j, "operators"), "SCMP_CMP_MASKED_EQ"),
              "features: operators");
        CHECK(json_array_size(json_object_get(j, "knownFlags")) == 4 &&
                      array_has(json_object_get(j, "knownFlags"), "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"),
              "features: knownFlags");
        CHECK(array_has(json_object_get(j, "archs"), "SCMP_ARCH_X86_64") &&
                      array_has(json_object_get(j, "archs"), "SCMP_ARCH_AARCH64") &&
                      array_has(json_object_get(j, "archs"), "SCMP_ARCH_RISCV64"),
              "features: archs");
        json_array_foreach (json_object_get(j, "supportedFlags"), i, v)
                if (!array_has(json_object_get(j, "knownFlags"), json_string_value(v)))
                        subset = false;
        CHECK(json_is_array(json_object_get(j, "supportedFlags")) && subset &&
                      array_has(json_object_get(j, "supportedFlags"), "SECCOMP_FILTER_FLAG_TSYNC"),
              "features: supportedFlags within knownFlags");
}

static bool seccomp_usable(void)
{
        SeccompFilter *f = build("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd'],"
                                 "'action':'SCMP_ACT_ERRNO'}]}");
        int st = f ? run_child(f, child_nothing) : -1;
        seccomp_filter_free(f);
        return exited_ok(st);
}

int main(void)
{
        test_parse_valid();
        test_parse_invalid();
        test_build();
        test_features();
        if (seccomp_usable())
                test_load();
        else
                CHECK(true, "loading filters # SKIP seccomp filters cannot be loaded here");
        return tap_done();
}
