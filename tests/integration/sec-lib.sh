# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared helpers for the security regression tests (test-security-*.sh), sourced after lib.sh.
# The CVE classes they guard against are rows of /work/shared/security/cve-catalogue.md; every
# check names its row as "[row N]".

# A TAP check that could not run here.
skip() { # skip "description" "reason"
        n=$((n + 1))
        echo "ok $n - $1 # SKIP $2"
}

# Static helpers from tests/helpers/NAME.c, built at test time into $HELPERS.
HELPERS=$T/helpers
build_helper() { # build_helper NAME: 0 when $HELPERS/NAME is ready
        mkdir -p "$HELPERS"
        [ -x "$HELPERS/$1" ] && return 0
        gcc -static -O2 -o "$HELPERS/$1" "$SRCDIR/tests/helpers/$1.c" >"$T/gcc-$1.log" 2>&1 && return 0
        echo "# gcc -static failed for $1:"
        sed 's/^/#   /' "$T/gcc-$1.log" | head -5
        return 1
}

# Everything about a host file or tree that a breakout could change: names, types, modes,
# owners, sizes, link targets and content hashes.
fingerprint() { # fingerprint PATH
        if [ -d "$1" ] && [ ! -L "$1" ]; then
                (cd "$1" && find . -printf '%p %y %m %U:%G %s %l\n' | LC_ALL=C sort &&
                        find . -type f -exec sha256sum {} + | LC_ALL=C sort)
        else
                stat -c '%F %a %u:%g %s %N' "$1" 2>&1
                [ -f "$1" ] && sha256sum <"$1"
        fi
}

# Run a command with nothing but stdio open, so that fds the test harness happens to hold
# are not mistaken for leaks of the runtime.
closed_fds() { # closed_fds COMMAND...
        python3 -c 'import os, sys; os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

wait_stopped() { # wait_stopped ID [tenths of a second]: 0 once the container has stopped
        local i
        for i in $(seq "${2:-100}"); do
                oci state "$1" 2>/dev/null | grep -q '"status": "stopped"' && return 0
                sleep 0.1
        done
        return 1
}

# The mount options (field 6) of the topmost mount at MOUNTPOINT in a mountinfo dump.
mount_opts() { # mount_opts MOUNTINFO-FILE MOUNTPOINT
        awk -v mp="$2" '$5 == mp { o = $6 } END { print o }' "$1"
}
is_ro_mount() { # is_ro_mount MOUNTINFO-FILE MOUNTPOINT
        mount_opts "$1" "$2" | tr ',' '\n' | grep -qx ro
}

# Copy the runtime's shared libraries into a rootfs, the way any distribution image has them,
# so that the runtime binary itself can run inside the container.
copy_runtime_libs() { # copy_runtime_libs ROOTFS
        local lib
        for lib in $(ldd "$(readlink -f "$CTR_OCI")" | grep -o '/[^ ]*'); do
                cp -L --parents "$lib" "$1/" 2>/dev/null || return 1
        done
}

lacks() { # lacks TEXT REGEX: 0 when no line of TEXT matches
        ! printf '%s\n' "$1" | grep -Eq -- "$2"
}

# Without a working baseline every "is refused" check below would pass for the wrong reason.
control_run() {
        local b
        b=$(make_bundle control "c['process']['args'] = ['echo', 'control-ok']")
        check_eq "control: a container with the default spec runs" control-ok "$(oci run --bundle "$b" control 2>&1)"
}
