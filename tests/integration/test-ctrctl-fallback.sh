#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# 'ctrctl run' where systemd is not the init system: the same -p limits go to cgroupfs (v1 on
# this host), the command says so, the payload's status comes back, nothing is left.
. "$(dirname "$0")/lib.sh"
CTRCTL=${CTRCTL:?}
[ -e /run/systemd/system ] && skip_all "systemd runs here: the fallback is not taken (the system tier covers this host)"
name=fb-$$
out=$("$CTRCTL" run --name "$name" -p MemoryMax=64M -p TasksMax=12 -p CPUQuota=25% "$BASE_ROOTFS" \
        sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us; exit 9' 2>&1)
check_eq "the payload's exit status comes back" 9 $?
check_contains "the command says it fell back to cgroupfs" "limits are written to cgroupfs" "$out"
check_contains "MemoryMax=64M is memory.limit_in_bytes" 67108864 "$out"
check_contains "TasksMax=12 is pids.max" $'\n12\n' "$(printf '\n%s\n' "$out")"
check_contains "CPUQuota=25% is a 25000 us quota" 25000 "$out"
check "its runtime definition is gone" [ ! -e "/run/ctr/$name.ctr" ]
check "its state is gone" [ ! -e "/run/ctrctl/ctr@$name" ]
gone_cg=yes
for c in memory pids cpu; do
        rel=$(awk -F: -v c=$c '{n=split($2,a,","); for(i=1;i<=n;i++) if(a[i]==c) print $3}' /proc/self/cgroup)
        [ -e "/sys/fs/cgroup/$c$rel/ctrctl-$name" ] && gone_cg=no
done
check_eq "its cgroups are gone" yes "$gone_cg"
out=$("$CTRCTL" run --name "$name" -p MemoryMax=32M "$BASE_ROOTFS" sh -c 'exec dd if=/dev/zero of=/dev/null bs=100M count=1' 2>&1)
check_eq "over MemoryMax=32M the payload is killed (128+SIGKILL)" 137 $?
check_contains "and ctrctl says the OOM killer did it (v1 memory.oom_control)" "killed by the OOM killer" "$out"
out=$("$CTRCTL" run --host --name "h$name" -p MemoryMax=48M sh -c 'rel=$(grep memory /proc/self/cgroup | cut -d: -f3); cat /sys/fs/cgroup/memory$rel/memory.limit_in_bytes; exit 6' 2>&1)
check_eq "run --host: a host command under limits (cgexec), its status back" 6 $?
check_contains "with the limit in force" 50331648 "$out"
rel=$(awk -F: '$2=="memory"{print $3}' /proc/self/cgroup)
check "and its cgroup removed afterwards" [ ! -e "/sys/fs/cgroup/memory$rel/ctrctl-h$name" ]
mkdir -p /run/ctr
echo '# another container' >"/run/ctr/$name.ctr"
out=$("$CTRCTL" run --name "$name" "$BASE_ROOTFS" true 2>&1)
check_contains "a name in use is refused" "exists already" "$out"
check_eq "and the other container's definition is untouched" "# another container" "$(cat "/run/ctr/$name.ctr")"
rm -f "/run/ctr/$name.ctr"
out=$("$CTRCTL" run --name "$name" -p Bogus=1 "$BASE_ROOTFS" true 2>&1)
check "an unknown property is refused" [ $? != 0 ]
check_contains "naming it" "Bogus" "$out"
out=$("$CTRCTL" run --name "$name" "$T/does-not-exist" true 2>&1)
check_contains "a missing rootfs is named" "does-not-exist" "$out"
done_testing
