/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fuzz-config.c: libFuzzer target for the daemon's configuration loader,
 * gateway_config_load() (gateway/gateway-config.c), on a file holding the
 * input.
 *
 * Like pipeline definitions, the configuration is trusted but hand-written:
 * every input must give either a configuration or problem lines (one line
 * each, naming the file), never both, never neither, and never a crash.
 *
 * Properties checked on a loaded configuration: the URL, channel and
 * event names are set, backoff min <= max, the time values are non-zero,
 * resolved paths are absolute, and gateway_config_pipeline_vars() gives
 * NAME=value lines.
 */
#include "fuzz-common.h"

#include "gateway-config.h"

#include <glib/gstdio.h>

static gchar *dir;
static gchar *path;

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
  /* Bare secret file names resolve against this first: keep it out of
   * the way. */
  g_unsetenv ("CREDENTIALS_DIRECTORY");
  dir = g_dir_make_tmp ("rt-fuzz-config-XXXXXX", &error);
  if (!dir)
    g_error ("temporary directory: %s", error->message);
  path = g_build_filename (dir, "gateway.conf", NULL);
  atexit (cleanup);
  return 0;
}

static void
check_path (const gchar *what, const gchar *p)
{
  FUZZ_ASSERT (!p || g_path_is_absolute (p), "%s is not absolute: %s", what, p);
}

static void
check_config (GatewayConfig *c)
{
  g_auto (GStrv) vars = NULL;
  guint i;

  FUZZ_ASSERT (c->realtime.url && *c->realtime.url, "no url");
  FUZZ_ASSERT (c->channel && *c->channel, "no channel");
  FUZZ_ASSERT (c->ev_start && *c->ev_start && c->ev_stop && *c->ev_stop
          && c->ev_renew && *c->ev_renew && c->ev_status && *c->ev_status
          && c->ev_reply && *c->ev_reply,
      "an event name is empty");
  FUZZ_ASSERT (c->realtime.backoff_min_ms <= c->realtime.backoff_max_ms,
      "backoff min %u above max %u", c->realtime.backoff_min_ms,
      c->realtime.backoff_max_ms);
  FUZZ_ASSERT (c->realtime.heartbeat_interval_ms > 0
          && c->realtime.join_timeout_ms > 0,
      "a zero interval or timeout");
  check_path ("api-key-file", c->realtime.api_key_file);
  check_path ("access-token-file", c->realtime.access_token_file);
  check_path ("ca-file", c->realtime.ca_file);
  check_path ("recordings-dir", c->recordings_dir);
  for (i = 0; c->pipelines_dirs && c->pipelines_dirs[i]; i++)
    check_path ("pipelines-dirs", c->pipelines_dirs[i]);

  vars = gateway_config_pipeline_vars (c);
  for (i = 0; vars && vars[i]; i++)
    FUZZ_ASSERT (strchr (vars[i], '=') && vars[i][0] != '=',
        "pipeline variable without NAME=: %s", vars[i]);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GatewayConfig) config = NULL;
  GError *error = NULL;
  guint i;

  if (!g_file_set_contents (path, (const gchar *)data, size, &error))
    g_error ("%s: %s", path, error->message);

  config = gateway_config_load (path, problems);
  FUZZ_ASSERT ((config == NULL) == (problems->len > 0),
      "configuration %s with %u problem(s)", config ? "returned" : "missing",
      problems->len);
  for (i = 0; i < problems->len; i++) {
    const gchar *line = g_ptr_array_index (problems, i);

    FUZZ_ASSERT (g_str_has_prefix (line, path),
        "problem line does not name the file: %s", line);
    FUZZ_ASSERT (!strchr (line, '\n'), "problem line holds a newline");
  }
  if (config)
    check_config (config);
  return 0;
}
