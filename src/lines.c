/* lines.c - where the lines of a buffer end (see lines.h). */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "lines.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define LN_TRY_AVX2 1
#endif

bool
lines_have_avx2 (void)
{
#ifdef LN_TRY_AVX2
  return __builtin_cpu_supports ("avx2");
#else
  return false;
#endif
}

#ifdef LN_TRY_AVX2
/* 64 bytes a step: most steps hold no newline (a log line is some 200
 * bytes), and those cost two compares and one test; the bit mask is built
 * only for the others. */
__attribute__ ((target ("avx2"))) static unsigned
find_ends_avx2 (const char *buf, size_t from, size_t end, size_t *ends,
                unsigned max, size_t *searched)
{
  const __m256i nl = _mm256_set1_epi8 ('\n');
  const char *p = buf + from;
  size_t *out = ends;
  size_t *const full = ends + max;
  /* past this, a step's newlines may fill @ends */
  size_t *const soon = max > 64 ? full - 64 : ends;

  if (end - from >= 64)
    {
      const char *const last = buf + end - 64;

      for (; p <= last; p += 64)
        {
          __m256i a = _mm256_cmpeq_epi8 (_mm256_loadu_si256 ((const __m256i *) (const void *) p), nl);
          __m256i b = _mm256_cmpeq_epi8 (_mm256_loadu_si256 ((const __m256i *) (const void *) (p + 32)), nl);
          __m256i any = _mm256_or_si256 (a, b);
          uint64_t mask;
          size_t at;

          if (_mm256_testz_si256 (any, any))
            continue;
          mask = (uint64_t) (uint32_t) _mm256_movemask_epi8 (a)
                 | (uint64_t) (uint32_t) _mm256_movemask_epi8 (b) << 32;
          at = (size_t) (p - buf);
          if (__builtin_expect (out >= soon, 0)
              && __builtin_popcountll (mask) >= full - out)
            {
              while (out < full)
                {
                  *out++ = at + (unsigned) __builtin_ctzll (mask);
                  mask &= mask - 1;
                }
              *searched = out[-1] + 1;
              return max;
            }
          do
            {
              *out++ = at + (unsigned) __builtin_ctzll (mask);
              mask &= mask - 1;
              /* keeps GCC from working out @out again afterwards with a
               * popcount, which costs more than this loop's one pass */
              __asm__ ("" : "+r" (out));
            }
          while (mask);
        }
    }
  for (; p < buf + end; p++)
    if (*p == '\n')
      {
        *out++ = (size_t) (p - buf);
        if (out == full)
          {
            p++;
            break;
          }
      }
  *searched = (size_t) (p - buf);
  return (unsigned) (out - ends);
}
#endif

unsigned
lines_find_ends (bool avx2, const char *buf, size_t from, size_t end,
                 size_t *ends, unsigned max, size_t *searched)
{
  unsigned n = 0;

#ifdef LN_TRY_AVX2
  if (avx2)
    return find_ends_avx2 (buf, from, end, ends, max, searched);
#else
  (void) avx2;
#endif
  while (n < max)
    {
      const char *nl = memchr (buf + from, '\n', end - from);

      if (nl == NULL)
        {
          from = end;
          break;
        }
      from = (size_t) (nl - buf) + 1;
      ends[n++] = (size_t) (nl - buf);
    }
  *searched = from;
  return n;
}
