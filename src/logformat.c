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
      return arg ? LN_FIELD_OTHER : LN_FIELD_TIME;
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
    case 'A': case 'f': case 'H': case 'm': case 'q': case 'U': case 'R':
    case 'L': case 'X':
      return LN_FIELD_OTHER;
    case 'i':
      if (arg && g_ascii_strcasecmp (arg, "Referer") == 0)
        return LN_FIELD_REFERER;
      if (arg && g_ascii_strcasecmp (arg, "User-Agent") == 0)
        return LN_FIELD_USER_AGENT;
      return LN_FIELD_OTHER;
    case 'o': case 'C': case 'e': case 'n': case 'x':
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

LnLogFormat *
logformat_compile (const char *format, GError **error)
{
  g_autoptr (LnLogFormat) lf = g_new0 (LnLogFormat, 1);
  g_autoptr (GString) lits = g_string_new (NULL);
  g_autofree char *src = NULL;
  Piece pieces[LN_MAX_FIELDS + 1];  /* literal after field i is pieces[i+1] */
  gsize lit_start = 0;
  size_t nfields = 0;
  const char *preset;
  const char *p;
  size_t i;

  preset = logformat_preset (format);
  lf->name = g_strdup (format);
  src = unescape (preset ? preset : format);
  if (*src == '\0')
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE, _("empty log format"));
      return NULL;
    }

  for (p = src; *p; p++)
    {
      const char *directive = p;
      g_autofree char *arg = NULL;
      char letter;
      int type;

      if (*p != '%')
        {
          g_string_append_c (lits, *p);
          continue;
        }
      p++;
      if (*p == '%')
        {
          g_string_append_c (lits, '%');
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
              return NULL;
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
          return NULL;
        }
      type = directive_type (letter, arg);
      if (type < 0 || (needs_argument (letter) && arg == NULL))
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("log format, column %d: unknown directive '%.*s'"),
                       (int) (directive - src + 1), (int) (p - directive + 1), directive);
          return NULL;
        }
      if (type == LN_FIELD_CLIENT && arg && strcmp (arg, "c") != 0)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("log format, column %d: unknown directive '%.*s'"),
                       (int) (directive - src + 1), (int) (p - directive + 1), directive);
          return NULL;
        }
      if (nfields + 1 >= LN_MAX_FIELDS)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("log format has more than %d fields"), LN_MAX_FIELDS - 1);
          return NULL;
        }
      if (type == LN_FIELD_TIME)
        g_string_append_c (lits, '[');
      if (nfields > 0 && lits->len == lit_start)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("log format, column %d: directive '%.*s' must be separated "
                         "from the one before it"),
                       (int) (directive - src + 1), (int) (p - directive + 1), directive);
          return NULL;
        }
      pieces[nfields].off = lit_start;
      pieces[nfields].len = lits->len - lit_start;
      lf->ops[nfields].type = (LnFieldType) type;
      nfields++;
      lit_start = lits->len;
      if (type == LN_FIELD_TIME)
        g_string_append_c (lits, ']');
    }
  if (nfields == 0)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                   _("log format has no directive"));
      return NULL;
    }
  pieces[nfields].off = lit_start;
  pieces[nfields].len = lits->len - lit_start;

  lf->nops = nfields;
  lf->text = g_string_free (g_steal_pointer (&lits), FALSE);
  lf->leading = span_make (lf->text + pieces[0].off, pieces[0].len);
  for (i = 0; i < nfields; i++)
    {
      LnOp *op = &lf->ops[i];
      const Piece *before = &pieces[i], *after = &pieces[i + 1];

      op->literal = span_make (lf->text + after->off, after->len);
      if (before->len > 0 && lf->text[before->off + before->len - 1] == '"'
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
  lf->trailing_fields = lf->ops[nfields - 1].type == LN_FIELD_USER_AGENT
                        && lf->ops[nfields - 1].literal.len <= 1;
  return g_steal_pointer (&lf);
}

void
logformat_free (LnLogFormat *format)
{
  if (format == NULL)
    return;
  g_free (format->name);
  g_free (format->text);
  g_free (format);
}
