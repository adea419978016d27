/* parse.c - the per-line scanner (see parse.h). */
#include "config.h"

#include <string.h>
#include "bytescan.h"
#include "clfscan.h"
#include "i18n.h"
#include "parse.h"

/* parse_ops() below is compiled twice; these keep both copies as tight as
 * the one loop was (gcc stops inlining the helpers on its own). */
#if defined (__GNUC__)
# define LN_ALWAYS_INLINE inline __attribute__ ((__always_inline__))
# define LN_NOINLINE __attribute__ ((__noinline__))
#else
# define LN_ALWAYS_INLINE inline
# define LN_NOINLINE
#endif

static const struct {
  const char *key;
  const char *message;
} status_text[LN_PARSE__COUNT] = {
  [LN_PARSE_OK] = { "ok", N_("no error") },
  [LN_PARSE_EMPTY] = { "empty", N_("empty line") },
  [LN_PARSE_EXPECTED_TEXT] = { "layout", N_("line does not match the log format") },
  [LN_PARSE_EMPTY_FIELD] = { "empty_field", N_("empty field") },
  [LN_PARSE_UNTERMINATED_QUOTE] = { "quote", N_("unterminated quoted field") },
  [LN_PARSE_BAD_TIME] = { "time", N_("invalid timestamp") },
  [LN_PARSE_BAD_STATUS] = { "status", N_("invalid status code") },
  [LN_PARSE_BAD_BYTES] = { "bytes", N_("invalid byte count") },
  [LN_PARSE_BAD_NUMBER] = { "number", N_("invalid number") },
  [LN_PARSE_TRAILING_TEXT] = { "trailing", N_("unexpected text after the last field") },
  [LN_PARSE_TOO_MANY_FIELDS] = { "fields", N_("too many fields") },
  [LN_PARSE_RESIDUAL] = { "residual", N_("address outside the client field") },
  [LN_PARSE_KEY_ERASED] = { "key_erased", N_("the key for the record's period was erased") },
};

const char *
parse_status_message (LnParseStatus status)
{
  return status < LN_PARSE__COUNT ? status_text[status].message : "?";
}

const char *
parse_status_key (LnParseStatus status)
{
  return status < LN_PARSE__COUNT ? status_text[status].key : "?";
}

/* The auto-detection candidates: every preset, with and without the port
 * that Apache's vhost_combined writes after the virtual host. */
static const char *const auto_formats[] = {
  "combined",
  "common",
  "vhost_combined",
  "%v %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"",
  "%v:%p %h %l %u %t \"%r\" %>s %b",
  "vhost_common",
};

/* How parse_ops() validates a value (LnOp.check). */
enum {
  CHECK_NONE,
  CHECK_TIME,
  CHECK_STATUS,
  CHECK_BYTES,
  CHECK_PORT,
  CHECK_NUMBER,
  CHECK_VHOST,
};

/* Values that have a fixed width in the common formats (LnOp.shape): the
 * parser checks the byte after them instead of searching for it. */
enum {
  SHAPE_ANY,
  SHAPE_CLF_TIME,      /* %t: 26 bytes, then "]" */
  SHAPE_STATUS,        /* %>s: 3 digits, then " " */
};

/* How the end of a value is found (LnOp.find): LnScan and the literal
 * after it, combined. */
enum {
  FIND_QUOTED,         /* the closing quote */
  FIND_BYTE,           /* the literal's first byte, a space */
  FIND_BYTE_NO_SPACE,  /* the literal's first byte, with no space before it */
  FIND_LIST,           /* a space not after a comma ("a, b, c ") */
  FIND_LAST,           /* the end of the line, or a space before trailing fields */
  FIND_LAST_SPACES,    /* the end of the line */
  FIND_BEFORE_PORT,    /* the last ':' before the end of "ADDRESS:PORT" */
};

/* Per-line decisions that depend only on the format, made once.  Every
 * line of a format has its fields in the same order, so where each type
 * first occurs is known too; only extra trailing fields are added per
 * line. */
static void
prepare_format (LnLogFormat *lf)
{
  size_t i;

  memset (lf->first, -1, sizeof lf->first);
  for (i = 0; i < lf->nops; i++)
    {
      LnOp *op = &lf->ops[i];

      if (lf->first[op->type] < 0)
        lf->first[op->type] = (int8_t) i;
      switch (op->type)
        {
        case LN_FIELD_TIME: op->check = CHECK_TIME; break;
        case LN_FIELD_STATUS: op->check = CHECK_STATUS; break;
        case LN_FIELD_BYTES: op->check = CHECK_BYTES; break;
        case LN_FIELD_PORT: op->check = CHECK_PORT; break;
        case LN_FIELD_NUMBER:
        case LN_FIELD_DURATION_US:
        case LN_FIELD_DURATION_MS:
        case LN_FIELD_DURATION_S: op->check = CHECK_NUMBER; break;
        case LN_FIELD_VHOST: op->check = CHECK_VHOST; break;
        default: op->check = CHECK_NONE; break;
        }
      if (op->scan == LN_SCAN_QUOTED)
        op->find = FIND_QUOTED;
      else if (op->literal.len == 0)
        op->find = op->scan == LN_SCAN_BARE_SPACES ? FIND_LAST_SPACES : FIND_LAST;
      else if (op->scan == LN_SCAN_LIST && op->literal.p[0] == ' ')
        op->find = FIND_LIST;
      else if ((op->type == LN_FIELD_CLIENT || op->type == LN_FIELD_SERVER_ADDR)
               && op->literal.len == 1 && op->literal.p[0] == ':' && i + 1 < lf->nops
               && lf->ops[i + 1].type == LN_FIELD_PORT
               && lf->ops[i + 1].scan == LN_SCAN_BARE
               && (lf->ops[i + 1].literal.len == 0 || lf->ops[i + 1].literal.p[0] == ' '))
        /* "$remote_addr:$remote_port", "%a:%{remote}p": an IPv6 address
         * has colons of its own, but a port has none and is last */
        op->find = FIND_BEFORE_PORT;
      else if (op->scan == LN_SCAN_BARE && op->literal.p[0] != ' ')
        op->find = FIND_BYTE_NO_SPACE;
      else
        op->find = FIND_BYTE;
      op->may_be_empty = op->scan == LN_SCAN_QUOTED || op->type == LN_FIELD_QUERY;
      op->shape = SHAPE_ANY;
      if (op->check == CHECK_TIME && op->scan == LN_SCAN_BARE_SPACES
          && op->literal.len > 0 && op->literal.p[0] == ']')
        op->shape = SHAPE_CLF_TIME;
      else if (op->check == CHECK_STATUS && op->scan == LN_SCAN_BARE
               && op->literal.len > 0 && op->literal.p[0] == ' ')
        op->shape = SHAPE_STATUS;
      /* the end of a quoted value is its closing quote; any other value
       * with a literal after it ends where that literal's first byte is */
      op->literal_found = op->literal.len > 0 && op->scan != LN_SCAN_TIME
                          && (op->scan != LN_SCAN_QUOTED || op->literal.p[0] == '"');
    }
}

/* The shortcut for the Apache CLF family (LnParser.fast): "%h %l %u %t
 * \"%r\" %>s %b", optionally with the two quoted headers of combined after
 * it and "%v " or "%v:%p " before it.  It is chosen from the prepared ops,
 * not from the format's name, so an equivalent LogFormat string (or %a for
 * %h, %O for %b) gets it too; every property of an op that parse_ops()
 * looks at must match, so the shortcut never meets an op it would parse
 * differently. */
enum {
  FAST_ON = LN_CLF_ON,
  FAST_COMBINED = LN_CLF_COMBINED,     /* "%{Referer}i" "%{User-Agent}i" after %b */
  FAST_VHOST = LN_CLF_VHOST,           /* "%v " first */
  FAST_VHOST_PORT = LN_CLF_VHOST_PORT, /* "%v:%p " first */
  FAST_NO_IDENT = LN_CLF_NO_IDENT,     /* nginx: "$remote_addr - $remote_user [" */
};

static bool
op_is (const LnOp *op, uint8_t check, uint8_t find, uint8_t shape,
       bool may_be_empty, const char *literal)
{
  size_t len = strlen (literal);

  return op->check == check && op->find == find && op->shape == shape
         && op->may_be_empty == may_be_empty && op->scan != LN_SCAN_TIME
         && op->literal.len == len && memcmp (op->literal.p, literal, len) == 0;
}

static uint8_t
fast_kind (const LnLogFormat *lf)
{
  const LnOp *op = lf->ops;
  const LnOp *end = lf->ops + lf->nops;
  uint8_t kind = FAST_ON;

  if (lf->leading.len || lf->time_forms)
    return 0;
  if (end - op >= 1 && op_is (op, CHECK_VHOST, FIND_BYTE, SHAPE_ANY, false, " "))
    {
      kind |= FAST_VHOST;
      op++;
    }
  else if (end - op >= 2
           && op_is (op, CHECK_VHOST, FIND_BYTE_NO_SPACE, SHAPE_ANY, false, ":")
           && op_is (op + 1, CHECK_PORT, FIND_BYTE, SHAPE_ANY, false, " "))
    {
      kind |= FAST_VHOST_PORT;
      op += 2;
    }
  if (kind == FAST_ON && end - op >= 1
      && op_is (op, CHECK_NONE, FIND_LIST, SHAPE_ANY, false, " - "))
    {
      kind |= FAST_NO_IDENT;
      op++;
    }
  else if (end - op >= 2 && op_is (op, CHECK_NONE, FIND_LIST, SHAPE_ANY, false, " ")
           && op_is (op + 1, CHECK_NONE, FIND_BYTE, SHAPE_ANY, false, " "))
    op += 2;
  else
    return 0;
  if (end - op < 5
      || !op_is (op, CHECK_NONE, FIND_BYTE, SHAPE_ANY, false, " [")
      || !op_is (op + 1, CHECK_TIME, FIND_BYTE, SHAPE_CLF_TIME, false, "] \"")
      || !op_is (op + 2, CHECK_NONE, FIND_QUOTED, SHAPE_ANY, true, "\" ")
      || !op_is (op + 3, CHECK_STATUS, FIND_BYTE, SHAPE_STATUS, false, " "))
    return 0;
  op += 4;
  if (end - op == 1 && op_is (op, CHECK_BYTES, FIND_LAST, SHAPE_ANY, false, ""))
    return kind;
  if (end - op == 3 && op_is (op, CHECK_BYTES, FIND_BYTE, SHAPE_ANY, false, " \"")
      && op_is (op + 1, CHECK_NONE, FIND_QUOTED, SHAPE_ANY, true, "\" \"")
      && op_is (op + 2, CHECK_NONE, FIND_QUOTED, SHAPE_ANY, true, "\""))
    return kind | FAST_COMBINED;
  return 0;
}

/* After prepare_format() of every format. */
static void
prepare_fast (LnParser *parser)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (parser->fast); i++)
    parser->fast[i] = !parser->generic_only && i < parser->nformats
                      ? fast_kind (parser->formats[i]) : 0;
}

void
parser_set_generic_only (LnParser *parser)
{
  parser->generic_only = true;
  prepare_fast (parser);
}

gboolean
parser_init (LnParser *parser, const char *format, GError **error)
{
  memset (parser, 0, sizeof *parser);
  if (strcmp (format, "auto") == 0)
    {
      size_t i;

      for (i = 0; i < G_N_ELEMENTS (auto_formats); i++)
        {
          size_t k;

          parser->formats[i] = logformat_compile (auto_formats[i], error);
          if (parser->formats[i] == NULL)
            {
              parser_clear (parser);
              return FALSE;
            }
          /* "www.example.org:80 192.0.2.7 ..." belongs to the "%v:%p"
           * candidate whichever line came before: the port-less one must
           * not take "host:80" for a virtual host */
          for (k = 0; k < parser->formats[i]->nops; k++)
            if (parser->formats[i]->ops[k].type == LN_FIELD_VHOST
                && parser->formats[i]->ops[k].literal.len > 0
                && parser->formats[i]->ops[k].literal.p[0] == ' ')
              parser->formats[i]->vhost_no_port = TRUE;
          prepare_format (parser->formats[i]);
          parser->nformats++;
        }
      prepare_fast (parser);
      return TRUE;
    }
  parser->formats[0] = logformat_compile (format, error);
  if (parser->formats[0] == NULL)
    return FALSE;
  prepare_format (parser->formats[0]);
  parser->nformats = 1;
  prepare_fast (parser);
  return TRUE;
}

gboolean
parser_init_nginx (LnParser *parser, const char *format, GError **error)
{
  memset (parser, 0, sizeof *parser);
  parser->formats[0] = logformat_compile_nginx (format, error);
  if (parser->formats[0] == NULL)
    return FALSE;
  prepare_format (parser->formats[0]);
  parser->nformats = 1;
  prepare_fast (parser);
  return TRUE;
}

/* "X-Foo" and "x_foo" alike. */
static gboolean
header_name_equal (const char *a, const char *b)
{
  for (; *a && *b; a++, b++)
    {
      char ca = *a == '-' ? '_' : g_ascii_tolower (*a);
      char cb = *b == '-' ? '_' : g_ascii_tolower (*b);

      if (ca != cb)
        return FALSE;
    }
  return *a == *b;
}

void
parser_keep_headers (LnParser *parser, const char *const *names)
{
  static const char *const prefixes[] = { "upstream_http_", "sent_http_", "http_" };
  size_t i, k, j;
  const char *const *n;

  for (i = 0; i < parser->nformats; i++)
    for (k = 0; k < parser->formats[i]->nops; k++)
      {
        LnOp *op = &parser->formats[i]->ops[k];
        const char *name = op->name;

        if (op->type != LN_FIELD_HEADER || name == NULL)
          continue;
        if (op->directive[0] == '$')
          for (j = 0; j < G_N_ELEMENTS (prefixes); j++)
            if (g_str_has_prefix (name, prefixes[j]))
              {
                name += strlen (prefixes[j]);
                break;
              }
        for (n = names; n && *n; n++)
          if (header_name_equal (name, *n))
            op->type = LN_FIELD_OTHER;
      }
  for (i = 0; i < parser->nformats; i++)
    prepare_format (parser->formats[i]);
  prepare_fast (parser);
}

void
parser_clear (LnParser *parser)
{
  size_t i;

  for (i = 0; i < parser->nformats; i++)
    logformat_free (parser->formats[i]);
  memset (parser, 0, sizeof *parser);
}

/* End of a quoted field starting at @p: the first '"' not escaped by an odd
 * number of backslashes, or NULL.  @base is the start of the line. */
static LN_ALWAYS_INLINE const char *
quoted_end (const char *base, const char *p, const char *end)
{
  const char *q = p;

  while ((q = scan_byte_in (base, q, end, '"')) != NULL)
    {
      const char *b = q;

      while (b > p && b[-1] == '\\')
        b--;
      if (((q - b) & 1) == 0)
        return q;
      q++;
    }
  return NULL;
}

static LN_ALWAYS_INLINE bool
valid_status (LnSpan s, int *status)
{
  if (s.len == 3 && (unsigned) (s.p[0] - '0') <= 9 && (unsigned) (s.p[1] - '0') <= 9
      && (unsigned) (s.p[2] - '0') <= 9)
    {
      *status = (s.p[0] - '0') * 100 + (s.p[1] - '0') * 10 + (s.p[2] - '0');
      return true;
    }
  *status = -1;
  return span_is_dash (s);
}

static bool
valid_bytes (LnSpan s)
{
  size_t i;

  if (span_is_dash (s))
    return true;
  if (s.len == 0 || s.len > 20)
    return false;
  for (i = 0; i < s.len; i++)
    if ((unsigned) (s.p[i] - '0') > 9)
      return false;
  return true;
}

/* Digits with at most one '.', or "-". */
static bool
valid_number (LnSpan s)
{
  size_t i;
  int dots = 0;

  if (span_is_dash (s))
    return true;
  if (s.len == 0 || s.len > 24 || s.p[0] == '.' || s.p[s.len - 1] == '.')
    return false;
  for (i = 0; i < s.len; i++)
    if (s.p[i] == '.')
      {
        if (++dots > 1)
          return false;
      }
    else if ((unsigned) (s.p[i] - '0') > 9)
      return false;
  return true;
}

/* rec->first[] comes from the format (prepare_format), but for the trailing
 * fields after the last op. */
static inline void
add_field (LnRecord *rec, size_t *n, LnFieldType type, const char *p, const char *e)
{
  LnField *f = &rec->fields[(*n)++];

  /* out is set from the values, not read back from raw: a 16-byte load
   * of two 8-byte stores just made stalls on store forwarding (it was
   * 40% of the parser's time) */
  f->type = type;
  f->raw.p = p;
  f->raw.len = (size_t) (e - p);
  f->out.p = p;
  f->out.len = (size_t) (e - p);
  f->in_arena = false;
}

#define FAIL(status_, at_) \
  do { *fail_at = (at_); return (status_); } while (0)

/* A time that its op's timefmt delimits: sets *@q to its end and, when it
 * is the first time field with an instant, rec->time; a date, a time of
 * day or a zone alone is kept for combine_time_parts(). */
static bool
match_time (const LnOp *op, LnParser *parser, LnRecord *rec, const char *p,
            const char *end, const char **q)
{
  LnTime time;
  LnTimePart part;

  if (!timefmt_match (op->timefmt, &parser->timefmt_cache, p, end, q, &time))
    return false;
  part = timefmt_part (op->timefmt);
  if (part == LN_TIME_PART_INSTANT)
    {
      if (!rec->has_time)
        {
          rec->time = time;
          rec->has_time = true;
          parser->parts.instant_zoned = timefmt_zoned (op->timefmt);
        }
    }
  else if (part != LN_TIME_PART_NONE && !(parser->parts.seen & (1u << part)))
    {
      parser->parts.seen |= 1u << part;
      if (part == LN_TIME_PART_ZONE)
        parser->parts.zone = time.utc_offset;
      else
        {
          if (part == LN_TIME_PART_DATE)
            parser->parts.date = time.epoch;
          else
            parser->parts.clock = time.epoch;
          if (timefmt_zoned (op->timefmt))
            {
              parser->parts.parts_zoned = true;
              parser->parts.parts_offset = time.utc_offset;
            }
        }
    }
  return true;
}

/* After a line of the general path: a date and a time of day in fields of
 * their own make the instant, and a zone in a field of its own applies to
 * an instant whose format had none ("%{%d/%b/%Y:%T}t %{%z}t"). */
static void
combine_time_parts (LnParser *parser, LnRecord *rec)
{
  bool zoned = parser->parts.instant_zoned;
  const unsigned both = 1u << LN_TIME_PART_DATE | 1u << LN_TIME_PART_CLOCK;

  if (!rec->has_time && (parser->parts.seen & both) == both)
    {
      rec->time.epoch = parser->parts.date + parser->parts.clock;
      rec->time.utc_offset = parser->parts.parts_offset;
      rec->has_time = true;
      zoned = parser->parts.parts_zoned;
    }
  if (rec->has_time && !zoned && (parser->parts.seen & 1u << LN_TIME_PART_ZONE))
    {
      rec->time.epoch -= parser->parts.zone;
      rec->time.utc_offset = parser->parts.zone;
    }
}

/* The loop over the ops.  @general is a constant: FALSE leaves out the
 * code for time forms other than one %t, which otherwise costs the presets
 * a few percent of the parser's instructions (register allocation and
 * branch layout of the whole loop change, not just the added tests). */
static LN_ALWAYS_INLINE LnParseStatus
parse_ops (const LnLogFormat *lf, LnParser *parser, LnSpan line,
           LnRecord *rec, const char **fail_at, const bool general)
{
  const char *p = line.p;
  const char *end = line.p + line.len;
  size_t i, n = 0;     /* fields so far, in a register: rec->nfields is set
                        * on success only (parser_parse zeroes it otherwise) */

  rec->nfields = 0;
  memcpy (rec->first, lf->first, sizeof rec->first);
  rec->has_time = false;
  rec->status = -1;

  if (lf->leading.len)
    {
      if ((size_t) (end - p) < lf->leading.len
          || !bytes_equal (p, lf->leading.p, lf->leading.len))
        FAIL (LN_PARSE_EXPECTED_TEXT, p);
      p += lf->leading.len;
    }

  for (i = 0; i < lf->nops; i++)
    {
      const LnOp *op = &lf->ops[i];
      const char *start = p;
      const char *q;
      LnSpan value;

      if (general && op->scan == LN_SCAN_TIME)
        {
          /* the format knows where the time ends, spaces or quotes in it
           * or not */
          if (!match_time (op, parser, rec, p, end, &q))
            FAIL (LN_PARSE_BAD_TIME, p);
          add_field (rec, &n, op->type, p, q);
          p = q;
          if ((size_t) (end - p) < op->literal.len
              || !bytes_equal (p, op->literal.p, op->literal.len))
            FAIL (LN_PARSE_EXPECTED_TEXT, p);
          p += op->literal.len;
          continue;
        }
      /* The shortcuts take only what the general path would take the same
       * way; anything else goes on to it, and fails there as before. */
      if (op->shape == SHAPE_CLF_TIME && !general)
        {
          if (end - p > LN_CLFTIME_LEN && p[LN_CLFTIME_LEN] == ']'
              && clftime_parse_cached (&parser->time_cache,
                                       span_make (p, LN_CLFTIME_LEN), &rec->time))
            {
              rec->has_time = true;
              q = p + LN_CLFTIME_LEN;
              goto found;
            }
        }
      else if (op->shape == SHAPE_STATUS)
        {
          if (end - p > 3 && p[3] == ' '
              && valid_status (span_make (p, 3), &rec->status) && rec->status >= 0)
            {
              q = p + 3;
              goto found;
            }
        }
      switch (op->find)
        {
        case FIND_QUOTED:
          q = quoted_end (line.p, p, end);
          if (q == NULL)
            FAIL (LN_PARSE_UNTERMINATED_QUOTE, start);
          break;
        case FIND_BYTE:
        default:
          q = scan_byte_in (line.p, p, end, op->literal.p[0]);
          if (q == NULL)
            FAIL (LN_PARSE_EXPECTED_TEXT, end);
          break;
        case FIND_LIST:
          q = scan_byte_in (line.p, p, end, ' ');
          if (q == NULL)
            FAIL (LN_PARSE_EXPECTED_TEXT, end);
          /* "10.0.0.2, 10.0.0.1, 127.0.0.1 - -": a forwarded-for list
           * written where the client belongs */
          while (q > p && q[-1] == ',' && q + 1 < end)
            {
              const char *next = scan_byte_in (line.p, q + 1, end, ' ');
              if (next == NULL)
                break;
              q = next;
            }
          break;
        case FIND_BYTE_NO_SPACE:
          q = scan_byte_in (line.p, p, end, op->literal.p[0]);
          if (q == NULL)
            FAIL (LN_PARSE_EXPECTED_TEXT, end);
          {
            const char *space = scan_byte_in (line.p, p, q, ' ');
            if (space)
              FAIL (LN_PARSE_EXPECTED_TEXT, space);
          }
          break;
        case FIND_LAST:
          q = end;
          {
            const char *space = scan_byte_in (line.p, p, end, ' ');
            if (space)
              {
                if (!lf->trailing_fields)
                  FAIL (LN_PARSE_TRAILING_TEXT, space);
                q = space;
              }
          }
          break;
        case FIND_LAST_SPACES:
          q = end;
          break;
        case FIND_BEFORE_PORT:
          {
            const char *token_end = scan_byte_in (line.p, p, end, ' ');

            q = token_end ? token_end : end;
            while (q > p && q[-1] != ':')
              q--;
            if (q == p)
              FAIL (LN_PARSE_EXPECTED_TEXT, token_end ? token_end : end);
            q--;
          }
          break;
        }
      /* Apache writes %q as nothing at all when there is no query */
      if (q == p && !op->may_be_empty)
        FAIL (LN_PARSE_EMPTY_FIELD, p);

      value = span_make (p, (size_t) (q - p));
      switch (op->check)
        {
        case CHECK_NONE:
          break;
        case CHECK_TIME:
          /* %t, or $time_local.  The first time field that gives an
           * instant sets rec->time; a later one is only checked. */
          if (!general || !rec->has_time)
            {
              if (!clftime_parse_cached (&parser->time_cache, value, &rec->time))
                FAIL (LN_PARSE_BAD_TIME, p);
              rec->has_time = true;
            }
          else
            {
              LnTime spare;

              if (!clftime_parse (value, &spare))
                FAIL (LN_PARSE_BAD_TIME, p);
            }
          break;
        case CHECK_STATUS:
          if (!valid_status (value, &rec->status))
            FAIL (LN_PARSE_BAD_STATUS, p);
          break;
        case CHECK_BYTES:
          if (!valid_bytes (value))
            FAIL (LN_PARSE_BAD_BYTES, p);
          break;
        case CHECK_PORT:
          if (!valid_bytes (value) || span_is_dash (value))
            FAIL (LN_PARSE_EXPECTED_TEXT, p);
          break;
        case CHECK_NUMBER:
          /* numbers only: a field that can hold anything would have to be
           * scanned for addresses */
          if (!valid_number (value))
            FAIL (LN_PARSE_BAD_NUMBER, p);
          break;
        case CHECK_VHOST:
          /* "10.0.0.2, 192.0.2.9 - - [" is a forwarded-for list, not a
           * virtual host followed by a client */
          if (value.len > 0 && value.p[value.len - 1] == ',')
            FAIL (LN_PARSE_EXPECTED_TEXT, p);
          if (lf->vhost_no_port)
            {
              /* "host:80" (one colon, digits after it); an IPv6 literal has
               * more colons and stays a virtual host */
              const char *c = memchr (value.p, ':', value.len);

              if (c && c > value.p && c + 1 < value.p + value.len
                  && memchr (c + 1, ':', (size_t) (value.p + value.len - c - 1)) == NULL)
                {
                  const char *d = c + 1;

                  while (d < value.p + value.len && (unsigned) (*d - '0') <= 9)
                    d++;
                  if (d == value.p + value.len)
                    FAIL (LN_PARSE_EXPECTED_TEXT, p);
                }
            }
          break;
        default:
          break;
        }
    found:
      add_field (rec, &n, op->type, p, q);
      p = q;
      if (op->literal_found)
        {
          /* its first byte is where the scan stopped */
          if (op->literal.len > 1
              && ((size_t) (end - p) < op->literal.len
                  || !bytes_equal (p + 1, op->literal.p + 1, op->literal.len - 1)))
            FAIL (LN_PARSE_EXPECTED_TEXT, p);
          p += op->literal.len;
        }
      else if (op->literal.len)
        {
          if ((size_t) (end - p) < op->literal.len
              || !bytes_equal (p, op->literal.p, op->literal.len))
            FAIL (LN_PARSE_EXPECTED_TEXT, p);
          p += op->literal.len;
        }
    }

  /* Extra fields after a combined line: ` "quoted"` or ` bare`. */
  while (p < end)
    {
      const char *q;

      if (!lf->trailing_fields)
        FAIL (LN_PARSE_TRAILING_TEXT, p);
      if (*p != ' ' || p + 1 == end)
        FAIL (LN_PARSE_TRAILING_TEXT, p);
      p++;
      if (n == LN_MAX_FIELDS)
        FAIL (LN_PARSE_TOO_MANY_FIELDS, p);
      if (*p == '"')
        {
          q = quoted_end (line.p, p + 1, end);
          if (q == NULL)
            FAIL (LN_PARSE_UNTERMINATED_QUOTE, p);
          if (rec->first[LN_FIELD_TRAILING] < 0)
            rec->first[LN_FIELD_TRAILING] = (int8_t) n;
          add_field (rec, &n, LN_FIELD_TRAILING, p + 1, q);
          p = q + 1;
        }
      else
        {
          q = scan_byte_in (line.p, p, end, ' ');
          if (q == NULL)
            q = end;
          if (q == p)
            FAIL (LN_PARSE_EMPTY_FIELD, p);
          if (rec->first[LN_FIELD_TRAILING] < 0)
            rec->first[LN_FIELD_TRAILING] = (int8_t) n;
          add_field (rec, &n, LN_FIELD_TRAILING, p, q);
          p = q;
        }
    }
  rec->nfields = n;
  return LN_PARSE_OK;
}

/* The bytes of a CLF field, recorded as add_field() does. */
static LN_ALWAYS_INLINE void
set_field (LnField *f, const LnOp *op, const char *p, const char *e)
{
  f->type = op->type;
  f->raw.p = p;
  f->raw.len = (size_t) (e - p);
  f->out.p = p;
  f->out.len = (size_t) (e - p);
  f->in_arena = false;
}

/* The Apache CLF family in one pass with the field order and separators
 * known (see fast_kind()).  Returns false, leaving rec->nfields and the
 * parse result to parse_ops(), for any line that is not plainly of the
 * format: a backslash or an extra quote in a quoted value, a forwarded-for
 * list, trailing fields, an empty or odd value, anything parse_ops() would
 * reject.  Each test below is the narrow case of what parse_ops() does
 * for that op, so an accepted line gets exactly parse_ops()'s record.
 * @kind is a constant in every copy. */
static LN_ALWAYS_INLINE bool
parse_clf (const LnLogFormat *lf, LnParser *parser, LnSpan line, LnRecord *rec,
           const unsigned kind)
{
  const char *const base = line.p;
  const char *const end = line.p + line.len;
  const char *p = line.p;
  const char *q;
  const LnOp *op = lf->ops;
  LnField *f = rec->fields;
  LnTime time;
  unsigned s0, s1, s2;

  if (kind & FAST_VHOST)
    {
      /* FIND_BYTE, then CHECK_VHOST */
      q = scan_byte_in (base, p, end, ' ');
      if (q == NULL || q == p || q[-1] == ','
          || (lf->vhost_no_port && memchr (p, ':', (size_t) (q - p)) != NULL))
        return false;
      set_field (f++, op++, p, q);
      p = q + 1;
    }
  else if (kind & FAST_VHOST_PORT)
    {
      /* FIND_BYTE_NO_SPACE to the ':' (so no ':' in the value for
       * CHECK_VHOST to look at), then a port of 1-20 digits */
      q = scan_byte2_in (base, p, end, ':', ' ');
      if (q == NULL || *q != ':' || q == p || q[-1] == ',')
        return false;
      set_field (f++, op++, p, q);
      p = q + 1;
      q = skip_digits (p, end);
      if (q == p || q - p > 20 || q == end || *q != ' ')
        return false;
      set_field (f++, op++, p, q);
      p = q + 1;
    }

  /* %h: one token, not a "a, b" list (FIND_LIST) */
  q = scan_byte_in (base, p, end, ' ');
  if (q == NULL || q == p || q[-1] == ',')
    return false;
  set_field (f++, op++, p, q);
  if (kind & FAST_NO_IDENT)
    {
      /* the literal " - " */
      if (end - q < 3 || q[1] != '-' || q[2] != ' ')
        return false;
      p = q + 3;
    }
  else
    {
      /* %l: up to a space, non-empty, mostly "-" */
      p = q + 1;
      if (end - p >= 2 && p[0] == '-' && p[1] == ' ')
        q = p + 1;
      else
        {
          q = scan_byte_in (base, p, end, ' ');
          if (q == NULL || q == p)
            return false;
        }
      set_field (f++, op++, p, q);
      p = q + 1;
    }

  /* %u: the same, and " [" after it */
  if (end - p >= 2 && p[0] == '-' && p[1] == ' ')
    q = p + 1;
  else
    {
      q = scan_byte_in (base, p, end, ' ');
      if (q == NULL || q == p)
        return false;
    }
  if (end - q < 2 || q[1] != '[')
    return false;
  set_field (f++, op++, p, q);
  p = q + 2;

  /* %t: SHAPE_CLF_TIME, then "] \"" */
  if (end - p < LN_CLFTIME_LEN + 3 || p[LN_CLFTIME_LEN] != ']'
      || p[LN_CLFTIME_LEN + 1] != ' ' || p[LN_CLFTIME_LEN + 2] != '"'
      || (!clftime_cache_last (&parser->time_cache, p, &time)
          && !clftime_parse_cached (&parser->time_cache,
                                    span_make (p, LN_CLFTIME_LEN), &time)))
    return false;
  set_field (f++, op++, p, p + LN_CLFTIME_LEN);
  p += LN_CLFTIME_LEN + 3;

  /* %r: the first quote ends it when no backslash comes before it */
  q = scan_quote (base, p, end);
  if (q == NULL || *q != '"' || end - q < 2 || q[1] != ' ')
    return false;
  set_field (f++, op++, p, q);
  p = q + 2;

  /* %>s: SHAPE_STATUS, three digits and a space */
  if (end - p < 4 || p[3] != ' ')
    return false;
  s0 = (unsigned) (p[0] - '0');
  s1 = (unsigned) (p[1] - '0');
  s2 = (unsigned) (p[2] - '0');
  if (s0 > 9 || s1 > 9 || s2 > 9)
    return false;
  set_field (f++, op++, p, p + 3);
  p += 4;

  /* %b: "-" or 1-20 digits, up to a space (combined) or the end */
  q = bytes_end (p, end);
  if (q == NULL)
    return false;
  set_field (f++, op++, p, q);
  if (kind & FAST_COMBINED)
    {
      if (end - q < 2 || q[0] != ' ' || q[1] != '"')
        return false;
      p = q + 2;

      /* "%{Referer}i" "%{User-Agent}i", the line's last byte the closing
       * quote of the second: no trailing fields */
      q = scan_quote (base, p, end);
      if (q == NULL || *q != '"' || end - q < 3 || q[1] != ' ' || q[2] != '"')
        return false;
      set_field (f++, op++, p, q);
      p = q + 3;
      if (p == end || end[-1] != '"' || has_quote (base, p, end - 1))
        return false;
      set_field (f++, op++, p, end - 1);
    }
  else if (q != end)
    return false;

  rec->nfields = (size_t) (f - rec->fields);
  memcpy (rec->first, lf->first, sizeof rec->first);
  rec->has_time = true;
  rec->time = time;
  rec->status = (int) (s0 * 100 + s1 * 10 + s2);
  return true;
}

/* parse_clf() for @kind, with the kind a constant in each copy. */
static LN_NOINLINE bool
parse_fast (const LnLogFormat *lf, LnParser *parser, LnSpan line, LnRecord *rec,
            unsigned kind)
{
  switch (kind)
    {
    case FAST_ON | FAST_COMBINED:
      return parse_clf (lf, parser, line, rec, FAST_ON | FAST_COMBINED);
    case FAST_ON:
      return parse_clf (lf, parser, line, rec, FAST_ON);
    case FAST_ON | FAST_VHOST | FAST_COMBINED:
      return parse_clf (lf, parser, line, rec, FAST_ON | FAST_VHOST | FAST_COMBINED);
    case FAST_ON | FAST_VHOST:
      return parse_clf (lf, parser, line, rec, FAST_ON | FAST_VHOST);
    case FAST_ON | FAST_VHOST_PORT | FAST_COMBINED:
      return parse_clf (lf, parser, line, rec,
                        FAST_ON | FAST_VHOST_PORT | FAST_COMBINED);
    case FAST_ON | FAST_VHOST_PORT:
      return parse_clf (lf, parser, line, rec, FAST_ON | FAST_VHOST_PORT);
    case FAST_ON | FAST_NO_IDENT | FAST_COMBINED:
      return parse_clf (lf, parser, line, rec, FAST_ON | FAST_NO_IDENT | FAST_COMBINED);
    case FAST_ON | FAST_NO_IDENT:
      return parse_clf (lf, parser, line, rec, FAST_ON | FAST_NO_IDENT);
    default:
      return false;
    }
}

static LN_NOINLINE LnParseStatus
parse_general (const LnLogFormat *lf, LnParser *parser, LnSpan line,
               LnRecord *rec, const char **fail_at)
{
  LnParseStatus status;

  memset (&parser->parts, 0, sizeof parser->parts);
  parser->parts.instant_zoned = true;     /* %t has its zone */
  status = parse_ops (lf, parser, line, rec, fail_at, true);
  if (status == LN_PARSE_OK)
    combine_time_parts (parser, rec);
  return status;
}

static inline LnParseStatus
parse_with (const LnLogFormat *lf, unsigned fast, LnParser *parser, LnSpan line,
            LnRecord *rec, const char **fail_at)
{
  if (fast && parse_fast (lf, parser, line, rec, fast))
    return LN_PARSE_OK;
  if (lf->time_forms)
    return parse_general (lf, parser, line, rec, fail_at);
  return parse_ops (lf, parser, line, rec, fail_at, false);
}

gboolean
parser_parse_shortcut (LnParser *parser, size_t index, LnSpan line, LnRecord *rec)
{
  rec->line = line;
  if (index >= parser->nformats || parser->fast[index] == 0 || line.len == 0
      || !parse_fast (parser->formats[index], parser, line, rec, parser->fast[index]))
    return FALSE;
  rec->format_index = (int) index;
  return TRUE;
}

LnParseStatus
parser_parse (LnParser *parser, LnSpan line, LnRecord *rec, size_t *column)
{
  LnParseStatus best_status = LN_PARSE_EXPECTED_TEXT;
  const char *best_at = line.p;
  size_t k;

  rec->line = line;
  *column = 0;
  {
    /* the last winner's shortcut first, combined's inline (an empty
     * line is not for a shortcut) */
    size_t idx = parser->last_match;
    unsigned fast = parser->fast[idx];

    if (fast == (FAST_ON | FAST_COMBINED)
        ? parse_clf (parser->formats[idx], parser, line, rec, FAST_ON | FAST_COMBINED)
        : fast != 0 && parse_fast (parser->formats[idx], parser, line, rec, fast))
      {
        rec->format_index = (int) idx;
        return LN_PARSE_OK;
      }
  }
  if (line.len == 0)
    {
      rec->nfields = 0;
      memset (rec->first, -1, sizeof rec->first);
      *column = 1;
      return LN_PARSE_EMPTY;
    }
  for (k = 0; k < parser->nformats; k++)
    {
      /* the last winner first: logs rarely change format mid-file */
      size_t idx = k == 0 ? parser->last_match
                          : (k <= parser->last_match ? k - 1 : k);
      const char *at = line.p;
      LnParseStatus st;

      /* the first candidate's shortcut was tried above */
      st = parse_with (parser->formats[idx], k == 0 ? 0 : parser->fast[idx], parser,
                       line, rec, &at);
      if (st == LN_PARSE_OK)
        {
          parser->last_match = idx;
          rec->format_index = (int) idx;
          return LN_PARSE_OK;
        }
      if (at > best_at || k == 0)
        {
          best_at = at;
          best_status = st;
        }
    }
  rec->nfields = 0;
  memset (rec->first, -1, sizeof rec->first);
  *column = (size_t) (best_at - line.p) + 1;
  return best_status;
}
