/* visitor.h - the keyed digest of a client address that visitor sketches
 * count (hll.h, agg.h).
 *
 * One AES-128 block under the sketch key over the address's 16-byte form
 * (IPv4 as ::ffff:a.b.c.d, so that both spellings of an address are one
 * visitor); the digest is the first 8 bytes of the ciphertext, read
 * little-endian.  A keyed permutation: without the key the digests say
 * nothing of the addresses, and two addresses share a digest by chance
 * only.  AES-NI where the CPU has it (some 30 instructions, against 220
 * for the SipHash-2-4 that partials before lognym-partial-v3 used), else
 * portable C (aes128sw.h) with the same bits: partials made on any
 * machine merge.
 */
#ifndef LN_VISITOR_H
#define LN_VISITOR_H

#include <glib.h>
#include <stdint.h>
#include "aes128.h"
#include "ipaddr.h"

typedef struct {
  _Alignas (16) uint8_t rk[16 * LN_AES128_ROUND_KEYS];  /* the round keys */
  gboolean ni;                            /* TRUE: AES-NI computes the digest */
} LnVisitorKey;

/* Fills @vk from the 16-byte sketch key @key.  @vk belongs in secure
 * memory.  @allow_ni FALSE keeps the
 * portable code even where the CPU has AES-NI (the tests run both). */
void visitor_key_init (LnVisitorKey *vk, const uint8_t key[16], gboolean allow_ni);

/* The digest of @addr (IPv4 or IPv6) under @vk. */
uint64_t visitor_digest (const LnVisitorKey *vk, const LnAddr *addr);

#endif /* LN_VISITOR_H */
