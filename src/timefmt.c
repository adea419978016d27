/* timefmt.c - compiled time formats and their matcher (see timefmt.h). */
#include "config.h"

#include <string.h>
#include "errors.h"
#include "i18n.h"
#include "timefmt.h"

#define LN_TIMEFMT_MAX_STEPS 64

typedef enum {
  STEP_LITERAL,
  STEP_YEAR,            /* %Y: four digits */
  STEP_YEAR2,           /* %y: 69-99 are 19xx, 00-68 20xx (POSIX) */
  STEP_MONTH,           /* %m */
  STEP_MONTH_ABBR,      /* %b %h: "Jan" */
  STEP_MONTH_NAME,      /* %B: "January" */
  STEP_MDAY,            /* %d */
  STEP_MDAY_SPACE,      /* %e: " 5" or "15" */
  STEP_YDAY,            /* %j: 001-366 */
  STEP_HOUR,            /* %H */
  STEP_HOUR12,          /* %I: 01-12 */
  STEP_MIN,             /* %M */
  STEP_SEC,             /* %S: 00-60, a leap second is accepted */
  STEP_AMPM,            /* %p: "AM" or "PM" */
  STEP_WDAY_ABBR,       /* %a: "Sun" */
  STEP_WDAY_NAME,       /* %A: "Sunday" */
  STEP_ZONE,            /* %z: +hhmm, also +hh:mm and Z (ISO 8601) */
  STEP_ZONE_NAME,       /* %Z: UTC or GMT only; other names are ambiguous */
  STEP_EPOCH,           /* %s */
} StepKind;

typedef enum {
  KIND_STRFTIME,
  KIND_SEC,             /* %{sec}t */
  KIND_MSEC,            /* %{msec}t */
  KIND_USEC,            /* %{usec}t */
  KIND_SEC_MILLIS,      /* nginx $msec: "1709632800.123" */
} FormatKind;

typedef struct {
  guint8 kind;
  guint16 len;          /* literal: bytes in lits */
  guint32 off;
} Step;

/* What a format sets; the instant needs a year and a day, or %s. */
enum {
  HAS_YEAR = 1 << 0,
  HAS_YEAR2 = 1 << 1,
  HAS_MONTH = 1 << 2,
  HAS_MDAY = 1 << 3,
  HAS_YDAY = 1 << 4,
  HAS_HOUR = 1 << 5,
  HAS_HOUR12 = 1 << 6,
  HAS_WDAY = 1 << 7,
  HAS_ZONE = 1 << 8,
  HAS_EPOCH = 1 << 9,
};

struct LnTimeFmt {
  FormatKind kind;
  unsigned has;
  gboolean text_cache;  /* LnTimeFmtCache.text works for this format */
  gboolean dated;       /* a year and a day: checked as a calendar date */
  gboolean instant;
  LnTimePart part;
  size_t nsteps;
  Step steps[LN_TIMEFMT_MAX_STEPS];
  char *lits;
};

static const char *const month_names[12] = {
  "January", "February", "March", "April", "May", "June", "July",
  "August", "September", "October", "November", "December",
};

static const char *const day_names[7] = {
  "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
};

static gboolean
add_step (LnTimeFmt *tf, StepKind kind, GString *lits, const char *text, size_t len)
{
  Step *last = tf->nsteps ? &tf->steps[tf->nsteps - 1] : NULL;

  if (kind == STEP_LITERAL && last && last->kind == STEP_LITERAL
      && last->off + last->len == lits->len && last->len + len < G_MAXUINT16)
    {
      g_string_append_len (lits, text, (gssize) len);
      last->len = (guint16) (last->len + len);
      return TRUE;
    }
  if (tf->nsteps == LN_TIMEFMT_MAX_STEPS || lits->len + len >= G_MAXUINT16)
    return FALSE;
  tf->steps[tf->nsteps].kind = (guint8) kind;
  tf->steps[tf->nsteps].off = (guint32) lits->len;
  tf->steps[tf->nsteps].len = (guint16) len;
  if (len)
    g_string_append_len (lits, text, (gssize) len);
  tf->nsteps++;
  return TRUE;
}

/* The steps of one conversion letter; FALSE when it is not supported. */
static gboolean
conversion_steps (char c, StepKind steps[5], const char **seps, size_t *n)
{
  /* composite conversions: fields separated by one byte each */
  static const struct {
    char letter;
    StepKind steps[3];
    const char *seps;
    size_t n;
  } composite[] = {
    { 'T', { STEP_HOUR, STEP_MIN, STEP_SEC }, "::", 3 },
    { 'R', { STEP_HOUR, STEP_MIN }, ":", 2 },
    { 'D', { STEP_MONTH, STEP_MDAY, STEP_YEAR2 }, "//", 3 },
    { 'F', { STEP_YEAR, STEP_MONTH, STEP_MDAY }, "--", 3 },
  };
  static const char letters[] = "YymbhBdejHIMSpaAzZs";
  static const StepKind kinds[] = {
    STEP_YEAR, STEP_YEAR2, STEP_MONTH, STEP_MONTH_ABBR, STEP_MONTH_ABBR,
    STEP_MONTH_NAME, STEP_MDAY, STEP_MDAY_SPACE, STEP_YDAY, STEP_HOUR,
    STEP_HOUR12, STEP_MIN, STEP_SEC, STEP_AMPM, STEP_WDAY_ABBR, STEP_WDAY_NAME,
    STEP_ZONE, STEP_ZONE_NAME, STEP_EPOCH,
  };
  const char *hit;
  size_t i;

  G_STATIC_ASSERT (G_N_ELEMENTS (kinds) == sizeof letters - 1);
  *seps = "";
  for (i = 0; i < G_N_ELEMENTS (composite); i++)
    if (composite[i].letter == c)
      {
        memcpy (steps, composite[i].steps, composite[i].n * sizeof steps[0]);
        *seps = composite[i].seps;
        *n = composite[i].n;
        return TRUE;
      }
  if (c == '\0' || (hit = strchr (letters, c)) == NULL)
    return FALSE;
  steps[0] = kinds[hit - letters];
  *n = 1;
  return TRUE;
}

static unsigned
step_flag (StepKind kind)
{
  switch (kind)
    {
    case STEP_YEAR: return HAS_YEAR;
    case STEP_YEAR2: return HAS_YEAR2;
    case STEP_MONTH: case STEP_MONTH_ABBR: case STEP_MONTH_NAME: return HAS_MONTH;
    case STEP_MDAY: case STEP_MDAY_SPACE: return HAS_MDAY;
    case STEP_YDAY: return HAS_YDAY;
    case STEP_HOUR: return HAS_HOUR;
    case STEP_HOUR12: return HAS_HOUR12;
    case STEP_WDAY_ABBR: case STEP_WDAY_NAME: return HAS_WDAY;
    case STEP_ZONE: case STEP_ZONE_NAME: return HAS_ZONE;
    case STEP_EPOCH: return HAS_EPOCH;
    case STEP_LITERAL: case STEP_MIN: case STEP_SEC: case STEP_AMPM:
    default:
      return 0;
    }
}

static LnTimeFmt *
compile_strftime (const char *format, int column, GError **error)
{
  LnTimeFmt *tf = g_new0 (LnTimeFmt, 1);
  GString *lits = g_string_new (NULL);
  const char *p;

  tf->kind = KIND_STRFTIME;
  for (p = format; *p; p++)
    {
      StepKind steps[5];
      const char *seps;
      size_t n, i;
      gboolean ok = TRUE;

      if (*p != '%')
        ok = add_step (tf, STEP_LITERAL, lits, p, 1);
      else if (p[1] == '%' || p[1] == 'n' || p[1] == 't')
        {
          p++;
          ok = add_step (tf, STEP_LITERAL, lits, *p == '%' ? "%" : *p == 'n' ? "\n" : "\t", 1);
        }
      else if (!conversion_steps (p[1], steps, &seps, &n))
        {
          /* name the whole (UTF-8) character after '%', or just '%' */
          int len = p[1] == '\0' ? 1 : 1 + g_utf8_skip[(guchar) p[1]];
          g_autofree char *what = NULL;

          if ((size_t) len > strlen (p))
            len = (int) strlen (p);
          what = g_strndup (p, (gsize) len);
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("log format, column %d: time format '%s' has the "
                         "unsupported conversion '%s'"),
                       column + (int) (p - format), format, what);
          goto fail;
        }
      else
        {
          p++;
          for (i = 0; i < n && ok; i++)
            {
              ok = add_step (tf, steps[i], lits, NULL, 0);
              tf->has |= step_flag (steps[i]);
              if (ok && i + 1 < n)
                ok = add_step (tf, STEP_LITERAL, lits, seps + i, 1);
            }
        }
      if (!ok)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("log format, column %d: time format '%s' is too long"),
                       column, format);
          goto fail;
        }
    }
  tf->dated = (tf->has & (HAS_YEAR | HAS_YEAR2))
              && (((tf->has & HAS_MONTH) && (tf->has & HAS_MDAY)) || (tf->has & HAS_YDAY));
  /* a date alone is no instant: "%{%d/%b/%Y}t %t" takes its time from %t */
  tf->instant = (tf->has & HAS_EPOCH)
                || (tf->dated && (tf->has & (HAS_HOUR | HAS_HOUR12)));
  tf->part = tf->instant ? LN_TIME_PART_INSTANT
             : tf->dated ? LN_TIME_PART_DATE
             : (tf->has & (HAS_HOUR | HAS_HOUR12)) ? LN_TIME_PART_CLOCK
             : (tf->has & HAS_ZONE) ? LN_TIME_PART_ZONE
             : LN_TIME_PART_NONE;
  /* %s and %I with %p make the time of day more than %H %M %S digits */
  tf->text_cache = tf->instant && !(tf->has & (HAS_EPOCH | HAS_HOUR12));
  tf->lits = g_string_free (lits, FALSE);
  return tf;

fail:
  g_string_free (lits, TRUE);
  g_free (tf);
  return NULL;
}

LnTimeFmt *
timefmt_compile (const char *format, int column, GError **error)
{
  static const struct {
    const char *name;
    FormatKind kind;
  } tokens[] = {
    { "sec", KIND_SEC }, { "msec", KIND_MSEC }, { "usec", KIND_USEC },
  };
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (tokens); i++)
    if (strcmp (format, tokens[i].name) == 0)
      {
        LnTimeFmt *tf = g_new0 (LnTimeFmt, 1);

        tf->kind = tokens[i].kind;
        tf->instant = TRUE;
        tf->part = LN_TIME_PART_INSTANT;
        tf->lits = g_strdup ("");
        return tf;
      }
  return compile_strftime (format, column, error);
}

LnTimeFmt *
timefmt_new_iso8601 (void)
{
  return compile_strftime ("%Y-%m-%dT%H:%M:%S%z", 1, NULL);
}

LnTimeFmt *
timefmt_new_msec (void)
{
  LnTimeFmt *tf = g_new0 (LnTimeFmt, 1);

  tf->kind = KIND_SEC_MILLIS;
  tf->instant = TRUE;
  tf->part = LN_TIME_PART_INSTANT;
  tf->lits = g_strdup ("");
  return tf;
}

void
timefmt_free (LnTimeFmt *tf)
{
  if (tf == NULL)
    return;
  g_free (tf->lits);
  g_free (tf);
}

gboolean
timefmt_has_instant (const LnTimeFmt *tf)
{
  return tf->instant;
}

LnTimePart
timefmt_part (const LnTimeFmt *tf)
{
  return tf->part;
}

gboolean
timefmt_zoned (const LnTimeFmt *tf)
{
  return tf->kind != KIND_STRFTIME || (tf->has & (HAS_ZONE | HAS_EPOCH)) != 0;
}

/* ------------------------------------------------------------ matching */

static inline bool
digits (const char *p, const char *end, unsigned n, unsigned *out)
{
  unsigned v = 0, i;

  if ((size_t) (end - p) < n)
    return false;
  for (i = 0; i < n; i++)
    {
      unsigned d = (unsigned) (p[i] - '0');

      if (d > 9)
        return false;
      v = v * 10 + d;
    }
  *out = v;
  return true;
}

/* An optionally negative run of 1 to 18 digits (no int64 overflow). */
static bool
integer (const char **pp, const char *end, int64_t *out)
{
  const char *p = *pp, *start;
  bool neg = false;
  int64_t v = 0;

  if (p < end && *p == '-')
    {
      neg = true;
      p++;
    }
  start = p;
  while (p < end && (unsigned) (*p - '0') <= 9)
    {
      if (p - start == 18)
        return false;
      v = v * 10 + (*p - '0');
      p++;
    }
  if (p == start)
    return false;
  *out = neg ? -v : v;
  *pp = p;
  return true;
}

/* Index of the name (abbreviated to 3 bytes unless @full) at @p among
 * @names, or -1; *@len receives its length. */
static int
match_name (const char *const *names, int count, bool full, const char *p,
            const char *end, size_t *len)
{
  int i;

  if (end - p < 3)
    return -1;
  for (i = 0; i < count; i++)
    if (p[0] == names[i][0] && p[1] == names[i][1] && p[2] == names[i][2])
      {
        size_t n = full ? strlen (names[i]) : 3;

        if ((size_t) (end - p) < n || memcmp (p, names[i], n) != 0)
          return -1;
        *len = n;
        return i;
      }
  return -1;
}

static inline bool
is_leap (int64_t y)
{
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static bool
match_numeric (const LnTimeFmt *tf, const char *p, const char *end,
               const char **stop, LnTime *out)
{
  int64_t v;

  if (!integer (&p, end, &v))
    return false;
  switch (tf->kind)
    {
    case KIND_MSEC:
      v = clftime_floor_div (v, 1000);
      break;
    case KIND_USEC:
      v = clftime_floor_div (v, 1000000);
      break;
    case KIND_SEC_MILLIS:
      {
        unsigned ms;

        /* nginx writes "%T.%03M": exactly three decimals */
        if (end - p < 4 || *p != '.' || !digits (p + 1, end, 3, &ms)
            || v < 0)
          return false;
        p += 4;
      }
      break;
    case KIND_SEC:
    case KIND_STRFTIME:
    default:
      break;
    }
  out->epoch = v;
  out->utc_offset = 0;
  *stop = p;
  return true;
}

#define NO_FIELD 0xff

/* The time of day of @field in @p (two digits, or 0 when absent) if the
 * cached text has it; false for non-digits or one out of @max. */
static inline bool
cached_field (const char *p, unsigned at, unsigned max, unsigned *out)
{
  if (at == NO_FIELD)
    {
      *out = 0;
      return true;
    }
  return digits (p + at, p + at + 2, 2, out) && *out <= max;
}

/* The fast path: the text equals the cached one but for the digits of
 * %H, %M and %S.  Every other byte being the same, a full match would take
 * the same steps over the same widths to the same date and zone. */
static bool
match_cached_text (const LnTimeFmtCache *cache, const char *p, const char *end,
                   const char **stop, LnTime *out)
{
  char copy[LN_TIMEFMT_TEXT_MAX];
  unsigned hour, min, sec;

  if ((size_t) (end - p) < cache->len)
    return false;
  /* compare all but the time of day: put the cached digits over ours */
  memcpy (copy, p, cache->len);
  copy[cache->hour_at] = cache->text[cache->hour_at];
  copy[cache->hour_at + 1] = cache->text[cache->hour_at + 1];
  if (cache->min_at != NO_FIELD)
    {
      copy[cache->min_at] = cache->text[cache->min_at];
      copy[cache->min_at + 1] = cache->text[cache->min_at + 1];
    }
  if (cache->sec_at != NO_FIELD)
    {
      copy[cache->sec_at] = cache->text[cache->sec_at];
      copy[cache->sec_at + 1] = cache->text[cache->sec_at + 1];
    }
  if (memcmp (copy, cache->text, cache->len) != 0
      || !cached_field (p, cache->hour_at, 23, &hour)
      || !cached_field (p, cache->min_at, 59, &min)
      || !cached_field (p, cache->sec_at, 60, &sec))
    return false;
  out->epoch = cache->text_base + hour * 3600 + min * 60 + sec;
  out->utc_offset = cache->text_offset;
  *stop = p + cache->len;
  return true;
}

bool
timefmt_match (const LnTimeFmt *tf, LnTimeFmtCache *cache, const char *p,
               const char *end, const char **stop, LnTime *out)
{
  static const unsigned char mdays[13] = { 0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  unsigned year2 = 0, month = 0, mday = 0, yday = 0, hour = 0, hour12 = 0;
  unsigned min = 0, sec = 0;
  int64_t year = 0, epoch = 0, base;
  int32_t offset = 0;
  int pm = 0, wday = -1;
  LnTimeFmtCache *cacheable = NULL;
  const char *start = p;
  size_t hour_at = NO_FIELD, min_at = NO_FIELD, sec_at = NO_FIELD;
  size_t i;

  if (tf->kind != KIND_STRFTIME)
    return match_numeric (tf, p, end, stop, out);
  if (cache && cache->owner == tf && match_cached_text (cache, p, end, stop, out))
    return true;

  for (i = 0; i < tf->nsteps; i++)
    {
      const Step *s = &tf->steps[i];
      unsigned v;
      size_t len;
      int k;

      switch ((StepKind) s->kind)
        {
        case STEP_LITERAL:
          {
            const char *lit = tf->lits + s->off;
            size_t j;

            /* mostly one byte: no memcmp call */
            if ((size_t) (end - p) < s->len)
              return false;
            for (j = 0; j < s->len; j++)
              if (p[j] != lit[j])
                return false;
            p += s->len;
          }
          break;
        case STEP_YEAR:
          if (!digits (p, end, 4, &v))
            return false;
          year = v;
          p += 4;
          break;
        case STEP_YEAR2:
          if (!digits (p, end, 2, &year2))
            return false;
          p += 2;
          break;
        case STEP_MONTH:
          if (!digits (p, end, 2, &v) || v == 0 || v > 12 || (month && month != v))
            return false;
          month = v;
          p += 2;
          break;
        case STEP_MONTH_ABBR:
        case STEP_MONTH_NAME:
          k = match_name (month_names, 12, s->kind == STEP_MONTH_NAME, p, end, &len);
          if (k < 0 || (month && month != (unsigned) k + 1))
            return false;
          month = (unsigned) k + 1;
          p += len;
          break;
        case STEP_MDAY:
        case STEP_MDAY_SPACE:
          if (s->kind == STEP_MDAY_SPACE && end - p >= 2 && p[0] == ' ')
            {
              if (!digits (p + 1, end, 1, &v))
                return false;
            }
          else if (!digits (p, end, 2, &v))
            return false;
          if (v == 0 || v > 31 || (mday && mday != v))
            return false;
          mday = v;
          p += 2;
          break;
        case STEP_YDAY:
          if (!digits (p, end, 3, &v) || v == 0 || v > 366)
            return false;
          yday = v;
          p += 3;
          break;
        case STEP_HOUR:
          if (!digits (p, end, 2, &hour) || hour > 23)
            return false;
          hour_at = (size_t) (p - start);
          p += 2;
          break;
        case STEP_HOUR12:
          if (!digits (p, end, 2, &hour12) || hour12 == 0 || hour12 > 12)
            return false;
          p += 2;
          break;
        case STEP_MIN:
          if (!digits (p, end, 2, &min) || min > 59)
            return false;
          min_at = (size_t) (p - start);
          p += 2;
          break;
        case STEP_SEC:
          if (!digits (p, end, 2, &sec) || sec > 60)
            return false;
          sec_at = (size_t) (p - start);
          p += 2;
          break;
        case STEP_AMPM:
          if (end - p < 2 || (p[0] != 'A' && p[0] != 'P') || p[1] != 'M')
            return false;
          pm = p[0] == 'P';
          p += 2;
          break;
        case STEP_WDAY_ABBR:
        case STEP_WDAY_NAME:
          k = match_name (day_names, 7, s->kind == STEP_WDAY_NAME, p, end, &len);
          if (k < 0 || (wday >= 0 && wday != k))
            return false;
          wday = k;
          p += len;
          break;
        case STEP_ZONE:
          if (p < end && *p == 'Z')
            {
              offset = 0;
              p++;
              break;
            }
          {
            unsigned oh, om;
            size_t colon;

            if (end - p < 5 || (p[0] != '+' && p[0] != '-'))
              return false;
            colon = p[3] == ':';
            if (!digits (p + 1, end, 2, &oh) || !digits (p + 3 + colon, end, 2, &om)
                || oh > 23 || om > 59)
              return false;
            offset = (int32_t) (oh * 3600 + om * 60);
            if (p[0] == '-')
              offset = -offset;
            p += 5 + colon;
          }
          break;
        case STEP_ZONE_NAME:
          if (end - p < 3 || (memcmp (p, "UTC", 3) != 0 && memcmp (p, "GMT", 3) != 0))
            return false;
          p += 3;
          break;
        case STEP_EPOCH:
          if (!integer (&p, end, &epoch))
            return false;
          break;
        default:
          return false;
        }
    }
  *stop = p;

  if ((tf->has & HAS_HOUR12) && !(tf->has & HAS_HOUR))
    hour = hour12 % 12 + (pm ? 12 : 0);
  if (!(tf->has & HAS_YEAR) && (tf->has & HAS_YEAR2))
    year = year2 < 69 ? 2000 + year2 : 1900 + year2;
  if ((tf->has & HAS_MONTH) && mday > mdays[month])
    return false;
  if (tf->has & HAS_EPOCH)
    {
      out->epoch = epoch;
      out->utc_offset = offset;
      return true;
    }
  if (!tf->dated)
    {
      /* a time of day or a zone alone: parse.c puts the parts together */
      out->epoch = tf->part == LN_TIME_PART_CLOCK
                   ? (int64_t) hour * 3600 + min * 60 + sec - offset : 0;
      out->utc_offset = offset;
      return true;
    }

  /* the cache holds dates given as month and day only (%j is rare) */
  if (!(tf->has & HAS_YDAY))
    cacheable = cache;
  if (cacheable && cacheable->valid && cacheable->year == year
      && cacheable->month == month && cacheable->day == mday
      && cacheable->utc_offset == offset)
    {
      if (wday >= 0 && wday != cacheable->wday)
        return false;
      base = cacheable->base;
    }
  else
    {
      int64_t days;
      int w;

      if (month && mday)
        {
          if (month == 2 && mday == 29 && !is_leap (year))
            return false;
          days = clftime_days_from_civil (year, month, mday);
          if (yday && days - clftime_days_from_civil (year, 1, 1) + 1 != yday)
            return false;
        }
      else
        {
          if (yday == 366 && !is_leap (year))
            return false;
          days = clftime_days_from_civil (year, 1, 1) + yday - 1;
        }
      w = (int) (days - clftime_floor_div (days + 4, 7) * 7 + 4);  /* 1970-01-01 was a Thursday */
      if (wday >= 0 && wday != w)
        return false;
      base = days * 86400 - offset;
      if (cacheable)
        {
          cacheable->valid = true;
          cacheable->year = year;
          cacheable->month = month;
          cacheable->day = mday;
          cacheable->utc_offset = offset;
          cacheable->base = base;
          cacheable->wday = w;
        }
    }
  if (!tf->instant)
    {
      out->epoch = base;        /* a date alone: its midnight */
      out->utc_offset = offset;
      return true;
    }
  out->epoch = base + hour * 3600 + min * 60 + sec;
  out->utc_offset = offset;
  if (cache && tf->text_cache && (size_t) (p - start) <= LN_TIMEFMT_TEXT_MAX)
    {
      cache->owner = tf;
      cache->len = (uint8_t) (p - start);
      memcpy (cache->text, start, cache->len);
      cache->hour_at = (uint8_t) hour_at;
      cache->min_at = (uint8_t) min_at;
      cache->sec_at = (uint8_t) sec_at;
      cache->text_base = base;
      cache->text_offset = offset;
    }
  return true;
}

bool
timefmt_parse (const LnTimeFmt *tf, LnSpan text, LnTime *out)
{
  const char *stop;

  return timefmt_match (tf, NULL, text.p, text.p + text.len, &stop, out)
         && stop == text.p + text.len;
}
