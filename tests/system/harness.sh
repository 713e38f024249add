# SPDX-License-Identifier: LGPL-2.1-or-later
# System tier: boot a throwaway systemd (not PID 1 of the machine) and drive it.
#
# Follows the recipe in the project notes (systemd-harness.md): systemd runs as PID 1 of
# private mount/pid/cgroup/uts/ipc/net namespaces, on an overlay of the host's / whose upper
# layer is a tmpfs, with its own /dev, /run, /tmp, a read-only /sys and /proc/sys, and the
# cgroup hierarchies mounted again inside the new cgroup namespace (writable v1 controllers
# plus cgroup2 "unified"), rooted at child groups made under the caller's own groups.
# Nothing it does reaches the host's files; everything goes away with sd_shutdown.
#
# API (bash; source this file, then):
#   sd_skip_unless_possible      print "1..0 # SKIP reason" and exit 77 unless this can work
#   sd_boot [TARGET]             boot (default basic.target); waits until is-system-running
#                                says running or degraded; returns non-zero (and prints the
#                                boot log as "# " lines) on failure. Exports SD_PID.
#   sd CMD...                    run CMD inside (all its namespaces, clean environment)
#   sd_install SRC DEST [MODE]   copy a host file (or directory, recursively) into the overlay
#                                (through the container's mount namespace: DEST and any
#                                symlink on the way resolve inside, never on the host)
#   sd_mnt CMD...                run CMD in the overlay's mount namespace only (also before
#                                systemd runs, from SD_PREBOOT)
#   sd_cgdir CTRL [SUBPATH]      host path of the booted systemd's root group (or SUBPATH below
#                                it, e.g. system.slice/t1.service) in hierarchy CTRL
#                                (memory, pids, cpu, cpuacct, blkio, devices, freezer,
#                                systemd, unified)
#   sd_shutdown                  kill it, remove its cgroups and base dir (idempotent; call it
#                                from an EXIT trap: `trap sd_shutdown EXIT`)
#   sd_leftovers                 print what a previous boot left behind (empty: nothing)
#
# Variables:
#   SD_PID            (out) PID of the booted systemd as seen from the host
#   SD_BASE           (out) this boot's base dir, /var/tmp/ctr-sdh.XXXXXX
#   SD_CGNAME         (out) name of the child groups made in every hierarchy (= basename SD_BASE)
#   SD_BOOT_SECONDS   (out) how long sd_boot took
#   SD_LOG            (out) file with systemd's own stdout/stderr (removed by sd_shutdown)
#   SD_BOOT_TIMEOUT   (in)  seconds to wait for running/degraded (default 15)
#   SD_MASK           (in)  extra units to mask in the overlay (space separated)
#   SD_UNMASK         (in)  units not to mask although the default list/host would
#   SD_MASK_HOST_WANTS (in) 1 (default): mask every unit the host admin enabled in
#                           /etc/systemd/system/*.wants|*.requires; 0: leave them
#   SD_KEEP_GENERATORS (in) generators left alone (default: fstab debug run); every other
#                           generator found in /usr/lib/systemd/system-generators is masked
#   SD_PREBOOT        (in)  name of a function called after the overlay is ready and before
#                           systemd starts (SD_PID is set, sd_install works; sd does not yet),
#                           e.g. to install and enable units that must start with the boot
#   SD_SYSTEMD_ARGS   (in)  extra arguments for systemd (e.g. --log-level=debug)
#   SD_REAP_EXTRA     (in)  host files (space separated) the reaper also removes (see below)
#
# Sourcing this file turns SIGINT/SIGTERM/SIGHUP into exit, so the EXIT trap runs on a
# timeout of the test runner too. For a test shell killed outright (SIGKILL, or a SIGTERM
# that bash defers while a command hangs and the runner follows with SIGKILL), sd_boot
# starts a reaper in a session of its own: when the test shell is gone without having run
# sd_shutdown, it kills the namespace (through unshare --kill-child, then whatever is still
# in the boot's own cgroups), removes the cgroups, the base dir and SD_REAP_EXTRA.
# sd_shutdown stops it as its last step.

# every v1 hierarchy of this machine is re-rooted, cpuset too: one left out would be the host's
# own, where the booted systemd and the runtimes under test would make their groups
SD_CTRLS="name=systemd memory pids cpu cpuacct blkio devices freezer cpuset"
SD_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
SD_BOOT_TIMEOUT=${SD_BOOT_TIMEOUT:-15}
SD_MASK=${SD_MASK:-}
SD_UNMASK=${SD_UNMASK:-}
SD_MASK_HOST_WANTS=${SD_MASK_HOST_WANTS:-1}
SD_KEEP_GENERATORS=${SD_KEEP_GENERATORS:-"systemd-fstab-generator systemd-debug-generator systemd-run-generator"}
SD_PREBOOT=${SD_PREBOOT:-}
SD_SYSTEMD_ARGS=${SD_SYSTEMD_ARGS:-}
SD_REAP_EXTRA=${SD_REAP_EXTRA:-}
SD_PID=
SD_BASE=
SD_CGNAME=
SD_LOG=
SD_BOOT_SECONDS=
SD_SHUTDOWN_SECONDS=
_SD_UNSHARE_PID=
_SD_REAPER_PID=
_SD_CTL=
_SD_LAST_BASE=
_SD_LAST_PID=
# Units that touch the real machine (kernel-global sysctls, modules, uevents, clock, audit,
# pstore, hardware), that only matter on a real boot, or that just slow the boot down.
# Masked inside the overlay only.
SD_DEFAULT_MASK="
systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket
systemd-udev-trigger.service systemd-udev-settle.service systemd-hwdb-update.service
systemd-modules-load.service kmod-static-nodes.service
systemd-sysctl.service systemd-binfmt.service
proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount
systemd-random-seed.service systemd-remount-fs.service systemd-fsck-root.service
systemd-pstore.service systemd-timesyncd.service systemd-time-wait-sync.service
systemd-journald-audit.socket
sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount
sys-fs-fuse-connections.mount dev-hugepages.mount
systemd-firstboot.service systemd-machine-id-commit.service ldconfig.service
systemd-update-done.service systemd-journal-catalog-update.service systemd-repart.service
systemd-journal-flush.service
systemd-pcrphase.service systemd-pcrphase-sysinit.service
systemd-tmpfiles-clean.timer systemd-tmpfiles-clean.service
getty@.service serial-getty@.service console-getty.service container-getty@.service
getty-static.service systemd-ask-password-wall.path systemd-ask-password-console.path
cryptsetup.target veritysetup.target integritysetup.target remote-cryptsetup.target
remote-veritysetup.target
"

trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

_sd_diag() { printf '%s\n' "$@" | sed 's/^/# /' >&2; }

_sd_now() { echo "${EPOCHREALTIME/,/.}"; }

_sd_rand() { # six random letters and digits
        local c=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 r='' i
        for ((i = 0; i < 6; i++)); do r+=${c:$(((${SRANDOM:-$RANDOM} + RANDOM) % 62)):1}; done
        echo "$r"
}

# state letter of a PID, empty when it does not exist (a comm may contain spaces)
_sd_state() {
        local s
        s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
        s=${s##*) }
        echo "${s%% *}"
}
_sd_alive() { local s; s=$(_sd_state "$1"); [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]; }
# field N of /proc/PID/stat counted after "(comm)": 1 state, 2 ppid, 4 session, 20 starttime
_sd_stat() {
        local s n=$2
        s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
        s=${s##*) }
        local -a f
        read -r -a f <<<"$s"
        echo "${f[n - 1]:-}"
}

# Kill every process in the groups (all of them ours: made for this boot, entered only by
# its unshare and what that started), then remove the groups depth-first. Retries while the
# dying processes leave their groups.
_sd_kill_and_rmdir() { # DIR...
        local i d left
        for ((i = 0; i < 200; i++)); do
                left=''
                for d in "$@"; do
                        [ -d "$d" ] || continue
                        find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null |
                                while read -r p; do kill -KILL "$p" 2>/dev/null; done
                        find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
                        [ -d "$d" ] && left=1
                done
                [ -z "$left" ] && return 0
                sleep 0.05
        done
        return 1
}

# The reaper: a process in a session of its own (out of reach of the test runner's kill of
# the test's process group) that cleans up after a test shell killed so hard that its EXIT
# trap never ran. sd_boot starts it before it creates anything; sd_shutdown stops it last.
# Runs in a fresh bash with the functions it needs (declare -f).
_sd_reaper() { # MAIN MAIN-STARTTIME BASE EXTRA CGDIR...
        local main=$1 main_st=$2 base=$3 extra=$4 un un_st d i
        shift 4
        while [ "$(_sd_stat "$main" 20)" = "$main_st" ]; do sleep 0.5; done
        # unshare --kill-child: SIGKILL to it SIGKILLs the namespace's PID 1, and so everything
        if read -r un un_st 2>/dev/null <"$base/unshare" && [ "$(_sd_stat "$un" 20)" = "$un_st" ]; then
                kill -KILL "$un"
        fi
        _sd_kill_and_rmdir "$@"
        for ((i = 0; i < 100; i++)); do
                grep -qF " $base/" /proc/self/mountinfo || { rm -rf --one-file-system "$base"; break; }
                sleep 0.1
        done
        for d in $extra; do [ -f "$d" ] && rm -f "$d"; done
}

sd_skip_unless_possible() {
        local why=
        if [ "$(id -u)" != 0 ]; then why="needs root (namespaces, mounts, cgroups)"
        elif [ ! -x /usr/lib/systemd/systemd ]; then why="needs systemd installed (/usr/lib/systemd/systemd)"
        elif ! command -v unshare >/dev/null || ! unshare --help 2>&1 | grep -q -- '--cgroup'; then
                why="needs unshare (util-linux) with --cgroup"
        elif ! unshare --help 2>&1 | grep -q -- '--kill-child'; then why="needs unshare with --kill-child"
        elif ! command -v nsenter >/dev/null || ! nsenter --help 2>&1 | grep -q -- '--all'; then
                why="needs nsenter (util-linux) with --all"
        elif [ ! -e /proc/self/ns/cgroup ]; then why="kernel without cgroup namespaces"
        elif ! grep -qw overlay /proc/filesystems; then why="kernel without overlayfs"
        elif [ ! -e /sys/fs/cgroup/memory/memory.limit_in_bytes ] || [ ! -d /sys/fs/cgroup/systemd ]; then
                why="needs the v1 (legacy/hybrid) cgroup layout with memory at /sys/fs/cgroup/memory and name=systemd (pure v2 needs a VM)"
        elif [ ! -e /sys/fs/cgroup/unified/cgroup.procs ]; then
                why="needs the hybrid layout (cgroup2 at /sys/fs/cgroup/unified)"
        else
                local c d
                for c in $SD_CTRLS; do
                        d=${c#name=}
                        [ -d "/sys/fs/cgroup/$d" ] || { why="no v1 hierarchy at /sys/fs/cgroup/$d"; break; }
                done
        fi
        if [ -n "$why" ]; then
                echo "1..0 # SKIP $why"
                exit 77
        fi
}

# The host directory of our child group in hierarchy $1 (as named in /sys/fs/cgroup).
declare -gA _SD_CG=()

_sd_own_group() { # _sd_own_group CONTROLLER-AS-IN-/proc/self/cgroup (name=systemd, memory, ... or "" for v2)
        if [ -z "$1" ]; then
                awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup
        else
                awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup
        fi
}

_sd_write_inner() { # the script PID 1 of the new namespaces runs, then execs systemd
        local target=$1 mask=$2 keep=$3
        {
                echo '#!/bin/bash'
                echo 'set -eu'
                printf 'BASE=%q\n' "$SD_BASE"
                printf 'TARGET=%q\n' "$target"
                printf 'CTRLS=%q\n' "$SD_CTRLS"
                printf 'MASK=%q\n' "$mask"
                printf 'UNMASK=%q\n' "$SD_UNMASK"
                printf 'MASK_HOST_WANTS=%q\n' "$SD_MASK_HOST_WANTS"
                printf 'KEEP_GENERATORS=%q\n' "$keep"
                printf 'SDPATH=%q\n' "$SD_PATH"
                printf 'SDARGS=(%s)\n' "$SD_SYSTEMD_ARGS"
                cat <<'INNER'
R=$BASE/root
# The host PID of this process (it becomes systemd by exec): /proc is still the host's here.
read -r hostpid _ </proc/self/stat
exec 7>"$BASE/ready"          # written after pivot_root, when the overlay is ready
exec 8<"$BASE/ctl"            # "go" arrives here when the caller's pre-boot hook is done
mkdir -p "$BASE/up" "$R"
mount -t tmpfs -o mode=755 tmpfs "$BASE/up"
mkdir "$BASE/up/upper" "$BASE/up/work"
mount -t overlay overlay -o "lowerdir=/,upperdir=$BASE/up/upper,workdir=$BASE/up/work" "$R"

mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
# kernel-global knobs stay read-only (the new netns has its own /proc/sys/net, unused)
for p in sys sysrq-trigger; do
        [ -e "$R/proc/$p" ] || continue
        mount --bind "$R/proc/$p" "$R/proc/$p"
        mount -o remount,bind,ro,nosuid,nodev,noexec "$R/proc/$p"
done

mount -t sysfs -o nosuid,nodev,noexec sysfs "$R/sys"
mount -t tmpfs -o mode=755,nosuid,nodev,noexec tmpfs "$R/sys/fs/cgroup"
# The cgroup namespace roots the new mounts at our child groups; mounts inherited from the
# host would still show (and let systemd write to) the host's roots.
for c in $CTRLS; do
        d=${c#name=}
        mkdir "$R/sys/fs/cgroup/$d"
        if [ "$d" != "$c" ]; then o="none,$c"; else o="$c"; fi
        mount -t cgroup -o "nosuid,nodev,noexec,$o" cgroup "$R/sys/fs/cgroup/$d"
done
mkdir "$R/sys/fs/cgroup/unified"
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$R/sys/fs/cgroup/unified"
# sysfs itself read-only (bind remount: this mount only, not the superblock or the cgroup mounts)
mount -o remount,bind,ro,nosuid,nodev,noexec "$R/sys"

mount -t tmpfs -o mode=755,nosuid tmpfs "$R/dev"
for n in null zero full random urandom tty; do
        touch "$R/dev/$n"
        mount --bind "/dev/$n" "$R/dev/$n"
done
touch "$R/dev/console"
mount --bind /dev/null "$R/dev/console"
mkdir "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,nosuid,noexec devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$R/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/tmp"

# Masks, in the overlay only.
unmasked() { case " $UNMASK " in *" $1 "*) return 1 ;; esac; return 0; }
mkdir -p "$R/etc/systemd/system" "$R/etc/systemd/system-generators"
all=$MASK
if [ "$MASK_HOST_WANTS" = 1 ]; then
        for f in "$R"/etc/systemd/system/*.wants/* "$R"/etc/systemd/system/*.requires/*; do
                [ -e "$f" ] || [ -L "$f" ] || continue
                all="$all ${f##*/}"
        done
fi
for u in $all; do
        unmasked "$u" || continue
        ln -sfn /dev/null "$R/etc/systemd/system/$u"
done
for g in "$R"/usr/lib/systemd/system-generators/*; do
        [ -e "$g" ] || continue
        g=${g##*/}
        case " $KEEP_GENERATORS " in *" $g "*) continue ;; esac
        [ -e "$R/etc/systemd/system-generators/$g" ] || ln -s /dev/null "$R/etc/systemd/system-generators/$g"
done

cd "$R"
mkdir -p oldroot
pivot_root . oldroot
cd /
umount -l /oldroot
rmdir /oldroot

echo "$hostpid" >&7
exec 7>&-
read -r go <&8 || go=
exec 8<&-
[ "$go" = go ] || { echo "sdh: no go from the harness, not booting" >&2; exit 1; }
exec env -i container=ctr-sdh PATH="$SDPATH" /usr/lib/systemd/systemd --unit="$TARGET" "${SDARGS[@]}"
INNER
        } >"$SD_BASE/inner.sh"
}

_sd_boot_log() { # systemd's own output, and the last of its journal
        tail -n 20 "$SD_LOG" 2>/dev/null
        timeout 5 nsenter -t "$SD_PID" -a env -i PATH="$SD_PATH" \
                journalctl -b --no-pager -o short-monotonic -n 40 2>&1
}

sd_boot() {
        local target=${1:-basic.target}
        local t0 c d rel i state
        t0=$(_sd_now)
        if [ -n "$SD_BASE" ]; then
                _sd_diag "sd_boot: already booted ($SD_BASE); call sd_shutdown first"
                return 1
        fi
        _SD_LAST_BASE='' _SD_LAST_PID=''
        # The name is chosen here and created only once the reaper runs (a mktemp before it
        # would leave a window where a killed shell leaves the directory behind).
        local base
        for ((i = 0; i < 20; i++)); do
                base=/var/tmp/ctr-sdh.$(_sd_rand)
                [ -e "$base" ] || [ -L "$base" ] || break
        done
        SD_CGNAME=${base##*/}
        SD_LOG=$base/log
        _SD_CG=()
        # child groups under our own group in every hierarchy (never move the caller itself)
        for c in $SD_CTRLS; do
                d=${c#name=}
                rel=$(_sd_own_group "$c")
                [ -n "$rel" ] || { _sd_diag "sd_boot: not in a $c group"; return 1; }
                _SD_CG[$d]=/sys/fs/cgroup/$d${rel%/}/$SD_CGNAME
        done
        rel=$(_sd_own_group "")
        _SD_CG[unified]=/sys/fs/cgroup/unified${rel%/}/$SD_CGNAME

        # the reaper first, so that whatever follows is cleaned up if this shell is killed
        # (arguments of a background command expand in the child: take the values here)
        local me=$BASHPID me_st
        me_st=$(_sd_stat "$me" 20)
        setsid /bin/bash -c "$(declare -f _sd_stat _sd_kill_and_rmdir _sd_reaper); _sd_reaper \"\$@\"" \
                sdh-reaper "$me" "$me_st" "$base" "$SD_REAP_EXTRA" "${_SD_CG[@]}" \
                </dev/null >/dev/null 2>&1 &
        _SD_REAPER_PID=$!
        disown "$_SD_REAPER_PID" 2>/dev/null
        # only once it has its own session is it safe from a kill of our process group
        for ((i = 0; i < 200; i++)); do
                [ "$(_sd_stat "$_SD_REAPER_PID" 4)" = "$_SD_REAPER_PID" ] && break
                sleep 0.005
        done
        if ! mkdir -m 700 "$base"; then # lost a race for the name: not ours to remove
                kill -KILL "$_SD_REAPER_PID" 2>/dev/null
                _SD_REAPER_PID='' _SD_CG=()
                _sd_diag "sd_boot: could not create $base"
                return 1
        fi
        SD_BASE=$base

        for d in "${_SD_CG[@]}"; do mkdir "$d" || return 1; done
        # a new cpuset group has no CPUs and no memory nodes until given its parent's
        if [ -n "${_SD_CG[cpuset]:-}" ]; then
                cat "${_SD_CG[cpuset]%/*}/cpuset.cpus" >"${_SD_CG[cpuset]}/cpuset.cpus" &&
                        cat "${_SD_CG[cpuset]%/*}/cpuset.mems" >"${_SD_CG[cpuset]}/cpuset.mems" || return 1
        fi

        _sd_write_inner "$target" "$SD_DEFAULT_MASK $SD_MASK" "$SD_KEEP_GENERATORS"
        mkfifo "$SD_BASE/ctl"
        (
                for d in "${_SD_CG[@]}"; do echo "$BASHPID" >"$d/cgroup.procs" || exit 1; done
                exec unshare --mount --pid --fork --cgroup --uts --ipc --net --propagation private \
                        --kill-child=SIGKILL -- /bin/bash "$SD_BASE/inner.sh"
        ) </dev/null >"$SD_LOG" 2>&1 &
        _SD_UNSHARE_PID=$!
        disown "$_SD_UNSHARE_PID" 2>/dev/null
        echo "$_SD_UNSHARE_PID $(_sd_stat "$_SD_UNSHARE_PID" 20)" >"$SD_BASE/unshare"
        exec {_SD_CTL}<>"$SD_BASE/ctl"

        # the inner script reports its host PID once the overlay root is in place
        for ((i = 0; i < 200; i++)); do
                [ -s "$SD_BASE/ready" ] && break
                _sd_alive "$_SD_UNSHARE_PID" || break
                sleep 0.05
        done
        SD_PID=$(cat "$SD_BASE/ready" 2>/dev/null)
        if [ -z "$SD_PID" ] || ! _sd_alive "$SD_PID"; then
                exec {_SD_CTL}>&-
                _sd_diag "sd_boot: the namespace set-up failed:" "$(cat "$SD_LOG" 2>/dev/null)"
                SD_PID=
                return 1
        fi
        export SD_PID SD_BASE

        if [ -n "$SD_PREBOOT" ]; then
                if ! "$SD_PREBOOT"; then
                        exec {_SD_CTL}>&-
                        _sd_diag "sd_boot: pre-boot hook $SD_PREBOOT failed"
                        return 1
                fi
        fi
        echo go >&"$_SD_CTL"
        exec {_SD_CTL}>&-

        local deadline
        deadline=$(awk -v a="$t0" -v b="$SD_BOOT_TIMEOUT" 'BEGIN { printf "%.3f", a + b }')
        state=
        while :; do
                if ! _sd_alive "$SD_PID"; then
                        _sd_diag "sd_boot: systemd died during boot:" "$(tail -n 40 "$SD_LOG" 2>/dev/null)"
                        return 1
                fi
                state=$(timeout 5 nsenter -t "$SD_PID" -a env -i PATH="$SD_PATH" \
                        systemctl is-system-running 2>/dev/null)
                case $state in
                running | degraded) break ;;
                maintenance) # rescue or emergency mode: what was asked for, or a failed boot
                        case $target in rescue.target | emergency.target) break ;; esac
                        _sd_diag "sd_boot: $target failed, systemd is in maintenance mode" \
                                "$(_sd_boot_log)"
                        return 1
                        ;;
                esac
                if awk -v a="$(_sd_now)" -v b="$deadline" 'BEGIN { exit !(a > b) }'; then
                        _sd_diag "sd_boot: not running after ${SD_BOOT_TIMEOUT}s (state '$state')" \
                                "$(sd systemctl list-jobs --no-pager 2>&1 | head -n 20)" \
                                "$(_sd_boot_log)"
                        return 1
                fi
                sleep 0.1
        done
        [ "$state" = degraded ] && _sd_diag "sd_boot: degraded; failed units:" \
                "$(sd systemctl --failed --no-legend --plain --no-pager 2>&1)"
        SD_BOOT_SECONDS=$(awk -v a="$t0" -v b="$(_sd_now)" 'BEGIN { printf "%.2f", b - a }')
        export SD_BOOT_SECONDS
        return 0
}

sd() {
        [ -n "$SD_PID" ] || { _sd_diag "sd: not booted"; return 125; }
        nsenter -t "$SD_PID" -a env -i PATH="$SD_PATH" LANG=C.UTF-8 SYSTEMD_PAGER= \
                SYSTEMD_COLORS=0 "$@"
}

# sd_install SRC DEST [MODE]: copy into the overlay through the container's own mount
# namespace (so DEST and its symlinks resolve inside, never on the host); a directory SRC
# is copied recursively to DEST.
# shellcheck disable=SC2016 # expanded by the shell inside
sd_install() {
        local src=$1 dest=$2 mode=${3:-}
        [ -n "$SD_PID" ] || { _sd_diag "sd_install: not booted"; return 1; }
        if [ -d "$src" ]; then
                tar -C "$src" -cf - . |
                        nsenter -t "$SD_PID" -m -- /bin/sh -c 'mkdir -p "$1" && tar -C "$1" -xf -' sh "$dest"
                return
        fi
        [ -n "$mode" ] || mode=$(stat -c %a "$src") || return 1
        nsenter -t "$SD_PID" -m -- /bin/sh -c \
                'mkdir -p "${1%/*}" && cat >"$1.sdh-new" && chmod "$2" "$1.sdh-new" && mv -f "$1.sdh-new" "$1"' \
                sh "$dest" "$mode" <"$src"
}

# sd_mnt CMD...: run CMD in the booted systemd's mount namespace only (the overlay, as root;
# the host's pid namespace and cgroups). Works in SD_PREBOOT, before systemd runs.
sd_mnt() {
        [ -n "$SD_PID" ] || { _sd_diag "sd_mnt: not booted"; return 125; }
        nsenter -t "$SD_PID" -m -- env -i PATH="$SD_PATH" LANG=C.UTF-8 "$@"
}

sd_cgdir() { # sd_cgdir CTRL [SUBPATH]
        local d=${_SD_CG[${1#name=}]:-}
        [ -n "$d" ] || return 1
        echo "$d${2:+/$2}"
}

sd_leftovers() {
        local out='' d
        for d in "${_SD_CG[@]}"; do
                [ -d "$d" ] && out="$out cgroup:$d"
        done
        local base=${SD_BASE:-${_SD_LAST_BASE:-}}
        if [ -n "$base" ]; then
                grep -qF " $base/" /proc/self/mountinfo && out="$out mounts:$base"
                [ -e "$base" ] && out="$out dir:$base"
        fi
        [ -n "${_SD_LAST_PID:-}" ] && _sd_alive "$_SD_LAST_PID" && out="$out pid:$_SD_LAST_PID"
        [ -n "${_SD_UNSHARE_PID:-}" ] && _sd_alive "$_SD_UNSHARE_PID" && out="$out unshare:$_SD_UNSHARE_PID"
        echo "${out# }"
}

sd_shutdown() {
        local t0 i
        t0=$(_sd_now)
        [ -n "${_SD_CTL:-}" ] && { exec {_SD_CTL}>&-; } 2>/dev/null
        _SD_CTL=''
        # SIGKILL to the namespace's PID 1 kills everything in it; the mount namespace (and
        # with it every mount of the boot) goes when the last process in it is gone.
        if [ -n "$SD_PID" ] && _sd_alive "$SD_PID" && [ "$(_sd_stat "$SD_PID" 2)" = "$_SD_UNSHARE_PID" ]; then
                kill -KILL "$SD_PID" 2>/dev/null
        fi
        if [ -n "$_SD_UNSHARE_PID" ]; then
                for ((i = 0; i < 100; i++)); do
                        _sd_alive "$_SD_UNSHARE_PID" || break
                        sleep 0.02
                done
        fi
        [ -n "$SD_PID" ] && _SD_LAST_PID=$SD_PID
        # whatever is still in our groups (an unshare whose child never came up, ...)
        _sd_kill_and_rmdir "${_SD_CG[@]}" || _sd_diag "sd_shutdown: could not remove all of ${_SD_CG[*]}"
        if [ -n "$SD_BASE" ] && [ -d "$SD_BASE" ]; then
                for ((i = 0; i < 100; i++)); do
                        grep -qF " $SD_BASE/" /proc/self/mountinfo || break
                        sleep 0.05
                done
                if grep -qF " $SD_BASE/" /proc/self/mountinfo; then
                        _sd_diag "sd_shutdown: mounts left under $SD_BASE, not removing it"
                else
                        rm -rf --one-file-system "$SD_BASE"
                fi
        fi
        # the reaper last: until here, a kill of this shell still leaves the rest to it
        if [ -n "$_SD_REAPER_PID" ]; then
                kill -KILL "$_SD_REAPER_PID" 2>/dev/null
                _SD_REAPER_PID=''
        fi
        # shellcheck disable=SC2034 # read by the tests
        SD_SHUTDOWN_SECONDS=$(awk -v a="$t0" -v b="$(_sd_now)" 'BEGIN { printf "%.2f", b - a }')
        [ -n "$SD_BASE" ] && _SD_LAST_BASE=$SD_BASE
        SD_PID='' SD_BASE=''
        return 0
}
