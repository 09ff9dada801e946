/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * reply-collector.h: the replies a gateway (the daemon, realtimesrc, the
 * CLI) broadcasts, as the local realtime server received them. A collector
 * reads the server's frames (rt_server_get_frames()) for broadcasts of one
 * reply event, "pipeline_state" unless told otherwise, and keeps each as an
 * RtReply in arrival order. It keeps its own list: rt_server_clear_frames()
 * does not lose what it already read (poll before clearing to keep the rest
 * too), and rt_reply_collector_clear() does not touch the server.
 *
 * Every reading call polls the server first; the waits iterate the
 * thread-default main context (the server's) with a bounded timeout.
 *
 * The contract is checked on the way (schema-check.h): every reply must
 * match docs/schema/EVENT.json when there is one, else
 * docs/schema/pipeline_state.json (a renamed reply event), and every
 * presence track seen on the topic docs/schema/presence.json; a message
 * that does not fails the running test at once (ck_abort_msg) with the
 * reason and the payload.
 */
#pragma once

#include "rt-server.h"

G_BEGIN_DECLS

typedef struct _RtReplyCollector RtReplyCollector;

/* One reply. The string members of the payload are copied when they are
 * JSON strings, else %NULL. */
typedef struct
{
  gchar *topic; /* "realtime:<channel>" */
  gchar *event; /* the reply event */
  gchar *pipeline; /* nullable */
  gchar *state; /* nullable */
  gchar *request_id; /* nullable */
  /* "request_ids", the requests answered (several when coalesced under
   * the outbound budget); NULL when absent. A @request_id given to the
   * calls below matches any of them. */
  gchar **request_ids;
  gchar *error; /* nullable */
  JsonNode *payload; /* the reply's payload, as sent */
  gsize size; /* of the payload as compact JSON, bytes */
  guint conn_id; /* the server connection it came on */
  gint64 time_us; /* g_get_monotonic_time () at receipt */
} RtReply;

/* Collects broadcasts of @event (%NULL: "pipeline_state") on @topic (%NULL:
 * any topic) that @server receives from now on. @server must outlive the
 * collector. */
RtReplyCollector *rt_reply_collector_new (RtServer *server, const gchar *topic,
    const gchar *event);
void rt_reply_collector_free (RtReplyCollector *collector);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtReplyCollector, rt_reply_collector_free)

/* Reads the frames the server received since the last poll. */
void rt_reply_collector_poll (RtReplyCollector *collector);

/* Every reply collected since creation or the last clear, in order
 * (RtReply*). Transfer none: valid until the next clear. */
GPtrArray *rt_reply_collector_get_replies (RtReplyCollector *collector);
/* Forgets the replies collected so far (the server's frames stay). */
void rt_reply_collector_clear (RtReplyCollector *collector);

/* In the calls below a %NULL @pipeline, @state or @request_id matches any
 * value (a reply without that member too). */

/* Number of replies collected that match. */
guint rt_reply_collector_count (RtReplyCollector *collector,
    const gchar *pipeline, const gchar *state, const gchar *request_id);
/* Index of the first reply at or after @from that matches, or -1. */
gint rt_reply_collector_find (RtReplyCollector *collector, guint from,
    const gchar *pipeline, const gchar *state, const gchar *request_id);
/* Waits at most @timeout_ms for a matching reply (one already collected
 * counts) and returns the first, or %NULL. Transfer none, valid until the
 * next clear. */
const RtReply *
rt_reply_collector_wait (RtReplyCollector *collector, const gchar *pipeline,
    const gchar *state, const gchar *request_id, guint timeout_ms);
/* The same, counting only replies at index @from or later (from =
 * get_replies()->len before sending waits for a new one). */
const RtReply *rt_reply_collector_wait_from (RtReplyCollector *collector,
    guint from, const gchar *pipeline, const gchar *state,
    const gchar *request_id, guint timeout_ms);

/* The first @max of @replies (RtReply*) from index @from, on one line for
 * failure messages: "[state pipeline=.. request_id=.. error=..] ... (N
 * replies)", or "no reply". */
gchar *rt_replies_describe (GPtrArray *replies, guint from, guint max);

G_END_DECLS
