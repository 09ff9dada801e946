/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * main.c: subcommand dispatch for the realtime-gateway program.
 */
#include "check-config.h"
#include "cli-realtime.h"
#include "console-serve.h"
#include "daemon.h"

#include <glib.h>

#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

static void
usage (FILE *out)
{
  fprintf (out,
      "Usage: realtime-gateway COMMAND [OPTION...]\n"
      "\n"
      "Commands:\n"
      "  listen    join a channel and print every broadcast as a JSON line\n"
      "  send      send one broadcast on a channel\n"
      "  run       the gateway service: broadcasts drive on-demand pipelines\n"
      "  check-config  check the configuration and pipeline definitions\n"
      "  console   serve the operator's web console and print its URL\n"
      "\n"
      "Run 'realtime-gateway COMMAND --help' for the options of a command.\n"
      "Secrets are read from files (--api-key-file) or the environment\n"
      "(REALTIME_API_KEY), never from the command line.\n");
}

/* Memory freed by stopped pipelines goes back to the system: a daemon
 * idles for hours between runs, and what glibc keeps in its arenas (free
 * chunks between live ones, which it never trims by itself) would count
 * as its footprint all that time. Every 30 s, cheaply: only when more
 * than 1 MiB lies free. */
#define TRIM_INTERVAL_S 30
#define TRIM_MIN_FREE (1024 * 1024)

static gboolean
trim_free_memory (gpointer data)
{
  struct mallinfo2 info = mallinfo2 ();

  if (info.fordblks > TRIM_MIN_FREE)
    malloc_trim (0);
  return G_SOURCE_CONTINUE;
}

/* For `run`: large blocks (an encoder's frames) always from mmap, so that
 * they leave with the pipeline that used them. glibc's threshold starts at
 * 128 KiB but rises to the size of each large block freed (up to 32 MiB),
 * after which the next encoder's frames come from the arenas of the
 * threads that allocate them, and stay there when freed. */
static void
tune_memory_for_daemon (void)
{
  mallopt (M_MMAP_THRESHOLD, 128 * 1024);
  /* No transparent huge pages. libx264 asks for them (MADV_HUGEPAGE) on
   * every block of 1.75 MiB or more, and a huge page is resident whole
   * once one byte of it is written: at 720p its bitstream and NAL buffers
   * (3.5 and 5.3 MiB, a few KiB written per frame) took 2 and 4 MiB, and
   * each of its four frames a full 2 MiB, so a warm encoder idled at 6.4
   * MiB above the pages it uses (35.9 against 29.5 MiB, bench/profile
   * memory). */
  prctl (PR_SET_THP_DISABLE, 1, 0, 0, 0);
  g_timeout_add_seconds (TRIM_INTERVAL_S, trim_free_memory, NULL);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  /* stdout carries data (listen's JSON lines): every log line goes to
   * stderr, whatever its level. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (argc < 2) {
    usage (stderr);
    return 2;
  }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0) {
    usage (stdout);
    return 0;
  }
  if (strcmp (argv[1], "--version") == 0) {
    printf ("realtime-gateway %s\n", PACKAGE_VERSION);
    return 0;
  }
  if (strcmp (argv[1], "listen") == 0)
    return realtime_cli_listen (argc - 1, argv + 1);
  if (strcmp (argv[1], "send") == 0)
    return realtime_cli_send (argc - 1, argv + 1);
  if (strcmp (argv[1], "run") == 0) {
    tune_memory_for_daemon ();
    return gateway_daemon_run (argc - 1, argv + 1);
  }
  if (strcmp (argv[1], "check-config") == 0)
    return gateway_daemon_check_config (argc - 1, argv + 1);
  if (strcmp (argv[1], "console") == 0)
    return gateway_console_serve (argc - 1, argv + 1);

  fprintf (stderr, "realtime-gateway: unknown command \"%s\"\n\n", argv[1]);
  usage (stderr);
  return 2;
}
