/* hll.c - HyperLogLog (Flajolet et al. 2007) with a sparse start. */
#include "config.h"

#include <math.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "hll.h"

/* Past an eighth of the dense array's size the sparse list's linear
 * search costs more than the memory it saves. */
#define SPARSE_MAX (LN_HLL_M / 32)

void
hll_init (LnHll *hll)
{
  memset (hll, 0, sizeof *hll);
}

void
hll_clear (LnHll *hll)
{
  g_free (hll->dense);
  g_free (hll->sparse);
  memset (hll, 0, sizeof *hll);
}

static void
to_dense (LnHll *hll)
{
  uint32_t i;

  hll->dense = g_malloc0 (LN_HLL_M);
  for (i = 0; i < hll->nsparse; i++)
    {
      uint32_t idx = hll->sparse[i] >> 8;
      uint8_t rank = (uint8_t) (hll->sparse[i] & 0xff);

      if (rank > hll->dense[idx])
        hll->dense[idx] = rank;
    }
  g_free (hll->sparse);
  hll->sparse = NULL;
  hll->nsparse = hll->capsparse = 0;
}

/* The position of register @idx in the sparse list, or -1.  Eight
 * entries per step with SSE2: the linear search of lists up to 128 long
 * was a twentieth of the time of -a day,country, whose rows mostly have
 * tens of visitors.  The first match, as a plain loop would find it. */
static int
sparse_find (const LnHll *hll, uint32_t idx)
{
  uint32_t i = 0, n = hll->nsparse;

#if defined(__SSE2__)
  {
    const __m128i want = _mm_set1_epi32 ((int) idx);

    for (; i + 8 <= n; i += 8)
      {
        __m128i a = _mm_srli_epi32 (_mm_loadu_si128 ((const __m128i *) (const void *) (hll->sparse + i)), 8);
        __m128i b = _mm_srli_epi32 (_mm_loadu_si128 ((const __m128i *) (const void *) (hll->sparse + i + 4)), 8);
        int m = _mm_movemask_ps (_mm_castsi128_ps (_mm_cmpeq_epi32 (a, want)))
                | _mm_movemask_ps (_mm_castsi128_ps (_mm_cmpeq_epi32 (b, want))) << 4;

        if (m)
          return (int) i + __builtin_ctz ((unsigned) m);
      }
  }
#endif
  for (; i < n; i++)
    if (hll->sparse[i] >> 8 == idx)
      return (int) i;
  return -1;
}

static void
set_register (LnHll *hll, uint32_t idx, uint8_t rank)
{
  int i;

  if (hll->dense)
    {
      if (rank > hll->dense[idx])
        hll->dense[idx] = rank;
      return;
    }
  i = sparse_find (hll, idx);
  if (i >= 0)
    {
      if (rank > (hll->sparse[i] & 0xff))
        hll->sparse[i] = idx << 8 | rank;
      return;
    }
  if (hll->nsparse == SPARSE_MAX)
    {
      to_dense (hll);
      set_register (hll, idx, rank);
      return;
    }
  if (hll->nsparse == hll->capsparse)
    {
      hll->capsparse = hll->capsparse ? hll->capsparse * 2 : 4;
      hll->sparse = g_renew (uint32_t, hll->sparse, hll->capsparse);
    }
  hll->sparse[hll->nsparse++] = idx << 8 | rank;
}

void
hll_add (LnHll *hll, uint64_t hash)
{
  uint32_t idx = (uint32_t) (hash >> (64 - LN_HLL_P));
  uint64_t rest = hash << LN_HLL_P;
  uint8_t rank = rest ? (uint8_t) (__builtin_clzll (rest) + 1) : (uint8_t) (64 - LN_HLL_P + 1);

  set_register (hll, idx, rank);
}

void
hll_merge (LnHll *dst, const LnHll *src)
{
  uint32_t i;

  if (src->dense)
    {
      if (!dst->dense)
        to_dense (dst);
      for (i = 0; i < LN_HLL_M; i++)
        if (src->dense[i] > dst->dense[i])
          dst->dense[i] = src->dense[i];
      return;
    }
  for (i = 0; i < src->nsparse; i++)
    set_register (dst, src->sparse[i] >> 8, (uint8_t) (src->sparse[i] & 0xff));
}

double
hll_estimate (const LnHll *hll)
{
  const double m = LN_HLL_M;
  const double alpha = 0.7213 / (1.0 + 1.079 / m);
  double sum = 0.0, estimate;
  double power[64];
  uint32_t zeros = 0, i;

  if (!hll->dense)
    {
      /* every register not in the list is zero: linear counting */
      if (hll->nsparse == 0)
        return 0.0;
      return m * log (m / (m - hll->nsparse));
    }
  /* 2^-rank from a table: ldexp per register was most of the time an
   * aggregate spends writing its rows.  The same exact values are added
   * in the same order, so the estimate does not change by a bit. */
  for (i = 0; i < G_N_ELEMENTS (power); i++)
    power[i] = ldexp (1.0, -(int) i);
  for (i = 0; i < LN_HLL_M; i++)
    {
      uint8_t r = hll->dense[i];

      sum += r < G_N_ELEMENTS (power) ? power[r] : ldexp (1.0, -r);
      zeros += r == 0;
    }
  estimate = alpha * m * m / sum;
  if (estimate <= 2.5 * m && zeros > 0)
    estimate = m * log (m / zeros);
  return estimate;
}

size_t
hll_memory (const LnHll *hll)
{
  return sizeof *hll + (hll->dense ? LN_HLL_M : hll->capsparse * sizeof (uint32_t));
}

void
hll_serialize (const LnHll *hll, GString *out)
{
  g_autofree char *b64 = NULL;

  if (hll->dense)
    {
      b64 = g_base64_encode (hll->dense, LN_HLL_M);
      g_string_append (out, b64);
      return;
    }
  {
    /* big-endian 3-byte entries, sorted, so equal sketches serialise alike */
    g_autofree uint8_t *bytes = g_malloc (3 * (size_t) hll->nsparse + 1);
    g_autofree uint32_t *sorted = g_memdup2 (hll->sparse, hll->nsparse * sizeof (uint32_t));
    uint32_t i, j;

    for (i = 1; i < hll->nsparse; i++)
      for (j = i; j > 0 && sorted[j - 1] > sorted[j]; j--)
        {
          uint32_t t = sorted[j];
          sorted[j] = sorted[j - 1];
          sorted[j - 1] = t;
        }
    for (i = 0; i < hll->nsparse; i++)
      {
        bytes[3 * i] = (uint8_t) (sorted[i] >> 16);
        bytes[3 * i + 1] = (uint8_t) (sorted[i] >> 8);
        bytes[3 * i + 2] = (uint8_t) sorted[i];
      }
    b64 = g_base64_encode (bytes, 3 * (size_t) hll->nsparse);
    g_string_append (out, "s:");
    g_string_append (out, b64);
  }
}

gboolean
hll_deserialize (LnHll *hll, const char *text)
{
  g_autofree guchar *bytes = NULL;
  gsize len = 0, i;

  hll_init (hll);
  if (strncmp (text, "s:", 2) == 0)
    {
      bytes = g_base64_decode (text + 2, &len);
      if (len % 3 != 0)
        return FALSE;
      for (i = 0; i < len; i += 3)
        {
          uint32_t packed = (uint32_t) bytes[i] << 16 | (uint32_t) bytes[i + 1] << 8 | bytes[i + 2];
          uint32_t idx = packed >> 8;
          if (idx >= LN_HLL_M || (packed & 0xff) == 0 || (packed & 0xff) > 64 - LN_HLL_P + 1)
            {
              hll_clear (hll);
              return FALSE;
            }
          set_register (hll, idx, (uint8_t) (packed & 0xff));
        }
      return TRUE;
    }
  bytes = g_base64_decode (text, &len);
  if (len != LN_HLL_M)
    return FALSE;
  for (i = 0; i < LN_HLL_M; i++)
    if (bytes[i] > 64 - LN_HLL_P + 1)
      return FALSE;
  hll->dense = g_steal_pointer (&bytes);
  return TRUE;
}
