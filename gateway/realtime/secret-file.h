/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * secret-file.h: API keys and access tokens come from files, never from
 * the command line or the configuration itself.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GATEWAY_SECRET_MAX_SIZE 16384

/* Resolves @path: a bare name (no '/') is looked up in
 * $CREDENTIALS_DIRECTORY first (systemd LoadCredential=), then taken as
 * given. Returns a newly allocated path. */
gchar *gateway_secret_file_resolve (const gchar *path);

/* Reads a secret from @path (resolved as above): surrounding whitespace is
 * trimmed; empty, multi-word or oversized (over 16 KiB) files are errors.
 * Error messages name the file, never its contents. Free the result with
 * gateway_secret_free(). */
gchar *gateway_secret_file_read (const gchar *path, GError **error);

/* Overwrites and frees a secret. */
void gateway_secret_free (gchar *secret);

/* For g_autoptr (GatewaySecret): a gchar* freed with gateway_secret_free. */
typedef gchar GatewaySecret;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GatewaySecret, gateway_secret_free)

G_END_DECLS
