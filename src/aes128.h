/* aes128.h - AES-128 encryption with the AES-NI instructions (FIPS 197).
 *
 * Only for the pseudonym cache's slot keys: one block encryption under a
 * random per-process key is a keyed permutation of a 16-byte address in
 * some 20 instructions, against some 200 for SipHash.  No decryption, no
 * modes, and no software fallback: callers check aes128_available() and
 * use SipHash where it says FALSE.
 */
#ifndef LN_AES128_H
#define LN_AES128_H

#include <glib.h>
#include <stdint.h>

#define LN_AES128_ROUND_KEYS 11

/* TRUE when the CPU has AES-NI (and SSE4.1, which the callers use too).
 * Always FALSE on other architectures. */
gboolean aes128_available (void);

/* Expands @key into the 11 round keys @rk (176 bytes).  Only when
 * aes128_available(). */
void aes128_expand (const uint8_t key[16], uint8_t rk[16 * LN_AES128_ROUND_KEYS]);

/* One block: @out = AES-128(@rk, @in).  @in and @out may overlap.  Only
 * when aes128_available(). */
void aes128_encrypt (const uint8_t rk[16 * LN_AES128_ROUND_KEYS], const uint8_t in[16],
                     uint8_t out[16]);

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* The rounds themselves, for callers that keep the block in a register;
 * inline into a function compiled with target ("aes"). */
__attribute__ ((target ("aes,sse4.1"), always_inline))
static inline __m128i
aes128_encrypt_block (const __m128i *rk, __m128i x)
{
  x = _mm_xor_si128 (x, _mm_load_si128 (&rk[0]));
  x = _mm_aesenc_si128 (x, _mm_load_si128 (&rk[1]));
  x = _mm_aesenc_si128 (x, _mm_load_si128 (&rk[2]));
  x = _mm_aesenc_si128 (x, _mm_load_si128 (&rk[3]));
  x = _mm_aesenc_si128 (x, _mm_load_si128 (&rk[4]));
  x = _mm_aesenc_si128 (x, _mm_load_si128 (&rk[5]));
  x = _mm_aesenc_si128 (x, _mm_load_si128 (&rk[6]));
  x = _mm_aesenc_si128 (x, _mm_load_si128 (&rk[7]));
  x = _mm_aesenc_si128 (x, _mm_load_si128 (&rk[8]));
  x = _mm_aesenc_si128 (x, _mm_load_si128 (&rk[9]));
  return _mm_aesenclast_si128 (x, _mm_load_si128 (&rk[10]));
}
#endif

#endif /* LN_AES128_H */
