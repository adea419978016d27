/* timefmt.h - the time forms of Apache's %{FORMAT}t and nginx's
 * $time_iso8601 and $msec.
 *
 * A strftime(3) format is compiled once into a list of steps (a literal, or
 * one conversion such as "%Y" or "%b"); the per-line matcher walks the steps
 * over the text by hand, like clftime.c: no strptime/mktime, no locale (C
 * month and day names), no TZ.  The matcher itself finds where the time
 * ends, so a format with spaces or with the next literal's bytes inside it
 * still parses.  A format without %z (or %Z, UTC/GMT only) is read as UTC.
 */
#ifndef LN_TIMEFMT_H
#define LN_TIMEFMT_H

#include <glib.h>
#include "clftime.h"

typedef struct LnTimeFmt LnTimeFmt;

#define LN_TIMEFMT_TEXT_MAX 48

/* What the last timestamps had in common.  Consecutive lines nearly always
 * differ in the time of day only: @text is the last time as written, and a
 * new one that equals it but for the digits of %H, %M and %S costs six
 * digits to read, as %t does with LnTimeCache.  Below that, the date part
 * (year, month, day, zone) of the last full parse spares the calendar
 * arithmetic. */
typedef struct {
  const LnTimeFmt *owner;  /* the format @text was matched with, or NULL */
  uint8_t len;
  uint8_t hour_at, min_at, sec_at;  /* offsets in @text; 0xff: absent */
  char text[LN_TIMEFMT_TEXT_MAX];
  int64_t text_base;      /* epoch of 00:00:00 local time of @text's day */
  int32_t text_offset;

  bool valid;
  int64_t year;
  unsigned month, day;
  int32_t utc_offset;
  int64_t base;           /* epoch of 00:00:00 local time that day */
  int wday;               /* 0 = Sunday */
} LnTimeFmtCache;

/* Compiles the argument of %{...}t after any "begin:"/"end:" prefix: "sec",
 * "msec", "usec" or a strftime format.  "msec_frac", "usec_frac" and ""
 * are the caller's (a number and CLF).  @column is the 1-based column of
 * @format's first byte in the whole LogFormat string, for the error
 * message (LN_ERROR_USAGE) about an unsupported conversion. */
LnTimeFmt *timefmt_compile (const char *format, int column, GError **error);

/* nginx's $time_iso8601 ("2024-03-05T10:00:00+01:00") and $msec
 * ("1709632800.123"). */
LnTimeFmt *timefmt_new_iso8601 (void);
LnTimeFmt *timefmt_new_msec (void);

void timefmt_free (LnTimeFmt *tf);

/* TRUE when a match gives an instant: the format has %s, or a year, a day
 * (month and day of month, or day of year) and an hour; sec/msec/usec
 * always.  A date without a time of day is checked but sets no instant. */
gboolean timefmt_has_instant (const LnTimeFmt *tf);

/* What a match gives toward the record's instant.  Apache's own example
 * "%{%d/%b/%Y:%H:%M:%S}t.%{msec_frac}t %{%z}t" has the zone in a field of
 * its own, and a date and a time of day may be apart too; the parser puts
 * the parts together (parse.c). */
typedef enum {
  LN_TIME_PART_NONE,
  LN_TIME_PART_INSTANT,   /* out->epoch: an instant on its own */
  LN_TIME_PART_DATE,      /* out->epoch: the date's 00:00:00 */
  LN_TIME_PART_CLOCK,     /* out->epoch: seconds since midnight */
  LN_TIME_PART_ZONE,      /* out->utc_offset alone */
} LnTimePart;

LnTimePart timefmt_part (const LnTimeFmt *tf);

/* TRUE when what the format gives is in a known zone of its own (%z, %Z,
 * %s, sec, msec, usec, $msec, $time_iso8601); FALSE when it is read as
 * UTC for want of one, and a zone field may still say otherwise. */
gboolean timefmt_zoned (const LnTimeFmt *tf);

/* Matches @tf at [@p, @end).  On success returns true, sets *@stop to the
 * first byte after the time and *@out as timefmt_part() says.
 * @cache may be NULL.  Returns false for text that does not fit the
 * format or is not a valid time (day 32, hour 24, a weekday that is not
 * the date's, ...). */
bool timefmt_match (const LnTimeFmt *tf, LnTimeFmtCache *cache, const char *p,
                    const char *end, const char **stop, LnTime *out);

/* As timefmt_match, but all of @text must be the time. */
bool timefmt_parse (const LnTimeFmt *tf, LnSpan text, LnTime *out);

#endif /* LN_TIMEFMT_H */
