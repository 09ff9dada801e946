/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-util.h: helpers shared by the test suites.
 */
#pragma once

#include <gio/gio.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Secrets every test uses: the log writer aborts the test run if either
 * ever reaches a log line, and CI greps full-debug logs for them too. */
#define RT_TEST_API_KEY "rtk-apikey-5ecret-7d1f2a9c"
#define RT_TEST_TOKEN "rtk-token-5ecret-b4e8c6d0"
#define RT_TEST_TOKEN2 "rtk-token-5ecret-93ad51f7"

/* Installs the structured log writer: every line goes to stderr (debug and
 * info only when G_MESSAGES_DEBUG asks for them), is kept in memory for
 * rt_test_count_logs(), and is checked for the secrets above; a secret in
 * a log line fails the test at once. Criticals are fatal. */
void rt_test_init_logging (void);

/* Number of log lines captured since the last clear that contain
 * @substring (any level, any domain). */
guint rt_test_count_logs (const gchar *substring);
void rt_test_clear_logs (void);

/* Runs one iteration of the thread-default main context, waiting at most
 * @max_wait_ms for an event. */
void rt_test_iterate (guint max_wait_ms);

/* Iterates the thread-default main context until @cond is true or
 * @timeout_ms passed; evaluates to the final value of @cond. */
#define RT_WAIT_UNTIL(cond, timeout_ms)                                        \
  ({                                                                           \
    gint64 _rt_end = g_get_monotonic_time () + (gint64)(timeout_ms)*1000;      \
    while (!(cond) && g_get_monotonic_time () < _rt_end)                       \
      rt_test_iterate (20);                                                    \
    (cond);                                                                    \
  })

/* Iterates the main context for @ms, for checking that something does NOT
 * happen within a window. */
void rt_test_run_for (guint ms);

/* Number of GSources attached to the thread-default context right now. */
guint rt_test_count_sources (void);

/* A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0,
 * then released). */
guint rt_test_free_port (void);

/* Adds a TCP address on 127.0.0.1, on a port the system picks, to
 * @listener; fails the test on error. Returns the port. */
guint rt_test_listen_loopback (GSocketListener *listener);

/* Writes @text to @name in @dir; fails the test on error. */
void
rt_test_write_file (const gchar *dir, const gchar *name, const gchar *text);

/* Removes @path and, for a directory, everything below it (symbolic links
 * are removed, never followed). */
void rt_test_rm_rf (const gchar *path);

/* A new directory under the system's temporary directory, named from
 * @tmpl (as for g_dir_make_tmp(), "prefix-XXXXXX"); fails the test on
 * error. Free with rt_test_clear_tmp_dir(). */
gchar *rt_test_make_tmp_dir (const gchar *tmpl);

/* Removes the directory *@dir_path with everything below it, frees the path
 * and sets it to NULL; does nothing when it is NULL already. */
void rt_test_clear_tmp_dir (gchar **dir_path);

/* Parses @text as JSON; fails the test when it does not parse.
 * Returns: (transfer full): the root node. */
JsonNode *rt_test_json (const gchar *text);

/* The absolute path of @name in tests/data/tls (the test CA, server
 * certificate and key): under $RT_TEST_DATA_DIR/tls when that is set,
 * else found from this file's path in the source tree (as the compiler
 * was given it, relative to the build directory meson runs tests from). */
gchar *rt_test_tls_file (const gchar *name);

/* The source tree's pipelines/ directory: $RT_PIPELINES_DIR when that is
 * set, else found from this file's path (as the compiler was given it,
 * relative to the build root: the directory above that of the running
 * executable, which must be built in tests/). */
gchar *rt_test_shipped_pipelines_dir (void);

/* main() for a gst-check suite with the logging above. */
#define RT_TEST_MAIN(name)                                                     \
  int main (int argc, char **argv)                                             \
  {                                                                            \
    Suite *s;                                                                  \
    gst_check_init (&argc, &argv);                                             \
    rt_test_init_logging ();                                                   \
    s = name##_suite ();                                                       \
    return gst_check_run_suite (s, #name, __FILE__);                           \
  }

G_END_DECLS
