/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "json-util.h"
#include "oci-config.h"
#include "state.h"
#include "util.h"

ContainerState *container_state_free(ContainerState *s)
{
        if (!s)
                return NULL;
        free(s->id);
        free(s->bundle);
        free(s->rootfs);
        free(s->created);
        free(s->invocation);
        free(s->systemd_unit);
        if (s->annotations)
                json_decref(s->annotations);
        if (s->cgroup)
                json_decref(s->cgroup);
        free(s);
        return NULL;
}

int state_dir_create(const char *root, const char *id, int *ret_fd)
{
        int r;
        if (!id_valid(id))
                return -EINVAL;
        if (mkdir(root, 0700) < 0 && errno != EEXIST) {
                r = mkdir_p(root, 0700);
                if (r < 0)
                        return r;
        }
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return negative_errno();
        if (mkdirat(rootfd, id, 0700) < 0)
                return negative_errno();
        int fd = openat(rootfd, id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        *ret_fd = fd;
        return 0;
}

int state_dir_open(const char *root, const char *id, int *ret_fd)
{
        char path[PATH_MAX];
        if (!id_valid(id))
                return -EINVAL;
        if (snprintf(path, sizeof(path), "%s/%s", root, id) >= (int)sizeof(path))
                return -ENAMETOOLONG;
        int fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        *ret_fd = fd;
        return 0;
}

int state_dir_remove(const char *root, const char *id)
{
        if (!id_valid(id))
                return -EINVAL;
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return errno == ENOENT ? 0 : negative_errno();
        return rm_rf_at(rootfd, id);
}

int state_save(int dirfd, const ContainerState *s)
{
        _cleanup_json_ json_t *j = json_pack(
                "{s:s, s:s, s:s?, s:I, s:I, s:s?, s:I, s:b}", "id", s->id, "bundle", s->bundle, "rootfs",
                s->rootfs, "pid", (json_int_t)s->pid, "start_time", (json_int_t)s->start_time, "created",
                s->created, "owner", (json_int_t)s->owner, "creating", s->creating);
        if (!j)
                return -ENOMEM;
        if (s->annotations)
                json_object_set(j, "annotations", s->annotations);
        if (s->cgroup)
                json_object_set(j, "cgroup", s->cgroup);
        if (s->invocation)
                json_object_set_new(j, "invocation", json_string(s->invocation));
        if (s->systemd_unit)
                json_object_set_new(j, "systemd_unit", json_string(s->systemd_unit));
        if (s->systemd_scope_ino)
                json_object_set_new(j, "systemd_scope_ino", json_integer((json_int_t)s->systemd_scope_ino));
        if (s->creating && s->creator > 0) {
                json_object_set_new(j, "creator", json_integer(s->creator));
                json_object_set_new(j, "creator_start_time",
                                    json_integer((json_int_t)s->creator_start_time));
        }
        _cleanup_free_ char *data = json_dumps(j, JSON_COMPACT);
        if (!data)
                return -ENOMEM;
        /* the state dir fd is O_PATH: write through a real directory fd */
        _cleanup_close_ int d = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d < 0)
                return negative_errno();
        return write_file_atomic(d, "state.json", data, strlen(data), 0600);
}

int state_load(int dirfd, ContainerState **ret)
{
        _cleanup_free_ char *data = NULL;
        _cleanup_container_state_ ContainerState *s = calloc(1, sizeof(*s));
        json_int_t pid = 0, start = 0, owner = 0;
        const char *id = NULL, *bundle = NULL, *rootfs = NULL, *created = NULL;
        int creating = 0;
        json_error_t jerr;
        size_t size;
        int r;

        if (!s)
                return -ENOMEM;
        r = read_full_file_at(dirfd, "state.json", 1 << 20, &data, &size);
        if (r < 0)
                return r;
        _cleanup_json_ json_t *j = json_loadb(data, size, 0, &jerr);
        if (!j)
                return -EBADMSG;
        if (json_unpack(j, "{s:s, s:s, s?s, s:I, s:I, s?s, s?I, s?b}", "id", &id, "bundle", &bundle,
                        "rootfs", &rootfs, "pid", &pid, "start_time", &start, "created", &created, "owner",
                        &owner, "creating", &creating) < 0)
                return -EBADMSG;
        s->id = strdup(id);
        s->bundle = strdup(bundle);
        s->rootfs = rootfs ? strdup(rootfs) : NULL;
        s->created = created ? strdup(created) : NULL;
        s->pid = (pid_t)pid;
        s->start_time = (uint64_t)start;
        s->owner = (uid_t)owner;
        s->creating = creating;
        s->creator = (pid_t)json_integer_value(json_object_get(j, "creator"));
        if (json_is_string(json_object_get(j, "invocation")))
                s->invocation = strdup(json_string_value(json_object_get(j, "invocation")));
        if (json_is_string(json_object_get(j, "systemd_unit")) &&
            !(s->systemd_unit = strdup(json_string_value(json_object_get(j, "systemd_unit")))))
                return -ENOMEM;
        s->creator_start_time = (uint64_t)json_integer_value(json_object_get(j, "creator_start_time"));
        s->systemd_scope_ino = (uint64_t)json_integer_value(json_object_get(j, "systemd_scope_ino"));
        s->annotations = json_incref(json_object_get(j, "annotations"));
        s->cgroup = json_incref(json_object_get(j, "cgroup"));
        if (!s->id || !s->bundle)
                return -ENOMEM;
        *ret = TAKE_PTR(s);
        return 0;
}

bool state_is_stale(const ContainerState *s)
{
        uint64_t st;
        if (!s->creating)
                return false;
        if (s->creator <= 0)
                return true;
        return pid_start_time(s->creator, &st) < 0 || st != s->creator_start_time;
}

bool state_pid_alive(const ContainerState *s)
{
        uint64_t st;
        if (s->pid <= 0)
                return false;
        if (pid_start_time(s->pid, &st) < 0)
                return false;
        return st == s->start_time;
}

ContainerStatus state_status(int dirfd, const ContainerState *s)
{
        if (!state_pid_alive(s))
                return s->creating && s->pid <= 0 ? STATUS_CREATING : STATUS_STOPPED;
        if (s->creating)
                return STATUS_CREATING;
        if (faccessat(dirfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return STATUS_CREATED;
        if (s->cgroup) {
                Cgroup *cg = NULL;
                bool frozen = false;
                if (cgroup_from_json(s->cgroup, &cg) >= 0) {
                        (void)cgroup_is_frozen(cg, &frozen);
                        cgroup_free(cg);
                }
                if (frozen)
                        return STATUS_PAUSED;
        }
        return STATUS_RUNNING;
}

const char *container_status_to_string(ContainerStatus st)
{
        switch (st) {
        case STATUS_CREATING:
                return "creating";
        case STATUS_CREATED:
                return "created";
        case STATUS_RUNNING:
                return "running";
        case STATUS_PAUSED:
                return "paused";
        default:
                return "stopped";
        }
}

json_t *state_to_oci_json(const ContainerState *s, ContainerStatus st)
{
        json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "ociVersion", OCI_VERSION, "id", s->id, "status",
                              container_status_to_string(st), "bundle", s->bundle);
        if (!j)
                return NULL;
        if (st != STATUS_STOPPED && s->pid > 0)
                json_object_set_new(j, "pid", json_integer(s->pid));
        else
                json_object_set_new(j, "pid", json_integer(0));
        json_object_set_new(j, "annotations", s->annotations ? json_incref(s->annotations) : json_object());
        return j;
}
