# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs INSIDE the VM (tests/vm/test-cgroup-v2.sh hands it to vm_run), as root in vmtest.service
# under systemd 252 as PID 1 on a pure cgroup v2 hierarchy. Prints TAP lines (no plan: the host
# side adds its own checks and the plan). BUILD_DIR and SRCDIR are copies in /vmshare.
set -u
. "$SRCDIR/tests/tap.sh"
BUILD=$BUILD_DIR
CG=/sys/fs/cgroup

# (the guest's clock starts at boot: this says how long the boot took)
echo "# guest: kernel $(uname -r), systemd $(systemctl --version | awk 'NR==1{print $2}'), up $(cut -d' ' -f1 /proc/uptime)s"
check_eq "the guest's /sys/fs/cgroup is cgroup2 only (pure v2)" cgroup2fs "$(stat -fc %T $CG)"
check_eq "systemd is PID 1" systemd "$(cat /proc/1/comm)"
check_contains "the root group offers memory, pids, cpu and cpuset" "cpuset cpu io memory" "$(cat $CG/cgroup.controllers)"

# --- the build's binaries and units, copied into the guest's overlay (the host sees none of it)
CTR_EXEC_PATH=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$BUILD/units/ctr@.service")
CTRCTL=/usr/local/bin/ctrctl
CTR_OCI=/usr/local/bin/ctr-oci
inst=ok
install -D -m 0755 "$BUILD/exec/ctr-exec" "$CTR_EXEC_PATH" || inst=no
install -D -m 0755 "$BUILD/ctl/ctrctl" "$CTRCTL" || inst=no
install -D -m 0755 "$BUILD/exec/ctr-oci" "$CTR_OCI" || inst=no
install -D -m 0755 "$BUILD/generator/ctr-generator" /usr/lib/systemd/system-generators/ctr-generator || inst=no
install -D -m 0644 "$BUILD/units/ctr@.service" /usr/lib/systemd/system/ctr@.service || inst=no
install -D -m 0644 "$SRCDIR/units/ctr.slice" /usr/lib/systemd/system/ctr.slice || inst=no
T=$(mktemp -d /tmp/ctrvm.XXXXXX)
R=$T/rootfs
# a busybox rootfs (tools/mkrootfs-busybox, run by the host side into /vmshare) in the guest's tmpfs
cp -a /vmshare/rootfs "$R" || inst=no
# the definition (d) starts, read by the generator at the daemon-reload
mkdir -p /etc/ctr
cat >/etc/ctr/web.ctr <<EOF || inst=no
[Container]
RootDirectory=$R
Exec=sleep 1000

[Service]
MemoryMax=64M
TasksMax=20
EOF
check_eq "ctr-exec ($CTR_EXEC_PATH), ctrctl, ctr-oci, ctr-generator, the units, /etc/ctr/web.ctr and a busybox rootfs are installed" ok "$inst"
systemctl daemon-reload
echo "# installed at $(cut -d' ' -f1 /proc/uptime)s"

# wait until COMMAND... succeeds, 10 s at most
waitfor() {
        local i
        for i in $(seq 100); do "$@" && return 0; sleep 0.1; done
        return 1
}
is_active() { [ "$(systemctl is-active "$1")" = active ]; }
is_gone() { [ "$(systemctl is-active "$1")" != active ] && [ "$(systemctl is-active "$1")" != deactivating ]; }
# check_rc "description" STATUS FILE: ok when STATUS is 0, else not ok with FILE as diagnostics
check_rc() {
        if [ "$2" = 0 ]; then ok "$1"; else not_ok "$1"; echo "#   exit status $2"; sed 's/^/#   /' "$3"; fi
}
cgfile() { cat "$CG/$1" 2>&1 | tr '\n' ' ' | sed 's/ $//'; }

# --- (a) ctrctl run -d: a transient service; systemd writes the v2 files
"$CTRCTL" run -d --name v2 -p MemoryMax=64M -p MemoryHigh=48M -p MemorySwapMax=0 -p TasksMax=10 \
        -p CPUQuota=50% -p AllowedCPUs=0 "$R" sleep 1000 2>"$T/err"
check_rc "ctrctl run -d with v2 limits succeeds" $? "$T/err"
waitfor is_active ctr-v2.service
check_eq "ctr-v2.service is active" active "$(systemctl is-active ctr-v2.service)"
g=ctr.slice/ctr-v2.service
check_eq "MemoryMax=64M is memory.max" 67108864 "$(cgfile $g/memory.max)"
check_eq "MemoryHigh=48M is memory.high" 50331648 "$(cgfile $g/memory.high)"
check_eq "MemorySwapMax=0 is memory.swap.max" 0 "$(cgfile $g/memory.swap.max)"
check_eq "TasksMax=10 is pids.max" 10 "$(cgfile $g/pids.max)"
check_eq "CPUQuota=50% is cpu.max" "50000 100000" "$(cgfile $g/cpu.max)"
check_eq "AllowedCPUs=0 is cpuset.cpus" 0 "$(cgfile $g/cpuset.cpus)"
main=$(systemctl show -P MainPID ctr-v2.service)
check_eq "the container's init (MainPID $main) is in the unit's group" "0::/$g" "$(cat /proc/"$main"/cgroup 2>&1)"
check_contains "the payload runs in that group" "sleep 1000" "$(for p in $(cat $CG/$g/cgroup.procs); do tr '\0' ' ' </proc/$p/cmdline; echo; done)"

# --- (b) what systemd stores agrees
check_eq "systemctl show MemoryMax" 67108864 "$(systemctl show -P MemoryMax ctr-v2.service)"
check_eq "systemctl show MemoryHigh" 50331648 "$(systemctl show -P MemoryHigh ctr-v2.service)"
check_eq "systemctl show MemorySwapMax" 0 "$(systemctl show -P MemorySwapMax ctr-v2.service)"
check_eq "systemctl show TasksMax" 10 "$(systemctl show -P TasksMax ctr-v2.service)"
check_eq "systemctl show CPUQuotaPerSecUSec" 500ms "$(systemctl show -P CPUQuotaPerSecUSec ctr-v2.service)"
check_eq "systemctl show AllowedCPUs" 0 "$(systemctl show -P AllowedCPUs ctr-v2.service)"
check_eq "systemctl show ControlGroup" "/$g" "$(systemctl show -P ControlGroup ctr-v2.service)"

# ctrctl update and stats, on v2
"$CTRCTL" update -p MemoryMax=128M -p TasksMax=20 v2 2>"$T/err"
check_rc "ctrctl update succeeds" $? "$T/err"
check_eq "ctrctl update MemoryMax=128M is memory.max, live" 134217728 "$(cgfile $g/memory.max)"
check_eq "and TasksMax=20 is pids.max" 20 "$(cgfile $g/pids.max)"
out=$("$CTRCTL" stats --json --no-stream v2 2>&1)
check_contains "ctrctl stats --json reports the v2 limit" '"limit": 134217728' "$out"
check_match "and a memory figure" '"usage": [1-9][0-9]*' "$out"
check_contains "ctrctl top lists its processes" "sleep 1000" "$("$CTRCTL" top v2 2>&1)"
systemctl stop ctr-v2.service
check_eq "systemctl stop ends it" inactive "$(systemctl is-active ctr-v2.service)"
check "its group is gone" [ ! -e "$CG/$g" ]

echo "# (a,b) done at $(cut -d' ' -f1 /proc/uptime)s"

# --- (c) over MemoryMax in the foreground: the OOM killer, and ctrctl says so (memory.events).
# ctrctl sits in the scope with the container; on v2 systemd sees the OOM kill too, and under
# OOMPolicy=stop (systemd's default) it stops the scope, SIGTERM to ctrctl included, which
# races ctrctl's own report and clean-up: hence three rounds.
for i in 1 2 3; do
        out=$("$CTRCTL" run --name oom$i -p MemoryMax=32M "$R" sh -c 'exec dd if=/dev/zero of=/dev/null bs=100M count=1' 2>&1)
        check_eq "round $i: a payload over MemoryMax=32M is killed (128+SIGKILL)" 137 "$?"
        check_contains "round $i: ctrctl reports the OOM kill" "killed by the OOM killer" "$out"
        check_eq "round $i: ctrctl removed the container's state and runtime definition" "" \
                "$(ls -d /run/ctrctl/ctr@oom$i /run/ctr/oom$i.ctr 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
        waitfor is_gone ctr-oom$i.scope
        check_eq "round $i: the scope ends inactive (not stopped by systemd over the OOM kill)" \
                inactive "$(systemctl is-active ctr-oom$i.scope)"
        [ "$(systemctl is-active ctr-oom$i.scope)" = inactive ] ||
                echo "#   scope Result=$(systemctl show -P Result ctr-oom$i.scope), OOMPolicy=$(systemctl show -P OOMPolicy ctr-oom$i.scope)"
done
echo "$out" | sed 's/^/#   ctrctl: /'
echo "# (c) done at $(cut -d' ' -f1 /proc/uptime)s"

# a foreground scope: the payload sees its own limits through its cgroup namespace
out=$("$CTRCTL" run --name fg -p MemoryMax=64M -p TasksMax=12 "$R" \
        sh -c 'cat /proc/self/cgroup /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; exit 7' 2>&1)
check_eq "a foreground run returns the payload's exit status" 7 "$?"
check_contains "the payload reads MemoryMax=64M from its memory.max" 67108864 "$out"
check_contains "and TasksMax=12 from its pids.max" $'\n12' "$out"
echo "$out" | sed 's/^/#   payload: /'

echo "# (c2) done at $(cut -d' ' -f1 /proc/uptime)s"

# --- (d) a definition, through the generator and ctr@.service
# (/etc/ctr/web.ctr was written before the daemon-reload above: the generator made ctr@web of it)
systemctl start ctr@web.service 2>"$T/err"
check_rc "systemctl start ctr@web succeeds" $? "$T/err"
waitfor is_active ctr@web.service
check_eq "ctr@web.service is active" active "$(systemctl is-active ctr@web.service)"
g=ctr.slice/ctr@web.service
check_eq "the definition's MemoryMax=64M is memory.max" 67108864 "$(cgfile $g/memory.max)"
check_eq "its TasksMax=20 is pids.max" 20 "$(cgfile $g/pids.max)"
main=$(systemctl show -P MainPID ctr@web.service)
check_eq "the container's init is in the unit's group" "0::/$g" "$(cat /proc/"$main"/cgroup 2>&1)"
systemctl set-property --runtime ctr@web.service MemoryMax=96M
check_eq "set-property MemoryMax=96M applies live" 100663296 "$(cgfile $g/memory.max)"
systemctl stop ctr@web.service
check_eq "a stopped definition is inactive, not failed" inactive "$(systemctl is-active ctr@web.service)"
[ "$(systemctl is-active ctr@web.service)" = inactive ] || journalctl -u ctr@web.service -o cat | tail -10 | sed 's/^/#   /'

echo "# (d) done at $(cut -d' ' -f1 /proc/uptime)s"

# --- (e) the cgroupfs code's v2 branch without systemd's help: ctr-oci with linux.resources
B=$T/bundle
mkdir -p "$B"
(cd "$B" && "$CTR_OCI" spec) || echo "# ctr-oci spec failed"
python3 - "$B/config.json" "$R" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c['root'] = {'path': sys.argv[2], 'readonly': True}
c['process']['terminal'] = False
c['process']['args'] = ['sleep', '1000']
c['linux']['cgroupsPath'] = 'oci-v2'
c['linux']['resources'] = {
    'memory': {'limit': 64 * 1024 * 1024},
    'pids': {'limit': 10},
    'cpu': {'quota': 50000, 'period': 100000},
}
json.dump(c, open(sys.argv[1], 'w'), indent=2)
PY

# The caller sits in a leaf of its delegated scope, so that the parent of its own group (where
# a relative cgroupsPath goes on v2, runc's rule) is the scope: the container lands inside it.
systemd-run -q --scope -p Delegate=yes --unit ctrvm-oci.scope /bin/sh -c '
        g=$(sed -n "s/^0:://p" /proc/self/cgroup)
        mkdir "/sys/fs/cgroup$g/supervisor" && echo $$ >"/sys/fs/cgroup$g/supervisor/cgroup.procs" &&
        exec "$0" run -b "$1" oci-v2' "$CTR_OCI" "$B" >"$T/oci.out" 2>&1 &
job=$!
pid=
st() { "$CTR_OCI" state "$1" 2>/dev/null | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["status"], s["pid"])' 2>/dev/null; }
waitfor sh -c "'$CTR_OCI' state oci-v2 2>/dev/null | grep -q '\"running\"'"
read -r status pid <<<"$(st oci-v2)"
check_eq "ctr-oci run in a delegated scope: the container runs" running "${status:-none}"
[ "${status:-none}" = running ] || sed 's/^/#   /' "$T/oci.out"
grp=$(sed -n 's/^0:://p' /proc/"${pid:-0}"/cgroup 2>/dev/null)
echo "# ctr-oci container's group: $grp"
check_eq "the relative cgroupsPath lands in the delegated scope" /system.slice/ctrvm-oci.scope/oci-v2 "$grp"
check_eq "linux.resources.memory.limit is memory.max" 67108864 "$(cgfile "$grp/memory.max")"
check_eq "linux.resources.pids.limit is pids.max" 10 "$(cgfile "$grp/pids.max")"
check_eq "linux.resources.cpu quota/period is cpu.max" "50000 100000" "$(cgfile "$grp/cpu.max")"
"$CTR_OCI" update --memory 104857600 --pids-limit 15 oci-v2 2>"$T/err"
check_rc "ctr-oci update succeeds" $? "$T/err"
check_eq "ctr-oci update --memory 100 MiB is memory.max" 104857600 "$(cgfile "$grp/memory.max")"
check_eq "ctr-oci update --pids-limit 15 is pids.max" 15 "$(cgfile "$grp/pids.max")"
"$CTR_OCI" pause oci-v2 2>"$T/err"
check_eq "ctr-oci pause freezes the group (cgroup.freeze)" "1" "$(cgfile "$grp/cgroup.freeze")"
check_contains "state says paused" '"paused"' "$("$CTR_OCI" state oci-v2 2>&1)"
"$CTR_OCI" resume oci-v2 2>>"$T/err"
check_eq "ctr-oci resume thaws it" "0" "$(cgfile "$grp/cgroup.freeze")"
"$CTR_OCI" kill oci-v2 KILL 2>>"$T/err"
wait "$job"
check_eq "ctr-oci run returns the payload's status (SIGKILL)" 137 "$?"
check "the container's group is removed" [ ! -e "$CG$grp" ]
[ -s "$T/err" ] && sed 's/^/#   ctr-oci: /' "$T/err"

# The same from a caller sitting in the scope's root, the form a user types first: the
# relative path then goes next to the scope (runc's rule). Shown, not judged.
systemd-run -q --scope -p Delegate=yes --unit ctrvm-oci2.scope "$CTR_OCI" run -b "$B" oci-v2b >"$T/oci2.out" 2>&1 &
job=$!
waitfor sh -c "'$CTR_OCI' state oci-v2b 2>/dev/null | grep -q '\"running\"'"
read -r status pid <<<"$(st oci-v2b)"
grp=$(sed -n 's/^0:://p' /proc/"${pid:-0}"/cgroup 2>/dev/null)
echo "# from the scope's own group, a relative cgroupsPath lands at: ${grp:-(no container: $(head -c 300 "$T/oci2.out"))}"
check_eq "there too its memory.max is the limit" 67108864 "$(cgfile "$grp/memory.max")"
"$CTR_OCI" kill oci-v2b KILL 2>/dev/null
wait "$job"

echo "# (e) done at $(cut -d' ' -f1 /proc/uptime)s"

# --- (f) ctrctl where systemd is not the init system: the cgroupfs fallback on v2. /run/systemd
# hidden in a mount namespace of its own, from a leaf of a delegated scope (as in (e)), so that
# the relative cgroupsPath ctrctl-NAME lands in the scope.
fallback() { # fallback NAME ARGS...: ctrctl run --name NAME ARGS without systemd in sight
        local name=$1
        shift
        systemd-run -q --scope -p Delegate=yes --unit "ctrvm-$name.scope" unshare -m /bin/sh -c '
                g=$(sed -n "s/^0:://p" /proc/self/cgroup)
                mkdir "/sys/fs/cgroup$g/supervisor" && echo $$ >"/sys/fs/cgroup$g/supervisor/cgroup.procs" &&
                mount -t tmpfs none /run/systemd && exec "$@"' sh "$CTRCTL" run --name "$name" "$@"
}
out=$(fallback fb -p MemoryMax=64M -p TasksMax=12 -p CPUQuota=25% "$R" \
        sh -c 'cat /proc/self/cgroup /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max; exit 9' 2>&1)
check_eq "ctrctl run without systemd returns the payload's status" 9 "$?"
check_contains "it says it fell back to cgroupfs" "limits are written to cgroupfs" "$out"
check_contains "MemoryMax=64M is the payload's memory.max" 67108864 "$out"
check_contains "TasksMax=12 is its pids.max" $'\n12' "$out"
check_contains "CPUQuota=25% is its cpu.max" "25000 100000" "$out"
echo "$out" | sed 's/^/#   fallback: /'
check_eq "its group is removed" "" "$(find $CG -type d -path '*/ctrctl-fb' 2>/dev/null)"
out=$(fallback fboom -p MemoryMax=32M "$R" sh -c 'exec dd if=/dev/zero of=/dev/null bs=100M count=1' 2>&1)
check_eq "without systemd, over MemoryMax=32M the payload is killed" 137 "$?"
check_contains "and ctrctl reports the OOM kill (the group's memory.events)" "killed by the OOM killer" "$out"
check_eq "and removes its group" "" "$(find $CG -type d -path '*/ctrctl-fboom' 2>/dev/null)"

# --- (g) ctr-oci --systemd-cgroup on a unified hierarchy: a scope per container, as containerd's
# SystemdCgroup = true asks, with linux.resources as properties and in the scope's own files
python3 - "$B/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c['linux']['cgroupsPath'] = 'machine.slice:ctr-vm:c1'
c['linux']['resources'] = {
    'memory': {'limit': 48 * 1024 * 1024},
    'pids': {'limit': 12},
    'cpu': {'quota': 30000, 'period': 100000, 'shares': 512},
}
json.dump(c, open(sys.argv[1], 'w'), indent=2)
PY
"$CTR_OCI" --systemd-cgroup create -b "$B" sd-v2 2>"$T/err"
check_rc "ctr-oci --systemd-cgroup create on v2" $? "$T/err"
"$CTR_OCI" --systemd-cgroup start sd-v2 2>>"$T/err"
check_eq "the scope ctr-vm-c1.scope is active" active "$(systemctl is-active ctr-vm-c1.scope 2>&1)"
read -r status pid <<<"$(st sd-v2)"
grp=$(sed -n 's/^0:://p' /proc/"${pid:-0}"/cgroup 2>/dev/null)
check_eq "the container's group is the scope, in machine.slice" /machine.slice/ctr-vm-c1.scope "$grp"
check_eq "memory.limit is MemoryMax (systemctl show)" 50331648 "$(systemctl show -P MemoryMax ctr-vm-c1.scope)"
check_eq "and memory.max in the scope" 50331648 "$(cgfile "$grp/memory.max")"
check_eq "pids.limit is pids.max" 12 "$(cgfile "$grp/pids.max")"
check_eq "cpu quota/period is cpu.max" "30000 100000" "$(cgfile "$grp/cpu.max")"
check_eq "cpu.shares 512 is CPUWeight (runc's conversion) in cpu.weight" 20 "$(cgfile "$grp/cpu.weight")"
"$CTR_OCI" --systemd-cgroup update --memory 67108864 sd-v2 2>>"$T/err"
check_eq "update reaches systemd's MemoryMax" 67108864 "$(systemctl show -P MemoryMax ctr-vm-c1.scope)"
check_eq "and memory.max" 67108864 "$(cgfile "$grp/memory.max")"
"$CTR_OCI" --systemd-cgroup delete --force sd-v2 2>>"$T/err"
check "delete --force stops the scope" sh -c "! systemctl is-active -q ctr-vm-c1.scope"
check "and its group is gone" [ ! -e "$CG/machine.slice/ctr-vm-c1.scope" ]
[ -s "$T/err" ] && sed 's/^/#   ctr-oci: /' "$T/err"
echo "# (g) done at $(cut -d' ' -f1 /proc/uptime)s"

check_eq "no container state is left" "" "$(ls /run/ctrctl 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
# (whether a detached run's definition outlives it is ctrctl's choice; the foreground runs' must go)
check_eq "no foreground run left its runtime definition" "" \
        "$(ls /run/ctr 2>/dev/null | grep -vx 'v2.ctr' | tr '\n' ' ' | sed 's/ $//')"
rm -rf "$T"
echo "# guest: done after $(cut -d' ' -f1 /proc/uptime)s"
echo "VMTEST-GUEST-DONE failed=$failed"
