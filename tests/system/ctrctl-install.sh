# SPDX-License-Identifier: LGPL-2.1-or-later
# Installing the build into the harness's overlay, for the system-tier tests of ctrctl.
# Needs BUILD_DIR (the meson build dir) and SRCDIR; call install_ctrctl from SD_PREBOOT.

BUILD=${BUILD_DIR:?BUILD_DIR must point to the meson build dir}
SRCDIR=${SRCDIR:?}
# where the built unit expects ctr-exec (the build's prefix)
CTR_EXEC_PATH=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$BUILD/units/ctr@.service")

install_ctrctl() {
        sd_install "$BUILD/exec/ctr-exec" "$CTR_EXEC_PATH" 0755 &&
        sd_install "$BUILD/ctl/ctr-image" "${CTR_EXEC_PATH%/*}/ctr-image" 0755 &&
        sd_install "$BUILD/ctl/ctrctl" /usr/local/bin/ctrctl 0755 &&
        sd_install "$BUILD/generator/ctr-generator" /usr/lib/systemd/system-generators/ctr-generator 0755 &&
        sd_install "$BUILD/units/ctr@.service" /usr/lib/systemd/system/ctr@.service 0644 &&
        sd_install "$SRCDIR/units/ctr.slice" /usr/lib/systemd/system/ctr.slice 0644
}
SD_KEEP_GENERATORS="systemd-fstab-generator systemd-debug-generator systemd-run-generator ctr-generator"
