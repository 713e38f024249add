#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# exec into a running container (args and --process forms, --detach, --pid-file, user, env,
# cwd, exit status), and terminals through --console-socket for create and exec.
. "$(dirname "$0")/lib.sh"
RECV="$(dirname "$0")/console-receiver.py"

b=$(make_bundle ex "c['process']['args'] = ['sleep', '1000']" "c['process']['env'].append('FROM_CONFIG=1')")
oci run -d --bundle "$b" --pid-file "$T/ex.pid" ex
check "container runs" [ $? = 0 ]
init=$(cat "$T/ex.pid")

out=$(oci exec ex sh -c 'echo $$; for n in pid mnt net; do readlink /proc/self/ns/$n; done')
check_contains "exec runs in the container's pid namespace" "$(readlink /proc/$init/ns/pid)" "$out"
check_contains "and its mount namespace" "$(readlink /proc/$init/ns/mnt)" "$out"
check_contains "and its network namespace" "$(readlink /proc/$init/ns/net)" "$out"
check_match "a new network namespace has its loopback up" "<LOOPBACK,UP" "$(oci exec ex ip link show lo)"
check_eq "exec sees the config's environment" "1" "$(oci exec ex sh -c 'echo $FROM_CONFIG')"
check_eq "exec -e adds to it" "y" "$(oci exec -e X=y ex sh -c 'echo $X')"
check_eq "exec --cwd" "/tmp" "$(oci exec --cwd /tmp ex pwd)"
check_eq "exec -u 1000:1000" "1000:1000" "$(oci exec -u 1000:1000 ex sh -c 'echo $(id -u):$(id -g)')"
oci exec ex sh -c 'exit 3'
check_eq "exec returns the process' exit status" 3 $?
out=$(oci exec ex /nonexistent 2>&1)
check "exec of a missing binary fails" [ $? != 0 ]
check_match "naming it" "/nonexistent" "$out"

cat >"$T/proc.json" <<'JSON'
{"args": ["sh", "-c", "echo from-process-file $(id -u)"], "cwd": "/", "user": {"uid": 7, "gid": 7},
 "env": ["PATH=/bin"]}
JSON
check_eq "exec --process FILE" "from-process-file 7" "$(oci exec --process "$T/proc.json" ex)"
oci exec --detach --pid-file "$T/d.pid" ex sleep 30
check "exec --detach returns" [ $? = 0 ]
dpid=$(cat "$T/d.pid" 2>/dev/null)
check_eq "its pid file names a live 'sleep'" "sleep" "$(cat /proc/$dpid/comm 2>/dev/null)"
check_match "ps --format json lists it" "$dpid" "$(oci ps --format json ex)"
check_eq "the exec'd process is in the container's cgroup" \
        "$(awk -F: '$2=="pids"{print $3}' /proc/$init/cgroup)" "$(awk -F: '$2=="pids"{print $3}' /proc/$dpid/cgroup)"
check_match "ps table lists it" "sleep 30" "$(oci ps ex)"

# terminal for exec through a console socket
rm -f "$T/cs.sock"
python3 "$RECV" "$T/cs.sock" "$T/cs.out" "" 5 &
rp=$!
for i in $(seq 100); do [ -e "$T/cs.sock.ready" ] && break; sleep 0.02; done
oci exec -t --console-socket "$T/cs.sock" ex sh -c 'tty; echo tty-ok' >/dev/null 2>&1
check_eq "exec -t with a console socket exits 0" 0 $?
wait $rp
check_match "the process got a pty on its stdio" "/dev/pts/[0-9]+" "$(cat "$T/cs.out")"
check_match "and its output reached the console socket's peer" "tty-ok" "$(cat "$T/cs.out")"
out=$(oci exec -t -d ex true 2>&1)
check_contains "exec -t -d without a console socket is refused" "console-socket" "$out"
check "delete --force" oci delete --force ex

# terminal:true create through a console socket (containerd's 'ctr run -t')
b=$(make_bundle tty "c['process']['terminal'] = True" "c['process']['args'] = ['sh', '-c', 'read line; echo got:\$line; ls -l /dev/console']")
out=$(oci create --bundle "$b" tty 2>&1)
check_match "terminal:true without --console-socket is refused" "console-socket" "$out"
rm -f "$T/c2.sock"
python3 "$RECV" "$T/c2.sock" "$T/c2.out" $'hello\n' 5 &
rp=$!
for i in $(seq 100); do [ -e "$T/c2.sock.ready" ] && break; sleep 0.02; done
oci create --bundle "$b" --console-socket "$T/c2.sock" tty
check_eq "create with a console socket" 0 $?
oci start tty
wait $rp
check_match "input typed into the pty reaches the payload" "got:hello" "$(cat "$T/c2.out")"
check_match "/dev/console is the pty (char major 136)" "crw.* 136, " "$(cat "$T/c2.out")"
oci delete --force tty

# seccomp without no_new_privs, as kubelet sends it (RuntimeDefault profile, noNewPrivileges
# unset, default capabilities): the filter must be loaded while CAP_SYS_ADMIN is still held
b=$(make_bundle sc "c['process']['args'] = ['sleep', '1000']" "c['process']['noNewPrivileges'] = False" \
        "c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1}]}")
oci run -d --bundle "$b" sc
check "a seccomp container without noNewPrivileges starts" [ $? = 0 ]
check_eq "its filter is in force (Seccomp: 2)" 2 "$(oci exec sc sh -c 'grep ^Seccomp: /proc/self/status | cut -f2')"
out=$(oci exec sc mkdir /tmp/x 2>&1)
check_contains "and denies what it lists" "Operation not permitted" "$out"
check_eq "exec in it works without noNewPrivileges too" 0 "$(oci exec sc sh -c 'grep ^NoNewPrivs: /proc/self/status | cut -f2')"
oci delete --force sc

check_eq "nothing left" "" "$(leftovers)"
done_testing
