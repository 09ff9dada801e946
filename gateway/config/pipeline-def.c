/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * pipeline-def.c: pipeline definition files (see pipeline-def.h).
 *
 * Loading never stops at the first mistake: check-config and a refused
 * `run` must show the operator every problem of every file at once, one
 * line each, naming the file, group and key. Unknown groups and keys are
 * problems too, because a misspelt "max-ttl" that is silently ignored
 * leaves a robot streaming without the limit its operator wrote down.
 */
#include "pipeline-def.h"

#include <math.h> /* isfinite, a macro: no libm */
#include <string.h>

#include "request.h"

#define PIPELINE_GROUP "pipeline"
#define PARAM_GROUP_PREFIX "param:"
#define SUFFIX ".pipeline"
#define NAME_MAX_LEN 64

/* Longest time any time key may hold: a day, far above any sane timeout,
 * and small enough that milliseconds fit a guint. */
#define TIME_MAX_S 86400.0

#define DEFAULT_RESTART_BACKOFF_MIN_MS 1000
#define DEFAULT_RESTART_BACKOFF_MAX_MS 30000
#define DEFAULT_MAX_RESTARTS 5

static const gchar *const pipeline_keys[] = { "description", "summary",
  "start-timeout", "stop-timeout", "default-ttl", "max-ttl", "restart",
  "restart-backoff-min", "restart-backoff-max", "max-restarts", "warm", NULL };

/* The keys of a [param:*] group that may hold ${VAR}: the description and
 * the fixed text around string values (a directory, an extension). Not
 * patterns, where "$" is an anchor. */
static const gchar *const param_substituted_keys[]
    = { "prefix", "suffix", NULL };

typedef struct
{
  const gchar *path;
  GPtrArray *problems;
  guint count;
} Loader;

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

static void add_problem (Loader *l, const gchar *group, const gchar *key,
    const gchar *format, ...) G_GNUC_PRINTF (4, 5);

static void
add_problem (Loader *l, const gchar *group, const gchar *key,
    const gchar *format, ...)
{
  g_autofree gchar *raw = NULL;
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  raw = g_strdup_vprintf (format, args);
  va_end (args);
  message = one_line (raw);

  if (group && key)
    g_ptr_array_add (l->problems,
        g_strdup_printf ("%s: [%s] %s: %s", l->path, group, key, message));
  else if (group)
    g_ptr_array_add (l->problems,
        g_strdup_printf ("%s: [%s] %s", l->path, group, message));
  else
    g_ptr_array_add (l->problems, g_strdup_printf ("%s: %s", l->path, message));
  l->count++;
}

/* Errors from params.c hold one "[group] key: message" line per problem. */
static void
add_problem_lines (Loader *l, const gchar *lines)
{
  g_auto (GStrv) split = g_strsplit (lines, "\n", -1);
  guint i;

  for (i = 0; split[i]; i++) {
    g_autofree gchar *line = NULL;

    if (split[i][0] == '\0')
      continue;
    line = one_line (split[i]);
    g_ptr_array_add (l->problems, g_strdup_printf ("%s: %s", l->path, line));
    l->count++;
  }
}

/**
 * pipeline_def_name_is_valid:
 * @name: (nullable): a candidate pipeline name
 *
 * Pipeline names come from file names and from requests, and appear in
 * logs, metrics labels and replies, so they are kept to a tame alphabet.
 *
 * Returns: %TRUE when @name is 1 to 64 of [A-Za-z0-9_-]
 */
gboolean
pipeline_def_name_is_valid (const gchar *name)
{
  gsize i;

  if (!name || name[0] == '\0')
    return FALSE;
  for (i = 0; name[i]; i++) {
    if (i >= NAME_MAX_LEN)
      return FALSE;
    if (!g_ascii_isalnum (name[i]) && name[i] != '_' && name[i] != '-')
      return FALSE;
  }
  return TRUE;
}

static const gchar *
lookup_var (const gchar *const *vars, const gchar *name, gsize len)
{
  guint i;

  for (i = 0; vars && vars[i]; i++) {
    if (strncmp (vars[i], name, len) == 0 && vars[i][len] == '=')
      return vars[i] + len + 1;
  }
  return NULL;
}

/* Replaces each ${NAME} in @text with its value from @vars. A "$" not
 * followed by "{" is kept as it is. */
static gchar *
substitute (const gchar *text, const gchar *const *vars, GError **error)
{
  GString *out = g_string_new (NULL);
  const gchar *p = text;

  while (*p) {
    const gchar *start = strstr (p, "${");
    const gchar *end, *value;
    gsize len, i;

    if (!start) {
      g_string_append (out, p);
      break;
    }
    g_string_append_len (out, p, start - p);
    end = strchr (start + 2, '}');
    if (!end) {
      g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
          "unterminated \"${\"");
      goto fail;
    }
    len = end - (start + 2);
    for (i = 0; i < len; i++) {
      gchar c = start[2 + i];

      if (!(g_ascii_isalnum (c) || c == '_') || (i == 0 && g_ascii_isdigit (c)))
        break;
    }
    if (len == 0 || i < len) {
      g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
          "\"${%.*s}\" is not a variable name", (gint)MIN (len, 64), start + 2);
      goto fail;
    }
    value = lookup_var (vars, start + 2, len);
    if (!value) {
      g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
          "unknown variable ${%.*s}", (gint)MIN (len, 64), start + 2);
      goto fail;
    }
    g_string_append (out, value);
    p = end + 1;
  }
  return g_string_free (out, FALSE);

fail:
  g_string_free (out, TRUE);
  return NULL;
}

static gchar *
get_raw (GKeyFile *kf, const gchar *group, const gchar *key)
{
  gchar *raw = g_key_file_get_value (kf, group, key, NULL);

  return raw ? g_strstrip (raw) : NULL;
}

/* A time key in seconds (fractions allowed) as milliseconds; @min_ms is
 * the smallest accepted value. */
static void
parse_time (Loader *l, GKeyFile *kf, const gchar *key, guint min_ms,
    guint *out_ms)
{
  g_autofree gchar *raw = get_raw (kf, PIPELINE_GROUP, key);
  gchar *end = NULL;
  gdouble s;

  if (!raw)
    return;
  s = g_ascii_strtod (raw, &end);
  if (raw[0] == '\0' || *end != '\0' || !isfinite (s)) {
    add_problem (l, PIPELINE_GROUP, key, "\"%s\" is not a number of seconds",
        raw);
    return;
  }
  if (s < min_ms / 1000.0 || s > TIME_MAX_S) {
    add_problem (l, PIPELINE_GROUP, key,
        "%s is out of range (%g to %g "
        "seconds)",
        raw, min_ms / 1000.0, TIME_MAX_S);
    return;
  }
  /* s is not negative here: adding a half rounds to the nearest ms. */
  *out_ms = (guint)(s * 1000.0 + 0.5);
}

static void
parse_uint (Loader *l, GKeyFile *kf, const gchar *key, guint max, guint *out)
{
  g_autofree gchar *raw = get_raw (kf, PIPELINE_GROUP, key);
  guint64 v;

  if (!raw)
    return;
  if (!g_ascii_string_to_unsigned (raw, 10, 0, max, &v, NULL)) {
    add_problem (l, PIPELINE_GROUP, key, "\"%s\" is not an integer in 0..%u",
        raw, max);
    return;
  }
  *out = (guint)v;
}

static void
parse_pipeline_group (Loader *l, GKeyFile *kf, PipelineDef *def,
    const gchar *const *vars)
{
  g_auto (GStrv) keys = g_key_file_get_keys (kf, PIPELINE_GROUP, NULL, NULL);
  g_autofree gchar *restart = NULL;
  g_autofree gchar *warm = NULL;
  g_autofree gchar *description = NULL;
  g_autoptr (GError) error = NULL;
  guint i;

  for (i = 0; keys && keys[i]; i++) {
    if (!g_strv_contains (pipeline_keys, keys[i])) {
      g_autofree gchar *known = g_strjoinv (", ", (gchar **)pipeline_keys);

      add_problem (l, PIPELINE_GROUP, keys[i], "unknown key (known: %s)",
          known);
    }
  }

  if (!g_key_file_has_key (kf, PIPELINE_GROUP, "description", NULL)) {
    add_problem (l, PIPELINE_GROUP, "description",
        "missing: the "
        "gst-launch description of the pipeline");
  } else if (!(description = g_key_file_get_string (kf, PIPELINE_GROUP,
                   "description", &error))) {
    add_problem (l, PIPELINE_GROUP, "description", "%s", error->message);
    g_clear_error (&error);
  } else if (!(def->description = substitute (description, vars, &error))) {
    add_problem (l, PIPELINE_GROUP, "description", "%s", error->message);
    g_clear_error (&error);
  } else if (g_strstrip (def->description)[0] == '\0') {
    add_problem (l, PIPELINE_GROUP, "description", "empty");
  }

  if (g_key_file_has_key (kf, PIPELINE_GROUP, "summary", NULL)) {
    def->summary
        = g_key_file_get_string (kf, PIPELINE_GROUP, "summary", &error);
    if (!def->summary) {
      add_problem (l, PIPELINE_GROUP, "summary", "%s", error->message);
      g_clear_error (&error);
    }
  }

  parse_time (l, kf, "start-timeout", 1, &def->start_timeout_ms);
  parse_time (l, kf, "stop-timeout", 1, &def->stop_timeout_ms);
  parse_time (l, kf, "restart-backoff-min", 0, &def->restart_backoff_min_ms);
  parse_time (l, kf, "restart-backoff-max", 1, &def->restart_backoff_max_ms);
  if (def->restart_backoff_min_ms > def->restart_backoff_max_ms)
    add_problem (l, PIPELINE_GROUP, "restart-backoff-min",
        "%g s is above "
        "restart-backoff-max %g s",
        def->restart_backoff_min_ms / 1000.0,
        def->restart_backoff_max_ms / 1000.0);

  parse_uint (l, kf, "default-ttl", GATEWAY_TTL_MAX_S, &def->default_ttl_s);
  parse_uint (l, kf, "max-ttl", GATEWAY_TTL_MAX_S, &def->max_ttl_s);
  /* With a maximum set, a start without ttl must still get a lease within
   * it: "no lease" is the longest lease of all. */
  if (def->max_ttl_s > 0
      && (def->default_ttl_s == 0 || def->default_ttl_s > def->max_ttl_s))
    add_problem (l, PIPELINE_GROUP, "default-ttl", "%u%s exceeds max-ttl %u",
        def->default_ttl_s, def->default_ttl_s ? "" : " (no lease)",
        def->max_ttl_s);
  parse_uint (l, kf, "max-restarts", G_MAXINT, &def->max_restarts);

  restart = get_raw (kf, PIPELINE_GROUP, "restart");
  if (!restart || strcmp (restart, "never") == 0)
    def->restart = PIPELINE_RESTART_NEVER;
  else if (strcmp (restart, "on-failure") == 0)
    def->restart = PIPELINE_RESTART_ON_FAILURE;
  else
    add_problem (l, PIPELINE_GROUP, "restart",
        "unknown policy \"%s\" "
        "(never or on-failure)",
        restart);

  warm = get_raw (kf, PIPELINE_GROUP, "warm");
  if (!warm || strcmp (warm, "false") == 0)
    def->warm = FALSE;
  else if (strcmp (warm, "true") == 0)
    def->warm = TRUE;
  else
    add_problem (l, PIPELINE_GROUP, "warm", "\"%s\" is not true or false",
        warm);
}

static void
parse_param_group (Loader *l, GKeyFile *kf, const gchar *group,
    PipelineDef *def, const gchar *const *vars)
{
  g_autoptr (GError) error = NULL;
  GatewayParam *param;
  guint i;

  for (i = 0; param_substituted_keys[i]; i++) {
    const gchar *key = param_substituted_keys[i];
    g_autofree gchar *value = NULL;
    g_autofree gchar *substituted = NULL;

    if (!g_key_file_has_key (kf, group, key, NULL))
      continue;
    /* A bad escape is left for the param parser to report. */
    value = g_key_file_get_string (kf, group, key, NULL);
    if (!value)
      continue;
    substituted = substitute (value, vars, &error);
    if (!substituted) {
      add_problem (l, group, key, "%s", error->message);
      g_clear_error (&error);
      continue;
    }
    g_key_file_set_string (kf, group, key, substituted);
  }

  param = gateway_param_new_from_key_file (kf, group, &error);
  if (!param) {
    add_problem_lines (l, error->message);
    return;
  }
  g_ptr_array_add (def->params, param);
}

/* A GCompareFunc for gst_iterator_find_custom(): 0 on a sink. */
static gint
element_is_sink (gconstpointer item, gconstpointer user_data)
{
  GstElement *element = g_value_get_object (item);

  return GST_OBJECT_FLAG_IS_SET (element, GST_ELEMENT_FLAG_SINK) ? 0 : 1;
}

/* Parses the description as the on-demand pipeline will, and checks what
 * can only be checked on real elements. Nothing is ever started. */
static void
check_on_elements (Loader *l, PipelineDef *def)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) parsed = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstIterator) it = NULL;
  GValue found = G_VALUE_INIT;
  guint i;

  /* FATAL_ERRORS: a missing element or an impossible link must fail here
   * rather than give back a half-built pipeline with a "recoverable"
   * error. */
  parsed = gst_parse_launch_full (def->description, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, &error);
  if (!parsed || error) {
    add_problem (l, PIPELINE_GROUP, "description", "does not parse: %s",
        error ? error->message : "no element");
    return;
  }

  /* A lone element or bin comes back as itself; gst-launch wraps it in a
   * pipeline, and so does everything here. */
  if (GST_IS_PIPELINE (parsed)) {
    pipeline = g_steal_pointer (&parsed);
  } else {
    pipeline = gst_pipeline_new (NULL);
    gst_bin_add (GST_BIN (pipeline), g_steal_pointer (&parsed));
  }

  it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  if (!gst_iterator_find_custom (it, element_is_sink, &found, NULL))
    add_problem (l, PIPELINE_GROUP, "description",
        "has no sink element, so "
        "no buffer can ever reach one and every start would time out");
  else
    g_value_unset (&found);

  for (i = 0; i < def->params->len; i++) {
    const GatewayParam *param = g_ptr_array_index (def->params, i);

    g_clear_error (&error);
    if (!gateway_param_check_target (param, GST_BIN (pipeline), &error))
      add_problem_lines (l, error->message);
  }
}

static PipelineDef *
pipeline_def_new (void)
{
  PipelineDef *def = g_new0 (PipelineDef, 1);

  def->ref_count = 1;
  def->start_timeout_ms = PIPELINE_DEF_DEFAULT_START_TIMEOUT_MS;
  def->stop_timeout_ms = PIPELINE_DEF_DEFAULT_STOP_TIMEOUT_MS;
  def->restart = PIPELINE_RESTART_NEVER;
  def->restart_backoff_min_ms = DEFAULT_RESTART_BACKOFF_MIN_MS;
  def->restart_backoff_max_ms = DEFAULT_RESTART_BACKOFF_MAX_MS;
  def->max_restarts = DEFAULT_MAX_RESTARTS;
  def->params
      = g_ptr_array_new_with_free_func ((GDestroyNotify)gateway_param_free);
  return def;
}

/**
 * pipeline_def_load:
 * @path: a NAME.pipeline file
 * @vars: (nullable) (array zero-terminated=1): "NAME=value" pairs for
 *   ${NAME} in the description and in param prefix and suffix values
 * @check_elements: also parse the description and check every param's
 *   target on the parsed elements
 * @problems: (element-type utf8) (nullable): where each problem is appended
 *   as a newly allocated line (the array should free with g_free())
 *
 * Reads and checks one definition. Every problem found is reported, not
 * only the first: unknown groups and keys, missing or bad values, bad
 * param declarations, unknown variables, an invalid file name, and with
 * @check_elements a description that does not parse, has no sink, or
 * lacks a param's target.
 *
 * Returns: (transfer full) (nullable): the definition, or %NULL when there
 *   was any problem
 */
PipelineDef *
pipeline_def_load (const gchar *path, const gchar *const *vars,
    gboolean check_elements, GPtrArray *problems)
{
  g_autoptr (GPtrArray) own_problems = NULL;
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (PipelineDef) def = NULL;
  g_autofree gchar *basename = NULL;
  g_auto (GStrv) groups = NULL;
  Loader l = { path, problems, 0 };
  guint i;

  g_return_val_if_fail (path != NULL, NULL);

  if (!problems) {
    own_problems = g_ptr_array_new_with_free_func (g_free);
    l.problems = own_problems;
  }

  def = pipeline_def_new ();
  def->path = g_strdup (path);
  basename = g_path_get_basename (path);
  if (!g_str_has_suffix (basename, SUFFIX)) {
    add_problem (&l, NULL, NULL, "the file name must end with \"" SUFFIX "\"");
  } else {
    def->name = g_strndup (basename, strlen (basename) - strlen (SUFFIX));
    if (!pipeline_def_name_is_valid (def->name))
      add_problem (&l, NULL, NULL,
          "\"%s\" is not a valid pipeline name "
          "(1 to %d of A-Z a-z 0-9 _ -)",
          def->name, NAME_MAX_LEN);
  }

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error)) {
    add_problem (&l, NULL, NULL, "%s", error->message);
    return NULL;
  }

  groups = g_key_file_get_groups (kf, NULL);
  for (i = 0; groups[i]; i++) {
    if (strcmp (groups[i], PIPELINE_GROUP) != 0
        && !g_str_has_prefix (groups[i], PARAM_GROUP_PREFIX))
      add_problem (&l, groups[i], NULL,
          "unknown group (expected "
          "[" PIPELINE_GROUP "] and [" PARAM_GROUP_PREFIX "NAME])");
  }

  if (!g_key_file_has_group (kf, PIPELINE_GROUP))
    add_problem (&l, NULL, NULL, "missing [" PIPELINE_GROUP "] group");
  else
    parse_pipeline_group (&l, kf, def, vars);

  for (i = 0; groups[i]; i++) {
    if (g_str_has_prefix (groups[i], PARAM_GROUP_PREFIX))
      parse_param_group (&l, kf, groups[i], def, vars);
  }

  /* Parsing is pointless when the text or the params are already wrong,
   * and its messages would only repeat theirs. */
  if (check_elements && l.count == 0)
    check_on_elements (&l, def);

  if (l.count > 0)
    return NULL;
  return g_steal_pointer (&def);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar *const *)a, *(const gchar *const *)b);
}

/**
 * pipeline_def_load_dirs:
 * @dirs: (array zero-terminated=1): directories, lowest priority first
 * @vars: (nullable) (array zero-terminated=1): as for pipeline_def_load()
 * @check_elements: as for pipeline_def_load()
 * @problems: (element-type utf8) (nullable): as for pipeline_def_load()
 *
 * Loads every regular file named *.pipeline in each directory, in name
 * order. A file in a later directory replaces the earlier one of the same
 * name; when the replacing file has problems, the earlier one is dropped
 * too, so a broken override never silently falls back. A directory that
 * does not exist is skipped (an optional override directory); one that
 * cannot be read is a problem.
 *
 * Returns: (transfer full) (element-type utf8 PipelineDef): name ->
 *   definition for every file that loaded without problems
 */
GHashTable *
pipeline_def_load_dirs (const gchar *const *dirs, const gchar *const *vars,
    gboolean check_elements, GPtrArray *problems)
{
  GHashTable *defs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify)pipeline_def_unref);
  guint d;

  for (d = 0; dirs && dirs[d]; d++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GDir) dir = g_dir_open (dirs[d], 0, &error);
    g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
    const gchar *entry;
    guint i;

    if (!dir) {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
          && problems)
        g_ptr_array_add (problems,
            g_strdup_printf ("%s: %s", dirs[d], error->message));
      continue;
    }
    while ((entry = g_dir_read_name (dir))) {
      if (g_str_has_suffix (entry, SUFFIX) && entry[0] != '.')
        g_ptr_array_add (names, g_strdup (entry));
    }
    g_ptr_array_sort (names, compare_strings);

    for (i = 0; i < names->len; i++) {
      const gchar *file = g_ptr_array_index (names, i);
      g_autofree gchar *path = g_build_filename (dirs[d], file, NULL);
      g_autofree gchar *name
          = g_strndup (file, strlen (file) - strlen (SUFFIX));
      PipelineDef *def;

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      def = pipeline_def_load (path, vars, check_elements, problems);
      if (def)
        g_hash_table_replace (defs, g_strdup (def->name), def);
      else
        g_hash_table_remove (defs, name);
    }
  }
  return defs;
}

/**
 * pipeline_def_ref:
 * @def: a definition
 *
 * Returns: (transfer full): @def, with one more reference
 */
PipelineDef *
pipeline_def_ref (PipelineDef *def)
{
  g_return_val_if_fail (def != NULL, NULL);
  g_atomic_int_inc (&def->ref_count);
  return def;
}

/**
 * pipeline_def_unref:
 * @def: (nullable): a definition
 *
 * Drops one reference, freeing @def with the last one.
 */
void
pipeline_def_unref (PipelineDef *def)
{
  if (!def || !g_atomic_int_dec_and_test (&def->ref_count))
    return;
  g_free (def->name);
  g_free (def->path);
  g_free (def->description);
  g_free (def->summary);
  g_ptr_array_unref (def->params);
  g_free (def);
}

/**
 * pipeline_def_find_param:
 * @def: a definition
 * @name: a param name
 *
 * Returns: (transfer none) (nullable): the declaration of @name, or %NULL
 */
const GatewayParam *
pipeline_def_find_param (const PipelineDef *def, const gchar *name)
{
  guint i;

  g_return_val_if_fail (def != NULL, NULL);
  for (i = 0; name && i < def->params->len; i++) {
    const GatewayParam *param = g_ptr_array_index (def->params, i);

    if (strcmp (param->name, name) == 0)
      return param;
  }
  return NULL;
}
