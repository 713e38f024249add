#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Import benchmark: `ctrctl image import` of a ~200 MB rootfs tarball against `tar -x` of the
# same file (the floor) and `umoci unpack`, plain and gzip, interleaved in one run (the method is
# in the comments below and in the footnotes of the table).
#
#   bench/import.sh [-n N] [--smoke] [--size MB] [--seed S] [-o FILE] [--no-build] [--keep-tmp]
#
# Needs root (owners are restored), tar, gzip, python3, gcc and umoci. Everything lives in a
# temp dir under /var/tmp (removed at the end).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
N=5 size_mb=200 seed=5 build=1 keep=0 out=''
while [ $# -gt 0 ]; do
        case $1 in
        -n) N=$2; shift ;;
        -n*) N=${1#-n} ;;
        --smoke) N=1 size_mb=20 ;;
        --size) size_mb=$2; shift ;;
        --seed) seed=$2; shift ;;
        -o) out=$2; shift ;;
        --no-build) build=0 ;;
        --keep-tmp) keep=1 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "import.sh: unknown argument $1" >&2; exit 2 ;;
        esac
        shift
done
case $N in ''|*[!0-9]*|0) echo "import.sh: -n needs a positive number" >&2; exit 2 ;; esac
case $size_mb in ''|*[!0-9]*|0) echo "import.sh: --size needs a positive number of MB" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "import.sh: needs root" >&2; exit 1; }
for p in tar gzip python3 gcc umoci; do
        command -v $p >/dev/null || { echo "import.sh: $p not found" >&2; exit 1; }
done
[ -n "$out" ] || out=/var/tmp/ctr-import.$(date +%Y%m%d-%H%M%S).txt

# a release build, as bench/startup.sh makes it
CTRCTL=${CTRCTL:-$top/build-bench/ctl/ctrctl}
if [ $build = 1 ] && [ "$CTRCTL" = "$top/build-bench/ctl/ctrctl" ]; then
        (cd "$top" && (test -d build-bench || meson setup build-bench --buildtype=release >/dev/null) &&
                ninja -C build-bench >/dev/null) || { echo "import.sh: building ctrctl failed" >&2; exit 1; }
fi
[ -x "$CTRCTL" ] || { echo "import.sh: $CTRCTL not found" >&2; exit 1; }

tmp=$(mktemp -d /var/tmp/ctr-import.XXXXXX)
cleanup() { if [ $keep = 1 ]; then echo "kept $tmp" >&2; else rm -rf --one-file-system "$tmp"; fi; }
trap cleanup EXIT
gcc -O2 -static -o "$tmp/timer" "$here/timer.c" 2>/dev/null || gcc -O2 -o "$tmp/timer" "$here/timer.c" ||
        exit 1

# The layer: a tree like a distribution's /usr, from a seeded generator, with random (so
# incompressible) content: many small files, fewer medium ones, a few large ones, nested dirs,
# symlinks, hard links, empty dirs, a mix of modes and owners.
echo "import.sh: making a ${size_mb} MB tree (seed $seed)" >&2
python3 - "$tmp/src" "$size_mb" "$seed" <<'EOF' || exit 1
import math, os, random, sys
root, size_mb, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
target = size_mb * 1000 * 1000
scale = size_mb / 200
def logu(lo, hi):
    return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))
# sizes: ~2400 small (64 B-16 KiB), ~400 medium (16-256 KiB), ~60 big (256 KiB-4 MiB); large
# files (16 MiB each) take what remains up to the target
n_small, n_med, n_big = (max(1, int(k * min(1, scale))) for k in (2400, 400, 60))
sizes = [logu(64, 16 << 10) for _ in range(n_small)] + [logu(16 << 10, 256 << 10) for _ in range(n_med)]
sizes += [logu(256 << 10, 4 << 20) for _ in range(n_big)]
rest = target - sum(sizes)
while rest > 0:
    s = min(rest, 16 << 20)
    sizes.append(s)
    rest -= s
rng.shuffle(sizes)
top = ["bin", "lib", "share", "include", "libexec", "etc", "var"]
dirs = []
for t in top:
    dirs.append(t)
    for i in range(rng.randint(8, 25)):
        d = f"{t}/d{i:02d}"
        dirs.append(d)
        for j in range(rng.randint(0, 4)):
            dirs.append(f"{d}/s{j}")
            if rng.random() < 0.3:
                dirs.append(f"{d}/s{j}/deep")
for d in dirs:
    os.makedirs(os.path.join(root, d), exist_ok=True)
for i in range(10):
    os.makedirs(os.path.join(root, "var/empty", f"e{i}"), exist_ok=True)
files = []
for i, s in enumerate(sizes):
    p = os.path.join(root, rng.choice(dirs), f"f{i:05d}{rng.choice(['', '.so', '.txt', '.py', '.gz'])}")
    with open(p, "wb") as f:
        left = s
        while left:
            k = min(left, 1 << 20)
            f.write(os.urandom(k))
            left -= k
    os.chmod(p, rng.choice([0o644, 0o644, 0o644, 0o755, 0o600, 0o444]))
    if rng.random() < 0.05:
        os.chown(p, 1000, 1000)
    files.append(p)
for i in range(60):
    a = rng.choice(files)
    l = os.path.join(root, rng.choice(dirs), f"link{i:02d}")
    os.symlink(os.path.relpath(a, os.path.dirname(l)) if i % 2 else "/" + os.path.relpath(a, root), l)
for i in range(20):
    a = rng.choice(files)
    os.link(a, os.path.join(os.path.dirname(a), f"hard{i:02d}"))
print(f"{len(files)} files, {len(dirs) + 11} dirs, 60 symlinks, 20 hard links", file=sys.stderr)
EOF
tar -C "$tmp/src" --numeric-owner -cf "$tmp/layer.tar" . || exit 1
gzip -c "$tmp/layer.tar" >"$tmp/layer.tar.gz" || exit 1
tar_bytes=$(stat -c %s "$tmp/layer.tar")
tree_bytes=$(du -sb --apparent-size "$tmp/src" | cut -f1)
nfiles=$(find "$tmp/src" | wc -l)
# Nothing is deleted until the end (src stays as the reference tree): on ext4 without a journal
# (this machine's /), a create looks at each free inode it passes and skips those freed in the
# last 60-300 s (fs/ext4/ialloc.c, recently_deleted()), so a run right after the removal of the
# last run's 3000 files would pay for that removal. Every run writes to a new directory, and the
# disk must hold them all: about 9 copies of the tarball per round.
need=$(((N + 1) * tar_bytes * 10 / 1024))
avail=$(df -Pk "$tmp" | awk 'NR == 2 { print $4 }')
[ "$avail" -gt "$need" ] || {
        echo "import.sh: needs about $((need / 1024)) MiB free in /var/tmp, has $((avail / 1024)) MiB (fewer -n, smaller --size)" >&2
        exit 1; }

# umoci's own image of the tarball: umoci raw add-layer (which stores it gzip-compressed), and
# the same image with the layer as the uncompressed blob, to compare with the plain rows
umoci init --layout "$tmp/oci" && umoci new --image "$tmp/oci:gz" &&
        umoci raw add-layer --image "$tmp/oci:gz" "$tmp/layer.tar" || exit 1
python3 - "$tmp/oci" "$tmp/layer.tar" <<'EOF' || exit 1
# oci:plain: a copy of oci:gz's manifest whose layer is the plain tar (same diff ID)
import hashlib, json, os, shutil, sys
layout, tarball = sys.argv[1:]
def blob(d):
    return os.path.join(layout, "blobs", *d.split(":"))
def put(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    open(blob(d), "wb").write(data)
    return d, len(data)
index = json.load(open(os.path.join(layout, "index.json")))
desc = next(m for m in index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "gz")
manifest = json.load(open(blob(desc["digest"])))
h = hashlib.sha256()
with open(tarball, "rb") as f:
    while chunk := f.read(1 << 20):
        h.update(chunk)
d = "sha256:" + h.hexdigest()
shutil.copyfile(tarball, blob(d))
manifest["layers"][-1] = {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d,
                          "size": os.path.getsize(tarball)}
md, ms = put(json.dumps(manifest).encode())
index["manifests"].append({"mediaType": desc["mediaType"], "digest": md, "size": ms,
                           "annotations": {"org.opencontainers.image.ref.name": "plain"}})
json.dump(index, open(os.path.join(layout, "index.json"), "w"))
EOF

mkdir -p "$tmp/out" "$tmp/err"
# Variants: name, reference row (its "x tar" column), command; @OUT@ is a fresh path per run on
# the same filesystem as the input (the temp dir), made empty for tar.
names=() refs=() cmds=()
add() { names+=("$1"); refs+=("$2"); cmds+=("$3"); }
add "tar -x" "tar -x" "tar -C @OUT@ -xf $tmp/layer.tar"
add "ctrctl import" "tar -x" "env CTR_STORAGE_DIR=@OUT@ $CTRCTL image import -q $tmp/layer.tar bench:1"
add "umoci unpack" "tar -x" "umoci unpack --image $tmp/oci:plain @OUT@"
add "umoci raw unpack" "tar -x" "umoci raw unpack --image $tmp/oci:plain @OUT@"
add "tar -xz" "tar -xz" "tar -C @OUT@ -xzf $tmp/layer.tar.gz"
add "ctrctl import gz" "tar -xz" "env CTR_STORAGE_DIR=@OUT@ $CTRCTL image import -q $tmp/layer.tar.gz bench:1"
add "umoci unpack gz" "tar -xz" "umoci unpack --image $tmp/oci:gz @OUT@"
V=${#names[@]}

declare -A samples=() rss=() fails=()
# run_one INDEX TAG -> "NS MAXRSS_KIB" on stdout, nothing on failure; the output stays in
# $tmp/out/TAG (a new name every time) until the end
run_one() {
        local i=$1 dest=$tmp/out/$2 line ns kib code
        case ${names[i]} in tar*) mkdir "$dest" ;; esac
        # the inputs in the page cache, no dirty pages of an earlier run pending
        cat "$tmp/layer.tar" "$tmp/layer.tar.gz" "$tmp"/oci/blobs/sha256/* >/dev/null
        sync
        # shellcheck disable=SC2086 # the command strings are split on purpose
        line=$("$tmp/timer" -e "$tmp/err/cur" -- ${cmds[i]//@OUT@/$dest})
        read -r ns kib code _ <<<"$line"
        sync
        if [ "${code:-x}" != 0 ]; then
                [ -e "$tmp/err/$i" ] || { echo "status ${code:-?}"; cat "$tmp/err/cur"; } >"$tmp/err/$i"
                : >"$tmp/err/cur"
                return 1
        fi
        : >"$tmp/err/cur"
        echo "$ns $kib"
}

# where each variant put the tree
tree_of() { # INDEX DEST
        case ${names[$1]} in
        tar*) echo "$2" ;;
        ctrctl*) echo "$2"/layers/*/diff ;;
        "umoci raw"*) echo "$2" ;;
        umoci*) echo "$2/rootfs" ;;
        esac
}
# names, types, modes, owners, link targets; sizes of all but directories (theirs depend on the fs)
listing() { (cd "$1" && find . \( -type d -printf '%p d %m %U:%G\n' \) -o -printf '%p %y %m %U:%G %s %l\n' | sort); }

echo "ctrctl: $CTRCTL; $(umoci --version); $(tar --version | head -1); $(nproc) CPUs, kernel $(uname -r)" >&2
echo "layer: $nfiles entries, $((tree_bytes / 1000000)) MB of files, tar $((tar_bytes / 1000000)) MB," \
        "gzip $(($(stat -c %s "$tmp/layer.tar.gz") / 1000000)) MB; $(df -T "$tmp" | awk 'NR == 2 { print $2 }') at $tmp; N=$N" >&2

# warm-up round (untimed), which also checks that every variant unpacked the tree it was made of
check_notes=()
ref_list=$(listing "$tmp/src")
for ((i = 0; i < V; i++)); do
        if ! run_one "$i" "warm.$i" >/dev/null; then
                check_notes+=("${names[i]}: failed in the warm-up round")
                continue
        fi
        t=$(tree_of "$i" "$tmp/out/warm.$i")
        l=$(listing "$t")
        if [ "$l" != "$ref_list" ]; then
                check_notes+=("${names[i]}: its tree differs from the source (names, types, modes, owners, sizes, links):")
                check_notes+=("$(diff <(echo "$ref_list") <(echo "$l") | head -n 5)")
        fi
        diff -r --no-dereference "$tmp/src" "$t" >/dev/null 2>&1 ||
                check_notes+=("${names[i]}: file contents differ from the source")
done
sync

# N rounds; every round runs every variant once, round-robin, starting one variant later each
# round, so that drift hits them all alike
for ((it = 0; it < N; it++)); do
        for ((k = 0; k < V; k++)); do
                i=$(((k + it) % V))
                if r=$(run_one "$i" "run.$it.$i"); then
                        read -r ns kib <<<"$r"
                        samples[$i]+="$ns "
                        rss[$i]+="$kib "
                else
                        fails[$i]=$((${fails[$i]:-0} + 1))
                fi
        done
done

median() { # "X X ..." -> the median (mean of the middle two for even counts), or -
        echo "$1" | tr ' ' '\n' | sort -n | awk 'NF { x[++n] = $1 }
                END { if (!n) { print "-"; exit }
                      printf "%.0f\n", (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2 }'
}
minmax() { echo "$1" | tr ' ' '\n' | sort -n | awk 'NF { x[++n] = $1 } END { if (!n) print "- -"; else printf "%.3f %.3f\n", x[1] / 1e9, x[n] / 1e9 }'; }
idx() { local i; for ((i = 0; i < V; i++)); do [ "${names[i]}" = "$1" ] && { echo $i; return; }; done; }
declare -A med=()
for ((i = 0; i < V; i++)); do med[$i]=$(median "${samples[$i]:-}"); done
ratio() { # INDEX -> median over the median of its reference row
        local r
        r=$(idx "${refs[$1]}")
        [ "${med[$1]}" != - ] && [ "${med[$r]}" != - ] || { echo -; return; }
        awk -v a="${med[$1]}" -v b="${med[$r]}" 'BEGIN { printf "%.2f\n", a / b }'
}

{
        echo "# bench/import.sh, $(date -Is), N=$N, $(nproc) CPUs, kernel $(uname -r), $(df -T "$tmp" | awk 'NR == 2 { print $2 }')"
        echo "# layer: $nfiles entries, $tree_bytes bytes of files, tar $tar_bytes bytes, gzip $(stat -c %s "$tmp/layer.tar.gz") bytes (random content)"
        printf '%-18s %9s %9s %9s %7s %8s %9s %6s\n' name "median s" "min s" "max s" "x tar" "MB/s" "RSS MiB" fails
        for ((i = 0; i < V; i++)); do
                read -r mn mx <<<"$(minmax "${samples[$i]:-}")"
                if [ "${med[$i]}" = - ]; then s=- mbs=- rs=-
                else
                        s=$(awk -v a="${med[$i]}" 'BEGIN { printf "%.3f", a / 1e9 }')
                        mbs=$(awk -v a="${med[$i]}" -v b="$tree_bytes" 'BEGIN { printf "%.0f", b / 1e6 / (a / 1e9) }')
                        rs=$(awk -v a="$(median "${rss[$i]}")" 'BEGIN { printf "%.1f", a / 1024 }')
                fi
                printf '%-18s %9s %9s %9s %7s %8s %9s %6s\n' "${names[i]}" "$s" "$mn" "$mx" "$(ratio "$i")" \
                        "$mbs" "$rs" "${fails[$i]:-0}"
        done
        echo
        echo "'x tar' is the median over the median of tar -x (plain rows) or tar -xz (gzip rows), same run."
        echo "MB/s: bytes of files in the tree over the median. RSS: median peak RSS (ru_maxrss) of the command."
        echo "Inputs in the page cache, outputs on the same filesystem, each run into a new directory (nothing"
        echo "is deleted before the end); every run starts after a sync and none is synced inside its timing."
        echo "ctrctl import keeps the layer blob too (a copy of the input) and hashes it; umoci unpack writes"
        echo "an mtree manifest (hashing every file), umoci raw unpack does not."
        echo "umoci's gz image is umoci raw add-layer's; its plain image is the same manifest with the plain tar."
        r=$(ratio "$(idx "ctrctl import")")
        echo "target: ctrctl import within 1.2x of tar -x: $r ($(awk -v r="$r" 'BEGIN { print (r != "-" && r <= 1.2) ? "met" : "not met" }'))"
        if [ ${#check_notes[@]} = 0 ]; then echo "check: every variant unpacked the tree the tarball was made of (listing and contents)"
        else for n in "${check_notes[@]}"; do echo "check: $n"; done; fi
        for ((i = 0; i < V; i++)); do
                [ -e "$tmp/err/$i" ] && echo "first error of ${names[i]}: $(tr '\n' ' ' <"$tmp/err/$i")"
        done
        echo
        echo "# raw samples, ns"
        for ((i = 0; i < V; i++)); do echo "${names[i]}: ${samples[$i]:-}"; done
} >"$out"
sed '/^# raw samples/,$d' "$out"
echo "written: $out"
