#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# OCI runtime-spec 1.3.0 conformance, config.md "Process", "User", "Hostname", "Domainname":
# what the payload finds itself running with.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/conformance-lib.sh"
export CONF_LEAK=leaked

REPORT='
echo "args=$0|$1|$2"
echo "cmdline=$(tr -cd "\0" </proc/$$/cmdline | wc -c) $(tr "\0" "\n" </proc/$$/cmdline | tail -n 3 | tr "\n" "|")"
echo "FOO=$FOO"
echo "EQ=$EQ"
echo "empty_set=$(env | grep -c "^EMPTY=$")"
echo "leak=$(env | grep -c CONF_LEAK)"
echo "cwd=$(pwd)"
echo "uid=$(id -u)"
echo "gid=$(id -g)"
echo "uids=$(grep ^Uid: /proc/self/status | cut -f2- | tr "\t" " ")"
echo "gids=$(grep ^Gid: /proc/self/status | cut -f2- | tr "\t" " ")"
echo "groups=$(grep ^Groups: /proc/self/status | cut -f2-)"
echo "umask=$(umask)"
for l in "Max open files" "Max processes" "Max core file size" "Max msgqueue size"; do
        echo "limit $l=$(grep "^$l" /proc/self/limits | awk "{print \$(NF-2), \$(NF-1)}")"
done
echo "nnp=$(grep ^NoNewPrivs: /proc/self/status | cut -f2)"
echo "oom=$(cat /proc/self/oom_score_adj)"
for s in CapInh CapPrm CapEff CapBnd CapAmb; do echo "$s=$(grep ^$s: /proc/self/status | cut -f2)"; done
echo "hostname=$(hostname)"
echo "domainname=$(cat /proc/sys/kernel/domainname)"
echo "pid=$$"
echo "fds-begin"
ls /proc/$$/fd
echo "fds-end"
'
crun proc "$REPORT" \
        "c['process']['args'] += ['zero', 'one two', '\$x']" \
        "c['process']['env'] = ['PATH=/usr/bin:/bin', 'FOO=bar  baz', 'EMPTY=', 'EQ=a=b=c']" \
        "c['process']['cwd'] = '/tmp'" \
        "c['process']['user'] = {'uid': 1000, 'gid': 1001, 'additionalGids': [5, 2000], 'umask': 0o027}" \
        "c['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'soft': 1000, 'hard': 2000}, {'type': 'RLIMIT_NPROC', 'soft': 300, 'hard': 400}, {'type': 'RLIMIT_CORE', 'soft': 0, 'hard': 4096}, {'type': 'RLIMIT_MSGQUEUE', 'soft': 8192, 'hard': 16384}]" \
        "c['process']['noNewPrivileges'] = True" \
        "c['process']['oomScoreAdj'] = 123" \
        "c['hostname'] = 'conf-host'" "c['domainname'] = 'conf.example'" \
        "c['process']['capabilities'] = {'bounding': ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'], 'effective': ['CAP_NET_BIND_SERVICE', 'CAP_KILL'], 'permitted': ['CAP_NET_BIND_SERVICE', 'CAP_KILL'], 'inheritable': ['CAP_NET_BIND_SERVICE', 'CAP_KILL'], 'ambient': ['CAP_NET_BIND_SERVICE', 'CAP_KILL']}"
check_eq "a container as uid 1000 runs" 0 "$RC"
check_eq "process.args are the payload's argv" 'zero|one two|$x' "$(val args)"
check_eq "/proc/self/cmdline is process.args" '6 zero|one two|$x|' "$(val cmdline)"
check_eq "process.env: values with spaces" "bar  baz" "$(val FOO)"
check_eq "process.env: values with '='" "a=b=c" "$(val EQ)"
check_eq "process.env: empty values are set" "1" "$(val empty_set)"
check_eq "process.env: nothing of the runtime's environment leaks in" "0" "$(val leak)"
check_eq "process.cwd is the working directory" "/tmp" "$(val cwd)"
check_eq "user.uid (real, effective, saved, fs)" "1000 1000 1000 1000" "$(val uids)"
check_eq "user.gid (real, effective, saved, fs)" "1001 1001 1001 1001" "$(val gids)"
check_eq "user.additionalGids are the supplementary groups" "5 2000" "$(echo $(val groups | tr ' ' '\n' | sort -n))"
check_eq "user.umask" "0027" "$(val umask)"
check_eq "rlimits: RLIMIT_NOFILE soft and hard" "1000 2000" "$(val 'limit Max open files')"
check_eq "rlimits: RLIMIT_NPROC soft and hard" "300 400" "$(val 'limit Max processes')"
check_eq "rlimits: RLIMIT_CORE soft and hard" "0 4096" "$(val 'limit Max core file size')"
check_eq "rlimits: RLIMIT_MSGQUEUE soft and hard" "8192 16384" "$(val 'limit Max msgqueue size')"
check_eq "noNewPrivileges true sets no_new_privs" "1" "$(val nnp)"
check_eq "oomScoreAdj is set" "123" "$(val oom)"
check_eq "capabilities (non-root): bounding" "$(capmask CAP_CHOWN CAP_KILL CAP_NET_BIND_SERVICE CAP_NET_RAW)" "$(val CapBnd)"
check_eq "capabilities (non-root): effective" "$(capmask CAP_NET_BIND_SERVICE CAP_KILL)" "$(val CapEff)"
check_eq "capabilities (non-root): permitted" "$(capmask CAP_NET_BIND_SERVICE CAP_KILL)" "$(val CapPrm)"
check_eq "capabilities (non-root): inheritable" "$(capmask CAP_NET_BIND_SERVICE CAP_KILL)" "$(val CapInh)"
check_eq "capabilities (non-root): ambient" "$(capmask CAP_NET_BIND_SERVICE CAP_KILL)" "$(val CapAmb)"
check_eq "hostname" "conf-host" "$(val hostname)"
check_eq "domainname" "conf.example" "$(val domainname)"
check_eq "the host's hostname is untouched" "$(cat /proc/sys/kernel/hostname)" "$(hostname)"
check_eq "the payload is pid 1 of its pid namespace" "1" "$(val pid)"
check_eq "only stdin, stdout and stderr are open in the payload" "0 1 2" "$(echo $(printf '%s\n' "$OUT" | sed -n '/^fds-begin$/,/^fds-end$/p' | sed '1d;$d' | sort -n))"

# root with capabilities: what execve gives root is bounding | inheritable, so that is what
# permitted and effective are set to; oomScoreAdj unset leaves the caller's value.
OUT=$(sh -c 'echo 57 >/proc/self/oom_score_adj && exec "$@"' - "$CTR_OCI" --root "$ROOT" run \
        --bundle "$(bundle rootcaps "$REPORT" "c['process']['noNewPrivileges'] = False" \
                "c['process']['capabilities'] = {'bounding': ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE', 'CAP_SYS_CHROOT'], 'effective': ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE', 'CAP_SYS_CHROOT'], 'permitted': ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE', 'CAP_SYS_CHROOT'], 'inheritable': ['CAP_KILL'], 'ambient': ['CAP_KILL']}")" \
        rootcaps 2>&1 </dev/null)
check_eq "a root container runs" "0" "$(val uid)"
all5=$(capmask CAP_CHOWN CAP_KILL CAP_NET_BIND_SERVICE CAP_AUDIT_WRITE CAP_SYS_CHROOT)
check_eq "capabilities (root): bounding" "$all5" "$(val CapBnd)"
check_eq "capabilities (root): effective" "$all5" "$(val CapEff)"
check_eq "capabilities (root): permitted" "$all5" "$(val CapPrm)"
check_eq "capabilities (root): inheritable" "$(capmask CAP_KILL)" "$(val CapInh)"
check_eq "capabilities (root): ambient" "$(capmask CAP_KILL)" "$(val CapAmb)"
check_eq "noNewPrivileges false leaves no_new_privs off" "0" "$(val nnp)"
check_eq "oomScoreAdj unset: the runtime does not change oom_score_adj" "57" "$(val oom)"
check_eq "process.env of spec's default (PATH, TERM)" "" "$(val FOO)"

# no capabilities at all
crun nocaps 'for s in CapInh CapPrm CapEff CapBnd CapAmb; do echo "$s=$(grep ^$s: /proc/self/status | cut -f2)"; done' \
        "c['process']['capabilities'] = {'bounding': [], 'effective': [], 'permitted': [], 'inheritable': [], 'ambient': []}"
check_eq "empty capability sets: none in any set" "0000000000000000 x5" "$(val CapBnd) x$(echo "$OUT" | grep -c '=0000000000000000$')"

# every capability (what a privileged container asks for); this VM's runtime lacks some
# (CAP_SYS_RESOURCE): those MUST be warned about, SHOULD NOT fail the container
crun allcaps 'for s in CapPrm CapEff CapBnd; do echo "$s=$(grep ^$s: /proc/self/status | cut -f2)"; done' \
        "c['process']['capabilities'] = {k: '$(echo $ALL_CAPS)'.split() for k in ('bounding', 'effective', 'permitted', 'inheritable')}"
hostmask=$(grep ^CapBnd: /proc/self/status | cut -f2)
check_eq "every capability asked for, some not grantable: the container runs (SHOULD)" 0 "$RC"
check_eq "... with every capability the runtime has: bounding, permitted, effective" "$hostmask $hostmask $hostmask" "$(val CapBnd) $(val CapPrm) $(val CapEff)"
missing=$(comm -23 <(echo $ALL_CAPS | tr ' ' '\n' | sort) <(echo $HOST_CAPS | tr ' ' '\n' | sort) | head -n1)
[ -n "$missing" ] && check_match "... and the ungrantable $missing is logged as a warning (MUST)" \
        "$(echo "$missing" | tr A-Z a-z)" "$(printf '%s' "$ERR" | tr A-Z a-z)"
crun hostcaps 'for s in CapPrm CapEff CapBnd; do echo "$s=$(grep ^$s: /proc/self/status | cut -f2)"; done' "$HOST_CAPS_EDIT"
check_eq "all the runtime's capabilities: bounding, permitted, effective" "$hostmask $hostmask $hostmask" "$(val CapBnd) $(val CapPrm) $(val CapEff)"

# the process user is also who owns what the payload creates, and who it is to the kernel
crun owner 'touch /tmp/owned-$$ && stat -c "%u:%g" /tmp/owned-$$ && rm /tmp/owned-$$' \
        "c['root']['readonly'] = False" "c['process']['user'] = {'uid': 4321, 'gid': 4322}"
check_eq "files the payload creates belong to user.uid:user.gid" "4321:4322" "$OUT"

# process.terminal: a pty on stdio, bind-mounted on /dev/console; consoleSize
cat >"$T/console.py" <<'PY'
import array, os, select, socket, sys, time
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1]); srv.listen(1)
open(sys.argv[1] + ".ready", "w").close()
srv.settimeout(20)
conn, _ = srv.accept()
fds = array.array("i")
msg, anc, _, _ = conn.recvmsg(1024, socket.CMSG_LEN(fds.itemsize))
for level, typ, data in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds.frombytes(data[:fds.itemsize])
out, end = b"", time.time() + 15
while time.time() < end:
    r, _, _ = select.select([fds[0]], [], [], 0.1)
    if r:
        try:
            b = os.read(fds[0], 4096)
        except OSError:
            break
        if not b:
            break
        out += b
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
PY
python3 "$T/console.py" "$T/console.sock" >"$T/console.out" &
cpid=$!
wait_for test -e "$T/console.sock.ready"
b=$(bundle term 'echo "console=$(stat -c "%F %t" /dev/console)"; [ -t 0 ] && [ -t 1 ] && echo stdio=tty; echo "size=$(stty size)"; echo "tty=$(tty)"' \
        "c['process']['terminal'] = True" "c['process']['consoleSize'] = {'height': 25, 'width': 100}")
oci create --bundle "$b" --console-socket "$T/console.sock" term
check "create with process.terminal and --console-socket" [ $? = 0 ]
oci start term
wait $cpid
OUT=$(cat "$T/console.out")
check_eq "terminal: stdin and stdout are a tty" "tty" "$(val stdio)"
check_match "terminal: /dev/console is the pty (character device, major 136)" '^character special file 88$' "$(val console)"
check_eq "terminal: consoleSize is applied" "25 100" "$(val size)"
wait_for status_is term stopped
oci delete --force term >/dev/null 2>&1
crun noterm 'echo ok' "c['process']['consoleSize'] = {'height': 25, 'width': 100}"
check_eq "consoleSize without terminal is ignored" "0 ok" "$RC $OUT"

# scheduler, ioPriority, personality: applied like every other property
crun sched 'set -- $(cat /proc/$$/stat); echo "nice=${19} policy=${41}"; echo "ionice=$(ionice -p $$)"; echo "arch=$(uname -m)"' \
        "c['process']['scheduler'] = {'policy': 'SCHED_BATCH', 'nice': 5}" \
        "c['process']['ioPriority'] = {'class': 'IOPRIO_CLASS_BE', 'priority': 6}" \
        "c['linux']['personality'] = {'domain': 'LINUX32'}"
check_eq "scheduler, ioPriority, personality: the container runs" 0 "$RC"
check_eq "process.scheduler: policy SCHED_BATCH (3), nice 5" "nice=5 policy=3" "$(printf '%s\n' "$OUT" | grep '^nice=')"
check_match "process.ioPriority: best-effort, priority 6" 'best-effort.*6' "$(val ionice)"
check_match "linux.personality LINUX32: uname -m is 32-bit" '^(i.86|armv.*|ppc|s390)$' "$(val arch)"
# linux.memoryPolicy: a runtime may not support it, but then it must refuse it, not ignore it
crun mpol 'echo "mempolicy=$(awk "NR == 1 {print \$2}" /proc/self/numa_maps)"' \
        "c['linux']['memoryPolicy'] = {'mode': 'MPOL_BIND', 'nodes': '0'}"
check "linux.memoryPolicy MPOL_BIND nodes 0: applied, or refused with an error" \
        test "$(val mempolicy)" = "bind:0" -o "$RC" != 0
b=$(bundle badmpol true "c['linux']['memoryPolicy'] = {'mode': 'MPOL_NO_SUCH_MODE'}")
check_fails_clean "an invalid linux.memoryPolicy.mode" badmpol "$b"

# seccomp: the filter is applied, errnoRet is the errno
crun seccomp 'mkdir /dev/shm/d 2>&1; echo "rc=$?"' \
        "c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], 'syscalls': [{'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 99}]}"
check_match "seccomp: a syscall with SCMP_ACT_ERRNO fails with errnoRet (99, EADDRNOTAVAIL)" 'Cannot assign requested address|Address not available' "$OUT"

# hostname with no UTS namespace of its own: the property cannot be applied as asked in a
# container's namespace; it must not be silently dropped (an error, or the runtime's UTS
# namespace gets it; the latter is put back)
host_before=$(hostname)
b=$(bundle nouts 'hostname' "c['hostname'] = 'conf-nouts'" \
        "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'uts']")
out=$(oci run --bundle "$b" nouts 2>&1 </dev/null)
rc=$?
host_after=$(hostname)
[ "$host_after" != "$host_before" ] && hostname "$host_before"
check "hostname without a UTS namespace: an error, not silently ignored" \
        test $rc != 0 -o "$out" = conf-nouts
check_eq "nothing left at the end" "" "$(conf_leftovers)"
done_testing
