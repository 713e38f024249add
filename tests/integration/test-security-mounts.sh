#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Security regression tests for mounts and the container's view of /proc, /sys and /dev:
# catalogue rows 2, 3, 4, 5, 7, 9, 17 and 23. Every check names its row; sentinels are host
# files under $T whose names, modes, owners and hashes must not change.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec-lib.sh"
control_run

have_probe=false
build_helper probe && have_probe=true

# ---- row 2: CVE-2019-16884, only a real procfs may be mounted on /proc ----
# A plain directory with a fake self/attr/exec: an LSM label written there would be lost.
mkdir -p "$T/fakeproc/self/attr/apparmor"
echo fake >"$T/fakeproc/self/attr/exec"
echo fake >"$T/fakeproc/self/attr/apparmor/exec"
echo fake >"$T/fakeproc/FAKE-PROC"
fp_fake=$(fingerprint "$T/fakeproc")
# The masked and read-only lists are emptied: processing them needs /proc/self/fd and would
# fail on a fake /proc for an unrelated reason.
no_lists=("c['linux']['maskedPaths'] = []" "c['linux']['readonlyPaths'] = []")
i=0
for dest in /proc /proc/ //proc /./proc /proc/. /dev/../proc; do
        i=$((i + 1))
        b=$(make_bundle fakeproc$i "${no_lists[@]}" \
                "c['process']['args'] = ['sh', '-c', 'ls /proc/FAKE-PROC 2>/dev/null; stat -f -c %T /proc']" \
                "c['mounts'].append({'destination': '$dest', 'type': 'bind', 'source': '$T/fakeproc', 'options': ['rbind']})")
        out=$(oci run --bundle "$b" fakeproc$i 2>&1)
        rc=$?
        [ $rc = 0 ] && echo "# destination '$dest' accepted, the container saw: $(echo $out)"
        check "[row 2] a bind of a plain directory on '$dest' is refused" \
                [ $rc != 0 -a -z "$(echo "$out" | grep FAKE-PROC)" ]
        [ "$dest" = /proc ] && check_match "[row 2] ... saying it is not procfs" "not procfs" "$out"
done
b=$(make_bundle fakeproc-tmpfs "${no_lists[@]}" "c['process']['args'] = ['stat', '-f', '-c', '%T', '/proc']" \
        "c['mounts'].append({'destination': '/proc/', 'type': 'tmpfs', 'source': 'tmpfs'})")
out=$(oci run --bundle "$b" fakeproc-tmpfs 2>&1)
rc=$?
check "[row 2] a tmpfs on '/proc/' is refused (or /proc stays procfs)" \
        [ $rc != 0 -o "$out" = proc ]
check_eq "[row 2] the fake proc directory is unchanged" "$fp_fake" "$(fingerprint "$T/fakeproc")"
# What the CVE leads to is a container without the confinement its config asks for. A runtime
# that cannot apply a requested AppArmor profile or SELinux label must refuse, as runc does,
# not run the container unconfined.
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
        b=$(make_bundle aa-absent "c['process']['args'] = ['true']" "c['process']['apparmorProfile'] = 'ctr-test-profile'")
        out=$(oci run --bundle "$b" aa-absent 2>&1)
        check "[row 2] process.apparmorProfile on a host without AppArmor is refused, not dropped" [ $? != 0 ]
else
        skip "[row 2] process.apparmorProfile that cannot be applied is refused" "AppArmor is enabled here"
fi
if [ ! -d /sys/fs/selinux ]; then
        b=$(make_bundle se-absent "c['process']['args'] = ['true']" \
                "c['process']['selinuxLabel'] = 'system_u:system_r:container_t:s0:c1,c2'")
        out=$(oci run --bundle "$b" se-absent 2>&1)
        check "[row 2] process.selinuxLabel on a host without SELinux is refused, not dropped" [ $? != 0 ]
else
        skip "[row 2] process.selinuxLabel that cannot be applied is refused" "SELinux is enabled here"
fi

# ---- row 3: CVE-2019-19921, CVE-2023-27561, CVE-2023-28642: /proc or /sys as a symlink ----
# runc refuses ("must be mounted on ordinary directory"): mounting through the link puts
# procfs where the link points, and masking and read-only paths then follow a path the
# container controls.
for v in proc:/bad-proc proc:bad-proc sys:/bad-sys proc:/ ; do
        name=${v%%:*} target=${v#*:}
        id=symlink-$name-$(echo "$target" | tr -c 'a-z\n' x)
        b=$(make_bundle "$id" "c['process']['args'] = ['sh', '-c', 'grep -E \" /(bad-proc|bad-sys|proc|sys) \" /proc/self/mountinfo']")
        own_rootfs "$b"
        rm -rf "${b:?}/rootfs/$name"
        mkdir -p "$b/rootfs/bad-proc" "$b/rootfs/bad-sys"
        ln -s "$target" "$b/rootfs/$name"
        out=$(oci run --bundle "$b" "$id" 2>&1)
        rc=$?
        [ $rc = 0 ] && echo "$out" | sed "s|^|# $id: |"
        check "[row 3] rootfs /$name -> $target: create is refused" [ $rc != 0 ]
        check_eq "[row 3] rootfs /$name -> $target: rootfs/bad-$name is still empty" "" \
                "$(ls -A "$b/rootfs/bad-$name")"
done
check_eq "[row 3] nothing left behind" "" "$(leftovers)"

# ---- row 4: CVE-2021-30465, mount targets swapped for symlinks ----
# Deterministic: rootfs/mnt is an absolute symlink to a host directory; the tmpfs must land
# inside the rootfs (rootfs/<that path>) or be refused, never on the host directory.
mkdir -p "$T/hv"
echo sentinel >"$T/hv/sentinel"
fp_hv=$(fingerprint "$T/hv")
b=$(make_bundle mnt-link \
        "c['process']['args'] = ['sh', '-c', 'grep sec-mnt-link /proc/self/mountinfo; touch /mnt/written-by-container']" \
        "c['mounts'].append({'destination': '/mnt', 'type': 'tmpfs', 'source': 'sec-mnt-link', 'options': ['size=64k']})")
own_rootfs "$b"
rm -rf "${b:?}/rootfs/mnt"
ln -s "$T/hv" "$b/rootfs/mnt"
out=$(oci run --bundle "$b" mnt-link 2>&1)
rc=$?
echo "$out" | sed 's/^/# mnt-link: /'
check "[row 4] tmpfs on /mnt -> $T/hv: refused, or mounted inside the container at that path" \
        [ $rc != 0 -o -n "$(echo "$out" | awk -v p="$T/hv" '$5 == p')" ]
check_eq "[row 4] the host directory behind the symlink is unchanged" "$fp_hv" "$(fingerprint "$T/hv")"
check "[row 4] no mount on the host directory" sh -c "! grep -q ' $T/hv ' /proc/self/mountinfo"

# Race: a shared volume where d (a directory) and lnk (a symlink to a host directory) are
# exchanged with renameat2(RENAME_EXCHANGE) all the time, and ten tmpfs mounts below
# /vol/d/ per container: every mount that happens must be inside the container; a mount that
# followed the symlink on the host would create directories in the host directory.
if build_helper renameat2-race; then
        runs=${SEC_RACE_RUNS:-100}
        mkdir -p "$T/vol/d" "$T/hv4"
        echo sentinel >"$T/hv4/sentinel"
        ln -s "$T/hv4" "$T/vol/lnk"
        fp_hv4=$(fingerprint "$T/hv4")
        edits=("c['process']['args'] = ['sh', '-c', 'grep -c \" sec-race \" /proc/self/mountinfo']"
                "c['mounts'].append({'destination': '/vol', 'type': 'bind', 'source': '$T/vol', 'options': ['rbind']})")
        for k in $(seq 10); do
                edits+=("c['mounts'].append({'destination': '/vol/d/m$k/x', 'type': 'tmpfs', 'source': 'sec-race', 'options': ['size=16k']})")
        done
        b=$(make_bundle race "${edits[@]}")
        own_rootfs "$b"
        check_eq "[row 4] race control: with nothing racing, the ten mounts are made" 10 \
                "$(oci run --bundle "$b" race 2>&1)"
        "$HELPERS/renameat2-race" "$T/vol" d lnk "$T/race.stop" >"$T/race.count" &
        racer=$!
        good=0 refused=0 escaped=0
        for i in $(seq "$runs"); do
                out=$(oci run --bundle "$b" race 2>&1)
                if [ $? = 0 ]; then
                        if [ "$out" = 10 ]; then good=$((good + 1)); else escaped=$((escaped + 1)); echo "# race run $i: $out"; fi
                else
                        refused=$((refused + 1))
                fi
        done
        touch "$T/race.stop"
        wait $racer
        echo "# $runs runs x 10 mounts: $good complete, $refused refused, $escaped with mounts missing; $(cat "$T/race.count") exchanges"
        check "[row 4] race: every mount made is inside the container ($escaped runs lost one)" [ $escaped = 0 ]
        check_eq "[row 4] race: the host directory behind the symlink is unchanged" "$fp_hv4" \
                "$(fingerprint "$T/hv4")"
        check "[row 4] race: no mount on the host directory" sh -c "! grep -q ' $T/hv4' /proc/self/mountinfo"
else
        skip "[row 4] renameat2 exchange race" "gcc -static unavailable"
fi
check_eq "[row 4] nothing left behind" "" "$(leftovers)"

# ---- row 5: CVE-2024-45310 and friends, creating files through rootfs symlinks ----
# rootfs/dev -> a host directory holding a marker 'ptmx', no tmpfs on /dev, a linux.devices
# entry: nothing in the host directory may be created, replaced or removed.
no_dev_tmpfs="c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/dev']"
# Without any mount below /dev either, so that the runtime's own /dev setup (device nodes,
# /dev symlinks, ptmx) is what meets the symlink.
no_dev_mounts="c['mounts'] = [m for m in c['mounts'] if not m['destination'].startswith('/dev')]"
fuse="c['linux']['devices'] = [{'path': '/dev/fuse', 'type': 'c', 'major': 10, 'minor': 229, 'fileMode': 0o666}]"
mkdir -p "$T/outdev"
echo marker >"$T/outdev/ptmx"
fp_outdev=$(fingerprint "$T/outdev")
for style in absolute relative; do
        target=$T/outdev
        [ $style = relative ] && target=../../../../../../../..$T/outdev
        b=$(make_bundle devlink-$style "$no_dev_mounts" "$fuse" "c['process']['args'] = ['ls', '-l', '/dev/']")
        own_rootfs "$b"
        rm -rf "${b:?}/rootfs/dev"
        ln -s "$target" "$b/rootfs/dev"
        out=$(oci run --bundle "$b" devlink-$style 2>&1)
        echo "$out" | sed "s/^/# devlink-$style: /"
        check_eq "[row 5] rootfs/dev -> host dir ($style), linux.devices /dev/fuse: the host dir is unchanged" \
                "$fp_outdev" "$(fingerprint "$T/outdev")"
done
# rootfs/a -> host directory; a tmpfs on /a/b/c must not create b on the host.
mkdir -p "$T/hv2"
fp_hv2=$(fingerprint "$T/hv2")
b=$(make_bundle alink "c['process']['args'] = ['true']" \
        "c['mounts'].append({'destination': '/a/b/c', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['size=16k']})")
own_rootfs "$b"
ln -s "$T/hv2" "$b/rootfs/a"
oci run --bundle "$b" alink >/dev/null 2>&1
check "[row 5] rootfs/a -> host dir, tmpfs on /a/b/c: the host dir gets no 'b'" [ ! -e "$T/hv2/b" ]
check_eq "[row 5] ... and is unchanged" "$fp_hv2" "$(fingerprint "$T/hv2")"
# A linux.devices entry below a symlinked directory.
mkdir -p "$T/hv3"
fp_hv3=$(fingerprint "$T/hv3")
b=$(make_bundle devdir "c['process']['args'] = ['true']" \
        "c['linux']['devices'] = [{'path': '/a/fuse', 'type': 'c', 'major': 10, 'minor': 229}]")
own_rootfs "$b"
ln -s "$T/hv3" "$b/rootfs/a"
oci run --bundle "$b" devdir >/dev/null 2>&1
check_eq "[row 5] linux.devices at /a/fuse with rootfs/a -> host dir: the host dir is unchanged" \
        "$fp_hv3" "$(fingerprint "$T/hv3")"
# Entries already in rootfs/dev (no tmpfs) that are symlinks to a host file: never followed.
echo sentinel >"$T/devnode-sentinel"
fp_dn=$(fingerprint "$T/devnode-sentinel")
for node in null zero tty fuse ptmx fd stdin core; do
        b=$(make_bundle devnode-$node "$no_dev_tmpfs" "$fuse" "c['process']['args'] = ['true']")
        own_rootfs "$b"
        ln -s "$T/devnode-sentinel" "$b/rootfs/dev/$node"
        oci run --bundle "$b" devnode-$node >/dev/null 2>&1
        check_eq "[row 5] rootfs/dev/$node -> host file: the file is unchanged" "$fp_dn" \
                "$(fingerprint "$T/devnode-sentinel")"
done
check_eq "[row 5] nothing left behind" "" "$(leftovers)"

# ---- row 7: CVE-2025-31133, masking with a /dev/null that is not the null device ----
# /dev is a bind of a host directory whose 'null' is (a) a symlink to core_pattern, (b) a
# symlink to a host sentinel, (c) a regular file, (d) another device, (e) absent. Masked
# files must then be the null device, or the container refused.
masked=""
for p in /proc/kcore /proc/keys /proc/timer_list; do [ -e "$p" ] && masked="$masked $p"; done
core0=$(cat /proc/sys/kernel/core_pattern)
echo sentinel >"$T/null-sentinel"
fp_ns=$(fingerprint "$T/null-sentinel")
if [ -z "$masked" ]; then
        skip "[row 7] masking with a fake /dev/null" "none of /proc/kcore, /proc/keys, /proc/timer_list exists"
else
        for kind in core_pattern sentinel file zero absent; do
                d=$T/dev-$kind
                mkdir -p "$d"
                case $kind in
                core_pattern) ln -s /proc/sys/kernel/core_pattern "$d/null" ;;
                sentinel) ln -s "$T/null-sentinel" "$d/null" ;;
                file) echo not-null >"$d/null" ;;
                zero) mknod "$d/null" c 1 5 ;;
                absent) ;;
                esac
                b=$(make_bundle mask-$kind \
                        "c['mounts'] = [({'destination': '/dev', 'type': 'bind', 'source': '$d', 'options': ['rbind']} if m['destination'] == '/dev' else m) for m in c['mounts']]" \
                        "c['process']['args'] = ['sh', '-c', 'for p in $masked; do stat -c \"%n %t:%T %F\" \$p; done']")
                out=$(oci run --bundle "$b" mask-$kind 2>&1)
                rc=$?
                echo "$out" | sed "s/^/# mask-$kind: /"
                bad=$(echo "$out" | grep '^/proc/' | grep -v ' 1:3 character special file$')
                check "[row 7] /dev/null is $kind: refused, or every masked file is the null device" \
                        [ $rc != 0 -o \( -z "$bad" -a -n "$(echo "$out" | grep '^/proc/')" \) ]
        done
fi
check_eq "[row 7] the host's core_pattern is unchanged" "$core0" "$(cat /proc/sys/kernel/core_pattern)"
check_eq "[row 7] the sentinel /dev/null pointed at is unchanged" "$fp_ns" "$(fingerprint "$T/null-sentinel")"
check_eq "[row 7] nothing left behind" "" "$(leftovers)"

# ---- row 9: CVE-2025-52881, sysctl writes redirected by a mount ----
dom0=$(cat /proc/sys/kernel/domainname)
# Control: without tampering a sysctl reaches the container's own UTS namespace (else the
# checks below pass for the wrong reason).
b=$(make_bundle sysctl-ok "c['process']['args'] = ['cat', '/proc/sys/kernel/domainname']" \
        "c['linux']['sysctl'] = {'kernel.domainname': 'ctr-sysctl-ok'}")
out=$(oci run --bundle "$b" sysctl-ok 2>&1)
check_eq "[row 9] control: linux.sysctl kernel.domainname is applied with the default spec" "ctr-sysctl-ok" "$out"
echo host-file-sentinel >"$T/dom-sentinel"
fp_dom=$(fingerprint "$T/dom-sentinel")
b=$(make_bundle sysctl-redirect "c['process']['args'] = ['cat', '/proc/sys/kernel/domainname']" \
        "c['linux']['sysctl'] = {'kernel.domainname': 'pwned'}" \
        "c['mounts'].append({'destination': '/proc/sys/kernel/domainname', 'type': 'bind', 'source': '$T/dom-sentinel', 'options': ['bind']})")
out=$(oci run --bundle "$b" sysctl-redirect 2>&1)
rc=$?
echo "$out" | sed 's/^/# sysctl-redirect: /'
check "[row 9] a bind over the sysctl file: the write fails, or does not land in the bound file" \
        [ $rc != 0 -o "$(cat "$T/dom-sentinel")" = host-file-sentinel ]
check_eq "[row 9] the bound host file is unchanged" "$fp_dom" "$(fingerprint "$T/dom-sentinel")"
check_eq "[row 9] the host's domainname is unchanged" "$dom0" "$(cat /proc/sys/kernel/domainname)"
# The runtime's own use of /proc after pivot_root: masking and read-only paths go through
# /proc/self/fd/N of the container's procfs. A mount over /proc/self/fd (it lands on
# /proc/1/task/1/fd) full of symlinks sends the masking tmpfs elsewhere; runc takes a private
# procfs handle before pivot_root for this. Either the container is refused or
# /sys/firmware (non-empty on the host) is masked.
if [ -n "$(ls -A /sys/firmware 2>/dev/null)" ]; then
        mkdir -p "$T/fakefd"
        for k in $(seq 3 64); do ln -s /tmp/redirect "$T/fakefd/$k"; done
        for lists in default no-readonly; do
                extra=()
                [ $lists = no-readonly ] && extra=("c['linux']['readonlyPaths'] = []" "c['root']['readonly'] = False")
                b=$(make_bundle fdredir-$lists "${extra[@]}" \
                        "c['process']['args'] = ['sh', '-c', 'ls -A /sys/firmware | wc -l']" \
                        "c['mounts'].append({'destination': '/tmp/redirect', 'type': 'tmpfs', 'source': 'tmpfs'})" \
                        "c['mounts'].append({'destination': '/proc/self/fd', 'type': 'bind', 'source': '$T/fakefd', 'options': ['rbind']})")
                own_rootfs "$b"
                out=$(oci run --bundle "$b" fdredir-$lists 2>&1)
                rc=$?
                echo "$out" | sed "s/^/# fdredir-$lists: /"
                check "[row 9] a mount over /proc/self/fd ($lists lists): refused, or /sys/firmware still masked" \
                        [ $rc != 0 -o "$out" = 0 ]
        done
else
        skip "[row 9] a mount over /proc/self/fd cannot redirect masking" "/sys/firmware is empty or absent here"
fi
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
        b=$(make_bundle aa-redirect "c['process']['args'] = ['cat', '/proc/self/attr/current']" \
                "c['process']['apparmorProfile'] = 'unconfined'" \
                "c['mounts'].append({'destination': '/proc/self/attr/apparmor/exec', 'type': 'bind', 'source': '/proc/self/sched', 'options': ['bind']})")
        out=$(oci run --bundle "$b" aa-redirect 2>&1)
        check "[row 9] AppArmor: a bind over attr/apparmor/exec is refused or the profile applies" \
                [ $? != 0 -o "$out" = unconfined ]
else
        skip "[row 9] AppArmor label write redirected by a bind over attr/apparmor/exec" "AppArmor is not enabled"
fi
check_eq "[row 9] nothing left behind" "" "$(leftovers)"

# ---- row 17: files the runtime could write in the rootfs are symlinks to host files ----
for f in hostname hosts resolv.conf; do echo "host-sentinel-$f" >"$T/etc-$f"; done
fp_etc=$(fingerprint "$T/etc-hostname")$(fingerprint "$T/etc-hosts")$(fingerprint "$T/etc-resolv.conf")
for style in absolute relative; do
        b=$(make_bundle etc-$style "c['hostname'] = 'ctr-sec'" \
                "c['process']['args'] = ['sh', '-c', 'hostname; cat /etc/hostname /etc/hosts /etc/resolv.conf 2>&1']")
        own_rootfs "$b"
        for f in hostname hosts resolv.conf; do
                if [ $style = absolute ]; then ln -s "$T/etc-$f" "$b/rootfs/etc/$f"
                else ln -s "../../../../../../../..$T/etc-$f" "$b/rootfs/etc/$f"; fi
        done
        out=$(oci run --bundle "$b" etc-$style 2>&1)
        check "[row 17] /etc/{hostname,hosts,resolv.conf} -> host files ($style): the container cannot read them" \
                lacks "$out" host-sentinel
        check_eq "[row 17] ... and they are unchanged ($style)" "$fp_etc" \
                "$(fingerprint "$T/etc-hostname")$(fingerprint "$T/etc-hosts")$(fingerprint "$T/etc-resolv.conf")"
done

# ---- row 23: the default spec's read-only and masked paths ----
b=$(make_bundle defaults "c['process']['args'] = ['/bin/sh', '/check.sh']")
own_rootfs "$b"
cat >"$b/rootfs/check.sh" <<'SH'
echo "--- mountinfo"
cat /proc/self/mountinfo
echo "--- stat"
for p in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/timer_stats /proc/latency_stats; do
        [ -e $p ] && stat -c "%n %t:%T %F %s" $p
done
echo "--- dirs"
for d in /proc/acpi /proc/scsi /proc/asound /sys/firmware /sys/devices/virtual/powercap; do
        [ -d $d ] && echo "$d $(ls -A $d | wc -l)"
done
echo "--- openw"
[ -x /probe ] && /probe openw /proc/sysrq-trigger /proc/sys/kernel/domainname
echo "--- end"
SH
$have_probe && cp "$HELPERS/probe" "$b/rootfs/probe"
oci run --bundle "$b" defaults >"$T/defaults.out" 2>&1
check "[row 23] a container with the default spec runs" [ $? = 0 ]
sed -n '/^--- mountinfo/,/^--- stat/p' "$T/defaults.out" | grep -v '^---' >"$T/defaults.mi"
for p in /proc/sys /proc/sysrq-trigger /proc/irq /proc/bus /proc/fs /sys; do
        if [ -e "$p" ]; then
                check "[row 23] $p is read-only in the container ($(mount_opts "$T/defaults.mi" "$p"))" \
                        is_ro_mount "$T/defaults.mi" "$p"
        else
                skip "[row 23] $p is read-only in the container" "$p does not exist on this kernel"
        fi
done
cg_rw=$(awk '$5 ~ "^/sys/fs/cgroup" && $6 !~ /(^|,)ro(,|$)/ {print $5}' "$T/defaults.mi")
check_eq "[row 23] every cgroup mount is read-only" "" "$cg_rw"
for p in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug; do
        if [ -e "$p" ]; then
                line=$(grep "^$p " "$T/defaults.out")
                check_match "[row 23] $p is masked by the null device" " 1:3 character special file 0$" "$line"
        else
                skip "[row 23] $p is masked" "$p does not exist on this kernel"
        fi
done
for d in /proc/acpi /proc/scsi /sys/firmware; do
        if [ -d "$d" ]; then
                check_eq "[row 23] $d is masked (empty)" "$d 0" "$(grep "^$d " "$T/defaults.out")"
        else
                skip "[row 23] $d is masked" "$d does not exist on this kernel"
        fi
done
if $have_probe; then
        if [ -e /proc/sysrq-trigger ]; then
                check_eq "[row 23] /proc/sysrq-trigger cannot be opened for writing (nothing is written)" \
                        "/proc/sysrq-trigger: EROFS" "$(grep '^/proc/sysrq-trigger:' "$T/defaults.out")"
        else
                skip "[row 23] /proc/sysrq-trigger cannot be opened for writing" "no /proc/sysrq-trigger on this kernel"
        fi
        check_eq "[row 23] /proc/sys files cannot be opened for writing" \
                "/proc/sys/kernel/domainname: EROFS" "$(grep '^/proc/sys/kernel/domainname:' "$T/defaults.out")"
else
        skip "[row 23] write opens of /proc/sysrq-trigger and /proc/sys" "gcc -static unavailable"
fi
check_eq "[row 23] nothing left behind" "" "$(leftovers)"
done_testing
