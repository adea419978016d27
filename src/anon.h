/* anon.h - turns a parsed record into one that is safe to write.
 *
 * Runs between the parser and every writer: it fills each field's "out"
 * span, replacing the client address (truncated network or placeholder),
 * the identd and user fields and the user agent, and masks any address
 * left in free-text fields (the residual scan).  Writers never see a raw
 * client address because they only print "out".
 */
#ifndef LN_ANON_H
#define LN_ANON_H

#include <glib.h>
#include "buf.h"
#include "fields.h"
#include "ipaddr.h"
#include "geo.h"
#include "key.h"
#include "pseudonym.h"
#include "parse.h"
#include "record.h"
#include "residual.h"
#include "visitor.h"

/* What a client field that holds no address (a host name, "unix:") and
 * every client under --ip=drop becomes.  An address, so that tools which
 * validate %h keep working; documented in lognym(1). */
#define LN_PLACEHOLDER "0.0.0.0"

/* Longest text anon_address() writes: an address plus "-" and a token. */
#define LN_ANON_TEXT_MAX 64

typedef enum {
  LN_IP_TRUNCATE,
  LN_IP_DROP,
  LN_IP_HMAC,            /* base32 token */
  LN_IP_HMAC_IPV6,       /* token as an address in 2001:db8::/32 */
  LN_IP_TRUNCATE_HMAC,   /* "NETWORK-TOKEN" */
  LN_IP_COUNTRY,         /* the country code of --geo-db, nothing finer */
} LnIpMode;

/* True for the modes that need a key. */
#define LN_IP_MODE_KEYED(m) ((m) >= LN_IP_HMAC && (m) <= LN_IP_TRUNCATE_HMAC)

typedef enum {
  LN_RESIDUAL_MASK,
  LN_RESIDUAL_MALFORMED,
  LN_RESIDUAL_OFF,
} LnResidualPolicy;

typedef enum {
  LN_USER_DASH,
  LN_USER_KEEP,
  LN_USER_HMAC,          /* a keyed token: the same user, the same token */
} LnUserPolicy;

typedef struct {
  LnIpMode ip_mode;
  unsigned v4_bits;
  unsigned v6_bits;
  LnUserAgentPolicy user_agent;
  LnUserPolicy user;
  gboolean keep_ident;
  LnRefererPolicy referer;
  LnQueryRules query;        /* names borrowed from the options */
  gboolean server_address_client;  /* %A treated like a client address */
  LnResidualPolicy residual;
  uint32_t skip_types;       /* bit per LnFieldType: fields left raw and
                                unscanned because nothing writes them */
  gboolean expired_truncate;   /* erased period key: truncate, not fail */
  gboolean client_text_unused; /* --aggregate: nothing reads the client
                                  field's text; only its country, visitor
                                  digest and counts are made */
} LnAnonConfig;

typedef struct {
  guint64 clients_v4;
  guint64 clients_v6;
  guint64 clients_other;
  guint64 residual_masked;   /* addresses masked outside the client field */
  guint64 residual_by_form[LN_RESIDUAL_FORM__COUNT];  /* the same, by notation */
  guint64 expired_truncated; /* records truncated because their key was erased */
} LnAnonStats;

/* A line's first token, parsed before the line is processed; or, for a
 * dotted quad or an IPv6 address in the modes whose output is the digest
 * alone, only located as text (pseudonym_locate_quad, _text6): a cache
 * hit then needs no parse. */
typedef struct {
  LnHostToken tok;           /* unused for a text */
  const char *at;            /* where it starts in the reader's buffer, or NULL */
  size_t len;
  const char *limit;         /* the end of the bytes it was looked for in */
  int64_t period;            /* the period @slot was located for */
  LnPseudonymSlot slot;
  gboolean as_text;          /* @slot is the text's, @tok unparsed */
  int family;                /* as_text: the address family of such a text */
} LnLookAhead;

typedef struct {
  LnAnonConfig config;
  LnAnonStats stats;
  LnKeyring *keyring;        /* borrowed; NULL unless a keyed mode */
  LnPseudonymCache *cache;   /* borrowed */
  LnGeo *geo;                /* borrowed; NULL without --geo-db */
  const LnVisitorKey *visitor_key; /* in secure memory, for --aggregate */
  const LnHmacKey *key;      /* the current record's period key */
  const LnHmacKey *static_key; /* a static keyring's one key, or NULL */
  int64_t period;
  int64_t key_epoch;         /* the instant @key was chosen for */
  gboolean fallback;         /* current record: key erased, truncate */
  GError *key_error;         /* why the last record had no key */
  const char *residual_at;   /* LN_PARSE_RESIDUAL: where the address was */
  LnBuf scratch;             /* policy results before the residual scan */
  const char *line;          /* the current record's line */
  const char *line_end;
  uint8_t action[LN_FIELD__COUNT];  /* what anon_record does per field type,
                                     * decided from @config once */
  /* keyed modes: the primary client's first hop, parsed early to start
   * loading its pseudonym cache slot (anon.c, prefetch_client); its
   * address is wiped at the end of the record */
  LnHostToken client_tok;
  LnHostToken *client_early; /* &client_tok, or a look-ahead's token */
  const char *client_tok_at; /* where that hop starts, or NULL */
  LnPseudonymSlot client_slot; /* its slot in the pseudonym cache */
  /* keyed modes, reading lines from a reader: the first token of the
   * line after the current one, parsed and its slot located one line
   * ahead (anon_look_ahead), in turn in one of two places; wiped when
   * taken, when replaced and by anon_clear */
  LnLookAhead ahead[2];
  unsigned ahead_turn;       /* ahead[ahead_turn ^ 1]: the current line's */
  gboolean text_ahead;       /* the output is the digest alone: an address
                              * ahead is located as text */
  gboolean general_only;     /* tests: no fast paths, only the general
                                ones they are compared with */
} LnAnon;

/* @keyring and @cache are borrowed and may be NULL unless a key is needed
 * (anon_needs_key). */
void anon_init (LnAnon *anon, const LnAnonConfig *config, LnKeyring *keyring,
                LnPseudonymCache *cache);

void anon_clear (LnAnon *anon);

/* True when @config needs a key: a keyed --ip mode or --remote-user=hmac. */
gboolean anon_needs_key (const LnAnonConfig *config);

/* Fills the "out" span of every field of @rec; replacement text goes to
 * @arena, which is reset first.  Returns LN_PARSE_OK; LN_PARSE_RESIDUAL
 * when --residual=malformed found an address outside the client field;
 * LN_PARSE_KEY_ERASED when the record's period key was erased (the reason
 * is in anon->key_error). */
LnParseStatus anon_record (LnAnon *anon, LnRecord *rec, LnBuf *arena);

/* TRUE when anon_look_ahead() can help: a keyed --ip mode. */
gboolean anon_wants_look_ahead (const LnAnon *anon);

/* Before the current line is anonymised: @ahead holds the bytes after it
 * (reader_ahead), the next line's start.  Its first token, if it is an
 * address, is parsed and its pseudonym cache slot starts loading now, a
 * whole line before it is needed: the slot is seldom in the CPU cache, and
 * the wait for it was a third of a pseudonym's cost.  Used only if the
 * next record's client field starts at that very byte. */
void anon_look_ahead (LnAnon *anon, LnSpan ahead);

/* Forgets (and wipes) the look-ahead: before lines from another buffer,
 * whose tokens could start at the same address as a stale one. */
void anon_forget_look_ahead (LnAnon *anon);

/* For the fused line path (fastlane.c), in a keyed --ip mode: @token, the
 * whole client field at the very start of its line, as one bare address,
 * anonymised with the key for @epoch (the record's time) into @out
 * (LN_ANON_TEXT_MAX bytes) and counted, as anon_record() would.  @limit:
 * as for ipaddr_parse_bare_in().  Returns the text's length, or 0 when
 * the line must take the general path (no bare address, no key in use
 * for @epoch), with nothing counted. */
size_t anon_keyed_client (LnAnon *anon, LnSpan token, const char *limit, int64_t epoch,
                          char *out);

/* Appends @text to @out with every address in it replaced by its
 * anonymised form (the malformed-line "redact" policy).  Returns the number
 * of addresses replaced. */
size_t anon_redact (LnAnon *anon, LnSpan text, LnBuf *out);

/* Writes the anonymised text of @addr to @out (LN_ANON_TEXT_MAX bytes) and
 * returns its length.  @addr is overwritten in the process. */
size_t anon_address (const LnAnon *anon, LnAddr *addr, char *out);

#endif /* LN_ANON_H */
