/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "json-util.h"
#include "macro.h"
#include "report.h"
#include "util.h"

/*
 * How this report counts, and where it follows dive (wagoodman/dive: filetree/efficiency.go,
 * image/analysis.go, image/docker/image_archive.go, runtime/ci):
 *
 * - A layer's size is the sum of the sizes its tar headers give (dive's tree.FileSize): only
 *   regular files carry one; a hard link, a symlink, a directory and a whiteout count 0. The
 *   image's size is the sum over the layers, the "user" size the same without the base layer.
 *
 * - Efficiency. dive builds one tree per layer from the tar names (parent directories implied)
 *   and visits, layer by layer, only the leaves of that layer's tree: a directory that has
 *   entries below it in the same layer is not visited. Each visit is one occurrence of the
 *   path. Its size is the entry's size, except for a whiteout ".wh.NAME", an occurrence of NAME
 *   whose size is 0 when NAME was not a directory in the layers below, and the sum of the
 *   sizes of everything under it there when it was. Per path dive sums the sizes ("cumulative")
 *   and keeps the smallest; a path seen at least twice is inefficient. The score is the sum of
 *   the smallest sizes over the sum of the cumulative sizes of all paths (1 when that is 0), the
 *   wasted bytes are the sum of the cumulative sizes of the inefficient paths, and the user
 *   wasted ratio is wasted bytes over the user size. So a file written twice costs both copies,
 *   a deleted file costs its size, and deleting a whole directory costs nothing (the directory
 *   was never a leaf below, so its path is seen once).
 *   We follow that, with these differences, all on input dive mishandles:
 *   . dive drops ".wh..wh..opq" (and every ".wh..wh.*" name) without a trace, so what an
 *     opaque directory hides is no waste; we do the same for the score, and still list what it
 *     removes in the layer's changes;
 *   . a whiteout of a path absent below makes dive stop visiting that layer and count -1 for
 *     the path; we ignore that whiteout;
 *   . a whiteout in the base layer is looked up in the base layer itself by dive; we look in
 *     what is below it, nothing, and ignore it;
 *   . a directory that exists below only as a parent implied by a deeper name is a directory
 *     to us (dive's copy of it has no payload and counts as a file of size 0);
 *   . names: dive resolves ".." lexically (path.Clean); we skip such entries (n_skipped).
 *
 * - Changes of a layer (dive's green/yellow/red in its tree view), for files, i.e. every entry
 *   but directories: added when the path is absent from the layers below stacked, modified when
 *   present, removed when a whiteout or an opaque directory hides it and the layer does not
 *   write the path itself; a removed directory lists each file under it. Stacking follows the
 *   OCI layer rules (what dive's tree stacking does, except that a file replacing a directory
 *   removes what was under it).
 *
 * - CI (runtime/ci): lowestEfficiency fails when efficiency < value, highestWastedBytes when
 *   wasted > value, highestUserWastedPercent when ratio > value; each may be "disabled".
 *   Defaults 0.9, disabled, 0.1. dive divides 0 by 0 when an image has no user bytes (NaN,
 *   which passes); we report 0 there, and infinity when there is waste but no user bytes (dive
 *   gets +Inf, which fails).
 *
 * Tar names are hostile. Leading "/" and "./", empty and "." components are dropped; a ".."
 * component, a name of PATH_MAX bytes or more, a component over NAME_MAX, a whiteout of "",
 * "." or "..", or a whiteout used as a directory make the entry skipped. Nothing is written
 * anywhere: the paths live in two trees in memory (the layers below stacked, the layer being
 * read), looked up through a keyed hash (SipHash, random key, so a tar cannot make the table
 * degenerate), and their number is bounded by max_paths.
 */

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

typedef enum NodeKind {
        NODE_IMPLICIT, /* a parent directory only implied by a deeper name */
        NODE_ENTRY,
        NODE_WHITEOUT, /* name is ".wh.TARGET" */
} NodeKind;

typedef struct Node Node;
struct Node {
        Node *parent, *first_child, *next_sibling, *hash_next;
        Node *peer; /* layer tree: the stack node of the same path (of TARGET for a whiteout) */
        uint64_t hash;
        uint64_t size;
        /* stack tree: dive's data of this path, and a per-layer cache of the bytes under it */
        uint64_t eff_count, eff_total, eff_min;
        uint64_t subtree_bytes;
        unsigned subtree_gen;
        uint8_t kind;
        bool is_dir;
        bool present; /* stack tree: in the layers stacked so far (nodes stay for their data) */
        bool opaque; /* layer tree: the layer hides what is below this directory */
        uint16_t name_len;
        char name[];
};

typedef struct Chunk Chunk;
struct Chunk {
        Chunk *next;
        size_t used, size;
        alignas(max_align_t) unsigned char data[];
};

typedef struct Tree {
        Node *root;
        Node **buckets;
        size_t n_buckets, n_nodes;
        Chunk *chunks;
        const uint8_t *key;
        uint64_t *budget; /* paths that may still be created, shared by both trees */
} Tree;

typedef struct Analysis {
        Tree stack, layer;
        uint64_t budget;
        unsigned gen;
        ReportLayer *cur;
        size_t cap_added, cap_modified, cap_removed;
        uint8_t key[16];
        /* a tar name split into components */
        char name[PATH_MAX];
        const char *comp[PATH_MAX / 2 + 1];
        size_t comp_len[PATH_MAX / 2 + 1];
} Analysis;

static uint64_t add_sat(uint64_t a, uint64_t b)
{
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* SipHash-2-4 (Aumasson, Bernstein). */
static uint64_t rotl64(uint64_t x, unsigned b)
{
        return (x << b) | (x >> (64 - b));
}

#define SIPROUND(v0, v1, v2, v3) \
        do { \
                v0 += v1; \
                v1 = rotl64(v1, 13); \
                v1 ^= v0; \
                v0 = rotl64(v0, 32); \
                v2 += v3; \
                v3 = rotl64(v3, 16); \
                v3 ^= v2; \
                v0 += v3; \
                v3 = rotl64(v3, 21); \
                v3 ^= v0; \
                v2 += v1; \
                v1 = rotl64(v1, 17); \
                v1 ^= v2; \
                v2 = rotl64(v2, 32); \
        } while (0)

static uint64_t siphash24(const uint8_t key[static 16], const uint8_t *p, size_t n)
{
        uint64_t k0, k1, m, b = (uint64_t)n << 56;
        memcpy(&k0, key, 8);
        memcpy(&k1, key + 8, 8);
        k0 = le64toh(k0);
        k1 = le64toh(k1);
        uint64_t v0 = k0 ^ UINT64_C(0x736f6d6570736575), v1 = k1 ^ UINT64_C(0x646f72616e646f6d),
                 v2 = k0 ^ UINT64_C(0x6c7967656e657261), v3 = k1 ^ UINT64_C(0x7465646279746573);

        for (; n >= 8; p += 8, n -= 8) {
                memcpy(&m, p, 8);
                m = le64toh(m);
                v3 ^= m;
                SIPROUND(v0, v1, v2, v3);
                SIPROUND(v0, v1, v2, v3);
                v0 ^= m;
        }
        for (size_t i = 0; i < n; i++)
                b |= (uint64_t)p[i] << (8 * i);
        v3 ^= b;
        SIPROUND(v0, v1, v2, v3);
        SIPROUND(v0, v1, v2, v3);
        v0 ^= b;
        v2 ^= 0xff;
        for (int i = 0; i < 4; i++)
                SIPROUND(v0, v1, v2, v3);
        return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t node_hash(const Tree *t, const Node *parent, const char *name, size_t len)
{
        uint8_t buf[sizeof(uintptr_t) + NAME_MAX];
        uintptr_t p = (uintptr_t)parent;

        if (len > NAME_MAX)
                len = NAME_MAX; /* never: names are checked before they get here */
        memcpy(buf, &p, sizeof(p));
        memcpy(buf + sizeof(p), name, len);
        return siphash24(t->key, buf, sizeof(p) + len);
}

static void *tree_alloc(Tree *t, size_t n)
{
        n = (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
        if (!t->chunks || t->chunks->size - t->chunks->used < n) {
                size_t size = n > 256 * 1024 ? n : 256 * 1024;
                Chunk *c = malloc(sizeof(Chunk) + size);
                if (!c)
                        return NULL;
                c->next = t->chunks;
                c->used = 0;
                c->size = size;
                t->chunks = c;
        }
        void *p = t->chunks->data + t->chunks->used;
        t->chunks->used += n;
        return memset(p, 0, n);
}

static void tree_done(Tree *t)
{
        while (t->chunks) {
                Chunk *c = t->chunks;
                t->chunks = c->next;
                free(c);
        }
        free(t->buckets);
        t->buckets = NULL;
        if (t->budget)
                *t->budget += t->n_nodes;
        t->n_nodes = t->n_buckets = 0;
        t->root = NULL;
}

static int tree_init(Tree *t, const uint8_t *key, uint64_t *budget)
{
        *t = (Tree){.key = key, .budget = budget, .n_buckets = 256};
        t->buckets = calloc(t->n_buckets, sizeof(Node *));
        if (!t->buckets)
                return -ENOMEM;
        t->root = tree_alloc(t, sizeof(Node));
        if (!t->root)
                return -ENOMEM;
        t->root->kind = NODE_ENTRY;
        t->root->is_dir = t->root->present = true;
        return 0;
}

static Node *tree_lookup(const Tree *t, const Node *parent, const char *name, size_t len)
{
        uint64_t h = node_hash(t, parent, name, len);
        for (Node *n = t->buckets[h & (t->n_buckets - 1)]; n; n = n->hash_next)
                if (n->hash == h && n->parent == parent && n->name_len == len &&
                    memcmp(n->name, name, len) == 0)
                        return n;
        return NULL;
}

static int tree_grow(Tree *t)
{
        size_t n = t->n_buckets * 2;
        Node **b = calloc(n, sizeof(Node *));
        if (!b)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_buckets; i++)
                for (Node *x = t->buckets[i], *next; x; x = next) {
                        next = x->hash_next;
                        x->hash_next = b[x->hash & (n - 1)];
                        b[x->hash & (n - 1)] = x;
                }
        free(t->buckets);
        t->buckets = b;
        t->n_buckets = n;
        return 0;
}

/* The child NAME of parent, created (zeroed: NODE_IMPLICIT, not present) if missing. */
static int tree_get(Tree *t, Node *parent, const char *name, size_t len, Node **ret)
{
        Node *n = tree_lookup(t, parent, name, len);
        if (n) {
                *ret = n;
                return 0;
        }
        if (*t->budget == 0)
                return -E2BIG;
        if (t->n_nodes >= t->n_buckets && tree_grow(t) < 0)
                return -ENOMEM;
        n = tree_alloc(t, offsetof(Node, name) + len + 1);
        if (!n)
                return -ENOMEM;
        memcpy(n->name, name, len);
        n->name_len = len;
        n->hash = node_hash(t, parent, name, len);
        n->parent = parent;
        n->next_sibling = parent->first_child;
        parent->first_child = n;
        n->hash_next = t->buckets[n->hash & (t->n_buckets - 1)];
        t->buckets[n->hash & (t->n_buckets - 1)] = n;
        t->n_nodes++;
        (*t->budget)--;
        *ret = n;
        return 1;
}

/* Pre-order walk below root (root itself excluded), parents before their children. */
static Node *tree_next(Node *n, const Node *root)
{
        if (n->first_child)
                return n->first_child;
        for (; n != root; n = n->parent)
                if (n->next_sibling)
                        return n->next_sibling;
        return NULL;
}

/* "/a/b/c" of a node (never the root) */
static char *node_path(const Node *n)
{
        size_t len = 0;
        for (const Node *p = n; p->parent; p = p->parent)
                len += p->name_len + 1;
        char *s = malloc(len + 1);
        if (!s)
                return NULL;
        char *e = s + len;
        *e = 0;
        for (const Node *p = n; p->parent; p = p->parent) {
                e -= p->name_len;
                memcpy(e, p->name, p->name_len);
                *--e = '/';
        }
        return s;
}

static int changes_add(ReportChanges *c, size_t *cap, const Node *n, uint64_t size)
{
        if (c->n_files == *cap) {
                size_t k = *cap ? *cap * 2 : 16;
                ReportFile *f = reallocarray(c->files, k, sizeof(ReportFile));
                if (!f)
                        return -ENOMEM;
                c->files = f;
                *cap = k;
        }
        char *p = node_path(n);
        if (!p)
                return -ENOMEM;
        c->files[c->n_files++] = (ReportFile){.path = p, .size = size};
        c->bytes = add_sat(c->bytes, size);
        return 0;
}

static int cmp_file(const void *a, const void *b)
{
        return strcmp(((const ReportFile *)a)->path, ((const ReportFile *)b)->path);
}

static void changes_sort(ReportChanges *c)
{
        if (c->n_files > 1)
                qsort(c->files, c->n_files, sizeof(ReportFile), cmp_file);
}

static void changes_done(ReportChanges *c)
{
        for (size_t i = 0; i < c->n_files; i++)
                free(c->files[i].path);
        free(c->files);
}

/* Split a tar name into its components, in place in buf. Returns the number of components, 0
 * for the root itself, -EINVAL for a name we do not take. */
static int name_split(const char *name, char *buf, const char *comp[], size_t comp_len[], size_t max)
{
        size_t len = strlen(name), k = 0;
        if (len >= PATH_MAX)
                return -EINVAL;
        memcpy(buf, name, len + 1);
        for (char *c = buf; *c;) {
                size_t l = strcspn(c, "/");
                if (l == 0 || (l == 1 && c[0] == '.')) {
                        /* empty or "." */
                } else if (l == 2 && c[0] == '.' && c[1] == '.')
                        return -EINVAL;
                else if (l > NAME_MAX || k >= max)
                        return -EINVAL;
                else {
                        comp[k] = c;
                        comp_len[k++] = l;
                }
                c += l;
                if (*c)
                        *c++ = 0;
        }
        return (int)k;
}

static bool name_is_whiteout(const char *c, size_t l)
{
        return l >= strlen(WHITEOUT_PREFIX) && memcmp(c, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0;
}

/* One tar entry into the layer tree. 0 when taken, 1 when skipped. */
static int layer_add_entry(Analysis *a, struct archive_entry *e)
{
        const char **comp = a->comp;
        size_t *comp_len = a->comp_len;
        Tree *t = &a->layer;
        Node *parent = t->root, *n;
        int k, r;

        const char *name = archive_entry_pathname(e) ?: archive_entry_pathname_utf8(e);
        if (!name)
                return 1;
        k = name_split(name, a->name, comp, comp_len, ELEMENTSOF(a->comp));
        if (k < 0)
                return 1;
        if (k == 0)
                return 0; /* the root directory: dive skips it too */

        const char *base = comp[k - 1];
        size_t base_len = comp_len[k - 1];
        for (int i = 0; i < k - 1; i++)
                if (name_is_whiteout(comp[i], comp_len[i]))
                        return 1; /* a whiteout is no directory */
        bool meta = startswith(base, WHITEOUT_META_PREFIX);
        bool whiteout = !meta && name_is_whiteout(base, base_len);
        if (whiteout) {
                const char *target = base + strlen(WHITEOUT_PREFIX);
                if (streq(target, "") || streq(target, ".") || streq(target, ".."))
                        return 1;
        }

        for (int i = 0; i < k - 1; i++) {
                r = tree_get(t, parent, comp[i], comp_len[i], &n);
                if (r < 0)
                        return r;
                if (r > 0)
                        n->is_dir = true;
                parent = n;
        }
        a->cur->n_entries++;

        if (meta) {
                /* ".wh..wh..opq" hides the lower contents of its directory; the other aufs
                 * metadata (".wh..wh.plnk" and the like) means nothing here */
                if (streq(base, WHITEOUT_OPAQUE))
                        parent->opaque = true;
                return 0;
        }
        r = tree_get(t, parent, base, base_len, &n);
        if (r < 0)
                return r;
        if (whiteout) {
                n->kind = NODE_WHITEOUT;
                return 0;
        }

        /* the last entry of a path wins, as when unpacking */
        n->kind = NODE_ENTRY;
        n->is_dir = archive_entry_filetype(e) == AE_IFDIR;
        n->size = 0;
        if (archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e) &&
            archive_entry_size_is_set(e) && archive_entry_size(e) > 0)
                n->size = (uint64_t)archive_entry_size(e);
        a->cur->size = add_sat(a->cur->size, n->size);
        return 0;
}

static void archive_read_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}

static int layer_read(Analysis *a, int fd, char **err)
{
        _cleanup_(archive_read_freep) struct archive *ar = archive_read_new();
        size_t idx = a->cur->index;
        int r;

        if (!ar)
                return -ENOMEM;
        if (fd < 0)
                return set_error(err, -EBADF, "layer %zu: no file descriptor", idx);
        /* not archive_read_support_filter_all(): it may run an external program (lrzip, lzop,
         * grzip) on the blob */
        archive_read_support_filter_gzip(ar);
        archive_read_support_filter_zstd(ar);
        archive_read_support_filter_xz(ar);
        archive_read_support_filter_bzip2(ar);
        archive_read_support_format_tar(ar);
        archive_read_support_format_empty(ar);
        if (archive_read_open_fd(ar, fd, 64 * 1024) != ARCHIVE_OK)
                return set_error(err, -EBADMSG, "layer %zu: %s", idx,
                                 archive_error_string(ar) ?: "cannot open the tar stream");
        for (;;) {
                struct archive_entry *e;
                int k = archive_read_next_header(ar, &e);
                if (k == ARCHIVE_EOF)
                        break;
                if (k != ARCHIVE_OK && k != ARCHIVE_WARN)
                        return set_error(err, -EBADMSG, "layer %zu: %s", idx,
                                         archive_error_string(ar) ?: "unreadable tar stream");
                r = layer_add_entry(a, e);
                if (r == -E2BIG)
                        return set_error(err, r, "layer %zu: more paths than the limit allows", idx);
                if (r < 0)
                        return r;
                if (r > 0)
                        a->cur->n_skipped++;
        }
        return 0;
}

static void efficiency_record(Node *s, uint64_t size)
{
        if (s->eff_count == 0 || size < s->eff_min)
                s->eff_min = size;
        s->eff_count++;
        s->eff_total = add_sat(s->eff_total, size);
}

/* The bytes in the stack at and below s; the stack does not change while a layer's leaves are
 * sized, so each node is summed once per layer. Depth is bounded by PATH_MAX / 2. */
static uint64_t stack_subtree_bytes(Analysis *a, Node *s)
{
        if (s->subtree_gen == a->gen)
                return s->subtree_bytes;
        uint64_t sum = s->size;
        for (Node *c = s->first_child; c; c = c->next_sibling)
                if (c->present)
                        sum = add_sat(sum, stack_subtree_bytes(a, c));
        s->subtree_bytes = sum;
        s->subtree_gen = a->gen;
        return sum;
}

static int stack_remove(Analysis *a, Node *s, const Node *l);

/* Remove the children of stack node s; l is the layer's node of the same path, if any: what
 * the layer writes itself is replaced, not removed. */
static int stack_remove_children(Analysis *a, Node *s, const Node *l)
{
        for (Node *c = s->first_child; c; c = c->next_sibling) {
                if (!c->present)
                        continue;
                int r = stack_remove(a, c, l ? tree_lookup(&a->layer, l, c->name, c->name_len) : NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int stack_remove(Analysis *a, Node *s, const Node *l)
{
        if (!s->present)
                return 0;
        s->present = false;
        if (!s->is_dir && !l) {
                int r = changes_add(&a->cur->removed, &a->cap_removed, s, s->size);
                if (r < 0)
                        return r;
        }
        return stack_remove_children(a, s, l);
}

/* dive's visit of the layer's leaves, against the layers below; and added or modified. */
static int layer_score(Analysis *a)
{
        Tree *lt = &a->layer;
        int r;

        a->gen++;
        lt->root->peer = a->stack.root;
        for (Node *n = tree_next(lt->root, lt->root); n; n = tree_next(n, lt->root)) {
                Node *p = n->parent->peer;
                if (n->kind == NODE_WHITEOUT) {
                        n->peer = tree_lookup(&a->stack, p, n->name + strlen(WHITEOUT_PREFIX),
                                              n->name_len - strlen(WHITEOUT_PREFIX));
                        if (n->peer && n->peer->present)
                                efficiency_record(n->peer,
                                                  n->peer->is_dir ? stack_subtree_bytes(a, n->peer) : 0);
                        continue;
                }
                r = tree_get(&a->stack, p, n->name, n->name_len, &n->peer);
                if (r < 0)
                        return r;
                if (!n->first_child)
                        efficiency_record(n->peer, n->size);
                if (n->kind == NODE_ENTRY && !n->is_dir) {
                        if (n->peer->present)
                                r = changes_add(&a->cur->modified, &a->cap_modified, n->peer, n->size);
                        else
                                r = changes_add(&a->cur->added, &a->cap_added, n->peer, n->size);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* Whiteouts and opaque directories take away from the layers below... */
static int layer_apply_removals(Analysis *a)
{
        Tree *lt = &a->layer;
        int r;

        if (lt->root->opaque) {
                r = stack_remove_children(a, a->stack.root, lt->root);
                if (r < 0)
                        return r;
        }
        for (Node *n = tree_next(lt->root, lt->root); n; n = tree_next(n, lt->root)) {
                if (n->kind == NODE_WHITEOUT) {
                        if (!n->peer || !n->peer->present)
                                continue;
                        r = stack_remove(a, n->peer,
                                         tree_lookup(lt, n->parent, n->name + strlen(WHITEOUT_PREFIX),
                                                     n->name_len - strlen(WHITEOUT_PREFIX)));
                } else if (n->opaque && n->peer->present)
                        r = stack_remove_children(a, n->peer, n);
                else
                        continue;
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ...then the layer's entries go on top. */
static int layer_apply_entries(Analysis *a)
{
        for (Node *n = tree_next(a->layer.root, a->layer.root); n; n = tree_next(n, a->layer.root)) {
                Node *s = n->peer;
                if (n->kind == NODE_WHITEOUT)
                        continue;
                if (n->kind == NODE_ENTRY) {
                        if (s->present && s->is_dir && !n->is_dir) {
                                int r = stack_remove_children(a, s, n);
                                if (r < 0)
                                        return r;
                        }
                        s->is_dir = n->is_dir;
                        s->size = n->size;
                } else if (!s->present || !s->is_dir) {
                        s->is_dir = true;
                        s->size = 0;
                }
                s->present = true;
        }
        return 0;
}

static int layer_analyse(Analysis *a, int fd, char **err)
{
        int r;

        tree_done(&a->layer);
        r = tree_init(&a->layer, a->key, &a->budget);
        if (r < 0)
                return r;
        a->cap_added = a->cap_modified = a->cap_removed = 0;

        r = layer_read(a, fd, err);
        if (r < 0)
                return r;
        r = layer_score(a);
        if (r >= 0)
                r = layer_apply_removals(a);
        if (r >= 0)
                r = layer_apply_entries(a);
        if (r == -E2BIG)
                return set_error(err, r, "layer %zu: more paths than the limit allows", a->cur->index);
        if (r < 0)
                return r;

        changes_sort(&a->cur->added);
        changes_sort(&a->cur->modified);
        changes_sort(&a->cur->removed);
        return 0;
}

static Analysis *analysis_free(Analysis *a)
{
        if (a) {
                tree_done(&a->layer);
                tree_done(&a->stack);
                free(a);
        }
        return NULL;
}

static void analysis_freep(Analysis **a)
{
        analysis_free(*a);
}

/* dive's walk through the history: entries with empty_layer are skipped, the others are the
 * layers in order; a layer beyond the history has no command. */
static int history_map(json_t *config, ImageReport *r)
{
        json_t *h = json_is_object(config) ? json_object_get(config, "history") : NULL;
        size_t k = 0;

        if (!json_is_array(h))
                return 0;
        for (size_t i = 0; i < r->n_layers; i++, k++) {
                while (k < json_array_size(h) &&
                       json_is_true(json_object_get(json_array_get(h, k), "empty_layer")))
                        k++;
                if (k >= json_array_size(h))
                        break;
                json_t *c = json_object_get(json_array_get(h, k), "created_by");
                if (json_is_string(c)) {
                        r->layers[i].created_by = strdup(json_string_value(c));
                        if (!r->layers[i].created_by)
                                return -ENOMEM;
                }
        }
        return 0;
}

static int cmp_inefficiency(const void *a, const void *b)
{
        const ReportInefficiency *x = a, *y = b;
        if (x->total_bytes != y->total_bytes)
                return x->total_bytes > y->total_bytes ? -1 : 1;
        return strcmp(x->path, y->path);
}

static int report_summarize(Analysis *a, ImageReport *r)
{
        uint64_t min_sum = 0, total_sum = 0;
        size_t cap = 0;

        for (Node *n = tree_next(a->stack.root, a->stack.root); n; n = tree_next(n, a->stack.root)) {
                if (n->eff_count == 0)
                        continue;
                min_sum = add_sat(min_sum, n->eff_min);
                total_sum = add_sat(total_sum, n->eff_total);
                if (n->eff_count < 2)
                        continue;
                if (r->n_inefficient == cap) {
                        size_t k = cap ? cap * 2 : 16;
                        ReportInefficiency *x = reallocarray(r->inefficient, k, sizeof(*x));
                        if (!x)
                                return -ENOMEM;
                        r->inefficient = x;
                        cap = k;
                }
                char *p = node_path(n);
                if (!p)
                        return -ENOMEM;
                r->inefficient[r->n_inefficient++] =
                        (ReportInefficiency){.path = p, .count = n->eff_count, .total_bytes = n->eff_total};
                r->wasted_bytes = add_sat(r->wasted_bytes, n->eff_total);
        }
        if (r->n_inefficient > 1)
                qsort(r->inefficient, r->n_inefficient, sizeof(ReportInefficiency), cmp_inefficiency);

        r->efficiency = total_sum == 0 ? 1.0 : (double)min_sum / (double)total_sum;
        if (r->user_size > 0)
                r->user_wasted_percent = (double)r->wasted_bytes / (double)r->user_size;
        else
                r->user_wasted_percent = r->wasted_bytes > 0 ? INFINITY : 0.0;
        return 0;
}

int image_report_build(const ReportLayerInput *layers, size_t n_layers, json_t *image_config,
                       uint64_t max_paths, ImageReport **ret, char **err)
{
        _cleanup_image_report_ ImageReport *r = NULL;
        _cleanup_(analysis_freep) Analysis *a = NULL;
        int k;

        if (n_layers > 0 && !layers)
                return -EINVAL;
        a = calloc(1, sizeof(*a));
        r = calloc(1, sizeof(*r));
        if (!a || !r)
                return -ENOMEM;
        a->budget = max_paths ?: REPORT_DEFAULT_MAX_PATHS;
        r->layers = calloc(n_layers ?: 1, sizeof(ReportLayer));
        if (!r->layers)
                return -ENOMEM;
        r->n_layers = n_layers;

        if (getrandom(a->key, sizeof(a->key), GRND_NONBLOCK) != sizeof(a->key)) {
                /* no entropy yet (early boot): the table works, only less resistant to crafted names */
                uint64_t x = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)a ^ ((uint64_t)getpid() << 32);
                memcpy(a->key, &x, sizeof(x));
                memcpy(a->key + 8, &x, sizeof(x));
        }
        k = tree_init(&a->stack, a->key, &a->budget);
        if (k < 0)
                return k;

        for (size_t i = 0; i < n_layers; i++) {
                ReportLayer *l = &r->layers[i];
                l->index = i;
                l->blob_size = layers[i].blob_size;
                if (layers[i].digest) {
                        l->digest = strdup(layers[i].digest);
                        if (!l->digest)
                                return -ENOMEM;
                }
                a->cur = l;
                k = layer_analyse(a, layers[i].fd, err);
                if (k < 0)
                        return k;
                r->total_size = add_sat(r->total_size, l->size);
                if (i > 0)
                        r->user_size = add_sat(r->user_size, l->size);
        }

        k = history_map(image_config, r);
        if (k < 0)
                return k;
        k = report_summarize(a, r);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(r);
        return 0;
}

ImageReport *image_report_free(ImageReport *r)
{
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_layers; i++) {
                ReportLayer *l = &r->layers[i];
                free(l->digest);
                free(l->created_by);
                changes_done(&l->added);
                changes_done(&l->modified);
                changes_done(&l->removed);
        }
        free(r->layers);
        for (size_t i = 0; i < r->n_inefficient; i++)
                free(r->inefficient[i].path);
        free(r->inefficient);
        free(r);
        return NULL;
}

/* JSON */

static json_int_t json_u64(uint64_t v)
{
        return v > INT64_MAX ? INT64_MAX : (json_int_t)v;
}

/* Names from a tar need not be UTF-8, which JSON strings must be: such a name loses its
 * non-ASCII bytes to '?'. */
static json_t *json_string_lossy(const char *s)
{
        if (!s)
                return NULL;
        json_t *j = json_string(s);
        if (j)
                return j;
        _cleanup_free_ char *c = strdup(s);
        if (!c)
                return NULL;
        for (char *p = c; *p; p++)
                if ((unsigned char)*p >= 0x80)
                        *p = '?';
        return json_string(c);
}

static json_t *changes_to_json(const ReportChanges *c)
{
        json_t *files = json_array();
        if (!files)
                return NULL;
        for (size_t i = 0; i < c->n_files; i++)
                if (json_array_append_new(files,
                                          json_pack("{s:o,s:I}", "path", json_string_lossy(c->files[i].path),
                                                    "sizeBytes", json_u64(c->files[i].size))) < 0) {
                        json_decref(files);
                        return NULL;
                }
        return json_pack("{s:I,s:I,s:o}", "count", json_u64(c->n_files), "sizeBytes", json_u64(c->bytes),
                         "files", files);
}

json_t *image_report_to_json(const ImageReport *r)
{
        _cleanup_json_ json_t *layers = json_array(), *refs = json_array();

        if (!layers || !refs)
                return NULL;
        for (size_t i = 0; i < r->n_layers; i++) {
                const ReportLayer *l = &r->layers[i];
                json_t *j = json_pack(
                        "{s:I,s:o?,s:I,s:o?,s:I,s:I,s:I,s:o,s:o,s:o}", "index", json_u64(l->index),
                        "digestId", json_string_lossy(l->digest), "sizeBytes", json_u64(l->size), "command",
                        json_string_lossy(l->created_by), "blobSizeBytes", json_u64(l->blob_size), "entries",
                        json_u64(l->n_entries), "skippedEntries", json_u64(l->n_skipped), "added",
                        changes_to_json(&l->added), "modified", changes_to_json(&l->modified), "removed",
                        changes_to_json(&l->removed));
                if (json_array_append_new(layers, j) < 0)
                        return NULL;
        }
        for (size_t i = 0; i < r->n_inefficient; i++) {
                const ReportInefficiency *x = &r->inefficient[i];
                if (json_array_append_new(refs, json_pack("{s:I,s:I,s:o}", "count", json_u64(x->count),
                                                          "sizeBytes", json_u64(x->total_bytes), "file",
                                                          json_string_lossy(x->path))) < 0)
                        return NULL;
        }
        json_t *pct = isfinite(r->user_wasted_percent) ? json_real(r->user_wasted_percent) : json_null();
        return json_pack("{s:O,s:{s:I,s:I,s:f,s:I,s:o,s:O}}", "layer", layers, "image", "sizeBytes",
                         json_u64(r->total_size), "inefficientBytes", json_u64(r->wasted_bytes),
                         "efficiencyScore", r->efficiency, "userSizeBytes", json_u64(r->user_size),
                         "userWastedPercent", pct, "fileReference", refs);
}

/* Text */

#define FORMAT_BYTES_MAX 32

/* go-humanize's Bytes(), which dive prints sizes with: SI units, 3 significant digits at most. */
static const char *format_bytes(char buf[static FORMAT_BYTES_MAX], uint64_t v)
{
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
        double x = (double)v;
        size_t u = 0;

        if (v < 10) {
                snprintf(buf, FORMAT_BYTES_MAX, "%" PRIu64 " B", v);
                return buf;
        }
        while (x >= 1000 && u < ELEMENTSOF(units) - 1) {
                x /= 1000;
                u++;
        }
        snprintf(buf, FORMAT_BYTES_MAX, "%.*f %s", x < 10 ? 1 : 0, x, units[u]);
        return buf;
}

/* Length of the valid UTF-8 sequence at s that is no control character (C1 included), else 0. */
static size_t utf8_printable(const unsigned char *s)
{
        uint32_t cp;
        size_t n;

        if (s[0] < 0x80)
                return s[0] >= 0x20 && s[0] != 0x7f;
        if ((s[0] & 0xe0) == 0xc0) {
                n = 2;
                cp = s[0] & 0x1f;
        } else if ((s[0] & 0xf0) == 0xe0) {
                n = 3;
                cp = s[0] & 0x0f;
        } else if ((s[0] & 0xf8) == 0xf0) {
                n = 4;
                cp = s[0] & 0x07;
        } else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0)
                return 0;
        return n;
}

/* A string from the image, with what could drive a terminal escaped as \xNN. */
static void fputs_escaped(FILE *f, const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p;) {
                size_t n = utf8_printable(p);
                if (n == 0 || *p == '\\') {
                        fprintf(f, "\\x%02x", *p);
                        p++;
                } else {
                        fwrite(p, 1, n, f);
                        p += n;
                }
        }
}

static const char *format_changes(char buf[static 64], const ReportChanges *c)
{
        char b[FORMAT_BYTES_MAX];
        snprintf(buf, 64, "%zu (%s)", c->n_files, format_bytes(b, c->bytes));
        return buf;
}

static void print_files(FILE *f, char mark, const ReportChanges *c)
{
        char b[FORMAT_BYTES_MAX];
        for (size_t i = 0; i < c->n_files; i++) {
                fprintf(f, "      %c %10s  ", mark, format_bytes(b, c->files[i].size));
                fputs_escaped(f, c->files[i].path);
                fputc('\n', f);
        }
}

static void print_inefficient(FILE *f, const ImageReport *r, const char *size_title)
{
        char b[FORMAT_BYTES_MAX];

        fprintf(f, "%5s  %12s  %s\n", "Count", size_title, "File Path");
        if (r->n_inefficient == 0)
                fputs("None\n", f);
        for (size_t i = 0; i < r->n_inefficient; i++) {
                fprintf(f, "%5" PRIu64 "  %12s  ", r->inefficient[i].count,
                        format_bytes(b, r->inefficient[i].total_bytes));
                fputs_escaped(f, r->inefficient[i].path);
                fputc('\n', f);
        }
}

void image_report_print(FILE *f, const ImageReport *r, bool verbose)
{
        char b1[FORMAT_BYTES_MAX], b2[FORMAT_BYTES_MAX], c1[64], c2[64], c3[64];

        fprintf(f, "%-5s  %10s  %10s  %-16s  %-16s  %-16s  %s\n", "LAYER", "SIZE", "BLOB", "ADDED",
                "MODIFIED", "REMOVED", "CREATED BY");
        for (size_t i = 0; i < r->n_layers; i++) {
                const ReportLayer *l = &r->layers[i];
                fprintf(f, "%-5zu  %10s  %10s  %-16s  %-16s  %-16s  ", l->index, format_bytes(b1, l->size),
                        format_bytes(b2, l->blob_size), format_changes(c1, &l->added),
                        format_changes(c2, &l->modified), format_changes(c3, &l->removed));
                fputs_escaped(f, l->created_by ?: "-");
                fputc('\n', f);
                if (verbose && l->digest) {
                        fputs("       digest ", f);
                        fputs_escaped(f, l->digest);
                        fputc('\n', f);
                }
                if (l->n_skipped > 0)
                        fprintf(f, "       %" PRIu64 " entries with unusable names, ignored\n",
                                l->n_skipped);
                if (verbose) {
                        print_files(f, 'A', &l->added);
                        print_files(f, 'M', &l->modified);
                        print_files(f, 'D', &l->removed);
                }
        }

        fprintf(f, "\nImage details\n");
        fprintf(f, "  Total image size:        %s\n", format_bytes(b1, r->total_size));
        fprintf(f, "  Potential wasted space:  %s\n", format_bytes(b1, r->wasted_bytes));
        fprintf(f, "  Image efficiency score:  %d %%\n", (int)(100.0 * r->efficiency));
        fprintf(f, "  User wasted percent:     %.4f %%\n", 100.0 * r->user_wasted_percent);
        fprintf(f, "\nInefficient files\n");
        print_inefficient(f, r, "Total Space");
}

/* CI */

static int parse_double_c(const char *s, double *ret)
{
        locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
        char *end;
        double v;

        if (!c)
                return -ENOMEM;
        if (!*s || strchr(" \t\n\v\f\r", *s)) {
                freelocale(c);
                return -EINVAL;
        }
        errno = 0;
        v = strtod_l(s, &end, c);
        freelocale(c);
        if (errno != 0 || *end || !isfinite(v))
                return -EINVAL;
        *ret = v;
        return 0;
}

int report_parse_bytes(const char *s, uint64_t *ret)
{
        static const struct {
                const char *unit;
                double factor;
        } table[] = {
                {"", 1},         {"b", 1},        {"k", 1e3},      {"kb", 1e3},     {"ki", 0x1p10},
                {"kib", 0x1p10}, {"m", 1e6},      {"mb", 1e6},     {"mi", 0x1p20},  {"mib", 0x1p20},
                {"g", 1e9},      {"gb", 1e9},     {"gi", 0x1p30},  {"gib", 0x1p30}, {"t", 1e12},
                {"tb", 1e12},    {"ti", 0x1p40},  {"tib", 0x1p40}, {"p", 1e15},     {"pb", 1e15},
                {"pi", 0x1p50},  {"pib", 0x1p50}, {"e", 1e18},     {"eb", 1e18},    {"ei", 0x1p60},
                {"eib", 0x1p60},
        };
        char num[64], unit[8];
        size_t n = strspn(s, "0123456789."), u;
        double v;

        if (n == 0 || n >= sizeof(num))
                return -EINVAL;
        memcpy(num, s, n);
        num[n] = 0;
        if (parse_double_c(num, &v) < 0)
                return -EINVAL;

        const char *p = s + n;
        p += strspn(p, " \t\n\v\f\r");
        u = strcspn(p, " \t\n\v\f\r");
        if (u >= sizeof(unit) || p[u + strspn(p + u, " \t\n\v\f\r")])
                return -EINVAL;
        for (size_t i = 0; i < u; i++)
                unit[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i]);
        unit[u] = 0;

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(unit, table[i].unit)) {
                        v *= table[i].factor;
                        if (v >= 0x1p63)
                                return -ERANGE;
                        *ret = (uint64_t)v;
                        return 0;
                }
        return -EINVAL;
}

static int parse_ratio(const char *key, const char *value, double *ret, char **err)
{
        double v;
        if (parse_double_c(value, &v) < 0)
                return set_error(err, -EINVAL, "invalid config value ('%s') for %s", value, key);
        if (v < 0 || v > 1)
                return set_error(err, -EINVAL, "%s config value is outside allowed range (0-1), given '%s'",
                                 key, value);
        *ret = v;
        return 0;
}

int report_ci_limits_set(ReportCiLimits *l, const char *key, const char *value, char **err)
{
        const char *k = startswith(key, "rules.") ?: key;
        bool disabled = streq(value, "disabled");
        uint64_t b;
        int r;

        if (streq(k, "lowestEfficiency")) {
                if (disabled)
                        l->lowest_efficiency = -1;
                else
                        return parse_ratio(k, value, &l->lowest_efficiency, err);
        } else if (streq(k, "highestUserWastedPercent")) {
                if (disabled)
                        l->highest_user_wasted_percent = -1;
                else
                        return parse_ratio(k, value, &l->highest_user_wasted_percent, err);
        } else if (streq(k, "highestWastedBytes")) {
                if (disabled)
                        l->highest_wasted_bytes = -1;
                else {
                        r = report_parse_bytes(value, &b);
                        if (r < 0)
                                return set_error(err, -EINVAL, "invalid config value ('%s') for %s", value,
                                                 k);
                        l->highest_wasted_bytes = (int64_t)b;
                }
        } else
                return set_error(err, -EINVAL, "unknown CI rule '%s'", key);
        return 0;
}

typedef enum RuleStatus {
        RULE_PASS,
        RULE_FAIL,
        RULE_SKIP,
} RuleStatus;

int image_report_ci(const ImageReport *r, const ReportCiLimits *l, FILE *out)
{
        char b[FORMAT_BYTES_MAX], m[3][256] = {};
        RuleStatus st[3];
        /* dive prints the rules sorted by name */
        static const char *const names[3] = {"highestUserWastedPercent", "highestWastedBytes",
                                             "lowestEfficiency"};
        unsigned passed = 0, failed = 0, skipped = 0;

        if (isnan(l->lowest_efficiency) || l->lowest_efficiency > 1 ||
            isnan(l->highest_user_wasted_percent) || l->highest_user_wasted_percent > 1)
                return -EINVAL;

        if (l->highest_user_wasted_percent < 0)
                st[0] = RULE_SKIP;
        else if (l->highest_user_wasted_percent < r->user_wasted_percent) {
                st[0] = RULE_FAIL;
                snprintf(
                        m[0], sizeof(m[0]),
                        "too many bytes wasted, relative to the user bytes added (%%-user-wasted-bytes=%g > "
                        "threshold=%g)",
                        r->user_wasted_percent, l->highest_user_wasted_percent);
        } else
                st[0] = RULE_PASS;

        if (l->highest_wasted_bytes < 0)
                st[1] = RULE_SKIP;
        else if (r->wasted_bytes > (uint64_t)l->highest_wasted_bytes) {
                st[1] = RULE_FAIL;
                snprintf(m[1], sizeof(m[1]),
                         "too many bytes wasted (wasted-bytes=%" PRIu64 " > threshold=%" PRId64 ")",
                         r->wasted_bytes, l->highest_wasted_bytes);
        } else
                st[1] = RULE_PASS;

        if (l->lowest_efficiency < 0)
                st[2] = RULE_SKIP;
        else if (l->lowest_efficiency > r->efficiency) {
                st[2] = RULE_FAIL;
                snprintf(m[2], sizeof(m[2]), "image efficiency is too low (efficiency=%g < threshold=%g)",
                         r->efficiency, l->lowest_efficiency);
        } else
                st[2] = RULE_PASS;

        fprintf(out, "  efficiency: %2.4f %%\n", r->efficiency * 100);
        fprintf(out, "  wastedBytes: %" PRIu64 " bytes (%s)\n", r->wasted_bytes,
                format_bytes(b, r->wasted_bytes));
        fprintf(out, "  userWastedPercent: %2.4f %%\n", r->user_wasted_percent * 100);
        fputs("Inefficient Files:\n", out);
        print_inefficient(out, r, "Wasted Space");
        fputs("Results:\n", out);
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                switch (st[i]) {
                case RULE_PASS:
                        passed++;
                        fprintf(out, "  PASS: %s\n", names[i]);
                        break;
                case RULE_FAIL:
                        failed++;
                        fprintf(out, "  FAIL: %s: %s\n", names[i], m[i]);
                        break;
                case RULE_SKIP:
                        skipped++;
                        fprintf(out, "  SKIP: %s: rule disabled\n", names[i]);
                        break;
                }
        fprintf(out, "Result:%s [Total:%zu] [Passed:%u] [Failed:%u] [Warn:0] [Skipped:%u]\n",
                failed ? "FAIL" : "PASS", ELEMENTSOF(names), passed, failed, skipped);
        return failed ? 1 : 0;
}
