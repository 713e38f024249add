#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Security regression tests for what the payload inherits from the runtime: file descriptors
# and working directory (row 6), capabilities (row 10), supplementary groups (row 11),
# sockets (row 18), no_new_privs and setuid (row 22) and the exec --user parser (row 24).
# Rows refer to /work/shared/security/cve-catalogue.md.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec-lib.sh"
control_run

exe=$(readlink -f "$CTR_OCI")
have_probe=false
build_helper probe && have_probe=true

# ---- row 6: CVE-2024-21626 "Leaky Vessels" ----
# A host file that only a working directory outside the container can reach.
sentinel="HOST-SENTINEL-$$-$RANDOM"
echo "$sentinel" >"$T/leak-sentinel"
up=../../../../../../../../../../..$T/leak-sentinel
leaks="" ran=""
for N in $(seq 3 20); do
        b=$(make_bundle cwd$N "c['process']['cwd'] = '/proc/self/fd/$N'" \
                "c['process']['args'] = ['sh', '-c', 'pwd; cat $up; ls ../../..']")
        out=$(oci run --bundle "$b" cwd$N 2>&1)
        [ $? = 0 ] && ran="$ran $N"
        lacks "$out" "$sentinel" || leaks="$leaks $N"
done
[ -n "$ran" ] && echo "# process.cwd=/proc/self/fd/N ran for N =$ran"
check_eq "[row 6] process.cwd=/proc/self/fd/N, N=3..20: no host file reachable" "" "$leaks"
leaks="" ran=""
for N in $(seq 3 20); do
        b=$(make_bundle arg$N "c['process']['args'] = ['/proc/self/fd/$N', '-c', 'cat $up']")
        out=$(oci run --bundle "$b" arg$N 2>&1)
        [ $? = 0 ] && ran="$ran $N"
        lacks "$out" "$sentinel" || leaks="$leaks $N"
done
check_eq "[row 6] process.args[0]=/proc/self/fd/N, N=3..20: never executes" "" "$ran"
check_eq "[row 6] ... and no host file reachable" "" "$leaks"

# The waiting init after create: only stdio, the exec fifo, pipes, sockets (or a memfd of
# ourselves). A directory fd is what made Leaky Vessels possible. create runs with nothing
# but stdio open, so only what the runtime opened itself is there.
b=$(make_bundle fdinit "c['process']['args'] = ['/probe', 'fds']")
own_rootfs "$b"
$have_probe && cp "$HELPERS/probe" "$b/rootfs/probe"
closed_fds "$CTR_OCI" --root "$ROOT" create --bundle "$b" --pid-file "$T/fdinit.pid" fdinit >"$T/fdinit.out" 2>&1
check "[row 6] create" [ $? = 0 ]
pid=$(cat "$T/fdinit.pid" 2>/dev/null)
dirfds="" unexpected=""
for f in /proc/"$pid"/fd/*; do
        k=${f##*/}
        [ "$k" -lt 3 ] 2>/dev/null && continue
        target=$(readlink "$f")
        [ -d "$f" ] && dirfds="$dirfds $k:$target"
        echo "$target" | grep -Eq '^(pipe:|socket:|anon_inode:|/memfd:)|/exec\.(fifo|done)$' || unexpected="$unexpected $k:$target"
done
check_eq "[row 6] the init waiting for start holds no directory fd" "" "$dirfds"
check_eq "[row 6] ... and nothing but the exec fifos, pipes, sockets" "" "$unexpected"
if $have_probe; then
        oci start fdinit
        wait_stopped fdinit 50
        check_eq "[row 6] the payload has only fds 0 1 2" "0 1 2" "$(echo $(cat "$T/fdinit.out"))"
else
        skip "[row 6] the payload has only fds 0 1 2" "gcc -static unavailable"
fi
oci delete --force fdinit

# exec: --cwd /proc/self/fd/N, and the fds an exec'd process gets.
b=$(make_bundle leaky "c['process']['args'] = ['sleep', '1000']")
own_rootfs "$b"
$have_probe && cp "$HELPERS/probe" "$b/rootfs/probe"
oci run -d --bundle "$b" leaky
check "[row 6] a container for exec" [ $? = 0 ]
leaks=""
for N in $(seq 3 20); do
        out=$(oci exec --cwd /proc/self/fd/$N leaky sh -c "pwd; cat $up; ls ../../.." 2>&1)
        lacks "$out" "$sentinel" || leaks="$leaks $N"
done
check_eq "[row 6] exec --cwd /proc/self/fd/N, N=3..20: no host file reachable" "" "$leaks"
if $have_probe; then
        check_eq "[row 6] an exec'd process has only fds 0 1 2" "0 1 2" \
                "$(echo $(closed_fds "$CTR_OCI" --root "$ROOT" exec leaky /probe fds 2>&1))"
        check_eq "[row 6] ... even when the caller has more open" "0 1 2" \
                "$(echo $(oci exec leaky /probe fds 7<"$T" 8<"$T/leak-sentinel" 2>&1))"
else
        skip "[row 6] an exec'd process has only fds 0 1 2" "gcc -static unavailable"
fi
oci delete --force leaky
check_eq "[row 6] nothing left behind" "" "$(leftovers)"

# ---- row 10: CVE-2022-29162 and friends, inheritable and ambient capabilities ----
cap_field() { echo "$1" | awk -v f="$2:" '$1 == f {print $2}'; }
for user in 0:0 1000:1000; do
        b=$(make_bundle caps-${user%%:*} "c['process']['user'] = {'uid': ${user%%:*}, 'gid': ${user#*:}}" \
                "c['process']['args'] = ['grep', '^Cap', '/proc/self/status']")
        out=$(oci run --bundle "$b" caps-${user%%:*} 2>&1)
        check_eq "[row 10] default spec, user $user: CapInh is empty" 0000000000000000 "$(cap_field "$out" CapInh)"
        check_eq "[row 10] default spec, user $user: CapAmb is empty" 0000000000000000 "$(cap_field "$out" CapAmb)"
done
b=$(make_bundle capexec "c['process']['args'] = ['sleep', '1000']")
oci run -d --bundle "$b" capexec
out=$(oci exec --cap CAP_NET_RAW capexec grep ^Cap /proc/self/status 2>&1)
eff=$(cap_field "$out" CapEff)
check "[row 10] control: exec --cap CAP_NET_RAW raises it in CapEff ($eff)" [ $((0x${eff:-0} >> 13 & 1)) = 1 ]
check_eq "[row 10] exec --cap CAP_NET_RAW: CapInh is empty" 0000000000000000 "$(cap_field "$out" CapInh)"
check_eq "[row 10] exec --cap CAP_NET_RAW: CapAmb is empty" 0000000000000000 "$(cap_field "$out" CapAmb)"
out=$(oci exec -u 1000:1000 --cap CAP_NET_RAW capexec grep ^Cap /proc/self/status 2>&1)
check_eq "[row 10] exec -u 1000 --cap CAP_NET_RAW: CapInh is empty" 0000000000000000 "$(cap_field "$out" CapInh)"
check_eq "[row 10] exec -u 1000 --cap CAP_NET_RAW: CapAmb is empty" 0000000000000000 "$(cap_field "$out" CapAmb)"
check_eq "[row 10] exec -u 1000 --cap CAP_NET_RAW: CapEff is empty" 0000000000000000 "$(cap_field "$out" CapEff)"
oci delete --force capexec

# ---- row 11: CVE-2022-2989 and friends, the caller's supplementary groups ----
subset_of() { # subset_of "ALLOWED..." "GROUPS...": 0 when every group is allowed
        local g
        for g in $2; do case " $1 " in *" $g "*) ;; *) return 1 ;; esac; done
}
groups_of() { echo "$1" | sed -n 's/^Groups:[[:space:]]*//p' | xargs; }
check_eq "[row 11] control: setpriv --groups 6,100 gives the runtime those groups" "6 100" \
        "$(groups_of "$(setpriv --groups 6,100 cat /proc/self/status)")"
b=$(make_bundle groups "c['process']['user'] = {'uid': 1000, 'gid': 1000}" \
        "c['process']['args'] = ['grep', '^Groups:', '/proc/self/status']")
out=$(setpriv --groups 6,100 "$CTR_OCI" --root "$ROOT" run --bundle "$b" groups 2>&1)
g=$(groups_of "$out")
check "[row 11] runtime in groups 6,100, user 1000:1000: payload groups ($g) within {1000}" \
        subset_of 1000 "$g"
check_match "[row 11] ... (the payload did run)" '^Groups:' "$out"
b=$(make_bundle groups0 "c['process']['args'] = ['grep', '^Groups:', '/proc/self/status']")
out=$(setpriv --groups 6,100 "$CTR_OCI" --root "$ROOT" run --bundle "$b" groups0 2>&1)
check_eq "[row 11] runtime in groups 6,100, user 0:0 without additionalGids: no groups" "" "$(groups_of "$out")"
b=$(make_bundle groups-add "c['process']['user'] = {'uid': 1000, 'gid': 1000, 'additionalGids': [5, 1000]}" \
        "c['process']['args'] = ['grep', '^Groups:', '/proc/self/status']")
out=$(setpriv --groups 6,100 "$CTR_OCI" --root "$ROOT" run --bundle "$b" groups-add 2>&1)
check_eq "[row 11] additionalGids [5, 1000]: exactly those" "5 1000" "$(groups_of "$out")"
# The same in a user namespace, where the caller's groups are unmapped (65534) but still
# count on the host. The container's root must be able to reach the rootfs below $T.
chmod 711 "$T"
b=$(make_bundle groups-userns "c['process']['user'] = {'uid': 1000, 'gid': 1000}" \
        "c['process']['args'] = ['grep', '^Groups:', '/proc/self/status']" \
        "c['linux']['namespaces'].append({'type': 'user'})" \
        "c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]" \
        "c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]")
out=$(setpriv --groups 6,100 "$CTR_OCI" --root "$ROOT" run --bundle "$b" groups-userns 2>&1)
g=$(groups_of "$out")
check "[row 11] user namespace, runtime in groups 6,100: payload groups ($g) within {1000}" \
        [ -n "$(echo "$out" | grep '^Groups:')" -a "$(subset_of 1000 "$g" && echo y)" = y ]
b=$(make_bundle groups-exec "c['process']['args'] = ['sleep', '1000']")
oci run -d --bundle "$b" groups-exec
out=$(setpriv --groups 6,100 "$CTR_OCI" --root "$ROOT" exec -u 1000:1000 groups-exec grep ^Groups: /proc/self/status 2>&1)
g=$(groups_of "$out")
check "[row 11] exec -u 1000:1000 from a runtime in groups 6,100: groups ($g) within {1000}" subset_of 1000 "$g"
check_match "[row 11] ... (the exec did run)" '^Groups:' "$out"
oci delete --force groups-exec
check_eq "[row 11] nothing left behind" "" "$(leftovers)"

# ---- row 18: CVE-2020-15257, no abstract unix sockets ----
# Socket inodes of every process running our binary plus the given pids, that are bound to an
# abstract address ('@' in /proc/net/unix): a container in the host network namespace could
# connect to them.
abstract_of_ours() { # abstract_of_ours UNIXFILE PID...
        local p inodes=""
        for p in /proc/[0-9]*; do
                [ "$(readlink "$p/exe" 2>/dev/null)" = "$exe" ] && set -- "$@" "${p#/proc/}"
        done
        local unixf=$1
        shift
        for p in "$@"; do
                inodes="$inodes $(ls -l /proc/"$p"/fd 2>/dev/null | grep -o 'socket:\[[0-9]*\]' | tr -dc '0-9 \n' | xargs)"
        done
        awk -v ino="$inodes" 'BEGIN { n = split(ino, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
                $8 ~ /^@/ && ($7 in want) { print $7, $8 }' "$unixf"
}
socket_count() { # socket_count PID...: sockets those processes hold
        local p c=0
        for p in "$@"; do c=$((c + $(ls -l /proc/"$p"/fd 2>/dev/null | grep -c 'socket:'))); done
        echo $c
}
# During create: a prestart hook sees the runtime (its parent) mid-setup.
b=$(make_bundle sock-create "c['process']['args'] = ['true']" \
        "c['hooks'] = {'prestart': [{'path': '/bin/sh', 'env': ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], 'args': ['sh', '-c', 'ls -l /proc/\$PPID/fd > $T/hook.fd; cat /proc/net/unix > $T/hook.unix; echo \$PPID > $T/hook.ppid']}]}")
oci run --bundle "$b" sock-create >/dev/null 2>&1
check "[row 18] the prestart hook saw the runtime" [ -s "$T/hook.fd" ]
hook_socks=$(grep -o 'socket:\[[0-9]*\]' "$T/hook.fd" | tr -dc '0-9\n')
check "[row 18] ... holding sockets (the sync channel)" [ -n "$hook_socks" ]
bad=$(awk -v ino="$(echo $hook_socks)" 'BEGIN { n = split(ino, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
        $8 ~ /^@/ && ($7 in want) { print $7, $8 }' "$T/hook.unix" 2>/dev/null)
check_eq "[row 18] during create, none of the runtime's sockets is abstract" "" "$bad"
# During run and exec: the waiting runtime, the container's init and the exec'd runtime.
b=$(make_bundle sock-run "c['process']['args'] = ['sleep', '3']")
"$CTR_OCI" --root "$ROOT" run --bundle "$b" sock-run >/dev/null 2>&1 &
runner=$!
for i in $(seq 50); do oci state sock-run 2>/dev/null | grep -q running && break; sleep 0.05; done
initpid=$(oci state sock-run 2>/dev/null | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
"$CTR_OCI" --root "$ROOT" exec sock-run sleep 1 >/dev/null 2>&1 &
execer=$!
sleep 0.3
cat /proc/net/unix >"$T/run.unix"
check "[row 18] the runtime is waiting in run" kill -0 $runner
check_eq "[row 18] during run and exec, no abstract socket of ours" "" \
        "$(abstract_of_ours "$T/run.unix" $runner $execer $initpid)"
wait $execer $runner
check_eq "[row 18] nothing left behind" "" "$(leftovers)"

# ---- row 22: no_new_privs, and setuid binaries with it ----
nnp_of() { echo "$1" | awk '$1 == "NoNewPrivs:" {print $2}'; }
b=$(make_bundle nnp1 "c['process']['noNewPrivileges'] = True" "c['process']['args'] = ['grep', 'NoNewPrivs', '/proc/self/status']")
check_eq "[row 22] noNewPrivileges true: NoNewPrivs 1" 1 "$(nnp_of "$(oci run --bundle "$b" nnp1 2>&1)")"
b=$(make_bundle nnp0 "c['process']['noNewPrivileges'] = False" "c['process']['args'] = ['sleep', '1000']")
oci run -d --bundle "$b" nnp0
check_eq "[row 22] control: noNewPrivileges false: NoNewPrivs 0" 0 \
        "$(nnp_of "$(oci exec nnp0 grep NoNewPrivs /proc/self/status 2>&1)")"
check_eq "[row 22] exec --no-new-privs: NoNewPrivs 1" 1 \
        "$(nnp_of "$(oci exec --no-new-privs nnp0 grep NoNewPrivs /proc/self/status 2>&1)")"
oci delete --force nnp0
if $have_probe; then
        for nnp in True False; do
                b=$(make_bundle suid-$nnp "c['process']['noNewPrivileges'] = $nnp" \
                        "c['process']['user'] = {'uid': 1000, 'gid': 1000}" "c['process']['args'] = ['/suid-probe', 'ids']")
                own_rootfs "$b"
                cp "$HELPERS/probe" "$b/rootfs/suid-probe"
                chown 0:0 "$b/rootfs/suid-probe"
                chmod 4755 "$b/rootfs/suid-probe"
                oci run --bundle "$b" suid-$nnp >"$T/suid-$nnp.out" 2>&1
        done
        check_match "[row 22] noNewPrivileges true: a setuid-root binary does not raise euid" \
                '^uid=1000 euid=1000 ' "$(cat "$T/suid-True.out")"
        check_match "[row 22] control: without it the same binary does (the test can tell)" \
                '^uid=1000 euid=0 ' "$(cat "$T/suid-False.out")"
else
        skip "[row 22] setuid binary under no_new_privs" "gcc -static unavailable"
fi
check_eq "[row 22] no setuid/setgid file in the state directory" "" "$(find "$ROOT" -perm /6000 2>/dev/null)"
check_eq "[row 22] nothing left behind" "" "$(leftovers)"

# ---- row 24: CVE-2026-30892, exec --user parsing ----
b=$(make_bundle users "c['process']['args'] = ['sleep', '1000']")
oci run -d --bundle "$b" users
check_eq "[row 24] exec -u 1: uid 1, gid from the config (0)" "1 0" \
        "$(echo $(oci exec -u 1 users sh -c 'id -u; id -g' 2>&1))"
check_eq "[row 24] exec -u 1:2: uid 1 gid 2" "1 2" "$(echo $(oci exec -u 1:2 users sh -c 'id -u; id -g' 2>&1))"
check_eq "[row 24] exec --user=1" "1" "$(oci exec --user=1 users id -u 2>&1)"
check_eq "[row 24] exec -u1" "1" "$(oci exec -u1 users id -u 2>&1)"
check_eq "[row 24] exec --user 1000:1000" "1000 1000" "$(echo $(oci exec --user 1000:1000 users sh -c 'id -u; id -g' 2>&1))"
check_eq "[row 24] exec -u 0" "0" "$(oci exec -u 0 users id -u 2>&1)"
for v in junk "" : 1: :2 -1 1:2:3 0x1 " 1" "1 " 1:-2 4294967295 99999999999 1.5 root 1:root; do
        out=$(oci exec -u "$v" users sh -c 'echo RAN-$(id -u)' 2>&1)
        rc=$?
        check "[row 24] exec -u '$v' is rejected" [ $rc != 0 -a -z "$(echo "$out" | grep RAN-)" ]
done
oci delete --force users
check_eq "[row 24] nothing left behind" "" "$(leftovers)"
done_testing
