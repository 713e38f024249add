#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Security regression tests, catalogue row 1: CVE-2019-5736 / CVE-2016-9962. Root inside the
# container must never get hold of the runtime binary through /proc/PID/exe, neither while the
# runtime's own processes (the waiting init, an exec child) are in the container, nor when a
# payload starts with "#!/proc/self/exe" and so re-executes the runtime inside the container.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec-lib.sh"
control_run

exe=$(readlink -f "$CTR_OCI")
read -r dev ino < <(stat -L -c '%d %i' "$exe")
hash0=$(sha256sum <"$exe")

if ! build_helper exe-opener; then
        skip "[row 1] /proc/PID/exe of the runtime from the container" "gcc -static unavailable"
        done_testing
fi

# 1a. The init waiting for 'start' runs our binary: root in the container (via exec) must not
# open its /proc/1/exe, for reading, writing or as O_PATH to reopen later.
b=$(make_bundle exe-created "c['process']['args'] = ['sleep', '1000']")
own_rootfs "$b"
cp "$HELPERS/exe-opener" "$b/rootfs/exe-opener"
oci create --bundle "$b" --pid-file "$T/exe-created.pid" exe-created
check "[row 1] create (init waits for start)" [ $? = 0 ]
pid=$(cat "$T/exe-created.pid" 2>/dev/null)
check_eq "[row 1] the waiting init is the runtime binary (the probe targets it)" "$exe" \
        "$(readlink "/proc/$pid/exe" 2>/dev/null)"
out=$(oci exec exe-created /exe-opener probe 1 "$dev" "$ino" 2>&1)
echo "$out" | sed 's/^/# probe: /'
check_match "[row 1] exec ran the probe in the created container" '^readlink: ' "$out"
check "[row 1] created init: /proc/1/exe cannot be opened O_PATH" sh -c "! echo '$out' | grep -q '^O_PATH: OK'"
check "[row 1] created init: /proc/1/exe cannot be opened O_RDONLY" sh -c "! echo '$out' | grep -q '^O_RDONLY: OK'"
check "[row 1] created init: /proc/1/exe cannot be opened O_WRONLY" sh -c "! echo '$out' | grep -q '^O_WRONLY: OK'"
oci delete --force exe-created

# 1b. A watcher as the container's init scans /proc for any process whose exe is the runtime
# binary while the runtime execs into the container 100 times: 50 plain execs (the exec child
# is our binary until its execve) and 50 of an entrypoint "#!/proc/self/exe --log=/fifo", which
# makes the kernel run /proc/self/exe of the exec child, the runtime binary, as the payload
# (it then blocks opening the fifo, so the watcher has all the time it needs). runc's fix is
# to run from a sealed memfd (or a read-only copy), so that /proc/self/exe is never the host's
# binary.
mkdir -p "$T/ctl"
b=$(make_bundle exe-watch \
        "c['process']['args'] = ['/exe-opener', 'watch', '$dev', '$ino', '/ctl/done', '/fifo']" \
        "c['mounts'].append({'destination': '/ctl', 'type': 'bind', 'source': '$T/ctl', 'options': ['rbind', 'rw']})")
own_rootfs "$b"
cp "$HELPERS/exe-opener" "$b/rootfs/exe-opener"
if ! copy_runtime_libs "$b/rootfs"; then
        echo "# could not copy the runtime's libraries into the rootfs"
fi
printf '#!/proc/self/exe --log=/fifo\n' >"$b/rootfs/entry"
chmod 755 "$b/rootfs/entry"
mkfifo "$b/rootfs/fifo"
oci create --bundle "$b" exe-watch >"$T/watch.out" 2>&1
check "[row 1] create the watcher" [ $? = 0 ]
oci start exe-watch
check "[row 1] start the watcher" [ $? = 0 ]
oci exec -d exe-watch /entry >"$T/entry.out" 2>&1
check "[row 1] exec of a '#!/proc/self/exe' entrypoint is accepted (the attack's first step)" [ $? = 0 ]
for i in $(seq 30); do grep -q GRABBED "$T/watch.out" && break; sleep 0.1; done
for i in $(seq 50); do
        oci exec exe-watch /bin/true >/dev/null 2>&1
        oci exec -d exe-watch /entry >/dev/null 2>&1
done
touch "$T/ctl/done"
# Release any payload still blocked opening the fifo for writing (O_RDWR never blocks).
exec 9<>"$b/rootfs/fifo"
wait_stopped exe-watch 100
exec 9>&-
out=$(cat "$T/watch.out")
{ echo "$out" | grep '^GRABBED' | head -5; echo "$out" | grep -v '^GRABBED' | grep -v '^WRONLY-REOPEN OK' ;
  echo "$out" | grep '^WRONLY-REOPEN OK' | head -3; } | sed 's/^/# watcher: /'
check_match "[row 1] the watcher ran to the end" '^SUMMARY ' "$out"
# Reaching the binary is harmless when it sits on a read-only mount (runc's alternative to the
# memfd); on a writable one it is the first half of the breakout.
check "[row 1] no process in the container exposes the runtime binary (on a writable mount) as /proc/PID/exe" \
        sh -c "! grep -q '^GRABBED .*ro=0' '$T/watch.out'"
check "[row 1] the runtime binary is never opened for writing through /proc/PID/exe" \
        sh -c "! grep -q '^WRONLY-DIRECT' '$T/watch.out'"
check "[row 1] a kept /proc/PID/exe fd never reopens for writing after the runtime exits" \
        sh -c "! grep -q '^WRONLY-REOPEN OK' '$T/watch.out'"
check_eq "[row 1] the runtime binary is unchanged" "$hash0" "$(sha256sum <"$exe")"
oci delete --force exe-watch
check_eq "[row 1] nothing left behind" "" "$(leftovers)"
done_testing
