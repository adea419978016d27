/* audit.c - the audit subcommand (see audit.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "errors.h"
#include "i18n.h"
#include "ipaddr.h"
#include "parse.h"
#include "reader.h"
#include "residual.h"
#include "wipe.h"

static const char *const field_names[LN_FIELD__COUNT] = {
  [LN_FIELD_CLIENT] = "client", [LN_FIELD_IDENT] = "ident", [LN_FIELD_USER] = "user",
  [LN_FIELD_TIME] = "time", [LN_FIELD_REQUEST] = "request", [LN_FIELD_STATUS] = "status",
  [LN_FIELD_BYTES] = "bytes", [LN_FIELD_REFERER] = "referer",
  [LN_FIELD_USER_AGENT] = "user_agent", [LN_FIELD_VHOST] = "vhost",
  [LN_FIELD_PORT] = "port", [LN_FIELD_NUMBER] = "number",
  [LN_FIELD_DURATION_US] = "duration", [LN_FIELD_DURATION_MS] = "duration",
  [LN_FIELD_DURATION_S] = "duration", [LN_FIELD_OTHER] = "other",
  [LN_FIELD_TRAILING] = "trailing", [LN_FIELD_FORWARDED] = "forwarded-for",
  [LN_FIELD_SERVER_ADDR] = "server-address", [LN_FIELD_HEADER] = "header",
  [LN_FIELD_URL_PATH] = "path", [LN_FIELD_QUERY] = "query", [LN_FIELD_URI] = "uri",
};

typedef struct {
  const LnOptions *options;
  guint64 lines;
  guint64 flagged_lines;
  guint64 addresses;
} Audit;

/* TRUE when the truncation rule would change @addr: it still names a host. */
static gboolean
is_raw (const Audit *a, const LnAddr *addr)
{
  LnAddr t = *addr;
  gboolean raw;

  ipaddr_truncate (&t, a->options->anon.v4_bits, a->options->anon.v6_bits);
  raw = memcmp (t.bytes, addr->bytes, sizeof t.bytes) != 0;
  wipe_memory (&t, sizeof t);
  return raw;
}

static void
report (Audit *a, LnReader *reader, const char *where, const LnAddr *addr, LnSpan text)
{
  a->addresses++;
  if (a->options->show)
    printf ("%s:%" PRIu64 ": %s: %.*s\n", reader_name (reader),
            (uint64_t) reader_line_number (reader), where, (int) text.len, text.p);
  else
    printf ("%s:%" PRIu64 ": %s: %s\n", reader_name (reader),
            (uint64_t) reader_line_number (reader), where,
            addr->family == LN_AF_INET ? _("raw IPv4 address") : _("raw IPv6 address"));
}

/* Checks [p, end) for addresses; returns how many raw ones it reported. */
static guint
scan_text (Audit *a, LnReader *reader, const char *where, const char *base,
           const char *p, const char *end)
{
  LnResidualMatch m;
  guint found = 0;

  while (residual_find_lenient (base, p, end, &m))
    {
      if (is_raw (a, &m.addr))
        {
          report (a, reader, where, &m.addr, m.token);
          found++;
        }
      wipe_memory (&m.addr, sizeof m.addr);
      p = m.token.p + m.token.len;
    }
  return found;
}

static guint
audit_client (Audit *a, LnReader *reader, const LnField *f, const char *where)
{
  const char *p = f->raw.p, *end = f->raw.p + f->raw.len;
  guint found = 0;

  while (p < end)
    {
      const char *comma = memchr (p, ',', (size_t) (end - p));
      const char *hop_end = comma ? comma : end;
      LnHostToken tok;

      if (ipaddr_parse_host (span_make (p, (size_t) (hop_end - p)), &tok)
          && is_raw (a, &tok.addr))
        {
          report (a, reader, where, &tok.addr, tok.text);
          found++;
        }
      wipe_memory (&tok.addr, sizeof tok.addr);
      if (comma == NULL)
        break;
      p = comma + 1;
      while (p < end && *p == ' ')
        p++;
    }
  return found;
}

static gboolean
audit_reader (Audit *a, LnParser *parser, LnReader *reader, GError **error)
{
  LnRecord rec;
  LnSpan line, eol;
  int got;

  while ((got = reader_next (reader, &line, &eol, error)) > 0)
    {
      size_t column;
      guint found = 0;

      a->lines++;
      if (parser_parse (parser, line, &rec, &column) == LN_PARSE_OK)
        {
          size_t i;

          for (i = 0; i < rec.nfields; i++)
            {
              const LnField *f = &rec.fields[i];

              if (f->type == LN_FIELD_CLIENT || f->type == LN_FIELD_FORWARDED)
                found += audit_client (a, reader, f, field_names[f->type]);
              else if (f->type == LN_FIELD_SERVER_ADDR
                       && !a->options->anon.server_address_client)
                continue;     /* the operator's own address, kept on purpose */
              else if (f->type != LN_FIELD_TIME)
                found += scan_text (a, reader, field_names[f->type], line.p, f->raw.p,
                                    f->raw.p + f->raw.len);
            }
        }
      else
        found += scan_text (a, reader, _("unparsed line"), line.p, line.p,
                            line.p + line.len);
      if (found)
        a->flagged_lines++;
    }
  return got == 0;
}

int
audit_run (const LnOptions *options)
{
  g_autoptr (GError) error = NULL;
  Audit a = { options, 0, 0, 0 };
  LnParser parser;
  int status = LN_EXIT_OK;
  size_t i;

  if (!(options->nginx ? parser_init_nginx (&parser, options->format, &error)
                       : parser_init (&parser, options->format, &error)))
    {
      g_printerr ("lognym: %s\n", error->message);
      return LN_EXIT_USAGE;
    }
  for (i = 0; options->files[i]; i++)
    {
      g_autoptr (LnReader) reader = reader_open (options->files[i], &error);

      if (reader == NULL || !audit_reader (&a, &parser, reader, &error))
        {
          g_printerr ("lognym: %s\n", error->message);
          g_clear_error (&error);
          status = LN_EXIT_FAILURE;
        }
    }
  parser_clear (&parser);
  fflush (stdout);
  g_printerr (_("lognym audit: %" PRIu64 " of %" PRIu64 " lines hold raw addresses "
                "(%" PRIu64 " addresses)\n"),
              (uint64_t) a.flagged_lines, (uint64_t) a.lines, (uint64_t) a.addresses);
  if (status == LN_EXIT_OK && a.flagged_lines > 0)
    status = 1;
  return status;
}
