#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# OCI runtime-spec 1.3.0 conformance, config.md "POSIX-platform Hooks" and runtime.md
# "Lifecycle": order, when, in which namespace, the state on stdin, args and env, failures,
# timeouts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/conformance-lib.sh"
export CONF_LEAK=leaked # must not reach hooks that set their own env

H=$T/h
mkdir -p "$H"
# hook NAME DIR [ARGS...]: record one call in DIR (works with dash and busybox sh)
cat >"$H/hook" <<'SH'
n=$1 d=$2
cat >"$d/$n.json"
echo "$n" >>"$d/log"
shift 2
printf '%s\n' "$@" >"$d/$n.args"
env >"$d/$n.env"
readlink /proc/self/ns/mnt >"$d/$n.mnt"
readlink /proc/self/ns/uts >"$d/$n.uts"
cat /proc/1/comm >"$d/$n.comm1" 2>/dev/null
pid=$(sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' "$d/$n.json")
if [ -n "$pid" ]; then
        cat /proc/$pid/comm >"$d/$n.comm" 2>/dev/null || echo gone >"$d/$n.comm"
        readlink /proc/$pid/ns/net >"$d/$n.net" 2>/dev/null
        awk '{print $5}' /proc/$pid/mountinfo >"$d/$n.mounts" 2>/dev/null
fi
awk '{print $5}' /proc/self/mountinfo >"$d/$n.selfmounts"
exit 0
SH
reset_h() { find "$H" -mindepth 1 ! -name hook -delete; }
# hooks(KIND PREFIX N [where]) → a python list of N logging hooks; where=container: the path
# and the directory as the container sees them (/bin/sh, /h).
hk() { # hk NAME [container]
        if [ "${2:-}" = container ]; then
                echo "{'path': '/bin/sh', 'args': ['sh', '/h/hook', '$1', '/h', 'arg one', '\$x'], 'env': ['HOOKVAR=$1 value', 'PATH=/bin']}"
        else
                echo "{'path': '/bin/sh', 'args': ['sh', '$H/hook', '$1', '$H', 'arg one', '\$x'], 'env': ['HOOKVAR=$1 value', 'PATH=/usr/bin:/bin'], 'timeout': 10}"
        fi
}
HMOUNT="c['mounts'].append({'destination': '/h', 'type': 'bind', 'source': '$H', 'options': ['rbind', 'rw']})"
host_mnt=$(readlink /proc/self/ns/mnt)
host_net=$(readlink /proc/self/ns/net)

b=$(make_bundle hooks "${CONF_STRIP[@]}" "$HMOUNT" "c['process']['args'] = ['sleep', '1000']" \
        "c['annotations'] = {'org.example.hooks': 'yes'}" \
        "c['hooks'] = {
  'prestart': [$(hk prestart1), {'path': '/bin/true'}, $(hk prestart2)],
  'createRuntime': [$(hk createRuntime1), $(hk createRuntime2)],
  'createContainer': [$(hk createContainer1), $(hk createContainer2)],
  'startContainer': [$(hk startContainer1 container), $(hk startContainer2 container)],
  'poststart': [$(hk poststart1), $(hk poststart2)],
  'poststop': [$(hk poststop1), {'path': '/bin/sh', 'args': ['custom-argv0', '-c', 'echo \"\$0\" >$H/argv0; cat >/dev/null']}, $(hk poststop2)],
}")
oci create --bundle "$b" --pid-file "$T/hooks.pid" hooks
check "create with hooks of every kind exits 0" [ $? = 0 ]
pid=$(cat "$T/hooks.pid" 2>/dev/null)
check_eq "create runs prestart, createRuntime, createContainer hooks, in the listed order" \
        "prestart1 prestart2 createRuntime1 createRuntime2 createContainer1 createContainer2" "$(echo $(cat "$H/log" 2>/dev/null))"
cont_mnt=$(readlink /proc/$pid/ns/mnt)
check_eq "prestart hooks run in the runtime mount namespace" "$host_mnt" "$(cat "$H/prestart1.mnt" 2>/dev/null)"
check_eq "createRuntime hooks run in the runtime mount namespace" "$host_mnt" "$(cat "$H/createRuntime1.mnt" 2>/dev/null)"
check_eq "createContainer hooks run in the container mount namespace" "$cont_mnt" "$(cat "$H/createContainer1.mnt" 2>/dev/null)"
check_eq "createContainer hooks run in the container UTS namespace" "$(readlink /proc/$pid/ns/uts)" "$(cat "$H/createContainer1.uts" 2>/dev/null)"
check "prestart hooks run after the namespaces are created (the container has its own netns)" \
        sh -c "[ -n \"\$(cat $H/prestart1.net)\" ] && [ \"\$(cat $H/prestart1.net)\" != '$host_net' ]"
for k in prestart1 createRuntime1; do
        check "$k runs after the container's mounts are made (its mount table has the rootfs' /dev/pts)" \
                grep -q '.\+/dev/pts$' "$H/$k.mounts"
done
check "createContainer1 runs after the mounts are made, before pivot_root (it sees <rootfs>/dev/pts)" \
        grep -q '.\+/dev/pts$' "$H/createContainer1.selfmounts"
check "the payload has not run during create" [ "$(cat /proc/$pid/comm)" != sleep ]

oci start hooks
check "start exits 0" [ $? = 0 ]
check_eq "start runs startContainer then poststart hooks, in order, before returning" \
        "prestart1 prestart2 createRuntime1 createRuntime2 createContainer1 createContainer2 startContainer1 startContainer2 poststart1 poststart2" \
        "$(echo $(cat "$H/log"))"
check_eq "startContainer hooks run in the container mount namespace" "$cont_mnt" "$(cat "$H/startContainer1.mnt" 2>/dev/null)"
check_eq "startContainer hooks run before the user program (pid 1 is not the payload yet)" "no" \
        "$(grep -qx sleep "$H/startContainer1.comm1" 2>/dev/null && echo yes || echo no)"
check_eq "poststart hooks run in the runtime mount namespace" "$host_mnt" "$(cat "$H/poststart1.mnt" 2>/dev/null)"
check_eq "poststart hooks run after the user program is executed" "sleep" "$(cat "$H/poststart1.comm" 2>/dev/null)"

oci kill hooks KILL
wait_for status_is hooks stopped
oci delete hooks
check "delete exits 0" [ $? = 0 ]
check_eq "delete runs poststop hooks, in order, before returning" "poststop1 poststop2" "$(echo $(sed -n '11,$p' "$H/log"))"
check_eq "poststop hooks run in the runtime mount namespace" "$host_mnt" "$(cat "$H/poststop1.mnt" 2>/dev/null)"
check_eq "poststop hooks run after the container is gone" "gone" "$(cat "$H/poststop1.comm" 2>/dev/null || echo gone)"
check_eq "a hook's args are its argv, args[0] included" "custom-argv0" "$(cat "$H/argv0" 2>/dev/null)"
check_eq "hook args are passed verbatim" "$(printf 'arg one\n$x')" "$(cat "$H/prestart1.args" 2>/dev/null)"
check_match "hook env is passed" '^HOOKVAR=prestart1 value$' "$(grep HOOKVAR "$H/prestart1.env" 2>/dev/null)"
check "hook env is the configured env only (nothing leaks from the runtime's)" sh -c "! grep -q CONF_LEAK $H/prestart1.env"
check_match "startContainer hook env is passed" '^HOOKVAR=startContainer1 value$' "$(grep HOOKVAR "$H/startContainer1.env" 2>/dev/null)"

# the state on stdin
for k in prestart1 createRuntime1 createContainer1 startContainer1 poststart1 poststop1; do
        check_eq "$k: the state on stdin has ociVersion, id, bundle, annotations" \
                "hooks $b {\"org.example.hooks\": \"yes\"}" \
                "$(jget 'j["id"] + " " + j["bundle"] + " " + __import__("json").dumps(j.get("annotations"), sort_keys=True) if j.get("ociVersion") else "no ociVersion"' <"$H/$k.json")"
done
for k in prestart1 createRuntime1 poststart1; do
        check_eq "$k (runtime namespace): state.pid is the pid as seen by the runtime" "$pid" "$(jget 'j.get("pid")' <"$H/$k.json")"
done
for k in createContainer1 startContainer1; do
        check_eq "$k (container namespace): state.pid is the pid as seen by the container" "1" "$(jget 'j.get("pid")' <"$H/$k.json")"
done
# runtime-tools' hooks_stdin wants "created" for prestart; createRuntime/createContainer run
# during create, where "creating" is as right.
check_eq "prestart: state.status is created (as runtime-tools' hooks_stdin expects)" "created" "$(jget 'j["status"]' <"$H/prestart1.json")"
check_match "createRuntime: state.status is creating or created" '^(creating|created)$' "$(jget 'j["status"]' <"$H/createRuntime1.json")"
check_match "createContainer: state.status is creating or created" '^(creating|created)$' "$(jget 'j["status"]' <"$H/createContainer1.json")"
check_eq "startContainer: state.status is created" "created" "$(jget 'j["status"]' <"$H/startContainer1.json")"
check_eq "poststart: state.status is running" "running" "$(jget 'j["status"]' <"$H/poststart1.json")"
check_eq "poststop: state.status is stopped" "stopped" "$(jget 'j["status"]' <"$H/poststop1.json")"
check_eq "nothing left after delete" "" "$(conf_leftovers)"

# while a createRuntime hook runs the container is "creating": not startable, not deletable
reset_h
b=$(bundle creating 'exec sleep 1000' "c['hooks'] = {'createRuntime': [{'path': '/bin/sh', 'args': ['sh', '-c', 'cat >/dev/null; touch $H/in-hook; i=0; while [ ! -e $H/release ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done'], 'timeout': 20}]}")
oci create --bundle "$b" creating >/dev/null 2>&1 &
cpid=$!
wait_for test -e "$H/in-hook"
check_eq "during create (a createRuntime hook running), state.status is creating" "creating" \
        "$(oci state creating 2>/dev/null | jget 'j["status"]')"
oci start creating >/dev/null 2>&1
check "start of a creating container fails" [ $? != 0 ]
oci delete creating >/dev/null 2>&1
check "delete of a creating container fails" [ $? != 0 ]
touch "$H/release"
wait $cpid
check "... and create then completes" [ $? = 0 ]
check "... the container is created" status_is creating created
oci delete --force creating >/dev/null 2>&1

# poststop with run: the container is deleted when run returns
reset_h
b=$(bundle runhooks 'exit 0' "c['hooks'] = {'poststop': [$(hk poststop1)], 'poststart': [$(hk poststart1)]}")
oci run --bundle "$b" runhooks </dev/null
check_eq "run: poststart, then poststop when the container is deleted" "poststart1 poststop1" "$(echo $(cat "$H/log" 2>/dev/null))"

# failing hooks during create: an error, the container is destroyed, poststop hooks run
mkdir -p "$T/mark"
MMOUNT="c['mounts'].append({'destination': '/mark', 'type': 'bind', 'source': '$T/mark', 'options': ['rbind', 'rw']})"
FAIL="{'path': '/bin/sh', 'args': ['sh', '-c', 'cat >/dev/null; exit 3']}"
for kind in prestart createRuntime createContainer; do
        reset_h; rm -f "$T/mark/ran"
        b=$(bundle "fail$kind" 'touch /mark/ran' "$MMOUNT" \
                "c['hooks'] = {'$kind': [$(hk ${kind}1), $FAIL], 'poststop': [$(hk poststop1)]}")
        try create --bundle "$b" "fail$kind"
        check "a failing $kind hook fails create" [ $? != 0 ]
        echo "#   ($(printf '%s' "$TRY_OUT" | head -n1))"
        check "... the container is destroyed (state fails)" sh -c "! oci state fail$kind >/dev/null 2>&1"
        oci start "fail$kind" >/dev/null 2>&1
        check "... the user program never runs" [ ! -e "$T/mark/ran" ]
        check_eq "... nothing is left behind" "" "$(conf_leftovers)"
        check "... the lifecycle continues at step 12-13: poststop hooks run" grep -qsx poststop1 "$H/log"
        oci delete --force "fail$kind" >/dev/null 2>&1
done

# a failing startContainer hook: start fails, the user program never runs
reset_h; rm -f "$T/mark/ran"
b=$(bundle failstart 'touch /mark/ran; sleep 1000' "$MMOUNT" \
        "c['hooks'] = {'startContainer': [{'path': '/bin/sh', 'args': ['sh', '-c', 'exit 3']}]}")
oci create --bundle "$b" failstart
out=$(oci start failstart 2>&1)
check "a failing startContainer hook fails start" [ $? != 0 ]
sleep 0.2
check "... the user program never runs" [ ! -e "$T/mark/ran" ]
check "... the container is stopped (not running)" sh -c "! oci state failstart 2>/dev/null | grep -q '\"running\"'"
oci delete --force failstart >/dev/null 2>&1

# failing poststart / poststop hooks: a warning; the remaining hooks and the lifecycle go on
# (runtime-tools' poststart_fail and poststop_fail; runtime-spec 1.3.0's lifecycle step 9
# now says poststart failures are errors, runtime-tools still checks for a warning)
reset_h
b=$(bundle failpost 'exec sleep 1000' \
        "c['hooks'] = {'poststart': [$FAIL, $(hk poststart1)], 'poststop': [$FAIL, $(hk poststop1)]}")
oci create --bundle "$b" failpost
out=$(oci start failpost 2>&1)
check "a failing poststart hook: start still succeeds" [ $? = 0 ]
check_match "... with a warning" 'poststart' "$out"
check "... the following poststart hooks run" grep -qsx poststart1 "$H/log"
check "... the container runs" status_is failpost running
oci kill failpost KILL
wait_for status_is failpost stopped
out=$(oci delete failpost 2>&1)
check "a failing poststop hook: delete still succeeds" [ $? = 0 ]
check_match "... with a warning" 'poststop' "$out"
check "... the following poststop hooks run" grep -qsx poststop1 "$H/log"
check "... the container is gone" sh -c "! oci state failpost >/dev/null 2>&1"
check_eq "... nothing left" "" "$(conf_leftovers)"

# timeouts: the hook is killed, a timed-out create hook is a failure
reset_h
b=$(bundle tmo 'true' "c['hooks'] = {'createRuntime': [{'path': '/bin/sh', 'args': ['sh', '-c', 'echo \$\$ >$H/tmo.pid; exec sleep 30'], 'timeout': 1}], 'poststop': [$(hk poststop1)]}")
start=$(date +%s)
try create --bundle "$b" tmo
rc=$?
took=$(($(date +%s) - start))
check "a createRuntime hook past its timeout fails create" [ $rc != 0 ]
check "... within a few seconds (timeout 1 s, took ${took}s)" [ "$took" -le 4 ]
check "... and the hook process is killed" gone "$(cat "$H/tmo.pid" 2>/dev/null || echo 999999)"
check "... poststop hooks run" grep -qsx poststop1 "$H/log"
check_eq "... nothing left" "" "$(conf_leftovers)"
oci delete --force tmo >/dev/null 2>&1

reset_h
b=$(bundle tmo2 'true' "c['hooks'] = {'poststop': [{'path': '/bin/sh', 'args': ['sh', '-c', 'echo \$\$ >$H/tmo2.pid; exec sleep 30'], 'timeout': 1}, $(hk poststop1)]}")
start=$(date +%s)
oci run --bundle "$b" tmo2 >/dev/null 2>&1 </dev/null
took=$(($(date +%s) - start))
check "a poststop hook past its timeout is killed (run took ${took}s)" [ "$took" -le 4 ]
check "... its process is gone" gone "$(cat "$H/tmo2.pid" 2>/dev/null || echo 999999)"
check "... the next poststop hook still runs" grep -qsx poststop1 "$H/log"
check_eq "nothing left at the end" "" "$(conf_leftovers)"
done_testing
