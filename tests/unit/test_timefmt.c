/* test_timefmt.c - compiled time formats (%{FORMAT}t, $time_iso8601, $msec)
 * against libc's timegm(). */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>
#include <time.h>

#include "errors.h"
#include "helpers.h"
#include "timefmt.h"

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

static LnTimeFmt *
compile_ok (const char *format)
{
  GError *error = NULL;
  LnTimeFmt *tf = timefmt_compile (format, 1, &error);

  cr_assert_not_null (tf, "timefmt_compile(\"%s\"): %s", format,
                      error ? error->message : "?");
  cr_assert_null (error);
  return tf;
}

/* timefmt_parse on an exact-size heap copy (no NUL), so that a read past
 * the end is caught under AddressSanitizer. */
static bool
parse_with (const LnTimeFmt *tf, const char *text, LnTime *out)
{
  size_t len = strlen (text);
  char *copy = g_malloc (len ? len : 1);
  bool ok;

  memcpy (copy, text, len);
  ok = timefmt_parse (tf, span_make (copy, len), out);
  g_free (copy);
  return ok;
}

/* @format parses @text into the instant of the wall-clock time given,
 * written @offset seconds east of UTC. */
static void
expect_time (const char *format, const char *text, int y, int mon, int d, int h,
             int mi, int s, int offset)
{
  LnTimeFmt *tf = compile_ok (format);
  LnTime t = { 0, 12345 };

  cr_assert (timefmt_has_instant (tf), "%s: no instant", format);
  cr_assert (parse_with (tf, text, &t), "%s: \"%s\" rejected", format, text);
  cr_assert_eq (t.epoch, libc_epoch (y, mon, d, h, mi, s, offset),
                "%s: \"%s\" gives %" G_GINT64_FORMAT, format, text, t.epoch);
  cr_assert_eq (t.utc_offset, offset, "%s: \"%s\" offset %d", format, text,
                (int) t.utc_offset);
  timefmt_free (tf);
}

/* A date alone is no instant: the hour is added to @format and @text. */
static void
expect_date (const char *format, const char *text, int y, int mon, int d)
{
  g_autofree char *f = g_strconcat (format, " %H", NULL);
  g_autofree char *t = g_strconcat (text, " 00", NULL);

  expect_time (f, t, y, mon, d, 0, 0, 0, 0);
}

static void
expect_epoch (const char *format, const char *text, int64_t epoch)
{
  LnTimeFmt *tf = compile_ok (format);
  LnTime t = { 0, 12345 };

  cr_assert (parse_with (tf, text, &t), "%s: \"%s\" rejected", format, text);
  cr_assert_eq (t.epoch, epoch, "%s: \"%s\" gives %" G_GINT64_FORMAT, format, text,
                t.epoch);
  timefmt_free (tf);
}

static void
expect_bad (const char *format, const char *text)
{
  LnTimeFmt *tf = compile_ok (format);
  LnTime t;

  cr_assert (!parse_with (tf, text, &t), "%s: \"%s\" accepted", format, text);
  timefmt_free (tf);
}

static void
expect_compile_error (const char *format, const char *needle)
{
  GError *error = NULL;
  LnTimeFmt *tf = timefmt_compile (format, 10, &error);

  cr_assert_null (tf, "\"%s\" compiled", format);
  cr_assert_not_null (error);
  cr_assert_eq (error->domain, LN_ERROR);
  cr_assert_eq (error->code, LN_ERROR_USAGE);
  cr_assert (strstr (error->message, needle) != NULL, "\"%s\" not in \"%s\"", needle,
             error->message);
  g_error_free (error);
}

Test (timefmt, numeric_conversions)
{
  expect_time ("%Y-%m-%d %H:%M:%S", "2024-03-05 10:11:12", 2024, 3, 5, 10, 11, 12, 0);
  expect_time ("%d.%m.%y %H%M%S", "05.03.24 101112", 2024, 3, 5, 10, 11, 12, 0);
  expect_date ("%d.%m.%y", "31.12.69", 1969, 12, 31);
  expect_date ("%d.%m.%y", "01.01.68", 2068, 1, 1);
  expect_date ("%Y %e %m", "2024  5 03", 2024, 3, 5);
  expect_date ("%Y %e %m", "2024 15 03", 2024, 3, 15);
  expect_time ("%Y/%j %T", "2024/065 10:11:12", 2024, 3, 5, 10, 11, 12, 0);
  expect_date ("%Y/%j", "2023/365", 2023, 12, 31);
  expect_date ("%Y/%j", "2024/366", 2024, 12, 31);
}

Test (timefmt, composite_conversions)
{
  expect_time ("%F %T", "2024-03-05 10:11:12", 2024, 3, 5, 10, 11, 12, 0);
  expect_time ("%D %R", "03/05/24 10:11", 2024, 3, 5, 10, 11, 0, 0);
  expect_date ("%F%%%n%t", "2024-03-05%\n\t", 2024, 3, 5);
}

Test (timefmt, names)
{
  expect_date ("%a %b %d %Y", "Tue Mar 05 2024", 2024, 3, 5);
  expect_date ("%A, %d %B %Y", "Tuesday, 05 March 2024", 2024, 3, 5);
  expect_date ("%d-%h-%Y", "05-Sep-2024", 2024, 9, 5);
  expect_date ("%B %d %Y", "September 30 2024", 2024, 9, 30);
  expect_date ("%A %F", "Saturday 2000-01-01", 2000, 1, 1);
  expect_date ("%a %F", "Sun 1969-12-28", 1969, 12, 28);
  /* month and weekday names are C-locale English and case-sensitive */
  expect_bad ("%b %d %Y", "mar 05 2024");
  expect_bad ("%b %d %Y", "Mär 05 2024");
  expect_bad ("%B %d %Y", "Mar 05 2024");
  expect_bad ("%B %d %Y", "Marc 05 2024");
  /* the weekday must be the date's */
  expect_bad ("%a %F", "Mon 2024-03-05");
  expect_bad ("%A %F", "Tue 2024-03-05");
  /* a month given twice must agree */
  expect_bad ("%m %b %d %Y", "03 Apr 05 2024");
}

Test (timefmt, twelve_hour_clock)
{
  expect_time ("%F %I:%M:%S %p", "2024-03-05 12:00:00 AM", 2024, 3, 5, 0, 0, 0, 0);
  expect_time ("%F %I:%M:%S %p", "2024-03-05 12:30:00 PM", 2024, 3, 5, 12, 30, 0, 0);
  expect_time ("%F %I:%M:%S %p", "2024-03-05 01:02:03 PM", 2024, 3, 5, 13, 2, 3, 0);
  expect_time ("%F %I:%M:%S %p", "2024-03-05 11:59:59 AM", 2024, 3, 5, 11, 59, 59, 0);
  expect_bad ("%F %I:%M:%S %p", "2024-03-05 00:00:00 AM");
  expect_bad ("%F %I:%M:%S %p", "2024-03-05 13:00:00 PM");
  expect_bad ("%F %I:%M:%S %p", "2024-03-05 01:00:00 pm");
}

Test (timefmt, zones)
{
  const char *iso = "%Y-%m-%dT%H:%M:%S%z";

  expect_time (iso, "2024-03-05T10:00:00+0000", 2024, 3, 5, 10, 0, 0, 0);
  expect_time (iso, "2000-10-10T13:55:36-0700", 2000, 10, 10, 13, 55, 36, -25200);
  expect_time (iso, "2024-03-05T10:00:00+0530", 2024, 3, 5, 10, 0, 0, 19800);
  expect_time (iso, "2024-03-05T10:00:00+05:30", 2024, 3, 5, 10, 0, 0, 19800);
  expect_time (iso, "2024-03-05T10:00:00+01:00", 2024, 3, 5, 10, 0, 0, 3600);
  expect_time (iso, "2024-03-05T10:00:00-01:00", 2024, 3, 5, 10, 0, 0, -3600);
  expect_time (iso, "2024-03-05T10:00:00Z", 2024, 3, 5, 10, 0, 0, 0);
  expect_time ("%F %T %Z", "2024-03-05 10:00:00 UTC", 2024, 3, 5, 10, 0, 0, 0);
  expect_time ("%F %T %Z", "2024-03-05 10:00:00 GMT", 2024, 3, 5, 10, 0, 0, 0);
  /* no zone: UTC */
  expect_time ("%F %T", "2024-03-05 10:00:00", 2024, 3, 5, 10, 0, 0, 0);
  expect_bad ("%F %T %Z", "2024-03-05 10:00:00 CET");
  expect_bad (iso, "2024-03-05T10:00:00+01");
  expect_bad (iso, "2024-03-05T10:00:00+1:00");
  expect_bad (iso, "2024-03-05T10:00:00+01:0");
  expect_bad (iso, "2024-03-05T10:00:00+2400");
  expect_bad (iso, "2024-03-05T10:00:00+0060");
  expect_bad (iso, "2024-03-05T10:00:00 0100");
  expect_bad (iso, "2024-03-05T10:00:00z");
}

Test (timefmt, ranges)
{
  const char *f = "%Y-%m-%d %H:%M:%S";

  expect_time (f, "2024-12-31 23:59:60", 2024, 12, 31, 23, 59, 60, 0);
  expect_bad (f, "2024-03-32 10:00:00");
  expect_bad (f, "2024-03-00 10:00:00");
  expect_bad (f, "2024-04-31 10:00:00");
  expect_bad (f, "2024-13-05 10:00:00");
  expect_bad (f, "2024-00-05 10:00:00");
  expect_bad (f, "2024-03-05 24:00:00");
  expect_bad (f, "2024-03-05 10:60:00");
  expect_bad (f, "2024-03-05 10:00:61");
  expect_bad (f, "2024-3-05 10:00:00");
  expect_bad (f, "24-03-05 10:00:00");
  expect_bad (f, "2024-03-05 10:00:0x");
  expect_bad (f, "2024-03-05T10:00:00");
  expect_bad ("%Y/%j", "2024/000");
  expect_bad ("%Y/%j", "2024/367");
  expect_bad ("%Y/%j", "2023/366");
  expect_bad ("%Y %e %m", "2024 5 03");
  /* %j and a month and day must agree */
  expect_date ("%F %j", "2024-03-05 065", 2024, 3, 5);
  expect_bad ("%F %j", "2024-03-05 066");
}

Test (timefmt, leap_years)
{
  const char *f = "%d/%b/%Y";

  expect_date (f, "29/Feb/2024", 2024, 2, 29);
  expect_date (f, "29/Feb/2000", 2000, 2, 29);
  expect_date (f, "29/Feb/1968", 1968, 2, 29);
  expect_bad (f, "29/Feb/2023");
  expect_bad (f, "29/Feb/1900");
  expect_bad (f, "29/Feb/2100");
  expect_bad (f, "30/Feb/2024");
}

Test (timefmt, before_1970)
{
  expect_time ("%F %T%z", "1969-12-31 23:59:59+0000", 1969, 12, 31, 23, 59, 59, 0);
  expect_epoch ("%F %T%z", "1969-12-31 23:59:59+0000", -1);
  expect_time ("%F %T%z", "1901-12-13 20:45:52-0130", 1901, 12, 13, 20, 45, 52, -5400);
  expect_time ("%F %T", "0001-01-01 00:00:00", 1, 1, 1, 0, 0, 0, 0);
  expect_epoch ("%s", "-86400", -86400);
  expect_epoch ("sec", "-1", -1);
  expect_epoch ("msec", "-1", -1);
  expect_epoch ("usec", "-1000001", -2);
}

Test (timefmt, trailing_junk_and_short_text)
{
  expect_bad ("%F %T", "2024-03-05 10:00:00 ");
  expect_bad ("%F %T", "2024-03-05 10:00:00x");
  expect_bad ("%F %T", "2024-03-05 10:00:0");
  expect_bad ("%F %T", "2024-03-05 10:00");
  expect_bad ("%F %T", "");
  expect_bad ("%b", "Ma");
  expect_bad ("%B", "Septem");
  expect_bad ("%A", "Wednes");
  expect_bad ("%p", "A");
  expect_bad ("%z", "+01:");
  expect_bad ("sec", "1709632800 ");
  expect_bad ("sec", "");
  expect_bad ("sec", "-");
  expect_bad ("sec", "17096328001709632800");
}

Test (timefmt, epoch_tokens)
{
  LnTimeFmt *tf;

  expect_epoch ("sec", "1709632800", 1709632800);
  expect_epoch ("msec", "1709632800123", 1709632800);
  expect_epoch ("usec", "1709632800999999", 1709632800);
  expect_epoch ("%s", "1709632800", 1709632800);
  expect_epoch ("[%s]", "[0]", 0);
  tf = compile_ok ("sec");
  cr_assert (timefmt_has_instant (tf));
  timefmt_free (tf);
}

Test (timefmt, instant_needs_a_date)
{
  static const char *const partial[] = {
    "%d/%b/%Y", "%F", "%Y%j", "%H:%M:%S", "%T", "%b %d", "%Y-%m", "%a", "literal only",
  };
  static const char *const full[] = {
    "%d/%b/%Y:%H", "%F %T", "%D %I %p", "%Y%j%H", "%s", "%Y-%m-%dT%H:%M:%S%z",
  };
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (partial); i++)
    {
      LnTimeFmt *tf = compile_ok (partial[i]);

      cr_assert (!timefmt_has_instant (tf), "%s", partial[i]);
      timefmt_free (tf);
    }
  for (i = 0; i < G_N_ELEMENTS (full); i++)
    {
      LnTimeFmt *tf = compile_ok (full[i]);

      cr_assert (timefmt_has_instant (tf), "%s", full[i]);
      timefmt_free (tf);
    }
  /* a format without an instant still checks its text, and a date */
  expect_bad ("%H:%M:%S", "25:00:00");
  expect_bad ("%F", "2023-02-29");
  expect_bad ("%a %F", "Mon 2024-03-05");
  expect_bad ("%b %d", "Feb 30");
  expect_bad ("literal only", "literal onlx");
}

/* What a format without an instant gives the parser to combine: a date's
 * midnight, a time of day's seconds, a zone's offset (parse.c). */
static void
expect_part (const char *format, const char *text, LnTimePart part, gboolean zoned,
             int64_t epoch, int32_t offset)
{
  LnTimeFmt *tf = compile_ok (format);
  LnTime t = { 77, 88 };

  cr_assert_eq (timefmt_part (tf), part, "%s: part %d", format, (int) timefmt_part (tf));
  cr_assert_eq (timefmt_zoned (tf), zoned, "%s: zoned", format);
  cr_assert (parse_with (tf, text, &t), "%s on %s", format, text);
  if (part != LN_TIME_PART_NONE)
    {
      if (part != LN_TIME_PART_ZONE)
        cr_assert_eq (t.epoch, epoch, "%s on %s: %" G_GINT64_FORMAT, format, text, t.epoch);
      cr_assert_eq (t.utc_offset, offset, "%s on %s: offset %d", format, text, t.utc_offset);
    }
  timefmt_free (tf);
}

Test (timefmt, parts_without_an_instant)
{
  expect_part ("%d/%b/%Y", "05/Mar/2024", LN_TIME_PART_DATE, FALSE,
               libc_epoch (2024, 3, 5, 0, 0, 0, 0), 0);
  expect_part ("%F%z", "2024-03-05+0100", LN_TIME_PART_DATE, TRUE,
               libc_epoch (2024, 3, 5, 0, 0, 0, 3600), 3600);
  expect_part ("%T", "10:11:12", LN_TIME_PART_CLOCK, FALSE, 36672, 0);
  expect_part ("%I:%M %p", "01:02 PM", LN_TIME_PART_CLOCK, FALSE, 13 * 3600 + 120, 0);
  expect_part ("%T %z", "10:11:12 -0700", LN_TIME_PART_CLOCK, TRUE, 36672 + 25200, -25200);
  expect_part ("%z", "+0530", LN_TIME_PART_ZONE, TRUE, 0, 19800);
  expect_part ("%z", "-07:00", LN_TIME_PART_ZONE, TRUE, 0, -25200);
  expect_part ("%Z", "UTC", LN_TIME_PART_ZONE, TRUE, 0, 0);
  expect_part ("%b %d", "Mar 05", LN_TIME_PART_NONE, FALSE, 0, 0);
  expect_part ("%d/%b/%Y:%T", "05/Mar/2024:10:11:12", LN_TIME_PART_INSTANT, FALSE,
               libc_epoch (2024, 3, 5, 10, 11, 12, 0), 0);
  expect_part ("%d/%b/%Y:%T %z", "05/Mar/2024:10:11:12 +0100", LN_TIME_PART_INSTANT, TRUE,
               libc_epoch (2024, 3, 5, 10, 11, 12, 3600), 3600);
  expect_part ("sec", "1709632800", LN_TIME_PART_INSTANT, TRUE, 1709632800, 0);
}

Test (timefmt, unsupported_conversions)
{
  expect_compile_error ("%Y-%m-%d %c", "'%c'");
  expect_compile_error ("%Y-%m-%d %c", "column 19");
  expect_compile_error ("%Q", "column 10");
  expect_compile_error ("%-d", "'%-'");
  expect_compile_error ("%Ey", "'%E'");
  expect_compile_error ("%F %", "'%'");
  expect_compile_error ("%F %\xc3\xa4", "'%\xc3\xa4'");
}

Test (timefmt, too_long)
{
  GString *s = g_string_new (NULL);
  int i;

  for (i = 0; i < 70; i++)
    g_string_append (s, "%H.");
  expect_compile_error (s->str, "too long");
  g_string_free (s, TRUE);
}

Test (timefmt, nginx_forms)
{
  LnTimeFmt *iso = timefmt_new_iso8601 ();
  LnTimeFmt *msec = timefmt_new_msec ();
  LnTime t;

  cr_assert (parse_with (iso, "2024-03-05T10:00:00+01:00", &t));
  cr_assert_eq (t.epoch, libc_epoch (2024, 3, 5, 10, 0, 0, 3600));
  cr_assert_eq (t.utc_offset, 3600);
  cr_assert (parse_with (iso, "2024-03-05T10:00:00-07:00", &t));
  cr_assert_eq (t.utc_offset, -25200);
  cr_assert (!parse_with (iso, "2024-03-05 10:00:00+01:00", &t));
  cr_assert (!parse_with (iso, "05/Mar/2024:10:00:00 +0100", &t));

  cr_assert (parse_with (msec, "1709632800.123", &t));
  cr_assert_eq (t.epoch, 1709632800);
  cr_assert_eq (t.utc_offset, 0);
  cr_assert (parse_with (msec, "0.999", &t));
  cr_assert_eq (t.epoch, 0);
  cr_assert (!parse_with (msec, "1709632800", &t));
  cr_assert (!parse_with (msec, "1709632800.12", &t));
  cr_assert (!parse_with (msec, "1709632800.1234", &t));
  cr_assert (!parse_with (msec, "-1.000", &t));
  cr_assert (!parse_with (msec, ".123", &t));
  cr_assert (!parse_with (msec, "-", &t));
  timefmt_free (iso);
  timefmt_free (msec);
}

/* The matcher stops at the end of the time, whatever follows. */
Test (timefmt, match_stops_after_the_time)
{
  static const char text[] = "2024-03-05 10:00:00 \"GET / HTTP/1.1\"";
  LnTimeFmt *tf = compile_ok ("%F %T");
  const char *stop = NULL;
  LnTime t;

  cr_assert (timefmt_match (tf, NULL, text, text + sizeof text - 1, &stop, &t));
  cr_assert_eq (stop, text + 19);
  timefmt_free (tf);
}

/* The cached date part answers exactly what a fresh parse would, for every
 * day of two years around a leap day and across a zone change. */
Test (timefmt, cache_agrees_with_fresh_parse)
{
  LnTimeFmt *tf = compile_ok ("%a %d/%b/%Y:%H:%M:%S %z");
  static const char *const mon[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
  };
  static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
  LnTimeFmtCache cache = { 0 };
  int64_t day;

  for (day = 19700; day < 19700 + 800; day++)
    {
      time_t secs = (time_t) (day * 86400);
      struct tm tm;
      int k;

      gmtime_r (&secs, &tm);
      for (k = 0; k < 3; k++)
        {
          char text[64], *copy;
          const char *stop;
          LnTime a, b;
          int len = g_snprintf (text, sizeof text, "%s %02d/%s/%04d:%02d:%02d:%02d %s",
                                wd[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon],
                                tm.tm_year + 1900, k * 7, k * 13, k * 17,
                                k == 2 ? "-0130" : "+0100");

          copy = g_memdup2 (text, (gsize) len);
          cr_assert (timefmt_match (tf, &cache, copy, copy + len, &stop, &a), "%s", text);
          cr_assert (timefmt_parse (tf, span_make (copy, (size_t) len), &b));
          cr_assert_eq (a.epoch, b.epoch, "%s", text);
          cr_assert_eq (a.utc_offset, b.utc_offset, "%s", text);
          /* a wrong weekday is caught on a cache hit too */
          memcpy (copy, wd[(tm.tm_wday + 1) % 7], 3);
          cr_assert (!timefmt_match (tf, &cache, copy, copy + len, &stop, &a), "%s", text);
          g_free (copy);
        }
    }
  timefmt_free (tf);
}

/* The cached text answers only for the same text but the time of day, and
 * still checks those digits. */
Test (timefmt, text_cache_checks_the_time_of_day)
{
  LnTimeFmt *tf = compile_ok ("%Y-%m-%dT%H:%M:%S%z");
  LnTimeFmt *other = compile_ok ("%Y-%m-%dT%H:%M:%S%z ");
  LnTimeFmtCache cache = { 0 };
  static const struct {
    const char *text;
    bool ok;
    int h, mi, s, offset;
  } seq[] = {
    { "2024-03-05T10:00:00+0100", true, 10, 0, 0, 3600 },
    { "2024-03-05T10:00:01+0100", true, 10, 0, 1, 3600 },
    { "2024-03-05T23:59:60+0100", true, 23, 59, 60, 3600 },
    { "2024-03-05T24:00:00+0100", false, 0, 0, 0, 0 },
    { "2024-03-05T10:60:00+0100", false, 0, 0, 0, 0 },
    { "2024-03-05T10:00:61+0100", false, 0, 0, 0, 0 },
    { "2024-03-05T1x:00:00+0100", false, 0, 0, 0, 0 },
    { "2024-03-05T10:0 :00+0100", false, 0, 0, 0, 0 },
    { "2024-03-05T10-00:00+0100", false, 0, 0, 0, 0 },
    { "2024-03-05T10:00:00+0200", true, 10, 0, 0, 7200 },
    { "2024-03-05T10:00:00+02:00", true, 10, 0, 0, 7200 },
    { "2024-03-05T11:00:00+02:00", true, 11, 0, 0, 7200 },
    { "2024-03-05T11:00:00+02:0", false, 0, 0, 0, 0 },
    { "2024-03-06T00:00:00+02:00", true, 0, 0, 0, 7200 },
  };
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (seq); i++)
    {
      size_t len = strlen (seq[i].text);
      char *copy = g_memdup2 (seq[i].text, len);
      const char *stop;
      LnTime t;
      bool ok = timefmt_match (tf, &cache, copy, copy + len, &stop, &t) && stop == copy + len;

      cr_assert_eq (ok, seq[i].ok, "%s", seq[i].text);
      if (ok)
        {
          int d = seq[i].text[9] - '0';

          cr_assert_eq (t.epoch, libc_epoch (2024, 3, d, seq[i].h, seq[i].mi, seq[i].s,
                                             seq[i].offset), "%s", seq[i].text);
          cr_assert_eq (t.utc_offset, seq[i].offset, "%s", seq[i].text);
        }
      g_free (copy);
    }
  /* another format does not take this one's cached text */
  {
    static const char text[] = "2024-03-06T00:00:00+02:00";
    const char *stop;
    LnTime t;

    cr_assert (!timefmt_match (other, &cache, text, text + sizeof text - 1, &stop, &t));
  }
  timefmt_free (tf);
  timefmt_free (other);
}
