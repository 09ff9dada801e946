/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "secret-file.h"

#include <string.h>

gchar *
gateway_secret_file_resolve (const gchar *path)
{
  const gchar *creds = g_getenv ("CREDENTIALS_DIRECTORY");

  if (creds && *creds && !strchr (path, '/')) {
    g_autofree gchar *candidate = g_build_filename (creds, path, NULL);
    if (g_file_test (candidate, G_FILE_TEST_IS_REGULAR))
      return g_steal_pointer (&candidate);
  }
  return g_strdup (path);
}

void
gateway_secret_free (gchar *secret)
{
  if (secret) {
    memset (secret, 0, strlen (secret));
    g_free (secret);
  }
}

gchar *
gateway_secret_file_read (const gchar *path, GError **error)
{
  g_autofree gchar *resolved = NULL;
  gchar *contents = NULL;
  gsize len;

  g_return_val_if_fail (path != NULL, NULL);

  resolved = gateway_secret_file_resolve (path);
  if (!g_file_get_contents (resolved, &contents, &len, error))
    return NULL;
  if (len > GATEWAY_SECRET_MAX_SIZE) {
    gateway_secret_free (contents);
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s is larger than %d bytes: not a key or token file", resolved,
        GATEWAY_SECRET_MAX_SIZE);
    return NULL;
  }
  if (memchr (contents, '\0', len)) {
    gateway_secret_free (contents);
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s holds a NUL byte: not a key or token file", resolved);
    return NULL;
  }
  g_strstrip (contents);
  if (!*contents) {
    gateway_secret_free (contents);
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s is empty",
        resolved);
    return NULL;
  }
  if (strpbrk (contents, "\r\n\t ")) {
    gateway_secret_free (contents);
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s holds more than one word: expected a single key or token",
        resolved);
    return NULL;
  }
  return contents;
}
