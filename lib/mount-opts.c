/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <linux/mount.h>
#include <stdio.h>
#include <sys/mount.h>

#include "json-util.h"
#include "oci-config.h"
#include "util.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

typedef enum { OPT_FLAG, OPT_PROPAGATION, OPT_ATTR, OPT_SPECIAL } OptKind;

typedef struct MountOption {
        const char *name;
        OptKind kind;
        bool clear; /* OPT_FLAG/OPT_ATTR: clear instead of set */
        unsigned long flag; /* MS_* */
        uint64_t attr; /* MOUNT_ATTR_* */
} MountOption;

/* mount(8) options the runtime-spec lists, plus the recursive (mount_setattr) forms. */
static const MountOption options[] = {
        {"defaults", OPT_FLAG, false, 0, 0},
        {"ro", OPT_FLAG, false, MS_RDONLY, 0},
        {"rw", OPT_FLAG, true, MS_RDONLY, 0},
        {"suid", OPT_FLAG, true, MS_NOSUID, 0},
        {"nosuid", OPT_FLAG, false, MS_NOSUID, 0},
        {"dev", OPT_FLAG, true, MS_NODEV, 0},
        {"nodev", OPT_FLAG, false, MS_NODEV, 0},
        {"exec", OPT_FLAG, true, MS_NOEXEC, 0},
        {"noexec", OPT_FLAG, false, MS_NOEXEC, 0},
        {"sync", OPT_FLAG, false, MS_SYNCHRONOUS, 0},
        {"async", OPT_FLAG, true, MS_SYNCHRONOUS, 0},
        {"dirsync", OPT_FLAG, false, MS_DIRSYNC, 0},
        {"remount", OPT_FLAG, false, MS_REMOUNT, 0},
        {"mand", OPT_FLAG, false, MS_MANDLOCK, 0},
        {"nomand", OPT_FLAG, true, MS_MANDLOCK, 0},
        {"atime", OPT_FLAG, true, MS_NOATIME, 0},
        {"noatime", OPT_FLAG, false, MS_NOATIME, 0},
        {"diratime", OPT_FLAG, true, MS_NODIRATIME, 0},
        {"nodiratime", OPT_FLAG, false, MS_NODIRATIME, 0},
        {"relatime", OPT_FLAG, false, MS_RELATIME, 0},
        {"norelatime", OPT_FLAG, true, MS_RELATIME, 0},
        {"strictatime", OPT_FLAG, false, MS_STRICTATIME, 0},
        {"nostrictatime", OPT_FLAG, true, MS_STRICTATIME, 0},
        {"lazytime", OPT_FLAG, false, MS_LAZYTIME, 0},
        {"nolazytime", OPT_FLAG, true, MS_LAZYTIME, 0},
        {"iversion", OPT_FLAG, false, MS_I_VERSION, 0},
        {"noiversion", OPT_FLAG, true, MS_I_VERSION, 0},
        {"silent", OPT_FLAG, false, MS_SILENT, 0},
        {"loud", OPT_FLAG, true, MS_SILENT, 0},
        {"nosymfollow", OPT_FLAG, false, MS_NOSYMFOLLOW, 0},
        {"symfollow", OPT_FLAG, true, MS_NOSYMFOLLOW, 0},
        {"bind", OPT_SPECIAL, false, MS_BIND, 0},
        {"rbind", OPT_SPECIAL, false, MS_BIND | MS_REC, 0},
        {"private", OPT_PROPAGATION, false, MS_PRIVATE, 0},
        {"rprivate", OPT_PROPAGATION, false, MS_PRIVATE | MS_REC, 0},
        {"shared", OPT_PROPAGATION, false, MS_SHARED, 0},
        {"rshared", OPT_PROPAGATION, false, MS_SHARED | MS_REC, 0},
        {"slave", OPT_PROPAGATION, false, MS_SLAVE, 0},
        {"rslave", OPT_PROPAGATION, false, MS_SLAVE | MS_REC, 0},
        {"unbindable", OPT_PROPAGATION, false, MS_UNBINDABLE, 0},
        {"runbindable", OPT_PROPAGATION, false, MS_UNBINDABLE | MS_REC, 0},
        {"rro", OPT_ATTR, false, 0, MOUNT_ATTR_RDONLY},
        {"rrw", OPT_ATTR, true, 0, MOUNT_ATTR_RDONLY},
        {"rnosuid", OPT_ATTR, false, 0, MOUNT_ATTR_NOSUID},
        {"rsuid", OPT_ATTR, true, 0, MOUNT_ATTR_NOSUID},
        {"rnodev", OPT_ATTR, false, 0, MOUNT_ATTR_NODEV},
        {"rdev", OPT_ATTR, true, 0, MOUNT_ATTR_NODEV},
        {"rnoexec", OPT_ATTR, false, 0, MOUNT_ATTR_NOEXEC},
        {"rexec", OPT_ATTR, true, 0, MOUNT_ATTR_NOEXEC},
        {"rnodiratime", OPT_ATTR, false, 0, MOUNT_ATTR_NODIRATIME},
        {"rdiratime", OPT_ATTR, true, 0, MOUNT_ATTR_NODIRATIME},
        {"rrelatime", OPT_ATTR, false, 0, MOUNT_ATTR_RELATIME},
        {"rnorelatime", OPT_ATTR, true, 0, MOUNT_ATTR_RELATIME},
        {"rnoatime", OPT_ATTR, false, 0, MOUNT_ATTR_NOATIME},
        {"ratime", OPT_ATTR, true, 0, MOUNT_ATTR_NOATIME},
        {"rstrictatime", OPT_ATTR, false, 0, MOUNT_ATTR_STRICTATIME},
        {"rnostrictatime", OPT_ATTR, true, 0, MOUNT_ATTR_STRICTATIME},
        {"rnosymfollow", OPT_ATTR, false, 0, MOUNT_ATTR_NOSYMFOLLOW},
        {"rsymfollow", OPT_ATTR, true, 0, MOUNT_ATTR_NOSYMFOLLOW},
        {"idmap", OPT_SPECIAL, false, 0, 0},
        {"ridmap", OPT_SPECIAL, false, 0, 0},
        {"tmpcopyup", OPT_SPECIAL, false, 0, 0},
};

size_t mount_option_count(void)
{
        return ELEMENTSOF(options);
}
const char *mount_option_name(size_t i)
{
        return i < ELEMENTSOF(options) ? options[i].name : NULL;
}

static int append_data(char **data, const char *opt)
{
        char *n;
        if (asprintf(&n, "%s%s%s", *data ? *data : "", *data ? "," : "", opt) < 0)
                return -ENOMEM;
        free(*data);
        *data = n;
        return 0;
}

/* Split m->options into flags, propagation, recursive attributes and filesystem data. Anything
 * not in the table is handed to the filesystem as data, as mount(8) does; a value with a comma
 * would smuggle extra options in, so it is refused. */
int mount_options_parse(OciMount *m, const char *path, char **err)
{
        char p[512];
        size_t i = 0;
        STRV_FOREACH (o, m->options) {
                const MountOption *opt = NULL;
                json_path_index(p, path, i++);
                if (strchr(*o, ','))
                        return json_err(err, p, "mount option '%s' contains a comma", *o);
                if (!**o)
                        continue;
                for (size_t k = 0; k < ELEMENTSOF(options); k++)
                        if (streq(options[k].name, *o)) {
                                opt = &options[k];
                                break;
                        }
                if (!opt) {
                        if (append_data(&m->data, *o) < 0)
                                return -ENOMEM;
                        continue;
                }
                switch (opt->kind) {
                case OPT_FLAG:
                        if (opt->clear)
                                m->flags &= ~opt->flag;
                        else
                                m->flags |= opt->flag;
                        break;
                case OPT_PROPAGATION:
                        m->propagation = opt->flag;
                        break;
                case OPT_ATTR:
                        if (opt->clear) {
                                m->attr_clr |= opt->attr;
                                m->attr_set &= ~opt->attr;
                        } else {
                                m->attr_set |= opt->attr;
                                m->attr_clr &= ~opt->attr;
                        }
                        break;
                case OPT_SPECIAL:
                        if (streq(*o, "bind"))
                                m->bind = true;
                        else if (streq(*o, "rbind"))
                                m->bind = m->rbind = true;
                        else if (streq(*o, "tmpcopyup"))
                                m->tmpcopyup = true;
                        else if (streq(*o, "idmap") || streq(*o, "ridmap"))
                                return json_err(err, p, "idmapped mounts are not supported by this runtime");
                        break;
                }
        }
        return 0;
}
