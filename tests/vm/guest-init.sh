#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# /init of the VM tier's initramfs (tests/vm/vm.sh): runs inside the guest only, never on the host.
#  9p "hostroot" (read-only)  + tmpfs upper  -> overlay -> /newroot
#  9p "kmods"    (read-only)  -> /newroot/lib/modules/$(uname -r)
#  9p "vmshare"  (rw)         -> /newroot/vmshare  (cmd.sh in; out, err, rc back)
#  9p "roN"      (read-only)  -> host path given by vmtest.ro=ro0:/path,ro1:/path
# then writes a few guest-only units into the overlay's upper layer and execs systemd, which
# runs /vmshare/cmd.sh in vmtest.service and powers off when it ends.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() { echo "vmtest-init: $*" > /dev/console; sleep 1; poweroff -f; }
for m in $(cat /modules.list); do insmod /mods/$m || echo "vmtest-init: insmod $m failed" > /dev/console; done

O9P="trans=virtio,version=9p2000.L,msize=512000"
mount -t 9p -o ro,$O9P,cache=loose hostroot /lower || fail "mount hostroot"
mount -t tmpfs -o mode=0755,size=75% tmpfs /ovl || fail "mount tmpfs"
mkdir -p /ovl/upper /ovl/work
mount -t overlay -o lowerdir=/lower,upperdir=/ovl/upper,workdir=/ovl/work overlay /newroot || fail "mount overlay"
R=/newroot
mkdir -p $R/vmshare
mount -t 9p -o $O9P vmshare $R/vmshare || fail "mount vmshare"
KV=$(uname -r)
mkdir -p $R/lib/modules/$KV
mount -t 9p -o ro,$O9P,cache=loose kmods $R/lib/modules/$KV || echo "vmtest-init: no kmods share" > /dev/console
RO=$(sed -n 's/.*vmtest\.ro=\([^ ]*\).*/\1/p' /proc/cmdline)
for e in $(echo "$RO" | tr ',' ' '); do
  tag=${e%%:*}; path=${e#*:}
  mkdir -p "$R$path" && mount -t 9p -o ro,$O9P,cache=loose "$tag" "$R$path" || fail "mount $tag on $path"
done

# --- guest-only configuration (lands in the tmpfs upper layer, never on the host) ---
: > $R/etc/fstab                      # the host's fstab would make the guest wait for devices
echo 'tmpfs /tmp tmpfs mode=1777,nosuid,nodev,size=50% 0 0' >> $R/etc/fstab   # hide the host's /tmp
rm -f $R/.dockerenv $R/run/.containerenv   # else systemd thinks "container" and ignores /proc/cmdline
echo vmtest > $R/etc/hostname
U=$R/etc/systemd/system
mkdir -p $U $R/etc/systemd/journald.conf.d
printf '[Journal]\nStorage=volatile\n' > $R/etc/systemd/journald.conf.d/vmtest.conf
cat > $U/vmtest.target <<'EOF'
[Unit]
Description=vmtest: basic system + test command
Requires=basic.target
After=basic.target
Wants=vmtest.service
AllowIsolate=yes
EOF
cat > $U/vmtest.service <<'EOF'
[Unit]
Description=vmtest: run /vmshare/cmd.sh
After=basic.target dbus.socket
Wants=dbus.socket
RequiresMountsFor=/vmshare
SuccessAction=poweroff-force
FailureAction=poweroff-force
[Service]
Type=exec
Environment=HOME=/root TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WorkingDirectory=/
ExecStart=/bin/bash -c '/bin/bash /vmshare/cmd.sh >/vmshare/out 2>/vmshare/err </dev/null; echo $? >/vmshare/rc'
EOF
# units that are useless or slow in this VM (masking a unit that does not exist is harmless)
for u in systemd-timesyncd.service systemd-pstore.service apt-daily.timer apt-daily-upgrade.timer \
         dpkg-db-backup.timer e2scrub_all.timer fstrim.timer man-db.timer e2scrub_reap.service \
         postgresql.service getty@tty1.service serial-getty@ttyS0.service console-getty.service \
         systemd-tmpfiles-clean.timer logrotate.timer; do
  ln -sf /dev/null $U/$u
done

mount --move /dev $R/dev
mount --move /proc $R/proc
mount --move /sys $R/sys
exec switch_root $R /lib/systemd/systemd
