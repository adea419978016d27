/* fastlane.c - the fused line path (see fastlane.h). */
#include "config.h"

#include <string.h>
#include "clfscan.h"
#include "fastlane.h"
#include "fields.h"
#include "geo.h"
#include "residual.h"
#include "wipe.h"

/* x86-64: the quote scans of the combined formats come in a copy with
 * AVX2, taken when the CPU has it (fastlane_init). */
#if defined (LN_HAVE_SSE2) && defined (__GNUC__) && defined (__x86_64__)
# define FASTLANE_AVX2 1
# include <immintrin.h>
#endif

#if defined (__GNUC__)
# define LN_ALWAYS_INLINE inline __attribute__ ((__always_inline__))
# define LN_NOINLINE __attribute__ ((__noinline__))
#else
# define LN_ALWAYS_INLINE inline
# define LN_NOINLINE
#endif

static const LnSpan dash = { "-", 1 };

/* fastlane_init_records(): a bit of LnFastlane.kind beside the LN_CLF_*
 * ones (parse.h), so that fastlane_line()'s dispatch for log lines stays
 * what it was. */
#define FASTLANE_RECORD 0x80
G_STATIC_ASSERT (FASTLANE_RECORD > (LN_CLF_ON | LN_CLF_COMBINED | LN_CLF_VHOST
                                    | LN_CLF_VHOST_PORT | LN_CLF_NO_IDENT));

/* The two bytes at @p are "- " (an empty identd or user field): one
 * load and compare. */
static LN_ALWAYS_INLINE bool
dash_space (const char *p)
{
  uint16_t v, want;

  memcpy (&v, p, 2);
  memcpy (&want, "- ", 2);     /* a constant, in either byte order */
  return v == want;
}

/* The field types a format of @kind must have, in order, for the output
 * this path writes to be the general path's: client, identd and user are
 * replaced, the rest is copied or (request, referer, user agent) scanned.
 * --keep-header or an odd directive gives another type: not taken. */
static gboolean
types_fit (const LnLogFormat *lf, unsigned kind)
{
  static const LnFieldType clf[] = {
    LN_FIELD_CLIENT, LN_FIELD_IDENT, LN_FIELD_USER, LN_FIELD_TIME, LN_FIELD_REQUEST,
    LN_FIELD_STATUS, LN_FIELD_BYTES, LN_FIELD_REFERER, LN_FIELD_USER_AGENT,
  };
  LnFieldType want[G_N_ELEMENTS (clf)];
  size_t n = 0, i;

  for (i = 0; i < G_N_ELEMENTS (clf); i++)
    {
      if (clf[i] == LN_FIELD_IDENT && (kind & LN_CLF_NO_IDENT))
        continue;
      if (clf[i] == LN_FIELD_REFERER && !(kind & LN_CLF_COMBINED))
        break;
      want[n++] = clf[i];
    }
  if (lf->nops != n)
    return FALSE;
  for (i = 0; i < n; i++)
    if (lf->ops[i].type != want[i])
      return FALSE;
  return TRUE;
}

/* The anonymiser's configuration is one whose field actions this path
 * repeats: truncation or a pseudonym mode, identd and user dropped, no query rules, every
 * field written (anon.c, field_action). */
static gboolean
config_fits (const LnAnon *anon)
{
  const LnAnonConfig *c = &anon->config;

  return (c->ip_mode == LN_IP_TRUNCATE
          || (LN_IP_MODE_KEYED (c->ip_mode) && anon->cache != NULL && anon->keyring != NULL))
         && !c->client_text_unused && c->skip_types == 0
         && !c->keep_ident && c->user == LN_USER_DASH
         && (c->user_agent == LN_UA_DROP || c->user_agent == LN_UA_KEEP)
         && c->query.policy == LN_QUERY_KEEP
         && anon->visitor_key == NULL && !anon->general_only;
}

static void choose_copies (LnFastlane *fl);

void
fastlane_init (LnFastlane *fl, LnParser *parser, LnAnon *anon, gboolean log_output)
{
  size_t i;

  memset (fl, 0, sizeof *fl);
  fl->parser = parser;
  fl->anon = anon;
  choose_copies (fl);           /* every format declined, until below */
#ifdef FASTLANE_AVX2
  fl->avx2 = __builtin_cpu_supports ("avx2");
#endif
  /* LOGNYM_NO_FASTLANE: undocumented on purpose, for tests/e2e that
   * compare whole runs with and without this path */
  if (!log_output || !config_fits (anon) || parser->generic_only
      || g_getenv ("LOGNYM_NO_FASTLANE") != NULL)
    return;
  G_STATIC_ASSERT (G_N_ELEMENTS (fl->kind) == G_N_ELEMENTS (parser->fast));
  for (i = 0; i < parser->nformats && i < G_N_ELEMENTS (fl->kind); i++)
    {
      unsigned kind = parser->fast[i];

      /* a virtual host is free text, scanned: left to the general path */
      if (kind == 0 || (kind & (LN_CLF_VHOST | LN_CLF_VHOST_PORT))
          || !types_fit (parser->formats[i], kind))
        continue;
      fl->kind[i] = (uint8_t) kind;
      fl->enabled = TRUE;
    }
  choose_copies (fl);
}

void
fastlane_init_records (LnFastlane *fl, LnParser *parser, LnAnon *anon, gboolean eligible,
                       LnRecord *record, LnBuf *arena, LnWriter *writer)
{
  size_t i;

  /* the same lines as for log output: only what is made of them differs */
  fastlane_init (fl, parser, anon, eligible);
  fl->record = record;
  fl->arena = arena;
  fl->writer = writer;
  for (i = 0; i < G_N_ELEMENTS (fl->kind); i++)
    if (fl->kind[i])
      fl->kind[i] |= FASTLANE_RECORD;
  choose_copies (fl);
}

/* finish_field()'s scan of free text (anon.c), as a yes or no: TRUE when
 * [p, end) has no address the general path would look at.  Any match,
 * even one the general path would leave alone as already coarse, sends
 * the line there.  (Cheaper tests that would answer TRUE come first at
 * the callers: scan_request_avx2, NONE_POSSIBLE.) */
static LN_ALWAYS_INLINE bool
clean_text (const char *base, const char *p, const char *end)
{
  LnResidualMatch m;

  if (end - p < 3)
    return true;        /* "-": shorter than any address ("::1") */
  if (!residual_find_lenient (base, p, end, &m))
    return true;
  wipe_memory (&m.addr, sizeof m.addr);
  return false;
}

/* buf_put() for this function: gcc leaves that one a call here, and
 * the pieces of a line cost more as calls than as moves.  Never reads or
 * writes outside the @n bytes. */
static LN_ALWAYS_INLINE char *
put (char *dst, const char *src, size_t n)
{
#ifdef LN_HAVE_SSE2
  if (n >= 16)
    {
      size_t i;

      /* 32 bytes a step, then 16, the last overlapping the one before */
      for (i = 0; i + 32 < n; i += 32)
        {
          __m128i a = _mm_loadu_si128 ((const __m128i *) (const void *) (src + i));
          __m128i b = _mm_loadu_si128 ((const __m128i *) (const void *) (src + i + 16));

          _mm_storeu_si128 ((__m128i *) (void *) (dst + i), a);
          _mm_storeu_si128 ((__m128i *) (void *) (dst + i + 16), b);
        }
      if (i + 16 < n)
        _mm_storeu_si128 ((__m128i *) (void *) (dst + i),
                          _mm_loadu_si128 ((const __m128i *) (const void *) (src + i)));
      _mm_storeu_si128 ((__m128i *) (void *) (dst + n - 16),
                        _mm_loadu_si128 ((const __m128i *) (const void *) (src + n - 16)));
      return dst + n;
    }
#endif
  if (n >= 8)
    {
      uint64_t a, b;

      memcpy (&a, src, 8);
      memcpy (&b, src + n - 8, 8);
      memcpy (dst, &a, 8);
      memcpy (dst + n - 8, &b, 8);
      return dst + n;
    }
  if (n >= 4)
    {
      uint32_t a, b;

      memcpy (&a, src, 4);
      memcpy (&b, src + n - 4, 4);
      memcpy (dst, &a, 4);
      memcpy (dst + n - 4, &b, 4);
      return dst + n;
    }
  for (; n > 0; n--)
    *dst++ = *src++;
  return dst;
}

#ifdef FASTLANE_AVX2
/* One bit per byte of @v that is a decimal digit. */
__attribute__ ((target ("avx2"))) static inline unsigned
digit_mask_avx2 (__m256i v)
{
  /* v + 0x50 maps '0'...'9' to the ten smallest signed bytes */
  return (unsigned) _mm256_movemask_epi8 (_mm256_cmpgt_epi8 (
      _mm256_set1_epi8 (-128 + 10), _mm256_add_epi8 (v, _mm256_set1_epi8 (0x50))));
}

/* One bit per byte of the 32 at @p that is a '"' or a '\\'. */
__attribute__ ((target ("avx2"))) static inline unsigned
quote_mask_avx2 (const char *p)
{
  __m256i v = _mm256_loadu_si256 ((const __m256i *) (const void *) p);

  return (unsigned) _mm256_movemask_epi8 (
      _mm256_or_si256 (_mm256_cmpeq_epi8 (v, _mm256_set1_epi8 ('"')),
                       _mm256_cmpeq_epi8 (v, _mm256_set1_epi8 ('\\'))));
}

/* scan_quote() (clfscan.h) 32 bytes at a time. */
__attribute__ ((target ("avx2"))) static inline const char *
scan_quote_avx2 (const char *base, const char *p, const char *end)
{
  unsigned mask;

  while (end - p >= 32)
    {
      mask = quote_mask_avx2 (p);
      if (mask)
        return p + __builtin_ctz (mask);
      p += 32;
    }
  if (p < end && end - base >= 32)
    {
      const char *tail = end - 32;

      /* 1 <= p - tail <= 31: bytes before p were tested already */
      mask = quote_mask_avx2 (tail) & (~0u << (p - tail));
      return mask ? tail + __builtin_ctz (mask) : NULL;
    }
  return scan_quote (base, p, end);
}

/* has_quote() (clfscan.h) 64 bytes at a time: the masks are or-ed and
 * tested once a step. */
__attribute__ ((target ("avx2"))) static inline bool
has_quote_avx2 (const char *base, const char *p, const char *end)
{
  unsigned acc = 0;

  while (end - p >= 64)
    {
      acc |= quote_mask_avx2 (p) | quote_mask_avx2 (p + 32);
      p += 64;
    }
  if (end - p >= 32)
    {
      acc |= quote_mask_avx2 (p);
      p += 32;
    }
  if (p < end && end - base >= 32)
    {
      const char *tail = end - 32;

      acc |= quote_mask_avx2 (tail) & (~0u << (p - tail));
      return acc != 0;
    }
  return acc != 0 || has_quote (base, p, end);
}
#endif

#ifdef FASTLANE_AVX2
/* What the request scan learns from one 32-byte block: where the quotes
 * and backslashes are (as quote_mask_avx2), and where residual.c's find()
 * could start a match it then takes, or more, in two parts.  Every address
 * find() takes shows here: a dotted quad has three dots between digits,
 * each two to four bytes after the one before (octets of one to three
 * digits, in lenient mode too, where only the outer octets may be cut
 * from longer digit runs); a dashed one ("198-51-100-7") three dashes
 * before digits the same way: those are @separators, whose chains the
 * caller looks for (dots and dashes together: a superset).  A reverse
 * IPv6 name is 32 nibbles each followed by a dot, of which any 32 bytes
 * of it hold at least 15 (@others: four such dots in a row); IPv6 has
 * colons, escapes a '%' (@others too).  A byte at either edge counts its
 * neighbour outside as a digit. */
typedef struct {
  unsigned quotes;
  unsigned separators;
  unsigned others;
} RequestBlock;

__attribute__ ((target ("avx2"))) static inline RequestBlock
request_block_avx2 (const char *p)
{
  /* the byte each low nibble would be if it were one of ". - : %"
   * (0x2e, 0x2d, 0x3a, 0x25); 0x01 (never equal: a NUL has nibble 0)
   * elsewhere; bytes from 0x80 shuffle to 0, never equal either */
  static const char punct[32] __attribute__ ((aligned (32))) = {
    1, 1, 1, 1, 1, '%', 1, 1, 1, 1, ':', 1, 1, '-', '.', 1,
    1, 1, 1, 1, 1, '%', 1, 1, 1, 1, ':', 1, 1, '-', '.', 1,
  };
  const __m256i v = _mm256_loadu_si256 ((const __m256i *) (const void *) p);
  const unsigned special = (unsigned) _mm256_movemask_epi8 (_mm256_cmpeq_epi8 (
      _mm256_shuffle_epi8 (_mm256_load_si256 ((const __m256i *) (const void *) punct), v), v));
  const unsigned digit = digit_mask_avx2 (v);
  const unsigned dots = (unsigned) _mm256_movemask_epi8 (
      _mm256_cmpeq_epi8 (v, _mm256_set1_epi8 ('.')));
  const unsigned dashes = (unsigned) _mm256_movemask_epi8 (
      _mm256_cmpeq_epi8 (v, _mm256_set1_epi8 ('-')));
  const unsigned digit_after = (digit >> 1) | 0x80000000u;
  RequestBlock b;

  b.quotes = quote_mask_avx2 (p);     /* the same load: merged */
  b.separators = (dots & ((digit << 1) | 1u) & digit_after) | (dashes & digit_after);
  b.others = (dots & (dots >> 2) & (dots >> 4) & (dots >> 6)) | (special & ~(dots | dashes));
  return b;
}

/* @x's bits that have another one two to four bits above them: applied
 * twice to separators, the first of three in a row. */
static inline uint64_t
octet_chain (uint64_t x)
{
  return x & ((x >> 2) | (x >> 3) | (x >> 4));
}

/* True when @x has three bits set or more. */
static inline bool
three_bits (uint64_t x)
{
  x &= x - 1;
  return (x & (x - 1)) != 0;
}

/* scan_quote_avx2() for the request, which also tells in *@clean whether
 * find() would take nothing in the text before the stop, so that
 * clean_text() would answer true: most requests ("GET /a/b.css
 * HTTP/1.1", "GET /style.css?ver=6.5.1 HTTP/1.1") are settled by the
 * one or two blocks the quote scan loads anyway.  A chain of separators
 * may go on into the next block: the window is the last 8 bytes of the
 * block before and this block's 32, and its first 32 bits are settled
 * when this is not the last block, all of them when it is. */
__attribute__ ((target ("avx2"))) static inline const char *
scan_request_avx2 (const char *base, const char *p, const char *end, bool *clean)
{
  uint64_t carry = 0;           /* the block before's separators in its last 8 bytes */
  unsigned found = 0;

  while (end - p >= 32)
    {
      RequestBlock b = request_block_avx2 (p);
      /* in the last block, what comes before its first quote */
      unsigned before = b.quotes ? (b.quotes & -b.quotes) - 1 : ~0u;
      uint64_t window = carry | (uint64_t) (b.separators & before) << 8;
      uint64_t settled = b.quotes ? ~UINT64_C (0) : 0xffffffffu;

      found |= b.others & before;
      /* a chain takes three separators: most windows hold at most the
       * one of "HTTP/1.1" */
      if (three_bits (window) && !found)
        found = (unsigned) ((octet_chain (octet_chain (window)) & settled) != 0);
      if (b.quotes)
        {
          *clean = found == 0;
          return p + __builtin_ctz (b.quotes);
        }
      carry = window >> 32;
      p += 32;
    }
  if (p < end && end - base >= 32)
    {
      const char *tail = end - 32;
      /* 1 <= p - tail <= 31: bytes before p were scanned already; a chain
       * carried into this block is taken as found */
      const unsigned fresh = ~0u << (p - tail);
      RequestBlock b = request_block_avx2 (tail);
      unsigned quotes = b.quotes & fresh;
      unsigned before = quotes ? (quotes & -quotes) - 1 : ~0u;

      found |= (unsigned) (carry != 0)
               | (unsigned) (octet_chain (octet_chain (b.separators & fresh & before)) != 0)
               | (b.others & fresh & before);
      *clean = found == 0;
      return quotes ? tail + __builtin_ctz (quotes) : NULL;
    }
  *clean = false;
  return scan_quote (base, p, end);
}
#endif

#ifdef FASTLANE_AVX2
/* residual_none_possible() (residual.h) 32 bytes at a time: a referer's
 * origin ("https://www.example.org") is one block. */
__attribute__ ((target ("avx2"))) static inline bool
none_possible_avx2 (const char *base, const char *p, const char *end)
{
  while (p < end)
    {
      const char *block = p;
      unsigned skip = ~0u;
      __m256i v;
      unsigned digit, colon, slash;

      if (end - p < 32)
        {
          if (end - base < 32)
            return residual_none_possible (base, p, end);
          block = end - 32;
          skip = ~0u << (p - block);
        }
      v = _mm256_loadu_si256 ((const __m256i *) (const void *) block);
      digit = digit_mask_avx2 (v);
      colon = (unsigned) _mm256_movemask_epi8 (_mm256_cmpeq_epi8 (v, _mm256_set1_epi8 (':')));
      slash = (unsigned) _mm256_movemask_epi8 (_mm256_cmpeq_epi8 (v, _mm256_set1_epi8 ('/')));
      /* a ':' at the block's end has its '/' outside: not known, kept */
      if ((digit | (colon & ~(slash >> 1))) & skip)
        return false;
      p = block + 32;
    }
  return true;
}
# define NONE_POSSIBLE(avx2, base, p, end) \
  ((avx2) ? none_possible_avx2 ((base), (p), (end)) : residual_none_possible ((base), (p), (end)))
#else
# define NONE_POSSIBLE(avx2, base, p, end) residual_none_possible ((base), (p), (end))
#endif

#ifdef FASTLANE_AVX2
/* put() 32 bytes a register: the text from the time to the referer is
 * some 150 bytes. */
__attribute__ ((target ("avx2"))) static inline char *
put_avx2 (char *dst, const char *src, size_t n)
{
  size_t i;

  if (n < 32)
    return put (dst, src, n);
  for (i = 0; i + 64 < n; i += 64)
    {
      __m256i a = _mm256_loadu_si256 ((const __m256i *) (const void *) (src + i));
      __m256i b = _mm256_loadu_si256 ((const __m256i *) (const void *) (src + i + 32));

      _mm256_storeu_si256 ((__m256i *) (void *) (dst + i), a);
      _mm256_storeu_si256 ((__m256i *) (void *) (dst + i + 32), b);
    }
  if (i + 32 < n)
    _mm256_storeu_si256 ((__m256i *) (void *) (dst + i),
                         _mm256_loadu_si256 ((const __m256i *) (const void *) (src + i)));
  _mm256_storeu_si256 ((__m256i *) (void *) (dst + n - 32),
                       _mm256_loadu_si256 ((const __m256i *) (const void *) (src + n - 32)));
  return dst + n;
}
# define PUT(avx2, dst, src, n) ((avx2) ? put_avx2 ((dst), (src), (n)) : put ((dst), (src), (n)))
#else
# define PUT(avx2, dst, src, n) put ((dst), (src), (n))
#endif

#ifdef FASTLANE_AVX2
/* fields_referer() (fields.c) under --referer=origin, inline for the
 * common URL: "https://" or "http://" and a host that ends within the 32
 * bytes after it, where 32 bytes may be read before @end.  Sets *@origin,
 * and *@clean when the residual scan could find nothing in it (no digit,
 * no ':' but the scheme's: residual_none_possible()), and returns true;
 * false for any other URL, user information ("user@host") included,
 * which fields_referer() then takes. */
__attribute__ ((target ("avx2"))) static inline bool
origin_avx2 (LnSpan url, const char *end, LnSpan *origin, bool *clean)
{
  const char *host;
  size_t scheme, rest;
  unsigned stops, ats, digit, colon, within;
  __m256i v;

  if (url.len > 8 && memcmp (url.p, "https://", 8) == 0)
    scheme = 8;
  else if (url.len > 7 && memcmp (url.p, "http://", 7) == 0)
    scheme = 7;
  else
    return false;
  host = url.p + scheme;
  rest = url.len - scheme;
  if (end - host < 32)
    return false;
  v = _mm256_loadu_si256 ((const __m256i *) (const void *) host);
  within = rest >= 32 ? ~0u : (1u << rest) - 1;
  stops = (unsigned) _mm256_movemask_epi8 (_mm256_or_si256 (
              _mm256_or_si256 (_mm256_cmpeq_epi8 (v, _mm256_set1_epi8 ('/')),
                               _mm256_cmpeq_epi8 (v, _mm256_set1_epi8 ('?'))),
              _mm256_cmpeq_epi8 (v, _mm256_set1_epi8 ('#')))) & within;
  if (stops)
    within = (stops & -stops) - 1;      /* the host: bytes before the stop */
  else if (rest > 32)
    return false;                       /* a host of 32 bytes or more */
  ats = (unsigned) _mm256_movemask_epi8 (_mm256_cmpeq_epi8 (v, _mm256_set1_epi8 ('@')));
  if (ats & within)
    return false;
  digit = digit_mask_avx2 (v);
  colon = (unsigned) _mm256_movemask_epi8 (_mm256_cmpeq_epi8 (v, _mm256_set1_epi8 (':')));
  /* residual_none_possible() of the origin: the scheme has no digit and
   * its ':' is followed by '/'; any ':' in the host counts (a port has
   * digits anyway) */
  *clean = ((digit | colon) & within) == 0;
  *origin = span_make (url.p, scheme + (size_t) __builtin_popcount (within));
  return true;
}
# define ORIGIN(avx2, url, end, origin, clean) \
  ((avx2) && origin_avx2 ((url), (end), (origin), (clean)))
#else
# define ORIGIN(avx2, url, end, origin, clean) false
#endif

/* The quote scans, in the copy of fused() for the CPU at hand. */
#ifdef FASTLANE_AVX2
# define SCAN_QUOTE(avx2, base, p, end) \
  ((avx2) ? scan_quote_avx2 ((base), (p), (end)) : scan_quote ((base), (p), (end)))
# define HAS_QUOTE(avx2, base, p, end) \
  ((avx2) ? has_quote_avx2 ((base), (p), (end)) : has_quote ((base), (p), (end)))
#else
# define SCAN_QUOTE(avx2, base, p, end) scan_quote ((base), (p), (end))
# define HAS_QUOTE(avx2, base, p, end) has_quote ((base), (p), (end))
#endif

/* One field of the record parser_parse() and anon_record() make of a
 * line this path takes (fastlane_init_records()): parse_clf()'s field
 * (parse.c, set_field) with the "out" span anon_field() (anon.c) gives it
 * under the configurations config_fits() lets through. */
static LN_ALWAYS_INLINE void
set_field (LnField *f, LnFieldType type, LnSpan raw, LnSpan out)
{
  f->type = type;
  f->raw = raw;
  f->out = out;
  f->in_arena = false;
}

/* ACT_DASH and ACT_USER under --remote-user=dash: a "-" keeps its own
 * bytes. */
static LN_ALWAYS_INLINE LnSpan
dash_out (LnSpan raw)
{
  return span_is_dash (raw) ? raw : dash;
}

/* One line of a format of @kind (a constant in each copy).  The checks up
 * to the first output are parse_clf()'s, in its order: it takes exactly
 * the lines that one takes; see there.  @to_record (a constant, too): the
 * line becomes fl->record for fl->writer instead of a log line. */
/* Where the client's text goes, with room for @client bytes of it: for a
 * record, the start of the arena, as anon_record() leaves it; for a log
 * line, the end of @out, with @rest more bytes for the rest of the line. */
static LN_ALWAYS_INLINE char *
client_room (LnFastlane *fl, LnBuf *out, size_t rest, size_t client, const bool to_record)
{
  if (to_record)
    {
      buf_reset (fl->arena);
      buf_reserve (fl->arena, client);
      return fl->arena->data;
    }
  buf_reserve (out, rest + client);
  return out->data + out->len;
}

static LN_ALWAYS_INLINE gboolean
fused (LnFastlane *fl, LnParser *parser, LnAnon *anon, LnSpan line, LnSpan eol,
       LnBuf *out, const unsigned kind, const bool avx2, const bool to_record)
{
  const LnAnonConfig *cfg = &anon->config;
  const char *const base = line.p;
  const char *const end = line.p + line.len;
  const char *p = line.p;
  const char *q, *client_end, *stamp, *request, *request_end, *tail_end;
  const bool scan = cfg->residual != LN_RESIDUAL_OFF;
  LnSpan referer = dash, agent = dash;
  /* to_record only: the fields the log line does not copy as they are */
  LnSpan ident = dash, user = dash, status = dash, bytes = dash;
  LnSpan referer_raw = dash, agent_raw = dash;
  bool request_clean = false;   /* the request scan saw no address to find */
  LnTime time;
  LnAddr addr;
  char *dst;

  /* %h: one token, not a list */
  q = scan_byte_in (base, p, end, ' ');
  if (q == NULL || q == p || q[-1] == ',')
    return FALSE;
  client_end = q;
  if (kind & LN_CLF_NO_IDENT)
    {
      if (end - q < 3 || q[1] != '-' || q[2] != ' ')
        return FALSE;
      p = q + 3;
    }
  else
    {
      /* %l */
      p = q + 1;
      if (end - p >= 2 && dash_space (p))
        q = p + 1;
      else
        {
          q = scan_byte_in (base, p, end, ' ');
          if (q == NULL || q == p)
            return FALSE;
        }
      if (to_record)
        ident = span_make (p, (size_t) (q - p));
      p = q + 1;
    }
  /* %u and " [" */
  if (end - p >= 2 && dash_space (p))
    q = p + 1;
  else
    {
      q = scan_byte_in (base, p, end, ' ');
      if (q == NULL || q == p)
        return FALSE;
    }
  if (end - q < 2 || q[1] != '[')
    return FALSE;
  if (to_record)
    user = span_make (p, (size_t) (q - p));
  p = q + 2;
  /* %t and "] \"": validated as the parser does, and through its cache */
  stamp = p;
  if (end - p < LN_CLFTIME_LEN + 3 || p[LN_CLFTIME_LEN] != ']'
      || p[LN_CLFTIME_LEN + 1] != ' ' || p[LN_CLFTIME_LEN + 2] != '"'
      || (!clftime_cache_last (&parser->time_cache, p, &time)
          && !clftime_parse_cached (&parser->time_cache,
                                    span_make (p, LN_CLFTIME_LEN), &time)))
    return FALSE;
  p += LN_CLFTIME_LEN + 3;
  /* %r: the first quote ends it when no backslash comes before it */
  request = p;
#ifdef FASTLANE_AVX2
  if (avx2 && scan)
    q = scan_request_avx2 (base, p, end, &request_clean);
  else
#endif
    q = SCAN_QUOTE (avx2, base, p, end);
  if (q == NULL || *q != '"' || end - q < 2 || q[1] != ' ')
    return FALSE;
  request_end = q;
  p = q + 2;
  /* %>s */
  if (end - p < 4 || p[3] != ' ' || (unsigned) (p[0] - '0') > 9
      || (unsigned) (p[1] - '0') > 9 || (unsigned) (p[2] - '0') > 9)
    return FALSE;
  if (to_record)
    status = span_make (p, 3);
  p += 4;
  /* %b */
  q = bytes_end (p, end);
  if (q == NULL)
    return FALSE;
  if (to_record)
    bytes = span_make (p, (size_t) (q - p));
  if (kind & LN_CLF_COMBINED)
    {
      const char *ua;

      if (end - q < 2 || q[0] != ' ' || q[1] != '"')
        return FALSE;
      p = q + 2;
      tail_end = p;     /* the copied text ends with the referer's quote */
      /* the referer, and the agent up to the line's last byte: no
       * trailing fields */
      q = SCAN_QUOTE (avx2, base, p, end);
      if (q == NULL || *q != '"' || end - q < 3 || q[1] != ' ' || q[2] != '"')
        return FALSE;
      referer = span_make (p, (size_t) (q - p));
      ua = q + 3;
      if (ua == end || end[-1] != '"' || HAS_QUOTE (avx2, base, ua, end - 1))
        return FALSE;
      agent = span_make (ua, (size_t) (end - 1 - ua));
      referer_raw = referer;
      agent_raw = agent;
    }
  else
    {
      if (q != end)
        return FALSE;
      tail_end = end;
    }

  /* The line is the parser's; now what anon_record() would make of it.
   * Free text first: a residual address declines the line. */
  if (scan && !request_clean && !clean_text (base, request, request_end))
    return FALSE;
  if (kind & LN_CLF_COMBINED)
    {
      /* --referer=drop writes "-" for anything, an empty value too; the
       * others keep "-" (anon.c, ACT_DASH and ACT_REFERER) */
      if (cfg->referer == LN_REFERER_DROP)
        referer = dash;
      else if (!span_is_dash (referer))
        {
          bool in_scratch, clean;

          if (cfg->referer == LN_REFERER_ORIGIN && ORIGIN (avx2, referer, end, &referer, &clean))
            {
              if (scan && !clean && !clean_text (base, referer.p, referer.p + referer.len))
                return FALSE;
            }
          else
            {
              referer = fields_referer (cfg->referer, referer, &anon->scratch, &in_scratch);
              if (in_scratch)
                {
                  /* user information taken out: the general path's case,
                   * and the scratch held it */
                  buf_wipe (&anon->scratch);
                  return FALSE;
                }
              /* an origin mostly has no digit: no scan then (a test that
               * is a loss where digits are common, as in requests) */
              if (scan
                  && !(cfg->referer == LN_REFERER_ORIGIN
                       && NONE_POSSIBLE (avx2, base, referer.p, referer.p + referer.len))
                  && !clean_text (base, referer.p, referer.p + referer.len))
                return FALSE;
            }
        }
      if (cfg->user_agent == LN_UA_KEEP)
        {
          if (scan && !clean_text (base, agent.p, agent.p + agent.len))
            return FALSE;
        }
      else
        agent = dash;
    }
  /* the client last: its octets live in @addr only until truncated */
  if (LN_IP_MODE_KEYED (cfg->ip_mode))
    {
      /* the pseudonym modes: the anonymiser's own code, with the key of
       * the record's period and the slot anon_look_ahead() located */
      size_t n;

      dst = client_room (fl, out, line.len + eol.len + 1, LN_ANON_TEXT_MAX, to_record);
      n = anon_keyed_client (anon, span_make (base, (size_t) (client_end - base)), end,
                             time.epoch, dst);
      if (n == 0)
        return FALSE;
      dst += n;
    }
  else
    {
      const LnSpan client = span_make (base, (size_t) (client_end - base));
      size_t n = 0;

      if (avx2 && !anon->geo)
        {
          /* the common case, a dotted quad, truncated as text (AVX2
           * implies SSSE3) */
          dst = client_room (fl, out, line.len + eol.len + 1, LN_ADDR_TEXT_MAX, to_record);
          n = ipaddr_truncate_v4_text_ssse3 (client, end, cfg->v4_bits, dst);
        }
      if (n != 0)
        {
          anon->stats.clients_v4++;
          dst += n;
        }
      else
        {
          if (!ipaddr_parse_bare_in (client, end, &addr))
            {
              wipe_memory (&addr, sizeof addr);   /* "192.0.2.7:5678" left octets */
              return FALSE;
            }
          /* Committed: the line is written. */
          dst = client_room (fl, out, line.len + eol.len + 1, LN_ADDR_TEXT_MAX, to_record);
          if (addr.family == LN_AF_INET)
            anon->stats.clients_v4++;
          else if (addr.family == LN_AF_INET6)
            anon->stats.clients_v6++;
          else
            anon->stats.clients_other++;
          if (anon->geo)
            {
              /* as anon_keyed_client() */
              char code[3];

              geo_lookup (anon->geo, &addr, code);
            }
          ipaddr_truncate (&addr, cfg->v4_bits, cfg->v6_bits);
          dst += ipaddr_format (&addr, dst);
        }
    }
  if (to_record)
    {
      LnRecord *rec = fl->record;
      LnField *f = rec->fields;

      fl->arena->len = (size_t) (dst - fl->arena->data);
      rec->line = line;
      rec->eol = eol;
      rec->format_index = (int) parser->last_match;
      f->type = LN_FIELD_CLIENT;
      f->raw = span_make (base, (size_t) (client_end - base));
      f->out = span_make (fl->arena->data, fl->arena->len);
      f->arena_off = 0;
      f->in_arena = true;
      f++;
      if (!(kind & LN_CLF_NO_IDENT))
        set_field (f++, LN_FIELD_IDENT, ident, dash_out (ident));
      set_field (f++, LN_FIELD_USER, user, dash_out (user));
      set_field (f++, LN_FIELD_TIME, span_make (stamp, LN_CLFTIME_LEN),
                 span_make (stamp, LN_CLFTIME_LEN));
      set_field (f++, LN_FIELD_REQUEST, span_make (request, (size_t) (request_end - request)),
                 span_make (request, (size_t) (request_end - request)));
      set_field (f++, LN_FIELD_STATUS, status, status);
      set_field (f++, LN_FIELD_BYTES, bytes, bytes);
      if (kind & LN_CLF_COMBINED)
        {
          /* the referer as fields_referer() left it, the agent kept or
           * dropped */
          set_field (f++, LN_FIELD_REFERER, referer_raw,
                     cfg->referer == LN_REFERER_DROP ? dash_out (referer_raw) : referer);
          set_field (f++, LN_FIELD_USER_AGENT, agent_raw,
                     cfg->user_agent == LN_UA_KEEP ? agent_raw : dash_out (agent_raw));
        }
      rec->nfields = (size_t) (f - rec->fields);
      memcpy (rec->first, parser->formats[parser->last_match]->first, sizeof rec->first);
      rec->has_time = true;
      rec->time = time;
      rec->status = (status.p[0] - '0') * 100 + (status.p[1] - '0') * 10 + (status.p[2] - '0');
      rec->country[0] = '\0';
      rec->has_visitor = false;
      fl->writer->ops->write_record (fl->writer, rec, out);
      fl->accepted++;
      return TRUE;
    }
  /* The client and "- - [" replace the first fields; everything from the
   * time to the referer is the line's own text (time, request, status,
   * bytes), then referer and agent. */
  memcpy (dst, " - - [", 6);
  dst += 6;
  dst = PUT (avx2, dst, stamp, (size_t) (tail_end - stamp));
  if (kind & LN_CLF_COMBINED)
    {
      dst = PUT (avx2, dst, referer.p, referer.len);
      if (agent.p == dash.p)
        {
          /* the default, --user-agent=drop: one constant */
          memcpy (dst, "\" \"-\"", 5);
          dst += 5;
        }
      else
        {
          memcpy (dst, "\" \"", 3);
          dst += 3;
          dst = PUT (avx2, dst, agent.p, agent.len);
          *dst++ = '"';
        }
    }
  if (G_LIKELY (eol.len == 1 && eol.p[0] == '\n'))
    *dst++ = '\n';
  else
    {
      /* as writer_end_line: CRLF stays CRLF, every line ends in '\n' */
      dst = put (dst, eol.p, eol.len);
      if (eol.len == 0 || eol.p[eol.len - 1] != '\n')
        *dst++ = '\n';
    }
  out->len = (size_t) (dst - out->data);
  fl->accepted++;
  return TRUE;
}

/* One function per kind, so that fastlane_line() stays a dispatch
 * without the register saves of the whole path. */
#define FUSED_COPY(name, kind, avx2, attrs) \
  attrs static gboolean \
  name (LnFastlane *fl, LnSpan line, LnSpan eol, LnBuf *out) \
  { \
    return fused (fl, fl->parser, fl->anon, line, eol, out, (kind), (avx2), \
                  ((kind) & FASTLANE_RECORD) != 0); \
  }

#define CLF_COMBINED (LN_CLF_ON | LN_CLF_COMBINED)
#define CLF_NGINX (LN_CLF_ON | LN_CLF_NO_IDENT)
#define CLF_NGINX_COMBINED (LN_CLF_ON | LN_CLF_NO_IDENT | LN_CLF_COMBINED)

FUSED_COPY (fused_combined, CLF_COMBINED, false, LN_NOINLINE)
FUSED_COPY (fused_common, LN_CLF_ON, false, LN_NOINLINE)
FUSED_COPY (fused_nginx_combined, CLF_NGINX_COMBINED, false, LN_NOINLINE)
FUSED_COPY (fused_nginx_common, CLF_NGINX, false, LN_NOINLINE)
/* the same for fastlane_init_records() */
FUSED_COPY (fused_combined_rec, FASTLANE_RECORD | CLF_COMBINED, false, LN_NOINLINE)
FUSED_COPY (fused_common_rec, FASTLANE_RECORD | LN_CLF_ON, false, LN_NOINLINE)
FUSED_COPY (fused_nginx_combined_rec, FASTLANE_RECORD | CLF_NGINX_COMBINED, false, LN_NOINLINE)
FUSED_COPY (fused_nginx_common_rec, FASTLANE_RECORD | CLF_NGINX, false, LN_NOINLINE)

#ifdef FASTLANE_AVX2
/* The combined formats, the common case, with the quote scans 32 bytes
 * wide where the CPU has AVX2 (fastlane_init decides once).  flatten:
 * the AVX2 helpers are inlined only into a function compiled for AVX2. */
#define AVX2_COPY __attribute__ ((target ("avx2"), flatten))
FUSED_COPY (fused_combined_avx2, CLF_COMBINED, true, AVX2_COPY)
FUSED_COPY (fused_nginx_combined_avx2, CLF_NGINX_COMBINED, true, AVX2_COPY)
FUSED_COPY (fused_combined_rec_avx2, FASTLANE_RECORD | CLF_COMBINED, true, AVX2_COPY)
FUSED_COPY (fused_nginx_combined_rec_avx2, FASTLANE_RECORD | CLF_NGINX_COMBINED, true,
            AVX2_COPY)
#endif

/* For the formats the fused path does not take. */
static gboolean
decline (LnFastlane *fl, LnSpan line, LnSpan eol, LnBuf *out)
{
  (void) fl;
  (void) line;
  (void) eol;
  (void) out;
  return FALSE;
}

/* The copy of fused() for @kind (an LnFastlane.kind value), without or
 * with AVX2. */
static LnFastlaneFn
copy_for (unsigned kind, gboolean avx2)
{
#ifndef FASTLANE_AVX2
  avx2 = FALSE;
#endif
  switch (kind)
    {
    case LN_CLF_ON | LN_CLF_COMBINED:
#ifdef FASTLANE_AVX2
      if (avx2)
        return fused_combined_avx2;
#endif
      return fused_combined;
    case LN_CLF_ON:
      return fused_common;
    case LN_CLF_ON | LN_CLF_NO_IDENT | LN_CLF_COMBINED:
#ifdef FASTLANE_AVX2
      if (avx2)
        return fused_nginx_combined_avx2;
#endif
      return fused_nginx_combined;
    case LN_CLF_ON | LN_CLF_NO_IDENT:
      return fused_nginx_common;
    case FASTLANE_RECORD | LN_CLF_ON | LN_CLF_COMBINED:
#ifdef FASTLANE_AVX2
      if (avx2)
        return fused_combined_rec_avx2;
#endif
      return fused_combined_rec;
    case FASTLANE_RECORD | LN_CLF_ON:
      return fused_common_rec;
    case FASTLANE_RECORD | LN_CLF_ON | LN_CLF_NO_IDENT | LN_CLF_COMBINED:
#ifdef FASTLANE_AVX2
      if (avx2)
        return fused_nginx_combined_rec_avx2;
#endif
      return fused_nginx_combined_rec;
    case FASTLANE_RECORD | LN_CLF_ON | LN_CLF_NO_IDENT:
      return fused_nginx_common_rec;
    default:
      return decline;
    }
}

/* fastlane_line()'s table, from @fl->kind. */
static void
choose_copies (LnFastlane *fl)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (fl->kind); i++)
    {
      fl->take[0][i] = copy_for (fl->kind[i], FALSE);
      fl->take[1][i] = copy_for (fl->kind[i], TRUE);
    }
}
