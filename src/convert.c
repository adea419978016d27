/* convert.c - writing records in another log format (see convert.h).
 *
 * A target field takes the input field of the same meaning.  Meaning is a
 * key shared by both dialects: "%b" and "$body_bytes_sent" are "bytes",
 * "%{Referer}i" and "$http_referer" are the request header "i:referer".
 * Binding tries, in order: the same directive, the same exact key, the same
 * key class (any byte count for a byte count), the same field type for
 * the fields a line has once (client, user, vhost...), and for %m %U %q %H
 * the matching part of the request line; else the field is absent and
 * written "-", as Apache writes what it does not know.
 */
#include "config.h"

#include <string.h>
#include "columns.h"
#include "convert.h"
#include "errors.h"
#include "i18n.h"
#include "writer.h"

typedef enum {
  CV_ABSENT,            /* "-" */
  CV_COPY,              /* the source's out text */
  CV_TIME,              /* %t: the source's text, or rec->time as CLF */
  CV_BYTES_DASH,        /* %b: a zero count is "-" */
  CV_BYTES_ZERO,        /* %B %O %I %S: "-" (zero) is "0" */
  CV_DURATION,          /* %D %T %{ms}T from another unit */
  CV_METHOD,            /* parts of the source's request line */
  CV_PATH,
  CV_QUERY,
  CV_PROTOCOL,
  CV_URI_PATH,          /* parts of the source's $request_uri */
  CV_URI_QUERY,
  CV_ARGS,              /* %q from $args: "?" is put in front */
} CvKind;

enum { UNIT_US, UNIT_MS, UNIT_S };

typedef struct {
  int8_t src;           /* field index in the record; -1: none */
  uint8_t kind;         /* CvKind */
  uint8_t from_unit, to_unit;
  bool escape;          /* unquoted source, quoted target: Apache's escapes */
  bool quoted;          /* the target position is between quotes */
} CvField;

struct LnConvert {
  LnLogFormat *target;
  size_t nsources;
  CvField map[G_N_ELEMENTS (((LnParser *) 0)->formats)][LN_MAX_FIELDS];
};

/* --------------------------------------------------------------- keys */

typedef struct {
  char cls[96];         /* meaning: "bytes", "client", "i:x-forwarded-for" */
  char fine[96];        /* finer where a class has members: "bytes_body" */
} Key;

static void
key_set (Key *k, const char *cls, const char *fine)
{
  g_strlcpy (k->cls, cls, sizeof k->cls);
  g_strlcpy (k->fine, fine ? fine : cls, sizeof k->fine);
}

/* "i:" + header name: lower case, nginx's '_' as '-' (cookies and
 * environment variables keep their case). */
static void
key_named (Key *k, char kind, const char *name, gboolean fold)
{
  size_t n = 0;

  k->cls[n++] = kind;
  k->cls[n++] = ':';
  for (; *name && n + 1 < sizeof k->cls; name++)
    {
      char c = *name;

      if (fold)
        c = c == '_' ? '-' : g_ascii_tolower (c);
      k->cls[n++] = c;
    }
  k->cls[n] = '\0';
  memcpy (k->fine, k->cls, n + 1);
}

static void
apache_key (char letter, const char *name, Key *k)
{
  switch (letter)
    {
    case 'h': case 'a': key_set (k, "client", NULL); break;
    case 'l': key_set (k, "ident", NULL); break;
    case 'u': key_set (k, "user", NULL); break;
    case 't':
      if (name)
        key_named (k, 't', name, FALSE);
      else
        key_set (k, "time", NULL);
      break;
    case 'r': key_set (k, "request", NULL); break;
    case 's': key_set (k, "status", NULL); break;
    case 'b': case 'B': key_set (k, "bytes", "bytes_body"); break;
    case 'O': key_set (k, "bytes", "bytes_sent"); break;
    case 'I': key_set (k, "bytes_in", NULL); break;
    case 'S': key_set (k, "bytes_all", NULL); break;
    case 'v': case 'V': key_set (k, "vhost", NULL); break;
    case 'p':
      if (name == NULL || strcmp (name, "canonical") == 0 || strcmp (name, "local") == 0)
        key_set (k, "port", NULL);
      else if (strcmp (name, "remote") == 0)
        key_set (k, "remote_port", NULL);
      else
        key_named (k, 'p', name, FALSE);
      break;
    case 'D': case 'T': key_set (k, "duration", NULL); break;
    case 'P':
      if (name == NULL || strcmp (name, "pid") == 0)
        key_set (k, "pid", NULL);
      else
        key_named (k, 'P', name, FALSE);
      break;
    case 'k': key_set (k, "keepalive", NULL); break;
    case 'A': key_set (k, "server_addr", NULL); break;
    case 'U': key_set (k, "path", NULL); break;
    case 'q': key_set (k, "query", "query_apache"); break;
    case 'm': key_set (k, "method", NULL); break;
    case 'H': key_set (k, "protocol", NULL); break;
    case 'f': key_set (k, "filename", NULL); break;
    case 'i': case 'o': key_named (k, letter, name ? name : "", TRUE); break;
    case 'C': case 'e': case 'n': case 'x':
      key_named (k, letter, name ? name : "", FALSE);
      break;
    default:
      {
        char other[3] = { '%', letter, '\0' };
        key_set (k, other, NULL);
      }
      break;
    }
}

/* nginx variables with an Apache equivalent. */
static const struct {
  const char *var;
  const char *cls;
  const char *fine;
} nginx_keys[] = {
  { "remote_addr", "client", NULL }, { "binary_remote_addr", "client", NULL },
  { "realip_remote_addr", "client", NULL }, { "remote_user", "user", NULL },
  { "time_local", "time", NULL }, { "request", "request", NULL },
  { "status", "status", NULL },
  { "body_bytes_sent", "bytes", "bytes_body" }, { "bytes_sent", "bytes", "bytes_sent" },
  { "request_length", "bytes_in", NULL },
  { "host", "vhost", NULL }, { "server_name", "vhost", NULL },
  { "server_port", "port", NULL }, { "remote_port", "remote_port", NULL },
  { "request_time", "duration", NULL }, { "pid", "pid", NULL },
  { "server_addr", "server_addr", NULL },
  { "uri", "path", NULL }, { "document_uri", "path", NULL },
  { "args", "query", "query_nginx" }, { "query_string", "query", "query_nginx" },
  { "request_uri", "uri", NULL }, { "request_method", "method", NULL },
  { "server_protocol", "protocol", NULL }, { "request_filename", "filename", NULL },
};

static void
nginx_key (const char *name, Key *k)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (nginx_keys); i++)
    if (strcmp (name, nginx_keys[i].var) == 0)
      {
        key_set (k, nginx_keys[i].cls, nginx_keys[i].fine);
        return;
      }
  if (g_str_has_prefix (name, "http_"))
    key_named (k, 'i', name + 5, TRUE);
  else if (g_str_has_prefix (name, "sent_http_"))
    key_named (k, 'o', name + 10, TRUE);
  else if (g_str_has_prefix (name, "cookie_"))
    key_named (k, 'C', name + 7, FALSE);
  else
    key_named (k, '$', name, FALSE);
}

static void
op_key (const LnOp *op, Key *k)
{
  const char *d = op->directive;

  if (d[0] == '$')
    nginx_key (op->name ? op->name : d + 1, k);
  else
    apache_key (d[strlen (d) - 1], op->name, k);
}

/* Types a line has at most one of, so that the type alone says which
 * field it is ($http_host is a virtual host, and so is %v). */
static gboolean
singular_type (LnFieldType t)
{
  switch (t)
    {
    case LN_FIELD_CLIENT: case LN_FIELD_IDENT: case LN_FIELD_USER:
    case LN_FIELD_REQUEST: case LN_FIELD_STATUS: case LN_FIELD_REFERER:
    case LN_FIELD_USER_AGENT: case LN_FIELD_VHOST: case LN_FIELD_SERVER_ADDR:
      return TRUE;
    default:
      return FALSE;
    }
}

static int
unit_of (LnFieldType t)
{
  return t == LN_FIELD_DURATION_US ? UNIT_US : t == LN_FIELD_DURATION_MS ? UNIT_MS : UNIT_S;
}

static gboolean
is_duration (LnFieldType t)
{
  return t == LN_FIELD_DURATION_US || t == LN_FIELD_DURATION_MS || t == LN_FIELD_DURATION_S;
}

/* The first op of @src for which @pass says yes, or -1. */
static int
find_source (const LnLogFormat *src, const LnOp *op, const Key *key, int pass)
{
  size_t i;

  for (i = 0; i < src->nops; i++)
    {
      const LnOp *s = &src->ops[i];
      Key sk;

      if (pass == 0)
        {
          if (s->directive[0] != '$' && strcmp (s->directive, op->directive) == 0)
            return (int) i;
          continue;
        }
      if (pass == 3)
        {
          if (s->type == op->type && singular_type (op->type))
            return (int) i;
          continue;
        }
      op_key (s, &sk);
      if (pass == 1 && strcmp (sk.fine, key->fine) == 0)
        return (int) i;
      if (pass == 2 && strcmp (sk.cls, key->cls) == 0)
        return (int) i;
    }
  return -1;
}

static int
find_by_class (const LnLogFormat *src, const char *cls)
{
  Key k;

  key_set (&k, cls, NULL);
  return find_source (src, NULL, &k, 2);
}

static CvField
bind_field (const LnLogFormat *src, const LnOp *op)
{
  CvField f = { -1, CV_ABSENT, 0, 0, false, op->scan == LN_SCAN_QUOTED };
  Key key;
  int s = -1, pass;

  op_key (op, &key);
  for (pass = 0; pass < 4 && s < 0; pass++)
    {
      /* a time in another form than CLF is formatted from rec->time */
      if (pass == 3 && op->type == LN_FIELD_TIME)
        break;
      s = find_source (src, op, &key, pass);
    }
  if (s < 0)
    {
      if (op->type == LN_FIELD_TIME)
        f.kind = CV_TIME;
      else if (strcmp (key.cls, "method") == 0 || strcmp (key.cls, "path") == 0
               || strcmp (key.cls, "query") == 0 || strcmp (key.cls, "protocol") == 0)
        {
          int r = find_by_class (src, "request");
          int u = find_by_class (src, "uri");

          if (u >= 0 && (strcmp (key.cls, "path") == 0 || strcmp (key.cls, "query") == 0))
            {
              s = u;
              f.kind = key.cls[0] == 'p' ? CV_URI_PATH : CV_URI_QUERY;
            }
          else if (r >= 0)
            {
              s = r;
              f.kind = key.cls[0] == 'm' ? CV_METHOD
                       : strcmp (key.cls, "path") == 0 ? CV_PATH
                       : key.cls[0] == 'q' ? CV_QUERY : CV_PROTOCOL;
            }
        }
      if (s < 0)
        return f;
    }
  else if (op->type == LN_FIELD_TIME)
    f.kind = CV_TIME;
  else if (strncmp (key.cls, "bytes", 5) == 0)
    f.kind = op->directive[strlen (op->directive) - 1] == 'b' ? CV_BYTES_DASH : CV_BYTES_ZERO;
  else if (is_duration (op->type) && is_duration (src->ops[s].type)
           && unit_of (op->type) != unit_of (src->ops[s].type))
    {
      f.kind = CV_DURATION;
      f.from_unit = (uint8_t) unit_of (src->ops[s].type);
      f.to_unit = (uint8_t) unit_of (op->type);
    }
  else if (strcmp (key.fine, "query_apache") == 0 && op->directive[0] != '$'
           && src->ops[s].directive[0] == '$')
    f.kind = CV_ARGS;
  else
    f.kind = CV_COPY;
  f.src = (int8_t) s;
  f.escape = f.quoted && src->ops[s].scan != LN_SCAN_QUOTED;
  return f;
}

gboolean
convert_is_target (const char *name)
{
  return logformat_preset (name) != NULL || strchr (name, '%') != NULL;
}

LnLogFormat *
convert_compile_target (const char *target, GError **error)
{
  g_autoptr (LnLogFormat) lf = logformat_compile (target, error);
  size_t i;

  if (lf == NULL)
    {
      g_prefix_error (error, "--output-format: ");
      return NULL;
    }
  for (i = 0; i < lf->nops; i++)
    {
      const char *d = lf->ops[i].directive;

      if (d[strlen (d) - 1] == 't' && lf->ops[i].name != NULL)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("--output-format: '%s': lognym writes times as %%t only"), d);
          return NULL;
        }
    }
  return g_steal_pointer (&lf);
}

LnConvert *
convert_new (const char *target, const LnParser *parser, GError **error)
{
  LnConvert *cv;
  LnLogFormat *lf = convert_compile_target (target, error);
  size_t k, i;

  if (lf == NULL)
    return NULL;
  cv = g_new0 (LnConvert, 1);
  cv->target = lf;
  cv->nsources = parser->nformats;
  for (k = 0; k < parser->nformats; k++)
    for (i = 0; i < lf->nops; i++)
      cv->map[k][i] = bind_field (parser->formats[k], &lf->ops[i]);
  return cv;
}

void
convert_free (LnConvert *cv)
{
  if (cv == NULL)
    return;
  logformat_free (cv->target);
  g_free (cv);
}

/* ------------------------------------------------------------- writing */

/* What Apache's ap_escape_logitem does to a value it writes: \" \\, the
 * C escapes for \b \n \r \t \v and \xhh for other control bytes.  Bytes
 * from 0x80 up are left alone: the log keeps its UTF-8. */
static void
put_escaped (LnBuf *out, LnSpan v)
{
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *) v.p;
  const unsigned char *end = p + v.len;
  const unsigned char *run = p;

  for (; p < end; p++)
    {
      unsigned c = *p;
      char esc[4] = { '\\', 0, 0, 0 };
      size_t n = 2;

      if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\')
        continue;
      buf_append (out, run, (size_t) (p - run));
      switch (c)
        {
        case '"': case '\\': esc[1] = (char) c; break;
        case '\b': esc[1] = 'b'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\v': esc[1] = 'v'; break;
        default:
          esc[1] = 'x';
          esc[2] = hex[c >> 4];
          esc[3] = hex[c & 15];
          n = 4;
          break;
        }
      buf_append (out, esc, n);
      run = p + 1;
    }
  buf_append (out, run, (size_t) (p - run));
}

static void
put_value (LnBuf *out, const CvField *f, LnSpan v)
{
  /* an empty unquoted field would make the line unreadable */
  if (v.len == 0 && !f->quoted)
    buf_append_c (out, '-');
  else if (f->escape)
    put_escaped (out, v);
  else
    buf_append_span (out, v);
}

static size_t
put_uint (char *o, guint64 v)
{
  char tmp[24];
  size_t n = 0, i;

  do
    tmp[n++] = (char) ('0' + v % 10);
  while ((v /= 10) != 0);
  for (i = 0; i < n; i++)
    o[i] = tmp[n - 1 - i];
  return n;
}

static const char months[12][4] = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static void
put2 (char *o, unsigned v)
{
  o[0] = (char) ('0' + v / 10 % 10);
  o[1] = (char) ('0' + v % 10);
}

/* rec->time as "10/Oct/2000:13:55:36 -0700", in the offset it was read
 * with. */
static void
put_clf (LnBuf *out, LnTime t)
{
  char o[LN_CLFTIME_LEN];
  int64_t local = t.epoch + t.utc_offset;
  int64_t days = clftime_floor_div (local, 86400);
  int64_t secs = local - days * 86400, y;
  unsigned m, d, off = (unsigned) (t.utc_offset < 0 ? -t.utc_offset : t.utc_offset) / 60;

  clftime_civil_from_days (days, &y, &m, &d);
  if (y < 0 || y > 9999)
    {
      buf_append_c (out, '-');
      return;
    }
  put2 (o, d);
  o[2] = '/';
  memcpy (o + 3, months[m - 1], 3);
  o[6] = '/';
  put2 (o + 7, (unsigned) (y / 100));
  put2 (o + 9, (unsigned) (y % 100));
  o[11] = ':';
  put2 (o + 12, (unsigned) (secs / 3600));
  o[14] = ':';
  put2 (o + 15, (unsigned) (secs / 60 % 60));
  o[17] = ':';
  put2 (o + 18, (unsigned) (secs % 60));
  o[20] = ' ';
  o[21] = t.utc_offset < 0 ? '-' : '+';
  put2 (o + 22, off / 60);
  put2 (o + 24, off % 60);
  buf_append (out, o, sizeof o);
}

static void
write_field (const CvField *f, const LnRecord *rec, LnBuf *out)
{
  LnSpan v, method, target, protocol;
  const char *q;

  if (f->src < 0 || (size_t) f->src >= rec->nfields)
    {
      if (f->kind == CV_TIME && rec->has_time)
        put_clf (out, rec->time);
      else
        buf_append_c (out, '-');
      return;
    }
  v = rec->fields[f->src].out;
  switch ((CvKind) f->kind)
    {
    case CV_BYTES_DASH:
      if (v.len == 1 && v.p[0] == '0')
        v = span_make ("-", 1);
      break;
    case CV_BYTES_ZERO:
      if (span_is_dash (v))
        v = span_make ("0", 1);
      break;
    case CV_DURATION:
      {
        static const guint64 scale[] = { 1, 1000, 1000000 };
        char num[24];
        guint64 us;

        /* Apache truncates: 1.9 s is "%T" 1 */
        if (!columns_parse_micros (v, scale[f->from_unit], &us))
          break;
        buf_append (out, num, put_uint (num, us / scale[f->to_unit]));
        return;
      }
    case CV_METHOD: case CV_PATH: case CV_QUERY: case CV_PROTOCOL:
      if (v.len == 0 || span_is_dash (v))
        break;
      columns_split_request (v, &method, &target, &protocol);
      q = target.len ? memchr (target.p, '?', target.len) : NULL;
      if (f->kind == CV_METHOD)
        v = method;
      else if (f->kind == CV_PROTOCOL)
        v = protocol;
      else if (f->kind == CV_PATH)
        v = q ? span_make (target.p, (size_t) (q - target.p)) : target;
      else   /* Apache's %q keeps its "?" */
        v = q ? span_make (q, (size_t) (target.p + target.len - q)) : span_make (q, 0);
      break;
    case CV_URI_PATH: case CV_URI_QUERY:
      if (span_is_dash (v))
        break;
      q = memchr (v.p, '?', v.len);
      if (f->kind == CV_URI_PATH)
        v = q ? span_make (v.p, (size_t) (q - v.p)) : v;
      else
        v = q ? span_make (q, (size_t) (v.p + v.len - q)) : span_make (v.p, 0);
      break;
    case CV_ARGS:
      if (v.len > 0 && !span_is_dash (v))
        buf_append_c (out, '?');
      break;
    case CV_ABSENT: case CV_COPY: case CV_TIME:
    default:
      break;
    }
  put_value (out, f, v);
}

void
convert_write_record (const LnConvert *cv, const LnRecord *rec, LnBuf *out)
{
  const LnLogFormat *lf = cv->target;
  size_t k = (size_t) rec->format_index < cv->nsources ? (size_t) rec->format_index : 0;
  const CvField *map = cv->map[k];
  size_t i;

  buf_reserve (out, rec->line.len + 128);
  buf_append_span (out, lf->leading);
  for (i = 0; i < lf->nops; i++)
    {
      write_field (&map[i], rec, out);
      buf_append_span (out, lf->ops[i].literal);
    }
  writer_end_line (out, rec->eol);
}

static void
convert_writer_record (LnWriter *writer, const LnRecord *rec, LnBuf *out)
{
  convert_write_record (writer->convert, rec, out);
}

const LnWriterOps writer_convert_ops = {
  .name = "convert",
  .begin = NULL,
  .write_record = convert_writer_record,
  .finish = NULL,
};
