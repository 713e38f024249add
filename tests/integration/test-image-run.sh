#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Containers run from images (ctrctl run IMAGE, and ctr-exec on a definition with Image= for
# ReadOnly=): an image of 120 layers, the read-only rootfs, the container's own upper
# directory, two containers of one image at once, garbage collection while a container runs,
# the image config as defaults with the precedence of ctrctl.ctr(5) (Image=), and nothing left
# on the host afterwards. The images are OCI layouts written here by a small python helper.
. "$(dirname "$0")/lib.sh"
CTRCTL=${CTRCTL:?}
CTR_EXEC=${CTR_EXEC:-${CTR_OCI%/*}/ctr-exec}
command -v python3 >/dev/null || skip_all "needs python3"
[ -e /run/systemd/system ] && skip_all "systemd runs here: ctrctl run would make units (the system tier covers it)"

export CTR_STORAGE_DIR=$T/store
ctl() { "$CTRCTL" "$@"; }
FX=$T/fixtures
SYNC=$T/sync
mkdir -p "$FX" "$SYNC"

# Every container of ours is named *-$$; background runs are killed by their PID.
BG_PIDS=()
cleanup_ours() {
        local f p
        for p in "${BG_PIDS[@]}"; do
                kill "$p" 2>/dev/null
        done
        for p in "${BG_PIDS[@]}"; do
                wait "$p" 2>/dev/null
        done
        for f in /run/ctr/*-$$.ctr /run/ctr/.*-$$.ctr.tmp; do
                [ -e "$f" ] && rm -f "$f"
        done
        for f in /run/ctrctl/ctr@*-$$; do
                [ -e "$f" ] && "$CTR_OCI" --root /run/ctrctl delete --force "${f##*/}" >/dev/null 2>&1
        done
        cleanup
}
trap cleanup_ours EXIT

# wait_for FILE...: 0 once every FILE exists, 1 after 30 s (a bound for a hung container, not a
# timing assertion)
wait_for() {
        local f missing
        for _ in $(seq 300); do
                missing=
                for f in "$@"; do
                        [ -e "$f" ] || missing=1
                done
                [ -z "$missing" ] && return 0
                sleep 0.1
        done
        return 1
}
store_mounts() { grep " $CTR_STORAGE_DIR/" /proc/self/mountinfo; }
# the layer directories of an image (first 16 hex digits of each chain ID), lowest first
layer_dirs() {
        ctl image inspect --json "$1" | python3 -c 'import json,sys
for l in json.load(sys.stdin)["layers"]: print(l["chainID"].split(":")[1][:16])'
}

py() {
        local code=$1; shift
        python3 - "$@" <<PY
import sys; sys.dont_write_bytecode = True; sys.path.insert(0, "$SRCDIR/tests/integration")
from ocilib import *
T, FX, BASE, PID = "$T", "$FX", "$BASE_ROOTFS", "$$"
$code
PY
}

# ---- fixtures ---------------------------------------------------------------------------------
# img:many: the busybox base and 120 layers over it; layer i adds /layers/fNNN and rewrites
# /layers/top, layer 60 deletes /layers/f010 (a whiteout).
# img:app: an Entrypoint that shows what it got, Cmd, WorkingDir, Env and User.
# img:two: the base and one small layer (a real overlay; img:one is the base alone, a bind).
# gc:1 (its own layout): layers no other image shares.
py '
base = tar_dir(BASE)
L = FX + "/img"
layers = [base]
for i in range(1, 121):
    e = [("layers", "dir"), ("layers/f%03d" % i, "file", "%03d\n" % i), ("layers/top", "file", "%03d\n" % i)]
    if i == 60:
        e.append(("layers/.wh.f010", "file", ""))
    layers.append(tar_entries(e))
image(L, "many", layers, {"Cmd": ["sh"]})
show = "#!/bin/sh\necho \"args:$*\"\necho \"user:$(id -u):$(id -g)\"\necho \"cwd:$(pwd)\"\necho \"env:A=$A B=$B C=$C\"\n"
app = tar_entries([("usr", "dir"), ("usr/local", "dir"), ("usr/local/bin", "dir"),
                   ("usr/local/bin/show", "file", show, 0o755),
                   ("usr/local/bin/other", "file", "#!/bin/sh\necho \"other:$*\"\n", 0o755),
                   ("etc", "dir"),
                   ("etc/passwd", "file", "root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345::/:/bin/sh\n"
                                          "nobody:x:65534:65534::/:/bin/false\n"),
                   ("etc/group", "file", "root:x:0:\napp:x:2345:\nnogroup:x:65534:\n"),
                   ("work", "dir", None, 0o777)])
image(L, "app", [base, app], {"Entrypoint": ["/usr/local/bin/show", "ep1"], "Cmd": ["cmd1", "cmd2"],
                              "WorkingDir": "/work", "User": "app",
                              "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "A=image-a", "B=image-b"]})
image(L, "two", [base, tar_entries([("etc", "dir"), ("etc/two", "file", "two\n")])], {"Cmd": ["sh"]})
image(L, "one", [base], {"Cmd": ["sh"]})
gcbase = tar_dir(BASE, [("gc-unique-" + PID, b"unique\n")])
gctop = tar_entries([("gc", "dir"), ("gc/data", "file", "gc-data\n"), ("gc/later", "file", "read-after-prune\n")])
image(FX + "/gc", "1", [gcbase, gctop], {"Cmd": ["sh"]})
'
out=$(ctl image import "$FX/img" 2>&1)
check "the fixture layout (120-layer, config, two-layer images) imports" [ $? = 0 ]
echo "# $(printf '%s' "$out" | tail -n 1)"

# ---- 120 layers -------------------------------------------------------------------------------
# overlayfs takes its options in one page; the store names layer dirs with 16 hex digits and
# passes them relative to layers/, which is what makes 121 lower dirs fit.
check_eq "img:many has 121 layers" 121 "$(layer_dirs img:many | wc -l)"
check_eq "its layer dirs have short (16 digit) names" 16 "$(layer_dirs img:many | awk '{print length($0)}' | sort -u)"
out=$(ctl run --name many-$$ img:many sh -c 'echo "f001:$(cat /layers/f001) f120:$(cat /layers/f120)"
        echo "top:$(cat /layers/top) n:$(ls /layers | wc -l)"
        echo "f009:$(cat /layers/f009) f010:$(cat /layers/f010 2>/dev/null) f011:$(cat /layers/f011)"
        cat /bin/busybox >/dev/null && echo base-ok' 2>"$T/err")
rc=$?
check_eq "the 121-layer image runs" 0 $rc
[ $rc = 0 ] || sed 's/^/# /' "$T/err"
check_eq "the files of layer 1 and layer 120 are visible" "f001:001 f120:120" "$(printf '%s\n' "$out" | sed -n 1p)"
check_eq "/layers/top has layer 120's content; 120 files and top, less the one deleted" "top:120 n:120" \
        "$(printf '%s\n' "$out" | sed -n 2p)"
check_eq "the whiteout of layer 60 hides layer 10's file, not its neighbours" "f009:009 f010: f011:011" \
        "$(printf '%s\n' "$out" | sed -n 3p)"
check_eq "the base layer (the lowest) is seen through 120 others" base-ok "$(printf '%s\n' "$out" | sed -n 4p)"

# More lower dirs than one page of options holds: a clear error, nothing left behind.
py '
layers = [tar_dir(BASE)] + [tar_entries([("l", "dir"), ("l/f%03d" % i, "file", "%d" % i)]) for i in range(1, 250)]
image(FX + "/toomany", "1", layers, {"Cmd": ["true"]})
'
out=$(ctl image import "$FX/toomany" toomany:1 2>&1)
check "an image of 250 layers imports" [ $? = 0 ]
out=$(ctl run --name toomany-$$ toomany:1 2>&1)
check_eq "running it fails as a setup error" 125 $?
check_match "... saying its layers do not fit" "250 layers.*one page" "$out"
check "... and leaves no container dir" [ ! -e "$CTR_STORAGE_DIR/containers/ctr@toomany-$$" ]
ctl image rm toomany:1 >/dev/null 2>&1

# ---- the upper directory ----------------------------------------------------------------------
name=upper-$$
out=$(ctl run --name $name img:two sh -c 'echo mine >/written-'$$'; echo x >>/etc/two; rm /bin/vi
        echo "w:$(cat /written-'$$') two:$(tr "\n" , </etc/two)"; [ -e /bin/vi ] || echo vi-gone' 2>"$T/err")
check_eq "a container of img:two writes, appends to a lower file, deletes one" 0 $?
check_eq "it sees its own writes" "w:mine two:two,x,
vi-gone" "$out"
check_eq "the file it wrote is in no layer dir" "" "$(find "$CTR_STORAGE_DIR/layers" -name "written-$$")"
check_eq "the lower file it changed is unchanged in its layer" "two" \
        "$(cat "$CTR_STORAGE_DIR/layers/$(layer_dirs img:two | tail -n 1)/diff/etc/two")"
check "the file it deleted is still in the base layer" \
        [ -L "$CTR_STORAGE_DIR/layers/$(layer_dirs img:two | head -n 1)/diff/bin/vi" ]
check "its upper dir is gone after the run" [ ! -e "$CTR_STORAGE_DIR/containers/ctr@$name" ]
out=$(ctl run --name $name img:two sh -c '[ -e /written-'$$' ] && echo written-seen; cat /etc/two
        [ -e /bin/vi ] && echo vi-back' 2>/dev/null)
check_eq "the next container of the image starts from the image" "two
vi-back" "$out"

# two containers of one image at once: each writes, says it is ready (a shared volume), waits
# for the go, then looks for the other's file
for w in a b; do
        other=b
        [ $w = b ] && other=a
        ctl run --name two-$w-$$ -v "$SYNC:/sync" img:two sh -c "
                echo $w >/who; touch /only-$w; touch /sync/$w-ready
                i=0; while [ ! -e /sync/go ] && [ \$i -lt 300 ]; do sleep 0.1; i=\$((i + 1)); done
                echo who:\$(cat /who); [ -e /only-$other ] && echo SEES-$other; echo done-$w" \
                >"$T/two-$w.out" 2>&1 &
        BG_PIDS+=($!)
done
if wait_for "$SYNC/a-ready" "$SYNC/b-ready"; then
        ok "two containers of img:two run at once"
else
        not_ok "two containers of img:two run at once"
fi
ua=$CTR_STORAGE_DIR/containers/ctr@two-a-$$/upper
ub=$CTR_STORAGE_DIR/containers/ctr@two-b-$$/upper
check "while they run, each upper dir holds its own file only" \
        [ -e "$ua/only-a" -a ! -e "$ua/only-b" -a -e "$ub/only-b" -a ! -e "$ub/only-a" ]
check_eq "while they run, no mount of the store is visible on the host" "" "$(store_mounts)"
check_eq "their writes reach no layer" "" "$(find "$CTR_STORAGE_DIR/layers" -name 'only-[ab]')"
touch "$SYNC/go"
for p in "${BG_PIDS[@]}"; do
        wait "$p"
done
BG_PIDS=()
out_a=$(cat "$T/two-a.out")
out_b=$(cat "$T/two-b.out")
check_contains "container a saw its /who" "who:a" "$out_a"
check_contains "container b saw its /who" "who:b" "$out_b"
check "neither saw the other's file" bash -c '! printf "%s%s" "$1" "$2" | grep -q SEES-' _ "$out_a" "$out_b"
check_contains "both ran to the end" "done-a" "$out_a"
check_contains "..." "done-b" "$out_b"
check "both upper dirs are gone" [ ! -e "$CTR_STORAGE_DIR/containers/ctr@two-a-$$" -a ! -e "$CTR_STORAGE_DIR/containers/ctr@two-b-$$" ]
rm -f "$SYNC"/*

# ---- the read-only rootfs: ReadOnly=yes in a definition, run by ctr-exec ------------------------
# ctrctl run has no --read-only; a definition with Image= and ReadOnly=yes, run by ctr-exec (in
# the background here, without systemd: its output comes through our pipe, and --cleanup does
# what the unit's ExecStopPost= does).
if [ -x "$CTR_EXEC" ]; then
        mkdir -p "$T/defs"
        for img in one two; do
                name=ro-$img-$$
                {
                        printf '[Container]\nImage=img:%s\nReadOnly=yes\n' $img
                        cat <<'EOF'
Exec=sh -c 'echo x >/written; echo write-rc=$?; echo x >/tmp/t; echo tmp-rc=$?; \
        cat /etc/passwd >/dev/null && echo read-ok; grep -E "^[0-9]+ [0-9]+ [^ ]+ [^ ]+ / " /proc/self/mountinfo'
EOF
                } >"$T/defs/$name.ctr"
                cfg=$(CTR_DEFINITION_PATH=$T/defs "$CTR_EXEC" --print-config $name 2>&1)
                check_contains "ReadOnly=yes with Image=img:$img: root.readonly in the OCI config" '"readonly": true' "$cfg"
                out=$(CTR_DEFINITION_PATH=$T/defs timeout 30 "$CTR_EXEC" --root "$ROOT" $name 2>&1)
                rc=$?
                check_eq "img:$img read-only: ctr-exec starts it" 0 $rc
                check_contains "img:$img read-only: a write to / fails" "write-rc=1" "$out"
                check_contains "img:$img read-only: ... and to /tmp" "tmp-rc=1" "$out"
                check_contains "img:$img read-only: reading works" "read-ok" "$out"
                check_match "img:$img read-only: / is mounted ro" "^ro(,|$)" \
                        "$(printf '%s\n' "$out" | awk '$5 == "/" { o = $6 } END { print o }')"
                check_eq "img:$img read-only: its upper dir stays empty" "" \
                        "$(ls -A "$CTR_STORAGE_DIR/containers/ctr@$name/upper" 2>/dev/null)"
                check "img:$img read-only: nothing reached a layer" [ -z "$(find "$CTR_STORAGE_DIR/layers" -name written)" ]
                # the container has ended once its output is read to the end
                CTR_DEFINITION_PATH=$T/defs "$CTR_EXEC" --root "$ROOT" --cleanup $name >/dev/null 2>&1
                check "img:$img read-only: ctr-exec --cleanup removes the container dir" \
                        [ ! -e "$CTR_STORAGE_DIR/containers/ctr@$name" ]
        done
else
        echo "# no ctr-exec at $CTR_EXEC: the read-only rootfs is not tested"
fi

# ---- garbage collection and a running container --------------------------------------------------
out=$(ctl image import "$FX/gc" gc:1 2>&1)
check "gc:1 imports" [ $? = 0 ]
gc_layers=$(layer_dirs gc:1)
check_eq "gc:1 has two layers of its own" 2 "$(echo "$gc_layers" | wc -l)"
name=gc-$$
ctl run --name $name -v "$SYNC:/sync" gc:1 sh -c '
        touch /sync/gc-ready; i=0; fail=0
        while [ ! -e /sync/gc-go ] && [ $i -lt 300 ]; do
                cat /gc/data >/dev/null || fail=1; sleep 0.1; i=$((i + 1))
        done
        [ $fail = 0 ] && echo reads-ok; cat /gc/later; ls /gc-unique-'$$' && echo base-ok' >"$T/gc.out" 2>&1 &
gc_pid=$!
BG_PIDS+=("$gc_pid")
wait_for "$SYNC/gc-ready"
check "a container of gc:1 runs" [ -e "$SYNC/gc-ready" ]
out=$(ctl image rm gc:1 2>&1)
check "image rm gc:1 while it runs" [ $? = 0 ]
ctl image prune >/dev/null 2>&1
check "image prune while it runs" [ $? = 0 ]
check "gc:1 is no longer listed" bash -c "! \"$CTRCTL\" images | grep -q '^gc'"
missing=
for l in $gc_layers; do
        [ -d "$CTR_STORAGE_DIR/layers/$l/diff" ] || missing="$missing $l"
done
check_eq "the running container's layers survive rm and prune" "" "$missing"
touch "$SYNC/gc-go"
wait $gc_pid
gc_rc=$?
BG_PIDS=()
out=$(cat "$T/gc.out")
check_eq "the container ends well" 0 $gc_rc
check_contains "it read its files all along" "reads-ok" "$out"
check_contains "it reads a file first opened after the prune" "read-after-prune" "$out"
check_contains "and one of its lowest layer" "base-ok" "$out"
ctl image prune >/dev/null 2>&1
left=
for l in $gc_layers; do
        [ -e "$CTR_STORAGE_DIR/layers/$l" ] && left="$left $l"
done
check_eq "after it exits, prune removes those layers" "" "$left"
check "the other images' layers are still there" bash -c "\"$CTRCTL\" run --name gc-after-$$ img:two cat /etc/two >/dev/null 2>&1"

# ---- the image config as defaults: the precedence of ctrctl.ctr(5), Image= --------------------------
r() { ctl run --name cfg-$$ "$@" 2>/dev/null; }
out=$(r img:app)
check_eq "no arguments: the image's Entrypoint and Cmd, User, WorkingDir, Env" \
        "args:ep1 cmd1 cmd2
user:1234:2345
cwd:/work
env:A=image-a B=image-b C=" "$out"
out=$(r img:app x y)
check_contains "arguments replace Cmd, the Entrypoint stays" "args:ep1 x y" "$out"
out=$(r --entrypoint /usr/local/bin/other img:app)
check_eq "--entrypoint replaces the Entrypoint and drops Cmd" "other:" "$out"
out=$(r --entrypoint /usr/local/bin/other img:app z)
check_eq "--entrypoint with arguments: they are all the command's" "other:z" "$out"
out=$(r --entrypoint "" img:app /bin/echo hi)
check_eq "--entrypoint '' drops the image's Entrypoint (and Cmd): the arguments alone" "hi" "$out"
out=$(ctl run --name cfg-$$ --entrypoint "" img:app 2>&1)
check "--entrypoint '' and no arguments: nothing to run, an error" [ $? != 0 ]
check_contains "... saying so" "no Entrypoint or Cmd" "$out"
out=$(r -e A=flag img:app)
check_contains "-e overrides one variable and keeps the others" "env:A=flag B=image-b C=" "$out"
out=$(r -e C=new -e B=flag-b img:app)
check_contains "-e adds a variable and overrides another" "env:A=image-a B=flag-b C=new" "$out"
out=$(r --entrypoint show img:app)
check_eq "a command without a slash is found in the PATH of the image's Env" "args:" "$(printf '%s\n' "$out" | head -n 1)"
out=$(r --user 0 img:app)
check_contains "--user 0 overrides the image's User" "user:0:0" "$out"
out=$(r --user nobody img:app)
check_contains "--user NAME, looked up in the image" "user:65534:65534" "$out"
out=$(r --user app:root img:app)
check_contains "--user NAME:GROUP" "user:1234:0" "$out"
out=$(r -w /tmp img:app)
check_contains "-w overrides WorkingDir" "cwd:/tmp" "$out"
out=$(r -w /tmp --user 0 -e B=b2 --entrypoint /usr/local/bin/show img:app q)
check_eq "all of them at once" "args:q
user:0:0
cwd:/tmp
env:A=image-a B=b2 C=" "$out"

# ---- a failed ctr@NAME start's cleanup leaves a foreground run of that name alone ---------------
if [ -x "$CTR_EXEC" ]; then
        ctl run --rm --name own-$$ img:two sh -c 'sleep 3; echo survived' >"$T/own.out" 2>/dev/null &
        job=$!
        wait_for "$CTR_STORAGE_DIR/containers/ctr@own-$$/upper" || true
        sleep 0.3
        INVOCATION_ID=0123456789abcdef "$CTR_EXEC" --cleanup own-$$ >/dev/null 2>&1
        wait $job
        check_eq "ExecStopPost's cleanup of another invocation leaves the running container" survived "$(cat "$T/own.out")"
fi

# ---- a store on overlayfs (ctrctl inside a container) says what to do -------------------------
mkdir -p "$T/ovl"/{lower,upper,work,merged}
tar -C "$BASE_ROOTFS" -cf "$T/bb.tar" .
out=$(unshare -m --propagation private bash -c '
        mount -t overlay ovl -o lowerdir="$1/lower",upperdir="$1/upper",workdir="$1/work" "$1/merged" || exit 99
        export CTR_STORAGE_DIR=$1/merged/store
        "$2" image import -q "$3" o:1 >/dev/null 2>&1 || exit 98
        "$2" run --name ovl-$$ o:1 true' _ "$T/ovl" "$CTRCTL" "$T/bb.tar" 2>&1)
check "a store on overlayfs cannot hold an upper dir: the run fails" [ $? != 0 ]
check_contains "saying why and what to do" "is on overlayfs" "$out"
rm -rf "$T/ovl" "$T/bb.tar"

# ---- nothing is left on the host ----------------------------------------------------------------
check_eq "no mount of the store is visible on the host" "" "$(store_mounts)"
check_eq "no definition of ours is left in /run/ctr" "" "$(cd /run/ctr 2>/dev/null && ls -d -- *-$$.ctr 2>/dev/null)"
check_eq "no state of ours is left in /run/ctrctl" "" "$(cd /run/ctrctl 2>/dev/null && ls -d -- *-$$ 2>/dev/null)"
check_eq "no state is left in ctr-exec's root" "" "$(ls -A "$ROOT" 2>/dev/null)"
check_eq "no container dir is left in the store" "" "$(ls -A "$CTR_STORAGE_DIR/containers")"
done_testing
