/* bytescan.h - inline byte searches for the per-line path.
 *
 * glibc's memchr is fast on long spans, but most fields of a log line are a
 * few bytes long and a call through the PLT costs more than the search.
 * These helpers test 16 bytes at a time with SSE2 (baseline on x86-64) and
 * fall back to plain loops elsewhere; they never read outside [p, end).
 */
#ifndef LN_BYTESCAN_H
#define LN_BYTESCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define LN_HAVE_SSE2 1
#endif

/* First @c in [p, end), or NULL.  @base <= p is the start of the memory
 * that may be read: when fewer than 16 bytes remain, the last 16 bytes
 * before @end are tested instead of a byte loop, which needs end - 16 >=
 * base.  Pass base = p when nothing before p may be read. */
static inline const char *
scan_byte_in (const char *base, const char *p, const char *end, char c)
{
#ifdef LN_HAVE_SSE2
  const __m128i needle = _mm_set1_epi8 (c);

  while (end - p >= 16)
    {
      __m128i v = _mm_loadu_si128 ((const __m128i *) (const void *) p);
      unsigned mask = (unsigned) _mm_movemask_epi8 (_mm_cmpeq_epi8 (v, needle));

      if (mask)
        return p + __builtin_ctz (mask);
      p += 16;
    }
  if (p < end && end - base >= 16)
    {
      const char *tail = end - 16;
      __m128i v = _mm_loadu_si128 ((const __m128i *) (const void *) tail);
      unsigned mask = (unsigned) _mm_movemask_epi8 (_mm_cmpeq_epi8 (v, needle));

      mask &= ~0u << (p - tail);      /* ignore bytes before p */
      mask &= 0xffffu;
      return mask ? tail + __builtin_ctz (mask) : NULL;
    }
#else
  (void) base;
#endif
  for (; p < end; p++)
    if (*p == c)
      return p;
  return NULL;
}

static inline const char *
scan_byte (const char *p, const char *end, char c)
{
  return scan_byte_in (p, p, end, c);
}

/* First of @a or @b in [p, end), or NULL; @base as for scan_byte_in. */
static inline const char *
scan_byte2_in (const char *base, const char *p, const char *end, char a, char b)
{
#ifdef LN_HAVE_SSE2
  const __m128i na = _mm_set1_epi8 (a);
  const __m128i nb = _mm_set1_epi8 (b);

  while (end - p >= 16)
    {
      __m128i v = _mm_loadu_si128 ((const __m128i *) (const void *) p);
      unsigned mask = (unsigned) _mm_movemask_epi8 (
          _mm_or_si128 (_mm_cmpeq_epi8 (v, na), _mm_cmpeq_epi8 (v, nb)));

      if (mask)
        return p + __builtin_ctz (mask);
      p += 16;
    }
  if (p < end && end - base >= 16)
    {
      const char *tail = end - 16;
      __m128i v = _mm_loadu_si128 ((const __m128i *) (const void *) tail);
      unsigned mask = (unsigned) _mm_movemask_epi8 (
          _mm_or_si128 (_mm_cmpeq_epi8 (v, na), _mm_cmpeq_epi8 (v, nb)));

      mask &= ~0u << (p - tail);
      mask &= 0xffffu;
      return mask ? tail + __builtin_ctz (mask) : NULL;
    }
#else
  (void) base;
#endif
  for (; p < end; p++)
    if (*p == a || *p == b)
      return p;
  return NULL;
}

/* True when the @len bytes at @p equal @lit; for the 1-3 byte separators of
 * a log format this beats a memcmp call. */
static inline int
bytes_equal (const char *p, const char *lit, size_t len)
{
  size_t i;

  for (i = 0; i < len; i++)
    if (p[i] != lit[i])
      return 0;
  return 1;
}

/* Copies @n bytes, @size <= n <= 2 * @size, as two moves of @size bytes
 * that overlap in the middle: both read before either is written. */
#define COPY_TWO_MOVES(type, dst, src, n) \
  do { \
    type a_, b_; \
    memcpy (&a_, (src), sizeof a_); \
    memcpy (&b_, (src) + (n) - sizeof b_, sizeof b_); \
    memcpy ((dst), &a_, sizeof a_); \
    memcpy ((dst) + (n) - sizeof b_, &b_, sizeof b_); \
  } while (0)

/* Copies @n <= 16 bytes with overlapping fixed-size moves. */
static inline void
copy_short (char *dst, const char *src, size_t n)
{
  if (n >= 8)
    COPY_TWO_MOVES (uint64_t, dst, src, n);
  else if (n >= 4)
    COPY_TWO_MOVES (uint32_t, dst, src, n);
  else if (n >= 2)
    COPY_TWO_MOVES (uint16_t, dst, src, n);
  else if (n)
    dst[0] = src[0];
}

/* memcpy for the short pieces of a log line: overlapping fixed-size moves
 * instead of a library call for anything up to 16 bytes. */
static inline void
copy_bytes (char *dst, const char *src, size_t n)
{
  if (n <= 16)
    {
      copy_short (dst, src, n);
      return;
    }
  memcpy (dst, src, n);
}

/* The @n <= 8 bytes at @src in the low bytes of a word (byte i of the
 * text in bits 8i to 8i+7), the rest zero; reads only [src, src + n).
 * Made in registers from two overlapping loads: a word read back from a
 * buffer just written in smaller pieces (copy_short()) waits until the
 * stores are done, the processor's store-to-load forwarding failing, and
 * that stall cost more than the rest of a short value's handling.
 * Little-endian only (LN_LOAD_SHORT). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
# define LN_LOAD_SHORT 1
static inline uint64_t
load_short_word (const char *src, size_t n)
{
  if (n >= 4)
    {
      uint32_t a, b;

      /* the overlap holds the same bytes in both: or-ing keeps them */
      memcpy (&a, src, 4);
      memcpy (&b, src + n - 4, 4);
      return (uint64_t) a | (uint64_t) b << (8 * (n - 4));
    }
  if (n >= 2)
    {
      uint16_t a, b;

      memcpy (&a, src, 2);
      memcpy (&b, src + n - 2, 2);
      return (uint64_t) a | (uint64_t) b << (8 * (n - 2));
    }
  return n ? (unsigned char) src[0] : 0;
}
#endif

#ifdef LN_HAVE_SSE2
/* The @n <= 16 bytes at @src in a vector, the rest zero; reads only
 * [src, src + n).  Made in registers, as load_short_word() (x86: little
 * endian, so LN_LOAD_SHORT). */
static inline __m128i
load_short_vector (const char *src, size_t n)
{
  uint64_t lo, hi;

  if (n < 8)
    return _mm_cvtsi64_si128 ((long long) load_short_word (src, n));
  memcpy (&lo, src, 8);
  memcpy (&hi, src + n - 8, 8);
  /* bytes 8 to n-1 are the last n-8 of the second load */
  hi = n > 8 ? hi >> (8 * (16 - n)) : 0;
  return _mm_set_epi64x ((long long) hi, (long long) lo);
}

/* The bits of a 16-byte movemask for bytes 0 to @n-1 (@n <= 16). */
static inline unsigned
mask_below (size_t n)
{
  return (1u << n) - 1;
}
#endif

/* First byte in [p, end) that a JSON string cannot hold as it is, or may
 * not (a '"', a '\\', a control byte or any byte from 0x80 up), or @end.
 * Plain ASCII is the common case of a log's text: 16 bytes per step. */
static inline const char *
scan_json_special (const char *p, const char *end)
{
#ifdef LN_HAVE_SSE2
  const __m128i quote = _mm_set1_epi8 ('"');
  const __m128i backslash = _mm_set1_epi8 ('\\');
  const __m128i space = _mm_set1_epi8 (0x20);

  while (end - p >= 16)
    {
      __m128i v = _mm_loadu_si128 ((const __m128i *) (const void *) p);
      /* signed: bytes from 0x80 up are negative, so below 0x20 too */
      __m128i hit = _mm_or_si128 (_mm_cmplt_epi8 (v, space),
                                  _mm_or_si128 (_mm_cmpeq_epi8 (v, quote),
                                                _mm_cmpeq_epi8 (v, backslash)));
      unsigned mask = (unsigned) _mm_movemask_epi8 (hit);

      if (mask)
        return p + __builtin_ctz (mask);
      p += 16;
    }
  if (p < end)
    {
      /* the few bytes left in one more test instead of a loop over the
       * short values that most fields are */
      size_t n = (size_t) (end - p);
      __m128i v = load_short_vector (p, n), hit;
      unsigned mask;

      hit = _mm_or_si128 (_mm_cmplt_epi8 (v, space),
                          _mm_or_si128 (_mm_cmpeq_epi8 (v, quote),
                                        _mm_cmpeq_epi8 (v, backslash)));
      mask = (unsigned) _mm_movemask_epi8 (hit) & mask_below (n);
      return mask ? p + __builtin_ctz (mask) : end;
    }
  return end;
#else
  for (; p < end; p++)
    {
      unsigned char c = (unsigned char) *p;

      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
        return p;
    }
  return end;
#endif
}

/* scan_byte() for values that may sit anywhere in memory (arena text,
 * constants), where nothing before @p may be read: the last bytes are
 * tested in a padded copy instead of one by one. */
static inline const char *
scan_byte_padded (const char *p, const char *end, char c)
{
#ifdef LN_HAVE_SSE2
  const __m128i needle = _mm_set1_epi8 (c);

  while (end - p >= 16)
    {
      __m128i v = _mm_loadu_si128 ((const __m128i *) (const void *) p);
      unsigned mask = (unsigned) _mm_movemask_epi8 (_mm_cmpeq_epi8 (v, needle));

      if (mask)
        return p + __builtin_ctz (mask);
      p += 16;
    }
  if (p < end)
    {
      size_t n = (size_t) (end - p);
      unsigned mask;

      mask = (unsigned) _mm_movemask_epi8 (_mm_cmpeq_epi8 (load_short_vector (p, n), needle));
      mask &= mask_below (n);
      return mask ? p + __builtin_ctz (mask) : NULL;
    }
  return NULL;
#else
  return scan_byte (p, end, c);
#endif
}

/* Room copy_find_byte() and copy_find_json_special() may write past the
 * end of their copy. */
#define LN_COPY_SLACK 16

#ifdef LN_HAVE_SSE2
/* The bytes of a JSON special in @v: a '"', a '\\', a control byte or any
 * byte from 0x80 up.  Signed, those are negative, so below 0x20 too; and
 * flipping bit 1 turns '"' (0x22) into 0x20 while keeping the others below
 * 0x20 and everything from 0x20 up, but '"', at 0x21 or more: one compare
 * for three kinds. */
static inline __m128i
json_special_mask (__m128i v)
{
  return _mm_or_si128 (_mm_cmplt_epi8 (_mm_xor_si128 (v, _mm_set1_epi8 (0x02)),
                                       _mm_set1_epi8 (0x21)),
                       _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('\\')));
}
#endif

/* Copies the @n bytes at @src to @dst and tells whether @c is among them:
 * one pass instead of a scan and a copy, for the values of a CSV row,
 * which nearly never hold a quote.  Reads only [src, src + n) but may
 * write up to LN_COPY_SLACK bytes past dst + n. */
static inline int
copy_find_byte (char *dst, const char *src, size_t n, char c)
{
#ifdef LN_HAVE_SSE2
  const __m128i needle = _mm_set1_epi8 (c);
  __m128i v, hit;
  size_t i;

  if (n <= 16)
    {
      v = load_short_vector (src, n);
      _mm_storeu_si128 ((__m128i *) (void *) dst, v);
      return ((unsigned) _mm_movemask_epi8 (_mm_cmpeq_epi8 (v, needle)) & mask_below (n)) != 0;
    }
  hit = _mm_setzero_si128 ();
  for (i = 0; i + 16 < n; i += 16)
    {
      v = _mm_loadu_si128 ((const __m128i *) (const void *) (src + i));
      hit = _mm_or_si128 (hit, _mm_cmpeq_epi8 (v, needle));
      _mm_storeu_si128 ((__m128i *) (void *) (dst + i), v);
    }
  /* the last 16 bytes, overlapping what was copied */
  v = _mm_loadu_si128 ((const __m128i *) (const void *) (src + n - 16));
  hit = _mm_or_si128 (hit, _mm_cmpeq_epi8 (v, needle));
  _mm_storeu_si128 ((__m128i *) (void *) (dst + n - 16), v);
  return _mm_movemask_epi8 (hit) != 0;
#else
  memcpy (dst, src, n);
  return memchr (src, c, n) != NULL;
#endif
}

/* copy_find_byte() for what scan_json_special() looks for: copies the @n
 * bytes at @src to @dst and tells whether any needs a second look in a
 * JSON string.  Same bounds as copy_find_byte(). */
static inline int
copy_find_json_special (char *dst, const char *src, size_t n)
{
#ifdef LN_HAVE_SSE2
  __m128i v, hit;
  size_t i;

  if (n <= 16)
    {
      v = load_short_vector (src, n);
      _mm_storeu_si128 ((__m128i *) (void *) dst, v);
      return ((unsigned) _mm_movemask_epi8 (json_special_mask (v)) & mask_below (n)) != 0;
    }
  hit = _mm_setzero_si128 ();
  for (i = 0; i + 16 < n; i += 16)
    {
      v = _mm_loadu_si128 ((const __m128i *) (const void *) (src + i));
      hit = _mm_or_si128 (hit, json_special_mask (v));
      _mm_storeu_si128 ((__m128i *) (void *) (dst + i), v);
    }
  v = _mm_loadu_si128 ((const __m128i *) (const void *) (src + n - 16));
  hit = _mm_or_si128 (hit, json_special_mask (v));
  _mm_storeu_si128 ((__m128i *) (void *) (dst + n - 16), v);
  return _mm_movemask_epi8 (hit) != 0;
#else
  memcpy (dst, src, n);
  return scan_json_special (src, src + n) != src + n;
#endif
}

#endif /* LN_BYTESCAN_H */
