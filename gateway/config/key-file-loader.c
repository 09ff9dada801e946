/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * key-file-loader.c: problems of hand-written key files, one line each
 * (see key-file-loader.h).
 *
 * Loading never stops at the first mistake: check-config and a refused
 * `run` must show the operator every problem of every file at once. Unknown
 * groups and keys are problems too, because a misspelt key that is
 * silently ignored leaves a robot running without the setting its operator
 * wrote down.
 */
#include "key-file-loader.h"

#include <math.h> /* isfinite, a macro: no libm */
#include <string.h>

/**
 * key_file_loader_init:
 * @loader: (out caller-allocates): the loader
 * @path: the file to read; must outlive @loader
 * @problems: (element-type utf8) (nullable): where problem lines go
 *
 * Prepares @loader; nothing is read before key_file_loader_load().
 */
void
key_file_loader_init (KeyFileLoader *loader, const gchar *path,
    GPtrArray *problems)
{
  memset (loader, 0, sizeof *loader);
  loader->key_file = g_key_file_new ();
  loader->path = path;
  if (!problems) {
    loader->own_problems = g_ptr_array_new_with_free_func (g_free);
    problems = loader->own_problems;
  }
  loader->problems = problems;
}

/**
 * key_file_loader_clear:
 * @loader: an initialised loader
 *
 * Frees what the loader holds (not the caller's problem array).
 */
void
key_file_loader_clear (KeyFileLoader *loader)
{
  g_clear_pointer (&loader->key_file, g_key_file_unref);
  g_clear_pointer (&loader->own_problems, g_ptr_array_unref);
  loader->problems = NULL;
}

/**
 * key_file_loader_load:
 * @loader: an initialised loader
 *
 * Reads the loader's file into its key file.
 *
 * Returns: %TRUE on success; otherwise the reason is a problem line
 */
gboolean
key_file_loader_load (KeyFileLoader *loader)
{
  g_autoptr (GError) error = NULL;

  if (g_key_file_load_from_file (loader->key_file, loader->path,
          G_KEY_FILE_NONE, &error))
    return TRUE;
  key_file_loader_problem (loader, NULL, NULL, "%s", error->message);
  return FALSE;
}

/* A problem is one line: a control character from the file (say a
 * newline, which GKeyFile unescapes from \n in a value, quoted back in a
 * message) is written as \xNN, and bytes that are not UTF-8 as U+FFFD. */
static gchar *
one_line (const gchar *text)
{
  g_autofree gchar *valid = g_utf8_make_valid (text, -1);
  GString *out = g_string_sized_new (strlen (valid));
  const gchar *p;

  for (p = valid; *p; p++) {
    if ((guchar)*p < 0x20 || *p == 0x7f)
      g_string_append_printf (out, "\\x%02x", (guchar)*p);
    else
      g_string_append_c (out, *p);
  }
  return g_string_free (out, FALSE);
}

static void
add_line (KeyFileLoader *loader, gchar *line)
{
  g_ptr_array_add (loader->problems, line);
  loader->n_problems++;
}

/**
 * key_file_loader_problem:
 * @loader: an initialised loader
 * @group: (nullable): the group the problem is in
 * @key: (nullable): the key the problem is in (with @group)
 * @format: printf() format of the message
 * @...: its arguments
 *
 * Appends one problem line: "PATH: [group] key: message", "PATH: [group]
 * message" or "PATH: message".
 */
void
key_file_loader_problem (KeyFileLoader *loader, const gchar *group,
    const gchar *key, const gchar *format, ...)
{
  g_autofree gchar *raw = NULL;
  g_autofree gchar *message = NULL;
  g_autofree gchar *safe_group = group ? one_line (group) : NULL;
  g_autofree gchar *safe_key = key ? one_line (key) : NULL;
  va_list args;

  va_start (args, format);
  raw = g_strdup_vprintf (format, args);
  va_end (args);
  message = one_line (raw);

  if (group && key)
    add_line (loader,
        g_strdup_printf ("%s: [%s] %s: %s", loader->path, safe_group, safe_key,
            message));
  else if (group)
    add_line (loader,
        g_strdup_printf ("%s: [%s] %s", loader->path, safe_group, message));
  else
    add_line (loader, g_strdup_printf ("%s: %s", loader->path, message));
}

/**
 * key_file_loader_problem_lines:
 * @loader: an initialised loader
 * @lines: problem lines without the path, separated by newlines
 *
 * Appends "PATH: LINE" for each non-empty line: params.c reports every
 * problem of a [param:NAME] group in one error, one "[group] key: message"
 * line each.
 */
void
key_file_loader_problem_lines (KeyFileLoader *loader, const gchar *lines)
{
  g_auto (GStrv) split = g_strsplit (lines, "\n", -1);
  guint i;

  for (i = 0; split[i]; i++) {
    g_autofree gchar *line = NULL;

    if (split[i][0] == '\0')
      continue;
    line = one_line (split[i]);
    add_line (loader, g_strdup_printf ("%s: %s", loader->path, line));
  }
}

static gboolean
group_is_known (const gchar *group, const gchar *const *known)
{
  guint i;

  for (i = 0; known[i]; i++) {
    gsize len = strlen (known[i]);

    if (len > 0 && known[i][len - 1] == '*') {
      if (strncmp (group, known[i], len - 1) == 0)
        return TRUE;
    } else if (strcmp (group, known[i]) == 0) {
      return TRUE;
    }
  }
  return FALSE;
}

/* "[realtime], [gateway]" or "[pipeline], [param:NAME]". */
static gchar *
describe_groups (const gchar *const *known)
{
  GString *out = g_string_new (NULL);
  guint i;

  for (i = 0; known[i]; i++) {
    gsize len = strlen (known[i]);

    if (i > 0)
      g_string_append (out, ", ");
    g_string_append_c (out, '[');
    if (len > 0 && known[i][len - 1] == '*')
      g_string_append_printf (out, "%.*sNAME", (gint)(len - 1), known[i]);
    else
      g_string_append (out, known[i]);
    g_string_append_c (out, ']');
  }
  return g_string_free (out, FALSE);
}

/**
 * key_file_loader_check_groups:
 * @loader: a loaded loader
 * @known: (array zero-terminated=1): the group names the file may hold;
 *   one ending in "*" stands for every group starting with what precedes it
 *
 * Reports each other group as "[group] unknown group (expected ...)".
 */
void
key_file_loader_check_groups (KeyFileLoader *loader, const gchar *const *known)
{
  g_auto (GStrv) groups = g_key_file_get_groups (loader->key_file, NULL);
  g_autofree gchar *expected = NULL;
  guint i;

  for (i = 0; groups[i]; i++) {
    if (group_is_known (groups[i], known))
      continue;
    if (!expected)
      expected = describe_groups (known);
    key_file_loader_problem (loader, groups[i], NULL,
        "unknown group (expected %s)", expected);
  }
}

/**
 * key_file_loader_require_group:
 * @loader: a loaded loader
 * @group: a group the file must have
 *
 * Returns: %TRUE when @group is there; otherwise "missing [group] group"
 *   is a problem line
 */
gboolean
key_file_loader_require_group (KeyFileLoader *loader, const gchar *group)
{
  if (g_key_file_has_group (loader->key_file, group))
    return TRUE;
  key_file_loader_problem (loader, NULL, NULL, "missing [%s] group", group);
  return FALSE;
}

/**
 * key_file_loader_check_keys:
 * @loader: a loaded loader
 * @group: a group (absent: nothing to check)
 * @known: (array zero-terminated=1): the keys @group may hold
 *
 * Reports each other key of @group as "unknown key (known: ...)".
 */
void
key_file_loader_check_keys (KeyFileLoader *loader, const gchar *group,
    const gchar *const *known)
{
  g_auto (GStrv) keys
      = g_key_file_get_keys (loader->key_file, group, NULL, NULL);
  g_autofree gchar *list = NULL;
  guint i;

  for (i = 0; keys && keys[i]; i++) {
    if (g_strv_contains (known, keys[i]))
      continue;
    if (!list)
      list = g_strjoinv (", ", (gchar **)known);
    key_file_loader_problem (loader, group, keys[i], "unknown key (known: %s)",
        list);
  }
}

/**
 * key_file_get_raw:
 * @key_file: a key file
 * @group: a group
 * @key: a key
 *
 * Returns: (transfer full) (nullable): the value as written (escapes kept)
 *   without surrounding blanks, or %NULL when @key is absent
 */
gchar *
key_file_get_raw (GKeyFile *key_file, const gchar *group, const gchar *key)
{
  gchar *raw = g_key_file_get_value (key_file, group, key, NULL);

  return raw ? g_strstrip (raw) : NULL;
}

/**
 * key_file_loader_get_value:
 * @loader: a loaded loader
 * @group: a group
 * @key: a key
 *
 * Returns: (transfer full) (nullable): the raw value without surrounding
 *   blanks, or %NULL when it is absent or empty
 */
gchar *
key_file_loader_get_value (KeyFileLoader *loader, const gchar *group,
    const gchar *key)
{
  gchar *raw = key_file_get_raw (loader->key_file, group, key);

  if (raw && raw[0] == '\0')
    g_clear_pointer (&raw, g_free);
  return raw;
}

/**
 * key_file_loader_get_string:
 * @loader: a loaded loader
 * @group: a group
 * @key: a key
 * @required: report an absent or empty value
 *
 * Reads a text value, escapes unescaped. A bad escape is always a
 * problem; with @required so is a value that is absent ("missing") or
 * empty ("empty").
 *
 * Returns: (transfer full) (nullable): the value without surrounding
 *   blanks, or %NULL when it is absent, empty or wrong
 */
gchar *
key_file_loader_get_string (KeyFileLoader *loader, const gchar *group,
    const gchar *key, gboolean required)
{
  g_autoptr (GError) error = NULL;
  gchar *value;

  if (!g_key_file_has_key (loader->key_file, group, key, NULL)) {
    if (required)
      key_file_loader_problem (loader, group, key, "missing");
    return NULL;
  }
  value = g_key_file_get_string (loader->key_file, group, key, &error);
  if (!value) {
    key_file_loader_problem (loader, group, key, "%s", error->message);
    return NULL;
  }
  if (g_strstrip (value)[0] == '\0') {
    g_free (value);
    if (required)
      key_file_loader_problem (loader, group, key, "empty");
    return NULL;
  }
  return value;
}

/**
 * key_file_loader_get_bool:
 * @loader: a loaded loader
 * @group: a group
 * @key: a key
 * @out: (inout): the value, left alone unless one is read
 *
 * Reads "true" or "false"; anything else is a problem.
 *
 * Returns: %TRUE when @out was set
 */
gboolean
key_file_loader_get_bool (KeyFileLoader *loader, const gchar *group,
    const gchar *key, gboolean *out)
{
  g_autofree gchar *raw = key_file_loader_get_value (loader, group, key);

  if (!raw)
    return FALSE;
  if (strcmp (raw, "true") == 0) {
    *out = TRUE;
  } else if (strcmp (raw, "false") == 0) {
    *out = FALSE;
  } else {
    key_file_loader_problem (loader, group, key, "\"%s\" is not true or false",
        raw);
    return FALSE;
  }
  return TRUE;
}

/**
 * key_file_loader_get_seconds:
 * @loader: a loaded loader
 * @group: a group
 * @key: a key
 * @min_ms: the smallest value accepted, in milliseconds
 * @out_ms: (inout): the value in milliseconds, left alone unless one is
 *   read
 *
 * Reads a number of seconds, fractions allowed, from @min_ms / 1000 to
 * %KEY_FILE_LOADER_SECONDS_MAX; anything else is a problem.
 *
 * Returns: %TRUE when @out_ms was set
 */
gboolean
key_file_loader_get_seconds (KeyFileLoader *loader, const gchar *group,
    const gchar *key, guint min_ms, guint *out_ms)
{
  g_autofree gchar *raw = key_file_loader_get_value (loader, group, key);
  gchar *end = NULL;
  gdouble s;

  if (!raw)
    return FALSE;
  s = g_ascii_strtod (raw, &end);
  if (end == raw || *end != '\0' || !isfinite (s)) {
    key_file_loader_problem (loader, group, key,
        "\"%s\" is not a number of seconds", raw);
    return FALSE;
  }
  if (s < min_ms / 1000.0 || s > KEY_FILE_LOADER_SECONDS_MAX) {
    key_file_loader_problem (loader, group, key,
        "%s is out of range (%g to %d seconds)", raw, min_ms / 1000.0,
        KEY_FILE_LOADER_SECONDS_MAX);
    return FALSE;
  }
  /* s is not negative here: adding a half rounds to the nearest ms. */
  *out_ms = (guint)(s * 1000.0 + 0.5);
  return TRUE;
}

/**
 * key_file_loader_get_uint:
 * @loader: a loaded loader
 * @group: a group
 * @key: a key
 * @min: the smallest value accepted
 * @max: the largest value accepted
 * @out: (inout): the value, left alone unless one is read
 *
 * Reads a whole number in decimal from @min to @max; anything else is a
 * problem.
 *
 * Returns: %TRUE when @out was set
 */
gboolean
key_file_loader_get_uint (KeyFileLoader *loader, const gchar *group,
    const gchar *key, guint min, guint max, guint *out)
{
  g_autofree gchar *raw = key_file_loader_get_value (loader, group, key);
  guint64 v;

  if (!raw)
    return FALSE;
  if (!g_ascii_string_to_unsigned (raw, 10, min, max, &v, NULL)) {
    key_file_loader_problem (loader, group, key,
        "\"%s\" is not an integer in %u..%u", raw, min, max);
    return FALSE;
  }
  *out = (guint)v;
  return TRUE;
}
