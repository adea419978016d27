/* test_ipaddr.c - ipaddr.c against libc's inet_pton/inet_ntop.
 *
 * Every table case is checked twice: against the expectation written in the
 * table and against inet_pton on a NUL-terminated copy, so that a wrong
 * table entry and a libc disagreement both show up.
 *
 * The one deliberate difference from glibc: for the deprecated
 * IPv4-compatible range ::/96 (RFC 4291 2.5.5.1; first 96 bits zero, not
 * :: or ::1) glibc's inet_ntop writes a dotted tail ("::1.2.3.4") while
 * lognym follows RFC 5952 section 5, which keeps dotted tails for
 * IPv4-mapped addresses (::ffff:0:0/96) only, and writes "::102:304".
 * The comparisons with inet_ntop skip exactly that range, and check the
 * RFC 5952 text instead.
 */
#include "config.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "ipaddr.h"

/* ------------------------------------------------------------ helpers */

/* ipaddr_parse on an exact-size heap copy without a NUL, so that
 * AddressSanitizer catches any read outside [p, p+len). */
static bool
parse_exact (const char *text, size_t len, LnAddr *out)
{
  char *copy = g_malloc (len ? len : 1);
  bool ok;

  memcpy (copy, text, len);
  ok = ipaddr_parse (copy, len, out);
  g_free (copy);
  return ok;
}

/* The family inet_pton accepts @text as (LN_AF_NONE if neither) and the
 * bytes it produces. */
static int
libc_parse (const char *text, uint8_t bytes[16])
{
  memset (bytes, 0, 16);
  if (inet_pton (AF_INET, text, bytes) == 1)
    return LN_AF_INET;
  memset (bytes, 0, 16);
  if (inet_pton (AF_INET6, text, bytes) == 1)
    return LN_AF_INET6;
  memset (bytes, 0, 16);
  return LN_AF_NONE;
}

static char *
lognym_format (const LnAddr *addr)
{
  char text[LN_ADDR_TEXT_MAX + 8];
  size_t n;

  memset (text, 'X', sizeof text);
  n = ipaddr_format (addr, text);
  cr_assert_leq (n, LN_ADDR_TEXT_MAX, "ipaddr_format wrote %zu bytes", n);
  cr_assert_eq (text[n], 'X', "ipaddr_format wrote past its returned length");
  return g_strndup (text, n);
}

/* True for ::/96 minus :: and ::1 style addresses, where glibc prints a
 * dotted tail: the first six 16-bit groups are zero and the seventh is not
 * (glibc's condition is "the longest zero run starts at 0 and is exactly
 * six groups long"). */
static bool
is_v4_compat (const LnAddr *addr)
{
  static const uint8_t zero[12];

  return addr->family == LN_AF_INET6 && memcmp (addr->bytes, zero, 12) == 0
         && (addr->bytes[12] | addr->bytes[13]) != 0;
}

static void
libc_format (const LnAddr *addr, char *out, size_t size)
{
  const char *r = inet_ntop (addr->family == LN_AF_INET ? AF_INET : AF_INET6,
                             addr->bytes, out, (socklen_t) size);
  cr_assert_not_null (r);
}

/* Checks the formatted text of @addr against inet_ntop, or against the
 * RFC 5952 form in the ::/96 compat range; then parses the text back with
 * both parsers. */
static void
check_format_roundtrip (const LnAddr *addr)
{
  char ntop[INET6_ADDRSTRLEN];
  char *mine = lognym_format (addr);
  uint8_t back[16];
  LnAddr again;

  libc_format (addr, ntop, sizeof ntop);
  if (is_v4_compat (addr))
    {
      char expected[64];
      unsigned w6 = (unsigned) addr->bytes[12] << 8 | addr->bytes[13];
      unsigned w7 = (unsigned) addr->bytes[14] << 8 | addr->bytes[15];

      snprintf (expected, sizeof expected, "::%x:%x", w6, w7);
      cr_assert_str_eq (mine, expected, "compat address: libc says %s", ntop);
    }
  else
    cr_assert_str_eq (mine, ntop, "ipaddr_format differs from inet_ntop");

  /* round trip through our parser */
  cr_assert (parse_exact (mine, strlen (mine), &again), "cannot parse back \"%s\"", mine);
  cr_assert_eq (again.family, addr->family, "family changed for \"%s\"", mine);
  cr_assert_arr_eq (again.bytes, addr->bytes, addr->family == LN_AF_INET ? 4 : 16,
                    "bytes changed for \"%s\"", mine);
  /* libc agrees on our text */
  cr_assert_eq (libc_parse (mine, back), addr->family, "inet_pton rejects \"%s\"", mine);
  cr_assert_arr_eq (back, addr->bytes, addr->family == LN_AF_INET ? 4 : 16);
  /* and we agree on libc's text (the dotted compat form included) */
  cr_assert (parse_exact (ntop, strlen (ntop), &again), "cannot parse libc's \"%s\"", ntop);
  cr_assert_eq (again.family, addr->family);
  cr_assert_arr_eq (again.bytes, addr->bytes, addr->family == LN_AF_INET ? 4 : 16,
                    "bytes differ for libc's \"%s\"", ntop);
  g_free (mine);
}

static LnAddr
addr_of (const char *text)
{
  LnAddr a;

  cr_assert (ipaddr_parse (text, strlen (text), &a), "cannot parse \"%s\"", text);
  return a;
}

/* ------------------------------------------------------ parse table */

typedef struct {
  const char *text;
  int family;              /* expected: LN_AF_NONE, LN_AF_INET, LN_AF_INET6 */
  const char *canonical;   /* expected ipaddr_format output, or NULL */
} ParseCase;

static const ParseCase parse_cases[] = {
  /* IPv4 */
  { "0.0.0.0", LN_AF_INET, "0.0.0.0" },
  { "255.255.255.255", LN_AF_INET, "255.255.255.255" },
  { "192.0.2.7", LN_AF_INET, "192.0.2.7" },
  { "10.0.0.1", LN_AF_INET, "10.0.0.1" },
  { "1.2.3.4", LN_AF_INET, "1.2.3.4" },
  { "100.20.3.0", LN_AF_INET, "100.20.3.0" },
  { "256.1.1.1", LN_AF_NONE, NULL },
  { "1.256.1.1", LN_AF_NONE, NULL },
  { "1.1.1.256", LN_AF_NONE, NULL },
  { "1000.1.1.1", LN_AF_NONE, NULL },
  { "01.2.3.4", LN_AF_NONE, NULL },
  { "1.2.3.04", LN_AF_NONE, NULL },
  { "1.02.3.4", LN_AF_NONE, NULL },
  { "00.0.0.0", LN_AF_NONE, NULL },
  { "1.2.3.000", LN_AF_NONE, NULL },
  { "0x1.2.3.4", LN_AF_NONE, NULL },
  { "1.2.3", LN_AF_NONE, NULL },
  { "1.2", LN_AF_NONE, NULL },
  { "1", LN_AF_NONE, NULL },
  { "1.2.3.4.5", LN_AF_NONE, NULL },
  { "1.2.3.4.", LN_AF_NONE, NULL },
  { ".1.2.3.4", LN_AF_NONE, NULL },
  { "1..2.3", LN_AF_NONE, NULL },
  { "1.2..3.4", LN_AF_NONE, NULL },
  { "1.2.3.-4", LN_AF_NONE, NULL },
  { "1.2.3.4 ", LN_AF_NONE, NULL },
  { " 1.2.3.4", LN_AF_NONE, NULL },
  { "1.2.3.a", LN_AF_NONE, NULL },
  { "", LN_AF_NONE, NULL },
  { ".", LN_AF_NONE, NULL },
  { "...", LN_AF_NONE, NULL },
  { "localhost", LN_AF_NONE, NULL },
  { "-", LN_AF_NONE, NULL },
  /* IPv6 */
  { "::", LN_AF_INET6, "::" },
  { "::1", LN_AF_INET6, "::1" },
  { "::0", LN_AF_INET6, "::" },
  { "0:0:0:0:0:0:0:0", LN_AF_INET6, "::" },
  { "0000:0000:0000:0000:0000:0000:0000:0001", LN_AF_INET6, "::1" },
  { "1::", LN_AF_INET6, "1::" },
  { "2001:db8::1", LN_AF_INET6, "2001:db8::1" },
  { "2001:DB8::1", LN_AF_INET6, "2001:db8::1" },
  { "2001:Db8:0:0:0:0:0:ABCD", LN_AF_INET6, "2001:db8::abcd" },
  { "2001:0db8:85a3:0000:0000:8a2e:0370:7334", LN_AF_INET6, "2001:db8:85a3::8a2e:370:7334" },
  { "2001:db8:0:1:1:1:1:1", LN_AF_INET6, "2001:db8:0:1:1:1:1:1" },
  { "2001:db8:0:0:1:0:0:1", LN_AF_INET6, "2001:db8::1:0:0:1" },
  { "2001:0:0:1:0:0:0:1", LN_AF_INET6, "2001:0:0:1::1" },
  { "fe80::1", LN_AF_INET6, "fe80::1" },
  { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", LN_AF_INET6,
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
  { "::ffff:1.2.3.4", LN_AF_INET6, "::ffff:1.2.3.4" },
  { "::FFFF:1.2.3.4", LN_AF_INET6, "::ffff:1.2.3.4" },
  { "::ffff:0.0.0.0", LN_AF_INET6, "::ffff:0.0.0.0" },
  { "::ffff:0:0", LN_AF_INET6, "::ffff:0.0.0.0" },
  { "0:0:0:0:0:ffff:192.0.2.128", LN_AF_INET6, "::ffff:192.0.2.128" },
  { "0000:0000:0000:0000:0000:ffff:255.255.255.255", LN_AF_INET6,
    "::ffff:255.255.255.255" },            /* 45 bytes: LN_ADDR_TEXT_MAX */
  { "::1.2.3.4", LN_AF_INET6, "::102:304" },  /* compat: RFC 5952, see top */
  { "::0.0.0.1", LN_AF_INET6, "::1" },
  { "::ffff:0:1.2.3.4", LN_AF_INET6, "::ffff:0:102:304" },
  { "1::1.2.3.4", LN_AF_INET6, "1::102:304" },
  { "1:2:3:4:5:6:1.2.3.4", LN_AF_INET6, "1:2:3:4:5:6:102:304" },
  { "::1:2:3:4:5:6:7", LN_AF_INET6, "0:1:2:3:4:5:6:7" },
  { "1:2:3:4:5:6:7::", LN_AF_INET6, "1:2:3:4:5:6:7:0" },
  { "1:2:3:4:5:6:7:8", LN_AF_INET6, "1:2:3:4:5:6:7:8" },
  { "1:0:0:2:0:0:0:3", LN_AF_INET6, "1:0:0:2::3" },
  { "1:0:0:2:0:0:3:4", LN_AF_INET6, "1::2:0:0:3:4" },  /* tie: first run */
  { "1:0:2:3:4:5:6:7", LN_AF_INET6, "1:0:2:3:4:5:6:7" },  /* one group: no :: */
  /* invalid IPv6 */
  { ":::", LN_AF_NONE, NULL },
  { "1:::2", LN_AF_NONE, NULL },
  { "12345::", LN_AF_NONE, NULL },
  { "::12345", LN_AF_NONE, NULL },
  { "1:2:3:4:5:6:7:8:9", LN_AF_NONE, NULL },
  { "1:2:3:4:5:6:7:8::", LN_AF_NONE, NULL },
  { "::1:2:3:4:5:6:7:8", LN_AF_NONE, NULL },
  { "1:2:3:4:5:6:7::8", LN_AF_NONE, NULL },
  { "2001:db8:2ce:1", LN_AF_NONE, NULL },
  { "1:2:3:4:5:6:7", LN_AF_NONE, NULL },
  { "1:2:3:4:5:6:7:", LN_AF_NONE, NULL },
  { "2001:db8::1:", LN_AF_NONE, NULL },
  { ":1:2:3:4:5:6:7", LN_AF_NONE, NULL },
  { ":1::", LN_AF_NONE, NULL },
  { "1::2::3", LN_AF_NONE, NULL },
  { "::1::", LN_AF_NONE, NULL },
  { ":", LN_AF_NONE, NULL },
  { "1:", LN_AF_NONE, NULL },
  { ":1", LN_AF_NONE, NULL },
  { "g::1", LN_AF_NONE, NULL },
  { "2001:db8::1%eth0", LN_AF_NONE, NULL },
  { "[::1]", LN_AF_NONE, NULL },
  { "::ffff:1.2.3", LN_AF_NONE, NULL },
  { "::ffff:1.2.3.4.5", LN_AF_NONE, NULL },
  { "::ffff:01.2.3.4", LN_AF_NONE, NULL },
  { "::ffff:256.2.3.4", LN_AF_NONE, NULL },
  { "::1.2.3.4:5", LN_AF_NONE, NULL },
  { "::1.2.3.4::", LN_AF_NONE, NULL },
  { "1.2.3.4::", LN_AF_NONE, NULL },
  { "1:2:3:4:5:6:7:1.2.3.4", LN_AF_NONE, NULL },
  { "1:2:3:4:5:6::1.2.3.4", LN_AF_NONE, NULL },
  { "::ffff:a.2.3.4", LN_AF_NONE, NULL },
  { "1.2.3.4:80", LN_AF_NONE, NULL },
  { "2001:db8::1 ", LN_AF_NONE, NULL },
  { "0000:0000:0000:0000:0000:0000:0000:00001", LN_AF_NONE, NULL },
};

Test (ipaddr, parse_table_against_inet_pton)
{
  size_t i;

  for (i = 0; i < N_ELEMS (parse_cases); i++)
    {
      const ParseCase *c = &parse_cases[i];
      uint8_t libc_bytes[16];
      int libc_family = libc_parse (c->text, libc_bytes);
      LnAddr a;
      bool ok;

      memset (&a, 0xaa, sizeof a);
      ok = parse_exact (c->text, strlen (c->text), &a);
      cr_expect_eq (libc_family, c->family, "table vs inet_pton for \"%s\"", c->text);
      cr_assert_eq (ok, c->family != LN_AF_NONE, "ipaddr_parse(\"%s\") returned %d",
                    c->text, ok);
      cr_assert_eq (a.family, c->family, "family of \"%s\": %d", c->text, a.family);
      if (!ok)
        continue;
      if (c->family == LN_AF_INET)
        {
          static const uint8_t zero[12];
          cr_assert_arr_eq (a.bytes, libc_bytes, 4, "bytes of \"%s\"", c->text);
          /* the unused tail is cleared, so digests of LnAddr are stable */
          cr_assert_arr_eq (a.bytes + 4, zero, 12, "tail of \"%s\" not zeroed", c->text);
        }
      else
        cr_assert_arr_eq (a.bytes, libc_bytes, 16, "bytes of \"%s\"", c->text);
    }
}

Test (ipaddr, format_table)
{
  size_t i;

  for (i = 0; i < N_ELEMS (parse_cases); i++)
    {
      const ParseCase *c = &parse_cases[i];
      LnAddr a;
      char *text;

      if (c->family == LN_AF_NONE)
        continue;
      a = addr_of (c->text);
      text = lognym_format (&a);
      cr_assert_str_eq (text, c->canonical, "format of \"%s\"", c->text);
      g_free (text);
      check_format_roundtrip (&a);
    }
}

Test (ipaddr, compat_range_differs_from_glibc_only_in_form)
{
  /* Documents the exception: glibc writes the dotted tail, lognym does not,
   * and both texts denote the same address. */
  LnAddr a = addr_of ("::192.0.2.1");
  char ntop[INET6_ADDRSTRLEN];
  char *mine = lognym_format (&a);

  libc_format (&a, ntop, sizeof ntop);
  cr_assert_str_eq (ntop, "::192.0.2.1");
  cr_assert_str_eq (mine, "::c000:201");
  cr_assert (!ipaddr_is_v4_mapped (&a));
  g_free (mine);
}

Test (ipaddr, parse_respects_length)
{
  LnAddr a;
  /* only the first len bytes count: a valid prefix of a longer buffer */
  cr_assert (ipaddr_parse ("1.2.3.4xyz", 7, &a));
  cr_assert_eq (a.family, LN_AF_INET);
  cr_assert_eq (a.bytes[3], 4);
  cr_assert (ipaddr_parse ("2001:db8::1]:443", 11, &a));
  cr_assert_eq (a.family, LN_AF_INET6);
  cr_assert_eq (a.bytes[15], 1);
  cr_assert (ipaddr_parse ("1.2.3.45", 7, &a));
  cr_assert_eq (a.bytes[3], 4);
  /* an embedded NUL is an ordinary invalid byte */
  cr_assert (!parse_exact ("1.2.3.4\0", 8, &a));
  cr_assert_eq (a.family, LN_AF_NONE);
  cr_assert (!parse_exact ("1.2\0.3.4", 8, &a));
  cr_assert (!parse_exact ("::1\0", 4, &a));
  cr_assert (!parse_exact ("\0::1", 4, &a));
  /* zero length, and longer than any address text */
  cr_assert (!ipaddr_parse ("1.2.3.4", 0, &a));
  cr_assert_eq (a.family, LN_AF_NONE);
  {
    static const char longer[] = "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000";
    cr_assert (!parse_exact (longer, sizeof longer - 1, &a));
    /* 46 bytes of a valid-looking prefix: still too long */
    cr_assert (!parse_exact ("0000:0000:0000:0000:0000:ffff:255.255.255.2550", 46, &a));
  }
  /* non-ASCII bytes */
  cr_assert (!parse_exact ("1.2.3.\xb4", 7, &a));
  cr_assert (!parse_exact ("::\xff", 3, &a));
}

Test (ipaddr, failure_leaves_family_none)
{
  LnAddr a = addr_of ("192.0.2.1");

  cr_assert (!ipaddr_parse ("1.2.3", 5, &a));
  cr_assert_eq (a.family, LN_AF_NONE);
  a = addr_of ("::1");
  cr_assert (!ipaddr_parse ("1::2::3", 7, &a));
  cr_assert_eq (a.family, LN_AF_NONE);
}

/* ------------------------------------------------- random cross-check */

#define RANDOM_ROUNDS 200000

static unsigned
random_group (GRand *r)
{
  switch (g_rand_int_range (r, 0, 6))
    {
    case 0: case 1: return 0;                         /* zero runs */
    case 2: return (unsigned) g_rand_int_range (r, 0, 0x10);
    case 3: return (unsigned) g_rand_int_range (r, 0, 0x1000);
    case 4: return 0xffff;
    default: return g_rand_int (r) & 0xffff;
    }
}

static void
random_v6 (GRand *r, LnAddr *a)
{
  int i;

  a->family = LN_AF_INET6;
  switch (g_rand_int_range (r, 0, 8))
    {
    case 0:                                           /* uniform */
      for (i = 0; i < 16; i++)
        a->bytes[i] = (uint8_t) g_rand_int (r);
      return;
    case 1:                                           /* IPv4-mapped */
      memset (a->bytes, 0, 10);
      a->bytes[10] = a->bytes[11] = 0xff;
      for (i = 12; i < 16; i++)
        a->bytes[i] = (uint8_t) (g_rand_boolean (r) ? 0 : g_rand_int (r));
      return;
    case 2:                                           /* ::/96 compat */
      memset (a->bytes, 0, 12);
      for (i = 12; i < 16; i++)
        a->bytes[i] = (uint8_t) (g_rand_boolean (r) ? 0 : g_rand_int (r));
      return;
    default:                                          /* zero-run heavy */
      for (i = 0; i < 8; i++)
        {
          unsigned w = random_group (r);
          a->bytes[2 * i] = (uint8_t) (w >> 8);
          a->bytes[2 * i + 1] = (uint8_t) w;
        }
      return;
    }
}

static void
random_v4 (GRand *r, LnAddr *a)
{
  int i;

  memset (a, 0, sizeof *a);
  a->family = LN_AF_INET;
  for (i = 0; i < 4; i++)
    switch (g_rand_int_range (r, 0, 4))
      {
      case 0: a->bytes[i] = (uint8_t) g_rand_int_range (r, 0, 10); break;
      case 1: a->bytes[i] = (uint8_t) g_rand_int_range (r, 10, 100); break;
      case 2: a->bytes[i] = g_rand_boolean (r) ? 0 : 255; break;
      default: a->bytes[i] = (uint8_t) g_rand_int (r); break;
      }
}

Test (ipaddr, random_v6_roundtrip_against_libc)
{
  GRand *r = g_rand_new_with_seed (20260101);
  int i, compat = 0;

  for (i = 0; i < RANDOM_ROUNDS; i++)
    {
      LnAddr a;

      random_v6 (r, &a);
      compat += is_v4_compat (&a);
      check_format_roundtrip (&a);
    }
  cr_assert_gt (compat, 1000, "the compat range was exercised");
  g_rand_free (r);
}

Test (ipaddr, random_v4_roundtrip_against_libc)
{
  GRand *r = g_rand_new_with_seed (4242);
  int i;

  for (i = 0; i < RANDOM_ROUNDS; i++)
    {
      LnAddr a;

      random_v4 (r, &a);
      check_format_roundtrip (&a);
    }
  g_rand_free (r);
}

Test (ipaddr, random_text_against_inet_pton)
{
  /* Random strings over the address alphabet: the verdict and the bytes
   * must match inet_pton's. */
  static const char alphabet[] = "0123456789abcdefABCDEF:.:.0001f";
  GRand *r = g_rand_new_with_seed (77);
  int i, accepted = 0;

  for (i = 0; i < 100000; i++)
    {
      char text[48];
      int len = g_rand_int_range (r, 1, 24), j;
      uint8_t libc_bytes[16];
      int fam;
      LnAddr a;
      bool ok;

      for (j = 0; j < len; j++)
        text[j] = alphabet[g_rand_int_range (r, 0, (gint32) sizeof alphabet - 1)];
      text[len] = '\0';
      fam = libc_parse (text, libc_bytes);
      ok = parse_exact (text, (size_t) len, &a);
      cr_assert_eq (ok, fam != LN_AF_NONE, "\"%s\": ipaddr_parse %d, inet_pton family %d",
                    text, ok, fam);
      if (ok)
        {
          accepted++;
          cr_assert_eq (a.family, fam, "\"%s\"", text);
          cr_assert_arr_eq (a.bytes, libc_bytes, fam == LN_AF_INET ? 4 : 16, "\"%s\"", text);
        }
    }
  cr_assert_gt (accepted, 100);
  g_rand_free (r);
}

/* ------------------------------------------------------- host tokens */

typedef struct {
  const char *token;
  bool ok;
  const char *before, *text, *after;
  int family;
} HostCase;

static const HostCase host_cases[] = {
  { "192.0.2.7", true, "", "192.0.2.7", "", LN_AF_INET },
  { "192.0.2.7:5678", true, "", "192.0.2.7", ":5678", LN_AF_INET },
  { "2001:db8::1", true, "", "2001:db8::1", "", LN_AF_INET6 },
  { "::ffff:192.0.2.7", true, "", "::ffff:192.0.2.7", "", LN_AF_INET6 },
  { "[2001:db8::1]:443", true, "[", "2001:db8::1", "]:443", LN_AF_INET6 },
  { "[2001:db8::1]", true, "[", "2001:db8::1", "]", LN_AF_INET6 },
  { "[::1]:8080", true, "[", "::1", "]:8080", LN_AF_INET6 },
  { "fe80::1%eth0", true, "", "fe80::1", "%eth0", LN_AF_INET6 },
  { "[fe80::1%eth0]:80", true, "[", "fe80::1", "%eth0]:80", LN_AF_INET6 },
  { "[fe80::1%eth0]", true, "[", "fe80::1", "%eth0]", LN_AF_INET6 },
  { "localhost", false, NULL, NULL, NULL, 0 },
  { "www.example.com", false, NULL, NULL, NULL, 0 },
  { "-", false, NULL, NULL, NULL, 0 },
  { "unix:", false, NULL, NULL, NULL, 0 },
  { "", false, NULL, NULL, NULL, 0 },
  { "1.2.3.4:", false, NULL, NULL, NULL, 0 },
  { "1.2.3.4:80x", false, NULL, NULL, NULL, 0 },
  { "[::1]x", false, NULL, NULL, NULL, 0 },
  { "[::1]:", false, NULL, NULL, NULL, 0 },
  { "[::1]:8o", false, NULL, NULL, NULL, 0 },
  { "[::1", false, NULL, NULL, NULL, 0 },
  { "[1.2.3.4]", false, NULL, NULL, NULL, 0 },
  { "[1.2.3.4]:80", false, NULL, NULL, NULL, 0 },
  { "[]", false, NULL, NULL, NULL, 0 },
  { "fe80::1%", false, NULL, NULL, NULL, 0 },
  { "example.com:80", false, NULL, NULL, NULL, 0 },
  { "1.2.3:80", false, NULL, NULL, NULL, 0 },
  { "256.1.1.1", false, NULL, NULL, NULL, 0 },
};

Test (ipaddr, parse_host_tokens)
{
  size_t i;

  for (i = 0; i < N_ELEMS (host_cases); i++)
    {
      const HostCase *c = &host_cases[i];
      size_t len = strlen (c->token);
      char *copy = g_malloc (len ? len : 1);   /* exact size, no NUL */
      LnHostToken tok;
      bool ok;

      memcpy (copy, c->token, len);
      memset (&tok, 0x55, sizeof tok);
      ok = ipaddr_parse_host (span_make (copy, len), &tok);
      cr_assert_eq (ok, c->ok, "ipaddr_parse_host(\"%s\") returned %d", c->token, ok);
      if (ok)
        {
          LnAddr expected = addr_of (c->text);

          assert_span_str (tok.before, c->before);
          assert_span_str (tok.text, c->text);
          assert_span_str (tok.after, c->after);
          /* the three spans tile the token */
          cr_assert_eq (tok.before.p, copy, "\"%s\": before does not start the token", c->token);
          cr_assert_eq (tok.text.p, tok.before.p + tok.before.len, "\"%s\"", c->token);
          cr_assert_eq (tok.after.p, tok.text.p + tok.text.len, "\"%s\"", c->token);
          cr_assert_eq (tok.after.p + tok.after.len, copy + len, "\"%s\"", c->token);
          cr_assert_eq (tok.addr.family, c->family, "\"%s\"", c->token);
          cr_assert_arr_eq (tok.addr.bytes, expected.bytes, 16, "\"%s\"", c->token);
        }
      g_free (copy);
    }
}

/* ipaddr_parse_host_in() reads up to 16 bytes of the line after a dotted
 * quad at once: it must agree with ipaddr_parse_host() on every token,
 * whatever follows it in the line.  Tokens of digits and dots (and a few
 * other bytes) of every length, near-quads with one byte changed. */
static void
assert_host_in_agrees (const char *line, size_t token_len, size_t line_len)
{
  LnHostToken a, b;
  bool ok_a, ok_b;

  memset (&a, 0x55, sizeof a);
  memset (&b, 0xaa, sizeof b);
  ok_a = ipaddr_parse_host (span_make (line, token_len), &a);
  ok_b = ipaddr_parse_host_in (span_make (line, token_len), line + line_len, &b);
  cr_assert_eq (ok_a, ok_b, "\"%.*s\": parse_host %d, parse_host_in %d",
                (int) token_len, line, ok_a, ok_b);
  if (!ok_a)
    return;
  cr_assert_eq (a.addr.family, b.addr.family, "\"%.*s\"", (int) token_len, line);
  cr_assert_arr_eq (a.addr.bytes, b.addr.bytes, 16, "\"%.*s\"", (int) token_len, line);
  cr_assert (a.before.p == b.before.p && a.before.len == b.before.len
             && a.text.p == b.text.p && a.text.len == b.text.len
             && a.after.p == b.after.p && a.after.len == b.after.len,
             "\"%.*s\": spans differ", (int) token_len, line);
}

/* ipaddr_parse_bare_in() takes exactly the tokens that ipaddr_parse_host()
 * takes with nothing around the address, with the same bytes. */
static void
assert_bare_agrees (const char *line, size_t token_len, size_t line_len)
{
  LnHostToken a;
  LnAddr b;
  bool ok_a, ok_b;

  memset (&b, 0xaa, sizeof b);
  ok_a = ipaddr_parse_host (span_make (line, token_len), &a)
         && a.before.len == 0 && a.after.len == 0;
  ok_b = ipaddr_parse_bare_in (span_make (line, token_len), line + line_len, &b);
  cr_assert_eq (ok_a, ok_b, "\"%.*s\": parse_host (bare) %d, parse_bare_in %d",
                (int) token_len, line, ok_a, ok_b);
  if (!ok_a)
    return;
  cr_assert_eq (a.addr.family, b.family, "\"%.*s\"", (int) token_len, line);
  cr_assert_arr_eq (a.addr.bytes, b.bytes, 16, "\"%.*s\"", (int) token_len, line);
}

static void
assert_host_parsers_agree (const char *line, size_t token_len, size_t line_len)
{
  assert_host_in_agrees (line, token_len, line_len);
  assert_bare_agrees (line, token_len, line_len);
}

Test (ipaddr, parse_host_in_agrees_with_parse_host)
{
  static const char alphabet[] = "0123456789....:%[]a::fF,";
  static const char *const quads[] = {
    "0.0.0.0", "255.255.255.255", "192.0.2.7", "10.1.22.255", "1.2.3.4",
    "100.200.250.199", "256.1.1.1", "1.2.3.04", "01.2.3.4", "1.2.3", "1.2.3.4.5",
    "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4:80", "1.2.3.1000", "999.999.999.999",
    "1.2.3.4 ", "12.34.56.78", "0.1.10.100", "2001:db8::1", "::1", "::",
    "::ffff:1.2.3.4", "[2001:db8::1]", "[::1]:80", "fe80::1%eth0", "1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:8:9", "2001:db8::1::", "1.2.3.4:", "a::b.c",
  };
  GRand *r = g_rand_new_with_seed (20261126);
  char line[64];
  size_t i, round;

  for (i = 0; i < N_ELEMS (quads); i++)
    {
      size_t len = strlen (quads[i]);

      memset (line, ' ', sizeof line);
      memcpy (line, quads[i], len);
      assert_host_parsers_agree (line, len, sizeof line);
      /* the line ends right after the token: the plain parser's turn */
      assert_host_parsers_agree (line, len, len);
    }
  for (round = 0; round < RANDOM_ROUNDS; round++)
    {
      size_t len, j;

      for (j = 0; j < sizeof line; j++)
        line[j] = alphabet[g_rand_int_range (r, 0, (gint32) sizeof alphabet - 1)];
      if (round % 2)
        {
          /* a valid quad, then maybe one byte changed */
          char quad[16];
          int n = snprintf (quad, sizeof quad, "%u.%u.%u.%u",
                            (unsigned) g_rand_int_range (r, 0, 300),
                            (unsigned) g_rand_int_range (r, 0, 256),
                            (unsigned) g_rand_int_range (r, 0, 256),
                            (unsigned) g_rand_int_range (r, 0, 256));

          memcpy (line, quad, (size_t) n);
          if (g_rand_boolean (r))
            line[g_rand_int_range (r, 0, n)] = alphabet[g_rand_int_range (r, 0, (gint32) sizeof alphabet - 1)];
          len = (size_t) n - (size_t) g_rand_int_range (r, 0, 2);
        }
      else
        len = (size_t) g_rand_int_range (r, 1, 18);
      assert_host_parsers_agree (line, len, sizeof line);
    }
  g_rand_free (r);
}

/* -------------------------------------------------------- truncation */

typedef struct {
  const char *in;
  unsigned v4_bits, v6_bits;
  const char *out;
} TruncCase;

static const TruncCase trunc_cases[] = {
  /* IPv6 forms that carry an IPv4 client: its bits get the IPv4 prefix
   * (2002:c633:6407:: is 6to4 for 198.51.100.7) */
  { "2002:c633:6407::1", 24, 48, "2002:c633:6400::" },
  { "2002:c633:6407:1234::1", 16, 64, "2002:c633::" },
  { "2002:c633:6407::1", 32, 48, "2002:c633:6407::" },
  { "2002:c633:6407::1", 24, 16, "2002::" },
  { "2001:0:4136:e378:8000:63bf:3fff:fdd2", 24, 128, "2001:0:4136:e378:8000:63bf:3fff:fd00" },
  { "64:ff9b::c633:6407", 24, 128, "64:ff9b::c633:6400" },
  { "64:ff9b::c633:6407", 24, 48, "64:ff9b::" },
  { "::c633:6407", 16, 128, "::c633:0" },
  { "2003:c633:6407::1", 24, 48, "2003:c633:6407::" },   /* not 6to4 */
  { "192.0.2.77", 24, 48, "192.0.2.0" },
  { "192.0.2.77", 16, 48, "192.0.0.0" },
  { "192.0.2.77", 8, 48, "192.0.0.0" },
  { "192.0.2.77", 0, 48, "0.0.0.0" },
  { "192.0.2.77", 32, 48, "192.0.2.77" },
  { "192.0.2.200", 25, 48, "192.0.2.128" },
  { "192.0.2.255", 31, 48, "192.0.2.254" },
  { "255.255.255.255", 1, 48, "128.0.0.0" },
  { "255.255.255.255", 23, 48, "255.255.254.0" },
  { "2001:db8:1234:5678:9abc:def0:1234:5679", 24, 48, "2001:db8:1234::" },
  { "2001:db8:1234:5678:9abc:def0:1234:5679", 24, 64, "2001:db8:1234:5678::" },
  { "2001:db8:1234:5678:9abc:def0:1234:5679", 24, 0, "::" },
  { "2001:db8:1234:5678:9abc:def0:1234:5679", 24, 128,
    "2001:db8:1234:5678:9abc:def0:1234:5679" },
  { "2001:db8:1234:5678:9abc:def0:1234:5679", 24, 127,
    "2001:db8:1234:5678:9abc:def0:1234:5678" },
  { "2001:db8:1234:5678:9abc:def0:1234:5679", 24, 56, "2001:db8:1234:5600::" },
  { "2001:db8:1234:5678:9abc:def0:1234:5679", 24, 52, "2001:db8:1234:5000::" },
  { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 24, 1, "8000::" },
  { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 24, 127,
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe" },
  { "7fff::1", 24, 1, "::" },
  { "::1", 24, 48, "::" },
  { "::1", 24, 128, "::1" },
  /* IPv4-mapped: the IPv4 rule, whatever the IPv6 rule says */
  { "::ffff:192.0.2.77", 24, 48, "::ffff:192.0.2.0" },
  { "::ffff:192.0.2.77", 16, 0, "::ffff:192.0.0.0" },
  { "::ffff:192.0.2.77", 0, 128, "::ffff:0.0.0.0" },
  { "::ffff:192.0.2.77", 32, 0, "::ffff:192.0.2.77" },
  /* not mapped (::ffff:0:0:0/96 is something else): the IPv6 rule */
  { "::ffff:0:192.0.2.77", 24, 48, "::" },
};

Test (ipaddr, truncate)
{
  size_t i;

  for (i = 0; i < N_ELEMS (trunc_cases); i++)
    {
      const TruncCase *c = &trunc_cases[i];
      LnAddr a = addr_of (c->in);
      LnAddr expected = addr_of (c->out);
      char *text;

      ipaddr_truncate (&a, c->v4_bits, c->v6_bits);
      text = lognym_format (&a);
      cr_assert_str_eq (text, c->out, "%s with /%u /%u", c->in, c->v4_bits, c->v6_bits);
      cr_assert_eq (a.family, expected.family);
      cr_assert_arr_eq (a.bytes, expected.bytes, 16, "%s with /%u /%u", c->in,
                        c->v4_bits, c->v6_bits);
      g_free (text);
    }
}

Test (ipaddr, truncate_none_is_noop)
{
  LnAddr a;

  memset (&a, 0x5a, sizeof a);
  a.family = LN_AF_NONE;
  ipaddr_truncate (&a, 0, 0);
  cr_assert_eq (a.family, LN_AF_NONE);
  cr_assert_eq (a.bytes[0], 0x5a);
  cr_assert_eq (a.bytes[15], 0x5a);
}

Test (ipaddr, format_none_writes_nothing)
{
  LnAddr a;
  char out[LN_ADDR_TEXT_MAX];

  memset (&a, 0, sizeof a);
  a.family = LN_AF_NONE;
  cr_assert_eq (ipaddr_format (&a, out), 0);
}

/* ----------------------------------------- v4-mapped and 16-byte form */

Test (ipaddr, is_v4_mapped)
{
  LnAddr a;

  cr_assert (ipaddr_is_v4_mapped ((a = addr_of ("::ffff:1.2.3.4"), &a)));
  cr_assert (ipaddr_is_v4_mapped ((a = addr_of ("::ffff:0.0.0.0"), &a)));
  cr_assert (ipaddr_is_v4_mapped ((a = addr_of ("0:0:0:0:0:ffff:ffff:ffff"), &a)));
  cr_assert (!ipaddr_is_v4_mapped ((a = addr_of ("::1.2.3.4"), &a)));
  cr_assert (!ipaddr_is_v4_mapped ((a = addr_of ("1.2.3.4"), &a)));
  cr_assert (!ipaddr_is_v4_mapped ((a = addr_of ("::ffff:0:1.2.3.4"), &a)));
  cr_assert (!ipaddr_is_v4_mapped ((a = addr_of ("1::ffff:1.2.3.4"), &a)));
  cr_assert (!ipaddr_is_v4_mapped ((a = addr_of ("ffff::"), &a)));
  cr_assert (!ipaddr_is_v4_mapped ((a = addr_of ("::"), &a)));
  /* a v4 LnAddr whose bytes happen to look mapped is still not v6 */
  memset (&a, 0, sizeof a);
  a.family = LN_AF_INET;
  a.bytes[10] = a.bytes[11] = 0xff;
  cr_assert (!ipaddr_is_v4_mapped (&a));
}

Test (ipaddr, to_v6_bytes)
{
  LnAddr v4 = addr_of ("192.0.2.7");
  LnAddr mapped = addr_of ("::ffff:192.0.2.7");
  LnAddr v6 = addr_of ("2001:db8::7");
  uint8_t out[16], out2[16];
  static const uint8_t expected_v4[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
                                           192, 0, 2, 7 };

  memset (out, 0xee, sizeof out);
  ipaddr_to_v6_bytes (&v4, out);
  cr_assert_arr_eq (out, expected_v4, 16);
  ipaddr_to_v6_bytes (&mapped, out2);
  cr_assert_arr_eq (out2, out, 16, "192.0.2.7 and ::ffff:192.0.2.7 must agree");
  ipaddr_to_v6_bytes (&v6, out);
  cr_assert_arr_eq (out, v6.bytes, 16);
  cr_assert_eq (out[15], 7);
  cr_assert_eq (out[0], 0x20);
}

/* ------------------------------------------- reference implementation */

/* The parser, truncation and formatter as they were before the fast
 * paths (lognym 9915b74, simple loops; checked against libc by the tests
 * above when they were written).  The fast paths must agree with them
 * byte for byte: every verdict, every address, every text. */

static const int8_t ref_hex_value[256] = {
  ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
  ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
  ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
  ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};
/* ref_hex_value[c] - 1 is the digit value; 0 marks "not a hex digit" so the
 * table can stay zero-initialised. */


static bool
ref_parse_v4 (const char *p, const char *end, uint8_t out[4])
{
  int part = 0;

  while (part < 4)
    {
      unsigned value = 0;
      int digits = 0;

      if (p == end || (unsigned) (*p - '0') > 9)
        return false;
      if (*p == '0' && p + 1 < end && (unsigned) (p[1] - '0') <= 9)
        return false;                   /* leading zero: octal ambiguity */
      while (p < end && (unsigned) (*p - '0') <= 9)
        {
          value = value * 10 + (unsigned) (*p - '0');
          if (++digits > 3 || value > 255)
            return false;
          p++;
        }
      out[part++] = (uint8_t) value;
      if (part < 4)
        {
          if (p == end || *p != '.')
            return false;
          p++;
        }
    }
  return p == end;
}


static bool
ref_parse_v6 (const char *p, const char *end, uint8_t out[16])
{
  uint8_t tmp[16];
  int pos = 0;          /* next byte of tmp to fill */
  int gap = -1;         /* byte position of "::" */
  const char *group_start;

  if (end - p < 2)
    return false;
  if (p[0] == ':')
    {
      if (p[1] != ':')
        return false;
      p += 2;
      gap = 0;
      if (p == end)
        goto done;
    }
  for (;;)
    {
      unsigned value = 0;
      int digits = 0;

      group_start = p;
      while (p < end && ref_hex_value[(unsigned char) *p])
        {
          if (++digits > 4)
            return false;
          value = (value << 4) | (unsigned) (ref_hex_value[(unsigned char) *p] - 1);
          p++;
        }
      if (p < end && *p == '.')
        {
          /* embedded IPv4 in the last 32 bits */
          if (pos > 12 || digits == 0)
            return false;
          if (!ref_parse_v4 (group_start, end, tmp + pos))
            return false;
          pos += 4;
          goto done;
        }
      if (digits == 0)
        return false;
      if (pos > 14)
        return false;
      tmp[pos++] = (uint8_t) (value >> 8);
      tmp[pos++] = (uint8_t) value;
      if (p == end)
        goto done;
      if (*p != ':')
        return false;
      p++;
      if (p < end && *p == ':')
        {
          if (gap >= 0)
            return false;
          gap = pos;
          p++;
          if (p == end)
            goto done;
        }
      else if (p == end)
        return false;                   /* trailing single colon */
    }

done:
  if (gap >= 0)
    {
      int tail = pos - gap;

      if (pos == 16)
        return false;                   /* "::" must stand for >= 1 group */
      memset (out, 0, 16);
      memcpy (out, tmp, (size_t) gap);
      memcpy (out + 16 - tail, tmp + gap, (size_t) tail);
    }
  else if (pos != 16)
    return false;
  else
    memcpy (out, tmp, 16);
  /* the only copy of the address should be the caller's */
  
  return true;
}


static bool
ref_parse (const char *p, size_t len, LnAddr *out)
{
  const char *end = p + len;
  size_t i;

  out->family = LN_AF_NONE;
  if (len == 0 || len > LN_ADDR_TEXT_MAX)
    return false;
  /* One pass decides the family: any ':' means IPv6. */
  for (i = 0; i < len; i++)
    if (p[i] == ':')
      {
        if (!ref_parse_v6 (p, end, out->bytes))
          return false;
        out->family = LN_AF_INET6;
        return true;
      }
  if (!ref_parse_v4 (p, end, out->bytes))
    return false;
  memset (out->bytes + 4, 0, 12);
  out->family = LN_AF_INET;
  return true;
}


static void
ref_keep_bits (uint8_t *bytes, unsigned nbytes, unsigned bits)
{
  unsigned full = bits / 8;
  unsigned rest = bits % 8;

  if (full >= nbytes)
    return;
  if (rest)
    {
      bytes[full] &= (uint8_t) (0xff << (8 - rest));
      full++;
    }
  memset (bytes + full, 0, nbytes - full);
}

/* IPv6 prefixes that carry a client's IPv4 address in their bits: there
 * the IPv4 rule applies to those bits too, so that a /48 does not keep a
 * whole IPv4 address.  6to4 (2002::/16, RFC 3056) has it in bits 16-47;
 * Teredo (2001::/32, RFC 4380, inverted), NAT64 (64:ff9b::/96, RFC 6052)
 * and the deprecated IPv4-compatible form (::/96, but :: and ::1) in the
 * last 32 bits. */
static unsigned
ref_embedded_v4_limit (const LnAddr *addr, unsigned v4_bits, unsigned v6_bits)
{
  static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
  static const uint8_t zero[12] = { 0 };
  const uint8_t *b = addr->bytes;

  if (b[0] == 0x20 && b[1] == 0x02)
    return v6_bits < 16 + v4_bits ? v6_bits : 16 + v4_bits;
  if ((b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
      || memcmp (b, nat64, 12) == 0
      || (memcmp (b, zero, 12) == 0 && (b[12] | b[13] | b[14] | (b[15] & 0xfe)) != 0))
    return v6_bits < 96 + v4_bits ? v6_bits : 96 + v4_bits;
  return v6_bits;
}


static void
ref_truncate (LnAddr *addr, unsigned v4_bits, unsigned v6_bits)
{
  if (addr->family == LN_AF_INET)
    {
      if (v4_bits == 24)
        addr->bytes[3] = 0;     /* the default, without the general case */
      else
        ref_keep_bits (addr->bytes, 4, v4_bits);
    }
  else if (ipaddr_is_v4_mapped (addr))
    ref_keep_bits (addr->bytes + 12, 4, v4_bits);
  else if (addr->family == LN_AF_INET6)
    ref_keep_bits (addr->bytes, 16, ref_embedded_v4_limit (addr, v4_bits, v6_bits));
}


static size_t
ref_format_v4 (const uint8_t *b, char *out)
{
  char text[16];
  int n = snprintf (text, sizeof text, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);

  memcpy (out, text, (size_t) n);
  return (size_t) n;
}

static size_t
ref_format (const LnAddr *addr, char *out)
{
  static const char digits[] = "0123456789abcdef";
  unsigned words[8];
  int best_base = -1, best_len = 0, cur_base = -1, cur_len = 0;
  int ngroups = 8;
  char *o = out;
  int i;

  if (addr->family == LN_AF_INET)
    return ref_format_v4 (addr->bytes, out);
  if (addr->family != LN_AF_INET6)
    return 0;

  if (ipaddr_is_v4_mapped (addr))
    ngroups = 6;
  for (i = 0; i < 8; i++)
    words[i] = (unsigned) addr->bytes[2 * i] << 8 | addr->bytes[2 * i + 1];
  /* RFC 5952 4.2: compress the longest run of two or more zero groups,
   * the first one on a tie. */
  for (i = 0; i < ngroups; i++)
    {
      if (words[i] == 0)
        {
          if (cur_base < 0)
            cur_base = i, cur_len = 0;
          cur_len++;
          if (cur_len > best_len)
            best_base = cur_base, best_len = cur_len;
        }
      else
        cur_base = -1;
    }
  if (best_len < 2)
    best_base = -1;

  for (i = 0; i < ngroups; i++)
    {
      unsigned w = words[i];

      if (i == best_base)
        {
          *o++ = ':';
          if (i == 0)
            *o++ = ':';
          i += best_len - 1;
          continue;
        }
      if (w >= 0x1000)
        *o++ = digits[w >> 12];
      if (w >= 0x100)
        *o++ = digits[(w >> 8) & 0xf];
      if (w >= 0x10)
        *o++ = digits[(w >> 4) & 0xf];
      *o++ = digits[w & 0xf];
      if (i < ngroups - 1)
        *o++ = ':';
    }
  if (ngroups == 6)
    {
      if (best_base < 0 || best_base + best_len < 6)
        *o++ = ':';
      o += ref_format_v4 (addr->bytes + 12, o);
    }
  return (size_t) (o - out);
}


/* The text of one octet: its value in 1 to 3 digits, with leading zeros
 * (which make the address invalid) when @width is larger than needed. */
static int
octet_text (char *out, unsigned value, int width)
{
  return snprintf (out, 4, "%0*u", width, value);
}

/* Every octet form of 1 to 3 digits: "0" to "9", "00" to "99" and "000"
 * to "999" (leading zeros and values past 255 included). */
static int
octet_form (char *out, unsigned i)
{
  if (i < 10)
    return octet_text (out, i, 1);
  if (i < 110)
    return octet_text (out, i - 10, 2);
  return octet_text (out, i - 110, 3);
}

#define OCTET_FORMS 1110

/* ipaddr_truncate_v4_text_ssse3() on the token at @line, the line running
 * @tail bytes past it: for a dotted quad with 16 bytes to read, the text
 * of the truncated reference address @ref for each prefix of whole
 * octets, and past that text nothing of the dropped octets; 0 for any
 * other token and for other prefixes. */
static void
assert_text_truncation (const char *line, size_t len, size_t tail, const LnAddr *ref,
                        bool ok_ref)
{
  static const unsigned prefixes[] = { 0, 8, 16, 24, 32, 20, 31 };
  bool quad = ok_ref && ref->family == LN_AF_INET;
  size_t i, k;

  if (!ipaddr_have_ssse3 ())
    return;
  for (i = 0; i < N_ELEMS (prefixes); i++)
    {
      unsigned bits = prefixes[i];
      char out[LN_ADDR_TEXT_MAX + 8], want[LN_ADDR_TEXT_MAX];
      LnAddr cut = *ref;
      size_t n, want_len;

      memset (out, 'Z', sizeof out);
      n = ipaddr_truncate_v4_text_ssse3 (span_make (line, len), line + len + tail, bits, out);
      if (!quad || bits % 8 != 0 || len + tail < 16)
        {
          cr_assert_eq (n, 0, "\"%.*s\" + %zu, /%u: %zu bytes written", (int) len, line,
                        tail, bits, n);
          continue;
        }
      ipaddr_truncate (&cut, bits, 128);
      want_len = ipaddr_format (&cut, want);
      cr_assert_eq (n, want_len, "\"%.*s\" + %zu, /%u: %zu bytes, want \"%.*s\"",
                    (int) len, line, tail, bits, n, (int) want_len, want);
      cr_assert (memcmp (out, want, n) == 0, "\"%.*s\" /%u: \"%.*s\", want \"%.*s\"",
                 (int) len, line, bits, (int) n, out, (int) want_len, want);
      for (k = n; k < sizeof out; k++)
        cr_assert (out[k] == '.' || out[k] == '0' || out[k] == '\0' || out[k] == 'Z',
                   "\"%.*s\" /%u: byte %zu past the text is '%c'", (int) len, line,
                   bits, k, out[k]);
      cr_assert_eq (out[LN_ADDR_TEXT_MAX], 'Z', "wrote past LN_ADDR_TEXT_MAX");
    }
}

/* @text (@len bytes) through every parser entry against the reference:
 * ipaddr_parse on an exact copy; ipaddr_parse_bare_in and
 * ipaddr_parse_host_in with the line running 32 bytes past the token
 * (the 16-byte loads) and ending right after it. */
static void
assert_parsers_match_reference (const char *text, size_t len, char after)
{
  LnAddr mine, ref;
  bool ok_mine, ok_ref;
  char line[96];
  size_t tail;

  cr_assert_leq (len, 60);
  memset (&ref, 0x33, sizeof ref);
  ok_ref = ref_parse (text, len, &ref);
  memset (&mine, 0x44, sizeof mine);
  ok_mine = parse_exact (text, len, &mine);
  cr_assert_eq (ok_mine, ok_ref, "\"%.*s\": ipaddr_parse %d, reference %d",
                (int) len, text, ok_mine, ok_ref);
  cr_assert_eq (mine.family, ref.family, "\"%.*s\"", (int) len, text);
  if (ok_ref)
    cr_assert_arr_eq (mine.bytes, ref.bytes, 16, "\"%.*s\"", (int) len, text);
  for (tail = 0; tail <= 32; tail += 32)
    {
      memset (line, after, sizeof line);
      memcpy (line, text, len);
      assert_host_parsers_agree (line, len, len + tail);
      memset (&mine, 0x55, sizeof mine);
      ok_mine = ipaddr_parse_bare_in (span_make (line, len), line + len + tail, &mine);
      cr_assert_eq (ok_mine, ok_ref && ref.family != LN_AF_NONE,
                    "\"%.*s\" + %zu: parse_bare_in %d, reference %d",
                    (int) len, text, tail, ok_mine, ok_ref);
      if (ok_ref)
        cr_assert_arr_eq (mine.bytes, ref.bytes, 16, "\"%.*s\"", (int) len, text);
      assert_text_truncation (line, len, tail, &ref, ok_ref);
    }
}

Test (ipaddr, v4_every_octet_form_against_reference)
{
  static const char afters[] = " .:0a\"";
  char text[32];
  unsigned pos, i, k;

  /* each position through all 1110 forms (leading zeros, 256-999), the
   * others valid octets of 1, 2 or 3 digits (k): every octet-length
   * pattern around each form */
  for (pos = 0; pos < 4; pos++)
    for (i = 0; i < OCTET_FORMS; i++)
      for (k = 0; k < 27; k++)
        {
          static const unsigned base[3] = { 0, 10, 100 };
          static const unsigned span[3] = { 10, 90, 156 };
          int n = 0, j, other = 0;

          for (j = 0; j < 4; j++)
            {
              if (j)
                text[n++] = '.';
              if ((unsigned) j == pos)
                n += octet_form (text + n, i);
              else
                {
                  unsigned len = k / (other == 0 ? 1 : other == 1 ? 3 : 9) % 3;

                  n += octet_text (text + n, base[len] + (i * 7 + (unsigned) j * 31) % span[len], 1);
                  other++;
                }
            }
          assert_parsers_match_reference (text, (size_t) n, afters[(i + k) % (sizeof afters - 1)]);
        }
}

Test (ipaddr, v4_all_length_patterns_against_reference)
{
  GRand *r = g_rand_new_with_seed (81);
  char text[32];
  unsigned pattern, round;

  /* every length pattern of valid octets, many values each; then with
   * one byte changed, cut, or extended */
  for (pattern = 0; pattern < 81; pattern++)
    for (round = 0; round < 200; round++)
      {
        unsigned lens[4] = { pattern / 27 + 1, pattern / 9 % 3 + 1, pattern / 3 % 3 + 1,
                             pattern % 3 + 1 };
        int n = 0, j;

        for (j = 0; j < 4; j++)
          {
            unsigned lo = lens[j] == 1 ? 0 : lens[j] == 2 ? 10 : 100;
            unsigned hi = lens[j] == 1 ? 10 : lens[j] == 2 ? 100 : 256;

            if (j)
              text[n++] = '.';
            n += octet_text (text + n, (unsigned) g_rand_int_range (r, (gint32) lo, (gint32) hi),
                             (int) lens[j]);
          }
        assert_parsers_match_reference (text, (size_t) n, ' ');
        switch (round % 4)
          {
          case 1:
            text[g_rand_int_range (r, 0, n)] = "0123456789.:a/ "[g_rand_int_range (r, 0, 15)];
            break;
          case 2:
            n -= g_rand_int_range (r, 1, n);
            break;
          case 3:
            text[n++] = "0123456789.:"[g_rand_int_range (r, 0, 12)];
            break;
          default:
            continue;
          }
        assert_parsers_match_reference (text, (size_t) n, ' ');
      }
  g_rand_free (r);
}

/* A random IPv6 text: eight groups of 1 to 4 digits (leading zeros,
 * mixed case), maybe a "::" for any run of them (also for none, or all),
 * maybe a dotted tail for the last two, maybe one byte broken. */
static size_t
random_v6_text (GRand *r, char *out)
{
  static const char hex[] = "0123456789abcdefABCDEF";
  static const char noise[] = "0123456789abcdefABCDEFgG:.%[] ";
  unsigned groups = 8, gap_at = 9, gap_len = 0, g;
  bool dotted = g_rand_int_range (r, 0, 5) == 0;
  size_t n = 0;

  if (dotted)
    groups = 6;
  if (g_rand_boolean (r))
    {
      gap_at = (unsigned) g_rand_int_range (r, 0, (gint32) groups + 1);
      gap_len = (unsigned) g_rand_int_range (r, 0, (gint32) (groups - gap_at) + 1);
    }
  for (g = 0; g < groups; g++)
    {
      unsigned digits, d;

      if (g == gap_at)
        {
          out[n++] = ':';
          out[n++] = ':';
          g += gap_len;
          if (g >= groups)
            break;
        }
      else if (g > 0)
        out[n++] = ':';
      digits = (unsigned) g_rand_int_range (r, 1, 5);
      if (g_rand_int_range (r, 0, 3) == 0)
        for (d = 0; d < digits; d++)
          out[n++] = '0';
      else
        for (d = 0; d < digits; d++)
          out[n++] = hex[g_rand_int_range (r, 0, (gint32) sizeof hex - 1)];
    }
  if (groups == 8 && gap_at == 8)
    {
      out[n++] = ':';
      out[n++] = ':';
    }
  if (dotted)
    {
      int j;

      if (n > 0 && out[n - 1] != ':')
        out[n++] = ':';
      for (j = 0; j < 4; j++)
        {
          if (j)
            out[n++] = '.';
          n += (size_t) octet_form (out + n, g_rand_int_range (r, 0, 4) == 0
                                    ? (unsigned) g_rand_int_range (r, 0, OCTET_FORMS)
                                    : (unsigned) g_rand_int_range (r, 0, 256));
        }
    }
  switch (g_rand_int_range (r, 0, 6))
    {
    case 0:
      out[g_rand_int_range (r, 0, (gint32) n)] = noise[g_rand_int_range (r, 0, (gint32) sizeof noise - 1)];
      break;
    case 1:
      n -= (size_t) g_rand_int_range (r, 0, (gint32) n);
      break;
    case 2:
      out[n++] = noise[g_rand_int_range (r, 0, (gint32) sizeof noise - 1)];
      break;
    default:
      break;
    }
  return n;
}

Test (ipaddr, v6_random_compression_against_reference)
{
  GRand *r = g_rand_new_with_seed (6);
  char text[64];
  int i, valid = 0, dotted = 0;

  for (i = 0; i < RANDOM_ROUNDS * 2; i++)
    {
      size_t n = random_v6_text (r, text);
      LnAddr a;

      assert_parsers_match_reference (text, n, g_rand_boolean (r) ? ' ' : ':');
      if (ref_parse (text, n, &a))
        {
          valid++;
          dotted += memchr (text, '.', n) != NULL;
        }
    }
  cr_assert_gt (valid, RANDOM_ROUNDS / 2, "valid addresses were exercised (%d)", valid);
  cr_assert_gt (dotted, 1000, "dotted tails were exercised (%d)", dotted);
  g_rand_free (r);
}

static void
assert_format_matches_reference (const LnAddr *a)
{
  char ref[LN_ADDR_TEXT_MAX + 8];
  char *mine = lognym_format (a);
  size_t n = ref_format (a, ref);

  cr_assert_eq (strlen (mine), n, "\"%s\" vs \"%.*s\"", mine, (int) n, ref);
  cr_assert (memcmp (mine, ref, n) == 0, "\"%s\" vs \"%.*s\"", mine, (int) n, ref);
  g_free (mine);
}

Test (ipaddr, format_against_reference)
{
  GRand *r = g_rand_new_with_seed (5952);
  unsigned i, mask;

  for (i = 0; i < RANDOM_ROUNDS; i++)
    {
      LnAddr a;

      random_v6 (r, &a);
      assert_format_matches_reference (&a);
      random_v4 (r, &a);
      assert_format_matches_reference (&a);
    }
  /* every pattern of zero groups, the others random or 0xffff */
  for (mask = 0; mask < 256; mask++)
    for (i = 0; i < 64; i++)
      {
        LnAddr a;
        unsigned g;

        a.family = LN_AF_INET6;
        for (g = 0; g < 8; g++)
          {
            unsigned w = mask >> g & 1 ? 0 : i % 2 ? 0xffff : 1 + (g_rand_int (r) & 0xfffe);

            a.bytes[2 * g] = (uint8_t) (w >> 8);
            a.bytes[2 * g + 1] = (uint8_t) w;
          }
        assert_format_matches_reference (&a);
      }
  /* every octet value in every position */
  for (i = 0; i < 256 * 4; i++)
    {
      LnAddr a;

      memset (&a, 0, sizeof a);
      a.family = LN_AF_INET;
      memset (a.bytes, (int) (i * 37 % 256), 4);
      a.bytes[i / 256] = (uint8_t) i;
      assert_format_matches_reference (&a);
    }
  g_rand_free (r);
}

Test (ipaddr, truncate_every_prefix_against_reference)
{
  static const char *const seeds[] = {
    "2002:c633:6407:1234:5678:9abc:def0:1234", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "64:ff9b::c633:6407", "::c633:6407", "::1", "::", "::ffff:198.51.100.7",
    "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "255.255.255.255", "198.51.100.7", "0.0.0.1",
  };
  GRand *r = g_rand_new_with_seed (128);
  size_t i;
  unsigned v4, v6, round;

  for (i = 0; i < N_ELEMS (seeds) + 40; i++)
    for (round = 0; round < 4; round++)
      {
        LnAddr base;

        if (i < N_ELEMS (seeds))
          base = addr_of (seeds[i]);
        else if (i % 2)
          random_v6 (r, &base);
        else
          random_v4 (r, &base);
        for (v4 = 0; v4 <= 32; v4++)
          for (v6 = 0; v6 <= 128; v6 += 1 + round)
            {
              LnAddr mine = base, ref = base;

              ipaddr_truncate (&mine, v4, v6);
              ref_truncate (&ref, v4, v6);
              cr_assert_eq (mine.family, ref.family);
              cr_assert_arr_eq (mine.bytes, ref.bytes, 16, "/%u /%u", v4, v6);
              assert_format_matches_reference (&mine);
            }
      }
  g_rand_free (r);
}
