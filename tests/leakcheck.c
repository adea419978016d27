/* leakcheck.c - does an anonymised log still contain a client address of
 * the original?
 *
 * usage: leakcheck [--v4-prefix N] [--v6-prefix N] [--any] ORIGINAL OUTPUT
 *
 * For every line of ORIGINAL the client address is taken from the first
 * whitespace-separated field that holds one (field 1, else field 2 for
 * vhost lines), with brackets, a ":port" and a "%zone" stripped; a leading
 * forwarded-for list "a, b, c" (also quoted, also without spaces) gives one
 * client address per hop.  An address that equals its own truncation at the
 * given prefixes (default 24 and 48) cannot leak and is skipped, unless
 * --any is given.
 *
 * OUTPUT is then cut into tokens of [0-9A-Fa-f:.], taken as they are and
 * with leading and trailing '.' and ':' stripped.  A token leaks an address
 * when its text (case insensitive) or its canonical form equals the text or
 * canonical form of a forbidden address.  To also catch "a.b.c.d:port", "::ffff:a.b.c.d" and
 * "x1.2.3.4", every dotted run of digits inside a token is compared too, and
 * an IPv6 token without its last ":group" (an unbracketed port).
 *
 * Either file may be "-" (standard input) and may be gzip-compressed.
 * Prints a summary line,
 *   leakcheck: N input lines, K distinct client addresses, M output lines, L leaked
 * (K counts the addresses that must not appear, L those that did), and the
 * first 20 leaks; exits 1 if anything leaked, 0 if not, 2 on a usage or I/O
 * error.
 *
 * This is the project's own version of the Python checker used during
 * development; it uses ipaddr_parse() and ipaddr_format() from the library
 * but truncates by itself, so that a truncation bug cannot make every
 * address look "already truncated" and hide itself.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <zlib.h>

#include "ipaddr.h"

#define MAX_REPORTED 20

typedef struct {
  GHashTable *forbidden;   /* lower-case text -> canonical text (borrowed) */
  GHashTable *canonical;   /* canonical text -> itself (owns the strings) */
  GHashTable *leaked;      /* canonical text -> first output line */
  GPtrArray *leak_order;   /* canonical texts in the order found */
  GArray *leak_lines;      /* output line of each entry of leak_order */
  unsigned v4_bits;
  unsigned v6_bits;
  gboolean any;
} Check;

static void
usage (void)
{
  fprintf (stderr,
           "usage: leakcheck [--v4-prefix N] [--v6-prefix N] [--any] ORIGINAL OUTPUT\n");
}

/* Reads all of @path ("-": standard input), gunzipping if needed. */
static GByteArray *
slurp (const char *path)
{
  GByteArray *data = g_byte_array_new ();
  gzFile gz;
  int fd;
  char block[65536];
  int n;

  if (strcmp (path, "-") == 0)
    fd = dup (STDIN_FILENO);
  else
    fd = open (path, O_RDONLY);
  if (fd < 0)
    {
      fprintf (stderr, "leakcheck: %s: cannot open: %s\n", path, g_strerror (errno));
      g_byte_array_unref (data);
      return NULL;
    }
  gz = gzdopen (fd, "rb");
  if (gz == NULL)
    {
      fprintf (stderr, "leakcheck: %s: cannot read\n", path);
      close (fd);
      g_byte_array_unref (data);
      return NULL;
    }
  while ((n = gzread (gz, block, sizeof block)) > 0)
    g_byte_array_append (data, (const guint8 *) block, (guint) n);
  if (n < 0)
    {
      int errnum;
      const char *msg = gzerror (gz, &errnum);

      fprintf (stderr, "leakcheck: %s: read error: %s\n", path,
               errnum == Z_ERRNO ? g_strerror (errno) : msg);
      gzclose (gz);
      g_byte_array_unref (data);
      return NULL;
    }
  gzclose (gz);
  return data;
}

/* Calls @func for every line of @data (without its "\n"); returns the
 * number of lines, counting an unterminated last line. */
typedef void (*LineFunc) (Check *check, const char *line, size_t len, guint64 number);

static guint64
for_each_line (Check *check, const GByteArray *data, LineFunc func)
{
  const char *p = (const char *) data->data;
  const char *end = p + data->len;
  guint64 number = 0;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', (size_t) (end - p));
      const char *stop = nl ? nl : end;

      func (check, p, (size_t) (stop - p), ++number);
      p = nl ? nl + 1 : end;
    }
  return number;
}

static void
keep_bits (uint8_t *bytes, unsigned nbytes, unsigned bits)
{
  unsigned i;

  for (i = 0; i < nbytes; i++)
    {
      unsigned keep = bits >= 8 ? 8 : bits;

      bytes[i] &= keep ? (uint8_t) (0xff << (8 - keep)) : 0;
      bits -= keep;
    }
}

static gboolean
is_v4_mapped (const LnAddr *a)
{
  static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

  return a->family == LN_AF_INET6 && memcmp (a->bytes, prefix, 12) == 0;
}

/* True when @a is its own truncation: nothing to hide. */
static gboolean
is_own_truncation (const Check *check, const LnAddr *a)
{
  LnAddr t = *a;

  if (t.family == LN_AF_INET)
    keep_bits (t.bytes, 4, check->v4_bits);
  else if (is_v4_mapped (&t))
    keep_bits (t.bytes + 12, 4, check->v4_bits);
  else
    keep_bits (t.bytes, 16, check->v6_bits);
  return memcmp (t.bytes, a->bytes, sizeof t.bytes) == 0;
}

static char *
canonical_text (const LnAddr *a)
{
  char text[LN_ADDR_TEXT_MAX + 1];
  size_t n = ipaddr_format (a, text);

  text[n] = '\0';
  return g_strdup (text);
}

/* One hop of a client field: "[a]:port", "a%zone", "a.b.c.d:port", "a". */
static gboolean
parse_hop (const char *p, size_t len, LnAddr *addr, const char **text, size_t *text_len)
{
  const char *pct;
  const char *colon = NULL;
  size_t i, colons = 0;

  if (len > 0 && p[0] == '[')
    {
      const char *close = memchr (p, ']', len);

      if (close == NULL)
        return FALSE;
      len = (size_t) (close - p - 1);
      p++;
    }
  pct = memchr (p, '%', len);
  if (pct)
    len = (size_t) (pct - p);
  *text = p;
  *text_len = len;
  if (ipaddr_parse (p, len, addr))
    return TRUE;
  for (i = 0; i < len; i++)
    if (p[i] == ':')
      {
        colons++;
        colon = p + i;
      }
  if (colons == 1 && ipaddr_parse (p, (size_t) (colon - p), addr)
      && addr->family == LN_AF_INET)
    {
      *text_len = (size_t) (colon - p);
      return TRUE;
    }
  return FALSE;
}

static void
forbid (Check *check, const LnAddr *addr, const char *text, size_t len)
{
  char *canon = canonical_text (addr);
  char *stored = g_hash_table_lookup (check->canonical, canon);

  if (stored == NULL)
    {
      stored = canon;
      g_hash_table_add (check->canonical, stored);
    }
  else
    g_free (canon);
  g_hash_table_insert (check->forbidden, g_strdup (stored), stored);
  g_hash_table_insert (check->forbidden, g_ascii_strdown (text, (gssize) len), stored);
}

typedef struct {
  const char *p;
  size_t len;
} Tok;

/* The hops of the client field that starts at token @i; returns how many
 * hold an address and sets @next to the token after the field. */
static int
client_field (Check *check, const Tok *toks, size_t ntoks, size_t i, size_t *next)
{
  int found = 0;

  for (; i < ntoks; i++)
    {
      const char *p = toks[i].p;
      size_t len = toks[i].len;
      gboolean more;

      if (len > 0 && p[0] == '"')
        p++, len--;
      if (len > 0 && p[len - 1] == '"')
        len--;
      more = len > 0 && p[len - 1] == ',';
      while (len > 0)
        {
          const char *comma = memchr (p, ',', len);
          size_t hop_len = comma ? (size_t) (comma - p) : len;
          LnAddr addr;
          const char *text;
          size_t text_len;

          if (hop_len > 0 && parse_hop (p, hop_len, &addr, &text, &text_len))
            {
              found++;
              if (check->any || !is_own_truncation (check, &addr))
                forbid (check, &addr, text, text_len);
            }
          if (comma == NULL)
            break;
          len -= hop_len + 1;
          p = comma + 1;
        }
      if (!more)
        break;
    }
  *next = i + 1;
  return found;
}

static void
original_line (Check *check, const char *line, size_t len, guint64 number)
{
  Tok toks[16];
  size_t ntoks = 0;
  const char *p = line;
  const char *end = line + len;
  size_t next;

  (void) number;
  while (p < end && ntoks < G_N_ELEMENTS (toks))
    {
      const char *s;

      while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
      s = p;
      while (p < end && *p != ' ' && *p != '\t' && *p != '\r')
        p++;
      if (p > s)
        {
          toks[ntoks].p = s;
          toks[ntoks].len = (size_t) (p - s);
          ntoks++;
        }
    }
  if (ntoks == 0)
    return;
  if (client_field (check, toks, ntoks, 0, &next) == 0 && next < ntoks)
    client_field (check, toks, ntoks, next, &next);
}

static void
record_leak (Check *check, const char *canon, guint64 number)
{
  if (g_hash_table_contains (check->leaked, canon))
    return;
  g_hash_table_insert (check->leaked, (gpointer) canon, NULL);
  g_ptr_array_add (check->leak_order, (gpointer) canon);
  g_array_append_val (check->leak_lines, number);
}

/* Looks up @p/@len as text and in canonical form. */
static void
probe (Check *check, const char *p, size_t len, guint64 number)
{
  char *lower;
  const char *hit;
  LnAddr addr;

  if (len == 0 || len > LN_ADDR_TEXT_MAX)
    return;
  lower = g_ascii_strdown (p, (gssize) len);
  hit = g_hash_table_lookup (check->forbidden, lower);
  g_free (lower);
  if (hit == NULL && ipaddr_parse (p, len, &addr))
    {
      char *canon = canonical_text (&addr);

      hit = g_hash_table_lookup (check->forbidden, canon);
      g_free (canon);
    }
  if (hit)
    record_leak (check, hit, number);
}

static gboolean
is_token_byte (char c)
{
  return g_ascii_isxdigit (c) || c == ':' || c == '.';
}

static void
output_token (Check *check, const char *p, size_t len, guint64 number)
{
  size_t i, colons = 0;

  /* as it stands first: stripping colons would break "::1", "2001:db8::" */
  probe (check, p, len, number);
  while (len > 0 && (p[0] == '.' || p[0] == ':'))
    p++, len--;
  while (len > 0 && (p[len - 1] == '.' || p[len - 1] == ':'))
    len--;
  if (len == 0)
    return;
  probe (check, p, len, number);

  /* dotted digit runs inside the token: "a.b.c.d:port", "::ffff:a.b.c.d" */
  for (i = 0; i < len;)
    {
      size_t s, e;
      gboolean dot = FALSE;

      while (i < len && !g_ascii_isdigit (p[i]))
        i++;
      s = i;
      while (i < len && (g_ascii_isdigit (p[i]) || p[i] == '.'))
        dot |= p[i++] == '.';
      e = i;
      while (e > s && p[e - 1] == '.')
        e--;
      if (dot && (s > 0 || e < len))
        probe (check, p + s, e - s, number);
    }

  /* an unbracketed IPv6 address followed by ":port" */
  for (i = 0; i < len; i++)
    colons += p[i] == ':';
  if (colons >= 3)
    {
      const char *last = memrchr (p, ':', len);

      probe (check, p, (size_t) (last - p), number);
    }
}

static void
output_line (Check *check, const char *line, size_t len, guint64 number)
{
  const char *p = line;
  const char *end = line + len;

  while (p < end)
    {
      const char *s;

      while (p < end && !is_token_byte (*p))
        p++;
      s = p;
      while (p < end && is_token_byte (*p))
        p++;
      if (p > s)
        output_token (check, s, (size_t) (p - s), number);
    }
}

static gboolean
parse_prefix (const char *option, const char *value, unsigned max, unsigned *out)
{
  guint64 n;

  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 0, max, &n, NULL))
    {
      fprintf (stderr, "leakcheck: invalid value for %s (0-%u)\n", option, max);
      return FALSE;
    }
  *out = (unsigned) n;
  return TRUE;
}

int
main (int argc, char **argv)
{
  Check check = { 0 };
  const char *files[2];
  int nfiles = 0;
  GByteArray *original, *output;
  guint64 in_lines, out_lines;
  guint i;
  int a;

  check.v4_bits = 24;
  check.v6_bits = 48;
  for (a = 1; a < argc; a++)
    {
      const char *arg = argv[a];
      const char *eq = strchr (arg, '=');
      size_t name_len = eq ? (size_t) (eq - arg) : strlen (arg);
      const char *value = eq ? eq + 1 : (a + 1 < argc ? argv[a + 1] : NULL);

      if (strcmp (arg, "--any") == 0)
        check.any = TRUE;
      else if (name_len == 11 && strncmp (arg, "--v4-prefix", 11) == 0)
        {
          if (!parse_prefix ("--v4-prefix", value, 32, &check.v4_bits))
            return 2;
          a += eq ? 0 : 1;
        }
      else if (name_len == 11 && strncmp (arg, "--v6-prefix", 11) == 0)
        {
          if (!parse_prefix ("--v6-prefix", value, 128, &check.v6_bits))
            return 2;
          a += eq ? 0 : 1;
        }
      else if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0)
        {
          usage ();
          return 0;
        }
      else if (arg[0] == '-' && arg[1] != '\0')
        {
          fprintf (stderr, "leakcheck: unknown option %s\n", arg);
          usage ();
          return 2;
        }
      else if (nfiles < 2)
        files[nfiles++] = arg;
      else
        {
          usage ();
          return 2;
        }
    }
  if (nfiles != 2)
    {
      usage ();
      return 2;
    }

  original = slurp (files[0]);
  if (original == NULL)
    return 2;
  output = slurp (files[1]);
  if (output == NULL)
    {
      g_byte_array_unref (original);
      return 2;
    }

  check.forbidden = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  check.canonical = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  check.leaked = g_hash_table_new (g_str_hash, g_str_equal);
  check.leak_order = g_ptr_array_new ();
  check.leak_lines = g_array_new (FALSE, FALSE, sizeof (guint64));

  in_lines = for_each_line (&check, original, original_line);
  out_lines = for_each_line (&check, output, output_line);

  printf ("leakcheck: %" G_GUINT64_FORMAT " input lines, %u distinct client addresses, %"
          G_GUINT64_FORMAT " output lines, %u leaked\n",
          in_lines, g_hash_table_size (check.canonical), out_lines, check.leak_order->len);
  for (i = 0; i < check.leak_order->len && i < MAX_REPORTED; i++)
    printf ("  leaked %s (first at output line %" G_GUINT64_FORMAT ")\n",
            (const char *) g_ptr_array_index (check.leak_order, i),
            g_array_index (check.leak_lines, guint64, i));

  a = check.leak_order->len > 0 ? 1 : 0;
  g_hash_table_destroy (check.leaked);
  g_ptr_array_free (check.leak_order, TRUE);
  g_array_free (check.leak_lines, TRUE);
  g_hash_table_destroy (check.forbidden);
  g_hash_table_destroy (check.canonical);
  g_byte_array_unref (original);
  g_byte_array_unref (output);
  return a;
}
