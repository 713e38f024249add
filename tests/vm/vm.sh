# SPDX-License-Identifier: LGPL-2.1-or-later
# VM tier: a real systemd as PID 1 on a pure cgroup v2 hierarchy, in a qemu VM.
#
# The development and CI machines have the hybrid cgroup layout, and that cannot be changed on
# them; the cgroup v2 paths (systemd's memory.max, pids.max, cpu.max; the cgroupfs code's v2
# branch) need a kernel of their own. qemu (TCG: no KVM needed) boots Debian's 6.1 kernel with
# this host's / exported READ-ONLY over virtio-9p and a tmpfs overlay on top inside the guest,
# systemd 252 runs as PID 1 with systemd.unified_cgroup_hierarchy=1, runs ONE script in
# vmtest.service and powers off (guest-init.sh). About 15-25 s a boot.
#
# What the host needs, all from Debian's archive: qemu-system-x86, kmod, busybox-static
# (tools/build-deps.txt), and the kernel: `apt-get download linux-image-6.1.0-N-amd64`,
# extracted with dpkg-deb -x and never installed, cached in $VM_CACHE for later runs.
#
# API (bash; source this file, then):
#   vm_skip_unless_possible   print "1..0 # SKIP reason" and exit 77 unless this can work
#                             (root, qemu, kmod, busybox-static, a kernel apt can download)
#   vm_prepare                make the work dir; files put in $VM_SHARE appear in the guest
#                             as /vmshare (read-write 9p); vm_run calls it if need be
#   vm_run SCRIPT             boot, run SCRIPT (bash, as root) in the guest, power off.
#                             The script's stdout is printed to ours as it was; its stderr
#                             and (on trouble) the console's tail as "# " lines. Returns the
#                             script's exit status, 124 when the VM timed out, 125 when the
#                             guest gave no status (did not boot, crashed).
#                             Always kills qemu (also when this shell is killed: pdeathsig).
#   vm_cleanup                kill qemu, remove the work dir (idempotent; from an EXIT trap)
# Variables (in):
#   VM_ENV        "NAME=value" words exported to SCRIPT in the guest
#   VM_RO_DIRS    host dirs the guest must see read-only at the same path (a build dir);
#                 those on the root filesystem are visible anyway, others get a 9p share
#   VM_MEM (MiB, 1024)  VM_SMP (2)  VM_TIMEOUT (seconds, 200)  VM_DEBUG=1 (verbose console)
#   VM_CACHE      kernel cache (/var/tmp/ctrctl-vm-cache; kept between runs)
# Variables (out): VM_KV (kernel version), VM_SECONDS (how long vm_run took), VM_WORK, VM_SHARE

VM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_CACHE=${VM_CACHE:-/var/tmp/ctrctl-vm-cache}
VM_MEM=${VM_MEM:-1024}
VM_SMP=${VM_SMP:-2}
VM_TIMEOUT=${VM_TIMEOUT:-200}
VM_ENV=${VM_ENV:-}
VM_RO_DIRS=${VM_RO_DIRS:-}
VM_QEMU=${VM_QEMU:-qemu-system-x86_64}
VM_KV=
VM_KDIR=
VM_WORK=
VM_SHARE=
VM_SECONDS=
_VM_QPID=

# a test runner's timeout (SIGTERM) still runs the EXIT trap
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

_vm_diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

# The kernel package apt offers: the one linux-image-amd64 depends on, else the newest
# linux-image-6.1.0-N-amd64 the package lists name.
_vm_kernel_package() {
        local p
        p=$(apt-cache depends linux-image-amd64 2>/dev/null |
                sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -1)
        [ -n "$p" ] || p=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' 2>/dev/null |
                awk '{print $1}' | sort -V | tail -1)
        echo "$p"
}

# Sets VM_KDIR and VM_KV: an extracted, depmod'ed kernel tree in the cache (fetched once);
# on failure VM_WHY says why.
_vm_kernel() {
        local d pkg tmp deb kv
        VM_WHY=
        mkdir -p "$VM_CACHE" || { VM_WHY="cannot create $VM_CACHE"; return 1; }
        exec 9>"$VM_CACHE/.lock"
        flock -w 600 9 || { VM_WHY="cannot lock $VM_CACHE/.lock"; exec 9>&-; return 1; }
        rm -rf "$VM_CACHE"/.fetch.* # left by a run killed while fetching (we hold the lock)
        for d in $(ls -d "$VM_CACHE"/kernel-* 2>/dev/null | sort -V -r); do
                [ -e "$d/.complete" ] || continue
                VM_KDIR=$d
                break
        done
        if [ -z "$VM_KDIR" ]; then
                pkg=$(_vm_kernel_package)
                [ -n "$pkg" ] || { VM_WHY="apt offers no linux-image-6.1.0-*-amd64 (apt-get update?)"; exec 9>&-; return 1; }
                tmp=$(mktemp -d "$VM_CACHE/.fetch.XXXXXX") || return 1
                chmod 755 "$tmp" # apt-get download drops to _apt, which must be able to write here
                if ! (cd "$tmp" && apt-get download -q "$pkg" >"$tmp/apt.log" 2>&1); then
                        VM_WHY="apt-get download $pkg failed: $(tail -1 "$tmp/apt.log")"
                        rm -rf "$tmp"
                        exec 9>&-
                        return 1
                fi
                deb=$(ls "$tmp"/*.deb 2>/dev/null | head -1)
                mkdir "$tmp/tree"
                if [ -z "$deb" ] || ! dpkg-deb -x "$deb" "$tmp/tree"; then
                        VM_WHY="dpkg-deb -x of the $pkg package failed"
                        rm -rf "$tmp"
                        exec 9>&-
                        return 1
                fi
                kv=$(ls "$tmp/tree/lib/modules" 2>/dev/null | head -1)
                if [ -z "$kv" ] || [ ! -e "$tmp/tree/boot/vmlinuz-$kv" ] ||
                        ! depmod -b "$tmp/tree" "$kv" 2>"$tmp/depmod.log"; then
                        VM_WHY="the $pkg package has no usable kernel ($(tail -1 "$tmp/depmod.log" 2>/dev/null))"
                        rm -rf "$tmp"
                        exec 9>&-
                        return 1
                fi
                touch "$tmp/tree/.complete"
                rm -rf "${VM_CACHE:?}/kernel-$kv"
                mv "$tmp/tree" "$VM_CACHE/kernel-$kv"
                rm -rf "$tmp"
                VM_KDIR=$VM_CACHE/kernel-$kv
        fi
        exec 9>&-
        VM_KV=$(ls "$VM_KDIR/lib/modules" | head -1)
        [ -n "$VM_KV" ] && [ -e "$VM_KDIR/boot/vmlinuz-$VM_KV" ]
}

vm_skip_unless_possible() {
        local why
        [ "$(id -u)" = 0 ] || skip_all "needs root (qemu's 9p export of / and a private mount namespace)"
        command -v "$VM_QEMU" >/dev/null || skip_all "no $VM_QEMU (apt-get install qemu-system-x86)"
        command -v modprobe >/dev/null && command -v depmod >/dev/null ||
                skip_all "no modprobe/depmod (apt-get install kmod)"
        command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
                skip_all "no apt-get/dpkg-deb to fetch Debian's kernel"
        command -v setpriv >/dev/null && command -v unshare >/dev/null || skip_all "needs util-linux"
        [ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' ||
                skip_all "needs busybox-static (/bin/busybox) for the initramfs"
        [ -x /lib/systemd/systemd ] || skip_all "no systemd on this host's / to boot in the guest"
        "$VM_QEMU" -device help 2>/dev/null | grep -q virtio-9p-pci || skip_all "$VM_QEMU has no virtio-9p"
        _vm_kernel || skip_all "no kernel for the VM: $VM_WHY"
}

# The initramfs: busybox-static, the modules to mount 9p and overlay, guest-init.sh as /init.
_vm_initramfs() {
        local out=$1 w=$VM_WORK/initramfs m ko
        mkdir -p "$w"/{bin,dev,proc,sys,lower,ovl,newroot,mods} || return 1
        cp /bin/busybox "$w/bin/busybox" || return 1
        : >"$w/modules.list"
        for m in virtio_pci 9pnet_virtio 9p overlay virtio_rng; do
                modprobe -d "$VM_KDIR" -S "$VM_KV" --show-depends "$m" 2>/dev/null || return 1
        done | awk '$1=="insmod"{print $2}' | awk '!seen[$0]++' >"$w/ko.list"
        [ -s "$w/ko.list" ] || { echo "modprobe found no 9p modules in $VM_KDIR" >&2; return 1; }
        while read -r ko; do
                cp "$ko" "$w/mods/" && basename "$ko" >>"$w/modules.list" || return 1
        done <"$w/ko.list"
        rm -f "$w/ko.list"
        install -m 0755 "$VM_HERE/guest-init.sh" "$w/init" || return 1
        (cd "$w" && find . | LC_ALL=C sort | /bin/busybox cpio -o -H newc -R 0:0 2>/dev/null) >"$out"
        [ -s "$out" ]
}

vm_cleanup() {
        if [ -n "$_VM_QPID" ]; then
                kill -TERM "$_VM_QPID" 2>/dev/null
                for _ in $(seq 30); do kill -0 "$_VM_QPID" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$_VM_QPID" 2>/dev/null
                wait "$_VM_QPID" 2>/dev/null
                _VM_QPID=
        fi
        if [ -n "$VM_WORK" ]; then
                rm -rf "$VM_WORK"
                VM_WORK=
                VM_SHARE=
        fi
}

# The work dir, and VM_SHARE: files put there before vm_run are the guest's /vmshare (a
# read-write 9p share; e.g. a rootfs made on the host, where forks are 100 times cheaper).
vm_prepare() {
        local d p
        [ -n "$VM_WORK" ] && return 0
        # work dirs of runs killed outright (SIGKILL: no EXIT trap) whose shell is gone
        for d in /var/tmp/ctrctl-vm.??????; do
                [ -f "$d/owner" ] || continue
                p=$(cat "$d/owner" 2>/dev/null)
                [ -n "$p" ] && kill -0 "$p" 2>/dev/null && continue
                rm -rf "$d"
        done
        VM_WORK=$(mktemp -d /var/tmp/ctrctl-vm.XXXXXX) || return 1
        echo $$ >"$VM_WORK/owner"
        VM_SHARE=$VM_WORK/share
        mkdir -p "$VM_SHARE" "$VM_WORK/rootro"
}

vm_run() {
        local script=$1 t0 share cmdline log rc qrc deadline i d e tag rospec="" kind
        local -a extra=()
        t0=${EPOCHREALTIME/,/.}
        vm_prepare || return 125
        share=$VM_SHARE
        if ! _vm_initramfs "$VM_WORK/initramfs.cpio"; then
                _vm_diag "building the initramfs failed"
                return 125
        fi
        {
                echo '#!/bin/bash'
                for e in $VM_ENV; do printf 'export %q\n' "$e"; done
                echo 'cd /'
                cat "$script"
        } >"$share/cmd.sh"

        # Read-only shares for the dirs the guest needs that the root filesystem does not hold.
        i=0
        for d in $VM_RO_DIRS; do
                d=$(realpath "$d") || return 125
                [ "$(findmnt -n -o TARGET -T "$d")" = / ] && continue
                tag=ro$i
                i=$((i + 1))
                extra+=(-virtfs "local,path=$d,mount_tag=$tag,security_model=none,readonly=on")
                rospec=${rospec:+$rospec,}$tag:$d
        done

        if [ "${VM_DEBUG:-0}" = 1 ]; then log="loglevel=7 systemd.log_level=info"
        else log="quiet loglevel=3 systemd.log_level=warning"; fi
        cmdline="console=ttyS0 panic=-1 $log systemd.unified_cgroup_hierarchy=1 \
systemd.unit=vmtest.target systemd.show_status=auto systemd.firstboot=off \
8250.nr_uarts=1 mitigations=off random.trust_cpu=on ${rospec:+vmtest.ro=$rospec}"

        # qemu runs in a private mount namespace where / is bind-mounted NON-recursively (no
        # /proc, /sys, /dev of the host) and read-only; only that view is exported, with 9p's
        # readonly=on on top. pdeathsig: qemu dies with this shell, however it ends.
        export VM_WORK VM_KDIR VM_KV
        setpriv --pdeathsig KILL -- unshare --mount --propagation private -- /bin/bash -c '
                set -e
                mount --bind / "$VM_WORK/rootro"
                mount -o remount,bind,ro "$VM_WORK/rootro"
                exec "$@"' vm-ns "$VM_QEMU" -nodefaults -no-user-config \
                -machine q35,accel=tcg -cpu max -smp "$VM_SMP" -m "$VM_MEM" \
                -display none -vga none -nic none -no-reboot \
                -serial "file:$VM_WORK/console.log" \
                -kernel "$VM_KDIR/boot/vmlinuz-$VM_KV" -initrd "$VM_WORK/initramfs.cpio" -append "$cmdline" \
                -virtfs "local,path=$VM_WORK/rootro,mount_tag=hostroot,security_model=none,readonly=on" \
                -virtfs "local,path=$VM_KDIR/lib/modules/$VM_KV,mount_tag=kmods,security_model=none,readonly=on" \
                -virtfs "local,path=$share,mount_tag=vmshare,security_model=none" \
                "${extra[@]}" -device virtio-rng-pci </dev/null >"$VM_WORK/qemu.log" 2>&1 &
        _VM_QPID=$!

        deadline=$((SECONDS + VM_TIMEOUT))
        kind=
        while kill -0 "$_VM_QPID" 2>/dev/null; do
                if [ "$SECONDS" -ge "$deadline" ]; then
                        kind=timeout
                        break
                fi
                sleep 0.2
        done
        if [ "$kind" = timeout ]; then
                kill -TERM "$_VM_QPID" 2>/dev/null
                sleep 1
                kill -KILL "$_VM_QPID" 2>/dev/null
        fi
        wait "$_VM_QPID" 2>/dev/null
        qrc=$?
        _VM_QPID=
        VM_SECONDS=$(awk -v a="$t0" -v b="${EPOCHREALTIME/,/.}" 'BEGIN { printf "%.1f", b - a }')

        [ -f "$share/out" ] && cat "$share/out"
        [ -s "$share/err" ] && _vm_diag "guest stderr:" && sed 's/^/#   /' "$share/err"
        if [ "$kind" = timeout ]; then
                _vm_diag "the VM did not power off within ${VM_TIMEOUT}s; qemu killed. Console tail:"
                tail -n 30 "$VM_WORK/console.log" 2>/dev/null | sed 's/^/#   /'
                return 124
        fi
        if [ ! -s "$share/rc" ]; then
                _vm_diag "no exit status from the guest (qemu exit $qrc). qemu said:"
                tail -n 10 "$VM_WORK/qemu.log" 2>/dev/null | sed 's/^/#   /'
                _vm_diag "console tail:"
                tail -n 30 "$VM_WORK/console.log" 2>/dev/null | sed 's/^/#   /'
                return 125
        fi
        rc=$(cat "$share/rc")
        return "$rc"
}
