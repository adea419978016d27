/* helpers.h - small assertion helpers shared by the unit tests (header only).
 *
 * Spans are never NUL-terminated, so the Criterion string assertions do not
 * apply to them; these macros compare a span with an expected C string or
 * with explicit bytes and print both on failure.
 */
#ifndef LN_TEST_HELPERS_H
#define LN_TEST_HELPERS_H

#include <criterion/criterion.h>
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>
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

/* A thread that writes @len bytes of @data into a new pipe, fds[1], in
 * uneven chunks of 1 to @max_chunk bytes (so that reads return partial
 * lines), then closes it; the test reads fds[0] and closes it. */
typedef struct {
  int fds[2];
  const char *data;
  size_t len;
  size_t max_chunk;
  GThread *thread;
} Feeder;

static inline gpointer
feeder_main (gpointer data)
{
  Feeder *f = data;
  size_t off = 0;

  while (off < f->len)
    {
      size_t chunk = MIN (f->len - off, (size_t) (1 + (off * 7919) % f->max_chunk));
      ssize_t n = write (f->fds[1], f->data + off, chunk);

      if (n < 0 && errno == EINTR)
        continue;
      g_assert (n > 0);
      off += (size_t) n;
    }
  close (f->fds[1]);
  return NULL;
}

static inline void
feeder_start (Feeder *f, const void *data, size_t len, size_t max_chunk)
{
  cr_assert_eq (pipe (f->fds), 0);
  f->data = data;
  f->len = len;
  f->max_chunk = max_chunk;
  f->thread = g_thread_new ("feeder", feeder_main, f);
}

/* Waits until the feeder has written everything and closed its end. */
static inline void
feeder_join (Feeder *f)
{
  g_thread_join (f->thread);
}

#endif /* LN_TEST_HELPERS_H */
