/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one parser of .ctr definition files (systemd unit-file syntax, see systemd.syntax(7)) and
 * their lookup along the search path, drop-ins included (systemd.unit(5)).
 *
 * The parser only splits a file into (section, key, value) entries: it knows no key. Consumers walk
 * the entries in order (main file first, then the drop-ins), so "last assignment wins" and "an
 * empty assignment resets the list" fall out of the walk. Values are kept as written (trimmed);
 * keys taking words split them with unit_value_split().
 *
 * Errors: functions return -errno. Functions taking `char **err` also describe a failure that is
 * the input's fault (syntax, limits, unusable file) in a newly allocated message, "FILE:LINE:
 * reason" when a line is at fault, "FILE: reason" otherwise; they free a message already in *err
 * before storing a new one, so one variable may be reused across calls, and never touch *err on
 * success. On -ENOMEM *err is left NULL. err may be NULL. */

#include <stdbool.h>
#include <stddef.h>

#define UNIT_FILE_SIZE_MAX (1024u * 1024u) /* bytes of one file */
#define UNIT_LINE_MAX (64u * 1024u) /* bytes of one line, continuations joined */
#define UNIT_ENTRIES_MAX 10000u /* entries of one UnitFile, drop-ins included */
#define DEFINITION_NAME_MAX 200u

typedef struct UnitEntry {
        char *section; /* without the brackets */
        char *key;
        char *value; /* "" for "Key=" */
        char *file; /* the path given to unit_file_parse()/unit_file_load() */
        unsigned line; /* where the assignment starts (its first line when continued) */
} UnitEntry;

typedef struct UnitFileBlock UnitFileBlock;

/* Initialise with `UnitFile uf = {};`, release with unit_file_done(). All strings of the entries
 * point into blocks owned by the UnitFile: do not free them, they live until unit_file_done(). */
typedef struct UnitFile {
        UnitEntry *entries;
        size_t n_entries;
        /* private */
        size_t n_allocated;
        UnitFileBlock *blocks;
} UnitFile;

void unit_file_done(UnitFile *uf);

/* Appends the entries of one file's contents (size bytes at data, NUL bytes refused). path is
 * recorded in every entry and in messages. On failure uf is left as it was before the call.
 * Returns 0, or -EINVAL (syntax, NUL byte), -ENOBUFS (a line longer than UNIT_LINE_MAX),
 * -EFBIG (size above UNIT_FILE_SIZE_MAX), -E2BIG (more than UNIT_ENTRIES_MAX entries in uf),
 * -ENOMEM; *err is set for all but -ENOMEM. */
int unit_file_parse(UnitFile *uf, const char *path, const char *data, size_t size, char **err);

/* Reads path and parses it as above. Never blocks on a FIFO or device: non-regular files are
 * refused (-EISDIR for a directory, -EBADFD otherwise), as are files above UNIT_FILE_SIZE_MAX
 * (-EFBIG). Open and read errors are returned as is, with "PATH: strerror" in *err. */
int unit_file_load(UnitFile *uf, const char *path, char **err);

/* definition_find() + unit_file_load() of the main file and then of every drop-in, in order.
 * On failure uf is left as it was before the call. -ENOENT, -ERFKILL and -EINVAL (bad name) come
 * with "definition 'NAME' not found (searched DIR:DIR…)" / "definition 'NAME' is masked" /
 * "invalid definition name 'NAME'" in *err.
 * *ret_main_path (may be NULL) receives the main file's path on success. */
int unit_file_load_definition(const char *name, UnitFile *uf, char **ret_main_path, char **err);

/* Iterates over the entries of section (NULL: any) with key (NULL: any key), in file order.
 * Start with *iter = 0. */
const UnitEntry *unit_file_next(const UnitFile *uf, const char *section, const char *key, size_t *iter);
/* The last entry of section with key (the one that wins for a single-valued key), or NULL. */
const UnitEntry *unit_file_last(const UnitFile *uf, const char *section, const char *key);

/* systemd's word splitting of a value, extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE):
 * words separated by whitespace; "…" and '…' quote (also mid-word: a"b c"d is one word "ab cd";
 * "" is an empty word); backslash escapes \a \b \f \n \r \t \v \\ \" \' \s \xNN \NNN (octal)
 * \uNNNN \UNNNNNNNN work inside and outside quotes. Unbalanced quotes, unknown escapes, escapes
 * of NUL and a trailing backslash are errors (-EINVAL, reason in *err, without file:line: the
 * caller adds the entry's). On success *ret_words is a NULL-terminated list (empty for a blank
 * value), free with strv_free(), and the number of words is returned. */
int unit_value_split(const char *value, char ***ret_words, char **err);

/* 1 yes y true t on / 0 no n false f off, case-insensitive; else -EINVAL. */
int unit_value_bool(const char *v, bool *ret);

/* [A-Za-z0-9_.:@-]{1,200}, not starting with '.'. */
bool definition_name_is_valid(const char *name);

/* The directories searched, in order: the non-empty colon-separated entries of
 * $CTR_DEFINITION_PATH if it is set (even when that leaves none), else /etc/ctr, /run/ctr,
 * /usr/lib/ctr. */
int definition_search_path(char ***ret);

/* The first directory of the search path holding NAME.ctr (following symlinks; dangling ones do
 * not count) wins, whatever its file type: unit_file_load() then refuses what is not a regular
 * file. If that file is empty or a character device (a symlink to /dev/null), the definition is
 * masked: -ERFKILL, as systemd returns for masked units. No NAME.ctr anywhere: -ENOENT. Bad
 * NAME: -EINVAL.
 *
 * Drop-ins are NAME.ctr.d/X.conf in every directory of the path (hidden files skipped); a file
 * name in an earlier directory overrides the same name in later ones; an empty one or a symlink
 * to /dev/null masks that name (and is not returned); entries that are not regular files (or are
 * dangling symlinks) are skipped. *ret_dropins (may be NULL) lists their paths in lexical order of
 * the file name, NULL-terminated, possibly empty. */
int definition_find(const char *name, char **ret_path, char ***ret_dropins);

/* The names of all NAME.ctr (valid names only, masked ones included, dangling symlinks not) in the
 * search path, sorted and deduplicated, NULL-terminated. */
int definition_list(char ***ret_names);
