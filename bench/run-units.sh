#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Foreground start-up benchmark for ctrctl: `ctrctl run --rm ROOTFS /bin/true` and the same from an
# image of the store (`ctrctl run --rm IMAGE /bin/true`) under a throwaway systemd
# (tests/system/harness.sh) vs systemd-run --scope, systemd-nspawn, podman and ctrctl's host-side
# fallback without systemd. See bench/README.md, "run-units.sh".
#
#   bench/run-units.sh [-n N] [--smoke] [-o FILE] [--keep-tmp]
#
# Needs root. The rootfs lives in a temp dir under /var/tmp; the booted systemd and that dir
# are removed at the end (EXIT trap).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
N=30 keep=0 out=''
while [ $# -gt 0 ]; do
        case $1 in
        -n) N=$2; shift ;;
        -n*) N=${1#-n} ;;
        --smoke) N=1 ;;
        -o) out=$2; shift ;;
        --keep-tmp) keep=1 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "run-units.sh: unknown argument $1" >&2; exit 2 ;;
        esac
        shift
done
case $N in ''|*[!0-9]*|0) echo "run-units.sh: -n needs a positive number" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "run-units.sh: needs root" >&2; exit 1; }
[ -n "$out" ] || out=/var/tmp/ctr-run-units.$(date +%Y%m%d-%H%M%S).txt

export BUILD_DIR=${BUILD_DIR:-$top/build} SRCDIR=${SRCDIR:-$top}
CTRCTL=$BUILD_DIR/ctl/ctrctl
for f in "$CTRCTL" "$BUILD_DIR/exec/ctr-exec" "$BUILD_DIR/units/ctr@.service"; do
        [ -e "$f" ] || { echo "run-units.sh: $f not found (build first: ninja -C $BUILD_DIR)" >&2; exit 1; }
done

. "$top/tests/system/harness.sh"
sd_skip_unless_possible
. "$top/tests/system/ctrctl-install.sh"

notes=()
# systemd-nspawn: install systemd-container if missing (the harness's overlay sees the host's /
# as of boot, so this has to happen before sd_boot)
if ! command -v systemd-nspawn >/dev/null; then
        echo "run-units.sh: systemd-nspawn missing, apt-get install -y systemd-container" >&2
        apt-get install -y systemd-container >/dev/null 2>&1 || true
fi
have_nspawn=0 have_podman=0
if command -v systemd-nspawn >/dev/null; then have_nspawn=1
else notes+=("systemd-nspawn: not installable (apt-get install systemd-container failed), row skipped"); fi
if command -v podman >/dev/null; then
        have_podman=1
        notes+=("podman run: --network=none and no default sysctls (a containers.conf.d drop-in in the harness)")
else notes+=("podman: not installed"); fi
# the host-side fallback needs a host without systemd as init
have_host=1
if [ -d /run/systemd/system ]; then
        have_host=0
        notes+=("ctrctl (no systemd): skipped, /run/systemd/system exists on this host")
fi

tmp=$(mktemp -d /var/tmp/ctr-run-units.XXXXXX)
cleanup() {
        sd_shutdown
        if [ $keep = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
ROOTFS=$tmp/rootfs
"$top/tools/mkrootfs-busybox" "$ROOTFS" >/dev/null || exit 1
# the same rootfs as an image of the store (a one-layer image)
tar -C "$ROOTFS" -cf "$tmp/rootfs.tar" . || exit 1
# podman in the harness: its default sysctl (net.ipv4.ping_group_range) cannot be written there,
# as the harness keeps /proc/sys read-only, and its default bridge network needs ip_forward and
# iptables; so no default sysctls, and --network=none: a network namespace with lo only, as
# ctrctl's default
printf '[containers]\ndefault_sysctls = []\n' >"$tmp/podman.conf"
mkdir "$tmp/err"

# The store at its default /var/lib/ctr, on a tmpfs mounted in the harness's mount namespace:
# the harness's / is an overlayfs, which overlayfs refuses as the upper dir of a container.
prepare() {
        install_ctrctl &&
                sd_mnt mkdir -p /var/lib/ctr && sd_mnt mount -t tmpfs -o mode=700 ctr-store /var/lib/ctr &&
                { [ $have_podman = 0 ] ||
                        sd_install "$tmp/podman.conf" /etc/containers/containers.conf.d/50-bench.conf 0644; }
}
SD_PREBOOT=prepare
sd_boot || { echo "run-units.sh: the harness did not boot" >&2; exit 1; }
sd ctrctl image import -q "$tmp/rootfs.tar" bench-rootfs:1 >/dev/null ||
        { echo "run-units.sh: importing the rootfs as an image failed" >&2; exit 1; }

# Variants: name, where ("sd": through `sd`, i.e. nsenter into the booted systemd; "host":
# directly on the host), command. The two baselines time the same wrappers around /bin/true.
names=() wheres=() cmds=()
add() { names+=("$1"); wheres+=("$2"); cmds+=("$3"); }
add "sd true" sd "true"
if [ $have_nspawn = 1 ]; then
        # nspawn --keep-unit needs to run in a unit's (delegated) cgroup, as in a service; a process
        # entered with nsenter sits outside the namespace's root group ("/.."). A Delegate=yes
        # service holds the group; /run/bench-cg moves itself into it and execs its arguments.
        # 'sd cg true' times that wrapper around true and is nspawn's baseline.
        sd systemd-run --quiet --unit=bench-nspawn -p Delegate=yes sleep infinity
        sd sh -c 'cat >/run/bench-cg <<"EOS"
#!/bin/sh
for d in /sys/fs/cgroup/*/system.slice/bench-nspawn.service; do echo $$ >"$d/cgroup.procs" || exit 125; done
exec "$@"
EOS
chmod 755 /run/bench-cg'
        add "sd cg true" sd "/run/bench-cg true"
fi
add "ctrctl run" sd "ctrctl run --rm $ROOTFS /bin/true"
add "ctrctl run image" sd "ctrctl run --rm bench-rootfs:1 /bin/true"
add "systemd-run scope" sd "systemd-run --scope --quiet true"
[ $have_nspawn = 1 ] && add "nspawn" sd "/run/bench-cg systemd-nspawn -q -D $ROOTFS --register=no --keep-unit /bin/true"
[ $have_podman = 1 ] && add "podman run" sd "podman run --rm --network=none --rootfs $ROOTFS /bin/true"
if [ $have_host = 1 ]; then
        add "host true" host "true"
        add "ctrctl (no sd)" host "$CTRCTL run --rm $ROOTFS /bin/true"
fi
V=${#names[@]}

declare -A fails=() samples=()
run_one() { # INDEX -> elapsed ns on stdout, or nothing on failure
        local i=$1 t0 t1 rc
        # shellcheck disable=SC2086 # the command strings are split on purpose
        if [ "${wheres[i]}" = sd ]; then
                t0=$(date +%s%N); sd ${cmds[i]} </dev/null >/dev/null 2>"$tmp/err/cur"; rc=$?; t1=$(date +%s%N)
        else
                t0=$(date +%s%N); ${cmds[i]} </dev/null >/dev/null 2>"$tmp/err/cur"; rc=$?; t1=$(date +%s%N)
        fi
        if [ $rc != 0 ]; then
                [ -e "$tmp/err/$i" ] || { echo "rc=$rc"; cat "$tmp/err/cur"; } >"$tmp/err/$i"
                return 1
        fi
        echo $((t1 - t0))
}

echo "ctrctl: $CTRCTL; $(systemd --version 2>/dev/null | head -1 || /usr/lib/systemd/systemd --version | head -1)" >&2
echo "harness booted in ${SD_BOOT_SECONDS}s; $(nproc) CPUs, kernel $(uname -r), N=$N" >&2

# one untimed warm-up round, then N rounds; every round runs every variant once, round-robin,
# starting one variant later each round
for ((i = 0; i < V; i++)); do run_one "$i" >/dev/null; done
for ((it = 0; it < N; it++)); do
        for ((k = 0; k < V; k++)); do
                i=$(((k + it) % V))
                if ns=$(run_one "$i"); then samples[$i]+="$ns "
                else fails[$i]=$((${fails[$i]:-0} + 1)); fi
        done
done

# statistics: median (mean of the middle two for even counts) and p90 (nearest rank), in ms
stat() { # "NS NS ..." SUBTRACT-NS -> "median p90" in ms, or "- -"
        echo "$1" | tr ' ' '\n' | sort -n | awk -v sub_="$2" 'NF { x[++n] = ($1 - sub_) / 1e6 }
                END {
                        if (!n) { print "- -"; exit }
                        med = (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
                        r = int((0.9 * n) == int(0.9 * n) ? 0.9 * n : int(0.9 * n) + 1); if (r < 1) r = 1
                        printf "%.3f %.3f\n", med, x[r] }'
}
median_ns() { stat "$1" 0 | awk '{ printf "%d", $1 * 1e6 }'; }
idx() { local i; for ((i = 0; i < V; i++)); do [ "${names[i]}" = "$1" ] && { echo $i; return; }; done; }

sd_base=$(median_ns "${samples[$(idx "sd true")]:-}")
host_i=$(idx "host true")
host_base=0
[ -n "$host_i" ] && host_base=$(median_ns "${samples[$host_i]:-}")
declare -A med=() p90=()
for ((i = 0; i < V; i++)); do
        sub=0
        case ${names[i]} in
        "sd true"|"host true"|"sd cg true") sub=0 ;;
        nspawn) sub=$(median_ns "${samples[$(idx "sd cg true")]:-}") ;;
        *) [ "${wheres[i]}" = sd ] && sub=$sd_base || sub=$host_base ;;
        esac
        read -r med[$i] p90[$i] <<<"$(stat "${samples[$i]:-}" "$sub")"
done
ratio() { # ROW-INDEX REF-NAME
        local r
        r=$(idx "$2")
        [ -n "$r" ] && [ "${med[$r]}" != - ] && [ "${med[$1]}" != - ] || { echo -; return; }
        awk -v a="${med[$1]}" -v b="${med[$r]}" 'BEGIN { if (b <= 0) print "-"; else printf "%.2f\n", a / b }'
}

{
        echo "# bench/run-units.sh, $(date -Is), N=$N, $(nproc) CPUs, kernel $(uname -r)"
        printf '%-18s %10s %10s %9s %9s %6s\n' name "median ms" "p90 ms" "x podman" "x nspawn" fails
        for ((i = 0; i < V; i++)); do
                case ${names[i]} in "sd true"|"host true"|"sd cg true") rp=- rn=- ;;
                *) rp=$(ratio "$i" "podman run") rn=$(ratio "$i" nspawn) ;; esac
                printf '%-18s %10s %10s %9s %9s %6s\n' "${names[i]}" "${med[$i]}" "${p90[$i]}" "$rp" "$rn" "${fails[$i]:-0}"
        done
        echo
        echo "Rows 'sd true', 'sd cg true' and 'host true' are baselines: the raw time of date+nsenter (sd),"
        echo "date+nsenter+the cgroup-move wrapper (sd cg) or date alone (host) around /bin/true. Every other"
        echo "row has its baseline median subtracted from each sample: rows run through sd minus 'sd true'"
        echo "($(awk -v a="$sd_base" 'BEGIN{printf "%.3f", a/1e6}') ms), nspawn minus 'sd cg true', 'ctrctl (no sd)' minus 'host true'."
        echo "'ctrctl (no sd)' is ctrctl run --rm on the host, which has no /run/systemd/system (cgroupfs fallback)."
        echo "'ctrctl run image' runs the same rootfs imported as a one-layer image (overlay, store on a tmpfs)."
        for n in "${notes[@]}"; do echo "$n"; done
        for ((i = 0; i < V; i++)); do
                [ -e "$tmp/err/$i" ] && echo "first error of ${names[i]}: $(tr '\n' ' ' <"$tmp/err/$i")"
        done
        echo
        echo "# raw samples, ns (before subtraction)"
        for ((i = 0; i < V; i++)); do echo "${names[i]}: ${samples[$i]:-}"; done
} >"$out"
sed '/^# raw samples/,$d' "$out"
echo "written: $out"
