/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gateway-process.c: the realtime-gateway program as a child of a test
 * (gateway-process.h).
 */
#include "gateway-process.h"

#include "test-util.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define LOG_TAIL 6000

struct _RtGatewayProcess
{
  gchar *dir;
  gchar *config;
  gchar *log;
  guint metrics_port;
  GHashTable *env; /* variable -> value (NULL: unset) */
  GSubprocess *proc;
  GPtrArray *lines; /* stdout of the last child, shared with its reader */
  struct _StdoutReader *reader; /* nullable */
};

/* Reads a child's stdout line by line into @lines. The pending read holds
 * a reference, so the reader outlives an RtGatewayProcess freed while the
 * read is still to complete. */
typedef struct _StdoutReader
{
  gint ref;
  GDataInputStream *in;
  GCancellable *cancel;
  GPtrArray *lines;
  gboolean eof;
} StdoutReader;

static void
reader_unref (StdoutReader *r)
{
  if (!g_atomic_int_dec_and_test (&r->ref))
    return;
  g_object_unref (r->in);
  g_object_unref (r->cancel);
  g_ptr_array_unref (r->lines);
  g_free (r);
}

static void reader_next (StdoutReader *r);

static void
on_line (GObject *source, GAsyncResult *result, gpointer data)
{
  StdoutReader *r = data;
  gchar *line
      = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
          result, NULL, NULL);

  if (!line || g_cancellable_is_cancelled (r->cancel)) {
    g_free (line);
    r->eof = TRUE;
    reader_unref (r);
    return;
  }
  g_ptr_array_add (r->lines, line);
  reader_next (r);
}

static void
reader_next (StdoutReader *r)
{
  g_data_input_stream_read_line_async (r->in, G_PRIORITY_DEFAULT, r->cancel,
      on_line, r);
}

static StdoutReader *
reader_start (GInputStream *pipe, GPtrArray *lines)
{
  StdoutReader *r = g_new0 (StdoutReader, 1);

  r->ref = 2; /* the caller's and the pending read's */
  r->in = g_data_input_stream_new (pipe);
  r->cancel = g_cancellable_new ();
  r->lines = g_ptr_array_ref (lines);
  reader_next (r);
  return r;
}

gchar *
rt_gateway_bin (void)
{
  const gchar *env = g_getenv ("RT_GATEWAY_BIN");
  g_autofree gchar *self = NULL;
  g_autofree gchar *dir = NULL;
  gchar *bin = NULL;

  if (env && *env) {
    bin = g_strdup (env);
  } else if ((self = g_file_read_link ("/proc/self/exe", NULL))) {
    /* build/tests[/sub]/test-x -> build/gateway/realtime-gateway */
    dir = g_path_get_dirname (self);
    bin = g_build_filename (dir, "..", "gateway", "realtime-gateway", NULL);
    if (!g_file_test (bin, G_FILE_TEST_IS_EXECUTABLE)) {
      g_free (bin);
      bin = g_build_filename (dir, "..", "..", "gateway", "realtime-gateway",
          NULL);
    }
  }
  fail_unless (bin && g_file_test (bin, G_FILE_TEST_IS_EXECUTABLE),
      "realtime-gateway not found at %s: set RT_GATEWAY_BIN",
      bin ? bin : "(none)");
  return bin;
}

RtGatewayProcess *
rt_gateway_process_new (const gchar *name)
{
  RtGatewayProcess *gp = g_new0 (RtGatewayProcess, 1);
  g_autofree gchar *template = g_strdup_printf ("rtg-%s-XXXXXX", name);
  g_autofree gchar *pipelines = NULL;
  g_autofree gchar *recordings = NULL;
  GError *error = NULL;

  gp->dir = g_dir_make_tmp (template, &error);
  fail_unless (gp->dir != NULL, "cannot make a temporary directory: %s",
      error ? error->message : "");
  gp->config = g_build_filename (gp->dir, "gateway.conf", NULL);
  gp->log = g_build_filename (gp->dir, "gateway.log", NULL);
  pipelines = g_build_filename (gp->dir, "pipelines", NULL);
  recordings = g_build_filename (gp->dir, "recordings", NULL);
  fail_unless (g_mkdir (pipelines, 0700) == 0
          && g_mkdir (recordings, 0700) == 0,
      "cannot make the directories of %s", gp->dir);
  rt_test_write_file (gp->dir, "apikey", RT_TEST_API_KEY "\n");
  rt_test_write_file (gp->dir, "token", RT_TEST_TOKEN "\n");
  gp->metrics_port = rt_test_free_port ();
  gp->env = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* As in production (tests may run with G_SLICE=always-malloc). */
  g_hash_table_insert (gp->env, g_strdup ("G_SLICE"), NULL);
  /* Every level, so what a test waits for at debug level is there. */
  g_hash_table_insert (gp->env, g_strdup ("G_MESSAGES_DEBUG"),
      g_strdup ("all"));
  gp->lines = g_ptr_array_new_with_free_func (g_free);
  return gp;
}

/* Drops the stdout reader of the last child, once it has read what the
 * child wrote before it ended (or at most 2 s). */
static void
forget_stdout (RtGatewayProcess *gp)
{
  StdoutReader *r = gp->reader;

  if (!r)
    return;
  gp->reader = NULL;
  if (!rt_gateway_process_is_running (gp))
    RT_WAIT_UNTIL (r->eof, 2000);
  g_cancellable_cancel (r->cancel);
  reader_unref (r);
}

void
rt_gateway_process_free (RtGatewayProcess *gp)
{
  if (!gp)
    return;
  if (gp->proc) {
    rt_gateway_process_stop (gp, 15000);
    forget_stdout (gp);
    g_clear_object (&gp->proc);
  }
  if (g_getenv ("RT_TEST_KEEP"))
    g_printerr ("kept %s\n", gp->dir);
  else
    rt_test_rm_rf (gp->dir);
  g_hash_table_unref (gp->env);
  g_ptr_array_unref (gp->lines);
  g_free (gp->dir);
  g_free (gp->config);
  g_free (gp->log);
  g_free (gp);
}

const gchar *
rt_gateway_process_get_dir (RtGatewayProcess *gp)
{
  return gp->dir;
}

gchar *
rt_gateway_process_path (RtGatewayProcess *gp, const gchar *name)
{
  return g_build_filename (gp->dir, name, NULL);
}

void
rt_gateway_process_write_file (RtGatewayProcess *gp, const gchar *name,
    const gchar *text)
{
  rt_test_write_file (gp->dir, name, text);
}

const gchar *
rt_gateway_process_get_config_path (RtGatewayProcess *gp)
{
  return gp->config;
}

const gchar *
rt_gateway_process_get_log_path (RtGatewayProcess *gp)
{
  return gp->log;
}

guint
rt_gateway_process_get_metrics_port (RtGatewayProcess *gp)
{
  return gp->metrics_port;
}

/* Sets the keys of @text ("key=value" lines, "[group]" lines switching the
 * group) in @kf, starting in @group. */
static void
merge_keys (GKeyFile *kf, const gchar *group, const gchar *text)
{
  g_autoptr (GKeyFile) extra = g_key_file_new ();
  g_autofree gchar *whole = NULL;
  g_auto (GStrv) groups = NULL;
  GError *error = NULL;
  guint i, j;

  if (!text)
    return;
  whole = g_strdup_printf ("[%s]\n%s", group, text);
  fail_unless (g_key_file_load_from_data (extra, whole, -1,
                   G_KEY_FILE_KEEP_COMMENTS, &error),
      "bad extra configuration: %s", error ? error->message : "");
  groups = g_key_file_get_groups (extra, NULL);
  for (i = 0; groups[i]; i++) {
    g_auto (GStrv) keys = g_key_file_get_keys (extra, groups[i], NULL, NULL);

    for (j = 0; keys && keys[j]; j++) {
      g_autofree gchar *v
          = g_key_file_get_value (extra, groups[i], keys[j], NULL);
      g_key_file_set_value (kf, groups[i], keys[j], v);
    }
  }
}

void
rt_gateway_process_write_config (RtGatewayProcess *gp, const gchar *url,
    const gchar *channel, const gchar *extra_realtime,
    const gchar *extra_gateway)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree gchar *metrics
      = g_strdup_printf ("127.0.0.1:%u", gp->metrics_port);
  g_autofree gchar *text = NULL;

  g_key_file_set_value (kf, "realtime", "url", url);
  g_key_file_set_value (kf, "realtime", "api-key-file", "apikey");
  g_key_file_set_value (kf, "realtime", "channel", channel);
  g_key_file_set_value (kf, "realtime", "heartbeat-interval", "1");
  g_key_file_set_value (kf, "realtime", "join-timeout", "2");
  g_key_file_set_value (kf, "realtime", "backoff-min", "0.05");
  g_key_file_set_value (kf, "realtime", "backoff-max", "0.5");
  g_key_file_set_value (kf, "gateway", "id", "test-robot");
  g_key_file_set_value (kf, "gateway", "pipelines-dirs", "pipelines");
  g_key_file_set_value (kf, "gateway", "recordings-dir", "recordings");
  g_key_file_set_value (kf, "gateway", "metrics-address", metrics);
  merge_keys (kf, "realtime", extra_realtime);
  merge_keys (kf, "gateway", extra_gateway);
  text = g_key_file_to_data (kf, NULL, NULL);
  rt_test_write_file (gp->dir, "gateway.conf", text);
}

void
rt_gateway_process_setenv (RtGatewayProcess *gp, const gchar *variable,
    const gchar *value)
{
  g_hash_table_insert (gp->env, g_strdup (variable), g_strdup (value));
}

/* A crashed or killed test must not leave the gateway behind. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

void
rt_gateway_process_spawnv (RtGatewayProcess *gp, const gchar *const *args)
{
  g_autoptr (GSubprocessLauncher) l
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (NULL);
  g_autofree gchar *bin = rt_gateway_bin ();
  GHashTableIter iter;
  gpointer key, value;
  GError *error = NULL;
  guint i;

  fail_if (rt_gateway_process_is_running (gp),
      "a realtime-gateway of %s still runs", gp->dir);
  if (gp->proc) {
    forget_stdout (gp);
    g_clear_object (&gp->proc);
  }
  g_ptr_array_add (argv, bin);
  for (i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_set_cwd (l, gp->dir);
  g_subprocess_launcher_set_stderr_file_path (l, gp->log);
  g_hash_table_iter_init (&iter, gp->env);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    if (value)
      g_subprocess_launcher_setenv (l, key, value, TRUE);
    else
      g_subprocess_launcher_unsetenv (l, key);
  }
  g_subprocess_launcher_set_child_setup (l, die_with_parent, NULL, NULL);
  gp->proc = g_subprocess_launcher_spawnv (l, (const gchar *const *)argv->pdata,
      &error);
  fail_unless (gp->proc != NULL, "cannot start %s: %s", bin,
      error ? error->message : "");
  /* A reader of an earlier child is cancelled: it adds nothing more. */
  g_ptr_array_set_size (gp->lines, 0);
  gp->reader
      = reader_start (g_subprocess_get_stdout_pipe (gp->proc), gp->lines);
}

void
rt_gateway_process_spawn (RtGatewayProcess *gp, const gchar *first_arg, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  const gchar *arg;
  va_list ap;

  va_start (ap, first_arg);
  for (arg = first_arg; arg; arg = va_arg (ap, const gchar *))
    g_ptr_array_add (args, (gpointer)arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  rt_gateway_process_spawnv (gp, (const gchar *const *)args->pdata);
}

void
rt_gateway_process_run (RtGatewayProcess *gp)
{
  rt_gateway_process_spawn (gp, "run", "--config", gp->config, NULL);
}

gint
rt_gateway_process_check_config (RtGatewayProcess *gp, const gchar *config_path,
    gchar **output)
{
  g_autofree gchar *bin = rt_gateway_bin ();
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  const gchar *argv[] = { bin, "check-config", "--config",
    config_path ? config_path : gp->config, NULL };
  GError *error = NULL;
  gint status = 0;

  fail_unless (g_spawn_sync (gp->dir, (gchar **)argv, NULL, G_SPAWN_DEFAULT,
                   NULL, NULL, &out, &err, &status, &error),
      "cannot run %s check-config: %s", bin, error ? error->message : "");
  if (output)
    *output = g_strconcat (out ? out : "", err ? err : "", NULL);
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  return -1;
}

gboolean
rt_gateway_process_is_running (RtGatewayProcess *gp)
{
  /* GLib reaps the child on its worker thread, then the id is gone. */
  return gp->proc && g_subprocess_get_identifier (gp->proc) != NULL;
}

GSubprocess *
rt_gateway_process_get_subprocess (RtGatewayProcess *gp)
{
  return gp->proc;
}

void
rt_gateway_process_signal (RtGatewayProcess *gp, gint signum)
{
  if (rt_gateway_process_is_running (gp))
    g_subprocess_send_signal (gp->proc, signum);
}

gboolean
rt_gateway_process_wait_exit (RtGatewayProcess *gp, guint timeout_ms)
{
  if (!gp->proc)
    return TRUE;
  /* Iterates while waiting: the server must keep answering (the leave). */
  if (!RT_WAIT_UNTIL (!rt_gateway_process_is_running (gp), timeout_ms))
    return FALSE;
  g_subprocess_wait (gp->proc, NULL, NULL);
  return TRUE;
}

gboolean
rt_gateway_process_stop (RtGatewayProcess *gp, guint timeout_ms)
{
  gboolean in_time;

  if (!gp->proc)
    return TRUE;
  rt_gateway_process_signal (gp, SIGTERM);
  in_time = rt_gateway_process_wait_exit (gp, timeout_ms);
  if (!in_time) {
    g_printerr ("realtime-gateway in %s did not end within %u ms of SIGTERM; "
                "killing it\n",
        gp->dir, timeout_ms);
    g_subprocess_force_exit (gp->proc);
    g_subprocess_wait (gp->proc, NULL, NULL);
  }
  return in_time;
}

gint
rt_gateway_process_get_exit_status (RtGatewayProcess *gp)
{
  if (!gp->proc || rt_gateway_process_is_running (gp))
    return -1;
  g_subprocess_wait (gp->proc, NULL, NULL);
  if (!g_subprocess_get_if_exited (gp->proc))
    return -1;
  return g_subprocess_get_exit_status (gp->proc);
}

gchar *
rt_gateway_process_read_log (RtGatewayProcess *gp)
{
  gchar *text = NULL;

  if (!g_file_get_contents (gp->log, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

guint
rt_gateway_process_count_log (RtGatewayProcess *gp, const gchar *substring)
{
  g_autofree gchar *text = rt_gateway_process_read_log (gp);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint i, n = 0;

  for (i = 0; lines[i]; i++)
    if (strstr (lines[i], substring))
      n++;
  return n;
}

gboolean
rt_gateway_process_wait_log (RtGatewayProcess *gp, const gchar *substring,
    guint timeout_ms)
{
  return RT_WAIT_UNTIL (rt_gateway_process_count_log (gp, substring) > 0,
      timeout_ms);
}

void
rt_gateway_process_dump_log (RtGatewayProcess *gp)
{
  g_autofree gchar *text = rt_gateway_process_read_log (gp);
  gsize len = strlen (text);

  g_printerr ("----- %s (last %d bytes) -----\n%s\n----- end of log -----\n",
      gp->log, LOG_TAIL, text + (len > LOG_TAIL ? len - LOG_TAIL : 0));
}

GPtrArray *
rt_gateway_process_get_stdout_lines (RtGatewayProcess *gp)
{
  return gp->lines;
}

gchar *
rt_gateway_process_http_get (RtGatewayProcess *gp, const gchar *path,
    guint *status)
{
  g_autoptr (SoupSession) s
      = soup_session_new_with_options ("timeout", 10, NULL);
  g_autofree gchar *url
      = g_strdup_printf ("http://127.0.0.1:%u%s", gp->metrics_port, path);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GBytes) body = NULL;
  gsize len;
  const gchar *data;

  if (status)
    *status = 0;
  body = soup_session_send_and_read (s, msg, NULL, NULL);
  if (!body)
    return NULL;
  if (status)
    *status = soup_message_get_status (msg);
  data = g_bytes_get_data (body, &len);
  return g_strndup (data, len);
}

gdouble
rt_gateway_process_metric (RtGatewayProcess *gp, const gchar *name)
{
  guint status = 0;
  g_autofree gchar *text
      = rt_gateway_process_http_get (gp, "/metrics", &status);
  g_auto (GStrv) lines = NULL;
  gsize n = strlen (name);
  guint i;

  if (!text || status != 200)
    return -1;
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i]; i++)
    if (strncmp (lines[i], name, n) == 0 && lines[i][n] == ' ')
      return g_ascii_strtod (lines[i] + n + 1, NULL);
  return -1;
}
