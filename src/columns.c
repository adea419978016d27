/* columns.c - record values by column name (see columns.h). */
#include "config.h"

#include <string.h>
#include "bytescan.h"
#include "clftime.h"
#include "columns.h"
#include "errors.h"
#include "i18n.h"

static const char *const names[LN_COL__COUNT] = {
  [LN_COL_TIME] = "time",
  [LN_COL_CLIENT] = "client",
  [LN_COL_COUNTRY] = "country",
  [LN_COL_VHOST] = "vhost",
  [LN_COL_PORT] = "port",
  [LN_COL_USER] = "user",
  [LN_COL_METHOD] = "method",
  [LN_COL_PATH] = "path",
  [LN_COL_QUERY] = "query",
  [LN_COL_PROTOCOL] = "protocol",
  [LN_COL_REQUEST] = "request",
  [LN_COL_STATUS] = "status",
  [LN_COL_BYTES] = "bytes",
  [LN_COL_REFERER] = "referer",
  [LN_COL_USER_AGENT] = "user_agent",
  [LN_COL_DURATION_US] = "duration_us",
};

/* "\"name\":" of each column, as JSON Lines writes it before the value. */
#define KEY(name) { "\"" name "\":", sizeof (name) + 2 }
const LnSpan column_json_keys[LN_COL__COUNT] = {
  [LN_COL_TIME] = KEY ("time"),
  [LN_COL_CLIENT] = KEY ("client"),
  [LN_COL_COUNTRY] = KEY ("country"),
  [LN_COL_VHOST] = KEY ("vhost"),
  [LN_COL_PORT] = KEY ("port"),
  [LN_COL_USER] = KEY ("user"),
  [LN_COL_METHOD] = KEY ("method"),
  [LN_COL_PATH] = KEY ("path"),
  [LN_COL_QUERY] = KEY ("query"),
  [LN_COL_PROTOCOL] = KEY ("protocol"),
  [LN_COL_REQUEST] = KEY ("request"),
  [LN_COL_STATUS] = KEY ("status"),
  [LN_COL_BYTES] = KEY ("bytes"),
  [LN_COL_REFERER] = KEY ("referer"),
  [LN_COL_USER_AGENT] = KEY ("user_agent"),
  [LN_COL_DURATION_US] = KEY ("duration_us"),
};
#undef KEY

const char *
column_name (LnColumn column)
{
  return column < LN_COL__COUNT ? names[column] : "?";
}

size_t
columns_parse (const char *list, LnColumn *out, size_t max, GError **error)
{
  g_auto (GStrv) words = g_strsplit (list, ",", -1);
  size_t n = 0, i;
  int c;

  for (i = 0; words[i]; i++)
    {
      const char *w = g_strstrip (words[i]);

      for (c = 0; c < LN_COL__COUNT; c++)
        if (strcmp (w, names[c]) == 0)
          break;
      if (c == LN_COL__COUNT || n == max)
        {
          g_autoptr (GString) valid = g_string_new (NULL);

          for (c = 0; c < LN_COL__COUNT; c++)
            g_string_append_printf (valid, "%s%s", c ? ", " : "", names[c]);
          if (n == max)
            g_set_error (error, LN_ERROR, LN_ERROR_USAGE, _("--fields: too many columns"));
          else
            g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                         _("--fields: unknown column '%s' (valid: %s)"), w, valid->str);
          return 0;
        }
      out[n++] = (LnColumn) c;
    }
  if (n == 0)
    g_set_error (error, LN_ERROR, LN_ERROR_USAGE, _("--fields: no columns given"));
  return n;
}

/* The parser already noted where each field type first occurs. */
static const LnField *
first_field (const LnRecord *rec, LnFieldType type)
{
  int i = rec->first[type];

  return i >= 0 ? &rec->fields[i] : NULL;
}

static LnValue
string_or_null (LnSpan s)
{
  LnValue v = { LN_VALUE_STRING, s };

  if (s.len == 0 || span_is_dash (s))
    v.kind = LN_VALUE_NULL;
  return v;
}

static LnValue
number_or_null (LnSpan s)
{
  LnValue v = { LN_VALUE_NUMBER, s };
  size_t i;

  if (s.len == 0 || span_is_dash (s))
    {
      v.kind = LN_VALUE_NULL;
      return v;
    }
  if (s.len > 1 && s.p[0] == '0')
    v.kind = LN_VALUE_STRING;           /* JSON numbers have no leading zero */
  for (i = 0; i < s.len; i++)
    if ((unsigned) (s.p[i] - '0') > 9)
      {
        v.kind = LN_VALUE_STRING;
        break;
      }
  return v;
}

static size_t
put2 (char *o, unsigned v)
{
  o[0] = (char) ('0' + v / 10 % 10);
  o[1] = (char) ('0' + v % 10);
  return 2;
}

static LnSpan
iso_time (int64_t epoch, char *o)
{
  int64_t days = clftime_floor_div (epoch, 86400);
  int64_t secs = epoch - days * 86400;
  int64_t y;
  unsigned m, d;
  size_t n = 0;

  clftime_civil_from_days (days, &y, &m, &d);
  if (y < 0 || y > 9999)
    return span_make (o, 0);
  n += put2 (o + n, (unsigned) (y / 100));
  n += put2 (o + n, (unsigned) (y % 100));
  o[n++] = '-';
  n += put2 (o + n, m);
  o[n++] = '-';
  n += put2 (o + n, d);
  o[n++] = 'T';
  n += put2 (o + n, (unsigned) (secs / 3600));
  o[n++] = ':';
  n += put2 (o + n, (unsigned) (secs / 60 % 60));
  o[n++] = ':';
  n += put2 (o + n, (unsigned) (secs % 60));
  o[n++] = 'Z';
  return span_make (o, n);
}

bool
columns_parse_micros (LnSpan s, guint64 scale, guint64 *us)
{
  guint64 whole = 0, frac = 0, f = scale;
  size_t i = 0;

  if (s.len == 0)
    return false;
  for (; i < s.len && s.p[i] != '.'; i++)
    {
      unsigned d = (unsigned) (s.p[i] - '0');

      if (d > 9 || whole > (G_MAXUINT64 - d) / 10)
        return false;
      whole = whole * 10 + d;
    }
  if (i < s.len)
    for (i++; i < s.len; i++)
      {
        if ((unsigned) (s.p[i] - '0') > 9)
          return false;
        if (f > 1)
          {
            f /= 10;
            frac += (guint64) (s.p[i] - '0') * f;
          }
      }
  if (whole > (G_MAXUINT64 - frac) / scale)
    return false;               /* does not fit: no value rather than wrapped */
  *us = whole * scale + frac;
  return true;
}

/* "1.25" seconds (or ms) scaled to whole microseconds. */
static LnValue
scaled_micros (LnSpan s, guint64 scale, char *o)
{
  LnValue v = { LN_VALUE_NULL, span_make (o, 0) };
  guint64 total;
  char tmp[24];
  size_t i;
  int n = 0;

  if (span_is_dash (s) || !columns_parse_micros (s, scale, &total))
    return v;
  do
    tmp[n++] = (char) ('0' + total % 10);
  while ((total /= 10) != 0);
  for (i = 0; n > 0; i++)
    o[i] = tmp[--n];
  v.kind = LN_VALUE_NUMBER;
  v.text = span_make (o, i);
  return v;
}

/* columns_split_request(), inlined into the per-record path. */
#if defined (__GNUC__)
__attribute__ ((__always_inline__))
#endif
static inline void
split_request (LnSpan r, LnSpan *method, LnSpan *target, LnSpan *protocol)
{
  const char *end = r.p + r.len;
  const char *sp1 = scan_byte (r.p, end, ' ');
  const char *sp2 = end;

  *method = *target = *protocol = span_make (r.p, 0);
  if (sp1 == NULL)
    {
      *target = r;    /* "-" or garbage: keep it whole as the path */
      return;
    }
  /* " HTTP/1.1", " HTTP/2.0": the last space without a loop */
  if (end - sp1 > 9 && end[-9] == ' ' && memcmp (end - 8, "HTTP/", 5) == 0
      && end[-3] != ' ' && end[-2] != ' ' && end[-1] != ' ')
    sp2 = end - 8;
  else
    while (sp2 > sp1 && sp2[-1] != ' ')
      sp2--;
  *method = span_make (r.p, (size_t) (sp1 - r.p));
  if (sp2 - 1 > sp1)
    {
      *target = span_make (sp1 + 1, (size_t) (sp2 - 1 - sp1 - 1));
      *protocol = span_make (sp2, (size_t) (end - sp2));
    }
  else
    *target = span_make (sp1 + 1, (size_t) (end - sp1 - 1));
}

void
columns_split_request (LnSpan r, LnSpan *method, LnSpan *target, LnSpan *protocol)
{
  split_request (r, method, target, protocol);
}

/* Method, path, query and protocol of the record's request line, in the
 * order of their columns; FALSE when it has none. */
static inline bool
request_parts (const LnRecord *rec, LnSpan parts[4])
{
  const LnField *f = first_field (rec, LN_FIELD_REQUEST);
  LnSpan target;
  const char *q;

  if (f == NULL || f->out.len == 0 || span_is_dash (f->out))
    return false;
  split_request (f->out, &parts[0], &target, &parts[3]);
  q = scan_byte (target.p, target.p + target.len, '?');
  parts[1] = q ? span_make (target.p, (size_t) (q - target.p)) : target;
  parts[2] = q ? span_make (q + 1, (size_t) (target.p + target.len - q - 1))
               : span_make (target.p, 0);
  return true;
}

LnValue
column_value (const LnRecord *rec, LnColumn column, char scratch[LN_COLUMN_SCRATCH])
{
  LnValue none = { LN_VALUE_NULL, span_make ("", 0) };
  const LnField *f;

  switch (column)
    {
    case LN_COL_TIME:
      if (!rec->has_time)
        return none;
      {
        LnValue v = { LN_VALUE_STRING, iso_time (rec->time.epoch, scratch) };
        return v.text.len ? v : none;
      }
    case LN_COL_CLIENT:
      f = first_field (rec, LN_FIELD_CLIENT);
      return f ? string_or_null (f->out) : none;
    case LN_COL_COUNTRY:
      if (rec->country[0] == '\0')
        return none;
      {
        LnValue v = { LN_VALUE_STRING, span_make (rec->country, 2) };
        return v;
      }
    case LN_COL_VHOST:
      f = first_field (rec, LN_FIELD_VHOST);
      return f ? string_or_null (f->out) : none;
    case LN_COL_PORT:
      f = first_field (rec, LN_FIELD_PORT);
      return f ? number_or_null (f->out) : none;
    case LN_COL_USER:
      f = first_field (rec, LN_FIELD_USER);
      return f ? string_or_null (f->out) : none;
    case LN_COL_METHOD:
    case LN_COL_PATH:
    case LN_COL_QUERY:
    case LN_COL_PROTOCOL:
      {
        LnSpan parts[4];
        LnValue v = { LN_VALUE_STRING, span_make ("", 0) };

        if (!request_parts (rec, parts))
          return none;
        v.text = parts[column - LN_COL_METHOD];
        return v.text.len ? v : none;
      }
    case LN_COL_REQUEST:
      f = first_field (rec, LN_FIELD_REQUEST);
      return f ? string_or_null (f->out) : none;
    case LN_COL_STATUS:
      f = first_field (rec, LN_FIELD_STATUS);
      return f ? number_or_null (f->out) : none;
    case LN_COL_BYTES:
      f = first_field (rec, LN_FIELD_BYTES);
      if (f && span_is_dash (f->out))
        {
          /* %b writes "-" for zero bytes */
          LnValue v = { LN_VALUE_NUMBER, span_make ("0", 1) };
          return v;
        }
      return f ? number_or_null (f->out) : none;
    case LN_COL_REFERER:
      f = first_field (rec, LN_FIELD_REFERER);
      return f ? string_or_null (f->out) : none;
    case LN_COL_USER_AGENT:
      f = first_field (rec, LN_FIELD_USER_AGENT);
      return f ? string_or_null (f->out) : none;
    case LN_COL_DURATION_US:
      if ((f = first_field (rec, LN_FIELD_DURATION_US)) != NULL)
        return number_or_null (f->out);
      if ((f = first_field (rec, LN_FIELD_DURATION_MS)) != NULL)
        return scaled_micros (f->out, 1000, scratch);
      if ((f = first_field (rec, LN_FIELD_DURATION_S)) != NULL)
        return scaled_micros (f->out, 1000000, scratch);
      return none;
    case LN_COL__COUNT:
    default:
      return none;
    }
}

/* How columns_walk_value() finds each column's value: decided here once
 * per run instead of by column_value()'s switch per value. */
static const struct {
  guint8 how;
  guint8 field;         /* LnFieldType, or the part for LN_HOW_PART */
} plan[LN_COL__COUNT] = {
  [LN_COL_TIME] = { LN_HOW_TIME, 0 },
  [LN_COL_CLIENT] = { LN_HOW_STRING, LN_FIELD_CLIENT },
  [LN_COL_COUNTRY] = { LN_HOW_OTHER, 0 },
  [LN_COL_VHOST] = { LN_HOW_STRING, LN_FIELD_VHOST },
  [LN_COL_PORT] = { LN_HOW_NUMBER, LN_FIELD_PORT },
  [LN_COL_USER] = { LN_HOW_STRING, LN_FIELD_USER },
  [LN_COL_METHOD] = { LN_HOW_PART, 0 },
  [LN_COL_PATH] = { LN_HOW_PART, 1 },
  [LN_COL_QUERY] = { LN_HOW_PART, 2 },
  [LN_COL_PROTOCOL] = { LN_HOW_PART, 3 },
  [LN_COL_REQUEST] = { LN_HOW_STRING, LN_FIELD_REQUEST },
  [LN_COL_STATUS] = { LN_HOW_NUMBER, LN_FIELD_STATUS },
  [LN_COL_BYTES] = { LN_HOW_BYTES, LN_FIELD_BYTES },
  [LN_COL_REFERER] = { LN_HOW_STRING, LN_FIELD_REFERER },
  [LN_COL_USER_AGENT] = { LN_HOW_STRING, LN_FIELD_USER_AGENT },
  [LN_COL_DURATION_US] = { LN_HOW_DURATION, LN_FIELD_DURATION_US },
};

void
columns_plan (const LnColumn *columns, size_t n, LnColumnCache *cache)
{
  size_t i;

  for (i = 0; i < n && i < LN_COLUMN_PLAN_MAX; i++)
    {
      LnColumn c = columns[i];

      cache->plan[i][0] = c < LN_COL__COUNT ? plan[c].how : LN_HOW_OTHER;
      cache->plan[i][1] = c < LN_COL__COUNT ? plan[c].field : 0;
    }
  cache->plan_columns = columns;
  cache->plan_n = n;
}

LnValueKind
columns_number_kind_slow (LnSpan s)
{
  return number_or_null (s).kind;
}

bool
columns_request_parts (const LnRecord *rec, LnSpan parts[4])
{
  return request_parts (rec, parts);
}

void
columns_time_slow (const LnRecord *rec, LnColumnCache *cache)
{
  int64_t day = clftime_floor_div (rec->time.epoch, 86400);

  if (cache->iso_len == 20 && cache->iso_day == day)
    {
      /* "YYYY-MM-DDThh:mm:ssZ": the date stays */
      unsigned secs = (unsigned) (rec->time.epoch - day * 86400);

      put2 (cache->iso + 11, secs / 3600);
      put2 (cache->iso + 14, secs / 60 % 60);
      put2 (cache->iso + 17, secs % 60);
    }
  else
    {
      cache->iso_len = iso_time (rec->time.epoch, cache->iso).len;
      cache->iso_day = day;
    }
  cache->iso_epoch = rec->time.epoch;
}

LnValue
columns_walk_other (const LnRecord *rec, LnColumn column, LnColumnCache *cache)
{
  return column_value (rec, column, cache->scratch);
}

void
columns_row (const LnRecord *rec, const LnColumn *columns, size_t n,
             LnValue *values, LnColumnCache *cache)
{
  LnRowWalk walk;
  size_t i;

  columns_walk_begin (&walk, rec, columns, n, cache);
  for (i = 0; i < n; i++)
    values[i] = columns_walk_value (&walk, i);
}
