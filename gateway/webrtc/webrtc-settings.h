/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-settings.h: what every WebRTC viewer session of a gateway
 * shares: NAT traversal (STUN, TURN over UDP, TCP or TLS, relay only),
 * timeouts, leases and the signalling event names. The daemon reads them
 * from the [webrtc] group of its configuration:
 *
 *   [webrtc]
 *   stun-server=stun://stun.example.org:3478
 *   turn-servers=turn://turn.example.org:3478;turn://turn.example.org:3478?transport=tcp;turns://turn.example.org:5349
 *   turn-credentials-file=turn-credentials   "username:password", one line;
 *                          a bare name is a systemd credential first
 *   relay-only=false       ICE uses TURN relays only (ice-transport-policy
 *                          relay): for networks where only TURN works
 *   connect-timeout=20     seconds from the answer to ICE and DTLS done
 *   max-viewers=0          sessions at once per pipeline, for every
 *                          pipeline (1..32); 0: each definition's own
 *                          max-viewers decides alone
 *   default-ttl=60         a session's lease when "watch" has no ttl
 *   max-ttl=3600           the longest lease a watch or renew may ask
 *   watch-event=watch      inbound event names ...
 *   answer-event=answer
 *   candidates-event=candidates   (both directions)
 *   unwatch-event=unwatch
 *   renew-event=watch_renew
 *   offer-event=offer      ... and outbound ones
 *   session-event=session_state
 *
 * TURN credentials come from the file only, never from the network, and
 * are never logged: server URIs in the configuration carry none.
 */
#pragma once

#include <gst/gst.h>

#include "key-file-loader.h"

G_BEGIN_DECLS

#define WEBRTC_SETTINGS_GROUP "webrtc"
#define WEBRTC_DEFAULT_CONNECT_TIMEOUT_MS 20000
#define WEBRTC_DEFAULT_TTL_S 60
#define WEBRTC_DEFAULT_MAX_TTL_S 3600

typedef struct
{
  gchar *watch; /* "watch" */
  gchar *answer; /* "answer" */
  gchar *candidates; /* "candidates", both directions */
  gchar *unwatch; /* "unwatch" */
  gchar *renew; /* "watch_renew" */
  gchar *offer; /* "offer" */
  gchar *session; /* "session_state" */
} WebrtcEventNames;

typedef struct
{
  gchar *stun_server; /* nullable */
  gchar **turn_servers; /* nullable; URIs without credentials */
  gchar *turn_credentials_file; /* nullable; as configured, then resolved */
  gchar *turn_username; /* nullable; read from the file: never logged */
  gchar *turn_password; /* nullable; secret */
  gboolean relay_only;
  guint connect_timeout_ms;
  guint max_viewers; /* 0: the definitions' own bound only */
  guint default_ttl_s;
  guint max_ttl_s;
  WebrtcEventNames events;
} WebrtcSettings;

/* Every default, no server. */
void webrtc_settings_init (WebrtcSettings *settings);
void webrtc_settings_clear (WebrtcSettings *settings);
void webrtc_settings_copy (WebrtcSettings *dest, const WebrtcSettings *src);

/* Reads the [webrtc] group into @settings (initialised); every problem
 * goes to @loader. @taken (nullable, NULL-terminated) are event names in
 * use elsewhere (the [events] group), which these must not repeat. The
 * credentials file is left as written (the caller resolves it). */
void webrtc_settings_load (KeyFileLoader *loader, WebrtcSettings *settings,
    const gchar *const *taken);

/* Checks a STUN (@turn FALSE) or TURN server URI: stun://HOST:PORT, or
 * turn://HOST:PORT[?transport=udp|tcp] or turns://HOST:PORT, with no
 * user info (credentials come from a file). */
gboolean
webrtc_settings_check_server (const gchar *uri, gboolean turn, GError **error);

/* Reads turn_credentials_file ("username:password") into turn_username
 * and turn_password. Errors name the file, never its contents. TRUE
 * without a file. */
gboolean
webrtc_settings_read_credentials (WebrtcSettings *settings, GError **error);

/* Sets the STUN server, every TURN server (with the credentials) and the
 * transport policy on a webrtcbin, before it starts. */
void
webrtc_settings_apply (const WebrtcSettings *settings, GstElement *webrtcbin);

/* libnice's debug output (G_MESSAGES_DEBUG=all, as "--verbose" sets)
 * prints TURN usernames and passwords as it adds a relay server: such
 * lines of the "libnice" log domain are dropped, every other one goes on
 * to the default handler. Installed once per process; idempotent. */
void webrtc_settings_hide_ice_secrets (void);

G_END_DECLS
