/* buf.h - a growable byte buffer for the hot path.
 *
 * GString would do, but every append there goes through a function call with
 * overflow checks; the per-line writers append a dozen small spans, so the
 * common case (enough room) is kept inline here and only growth is out of
 * line.  The buffer is reused for the whole run: buf_reset() keeps the
 * allocation.
 */
#ifndef LN_BUF_H
#define LN_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include "bytescan.h"
#include "span.h"

typedef struct {
  char *data;
  size_t len;
  size_t cap;
  bool borrowed;          /* data is part of the caller's memory: not freed */
} LnBuf;

/* Initialises @buf with room for @cap bytes (g_malloc: aborts on OOM). */
void buf_init (LnBuf *buf, size_t cap);

/* Initialises @buf on @cap bytes at @data, which the caller owns and
 * frees: the functions below wipe them as for any buffer, but never free
 * them; a buffer that grows moves to memory of its own. */
void buf_borrow (LnBuf *buf, char *data, size_t cap);

/* Wipes the whole allocation (it may have held raw addresses) and frees it. */
void buf_clear (LnBuf *buf);

/* buf_clear() for a buffer whose owner knows that only its first @used
 * bytes ever held data: wipes those and frees it, without touching pages
 * that were never written (a wipe of the whole allocation would fault
 * each of them in just to clear it). */
void buf_clear_used (LnBuf *buf, size_t used);

/* Frees @buf without wiping it: only for a buffer that never holds
 * anything but output, which is written out anyway.  (A wipe of its whole
 * capacity touches pages a short run never used.) */
void buf_release (LnBuf *buf);

/* Makes room for at least @extra more bytes; out of line because rare. */
void buf_grow (LnBuf *buf, size_t extra);

/* Overwrites the used part with zeros and empties the buffer, so that bytes
 * of a raw line do not outlive it. */
void buf_wipe (LnBuf *buf);

static inline void
buf_reserve (LnBuf *buf, size_t extra)
{
  if (buf->cap - buf->len < extra)
    buf_grow (buf, extra);
}

/* For writers that fill @buf through a pointer @o (with @lim, the end of
 * the allocation, in a local: through buf->cap, every byte written via @o
 * would make the compiler reload it): @o, moved if @buf grew, with room
 * for @need more bytes after it.  The csv and jsonl writers check the
 * room once per value. */
static inline char *
buf_room_at (LnBuf *buf, char *o, char **lim, size_t need)
{
  if ((size_t) (*lim - o) < need)
    {
      buf->len = (size_t) (o - buf->data);
      buf_grow (buf, need);
      o = buf->data + buf->len;
      *lim = buf->data + buf->cap;
    }
  return o;
}

static inline void
buf_reset (LnBuf *buf)
{
  buf->len = 0;
}

static inline void
buf_append (LnBuf *buf, const void *p, size_t n)
{
  buf_reserve (buf, n);
  copy_bytes (buf->data + buf->len, p, n);
  buf->len += n;
}

static inline void
buf_append_span (LnBuf *buf, LnSpan s)
{
  buf_append (buf, s.p, s.len);
}

/* Copies @n bytes to @dst, which the caller made room for (buf_reserve()
 * once for a whole line instead of a check per piece), and returns the end
 * of the copy.  The pieces of a log line between rewritten fields are
 * mostly under 64 bytes: overlapping 16-byte moves instead of a call. */
static inline char *
buf_put (char *dst, const char *src, size_t n)
{
#ifdef LN_HAVE_SSE2
  if (n > 16 && n <= 64)
    {
      __m128i a = _mm_loadu_si128 ((const __m128i *) (const void *) src);
      __m128i b = _mm_loadu_si128 ((const __m128i *) (const void *) (src + n - 16));

      if (n > 32)
        {
          __m128i c = _mm_loadu_si128 ((const __m128i *) (const void *) (src + 16));
          __m128i d = _mm_loadu_si128 ((const __m128i *) (const void *) (src + n - 32));

          _mm_storeu_si128 ((__m128i *) (void *) (dst + 16), c);
          _mm_storeu_si128 ((__m128i *) (void *) (dst + n - 32), d);
        }
      _mm_storeu_si128 ((__m128i *) (void *) dst, a);
      _mm_storeu_si128 ((__m128i *) (void *) (dst + n - 16), b);
      return dst + n;
    }
#endif
  copy_bytes (dst, src, n);
  return dst + n;
}

static inline void
buf_append_c (LnBuf *buf, char c)
{
  buf_reserve (buf, 1);
  buf->data[buf->len++] = c;
}

#endif /* LN_BUF_H */
