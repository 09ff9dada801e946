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

#include <string.h>

#include "key-file-loader.h"
#include "request.h"
#include "webrtc-pipeline.h"

#define PIPELINE_GROUP "pipeline"
#define PARAM_GROUP_PREFIX "param:"
#define SUFFIX ".pipeline"
#define NAME_MAX_LEN 64

#define DEFAULT_RESTART_BACKOFF_MIN_MS 1000
#define DEFAULT_RESTART_BACKOFF_MAX_MS 30000
#define DEFAULT_MAX_RESTARTS 5

static const gchar *const known_groups[]
    = { PIPELINE_GROUP, PARAM_GROUP_PREFIX "*", WEBRTC_OUTPUT_GROUP, NULL };

static const gchar *const pipeline_keys[]
    = { "description", "summary", "start-timeout", "stop-timeout",
        "default-ttl", "max-ttl", "restart", "restart-backoff-min",
        "restart-backoff-max", "max-restarts", "warm", "output", NULL };

/* The keys of a [param:*] group that may hold ${VAR}: the description and
 * the fixed text around string values (a directory, an extension). Not
 * patterns, where "$" is an anchor. */
static const gchar *const param_substituted_keys[]
    = { "prefix", "suffix", NULL };

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

static void
parse_description (KeyFileLoader *l, PipelineDef *def, const gchar *const *vars)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *description = NULL;

  if (!g_key_file_has_key (l->key_file, PIPELINE_GROUP, "description", NULL)) {
    key_file_loader_problem (l, PIPELINE_GROUP, "description",
        "missing: the gst-launch description of the pipeline");
    return;
  }
  description
      = key_file_loader_get_string (l, PIPELINE_GROUP, "description", TRUE);
  if (!description)
    return;
  def->description = substitute (description, vars, &error);
  if (!def->description)
    key_file_loader_problem (l, PIPELINE_GROUP, "description", "%s",
        error->message);
  else if (g_strstrip (def->description)[0] == '\0')
    key_file_loader_problem (l, PIPELINE_GROUP, "description", "empty");
}

/* output=sink (the default) or webrtc, with its [webrtc] group. */
static void
parse_output (KeyFileLoader *l, PipelineDef *def)
{
  g_autofree gchar *output
      = key_file_loader_get_value (l, PIPELINE_GROUP, "output");

  if (output && strcmp (output, "webrtc") == 0)
    def->webrtc = webrtc_output_def_load (l);
  else if (output && strcmp (output, "sink") != 0)
    key_file_loader_problem (l, PIPELINE_GROUP, "output",
        "unknown output \"%s\" (sink or webrtc)", output);
  else if (g_key_file_has_group (l->key_file, WEBRTC_OUTPUT_GROUP))
    key_file_loader_problem (l, WEBRTC_OUTPUT_GROUP, NULL,
        "only for output=webrtc");
}

static void
parse_pipeline_group (KeyFileLoader *l, PipelineDef *def,
    const gchar *const *vars)
{
  g_autofree gchar *restart = NULL;

  key_file_loader_check_keys (l, PIPELINE_GROUP, pipeline_keys);
  parse_description (l, def, vars);
  def->summary
      = key_file_loader_get_string (l, PIPELINE_GROUP, "summary", FALSE);

  key_file_loader_get_seconds (l, PIPELINE_GROUP, "start-timeout", 1,
      &def->start_timeout_ms);
  key_file_loader_get_seconds (l, PIPELINE_GROUP, "stop-timeout", 1,
      &def->stop_timeout_ms);
  key_file_loader_get_seconds (l, PIPELINE_GROUP, "restart-backoff-min", 0,
      &def->restart_backoff_min_ms);
  key_file_loader_get_seconds (l, PIPELINE_GROUP, "restart-backoff-max", 1,
      &def->restart_backoff_max_ms);
  if (def->restart_backoff_min_ms > def->restart_backoff_max_ms)
    key_file_loader_problem (l, PIPELINE_GROUP, "restart-backoff-min",
        "%g s is above restart-backoff-max %g s",
        def->restart_backoff_min_ms / 1000.0,
        def->restart_backoff_max_ms / 1000.0);

  key_file_loader_get_uint (l, PIPELINE_GROUP, "default-ttl", 0,
      GATEWAY_TTL_MAX_S, &def->default_ttl_s);
  key_file_loader_get_uint (l, PIPELINE_GROUP, "max-ttl", 0, GATEWAY_TTL_MAX_S,
      &def->max_ttl_s);
  /* With a maximum set, a start without ttl must still get a lease within
   * it: "no lease" is the longest lease of all. */
  if (def->max_ttl_s > 0
      && (def->default_ttl_s == 0 || def->default_ttl_s > def->max_ttl_s))
    key_file_loader_problem (l, PIPELINE_GROUP, "default-ttl",
        "%u%s exceeds max-ttl %u", def->default_ttl_s,
        def->default_ttl_s ? "" : " (no lease)", def->max_ttl_s);
  key_file_loader_get_uint (l, PIPELINE_GROUP, "max-restarts", 0, G_MAXINT,
      &def->max_restarts);

  restart = key_file_loader_get_value (l, PIPELINE_GROUP, "restart");
  if (!restart || strcmp (restart, "never") == 0)
    def->restart = PIPELINE_RESTART_NEVER;
  else if (strcmp (restart, "on-failure") == 0)
    def->restart = PIPELINE_RESTART_ON_FAILURE;
  else
    key_file_loader_problem (l, PIPELINE_GROUP, "restart",
        "unknown policy \"%s\" (never or on-failure)", restart);

  key_file_loader_get_bool (l, PIPELINE_GROUP, "warm", &def->warm);
  parse_output (l, def);
}

/* Substitutes @vars in the keys of @group that may hold ${VAR}, in the
 * key file itself, so that the param parser sees the final text. */
static void
substitute_param_keys (KeyFileLoader *l, const gchar *group,
    const gchar *const *vars)
{
  guint i;

  for (i = 0; param_substituted_keys[i]; i++) {
    const gchar *key = param_substituted_keys[i];
    g_autoptr (GError) error = NULL;
    g_autofree gchar *value = NULL;
    g_autofree gchar *substituted = NULL;

    /* A bad escape is left for the param parser to report. */
    value = g_key_file_get_string (l->key_file, group, key, NULL);
    if (!value)
      continue;
    substituted = substitute (value, vars, &error);
    if (!substituted) {
      key_file_loader_problem (l, group, key, "%s", error->message);
      continue;
    }
    g_key_file_set_string (l->key_file, group, key, substituted);
  }
}

/* The one [param:NAME] loop: every such group of the loader's file, in file
 * order, appended to @params; other groups are left to the caller. */
static void
parse_param_groups (KeyFileLoader *l, const gchar *const *vars,
    GPtrArray *params)
{
  g_auto (GStrv) groups = g_key_file_get_groups (l->key_file, NULL);
  guint i;

  for (i = 0; groups[i]; i++) {
    g_autoptr (GError) error = NULL;
    GatewayParam *param;

    if (!g_str_has_prefix (groups[i], PARAM_GROUP_PREFIX))
      continue;
    substitute_param_keys (l, groups[i], vars);
    param = gateway_param_new_from_key_file (l->key_file, groups[i], &error);
    if (param)
      g_ptr_array_add (params, param);
    else
      key_file_loader_problem_lines (l, error->message);
  }
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
check_on_elements (KeyFileLoader *l, PipelineDef *def)
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
  parsed = def->webrtc ? webrtc_pipeline_build (def, &error)
                       : gst_parse_launch_full (def->description, NULL,
                           GST_PARSE_FLAG_FATAL_ERRORS, &error);
  if (!parsed || error) {
    key_file_loader_problem (l, PIPELINE_GROUP, "description",
        "does not parse: %s", error ? error->message : "no element");
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
    key_file_loader_problem (l, PIPELINE_GROUP, "description",
        "has no sink element, so no buffer can ever reach one and every "
        "start would time out");
  else
    g_value_unset (&found);

  for (i = 0; i < def->params->len; i++) {
    const GatewayParam *param = g_ptr_array_index (def->params, i);

    g_clear_error (&error);
    if (!gateway_param_check_target (param, GST_BIN (pipeline), &error))
      key_file_loader_problem_lines (l, error->message);
  }
}

/**
 * pipeline_def_new:
 * @name: (nullable): the pipeline's name
 *
 * A definition with every default (the values a file that sets nothing
 * gets), no description, no path and no params, for front ends that fill
 * the fields themselves (realtimesrc, tests).
 *
 * Returns: (transfer full): the definition
 */
PipelineDef *
pipeline_def_new (const gchar *name)
{
  PipelineDef *def = g_new0 (PipelineDef, 1);

  def->ref_count = 1;
  def->name = g_strdup (name);
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

/* The name from the file name, or problems. */
static gchar *
name_from_path (KeyFileLoader *l, const gchar *path)
{
  g_autofree gchar *basename = g_path_get_basename (path);
  g_autofree gchar *name = NULL;

  if (!g_str_has_suffix (basename, SUFFIX)) {
    key_file_loader_problem (l, NULL, NULL,
        "the file name must end with \"" SUFFIX "\"");
    return NULL;
  }
  name = g_strndup (basename, strlen (basename) - strlen (SUFFIX));
  if (!pipeline_def_name_is_valid (name))
    key_file_loader_problem (l, NULL, NULL,
        "\"%s\" is not a valid pipeline name (1 to %d of A-Z a-z 0-9 _ -)",
        name, NAME_MAX_LEN);
  return g_steal_pointer (&name);
}

/* The digest of a loaded key file (as GKeyFile prints it: comments and
 * layout kept) and the variables substituted into it. */
static gchar *
source_digest (GKeyFile *key_file, const gchar *const *vars)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree gchar *text = g_key_file_to_data (key_file, NULL, NULL);

  g_checksum_update (sum, (const guchar *)text, -1);
  for (; vars && *vars; vars++) {
    g_checksum_update (sum, (const guchar *)"", 1);
    g_checksum_update (sum, (const guchar *)*vars, -1);
  }
  return g_strdup (g_checksum_get_string (sum));
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
  g_auto (KeyFileLoader) l = { 0 };
  g_autoptr (PipelineDef) def = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  key_file_loader_init (&l, path, problems);
  def = pipeline_def_new (NULL);
  def->path = g_strdup (path);
  def->name = name_from_path (&l, path);
  if (!key_file_loader_load (&l))
    return NULL;
  def->digest = source_digest (l.key_file, vars);

  key_file_loader_check_groups (&l, known_groups);
  if (key_file_loader_require_group (&l, PIPELINE_GROUP))
    parse_pipeline_group (&l, def, vars);
  parse_param_groups (&l, vars, def->params);

  /* Parsing is pointless when the text or the params are already wrong,
   * and its messages would only repeat theirs. */
  if (check_elements && l.n_problems == 0)
    check_on_elements (&l, def);

  if (l.n_problems > 0)
    return NULL;
  return g_steal_pointer (&def);
}

/**
 * pipeline_def_same_source:
 * @a: a definition
 * @b: another
 *
 * Returns: %TRUE when both were loaded from the same text with the same
 *   variables
 */
gboolean
pipeline_def_same_source (const PipelineDef *a, const PipelineDef *b)
{
  return a->digest && b->digest && strcmp (a->digest, b->digest) == 0;
}

/**
 * pipeline_def_load_params:
 * @path: a key file with [param:NAME] groups (a .pipeline file, or one
 *   holding only params)
 *
 * Reads only the param declarations of @path; other groups are ignored.
 * No ${VAR} is defined here, so a prefix or suffix that uses one is a
 * problem. Targets are not checked (gateway_param_check_target() on the
 * caller's elements does that).
 *
 * Returns: (transfer full) (nullable) (element-type GatewayParam): the
 *   params in file order, or %NULL with a %GATEWAY_ERROR_DEFINITION error
 *   holding one "PATH: [group] key: message" line per problem
 */
GPtrArray *
pipeline_def_load_params (const gchar *path, GError **error)
{
  g_auto (KeyFileLoader) l = { 0 };
  g_autoptr (GPtrArray) params = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  key_file_loader_init (&l, path, NULL);
  params = g_ptr_array_new_with_free_func ((GDestroyNotify)gateway_param_free);
  if (key_file_loader_load (&l))
    parse_param_groups (&l, NULL, params);
  if (l.n_problems > 0) {
    g_autofree gchar *lines = NULL;

    g_ptr_array_add (l.problems, NULL);
    lines = g_strjoinv ("\n", (gchar **)l.problems->pdata);
    g_set_error_literal (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION, lines);
    return NULL;
  }
  return g_steal_pointer (&params);
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
  webrtc_output_def_free (def->webrtc);
  g_free (def->digest);
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
