/* fuzz_logformat.c - libFuzzer harness for the LogFormat compiler.
 *
 * The input (NUL-terminated copy) is compiled with logformat_compile (Apache
 * LogFormat) and with logformat_compile_nginx (nginx log_format body).  It
 * must not crash or leak (LeakSanitizer runs under libFuzzer); a failure
 * must come with a GError.  A compiled format must be well formed (at least
 * one op, at most LN_MAX_FIELDS, literals inside its text) and parsing must
 * not crash on a few fixed lines and on a line synthesised from the format
 * itself (sample values between its literals, so that the compiled ops are
 * actually walked to the end); a line that parses goes on through
 * anon_record and the log writer, with the field spans checked.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "anon.h"
#include "buf.h"
#include "logformat.h"
#include "parse.h"
#include "writer.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *const fixed_lines[] = {
  "203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 2326",
  "203.0.113.9 - frank [10/Oct/2000:13:55:36 -0700] \"GET /a\\\"b HTTP/1.1\" 200 2326 "
    "\"http://example.com/\" \"Mozilla/5.0\" \"198.51.100.4, 10.0.0.1\" -",
  "www.example.com:443 [2001:db8::1]:443 - - [10/Oct/2000:13:55:36 -0700] "
    "\"GET / HTTP/1.1\" 200 2326 \"-\" \"-\"",
  "10.0.0.2, 10.0.0.1 id user [29/Feb/2000:23:59:60 +1400] \"-\" - - 12 \"\" x",
  "\"unterminated \\\" quote",
  "-",
  "",
};

static void
fail (const char *what, const char *format)
{
  fprintf (stderr, "fuzz_logformat: %s (format \"%s\")\n", what, format);
  abort ();
}

static const char *
sample (LnFieldType type)
{
  switch (type)
    {
    case LN_FIELD_CLIENT: return "203.0.113.9";
    case LN_FIELD_TIME: return "10/Oct/2000:13:55:36 -0700";
    case LN_FIELD_REQUEST: return "GET /?a=198.51.100.4 HTTP/1.1";
    case LN_FIELD_STATUS: return "200";
    case LN_FIELD_BYTES: return "2326";
    case LN_FIELD_REFERER: return "http://[2001:db8::7]/";
    case LN_FIELD_USER_AGENT: return "Mozilla/5.0";
    case LN_FIELD_VHOST: return "www.example.com";
    case LN_FIELD_PORT: return "443";
    case LN_FIELD_NUMBER: return "12";
    case LN_FIELD_IDENT:
    case LN_FIELD_USER:
    case LN_FIELD_OTHER:
    case LN_FIELD_TRAILING:
    case LN_FIELD__COUNT:
    default:
      return "x";
    }
}

static bool
span_in (LnSpan s, const char *base, size_t len)
{
  return s.len == 0 || (s.p >= base && s.len <= len && (size_t) (s.p - base) <= len - s.len);
}

static void
run_line (LnParser *parser, const char *text, size_t len, const char *format)
{
  static LnAnon anon;
  static LnBuf arena, out;
  static bool init;
  static LnRecord rec;
  char *line = malloc (len ? len : 1);     /* exact: over-reads hit the redzone */
  const char *pos;
  size_t column, i;

  if (line == NULL)
    return;
  if (!init)
    {
      LnAnonConfig cfg = { 0 };

      cfg.ip_mode = LN_IP_TRUNCATE;
      cfg.v4_bits = 24;
      cfg.v6_bits = 48;
      cfg.residual = LN_RESIDUAL_MASK;
      anon_init (&anon, &cfg, NULL, NULL);
      buf_init (&arena, 256);
      buf_init (&out, 256);
      init = true;
    }
  if (len)
    memcpy (line, text, len);
  if (parser_parse (parser, span_make (line, len), &rec, &column) != LN_PARSE_OK)
    {
      if (column < 1 || column > len + 1)
        fail ("parse error column outside the line", format);
      free (line);
      return;
    }
  pos = line;
  for (i = 0; i < rec.nfields; i++)
    {
      const LnField *f = &rec.fields[i];

      if (f->raw.p < pos || !span_in (f->raw, line, len))
        fail ("field span outside the line, out of order or overlapping", format);
      pos = f->raw.p + f->raw.len;
    }
  rec.eol = LN_SPAN_LIT ("\n");
  if (anon_record (&anon, &rec, &arena) != LN_PARSE_OK)
    fail ("anon_record failed under --residual=mask", format);
  buf_reset (&out);
  writer_log_ops.write_record (NULL, &rec, &out);
  if (out.len == 0 || out.data[out.len - 1] != '\n')
    fail ("writer output not terminated", format);
  free (line);
}

/* leading literal, then each field's sample value and its literal */
static GString *
synthesise (const LnLogFormat *lf)
{
  GString *s = g_string_new (NULL);
  size_t i;

  g_string_append_len (s, lf->leading.p, (gssize) lf->leading.len);
  for (i = 0; i < lf->nops; i++)
    {
      g_string_append (s, sample (lf->ops[i].type));
      g_string_append_len (s, lf->ops[i].literal.p, (gssize) lf->ops[i].literal.len);
    }
  return s;
}

/* Compiles @format with @compile and runs the checks on the result. */
static void
fuzz_one (LnLogFormat *(*compile) (const char *, GError **), const char *format)
{
  GError *error = NULL;
  LnLogFormat *lf;
  LnParser parser;
  size_t i, textlen;
  GString *synth;

  lf = compile (format, &error);
  if (lf == NULL)
    {
      if (error == NULL || error->message == NULL || error->message[0] == '\0')
        fail ("compile failed without an error", format);
      g_error_free (error);
      return;
    }
  if (error != NULL)
    fail ("compile succeeded but set an error", format);

  if (lf->nops == 0 || lf->nops > LN_MAX_FIELDS || lf->text == NULL || lf->name == NULL)
    fail ("compiled format malformed", format);
  textlen = strlen (lf->text);
  if (!span_in (lf->leading, lf->text, textlen))
    fail ("leading literal outside the format text", format);
  for (i = 0; i < lf->nops; i++)
    {
      const LnOp *op = &lf->ops[i];

      if ((unsigned) op->type >= LN_FIELD__COUNT || (unsigned) op->scan > LN_SCAN_TIME)
        fail ("bad op", format);
      /* a time form other than CLF is matched by its timefmt, and only then */
      if ((op->scan == LN_SCAN_TIME) != (op->timefmt != NULL)
          || (op->timefmt != NULL && op->type != LN_FIELD_TIME))
        fail ("time op without its timefmt or the other way round", format);
      if (!span_in (op->literal, lf->text, textlen))
        fail ("op literal outside the format text", format);
      if (i + 1 < lf->nops && op->literal.len == 0)
        fail ("two fields with no literal between them", format);
    }

  memset (&parser, 0, sizeof parser);
  parser.formats[0] = lf;
  parser.nformats = 1;
  for (i = 0; i < G_N_ELEMENTS (fixed_lines); i++)
    run_line (&parser, fixed_lines[i], strlen (fixed_lines[i]), format);
  synth = synthesise (lf);
  run_line (&parser, synth->str, synth->len, format);
  g_string_free (synth, TRUE);

  logformat_free (lf);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *format;

  if (size > 8192)
    return 0;
  format = malloc (size + 1);
  if (format == NULL)
    return 0;
  memcpy (format, data, size);
  format[size] = '\0';

  fuzz_one (logformat_compile, format);          /* Apache LogFormat */
  fuzz_one (logformat_compile_nginx, format);    /* nginx log_format body */

  free (format);
  return 0;
}
