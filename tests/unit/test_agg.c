/* test_agg.c - aggregates: the key list, the value of every key, the sums,
 * small-cell suppression, the output forms, partials and their merge.
 *
 * Records come from real log lines through the parser and the anonymiser
 * (as the pipeline does), with a fixed visitor key, so the visitor digests
 * are the ones lognym computes.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "anon.h"
#include "buf.h"
#include "errors.h"
#include "helpers.h"
#include "parse.h"
#include "reader.h"

#define SKETCH_ID "0123456789abcdef"

static const uint8_t visitor_key[16] = {
  0x6c, 0x6f, 0x67, 0x6e, 0x79, 0x6d, 0x2d, 0x74,
  0x65, 0x73, 0x74, 0x2d, 0x61, 0x67, 0x67, 0x21,
};

/* -------------------------------------------------------------- fixture */

/* Everything a test allocates, freed by the suite's fini even when an
 * assertion ends the test early (no leak reports under AddressSanitizer). */
static struct {
  GPtrArray *aggs;        /* LnAgg * */
  GPtrArray *files;       /* char *: temporary files to remove */
  GPtrArray *strings;     /* char * */
  char *dir;
} fx;

static void
fx_init (void)
{
  GError *error = NULL;

  fx.aggs = g_ptr_array_new_with_free_func ((GDestroyNotify) agg_free);
  fx.files = g_ptr_array_new_with_free_func (g_free);
  fx.strings = g_ptr_array_new_with_free_func (g_free);
  fx.dir = g_dir_make_tmp ("lognym-test-agg.XXXXXX", &error);
  cr_assert_not_null (fx.dir, "%s", error ? error->message : "");
}

static void
fx_fini (void)
{
  guint i;

  for (i = 0; i < fx.files->len; i++)
    g_unlink (fx.files->pdata[i]);
  if (fx.dir)
    g_rmdir (fx.dir);
  g_ptr_array_unref (fx.aggs);
  g_ptr_array_unref (fx.files);
  g_ptr_array_unref (fx.strings);
  g_free (fx.dir);
  memset (&fx, 0, sizeof fx);
}

TestSuite (agg, .init = fx_init, .fini = fx_fini);

static char *
keep (char *s)
{
  g_ptr_array_add (fx.strings, s);
  return s;
}

static LnAggConfig
config (const char *keys, guint64 min_visitors)
{
  LnAggConfig c;
  GError *error = NULL;

  memset (&c, 0, sizeof c);
  c.min_visitors = min_visitors;
  c.min_requests = 1;
  if (keys)
    cr_assert (agg_parse_keys (keys, &c, &error), "%s: %s", keys,
               error ? error->message : "");
  return c;
}

static LnAgg *
new_agg (const LnAggConfig *c)
{
  LnAgg *agg = agg_new (c, SKETCH_ID);

  g_ptr_array_add (fx.aggs, agg);
  return agg;
}

/* Parses every line (each must parse) in @format (an nginx log_format
 * body if @nginx), anonymises it with the visitor key and counts it in
 * @agg, the i-th line with the country @countries[i] if @countries (as a
 * geo database would have set it; "" for none). */
static void
feed_countries (LnAgg *agg, const char *format, gboolean nginx, const char *const *lines,
                const char *const *countries)
{
  LnAnonConfig ac;
  LnParser parser;
  LnRecord rec;
  LnAnon anon;
  LnVisitorKey vkey;
  LnBuf arena;
  GError *error = NULL;
  size_t i;

  memset (&ac, 0, sizeof ac);
  ac.ip_mode = LN_IP_TRUNCATE;
  ac.v4_bits = 24;
  ac.v6_bits = 48;
  ac.residual = LN_RESIDUAL_MASK;
  cr_assert (nginx ? parser_init_nginx (&parser, format, &error)
                   : parser_init (&parser, format, &error), "%s", error ? error->message : "");
  anon_init (&anon, &ac, NULL, NULL);
  visitor_key_init (&vkey, visitor_key, TRUE);
  anon.visitor_key = &vkey;
  buf_init (&arena, 64);
  for (i = 0; lines[i]; i++)
    {
      size_t len = strlen (lines[i]), col = 0;
      char *copy = g_memdup2 (lines[i], len + 1);   /* exact size for ASan */
      LnParseStatus st = parser_parse (&parser, span_make (copy, len), &rec, &col);

      if (st == LN_PARSE_OK)
        st = anon_record (&anon, &rec, &arena);
      if (st == LN_PARSE_OK && countries)
        g_strlcpy (rec.country, countries[i], sizeof rec.country);
      if (st == LN_PARSE_OK)
        agg_add (agg, &rec, rec.has_visitor, rec.visitor);
      g_free (copy);
      if (st != LN_PARSE_OK)
        {
          buf_clear (&arena);
          anon_clear (&anon);
          parser_clear (&parser);
          cr_assert_fail ("test line does not parse (%s, column %zu): %s",
                          parse_status_key (st), col, lines[i]);
        }
    }
  buf_clear (&arena);
  anon_clear (&anon);
  parser_clear (&parser);
}

static void
feed_any (LnAgg *agg, const char *format, gboolean nginx, const char *const *lines)
{
  feed_countries (agg, format, nginx, lines, NULL);
}

static void
feed (LnAgg *agg, const char *format, const char *const *lines)
{
  feed_any (agg, format, FALSE, lines);
}

/* agg_write's text. */
static char *
output (LnAgg *agg)
{
  LnBuf out;
  char *s;

  buf_init (&out, 16);
  agg_write (agg, &out);
  s = g_strndup (out.data, out.len);
  buf_clear (&out);
  return keep (s);
}

/* The aggregate of @lines under @keys, suppressed at @min_visitors. */
static char *
aggregate (const char *keys, guint64 min_visitors, const char *format,
           const char *const *lines)
{
  LnAggConfig c = config (keys, min_visitors);
  LnAgg *agg = new_agg (&c);

  feed (agg, format, lines);
  return output (agg);
}

static void
assert_text (const char *actual, const char *expected)
{
  cr_assert_str_eq (actual, expected, "\nexpected:\n%s\ngot:\n%s", expected, actual);
}

/* A file holding @text in the test's directory. */
static char *
write_file (const char *name, const char *text)
{
  GError *error = NULL;
  char *path = g_build_filename (fx.dir, name, NULL);

  g_ptr_array_add (fx.files, path);
  cr_assert (g_file_set_contents (path, text, -1, &error), "%s", error ? error->message : "");
  return path;
}

/* agg_merge_from on @text as the file @name. */
static gboolean
merge_text (LnAgg *agg, const char *name, const char *text, GError **error)
{
  char *path = write_file (name, text);
  LnReader *reader = reader_open (path, error);
  gboolean ok;

  cr_assert_not_null (reader, "%s", *error ? (*error)->message : "");
  ok = agg_merge_from (agg, reader, error);
  reader_free (reader);
  return ok;
}

/* The sums of the requests and bytes columns of CSV aggregate output (the
 * last three columns are requests, bytes, visitors). */
static void
csv_sums (const char *csv, guint64 *requests, guint64 *bytes, guint *rows)
{
  g_auto (GStrv) lines = g_strsplit (csv, "\r\n", -1);
  size_t i;

  *requests = *bytes = 0;
  *rows = 0;
  for (i = 1; lines[i] && lines[i][0]; i++)
    {
      g_auto (GStrv) cols = g_strsplit (lines[i], ",", -1);
      guint n = g_strv_length (cols);

      cr_assert_geq (n, 4u, "short row: %s", lines[i]);
      *requests += g_ascii_strtoull (cols[n - 3], NULL, 10);
      *bytes += g_ascii_strtoull (cols[n - 2], NULL, 10);
      (*rows)++;
    }
}

#define TS_A "[31/Dec/2023:23:30:00 -0700]"    /* 2024-01-01T06:30:00Z */
#define TS_B "[01/Jan/2024:00:30:00 +0100]"    /* 2023-12-31T23:30:00Z */
#define TS_C "[01/Jan/2024:07:29:59 +0100]"    /* 2024-01-01T06:29:59Z */
#define TS_D "[03/Jan/2021:12:00:00 +0000]"    /* ISO week 2020-W53 */

/* ------------------------------------------------------------ the keys */

Test (agg, parse_keys_valid)
{
  static const char *const names[] = {
    "minute", "hour", "day", "week", "month", "country", "vhost", "status",
    "status_class", "method", "path", "referer_origin", "ua_family",
  };
  LnAggConfig c;
  GError *error = NULL;
  size_t i;

  memset (&c, 0, sizeof c);
  cr_assert (agg_parse_keys ("day,country", &c, &error));
  cr_assert_eq (c.nkeys, 2);
  cr_assert_eq (c.keys[0], LN_AGG_DAY);
  cr_assert_eq (c.keys[1], LN_AGG_COUNTRY);
  cr_assert (agg_parse_keys (" hour , status_class ", &c, &error));
  cr_assert_eq (c.nkeys, 2);
  cr_assert_eq (c.keys[0], LN_AGG_HOUR);
  cr_assert_eq (c.keys[1], LN_AGG_STATUS_CLASS);
  for (i = 0; i < N_ELEMS (names); i++)
    {
      cr_assert (agg_parse_keys (names[i], &c, &error), "%s: %s", names[i],
                 error ? error->message : "");
      cr_assert_eq (c.nkeys, 1);
      cr_assert_eq (c.keys[0], (LnAggKey) i);
      cr_assert_str_eq (agg_key_name (c.keys[0]), names[i]);
    }
  /* eight keys, one of them a time key: the most there can be */
  cr_assert (agg_parse_keys ("path,day,country,vhost,status,status_class,method,"
                             "referer_origin", &c, &error));
  cr_assert_eq (c.nkeys, 8);
  cr_assert_eq (c.keys[0], LN_AGG_PATH);
  cr_assert_eq (c.keys[1], LN_AGG_DAY);
  cr_assert_eq (c.keys[7], LN_AGG_REFERER_ORIGIN);
}

static void
assert_refused (const char *list, const char *needle)
{
  LnAggConfig c;
  GError *error = NULL;
  gboolean ok;

  memset (&c, 0, sizeof c);
  ok = agg_parse_keys (list, &c, &error);
  cr_assert_not (ok, "\"%s\" accepted", list);
  cr_assert_not_null (error);
  cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_USAGE), "\"%s\": %s", list,
             error->message);
  keep (g_strdup (error->message));
  g_clear_error (&error);
  cr_assert_not_null (strstr (fx.strings->pdata[fx.strings->len - 1], needle),
                      "\"%s\": message \"%s\" lacks \"%s\"", list,
                      (char *) fx.strings->pdata[fx.strings->len - 1], needle);
}

Test (agg, parse_keys_refused)
{
  static const char *const names[] = {
    "minute", "hour", "day", "week", "month", "country", "vhost", "status",
    "status_class", "method", "path", "referer_origin", "ua_family",
  };
  size_t i;

  assert_refused ("day,nosuch", "'nosuch'");
  /* the message lists every valid key */
  for (i = 0; i < N_ELEMS (names); i++)
    assert_refused ("Day", names[i]);
  assert_refused ("day,hour", "one time key");
  assert_refused ("minute,status,month", "one time key");
  assert_refused ("", "no keys");
  assert_refused ("status,", "''");
  assert_refused ("status,status,status,status,status,status,status,status,status",
                  "at most 8");
}

/* ------------------------------------------------------ time buckets */

static const char *const time_lines[] = {
  "192.0.2.1 - - " TS_A " \"GET /a HTTP/1.1\" 200 100",
  "192.0.2.2 - - " TS_B " \"GET /b HTTP/1.1\" 200 20",
  "192.0.2.3 - - " TS_C " \"GET /c HTTP/1.1\" 200 -",
  "198.51.100.4 - - " TS_D " \"GET /d HTTP/1.1\" 304 3000",
  NULL
};

Test (agg, minute)
{
  assert_text (aggregate ("minute", 1, "common", time_lines),
               "minute,requests,bytes,visitors\r\n"
               "\"2021-01-03T12:00\",1,3000,1\r\n"
               "\"2023-12-31T23:30\",1,20,1\r\n"
               "\"2024-01-01T06:29\",1,0,1\r\n"
               "\"2024-01-01T06:30\",1,100,1\r\n");
}

Test (agg, hour)
{
  assert_text (aggregate ("hour", 1, "common", time_lines),
               "hour,requests,bytes,visitors\r\n"
               "\"2021-01-03T12\",1,3000,1\r\n"
               "\"2023-12-31T23\",1,20,1\r\n"
               "\"2024-01-01T06\",2,100,2\r\n");
}

Test (agg, day)
{
  /* 23:30 at -0700 is the next day in UTC; 00:30 at +0100 the day before */
  assert_text (aggregate ("day", 1, "common", time_lines),
               "day,requests,bytes,visitors\r\n"
               "\"2021-01-03\",1,3000,1\r\n"
               "\"2023-12-31\",1,20,1\r\n"
               "\"2024-01-01\",2,100,2\r\n");
}

Test (agg, week)
{
  /* ISO 8601 weeks: 2021-01-03 (a Sunday) is in 2020-W53, 2023-12-31 in
   * 2023-W52, Monday 2024-01-01 starts 2024-W01 */
  assert_text (aggregate ("week", 1, "common", time_lines),
               "week,requests,bytes,visitors\r\n"
               "\"2020-W53\",1,3000,1\r\n"
               "\"2023-W52\",1,20,1\r\n"
               "\"2024-W01\",2,100,2\r\n");
}

Test (agg, month)
{
  assert_text (aggregate ("month", 1, "common", time_lines),
               "month,requests,bytes,visitors\r\n"
               "\"2021-01\",1,3000,1\r\n"
               "\"2023-12\",1,20,1\r\n"
               "\"2024-01\",2,100,2\r\n");
}

/* ------------------------------------------------------ other keys */

Test (agg, status_and_status_class)
{
  static const char *const lines[] = {
    "192.0.2.1 - - " TS_A " \"GET / HTTP/1.1\" 200 1",
    "192.0.2.2 - - " TS_A " \"GET / HTTP/1.1\" 204 2",
    "192.0.2.3 - - " TS_A " \"GET / HTTP/1.1\" 301 4",
    "192.0.2.4 - - " TS_A " \"GET / HTTP/1.1\" 404 8",
    "192.0.2.5 - - " TS_A " \"GET / HTTP/1.1\" 404 16",
    "192.0.2.6 - - " TS_A " \"GET / HTTP/1.1\" 503 32",
    "192.0.2.7 - - " TS_A " \"GET / HTTP/1.1\" - 64",
    NULL
  };

  assert_text (aggregate ("status_class", 1, "common", lines),
               "status_class,requests,bytes,visitors\r\n"
               "\"-\",1,64,1\r\n"
               "\"2xx\",2,3,2\r\n"
               "\"3xx\",1,4,1\r\n"
               "\"4xx\",2,24,2\r\n"
               "\"5xx\",1,32,1\r\n");
  assert_text (aggregate ("status", 1, "common", lines),
               "status,requests,bytes,visitors\r\n"
               "\"-\",1,64,1\r\n"
               "\"200\",1,1,1\r\n"
               "\"204\",1,2,1\r\n"
               "\"301\",1,4,1\r\n"
               "\"404\",2,24,2\r\n"
               "\"503\",1,32,1\r\n");
}

Test (agg, method)
{
  static const char *const lines[] = {
    "192.0.2.1 - - " TS_A " \"GET / HTTP/1.1\" 200 1",
    "192.0.2.1 - - " TS_A " \"GET /x HTTP/1.1\" 200 2",
    "192.0.2.2 - - " TS_A " \"POST /form HTTP/1.1\" 200 4",
    "192.0.2.3 - - " TS_A " \"HEAD / HTTP/1.0\" 200 8",
    "192.0.2.4 - - " TS_A " \"-\" 400 16",
    NULL
  };

  /* one address twice: 2 requests, 1 visitor */
  assert_text (aggregate ("method", 1, "common", lines),
               "method,requests,bytes,visitors\r\n"
               "\"-\",1,16,1\r\n"
               "\"GET\",2,3,1\r\n"
               "\"HEAD\",1,8,1\r\n"
               "\"POST\",1,4,1\r\n");
}

static const char *const path_lines[] = {
  "192.0.2.1 - - " TS_A " \"GET /a/b/c?x=1 HTTP/1.1\" 200 1",
  "192.0.2.2 - - " TS_A " \"GET /a/b HTTP/1.1\" 200 2",
  "192.0.2.3 - - " TS_A " \"GET /a HTTP/1.1\" 200 4",
  "192.0.2.4 - - " TS_A " \"GET / HTTP/1.1\" 200 8",
  "192.0.2.5 - - " TS_A " \"GET /x/y/ HTTP/1.1\" 200 16",
  "192.0.2.6 - - " TS_A " \"OPTIONS * HTTP/1.1\" 200 32",
  NULL
};

static char *
path_aggregate (unsigned depth)
{
  LnAggConfig c = config ("path", 1);
  LnAgg *agg;

  c.path_depth = depth;
  agg = new_agg (&c);
  feed (agg, "common", path_lines);
  return output (agg);
}

Test (agg, path_depth_0_is_the_whole_path)
{
  /* the query is never part of the path */
  assert_text (path_aggregate (0),
               "path,requests,bytes,visitors\r\n"
               "\"*\",1,32,1\r\n"
               "\"/\",1,8,1\r\n"
               "\"/a\",1,4,1\r\n"
               "\"/a/b\",1,2,1\r\n"
               "\"/a/b/c\",1,1,1\r\n"
               "\"/x/y/\",1,16,1\r\n");
}

Test (agg, path_depth_1)
{
  assert_text (path_aggregate (1),
               "path,requests,bytes,visitors\r\n"
               "\"*\",1,32,1\r\n"
               "\"/\",1,8,1\r\n"
               "\"/a\",3,7,3\r\n"
               "\"/x\",1,16,1\r\n");
}

Test (agg, path_depth_2)
{
  assert_text (path_aggregate (2),
               "path,requests,bytes,visitors\r\n"
               "\"*\",1,32,1\r\n"
               "\"/\",1,8,1\r\n"
               "\"/a\",1,4,1\r\n"
               "\"/a/b\",2,3,2\r\n"
               "\"/x/y\",1,16,1\r\n");
}

Test (agg, path_with_escape_characters_comes_back_unchanged)
{
  static const char *const lines[] = {
    "192.0.2.1 - - " TS_A " \"GET /p%20q%25 HTTP/1.1\" 200 1",
    "192.0.2.2 - - " TS_A " \"GET /p%2520q HTTP/1.1\" 200 2",
    NULL
  };

  /* '%' is how a partial escapes its separators: it must not be undone
   * twice, nor two different paths become one row */
  assert_text (aggregate ("path", 1, "common", lines),
               "path,requests,bytes,visitors\r\n"
               "\"/p%20q%25\",1,1,1\r\n"
               "\"/p%2520q\",1,2,1\r\n");
}

static const char *const referer_lines[] = {
  "192.0.2.1 - - " TS_A " \"GET / HTTP/1.1\" 200 1 \"https://www.example.org:8443/a?b\" \"UA\"",
  "192.0.2.2 - - " TS_A " \"GET / HTTP/1.1\" 200 2 \"-\" \"UA\"",
  "192.0.2.3 - - " TS_A " \"GET / HTTP/1.1\" 200 4 \"https://www.example.org:8443/other#f\" \"UA\"",
  "192.0.2.4 - - " TS_A " \"GET / HTTP/1.1\" 200 8 \"http://example.com?q=1\" \"UA\"",
  "192.0.2.5 - - " TS_A " \"GET / HTTP/1.1\" 200 16 \"android-app://com.example.app/x\" \"UA\"",
  "192.0.2.6 - - " TS_A " \"GET / HTTP/1.1\" 200 32 \"not a url\" \"UA\"",
  /* an address in the referer is masked before anything sees it */
  "192.0.2.7 - - " TS_A " \"GET / HTTP/1.1\" 200 64 \"http://198.51.100.7:8080/x\" \"UA\"",
  NULL
};

Test (agg, referer_origin)
{
  assert_text (aggregate ("referer_origin", 1, "combined", referer_lines),
               "referer_origin,requests,bytes,visitors\r\n"
               "\"-\",2,34,2\r\n"
               "\"android-app://com.example.app\",1,16,1\r\n"
               "\"http://198.51.100.0:8080\",1,64,1\r\n"
               "\"http://example.com\",1,8,1\r\n"
               "\"https://www.example.org:8443\",2,5,2\r\n");
}

/* The family of the user agent as sent, whatever --user-agent writes
 * (here: dropped, the default). */
Test (agg, ua_family)
{
  static const char *const lines[] = {
    "192.0.2.1 - - " TS_A " \"GET / HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; "
    "rv:128.0) Gecko/20100101 Firefox/128.0\"",
    "192.0.2.2 - - " TS_A " \"GET / HTTP/1.1\" 200 2 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; "
    "rv:127.0) Gecko/20100101 Firefox/127.0\"",
    "192.0.2.3 - - " TS_A " \"GET / HTTP/1.1\" 200 4 \"-\" \"Mozilla/5.0 (compatible; "
    "Googlebot/2.1; +http://www.google.com/bot.html)\"",
    "192.0.2.4 - - " TS_A " \"GET / HTTP/1.1\" 200 8 \"-\" \"-\"",
    "192.0.2.5 - - " TS_A " \"GET / HTTP/1.1\" 200 16 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; "
    "rv:128.0) Gecko/20100101 Firefox/128.0\"",
    NULL
  };

  assert_text (aggregate ("ua_family", 1, "combined", lines),
               "ua_family,requests,bytes,visitors\r\n"
               "\"-\",1,8,1\r\n"
               "\"Firefox/127\",1,2,1\r\n"
               "\"Firefox/128\",2,17,2\r\n"
               "\"Googlebot\",1,4,1\r\n");
  /* common has no user agent: "-" */
  assert_text (aggregate ("ua_family", 1, "common", (const char *const[]) {
                 "192.0.2.1 - - " TS_A " \"GET / HTTP/1.1\" 200 1", NULL }),
               "ua_family,requests,bytes,visitors\r\n"
               "\"-\",1,1,1\r\n");
}

/* The origin of a URL is scheme, host and port (RFC 6454): user name and
 * password in a referer are credentials, not part of it, and must not be
 * published in an aggregate. */
Test (agg, referer_origin_drops_userinfo)
{
  static const char *const lines[] = {
    "192.0.2.1 - - " TS_A " \"GET / HTTP/1.1\" 200 1 "
    "\"https://alice:s3cret@intranet.example.net:8443/page\" \"UA\"",
    /* a user name alone; the last '@' ends the user information */
    "192.0.2.2 - - " TS_A " \"GET / HTTP/1.1\" 200 2 \"http://bob@example.com/x\" \"UA\"",
    "192.0.2.3 - - " TS_A " \"GET / HTTP/1.1\" 200 4 \"http://a@b@host.example/\" \"UA\"",
    /* an '@' after the host (path, query, fragment) is no user information */
    "192.0.2.4 - - " TS_A " \"GET / HTTP/1.1\" 200 8 \"https://example.org/mail@x\" \"UA\"",
    "192.0.2.5 - - " TS_A " \"GET / HTTP/1.1\" 200 16 \"https://example.org?u=x@y\" \"UA\"",
    "192.0.2.6 - - " TS_A " \"GET / HTTP/1.1\" 200 32 \"https://example.org#c@d\" \"UA\"",
    /* credentials before an address, which is masked */
    "192.0.2.7 - - " TS_A " \"GET / HTTP/1.1\" 200 64 \"ftp://u:p@198.51.100.7:2121/f\" \"UA\"",
    NULL
  };

  assert_text (aggregate ("referer_origin", 1, "combined", lines),
               "referer_origin,requests,bytes,visitors\r\n"
               "\"ftp://198.51.100.0:2121\",1,64,1\r\n"
               "\"http://example.com\",1,2,1\r\n"
               "\"http://host.example\",1,4,1\r\n"
               "\"https://example.org\",3,56,3\r\n"
               "\"https://intranet.example.net:8443\",1,1,1\r\n");
}

Test (agg, vhost)
{
  static const char *const lines[] = {
    "www.example.com:443 192.0.2.1 - - " TS_A " \"GET / HTTP/1.1\" 200 10 \"-\" \"UA\"",
    "www.example.com:80 192.0.2.2 - - " TS_A " \"GET / HTTP/1.1\" 200 20 \"-\" \"UA\"",
    "api.example.com:443 192.0.2.1 - - " TS_A " \"GET / HTTP/1.1\" 200 40 \"-\" \"UA\"",
    NULL
  };

  assert_text (aggregate ("vhost", 1, "vhost_combined", lines),
               "vhost,requests,bytes,visitors\r\n"
               "\"api.example.com\",1,40,1\r\n"
               "\"www.example.com\",2,30,2\r\n");
}

Test (agg, several_keys_and_sums)
{
  static const char *const lines[] = {
    "192.0.2.1 - - " TS_A " \"GET /a HTTP/1.1\" 200 100",
    "192.0.2.1 - - " TS_A " \"GET /a HTTP/1.1\" 200 -",
    "192.0.2.2 - - " TS_A " \"GET /a HTTP/1.1\" 200 5",
    "192.0.2.2 - - " TS_A " \"POST /a HTTP/1.1\" 201 7",
    "192.0.2.3 - - " TS_B " \"GET /a HTTP/1.1\" 200 1",
    NULL
  };

  /* "-" bytes count 0; two requests of one address are one visitor */
  assert_text (aggregate ("day,method,status", 1, "common", lines),
               "day,method,status,requests,bytes,visitors\r\n"
               "\"2023-12-31\",\"GET\",\"200\",1,1,1\r\n"
               "\"2024-01-01\",\"GET\",\"200\",3,105,2\r\n"
               "\"2024-01-01\",\"POST\",\"201\",1,7,1\r\n");
}

Test (agg, ipv6_and_mapped_addresses_are_one_visitor_each)
{
  static const char *const lines[] = {
    "2001:db8::1 - - " TS_A " \"GET / HTTP/1.1\" 200 1",
    "2001:DB8:0:0::1 - - " TS_A " \"GET / HTTP/1.1\" 200 1",
    "192.0.2.1 - - " TS_A " \"GET / HTTP/1.1\" 200 1",
    "::ffff:192.0.2.1 - - " TS_A " \"GET / HTTP/1.1\" 200 1",
    "192.0.2.1:5555 - - " TS_A " \"GET / HTTP/1.1\" 200 1",
    NULL
  };

  /* the digest is of the address, not of how it was written */
  assert_text (aggregate ("day", 1, "common", lines),
               "day,requests,bytes,visitors\r\n"
               "\"2024-01-01\",5,5,2\r\n");
}

/* ---------------------------------------------------------- suppression */

/* Day 1: /popular from 6 addresses, /rare1 from 2, /rare2 three times from
 * one; day 2: /popular from 5, /rare3 from 1. */
static const char *const supp_lines[] = {
  "192.0.2.1 - - " TS_A " \"GET /popular HTTP/1.1\" 200 10",
  "192.0.2.2 - - " TS_A " \"GET /popular HTTP/1.1\" 200 10",
  "192.0.2.3 - - " TS_A " \"GET /popular HTTP/1.1\" 200 10",
  "192.0.2.4 - - " TS_A " \"GET /popular HTTP/1.1\" 200 10",
  "192.0.2.5 - - " TS_A " \"GET /popular HTTP/1.1\" 200 10",
  "192.0.2.6 - - " TS_A " \"GET /popular HTTP/1.1\" 200 10",
  "192.0.2.7 - - " TS_A " \"GET /rare1 HTTP/1.1\" 200 1",
  "192.0.2.8 - - " TS_A " \"GET /rare1 HTTP/1.1\" 200 1",
  "192.0.2.9 - - " TS_A " \"GET /rare2 HTTP/1.1\" 200 100",
  "192.0.2.9 - - " TS_A " \"GET /rare2 HTTP/1.1\" 200 100",
  "192.0.2.9 - - " TS_A " \"GET /rare2 HTTP/1.1\" 200 100",
  "198.51.100.1 - - " TS_B " \"GET /popular HTTP/1.1\" 200 3",
  "198.51.100.2 - - " TS_B " \"GET /popular HTTP/1.1\" 200 3",
  "198.51.100.3 - - " TS_B " \"GET /popular HTTP/1.1\" 200 3",
  "198.51.100.4 - - " TS_B " \"GET /popular HTTP/1.1\" 200 3",
  "198.51.100.5 - - " TS_B " \"GET /popular HTTP/1.1\" 200 3",
  "198.51.100.9 - - " TS_B " \"GET /rare3 HTTP/1.1\" 200 7",
  NULL
};

Test (agg, suppression_folds_into_other_per_time_bucket)
{
  /* (other) sorts last in its bucket although '(' < '/'; an (other) row
   * of fewer than K visitors keeps its requests and bytes, its visitor
   * count is withheld (an empty cell) */
  assert_text (aggregate ("day,path", 5, "common", supp_lines),
               "day,path,requests,bytes,visitors\r\n"
               "\"2023-12-31\",\"/popular\",5,15,5\r\n"
               "\"2023-12-31\",\"(other)\",1,7,\r\n"
               "\"2024-01-01\",\"/popular\",6,60,6\r\n"
               "\"2024-01-01\",\"(other)\",5,302,\r\n");
  /* day 1's /popular (5 visitors) folds at 6: its (other) row holds 6
   * people and shows them; day 2's (other) still holds 3 */
  assert_text (aggregate ("day,path", 6, "common", supp_lines),
               "day,path,requests,bytes,visitors\r\n"
               "\"2023-12-31\",\"(other)\",6,22,6\r\n"
               "\"2024-01-01\",\"/popular\",6,60,6\r\n"
               "\"2024-01-01\",\"(other)\",5,302,\r\n");
}

Test (agg, suppression_keeps_totals)
{
  static const guint64 ks[] = { 1, 2, 3, 5, 6, 7, 100 };
  guint64 r1, b1, r, b;
  guint rows1, rows;
  size_t i;

  csv_sums (aggregate ("day,path", 1, "common", supp_lines), &r1, &b1, &rows1);
  cr_assert_eq (r1, 17);
  cr_assert_eq (b1, 22 + 362);
  cr_assert_eq (rows1, 5);
  for (i = 0; i < N_ELEMS (ks); i++)
    {
      csv_sums (aggregate ("day,path", ks[i], "common", supp_lines), &r, &b, &rows);
      cr_assert_eq (r, r1, "--min-visitors %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT
                    " requests", ks[i], r);
      cr_assert_eq (b, b1, "--min-visitors %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT
                    " bytes", ks[i], b);
      cr_assert_leq (rows, rows1);
    }
}

Test (agg, suppression_of_every_non_time_key)
{
  assert_text (aggregate ("method,day,path", 5, "common", supp_lines),
               "method,day,path,requests,bytes,visitors\r\n"
               "\"GET\",\"2023-12-31\",\"/popular\",5,15,5\r\n"
               "\"(other)\",\"2023-12-31\",\"(other)\",1,7,\r\n"
               "\"GET\",\"2024-01-01\",\"/popular\",6,60,6\r\n"
               "\"(other)\",\"2024-01-01\",\"(other)\",5,302,\r\n");
}

Test (agg, suppression_without_a_time_key_is_one_other_row)
{
  /* 4 visitors (192.0.2.7-9, 198.51.100.9) in the (other) row: withheld
   * at 7, shown at 3 and at 4 (exactly K) */
  assert_text (aggregate ("path", 7, "common", supp_lines),
               "path,requests,bytes,visitors\r\n"
               "\"/popular\",11,75,11\r\n"
               "\"(other)\",6,309,\r\n");
  assert_text (aggregate ("path", 3, "common", supp_lines),
               "path,requests,bytes,visitors\r\n"
               "\"/popular\",11,75,11\r\n"
               "\"(other)\",6,309,4\r\n");
  assert_text (aggregate ("path", 4, "common", supp_lines),
               "path,requests,bytes,visitors\r\n"
               "\"/popular\",11,75,11\r\n"
               "\"(other)\",6,309,4\r\n");
  assert_text (aggregate ("path", 5, "common", supp_lines),
               "path,requests,bytes,visitors\r\n"
               "\"/popular\",11,75,11\r\n"
               "\"(other)\",6,309,\r\n");
}

/* The (other) row's visitors are the union of its rows' visitors, not
 * their sum, and K applies to the union: /x and /y have the same two
 * visitors, /z one more. */
Test (agg, other_row_visitors_are_the_union)
{
  static const char *const lines[] = {
    "192.0.2.1 - - " TS_A " \"GET /x HTTP/1.1\" 200 1",
    "192.0.2.2 - - " TS_A " \"GET /x HTTP/1.1\" 200 1",
    "192.0.2.1 - - " TS_A " \"GET /y HTTP/1.1\" 200 2",
    "192.0.2.2 - - " TS_A " \"GET /y HTTP/1.1\" 200 2",
    "192.0.2.3 - - " TS_A " \"GET /z HTTP/1.1\" 200 4",
    NULL
  };

  /* at 3 every row folds: 3 people (a sum would say 5), shown */
  assert_text (aggregate ("path", 3, "common", lines),
               "path,requests,bytes,visitors\r\n"
               "\"(other)\",5,10,3\r\n");
  /* at 4 the same 3 people are too few: withheld, totals kept */
  assert_text (aggregate ("path", 4, "common", lines),
               "path,requests,bytes,visitors\r\n"
               "\"(other)\",5,10,\r\n");
}

Test (agg, min_requests)
{
  LnAggConfig c = config ("day,path", 1);
  LnAgg *agg;

  c.min_requests = 3;
  agg = new_agg (&c);
  feed (agg, "common", supp_lines);
  /* /rare2 has 3 requests from one visitor: kept; /rare1 has 2 */
  assert_text (output (agg),
               "day,path,requests,bytes,visitors\r\n"
               "\"2023-12-31\",\"/popular\",5,15,5\r\n"
               "\"2023-12-31\",\"(other)\",1,7,1\r\n"
               "\"2024-01-01\",\"/popular\",6,60,6\r\n"
               "\"2024-01-01\",\"/rare2\",3,300,1\r\n"
               "\"2024-01-01\",\"(other)\",2,2,2\r\n");
  /* --min-visitors 1 withholds no visitor count, not even of an (other)
   * row of one visitor (above); at 2, day 1's (other) row of one visitor
   * is withheld, day 2's of three is not */
  c.min_visitors = 2;
  agg = new_agg (&c);
  feed (agg, "common", supp_lines);
  assert_text (output (agg),
               "day,path,requests,bytes,visitors\r\n"
               "\"2023-12-31\",\"/popular\",5,15,5\r\n"
               "\"2023-12-31\",\"(other)\",1,7,\r\n"
               "\"2024-01-01\",\"/popular\",6,60,6\r\n"
               "\"2024-01-01\",\"(other)\",5,302,3\r\n");
}

/* "--min-visitors 1 turns it off": a row is never folded then, even one
 * whose clients are host names or "-" (no address, so no visitor digest). */
Test (agg, min_visitors_1_folds_nothing)
{
  static const char *const lines[] = {
    "192.0.2.1 - - " TS_A " \"GET /addr HTTP/1.1\" 200 1",
    "www.example.org - - " TS_A " \"GET /host HTTP/1.1\" 200 2",
    "- - - " TS_A " \"GET /dash HTTP/1.1\" 200 4",
    NULL
  };

  assert_text (aggregate ("day,path", 1, "common", lines),
               "day,path,requests,bytes,visitors\r\n"
               "\"2024-01-01\",\"/addr\",1,1,1\r\n"
               "\"2024-01-01\",\"/dash\",1,4,0\r\n"
               "\"2024-01-01\",\"/host\",1,2,0\r\n");
  /* at 2 all three fold, and the one visitor of (other) is withheld */
  assert_text (aggregate ("day,path", 2, "common", lines),
               "day,path,requests,bytes,visitors\r\n"
               "\"2024-01-01\",\"(other)\",3,7,\r\n");
}

Test (agg, order_does_not_depend_on_input_order)
{
  const char *lines[N_ELEMS (supp_lines)];
  char *first, *second;
  size_t i, n = N_ELEMS (supp_lines) - 1;

  first = aggregate ("day,path", 2, "common", supp_lines);
  for (i = 0; i < n; i++)
    lines[i] = supp_lines[n - 1 - i];
  lines[n] = NULL;
  second = aggregate ("day,path", 2, "common", lines);
  assert_text (second, first);
  /* and the same again: no dependence on hash table state */
  assert_text (aggregate ("day,path", 2, "common", supp_lines), first);
}

/* --------------------------------------------------------- JSON Lines */

Test (agg, jsonl)
{
  LnAggConfig c = config ("day,path", 5);
  LnAgg *agg;
  char *text;
  g_auto (GStrv) lines = NULL;
  size_t i;

  c.jsonl = TRUE;
  agg = new_agg (&c);
  feed (agg, "common", supp_lines);
  text = output (agg);
  assert_text (text,
               "{\"day\":\"2023-12-31\",\"path\":\"/popular\",\"requests\":5,\"bytes\":15,"
               "\"visitors\":5}\n"
               "{\"day\":\"2023-12-31\",\"path\":\"(other)\",\"requests\":1,\"bytes\":7,"
               "\"visitors\":null}\n"
               "{\"day\":\"2024-01-01\",\"path\":\"/popular\",\"requests\":6,\"bytes\":60,"
               "\"visitors\":6}\n"
               "{\"day\":\"2024-01-01\",\"path\":\"(other)\",\"requests\":5,\"bytes\":302,"
               "\"visitors\":null}\n");
  /* every line is one object, without raw control characters (the e2e
   * test has python3 parse the lines) */
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i] && lines[i][0]; i++)
    {
      const char *p;

      cr_assert_eq (lines[i][0], '{');
      cr_assert_eq (lines[i][strlen (lines[i]) - 1], '}');
      for (p = lines[i]; *p; p++)
        cr_assert_geq ((unsigned char) *p, 0x20);
    }
}

Test (agg, jsonl_escapes_strings)
{
  static const char *const lines[] = {
    "192.0.2.1 - - " TS_A " \"GET /a\\\\b HTTP/1.1\" 200 1",
    NULL
  };
  LnAggConfig c = config ("path", 1);
  LnAgg *agg;

  c.jsonl = TRUE;
  agg = new_agg (&c);
  feed (agg, "common", lines);
  /* the log holds /a\\b; a backslash is \\ in JSON */
  assert_text (output (agg), "{\"path\":\"/a\\\\\\\\b\",\"requests\":1,\"bytes\":1,"
               "\"visitors\":1}\n");
}

/* ------------------------------------------------------------ partials */

/* The schema column of the partials written here (agg_new gets SKETCH_ID). */
#define SCHEMA_OF(keys, depth) \
  "lognym-partial-v3;keys=" keys ";path_depth=" depth ";precision=12;tz=UTC;durations=none;" \
  "sketch=" SKETCH_ID
#define SCHEMA SCHEMA_OF ("day,path", "0")
/* the first five columns of a valid line (an empty sparse sketch, no
 * durations) */
#define ROW "2024-01-01\x1f/a\t1\t5\ts:\t-\t"

static char *
partial_of (const char *keys, unsigned depth, const char *const *lines)
{
  LnAggConfig c = config (keys, 5);
  LnAgg *agg;

  c.partial = TRUE;
  c.path_depth = depth;
  agg = new_agg (&c);
  feed (agg, "common", lines);
  return output (agg);
}

static int
count_lines (const char *s)
{
  int n = 0;

  for (; *s; s++)
    n += *s == '\n';
  return n;
}

/* The lines of @text (which must end in a newline or be empty), without
 * their newlines. */
static char **
lines_of (const char *text)
{
  char **lines = g_strsplit (text, "\n", -1);
  guint n = g_strv_length (lines);

  if (n == 0)
    return lines;       /* "" */
  cr_assert_str_eq (lines[n - 1], "", "no final newline: %s", text);
  g_free (lines[n - 1]);
  lines[n - 1] = NULL;
  return lines;
}

/* Every line of @partial has six columns, the last @schema. */
static void
assert_schema_on_every_line (const char *partial, const char *schema)
{
  g_auto (GStrv) lines = lines_of (partial);
  size_t i;

  for (i = 0; lines[i]; i++)
    {
      g_auto (GStrv) cols = g_strsplit (lines[i], "\t", -1);

      cr_assert_eq (g_strv_length (cols), 6, "line %zu: %s", i + 1, lines[i]);
      cr_assert_str_eq (cols[5], schema, "line %zu: %s", i + 1, lines[i]);
    }
}

Test (agg, partial_form)
{
  static const char *const lines[] = {
    "192.0.2.1 - - " TS_A " \"GET /a HTTP/1.1\" 200 100",
    "192.0.2.1 - - " TS_A " \"GET /a HTTP/1.1\" 200 -",
    "192.0.2.2 - - " TS_B " \"GET /b%09 HTTP/1.1\" 404 5",
    NULL
  };
  char *text = partial_of ("day,path", 0, lines);
  g_auto (GStrv) rows = g_strsplit (text, "\n", -1);
  g_auto (GStrv) f1 = NULL;
  g_auto (GStrv) f2 = NULL;

  /* no header line: one line per row, unsuppressed (min_visitors 5 does
   * not apply), sorted, each ending in the schema column that names keys,
   * depth, precision and sketch key */
  cr_assert_eq (g_strv_length (rows), 3, "%s", text);
  cr_assert_str_eq (rows[2], "");
  f1 = g_strsplit (rows[0], "\t", -1);
  f2 = g_strsplit (rows[1], "\t", -1);
  cr_assert_eq (g_strv_length (f1), 6, "%s", rows[0]);
  cr_assert_eq (g_strv_length (f2), 6, "%s", rows[1]);
  /* key parts separated by \x1f, '%' escaped as %25 */
  cr_assert_str_eq (f1[0], "2023-12-31\x1f/b%2509");
  cr_assert_str_eq (f1[1], "1");
  cr_assert_str_eq (f1[2], "5");
  cr_assert (g_str_has_prefix (f1[3], "s:"), "one visitor is a sparse sketch: %s", f1[3]);
  cr_assert_str_eq (f1[4], "-", "no duration in the format");
  cr_assert_str_eq (f1[5], SCHEMA);
  cr_assert_str_eq (f2[0], "2024-01-01\x1f/a");
  cr_assert_str_eq (f2[1], "2");
  cr_assert_str_eq (f2[2], "100");
  cr_assert_str_eq (f2[5], SCHEMA);
}

Test (agg, partial_schema_on_every_line)
{
  char *text = partial_of ("path", 1, path_lines);
  LnAggConfig c = config ("status,day", 5);
  LnAgg *agg;

  /* path depth 1: *, /, /a, /x */
  cr_assert_eq (count_lines (text), 4, "%s", text);
  assert_schema_on_every_line (text, SCHEMA_OF ("path", "1"));
  assert_schema_on_every_line (partial_of ("day,path", 0, supp_lines), SCHEMA);
  /* the keys in their order; the digest of the sketch key given */
  c.partial = TRUE;
  agg = agg_new (&c, "fedcba9876543210");
  g_ptr_array_add (fx.aggs, agg);
  feed (agg, "common", time_lines);
  text = output (agg);
  cr_assert_eq (count_lines (text), 3, "%s", text);
  assert_schema_on_every_line (text, "lognym-partial-v3;keys=status,day;path_depth=0;"
                               "precision=12;tz=UTC;durations=none;sketch=fedcba9876543210");
}

static LnAgg *
merger (guint64 min_visitors, gboolean partial)
{
  LnAggConfig c = config (NULL, min_visitors);

  c.partial = partial;
  return new_agg (&c);
}

/* A merge of @text as the file @name (which must succeed) at
 * @min_visitors: its CSV output. */
static char *
merged (const char *name, const char *text, guint64 min_visitors)
{
  LnAgg *m = merger (min_visitors, FALSE);
  GError *error = NULL;
  gboolean ok = merge_text (m, name, text, &error);

  cr_assert (ok, "%s: %s", name, error ? error->message : "");
  return output (m);
}

Test (agg, merge_round_trip)
{
  static const guint64 ks[] = { 1, 2, 5, 7 };
  size_t i;

  for (i = 0; i < N_ELEMS (ks); i++)
    assert_text (merged ("whole.partial", partial_of ("day,path", 0, supp_lines), ks[i]),
                 aggregate ("day,path", ks[i], "common", supp_lines));
}

/* The whole split at every line boundary into two parts, and into parts of
 * one line each: merged, it is the aggregate of the whole. */
Test (agg, merge_of_split_input_equals_whole)
{
  size_t n = N_ELEMS (supp_lines) - 1, cut, i;
  const char *whole = aggregate ("day,path", 3, "common", supp_lines);

  for (cut = 0; cut <= n; cut++)
    {
      const char *head[N_ELEMS (supp_lines)], *tail[N_ELEMS (supp_lines)];
      g_autofree char *both = NULL;

      for (i = 0; i < cut; i++)
        head[i] = supp_lines[i];
      head[cut] = NULL;
      for (i = cut; i < n; i++)
        tail[i - cut] = supp_lines[i];
      tail[n - cut] = NULL;
      both = g_strconcat (partial_of ("day,path", 0, head),
                          partial_of ("day,path", 0, tail), NULL);
      assert_text (merged ("both.partial", both, 3), whole);
    }
  {
    GString *all = g_string_new (NULL);

    for (i = 0; i < n; i++)
      {
        const char *one[2] = { supp_lines[i], NULL };

        g_string_append (all, partial_of ("day,path", 0, one));
      }
    keep (g_string_free (all, FALSE));
    assert_text (merged ("lines.partial", fx.strings->pdata[fx.strings->len - 1], 3), whole);
  }
}

/* Merge in several files, then write a partial again (a reducer feeding
 * another level): the partial of the whole, schema column included. */
Test (agg, merge_to_partial_equals_partial_of_whole)
{
  size_t n = N_ELEMS (supp_lines) - 1;
  const char *a[N_ELEMS (supp_lines)], *b[N_ELEMS (supp_lines)];
  LnAgg *m = merger (5, TRUE);
  GError *error = NULL;
  size_t i, na = 0, nb = 0;

  for (i = 0; i < n; i++)
    {
      if (i % 3 == 0)
        a[na++] = supp_lines[i];
      else
        b[nb++] = supp_lines[i];
    }
  a[na] = b[nb] = NULL;
  cr_assert (merge_text (m, "a.partial", partial_of ("day,path", 0, a), &error), "%s",
             error ? error->message : "");
  cr_assert (merge_text (m, "b.partial", partial_of ("day,path", 0, b), &error), "%s",
             error ? error->message : "");
  assert_text (output (m), partial_of ("day,path", 0, supp_lines));
}

/* strcmp on the elements of an array of strings: sort(1) with LC_ALL=C */
static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* @n lines of @lines from @first on, wrapping around, each with a
 * newline; backwards if @reverse. */
static char *
join_lines (char **lines, guint n, guint first, gboolean reverse)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < n; i++)
    {
      guint k = (first + (reverse ? n - i : i)) % n;

      g_string_append (s, lines[k]);
      g_string_append_c (s, '\n');
    }
  return keep (g_string_free (s, FALSE));
}

/* The partials of time_lines and supp_lines, concatenated, as lines
 * sorted like sort(1) with LC_ALL=C (Hadoop's shuffle), and the
 * aggregate of both logs at @k. */
static char **
sorted_partial_lines (guint64 k, const char **whole)
{
  g_autofree char *both = g_strconcat (partial_of ("day,path", 0, time_lines),
                                       partial_of ("day,path", 0, supp_lines), NULL);
  char **lines = lines_of (both);
  const char *all[N_ELEMS (supp_lines) + N_ELEMS (time_lines)];
  guint i, n = 0;

  for (i = 0; time_lines[i]; i++)
    all[n++] = time_lines[i];
  for (i = 0; supp_lines[i]; i++)
    all[n++] = supp_lines[i];
  all[n] = NULL;
  *whole = aggregate ("day,path", k, "common", all);
  qsort (lines, g_strv_length (lines), sizeof (char *), compare_strings);
  return lines;
}

/* Lines in any order merge alike: sorted (Hadoop's shuffle sorts them),
 * backwards, and starting at every line.  There is no header line that
 * would have to come first. */
Test (agg, merge_of_lines_in_any_order)
{
  const char *whole;
  g_auto (GStrv) lines = sorted_partial_lines (2, &whole);
  guint n = g_strv_length (lines), first;

  /* day,path: 4 rows of time_lines, 5 of supp_lines; none of them shared */
  cr_assert_eq (n, 9);
  for (first = 0; first < n; first++)
    {
      assert_text (merged ("forwards", join_lines (lines, n, first, FALSE), 2), whole);
      assert_text (merged ("backwards", join_lines (lines, n, first, TRUE), 2), whole);
    }
}

/* Hadoop with two reducers: the sorted lines cut in two at every line,
 * each half merged by its own reducer into a partial (merge --partial),
 * then the reducers' partials (in either order) merged again: the
 * aggregate of the whole.  A reducer that was given no line writes
 * nothing; every line a reducer writes carries the schema. */
Test (agg, two_reducers_then_merge_equal_whole)
{
  const char *whole;
  g_auto (GStrv) lines = sorted_partial_lines (2, &whole);
  guint n = g_strv_length (lines), cut;

  for (cut = 0; cut <= n; cut++)
    {
      LnAgg *r1 = merger (5, TRUE), *r2 = merger (5, TRUE);
      GError *error = NULL;
      char *p1, *p2;

      cr_assert (merge_text (r1, keep (g_strdup_printf ("reducer1-%u", cut)),
                             cut ? join_lines (lines, cut, 0, FALSE) : "", &error),
                 "cut %u: %s", cut, error ? error->message : "");
      cr_assert (merge_text (r2, keep (g_strdup_printf ("reducer2-%u", cut)),
                             cut < n ? join_lines (lines + cut, n - cut, 0, FALSE) : "",
                             &error),
                 "cut %u: %s", cut, error ? error->message : "");
      p1 = output (r1);
      p2 = output (r2);
      cr_assert_eq (count_lines (p1) == 0, cut == 0, "cut %u: %s", cut, p1);
      cr_assert_eq (count_lines (p2) == 0, cut == n, "cut %u: %s", cut, p2);
      assert_schema_on_every_line (p1, SCHEMA);
      assert_schema_on_every_line (p2, SCHEMA);
      assert_text (merged ("reducers-12", keep (g_strconcat (p1, p2, NULL)), 2), whole);
      assert_text (merged ("reducers-21", keep (g_strconcat (p2, p1, NULL)), 2), whole);
    }
}

/* @text with every @from replaced by @to. */
static char *
replace_all (const char *text, const char *from, const char *to)
{
  g_auto (GStrv) parts = g_strsplit (text, from, -1);

  return keep (g_strjoinv (to, parts));
}

/* @text with line @n (1-based) made with another sketch key. */
static char *
other_sketch_on_line (const char *text, guint n)
{
  g_auto (GStrv) lines = lines_of (text);
  g_autofree char *joined = NULL;
  char *line;

  cr_assert_leq (n, g_strv_length (lines));
  line = replace_all (lines[n - 1], "sketch=" SKETCH_ID, "sketch=fedcba9876543210");
  cr_assert_str_neq (line, lines[n - 1]);
  g_free (lines[n - 1]);
  lines[n - 1] = g_strdup (line);
  joined = g_strjoinv ("\n", lines);
  return keep (g_strconcat (joined, "\n", NULL));
}

/* merge of @text as @name fails with @code, and the message holds @where
 * and @what. */
static void
assert_refused_merge (const char *name, const char *text, int code, const char *where,
                      const char *what)
{
  LnAgg *m = merger (1, FALSE);
  GError *error = NULL;
  gboolean ok = merge_text (m, name, text, &error);
  char *message;

  cr_assert_not (ok, "%s: accepted", name);
  cr_assert_not_null (error);
  message = keep (g_strdup (error->message));
  cr_assert (g_error_matches (error, LN_ERROR, code), "%s: %s (code %d, expected %d)",
             name, message, error->code, code);
  g_clear_error (&error);
  cr_assert_not_null (strstr (message, where), "%s: message \"%s\" does not name %s", name,
                      message, where);
  cr_assert_not_null (strstr (message, what), "%s: message \"%s\" lacks \"%s\"", name,
                      message, what);
}

/* One line made with another sketch key, anywhere in one stream: refused
 * at that line (the first line's schema is adopted, so a first line of
 * another key has the second refused). */
Test (agg, merge_refuses_another_sketch_key_mid_stream)
{
  char *p = partial_of ("day,path", 0, supp_lines);
  guint n = (guint) count_lines (p), line;

  cr_assert_eq (n, 5, "%s", p);
  for (line = 1; line <= n; line++)
    {
      char *name = keep (g_strdup_printf ("key-on-line-%u", line));
      char *where = keep (g_strdup_printf ("%s:%u: ", name, line == 1 ? 2 : line));

      assert_refused_merge (name, other_sketch_on_line (p, line), LN_ERROR_SETUP, where,
                            "different sketch key");
    }
}

Test (agg, merge_refuses_another_sketch_key)
{
  char *p = partial_of ("day,path", 0, supp_lines);
  char *q = replace_all (p, "sketch=" SKETCH_ID, "sketch=fedcba9876543210");
  LnAgg *m = merger (1, FALSE);
  GError *error = NULL;

  cr_assert_str_neq (p, q);
  /* concatenated: the message names the first line of the second */
  assert_refused_merge ("two-keys.partial", keep (g_strconcat (p, q, NULL)), LN_ERROR_SETUP,
                        keep (g_strdup_printf ("two-keys.partial:%d: ", count_lines (p) + 1)),
                        "different sketch key");
  assert_refused_merge ("two-keys-reversed.partial", keep (g_strconcat (q, p, NULL)),
                        LN_ERROR_SETUP,
                        keep (g_strdup_printf ("two-keys-reversed.partial:%d: ",
                                               count_lines (q) + 1)),
                        "different sketch key");
  /* as two files: the schema of the first file holds for the second */
  cr_assert (merge_text (m, "first.partial", p, &error), "%s", error ? error->message : "");
  cr_assert_not (merge_text (m, "second.partial", q, &error));
  cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_SETUP), "%s", error->message);
  cr_assert_not_null (strstr (error->message, "second.partial:1: "), "%s", error->message);
  g_clear_error (&error);
}

Test (agg, merge_refuses_other_keys)
{
  char *p = partial_of ("day,path", 0, supp_lines);
  char *d = partial_of ("path", 0, supp_lines);

  assert_refused_merge ("keys.partial",
                        keep (g_strconcat (p, partial_of ("day,status", 0, supp_lines), NULL)),
                        LN_ERROR_SETUP,
                        keep (g_strdup_printf ("keys.partial:%d: ", count_lines (p) + 1)),
                        "other keys");
  /* the same keys in another order are other keys */
  assert_refused_merge ("order.partial",
                        keep (g_strconcat (p, partial_of ("path,day", 0, supp_lines), NULL)),
                        LN_ERROR_SETUP,
                        keep (g_strdup_printf ("order.partial:%d: ", count_lines (p) + 1)),
                        "other keys");
  assert_refused_merge ("depth.partial",
                        keep (g_strconcat (d, partial_of ("path", 1, supp_lines), NULL)),
                        LN_ERROR_SETUP,
                        keep (g_strdup_printf ("depth.partial:%d: ", count_lines (d) + 1)),
                        "other keys");
  /* one line of other keys in the middle of a stream */
  assert_refused_merge ("mid.partial",
                        ROW SCHEMA "\n" ROW SCHEMA "\n" ROW SCHEMA_OF ("day,status", "0") "\n"
                        ROW SCHEMA "\n",
                        LN_ERROR_SETUP, "mid.partial:3: ", "other keys");
}

/* Precision is part of the schema: a sketch of another precision cannot
 * be read, the line is malformed (first or later). */
Test (agg, merge_refuses_other_precision)
{
  const char *p14 = "lognym-partial-v3;keys=day,path;path_depth=0;precision=14;tz=UTC;"
                    "durations=none;sketch="
                    SKETCH_ID;

  assert_refused_merge ("p14", keep (g_strconcat (ROW, p14, "\n", NULL)), LN_ERROR_MALFORMED,
                        "p14:1: ", "malformed partial line (schema)");
  assert_refused_merge ("p14-second", keep (g_strconcat (ROW SCHEMA "\n" ROW, p14, "\n", NULL)),
                        LN_ERROR_MALFORMED, "p14-second:2: ",
                        "malformed partial line (schema)");
}

static void
assert_malformed (const char *name, const char *text, const char *where)
{
  assert_refused_merge (name, text, LN_ERROR_MALFORMED, where, where);
}

#define NOT_PARTIAL ": not a lognym partial line"
#define BAD_SCHEMA ": malformed partial line (schema)"
#define OTHER_VERSION ": partial of another lognym version"

Test (agg, merge_refuses_malformed_lines)
{
  /* the valid line each case differs from */
  assert_text (merged ("valid", ROW SCHEMA "\n", 1),
               "day,path,requests,bytes,visitors\r\n\"2024-01-01\",\"/a\",1,5,0\r\n");

  assert_malformed ("three-fields", "2024-01-01\x1f/a\t1\t5\n", "three-fields:1" NOT_PARTIAL);
  assert_malformed ("no-schema", "2024-01-01\x1f/a\t1\t5\ts:\n", "no-schema:1" NOT_PARTIAL);
  assert_malformed ("seven-fields", ROW SCHEMA "\tx\n", "seven-fields:1" NOT_PARTIAL);
  assert_malformed ("bad-requests", "2024-01-01\x1f/a\tmany\t5\ts:\t-\t" SCHEMA "\n",
                    "bad-requests:1" NOT_PARTIAL);
  assert_malformed ("negative-bytes", "2024-01-01\x1f/a\t1\t-5\ts:\t-\t" SCHEMA "\n",
                    "negative-bytes:1" NOT_PARTIAL);
  assert_malformed ("bad-sketch", "2024-01-01\x1f/a\t1\t5\tAAAA\t-\t" SCHEMA "\n",
                    "bad-sketch:1" NOT_PARTIAL);
  /* a sparse entry of rank 0 (index 7) */
  assert_malformed ("rank-0", "2024-01-01\x1f/a\t1\t5\ts:AAcA\t-\t" SCHEMA "\n",
                    "rank-0:1" NOT_PARTIAL);
  assert_malformed ("garbage", "192.0.2.1 - - " TS_A " \"GET / HTTP/1.1\" 200 1\n",
                    "garbage:1" NOT_PARTIAL);
  /* after good lines: the line is named */
  assert_malformed ("third-line", ROW SCHEMA "\n" ROW SCHEMA "\nx\t1\n",
                    "third-line:3" NOT_PARTIAL);
  /* the schema column */
  assert_malformed ("empty-schema", ROW "\n", "empty-schema:1" NOT_PARTIAL);
  assert_malformed ("other-version", ROW "lognym-partial-v4;keys=day,path;path_depth=0;"
                    "precision=12;sketch=" SKETCH_ID "\n", "other-version:1" OTHER_VERSION);
  assert_malformed ("version-only", ROW "lognym-partial-v3\n", "version-only:1" BAD_SCHEMA);
  assert_malformed ("without-sketch",
                    ROW "lognym-partial-v3;keys=day,path;path_depth=0;precision=12;tz=UTC;"
                    "durations=none\n", "without-sketch:1" BAD_SCHEMA);
  assert_malformed ("without-keys",
                    ROW "lognym-partial-v3;path_depth=0;precision=12;tz=UTC;durations=none;"
                    "sketch=" SKETCH_ID "\n", "without-keys:1" BAD_SCHEMA);
  assert_malformed ("without-precision",
                    ROW "lognym-partial-v3;keys=day,path;path_depth=0;tz=UTC;durations=none;"
                    "sketch=" SKETCH_ID "\n", "without-precision:1" BAD_SCHEMA);
  assert_malformed ("without-tz",
                    ROW "lognym-partial-v3;keys=day,path;path_depth=0;precision=12;"
                    "durations=none;sketch=" SKETCH_ID "\n", "without-tz:1" BAD_SCHEMA);
  assert_malformed ("without-durations",
                    ROW "lognym-partial-v3;keys=day,path;path_depth=0;precision=12;tz=UTC;"
                    "sketch=" SKETCH_ID "\n", "without-durations:1" BAD_SCHEMA);
  assert_malformed ("unknown-durations",
                    ROW "lognym-partial-v3;keys=day,path;path_depth=0;precision=12;tz=UTC;"
                    "durations=tdigest;sketch=" SKETCH_ID "\n", "unknown-durations:1" BAD_SCHEMA);
  assert_malformed ("bad-schema-later",
                    ROW SCHEMA "\n" ROW "lognym-partial-v3;keys=day,path;path_depth=0\n",
                    "bad-schema-later:2" BAD_SCHEMA);
  /* the duration histogram column: ascending buckets, counts from 1 */
  assert_malformed ("bad-durations", "2024-01-01\x1f/a\t1\t5\ts:\t3:1,2:1\t" SCHEMA "\n",
                    "bad-durations:1" NOT_PARTIAL);
  assert_malformed ("zero-count", "2024-01-01\x1f/a\t1\t5\ts:\t3:0\t" SCHEMA "\n",
                    "zero-count:1" NOT_PARTIAL);
  assert_malformed ("bucket-out-of-range", "2024-01-01\x1f/a\t1\t5\ts:\t5000:1\t" SCHEMA
                    "\n", "bucket-out-of-range:1" NOT_PARTIAL);
  /* lognym-partial-v2 sketches count SipHash digests: on their own or after
   * lines of this version, they are not merged (their visitor counts would
   * be wrong), and the message says why */
  assert_refused_merge ("v2", ROW "lognym-partial-v2;keys=day,path;path_depth=0;precision=12;"
                        "tz=UTC;durations=none;sketch=" SKETCH_ID "\n", LN_ERROR_MALFORMED,
                        "v2:1: partial of an older lognym (lognym-partial-v2)",
                        "another digest of the address");
  assert_refused_merge ("v2-after-v3", ROW SCHEMA "\n" ROW "lognym-partial-v2;keys=day,path;"
                        "path_depth=0;precision=12;tz=UTC;durations=none;sketch=" SKETCH_ID
                        "\n", LN_ERROR_MALFORMED, "v2-after-v3:2: ", "(lognym-partial-v3)");
  assert_refused_merge ("v3-after-v2", ROW "lognym-partial-v2;keys=day,path;path_depth=0;"
                        "precision=12;tz=UTC;durations=none;sketch=" SKETCH_ID "\n" ROW SCHEMA
                        "\n", LN_ERROR_MALFORMED, "v3-after-v2:1: ", "make it again");
  /* a partial of lognym-partial-v1 (five columns): made again, not mis-read */
  assert_malformed ("v1", "2024-01-01\x1f/a\t1\t5\ts:\tlognym-partial-v1;keys=day,path;"
                    "path_depth=0;precision=12;sketch=" SKETCH_ID "\n", "v1:1" OTHER_VERSION);
}

/* The old format (a header line, four columns) is not read. */
Test (agg, merge_refuses_the_old_header_format)
{
  assert_malformed ("old-header",
                    "#lognym-partial v1 keys=day,path path_depth=0 precision=12 sketch="
                    SKETCH_ID "\n" ROW SCHEMA "\n", "old-header:1" NOT_PARTIAL);
  assert_malformed ("old-row", "#lognym-partial v1 keys=day,path path_depth=0 precision=12 "
                    "sketch=" SKETCH_ID "\n2024-01-01\x1f/a\t1\t5\ts:\n", "old-row:1" NOT_PARTIAL);
  assert_malformed ("bare-tag", "#lognym-partial v1\n", "bare-tag:1" NOT_PARTIAL);
}

/* An unknown key in a schema is bad input (exit status 3), not a usage
 * error of the merge command line (status 1), on the first line or later. */
Test (agg, merge_unknown_key_in_schema_is_malformed)
{
  const char *bogus = "lognym-partial-v3;keys=day,bogus;path_depth=0;precision=12;tz=UTC;"
                      "durations=none;sketch=" SKETCH_ID "\n";

  assert_refused_merge ("bogus-key", keep (g_strconcat (ROW, bogus, NULL)), LN_ERROR_MALFORMED,
                        "bogus-key:1: ", "'bogus'");
  assert_refused_merge ("bogus-key-3",
                        keep (g_strconcat (ROW SCHEMA "\n" ROW SCHEMA "\n" ROW, bogus, NULL)),
                        LN_ERROR_MALFORMED, "bogus-key-3:3: ", "'bogus'");
  assert_refused_merge ("two-time-keys",
                        ROW "lognym-partial-v3;keys=day,hour;path_depth=0;precision=12;tz=UTC;"
                        "durations=none;sketch=" SKETCH_ID "\n", LN_ERROR_MALFORMED, "two-time-keys:1: ", "time key");
}

/* Nothing to merge: no rows, and empty output in every form (the keys are
 * unknown, and a CSV header of the metrics alone would be another table). */
Test (agg, merge_of_nothing)
{
  LnAgg *m = merger (1, FALSE);
  GError *error = NULL;
  LnAggConfig c = config (NULL, 5);

  cr_assert (merge_text (m, "empty", "", &error), "%s", error ? error->message : "");
  cr_assert_eq (agg_row_count (m), 0);
  assert_text (output (m), "");
  assert_text (merged ("blank-lines", "\n\n\n", 5), "");
  m = merger (5, TRUE);
  cr_assert (merge_text (m, "empty-partial", "", &error), "%s", error ? error->message : "");
  assert_text (output (m), "");
  c.jsonl = TRUE;
  m = new_agg (&c);
  cr_assert (merge_text (m, "empty-jsonl", "", &error), "%s", error ? error->message : "");
  assert_text (output (m), "");
}

/* ------------------------------------------------------------- memory */

Test (agg, memory_grows_with_rows_not_lines)
{
  LnAggConfig c = config ("day,path", 5);
  LnAgg *agg = new_agg (&c);
  const char *line[2] = { "192.0.2.1 - - " TS_A " \"GET /same HTTP/1.1\" 200 1", NULL };
  size_t after_one, after_many, per_row;
  char buf[128];
  const char *row[2] = { buf, NULL };
  int i;

  feed (agg, "common", line);
  after_one = agg_memory (agg);
  for (i = 0; i < 2000; i++)
    feed (agg, "common", line);
  after_many = agg_memory (agg);
  cr_assert_eq (agg_row_count (agg), 1);
  cr_assert_eq (after_many, after_one, "one row: %zu bytes after 1 line, %zu after 2001",
                after_one, after_many);
  for (i = 0; i < 1000; i++)
    {
      g_snprintf (buf, sizeof buf, "192.0.2.1 - - " TS_A " \"GET /p%d HTTP/1.1\" 200 1", i);
      feed (agg, "common", row);
    }
  cr_assert_eq (agg_row_count (agg), 1001);
  per_row = agg_memory (agg) / 1001;
  cr_log_info ("agg: %zu bytes for 1 row of 1 visitor, %zu bytes for 1001 rows (%zu per row)",
               after_one, agg_memory (agg), per_row);
  cr_assert_leq (per_row, 300, "a row of one visitor should be small: %zu bytes", per_row);
}

/* ------------------------------------------------------------ durations */

#define FMT_D "%h %l %u %t \"%r\" %>s %b %D"

/* /a took 50, 60 and 70 µs, /b has no duration ("-"). */
static const char *const dur_lines[] = {
  "192.0.2.1 - - " TS_A " \"GET /a HTTP/1.1\" 200 1 60",
  "192.0.2.2 - - " TS_A " \"GET /a HTTP/1.1\" 200 1 70",
  "192.0.2.3 - - " TS_A " \"GET /a HTTP/1.1\" 200 1 50",
  "192.0.2.4 - - " TS_A " \"GET /b HTTP/1.1\" 200 1 -",
  NULL
};

/* The aggregate of @lines (format @format) with duration columns. */
static char *
aggregate_durations (const char *keys, guint64 min_visitors, const char *format,
                     gboolean nginx, gboolean jsonl, const char *const *lines)
{
  LnAggConfig c = config (keys, min_visitors);
  LnAgg *agg;

  c.durations = TRUE;
  c.jsonl = jsonl;
  agg = new_agg (&c);
  feed_any (agg, format, nginx, lines);
  return output (agg);
}

Test (agg, duration_quantiles)
{
  /* below 128 µs every value has a bucket: exact; nearest rank, so p95 of
   * three is the largest; milliseconds with three decimals; no duration
   * is an empty cell (CSV) or null (JSON) */
  assert_text (aggregate_durations ("path", 1, FMT_D, FALSE, FALSE, dur_lines),
               "path,requests,bytes,visitors,duration_p50,duration_p95\r\n"
               "\"/a\",3,3,3,0.060,0.070\r\n"
               "\"/b\",1,1,1,,\r\n");
  assert_text (aggregate_durations ("path", 1, FMT_D, FALSE, TRUE, dur_lines),
               "{\"path\":\"/a\",\"requests\":3,\"bytes\":3,\"visitors\":3,"
               "\"duration_p50\":0.060,\"duration_p95\":0.070}\n"
               "{\"path\":\"/b\",\"requests\":1,\"bytes\":1,\"visitors\":1,"
               "\"duration_p50\":null,\"duration_p95\":null}\n");
}

Test (agg, duration_units)
{
  static const char *const ms[] = {
    "192.0.2.1 - - " TS_A " \"GET /a HTTP/1.1\" 200 1 5", NULL
  };
  static const char *const s[] = {
    "192.0.2.1 - - " TS_A " \"GET /a HTTP/1.1\" 200 1 2", NULL
  };
  static const char *const nginx[] = {
    "192.0.2.1 [01/Jan/2024:00:30:00 +0100] \"GET /a HTTP/1.1\" 200 0.250", NULL
  };

  /* 5 ms = 5000 µs lies in the bucket [4992, 5056): its middle, 5.023 ms,
   * is 0.5% off */
  assert_text (aggregate_durations ("path", 1, "%h %l %u %t \"%r\" %>s %b %{ms}T", FALSE,
                                    FALSE, ms),
               "path,requests,bytes,visitors,duration_p50,duration_p95\r\n"
               "\"/a\",1,1,1,5.023,5.023\r\n");
  /* %T: whole seconds; 2 s is in [1998848, 2015232) */
  assert_text (aggregate_durations ("path", 1, "%h %l %u %t \"%r\" %>s %b %T", FALSE,
                                    FALSE, s),
               "path,requests,bytes,visitors,duration_p50,duration_p95\r\n"
               "\"/a\",1,1,1,2007.039,2007.039\r\n");
  /* nginx $request_time: seconds with milliseconds; 250 ms is in
   * [249856, 251904) */
  assert_text (aggregate_durations ("path", 1, "$remote_addr [$time_local] \"$request\" "
                                    "$status $request_time", TRUE, FALSE, nginx),
               "path,requests,bytes,visitors,duration_p50,duration_p95\r\n"
               "\"/a\",1,0,1,250.879,250.879\r\n");
}

Test (agg, duration_quantiles_of_other_rows_are_merged)
{
  static const char *const lines[] = {
    "192.0.2.1 - - " TS_A " \"GET /a HTTP/1.1\" 200 1 10",
    "192.0.2.2 - - " TS_A " \"GET /b HTTP/1.1\" 200 1 20",
    "192.0.2.3 - - " TS_A " \"GET /c HTTP/1.1\" 200 1 30",
    "192.0.2.4 - - " TS_A " \"GET /d HTTP/1.1\" 200 1 100",
    NULL
  };

  /* every path has one visitor: all fold into (other), whose quantiles
   * are those of the four durations together */
  assert_text (aggregate_durations ("day,path", 2, FMT_D, FALSE, FALSE, lines),
               "day,path,requests,bytes,visitors,duration_p50,duration_p95\r\n"
               "\"2024-01-01\",\"(other)\",4,4,4,0.020,0.100\r\n");
}

/* A partial of @lines in FMT_D, with durations. */
static char *
duration_partial_of (const char *keys, const char *const *lines)
{
  LnAggConfig c = config (keys, 5);
  LnAgg *agg;

  c.partial = TRUE;
  c.durations = TRUE;
  agg = new_agg (&c);
  feed (agg, FMT_D, lines);
  return output (agg);
}

Test (agg, duration_histograms_merge_exactly)
{
  GRand *rand = g_rand_new_with_seed (7);
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  const char *whole;
  size_t n = 400, i, cut;

  for (i = 0; i < n; i++)
    g_ptr_array_add (lines, g_strdup_printf ("192.0.2.%d - - [01/Jan/2024:%02d:%02d:00 +0000] "
                                             "\"GET /p%d HTTP/1.1\" 200 1 %d",
                                             g_rand_int_range (rand, 1, 40),
                                             g_rand_int_range (rand, 0, 3),
                                             g_rand_int_range (rand, 0, 60),
                                             g_rand_int_range (rand, 0, 4),
                                             g_rand_int_range (rand, 0, 3000000)));
  g_ptr_array_add (lines, NULL);
  whole = aggregate_durations ("hour,path", 3, FMT_D, FALSE, FALSE,
                               (const char *const *) lines->pdata);
  cr_assert_not_null (strstr (whole, "duration_p95"));
  for (cut = 0; cut <= n; cut += 37)
    {
      const char **head = g_new0 (const char *, n + 1);
      const char **tail = g_new0 (const char *, n + 1);
      g_autofree char *both = NULL;
      LnAgg *m = merger (3, FALSE);
      GError *error = NULL;

      for (i = 0; i < n; i++)
        (i < cut ? head : tail)[i < cut ? i : i - cut] = lines->pdata[i];
      both = g_strconcat (duration_partial_of ("hour,path", tail),
                          duration_partial_of ("hour,path", head), NULL);
      g_free (head);
      g_free (tail);
      cr_assert (merge_text (m, "both.partial", both, &error), "%s",
                 error ? error->message : "");
      assert_text (output (m), whole);
    }
  g_ptr_array_unref (lines);
  g_rand_free (rand);
}

Test (agg, merge_refuses_partials_with_and_without_durations)
{
  char *with = duration_partial_of ("day,path", dur_lines);
  char *without = partial_of ("day,path", 0, supp_lines);

  cr_assert_not_null (strstr (with, ";durations=loglin7;"), "%s", with);
  assert_refused_merge ("mixed.partial", keep (g_strconcat (without, with, NULL)),
                        LN_ERROR_SETUP,
                        keep (g_strdup_printf ("mixed.partial:%d: ", count_lines (without) + 1)),
                        "duration histograms");
}

/* ------------------------------------------------------------ --tz */

/* The aggregate of @lines in zone @tz. */
static char *
aggregate_tz (const char *keys, const char *tz, gboolean partial, const char *const *lines)
{
  LnAggConfig c = config (keys, 1);
  LnAgg *agg;

  c.tz = tz;
  c.partial = partial;
  agg = new_agg (&c);
  feed (agg, "common", lines);
  return output (agg);
}

/* One request at the middle of every UTC hour from @start on, for @hours. */
static const char *const *
hourly_lines (const char *day, const char *month, int first_hour, int hours)
{
  GPtrArray *a = g_ptr_array_new ();
  int i;

  for (i = 0; i < hours; i++)
    {
      GDateTime *t = g_date_time_new_utc (2024, atoi (month), atoi (day), 0, 30, 0);
      GDateTime *u = g_date_time_add_hours (t, first_hour + i);
      char *stamp = g_date_time_format (u, "[%d/%b/%Y:%H:%M:%S +0000]");

      g_ptr_array_add (a, keep (g_strdup_printf ("192.0.2.%d - - %s \"GET / HTTP/1.1\" 200 1",
                                                 i % 200 + 1, stamp)));
      g_free (stamp);
      g_date_time_unref (u);
      g_date_time_unref (t);
    }
  g_ptr_array_add (a, NULL);
  return (const char *const *) keep ((char *) g_ptr_array_free (a, FALSE));
}

Test (agg, tz_days_are_23_or_25_hours_at_dst_switches)
{
  /* from 2024-03-30T00:30Z, 72 hours: in Berlin 03-30 begins at 23:00Z the
   * day before (+01:00), 03-31 has 23 hours, 04-01 24 */
  assert_text (aggregate_tz ("day", "Europe/Berlin", FALSE, hourly_lines ("30", "3", 0, 72)),
               "day,requests,bytes,visitors\r\n"
               "\"2024-03-30\",23,23,23\r\n"
               "\"2024-03-31\",23,23,23\r\n"
               "\"2024-04-01\",24,24,24\r\n"
               "\"2024-04-02\",2,2,2\r\n");
  /* autumn: 10-27 has 25 hours */
  assert_text (aggregate_tz ("day", "Europe/Berlin", FALSE, hourly_lines ("26", "10", 0, 72)),
               "day,requests,bytes,visitors\r\n"
               "\"2024-10-26\",22,22,22\r\n"
               "\"2024-10-27\",25,25,25\r\n"
               "\"2024-10-28\",24,24,24\r\n"
               "\"2024-10-29\",1,1,1\r\n");
  /* in UTC, the same records make days of 24 */
  assert_text (aggregate_tz ("day", NULL, FALSE, hourly_lines ("26", "10", 0, 72)),
               "day,requests,bytes,visitors\r\n"
               "\"2024-10-26\",24,24,24\r\n"
               "\"2024-10-27\",24,24,24\r\n"
               "\"2024-10-28\",24,24,24\r\n");
}

Test (agg, tz_hour_labels_carry_the_offset)
{
  /* 00:30Z and 01:30Z on 2024-10-27 are both 02:30 in Berlin: two rows */
  assert_text (aggregate_tz ("hour", "Europe/Berlin", FALSE, hourly_lines ("27", "10", 0, 3)),
               "hour,requests,bytes,visitors\r\n"
               "\"2024-10-27T02:00+01:00\",1,1,1\r\n"
               "\"2024-10-27T02:00+02:00\",1,1,1\r\n"
               "\"2024-10-27T03:00+01:00\",1,1,1\r\n");
  assert_text (aggregate_tz ("minute", "-07:00", FALSE, hourly_lines ("27", "10", 0, 1)),
               "minute,requests,bytes,visitors\r\n"
               "\"2024-10-26T17:30-07:00\",1,1,1\r\n");
  assert_text (aggregate_tz ("hour", "+0530", FALSE, hourly_lines ("27", "10", 0, 1)),
               "hour,requests,bytes,visitors\r\n"
               "\"2024-10-27T06:00+05:30\",1,1,1\r\n");
  /* Berlin's local mean time before 1893: an offset of whole seconds */
  {
    static const char *const lmt[] = {
      "192.0.2.1 - - [01/Jan/1880:12:00:00 +0000] \"GET / HTTP/1.1\" 200 1", NULL
    };

    assert_text (aggregate_tz ("minute", "Europe/Berlin", FALSE, lmt),
                 "minute,requests,bytes,visitors\r\n"
                 "\"1880-01-01T12:53+00:53:28\",1,1,1\r\n");
  }
  /* UTC by name is the default: labels without an offset */
  assert_text (aggregate_tz ("hour", "UTC", FALSE, hourly_lines ("27", "10", 0, 1)),
               aggregate_tz ("hour", NULL, FALSE, hourly_lines ("27", "10", 0, 1)));
}

Test (agg, tz_weeks_and_months_are_local)
{
  /* 2024-03-31T22:30Z is 2024-04-01T00:30+02:00, a Monday */
  assert_text (aggregate_tz ("month", "Europe/Berlin", FALSE, hourly_lines ("31", "3", 22, 1)),
               "month,requests,bytes,visitors\r\n\"2024-04\",1,1,1\r\n");
  assert_text (aggregate_tz ("week", "Europe/Berlin", FALSE, hourly_lines ("31", "3", 22, 1)),
               "week,requests,bytes,visitors\r\n\"2024-W14\",1,1,1\r\n");
  assert_text (aggregate_tz ("week", NULL, FALSE, hourly_lines ("31", "3", 22, 1)),
               "week,requests,bytes,visitors\r\n\"2024-W13\",1,1,1\r\n");
}

/* Over a year of hours, the cached zone interval gives what GLib gives
 * for each instant on its own. */
Test (agg, tz_cache_agrees_with_glib)
{
  const char *zones[] = { "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", NULL };
  size_t z;

  for (z = 0; zones[z]; z++)
    {
      const char *const *lines = hourly_lines ("1", "1", 0, 366 * 24);
      LnAggConfig c = config ("hour", 1);
      GTimeZone *tz = g_time_zone_new_identifier (zones[z]);
      GString *expected = g_string_new ("hour,requests,bytes,visitors\r\n");
      GPtrArray *labels = g_ptr_array_new_with_free_func (g_free);
      LnAgg *agg;
      int i;

      cr_assert_not_null (tz, "%s", zones[z]);
      c.tz = zones[z];
      agg = new_agg (&c);
      feed (agg, "common", lines);
      for (i = 0; i < 366 * 24; i++)
        {
          GDateTime *t = g_date_time_new_utc (2024, 1, 1, 0, 30, 0);
          GDateTime *u = g_date_time_add_hours (t, i);
          GDateTime *l = g_date_time_to_timezone (u, tz);
          gint64 off = g_date_time_get_utc_offset (l) / G_USEC_PER_SEC;
          char *hour = g_date_time_format (l, "%Y-%m-%dT%H:00");

          g_ptr_array_add (labels, g_strdup_printf ("\"%s%c%02d:%02d\",", hour,
                                                    off < 0 ? '-' : '+',
                                                    (int) (ABS (off) / 3600),
                                                    (int) (ABS (off) / 60 % 60)));
          g_free (hour);
          g_date_time_unref (l);
          g_date_time_unref (u);
          g_date_time_unref (t);
        }
      /* every local hour label once per UTC hour (Lord Howe shifts by 30
       * minutes, so its local hours can hold two UTC hours): count them */
      {
        g_autoptr (GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
        guint j;
        char *text = output (agg);

        for (j = 0; j < labels->len; j++)
          g_hash_table_insert (counts, labels->pdata[j],
                               GINT_TO_POINTER (GPOINTER_TO_INT (g_hash_table_lookup (
                                 counts, labels->pdata[j])) + 1));
        for (j = 0; j < labels->len; j++)
          {
            int n = GPOINTER_TO_INT (g_hash_table_lookup (counts, labels->pdata[j]));
            char *row = g_strdup_printf ("%s%d,", (char *) labels->pdata[j], n);

            cr_assert_not_null (strstr (text, row), "%s: no row %s", zones[z], row);
            g_free (row);
          }
        cr_assert_eq (agg_row_count (agg), g_hash_table_size (counts), "%s", zones[z]);
      }
      g_string_free (expected, TRUE);
      g_ptr_array_unref (labels);
      g_time_zone_unref (tz);
    }
}

Test (agg, tz_is_in_the_schema_and_merge_refuses_other_zones)
{
  const char *const *lines = hourly_lines ("27", "10", 0, 3);
  char *berlin = aggregate_tz ("hour", "Europe/Berlin", TRUE, lines);
  char *utc = aggregate_tz ("hour", NULL, TRUE, lines);
  LnAgg *m = merger (1, FALSE);
  GError *error = NULL;

  cr_assert_not_null (strstr (berlin, ";tz=Europe/Berlin;"), "%s", berlin);
  cr_assert_not_null (strstr (utc, ";tz=UTC;"), "%s", utc);
  assert_refused_merge ("zones.partial", keep (g_strconcat (berlin, utc, NULL)), LN_ERROR_SETUP,
                        keep (g_strdup_printf ("zones.partial:%d: ", count_lines (berlin) + 1)),
                        "time zone UTC");
  /* one zone: the merge is the whole */
  cr_assert (merge_text (m, "berlin.partial", berlin, &error), "%s",
             error ? error->message : "");
  assert_text (output (m), aggregate_tz ("hour", "Europe/Berlin", FALSE, lines));
}

/* ------------------------------------------------------- --flush-every */

/* Feeds @lines one by one, flushing into @out whenever a period closes;
 * the number of flushes that wrote something is returned. */
static int
feed_flushing (LnAgg *agg, const char *const *lines, LnBuf *out)
{
  int wrote = 0;
  size_t i;

  for (i = 0; lines[i]; i++)
    {
      const char *one[2] = { lines[i], NULL };

      feed (agg, "common", one);
      if (agg_flush_due (agg))
        {
          size_t before = out->len;

          agg_flush (agg, out);
          wrote += out->len > before;
        }
    }
  return wrote;
}

static const char *const flush_lines[] = {
  "192.0.2.1 - - [01/Jan/2024:12:00:10 +0000] \"GET /a HTTP/1.1\" 200 1",
  "192.0.2.2 - - [01/Jan/2024:12:00:50 +0000] \"GET /b HTTP/1.1\" 200 2",
  "192.0.2.3 - - [01/Jan/2024:12:01:05 +0000] \"GET /a HTTP/1.1\" 200 4",
  "192.0.2.4 - - [01/Jan/2024:12:00:59 +0000] \"GET /a HTTP/1.1\" 200 8",   /* in grace */
  "192.0.2.5 - - [01/Jan/2024:12:02:00 +0000] \"GET /a HTTP/1.1\" 200 16",  /* closes 12:00 */
  "192.0.2.6 - - [01/Jan/2024:12:00:30 +0000] \"GET /a HTTP/1.1\" 200 32",  /* late */
  "192.0.2.7 - - [01/Jan/2024:12:04:00 +0000] \"GET /b HTTP/1.1\" 200 64",  /* closes 12:01 */
  NULL
};

Test (agg, flush_every_writes_closed_buckets_with_one_of_grace)
{
  LnAggConfig c = config ("minute,path", 1);
  LnAgg *agg;
  LnBuf out;
  int wrote;

  c.flush = TRUE;
  c.flush_every = LN_AGG_MINUTE;
  agg = new_agg (&c);
  buf_init (&out, 64);
  wrote = feed_flushing (agg, flush_lines, &out);
  agg_write (agg, &out);
  g_ptr_array_add (fx.strings, g_strndup (out.data, out.len));
  buf_clear (&out);
  cr_assert_eq (wrote, 2);
  /* one header; 12:00 written when 12:02 came (with the line in grace);
   * the late 12:00 line a row of its own, written with 12:01 and 12:02
   * when 12:04 came; 12:04 at the end */
  assert_text (fx.strings->pdata[fx.strings->len - 1],
               "minute,path,requests,bytes,visitors\r\n"
               "\"2024-01-01T12:00\",\"/a\",2,9,2\r\n"
               "\"2024-01-01T12:00\",\"/b\",1,2,1\r\n"
               "\"2024-01-01T12:00\",\"/a\",1,32,1\r\n"
               "\"2024-01-01T12:01\",\"/a\",1,4,1\r\n"
               "\"2024-01-01T12:02\",\"/a\",1,16,1\r\n"
               "\"2024-01-01T12:04\",\"/b\",1,64,1\r\n");
  cr_assert_eq (agg_row_count (agg), 6);
}

Test (agg, flush_every_partials_merge_to_the_whole)
{
  LnAggConfig c = config ("minute,path", 1);
  LnAgg *agg, *m = merger (1, FALSE);
  LnBuf out;
  GError *error = NULL;
  char *text;

  c.flush = TRUE;
  c.flush_every = LN_AGG_HOUR;     /* coarser than the key: whole minutes */
  c.partial = TRUE;
  agg = new_agg (&c);
  buf_init (&out, 64);
  cr_assert_eq (feed_flushing (agg, flush_lines, &out), 0, "one hour: nothing closes");
  agg_write (agg, &out);
  text = keep (g_strndup (out.data, out.len));
  buf_clear (&out);
  cr_assert (merge_text (m, "flushed.partial", text, &error), "%s",
             error ? error->message : "");
  assert_text (output (m), aggregate ("minute,path", 1, "common", flush_lines));

  /* flushing every minute: the rows of equal keys merge exactly */
  c.flush_every = LN_AGG_MINUTE;
  agg = new_agg (&c);
  m = merger (1, FALSE);
  buf_init (&out, 64);
  cr_assert_eq (feed_flushing (agg, flush_lines, &out), 2);
  agg_write (agg, &out);
  text = keep (g_strndup (out.data, out.len));
  buf_clear (&out);
  cr_assert (merge_text (m, "flushed.partial", text, &error), "%s",
             error ? error->message : "");
  assert_text (output (m), aggregate ("minute,path", 1, "common", flush_lines));
}

Test (agg, flush_fits)
{
  LnAggConfig c = config ("minute,path", 1);

  cr_assert (agg_flush_fits (&c, LN_AGG_MINUTE));
  cr_assert (agg_flush_fits (&c, LN_AGG_MONTH));
  c = config ("week", 1);
  cr_assert (agg_flush_fits (&c, LN_AGG_WEEK));
  cr_assert_not (agg_flush_fits (&c, LN_AGG_DAY));
  cr_assert_not (agg_flush_fits (&c, LN_AGG_MONTH), "a month does not hold whole weeks");
  c = config ("path", 1);
  cr_assert_not (agg_flush_fits (&c, LN_AGG_DAY), "no time key");
}

/* ------------------------------------------- agg_merge (for --jobs) */

/* Tables of parts of the input merged give the table of the whole input,
 * partial form (sketches included) and suppressed form alike, also when a
 * part's sketch turned dense and the others' did not. */
Test (agg, merge_of_tables_is_the_table_of_the_whole)
{
  enum { N = 600 };
  static const char *const cuts_keys[] = { "day,status", "status_class", NULL };
  char **lines = g_new0 (char *, N + 1);
  size_t i, k;

  for (i = 0; i < N; i++)
    lines[i] = keep (g_strdup_printf ("%zu.%zu.%zu.%zu - - " TS_A " \"GET /%zu HTTP/1.1\" %d %zu",
                                      i % 200 + 1, i / 7 % 256, i / 3 % 256, i % 251 + 1,
                                      i % 13, i % 5 ? 200 : 404, i));
  for (k = 0; cuts_keys[k]; k++)
    {
      gboolean partial;

      for (partial = FALSE; partial <= TRUE; partial++)
        {
          LnAggConfig c = config (cuts_keys[k], 2);
          LnAgg *whole, *merged;
          /* parts of 1, 17, 300 and the rest lines: one sketch goes dense */
          static const size_t cuts[] = { 0, 1, 18, 318, N };
          size_t part;

          c.partial = partial;
          whole = new_agg (&c);
          merged = new_agg (&c);
          feed (whole, "%h %l %u %t \"%r\" %>s %b", (const char *const *) lines);
          for (part = 0; part + 1 < G_N_ELEMENTS (cuts); part++)
            {
              LnAgg *one = agg_new (&c, SKETCH_ID);
              char *saved = lines[cuts[part + 1]];

              lines[cuts[part + 1]] = NULL;
              feed (one, "%h %l %u %t \"%r\" %>s %b", (const char *const *) lines + cuts[part]);
              lines[cuts[part + 1]] = saved;
              agg_merge (merged, one);
              agg_free (one);
            }
          assert_text (output (merged), output (whole));
        }
    }
  g_free (lines);
}

/* ------------------------------------------------------ the fast path */

/* agg_add finds the row of a line by a binary key when every key is a
 * time key, country, status or status_class (and nothing is flushed).
 * Thousands of rows, so that many binary keys share a slot of its cache,
 * lines that differ in one key only, and a zone with a DST switch: the
 * table must be the one the row keys' text gives, which is what agg_add
 * does with --flush-every (the fast path off; agg_flush is not called
 * here, so nothing is written early). */
Test (agg, fast_path_rows_are_the_text_rows, .timeout = 60)
{
  static const char *const key_sets[] = {
    "day,country,status", "hour,status_class,country", "country,status,week",
    "minute,status", "status,month,status_class", "country", "status_class,status",
    "minute,country,status_class", "minute,country", "hour,status",
  };
  static const char *const countries[] = {
    "", "DE", "FR", "US", "--", "XP", "XR", "GB", "CN", "BR", "IN", "JP", "NL", "SE", "ZA",
  };
  static const int statuses[] = { -1, 200, 201, 204, 206, 301, 302, 304, 400, 401, 403, 404,
                                  405, 410, 429, 500, 502, 503, 504, 100, 999 };
  const int n = 6000;
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autoptr (GDateTime) start = g_date_time_new_utc (2024, 10, 17, 0, 0, 0);
  GPtrArray *lines = g_ptr_array_new ();
  GPtrArray *codes = g_ptr_array_new ();
  size_t k, z;
  int i;

  for (i = 0; i < n; i++)
    {
      GDateTime *t;
      char *stamp;
      int s = statuses[g_rand_int_range (rand, 0, G_N_ELEMENTS (statuses))];
      char status[8];

      /* 20 days around the end of DST in Europe (2024-10-27), two thirds
       * of the lines in the local hour that comes twice (00:00 to 02:00
       * UTC), when one minute is two rows with their offsets */
      t = g_date_time_add_seconds (start, i % 3 == 0 ? g_rand_int_range (rand, 0, 20 * 86400)
                                                     : 10 * 86400 + g_rand_int_range (rand, 0, 7200));
      stamp = g_date_time_format (t, "[%d/%b/%Y:%H:%M:%S +0000]");
      if (s < 0)
        g_strlcpy (status, "-", sizeof status);
      else
        g_snprintf (status, sizeof status, "%d", s);
      g_ptr_array_add (lines, keep (g_strdup_printf ("10.%d.%d.%d - - %s \"GET / HTTP/1.1\" "
                                                     "%s %d", g_rand_int_range (rand, 0, 4),
                                                     g_rand_int_range (rand, 0, 256),
                                                     g_rand_int_range (rand, 0, 256), stamp,
                                                     status, g_rand_int_range (rand, 0, 1000))));
      g_ptr_array_add (codes, (gpointer) countries[g_rand_int_range (rand, 0,
                                                                     G_N_ELEMENTS (countries))]);
      g_free (stamp);
      g_date_time_unref (t);
    }
  g_ptr_array_add (lines, NULL);
  for (z = 0; z < 2; z++)
    for (k = 0; k < G_N_ELEMENTS (key_sets); k++)
      {
        LnAggConfig fast = config (key_sets[k], 1), text = config (key_sets[k], 1);
        LnAgg *a, *b;
        const char *got, *want;

        fast.tz = text.tz = z ? "Europe/Berlin" : NULL;
        text.flush = TRUE;
        text.flush_every = LN_AGG_MONTH;
        a = new_agg (&fast);
        b = new_agg (&text);
        feed_countries (a, "common", FALSE, (const char *const *) lines->pdata,
                        (const char *const *) codes->pdata);
        feed_countries (b, "common", FALSE, (const char *const *) lines->pdata,
                        (const char *const *) codes->pdata);
        got = output (a);
        want = output (b);
        cr_assert_gt (agg_row_count (b), k == 5 || k == 6 ? 10u : 30u, "%s: %" G_GUINT64_FORMAT " rows",
                      key_sets[k], agg_row_count (b));
        cr_assert_str_eq (got, want, "%s%s: the fast path's table differs", key_sets[k],
                          z ? " --tz Europe/Berlin" : "");
      }
  g_ptr_array_unref (codes);
  g_ptr_array_unref (lines);
}
