#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# TAP checks of `ctrctl image export` (lib/image/export.c), for the import/export integration test.
#
#   export-check.sh CTRCTL     through the CLI: `ctrctl image import DIR NAME` into a fresh
#                              $CTR_STORAGE_DIR, `ctrctl image export NAME FILE
#                              --format=docker-archive|oci-archive`
#
# Images are made with umoci (two gzip layers: files, a symlink, a file deleted by a whiteout),
# then recompressed with zstd (skopeo) and decompressed (by hand, blob = diff ID). Each is exported
# in both formats and checked with skopeo (inspect; copy to an OCI layout and unpack with umoci:
# the same rootfs as the original), for reproducible bytes, and against a corrupted and a missing
# blob (a failed export leaves no output file: the CLI writes FILE.XXXXXX and renames it).
# Needs root (umoci unpack keeps owners), skopeo, umoci, python3.

set -u
. "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"

BIN=${1:?usage: export-check.sh CTRCTL}
[ -x "$BIN" ] || skip_all "'$BIN' is not an executable"
[ "$(id -u)" = 0 ] || skip_all "needs root (umoci unpack keeps file owners)"
for p in skopeo umoci python3 sha256sum; do
        command -v $p >/dev/null || skip_all "needs $p"
done

T=$(mktemp -d /var/tmp/ctr-export-check.XXXXXX)
trap 'rm -rf "$T"' EXIT
export CTR_STORAGE_DIR=$T/store

# json FILE EXPR: a Python expression on the JSON document d
quiet() { "$@" >/dev/null 2>&1; }
logged() { # the output as TAP comments when the command fails
        local out rc
        out=$("$@" 2>&1)
        rc=$?
        [ $rc = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
        return $rc
}
json() {
        python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
blob() { # blob LAYOUT DIGEST
        echo "$1/blobs/sha256/${2#sha256:}"
}
manifest_of() { # the manifest blob of a one-image layout
        blob "$1" "$(json "$1/index.json" 'd["manifests"][0]["digest"]')"
}

# store_of NAME: where export reads the image from; do_export [STORE] NAME OUT FORMAT
store_of() {
        echo "$CTR_STORAGE_DIR"
}
do_export() {
        "$BIN" image export "$1" "$2" --format="$3"
}
do_export_from() { # STORE NAME OUT FORMAT
        CTR_STORAGE_DIR=$1 "$BIN" image export "$2" "$3" --format="$4"
}

# rootfs_listing DIR: what unpacking gave, owners, modes, link targets and content included
rootfs_listing() {
        (cd "$1" && find . -mindepth 1 -printf '%P %y %m %U:%G %l\n' | sort &&
                find . -type f -print0 | sort -z | xargs -0r sha256sum)
}

same_again() { # NAME OUT FORMAT
        rm -f "$2.again" && do_export "$1" "$2.again" "$3" && cmp "$2" "$2.again"
}

# the test images
make_images() {
        local L=$T/layout-t B=$T/bundle
        umoci init --layout "$L" &&
                umoci new --image "$L:t:latest" &&
                umoci unpack --image "$L:t:latest" "$B" >/dev/null &&
                mkdir -p "$B/rootfs/etc" "$B/rootfs/usr/bin" &&
                echo hello >"$B/rootfs/etc/hello" && echo gone >"$B/rootfs/etc/gone" &&
                ln -s ../../etc/hello "$B/rootfs/usr/bin/link" &&
                head -c 300000 /dev/urandom >"$B/rootfs/usr/bin/big" && chmod 0755 "$B/rootfs/usr/bin/big" &&
                umoci repack --image "$L:t:latest" "$B" >/dev/null && rm -rf "$B" &&
                umoci unpack --image "$L:t:latest" "$B" >/dev/null &&
                rm "$B/rootfs/etc/gone" && echo two >"$B/rootfs/etc/two" && chown 1:2 "$B/rootfs/etc/two" &&
                umoci repack --image "$L:t:latest" "$B" >/dev/null && rm -rf "$B" || return 1

        # zstd layers
        skopeo copy -q --dest-compress-format zstd "oci:$L:t:latest" "oci:$T/layout-tz:tz:latest" || return 1

        # uncompressed layers (the blob is the tar: its digest is the diff ID)
        python3 - "$L" "$T/layout-tu" <<'PY' || return 1
import gzip, hashlib, json, os, sys
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst + "/blobs/sha256")
def read(d): return open(src + "/blobs/sha256/" + d.split(":")[1], "rb").read()
def write(b):
    d = "sha256:" + hashlib.sha256(b).hexdigest()
    open(dst + "/blobs/sha256/" + d.split(":")[1], "wb").write(b)
    return d, len(b)
m = json.loads(read(json.load(open(src + "/index.json"))["manifests"][0]["digest"]))
write(read(m["config"]["digest"]))
for l in m["layers"]:
    l["digest"], l["size"] = write(gzip.decompress(read(l["digest"])))
    l["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
md, ms = write(json.dumps(m).encode())
open(dst + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": md, "size": ms, "annotations": {"org.opencontainers.image.ref.name": "tu:latest"}}]},
          open(dst + "/index.json", "w"))
PY
        umoci unpack --image "$L:t:latest" "$T/orig" >/dev/null
}
check "test images made with umoci and skopeo" make_images
[ -d "$T/orig/rootfs" ] || { done_testing; exit 1; }
ORIG_LISTING=$(rootfs_listing "$T/orig/rootfs")
check "the original image has the second layer's file" test -f "$T/orig/rootfs/etc/two"
check "the original image lacks the deleted file" test ! -e "$T/orig/rootfs/etc/gone"

for img in t tz tu; do
        check "import $img" logged "$BIN" image import "$T/layout-$img" "$img"
done

# the image as the source layout has it
ORIG_CONFIG=$(json "$(manifest_of "$T/layout-t")" 'd["config"]["digest"]')
ORIG_DIFF_IDS=$(json "$(blob "$T/layout-t" "$ORIG_CONFIG")" '" ".join(d["rootfs"]["diff_ids"])')

# tar_sane OUT: every entry root:root, mtime 0, 0644 files and 0755 dirs, nothing else; every
# blobs/sha256/HEX and HEX/layer.tar hashes to its HEX (a diff ID for layer.tar)
tar_sane() {
        python3 - "$1" <<'PY'
import hashlib, sys, tarfile
ok = True
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        want = 0o755 if m.isdir() else 0o644
        if not (m.isdir() or m.isfile()) or m.mode != want or m.uid or m.gid or m.mtime or \
                m.uname != "root" or m.gname != "root":
            print("#   bad entry %s: type %s mode %o %d:%d mtime %d" % (m.name, m.type, m.mode, m.uid, m.gid, m.mtime))
            ok = False
        hexname = None
        if m.name.startswith("blobs/sha256/") and m.isfile():
            hexname = m.name.split("/")[-1]
        elif m.name.endswith("/layer.tar"):
            hexname = m.name.split("/")[0]
        if hexname and hashlib.sha256(t.extractfile(m).read()).hexdigest() != hexname:
            print("#   %s does not hash to its name" % m.name)
            ok = False
sys.exit(0 if ok else 1)
PY
}

for img in t tz tu; do
        for f in oci-archive docker-archive; do
                out=$T/$img.$f.tar
                check "$img: export --format=$f" logged do_export "$img" "$out" "$f"
                [ -f "$out" ] || continue
                check "$img $f: entries root:root, mtime 0, 0644/0755, content hashes to names" tar_sane "$out"

                check "$img $f: skopeo inspect reads it" quiet skopeo inspect "$f:$out"
                cfg=$(skopeo inspect --config "$f:$out" 2>/dev/null | python3 -c \
                        'import json, sys; print(" ".join(json.load(sys.stdin)["rootfs"]["diff_ids"]))')
                check_eq "$img $f: the config's diff IDs are the original's" "$ORIG_DIFF_IDS" "$cfg"
                raw=$(skopeo inspect --raw "$f:$out" 2>/dev/null)
                check_eq "$img $f: the config digest is the original's" "$ORIG_CONFIG" \
                        "$(printf '%s' "$raw" | python3 -c 'import json, sys; print(json.load(sys.stdin)["config"]["digest"])')"
                if [ $f = docker-archive ]; then
                        layers=$(skopeo inspect "$f:$out" 2>/dev/null | python3 -c \
                                'import json, sys; print(" ".join(json.load(sys.stdin)["Layers"]))')
                        check_eq "$img $f: the layers are the uncompressed tars (digests = diff IDs)" "$ORIG_DIFF_IDS" "$layers"
                        mkdir -p "$T/x" && tar -xf "$out" -C "$T/x" manifest.json repositories
                        check_eq "$img $f: manifest.json RepoTags" "['$img:latest']" "$(json "$T/x/manifest.json" 'd[0]["RepoTags"]')"
                        check_eq "$img $f: repositories names the top layer" \
                                "${ORIG_DIFF_IDS##*sha256:}" "$(json "$T/x/repositories" "d['$img']['latest']")"
                        rm -rf "$T/x"
                else
                        src=$(manifest_of "$T/layout-$img")
                        mkdir -p "$T/x" && tar -xf "$out" -C "$T/x" index.json oci-layout "blobs/sha256/${src##*/}"
                        check "$img $f: the manifest is the store's, byte for byte" cmp "$src" "$T/x/blobs/sha256/${src##*/}"
                        check_eq "$img $f: index.json names the image" "$img:latest" \
                                "$(json "$T/x/index.json" 'd["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]')"
                        check_eq "$img $f: oci-layout" '{"imageLayoutVersion":"1.0.0"}' "$(cat "$T/x/oci-layout")"
                        rm -rf "$T/x"
                        check "$img $f: skopeo finds it by its ref" quiet skopeo inspect "$f:$out:$img:latest"
                fi

                rm -rf "$T/copy" "$T/unpacked"
                # gzip: umoci 0.4 unpacks no zstd
                if skopeo copy -q --dest-compress-format gzip "$f:$out" "oci:$T/copy:x" && umoci unpack --image "$T/copy:x" "$T/unpacked" >/dev/null; then
                        check_eq "$img $f: skopeo copy + umoci unpack gives the original rootfs" \
                                "$ORIG_LISTING" "$(rootfs_listing "$T/unpacked/rootfs")"
                else
                        not_ok "$img $f: skopeo copy + umoci unpack gives the original rootfs"
                fi

                check "$img $f: exporting again gives the same bytes" same_again "$img" "$out" "$f"
        done
done

# A store with one blob damaged: the export fails, names the blob and leaves no file.
# damaged_store NAME DIGEST HOW: a copy of NAME's store with blob DIGEST flipped (a byte in the
# middle), grown (a byte appended) or gone
damaged_store() {
        local bad=$T/bad-$1
        rm -rf "$bad"
        cp -a "$(store_of "$1")" "$bad" || return 1
        local b=$(blob "$bad" "$2")
        case $3 in
        flip) python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0x55; open(p, "wb").write(b)' "$b" ;;
        grow) printf x >>"$b" ;;
        gone) rm "$b" ;;
        esac
        echo "$bad"
}
for img in t tu; do
        m=$(manifest_of "$T/layout-$img")
        for what in "flip 0" "grow 1" "gone 1"; do
                how=${what% *}
                dg=$(json "$m" "d['layers'][${what#* }]['digest']")
                bad=$(damaged_store "$img" "$dg" "$how")
                for f in oci-archive docker-archive; do
                        rm -rf "$T/out" && mkdir "$T/out"
                        msg=$(do_export_from "$bad" "$img" "$T/out/x.tar" "$f" 2>&1)
                        rc=$?
                        check "$img $f, layer blob $how: the export fails" test $rc != 0
                        check_contains "$img $f, layer blob $how: the error names the blob" "$dg" "$msg"
                        check_eq "$img $f, layer blob $how: no file is left" "" "$(ls -A "$T/out")"
                done
        done
done

done_testing
