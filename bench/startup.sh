#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Container start-up benchmark: ctr-oci vs crun, runc, bwrap and a minimal C floor, /bin/true in a
# busybox bundle with a network namespace and a cgroup. See bench/README.md.
#
#   bench/startup.sh [-n N] [--smoke] [--gap-ms MS] [--seed S] [--only 'name,name'] [--raw-devices]
#                    [--no-build] [--keep-tmp]
#
# Needs root. Everything lives in a temp dir (removed at the end); cgroups are created only under
# the caller's own cgroups and removed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
N=300 build=1 keep=0 extra=()
while [ $# -gt 0 ]; do
        case $1 in
        -n) N=$2; shift ;;
        -n*) N=${1#-n} ;;
        --smoke) N=1 ;;
        --no-build) build=0 ;;
        --only) extra+=(--only "$2"); shift ;;
        --raw-devices) extra+=(--raw-devices) ;;
        --gap-ms) extra+=(--gap-ms "$2"); shift ;;
        --seed) extra+=(--seed "$2"); shift ;;
        --keep-tmp) keep=1 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "startup.sh: unknown argument $1" >&2; exit 2 ;;
        esac
        shift
done
[ "$(id -u)" = 0 ] || { echo "startup.sh: needs root" >&2; exit 1; }
for p in crun runc bwrap unshare python3 gcc; do
        command -v $p >/dev/null || { echo "startup.sh: $p not found" >&2; exit 1; }
done

CTR_OCI=${CTR_OCI:-$top/build-bench/exec/ctr-oci}
if [ $build = 1 ] && [ "$CTR_OCI" = "$top/build-bench/exec/ctr-oci" ]; then
        (cd "$top" && (test -d build-bench || meson setup build-bench --buildtype=release >/dev/null) &&
                ninja -C build-bench >/dev/null) || { echo "startup.sh: building ctr-oci failed" >&2; exit 1; }
fi
[ -x "$CTR_OCI" ] || { echo "startup.sh: $CTR_OCI not found" >&2; exit 1; }

tmp=$(mktemp -d /tmp/ctr-bench.XXXXXX)
cleanup() { [ $keep = 1 ] && echo "kept $tmp" >&2 || rm -rf "$tmp"; }
trap cleanup EXIT

# static where possible: no dynamic linking in the floor, and a small timer keeps ru_maxrss honest
for prog in floor timer; do
        gcc -O2 -static -o "$tmp/$prog" "$here/$prog.c" 2>/dev/null || gcc -O2 -o "$tmp/$prog" "$here/$prog.c"
done
"$top/tools/mkrootfs-busybox" "$tmp/rootfs"
: >"$tmp/empty"
mkdir "$tmp/state"

echo "ctr-oci: $CTR_OCI ($("$CTR_OCI" --version 2>/dev/null | head -1))" >&2
echo "crun $(crun --version | awk 'NR==1{print $3}'), runc $(runc --version | awk 'NR==1{print $3}'), $(bwrap --version)" >&2
echo "$(nproc) CPUs, kernel $(uname -r), N=$N" >&2

# One private mount namespace for the whole loop. crun 1.8.1 refuses the hybrid layout while
# cgroup2 lists controllers: hide them in this namespace only (as recipes/containerd-cri does).
# The runtimes' state dirs go on a tmpfs there, as /run is on most hosts (not on this one).
unified=/sys/fs/cgroup/unified/cgroup.controllers
unshare -m --propagation private /bin/sh -c '
        if [ -e "$1" ] && [ -n "$(cat "$1")" ]; then mount --bind "$2" "$1" || exit 1; fi
        mount -t tmpfs -o mode=700,size=64m ctr-bench-state "$3" || exit 1
        shift 3
        exec "$@"' sh "$unified" "$tmp/empty" "$tmp/state" \
        python3 "$here/startup.py" -n "$N" --tmp "$tmp" --ctr-oci "$CTR_OCI" --timer "$tmp/timer" \
        --floor "$tmp/floor" --rootfs "$tmp/rootfs" "${extra[@]}"
