/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fuzz-pipeline-def.c: libFuzzer target for the pipeline-definition loader:
 * pipeline_def_load() on a file holding the input, with check_elements
 * FALSE (GStreamer's own parser is not ours to fuzz), then requests
 * validated against the params the file declared.
 *
 * Definition files are trusted configuration, but they are written by
 * hand and read by a daemon that must never crash on a typo: every input
 * must give either a definition or problem lines, never both, never
 * neither.
 *
 * Properties checked besides "no crash, no leak, no UB":
 *   - NULL exactly when problems were reported; each problem line starts
 *     with the file's path;
 *   - a loaded definition keeps the rules pipeline-def.h states (name from
 *     the file, description substituted and non-empty, backoff min <= max,
 *     default-ttl within max-ttl, times bounded);
 *   - every declared default validates as a request value;
 *   - a fixed set of request params, hostile ones included, validates or
 *     is refused cleanly against the fuzzed declarations, and what
 *     validates is echoed as JSON that validates to the same values.
 */
#include "fuzz-common.h"

#include "params.h"
#include "pipeline-def.h"

#include <glib/gstdio.h>
#include <unistd.h>

static gchar *dir;
static gchar *path;

static const gchar *const vars[] = { "RECORDINGS_DIR=/var/lib/rg/recordings",
  "CAMERA=/dev/video0", "EMPTY=", NULL };

/* Request values tried against every declared param. */
static const gchar *const probe_values[]
    = { "0", "1", "-1", "2500", "1.5", "-1e300", "1e300", "9223372036854775807",
        "-9223372036854775808", "18446744073709551615", "true", "false", "null",
        "\"\"", "\"ball\"", "\"clip_01\"", "\"../../etc/passwd\"",
        "\"a ! filesink location=/x\"", "\"\\u00e9t\\u00e9\"",
        "\"\\ud83d\\ude00\"", "\"a\\u0085b\"", "[]", "{}", NULL };

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
cleanup (void)
{
  if (path)
    g_unlink (path);
  if (dir)
    g_rmdir (dir);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  GError *error = NULL;

  fuzz_init_logging ();
  dir = g_dir_make_tmp ("rt-fuzz-pipeline-XXXXXX", &error);
  if (!dir)
    g_error ("temporary directory: %s", error->message);
  path = g_build_filename (dir, "fuzz.pipeline", NULL);
  atexit (cleanup);
  return 0;
}

/* @json validated against @params, then echoed and validated again. */
static void
probe (GPtrArray *params, const gchar *json)
{
  g_autoptr (JsonNode) node = json_from_string (json, NULL);
  g_autoptr (GHashTable) values = NULL;
  g_autoptr (GHashTable) again = NULL;
  g_autoptr (JsonNode) echoed = NULL;
  g_autoptr (GError) error = NULL;

  FUZZ_ASSERT (node != NULL, "probe is not JSON: %s", json);
  values = gateway_params_validate_request (params, node, &error);
  if (!values) {
    FUZZ_ASSERT (error && error->domain == GATEWAY_ERROR,
        "refused without a GATEWAY_ERROR");
    FUZZ_ASSERT (strlen (error->message) < 2048, "%zu-byte error",
        strlen (error->message));
    return;
  }
  echoed = gateway_params_values_to_json (values);
  again = gateway_params_validate_request (params, echoed, &error);
  if (!again) {
    g_autofree gchar *text = json_to_string (echoed, FALSE);
    FUZZ_ASSERT (FALSE, "echo of %s does not validate: %s (%s)", json,
        error->message, text);
  }
  FUZZ_ASSERT (gateway_params_values_equal (values, again),
      "echo of %s validates to other values", json);
}

static void
check_def (PipelineDef *def)
{
  guint i, j;

  FUZZ_ASSERT (g_strcmp0 (def->name, "fuzz") == 0, "name %s", def->name);
  FUZZ_ASSERT (g_strcmp0 (def->path, path) == 0, "path changed");
  FUZZ_ASSERT (def->description && *def->description, "empty description");
  FUZZ_ASSERT (g_utf8_validate (def->description, -1, NULL),
      "description is not UTF-8");
  FUZZ_ASSERT (!strstr (def->description, "${"),
      "unsubstituted variable left in the description");
  FUZZ_ASSERT (def->restart_backoff_min_ms <= def->restart_backoff_max_ms,
      "backoff min above max");
  FUZZ_ASSERT (def->start_timeout_ms > 0 && def->start_timeout_ms <= 86400000
          && def->stop_timeout_ms > 0 && def->stop_timeout_ms <= 86400000,
      "timeouts out of range");
  FUZZ_ASSERT (def->max_ttl_s == 0
          || (def->default_ttl_s > 0 && def->default_ttl_s <= def->max_ttl_s),
      "default-ttl %u with max-ttl %u", def->default_ttl_s, def->max_ttl_s);
  FUZZ_ASSERT (def->params != NULL, "no params array");

  for (i = 0; i < def->params->len; i++) {
    const GatewayParam *p = g_ptr_array_index (def->params, i);

    FUZZ_ASSERT (p->name && *p->name && p->element && p->property,
        "param without name, element or property");
    FUZZ_ASSERT (pipeline_def_find_param (def, p->name) == p,
        "find_param does not find %s", p->name);
    for (j = i + 1; j < def->params->len; j++) {
      const GatewayParam *q = g_ptr_array_index (def->params, j);
      FUZZ_ASSERT (strcmp (p->name, q->name) != 0, "param %s twice", p->name);
    }
    if (p->type == GATEWAY_PARAM_INT || p->type == GATEWAY_PARAM_UINT)
      FUZZ_ASSERT (p->min_int <= p->max_int, "%s: min above max", p->name);
    if (p->type == GATEWAY_PARAM_DOUBLE)
      FUZZ_ASSERT (p->min_double <= p->max_double, "%s: min above max",
          p->name);
    if (p->type == GATEWAY_PARAM_ENUM)
      FUZZ_ASSERT (p->choices && p->choices[0], "%s: enum without choices",
          p->name);

    /* A declared default must be a value a request could carry. */
    if (p->has_default) {
      g_autoptr (GHashTable) one = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr (JsonNode) json = NULL;
      g_autoptr (GHashTable) values = NULL;
      g_autoptr (GError) error = NULL;

      FUZZ_ASSERT (G_VALUE_HOLDS (&p->default_value,
                       gateway_param_value_type (p)),
          "%s: default of type %s", p->name,
          G_VALUE_TYPE_NAME (&p->default_value));
      g_hash_table_insert (one, p->name, (gpointer)&p->default_value);
      json = gateway_params_values_to_json (one);
      values = gateway_params_validate_request (def->params, json, &error);
      if (!values) {
        g_autofree gchar *text = json_to_string (json, FALSE);
        FUZZ_ASSERT (FALSE, "%s: the default %s does not validate: %s", p->name,
            text, error->message);
      }
    }

    for (j = 0; probe_values[j]; j++) {
      g_autofree gchar *json
          = g_strdup_printf ("{\"%s\":%s}", p->name, probe_values[j]);
      g_autoptr (JsonNode) check = json_from_string (json, NULL);

      /* A name with quotes or backslashes would not make JSON here. */
      if (check)
        probe (def->params, json);
    }
  }
  probe (def->params, "{}");
  probe (def->params, "{\"undeclared\":1}");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (PipelineDef) def = NULL;
  GError *error = NULL;
  guint i;

  if (!g_file_set_contents (path, (const gchar *)data, size, &error))
    g_error ("%s: %s", path, error->message);

  def = pipeline_def_load (path, vars, FALSE, problems);
  FUZZ_ASSERT ((def == NULL) == (problems->len > 0),
      "definition %s with %u problem(s)", def ? "returned" : "missing",
      problems->len);
  for (i = 0; i < problems->len; i++) {
    const gchar *line = g_ptr_array_index (problems, i);

    FUZZ_ASSERT (g_str_has_prefix (line, path),
        "problem line does not name the file: %s", line);
    FUZZ_ASSERT (!strchr (line, '\n'), "problem line holds a newline");
  }
  if (def) {
    PipelineDef *ref = pipeline_def_ref (def);

    check_def (def);
    pipeline_def_unref (ref);
  }
  return 0;
}
