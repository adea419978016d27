/* agg.h - aggregates instead of records: counts per key, safe to keep.
 *
 * --aggregate day,country counts requests, bytes and distinct visitors per
 * row.  Visitors are a HyperLogLog sketch over keyed digests of the raw
 * address (hll.h), never a set of addresses.  Rows that describe fewer than
 * --min-visitors people (or fewer than --min-requests requests) are folded
 * into one "(other)" row per time bucket, so totals still add up.
 *
 * --partial writes the unsuppressed rows with their sketches in a
 * line-oriented text form that "lognym merge" combines (in any order, any
 * number of streams, concatenated or sorted as Hadoop's shuffle leaves
 * them); suppression is applied after the merge.  Memory grows with the
 * number of rows, not lines: about 120 bytes plus the key text per row,
 * plus 16 to 512 bytes for a sparse sketch or 4 KiB for a dense one, plus
 * 8 bytes per duration bucket in use (durhist.h).  Measured (peak RSS,
 * 10^4 to 10^6 rows of -a minute,path, one visitor each): about 300 bytes
 * per row, 40 of them the row's output text; 370 with a %D format.
 *
 * --tz buckets in a zone's local time (GTimeZone), caching the current
 * offset until an instant leaves its interval.  --flush-every writes and
 * frees the rows of closed periods as records of later ones arrive.
 */
#ifndef LN_AGG_H
#define LN_AGG_H

#include <glib.h>
#include <stdint.h>
#include "buf.h"
#include "reader.h"
#include "record.h"

typedef enum {
  LN_AGG_MINUTE,
  LN_AGG_HOUR,
  LN_AGG_DAY,
  LN_AGG_WEEK,
  LN_AGG_MONTH,
  LN_AGG_COUNTRY,
  LN_AGG_VHOST,
  LN_AGG_STATUS,
  LN_AGG_STATUS_CLASS,
  LN_AGG_METHOD,
  LN_AGG_PATH,
  LN_AGG_REFERER_ORIGIN,
  LN_AGG_UA_FAMILY,
  LN_AGG__COUNT
} LnAggKey;

#define LN_AGG_MAX_KEYS 8
#define LN_AGG_OTHER "(other)"

typedef struct {
  LnAggKey keys[LN_AGG_MAX_KEYS];
  size_t nkeys;
  unsigned path_depth;
  guint64 min_visitors;
  guint64 min_requests;
  gboolean partial;        /* write the mergeable form */
  gboolean jsonl;          /* final rows as JSON Lines instead of CSV */
  const char *tz;          /* --tz: zone of the time buckets; NULL is UTC */
  gboolean durations;      /* the format has a duration: p50/p95 columns */
  gboolean flush;          /* --flush-every: write buckets as they close */
  LnAggKey flush_every;    /* with flush: a time key at least as coarse */
} LnAggConfig;

typedef struct LnAgg LnAgg;

/* Parses "day,country" into @cfg->keys.  FALSE with @error (usage). */
gboolean agg_parse_keys (const char *list, LnAggConfig *cfg, GError **error);

const char *agg_key_name (LnAggKey key);

/* TRUE when @flush (a time key) can close whole buckets of the time key
 * in @cfg: "hour" holds whole minutes, "month" does not hold whole weeks. */
gboolean agg_flush_fits (const LnAggConfig *cfg, LnAggKey flush);

/* @key_id names the sketch key (a digest of it, not the key) so that merge
 * can refuse sketches made under different keys.  @cfg->tz must name a
 * zone GLib knows (the caller checked it). */
LnAgg *agg_new (const LnAggConfig *cfg, const char *key_id);

/* Counts @rec; @visitor is the keyed digest of its client address, if
 * @has_visitor. */
void agg_add (LnAgg *agg, const LnRecord *rec, gboolean has_visitor, uint64_t visitor);

/* Reads a partial stream (merge).  FALSE with @error naming file and line
 * on malformed input or a header that does not match earlier ones. */
gboolean agg_merge_from (LnAgg *agg, LnReader *reader, GError **error);

/* With --flush-every: TRUE when agg_add saw a record of a later flush
 * period than any before, so that agg_flush may have rows to write. */
gboolean agg_flush_due (const LnAgg *agg);

/* Writes and frees the rows of every flush period older than the one
 * before the latest (one period of grace for lines a little out of
 * order).  A record that arrives later for a written period starts a new
 * row with the same key, written by a later flush or agg_write. */
void agg_flush (LnAgg *agg, LnBuf *out);

/* Adds the rows of @from, made with the same configuration and visitor
 * key, to @into: what agg_add() of both tables' records would have given
 * (sketches merge exactly).  --jobs aggregates each chunk on its own. */
void agg_merge (LnAgg *into, const LnAgg *from);

/* Appends the result: partial rows, or suppressed rows in CSV/JSONL. */
void agg_write (LnAgg *agg, LnBuf *out);

/* Rows held plus rows already written by agg_flush. */
guint64 agg_row_count (const LnAgg *agg);
size_t agg_memory (const LnAgg *agg);

void agg_free (LnAgg *agg);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LnAgg, agg_free)

#endif /* LN_AGG_H */
