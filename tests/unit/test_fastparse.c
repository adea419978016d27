/* test_fastparse.c - the CLF shortcut of parse.c against the generic parser.
 *
 * parser_parse() takes a shortcut for the Apache CLF family; the op
 * interpreter stays the reference.  Every line of every log in tests/data,
 * generated lines and a few hundred thousand mutations of both are parsed
 * by a parser with the shortcut and by one without it, and the two results
 * must agree in every field: status, error column, spans, types, first[],
 * time, status code.  The shortcut alone is also run on each line, so that
 * a shortcut that took nothing (or everything) cannot pass unnoticed.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>

#include "parse.h"

#define SEED 20261126

/* The formats with a shortcut; NGINX marks an nginx log_format. */
#define NGINX "nginx:"
static const char *const fast_formats[] = {
  "combined",
  "common",
  "vhost_common",
  "vhost_combined",
  "auto",
  "%a %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"",
  "%h %l %u %t \\\"%r\\\" %s %B",
  "%v %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"",
  "%v:%p %h %l %u %t \"%r\" %>s %b",
  NGINX "$remote_addr - $remote_user [$time_local] \"$request\" $status "
  "$body_bytes_sent \"$http_referer\" \"$http_user_agent\"",
  NGINX "$remote_addr - $remote_user [$time_local] \"$request\" $status $bytes_sent",
};

typedef struct {
  const char *format;
  LnParser fast;
  LnParser generic;
  LnRecord a, b, c;
  guint64 lines, taken, left, ok;
} Pair;

static Pair pairs[G_N_ELEMENTS (fast_formats)];
static GRand *rng;
static GPtrArray *corpus;      /* GByteArray per line, no terminator */

static void
setup (void)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (fast_formats); i++)
    {
      GError *error = NULL;

      pairs[i].format = fast_formats[i];
      if (g_str_has_prefix (fast_formats[i], NGINX))
        {
          const char *body = fast_formats[i] + strlen (NGINX);

          cr_assert (parser_init_nginx (&pairs[i].fast, body, &error), "%s",
                     error ? error->message : "?");
          cr_assert (parser_init_nginx (&pairs[i].generic, body, &error), "%s",
                     error ? error->message : "?");
        }
      else
        {
          cr_assert (parser_init (&pairs[i].fast, fast_formats[i], &error), "%s",
                     error ? error->message : "?");
          cr_assert (parser_init (&pairs[i].generic, fast_formats[i], &error), "%s",
                     error ? error->message : "?");
        }
      parser_set_generic_only (&pairs[i].generic);
      pairs[i].lines = pairs[i].taken = pairs[i].left = pairs[i].ok = 0;
    }
  rng = g_rand_new_with_seed (SEED);
  corpus = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
}

static void
teardown (void)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      parser_clear (&pairs[i].fast);
      parser_clear (&pairs[i].generic);
    }
  g_rand_free (rng);
  g_ptr_array_unref (corpus);
}

TestSuite (fastparse, .init = setup, .fini = teardown);

static unsigned char
bool_byte (const bool *b)
{
  unsigned char c;

  memcpy (&c, b, 1);
  return c;
}

/* The two records of one line agree in everything a caller may read. */
static void
expect_same (const char *format, const char *what, LnSpan line,
             LnParseStatus sa, size_t ca, const LnRecord *a,
             LnParseStatus sb, size_t cb, const LnRecord *b)
{
  size_t i;
  int t;
  int n = (int) MIN (line.len, 300);

  cr_assert_eq (sa, sb, "%s [%s]: status %d != %d for \"%.*s\"", format, what,
                (int) sa, (int) sb, n, line.p);
  cr_assert_eq (ca, cb, "%s [%s]: column %zu != %zu for \"%.*s\"", format, what,
                ca, cb, n, line.p);
  cr_assert_eq (a->nfields, b->nfields, "%s [%s]: %zu fields != %zu for \"%.*s\"",
                format, what, a->nfields, b->nfields, n, line.p);
  cr_assert (a->line.p == b->line.p && a->line.len == b->line.len);
  for (t = 0; t < LN_FIELD__COUNT; t++)
    cr_assert_eq (a->first[t], b->first[t], "%s [%s]: first[%d] %d != %d for \"%.*s\"",
                  format, what, t, a->first[t], b->first[t], n, line.p);
  for (i = 0; i < a->nfields; i++)
    {
      const LnField *fa = &a->fields[i], *fb = &b->fields[i];

      cr_assert (fa->type == fb->type && fa->raw.p == fb->raw.p
                 && fa->raw.len == fb->raw.len && fa->out.p == fb->out.p
                 && fa->out.len == fb->out.len && fa->in_arena == fb->in_arena,
                 "%s [%s]: field %zu differs (type %d/%d, raw \"%.*s\"/\"%.*s\") for \"%.*s\"",
                 format, what, i, (int) fa->type, (int) fb->type, (int) fa->raw.len,
                 fa->raw.p, (int) fb->raw.len, fb->raw.p, n, line.p);
    }
  /* bytes, not bools: the records start as 0x5a bytes, and has_time
   * stays untouched when a line is rejected before its time */
  cr_assert_eq (bool_byte (&a->has_time), bool_byte (&b->has_time),
                "%s [%s]: has_time for \"%.*s\"", format, what, n, line.p);
  if (bool_byte (&a->has_time) == 1)
    cr_assert (a->time.epoch == b->time.epoch && a->time.utc_offset == b->time.utc_offset,
               "%s [%s]: time %lld%+d != %lld%+d for \"%.*s\"", format, what,
               (long long) a->time.epoch, (int) a->time.utc_offset,
               (long long) b->time.epoch, (int) b->time.utc_offset, n, line.p);
  cr_assert_eq (a->status, b->status, "%s [%s]: status code %d != %d for \"%.*s\"",
                format, what, a->status, b->status, n, line.p);
  if (sa == LN_PARSE_OK)
    cr_assert_eq (a->format_index, b->format_index, "%s [%s]: format %d != %d", format,
                  what, a->format_index, b->format_index);
}

/* Parses the @len bytes at @text with every pair, on an exact-size heap
 * copy so that AddressSanitizer sees a read past the line. */
static void
check_line (const char *text, size_t len)
{
  char *copy = g_malloc (len ? len : 1);
  LnSpan line;
  size_t i;

  if (len)
    memcpy (copy, text, len);
  line = span_make (copy, len);
  for (i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      Pair *p = &pairs[i];
      size_t ca = 7, cb = 9;
      LnParseStatus sa, sb;

      memset (&p->a, 0x5a, sizeof p->a);
      memset (&p->b, 0x5a, sizeof p->b);
      sa = parser_parse (&p->fast, line, &p->a, &ca);
      sb = parser_parse (&p->generic, line, &p->b, &cb);
      expect_same (p->format, "parse", line, sa, ca, &p->a, sb, cb, &p->b);
      p->lines++;
      if (sb == LN_PARSE_OK)
        {
          /* both parsers ask the same time cache: check its answer */
          LnSpan stamp = p->b.fields[p->b.first[LN_FIELD_TIME]].raw;
          LnTime t;

          p->ok++;
          cr_assert (p->b.has_time && clftime_parse (stamp, &t)
                     && t.epoch == p->b.time.epoch && t.utc_offset == p->b.time.utc_offset,
                     "%s: the cached time of \"%.*s\" is wrong", p->format,
                     (int) stamp.len, stamp.p);
        }

      /* the shortcut by itself: what it takes, the generic parser parses
       * the same way (auto: the candidate that matched, or the first) */
      memset (&p->c, 0x5a, sizeof p->c);
      if (parser_parse_shortcut (&p->fast, sb == LN_PARSE_OK ? (size_t) p->b.format_index : 0,
                                 line, &p->c))
        {
          p->taken++;
          expect_same (p->format, "shortcut", line, LN_PARSE_OK, 0, &p->c, sb, cb, &p->b);
        }
      else
        p->left++;
    }
  g_free (copy);
}

/* Every line of @path, without "\n" or "\r\n" as the reader hands it out. */
static void
load_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize size;
  const char *p, *end;
  GError *error = NULL;

  cr_assert (g_file_get_contents (path, &data, &size, &error), "%s: %s", path,
             error ? error->message : "?");
  for (p = data, end = data + size; p < end;)
    {
      const char *nl = memchr (p, '\n', (size_t) (end - p));
      const char *e = nl ? nl : end;
      GByteArray *a;

      if (nl && e > p && e[-1] == '\r')
        e--;
      a = g_byte_array_new ();
      g_byte_array_append (a, (const guint8 *) p, (guint) (e - p));
      g_ptr_array_add (corpus, a);
      p = nl ? nl + 1 : end;
    }
}

static void
load_corpus (void)
{
  static const char *const dirs[] = { "data/in", "data/thirdparty", "data/in-agg",
                                      "data/in-geo" };
  const char *srcdir = g_getenv ("TESTS_SRCDIR");
  g_autofree char *forms = NULL;
  size_t i;

  cr_assert_not_null (srcdir, "TESTS_SRCDIR is not set");
  for (i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *dir = g_build_filename (srcdir, dirs[i], NULL);
      GDir *d = g_dir_open (dir, 0, NULL);
      const char *name;

      cr_assert_not_null (d, "cannot open %s", dir);
      while ((name = g_dir_read_name (d)) != NULL)
        if (g_str_has_suffix (name, ".log"))
          {
            g_autofree char *path = g_build_filename (dir, name, NULL);

            load_file (path);
          }
      g_dir_close (d);
    }
  forms = g_build_filename (srcdir, "data/residual/forms.log", NULL);
  load_file (forms);
  cr_assert_gt (corpus->len, 5000, "only %u lines in tests/data", corpus->len);
}

/* Mostly one of the first @good choices (plain values), else any. */
static const char *
pick (const char *const *choices, size_t n, size_t good)
{
  if (g_rand_int_range (rng, 0, 8) != 0)
    n = good;
  return choices[g_rand_int_range (rng, 0, (gint32) n)];
}

#define PICK(a, good) pick ((a), G_N_ELEMENTS (a), (good))

/* A line of the CLF family, mostly well formed, with the odd values the
 * shortcut has to leave to the generic parser mixed in. */
static void
generate_line (GString *s)
{
  static const char *const vhosts[] = {
    "", "", "", "www.example.org ", "www.example.org:80 ", "example.net:8443 ",
    "[2001:db8::1] ", "a, ", "host:x ", ":80 ", "h:123456789012345678901 ",
  };
  static const char *const clients[] = {
    "192.0.2.7", "2001:db8::42", "host.example.com", "203.0.113.255", "::1",
    "192.0.2.7:4711", "10.0.0.2, 192.0.2.9", "a,", "-",
  };
  static const char *const idents[] = { "-", "-", "ident", "x y", "" };
  static const char *const users[] = { "-", "-", "frank", "a\\\"b", "Ädmin", "" };
  static const char *const months[] = { "Jan", "Feb", "Oct", "Dec", "oct", "Foo" };
  static const char *const zones[] = { "+0000", "-0700", "+0530", "+2400", "0000" };
  static const char *const requests[] = {
    "GET / HTTP/1.1", "GET /a?b=c&d=e HTTP/2.0", "", "-", "GET /x\\\"y HTTP/1.0",
    "GET /\\\\ HTTP/1.0", "POST /\xc3\xa4 HTTP/1.1", "GET \"quoted\" HTTP/1.1",
    "\\x16\\x03\\x01",
  };
  static const char *const statuses[] = { "200", "404", "301", "-", "20", "2000", "99x" };
  static const char *const bytes[] = {
    "0", "1234", "-", "12345678901234567890", "", "123456789012345678901", "1.5", "--",
  };
  static const char *const referers[] = {
    "-", "https://www.example.org/", "", "http://a/\\\"", "x\"y",
  };
  static const char *const agents[] = {
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36",
    "-", "", "curl/8.0", "a\\\\", "a\\\"b",
  };
  static const char *const trailers[] = {
    "", "", "", "", " \"10.0.0.1\"", " 0.123", " -", " ", "\r",
  };
  int combined = g_rand_boolean (rng) || g_rand_boolean (rng);

  g_string_truncate (s, 0);
  g_string_append (s, PICK (vhosts, 6));
  g_string_append (s, PICK (clients, 6));
  g_string_append_c (s, ' ');
  g_string_append (s, PICK (idents, 3));
  g_string_append_c (s, ' ');
  g_string_append (s, PICK (users, 3));
  g_string_append_printf (s, " [%02d/%s/%04d:%02d:%02d:%02d %s] \"",
                          g_rand_int_range (rng, 0, 32), PICK (months, 4),
                          g_rand_boolean (rng) ? 2026 : g_rand_int_range (rng, 1900, 2101),
                          g_rand_int_range (rng, 0, 25), g_rand_int_range (rng, 0, 61),
                          g_rand_int_range (rng, 0, 62), PICK (zones, 3));
  g_string_append (s, PICK (requests, 4));
  g_string_append (s, "\" ");
  g_string_append (s, PICK (statuses, 3));
  g_string_append_c (s, ' ');
  g_string_append (s, PICK (bytes, 4));
  if (combined)
    {
      g_string_append (s, " \"");
      g_string_append (s, PICK (referers, 3));
      g_string_append (s, "\" \"");
      g_string_append (s, PICK (agents, 4));
      g_string_append_c (s, '"');
      g_string_append (s, PICK (trailers, 4));
    }
}

/* A byte that matters to one of the parsers, or any byte. */
static char
interesting_byte (void)
{
  static const char bytes[] = " \"\\-,:[]0123456789\r\t\x7f\x80\xff";

  if (g_rand_int_range (rng, 0, 4) == 0)
    return (char) g_rand_int_range (rng, 0, 256);
  if (g_rand_int_range (rng, 0, 8) == 0)
    return '\0';
  return bytes[g_rand_int_range (rng, 0, (gint32) sizeof bytes - 1)];
}

/* One to three random edits of @s. */
static void
mutate (GString *s)
{
  int edits = g_rand_int_range (rng, 1, 4);

  while (edits-- > 0)
    {
      gsize pos = s->len ? (gsize) g_rand_int_range (rng, 0, (gint32) s->len + 1) : 0;
      int kind = g_rand_int_range (rng, 0, 9);

      switch (kind)
        {
        case 0: /* replace a byte */
          if (pos < s->len)
            s->str[pos] = interesting_byte ();
          break;
        case 1: /* insert a byte */
        case 2:
          {
            char c = interesting_byte ();

            g_string_insert_len (s, (gssize) pos, &c, 1);
          }
          break;
        case 3: /* delete a byte */
          if (pos < s->len)
            g_string_erase (s, (gssize) pos, 1);
          break;
        case 4: /* truncate */
          g_string_truncate (s, pos);
          break;
        case 5: /* double a space or a quote */
          {
            const char *c = s->len ? memchr (s->str + pos, g_rand_boolean (rng) ? ' ' : '"',
                                             s->len - pos) : NULL;

            if (c)
              g_string_insert_c (s, c - s->str, *c);
          }
          break;
        case 6: /* a CR left over from CRLF, or one more trailing byte */
          g_string_append_c (s, g_rand_boolean (rng) ? '\r' : interesting_byte ());
          break;
        case 7: /* a very long run of one byte */
          {
            static const char fill[] = "a0 \"-";
            gsize n = (gsize) g_rand_int_range (rng, 1, 3000);
            char c = fill[g_rand_int_range (rng, 0, (gint32) sizeof fill - 1)];
            char *run = g_malloc (n);

            memset (run, c, n);
            g_string_insert_len (s, (gssize) pos, run, (gssize) n);
            g_free (run);
          }
          break;
        default: /* a digit, where numbers and times are */
          if (pos < s->len)
            s->str[pos] = (char) ('0' + g_rand_int_range (rng, 0, 10));
          break;
        }
    }
}

/* The shortcut took lines of every format and left others, and at least
 * @min_taken lines in all: a shortcut that never runs would pass the
 * comparison. */
static void
check_counts (guint64 min_taken, guint64 min_left)
{
  guint64 taken = 0, left = 0;
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      cr_log_info ("%s: %llu lines, %llu parsed, %llu by the shortcut", pairs[i].format,
                   (unsigned long long) pairs[i].lines, (unsigned long long) pairs[i].ok,
                   (unsigned long long) pairs[i].taken);
      cr_assert_gt (pairs[i].taken, 0, "%s: the shortcut took no line", pairs[i].format);
      cr_assert_gt (pairs[i].left, 0, "%s: the shortcut took every line", pairs[i].format);
      taken += pairs[i].taken;
      left += pairs[i].left;
    }
  cr_assert_geq (taken, min_taken, "the shortcut took only %llu lines",
                 (unsigned long long) taken);
  cr_assert_geq (left, min_left, "the shortcut left only %llu lines",
                 (unsigned long long) left);
}

/* The formats that must get the shortcut do; near relatives do not. */
Test (fastparse, recognised_from_the_ops)
{
  static const char *const others[] = {
    "%h %l %u %t \"%r\" %>s %b %D",
    "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\"",
    "%h %l %u %t \"%r\" %>s %D",
    "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" %D",
    "%h %l %u %{%d/%b/%Y:%H:%M:%S %z}t \"%r\" %>s %b",
    "%h %l %u [%t] \"%r\" %>s %b",
    "%h %l %u %t %r %>s %b",
    "%h  %l %u %t \"%r\" %>s %b",
    "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" ",
    "%h %q %u %t \"%r\" %>s %b",
    "%{c}a %l %u %t \"%r\" \"%>s\" %b",
    "x%h %l %u %t \"%r\" %>s %b",
  };
  size_t i, k;

  for (i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      for (k = 0; k < pairs[i].fast.nformats; k++)
        cr_assert_neq (pairs[i].fast.fast[k], 0, "%s: candidate %zu has no shortcut",
                       pairs[i].format, k);
      for (k = 0; k < G_N_ELEMENTS (pairs[i].generic.fast); k++)
        cr_assert_eq (pairs[i].generic.fast[k], 0);
    }
  for (i = 0; i < G_N_ELEMENTS (others); i++)
    {
      LnParser parser;
      GError *error = NULL;

      cr_assert (parser_init (&parser, others[i], &error), "%s: %s", others[i],
                 error ? error->message : "?");
      cr_assert_eq (parser.fast[0], 0, "%s: has a shortcut", others[i]);
      parser_clear (&parser);
    }
  {
    LnParser parser;
    GError *error = NULL;

    static const char *const nginx_others[] = {
      "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
      "\"$http_referer\" \"$http_user_agent\" $request_time",
      "$remote_addr $remote_user [$time_local] \"$request\" $status $body_bytes_sent",
      "$remote_addr - $remote_user [$time_iso8601] \"$request\" $status $body_bytes_sent",
      "$host $remote_addr - $remote_user [$time_local] \"$request\" $status $bytes_sent",
    };

    for (i = 0; i < G_N_ELEMENTS (nginx_others); i++)
      {
        cr_assert (parser_init_nginx (&parser, nginx_others[i], &error), "%s: %s",
                   nginx_others[i], error ? error->message : "?");
        cr_assert_eq (parser.fast[0], 0, "%s: has a shortcut", nginx_others[i]);
        parser_clear (&parser);
      }
  }
}

/* Every line of tests/data as it is, and mutated. */
Test (fastparse, same_as_generic_on_test_data, .timeout = 600)
{
  GString *s = g_string_new (NULL);
  guint i;
  int k;

  load_corpus ();
  for (i = 0; i < corpus->len; i++)
    {
      GByteArray *a = g_ptr_array_index (corpus, i);

      check_line ((const char *) a->data, a->len);
    }
  check_counts (5000, 20000);
  for (i = 0; i < corpus->len; i++)
    {
      GByteArray *a = g_ptr_array_index (corpus, i);

      for (k = 0; k < 30; k++)
        {
          g_string_truncate (s, 0);
          g_string_append_len (s, (const char *) a->data, (gssize) a->len);
          mutate (s);
          check_line (s->str, s->len);
        }
    }
  check_counts (50000, 500000);
  g_string_free (s, TRUE);
}

/* Generated lines of every member of the family, and their mutations. */
Test (fastparse, same_as_generic_on_generated_lines, .timeout = 600)
{
  GString *s = g_string_new (NULL);
  int i, k;

  for (i = 0; i < 4000; i++)
    {
      generate_line (s);
      check_line (s->str, s->len);
      for (k = 0; k < 30; k++)
        {
          GString *m = g_string_new_len (s->str, (gssize) s->len);

          mutate (m);
          check_line (m->str, m->len);
          g_string_free (m, TRUE);
        }
    }
  check_counts (20000, 500000);
  g_string_free (s, TRUE);
}

/* The time cache is shared by the shortcut and the generic path: a line
 * the shortcut leaves after reading its time, then lines of the same and
 * of the next second, parse as without the shortcut. */
Test (fastparse, time_cache_shared_with_generic_path)
{
  static const char *const lines[] = {
    "192.0.2.7 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"a\\\"b\"",
    "192.0.2.7 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"ab\"",
    "192.0.2.7 - - [10/Oct/2000:13:55:37 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"ab\"",
    "192.0.2.7 - - [10/Oct/2000:13:55:37 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"ab\" x",
    "192.0.2.7 - - [10/Oct/2000:24:55:37 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"ab\"",
    "192.0.2.7 - - [11/Oct/2000:00:00:00 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"ab\"",
    "192.0.2.7 - - [11/Oct/2000:00:00:00 +0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"ab\"",
    "192.0.2.7 - - [31/Feb/2000:00:00:00 +0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"ab\"",
  };
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (lines); i++)
    check_line (lines[i], strlen (lines[i]));
  cr_assert_gt (pairs[0].taken, 3);
  cr_assert_gt (pairs[0].left, 2);
}
