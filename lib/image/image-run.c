/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "image-config.h"
#include "image-run.h"
#include "json-util.h"
#include "store.h"
#include "util.h"

static bool has_mount_at(json_t *config, const char *dest)
{
        json_t *mounts = json_object_get(config, "mounts"), *m;
        size_t i;
        _cleanup_free_ char *want = path_clean(dest);
        json_array_foreach (mounts, i, m) {
                _cleanup_free_ char *d =
                        path_clean(json_string_value(json_object_get(m, "destination")) ?: "");
                if (want && d && streq(want, d))
                        return true;
        }
        return false;
}

static int add_volumes(Store *s, const ImageConfig *ic, const char *id, int rootfs_fd, json_t *config,
                       char **err)
{
        _cleanup_strv_free_ char **vols = NULL;
        int r = image_config_volumes(ic, &vols, err);
        if (r < 0)
                return r;
        size_t n = 0;
        STRV_FOREACH (v, vols) {
                if (has_mount_at(config, *v))
                        continue; /* Volume= of the definition wins */
                _cleanup_close_ int vfd = -EBADF;
                _cleanup_free_ char *vpath = NULL;
                r = store_container_volume_dir(s, id, n++, &vfd, &vpath, err);
                if (r < 0)
                        return r;
                r = image_volume_copy_up(rootfs_fd, *v, vfd, NULL, err);
                if (r < 0)
                        return r;
                json_t *m = json_pack("{s:s,s:s,s:s,s:[s,s]}", "destination", *v, "type", "bind", "source",
                                      vpath, "options", "rbind", "rw");
                if (!m || json_array_append_new(json_object_get(config, "mounts"), m) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int image_run_prepare(Definition *d, const char *id, char **err)
{
        _cleanup_store_ Store *s = NULL;
        int r = store_open(NULL, false, &s, err);
        if (r < 0)
                return r;
        /* garbage collection waits until the container's layers are recorded */
        r = store_lock_gc(s, LOCK_SH);
        if (r < 0)
                return set_error(err, r, "cannot lock %s: %s", s->path, strerror(-r));
        _cleanup_image_ Image *img = NULL;
        r = store_find_image(s, d->image, &img, err);
        if (r < 0)
                return r;
        bool readonly = json_is_true(json_object_get(json_object_get(d->config, "root"), "readonly"));
        _cleanup_free_ char *rootfs = NULL;
        r = store_container_create(s, img, id, readonly, &rootfs, err);
        store_lock_gc(s, LOCK_UN);
        if (r < 0)
                return r;

        _cleanup_image_config_ ImageConfig *ic = NULL;
        _cleanup_close_ int rootfs_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfs_fd < 0)
                r = set_error(err, -errno, "%s: %m", rootfs);
        if (r >= 0)
                r = image_config_parse(img->config_data, img->config_size, &ic, err);
        if (r >= 0) {
                ImageOverrides o = {
                        .entrypoint = d->image_entrypoint,
                        .cmd = d->image_cmd,
                        .user = d->image_user,
                        .cwd = d->image_cwd,
                        .env = d->image_env,
                };
                r = image_config_apply(ic, &o, rootfs_fd, d->config, err);
        }
        if (r >= 0)
                r = add_volumes(s, ic, id, rootfs_fd, d->config, err);
        if (r >= 0 &&
            json_object_set_new(json_object_get(d->config, "root"), "path", json_string(rootfs)) < 0)
                r = -ENOMEM;
        if (r < 0) {
                (void)store_container_remove(s, id, NULL);
                return r;
        }
        return 0;
}

int image_run_cleanup(const char *id, char **err)
{
        _cleanup_store_ Store *s = NULL;
        if (store_open(NULL, false, &s, NULL) < 0)
                return 0; /* no store: nothing of ours */
        char rel[PATH_MAX];
        snprintf(rel, sizeof(rel), "containers/%s", id);
        struct stat st;
        if (fstatat(s->dir_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;
        return store_container_remove(s, id, err);
}
