/* anon.c - field rewriting and the residual scan (see anon.h). */
#include "config.h"

#include <string.h>
#include "anon.h"
#include "errors.h"
#include "residual.h"
#include "siphash.h"
#include "wipe.h"

static const LnSpan dash = { "-", 1 };
static const LnSpan placeholder = { LN_PLACEHOLDER, sizeof LN_PLACEHOLDER - 1 };

void
anon_init (LnAnon *anon, const LnAnonConfig *config, LnKeyring *keyring,
           LnPseudonymCache *cache)
{
  memset (anon, 0, sizeof *anon);
  anon->config = *config;
  anon->keyring = keyring;
  anon->cache = cache;
}

void
anon_clear (LnAnon *anon)
{
  g_clear_error (&anon->key_error);
}

size_t
anon_address (const LnAnon *anon, LnAddr *addr, char *out)
{
  uint8_t digest[LN_PSEUDONYM_BYTES];
  LnIpMode mode = anon->config.ip_mode;
  size_t n;

  if (LN_IP_MODE_KEYED (mode) && (anon->fallback || anon->key == NULL))
    mode = LN_IP_TRUNCATE;
  if (mode == LN_IP_COUNTRY)
    mode = LN_IP_DROP;    /* an address outside the client field: no geo */
  switch (mode)
    {
    case LN_IP_TRUNCATE:
      /* in place: after this the raw host bits exist nowhere */
      ipaddr_truncate (addr, anon->config.v4_bits, anon->config.v6_bits);
      return ipaddr_format (addr, out);
    case LN_IP_HMAC:
      pseudonym_compute (anon->cache, anon->key, anon->period, addr, digest);
      wipe_memory (addr, sizeof *addr);
      n = pseudonym_format_token (digest, out);
      break;
    case LN_IP_HMAC_IPV6:
      pseudonym_compute (anon->cache, anon->key, anon->period, addr, digest);
      wipe_memory (addr, sizeof *addr);
      n = pseudonym_format_ipv6 (digest, out);
      break;
    case LN_IP_TRUNCATE_HMAC:
      pseudonym_compute (anon->cache, anon->key, anon->period, addr, digest);
      ipaddr_truncate (addr, anon->config.v4_bits, anon->config.v6_bits);
      n = ipaddr_format (addr, out);
      out[n++] = '-';
      n += pseudonym_format_token (digest, out + n);
      break;
    case LN_IP_DROP:
    default:
      memset (addr, 0, sizeof *addr);
      memcpy (out, placeholder.p, placeholder.len);
      return placeholder.len;
    }
  wipe_memory (digest, sizeof digest);
  return n;
}

/* Picks the period key for a record.  FALSE when it was erased and the
 * policy is to fail. */
static gboolean
select_key (LnAnon *anon, const LnRecord *rec)
{
  int64_t epoch = rec && rec->has_time ? rec->time.epoch : (int64_t) (g_get_real_time () / G_USEC_PER_SEC);
  const LnHmacKey *key;

  anon->fallback = FALSE;
  anon->key_epoch = epoch;
  g_clear_error (&anon->key_error);
  key = keyring_lookup (anon->keyring, epoch, &anon->period, &anon->key_error);
  if (key)
    {
      anon->key = key;
      return TRUE;
    }
  anon->key = NULL;
  if (anon->config.expired_truncate
      && g_error_matches (anon->key_error, LN_ERROR, LN_ERROR_KEY_ERASED))
    {
      anon->fallback = TRUE;
      anon->stats.expired_truncated++;
      return TRUE;
    }
  return FALSE;
}

/* Notes the keyed digest of the record's raw client address for the
 * visitor sketches of --aggregate. */
static void
note_visitor (const LnAnon *anon, LnRecord *rec, const LnAddr *addr)
{
  uint8_t v6[16];

  ipaddr_to_v6_bytes (addr, v6);
  rec->visitor = siphash24 (anon->visitor_key, v6, sizeof v6);
  rec->has_visitor = true;
  wipe_memory (v6, sizeof v6);
}

/* One hop of a client field: an address (kept shape: brackets, zone,
 * port), or a placeholder.  The first hop is the client: with a geo
 * database its country is looked up here, on the raw address, before it
 * is anonymised.  Returns the family seen. */
static int
client_hop (const LnAnon *anon, LnSpan hop, LnRecord *rec, bool first, LnBuf *arena)
{
  LnHostToken tok;
  char text[LN_ANON_TEXT_MAX];
  size_t n;

  if (span_is_dash (hop) || span_eq_str (hop, "unknown"))
    {
      buf_append_span (arena, hop);
      return LN_AF_NONE;
    }
  if (!ipaddr_parse_host (hop, &tok))
    {
      if (first && anon->geo)
        memcpy (rec->country, "--", 3);
      if (anon->config.ip_mode == LN_IP_COUNTRY)
        buf_append (arena, "--", 2);
      else
        buf_append_span (arena, placeholder);
      return LN_AF_NONE;
    }
  {
    int family = tok.addr.family;
    LnIpMode mode = anon->config.ip_mode;
    char code[3] = "--";

    if (anon->geo && (first || mode == LN_IP_COUNTRY))
      geo_lookup (anon->geo, &tok.addr, code);
    if (first && anon->geo)
      memcpy (rec->country, code, 3);
    if (first && anon->visitor_key)
      note_visitor (anon, rec, &tok.addr);
    if (mode == LN_IP_COUNTRY)
      {
        wipe_memory (&tok.addr, sizeof tok.addr);
        buf_append (arena, code, 2);
        return family;
      }

    n = anon_address (anon, &tok.addr, text);
    /* A token is not an address: brackets, zone and port would make it
     * look like one, so only the address modes keep the shape. */
    if (mode == LN_IP_HMAC || mode == LN_IP_TRUNCATE_HMAC)
      buf_append (arena, text, n);
    else if (mode == LN_IP_HMAC_IPV6 && tok.before.len == 0 && tok.after.len > 0
             && tok.after.p[0] == ':')
      {
        /* an IPv4 address with a port became IPv6: the port needs brackets
         * now ("192.0.2.7:51234" -> "[2001:db8:...]:51234") */
        buf_append_c (arena, '[');
        buf_append (arena, text, n);
        buf_append_c (arena, ']');
        buf_append_span (arena, tok.after);
      }
    else
      {
        buf_append_span (arena, tok.before);
        buf_append (arena, text, n);
        buf_append_span (arena, tok.after);
      }
    return family;
  }
}

static void
rewrite_client (LnAnon *anon, LnRecord *rec, LnField *f, LnBuf *arena)
{
  const char *p = f->raw.p;
  const char *end = f->raw.p + f->raw.len;
  size_t off = arena->len;
  int family = -1;

  if (anon->config.ip_mode == LN_IP_DROP)
    {
      /* nothing of the address is written, but the country and the
       * visitor digest still come from its first hop, parsed once */
      if (anon->geo || anon->visitor_key)
        {
          const char *comma = memchr (p, ',', (size_t) (end - p));
          LnHostToken tok;

          if (ipaddr_parse_host (span_make (p, (size_t) ((comma ? comma : end) - p)), &tok))
            {
              if (anon->geo)
                geo_lookup (anon->geo, &tok.addr, rec->country);
              if (anon->visitor_key)
                note_visitor (anon, rec, &tok.addr);
            }
          wipe_memory (&tok.addr, sizeof tok.addr);
        }
      f->out = placeholder;
      anon->stats.clients_other++;
      return;
    }
  while (p < end)
    {
      const char *comma = memchr (p, ',', (size_t) (end - p));
      const char *hop_end = comma ? comma : end;
      int fam = client_hop (anon, span_make (p, (size_t) (hop_end - p)), rec,
                            family < 0, arena);

      if (family < 0)
        family = fam;
      if (comma == NULL)
        break;
      /* keep the list separator exactly as written: "," plus spaces */
      p = comma + 1;
      while (p < end && *p == ' ')
        p++;
      buf_append (arena, comma, (size_t) (p - comma));
    }
  if (family == LN_AF_INET)
    anon->stats.clients_v4++;
  else if (family == LN_AF_INET6)
    anon->stats.clients_v6++;
  else
    anon->stats.clients_other++;
  f->in_arena = true;
  f->arena_off = (uint32_t) off;
  f->out.len = arena->len - off;
}

/* Masks addresses in a free-text field.  Returns false when an address was
 * found and the policy makes that line malformed. */
static bool
scan_field (LnAnon *anon, const char *line, LnField *f, LnBuf *arena)
{
  const char *search = f->raw.p;   /* where the scanner resumes */
  const char *copied = f->raw.p;   /* end of the text already in the arena */
  const char *end = f->raw.p + f->raw.len;
  LnResidualMatch m;
  size_t off = 0;
  bool started = false;

  /* the lenient scan: recall matters more than a masked version number */
  while (residual_find_lenient (line, search, end, &m))
    {
      char text[LN_ANON_TEXT_MAX];
      size_t n = anon_address (anon, &m.addr, text);

      search = m.token.p + m.token.len;
      if (n == m.token.len && memcmp (text, m.token.p, n) == 0)
        continue;     /* already as coarse as the rule makes it (our output) */
      if (anon->config.residual == LN_RESIDUAL_MALFORMED)
        {
          anon->residual_at = m.token.p;
          return false;
        }
      if (!started)
        {
          off = arena->len;
          started = true;
        }
      buf_append (arena, copied, (size_t) (m.token.p - copied));
      buf_append (arena, text, n);
      copied = search;
      anon->stats.residual_masked++;
    }
  if (started)
    {
      buf_append (arena, copied, (size_t) (end - copied));
      f->in_arena = true;
      f->arena_off = (uint32_t) off;
      f->out.len = arena->len - off;
    }
  return true;
}

LnParseStatus
anon_record (LnAnon *anon, LnRecord *rec, LnBuf *arena)
{
  const LnAnonConfig *cfg = &anon->config;
  bool scan = cfg->residual != LN_RESIDUAL_OFF;
  size_t i;

  buf_reset (arena);
  rec->country[0] = '\0';
  rec->has_visitor = false;
  if (LN_IP_MODE_KEYED (cfg->ip_mode) && !select_key (anon, rec))
    return LN_PARSE_KEY_ERASED;
  for (i = 0; i < rec->nfields; i++)
    {
      LnField *f = &rec->fields[i];

      switch (f->type)
        {
        case LN_FIELD_CLIENT:
          if (rec->first[LN_FIELD_CLIENT] == (int8_t) i)
            rewrite_client (anon, rec, f, arena);
          else
            {
              /* a second client field (%h and %a both): same rule, no geo */
              LnGeo *geo = anon->geo;

              anon->geo = NULL;
              rewrite_client (anon, rec, f, arena);
              anon->geo = geo;
            }
          break;
        /* A field that already is "-" keeps its own bytes, so the writer
         * copies it along with its neighbours instead of splicing. */
        case LN_FIELD_IDENT:
        case LN_FIELD_USER:
          if (!(f->type == LN_FIELD_IDENT ? cfg->keep_ident : cfg->keep_user))
            {
              if (!span_is_dash (f->raw))
                f->out = dash;
            }
          else if (scan && !scan_field (anon, rec->line.p, f, arena))
            return LN_PARSE_RESIDUAL;
          break;
        case LN_FIELD_USER_AGENT:
          if (!cfg->keep_user_agent)
            {
              if (!span_is_dash (f->raw))
                f->out = dash;
              break;
            }
          /* a kept user agent is free text like the fields below */
          G_GNUC_FALLTHROUGH;
        case LN_FIELD_REQUEST:
        case LN_FIELD_REFERER:
        case LN_FIELD_VHOST:
        case LN_FIELD_OTHER:
        case LN_FIELD_TRAILING:
        case LN_FIELD_FORWARDED:
        case LN_FIELD_SERVER_ADDR:
        case LN_FIELD_HEADER:
        case LN_FIELD_URL_PATH:
        case LN_FIELD_QUERY:
        case LN_FIELD_URI:
          if (scan && !scan_field (anon, rec->line.p, f, arena))
            return LN_PARSE_RESIDUAL;
          break;
        case LN_FIELD_TIME:
        case LN_FIELD_STATUS:
        case LN_FIELD_BYTES:
        case LN_FIELD_PORT:
        case LN_FIELD_NUMBER:
        case LN_FIELD_DURATION_US:
        case LN_FIELD_DURATION_MS:
        case LN_FIELD_DURATION_S:
        case LN_FIELD__COUNT:
        default:
          break;
        }
    }
  /* the arena no longer grows: turn offsets into pointers */
  for (i = 0; i < rec->nfields; i++)
    if (rec->fields[i].in_arena)
      rec->fields[i].out.p = arena->data + rec->fields[i].arena_off;
  return LN_PARSE_OK;
}

size_t
anon_redact (LnAnon *anon, LnSpan text, LnBuf *out)
{
  const char *pos = text.p;
  const char *end = text.p + text.len;
  LnResidualMatch m;
  size_t count = 0;

  /* a malformed line has no trustworthy timestamp: use the key of the last
   * record, or of the present period */
  if (LN_IP_MODE_KEYED (anon->config.ip_mode) && anon->key == NULL && !anon->fallback)
    select_key (anon, NULL);
  while (residual_find_lenient (text.p, pos, end, &m))
    {
      char repl[LN_ANON_TEXT_MAX];
      size_t n = anon_address (anon, &m.addr, repl);

      buf_append (out, pos, (size_t) (m.token.p - pos));
      buf_append (out, repl, n);
      pos = m.token.p + m.token.len;
      count++;
    }
  buf_append (out, pos, (size_t) (end - pos));
  return count;
}
