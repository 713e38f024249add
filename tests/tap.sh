# SPDX-License-Identifier: LGPL-2.1-or-later
# The TAP helpers every shell test uses (tests/integration/lib.sh sources this too).


n=0
failed=0

skip_all() { echo "1..0 # SKIP $*"; exit 77; }
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # check "description" command...
        local what=$1; shift
        if "$@"; then ok "$what"; else not_ok "$what"; fi
}
check_eq() { # check_eq "description" expected actual
        if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "#   expected: '$2'"; echo "#   actual:   '$3'"; fi
}
check_match() { # check_match "description" regex actual
        if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else not_ok "$1"; echo "#   expected to match: '$2'"; echo "#   actual: '$3'"; fi
}
check_contains() { # check_contains "description" fixed-string actual
        if printf '%s' "$3" | grep -Fq -- "$2"; then ok "$1"; else not_ok "$1"; echo "#   expected to contain: '$2'"; echo "#   actual: '$3'"; fi
}
# A process is gone when it no longer exists or is a zombie nobody reaped yet.
gone() {
        local s
        s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
        [ -z "$s" ] || [ "$s" = Z ] || [ "$s" = X ]
}
done_testing() {
        echo "1..$n"
        [ "$failed" = 0 ]
        exit $?
}
