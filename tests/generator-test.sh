#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Golden trees: run ctr-generator over tests/generator/CASE/in and compare its output tree
# (files and symlink targets) with CASE/expected; check its log lines; check systemd-analyze
# verify accepts a generated unit without a word on stderr.
set -u
unset CTR_STORAGE_DIR # the expected output names the default store
GEN=${1:?ctr-generator}
HERE=$(cd "$(dirname "$0")" && pwd)
n=0; failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

tree() { # a canonical listing: "path" for files with their content, "path -> target" for links
        (cd "$1" && find . -mindepth 1 | sort | while read -r p; do
                if [ -L "$p" ]; then echo "$p -> $(readlink "$p")"
                elif [ -d "$p" ]; then echo "$p/"
                else echo "$p:"; sed 's/^/    /' "$p"; fi
        done)
}

for case in "$HERE"/generator/*/; do
        name=$(basename "$case")
        out=$T/$name; mkdir -p "$out"
        CTR_DEFINITION_PATH=$case/in "$GEN" "$out" "$out" "$out" 2>"$T/$name.log"
        rc=$?
        [ $rc = 0 ] && ok "$name: the generator exits 0 even with broken definitions" || not_ok "$name: exit $rc"
        # paths inside the expected tree are relative to the input dir; make them comparable
        actual=$(tree "$out" | sed "s|$case/in|IN|g")
        expected=$(tree "$case/expected")
        if [ "$actual" = "$expected" ]; then ok "$name: output tree matches expected/"
        else not_ok "$name: output tree differs"; diff <(echo "$expected") <(echo "$actual") | sed 's/^/#   /'; fi
        if [ -f "$case/expected.log" ]; then
                log=$(sed "s|$case/in|IN|g; s/\[[0-9]*\]//" "$T/$name.log")
                if [ "$log" = "$(cat "$case/expected.log")" ]; then ok "$name: log lines match expected.log"
                else not_ok "$name: log differs"; diff "$case/expected.log" <(echo "$log") | sed 's/^/#   /'; fi
        fi
done

# dry run prints the same drop-in
out=$(CTR_DEFINITION_PATH=$HERE/generator/basic/in "$GEN" --dry-run web 2>&1)
echo "$out" | grep -q '^MemoryMax=256M$' && ok "--dry-run prints the drop-in" || not_ok "--dry-run: $out"

# systemd-analyze verify: the template plus a generated drop-in, nothing on stderr
if command -v systemd-analyze >/dev/null && [ -n "${UNIT_TEMPLATE:-}" ]; then
        v=$T/verify; mkdir -p "$v/ctr@web.service.d"
        sed "s|^ExecStart=.*|ExecStart=/bin/true %i|; s|^ExecStopPost=.*|ExecStopPost=/bin/true|" "$UNIT_TEMPLATE" >"$v/ctr@.service"
        cp "$T/basic/ctr@web.service.d/50-definition.conf" "$v/ctr@web.service.d/"
        sed -i "s|^SourcePath=.*|SourcePath=$v/ctr@.service|" "$v/ctr@web.service.d/50-definition.conf"
        err=$(cd "$v" && SYSTEMD_UNIT_PATH="$v:" systemd-analyze verify --man=no "$v/ctr@web.service" 2>&1 >/dev/null)
        if [ -z "$err" ]; then ok "systemd-analyze verify: no complaint"
        else not_ok "systemd-analyze verify complained"; echo "$err" | sed 's/^/#   /'; fi
fi
echo "1..$n"
[ $failed = 0 ]
