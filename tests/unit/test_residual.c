/* test_residual.c - the address scanner for free text. */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>

#include "helpers.h"
#include "ipaddr.h"
#include "residual.h"

/* residual_find over an exact-size heap copy of @text (no NUL), so that
 * AddressSanitizer catches reads outside [p, end).  On success *@offset is
 * the token's offset in @text. */
static bool
find_in (const char *text, size_t len, LnResidualMatch *m, size_t *offset)
{
  char *copy = g_malloc (len ? len : 1);
  bool found;

  memcpy (copy, text, len);
  memset (m, 0, sizeof *m);
  found = residual_find (copy, copy + len, m);
  if (found)
    {
      cr_assert (m->token.p >= copy && m->token.p + m->token.len <= copy + len,
                 "token outside the text");
      *offset = (size_t) (m->token.p - copy);
      /* point the token back at the caller's text before the copy goes */
      m->token.p = text + *offset;
    }
  g_free (copy);
  return found;
}

typedef struct {
  const char *text;
  const char *token;     /* the expected match */
} Positive;

static const Positive positives[] = {
  { "1.2.3.4", "1.2.3.4" },
  { "1.2.3.4:80", "1.2.3.4" },
  { "client 1.2.3.4 port", "1.2.3.4" },
  { "[2001:db8::1]:443", "2001:db8::1" },
  { "http://203.0.113.8/probe", "203.0.113.8" },
  { "http://203.0.113.8:8080/probe", "203.0.113.8" },
  { "http://[2001:db8::8]:8080/", "2001:db8::8" },
  { "/?from=203.0.113.8&x=1", "203.0.113.8" },
  { "from=203.0.113.8&x", "203.0.113.8" },
  { "::ffff:1.2.3.4", "::ffff:1.2.3.4" },
  { "x ::ffff:1.2.3.4 y", "::ffff:1.2.3.4" },
  { "::1", "::1" },
  { "peer 2001:db8::1: closed", "2001:db8::1" },      /* colon ends a sentence */
  { "address 2001:db8::1", "2001:db8::1" },
  { "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:0db8:85a3:0000:0000:8a2e:0370:7334" },
  { "a1.2.3.4", "1.2.3.4" },
  { "v=10.0.0.1;", "10.0.0.1" },
  { "GET /?ip=192.168.1.1 HTTP/1.1", "192.168.1.1" },
  { "0.0.0.0", "0.0.0.0" },
  { "255.255.255.255", "255.255.255.255" },
  { "(198.51.100.7)", "198.51.100.7" },
  { "\"198.51.100.7\"", "198.51.100.7" },
  { "203.0.113.9, 10.0.0.1", "203.0.113.9" },
  { "ip 198.51.100.7.", "198.51.100.7" },             /* full stop after a v4 */
  { "x=fe80::1%25eth0", "fe80::1" },
  { "%2F203.0.113.5%2F", "203.0.113.5" },
  { "Chrome/120.0.6099.109 from 203.0.113.77", "203.0.113.77" },
  { "(2001:db8::1)", "2001:db8::1" },
  { "2001:db8::1;", "2001:db8::1" },
  { "2001:db8::1, 10.0.0.1", "2001:db8::1" },
  { "net 2001:db8::1/64", "2001:db8::1" },
  { "peer:[2001:db8::1]", "2001:db8::1" },
  { "=2001:db8::1", "2001:db8::1" },
  { "host:198.51.100.1", "198.51.100.1" },
  { "fe80::1%eth0.", "fe80::1" },
};

Test (residual, true_positives)
{
  size_t i;

  for (i = 0; i < N_ELEMS (positives); i++)
    {
      const Positive *c = &positives[i];
      LnResidualMatch m;
      LnAddr expected;
      size_t off = 0;

      cr_assert (find_in (c->text, strlen (c->text), &m, &off), "no address found in \"%s\"",
                 c->text);
      assert_span_str (m.token, c->token);
      cr_assert_eq (off, (size_t) (strstr (c->text, c->token) - c->text), "\"%s\"", c->text);
      cr_assert (ipaddr_parse (c->token, strlen (c->token), &expected));
      cr_assert_eq (m.addr.family, expected.family, "\"%s\"", c->text);
      cr_assert_arr_eq (m.addr.bytes, expected.bytes, 16, "\"%s\"", c->text);
    }
}

Test (residual, ipv6_before_full_stop)
{
  /* an IPv6 address at the end of a sentence, like the IPv4 one above */
  LnResidualMatch m;
  size_t off = 0;
  static const char *const texts[] = { "blocked 2001:db8::1.", "2001:db8::a." };
  static const char *const tokens[] = { "2001:db8::1", "2001:db8::a" };
  size_t i;

  for (i = 0; i < N_ELEMS (texts); i++)
    {
      cr_expect (find_in (texts[i], strlen (texts[i]), &m, &off), "no address found in \"%s\"",
                 texts[i]);
      if (m.token.p)
        assert_span_str (m.token, tokens[i]);
    }
}

Test (residual, ipv6_after_a_label_and_colon)
{
  /* "ip:1.2.3.4" is found; the IPv6 equivalent must be too */
  static const char *const texts[] = {
    "ip:2001:db8::1", "client:2001:db8::1 closed", "x:2001:db8::1", "from:[2001:db8::1]",
  };
  size_t i;

  for (i = 0; i < N_ELEMS (texts); i++)
    {
      LnResidualMatch m;
      size_t off = 0;

      cr_expect (find_in (texts[i], strlen (texts[i]), &m, &off),
                 "no address found in \"%s\"", texts[i]);
      if (m.token.p)
        assert_span_str (m.token, "2001:db8::1");
    }
  {
    LnResidualMatch m;
    size_t off = 0;
    cr_assert (find_in ("ip:1.2.3.4", 10, &m, &off));
    assert_span_str (m.token, "1.2.3.4");
  }
}

static const char *const negatives[] = {
  "Chrome/120.0.6099.109",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
  "Chrome/120.0.6099.109 Safari/537.36",
  "Safari/537.36",
  "HTTP/1.1",
  "GET /index.html HTTP/1.0",
  "rv:35.0",
  "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
  "13:55:36",
  "10/Oct/2000:13:55:36 -0700",
  "1.2.3",
  "1.2.3.4.5",
  "v1.2.3.4.5.6",
  "999.1.1.1",
  "1.2.3.256",
  "01.2.3.4",
  "deadbeef",
  "cafe:babe",
  "http://www.example.org/",
  "https://example.com:8443/a.b.c?d=e:f",
  "00:1a:2b:3c:4d:5e",                          /* a MAC address */
  "12:34:56:78",
  "version 2.4.58 (Unix)",
  "3.14159",
  "...",
  "a:b",
  "",
  "-",
};

Test (residual, false_positives)
{
  size_t i;

  for (i = 0; i < N_ELEMS (negatives); i++)
    {
      LnResidualMatch m;
      size_t off = 0;
      bool found = find_in (negatives[i], strlen (negatives[i]), &m, &off);

      cr_assert (!found, "\"%s\": found \"%.*s\"", negatives[i], (int) m.token.len,
                 m.token.p ? m.token.p : "");
    }
}

Test (residual, iterates_in_order)
{
  static const char text[] =
    "a 192.0.2.1 b [2001:db8::2]:443 c Chrome/120.0.6099.109 198.51.100.3:8080 "
    "d ::ffff:10.0.0.4 e http://203.0.113.5/x?y=2001:db8::5&z=1.2.3.4.5 f 10.9.8.7.";
  static const char *const expected[] = {
    "192.0.2.1", "2001:db8::2", "198.51.100.3", "::ffff:10.0.0.4", "203.0.113.5",
    "2001:db8::5", "10.9.8.7",
  };
  const char *end = text + sizeof text - 1;
  const char *pos = text;
  LnResidualMatch m;
  size_t n = 0;

  while (residual_find (pos, end, &m))
    {
      cr_assert_lt (n, N_ELEMS (expected), "extra match \"%.*s\"", (int) m.token.len,
                    m.token.p);
      assert_span_str (m.token, expected[n]);
      cr_assert_eq (m.token.p, strstr (text, expected[n]), "match %zu is not the first "
                    "occurrence", n);
      cr_assert (m.token.p >= pos);
      pos = m.token.p + m.token.len;
      n++;
    }
  cr_assert_eq (n, N_ELEMS (expected), "found %zu of %zu addresses", n, N_ELEMS (expected));
}

Test (residual, bounds)
{
  LnResidualMatch m;
  static const char text[] = "x 192.0.2.1 y";

  /* an empty range, and a range that ends inside an address */
  cr_assert (!residual_find (text, text, &m));
  cr_assert (residual_find (text, text + 11, &m));
  assert_span_str (m.token, "192.0.2.1");
  cr_assert (!residual_find (text, text + 9, &m), "\"192.0.2\" is not an address");
  /* a range that starts inside an address sees only its tail */
  cr_assert (residual_find (text + 4, text + sizeof text - 1, &m));
  assert_span_str (m.token, "2.0.2.1");
  cr_assert_eq (m.token.p, text + 4);
}

Test (residual, long_text_with_nul_and_binary)
{
  /* the scanner takes explicit ends: NUL bytes are ordinary separators */
  static const char text[] = "\xff\xfe\0""198.51.100.20\0\x80" "2001:db8::20\0";
  LnResidualMatch m;
  const char *end = text + sizeof text - 1;

  cr_assert (residual_find (text, end, &m));
  assert_span_str (m.token, "198.51.100.20");
  cr_assert (residual_find (m.token.p + m.token.len, end, &m));
  assert_span_str (m.token, "2001:db8::20");
  cr_assert (!residual_find (m.token.p + m.token.len, end, &m));
}

Test (residual, find_in_agrees_with_find)
{
  /* residual_find_in may read [base, p) but must find what residual_find
   * finds in [p, end), from every start offset and for every end */
  static const char text[] =
    "GET /a?x=192.0.2.1&y=[2001:db8::2]:80 HTTP/1.1 Chrome/120.0.6099.109 "
    "10.1.2.3:8080 ::ffff:198.51.100.4 13:55:36 1.2.3.4.5 fe80::1%eth0 203.0.113.9.";
  const size_t len = sizeof text - 1;
  char *copy = g_malloc (len);
  size_t start, stop;

  memcpy (copy, text, len);
  for (start = 0; start < len; start++)
    for (stop = start; stop <= len; stop += (stop < start + 40 ? 1 : 13))
      {
        LnResidualMatch a, b;
        bool fa, fb;

        memset (&a, 0, sizeof a);
        memset (&b, 0, sizeof b);
        fa = residual_find (copy + start, copy + stop, &a);
        fb = residual_find_in (copy, copy + start, copy + stop, &b);
        cr_assert_eq (fa, fb, "[%zu, %zu)", start, stop);
        if (fa)
          {
            cr_assert_eq (a.token.p, b.token.p, "[%zu, %zu)", start, stop);
            cr_assert_eq (a.token.len, b.token.len, "[%zu, %zu)", start, stop);
            cr_assert (a.token.p >= copy + start && a.token.p + a.token.len <= copy + stop);
            cr_assert_arr_eq (a.addr.bytes, b.addr.bytes, 16);
          }
      }
  g_free (copy);
}

/* residual_none_possible() may say true only where the lenient scan finds
 * nothing: random texts over letters, hex digits, digits and the address
 * punctuation (few digits, so that it says true often), every start and
 * end, and the notations of forms.log. */
static void
check_none_possible (const char *base, const char *p, const char *end, unsigned *nones)
{
  LnResidualMatch m;

  if (!residual_none_possible (base, p, end))
    return;
  (*nones)++;
  cr_assert (!residual_find_lenient (base, p, end, &m),
             "\"%.*s\": none possible, but \"%.*s\" found", (int) (end - p), p,
             (int) m.token.len, m.token.p);
}

Test (residual, none_possible_only_without_a_match)
{
  static const char alphabet[] = "abcdefxyz.:/-%ABCFip6arpa::/..:9";
  static const char *const texts[] = {
    "https://www.example.org", "https://abcd::ef/", "https://ab:cd::/", "http://[::]/",
    "https://a.b.c.d.e.f.a.b.c.d.e.f.a.b.c.d.e.f.a.b.c.d.e.f.a.b.c.d.e.f.a.b.ip6.arpa",
    "https://x.example/::", "android-app://com.google.android.gm", "a::b", "ab::",
    "https://:::::/", "https://x:/y:/z::",
  };
  GRand *r = g_rand_new_with_seed (11);
  char buf[80];
  unsigned nones = 0, round;
  size_t i, start, stop;

  for (i = 0; i < N_ELEMS (texts); i++)
    {
      size_t len = strlen (texts[i]);
      char *copy = g_memdup2 (texts[i], len);

      for (start = 0; start < len; start++)
        for (stop = start; stop <= len; stop++)
          {
            check_none_possible (copy, copy + start, copy + stop, &nones);
            check_none_possible (copy + start, copy + start, copy + stop, &nones);
          }
      g_free (copy);
    }
  for (round = 0; round < 50000; round++)
    {
      size_t len = (size_t) g_rand_int_range (r, 1, (gint32) sizeof buf), j;
      char *copy;

      for (j = 0; j < len; j++)
        buf[j] = alphabet[g_rand_int_range (r, 0, (gint32) sizeof alphabet - 1)];
      copy = g_memdup2 (buf, len);
      start = (size_t) g_rand_int_range (r, 0, (gint32) len);
      check_none_possible (copy, copy + start, copy + len, &nones);
      check_none_possible (copy + start, copy + start, copy + len, &nones);
      g_free (copy);
    }
  cr_assert_gt (nones, 10000, "only %u texts without a possible address", nones);
  g_rand_free (r);
}

Test (residual, many_version_strings_are_fast_and_silent)
{
  /* a 64 KiB user agent of version numbers: no match, no quadratic time */
  GString *s = g_string_new (NULL);
  LnResidualMatch m;

  while (s->len < 64 * 1024)
    g_string_append (s, "Chrome/120.0.6099.109 Safari/537.36 13:55:36 ");
  cr_assert (!residual_find (s->str, s->str + s->len, &m));
  g_string_free (s, TRUE);
}

Test (residual, lenient_finds_run_together_lines)
{
  /* two log lines run together: the client of the second is glued to the
   * version number that ended the first (found by the benchmark log) */
  static const char text[] = "\"curl/8.5.073.50.254.197 - - [25/Nov/2026";
  const char *end = text + sizeof text - 1;
  LnResidualMatch m;

  cr_assert (!residual_find (text, end, &m), "the strict scan is precise");
  cr_assert (residual_find_lenient (text, text, end, &m));
  assert_span_str (m.token, "73.50.254.197");
  cr_assert (residual_find_lenient (text, text, text + 14, &m) == false);
}

/* ---- address notations: dashed host names, reverse DNS, percent-encoding */

typedef struct {
  const char *text;
  const char *token;     /* the expected match */
  LnResidualForm form;
  const char *addr;      /* the address it spells */
} FormCase;

static const FormCase form_cases[] = {
  { "198-51-100-7.dialup.example", "198-51-100-7", LN_RESIDUAL_DASHED, "198.51.100.7" },
  { "GET /?h=198-51-100-7.dialup.example HTTP/1.1", "198-51-100-7", LN_RESIDUAL_DASHED,
    "198.51.100.7" },
  { "ip-10-1-2-3.ec2.internal", "10-1-2-3", LN_RESIDUAL_DASHED, "10.1.2.3" },
  { "host-198-51-100-7", "198-51-100-7", LN_RESIDUAL_DASHED, "198.51.100.7" },
  { "http://ip-010-001-002-003.example/", "010-001-002-003", LN_RESIDUAL_DASHED, "10.1.2.3" },
  { "7.100.51.198.in-addr.arpa", "7.100.51.198", LN_RESIDUAL_REVERSE4, "198.51.100.7" },
  { "PTR 7.100.51.198.IN-ADDR.ARPA.", "7.100.51.198", LN_RESIDUAL_REVERSE4, "198.51.100.7" },
  { "b.a.9.8.7.6.5.4.3.2.1.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
    "b.a.9.8.7.6.5.4.3.2.1.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2", LN_RESIDUAL_REVERSE6,
    "2001:db8::123:4567:89ab" },
  { "/?ip=2001%3Adb8%3A%3A1&x=1", "2001%3Adb8%3A%3A1", LN_RESIDUAL_PERCENT, "2001:db8::1" },
  { "q=2001%3adb8%3a1%3a2%3a3%3a4%3a5%3a6", "2001%3adb8%3a1%3a2%3a3%3a4%3a5%3a6",
    LN_RESIDUAL_PERCENT, "2001:db8:1:2:3:4:5:6" },
  { "u=%5B2001:db8::1%5D", "2001:db8::1", LN_RESIDUAL_PLAIN, "2001:db8::1" },
  { "u=%5B2001%3Adb8%3A%3A1%5D", "2001%3Adb8%3A%3A1", LN_RESIDUAL_PERCENT, "2001:db8::1" },
  { "q=a%20198.51.100.7", "198.51.100.7", LN_RESIDUAL_PLAIN, "198.51.100.7" },
  { "ip=198.51.100.7", "198.51.100.7", LN_RESIDUAL_PLAIN, "198.51.100.7" },
};

Test (residual, notations)
{
  size_t i;

  for (i = 0; i < N_ELEMS (form_cases); i++)
    {
      const FormCase *c = &form_cases[i];
      LnResidualMatch m;
      LnAddr expected;
      size_t off = 0;

      cr_assert (find_in (c->text, strlen (c->text), &m, &off), "no address found in \"%s\"",
                 c->text);
      assert_span_str (m.token, c->token);
      cr_assert_eq (m.form, c->form, "\"%s\": notation %d", c->text, (int) m.form);
      cr_assert (ipaddr_parse (c->addr, strlen (c->addr), &expected));
      cr_assert_eq (m.addr.family, expected.family, "\"%s\"", c->text);
      cr_assert_arr_eq (m.addr.bytes, expected.bytes, 16, "\"%s\"", c->text);
      /* the lenient scan finds the same */
      memset (&m, 0, sizeof m);
      cr_assert (residual_find_lenient (c->text, c->text, c->text + strlen (c->text), &m));
      assert_span_str (m.token, c->token);
    }
}

/* Things that look like a notation and are not an address. */
static const char *const form_negatives[] = {
  "2024-01-15",
  "on 2024-01-15 at 10:20:30",
  "1.2.3-beta",
  "555-123-4567",
  "+1-555-123-4567",
  "call 1-800-555-0199",
  "123e4567-e89b-12d3-a456-426614174000",
  "d41d8cd98f00b204e9800998ecf8427e",
  "198-51-100-7",                  /* no host name around it */
  "id 198-51-100-7 ok",
  "1-2-3-4-5.example",             /* five numbers */
  "x1-2-3-4.example",              /* glued to a word */
  "host-1-2-3-4-5",
  "v1.2-3-4-5.example",
  "100.51.198.in-addr.arpa",       /* a /24 zone, not an address */
  "8.b.d.0.1.0.0.2.ip6.arpa",      /* a /32 zone */
  "a%3A%3Ag",
  "%3Afoo%3Abar",
  "a%3Ab",
  "100%25 20%3A30",
};

Test (residual, notation_false_positives)
{
  size_t i;

  for (i = 0; i < N_ELEMS (form_negatives); i++)
    {
      LnResidualMatch m;
      size_t off = 0;
      bool found = find_in (form_negatives[i], strlen (form_negatives[i]), &m, &off);

      cr_assert (!found, "\"%s\": found \"%.*s\"", form_negatives[i], (int) m.token.len,
                 m.token.p ? m.token.p : "");
    }
}

Test (residual, format_keeps_the_notation)
{
  static const struct {
    LnResidualForm form;
    const char *in, *out;
  } cases[] = {
    { LN_RESIDUAL_PLAIN, "198.51.100.0", "198.51.100.0" },
    { LN_RESIDUAL_DASHED, "198.51.100.0", "198-51-100-0" },
    { LN_RESIDUAL_REVERSE4, "198.51.100.0", "0.100.51.198" },
    { LN_RESIDUAL_REVERSE6, "2001:db8::",
      "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2" },
    { LN_RESIDUAL_PERCENT, "2001:db8::", "2001%3Adb8%3A%3A" },
    /* not an address of the notation's family: left as it is, but a
     * percent-encoded address never gets a raw ':' */
    { LN_RESIDUAL_DASHED, "2001:db8::1", "2001:db8::1" },
    { LN_RESIDUAL_REVERSE4, "2001:db8::1", "2001:db8::1" },
    { LN_RESIDUAL_REVERSE6, "198.51.100.0", "198.51.100.0" },
    { LN_RESIDUAL_DASHED, "f6rh7zathgecn575", "f6rh7zathgecn575" },
    { LN_RESIDUAL_PERCENT, "2001:db8::-xcnh", "2001%3Adb8%3A%3A-xcnh" },
  };
  size_t i;

  for (i = 0; i < N_ELEMS (cases); i++)
    {
      char text[LN_RESIDUAL_TEXT_MAX];
      size_t n = strlen (cases[i].in);

      memcpy (text, cases[i].in, n);
      n = residual_format (cases[i].form, text, n);
      cr_assert_eq (n, strlen (cases[i].out), "%s as %s: length %zu", cases[i].in,
                    residual_form_name (cases[i].form), n);
      cr_assert (memcmp (text, cases[i].out, n) == 0, "%s as %s: \"%.*s\"", cases[i].in,
                 residual_form_name (cases[i].form), (int) n, text);
    }
}

Test (residual, strict_long_run_is_no_address)
{
  /* found by fuzz_residual (crashes/residual-R2-strict-restart-in-long-run):
   * the strict scan restarted inside a run of 16+ numbers and found
   * "0.0.0.8" in the middle of a reverse IPv6 name with a broken nibble */
  static const char text[] =
    "b.a.9.8.7.6.5.4u.3.2.1.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa "
    "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17";
  LnResidualMatch m;
  size_t off = 0;

  cr_assert (!find_in (text, sizeof text - 1, &m, &off), "found \"%.*s\"",
             (int) m.token.len, m.token.p);
}

Test (residual, percent_escape_needs_two_hex_digits)
{
  /* found by fuzz_residual (crashes/residual-R2-percent-escape-needs-two-
   * hex-digits): "%1." is no escape, so "1.0.0.0.9" after it is a run of
   * five numbers and no address; "%20" is one, and 198.51.100.7 follows */
  LnResidualMatch m;
  size_t off = 0;

  cr_assert (!find_in ("x%1.0.0.0.9 y", 13, &m, &off), "found \"%.*s\"", (int) m.token.len,
             m.token.p);
  cr_assert (find_in ("x%20198.51.100.7", 16, &m, &off));
  assert_span_str (m.token, "198.51.100.7");
}

Test (residual, product_versions_are_not_addresses)
{
  /* Chrome's reduced user agent ends every version in ".0.0.0"; measured
   * on tests/data (residual_table.sh): 86 of 87 false positives */
  static const char *const versions[] = {
    "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/107.0.0.0 Safari/537.36",
    "(KHTML, like Gecko) Dragon/36.1.1.21 Chrome/36.0.1985.97",
    "Chrome/108.0.0.0",
    "(Foo/1.2.3.4; x)",
  };
  static const struct { const char *text, *token; } addresses[] = {
    { "GET /ip/203.0.113.9 HTTP/1.1", "203.0.113.9" },       /* a path */
    { "http://proxy/203.0.113.9", "203.0.113.9" },
    { "Chrome/1.2.3.4:8080", "1.2.3.4" },                    /* not a version's end */
    { "Chrome/1.2.3.4.5", "1.2.3.4" },
    { "x/203.0.113.9", "203.0.113.9" },                      /* a one-letter name */
    { "curl/8.5.073.50.254.197", NULL },                      /* lenient only */
  };
  size_t i;

  for (i = 0; i < N_ELEMS (versions); i++)
    {
      LnResidualMatch m;
      const char *t = versions[i], *end = t + strlen (t);

      cr_assert (!residual_find_lenient (t, t, end, &m), "\"%s\": found \"%.*s\"", t,
                 (int) m.token.len, m.token.p);
    }
  for (i = 0; i < N_ELEMS (addresses); i++)
    {
      LnResidualMatch m;
      const char *t = addresses[i].text, *end = t + strlen (t);

      cr_assert (residual_find_lenient (t, t, end, &m), "\"%s\": nothing found", t);
      if (addresses[i].token)
        assert_span_str (m.token, addresses[i].token);
    }
}

Test (residual, percent_scan_leaves_plain_runs_to_the_plain_scan)
{
  /* found by fuzz_residual (crashes/residual-R2-percent-run-rejudges-plain-
   * word): a "%3a" later in the run made the percent scan take "al::f0"
   * (a word, for the plain scan) for the address "::f0", before the
   * lenient scan's own matches; and a failed percent scan skipped the
   * plain addresses after it ("3a2::", "7.6.56.56") */
  static const char text[] = "b.al::f0.1 %3a3a2::.7.6.56.56.";
  LnResidualMatch m;
  size_t off = 0;

  cr_assert (find_in (text, sizeof text - 1, &m, &off));
  assert_span_str (m.token, "3a2::");
  cr_assert (residual_find (m.token.p + m.token.len, text + sizeof text - 1, &m));
  assert_span_str (m.token, "7.6.56.56");
}

Test (residual, product_token_context_is_the_text_not_the_search)
{
  /* found by fuzz_residual (crashes/residual-R2-product-token-after-a-
   * match): the search resumed after "38.100.51.1" in the middle of the
   * word "1curl54l/", took it for a product token at the start of the text
   * and missed 8.3.195.0, which the strict scan (from the start) finds */
  static const char text[] = "%curl5406/8.6.0738.100.51.1curl54l/8.3.195.0";
  const char *end = text + sizeof text - 1;
  LnResidualMatch m;

  cr_assert (residual_find_lenient (text, text, end, &m));
  assert_span_str (m.token, "38.100.51.1");
  cr_assert (residual_find_lenient (text, m.token.p + m.token.len, end, &m));
  assert_span_str (m.token, "8.3.195.0");
  /* in a quoted user agent field the quote is the name's boundary */
  {
    static const char ua[] = "x \"Chrome/107.0.0.0\" y";

    cr_assert (!residual_find_lenient (ua, ua + 3, ua + sizeof ua - 4, &m));
  }
}

Test (residual, glued_hex_groups_go_with_the_match)
{
  /* fuzz_parse crashes/parse-I3-redact-kept-leading-group-regroups and
   * fuzz_residual crashes/residual-R5-regroup-adjacent-replacements: hex
   * groups glued to an IPv6 match before or after it are part of the token,
   * so that the masked text cannot regroup with them into a new address */
  static const struct { const char *text, *token, *addr; } cases[] = {
    { "1:d:1:1:b:1:2::8", "1:d:1:1:b:1:2::8", "d:1:1:b:1:2::8" },
    { "x db8::01:db8::01b:d1:db8:b:0111 y", "db8::01:db8::01b:d1:db8:b:0111", "db8::1:db8" },
    { "peer 2001:db8::1: closed", "2001:db8::1", "2001:db8::1" },
    { "ip:2001:db8::1", "2001:db8::1", "2001:db8::1" },
    /* crashes/residual-R5-regroup-kept-rest-after-prefix: ":::09.15.0" */
    { "%:0:::09.15.0", "0:::09.15.0", "::" },
    /* crashes/residual-R5-regroup-masked-v4-after-prefix: after a ':' an
     * IPv4 address would regroup with the masked text ("::::0.0.3.0") */
    { "x:0:::0.0.3.0", "0:::0.0.3.0", "::" },
    /* after a '.' an IPv4 address is a match of its own */
    { "3a2::.7.6.56.56", "3a2::", "3a2::" },
  };
  size_t i;

  for (i = 0; i < N_ELEMS (cases); i++)
    {
      LnResidualMatch m;
      LnAddr a;
      size_t off = 0;

      cr_assert (find_in (cases[i].text, strlen (cases[i].text), &m, &off), "\"%s\"",
                 cases[i].text);
      assert_span_str (m.token, cases[i].token);
      cr_assert (ipaddr_parse (cases[i].addr, strlen (cases[i].addr), &a));
      cr_assert_arr_eq (m.addr.bytes, a.bytes, 16, "\"%s\"", cases[i].text);
    }
}

Test (residual, reverse_name_takes_glued_digits)
{
  /* crashes/residual-R5-regroup-reverse-host-octet: leniently,
   * "8.6.0737.100.51.198.in-addr.arpa" holds 198.51.100.37; masked alone
   * the host octet became "8.6.070.100.51.198", which reads as
   * 198.51.100.70: the numbers in front go with the match */
  static const char text[] = "cu.7rl/8.6.0737.100.51.198.in-addr.arpa750.597";
  LnResidualMatch m;

  cr_assert (residual_find_lenient (text, text, text + sizeof text - 1, &m));
  assert_span_str (m.token, "8.6.0737.100.51.198");
  cr_assert_eq (m.form, LN_RESIDUAL_REVERSE4);
  cr_assert_eq (m.addr.bytes[3], 37);
}

Test (residual, leading_groups_are_hex_and_colons_only)
{
  /* crashes/residual-R5-leading-groups-ate-reverse-suffix: the groups taken
   * into an IPv6 match from in front of it must not include dots, or they
   * eat the "a" of a reverse name's "arpa" ("...in-addr.arpa..00.0.2...") */
  static const char text[] = "x.in-addr.arpa..00.0.2:3:38:1::";
  LnResidualMatch m;
  size_t off = 0;

  cr_assert (find_in (text, sizeof text - 1, &m, &off));
  cr_assert (m.token.p >= strstr (text, "..00"), "token \"%.*s\" takes \"arpa\"",
             (int) m.token.len, m.token.p);
}

Test (residual, percent_run_takes_the_groups_in_front)
{
  /* crashes/residual-R5-regroup-open-percent-escapes: "8.51.%3a4%3a5%3a6db8
   * ..." decodes to "8.51.:4:5:6db8:1:3:38:1::4:5:6", 9 groups; the address
   * 5:6db8:...:6 masked alone left "%3a4%3a" glued to it, which read as
   * 4:5:6db8:1:: -- the group "4" in front goes with the match */
  static const char text[] = "x.8.51.%3a4%3a5%3a6db8%3a1%3a3%3a38%3a1%3a%3a4%3a5%3a6";
  LnResidualMatch m;
  size_t off = 0;

  cr_assert (find_in (text, sizeof text - 1, &m, &off));
  assert_span_str (m.token, "4%3a5%3a6db8%3a1%3a3%3a38%3a1%3a%3a4%3a5%3a6");
  cr_assert_eq (m.form, LN_RESIDUAL_PERCENT);
}

Test (residual, dashed_context_is_the_text_not_the_search)
{
  /* crashes/residual-R2-dashed-context-after-a-match: the lenient search
   * went on right after "...:d", before "-198-51-198-7", and no longer saw
   * the "d-" that makes it a host name */
  static const char text[] = "a 9:b.:d-198-51-198-7";
  const char *end = text + sizeof text - 1;
  LnResidualMatch m;

  cr_assert (residual_find_lenient (text, strstr (text, "-198"), end, &m));
  assert_span_str (m.token, "198-51-198-7");
  cr_assert (residual_find_lenient (text, strstr (text, "198-"), end, &m));
  assert_span_str (m.token, "198-51-198-7");
}

/* A search that finds nothing leaves no octets of the candidates that
 * failed to parse in the caller's match (they would outlive the line). */
Test (residual, miss_leaves_no_octets)
{
  static const char *const texts[] = {
    "x 192.0.2.7.5 y", "2001:db8::1::2", "10.20.30.400", "fe80::1::/64 198.51.100",
    "1.2.3.4.5.6.7.8", "v1.2.3 2001:db8:::1",
  };
  static const uint8_t zero[sizeof (LnAddr)];
  size_t i;

  for (i = 0; i < N_ELEMS (texts); i++)
    {
      const char *t = texts[i];
      const char *end = t + strlen (t);
      LnResidualMatch m;
      int k;

      for (k = 0; k < 3; k++)
        {
          bool found;

          memset (&m, 0xaa, sizeof m);
          found = k == 0 ? residual_find (t, end, &m)
                  : k == 1 ? residual_find_in (t, t, end, &m)
                  : residual_find_lenient (t, t, end, &m);
          if (!found)
            cr_assert (memcmp (&m.addr, zero, sizeof m.addr) == 0,
                       "octets left after a miss in \"%s\" (%d)", t, k);
        }
    }
}
