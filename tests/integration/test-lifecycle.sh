#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# create / start / state / kill / delete, run, exit codes, list, ps, pause/resume, and that
# nothing is left behind.
. "$(dirname "$0")/lib.sh"

b=$(make_bundle life "c['process']['args'] = ['sleep', '1000']")
oci create --bundle "$b" --pid-file "$T/life.pid" life
check "create exits 0" [ $? = 0 ]
st=$(oci state life)
check_match "state is created" '"status": "created"' "$st"
pid=$(cat "$T/life.pid")
check_match "pid file holds the init pid" '^[0-9]+$' "$pid"
check_match "state has the pid" "\"pid\": $pid" "$st"
check "init is alive and waiting" kill -0 "$pid"
check_eq "init runs our binary until start (not the payload yet)" "$(readlink /proc/$pid/exe)" "$(readlink -f "$CTR_OCI")"
oci start life
check "start exits 0" [ $? = 0 ]
sleep 0.1
check_match "state is running" '"status": "running"' "$(oci state life)"
check_eq "payload is exec'd" "sleep" "$(cat /proc/$pid/comm)"
check_match "list shows it" 'life +[0-9]+ +running' "$(oci list)"
check_match "list --format json" '"id": ?"life"' "$(oci list --format json)"
check_match "ps --format json lists the init pid" "\\[.*$pid.*\\]" "$(oci ps --format json life)"
oci update --memory 100M --pids-limit 33 life
mem=$(awk -F: '$2=="memory"{print $3}' /proc/$pid/cgroup)
pid_cg=$(awk -F: '$2=="pids"{print $3}' /proc/$pid/cgroup)
check_eq "update --memory 100M (runc's size syntax) sets the memory limit" 104857600 "$(cat /sys/fs/cgroup/memory$mem/memory.limit_in_bytes)"
check_eq "update --pids-limit sets pids.max" 33 "$(cat /sys/fs/cgroup/pids$pid_cg/pids.max)"
out=$(oci update --memory 12Q life 2>&1)
check "a bad size is refused" [ $? != 0 ]
# containerd's update: the whole linux.resources, its devices without create's defaults
printf '%s' '{"devices":[{"allow":false,"access":"rwm"}],"memory":{"limit":134217728}}' | oci update --resources - life
dev_cg=$(awk -F: '$2=="devices"{print $3}' /proc/$pid/cgroup)
check_eq "update --resources with devices sets the memory limit" 134217728 "$(cat /sys/fs/cgroup/memory$mem/memory.limit_in_bytes)"
check_contains "and keeps create's device rules (/dev/urandom, 1:9)" "c 1:9 rwm" "$(cat /sys/fs/cgroup/devices$dev_cg/devices.list)"
check_eq "so the payload can still read /dev/urandom" 4 "$(oci exec life sh -c 'head -c 4 /dev/urandom | wc -c' 2>&1)"
check "pause" oci pause life
check_match "state is paused" '"status": "paused"' "$(oci state life)"
check "resume" oci resume life
check_match "state is running again" '"status": "running"' "$(oci state life)"
out=$(oci delete life 2>&1)
check "delete of a running container fails" [ $? != 0 ]
check_match "and says why" "not stopped" "$out"
check "kill SIGKILL" oci kill life KILL
for i in $(seq 50); do gone "$pid" && break; sleep 0.02; done
check_match "state is stopped" '"status": "stopped"' "$(oci state life)"
check "kill --all on a stopped container succeeds (containerd)" oci kill --all life 9
out=$(oci kill life 9 2>&1)
check_match "kill on a stopped container says 'container not running'" "container not running" "$out"
check "delete" oci delete life
out=$(oci delete life 2>&1)
check_match "delete of a missing container says 'does not exist'" "does not exist" "$out"
check "delete --force of a missing container succeeds (containerd)" oci delete --force life
check_eq "nothing left after delete" "" "$(leftovers)"

# run: exit status and signal deaths
b=$(make_bundle rc "c['process']['args'] = ['sh', '-c', 'exit 42']")
oci run --bundle "$b" rc
check_eq "run returns the payload's exit status" 42 $?
b=$(make_bundle sig "c['process']['args'] = ['sleep', '1000']")
"$CTR_OCI" --root "$ROOT" run --bundle "$b" sig &
rpid=$!
for i in $(seq 100); do oci state sig 2>/dev/null | grep -q running && break; sleep 0.02; done
oci kill sig KILL
wait $rpid
check_eq "a payload killed by SIGKILL makes run exit 128+9" 137 $?
b=$(make_bundle fwd "c['process']['args'] = ['sh', '-c', 'trap \"exit 7\" TERM; while :; do sleep 0.05; done']")
"$CTR_OCI" --root "$ROOT" run --bundle "$b" fwd &
rpid=$!
for i in $(seq 100); do oci state fwd 2>/dev/null | grep -q running && break; sleep 0.02; done
sleep 0.2
kill -TERM $rpid
wait $rpid
check_eq "run forwards SIGTERM to the payload" 7 $?
check_eq "run removes the container afterwards" "" "$(leftovers)"

# detach
b=$(make_bundle det "c['process']['args'] = ['sleep', '1000']")
oci run -d --bundle "$b" --pid-file "$T/det.pid" det
check "run -d returns at once" [ $? = 0 ]
check_match "detached container runs" '"status": "running"' "$(oci state det)"
check "delete --force of a running container" oci delete --force det
check "its process is gone" gone "$(cat "$T/det.pid")"
check_eq "nothing left after delete --force" "" "$(leftovers)"

# a bad config: nothing left, a clear message
b=$(make_bundle bad "c['linux']['namespaces'].append({'type': 'foo'})")
out=$(oci create --bundle "$b" bad 2>&1)
check "an invalid config is refused" [ $? != 0 ]
check_match "with the JSON path and reason" "linux.namespaces\\[6\\].type: unknown namespace 'foo'" "$out"
b=$(make_bundle noexe "c['process']['args'] = ['/no/such/binary']")
out=$(oci create --bundle "$b" noexe 2>&1)
check "a missing executable fails create" [ $? != 0 ]
check_match "naming it" "/no/such/binary" "$out"
check_eq "failed creates leave nothing" "" "$(leftovers)"

# a payload the kernel refuses to execute: start fails and says why (the exec stub reports
# the execve error through exec.done)
b=$(make_bundle badelf "c['process']['args'] = ['/bin/badelf']")
own_rootfs "$b"
printf '\177ELFgarbage' >"$b/rootfs/bin/badelf"
chmod 755 "$b/rootfs/bin/badelf"
oci create --bundle "$b" badelf
out=$(oci start badelf 2>&1)
check "start of a payload the kernel cannot execute fails" [ $? != 0 ]
check_contains "with the reason" "Exec format error" "$out"
oci delete --force badelf

# no pid namespace: the init exits, a daemonized child stays in the cgroup; delete still
# removes everything
b=$(make_bundle nopidns "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'pid']" \
        "c['process']['args'] = ['sh', '-c', 'setsid sleep 1000 </dev/null >/dev/null 2>&1 & exit 0']")
oci run --bundle "$b" --keep nopidns
start=$(date +%s)
oci delete nopidns
check "delete of a stopped container whose cgroup still holds a process succeeds" [ $? = 0 ]
check "promptly ($(($(date +%s) - start)) s)" [ $(($(date +%s) - start)) -le 3 ]
check_eq "and leaves nothing" "" "$(leftovers)"

# --log json, the way containerd's shim reads errors
oci --log "$T/log.json" --log-format json delete nosuch 2>/dev/null
check_match "errors land in the json log" '"level":"error","msg":"container .nosuch. does not exist"' "$(tail -n1 "$T/log.json")"
done_testing
