#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# From a fresh Debian 12 machine to a running container: install the build dependencies,
# build and install ctrctl, make a busybox-static rootfs bundle (no registry, no download
# beyond Debian's packages) and run a container in it.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "setup.sh: run as root (it installs packages and runs a container)" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $(cat tools/build-deps.txt) >/dev/null
[ -d build ] || meson setup build --prefix=/usr --buildtype=release >/dev/null
ninja -C build >/dev/null
meson install -C build --quiet
B=/var/lib/ctr/bundles/busybox
if [ ! -e "$B/config.json" ]; then
        tools/mkrootfs-busybox "$B/rootfs"
        (cd "$B" && ctr-oci spec)
        python3 - "$B/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c['process']['terminal'] = False
c['process']['args'] = ['sh', '-c', 'echo "hello from $(hostname): pid $$, $(ls /proc | grep -c "^[0-9]") processes visible"']
c['hostname'] = 'busybox'
json.dump(c, open(sys.argv[1], 'w'), indent=2)
PY
fi
ctr-oci run --bundle "$B" hello-$$
# the same root filesystem as an image of the store, so 'ctrctl run busybox sh' works too
if ! ctrctl image inspect busybox:latest >/dev/null 2>&1; then
        tar -C "$B/rootfs" -cf "$B/rootfs.tar" .
        ctrctl image import -q "$B/rootfs.tar" busybox:latest
        rm -f "$B/rootfs.tar"
fi
