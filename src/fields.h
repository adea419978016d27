/* fields.h - policies for the personal fields other than the client address.
 *
 * Referer, query strings and user agent identify people as surely as an
 * address does (a search term, a session token in a URL, a rare browser
 * build).  Each has a policy with a safe default; these functions apply one
 * to a field's text.  They never allocate per line: a result is either a
 * part of the input (returned as a span, no copy) or written to a scratch
 * buffer owned by the caller.
 */
#ifndef LN_FIELDS_H
#define LN_FIELDS_H

#include <glib.h>
#include <stdbool.h>
#include "buf.h"
#include "span.h"

typedef enum {
  LN_REFERER_ORIGIN,        /* "https://host:port": where visitors came from */
  LN_REFERER_KEEP,
  LN_REFERER_STRIP_QUERY,   /* the URL without "?..." and "#..." */
  LN_REFERER_DROP,          /* "-" */
} LnRefererPolicy;

typedef enum {
  LN_QUERY_KEEP,            /* as written (the default) */
  LN_QUERY_STRIP,           /* no "?..." at all */
  LN_QUERY_ALLOW,           /* values of parameters not listed replaced */
  LN_QUERY_DENY,            /* values of listed parameters replaced */
} LnQueryPolicy;

typedef enum {
  LN_UA_DROP,
  LN_UA_KEEP,
  LN_UA_FAMILY,             /* "Firefox/128", "Googlebot", "other" */
} LnUserAgentPolicy;

/* What a denied query parameter's value becomes. */
#define LN_QUERY_REDACTED "REDACTED"

typedef struct {
  LnQueryPolicy policy;
  const char *const *names; /* NULL-terminated, for ALLOW and DENY */
} LnQueryRules;

/* Where a field's query string is. */
typedef enum {
  LN_QUERY_IN_URL,          /* "/path?query#fragment", an absolute URL too */
  LN_QUERY_IN_REQUEST,      /* "GET /path?query HTTP/1.1" */
  LN_QUERY_ONLY,            /* %q: "?query" or ""; nginx $args: "query" or "-" */
} LnQueryPlace;

/* The referer policy applied to @url.  Returns the result; when it is not
 * a part of @url it was written to @scratch (appended) and *@in_scratch is
 * set.  A referer that is not an absolute URL has no origin: "-". */
LnSpan fields_referer (LnRefererPolicy policy, LnSpan url, LnBuf *scratch,
                       bool *in_scratch);

/* The query rules applied to @text.  Returns @text itself when nothing
 * changes (the common case costs one memchr); otherwise the rewritten text,
 * appended to @scratch. */
LnSpan fields_query (const LnQueryRules *rules, LnQueryPlace place, LnSpan text,
                     LnBuf *scratch, bool *in_scratch);

/* The family of user agent @ua: "Name/Major" for a browser, the name for a
 * known bot or tool, "bot" for another crawler, "other" when unknown, "-"
 * for an empty one.  *@bot tells whether it is automated.  Writes at most
 * LN_UA_FAMILY_MAX bytes to @out and returns the length. */
#define LN_UA_FAMILY_MAX 48
size_t fields_ua_family (LnSpan ua, char *out, bool *bot);

#endif /* LN_FIELDS_H */
