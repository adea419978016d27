/* lines.h - where the lines of a buffer end.
 *
 * The reader and the --jobs workers both cut a buffer into lines.  One
 * search records many line ends at once: a memchr call per line spends
 * more in the call than in the search.
 */
#ifndef LN_LINES_H
#define LN_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "span.h"

/* How many line ends one search records at most: enough that the search
 * is set up once per few dozen KiB, few enough for the stack. */
#define LN_LINE_ENDS 256

/* True when lines_find_ends() may use AVX2 on this CPU. */
bool lines_have_avx2 (void);

/* Records in @ends the offsets from @buf of the newlines in [@from, @end),
 * at most @max of them, in order, and returns how many.  *@searched is
 * set to where a next search resumes: @end, or one past the last newline
 * recorded when @max (at least 1) stopped the search.  @avx2 needs
 * lines_have_avx2(). */
unsigned lines_find_ends (bool avx2, const char *buf, size_t from, size_t end,
                          size_t *ends, unsigned max, size_t *searched);

/* The line from @start up to the newline at @nl, without it and without a
 * '\r' before it; @eol is what ended it ("\n" or "\r\n"). */
static inline void
lines_cut (const char *start, const char *nl, LnSpan *line, LnSpan *eol)
{
  size_t len = (size_t) (nl - start);

  if (len > 0 && nl[-1] == '\r')
    {
      *line = span_make (start, len - 1);
      *eol = span_make (nl - 1, 2);
    }
  else
    {
      *line = span_make (start, len);
      *eol = span_make (nl, 1);
    }
}

/* The last line of an input, which no newline ends: a '\r' at its end
 * still counts as its end of line. */
static inline void
lines_cut_last (const char *start, const char *end, LnSpan *line, LnSpan *eol)
{
  *line = span_make (start, (size_t) (end - start));
  *eol = span_make (end, 0);
  if (line->len > 0 && line->p[line->len - 1] == '\r')
    {
      line->len--;
      *eol = span_make (line->p + line->len, 1);
    }
}

#endif /* LN_LINES_H */
