/* columns.h - named values of a record, for the CSV and JSON Lines writers.
 *
 * Column names are part of the output format and never translated.  Values
 * come from the fields' anonymised "out" spans only.
 */
#ifndef LN_COLUMNS_H
#define LN_COLUMNS_H

#include <glib.h>
#include "bytescan.h"
#include "record.h"

typedef enum {
  LN_COL_TIME,          /* ISO 8601 UTC: 2026-11-25T08:15:02Z */
  LN_COL_CLIENT,
  LN_COL_COUNTRY,
  LN_COL_VHOST,
  LN_COL_PORT,
  LN_COL_USER,
  LN_COL_METHOD,
  LN_COL_PATH,
  LN_COL_QUERY,
  LN_COL_PROTOCOL,
  LN_COL_REQUEST,
  LN_COL_STATUS,
  LN_COL_BYTES,
  LN_COL_REFERER,
  LN_COL_USER_AGENT,
  LN_COL_DURATION_US,
  LN_COL__COUNT
} LnColumn;

typedef enum {
  LN_VALUE_NULL,        /* absent or "-" */
  LN_VALUE_STRING,
  LN_VALUE_NUMBER,      /* digits only, safe to write bare */
} LnValueKind;

typedef struct {
  LnValueKind kind;
  LnSpan text;
} LnValue;

/* Scratch space a value may be formatted into. */
#define LN_COLUMN_SCRATCH 48

#define LN_COLUMNS_DEFAULT "time,client,country,vhost,method,path,query,protocol,status,bytes,referer,user_agent,duration_us"

/* Parses a comma-separated list of column names into @out (at most
 * LN_COL__COUNT * 2 entries), returning how many; 0 with @error set
 * (LN_ERROR_USAGE) for an unknown or empty name. */
size_t columns_parse (const char *list, LnColumn *out, size_t max, GError **error);

const char *column_name (LnColumn column);

/* The column's name as a JSON key with its colon: "\"time\":". */
extern const LnSpan column_json_keys[LN_COL__COUNT];

static inline LnSpan
column_json_key (LnColumn column)
{
  return column_json_keys[column < LN_COL__COUNT ? column : LN_COL_TIME];
}

/* Parses a duration written as a decimal number ("1.25", "17", no sign)
 * in units of @scale microseconds (1, 1000, 1000000) into whole
 * microseconds, digits beyond them dropped.  false when it is not such a
 * number or does not fit in 64 bits. */
bool columns_parse_micros (LnSpan s, guint64 scale, guint64 *us);

/* The value of @column in @rec; may point into @scratch. */
LnValue column_value (const LnRecord *rec, LnColumn column,
                      char scratch[LN_COLUMN_SCRATCH]);

/* Columns columns_row() plans for; more take the slow path. */
#define LN_COLUMN_PLAN_MAX 32

/* What columns_row() keeps between records: how it finds each column's
 * value, the last ISO time it formatted, and room for a value formatted
 * from its field.  All zeros is the initial state. */
typedef struct {
  const LnColumn *plan_columns;  /* the columns plan was made for */
  size_t plan_n;
  guint8 plan[LN_COLUMN_PLAN_MAX][2];
  LnSpan parts[4];            /* the record's request line split: method,
                               * path, query and protocol */
  int64_t iso_epoch;
  size_t iso_len;             /* 0: nothing cached */
  int64_t iso_day;            /* the day of iso_epoch: a new second of the
                               * same day rewrites only the clock */
  char iso[LN_COLUMN_SCRATCH];
  char scratch[LN_COLUMN_SCRATCH];
} LnColumnCache;

/* How columns_walk_value() finds a column's value (planned once per run
 * by columns_plan()). */
enum {
  LN_HOW_STRING,        /* the field's text, "-" or empty: null */
  LN_HOW_NUMBER,        /* likewise, a string unless canonical digits */
  LN_HOW_BYTES,         /* LN_HOW_NUMBER, but "-" is 0 (%b) */
  LN_HOW_DURATION,      /* %D as it is, or column_value() to scale */
  LN_HOW_PART,          /* a part of the request line */
  LN_HOW_TIME,
  LN_HOW_OTHER,         /* rare: column_value() */
};

/* One record's walk over its columns: what columns_row() gives, one value
 * at a time, so that a writer writes each value as it gets it instead of
 * storing a row of them and reading it back. */
typedef struct {
  const LnRecord *rec;
  const LnColumn *columns;
  LnColumnCache *cache;
  int have_parts;               /* -1: the request line is not split yet */
} LnRowWalk;

/* The out-of-line parts of columns_walk_value(). */
void columns_plan (const LnColumn *columns, size_t n, LnColumnCache *cache);
LnValueKind columns_number_kind_slow (LnSpan s);
bool columns_request_parts (const LnRecord *rec, LnSpan parts[4]);
void columns_time_slow (const LnRecord *rec, LnColumnCache *cache);
LnValue columns_walk_other (const LnRecord *rec, LnColumn column, LnColumnCache *cache);

/* Starts a walk over the @n @columns of @rec; the plan made for @columns
 * is kept in @cache, so they must not change while it is used with them. */
static inline void
columns_walk_begin (LnRowWalk *walk, const LnRecord *rec, const LnColumn *columns,
                    size_t n, LnColumnCache *cache)
{
  walk->rec = rec;
  walk->columns = columns;
  walk->cache = cache;
  walk->have_parts = -1;
  if (cache->plan_columns != columns || cache->plan_n != n)
    columns_plan (columns, n, cache);
}

/* number_or_null()'s kind without its byte loop: up to 8 bytes are tested
 * at once (padded with '0'), which covers every status, size and port. */
static inline LnValueKind
columns_number_kind (LnSpan s)
{
  const guint64 ones = 0x0101010101010101u;
  guint64 w = 0x30 * ones;

  if (s.len - 1 >= 8)           /* empty or long */
    return columns_number_kind_slow (s);
#ifdef LN_LOAD_SHORT
  /* in registers (see load_short_word()); the bytes above the value
   * stay '0' */
  w = load_short_word (s.p, s.len)
      | (s.len == 8 ? 0 : w & ~UINT64_C (0) << (8 * s.len));
#else
  copy_short ((char *) &w, s.p, s.len);
#endif
  /* every byte 0x30-0x39: high nibble 3, and adding 6 leaves it 3 */
  if ((w & 0xf0 * ones) != 0x30 * ones || ((w + 6 * ones) & 0xf0 * ones) != 0x30 * ones)
    return span_is_dash (s) ? LN_VALUE_NULL : LN_VALUE_STRING;
  return s.len > 1 && s.p[0] == '0' ? LN_VALUE_STRING : LN_VALUE_NUMBER;
}

/* The value of the @i-th column of the walk, as column_value() gives it;
 * it may point into the cache until the next record. */
static inline LnValue
columns_walk_value (LnRowWalk *walk, size_t i)
{
  const LnRecord *rec = walk->rec;
  LnColumnCache *cache = walk->cache;
  LnValue v = { LN_VALUE_NULL, { "", 0 } };
  unsigned how, field;
  int fi;

  if (G_UNLIKELY (i >= LN_COLUMN_PLAN_MAX))
    return columns_walk_other (rec, walk->columns[i], cache);
  how = cache->plan[i][0];
  field = cache->plan[i][1];
  if (how <= LN_HOW_DURATION)
    {
      fi = rec->first[field];
      if (fi < 0)
        {
          /* no %D: maybe %T or %{ms}T to scale */
          if (how == LN_HOW_DURATION && (rec->first[LN_FIELD_DURATION_MS] >= 0
                                         || rec->first[LN_FIELD_DURATION_S] >= 0))
            return columns_walk_other (rec, walk->columns[i], cache);
          return v;
        }
      v.text = rec->fields[fi].out;
      if (how == LN_HOW_STRING)
        v.kind = v.text.len == 0 || span_is_dash (v.text) ? LN_VALUE_NULL : LN_VALUE_STRING;
      else if (how == LN_HOW_BYTES && span_is_dash (v.text))
        {
          /* %b writes "-" for zero bytes */
          v.kind = LN_VALUE_NUMBER;
          v.text = span_make ("0", 1);
        }
      else
        v.kind = columns_number_kind (v.text);
      return v;
    }
  if (how == LN_HOW_PART)
    {
      if (walk->have_parts < 0)
        walk->have_parts = columns_request_parts (rec, cache->parts);
      if (walk->have_parts && cache->parts[field].len)
        {
          v.kind = LN_VALUE_STRING;
          v.text = cache->parts[field];
        }
      return v;
    }
  if (how == LN_HOW_TIME)
    {
      /* consecutive records nearly always share their second */
      if (!rec->has_time)
        return v;
      if (cache->iso_len == 0 || cache->iso_epoch != rec->time.epoch)
        columns_time_slow (rec, cache);
      if (cache->iso_len)
        {
          v.kind = LN_VALUE_STRING;
          v.text = span_make (cache->iso, cache->iso_len);
        }
      return v;
    }
  return columns_walk_other (rec, walk->columns[i], cache);
}

/* The values of the @n @columns of @rec into @values, as column_value()
 * gives them (a whole row of columns_walk_value()).  The values may point
 * into @cache until the next call; the plan made for @columns is kept in
 * @cache, so they must not change while the same @cache is used with
 * them. */
void columns_row (const LnRecord *rec, const LnColumn *columns, size_t n,
                  LnValue *values, LnColumnCache *cache);

/* Splits a request line "GET /path?query HTTP/1.1" at its spaces; any
 * part may be empty, and text without a space is all @target. */
void columns_split_request (LnSpan request, LnSpan *method, LnSpan *target,
                            LnSpan *protocol);

#endif /* LN_COLUMNS_H */
