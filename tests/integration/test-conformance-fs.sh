#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# OCI runtime-spec 1.3.0 conformance, the container's filesystem: root, mounts (order, options,
# bind/rbind, propagation), maskedPaths, readonlyPaths, default and configured devices, /dev
# symlinks (runtime-linux.md), rootfsPropagation.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/conformance-lib.sh"

# ---- default devices, /dev symlinks, default filesystems, the config's mounts ----
DEVS='for d in null zero full random urandom tty; do echo "dev $d=$(stat -c "%F %t:%T" /dev/$d)"; done
echo "ptmx=$(stat -L -c "%F %t:%T" /dev/ptmx)"
for l in fd stdin stdout stderr; do echo "link $l=$(stat -c %F /dev/$l) $(readlink /dev/$l)"; done
echo x >/dev/null && echo "null=ok"
echo "zero=$(head -c 5 /dev/zero | wc -c)"
echo "urandom=$(head -c 5 /dev/urandom | wc -c)"
echo x 2>/dev/null >/dev/full || echo "full=enospc"
echo mountinfo-begin; cat /proc/self/mountinfo; echo mountinfo-end'
crun devs "$DEVS"
check_eq "default devices: the container runs" 0 "$RC"
for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
        check_eq "default device /dev/${d%%:*} is ${d#*:}" "character special file ${d#*:}" "$(val "dev ${d%%:*}")"
done
check_eq "/dev/ptmx is (or leads to) the pts multiplexer 5:2" "character special file 5:2" "$(val ptmx)"
check_eq "/dev/fd -> /proc/self/fd" "symbolic link /proc/self/fd" "$(val 'link fd')"
for l in stdin:0 stdout:1 stderr:2; do
        check_eq "/dev/${l%:*} -> /proc/self/fd/${l#*:}" "symbolic link /proc/self/fd/${l#*:}" "$(val "link ${l%:*}")"
done
check_eq "/dev/null swallows writes" "ok" "$(val null)"
check_eq "/dev/zero reads" "5" "$(val zero)"
check_eq "/dev/urandom reads" "5" "$(val urandom)"
check_eq "/dev/full fails writes" "enospc" "$(val full)"
MI=$(printf '%s\n' "$OUT" | sed -n '/^mountinfo-begin$/,/^mountinfo-end$/p' | sed '1d;$d')
fstype() { printf '%s\n' "$MI" | awk -v m="$1" '$5 == m { for (i = 7; $i != "-"; i++); t = $(i + 1) } END { print t }'; }
for fs in /proc:proc /sys:sysfs /dev/pts:devpts /dev/shm:tmpfs; do
        check_eq "default filesystem ${fs%:*} is ${fs#*:} (SHOULD)" "${fs#*:}" "$(fstype "${fs%:*}")"
done
# runtime-tools' validatePosixMounts: every non-bind config mount is in mountinfo with its
# destination, type and source, in the configured order. (On cgroup v1 a "cgroup" mount of
# /sys/fs/cgroup is a tmpfs of per-controller mounts: left out.)
printf '%s\n' "$MI" >"$T/devs.mountinfo"
check_eq "the config's mounts are in mountinfo, destination, type and source, in order" "ok" "$(python3 - "$T/devs/config.json" "$T/devs.mountinfo" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
mi = []
for line in open(sys.argv[2]):
    f = line.split()
    i = f.index("-")
    mi.append((f[4], f[i + 1], f[i + 2]))
pos, bad = -1, []
for m in c["mounts"]:
    if m.get("type") in ("bind", "rbind") or {"bind", "rbind"} & set(m.get("options", [])):
        continue
    if m["destination"] == "/sys/fs/cgroup" and m.get("type") == "cgroup":
        continue
    want = (m["destination"], m.get("type"), m.get("source"))
    idx = [k for k, x in enumerate(mi) if x == want]
    if not idx:
        bad.append("missing %s (have %s)" % (want, [x for x in mi if x[0] == m["destination"]]))
    elif idx[-1] < pos:
        bad.append("out of order %s" % (want,))
    else:
        pos = idx[-1]
print("ok" if not bad else "; ".join(bad))
PY
)"
crun devuser 'echo x >/dev/null && head -c 1 /dev/zero >/dev/null && head -c 1 /dev/urandom >/dev/null && echo ok' \
        "c['process']['user'] = {'uid': 1000, 'gid': 1000}"
check_eq "the default devices are usable by a non-root user" "ok" "$OUT"

# ---- root ----
crun rootro 'touch /rootfs-write-test 2>/dev/null && echo writable || echo readonly; awk "\$5 == \"/\" {print \$6}" /proc/self/mountinfo'
check_eq "root.readonly true: the root filesystem is read-only" "readonly" "$(echo "$OUT" | head -n1)"
check_match "root.readonly true: / is mounted ro" '^ro' "$(echo "$OUT" | sed -n 2p)"
crun rootrw 'touch /rootfs-write-test 2>/dev/null && echo writable || echo readonly; rm -f /rootfs-write-test' "c['root']['readonly'] = False"
check_eq "root.readonly false: the root filesystem is writable" "writable" "$OUT"

# ---- mounts: order, options, bind, rbind ----
mkdir -p "$T/src1" "$T/rb/sub" "$T/relbind/data"
echo one >"$T/src1/f1"
echo content >"$T/file.txt"
host_mount -t tmpfs tmpfs "$T/rb/sub"
echo inner >"$T/rb/sub/inner"
cp "$BASE_ROOTFS/bin/busybox" "$T/src1/bb"
M="c['mounts'] += [
 {'destination': '/o/inner', 'type': 'bind', 'source': '$T/src1', 'options': ['rbind']},
 {'destination': '/o', 'type': 'tmpfs', 'source': 'tmpfs'},
 {'destination': '/p', 'type': 'tmpfs', 'source': 'tmpfs'},
 {'destination': '/p/inner', 'type': 'bind', 'source': '$T/src1', 'options': ['rbind']},
 {'destination': '/opt1', 'type': 'tmpfs', 'source': 'conftmp1', 'options': ['ro', 'nosuid', 'nodev', 'noexec', 'noatime']},
 {'destination': '/opt2', 'type': 'tmpfs', 'source': 'conftmp2', 'options': ['rw', 'strictatime', 'nodiratime', 'sync', 'dirsync', 'lazytime', 'nosymfollow', 'size=2m', 'mode=1770', 'uid=1000', 'gid=1001']},
 {'destination': '/opt3', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['defaults', 'atime', 'diratime', 'dev', 'exec', 'suid', 'async', 'relatime', 'norelatime', 'nostrictatime', 'nolazytime', 'iversion', 'noiversion', 'silent', 'loud', 'rw', 'relatime']},
 {'destination': '/opt4', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['noexec']},
 {'destination': '/rm', 'type': 'tmpfs', 'source': 'tmpfs'},
 {'destination': '/rm', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['remount', 'ro']},
 {'destination': '/b1', 'type': 'bind', 'source': '$T/src1', 'options': ['bind', 'ro']},
 {'destination': '/etc/conf-file', 'type': 'bind', 'source': '$T/file.txt', 'options': ['bind', 'ro']},
 {'destination': '/rb1', 'type': 'bind', 'source': '$T/rb', 'options': ['rbind']},
 {'destination': '/rb2', 'type': 'bind', 'source': '$T/rb', 'options': ['bind']},
 {'destination': '/rb3', 'type': 'bind', 'source': '$T/rb', 'options': ['rbind', 'rro']},
 {'destination': '/nt', 'source': '$T/src1', 'options': ['bind', 'ro']},
]"
MNT='opts() { awk -v m="$1" "\$5 == m { o = \$6; for (i = 7; \$i != \"-\"; i++); print o \" \" \$(i + 2) \" \" \$(i + 3) }" /proc/self/mountinfo | tail -n1; }
echo "hidden=$(cat /o/inner/f1 2>/dev/null || echo hidden)"
echo "nested=$(cat /p/inner/f1 2>/dev/null || echo missing)"
echo "order=$(awk "\$5 == \"/p\" || \$5 == \"/p/inner\" {print \$5}" /proc/self/mountinfo | tr "\n" " ")"
echo "opt1=$(opts /opt1)"
touch /opt1/x 2>/dev/null && echo opt1w=yes || echo opt1w=no
echo "opt2=$(opts /opt2)"
echo "opt2stat=$(stat -c "%a %u:%g" /opt2) $(df -k /opt2 | awk "NR == 2 {print \$2}")"
echo "opt3=$(opts /opt3)"
cp /bin/busybox /opt3/busybox && /opt3/busybox true && echo "opt3exec=yes"
cp /bin/busybox /opt4/busybox && { /opt4/busybox true 2>/dev/null && echo "opt4exec=yes" || echo "opt4exec=no"; }
echo "rm=$(opts /rm)"
echo "b1=$(cat /b1/f1) $(touch /b1/x 2>/dev/null && echo writable || echo readonly) $(opts /b1 | cut -d, -f1)"
echo "conffile=$(cat /etc/conf-file) $(opts /etc/conf-file | cut -d, -f1)"
echo "rb1=$(cat /rb1/sub/inner 2>/dev/null || echo missing)"
echo "rb2=$(cat /rb2/sub/inner 2>/dev/null || echo missing)"
echo "rb3=$(touch /rb3/sub/x 2>/dev/null && echo writable || echo readonly)"
echo "nt=$(cat /nt/f1) $(opts /nt | cut -d, -f1)"'
crun mounts "$MNT" "$M"
check_eq "mounts: the container runs" 0 "$RC"
check_eq "mounts are made in order: a later tmpfs on /o hides the earlier /o/inner" "hidden" "$(val hidden)"
check_eq "mounts are made in order: /p/inner after /p is visible" "one" "$(val nested)"
check_eq "mounts are made in order: mountinfo lists /p, then /p/inner" "/p /p/inner " "$(val order)"
check_match "tmpfs ro,nosuid,nodev,noexec,noatime" '^ro,nosuid,nodev,noexec,noatime conftmp1 ro' "$(val opt1)"
check_eq "an ro tmpfs is not writable" "no" "$(val opt1w)"
check_match "mount options: strictatime (no relatime/noatime), nodiratime, nosymfollow" '^rw,nodiratime,nosymfollow conftmp2' "$(val opt2)"
check_match "mount options: sync, dirsync, lazytime (super block flags)" '^[^ ]+ conftmp2 rw,sync,dirsync,lazytime' "$(val opt2)"
check_eq "tmpfs data options mode=1770, uid/gid, size=2m" "1770 1000:1001 2048" "$(val opt2stat)"
check_match "every MUST flag option is accepted (defaults atime diratime dev exec suid async relatime norelatime ...)" '^rw' "$(val opt3)"
check_eq "exec option: binaries run" "yes" "$(val opt3exec)"
check_eq "noexec option: binaries do not run" "no" "$(val opt4exec)"
check_match "remount option: an existing mount is remounted ro" '^ro' "$(val rm)"
check_eq "bind with ro: readable, read-only" "one readonly ro" "$(val b1)"
check_eq "a file bind-mounted on a file, ro" "content ro" "$(val conffile)"
check_eq "rbind brings the submounts" "inner" "$(val rb1)"
check_eq "bind does not bring the submounts" "missing" "$(val rb2)"
check_eq "rro makes the submounts read-only too (SHOULD)" "readonly" "$(val rb3)"
check_eq "a mount without type, with 'bind' in options, is a bind mount" "one ro" "$(val nt)"
check_eq "the bind-mount sources are untouched" "one" "$(cat "$T/src1/f1")"
crun relbind 'echo written >/b2/written && echo ok' \
        "c['mounts'].append({'destination': '/b2', 'type': 'bind', 'source': 'data', 'options': ['bind', 'rw']})"
check_eq "a bind source relative to the bundle" "0 ok" "$RC $OUT"
check_eq "... writes reach the bundle's directory" "written" "$(cat "$T/relbind/data/written" 2>/dev/null)"

# ---- propagation options of bind mounts, against a shared host mount ----
mkdir -p "$T/prop" "$T/h"
host_mount --bind "$T/prop" "$T/prop"
mount --make-shared "$T/prop"
mkdir -p "$T/prop/new"
PROP="c['mounts'] += [
 {'destination': '/h', 'type': 'bind', 'source': '$T/h', 'options': ['rbind', 'rw']},
 {'destination': '/pslave', 'type': 'bind', 'source': '$T/prop', 'options': ['rbind', 'rslave']},
 {'destination': '/pshared', 'type': 'bind', 'source': '$T/prop', 'options': ['rbind', 'rshared']},
 {'destination': '/ppriv', 'type': 'bind', 'source': '$T/prop', 'options': ['rbind', 'rprivate']},
 {'destination': '/punb', 'type': 'bind', 'source': '$T/prop', 'options': ['rbind', 'runbindable']},
]"
b=$(bundle prop 'tags() { awk -v m="$1" "\$5 == m { t = \"\"; for (i = 7; \$i != \"-\"; i++) t = t \" \" \$i; print t }" /proc/self/mountinfo | tail -n1; }
while [ ! -e /h/go ]; do sleep 0.05; done
{ for d in pslave pshared ppriv punb; do
        echo "$d=$(cat /$d/new/file 2>/dev/null || echo no)|$(tags /$d)"
done; } >/h/prop.tmp; mv /h/prop.tmp /h/prop.out' "$PROP")
oci run -d --bundle "$b" prop
wait_for status_is prop running
host_mount -t tmpfs tmpfs "$T/prop/new"
echo yes >"$T/prop/new/file"
touch "$T/h/go"
wait_for test -s "$T/h/prop.out"
OUT=$(cat "$T/h/prop.out" 2>/dev/null)
check_match "rslave: mounts made on the host propagate in" '^yes\|' "$(val pslave)"
check_match "rslave: the mount is a slave (master:N)" 'master:' "$(val pslave)"
check_match "rshared: the mount is shared (shared:N)" 'shared:' "$(val pshared)"
check_match "rprivate: host mounts do not propagate in" '^no\|' "$(val ppriv)"
check_match "rprivate: the mount has no propagation tags" '^no\|$' "$(val ppriv)"
check_match "runbindable: the mount is unbindable" 'unbindable' "$(val punb)"
oci delete --force prop >/dev/null 2>&1
umount "$T/prop/new"

# ---- maskedPaths, readonlyPaths ----
mkdir -p "$BASE_ROOTFS/etc/mdir" "$BASE_ROOTFS/etc/rodir"
echo secret >"$BASE_ROOTFS/etc/mdir/secret"
echo secret >"$BASE_ROOTFS/etc/mfile"
echo data >"$BASE_ROOTFS/etc/rofile"
crun masked 'echo "keys=$(head -c 10 /proc/keys | wc -c)"
echo "timer_list=$(head -c 10 /proc/timer_list | wc -c)"
echo "mfile=$(cat /etc/mfile 2>&1 | wc -c)"
echo "mdir=$(ls -A /etc/mdir | wc -l)"
touch /etc/mdir/x 2>/dev/null && echo mdirw=yes || echo mdirw=no
echo "firmware=$(ls -A /sys/firmware | wc -l)"
echo "procsys=$(awk "\$5 == \"/proc/sys\" {print \$6}" /proc/self/mountinfo | cut -d, -f1)"
echo x 2>/dev/null >/proc/sys/kernel/domainname && echo sysw=yes || echo sysw=no
echo "irq=$(awk "\$5 == \"/proc/irq\" {print \$6}" /proc/self/mountinfo | cut -d, -f1)"
echo x 2>/dev/null >/etc/rofile && echo rofilew=yes || echo rofilew=no
touch /etc/rodir/x 2>/dev/null && echo rodirw=yes || echo rodirw=no
touch /etc/rw-test 2>/dev/null && echo etcw=yes || echo etcw=no; rm -f /etc/rw-test' \
        "c['root']['readonly'] = False" "$HOST_CAPS_EDIT" \
        "c['linux']['maskedPaths'] = ['/proc/keys', '/proc/timer_list', '/sys/firmware', '/etc/mdir', '/etc/mfile']" \
        "c['linux']['readonlyPaths'] = ['/proc/sys', '/proc/irq', '/etc/rodir', '/etc/rofile']"
check_eq "maskedPaths: the container runs" 0 "$RC"
check_eq "maskedPaths: /proc/keys reads empty" "0" "$(val keys)"
check_eq "maskedPaths: /proc/timer_list reads empty" "0" "$(val timer_list)"
check_eq "maskedPaths: a file of the rootfs reads empty" "0" "$(val mfile)"
check_eq "maskedPaths: a directory of the rootfs looks empty" "0" "$(val mdir)"
check_eq "maskedPaths: ... and cannot be written" "no" "$(val mdirw)"
check_eq "maskedPaths: /sys/firmware looks empty" "0" "$(val firmware)"
check_eq "readonlyPaths: /proc/sys is mounted ro" "ro" "$(val procsys)"
check_eq "readonlyPaths: /proc/sys cannot be written even with CAP_SYS_ADMIN" "no" "$(val sysw)"
check_eq "readonlyPaths: /proc/irq is mounted ro" "ro" "$(val irq)"
check_eq "readonlyPaths: a file of the rootfs is read-only" "no" "$(val rofilew)"
check_eq "readonlyPaths: a directory of the rootfs is read-only" "no" "$(val rodirw)"
check_eq "readonlyPaths: ... while the rest of the rootfs is writable" "yes" "$(val etcw)"

# ---- linux.devices ----
hex() { printf '%x:%x' "$1" "$2"; }
umask_before=$(umask)
umask 077
crun devices 'for d in /dev/mynull /dev/myblk /dev/myfifo /dev/myunbuf /mydev/xnull /dev/test /dev/null; do
        echo "$d=$(stat -c "%F %t:%T %a %u:%g" $d)"
done
echo x >/dev/myunbuf && head -c 2 /dev/myunbuf | wc -c | sed "s/^/myunbuf=/"' \
        "c['linux']['devices'] = [
 {'path': '/dev/mynull', 'type': 'c', 'major': 1, 'minor': 3, 'fileMode': 0o620, 'uid': 1000, 'gid': 1001},
 {'path': '/dev/myblk', 'type': 'b', 'major': 7, 'minor': 0, 'fileMode': 0o640, 'uid': 0, 'gid': 6},
 {'path': '/dev/myfifo', 'type': 'p', 'fileMode': 0o600},
 {'path': '/dev/myunbuf', 'type': 'u', 'major': 1, 'minor': 5, 'fileMode': 0o666},
 {'path': '/mydev/xnull', 'type': 'c', 'major': 1, 'minor': 3, 'fileMode': 0o644},
 {'path': '/dev/test', 'type': 'c', 'major': 80, 'minor': 500, 'fileMode': 438},
 {'path': '/dev/null', 'type': 'c', 'major': 1, 'minor': 3, 'fileMode': 0o666, 'uid': 0, 'gid': 0},
]"
umask "$umask_before"
check_eq "linux.devices (also one that matches a default device): the container runs" 0 "$RC"
check_eq "a char device: type, major:minor, fileMode, uid, gid (runtime umask 077)" "character special file 1:3 620 1000:1001" "$(val /dev/mynull)"
check_eq "a block device" "block special file 7:0 640 0:6" "$(val /dev/myblk)"
check_eq "a fifo" "fifo 0:0 600 0:0" "$(val /dev/myfifo)"
check_eq "an unbuffered char device (u)" "character special file 1:5 666 0:0" "$(val /dev/myunbuf)"
check_eq "a device outside /dev" "character special file 1:3 644 0:0" "$(val /mydev/xnull)"
check_eq "a device with a decimal fileMode 438 and minor > 255" "character special file $(hex 80 500) 666 0:0" "$(val /dev/test)"
check_eq "a listed default device" "character special file 1:3 666 0:0" "$(val /dev/null)"
check_eq "a configured device is usable (/dev/myunbuf, 1:5)" "2" "$(val myunbuf)"

# ---- rootfsPropagation, against a shared host mount of the rootfs ----
RF=$T/rfs
cp -a "$BASE_ROOTFS" "$RF"
mkdir -p "$RF/h" "$RF/mnt/hostmnt"
host_mount --bind "$RF" "$RF"
mount --make-shared "$RF"
rm -f "$T/h/go"
rp_run() { # rp_run PROPAGATION
        local p=$1 b
        b=$(bundle "rp$p" "while [ ! -e /h/go ]; do sleep 0.05; done
echo \"$p=\$(cat /mnt/hostmnt/file 2>/dev/null || echo no)|\$(awk '\$5 == \"/\" { t = \"\"; for (i = 7; \$i != \"-\"; i++) t = t \" \" \$i; print t }' /proc/self/mountinfo | tail -n1)\" >/h/rp-$p.tmp; mv /h/rp-$p.tmp /h/rp-$p.out" \
                "c['root']['path'] = '$RF'" "c['linux']['rootfsPropagation'] = '$p'" \
                "c['mounts'].append({'destination': '/h', 'type': 'bind', 'source': '$T/h', 'options': ['rbind', 'rw']})")
        oci run -d --bundle "$b" "rp$p" >/dev/null 2>"$T/rp$p.err" </dev/null
        check "rootfsPropagation $p: the container runs" [ $? = 0 ]
        [ -s "$T/rp$p.err" ] && echo "#   ($(head -n1 "$T/rp$p.err"))"
}
rfs_mounts() { awk -v r="$RF/" 'index($5, r) == 1' /proc/self/mountinfo | wc -l; }
for p in slave private unbindable; do rp_run "$p"; done
check_eq "containers on a shared rootfs leave no mounts on the host" "0" "$(rfs_mounts)"
rp_run shared
check_eq "rootfsPropagation shared: no container setup mounts (proc, dev, sys...) leak to the host" "0" "$(rfs_mounts)"
host_mount -t tmpfs tmpfs "$RF/mnt/hostmnt"
echo yes >"$RF/mnt/hostmnt/file"
touch "$T/h/go"
for p in shared slave private unbindable; do wait_for test -s "$T/h/rp-$p.out"; done
OUT=$(cat "$T"/h/rp-*.out 2>/dev/null)
check_match "rootfsPropagation shared: / is shared" 'shared:' "$(val shared)"
check_match "rootfsPropagation shared: host mounts propagate in" '^yes' "$(val shared)"
check_match "rootfsPropagation slave: / is a slave" 'master:' "$(val slave)"
check_match "rootfsPropagation slave: host mounts propagate in" '^yes' "$(val slave)"
check_match "rootfsPropagation private: host mounts do not propagate in" '^no\|' "$(val private)"
check_match "rootfsPropagation private: / has no propagation tags" '^no\|$' "$(val private)"
check_match "rootfsPropagation unbindable: / is unbindable" 'unbindable' "$(val unbindable)"
for p in shared slave private unbindable; do oci delete --force "rp$p" >/dev/null 2>&1; done

# a mount destination that is a symlink to a missing directory: the directory is made inside
# the rootfs and the mount lands there (runc does the same); never outside it
b=$(bundle dangle 'awk '"'"'$5 == "/made/here" { print "fs=" $9 }'"'"' /proc/self/mountinfo' \
        "c['mounts'].append({'destination': '/link', 'type': 'tmpfs', 'source': 'tmpfs'})")
own_rootfs "$b"
ln -s /made/here "$b/rootfs/link"
OUT=$(timeout 30 "$CTR_OCI" --root "$ROOT" run --bundle "$b" dangle 2>&1)
check_eq "a mount on a symlink to a missing dir: the container runs" 0 $?
check_eq "the mount is on the symlink's target, made inside the rootfs" tmpfs "$(val fs)"
check "the target dir was made inside the rootfs" [ -d "$b/rootfs/made/here" ]
check "and nothing on the host" [ ! -e /made ]
b=$(bundle dangle2 'true' "c['mounts'].append({'destination': '/link2', 'type': 'tmpfs', 'source': 'tmpfs'})")
own_rootfs "$b"
ln -s ../../../../../made-outside "$b/rootfs/link2"
OUT=$(timeout 30 "$CTR_OCI" --root "$ROOT" run --bundle "$b" dangle2 2>&1)
check "a symlink target climbing with '..' is refused" [ $? != 0 ]
check "and nothing is made outside the rootfs" [ ! -e "$b/made-outside" ] && [ ! -e /made-outside ]

unmount_all
check_eq "nothing left at the end" "" "$(conf_leftovers)"
done_testing
