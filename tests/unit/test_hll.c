/* test_hll.c - the HyperLogLog visitor sketch: estimates, their error,
 * the sparse start, exact merges and the text form partials carry.
 *
 * Elements are 64-bit digests as the anonymiser makes them (visitor.h:
 * AES-128 under a fixed key of the 16-byte, IPv4-mapped form of an
 * address), or a splitmix64 of a counter where only "some good 64-bit
 * hash" matters.
 * The measured errors are printed with cr_log_info (run the test binary
 * with --verbose to see them).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "hll.h"
#include "visitor.h"

static const uint8_t test_key[16] = {
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
  0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};

static uint64_t
splitmix64 (uint64_t x)
{
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* The visitor digest of the i-th distinct IPv4 address of run @seed, as
 * anon.c computes it, under a key of the run. */
static uint64_t
address_digest (uint32_t seed, uint32_t i)
{
  static LnVisitorKey vk;
  static uint32_t vk_seed;
  uint32_t addr = 0x0a000000u | (i & 0x00ffffffu);    /* 10.0.0.0/8: distinct */
  LnAddr a = { .family = LN_AF_INET };
  int k;

  if (vk_seed != seed)
    {
      uint8_t key[16];

      for (k = 0; k < 16; k++)
        key[k] = (uint8_t) (test_key[k] ^ (seed * 31u + (uint32_t) k));
      visitor_key_init (&vk, key, TRUE);
      vk_seed = seed;
    }
  a.bytes[0] = (uint8_t) (addr >> 24);
  a.bytes[1] = (uint8_t) (addr >> 16);
  a.bytes[2] = (uint8_t) (addr >> 8);
  a.bytes[3] = (uint8_t) addr;
  return visitor_digest (&vk, &a);
}

/* A sketch freed by the suite's fini if an assertion ends a test early. */
static LnHll sk[4];

static void
init_all (void)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (sk); i++)
    hll_init (&sk[i]);
}

static void
clear_all (void)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (sk); i++)
    hll_clear (&sk[i]);
}

TestSuite (hll, .init = init_all, .fini = clear_all);

static char *
text_of (const LnHll *h)
{
  GString *s = g_string_new (NULL);

  hll_serialize (h, s);
  return g_string_free (s, FALSE);
}

static void
add_range (LnHll *h, uint64_t from, uint64_t to)
{
  uint64_t i;

  for (i = from; i < to; i++)
    hll_add (h, splitmix64 (i));
}

/* --------------------------------------------------------- estimates */

Test (hll, empty_is_zero)
{
  g_autofree char *t = text_of (&sk[0]);

  cr_assert_eq (hll_estimate (&sk[0]), 0.0);
  cr_assert_str_eq (t, "s:");
}

Test (hll, small_counts)
{
  static const unsigned ns[] = { 1, 2, 10, 50, 100, 128, 200, 1000 };
  size_t j;

  for (j = 0; j < G_N_ELEMENTS (ns); j++)
    {
      LnHll h;
      double e, tol;

      hll_init (&h);
      add_range (&h, 1000000u * j, 1000000u * j + ns[j]);
      e = hll_estimate (&h);
      /* linear counting is near exact while registers rarely collide */
      tol = ns[j] <= 10 ? 1.0 : MAX (2.0, 0.02 * ns[j]);
      cr_log_info ("hll: %u distinct -> estimate %.3f (error %+.3f%%)", ns[j], e,
                   100.0 * (e - ns[j]) / ns[j]);
      hll_clear (&h);
      cr_expect (fabs (e - ns[j]) <= tol, "%u distinct: estimate %.3f, allowed +-%.1f",
                 ns[j], e, tol);
    }
}

Test (hll, one_element_is_one)
{
  hll_add (&sk[0], 0x8000000000000000ull);
  cr_assert_float_eq (hll_estimate (&sk[0]), 1.0, 0.001);
  /* a digest whose bits after the index are all zero gets the top rank */
  hll_add (&sk[1], 0);
  cr_assert_float_eq (hll_estimate (&sk[1]), 1.0, 0.001);
}

/* Relative error at 10^5 distinct addresses.  Precision 12 has a
 * standard error of 1.04/sqrt(4096) = 1.63%: the error of one sketch is
 * roughly normal with that spread, so about one run in five is off by more
 * than 2% (8 of the 32 keys below, key 19 at -2.4%).  What can be
 * promised, and is checked, is the root-mean-square error over many
 * independent keys (<= 2%; 1.62% over 1000 keys with the AES visitor
 * digest, 20% of them beyond 2%, the worst 5.8%), with no single run
 * beyond 4 standard errors (6.5%; key 26 below is at -4.0%, 2.5 standard
 * errors, as 1 run in 80 is). */
#define ERR_SEEDS 32

Test (hll, error_at_1e5_distinct_addresses, .timeout = 60)
{
  const uint32_t n = 100000;
  double sumsq = 0.0, sum = 0.0, worst = 0.0;
  int over = 0;
  uint32_t seed;

  cr_assert_eq (LN_HLL_P, 12, "the documented error is for precision 12");
  for (seed = 1; seed <= ERR_SEEDS; seed++)
    {
      LnHll h;
      uint32_t i;
      double e, err;

      hll_init (&h);
      for (i = 0; i < n; i++)
        hll_add (&h, address_digest (seed, i));
      e = hll_estimate (&h);
      hll_clear (&h);
      err = (e - n) / n;
      sum += err;
      sumsq += err * err;
      worst = MAX (worst, fabs (err));
      over += fabs (err) > 0.02;
      cr_log_info ("hll: key %2u: 10^5 distinct addresses -> %.1f (error %+.3f%%)",
                   seed, e, 100.0 * err);
      cr_expect (fabs (err) <= 4 * 0.0163, "key %u: relative error %.3f%% beyond 4 "
                 "standard errors", seed, 100.0 * err);
    }
  cr_log_info ("hll: 10^5 distinct, %d keys: mean error %+.3f%%, rms %.3f%%, worst %.3f%%, "
               "%d of %d beyond 2%%", ERR_SEEDS, 100.0 * sum / ERR_SEEDS,
               100.0 * sqrt (sumsq / ERR_SEEDS), 100.0 * worst, over, ERR_SEEDS);
  cr_expect (sqrt (sumsq / ERR_SEEDS) <= 0.02, "rms error %.3f%% > 2%%",
             100.0 * sqrt (sumsq / ERR_SEEDS));
  /* no bias: the mean of 32 runs is within 3 standard errors of the mean */
  cr_expect (fabs (sum / ERR_SEEDS) <= 3 * 0.0163 / sqrt (ERR_SEEDS),
             "mean error %+.3f%%", 100.0 * sum / ERR_SEEDS);
}

/* Not a promise of the manual, a record for it: the error over the whole
 * range, including the switch from linear counting to the raw estimate
 * near 2.5 * 4096.  Only a loose bound (4 standard errors) is asserted. */
Test (hll, error_over_the_range, .timeout = 60)
{
  static const uint32_t ns[] = { 500, 2000, 5000, 9000, 10000, 11000, 12000, 15000,
                                 20000, 30000, 50000, 200000, 1000000 };
  size_t j;

  for (j = 0; j < G_N_ELEMENTS (ns); j++)
    {
      double sumsq = 0.0, mean = 0.0;
      uint32_t seed;

      for (seed = 1; seed <= 4; seed++)
        {
          LnHll h;
          double err;

          hll_init (&h);
          add_range (&h, (uint64_t) seed << 40 | (uint64_t) j << 32,
                     ((uint64_t) seed << 40 | (uint64_t) j << 32) + ns[j]);
          err = (hll_estimate (&h) - ns[j]) / ns[j];
          hll_clear (&h);
          sumsq += err * err;
          mean += err / 4;
          cr_expect (fabs (err) <= 4 * 0.01625, "n=%u seed %u: error %.3f%%", ns[j], seed,
                     100.0 * err);
        }
      cr_log_info ("hll: n=%u, 4 seeds: mean error %+.3f%%, rms %.3f%%", ns[j],
                   100.0 * mean, 100.0 * sqrt (sumsq / 4));
    }
}

Test (hll, duplicates_do_not_count)
{
  double before, after;
  int round;

  add_range (&sk[0], 0, 50);
  before = hll_estimate (&sk[0]);
  for (round = 0; round < 5; round++)
    add_range (&sk[0], 0, 50);
  cr_assert_eq (hll_estimate (&sk[0]), before);

  add_range (&sk[1], 0, 20000);
  before = hll_estimate (&sk[1]);
  add_range (&sk[1], 0, 20000);
  add_range (&sk[1], 5000, 6000);
  after = hll_estimate (&sk[1]);
  cr_assert_eq (after, before, "dense: %.3f became %.3f with duplicates", before, after);
}

/* The sparse list turns into the dense array when it fills; the estimate
 * must not jump there, and must not go down as elements are added. */
Test (hll, sparse_to_dense_is_continuous)
{
  double prev = 0.0;
  size_t mem_prev = hll_memory (&sk[0]);
  gboolean was_dense = FALSE, switched = FALSE;
  uint64_t i;

  for (i = 0; i < 2000; i++)
    {
      double e;

      hll_add (&sk[0], splitmix64 (i ^ 0x5555));
      e = hll_estimate (&sk[0]);
      cr_assert_geq (e, prev, "estimate went down from %.3f to %.3f at element %" G_GUINT64_FORMAT,
                     prev, e, i + 1);
      cr_assert_leq (e - prev, 3.0, "estimate jumped from %.3f to %.3f at element %" G_GUINT64_FORMAT,
                     prev, e, i + 1);
      if (sk[0].dense && !was_dense)
        {
          switched = TRUE;
          cr_log_info ("hll: sparse -> dense after %" G_GUINT64_FORMAT " elements: "
                       "estimate %.3f -> %.3f, memory %zu -> %zu bytes",
                       i + 1, prev, e, mem_prev, hll_memory (&sk[0]));
          cr_assert_float_eq (e, (double) (i + 1), 0.05 * (i + 1));
        }
      was_dense = sk[0].dense != NULL;
      mem_prev = hll_memory (&sk[0]);
      prev = e;
    }
  cr_assert (switched, "2000 elements never made the sketch dense");
}

Test (hll, memory_grows_sparse_to_dense)
{
  size_t empty = hll_memory (&sk[0]), few, many;

  add_range (&sk[0], 0, 10);
  few = hll_memory (&sk[0]);
  cr_assert_null (sk[0].dense);
  add_range (&sk[0], 10, 10000);
  many = hll_memory (&sk[0]);
  cr_assert_not_null (sk[0].dense);
  cr_log_info ("hll: memory empty %zu, 10 elements %zu, 10^4 elements %zu bytes", empty, few,
               many);
  cr_assert_lt (empty, few);
  cr_assert_lt (few, many);
  cr_assert_leq (few, sizeof (LnHll) + 512, "a sparse sketch stays small");
  cr_assert_geq (many, (size_t) LN_HLL_M);
  cr_assert_leq (many, sizeof (LnHll) + LN_HLL_M);
}

/* ------------------------------------------------------------- merge */

typedef struct {
  const char *name;
  uint64_t a_from, a_to, b_from, b_to;   /* overlapping ranges */
  gboolean a_dense, b_dense, u_dense;
} MergeCase;

static void
check_merge (const MergeCase *c, gboolean swap)
{
  LnHll *a = &sk[0], *b = &sk[1], *u = &sk[2];
  g_autofree char *tu = NULL, *tm = NULL;
  double eu;

  clear_all ();
  add_range (a, c->a_from, c->a_to);
  add_range (b, c->b_from, c->b_to);
  add_range (u, MIN (c->a_from, c->b_from), MAX (c->a_to, c->b_to));
  cr_assert_eq (a->dense != NULL, c->a_dense, "%s: sketch a is not as planned", c->name);
  cr_assert_eq (b->dense != NULL, c->b_dense, "%s: sketch b is not as planned", c->name);
  cr_assert_eq (u->dense != NULL, c->u_dense, "%s: union is not as planned", c->name);
  eu = hll_estimate (u);
  if (swap)
    {
      hll_merge (b, a);
      a = b;
    }
  else
    hll_merge (a, b);
  tu = text_of (u);
  tm = text_of (a);
  cr_assert_str_eq (tm, tu, "%s%s: merged sketch differs from the union's", c->name,
                    swap ? " (swapped)" : "");
  cr_assert_eq (hll_estimate (a), eu);
}

Test (hll, merge_equals_union)
{
  static const MergeCase cases[] = {
    { "sparse+sparse", 0, 40, 20, 60, FALSE, FALSE, FALSE },
    { "sparse+sparse->dense", 0, 100, 60, 180, FALSE, FALSE, TRUE },
    { "sparse+dense", 0, 50, 30, 5000, FALSE, TRUE, TRUE },
    { "dense+dense", 0, 30000, 20000, 60000, TRUE, TRUE, TRUE },
    { "empty+dense", 0, 0, 0, 3000, FALSE, TRUE, TRUE },
    { "empty+sparse", 0, 0, 0, 7, FALSE, FALSE, FALSE },
  };
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      check_merge (&cases[i], FALSE);
      check_merge (&cases[i], TRUE);
    }
}

Test (hll, merge_is_idempotent_and_disjoint_split_exact)
{
  g_autofree char *t1 = NULL, *t2 = NULL, *tw = NULL;
  int part;

  /* the whole, and 8 interleaved parts merged one by one */
  add_range (&sk[0], 0, 3000);
  for (part = 0; part < 8; part++)
    {
      uint64_t i;

      hll_clear (&sk[1]);
      for (i = (uint64_t) part; i < 3000; i += 8)
        hll_add (&sk[1], splitmix64 (i));
      hll_merge (&sk[2], &sk[1]);
    }
  tw = text_of (&sk[0]);
  t1 = text_of (&sk[2]);
  cr_assert_str_eq (t1, tw);
  hll_merge (&sk[2], &sk[0]);
  t2 = text_of (&sk[2]);
  cr_assert_str_eq (t2, tw, "merging the same sketch again changed it");
}

/* ------------------------------------------------------ text form */

static void
round_trip (const LnHll *h, gboolean expect_sparse)
{
  g_autofree char *t = text_of (h), *t2 = NULL;
  LnHll back;

  cr_assert_eq (g_str_has_prefix (t, "s:"), expect_sparse, "form of %.20s...", t);
  cr_assert (hll_deserialize (&back, t), "own text refused: %.40s", t);
  t2 = text_of (&back);
  cr_assert_eq (hll_estimate (&back), hll_estimate (h));
  cr_assert_eq (back.dense != NULL, h->dense != NULL);
  hll_clear (&back);
  cr_assert_str_eq (t2, t);
}

Test (hll, serialize_round_trip)
{
  round_trip (&sk[0], TRUE);            /* empty */
  add_range (&sk[1], 0, 1);
  round_trip (&sk[1], TRUE);
  add_range (&sk[2], 100, 200);
  round_trip (&sk[2], TRUE);
  add_range (&sk[3], 0, 50000);
  round_trip (&sk[3], FALSE);
  /* the dense form is the base64 of 4096 registers */
  {
    g_autofree char *t = text_of (&sk[3]);

    cr_assert_eq (strlen (t), (size_t) ((LN_HLL_M + 2) / 3 * 4));
  }
}

Test (hll, serialize_is_canonical)
{
  uint64_t i;
  g_autofree char *ta = NULL, *tb = NULL;

  /* the same elements in another order: same text */
  for (i = 0; i < 90; i++)
    hll_add (&sk[0], splitmix64 (i));
  for (i = 90; i-- > 0;)
    hll_add (&sk[1], splitmix64 (i));
  ta = text_of (&sk[0]);
  tb = text_of (&sk[1]);
  cr_assert_str_eq (ta, tb);
}

/* base64 of bytes, for hand-made texts */
static char *
b64 (const guchar *bytes, size_t n)
{
  return g_base64_encode (bytes, n);
}

Test (hll, deserialize_rejects_bad_text)
{
  guchar dense[LN_HLL_M];
  guchar entry[6];
  g_autofree char *short_dense = NULL, *long_dense = NULL, *big_rank = NULL;
  g_autofree char *sp_big_rank = NULL, *sp_big_index = NULL, *sp_len = NULL;
  g_autofree char *ok_dense = NULL, *ok_sparse = NULL;
  LnHll h;

  memset (dense, 3, sizeof dense);
  ok_dense = b64 (dense, LN_HLL_M);
  cr_assert (hll_deserialize (&h, ok_dense));
  hll_clear (&h);
  short_dense = b64 (dense, LN_HLL_M - 1);
  cr_assert_not (hll_deserialize (&h, short_dense), "4095 registers accepted");
  hll_clear (&h);
  {
    guchar more[LN_HLL_M + 3];

    memset (more, 1, sizeof more);
    long_dense = b64 (more, sizeof more);
  }
  cr_assert_not (hll_deserialize (&h, long_dense), "4099 registers accepted");
  hll_clear (&h);
  dense[100] = 64 - LN_HLL_P + 2;     /* one more than any 64-bit digest gives */
  big_rank = b64 (dense, LN_HLL_M);
  cr_assert_not (hll_deserialize (&h, big_rank), "dense rank 54 accepted");
  hll_clear (&h);
  dense[100] = 64 - LN_HLL_P + 1;     /* the largest possible */
  g_free (big_rank);
  big_rank = b64 (dense, LN_HLL_M);
  cr_assert (hll_deserialize (&h, big_rank), "dense rank 53 refused");
  hll_clear (&h);

  /* sparse: big-endian 3-byte entries, index << 8 | rank */
  entry[0] = 0x00; entry[1] = 0x07; entry[2] = 5;       /* index 7, rank 5 */
  {
    g_autofree char *e = b64 (entry, 3);
    ok_sparse = g_strconcat ("s:", e, NULL);
  }
  cr_assert (hll_deserialize (&h, ok_sparse));
  cr_assert_float_eq (hll_estimate (&h), 1.0, 0.001);
  hll_clear (&h);
  entry[2] = 64 - LN_HLL_P + 2;
  {
    g_autofree char *e = b64 (entry, 3);
    sp_big_rank = g_strconcat ("s:", e, NULL);
  }
  cr_assert_not (hll_deserialize (&h, sp_big_rank), "sparse rank 54 accepted");
  hll_clear (&h);
  entry[0] = 0x10; entry[1] = 0x00; entry[2] = 1;       /* index 4096 */
  {
    g_autofree char *e = b64 (entry, 3);
    sp_big_index = g_strconcat ("s:", e, NULL);
  }
  cr_assert_not (hll_deserialize (&h, sp_big_index), "sparse index 4096 accepted");
  hll_clear (&h);
  entry[0] = 0; entry[1] = 1; entry[2] = 1; entry[3] = 0; entry[4] = 2;
  {
    g_autofree char *e = b64 (entry, 5);
    sp_len = g_strconcat ("s:", e, NULL);
  }
  cr_assert_not (hll_deserialize (&h, sp_len), "5 bytes of sparse entries accepted");
  hll_clear (&h);
  cr_assert_not (hll_deserialize (&h, ""), "empty text accepted");
  hll_clear (&h);
  cr_assert_not (hll_deserialize (&h, "AAAA"), "3 bytes accepted as a dense sketch");
  hll_clear (&h);
}

/* A register of rank 0 is an empty register, which hll_add never writes
 * and the sparse form never holds: a hand-made sparse entry of rank 0 is
 * malformed, alone or among valid entries, and must not count. */
Test (hll, sparse_rank_zero_is_malformed)
{
  static const guchar alone[3] = { 0x00, 0x07, 0 };
  static const guchar among[9] = { 0x00, 0x05, 3, 0x00, 0x07, 0, 0x00, 0x09, 1 };
  static const guchar valid[6] = { 0x00, 0x05, 3, 0x00, 0x09, 1 };
  g_autofree char *e1 = g_base64_encode (alone, sizeof alone);
  g_autofree char *e2 = g_base64_encode (among, sizeof among);
  g_autofree char *e3 = g_base64_encode (valid, sizeof valid);
  g_autofree char *t1 = g_strconcat ("s:", e1, NULL);
  g_autofree char *t2 = g_strconcat ("s:", e2, NULL);
  g_autofree char *t3 = g_strconcat ("s:", e3, NULL);
  LnHll h;

  cr_assert_not (hll_deserialize (&h, t1), "\"%s\" (index 7, rank 0) accepted", t1);
  hll_clear (&h);
  cr_assert_not (hll_deserialize (&h, t2), "\"%s\" (a rank 0 between two entries) accepted",
                 t2);
  hll_clear (&h);
  /* the same without the rank 0 entry: two visitors */
  cr_assert (hll_deserialize (&h, t3), "\"%s\" refused", t3);
  cr_assert_float_eq (hll_estimate (&h), 2.0, 0.01);
  hll_clear (&h);
}

Test (hll, sparse_text_past_the_sparse_limit_turns_dense)
{
  /* 200 distinct registers in sparse form: what a foreign writer could
   * send; it must read as the same registers */
  guchar bytes[600];
  g_autofree char *e = NULL, *t = NULL;
  LnHll h;
  int i;

  for (i = 0; i < 200; i++)
    {
      bytes[3 * i] = (uint8_t) ((i * 20) >> 8);
      bytes[3 * i + 1] = (uint8_t) (i * 20);
      bytes[3 * i + 2] = 1;
      hll_add (&sk[0], ((uint64_t) (i * 20) << (64 - LN_HLL_P)) | (1ull << (63 - LN_HLL_P)));
    }
  e = g_base64_encode (bytes, sizeof bytes);
  t = g_strconcat ("s:", e, NULL);
  cr_assert (hll_deserialize (&h, t));
  cr_assert_eq (hll_estimate (&h), hll_estimate (&sk[0]));
  hll_clear (&h);
}
