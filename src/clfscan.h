/* clfscan.h - inline scans of the CLF family's quoted values and numbers.
 *
 * Shared by the one-pass CLF parser (parse.c, parse_clf) and the fused
 * line path (fastlane.c), which must accept exactly the same lines: one
 * copy of each test keeps the two from drifting apart.
 */
#ifndef LN_CLFSCAN_H
#define LN_CLFSCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "bytescan.h"

#if defined (__GNUC__)
# define LN_CLFSCAN_INLINE inline __attribute__ ((__always_inline__))
#else
# define LN_CLFSCAN_INLINE inline
#endif

#ifdef LN_HAVE_SSE2
/* One bit per byte of the 16 at @p that is a '"' or a '\\'. */
static LN_CLFSCAN_INLINE unsigned
quote_mask (const char *p)
{
  __m128i v = _mm_loadu_si128 ((const __m128i *) (const void *) p);

  return (unsigned) _mm_movemask_epi8 (
      _mm_or_si128 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('"')),
                    _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('\\'))));
}
#endif

/* The first '"' or '\\' in [p, end), or NULL: where a quoted value ends if
 * it holds no escape.  32 bytes per step, inline: the request and referer
 * are a few dozen bytes, and a call with its set-up cost as much as the
 * search.  @base as for scan_byte_in(). */
static LN_CLFSCAN_INLINE const char *
scan_quote (const char *base, const char *p, const char *end)
{
#ifdef LN_HAVE_SSE2
  unsigned mask;

  while (end - p >= 32)
    {
      mask = quote_mask (p) | (quote_mask (p + 16) << 16);
      if (mask)
        return p + __builtin_ctz (mask);
      p += 32;
    }
  if (end - p >= 16)
    {
      mask = quote_mask (p);
      if (mask)
        return p + __builtin_ctz (mask);
      p += 16;
    }
  if (p < end && end - base >= 16)
    {
      const char *tail = end - 16;

      mask = quote_mask (tail) & (~0u << (p - tail)) & 0xffffu;
      return mask ? tail + __builtin_ctz (mask) : NULL;
    }
#else
  (void) base;
#endif
  for (; p < end; p++)
    if (*p == '"' || *p == '\\')
      return p;
  return NULL;
}

/* Whether [p, end) holds a '"' or a '\\': the user agent, whose closing
 * quote is known to be the line's last byte, only needs a yes or no, so
 * the masks of the whole value are or-ed and tested once. */
static LN_CLFSCAN_INLINE bool
has_quote (const char *base, const char *p, const char *end)
{
#ifdef LN_HAVE_SSE2
  unsigned acc = 0;

  while (end - p >= 32)
    {
      acc |= quote_mask (p) | quote_mask (p + 16);
      p += 32;
    }
  if (end - p >= 16)
    {
      acc |= quote_mask (p);
      p += 16;
    }
  if (p < end && end - base >= 16)
    {
      const char *tail = end - 16;

      /* bytes before p were tested already, or are not the value's */
      acc |= quote_mask (tail) & (~0u << (p - tail)) & 0xffffu;
      p = end;
    }
  if (acc)
    return true;
#else
  (void) base;
#endif
  for (; p < end; p++)
    if (*p == '"' || *p == '\\')
      return true;
  return false;
}

/* The end of the run of ASCII digits at @p. */
static LN_CLFSCAN_INLINE const char *
skip_digits (const char *p, const char *end)
{
#if defined (__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  /* eight bytes at once: a byte is a digit when x = byte ^ '0' is below
   * 10, i.e. neither x nor x + 0x76 has its top bit set.  A carry out of a
   * byte only spoils later bytes, never the first non-digit. */
  if (end - p >= 8)
    {
      uint64_t v, x, bad;

      memcpy (&v, p, 8);
      x = v ^ UINT64_C (0x3030303030303030);
      bad = ((x + UINT64_C (0x7676767676767676)) | x) & UINT64_C (0x8080808080808080);
      if (bad)
        return p + (__builtin_ctzll (bad) >> 3);
      p += 8;
    }
#endif
  while (p < end && (unsigned) (*p - '0') <= 9)
    p++;
  return p;
}

/* The end of %b at @p, the response size: "-" or 1 to 20 digits; NULL
 * for anything else.  What follows it is the caller's to check. */
static inline const char *
bytes_end (const char *p, const char *end)
{
  const char *q = skip_digits (p, end);

  if (q == p)
    return p != end && *p == '-' ? p + 1 : NULL;
  return q - p > 20 ? NULL : q;
}

#endif /* LN_CLFSCAN_H */
