/* anon.c - field rewriting and the residual scan (see anon.h). */
#include "config.h"

#include <string.h>
#include "anon.h"
#include "bytescan.h"
#include "errors.h"
#include "residual.h"
#include "sha256.h"
#include "siphash.h"
#include "wipe.h"

/* anon_field() is one step of anon_record()'s loop: a call per field cost
 * more than the work of most fields. */
#if defined (__GNUC__)
# define LN_ALWAYS_INLINE inline __attribute__ ((__always_inline__))
#else
# define LN_ALWAYS_INLINE inline
#endif

static const LnSpan dash = { "-", 1 };
static const LnSpan placeholder = { LN_PLACEHOLDER, sizeof LN_PLACEHOLDER - 1 };

/* @f's output is the arena's text from @off to its end.  out.p is set
 * now, and again at the end of the record if the arena moved since. */
static inline void
out_in_arena (LnField *f, const LnBuf *arena, size_t off)
{
  f->in_arena = true;
  f->arena_off = (uint32_t) off;
  f->out.p = arena->data + off;
  f->out.len = arena->len - off;
}

/* What anon_record() does with a field, by type: decided once from the
 * configuration, so the per-field work is one switch. */
enum {
  ACT_KEEP,          /* written as it is, not scanned: times, numbers, ... */
  ACT_CLIENT,        /* the client field */
  ACT_ADDRESSES,     /* another list of client addresses */
  ACT_DASH,          /* written as "-" */
  ACT_SCAN,          /* free text: the residual scan */
  ACT_USER,          /* %u under --remote-user=dash|hmac */
  ACT_UA_FAMILY,     /* --user-agent=family */
  ACT_REFERER,       /* --referer=origin|strip-query|keep */
  ACT_QUERY_REQUEST, /* query rules, then the scan */
  ACT_QUERY_URL,
  ACT_QUERY_ONLY,
};

static uint8_t
field_action (const LnAnonConfig *cfg, LnFieldType type)
{
  if (cfg->skip_types & (UINT32_C (1) << type))
    return ACT_KEEP;
  switch (type)
    {
    case LN_FIELD_CLIENT:
      return ACT_CLIENT;
    case LN_FIELD_FORWARDED:
      return ACT_ADDRESSES;
    case LN_FIELD_SERVER_ADDR:
      /* the operator's own address: kept as written unless asked */
      return cfg->server_address_client ? ACT_ADDRESSES : ACT_KEEP;
    case LN_FIELD_IDENT:
      return cfg->keep_ident ? ACT_SCAN : ACT_DASH;
    case LN_FIELD_USER:
      return cfg->user == LN_USER_KEEP ? ACT_SCAN : ACT_USER;
    case LN_FIELD_HEADER:
      /* cookies and headers not named by --keep-header */
      return ACT_DASH;
    case LN_FIELD_USER_AGENT:
      return cfg->user_agent == LN_UA_KEEP ? ACT_SCAN
             : cfg->user_agent == LN_UA_FAMILY ? ACT_UA_FAMILY : ACT_DASH;
    case LN_FIELD_REFERER:
      return cfg->referer == LN_REFERER_DROP ? ACT_DASH : ACT_REFERER;
    case LN_FIELD_REQUEST:
      return ACT_QUERY_REQUEST;
    case LN_FIELD_URI:
      return ACT_QUERY_URL;
    case LN_FIELD_QUERY:
      return ACT_QUERY_ONLY;
    case LN_FIELD_VHOST:
    case LN_FIELD_URL_PATH:
    case LN_FIELD_OTHER:
    case LN_FIELD_TRAILING:
      return ACT_SCAN;
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
      return ACT_KEEP;
    }
}

void
anon_init (LnAnon *anon, const LnAnonConfig *config, LnKeyring *keyring,
           LnPseudonymCache *cache)
{
  int t;

  memset (anon, 0, sizeof *anon);
  anon->config = *config;
  anon->keyring = keyring;
  anon->static_key = keyring ? keyring_static_key (keyring) : NULL;
  anon->cache = cache;
  buf_init (&anon->scratch, 512);
  for (t = 0; t < LN_FIELD__COUNT; t++)
    anon->action[t] = field_action (config, (LnFieldType) t);
  anon->text_ahead = (config->ip_mode == LN_IP_HMAC || config->ip_mode == LN_IP_HMAC_IPV6);
}

/* Wipes a look-ahead token and marks it unused. */
static void
forget_ahead (LnLookAhead *a)
{
  if (a->at != NULL)
    {
      if (!a->as_text)
        wipe_memory (&a->tok.addr, sizeof a->tok.addr);
      a->at = NULL;
      a->as_text = FALSE;
    }
}

gboolean
anon_wants_look_ahead (const LnAnon *anon)
{
  return LN_IP_MODE_KEYED (anon->config.ip_mode) && anon->cache != NULL
         && !anon->general_only;
}

/* anon_look_ahead() for a first hop that was not located as a dotted
 * quad's text: an IPv6 address's text, if the output is the digest alone;
 * otherwise parsed, then located.  The hop is at a->at, a->len bytes, in
 * bytes that end at a->limit. */
static void G_GNUC_NO_INLINE
look_ahead_other (LnAnon *anon)
{
  LnLookAhead *a = &anon->ahead[anon->ahead_turn];

  if (anon->text_ahead && anon->geo == NULL && a->limit - a->at >= 48
      && pseudonym_locate_text6 (anon->cache, a->period, a->at, a->len, &a->slot))
    {
      a->family = LN_AF_INET6;
      return;
    }
  a->as_text = FALSE;
  /* (a token running into the next line is no address: refused below) */
  if (!ipaddr_parse_host_in (span_make (a->at, a->len), a->limit, &a->tok))
    {
      wipe_memory (&a->tok.addr, sizeof a->tok.addr);
      a->at = NULL;
      return;
    }
  pseudonym_locate (anon->cache, a->period, &a->tok.addr, &a->slot);
}

void
anon_look_ahead (LnAnon *anon, LnSpan ahead)
{
  LnLookAhead *a;
  const char *end;
  size_t n;

  anon->ahead_turn ^= 1;
  a = &anon->ahead[anon->ahead_turn];
  /* the token for the line before the current one, if it was not taken */
  if (G_UNLIKELY (a->at != NULL))
    forget_ahead (a);
  /* the key and period of the last record: the next one's in all but the
   * first line of a period, where the slot is located again */
  if (anon->key == NULL || anon->fallback)
    return;
  /* the first hop: up to a space or comma, as the parser and
   * prefetch_client() will cut it */
  n = MIN (ahead.len, (size_t) LN_ADDR_TEXT_MAX + 24);
  end = scan_byte2_in (ahead.p, ahead.p, ahead.p + n, ' ', ',');
  if (end == NULL || end == ahead.p)
    return;
  /* filled in before the slot is located, so that nothing need be kept
   * across the call: this runs once a line */
  a->at = ahead.p;
  a->len = (size_t) (end - ahead.p);
  a->limit = ahead.p + ahead.len;
  a->period = anon->period;
  a->as_text = TRUE;
  a->family = LN_AF_INET;
  /* A dotted quad, where the output is the digest alone: located as text,
   * with no parse (pseudonym_locate_quad).  The modes that also write the
   * address truncated, and a geo lookup, need the address anyway. */
  if (!(anon->text_ahead && anon->geo == NULL && ahead.len >= 16
        && pseudonym_locate_quad (anon->cache, anon->period, ahead.p,
                                  (size_t) (end - ahead.p), &a->slot)))
    look_ahead_other (anon);
}

void
anon_forget_look_ahead (LnAnon *anon)
{
  forget_ahead (&anon->ahead[0]);
  forget_ahead (&anon->ahead[1]);
}

void
anon_clear (LnAnon *anon)
{
  anon_forget_look_ahead (anon);
  g_clear_error (&anon->key_error);
  if (anon->scratch.data)
    buf_clear (&anon->scratch);
}

gboolean
anon_needs_key (const LnAnonConfig *config)
{
  return LN_IP_MODE_KEYED (config->ip_mode) || config->user == LN_USER_HMAC;
}

static inline void
pseudonym (const LnAnon *anon, const LnAddr *addr, const LnPseudonymSlot *slot,
           uint8_t digest[LN_PSEUDONYM_BYTES])
{
  if (slot)
    pseudonym_lookup (anon->cache, anon->key, slot, addr, digest);
  else
    pseudonym_compute (anon->cache, anon->key, anon->period, addr, digest);
}

/* anon_address(), and in the keyed modes with @slot the pseudonym cache
 * slot of @addr already located (prefetch_client). */
static inline __attribute__ ((__always_inline__)) size_t
address_at (const LnAnon *anon, LnAddr *addr, const LnPseudonymSlot *slot, char *out)
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
      pseudonym (anon, addr, slot, digest);
      wipe_memory (addr, sizeof *addr);
      n = pseudonym_format_token (digest, out);
      break;
    case LN_IP_HMAC_IPV6:
      pseudonym (anon, addr, slot, digest);
      wipe_memory (addr, sizeof *addr);
      n = pseudonym_format_ipv6 (digest, out);
      break;
    case LN_IP_TRUNCATE_HMAC:
      pseudonym (anon, addr, slot, digest);
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
  /* no wipe of @digest: it is the pseudonym, written out anyway */
  return n;
}

size_t
anon_address (const LnAnon *anon, LnAddr *addr, char *out)
{
  return address_at (anon, addr, NULL, out);
}

/* Picks the period key for a record at @epoch.  FALSE when it was erased
 * and the policy is to fail. */
static inline __attribute__ ((__always_inline__)) gboolean
select_key_at (LnAnon *anon, int64_t epoch)
{
  const LnHmacKey *key;

  anon->fallback = FALSE;
  anon->key_epoch = epoch;
  if (anon->static_key)
    {
      /* what keyring_lookup() answers for a static keyring, without the
       * call: one key for every record */
      anon->key = anon->static_key;
      anon->period = 0;
      return TRUE;
    }
  if (G_UNLIKELY (anon->key_error != NULL))
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

/* select_key_at() for @rec, or for now without a record. */
static gboolean
select_key (LnAnon *anon, const LnRecord *rec)
{
  return select_key_at (anon, rec && rec->has_time ? rec->time.epoch
                              : (int64_t) (g_get_real_time () / G_USEC_PER_SEC));
}

/* Notes the keyed digest of the record's raw client address for the
 * visitor sketches of --aggregate. */
static void
note_visitor (const LnAnon *anon, LnRecord *rec, const LnAddr *addr)
{
  rec->visitor = visitor_digest (anon->visitor_key, addr);
  rec->has_visitor = true;
}

/* What the record keeps of its client's raw address: the country (with a
 * geo database) and the visitor digest (--aggregate). */
static inline void
note_client (const LnAnon *anon, LnRecord *rec, const LnAddr *addr)
{
  if (anon->geo)
    geo_lookup (anon->geo, addr, rec->country);
  if (anon->visitor_key)
    note_visitor (anon, rec, addr);
}

/* --stats: the primary client field, by the family of its first hop. */
static inline void
count_client (LnAnon *anon, int family)
{
  if (family == LN_AF_INET)
    anon->stats.clients_v4++;
  else if (family == LN_AF_INET6)
    anon->stats.clients_v6++;
  else
    anon->stats.clients_other++;
}

/* One hop of a client field: an address (kept shape: brackets, zone,
 * port), or a placeholder.  The first hop is the client: with a geo
 * database its country is looked up here, on the raw address, before it
 * is anonymised.  Returns the family seen. */
/* ipaddr_parse_host() of a token of the current line: the line's bytes
 * after the token may be read too (a faster dotted quad). */
static bool
parse_host (const LnAnon *anon, LnSpan token, LnHostToken *out)
{
  const char *limit = token.p + token.len;

  if (token.p >= anon->line && limit <= anon->line_end)
    limit = anon->line_end;
  return ipaddr_parse_host_in (token, limit, out);
}

static int
client_hop (const LnAnon *anon, LnSpan hop, LnRecord *rec, bool first, LnBuf *arena)
{
  LnHostToken tok;
  char text[LN_ANON_TEXT_MAX];
  size_t n;
  bool early = first && hop.p == anon->client_tok_at;

  if (span_is_dash (hop) || span_eq_str (hop, "unknown"))
    {
      buf_append_span (arena, hop);
      return LN_AF_NONE;
    }
  if (early)
    tok = *anon->client_early;    /* parsed by prefetch_client() */
  else if (!parse_host (anon, hop, &tok))
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

    if (first)
      {
        note_client (anon, rec, &tok.addr);
        if (anon->geo)
          memcpy (code, rec->country, 3);
      }
    else if (anon->geo && mode == LN_IP_COUNTRY)
      geo_lookup (anon->geo, &tok.addr, code);
    if (mode == LN_IP_COUNTRY)
      {
        wipe_memory (&tok.addr, sizeof tok.addr);
        buf_append (arena, code, 2);
        return family;
      }

    n = address_at (anon, &tok.addr, early ? &anon->client_slot : NULL, text);
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

/* Rewrites a client field: every hop of the list.  Only the @primary field
 * (the first %h/%a) gives the record its country and visitor digest and
 * counts in the statistics; forwarded-for lists and a second client field
 * get the same rule without them. */
static void
rewrite_client (LnAnon *anon, LnRecord *rec, LnField *f, bool primary, LnBuf *arena)
{
  const char *p = f->raw.p;
  const char *end = f->raw.p + f->raw.len;
  size_t off = arena->len;
  int family = -1;

  if (anon->config.ip_mode == LN_IP_DROP || anon->config.client_text_unused)
    {
      /* Nothing of the address is written (--ip=drop), or nothing reads
       * what would be (--aggregate): the country and the visitor digest
       * still come from its first hop, parsed once. */
      if (primary && (anon->geo || anon->visitor_key || anon->config.client_text_unused))
        {
          const char *comma = memchr (p, ',', (size_t) (end - p));
          LnSpan hop = span_make (p, (size_t) ((comma ? comma : end) - p));
          LnHostToken tok;

          if (span_is_dash (hop) || span_eq_str (hop, "unknown"))
            ;   /* as client_hop(): no country either */
          else if (parse_host (anon, hop, &tok))
            {
              family = tok.addr.family;
              note_client (anon, rec, &tok.addr);
            }
          else if (anon->geo)
            memcpy (rec->country, "--", 3);
          wipe_memory (&tok.addr, sizeof tok.addr);
        }
      f->out = placeholder;
      if (primary)
        count_client (anon, anon->config.ip_mode == LN_IP_DROP ? LN_AF_NONE : family);
      return;
    }
  if (primary && anon->config.ip_mode != LN_IP_COUNTRY && G_LIKELY (!anon->general_only))
    {
      /* The common client field, one bare address: parsed once (or taken
       * from prefetch_client()) and written straight into the arena.  What
       * client_hop() would do with it, without the token's pieces. */
      LnAddr bare;
      LnAddr *addr = &bare;
      const LnPseudonymSlot *slot = NULL;
      bool ok;

      if (p == anon->client_tok_at)
        {
          ok = anon->client_early->before.len == 0
               && anon->client_early->text.len == f->raw.len;
          addr = &anon->client_early->addr;
          slot = &anon->client_slot;
        }
      else
        ok = ipaddr_parse_bare_in (f->raw, anon->line_end, &bare);
      if (ok)
        {
          family = addr->family;
          note_client (anon, rec, addr);
          buf_reserve (arena, LN_ANON_TEXT_MAX);
          arena->len += address_at (anon, addr, slot, arena->data + arena->len);
          count_client (anon, family);
          out_in_arena (f, arena, off);
          return;
        }
      if (addr == &bare)
        wipe_memory (&bare, sizeof bare);   /* a failed parse's octets */
    }
  while (p < end)
    {
      const char *comma = memchr (p, ',', (size_t) (end - p));
      const char *hop_end = comma ? comma : end;
      int fam = client_hop (anon, span_make (p, (size_t) (hop_end - p)), rec,
                            primary && family < 0, arena);

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
  if (primary)
    count_client (anon, family);
  out_in_arena (f, arena, off);
}

/* Keyed modes: the pseudonym cache is probed at random and its slot is
 * rarely in the CPU cache, and waiting for it was most of what a cached
 * pseudonym cost.  So the primary client field's slot starts loading here,
 * from a first parse of its first hop, and the field is rewritten after
 * the other fields.  TRUE when the field is to be deferred. */
static bool
prefetch_client (LnAnon *anon, const LnField *f)
{
  const char *comma;

  LnLookAhead *a = &anon->ahead[anon->ahead_turn ^ 1];
  size_t hop;
  bool here;

  if (anon->key == NULL || anon->fallback || anon->cache == NULL)
    return false;
  comma = memchr (f->raw.p, ',', f->raw.len);
  hop = comma ? (size_t) (comma - f->raw.p) : f->raw.len;
  /* Parsed and located a line ago (anon_look_ahead), if the line starts
   * where the bytes looked at did and the client is its first token.  A
   * line moved by the reader starts elsewhere: at the start of the buffer,
   * before the place looked at, or in a new buffer (allocated while the
   * old one was still in use). */
  here = a->at == f->raw.p && a->at == anon->line && a->len == hop
         && a->period == anon->period;
  if (here && a->as_text)
    {
      /* located as text: the hop is that text, so its address, if it
       * parses, is the one the text's slot stands for */
      anon->client_early = &anon->client_tok;
      if (parse_host (anon, span_make (f->raw.p, hop), &anon->client_tok))
        {
          anon->client_tok_at = f->raw.p;
          if (anon->client_tok.before.len == 0 && anon->client_tok.after.len == 0)
            anon->client_slot = a->slot;
          else
            pseudonym_locate (anon->cache, anon->period, &anon->client_tok.addr,
                              &anon->client_slot);
        }
      a->at = NULL;
      a->as_text = FALSE;
      return true;
    }
  if (here)
    {
      anon->client_early = &a->tok;
      anon->client_slot = a->slot;
      anon->client_tok_at = f->raw.p;
      /* wiped with the record, not here: a->tok is read until then */
      a->at = NULL;
      return true;
    }
  /* client_hop() takes this parse instead of repeating it */
  anon->client_early = &anon->client_tok;
  if (parse_host (anon, span_make (f->raw.p, hop), &anon->client_tok))
    {
      anon->client_tok_at = f->raw.p;
      pseudonym_locate (anon->cache, anon->period, &anon->client_tok.addr, &anon->client_slot);
    }
  return true;
}

/* Sets @f's output to @text after masking the addresses in it.  @text is
 * either a part of the line or in anon->scratch (@in_scratch), never in the
 * arena, which grows here.  Returns false when an address was found and
 * the policy makes that line malformed.  @clean_likely: @text seldom has a
 * digit (a referer origin), so a quick look may spare the scan. */
static bool
finish_field (LnAnon *anon, LnField *f, LnSpan text, bool in_scratch, bool scan,
              bool clean_likely, LnBuf *arena)
{
  const char *search = text.p;     /* where the scanner resumes */
  const char *copied = text.p;     /* end of the text already in the arena */
  const char *end = text.p + text.len;
  /* the scanner looks behind a match for context: the line, or the text */
  const char *base = in_scratch ? text.p : anon->line;
  LnResidualMatch m;
  size_t off = arena->len;
  bool started = false;

  if (text.len < 3)
    scan = false;     /* "-": shorter than any address ("::1") */
  else if (scan && clean_likely && G_LIKELY (!anon->general_only)
           && residual_none_possible (base, text.p, end))
    scan = false;     /* no digit, no "::" */
  /* the lenient scan: recall matters more than a masked version number */
  while (scan && residual_find_lenient (base, search, end, &m))
    {
      char addr_text[LN_RESIDUAL_TEXT_MAX];
      size_t n = residual_format (m.form, addr_text,
                                  anon_address (anon, &m.addr, addr_text));

      search = m.token.p + m.token.len;
      if (n == m.token.len && memcmp (addr_text, m.token.p, n) == 0)
        continue;     /* already as coarse as the rule makes it (our output) */
      if (anon->config.residual == LN_RESIDUAL_MALFORMED)
        {
          anon->residual_at = in_scratch ? f->raw.p : m.token.p;
          return false;
        }
      started = true;
      buf_append (arena, copied, (size_t) (m.token.p - copied));
      buf_append (arena, addr_text, n);
      copied = search;
      anon->stats.residual_masked++;
      anon->stats.residual_by_form[m.form]++;
    }
  if (started || in_scratch)
    {
      buf_append (arena, copied, (size_t) (end - copied));
      out_in_arena (f, arena, off);
    }
  else
    f->out = text;
  return true;
}

/* --remote-user=hmac: a keyed token of the name, unrelated to the address
 * tokens of the same key (another message prefix). */
static void
user_token (LnAnon *anon, LnField *f, LnBuf *arena)
{
  static const char prefix[] = "lognym remote user\n";
  uint8_t mac[LN_SHA256_LEN];
  char token[LN_TOKEN_LEN];
  size_t off = arena->len;

  if (anon->key == NULL)
    {
      f->out = dash;       /* the period key was erased: nothing to link */
      return;
    }
  buf_reset (&anon->scratch);
  buf_append (&anon->scratch, prefix, sizeof prefix - 1);
  buf_append_span (&anon->scratch, f->raw);
  hmac_sha256 (anon->key, anon->scratch.data, anon->scratch.len, mac);
  buf_wipe (&anon->scratch);
  pseudonym_format_token (mac, token);
  wipe_memory (mac, sizeof mac);
  buf_append (arena, token, sizeof token);
  out_in_arena (f, arena, off);
}

/* One field, by its action.  Returns false when the residual
 * scan made the line malformed.  *@client is set to a primary client
 * field deferred by prefetch_client(). */
static LN_ALWAYS_INLINE bool
anon_field (LnAnon *anon, LnRecord *rec, size_t i, unsigned act, LnField **client,
            LnBuf *arena)
{
  const LnAnonConfig *cfg = &anon->config;
  LnField *f = &rec->fields[i];
  LnSpan text;
  bool in_scratch = false;

  switch (act)
    {
    case ACT_KEEP:
    default:
      return true;
    case ACT_CLIENT:
      if (cfg->ip_mode == LN_IP_TRUNCATE && !cfg->client_text_unused
          && rec->first[LN_FIELD_CLIENT] == (int8_t) i && G_LIKELY (!anon->general_only))
        {
          /* the default mode, the common case: rewrite_client()'s fast
           * path without its calls */
          LnAddr addr;
          size_t off = arena->len;

          if (ipaddr_parse_bare_in (f->raw, anon->line_end, &addr))
            {
              note_client (anon, rec, &addr);
              count_client (anon, addr.family);
              ipaddr_truncate (&addr, cfg->v4_bits, cfg->v6_bits);
              buf_reserve (arena, LN_ADDR_TEXT_MAX);
              arena->len += ipaddr_format (&addr, arena->data + off);
              out_in_arena (f, arena, off);
              return true;
            }
          /* "192.0.2.7:5678" left its octets there */
          wipe_memory (&addr, sizeof addr);
        }
      if (rec->first[LN_FIELD_CLIENT] != (int8_t) i)
        rewrite_client (anon, rec, f, false, arena);
      else if (LN_IP_MODE_KEYED (cfg->ip_mode) && prefetch_client (anon, f))
        *client = f;
      else
        rewrite_client (anon, rec, f, true, arena);
      return true;
    case ACT_ADDRESSES:
      rewrite_client (anon, rec, f, false, arena);
      return true;
    /* A field that already is "-" keeps its own bytes, so the writer
     * copies it along with its neighbours instead of splicing. */
    case ACT_DASH:
      if (!span_is_dash (f->raw))
        f->out = dash;
      return true;
    case ACT_USER:
      if (span_is_dash (f->raw))
        return true;
      if (cfg->user == LN_USER_HMAC)
        user_token (anon, f, arena);
      else
        f->out = dash;
      return true;
    case ACT_UA_FAMILY:
      if (!span_is_dash (f->raw))
        {
          char family[LN_UA_FAMILY_MAX];
          bool bot;
          size_t n = fields_ua_family (f->raw, family, &bot);
          size_t off = arena->len;

          buf_append (arena, family, n);
          out_in_arena (f, arena, off);
        }
      return true;
    case ACT_REFERER:
      /* half of all referers: every policy keeps "-", too short to scan */
      if (span_is_dash (f->raw) && G_LIKELY (!anon->general_only))
        return true;
      text = fields_referer (cfg->referer, f->raw, &anon->scratch, &in_scratch);
      if (cfg->referer == LN_REFERER_KEEP)
        text = fields_query (&cfg->query, LN_QUERY_IN_URL, text, &anon->scratch,
                             &in_scratch);
      break;
    case ACT_QUERY_REQUEST:
      /* the default query policy changes nothing: no call */
      if (cfg->query.policy == LN_QUERY_KEEP && G_LIKELY (!anon->general_only))
        text = f->raw;
      else
        text = fields_query (&cfg->query, LN_QUERY_IN_REQUEST, f->raw, &anon->scratch,
                             &in_scratch);
      break;
    case ACT_QUERY_URL:
      text = fields_query (&cfg->query, LN_QUERY_IN_URL, f->raw, &anon->scratch,
                           &in_scratch);
      break;
    case ACT_QUERY_ONLY:
      text = fields_query (&cfg->query, LN_QUERY_ONLY, f->raw, &anon->scratch,
                           &in_scratch);
      break;
    case ACT_SCAN:
      text = f->raw;
      break;
    }
  /* free text, after its policy: the residual scan */
  return finish_field (anon, f, text, in_scratch, cfg->residual != LN_RESIDUAL_OFF,
                       act == ACT_REFERER && cfg->referer == LN_REFERER_ORIGIN, arena);
}

LnParseStatus
anon_record (LnAnon *anon, LnRecord *rec, LnBuf *arena)
{
  const LnAnonConfig *cfg = &anon->config;
  LnParseStatus status = LN_PARSE_OK;
  LnField *client = NULL;     /* deferred, see prefetch_client() */
  size_t i, n = rec->nfields;   /* in a register: the stores to the
                                   fields could alias rec->nfields */
  const char *data;

  buf_reset (arena);
  buf_reset (&anon->scratch);
  anon->line = rec->line.p;
  anon->line_end = rec->line.p + rec->line.len;
  rec->country[0] = '\0';
  rec->has_visitor = false;
  if (anon_needs_key (cfg) && !select_key (anon, rec))
    return LN_PARSE_KEY_ERASED;
  data = arena->data;
  for (i = 0; i < n; i++)
    {
      unsigned act = anon->action[rec->fields[i].type];

      /* times, numbers: a third of a combined line's fields */
      if (act != ACT_KEEP && !anon_field (anon, rec, i, act, &client, arena))
        {
          status = LN_PARSE_RESIDUAL;
          break;
        }
    }
  if (client)
    {
      rewrite_client (anon, rec, client, true, arena);
      wipe_memory (&anon->client_early->addr, sizeof anon->client_early->addr);
      anon->client_tok_at = NULL;
    }
  /* the scratch may have held a referer or query with an address in it */
  if (anon->scratch.len)
    buf_wipe (&anon->scratch);
  if (status != LN_PARSE_OK)
    return status;
  /* the arena no longer grows: if it moved, the pointers into it are
   * made again from the offsets */
  if (G_UNLIKELY (arena->data != data))
    for (i = 0; i < n; i++)
      if (rec->fields[i].in_arena)
        rec->fields[i].out.p = arena->data + rec->fields[i].arena_off;
  return LN_PARSE_OK;
}

size_t
anon_keyed_client (LnAnon *anon, LnSpan token, const char *limit, int64_t epoch, char *out)
{
  LnLookAhead *a = &anon->ahead[anon->ahead_turn ^ 1];
  const LnPseudonymSlot *slot = NULL;
  LnAddr own, *addr = &own;
  int family;
  bool here;
  size_t n;

  if (!select_key_at (anon, epoch))
    return 0;
  if (anon->fallback)
    {
      /* the general path truncates this record, and counts it then */
      anon->stats.expired_truncated--;
      return 0;
    }
  here = a->at == token.p && a->len == token.len && a->period == anon->period;
  if (here && a->as_text)
    {
      /* located as text a line ago: a hit needs no parse; a miss parses
       * the text, and only an address is remembered under its slot */
      uint8_t digest[LN_PSEUDONYM_BYTES];

      a->at = NULL;
      a->as_text = FALSE;
      family = a->family;
      if (!pseudonym_probe (anon->cache, &a->slot, digest))
        {
          if (!ipaddr_parse_bare_in (token, limit, &own))
            {
              wipe_memory (&own, sizeof own);
              return 0;
            }
          family = own.family;
          pseudonym_insert (anon->cache, anon->key, &a->slot, &own, digest);
          wipe_memory (&own, sizeof own);
        }
      /* the look-ahead made a text's slot only in these two modes */
      n = anon->config.ip_mode == LN_IP_HMAC ? pseudonym_format_token (digest, out)
                                             : pseudonym_format_ipv6 (digest, out);
      count_client (anon, family);
      return n;
    }
  /* as prefetch_client(), for a line that starts with its client */
  if (here && a->tok.before.len == 0 && a->tok.after.len == 0)
    {
      /* used where it is: forget_ahead() wipes it below */
      addr = &a->tok.addr;
      slot = &a->slot;
    }
  else if (!ipaddr_parse_bare_in (token, limit, &own))
    {
      wipe_memory (&own, sizeof own);     /* "192.0.2.7:5678" left octets */
      return 0;
    }
  family = addr->family;
  if (anon->geo)
    {
      /* looked up as for any record, though a log line has no place for
       * the country: the database's statistics and errors count it */
      char code[3];

      geo_lookup (anon->geo, addr, code);
    }
  n = address_at (anon, addr, slot, out);
  if (slot)
    forget_ahead (a);
  else
    wipe_memory (&own, sizeof own);
  count_client (anon, family);
  return n;
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
  if (anon_needs_key (&anon->config) && anon->key == NULL && !anon->fallback)
    select_key (anon, NULL);
  while (residual_find_lenient (text.p, pos, end, &m))
    {
      char repl[LN_RESIDUAL_TEXT_MAX];
      size_t n = residual_format (m.form, repl, anon_address (anon, &m.addr, repl));

      buf_append (out, pos, (size_t) (m.token.p - pos));
      buf_append (out, repl, n);
      pos = m.token.p + m.token.len;
      count++;
    }
  buf_append (out, pos, (size_t) (end - pos));
  return count;
}
