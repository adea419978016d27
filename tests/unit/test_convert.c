/* test_convert.c - -O with a preset or LogFormat string: which input field
 * each target directive takes, Apache's conventions for byte counts,
 * durations and quoting, the time written from the record, and the usage
 * errors of convert_compile_target.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>

#include "anon.h"
#include "buf.h"
#include "convert.h"
#include "errors.h"
#include "helpers.h"
#include "parse.h"

#define TL "[10/Oct/2000:13:55:36 -0700]"
#define COMBINED "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\""

/* Parses @line with @format (nginx when @nginx), anonymises it with the
 * defaults (user agent kept, so that the tests can see it move) and
 * returns it written as @target, without the newline. */
static char *
convert_line (const char *format, gboolean nginx, const char *target, const char *line)
{
  LnParser parser;
  LnRecord rec;
  LnBuf arena, out;
  LnAnon anon;
  LnAnonConfig cfg;
  LnConvert *cv;
  GError *error = NULL;
  size_t col;
  LnParseStatus st;
  char *result;

  memset (&cfg, 0, sizeof cfg);
  cfg.ip_mode = LN_IP_TRUNCATE;
  cfg.v4_bits = 24;
  cfg.v6_bits = 48;
  cfg.residual = LN_RESIDUAL_MASK;
  cfg.user_agent = LN_UA_KEEP;
  cfg.referer = LN_REFERER_KEEP;
  cr_assert (nginx ? parser_init_nginx (&parser, format, &error)
                   : parser_init (&parser, format, &error),
             "%s: %s", format, error ? error->message : "");
  {
    /* headers are dropped unless kept: these tests are about conversion */
    static const char *const keep[] = { "X-Test", "X-Request-ID", "Content-Type", NULL };

    parser_keep_headers (&parser, keep);
  }
  cv = convert_new (target, &parser, &error);
  cr_assert_not_null (cv, "%s: %s", target, error ? error->message : "");
  buf_init (&arena, 16);
  buf_init (&out, 16);
  anon_init (&anon, &cfg, NULL, NULL);
  memset (&rec, 0, sizeof rec);
  st = parser_parse (&parser, span_make (line, strlen (line)), &rec, &col);
  cr_assert_eq (st, LN_PARSE_OK, "does not parse (column %zu): %s", col, line);
  cr_assert_eq (anon_record (&anon, &rec, &arena), LN_PARSE_OK);
  rec.eol = span_make ("\n", 1);
  convert_write_record (cv, &rec, &out);
  cr_assert (out.len > 0 && out.data[out.len - 1] == '\n');
  result = g_strndup (out.data, out.len - 1);
  convert_free (cv);
  anon_clear (&anon);
  buf_clear (&arena);
  buf_clear (&out);
  parser_clear (&parser);
  return result;
}

#define expect_convert(format, nginx, target, line, expected)                 \
  do {                                                                        \
    g_autofree char *got_ = convert_line (format, nginx, target, line);       \
    cr_assert_str_eq (got_, expected, "-f '%s' -O '%s'", format, target);     \
  } while (0)

Test (convert, presets)
{
  const char *line = "192.0.2.7 - - " TL " \"GET /a HTTP/1.1\" 200 - \"http://r/\" \"UA\"";

  expect_convert ("combined", FALSE, "common", line,
                  "192.0.2.0 - - " TL " \"GET /a HTTP/1.1\" 200 -");
  expect_convert ("combined", FALSE, "vhost_combined", line,
                  "-:- 192.0.2.0 - - " TL " \"GET /a HTTP/1.1\" 200 0 \"http://r/\" \"UA\"");
  expect_convert ("common", FALSE, "combined", "192.0.2.7 - - " TL " \"GET /a HTTP/1.1\" 200 5",
                  "192.0.2.0 - - " TL " \"GET /a HTTP/1.1\" 200 5 \"-\" \"-\"");
  expect_convert ("vhost_combined", FALSE, "combined",
                  "www.example.org:443 192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 7 \"-\" \"UA\"",
                  "192.0.2.0 - - " TL " \"GET / HTTP/1.1\" 200 7 \"-\" \"UA\"");
  /* auto mode: each candidate format has its own binding */
  expect_convert ("auto", FALSE, "%v|%h|%b|%{User-Agent}i",
                  "www.example.org:443 192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 7 \"-\" \"UA\"",
                  "www.example.org|192.0.2.0|7|UA");
  expect_convert ("auto", FALSE, "%v|%h|%b|%{User-Agent}i",
                  "192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 7", "-|192.0.2.0|7|-");
}

Test (convert, byte_counts)
{
  const char *f = "%h %B %b";

  expect_convert (f, FALSE, "%b %B %O %I %S", "192.0.2.7 0 -", "- 0 0 - -");
  expect_convert (f, FALSE, "%b %B %O", "192.0.2.7 12 12", "12 12 12");
  /* the same directive first: %b takes %b, not the %B before it */
  expect_convert (f, FALSE, "%b", "192.0.2.7 12 -", "-");
  /* nginx: $bytes_sent is %O, $body_bytes_sent %b and %B */
  expect_convert ("$remote_addr $bytes_sent $body_bytes_sent", TRUE, "%O %B %b %I",
                  "192.0.2.7 300 0", "300 0 - -");
}

Test (convert, durations)
{
  const char *f = "%h %D";

  expect_convert (f, FALSE, "%D %{us}T %{ms}T %T %{s}T", "192.0.2.7 1999999",
                  "1999999 1999999 1999 1 1");
  expect_convert (f, FALSE, "%T %D", "192.0.2.7 -", "- -");
  expect_convert ("%h %T", FALSE, "%D %{ms}T", "192.0.2.7 3", "3000000 3000");
  expect_convert ("%h %{ms}T", FALSE, "%D %T", "192.0.2.7 2500", "2500000 2");
  /* nginx's $request_time has milliseconds after the point */
  /* in the same unit the value is written as it is, fraction and all */
  expect_convert ("$remote_addr $request_time", TRUE, "%D %{ms}T %T",
                  "192.0.2.7 0.125", "125000 125 0.125");
  expect_convert ("$remote_addr $request_time", TRUE, "%{ms}T", "192.0.2.7 1.5", "1500");
}

Test (convert, headers_by_name)
{
  const char *nginx = "$remote_addr \"$http_x_forwarded_for\" \"$http_referer\" "
                      "\"$http_x_request_id\" $http_host \"$sent_http_content_type\"";
  const char *line = "192.0.2.7 \"203.0.113.9, 10.0.0.1\" \"http://r/\" \"abc\" "
                     "www.example.org \"text/html\"";

  expect_convert (nginx, TRUE,
                  "\"%{X-Forwarded-For}i\" \"%{referer}i\" \"%{X-REQUEST-ID}i\" %{Host}i %v "
                  "\"%{Content-Type}o\" \"%{Missing}i\" %{Foo}e",
                  line,
                  "\"203.0.113.0, 10.0.0.0\" \"http://r/\" \"abc\" www.example.org "
                  "www.example.org \"text/html\" \"-\" -");
}

Test (convert, request_parts)
{
  const char *line = "192.0.2.7 - - " TL " \"GET /p/q?a=1 HTTP/1.1\" 200 5 \"-\" \"-\"";

  expect_convert (COMBINED, FALSE, "%m %U %q %H", line, "GET /p/q ?a=1 HTTP/1.1");
  expect_convert (COMBINED, FALSE, "%m %U %q %H",
                  "192.0.2.7 - - " TL " \"GET /p HTTP/1.1\" 200 5 \"-\" \"-\"",
                  "GET /p - HTTP/1.1");
  expect_convert (COMBINED, FALSE, "%m %U %q %H",
                  "192.0.2.7 - - " TL " \"-\" 408 - \"-\" \"-\"", "- - - -");
  /* nginx: $uri and $args, or $request_uri */
  expect_convert ("$remote_addr $uri $args", TRUE, "%U %q", "192.0.2.7 /p a=1", "/p ?a=1");
  expect_convert ("$remote_addr $uri $args", TRUE, "%U %q", "192.0.2.7 /p -", "/p -");
  expect_convert ("$remote_addr $request_uri", TRUE, "%U %q", "192.0.2.7 /p?a=1", "/p ?a=1");
}

Test (convert, quoting)
{
  /* an unquoted value written between quotes gets Apache's escapes */
  expect_convert ("%h %{X-Test}i", FALSE, "\"%{X-Test}i\" %{X-Test}i",
                  "192.0.2.7 a\"b\\c\001d\te\x7f", "\"a\\\"b\\\\c\\x01d\\te\\x7f\" a\"b\\c\001d\te\x7f");
  /* a quoted one keeps its escapes, in quotes or not */
  expect_convert (COMBINED, FALSE, "\"%{User-Agent}i\" %{User-Agent}i",
                  "192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 5 \"-\" \"a \\\"q\\\" \\\\\"",
                  "\"a \\\"q\\\" \\\\\" a \\\"q\\\" \\\\");
  /* an empty quoted value is "" in quotes and - outside */
  expect_convert (COMBINED, FALSE, "\"%{Referer}i\" %{Referer}i",
                  "192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 5 \"\" \"-\"", "\"\" -");
}

Test (convert, time)
{
  expect_convert ("$remote_addr [$time_local]", TRUE, "%t %h",
                  "192.0.2.7 [10/Oct/2000:13:55:36 -0700]", TL " 192.0.2.0");
  expect_convert ("%h", FALSE, "%t %h", "192.0.2.7", "[-] 192.0.2.0");
}

Test (convert, compile_errors)
{
  static const char *const bad[] = { "%h %{%Y}t", "%h %{sec}t", "%h %Q", "" };
  size_t i;

  for (i = 0; i < N_ELEMS (bad); i++)
    {
      GError *error = NULL;
      LnLogFormat *lf = convert_compile_target (bad[i], &error);

      cr_assert_null (lf, "'%s' compiled", bad[i]);
      cr_assert_not_null (error);
      cr_assert (error->domain == LN_ERROR && error->code == LN_ERROR_USAGE, "%s", bad[i]);
      g_error_free (error);
    }
  cr_assert (convert_is_target ("combined"));
  cr_assert (convert_is_target ("%h"));
  cr_assert (!convert_is_target ("log"));
  cr_assert (!convert_is_target ("xml"));
}
