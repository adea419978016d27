/* durhist.c - mergeable duration histograms (see durhist.h). */
#include "config.h"

#include <string.h>

#include "durhist.h"

#define SUB_BITS 7                        /* 2^7 exact values, then 64 per octave */
#define EXACT (1u << SUB_BITS)
#define HALF (EXACT / 2)
#define NBUCKETS (EXACT + (64 - SUB_BITS) * HALF)
#define COUNT_BITS 52
#define COUNT_MASK ((UINT64_C (1) << COUNT_BITS) - 1)

G_STATIC_ASSERT (NBUCKETS <= (1u << (64 - COUNT_BITS)));

static unsigned
bucket_of (uint64_t v)
{
  int msb, shift;

  if (v < EXACT)
    return (unsigned) v;
  msb = 63 - __builtin_clzll (v);
  shift = msb - (SUB_BITS - 1);
  return EXACT + (unsigned) (msb - SUB_BITS) * HALF + (unsigned) ((v >> shift) - HALF);
}

/* The middle of bucket @b: at most half its width, 1/128 of its lower
 * bound, away from any value in it. */
static uint64_t
bucket_middle (unsigned b)
{
  unsigned k;
  uint64_t lower, width;

  if (b < EXACT)
    return b;
  k = (b - EXACT) / HALF;
  lower = (uint64_t) ((b - EXACT) % HALF + HALF) << (k + 1);
  width = UINT64_C (1) << (k + 1);
  return lower + (width - 1) / 2;
}

void
durhist_init (LnDurHist *h)
{
  memset (h, 0, sizeof *h);
}

void
durhist_clear (LnDurHist *h)
{
  g_free (h->entries);
  memset (h, 0, sizeof *h);
}

/* The position of bucket @b in @h, or where it would be inserted. */
static uint32_t
find (const LnDurHist *h, unsigned b, gboolean *found)
{
  uint32_t lo = 0, hi = h->n;

  while (lo < hi)
    {
      uint32_t mid = lo + (hi - lo) / 2;
      unsigned m = (unsigned) (h->entries[mid] >> COUNT_BITS);

      if (m == b)
        {
          *found = TRUE;
          return mid;
        }
      if (m < b)
        lo = mid + 1;
      else
        hi = mid;
    }
  *found = FALSE;
  return lo;
}

static void
add_count (LnDurHist *h, unsigned b, uint64_t count)
{
  gboolean found;
  uint32_t i = find (h, b, &found);

  if (found)
    {
      h->entries[i] += count;
      return;
    }
  if (h->n == h->cap)
    {
      /* 3 entries fill the smallest malloc chunk; most rows need few */
      h->cap = h->cap ? h->cap * 2 : 3;
      h->entries = g_renew (uint64_t, h->entries, h->cap);
    }
  memmove (h->entries + i + 1, h->entries + i, (h->n - i) * sizeof *h->entries);
  h->entries[i] = (uint64_t) b << COUNT_BITS | count;
  h->n++;
}

void
durhist_add (LnDurHist *h, uint64_t us)
{
  add_count (h, bucket_of (us), 1);
}

void
durhist_merge (LnDurHist *dst, const LnDurHist *src)
{
  uint32_t i;

  for (i = 0; i < src->n; i++)
    add_count (dst, (unsigned) (src->entries[i] >> COUNT_BITS),
               src->entries[i] & COUNT_MASK);
}

uint64_t
durhist_count (const LnDurHist *h)
{
  uint64_t total = 0;
  uint32_t i;

  for (i = 0; i < h->n; i++)
    total += h->entries[i] & COUNT_MASK;
  return total;
}

gboolean
durhist_quantile (const LnDurHist *h, unsigned percent, uint64_t *us)
{
  uint64_t n = durhist_count (h), rank, seen = 0;
  uint32_t i;

  if (n == 0)
    return FALSE;
  /* nearest rank: the smallest value with at least percent% at or below */
  rank = n / 100 * percent + ((n % 100) * percent + 99) / 100;
  if (rank == 0)
    rank = 1;
  for (i = 0; i < h->n; i++)
    {
      seen += h->entries[i] & COUNT_MASK;
      if (seen >= rank)
        break;
    }
  *us = bucket_middle ((unsigned) (h->entries[MIN (i, h->n - 1)] >> COUNT_BITS));
  return TRUE;
}

size_t
durhist_memory (const LnDurHist *h)
{
  return h->cap * sizeof *h->entries;
}

void
durhist_serialize (const LnDurHist *h, GString *out)
{
  uint32_t i;

  if (h->n == 0)
    {
      g_string_append_c (out, '-');
      return;
    }
  for (i = 0; i < h->n; i++)
    g_string_append_printf (out, "%s%u:%" G_GUINT64_FORMAT, i ? "," : "",
                            (unsigned) (h->entries[i] >> COUNT_BITS),
                            (guint64) (h->entries[i] & COUNT_MASK));
}

gboolean
durhist_deserialize (LnDurHist *h, const char *text)
{
  g_auto (GStrv) items = NULL;
  int64_t last = -1;
  size_t i;

  durhist_init (h);
  if (strcmp (text, "-") == 0)
    return TRUE;
  items = g_strsplit (text, ",", -1);
  for (i = 0; items[i]; i++)
    {
      char *colon = strchr (items[i], ':');
      guint64 b, count;

      if (colon == NULL)
        goto bad;
      *colon = '\0';
      /* strictly ascending buckets: one entry per bucket, as written */
      if (!g_ascii_string_to_unsigned (items[i], 10, 0, NBUCKETS - 1, &b, NULL)
          || !g_ascii_string_to_unsigned (colon + 1, 10, 1, COUNT_MASK, &count, NULL)
          || (int64_t) b <= last)
        goto bad;
      last = (int64_t) b;
      add_count (h, (unsigned) b, count);
    }
  if (i > 0)
    return TRUE;
bad:
  durhist_clear (h);
  return FALSE;
}
