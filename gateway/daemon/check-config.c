/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * check-config.c: every check before the daemon starts, once, for both
 * "check-config" (which reports them) and "run" (which refuses to start on
 * them and uses what they made).
 */
#include "check-config.h"

#include "pipeline-def.h"
#include "realtime-settings.h"

#include <gst/gst.h>
#include <string.h>

/**
 * gateway_parse_config_option:
 * @argc: from the command's argument vector
 * @argv: the command's arguments (argv[0] is the command)
 * @what: the command's summary, for --help
 * @config_path: (out): the configuration file (the default when not given)
 *
 * Returns: %FALSE after printing why the arguments are refused
 */
gboolean
gateway_parse_config_option (int argc, char **argv, const gchar *what,
    gchar **config_path)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new (what);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = NULL;
  gboolean verbose = FALSE;
  GOptionEntry entries[]
      = { { "config", 'c', 0, G_OPTION_ARG_FILENAME, &path,
              "Configuration file (default " PKGSYSCONFDIR "/gateway.conf)",
              "FILE" },
          { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
              "Log debug messages (secrets are never logged)", NULL },
          { NULL } };

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("realtime-gateway: %s\n", error->message);
    return FALSE;
  }
  if (argc > 1) {
    g_printerr ("realtime-gateway: unexpected argument \"%s\"\n", argv[1]);
    return FALSE;
  }
  if (verbose)
    g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  *config_path = path ? g_steal_pointer (&path)
                      : g_build_filename (PKGSYSCONFDIR, "gateway.conf", NULL);
  return TRUE;
}

/**
 * gateway_check_config_load:
 * @path: the configuration file
 * @checked: (out caller-allocates): filled when every check passed
 * @problems: (element-type utf8): receives one line per problem
 *
 * Returns: %TRUE when there was no problem
 */
gboolean
gateway_check_config_load (const gchar *path, GatewayCheckedConfig *checked,
    GPtrArray *problems)
{
  g_autoptr (GatewayConfig) config = gateway_config_load (path, problems);
  g_auto (GStrv) vars = NULL;
  g_autoptr (GHashTable) defs = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) turn_error = NULL;
  g_autoptr (RealtimeClient) client = NULL;

  memset (checked, 0, sizeof *checked);
  if (!config)
    return FALSE;
  /* The one connection setup checks the settings and reads the secrets. */
  client = realtime_settings_make_client (&config->realtime, &error);
  if (!client)
    g_ptr_array_add (problems,
        g_strdup_printf ("%s: [realtime] %s", config->path, error->message));
  if (g_file_test (config->recordings_dir, G_FILE_TEST_EXISTS)
      && !g_file_test (config->recordings_dir, G_FILE_TEST_IS_DIR))
    g_ptr_array_add (problems,
        g_strdup_printf ("%s: [gateway] recordings-dir: %s is not a "
                         "directory",
            config->path, config->recordings_dir));
  /* The TURN credentials are read now: a run must not find them missing
   * at its first viewer. Errors name the file, never its contents. */
  if (!webrtc_settings_read_credentials (&config->webrtc, &turn_error))
    g_ptr_array_add (problems,
        g_strdup_printf ("%s: [webrtc] turn-credentials-file: %s", config->path,
            turn_error->message));
  vars = gateway_config_pipeline_vars (config);
  defs = pipeline_def_load_dirs ((const gchar *const *)config->pipelines_dirs,
      (const gchar *const *)vars, TRUE, problems);
  if (defs && g_hash_table_size (defs) == 0)
    g_ptr_array_add (problems,
        g_strdup_printf ("%s: [gateway] pipelines-dirs: no *.pipeline file "
                         "found",
            config->path));
  if (problems->len > 0)
    return FALSE;
  checked->config = g_steal_pointer (&config);
  checked->vars = g_steal_pointer (&vars);
  checked->defs = g_steal_pointer (&defs);
  checked->client = g_steal_pointer (&client);
  return TRUE;
}

/**
 * gateway_checked_config_clear:
 * @checked: what gateway_check_config_load() filled
 *
 * Frees every field still set and sets it to %NULL.
 */
void
gateway_checked_config_clear (GatewayCheckedConfig *checked)
{
  g_clear_pointer (&checked->config, gateway_config_free);
  g_clear_pointer (&checked->vars, g_strfreev);
  g_clear_pointer (&checked->defs, g_hash_table_unref);
  g_clear_object (&checked->client);
}

/**
 * gateway_print_problems:
 * @problems: (element-type utf8): one line each
 *
 * Prints them to stderr, then how many there were.
 */
void
gateway_print_problems (GPtrArray *problems)
{
  guint i;

  for (i = 0; i < problems->len; i++)
    g_printerr ("%s\n", (gchar *)g_ptr_array_index (problems, i));
  g_printerr ("%u problem%s found\n", problems->len,
      problems->len == 1 ? "" : "s");
}

/**
 * gateway_daemon_check_config:
 * @argc: from the command's argument vector
 * @argv: the command's arguments
 *
 * Returns: 0 when everything is fine, 1 with problems, 2 for bad arguments
 */
int
gateway_daemon_check_config (int argc, char **argv)
{
  g_autofree gchar *path = NULL;
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GList) names = NULL;
  GatewayCheckedConfig checked;
  GList *l;

  if (!gateway_parse_config_option (argc, argv,
          "check-config - check the configuration and every pipeline "
          "definition",
          &path))
    return 2;
  gst_init (NULL, NULL);
  if (!gateway_check_config_load (path, &checked, problems)) {
    gateway_print_problems (problems);
    return 1;
  }
  names = g_list_sort (g_hash_table_get_keys (checked.defs),
      (GCompareFunc)strcmp);
  g_print ("%s: OK, channel realtime:%s, %u pipelines:", checked.config->path,
      checked.config->channel, g_hash_table_size (checked.defs));
  for (l = names; l; l = l->next)
    g_print (" %s", (gchar *)l->data);
  g_print ("\n");
  g_clear_pointer (&names, g_list_free);
  gateway_checked_config_clear (&checked);
  return 0;
}
