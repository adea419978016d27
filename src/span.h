/* span.h - (pointer, length) views into a line buffer.
 *
 * Parsed fields are spans into the line that the reader handed out; they are
 * never NUL-terminated copies, so embedded NUL bytes survive and nothing is
 * allocated per field.
 */
#ifndef LN_SPAN_H
#define LN_SPAN_H

#include <stddef.h>
#include <string.h>
#include <stdbool.h>

typedef struct {
  const char *p;
  size_t len;
} LnSpan;

#define LN_SPAN_LIT(s) ((LnSpan) { (s), sizeof (s) - 1 })

static inline LnSpan
span_make (const char *p, size_t len)
{
  LnSpan s = { p, len };
  return s;
}

static inline bool
span_eq (LnSpan a, LnSpan b)
{
  return a.len == b.len && (a.len == 0 || memcmp (a.p, b.p, a.len) == 0);
}

static inline bool
span_eq_str (LnSpan a, const char *s)
{
  size_t n = strlen (s);
  return a.len == n && memcmp (a.p, s, n) == 0;
}

static inline bool
span_is_dash (LnSpan a)
{
  return a.len == 1 && a.p[0] == '-';
}

#endif /* LN_SPAN_H */
