/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-redact.c: secrets kept out of log lines.
 */
#include "test-util.h"

#include "realtime-redact.h"

static void
assert_url (const gchar *url, const gchar *expected)
{
  gchar *got = realtime_redact_url (url);

  fail_unless_equals_string (got, expected);
  g_free (got);
}

GST_START_TEST (test_apikey_redacted)
{
  assert_url ("wss://abc.supabase.co/realtime/v1/"
              "websocket?apikey=" RT_TEST_API_KEY "&vsn=2.0.0",
      "wss://abc.supabase.co/realtime/v1/websocket?apikey=***&vsn=2.0.0");
  assert_url ("ws://127.0.0.1:4000/socket/"
              "websocket?vsn=1.0.0&apikey=" RT_TEST_API_KEY,
      "ws://127.0.0.1:4000/socket/websocket?vsn=1.0.0"
      "&apikey=***");
}

GST_END_TEST;

GST_START_TEST (test_all_secret_keys_redacted)
{
  assert_url ("https://h/p?access_token=" RT_TEST_TOKEN "&token=" RT_TEST_TOKEN2
              "&x-api-key=" RT_TEST_API_KEY "&log_level=info",
      "https://h/p?access_token=***&token=***&x-api-key=***&log_level=info");
}

GST_END_TEST;

GST_START_TEST (test_other_params_kept)
{
  assert_url ("wss://h/ws?vsn=2.0.0&log_level=error&apikeys=1&myapikey=2"
              "&token_type=bearer&flag&=x",
      "wss://h/ws?vsn=2.0.0&log_level=error&apikeys=1&myapikey=2"
      "&token_type=bearer&flag&=x");
  /* A secret name without a value has nothing to hide. */
  assert_url ("wss://h/ws?apikey&vsn=2.0.0", "wss://h/ws?apikey&vsn=2.0.0");
}

GST_END_TEST;

GST_START_TEST (test_case_insensitive)
{
  assert_url ("wss://h/ws?APIKEY=" RT_TEST_API_KEY
              "&Access_Token=" RT_TEST_TOKEN "&X-Api-Key=" RT_TEST_API_KEY
              "&ToKeN=" RT_TEST_TOKEN2,
      "wss://h/ws?APIKEY=***&Access_Token=***&X-Api-Key=***&ToKeN=***");
  /* Percent-encoded names are decoded before comparing. */
  assert_url ("wss://h/ws?api%6Bey=" RT_TEST_API_KEY,
      "wss://h/ws?api%6Bey=***");
}

GST_END_TEST;

GST_START_TEST (test_multiple_occurrences)
{
  assert_url ("wss://h/ws?apikey=" RT_TEST_API_KEY
              "&vsn=1.0.0&apikey=" RT_TEST_TOKEN "&apikey=" RT_TEST_TOKEN2,
      "wss://h/ws?apikey=***&vsn=1.0.0&apikey=***&apikey=***");
}

GST_END_TEST;

GST_START_TEST (test_value_ends_at_fragment)
{
  assert_url ("wss://h/ws?apikey=" RT_TEST_API_KEY "#part",
      "wss://h/ws?apikey=***#part");
  /* OAuth puts tokens in the fragment too. */
  assert_url ("https://h/cb#access_token=" RT_TEST_TOKEN "&type=bearer",
      "https://h/cb#access_token=***&type=bearer");
  assert_url ("https://h/cb?a=1#x&token=" RT_TEST_TOKEN,
      "https://h/cb?a=1#x&token=***");
  assert_url ("wss://h/ws?apikey=", "wss://h/ws?apikey=***");
}

GST_END_TEST;

GST_START_TEST (test_no_query)
{
  assert_url ("wss://abc.supabase.co/realtime/v1/websocket",
      "wss://abc.supabase.co/realtime/v1/websocket");
  assert_url ("https://h", "https://h");
  assert_url ("", "");
  assert_url ("not a url at all", "not a url at all");
  assert_url ("wss://h/ws?", "wss://h/ws?");
  fail_unless (realtime_redact_url (NULL) == NULL);
}

GST_END_TEST;

GST_START_TEST (test_userinfo_removed)
{
  assert_url ("https://user:" RT_TEST_TOKEN
              "@h.example:8443/p?apikey=" RT_TEST_API_KEY,
      "https://h.example:8443/p?apikey=***");
  assert_url ("wss://" RT_TEST_TOKEN "@h/ws", "wss://h/ws");
  /* The last '@' of the authority ends the userinfo. */
  assert_url ("wss://u:p@ss@h/ws", "wss://h/ws");
  /* An '@' after the authority is not userinfo. */
  assert_url ("https://h/p@q?x=a@b", "https://h/p@q?x=a@b");
}

GST_END_TEST;

GST_START_TEST (test_redacted_url_is_loggable)
{
  gchar *url = realtime_redact_url (
      "wss://h/realtime/v1/websocket?apikey=" RT_TEST_API_KEY "&vsn=2.0.0");

  /* The test log writer aborts on a secret in any log line. */
  rt_test_clear_logs ();
  g_info ("connecting to %s", url);
  fail_unless_equals_int (rt_test_count_logs ("apikey=***&vsn=2.0.0"), 1);
  g_free (url);
}

GST_END_TEST;

GST_START_TEST (test_redact_text)
{
  const gchar *secrets[] = { RT_TEST_API_KEY, RT_TEST_TOKEN, "", NULL };
  const gchar *none[] = { NULL };
  gchar *out;

  out = realtime_redact_text ("key " RT_TEST_API_KEY " token " RT_TEST_TOKEN
                              " again " RT_TEST_API_KEY RT_TEST_API_KEY ".",
      secrets);
  fail_unless_equals_string (out, "key *** token *** again ******.");
  g_free (out);

  out = realtime_redact_text ("nothing secret here", secrets);
  fail_unless_equals_string (out, "nothing secret here");
  g_free (out);

  out = realtime_redact_text ("kept", none);
  fail_unless_equals_string (out, "kept");
  g_free (out);
  out = realtime_redact_text ("kept", NULL);
  fail_unless_equals_string (out, "kept");
  g_free (out);
  fail_unless (realtime_redact_text (NULL, secrets) == NULL);
}

GST_END_TEST;

GST_START_TEST (test_redact_text_overlapping)
{
  /* A secret that extends another is masked whole, whatever the order. */
  const gchar *secrets[] = { "abc", "abcdef", NULL };
  const gchar *reversed[] = { "abcdef", "abc", NULL };
  gchar *out;

  out = realtime_redact_text ("x abcdef y abc z", secrets);
  fail_unless_equals_string (out, "x *** y *** z");
  g_free (out);
  out = realtime_redact_text ("x abcdef y abc z", reversed);
  fail_unless_equals_string (out, "x *** y *** z");
  g_free (out);
}

GST_END_TEST;

static Suite *
redact_suite (void)
{
  Suite *s = suite_create ("redact");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_apikey_redacted);
  tcase_add_test (tc, test_all_secret_keys_redacted);
  tcase_add_test (tc, test_other_params_kept);
  tcase_add_test (tc, test_case_insensitive);
  tcase_add_test (tc, test_multiple_occurrences);
  tcase_add_test (tc, test_value_ends_at_fragment);
  tcase_add_test (tc, test_no_query);
  tcase_add_test (tc, test_userinfo_removed);
  tcase_add_test (tc, test_redacted_url_is_loggable);
  tcase_add_test (tc, test_redact_text);
  tcase_add_test (tc, test_redact_text_overlapping);
  return s;
}

RT_TEST_MAIN (redact);
