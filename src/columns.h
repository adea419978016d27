/* columns.h - named values of a record, for the CSV and JSON Lines writers.
 *
 * Column names are part of the output format and never translated.  Values
 * come from the fields' anonymised "out" spans only.
 */
#ifndef LN_COLUMNS_H
#define LN_COLUMNS_H

#include <glib.h>
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
  int64_t iso_epoch;
  size_t iso_len;             /* 0: nothing cached */
  int64_t iso_day;            /* the day of iso_epoch: a new second of the
                               * same day rewrites only the clock */
  char iso[LN_COLUMN_SCRATCH];
  char scratch[LN_COLUMN_SCRATCH];
} LnColumnCache;

/* The values of the @n @columns of @rec into @values, as column_value()
 * gives them, splitting the request line once for all of its parts, and
 * the sum of the lengths of their texts (at least that of the non-null
 * ones), from which a writer reserves room for the whole row.  The values may point into @cache
 * until the next call.  The plan made for @columns is kept in @cache:
 * they must not change while the same @cache is used with them. */
size_t columns_row (const LnRecord *rec, const LnColumn *columns, size_t n,
                    LnValue *values, LnColumnCache *cache);

/* Splits a request line "GET /path?query HTTP/1.1" at its spaces; any
 * part may be empty, and text without a space is all @target. */
void columns_split_request (LnSpan request, LnSpan *method, LnSpan *target,
                            LnSpan *protocol);

#endif /* LN_COLUMNS_H */
