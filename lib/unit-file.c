/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit-file.h"
#include "util.h"

/* One parsed file: the entries' strings point into data, which follows path in the same allocation. */
struct UnitFileBlock {
        UnitFileBlock *next;
        char *data;
        char path[];
};

#define UTF8_BOM "\xef\xbb\xbf"
#define DISPLAY_MAX 80

static bool is_ws(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_comment(char c)
{
        return c == '#' || c == ';';
}

_printf_(3, 4) static int fail(char **err, int r, const char *fmt, ...)
{
        va_list ap;

        if (!err)
                return r;
        free(*err);
        *err = NULL;
        va_start(ap, fmt);
        int k = vasprintf(err, fmt, ap);
        va_end(ap);
        if (k < 0) {
                *err = NULL;
                return -ENOMEM;
        }
        return r;
}

/* Input quoted in a message: bounded, and no control character reaches a terminal or the journal. */
static const char *display(char buf[static DISPLAY_MAX + 4], const char *s, size_t n)
{
        size_t k = n > DISPLAY_MAX ? DISPLAY_MAX : n;

        /* do not cut a UTF-8 sequence in half */
        if (k < n)
                while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
                        k--;
        for (size_t i = 0; i < k; i++)
                buf[i] = (unsigned char)s[i] < ' ' || s[i] == 0x7f ? '?' : s[i];
        strcpy(buf + k, k < n ? "..." : "");
        return buf;
}

void unit_file_done(UnitFile *uf)
{
        if (!uf)
                return;
        while (uf->blocks) {
                UnitFileBlock *b = uf->blocks;
                uf->blocks = b->next;
                free(b);
        }
        free(uf->entries);
        *uf = (UnitFile){};
}

/* Drops what was appended since uf had n_entries entries and blocks as its newest block. */
static void unit_file_rollback(UnitFile *uf, size_t n_entries, UnitFileBlock *blocks)
{
        while (uf->blocks && uf->blocks != blocks) {
                UnitFileBlock *b = uf->blocks;
                uf->blocks = b->next;
                free(b);
        }
        uf->n_entries = n_entries;
}

static int unit_file_push(UnitFile *uf, char *section, char *key, char *value, char *file, unsigned line)
{
        if (uf->n_entries >= UNIT_ENTRIES_MAX)
                return -E2BIG;
        if (uf->n_entries == uf->n_allocated) {
                size_t n = uf->n_allocated ? uf->n_allocated * 2 : 32;
                UnitEntry *e = realloc(uf->entries, n * sizeof(UnitEntry));
                if (!e)
                        return -ENOMEM;
                uf->entries = e;
                uf->n_allocated = n;
        }
        uf->entries[uf->n_entries++] = (UnitEntry){
                .section = section,
                .key = key,
                .value = value,
                .file = file,
                .line = line,
        };
        return 0;
}

/* systemd refuses these in a header (string_is_safe()); brackets would only confuse. */
static bool section_name_is_valid(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if ((unsigned char)*s < ' ' || *s == 0x7f || strchr("\"'\\[]", *s))
                        return false;
        return true;
}

/* One logical line (continuations joined) in [l, end); *end is writable. */
static int parse_line(UnitFile *uf, char *path, char *l, char *end, unsigned line, char **section,
                      char **err)
{
        char d[DISPLAY_MAX + 4];

        while (l < end && is_ws(*l))
                l++;
        while (end > l && is_ws(end[-1]))
                end--;
        *end = 0;
        if (l == end || is_comment(*l))
                return 0;

        if (*l == '[') {
                if (end - l < 2 || end[-1] != ']')
                        return fail(err, -EINVAL, "%s:%u: invalid section header '%s'", path, line,
                                    display(d, l, end - l));
                end[-1] = 0;
                if (!section_name_is_valid(l + 1))
                        return fail(err, -EINVAL, "%s:%u: invalid section name '%s'", path, line,
                                    display(d, l + 1, end - 1 - (l + 1)));
                *section = l + 1;
                return 0;
        }

        if (!*section)
                return fail(err, -EINVAL, "%s:%u: assignment outside of section", path, line);

        char *eq = memchr(l, '=', end - l);
        if (!eq)
                return fail(err, -EINVAL, "%s:%u: missing '='", path, line);
        if (eq == l)
                return fail(err, -EINVAL, "%s:%u: missing key name before '='", path, line);

        char *k = eq;
        while (k > l && is_ws(k[-1]))
                k--;
        *k = 0;
        char *v = eq + 1;
        while (v < end && is_ws(*v))
                v++;

        int r = unit_file_push(uf, *section, l, v, path, line);
        if (r == -E2BIG)
                return fail(err, r, "%s:%u: too many assignments (max %u)", path, line, UNIT_ENTRIES_MAX);
        return r;
}

/* One pass over the block's data, in place: a continued line is compacted over the bytes it was
 * read from (it only shrinks: "\\\n" becomes " " and comment lines drop out). */
static int parse_block(UnitFile *uf, UnitFileBlock *b, size_t size, char **err)
{
        char *p = b->data, *end = b->data + size, *section = NULL;
        char *start = NULL, *w = NULL; /* the logical line being assembled, and its end */
        unsigned line = 0, start_line = 0;
        int r;

        const char *nul = memchr(p, 0, size);
        if (nul) {
                unsigned n = 1;
                for (const char *q = p; (q = memchr(q, '\n', nul - q)); q++)
                        n++;
                return fail(err, -EINVAL, "%s:%u: NUL byte", b->path, n);
        }

        if (size >= 3 && memcmp(p, UTF8_BOM, 3) == 0)
                p += 3;

        while (p < end) {
                char *nl = memchr(p, '\n', end - p);
                char *next = nl ? nl + 1 : end;
                char *le = nl ?: end;

                line++;
                if (le > p && le[-1] == '\r')
                        le--;

                size_t len = le - p;
                if (len > UNIT_LINE_MAX)
                        return fail(err, -ENOBUFS, "%s:%u: line too long (max %u bytes)", b->path, line,
                                    UNIT_LINE_MAX);

                /* as systemd: a comment line is dropped first, even inside a continuation */
                const char *q = p;
                while (q < le && is_ws(*q))
                        q++;
                if (q < le && is_comment(*q)) {
                        p = next;
                        continue;
                }

                if (!start) {
                        start = w = p;
                        start_line = line;
                }
                if ((size_t)(w - start) + len > UNIT_LINE_MAX)
                        return fail(err, -ENOBUFS, "%s:%u: line too long (max %u bytes)", b->path,
                                    start_line, UNIT_LINE_MAX);
                memmove(w, p, len);
                w += len;
                p = next;

                /* an odd run of trailing backslashes continues the line; an even one is escaped */
                size_t n_bs = 0;
                while (n_bs < len && w[-1 - (ptrdiff_t)n_bs] == '\\')
                        n_bs++;
                if (n_bs % 2 == 1) {
                        w[-1] = ' ';
                        continue;
                }

                r = parse_line(uf, b->path, start, w, start_line, &section, err);
                if (r < 0)
                        return r;
                start = NULL;
        }

        /* the last line ended in a backslash: systemd parses what it has */
        if (start)
                return parse_line(uf, b->path, start, w, start_line, &section, err);
        return 0;
}

int unit_file_parse(UnitFile *uf, const char *path, const char *data, size_t size, char **err)
{
        if (!uf || !path || (!data && size > 0))
                return -EINVAL;
        if (size > UNIT_FILE_SIZE_MAX)
                return fail(err, -EFBIG, "%s: file too large (max %u bytes)", path, UNIT_FILE_SIZE_MAX);

        size_t pl = strlen(path) + 1;
        UnitFileBlock *b = malloc(sizeof(UnitFileBlock) + pl + size + 1);
        if (!b)
                return -ENOMEM;
        memcpy(b->path, path, pl);
        b->data = b->path + pl;
        if (size > 0)
                memcpy(b->data, data, size);
        b->data[size] = 0;

        size_t n0 = uf->n_entries;
        int r = parse_block(uf, b, size, err);
        if (r < 0 || uf->n_entries == n0) {
                uf->n_entries = n0;
                free(b);
                return r;
        }
        b->next = uf->blocks;
        uf->blocks = b;
        return 0;
}

int unit_file_load(UnitFile *uf, const char *path, char **err)
{
        struct stat st;
        int r;

        if (!uf || !path)
                return -EINVAL;

        /* O_NONBLOCK: opening a FIFO must not wait for a writer before we get to refuse it */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                r = negative_errno();
                return fail(err, r, "%s: %s", path, strerror(-r));
        }
        if (fstat(fd, &st) < 0) {
                r = negative_errno();
                return fail(err, r, "%s: %s", path, strerror(-r));
        }
        if (!S_ISREG(st.st_mode))
                return fail(err, S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD, "%s: not a regular file", path);
        if (st.st_size > (off_t)UNIT_FILE_SIZE_MAX)
                return fail(err, -EFBIG, "%s: file too large (max %u bytes)", path, UNIT_FILE_SIZE_MAX);

        _cleanup_free_ char *buf = NULL;
        size_t size;
        /* +1: read_full_fd() refuses a file that fills its limit exactly */
        r = read_full_fd(fd, UNIT_FILE_SIZE_MAX + 1, &buf, &size);
        if (r == -EFBIG)
                return fail(err, r, "%s: file too large (max %u bytes)", path, UNIT_FILE_SIZE_MAX);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail(err, r, "%s: %s", path, strerror(-r));

        return unit_file_parse(uf, path, buf, size, err);
}

static bool entry_matches(const UnitEntry *e, const char *section, const char *key)
{
        return (!section || streq(e->section, section)) && (!key || streq(e->key, key));
}

const UnitEntry *unit_file_next(const UnitFile *uf, const char *section, const char *key, size_t *iter)
{
        if (!uf || !iter)
                return NULL;
        for (size_t i = *iter; i < uf->n_entries; i++)
                if (entry_matches(uf->entries + i, section, key)) {
                        *iter = i + 1;
                        return uf->entries + i;
                }
        *iter = uf->n_entries;
        return NULL;
}

const UnitEntry *unit_file_last(const UnitFile *uf, const char *section, const char *key)
{
        if (!uf)
                return NULL;
        for (size_t i = uf->n_entries; i > 0; i--)
                if (entry_matches(uf->entries + i - 1, section, key))
                        return uf->entries + i - 1;
        return NULL;
}

/* Word splitting */

static int unhex(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}

static bool unichar_is_valid(uint32_t c)
{
        return c > 0 && c < 0x110000 && (c & 0xfffff800) != 0xd800 && !(c >= 0xfdd0 && c <= 0xfdef) &&
               (c & 0xfffe) != 0xfffe;
}

static size_t utf8_encode(char *out, uint32_t c)
{
        if (c < 0x80) {
                out[0] = (char)c;
                return 1;
        }
        if (c < 0x800) {
                out[0] = (char)(0xc0 | (c >> 6));
                out[1] = (char)(0x80 | (c & 0x3f));
                return 2;
        }
        if (c < 0x10000) {
                out[0] = (char)(0xe0 | (c >> 12));
                out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
                out[2] = (char)(0x80 | (c & 0x3f));
                return 3;
        }
        out[0] = (char)(0xf0 | (c >> 18));
        out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
        out[3] = (char)(0x80 | (c & 0x3f));
        return 4;
}

/* systemd's cunescape_one() without NUL: decodes the escape after a backslash at p into out (at most
 * as many bytes as it consumed, so a word never outgrows its source). Returns the bytes consumed. */
static int cunescape_one(const char *p, char *out, size_t *ret_n)
{
        static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\\"\"''s ";
        uint32_t c = 0;
        int len;

        for (const char *s = simple; *s; s += 2)
                if (*p == s[0]) {
                        out[0] = s[1];
                        *ret_n = 1;
                        return 1;
                }

        switch (*p) {
        case 'x':
        case 'u':
        case 'U':
                len = *p == 'x' ? 2 : *p == 'u' ? 4 : 8;
                for (int i = 1; i <= len; i++) {
                        int h = unhex(p[i]); /* stops at the NUL: unhex(0) fails */
                        if (h < 0)
                                return -EINVAL;
                        c = c << 4 | (uint32_t)h;
                }
                if (*p == 'x') {
                        if (c == 0)
                                return -EINVAL;
                        out[0] = (char)c;
                        *ret_n = 1;
                } else {
                        if (!unichar_is_valid(c))
                                return -EINVAL;
                        *ret_n = utf8_encode(out, c);
                }
                return len + 1;
        case '0' ... '7':
                for (int i = 0; i < 3; i++) {
                        if (p[i] < '0' || p[i] > '7')
                                return -EINVAL;
                        c = c << 3 | (uint32_t)(p[i] - '0');
                }
                if (c == 0 || c > 255)
                        return -EINVAL;
                out[0] = (char)c;
                *ret_n = 1;
                return 3;
        default:
                return -EINVAL;
        }
}

int unit_value_split(const char *value, char ***ret_words, char **err)
{
        char d[DISPLAY_MAX + 4];
        int r;

        if (!value || !ret_words)
                return -EINVAL;

        /* no escape decodes to more bytes than it is written with */
        _cleanup_free_ char *buf = malloc(strlen(value) + 1);
        _cleanup_strv_free_ char **words = calloc(1, sizeof(char *));
        if (!buf || !words)
                return -ENOMEM;

        size_t n_words = 0;
        const char *p = value;
        for (;;) {
                while (is_ws(*p))
                        p++;
                if (!*p)
                        break;

                /* a word has begun: even "" yields one (empty) */
                size_t n = 0;
                char quote = 0;
                for (;;) {
                        char c = *p;
                        if (c == 0) {
                                if (quote)
                                        return fail(err, -EINVAL, "unbalanced quoting");
                                break;
                        }
                        if (c == '\\') {
                                size_t k;
                                p++;
                                if (!*p)
                                        return fail(err, -EINVAL, "trailing backslash");
                                r = cunescape_one(p, buf + n, &k);
                                if (r < 0) {
                                        /* quote what the escape would have spanned */
                                        size_t m = *p == 'x'                ? 3
                                                   : *p == 'u'              ? 5
                                                   : *p == 'U'              ? 9
                                                   : *p >= '0' && *p <= '7' ? 3
                                                                            : 1;
                                        m = strnlen(p, m);
                                        /* all of a UTF-8 character, not a stray byte of it */
                                        while (((unsigned char)p[m] & 0xc0) == 0x80)
                                                m++;
                                        return fail(err, -EINVAL, "invalid escape sequence '\\%s'",
                                                    display(d, p, m));
                                }
                                p += r;
                                n += k;
                                continue;
                        }
                        p++;
                        if (quote) {
                                if (c == quote)
                                        quote = 0;
                                else
                                        buf[n++] = c;
                        } else if (c == '"' || c == '\'')
                                quote = c;
                        else if (is_ws(c))
                                break;
                        else
                                buf[n++] = c;
                }

                char *word = strndup(buf, n);
                if (!word)
                        return -ENOMEM;
                r = strv_push(&words, word);
                if (r < 0) {
                        free(word);
                        return r;
                }
                n_words++;
        }

        *ret_words = TAKE_PTR(words);
        return n_words > INT32_MAX ? INT32_MAX : (int)n_words;
}

int unit_value_bool(const char *v, bool *ret)
{
        static const char *const yes[] = {"1", "yes", "y", "true", "t", "on"};
        static const char *const no[] = {"0", "no", "n", "false", "f", "off"};

        if (!v)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(v, yes[i]) == 0) {
                        if (ret)
                                *ret = true;
                        return 0;
                }
                if (strcasecmp(v, no[i]) == 0) {
                        if (ret)
                                *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

/* Lookup */

bool definition_name_is_valid(const char *name)
{
        size_t n = 0;

        if (!name || name[0] == '.')
                return false;
        for (const char *p = name; *p; p++, n++) {
                char c = *p;
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      strchr("_.:@-", c)))
                        return false;
        }
        return n >= 1 && n <= DEFINITION_NAME_MAX;
}

static bool endswith(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

/* DIR/NAME.SUFFIX, without doubling a trailing slash of DIR */
static char *path_join_name(const char *dir, const char *name, const char *suffix)
{
        size_t dl = strlen(dir);
        char *p;

        while (dl > 0 && dir[dl - 1] == '/')
                dl--;
        if (asprintf(&p, "%.*s/%s%s", (int)dl, dir, name, suffix) < 0)
                return NULL;
        return p;
}

/* What systemd's null_or_empty() calls masked */
static bool stat_is_masked(const struct stat *st)
{
        return (S_ISREG(st->st_mode) && st->st_size <= 0) || S_ISCHR(st->st_mode);
}

int definition_search_path(char ***ret)
{
        static const char *const defaults[] = {"/etc/ctr", "/run/ctr", "/usr/lib/ctr"};
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        int r;

        if (!ret)
                return -EINVAL;
        if (!l)
                return -ENOMEM;

        const char *e = secure_getenv("CTR_DEFINITION_PATH");
        if (e) {
                for (const char *p = e; *p;) {
                        size_t n = strcspn(p, ":");
                        if (n > 0) {
                                char *s = strndup(p, n);
                                if (!s)
                                        return -ENOMEM;
                                r = strv_push(&l, s);
                                if (r < 0) {
                                        free(s);
                                        return r;
                                }
                        }
                        p += n;
                        if (*p == ':')
                                p++;
                }
        } else
                for (size_t i = 0; i < ELEMENTSOF(defaults); i++) {
                        char *s = strdup(defaults[i]);
                        if (!s)
                                return -ENOMEM;
                        r = strv_push(&l, s);
                        if (r < 0) {
                                free(s);
                                return r;
                        }
                }

        *ret = TAKE_PTR(l);
        return 0;
}

/* A directory of the search path that does not exist is simply not there. */
static int open_dir_optional(const char *path, DIR **ret)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                *ret = NULL;
                return errno == ENOENT || errno == ENOTDIR ? 0 : negative_errno();
        }
        DIR *d = fdopendir(fd);
        if (!d) {
                int r = negative_errno();
                close(fd);
                return r;
        }
        *ret = d;
        return 1;
}

static void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

typedef struct DropIn {
        char *name;
        char *path; /* NULL: masked */
} DropIn;

typedef struct DropIns {
        DropIn *v;
        size_t n;
} DropIns;

static void drop_ins_done(DropIns *d)
{
        for (size_t i = 0; i < d->n; i++) {
                free(d->v[i].name);
                free(d->v[i].path);
        }
        free(d->v);
}

static bool drop_ins_have(const DropIns *d, const char *name)
{
        for (size_t i = 0; i < d->n; i++)
                if (streq(d->v[i].name, name))
                        return true;
        return false;
}

static int drop_ins_add(DropIns *d, const char *name, char *path /* consumed */)
{
        char *n = strdup(name);
        DropIn *v = realloc(d->v, (d->n + 1) * sizeof(DropIn));
        if (v)
                d->v = v;
        if (!n || !v) {
                free(n);
                free(path);
                return -ENOMEM;
        }
        d->v[d->n++] = (DropIn){.name = n, .path = path};
        return 0;
}

static int drop_in_compare(const void *a, const void *b)
{
        return strcmp(((const DropIn *)a)->name, ((const DropIn *)b)->name);
}

static int find_drop_ins(char **dirs, const char *name, char ***ret)
{
        _cleanup_(drop_ins_done) DropIns found = {};
        int r;

        STRV_FOREACH (dir, dirs) {
                _cleanup_free_ char *dp = path_join_name(*dir, name, ".ctr.d");
                _cleanup_(closedirp) DIR *d = NULL;
                struct dirent *de;

                if (!dp)
                        return -ENOMEM;
                r = open_dir_optional(dp, &d);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                for (errno = 0; (de = readdir(d)); errno = 0) {
                        struct stat st;
                        char *path = NULL;

                        if (de->d_name[0] == '.' || !endswith(de->d_name, ".conf"))
                                continue;
                        /* an earlier directory's file of that name, or its mask, wins */
                        if (drop_ins_have(&found, de->d_name))
                                continue;
                        if (fstatat(dirfd(d), de->d_name, &st, 0) < 0) {
                                if (errno == ENOENT || errno == ENOTDIR)
                                        continue;
                                return negative_errno();
                        }
                        if (!stat_is_masked(&st)) {
                                /* as systemd: a non-regular entry neither applies nor masks */
                                if (!S_ISREG(st.st_mode))
                                        continue;
                                path = path_join_name(dp, de->d_name, "");
                                if (!path)
                                        return -ENOMEM;
                        }
                        r = drop_ins_add(&found, de->d_name, path);
                        if (r < 0)
                                return r;
                }
                if (errno != 0)
                        return negative_errno();
        }

        if (found.n > 1)
                qsort(found.v, found.n, sizeof(DropIn), drop_in_compare);

        _cleanup_strv_free_ char **l = calloc(found.n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0, k = 0; i < found.n; i++)
                if (found.v[i].path)
                        l[k++] = TAKE_PTR(found.v[i].path);
        *ret = TAKE_PTR(l);
        return 0;
}

int definition_find(const char *name, char **ret_path, char ***ret_dropins)
{
        _cleanup_strv_free_ char **dirs = NULL, **dropins = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        if (!definition_name_is_valid(name))
                return -EINVAL;
        r = definition_search_path(&dirs);
        if (r < 0)
                return r;

        STRV_FOREACH (dir, dirs) {
                struct stat st;
                _cleanup_free_ char *p = path_join_name(*dir, name, ".ctr");
                if (!p)
                        return -ENOMEM;
                if (stat(p, &st) < 0) {
                        if (errno == ENOENT || errno == ENOTDIR)
                                continue;
                        return negative_errno();
                }
                if (stat_is_masked(&st))
                        return -ERFKILL;
                path = TAKE_PTR(p);
                break;
        }
        if (!path)
                return -ENOENT;

        if (ret_dropins) {
                r = find_drop_ins(dirs, name, &dropins);
                if (r < 0)
                        return r;
                *ret_dropins = TAKE_PTR(dropins);
        }
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return 0;
}

static int string_compare(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int definition_list(char ***ret_names)
{
        _cleanup_strv_free_ char **dirs = NULL;
        char **names = NULL;
        size_t n = 0, allocated = 0;
        int r;

        if (!ret_names)
                return -EINVAL;
        r = definition_search_path(&dirs);
        if (r < 0)
                return r;

        STRV_FOREACH (dir, dirs) {
                _cleanup_(closedirp) DIR *d = NULL;
                struct dirent *de;

                r = open_dir_optional(*dir, &d);
                if (r < 0)
                        goto fail;
                if (r == 0)
                        continue;
                for (errno = 0; (de = readdir(d)); errno = 0) {
                        size_t l = strlen(de->d_name);
                        struct stat st;

                        if (l <= 4 || !endswith(de->d_name, ".ctr") || l - 4 > DEFINITION_NAME_MAX)
                                continue;
                        char *name = strndup(de->d_name, l - 4);
                        if (!name) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        /* what definition_find() would skip: invalid names, dangling symlinks */
                        if (!definition_name_is_valid(name) ||
                            ((de->d_type == DT_LNK || de->d_type == DT_UNKNOWN) &&
                             fstatat(dirfd(d), de->d_name, &st, 0) < 0 &&
                             (errno == ENOENT || errno == ENOTDIR))) {
                                free(name);
                                continue;
                        }
                        if (n + 1 >= allocated) {
                                size_t a = allocated ? allocated * 2 : 64;
                                char **nl = realloc(names, a * sizeof(char *));
                                if (!nl) {
                                        free(name);
                                        r = -ENOMEM;
                                        goto fail;
                                }
                                names = nl;
                                allocated = a;
                        }
                        names[n++] = name;
                        names[n] = NULL;
                }
                if (errno != 0) {
                        r = negative_errno();
                        goto fail;
                }
        }

        if (!names) {
                names = calloc(1, sizeof(char *));
                if (!names)
                        return -ENOMEM;
        }
        qsort(names, n, sizeof(char *), string_compare);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (k > 0 && streq(names[k - 1], names[i]))
                        free(names[i]);
                else
                        names[k++] = names[i];
        }
        names[k] = NULL;
        *ret_names = names;
        return 0;

fail:
        if (names)
                for (size_t i = 0; i < n; i++)
                        free(names[i]);
        free(names);
        return r;
}

int unit_file_load_definition(const char *name, UnitFile *uf, char **ret_main_path, char **err)
{
        _cleanup_strv_free_ char **dropins = NULL;
        _cleanup_free_ char *path = NULL;
        char d[DISPLAY_MAX + 4];
        int r;

        if (!uf)
                return -EINVAL;
        r = definition_find(name, &path, &dropins);
        if (r == -EINVAL)
                return fail(err, r, "invalid definition name '%s'",
                            display(d, strempty(name), strlen(strempty(name))));
        if (r == -ERFKILL)
                return fail(err, r, "definition '%s' is masked", name);
        if (r == -ENOENT) {
                _cleanup_strv_free_ char **dirs = NULL;
                _cleanup_free_ char *joined = NULL;
                size_t len = 1;

                if (definition_search_path(&dirs) < 0)
                        return -ENOMEM;
                STRV_FOREACH (dir, dirs)
                        len += strlen(*dir) + 1;
                joined = calloc(1, len);
                if (!joined)
                        return -ENOMEM;
                STRV_FOREACH (dir, dirs) {
                        if (dir != dirs)
                                strcat(joined, ":");
                        strcat(joined, *dir);
                }
                return fail(err, r, "definition '%s' not found (searched %s)", name, joined);
        }
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail(err, r, "failed to look up definition '%s': %s", name, strerror(-r));

        size_t n0 = uf->n_entries;
        UnitFileBlock *b0 = uf->blocks;
        r = unit_file_load(uf, path, err);
        STRV_FOREACH (p, dropins) {
                if (r < 0)
                        break;
                r = unit_file_load(uf, *p, err);
        }
        if (r < 0) {
                unit_file_rollback(uf, n0, b0);
                return r;
        }

        if (ret_main_path)
                *ret_main_path = TAKE_PTR(path);
        return 0;
}
