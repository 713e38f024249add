#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ctr-generator over N definitions (default 1000, each with a drop-in and an [Install]
# section), as systemd runs it at boot and on daemon-reload. Target: well under 100 ms.
# Usage: bench/generator.sh [-n N] [-r RUNS]; needs a build in build/ (or GEN=path).
set -eu
N=1000 RUNS=20
while [ $# -gt 0 ]; do case $1 in -n) N=$2; shift 2;; -r) RUNS=$2; shift 2;; *) echo "usage: $0 [-n N] [-r RUNS]"; exit 2;; esac; done
GEN=${GEN:-$(cd "$(dirname "$0")/.." && pwd)/build/generator/ctr-generator}
# the output goes to a tmpfs, as /run/systemd/generator is
T=$(mktemp -d /dev/shm/ctr-genbench.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/defs"
for i in $(seq "$N"); do
        cat >"$T/defs/c$i.ctr" <<EOF2
[Unit]
Description=Container $i
After=network-online.target

[Container]
RootDirectory=/var/lib/ctr/rootfs/c$i
Exec=/usr/bin/server --port $((8000 + i)) --name "c $i"
Environment=A=1 B=2
Volume=/srv/c$i:/data:ro

[Service]
MemoryMax=256M
CPUQuota=25%
Restart=on-failure

[Install]
WantedBy=multi-user.target
EOF2
        mkdir -p "$T/defs/c$i.ctr.d"
        printf '[Service]\nTasksMax=64\n' >"$T/defs/c$i.ctr.d/10-tasks.conf"
done
times=()
for r in $(seq "$RUNS"); do
        rm -rf "$T/out"; mkdir -p "$T/out"
        s=$(date +%s%N)
        CTR_DEFINITION_PATH=$T/defs "$GEN" "$T/out" "$T/out" "$T/out"
        e=$(date +%s%N)
        times+=($(((e - s) / 1000)))
done
n_dropins=$(find "$T/out" -name 50-definition.conf | wc -l)
printf '%s\n' "${times[@]}" | sort -n | awk -v n="$N" -v d="$n_dropins" '{a[NR]=$1} END {
        printf "ctr-generator, %d definitions (+ drop-ins), %d runs: median %.1f ms, min %.1f ms, max %.1f ms; %d drop-ins written\n",
               n, NR, a[int((NR+1)/2)]/1000, a[1]/1000, a[NR]/1000, d }'
