/* test_fields.c - referer, query-string and user-agent policies. */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>

#include "buf.h"
#include "fields.h"
#include "helpers.h"

static LnBuf scratch;

static void
setup (void)
{
  buf_init (&scratch, 4);    /* small: results must survive growth */
}

static void
teardown (void)
{
  buf_clear (&scratch);
}

TestSuite (fields, .init = setup, .fini = teardown);

static LnSpan
referer (LnRefererPolicy policy, const char *url, bool *in_scratch)
{
  return fields_referer (policy, span_make (url, strlen (url)), &scratch, in_scratch);
}

Test (fields, referer_origin)
{
  static const struct {
    const char *in, *out;
    bool copied;
  } cases[] = {
    { "https://www.example.org/path/page.html?q=1#top", "https://www.example.org", false },
    { "https://www.example.org", "https://www.example.org", false },
    { "https://www.example.org/", "https://www.example.org", false },
    { "http://www.example.org:8080/x", "http://www.example.org:8080", false },
    { "https://www.example.org?q=secret", "https://www.example.org", false },
    { "https://www.example.org#frag", "https://www.example.org", false },
    { "http://192.0.2.7/x", "http://192.0.2.7", false },   /* masked later by the scan */
    { "http://[2001:db8::1]:80/x", "http://[2001:db8::1]:80", false },
    { "android-app://com.google.android.gm/", "android-app://com.google.android.gm", false },
    { "https://alice:s3cret@www.example.org/inbox", "https://www.example.org", true },
    { "https://alice@www.example.org", "https://www.example.org", true },
    { "/relative/path", "-", false },
    { "www.example.org/no-scheme", "-", false },
    { "mailto:alice@example.org", "-", false },
    { "https:", "-", false },
    { "1http://x/", "-", false },
    { "-", "-", false },
  };
  size_t i;

  for (i = 0; i < N_ELEMS (cases); i++)
    {
      bool copied;
      LnSpan out = referer (LN_REFERER_ORIGIN, cases[i].in, &copied);

      assert_span_str (out, cases[i].out, "case %zu", i);
      cr_assert_eq (copied, cases[i].copied, "case %zu: %s", i, cases[i].in);
    }
}

/* The origin as the byte loop of the first version found it: the
 * authority ends at the first '/', '?' or '#', and the last '@' before
 * that ends the user information. */
static void
reference_origin (const char *url, size_t len, GString *out)
{
  const char *colon = memchr (url, ':', len);
  const char *p, *end = url + len, *at = NULL;

  g_string_truncate (out, 0);
  g_assert (colon && colon + 2 < end);
  for (p = colon + 3; p < end && *p != '/' && *p != '?' && *p != '#'; p++)
    if (*p == '@')
      at = p;
  g_string_append_len (out, url, colon + 3 - url);
  g_string_append_len (out, at ? at + 1 : colon + 3, p - (at ? at + 1 : colon + 3));
}

/* Random authorities of every length up to a few 16-byte blocks, with
 * '@', '/', '?' and '#' anywhere, against the byte loop. */
Test (fields, referer_origin_random_against_byte_loop)
{
  static const char alphabet[] = "abcdefgh.-:0123@@/?#";
  GRand *r = g_rand_new_with_seed (7);
  GString *url = g_string_new (NULL), *want = g_string_new (NULL);
  int round;

  for (round = 0; round < 20000; round++)
    {
      int n = g_rand_int_range (r, 0, 60), i;
      bool in_scratch;
      LnSpan got;
      /* an exact-size copy: reading past the URL is an error under ASan */
      char *copy;

      g_string_assign (url, g_rand_boolean (r) ? "https://" : "http://");
      for (i = 0; i < n; i++)
        g_string_append_c (url, alphabet[g_rand_int_range (r, 0, (gint32) sizeof alphabet - 1)]);
      if (url->len == 8 && url->str[4] == 's')
        continue;               /* "https://" alone is no absolute URL */
      if (url->len == 7)
        continue;
      copy = g_memdup2 (url->str, url->len);
      reference_origin (copy, url->len, want);
      buf_reset (&scratch);
      got = fields_referer (LN_REFERER_ORIGIN, span_make (copy, url->len), &scratch,
                            &in_scratch);
      cr_assert (span_eq_str (got, want->str), "\"%s\": \"%.*s\", expected \"%s\"",
                 url->str, (int) got.len, got.p, want->str);
      g_free (copy);
    }
  g_string_free (url, TRUE);
  g_string_free (want, TRUE);
  g_rand_free (r);
}

Test (fields, referer_other_policies)
{
  bool copied;

  assert_span_str (referer (LN_REFERER_KEEP, "https://a@x.example/p?q=1", &copied),
                   "https://a@x.example/p?q=1");
  cr_assert (!copied);
  assert_span_str (referer (LN_REFERER_DROP, "https://x.example/p", &copied), "-");
  assert_span_str (referer (LN_REFERER_STRIP_QUERY, "https://x.example/p?q=1#f", &copied),
                   "https://x.example/p");
  cr_assert (!copied);
  assert_span_str (referer (LN_REFERER_STRIP_QUERY, "https://x.example/p#f?q", &copied),
                   "https://x.example/p");
  assert_span_str (referer (LN_REFERER_STRIP_QUERY, "https://u:pw@x.example/p?q=1", &copied),
                   "https://x.example/p");
  cr_assert (copied);
  assert_span_str (referer (LN_REFERER_STRIP_QUERY, "/local?q=1", &copied), "/local");
  assert_span_str (referer (LN_REFERER_STRIP_QUERY, "-", &copied), "-");
}

static LnSpan
query (LnQueryPolicy policy, const char *names, LnQueryPlace place, const char *text)
{
  char **list = names ? g_strsplit (names, ",", -1) : NULL;
  LnQueryRules rules = { policy, (const char *const *) list };
  bool copied;
  LnSpan out = fields_query (&rules, place, span_make (text, strlen (text)), &scratch,
                             &copied);

  if (span_eq_str (out, text))
    cr_assert (!copied || policy != LN_QUERY_KEEP);
  g_strfreev (list);
  return out;
}

Test (fields, query_keep_is_free)
{
  const char *t = "GET /a?email=x HTTP/1.1";
  LnQueryRules rules = { LN_QUERY_KEEP, NULL };
  bool copied;
  LnSpan out = fields_query (&rules, LN_QUERY_IN_REQUEST, span_make (t, strlen (t)),
                             &scratch, &copied);

  cr_assert_eq (out.p, t);
  cr_assert (!copied);
  cr_assert_eq (scratch.len, 0);
}

Test (fields, query_strip)
{
  assert_span_str (query (LN_QUERY_STRIP, NULL, LN_QUERY_IN_REQUEST,
                          "GET /search?q=alice+smith&page=2 HTTP/1.1"),
                   "GET /search HTTP/1.1");
  assert_span_str (query (LN_QUERY_STRIP, NULL, LN_QUERY_IN_REQUEST, "GET /search?q=x"),
                   "GET /search");
  assert_span_str (query (LN_QUERY_STRIP, NULL, LN_QUERY_IN_REQUEST, "GET /plain HTTP/1.1"),
                   "GET /plain HTTP/1.1");
  /* a '?' in the protocol part is not a query */
  assert_span_str (query (LN_QUERY_STRIP, NULL, LN_QUERY_IN_REQUEST, "GET /a HTTP/1.1?"),
                   "GET /a HTTP/1.1?");
  assert_span_str (query (LN_QUERY_STRIP, NULL, LN_QUERY_IN_URL, "/p?x=1#frag"), "/p#frag");
  assert_span_str (query (LN_QUERY_STRIP, NULL, LN_QUERY_ONLY, "?x=1&y=2"), "");
  assert_span_str (query (LN_QUERY_STRIP, NULL, LN_QUERY_ONLY, ""), "");
  /* nginx's $args has no "?" and is "-" when empty */
  assert_span_str (query (LN_QUERY_STRIP, NULL, LN_QUERY_ONLY, "x=1&y=2"), "-");
  assert_span_str (query (LN_QUERY_STRIP, NULL, LN_QUERY_ONLY, "-"), "-");
  assert_span_str (query (LN_QUERY_DENY, "x", LN_QUERY_ONLY, "x=1&y=2"), "x=REDACTED&y=2");
  assert_span_str (query (LN_QUERY_STRIP, NULL, LN_QUERY_IN_REQUEST, "garbage"), "garbage");
}

Test (fields, query_deny)
{
  assert_span_str (query (LN_QUERY_DENY, "email,token", LN_QUERY_IN_REQUEST,
                          "GET /a?email=alice%40example.org&page=2&TOKEN=abc HTTP/1.1"),
                   "GET /a?email=REDACTED&page=2&TOKEN=REDACTED HTTP/1.1");
  /* a name without a value, empty parameters, a name that only starts alike */
  assert_span_str (query (LN_QUERY_DENY, "email", LN_QUERY_IN_URL, "/a?email&&emails=1&email="),
                   "/a?email&&emails=1&email=REDACTED");
  assert_span_str (query (LN_QUERY_DENY, "session", LN_QUERY_IN_URL,
                          "https://x.example/p?session=9#session=9"),
                   "https://x.example/p?session=REDACTED#session=9");
  assert_span_str (query (LN_QUERY_DENY, "q", LN_QUERY_ONLY, "?q=1&r=2"), "?q=REDACTED&r=2");
  /* a value with '=' in it is one value */
  assert_span_str (query (LN_QUERY_DENY, "t", LN_QUERY_ONLY, "?t=a=b&u=1"), "?t=REDACTED&u=1");
}

Test (fields, query_allow)
{
  assert_span_str (query (LN_QUERY_ALLOW, "utm_source,page", LN_QUERY_IN_REQUEST,
                          "GET /a?utm_source=news&email=x&page=2&q=alice HTTP/1.1"),
                   "GET /a?utm_source=news&email=REDACTED&page=2&q=REDACTED HTTP/1.1");
  assert_span_str (query (LN_QUERY_ALLOW, "page", LN_QUERY_IN_REQUEST, "GET /a? HTTP/1.1"),
                   "GET /a? HTTP/1.1");
}

typedef struct {
  const char *ua, *family;
  bool bot;
} UaCase;

Test (fields, ua_family_table)
{
  static const UaCase cases[] = {
    { "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
      "Firefox/128", false },
    { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.6099.109 Safari/537.36", "Chrome/120", false },
    { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91", "Edge/120", false },
    { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/119.0.0.0 Safari/537.36 OPR/105.0.0.0", "Opera/105", false },
    { "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      "Version/17.1 Safari/605.1.15", "Safari/17", false },
    { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
      "like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1", "Chrome/120", false },
    { "Mozilla/5.0 (Linux; Android 13; SM-S908B) AppleWebKit/537.36 (KHTML, like Gecko) "
      "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36", "Samsung Internet/23", false },
    { "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)", "IE/8", false },
    { "Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko", "IE/11", false },
    { "Mozilla/4.08 [en] (Win98; I ;Nav)", "other", false },
    { "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
      "Googlebot", true },
    { "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
      "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36", "bingbot", true },
    { "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "AhrefsBot", true },
    { "curl/8.4.0", "curl", true },
    { "python-requests/2.31.0", "python-requests", true },
    { "Wget/1.21.3", "Wget", true },
    { "SomeCrawler/1.0 (+https://crawler.example)", "bot", true },
    { "my-spider", "bot", true },
    { "Firefox/", "Firefox", false },                 /* no version number */
    { "Firefox/12345678", "Firefox/123456", false },  /* at most six digits */
    { "-", "-", false },
    { "", "-", false },
  };
  size_t i;

  for (i = 0; i < N_ELEMS (cases); i++)
    {
      char out[LN_UA_FAMILY_MAX];
      bool bot = !cases[i].bot;
      size_t n = fields_ua_family (span_make (cases[i].ua, strlen (cases[i].ua)), out, &bot);

      cr_assert_leq (n, LN_UA_FAMILY_MAX);
      assert_span_str (span_make (out, n), cases[i].family, "case %zu", i);
      cr_assert_eq (bot, cases[i].bot, "case %zu: bot flag", i);
    }
}
