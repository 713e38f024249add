# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared helpers for the integration tier: root, real namespaces, a busybox-static rootfs.
# Each test script sources this, makes bundles under $T, and reports TAP lines.

set -u
. "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"
CTR_OCI=${CTR_OCI:?CTR_OCI must point to the ctr-oci binary}
SRCDIR=${SRCDIR:?}

[ "$(id -u)" = 0 ] || skip_all "needs root (namespaces, mounts, cgroups)"
[ -x /bin/busybox ] || skip_all "needs busybox-static for the test rootfs"

T=$(mktemp -d /var/tmp/ctr-test.XXXXXX)
ROOT=$T/state
export ROOT

oci() { "$CTR_OCI" --root "$ROOT" "$@"; }

# A cgroup path relative to our own cgroup: everything a test causes stays under it.
CG_PREFIX=ctr-test-$$

# One shared rootfs per test run (copied per bundle when a test needs to modify it).
BASE_ROOTFS=$T/base-rootfs
"$SRCDIR/tools/mkrootfs-busybox" "$BASE_ROOTFS" >/dev/null

# make_bundle NAME [jq-like python edits...]: a bundle with the default spec, cwd /, no
# terminal, a relative cgroupsPath; edits are python statements on the dict `c`.
make_bundle() {
        local name=$1; shift
        local b=$T/$name
        mkdir -p "$b"
        ln -s "$BASE_ROOTFS" "$b/rootfs" 2>/dev/null || true
        (cd "$b" && "$CTR_OCI" spec)
        python3 - "$b/config.json" "$CG_PREFIX/$name" "$@" <<'PY'
import json, sys
path, cg = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c['process']['terminal'] = False
c['root']['path'] = 'rootfs'
c['linux']['cgroupsPath'] = cg
for stmt in sys.argv[3:]:
    exec(stmt)
json.dump(c, open(path, 'w'), indent=1)
PY
        echo "$b"
}

# A private copy of the rootfs for tests that plant things in it.
own_rootfs() { # own_rootfs BUNDLE
        rm -f "$1/rootfs"
        cp -a "$BASE_ROOTFS" "$1/rootfs"
}

# Nothing may be left behind: no state dir, no cgroup of ours, no mount under $T.
leftovers() {
        local out=""
        [ -d "$ROOT" ] && [ -n "$(ls -A "$ROOT" 2>/dev/null)" ] && out="$out state:$(ls "$ROOT" | tr '\n' ' ')"
        local c rel
        for c in /sys/fs/cgroup/*/; do
                [ -d "$c" ] || continue
                for rel in $(awk -F: '{print $3}' /proc/self/cgroup | sort -u); do
                        [ -e "$c$rel/$CG_PREFIX" ] && [ -n "$(find "$c$rel/$CG_PREFIX" -mindepth 1 -type d 2>/dev/null)" ] &&
                                out="$out cgroup:$c$rel/$CG_PREFIX"
                done
        done
        grep -q " $T/" /proc/self/mountinfo && out="$out mounts"
        echo "$out"
}

cleanup() {
        local id
        for id in $(ls "$ROOT" 2>/dev/null); do "$CTR_OCI" --root "$ROOT" delete --force "$id" >/dev/null 2>&1; done
        local c rel
        for c in /sys/fs/cgroup/*/; do
                for rel in $(awk -F: '{print $3}' /proc/self/cgroup | sort -u); do
                        [ -d "$c$rel/$CG_PREFIX" ] && find "$c$rel/$CG_PREFIX" -depth -type d -exec rmdir {} + 2>/dev/null
                done
        done
        rm -rf "$T"
}
trap cleanup EXIT

