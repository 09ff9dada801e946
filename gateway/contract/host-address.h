/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * host-address.h: what a destination host may be. A param declared
 * type=host (params.h) accepts exactly one of:
 *
 *   - an IPv4 address as a dotted quad: four decimal parts 0..255, no
 *     leading zeros ("192.168.1.20"), as inet_pton() reads it;
 *   - an IPv6 address as inet_pton() reads it ("::1", "2001:db8::5",
 *     "::ffff:192.0.2.1"), without brackets and without a zone ("%eth0"):
 *     a zone names an interface of one machine, which a dashboard cannot
 *     know;
 *   - an RFC 1123 host name: labels of 1 to 63 of A-Z a-z 0-9 and "-",
 *     none starting or ending with "-", joined by single dots, at most
 *     253 bytes in all, without a trailing dot, and a last label that is
 *     not all digits (so "1.2.3.4.5" is neither an address nor a name).
 *
 * Never a port ("127.0.0.1:5002"), a URL, spaces or anything after the
 * host. The unspecified addresses 0.0.0.0 and :: are refused: a sender
 * given one sends nowhere while reporting that it plays. Multicast
 * addresses are accepted (RTP to a multicast group is a normal setup).
 * Names are not resolved here: a name that does not resolve fails at
 * start with the element's own error.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The longest host accepted (an RFC 1123 name; addresses are shorter). */
#define GATEWAY_HOST_MAX_LENGTH 253

/* TRUE when @host is an IP literal or host name as described above; else
 * FALSE and a %GATEWAY_ERROR_PATTERN (%GATEWAY_ERROR_OUT_OF_BOUNDS when
 * too long) error whose message quotes @host (escaped, bounded) and says
 * what is wrong. */
gboolean gateway_host_address_check (const gchar *host, GError **error);

G_END_DECLS
