#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# OCI runtime-spec 1.3.0 conformance, config-linux.md: namespaces (new, inherited, joined by
# path), user namespace mappings, the time namespace, sysctl, control groups (cgroupsPath and
# linux.resources read back from the host side).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/conformance-lib.sh"

NSREPORT='for n in pid net ipc uts mnt cgroup user time; do echo "ns $n=$(readlink /proc/self/ns/$n)"; done'
host_ns() { readlink /proc/self/ns/"$1"; }

# ---- new namespaces, and inherited ones ----
crun nsnew "$NSREPORT; echo pid=\$\$"
check_eq "namespaces: the container runs" 0 "$RC"
for ns in pid net ipc uts mnt cgroup; do
        v=$(val "ns $ns")
        check "a listed namespace ($ns) is a new one" test -n "$v" -a "$v" != "$(host_ns $ns)"
done
for ns in user time; do
        check_eq "an unlisted namespace ($ns) is the runtime's" "$(host_ns $ns)" "$(val "ns $ns")"
done
check_eq "pid namespace: the payload is pid 1" "1" "$(val pid)"
crun nsinherit "$NSREPORT" "c['linux']['namespaces'] = [{'type': 'pid'}, {'type': 'mount'}]" "c.pop('hostname', None)"
for ns in net ipc uts cgroup; do
        check_eq "an unlisted namespace ($ns) is the runtime's" "$(host_ns $ns)" "$(val "ns $ns")"
done

# ---- joining namespaces by path ----
touch "$T/netns" "$T/ipcns"
unshare --net="$T/netns" true && HOST_MOUNTS+=("$T/netns")
unshare --ipc="$T/ipcns" true && HOST_MOUNTS+=("$T/ipcns")
unshare --uts sh -c 'hostname joined-uts; exec sleep 100' &
uts_pid=$!
disown
HOST_PIDS+=("$uts_pid")
unshare --pid --fork sleep 100 &
pidns_pid=$!
disown
HOST_PIDS+=("$pidns_pid")
wait_for sh -c "[ \"\$(readlink /proc/$uts_pid/ns/uts)\" != '$(host_ns uts)' ] && [ -n \"\$(pgrep -P $pidns_pid)\" ]"
pidns_child=$(pgrep -P $pidns_pid)
HOST_PIDS+=("$pidns_child")
crun nsjoin "$NSREPORT; echo hostname=\$(hostname); echo pid=\$\$" \
        "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] not in ('network', 'ipc', 'uts', 'pid')] + [
 {'type': 'network', 'path': '$T/netns'}, {'type': 'ipc', 'path': '$T/ipcns'},
 {'type': 'uts', 'path': '/proc/$uts_pid/ns/uts'}, {'type': 'pid', 'path': '/proc/$pidns_child/ns/pid'}]" \
        "c.pop('hostname', None)"
check_eq "joining namespaces by path: the container runs" 0 "$RC"
check_eq "network namespace joined by path (a bind-mounted netns file)" "net:[$(stat -c %i "$T/netns")]" "$(val 'ns net')"
check_eq "ipc namespace joined by path" "ipc:[$(stat -c %i "$T/ipcns")]" "$(val 'ns ipc')"
check_eq "uts namespace joined by path (/proc/PID/ns/uts)" "$(readlink /proc/$uts_pid/ns/uts)" "$(val 'ns uts')"
check_eq "... its hostname is the namespace's" "joined-uts" "$(val hostname)"
check_eq "pid namespace joined by path" "$(readlink /proc/$pidns_child/ns/pid)" "$(val 'ns pid')"
check "... the payload is not its pid 1" test -n "$(val pid)" -a "$(val pid)" != 1
check "a joined namespace outlives the container (not deleted with it)" nsenter --net="$T/netns" true
check "... and its holder process too" kill -0 "$pidns_child"
check_fails_clean "joining a network namespace by a uts namespace path" nsbad \
        "$(bundle nsbad true "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network'] + [{'type': 'network', 'path': '/proc/$uts_pid/ns/uts'}]")"
check_fails_clean "joining a namespace by a path that does not exist" nsbad2 \
        "$(bundle nsbad2 true "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'ipc'] + [{'type': 'ipc', 'path': '$T/ipcns-not'}]")"
touch "$T/ipcns-not"
check_fails_clean "joining a namespace by a plain file" nsbad3 \
        "$(bundle nsbad3 true "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'ipc'] + [{'type': 'ipc', 'path': '$T/ipcns-not'}]")"

# ---- user namespace ----
# The container's root (host uid 100000) must be able to reach the rootfs: $T is 0700.
chmod 711 "$T"
USERNS="c['linux']['namespaces'].append({'type': 'user'})"
MAP="c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]; c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 200000, 'size': 65536}]"
b=$(bundle userns 'echo "uid_map=$(cat /proc/self/uid_map | tr -s " " | sed "s/^ //")"
echo "gid_map=$(cat /proc/self/gid_map | tr -s " " | sed "s/^ //")"
echo "id=$(id -u):$(id -g)"
echo "user=$(readlink /proc/self/ns/user)"
echo "ls=$(stat -c %u /bin/busybox)"
touch /proc/self/go-$$ 2>/dev/null; exec sleep 1000' "$USERNS" "$MAP")
oci run -d --bundle "$b" --pid-file "$T/userns.pid" userns >"$T/userns.out" 2>"$T/userns.err" </dev/null
check "a user namespace with mappings: the container runs" [ $? = 0 ]
[ -s "$T/userns.err" ] && echo "#   ($(head -n1 "$T/userns.err"))"
pid=$(cat "$T/userns.pid" 2>/dev/null || echo 0)
wait_for sh -c "[ \"\$(cat /proc/$pid/comm 2>/dev/null)\" = sleep ]"
OUT=$(cat "$T/userns.out")
check_eq "uidMappings are the container's uid_map" "0 100000 65536" "$(val uid_map)"
check_eq "gidMappings are the container's gid_map" "0 200000 65536" "$(val gid_map)"
check_eq "the payload is root in the user namespace" "0:0" "$(val id)"
check "the user namespace is a new one" test -n "$(val user)" -a "$(val user)" != "$(host_ns user)"
check_eq "the payload is the mapped host uid/gid as seen by the runtime" "100000 200000" \
        "$(awk '/^Uid:/ {u = $2} /^Gid:/ {g = $2} END {print u, g}' /proc/$pid/status 2>/dev/null)"
check_eq "the runtime does not chown the rootfs (host root shows as the overflow uid)" "65534" "$(val ls)"
check_eq "... the rootfs on the host is still root's" "0" "$(stat -c %u "$BASE_ROOTFS/bin/busybox")"
oci delete --force userns >/dev/null 2>&1
crun userns2 'cat /proc/self/uid_map | tr -s " " | sed "s/^ //" | tr "\n" ";"; echo; id -u' "$USERNS" \
        "c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 1000}, {'containerID': 1000, 'hostID': 300000, 'size': 10}]" \
        "c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 2000}]" \
        "c['process']['user'] = {'uid': 1005, 'gid': 1005}"
check_eq "several uid mapping ranges, and a process.user inside them" "0 100000 1000;1000 300000 10;
1005" "$OUT"

# ---- time namespace ----
if [ -e /proc/self/ns/time ]; then
        crun timens 'echo "time=$(readlink /proc/self/ns/time)"; echo "uptime=$(cut -d. -f1 /proc/uptime)"' \
                "c['linux']['namespaces'].append({'type': 'time'})" \
                "c['linux']['timeOffsets'] = {'boottime': {'secs': 864000, 'nanosecs': 0}, 'monotonic': {'secs': 864000}}"
        host_up=$(cut -d. -f1 /proc/uptime)
        check "a time namespace is a new one" test -n "$(val time)" -a "$(val time)" != "$(host_ns time)"
        up=$(val uptime)
        check "timeOffsets.boottime moves the container's uptime (host $host_up s, container ${up:-?} s)" \
                [ "${up:-0}" -ge $((host_up + 863000)) ]
fi

# ---- sysctl ----
before="$(cat /proc/sys/net/ipv4/ip_forward) $(cat /proc/sys/kernel/domainname) $(cat /proc/sys/kernel/msgmax) $(cat /proc/sys/net/core/somaxconn)"
SYSCTL="c['linux']['sysctl'] = {'net.ipv4.ip_forward': '1', 'kernel.domainname': 'sysctl.example', 'kernel.msgmax': '4321', 'net.core.somaxconn': '257'}"
SYSREAD='for k in net/ipv4/ip_forward kernel/domainname kernel/msgmax net/core/somaxconn; do echo "$k=$(cat /proc/sys/$k)"; done'
crun sysctl "$SYSREAD" "$SYSCTL" "c['linux']['readonlyPaths'].remove('/proc/sys')"
check_eq "sysctl: the container runs" 0 "$RC"
check_eq "sysctl net.ipv4.ip_forward (network namespace)" "1" "$(val net/ipv4/ip_forward)"
check_eq "sysctl kernel.domainname (uts namespace)" "sysctl.example" "$(val kernel/domainname)"
check_eq "sysctl kernel.msgmax (ipc namespace)" "4321" "$(val kernel/msgmax)"
check_eq "sysctl net.core.somaxconn (network namespace)" "257" "$(val net/core/somaxconn)"
crun sysctlro "$SYSREAD" "$SYSCTL"
check_eq "sysctl with the default readonlyPaths (/proc/sys read-only): the container runs" 0 "$RC"
check_eq "... and the sysctls are applied" "1 sysctl.example 4321 257" \
        "$(val net/ipv4/ip_forward) $(val kernel/domainname) $(val kernel/msgmax) $(val net/core/somaxconn)"
check_eq "the host's sysctls are untouched" "$before" \
        "$(cat /proc/sys/net/ipv4/ip_forward) $(cat /proc/sys/kernel/domainname) $(cat /proc/sys/kernel/msgmax) $(cat /proc/sys/net/core/somaxconn)"

# ---- cgroups: cgroupsPath and linux.resources, read back from the host side ----
RES="c['linux']['resources'] = {
 'memory': {'limit': 67108864, 'reservation': 33554432},
 'pids': {'limit': 99},
 'cpu': {'shares': 512, 'quota': 50000, 'period': 100000, 'cpus': '0', 'mems': '0'},
}"
b=$(bundle res 'exec sleep 1000' "$RES")
oci create --bundle "$b" --pid-file "$T/res.pid" res
check "create with linux.resources exits 0" [ $? = 0 ]
pid=$(cat "$T/res.pid" 2>/dev/null || echo 0)
rd() { cat "$(cgroup_dir "$pid" "$1")/$2" 2>/dev/null; }
check_eq "memory.limit is applied at create (memory.limit_in_bytes)" "67108864" "$(rd memory memory.limit_in_bytes)"
check_eq "memory.reservation (memory.soft_limit_in_bytes)" "33554432" "$(rd memory memory.soft_limit_in_bytes)"
check_eq "pids.limit (pids.max)" "99" "$(rd pids pids.max)"
check_eq "cpu.shares" "512" "$(rd cpu cpu.shares)"
check_eq "cpu.quota and cpu.period" "50000 100000" "$(rd cpu cpu.cfs_quota_us) $(rd cpu cpu.cfs_period_us)"
check_eq "cpu.cpus and cpu.mems (cpuset)" "0 0" "$(rd cpuset cpuset.cpus) $(rd cpuset cpuset.mems)"
for ctl in memory pids cpu cpuset devices freezer; do
        check_match "the container's $ctl cgroup is the relative cgroupsPath below the runtime's own" \
                "$(awk -F: -v c=$ctl '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup | sed 's|/$||')/$CG_PREFIX/res\$" \
                "$(cgroup_dir "$pid" $ctl)"
done
memdir=$(cgroup_dir "$pid" memory)
piddir=$(cgroup_dir "$pid" pids)
oci start res
oci kill res KILL
wait_for status_is res stopped
oci delete res
check "delete removes the cgroups create made" test -n "$memdir" -a ! -e "$memdir" -a ! -e "$piddir"
oci create --bundle "$b" --pid-file "$T/res.pid" res
pid=$(cat "$T/res.pid" 2>/dev/null || echo 0)
check_eq "the same cgroupsPath attaches to the same place again" "$memdir" "$(cgroup_dir "$pid" memory)"
oci delete --force res >/dev/null 2>&1

# resources associated with the container, not created by it, are not deleted
ext=/sys/fs/cgroup/pids$(awk -F: '$2 == "pids" {print $3}' /proc/self/cgroup | sed 's|/$||')/$CG_PREFIX/ext
mkdir -p "$ext"
b=$(bundle extcg 'true')
oci create --bundle "$b" --pid-file "$T/extcg.pid" extcg
echo "$(cat "$T/extcg.pid")" >"$ext/cgroup.procs"
oci start extcg
wait_for status_is extcg stopped
oci delete extcg
check "delete does not remove a cgroup the container was moved into but did not create" [ -d "$ext" ]
rmdir "$ext" 2>/dev/null

# the device allow-list, in order: allow everything, then deny reads/writes of /dev/full
crun devcg 'head -c 1 /dev/zero >/dev/null && echo zero=ok; echo x 2>&1 >/dev/full | sed "s/^/full=/"' \
        "c['linux']['resources']['devices'] = [{'allow': True, 'access': 'rwm'}, {'allow': False, 'type': 'c', 'major': 1, 'minor': 7, 'access': 'rw'}]"
check_eq "resources.devices in order: allowed /dev/zero reads" "ok" "$(val zero)"
check_match "resources.devices in order: a later deny of c 1:7 rw blocks /dev/full" 'Operation not permitted' "$(val full)"

# linux.resources.unified on this hybrid host: pids is a v1 controller, absent from the
# unified hierarchy: an error is required; an unknown file likewise
check_fails_clean "resources.unified naming a controller not in the unified hierarchy" unif \
        "$(bundle unif true "c['linux']['resources']['unified'] = {'pids.max': '10'}")"
check_fails_clean "resources.unified naming an unknown controller" unif2 \
        "$(bundle unif2 true "c['linux']['resources']['unified'] = {'nosuchctl.max': '1'}")"
# linux.intelRdt without a mounted resctrl filesystem
if ! grep -q ' resctrl ' /proc/self/mountinfo; then
        check_fails_clean "linux.intelRdt without resctrl mounted" rdt "$(bundle rdt true "c['linux']['intelRdt'] = {'closID': 'conftest'}")"
fi

# ---- linux.netDevices, from a runtime network namespace of our own ----
touch "$T/rtns"
unshare --net="$T/rtns" true && HOST_MOUNTS+=("$T/rtns")
nsenter --net="$T/rtns" sh -c 'ip link add conf0 type veth peer name conf1 && ip addr add 10.99.0.1/24 dev conf0 &&
        ip link add conf2 type veth peer name conf3'
b=$(bundle netdev 'echo "link=$(ip -o link show ceth0)"; echo "addr=$(ip -o -4 addr show ceth0)"' \
        "c['linux']['netDevices'] = {'conf0': {'name': 'ceth0'}}")
OUT=$(nsenter --net="$T/rtns" "$CTR_OCI" --root "$ROOT" run --bundle "$b" netdev 2>"$T/netdev.err" </dev/null)
rc=$?
# a runtime may not support netDevices, but then it must refuse them, not ignore them
if [ $rc = 0 ]; then
        ok "netDevices: the container runs"
        check_match "netDevices: the device is in the container, renamed, and up" 'ceth0.*[<,]UP[,>]' "$(val link)"
        check_match "netDevices: its permanent global address is kept" 'inet 10\.99\.0\.1/24' "$(val addr)"
else
        check_match "netDevices: not supported, and refused with an error naming them" 'netDevices' "$(cat "$T/netdev.err")"
        check_eq "... nothing left" "" "$(conf_leftovers)"
fi
b=$(bundle netdev2 true "c['linux']['netDevices'] = {'conf-nosuch': {}}")
nsenter --net="$T/rtns" "$CTR_OCI" --root "$ROOT" create --bundle "$b" netdev2 >/dev/null 2>&1 </dev/null
check "netDevices naming a device that does not exist: create fails" [ $? != 0 ]
oci delete --force netdev2 >/dev/null 2>&1
b=$(bundle netdev3 true "c['linux']['netDevices'] = {'conf2': {'name': 'lo'}}")
nsenter --net="$T/rtns" "$CTR_OCI" --root "$ROOT" create --bundle "$b" netdev3 >/dev/null 2>&1 </dev/null
check "netDevices renaming to a name that exists in the container (lo): create fails" [ $? != 0 ]
oci delete --force netdev3 >/dev/null 2>&1

unmount_all
check_eq "nothing left at the end" "" "$(conf_leftovers)"
done_testing
