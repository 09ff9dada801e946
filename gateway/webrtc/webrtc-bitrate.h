/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-bitrate.h: the rule the encoder's bitrate follows, per viewer
 * session, from the viewer's RTCP receiver reports (as webrtcbin's
 * "get-stats" gives them: fraction lost, round-trip time), once a second.
 * No GStreamer here: a pure state machine.
 *
 * Per session, each report is
 *   bad   when the fraction lost is >= 5 % (WEBRTC_BITRATE_LOSS_HIGH),
 *   good  when it is < 2 % (LOSS_LOW) and the round-trip time is below
 *         750 ms (RTT_HIGH; an unknown RTT counts as below),
 *   else neutral (and the counts of bad and good reports in a row restart).
 * Two bad reports in a row (sustained loss, 2 s) step the session's target
 * down to 70 % (never below the definition's min-bitrate); then again
 * after every two more. Three good reports in a row step it up by 15 %
 * (never above max-bitrate); then again after every three more. So a
 * session at 2000 kbit/s under steady 5 % loss reaches 1400 within 2 s,
 * 980 within 4 s; once the loss clears it climbs back by 15 % every 3 s.
 *
 * With several viewers of one encoder the pipeline's target is the lowest
 * of its watching sessions' targets: the slowest viewer that is still
 * within bounds decides (a session pinned at min-bitrate cannot push the
 * others lower than that).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WEBRTC_BITRATE_LOSS_HIGH 0.05
#define WEBRTC_BITRATE_LOSS_LOW 0.02
#define WEBRTC_BITRATE_RTT_HIGH_S 0.75
#define WEBRTC_BITRATE_BAD_REPORTS 2
#define WEBRTC_BITRATE_GOOD_REPORTS 3
#define WEBRTC_BITRATE_DOWN 0.70
#define WEBRTC_BITRATE_UP 1.15

typedef struct
{
  guint target_kbps;
  guint min_kbps;
  guint max_kbps;
  guint bad_in_row;
  guint good_in_row;
  guint steps_down; /* since the start, for figures and tests */
  guint steps_up;
} WebrtcBitrate;

/* Starts at @start_kbps, clamped to [@min_kbps, @max_kbps]. */
void webrtc_bitrate_init (WebrtcBitrate *b, guint start_kbps, guint min_kbps,
    guint max_kbps);

/* One receiver report: @fraction_lost 0..1, @rtt_s seconds (negative:
 * unknown). Returns TRUE when the target changed. */
gboolean
webrtc_bitrate_report (WebrtcBitrate *b, gdouble fraction_lost, gdouble rtt_s);

G_END_DECLS
