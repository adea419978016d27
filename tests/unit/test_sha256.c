/* test_sha256.c - SHA-256, HMAC-SHA-256 and HKDF-SHA-256 (src/sha256.c)
 * against GLib's GChecksum/GHmac and the published vectors of RFC 4231
 * (HMAC) and RFC 5869 (HKDF). */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "sha256.h"

#define SEED 20261125

static void
to_hex (const uint8_t *p, size_t len, char *out)
{
  static const char digits[] = "0123456789abcdef";
  size_t i;

  for (i = 0; i < len; i++)
    {
      out[2 * i] = digits[p[i] >> 4];
      out[2 * i + 1] = digits[p[i] & 15];
    }
  out[2 * len] = '\0';
}

/* Parses an even-length hex string into @out; returns the byte count. */
static size_t
from_hex (const char *hex, uint8_t *out)
{
  size_t n = strlen (hex) / 2, i;

  cr_assert_eq (strlen (hex) % 2, 0, "odd hex string in the test: %s", hex);
  for (i = 0; i < n; i++)
    {
      unsigned v;
      cr_assert_eq (sscanf (hex + 2 * i, "%2x", &v), 1);
      out[i] = (uint8_t) v;
    }
  return n;
}

static void
random_bytes (GRand *rand, uint8_t *p, size_t len)
{
  size_t i;

  for (i = 0; i < len; i++)
    p[i] = (uint8_t) g_rand_int_range (rand, 0, 256);
}

static void
sha256_hex (const void *data, size_t len, char out[2 * LN_SHA256_LEN + 1])
{
  LnSha256 ctx;
  uint8_t digest[LN_SHA256_LEN];

  sha256_init (&ctx);
  sha256_update (&ctx, data, len);
  sha256_final (&ctx, digest);
  to_hex (digest, sizeof digest, out);
}

static void
hmac_hex (const uint8_t *key, size_t key_len, const void *data, size_t len,
          char out[2 * LN_SHA256_LEN + 1])
{
  LnHmacKey k;
  uint8_t digest[LN_SHA256_LEN];

  hmac_sha256_init (&k, key, key_len);
  hmac_sha256 (&k, data, len, digest);
  to_hex (digest, sizeof digest, out);
}

/* ------------------------------------------------------------- SHA-256 */

static void
check_sha256_known_values (void)
{
  char hex[2 * LN_SHA256_LEN + 1];

  /* FIPS 180-4 examples */
  sha256_hex ("", 0, hex);
  cr_assert_str_eq (hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  sha256_hex ("abc", 3, hex);
  cr_assert_str_eq (hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  sha256_hex ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
  cr_assert_str_eq (hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

Test (sha256, known_values)
{
  check_sha256_known_values ();
}

static void
check_sha256_random_lengths_against_glib (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (SEED);
  uint8_t data[300];
  size_t len;
  int round;

  /* every length 0..300 once, then 200 more random ones */
  for (round = 0; round < 301 + 200; round++)
    {
      char ours[2 * LN_SHA256_LEN + 1];
      g_autofree char *glib = NULL;

      len = round <= 300 ? (size_t) round : (size_t) g_rand_int_range (rand, 0, 301);
      random_bytes (rand, data, len);
      sha256_hex (data, len, ours);
      glib = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);
      cr_assert_str_eq (ours, glib, "SHA-256 of %zu random bytes: %s, GLib says %s",
                        len, ours, glib);
    }
}

Test (sha256, random_lengths_against_glib)
{
  check_sha256_random_lengths_against_glib ();
}

Test (sha256, incremental_split_at_every_offset)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (SEED + 1);
  static const size_t lengths[] = { 0, 1, 55, 56, 63, 64, 65, 119, 128, 129, 200, 300 };
  uint8_t data[300];
  size_t li;

  for (li = 0; li < N_ELEMS (lengths); li++)
    {
      size_t len = lengths[li], cut, cut2;
      g_autofree char *glib = NULL;

      random_bytes (rand, data, len);
      glib = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);
      for (cut = 0; cut <= len; cut++)
        {
          LnSha256 ctx;
          uint8_t digest[LN_SHA256_LEN];
          char hex[2 * LN_SHA256_LEN + 1];

          /* two pieces */
          sha256_init (&ctx);
          sha256_update (&ctx, data, cut);
          sha256_update (&ctx, data + cut, len - cut);
          sha256_final (&ctx, digest);
          to_hex (digest, sizeof digest, hex);
          cr_assert_str_eq (hex, glib, "len %zu split at %zu", len, cut);

          /* three pieces, the second of 0..70 bytes */
          cut2 = cut + (size_t) g_rand_int_range (rand, 0, 71);
          if (cut2 > len)
            cut2 = len;
          sha256_init (&ctx);
          sha256_update (&ctx, data, cut);
          sha256_update (&ctx, data + cut, cut2 - cut);
          sha256_update (&ctx, data + cut2, len - cut2);
          sha256_final (&ctx, digest);
          to_hex (digest, sizeof digest, hex);
          cr_assert_str_eq (hex, glib, "len %zu split at %zu and %zu", len, cut, cut2);
        }
      /* one byte at a time */
      {
        LnSha256 ctx;
        uint8_t digest[LN_SHA256_LEN];
        char hex[2 * LN_SHA256_LEN + 1];
        size_t i;

        sha256_init (&ctx);
        for (i = 0; i < len; i++)
          sha256_update (&ctx, data + i, 1);
        sha256_final (&ctx, digest);
        to_hex (digest, sizeof digest, hex);
        cr_assert_str_eq (hex, glib, "len %zu byte by byte", len);
      }
    }
}

Test (sha256, final_wipes_context)
{
  LnSha256 ctx;
  uint8_t digest[LN_SHA256_LEN];
  static const uint8_t zero[sizeof (LnSha256)];

  sha256_init (&ctx);
  sha256_update (&ctx, "192.0.2.7 secret text", 21);
  sha256_final (&ctx, digest);
  cr_assert (memcmp (&ctx, zero, sizeof ctx) == 0,
             "sha256_final must wipe the context (sha256.h)");
}

Test (sha256, million_a)
{
  /* FIPS 180-4 long message: 1,000,000 x 'a', in blocks of 1000 */
  char block[1000];
  LnSha256 ctx;
  uint8_t digest[LN_SHA256_LEN];
  char hex[2 * LN_SHA256_LEN + 1];
  int i;

  memset (block, 'a', sizeof block);
  sha256_init (&ctx);
  for (i = 0; i < 1000; i++)
    sha256_update (&ctx, block, sizeof block);
  sha256_final (&ctx, digest);
  to_hex (digest, sizeof digest, hex);
  cr_assert_str_eq (hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* ---------------------------------------------------------- HMAC-SHA-256 */

typedef struct {
  const char *key_hex;
  size_t key_repeat;      /* key_hex is one byte repeated this often, or 0 */
  const char *data;       /* text, or NULL: data_hex */
  const char *data_hex;
  size_t data_repeat;
  const char *mac_hex;    /* possibly truncated (case 5: 128 bits) */
} HmacCase;

/* RFC 4231, section 4.2 to 4.8 */
static const HmacCase rfc4231[] = {
  /* 1 */ { "0b", 20, "Hi There", NULL, 0,
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
  /* 2 */ { "4a656665", 0, "what do ya want for nothing?", NULL, 0,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
  /* 3 */ { "aa", 20, NULL, "dd", 50,
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
  /* 4 */ { "0102030405060708090a0b0c0d0e0f10111213141516171819", 0, NULL, "cd", 50,
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
  /* 5 */ { "0c", 20, "Test With Truncation", NULL, 0,
            "a3b6167473100ee06e0c796c2955552b" },
  /* 6 */ { "aa", 131, "Test Using Larger Than Block-Size Key - Hash Key First", NULL, 0,
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
  /* 7 */ { "aa", 131,
            "This is a test using a larger than block-size key and a larger than "
            "block-size data. The key needs to be hashed before being used by the "
            "HMAC algorithm.", NULL, 0,
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
};

static void
check_hmac_rfc4231_cases_1_to_7 (void)
{
  size_t i;

  for (i = 0; i < N_ELEMS (rfc4231); i++)
    {
      const HmacCase *c = &rfc4231[i];
      uint8_t key[200], data[200];
      size_t key_len, data_len;
      char hex[2 * LN_SHA256_LEN + 1];

      if (c->key_repeat)
        {
          uint8_t b;
          from_hex (c->key_hex, &b);
          memset (key, b, c->key_repeat);
          key_len = c->key_repeat;
        }
      else
        key_len = from_hex (c->key_hex, key);
      if (c->data)
        {
          data_len = strlen (c->data);
          memcpy (data, c->data, data_len);
        }
      else
        {
          uint8_t b;
          from_hex (c->data_hex, &b);
          memset (data, b, c->data_repeat);
          data_len = c->data_repeat;
        }
      hmac_hex (key, key_len, data, data_len, hex);
      cr_assert (strncmp (hex, c->mac_hex, strlen (c->mac_hex)) == 0,
                 "RFC 4231 test case %zu: got %s, expected %s", i + 1, hex, c->mac_hex);
    }
}

Test (hmac, rfc4231_cases_1_to_7)
{
  check_hmac_rfc4231_cases_1_to_7 ();
}

static void
check_hmac_random_keys_against_glib (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (SEED + 2);
  uint8_t key[200], data[300];
  int round;

  /* every key length 0..200 (64 and 65 bytes are the block-size edge) */
  for (round = 0; round <= 200 + 100; round++)
    {
      size_t key_len = round <= 200 ? (size_t) round : (size_t) g_rand_int_range (rand, 0, 201);
      size_t data_len = (size_t) g_rand_int_range (rand, 0, 301);
      char ours[2 * LN_SHA256_LEN + 1];
      g_autofree char *glib = NULL;

      random_bytes (rand, key, key_len);
      random_bytes (rand, data, data_len);
      hmac_hex (key, key_len, data, data_len, ours);
      glib = g_compute_hmac_for_data (G_CHECKSUM_SHA256, key, key_len, data, data_len);
      cr_assert_str_eq (ours, glib, "HMAC with a %zu-byte key over %zu bytes: %s, GLib %s",
                        key_len, data_len, ours, glib);
    }
}

Test (hmac, random_keys_against_glib)
{
  check_hmac_random_keys_against_glib ();
}

/* The 16-byte special case (the pseudonym cache's misses) against GLib,
 * with every key length around the block size. */
static void
check_hmac_sixteen_bytes_against_glib (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (SEED + 5);
  uint8_t key[200], data[16], mac[LN_SHA256_LEN], general[LN_SHA256_LEN];
  int round;

  for (round = 0; round <= 200 + 100; round++)
    {
      size_t key_len = round <= 200 ? (size_t) round : (size_t) g_rand_int_range (rand, 0, 201);
      g_autofree char *glib = NULL;
      char hex[2 * LN_SHA256_LEN + 1];
      LnHmacKey k;
      int i;

      random_bytes (rand, key, key_len);
      random_bytes (rand, data, sizeof data);
      hmac_sha256_init (&k, key, key_len);
      hmac_sha256_16 (&k, data, mac);
      hmac_sha256 (&k, data, sizeof data, general);
      cr_assert (memcmp (mac, general, sizeof mac) == 0, "key of %zu bytes", key_len);
      for (i = 0; i < LN_SHA256_LEN; i++)
        sprintf (hex + 2 * i, "%02x", mac[i]);
      glib = g_compute_hmac_for_data (G_CHECKSUM_SHA256, key, key_len, data, sizeof data);
      cr_assert_str_eq (hex, glib, "key of %zu bytes: %s, GLib %s", key_len, hex, glib);
    }
}

Test (hmac, sixteen_bytes_against_glib)
{
  check_hmac_sixteen_bytes_against_glib ();
}

Test (hmac, key_state_reusable_and_unchanged)
{
  uint8_t key[32], a[LN_SHA256_LEN], b[LN_SHA256_LEN];
  LnHmacKey k, copy;
  int i;

  for (i = 0; i < 32; i++)
    key[i] = (uint8_t) (i * 7 + 1);
  memset (&k, 0, sizeof k);
  hmac_sha256_init (&k, key, sizeof key);
  copy = k;
  hmac_sha256 (&k, "first", 5, a);
  hmac_sha256 (&k, "second", 6, b);
  cr_assert (memcmp (&k, &copy, sizeof k) == 0, "hmac_sha256 modified the key state");
  hmac_sha256 (&k, "first", 5, b);
  cr_assert (memcmp (a, b, sizeof a) == 0, "same key and data gave different MACs");
}

/* ------------------------------------------------------------------ HKDF */

typedef struct {
  const char *ikm_hex, *salt_hex, *info_hex;
  size_t len;
  const char *okm_hex;
} HkdfCase;

static char *
range_hex (unsigned from, unsigned to)   /* bytes from..to inclusive */
{
  GString *s = g_string_new (NULL);
  unsigned b;

  for (b = from; b <= to; b++)
    g_string_append_printf (s, "%02x", b);
  return g_string_free (s, FALSE);
}

static void
check_hkdf (const char *name, const char *ikm_hex, const char *salt_hex,
            const char *info_hex, size_t len, const char *okm_hex)
{
  uint8_t ikm[128], salt[128], info[128], okm[128];
  size_t ikm_len = from_hex (ikm_hex, ikm);
  size_t salt_len = from_hex (salt_hex, salt);
  size_t info_len = from_hex (info_hex, info);
  char hex[2 * 128 + 1];

  memset (okm, 0xee, sizeof okm);
  /* an empty salt as NULL (documented); the info as a buffer, also when
   * empty (NULL info: see hkdf.null_info_of_length_zero) */
  cr_assert_eq (hkdf_sha256 (salt_len ? salt : NULL, salt_len, ikm, ikm_len,
                             info, info_len, okm, len), 0, "%s", name);
  to_hex (okm, len, hex);
  cr_assert_str_eq (hex, okm_hex, "%s: OKM %s, expected %s", name, hex, okm_hex);
  cr_assert_eq (okm[len], 0xee, "%s: wrote past out_len", name);
}

Test (hkdf, rfc5869_case_1)
{
  check_hkdf ("RFC 5869 A.1", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
              "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9", 42,
              "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
              "34007208d5b887185865");
}

Test (hkdf, rfc5869_case_2)
{
  g_autofree char *ikm = range_hex (0x00, 0x4f);
  g_autofree char *salt = range_hex (0x60, 0xaf);
  g_autofree char *info = range_hex (0xb0, 0xff);

  check_hkdf ("RFC 5869 A.2", ikm, salt, info, 82,
              "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
              "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
              "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

Test (hkdf, rfc5869_case_3)
{
  /* empty salt and info */
  check_hkdf ("RFC 5869 A.3", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "", 42,
              "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
              "9d201395faa4b61a96c8");
}

Test (hkdf, empty_salt_is_hashlen_zeros)
{
  static const uint8_t zeros[LN_SHA256_LEN];
  uint8_t ikm[22], a[42], b[42], c[42];

  memset (ikm, 0x0b, sizeof ikm);
  cr_assert_eq (hkdf_sha256 (NULL, 0, ikm, sizeof ikm, (const uint8_t *) "", 0, a, sizeof a),
                0);
  cr_assert_eq (hkdf_sha256 (zeros, sizeof zeros, ikm, sizeof ikm, (const uint8_t *) "", 0, b,
                             sizeof b), 0);
  cr_assert_eq (hkdf_sha256 (zeros, 0, ikm, sizeof ikm, (const uint8_t *) "", 0, c,
                             sizeof c), 0);
  cr_assert (memcmp (a, b, sizeof a) == 0, "NULL salt differs from 32 zero bytes");
  cr_assert (memcmp (a, c, sizeof a) == 0, "empty salt differs from NULL salt");
}

Test (hkdf, shorter_output_is_a_prefix)
{
  uint8_t ikm[32], longer[255 * LN_SHA256_LEN], shorter[100];
  size_t len;
  int i;

  for (i = 0; i < 32; i++)
    ikm[i] = (uint8_t) i;
  cr_assert_eq (hkdf_sha256 ((const uint8_t *) "salt", 4, ikm, sizeof ikm,
                             (const uint8_t *) "info", 4, longer, sizeof longer), 0,
                "out_len = 255 * 32 must be accepted");
  for (len = 0; len <= sizeof shorter; len++)
    {
      memset (shorter, 0, sizeof shorter);
      cr_assert_eq (hkdf_sha256 ((const uint8_t *) "salt", 4, ikm, sizeof ikm,
                                 (const uint8_t *) "info", 4, shorter, len), 0);
      cr_assert (len == 0 || memcmp (shorter, longer, len) == 0,
                 "HKDF output of %zu bytes is not a prefix of the longer output", len);
    }
}

Test (hkdf, too_long_output_is_an_error)
{
  uint8_t ikm[32] = { 1, 2, 3 };
  uint8_t *out = g_malloc (255 * LN_SHA256_LEN + 64);
  size_t i;

  memset (out, 0xa5, 255 * LN_SHA256_LEN + 64);
  cr_assert_eq (hkdf_sha256 (NULL, 0, ikm, sizeof ikm, (const uint8_t *) "x", 1, out,
                             255 * LN_SHA256_LEN + 1), -1,
                "out_len = 255 * 32 + 1 must be refused");
  cr_assert_eq (hkdf_sha256 (NULL, 0, ikm, sizeof ikm, (const uint8_t *) "x", 1, out,
                             (size_t) -1), -1,
                "out_len = SIZE_MAX must be refused");
  for (i = 0; i < 255 * LN_SHA256_LEN + 64; i++)
    cr_assert_eq (out[i], 0xa5, "refused call wrote byte %zu", i);
  g_free (out);
}

/* No info is an info of length zero.  Like a NULL salt (documented), a
 * NULL info with info_len 0 must be accepted; under UBSan a memcpy from
 * NULL (even of 0 bytes) in sha256_update is undefined behaviour. */
Test (hkdf, null_info_of_length_zero)
{
  uint8_t ikm[22], a[42], b[42];

  memset (ikm, 0x0b, sizeof ikm);
  cr_assert_eq (hkdf_sha256 (NULL, 0, ikm, sizeof ikm, NULL, 0, a, sizeof a), 0);
  cr_assert_eq (hkdf_sha256 (NULL, 0, ikm, sizeof ikm, (const uint8_t *) "", 0, b, sizeof b), 0);
  cr_assert (memcmp (a, b, sizeof a) == 0);
}

Test (sha256, null_data_of_length_zero)
{
  LnSha256 ctx;
  uint8_t digest[LN_SHA256_LEN];
  char hex[2 * LN_SHA256_LEN + 1];

  sha256_init (&ctx);
  sha256_update (&ctx, NULL, 0);            /* empty buffer */
  sha256_update (&ctx, "abc", 3);
  sha256_update (&ctx, NULL, 0);            /* and with bytes buffered */
  sha256_final (&ctx, digest);
  to_hex (digest, sizeof digest, hex);
  cr_assert_str_eq (hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* The same checks on the portable code, which a CPU with SHA-NI would
 * never run: each test runs in a process of its own, so the switch holds
 * for that test alone. */
static void
use_portable_code (void)
{
  cr_assert_eq (sha256_use_hardware (0), 0);
}

Test (portable, sha256_known_values, .init = use_portable_code)
{
  check_sha256_known_values ();
}

Test (portable, sha256_random_lengths_against_glib, .init = use_portable_code)
{
  check_sha256_random_lengths_against_glib ();
}

Test (portable, hmac_rfc4231_cases_1_to_7, .init = use_portable_code)
{
  check_hmac_rfc4231_cases_1_to_7 ();
}

Test (portable, hmac_random_keys_against_glib, .init = use_portable_code)
{
  check_hmac_random_keys_against_glib ();
}

Test (portable, hmac_sixteen_bytes_against_glib, .init = use_portable_code)
{
  check_hmac_sixteen_bytes_against_glib ();
}

Test (portable, switch_back_to_hardware)
{
  char hex[2 * LN_SHA256_LEN + 1];
  int hardware = sha256_use_hardware (1);

  cr_assert_eq (sha256_use_hardware (0), 0);
  cr_assert_eq (sha256_use_hardware (1), hardware);
  sha256_hex ("abc", 3, hex);
  cr_assert_str_eq (hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
