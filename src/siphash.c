/* siphash.c - SipHash-2-4 and -1-3, from the paper's reference description. */
#include "config.h"

#include <glib.h>
#include <string.h>
#include "siphash.h"

#define ROTL(x, b) (uint64_t) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                        \
  do {                                                                  \
    v0 += v1; v1 = ROTL (v1, 13); v1 ^= v0; v0 = ROTL (v0, 32);         \
    v2 += v3; v3 = ROTL (v3, 16); v3 ^= v2;                             \
    v0 += v3; v3 = ROTL (v3, 21); v3 ^= v0;                             \
    v2 += v1; v1 = ROTL (v1, 17); v1 ^= v2; v2 = ROTL (v2, 32);         \
  } while (0)

static inline uint64_t
load_le64 (const uint8_t *p)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  uint64_t v;

  memcpy (&v, p, 8);
  return v;
#else
  return (uint64_t) p[0] | (uint64_t) p[1] << 8 | (uint64_t) p[2] << 16
         | (uint64_t) p[3] << 24 | (uint64_t) p[4] << 32 | (uint64_t) p[5] << 40
         | (uint64_t) p[6] << 48 | (uint64_t) p[7] << 56;
#endif
}

/* One pass, two results: the 128-bit output variant of the reference
 * (v1 ^= 0xee, a second finalisation with 0xdd). */
static inline __attribute__ ((always_inline)) uint64_t
siphash (const uint8_t key[16], const void *data, size_t len, uint64_t *second,
         int c_rounds, int d_rounds)
{
  int r;
  const uint8_t *in = data;
  uint64_t k0 = load_le64 (key), k1 = load_le64 (key + 8);
  uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
  uint64_t v1 = (0x646f72616e646f6dULL ^ k1) ^ (second ? 0xee : 0);
  uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
  uint64_t v3 = 0x7465646279746573ULL ^ k1;
  uint64_t b = (uint64_t) len << 56;
  size_t left = len & 7;
  const uint8_t *end = in + len - left;

  for (; in != end; in += 8)
    {
      uint64_t m = load_le64 (in);
      v3 ^= m;
      for (r = 0; r < c_rounds; r++)
        SIPROUND;
      v0 ^= m;
    }
  switch (left)
    {
    case 7: b |= (uint64_t) in[6] << 48; /* fall through */
    case 6: b |= (uint64_t) in[5] << 40; /* fall through */
    case 5: b |= (uint64_t) in[4] << 32; /* fall through */
    case 4: b |= (uint64_t) in[3] << 24; /* fall through */
    case 3: b |= (uint64_t) in[2] << 16; /* fall through */
    case 2: b |= (uint64_t) in[1] << 8; /* fall through */
    case 1: b |= (uint64_t) in[0]; break;
    default: break;
    }
  v3 ^= b;
  for (r = 0; r < c_rounds; r++)
    SIPROUND;
  v0 ^= b;
  if (second == NULL)
    {
      v2 ^= 0xff;
      for (r = 0; r < d_rounds; r++)
        SIPROUND;
      return v0 ^ v1 ^ v2 ^ v3;
    }
  {
    uint64_t first;

    v2 ^= 0xee;
    for (r = 0; r < d_rounds; r++)
      SIPROUND;
    first = v0 ^ v1 ^ v2 ^ v3;
    v1 ^= 0xdd;
    for (r = 0; r < d_rounds; r++)
      SIPROUND;
    *second = v0 ^ v1 ^ v2 ^ v3;
    return first;
  }
}

uint64_t
siphash24 (const uint8_t key[16], const void *data, size_t len)
{
  return siphash (key, data, len, NULL, 2, 4);
}

uint64_t
siphash24_128 (const uint8_t key[16], const void *data, size_t len, uint64_t *second)
{
  return siphash (key, data, len, second, 2, 4);
}

uint64_t
siphash13 (const uint8_t key[16], const void *data, size_t len)
{
  return siphash (key, data, len, NULL, 1, 3);
}

uint64_t
siphash13_128 (const uint8_t key[16], const void *data, size_t len, uint64_t *second)
{
  return siphash (key, data, len, second, 1, 3);
}
