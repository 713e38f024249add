#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The system tier for images: a throwaway systemd with ctrctl installed and the image store at
# its default /var/lib/ctr, on a tmpfs mounted there in the harness's mount namespace only
# (nothing written there reaches the host's /var/lib/ctr). A busybox rootfs tarball and a
# two-layer OCI layout made with umoci are imported; then Image= in a definition runs
# ctr@NAME.service on an overlay that only the container's mount namespace sees, with a
# per-start upper dir in the store that the stop removes and a restart begins afresh; the
# image config's Entrypoint/Cmd/Env/WorkingDir are the defaults a definition overrides; a
# missing image fails the start with its name; 'ctrctl run IMAGE' works in the foreground
# (a scope) and detached (a transient service).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../tap.sh"
. "$HERE/harness.sh"
sd_skip_unless_possible
. "$HERE/ctrctl-install.sh"
[ -x /bin/busybox ] || skip_all "needs busybox-static for the image's rootfs"
command -v umoci >/dev/null || skip_all "needs umoci to make the OCI layout"

STORE=/var/lib/ctr # the default path; a tmpfs of the harness (mount_store below), never the host's
T=$(mktemp -d /var/tmp/ctr-systest.XXXXXX)
trap 'sd_shutdown; rm -rf "$T"' EXIT

# What the imports read is made on the host before the boot (the overlay's lower layer is the
# host's / as of then).
"$SRCDIR/tools/mkrootfs-busybox" "$T/rootfs" >/dev/null
tar -C "$T/rootfs" -cf "$T/bb.tar" . || skip_all "could not make the rootfs tarball"
# the OCI layout: the rootfs as one layer, a second layer with /srv/hello, and a config
# whose Entrypoint/Cmd print what they see; a layout dir named 'app' with the tag '1'
# imports as app:1
mkup() {
        umoci init --layout "$T/app" &&
                umoci new --image "$T/app:1" &&
                umoci unpack --image "$T/app:1" "$T/bundle" &&
                cp -a "$T/rootfs/." "$T/bundle/rootfs/" && mkdir -p "$T/bundle/rootfs/srv" &&
                umoci repack --image "$T/app:1" "$T/bundle" && rm -rf "$T/bundle" &&
                umoci unpack --image "$T/app:1" "$T/bundle" &&
                echo "from the second layer" >"$T/bundle/rootfs/srv/hello" &&
                umoci repack --image "$T/app:1" "$T/bundle" && rm -rf "$T/bundle" &&
                umoci config --image "$T/app:1" --config.entrypoint /bin/sh --config.entrypoint -c \
                        --config.cmd 'echo "image cmd in $(pwd) FOO=$FOO X=$X hello=$(cat hello)"; exec sleep 1000' \
                        --config.env FOO=img --config.env X=img --config.workingdir /srv
}
mkup >"$T/umoci.log" 2>&1 || { sed 's/^/# /' "$T/umoci.log"; skip_all "umoci could not make the layout"; }

mkdir -p "$T/defs"
# the payload says whether its upper dir held the file of an earlier start, then writes it
cat >"$T/defs/web.ctr" <<'EOF2'
[Container]
Image=bb:1
Exec=sh -c 'echo started; hostname; if [ -e /written ]; then echo "upper: stale"; else echo "upper: fresh"; fi; echo data >/written; sleep 1000'
EOF2
cat >"$T/defs/app.ctr" <<'EOF2'
[Container]
Image=app:1
Environment=X=def
EOF2
cat >"$T/defs/gone.ctr" <<'EOF2'
[Container]
Image=missing:1
EOF2

# overlayfs refuses an upper dir on overlayfs ("filesystem on ... not supported as upperdir"),
# and the harness's / is one: the store gets a tmpfs of its own at the default path, mounted in
# the harness's mount namespace only (gone with it)
mount_store() { sd_mnt mkdir -p "$STORE" && sd_mnt mount -t tmpfs -o mode=700,size=256m ctr-store "$STORE"; }
install_all() { install_ctrctl && sd_install "$T/defs" /etc/ctr && mount_store; }
SD_PREBOOT=install_all
if ! sd_boot; then
        not_ok "the harness booted"
        done_testing
fi
ok "a systemd booted with ctrctl installed (${SD_BOOT_SECONDS}s)"

# the store is the harness's own: a tmpfs on /var/lib/ctr in its mount namespace
check_eq "the store's filesystem is the harness's tmpfs" "tmpfs ctr-store" \
        "$(sd findmnt -n -o FSTYPE "$STORE") $(sd findmnt -n -o SOURCE "$STORE")"
check "which the host does not see" sh -c "! grep -q ' /var/lib/ctr ' /proc/self/mountinfo"
check "there is no store yet, inside" sd test ! -e "$STORE/index.json"

out=$(sd ctrctl image import -q "$T/bb.tar" bb:1 2>&1)
check_eq "a busybox rootfs tarball imports as bb:1" 0 $?
[ -n "$out" ] && echo "$out" | sed 's/^/#   /'
out=$(sd ctrctl image import "$T/app" 2>&1)
rc=$?
check_eq "the umoci layout imports" 0 "$rc"
[ "$rc" = 0 ] || echo "$out" | sed 's/^/#   /'
imgs=$(sd ctrctl images 2>&1)
check_contains "ctrctl images lists bb:1" "bb" "$imgs"
check_match "and the layout's tag under the directory's name, app:1" '(^|[[:space:]])app:1[[:space:]]' "$imgs"
check_eq "the store is made at the default path" "{\"imageLayoutVersion\":\"1.0.0\"}" "$(sd cat "$STORE/oci-layout" 2>&1)"
check "and nothing of it reached the host's /var/lib/ctr" sh -c "! test -e /var/lib/ctr/index.json || ! grep -q bb /var/lib/ctr/index.json"

# Image= of a rootfs tarball
t0=$(date +%s%N)
sd systemctl start ctr@web.service
rc=$?
t1=$(date +%s%N)
check_eq "systemctl start ctr@web (Image=bb:1) succeeds" 0 "$rc"
echo "# start took $(((t1 - t0) / 1000000)) ms"
check_eq "ctr@web is active" active "$(sd systemctl is-active ctr@web.service)"
[ "$rc" = 0 ] || sd journalctl -u ctr@web.service -o cat | tail -n 10 | sed 's/^/#   /'
for i in $(seq 50); do sd journalctl -u ctr@web.service -o cat | grep -q "upper:" && break; sleep 0.1; done
out=$(sd journalctl -u ctr@web.service -o cat)
check_contains "the payload's output is in the journal" "started" "$out"
check_match "with its own hostname" '^web$' "$out"
check_contains "its upper dir started empty" "upper: fresh" "$out"
main=$(sd systemctl show -P MainPID ctr@web.service)
check_match "systemd follows the container's init as MainPID" '^[1-9][0-9]*$' "$main"
mi=$(sd cat "/proc/$main/mountinfo" 2>&1)
check_match "the container's / is an overlay" '^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / .* - overlay ' "$mi"
check_contains "of the store's layers" "$STORE/containers/ctr@web/upper" "$(echo "$mi" | awk '$5 == "/"')"
for i in $(seq 50); do sd test -e "$STORE/containers/ctr@web/upper/written" && break; sleep 0.1; done
check_eq "a file the payload writes lands in containers/ctr@web/upper" data \
        "$(sd cat "$STORE/containers/ctr@web/upper/written" 2>&1)"
check_eq "the layer itself is untouched" "" \
        "$(sd sh -c "ls $STORE/layers/*/diff/written 2>/dev/null")"
check "the overlay is not mounted in systemd's namespace" \
        sh -c "! grep -qF '$STORE/containers' /proc/$SD_PID/mountinfo"
check_eq "systemd's namespace has one overlay only, the harness's own /" 1 \
        "$(awk '/ - overlay /' "/proc/$SD_PID/mountinfo" | wc -l)"
check_contains "systemctl status lists the payload" "sleep 1000" "$(sd systemctl status ctr@web.service 2>&1)"

# restart: a new upper dir (the file written before is gone)
sd nsenter -t "$main" -m -r /bin/sh -c 'echo x >/extra'
check "a file put into the running container is in its upper dir" sd test -e "$STORE/containers/ctr@web/upper/extra"
inv1=$(sd systemctl show -P InvocationID ctr@web.service)
sd systemctl restart ctr@web.service
check_eq "systemctl restart ctr@web: active again" active "$(sd systemctl is-active ctr@web.service)"
inv2=$(sd systemctl show -P InvocationID ctr@web.service)
check "a new invocation" [ -n "$inv2" -a "$inv1" != "$inv2" ]
for i in $(seq 50); do sd journalctl _SYSTEMD_INVOCATION_ID="$inv2" -o cat | grep -q "upper:" && break; sleep 0.1; done
out=$(sd journalctl _SYSTEMD_INVOCATION_ID="$inv2" -o cat)
check_contains "the restarted payload found no file of the first start" "upper: fresh" "$out"
check "the file put into the first one is gone" sd test ! -e "$STORE/containers/ctr@web/upper/extra"
for i in $(seq 50); do sd test -e "$STORE/containers/ctr@web/upper/written" && break; sleep 0.1; done
check "the new payload writes its file again" sd test -e "$STORE/containers/ctr@web/upper/written"

main=$(sd systemctl show -P MainPID ctr@web.service)
t0=$(date +%s%N)
sd systemctl stop ctr@web.service
t1=$(date +%s%N)
echo "# stop took $(((t1 - t0) / 1000000)) ms"
check_eq "systemctl stop ctr@web: inactive" inactive "$(sd systemctl is-active ctr@web.service)"
check_eq "its result is success" success "$(sd systemctl show -P Result ctr@web.service)"
check "its init is gone" sd sh -c "! test -d /proc/$main || grep -q '^State:.*Z' /proc/$main/status"
check "containers/ctr@web is removed from the store" sd test ! -e "$STORE/containers/ctr@web"
check_eq "the store's containers/ is empty" "" "$(sd ls -A "$STORE/containers" 2>&1)"
check "no overlay of the store is mounted in systemd's namespace" \
        sh -c "! grep -qF '$STORE/containers' /proc/$SD_PID/mountinfo"
check "the image is still there" sd sh -c 'ctrctl image inspect bb:1 >/dev/null'

# Image= of the umoci image, no Exec=: the image's Entrypoint/Cmd/Env/WorkingDir, Environment=
# overriding one variable
sd systemctl start ctr@app.service
check_eq "systemctl start ctr@app (Image=app:1, no Exec=) succeeds" 0 $?
check_eq "ctr@app is active" active "$(sd systemctl is-active ctr@app.service)"
for i in $(seq 50); do sd journalctl -u ctr@app.service -o cat | grep -q "image cmd" && break; sleep 0.1; done
out=$(sd journalctl -u ctr@app.service -o cat)
check_contains "the image's Entrypoint and Cmd ran" "image cmd in" "$out"
check_contains "in the image's WorkingDir" "image cmd in /srv " "$out"
check_contains "with the image's Env" "FOO=img" "$out"
check_contains "Environment=X=def overrides the image's X" "X=def" "$out"
check_contains "both layers are in the rootfs" "hello=from the second layer" "$out"
main=$(sd systemctl show -P MainPID ctr@app.service)
env=$(sd sh -c "tr '\0' '\n' </proc/\$(cat /proc/$main/task/$main/children | awk '{print \$1}')/environ" 2>&1)
check_eq "the payload's X is set once, to the definition's" "X=def" "$(echo "$env" | grep '^X=')"
check_eq "the overlay has the two layers as lower dirs" 2 \
        "$(sd awk '$5 == "/" { n = split($0, a, "lowerdir="); split(a[2], b, ","); print split(b[1], c, ":") }' "/proc/$main/mountinfo")"
sd systemctl stop ctr@app.service
check_eq "ctr@app stops" inactive "$(sd systemctl is-active ctr@app.service)"
check "and its container dir is gone" sd test ! -e "$STORE/containers/ctr@app"

# a missing image
out=$(sd systemctl start ctr@gone.service 2>&1)
check "starting a definition with Image=missing:1 fails" [ $? != 0 ]
check_eq "the unit is failed" failed "$(sd systemctl is-active ctr@gone.service)"
check_contains "systemctl status names the image" "no image 'missing:1'" "$(sd systemctl status ctr@gone.service 2>&1)"
check_contains "so does the journal" "no image 'missing:1' in $STORE" "$(sd journalctl -u ctr@gone.service -o cat)"
check "no container dir is left for it" sd test ! -e "$STORE/containers/ctr@gone"
sd systemctl reset-failed ctr@gone.service

# ctrctl run IMAGE: foreground (a scope), the payload's status back
out=$(sd ctrctl run --rm --name fg bb:1 sh -c 'echo "fg in $(hostname)"; grep " / / " /proc/self/mountinfo; echo x >/fgfile; exit 7' 2>&1)
check_eq "ctrctl run --rm bb:1 CMD returns the payload's status" 7 $?
check_contains "it ran the command from the image" "fg in fg" "$out"
check_contains "on an overlay" " - overlay " "$out"
for i in $(seq 50); do [ "$(sd systemctl is-active ctr-fg.scope)" = inactive ] && break; sleep 0.1; done
check_eq "its scope is gone" inactive "$(sd systemctl is-active ctr-fg.scope)"
check "its container dir is gone" sd test ! -e "$STORE/containers/ctr@fg"
sd ctrctl run -d --name y app:1 2>/dev/null
for i in $(seq 50); do sd journalctl -u ctr-y.service -o cat | grep -q "image cmd" && break; sleep 0.1; done
check_contains "ctrctl run -d app:1 without a command runs the image's Entrypoint and Cmd" \
        "image cmd in /srv FOO=img X=img" "$(sd journalctl -u ctr-y.service -o cat)"
sd systemctl stop ctr-y.service

# detached: a transient service, removed with its container dir on stop
sd ctrctl run -d --name x bb:1 sleep 100 2>/dev/null
check_eq "ctrctl run -d --name x bb:1 sleep 100 starts ctr-x.service" active "$(sd systemctl is-active ctr-x.service)"
check_contains "running sleep 100" "sleep 100" "$(sd systemctl status ctr-x.service 2>&1)"
check "its upper dir is in the store" sd test -d "$STORE/containers/ctr@x/upper"
check "its overlay is not mounted in systemd's namespace" sh -c "! grep -qF '$STORE/containers' /proc/$SD_PID/mountinfo"
check_contains "its definition pins the image by digest" "Image=sha256:" "$(sd cat /run/ctr/x.ctr 2>&1)"
sd systemctl stop ctr-x.service
check_eq "systemctl stop ctr-x.service: inactive" inactive "$(sd systemctl is-active ctr-x.service)"
check "its container dir is gone" sd test ! -e "$STORE/containers/ctr@x"
check_eq "the store's containers/ is empty" "" "$(sd ls -A "$STORE/containers" 2>&1)"
check_eq "no state is left in /run/ctrctl" "" "$(sd ls /run/ctrctl 2>/dev/null)"

# a store moved with CTR_STORAGE_DIR: the detached service's ctr-exec (start and cleanup) uses it too
ALT=$STORE/alt
sd env CTR_STORAGE_DIR="$ALT" ctrctl image import -q "$T/bb.tar" alt:1 2>/dev/null
sd env CTR_STORAGE_DIR="$ALT" ctrctl run -d --name alt alt:1 sleep 100 2>/dev/null
check_eq "ctrctl run -d from a store in CTR_STORAGE_DIR starts" active "$(sd systemctl is-active ctr-alt.service)"
check "its upper dir is in that store" sd test -d "$ALT/containers/ctr@alt/upper"
sd systemctl stop ctr-alt.service
check "and its cleanup finds it there" sd test ! -e "$ALT/containers/ctr@alt"

sd_shutdown
check_eq "the harness leaves nothing behind" "" "$(sd_leftovers)"
check "the host has no /var/lib/ctr/containers of ours" sh -c "! ls /var/lib/ctr/containers/ctr@web >/dev/null 2>&1"
done_testing
