/* durhist.h - mergeable duration histograms for aggregate quantiles.
 *
 * Log-linear buckets over microseconds, in the manner of HDR histograms:
 * every value below 128 has a bucket of its own, and each power of two
 * above is cut into 64 equal buckets, so a bucket is never wider than
 * 1/64 of its lower bound.  A quantile is reported as the middle of the
 * bucket that holds the exact (nearest-rank) quantile, which is therefore
 * off by at most 1/128 (0.8%) of it.  Buckets are fixed, so two
 * histograms merge exactly by adding counts: the quantiles of a merge are
 * those of the whole.
 *
 * Only the buckets in use are kept, sorted, 8 bytes each (bucket index in
 * the top 12 bits, count in the low 52), so a row whose requests took a
 * handful of distinct times costs a few dozen bytes.
 */
#ifndef LN_DURHIST_H
#define LN_DURHIST_H

#include <glib.h>
#include <stdint.h>

typedef struct {
  uint64_t *entries;     /* bucket << 52 | count, sorted by bucket */
  uint32_t n;
  uint32_t cap;
} LnDurHist;

void durhist_init (LnDurHist *h);
void durhist_clear (LnDurHist *h);

/* Counts one duration of @us microseconds. */
void durhist_add (LnDurHist *h, uint64_t us);

/* Adds the counts of @src to @dst. */
void durhist_merge (LnDurHist *dst, const LnDurHist *src);

/* The number of durations counted. */
uint64_t durhist_count (const LnDurHist *h);

/* The @percent-th percentile (1..100, nearest rank) in microseconds, the
 * middle of its bucket.  FALSE when nothing was counted. */
gboolean durhist_quantile (const LnDurHist *h, unsigned percent, uint64_t *us);

/* Bytes the histogram occupies. */
size_t durhist_memory (const LnDurHist *h);

/* Appends "BUCKET:COUNT,BUCKET:COUNT..." (decimal, buckets ascending), or
 * "-" for an empty histogram. */
void durhist_serialize (const LnDurHist *h, GString *out);

/* Parses what durhist_serialize wrote into an empty @h.  FALSE (and @h
 * left empty) for malformed text. */
gboolean durhist_deserialize (LnDurHist *h, const char *text);

#endif /* LN_DURHIST_H */
