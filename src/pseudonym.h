/* pseudonym.h - keyed pseudonyms for client addresses.
 *
 * token = HMAC-SHA-256(period key, address as 16 bytes, IPv4 as
 * IPv4-mapped IPv6).  Written as:
 *   hmac        16 lower-case base32 characters (RFC 4648 alphabet) of the
 *               first 80 bits: "k7dq3xw2mbpz4n5a";
 *   hmac-ipv6   the first 96 bits inside 2001:db8::/32, the documentation
 *               prefix of RFC 3849 that is never routed:
 *               "2001:db8:4f2a:91c3:77e0:1b5d:c29a:03fe";
 *   truncate+hmac  "NETWORK-TOKEN", e.g. "192.0.2.0-k7dq3xw2mbpz4n5a".
 *
 * Computing an HMAC costs two SHA-256 compressions; logs repeat addresses,
 * so results are memoised in a bounded cache.  The cache is never keyed by
 * the raw address: its key is a 128-bit keyed digest of (address, period)
 * under a random per-process key kept in secure memory (one AES-128
 * encryption with AES-NI, SipHash-1-3 without), and the cache is cleared
 * when it fills.  It holds only digests and output tokens.
 */
#ifndef LN_PSEUDONYM_H
#define LN_PSEUDONYM_H

#include <glib.h>
#include <stdint.h>
#include "hugemem.h"
#include "ipaddr.h"
#include "sha256.h"

#define LN_TOKEN_LEN 16           /* base32 characters */
#define LN_TOKEN_BITS 80
#define LN_PSEUDONYM_BYTES 12     /* what the cache keeps: 96 bits */

typedef struct LnPseudonymCache LnPseudonymCache;

/* The memory a cache slot takes. */
#define LN_PSEUDONYM_SLOT_BYTES 20

/* The slots of one huge page (hugemem.h), 104,857: the table a run uses,
 * which keeps 65,535 clients of a period before it is cleared. */
#define LN_PSEUDONYM_DEFAULT_SLOTS (LN_HUGE_PAGE_BYTES / LN_PSEUDONYM_SLOT_BYTES)

/* A cache of @entries slots (at least 64), cleared when 5/8 of them are
 * used.  FALSE with @error if no random cache key can be had. */
LnPseudonymCache *pseudonym_cache_new (size_t entries, GError **error);

/* The same, and with @allow_aes FALSE the slot digest is SipHash even
 * where the CPU has AES-NI (for the tests of both). */
LnPseudonymCache *pseudonym_cache_new_full (size_t entries, gboolean allow_aes,
                                            GError **error);

/* TRUE when the slot digest is AES-NI. */
gboolean pseudonym_cache_uses_aes (const LnPseudonymCache *cache);

void pseudonym_cache_free (LnPseudonymCache *cache);

/* The first LN_PSEUDONYM_BYTES of HMAC(@key, address) for @addr in period
 * @period, into @out.  @addr is not modified; the caller wipes it. */
void pseudonym_compute (LnPseudonymCache *cache, const LnHmacKey *key, int64_t period,
                        const LnAddr *addr, uint8_t out[LN_PSEUDONYM_BYTES]);

/* pseudonym_compute() in two steps, so that the cache slot, which is
 * probed at random in a table bigger than the CPU's caches and whose load
 * is most of a cache hit's cost, can load while the caller does other
 * work.  pseudonym_locate() computes @addr's slot digest for @period and
 * starts loading the slot; pseudonym_lookup() then answers for the same
 * @addr (needed on a miss), as pseudonym_compute() would.  The slot is a
 * keyed digest, no secret and no address. */
typedef struct {
  uint64_t index;
  uint64_t tag;
} LnPseudonymSlot;

void pseudonym_locate (LnPseudonymCache *cache, int64_t period, const LnAddr *addr,
                       LnPseudonymSlot *slot);
void pseudonym_lookup (LnPseudonymCache *cache, const LnHmacKey *key,
                       const LnPseudonymSlot *slot, const LnAddr *addr,
                       uint8_t out[LN_PSEUDONYM_BYTES]);

/* pseudonym_locate() for a dotted quad still in text form, so that a hit
 * needs no parse: @len bytes at @text (16 bytes there must be readable),
 * 1 to 15 of them, digits and dots only; FALSE for any other text.  Its
 * slot is keyed apart from the addresses' slots, so an address met both
 * as text and parsed has two entries, each with its HMAC.  The caller
 * must probe it with pseudonym_probe() and, on a miss, parse the text
 * and give the result to pseudonym_insert(), only if it is an address:
 * then an entry under a text's slot always holds the HMAC of that text's
 * address. */
gboolean pseudonym_locate_quad (LnPseudonymCache *cache, int64_t period, const char *text,
                                size_t len, LnPseudonymSlot *slot);

/* The same for an IPv6 address still in text form: @len bytes at @text
 * (48 bytes there must be readable), 1 to LN_TEXT6_MAX of them, hex
 * digits and colons only (so never a dotted quad's text: an address with
 * an IPv4 tail, a zone or brackets is parsed instead); FALSE for any
 * other text.  Its slots are keyed apart from both other kinds, and it is
 * used as pseudonym_locate_quad() is. */
#define LN_TEXT6_MAX 39
gboolean pseudonym_locate_text6 (LnPseudonymCache *cache, int64_t period, const char *text,
                                 size_t len, LnPseudonymSlot *slot);

/* pseudonym_lookup() in two steps: the digest at @slot into @out, TRUE on
 * a hit; after a miss, pseudonym_insert() computes it for @addr and
 * remembers it at @slot. */
gboolean pseudonym_probe (LnPseudonymCache *cache, const LnPseudonymSlot *slot,
                          uint8_t out[LN_PSEUDONYM_BYTES]);
void pseudonym_insert (LnPseudonymCache *cache, const LnHmacKey *key,
                       const LnPseudonymSlot *slot, const LnAddr *addr,
                       uint8_t out[LN_PSEUDONYM_BYTES]);

/* Encoders; each returns the number of bytes written (no NUL). */
size_t pseudonym_format_token (const uint8_t digest[LN_PSEUDONYM_BYTES], char *out);
/* The same without SSSE3, as pseudonym_format_token() runs where the CPU
 * has none; for the tests of both. */
size_t pseudonym_format_token_portable (const uint8_t digest[LN_PSEUDONYM_BYTES], char *out);
size_t pseudonym_format_ipv6 (const uint8_t digest[LN_PSEUDONYM_BYTES], char *out);

/* Cache statistics, for --stats and the benchmark. */
void pseudonym_cache_counts (const LnPseudonymCache *cache, guint64 *hits, guint64 *misses);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LnPseudonymCache, pseudonym_cache_free)

#endif /* LN_PSEUDONYM_H */
