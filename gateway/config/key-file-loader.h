/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * key-file-loader.h: reading a hand-written GKeyFile (the daemon's
 * configuration, pipeline definitions, realtimesrc's params file) and
 * reporting every mistake in it, not only the first.
 *
 * Each problem is one line naming the file, and the group and key when
 * there is one:
 *
 *   PATH: [group] key: message
 *   PATH: [group] message
 *   PATH: message
 *
 * A control character from the file (a newline GKeyFile unescaped from
 * "\n") is written as \xNN and bytes that are not UTF-8 as U+FFFD, so a
 * problem never spans two lines.
 *
 * Values: surrounding blanks are removed, and an empty value counts as
 * not set (the default applies), as for a key that is absent. Booleans are
 * "true" or "false"; times are seconds with fractions, stored in
 * milliseconds, at most a day.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Longest time a key may hold: a day, far above any sane timeout, and
 * small enough that milliseconds fit a guint. */
#define KEY_FILE_LOADER_SECONDS_MAX 86400

typedef struct
{
  GKeyFile *key_file; /* owned */
  const gchar *path; /* borrowed: outlives the loader */
  GPtrArray *problems; /* lines (g_free), never NULL after init */
  guint n_problems; /* added by this loader */
  /*< private >*/
  GPtrArray *own_problems;
} KeyFileLoader;

/* Prepares @loader for @path (not read yet). Problems are appended to
 * @problems, or to an array of the loader's own when it is NULL. */
void key_file_loader_init (KeyFileLoader *loader, const gchar *path,
    GPtrArray *problems);
void key_file_loader_clear (KeyFileLoader *loader);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (KeyFileLoader, key_file_loader_clear)

/* Reads the file; on failure reports "PATH: message" and returns FALSE. */
gboolean key_file_loader_load (KeyFileLoader *loader);

/* Appends one problem line (see above); @group and @key may be NULL. */
void key_file_loader_problem (KeyFileLoader *loader, const gchar *group,
    const gchar *key, const gchar *format, ...) G_GNUC_PRINTF (4, 5);

/* Appends "PATH: LINE" for each non-empty line of @lines (the
 * "[group] key: message" lines of a params.c error). */
void key_file_loader_problem_lines (KeyFileLoader *loader, const gchar *lines);

/* Reports every group not in @known ("NAME", or "PREFIX*" for a family of
 * groups such as "param:*") as "[group] unknown group (expected ...)". */
void
key_file_loader_check_groups (KeyFileLoader *loader, const gchar *const *known);

/* Reports a missing @group as "missing [group] group"; TRUE when it is
 * there. */
gboolean
key_file_loader_require_group (KeyFileLoader *loader, const gchar *group);

/* Reports every key of @group not in @known as "unknown key (known:
 * ...)". */
void key_file_loader_check_keys (KeyFileLoader *loader, const gchar *group,
    const gchar *const *known);

/* The raw (not unescaped) text of @key without surrounding blanks, or NULL
 * when it is absent or empty: for numbers, booleans and keywords. */
gchar *key_file_loader_get_value (KeyFileLoader *loader, const gchar *group,
    const gchar *key);

/* The text of @key (escapes such as \n unescaped), without surrounding
 * blanks; NULL when absent or empty, which with @required is reported
 * ("missing", "empty"), as is a bad escape. */
gchar *key_file_loader_get_string (KeyFileLoader *loader, const gchar *group,
    const gchar *key, gboolean required);

/* "true" or "false" into @out; leaves @out alone when the key is not set
 * or is wrong (reported). TRUE when @out was set. */
gboolean key_file_loader_get_bool (KeyFileLoader *loader, const gchar *group,
    const gchar *key, gboolean *out);

/* Seconds (fractions allowed) from @min_ms / 1000 to a day, into @out_ms
 * rounded to the millisecond; as for key_file_loader_get_bool() otherwise. */
gboolean key_file_loader_get_seconds (KeyFileLoader *loader, const gchar *group,
    const gchar *key, guint min_ms, guint *out_ms);

/* A whole number from @min to @max into @out; as for
 * key_file_loader_get_bool() otherwise. */
gboolean key_file_loader_get_uint (KeyFileLoader *loader, const gchar *group,
    const gchar *key, guint min, guint max, guint *out);

/* The raw text of @key in @key_file without surrounding blanks (empty
 * kept), or NULL when absent. */
gchar *
key_file_get_raw (GKeyFile *key_file, const gchar *group, const gchar *key);

G_END_DECLS
