#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Keeps debian/ and rpm/ from rotting without building a package:
#  - every file meson installs is listed in the spec's %files, and every %files entry matches
#    something meson installs (rpmbuild fails on either);
#  - every dependency('...') of the meson files is in debian/control's Build-Depends and in the
#    spec's BuildRequires as pkgconfig(...); scdoc too when man pages are installed;
#  - debian/changelog parses, names the source package and carries meson's project version;
#  - debian/rules is executable, debian/source/format is one dpkg-source knows, and the version
#    has a Debian revision exactly when the format is not native.
# Usage: check-packaging.sh BUILD_DIR. Prints TAP; exits 1 on a failure, 77 when it cannot run.
set -eu

builddir=${1:?usage: check-packaging.sh BUILD_DIR}
meson=${MESON:-meson}
skip_all() { echo "1..0 # SKIP $*"; exit 77; }
command -v python3 >/dev/null 2>&1 || skip_all "needs python3"
command -v "$meson" >/dev/null 2>&1 || skip_all "needs meson in PATH (or MESON=)"
[ -f "$builddir/meson-info/meson-info.json" ] || {
        echo "check-packaging: '$builddir' is not a configured meson build directory" >&2
        exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-packaging.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$meson" introspect --installed "$builddir" >"$tmp/installed.json"
"$meson" introspect --buildoptions "$builddir" >"$tmp/options.json"
"$meson" introspect --projectinfo "$builddir" >"$tmp/project.json"
# pkg-config answers for the systemd directory macros (Debian 12 says /lib/..., others /usr/lib/...)
for v in systemdsystemunitdir systemdsystemgeneratordir systemduserunitdir tmpfilesdir sysusersdir; do
        printf '%s=%s\n' "$v" "$(pkg-config --variable="$v" systemd 2>/dev/null || true)"
done >"$tmp/systemd.vars"
changelog=
if command -v dpkg-parsechangelog >/dev/null 2>&1; then
        srcdir=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["directories"]["source"])' \
                "$builddir/meson-info/meson-info.json")
        if [ -f "$srcdir/debian/changelog" ]; then
                if dpkg-parsechangelog -l "$srcdir/debian/changelog" >"$tmp/changelog" 2>"$tmp/changelog.err"; then
                        changelog=$tmp/changelog
                else
                        changelog=error
                fi
        fi
fi

rc=0
python3 - "$builddir" "$tmp" "$changelog" <<'PY' || rc=$?
import fnmatch, json, os, re, sys

builddir, tmp, changelog = sys.argv[1:4]
info = json.load(open(os.path.join(builddir, "meson-info", "meson-info.json")))
src = info["directories"]["source"]
installed = sorted(set(json.load(open(os.path.join(tmp, "installed.json"))).values()))
options = {o["name"]: o["value"] for o in json.load(open(os.path.join(tmp, "options.json")))}
project = json.load(open(os.path.join(tmp, "project.json")))
systemd = dict(l.rstrip("\n").split("=", 1) for l in open(os.path.join(tmp, "systemd.vars")) if "=" in l)

n = 0
failed = 0

def result(good, what, details=()):
    global n, failed
    n += 1
    if good:
        print(f"ok {n} - {what}")
    else:
        failed += 1
        print(f"not ok {n} - {what}")
        for d in details:
            print(f"#   {d}")

def skip(what, why):
    global n
    n += 1
    print(f"ok {n} - {what} # SKIP {why}")

def read(rel):
    try:
        with open(os.path.join(src, rel)) as f:
            return f.read()
    except OSError:
        return None

# ---- what meson builds with ----

def meson_files():
    for d, dirs, files in os.walk(src):
        # never descend into build directories, staging trees or subprojects
        dirs[:] = [x for x in dirs if not x.startswith(".") and x != "subprojects"
                   and not os.path.exists(os.path.join(d, x, "meson-private"))
                   and not (os.path.relpath(d, src) == "debian")]
        if "meson.build" in files:
            yield os.path.join(d, "meson.build")

deps = set()
for f in meson_files():
    text = re.sub(r"#.*", "", open(f).read())
    deps.update(re.findall(r"\bdependency\s*\(\s*'([^']+)'", text))
deps.discard("threads")  # meson's own, no package

# pkg-config name -> Debian package. A new dependency needs a row here.
DEBIAN = {
    "libsystemd": "libsystemd-dev",
    "libcap": "libcap-dev",
    "mount": "libmount-dev",
    "jansson": "libjansson-dev",
    "libseccomp": "libseccomp-dev",
    "blkid": "libblkid-dev",
    "libselinux": "libselinux1-dev",
    "libcrypto": "libssl-dev",
    "openssl": "libssl-dev",
    "libcurl": "libcurl4-openssl-dev",
    "zlib": "zlib1g-dev",
    "libarchive": "libarchive-dev",
    "libzstd": "libzstd-dev",
    "liblzma": "liblzma-dev",
    "libnl-3.0": "libnl-3-dev",
    "libmnl": "libmnl-dev",
    # systemd.pc (unit and generator directories): package systemd on Debian 12, systemd-dev later
    "systemd": "systemd",
    "udev": "libudev-dev",
    "libudev": "libudev-dev",
}
man_pages = [p for p in installed if re.search(r"/man/man[0-9]/", p)]

# ---- debian/control ----

control = read("debian/control")
result(control is not None, "debian/control exists")
build_depends = set()
if control is not None:
    source = control.split("\n\n", 1)[0]
    m = re.search(r"^Build-Depends:(.*(?:\n[ \t].*)*)", source, re.M)
    for item in (m.group(1) if m else "").replace("\n", " ").split(","):
        for alt in item.split("|"):
            name = re.sub(r"[\(\[<].*", "", alt).strip().split(":")[0]
            if name:
                build_depends.add(name)
    m = re.search(r"^Source:\s*(\S+)", source, re.M)
    result(m is not None and m.group(1) == project["descriptive_name"],
           "debian/control Source: is the meson project name",
           [f"Source: {m.group(1) if m else '(none)'}, project: {project['descriptive_name']}"])
    result("debhelper-compat" in build_depends, "Build-Depends has debhelper-compat")
    for tool in ("meson", "ninja-build", "pkg-config"):
        result(tool in build_depends, f"Build-Depends has {tool}")

for dep in sorted(deps):
    pkg = DEBIAN.get(dep)
    if pkg is None:
        result(False, f"dependency('{dep}') has a Debian package",
               [f"add '{dep}' to the DEBIAN map in tests/packaging/check-packaging.sh"])
    else:
        result(pkg in build_depends, f"dependency('{dep}') is in Build-Depends as {pkg}")

spec_path = None
for d in ("rpm",):
    p = os.path.join(src, d)
    specs = sorted(f for f in os.listdir(p) if f.endswith(".spec")) if os.path.isdir(p) else []
    if specs:
        spec_path = os.path.join(d, specs[0])
spec = read(spec_path) if spec_path else None
result(spec is not None, "an rpm spec exists under rpm/")

if man_pages:
    result("scdoc" in build_depends, "man pages are installed: Build-Depends has scdoc")

# ---- debian/changelog, rules, source/format ----

if changelog == "":
    skip("debian/changelog parses", "dpkg-parsechangelog not installed (dpkg-dev)")
elif changelog == "error":
    result(False, "debian/changelog parses",
           open(os.path.join(tmp, "changelog.err")).read().splitlines())
else:
    fields = dict(re.findall(r"^(\S+):[ \t]*(.*)$", open(changelog).read(), re.M))
    result("Version" in fields and "Source" in fields, "debian/changelog parses")
    result(fields.get("Source") == project["descriptive_name"],
           "debian/changelog names the source package", [f"Source: {fields.get('Source')}"])
    version = fields.get("Version", "")
    upstream = re.sub(r"^[0-9]+:", "", version)
    upstream = upstream.rsplit("-", 1)[0] if "-" in upstream else upstream
    result(upstream == project["version"],
           "debian/changelog carries the meson project version",
           [f"changelog {version}, meson {project['version']}"])

rules = os.path.join(src, "debian", "rules")
result(os.path.isfile(rules) and os.access(rules, os.X_OK), "debian/rules is executable")
fmt = (read("debian/source/format") or "").strip()
result(fmt in ("3.0 (native)", "3.0 (quilt)", "1.0"), "debian/source/format is known",
       [f"format: '{fmt}'"])
if changelog not in ("", "error"):
    # dpkg-source refuses a native package with a revision, and a quilt one without
    has_revision = "-" in fields.get("Version", "")
    result(has_revision == (fmt != "3.0 (native)"),
           "the changelog version suits the source format",
           [f"version {fields.get('Version')} with format '{fmt}'"])

# ---- rpm spec ----

if spec is not None:
    brs = set()
    for line in spec.splitlines():
        m = re.match(r"^BuildRequires:\s*(.*)$", line)
        if m:
            for item in re.split(r"[,\s]+(?![<>=])", m.group(1)):
                brs.add(re.sub(r"\s*[<>=].*", "", item).strip())
    for dep in sorted(deps):
        result(f"pkgconfig({dep})" in brs, f"dependency('{dep}') is in BuildRequires as pkgconfig({dep})")
    for tool in ("meson", "gcc"):
        result(tool in brs, f"BuildRequires has {tool}")
    if man_pages:
        result("scdoc" in brs, "man pages are installed: BuildRequires has scdoc")
    result(re.search(r"^Version:\s*\S+", spec, re.M) is not None, "the spec has a Version:")

    prefix = options["prefix"]
    def opt(name):
        return os.path.normpath(os.path.join(prefix, options[name]))
    macros = {
        "_prefix": prefix, "_exec_prefix": prefix,
        "_bindir": opt("bindir"), "_sbindir": opt("sbindir"), "_libexecdir": opt("libexecdir"),
        "_libdir": opt("libdir"), "_includedir": opt("includedir"), "_datadir": opt("datadir"),
        "_mandir": opt("mandir"), "_infodir": opt("infodir"), "_sysconfdir": opt("sysconfdir"),
        "_localstatedir": opt("localstatedir"), "_sharedstatedir": opt("sharedstatedir"),
        "_unitdir": systemd.get("systemdsystemunitdir", ""),
        "_userunitdir": systemd.get("systemduserunitdir", ""),
        "_systemdgeneratordir": systemd.get("systemdsystemgeneratordir", ""),
        "_tmpfilesdir": systemd.get("tmpfilesdir", ""),
        "_sysusersdir": systemd.get("sysusersdir", ""),
        "name": project["descriptive_name"], "version": project["version"],
    }
    for m in re.finditer(r"^%(?:global|define)\s+(\w+)\s+(.*)$", spec, re.M):
        macros.setdefault(m.group(1), m.group(2).strip())

    def expand(s, unknown):
        def sub(m):
            name = m.group(1) or m.group(2)
            if name in macros and macros[name]:
                return macros[name]
            unknown.add(name)
            return "\0"
        for _ in range(5):
            s2 = re.sub(r"%\{\??([\w]+)\}|%([A-Za-z_]\w*)", sub, s)
            if s2 == s:
                break
            s = s2
        return s

    entries = []  # (pattern, kind, line)
    unknown = set()
    in_files = False
    section = re.compile(r"^%(package|description|prep|build|install|check|clean|changelog|files|"
                         r"pre|post|preun|postun|pretrans|posttrans|trigger\w*|filetrigger\w*|"
                         r"transfiletrigger\w*|verifyscript)\b")
    for line in spec.splitlines():
        s = line.strip()
        m = section.match(s)
        if m:
            in_files = m.group(1) == "files"
            continue
        if not in_files or not s or s.startswith("#") or re.match(r"^%(if|else|elif|endif)", s):
            continue
        kind = "file"
        while True:
            m = re.match(r"^%(attr|defattr|config|verify|lang|caps)(\([^)]*\))?\s*", s)
            if m:
                s = s[m.end():]
                continue
            m = re.match(r"^%(dir|ghost|doc|license|exclude|docdir|artifact|readme)\s+", s)
            if m:
                kind = m.group(1)
                s = s[m.end():]
                continue
            break
        if not s:
            continue
        for word in s.split():
            entries.append((expand(word, unknown), kind, line.strip()))
    result(not unknown, "every macro in %files is known to this check",
           [f"unknown: {', '.join(sorted(unknown))} (add it to the macros table here)"] if unknown else [])

    def covers(pattern, kind, path):
        if kind in ("dir", "ghost", "exclude"):
            return False
        parts = path.split("/")
        # a file entry, or a directory entry that takes everything below it
        return any(fnmatch.fnmatchcase("/".join(parts[:i]), pattern) for i in range(2, len(parts) + 1))

    for path in installed:
        result(any(covers(p, k, path) for p, k, _ in entries), f"%files covers {path}")
    for pattern, kind, line in entries:
        if "\0" in pattern:
            continue
        if kind in ("doc", "license") and not pattern.startswith("/"):
            hits = [f for f in os.listdir(src) if fnmatch.fnmatchcase(f, pattern)] if "/" not in pattern \
                else ([pattern] if os.path.exists(os.path.join(src, pattern)) else [])
            result(bool(hits), f"%{kind} {pattern} exists in the source tree")
            continue
        if kind == "dir":
            hit = any(fnmatch.fnmatchcase(os.path.dirname(p), pattern) or
                      any(fnmatch.fnmatchcase("/".join(p.split("/")[:i]), pattern)
                          for i in range(2, len(p.split("/"))))
                      for p in installed)
        elif kind in ("ghost", "exclude"):
            continue
        else:
            hit = any(covers(pattern, kind, p) for p in installed)
        result(hit, f"%files entry '{line}' matches an installed file")

print(f"1..{n}")
sys.exit(1 if failed else 0)
PY
exit $rc
