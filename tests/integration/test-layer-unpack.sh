#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The layer unpacker (lib/image/layer.c) through tests/helpers/layer-tool: a normal layer's tree and
# metadata, whiteouts in overlayfs's form (checked through a real overlay mount), digests against
# sha256sum, the extraction breakouts of CVE catalogue row 14 and the malformed/bomb layers of
# row 20. Root: device nodes, ownership, trusted.* xattrs, mounts.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"

LAYER_TOOL=${LAYER_TOOL:?LAYER_TOOL must point to the layer-tool helper}
[ "$(id -u)" = 0 ] || skip_all "needs root (device nodes, ownership, trusted.* xattrs, overlayfs)"
command -v python3 >/dev/null || skip_all "needs python3 to craft tars"

T=$(mktemp -d /var/tmp/ctr-layer-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
# The python helper every tar is made with: the entries come as python on stdin.
cat >"$T/mktar.py" <<'PY'
import io, os, sys, tarfile
t = tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT)
CAP_NET_RAW = bytes.fromhex('0100000200200000000000000000000000000000')  # vfs cap v2, effective
def _add(name, typ, data=b'', mode=0o644, uid=0, gid=0, mtime=1600000000, linkname='', xattrs=None,
         major=0, minor=0):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.uid, ti.gid, ti.mtime, ti.linkname = typ, mode, uid, gid, mtime, linkname
    ti.devmajor, ti.devminor = major, minor
    if xattrs:
        ti.pax_headers = {'SCHILY.xattr.' + k: v.decode('utf-8', 'surrogateescape') if isinstance(v, bytes) else v
                          for k, v in xattrs.items()}
    if typ == tarfile.REGTYPE:
        data = data.encode() if isinstance(data, str) else data
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    else:
        t.addfile(ti)
def f(name, data='', mode=0o644, **kw): _add(name, tarfile.REGTYPE, data, mode, **kw)
def d(name, mode=0o755, **kw): _add(name, tarfile.DIRTYPE, mode=mode, **kw)
def sym(name, target, **kw): _add(name, tarfile.SYMTYPE, linkname=target, mode=0o777, **kw)
def hl(name, target, **kw): _add(name, tarfile.LNKTYPE, linkname=target, **kw)
def fifo(name, mode=0o644, **kw): _add(name, tarfile.FIFOTYPE, mode=mode, **kw)
def cdev(name, major, minor, mode=0o666, **kw): _add(name, tarfile.CHRTYPE, mode=mode, major=major, minor=minor, **kw)
T = os.environ['T']
exec(sys.stdin.read())
t.close()
PY
export T
mktar() { python3 "$T/mktar.py" "$1"; } # mktar OUT <<< python
xattr() { python3 -c 'import os, sys
try: sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).hex())
except OSError as e: sys.stdout.write("errno%d" % e.errno)' "$1" "$2"; }
field() { sed -n "s/^$1 //p" "$2"; } # field KEY OUTPUT-FILE
fresh() { rm -rf "$1" && mkdir -p "$1"; }
# unpack TAR DIR [layer-tool options]: stdout in $T/out, stderr in $T/err
unpack() { local tar=$1 dir=$2; shift 2; fresh "$dir"; "$LAYER_TOOL" "$@" unpack "$tar" "$dir" >"$T/out" 2>"$T/err"; }

# ---- 1. a normal layer: types, ownership, modes, times, xattrs ----
mktar "$T/normal.tar" <<'PY'
d('./', mode=0o755)
d('etc', mtime=1000000000)
f('etc/hostname', 'box\n', mode=0o644, mtime=1234567890)
sym('etc/link', 'hostname', uid=1000, gid=1000, mtime=1200000000)
sym('etc/abs', '/etc/hostname')
hl('etc/hard', 'etc/hostname')
d('home/user', mode=0o700, uid=1000, gid=1000, mtime=1100000000)
f('home/user/notes', 'n', mode=0o640, uid=1000, gid=1000)
fifo('run.fifo', mode=0o600, uid=1000, gid=1000)
cdev('null', 1, 3)
f('bin/ping', 'ELF', mode=0o4755, xattrs={'security.capability': CAP_NET_RAW, 'user.origin': 'test',
  'trusted.overlay.redirect': '/etc', 'security.selinux': 'system_u:object_r:bin_t:s0'})
f('bin/sgid', 'x', mode=0o2711, uid=1000, gid=1000)
d('tmp', mode=0o1777)
d('opq', xattrs={'trusted.overlay.opaque': 'y', 'user.dir': 'kept'})
f('sparse', b'\0' * (1 << 20) + b'end')
f('caf\u00e9/\u00fc', 'utf-8 names')
PY
L=$T/normal
check "a normal layer unpacks" unpack "$T/normal.tar" "$L"
[ -s "$T/err" ] && sed 's/^/# /' "$T/err"
check_eq "entries counted" 16 "$(field entries "$T/out")"
check_eq "file content" "box" "$(cat "$L/etc/hostname")"
check_eq "file mode, owner and mtime" "644 0:0 1234567890" "$(stat -c '%a %u:%g %Y' "$L/etc/hostname")"
check_eq "directory mtime set after its children" "1000000000" "$(stat -c %Y "$L/etc")"
check_eq "directory owner, mode, mtime" "700 1000:1000 1100000000" "$(stat -c '%a %u:%g %Y' "$L/home/user")"
check_eq "missing parent made 0755 root" "755 0:0 directory" "$(stat -c '%a %u:%g %F' "$L/home")"
check_eq "file in a 1000-owned dir" "640 1000:1000" "$(stat -c '%a %u:%g' "$L/home/user/notes")"
check_eq "symlink target kept verbatim" "hostname" "$(readlink "$L/etc/link")"
check_eq "symlink owned and timed itself (not its target)" "1000:1000 1200000000" \
        "$(stat -c '%u:%g %Y' "$L/etc/link")"
check_eq "absolute symlink kept verbatim" "/etc/hostname" "$(readlink "$L/etc/abs")"
check_eq "hard link shares the inode" "$(stat -c '%i 2' "$L/etc/hostname")" "$(stat -c '%i %h' "$L/etc/hard")"
check_eq "fifo" "fifo 600 1000:1000" "$(stat -c '%F %a %u:%g' "$L/run.fifo")"
check_eq "character device 1:3" "character special file 1:3 666" "$(stat -c '%F %t:%T %a' "$L/null")"
check_eq "setuid survives the chown" "4755" "$(stat -c %a "$L/bin/ping")"
check_eq "setgid survives the chown to 1000" "2711 1000:1000" "$(stat -c '%a %u:%g' "$L/bin/sgid")"
check_eq "sticky directory" "1777" "$(stat -c %a "$L/tmp")"
check_eq "security.capability kept" "0100000200200000000000000000000000000000" \
        "$(xattr "$L/bin/ping" security.capability)"
check_eq "user.* xattr kept" "$(printf test | od -An -tx1 | tr -d ' \n')" "$(xattr "$L/bin/ping" user.origin)"
check_eq "trusted.* xattr dropped" "errno61" "$(xattr "$L/bin/ping" trusted.overlay.redirect)"
check_eq "security.selinux dropped" "errno61" "$(xattr "$L/bin/ping" security.selinux)"
check_eq "trusted.overlay.opaque from the tar dropped" "errno61" "$(xattr "$L/opq" trusted.overlay.opaque)"
check_eq "user.* on a directory kept" "$(printf kept | od -An -tx1 | tr -d ' \n')" "$(xattr "$L/opq" user.dir)"
check_eq "dropped xattrs counted" "3" "$(field xattrs_dropped "$T/out")"
check_eq "sparse file content" "$(python3 -c 'import sys; sys.stdout.buffer.write(b"\0" * (1 << 20) + b"end")' |
        sha256sum | cut -d' ' -f1)" "$(sha256sum <"$L/sparse" | cut -d' ' -f1)"
check "zeros became a hole" test "$(($(stat -c %b "$L/sparse") * 512))" -lt $((1 << 20))
check_eq "UTF-8 names" "utf-8 names" "$(cat "$L/café/ü")"

# ---- 2. whiteouts: overlayfs's form, then a real overlay of two layers ----
mktar "$T/lower.tar" <<'PY'
f('file1', '1'); d('a'); f('a/file2', '2'); f('a/keep', 'k')
d('op'); f('op/old', 'o'); d('op/olddir'); f('op/olddir/x', 'x')
d('gone'); f('gone/y', 'y'); f('top', 't')
PY
mktar "$T/upper.tar" <<'PY'
f('.wh.file1'); d('a'); f('a/.wh.file2')
d('op'); f('op/.wh..wh..opq'); f('op/new', 'n')
f('.wh.gone')
f('.wh..wh.plnk')
f('newdir/.wh..wh..opq')
f('same', 's'); f('.wh.same')
PY
LO=$T/lo UP=$T/up
check "lower layer unpacks" unpack "$T/lower.tar" "$LO"
check "upper layer with whiteouts unpacks" unpack "$T/upper.tar" "$UP"
[ -s "$T/err" ] && sed 's/^/# /' "$T/err"
for w in file1 a/file2 gone same; do
        check_eq "whiteout '$w' is a 0/0 character device" "character special file 0:0" \
                "$(stat -c '%F %t:%T' "$UP/$w" 2>&1)"
done
check_eq "no .wh. names left in the tree" "" "$(cd "$UP" && find . -name '.wh.*')"
check_eq "opaque directory marked" "79" "$(xattr "$UP/op" trusted.overlay.opaque)"
check_eq "opaque marker creates its directory" "79 directory" \
        "$(xattr "$UP/newdir" trusted.overlay.opaque) $(stat -c %F "$UP/newdir")"
check_eq "a plain directory is not opaque" "errno61" "$(xattr "$UP/a" trusted.overlay.opaque)"
mkdir -p "$T/merged"
merged=$(unshare -m sh -c 'mount -t overlay overlay -o "lowerdir=$1:$2" "$3" && cd "$3" && find . | LC_ALL=C sort' \
        sh "$UP" "$LO" "$T/merged" 2>&1)
check_eq "overlay: whiteouts hide, the opaque dir shows only the upper's content" \
        "$(printf '%s\n' . ./a ./a/keep ./newdir ./op ./op/new ./top)" "$merged"
check_eq "overlay mount stayed in its namespace" "" "$(grep " $T/" /proc/self/mountinfo)"

for bad in '.wh.' 'a/.wh..' '.wh...'; do
        mktar "$T/bad-wh.tar" <<<"f('$bad')"
        unpack "$T/bad-wh.tar" "$T/badwh"
        check_contains "whiteout '$bad' refused" "invalid whiteout" "$(cat "$T/err")"
done
mktar "$T/bad-wh.tar" <<<"f('../.wh.x')"
unpack "$T/bad-wh.tar" "$T/badwh"
check_contains "a whiteout outside the layer refused" "path leaves the layer" "$(cat "$T/err")"

# ---- 3. digests: the blob as read, the diff_id of the whole tar stream ----
# python pads to a 10 KiB record; 3 MiB more of zeros after it (more than a read buffer holds) are
# part of the stream too.
mktar "$T/d.tar" <<'PY'
d('x'); f('x/data', os.urandom(100000)); f('x/zeros', bytes(50000)); sym('x/l', 'data')
PY
head -c $((3 << 20)) /dev/zero >>"$T/d.tar"
gzip -n -k "$T/d.tar"
zstd -q -k "$T/d.tar" -o "$T/d.tar.zst"
xz -k "$T/d.tar"
diff_id=sha256:$(sha256sum <"$T/d.tar" | cut -d' ' -f1)
usize=$(stat -c %s "$T/d.tar")
for c in none gzip zstd xz; do
        f=$T/d.tar
        case $c in gzip) f=$f.gz ;; zstd) f=$f.zst ;; xz) f=$f.xz ;; esac
        blob=sha256:$(sha256sum <"$f" | cut -d' ' -f1)
        "$LAYER_TOOL" digest "$f" >"$T/out" 2>"$T/err"
        check_eq "$c: layer_digest blob digest = sha256sum" "$blob" "$(field digest "$T/out")"
        check_eq "$c: layer_digest diff_id = sha256sum of the decompressed stream" "$diff_id" \
                "$(field diff_id "$T/out")"
        check_eq "$c: sizes and compression" "$(stat -c %s "$f") $usize $c" \
                "$(field size "$T/out") $(field uncompressed_size "$T/out") $(field compression "$T/out")"
        rm -f "$T/tee"
        unpack "$f" "$T/dg" --tee "$T/tee"
        check_eq "$c: layer_unpack gives the same digests" "$blob $diff_id" \
                "$(field digest "$T/out") $(field diff_id "$T/out")"
        check "$c: the tee copy is the blob" cmp -s "$f" "$T/tee"
        check "$c: content unpacked" cmp -s <(tar -xOf "$T/d.tar" x/data) "$T/dg/x/data"
done
# from a pipe, as an import reads a download
check_eq "from a pipe" "$diff_id" "$(gzip -dc "$T/d.tar.gz" | "$LAYER_TOOL" digest - | field diff_id /dev/stdin)"

# ---- 4. breakouts (CVE catalogue row 14): victim next to the layer dir ----
B=$T/b
mkdir -p "$B/victim/sub"
printf 'secret\n' >"$B/victim/hello"
chmod 0600 "$B/victim/hello"
printf 'x\n' >"$B/victim/sub/file"
touch -d @1500000000 "$B/victim/hello" "$B/victim/sub/file" "$B/victim/sub" "$B/victim"
snapshot() { # everything under $B but the layer: names, types, modes, owners, sizes, mtimes, contents
        (cd "$B" && find . -mindepth 1 -path ./layer -prune -o -printf '%p %y %m %U:%G %s %T@ %n\n' | LC_ALL=C sort &&
                find . -path ./layer -prune -o -type f -exec sha256sum {} + | LC_ALL=C sort)
}
before=$(snapshot)
V=$B/victim
# name | python entries (V is the victim's absolute path) | expected: "error:<text>" or "ok"
while IFS='|' read -r name entries expect; do
        [ -n "$name" ] || continue
        mktar "$T/case.tar" <<<"V = T + '/b/victim'
$entries"
        unpack "$T/case.tar" "$B/layer"
        rc=$?
        case $expect in
        error:*)
                check_eq "$name: refused" "1" "$rc"
                check_contains "$name: says why" "${expect#error:}" "$(cat "$T/err")"
                ;;
        ok)
                check_eq "$name: unpacks safely" "0" "$rc"
                [ "$rc" = 0 ] || sed 's/^/# /' "$T/err"
                ;;
        esac
        check_eq "$name: victim tree unchanged" "$before" "$(snapshot)"
done <<'EOF'
dot-dot|f('../victim/x', 'pwned')|error:entry '../victim/x': path leaves the layer
absolute dot-dot|f('/../victim/x', 'pwned')|error:entry '/../victim/x': path leaves the layer
deep dot-dot|d('a'); f('a/../../victim/x', 'pwned')|error:path leaves the layer
hard link out|hl('h', '../victim/hello')|error:hard link target '../victim/hello' leaves the layer
hard link to an absolute host path|hl('h', V + '/hello'); f('h', 'pwned')|error:entry 'h': hard link target
symlink ../victim then write through it|sym('loop', '../victim'); f('loop/f', 'pwned')|error:entry 'loop/f': parent directory 'loop'
symlink /abs/victim then write through it|sym('loop', V); f('loop/f', 'pwned')|error:entry 'loop/f': parent directory 'loop'
symlink /abs/victim then mkdir through it|sym('loop', V); d('loop/newdir')|error:parent directory 'loop'
symlink /abs/victim then a whiteout through it|sym('loop', V); f('loop/.wh.hello')|error:entry 'loop/.wh.hello'
symlink /abs/victim then an opaque marker through it|sym('loop', V); f('loop/.wh..wh..opq')|error:entry 'loop/.wh..wh..opq'
symlink to a victim file then a 0777 file over it|sym('s', V + '/hello'); f('s', 'mine', mode=0o777, mtime=1)|ok
symlink to the victim dir then a 0777 dir over it|sym('s', V); d('s', mode=0o777, uid=1000, mtime=1)|ok
symlink to the victim dir then 's/.' 0777|sym('s', V); d('s/.', mode=0o777, mtime=1)|ok
symlink then a device over it|sym('s', V + '/hello'); cdev('s', 1, 3, mode=0o777)|ok
symlink then a hard link to it, then data|sym('s', V + '/hello'); hl('h', 's'); f('h', 'pwned', mode=0o777)|ok
dir swapped for an absolute symlink|d('d'); f('d/a', 'a'); sym('d', V); f('d/b', 'pwned', mode=0o777)|error:entry 'd/b': parent directory 'd'
dir swapped for a relative symlink|d('d'); f('d/a', 'a'); sym('d', '../victim'); f('d/b', 'pwned')|error:entry 'd/b': parent directory 'd'
dir swapped, then mkdir through it|d('d'); d('d/a'); sym('d', V); d('d/sub', mode=0o777)|error:parent directory 'd'
hard link to a directory|d('dd'); hl('h', 'dd')|error:hard link target 'dd' is a directory
EOF
# what the safe cases left in the layer: the layer's own objects, never the victim's
mktar "$T/case.tar" <<<"sym('s', T + '/b/victim/hello'); f('s', 'mine', mode=0o777)"
unpack "$T/case.tar" "$B/layer"
check_eq "the file replaced the symlink inside the layer" "regular file 777 mine" \
        "$(stat -c '%F %a' "$B/layer/s") $(cat "$B/layer/s")"
mktar "$T/case.tar" <<<"sym('s', T + '/b/victim/hello'); hl('h', 's')"
unpack "$T/case.tar" "$B/layer"
check_eq "a hard link to a symlink links the symlink" "symbolic link 2 $(stat -c %i "$B/layer/s")" \
        "$(stat -c '%F %h %i' "$B/layer/h")"
check_eq "victim not linked" "1" "$(stat -c %h "$V/hello")"
# an absolute symlink is followed inside the layer, as in the container
mktar "$T/case.tar" <<<"d('real'); sym('etc', '/real'); f('etc/passwd', 'root'); sym('up', '../../..'); f('up/real/x', 'x')"
unpack "$T/case.tar" "$B/layer"
check_eq "absolute and climbing symlinks resolve inside the layer" "root x" \
        "$(cat "$B/layer/real/passwd" 2>&1) $(cat "$B/layer/real/x" 2>&1)"
check_eq "victim tree unchanged at the end" "$before" "$(snapshot)"

# ---- 5. malformed layers and bombs (CVE catalogue row 20) ----
gzip -n -c "$T/normal.tar" >"$T/normal.tar.gz"
head -c $(($(stat -c %s "$T/normal.tar.gz") / 2)) "$T/normal.tar.gz" >"$T/trunc.tar.gz"
timeout 20 "$LAYER_TOOL" digest "$T/trunc.tar.gz" >/dev/null 2>"$T/err"
check_eq "truncated gzip: fails (not a timeout)" "1" "$?"
check_contains "truncated gzip: says so" "truncated" "$(cat "$T/err")"
unpack "$T/trunc.tar.gz" "$T/m"
check_eq "truncated gzip: unpack fails too" "1" "$?"
head -c 5000 "$T/normal.tar" >"$T/trunc.tar"
unpack "$T/trunc.tar" "$T/m"
check_match "truncated tar: fails naming the entry" "entry '[^']+'.*Truncated" "$(cat "$T/err")"
head -c 8192 /dev/urandom >"$T/random"
timeout 20 "$LAYER_TOOL" digest "$T/random" >/dev/null 2>"$T/err"
check_contains "random bytes: not a tar" "not a tar archive" "$(cat "$T/err")"
python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z: z.writestr("etc/passwd", "root")' "$T/x.zip"
unpack "$T/x.zip" "$T/m"
check_contains "zip: not a tar" "not a tar archive" "$(cat "$T/err")"
check_eq "zip: nothing unpacked" "" "$(ls -A "$T/m")"
echo 'just text' | gzip >"$T/text.gz"
unpack "$T/text.gz" "$T/m"
check_contains "gzip of text: not a tar" "not a tar archive" "$(cat "$T/err")"
gzip -c "$T/normal.tar.gz" >"$T/twice.gz"
unpack "$T/twice.gz" "$T/m"
check_contains "compressed twice: refused" "compressed more than once" "$(cat "$T/err")"

# A 1 GiB file of zeros in one deflate stream (valid gzip, ~1 MB), made by repeating a flushed
# block: streamed to the unpacker through a pipe, never stored.
cat >"$T/bomb.py" <<'PY'
import struct, sys, tarfile, zlib
GIB = 1 << 30
ti = tarfile.TarInfo('zeros'); ti.size = GIB
hdr = ti.tobuf(tarfile.GNU_FORMAT)
c = zlib.compressobj(9, zlib.DEFLATED, -15)
out = sys.stdout.buffer
out.write(b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03' + c.compress(hdr) + c.flush(zlib.Z_FULL_FLUSH))
crc, zero = zlib.crc32(hdr), bytes(1 << 20)
block = c.compress(zero) + c.flush(zlib.Z_FULL_FLUSH)
try:
    for _ in range(GIB // len(zero)):
        out.write(block)
        crc = zlib.crc32(zero, crc)
    tail = bytes(10240 - 512)
    out.write(c.compress(tail) + c.flush() + struct.pack('<II', zlib.crc32(tail, crc), (512 + GIB + len(tail)) & 0xffffffff))
except BrokenPipeError:
    sys.stderr.close()
PY
fresh "$T/m"
start=$SECONDS
python3 "$T/bomb.py" | CTR_LAYER_MAX_BYTES=64M timeout 60 "$LAYER_TOOL" unpack - "$T/m" >/dev/null 2>"$T/err"
check_eq "gzip bomb: fails (not a timeout)" "1" "$?"
check_contains "gzip bomb: stopped at the limit" "layer exceeds 67108864 bytes uncompressed (limit)" "$(cat "$T/err")"
check "gzip bomb: at most the limit written" test "$(stat -c %s "$T/m/zeros" 2>/dev/null || echo 0)" -le $((64 << 20))
echo "# bomb took $((SECONDS - start)) s"
python3 "$T/bomb.py" | CTR_LAYER_MAX_BYTES=64M timeout 60 "$LAYER_TOOL" digest - >/dev/null 2>"$T/err"
check_contains "gzip bomb: layer_digest stops at the limit too" "exceeds 67108864 bytes" "$(cat "$T/err")"

mktar "$T/many.tar" <<'PY'
d('many')
for i in range(100000):
    f('many/f%06d' % i)
PY
start=$SECONDS
unpack "$T/many.tar" "$T/m" --max-entries 200000
check_eq "100k-entry directory: unpacks within the timeout" "0" "$?"
check_eq "100k-entry directory: all there" "100000" "$(find "$T/m/many" -type f | wc -l)"
echo "# 100k entries took $((SECONDS - start)) s"
fresh "$T/m"
CTR_LAYER_MAX_ENTRIES=1000 timeout 60 "$LAYER_TOOL" unpack "$T/many.tar" "$T/m" >/dev/null 2>"$T/err"
check_contains "entry limit" "layer has more than 1000 entries (limit)" "$(cat "$T/err")"
rm -rf "$T/m" "$T/many.tar"

# ENOSPC reaches the caller as an error
head -c $((4 << 20)) /dev/urandom >"$T/rand"
mktar "$T/full.tar" <<<"f('big', open(T + '/rand', 'rb').read())"
mkdir -p "$T/small"
enospc=$(unshare -m sh -c 'mount -t tmpfs -o size=1m tmpfs "$2" && "$1" unpack "$3" "$2" 2>&1 >/dev/null' \
        sh "$LAYER_TOOL" "$T/small" "$T/full.tar")
check_contains "a full disk is an error" "No space left on device" "$enospc"

check "after all that, a normal layer still unpacks" unpack "$T/normal.tar.gz" "$T/again"
check_eq "and is the same tree" "$(cd "$L" && find . -printf '%p %y %m %U:%G %s\n' | LC_ALL=C sort)" \
        "$(cd "$T/again" && find . -printf '%p %y %m %U:%G %s\n' | LC_ALL=C sort)"

done_testing
