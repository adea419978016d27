/* geo.c - libmaxminddb country lookups (see geo.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "errors.h"
#include "geo.h"
#include "key.h"
#include "secmem.h"
#include "aes128.h"
#include "siphash.h"
#include "wipe.h"
#include "i18n.h"

#define MAX_PATHS 3
#define MAX_DEPTH 8
#define MAX_ERRORS LN_GEO_ERROR_KINDS   /* MMDB status codes are small integers */

/* Countries of recently seen networks.  A database network is usually far
 * larger than a /24 (8.8.8.8 is in a /17), so the tree walk of one lookup
 * answers for every later address of the same /24 (or /48).  Keyed by a
 * keyed digest (SipHash-1-3, random key in secure memory) of the network
 * with the host bits cleared, at no finer a prefix than the output's: no
 * network is kept in memory, not even a truncated one.
 *
 * 2^14 sets of 6 entries, a set per 64-byte cache line (1 MiB, 98,304
 * networks): a busy day's log has tens of thousands of client networks
 * (the bench log 47,000).  Direct-mapped at 2^14 slots, a third of its
 * lookups missed for want of room; at 2^16, one in ten still did, half of
 * them networks that had been evicted by a neighbour in the table. */
#define CACHE_SET_BITS 14
#define CACHE_SETS (1u << CACHE_SET_BITS)
#define CACHE_WAYS 6

typedef struct {
  uint64_t key[CACHE_WAYS];   /* digests (bit 0 set); 0: empty */
  char code[CACHE_WAYS][2];
  uint8_t next;               /* the way to replace next (first in, first out) */
} CacheSet;

/* Countries of database records, by the record's offset in the data
 * section: a country database has a few hundred distinct records (one per
 * country, give or take), so the map decoding of MMDB_aget_value, most of
 * the cost of a lookup, is paid once per record instead of once per
 * network.  An offset says nothing about an address. */
#define RECORD_SLOTS 1024

typedef struct {
  uint32_t offset_1;      /* the record's offset plus one; 0: empty */
  char code[2];           /* the country; "\0\0": none, as for no record */
} RecordEntry;

struct LnGeo {
  MMDB_s mmdb;
  CacheSet *cache;        /* NULL: no caching (a prefix of 0) */
  void *cache_mem;        /* the allocation @cache is aligned in */
  RecordEntry records[RECORD_SLOTS];
  uint8_t *sipkey;        /* 16 bytes of secure memory: keys the cache */
  uint8_t *aes_rk;        /* AES-NI: the round keys of that key, in secure
                           * memory; NULL: the digest is SipHash-1-3 */
  unsigned cache_v4_bits, cache_v6_bits;
  gboolean opened;
  char *path;
  /* NULL-terminated lookup paths, built once */
  const char *paths[MAX_PATHS][MAX_DEPTH + 1];
  char **override;        /* owns the strings of a --geo-path */
  guint64 errors[MAX_ERRORS];
  guint64 error_total;
};

static const char *const maxmind_country[] = { "country", "iso_code", NULL };
static const char *const maxmind_registered[] = { "registered_country", "iso_code", NULL };
static const char *const flat_country[] = { "country_code", NULL };

static void
copy_path (const char *dst[MAX_DEPTH + 1], const char *const *src)
{
  int i;

  for (i = 0; src[i] && i < MAX_DEPTH; i++)
    dst[i] = src[i];
  dst[i] = NULL;
}

LnGeo *
geo_open (const char *path, const char *path_override, GError **error)
{
  g_autoptr (LnGeo) geo = g_new0 (LnGeo, 1);
  const char *type;
  int status;

  geo->path = g_strdup (path);
  errno = 0;
  status = MMDB_open (path, MMDB_MODE_MMAP, &geo->mmdb);
  if (status != MMDB_SUCCESS)
    {
      int err = errno;

      if (status == MMDB_FILE_OPEN_ERROR && err != 0)
        g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("%s: cannot open geo database: %s"),
                     path, g_strerror (err));
      else
        g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("%s: cannot open geo database: %s"),
                     path, MMDB_strerror (status));
      return NULL;
    }
  geo->opened = TRUE;
  type = geo->mmdb.metadata.database_type ? geo->mmdb.metadata.database_type : "";
  if (path_override)
    {
      guint i, n;

      geo->override = g_strsplit (path_override, "/", MAX_DEPTH + 1);
      n = g_strv_length (geo->override);
      for (i = 0; i < n && geo->override[i][0] != '\0'; i++)
        ;
      if (n == 0 || n > MAX_DEPTH || i < n)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("--geo-path must have 1 to %d non-empty parts separated by '/'"),
                       MAX_DEPTH);
          return NULL;
        }
      copy_path (geo->paths[0], (const char *const *) geo->override);
    }
  else
    {
      g_autofree char *lower = g_ascii_strdown (type, -1);

      if (!strstr (lower, "country") && !strstr (lower, "city")
          && !strstr (lower, "enterprise"))
        {
          g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
                       _("%s: database type '%s' has no country data (use --geo-path "
                         "if it does)"), path, type);
          return NULL;
        }
      copy_path (geo->paths[0], maxmind_country);
      copy_path (geo->paths[1], maxmind_registered);
      copy_path (geo->paths[2], flat_country);
    }
  return g_steal_pointer (&geo);
}

static void
count_error (LnGeo *geo, int status)
{
  geo->errors[status >= 0 && status < MAX_ERRORS ? status : MAX_ERRORS - 1]++;
  geo->error_total++;
}

static gboolean
in_prefix (const uint8_t *b, const uint8_t *prefix, unsigned bits)
{
  unsigned full = bits / 8, rest = bits % 8;

  if (memcmp (b, prefix, full) != 0)
    return FALSE;
  return rest == 0 || ((b[full] ^ prefix[full]) & (0xff << (8 - rest))) == 0;
}

/* The special-purpose ranges and their codes (see geo.h). */
typedef struct {
  uint8_t prefix[16];
  unsigned bits;
  const char *code;
} Special;

static const Special special_v4[] = {
  { { 10 }, 8, "XP" }, { { 172, 16 }, 12, "XP" }, { { 192, 168 }, 16, "XP" },
  { { 127 }, 8, "XP" }, { { 169, 254 }, 16, "XP" }, { { 100, 64 }, 10, "XP" },
  { { 0 }, 8, "XR" }, { { 192, 0, 0 }, 24, "XR" }, { { 192, 0, 2 }, 24, "XR" },
  { { 198, 18 }, 15, "XR" }, { { 198, 51, 100 }, 24, "XR" },
  { { 203, 0, 113 }, 24, "XR" }, { { 224 }, 3, "XR" },
};

static const Special special_v6[] = {
  { { 0xfc }, 7, "XP" }, { { 0xfe, 0x80 }, 10, "XP" },
  { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 128, "XP" },
  { { 0x20, 0x01, 0x0d, 0xb8 }, 32, "XR" }, { { 0xff }, 8, "XR" },
  { { 0 }, 128, "XR" },
};

const char *
geo_special_code (const LnAddr *addr)
{
  const uint8_t *b = addr->bytes;
  size_t i;

  if (ipaddr_is_v4_mapped (addr))
    b = addr->bytes + 12;
  else if (addr->family == LN_AF_INET6)
    {
      for (i = 0; i < G_N_ELEMENTS (special_v6); i++)
        if (in_prefix (b, special_v6[i].prefix, special_v6[i].bits))
          return special_v6[i].code;
      return "--";
    }
  for (i = 0; i < G_N_ELEMENTS (special_v4); i++)
    if (in_prefix (b, special_v4[i].prefix, special_v4[i].bits))
      return special_v4[i].code;
  return "--";
}

/* TRUE when geo_special_code gives the same code for every address of
 * @addr's network of @bits bits: no special range longer than @bits lies
 * in it (192.0.2.0/24 in a cached /16 does, ::1 in ::/48 does). */
static gboolean
special_code_uniform (const LnAddr *addr, gboolean v4, unsigned bits)
{
  const Special *table = v4 ? special_v4 : special_v6;
  size_t i, n = v4 ? G_N_ELEMENTS (special_v4) : G_N_ELEMENTS (special_v6);
  const uint8_t *b = v4 && addr->family != LN_AF_INET ? addr->bytes + 12 : addr->bytes;

  for (i = 0; i < n; i++)
    if (table[i].bits > bits && in_prefix (b, table[i].prefix, bits))
      return FALSE;
  return TRUE;
}

gboolean
geo_set_cache_prefixes_full (LnGeo *geo, unsigned v4_bits, unsigned v6_bits,
                             gboolean allow_aes, GError **error)
{
  geo->cache_v4_bits = MIN (v4_bits, 24);
  geo->cache_v6_bits = MIN (v6_bits, 48);
  if (geo->cache_v4_bits == 0 || geo->cache_v6_bits == 0 || geo->cache != NULL)
    return TRUE;
  if (!secmem_init (64 * 1024, error))
    return FALSE;
  geo->sipkey = secmem_alloc (16);
  if (!key_random_bytes (geo->sipkey, 16, error))
    return FALSE;
  if (allow_aes && aes128_available ())
    {
      /* one AES block per lookup: a quarter of SipHash's instructions */
      geo->aes_rk = secmem_alloc (16 * LN_AES128_ROUND_KEYS);
      aes128_expand (geo->sipkey, geo->aes_rk);
    }
  /* a set per cache line: one line fetched per lookup */
  G_STATIC_ASSERT (sizeof (CacheSet) == 64);
  geo->cache_mem = g_malloc0 ((size_t) CACHE_SETS * 64 + 63);
  geo->cache = (CacheSet *) (((uintptr_t) geo->cache_mem + 63) & ~(uintptr_t) 63);
  return TRUE;
}

gboolean
geo_set_cache_prefixes (LnGeo *geo, unsigned v4_bits, unsigned v6_bits, GError **error)
{
  return geo_set_cache_prefixes_full (geo, v4_bits, v6_bits, TRUE, error);
}

gboolean
geo_cache_uses_aes (const LnGeo *geo)
{
  return geo->aes_rk != NULL;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The low half of AES(K, net): AES is a permutation keyed by a secret, so
 * without K the digests say nothing of the networks; two networks share
 * the 64 bits by chance only (about 2^-64 for a pair). */
__attribute__ ((target ("aes,sse4.1")))
static uint64_t
digest_aes (const uint8_t *rk, uint64_t net)
{
  __m128i d = aes128_encrypt_block ((const __m128i *) (const void *) rk,
                                    _mm_cvtsi64_si128 ((long long) net));

  return (uint64_t) _mm_cvtsi128_si64 (d);
}
#endif

/* The prefix length the cache keeps of @addr's network: cache_v4_bits for
 * IPv4 and v4-mapped, else cache_v6_bits, but no more of a 6to4 address
 * (2002::/16, the client's IPv4 address in bits 16-47) than the IPv4 rule
 * allows, as ipaddr_truncate does. */
static unsigned
cache_bits (const LnGeo *geo, const LnAddr *addr, gboolean v4)
{
  if (v4)
    return geo->cache_v4_bits;
  if (addr->bytes[0] == 0x20 && addr->bytes[1] == 0x02)
    return MIN (geo->cache_v6_bits, 16 + geo->cache_v4_bits);
  return geo->cache_v6_bits;
}

/* The cache key of @addr's network: its first @bits bits, shifted left by
 * one, bit 0 telling the family. */
static uint64_t
network_key (const LnGeo *geo, const LnAddr *addr, gboolean v4, unsigned bits)
{
  uint64_t net = 0;
  int i;

  if (v4)
    {
      const uint8_t *b = addr->family == LN_AF_INET ? addr->bytes : addr->bytes + 12;

      net = (uint64_t) b[0] << 24 | (uint64_t) b[1] << 16 | (uint64_t) b[2] << 8 | b[3];
      net >>= 32 - bits;
      net = net << 1 | 1;
    }
  else
    {
      for (i = 0; i < 8; i++)
        net = net << 8 | addr->bytes[i];
      net >>= 64 - bits;
      net <<= 1;
    }
  /* keyed: the cache holds no network, only digests (and 0 is "empty") */
#if defined(__x86_64__) && defined(__GNUC__)
  if (geo->aes_rk)
    return digest_aes (geo->aes_rk, net) | 1;
#endif
  return siphash13 (geo->sipkey, &net, sizeof net) | 1;
}

static CacheSet *
cache_set (const LnGeo *geo, uint64_t key)
{
  return &geo->cache[(key * 0x9e3779b97f4a7c15ULL) >> (64 - CACHE_SET_BITS)];
}

/* The country of the database record at @entry: from the record cache, or
 * by MMDB_aget_value along each path, remembered.  Writes "" to @out when
 * the record has no country (the caller then uses the special codes);
 * FALSE on a lookup error (counted, not remembered). */
static gboolean
record_country (LnGeo *geo, MMDB_entry_s *entry, char out[3])
{
  RecordEntry *slot = &geo->records[(entry->offset * 0x9e3779b1u) >> 22];
  int i;

  G_STATIC_ASSERT (RECORD_SLOTS == 1 << 10);
  if (slot->offset_1 == entry->offset + 1 && entry->offset != UINT32_MAX)
    {
      out[0] = slot->code[0];
      out[1] = slot->code[1];
      out[2] = '\0';
      return TRUE;
    }
  out[0] = '\0';
  for (i = 0; i < MAX_PATHS && geo->paths[i][0]; i++)
    {
      MMDB_entry_data_s data;
      int status = MMDB_aget_value (entry, &data, geo->paths[i]);

      if (status == MMDB_SUCCESS && data.has_data
          && data.type == MMDB_DATA_TYPE_UTF8_STRING && data.data_size == 2)
        {
          /* utf8_string is not NUL-terminated: copy data_size bytes */
          out[0] = g_ascii_toupper (data.utf8_string[0]);
          out[1] = g_ascii_toupper (data.utf8_string[1]);
          out[2] = '\0';
          if (g_ascii_isalpha (out[0]) && g_ascii_isalpha (out[1]))
            break;
          out[0] = '\0';
        }
      else if (status != MMDB_SUCCESS && status != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR
               && status != MMDB_INVALID_LOOKUP_PATH_ERROR)
        {
          count_error (geo, status);
          return FALSE;
        }
    }
  slot->offset_1 = entry->offset + 1;
  slot->code[0] = out[0];
  slot->code[1] = out[0] ? out[1] : '\0';
  return TRUE;
}

gboolean
geo_lookup (LnGeo *geo, const LnAddr *addr, char out[3])
{
  struct sockaddr_storage ss;
  MMDB_lookup_result_s result;
  int mmdb_error = MMDB_SUCCESS;
  gboolean v4 = addr->family == LN_AF_INET || ipaddr_is_v4_mapped (addr);
  CacheSet *set = NULL;
  uint64_t key = 0;
  unsigned bits = 0, i;
  gboolean special;
  int netmask;

  if (geo->cache)
    {
      bits = cache_bits (geo, addr, v4);
      key = network_key (geo, addr, v4, bits);
      set = cache_set (geo, key);
      for (i = 0; i < CACHE_WAYS; i++)
        if (set->key[i] == key)
          {
            out[0] = set->code[i][0];
            out[1] = set->code[i][1];
            out[2] = '\0';
            return TRUE;
          }
    }

  memset (&ss, 0, sizeof ss);
  if (v4)
    {
      struct sockaddr_in *sin = (struct sockaddr_in *) &ss;

      /* v4-mapped as plain IPv4: also works in IPv4-only databases */
      sin->sin_family = AF_INET;
      memcpy (&sin->sin_addr, addr->family == LN_AF_INET ? addr->bytes : addr->bytes + 12, 4);
    }
  else
    {
      struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;

      sin6->sin6_family = AF_INET6;
      memcpy (&sin6->sin6_addr, addr->bytes, 16);
    }
  result = MMDB_lookup_sockaddr (&geo->mmdb, (const struct sockaddr *) &ss, &mmdb_error);
  memset (&ss, 0, sizeof ss);
  if (mmdb_error != MMDB_SUCCESS)
    {
      count_error (geo, mmdb_error);
      memcpy (out, "--", 3);
      return FALSE;
    }
  out[0] = '\0';
  if (result.found_entry && !record_country (geo, &result.entry, out))
    {
      memcpy (out, "--", 3);
      return FALSE;
    }
  special = out[0] == '\0';
  if (special)
    memcpy (out, geo_special_code (addr), 3);
  /* Remembered when the record's network (or the empty part of the tree
   * the walk ended in) covers the whole cached network, and the special
   * code, if one was used, is the same for all of it.  The netmask of an
   * IPv4 lookup in an IPv6 tree counts the 96 bits of ::/96 in front. */
  netmask = (int) result.netmask - (v4 && geo->mmdb.metadata.ip_version == 6 ? 96 : 0);
  if (set && netmask >= 0 && netmask <= (int) bits
      && (!special || special_code_uniform (addr, v4, bits)))
    {
      i = set->next;
      set->next = (uint8_t) ((i + 1) % CACHE_WAYS);
      set->key[i] = key;
      set->code[i][0] = out[0];
      set->code[i][1] = out[1];
    }
  return TRUE;
}

guint64
geo_error_count (const LnGeo *geo)
{
  return geo->error_total;
}

void
geo_take_errors (LnGeo *geo, guint64 counts[LN_GEO_ERROR_KINDS])
{
  int i;

  for (i = 0; i < MAX_ERRORS; i++)
    counts[i] += geo->errors[i];
  memset (geo->errors, 0, sizeof geo->errors);
  geo->error_total = 0;
}

void
geo_add_errors (LnGeo *geo, const guint64 counts[LN_GEO_ERROR_KINDS])
{
  int i;

  for (i = 0; i < MAX_ERRORS; i++)
    {
      geo->errors[i] += counts[i];
      geo->error_total += counts[i];
    }
}

void
geo_report_errors (const LnGeo *geo)
{
  int i;

  for (i = 0; i < MAX_ERRORS; i++)
    if (geo->errors[i])
      g_printerr (_("lognym: %s: lookup error (count: %" PRIu64 "): %s\n"),
                  geo->path, (uint64_t) geo->errors[i], MMDB_strerror (i));
}

void
geo_free (LnGeo *geo)
{
  if (geo == NULL)
    return;
  if (geo->opened)
    MMDB_close (&geo->mmdb);
  if (geo->cache)
    {
      wipe_memory (geo->cache, (size_t) CACHE_SETS * 64);
      g_free (geo->cache_mem);
      wipe_memory (geo->sipkey, 16);
      if (geo->aes_rk)
        wipe_memory (geo->aes_rk, 16 * LN_AES128_ROUND_KEYS);
    }
  g_strfreev (geo->override);
  g_free (geo->path);
  g_free (geo);
}
