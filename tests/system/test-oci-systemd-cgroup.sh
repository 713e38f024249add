#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ctr-oci --systemd-cgroup under a real systemd: the container's cgroup is a transient scope
# named by "slice:prefix:name", with linux.resources as unit properties and in the cgroup files;
# update changes both; pause, exec and ps work in it; delete stops the scope; a taken name, a
# bad slice and a unit systemd refuses fail with nothing left behind; libsystemd is loaded only
# with the flag.
# shellcheck disable=SC2016 # the single-quoted scripts are expanded by the sh they are given to
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../tap.sh"
. "$HERE/harness.sh"
sd_skip_unless_possible
BUILD=${BUILD_DIR:?BUILD_DIR must point to the meson build dir}
SRCDIR=${SRCDIR:?}
OCI=$BUILD/exec/ctr-oci
[ -x "$OCI" ] || skip_all "ctr-oci is not built ($OCI)"
[ -x /bin/busybox ] || skip_all "needs busybox-static for the container rootfs"
command -v python3 >/dev/null || skip_all "needs python3 to write config.json"

T=$(mktemp -d /var/tmp/ctr-sdcg.XXXXXX)
trap 'sd_shutdown; rm -rf "$T"' EXIT
"$SRCDIR/tools/mkrootfs-busybox" "$T/rootfs" >/dev/null
ROOT=/run/ctr-oci-sdcg # the state root, inside the booted systemd's /run

# make_bundle NAME CGROUPSPATH [PYTHON]: a bundle over the shared rootfs running 'sleep 1000',
# with linux.cgroupsPath set (the key removed when it is "-") and PYTHON applied to c
make_bundle() {
        mkdir -p "$T/$1"
        "$OCI" spec --bundle "$T/$1" &&
                python3 - "$T/$1/config.json" "$T/rootfs" "$2" "${3:-}" <<'EOF'
import json, sys
path, rootfs, cgpath, code = sys.argv[1:5]
c = json.load(open(path))
c["root"] = {"path": rootfs, "readonly": True}
c["process"]["terminal"] = False
c["process"]["args"] = ["sleep", "1000"]
if cgpath == "-":
    c["linux"].pop("cgroupsPath", None)
else:
    c["linux"]["cgroupsPath"] = cgpath
exec(code)
json.dump(c, open(path, "w"), indent=1)
EOF
}

# (a created container's init holds its stdio: capture a create's output in a file, never in $(...))
oci() { sd "$OCI" --systemd-cgroup --root "$ROOT" "$@"; }
oci_plain() { sd "$OCI" --root "$ROOT" "$@"; } # later commands need not repeat the flag
quiet() { "$@" >/dev/null 2>&1; }
state_of() { oci state "$1" 2>/dev/null | sed -n 's/.*"status": "\([a-z]*\)".*/\1/p'; }
# the container's group in hierarchy CTRL, as its init sees it from the host (inside the boot)
cg_of() { sd cat "/proc/$1/cgroup" 2>/dev/null | awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }'; }
# a unit is gone: systemd no longer has it loaded (not-found), or at most as inactive leftovers
unit_gone() {
        local s
        s=$(sd systemctl show -P LoadState "$1" 2>/dev/null)
        [ "$s" = not-found ] || [ "$(sd systemctl show -P ActiveState "$1" 2>/dev/null)" = inactive ]
}
wait_gone() { local _; for _ in $(seq 50); do unit_gone "$1" && return 0; sleep 0.1; done; return 1; }

RES='c["linux"]["resources"].update({"memory": {"limit": 134217728}, "pids": {"limit": 15},
                                     "cpu": {"quota": 50000, "period": 100000, "shares": 512}})'
make_bundle c1 machine.slice:ctr-test:c1 "$RES"
make_bundle c2 machine.slice:ctr-test:c1
make_bundle c3 bogus:ctr-test:c3
make_bundle c4 "machine.slice:ctr-test:$(printf 'x%.0s' $(seq 260))"
make_bundle c5 -
make_bundle c6 refused.slice:ctr-test:c6
make_bundle c7 kubepods-burstable-pod1234.slice:cri-containerd:c7
make_bundle c9 broken.slice:ctr-test:c9
# a prestart hook (run once the scope exists) that tells who runs it and waits: the runtime is
# killed there
make_bundle c10 machine.slice:ctr-test:c10 'c["hooks"] = {"prestart": [{"path": "/bin/sh",
        "args": ["sh", "-c", "echo $PPID $$ >/run/c10.pids; exec sleep 60"]}]}'
make_bundle c10b machine.slice:ctr-test:c10
make_bundle r1 machine.slice:ctr-test:reuse 'c["process"]["args"] = ["true"]'
make_bundle r2 machine.slice:ctr-test:reuse
# a new user namespace: its init cannot write the host's cgroupfs, the runtime moves it. (In the
# booted systemd's namespaces the kernel refuses a new procfs or sysfs to a user namespace: the
# container binds the /proc it can see, without a pid namespace, and has no /sys.)
chmod 711 "$T" # the container's root (host uid 100000) must reach the rootfs
make_bundle c11 machine.slice:ctr-test:c11 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"]
                                                if n["type"] != "pid"] + [{"type": "user"}]
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
c["mounts"] = [m for m in c["mounts"] if not m["destination"].startswith("/sys")]
for m in c["mounts"]:
    if m["destination"] == "/proc":
        m.update({"type": "bind", "source": "/proc", "options": ["rbind", "nosuid", "nodev", "noexec"]})'
make_bundle c8 machine.slice:ctr-test:c8 'c["process"]["args"] = ["sh", "-c", "grep memory /proc/self/cgroup; exit 3"]
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "cgroup"]'

# libsystemd is loaded only with the flag (ctr-oci does not link it: its start-up is measured)
out=$(LD_DEBUG=libs "$OCI" --root "$T/state" list 2>&1)
check "without --systemd-cgroup ctr-oci does not load libsystemd" \
        sh -c '! printf "%s" "$1" | grep -q libsystemd' sh "$out"
check "the binary does not link it" sh -c "! ldd '$OCI' | grep -q libsystemd"
check_contains "features reports the systemd driver" '"systemd": true' "$("$OCI" features)"

# no systemd here (the host): refused before anything is made
"$OCI" --systemd-cgroup --root "$T/state" create --bundle "$T/c1" nosd >"$T/nosd.out" 2>&1
check "without a systemd to talk to, create fails" [ $? != 0 ]
check_contains "saying so" "systemd" "$(cat "$T/nosd.out")"
check_eq "and leaves no state" "" "$(ls "$T/state" 2>/dev/null)"

if ! sd_boot; then
        not_ok "the harness booted"
        done_testing
fi

# ---- create, properties, files ----
sd env LD_DEBUG=libs "$OCI" --systemd-cgroup --root "$ROOT" create --bundle "$T/c1" --pid-file /run/c1.pid c1 \
        >"$T/c1.out" 2>&1
check_eq "create with --systemd-cgroup succeeds" 0 $?
check_contains "and loads libsystemd" libsystemd "$(cat "$T/c1.out")"
pid=$(sd cat /run/c1.pid 2>/dev/null)
check_eq "the container is created" created "$(state_of c1)"
check_eq "the scope ctr-test-c1.scope is active" active "$(sd systemctl is-active ctr-test-c1.scope)"
check_eq "in machine.slice" machine.slice "$(sd systemctl show -P Slice ctr-test-c1.scope)"
check_eq "with Delegate=yes" yes "$(sd systemctl show -P Delegate ctr-test-c1.scope)"
check_eq "MemoryMax from memory.limit" 134217728 "$(sd systemctl show -P MemoryMax ctr-test-c1.scope)"
check_eq "TasksMax from pids.limit" 15 "$(sd systemctl show -P TasksMax ctr-test-c1.scope)"
check_eq "CPUQuotaPerSecUSec from cpu.quota/period" 500ms "$(sd systemctl show -P CPUQuotaPerSecUSec ctr-test-c1.scope)"
check_eq "CPUShares from cpu.shares (v1)" 512 "$(sd systemctl show -P CPUShares ctr-test-c1.scope)"
check_eq "DevicePolicy=strict" strict "$(sd systemctl show -P DevicePolicy ctr-test-c1.scope)"
check_contains "DeviceAllow lists the default devices" "/dev/char/1:3 rwm" "$(sd systemctl show -P DeviceAllow ctr-test-c1.scope)"
check_contains "systemctl status shows the container's init" "$pid" "$(sd systemctl status ctr-test-c1.scope 2>&1)"
scope=/machine.slice/ctr-test-c1.scope
check_eq "the init is in the scope in the memory hierarchy" "$scope" "$(cg_of "$pid" memory)"
check_eq "and in pids" "$scope" "$(cg_of "$pid" pids)"
check_eq "and in name=systemd" "$scope" "$(cg_of "$pid" name=systemd)"
check_eq "and in freezer, which systemd does not manage (made by ctr-oci, as runc does)" "$scope" "$(cg_of "$pid" freezer)"
check_eq "memory.limit_in_bytes in the scope" 134217728 "$(sd cat /sys/fs/cgroup/memory$scope/memory.limit_in_bytes)"
check_eq "pids.max in the scope" 15 "$(sd cat /sys/fs/cgroup/pids$scope/pids.max)"
check_eq "cpu.cfs_quota_us in the scope" 50000 "$(sd cat /sys/fs/cgroup/cpu$scope/cpu.cfs_quota_us)"
devs=$(sd cat /sys/fs/cgroup/devices$scope/devices.list)
check_contains "devices.list allows /dev/null" "c 1:3 rwm" "$devs"
check "and not everything" sh -c '! printf "%s" "$1" | grep -q "^a "' sh "$devs"
sd systemctl daemon-reload
devs=$(sd cat /sys/fs/cgroup/devices$scope/devices.list)
check "after daemon-reload systemd still does not open the devices up" \
        sh -c 'printf "%s" "$1" | grep -q "c 1:3 rwm" && ! printf "%s" "$1" | grep -q "^a "' sh "$devs"
check_eq "nor lose the memory limit" 134217728 "$(sd cat /sys/fs/cgroup/memory$scope/memory.limit_in_bytes)"
st=$(sd cat "$ROOT/c1/state.json")
check_contains "the state records the scope" '"systemd_unit":"ctr-test-c1.scope"' "$st"

# ---- a second container with the scope's name: refused, nothing left ----
oci create --bundle "$T/c2" c2 >"$T/c2.out" 2>&1
rc=$? out=$(cat "$T/c2.out")
check "a second container with the same scope name fails" [ "$rc" != 0 ]
check_contains "naming the unit" ctr-test-c1.scope "$out"
check "no state is left for it" sd test ! -e "$ROOT/c2"
check_eq "the first container's scope is untouched" active "$(sd systemctl is-active ctr-test-c1.scope)"
check_eq "and the first container too" created "$(state_of c1)"

# ---- start, exec, ps, update, pause ----
check "start" quiet oci_plain start c1
check_eq "the container runs" running "$(state_of c1)"
check_eq "the payload runs in the scope" "$scope" "$(cg_of "$pid" memory)"
check_contains "the container's cgroup namespace is rooted at the scope" "memory:/" \
        "$(oci_plain exec c1 cat /proc/self/cgroup 2>&1)"
check_eq "its /sys/fs/cgroup is the scope's (the limit shows)" 134217728 \
        "$(oci_plain exec c1 cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>&1)"
oci_plain exec --detach --pid-file /run/c1-exec.pid c1 sleep 500 >/dev/null 2>&1
xpid=$(sd cat /run/c1-exec.pid 2>/dev/null)
check_eq "exec joins the scope" "$scope" "$(cg_of "$xpid" memory)"
ps=$(oci_plain ps --format json c1)
ps=$(printf '%s' "$ps" | tr -d '[] ' | tr , '\n' | sort -n | paste -sd' ')
check_eq "ps lists the init and the exec'd process" "$(printf '%s\n' "$pid" "$xpid" | sort -n | paste -sd' ')" "$ps"
oci update --memory 256M --pids-limit 30 --cpu-quota 25000 c1
check_eq "update --memory changes MemoryMax" 268435456 "$(sd systemctl show -P MemoryMax ctr-test-c1.scope)"
check_eq "and memory.limit_in_bytes" 268435456 "$(sd cat /sys/fs/cgroup/memory$scope/memory.limit_in_bytes)"
check_eq "update --pids-limit changes TasksMax" 30 "$(sd systemctl show -P TasksMax ctr-test-c1.scope)"
check_eq "and pids.max" 30 "$(sd cat /sys/fs/cgroup/pids$scope/pids.max)"
check_eq "update --cpu-quota changes CPUQuotaPerSecUSec (per the current period)" 250ms \
        "$(sd systemctl show -P CPUQuotaPerSecUSec ctr-test-c1.scope)"
check_eq "and cpu.cfs_quota_us" 25000 "$(sd cat /sys/fs/cgroup/cpu$scope/cpu.cfs_quota_us)"
oci_plain update --memory 200M c1
check_eq "update without the flag still goes to systemd (the state says so)" 209715200 \
        "$(sd systemctl show -P MemoryMax ctr-test-c1.scope)"
printf '%s' '{"devices": [{"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rw"}]}' >"$T/devices.json"
allow_before=$(sd systemctl show -P DeviceAllow ctr-test-c1.scope | sort | paste -sd,)
list_before=$(sd cat /sys/fs/cgroup/devices$scope/devices.list)
sd "$OCI" --root "$ROOT" update --resources "$T/devices.json" c1
# containerd sends the whole linux.resources, whose devices lack create's defaults (runc keeps
# create's rules too): /dev/urandom and friends must stay usable
check_eq "an update with devices keeps systemd's DeviceAllow list of create" "$allow_before" \
        "$(sd systemctl show -P DeviceAllow ctr-test-c1.scope | sort | paste -sd,)"
check_eq "and devices.list" "$list_before" "$(sd cat /sys/fs/cgroup/devices$scope/devices.list)"
check_contains "which still has /dev/urandom (1:9)" "c 1:9 rwm" "$list_before"
check "pause" oci_plain pause c1
check_eq "paused" paused "$(state_of c1)"
check "resume" oci_plain resume c1
check_eq "running again" running "$(state_of c1)"

# ---- kill + delete: the scope goes ----
oci kill c1 KILL
for _ in $(seq 50); do [ "$(state_of c1)" = stopped ] && break; sleep 0.1; done
check_eq "kill stops it" stopped "$(state_of c1)"
check "delete" oci delete c1
check "the scope is gone" wait_gone ctr-test-c1.scope
status=$(sd systemctl status ctr-test-c1.scope 2>&1)
check_match "systemctl status no longer knows it" "could not be found|inactive" "$status"
check "no state is left" sd test ! -e "$ROOT/c1"
check "the scope's directory is gone from memory" sd test ! -e "/sys/fs/cgroup/memory$scope"
check "and from freezer (the one ctr-oci made)" sd test ! -e "/sys/fs/cgroup/freezer$scope"
check "and the freezer parent it made" sd test ! -e /sys/fs/cgroup/freezer/machine.slice

# ---- refusals: nothing left behind ----
oci create --bundle "$T/c3" c3 >"$T/c3.out" 2>&1
rc=$? out=$(cat "$T/c3.out")
check "a bogus slice name fails" [ "$rc" != 0 ]
check_contains "with a clear error" "'bogus' is not a slice" "$out"
check "and no state" sd test ! -e "$ROOT/c3"
oci create --bundle "$T/c4" c4 >"$T/c4.out" 2>&1
rc=$? out=$(cat "$T/c4.out")
check "a unit name systemd refuses (too long) fails" [ "$rc" != 0 ]
check_contains "saying systemd refused it" "systemd refused to create ctr-test-xxx" "$out"
check "and no state" sd test ! -e "$ROOT/c4"
sd systemctl mask --runtime refused.slice >/dev/null 2>&1
oci create --bundle "$T/c6" c6 >"$T/c6.out" 2>&1
rc=$? out=$(cat "$T/c6.out")
check "a scope in a masked slice fails" [ "$rc" != 0 ]
check_contains "naming the scope" ctr-test-c6.scope "$out"
echo "# $out"
check "and no state" sd test ! -e "$ROOT/c6"
check "and no scope" unit_gone ctr-test-c6.scope
left=$(sd sh -c 'for p in /proc/[0-9]*; do [ "$(readlink $p/exe 2>/dev/null)" = "$1" ] && echo ${p#/proc/}; done; true' sh "$OCI")
check_eq "no ctr-oci process (a container init waiting) is left" "" "$left"
# accepted, then the start job fails: a slice that cannot start
sd mkdir -p /run/systemd/system
sd sh -c 'printf "[Unit]\nAssertPathExists=/nonexistent\n" >/run/systemd/system/broken.slice'
sd systemctl daemon-reload
oci create --bundle "$T/c9" c9 >"$T/c9.out" 2>&1
rc=$? out=$(cat "$T/c9.out")
check "a scope whose start job fails fails create" [ "$rc" != 0 ]
check_contains "with the job's result" "systemd could not start ctr-test-c9.scope: job dependency" "$out"
check "no state" sd test ! -e "$ROOT/c9"
check "and the scope is gone" wait_gone ctr-test-c9.scope
check_eq "no group is left for it" "" \
        "$(sd find /sys/fs/cgroup -name ctr-test-c9.scope 2>/dev/null)"

# the runtime killed mid-create (in a prestart hook, with the scope made): a later create of the
# same ID clears the remains, scope included
oci create --bundle "$T/c10" c10 >/dev/null 2>&1 &
for _ in $(seq 100); do sd test -s /run/c10.pids && break; sleep 0.1; done
read -r creator hook <<<"$(sd cat /run/c10.pids 2>/dev/null)"
check_eq "the scope exists while the prestart hook runs" active "$(sd systemctl is-active ctr-test-c10.scope)"
# (never "kill 0": that would be our own process group)
case "${creator:-x}${hook:-x}" in *[!0-9]*) ;; *) sd kill -KILL "$creator" "$hook" ;; esac
wait
check_contains "the killed create left its state" '"systemd_unit":"ctr-test-c10.scope"' \
        "$(sd cat "$ROOT/c10/state.json" 2>/dev/null)"
check "a new create of the ID clears them and succeeds" quiet oci create --bundle "$T/c10b" --pid-file /run/c10.pid c10
check_eq "in the scope of that name" /machine.slice/ctr-test-c10.scope "$(cg_of "$(sd cat /run/c10.pid)" memory)"
oci delete --force c10
check "gone after delete --force" wait_gone ctr-test-c10.scope

# ---- defaults, nested slices, the foreground ----
check "create with no cgroupsPath" quiet oci create --bundle "$T/c5" --pid-file /run/c5.pid c5
check_eq "makes ctr-oci-ID.scope" active "$(sd systemctl is-active ctr-oci-c5.scope)"
check_eq "in system.slice" /system.slice/ctr-oci-c5.scope "$(cg_of "$(sd cat /run/c5.pid)" memory)"
check "delete --force without the flag" oci_plain delete --force c5
check "stops the scope (the state says it is one)" wait_gone ctr-oci-c5.scope
check "no state is left" sd test ! -e "$ROOT/c5"
check "a nested slice" quiet oci create --bundle "$T/c7" --pid-file /run/c7.pid c7
check_eq "is expanded to its parents" \
        /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-c7.scope \
        "$(cg_of "$(sd cat /run/c7.pid)" memory)"
oci delete --force c7
check "and goes with delete" wait_gone cri-containerd-c7.scope
check "a container with a user namespace" quiet oci run -d --bundle "$T/c11" --pid-file /run/c11.pid c11
pid=$(sd cat /run/c11.pid 2>/dev/null)
check_eq "is in its scope (memory)" /machine.slice/ctr-test-c11.scope "$(cg_of "$pid" memory)"
check_eq "and in freezer" /machine.slice/ctr-test-c11.scope "$(cg_of "$pid" freezer)"
oci delete --force c11
check "and goes with delete" wait_gone ctr-test-c11.scope
# a stopped container's scope went with its processes: a later container may take the same name
# and path, and delete or kill --all of the old one must not touch it
quiet oci run -d --bundle "$T/r1" r1
for _ in $(seq 50); do [ "$(state_of r1)" = stopped ] && break; sleep 0.1; done
check_eq "r1 (true) has stopped" stopped "$(state_of r1)"
wait_gone ctr-test-reuse.scope
check "r2 takes the same scope name" quiet oci run -d --bundle "$T/r2" r2
check "and runs" [ "$(state_of r2)" = running ]
oci kill --all r1 KILL >/dev/null 2>&1
check "kill --all of the stopped r1 leaves r2, whose scope has r1's old name" [ "$(state_of r2)" = running ]
check "delete of r1 succeeds" quiet oci delete r1
check "and leaves r2 running" [ "$(state_of r2)" = running ]
check_eq "with its scope active" active "$(sd systemctl is-active ctr-test-reuse.scope)"
oci delete --force r2
check "r2's delete stops its scope" wait_gone ctr-test-reuse.scope
out=$(oci run --bundle "$T/c8" c8 2>&1)
check_eq "run in the foreground returns the payload's status" 3 $?
check_contains "the payload ran in its scope" "memory:/machine.slice/ctr-test-c8.scope" "$out"
check "the scope is gone afterwards" wait_gone ctr-test-c8.scope
check "and the state" sd test ! -e "$ROOT/c8"
check_eq "no container state is left at all" "" "$(sd ls "$ROOT" 2>/dev/null)"
check_eq "no group of ctr-oci's is left in freezer" "" \
        "$(sd find /sys/fs/cgroup/freezer -mindepth 1 -type d -name '*.scope' 2>/dev/null)"

sd_shutdown
check_eq "nothing left behind" "" "$(sd_leftovers)"
done_testing
