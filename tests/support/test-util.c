/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "test-util.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

static GMutex log_lock;
static GPtrArray *log_lines;

static const gchar *
field_string (const GLogField *fields, gsize n_fields, const gchar *key)
{
  gsize i;

  for (i = 0; i < n_fields; i++) {
    if (g_strcmp0 (fields[i].key, key) == 0) {
      if (fields[i].length < 0)
        return fields[i].value;
      return NULL;
    }
  }
  return NULL;
}

static gboolean
contains_secret (const gchar *text)
{
  static const gchar *secrets[]
      = { RT_TEST_API_KEY, RT_TEST_TOKEN, RT_TEST_TOKEN2, NULL };
  guint i;

  for (i = 0; secrets[i]; i++)
    if (text && strstr (text, secrets[i]))
      return TRUE;
  return FALSE;
}

static GLogWriterOutput
writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
    gpointer user_data)
{
  const gchar *message = field_string (fields, n_fields, "MESSAGE");
  const gchar *domain = field_string (fields, n_fields, "GLIB_DOMAIN");
  gchar *line;

  line = g_strdup_printf ("%s: %s", domain ? domain : "(none)",
      message ? message : "");
  g_mutex_lock (&log_lock);
  g_ptr_array_add (log_lines, g_strdup (line));
  g_mutex_unlock (&log_lock);

  if (contains_secret (line)) {
    /* Print a redacted marker, not the line itself, then fail. */
    g_printerr ("SECRET LEAKED into a log line of domain %s at level %d\n",
        domain ? domain : "(none)", level);
    g_free (line);
    abort ();
  }
  g_free (line);

  if (!g_log_writer_default_would_drop (level, domain))
    g_log_writer_standard_streams (level, fields, n_fields, user_data);

  if (level & G_LOG_LEVEL_CRITICAL)
    return g_log_writer_default (level, fields, n_fields, user_data);
  if (level & G_LOG_LEVEL_ERROR)
    abort ();
  return G_LOG_WRITER_HANDLED;
}

static void
old_api_handler (const gchar *domain, GLogLevelFlags level,
    const gchar *message, gpointer user_data)
{
  g_log_structured (domain ? domain : "", level, "MESSAGE", "%s", message);
}

void
rt_test_init_logging (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;
  log_lines = g_ptr_array_new_with_free_func (g_free);
  /* gst_check_init() makes warnings fatal; warnings from the code under
   * test are expected output of fault-injection tests. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_log_set_handler ("rt-server",
      G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
      old_api_handler, NULL);
  g_log_set_writer_func (writer, NULL, NULL);
}

guint
rt_test_count_logs (const gchar *substring)
{
  guint i, n = 0;

  g_mutex_lock (&log_lock);
  for (i = 0; log_lines && i < log_lines->len; i++)
    if (strstr (g_ptr_array_index (log_lines, i), substring))
      n++;
  g_mutex_unlock (&log_lock);
  return n;
}

void
rt_test_clear_logs (void)
{
  g_mutex_lock (&log_lock);
  if (log_lines)
    g_ptr_array_set_size (log_lines, 0);
  g_mutex_unlock (&log_lock);
}

static gboolean
wake (gpointer data)
{
  gboolean *fired = data;
  *fired = TRUE;
  return G_SOURCE_REMOVE;
}

void
rt_test_iterate (guint max_wait_ms)
{
  GMainContext *ctx = g_main_context_ref_thread_default ();
  GSource *timeout = g_timeout_source_new (max_wait_ms);
  gboolean fired = FALSE;

  g_source_set_callback (timeout, wake, &fired, NULL);
  g_source_attach (timeout, ctx);
  g_main_context_iteration (ctx, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);
  g_main_context_unref (ctx);
}

void
rt_test_run_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)ms * 1000;

  while (g_get_monotonic_time () < end)
    rt_test_iterate (10);
}

guint
rt_test_count_sources (void)
{
  GMainContext *ctx = g_main_context_ref_thread_default ();
  guint n = 0;
  guint id;

  /* Source ids are not reused while the context lives; probe the range of
   * ids handed out so far by creating and destroying a marker source. */
  {
    GSource *marker = g_idle_source_new ();
    guint top = g_source_attach (marker, ctx);
    g_source_destroy (marker);
    g_source_unref (marker);
    for (id = 1; id < top; id++)
      if (g_main_context_find_source_by_id (ctx, id))
        n++;
  }
  g_main_context_unref (ctx);
  return n;
}

guint
rt_test_free_port (void)
{
  g_autoptr (GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL);
  g_autoptr (GInetAddress) lo
      = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) a = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  GError *error = NULL;

  fail_unless (s != NULL, "cannot make a socket");
  fail_unless (g_socket_bind (s, a, TRUE, &error),
      "cannot bind 127.0.0.1:0: %s", error ? error->message : "");
  bound = g_socket_get_local_address (s, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

guint
rt_test_listen_loopback (GSocketListener *listener)
{
  g_autoptr (GInetAddress) lo
      = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  GError *error = NULL;

  g_socket_listener_add_address (listener, any, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

void
rt_test_write_file (const gchar *dir, const gchar *name, const gchar *text)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  GError *error = NULL;

  fail_unless (g_file_set_contents (path, text, -1, &error),
      "cannot write %s: %s", path, error ? error->message : "");
}

void
rt_test_rm_rf (const gchar *path)
{
  g_autoptr (GDir) dir = NULL;
  const gchar *name;

  if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    dir = g_dir_open (path, 0, NULL);
  while (dir && (name = g_dir_read_name (dir))) {
    g_autofree gchar *child = g_build_filename (path, name, NULL);

    if (g_file_test (child, G_FILE_TEST_IS_DIR)
        && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
      rt_test_rm_rf (child);
    else
      g_unlink (child);
  }
  if (dir)
    g_rmdir (path);
  else
    g_unlink (path);
}

gchar *
rt_test_make_tmp_dir (const gchar *tmpl)
{
  GError *error = NULL;
  gchar *dir_path = g_dir_make_tmp (tmpl, &error);

  g_assert_no_error (error);
  return dir_path;
}

void
rt_test_clear_tmp_dir (gchar **dir_path)
{
  if (*dir_path == NULL)
    return;
  rt_test_rm_rf (*dir_path);
  g_clear_pointer (dir_path, g_free);
}

JsonNode *
rt_test_json (const gchar *text)
{
  GError *error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

/**
 * rt_test_tls_file:
 * @name: a file of tests/data/tls ("ca.pem", "server.pem", ...)
 *
 * Returns: (transfer full): its absolute path
 */
gchar *
rt_test_tls_file (const gchar *name)
{
  const gchar *env = g_getenv ("RT_TEST_DATA_DIR");
  g_autofree gchar *support_dir = g_path_get_dirname (__FILE__);
  g_autofree gchar *path = env && *env
      ? g_build_filename (env, "tls", name, NULL)
      : g_build_filename (support_dir, "..", "data", "tls", name, NULL);

  return g_canonicalize_filename (path, NULL);
}

/**
 * rt_test_shipped_pipelines_dir:
 *
 * Returns: (transfer full): the absolute path of the pipelines/ directory
 */
gchar *
rt_test_shipped_pipelines_dir (void)
{
  const gchar *env = g_getenv ("RT_PIPELINES_DIR");
  g_autofree gchar *exe = NULL;
  g_autofree gchar *tests_build = NULL;
  g_autofree gchar *build_root = NULL;
  g_autofree gchar *src = NULL;
  g_autofree gchar *support_dir = NULL;

  if (env)
    return g_strdup (env);
  exe = g_file_read_link ("/proc/self/exe", NULL);
  fail_unless (exe != NULL);
  tests_build = g_path_get_dirname (exe);
  build_root = g_path_get_dirname (tests_build);
  src = g_canonicalize_filename (__FILE__, build_root);
  support_dir = g_path_get_dirname (src);
  return g_canonicalize_filename ("../../pipelines", support_dir);
}
