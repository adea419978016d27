/* agg.c - aggregation, suppression, partials and merge (see agg.h). */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_CSV_H
#include <csv.h>
#else
#include <libcsv/csv.h>
#endif

#include "agg.h"
#include "clftime.h"
#include "columns.h"
#include "durhist.h"
#include "errors.h"
#include "fields.h"
#include "hll.h"
#include "i18n.h"
#include "key.h"
#include "writer.h"

#define SEP '\x1f'        /* between the parts of a row key */
#define RECENT_BITS 8
#define RECENT_SLOTS (1u << RECENT_BITS)
#define FAST_BITS 8
#define FAST_SLOTS (1u << FAST_BITS)
#define FAST_STATUS_MAX 7     /* bytes of status text a FastKey holds */
/* v2: a duration histogram column; tz and durations in the schema.
 * v3: the visitor digest is AES-128 (visitor.h), where v2's was SipHash-2-4:
 * the same address counts in other registers, so v2 sketches cannot merge
 * with v3's. */
#define PARTIAL_VERSION "lognym-partial-v3"
#define PARTIAL_SIPHASH "lognym-partial-v2"     /* the last with SipHash */
#define PARTIAL_PREFIX "lognym-partial-"
#define DURATIONS_SCHEMA "loglin7"     /* durhist.h's buckets */

static const char *const key_names[LN_AGG__COUNT] = {
  [LN_AGG_MINUTE] = "minute", [LN_AGG_HOUR] = "hour", [LN_AGG_DAY] = "day",
  [LN_AGG_WEEK] = "week", [LN_AGG_MONTH] = "month", [LN_AGG_COUNTRY] = "country",
  [LN_AGG_VHOST] = "vhost", [LN_AGG_STATUS] = "status",
  [LN_AGG_STATUS_CLASS] = "status_class", [LN_AGG_METHOD] = "method",
  [LN_AGG_PATH] = "path", [LN_AGG_REFERER_ORIGIN] = "referer_origin",
  [LN_AGG_UA_FAMILY] = "ua_family",
};

typedef struct {
  char *key;              /* escaped parts joined by SEP */
  size_t key_len;
  uint64_t key_hash;      /* key_hash (): the recent-rows cache's */
  guint64 requests;
  guint64 bytes;
  LnHll hll;
  LnDurHist durations;
  int64_t period;         /* --flush-every period; G_MAXINT64: no time */
  double visitors;        /* filled in by agg_write */
  gboolean other;
} Row;

/* What the row key of a line is made of when every key is a time key,
 * country, status or status_class: equal FastKeys make equal row keys
 * (the text is a function of these values), so agg_add finds the row of
 * most lines without making the text.  Several FastKeys may name one row
 * (the days of a week). */
typedef struct {
  int64_t unit;           /* time_bucket's minute, hour or day number;
                           * G_MININT64 for a record without a time; 0
                           * without a time key */
  uint64_t small;         /* the zone offset of its label (bits 0-31), the
                           * two letters of the country code (32-47) and
                           * the status class, '1'..'9' or '-' (48-55) */
  uint64_t status;        /* the status text, its length in the top byte */
} FastKey;

/* FastKey.small's parts.  One word made in a register and stored once:
 * a key stored a field at a time and compared a word at a time waited
 * for its stores (a failed store-to-load forwarding), a third of
 * agg_add's time. */
#define FAST_OFFSET(offset) ((uint64_t) (uint32_t) (offset))
#define FAST_COUNTRY(code) ((uint64_t) (code) << 32)
#define FAST_STATUS_CLASS(c) ((uint64_t) (c) << 48)

typedef struct {
  FastKey key;
  Row *row;               /* NULL: empty */
} FastSlot;

struct LnAgg {
  LnAggConfig cfg;
  char *key_id;
  char *schema;           /* merge: the schema column of the lines so far */
  GHashTable *rows;       /* key -> Row */
  LnBuf key;              /* agg_add's row key */
  /* The rows of recent lines, by a hash of their key: a day's lines fall
   * into a few dozen rows, and this direct-mapped lookup (the key hashed
   * a word at a time, compared once) costs a third of GHashTable's
   * (g_str_hash a byte at a time, then g_str_equal).  Emptied whenever
   * rows are freed (agg_flush). */
  Row *recent[RECENT_SLOTS];
  /* The rows of recent lines by FastKey, direct-mapped; only when
   * @fast, which rules out --flush-every: no row is freed before
   * agg_free(). */
  gboolean fast;
  FastSlot fast_slots[FAST_SLOTS];
  LnBuf origin;           /* referer_origin: an origin without user information */
  char column_scratch[LN_COLUMN_SCRATCH];
  char *tz_name;          /* "UTC" or the --tz identifier */
  GTimeZone *tz;          /* NULL for UTC */
  int64_t zone_lo, zone_hi; /* [lo, hi): instants of offset zone_offset */
  int32_t zone_offset;
  int64_t period;         /* the record's --flush-every period (agg_add) */
  /* the last time bucket's label: consecutive lines share it, and
   * formatting a date per line was a tenth of the time of -a day */
  gboolean label_valid;
  LnAggKey label_key;
  int64_t label_unit;     /* minute, hour or day number of the label */
  int32_t label_offset;
  char label[40];
  size_t label_len;
  int64_t latest;         /* the latest period seen; G_MININT64: none */
  gboolean due;
  gboolean header_done;   /* the CSV header is written once */
  guint64 rows_flushed;
};

const char *
agg_key_name (LnAggKey key)
{
  return key < LN_AGG__COUNT ? key_names[key] : "?";
}

static gboolean
is_time_key (LnAggKey k)
{
  return k <= LN_AGG_MONTH;
}

gboolean
agg_parse_keys (const char *list, LnAggConfig *cfg, GError **error)
{
  g_auto (GStrv) words = g_strsplit (list, ",", -1);
  size_t i;
  int k, times = 0;

  cfg->nkeys = 0;
  for (i = 0; words[i]; i++)
    {
      const char *w = g_strstrip (words[i]);

      for (k = 0; k < LN_AGG__COUNT; k++)
        if (strcmp (w, key_names[k]) == 0)
          break;
      if (k == LN_AGG__COUNT)
        {
          g_autoptr (GString) valid = g_string_new (NULL);

          for (k = 0; k < LN_AGG__COUNT; k++)
            g_string_append_printf (valid, "%s%s", k ? ", " : "", key_names[k]);
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("--aggregate: unknown key '%s' (valid: %s)"), w, valid->str);
          return FALSE;
        }
      if (cfg->nkeys == LN_AGG_MAX_KEYS)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("--aggregate: at most %d keys"), LN_AGG_MAX_KEYS);
          return FALSE;
        }
      times += is_time_key ((LnAggKey) k);
      cfg->keys[cfg->nkeys++] = (LnAggKey) k;
    }
  if (cfg->nkeys == 0 || times > 1)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                   cfg->nkeys == 0 ? _("--aggregate: no keys given")
                                   : _("--aggregate: at most one time key "
                                       "(minute, hour, day, week, month)"));
      return FALSE;
    }
  return TRUE;
}

gboolean
agg_flush_fits (const LnAggConfig *cfg, LnAggKey flush)
{
  size_t i;

  for (i = 0; i < cfg->nkeys; i++)
    if (is_time_key (cfg->keys[i]))
      return is_time_key (flush) && flush >= cfg->keys[i]
             && !(cfg->keys[i] == LN_AGG_WEEK && flush == LN_AGG_MONTH);
  return FALSE;
}

static void
row_free (gpointer data)
{
  Row *row = data;

  hll_clear (&row->hll);
  durhist_clear (&row->durations);
  g_free (row->key);
  g_free (row);
}

LnAgg *
agg_new (const LnAggConfig *cfg, const char *key_id)
{
  LnAgg *agg = g_new0 (LnAgg, 1);
  size_t i;

  agg->cfg = *cfg;
  agg->key_id = g_strdup (key_id ? key_id : "none");
  agg->rows = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, row_free);
  buf_init (&agg->key, 256);
  buf_init (&agg->origin, 128);
  agg->cfg.tz = NULL;     /* the caller's string: agg->tz_name from here */
  agg->tz_name = g_strdup ("UTC");
  /* --tz UTC buckets (and labels) exactly as without --tz */
  if (cfg->tz && strcmp (cfg->tz, "UTC") != 0)
    {
      agg->tz = g_time_zone_new_identifier (cfg->tz);
      if (agg->tz)
        {
          g_free (agg->tz_name);
          agg->tz_name = g_strdup (cfg->tz);
        }
    }
  agg->zone_lo = agg->zone_hi = 0;
  agg->latest = G_MININT64;
  agg->fast = !cfg->flush;
  for (i = 0; i < cfg->nkeys; i++)
    if (!is_time_key (cfg->keys[i]) && cfg->keys[i] != LN_AGG_COUNTRY
        && cfg->keys[i] != LN_AGG_STATUS && cfg->keys[i] != LN_AGG_STATUS_CLASS)
      agg->fast = FALSE;
  return agg;
}

void
agg_free (LnAgg *agg)
{
  if (agg == NULL)
    return;
  g_hash_table_destroy (agg->rows);
  g_free (agg->schema);
  buf_clear (&agg->key);
  buf_clear (&agg->origin);
  if (agg->tz)
    g_time_zone_unref (agg->tz);
  g_free (agg->tz_name);
  g_free (agg->key_id);
  g_free (agg);
}

/* Appends @s with '%', tab, CR, LF and SEP escaped as %XX, so that a key
 * part can never split a row or a partial line.  Runs of plain bytes are
 * copied whole: most key parts have nothing to escape. */
static void
append_escaped (LnBuf *out, LnSpan s)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t i, from = 0;

  for (i = 0; i < s.len; i++)
    {
      unsigned char c = (unsigned char) s.p[i];

      if (G_UNLIKELY (c == '%' || c == '\t' || c == '\n' || c == '\r' || c == SEP))
        {
          buf_append (out, s.p + from, i - from);
          buf_append_c (out, '%');
          buf_append_c (out, hex[c >> 4]);
          buf_append_c (out, hex[c & 15]);
          from = i + 1;
        }
    }
  buf_append (out, s.p + from, s.len - from);
}

static size_t
unescape (const char *p, size_t len, char *out)
{
  size_t i, n = 0;

  for (i = 0; i < len; i++)
    {
      if (p[i] == '%' && i + 2 < len + 0 && g_ascii_isxdigit (p[i + 1])
          && g_ascii_isxdigit (p[i + 2]))
        {
          out[n++] = (char) (g_ascii_xdigit_value (p[i + 1]) << 4
                             | g_ascii_xdigit_value (p[i + 2]));
          i += 2;
        }
      else
        out[n++] = p[i];
    }
  return n;
}

/* The first instant after @t (within a year) whose zone interval differs
 * from @t's, searching forward (@dir 1) or the last one before, backward
 * (@dir -1).  Only called when an instant leaves the cached interval. */
static int64_t
interval_edge (GTimeZone *tz, int64_t t, int dir)
{
  const int64_t year = 366 * 86400;
  gint i = g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, t);
  int64_t same = t, other = t + dir * year;

  if (g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, other) == i)
    return other;         /* no change within a year: look again then */
  /* intervals are contiguous: bisect between same and other */
  while (same - other > 1 || other - same > 1)
    {
      int64_t mid = same + (other - same) / 2;

      if (g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, mid) == i)
        same = mid;
      else
        other = mid;
    }
  return dir > 0 ? other : same;
}

/* The zone's UTC offset at @t in seconds; cheap while @t stays in the
 * interval (between two DST switches) of the previous call. */
static int32_t
zone_offset (LnAgg *agg, int64_t t)
{
  if (agg->tz == NULL)
    return 0;
  if (G_LIKELY (t >= agg->zone_lo && t < agg->zone_hi))
    return agg->zone_offset;
  agg->zone_offset = g_time_zone_get_offset (agg->tz,
                                             g_time_zone_find_interval (agg->tz,
                                                                        G_TIME_TYPE_UNIVERSAL,
                                                                        t));
  agg->zone_lo = interval_edge (agg->tz, t, -1);
  agg->zone_hi = interval_edge (agg->tz, t, 1);
  return agg->zone_offset;
}

/* The --flush-every period of local instant @local (seconds, the zone's
 * offset added) whose day number is @days. */
static int64_t
period_of (LnAggKey k, int64_t local, int64_t days)
{
  int64_t y;
  unsigned m, d;

  switch (k)
    {
    case LN_AGG_MINUTE:
      return clftime_floor_div (local, 60);
    case LN_AGG_HOUR:
      return clftime_floor_div (local, 3600);
    case LN_AGG_DAY:
      return days;
    case LN_AGG_WEEK:
      return key_period_index (LN_PERIOD_WEEKLY, days * 86400);
    case LN_AGG_MONTH:
    default:
      clftime_civil_from_days (days, &y, &m, &d);
      return y * 12 + (int64_t) m - 1;
    }
}

/* The time bucket of @rec in the zone of --tz.  Labels are local: a day is
 * 2024-03-31 whatever its length, and in a zone other than UTC hours and
 * minutes carry the offset (2024-10-27T02:00+02:00, then
 * 2024-10-27T02:00+01:00), so the hour that repeats when DST ends gives two
 * distinct, unambiguous rows. */
static void
time_bucket (LnAgg *agg, LnAggKey k, const LnRecord *rec, LnBuf *out)
{
  char buf[40];
  int64_t days, secs, y, local;
  int32_t offset;
  unsigned m, d;
  int n = 0;

  if (!rec->has_time)
    {
      buf_append_c (out, '-');
      agg->period = G_MAXINT64;
      return;
    }
  offset = zone_offset (agg, rec->time.epoch);
  local = rec->time.epoch + offset;
  days = clftime_floor_div (local, 86400);
  secs = local - days * 86400;
  if (agg->cfg.flush)
    agg->period = period_of (agg->cfg.flush_every, local, days);
  {
    int64_t unit = k == LN_AGG_MINUTE ? clftime_floor_div (local, 60)
                   : k == LN_AGG_HOUR ? clftime_floor_div (local, 3600) : days;

    if (agg->label_valid && agg->label_key == k && agg->label_unit == unit
        && agg->label_offset == offset)
      {
        buf_append (out, agg->label, agg->label_len);
        return;
      }
    agg->label_valid = TRUE;
    agg->label_key = k;
    agg->label_unit = unit;
    agg->label_offset = offset;
  }
  clftime_civil_from_days (days, &y, &m, &d);
  switch (k)
    {
    case LN_AGG_MINUTE:
      n = g_snprintf (buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d", (int) y, m, d,
                      (int) (secs / 3600), (int) (secs / 60 % 60));
      break;
    case LN_AGG_HOUR:
      n = g_snprintf (buf, sizeof buf, agg->tz ? "%04d-%02u-%02uT%02d:00" : "%04d-%02u-%02uT%02d",
                      (int) y, m, d, (int) (secs / 3600));
      break;
    case LN_AGG_DAY:
      g_snprintf (buf, sizeof buf, "%04d-%02u-%02u", (int) y, m, d);
      break;
    case LN_AGG_WEEK:
      key_period_name (LN_PERIOD_WEEKLY, key_period_index (LN_PERIOD_WEEKLY, days * 86400), buf);
      break;
    case LN_AGG_MONTH:
    default:
      g_snprintf (buf, sizeof buf, "%04d-%02u", (int) y, m);
      break;
    }
  if (n > 0 && agg->tz)
    {
      /* by hand: a second printf per line is most of what --tz costs */
      int32_t a = ABS (offset);
      char *q = buf + n;

      *q++ = offset < 0 ? '-' : '+';
      *q++ = (char) ('0' + a / 36000 % 10);
      *q++ = (char) ('0' + a / 3600 % 10);
      *q++ = ':';
      *q++ = (char) ('0' + a / 600 % 6);
      *q++ = (char) ('0' + a / 60 % 10);
      if (a % 60)
        {
          *q++ = ':';
          *q++ = (char) ('0' + a % 60 / 10);
          *q++ = (char) ('0' + a % 10);
        }
      *q = '\0';
    }
  agg->label_len = g_strlcpy (agg->label, buf, sizeof agg->label);
  buf_append (out, agg->label, agg->label_len);
}

static void
append_value (LnAgg *agg, LnAggKey k, const LnRecord *rec, LnBuf *out)
{
  LnValue v;
  LnSpan s = span_make ("-", 1);

  switch (k)
    {
    case LN_AGG_MINUTE: case LN_AGG_HOUR: case LN_AGG_DAY:
    case LN_AGG_WEEK: case LN_AGG_MONTH:
      time_bucket (agg, k, rec, out);
      return;
    case LN_AGG_COUNTRY:
      if (rec->country[0])
        s = span_make (rec->country, 2);
      else
        s = span_make ("--", 2);
      break;
    case LN_AGG_VHOST:
      v = column_value (rec, LN_COL_VHOST, agg->column_scratch);
      if (v.kind != LN_VALUE_NULL)
        s = v.text;
      break;
    case LN_AGG_STATUS:
      /* column_value's text, without its number check: a key is text */
      if (rec->first[LN_FIELD_STATUS] >= 0)
        {
          LnSpan f = rec->fields[rec->first[LN_FIELD_STATUS]].out;

          if (f.len > 0 && !span_is_dash (f))
            s = f;
        }
      break;
    case LN_AGG_STATUS_CLASS:
      if (rec->status >= 100 && rec->status <= 999)
        {
          buf_append_c (out, (char) ('0' + rec->status / 100));
          buf_append (out, "xx", 2);
          return;
        }
      break;
    case LN_AGG_METHOD:
      v = column_value (rec, LN_COL_METHOD, agg->column_scratch);
      if (v.kind != LN_VALUE_NULL)
        s = v.text;
      break;
    case LN_AGG_PATH:
      v = column_value (rec, LN_COL_PATH, agg->column_scratch);
      if (v.kind != LN_VALUE_NULL)
        {
          s = v.text;
          if (agg->cfg.path_depth > 0 && s.len > 0 && s.p[0] == '/')
            {
              /* keep the first N segments: "/a/b/c" at depth 1 is "/a" */
              unsigned seen = 0;
              size_t i;

              for (i = 1; i < s.len; i++)
                if (s.p[i] == '/' && ++seen == agg->cfg.path_depth)
                  {
                    s.len = i;
                    break;
                  }
            }
        }
      break;
    case LN_AGG_REFERER_ORIGIN:
      v = column_value (rec, LN_COL_REFERER, agg->column_scratch);
      if (v.kind != LN_VALUE_NULL)
        {
          bool in_scratch;

          /* the --referer=origin rule, user information removed */
          buf_reset (&agg->origin);
          s = fields_referer (LN_REFERER_ORIGIN, v.text, &agg->origin, &in_scratch);
        }
      break;
    case LN_AGG_UA_FAMILY:
      /* from the user agent as the client sent it: the family is coarse
       * whatever the --user-agent policy writes */
      if (rec->first[LN_FIELD_USER_AGENT] >= 0)
        {
          char family[LN_UA_FAMILY_MAX];
          bool bot;
          size_t n = fields_ua_family (rec->fields[rec->first[LN_FIELD_USER_AGENT]].raw,
                                       family, &bot);

          append_escaped (out, span_make (family, n));
          return;
        }
      break;
    case LN_AGG__COUNT:
    default:
      break;
    }
  append_escaped (out, s);
}

/* A hash of the row key @p (@len bytes), for the recent-rows cache only:
 * keys are aggregate labels, never addresses, so nothing needs keying. */
static uint64_t
key_hash (const char *p, size_t len)
{
  uint64_t h = len * 0x9e3779b97f4a7c15ULL;
  uint64_t w;

  for (; len > 8; p += 8, len -= 8)
    {
      memcpy (&w, p, 8);
      h = (h ^ w) * 0xff51afd7ed558ccdULL;
      h ^= h >> 32;
    }
  /* the last 1 to 8 bytes, as two loads that may overlap: no call */
  if (len >= 4)
    {
      uint32_t a, b;

      memcpy (&a, p, 4);
      memcpy (&b, p + len - 4, 4);
      w = (uint64_t) a << 32 | b;
    }
  else
    w = len ? (uint64_t) (unsigned char) p[0] << 16
              | (uint64_t) (unsigned char) p[len / 2] << 8 | (unsigned char) p[len - 1] : 0;
  h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
  return h ^ h >> 29;
}

static Row *
find_or_add (LnAgg *agg, const char *key)
{
  Row *row = g_hash_table_lookup (agg->rows, key);

  if (row == NULL)
    {
      row = g_new0 (Row, 1);
      row->key = g_strdup (key);
      row->key_len = strlen (key);
      row->key_hash = key_hash (key, row->key_len);
      hll_init (&row->hll);
      durhist_init (&row->durations);
      row->period = G_MAXINT64;
      g_hash_table_insert (agg->rows, row->key, row);
    }
  return row;
}

static guint64
bytes_of (const LnRecord *rec)
{
  int i = rec->first[LN_FIELD_BYTES];
  guint64 n = 0;
  size_t j;

  if (i < 0)
    return 0;
  for (j = 0; j < rec->fields[i].out.len && (unsigned) (rec->fields[i].out.p[j] - '0') <= 9; j++)
    n = n * 10 + (guint64) (rec->fields[i].out.p[j] - '0');
  return n;
}

/* The row of @rec, by the text of its row key. */
static Row *
row_by_text (LnAgg *agg, const LnRecord *rec)
{
  LnBuf *k = &agg->key;
  Row *row, **slot;
  uint64_t h;
  size_t i;

  buf_reset (k);
  for (i = 0; i < agg->cfg.nkeys; i++)
    {
      if (i)
        buf_append_c (k, SEP);
      append_value (agg, agg->cfg.keys[i], rec, k);
    }
  h = key_hash (k->data, k->len);
  slot = &agg->recent[h >> (64 - RECENT_BITS)];
  row = *slot;
  if (G_UNLIKELY (row == NULL || row->key_hash != h || row->key_len != k->len
                  || memcmp (row->key, k->data, k->len) != 0))
    {
      buf_append_c (k, '\0');
      row = find_or_add (agg, k->data);
      *slot = row;
    }
  return row;
}

/* Fills @fk with what the row key of @rec is made of (agg->fast: the keys
 * are of the kinds FastKey holds), the same values append_value() makes
 * text of.  FALSE when a value does not fit (a long status text). */
static inline gboolean
fast_key (LnAgg *agg, const LnRecord *rec, FastKey *fk)
{
  size_t i;
  int64_t unit = 0;
  uint64_t small = 0, status = 0;

  for (i = 0; i < agg->cfg.nkeys; i++)
    switch (agg->cfg.keys[i])
      {
      case LN_AGG_COUNTRY:
        small |= FAST_COUNTRY (rec->country[0] ? (uint16_t) ((uint8_t) rec->country[0]
                                                             | (uint8_t) rec->country[1] << 8)
                                               : (uint16_t) ('-' | '-' << 8));
        break;
      case LN_AGG_STATUS_CLASS:
        small |= FAST_STATUS_CLASS (rec->status >= 100 && rec->status <= 999
                                    ? (uint8_t) ('0' + rec->status / 100) : '-');
        break;
      case LN_AGG_STATUS:
        {
          LnSpan t = span_make ("-", 1);
          size_t j;

          if (rec->first[LN_FIELD_STATUS] >= 0)
            {
              LnSpan f = rec->fields[rec->first[LN_FIELD_STATUS]].out;

              if (f.len > 0 && !span_is_dash (f))
                t = f;
            }
          if (t.len > FAST_STATUS_MAX)
            return FALSE;
          status = (uint64_t) t.len << 56;
          for (j = 0; j < t.len; j++)
            status |= (uint64_t) (uint8_t) t.p[j] << (8 * j);
        }
        break;
      case LN_AGG_MINUTE: case LN_AGG_HOUR: case LN_AGG_DAY:
      case LN_AGG_WEEK: case LN_AGG_MONTH:
        unit = G_MININT64;      /* no epoch is that far back */
        if (rec->has_time)
          {
            /* time_bucket()'s label is a function of these */
            LnAggKey k = agg->cfg.keys[i];
            int32_t offset = agg->tz ? zone_offset (agg, rec->time.epoch) : 0;
            int64_t local = rec->time.epoch + offset;

            small |= FAST_OFFSET (offset);
            unit = k == LN_AGG_MINUTE ? clftime_floor_div (local, 60)
                   : k == LN_AGG_HOUR ? clftime_floor_div (local, 3600)
                   : clftime_floor_div (local, 86400);
          }
        break;
      default:
        return FALSE;
      }
  fk->unit = unit;
  fk->small = small;
  fk->status = status;
  return TRUE;
}

/* Multiplied in a chain, not hashed part by part and XORed: keys that
 * differ in one part only must not always land in different slots, or the
 * test of the fast path could not see a part left out of the comparison. */
static inline uint64_t
fast_hash (const FastKey *fk)
{
  uint64_t h = (uint64_t) fk->unit * 0x9e3779b97f4a7c15ULL;

  h = (h ^ fk->small) * 0xff51afd7ed558ccdULL;
  h = (h ^ h >> 29 ^ fk->status) * 0xc4ceb9fe1a85ec53ULL;
  return h ^ h >> 32;
}

static inline gboolean
fast_key_eq (const FastKey *a, const FastKey *b)
{
  return a->unit == b->unit && a->small == b->small && a->status == b->status;
}

void
agg_add (LnAgg *agg, const LnRecord *rec, gboolean has_visitor, uint64_t visitor)
{
  FastKey fk;
  Row *row;

  if (agg->fast && G_LIKELY (fast_key (agg, rec, &fk)))
    {
      FastSlot *slot = &agg->fast_slots[fast_hash (&fk) >> (64 - FAST_BITS)];

      if (G_LIKELY (slot->row != NULL && fast_key_eq (&slot->key, &fk)))
        row = slot->row;
      else
        {
          row = row_by_text (agg, rec);
          slot->key = fk;
          slot->row = row;
        }
    }
  else
    row = row_by_text (agg, rec);
  row->requests++;
  row->bytes += bytes_of (rec);
  if (has_visitor)
    hll_add (&row->hll, visitor);
  if (agg->cfg.durations)
    {
      LnValue v = column_value (rec, LN_COL_DURATION_US, agg->column_scratch);

      if (v.kind == LN_VALUE_NUMBER)
        {
          guint64 us = 0;
          size_t j;

          for (j = 0; j < v.text.len; j++)
            us = us > G_MAXUINT64 / 10 ? G_MAXUINT64 : us * 10 + (guint64) (v.text.p[j] - '0');
          durhist_add (&row->durations, us);
        }
    }
  if (agg->cfg.flush)
    {
      /* the key holds the time bucket, so every record of a row falls in
       * the same flush period */
      row->period = agg->period;
      if (agg->period != G_MAXINT64 && agg->period > agg->latest)
        {
          agg->due = agg->latest != G_MININT64;
          agg->latest = agg->period;
        }
    }
}

void
agg_merge (LnAgg *into, const LnAgg *from)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, from->rows);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const Row *src = value;
      Row *row = find_or_add (into, src->key);

      row->requests += src->requests;
      row->bytes += src->bytes;
      hll_merge (&row->hll, &src->hll);
      durhist_merge (&row->durations, &src->durations);
    }
}

/* ------------------------------------------------------------- partials */

/* Every partial line carries its schema in its last column: the keys, the
 * path depth, the sketch precision, the zone of the time buckets, whether
 * it has duration histograms (and their buckets) and a digest of the sketch
 * key.  There
 * is no header line, so partials survive sort(1), Hadoop's shuffle and any
 * number of reducers, and a line from another configuration is caught on
 * its own. */
static void
schema_text (const LnAgg *agg, GString *out)
{
  size_t i;

  g_string_append (out, PARTIAL_VERSION ";keys=");
  for (i = 0; i < agg->cfg.nkeys; i++)
    g_string_append_printf (out, "%s%s", i ? "," : "", key_names[agg->cfg.keys[i]]);
  g_string_append_printf (out, ";path_depth=%u;precision=%d;tz=%s;durations=%s;sketch=%s",
                          agg->cfg.path_depth, LN_HLL_P, agg->tz_name,
                          agg->cfg.durations ? DURATIONS_SCHEMA : "none", agg->key_id);
}

/* Adopts (first line) or checks (later lines) the schema @text. */
static gboolean
merge_schema (LnAgg *agg, const char *text, const char *where, GError **error)
{
  g_auto (GStrv) words = NULL;
  LnAggConfig cfg = agg->cfg;
  const char *key_id = NULL, *tz = NULL;
  gboolean precision_ok = FALSE, durations_ok = FALSE;
  size_t i;

  if (agg->schema && strcmp (agg->schema, text) == 0)
    return TRUE;
  words = g_strsplit (text, ";", -1);
  if (words[0] && strcmp (words[0], PARTIAL_SIPHASH) == 0)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_MALFORMED,
                   _("%s: partial of an older lognym (%s), whose visitor sketches "
                     "count another digest of the address than this one's (%s): "
                     "make it again with this version"), where, words[0], PARTIAL_VERSION);
      return FALSE;
    }
  if (words[0] && g_str_has_prefix (words[0], PARTIAL_PREFIX)
      && strcmp (words[0], PARTIAL_VERSION) != 0)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_MALFORMED,
                   _("%s: partial of another lognym version (%s, this one reads %s): "
                     "make it again"), where, words[0], PARTIAL_VERSION);
      return FALSE;
    }
  if (words[0] == NULL || strcmp (words[0], PARTIAL_VERSION) != 0)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_MALFORMED,
                   _("%s: not a lognym partial line"), where);
      return FALSE;
    }
  cfg.nkeys = 0;
  for (i = 1; words[i]; i++)
    {
      if (g_str_has_prefix (words[i], "keys="))
        {
          g_autoptr (GError) bad = NULL;

          if (!agg_parse_keys (words[i] + 5, &cfg, &bad))
            {
              g_set_error (error, LN_ERROR, LN_ERROR_MALFORMED, "%s: %s", where, bad->message);
              return FALSE;
            }
        }
      else if (g_str_has_prefix (words[i], "path_depth="))
        cfg.path_depth = (unsigned) strtoul (words[i] + 11, NULL, 10);
      else if (g_str_has_prefix (words[i], "precision="))
        precision_ok = atoi (words[i] + 10) == LN_HLL_P;
      else if (g_str_has_prefix (words[i], "tz="))
        tz = words[i] + 3;
      else if (g_str_has_prefix (words[i], "durations="))
        {
          cfg.durations = strcmp (words[i] + 10, DURATIONS_SCHEMA) == 0;
          durations_ok = cfg.durations || strcmp (words[i] + 10, "none") == 0;
        }
      else if (g_str_has_prefix (words[i], "sketch="))
        key_id = words[i] + 7;
    }
  if (key_id == NULL || cfg.nkeys == 0 || !precision_ok || tz == NULL || tz[0] == '\0'
      || !durations_ok)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_MALFORMED,
                   _("%s: malformed partial line (schema)"), where);
      return FALSE;
    }
  if (agg->schema == NULL)
    {
      agg->cfg.nkeys = cfg.nkeys;
      memcpy (agg->cfg.keys, cfg.keys, sizeof cfg.keys);
      agg->cfg.path_depth = cfg.path_depth;
      agg->cfg.durations = cfg.durations;
      g_free (agg->tz_name);
      agg->tz_name = g_strdup (tz);
      g_free (agg->key_id);
      agg->key_id = g_strdup (key_id);
      agg->schema = g_strdup (text);
      return TRUE;
    }
  if (strcmp (agg->key_id, key_id) != 0)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
                   _("%s: partial made with a different sketch key; visitor counts "
                     "cannot be merged (use the same --key-file or --sketch-key-file "
                     "everywhere)"), where);
      return FALSE;
    }
  if (strcmp (agg->tz_name, tz) != 0)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
                   _("%s: partial bucketed in time zone %s, the lines before it in %s; "
                     "they cannot be merged (use the same --tz everywhere)"),
                   where, tz, agg->tz_name);
      return FALSE;
    }
  if (agg->cfg.durations != cfg.durations)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
                   _("%s: partial with duration histograms mixed with partials "
                     "without (made from log formats with and without a duration)"),
                   where);
      return FALSE;
    }
  g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
               _("%s: partial made with other keys than the lines before it"), where);
  return FALSE;
}

gboolean
agg_merge_from (LnAgg *agg, LnReader *reader, GError **error)
{
  LnSpan line, eol;
  int got;

  while ((got = reader_next (reader, &line, &eol, error)) > 0)
    {
      g_autofree char *text = g_strndup (line.p, line.len);
      g_auto (GStrv) parts = NULL;
      guint64 requests, bytes;
      LnHll hll;
      LnDurHist durations;
      Row *row;
      guint n;

      if (line.len == 0)
        continue;
      parts = g_strsplit (text, "\t", 7);
      n = g_strv_length (parts);
      /* an older partial has fewer columns: let its schema say so */
      if (n >= 2 && n != 6 && g_str_has_prefix (parts[n - 1], PARTIAL_PREFIX)
          && !g_str_has_prefix (parts[n - 1], PARTIAL_VERSION ";"))
        {
          g_autofree char *where = g_strdup_printf ("%s:%" PRIu64, reader_name (reader),
                                                    (uint64_t) reader_line_number (reader));

          merge_schema (agg, parts[n - 1], where, error);
          return FALSE;
        }
      if (n != 6
          || !g_ascii_string_to_unsigned (parts[1], 10, 0, G_MAXUINT64, &requests, NULL)
          || !g_ascii_string_to_unsigned (parts[2], 10, 0, G_MAXUINT64, &bytes, NULL)
          || !hll_deserialize (&hll, parts[3]))
        {
          g_set_error (error, LN_ERROR, LN_ERROR_MALFORMED,
                       _("%s:%" PRIu64 ": not a lognym partial line"), reader_name (reader),
                       (uint64_t) reader_line_number (reader));
          return FALSE;
        }
      if (!durhist_deserialize (&durations, parts[4]))
        {
          hll_clear (&hll);
          g_set_error (error, LN_ERROR, LN_ERROR_MALFORMED,
                       _("%s:%" PRIu64 ": not a lognym partial line"), reader_name (reader),
                       (uint64_t) reader_line_number (reader));
          return FALSE;
        }
      if (!agg->schema || strcmp (agg->schema, parts[5]) != 0)
        {
          g_autofree char *where = g_strdup_printf ("%s:%" PRIu64, reader_name (reader),
                                                    (uint64_t) reader_line_number (reader));

          if (!merge_schema (agg, parts[5], where, error))
            {
              hll_clear (&hll);
              durhist_clear (&durations);
              return FALSE;
            }
        }
      row = find_or_add (agg, parts[0]);
      row->requests += requests;
      row->bytes += bytes;
      hll_merge (&row->hll, &hll);
      hll_clear (&hll);
      durhist_merge (&row->durations, &durations);
      durhist_clear (&durations);
    }
  return got == 0;
}

/* ---------------------------------------------------------------- output */

static int
time_part_index (const LnAgg *agg)
{
  size_t i;

  for (i = 0; i < agg->cfg.nkeys; i++)
    if (is_time_key (agg->cfg.keys[i]))
      return (int) i;
  return -1;
}

/* The @n-th part of a row key, as a pointer and length into @key. */
static LnSpan
key_part (const char *key, size_t n)
{
  const char *p = key;
  const char *e;

  while (n-- > 0)
    {
      p = strchr (p, SEP);
      if (p == NULL)
        return span_make ("", 0);
      p++;
    }
  e = strchr (p, SEP);
  return span_make (p, e ? (size_t) (e - p) : strlen (p));
}

static int
compare_rows (gconstpointer a, gconstpointer b, gpointer data)
{
  const Row *x = *(Row *const *) a, *y = *(Row *const *) b;
  int t = GPOINTER_TO_INT (data);

  if (t >= 0)
    {
      LnSpan tx = key_part (x->key, (size_t) t), ty = key_part (y->key, (size_t) t);
      size_t n = MIN (tx.len, ty.len);
      int c = memcmp (tx.p, ty.p, n);

      if (c != 0)
        return c;
      if (tx.len != ty.len)
        return tx.len < ty.len ? -1 : 1;
    }
  if (x->other != y->other)
    return x->other ? 1 : -1;
  return strcmp (x->key, y->key);
}

static void
write_u64 (LnBuf *out, guint64 v)
{
  char tmp[24];
  int n = g_snprintf (tmp, sizeof tmp, "%" PRIu64, (uint64_t) v);

  buf_append (out, tmp, (size_t) n);
}

/* Sorts @rows and writes them in the partial form. */
static void
write_partial (LnAgg *agg, GPtrArray *rows, LnBuf *out)
{
  g_autoptr (GString) schema = g_string_new (NULL);
  g_autoptr (GString) line = g_string_new (NULL);
  guint i;

  schema_text (agg, schema);
  g_ptr_array_sort_with_data (rows, compare_rows, GINT_TO_POINTER (-1));
  for (i = 0; i < rows->len; i++)
    {
      const Row *row = rows->pdata[i];

      g_string_truncate (line, 0);
      g_string_append_printf (line, "%s\t%" PRIu64 "\t%" PRIu64 "\t", row->key,
                              (uint64_t) row->requests, (uint64_t) row->bytes);
      hll_serialize (&row->hll, line);
      g_string_append_c (line, '\t');
      durhist_serialize (&row->durations, line);
      g_string_append_c (line, '\t');
      g_string_append_len (line, schema->str, (gssize) schema->len);
      g_string_append_c (line, '\n');
      buf_append (out, line->str, line->len);
    }
}

/* A quantile in milliseconds with three decimals, whatever the locale; "",
 * or null in JSON, for a row without durations. */
static void
write_quantile (LnAgg *agg, const Row *row, unsigned percent, LnBuf *out)
{
  char tmp[32];
  uint64_t us;
  int n;

  if (!durhist_quantile (&row->durations, percent, &us))
    {
      if (agg->cfg.jsonl)
        buf_append (out, "null", 4);
      return;
    }
  n = g_snprintf (tmp, sizeof tmp, "%" PRIu64 ".%03u", us / 1000, (unsigned) (us % 1000));
  buf_append (out, tmp, (size_t) n);
}

/* Folds the rows of @rows about too few people into one (other) row per
 * time bucket and writes them as CSV or JSON Lines.  @rows holds whole
 * time buckets; it is reordered and (other) rows are added to it. */
static void
write_final (LnAgg *agg, GPtrArray *rows, LnBuf *out, GHashTable *others)
{
  g_autoptr (GString) k = g_string_new (NULL);
  int t = time_part_index (agg);
  GHashTableIter it;
  gpointer value;
  guint i, nrows = rows->len, kept = 0;
  size_t j;

  /* lognym merge that read no partial line: no keys, no rows, and a
   * header of the metrics alone would look like a table of another kind */
  if (agg->cfg.nkeys == 0)
    return;
  for (i = 0; i < nrows; i++)
    {
      Row *row = rows->pdata[i];
      double v = hll_estimate (&row->hll);

      row->visitors = v;
      if ((agg->cfg.min_visitors <= 1 || (guint64) llround (v) >= agg->cfg.min_visitors)
          && row->requests >= agg->cfg.min_requests)
        {
          rows->pdata[kept++] = row;
          continue;
        }
      g_string_truncate (k, 0);
      for (j = 0; j < agg->cfg.nkeys; j++)
        {
          LnSpan part = (int) j == t ? key_part (row->key, j) : LN_SPAN_LIT (LN_AGG_OTHER);

          if (j)
            g_string_append_c (k, SEP);
          g_string_append_len (k, part.p, (gssize) part.len);
        }
      {
        Row *other = g_hash_table_lookup (others, k->str);

        if (other == NULL)
          {
            other = g_new0 (Row, 1);
            other->key = g_strdup (k->str);
            other->other = TRUE;
            hll_init (&other->hll);
            durhist_init (&other->durations);
            g_hash_table_insert (others, other->key, other);
          }
        other->requests += row->requests;
        other->bytes += row->bytes;
        hll_merge (&other->hll, &row->hll);
        durhist_merge (&other->durations, &row->durations);
      }
    }
  g_ptr_array_set_size (rows, (gint) kept);
  g_hash_table_iter_init (&it, others);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Row *other = value;

      other->visitors = hll_estimate (&other->hll);
      g_ptr_array_add (rows, other);
    }
  g_ptr_array_sort_with_data (rows, compare_rows, GINT_TO_POINTER (t));

  /* one header, however many flushes */
  if (!agg->cfg.jsonl && !agg->header_done)
    {
      for (j = 0; j < agg->cfg.nkeys; j++)
        {
          buf_append (out, key_names[agg->cfg.keys[j]], strlen (key_names[agg->cfg.keys[j]]));
          buf_append_c (out, ',');
        }
      buf_append (out, "requests,bytes,visitors", 23);
      if (agg->cfg.durations)
        buf_append (out, ",duration_p50,duration_p95", 26);
      buf_append (out, "\r\n", 2);
    }
  agg->header_done = TRUE;
  for (i = 0; i < rows->len; i++)
    {
      const Row *row = rows->pdata[i];

      if (agg->cfg.jsonl)
        buf_append_c (out, '{');
      for (j = 0; j < agg->cfg.nkeys; j++)
        {
          LnSpan part = key_part (row->key, j);
          g_autofree char *plain = g_malloc (part.len + 1);
          size_t n = row->other && (int) j != t ? part.len : unescape (part.p, part.len, plain);

          if (row->other && (int) j != t)
            memcpy (plain, part.p, part.len);
          if (agg->cfg.jsonl)
            {
              const char *name = key_names[agg->cfg.keys[j]];

              if (j)
                buf_append_c (out, ',');
              buf_append_c (out, '"');
              buf_append (out, name, strlen (name));
              buf_append (out, "\":", 2);
              writer_json_string (out, span_make (plain, n));
            }
          else
            {
              size_t room = 2 * n + 2;

              buf_reserve (out, room);
              out->len += csv_write (out->data + out->len, room, plain, n);
              buf_append_c (out, ',');
            }
        }
      if (agg->cfg.jsonl)
        buf_append (out, ",\"requests\":", 12);
      write_u64 (out, row->requests);
      buf_append (out, agg->cfg.jsonl ? ",\"bytes\":" : ",", agg->cfg.jsonl ? 9 : 1);
      write_u64 (out, row->bytes);
      buf_append (out, agg->cfg.jsonl ? ",\"visitors\":" : ",", agg->cfg.jsonl ? 12 : 1);
      /* an (other) row can still hold fewer than K people when little was
       * folded: its requests and bytes keep the totals right, its visitor
       * count is withheld */
      if (row->other && agg->cfg.min_visitors > 1
          && (guint64) llround (row->visitors) < agg->cfg.min_visitors)
        {
          if (agg->cfg.jsonl)
            buf_append (out, "null", 4);
        }
      else
        write_u64 (out, (guint64) llround (row->visitors));
      if (agg->cfg.durations)
        {
          buf_append (out, agg->cfg.jsonl ? ",\"duration_p50\":" : ",", agg->cfg.jsonl ? 16 : 1);
          write_quantile (agg, row, 50, out);
          buf_append (out, agg->cfg.jsonl ? ",\"duration_p95\":" : ",", agg->cfg.jsonl ? 16 : 1);
          write_quantile (agg, row, 95, out);
        }
      buf_append (out, agg->cfg.jsonl ? "}\n" : "\r\n", 2);
    }
}

/* Writes @rows, partial or final. */
static void
write_rows (LnAgg *agg, GPtrArray *rows, LnBuf *out)
{
  g_autoptr (GHashTable) others = NULL;

  if (agg->cfg.partial)
    {
      write_partial (agg, rows, out);
      return;
    }
  others = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, row_free);
  write_final (agg, rows, out, others);
}

void
agg_write (LnAgg *agg, LnBuf *out)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new ();
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, agg->rows);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_ptr_array_add (rows, value);
  write_rows (agg, rows, out);
}

gboolean
agg_flush_due (const LnAgg *agg)
{
  return agg->due;
}

void
agg_flush (LnAgg *agg, LnBuf *out)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new ();
  GHashTableIter it;
  gpointer value;
  guint i;

  agg->due = FALSE;
  /* one period of grace: the period before the latest stays open */
  g_hash_table_iter_init (&it, agg->rows);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Row *row = value;

      if (row->period < agg->latest - 1)
        {
          g_hash_table_iter_steal (&it);
          g_ptr_array_add (rows, row);
        }
    }
  if (rows->len == 0)
    return;
  memset (agg->recent, 0, sizeof agg->recent);    /* they are freed below */
  agg->rows_flushed += rows->len;
  /* write_rows reorders the array and may add (other) rows it owns:
   * free the stolen rows first by key, after writing */
  {
    g_autoptr (GPtrArray) stolen = g_ptr_array_copy (rows, NULL, NULL);

    write_rows (agg, rows, out);
    for (i = 0; i < stolen->len; i++)
      row_free (stolen->pdata[i]);
  }
}

guint64
agg_row_count (const LnAgg *agg)
{
  return g_hash_table_size (agg->rows) + agg->rows_flushed;
}

size_t
agg_memory (const LnAgg *agg)
{
  GHashTableIter it;
  gpointer value;
  size_t total = 0;

  g_hash_table_iter_init (&it, agg->rows);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      const Row *row = value;

      total += sizeof *row + strlen (row->key) + 1 + hll_memory (&row->hll)
               + durhist_memory (&row->durations) + 32;
    }
  return total;
}
