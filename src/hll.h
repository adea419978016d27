/* hll.h - HyperLogLog distinct counts over 64-bit keyed digests.
 *
 * Counts visitors without keeping a set of addresses: the anonymiser hands
 * in a keyed digest of the raw address (visitor.h), and only
 * the sketch's registers are kept.  Precision 12: 4096 registers, standard
 * error 1.04/sqrt(4096) = 1.6%.  A sketch starts sparse (a short list of
 * register updates, a few hundred bytes) and turns dense (4096 bytes) only
 * when that is smaller, so most rows of an aggregate stay small.  Sketches
 * made with the same key merge exactly (register-wise maximum), which is
 * what lets partial aggregates from many machines combine.
 */
#ifndef LN_HLL_H
#define LN_HLL_H

#include <glib.h>
#include <stdint.h>

#define LN_HLL_P 12
#define LN_HLL_M (1u << LN_HLL_P)

typedef struct {
  uint8_t *dense;        /* LN_HLL_M registers, or NULL while sparse */
  uint32_t *sparse;      /* (index << 8 | rank) entries, unsorted */
  uint32_t nsparse;
  uint32_t capsparse;
} LnHll;

void hll_init (LnHll *hll);
void hll_clear (LnHll *hll);

/* Adds the element whose 64-bit digest is @hash. */
void hll_add (LnHll *hll, uint64_t hash);

/* Register-wise maximum: @dst becomes the union of @dst and @src. */
void hll_merge (LnHll *dst, const LnHll *src);

/* The estimated number of distinct elements added. */
double hll_estimate (const LnHll *hll);

/* Bytes the sketch occupies (for the memory-per-row figure). */
size_t hll_memory (const LnHll *hll);

/* Serialises to text (base64 of the 4096 registers, or of the sparse
 * entries prefixed "s:"), appended to @out. */
void hll_serialize (const LnHll *hll, GString *out);

/* Parses what hll_serialize wrote.  FALSE for malformed text. */
gboolean hll_deserialize (LnHll *hll, const char *text);

#endif /* LN_HLL_H */
