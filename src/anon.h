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
#include "ipaddr.h"
#include "parse.h"
#include "record.h"

/* What a client field that holds no address (a host name, "unix:") and
 * every client under --ip=drop becomes.  An address, so that tools which
 * validate %h keep working; documented in lognym(1). */
#define LN_PLACEHOLDER "0.0.0.0"

typedef enum {
  LN_IP_TRUNCATE,
  LN_IP_DROP,
} LnIpMode;

typedef enum {
  LN_RESIDUAL_MASK,
  LN_RESIDUAL_MALFORMED,
  LN_RESIDUAL_OFF,
} LnResidualPolicy;

typedef struct {
  LnIpMode ip_mode;
  unsigned v4_bits;
  unsigned v6_bits;
  gboolean keep_user_agent;
  gboolean keep_user;
  gboolean keep_ident;
  LnResidualPolicy residual;
} LnAnonConfig;

typedef struct {
  guint64 clients_v4;
  guint64 clients_v6;
  guint64 clients_other;
  guint64 residual_masked;   /* addresses masked outside the client field */
} LnAnonStats;

typedef struct {
  LnAnonConfig config;
  LnAnonStats stats;
} LnAnon;

void anon_init (LnAnon *anon, const LnAnonConfig *config);

/* Fills the "out" span of every field of @rec; replacement text goes to
 * @arena, which is reset first.  Returns LN_PARSE_OK, or LN_PARSE_RESIDUAL
 * when --residual=malformed found an address outside the client field. */
LnParseStatus anon_record (LnAnon *anon, LnRecord *rec, LnBuf *arena);

/* Appends @text to @out with every address in it replaced by its
 * anonymised form (the malformed-line "redact" policy).  Returns the number
 * of addresses replaced. */
size_t anon_redact (LnAnon *anon, LnSpan text, LnBuf *out);

/* Writes the anonymised text of @addr to @out (LN_ADDR_TEXT_MAX bytes) and
 * returns its length.  @addr is overwritten in the process. */
size_t anon_address (const LnAnon *anon, LnAddr *addr, char *out);

#endif /* LN_ANON_H */
