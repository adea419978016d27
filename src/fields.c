/* fields.c - referer, query string and user-agent policies (see fields.h). */
#include "config.h"

#include <string.h>
#include "bytescan.h"
#include "fields.h"

typedef enum { KIND_BROWSER, KIND_BOT, KIND_TOOL } Kind;

typedef struct {
  const char *name;
  Kind kind;
  const char *match;
  const char *version;      /* NULL: no version written */
} UaRule;

/* generated from data/user-agents.tsv */
#include "ua-table.h"

static const char *
find (LnSpan hay, const char *needle, size_t nlen)
{
  return nlen <= hay.len ? memmem (hay.p, hay.len, needle, nlen) : NULL;
}

/* ---------------------------------------------------------------- referer */

/* Length of the scheme of an absolute URL ("https" in "https://..."), or 0.
 * RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" then "//". */
static size_t
scheme_length (LnSpan url)
{
  size_t i;

  /* nearly every referer: no loop */
  if (url.len > 8 && memcmp (url.p, "https://", 8) == 0)
    return 5;
  if (url.len > 7 && memcmp (url.p, "http://", 7) == 0)
    return 4;
  if (url.len == 0 || !g_ascii_isalpha (url.p[0]))
    return 0;
  for (i = 1; i < url.len; i++)
    {
      char c = url.p[i];

      if (c == ':')
        return i + 2 < url.len && url.p[i + 1] == '/' && url.p[i + 2] == '/' ? i : 0;
      if (!g_ascii_isalnum (c) && c != '+' && c != '-' && c != '.')
        return 0;
    }
  return 0;
}

static const LnSpan dash = { "-", 1 };

/* The end of @url's authority ("host:port"), and in *@at the '@' that ends
 * user information in it, or NULL. */
static const char *
authority_end (LnSpan url, size_t scheme, const char **at)
{
  /* 1: ends the authority, 2: '@' */
  static const uint8_t special[256] = { ['/'] = 1, ['?'] = 1, ['#'] = 1, ['@'] = 2 };
  const char *p = url.p + scheme + 3, *end = url.p + url.len;

  *at = NULL;
#ifdef LN_HAVE_SSE2
  /* 16 bytes at a time: a host name is a dozen letters and dots, and a
   * look at each cost as much as the rest of the policy.  The last block
   * is the last 16 bytes of @url, those before @p ignored. */
  while (p < end)
    {
      const char *block = p;
      unsigned stop, ats;

      if (end - p < 16)
        {
          if (end - url.p < 16)
            break;              /* a short URL: the loop below */
          block = end - 16;
        }
      {
        __m128i v = _mm_loadu_si128 ((const __m128i *) (const void *) block);
        unsigned skip = ~0u << (p - block);

        stop = skip & (unsigned) _mm_movemask_epi8 (_mm_or_si128 (
            _mm_or_si128 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('/')),
                          _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('?'))),
            _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('#'))));
        ats = skip & (unsigned) _mm_movemask_epi8 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('@')));
      }
      if (stop)
        {
          unsigned first = (unsigned) __builtin_ctz (stop);

          ats &= (1u << first) - 1;
          if (ats)
            *at = block + 31 - __builtin_clz (ats);
          return block + first;
        }
      if (ats)
        *at = block + 31 - __builtin_clz (ats);   /* the last one counts */
      p = block + 16;
    }
#endif
  for (; p < end; p++)
    {
      uint8_t k = special[(unsigned char) *p];

      if (k == 1)
        break;
      if (k == 2)
        *at = p;
    }
  return p;
}

/* "https://user:password@host/...": the user information goes, up to the
 * '@' at @at; what is left of the first @cut bytes, copied to @scratch.
 * Apart, so that fields_referer() itself calls nothing and saves no
 * registers. */
static G_NO_INLINE LnSpan
without_userinfo (LnSpan url, size_t scheme, const char *at, size_t cut,
                  LnBuf *scratch)
{
  size_t off = scratch->len;

  buf_append (scratch, url.p, scheme + 3);
  buf_append (scratch, at + 1, (size_t) (url.p + cut - at - 1));
  return span_make (scratch->data + off, scratch->len - off);
}

LnSpan
fields_referer (LnRefererPolicy policy, LnSpan url, LnBuf *scratch, bool *in_scratch)
{
  size_t scheme, cut;
  const char *at = NULL, *host_end = NULL;

  *in_scratch = false;
  if (span_is_dash (url) || url.len == 0 || policy == LN_REFERER_KEEP)
    return url;
  if (policy == LN_REFERER_DROP)
    return dash;
  scheme = scheme_length (url);
  if (scheme)
    host_end = authority_end (url, scheme, &at);
  if (policy == LN_REFERER_ORIGIN)
    {
      if (scheme == 0)
        return dash;           /* not an absolute URL: no origin */
      cut = (size_t) (host_end - url.p);
    }
  else
    {
      for (cut = 0; cut < url.len; cut++)
        if (url.p[cut] == '?' || url.p[cut] == '#')
          break;
    }
  if (at == NULL)
    return span_make (url.p, cut);
  *in_scratch = true;
  return without_userinfo (url, scheme, at, cut, scratch);
}

/* ------------------------------------------------------------------ query */

static bool
listed (const char *const *names, const char *name, size_t len)
{
  for (; names && *names; names++)
    if (strlen (*names) == len && g_ascii_strncasecmp (*names, name, len) == 0)
      return true;
  return false;
}

/* Appends the query @q (without "?") to @out under @rules. */
static void
rewrite_params (const LnQueryRules *rules, const char *q, const char *end, LnBuf *out)
{
  while (q < end)
    {
      const char *amp = memchr (q, '&', (size_t) (end - q));
      const char *param_end = amp ? amp : end;
      const char *eq = memchr (q, '=', (size_t) (param_end - q));
      size_t name_len = (size_t) ((eq ? eq : param_end) - q);
      bool on_list = listed (rules->names, q, name_len);
      bool redact = rules->policy == LN_QUERY_DENY ? on_list : !on_list;

      if (redact && eq)
        {
          buf_append (out, q, (size_t) (eq + 1 - q));
          buf_append (out, LN_QUERY_REDACTED, sizeof LN_QUERY_REDACTED - 1);
        }
      else
        buf_append (out, q, (size_t) (param_end - q));
      if (amp == NULL)
        break;
      buf_append_c (out, '&');
      q = amp + 1;
    }
}

LnSpan
fields_query (const LnQueryRules *rules, LnQueryPlace place, LnSpan text,
              LnBuf *scratch, bool *in_scratch)
{
  const char *start = text.p, *end = text.p + text.len;
  const char *qmark, *qend;
  size_t off;

  *in_scratch = false;
  if (rules->policy == LN_QUERY_KEEP)
    return text;
  if (place == LN_QUERY_IN_REQUEST)
    {
      /* "METHOD target PROTOCOL": only the target's query counts */
      const char *sp = memchr (start, ' ', text.len);
      const char *last = end;

      if (sp == NULL)
        return text;
      while (last > sp + 1 && last[-1] != ' ')
        last--;
      if (last > sp + 1)
        end = last - 1;          /* the space before the protocol */
      start = sp + 1;
    }
  if (place == LN_QUERY_ONLY && (text.len == 0 || text.p[0] != '?'))
    {
      /* nginx's $args: the query without "?", "-" when there is none */
      if (text.len == 0 || span_is_dash (text))
        return text;
      off = scratch->len;
      if (rules->policy == LN_QUERY_STRIP)
        buf_append_c (scratch, '-');
      else
        rewrite_params (rules, text.p, text.p + text.len, scratch);
      *in_scratch = true;
      return span_make (scratch->data + off, scratch->len - off);
    }
  qmark = memchr (start, '?', (size_t) (end - start));
  if (qmark == NULL)
    return text;
  qend = qmark + 1;
  if (place == LN_QUERY_IN_URL)
    {
      const char *hash = memchr (qend, '#', (size_t) (end - qend));

      qend = hash ? hash : end;
    }
  else
    qend = end;

  off = scratch->len;
  if (rules->policy == LN_QUERY_STRIP)
    buf_append (scratch, text.p, (size_t) (qmark - text.p));
  else
    {
      buf_append (scratch, text.p, (size_t) (qmark + 1 - text.p));
      rewrite_params (rules, qmark + 1, qend, scratch);
    }
  buf_append (scratch, qend, (size_t) (text.p + text.len - qend));
  *in_scratch = true;
  return span_make (scratch->data + off, scratch->len - off);
}

/* ------------------------------------------------------------- user agent */

static bool
contains_word_nocase (LnSpan ua, const char *word)
{
  size_t n = strlen (word), i;

  for (i = 0; i + n <= ua.len; i++)
    if (g_ascii_strncasecmp (ua.p + i, word, n) == 0)
      return true;
  return false;
}

size_t
fields_ua_family (LnSpan ua, char *out, bool *bot)
{
  size_t i;

  *bot = false;
  if (ua.len == 0 || span_is_dash (ua))
    {
      out[0] = '-';
      return 1;
    }
  for (i = 0; i < G_N_ELEMENTS (ua_rules); i++)
    {
      const UaRule *r = &ua_rules[i];
      size_t n = strlen (r->name);

      if (find (ua, r->match, strlen (r->match)) == NULL)
        continue;
      *bot = r->kind != KIND_BROWSER;
      memcpy (out, r->name, n);
      if (r->version)
        {
          const char *v = find (ua, r->version, strlen (r->version));
          const char *end = ua.p + ua.len;
          size_t digits = 0;

          if (v)
            {
              v += strlen (r->version);
              while (v + digits < end && digits < 6 && g_ascii_isdigit (v[digits]))
                digits++;
            }
          if (digits > 0)
            {
              out[n++] = '/';
              memcpy (out + n, v, digits);
              n += digits;
            }
        }
      return n;
    }
  if (contains_word_nocase (ua, "bot") || contains_word_nocase (ua, "crawl")
      || contains_word_nocase (ua, "spider"))
    {
      *bot = true;
      memcpy (out, "bot", 3);
      return 3;
    }
  memcpy (out, "other", 5);
  return 5;
}
