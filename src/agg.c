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
#include "errors.h"
#include "hll.h"
#include "i18n.h"
#include "key.h"
#include "writer.h"

#define SEP '\x1f'        /* between the parts of a row key */
#define PARTIAL_VERSION "lognym-partial-v1"

static const char *const key_names[LN_AGG__COUNT] = {
  [LN_AGG_MINUTE] = "minute", [LN_AGG_HOUR] = "hour", [LN_AGG_DAY] = "day",
  [LN_AGG_WEEK] = "week", [LN_AGG_MONTH] = "month", [LN_AGG_COUNTRY] = "country",
  [LN_AGG_VHOST] = "vhost", [LN_AGG_STATUS] = "status",
  [LN_AGG_STATUS_CLASS] = "status_class", [LN_AGG_METHOD] = "method",
  [LN_AGG_PATH] = "path", [LN_AGG_REFERER_ORIGIN] = "referer_origin",
};

typedef struct {
  char *key;              /* escaped parts joined by SEP */
  guint64 requests;
  guint64 bytes;
  LnHll hll;
  double visitors;        /* filled in by agg_write */
  gboolean other;
} Row;

struct LnAgg {
  LnAggConfig cfg;
  char *key_id;
  char *schema;           /* merge: the schema column of the lines so far */
  GHashTable *rows;       /* key -> Row */
  GString *scratch;
  char column_scratch[LN_COLUMN_SCRATCH];
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

static void
row_free (gpointer data)
{
  Row *row = data;

  hll_clear (&row->hll);
  g_free (row->key);
  g_free (row);
}

LnAgg *
agg_new (const LnAggConfig *cfg, const char *key_id)
{
  LnAgg *agg = g_new0 (LnAgg, 1);

  agg->cfg = *cfg;
  agg->key_id = g_strdup (key_id ? key_id : "none");
  agg->rows = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, row_free);
  agg->scratch = g_string_sized_new (256);
  return agg;
}

void
agg_free (LnAgg *agg)
{
  if (agg == NULL)
    return;
  g_hash_table_destroy (agg->rows);
  g_free (agg->schema);
  g_string_free (agg->scratch, TRUE);
  g_free (agg->key_id);
  g_free (agg);
}

/* Appends @s with '%', tab, CR, LF and SEP escaped as %XX, so that a key
 * part can never split a row or a partial line. */
static void
append_escaped (GString *out, LnSpan s)
{
  size_t i;

  for (i = 0; i < s.len; i++)
    {
      unsigned char c = (unsigned char) s.p[i];

      if (c == '%' || c == '\t' || c == '\n' || c == '\r' || c == SEP)
        g_string_append_printf (out, "%%%02X", c);
      else
        g_string_append_c (out, (char) c);
    }
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

static void
time_bucket (LnAggKey k, const LnRecord *rec, GString *out)
{
  char buf[24];
  int64_t days, secs, y;
  unsigned m, d;

  if (!rec->has_time)
    {
      g_string_append_c (out, '-');
      return;
    }
  days = clftime_floor_div (rec->time.epoch, 86400);
  secs = rec->time.epoch - days * 86400;
  clftime_civil_from_days (days, &y, &m, &d);
  switch (k)
    {
    case LN_AGG_MINUTE:
      g_snprintf (buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d", (int) y, m, d,
                  (int) (secs / 3600), (int) (secs / 60 % 60));
      break;
    case LN_AGG_HOUR:
      g_snprintf (buf, sizeof buf, "%04d-%02u-%02uT%02d", (int) y, m, d, (int) (secs / 3600));
      break;
    case LN_AGG_DAY:
      g_snprintf (buf, sizeof buf, "%04d-%02u-%02u", (int) y, m, d);
      break;
    case LN_AGG_WEEK:
      key_period_name (LN_PERIOD_WEEKLY, key_period_index (LN_PERIOD_WEEKLY, rec->time.epoch), buf);
      break;
    case LN_AGG_MONTH:
    default:
      g_snprintf (buf, sizeof buf, "%04d-%02u", (int) y, m);
      break;
    }
  g_string_append (out, buf);
}

static void
append_value (LnAgg *agg, LnAggKey k, const LnRecord *rec, GString *out)
{
  LnValue v;
  LnSpan s = span_make ("-", 1);

  switch (k)
    {
    case LN_AGG_MINUTE: case LN_AGG_HOUR: case LN_AGG_DAY:
    case LN_AGG_WEEK: case LN_AGG_MONTH:
      time_bucket (k, rec, out);
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
      v = column_value (rec, LN_COL_STATUS, agg->column_scratch);
      if (v.kind != LN_VALUE_NULL)
        s = v.text;
      break;
    case LN_AGG_STATUS_CLASS:
      if (rec->status >= 100 && rec->status <= 999)
        {
          g_string_append_c (out, (char) ('0' + rec->status / 100));
          g_string_append (out, "xx");
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
          const char *p = v.text.p, *end = v.text.p + v.text.len;
          const char *scheme = NULL;
          const char *q;

          for (q = p; q + 2 < end; q++)
            if (q[0] == ':' && q[1] == '/' && q[2] == '/')
              {
                scheme = q;
                break;
              }
          if (scheme && scheme > p)
            {
              const char *host = scheme + 3;
              const char *at = NULL;

              for (q = host; q < end && *q != '/' && *q != '?' && *q != '#'; q++)
                if (*q == '@')
                  at = q;
              if (at)
                {
                  /* never keep "user:password@" */
                  append_escaped (out, span_make (p, (size_t) (host - p)));
                  append_escaped (out, span_make (at + 1, (size_t) (q - at - 1)));
                  return;
                }
              s = span_make (p, (size_t) (q - p));
            }
        }
      break;
    case LN_AGG__COUNT:
    default:
      break;
    }
  append_escaped (out, s);
}

static Row *
find_or_add (LnAgg *agg, const char *key)
{
  Row *row = g_hash_table_lookup (agg->rows, key);

  if (row == NULL)
    {
      row = g_new0 (Row, 1);
      row->key = g_strdup (key);
      hll_init (&row->hll);
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

void
agg_add (LnAgg *agg, const LnRecord *rec, gboolean has_visitor, uint64_t visitor)
{
  GString *k = agg->scratch;
  Row *row;
  size_t i;

  g_string_truncate (k, 0);
  for (i = 0; i < agg->cfg.nkeys; i++)
    {
      if (i)
        g_string_append_c (k, SEP);
      append_value (agg, agg->cfg.keys[i], rec, k);
    }
  row = find_or_add (agg, k->str);
  row->requests++;
  row->bytes += bytes_of (rec);
  if (has_visitor)
    hll_add (&row->hll, visitor);
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
    }
}

/* ------------------------------------------------------------- partials */

/* Every partial line carries its schema in its last column: the keys, the
 * path depth, the sketch precision and a digest of the sketch key.  There
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
  g_string_append_printf (out, ";path_depth=%u;precision=%d;sketch=%s",
                          agg->cfg.path_depth, LN_HLL_P, agg->key_id);
}

/* Adopts (first line) or checks (later lines) the schema @text. */
static gboolean
merge_schema (LnAgg *agg, const char *text, const char *where, GError **error)
{
  g_auto (GStrv) words = NULL;
  LnAggConfig cfg = agg->cfg;
  const char *key_id = NULL;
  gboolean precision_ok = FALSE;
  size_t i;

  if (agg->schema && strcmp (agg->schema, text) == 0)
    return TRUE;
  words = g_strsplit (text, ";", -1);
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
      else if (g_str_has_prefix (words[i], "sketch="))
        key_id = words[i] + 7;
    }
  if (key_id == NULL || cfg.nkeys == 0 || !precision_ok)
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
      Row *row;

      if (line.len == 0)
        continue;
      parts = g_strsplit (text, "\t", 6);
      if (g_strv_length (parts) != 5
          || !g_ascii_string_to_unsigned (parts[1], 10, 0, G_MAXUINT64, &requests, NULL)
          || !g_ascii_string_to_unsigned (parts[2], 10, 0, G_MAXUINT64, &bytes, NULL)
          || !hll_deserialize (&hll, parts[3]))
        {
          g_set_error (error, LN_ERROR, LN_ERROR_MALFORMED,
                       _("%s:%" PRIu64 ": not a lognym partial line"), reader_name (reader),
                       (uint64_t) reader_line_number (reader));
          return FALSE;
        }
      if (!agg->schema || strcmp (agg->schema, parts[4]) != 0)
        {
          g_autofree char *where = g_strdup_printf ("%s:%" PRIu64, reader_name (reader),
                                                    (uint64_t) reader_line_number (reader));

          if (!merge_schema (agg, parts[4], where, error))
            {
              hll_clear (&hll);
              return FALSE;
            }
        }
      row = find_or_add (agg, parts[0]);
      row->requests += requests;
      row->bytes += bytes;
      hll_merge (&row->hll, &hll);
      hll_clear (&hll);
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

static void
write_partial (LnAgg *agg, LnBuf *out)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new ();
  g_autoptr (GString) schema = g_string_new (NULL);
  g_autoptr (GString) line = g_string_new (NULL);
  GHashTableIter it;
  gpointer value;
  guint i;

  schema_text (agg, schema);
  g_hash_table_iter_init (&it, agg->rows);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_ptr_array_add (rows, value);
  g_ptr_array_sort_with_data (rows, compare_rows, GINT_TO_POINTER (-1));
  for (i = 0; i < rows->len; i++)
    {
      const Row *row = rows->pdata[i];

      g_string_truncate (line, 0);
      g_string_append_printf (line, "%s\t%" PRIu64 "\t%" PRIu64 "\t", row->key,
                              (uint64_t) row->requests, (uint64_t) row->bytes);
      hll_serialize (&row->hll, line);
      g_string_append_c (line, '\t');
      g_string_append_len (line, schema->str, (gssize) schema->len);
      g_string_append_c (line, '\n');
      buf_append (out, line->str, line->len);
    }
}

void
agg_write (LnAgg *agg, LnBuf *out)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new ();
  g_autoptr (GHashTable) others = NULL;
  g_autoptr (GString) k = g_string_new (NULL);
  int t = time_part_index (agg);
  GHashTableIter it;
  gpointer value;
  guint i;
  size_t j;

  if (agg->cfg.partial)
    {
      write_partial (agg, out);
      return;
    }
  /* fold rows about too few people into one (other) row per time bucket */
  others = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, row_free);
  g_hash_table_iter_init (&it, agg->rows);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Row *row = value;
      double v = hll_estimate (&row->hll);

      row->visitors = v;
      if ((agg->cfg.min_visitors <= 1 || (guint64) llround (v) >= agg->cfg.min_visitors)
          && row->requests >= agg->cfg.min_requests)
        {
          g_ptr_array_add (rows, row);
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
            g_hash_table_insert (others, other->key, other);
          }
        other->requests += row->requests;
        other->bytes += row->bytes;
        hll_merge (&other->hll, &row->hll);
      }
    }
  g_hash_table_iter_init (&it, others);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Row *other = value;

      other->visitors = hll_estimate (&other->hll);
      g_ptr_array_add (rows, other);
    }
  g_ptr_array_sort_with_data (rows, compare_rows, GINT_TO_POINTER (t));

  if (!agg->cfg.jsonl)
    {
      for (j = 0; j < agg->cfg.nkeys; j++)
        {
          buf_append (out, key_names[agg->cfg.keys[j]], strlen (key_names[agg->cfg.keys[j]]));
          buf_append_c (out, ',');
        }
      buf_append (out, "requests,bytes,visitors\r\n", 25);
    }
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
      buf_append (out, agg->cfg.jsonl ? "}\n" : "\r\n", 2);
    }
}

guint64
agg_row_count (const LnAgg *agg)
{
  return g_hash_table_size (agg->rows);
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

      total += sizeof *row + strlen (row->key) + 1 + hll_memory (&row->hll) + 32;
    }
  return total;
}
