/* pseudonym.c - HMAC tokens and their cache (see pseudonym.h). */
#include "config.h"

#include <string.h>
#ifdef HAVE_GETRANDOM
#include <sys/random.h>
#endif

#include "errors.h"
#include "i18n.h"
#include "pseudonym.h"
#include "secmem.h"
#include "siphash.h"
#include "wipe.h"

/* 20 bytes, packed: the table is probed at random, so its size in cache
 * lines is what costs (a 32-byte entry made the probe's cache miss 80% of
 * the pseudonym time).  The slot index takes the low bits of the first
 * half of a 128-bit keyed digest and the tag is the whole second half, so
 * a false hit needs 64 + log2(slots) bits to agree by chance. */
typedef struct {
  uint64_t tag;                     /* second digest half, | 1; 0 marks empty */
  uint8_t value[LN_PSEUDONYM_BYTES];
} __attribute__ ((packed)) Entry;

struct LnPseudonymCache {
  uint8_t *sipkey;                  /* 32 bytes of secure memory */
  Entry *slots;
  size_t mask;
  size_t used;
  guint64 hits, misses;
};

LnPseudonymCache *
pseudonym_cache_new (size_t entries, GError **error)
{
  LnPseudonymCache *c;
  size_t n = 64, got = 0;

  if (!secmem_init (64 * 1024, error))
    return NULL;
  while (n < entries)
    n *= 2;
  c = g_new0 (LnPseudonymCache, 1);
  c->sipkey = secmem_alloc (32);
#ifdef HAVE_GETRANDOM
  while (got < 32)
    {
      ssize_t r = getrandom (c->sipkey + got, 32 - got, 0);
      if (r <= 0)
        break;
      got += (size_t) r;
    }
#endif
  if (got < 32)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
                   _("cannot get random bytes from the kernel"));
      g_free (c);
      return NULL;
    }
  c->slots = g_new0 (Entry, n);
  c->mask = n - 1;
  return c;
}

void
pseudonym_cache_free (LnPseudonymCache *cache)
{
  if (cache == NULL)
    return;
  wipe_memory (cache->slots, (cache->mask + 1) * sizeof (Entry));
  g_free (cache->slots);
  wipe_memory (cache->sipkey, 32);
  g_free (cache);
}

void
pseudonym_cache_counts (const LnPseudonymCache *cache, guint64 *hits, guint64 *misses)
{
  *hits = cache->hits;
  *misses = cache->misses;
}

void
pseudonym_compute (LnPseudonymCache *cache, const LnHmacKey *key, int64_t period,
                   const LnAddr *addr, uint8_t out[LN_PSEUDONYM_BYTES])
{
  uint8_t input[24];
  uint8_t digest[LN_SHA256_LEN];
  uint64_t d0, d1;
  size_t i;

  ipaddr_to_v6_bytes (addr, input);
  for (i = 0; i < 8; i++)
    input[16 + i] = (uint8_t) ((uint64_t) period >> (8 * i));
  d0 = siphash13_128 (cache->sipkey, input, sizeof input, &d1);

  d1 |= 1;
  for (i = d0 & cache->mask;; i = (i + 1) & cache->mask)
    {
      Entry *e = &cache->slots[i];

      if (e->tag == d1)
        {
          cache->hits++;
          memcpy (out, e->value, LN_PSEUDONYM_BYTES);
          wipe_memory (input, sizeof input);
          return;
        }
      if (e->tag == 0)
        break;
    }

  cache->misses++;
  hmac_sha256 (key, input, 16, digest);
  memcpy (out, digest, LN_PSEUDONYM_BYTES);
  wipe_memory (input, sizeof input);
  wipe_memory (digest, sizeof digest);

  /* Clear at half load: simpler than eviction, and probing stays short. */
  if (cache->used >= (cache->mask + 1) / 2)
    {
      memset (cache->slots, 0, (cache->mask + 1) * sizeof (Entry));
      cache->used = 0;
    }
  for (i = d0 & cache->mask; cache->slots[i].tag != 0; i = (i + 1) & cache->mask)
    ;
  cache->slots[i].tag = d1;
  memcpy (cache->slots[i].value, out, LN_PSEUDONYM_BYTES);
  cache->used++;
}

size_t
pseudonym_format_token (const uint8_t digest[LN_PSEUDONYM_BYTES], char *out)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

  size_t half;

  /* 80 bits = two 40-bit halves of 8 groups of 5 bits, most significant
   * first */
  for (half = 0; half < 2; half++)
    {
      const uint8_t *d = digest + 5 * half;
      uint64_t v = (uint64_t) d[0] << 32 | (uint64_t) d[1] << 24 | (uint64_t) d[2] << 16
                   | (uint64_t) d[3] << 8 | d[4];
      size_t i;

      for (i = 0; i < 8; i++)
        out[8 * half + i] = alphabet[(v >> (35 - 5 * i)) & 31];
    }
  return LN_TOKEN_LEN;
}

size_t
pseudonym_format_ipv6 (const uint8_t digest[LN_PSEUDONYM_BYTES], char *out)
{
  LnAddr a;

  a.family = LN_AF_INET6;
  a.bytes[0] = 0x20;
  a.bytes[1] = 0x01;
  a.bytes[2] = 0x0d;
  a.bytes[3] = 0xb8;
  memcpy (a.bytes + 4, digest, 12);
  return ipaddr_format (&a, out);
}
