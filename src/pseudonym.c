/* pseudonym.c - HMAC tokens and their cache (see pseudonym.h). */
#include "config.h"

#include <string.h>
#ifdef HAVE_GETRANDOM
#include <sys/random.h>
#endif

#include "aes128.h"
#include "errors.h"
#include "hugemem.h"
#include "i18n.h"
#include "pseudonym.h"
#include "secmem.h"
#include "siphash.h"
#include "wipe.h"

/* 20 bytes, packed: the table is probed at random, so its size in cache
 * lines is what costs (a 32-byte entry made the probe's cache miss 80% of
 * the pseudonym time).  The slot index is the low 32 bits of the first
 * half of a 128-bit keyed digest scaled to the table's size (home_slot),
 * and the tag is the whole second half.
 *
 * False hits: a lookup compares its tag with the entries of one probe run
 * (with linear probing at the 5/8 load where the table is cleared, under
 * two for a hit and about four for a miss, on average), and a foreign
 * entry matches with probability 2^-63 (the tag's low bit is forced to
 * 1), whatever the addresses, since nobody who does not hold the
 * per-process key can choose addresses whose digests agree.  So even 2^40
 * lookups (10^12 lines) give a wrong pseudonym with probability below
 * 2^40 * 4 * 2^-63 = 2^-21. */
typedef struct {
  uint64_t tag;                     /* second digest half, | 1; 0 marks empty */
  uint8_t value[LN_PSEUDONYM_BYTES];
} __attribute__ ((packed)) Entry;

G_STATIC_ASSERT (sizeof (Entry) == LN_PSEUDONYM_SLOT_BYTES);

/* The keys of the slot digest, in secure memory (they would let anyone
 * with a memory image test guesses against the table's tags). */
typedef struct {
  /* AES-NI: the round keys of a random key K, and the current period's
   * whitening W = AES(K, period block) */
  uint8_t rk[16 * LN_AES128_ROUND_KEYS];
  uint8_t period_mask[16];
  uint8_t quad_mask[16];      /* the same for a dotted quad's text */
  uint8_t text6_mask[16];     /* and for an IPv6 address's text */
  /* SipHash fallback: a random key, and the current period's key
   * SipHash-2-4-128(key, period) */
  uint8_t sip[16];
  uint8_t sip_period[16];
  uint8_t sip_quad[16];       /* the same for a dotted quad's text */
  uint8_t sip_text6[16];      /* and for an IPv6 address's text */
} SlotKeys;

struct LnPseudonymCache {
  SlotKeys *keys;                   /* secure memory */
  Entry *slots;
  size_t size;                      /* slots */
  size_t used;
  int64_t period;                   /* the period the *_period keys are for */
  gboolean have_period;
  gboolean aes;
  guint64 hits, misses;
};

/* The slot an index digest probes first: its low 32 bits scaled to the
 * table (a multiply, not a division), so that the table can be any size:
 * one huge page of slots is not a power of two of them. */
static inline size_t
home_slot (const LnPseudonymCache *cache, uint64_t index)
{
  return (size_t) (((uint64_t) (uint32_t) index * cache->size) >> 32);
}

static inline size_t
next_slot (const LnPseudonymCache *cache, size_t i)
{
  return i + 1 == cache->size ? 0 : i + 1;
}

LnPseudonymCache *
pseudonym_cache_new (size_t entries, GError **error)
{
  return pseudonym_cache_new_full (entries, TRUE, error);
}

LnPseudonymCache *
pseudonym_cache_new_full (size_t entries, gboolean allow_aes, GError **error)
{
  LnPseudonymCache *c;
  uint8_t *random;
  size_t n = MAX (entries, 64), got = 0;

  if (!secmem_init (64 * 1024, error))
    return NULL;
  c = g_new0 (LnPseudonymCache, 1);
  c->keys = secmem_alloc (sizeof *c->keys);
  /* 16 bytes of AES key and 16 of SipHash key, drawn into secure memory;
   * the AES key is expanded in place (it is read before the round keys
   * are written) and kept only as round keys */
  random = c->keys->rk;
#ifdef HAVE_GETRANDOM
  while (got < 32)
    {
      ssize_t r = getrandom (random + got, 32 - got, 0);
      if (r <= 0)
        break;
      got += (size_t) r;
    }
#endif
  if (got < 32)
    {
      wipe_memory (c->keys, sizeof *c->keys);
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
                   _("cannot get random bytes from the kernel"));
      g_free (c);
      return NULL;
    }
  memcpy (c->keys->sip, random + 16, 16);
  c->aes = allow_aes && aes128_available ();
  if (c->aes)
    aes128_expand (random, c->keys->rk);
  else
    wipe_memory (random, 32);
  /* in huge pages: it is probed at random, so every page is touched
   * early, and each first touch of a small page faults */
  c->slots = hugemem_alloc0 (n * sizeof (Entry));
  c->size = n;
  return c;
}

void
pseudonym_cache_free (LnPseudonymCache *cache)
{
  if (cache == NULL)
    return;
  /* The table is freed unwiped: it holds tags, digests under the slot keys
   * wiped below (which nobody can test a guess against without them), and
   * pseudonyms, which are output.  Its wipe touched every page of the
   * 2 MiB however few a run had used: 7 ms on a VM for a 10-line log,
   * and three tables under --jobs 2. */
  hugemem_free (cache->slots, cache->size * sizeof (Entry));
  wipe_memory (cache->keys, sizeof *cache->keys);
  g_free (cache);
}

void
pseudonym_cache_counts (const LnPseudonymCache *cache, guint64 *hits, guint64 *misses)
{
  *hits = cache->hits;
  *misses = cache->misses;
}

gboolean
pseudonym_cache_uses_aes (const LnPseudonymCache *cache)
{
  return cache->aes;
}

/* The slot digest must separate periods (an entry holds the token under
 * one period's key), so each period gets its own digest key.  Records
 * arrive in time order, so this runs about once per period.  A dotted
 * quad's text (pseudonym_locate_quad) gets a key of its own as well: its
 * 16-byte block could be some address's bytes too; so does an IPv6
 * address's text (pseudonym_locate_text6). */
static void G_GNUC_NO_INLINE
set_period (LnPseudonymCache *cache, int64_t period)
{
  static const char domains[3][9] = { "lognym-p", "lognym-q", "lognym-6" };
  uint8_t *const masks[3] = { cache->keys->period_mask, cache->keys->quad_mask,
                              cache->keys->text6_mask };
  uint8_t *const sips[3] = { cache->keys->sip_period, cache->keys->sip_quad,
                             cache->keys->sip_text6 };
  uint8_t block[16];
  size_t i, d;

  for (d = 0; d < G_N_ELEMENTS (domains); d++)
    {
      /* the period, and a constant that no 8-byte period prefix makes
       * ambiguous */
      for (i = 0; i < 8; i++)
        block[i] = (uint8_t) ((uint64_t) period >> (8 * i));
      memcpy (block + 8, domains[d], 8);
      if (cache->aes)
        {
          /* AES(K, a XOR W) with W = AES(K, period block): a keyed
           * permutation of the address within one period, and two
           * periods' digests of any two addresses agree only if a1 ^ a2
           * == W1 ^ W2, which nobody can aim at without K. */
          aes128_encrypt (cache->keys->rk, block, masks[d]);
        }
      else
        {
          /* the addresses' key hashes the period alone, as it always has */
          uint64_t hi, lo = siphash24_128 (cache->keys->sip, block, d ? 16 : 8, &hi);

          for (i = 0; i < 8; i++)
            {
              sips[d][i] = (uint8_t) (lo >> (8 * i));
              sips[d][8 + i] = (uint8_t) (hi >> (8 * i));
            }
        }
    }
  wipe_memory (block, sizeof block);
  cache->period = period;
  cache->have_period = TRUE;
}

/* The miss: the HMAC itself, remembered under @tag. */
static void G_GNUC_NO_INLINE
compute_and_insert (LnPseudonymCache *cache, const LnHmacKey *key, const LnAddr *addr,
                    uint64_t index, uint64_t tag, uint8_t out[LN_PSEUDONYM_BYTES])
{
  uint8_t input[16];
  uint8_t digest[LN_SHA256_LEN];
  size_t i;

  cache->misses++;
  ipaddr_to_v6_bytes (addr, input);
  hmac_sha256_16 (key, input, digest);
  memcpy (out, digest, LN_PSEUDONYM_BYTES);
  wipe_memory (input, sizeof input);
  /* the digest is the pseudonym, no secret: no wipe */

  /* Clear at 5/8 load: simpler than eviction, and probing stays short. */
  if (cache->used >= cache->size / 8 * 5)
    {
      memset (cache->slots, 0, cache->size * sizeof (Entry));
      cache->used = 0;
    }
  for (i = home_slot (cache, index); cache->slots[i].tag != 0; i = next_slot (cache, i))
    ;
  cache->slots[i].tag = tag;
  memcpy (cache->slots[i].value, out, LN_PSEUDONYM_BYTES);
  cache->used++;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The address's 16-byte form is built in a register and never stored, so
 * there is nothing to wipe. */
__attribute__ ((target ("aes,sse4.1")))
static void
digest_aes (const LnPseudonymCache *cache, const LnAddr *addr, LnPseudonymSlot *slot)
{
  const __m128i *rk = (const __m128i *) (const void *) cache->keys->rk;
  __m128i a, d;
  uint32_t v4;

  if (addr->family == LN_AF_INET)
    {
      /* ::ffff:a.b.c.d */
      memcpy (&v4, addr->bytes, 4);
      a = _mm_insert_epi32 (_mm_set_epi32 (0, (int) 0xffff0000u, 0, 0), (int) v4, 3);
    }
  else
    a = _mm_loadu_si128 ((const __m128i *) (const void *) addr->bytes);
  /* the period's whitening (see set_period) */
  a = _mm_xor_si128 (a, _mm_load_si128 ((const __m128i *) (const void *)
                                        cache->keys->period_mask));
  d = aes128_encrypt_block (rk, a);
  slot->index = (uint64_t) _mm_cvtsi128_si64 (d);
  slot->tag = (uint64_t) _mm_extract_epi64 (d, 1) | 1;
}
#endif

/* Starts loading @slot's entry (a 20-byte entry may straddle two cache
 * lines).  Not __builtin_prefetch: GCC counts it as no side effect and
 * may drop it with the digest it depends on. */
static inline void
start_loading (const LnPseudonymCache *cache, const LnPseudonymSlot *slot)
{
  const Entry *e = &cache->slots[home_slot (cache, slot->index)];

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  __asm__ __volatile__ ("prefetcht0 %0" : : "m" (*(const char *) e));
  __asm__ __volatile__ ("prefetcht0 %0" : : "m" (((const char *) e)[sizeof *e - 1]));
#else
  __builtin_prefetch (e);
  __builtin_prefetch ((const char *) e + sizeof *e - 1);
#endif
}

/* The slot keys of @period, made if the last ones were another's. */
static inline void
use_period (LnPseudonymCache *cache, int64_t period)
{
  if (G_UNLIKELY (!cache->have_period || cache->period != period))
    set_period (cache, period);
}

/* Without AES-NI: the slot of a text's @block of @size bytes under the
 * SipHash @key, where @taken; the block is wiped either way. */
static gboolean
locate_block_sip (const LnPseudonymCache *cache, const uint8_t key[16], uint8_t *block,
                  size_t size, gboolean taken, LnPseudonymSlot *slot)
{
  if (taken)
    {
      slot->index = siphash13_128 (key, block, size, &slot->tag);
      slot->tag |= 1;
      start_loading (cache, slot);
    }
  wipe_memory (block, size);
  return taken;
}

void
pseudonym_locate (LnPseudonymCache *cache, int64_t period, const LnAddr *addr,
                  LnPseudonymSlot *slot)
{
  use_period (cache, period);
#if defined(__x86_64__) && defined(__GNUC__)
  if (cache->aes)
    digest_aes (cache, addr, slot);
  else
#endif
    {
      uint8_t input[16];

      ipaddr_to_v6_bytes (addr, input);
      slot->index = siphash13_128 (cache->keys->sip_period, input, sizeof input, &slot->tag);
      slot->tag |= 1;
      wipe_memory (input, sizeof input);
    }
  start_loading (cache, slot);
}

/* A dotted quad's text as a block: its bytes, zeros, and its length in the
 * last byte (so that no two texts share one).  FALSE unless @len is 1 to
 * 15 and every byte a digit or a dot. */
static inline gboolean
quad_block_portable (const char *text, size_t len, uint8_t block[16])
{
  size_t i;

  if (len == 0 || len > 15)
    return FALSE;
  memset (block, 0, 16);
  for (i = 0; i < len; i++)
    {
      if ((text[i] < '0' || text[i] > '9') && text[i] != '.')
        return FALSE;
      block[i] = (uint8_t) text[i];
    }
  block[15] = (uint8_t) len;
  return TRUE;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* quad_block_portable() in a register, from one load, and its slot: the
 * text is never stored, so there is nothing to wipe. */
__attribute__ ((target ("aes,sse4.1")))
static gboolean
locate_quad_aes (const LnPseudonymCache *cache, const char *text, size_t len,
                 LnPseudonymSlot *slot)
{
  const __m128i *rk = (const __m128i *) (const void *) cache->keys->rk;
  const __m128i v = _mm_loadu_si128 ((const __m128i *) (const void *) text);
  const __m128i iota = _mm_setr_epi8 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m128i in_text, ok, d;

  if (len - 1 >= 15)
    return FALSE;
  in_text = _mm_cmpgt_epi8 (_mm_set1_epi8 ((char) len), iota);
  /* '0'..'9' (bytes of 0x80 and up compare as negative) or '.' */
  ok = _mm_or_si128 (_mm_and_si128 (_mm_cmpgt_epi8 (v, _mm_set1_epi8 ('0' - 1)),
                                    _mm_cmpgt_epi8 (_mm_set1_epi8 ('9' + 1), v)),
                     _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('.')));
  if ((_mm_movemask_epi8 (_mm_and_si128 (ok, in_text)) ^ _mm_movemask_epi8 (in_text)) != 0)
    return FALSE;
  d = _mm_insert_epi8 (_mm_and_si128 (v, in_text), (int) len, 15);
  d = _mm_xor_si128 (d, _mm_load_si128 ((const __m128i *) (const void *)
                                        cache->keys->quad_mask));
  d = aes128_encrypt_block (rk, d);
  slot->index = (uint64_t) _mm_cvtsi128_si64 (d);
  slot->tag = (uint64_t) _mm_extract_epi64 (d, 1) | 1;
  start_loading (cache, slot);
  return TRUE;
}
#endif

/* pseudonym_locate_quad() in full. */
static gboolean G_GNUC_NO_INLINE
locate_quad_slow (LnPseudonymCache *cache, int64_t period, const char *text, size_t len,
                  LnPseudonymSlot *slot)
{
  uint8_t block[16];

  use_period (cache, period);
#if defined(__x86_64__) && defined(__GNUC__)
  if (cache->aes)
    return locate_quad_aes (cache, text, len, slot);
#endif
  return locate_block_sip (cache, cache->keys->sip_quad, block, sizeof block,
                           quad_block_portable (text, len, block), slot);
}

gboolean
pseudonym_locate_quad (LnPseudonymCache *cache, int64_t period, const char *text, size_t len,
                       LnPseudonymSlot *slot)
{
#if defined(__x86_64__) && defined(__GNUC__)
  /* once a line: a tail call, without the register saves of the rest */
  if (G_LIKELY (cache->aes && cache->have_period && cache->period == period))
    return locate_quad_aes (cache, text, len, slot);
#endif
  return locate_quad_slow (cache, period, text, len, slot);
}

/* An IPv6 address's text as three blocks: its bytes, zeros, and its
 * length in the last byte.  FALSE unless @len is 1 to LN_TEXT6_MAX and
 * every byte a hex digit or a colon. */
static inline gboolean
text6_block_portable (const char *text, size_t len, uint8_t block[48])
{
  size_t i;

  if (len == 0 || len > LN_TEXT6_MAX)
    return FALSE;
  memset (block, 0, 48);
  for (i = 0; i < len; i++)
    {
      char c = text[i];

      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
            || c == ':'))
        return FALSE;
      block[i] = (uint8_t) c;
    }
  block[47] = (uint8_t) len;
  return TRUE;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The part of one 16-byte block of text that is in the text (@left bytes
 * of it, at most 16, maybe none), and whether those are all hex digits or
 * colons. */
__attribute__ ((target ("sse4.1")))
static inline __m128i
text6_part (__m128i v, int left, int *bad)
{
  const __m128i iota = _mm_setr_epi8 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m128i in_text = _mm_cmpgt_epi8 (_mm_set1_epi8 ((char) left), iota);
  /* 'A'..'F' or'ed with 0x20 is 'a'..'f'; bytes of 0x80 and up compare
   * as negative */
  const __m128i lower = _mm_or_si128 (v, _mm_set1_epi8 (0x20));
  const __m128i ok
    = _mm_or_si128 (_mm_or_si128 (_mm_and_si128 (_mm_cmpgt_epi8 (v, _mm_set1_epi8 ('0' - 1)),
                                                 _mm_cmpgt_epi8 (_mm_set1_epi8 ('9' + 1), v)),
                                  _mm_and_si128 (_mm_cmpgt_epi8 (lower, _mm_set1_epi8 ('a' - 1)),
                                                 _mm_cmpgt_epi8 (_mm_set1_epi8 ('f' + 1), lower))),
                    _mm_cmpeq_epi8 (v, _mm_set1_epi8 (':')));

  *bad |= _mm_movemask_epi8 (_mm_andnot_si128 (ok, in_text));
  return _mm_and_si128 (v, in_text);
}

/* text6_block_portable() in registers, and its slot: CBC-MAC under the
 * slot key, whose input always has three blocks (so that CBC-MAC is a
 * pseudorandom function of it), the first whitened with the period's
 * text mask.  The text is never stored. */
__attribute__ ((target ("aes,sse4.1")))
static gboolean
locate_text6_aes (const LnPseudonymCache *cache, const char *text, size_t len,
                  LnPseudonymSlot *slot)
{
  const __m128i *rk = (const __m128i *) (const void *) cache->keys->rk;
  const __m128i *in = (const __m128i *) (const void *) text;
  __m128i b0, b1, b2, d;
  int bad = 0;

  if (len - 1 >= LN_TEXT6_MAX)
    return FALSE;
  b0 = text6_part (_mm_loadu_si128 (in), (int) len, &bad);
  b1 = text6_part (_mm_loadu_si128 (in + 1), (int) len - 16, &bad);
  b2 = text6_part (_mm_loadu_si128 (in + 2), (int) len - 32, &bad);
  if (bad)
    return FALSE;
  b2 = _mm_insert_epi8 (b2, (int) len, 15);
  d = _mm_xor_si128 (b0, _mm_load_si128 ((const __m128i *) (const void *)
                                         cache->keys->text6_mask));
  d = aes128_encrypt_block (rk, d);
  d = aes128_encrypt_block (rk, _mm_xor_si128 (d, b1));
  d = aes128_encrypt_block (rk, _mm_xor_si128 (d, b2));
  slot->index = (uint64_t) _mm_cvtsi128_si64 (d);
  slot->tag = (uint64_t) _mm_extract_epi64 (d, 1) | 1;
  start_loading (cache, slot);
  return TRUE;
}
#endif

gboolean
pseudonym_locate_text6 (LnPseudonymCache *cache, int64_t period, const char *text,
                        size_t len, LnPseudonymSlot *slot)
{
  uint8_t block[48];

  use_period (cache, period);
#if defined(__x86_64__) && defined(__GNUC__)
  if (cache->aes)
    return locate_text6_aes (cache, text, len, slot);
#endif
  return locate_block_sip (cache, cache->keys->sip_text6, block, sizeof block,
                           text6_block_portable (text, len, block), slot);
}

gboolean
pseudonym_probe (LnPseudonymCache *cache, const LnPseudonymSlot *slot,
                 uint8_t out[LN_PSEUDONYM_BYTES])
{
  size_t i;

  for (i = home_slot (cache, slot->index);; i = next_slot (cache, i))
    {
      const Entry *e = &cache->slots[i];

      if (e->tag == slot->tag)
        {
          cache->hits++;
          memcpy (out, e->value, LN_PSEUDONYM_BYTES);
          return TRUE;
        }
      if (e->tag == 0)
        return FALSE;
    }
}

void
pseudonym_insert (LnPseudonymCache *cache, const LnHmacKey *key, const LnPseudonymSlot *slot,
                  const LnAddr *addr, uint8_t out[LN_PSEUDONYM_BYTES])
{
  compute_and_insert (cache, key, addr, slot->index, slot->tag, out);
}

void
pseudonym_lookup (LnPseudonymCache *cache, const LnHmacKey *key, const LnPseudonymSlot *slot,
                  const LnAddr *addr, uint8_t out[LN_PSEUDONYM_BYTES])
{
  if (!pseudonym_probe (cache, slot, out))
    compute_and_insert (cache, key, addr, slot->index, slot->tag, out);
}

void
pseudonym_compute (LnPseudonymCache *cache, const LnHmacKey *key, int64_t period,
                   const LnAddr *addr, uint8_t out[LN_PSEUDONYM_BYTES])
{
  LnPseudonymSlot slot;

  pseudonym_locate (cache, period, addr, &slot);
  pseudonym_lookup (cache, key, &slot, addr, out);
}

/* Base32 of 40 bits at once: the eight 5-bit groups are spread into the
 * eight bytes of a word (most significant group into the lowest byte,
 * which is written first), then mapped to the alphabet without a table:
 * 0..25 -> 'a'..'z' is +97, 26..31 -> '2'..'7' is +24. */
static inline void
base32_40 (uint64_t v, char out[8])
{
  const uint64_t ones = 0x0101010101010101ULL;
  uint64_t t, big;

  t = (v >> 20 & 0xfffff) | (v & 0xfffff) << 32;
  t = (t >> 10 & 0x000003ff000003ffULL) | (t & 0x000003ff000003ffULL) << 16;
  t = (t >> 5 & 0x001f001f001f001fULL) | (t & 0x001f001f001f001fULL) << 8;
  /* per byte: 1 where the group is 26 or more (x + 102 reaches 128; no
   * byte overflows, as x <= 31) */
  big = ((t + 102 * ones) >> 7) & ones;
  t = t + 97 * ones - big * 73;
  t = GUINT64_TO_LE (t);
  memcpy (out, &t, 8);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <tmmintrin.h>

/* pseudonym_format_token() with SSSE3: the 16 groups of 5 bits at once.
 * Group g starts at bit 5g, in byte 5g / 8: a shuffle puts that byte and
 * the next into a 16-bit lane (big-endian, as a number), a multiply-high
 * by 2^(16 - s) shifts the lane right by the s = 11 - 5g % 8 bits after
 * the group, and a mask keeps its 5 bits.  The shifts repeat every 8
 * groups (40 bits), so both halves take the same multipliers. */
__attribute__ ((target ("ssse3"))) static void
format_token_ssse3 (const uint8_t digest[LN_PSEUDONYM_BYTES], char *out)
{
  uint64_t lo;
  uint32_t hi;
  __m128i bytes, first, second, v, big;

  /* bytes 0..11, without reading past the digest */
  memcpy (&lo, digest, 8);
  memcpy (&hi, digest + 8, 4);
  bytes = _mm_set_epi32 (0, (int) hi, (int) (lo >> 32), (int) lo);
  first = _mm_shuffle_epi8 (bytes, _mm_setr_epi8 (1, 0, 1, 0, 2, 1, 2, 1,
                                                  3, 2, 4, 3, 4, 3, 5, 4));
  second = _mm_shuffle_epi8 (bytes, _mm_setr_epi8 (6, 5, 6, 5, 7, 6, 7, 6,
                                                   8, 7, 9, 8, 9, 8, 10, 9));
  {
    const __m128i shift = _mm_setr_epi16 (32, 1024, 128, 4096, 512, 64, 2048, 256);
    const __m128i five = _mm_set1_epi16 (0x1f);

    first = _mm_and_si128 (_mm_mulhi_epu16 (first, shift), five);
    second = _mm_and_si128 (_mm_mulhi_epu16 (second, shift), five);
  }
  v = _mm_packus_epi16 (first, second);
  /* 0..25 -> 'a'..'z' is +97, 26..31 -> '2'..'7' is +24 */
  big = _mm_cmpgt_epi8 (v, _mm_set1_epi8 (25));
  v = _mm_add_epi8 (_mm_add_epi8 (v, _mm_set1_epi8 (97)),
                    _mm_and_si128 (big, _mm_set1_epi8 (-73)));
  _mm_storeu_si128 ((__m128i *) (void *) out, v);
}
#endif

size_t
pseudonym_format_token (const uint8_t digest[LN_PSEUDONYM_BYTES], char *out)
{
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports ("ssse3"))
    {
      format_token_ssse3 (digest, out);
      return LN_TOKEN_LEN;
    }
#endif
  return pseudonym_format_token_portable (digest, out);
}

size_t
pseudonym_format_token_portable (const uint8_t digest[LN_PSEUDONYM_BYTES], char *out)
{
  uint64_t a, b;

  /* 80 bits = two 40-bit halves of 8 groups of 5 bits, most significant
   * first: bytes 0..4 and 5..9, from two big-endian 8-byte loads (bytes
   * 0..7 and 2..9; the digest has 12) */
  memcpy (&a, digest, 8);
  memcpy (&b, digest + 2, 8);
  a = GUINT64_FROM_BE (a);
  b = GUINT64_FROM_BE (b);
  base32_40 (a >> 24, out);
  base32_40 (b & 0xffffffffffULL, out + 8);
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
