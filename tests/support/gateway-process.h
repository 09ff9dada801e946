/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gateway-process.h: the realtime-gateway program as a child process of a
 * test. One RtGatewayProcess owns a temporary directory holding what a run
 * needs:
 *
 *   apikey        RT_TEST_API_KEY and a newline (a secrets file)
 *   token         RT_TEST_TOKEN and a newline
 *   pipelines/    empty: the test writes its definitions there
 *   recordings/   empty
 *   gateway.conf  written by rt_gateway_process_write_config() (or by the
 *                 test, through rt_gateway_process_write_file())
 *   gateway.log   the child's stderr, every level (G_MESSAGES_DEBUG=all)
 *
 * and a free loopback port for the metrics endpoint. The child runs with
 * the directory as its working directory (relative paths in the config are
 * the directory's), without G_SLICE (as in production), and dies with the
 * test process. Its stdout is read line by line while the thread-default
 * main context is iterated (rt_gateway_process_get_stdout_lines()).
 *
 * The program is RT_GATEWAY_BIN, or ../gateway/realtime-gateway next to the
 * test program (the build tree's layout).
 *
 * Waits iterate the thread-default main context (the local server's) and
 * are bounded. Freeing stops the child (SIGTERM, then SIGKILL after 15 s),
 * and removes the directory unless RT_TEST_KEEP is set.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _RtGatewayProcess RtGatewayProcess;

/* The realtime-gateway program's path (see above); fails the test when it
 * is not an executable file. */
gchar *rt_gateway_bin (void);

/* A new directory "rtg-@name-XXXXXX" in the temporary directory, filled as
 * above; no child yet. */
RtGatewayProcess *rt_gateway_process_new (const gchar *name);
/* Stops the child if running (rt_gateway_process_stop() with 15 s) and
 * cleans up. */
void rt_gateway_process_free (RtGatewayProcess *gp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtGatewayProcess, rt_gateway_process_free)

const gchar *rt_gateway_process_get_dir (RtGatewayProcess *gp);
/* @name inside the directory (newly allocated). */
gchar *rt_gateway_process_path (RtGatewayProcess *gp, const gchar *name);
/* Writes @text to @name inside the directory (subdirectories must exist);
 * fails the test on error. */
void rt_gateway_process_write_file (RtGatewayProcess *gp, const gchar *name,
    const gchar *text);
const gchar *rt_gateway_process_get_config_path (RtGatewayProcess *gp);
const gchar *rt_gateway_process_get_log_path (RtGatewayProcess *gp);
/* The port reserved for metrics-address (127.0.0.1:PORT). */
guint rt_gateway_process_get_metrics_port (RtGatewayProcess *gp);

/* Writes gateway.conf for the local server at @url on @channel:
 *
 *   [realtime] url, api-key-file=apikey, channel, heartbeat-interval=1,
 *              join-timeout=2, backoff-min=0.05, backoff-max=0.5
 *   [gateway]  id=test-robot, pipelines-dirs=pipelines,
 *              recordings-dir=recordings,
 *              metrics-address=127.0.0.1:<metrics port>
 *
 * then the keys of @extra_realtime and @extra_gateway ("key=value" lines,
 * nullable; a "[group]" line in them starts another group), which replace
 * a default of the same name. */
void rt_gateway_process_write_config (RtGatewayProcess *gp, const gchar *url,
    const gchar *channel, const gchar *extra_realtime,
    const gchar *extra_gateway);

/* Sets (or with %NULL @value, removes) a variable of the environment of
 * the children spawned from now on. */
void rt_gateway_process_setenv (RtGatewayProcess *gp, const gchar *variable,
    const gchar *value);

/* Spawns the program with the %NULL-terminated arguments (after the
 * program's name), e.g. ("listen", "--url", url, NULL); fails the test if
 * it cannot, or if a child of @gp is still running. The log file is
 * truncated and the stdout lines forgotten. */
void rt_gateway_process_spawn (RtGatewayProcess *gp, const gchar *first_arg,
    ...) G_GNUC_NULL_TERMINATED;
void rt_gateway_process_spawnv (RtGatewayProcess *gp, const gchar *const *args);
/* Spawns "run --config gateway.conf". */
void rt_gateway_process_run (RtGatewayProcess *gp);
/* Runs "check-config --config @config_path" (%NULL: gateway.conf) to its
 * end and returns its exit status (0: accepted); @output (nullable)
 * receives its stdout followed by its stderr. */
gint rt_gateway_process_check_config (RtGatewayProcess *gp,
    const gchar *config_path, gchar **output);

/* Whether the child spawned last is still running (not reaped). */
gboolean rt_gateway_process_is_running (RtGatewayProcess *gp);
/* The child spawned last, for what the calls here do not cover. Transfer
 * none; %NULL before the first spawn. */
GSubprocess *rt_gateway_process_get_subprocess (RtGatewayProcess *gp);
/* Sends @signum to the child (nothing if it is not running). */
void rt_gateway_process_signal (RtGatewayProcess *gp, gint signum);
/* Waits at most @timeout_ms for the child to end; TRUE when it has. */
gboolean rt_gateway_process_wait_exit (RtGatewayProcess *gp, guint timeout_ms);
/* SIGTERM, then waits at most @timeout_ms, then SIGKILL and reaps it.
 * TRUE when it ended by itself in time (or was not running). */
gboolean rt_gateway_process_stop (RtGatewayProcess *gp, guint timeout_ms);
/* How the child ended: its exit status, or -1 when a signal ended it or
 * it still runs. */
gint rt_gateway_process_get_exit_status (RtGatewayProcess *gp);

/* The log (stderr) so far; newly allocated, "" when none. */
gchar *rt_gateway_process_read_log (RtGatewayProcess *gp);
/* Lines of the log so far that contain @substring. */
guint
rt_gateway_process_count_log (RtGatewayProcess *gp, const gchar *substring);
/* Waits at most @timeout_ms for a log line containing @substring; TRUE when
 * one is there. */
gboolean rt_gateway_process_wait_log (RtGatewayProcess *gp,
    const gchar *substring, guint timeout_ms);
/* Prints the last 6000 bytes of the log to stderr, headed by its path. */
void rt_gateway_process_dump_log (RtGatewayProcess *gp);
/* Lines the last child wrote to stdout so far (gchar*, without newline).
 * Transfer none: the same array for the life of @gp, emptied by each
 * spawn. */
GPtrArray *rt_gateway_process_get_stdout_lines (RtGatewayProcess *gp);

/* GET http://127.0.0.1:<metrics port>@path; the body (newly allocated) or
 * %NULL when there was no answer; @status (nullable) receives the HTTP
 * status (0 without answer). */
gchar *rt_gateway_process_http_get (RtGatewayProcess *gp, const gchar *path,
    guint *status);
/* The value of the sample @name (exact name, labels included) on
 * /metrics, or -1 when it is absent or the endpoint does not answer. */
gdouble rt_gateway_process_metric (RtGatewayProcess *gp, const gchar *name);

/* Fails the test with the message when @cond is false, after dumping the
 * log of @gp. */
#define RT_GATEWAY_FAIL_UNLESS(gp, cond, ...)                                  \
  G_STMT_START                                                                 \
  {                                                                            \
    if (!(cond)) {                                                             \
      rt_gateway_process_dump_log (gp);                                        \
      fail (__VA_ARGS__);                                                      \
    }                                                                          \
  }                                                                            \
  G_STMT_END

G_END_DECLS
