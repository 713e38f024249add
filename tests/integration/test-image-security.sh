#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Security regression tests for images, through the CLI (ctrctl image import, ctrctl run IMAGE,
# ctrctl run --user NAME IMAGE): catalogue rows 12, 13, 14, 16, 19 and 20 of
# /work/shared/security/cve-catalogue.md. Every check names its row. Sentinels are host files
# under $T whose names, modes, owners and hashes must not change; a refused import must leave
# the store as it was (every file but the lock, and index.json byte for byte).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec-lib.sh"
CTRCTL=${CTRCTL:?}
for tool in python3 zstd xz bzip2 gzip; do
        command -v $tool >/dev/null || skip_all "needs $tool"
done
[ -e /run/systemd/system ] && skip_all "systemd runs here: ctrctl run would make units (the system tier covers it)"

export CTR_STORAGE_DIR=$T/store
ctl() { "$CTRCTL" "$@"; }
FX=$T/fixtures
mkdir -p "$FX"

# Every container of ours is named *-$$: what a killed run leaves behind is ours to remove,
# nobody else's.
cleanup_ours() {
        local f id
        for f in /run/ctr/*-$$.ctr /run/ctr/.*-$$.ctr.tmp; do
                [ -e "$f" ] && rm -f "$f"
        done
        for f in /run/ctrctl/ctr@*-$$; do
                [ -e "$f" ] || continue
                id=${f##*/}
                "$CTR_OCI" --root /run/ctrctl delete --force "$id" >/dev/null 2>&1
        done
        cleanup
}
trap cleanup_ours EXIT

# The store as a listing (lock file aside: opening the store may create it) plus index.json.
store_snapshot() {
        (cd "$CTR_STORAGE_DIR" 2>/dev/null &&
                find . -path ./lock -prune -o -printf '%p %y %m %s %l\n' | LC_ALL=C sort &&
                sha256sum index.json 2>/dev/null)
}
# Nothing of container NAME anywhere: no upper dir in the store, no definition, no state.
no_container_left() { # no_container_left NAME
        [ ! -e "$CTR_STORAGE_DIR/containers/ctr@$1" ] && [ ! -e "/run/ctr/$1.ctr" ] &&
                [ ! -e "/run/ctrctl/ctr@$1" ] && ! grep -q " $CTR_STORAGE_DIR/" /proc/self/mountinfo
}
tmp_empty() { [ -z "$(ls -A "$CTR_STORAGE_DIR/tmp" 2>/dev/null)" ]; }

# A hand-made OCI layout: a python module the fixtures below import.
# py SCRIPT ARGS...: python with ocilib importable, $T, $FX, $BASE_ROOTFS and $$ as T, FX, BASE, PID
py() {
        local code=$1; shift
        python3 - "$@" <<PY
import sys; sys.dont_write_bytecode = True; sys.path.insert(0, "$SRCDIR/tests/integration")
from ocilib import *
T, FX, BASE, PID = "$T", "$FX", "$BASE_ROOTFS", "$$"
$code
PY
}
tar -C "$BASE_ROOTFS" -cf "$FX/base.tar" .

out=$(ctl image import -q "$FX/base.tar" base:1 2>&1)
check "control: the busybox rootfs tarball imports" [ $? = 0 ]
out=$(ctl run --name sec-control-$$ base:1 echo control-ok 2>/dev/null)
check_eq "control: a container of it runs" control-ok "$out"

# ---- row 12: CVE-2024-9676, GHSA-jpcc-p29g-p8mq: /etc/passwd and /etc/group of the image ----
# A symlink to /dev/zero or to a host file, a FIFO, a huge file: a user lookup must fail at
# once, with bounded memory, and never read the host's file. The images share the busybox
# base layer; the second layer holds the hostile /etc.
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:4242:4242:host:/:/bin/sh\n' >"$T/host-passwd"
printf 'root:x:0:\napp:x:4242:\n' >"$T/host-group"
py '
base = tar_dir(BASE)
pw = "root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345::/:/bin/sh\n"
gr = "root:x:0:\napp:x:2345:\nextra:x:3456:app\n"
def top(*e):
    return tar_entries([("etc", "dir")] + list(e))
L = FX + "/r12"
image(L, "ok", [base, top(("etc/passwd", "file", pw), ("etc/group", "file", gr))])
image(L, "zero", [base, top(("etc/passwd", "symlink", "/dev/zero"))])
image(L, "zerocfg", [base, top(("etc/passwd", "symlink", "/dev/zero"))], {"User": "app", "Cmd": ["id", "-u"]})
image(L, "hostabs", [base, top(("etc/passwd", "symlink", T + "/host-passwd"))])
image(L, "hostrel", [base, top(("etc/passwd", "symlink", "../" * 40 + T[1:] + "/host-passwd"))])
image(L, "fifo", [base, top(("etc/passwd", "file", pw), ("etc/group", "fifo"))])
image(L, "grpzero", [base, top(("etc/passwd", "file", pw), ("etc/group", "symlink", "/dev/zero"))])
image(L, "grphost", [base, top(("etc/passwd", "file", pw), ("etc/group", "symlink", T + "/host-group"))])
image(L, "big", [base, top(("etc/passwd", "file", "#" * (2 << 20) + "\n" + pw))])
'
out=$(ctl image import "$FX/r12" 2>&1)
check "[row 12] the images with hostile /etc/passwd and /etc/group import (they are only data)" [ $? = 0 ]

# timed_run NAME ARGS...: ctrctl run under timeout 10 and /usr/bin/time; sets out, rc, ms, rss
# (KiB, empty without /usr/bin/time).
timed_run() {
        local t0 t1
        rm -f "$T/rss"
        t0=$(date +%s%N)
        if [ -x /usr/bin/time ]; then
                out=$(/usr/bin/time -f '%M' -o "$T/rss" timeout 10 "$CTRCTL" run --name "$@" 2>&1)
                rc=$?
        else
                out=$(timeout 10 "$CTRCTL" run --name "$@" 2>&1)
                rc=$?
        fi
        t1=$(date +%s%N)
        ms=$(((t1 - t0) / 1000000))
        rss=$(tail -n 1 "$T/rss" 2>/dev/null)
}
out=$(ctl run --name sec-ok-$$ --user app r12:ok id -u 2>/dev/null)
check_eq "[row 12] control: --user app of an image with app in its /etc/passwd runs as its uid" 1234 "$out"
out=$(ctl run --name sec-ok2-$$ --user app r12:ok sh -c 'id -g; id -G' 2>/dev/null)
check_eq "[row 12] control: with the primary group of its passwd entry and its memberships" "2345
2345 3456" "$out"
# "within 5 s" and the 64 MiB of RSS are generous bounds: a lookup that reads /dev/zero or blocks
# on a FIFO runs into the 10 s timeout or grows without end, a refusal takes milliseconds.
for c in zero:app:passwd zerocfg::passwd hostabs:app:passwd hostrel:app:passwd fifo:app:group \
        fifo:app:app:group grpzero:app:app:group grphost:app:app:group big:app:passwd; do
        img=${c%%:*}
        rest=${c#*:}
        file=${rest##*:}
        user=${rest%:*}
        name=sec-$img-$$
        if [ -n "$user" ]; then
                timed_run "$name" --user "$user" "r12:$img" id -u
        else
                timed_run "$name" "r12:$img"
        fi
        what="[row 12] $img (--user ${user:-none: the image config says app})"
        [ $rc = 0 ] && echo "# $what ran: $out"
        check "$what: the start fails (status $rc, not the timeout's 124)" [ $rc != 0 -a $rc != 124 ]
        check "$what: within 5 s (${ms} ms)" [ "$ms" -lt 5000 ]
        check_match "$what: the error names the image's /etc/$file" "/etc/$file" "$out"
        check "$what: the host file's uid 4242 never appears" bash -c '! printf "%s" "$1" | grep -q 4242' _ "$out"
        if [ -n "$rss" ]; then
                check "$what: bounded memory (max RSS ${rss} KiB < 64 MiB)" [ "$rss" -lt 65536 ]
        else
                skip "$what: bounded memory" "no /usr/bin/time"
        fi
        check "$what: no container, definition, state or mount is left" no_container_left "$name"
done
timed_run sec-zeronum-$$ --user 1234 r12:zero id -u
check "[row 12] zero with a numeric --user: ends in time either way (status $rc, ${ms} ms)" \
        [ $rc != 124 -a "$ms" -lt 5000 ]
check_eq "[row 12] the host's passwd and group files are untouched" \
        "$(printf 'root:x:0:0:root:/root:/bin/sh\napp:x:4242:4242:host:/:/bin/sh\nroot:x:0:\napp:x:4242:')" \
        "$(cat "$T/host-passwd" "$T/host-group")"

# ---- row 13: CVE-2014-9357, CVE-2019-14271, GHSA-x86f-5xw2-fm2r: helpers from the image ----
# The image ships decompressors, NSS modules, an nsswitch.conf that names its own module and an
# ld.so.preload: each would leave a PWNED marker on the host (under $T/pwned) and in the
# container's /tmp if anything of ctrctl ran it while importing, looking up a user, or exporting.
mkdir -p "$T/pwned"
EV=$FX/evil
cp -a "$BASE_ROOTFS" "$EV"
for p in usr/bin/xz bin/xz bin/unxz bin/xzcat usr/bin/unxz bin/gzip usr/bin/gzip bin/gunzip bin/zcat \
        usr/bin/unpigz bin/unpigz usr/bin/pigz usr/bin/zstd bin/zstd bin/unzstd usr/bin/unzstd bin/bzip2 \
        usr/bin/bzip2 bin/bunzip2 usr/bin/lzop usr/bin/lrzip usr/bin/grzip bin/tar usr/bin/tar \
        usr/bin/getent usr/sbin/nscd; do
        mkdir -p "$EV/${p%/*}"
        rm -f "$EV/$p"
        printf '#!/bin/sh\ntouch %s %s\n' "$T/pwned/PWNED-$$-${p##*/}" "/tmp/PWNED-$$-${p##*/}" >"$EV/$p"
        chmod 755 "$EV/$p"
done
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345::/:/bin/sh\n' >"$EV/etc/passwd"
printf 'root:x:0:\napp:x:2345:\n' >"$EV/etc/group"
printf 'passwd: pwned files compat\ngroup: pwned files compat\nshadow: pwned files\nhosts: pwned files\n' \
        >"$EV/etc/nsswitch.conf"
cat >"$T/evil.c" <<EOF
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void pwned(void)
{
        int fd = open("$T/pwned/PWNED-$$-so", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
                close(fd);
        fd = open("/tmp/PWNED-$$-so", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
                close(fd);
}
EOF
have_so=false
if gcc -shared -fPIC -o "$T/evil.so" "$T/evil.c" 2>"$T/gcc-evil.log"; then
        have_so=true
else
        # without a compiler the "modules" are scripts: they still catch an exec, not a dlopen
        printf '#!/bin/sh\ntouch %s /tmp/PWNED-%s-so\n' "$T/pwned/PWNED-$$-so" "$$" >"$T/evil.so"
        chmod 755 "$T/evil.so"
fi
for d in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib64 lib usr/lib; do
        mkdir -p "$EV/$d"
        for m in libnss_files.so.2 libnss_compat.so.2 libnss_pwned.so.2 libnss_systemd.so.2 libpwned.so; do
                cp "$T/evil.so" "$EV/$d/$m"
        done
done
echo /lib/x86_64-linux-gnu/libpwned.so >"$EV/etc/ld.so.preload"
# the markers work: the fixture can see what it is there to catch
sh "$EV/usr/bin/xz"
check "[row 13] control: the image's xz, run, leaves its marker" [ -e "$T/pwned/PWNED-$$-xz" ]
if $have_so; then
        LD_PRELOAD=$T/evil.so /bin/true
        check "[row 13] control: the image's NSS module, loaded, leaves its marker" [ -e "$T/pwned/PWNED-$$-so" ]
else
        skip "[row 13] control: the image's NSS module, loaded, leaves its marker" "no gcc: the modules are scripts"
fi
rm -f "$T"/pwned/* /tmp/PWNED-$$-*

tar -C "$EV" -cf "$FX/evil.tar" .
gzip -c "$FX/evil.tar" >"$FX/evil.tar.gz"
xz -T1 -0 -c "$FX/evil.tar" >"$FX/evil.tar.xz"
zstd -q -c "$FX/evil.tar" >"$FX/evil.tar.zst"
bzip2 -c "$FX/evil.tar" >"$FX/evil.tar.bz2"
for f in evil.tar.xz evil.tar.gz evil.tar.zst evil.tar.bz2; do
        out=$(ctl image import "$FX/$f" "ev-${f##*.}:1" 2>&1)
        check "[row 13] the image as a rootfs tarball ($f) imports" [ $? = 0 ]
done
py '
evil = tar_entries([("etc", "dir"), ("etc/marker", "file", "evil-layer")])
image(FX + "/evl", "gz", [tar_dir(FX + "/evil"), evil], {"Cmd": ["sh"]}, how="gzip")
image(FX + "/evl", "zst", [tar_dir(FX + "/evil"), evil], {"Cmd": ["sh"]}, how="zstd")
'
out=$(ctl image import "$FX/evl" 2>&1)
check "[row 13] the image as an OCI layout with gzip and zstd layers imports" [ $? = 0 ]
probe='grep ^Uid: /proc/self/status; ls -a /tmp /etc/marker'
for img in ev-xz:1 ev-gz:1 evl:gz evl:zst; do
        out=$(ctl run --name sec-ev-$$ --user app "$img" sh -c "$probe" 2>&1)
        check_match "[row 13] $img with --user app (a name): runs as its uid" "^Uid:	1234" "$out"
        check "[row 13] $img: no PWNED marker in the container's /tmp" \
                bash -c '! printf "%s" "$1" | grep -q PWNED' _ "$out"
done
out=$(ctl run --name sec-evcfg-$$ --user app:app evl:gz sh -c "$probe" 2>&1)
check "[row 13] --user app:app (both names): no PWNED marker in the container's /tmp" \
        bash -c '! printf "%s" "$1" | grep -q PWNED && printf "%s" "$1" | grep -q "^Uid:	1234"' _ "$out"
for fmt in docker-archive oci-archive; do
        ctl image export --format=$fmt evl:gz "$T/ev-$fmt.tar" 2>/dev/null
        check "[row 13] export --format=$fmt of the image works" [ -s "$T/ev-$fmt.tar" ]
        out=$(ctl image import "$T/ev-$fmt.tar" "ev-re-$fmt:1" 2>&1)
        check "[row 13] and the $fmt imports again" [ $? = 0 ]
done
ctl image export evl:zst - >"$T/ev-stdout.tar" 2>/dev/null
check "[row 13] export to standard output works" [ -s "$T/ev-stdout.tar" ]
found=$(find "$T" /tmp "$CTR_STORAGE_DIR" -name "PWNED-$$-*" 2>/dev/null)
check_eq "[row 13] no PWNED marker anywhere (the test dir, the host's /tmp, the store)" "" "$found"
check_eq "[row 13] nothing in the marker directory" "" "$(ls -A "$T/pwned")"
for img in ev-xz:1 ev-gz:1 ev-zst:1 ev-bz2:1 evl:gz evl:zst ev-re-docker-archive:1 ev-re-oci-archive:1; do
        ctl image rm "$img" >/dev/null 2>&1
done
rm -rf "$EV" "$FX"/evil.tar* "$FX/evl" "$T"/ev-*.tar

# ---- row 14: CVE-2014-6407, CVE-2014-9356, CVE-2021-32760, CVE-2025-47290: tar breakouts ----
# Rootfs tarballs (moby's breakout table): names with "..", links out and writes through them,
# a directory swapped for a symlink mid-archive. An import fails or stays inside its layer; the
# victim trees outside never change; a failed import leaves the store as it was.
mkdir -p "$T/victim/sub" "$T/victim-vd"
echo hello >"$T/victim/hello"
chmod 0600 "$T/victim/hello"
echo keep >"$T/victim/sub/keep"
echo vd >"$T/victim-vd/orig"
fp_victim=$(fingerprint "$T/victim"; fingerprint "$T/victim-vd")
# From a layer's diff dir (store/tmp/IMPORT/LAYER/diff) "../../../../../" is $T: a name that
# leaves the layer by that many levels hits the victim if it is not stopped.
py '
V = T + "/victim"
up = "../" * 40 + V[1:]
cases = {
    "dotdot": [("../victim/x", "file", "pwn")],
    "dotdot5": [("../../../../../victim/x", "file", "pwn")],
    "dotdot-deep": [(up + "/x", "file", "pwn")],
    "dotdot-mid": [("a", "dir"), ("a/../../../../../../victim/x", "file", "pwn")],
    "absname": [(V + "/x", "file", "pwn")],
    "hardlink-rel": [("hl", "hardlink", up + "/hello"), ("hl", "file", "pwn")],
    "hardlink-abs": [("hl", "hardlink", V + "/hello")],
    "hardlink-write": [("hl", "hardlink", "../../../../../victim/hello"), ("hl/x", "file", "pwn")],
    "symlink-rel": [("loop", "symlink", up), ("loop/x", "file", "pwn")],
    "symlink-dotdot": [("loop", "symlink", "../victim"), ("loop/x", "file", "pwn")],
    "symlink-abs": [("loop", "symlink", V), ("loop/x", "file", "pwn")],
    "symlink-abs-hello": [("loop", "symlink", V), ("loop/hello", "file", "pwn")],
    "symlink-file": [("s", "symlink", V + "/hello"), ("s", "file", "pwn", 0o777)],
    "symlink-chmod": [("s", "symlink", V + "/hello", 0o777), ("s", "dir", None, 0o777)],
    "symlink-chain": [("a", "symlink", "b"), ("b", "symlink", V), ("a/x", "file", "pwn")],
    "symlink-hardlink": [("loop", "symlink", V), ("hl", "hardlink", "loop/hello"), ("hl", "file", "pwn")],
    "dir-swap": [("d", "dir"), ("d/a", "file", "a"), ("d", "symlink", T + "/victim-vd"), ("d/b", "file", "pwn")],
    "dir-swap-rel": [("d", "dir"), ("d/a", "file", "a"), ("d", "symlink", "../" * 40 + T[1:] + "/victim-vd"),
                     ("d/b", "file", "pwn")],
}
for name, entries in cases.items():
    with open(FX + "/brk-" + name + ".tar", "wb") as f:
        f.write(tar_entries([("etc", "dir"), ("etc/passwd", "file", "root:x:0:0::/:/bin/sh\n")] + entries))
'
before=$(store_snapshot)
for f in "$FX"/brk-*.tar; do
        c=${f##*/brk-}
        c=${c%.tar}
        out=$(ctl image import "$f" "brk-$c:1" 2>&1)
        rc=$?
        if [ $rc = 0 ]; then
                echo "# $c: imported (it must have stayed inside its layer)"
                ctl image rm "brk-$c:1" >/dev/null 2>&1
                ctl image prune >/dev/null 2>&1
        else
                echo "# $c: refused: $(printf '%s' "$out" | head -n 1)"
        fi
        check_eq "[row 14] $c: the victim trees are byte-identical" "$fp_victim" \
                "$(fingerprint "$T/victim"; fingerprint "$T/victim-vd")"
        check_eq "[row 14] $c: the store is as before (no image, no tmp leftovers, no layer)" "$before" \
                "$(store_snapshot)"
done
check "[row 14] nothing named x or b appeared next to the victims" \
        [ ! -e "$T/x" -a ! -e "$T/victim/x" -a ! -e "$T/victim-vd/b" ]
# a name with ".." is refused loudly, not clamped (the man page promises it)
out=$(ctl image import "$FX/brk-dotdot5.tar" brk:1 2>&1)
check "[row 14] a '..' above the root fails the import" [ $? != 0 ]
check_match "[row 14] ... naming the entry" "victim/x" "$out"
# the same through an OCI layout's layer (gzip), a second layer over a sane base
py '
up = "../" * 40 + T[1:] + "/victim"
image(FX + "/brklayout", "x", [tar_dir(BASE), tar_entries([("loop", "symlink", up), ("loop/x", "file", "pwn")])])
'
out=$(ctl image import "$FX/brklayout" brk-layout:1 2>&1)
rc=$?
[ $rc = 0 ] && ctl image rm brk-layout:1 >/dev/null 2>&1 && ctl image prune >/dev/null 2>&1
check_eq "[row 14] an OCI layout whose layer links out and writes through: the victim is byte-identical" \
        "$fp_victim" "$(fingerprint "$T/victim"; fingerprint "$T/victim-vd")"
check_eq "[row 14] ... and the store is as before" "$before" "$(store_snapshot)"

# ---- row 20: CVE-2021-20291, CVE-2017-14992, GHSA-rp3h-jf77-q9p4: malformed layers, bombs ----
gzip -c "$FX/base.tar" >"$FX/base.tar.gz"
head -c $(($(stat -c %s "$FX/base.tar.gz") / 2)) "$FX/base.tar.gz" >"$FX/trunc.tar.gz"
head -c 1000000 /dev/urandom >"$FX/random.bin"
head -c 1000000 /dev/urandom | gzip -c >"$FX/random.gz"
printf 'not a tar archive, not compressed either\n' >"$FX/text.tar"
for f in trunc.tar.gz random.bin random.gz text.tar; do
        out=$(timeout 60 "$CTRCTL" image import "$FX/$f" bad20:1 2>&1)
        rc=$?
        check "[row 20] $f: the import fails with an error (status $rc)" [ $rc != 0 -a $rc != 124 ]
        check "[row 20] $f: ... saying something" [ -n "$out" ]
        check_eq "[row 20] $f: the store is as before" "$before" "$(store_snapshot)"
done
# A gzip bomb: 1 GiB of zeros in a tar, about 1 MiB compressed. With a 32 MiB bound the import
# must stop early. The 30 s bound is generous: unpacking it all takes a few seconds here, and
# what is checked is that it fails.
python3 - "$FX/bomb.tar.gz" <<'PY'
import sys, tarfile, zlib
GiB = 1 << 30
ti = tarfile.TarInfo("zeros")
ti.size, ti.mode, ti.mtime = GiB, 0o644, 1700000000
c = zlib.compressobj(1, zlib.DEFLATED, 31)
with open(sys.argv[1], "wb") as f:
    f.write(c.compress(ti.tobuf(format=tarfile.GNU_FORMAT)))
    chunk = bytes(1 << 20)
    for _ in range(GiB >> 20):
        f.write(c.compress(chunk))
    f.write(c.compress(bytes(1024)))
    f.write(c.flush())
PY
t0=$(date +%s%N)
out=$(CTR_LAYER_MAX_BYTES=33554432 timeout 60 "$CTRCTL" image import "$FX/bomb.tar.gz" bomb:1 2>&1)
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "[row 20] a gzip bomb over CTR_LAYER_MAX_BYTES=32 MiB fails (status $rc)" [ $rc != 0 -a $rc != 124 ]
check "[row 20] ... quickly (${ms} ms < 30 s)" [ "$ms" -lt 30000 ]
check_match "[row 20] ... saying it is too big" "byte|big|limit|exceed" "$out"
check_eq "[row 20] ... and the store is as before" "$before" "$(store_snapshot)"
# too many entries: CTR_LAYER_MAX_ENTRIES
python3 - "$FX/entries.tar.gz" <<'PY'
import gzip, io, sys, tarfile
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w", format=tarfile.GNU_FORMAT) as t:
    for i in range(100000):
        ti = tarfile.TarInfo("d%d/f%d" % (i // 1000, i))
        ti.mtime = 1700000000
        t.addfile(ti)
open(sys.argv[1], "wb").write(gzip.compress(b.getvalue(), 1))
PY
out=$(CTR_LAYER_MAX_ENTRIES=50000 timeout 120 "$CTRCTL" image import "$FX/entries.tar.gz" entries:1 2>&1)
rc=$?
check "[row 20] 100000 entries over CTR_LAYER_MAX_ENTRIES=50000 fail (status $rc)" [ $rc != 0 -a $rc != 124 ]
check_eq "[row 20] ... and the store is as before" "$before" "$(store_snapshot)"
rm -f "$FX/bomb.tar.gz" "$FX/entries.tar.gz"
out=$(ctl image import "$FX/base.tar.gz" next:1 2>&1)
check "[row 20] after all that, the next import works" [ $? = 0 ]
out=$(ctl run --name sec-next-$$ next:1 echo next-ok 2>/dev/null)
check_eq "[row 20] ... and runs" next-ok "$out"
check "[row 20] no tmp leftovers" tmp_empty

# ---- row 16: CVE-2022-23648, CVE-2024-1753: image Volumes ----
mkdir -p "$T/hostdir"
echo host-secret-$$ >"$T/hostdir/secret"
fp_hostdir=$(fingerprint "$T/hostdir")
fp_etc=$(ls -A /etc | sha256sum)
py '
top = tar_entries([("etc", "dir"), ("etc/image-marker", "file", "image-etc-" + PID), ("vol", "symlink", "/etc"),
                   ("hv", "symlink", T + "/hostdir"), ("hv2", "symlink", "../" * 40 + T[1:] + "/hostdir"),
                   ("data", "dir"), ("data/seed", "file", "seed")])
base = tar_dir(BASE)
L = FX + "/r16"
image(L, "dotdot", [base, top], {"Volumes": {"/../../../../etc/x": {}}, "Cmd": ["true"]})
image(L, "dotdot2", [base, top], {"Volumes": {"/data/../../../../etc/x": {}}, "Cmd": ["true"]})
image(L, "vol", [base, top], {"Volumes": {"/vol": {}, "/data": {}}, "Cmd": ["sh"]})
image(L, "hv", [base, top], {"Volumes": {"/hv": {}}, "Cmd": ["sh"]})
image(L, "hv2", [base, top], {"Volumes": {"/hv2": {}}, "Cmd": ["sh"]})
image(L, "proc", [base, top], {"Volumes": {"/proc/self": {}}, "Cmd": ["true"]})
# the image has a directory at the host path the symlink names: it is that one the volume gets
parts = (T + "/hostdir").strip("/").split("/")
own = [("/".join(parts[:i]), "dir") for i in range(1, len(parts) + 1)]
top3 = tar_entries(own + [("/".join(parts) + "/image-copy", "file", "image-" + PID),
                          ("hv3", "symlink", T + "/hostdir")])
image(L, "hv3", [base, top3], {"Volumes": {"/hv3": {}}, "Cmd": ["sh"]})
'
out=$(ctl image import "$FX/r16" 2>&1)
rc=$?
# the import takes the config as it is (docker does too); ctrctl run refuses it
check "[row 16] the images with hostile Volumes import" [ $rc = 0 ]
for img in dotdot dotdot2; do
        path=/../../../../etc/x
        [ $img = dotdot2 ] && path=/data/../../../../etc/x
        out=$(ctl run --name sec-$img-$$ "r16:$img" 2>&1)
        rc=$?
        check "[row 16] Volumes with '..' ($img): ctrctl run fails (status $rc)" [ $rc != 0 ]
        check_contains "[row 16] ... naming the path" "$path" "$out"
        check "[row 16] ... no container left" no_container_left sec-$img-$$
done
check "[row 16] nothing was made at the host's /etc/x" [ ! -e /etc/x ]
out=$(ctl run --name sec-proc-$$ r16:proc 2>&1)
check "[row 16] a volume at /proc/self fails the start" [ $? != 0 ]

name=sec-vol-$$
out=$(ctl run --name $name r16:vol sh -c '
        echo "list:$(ls /vol | tr "\n" " ")"
        cat /vol/image-marker
        [ -e /vol/hostname ] && echo "HOST-HOSTNAME-SEEN"
        echo written >/vol/written-'$$' && echo wrote-ok
        echo "seed:$(cat /data/seed)"
        awk "\$5 == \"/etc\" || \$5 == \"/vol\" { print \"src:\" \$4 }" /proc/self/mountinfo' 2>&1)
rc=$?
check_eq "[row 16] /vol -> /etc in the image, Volumes /vol: the container runs" 0 $rc
check_contains "[row 16] the volume holds the image's /etc (its marker)" "image-etc-$$" "$out"
check_contains "[row 16] ... and only that: busybox's group and passwd, the marker" \
        "list:group image-marker passwd " "$out"
check "[row 16] ... not the host's /etc (no hostname)" bash -c '! printf "%s" "$1" | grep -q HOST-HOSTNAME-SEEN' _ "$out"
check_contains "[row 16] the volume is writable" wrote-ok "$out"
check_contains "[row 16] a plain volume (/data) is filled from the image" "seed:seed" "$out"
src=$(printf '%s\n' "$out" | sed -n 's/^src://p' | head -n 1)
check_match "[row 16] the volume is a directory of the container's in the store" \
        "^$CTR_STORAGE_DIR/containers/ctr@$name/volumes/" "$src"
check "[row 16] the host's /etc has no written-$$" [ ! -e /etc/written-$$ ]
check_eq "[row 16] the host's /etc listing is unchanged" "$fp_etc" "$(ls -A /etc | sha256sum)"
check "[row 16] the write did not reach a layer" [ -z "$(find "$CTR_STORAGE_DIR/layers" -name "written-$$")" ]
check "[row 16] the volume dir went with the container" [ -n "$src" -a ! -e "$src" ]
check "[row 16] no container left" no_container_left $name
for img in hv hv2; do
        name=sec-$img-$$
        out=$(ctl run --name $name "r16:$img" sh -c "ls -a /$img/; cat /$img/secret; echo ran" 2>&1)
        rc=$?
        echo "# $img (Volumes /$img, /$img -> the host's $T/hostdir): status $rc: $(printf '%s\n' "$out" |
                grep -v 'systemd is not running' | head -n 2 | tr '\n' ' ')"
        check "[row 16] Volumes /$img, a symlink to a host path: no host byte in the container" \
                bash -c '! printf "%s" "$1" | grep -q "host-secret"' _ "$out"
        check_eq "[row 16] ... the host dir is unchanged" "$fp_hostdir" "$(fingerprint "$T/hostdir")"
        check "[row 16] ... no container left" no_container_left $name
done

name=sec-hv3-$$
out=$(ctl run --name $name r16:hv3 sh -c 'echo "list:$(ls /hv3 | tr "\n" " ")"' 2>&1)
check_eq "[row 16] /hv3 -> $T/hostdir, a directory in the image too: the container runs" 0 $?
check_contains "[row 16] ... its volume holds the image's directory, not the host's" "list:image-copy " "$out"
check_eq "[row 16] ... the host dir is unchanged" "$fp_hostdir" "$(fingerprint "$T/hostdir")"
check "[row 16] ... no container left" no_container_left $name

# ---- row 19: CVE-2014-9358, CVE-2024-3727, CVE-2021-41190: digests and ambiguous documents ----
# An OCI layout is imported as a registry's answer would be: every blob against its digest and
# size before use, a digest that is not sha256:<64 hex> refused before it reaches a path, a
# manifest that is also an index (or the reverse) refused.
py '
top = tar_entries([("etc", "dir"), ("etc/r19", "file", "r19")])
image(FX + "/good19", "x", [tar_dir(BASE), top], {"Cmd": ["cat", "/etc/r19"]})
'
out=$(ctl image import "$FX/good19" good19:1 2>&1)
check "[row 19] control: the layout the bad ones are made from imports" [ $? = 0 ]
check_eq "[row 19] control: and runs" r19 "$(ctl run --name sec-r19-$$ good19:1 2>/dev/null)"
ctl image rm good19:1 >/dev/null 2>&1
ctl image prune >/dev/null 2>&1
before=$(store_snapshot)
# mk19 NAME PYTHON: a copy of good19 in $FX/bad-NAME, changed by PYTHON (L, idx, m: the layout
# dir, index.json and the manifest, loaded; write them back with save()).
mk19() {
        rm -rf "$FX/bad-$1"
        cp -a "$FX/good19" "$FX/bad-$1"
        py "
import json, os
L = FX + '/bad-$1'
idx = json.load(open(L + '/index.json'))
md = idx['manifests'][0]['digest']
m = json.load(open(blob_path(L, md)))
def save_index():
    json.dump(idx, open(L + '/index.json', 'w'))
def save_manifest():
    d, n = jblob(L, m)
    os.unlink(blob_path(L, md))
    idx['manifests'][0].update(digest=d, size=n)
    save_index()
$2
"
}
# the manifest's bytes changed, its length kept: the digest no longer matches
mk19 manifest-digest '
p = blob_path(L, md)
data = open(p, "rb").read()
open(p, "wb").write(data.replace(b", ", b",\t", 1))'
mk19 manifest-size 'idx["manifests"][0]["size"] += 1; save_index()'
mk19 config-digest '
p = blob_path(L, m["config"]["digest"])
data = open(p, "rb").read()
open(p, "wb").write(data.replace(b", ", b",\t", 1))'
mk19 config-size 'm["config"]["size"] -= 1; save_manifest()'
mk19 layer-size 'm["layers"][1]["size"] += 1; save_manifest()'
mk19 layer-digest '
p = blob_path(L, m["layers"][1]["digest"])
data = bytearray(open(p, "rb").read())
data[len(data) // 2] ^= 0xff
open(p, "wb").write(bytes(data))'
# "sha256:../../x" from blobs/sha256 is L/x: a valid manifest waits there, should it be used
mk19 index-path '
os.rename(blob_path(L, md), L + "/x")
idx["manifests"][0]["digest"] = "sha256:../../x"
save_index()'
mk19 config-path '
os.rename(blob_path(L, m["config"]["digest"]), L + "/x")
m["config"]["digest"] = "sha256:../../x"
save_manifest()'
mk19 layer-path '
os.rename(blob_path(L, m["layers"][1]["digest"]), L + "/x")
m["layers"][1]["digest"] = "sha256:../../x"
save_manifest()'
mk19 index-upper 'idx["manifests"][0]["digest"] = md.upper().replace("SHA256", "sha256"); save_index()'
mk19 manifest-manifests '
m["manifests"] = [dict(idx["manifests"][0])]
save_manifest()'
mk19 index-layers 'idx["layers"] = m["layers"]; save_index()'
mk19 index-mediatype-manifest '
m["mediaType"] = "application/vnd.oci.image.index.v1+json"
save_manifest()'
for c in manifest-digest:digest manifest-size:bytes config-digest:digest config-size:bytes \
        layer-size:bytes layer-digest:digest index-path:"not a sha256 digest" \
        config-path:"not a sha256 digest" layer-path:"not a sha256 digest" index-upper:digest \
        manifest-manifests:ambiguous index-layers:ambiguous index-mediatype-manifest:"ambiguous|manifests"; do
        k=${c%%:*}
        want=${c#*:}
        out=$(ctl image import "$FX/bad-$k" bad19:1 2>&1)
        rc=$?
        check "[row 19] $k: the import is refused (status $rc)" [ $rc != 0 ]
        check_match "[row 19] $k: ... with a message ($want)" "$want" "$out"
        check_eq "[row 19] $k: ... and the store is unchanged" "$before" "$(store_snapshot)"
done
# A blob the store has already is not read again; the descriptor's size must still be the
# blob's (skopeo and umoci refuse a layout whose sizes lie).
ctl image import "$FX/good19" good19:1 >/dev/null 2>&1
out=$(ctl image import "$FX/bad-layer-size" bad19:1 2>&1)
rc=$?
check "[row 19] layer-size, its blob already in the store: still refused (status $rc)" [ $rc != 0 ]
ctl image rm bad19:1 >/dev/null 2>&1
out=$(ctl image import "$FX/bad-config-size" bad19:1 2>&1)
rc=$?
check "[row 19] config-size, its blob already in the store: still refused (status $rc)" [ $rc != 0 ]
ctl image rm bad19:1 good19:1 >/dev/null 2>&1
ctl image prune >/dev/null 2>&1

# ---- the end: nothing of ours is left on the host ----
check "no mount of the store is visible on the host" bash -c "! grep -q ' $CTR_STORAGE_DIR/' /proc/self/mountinfo"
# ---- found in review -------------------------------------------------------------------------
# an OCI layout directory is read without following its links or blocking on a FIFO
py '
image(FX + "/lay-fifo", "1", [tar_entries([("f", "file", "x")])], {"Cmd": ["true"]})
image(FX + "/lay-link", "1", [tar_entries([("f", "file", "x")])], {"Cmd": ["true"]})
'
rm "$FX/lay-fifo/index.json" && mkfifo "$FX/lay-fifo/index.json"
out=$(timeout 10 "$CTRCTL" image import "$FX/lay-fifo" fifo:1 2>&1)
rc=$?
check "a layout whose index.json is a FIFO is refused, not waited on" [ $rc != 0 ] && [ $rc != 124 ]
check_contains "as not a regular file" "not a regular file" "$out"
printf 'secret-host-data\n' >"$T/host-secret"
rm "$FX/lay-link/index.json" && ln -s "$T/host-secret" "$FX/lay-link/index.json"
out=$(timeout 10 "$CTRCTL" image import "$FX/lay-link" link:1 2>&1)
check "a layout whose index.json is a symlink out is refused" [ $? != 0 ]
check "without echoing what it points at" bash -c "! printf '%s' \"\$1\" | grep -q secret-host-data" _ "$out"
# indexes nested without end (a stack overflow before)
py '
L = FX + "/nest"
desc = image(L, "1", [tar_entries([("f", "file", "x")])], {"Cmd": ["true"]})
for i in range(8):
    d, n = jblob(L, {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                     "manifests": [{k: desc[k] for k in ("mediaType", "digest", "size")}]})
    desc = {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": d, "size": n}
json.dump({"schemaVersion": 2, "manifests": [dict(desc, annotations={"org.opencontainers.image.ref.name": "1"})]},
          open(L + "/index.json", "w"))
'
out=$(timeout 30 "$CTRCTL" image import "$FX/nest" nest:1 2>&1)
check "indexes nested 9 deep are refused" [ $? != 0 ]
check_contains "saying so" "nested more than" "$out"
# two different images under one name in one layout: refused, not one of them silently lost
py '
image(FX + "/dupname", "1", [tar_entries([("a", "file", "a")])], {"Cmd": ["true"]})
image(FX + "/dupname", "1", [tar_entries([("b", "file", "b")])], {"Cmd": ["true"]})
'
out=$("$CTRCTL" image import "$FX/dupname" 2>&1)
check "a layout naming two different images alike is refused" [ $? != 0 ]
check_contains "saying so" "two different images are both named" "$out"
# a manifest over the distribution spec's 4 MiB is refused at import (the store would not read it)
py '
image(FX + "/bigman", "1", [tar_entries([("a", "file", "a")])], {"Cmd": ["true"]},
      edit_manifest=lambda m: m.setdefault("annotations", {}).update({"pad": "x" * (5 << 20)}))
'
out=$("$CTRCTL" image import "$FX/bigman" bigman:1 2>&1)
check "a 5 MiB manifest is refused" [ $? != 0 ]
check_contains "as too large for a manifest" "too large for a manifest" "$out"
rm -rf "$FX/dupname" "$FX/bigman"

# the outer archive of a docker save is bounded like a layer (a bomb there fills the disk too)
python3 - "$FX/bomb-save.tar.gz" <<'PY'
import gzip, io, json, sys, tarfile
with gzip.open(sys.argv[1], "wb", compresslevel=1) as g:
    with tarfile.open(fileobj=g, mode="w|") as t:
        ti = tarfile.TarInfo("manifest.json"); data = b"[]"; ti.size = len(data); t.addfile(ti, io.BytesIO(data))
        ti = tarfile.TarInfo("0" * 64 + "/layer.tar"); ti.size = 200 << 20
        class Zeros(io.RawIOBase):
            def __init__(s, n): s.n = n
            def readable(s): return True
            def readinto(s, b):
                k = min(len(b), s.n); b[:k] = bytes(k); s.n -= k; return k
        t.addfile(ti, io.BufferedReader(Zeros(ti.size)))
PY
before=$(du -s "$CTR_STORAGE_DIR" | cut -f1)
out=$(CTR_LAYER_MAX_BYTES=4M timeout 60 "$CTRCTL" image import "$FX/bomb-save.tar.gz" 2>&1)
check "an image archive with a 200 MB member is refused under CTR_LAYER_MAX_BYTES=4M" [ $? != 0 ]
check_contains "naming the limit" "CTR_LAYER_MAX_BYTES" "$out"
check "and the store's tmp dir is empty again" tmp_empty
rm -f "$FX/bomb-save.tar.gz"

check_eq "no definition of ours is left in /run/ctr" "" "$(cd /run/ctr 2>/dev/null && ls -d -- *-$$.ctr 2>/dev/null)"
check_eq "no state of ours is left in /run/ctrctl" "" "$(cd /run/ctrctl 2>/dev/null && ls -d -- *-$$ 2>/dev/null)"
check_eq "no container dir is left in the store" "" "$(ls -A "$CTR_STORAGE_DIR/containers")"
check "no tmp leftovers in the store" tmp_empty
done_testing
