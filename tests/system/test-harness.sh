#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The system-tier harness itself: boots a throwaway systemd on an overlay of / (see
# harness.sh), checks it runs, that resource limits of a transient unit reach the v1
# controllers it was given, that its journal works, that a unit enabled before the boot
# starts with a bigger target, and that shutting it down leaves nothing behind on the host.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../tap.sh
. "$HERE/../tap.sh"
# shellcheck source=harness.sh
. "$HERE/harness.sh"

sd_skip_unless_possible

# A file in the host's /tmp while a systemd runs: one booted on the host root would empty
# /tmp. It is made in SD_PREBOOT (the harness's reaper is running by then and removes it,
# as SD_REAP_EXTRA, if this shell is killed outright) and removed right after sd_shutdown.
MARK=/tmp/ctr-sdh-mark.$$.$RANDOM
SD_REAP_EXTRA=$MARK
# shellcheck disable=SC2317 # called by sd_boot through SD_PREBOOT
mark() { (set -C && : >"$MARK"); }
unmark() { rm -f "$MARK"; }
PROBE=/etc/ctr-sdh-probe.$$
trap 'sd_shutdown; unmark' EXIT

# everything the test itself can see of the host's state before the boot
host_cg_rw() { awk '$5 == "/sys/fs/cgroup" { print $6 }' /proc/self/mountinfo | cut -d, -f1; }
own_parent_has_init_scope() { # did a systemd write into our own groups instead of its child?
        local c rel
        for c in systemd memory pids; do
                [ "$c" = systemd ] && c=name=systemd
                rel=$(_sd_own_group "$c")
                [ -e "/sys/fs/cgroup/${c#name=}${rel%/}/init.scope" ] && return 0
        done
        return 1
}
before_init_scope=$(own_parent_has_init_scope && echo yes || echo no)

t0=$(_sd_now)
# shellcheck disable=SC2034 # read by harness.sh
SD_PREBOOT=mark
if ! sd_boot; then
        not_ok "boots basic.target"
        echo "Bail out! the harness could not boot systemd"
        exit 1
fi
ok "boots basic.target in ${SD_BOOT_SECONDS}s"

state=$(sd systemctl is-system-running)
check_match "is-system-running says running or degraded ($state)" '^(running|degraded)$' "$state"
check_eq "the host PID SD_PID is a systemd" systemd "$(cat "/proc/$SD_PID/comm" 2>/dev/null)"
check_eq "PID 1 inside is systemd" systemd "$(sd cat /proc/1/comm)"
check_eq "it knows it runs in a container" container-other "$(sd systemd-detect-virt --container)"
check "its own groups are under ours (init.scope in our child group)" \
        test -d "$(sd_cgdir systemd init.scope)" -a -d "$(sd_cgdir memory init.scope)" -a \
        -d "$(sd_cgdir unified init.scope)"
check_eq "it did not write into our own groups" "$before_init_scope" \
        "$(own_parent_has_init_scope && echo yes || echo no)"

# the overlay: writes stay inside, the host's /tmp is not the container's /tmp
sd sh -c "echo inside > $PROBE"
check_eq "a file written inside is readable inside" inside "$(sd cat "$PROBE" 2>&1)"
check "a file written inside is not on the host" test ! -e "$PROBE"
check "the host's /tmp is not visible inside" sd test ! -e "$MARK"

# sd_install: from a host file (a process substitution is a host file too)
# shellcheck disable=SC2016 # $0 is for the installed script
sd_install <(printf '#!/bin/sh\necho "hello from $0"\n') /usr/local/bin/sdh-hello 755
check_eq "sd_install puts an executable into the overlay" "hello from /usr/local/bin/sdh-hello" \
        "$(sd sdh-hello 2>&1)"
check "sd_install did not touch the host" test ! -e /usr/local/bin/sdh-hello
sd_install "$HERE" /opt/sdh-system
check "sd_install copies a directory (this one) recursively" sd test -s /opt/sdh-system/harness.sh

# a transient service with limits: the service reads them back from its own groups
# shellcheck disable=SC2016 # expanded by the shell inside
t1_cmd='cat /proc/self/cgroup
g() { sed -n "s/^[0-9]*:$1:\(.*\)/\1/p" /proc/self/cgroup; }
echo "mem=$(cat /sys/fs/cgroup/memory$(g memory)/memory.limit_in_bytes)"
echo "pids=$(cat /sys/fs/cgroup/pids$(g pids)/pids.max)"
echo "quota=$(cat /sys/fs/cgroup/cpu$(g cpu)/cpu.cfs_quota_us)"
sleep 1'
out=$(sd systemd-run --wait --quiet -p MemoryMax=64M -p TasksMax=10 -p CPUQuota=50% --unit=t1 \
        sh -c "$t1_cmd" 2>&1)
check_eq "systemd-run --wait t1 succeeds" "" "$out"
journal=$(sd journalctl --no-pager -o cat -u t1)
check_contains "journalctl -u t1 shows the command's output (its memory group)" \
        "memory:/system.slice/t1.service" "$journal"
check_contains "journalctl -u t1: name=systemd group" "name=systemd:/system.slice/t1.service" "$journal"
check_contains "inside: memory.limit_in_bytes = 67108864 for MemoryMax=64M" "mem=67108864" "$journal"
check_contains "inside: pids.max = 10 for TasksMax=10" "pids=10" "$journal"
check_contains "inside: cpu.cfs_quota_us = 50000 for CPUQuota=50%" "quota=50000" "$journal"

# the same limits on a unit that keeps running, read from the host's cgroup dirs
sd systemd-run --quiet -p MemoryMax=64M -p TasksMax=10 -p CPUQuota=50% --unit=t2 sleep 300
check_eq "t2 is active" active "$(sd systemctl is-active t2)"
check_eq "host: memory.limit_in_bytes = 67108864" 67108864 \
        "$(cat "$(sd_cgdir memory system.slice/t2.service)/memory.limit_in_bytes" 2>&1)"
check_eq "host: pids.max = 10" 10 "$(cat "$(sd_cgdir pids system.slice/t2.service)/pids.max" 2>&1)"
check_eq "host: cpu.cfs_quota_us = 50000" 50000 \
        "$(cat "$(sd_cgdir cpu system.slice/t2.service)/cpu.cfs_quota_us" 2>&1)"
check_eq "systemctl show -p MemoryMax says 67108864" 67108864 \
        "$(sd systemctl show -p MemoryMax --value t2)"
check_eq "systemctl show -p TasksMax says 10" 10 "$(sd systemctl show -p TasksMax --value t2)"
pid=$(head -n 1 "$(sd_cgdir memory system.slice/t2.service)/cgroup.procs" 2>/dev/null)
check_eq "host: the group holds t2's sleep" sleep "$(cat "/proc/${pid:-0}/comm" 2>&1)"
sd systemctl stop t2
check "host: t2's group is gone after stop" test ! -e "$(sd_cgdir memory system.slice/t2.service)"

# enforcement, not just the files: a fork beyond TasksMax fails
sd systemd-run --wait --quiet -p TasksMax=3 --unit=t3 sh -c 'for i in 1 2 3 4 5; do sleep 2 & done; wait' \
        >/dev/null 2>&1
check_contains "TasksMax=3 is enforced (a fork fails)" "Cannot fork" \
        "$(sd journalctl --no-pager -o cat -u t3)"

boot_s=$SD_BOOT_SECONDS
base=$SD_BASE pid=$SD_PID
sd_shutdown
tmp_kept=$([ -e "$MARK" ] && echo yes)
unmark
echo "# boot basic.target ${boot_s}s, shutdown ${SD_SHUTDOWN_SECONDS}s"
check "SD_PID is gone" gone "$pid"
check_eq "nothing left behind" "" "$(sd_leftovers)"
check "no mount under the base dir" eval "! grep -qF ' $base/' /proc/self/mountinfo"
check "the base dir is removed" test ! -e "$base"
left=
for c in /sys/fs/cgroup/*/; do
        left="$left$(find "$c" -maxdepth 4 -type d -name "${base##*/}" 2>/dev/null)"
done
check_eq "no cgroup dir named ${base##*/} in any hierarchy" "" "$left"
check_eq "the host's /tmp was not emptied" yes "$tmp_kept"
check_eq "the host's /sys/fs/cgroup is still read-write" rw "$(host_cg_rw)"

# a bigger target with a unit enabled before the boot (SD_PREBOOT)
# shellcheck disable=SC2317 # called by sd_boot through SD_PREBOOT
preboot() {
        mark &&
                sd_install <(printf '%s\n' '[Unit]' 'Description=enabled before the boot' \
                '[Service]' 'Type=oneshot' 'RemainAfterExit=yes' 'ExecStart=/bin/echo hello-from-boot' \
                '[Install]' 'WantedBy=multi-user.target') /etc/systemd/system/sdh-boot.service 644 &&
                sd_mnt sh -c 'mkdir -p /etc/systemd/system/multi-user.target.wants &&
                        ln -s ../sdh-boot.service /etc/systemd/system/multi-user.target.wants/'
}
# shellcheck disable=SC2034 # read by harness.sh
SD_PREBOOT=preboot
if sd_boot multi-user.target; then
        ok "boots multi-user.target in ${SD_BOOT_SECONDS}s"
        state=$(sd systemctl is-system-running)
        check_match "multi-user: running or degraded ($state)" '^(running|degraded)$' "$state"
        check_eq "multi-user.target is active" active "$(sd systemctl is-active multi-user.target)"
        check_eq "a unit enabled in SD_PREBOOT started with the boot" active "$(sd systemctl is-active sdh-boot)"
        check_contains "its output is in the journal" hello-from-boot \
                "$(sd journalctl --no-pager -o cat -u sdh-boot)"
        check "the host has no sdh-boot.service" test ! -e /etc/systemd/system/sdh-boot.service
        boot2_s=$SD_BOOT_SECONDS
        pid=$SD_PID
        sd_shutdown
        tmp_kept=$([ -e "$MARK" ] && echo yes)
        unmark
        echo "# boot multi-user.target ${boot2_s}s, shutdown ${SD_SHUTDOWN_SECONDS}s"
        check "SD_PID is gone" gone "$pid"
        check_eq "nothing left behind" "" "$(sd_leftovers)"
        check_eq "the host's /tmp was not emptied" yes "$tmp_kept"
else
        not_ok "boots multi-user.target"
fi
unmark
echo "# total $(awk -v a="$t0" -v b="$(_sd_now)" 'BEGIN { printf "%.1f", b - a }')s"

done_testing
