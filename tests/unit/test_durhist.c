/* test_durhist.c - duration histograms: the quantile error bound against
 * exact quantiles on random data, exact merges, the text form.
 *
 * Random data comes from GRand with fixed seeds, so every run checks the
 * same values; several seeds and distributions (small exact values, a
 * log-uniform spread over eight decades, a heavy cluster with a tail).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "durhist.h"

static const unsigned percents[] = { 1, 5, 25, 50, 75, 90, 95, 99, 100 };

static int
compare_u64 (const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

  return x < y ? -1 : x > y;
}

/* The exact nearest-rank percentile of the sorted @v[@n]. */
static uint64_t
exact_quantile (const uint64_t *v, size_t n, unsigned percent)
{
  size_t rank = (n * percent + 99) / 100;

  return v[(rank ? rank : 1) - 1];
}

/* @n values of distribution @kind from @rand. */
static uint64_t *
sample (GRand *rand, int kind, size_t n)
{
  uint64_t *v = g_new (uint64_t, n);
  size_t i;

  for (i = 0; i < n; i++)
    switch (kind)
      {
      case 0:           /* below 200 µs: the exact buckets and the first octave */
        v[i] = (uint64_t) g_rand_int_range (rand, 0, 200);
        break;
      case 1:           /* log-uniform, 1 µs to 100 s */
        v[i] = (uint64_t) exp (g_rand_double_range (rand, 0, log (1e8)));
        break;
      default:          /* most around 20 ms, a tail of slow requests */
        v[i] = g_rand_int_range (rand, 0, 10) == 0
               ? (uint64_t) g_rand_int_range (rand, 100000, 30000000)
               : (uint64_t) g_rand_int_range (rand, 15000, 25000);
        break;
      }
  return v;
}

/* The estimate is within 1/128 of the exact quantile (and exact below
 * 128 µs), for every seed, distribution and percentile. */
Test (durhist, quantile_error_bound)
{
  guint32 seed;
  int kind;

  for (seed = 1; seed <= 6; seed++)
    for (kind = 0; kind < 3; kind++)
      {
        GRand *rand = g_rand_new_with_seed (seed);
        size_t n = 1 + (size_t) g_rand_int_range (rand, 0, 5000), i;
        uint64_t *v = sample (rand, kind, n);
        LnDurHist h;

        durhist_init (&h);
        for (i = 0; i < n; i++)
          durhist_add (&h, v[i]);
        qsort (v, n, sizeof *v, compare_u64);
        cr_assert_eq (durhist_count (&h), n);
        for (i = 0; i < G_N_ELEMENTS (percents); i++)
          {
            uint64_t exact = exact_quantile (v, n, percents[i]), est = 0;
            uint64_t diff;

            cr_assert (durhist_quantile (&h, percents[i], &est));
            diff = est > exact ? est - exact : exact - est;
            cr_assert (diff * 128 <= exact,
                       "seed %u kind %d n %zu p%u: exact %" G_GUINT64_FORMAT
                       ", estimate %" G_GUINT64_FORMAT, seed, kind, n, percents[i],
                       exact, est);
            if (exact < 128)
              cr_assert_eq (est, exact);
          }
        durhist_clear (&h);
        g_free (v);
        g_rand_free (rand);
      }
}

/* Split anywhere into up to 8 parts, the merge is the whole: same text,
 * same quantiles. */
Test (durhist, merge_is_exact)
{
  guint32 seed;

  for (seed = 11; seed <= 16; seed++)
    {
      GRand *rand = g_rand_new_with_seed (seed);
      size_t n = 3000, i;
      uint64_t *v = sample (rand, (int) seed % 3, n);
      unsigned parts = (unsigned) g_rand_int_range (rand, 1, 9), p;
      LnDurHist whole, merged, part[8];
      GString *a = g_string_new (NULL), *b = g_string_new (NULL);

      durhist_init (&whole);
      durhist_init (&merged);
      for (p = 0; p < parts; p++)
        durhist_init (&part[p]);
      for (i = 0; i < n; i++)
        {
          durhist_add (&whole, v[i]);
          durhist_add (&part[g_rand_int_range (rand, 0, (gint32) parts)], v[i]);
        }
      for (p = 0; p < parts; p++)
        {
          /* through the text form, as partials carry them */
          LnDurHist back;

          g_string_truncate (a, 0);
          durhist_serialize (&part[p], a);
          cr_assert (durhist_deserialize (&back, a->str), "%s", a->str);
          durhist_merge (&merged, &back);
          durhist_clear (&back);
          durhist_clear (&part[p]);
        }
      g_string_truncate (a, 0);
      g_string_truncate (b, 0);
      durhist_serialize (&whole, a);
      durhist_serialize (&merged, b);
      cr_assert_str_eq (b->str, a->str, "seed %u, %u parts", seed, parts);
      for (i = 0; i < G_N_ELEMENTS (percents); i++)
        {
          uint64_t x, y;

          cr_assert (durhist_quantile (&whole, percents[i], &x));
          cr_assert (durhist_quantile (&merged, percents[i], &y));
          cr_assert_eq (x, y);
        }
      durhist_clear (&whole);
      durhist_clear (&merged);
      g_string_free (a, TRUE);
      g_string_free (b, TRUE);
      g_free (v);
      g_rand_free (rand);
    }
}

Test (durhist, empty_and_extremes)
{
  LnDurHist h;
  GString *s = g_string_new (NULL);
  uint64_t us = 42;

  durhist_init (&h);
  cr_assert_not (durhist_quantile (&h, 50, &us));
  durhist_serialize (&h, s);
  cr_assert_str_eq (s->str, "-");
  durhist_add (&h, 0);
  durhist_add (&h, G_MAXUINT64);
  cr_assert (durhist_quantile (&h, 50, &us));
  cr_assert_eq (us, 0);
  cr_assert (durhist_quantile (&h, 100, &us));
  cr_assert (us >= G_MAXUINT64 - G_MAXUINT64 / 128, "%" G_GUINT64_FORMAT, us);
  g_string_truncate (s, 0);
  durhist_serialize (&h, s);
  cr_assert_str_eq (s->str, "0:1,3775:1");
  durhist_clear (&h);
  g_string_free (s, TRUE);
}

Test (durhist, text_form)
{
  static const char *const bad[] = {
    "", ",", "1", "1:", ":1", "1:0", "2:1,1:1", "1:1,1:1", "3776:1", "-1:1", "1:-1",
    "1:1,", " 1:1", "1:1 ", "x:1", "1:4503599627370496", NULL
  };
  LnDurHist h;
  GString *s = g_string_new (NULL);
  size_t i;

  cr_assert (durhist_deserialize (&h, "-"));
  cr_assert_eq (durhist_count (&h), 0);
  cr_assert (durhist_deserialize (&h, "0:2,127:1,3775:4503599627370495"));
  durhist_serialize (&h, s);
  cr_assert_str_eq (s->str, "0:2,127:1,3775:4503599627370495");
  durhist_clear (&h);
  for (i = 0; bad[i]; i++)
    {
      cr_assert_not (durhist_deserialize (&h, bad[i]), "accepted \"%s\"", bad[i]);
      cr_assert_eq (h.n, 0);
    }
  g_string_free (s, TRUE);
}
