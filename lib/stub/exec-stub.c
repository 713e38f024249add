/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The last hop before the payload, built freestanding (no libc, a few hundred bytes) and run
 * from a sealed memfd. While the kernel resolves the payload's "#!" interpreter, the
 * process' /proc/self/exe is this sealed copy, never the runtime's binary on the host:
 * a payload of "#!/proc/self/exe" (CVE-2019-5736) reaches nothing it could overwrite.
 *
 * argv: MARKER REPORT-FD EXE ARGV0 ARGS...  REPORT-FD (or -1) gets the errno of a failed
 * execve as text; it is made close-on-exec first, so a successful exec closes it. */

#define MARKER "ctr-exec-stub"

#if defined(__x86_64__)
#define NR_write 1
#define NR_fcntl 72
#define NR_execve 59
#define NR_exit 60
static long sys3(long n, long a, long b, long c)
{
        long r;
        __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
        return r;
}
__asm__(".text\n.globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall stub_main\n\thlt\n");
#elif defined(__aarch64__)
#define NR_write 64
#define NR_fcntl 25
#define NR_execve 221
#define NR_exit 93
static long sys3(long n, long a, long b, long c)
{
        register long x8 __asm__("x8") = n;
        register long x0 __asm__("x0") = a;
        register long x1 __asm__("x1") = b;
        register long x2 __asm__("x2") = c;
        __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
        return x0;
}
__asm__(".text\n.globl _start\n_start:\n\tmov x0, sp\n\tbl stub_main\n");
#else
#error "exec stub: architecture not supported"
#endif

void stub_main(long *sp) __attribute__((noreturn, used));

__attribute__((noreturn)) static void die(long code)
{
        for (;;)
                sys3(NR_exit, code, 0, 0);
}

void stub_main(long *sp)
{
        long argc = sp[0];
        char **argv = (char **)(sp + 1);
        char **envp = argv + argc + 1;
        const char *m = MARKER, *a;
        long fd = 0, neg = 0;

        if (argc < 4)
                die(126);
        for (a = argv[0]; *m; m++, a++)
                if (*a != *m)
                        die(126);
        for (a = argv[1]; *a; a++) {
                if (*a == '-')
                        neg = 1;
                else
                        fd = fd * 10 + (*a - '0');
        }
        if (!neg)
                sys3(NR_fcntl, fd, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */);
        long r = sys3(NR_execve, (long)argv[2], (long)(argv + 3), (long)envp);
        if (!neg) {
                char buf[8];
                long e = -r, n = 0;
                char digits[8];
                do
                        digits[n++] = (char)('0' + e % 10);
                while ((e /= 10) && n < 7);
                for (long i = 0; i < n; i++)
                        buf[i] = digits[n - 1 - i];
                sys3(NR_write, fd, (long)buf, n);
        }
        die(127);
}
