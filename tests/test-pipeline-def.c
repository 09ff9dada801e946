/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-pipeline-def.c: pipeline definition files. Defaults, every kind of
 * problem reported as one line naming the file, group and key, ${VAR}
 * substitution, directory override order, the params-only path
 * realtimesrc uses, and the shipped definitions loading cleanly against
 * the installed GStreamer elements.
 */
#include "test-util.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pipeline-def.h"
#include "webrtc-pipeline.h"

static const gchar *const test_vars[]
    = { "RECORDINGS_DIR=/tmp/rt-recordings", "OTHER=x y", NULL };

static gchar *tmp_dir;

static void
setup (void)
{
  tmp_dir = rt_test_make_tmp_dir ("test-pipeline-def-XXXXXX");
}

static void
teardown (void)
{
  rt_test_clear_tmp_dir (&tmp_dir);
}

/* Writes @contents to @dir/@name (@dir NULL: the test's directory). */
static gchar *
write_file (const gchar *dir, const gchar *name, const gchar *contents)
{
  gchar *path = g_build_filename (dir ? dir : tmp_dir, name, NULL);
  GError *error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static gchar *
make_dir (const gchar *name)
{
  gchar *path = g_build_filename (tmp_dir, name, NULL);

  fail_unless (g_mkdir (path, 0700) == 0);
  return path;
}

static PipelineDef *
load_ok (const gchar *name, const gchar *contents, gboolean check)
{
  g_autofree gchar *path = write_file (NULL, name, contents);
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  PipelineDef *def;

  def = pipeline_def_load (path, test_vars, check, problems);
  if (problems->len > 0) {
    g_ptr_array_add (problems, NULL);
    fail ("%s has problems:\n%s", name,
        g_strjoinv ("\n", (gchar **)problems->pdata));
  }
  fail_unless (def != NULL);
  return def;
}

/* Loads @contents as @name, which must fail; returns the problem lines
 * (NULL-terminated). */
static GStrv
load_problems (const gchar *name, const gchar *contents, gboolean check)
{
  g_autofree gchar *path = write_file (NULL, name, contents);
  GPtrArray *problems = g_ptr_array_new_with_free_func (g_free);
  PipelineDef *def;
  guint i;

  def = pipeline_def_load (path, test_vars, check, problems);
  fail_unless (def == NULL, "%s loaded", name);
  fail_unless (problems->len > 0);
  for (i = 0; i < problems->len; i++) {
    const gchar *line = g_ptr_array_index (problems, i);

    fail_unless (g_str_has_prefix (line, path), "line lacks the path: %s",
        line);
    fail_if (strchr (line, '\n'), "multi-line problem: %s", line);
  }
  g_ptr_array_set_free_func (problems, NULL);
  g_ptr_array_add (problems, NULL);
  return (GStrv)g_ptr_array_free (problems, FALSE);
}

static gboolean
has_line (GStrv lines, const gchar *expected)
{
  guint i;

  for (i = 0; lines[i]; i++) {
    if (strstr (lines[i], expected))
      return TRUE;
  }
  return FALSE;
}

static void
assert_problem (const gchar *contents, gboolean check, const gchar *expected)
{
  g_auto (GStrv) lines = load_problems ("p.pipeline", contents, check);

  if (!has_line (lines, expected)) {
    g_autofree gchar *all = g_strjoinv ("\n", lines);

    fail ("no problem line with \"%s\" in:\n%s", expected, all);
  }
}

#define MINIMAL "[pipeline]\ndescription=videotestsrc ! fakesink\n"

GST_START_TEST (test_defaults)
{
  g_autoptr (PipelineDef) def = load_ok ("front.pipeline", MINIMAL, TRUE);

  fail_unless_equals_string (def->name, "front");
  fail_unless (g_str_has_suffix (def->path, "/front.pipeline"));
  fail_unless_equals_string (def->description, "videotestsrc ! fakesink");
  fail_unless (def->summary == NULL);
  fail_unless_equals_int (def->start_timeout_ms, 10000);
  fail_unless_equals_int (def->stop_timeout_ms, 5000);
  fail_unless_equals_int (def->default_ttl_s, 0);
  fail_unless_equals_int (def->max_ttl_s, 0);
  fail_unless_equals_int (def->restart, PIPELINE_RESTART_NEVER);
  fail_unless_equals_int (def->restart_backoff_min_ms, 1000);
  fail_unless_equals_int (def->restart_backoff_max_ms, 30000);
  fail_unless_equals_int (def->max_restarts, 5);
  fail_if (def->warm);
  fail_unless_equals_int (def->params->len, 0);
}

GST_END_TEST;

GST_START_TEST (test_every_key)
{
  g_autoptr (PipelineDef) def = load_ok ("cam_2.pipeline",
      "# a comment\n[pipeline]\n"
      "description = videotestsrc name=src ! fakesink\n"
      "summary=Test source\nstart-timeout=2.5\nstop-timeout=0.25\n"
      "default-ttl=30\nmax-ttl=60\nrestart=on-failure\n"
      "restart-backoff-min=0.5\nrestart-backoff-max=10\nmax-restarts=3\n"
      "warm=true\n\n"
      "[param:pattern]\nelement=src\nproperty=pattern\ntype=enum\n"
      "values=ball;snow\n\n"
      "[param:live]\nelement=src\nproperty=is-live\ntype=boolean\n",
      TRUE);
  PipelineDef *ref;

  fail_unless_equals_string (def->name, "cam_2");
  fail_unless_equals_string (def->summary, "Test source");
  fail_unless_equals_int (def->start_timeout_ms, 2500);
  fail_unless_equals_int (def->stop_timeout_ms, 250);
  fail_unless_equals_int (def->default_ttl_s, 30);
  fail_unless_equals_int (def->max_ttl_s, 60);
  fail_unless_equals_int (def->restart, PIPELINE_RESTART_ON_FAILURE);
  fail_unless_equals_int (def->restart_backoff_min_ms, 500);
  fail_unless_equals_int (def->restart_backoff_max_ms, 10000);
  fail_unless_equals_int (def->max_restarts, 3);
  fail_unless (def->warm);

  /* Params keep file order. */
  fail_unless_equals_int (def->params->len, 2);
  fail_unless_equals_string (((GatewayParam *)def->params->pdata[0])->name,
      "pattern");
  fail_unless (pipeline_def_find_param (def, "live") == def->params->pdata[1]);
  fail_unless (pipeline_def_find_param (def, "nope") == NULL);
  fail_unless (pipeline_def_find_param (def, NULL) == NULL);

  ref = pipeline_def_ref (def);
  fail_unless (ref == def);
  pipeline_def_unref (ref);
}

GST_END_TEST;

GST_START_TEST (test_name_is_valid)
{
  g_autofree gchar *n64 = g_strnfill (64, 'a');
  g_autofree gchar *n65 = g_strnfill (65, 'a');

  fail_unless (pipeline_def_name_is_valid ("front"));
  fail_unless (pipeline_def_name_is_valid ("Cam_2-x"));
  fail_unless (pipeline_def_name_is_valid (n64));
  fail_if (pipeline_def_name_is_valid (n65));
  fail_if (pipeline_def_name_is_valid (""));
  fail_if (pipeline_def_name_is_valid (NULL));
  fail_if (pipeline_def_name_is_valid ("../x"));
  fail_if (pipeline_def_name_is_valid ("a b"));
  fail_if (pipeline_def_name_is_valid ("a!"));
  fail_if (pipeline_def_name_is_valid ("a.b"));
  fail_if (pipeline_def_name_is_valid ("caf\xc3\xa9"));
}

GST_END_TEST;

GST_START_TEST (test_structure_problems)
{
  assert_problem ("[param:x]\nelement=e\nproperty=p\ntype=int\n", FALSE,
      "p.pipeline: missing [pipeline] group");
  assert_problem ("[pipeline]\nsummary=s\n", FALSE,
      "p.pipeline: [pipeline] description: missing");
  assert_problem ("[pipeline]\ndescription=\n", FALSE,
      "p.pipeline: [pipeline] description: empty");
  assert_problem (MINIMAL "max_ttl=60\n", FALSE,
      "p.pipeline: [pipeline] max_ttl: unknown key");
  assert_problem (MINIMAL "[pipelines]\nx=1\n", FALSE,
      "p.pipeline: [pipelines] unknown group");
  assert_problem (MINIMAL "[params:x]\nelement=e\n", FALSE,
      "p.pipeline: [params:x] unknown group");
  assert_problem ("[pipeline\ndescription=x\n", FALSE, "p.pipeline: ");
}

GST_END_TEST;

GST_START_TEST (test_value_problems)
{
  assert_problem (MINIMAL "start-timeout=ten\n", FALSE,
      "[pipeline] start-timeout: \"ten\" is not a number of seconds");
  assert_problem (MINIMAL "start-timeout=0\n", FALSE,
      "[pipeline] start-timeout: 0 is out of range");
  assert_problem (MINIMAL "stop-timeout=-1\n", FALSE,
      "[pipeline] stop-timeout:");
  assert_problem (MINIMAL "stop-timeout=nan\n", FALSE,
      "[pipeline] stop-timeout:");
  assert_problem (MINIMAL "stop-timeout=1e9\n", FALSE,
      "[pipeline] stop-timeout:");
  assert_problem (MINIMAL "default-ttl=1.5\n", FALSE,
      "[pipeline] default-ttl: \"1.5\" is not an integer");
  assert_problem (MINIMAL "max-ttl=86401\n", FALSE, "[pipeline] max-ttl:");
  assert_problem (MINIMAL "max-restarts=x\n", FALSE,
      "[pipeline] max-restarts:");
  assert_problem (MINIMAL "warm=yes\n", FALSE,
      "[pipeline] warm: \"yes\" is not true or false");
  assert_problem (MINIMAL "restart=always\n", FALSE,
      "[pipeline] restart: unknown policy \"always\"");
  assert_problem (MINIMAL "restart-backoff-min=10\nrestart-backoff-max=2\n",
      FALSE,
      "[pipeline] restart-backoff-min: 10 s is above "
      "restart-backoff-max 2 s");
  assert_problem (MINIMAL "default-ttl=120\nmax-ttl=60\n", FALSE,
      "[pipeline] default-ttl: 120 exceeds max-ttl 60");
  assert_problem (MINIMAL "max-ttl=60\n", FALSE,
      "[pipeline] default-ttl: 0 (no lease) exceeds max-ttl 60");
}

GST_END_TEST;

GST_START_TEST (test_param_problems)
{
  assert_problem (MINIMAL "[param:f]\nelement=sink\nproperty=location\n"
                          "type=string\npattern=([a-z\n",
      FALSE,
      "p.pipeline: [param:f] "
      "pattern:");
  assert_problem (MINIMAL "[param:f]\nelement=sink\nproperty=location\n"
                          "type=string\nmaxlength=3\n",
      FALSE,
      "p.pipeline: [param:f] "
      "maxlength: unknown key");
  assert_problem (MINIMAL "[param:b]\nelement=enc\nproperty=bitrate\n"
                          "type=uint\nmin=10\nmax=1\n",
      FALSE,
      "p.pipeline: [param:b] min: 10 "
      "is above max 1");
  assert_problem (MINIMAL "[param:b]\nelement=enc\nproperty=bitrate\n", FALSE,
      "p.pipeline: [param:b] type: missing");
}

GST_END_TEST;

GST_START_TEST (test_every_problem_is_a_line)
{
  g_auto (GStrv) lines = load_problems ("p.pipeline",
      "[pipeline]\n"
      "description=videotestsrc ! fakesink\nrestart=sometimes\n"
      "warm=1\nmaxttl=3\n"
      "[param:a]\nelement=e\nproperty=p\ntype=int\nmin=x\nmax=y\n",
      FALSE);

  fail_unless_equals_int (g_strv_length (lines), 5);
  fail_unless (has_line (lines, "[pipeline] restart:"));
  fail_unless (has_line (lines, "[pipeline] warm:"));
  fail_unless (has_line (lines, "[pipeline] maxttl:"));
  fail_unless (has_line (lines, "[param:a] min:"));
  fail_unless (has_line (lines, "[param:a] max:"));
}

GST_END_TEST;

GST_START_TEST (test_file_name_problems)
{
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *spaced = write_file (NULL, "bad name.pipeline", MINIMAL);
  g_autofree gchar *other = write_file (NULL, "front.conf", MINIMAL);
  g_autofree gchar *missing = g_build_filename (tmp_dir, "gone.pipeline", NULL);

  fail_if (pipeline_def_load (spaced, NULL, FALSE, problems));
  fail_unless_equals_int (problems->len, 1);
  fail_unless (strstr (g_ptr_array_index (problems, 0),
                   "\"bad name\" is not a valid pipeline name")
      != NULL);
  fail_if (pipeline_def_load (other, NULL, FALSE, problems));
  fail_unless_equals_int (problems->len, 2);
  fail_unless (
      strstr (g_ptr_array_index (problems, 1), "must end with \".pipeline\"")
      != NULL);
  fail_if (pipeline_def_load (missing, NULL, FALSE, problems));
  fail_unless_equals_int (problems->len, 3);
  fail_unless (g_str_has_prefix (g_ptr_array_index (problems, 2), missing));
  /* Without an array the result alone says it failed. */
  fail_if (pipeline_def_load (missing, NULL, FALSE, NULL));
}

GST_END_TEST;

GST_START_TEST (test_element_problems)
{
  assert_problem ("[pipeline]\ndescription=videotestsrc ! nosuchelement ! "
                  "fakesink\n",
      TRUE,
      "p.pipeline: [pipeline] description: does not "
      "parse: no element \"nosuchelement\"");
  assert_problem ("[pipeline]\ndescription=videotestsrc ! ! fakesink\n", TRUE,
      "[pipeline] description: does not parse");
  assert_problem ("[pipeline]\ndescription=videotestsrc ! fakesink "
                  "bogus-property=1\n",
      TRUE, "[pipeline] description: does not parse");
  assert_problem ("[pipeline]\ndescription=videotestsrc ! "
                  "audioconvert ! fakesink\n",
      TRUE,
      "[pipeline] description: does "
      "not parse");
  assert_problem ("[pipeline]\ndescription=videotestsrc ! identity\n", TRUE,
      "p.pipeline: [pipeline] description: has no sink element");
  assert_problem ("[pipeline]\ndescription=videotestsrc\n", TRUE,
      "[pipeline] description: has no sink element");
  assert_problem (MINIMAL "[param:b]\nelement=enc\nproperty=bitrate\n"
                          "type=uint\nmin=1\nmax=10\n",
      TRUE,
      "p.pipeline: [param:b] element: "
      "no element named \"enc\"");
  assert_problem ("[pipeline]\ndescription=videotestsrc name=src ! "
                  "fakesink\n[param:p]\nelement=src\nproperty=pattern\ntype="
                  "enum\n"
                  "values=ball;sparkles\n",
      TRUE,
      "p.pipeline: [param:p] values: "
      "\"sparkles\" is not a value of");
}

GST_END_TEST;

GST_START_TEST (test_elements_unchecked_without_flag)
{
  g_autoptr (PipelineDef) def = load_ok ("n.pipeline",
      "[pipeline]\n"
      "description=nosuchelement ! alsoabsent\n"
      "[param:b]\nelement=enc\nproperty=bitrate\ntype=uint\n",
      FALSE);

  fail_unless_equals_string (def->description, "nosuchelement ! alsoabsent");
}

GST_END_TEST;

GST_START_TEST (test_lone_sink_or_bin_is_wrapped)
{
  g_autoptr (PipelineDef) sink = load_ok ("s.pipeline",
      "[pipeline]\n"
      "description=fakesink name=sink\n"
      "[param:sync]\nelement=sink\nproperty=sync\ntype=boolean\n",
      TRUE);
  g_autoptr (PipelineDef) bin = load_ok ("b.pipeline",
      "[pipeline]\n"
      "description=bin. ( videotestsrc name=src ! fakesink )\n"
      "[param:pattern]\nelement=src\nproperty=pattern\ntype=enum\n"
      "values=ball\n",
      TRUE);

  fail_unless_equals_int (sink->params->len, 1);
  fail_unless_equals_int (bin->params->len, 1);
}

GST_END_TEST;

GST_START_TEST (test_vars_substituted)
{
  g_autoptr (PipelineDef) def = load_ok ("v.pipeline",
      "[pipeline]\n"
      "description=videotestsrc ! filesink name=sink "
      "location=${RECORDINGS_DIR}/a.mp4\n"
      "summary=costs $5 and keeps ${RECORDINGS_DIR} as is\n"
      "[param:file]\nelement=sink\nproperty=location\ntype=string\n"
      "pattern=^[a-z]+$\nprefix=${RECORDINGS_DIR}/${OTHER}/\n"
      "suffix=.${OTHER}\n",
      TRUE);
  const GatewayParam *file = pipeline_def_find_param (def, "file");
  g_autoptr (PipelineDef) dollar = load_ok ("d.pipeline",
      "[pipeline]\n"
      "description=a $ b $x $}{ ${OTHER}$\n",
      FALSE);

  fail_unless_equals_string (def->description,
      "videotestsrc ! filesink "
      "name=sink location=/tmp/rt-recordings/a.mp4");
  /* Only the description and prefix/suffix are substituted. */
  fail_unless_equals_string (def->summary,
      "costs $5 and keeps "
      "${RECORDINGS_DIR} as is");
  fail_unless_equals_string (file->prefix, "/tmp/rt-recordings/x y/");
  fail_unless_equals_string (file->suffix, ".x y");
  fail_unless_equals_string (dollar->description, "a $ b $x $}{ x y$");
}

GST_END_TEST;

GST_START_TEST (test_var_problems)
{
  assert_problem ("[pipeline]\ndescription=filesink "
                  "location=${RECORDING_DIR}/a.mp4\n",
      FALSE,
      "p.pipeline: [pipeline] description: unknown variable "
      "${RECORDING_DIR}");
  assert_problem ("[pipeline]\ndescription=filesink location=${X\n", FALSE,
      "[pipeline] description: unterminated");
  assert_problem ("[pipeline]\ndescription=filesink location=${}\n", FALSE,
      "[pipeline] description: \"${}\" is not a variable name");
  assert_problem ("[pipeline]\ndescription=filesink location=${A B}\n", FALSE,
      "is not a variable name");
  assert_problem (MINIMAL "[param:f]\nelement=sink\nproperty=location\n"
                          "type=string\nprefix=${NOPE}/\n",
      FALSE, "p.pipeline: [param:f] prefix: unknown variable ${NOPE}");
  assert_problem (MINIMAL "[param:f]\nelement=sink\nproperty=location\n"
                          "type=string\nsuffix=${NOPE}\n",
      FALSE, "[param:f] suffix: unknown variable ${NOPE}");

  {
    /* No vars at all: every reference is unknown. */
    g_autofree gchar *path = write_file (NULL, "n.pipeline",
        "[pipeline]\n"
        "description=filesink location=${RECORDINGS_DIR}/a\n");
    g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);

    fail_if (pipeline_def_load (path, NULL, FALSE, problems));
    fail_unless_equals_int (problems->len, 1);
  }
}

GST_END_TEST;

GST_START_TEST (test_load_dirs_override_order)
{
  g_autofree gchar *shipped = make_dir ("shipped");
  g_autofree gchar *local = make_dir ("local");
  g_autofree gchar *absent = g_build_filename (tmp_dir, "absent", NULL);
  g_autofree gchar *a1
      = write_file (shipped, "a.pipeline", MINIMAL "summary=shipped a\n");
  g_autofree gchar *b1
      = write_file (shipped, "b.pipeline", MINIMAL "summary=shipped b\n");
  g_autofree gchar *d1
      = write_file (shipped, "d.pipeline", MINIMAL "summary=shipped d\n");
  g_autofree gchar *a2
      = write_file (local, "a.pipeline", MINIMAL "summary=local a\n");
  g_autofree gchar *c2
      = write_file (local, "c.pipeline", MINIMAL "summary=local c\n");
  g_autofree gchar *d2 = write_file (local, "d.pipeline",
      "[pipeline]\n"
      "summary=broken override\n");
  g_autofree gchar *x2 = write_file (local, "notes.txt", "not a pipeline");
  g_autofree gchar *y2 = write_file (local, "a.pipeline~", "backup");
  const gchar *dirs[] = { shipped, absent, local, NULL };
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) defs = NULL;
  PipelineDef *def;

  defs = pipeline_def_load_dirs (dirs, test_vars, TRUE, problems);
  fail_unless_equals_int (g_hash_table_size (defs), 3);
  def = g_hash_table_lookup (defs, "a");
  fail_unless_equals_string (def->summary, "local a");
  fail_unless_equals_string (def->path, a2);
  def = g_hash_table_lookup (defs, "b");
  fail_unless_equals_string (def->summary, "shipped b");
  def = g_hash_table_lookup (defs, "c");
  fail_unless_equals_string (def->summary, "local c");
  /* The broken override is reported, and does not fall back. */
  fail_if (g_hash_table_contains (defs, "d"));
  fail_unless_equals_int (problems->len, 1);
  fail_unless (g_str_has_prefix (g_ptr_array_index (problems, 0), d2));
}

GST_END_TEST;

GST_START_TEST (test_load_dirs_empty)
{
  const gchar *none[] = { NULL };
  g_autoptr (GHashTable) a = pipeline_def_load_dirs (none, NULL, TRUE, NULL);
  g_autoptr (GHashTable) b = pipeline_def_load_dirs (NULL, NULL, TRUE, NULL);

  fail_unless_equals_int (g_hash_table_size (a), 0);
  fail_unless_equals_int (g_hash_table_size (b), 0);
}

GST_END_TEST;

/* An empty value is as if the key were absent: the default applies. */
GST_START_TEST (test_empty_value_is_default)
{
  g_autoptr (PipelineDef) def = load_ok ("e.pipeline",
      MINIMAL "start-timeout=\nmax-restarts= \nwarm=\nrestart=\n", FALSE);

  fail_unless_equals_int (def->start_timeout_ms, 10000);
  fail_unless_equals_int (def->max_restarts, 5);
  fail_if (def->warm);
  fail_unless_equals_int (def->restart, PIPELINE_RESTART_NEVER);
}

GST_END_TEST;

GST_START_TEST (test_unknown_group_lists_expected)
{
  assert_problem (MINIMAL "[pipelines]\nx=1\n", FALSE,
      "p.pipeline: [pipelines] unknown group (expected [pipeline], "
      "[param:NAME], [webrtc])");
  assert_problem (MINIMAL "warmth=1\n", FALSE,
      "p.pipeline: [pipeline] warmth: unknown key (known: description, "
      "summary,");
}

GST_END_TEST;

GST_START_TEST (test_new_defaults)
{
  g_autoptr (PipelineDef) loaded = load_ok ("front.pipeline", MINIMAL, FALSE);
  g_autoptr (PipelineDef) def = pipeline_def_new ("cam-1");
  g_autoptr (PipelineDef) unnamed = pipeline_def_new (NULL);

  fail_unless_equals_string (def->name, "cam-1");
  fail_unless (def->path == NULL);
  fail_unless (def->description == NULL);
  fail_unless (def->summary == NULL);
  fail_unless (def->params != NULL);
  fail_unless_equals_int (def->params->len, 0);
  /* The same defaults as a file that sets nothing. */
  fail_unless_equals_int (def->start_timeout_ms, loaded->start_timeout_ms);
  fail_unless_equals_int (def->stop_timeout_ms, loaded->stop_timeout_ms);
  fail_unless_equals_int (def->default_ttl_s, loaded->default_ttl_s);
  fail_unless_equals_int (def->max_ttl_s, loaded->max_ttl_s);
  fail_unless_equals_int (def->restart, loaded->restart);
  fail_unless_equals_int (def->restart_backoff_min_ms,
      loaded->restart_backoff_min_ms);
  fail_unless_equals_int (def->restart_backoff_max_ms,
      loaded->restart_backoff_max_ms);
  fail_unless_equals_int (def->max_restarts, loaded->max_restarts);
  fail_unless_equals_int (def->warm, loaded->warm);
  fail_unless (unnamed->name == NULL);
  fail_unless (pipeline_def_ref (def) == def);
  pipeline_def_unref (def);
}

GST_END_TEST;

#define PARAM_A                                                                \
  "[param:a]\nelement=src\nproperty=pattern\ntype=enum\n"                      \
  "values=ball;snow\n"
#define PARAM_B                                                                \
  "[param:b]\nelement=enc\nproperty=bitrate\ntype=uint\n"                      \
  "min=1\nmax=10\n"

GST_START_TEST (test_load_params_ignores_other_groups)
{
  /* A daemon definition with mistakes outside its params, and groups of
   * its own: only the params are read. */
  g_autofree gchar *path = write_file (NULL, "src.params",
      "[pipeline]\ndescription=\nstart-timeout=ten\nbogus=1\n" PARAM_A
      "[element]\nanything=goes\n" PARAM_B);
  g_autofree gchar *empty = write_file (NULL, "empty.params", "# nothing\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) params = NULL;
  g_autoptr (GPtrArray) none = NULL;

  params = pipeline_def_load_params (path, &error);
  g_assert_no_error (error);
  fail_unless (params != NULL);
  fail_unless_equals_int (params->len, 2);
  fail_unless_equals_string (((GatewayParam *)params->pdata[0])->name, "a");
  fail_unless_equals_string (((GatewayParam *)params->pdata[1])->name, "b");
  fail_unless_equals_int (((GatewayParam *)params->pdata[1])->max_int, 10);

  none = pipeline_def_load_params (empty, &error);
  g_assert_no_error (error);
  fail_unless (none != NULL);
  fail_unless_equals_int (none->len, 0);
}

GST_END_TEST;

GST_START_TEST (test_load_params_reports_every_problem)
{
  g_autofree gchar *path = write_file (NULL, "bad.params",
      PARAM_A "[param:b]\nelement=enc\nproperty=bitrate\n"
              "[param:f]\nelement=sink\nproperty=location\ntype=string\n"
              "prefix=${RECORDINGS_DIR}/\n");
  g_autofree gchar *missing_type
      = g_strdup_printf ("%s: [param:b] type: missing", path);
  g_autofree gchar *unknown_var
      = g_strdup_printf ("%s: [param:f] prefix: "
                         "unknown variable ${RECORDINGS_DIR}",
          path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) params = NULL;
  g_auto (GStrv) lines = NULL;

  params = pipeline_def_load_params (path, &error);
  fail_unless (params == NULL);
  g_assert_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION);
  lines = g_strsplit (error->message, "\n", -1);
  fail_unless_equals_int (g_strv_length (lines), 2);
  fail_unless (has_line (lines, missing_type), "%s", error->message);
  fail_unless (has_line (lines, unknown_var), "%s", error->message);
}

GST_END_TEST;

GST_START_TEST (test_load_params_missing_or_broken_file)
{
  g_autofree gchar *gone = g_build_filename (tmp_dir, "gone.params", NULL);
  g_autofree gchar *broken
      = write_file (NULL, "broken.params", "[param:a\nelement=src\n");
  g_autoptr (GError) error = NULL;

  fail_unless (pipeline_def_load_params (gone, &error) == NULL);
  g_assert_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION);
  fail_unless (g_str_has_prefix (error->message, gone), "%s", error->message);
  fail_if (strchr (error->message, '\n'));
  g_clear_error (&error);

  fail_unless (pipeline_def_load_params (broken, &error) == NULL);
  g_assert_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION);
  fail_unless (g_str_has_prefix (error->message, broken), "%s", error->message);
  /* Without an error the result alone says it failed. */
  fail_unless (pipeline_def_load_params (gone, NULL) == NULL);
}

GST_END_TEST;

GST_START_TEST (test_shipped_pipelines_load)
{
  static const gchar *const shipped[]
      = { "test-pattern-file", "test-pattern-rtp", "test-pattern-rtp-raw",
          "camera-rtp", "camera-srt", "camera-rtsp", NULL };
  g_autofree gchar *dir = rt_test_shipped_pipelines_dir ();
  const gchar *dirs[] = { dir, NULL };
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) defs = NULL;
  guint i;

  fail_unless (g_file_test (dir, G_FILE_TEST_IS_DIR), "no %s", dir);
  defs = pipeline_def_load_dirs (dirs, test_vars, TRUE, problems);
  if (problems->len > 0) {
    g_ptr_array_add (problems, NULL);
    fail ("shipped pipelines have problems:\n%s",
        g_strjoinv ("\n", (gchar **)problems->pdata));
  }
  for (i = 0; shipped[i]; i++) {
    PipelineDef *def = g_hash_table_lookup (defs, shipped[i]);

    fail_unless (def != NULL, "%s not loaded", shipped[i]);
    fail_unless (def->summary != NULL, "%s has no summary", shipped[i]);
    fail_unless (def->params->len > 0, "%s has no params", shipped[i]);
  }
}

GST_END_TEST;

GST_START_TEST (test_shipped_file_param_cannot_escape)
{
  g_autofree gchar *dir = rt_test_shipped_pipelines_dir ();
  g_autofree gchar *path
      = g_build_filename (dir, "test-pattern-file.pipeline", NULL);
  g_autoptr (PipelineDef) def = pipeline_def_load (path, test_vars, TRUE, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (JsonNode) good = json_from_string ("{\"file\":\"take-1\"}", NULL);
  g_autoptr (JsonNode) bad
      = json_from_string ("{\"file\":\"../../etc/x\"}", NULL);
  g_autoptr (GHashTable) values = NULL;
  g_autoptr (GHashTable) refused = NULL;
  g_autofree gchar *location = NULL;
  const GatewayParam *file;

  fail_unless (def != NULL);
  file = pipeline_def_find_param (def, "file");
  fail_unless_equals_string (file->prefix, "/tmp/rt-recordings/");
  fail_unless (g_str_has_prefix (def->description, "videotestsrc "));
  fail_unless (
      strstr (def->description, "location=/tmp/rt-recordings/test-pattern.mp4")
      != NULL);

  refused = gateway_params_validate_request (def->params, bad, &error);
  fail_unless (refused == NULL);
  g_assert_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PATTERN);
  g_clear_error (&error);

  values = gateway_params_validate_request (def->params, good, &error);
  g_assert_no_error (error);
  pipeline = gst_parse_launch (def->description, &error);
  g_assert_no_error (error);
  fail_unless (gateway_param_apply (file, GST_BIN (pipeline),
      g_hash_table_lookup (values, "file"), &error));
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_get (sink, "location", &location, NULL);
  fail_unless_equals_string (location, "/tmp/rt-recordings/take-1.mp4");
}

GST_END_TEST;

/* Loads the shipped @name and checks @json (a request's params) against
 * it. */
static gboolean
shipped_accepts (const gchar *name, const gchar *json)
{
  g_autofree gchar *dir = rt_test_shipped_pipelines_dir ();
  g_autofree gchar *file = g_strconcat (name, ".pipeline", NULL);
  g_autofree gchar *path = g_build_filename (dir, file, NULL);
  g_autoptr (PipelineDef) def
      = pipeline_def_load (path, test_vars, FALSE, NULL);
  g_autoptr (JsonNode) node = json_from_string (json, NULL);
  g_autoptr (GHashTable) values = NULL;

  fail_unless (def != NULL && node != NULL);
  values = gateway_params_validate_request (def->params, node, NULL);
  return values != NULL;
}

GST_START_TEST (test_shipped_param_patterns)
{
  fail_unless (shipped_accepts ("test-pattern-rtp",
      "{\"host\":\"192.168.1.20\",\"port\":5000,\"bitrate\":2500}"));
  fail_unless (shipped_accepts ("test-pattern-rtp",
      "{\"host\":\"viewer.example.com\"}"));
  fail_unless (shipped_accepts ("test-pattern-rtp", "{\"host\":\"::1\"}"));
  fail_if (shipped_accepts ("test-pattern-rtp", "{\"host\":\"a b\"}"));
  fail_if (shipped_accepts ("test-pattern-rtp", "{\"host\":\"1.2.3.4.5\"}"));
  fail_if (shipped_accepts ("test-pattern-rtp",
      "{\"host\":\"x ! filesink location=/tmp/pwned\"}"));
  fail_if (shipped_accepts ("test-pattern-rtp", "{\"port\":0}"));
  fail_if (shipped_accepts ("test-pattern-rtp", "{\"port\":65536}"));

  fail_unless (shipped_accepts ("camera-rtp",
      "{\"device\":\"/dev/video2\","
      "\"resolution\":\"video/x-raw,width=640,height=480\","
      "\"framerate\":15}"));
  fail_if (shipped_accepts ("camera-rtp", "{\"device\":\"/dev/sda\"}"));
  fail_if (shipped_accepts ("camera-rtp",
      "{\"device\":\"/dev/video0/../../etc/shadow\"}"));
  fail_if (shipped_accepts ("camera-rtp",
      "{\"resolution\":\"video/x-raw,width=99999,height=1\"}"));
  fail_if (shipped_accepts ("camera-rtp", "{\"framerate\":61}"));

  fail_unless (shipped_accepts ("camera-srt",
      "{\"uri\":\"srt://relay.example.com:9000?mode=caller\"}"));
  fail_unless (shipped_accepts ("camera-srt", "{\"uri\":\"srt://:8890\"}"));
  fail_if (shipped_accepts ("camera-srt", "{\"uri\":\"srt://a b:9000\"}"));
  fail_if (shipped_accepts ("camera-srt", "{\"uri\":\"file:///etc/passwd\"}"));
  fail_if (shipped_accepts ("camera-srt",
      "{\"uri\":\"srt://h:1?passphrase=a\\\"b\"}"));
  /* The host part is a host: an IPv4 address or an RFC 1123 name, never
   * 0.0.0.0, empty labels or five numbers. */
  fail_unless (
      shipped_accepts ("camera-srt", "{\"uri\":\"srt://10.0.0.2:9000\"}"));
  fail_if (shipped_accepts ("camera-srt", "{\"uri\":\"srt://..:9000\"}"));
  fail_if (shipped_accepts ("camera-srt", "{\"uri\":\"srt://::\"}"));
  fail_if (
      shipped_accepts ("camera-srt", "{\"uri\":\"srt://1.2.3.4.5:9000\"}"));
  fail_if (shipped_accepts ("camera-srt", "{\"uri\":\"srt://0.0.0.0:9000\"}"));

  fail_unless (shipped_accepts ("camera-rtsp",
      "{\"location\":\"rtsp://media.example.com:8554/robot1\"}"));
  fail_unless (shipped_accepts ("camera-rtsp",
      "{\"location\":\"rtsps://10.0.0.2/live/cam_1\"}"));
  fail_if (shipped_accepts ("camera-rtsp",
      "{\"location\":\"rtsp://user:pw@host/x\"}"));
  fail_if (shipped_accepts ("camera-rtsp", "{\"location\":\"http://host/x\"}"));
  fail_unless (shipped_accepts ("camera-rtsp",
      "{\"location\":\"rtsp://127.0.0.1:8554/robot\"}"));
  fail_if (shipped_accepts ("camera-rtsp", "{\"location\":\"rtsp://../x\"}"));
  fail_if (
      shipped_accepts ("camera-rtsp", "{\"location\":\"rtsp://1.2.3.4.5/x\"}"));
  fail_if (shipped_accepts ("camera-rtsp", "{\"location\":\"rtsp://a..b/x\"}"));
  fail_if (
      shipped_accepts ("camera-rtsp", "{\"location\":\"rtsp://0.0.0.0/x\"}"));

  fail_unless (shipped_accepts ("test-pattern-file",
      "{\"file\":\"take-1\",\"pattern\":\"ball\",\"bitrate\":1000}"));
  fail_if (shipped_accepts ("test-pattern-file", "{\"file\":\"take-1.mp4\"}"));
  fail_if (shipped_accepts ("test-pattern-file", "{\"file\":\"..\"}"));
}

GST_END_TEST;

/* Every shipped param bound to a "host" property is declared type=host,
 * and takes addresses and names but nothing else (params.h). */
GST_START_TEST (test_shipped_host_params_are_hosts)
{
  static const gchar *const with_host[]
      = { "test-pattern-rtp", "test-pattern-rtp-raw", "camera-rtp", NULL };
  static const gchar *const good[] = { "192.168.1.20", "::1", "2001:db8::7",
    "viewer.example.com", "239.0.0.1", "localhost", NULL };
  g_autofree gchar *label63 = g_strnfill (63, 'a');
  g_autofree gchar *label64 = g_strnfill (64, 'a');
  g_autofree gchar *name254
      = g_strdup_printf ("%s.%s.%s.%.62s", label63, label63, label63, label63);
  g_autofree gchar *long_label = g_strdup_printf ("%s.example", label64);
  const gchar *const bad[] = { "..", "::", "0.0.0.0", "1.2.3.4.5",
    "127.0.0.1:5002", "[::1]", "a..b", name254, long_label, NULL };
  g_autofree gchar *dir = rt_test_shipped_pipelines_dir ();
  const gchar *dirs[] = { dir, NULL };
  g_autoptr (GHashTable) defs
      = pipeline_def_load_dirs (dirs, test_vars, FALSE, NULL);
  GHashTableIter iter;
  gpointer name, value;
  guint i, j, hosts = 0;

  g_hash_table_iter_init (&iter, defs);
  while (g_hash_table_iter_next (&iter, &name, &value)) {
    PipelineDef *def = value;

    for (i = 0; i < def->params->len; i++) {
      const GatewayParam *param = g_ptr_array_index (def->params, i);

      if (g_strcmp0 (param->property, "host") != 0)
        continue;
      fail_unless_equals_string (gateway_param_type_to_string (param->type),
          "host");
      hosts++;
    }
  }
  fail_unless_equals_int (hosts, g_strv_length ((gchar **)with_host));

  for (i = 0; with_host[i]; i++) {
    for (j = 0; good[j]; j++) {
      g_autofree gchar *json = g_strdup_printf ("{\"host\":\"%s\"}", good[j]);

      fail_unless (shipped_accepts (with_host[i], json), "%s refused %s",
          with_host[i], good[j]);
    }
    for (j = 0; bad[j]; j++) {
      g_autofree gchar *json = g_strdup_printf ("{\"host\":\"%s\"}", bad[j]);

      fail_if (shipped_accepts (with_host[i], json), "%s accepted %s",
          with_host[i], bad[j]);
    }
  }
}

GST_END_TEST;

/* Every shipped definition that sends video over the network ends by
 * itself when nobody renews it: default-ttl 60 s (a dashboard renews every
 * 30 s), max-ttl 3600 s. Only the file recorder has no lease; a new
 * shipped definition needs one unless it is added to that list. */
GST_START_TEST (test_shipped_network_pipelines_have_leases)
{
  static const gchar *const local_only[] = { "test-pattern-file", NULL };
  static const gchar *const network[] = { "test-pattern-rtp",
    "test-pattern-rtp-raw", "camera-rtp", "camera-srt", "camera-rtsp", NULL };
  g_autofree gchar *dir = rt_test_shipped_pipelines_dir ();
  const gchar *dirs[] = { dir, NULL };
  g_autoptr (GHashTable) defs
      = pipeline_def_load_dirs (dirs, test_vars, FALSE, NULL);
  GHashTableIter iter;
  gpointer name, value;
  guint i;

  for (i = 0; network[i]; i++)
    fail_unless (g_hash_table_contains (defs, network[i]), "no %s", network[i]);
  g_hash_table_iter_init (&iter, defs);
  while (g_hash_table_iter_next (&iter, &name, &value)) {
    PipelineDef *def = value;

    if (g_strv_contains (local_only, name)) {
      fail_unless_equals_int (def->default_ttl_s, 0);
      continue;
    }
    fail_unless (def->default_ttl_s == 60 && def->max_ttl_s == 3600,
        "%s: default-ttl %u, max-ttl %u", (gchar *)name, def->default_ttl_s,
        def->max_ttl_s);
  }
}

GST_END_TEST;

/* [webrtc] encoder-per-viewer: false unless set; true gives a pipeline
 * whose tee carries raw video and has no encoder of its own (each viewer
 * gets one), so no param can target "encoder"; a value other than true or
 * false is a problem naming the key. */
#define WEBRTC_MINIMAL                                                         \
  "[pipeline]\ndescription=videotestsrc name=src\noutput=webrtc\n"             \
  "[webrtc]\n"

GST_START_TEST (test_webrtc_encoder_per_viewer)
{
  g_autoptr (PipelineDef) shared = load_ok ("s.pipeline", WEBRTC_MINIMAL, TRUE);
  g_autoptr (PipelineDef) own = load_ok ("o.pipeline",
      WEBRTC_MINIMAL "encoder-per-viewer=true\n", TRUE);
  g_autoptr (PipelineDef) off = load_ok ("f.pipeline",
      WEBRTC_MINIMAL "encoder-per-viewer=false\n", FALSE);
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) encoder = NULL;
  g_autoptr (GstElement) encoding = NULL;
  g_autoptr (GstElement) inner = NULL;
  g_autoptr (GError) error = NULL;

  fail_if (shared->webrtc->encoder_per_viewer);
  fail_if (off->webrtc->encoder_per_viewer);
  fail_unless (own->webrtc->encoder_per_viewer);

  pipeline = gst_object_ref_sink (webrtc_pipeline_build (own, &error));
  g_assert_no_error (error);
  encoder = gst_bin_get_by_name (GST_BIN (pipeline), "encoder");
  fail_unless (encoder == NULL, "a shared encoder in a per-viewer pipeline");
  /* A viewer's encoding: raw video in, RTP out, with the element the
   * bitrate rule drives. */
  encoding = webrtc_pipeline_build_encoding (own->webrtc, &error);
  g_assert_no_error (error);
  fail_unless_equals_int (GST_ELEMENT (encoding)->numsinkpads, 1);
  fail_unless_equals_int (GST_ELEMENT (encoding)->numsrcpads, 1);
  inner = gst_bin_get_by_name (GST_BIN (encoding), "encoder");
  fail_unless (inner != NULL);
  fail_unless (webrtc_pipeline_set_encoder_bitrate (GST_BIN (encoding), 321));
  {
    guint kbps = 0;

    g_object_get (inner, "bitrate", &kbps, NULL);
    fail_unless_equals_int (kbps, 321);
  }

  assert_problem (WEBRTC_MINIMAL "encoder-per-viewer=yes\n", FALSE,
      "p.pipeline: [webrtc] encoder-per-viewer: \"yes\" is not true or "
      "false");
  assert_problem (WEBRTC_MINIMAL "encoder-per-viewer=1\n", FALSE,
      "[webrtc] encoder-per-viewer: \"1\" is not true or false");
  /* The encoder is built per viewer: a param cannot reach it. */
  assert_problem (WEBRTC_MINIMAL "encoder-per-viewer=true\n"
                                 "[param:b]\nelement=encoder\n"
                                 "property=bitrate\ntype=uint\nmin=100\n"
                                 "max=2000\n",
      TRUE, "p.pipeline: [param:b] element: no element named \"encoder\"");
  /* A per-viewer encoder that does not build fails at load, not at the
   * first watch. */
  assert_problem (WEBRTC_MINIMAL "encoder-per-viewer=true\n"
                                 "encoder=nosuchencoder name=encoder\n",
      TRUE, "[webrtc] encoder \"nosuchencoder name=encoder\" does not build");
}

GST_END_TEST;

static Suite *
pipeline_def_suite (void)
{
  Suite *s = suite_create ("pipeline-def");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_defaults);
  tcase_add_test (tc, test_every_key);
  tcase_add_test (tc, test_name_is_valid);
  tcase_add_test (tc, test_structure_problems);
  tcase_add_test (tc, test_value_problems);
  tcase_add_test (tc, test_param_problems);
  tcase_add_test (tc, test_every_problem_is_a_line);
  tcase_add_test (tc, test_file_name_problems);
  tcase_add_test (tc, test_element_problems);
  tcase_add_test (tc, test_elements_unchecked_without_flag);
  tcase_add_test (tc, test_lone_sink_or_bin_is_wrapped);
  tcase_add_test (tc, test_vars_substituted);
  tcase_add_test (tc, test_var_problems);
  tcase_add_test (tc, test_load_dirs_override_order);
  tcase_add_test (tc, test_load_dirs_empty);
  tcase_add_test (tc, test_empty_value_is_default);
  tcase_add_test (tc, test_unknown_group_lists_expected);
  tcase_add_test (tc, test_new_defaults);
  tcase_add_test (tc, test_load_params_ignores_other_groups);
  tcase_add_test (tc, test_load_params_reports_every_problem);
  tcase_add_test (tc, test_load_params_missing_or_broken_file);
  tcase_add_test (tc, test_shipped_pipelines_load);
  tcase_add_test (tc, test_shipped_file_param_cannot_escape);
  tcase_add_test (tc, test_shipped_param_patterns);
  tcase_add_test (tc, test_shipped_host_params_are_hosts);
  tcase_add_test (tc, test_shipped_network_pipelines_have_leases);
  tcase_add_test (tc, test_webrtc_encoder_per_viewer);
  return s;
}

RT_TEST_MAIN (pipeline_def);
