/* visitor.c - the visitor digest (see visitor.h). */
#include "config.h"

#include <string.h>
#include "aes128sw.h"
#include "visitor.h"
#include "wipe.h"

void
visitor_key_init (LnVisitorKey *vk, const uint8_t key[16], gboolean allow_ni)
{
  /* the portable schedule: aes128_expand() lays out the same bytes */
  aes128sw_expand (key, vk->rk);
  vk->ni = allow_ni && aes128_available ();
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The block is built in a register, never in memory: nothing to wipe. */
__attribute__ ((target ("aes,sse4.1")))
static uint64_t
digest_ni (const LnVisitorKey *vk, const LnAddr *addr)
{
  __m128i block;

  if (addr->family == LN_AF_INET)
    {
      uint32_t v4;

      /* ::ffff:a.b.c.d, its bytes in lanes of little-endian words */
      memcpy (&v4, addr->bytes, 4);
      block = _mm_set_epi32 ((int) v4, (int) 0xffff0000u, 0, 0);
    }
  else
    block = _mm_loadu_si128 ((const __m128i *) (const void *) addr->bytes);
  block = aes128_encrypt_block ((const __m128i *) (const void *) vk->rk, block);
  /* the first 8 bytes, little-endian, as the portable code reads them */
  return (uint64_t) _mm_cvtsi128_si64 (block);
}
#endif

static uint64_t
digest_portable (const LnVisitorKey *vk, const LnAddr *addr)
{
  uint8_t block[16];
  uint64_t d = 0;
  int i;

  ipaddr_to_v6_bytes (addr, block);
  aes128sw_encrypt (vk->rk, block, block);
  for (i = 7; i >= 0; i--)
    d = d << 8 | block[i];
  wipe_memory (block, sizeof block);
  return d;
}

uint64_t
visitor_digest (const LnVisitorKey *vk, const LnAddr *addr)
{
#if defined(__x86_64__) && defined(__GNUC__)
  if (G_LIKELY (vk->ni))
    return digest_ni (vk, addr);
#endif
  return digest_portable (vk, addr);
}
