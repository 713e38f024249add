/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Layer unpacking. Two libarchive readers in a chain do it in one pass over the input:
 *
 *   in_fd → raw_read() → [reader "raw": gzip/zstd/xz/bzip2 filters, raw format]
 *         → take_decompressed() → [reader "tar": tar formats, no filter] → entries
 *
 * raw_read() hashes (and tees) the bytes as read, which gives the blob digest; take_decompressed()
 * hashes the decompressed bytes as the tar reader consumes them, and what the tar reader leaves
 * after the end-of-archive blocks is drained through it at the end, so the diff_id covers the
 * whole tar stream.
 *
 * The rules for the tree, each against a known way out of an extraction directory:
 * - a name is cleaned lexically as relative to the layer root ('/' stripped); a '..' above the
 *   root is an error, not clamped, so a hostile layer fails loudly;
 * - the parent of every entry is resolved afresh from the layer root with
 *   openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS): symlinks planted by earlier entries (absolute,
 *   relative, or a directory replaced by a symlink mid-archive) are followed inside the layer,
 *   never out of it, and no parent fd is kept between entries;
 * - the last component is created relative to that parent without following anything
 *   (O_CREAT|O_EXCL|O_NOFOLLOW, mkdirat, symlinkat, mknodat, linkat), after removing what was
 *   there (a directory recursively, without following symlinks), except that a directory over
 *   a directory merges;
 * - metadata goes on the object created: on its fd, or with AT_SYMLINK_NOFOLLOW on the name in
 *   the parent fd; directory times at the end, each directory re-resolved in the root;
 * - a hard link's target is resolved in the root, never a directory, linked from its fd;
 * - only user.* xattrs and security.capability (on regular files) are kept: trusted.* would let
 *   a layer steer overlayfs, security.selinux and system.* are the host's business;
 * - whiteouts become overlayfs's: '.wh.NAME' a 0/0 character device NAME, '.wh..wh..opq' the
 *   trusted.overlay.opaque xattr on the directory; other '.wh..wh.' names (aufs) are ignored;
 * - uncompressed bytes and entries are limited, so a bomb fails instead of filling the disk. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer.h"
#include "log.h"
#include "util.h"

#define IO_BUFFER_SIZE (1U << 20)
/* Runs of zeros this long, at this alignment in the write buffer, become holes. */
#define HOLE_CHUNK (64U << 10)
#define RESOLVE_LAYER (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_NAME ".wh..wh..opq"
#define OPAQUE_XATTR "trusted.overlay.opaque"

typedef struct DirTime {
        char *path; /* relative to the layer root, "" for the root */
        struct timespec ts[2];
} DirTime;

typedef struct Unpack {
        int in_fd, dir_fd, tee_fd; /* dir_fd < 0: digests only */
        uint64_t max_bytes, max_entries;
        struct archive *raw, *tar;
        Digest *blob, *diff;
        uint8_t *inbuf, *wbuf;
        bool in_eof;
        bool plain; /* not compressed: the diff_id is the blob digest, hashed once */
        LayerResult *res;
        DirTime *dirs;
        size_t n_dirs, n_dirs_allocated;
        char *entry; /* the entry being unpacked (a copy: the reader reuses its memory), for messages */
        int r; /* the first error; later ones only follow from it */
        char **err;
} Unpack;

static int fail(Unpack *u, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(Unpack *u, int r, const char *fmt, ...)
{
        _cleanup_free_ char *m = NULL;
        va_list ap;

        if (u->r < 0)
                return u->r;
        u->r = r < 0 ? r : -EIO;
        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        log_debug("layer: %s", m ?: "out of memory");
        return set_error(u->err, u->r, "%s", m ?: "out of memory");
}

static int entry_fail(Unpack *u, int r, const char *what)
{
        return fail(u, r, "entry '%s': %s: %s", u->entry, what, strerror(-r));
}

static int openat2_layer(int dir_fd, const char *path, int flags)
{
        struct open_how how = {
                .flags = (uint64_t)flags | O_CLOEXEC,
                .resolve = RESOLVE_LAYER,
        };
        int fd;

        /* EAGAIN: a rename or mount elsewhere raced a ".." step of the lookup; try again */
        for (unsigned tries = 0;; tries++) {
                fd = (int)syscall(SYS_openat2, dir_fd, *path ? path : ".", &how, sizeof(how));
                if (fd >= 0 || errno != EAGAIN || tries >= 32)
                        break;
        }
        return fd < 0 ? negative_errno() : fd;
}

/* ---- reading: raw bytes → blob digest, decompressed bytes → diff_id ---- */

static la_ssize_t raw_read(struct archive *a, void *userdata, const void **ret_buf)
{
        Unpack *u = userdata;
        ssize_t n;
        int r;

        if (u->in_eof)
                return 0;
        do
                n = read(u->in_fd, u->inbuf, IO_BUFFER_SIZE);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                r = negative_errno();
                fail(u, r, "reading the layer: %s", strerror(-r));
                archive_set_error(a, -r, "read error");
                return -1;
        }
        if (n == 0) {
                u->in_eof = true;
                return 0;
        }
        digest_update(u->blob, u->inbuf, (size_t)n);
        u->res->size += (uint64_t)n;
        if (u->tee_fd >= 0) {
                r = loop_write(u->tee_fd, u->inbuf, (size_t)n);
                if (r < 0) {
                        fail(u, r, "writing the copy of the layer: %s", strerror(-r));
                        archive_set_error(a, -r, "write error");
                        return -1;
                }
        }
        *ret_buf = u->inbuf;
        return n;
}

/* The next block of the decompressed stream, hashed and counted: 1, or 0 at its end. */
static int take_decompressed(Unpack *u, const void **ret, size_t *ret_size)
{
        for (;;) {
                const void *p;
                size_t n;
                la_int64_t off;
                int k = archive_read_data_block(u->raw, &p, &n, &off);

                if (k == ARCHIVE_EOF) {
                        *ret_size = 0;
                        return 0;
                }
                if (k < ARCHIVE_WARN)
                        return fail(u, -EBADMSG, "reading the layer: %s",
                                    archive_error_string(u->raw) ?: "corrupt or truncated compressed data");
                if (n == 0)
                        continue;
                if (n > u->max_bytes - u->res->uncompressed_size)
                        return fail(u, -EFBIG, "layer exceeds %" PRIu64 " bytes uncompressed (limit)",
                                    u->max_bytes);
                if (!u->plain)
                        digest_update(u->diff, p, n);
                u->res->uncompressed_size += n;
                *ret = p;
                *ret_size = n;
                return 1;
        }
}

static la_ssize_t tar_read(struct archive *a, void *userdata, const void **ret_buf)
{
        Unpack *u = userdata;
        size_t n;
        int r = take_decompressed(u, ret_buf, &n);

        if (r < 0) {
                archive_set_error(a, -r, "%s", "reading the decompressed layer failed");
                return -1;
        }
        return (la_ssize_t)n;
}

/* Hash what the tar reader left (the zero blocks of the last record, anything after them), then
 * what the decompressor left of the input. */
static int drain(Unpack *u)
{
        const void *p;
        size_t n;
        int r;

        while ((r = take_decompressed(u, &p, &n)) > 0)
                ;
        if (r < 0)
                return r;
        while (!u->in_eof)
                if (raw_read(u->raw, u, &p) < 0)
                        return u->r;
        return 0;
}

/* ---- names ---- */

/* name, relative to the layer root: "/a//./b/../c/" → "a/c", "./" → "" (the root itself).
 * -EXDEV when a ".." would leave the root. */
static int clean_name(const char *name, char **ret)
{
        size_t len = strlen(name);
        char *out = malloc(len + 1), *o = out;

        if (!out)
                return -ENOMEM;
        for (const char *c = name; *c;) {
                size_t k;
                while (*c == '/')
                        c++;
                k = strcspn(c, "/");
                if (k == 0)
                        break;
                if (k == 1 && c[0] == '.') {
                        /* nothing */
                } else if (k == 2 && c[0] == '.' && c[1] == '.') {
                        if (o == out) {
                                free(out);
                                return -EXDEV;
                        }
                        o--;
                        while (o > out && o[-1] != '/')
                                o--;
                } else {
                        memcpy(o, c, k);
                        o += k;
                        *o++ = '/';
                }
                c += k;
        }
        if (o > out)
                o--;
        *o = 0;
        *ret = out;
        return 0;
}

/* ---- the tree ---- */

static int make_implicit_dir(int parent_fd, const char *name)
{
        _cleanup_close_ int fd = -EBADF;

        if (mkdirat(parent_fd, name, 0700) < 0)
                return errno == EEXIST ? 0 : negative_errno();
        fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        return RET_NERRNO(fchmod(fd, 0755));
}

/* An O_PATH fd of the directory rel (cleaned) in the layer, creating it and its missing parents
 * (0755, owned by us) when create is set. Each prefix is resolved from the root again after a
 * mkdir, never from a kept fd. */
static int open_layer_dir(Unpack *u, const char *rel, bool create, int *ret_fd)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int parent = -EBADF;
        int fd, r;

        fd = openat2_layer(u->dir_fd, rel, O_PATH | O_DIRECTORY);
        if (fd >= 0 || fd != -ENOENT || !create) {
                if (fd < 0)
                        return fd;
                *ret_fd = fd;
                return 0;
        }
        buf = strdup(rel);
        if (!buf)
                return -ENOMEM;
        parent = openat2_layer(u->dir_fd, "", O_PATH | O_DIRECTORY);
        if (parent < 0)
                return parent;
        for (char *comp = buf;;) {
                char *slash = strchr(comp, '/');
                if (slash)
                        *slash = 0;
                fd = openat2_layer(u->dir_fd, buf, O_PATH | O_DIRECTORY);
                if (fd == -ENOENT) {
                        r = make_implicit_dir(parent, comp);
                        if (r < 0)
                                return r;
                        fd = openat2_layer(u->dir_fd, buf, O_PATH | O_DIRECTORY);
                }
                if (fd < 0)
                        return fd;
                safe_close(parent);
                parent = fd;
                if (!slash)
                        break;
                *slash = '/';
                comp = slash + 1;
        }
        *ret_fd = TAKE_FD(parent);
        return 0;
}

/* Make room for a new name: anything there goes, a directory with all it holds. */
static int remove_existing(int parent_fd, const char *name, const struct stat *st)
{
        if (S_ISDIR(st->st_mode))
                return rm_rf_at(parent_fd, name);
        return RET_NERRNO(unlinkat(parent_fd, name, 0));
}

static int entry_owner(Unpack *u, struct archive_entry *e, uid_t *ret_uid, gid_t *ret_gid)
{
        la_int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);

        /* (uid_t)-1 would mean "leave as is" to chown() */
        if (uid < 0 || gid < 0 || uid >= UINT32_MAX || gid >= UINT32_MAX)
                return fail(u, -ERANGE, "entry '%s': owner %" PRId64 ":%" PRId64 " out of range", u->entry,
                            (int64_t)uid, (int64_t)gid);
        *ret_uid = (uid_t)uid;
        *ret_gid = (gid_t)gid;
        return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
        if (archive_entry_mtime_is_set(e))
                ts[1] = (struct timespec){archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
        else
                ts[1] = (struct timespec){0, UTIME_OMIT};
        if (archive_entry_atime_is_set(e))
                ts[0] = (struct timespec){archive_entry_atime(e), archive_entry_atime_nsec(e)};
        else
                ts[0] = ts[1];
        for (int i = 0; i < 2; i++)
                if (ts[i].tv_nsec != UTIME_OMIT && (ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000000))
                        ts[i].tv_nsec = 0;
}

/* File capabilities mean something on regular files only (the kernel refuses them elsewhere). */
static bool xattr_wanted(const char *name, mode_t type)
{
        return startswith(name, "user.") || (streq(name, "security.capability") && S_ISREG(type));
}

/* The kept xattrs of e, on fd, or (fd < 0) on name in parent_fd without following it. */
static int apply_xattrs(Unpack *u, struct archive_entry *e, int fd, int parent_fd, const char *name,
                        mode_t type)
{
        const char *key;
        const void *value;
        size_t size;
        char path[64 + NAME_MAX];

        if (archive_entry_xattr_reset(e) == 0)
                return 0;
        if (fd < 0 &&
            snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", parent_fd, name) >= (int)sizeof(path))
                return entry_fail(u, -ENAMETOOLONG, "setting xattrs");
        while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
                int r;
                if (!xattr_wanted(key, type)) {
                        log_debug("layer: entry '%s': dropping xattr '%s'", u->entry, key);
                        u->res->xattrs_dropped++;
                        continue;
                }
                r = fd >= 0 ? fsetxattr(fd, key, value, size, 0) : lsetxattr(path, key, value, size, 0);
                if (r >= 0)
                        continue;
                r = negative_errno();
                /* Not supported by the file system, or (user.* on symlinks and devices) by the
                 * kernel: the file works without it. */
                if (r == -EOPNOTSUPP || (r == -EPERM && !S_ISREG(type) && !S_ISDIR(type))) {
                        log_debug("layer: entry '%s': cannot set xattr '%s', dropping: %s", u->entry, key,
                                  strerror(-r));
                        u->res->xattrs_dropped++;
                        continue;
                }
                return fail(u, r, "entry '%s': setting xattr '%s': %s", u->entry, key, strerror(-r));
        }
        return 0;
}

/* Owner, then mode (chown clears setuid bits), then xattrs (chown and writes clear
 * security.capability), all on fd, an open regular file or directory. */
static int apply_fd_metadata(Unpack *u, struct archive_entry *e, int fd, mode_t type)
{
        uid_t uid;
        gid_t gid;
        int r = entry_owner(u, e, &uid, &gid);

        if (r < 0)
                return r;
        if (fchown(fd, uid, gid) < 0)
                return entry_fail(u, negative_errno(), "changing owner");
        if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
                return entry_fail(u, negative_errno(), "changing mode");
        return apply_xattrs(u, e, fd, -EBADF, NULL, type);
}

static int remember_dir_time(Unpack *u, const char *rel, struct archive_entry *e)
{
        DirTime *d;

        if (u->n_dirs == u->n_dirs_allocated) {
                size_t n = u->n_dirs_allocated ? u->n_dirs_allocated * 2 : 64;
                d = reallocarray(u->dirs, n, sizeof(DirTime));
                if (!d)
                        return fail(u, -ENOMEM, "out of memory");
                u->dirs = d;
                u->n_dirs_allocated = n;
        }
        d = u->dirs + u->n_dirs;
        d->path = strdup(rel);
        if (!d->path)
                return fail(u, -ENOMEM, "out of memory");
        entry_times(e, d->ts);
        u->n_dirs++;
        return 0;
}

static int apply_dir_times(Unpack *u)
{
        for (size_t i = 0; i < u->n_dirs; i++) {
                DirTime *d = u->dirs + i;
                _cleanup_close_ int fd = -EBADF;

                if (d->ts[1].tv_nsec == UTIME_OMIT && d->ts[0].tv_nsec == UTIME_OMIT)
                        continue;
                /* O_NOFOLLOW: a directory a later entry replaced by a symlink keeps its times. */
                fd = openat2_layer(u->dir_fd, d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
                if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP)
                        continue;
                if (fd < 0 || futimens(fd, d->ts) < 0)
                        return fail(u, fd < 0 ? fd : negative_errno(), "directory '%s': setting times: %s",
                                    d->path, strerror(fd < 0 ? -fd : errno));
        }
        return 0;
}

static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
        while (n > 0) {
                ssize_t k = pwrite(fd, p, n, (off_t)off);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                p += k;
                n -= (size_t)k;
                off += (uint64_t)k;
        }
        return 0;
}

static bool is_zero(const uint8_t *p, size_t n)
{
        return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Writes n buffered bytes that belong at off; whole chunks of zeros are skipped (the file is new,
 * so they read back as zeros). *end is where the last real write ended. */
static int flush_data(int fd, const uint8_t *buf, size_t n, uint64_t off, uint64_t *end)
{
        for (size_t done = 0; done < n;) {
                size_t k = n - done < HOLE_CHUNK ? n - done : HOLE_CHUNK;
                if (!(k == HOLE_CHUNK && is_zero(buf + done, k))) {
                        int r = pwrite_all(fd, buf + done, k, off + done);
                        if (r < 0)
                                return r;
                        *end = off + done + k;
                }
                done += k;
        }
        return 0;
}

static int write_data(Unpack *u, struct archive_entry *e, int fd)
{
        uint64_t start = 0, end = 0, size;
        size_t fill = 0;
        int r;

        for (;;) {
                const void *p;
                size_t n;
                la_int64_t off;
                int k = archive_read_data_block(u->tar, &p, &n, &off);

                if (k == ARCHIVE_EOF)
                        break;
                if (k < ARCHIVE_WARN)
                        return u->r < 0 ? u->r
                                        : fail(u, -EBADMSG, "entry '%s': reading data: %s", u->entry,
                                               archive_error_string(u->tar) ?: "failed");
                if (off < 0)
                        return fail(u, -EBADMSG, "entry '%s': negative data offset", u->entry);
                if ((uint64_t)off != start + fill) { /* a sparse file's hole */
                        r = flush_data(fd, u->wbuf, fill, start, &end);
                        if (r < 0)
                                return entry_fail(u, r, "writing");
                        start = (uint64_t)off;
                        fill = 0;
                }
                while (n > 0) {
                        size_t c = n < IO_BUFFER_SIZE - fill ? n : IO_BUFFER_SIZE - fill;
                        memcpy(u->wbuf + fill, p, c);
                        fill += c;
                        p = (const uint8_t *)p + c;
                        n -= c;
                        if (fill == IO_BUFFER_SIZE) {
                                r = flush_data(fd, u->wbuf, fill, start, &end);
                                if (r < 0)
                                        return entry_fail(u, r, "writing");
                                start += fill;
                                fill = 0;
                        }
                }
        }
        r = flush_data(fd, u->wbuf, fill, start, &end);
        if (r < 0)
                return entry_fail(u, r, "writing");
        size = start + fill;
        if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0 &&
            (uint64_t)archive_entry_size(e) > size)
                size = (uint64_t)archive_entry_size(e);
        if (size > end && ftruncate(fd, (off_t)size) < 0)
                return entry_fail(u, negative_errno(), "extending");
        return 0;
}

static int unpack_regular(Unpack *u, struct archive_entry *e, int parent_fd, const char *name)
{
        _cleanup_close_ int fd = -EBADF;
        struct timespec ts[2];
        int r;

        fd = openat(parent_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
        if (fd < 0)
                return entry_fail(u, negative_errno(), "creating");
        r = write_data(u, e, fd);
        if (r < 0)
                return r;
        r = apply_fd_metadata(u, e, fd, S_IFREG);
        if (r < 0)
                return r;
        entry_times(e, ts);
        if (futimens(fd, ts) < 0)
                return entry_fail(u, negative_errno(), "setting times");
        return 0;
}

static int unpack_directory(Unpack *u, struct archive_entry *e, int parent_fd, const char *name,
                            const char *rel, bool exists)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!exists && mkdirat(parent_fd, name, 0700) < 0)
                return entry_fail(u, negative_errno(), "creating directory");
        fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return entry_fail(u, negative_errno(), "opening directory");
        r = apply_fd_metadata(u, e, fd, S_IFDIR);
        if (r < 0)
                return r;
        /* its children would change the times: set at the end */
        return remember_dir_time(u, rel, e);
}

/* Symlinks, devices and FIFOs: never opened (opening a device or a FIFO has effects of its own),
 * everything through the name in parent_fd, without following it. */
static int unpack_special(Unpack *u, struct archive_entry *e, int parent_fd, const char *name, mode_t type)
{
        struct timespec ts[2];
        uid_t uid;
        gid_t gid;
        int r;

        if (S_ISLNK(type)) {
                const char *target = archive_entry_symlink(e);
                if (!target || !*target)
                        return fail(u, -EBADMSG, "entry '%s': symbolic link without a target", u->entry);
                if (symlinkat(target, parent_fd, name) < 0)
                        return entry_fail(u, negative_errno(), "creating symbolic link");
        } else {
                dev_t dev =
                        S_ISFIFO(type) ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
                if (mknodat(parent_fd, name, type | 0600, dev) < 0)
                        return entry_fail(u, negative_errno(), "creating node");
        }
        r = entry_owner(u, e, &uid, &gid);
        if (r < 0)
                return r;
        if (fchownat(parent_fd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return entry_fail(u, negative_errno(), "changing owner");
        if (!S_ISLNK(type) &&
            fchmodat(parent_fd, name, archive_entry_perm(e) & 07777, AT_SYMLINK_NOFOLLOW) < 0)
                return entry_fail(u, negative_errno(), "changing mode");
        r = apply_xattrs(u, e, -EBADF, parent_fd, name, type);
        if (r < 0)
                return r;
        entry_times(e, ts);
        if (utimensat(parent_fd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return entry_fail(u, negative_errno(), "setting times");
        return 0;
}

/* The target, resolved in the layer (its last component not followed: a link to a symlink is
 * a link to the symlink). */
static int open_hardlink_target(Unpack *u, const char *target, int *ret_fd)
{
        _cleanup_free_ char *rel = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        r = clean_name(target, &rel);
        if (r == -EXDEV)
                return fail(u, -EXDEV, "entry '%s': hard link target '%s' leaves the layer", u->entry,
                            target);
        if (r < 0)
                return fail(u, r, "out of memory");
        fd = openat2_layer(u->dir_fd, rel, O_PATH | O_NOFOLLOW);
        if (fd < 0)
                return fail(u, fd, "entry '%s': hard link target '%s': %s", u->entry, target, strerror(-fd));
        if (fstat(fd, &st) < 0)
                return entry_fail(u, negative_errno(), "hard link target");
        if (S_ISDIR(st.st_mode))
                return fail(u, -EPERM, "entry '%s': hard link target '%s' is a directory", u->entry, target);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int unpack_whiteout(Unpack *u, const char *parent, const char *name)
{
        _cleanup_close_ int pfd = -EBADF;
        struct stat st;
        int r;

        if (!*name || streq(name, ".") || streq(name, ".."))
                return fail(u, -EINVAL, "entry '%s': invalid whiteout", u->entry);
        r = open_layer_dir(u, parent, true, &pfd);
        if (r < 0)
                return entry_fail(u, r, "opening parent directory");
        if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                r = remove_existing(pfd, name, &st);
                if (r < 0)
                        return entry_fail(u, r, "removing the whited-out entry");
        } else if (errno != ENOENT)
                return entry_fail(u, negative_errno(), "looking up the whited-out entry");
        if (mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
                return entry_fail(u, negative_errno(), "creating whiteout");
        return 0;
}

static int unpack_opaque(Unpack *u, const char *dir)
{
        _cleanup_close_ int pfd = -EBADF, fd = -EBADF;
        int r;

        r = open_layer_dir(u, dir, true, &pfd);
        if (r < 0)
                return entry_fail(u, r, "opening the opaque directory");
        fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return entry_fail(u, negative_errno(), "opening the opaque directory");
        if (fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0)
                return entry_fail(u, negative_errno(), "marking directory opaque");
        return 0;
}

static int unpack_root(Unpack *u, struct archive_entry *e)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (archive_entry_hardlink(e) || archive_entry_filetype(e) != AE_IFDIR)
                return fail(u, -EINVAL, "entry '%s': names the layer root but is not a directory", u->entry);
        fd = openat2_layer(u->dir_fd, "", O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return entry_fail(u, fd, "opening the layer root");
        r = apply_fd_metadata(u, e, fd, S_IFDIR);
        if (r < 0)
                return r;
        return remember_dir_time(u, "", e);
}

static bool type_supported(mode_t type)
{
        return type == AE_IFREG || type == AE_IFDIR || type == AE_IFLNK || type == AE_IFCHR ||
               type == AE_IFBLK || type == AE_IFIFO;
}

static int unpack_entry(Unpack *u, struct archive_entry *e)
{
        _cleanup_free_ char *rel = NULL, *parent = NULL;
        _cleanup_close_ int pfd = -EBADF, link_fd = -EBADF;
        const char *hardlink = archive_entry_hardlink(e), *name, *wh;
        mode_t type = archive_entry_filetype(e);
        struct stat st;
        bool exists;
        int r;

        r = clean_name(u->entry, &rel);
        if (r == -EXDEV)
                return fail(u, r, "entry '%s': path leaves the layer", u->entry);
        if (r < 0)
                return fail(u, r, "out of memory");
        if (!*rel)
                return unpack_root(u, e);
        name = strrchr(rel, '/');
        parent = name ? strndup(rel, (size_t)(name - rel)) : strdup("");
        if (!parent)
                return fail(u, -ENOMEM, "out of memory");
        name = name ? name + 1 : rel;

        wh = startswith(name, WHITEOUT_PREFIX);
        if (wh) {
                if (streq(name, OPAQUE_NAME))
                        return unpack_opaque(u, parent);
                if (startswith(wh, WHITEOUT_PREFIX)) {
                        log_debug("layer: entry '%s': aufs metadata, ignoring", u->entry);
                        return 0;
                }
                return unpack_whiteout(u, parent, wh);
        }

        if (!hardlink && !type_supported(type))
                return fail(u, -EBADMSG, "entry '%s': unsupported file type 0%o", u->entry, (unsigned)type);

        r = open_layer_dir(u, parent, true, &pfd);
        if (r < 0)
                return fail(u, r, "entry '%s': parent directory '%s': %s", u->entry, parent, strerror(-r));
        if (hardlink) {
                r = open_hardlink_target(u, hardlink, &link_fd);
                if (r < 0)
                        return r;
        }

        exists = fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (!exists && errno != ENOENT)
                return entry_fail(u, negative_errno(), "looking up");
        if (exists && !(type == AE_IFDIR && !hardlink && S_ISDIR(st.st_mode))) {
                r = remove_existing(pfd, name, &st);
                if (r < 0)
                        return entry_fail(u, r, "replacing the existing entry");
                exists = false;
        }

        if (hardlink) {
                if (linkat(link_fd, "", pfd, name, AT_EMPTY_PATH) < 0)
                        return entry_fail(u, negative_errno(), "creating hard link");
                return 0;
        }
        switch (type) {
        case AE_IFREG:
                return unpack_regular(u, e, pfd, name);
        case AE_IFDIR:
                return unpack_directory(u, e, pfd, name, rel, exists);
        default:
                return unpack_special(u, e, pfd, name, type);
        }
}

static void unpack_done(Unpack *u)
{
        if (u->tar)
                archive_read_free(u->tar);
        if (u->raw)
                archive_read_free(u->raw);
        digest_free(u->blob);
        digest_free(u->diff);
        free(u->inbuf);
        free(u->wbuf);
        free(u->entry);
        for (size_t i = 0; i < u->n_dirs; i++)
                free(u->dirs[i].path);
        free(u->dirs);
}

static const char *compression_name(int code)
{
        switch (code) {
        case ARCHIVE_FILTER_NONE:
                return NULL;
        case ARCHIVE_FILTER_GZIP:
                return "gzip";
        case ARCHIVE_FILTER_ZSTD:
                return "zstd";
        case ARCHIVE_FILTER_XZ:
                return "xz";
        case ARCHIVE_FILTER_BZIP2:
                return "bzip2";
        default:
                return "unknown";
        }
}

/* Only the decompressors built into libarchive: one that runs a program would run it as root on
 * hostile input. */
static int open_raw_reader(Unpack *u)
{
        static const struct {
                const char *name;
                int (*enable)(struct archive *);
        } filters[] = {
                {"gzip", archive_read_support_filter_gzip},
                {"zstd", archive_read_support_filter_zstd},
                {"xz", archive_read_support_filter_xz},
                {"bzip2", archive_read_support_filter_bzip2},
        };

        u->raw = archive_read_new();
        if (!u->raw)
                return fail(u, -ENOMEM, "out of memory");
        for (size_t i = 0; i < ELEMENTSOF(filters); i++)
                if (filters[i].enable(u->raw) != ARCHIVE_OK)
                        return fail(u, -EOPNOTSUPP, "libarchive has no built-in %s decompressor",
                                    filters[i].name);
        if (archive_read_support_format_raw(u->raw) != ARCHIVE_OK)
                return fail(u, -EOPNOTSUPP, "libarchive has no raw format");
        return 0;
}

static int layer_process(int in_fd, int dir_fd, int tee_fd, const LayerLimits *limits, LayerResult *ret,
                         char **err)
{
        _cleanup_(unpack_done) Unpack u = {
                .in_fd = in_fd,
                .dir_fd = dir_fd,
                .tee_fd = tee_fd,
                .max_bytes = limits && limits->max_bytes ? limits->max_bytes : LAYER_DEFAULT_MAX_BYTES,
                .max_entries =
                        limits && limits->max_entries ? limits->max_entries : LAYER_DEFAULT_MAX_ENTRIES,
                .res = ret,
                .err = err,
        };
        struct archive_entry *e;
        int k, r;

        *ret = (LayerResult){};
        u.blob = digest_new();
        u.diff = digest_new();
        u.inbuf = malloc(IO_BUFFER_SIZE);
        if (dir_fd >= 0)
                u.wbuf = malloc(IO_BUFFER_SIZE);
        if (!u.blob || !u.diff || !u.inbuf || (dir_fd >= 0 && !u.wbuf))
                return fail(&u, -ENOMEM, "out of memory");

        r = open_raw_reader(&u);
        if (r < 0)
                return r;
        k = archive_read_open(u.raw, &u, NULL, raw_read, NULL);
        if (k == ARCHIVE_OK)
                k = archive_read_next_header(u.raw, &e);
        if (k != ARCHIVE_OK) {
                if (u.r < 0)
                        return u.r;
                /* Empty input: an empty layer, as for Go's archive/tar and GNU tar. */
                if (u.in_eof && ret->size == 0)
                        goto finish;
                /* The raw format takes any byte: refusing means the decompressor gave none. */
                if (archive_errno(u.raw) == EILSEQ && archive_filter_count(u.raw) > 1)
                        return fail(&u, -EBADMSG, "layer is empty after decompression, not a tar archive");
                return fail(&u, -EBADMSG, "reading the layer: %s",
                            archive_error_string(u.raw) ?: "corrupt or truncated compressed data");
        }
        if (archive_filter_count(u.raw) > 2)
                return fail(&u, -EBADMSG, "layer is compressed more than once");
        ret->compression = compression_name(archive_filter_code(u.raw, 0));
        u.plain = archive_filter_count(u.raw) == 1;

        u.tar = archive_read_new();
        if (!u.tar)
                return fail(&u, -ENOMEM, "out of memory");
        if (archive_read_support_format_tar(u.tar) != ARCHIVE_OK)
                return fail(&u, -EOPNOTSUPP, "libarchive has no tar format");
        k = archive_read_open(u.tar, &u, NULL, tar_read, NULL);
        if (k == ARCHIVE_OK)
                k = archive_read_next_header(u.tar, &e);
        if (k < ARCHIVE_WARN && u.r == 0 && ret->uncompressed_size == 0)
                k = ARCHIVE_EOF; /* an empty stream inside the compression: an empty layer too */
        if (k < ARCHIVE_WARN) {
                if (u.r < 0)
                        return u.r;
                return fail(&u, -EBADMSG, "layer is not a tar archive (%s)",
                            archive_error_string(u.tar) ?: "unrecognized format");
        }

        for (; k != ARCHIVE_EOF; k = archive_read_next_header(u.tar, &e)) {
                if (k < ARCHIVE_WARN) {
                        if (u.r < 0)
                                return u.r;
                        if (u.entry)
                                return fail(&u, -EBADMSG, "layer is corrupt after entry '%s': %s", u.entry,
                                            archive_error_string(u.tar) ?: "failed");
                        return fail(&u, -EBADMSG, "layer is corrupt: %s",
                                    archive_error_string(u.tar) ?: "failed");
                }
                if (k == ARCHIVE_WARN)
                        log_debug("layer: %s", strempty(archive_error_string(u.tar)));
                if (ret->entries >= u.max_entries)
                        return fail(&u, -E2BIG, "layer has more than %" PRIu64 " entries (limit)",
                                    u.max_entries);
                ret->entries++;
                free(u.entry);
                u.entry = archive_entry_pathname(e) ? strdup(archive_entry_pathname(e)) : NULL;
                if (!u.entry)
                        return archive_entry_pathname(e)
                                       ? fail(&u, -ENOMEM, "out of memory")
                                       : fail(&u, -EBADMSG, "entry %" PRIu64 " of the layer has no name",
                                              ret->entries);
                if (dir_fd >= 0) {
                        r = unpack_entry(&u, e);
                        if (r < 0)
                                return r;
                }
        }
        r = drain(&u);
        if (r < 0)
                return r;
        if (dir_fd >= 0) {
                r = apply_dir_times(&u);
                if (r < 0)
                        return r;
        }
finish:
        digest_final(u.blob, ret->digest);
        if (u.plain)
                memcpy(ret->diff_id, ret->digest, sizeof(ret->diff_id));
        else
                digest_final(u.diff, ret->diff_id);
        return 0;
}

int layer_unpack(int in_fd, int dir_fd, int tee_fd, const LayerLimits *limits, LayerResult *ret, char **err)
{
        if (in_fd < 0 || dir_fd < 0 || !ret)
                return -EBADF;
        return layer_process(in_fd, dir_fd, tee_fd, limits, ret, err);
}

int layer_digest(int in_fd, const LayerLimits *limits, LayerResult *ret, char **err)
{
        if (in_fd < 0 || !ret)
                return -EBADF;
        return layer_process(in_fd, -EBADF, -EBADF, limits, ret, err);
}
