/* test_writers.c - the csv and jsonl writers' fast paths against their
 * references, on many records of random bytes.
 *
 * The writers copy each value while checking it for a byte that needs
 * quoting (CSV) or escaping (JSON) and send only such values down the
 * general path.  Here every row they write is compared with one built the
 * slow way: each value from column_value(), every CSV string through
 * libcsv's csv_write (the reference for the quoting rules), every JSON
 * string through a byte loop that validates UTF-8 with GLib.  The values
 * mix plain text with quotes, commas, CR, LF, control bytes, DEL,
 * backslashes, valid and invalid UTF-8, "-" and numbers with and without
 * leading zeros, at every length around the 8- and 16-byte steps of the
 * copies; each value sits in an allocation of its own exact size, so a
 * read past its end shows under ASan.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>

#ifdef HAVE_CSV_H
#include <csv.h>
#else
#include <libcsv/csv.h>
#endif
#include "bytescan.h"
#include "columns.h"
#include "helpers.h"
#include "writer.h"

/* The bytes a value is made of: plain ones most often, as in a log. */
static const char *const pieces[] = {
  "a", "b", "Z", "/", "0", "1", "9", " ", "-", ".", "?", "=", "&",
  "\"", ",", "\r", "\n", "\t", "\x01", "\x1f", "\x7f", "\\", "'",
  "\xc3\xa9",                   /* é */
  "\xe2\x82\xac",               /* € */
  "\xf0\x9f\x98\x80",           /* U+1F600 */
  "\xc3",                       /* a lead byte alone */
  "\x80", "\xff", "\xc0\xaf",   /* a stray continuation, 0xff, an overlong */
  "\xed\xa0\x80",               /* a surrogate */
  "\xf4\x90\x80\x80",           /* above U+10FFFF */
};

typedef struct {
  GRand *rand;
  GPtrArray *texts;             /* every value's own allocation */
} Gen;

static LnSpan
gen_text (Gen *g, size_t len, gboolean plain)
{
  GString *s = g_string_new (NULL);
  char *copy;

  while (s->len < len)
    {
      guint32 r = g_rand_int_range (g->rand, 0, 100);

      if (plain || r < 70)
        g_string_append_c (s, "abcdefghij/.-_0123456789"[r % 24]);
      else
        g_string_append (s, pieces[g_rand_int_range (g->rand, 0, N_ELEMS (pieces))]);
    }
  /* exactly its length: nothing after the value may be read */
  copy = g_malloc (s->len ? s->len : 1);
  memcpy (copy, s->str, s->len);
  g_ptr_array_add (g->texts, copy);
  len = s->len;
  g_string_free (s, TRUE);
  return span_make (copy, len);
}

/* A value for a field: mostly plain, sometimes special, "-", empty or a
 * number, at lengths that cross the copies' steps. */
static LnSpan
gen_value (Gen *g)
{
  static const char *const fixed[] = { "-", "", "0", "00", "007", "200", "404", "1234567",
                                       "12345678", "123456789", "18446744073709551616",
                                       "1.5", "-1", "12a", "GET / HTTP/1.1", "GET",
                                       "/only?", "?", "HTTP/1.1" };
  guint32 r = g_rand_int_range (g->rand, 0, 100);

  if (r < 15)
    {
      const char *f = fixed[g_rand_int_range (g->rand, 0, N_ELEMS (fixed))];
      char *copy = g_malloc (MAX (strlen (f), 1));

      memcpy (copy, f, strlen (f));
      g_ptr_array_add (g->texts, copy);
      return span_make (copy, strlen (f));
    }
  return gen_text (g, (size_t) g_rand_int_range (g->rand, 0, 70), r < 40);
}

static const LnFieldType field_types[] = {
  LN_FIELD_CLIENT, LN_FIELD_USER, LN_FIELD_REQUEST, LN_FIELD_STATUS, LN_FIELD_BYTES,
  LN_FIELD_REFERER, LN_FIELD_USER_AGENT, LN_FIELD_VHOST, LN_FIELD_PORT,
  LN_FIELD_DURATION_US, LN_FIELD_DURATION_MS, LN_FIELD_DURATION_S,
};

/* A record with some of the fields, in a random order, and a random time
 * and country. */
static void
gen_record (Gen *g, LnRecord *rec)
{
  size_t i;

  memset (rec, 0, sizeof *rec);
  memset (rec->first, -1, sizeof rec->first);
  for (i = 0; i < N_ELEMS (field_types); i++)
    {
      LnField *f;

      if (g_rand_int_range (g->rand, 0, 8) == 0)
        continue;               /* not in this format */
      f = &rec->fields[rec->nfields];
      f->type = field_types[i];
      f->out = f->raw = gen_value (g);
      if (rec->first[f->type] < 0)
        rec->first[f->type] = (int8_t) rec->nfields;
      rec->nfields++;
    }
  rec->has_time = g_rand_int_range (g->rand, 0, 10) != 0;
  /* mostly the same few seconds, as in a log, sometimes far away */
  rec->time.epoch = g_rand_int_range (g->rand, 0, 4) == 0
                      ? (int64_t) g_rand_double_range (g->rand, -1e11, 3e11)
                      : 1764000000 + g_rand_int_range (g->rand, 0, 3);
  if (g_rand_int_range (g->rand, 0, 2))
    memcpy (rec->country, "DE", 3);
}

/* ------------------------------------------------------------ references */

static void
csv_reference (GString *s, const LnRecord *rec, const LnColumn *cols, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      char scratch[LN_COLUMN_SCRATCH];
      LnValue v = column_value (rec, cols[i], scratch);

      if (i)
        g_string_append_c (s, ',');
      if (v.kind == LN_VALUE_NUMBER)
        g_string_append_len (s, v.text.p, (gssize) v.text.len);
      else if (v.kind == LN_VALUE_STRING)
        {
          char *tmp = g_malloc (2 * v.text.len + 2);
          size_t len = csv_write (tmp, 2 * v.text.len + 2, v.text.p, v.text.len);

          g_string_append_len (s, tmp, (gssize) len);
          g_free (tmp);
        }
    }
  g_string_append (s, "\r\n");
}

/* A JSON string the slow way: GLib decides what is valid UTF-8. */
static void
json_reference_string (GString *s, LnSpan t)
{
  size_t i = 0;

  g_string_append_c (s, '"');
  while (i < t.len)
    {
      unsigned char c = (unsigned char) t.p[i];

      if (c >= 0x80)
        {
          gunichar u = g_utf8_get_char_validated (t.p + i, (gssize) (t.len - i));

          if (u != (gunichar) -1 && u != (gunichar) -2)
            {
              size_t n = (size_t) (g_utf8_next_char (t.p + i) - (t.p + i));

              g_string_append_len (s, t.p + i, (gssize) n);
              i += n;
            }
          else
            {
              g_string_append_printf (s, "\\udc%02x", c);
              i++;
            }
          continue;
        }
      if (c == '"' || c == '\\')
        g_string_append_printf (s, "\\%c", c);
      else if (c < 0x20)
        g_string_append_printf (s, "\\u%04x", c);
      else
        g_string_append_c (s, (char) c);
      i++;
    }
  g_string_append_c (s, '"');
}

static void
jsonl_reference (GString *s, const LnRecord *rec, const LnColumn *cols, size_t n)
{
  size_t i;

  g_string_append_c (s, '{');
  for (i = 0; i < n; i++)
    {
      char scratch[LN_COLUMN_SCRATCH];
      LnValue v = column_value (rec, cols[i], scratch);

      g_string_append_printf (s, "%s\"%s\":", i ? "," : "", column_name (cols[i]));
      if (v.kind == LN_VALUE_NUMBER)
        g_string_append_len (s, v.text.p, (gssize) v.text.len);
      else if (v.kind == LN_VALUE_STRING)
        json_reference_string (s, v.text);
      else
        g_string_append (s, "null");
    }
  g_string_append (s, "}\n");
}

/* ------------------------------------------------------------------ tests */

typedef void (*Reference) (GString *, const LnRecord *, const LnColumn *, size_t);

/* Writes many random records with @ops, each column once (in a random
 * order) or the defaults, and compares every row with @reference. */
static void
compare_rows (const LnWriterOps *ops, Reference reference)
{
  Gen g = { g_rand_new_with_seed (7), g_ptr_array_new_with_free_func (g_free) };
  LnWriter *w = g_new0 (LnWriter, 1);
  LnRecord *rec = g_new0 (LnRecord, 1);
  GString *want = g_string_new (NULL);
  LnBuf out;
  unsigned round, k;

  buf_init (&out, 64);
  w->ops = ops;
  for (round = 0; round < 4; round++)
    {
      /* a new writer state for each column list, as for a run */
      memset (&w->column_cache, 0, sizeof w->column_cache);
      if (round == 0)
        w->ncolumns = columns_parse (LN_COLUMNS_DEFAULT, w->columns, LN_MAX_COLUMNS, NULL);
      else
        {
          size_t c;

          /* every column, shuffled; the last round twice over */
          w->ncolumns = 0;
          for (c = 0; c < (round == 3 ? 2u : 1u) * LN_COL__COUNT; c++)
            w->columns[w->ncolumns++] = (LnColumn) (c % LN_COL__COUNT);
          for (c = w->ncolumns; c > 1; c--)
            {
              size_t j = (size_t) g_rand_int_range (g.rand, 0, (gint32) c);
              LnColumn t = w->columns[c - 1];

              w->columns[c - 1] = w->columns[j];
              w->columns[j] = t;
            }
        }
      cr_assert (w->ncolumns > 0);
      for (k = 0; k < 5000; k++)
        {
          gen_record (&g, rec);
          buf_reset (&out);
          /* a row after some other bytes, where the buffer may be full */
          buf_append (&out, "xx", k % 3);
          ops->write_record (w, rec, &out);
          g_string_truncate (want, 0);
          g_string_append_len (want, "xx", (gssize) (k % 3));
          reference (want, rec, w->columns, w->ncolumns);
          cr_assert (out.len == want->len && memcmp (out.data, want->str, want->len) == 0,
                     "%s, round %u, record %u:\n got  %.*s\n want %s", ops->name, round, k,
                     (int) out.len, out.data, want->str);
          g_ptr_array_set_size (g.texts, 0);
        }
    }
  buf_clear (&out);
  g_string_free (want, TRUE);
  g_free (rec);
  g_free (w);
  g_ptr_array_unref (g.texts);
  g_rand_free (g.rand);
}

Test (writers, csv_rows_equal_libcsv)
{
  compare_rows (&writer_csv_ops, csv_reference);
}

Test (writers, jsonl_rows_equal_byte_loop)
{
  compare_rows (&writer_jsonl_ops, jsonl_reference);
}

/* The copy-and-check helpers of bytescan.h: the copy is exact, nothing
 * after the value is read (ASan), and a byte is found at every place of
 * every length. */
Test (writers, copy_find_matches_byte_loops)
{
  static const unsigned char bytes[] = { '"', '\\', 0x00, 0x0a, 0x1f, 0x20, 0x7f, 0x80, 0xff, 'a' };
  char dst[64 + LN_COPY_SLACK];
  size_t len, pos, k;

  for (len = 0; len <= 48; len++)
    for (pos = 0; pos <= len; pos++)
      for (k = 0; k < N_ELEMS (bytes); k++)
        {
          char *src = g_malloc (len ? len : 1);
          unsigned char b = bytes[k];
          int special = b < 0x20 || b >= 0x80 || b == '"' || b == '\\';

          memset (src, 'x', len);
          if (pos < len)
            src[pos] = (char) b;
          cr_assert_eq (copy_find_byte (dst, src, len, '"'), pos < len && b == '"',
                        "copy_find_byte: length %zu, 0x%02x at %zu", len, b, pos);
          cr_assert (memcmp (dst, src, len) == 0, "copy_find_byte: copy of %zu", len);
          cr_assert_eq (copy_find_json_special (dst, src, len), pos < len && special,
                        "copy_find_json_special: length %zu, 0x%02x at %zu", len, b, pos);
          cr_assert (memcmp (dst, src, len) == 0, "copy_find_json_special: copy of %zu", len);
          g_free (src);
        }
}

/* columns_row keeps a plan per column list in its cache: another list
 * used with the same cache gets its own plan, not the last one. */
Test (writers, plan_follows_the_column_list)
{
  Gen g = { g_rand_new_with_seed (11), g_ptr_array_new_with_free_func (g_free) };
  LnColumn forward[LN_COL__COUNT], backward[LN_COL__COUNT - 1];
  LnValue values[LN_COL__COUNT];
  LnColumnCache cache;
  LnRecord *rec = g_new0 (LnRecord, 1);
  size_t c;
  int k;

  memset (&cache, 0, sizeof cache);
  for (c = 0; c < LN_COL__COUNT; c++)
    forward[c] = (LnColumn) c;
  for (c = 0; c < N_ELEMS (backward); c++)
    backward[c] = (LnColumn) (LN_COL__COUNT - 1 - c);
  for (k = 0; k < 200; k++)
    {
      const LnColumn *cols = k % 2 ? backward : forward;
      size_t n = k % 2 ? N_ELEMS (backward) : N_ELEMS (forward);

      gen_record (&g, rec);
      columns_row (rec, cols, n, values, &cache);
      for (c = 0; c < n; c++)
        {
          char scratch[LN_COLUMN_SCRATCH];
          LnValue v = column_value (rec, cols[c], scratch);

          cr_assert_eq (values[c].kind, v.kind, "record %d, %s", k, column_name (cols[c]));
          cr_assert (v.kind == LN_VALUE_NULL || span_eq (values[c].text, v.text),
                     "record %d, %s", k, column_name (cols[c]));
        }
      g_ptr_array_set_size (g.texts, 0);
    }
  g_free (rec);
  g_ptr_array_unref (g.texts);
  g_rand_free (g.rand);
}
