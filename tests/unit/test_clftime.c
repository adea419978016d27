/* test_clftime.c - the CLF timestamp parser against libc's timegm(). */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clftime.h"
#include "helpers.h"

static const char *const month_names[12] = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* The epoch of a wall-clock time written with @offset seconds east of
 * UTC, computed by libc. */
static int64_t
libc_epoch (int y, int mon, int d, int h, int mi, int s, int offset)
{
  struct tm tm;

  memset (&tm, 0, sizeof tm);
  tm.tm_year = y - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return (int64_t) timegm (&tm) - offset;
}

static void
clf_text (char out[LN_CLFTIME_LEN + 1], int y, int mon, int d, int h, int mi, int s,
          int offset)
{
  int a = offset < 0 ? -offset : offset;
  int n = snprintf (out, LN_CLFTIME_LEN + 1, "%02d/%s/%04d:%02d:%02d:%02d %c%02d%02d",
                    d, month_names[mon - 1], y, h, mi, s, offset < 0 ? '-' : '+',
                    a / 3600, a / 60 % 60);
  cr_assert_eq (n, LN_CLFTIME_LEN);
}

/* clftime_parse on an exact-size heap copy (no NUL), so that a read past
 * the 26 bytes is caught under AddressSanitizer. */
static bool
parse_exact (const char *text, size_t len, LnTime *out)
{
  char *copy = g_malloc (len ? len : 1);
  bool ok;

  memcpy (copy, text, len);
  ok = clftime_parse (span_make (copy, len), out);
  g_free (copy);
  return ok;
}

static bool
parse_str (const char *text, LnTime *out)
{
  return parse_exact (text, strlen (text), out);
}

typedef struct {
  int y, mon, d, h, mi, s, offset;
} DateCase;

static const DateCase date_cases[] = {
  { 1970, 1, 1, 0, 0, 0, 0 },
  { 1970, 1, 1, 0, 0, 1, 0 },
  { 1970, 1, 1, 0, 0, 0, 3600 },       /* before the epoch in UTC */
  { 1969, 12, 31, 23, 59, 59, 0 },
  { 1900, 1, 1, 0, 0, 0, 0 },
  { 1900, 3, 1, 12, 0, 0, 0 },
  { 2000, 1, 1, 0, 0, 0, 0 },
  { 2000, 2, 28, 23, 59, 59, 0 },
  { 2000, 2, 29, 0, 0, 0, 0 },
  { 2000, 2, 29, 23, 59, 59, -7 * 3600 },
  { 2000, 3, 1, 0, 0, 0, 0 },
  { 2000, 10, 10, 13, 55, 36, -7 * 3600 },
  { 2000, 12, 31, 23, 59, 59, 0 },
  { 2004, 2, 29, 6, 30, 0, 0 },
  { 2023, 3, 12, 8, 4, 2, 5 * 3600 + 30 * 60 },
  { 2024, 2, 29, 12, 0, 0, 14 * 3600 },
  { 2024, 12, 31, 23, 59, 59, -12 * 3600 },
  { 2038, 1, 19, 3, 14, 8, 0 },        /* past 32-bit time_t */
  { 2100, 2, 28, 23, 59, 59, 0 },
  { 2100, 3, 1, 0, 0, 0, 0 },
  { 2100, 3, 1, 0, 0, 0, -(9 * 3600 + 30 * 60) },
  { 2400, 2, 29, 0, 0, 0, 0 },
  { 9999, 12, 31, 23, 59, 59, 14 * 3600 },
  { 1, 1, 1, 0, 0, 0, 0 },
  { 2019, 6, 30, 1, 2, 3, 23 * 3600 + 59 * 60 },
  { 2019, 7, 1, 1, 2, 3, -(23 * 3600 + 59 * 60) },
};

Test (clftime, table_against_timegm)
{
  size_t i;

  for (i = 0; i < N_ELEMS (date_cases); i++)
    {
      const DateCase *c = &date_cases[i];
      char text[LN_CLFTIME_LEN + 1];
      LnTime t = { -1, -1 };

      clf_text (text, c->y, c->mon, c->d, c->h, c->mi, c->s, c->offset);
      cr_assert (parse_str (text, &t), "rejected \"%s\"", text);
      cr_assert_eq (t.epoch, libc_epoch (c->y, c->mon, c->d, c->h, c->mi, c->s, c->offset),
                    "epoch of \"%s\": %" G_GINT64_FORMAT, text, t.epoch);
      cr_assert_eq (t.utc_offset, c->offset, "offset of \"%s\": %d", text, (int) t.utc_offset);
    }
}

Test (clftime, known_values)
{
  LnTime t;

  /* the example of Apache's documentation */
  cr_assert (parse_str ("10/Oct/2000:13:55:36 -0700", &t));
  cr_assert_eq (t.epoch, 971211336);
  cr_assert_eq (t.utc_offset, -25200);
  cr_assert (parse_str ("01/Jan/1970:00:00:00 +0000", &t));
  cr_assert_eq (t.epoch, 0);
  cr_assert_eq (t.utc_offset, 0);
  cr_assert (parse_str ("29/Feb/2000:00:00:00 +0000", &t));
  cr_assert_eq (t.epoch, 951782400);
  cr_assert (parse_str ("01/Mar/2100:00:00:00 +0000", &t));
  cr_assert_eq (t.epoch, 4107542400LL);
  cr_assert (parse_str ("01/Jan/2000:05:30:00 +0530", &t));
  cr_assert_eq (t.epoch, 946684800);
  cr_assert_eq (t.utc_offset, 19800);
  cr_assert (parse_str ("01/Jan/2000:14:00:00 +1400", &t));
  cr_assert_eq (t.epoch, 946684800);
  cr_assert_eq (t.utc_offset, 50400);
  cr_assert (parse_str ("31/Dec/1999:17:00:00 -0700", &t));
  cr_assert_eq (t.epoch, 946684800);
  cr_assert (parse_str ("31/Dec/1969:23:59:59 +0000", &t));
  cr_assert_eq (t.epoch, -1);
  /* -0000 is the same instant as +0000 */
  cr_assert (parse_str ("01/Jan/1970:00:00:00 -0000", &t));
  cr_assert_eq (t.epoch, 0);
  cr_assert_eq (t.utc_offset, 0);
}

Test (clftime, every_month_name)
{
  int m;

  for (m = 1; m <= 12; m++)
    {
      char text[LN_CLFTIME_LEN + 1];
      LnTime t;

      clf_text (text, 2021, m, 15, 12, 0, 0, 0);
      cr_assert (parse_str (text, &t), "\"%s\"", text);
      cr_assert_eq (t.epoch, libc_epoch (2021, m, 15, 12, 0, 0, 0), "\"%s\"", text);
    }
}

Test (clftime, sweep_against_gmtime)
{
  /* Roughly every 3 days and 1 hour from 1900 to 2200, each with one of
   * the offsets: the text is the local wall clock, the result the instant. */
  static const int offsets[] = { 0, -7 * 3600, 5 * 3600 + 30 * 60, 14 * 3600,
                                 -12 * 3600, 9 * 3600 + 45 * 60, -(3 * 3600 + 30 * 60) };
  int64_t t;
  int n = 0;

  for (t = -2208988800LL; t < 7258118400LL; t += 3 * 86400 + 3671, n++)
    {
      int offset = offsets[n % N_ELEMS (offsets)];
      time_t local = (time_t) (t + offset);
      struct tm tm;
      char text[LN_CLFTIME_LEN + 1];
      LnTime parsed;

      cr_assert_not_null (gmtime_r (&local, &tm));
      clf_text (text, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, offset);
      cr_assert (clftime_parse (span_make (text, LN_CLFTIME_LEN), &parsed),
                 "rejected \"%s\"", text);
      cr_assert_eq (parsed.epoch, t, "\"%s\": %" G_GINT64_FORMAT " != %" G_GINT64_FORMAT,
                    text, parsed.epoch, t);
      cr_assert_eq (parsed.utc_offset, offset);
    }
  cr_assert_gt (n, 30000);
}

Test (clftime, days_from_civil)
{
  int y;
  unsigned m;

  cr_assert_eq (clftime_days_from_civil (1970, 1, 1), 0);
  cr_assert_eq (clftime_days_from_civil (1970, 1, 2), 1);
  cr_assert_eq (clftime_days_from_civil (1969, 12, 31), -1);
  cr_assert_eq (clftime_days_from_civil (2000, 2, 29), 11016);
  cr_assert_eq (clftime_days_from_civil (2000, 3, 1), 11017);
  cr_assert_eq (clftime_days_from_civil (2100, 3, 1), 47541);
  cr_assert_eq (clftime_days_from_civil (1, 1, 1), -719162);
  cr_assert_eq (clftime_days_from_civil (0, 3, 1), -719468);
  cr_assert_eq (clftime_days_from_civil (-1, 12, 31), -719529);
  /* first and last day of every month, 1600-2400, against timegm */
  for (y = 1600; y <= 2400; y++)
    for (m = 1; m <= 12; m++)
      {
        struct tm tm;
        int64_t expected;

        memset (&tm, 0, sizeof tm);
        tm.tm_year = y - 1900;
        tm.tm_mon = (int) m - 1;
        tm.tm_mday = 1;
        expected = (int64_t) timegm (&tm) / 86400;
        cr_assert_eq (clftime_days_from_civil (y, m, 1), expected, "%d-%02u-01", y, m);
        /* the day before the first of the next month */
        memset (&tm, 0, sizeof tm);
        tm.tm_year = y - 1900;
        tm.tm_mon = (int) m;      /* normalised by timegm */
        tm.tm_mday = 0;
        expected = (int64_t) timegm (&tm) / 86400;
        cr_assert_eq (clftime_days_from_civil (y, m, (unsigned) tm.tm_mday),
                      expected, "%d-%02u-%02d", y, m, tm.tm_mday);
      }
}

static const char *const invalid_cases[] = {
  "30/Feb/2000:00:00:00 +0000",   /* no Feb 30 */
  "31/Feb/2000:00:00:00 +0000",
  "29/Feb/2023:00:00:00 +0000",   /* not a leap year */
  "29/Feb/2100:00:00:00 +0000",   /* century, not a leap year */
  "29/Feb/1900:00:00:00 +0000",
  "31/Apr/2020:00:00:00 +0000",
  "31/Jun/2020:00:00:00 +0000",
  "31/Sep/2020:00:00:00 +0000",
  "31/Nov/2020:00:00:00 +0000",
  "32/Jan/2020:00:00:00 +0000",
  "00/Jan/2020:00:00:00 +0000",   /* day 0 */
  "10/Oct/2000:24:00:00 -0700",   /* hour 24 */
  "10/Oct/2000:13:60:36 -0700",   /* minute 60 */
  "10/Oct/2000:13:55:61 -0700",   /* second 61 */
  "10/Oct/2000:99:55:36 -0700",
  "10/Oxt/2000:13:55:36 -0700",   /* bad month name */
  "10/oct/2000:13:55:36 -0700",   /* lower case month */
  "10/OCT/2000:13:55:36 -0700",   /* upper case month */
  "10/Okt/2000:13:55:36 -0700",   /* localised month */
  "10/10 /2000:13:55:36 -0700",
  "10/Oct/2000:13:55:36 0700 ",   /* missing sign */
  "10/Oct/2000:13:55:36  0700",   /* space for a sign */
  "10/Oct/2000:13:55:36 *0700",
  "10/Oct/2000:13:55:36 +2400",   /* offset hour 24 */
  "10/Oct/2000:13:55:36 +0060",   /* offset minute 60 */
  "10/Oct/2000:13:55:36 +07a0",
  "10/Oct/2000 13:55:36 -0700",   /* separators */
  "10-Oct-2000:13:55:36 -0700",
  "10/Oct/2000:13.55.36 -0700",
  "10/Oct/2000:13:55:36_-0700",
  "1a/Oct/2000:13:55:36 -0700",
  "10/Oct/20x0:13:55:36 -0700",
  " 1/Oct/2000:13:55:36 -0700",
  "+1/Oct/2000:13:55:36 -0700",
  "10/Oct/2000:1 :55:36 -0700",
  "10/Oct/2000:13:55:-6 -0700",
};

Test (clftime, invalid)
{
  size_t i;

  for (i = 0; i < N_ELEMS (invalid_cases); i++)
    {
      LnTime t = { 12345, 678 };

      cr_assert_eq (strlen (invalid_cases[i]), LN_CLFTIME_LEN, "table: \"%s\"",
                    invalid_cases[i]);
      cr_assert (!parse_str (invalid_cases[i], &t), "accepted \"%s\"", invalid_cases[i]);
    }
}

Test (clftime, wrong_length)
{
  LnTime t;

  cr_assert (!parse_str ("", &t));
  cr_assert (!parse_str ("1/Oct/2000:13:55:36 -0700", &t));       /* 25 */
  cr_assert (!parse_str ("10/Oct/2000:13:55:36 -07000", &t));     /* 27 */
  cr_assert (!parse_str ("10/Oct/2000:13:55:36 -070", &t));       /* 25 */
  cr_assert (!parse_str ("10/Oct/2000:13:55:36", &t));
  cr_assert (!parse_str ("[10/Oct/2000:13:55:36 -0700]", &t));
  cr_assert (!parse_str ("10/Oct/2000:13:55:36 -0700 ", &t));
  cr_assert (!parse_str ("10/Oct/02000:13:55:36 -0700", &t));
  /* a valid timestamp followed by more bytes in the buffer: the length
   * given decides */
  cr_assert (clftime_parse (span_make ("10/Oct/2000:13:55:36 -0700]", LN_CLFTIME_LEN), &t));
  cr_assert_eq (t.epoch, 971211336);
  /* an embedded NUL */
  cr_assert (!parse_exact ("10/Oct/2000:13:55:36 -07\0" "0", LN_CLFTIME_LEN, &t));
}

/* --------------------------------------------------------------- cache */

Test (clftime, cache_same_results)
{
  LnTimeCache cache;
  LnTime direct, cached;
  size_t i;

  memset (&cache, 0, sizeof cache);
  for (i = 0; i < N_ELEMS (date_cases); i++)
    {
      const DateCase *c = &date_cases[i];
      char text[LN_CLFTIME_LEN + 1];
      int rep;

      clf_text (text, c->y, c->mon, c->d, c->h, c->mi, c->s, c->offset);
      cr_assert (clftime_parse (span_make (text, LN_CLFTIME_LEN), &direct));
      for (rep = 0; rep < 3; rep++)
        {
          memset (&cached, 0x77, sizeof cached);
          cr_assert (clftime_parse_cached (&cache, span_make (text, LN_CLFTIME_LEN), &cached),
                     "\"%s\" (repetition %d)", text, rep);
          cr_assert_eq (cached.epoch, direct.epoch, "\"%s\" (repetition %d)", text, rep);
          cr_assert_eq (cached.utc_offset, direct.utc_offset, "\"%s\"", text);
        }
    }
}

Test (clftime, cache_not_stale)
{
  LnTimeCache cache;
  char buf[LN_CLFTIME_LEN + 1];
  LnTime t;

  memset (&cache, 0, sizeof cache);
  /* the same buffer rewritten in place: the cache keys on the bytes,
   * not on the pointer */
  strcpy (buf, "10/Oct/2000:13:55:36 -0700");
  cr_assert (clftime_parse_cached (&cache, span_make (buf, LN_CLFTIME_LEN), &t));
  cr_assert_eq (t.epoch, 971211336);
  strcpy (buf, "10/Oct/2000:13:55:37 -0700");
  cr_assert (clftime_parse_cached (&cache, span_make (buf, LN_CLFTIME_LEN), &t));
  cr_assert_eq (t.epoch, 971211337);
  /* only the offset differs */
  strcpy (buf, "10/Oct/2000:13:55:37 +0000");
  cr_assert (clftime_parse_cached (&cache, span_make (buf, LN_CLFTIME_LEN), &t));
  cr_assert_eq (t.epoch, 971186137);
  cr_assert_eq (t.utc_offset, 0);
  /* an invalid text after a valid one is still invalid */
  strcpy (buf, "10/Oct/2000:24:55:37 +0000");
  cr_assert (!clftime_parse_cached (&cache, span_make (buf, LN_CLFTIME_LEN), &t));
  /* and does not spoil the entry: the previous text still answers */
  cr_assert (clftime_parse_cached (&cache,
                                   LN_SPAN_LIT ("10/Oct/2000:13:55:37 +0000"), &t));
  cr_assert_eq (t.epoch, 971186137);
  /* a prefix of the cached text is not the cached text */
  cr_assert (!clftime_parse_cached (&cache,
                                    span_make ("10/Oct/2000:13:55:37 +0000", 25), &t));
  cr_assert (!clftime_parse_cached (&cache, span_make ("", 0), &t));
  /* an empty cache never answers by itself */
  memset (&cache, 0, sizeof cache);
  memset (buf, 0, sizeof buf);
  cr_assert (!clftime_parse_cached (&cache, span_make (buf, LN_CLFTIME_LEN), &t));
}

/* A stamp that differs from the cached one in any single byte is not
 * answered from the cache: the inline compare covers all 26 bytes. */
Test (clftime, cache_sees_every_byte)
{
  static const char stamp[] = "10/Oct/2000:13:55:36 -0700";
  static const char other[] = "21/Nov/2011:02:44:47 +0100";
  size_t i;

  for (i = 0; i < LN_CLFTIME_LEN; i++)
    {
      LnTimeCache cache;
      char text[LN_CLFTIME_LEN + 1];
      LnTime direct, cached;
      bool ok;

      memset (&cache, 0, sizeof cache);
      cr_assert (clftime_parse_cached (&cache, LN_SPAN_LIT (stamp), &cached));
      memcpy (text, stamp, sizeof text);
      text[i] = other[i] != stamp[i] ? other[i] : 'x';
      ok = clftime_parse (span_make (text, LN_CLFTIME_LEN), &direct);
      cr_assert_eq (clftime_cache_last (&cache, text, &cached), false, "byte %zu", i);
      cr_assert_eq (clftime_parse_cached (&cache, span_make (text, LN_CLFTIME_LEN), &cached),
                    ok, "\"%s\"", text);
      if (ok)
        cr_assert_eq (cached.epoch, direct.epoch, "\"%s\"", text);
      /* and the cached one still answers inline */
      cr_assert (clftime_parse_cached (&cache, LN_SPAN_LIT (stamp), &cached));
      cr_assert (clftime_cache_last (&cache, stamp, &cached));
      cr_assert_eq (cached.epoch, 971211336);
    }
}

Test (clftime, cache_same_day_other_times)
{
  /* Lines of one day share the date and zone: every answer must still be
   * its own second, and invalid times of that day must still fail. */
  static const char *const invalid_same_day[] = {
    "10/Oct/2000:24:00:00 -0700", "10/Oct/2000:13:60:00 -0700",
    "10/Oct/2000:13:00:61 -0700", "10/Oct/2000:1a:00:00 -0700",
    "10/Oct/2000:13:0 :00 -0700", "10/Oct/2000:13:00: 0 -0700",
    "10/Oct/2000:13-00:00 -0700", "10/Oct/2000:13:00:00--0700",
    "10/Oct/2000:13:00:00 -0700x",
  };
  LnTimeCache cache;
  LnTime t;
  size_t i;

  memset (&cache, 0, sizeof cache);
  cr_assert (clftime_parse_cached (&cache, LN_SPAN_LIT ("10/Oct/2000:13:55:36 -0700"), &t));
  cr_assert_eq (t.epoch, 971211336);
  cr_assert (clftime_parse_cached (&cache, LN_SPAN_LIT ("10/Oct/2000:00:00:00 -0700"), &t));
  cr_assert_eq (t.epoch, 971161200);
  cr_assert_eq (t.utc_offset, -25200);
  cr_assert (clftime_parse_cached (&cache, LN_SPAN_LIT ("10/Oct/2000:23:59:59 -0700"), &t));
  cr_assert_eq (t.epoch, 971247599);
  for (i = 0; i < N_ELEMS (invalid_same_day); i++)
    {
      LnTime direct;
      LnSpan s = span_make (invalid_same_day[i], strlen (invalid_same_day[i]));

      cr_assert (!clftime_parse (s, &direct), "table: \"%s\"", invalid_same_day[i]);
      cr_assert (!clftime_parse_cached (&cache, s, &t), "cache accepted \"%s\"",
                 invalid_same_day[i]);
      /* the valid entry still answers afterwards */
      cr_assert (clftime_parse_cached (&cache, LN_SPAN_LIT ("10/Oct/2000:13:55:36 -0700"),
                                       &t));
      cr_assert_eq (t.epoch, 971211336);
    }
  /* same date, other zone; same zone, other date */
  cr_assert (clftime_parse_cached (&cache, LN_SPAN_LIT ("10/Oct/2000:13:55:36 +0200"), &t));
  cr_assert_eq (t.epoch, 971178936);
  cr_assert_eq (t.utc_offset, 7200);
  cr_assert (clftime_parse_cached (&cache, LN_SPAN_LIT ("11/Oct/2000:13:55:36 +0200"), &t));
  cr_assert_eq (t.epoch, 971178936 + 86400);
  cr_assert (clftime_parse_cached (&cache, LN_SPAN_LIT ("11/Nov/2000:13:55:36 +0200"), &t));
  cr_assert_eq (t.epoch, 971178936 + 32 * 86400);
}

Test (clftime, cache_sweep_matches_direct)
{
  /* every 21 minutes 43 seconds over 3 years, through the cache: each
   * result equals the uncached one (and libc's) */
  LnTimeCache cache;
  int64_t t;

  memset (&cache, 0, sizeof cache);
  for (t = 946684800; t < 946684800 + 3 * 365 * 86400LL; t += 1303)
    {
      int offset = (t / 86400) % 3 == 0 ? -7 * 3600 : 5 * 3600 + 30 * 60;
      time_t local = (time_t) (t + offset);
      struct tm tm;
      char text[LN_CLFTIME_LEN + 1];
      LnTime cached;

      cr_assert_not_null (gmtime_r (&local, &tm));
      clf_text (text, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, offset);
      cr_assert (clftime_parse_cached (&cache, span_make (text, LN_CLFTIME_LEN), &cached),
                 "rejected \"%s\"", text);
      cr_assert_eq (cached.epoch, t, "\"%s\"", text);
      cr_assert_eq (cached.utc_offset, offset, "\"%s\"", text);
    }
}

Test (clftime, cache_alternating)
{
  /* two texts alternating: every answer must belong to its own text */
  static const char *const texts[2] = {
    "01/Jan/2020:00:00:00 +0000", "01/Jan/2020:00:00:00 +0100",
  };
  LnTimeCache cache;
  int i;

  memset (&cache, 0, sizeof cache);
  for (i = 0; i < 10; i++)
    {
      LnTime t;

      cr_assert (clftime_parse_cached (&cache, span_make (texts[i & 1], LN_CLFTIME_LEN), &t));
      cr_assert_eq (t.epoch, (i & 1) ? 1577833200 : 1577836800, "round %d", i);
      cr_assert_eq (t.utc_offset, (i & 1) ? 3600 : 0);
    }
}

/* ------------------------------------------ inverse and floor division */

Test (clftime, civil_from_days)
{
  int64_t days;

  /* round trip over 1000 years around the epoch, and against gmtime */
  for (days = -365 * 500; days <= 365 * 500; days += 1)
    {
      int64_t y;
      unsigned m, d;

      clftime_civil_from_days (days, &y, &m, &d);
      cr_assert (m >= 1 && m <= 12 && d >= 1 && d <= 31, "day %" G_GINT64_FORMAT, days);
      cr_assert_eq (clftime_days_from_civil (y, m, d), days, "day %" G_GINT64_FORMAT
                    " -> %" G_GINT64_FORMAT "-%02u-%02u", days, y, m, d);
      if (days % 97 == 0)
        {
          time_t t = (time_t) (days * 86400);
          struct tm tm;

          cr_assert_not_null (gmtime_r (&t, &tm));
          cr_assert_eq (y, tm.tm_year + 1900);
          cr_assert_eq (m, (unsigned) tm.tm_mon + 1);
          cr_assert_eq (d, (unsigned) tm.tm_mday);
        }
    }
  {
    int64_t y;
    unsigned m, d;

    clftime_civil_from_days (0, &y, &m, &d);
    cr_assert (y == 1970 && m == 1 && d == 1);
    clftime_civil_from_days (-1, &y, &m, &d);
    cr_assert (y == 1969 && m == 12 && d == 31);
    clftime_civil_from_days (11016, &y, &m, &d);
    cr_assert (y == 2000 && m == 2 && d == 29);
    clftime_civil_from_days (-719468, &y, &m, &d);
    cr_assert (y == 0 && m == 3 && d == 1);
  }
}

Test (clftime, floor_div)
{
  cr_assert_eq (clftime_floor_div (0, 86400), 0);
  cr_assert_eq (clftime_floor_div (86399, 86400), 0);
  cr_assert_eq (clftime_floor_div (86400, 86400), 1);
  cr_assert_eq (clftime_floor_div (-1, 86400), -1);
  cr_assert_eq (clftime_floor_div (-86400, 86400), -1);
  cr_assert_eq (clftime_floor_div (-86401, 86400), -2);
  cr_assert_eq (clftime_floor_div (-7, 7), -1);
  cr_assert_eq (clftime_floor_div (-8, 7), -2);
  cr_assert_eq (clftime_floor_div (7, 1), 7);
  cr_assert_eq (clftime_floor_div (-7, 1), -7);
}
