#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A runtime killed with SIGKILL in the middle of create leaves a half-made container; the
# next 'delete --force', or the next create of that ID, must clear all of it: state,
# cgroups, processes.
. "$(dirname "$0")/lib.sh"

cat >"$T/slow-hook" <<EOF2
#!/bin/sh
echo \$\$ >>"$T/hook.pids"
sleep 30
EOF2
chmod +x "$T/slow-hook"

crash_create() { # crash_create ID BUNDLE: start create, SIGKILL it while its hook runs
        rm -f "$T/hook.pids"
        "$CTR_OCI" --root "$ROOT" create --bundle "$2" "$1" >/dev/null 2>&1 &
        local rpid=$!
        for i in $(seq 200); do [ -s "$T/hook.pids" ] && break; sleep 0.02; done
        kill -KILL $rpid
        wait $rpid 2>/dev/null
        kill -KILL $(cat "$T/hook.pids") 2>/dev/null
}

for hook in prestart createRuntime; do
        b=$(make_bundle "crash-$hook" "c['process']['args'] = ['sleep', '1000']" \
                "c.setdefault('hooks', {})['$hook'] = [{'path': '$T/slow-hook'}]")
        crash_create "c-$hook" "$b"
        check "a $hook hook was running when the runtime was killed" [ -s "$T/hook.pids" ]
        check_match "the half-made container is visible" "c-$hook" "$(ls "$ROOT")"
        # the container's init got SIGKILL with its parent (PDEATHSIG): nothing runs in its cgroup
        sleep 0.1
        procs=""
        for f in /sys/fs/cgroup/pids$(awk -F: '$2=="pids"{print $3}' /proc/self/cgroup)/$CG_PREFIX/crash-$hook/cgroup.procs; do
                [ -f "$f" ] && procs="$procs$(cat "$f")"
        done
        check_eq "no process of it survives the runtime" "" "$procs"
        check "delete --force clears it" oci delete --force "c-$hook"
        check_eq "nothing left after delete --force" "" "$(leftovers)"
done

# the next create of the same ID clears the remains by itself
b=$(make_bundle crash-again "c['process']['args'] = ['sleep', '1000']" \
        "c.setdefault('hooks', {})['prestart'] = [{'path': '$T/slow-hook'}]")
crash_create again "$b"
python3 - "$b/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c.pop('hooks'); json.dump(c, open(sys.argv[1], 'w'))
PY
oci create --bundle "$b" again
check "a create of the same ID after a crash succeeds" [ $? = 0 ]
check_match "and the container is created" '"status": "created"' "$(oci state again)"
oci delete --force again
check_eq "nothing left" "" "$(leftovers)"

# a live container with the same ID is never taken for remains
b=$(make_bundle live "c['process']['args'] = ['sleep', '1000']")
oci run -d --bundle "$b" live
out=$(oci create --bundle "$b" live 2>&1)
check_match "creating an ID that runs is refused" "already exists" "$out"
check_match "and the running one is untouched" '"status": "running"' "$(oci state live)"
oci delete --force live
check_eq "nothing left" "" "$(leftovers)"
done_testing
