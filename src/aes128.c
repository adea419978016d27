/* aes128.c - AES-128 with AES-NI (see aes128.h). */
#include "config.h"

#include <stdatomic.h>
#include <string.h>
#include "aes128.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>

gboolean
aes128_available (void)
{
  /* computed once; the answer never changes, so threads racing here only
   * repeat it (atomic, so that the race is not undefined behaviour) */
  static _Atomic int known = -1;
  int answer = atomic_load_explicit (&known, memory_order_relaxed);
  unsigned a, b, c, d;

  if (answer < 0)
    {
      answer = __get_cpuid (1, &a, &b, &c, &d) && (c & bit_AES) && (c & bit_SSE4_1);
      atomic_store_explicit (&known, answer, memory_order_relaxed);
    }
  return answer;
}

/* One step of the FIPS 197 key expansion: @gen is AESKEYGENASSIST of the
 * previous round key (RotWord, SubWord and the round constant). */
__attribute__ ((target ("aes,sse4.1")))
static inline __m128i
expand_step (__m128i key, __m128i gen)
{
  gen = _mm_shuffle_epi32 (gen, 0xff);
  key = _mm_xor_si128 (key, _mm_slli_si128 (key, 4));
  key = _mm_xor_si128 (key, _mm_slli_si128 (key, 4));
  key = _mm_xor_si128 (key, _mm_slli_si128 (key, 4));
  return _mm_xor_si128 (key, gen);
}

/* the round constant is an immediate operand, hence a macro */
#define EXPAND(i, rcon) \
  rk[i] = expand_step (rk[(i) - 1], _mm_aeskeygenassist_si128 (rk[(i) - 1], rcon))

__attribute__ ((target ("aes,sse4.1")))
void
aes128_expand (const uint8_t key[16], uint8_t out[16 * LN_AES128_ROUND_KEYS])
{
  __m128i rk[LN_AES128_ROUND_KEYS];
  int i;

  rk[0] = _mm_loadu_si128 ((const __m128i *) (const void *) key);
  EXPAND (1, 0x01);
  EXPAND (2, 0x02);
  EXPAND (3, 0x04);
  EXPAND (4, 0x08);
  EXPAND (5, 0x10);
  EXPAND (6, 0x20);
  EXPAND (7, 0x40);
  EXPAND (8, 0x80);
  EXPAND (9, 0x1b);
  EXPAND (10, 0x36);
  for (i = 0; i < LN_AES128_ROUND_KEYS; i++)
    _mm_storeu_si128 ((__m128i *) (void *) (out + 16 * i), rk[i]);
  /* the round keys are the key: leave no copy on the stack */
  for (i = 0; i < LN_AES128_ROUND_KEYS; i++)
    rk[i] = _mm_setzero_si128 ();
  __asm__ __volatile__ ("" : : "r" (rk) : "memory");
}

__attribute__ ((target ("aes,sse4.1")))
void
aes128_encrypt (const uint8_t rk[16 * LN_AES128_ROUND_KEYS], const uint8_t in[16],
                uint8_t out[16])
{
  __m128i k[LN_AES128_ROUND_KEYS];
  int i;

  /* @rk need not be aligned; the inline rounds want aligned keys */
  for (i = 0; i < LN_AES128_ROUND_KEYS; i++)
    k[i] = _mm_loadu_si128 ((const __m128i *) (const void *) (rk + 16 * i));
  _mm_storeu_si128 ((__m128i *) (void *) out,
                    aes128_encrypt_block (k, _mm_loadu_si128 ((const __m128i *) (const void *) in)));
  for (i = 0; i < LN_AES128_ROUND_KEYS; i++)
    k[i] = _mm_setzero_si128 ();
  __asm__ __volatile__ ("" : : "r" (k) : "memory");
}

#else /* no AES-NI here */

gboolean
aes128_available (void)
{
  return FALSE;
}

void
aes128_expand (const uint8_t key[16], uint8_t out[16 * LN_AES128_ROUND_KEYS])
{
  (void) key;
  memset (out, 0, 16 * LN_AES128_ROUND_KEYS);
  g_return_if_reached ();
}

void
aes128_encrypt (const uint8_t rk[16 * LN_AES128_ROUND_KEYS], const uint8_t in[16],
                uint8_t out[16])
{
  (void) rk;
  (void) in;
  memset (out, 0, 16);
  g_return_if_reached ();
}
#endif
