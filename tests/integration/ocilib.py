# SPDX-License-Identifier: LGPL-2.1-or-later
"""OCI image layouts built by hand for the image tests: blobs named by their sha256, crafted layer
tars, manifests and index.json entries that a test may break on purpose (edit_manifest, edit_desc).
Imported by the py() helper of tests/integration/test-image-*.sh."""
import gzip, hashlib, io, json, os, subprocess, tarfile

def blob(L, data):
    if isinstance(data, str):
        data = data.encode()
    os.makedirs(L + "/blobs/sha256", exist_ok=True)
    h = hashlib.sha256(data).hexdigest()
    with open(L + "/blobs/sha256/" + h, "wb") as f:
        f.write(data)
    return "sha256:" + h, len(data)

def jblob(L, obj):
    return blob(L, json.dumps(obj, sort_keys=True).encode())

def tar_entries(entries):
    """(name, kind[, arg[, mode]]): file (arg: content), dir, fifo, symlink and hardlink (arg: target)."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.GNU_FORMAT) as t:
        for e in entries:
            name, kind = e[0], e[1]
            arg = e[2] if len(e) > 2 else None
            mode = e[3] if len(e) > 3 else None
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            if kind == "file":
                data = arg.encode() if isinstance(arg, str) else (arg or b"")
                ti.size, ti.mode = len(data), 0o644 if mode is None else mode
                t.addfile(ti, io.BytesIO(data))
                continue
            if kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755 if mode is None else mode
            elif kind == "fifo":
                ti.type, ti.mode = tarfile.FIFOTYPE, 0o644 if mode is None else mode
            elif kind == "symlink":
                ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, arg, 0o777 if mode is None else mode
            elif kind == "hardlink":
                ti.type, ti.linkname, ti.mode = tarfile.LNKTYPE, arg, 0o644 if mode is None else mode
            t.addfile(ti)
    return b.getvalue()

def tar_dir(path, extra=()):
    """path as a layer, plus (name, bytes) files."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        t.add(path, arcname=".")
        for name, data in extra:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime = len(data), 0o644, 1700000000
            t.addfile(ti, io.BytesIO(data))
    return b.getvalue()

def compress(data, how):
    if how == "gzip":
        return gzip.compress(data, compresslevel=1, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
    if how == "zstd":
        out = subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout
        return out, "application/vnd.oci.image.layer.v1.tar+zstd"
    return data, "application/vnd.oci.image.layer.v1.tar"

def image(L, ref, layers, config=None, how="gzip", edit_manifest=None, edit_desc=None):
    """layers: uncompressed tars, lowest first. Adds a manifest to L/index.json; returns its descriptor."""
    os.makedirs(L, exist_ok=True)
    with open(L + "/oci-layout", "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    descs, diff_ids = [], []
    for tar in layers:
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        data, mt = compress(tar, how)
        d, n = blob(L, data)
        descs.append({"mediaType": mt, "digest": d, "size": n})
    cfg = {"architecture": "amd64", "os": "linux", "config": config or {},
           "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    cd, cn = jblob(L, cfg)
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
         "layers": descs}
    if edit_manifest:
        edit_manifest(m)
    md, mn = jblob(L, m)
    desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": mn,
            "annotations": {"org.opencontainers.image.ref.name": ref}}
    if edit_desc:
        edit_desc(desc)
    p = L + "/index.json"
    idx = json.load(open(p)) if os.path.exists(p) else {"schemaVersion": 2, "manifests": []}
    idx["manifests"].append(desc)
    with open(p, "w") as f:
        json.dump(idx, f)
    return desc

def blob_path(L, digest):
    return L + "/blobs/sha256/" + digest.split(":", 1)[1]
