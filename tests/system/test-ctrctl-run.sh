#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# 'ctrctl run' under a real systemd: limits requested on the command line are read back from
# the cgroup files and from what systemd stores; a foreground scope returns the payload's
# exit status; -d makes a transient service that systemctl sees and stops; --rm leaves
# nothing; a property systemd refuses is named.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../tap.sh"
. "$HERE/harness.sh"
sd_skip_unless_possible
. "$HERE/ctrctl-install.sh"
[ -x /bin/busybox ] || skip_all "needs busybox-static for the container rootfs"

T=$(mktemp -d /var/tmp/ctr-systest.XXXXXX)
trap 'sd_shutdown; rm -rf "$T"' EXIT
"$SRCDIR/tools/mkrootfs-busybox" "$T/rootfs" >/dev/null
SD_PREBOOT=install_ctrctl
if ! sd_boot; then
        not_ok "the harness booted"
        done_testing
fi

# foreground: a transient scope, the payload's exit status
out=$(sd ctrctl run --name fg -p MemoryMax=64M "$T/rootfs" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes; exit 7' 2>&1)
check_eq "a foreground run returns the payload's exit status" 7 "$?"
check_contains "the payload ran in the scope's memory limit (MemoryMax=64M)" 67108864 "$out"
# (on cgroup v1 systemd learns that a scope emptied a moment later)
for i in $(seq 50); do [ "$(sd systemctl is-active ctr-fg.scope)" = inactive ] && break; sleep 0.1; done
check_eq "the scope is gone afterwards" inactive "$(sd systemctl is-active ctr-fg.scope)"

# detached: a transient service with limits
sd ctrctl run -d --name web -p MemoryMax=128M -p TasksMax=15 -p CPUQuota=50% "$T/rootfs" sleep 1000 2>/dev/null
check_eq "run -d starts ctr-web.service" active "$(sd systemctl is-active ctr-web.service)"
mem=$(sd_cgdir memory ctr.slice/ctr-web.service)
pids=$(sd_cgdir pids ctr.slice/ctr-web.service)
cpu=$(sd_cgdir cpu ctr.slice/ctr-web.service)
check_eq "MemoryMax=128M is memory.limit_in_bytes" 134217728 "$(cat "$mem/memory.limit_in_bytes" 2>/dev/null)"
check_eq "TasksMax=15 is pids.max" 15 "$(cat "$pids/pids.max" 2>/dev/null)"
check_eq "CPUQuota=50% is cpu.cfs_quota_us" 50000 "$(cat "$cpu/cpu.cfs_quota_us" 2>/dev/null)"
check_eq "systemd stores MemoryMax as given" 134217728 "$(sd systemctl show -P MemoryMax ctr-web.service)"
check_eq "systemd stores CPUQuota as 500ms per second" 500ms "$(sd systemctl show -P CPUQuotaPerSecUSec ctr-web.service)"
check_contains "systemctl status shows the container's process" "sleep 1000" "$(sd systemctl status ctr-web.service 2>&1)"
sd ctrctl update -p MemoryMax=256M -p TasksMax=30 web
check_eq "ctrctl update applies MemoryMax live" 268435456 "$(cat "$mem/memory.limit_in_bytes" 2>/dev/null)"
check_eq "and TasksMax" 30 "$(cat "$pids/pids.max" 2>/dev/null)"
check_eq "systemd stores the new value" 268435456 "$(sd systemctl show -P MemoryMax ctr-web.service)"
out=$(sd ctrctl update -p MemoryMax=1X web 2>&1)
check_contains "a bad value is refused, naming it" "MemoryMax=1X" "$out"
out=$(sd ctrctl update -p MemoryMax=1G nosuch 2>&1)
check_contains "an unknown container is named" "no running container 'nosuch'" "$out"
out=$(sd ctrctl stats --json --no-stream web)
mem1=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["memory"]["usage"])' 2>/dev/null)
check_match "ctrctl stats --json reports the container's memory" '^[0-9]+$' "$mem1"
check_contains "and its limit" '"limit": 268435456' "$out"
check_contains "ctrctl top lists its processes" "sleep 1000" "$(sd ctrctl top web)"
check_contains "ctrctl stats without names lists it" "ctr-web.service" "$(sd ctrctl stats --no-stream)"
# the cgroup-tools chores
check_eq "ctrctl get reads a cgroup attribute (cgget)" 268435456 "$(sd ctrctl get web memory.limit_in_bytes)"
sd sh -c 'sleep 300 & echo $! >/run/bg.pid'
bg=$(sd cat /run/bg.pid)
sd ctrctl attach web "$bg"
check_contains "ctrctl attach moves a running process into the container's unit (cgclassify)" \
        "ctr.slice/ctr-web.service" "$(sd cat /proc/"$bg"/cgroup | grep memory)"
out=$(sd ctrctl run --host --name hostcmd -p MemoryMax=48M sh -c 'cat /sys/fs/cgroup/memory$(grep memory /proc/self/cgroup | cut -d: -f3)/memory.limit_in_bytes; exit 6' 2>&1)
check_eq "run --host runs a host command under limits in a scope (cgexec), its status back" 6 $?
check_contains "with the limit in force" 50331648 "$out"
sd ctrctl stop web
for i in $(seq 50); do [ "$(sd systemctl is-active ctr-web.service)" = active ] || break; sleep 0.1; done
check_eq "ctrctl stop stops the container (cgdelete)" inactive "$(sd systemctl is-active ctr-web.service)"
sd systemctl stop ctr-web.service
check_eq "systemctl stop ends it cleanly" inactive "$(sd systemctl is-active ctr-web.service)"

# --wait returns the status; --rm removes the definition
sd ctrctl run -d --wait --rm --name once "$T/rootfs" sh -c 'exit 5' 2>/dev/null
check_eq "run -d --wait returns the payload's status" 5 "$?"
check "--rm removed the runtime definition" sd test ! -e /run/ctr/once.ctr
check_eq "and no state is left" "" "$(sd ls /run/ctrctl 2>/dev/null)"

# a memory figure that grows when the payload allocates
sd ctrctl run -d --name grow -p MemoryMax=200M "$T/rootfs" sh -c 'sleep 1; head -c 60000000 /dev/zero >/dev/shm/fill; sleep 1000' 2>/dev/null
m0=$(sd ctrctl stats --json --no-stream grow | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["memory"]["usage"])' 2>/dev/null)
sleep 2
m1=$(sd ctrctl stats --json --no-stream grow | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["memory"]["usage"])' 2>/dev/null)
echo "# memory before ${m0:-?}, after ${m1:-?}"
check "the memory figure grows when the payload allocates 60 MB" [ "${m1:-0}" -gt $(( ${m0:-0} + 50000000 )) ]
sd systemctl stop ctr-grow.service

# over its memory limit, the payload is OOM-killed and ctrctl says so
out=$(sd ctrctl run --name oom -p MemoryMax=32M "$T/rootfs" sh -c 'exec dd if=/dev/zero of=/dev/null bs=100M count=1' 2>&1)
check_eq "a payload over MemoryMax=32M is killed (128+SIGKILL)" 137 "$?"
check_contains "ctrctl reports the OOM kill" "killed by the OOM killer" "$out"

# a property systemd refuses, and one nobody knows
out=$(sd ctrctl run --name bad -p Frobnicate=yes "$T/rootfs" true 2>&1)
check "an unknown property fails" [ $? != 0 ]
check_contains "naming it" "Frobnicate" "$out"
out=$(sd ctrctl run --name bad2 -p MemoryMax=12Q "$T/rootfs" true 2>&1)
check_contains "a bad value is named with the property" "MemoryMax=12Q" "$out"

# a stale failed unit of the same name is reset and the start retried
sd ctrctl run -d --name again "$T/rootfs" sh -c 'exit 1' 2>/dev/null
for i in $(seq 30); do [ "$(sd systemctl is-active ctr-again.service)" = failed ] && break; sleep 0.1; done
sd ctrctl run -d --name again "$T/rootfs" sleep 100 2>/dev/null
check_eq "a failed unit of the same name is reset and the start goes through" active "$(sd systemctl is-active ctr-again.service)"
sd systemctl stop ctr-again.service

sd_shutdown
check_eq "nothing left behind" "" "$(sd_leftovers)"
done_testing
