/* test_pseudonym.c - keyed pseudonyms and their cache (src/pseudonym.c).
 *
 * Digests are checked against GLib's GHmac over the 16-byte address built
 * here (IPv4 as ::ffff:a.b.c.d), not against the library's own helpers. */
#include "config.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>

#include "aes128.h"
#include "helpers.h"
#include "ipaddr.h"
#include "pseudonym.h"
#include "siphash.h"
#include "sha256.h"

#define SEED 20261125

static const uint8_t test_key[32] = {
  0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
  0xff, 0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2,
  0xe1, 0xf0,
};

static LnHmacKey *
make_key (const uint8_t *secret, size_t len)
{
  LnHmacKey *k = g_new0 (LnHmacKey, 1);

  hmac_sha256_init (k, secret, len);
  return k;
}

/* The first 12 bytes of HMAC-SHA-256(@secret, @v6) by GLib. */
static void
glib_digest (const uint8_t *secret, size_t len, const uint8_t v6[16],
             uint8_t out[LN_PSEUDONYM_BYTES])
{
  GHmac *h = g_hmac_new (G_CHECKSUM_SHA256, secret, len);
  uint8_t full[32];
  gsize n = sizeof full;

  g_hmac_update (h, v6, 16);
  g_hmac_get_digest (h, full, &n);
  g_hmac_unref (h);
  cr_assert_eq (n, 32);
  memcpy (out, full, LN_PSEUDONYM_BYTES);
}

static LnAddr
v4 (uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
  LnAddr x;

  memset (&x, 0, sizeof x);
  x.family = LN_AF_INET;
  x.bytes[0] = a;
  x.bytes[1] = b;
  x.bytes[2] = c;
  x.bytes[3] = d;
  return x;
}

static LnAddr
parse (const char *text)
{
  LnAddr x;

  memset (&x, 0, sizeof x);
  cr_assert (ipaddr_parse (text, strlen (text), &x), "cannot parse %s", text);
  return x;
}

static void
v6_form (const LnAddr *a, uint8_t out[16])
{
  if (a->family == LN_AF_INET)
    {
      static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
      memcpy (out, prefix, 12);
      memcpy (out + 12, a->bytes, 4);
    }
  else
    memcpy (out, a->bytes, 16);
}

static char *
hex12 (const uint8_t *d)
{
  GString *s = g_string_new (NULL);
  int i;

  for (i = 0; i < LN_PSEUDONYM_BYTES; i++)
    g_string_append_printf (s, "%02x", d[i]);
  return g_string_free (s, FALSE);
}

/* A straightforward base32 of the first 80 bits, one bit at a time. */
static void
reference_token (const uint8_t digest[LN_PSEUDONYM_BYTES], char out[LN_TOKEN_LEN + 1])
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  int i, b;

  for (i = 0; i < LN_TOKEN_LEN; i++)
    {
      unsigned v = 0;
      for (b = 0; b < 5; b++)
        {
          int bit = i * 5 + b;
          v = v << 1 | ((digest[bit / 8] >> (7 - bit % 8)) & 1);
        }
      out[i] = alphabet[v];
    }
  out[LN_TOKEN_LEN] = '\0';
}

static void
format_token (const uint8_t digest[LN_PSEUDONYM_BYTES], char out[64])
{
  size_t n;

  char portable[64];

  memset (out, '#', 64);
  n = pseudonym_format_token (digest, out);
  cr_assert_eq (n, LN_TOKEN_LEN, "token of %zu characters", n);
  cr_assert_eq (out[n], '#', "the encoder wrote past its token");
  /* the encoder for CPUs without SSSE3 writes the same */
  memset (portable, '#', sizeof portable);
  cr_assert_eq (pseudonym_format_token_portable (digest, portable), LN_TOKEN_LEN);
  cr_assert_eq (portable[LN_TOKEN_LEN], '#', "the portable encoder wrote past its token");
  cr_assert (memcmp (out, portable, LN_TOKEN_LEN) == 0, "%.16s != %.16s (portable)", out,
             portable);
  out[n] = '\0';
}

/* ------------------------------------------------------------- encoding */

Test (token, known_digests)
{
  /* The 5-bit groups 0, 1, ..., 15 are the letters a..p:
   *   00000 00001 00010 00011 00100 00101 00110 00111
   *   01000 01001 01010 01011 01100 01101 01110 01111
   * regrouped by 8 bits: 00000000 01000100 00110010 00010100 11000111
   *   01000010 01010100 10110110 00110101 11001111
   * = 00 44 32 14 c7 42 54 b6 35 cf.  Bytes 10 and 11 are not encoded. */
  static const uint8_t a_to_p[LN_PSEUDONYM_BYTES] = {
    0x00, 0x44, 0x32, 0x14, 0xc7, 0x42, 0x54, 0xb6, 0x35, 0xcf, 0xff, 0xff,
  };
  /* The groups 16..31 are q..z, 2..7:
   *   10000 10001 10010 10011 10100 10101 10110 10111
   *   11000 11001 11010 11011 11100 11101 11110 11111
   * = 10000100 01100101 00111010 01010110 11010111 11000110 01110101
   *   10111110 01110111 11011111 = 84 65 3a 56 d7 c6 75 be 77 df. */
  static const uint8_t q_to_7[LN_PSEUDONYM_BYTES] = {
    0x84, 0x65, 0x3a, 0x56, 0xd7, 0xc6, 0x75, 0xbe, 0x77, 0xdf, 0x00, 0x00,
  };
  static const uint8_t zeros[LN_PSEUDONYM_BYTES];
  uint8_t ones[LN_PSEUDONYM_BYTES];
  char tok[64];

  format_token (a_to_p, tok);
  cr_assert_str_eq (tok, "abcdefghijklmnop");
  format_token (q_to_7, tok);
  cr_assert_str_eq (tok, "qrstuvwxyz234567");
  format_token (zeros, tok);
  cr_assert_str_eq (tok, "aaaaaaaaaaaaaaaa");
  memset (ones, 0xff, sizeof ones);
  format_token (ones, tok);
  cr_assert_str_eq (tok, "7777777777777777");
  /* only the first 80 bits count */
  ones[10] = ones[11] = 0;
  format_token (ones, tok);
  cr_assert_str_eq (tok, "7777777777777777");
  {
    uint8_t last_bit[LN_PSEUDONYM_BYTES] = { 0 };
    last_bit[9] = 0x01;
    format_token (last_bit, tok);
    cr_assert_str_eq (tok, "aaaaaaaaaaaaaaab");
  }
}

Test (token, random_digests_against_reference)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (SEED);
  int round;

  for (round = 0; round < 2000; round++)
    {
      uint8_t d[LN_PSEUDONYM_BYTES];
      char tok[64], want[LN_TOKEN_LEN + 1];
      int i;

      for (i = 0; i < LN_PSEUDONYM_BYTES; i++)
        d[i] = (uint8_t) g_rand_int_range (rand, 0, 256);
      format_token (d, tok);
      reference_token (d, want);
      cr_assert_str_eq (tok, want);
      for (i = 0; i < LN_TOKEN_LEN; i++)
        cr_assert (strchr ("abcdefghijklmnopqrstuvwxyz234567", tok[i]) != NULL);
    }
}

Test (token, ipv6_form)
{
  static const struct {
    uint8_t d[LN_PSEUDONYM_BYTES];
    const char *text;
  } cases[] = {
    { { 0x00, 0x44, 0x32, 0x14, 0xc7, 0x42, 0x54, 0xb6, 0x35, 0xcf, 0xff, 0xff },
      "2001:db8:44:3214:c742:54b6:35cf:ffff" },
    { { 0x4f, 0x2a, 0x91, 0xc3, 0x77, 0xe0, 0x1b, 0x5d, 0xc2, 0x9a, 0x03, 0xfe },
      "2001:db8:4f2a:91c3:77e0:1b5d:c29a:3fe" },
    { { 0 }, "2001:db8::" },
    /* two runs of two zero groups: the first is compressed (RFC 5952) */
    { { 0, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 0, 1 }, "2001:db8::1234:0:0:1" },
    /* a single zero group is not compressed */
    { { 0x12, 0x34, 0, 0, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34 },
      "2001:db8:1234:0:5678:9abc:def0:1234" },
  };
  size_t i;

  for (i = 0; i < N_ELEMS (cases); i++)
    {
      char out[64];
      size_t n;

      memset (out, '#', sizeof out);
      n = pseudonym_format_ipv6 (cases[i].d, out);
      cr_assert_eq (out[n], '#');
      out[n] = '\0';
      cr_assert_str_eq (out, cases[i].text);
    }
}

Test (token, ipv6_form_in_documentation_prefix)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (SEED + 1);
  int round;

  for (round = 0; round < 2000; round++)
    {
      uint8_t d[LN_PSEUDONYM_BYTES];
      char out[64];
      struct in6_addr parsed;
      size_t n;
      int i;

      for (i = 0; i < LN_PSEUDONYM_BYTES; i++)
        d[i] = (uint8_t) (g_rand_int_range (rand, 0, 4) == 0 ? 0
                                                               : g_rand_int_range (rand, 0, 256));
      n = pseudonym_format_ipv6 (d, out);
      cr_assert_lt (n, sizeof out);
      out[n] = '\0';
      cr_assert_eq (inet_pton (AF_INET6, out, &parsed), 1, "not an IPv6 address: %s", out);
      cr_assert (parsed.s6_addr[0] == 0x20 && parsed.s6_addr[1] == 0x01
                 && parsed.s6_addr[2] == 0x0d && parsed.s6_addr[3] == 0xb8,
                 "%s is not in 2001:db8::/32", out);
      cr_assert (memcmp (parsed.s6_addr + 4, d, 12) == 0, "%s does not carry the digest", out);
      {
        /* the canonical text form, as inet_ntop writes it */
        char canon[INET6_ADDRSTRLEN];
        cr_assert_not_null (inet_ntop (AF_INET6, &parsed, canon, sizeof canon));
        cr_assert_str_eq (out, canon);
      }
    }
}

/* -------------------------------------------------------------- digests */

Test (digest, equals_hmac_of_16_byte_address, .timeout = 10)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (SEED + 2);
  g_autoptr (GError) error = NULL;
  g_autoptr (LnPseudonymCache) cache = pseudonym_cache_new (1024, &error);
  g_autofree LnHmacKey *key = make_key (test_key, sizeof test_key);
  int round;

  cr_assert_not_null (cache, "%s", error ? error->message : "");
  for (round = 0; round < 3000; round++)
    {
      LnAddr a, before;
      uint8_t v6[16], got[LN_PSEUDONYM_BYTES], want[LN_PSEUDONYM_BYTES];
      int i;

      memset (&a, 0, sizeof a);
      if (round % 2)
        {
          a.family = LN_AF_INET;
          for (i = 0; i < 4; i++)
            a.bytes[i] = (uint8_t) g_rand_int_range (rand, 0, 256);
        }
      else
        {
          a.family = LN_AF_INET6;
          for (i = 0; i < 16; i++)
            a.bytes[i] = (uint8_t) g_rand_int_range (rand, 0, 256);
        }
      before = a;
      v6_form (&a, v6);
      glib_digest (test_key, sizeof test_key, v6, want);
      pseudonym_compute (cache, key, 0, &a, got);
      cr_assert (memcmp (got, want, sizeof got) == 0, "round %d: %s, expected %s", round,
                 hex12 (got), hex12 (want));
      cr_assert (memcmp (&a, &before, sizeof a) == 0, "pseudonym_compute modified @addr");
      /* and again, now from the cache */
      memset (got, 0, sizeof got);
      pseudonym_compute (cache, key, 0, &a, got);
      cr_assert (memcmp (got, want, sizeof got) == 0, "round %d (cached)", round);
    }
}

Test (digest, known_value, .timeout = 10)
{
  /* HMAC-SHA-256(key 00 11 22 .. f0, ::ffff:192.0.2.7): first 12 bytes,
   * computed with Python's hmac module */
  g_autoptr (LnPseudonymCache) cache = pseudonym_cache_new (64, NULL);
  g_autofree LnHmacKey *key = make_key (test_key, sizeof test_key);
  LnAddr a = v4 (192, 0, 2, 7);
  uint8_t got[LN_PSEUDONYM_BYTES];
  g_autofree char *hex = NULL;
  char tok[64];

  pseudonym_compute (cache, key, 0, &a, got);
  hex = hex12 (got);
  cr_assert_str_eq (hex, "c54523954a25a9468d95a9f8");
  format_token (got, tok);
  cr_assert_str_eq (tok, "yvcshfkkewuundmv");
}

Test (digest, ipv4_and_mapped_agree, .timeout = 10)
{
  g_autoptr (LnPseudonymCache) cache = pseudonym_cache_new (64, NULL);
  g_autoptr (LnPseudonymCache) fresh = pseudonym_cache_new (64, NULL);
  g_autofree LnHmacKey *key = make_key (test_key, sizeof test_key);
  static const char *const forms[] = { "192.0.2.7", "::ffff:192.0.2.7", "::FFFF:c000:0207",
                                       "0:0:0:0:0:ffff:192.0.2.7" };
  uint8_t first[LN_PSEUDONYM_BYTES], got[LN_PSEUDONYM_BYTES];
  size_t i;

  for (i = 0; i < N_ELEMS (forms); i++)
    {
      LnAddr a = parse (forms[i]);

      /* each form on a fresh cache, so no cache hit can hide a difference */
      pseudonym_compute (i == 0 ? cache : fresh, key, 0, &a, got);
      if (i == 0)
        memcpy (first, got, sizeof first);
      else
        cr_assert (memcmp (first, got, sizeof got) == 0, "%s and %s differ", forms[0],
                   forms[i]);
      pseudonym_cache_free (fresh);
      fresh = pseudonym_cache_new (64, NULL);
    }
  /* the IPv4-compatible and NAT64 forms are other addresses */
  {
    static const char *const others[] = { "::192.0.2.7", "64:ff9b::192.0.2.7",
                                          "::ffff:192.0.2.8", "192.0.2.70" };
    for (i = 0; i < N_ELEMS (others); i++)
      {
        LnAddr a = parse (others[i]);
        pseudonym_compute (cache, key, 0, &a, got);
        cr_assert (memcmp (first, got, sizeof got) != 0, "%s has the digest of 192.0.2.7",
                   others[i]);
      }
  }
}

/* ---------------------------------------------------------------- cache */

Test (cache, repeated_address_hits, .timeout = 10)
{
  g_autoptr (LnPseudonymCache) cache = pseudonym_cache_new (64, NULL);
  g_autofree LnHmacKey *key = make_key (test_key, sizeof test_key);
  LnAddr a = v4 (198, 51, 100, 23), b = parse ("2001:db8::23");
  uint8_t d1[LN_PSEUDONYM_BYTES], d2[LN_PSEUDONYM_BYTES];
  guint64 hits = 99, misses = 99;

  cr_assert_not_null (cache);
  pseudonym_cache_counts (cache, &hits, &misses);
  cr_assert_eq (hits, 0);
  cr_assert_eq (misses, 0);
  pseudonym_compute (cache, key, 7, &a, d1);
  pseudonym_cache_counts (cache, &hits, &misses);
  cr_assert_eq (hits, 0);
  cr_assert_eq (misses, 1);
  pseudonym_compute (cache, key, 7, &a, d2);
  pseudonym_cache_counts (cache, &hits, &misses);
  cr_assert_eq (hits, 1, "a repeated address was not answered from the cache");
  cr_assert_eq (misses, 1);
  cr_assert (memcmp (d1, d2, sizeof d1) == 0);
  pseudonym_compute (cache, key, 7, &b, d2);
  pseudonym_cache_counts (cache, &hits, &misses);
  cr_assert_eq (misses, 2);
  cr_assert (memcmp (d1, d2, sizeof d1) != 0);
  /* the same address in another period is another cache entry */
  pseudonym_compute (cache, key, 8, &a, d2);
  pseudonym_cache_counts (cache, &hits, &misses);
  cr_assert_eq (misses, 3, "another period was answered from the cache");
}

/* @n distinct addresses: IPv4 and IPv6 mixed, random. */
static void
random_addresses (GRand *rand, LnAddr *addrs, int n)
{
  int i, j;

  for (i = 0; i < n; i++)
    {
      memset (&addrs[i], 0, sizeof addrs[i]);
      addrs[i].family = i % 3 ? LN_AF_INET : LN_AF_INET6;
      for (j = 0; j < (i % 3 ? 4 : 16); j++)
        addrs[i].bytes[j] = (uint8_t) g_rand_int_range (rand, 0, 256);
      /* distinct for sure: the index in the last two bytes */
      addrs[i].bytes[i % 3 ? 2 : 14] = (uint8_t) (i >> 8);
      addrs[i].bytes[i % 3 ? 3 : 15] = (uint8_t) i;
    }
}

Test (cache, identical_after_clearing, .timeout = 10)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (SEED + 3);
  g_autoptr (LnPseudonymCache) cache = pseudonym_cache_new (64, NULL);
  g_autofree LnHmacKey *key = make_key (test_key, sizeof test_key);
  enum { N = 200 };
  LnAddr addrs[N];
  uint8_t first[N][LN_PSEUDONYM_BYTES];
  guint64 hits, misses;
  int i, pass;

  cr_assert_not_null (cache);
  random_addresses (rand, addrs, N);
  /* 200 distinct addresses through 64 slots, cleared at 5/8 load (40) */
  for (i = 0; i < N; i++)
    pseudonym_compute (cache, key, 1, &addrs[i], first[i]);
  pseudonym_cache_counts (cache, &hits, &misses);
  cr_assert_eq (misses, N);
  cr_assert_eq (hits, 0);
  for (pass = 0; pass < 3; pass++)
    for (i = 0; i < N; i++)
      {
        uint8_t again[LN_PSEUDONYM_BYTES], want[LN_PSEUDONYM_BYTES], v6[16];

        /* interleave a recent address so that both hits and misses occur */
        pseudonym_compute (cache, key, 1, &addrs[i], again);
        cr_assert (memcmp (again, first[i], sizeof again) == 0,
                   "address %d changed its digest on pass %d", i, pass);
        pseudonym_compute (cache, key, 1, &addrs[i], again);
        cr_assert (memcmp (again, first[i], sizeof again) == 0);
        v6_form (&addrs[i], v6);
        glib_digest (test_key, sizeof test_key, v6, want);
        cr_assert (memcmp (want, first[i], sizeof want) == 0);
      }
  pseudonym_cache_counts (cache, &hits, &misses);
  /* every address was evicted by the clearing before it came round again,
   * and each second lookup hit */
  cr_assert_eq (misses, N + 3 * N, "misses %" G_GUINT64_FORMAT, misses);
  cr_assert_eq (hits, 3 * N, "hits %" G_GUINT64_FORMAT, hits);
}

/* Looks the first @n of @addrs up in @cache once, checks the digests
 * against GLib's (a sample where @n is large: GLib's HMAC is slow), and
 * returns how many were not in the cache. */
static guint64
misses_of_pass (LnPseudonymCache *cache, const LnHmacKey *key, const LnAddr *addrs, int n)
{
  guint64 hits0, misses0, hits, misses;
  int i, wrong = -1;

  pseudonym_cache_counts (cache, &hits0, &misses0);
  for (i = 0; i < n; i++)
    {
      uint8_t got[LN_PSEUDONYM_BYTES], want[LN_PSEUDONYM_BYTES], v6[16];

      pseudonym_compute (cache, key, 1, &addrs[i], got);
      if ((n < 1000 || i % 97 == 0) && wrong < 0)
        {
          v6_form (&addrs[i], v6);
          glib_digest (test_key, sizeof test_key, v6, want);
          if (memcmp (got, want, sizeof got) != 0)
            wrong = i;
        }
    }
  cr_assert_eq (wrong, -1, "address %d has a wrong digest", wrong);
  pseudonym_cache_counts (cache, &hits, &misses);
  cr_assert_eq (hits - hits0 + misses - misses0, (guint64) n);
  return misses - misses0;
}

/* A table of any size, not only a power of two: 100 slots hold 60
 * addresses (100 / 8 * 5) with probe runs that wrap round the end, and
 * the 61st clears it. */
Test (cache, five_eighths_of_any_size_before_clearing, .timeout = 10)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (SEED + 4);
  g_autofree LnHmacKey *key = make_key (test_key, sizeof test_key);
  LnAddr addrs[61];
  int round;

  random_addresses (rand, addrs, 61);
  for (round = 0; round < 20; round++)
    {
      /* a new random slot key each round: other homes, other wraps */
      g_autoptr (LnPseudonymCache) cache = pseudonym_cache_new (100, NULL);

      guint64 misses[5];

      cr_assert_not_null (cache);
      misses[0] = misses_of_pass (cache, key, addrs, 60);
      misses[1] = misses_of_pass (cache, key, addrs, 60);
      misses[2] = misses_of_pass (cache, key, addrs + 60, 1);
      misses[3] = misses_of_pass (cache, key, addrs + 60, 1);
      misses[4] = misses_of_pass (cache, key, addrs, 60);
      cr_assert_eq (misses[0], 60);
      cr_assert_eq (misses[1], 0, "60 addresses in 100 slots were not all kept (round %d)",
                    round);
      cr_assert_eq (misses[2], 1);
      cr_assert_eq (misses[3], 0);
      cr_assert_eq (misses[4], 60, "the 61st address did not clear the table (round %d)",
                    round);
    }
}

/* What pipeline.c sizes its table for: 65,535 distinct clients of a
 * period in one 2 MiB huge page, kept without a clearing. */
Test (cache, default_table_keeps_65535_clients, .timeout = 10)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (SEED + 5);
  g_autoptr (LnPseudonymCache) cache
      = pseudonym_cache_new (LN_PSEUDONYM_DEFAULT_SLOTS, NULL);
  g_autofree LnHmacKey *key = make_key (test_key, sizeof test_key);
  g_autofree LnAddr *addrs = g_new (LnAddr, 65535);
  guint64 first, second;

  cr_assert_not_null (cache);
  random_addresses (rand, addrs, 65535);
  first = misses_of_pass (cache, key, addrs, 65535);
  second = misses_of_pass (cache, key, addrs, 65535);
  cr_assert_eq (first, 65535);
  cr_assert_eq (second, 0, "65,535 clients did not fit the default table");
}

/* (Each test that computes pseudonyms has a timeout: a cache that never
 * clears would probe forever once full.) */

/* The cache is keyed by (address, period): an entry of one period must not
 * answer for another period, whose key differs. */
Test (cache, periods_do_not_share_entries, .timeout = 10)
{
  g_autoptr (LnPseudonymCache) cache = pseudonym_cache_new (64, NULL);
  uint8_t secret2[32];
  g_autofree LnHmacKey *k1 = make_key (test_key, sizeof test_key);
  g_autofree LnHmacKey *k2 = NULL;
  LnAddr a = v4 (203, 0, 113, 9);
  uint8_t d1[LN_PSEUDONYM_BYTES], d2[LN_PSEUDONYM_BYTES], want[LN_PSEUDONYM_BYTES], v6[16];

  memcpy (secret2, test_key, sizeof secret2);
  secret2[0] ^= 1;
  k2 = make_key (secret2, sizeof secret2);
  pseudonym_compute (cache, k1, 100, &a, d1);
  pseudonym_compute (cache, k2, 101, &a, d2);
  cr_assert (memcmp (d1, d2, sizeof d1) != 0,
             "two periods with different keys gave the same digest (stale cache entry)");
  v6_form (&a, v6);
  glib_digest (secret2, sizeof secret2, v6, want);
  cr_assert (memcmp (d2, want, sizeof d2) == 0, "period 101 did not use its own key");
  /* and back to the first period: its own entry */
  pseudonym_compute (cache, k1, 100, &a, d2);
  cr_assert (memcmp (d1, d2, sizeof d1) == 0);
}

/* The digest is HMAC(period key, address): what separates periods is their
 * key, the period number only keys the cache. */
Test (cache, same_key_in_two_periods, .timeout = 10)
{
  g_autoptr (LnPseudonymCache) cache = pseudonym_cache_new (64, NULL);
  g_autofree LnHmacKey *k = make_key (test_key, sizeof test_key);
  LnAddr a = parse ("2001:db8:85a3::8a2e:370:7334");
  uint8_t d1[LN_PSEUDONYM_BYTES], d2[LN_PSEUDONYM_BYTES];

  pseudonym_compute (cache, k, 1, &a, d1);
  pseudonym_compute (cache, k, 2, &a, d2);
  cr_assert (memcmp (d1, d2, sizeof d1) == 0);
}

Test (cache, two_caches_agree, .timeout = 10)
{
  /* the cache key is random per cache; results must not depend on it */
  g_autoptr (LnPseudonymCache) c1 = pseudonym_cache_new (64, NULL);
  g_autoptr (LnPseudonymCache) c2 = pseudonym_cache_new (100000, NULL);
  g_autofree LnHmacKey *k = make_key (test_key, sizeof test_key);
  int i;

  for (i = 0; i < 500; i++)
    {
      LnAddr a = v4 (10, (uint8_t) (i >> 8), (uint8_t) i, 1);
      uint8_t d1[LN_PSEUDONYM_BYTES], d2[LN_PSEUDONYM_BYTES];

      pseudonym_compute (c1, k, 0, &a, d1);
      pseudonym_compute (c2, k, 0, &a, d2);
      cr_assert (memcmp (d1, d2, sizeof d1) == 0, "address %d", i);
    }
}

/* The cache's slot keys: SipHash-1-3, against published vectors (zero key;
 * the same values appear in OCaml's and RustCrypto's test suites, taken
 * from the reference implementation), and SipHash-2-4 against the first
 * vector of the paper. */
Test (pseudonym, siphash_vectors)
{
  static const uint8_t zero[16] = { 0 };
  uint8_t key[16];
  uint8_t in[64];
  uint64_t second = 0;
  size_t i;

  for (i = 0; i < 16; i++)
    key[i] = (uint8_t) i;
  for (i = 0; i < 64; i++)
    in[i] = (uint8_t) i;
  cr_assert_eq (siphash13 (zero, "", 0), 0xd1fba762150c532cULL);
  cr_assert_eq (siphash13 (zero, "siphash", 7), 0x8264ceeccb16bcbeULL);
  cr_assert_eq (siphash24 (key, in, 0), 0x726fdb47dd0e0e31ULL);
  cr_assert_eq (siphash24 (key, in, 63), 0x958a324ceb064572ULL);
  /* the 128-bit variant is another function of the input, and its halves
   * differ */
  cr_assert_neq (siphash13_128 (key, in, 24, &second), siphash13 (key, in, 24));
  cr_assert_neq (siphash13_128 (key, in, 24, &second), second);
}

/* SipHash-2-4 with 128-bit output (the fallback slot digest's per-period
 * key) against the first vectors_sip128 entries of the reference
 * implementation: key 00..0f, message 00..(len-1). */
Test (pseudonym, siphash128_vectors)
{
  static const uint8_t want[3][16] = {
    { 0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6, 0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93 },
    { 0xda, 0x87, 0xc1, 0xd8, 0x6b, 0x99, 0xaf, 0x44, 0x34, 0x76, 0x59, 0x11, 0x9b, 0x22, 0xfc, 0x45 },
    { 0x81, 0x77, 0x22, 0x8d, 0xa4, 0xa4, 0x5d, 0xc7, 0xfc, 0xa3, 0x8b, 0xde, 0xf6, 0x0a, 0xff, 0xe4 },
  };
  uint8_t key[16], in[2] = { 0, 1 };
  size_t len, i;

  for (i = 0; i < 16; i++)
    key[i] = (uint8_t) i;
  for (len = 0; len < 3; len++)
    {
      uint64_t second = 0, first = siphash24_128 (key, in, len, &second);
      uint8_t got[16];

      for (i = 0; i < 8; i++)
        {
          got[i] = (uint8_t) (first >> (8 * i));
          got[8 + i] = (uint8_t) (second >> (8 * i));
        }
      cr_assert (memcmp (got, want[len], 16) == 0, "SipHash-2-4-128 of %zu bytes", len);
    }
}

/* ------------------------------------------------------------------ AES */

static void
unhex (const char *hex, uint8_t *out, size_t n)
{
  size_t i;

  cr_assert_eq (strlen (hex), 2 * n);
  for (i = 0; i < n; i++)
    out[i] = (uint8_t) (g_ascii_xdigit_value (hex[2 * i]) << 4
                        | g_ascii_xdigit_value (hex[2 * i + 1]));
}

/* FIPS 197: the cipher example of appendix B with the key expansion of
 * appendix A.1, and the AES-128 example vector of appendix C.1. */
Test (aes, fips197_vectors)
{
  static const struct {
    const char *key, *plain, *cipher;
  } cases[] = {
    { "2b7e151628aed2a6abf7158809cf4f3c", "3243f6a8885a308d313198a2e0370734",
      "3925841d02dc09fbdc118597196a0b32" },
    { "000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
      "69c4e0d86a7b0430d8cdb78070b4c55a" },
  };
  uint8_t key[16], plain[16], cipher[16], got[16], want[16];
  uint8_t rk[16 * LN_AES128_ROUND_KEYS];
  size_t i;

  if (!aes128_available ())
    cr_skip_test ("no AES-NI on this CPU: the slot digest is SipHash here");
  for (i = 0; i < N_ELEMS (cases); i++)
    {
      unhex (cases[i].key, key, 16);
      unhex (cases[i].plain, plain, 16);
      unhex (cases[i].cipher, cipher, 16);
      aes128_expand (key, rk);
      cr_assert (memcmp (rk, key, 16) == 0, "round key 0 is the key");
      if (i == 0)
        {
          /* appendix A.1: w[4..7] and w[40..43] */
          unhex ("a0fafe1788542cb123a339392a6c7605", want, 16);
          cr_assert (memcmp (rk + 16, want, 16) == 0, "round key 1");
          unhex ("d014f9a8c9ee2589e13f0cc8b6630ca6", want, 16);
          cr_assert (memcmp (rk + 160, want, 16) == 0, "round key 10");
        }
      aes128_encrypt (rk, plain, got);
      cr_assert (memcmp (got, cipher, 16) == 0, "FIPS 197 case %zu", i);
      /* in place */
      aes128_encrypt (rk, plain, plain);
      cr_assert (memcmp (plain, cipher, 16) == 0, "FIPS 197 case %zu in place", i);
    }
}

/* --------------------------------------------- both slot digests, in full */

/* Many addresses, repeated, over several periods with their own keys, with
 * caches small enough to be cleared on the way: every answer must be the
 * HMAC, whichever slot digest the cache uses.  Run with AES-NI (where the
 * CPU has it) and with SipHash. */
static void
check_digest (gboolean allow_aes)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (SEED + 7);
  g_autoptr (GError) error = NULL;
  g_autoptr (LnPseudonymCache) cache = pseudonym_cache_new_full (256, allow_aes, &error);
  enum { N = 300, PERIODS = 3 };
  LnAddr addrs[N];
  LnHmacKey *keys[PERIODS];
  uint8_t secrets[PERIODS][32];
  guint64 hits, misses;
  int i, p, round;

  cr_assert_not_null (cache, "%s", error ? error->message : "");
  cr_assert_eq (pseudonym_cache_uses_aes (cache), allow_aes && aes128_available ());
  for (p = 0; p < PERIODS; p++)
    {
      memcpy (secrets[p], test_key, 32);
      secrets[p][5] ^= (uint8_t) (p + 1);
      keys[p] = make_key (secrets[p], 32);
    }
  for (i = 0; i < N; i++)
    {
      int j;

      memset (&addrs[i], 0, sizeof addrs[i]);
      addrs[i].family = i % 4 ? LN_AF_INET : LN_AF_INET6;
      for (j = 0; j < (i % 4 ? 4 : 16); j++)
        addrs[i].bytes[j] = (uint8_t) g_rand_int_range (rand, 0, 256);
    }
  /* neighbours in address space too: they differ in one bit */
  addrs[1] = v4 (192, 0, 2, 7);
  addrs[2] = v4 (192, 0, 2, 6);
  addrs[3] = parse ("::ffff:192.0.2.7");
  for (round = 0; round < 4000; round++)
    {
      /* skewed: the low indexes come back often */
      int r = g_rand_int_range (rand, 0, N);
      LnAddr a = addrs[round % 3 ? r % 20 : r];
      LnAddr before = a;
      uint8_t got[LN_PSEUDONYM_BYTES], want[LN_PSEUDONYM_BYTES], v6[16];

      p = g_rand_int_range (rand, 0, PERIODS);
      v6_form (&a, v6);
      glib_digest (secrets[p], 32, v6, want);
      if (round % 2)
        pseudonym_compute (cache, keys[p], 1000 + p, &a, got);
      else
        {
          LnPseudonymSlot slot;

          pseudonym_locate (cache, 1000 + p, &a, &slot);
          pseudonym_lookup (cache, keys[p], &slot, &a, got);
        }
      cr_assert (memcmp (got, want, sizeof got) == 0, "round %d, period %d: %s, expected %s",
                 round, p, hex12 (got), hex12 (want));
      cr_assert (memcmp (&a, &before, sizeof a) == 0, "@addr was modified");
    }
  pseudonym_cache_counts (cache, &hits, &misses);
  cr_assert_gt (hits, 1000, "hits %" G_GUINT64_FORMAT, hits);
  cr_assert_gt (misses, 300, "misses %" G_GUINT64_FORMAT, misses);
  for (p = 0; p < PERIODS; p++)
    g_free (keys[p]);
}

Test (slot_digest, aes, .timeout = 10)
{
  if (!aes128_available ())
    cr_skip_test ("no AES-NI on this CPU");
  check_digest (TRUE);
}

Test (slot_digest, siphash, .timeout = 10)
{
  check_digest (FALSE);
}

/* Locating several addresses before looking any up (what the anonymiser
 * does with the client field while it rewrites the others) changes no
 * answer. */
Test (slot_digest, locate_ahead, .timeout = 10)
{
  g_autofree LnHmacKey *key = make_key (test_key, sizeof test_key);
  int mode;

  for (mode = 0; mode < 2; mode++)
    {
      g_autoptr (LnPseudonymCache) cache = pseudonym_cache_new_full (64, mode == 0, NULL);
      LnAddr a[3] = { v4 (198, 51, 100, 1), parse ("2001:db8::1"), v4 (198, 51, 100, 2) };
      LnPseudonymSlot slot[3];
      int i, pass;

      for (pass = 0; pass < 2; pass++)
        {
          for (i = 0; i < 3; i++)
            pseudonym_locate (cache, 5, &a[i], &slot[i]);
          for (i = 2; i >= 0; i--)
            {
              uint8_t got[LN_PSEUDONYM_BYTES], want[LN_PSEUDONYM_BYTES], v6[16];

              pseudonym_lookup (cache, key, &slot[i], &a[i], got);
              v6_form (&a[i], v6);
              glib_digest (test_key, sizeof test_key, v6, want);
              cr_assert (memcmp (got, want, sizeof got) == 0, "mode %d, address %d", mode, i);
            }
        }
      /* a slot is a pure function of (address, period) under the cache */
      {
        LnPseudonymSlot again, other;

        pseudonym_locate (cache, 5, &a[0], &again);
        cr_assert (again.index == slot[0].index && again.tag == slot[0].tag);
        pseudonym_locate (cache, 6, &a[0], &other);
        cr_assert (other.tag != slot[0].tag, "the period is not in the slot digest");
        pseudonym_locate (cache, 5, &a[0], &again);
        cr_assert (again.tag == slot[0].tag, "coming back to a period");
      }
    }
}

/* ---------------------------------------- a dotted quad's text (pseudonym_locate_quad) */

/* @text in a buffer of exactly max (16, its length) bytes: the locate may
 * read 16, and a sanitizer catches one more. */
static gboolean
locate_text (LnPseudonymCache *cache, int64_t period, const char *text, LnPseudonymSlot *slot)
{
  size_t len = strlen (text);
  g_autofree char *buf = g_malloc0 (MAX (len, 16));

  memcpy (buf, text, len);
  return pseudonym_locate_quad (cache, period, buf, len, slot);
}

/* Locates @text's slot for @period, FALSE if the text is refused. */
typedef gboolean (*LocateText) (LnPseudonymCache *cache, int64_t period, const char *text,
                                LnPseudonymSlot *slot);

/* A miss on the slot of @text (an address) in period 1, the insert of its
 * parsed address, then a hit: both answer with the address's HMAC, as
 * GLib computes it, and the cache counts one of each.  Returns the slot. */
static LnPseudonymSlot
check_miss_then_hit (LnPseudonymCache *cache, const LnHmacKey *key, LocateText locate,
                     const char *text)
{
  LnAddr a = parse (text);
  LnPseudonymSlot slot, again;
  uint8_t got[LN_PSEUDONYM_BYTES], want[LN_PSEUDONYM_BYTES], v6[16];
  guint64 hits, misses;

  cr_assert (locate (cache, 1, text, &slot));
  cr_assert (!pseudonym_probe (cache, &slot, got), "a hit in an empty cache");
  pseudonym_insert (cache, key, &slot, &a, got);
  v6_form (&a, v6);
  glib_digest (test_key, sizeof test_key, v6, want);
  cr_assert (memcmp (got, want, sizeof got) == 0);
  memset (got, 0, sizeof got);
  cr_assert (locate (cache, 1, text, &again));
  cr_assert (again.index == slot.index && again.tag == slot.tag);
  cr_assert (pseudonym_probe (cache, &again, got), "no hit for the same text");
  cr_assert (memcmp (got, want, sizeof got) == 0);
  pseudonym_cache_counts (cache, &hits, &misses);
  cr_assert (hits == 1 && misses == 1, "hits %" G_GUINT64_FORMAT ", misses %"
             G_GUINT64_FORMAT, hits, misses);
  return slot;
}

/* Exactly the texts of 1 to 15 digits and dots are taken, with the same
 * answer on both slot digests; a text's entry, made after its parse,
 * answers with its address's HMAC; the slot depends on every byte, the
 * length and the period, and is keyed apart from the addresses' slots,
 * even from the address whose 16 bytes are the text's block. */
static void
check_quad (gboolean allow_aes)
{
  g_autofree LnHmacKey *key = make_key (test_key, sizeof test_key);
  g_autoptr (LnPseudonymCache) cache = pseudonym_cache_new_full (64, allow_aes, NULL);
  static const char *const taken[] = {
    "192.0.2.7", "1.2.3.4", "255.255.255.255", "0", "1", "....", "999.999.999.99",
    "01.02.03.04",
  };
  static const char *const refused[] = {
    "", "2001:db8::1", "192.0.2.7:80", "1.2.3.4a", "1.2.3.4 ", "-", "1.2.3.4/8",
    "255.255.255.2555", "1234567890123456", "1.2.3.\xb4",
  };
  LnPseudonymSlot slot, other;
  size_t i, j;

  for (i = 0; i < G_N_ELEMENTS (taken); i++)
    cr_assert (locate_text (cache, 1, taken[i], &slot), "refused \"%s\"", taken[i]);
  for (i = 0; i < G_N_ELEMENTS (refused); i++)
    cr_assert (!locate_text (cache, 1, refused[i], &slot), "took \"%s\"", refused[i]);
  /* every byte but a dot or a digit, at every place */
  for (i = 0; i < 9; i++)
    for (j = 0; j < 256; j++)
      {
        char text[10] = "192.0.2.7";

        if ((j >= '0' && j <= '9') || j == '.' || j == 0)
          continue;
        text[i] = (char) j;
        cr_assert (!locate_text (cache, 1, text, &slot), "took byte %zu at %zu", j, i);
      }

  /* a miss, the insert after the parse, then a hit: the address's HMAC */
  {
    slot = check_miss_then_hit (cache, key, locate_text, "192.0.2.7");
    /* no hit for another text of the same address, another period, or
     * another text with the same bytes before the cut */
    cr_assert (locate_text (cache, 1, "192.000.2.7", &other));
    cr_assert (other.tag != slot.tag);
    cr_assert (locate_text (cache, 2, "192.0.2.7", &other));
    cr_assert (other.tag != slot.tag, "the period is not in the text's slot");
    cr_assert (locate_text (cache, 1, "192.0.2.77", &other));
    cr_assert (other.tag != slot.tag);
    cr_assert (locate_text (cache, 1, "192.0.2.", &other));
    cr_assert (other.tag != slot.tag, "the length is not in the text's slot");
  }

  /* the address whose bytes are the text's block ("1.2.3.4", zeros, its
   * length): another slot */
  {
    LnAddr a;

    memset (&a, 0, sizeof a);
    a.family = LN_AF_INET6;
    memcpy (a.bytes, "1.2.3.4", 7);
    a.bytes[15] = 7;
    cr_assert (locate_text (cache, 1, "1.2.3.4", &slot));
    pseudonym_locate (cache, 1, &a, &other);
    cr_assert (other.tag != slot.tag, "a text and an address share a slot digest");
  }
}

Test (quad, aes, .timeout = 10)
{
  if (!aes128_available ())
    cr_skip_test ("no AES-NI on this CPU");
  check_quad (TRUE);
}

Test (quad, siphash, .timeout = 10)
{
  check_quad (FALSE);
}

/* ------------------------------ an IPv6 address's text (pseudonym_locate_text6) */

/* @text in a buffer of exactly max (48, its length) bytes, the rest
 * filled with @fill: the locate may read 48, and a sanitizer catches one
 * more. */
static gboolean
locate_text6 (LnPseudonymCache *cache, int64_t period, const char *text, char fill,
              LnPseudonymSlot *slot)
{
  size_t len = strlen (text);
  g_autofree char *buf = g_malloc (MAX (len, 48));

  memset (buf, fill, MAX (len, 48));
  memcpy (buf, text, len);
  return pseudonym_locate_text6 (cache, period, buf, len, slot);
}

static gboolean
locate_text6_zeros (LnPseudonymCache *cache, int64_t period, const char *text,
                    LnPseudonymSlot *slot)
{
  return locate_text6 (cache, period, text, 0, slot);
}

/* As check_quad(): exactly the texts of 1 to 39 hex digits and colons are
 * taken, with the same answer on both slot digests, whatever bytes follow
 * them; a text's entry, made after its parse, answers with its address's
 * HMAC; the slot depends on every byte of all three blocks, the length
 * and the period, and is keyed apart from the quads' and the addresses'
 * slots. */
static void
check_text6 (gboolean allow_aes)
{
  g_autofree LnHmacKey *key = make_key (test_key, sizeof test_key);
  g_autoptr (LnPseudonymCache) cache = pseudonym_cache_new_full (64, allow_aes, NULL);
  static const char long_text[] = "2001:0db8:85a3:0000:0000:8a2e:0370:7334";
  static const char *const taken[] = {
    "2001:db8::1", "::", "::1", "2001:DB8::1", long_text, "fe80::", "abcdef", "1", ":",
    "AbCdEf:09",
  };
  static const char *const refused[] = {
    "", "192.0.2.7", "::ffff:192.0.2.7", "fe80::1%eth0", "[2001:db8::1]", "2001:db8::g",
    "2001:0db8:85a3:0000:0000:8a2e:0370:73345", "2001:db8::1 ", "2001:db8::\xb1", "-",
    "2001:db8::/32", "2001:db8::1,::2",
  };
  LnPseudonymSlot slot, again, other;
  size_t i, j;

  cr_assert_eq (strlen (long_text), LN_TEXT6_MAX);
  for (i = 0; i < G_N_ELEMENTS (taken); i++)
    cr_assert (locate_text6 (cache, 1, taken[i], 0, &slot), "refused \"%s\"", taken[i]);
  for (i = 0; i < G_N_ELEMENTS (refused); i++)
    cr_assert (!locate_text6 (cache, 1, refused[i], 0, &slot), "took \"%s\"", refused[i]);
  /* every byte but a hex digit or a colon, at every place of all three
   * blocks */
  for (i = 0; i < LN_TEXT6_MAX; i++)
    for (j = 1; j < 256; j++)
      {
        char text[sizeof long_text];

        if (g_ascii_isxdigit ((char) j) || j == ':')
          continue;
        memcpy (text, long_text, sizeof text);
        text[i] = (char) j;
        cr_assert (!locate_text6 (cache, 1, text, 0, &slot), "took byte %zu at %zu", j, i);
      }
  /* what follows the text is not in its slot */
  for (i = 0; i < G_N_ELEMENTS (taken); i++)
    {
      cr_assert (locate_text6 (cache, 1, taken[i], 0, &slot));
      cr_assert (locate_text6 (cache, 1, taken[i], (char) 0xff, &again));
      cr_assert (again.index == slot.index && again.tag == slot.tag, "\"%s\"", taken[i]);
    }

  /* a miss, the insert after the parse, then a hit: the address's HMAC */
  {
    slot = check_miss_then_hit (cache, key, locate_text6_zeros, long_text);
    /* no hit for another text of the same address, another period, or a
     * text that differs in one byte of any block, or only in its length */
    cr_assert (locate_text6 (cache, 1, "2001:db8:85a3::8a2e:370:7334", 0, &other));
    cr_assert (other.tag != slot.tag);
    cr_assert (locate_text6 (cache, 2, long_text, 0, &other));
    cr_assert (other.tag != slot.tag, "the period is not in the text's slot");
    for (i = 0; i < LN_TEXT6_MAX; i++)
      {
        char text[sizeof long_text];

        memcpy (text, long_text, sizeof text);
        text[i] = text[i] == ':' ? '0' : ':';
        cr_assert (locate_text6 (cache, 1, text, 0, &other));
        cr_assert (other.tag != slot.tag, "byte %zu is not in the text's slot", i);
        text[i] = 0;
        if (i > 0)
          {
            cr_assert (locate_text6 (cache, 1, text, 0, &other));
            cr_assert (other.tag != slot.tag);
          }
      }
  }

  /* "1" as a quad's text, and the address whose bytes are the text's
   * first block: other slots */
  {
    LnAddr a;
    LnPseudonymSlot quad;
    char one[16] = "1";

    cr_assert (locate_text6 (cache, 1, "1", 0, &slot));
    cr_assert (pseudonym_locate_quad (cache, 1, one, 1, &quad));
    cr_assert (quad.tag != slot.tag, "a quad's and an IPv6 text's slots agree");
    memset (&a, 0, sizeof a);
    a.family = LN_AF_INET6;
    memcpy (a.bytes, "::1", 3);
    cr_assert (locate_text6 (cache, 1, "::1", 0, &slot));
    pseudonym_locate (cache, 1, &a, &other);
    cr_assert (other.tag != slot.tag, "a text and an address share a slot digest");
  }
}

Test (text6, aes, .timeout = 10)
{
  if (!aes128_available ())
    cr_skip_test ("no AES-NI on this CPU");
  check_text6 (TRUE);
}

Test (text6, siphash, .timeout = 10)
{
  check_text6 (FALSE);
}

/* The base32 encoder, every 5-bit value at every position. */
Test (token, every_group_value_at_every_position)
{
  int pos, v;

  for (pos = 0; pos < LN_TOKEN_LEN; pos++)
    for (v = 0; v < 32; v++)
      {
        uint8_t d[LN_PSEUDONYM_BYTES] = { 0 };
        char tok[64], want[LN_TOKEN_LEN + 1];
        int b;

        for (b = 0; b < 5; b++)
          if (v >> (4 - b) & 1)
            {
              int bit = pos * 5 + b;
              d[bit / 8] |= (uint8_t) (0x80 >> (bit % 8));
            }
        format_token (d, tok);
        reference_token (d, want);
        cr_assert_str_eq (tok, want, "value %d at position %d", v, pos);
        cr_assert_eq (tok[pos], "abcdefghijklmnopqrstuvwxyz234567"[v]);
      }
}
