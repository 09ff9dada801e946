/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fuzz-common.h: shared by the libFuzzer targets in tests/fuzz/. Built only
 * by tests/fuzz/build.sh (clang), never by the meson build.
 *
 * GLib logging: a critical (a g_return_if_fail hit by input from the
 * network) or an error aborts, so libFuzzer records it as a crash; lower
 * levels are dropped to keep the fuzzer fast and its output readable
 * (FUZZ_VERBOSE=1 prints them).
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Aborts with a message; libFuzzer then saves the input as a crash. */
#define FUZZ_ASSERT(cond, ...)                                                 \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf (stderr, "FUZZ_ASSERT failed at %s:%d: %s: ", __FILE__,          \
          __LINE__, #cond);                                                    \
      fprintf (stderr, __VA_ARGS__);                                           \
      fputc ('\n', stderr);                                                    \
      abort ();                                                                \
    }                                                                          \
  } while (0)

static inline GLogWriterOutput
fuzz_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
    gpointer user_data)
{
  static int verbose = -1;

  if (verbose < 0)
    verbose = g_getenv ("FUZZ_VERBOSE") != NULL;
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) {
    g_log_writer_standard_streams (level, fields, n_fields, user_data);
    abort ();
  }
  if (verbose)
    return g_log_writer_standard_streams (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

static inline void
fuzz_init_logging (void)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
}

/* A NUL-terminated copy of fuzzer input. */
static inline gchar *
fuzz_strndup (const uint8_t *data, size_t len)
{
  gchar *s = g_malloc (len + 1);

  if (len)
    memcpy (s, data, len);
  s[len] = '\0';
  return s;
}
