/* ipaddr.h - IPv4/IPv6 addresses in binary form: parse, mask, format.
 *
 * A client address is parsed exactly once per line into an LnAddr; geo
 * lookups, truncation and pseudonyms all work on that binary form.  The
 * parser and formatter are hand-written because inet_pton/inet_ntop need a
 * NUL-terminated copy and inet_ntop formats through printf (half the cost of
 * a naive anonymiser); they are tested against libc over a table of cases
 * and by fuzzing.
 */
#ifndef LN_IPADDR_H
#define LN_IPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "span.h"

typedef enum {
  LN_AF_NONE = 0,
  LN_AF_INET = 4,
  LN_AF_INET6 = 6,
} LnFamily;

typedef struct {
  uint8_t family;     /* LnFamily */
  uint8_t bytes[16];  /* network order; IPv4 uses the first 4 */
} LnAddr;

/* Longest text ipaddr_format() writes, without a NUL. */
#define LN_ADDR_TEXT_MAX 45

/* A client-field token split into what surrounds the address
 * ("[", "]:443", "%eth0", ":8080") and the address itself. */
typedef struct {
  LnAddr addr;
  LnSpan before;      /* "[" or empty */
  LnSpan text;        /* the address text as written */
  LnSpan after;       /* zone, "]", port; possibly empty */
} LnHostToken;

/* Parses @len bytes at @p as exactly one IPv4 dotted quad (no leading zeros,
 * as inet_pton) or IPv6 address (RFC 4291 text forms, upper or lower case,
 * embedded IPv4).  Returns true and fills @out on success; on failure @out
 * is left with family LN_AF_NONE.  Never reads outside [p, p+len). */
bool ipaddr_parse (const char *p, size_t len, LnAddr *out);

/* Parses a client field such as "192.0.2.7", "192.0.2.7:5678",
 * "[2001:db8::1]:443", "fe80::1%eth0".  Returns false when the token holds
 * no address (a host name, "-", "unix:"). */
bool ipaddr_parse_host (LnSpan token, LnHostToken *out);

/* The same, for a token inside memory that may be read up to @limit (>= the
 * token's end; the end of its line): a bare dotted quad, the common client
 * field, is then parsed 16 bytes at a time. */
bool ipaddr_parse_host_in (LnSpan token, const char *limit, LnHostToken *out);

/* The whole of @token as one bare address, IPv4 or IPv6 (no brackets,
 * zone or port), reading up to @limit as ipaddr_parse_host_in().  Accepts
 * exactly the tokens that ipaddr_parse_host() takes with nothing before or
 * after the address, with the same result; false for anything else, which
 * may still be a host token. */
bool ipaddr_parse_bare_in (LnSpan token, const char *limit, LnAddr *out);

/* True when @addr is an IPv6 address in ::ffff:0:0/96. */
bool ipaddr_is_v4_mapped (const LnAddr *addr);

/* Keeps the leading @v4_bits of an IPv4 address (also of an IPv4-mapped
 * IPv6 address) or @v6_bits of an IPv6 address and zeroes the rest. */
void ipaddr_truncate (LnAddr *addr, unsigned v4_bits, unsigned v6_bits);

/* Writes the canonical text form (RFC 5952 for IPv6, dotted quad for the
 * IPv4-mapped tail) to @out, which must hold LN_ADDR_TEXT_MAX bytes.
 * Returns the number of bytes written; no NUL is added. */
size_t ipaddr_format (const LnAddr *addr, char *out);

/* True when the CPU runs the *_ssse3() functions below. */
bool ipaddr_have_ssse3 (void);

/* ipaddr_parse_bare_in(), ipaddr_truncate() and ipaddr_format() at once
 * for a bare dotted quad (the common client field) and @v4_bits a
 * multiple of 8: its first @v4_bits / 8 octets as they are (a dotted quad
 * that parses is in canonical form) and ".0" for each of the others.
 * @out must hold LN_ADDR_TEXT_MAX bytes.  Returns the length written, or
 * 0 for any other token or prefix, which then needs the three calls.
 * Only where ipaddr_have_ssse3(). */
size_t ipaddr_truncate_v4_text_ssse3 (LnSpan token, const char *limit,
                                      unsigned v4_bits, char *out);

/* The 16-byte form used for keyed digests: IPv4 as IPv4-mapped IPv6, so
 * that 192.0.2.7 and ::ffff:192.0.2.7 agree. */
void ipaddr_to_v6_bytes (const LnAddr *addr, uint8_t out[16]);

#endif /* LN_IPADDR_H */
