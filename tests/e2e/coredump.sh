#!/bin/bash
# tests/e2e/coredump.sh - nothing to seize in a live lognym's memory.
#
# lognym reads a log of 20000 lines with 20000 distinct known client
# addresses (IPv4 and IPv6, documentation and random public ranges)
# through a FIFO.  After the first 15000 lines the writer stops writing but
# keeps the FIFO open, so lognym flushes its output and blocks in read(2).
# Then gcore (Debian's gdb, as root) takes a core image of the live
# process, and a small C scanner compiled here searches the image for
# every input address:
#   text     the address as written in the log;
#   bin16    the 16 bytes of an IPv6 address, and of an IPv4 address as
#            IPv4-mapped IPv6 (the form that is HMAC'ed), network order;
#   bin4     the 4 bytes of an IPv4 address, network order.
# The addresses fall into three classes: "old" (lines written before the
# pause, outside the last 256 KiB read block), "recent" (written, but in
# the last 256 KiB before the pause: may still be in the read buffer) and
# "unfed" (the last 5000 lines, never sent: a control set, since lognym
# cannot hold them, every match of theirs is chance).
#
# FAIL when an old address is found in text or bin16 form (and, stricter,
# when a recent one is: every line read was written before the pause, and
# lognym wipes handed-out lines before a read that may block), when old bin4
# matches exceed what chance predicts (from the core's size and from the
# control set), or when the key is found: its 32 bytes, its 64 hex digits,
# or the HMAC key state derived from it (inner and outer SHA-256 states).
# Also checked on the live process: the key memory is locked and marked
# MADV_DONTDUMP, and lognym is not dumpable (PR_SET_DUMPABLE 0) unless
# --allow-core-dumps is given (seen as a non-root user: /proc/PID files of
# a non-dumpable process belong to root).
#
# Runs four times: --ip=hmac with a key, the default truncate mode, that
# with --jobs 2, and --ip=hmac reading an anonymous pipe (read ahead by a
# thread of its own) instead of the FIFO.
# Needs root (gcore attaches with ptrace to a non-dumpable process) and gdb;
# installs gdb with apt-get when missing.  Skips (77) where that is not
# possible or ptrace is not permitted.  The counts are printed as "# ..."
# lines, with where the first hits of old lines lie ([heap], [stack], ...).
#
#   COREDUMP_KEEP=DIR tests/e2e/coredump.sh   keep the images, maps, scans
#
# Then look at a hit with gdb -batch -ex 'x/64xb ADDR' src/lognym DIR/NAME.core.
# One cause seen: hits in [stack] from the dynamic linker's lazy binding
# (_dl_runtime_resolve_xsavec saves the vector registers, which still hold
# bytes of the line just scanned, below the main loop's frames on the first
# call of a library function, e.g. the first write(2) of the output); they
# do not occur with LD_BIND_NOW=1 or a binary linked with -z now.

. "$(dirname "$0")/lib.sh"

NLINES=${COREDUMP_LINES:-20000}
NFED=${COREDUMP_FED:-15000}
WINDOW=$((256 * 1024))

if [ "$(id -u)" != 0 ]; then
  echo "SKIP: coredump.sh must run as root (gcore attaches to a non-dumpable process)"
  exit 77
fi
# An AddressSanitizer build reserves terabytes of shadow memory and keeps
# freed blocks in quarantine: its image would be huge and say nothing about
# the real binary.  The plain build of the same suite runs this test.
if ldd "$LOGNYM" 2>/dev/null | grep -q 'libasan'; then
  echo "SKIP: $LOGNYM is an AddressSanitizer build (the normal build runs this test)"
  exit 77
fi
if [ -r /proc/sys/kernel/yama/ptrace_scope ] && [ "$(cat /proc/sys/kernel/yama/ptrace_scope)" = 3 ]; then
  echo "SKIP: ptrace is disabled (kernel.yama.ptrace_scope = 3)"
  exit 77
fi
if ! command -v gcore >/dev/null 2>&1; then
  echo "# gcore not found: installing gdb with apt-get"
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get install -y -q gdb || { apt-get update -q && apt-get install -y -q gdb; }) \
      >"$WORK/apt.log" 2>&1
  fi
  if ! command -v gcore >/dev/null 2>&1; then
    echo "SKIP: gcore (gdb) is not installed and could not be installed"
    tail -n 5 "$WORK/apt.log" 2>/dev/null | sed 's/^/#   /'
    exit 77
  fi
fi
CC=${CC:-cc}
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "SKIP: no C compiler to build the core scanner"
  exit 77
fi
export DEBUGINFOD_URLS=

# Does gcore work here at all?  A sleeping child of ours as the probe.
sleep 30 &
PROBE=$!
if ! gcore -o "$WORK/probe" "$PROBE" >"$WORK/probe.log" 2>&1 || [ ! -s "$WORK/probe.$PROBE" ]; then
  kill "$PROBE" 2>/dev/null
  echo "SKIP: gcore cannot attach to a process here (ptrace not permitted?)"
  tail -n 5 "$WORK/probe.log" | sed 's/^/#   /'
  exit 77
fi
kill "$PROBE" 2>/dev/null
wait "$PROBE" 2>/dev/null
rm -f "$WORK/probe.$PROBE"

# ------------------------------------------------------- the C helper

cat >"$WORK/coreprobe.c" <<'EOF'
/* coreprobe gen N SEED LOG ADDRS       - the log and its address list
 * coreprobe scan CORE MAPS ADDRS WRITTEN FED WINDOW [KEYFILE]
 *
 * ADDRS has one line per log line: "line end_offset kind text hex16 v4hex"
 * (kind 4 or 6; hex16 the 16-byte form, IPv4 as ::ffff:a.b.c.d).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t rng_state;
static uint64_t rnd (void)
{
  /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* ---- a set of 16-byte values (open addressing) */
typedef struct { uint8_t v[16]; int used; int idx; } Slot16;
static Slot16 *set16; static size_t mask16;
static uint64_t h16 (const uint8_t *p)
{
  uint64_t a, b;
  memcpy (&a, p, 8); memcpy (&b, p + 8, 8);
  a ^= b * 0x9e3779b97f4a7c15ULL;
  a ^= a >> 29; a *= 0xbf58476d1ce4e5b9ULL; a ^= a >> 32;
  return a;
}
static int find16 (const uint8_t *p)
{
  size_t i = h16 (p) & mask16;
  for (; set16[i].used; i = (i + 1) & mask16)
    if (memcmp (set16[i].v, p, 16) == 0)
      return set16[i].idx;
  return -1;
}
static int add16 (const uint8_t *p, int idx)
{
  size_t i = h16 (p) & mask16;
  for (; set16[i].used; i = (i + 1) & mask16)
    if (memcmp (set16[i].v, p, 16) == 0)
      return 0;
  memcpy (set16[i].v, p, 16); set16[i].used = 1; set16[i].idx = idx;
  return 1;
}

/* ---- a set of 4-byte values */
typedef struct { uint32_t v; int used; int idx; } Slot4;
static Slot4 *set4; static size_t mask4;
static uint8_t *filter4;   /* 2^24 bits */
static uint32_t h4 (uint32_t v) { return (v * 2654435761u) ^ (v >> 15); }
static int find4 (uint32_t v)
{
  uint32_t h = h4 (v);
  size_t i;
  if (!(filter4[(h >> 8) >> 3] & (1 << ((h >> 8) & 7))))
    return -1;
  for (i = h & mask4; set4[i].used; i = (i + 1) & mask4)
    if (set4[i].v == v)
      return set4[i].idx;
  return -1;
}
static void add4 (uint32_t v, int idx)
{
  uint32_t h = h4 (v);
  size_t i;
  filter4[(h >> 8) >> 3] |= 1 << ((h >> 8) & 7);
  for (i = h & mask4; set4[i].used; i = (i + 1) & mask4)
    if (set4[i].v == v)
      return;
  set4[i].v = v; set4[i].used = 1; set4[i].idx = idx;
}

/* ---- texts: hash of (length, bytes) */
typedef struct { uint64_t h; int len; int idx; int used; } SlotT;
static SlotT *sett; static size_t maskt;
static char **texts;
static int lens_present[64];
static uint64_t ht_step (uint64_t h, unsigned char c) { return h * 1099511628211ULL ^ c; }
static int findt (const unsigned char *p, int len, uint64_t h)
{
  size_t i = (h ^ (uint64_t) len * 0x9e3779b97f4a7c15ULL) & maskt;
  for (; sett[i].used; i = (i + 1) & maskt)
    if (sett[i].h == h && sett[i].len == len && memcmp (texts[sett[i].idx], p, len) == 0)
      return sett[i].idx;
  return -1;
}
static void addt (const char *s, int idx)
{
  uint64_t h = 14695981039346656037ULL;
  int len = (int) strlen (s), k;
  size_t i;
  for (k = 0; k < len; k++)
    h = ht_step (h, (unsigned char) s[k]);
  lens_present[len] = 1;
  i = (h ^ (uint64_t) len * 0x9e3779b97f4a7c15ULL) & maskt;
  while (sett[i].used)
    i = (i + 1) & maskt;
  sett[i].h = h; sett[i].len = len; sett[i].idx = idx; sett[i].used = 1;
}
static int addrchar (unsigned char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
         || c == ':' || c == '.';
}

static size_t pow2 (size_t n) { size_t m = 1; while (m < n) m <<= 1; return m; }

/* ------------------------------------------------------------ gen */
static int gen (int n, uint64_t seed, const char *log_path, const char *addr_path)
{
  FILE *log = fopen (log_path, "w"), *addrs = fopen (addr_path, "w");
  static const uint8_t doc[3][3] = { { 192, 0, 2 }, { 198, 51, 100 }, { 203, 0, 113 } };
  int doc_pool[762], ndoc = 762, i, k;
  long offset = 0;

  if (!log || !addrs)
    return 2;
  rng_state = seed;
  mask16 = pow2 ((size_t) n * 4) - 1;
  set16 = calloc (mask16 + 1, sizeof *set16);
  for (i = 0; i < 762; i++)
    doc_pool[i] = i;
  for (i = 761; i > 0; i--)
    {
      int j = (int) (rnd () % (uint64_t) (i + 1)), t = doc_pool[i];
      doc_pool[i] = doc_pool[j]; doc_pool[j] = t;
    }
  for (i = 0; i < n; i++)
    {
      uint8_t b[16];
      char text[64], line[512], hex[33], v4hex[9] = "-";
      int kind, len;

      for (;;)
        {
          unsigned r = (unsigned) (rnd () % 100);

          memset (b, 0, 16);
          if (r < 10 && ndoc > 0)
            {
              int d = doc_pool[--ndoc];
              kind = 4;
              b[10] = b[11] = 0xff;
              memcpy (b + 12, doc[d / 254], 3);
              b[15] = (uint8_t) (d % 254 + 1);
            }
          else if (r < 60)
            {
              /* a public unicast IPv4 address, no zero byte, last octet 1..254 */
              uint8_t a0;
              kind = 4;
              b[10] = b[11] = 0xff;
              do
                a0 = (uint8_t) (rnd () % 223 + 1);
              while (a0 == 10 || a0 == 127 || a0 == 100 || a0 == 169 || a0 == 172 || a0 == 192);
              b[12] = a0;
              b[13] = (uint8_t) (rnd () % 255 + 1);
              b[14] = (uint8_t) (rnd () % 255 + 1);
              b[15] = (uint8_t) (rnd () % 254 + 1);
            }
          else
            {
              kind = 6;
              if (r < 75)
                {
                  b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8;
                  for (k = 4; k < 16; k++)
                    b[k] = (uint8_t) rnd ();
                }
              else
                {
                  uint16_t g = (uint16_t) (0x2400 + rnd () % 0x0c00);   /* 2400:: - 2fff:: */
                  b[0] = (uint8_t) (g >> 8); b[1] = (uint8_t) g;
                  for (k = 2; k < 16; k++)
                    b[k] = (uint8_t) rnd ();
                }
              b[15] |= 1;     /* never a truncated-looking address */
            }
          if (add16 (b, i))
            break;
        }
      if (kind == 4)
        {
          inet_ntop (AF_INET, b + 12, text, sizeof text);
          snprintf (v4hex, sizeof v4hex, "%02x%02x%02x%02x", b[12], b[13], b[14], b[15]);
        }
      else
        inet_ntop (AF_INET6, b, text, sizeof text);
      for (k = 0; k < 16; k++)
        snprintf (hex + 2 * k, 3, "%02x", b[k]);
      if (i % 10 == 3)
        len = snprintf (line, sizeof line,
                        "%s - - [25/Nov/2026:10:%02d:%02d +0000] \"GET /page/%d?ip=%s HTTP/1.1\" "
                        "200 %d \"-\" \"Mozilla/5.0\"\n",
                        text, i / 60 % 60, i % 60, i, text, 1000 + i);
      else
        len = snprintf (line, sizeof line,
                        "%s - - [25/Nov/2026:10:%02d:%02d +0000] \"GET /page/%d HTTP/1.1\" "
                        "200 %d \"-\" \"Mozilla/5.0\"\n",
                        text, i / 60 % 60, i % 60, i, 1000 + i);
      fputs (line, log);
      offset += len;
      fprintf (addrs, "%d %ld %d %s %s %s\n", i + 1, offset, kind, text, hex, v4hex);
    }
  fclose (log);
  fclose (addrs);
  return 0;
}

/* ----------------------------------------------------------- SHA-256 */
static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
static void compress (uint32_t h[8], const uint8_t *blk)
{
  uint32_t w[64], a, b, c, d, e, f, g, hh;
  int i;
  for (i = 0; i < 16; i++)
    w[i] = (uint32_t) blk[4 * i] << 24 | (uint32_t) blk[4 * i + 1] << 16
           | (uint32_t) blk[4 * i + 2] << 8 | blk[4 * i + 3];
  for (i = 16; i < 64; i++)
    w[i] = w[i - 16] + (ROR (w[i - 15], 7) ^ ROR (w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 7]
           + (ROR (w[i - 2], 17) ^ ROR (w[i - 2], 19) ^ (w[i - 2] >> 10));
  a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4]; f = h[5]; g = h[6]; hh = h[7];
  for (i = 0; i < 64; i++)
    {
      uint32_t t1 = hh + (ROR (e, 6) ^ ROR (e, 11) ^ ROR (e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
      uint32_t t2 = (ROR (a, 2) ^ ROR (a, 13) ^ ROR (a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}
/* the state after absorbing (key XOR pad): what an HMAC key state holds */
static void pad_state (const uint8_t *key, size_t len, uint8_t padbyte, uint32_t out[8])
{
  static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
  uint8_t blk[64];
  size_t i;
  memset (blk, padbyte, 64);
  for (i = 0; i < len && i < 64; i++)
    blk[i] ^= key[i];
  memcpy (out, iv, sizeof iv);
  compress (out, blk);
}

/* ------------------------------------------------------------ scan */
typedef struct { uint64_t off, size, vaddr; } Seg;
static Seg segs[4096]; static int nsegs;
typedef struct { uint64_t lo, hi; char name[160]; } Map;
static Map maps[4096]; static int nmaps;

static const char *where (uint64_t off, uint64_t *vaddr_out)
{
  int i, j;
  for (i = 0; i < nsegs; i++)
    if (off >= segs[i].off && off < segs[i].off + segs[i].size)
      {
        uint64_t va = segs[i].vaddr + (off - segs[i].off);
        *vaddr_out = va;
        for (j = 0; j < nmaps; j++)
          if (va >= maps[j].lo && va < maps[j].hi)
            return maps[j].name[0] ? maps[j].name : "[anon]";
        return "?";
      }
  *vaddr_out = 0;
  return "(ELF notes: registers)";
}

enum { OLD, RECENT, UNFED, NCLASS };
static const char *const class_name[NCLASS] = { "old", "recent", "unfed" };

/* The scanner's positive control: a process that holds what lognym must
 * not, in every searched form, until it is killed. */
static int hold (const char *addr_path, const char *log_path, const char *key_path,
                 const char *ready_path)
{
  FILE *f = fopen (log_path, "r");
  static char hexkey[200];
  char *text;
  long len;
  uint8_t *bin16, *bin4, key[64];
  uint32_t *states;
  size_t n = 0, k;
  char t[64], hex[40], v4hex[16];
  long ln, end;
  int kd;

  if (!f)
    return 2;
  fseek (f, 0, SEEK_END);
  len = ftell (f);
  rewind (f);
  text = malloc ((size_t) len + 1);
  if (fread (text, 1, (size_t) len, f) != (size_t) len)
    return 2;
  fclose (f);
  bin16 = malloc (40000 * 16);
  bin4 = malloc (40000 * 4);
  f = fopen (addr_path, "r");
  while (n < 40000 && fscanf (f, "%ld %ld %d %63s %39s %15s", &ln, &end, &kd, t, hex, v4hex) == 6)
    {
      for (k = 0; k < 16; k++)
        sscanf (hex + 2 * k, "%2hhx", &bin16[n * 16 + k]);
      memcpy (bin4 + n * 4, bin16 + n * 16 + 12, 4);
      n++;
    }
  fclose (f);
  f = fopen (key_path, "r");
  if (!f || fscanf (f, "lognym-key-v1 %199s", hexkey) != 1)
    return 2;
  fclose (f);
  for (k = 0; k < 32; k++)
    sscanf (hexkey + 2 * k, "%2hhx", &key[k]);
  {
    char *upper = strdup (hexkey);
    for (k = 0; upper[k]; k++)
      if (upper[k] >= 'a' && upper[k] <= 'f')
        upper[k] = (char) (upper[k] - 32);
  }
  states = malloc (64);
  pad_state (key, 32, 0x36, states);
  pad_state (key, 32, 0x5c, states + 8);
  f = fopen (ready_path, "w");
  fprintf (f, "%p %p %p %p %p\n", (void *) text, (void *) bin16, (void *) bin4, (void *) key, (void *) states);
  fclose (f);
  for (;;)
    pause ();
}

int main (int argc, char **argv)
{
  if (argc == 6 && strcmp (argv[1], "gen") == 0)
    return gen (atoi (argv[2]), strtoull (argv[3], NULL, 10), argv[4], argv[5]);
  if (argc == 6 && strcmp (argv[1], "hold") == 0)
    return hold (argv[2], argv[3], argv[4], argv[5]);
  if (argc < 8 || strcmp (argv[1], "scan") != 0)
    {
      fprintf (stderr, "usage: coreprobe gen N SEED LOG ADDRS | scan CORE MAPS ADDRS WRITTEN FED WINDOW [KEY]\n");
      return 2;
    }
  const char *core_path = argv[2], *maps_path = argv[3], *addr_path = argv[4];
  long written = atol (argv[5]), fed = atol (argv[6]), window = atol (argv[7]);
  const char *key_path = argc > 8 ? argv[8] : NULL;
  int fd = open (core_path, O_RDONLY);
  struct stat st;
  const unsigned char *core;
  size_t size, i;
  FILE *f;
  int n = 0, cap = 0;
  int *cls = NULL, *kind = NULL;
  long *line_no = NULL;
  int *found_text = NULL, *found16 = NULL, *found4 = NULL, *partial_text = NULL;
  int shown = 0, fail = 0;
  long count[NCLASS][4] = { { 0 } };       /* per class: addresses, v4 among them, ... */
  long hits_text[NCLASS] = { 0 }, hits16[NCLASS] = { 0 }, hits4[NCLASS] = { 0 };
  uint64_t data_bytes = 0;

  if (fd < 0 || fstat (fd, &st) != 0)
    { perror (core_path); return 2; }
  size = (size_t) st.st_size;
  core = mmap (NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (core == MAP_FAILED)
    { perror ("mmap"); return 2; }

  /* ELF segments */
  {
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *) core;
    int k;
    if (size < sizeof *eh || memcmp (eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64)
      { fprintf (stderr, "%s: not a 64-bit ELF core\n", core_path); return 2; }
    for (k = 0; k < eh->e_phnum && nsegs < 4096; k++)
      {
        const Elf64_Phdr *ph = (const Elf64_Phdr *) (core + eh->e_phoff + (size_t) k * eh->e_phentsize);
        if (ph->p_type == PT_LOAD && ph->p_filesz > 0)
          {
            segs[nsegs].off = ph->p_offset; segs[nsegs].size = ph->p_filesz;
            segs[nsegs].vaddr = ph->p_vaddr; nsegs++;
            data_bytes += ph->p_filesz;
          }
      }
  }
  /* /proc/PID/maps taken before the dump */
  f = fopen (maps_path, "r");
  if (f)
    {
      char buf[512];
      while (fgets (buf, sizeof buf, f) && nmaps < 4096)
        {
          unsigned long lo, hi;
          char name[160] = "";
          if (sscanf (buf, "%lx-%lx %*s %*s %*s %*s %159[^\n]", &lo, &hi, name) >= 2)
            {
              maps[nmaps].lo = lo; maps[nmaps].hi = hi;
              snprintf (maps[nmaps].name, sizeof maps[nmaps].name, "%s", name);
              nmaps++;
            }
        }
      fclose (f);
    }

  /* the addresses */
  f = fopen (addr_path, "r");
  if (!f)
    { perror (addr_path); return 2; }
  {
    char text[64], hex[40], v4hex[16];
    long ln, end;
    int kd;
    while (fscanf (f, "%ld %ld %d %63s %39s %15s", &ln, &end, &kd, text, hex, v4hex) == 6)
      {
        if (n == cap)
          {
            cap = cap ? cap * 2 : 1024;
            texts = realloc (texts, cap * sizeof *texts);
            cls = realloc (cls, cap * sizeof *cls);
            kind = realloc (kind, cap * sizeof *kind);
            line_no = realloc (line_no, cap * sizeof *line_no);
          }
        texts[n] = strdup (text);
        kind[n] = kd;
        line_no[n] = ln;
        if (ln <= written && end <= fed - window)
          cls[n] = OLD;
        else if (ln <= written || end <= fed)
          cls[n] = RECENT;
        else
          cls[n] = UNFED;
        count[cls[n]][0]++;
        if (kd == 4)
          count[cls[n]][1]++;
        n++;
      }
    fclose (f);
  }
  mask16 = pow2 ((size_t) n * 4) - 1;
  set16 = calloc (mask16 + 1, sizeof *set16);
  mask4 = pow2 ((size_t) n * 4) - 1;
  set4 = calloc (mask4 + 1, sizeof *set4);
  filter4 = calloc (1 << 21, 1);
  maskt = pow2 ((size_t) n * 4) - 1;
  sett = calloc (maskt + 1, sizeof *sett);
  found_text = calloc (n, sizeof (int));
  partial_text = calloc (n, sizeof (int));
  found16 = calloc (n, sizeof (int));
  found4 = calloc (n, sizeof (int));
  {
    /* re-read for the binary forms */
    char text[64], hex[40], v4hex[16];
    long ln, end;
    int kd, idx = 0;
    f = fopen (addr_path, "r");
    while (fscanf (f, "%ld %ld %d %63s %39s %15s", &ln, &end, &kd, text, hex, v4hex) == 6)
      {
        uint8_t b[16];
        int k;
        for (k = 0; k < 16; k++)
          sscanf (hex + 2 * k, "%2hhx", &b[k]);
        add16 (b, idx);
        if (kd == 4)
          add4 ((uint32_t) b[12] | (uint32_t) b[13] << 8 | (uint32_t) b[14] << 16
                | (uint32_t) b[15] << 24, idx);
        addt (text, idx);
        idx++;
      }
    fclose (f);
  }

  /* one pass over the whole image */
  for (i = 0; i < size; i++)
    {
      if (i + 16 <= size)
        {
          int x = find16 (core + i);
          if (x >= 0)
            {
              if (!found16[x]++)
                hits16[cls[x]]++;
              if (cls[x] == OLD && shown < 12)
                {
                  uint64_t va; const char *w = where (i, &va);
                  printf ("#   bin16 of old line %ld (%s) at 0x%" PRIx64 " in %s\n", line_no[x], texts[x], va, w);
                  shown++;
                }
            }
        }
      if (i + 4 <= size)
        {
          uint32_t v;
          int x;
          memcpy (&v, core + i, 4);
          x = find4 (v);
          if (x >= 0 && !found4[x]++)
            {
              hits4[cls[x]]++;
              if (cls[x] == OLD && hits4[OLD] <= 3)
                {
                  uint64_t va; const char *w = where (i, &va);
                  printf ("#   bin4 of old line %ld (%s) at 0x%" PRIx64 " in %s\n", line_no[x], texts[x], va, w);
                }
            }
        }
      if (addrchar (core[i]))
        {
          uint64_t h = 14695981039346656037ULL;
          size_t j;
          for (j = i; j < size && j - i < 40 && addrchar (core[j]); j++)
            {
              int len = (int) (j - i + 1), x;
              h = ht_step (h, core[j]);
              if (len < 7 || !lens_present[len])
                continue;
              x = findt (core + i, len, h);
              if (x < 0)
                continue;
              {
                /* the whole run of address characters around the match */
                size_t s = i, e = j + 1;
                while (s > 0 && addrchar (core[s - 1])) s--;
                while (e < size && addrchar (core[e])) e++;
                if ((int) (e - s) != len)
                  {
                    /* inside a longer run: is that run another input address? */
                    uint64_t h2 = 14695981039346656037ULL;
                    size_t q;
                    int other = -1;
                    if (e - s < 64)
                      {
                        for (q = s; q < e; q++) h2 = ht_step (h2, core[q]);
                        other = findt (core + s, (int) (e - s), h2);
                      }
                    if (other >= 0)
                      continue;     /* counted as that address */
                    partial_text[x]++;
                  }
                if (!found_text[x]++)
                  hits_text[cls[x]]++;
                if (cls[x] == OLD && shown < 12)
                  {
                    uint64_t va; const char *w = where (i, &va);
                    printf ("#   text of old line %ld \"%s\" at 0x%" PRIx64 " in %s%s\n", line_no[x], texts[x],
                            va, w, (int) (e - s) != len ? " (inside a longer run)" : "");
                    shown++;
                  }
              }
            }
        }
    }

  printf ("# core image: %zu bytes, %" PRIu64 " bytes of memory in %d segments\n", size, data_bytes, nsegs);
  printf ("# addresses: %d (%ld written before the pause, %ld bytes fed, window %ld bytes)\n",
          n, written, fed, window);
  {
    int c;
    double chance[NCLASS];
    double control_rate = count[UNFED][1] ? (double) hits4[UNFED] / count[UNFED][1] : 0;
    for (c = 0; c < NCLASS; c++)
      {
        chance[c] = (double) data_bytes * count[c][1] / 4294967296.0;
        printf ("# %-6s %6ld addresses (%ld IPv4): text %ld, bin16 %ld, bin4 %ld"
                " (chance: %.1f by size, %.1f by the control set)\n",
                class_name[c], count[c][0], count[c][1], hits_text[c], hits16[c], hits4[c],
                chance[c], control_rate * count[c][1]);
      }
    if (hits_text[OLD] > 0)
      {
        printf ("# FAIL: %ld addresses of lines written before the pause are in the image as text\n", hits_text[OLD]);
        fail = 1;
      }
    if (hits16[OLD] > 0)
      {
        printf ("# FAIL: %ld addresses of lines written before the pause are in the image as 16 bytes\n", hits16[OLD]);
        fail = 1;
      }
    {
      double lambda = chance[OLD] > control_rate * count[OLD][1] ? chance[OLD] : control_rate * count[OLD][1];
      double limit = lambda + 4 * sqrt (lambda) + 5;
      printf ("# old bin4: %ld found, limit %.1f (expected by chance %.1f)\n", hits4[OLD], limit, lambda);
      if (hits4[OLD] > limit)
        {
          printf ("# FAIL: more 4-byte IPv4 matches of old lines than chance explains\n");
          fail = 1;
        }
    }
  }
  for (i = 0, shown = 0; (int) i < n && shown < 5; i++)
    if (cls[i] == RECENT && (found_text[i] || found16[i]))
      {
        printf ("#   recent line %ld (%s): text %d, bin16 %d\n", line_no[i], texts[i], found_text[i], found16[i]);
        shown++;
      }

  if (key_path)
    {
      FILE *kf = fopen (key_path, "r");
      char hexkey[200] = "", up[200];
      uint8_t key[64];
      size_t klen = 0, k;
      uint32_t in_state[8], out_state[8];
      struct { const char *what; const void *p; size_t len; } probes[8];
      int np = 0, q;
      if (!kf || fscanf (kf, "lognym-key-v1 %199s", hexkey) != 1)
        { fprintf (stderr, "cannot read %s\n", key_path); return 2; }
      fclose (kf);
      for (k = 0; hexkey[2 * k] && hexkey[2 * k + 1] && k < 64; k++)
        sscanf (hexkey + 2 * k, "%2hhx", &key[k]);
      klen = k;
      for (k = 0; hexkey[k]; k++)
        up[k] = (char) (hexkey[k] >= 'a' && hexkey[k] <= 'f' ? hexkey[k] - 32 : hexkey[k]);
      up[k] = 0;
      pad_state (key, klen, 0x36, in_state);
      pad_state (key, klen, 0x5c, out_state);
      probes[np].what = "key bytes"; probes[np].p = key; probes[np++].len = klen;
      probes[np].what = "first 16 key bytes"; probes[np].p = key; probes[np++].len = 16;
      probes[np].what = "key hex (lower case)"; probes[np].p = hexkey; probes[np++].len = strlen (hexkey);
      probes[np].what = "key hex (upper case)"; probes[np].p = up; probes[np++].len = strlen (up);
      probes[np].what = "HMAC inner state"; probes[np].p = in_state; probes[np++].len = 32;
      probes[np].what = "HMAC outer state"; probes[np].p = out_state; probes[np++].len = 32;
      for (q = 0; q < np; q++)
        {
          const unsigned char *p = core, *end = core + size;
          int hits = 0;
          while ((p = memmem (p, (size_t) (end - p), probes[q].p, probes[q].len)) != NULL)
            {
              uint64_t va;
              const char *w = where ((uint64_t) (p - core), &va);
              printf ("#   %s found at 0x%" PRIx64 " in %s\n", probes[q].what, va, w);
              hits++;
              p++;
            }
          printf ("# key: %s: %s\n", probes[q].what, hits ? "FOUND" : "not found");
          if (hits)
            fail = 1;
        }
    }
  printf ("# verdict: %s\n", fail ? "FAIL" : "pass");
  return fail;
}
EOF
if ! "$CC" -O2 -std=gnu11 -o "$WORK/coreprobe" "$WORK/coreprobe.c" -lm 2>"$WORK/cc.log"; then
  fail "build the core scanner" "$(head -n 20 "$WORK/cc.log")"
  finish
fi

LOG=$WORK/access.log
ADDRS=$WORK/addrs.txt
"$WORK/coreprobe" gen "$NLINES" 20261125 "$LOG" "$ADDRS" || { fail "generate the log"; finish; }
head -n "$NFED" "$LOG" >"$WORK/part1.log"
FED=$(wc -c <"$WORK/part1.log")
NV4=$(awk '$3 == 4' "$ADDRS" | wc -l)
echo "# input: $NLINES lines, $(sort -u -k4,4 "$ADDRS" | wc -l) distinct addresses ($NV4 IPv4), $NFED lines ($FED bytes) fed before the pause"

KEY=$WORK/key
"$LOGNYM" keygen "$KEY" || { fail "keygen"; finish; }

check_eq_lines () {
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected $2, got $3"; fi
}

# run_paused NAME ARGS...: lognym reads the FIFO; after the first part it
# is paused, inspected and dumped, then released.
run_paused () {
  local name=$1 fifo out lpid wpid prev cur stable core state
  shift
  fifo=$WORK/$name.fifo
  out=$WORK/$name.out
  if [ "${FEED:-fifo}" = pipe ]; then
    # an anonymous pipe, as from Apache: read ahead by a second thread
    rm -f "$WORK/$name.wpid"
    { echo "$BASHPID" >"$WORK/$name.wpid"; cat "$WORK/part1.log"; exec sleep 120; } |
      "$LOGNYM" "$@" -o "$out" 2>"$WORK/$name.err" &
    lpid=$!
    for _ in $(seq 1 100); do [ -s "$WORK/$name.wpid" ] && break; sleep 0.05; done
    wpid=$(cat "$WORK/$name.wpid")
  else
    mkfifo "$fifo" || return 1
    "$LOGNYM" "$@" -o "$out" <"$fifo" 2>"$WORK/$name.err" &
    lpid=$!
    ( exec 3>"$fifo"; cat "$WORK/part1.log" >&3; exec sleep 120 ) &
    wpid=$!
  fi
  # wait until the output has stopped growing (lognym flushes before it
  # blocks on the empty FIFO)
  prev=-1 stable=0
  for _ in $(seq 1 300); do
    cur=$(wc -l 2>/dev/null <"$out" || echo 0)
    if [ "$cur" = "$prev" ]; then stable=$((stable + 1)); else stable=0; fi
    prev=$cur
    if [ "$cur" -ge "$NFED" ] && [ "$stable" -ge 2 ]; then break; fi
    if [ "$stable" -ge 25 ]; then break; fi
    sleep 0.1
  done
  state=$(awk '{ print $3 }' "/proc/$lpid/stat" 2>/dev/null)
  echo "# $name: lognym pid $lpid paused with $cur lines written (state $state, wchan $(cat "/proc/$lpid/wchan" 2>/dev/null))"
  check_eq_lines "$name: every fed line was written before the pause" "$NFED" "$cur"
  WRITTEN=$cur
  cp "/proc/$lpid/maps" "$WORK/$name.maps" 2>/dev/null
  cp "/proc/$lpid/smaps" "$WORK/$name.smaps" 2>/dev/null
  grep '^VmLck' "/proc/$lpid/status" >"$WORK/$name.vmlck" 2>/dev/null
  cp "/proc/$lpid/status" "$WORK/$name.status" 2>/dev/null
  core=$WORK/$name.core
  if gcore -o "$core" "$lpid" >"$WORK/$name.gcore.log" 2>&1 && [ -s "$core.$lpid" ]; then
    pass "$name: gcore took an image of the live process"
    mv "$core.$lpid" "$core"
  else
    fail "$name: gcore took an image of the live process" "$(tail -n 5 "$WORK/$name.gcore.log")"
    : >"$core"
  fi
  # release: the writer goes, lognym sees the end of its input
  kill "$wpid" 2>/dev/null
  wait "$wpid" 2>/dev/null
  wait "$lpid"
  RC=$?
  check_eq_lines "$name: lognym finished normally after the dump (status)" 0 "$RC"
  check_eq_lines "$name: and wrote every fed line" "$NFED" "$(wc -l <"$out")"
  rm -f "$fifo"
}

# scan NAME [KEY]
scan () {
  local name=$1 key=${2:-}
  if [ ! -s "$WORK/$name.core" ]; then
    fail "$name: scan the image" "no core image"
    return
  fi
  # shellcheck disable=SC2086
  "$WORK/coreprobe" scan "$WORK/$name.core" "$WORK/$name.maps" "$ADDRS" "$WRITTEN" "$FED" "$WINDOW" $key \
    >"$WORK/$name.scan" 2>&1
  local st=$?
  sed "s/^# /# $name: /" "$WORK/$name.scan"
  if [ "$st" = 2 ]; then
    fail "$name: scan the image" "$(cat "$WORK/$name.scan")"
    return
  fi
  if grep -q 'FAIL: .* as text' "$WORK/$name.scan"; then
    fail "$name: no address of a line written before the pause is in the image as text"
  else
    pass "$name: no address of a line written before the pause is in the image as text"
  fi
  if grep -q 'FAIL: .* as 16 bytes' "$WORK/$name.scan"; then
    fail "$name: no address of a line written before the pause is in the image as 16 bytes"
  else
    pass "$name: no address of a line written before the pause is in the image as 16 bytes"
  fi
  # Stricter than the rule above: lognym waits on an empty pipe, every line
  # it read was written, and reader.c wipes the lines it handed out before
  # a read that may block, so even the last read block holds no address.
  local recent
  recent=$(sed -n 's/^# recent .*text \([0-9]*\), bin16 \([0-9]*\),.*/\1 \2/p' "$WORK/$name.scan")
  check_eq_lines "$name: no address of the last read block either (all read lines were written)" \
    "0 0" "$recent"
  if grep -q 'FAIL: more 4-byte' "$WORK/$name.scan"; then
    fail "$name: 4-byte IPv4 matches of written lines within chance"
  else
    pass "$name: 4-byte IPv4 matches of written lines within chance"
  fi
  if [ -n "$key" ]; then
    if grep -q '^# key: .*FOUND' "$WORK/$name.scan"; then
      fail "$name: the key (bytes, hex, HMAC state) is not in the image" \
        "$(grep '^# .*found at\|^# key:' "$WORK/$name.scan")"
    else
      pass "$name: the key (bytes, hex, HMAC state) is not in the image"
    fi
  fi
}

# ------------------------------------------- the scanner's positive control

# A process holding the log text, every address in 16- and 4-byte form and
# the key (bytes, hex, HMAC states): the scanner must find them all, or its
# "not found" would mean nothing.
"$WORK/coreprobe" hold "$ADDRS" "$LOG" "$KEY" "$WORK/hold.ready" &
HPID=$!
for _ in $(seq 1 100); do [ -s "$WORK/hold.ready" ] && break; sleep 0.05; done
cp "/proc/$HPID/maps" "$WORK/control.maps" 2>/dev/null
if gcore -o "$WORK/control.core" "$HPID" >"$WORK/control.gcore.log" 2>&1 && [ -s "$WORK/control.core.$HPID" ]; then
  mv "$WORK/control.core.$HPID" "$WORK/control.core"
fi
kill "$HPID" 2>/dev/null
wait "$HPID" 2>/dev/null
if [ -s "$WORK/control.core" ]; then
  "$WORK/coreprobe" scan "$WORK/control.core" "$WORK/control.maps" "$ADDRS" "$NFED" "$FED" "$WINDOW" "$KEY" \
    >"$WORK/control.scan" 2>&1
  grep -E '^# (old|recent|unfed) |^# key:|^# core image' "$WORK/control.scan" | sed 's/^# /# control: /'
  nold=$(awk '$1 == "#" && $2 == "old" && $4 == "addresses" { print $3 }' "$WORK/control.scan")
  nold4=$(awk '$1 == "#" && $2 == "old" && $4 == "addresses" { gsub(/[(]/, "", $5); print $5 }' "$WORK/control.scan")
  got=$(sed -n 's/^# old .*text \([0-9]*\), bin16 \([0-9]*\), bin4 \([0-9]*\) .*/\1 \2 \3/p' "$WORK/control.scan")
  check_eq_lines "scanner self-test: every old address found as text, as 16 bytes and (IPv4) as 4 bytes" \
    "$nold $nold $nold4" "$got"
  check_eq_lines "scanner self-test: every form of the key found" 6 \
    "$(grep -c '^# key: .*: FOUND' "$WORK/control.scan")"
else
  fail "scanner self-test: gcore of the control process" "$(tail -n 5 "$WORK/control.gcore.log")"
fi
rm -f "$WORK/control.core"

# keep NAME: with COREDUMP_KEEP=DIR the image, maps and scan stay in DIR
# for a closer look (gdb -batch -ex 'x/64xb ADDR' LOGNYM DIR/NAME.core)
keep () {
  if [ -n "${COREDUMP_KEEP:-}" ]; then
    mkdir -p "$COREDUMP_KEEP" &&
      cp "$WORK/$1.core" "$WORK/$1.maps" "$WORK/$1.scan" "$ADDRS" "$COREDUMP_KEEP/"
  fi
  rm -f "$WORK/$1.core"
}

# ----------------------------------------------------------- --ip=hmac

run_paused hmac --ip=hmac -k "$KEY"
echo "# hmac: $(cat "$WORK/hmac.vmlck" 2>/dev/null)"
# the key region: 64 KiB, locked, not dumped
if awk '
  /^[0-9a-f]+-[0-9a-f]+ / { split($1, r, "-"); size = 0; lck = 0 }
  /^Size:/ { size = $2 }
  /^Locked:/ { lck = $2 }
  /^VmFlags:/ { if (size == 64 && / dd/ && / lo/ && lck == 64) found = 1 }
  END { exit !found }' "$WORK/hmac.smaps"; then
  pass "hmac: a 64 KiB key region is locked (lo) and not dumped (dd)"
else
  fail "hmac: a 64 KiB key region is locked (lo) and not dumped (dd)" \
    "$(grep -B 25 'VmFlags:.* dd' "$WORK/hmac.smaps" | grep -E '^[0-9a-f]+-|^Size|^Locked|^VmFlags' | head -n 12)"
fi
scan hmac "$KEY"
keep hmac

# ------------------------------------------------------ default truncate

run_paused truncate
scan truncate
keep truncate

# ---------------------------------------------- --jobs 2: the worker threads

# The workers wait for the next chunk as the reader waits for input: what
# they scanned must be gone from their memory and registers too.
run_paused jobs --jobs 2
scan jobs
keep jobs

# -------------------------------- an anonymous pipe: the read-ahead thread

# Lines from an anonymous pipe are read by a second thread into blocks of
# its own (pump.c): the blocks given back must be wiped when it waits.
FEED=pipe run_paused pipe --ip=hmac -k "$KEY"
threads=$(awk '/^Threads:/ { print $2 }' "$WORK/pipe.status" 2>/dev/null)
if [ "$(nproc)" -ge 2 ]; then
  check_eq_lines "pipe: a second thread read ahead (threads when paused)" 2 "$threads"
fi
scan pipe "$KEY"
keep pipe

# ------------------------------------------------------- PR_SET_DUMPABLE

# Seen by another user, the /proc/PID files of a non-dumpable process
# belong to root; with --allow-core-dumps to the user.
dumpable_owner () {   # dumpable_owner ARGS... -> uid owning /proc/PID/status
  local fifo=$WORK/nb/fifo wpid lpid owner
  mkfifo "$fifo" && chown 65534:65534 "$fifo"
  ( exec 3>"$fifo"; exec sleep 30 ) &
  wpid=$!
  setpriv --reuid=65534 --regid=65534 --clear-groups -- "$LOGNYM" "$@" -o /dev/null <"$fifo" 2>/dev/null &
  lpid=$!
  # until lognym waits in read(2) on the empty FIFO
  for _ in $(seq 1 50); do
    grep -q pipe "/proc/$lpid/wchan" 2>/dev/null && break
    sleep 0.05
  done
  owner=$(stat -c %u "/proc/$lpid/status" 2>/dev/null)
  kill "$wpid" 2>/dev/null
  wait "$wpid" 2>/dev/null
  wait "$lpid" 2>/dev/null
  rm -f "$fifo"
  echo "$owner"
}
mkdir -p "$WORK/nb"
chmod 755 "$WORK" "$WORK/nb"
cp "$KEY" "$WORK/nb/key"
chown 65534:65534 "$WORK/nb/key"
chmod 600 "$WORK/nb/key"
if command -v setpriv >/dev/null 2>&1 \
   && setpriv --reuid=65534 --regid=65534 --clear-groups -- "$LOGNYM" --version >/dev/null 2>&1; then
  check_eq_lines "PR_SET_DUMPABLE 0 by default (truncate)" 0 "$(dumpable_owner)"
  check_eq_lines "PR_SET_DUMPABLE 0 by default (hmac)" 0 "$(dumpable_owner --ip=hmac -k "$WORK/nb/key")"
  check_eq_lines "--allow-core-dumps leaves the process dumpable" 65534 "$(dumpable_owner --allow-core-dumps)"
else
  printf 'ok - PR_SET_DUMPABLE checks # SKIP lognym cannot run as nobody here (setpriv or permissions)\n'
  PASSED=$((PASSED + 1))
fi
chmod 700 "$WORK"

finish
