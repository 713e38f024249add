#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The system tier for definitions: a throwaway systemd boots multi-user.target with
# ctr-generator, ctr@.service and ctr-exec installed, and /etc/ctr holding definitions.
# An enabled definition starts with the boot; the container runs isolated; MemoryMax= and
# TasksMax= reach the cgroup files; output lands in the journal; set-property applies live;
# stop is prompt and clean; a broken definition fails with its exact error; enable/disable
# behave; Restart= works; nothing is left behind.
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

mkdir -p "$T/defs"
cat >"$T/defs/web.ctr" <<EOF2
[Unit]
Description=Busybox web test

[Container]
RootDirectory=$T/rootfs
Exec=sh -c 'echo "hello from \$(hostname) pid=\$\$ init=\$(cat /proc/1/comm) mounts=\$(wc -l </proc/self/mountinfo)"; exec sleep 1000'
Environment=GREETING=hi

[Service]
MemoryMax=64M
TasksMax=20

[Install]
WantedBy=multi-user.target
EOF2
cat >"$T/defs/bad.ctr" <<EOF2
[Container]
RootDirectory=$T/rootfs
Exec=true
Volume=relative/path:/data
EOF2
cat >"$T/defs/other.ctr" <<EOF2
[Container]
RootDirectory=$T/rootfs
Exec=sleep 1000
EOF2
cat >"$T/defs/flaky.ctr" <<EOF2
[Container]
RootDirectory=$T/rootfs
Exec=sh -c 'echo attempt; exit 3'

[Service]
Restart=on-failure
RestartSec=100ms
StartLimitBurst=100
EOF2

install_all() { install_ctrctl && sd_install "$T/defs" /etc/ctr; }
SD_PREBOOT=install_all
if ! sd_boot multi-user.target; then
        not_ok "the harness booted multi-user.target"
        done_testing
fi
ok "a systemd booted multi-user.target with ctrctl installed (${SD_BOOT_SECONDS}s)"

# enabled at boot through the generator's WantedBy= symlink
for i in $(seq 50); do [ "$(sd systemctl is-active ctr@web.service)" = active ] && break; sleep 0.1; done
check_eq "ctr@web, wanted by multi-user.target, started with the boot" active "$(sd systemctl is-active ctr@web.service)"
check_match "the generator's drop-in is in place" "50-definition.conf" "$(sd systemctl cat ctr@web.service)"
main=$(sd systemctl show -P MainPID ctr@web.service)
check_match "systemd follows the container's init as MainPID" '^[1-9][0-9]*$' "$main"
check_eq "MainPID is PID 1 of its own pid namespace" "1" "$(sd sh -c "grep NSpid /proc/$main/status | awk '{print \$NF}'")"
for i in $(seq 50); do sd journalctl -u ctr@web.service -o cat | grep -q "hello from" && break; sleep 0.1; done
out=$(sd journalctl -u ctr@web.service -o cat)
check_contains "the container's output is in the journal" "hello from web" "$out"
check_contains "it runs under the reaper (Init= default)" "init=ctr-init" "$out"
check_match "the payload is not PID 1" "pid=[2-9]" "$out"
check "its mount table is its own (far fewer mounts than the host's)" \
        [ "$(echo "$out" | sed -n 's/.*mounts=\([0-9]*\).*/\1/p')" -lt "$(sd cat /proc/1/mountinfo | wc -l)" ]
out=$(sd ctrctl run -d --name web "$T/rootfs" sleep 1 2>&1)
check_contains "ctrctl run refuses the name of a definition" "a definition named 'web' exists already" "$out"
out=$(sd "$CTR_EXEC_PATH" web 2>&1)
check_contains "a second ctr-exec for a running container refuses" "already running" "$out"
check_eq "and leaves the running one alone" active "$(sd systemctl is-active ctr@web.service)"
check_eq "it has its own hostname" "web" "$(sd nsenter -t "$main" -u hostname)"
check "its mount namespace differs from systemd's" [ "$(sd readlink /proc/"$main"/ns/mnt)" != "$(sd readlink /proc/1/ns/mnt)" ]

mem=$(sd_cgdir memory ctr.slice/ctr@web.service)
pids=$(sd_cgdir pids ctr.slice/ctr@web.service)
check_eq "MemoryMax=64M is memory.limit_in_bytes" 67108864 "$(cat "$mem/memory.limit_in_bytes" 2>/dev/null)"
check_eq "TasksMax=20 is pids.max" 20 "$(cat "$pids/pids.max" 2>/dev/null)"
check_contains "the container's init is in the unit's cgroup" "ctr.slice/ctr@web.service" "$(sd cat /proc/"$main"/cgroup | grep pids)"
check_contains "systemctl status lists the container's processes" "sleep 1000" "$(sd systemctl status ctr@web.service 2>&1)"
sd systemctl set-property --runtime ctr@web.service MemoryMax=128M
check_eq "set-property MemoryMax=128M applies live" 134217728 "$(cat "$mem/memory.limit_in_bytes" 2>/dev/null)"
check_eq "the container kept running" active "$(sd systemctl is-active ctr@web.service)"
check_match "its state is under /run/ctrctl" "ctr@web" "$(sd ls /run/ctrctl 2>&1)"

t0=$(date +%s%N)
sd systemctl stop ctr@web.service
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
echo "# stop took $ms ms"
check "stop is prompt (${ms} ms, well under TimeoutStopSec=10s)" [ "$ms" -lt 5000 ]
check_eq "a stopped container is inactive, not failed" inactive "$(sd systemctl is-active ctr@web.service)"
check_eq "its result is success" success "$(sd systemctl show -P Result ctr@web.service)"
[ "$(sd systemctl show -P Result ctr@web.service)" = success ] || sd journalctl -u ctr@web.service -o short-monotonic | tail -15 | sed 's/^/#   /'
check "its init is gone" sd sh -c "! test -d /proc/$main || grep -q '^State:.*Z' /proc/$main/status"
check_eq "ExecStopPost= removed its state" "" "$(sd ls /run/ctrctl 2>/dev/null | grep web)"
check "and nothing of it is mounted in systemd's namespace" sh -c "! grep -q '$T/rootfs' /proc/$SD_PID/mountinfo"

# a broken definition: the unit exists, its start fails with the exact error
out=$(sd systemctl start ctr@bad.service 2>&1)
check "starting a broken definition fails" [ $? != 0 ]
st=$(sd systemctl status ctr@bad.service 2>&1)
check_contains "systemctl status shows file, line and key" "bad.ctr:4: Volume=: source 'relative/path' is not an absolute path" "$st"
check_contains "so does the journal" "bad.ctr:4: Volume=" "$(sd journalctl -u ctr@bad.service -o cat)"

# enable / disable like any unit
sd systemctl enable ctr@other.service >/dev/null 2>&1
check_eq "systemctl enable ctr@other works" enabled "$(sd systemctl is-enabled ctr@other.service)"
check "and makes the multi-user.target.wants link" sd test -L /etc/systemd/system/multi-user.target.wants/ctr@other.service
sd systemctl disable ctr@other.service >/dev/null 2>&1
check "systemctl disable removes it" sd test ! -e /etc/systemd/system/multi-user.target.wants/ctr@other.service
sd systemctl start ctr@other.service
check_eq "another definition starts on demand" active "$(sd systemctl is-active ctr@other.service)"
sd systemctl kill -s USR1 --kill-whom=main ctr@other.service
for i in $(seq 30); do [ "$(sd systemctl is-active ctr@other.service)" = active ] || break; sleep 0.1; done
check_eq "systemctl kill reaches the payload: USR1 ends sleep, 128+10 through the reaper" \
        "failed 138" "$(sd systemctl is-active ctr@other.service) $(sd systemctl show -P ExecMainStatus ctr@other.service)"

# Restart=on-failure
sd systemctl start ctr@flaky.service >/dev/null 2>&1
for i in $(seq 50); do [ "$(sd systemctl show -P NRestarts ctr@flaky.service)" -ge 2 ] 2>/dev/null && break; sleep 0.1; done
check "Restart=on-failure restarts a failing container" [ "$(sd systemctl show -P NRestarts ctr@flaky.service)" -ge 2 ]
check_contains "its exit status is the payload's" "code=exited, status=3" "$(sd journalctl -u ctr@flaky.service -o cat)"
sd systemctl stop ctr@flaky.service

# daemon-reload picks up a new definition
cat >"$T/new.ctr" <<EOF2
[Container]
RootDirectory=$T/rootfs
Exec=sleep 1000
EOF2
sd_install "$T/new.ctr" /etc/ctr/new.ctr 0644
sd systemctl daemon-reload
sd systemctl start ctr@new.service
check_eq "a definition added later runs after daemon-reload" active "$(sd systemctl is-active ctr@new.service)"
sd systemctl stop ctr@new.service

sd_shutdown
check_eq "the harness leaves nothing behind" "" "$(sd_leftovers)"
done_testing
