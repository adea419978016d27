/* logformat.c - LogFormat compiler (see logformat.h). */
#include "config.h"

#include <string.h>
#include "errors.h"
#include "i18n.h"
#include "logformat.h"

static const struct {
  const char *name;
  const char *format;
} presets[] = {
  { "common", "%h %l %u %t \"%r\" %>s %b" },
  { "combined", "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" },
  { "vhost_common", "%v %h %l %u %t \"%r\" %>s %b" },
  { "vhost_combined", "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" },
};

const char *
logformat_preset (const char *name)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (presets); i++)
    if (strcmp (name, presets[i].name) == 0)
      return presets[i].format;
  return NULL;
}

/* Request headers that carry the client address chain set by proxies. */
static gboolean
is_forwarded_header (const char *name)
{
  static const char *const names[] = {
    "X-Forwarded-For", "X-Real-IP", "X-Client-IP", "True-Client-IP",
    "CF-Connecting-IP", "X-Cluster-Client-IP", "Fastly-Client-IP",
  };
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (name, names[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Field type of a directive letter; -1 when the letter is unknown.
 * @arg is the {...} argument or NULL. */
static int
directive_type (char letter, const char *arg)
{
  switch (letter)
    {
    case 'h': case 'a':
      return LN_FIELD_CLIENT;
    case 'l':
      return LN_FIELD_IDENT;
    case 'u':
      return LN_FIELD_USER;
    case 't':
      /* sec, msec, usec and strftime forms are compiled by the caller;
       * the fractions of a second alone are numbers */
      if (arg && g_str_has_prefix (arg, "begin:"))
        arg += 6;
      else if (arg && g_str_has_prefix (arg, "end:"))
        arg += 4;
      return arg && (strcmp (arg, "msec_frac") == 0 || strcmp (arg, "usec_frac") == 0)
             ? LN_FIELD_NUMBER : LN_FIELD_TIME;
    case 'r':
      return LN_FIELD_REQUEST;
    case 's':
      return LN_FIELD_STATUS;
    case 'b': case 'B': case 'O': case 'I': case 'S':
      return LN_FIELD_BYTES;
    case 'v': case 'V':
      return LN_FIELD_VHOST;
    case 'p':
      return LN_FIELD_PORT;
    case 'D':
      return LN_FIELD_DURATION_US;
    case 'T':
      if (arg == NULL || strcmp (arg, "s") == 0)
        return LN_FIELD_DURATION_S;
      if (strcmp (arg, "ms") == 0)
        return LN_FIELD_DURATION_MS;
      if (strcmp (arg, "us") == 0)
        return LN_FIELD_DURATION_US;
      return -1;
    case 'P': case 'k':
      return LN_FIELD_NUMBER;
    case 'A':
      return LN_FIELD_SERVER_ADDR;
    case 'U':
      return LN_FIELD_URL_PATH;
    case 'q':
      return LN_FIELD_QUERY;
    case 'f': case 'H': case 'm': case 'R': case 'L': case 'X':
      return LN_FIELD_OTHER;
    case 'i':
      if (arg == NULL)
        return -1;
      if (g_ascii_strcasecmp (arg, "Referer") == 0)
        return LN_FIELD_REFERER;
      if (g_ascii_strcasecmp (arg, "User-Agent") == 0)
        return LN_FIELD_USER_AGENT;
      if (is_forwarded_header (arg))
        return LN_FIELD_FORWARDED;
      if (g_ascii_strcasecmp (arg, "Host") == 0)
        return LN_FIELD_OTHER;
      return LN_FIELD_HEADER;
    case 'o': case 'C':
      return LN_FIELD_HEADER;
    case 'e': case 'n': case 'x':
      return LN_FIELD_OTHER;
    default:
      return -1;
    }
}

static gboolean
needs_argument (char letter)
{
  return strchr ("ioCenx", letter) != NULL;
}

/* Undoes the escapes httpd.conf allows inside a quoted LogFormat string, so
 * that a line copied from the configuration works verbatim. */
static char *
unescape (const char *format)
{
  GString *s = g_string_sized_new (strlen (format));
  const char *p;

  for (p = format; *p; p++)
    {
      if (*p == '\\' && p[1])
        {
          p++;
          switch (*p)
            {
            case 'n': g_string_append_c (s, '\n'); break;
            case 't': g_string_append_c (s, '\t'); break;
            default: g_string_append_c (s, *p); break;
            }
        }
      else
        g_string_append_c (s, *p);
    }
  return g_string_free (s, FALSE);
}

typedef struct {
  gsize off;
  gsize len;
} Piece;

/* Collects literal text and fields; both dialects (Apache, nginx) feed it
 * and builder_finish() turns it into the operation table. */
typedef struct {
  GString *lits;
  Piece pieces[LN_MAX_FIELDS + 1];  /* literal after field i is pieces[i+1] */
  LnFieldType types[LN_MAX_FIELDS];
  const char *directives[LN_MAX_FIELDS];
  const char *names[LN_MAX_FIELDS];
  LnTimeFmt *timefmts[LN_MAX_FIELDS];  /* owned until builder_finish */
  GStringChunk *strings;            /* the LnLogFormat's */
  gsize lit_start;
  size_t nfields;
} Builder;

/* Adds a field; takes @timefmt (may be NULL) even on failure. */
static gboolean
builder_field (Builder *b, LnFieldType type, const char *what, const char *name,
               LnTimeFmt *timefmt, int column, GError **error)
{
  if (b->nfields + 1 >= LN_MAX_FIELDS)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                   _("log format has more than %d fields"), LN_MAX_FIELDS - 1);
      timefmt_free (timefmt);
      return FALSE;
    }
  if (b->nfields > 0 && b->lits->len == b->lit_start)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                   _("log format, column %d: directive '%s' must be separated "
                     "from the one before it"), column, what);
      timefmt_free (timefmt);
      return FALSE;
    }
  b->timefmts[b->nfields] = timefmt;
  b->pieces[b->nfields].off = b->lit_start;
  b->pieces[b->nfields].len = b->lits->len - b->lit_start;
  b->types[b->nfields] = type;
  b->directives[b->nfields] = g_string_chunk_insert_const (b->strings, what);
  b->names[b->nfields] = name ? g_string_chunk_insert_const (b->strings, name) : NULL;
  b->nfields++;
  b->lit_start = b->lits->len;
  return TRUE;
}

static LnLogFormat *
builder_finish (Builder *b, LnLogFormat *lf, GError **error)
{
  size_t n = b->nfields, i, ntimes = 0;

  if (n == 0)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE, _("log format has no directive"));
      return NULL;
    }
  b->pieces[n].off = b->lit_start;
  b->pieces[n].len = b->lits->len - b->lit_start;
  lf->nops = n;
  lf->text = g_string_free (b->lits, FALSE);
  b->lits = NULL;
  lf->leading = span_make (lf->text + b->pieces[0].off, b->pieces[0].len);
  for (i = 0; i < n; i++)
    {
      LnOp *op = &lf->ops[i];
      const Piece *before = &b->pieces[i], *after = &b->pieces[i + 1];

      op->type = b->types[i];
      op->directive = b->directives[i];
      op->name = b->names[i];
      op->timefmt = b->timefmts[i];
      b->timefmts[i] = NULL;
      op->literal = span_make (lf->text + after->off, after->len);
      if (op->type == LN_FIELD_TIME && (op->timefmt || ++ntimes > 1))
        lf->time_forms = TRUE;
      if (op->timefmt)
        op->scan = LN_SCAN_TIME;
      else if (before->len > 0 && lf->text[before->off + before->len - 1] == '"'
               && after->len > 0 && lf->text[after->off] == '"')
        op->scan = LN_SCAN_QUOTED;
      else if (op->type == LN_FIELD_TIME)
        op->scan = LN_SCAN_BARE_SPACES;
      else if (op->type == LN_FIELD_CLIENT)
        op->scan = LN_SCAN_LIST;
      else
        op->scan = LN_SCAN_BARE;
    }
  /* nginx appends "$http_x_forwarded_for" (and others) to combined; accept
   * extra fields after a trailing user agent and treat them as opaque text
   * that the residual scanner masks. */
  lf->trailing_fields = lf->ops[n - 1].type == LN_FIELD_USER_AGENT
                        && lf->ops[n - 1].literal.len <= 1;
  return lf;
}

static void
builder_clear (Builder *b)
{
  size_t i;

  if (b->lits)
    g_string_free (b->lits, TRUE);
  b->lits = NULL;
  for (i = 0; i < b->nfields; i++)
    timefmt_free (b->timefmts[i]);
}

/* The form of %{@arg}t (@arg may be NULL): NULL with *@clf set for the
 * bracketed CLF time (%t, %{begin:}t, %{end:}t), else a compiled format.
 * @column is @arg's 1-based column.  Apache's begin: and end: choose the
 * moment the server took (start or end of the request); a log has only
 * the one it wrote, so they change nothing here. */
static LnTimeFmt *
time_form (const char *arg, int column, gboolean *clf, GError **error)
{
  *clf = FALSE;
  if (arg && g_str_has_prefix (arg, "begin:"))
    {
      arg += 6;
      column += 6;
    }
  else if (arg && g_str_has_prefix (arg, "end:"))
    {
      arg += 4;
      column += 4;
    }
  if (arg == NULL || *arg == '\0')
    {
      *clf = TRUE;
      return NULL;
    }
  return timefmt_compile (arg, column, error);
}

LnLogFormat *
logformat_compile (const char *format, GError **error)
{
  g_autoptr (LnLogFormat) lf = g_new0 (LnLogFormat, 1);
  g_autofree char *src = NULL;
  Builder b = { 0 };
  const char *preset;
  const char *p;

  preset = logformat_preset (format);
  lf->name = g_strdup (format);
  lf->strings = g_string_chunk_new (256);
  b.strings = lf->strings;
  src = unescape (preset ? preset : format);
  if (*src == '\0')
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE, _("empty log format"));
      return NULL;
    }
  b.lits = g_string_new (NULL);

  for (p = src; *p; p++)
    {
      const char *directive = p;
      g_autofree char *arg = NULL;
      g_autofree char *what = NULL;
      LnTimeFmt *timefmt = NULL;
      gboolean clf = FALSE;
      char letter;
      int type;

      if (*p != '%')
        {
          g_string_append_c (b.lits, *p);
          continue;
        }
      p++;
      if (*p == '%')
        {
          g_string_append_c (b.lits, '%');
          continue;
        }
      /* status conditions (%400,501{...}i, %!200u) and < > modifiers */
      while (*p == '!' || *p == ',' || *p == '<' || *p == '>' || g_ascii_isdigit (*p))
        p++;
      if (*p == '{')
        {
          const char *close = strchr (p, '}');
          if (close == NULL)
            {
              g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                           _("log format, column %d: unterminated '{'"),
                           (int) (p - src + 1));
              goto fail;
            }
          arg = g_strndup (p + 1, (gsize) (close - p - 1));
          p = close + 1;
        }
      letter = *p;
      if (letter == '\0')
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("log format, column %d: incomplete directive '%s'"),
                       (int) (directive - src + 1), directive);
          goto fail;
        }
      what = g_strndup (directive, (gsize) (p - directive + 1));
      type = directive_type (letter, arg);
      if (type < 0 || (needs_argument (letter) && arg == NULL)
          || (type == LN_FIELD_CLIENT && arg && strcmp (arg, "c") != 0))
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("log format, column %d: unknown directive '%s'"),
                       (int) (directive - src + 1), what);
          goto fail;
        }
      if (type == LN_FIELD_TIME)
        {
          /* the argument starts after "%{" and any condition or modifier */
          int arg_column = arg ? (int) (strchr (directive, '{') - src + 2) : 0;
          GError *local = NULL;

          timefmt = time_form (arg, arg_column, &clf, &local);
          if (local)
            {
              g_propagate_error (error, local);
              goto fail;
            }
        }
      if (clf)
        g_string_append_c (b.lits, '[');
      if (!builder_field (&b, (LnFieldType) type, what, arg, timefmt,
                          (int) (directive - src + 1), error))
        goto fail;
      if (clf)
        g_string_append_c (b.lits, ']');
    }
  if (builder_finish (&b, lf, error) == NULL)
    goto fail;
  return g_steal_pointer (&lf);

fail:
  builder_clear (&b);
  return NULL;
}

/* nginx variables and the field type each becomes; anything not listed is
 * opaque text (scanned for addresses), as nginx's own documentation lists
 * hundreds of variables and modules add more. */
static const struct {
  const char *name;
  LnFieldType type;
} nginx_vars[] = {
  { "remote_addr", LN_FIELD_CLIENT }, { "binary_remote_addr", LN_FIELD_CLIENT },
  { "realip_remote_addr", LN_FIELD_CLIENT },
  { "remote_user", LN_FIELD_USER }, { "time_local", LN_FIELD_TIME },
  { "request", LN_FIELD_REQUEST }, { "status", LN_FIELD_STATUS },
  { "body_bytes_sent", LN_FIELD_BYTES }, { "bytes_sent", LN_FIELD_BYTES },
  { "request_length", LN_FIELD_BYTES },
  { "http_referer", LN_FIELD_REFERER }, { "http_user_agent", LN_FIELD_USER_AGENT },
  { "host", LN_FIELD_VHOST }, { "server_name", LN_FIELD_VHOST },
  { "http_host", LN_FIELD_VHOST },
  { "server_port", LN_FIELD_PORT }, { "remote_port", LN_FIELD_PORT },
  { "request_time", LN_FIELD_DURATION_S },
  { "connection", LN_FIELD_NUMBER }, { "connection_requests", LN_FIELD_NUMBER },
  { "pid", LN_FIELD_NUMBER }, { "msec", LN_FIELD_TIME },
  { "time_iso8601", LN_FIELD_TIME },
  { "server_addr", LN_FIELD_SERVER_ADDR }, { "upstream_addr", LN_FIELD_SERVER_ADDR },
  { "uri", LN_FIELD_URL_PATH }, { "document_uri", LN_FIELD_URL_PATH },
  { "args", LN_FIELD_QUERY }, { "query_string", LN_FIELD_QUERY },
  { "request_uri", LN_FIELD_URI },
  { "http_x_forwarded_for", LN_FIELD_FORWARDED }, { "http_x_real_ip", LN_FIELD_FORWARDED },
  { "http_x_client_ip", LN_FIELD_FORWARDED }, { "http_true_client_ip", LN_FIELD_FORWARDED },
  { "http_cf_connecting_ip", LN_FIELD_FORWARDED },
  { "proxy_add_x_forwarded_for", LN_FIELD_FORWARDED },
};

static LnFieldType
nginx_var_type (const char *name)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (nginx_vars); i++)
    if (strcmp (name, nginx_vars[i].name) == 0)
      return nginx_vars[i].type;
  /* headers in and out, and cookies: personal unless kept */
  if (g_str_has_prefix (name, "http_") || g_str_has_prefix (name, "sent_http_")
      || g_str_has_prefix (name, "cookie_") || g_str_has_prefix (name, "upstream_http_")
      || g_str_has_prefix (name, "upstream_cookie_"))
    return LN_FIELD_HEADER;
  return LN_FIELD_OTHER;
}

LnLogFormat *
logformat_compile_nginx (const char *format, GError **error)
{
  g_autoptr (LnLogFormat) lf = g_new0 (LnLogFormat, 1);
  Builder b = { 0 };
  const char *p;

  lf->name = g_strdup (format);
  lf->strings = g_string_chunk_new (256);
  b.strings = lf->strings;
  if (*format == '\0')
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE, _("empty log format"));
      return NULL;
    }
  b.lits = g_string_new (NULL);
  for (p = format; *p; p++)
    {
      const char *start = p;
      g_autofree char *name = NULL;
      LnFieldType type = LN_FIELD_OTHER;

      if (*p != '$')
        {
          g_string_append_c (b.lits, *p);
          continue;
        }
      if (p[1] == '{')
        {
          const char *close = strchr (p, '}');

          if (close == NULL)
            {
              g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                           _("log format, column %d: unterminated '{'"),
                           (int) (p - format + 2));
              goto fail;
            }
          name = g_strndup (p + 2, (gsize) (close - p - 2));
          p = close;
        }
      else
        {
          const char *q = p + 1;

          while (g_ascii_isalnum (*q) || *q == '_')
            q++;
          if (q == p + 1)
            {
              g_string_append_c (b.lits, '$');
              continue;
            }
          name = g_strndup (p + 1, (gsize) (q - p - 1));
          p = q - 1;
        }
      type = nginx_var_type (name);
      {
        g_autofree char *what = g_strdup_printf ("$%s", name);
        LnTimeFmt *timefmt = NULL;

        /* $time_local is CLF (timefmt NULL) */
        if (strcmp (name, "time_iso8601") == 0)
          timefmt = timefmt_new_iso8601 ();
        else if (strcmp (name, "msec") == 0)
          timefmt = timefmt_new_msec ();
        if (!builder_field (&b, type, what, name, timefmt,
                            (int) (start - format + 1), error))
          goto fail;
      }
    }
  if (builder_finish (&b, lf, error) == NULL)
    goto fail;
  return g_steal_pointer (&lf);

fail:
  builder_clear (&b);
  return NULL;
}

void
logformat_free (LnLogFormat *format)
{
  size_t i;

  if (format == NULL)
    return;
  for (i = 0; i < format->nops; i++)
    timefmt_free (format->ops[i].timefmt);
  g_free (format->name);
  g_free (format->text);
  if (format->strings)
    g_string_chunk_free (format->strings);
  g_free (format);
}
