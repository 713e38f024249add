#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Security regression tests for terminals: the /dev/console bind of terminal mode (row 8,
# CVE-2025-52565) and keystroke injection into the caller's terminal (row 21, CVE-2017-5226).
# Rows refer to /work/shared/security/cve-catalogue.md.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec-lib.sh"
control_run

# A console-socket receiver: accepts one connection, takes the pty master passed with
# SCM_RIGHTS and copies what the container writes to OUT until the pty closes.
cat >"$T/console-receiver.py" <<'PY'
import array, os, select, socket, sys, time
path, out_path = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
srv.settimeout(30)
with open(out_path, 'wb') as out:
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        out.write(b'NO-CONNECTION\n')
        sys.exit(1)
    fds = array.array('i')
    msg, anc, _, _ = conn.recvmsg(256, socket.CMSG_SPACE(fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:fds.itemsize])
    out.write(b'NAME ' + msg + b'\n')
    if not fds:
        out.write(b'NO-FD\n')
        sys.exit(1)
    end = time.time() + 30
    while time.time() < end:
        ready, _, _ = select.select([fds[0]], [], [], 0.2)
        if not ready:
            continue
        try:
            data = os.read(fds[0], 4096)
        except OSError:
            break
        if not data:
            break
        out.write(data)
        out.flush()
PY

# run_console ID BUNDLE: create with a console socket, start, collect the output in $T/ID.tty.
# Returns create's status.
run_console() {
        local id=$1 b=$2 rc i
        rm -f "$T/$id.sock"
        python3 "$T/console-receiver.py" "$T/$id.sock" "$T/$id.tty" &
        local recv=$!
        for i in $(seq 100); do [ -S "$T/$id.sock" ] && break; sleep 0.05; done
        oci create --console-socket "$T/$id.sock" --bundle "$b" "$id" >"$T/$id.create" 2>&1
        rc=$?
        if [ $rc = 0 ]; then
                oci start "$id"
                wait_stopped "$id" 100
        else
                kill $recv 2>/dev/null
        fi
        wait $recv 2>/dev/null
        oci delete --force "$id" >/dev/null 2>&1
        tr -d '\r' <"$T/$id.tty" >"$T/$id.out" 2>/dev/null
        return $rc
}

# ---- row 8: CVE-2025-52565, /dev/console planted as a symlink ----
payload="c['process']['args'] = ['sh', '-c', 'stat -c \"%F %t\" /dev/console; grep -c \" /proc/sys/kernel/core_pattern \" /proc/self/mountinfo; echo END']"
terminal="c['process']['terminal'] = True"
no_dev_tmpfs="c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/dev']"
b=$(make_bundle console-default "$terminal" "$payload")
run_console console-default "$b"
check "[row 8] control: terminal:true with a console socket works" [ $? = 0 ]
sed 's/^/# console-default: /' "$T/console-default.out"
check_match "[row 8] control: /dev/console is the pty (char major 136)" '^character special file 88$' \
        "$(cat "$T/console-default.out")"
echo host-console-sentinel >"$T/console-sentinel"
fp_cs=$(fingerprint "$T/console-sentinel")
core0=$(cat /proc/sys/kernel/core_pattern)
for style in absolute relative core_pattern; do
        case $style in
        absolute) target=$T/console-sentinel ;;
        relative) target=../../../../../../../..$T/console-sentinel ;;
        core_pattern) target=/proc/sys/kernel/core_pattern ;;
        esac
        b=$(make_bundle console-$style "$terminal" "$payload" "$no_dev_tmpfs")
        own_rootfs "$b"
        ln -s "$target" "$b/rootfs/dev/console"
        run_console console-$style "$b"
        rc=$?
        { cat "$T/console-$style.create" "$T/console-$style.out"; } 2>/dev/null | sed "s/^/# console-$style: /"
        out=$(cat "$T/console-$style.out" 2>/dev/null)
        check "[row 8] rootfs/dev/console -> $style: refused, or /dev/console is the pty" \
                [ $rc != 0 -o -n "$(echo "$out" | grep -x 'character special file 88')" ]
        check "[row 8] rootfs/dev/console -> $style: nothing mounted on core_pattern" \
                [ $rc != 0 -o -n "$(echo "$out" | grep -x 0)" ]
done
check_eq "[row 8] the host file the symlink pointed at is unchanged" "$fp_cs" "$(fingerprint "$T/console-sentinel")"
check_eq "[row 8] the host's core_pattern is unchanged" "$core0" "$(cat /proc/sys/kernel/core_pattern)"
check_eq "[row 8] nothing left behind" "" "$(leftovers)"

# ---- row 21: CVE-2017-5226, TIOCSTI into the caller's terminal ----
# terminal:false under `script` (so the runtime's stdin is a terminal): the payload must be
# in a session of its own, without that terminal as its controlling tty.
if ! command -v script >/dev/null; then
        skip "[row 21] TIOCSTI" "script (util-linux) is not installed"
elif ! build_helper tiocsti; then
        skip "[row 21] TIOCSTI" "gcc -static unavailable"
else
        want=EPERM
        [ "$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null)" = 0 ] && want='EPERM|EIO'
        b=$(make_bundle sti "c['process']['args'] = ['/tiocsti']")
        own_rootfs "$b"
        cp "$HELPERS/tiocsti" "$b/rootfs/tiocsti"
        out=$(script -qec "$CTR_OCI --root $ROOT run --bundle $b sti" /dev/null </dev/null 2>&1 | tr -d '\r')
        echo "$out" | sed 's/^/# run: /'
        check_match "[row 21] control: under script the payload's stdin is a terminal" '^isatty0: 1$' "$out"
        check_match "[row 21] run: the payload has no controlling terminal" '^devtty: ENXIO$' "$out"
        check_match "[row 21] run: TIOCSTI on the inherited terminal fails ($want)" "^TIOCSTI: ($want)$" "$out"
        b=$(make_bundle sti-exec "c['process']['args'] = ['sleep', '1000']")
        own_rootfs "$b"
        cp "$HELPERS/tiocsti" "$b/rootfs/tiocsti"
        oci run -d --bundle "$b" sti-exec </dev/null >/dev/null 2>&1
        out=$(script -qec "$CTR_OCI --root $ROOT exec sti-exec /tiocsti" /dev/null </dev/null 2>&1 | tr -d '\r')
        echo "$out" | sed 's/^/# exec: /'
        check_match "[row 21] control: under script the exec'd process's stdin is a terminal" '^isatty0: 1$' "$out"
        check_match "[row 21] exec: no controlling terminal" '^devtty: ENXIO$' "$out"
        check_match "[row 21] exec: TIOCSTI on the inherited terminal fails ($want)" "^TIOCSTI: ($want)$" "$out"
        oci delete --force sti-exec
fi
check_eq "[row 21] nothing left behind" "" "$(leftovers)"
done_testing
