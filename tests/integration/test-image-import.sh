#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The image store end to end: imports of every format from fixtures made by tools nobody here
# wrote (umoci builds layers with whiteouts offline, skopeo converts between formats), the store
# read back by skopeo and umoci, layer sharing, atomic imports, garbage collection, export round
# trips, and containers run from images (overlay rootfs, image config as defaults).
. "$(dirname "$0")/lib.sh"
CTRCTL=${CTRCTL:?}
command -v umoci >/dev/null || skip_all "needs umoci (apt-get install umoci)"
command -v skopeo >/dev/null || skip_all "needs skopeo (apt-get install skopeo)"
[ -e /run/systemd/system ] && skip_all "systemd runs here: ctrctl run would make units (the system tier covers it)"

export CTR_STORAGE_DIR=$T/store
ctl() { "$CTRCTL" "$@"; }
FX=$T/fixtures
mkdir -p "$FX"

# --- fixtures -------------------------------------------------------------------------------
# a docker-export-like rootfs tarball, in four compressions
tar -C "$BASE_ROOTFS" -cf "$FX/rootfs.tar" .
gzip -c "$FX/rootfs.tar" >"$FX/rootfs.tar.gz"
zstd -q -c "$FX/rootfs.tar" >"$FX/rootfs.tar.zst"
xz -T1 -0 -c "$FX/rootfs.tar" >"$FX/rootfs.tar.xz"

# an OCI layout with three layers made by umoci: the busybox base, a layer that adds /app
# files and overwrites one, a layer that deletes a file (a whiteout) and replaces /app/data
# (an opaque directory when umoci sees a removed dir re-created)
L=$FX/layout
umoci init --layout "$L" >/dev/null
umoci new --image "$L:base" >/dev/null
umoci unpack --image "$L:base" "$FX/b" >/dev/null
cp -a "$BASE_ROOTFS/." "$FX/b/rootfs/"
umoci repack --image "$L:base" "$FX/b" >/dev/null
rm -rf "$FX/b"
umoci unpack --image "$L:base" "$FX/b" >/dev/null
mkdir -p "$FX/b/rootfs/app/data"
head -c 300000 /dev/urandom >"$FX/b/rootfs/app/big"
echo one >"$FX/b/rootfs/app/data/one"
echo hello >"$FX/b/rootfs/app/greeting"
umoci repack --image "$L:mid" "$FX/b" >/dev/null
rm -rf "$FX/b"
umoci unpack --image "$L:mid" "$FX/b" >/dev/null
rm -f "$FX/b/rootfs/app/big"
rm -rf "$FX/b/rootfs/app/data"
mkdir -p "$FX/b/rootfs/app/data"
echo two >"$FX/b/rootfs/app/data/two"
umoci repack --image "$L:app" "$FX/b" >/dev/null
umoci config --image "$L:app" --config.entrypoint /bin/sh --config.cmd -c --config.cmd 'echo "args:$0 user:$(id -u) cwd:$(pwd) greet:$GREETING"; cat /app/greeting; ls /app/data' \
        --config.env GREETING=from-image --config.workingdir /app >/dev/null
rm -rf "$FX/b"
n_app_layers=$(python3 -c 'import json,sys
idx=json.load(open(sys.argv[1]+"/index.json"))
d=[m for m in idx["manifests"] if m.get("annotations",{}).get("org.opencontainers.image.ref.name")=="app"][0]["digest"]
m=json.load(open(sys.argv[1]+"/blobs/sha256/"+d.split(":")[1]))
print(len(m["layers"]))' "$L")
check "umoci built a multi-layer fixture ($n_app_layers layers)" [ "$n_app_layers" -ge 3 ]

skopeo copy -q "oci:$L:app" "docker-archive:$FX/app-docker.tar:app:v1" >/dev/null
skopeo copy -q "oci:$L:app" "oci-archive:$FX/app-oci.tar:app" >/dev/null

# --- imports ----------------------------------------------------------------------------------
for f in rootfs.tar rootfs.tar.gz rootfs.tar.zst rootfs.tar.xz; do
        out=$(ctl image import "$FX/$f" "bb-${f//./-}" 2>&1)
        check "a rootfs tarball ($f) imports" [ $? = 0 ]
done
out=$(ctl images)
check_contains "images lists the imported image by name:tag" "bb-rootfs-tar-gz:latest" "$out"
out=$(ctl image inspect --json bb-rootfs-tar-zst)
check_eq "a zstd tarball keeps its compression as the layer's media type" \
        application/vnd.oci.image.layer.v1.tar+zstd \
        "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["mediaType"])')"
out=$(ctl image inspect --json bb-rootfs-tar-xz)
check_eq "an xz tarball is stored as a plain tar (xz is no OCI media type)" \
        application/vnd.oci.image.layer.v1.tar \
        "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["mediaType"])')"
check_eq "the four tarballs of one rootfs share one unpacked layer" 1 "$(ls "$CTR_STORAGE_DIR/layers" | wc -l)"

out=$(ctl image import "$L" 2>&1)
check "an OCI layout directory imports (every ref)" [ $? = 0 ]
check_contains "its refs become NAME:TAG with the directory's name" "layout:app" "$out"
out=$(ctl image import "$L/" 2>&1)
check_contains "a trailing slash on the layout path keeps the name" "layout:app" "$out"
out=$(ctl image import "$FX/app-docker.tar" 2>&1)
check "a docker-archive (skopeo docker-archive:) imports" [ $? = 0 ]
check_contains "under its RepoTags" "app:v1" "$out"
check_contains "reusing the layers the layout brought" "0 layer(s) unpacked" "$out"
out=$(ctl image import "$FX/app-oci.tar" app-oci:1 2>&1)
check "an OCI archive (skopeo oci-archive:) imports under a given name" [ $? = 0 ]
id1=$(ctl image inspect --json layout:app | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
id2=$(ctl image inspect --json app:v1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check_eq "the same image through docker-archive and OCI layout has the same ID (config digest)" "$id1" "$id2"
check "the image is found by a 12-digit ID prefix" bash -c "\"$CTRCTL\" image inspect \"${id1:7:12}\" >/dev/null"

# --- the store is an OCI layout others read ----------------------------------------------------
out=$(skopeo inspect "oci:$CTR_STORAGE_DIR:app:v1" 2>&1)
check "skopeo reads an image of the store" [ $? = 0 ]
check_contains "with its layers" '"Layers"' "$out"
rm -rf "$T/umoci-out"
umoci unpack --image "$CTR_STORAGE_DIR:app-oci:1" "$T/umoci-out" >/dev/null 2>&1
if [ -d "$T/umoci-out/rootfs" ]; then
        check "umoci unpacks an image of the store" [ -e "$T/umoci-out/rootfs/app/greeting" ]
        check "with the whiteout applied (a deleted file stays deleted)" [ ! -e "$T/umoci-out/rootfs/app/big" ]
else
        # umoci refuses ':' in a tag; its own names (written by umoci into the store) work
        umoci tag --image "$CTR_STORAGE_DIR:app-oci:1" umocitag >/dev/null 2>&1 ||
                python3 - "$CTR_STORAGE_DIR" <<'PY'
import json, sys
p = sys.argv[1] + "/index.json"
i = json.load(open(p))
d = [m for m in i["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "app-oci:1"][0]
i["manifests"].append({"mediaType": d["mediaType"], "digest": d["digest"], "size": d["size"],
                       "annotations": {"org.opencontainers.image.ref.name": "umocitag"}})
json.dump(i, open(p, "w"))
PY
        umoci unpack --image "$CTR_STORAGE_DIR:umocitag" "$T/umoci-out" >/dev/null 2>&1
        check "umoci unpacks an image of the store" [ -e "$T/umoci-out/rootfs/app/greeting" ]
        check "with the whiteout applied (a deleted file stays deleted)" [ ! -e "$T/umoci-out/rootfs/app/big" ]
        ctl image rm umocitag:latest >/dev/null 2>&1
fi
rm -rf "$T/umoci-out"

# --- running from images -----------------------------------------------------------------------
out=$(ctl run --name img-$$ bb-rootfs-tar sh -c 'echo hi from $(cat /proc/1/comm); touch /marker; exit 3' 2>&1)
check_eq "ctrctl run IMAGE runs the command in the image's rootfs, its status back" 3 $?
check_contains "with the output" "hi from" "$out"
check "the container's upper dir is gone afterwards" [ ! -e "$CTR_STORAGE_DIR/containers/ctr@img-$$" ]
check "and the file it wrote never reached the shared layer" \
        [ -z "$(find "$CTR_STORAGE_DIR/layers" -name marker)" ]
check "no overlay mount is visible on the host" bash -c "! grep -q '$CTR_STORAGE_DIR' /proc/self/mountinfo"

out=$(ctl run --name img2-$$ app:v1 2>&1)
check_eq "the image's Entrypoint+Cmd run when no command is given" 0 $?
check_contains "Cmd, WorkingDir, Env from the image config" "user:0 cwd:/app greet:from-image" "$out"
check_contains "the upper layer's files are seen" "hello" "$out"
check_match "the opaque directory hides the lower layer's content" "^two$|
two" "$(printf '%s' "$out" | tail -n 2)"
check "and not the removed dir's old file" bash -c "! printf '%s' \"\$1\" | grep -qx one" _ "$out"
out=$(ctl run --name img3-$$ -e GREETING=flag app:v1 -c 'echo $GREETING' 2>/dev/null)
check_eq "arguments replace the image's Cmd (the Entrypoint stays), -e overrides Env" flag "$out"

# --- the layer report (dive's questions) -------------------------------------------------------
out=$(ctl image layers app:v1)
check_contains "image layers names each layer's command (the config's history)" "umoci repack" "$out"
j=$(ctl image layers --json app:v1)
check_eq "the 300000-byte file added in layer 2 and deleted in layer 3 is wasted space" 300000 \
        "$(printf '%s' "$j" | python3 -c 'import json,sys; d=json.load(sys.stdin); print([f["sizeBytes"] for f in d["image"]["fileReference"] if f["file"]=="/app/big"][0])')"
check_eq "layer 3 records the removal" 1 \
        "$(printf '%s' "$j" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(1 for f in d["layer"][2]["removed"]["files"] if f["path"]=="/app/big"))')"
ctl image layers --ci --lowest-efficiency=0.1 --highest-user-wasted-percent=disabled app:v1 >/dev/null
check_eq "--ci passes with thresholds the image meets" 0 $?
out=$(ctl image layers --ci app:v1)
check_eq "--ci fails with dive's default thresholds (most of the user bytes are wasted)" 1 $?
check_contains "and says which rule failed" "FAIL" "$out"
out=$(ctl image layers --ci --highest-wasted-bytes=100KB --lowest-efficiency=0 --highest-user-wasted-percent=disabled app:v1)
check_eq "--highest-wasted-bytes=100KB fails an image wasting 300 kB" 1 $?

# --- atomicity and checks ---------------------------------------------------------------------
before=$(ls "$CTR_STORAGE_DIR/blobs/sha256" | sort)
cp -a "$L" "$T/corrupt"
blob=$(python3 - "$T/corrupt" <<'PY'
import json, sys
L = sys.argv[1]
i = json.load(open(L + "/index.json"))
d = [m for m in i["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "app"][0]["digest"]
m = json.load(open(L + "/blobs/sha256/" + d.split(":")[1]))
print(m["layers"][-1]["digest"].split(":")[1])
PY
)
chmod u+w "$T/corrupt/blobs/sha256/$blob"
printf 'X' | dd of="$T/corrupt/blobs/sha256/$blob" bs=1 seek=100 conv=notrunc 2>/dev/null
ctl image rm layout:app app:v1 app-oci:1 >/dev/null
out=$(ctl image import "$T/corrupt" 2>&1)
check "a layout with a corrupted layer blob is refused" [ $? != 0 ]
check_contains "naming the blob" "$blob" "$out"
check "no image of it appears (not even the intact ones: an import is all or nothing)" \
        bash -c "! \"$CTRCTL\" images | grep -q corrupt"
check_eq "no temp files remain in the store" "" "$(ls -A "$CTR_STORAGE_DIR/tmp")"

python3 - "$T/corrupt" <<'PY'
import json, sys
p = sys.argv[1] + "/index.json"
i = json.load(open(p))
i["manifests"] = [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:../../../etc/passwd", "size": 10}]
json.dump(i, open(p, "w"))
PY
out=$(ctl image import "$T/corrupt" evil:1 2>&1)
check "a digest with a path in it is refused before it is used" [ $? != 0 ]
check_contains "as not a sha256 digest" "not a sha256 digest" "$out"
rm -rf "$T/corrupt"

# interrupted import: kill -9 in the middle of a big layer, then the next import cleans up
mkdir -p "$T/bigroot"
head -c 150000000 /dev/urandom >"$T/bigroot/big"
tar -C "$T/bigroot" -cf "$FX/big.tar" .
rm -rf "$T/bigroot"
"$CTRCTL" image import "$FX/big.tar" big:1 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 200); do
        [ -n "$(ls -A "$CTR_STORAGE_DIR/tmp" 2>/dev/null)" ] && break
        sleep 0.01
done
sleep 0.1
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
check "a killed import leaves no image" bash -c "! \"$CTRCTL\" image inspect big:1 >/dev/null 2>&1"
ctl image import "$FX/rootfs.tar" again:1 >/dev/null 2>&1
check_eq "the next import removes what the killed one left in tmp/" "" "$(ls -A "$CTR_STORAGE_DIR/tmp")"

# two imports of the same new layer at once
"$CTRCTL" image import "$FX/big.tar" par:1 >/dev/null 2>&1 &
p1=$!
"$CTRCTL" image import "$FX/big.tar" par:2 >/dev/null 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
check "two concurrent imports of the same layer both succeed" [ $r1 = 0 ] && [ $r2 = 0 ]
check_eq "and store it once" 1 "$(grep -l "$(ctl image inspect --json par:1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["chainID"])')" "$CTR_STORAGE_DIR"/layers/*/chain | wc -l)"
rm -f "$FX/big.tar"

# --- export round trips ----------------------------------------------------------------------
ctl image import "$L" >/dev/null 2>&1
for fmt in docker-archive oci-archive; do
        ctl image export --format=$fmt layout:app "$T/out-$fmt.tar"
        check "export --format=$fmt writes an archive" [ -s "$T/out-$fmt.tar" ]
        out=$(skopeo inspect "$fmt:$T/out-$fmt.tar" 2>&1)
        check "skopeo reads the $fmt ctrctl wrote" [ $? = 0 ]
        ctl image import "$T/out-$fmt.tar" "round-$fmt:1" >/dev/null 2>&1
        check_eq "re-imported from the $fmt, the image ID is the same" "$id1" \
                "$(ctl image inspect --json "round-$fmt:1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
done
"$CTRCTL" image export no-such:1 "$T/none.tar" 2>/dev/null
check "a failed export fails" [ $? != 0 ]
check_eq "and leaves no file, not even a temporary one" "" "$(ls "$T" | grep none.tar)"

# --- removal and garbage collection ----------------------------------------------------------
for i in $(ctl images --json | python3 -c 'import json,sys; [print(n) for i in json.load(sys.stdin) for n in i["names"]]'); do
        ctl image rm "$i" >/dev/null
done
out=$(ctl image prune)
check_eq "after removing every image, no layer is left" "" "$(ls -A "$CTR_STORAGE_DIR/layers")"
check_eq "nor any blob" "" "$(ls -A "$CTR_STORAGE_DIR/blobs/sha256")"
check_eq "nor any container dir" "" "$(ls -A "$CTR_STORAGE_DIR/containers")"
done_testing
