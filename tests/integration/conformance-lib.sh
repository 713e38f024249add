# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for the test-conformance-*.sh scripts: OCI runtime-spec 1.3.0 MUSTs checked against
# ctr-oci the way an external conformance suite (runtime-tools' validation tests) would.
# Sourced after lib.sh.

# python3 may be a slow wrapper (pyenv shim): use the interpreter itself, for make_bundle too.
mkdir -p "$T/.bin"
ln -sf "$(python3 -c 'import sys; print(sys.executable)')" "$T/.bin/python3"
PATH=$T/.bin:$PATH

# The default spec denies every device in linux.resources.devices. A broken default-device
# policy would then fail every container at once; the dedicated checks for that live in
# test-conformance-lifecycle.sh ("default config"), the others drop the rule so that each
# failure points at one cause. CONF_KEEP_DEVICE_RULES=1 keeps the rule everywhere.
CONF_STRIP=()
[ -n "${CONF_KEEP_DEVICE_RULES:-}" ] ||
        CONF_STRIP=("c['linux'].get('resources', {}).pop('devices', None)")

# bundle NAME SCRIPT [python edits...]: a bundle (make_bundle) whose payload is `sh -c SCRIPT`.
bundle() {
        local name=$1
        export CONF_SCRIPT=$2
        shift 2
        make_bundle "$name" "${CONF_STRIP[@]}" \
                "c['process']['args'] = ['sh', '-c', __import__('os').environ['CONF_SCRIPT']]" "$@"
}

# crun NAME SCRIPT [python edits...]: run it to completion (oci run) and set OUT (stdout),
# ERR (stderr) and RC (the exit status of run).
crun() {
        local name=$1 b
        b=$(bundle "$@")
        OUT=$(timeout 30 "$CTR_OCI" --root "$ROOT" run --bundle "$b" "$name" 2>"$T/$name.err" </dev/null)
        RC=$?
        ERR=$(cat "$T/$name.err")
        [ "$RC" = 0 ] || [ -z "$ERR" ] || echo "#   ($name: run exited $RC: $(printf '%s' "$ERR" | head -n1))"
}

# val KEY: the value of the first "KEY=..." line of $OUT.
val() { printf '%s\n' "$OUT" | awk -v k="$1=" 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }'; }

# jget EXPR: evaluate a python expression on the JSON read from stdin (bound to j); strings
# are printed raw, everything else as JSON. Prints "<error: ...>" if it does not parse.
jget() {
        python3 -c '
import json, sys
try:
    j = json.load(sys.stdin)
    v = eval(sys.argv[1])
except Exception as e:
    print("<error: %s>" % e)
    sys.exit(0)
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))' "$1"
}

# try ARGS...: oci ARGS with the output in TRY_OUT, never through a pipe (a container created
# by it would hold the pipe open); returns the exit status.
try() {
        oci "$@" >"$T/.try.out" 2>&1 </dev/null
        local rc=$?
        TRY_OUT=$(cat "$T/.try.out")
        return $rc
}

# wait_for COND...: poll a command for up to 5 s.
wait_for() {
        local i
        for i in $(seq 100); do "$@" && return 0; sleep 0.05; done
        return 1
}
status_is() { [ "$(oci state "$1" 2>/dev/null | jget 'j["status"]')" = "$2" ]; }
declare -F gone >/dev/null || gone() { ! kill -0 "$1" 2>/dev/null; }

# check_fails_clean "what" ID BUNDLE: create must fail and leave nothing behind.
check_fails_clean() {
        local what=$1 id=$2 b=$3 out
        # never capture create through a pipe: a container that does get created holds it
        timeout 30 "$CTR_OCI" --root "$ROOT" create --bundle "$b" "$id" >"$T/.create.out" 2>&1 </dev/null
        local rc=$?
        out=$(cat "$T/.create.out")
        if [ $rc != 0 ]; then
                ok "$what: create fails"
        else
                not_ok "$what: create fails"
                oci delete --force "$id" >/dev/null 2>&1
        fi
        local left
        left=$(conf_leftovers)
        check_eq "$what: nothing left behind" "" "$left"
        [ -n "$out" ] && echo "#   ($what: $(printf '%s' "$out" | head -n1))"
}

# The container's cgroup directory for CONTROLLER (v1), found from the host side.
cgroup_dir() { # cgroup_dir PID CONTROLLER
        local rel
        rel=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' \
                /proc/"$1"/cgroup)
        [ -n "$rel" ] && echo "/sys/fs/cgroup/$2$rel"
}

# Capability numbers, for comparing /proc/PID/status masks with configured sets.
capmask() { # capmask CAP_X CAP_Y ... → 16 hex digits
        python3 - "$@" <<'PY'
import sys
names = ["CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
         "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
         "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
         "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
         "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
         "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"]
m = 0
for a in sys.argv[1:]:
    m |= 1 << names.index(a[4:])
print("%016x" % m)
PY
}
ALL_CAPS="CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID
CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN
CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE
CAP_SYS_PACCT CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME
CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP
CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ
CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE"
# The capabilities the runtime itself has (this VM may lack some, e.g. CAP_SYS_RESOURCE).
HOST_CAPS=$(python3 - "$(grep ^CapBnd: /proc/self/status | cut -f2)" $ALL_CAPS <<'PY'
import sys
m = int(sys.argv[1], 16)
print(" ".join(n for i, n in enumerate(sys.argv[2:]) if m >> i & 1))
PY
)
# A python edit granting every capability the runtime has, in every set but ambient.
HOST_CAPS_EDIT="c['process']['capabilities'] = {k: '$HOST_CAPS'.split() for k in ('bounding', 'effective', 'permitted', 'inheritable')}"

# leftovers, but the host mounts a test made itself (HOST_MOUNTS) are not the runtime's.
conf_leftovers() {
        local out m mine
        out=$(leftovers)
        case "$out" in *mounts*) ;; *) echo "$out"; return ;; esac
        for m in $(awk -v t="$T/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo); do
                mine=
                for h in "${HOST_MOUNTS[@]}"; do
                        case "$m/" in "$h"/*) mine=1 ;; esac
                done
                [ -n "$mine" ] || { echo "$out"; return; }
        done
        echo "${out/ mounts/}"
}

# Host mounts a test makes under $T, undone by unmount_all (and before leftovers is checked).
HOST_MOUNTS=()
host_mount() { # host_mount ARGS... TARGET
        mount "$@" && HOST_MOUNTS+=("${!#}")
}
unmount_all() {
        local i
        for ((i = ${#HOST_MOUNTS[@]} - 1; i >= 0; i--)); do
                # mounts may be stacked (propagated back by a container): all of them
                while mountpoint -q "${HOST_MOUNTS[$i]}"; do
                        umount -R "${HOST_MOUNTS[$i]}" 2>/dev/null || umount -l "${HOST_MOUNTS[$i]}" 2>/dev/null || break
                done
        done
        HOST_MOUNTS=()
}
# Processes a test starts on the host (namespace holders), killed by pid at exit.
HOST_PIDS=()
conf_cleanup() {
        local p
        for p in "${HOST_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
        for id in $(ls "$ROOT" 2>/dev/null); do "$CTR_OCI" --root "$ROOT" delete --force "$id" >/dev/null 2>&1; done
        unmount_all
        cleanup
}
trap conf_cleanup EXIT
