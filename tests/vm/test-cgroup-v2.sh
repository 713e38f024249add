#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The VM tier: ctrctl, ctr@.service and ctr-oci on a PURE cgroup v2 host (these machines are
# hybrid). One VM boot (tests/vm/vm.sh) runs tests/vm/guest-cgroup-v2.sh under systemd as PID 1:
# ctrctl run -d limits read back from memory.max, memory.high, memory.swap.max, pids.max,
# cpu.max, cpuset.cpus and from systemctl show; ctrctl update/stats/top; an OOM kill reported;
# a definition started through the generator; ctr-oci's cgroupfs v2 code (limits, update,
# freeze) in a delegated scope; ctrctl's cgroupfs fallback without systemd. The guest prints
# the TAP lines; this script relays them and adds the boot's own verdict and the plan, so a VM
# that does not boot or times out is a "not ok", never a silent pass.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../tap.sh"
# A run takes 50-75 s alone on these 2-core machines (2-3 times that next to another TCG
# guest); a hung guest is a "not ok" after this, before meson's timeout (300 s) would hit.
VM_TIMEOUT=${VM_TIMEOUT:-240}
. "$HERE/vm.sh"
BUILD=${BUILD_DIR:?BUILD_DIR must point to the meson build dir}
SRCDIR=${SRCDIR:?}
BUILD=$(realpath "$BUILD")
SRCDIR=$(realpath "$SRCDIR")
for f in exec/ctr-exec exec/ctr-oci ctl/ctrctl generator/ctr-generator units/ctr@.service; do
        [ -e "$BUILD/$f" ] || skip_all "$BUILD/$f is not built"
done
trap vm_cleanup EXIT
vm_skip_unless_possible

# The container's rootfs is made here and copied in by the guest: under TCG every fork+exec
# costs ~90 ms, and mkrootfs-busybox's 270 ln calls would take 25 s of the VM's time.
vm_prepare || { not_ok "making the VM's work dir"; done_testing; }
"$SRCDIR/tools/mkrootfs-busybox" "$VM_SHARE/rootfs" >/dev/null ||
        { not_ok "tools/mkrootfs-busybox made a rootfs"; done_testing; }
# What the guest needs from the build and the sources, copied into its /vmshare: a checkout
# or build dir under /tmp would be hidden there by the guest's own tmpfs on /tmp.
for f in exec/ctr-exec exec/ctr-oci ctl/ctrctl generator/ctr-generator units/ctr@.service; do
        install -D -m 0755 "$BUILD/$f" "$VM_SHARE/build/$f" ||
                { not_ok "copying $f into the VM's share"; done_testing; }
done
install -D -m 0644 "$SRCDIR/tests/tap.sh" "$VM_SHARE/src/tests/tap.sh" &&
        install -D -m 0644 "$SRCDIR/units/ctr.slice" "$VM_SHARE/src/units/ctr.slice" ||
        { not_ok "copying sources into the VM's share"; done_testing; }
VM_ENV="BUILD_DIR=/vmshare/build SRCDIR=/vmshare/src"
out=$VM_WORK/guest.tap
vm_run "$HERE/guest-cgroup-v2.sh" >"$out"
rc=$?
# the guest's TAP lines go on with our numbering; its end marker is ours to judge; any other
# line (a multi-line value in a diagnostic) becomes a comment, so the TAP stays well-formed
awk '/^VMTEST-GUEST-DONE/ { next } /^(ok|not ok) [0-9]/ || /^#/ { print; next } { print "#   " $0 }' "$out"
guest_n=$(grep -cE '^(not )?ok [0-9]+' "$out")
n=$guest_n
failed=$(grep -cE '^not ok [0-9]+' "$out")
case $rc in
0) if grep -q '^VMTEST-GUEST-DONE' "$out"; then
        ok "the VM (kernel $VM_KV, pure cgroup v2) booted, ran the guest script to its end and powered off (${VM_SECONDS}s)"
   else
        not_ok "the guest script ended early (${VM_SECONDS}s)"
   fi ;;
124) not_ok "the VM did not finish within ${VM_TIMEOUT}s (qemu killed)" ;;
125) not_ok "the VM gave no result: it did not boot or the guest crashed (${VM_SECONDS}s)" ;;
*) not_ok "the guest script failed with exit status $rc (${VM_SECONDS}s)" ;;
esac
check "the guest ran checks ($guest_n)" [ "$guest_n" -gt 0 ]
done_testing
