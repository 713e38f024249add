#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# OCI runtime-spec 1.3.0 conformance, runtime.md: the state, the operations and their errors,
# the lifecycle; config.md: validation errors, unknown properties; features; the default spec.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/conformance-lib.sh"

# ---- the default config, as `spec` writes it (with its deny-all device rule) ----
b=$(make_bundle defcfg "c['process']['args'] = ['sh', '-c', 'echo x >/dev/null && head -c 3 /dev/zero | wc -c && head -c 1 /dev/urandom | wc -c && { (exec 3</dev/tty) 2>&1 | grep -q \"not permitted\" && echo tty=denied || echo tty=allowed; }']")
out=$(oci run --bundle "$b" defcfg 2>&1)
rc=$?
check_eq "spec's config.json is accepted by create/run" 0 "$rc"
[ $rc = 0 ] || echo "#   $out"
check_match "with its deny-all device rule, the default devices stay usable (/dev/null, /dev/zero, /dev/urandom, /dev/tty)" \
        '^3.1.tty=allowed$' "$(printf '%s' "$out" | tr '\n' '.')"
b=$(make_bundle defdev "c['process']['args'] = ['sh', '-c', 'echo x >/dev/mynull && echo ok']" \
        "c['linux']['devices'] = [{'path': '/dev/mynull', 'type': 'c', 'major': 1, 'minor': 3, 'fileMode': 438}]")
check_eq "a linux.devices entry is available (usable) despite the deny-all rule" "ok" "$(oci run --bundle "$b" defdev 2>&1)"
check_eq "nothing left after the default-config runs" "" "$(conf_leftovers)"

# ---- features ----
f=$(oci features)
check "features exits 0" [ $? = 0 ]
check_eq "features: ociVersionMin and ociVersionMax are semver, min <= max, max >= 1.0.0" "ok" "$(printf '%s' "$f" | jget '
(lambda re, v: "ok" if all(re.match(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$", x) for x in v) and
  tuple(map(int, v[0].split("-")[0].split("."))) <= tuple(map(int, v[1].split("-")[0].split("."))) and
  v[1] >= "1.0.0" else v)(__import__("re"), [j["ociVersionMin"], j["ociVersionMax"]])')"
check_eq "features lists every hook kind" "[]" "$(printf '%s' "$f" | jget \
        '[h for h in ["prestart","createRuntime","createContainer","startContainer","poststart","poststop"] if h not in j.get("hooks", [])]')"
must_opts='async atime bind defaults dev diratime dirsync exec iversion lazytime loud noatime nodev nodiratime noexec noiversion nolazytime norelatime nostrictatime nosuid private rbind relatime remount ro rprivate rshared rslave runbindable rw shared silent slave strictatime suid sync unbindable'
check_eq "features.mountOptions lists every MUST mount option" "[]" "$(printf '%s' "$f" | jget \
        "[o for o in '$must_opts'.split() if o not in j.get('mountOptions', [])]")"
check_eq "features.linux.namespaces lists the namespaces" "[]" "$(printf '%s' "$f" | jget \
        '[n for n in ["pid","network","mount","ipc","uts","user","cgroup"] if n not in j["linux"]["namespaces"]]')"
check_eq "features has no properties the spec does not define" "[]" "$(printf '%s' "$f" | jget \
        '[k for k in j if k not in ("ociVersionMin","ociVersionMax","hooks","mountOptions","linux","annotations","potentiallyUnsafeConfigAnnotations")]')"
vmin=$(printf '%s' "$f" | jget 'j["ociVersionMin"]')
vmax=$(printf '%s' "$f" | jget 'j["ociVersionMax"]')
crun vmin 'true' "c['ociVersion'] = '$vmin'"
check_eq "a config with ociVersion = ociVersionMin ($vmin) is accepted" 0 "$RC"
crun vmax 'true' "c['ociVersion'] = '$vmax'"
check_eq "a config with ociVersion = ociVersionMax ($vmax) is accepted" 0 "$RC"

# ---- state and the lifecycle: create, start, kill, delete ----
mkdir -p "$T/mark"
id=$(cat /proc/sys/kernel/random/uuid)
b=$(bundle life 'touch /mark/ran; exec sleep 1000' \
        "c['mounts'].append({'destination': '/mark', 'type': 'bind', 'source': '$T/mark', 'options': ['rbind', 'rw']})" \
        "c['annotations'] = {'org.example.key': 'value', 'org.example.empty': ''}")
oci create --bundle "$b" --pid-file "$T/life.pid" "$id"
check "create (a uuid as ID) exits 0" [ $? = 0 ]
st=$(oci state "$id")
check "state of a created container exits 0" [ $? = 0 ]
pid=$(cat "$T/life.pid" 2>/dev/null)
check_match "pid file holds a pid" '^[0-9]+$' "$pid"
check_eq "state.ociVersion is semver" "ok" "$(printf '%s' "$st" | jget '"ok" if __import__("re").match(r"^\d+\.\d+\.\d+", j["ociVersion"]) else j["ociVersion"]')"
check_eq "state.id is the ID" "$id" "$(printf '%s' "$st" | jget 'j["id"]')"
check_eq "state.status is created" "created" "$(printf '%s' "$st" | jget 'j["status"]')"
check_eq "state.pid (an int) is the container process" "$pid" "$(printf '%s' "$st" | jget 'j["pid"] if isinstance(j["pid"], int) else "not an int"')"
check_eq "state.bundle is the absolute bundle path" "$b" "$(printf '%s' "$st" | jget 'j["bundle"]')"
check_eq "state.annotations are the config's" '{"org.example.empty": "", "org.example.key": "value"}' \
        "$(printf '%s' "$st" | jget 'j.get("annotations")')"
check "the user program is not run by create" [ ! -e "$T/mark/ran" ]
check "the container process exists after create" kill -0 "$pid"
# runtime.md: "Any updates to config.json after this step MUST NOT affect the container."
python3 - "$b/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c['process']['args'] = ['sh', '-c', 'touch /mark/changed; exec sleep 1000']
c['process']['env'].append('CHANGED=1')
c['hostname'] = 'changed'
json.dump(c, open(sys.argv[1], 'w'))
PY
oci start "$id"
check "start exits 0" [ $? = 0 ]
wait_for test -e "$T/mark/ran"
check "start runs the user program" [ -e "$T/mark/ran" ]
check "changes to config.json after create do not affect the container" [ ! -e "$T/mark/changed" ]
wait_for sh -c "[ \"\$(cat /proc/$pid/comm 2>/dev/null)\" = sleep ]"
st=$(oci state "$id")
check_eq "state.status is running" "running" "$(printf '%s' "$st" | jget 'j["status"]')"
check_eq "state.pid is still the container process" "$pid" "$(printf '%s' "$st" | jget 'j.get("pid")')"
out=$(oci start "$id" 2>&1)
check "start of a running container fails" [ $? != 0 ]
check "... and has no effect on it" status_is "$id" running
check "... its process lives on" kill -0 "$pid"
out=$(oci delete "$id" 2>&1)
check "delete of a running container fails" [ $? != 0 ]
check "... and has no effect on it" status_is "$id" running
check "... its process lives on" kill -0 "$pid"
check "kill KILL of a running container exits 0" oci kill "$id" KILL
wait_for gone "$pid"
check "kill sends the signal to the container process" gone "$pid"
wait_for status_is "$id" stopped
st=$(oci state "$id")
check_eq "state.status is stopped once the process exited" "stopped" "$(printf '%s' "$st" | jget 'j["status"]')"
check_eq "state of a stopped container still has id and bundle" "$id $b" "$(printf '%s' "$st" | jget 'j["id"] + " " + j["bundle"]')"
out=$(oci kill "$id" KILL 2>&1)
check "kill of a stopped container fails" [ $? != 0 ]
check "... and has no effect on it" status_is "$id" stopped
out=$(oci start "$id" 2>&1)
check "start of a stopped container fails" [ $? != 0 ]
check "... and has no effect on it" status_is "$id" stopped
cgdir=$(ls -d /sys/fs/cgroup/pids/$(awk -F: '$2=="pids"{print $3}' /proc/self/cgroup)/$CG_PREFIX/life 2>/dev/null)
check "delete of a stopped container exits 0" oci delete "$id"
out=$(oci state "$id" 2>&1)
check "state of a deleted container fails" [ $? != 0 ]
check "delete removes the cgroup create made" test -n "$cgdir" -a ! -e "$cgdir"
check "delete leaves the bundle alone" test -f "$b/config.json" -a -e "$b/rootfs/bin/busybox"
check "delete leaves the bind-mount source alone" [ -e "$T/mark/ran" ]
check_eq "nothing left after delete" "" "$(conf_leftovers)"
oci create --bundle "$b" "$id" >/dev/null 2>&1
check "a deleted container's ID may be used again" [ $? = 0 ]
oci delete --force "$id" >/dev/null 2>&1

# kill and delete of a created (not started) container
rm -f "$T/mark/ran"
python3 - "$b/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c['process']['args'] = ['sh', '-c', 'touch /mark/ran; exec sleep 1000']
json.dump(c, open(sys.argv[1], 'w'))
PY
oci create --bundle "$b" --pid-file "$T/c2.pid" c2
pid=$(cat "$T/c2.pid")
check "kill KILL of a created container exits 0" oci kill c2 KILL
wait_for status_is c2 stopped
check "kill of a created container signals its process: it is stopped" status_is c2 stopped
check "... and the user program never ran" [ ! -e "$T/mark/ran" ]
oci delete --force c2 >/dev/null 2>&1
oci create --bundle "$b" --pid-file "$T/c3.pid" c3
pid=$(cat "$T/c3.pid")
out=$(oci delete c3 2>&1)
check "delete of a created (not stopped) container fails" [ $? != 0 ]
check "... and has no effect on it" status_is c3 created
check "... its process lives on" kill -0 "$pid"
oci delete --force c3 >/dev/null 2>&1

# signals: names, SIG names and numbers reach the process
b=$(bundle sig 'trap "echo usr1 >>/mark/sig" USR1; trap "echo usr2 >>/mark/sig" USR2; trap "echo hup >>/mark/sig" HUP; trap "echo term >>/mark/sig; exit 3" TERM; touch /mark/sigready; while :; do sleep 0.05; done' \
        "c['mounts'].append({'destination': '/mark', 'type': 'bind', 'source': '$T/mark', 'options': ['rbind', 'rw']})")
oci run -d --bundle "$b" sig
wait_for test -e "$T/mark/sigready"
oci kill sig USR1 && wait_for grep -qs usr1 "$T/mark/sig"
check "kill ID USR1 delivers SIGUSR1" grep -q usr1 "$T/mark/sig"
oci kill sig SIGUSR2 && wait_for grep -qs usr2 "$T/mark/sig"
check "kill ID SIGUSR2 delivers SIGUSR2" grep -q usr2 "$T/mark/sig"
oci kill sig 1 && wait_for grep -qs hup "$T/mark/sig"
check "kill ID 1 delivers SIGHUP" grep -q hup "$T/mark/sig"
oci kill sig && wait_for status_is sig stopped
check "kill ID (no signal) delivers SIGTERM" grep -q term "$T/mark/sig"
oci delete sig >/dev/null 2>&1

# run: exit statuses
crun rc 'exit 42'
check_eq "run returns the payload's exit status" 42 "$RC"
crun sigself 'kill -USR1 $$; sleep 1' "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'pid']"
check_eq "run returns 128+N for a payload killed by signal N (SIGUSR1 → 138)" 138 "$RC"
b=$(bundle sigout 'exec sleep 1000')
oci run --bundle "$b" sigout </dev/null &
rpid=$!
wait_for status_is sigout running
oci kill sigout KILL
wait $rpid
check_eq "run returns 137 when the container is killed with SIGKILL" 137 $?
check_eq "nothing left after the runs" "" "$(conf_leftovers)"

# ---- operations without an ID, with a missing or an existing ID ----
for op in state start delete kill; do
        oci $op >/dev/null 2>&1
        check "$op without an ID fails" [ $? != 0 ]
done
b=$(bundle noid 'true')
(cd "$b" && "$CTR_OCI" --root "$ROOT" create >/dev/null 2>&1)
check "create without an ID fails" [ $? != 0 ]
check_eq "... and creates nothing" "" "$(conf_leftovers)"
for op in state start delete kill; do
        oci $op nosuch >/dev/null 2>&1
        check "$op of a container that does not exist fails" [ $? != 0 ]
done
check_fails_clean "a bundle path that does not exist" nobundle "$T/no/such/bundle"

mkdir -p "$T/h"
b=$(bundle first 'exec sleep 1000')
oci create --bundle "$b" --pid-file "$T/first.pid" dup
pid=$(cat "$T/first.pid")
b2=$(bundle second 'touch /mark/second; exec sleep 1000' \
        "c['mounts'].append({'destination': '/mark', 'type': 'bind', 'source': '$T/mark', 'options': ['rbind', 'rw']})" \
        "c['hooks'] = {'createRuntime': [{'path': '/bin/sh', 'args': ['sh', '-c', 'touch $T/h/second-hook']}]}")
try create --bundle "$b2" dup
check "create with an existing ID fails" [ $? != 0 ]
st=$(oci state dup)
check_eq "... the existing container is untouched (status, pid, bundle)" "created $pid $b" \
        "$(printf '%s' "$st" | jget 'j["status"] + " " + str(j["pid"]) + " " + j["bundle"]')"
check "... its process lives on" kill -0 "$pid"
check "... no new container was set up (its createRuntime hook did not run)" [ ! -e "$T/h/second-hook" ]
oci start dup
check "... and the existing one still starts" [ $? = 0 ]
wait_for sh -c "[ \"\$(cat /proc/$pid/comm 2>/dev/null)\" = sleep ]"
check_eq "... as itself" "sleep" "$(cat /proc/$pid/comm 2>/dev/null)"
oci delete --force dup >/dev/null 2>&1
for bad in 'a/b' '..' '../x'; do
        check_fails_clean "an invalid ID '$bad'" "$bad" "$b"
done

# ---- config validation: errors, and nothing left behind ----
conf_bad() { # conf_bad "what" edits...
        local what=$1
        shift
        local b
        b=$(bundle bad 'touch /mark/ran-bad' \
                "c['mounts'].append({'destination': '/mark', 'type': 'bind', 'source': '$T/mark', 'options': ['rbind', 'rw']})" "$@")
        rm -f "$T/mark/ran-bad"
        check_fails_clean "$what" bad "$b"
        oci start bad >/dev/null 2>&1
        check "$what: the user program never runs" [ ! -e "$T/mark/ran-bad" ]
        oci delete --force bad >/dev/null 2>&1
        rm -rf "$b"
}
conf_bad "no ociVersion" "del c['ociVersion']"
conf_bad "ociVersion not semver ('1.0')" "c['ociVersion'] = '1.0'"
conf_bad "ociVersion of an unsupported major (2.0.0)" "c['ociVersion'] = '2.0.0'"
conf_bad "no root" "del c['root']"
conf_bad "root.path does not exist" "c['root']['path'] = 'nosuchdir'"
conf_bad "root.path is a file" "c['root']['path'] = 'config.json'"
conf_bad "process.cwd relative" "c['process']['cwd'] = 'tmp'"
conf_bad "process.args empty" "c['process']['args'] = []"
conf_bad "rlimits with a duplicated type" \
        "c['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'soft': 100, 'hard': 100}, {'type': 'RLIMIT_NOFILE', 'soft': 200, 'hard': 200}]"
conf_bad "rlimits with an unknown type" "c['process']['rlimits'] = [{'type': 'RLIMIT_FOO', 'soft': 1, 'hard': 1}]"
conf_bad "a hook path that is not absolute" "c['hooks'] = {'poststop': [{'path': 'bin/true'}]}"
conf_bad "a hook timeout of 0" "c['hooks'] = {'poststop': [{'path': '/bin/true', 'timeout': 0}]}"
conf_bad "a hook timeout < 0" "c['hooks'] = {'poststop': [{'path': '/bin/true', 'timeout': -1}]}"
conf_bad "a duplicated namespace type" "c['linux']['namespaces'].append({'type': 'uts'})"
conf_bad "an unknown namespace type" "c['linux']['namespaces'].append({'type': 'foo'})"
conf_bad "a namespace path that does not exist" "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network'] + [{'type': 'network', 'path': '$T/no-such-ns'}]"
conf_bad "a namespace path of the wrong type (uts for network)" "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network'] + [{'type': 'network', 'path': '/proc/self/ns/uts'}]"
conf_bad "a seccomp errnoRet on an action without errno (SCMP_ACT_KILL)" \
        "c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['getcwd'], 'action': 'SCMP_ACT_KILL', 'errnoRet': 1}]}"
conf_bad "an unknown seccomp action" \
        "c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_FOO'}"
conf_bad "an 'idmap' mount without mappings nor user namespace" \
        "c['mounts'].append({'destination': '/idm', 'type': 'bind', 'source': '$T/mark', 'options': ['bind', 'idmap']})"
conf_bad "a mount with uidMappings but no gidMappings" \
        "c['mounts'].append({'destination': '/idm', 'type': 'bind', 'source': '$T/mark', 'options': ['bind', 'idmap'], 'uidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}]})"
conf_bad "a sysctl that does not exist" "c['linux']['sysctl'] = {'net.ipv4.no_such_sysctl': '1'}"
conf_bad "a device path holding a non-matching file" \
        "c['linux']['devices'] = [{'path': '/etc/passwd', 'type': 'c', 'major': 1, 'minor': 3}]"
conf_bad "a mount of an unknown filesystem type" \
        "c['mounts'].append({'destination': '/fs', 'type': 'nosuchfs', 'source': 'none'})"
conf_bad "a bind mount of a source that does not exist" \
        "c['mounts'].append({'destination': '/src', 'type': 'bind', 'source': '$T/no/such/source', 'options': ['bind']})"

# process properties MAY be applied at start: then create or start fails, the program never runs
proc_bad() { # proc_bad "what" edits...
        local what=$1
        shift
        local b crc src
        b=$(bundle pbad 'touch /mark/ran-pbad' \
                "c['mounts'].append({'destination': '/mark', 'type': 'bind', 'source': '$T/mark', 'options': ['rbind', 'rw']})" "$@")
        rm -f "$T/mark/ran-pbad"
        oci create --bundle "$b" pbad >/dev/null 2>&1
        crc=$?
        oci start pbad >/dev/null 2>&1
        src=$?
        check "$what: create or start fails" test $crc != 0 -o $src != 0
        sleep 0.1
        check "$what: the user program never runs" [ ! -e "$T/mark/ran-pbad" ]
        oci delete --force pbad >/dev/null 2>&1
        rm -rf "$b"
}
proc_bad "a cwd that is a file" "c['process']['cwd'] = '/etc/passwd'"
proc_bad "a cwd that does not exist and cannot be made (read-only root)" "c['process']['cwd'] = '/no/such/dir'"
proc_bad "an executable that does not exist" "c['process']['args'] = ['/no/such/binary']"
proc_bad "an executable that is not executable" "c['process']['args'] = ['/etc/passwd']"

# without process: start MUST fail
b=$(bundle noproc 'true' "del c['process']")
oci create --bundle "$b" noproc >/dev/null 2>&1
crc=$?
oci start noproc >/dev/null 2>&1
src=$?
check "without process, create fails or start fails" test $crc != 0 -o $src != 0
oci delete --force noproc >/dev/null 2>&1
check_eq "nothing left after the refused configs" "" "$(conf_leftovers)"

# unknown properties MUST be ignored
crun unknown 'echo fine' "c['org.example.unknown'] = {'a': 1}" "c['process']['unknownThing'] = [1, 2]" \
        "c['linux']['unknownThing'] = 'x'" "c['mounts'][0]['unknownThing'] = True"
check_eq "unknown properties are ignored (no error)" "0 fine" "$RC $OUT"
# relative mount destinations are deprecated but MUST be read relative to /
crun reldest 'grep -c " /reldest " /proc/self/mountinfo' \
        "c['mounts'].append({'destination': 'reldest', 'type': 'tmpfs', 'source': 'tmpfs'})"
check_eq "a relative mount destination is relative to /" "1" "$OUT"
# a root.path given as an absolute path
crun absroot 'echo abs' "c['root']['path'] = '$BASE_ROOTFS'"
check_eq "an absolute root.path" "0 abs" "$RC $OUT"
# capabilities that cannot be mapped: a warning, not a failure (SHOULD NOT fail, MUST warn)
crun badcap 'echo ran' "c['process']['capabilities']['bounding'].append('CAP_NO_SUCH_CAP')"
check_eq "an unknown capability does not fail the container (SHOULD)" "0 ran" "$RC $OUT"
check_match "... and is logged as a warning (MUST)" 'CAP_NO_SUCH_CAP' "$ERR"
check_eq "nothing left at the end" "" "$(conf_leftovers)"
done_testing
