#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The cgroupfs driver on the real v1 controllers (legacy or hybrid host): runs the unit test
# binary test-cgroup, whose real-tree round is switched on by CTR_TEST_REAL_CGROUP=1. That round
# makes "ctr-test-<pid>" under the caller's own group in every hierarchy, applies memory, pids
# and cpu limits and reads them back, moves forked children in, freezes, kills them (the
# freezer path and cgroup.kill on a frozen group), and checks every directory is gone after.
#
# usage: test-cgroupfs-v1.sh PATH/TO/test-cgroup

set -u

bin=${1:-}
if [[ -z $bin ]]; then
        echo "usage: $0 PATH/TO/test-cgroup" >&2
        exit 2
fi
if [[ ! -x $bin ]]; then
        echo "$0: '$bin' is not an executable" >&2
        exit 2
fi
if (( EUID != 0 )); then
        echo "1..0 # SKIP needs root to create cgroups"
        exit 77
fi
# a v1 hierarchy with the memory controller, wherever it is mounted below /sys/fs/cgroup
if ! awk '{ for (i = 7; $i != "-"; i++) ; if ($(i + 1) == "cgroup" && $5 ~ "^/sys/fs/cgroup/" &&
            ("," $(i + 3) ",") ~ /,memory,/) found = 1 } END { exit !found }' /proc/self/mountinfo; then
        echo "1..0 # SKIP no cgroup v1 memory hierarchy (pure cgroup v2 host?)"
        exit 77
fi
if [[ ! -e /sys/fs/cgroup/memory/memory.limit_in_bytes ]]; then
        echo "1..0 # SKIP the v1 memory hierarchy is not at /sys/fs/cgroup/memory"
        exit 77
fi

exec env CTR_TEST_REAL_CGROUP=1 "$bin"
