/* clftime.h - the Common Log Format timestamp "10/Oct/2000:13:55:36 -0700".
 *
 * Parsed by hand into seconds since the epoch (UTC) plus the writer's UTC
 * offset: no strptime/mktime (locale- and TZ-dependent, slow) and no
 * text round trip.  Consecutive lines nearly always share a day and a time
 * zone, so a one-entry cache keyed on those parts leaves only the six digits
 * of the time of day to read.
 */
#ifndef LN_CLFTIME_H
#define LN_CLFTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "span.h"

#define LN_CLFTIME_LEN 26   /* "dd/Mon/yyyy:HH:MM:SS +zzzz" */

typedef struct {
  int64_t epoch;          /* seconds since 1970-01-01T00:00:00Z */
  int32_t utc_offset;     /* seconds east of UTC, e.g. -25200 */
} LnTime;

typedef struct {
  bool valid;
  int64_t midnight;       /* epoch of 00:00:00 local time that day */
  int32_t utc_offset;
  char last[LN_CLFTIME_LEN];  /* the last stamp whole: its day and zone are
                               * the cached ones, and neighbouring lines */
  int64_t last_epoch;         /* mostly share their second */
} LnTimeCache;

/* Parses @text (exactly the bracket contents).  Returns false for anything
 * that is not a valid CLF timestamp (wrong shape, month name, day of month,
 * hour > 23, ...). */
bool clftime_parse (LnSpan text, LnTime *out);

/* As clftime_parse, answering repeated text from @cache. */
bool clftime_parse_cached (LnTimeCache *cache, LnSpan text, LnTime *out);

/* The common case of clftime_parse_cached() inline: the LN_CLFTIME_LEN
 * bytes at @p are the stamp @cache saw last (neighbouring lines mostly
 * share their second).  Two overlapping 16-byte compares with SSE2, four
 * 8-byte ones elsewhere, instead of a memcmp call. */
#if defined (__GNUC__)
__attribute__ ((__always_inline__))
#endif
static inline bool
clftime_cache_last (const LnTimeCache *cache, const char *p, LnTime *out)
{
#ifdef __SSE2__
  const char *last = cache->last;
  __m128i same = _mm_and_si128 (
      _mm_cmpeq_epi8 (_mm_loadu_si128 ((const __m128i *) (const void *) p),
                      _mm_loadu_si128 ((const __m128i *) (const void *) last)),
      _mm_cmpeq_epi8 (_mm_loadu_si128 ((const __m128i *) (const void *) (p + LN_CLFTIME_LEN - 16)),
                      _mm_loadu_si128 ((const __m128i *) (const void *) (last + LN_CLFTIME_LEN - 16))));

  if (!cache->valid || _mm_movemask_epi8 (same) != 0xffff)
    return false;
#else
  uint64_t a[4], b[4];

  memcpy (&a[0], p, 8);
  memcpy (&a[1], p + 8, 8);
  memcpy (&a[2], p + 16, 8);
  memcpy (&a[3], p + LN_CLFTIME_LEN - 8, 8);
  memcpy (&b[0], cache->last, 8);
  memcpy (&b[1], cache->last + 8, 8);
  memcpy (&b[2], cache->last + 16, 8);
  memcpy (&b[3], cache->last + LN_CLFTIME_LEN - 8, 8);
  if (!cache->valid || ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) != 0)
    return false;
#endif
  out->epoch = cache->last_epoch;
  out->utc_offset = cache->utc_offset;
  return true;
}

int64_t clftime_days_from_civil (int64_t y, unsigned m, unsigned d);

/* The inverse: the date of day @days since 1970-01-01. */
void clftime_civil_from_days (int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* floor(a / b) for b > 0, also for negative a. */
static inline int64_t
clftime_floor_div (int64_t a, int64_t b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

#endif /* LN_CLFTIME_H */
