/* sha256.c - FIPS 180-4 SHA-256, RFC 2104 HMAC, RFC 5869 HKDF. */
#include "config.h"

#include <glib.h>
#include <stdatomic.h>
#include <string.h>
#include "sha256.h"
#include "wipe.h"

static const uint32_t k256[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
compress_c (uint32_t h[8], const uint8_t block[64])
{
  uint32_t w[64];
  uint32_t a, b, c, d, e, f, g, hh;
  int i;

  for (i = 0; i < 16; i++)
    w[i] = (uint32_t) block[4 * i] << 24 | (uint32_t) block[4 * i + 1] << 16
           | (uint32_t) block[4 * i + 2] << 8 | (uint32_t) block[4 * i + 3];
  for (i = 16; i < 64; i++)
    {
      uint32_t s0 = ROR (w[i - 15], 7) ^ ROR (w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = ROR (w[i - 2], 17) ^ ROR (w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
  a = h[0]; b = h[1]; c = h[2]; d = h[3];
  e = h[4]; f = h[5]; g = h[6]; hh = h[7];
  for (i = 0; i < 64; i++)
    {
      uint32_t s1 = ROR (e, 6) ^ ROR (e, 11) ^ ROR (e, 25);
      uint32_t ch = (e & f) ^ (~e & g);
      uint32_t t1 = hh + s1 + ch + k256[i] + w[i];
      uint32_t s0 = ROR (a, 2) ^ ROR (a, 13) ^ ROR (a, 22);
      uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
      uint32_t t2 = s0 + maj;

      hh = g; g = f; f = e; e = d + t1;
      d = c; c = b; b = a; a = t1 + t2;
    }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d;
  h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  /* the first 16 words are the input itself (an address, a key) */
  wipe_memory (w, 16 * sizeof w[0]);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

/* The SHA extensions (SHA-NI) do two rounds per instruction: a pseudonym
 * costs two compressions, and this makes them some ten times cheaper.
 *
 * The state is kept as SHA-NI wants it, ABEF and CDGH; the block as its
 * four vectors of message words (already in host order). */
#define SHA_NI_TARGET __attribute__ ((target ("sha,sse4.1,ssse3")))

/* The big-endian words of 16 bytes, or the bytes of 4 words. */
SHA_NI_TARGET static inline __m128i
swap_words (__m128i v)
{
  return _mm_shuffle_epi8 (v, _mm_set_epi64x (0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL));
}

/* h[0..7] into ABEF and CDGH. */
SHA_NI_TARGET static inline void
state_to_ni (const uint32_t h[8], __m128i *abef, __m128i *cdgh)
{
  __m128i tmp = _mm_loadu_si128 ((const __m128i *) (const void *) &h[0]);
  __m128i efgh = _mm_loadu_si128 ((const __m128i *) (const void *) &h[4]);

  tmp = _mm_shuffle_epi32 (tmp, 0xB1);           /* CDAB */
  efgh = _mm_shuffle_epi32 (efgh, 0x1B);         /* EFGH */
  *abef = _mm_alignr_epi8 (tmp, efgh, 8);        /* ABEF */
  *cdgh = _mm_blend_epi16 (efgh, tmp, 0xF0);     /* CDGH */
}

/* ABEF and CDGH back into the words h[0..3] and h[4..7]. */
SHA_NI_TARGET static inline void
state_from_ni (__m128i abef, __m128i cdgh, __m128i *abcd, __m128i *efgh)
{
  __m128i tmp = _mm_shuffle_epi32 (abef, 0x1B);  /* FEBA */

  cdgh = _mm_shuffle_epi32 (cdgh, 0xB1);         /* DCHG */
  *abcd = _mm_blend_epi16 (tmp, cdgh, 0xF0);     /* DCBA */
  *efgh = _mm_alignr_epi8 (cdgh, tmp, 8);        /* HGFE */
}

/* One compression of the block whose message words are w0..w3. */
SHA_NI_TARGET static inline void
rounds_ni (__m128i *abef, __m128i *cdgh, __m128i w0, __m128i w1, __m128i w2, __m128i w3)
{
  __m128i state0 = *abef, state1 = *cdgh, msg;
  __m128i w[16];
  int g;

  w[0] = w0;
  w[1] = w1;
  w[2] = w2;
  w[3] = w3;
  for (g = 0; g < 12; g++)
    {
      __m128i x = _mm_sha256msg1_epu32 (w[g], w[g + 1]);

      x = _mm_add_epi32 (x, _mm_alignr_epi8 (w[g + 3], w[g + 2], 4));
      w[g + 4] = _mm_sha256msg2_epu32 (x, w[g + 3]);
    }
  for (g = 0; g < 16; g++)
    {
      msg = _mm_add_epi32 (w[g], _mm_loadu_si128 ((const __m128i *) (const void *) &k256[4 * g]));
      state1 = _mm_sha256rnds2_epu32 (state1, state0, msg);
      msg = _mm_shuffle_epi32 (msg, 0x0E);
      state0 = _mm_sha256rnds2_epu32 (state0, state1, msg);
    }
  *abef = _mm_add_epi32 (state0, *abef);
  *cdgh = _mm_add_epi32 (state1, *cdgh);
  /* the schedule holds the input (an address, a key) */
  for (g = 0; g < 16; g++)
    w[g] = _mm_setzero_si128 ();
  __asm__ __volatile__ ("" : : "r" (w) : "memory");
}

SHA_NI_TARGET static void
compress_ni (uint32_t h[8], const uint8_t block[64])
{
  const __m128i *in = (const __m128i *) (const void *) block;
  __m128i abef, cdgh, abcd, efgh;

  state_to_ni (h, &abef, &cdgh);
  rounds_ni (&abef, &cdgh, swap_words (_mm_loadu_si128 (in)),
             swap_words (_mm_loadu_si128 (in + 1)), swap_words (_mm_loadu_si128 (in + 2)),
             swap_words (_mm_loadu_si128 (in + 3)));
  state_from_ni (abef, cdgh, &abcd, &efgh);
  _mm_storeu_si128 ((__m128i *) (void *) &h[0], abcd);
  _mm_storeu_si128 ((__m128i *) (void *) &h[4], efgh);
}

/* hmac_sha256_16() with SHA-NI, in registers from input to output: the
 * message, its padding and the inner digest are never stored and read
 * back.  Byte-wise stores read back by 16-byte loads cannot be forwarded
 * and waited for the stores to retire; that made the portable shape
 * cost 173 ns an HMAC here. */
SHA_NI_TARGET static void
hmac_16_ni (const LnHmacKey *key, const uint8_t data[16], uint8_t out[LN_SHA256_LEN])
{
  /* the padding: 0x80 after the message, then the bit length of the
   * keyed block plus the message (16 bytes inner, 32 outer) */
  const __m128i pad_16 = _mm_setr_epi32 ((int) 0x80000000u, 0, 0, 0);
  const __m128i zero = _mm_setzero_si128 ();
  __m128i abef, cdgh, abcd, efgh;

  state_to_ni (key->inner.h, &abef, &cdgh);
  rounds_ni (&abef, &cdgh, swap_words (_mm_loadu_si128 ((const __m128i *) (const void *) data)),
             pad_16, zero, _mm_setr_epi32 (0, 0, 0, (LN_SHA256_BLOCK + 16) * 8));
  /* the inner digest's big-endian words are the state words themselves */
  state_from_ni (abef, cdgh, &abcd, &efgh);
  state_to_ni (key->outer.h, &abef, &cdgh);
  rounds_ni (&abef, &cdgh, abcd, efgh, pad_16,
             _mm_setr_epi32 (0, 0, 0, (LN_SHA256_BLOCK + LN_SHA256_LEN) * 8));
  state_from_ni (abef, cdgh, &abcd, &efgh);
  _mm_storeu_si128 ((__m128i *) (void *) out, swap_words (abcd));
  _mm_storeu_si128 ((__m128i *) (void *) (out + 16), swap_words (efgh));
}

/* -1 until known; then whether compress() and hmac_sha256_16() use
 * SHA-NI.  The answer never changes but through sha256_use_hardware(), so
 * threads racing to work it out only repeat it (atomic, so that the race
 * is not undefined behaviour). */
static _Atomic int sha_ni_in_use = -1;

static int
cpu_has_sha_ni (void)
{
  unsigned a, b, c, d;

  return __get_cpuid_count (7, 0, &a, &b, &c, &d) && (b & (1u << 29))
         && __get_cpuid (1, &a, &b, &c, &d) && (c & (1u << 19)) && (c & (1u << 9));
}

static int
have_sha_ni (void)
{
  int answer = atomic_load_explicit (&sha_ni_in_use, memory_order_relaxed);

  if (answer < 0)
    {
      answer = cpu_has_sha_ni ();
      atomic_store_explicit (&sha_ni_in_use, answer, memory_order_relaxed);
    }
  return answer;
}
#endif

int
sha256_use_hardware (int enable)
{
#if defined(__x86_64__) && defined(__GNUC__)
  int answer = enable && cpu_has_sha_ni ();

  atomic_store_explicit (&sha_ni_in_use, answer, memory_order_relaxed);
  return answer;
#else
  (void) enable;
  return 0;
#endif
}

/* The eight state words, big-endian: the digest's bytes. */
static inline void
put_state (uint8_t out[32], const uint32_t h[8])
{
  size_t i;

  for (i = 0; i < 8; i++)
    {
      out[4 * i] = (uint8_t) (h[i] >> 24);
      out[4 * i + 1] = (uint8_t) (h[i] >> 16);
      out[4 * i + 2] = (uint8_t) (h[i] >> 8);
      out[4 * i + 3] = (uint8_t) h[i];
    }
}

static void
compress (uint32_t h[8], const uint8_t block[64])
{
#if defined(__x86_64__) && defined(__GNUC__)
  if (have_sha_ni ())
    {
      compress_ni (h, block);
      return;
    }
#endif
  compress_c (h, block);
}

void
sha256_init (LnSha256 *ctx)
{
  static const uint32_t iv[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  };

  memcpy (ctx->h, iv, sizeof iv);
  ctx->total = 0;
  ctx->fill = 0;
}

void
sha256_update (LnSha256 *ctx, const void *data, size_t len)
{
  const uint8_t *p = data;

  if (len == 0)
    return;
  ctx->total += len;
  if (ctx->fill)
    {
      size_t take = LN_SHA256_BLOCK - ctx->fill;

      if (take > len)
        take = len;
      memcpy (ctx->block + ctx->fill, p, take);
      ctx->fill += take;
      p += take;
      len -= take;
      if (ctx->fill < LN_SHA256_BLOCK)
        return;
      compress (ctx->h, ctx->block);
      ctx->fill = 0;
    }
  while (len >= LN_SHA256_BLOCK)
    {
      compress (ctx->h, p);
      p += LN_SHA256_BLOCK;
      len -= LN_SHA256_BLOCK;
    }
  if (len)
    {
      memcpy (ctx->block, p, len);
      ctx->fill = len;
    }
}

void
sha256_final (LnSha256 *ctx, uint8_t out[LN_SHA256_LEN])
{
  uint64_t bits = ctx->total * 8;
  int i;

  ctx->block[ctx->fill++] = 0x80;
  if (ctx->fill > 56)
    {
      memset (ctx->block + ctx->fill, 0, LN_SHA256_BLOCK - ctx->fill);
      compress (ctx->h, ctx->block);
      ctx->fill = 0;
    }
  memset (ctx->block + ctx->fill, 0, 56 - ctx->fill);
  for (i = 0; i < 8; i++)
    ctx->block[56 + i] = (uint8_t) (bits >> (56 - 8 * i));
  compress (ctx->h, ctx->block);
  put_state (out, ctx->h);
  wipe_memory (ctx, sizeof *ctx);
}

void
hmac_sha256_init (LnHmacKey *key, const uint8_t *secret, size_t len)
{
  uint8_t pad[LN_SHA256_BLOCK];
  uint8_t hashed[LN_SHA256_LEN];
  size_t i;

  if (len > LN_SHA256_BLOCK)
    {
      LnSha256 tmp;

      sha256_init (&tmp);
      sha256_update (&tmp, secret, len);
      sha256_final (&tmp, hashed);
      secret = hashed;
      len = LN_SHA256_LEN;
    }
  memset (pad, 0x36, sizeof pad);
  for (i = 0; i < len; i++)
    pad[i] ^= secret[i];
  sha256_init (&key->inner);
  sha256_update (&key->inner, pad, sizeof pad);
  memset (pad, 0x5c, sizeof pad);
  for (i = 0; i < len; i++)
    pad[i] ^= secret[i];
  sha256_init (&key->outer);
  sha256_update (&key->outer, pad, sizeof pad);
  wipe_memory (pad, sizeof pad);
  wipe_memory (hashed, sizeof hashed);
}

void
hmac_sha256 (const LnHmacKey *key, const void *data, size_t len,
             uint8_t out[LN_SHA256_LEN])
{
  LnSha256 ctx = key->inner;
  uint8_t inner[LN_SHA256_LEN];

  sha256_update (&ctx, data, len);
  sha256_final (&ctx, inner);
  ctx = key->outer;
  sha256_update (&ctx, inner, sizeof inner);
  sha256_final (&ctx, out);
  wipe_memory (inner, sizeof inner);
}

void
hmac_sha256_16 (const LnHmacKey *key, const uint8_t data[16], uint8_t out[LN_SHA256_LEN])
{
  uint32_t h[8];
  uint8_t block[LN_SHA256_BLOCK];

  /* the keyed states have absorbed exactly one block (hmac_sha256_init) */
  g_assert (key->inner.total == LN_SHA256_BLOCK && key->inner.fill == 0);
#if defined(__x86_64__) && defined(__GNUC__)
  if (have_sha_ni ())
    {
      hmac_16_ni (key, data, out);
      return;
    }
#endif
  /* inner: the 16 bytes, padding, and the length of 64 + 16 bytes */
  memcpy (h, key->inner.h, sizeof h);
  memcpy (block, data, 16);
  block[16] = 0x80;
  memset (block + 17, 0, LN_SHA256_BLOCK - 17 - 8);
  memset (block + 56, 0, 6);
  block[62] = (uint8_t) (((LN_SHA256_BLOCK + 16) * 8) >> 8);
  block[63] = (uint8_t) ((LN_SHA256_BLOCK + 16) * 8);
  compress (h, block);
  /* outer: the inner digest, padding, and the length of 64 + 32 bytes */
  put_state (block, h);
  block[32] = 0x80;
  memset (block + 33, 0, LN_SHA256_BLOCK - 33 - 2);
  block[62] = (uint8_t) (((LN_SHA256_BLOCK + LN_SHA256_LEN) * 8) >> 8);
  block[63] = (uint8_t) ((LN_SHA256_BLOCK + LN_SHA256_LEN) * 8);
  memcpy (h, key->outer.h, sizeof h);
  compress (h, block);
  put_state (out, h);
  /* the first block held the address; the second is its inner hash */
  wipe_memory (block, sizeof block);
}

int
hkdf_sha256 (const uint8_t *salt, size_t salt_len,
             const uint8_t *ikm, size_t ikm_len,
             const uint8_t *info, size_t info_len,
             uint8_t *out, size_t out_len)
{
  static const uint8_t zeros[LN_SHA256_LEN];
  uint8_t prk[LN_SHA256_LEN];
  uint8_t t[LN_SHA256_LEN];
  LnHmacKey key;
  size_t done = 0;
  uint8_t counter = 0;

  if (out_len > 255 * LN_SHA256_LEN)
    return -1;
  /* extract */
  if (salt == NULL || salt_len == 0)
    hmac_sha256_init (&key, zeros, sizeof zeros);
  else
    hmac_sha256_init (&key, salt, salt_len);
  hmac_sha256 (&key, ikm, ikm_len, prk);
  /* expand */
  hmac_sha256_init (&key, prk, sizeof prk);
  while (done < out_len)
    {
      LnSha256 ctx = key.inner;
      uint8_t inner[LN_SHA256_LEN];
      size_t n;

      counter++;
      if (counter > 1)
        sha256_update (&ctx, t, sizeof t);
      sha256_update (&ctx, info, info_len);
      sha256_update (&ctx, &counter, 1);
      sha256_final (&ctx, inner);
      ctx = key.outer;
      sha256_update (&ctx, inner, sizeof inner);
      sha256_final (&ctx, t);
      wipe_memory (inner, sizeof inner);
      n = out_len - done < sizeof t ? out_len - done : sizeof t;
      memcpy (out + done, t, n);
      done += n;
    }
  wipe_memory (prk, sizeof prk);
  wipe_memory (t, sizeof t);
  wipe_memory (&key, sizeof key);
  return 0;
}
