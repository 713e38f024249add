#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A --console-socket peer, as containerd's shim is: listen on PATH, receive the pty master
over SCM_RIGHTS, write INPUT into it, and copy what the container writes to OUT until EOF
or TIMEOUT seconds."""
import array, os, select, socket, sys, time

path, out, data = sys.argv[1], sys.argv[2], (sys.argv[3] if len(sys.argv) > 3 else "")
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 10
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
open(path + ".ready", "w").close()
conn, _ = srv.accept()
fds = array.array("i")
msg, anc, flags, addr = conn.recvmsg(1024, socket.CMSG_LEN(fds.itemsize))
for level, typ, payload in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds.frombytes(payload[: fds.itemsize])
if not fds:
    sys.exit("no fd received")
master = fds[0]
with open(out + ".name", "w") as f:
    f.write(msg.decode(errors="replace"))
if data:
    os.write(master, data.encode())
end = time.time() + timeout
with open(out, "wb") as f:
    while time.time() < end:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                b = os.read(master, 4096)
            except OSError:
                break
            if not b:
                break
            f.write(b)
            f.flush()
