/* helpers.h - small assertion helpers shared by the unit tests (header only).
 *
 * Spans are never NUL-terminated, so the Criterion string assertions do not
 * apply to them; these macros compare a span with an expected C string or
 * with explicit bytes and print both on failure.
 */
#ifndef LN_TEST_HELPERS_H
#define LN_TEST_HELPERS_H

#include <criterion/criterion.h>
#include <string.h>
#include "span.h"

/* The span @s holds exactly the NUL-terminated text @str. */
#define assert_span_str(s, str, ...)                                          \
  do {                                                                        \
    LnSpan s_ = (s);                                                          \
    const char *str_ = (str);                                                 \
    cr_assert (span_eq_str (s_, str_),                                        \
               "%s: expected \"%s\" (%zu bytes), got \"%.*s\" (%zu bytes)",   \
               #s, str_, strlen (str_), (int) s_.len, s_.p ? s_.p : "",      \
               s_.len);                                                       \
  } while (0)

/* The span @s holds exactly the @n bytes at @bytes (NUL bytes allowed). */
#define assert_span_bytes(s, bytes, n)                                        \
  do {                                                                        \
    LnSpan s_ = (s);                                                          \
    size_t n_ = (n);                                                          \
    cr_assert_eq (s_.len, n_, "%s: expected %zu bytes, got %zu", #s, n_,      \
                  s_.len);                                                    \
    cr_assert (n_ == 0 || memcmp (s_.p, (bytes), n_) == 0,                    \
               "%s: bytes differ", #s);                                       \
  } while (0)

/* Number of elements of a static array. */
#define N_ELEMS(a) (sizeof (a) / sizeof ((a)[0]))

#endif /* LN_TEST_HELPERS_H */
