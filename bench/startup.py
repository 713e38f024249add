#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Container start-up benchmark driver; run through bench/startup.sh, which builds the helpers and
runs this inside a private mount namespace (unshare -m) with the cgroup2 controllers file hidden.

Runs every variant once per iteration, interleaved (round-robin in a fresh random order each
iteration, so that no variant always follows the same one: the kernel's cost of moving a task
between cgroups depends on whether another move happened within the last RCU grace period), and
prints median / p90 wall time, the ratio to crun's median and the median peak RSS.
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

DEFAULT_DEVICES = [  # what runc and crun allow implicitly on top of the spec's device rules
    ("c", 1, 3), ("c", 1, 5), ("c", 1, 7), ("c", 1, 8), ("c", 1, 9), ("c", 5, 0), ("c", 5, 1),
    ("c", 5, 2), ("c", 136, -1),
]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ cgroups
def cgroup_hierarchies():
    """[(mountpoint, own_path, controllers)] for every cgroup v1/v2 hierarchy mounted here."""
    own = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            hid, ctrls, path = line.rstrip("\n").split(":", 2)
            own[ctrls if hid != "0" else ""] = path
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.rstrip("\n").split(" - ", 1)
            fstype, _src, sopts = post.split(" ", 2)
            if fstype not in ("cgroup", "cgroup2"):
                continue
            mp = pre.split(" ")[4]
            if fstype == "cgroup2":
                key = ""
            else:
                names = [o for o in sopts.split(",") if o not in ("rw", "ro") and "=" not in o
                         and o not in ("noprefix", "clone_children", "xattr", "cpuset_v2_mode")]
                names += [o for o in sopts.split(",") if o.startswith("name=")]
                key = next((k for k in own if k and set(k.split(",")) == set(names)), None)
            if key is None or key not in own:
                continue
            out.append((mp, own[key], key))
    return out


def common_own_path(hiers):
    """The deepest own path that lies under the caller's group in every hierarchy, or None.
    crun 1.8 (cgroupfs) reads a relative cgroupsPath from each hierarchy's root, not from the
    caller's group, and uses the same path in every hierarchy: give it this prefix, absolute."""
    paths = sorted({p for _mp, p, _k in hiers}, key=len)
    deep = paths[-1]
    for p in paths:
        if not (p == "/" or deep == p or deep.startswith(p.rstrip("/") + "/")):
            return None
    return deep


def rm_tree(path):
    """rmdir a cgroup directory tree bottom-up; returns the directories that could not go."""
    left = []
    if not os.path.isdir(path):
        return left
    for root, dirs, _files in os.walk(path, topdown=False):
        for d in dirs:
            try:
                os.rmdir(os.path.join(root, d))
            except OSError:
                left.append(os.path.join(root, d))
    try:
        os.rmdir(path)
    except OSError:
        left.append(path)
    return left


# ------------------------------------------------------------------------------ running
class Variant:
    def __init__(self, name, prepare, argv, cleanup=None, steps=None):
        self.name, self.prepare, self.argv, self.cleanup, self.steps = name, prepare, argv, cleanup, steps
        self.ns, self.rss, self.fails, self.step_ns, self.first_error = [], [], 0, [], None


def run_timer(timer, errfile, argv, pidfile=None, pids_seen=None):
    cmd = [timer, "-e", errfile] + (["-p", pidfile] if pidfile else []) + ["--"] + argv
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("timer failed: " + p.stderr.strip())
    res = [tuple(int(x) for x in line.split()) for line in p.stdout.splitlines()]
    if pids_seen is not None:
        pids_seen.update(r[3] for r in res)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--ctr-oci", required=True)
    ap.add_argument("--timer", required=True)
    ap.add_argument("--floor", required=True)
    ap.add_argument("--rootfs", required=True)
    ap.add_argument("--only", default="", help="comma-separated variant names")
    ap.add_argument("--gap-ms", type=float, default=0,
                    help="idle time before each invocation (0: back to back)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--raw-devices", action="store_true",
                    help="keep `ctr-oci spec`'s device rules (deny all) instead of adding the defaults")
    a = ap.parse_args()

    tmp, rootfs = a.tmp, os.path.abspath(a.rootfs)
    tag = "ctr-bench-%d" % os.getpid()          # parent group of every container's cgroup
    hiers = cgroup_hierarchies()
    common = common_own_path(hiers)
    crun_prefix = (common.rstrip("/") + "/") if common else None
    if common is None:
        log("warning: own cgroups differ between hierarchies; crun gets a relative cgroupsPath "
            "(it reads that from each hierarchy's root, i.e. NOT under our group)")
    which = lambda prog: shutil.which(prog) or prog
    CRUN, RUNC, BWRAP = which("crun"), which("runc"), which("bwrap")

    # ---- the spec: `ctr-oci spec`, /bin/true, no terminal, netns (already in the default), a cgroup
    spec_dir = os.path.join(tmp, "spec")
    os.makedirs(spec_dir)
    subprocess.run([a.ctr_oci, "spec", "--bundle", spec_dir], check=True)
    with open(os.path.join(spec_dir, "config.json")) as f:
        base = json.load(f)
    base["ociVersion"] = "1.0.2"                # crun 1.8.1 rejects 1.3.0 ("unknown version specified")
    base["root"]["path"] = rootfs
    base["process"]["args"] = ["/bin/true"]
    base["process"]["terminal"] = False
    lx = base.setdefault("linux", {})
    nss = lx.setdefault("namespaces", [])
    if not any(n.get("type") == "network" for n in nss):
        nss.append({"type": "network"})
    if not a.raw_devices:
        devs = lx.setdefault("resources", {}).setdefault("devices", [{"allow": False, "access": "rwm"}])
        for t, ma, mi in DEFAULT_DEVICES:
            r = {"allow": True, "type": t, "major": ma, "access": "rwm"}
            if mi >= 0:
                r["minor"] = mi
            devs.append(r)

    def bundle(name):
        d = os.path.join(tmp, "bundles", name.replace(" ", "-").replace("+", ""))
        os.makedirs(d)
        return d

    def write_config(d, cgpath):
        c = json.loads(json.dumps(base))
        if cgpath is None:
            c["linux"].pop("cgroupsPath", None)
        else:
            c["linux"]["cgroupsPath"] = cgpath
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(c, f, indent=1)

    # state dirs: on $tmp/state, a tmpfs that startup.sh mounts in the private namespace (like /run)
    state = os.path.join(tmp, "state") if os.path.isdir(os.path.join(tmp, "state")) else tmp
    roots = {k: os.path.join(state, "root-" + k) for k in ("ctr-oci", "crun", "runc")}
    for r in roots.values():
        os.makedirs(r)
    runtime_bin = {"ctr-oci": a.ctr_oci, "crun": CRUN, "runc": RUNC}
    pid = os.getpid()
    cid = lambda v, i: "b%d-%s-%d" % (pid, v.replace(" ", "-").replace("+", ""), i)
    rel = lambda v, i: "%s/%s" % (tag, cid(v, i))                # relative: under our group
    crunp = lambda v, i: (crun_prefix + rel(v, i)) if crun_prefix else rel(v, i)

    # crun's absolute prefix may not exist in every hierarchy (e.g. our memory group's path in the
    # pids hierarchy): crun creates it; remember what is missing now, to remove it at the end
    created_by_crun = []
    if crun_prefix:
        for mp, _own, _k in hiers:
            d = mp
            for part in crun_prefix.strip("/").split("/"):
                d = os.path.join(d, part)
                if not os.path.isdir(d):
                    created_by_crun.append(d)

    variants = []

    def oci_run(name, rt, cg, extra_global=()):
        d = bundle(name)
        R = roots[rt]
        prep = lambda i: write_config(d, cg(name, i) if cg else None)
        argv = lambda i: [runtime_bin[rt], "--root", R, *extra_global, "run", "-b", d, cid(name, i)]
        clean = lambda i: subprocess.run([runtime_bin[rt], "--root", R, *extra_global, "delete", "--force",
                                          cid(name, i)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        variants.append(Variant(name, prep, argv, clean))

    def oci_split(name, rt, cg):
        d = bundle(name)
        R, B = roots[rt], runtime_bin[rt]
        pidfile = os.path.join(d, "init.pid")

        def prep(i):
            write_config(d, cg(name, i))
            if os.path.exists(pidfile):
                os.unlink(pidfile)

        def argv(i):
            c = cid(name, i)
            return [B, "--root", R, "create", "--pid-file", pidfile, "-b", d, c, ";",
                    B, "--root", R, "start", c, ";", "@wait", ";",
                    B, "--root", R, "delete", c]
        clean = lambda i: subprocess.run([B, "--root", R, "delete", "--force", cid(name, i)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        v = Variant(name, prep, argv, clean, steps=["create", "start", "wait", "delete"])
        v.pidfile = pidfile
        variants.append(v)

    oci_run("ctr-oci run", "ctr-oci", rel)
    oci_split("ctr-oci split", "ctr-oci", rel)
    oci_run("crun run", "crun", crunp)
    oci_split("crun split", "crun", crunp)
    oci_run("runc run", "runc", rel)
    oci_run("crun nocg run", "crun", None, extra_global=("--cgroup-manager=disabled",))
    variants.append(Variant("bwrap", lambda i: None,
                            lambda i: [BWRAP, "--unshare-all", "--die-with-parent", "--bind", rootfs, "/",
                                       "--proc", "/proc", "--dev", "/dev", "/bin/true"]))
    variants.append(Variant("floor", lambda i: None, lambda i: [a.floor, rootfs]))
    variants.append(Variant("floor+cg", lambda i: None, lambda i: [a.floor, "-c", rootfs]))
    variants.append(Variant("floor+cg self", lambda i: None, lambda i: [a.floor, "-t", rootfs]))

    if a.only:
        keep = [s.strip() for s in a.only.split(",")]
        variants = [v for v in variants if v.name in keep]

    floor_pids_seen = set()
    errdir = os.path.join(tmp, "stderr")
    os.makedirs(errdir)

    def one(v, i, record):
        v.prepare(i)
        errfile = os.path.join(errdir, v.name.replace(" ", "_") + ".log")
        if os.path.exists(errfile):
            os.unlink(errfile)
        res = run_timer(a.timer, errfile, v.argv(i), getattr(v, "pidfile", None), floor_pids_seen)
        ok = res and all(r[2] == 0 for r in res) and (not v.steps or len(res) == len(v.steps))
        if not ok:
            with open(errfile) as f:
                err = f.read().strip()
            if v.first_error is None:
                step = ""
                if v.steps:
                    step = " at step '%s'" % v.steps[min(len(res), len(v.steps)) - 1]
                v.first_error = "exit %s%s: %s" % (res[-1][2] if res else "?", step, err[-2000:])
                log("FAIL %s (iteration %d)%s" % (v.name, i, ": " + v.first_error))
            if v.cleanup:
                v.cleanup(i)
            if record:
                v.fails += 1
            return
        if record:
            v.ns.append(sum(r[0] for r in res))
            v.rss.append(max(r[1] for r in res))
            if v.steps:
                v.step_ns.append([r[0] for r in res])

    # warm-up: one untimed round (page cache, first-run effects), then N interleaved rounds
    for v in variants:
        one(v, -1, False)
    rng = random.Random(a.seed)
    for i in range(a.n):
        order = list(variants)
        rng.shuffle(order)
        for v in order:
            if a.gap_ms > 0:
                time.sleep(a.gap_ms / 1000)
            one(v, i, True)
        if a.n >= 20 and (i + 1) % max(1, a.n // 10) == 0:
            log("  %d/%d" % (i + 1, a.n))

    # ---- leftovers: containers, then cgroups (report what a runtime left behind, then remove)
    leftovers = []
    for rt, R in roots.items():
        B = runtime_bin[rt]
        for g in ([()] if rt != "crun" else [(), ("--cgroup-manager=disabled",)]):
            p = subprocess.run([B, "--root", R, *g, "list", "-q"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
            for c in p.stdout.split():
                leftovers.append("%s container %s" % (rt, c))
                subprocess.run([B, "--root", R, *g, "delete", "--force", c],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cg_dirs = set()
    for mp, own, _k in hiers:
        cg_dirs.add(os.path.join(mp + own, tag))
        if crun_prefix:
            cg_dirs.add(os.path.join(mp + crun_prefix, tag))
    # a floor that failed leaves its floor-PID groups behind (the timer reports the pids it forked)
    for mp, own, _k in hiers:
        base = mp + own
        for e in (os.listdir(base) if os.path.isdir(base) else []):
            if e.startswith("floor-") and e[6:].isdigit() and int(e[6:]) in floor_pids_seen:
                cg_dirs.add(os.path.join(base, e))
    for d in sorted(cg_dirs):
        if os.path.isdir(d):
            for e in sorted(os.listdir(d)):
                if os.path.isdir(os.path.join(d, e)):
                    leftovers.append("cgroup %s" % os.path.join(d, e))
    stuck = []
    for d in sorted(cg_dirs):
        stuck += rm_tree(d)
    for d in sorted(created_by_crun, key=len, reverse=True):
        if os.path.isdir(d):
            try:
                os.rmdir(d)
            except OSError:
                stuck.append(d)

    # ---- report
    def pct(xs, q):
        s = sorted(xs)
        return s[min(len(s) - 1, max(0, int(-(-q * len(s) // 1)) - 1))]   # nearest rank

    ms = lambda ns: ns / 1e6
    crun_med = None
    for v in variants:
        if v.name == "crun run" and v.ns:
            crun_med = statistics.median(v.ns)
    print()
    print("container start-up, /bin/true, %d interleaved iterations, %s (%d failed runs excluded)"
          % (a.n, "%g ms idle before each run" % a.gap_ms if a.gap_ms > 0 else "back to back",
             sum(v.fails for v in variants)))
    print("%-15s %9s %9s %9s %12s %6s" % ("name", "median ms", "p90 ms", "x crun", "peak RSS MiB", "fails"))
    for v in variants:
        if not v.ns:
            print("%-15s %9s %9s %9s %12s %6d" % (v.name, "FAIL", "-", "-", "-", v.fails))
            continue
        med = statistics.median(v.ns)
        ratio = "%.2f" % (med / crun_med) if crun_med else "-"
        print("%-15s %9.2f %9.2f %9s %12.2f %6d" % (v.name, ms(med), ms(pct(v.ns, 0.9)), ratio,
                                                     statistics.median(v.rss) / 1024, v.fails))
    for v in variants:
        if v.steps and v.step_ns:
            print("%s steps (median ms): %s" % (v.name, ", ".join(
                "%s %.2f" % (s, ms(statistics.median([x[j] for x in v.step_ns])))
                for j, s in enumerate(v.steps))))
    if crun_med:
        for v in variants:
            if v.name == "ctr-oci run" and v.ns:
                med, rss = statistics.median(v.ns), statistics.median(v.rss) / 1024
                crss = next((statistics.median(x.rss) / 1024 for x in variants if x.name == "crun run"), None)
                print("target: ctr-oci run median <= 0.5 x crun run: %.2f x -> %s; peak RSS < crun's: "
                      "%.2f vs %.2f MiB -> %s" % (med / crun_med, "MET" if med <= crun_med / 2 else "NOT MET",
                                                   rss, crss, "MET" if rss < crss else "NOT MET"))
    for v in variants:
        if v.first_error:
            print("first error of %s: %s" % (v.name, v.first_error))
    if leftovers:
        print("left behind by the runtimes (now removed): %d" % len(leftovers))
        for x in leftovers[:20]:
            print("  " + x)
    if stuck:
        print("could not remove: " + " ".join(stuck))
    return 1 if stuck else 0


if __name__ == "__main__":
    sys.exit(main())
