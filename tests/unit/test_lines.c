/* test_lines.c - the search for line ends that the reader and the --jobs
 * workers share: the AVX2 and the portable search against a byte loop,
 * over every start offset and limit that changes the way through it, and
 * the cut of a line from its end of line.
 *
 * Each buffer is a heap block of exactly the searched size, so that a
 * read past its end shows under AddressSanitizer.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>

#include "lines.h"

/* The newlines in [from, end) by a byte loop. */
static GArray *
reference_ends (const char *buf, size_t from, size_t end)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (size_t));
  size_t i;

  for (i = from; i < end; i++)
    if (buf[i] == '\n')
      g_array_append_val (a, i);
  return a;
}

/* Searches [from, end) to the end in calls of at most @max line ends, as
 * the reader does, and checks each call's promise on the way. */
static GArray *
found_ends (bool avx2, const char *buf, size_t from, size_t end, unsigned max)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (size_t));
  size_t ends[LN_LINE_ENDS + 1];
  size_t searched = from;

  while (searched < end)
    {
      size_t before = searched;
      unsigned n, i;

      ends[max] = (size_t) -1;          /* a guard: none past @max */
      n = lines_find_ends (avx2, buf, searched, end, ends, max, &searched);
      cr_assert_leq (n, max);
      cr_assert_eq (ends[max], (size_t) -1, "wrote past max=%u", max);
      if (n < max)
        cr_assert_eq (searched, end, "stopped early with %u of %u", n, max);
      else
        cr_assert (searched == ends[n - 1] + 1,
                   "resumes at %zu after %zu", searched, ends[n - 1]);
      cr_assert (searched > before || n > 0, "no progress at %zu", before);
      for (i = 0; i < n; i++)
        {
          cr_assert_lt (ends[i], end);
          cr_assert_geq (ends[i], before);
          g_array_append_val (a, ends[i]);
        }
    }
  return a;
}

static void
check_same (const char *what, const char *text, size_t len, size_t from,
            unsigned max)
{
  char *buf = g_malloc (len ? len : 1);
  GArray *want, *got;
  int v;

  memcpy (buf, text, len);
  want = reference_ends (buf, from, len);
  for (v = 0; v < 2; v++)
    {
      bool avx2 = v == 1;

      if (avx2 && !lines_have_avx2 ())
        continue;
      got = found_ends (avx2, buf, from, len, max);
      cr_assert_eq (got->len, want->len,
                    "%s, avx2=%d from=%zu len=%zu max=%u: %u ends, want %u",
                    what, avx2, from, len, max, got->len, want->len);
      cr_assert (want->len == 0
                 || memcmp (got->data, want->data, want->len * sizeof (size_t)) == 0,
                 "%s, avx2=%d from=%zu len=%zu max=%u: other ends",
                 what, avx2, from, len, max);
      g_array_free (got, TRUE);
    }
  g_array_free (want, TRUE);
  g_free (buf);
}

static const unsigned limits[] = { 1, 2, 3, 63, 64, 65, 127, 128, 129, LN_LINE_ENDS };

/* Text of @len bytes with a newline where @every says. */
static char *
make_text (size_t len, unsigned seed, unsigned every)
{
  char *t = g_malloc (len + 1);
  GRand *rand = g_rand_new_with_seed (seed);
  size_t i;

  for (i = 0; i < len; i++)
    {
      if (every == 0)
        t[i] = 'a' + (char) g_rand_int_range (rand, 0, 26);
      else if (every == 1)
        t[i] = '\n';
      else
        t[i] = g_rand_int_range (rand, 0, (gint32) every) == 0 ? '\n'
               : (char) g_rand_int_range (rand, 1, 256);
    }
  t[len] = '\0';
  g_rand_free (rand);
  return t;
}

Test (lines, every_offset_length_and_limit)
{
  static const unsigned densities[] = { 0, 1, 2, 7, 60, 230 };
  size_t d, k;

  for (d = 0; d < G_N_ELEMENTS (densities); d++)
    {
      char *t = make_text (700, 17 + (unsigned) d, densities[d]);
      size_t len, from;

      for (len = 0; len <= 300; len += len < 140 ? 1 : 37)
        for (from = 0; from <= len && from < 70; from++)
          for (k = 0; k < G_N_ELEMENTS (limits); k++)
            check_same ("random", t, len, from, limits[k]);
      for (k = 0; k < G_N_ELEMENTS (limits); k++)
        check_same ("random, 700 bytes", t, 700, 0, limits[k]);
      g_free (t);
    }
}

/* A newline on either side of each 32- and 64-byte boundary, and a step of
 * 64 bytes with nothing but newlines after a limit has nearly been met. */
Test (lines, newlines_at_block_edges)
{
  char text[1024];
  size_t at, k;

  for (at = 0; at < 200; at++)
    {
      memset (text, 'x', sizeof text);
      text[at] = '\n';
      text[sizeof text - 1 - at] = '\n';
      for (k = 0; k < G_N_ELEMENTS (limits); k++)
        check_same ("edges", text, sizeof text, 0, limits[k]);
      check_same ("edges, from 1", text, sizeof text, 1, 2);
    }
  memset (text, 'x', sizeof text);
  memset (text + 190, '\n', 64 * 3);
  for (at = 0; at < 70; at++)
    for (k = 0; k < G_N_ELEMENTS (limits); k++)
      check_same ("a run of newlines", text, sizeof text, at, limits[k]);
}

Test (lines, cut_takes_off_the_end_of_line)
{
  static const char text[] = "a b\r\nc\n\n\r\n\rd\r";
  LnSpan line, eol;
  const char *nl;

  nl = strchr (text, '\n');
  lines_cut (text, nl, &line, &eol);
  cr_assert (line.p == text && line.len == 3);
  cr_assert (eol.p == text + 3 && eol.len == 2);

  lines_cut (text + 5, text + 6, &line, &eol);
  cr_assert (line.p == text + 5 && line.len == 1);
  cr_assert (eol.p == text + 6 && eol.len == 1);

  lines_cut (text + 7, text + 7, &line, &eol);    /* an empty line */
  cr_assert (line.len == 0 && eol.p == text + 7 && eol.len == 1);

  lines_cut (text + 8, text + 9, &line, &eol);    /* "\r\n" alone */
  cr_assert (line.p == text + 8 && line.len == 0);
  cr_assert (eol.p == text + 8 && eol.len == 2);

  /* the last line: "\rd\r" with no newline; its '\r' ends it */
  lines_cut_last (text + 10, text + 13, &line, &eol);
  cr_assert (line.p == text + 10 && line.len == 2);
  cr_assert (eol.p == text + 12 && eol.len == 1);

  lines_cut_last (text + 11, text + 12, &line, &eol);
  cr_assert (line.p == text + 11 && line.len == 1);
  cr_assert (eol.p == text + 12 && eol.len == 0);

  lines_cut_last (text, text, &line, &eol);
  cr_assert (line.len == 0 && eol.len == 0);
}
