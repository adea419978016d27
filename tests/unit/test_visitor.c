/* test_visitor.c - the visitor digest and the portable AES under it.
 *
 * Partials merge across machines only if every machine computes the same
 * digest, with AES-NI or without: the portable AES must give the FIPS 197
 * answers and the same bits as AES-NI on random keys and blocks, and the
 * digest must be the one visitor.h defines (first 8 bytes of AES-128 of
 * the IPv4-mapped form, little-endian), pinned here by answers computed
 * with "openssl enc -aes-128-ecb -nopad".
 */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "aes128.h"
#include "aes128sw.h"
#include "helpers.h"
#include "ipaddr.h"
#include "visitor.h"

static void
unhex (const char *hex, uint8_t *out, size_t n)
{
  size_t i;

  cr_assert_eq (strlen (hex), 2 * n);
  for (i = 0; i < n; i++)
    out[i] = (uint8_t) (g_ascii_xdigit_value (hex[2 * i]) << 4
                        | g_ascii_xdigit_value (hex[2 * i + 1]));
}

static LnAddr
addr_of (const char *text)
{
  LnAddr a;

  cr_assert (ipaddr_parse (text, strlen (text), &a), "%s", text);
  return a;
}

/* FIPS 197: the cipher example of appendix B with the key expansion of
 * appendix A.1, and the AES-128 example vector of appendix C.1. */
Test (aes128sw, fips197_vectors)
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

  for (i = 0; i < N_ELEMS (cases); i++)
    {
      unhex (cases[i].key, key, 16);
      unhex (cases[i].plain, plain, 16);
      unhex (cases[i].cipher, cipher, 16);
      aes128sw_expand (key, rk);
      cr_assert (memcmp (rk, key, 16) == 0, "round key 0 is the key");
      if (i == 0)
        {
          /* appendix A.1: w[4..7], w[36..39] and w[40..43] */
          unhex ("a0fafe1788542cb123a339392a6c7605", want, 16);
          cr_assert (memcmp (rk + 16, want, 16) == 0, "round key 1");
          unhex ("ac7766f319fadc2128d12941575c006e", want, 16);
          cr_assert (memcmp (rk + 144, want, 16) == 0, "round key 9");
          unhex ("d014f9a8c9ee2589e13f0cc8b6630ca6", want, 16);
          cr_assert (memcmp (rk + 160, want, 16) == 0, "round key 10");
        }
      aes128sw_encrypt (rk, plain, got);
      cr_assert (memcmp (got, cipher, 16) == 0, "FIPS 197 case %zu", i);
      aes128sw_encrypt (rk, plain, plain);
      cr_assert (memcmp (plain, cipher, 16) == 0, "FIPS 197 case %zu in place", i);
    }
}

/* The same round keys and blocks as AES-NI, for random keys and blocks. */
Test (aes128sw, same_as_aes_ni)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261126);
  uint8_t key[16], block[16], soft[16], ni[16];
  uint8_t rk_soft[16 * LN_AES128_ROUND_KEYS], rk_ni[16 * LN_AES128_ROUND_KEYS];
  int n, i;

  if (!aes128_available ())
    cr_skip_test ("no AES-NI on this CPU");
  for (n = 0; n < 2000; n++)
    {
      for (i = 0; i < 16; i++)
        {
          key[i] = (uint8_t) g_rand_int_range (rand, 0, 256);
          block[i] = (uint8_t) g_rand_int_range (rand, 0, 256);
        }
      aes128sw_expand (key, rk_soft);
      aes128_expand (key, rk_ni);
      cr_assert (memcmp (rk_soft, rk_ni, sizeof rk_ni) == 0, "key schedule, case %d", n);
      aes128sw_encrypt (rk_soft, block, soft);
      aes128_encrypt (rk_ni, block, ni);
      cr_assert (memcmp (soft, ni, 16) == 0, "block, case %d", n);
    }
}

static const uint8_t test_key[16] = {
  0x6c, 0x6f, 0x67, 0x6e, 0x79, 0x6d, 0x2d, 0x74,
  0x65, 0x73, 0x74, 0x2d, 0x61, 0x67, 0x67, 0x21,
};

/* The digest's definition, both ways of computing it:
 *   AES-128(6c6f676e796d2d746573742d61676721, ::ffff:192.0.2.1)
 *     = 68bb989ead7765627f9a31fbfc110419
 *   AES-128(same key, 2001:db8::1) = 7521f2a555ad92078f24a5b9c81778d4
 * and the digests are their first 8 bytes, little-endian. */
static void
check_known_answers (gboolean allow_ni)
{
  LnVisitorKey vk;
  LnAddr v4 = addr_of ("192.0.2.1"), mapped = addr_of ("::ffff:192.0.2.1");
  LnAddr v6 = addr_of ("2001:db8::1");

  visitor_key_init (&vk, test_key, allow_ni);
  cr_assert_eq (vk.ni, allow_ni && aes128_available ());
  cr_assert_eq (visitor_digest (&vk, &v4), UINT64_C (0x626577ad9e98bb68), "IPv4: %016llx",
                (unsigned long long) visitor_digest (&vk, &v4));
  cr_assert_eq (visitor_digest (&vk, &mapped), UINT64_C (0x626577ad9e98bb68),
                "IPv4-mapped: %016llx", (unsigned long long) visitor_digest (&vk, &mapped));
  cr_assert_eq (visitor_digest (&vk, &v6), UINT64_C (0x0792ad55a5f22175), "IPv6: %016llx",
                (unsigned long long) visitor_digest (&vk, &v6));
}

Test (visitor, known_answers_portable)
{
  check_known_answers (FALSE);
}

Test (visitor, known_answers_aes_ni)
{
  if (!aes128_available ())
    cr_skip_test ("no AES-NI on this CPU");
  check_known_answers (TRUE);
}

/* AES-NI and portable digests agree on random keys and addresses of both
 * families; an IPv4 address and its IPv4-mapped form are one visitor. */
Test (visitor, aes_ni_and_portable_agree)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  LnVisitorKey ni, soft;
  uint8_t key[16];
  int n, i;

  if (!aes128_available ())
    cr_skip_test ("no AES-NI on this CPU");
  for (n = 0; n < 20000; n++)
    {
      LnAddr a, mapped;

      if (n % 100 == 0)
        {
          for (i = 0; i < 16; i++)
            key[i] = (uint8_t) g_rand_int_range (rand, 0, 256);
          visitor_key_init (&ni, key, TRUE);
          visitor_key_init (&soft, key, FALSE);
          cr_assert (ni.ni && !soft.ni);
        }
      memset (&a, 0, sizeof a);
      a.family = n % 3 ? LN_AF_INET : LN_AF_INET6;
      for (i = 0; i < (a.family == LN_AF_INET ? 4 : 16); i++)
        a.bytes[i] = (uint8_t) g_rand_int_range (rand, 0, 256);
      cr_assert_eq (visitor_digest (&ni, &a), visitor_digest (&soft, &a), "case %d", n);
      if (a.family == LN_AF_INET)
        {
          mapped.family = LN_AF_INET6;
          ipaddr_to_v6_bytes (&a, mapped.bytes);
          cr_assert_eq (visitor_digest (&ni, &mapped), visitor_digest (&ni, &a));
          cr_assert_eq (visitor_digest (&soft, &mapped), visitor_digest (&soft, &a));
        }
    }
}

/* Another key, another digest; another address, another digest. */
Test (visitor, keyed)
{
  LnVisitorKey a, b;
  uint8_t key[16];
  LnAddr x = addr_of ("198.51.100.7"), y = addr_of ("198.51.100.8");

  memcpy (key, test_key, 16);
  visitor_key_init (&a, key, TRUE);
  key[15] ^= 1;
  visitor_key_init (&b, key, TRUE);
  cr_assert_neq (visitor_digest (&a, &x), visitor_digest (&b, &x));
  cr_assert_neq (visitor_digest (&a, &x), visitor_digest (&a, &y));
}
