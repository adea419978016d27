/* clftime.c - CLF timestamp parser (see clftime.h). */
#include "config.h"

#include <string.h>
#include "clftime.h"

int64_t
clftime_days_from_civil (int64_t y, unsigned m, unsigned d)
{
  /* H. Hinnant's algorithm: exact for every proleptic Gregorian date. */
  int64_t era;
  unsigned yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (unsigned) (y - era * 400);
  doy = (153 * (m + (m > 2 ? (unsigned) -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t) doe - 719468;
}

void
clftime_civil_from_days (int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned) (z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;

  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t) yoe + era * 400 + (*m <= 2);
}

static inline bool
two_digits (const char *p, unsigned *out)
{
  unsigned a = (unsigned) (p[0] - '0'), b = (unsigned) (p[1] - '0');

  if (a > 9 || b > 9)
    return false;
  *out = a * 10 + b;
  return true;
}

static int
month_number (const char *p)
{
  /* Exact, case-sensitive English abbreviations, as Apache and nginx write
   * them regardless of locale. */
  static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  int i;

  for (i = 0; i < 12; i++)
    if (memcmp (p, names + 3 * i, 3) == 0)
      return i + 1;
  return 0;
}

bool
clftime_parse (LnSpan text, LnTime *out)
{
  static const unsigned char mdays[13] = { 0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  const char *p = text.p;
  unsigned day, hour, min, sec, y1, y2, oh, om;
  int month;
  int64_t year;
  int32_t offset;

  if (text.len != LN_CLFTIME_LEN)
    return false;
  if (p[2] != '/' || p[6] != '/' || p[11] != ':' || p[14] != ':'
      || p[17] != ':' || p[20] != ' ' || (p[21] != '+' && p[21] != '-'))
    return false;
  if (!two_digits (p, &day) || !two_digits (p + 7, &y1) || !two_digits (p + 9, &y2)
      || !two_digits (p + 12, &hour) || !two_digits (p + 15, &min)
      || !two_digits (p + 18, &sec) || !two_digits (p + 22, &oh)
      || !two_digits (p + 24, &om))
    return false;
  month = month_number (p + 3);
  year = y1 * 100 + y2;
  if (month == 0 || day == 0 || day > mdays[month] || hour > 23 || min > 59
      || sec > 60 || oh > 23 || om > 59)
    return false;
  if (month == 2 && day == 29
      && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
    return false;
  offset = (int32_t) (oh * 3600 + om * 60);
  if (p[21] == '-')
    offset = -offset;
  out->utc_offset = offset;
  out->epoch = clftime_days_from_civil (year, (unsigned) month, day) * 86400
               + hour * 3600 + min * 60 + sec - offset;
  return true;
}

/* Whether the stamp at @p differs from the cache's last one in the time of
 * day only: bytes 0-11 ("10/Oct/2000:") and 20-25 (" -0700") are the
 * same, compared as overlapping fixed-size words instead of two memcmp
 * calls. */
static inline bool
same_day (const LnTimeCache *cache, const char *p)
{
  uint64_t a0, a1, b0, b1;
  uint32_t c0, c1, d0, d1;

  memcpy (&a0, p, 8);
  memcpy (&a1, p + 4, 8);
  memcpy (&b0, cache->last, 8);
  memcpy (&b1, cache->last + 4, 8);
  memcpy (&c0, p + 20, 4);
  memcpy (&c1, p + 22, 4);
  memcpy (&d0, cache->last + 20, 4);
  memcpy (&d1, cache->last + 22, 4);
  return ((a0 ^ b0) | (a1 ^ b1)) == 0 && ((c0 ^ d0) | (c1 ^ d1)) == 0;
}

bool
clftime_parse_cached (LnTimeCache *cache, LnSpan text, LnTime *out)
{
  const char *p = text.p;

  if (text.len == LN_CLFTIME_LEN && clftime_cache_last (cache, p, out))
    return true;
  if (text.len == LN_CLFTIME_LEN && cache->valid && same_day (cache, p)
      && p[14] == ':' && p[17] == ':')
    {
      unsigned hour, min, sec;

      if (!two_digits (p + 12, &hour) || !two_digits (p + 15, &min)
          || !two_digits (p + 18, &sec) || hour > 23 || min > 59 || sec > 60)
        return false;
      out->epoch = cache->midnight + hour * 3600 + min * 60 + sec;
      out->utc_offset = cache->utc_offset;
      memcpy (cache->last, p, LN_CLFTIME_LEN);
      cache->last_epoch = out->epoch;
      return true;
    }
  if (!clftime_parse (text, out))
    return false;
  cache->utc_offset = out->utc_offset;
  {
    unsigned hour = 0, min = 0, sec = 0;

    two_digits (p + 12, &hour);
    two_digits (p + 15, &min);
    two_digits (p + 18, &sec);
    cache->midnight = out->epoch - (hour * 3600 + min * 60 + sec);
  }
  memcpy (cache->last, p, LN_CLFTIME_LEN);
  cache->last_epoch = out->epoch;
  cache->valid = true;
  return true;
}
