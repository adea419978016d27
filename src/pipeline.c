/* pipeline.c - the per-line loop and malformed-line policy. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "i18n.h"
#include "jobs.h"
#include "pipeline.h"
#include "secmem.h"
#include "signals.h"
#include "wipe.h"

/* Without --verbose, only this many malformed lines are reported. */
#define REPORT_LIMIT 10

/* The key of the visitor sketches: derived from --sketch-key-file or
 * --key-file so that partials from many machines merge, or random for a
 * run on its own.  @id names it (a digest, not the key) in partials. */
static gboolean
sketch_key (const LnOptions *o, LnVisitorKey **vkey, char **id, GError **error)
{
  static const char salt[] = "lognym-sketch-v1";
  const char *file = o->sketch_key_file ? o->sketch_key_file : o->key_file;
  uint8_t digest[8];
  uint8_t *master, *key;
  size_t len;

  if (!secmem_init (64 * 1024, error))
    return FALSE;
  *vkey = secmem_alloc (sizeof **vkey);
  key = secmem_alloc (16);
  master = secmem_alloc (LN_KEY_MAX_BYTES);
  if (file)
    {
      len = key_load_file (file, master, error);
      if (len == 0)
        return FALSE;
    }
  else
    {
      len = 32;
      if (!key_random_bytes (master, len, error))
        return FALSE;
    }
  hkdf_sha256 ((const uint8_t *) salt, sizeof salt - 1, master, len,
               (const uint8_t *) "visitor sketch", 14, key, 16);
  hkdf_sha256 ((const uint8_t *) salt, sizeof salt - 1, master, len,
               (const uint8_t *) "sketch key id", 13, digest, sizeof digest);
  wipe_memory (master, LN_KEY_MAX_BYTES);
  visitor_key_init (*vkey, key, TRUE);
  wipe_memory (key, 16);
  *id = g_strdup_printf ("%02x%02x%02x%02x%02x%02x%02x%02x", digest[0], digest[1],
                         digest[2], digest[3], digest[4], digest[5], digest[6], digest[7]);
  return TRUE;
}

/* TRUE when some format of @parser has a time-to-serve field, so that
 * aggregates get duration quantile columns. */
static gboolean
has_duration (const LnParser *parser)
{
  size_t i, j;

  for (i = 0; i < parser->nformats; i++)
    for (j = 0; j < parser->formats[i]->nops; j++)
      switch (parser->formats[i]->ops[j].type)
        {
        case LN_FIELD_DURATION_US:
        case LN_FIELD_DURATION_MS:
        case LN_FIELD_DURATION_S:
          return TRUE;
        default:
          break;
        }
  return FALSE;
}

/* --aggregate writes nothing but its keys and counts, so the anonymiser
 * need only make safe the fields a key is read from: the others never
 * leave the process (and the line buffer is wiped as always).  The client
 * field is still rewritten: its country, visitor digest and the --stats
 * counts come from there. */
static LnAnonConfig
anon_config_for (const LnOptions *o)
{
  LnAnonConfig cfg = o->anon;
  uint32_t needed = UINT32_C (1) << LN_FIELD_CLIENT;
  size_t i, t;

  if (!o->aggregate || o->merge)
    return cfg;
  /* no key is the client's text (country and visitors are taken from the
   * raw address before it would be rewritten) */
  cfg.client_text_unused = TRUE;
  for (i = 0; i < o->agg.nkeys; i++)
    switch (o->agg.keys[i])
      {
      case LN_AGG_VHOST:
        needed |= UINT32_C (1) << LN_FIELD_VHOST;
        break;
      case LN_AGG_METHOD:
      case LN_AGG_PATH:
        needed |= UINT32_C (1) << LN_FIELD_REQUEST | UINT32_C (1) << LN_FIELD_URL_PATH
                  | UINT32_C (1) << LN_FIELD_URI | UINT32_C (1) << LN_FIELD_QUERY
                  | UINT32_C (1) << LN_FIELD_OTHER;   /* %m */
        break;
      case LN_AGG_REFERER_ORIGIN:
        needed |= UINT32_C (1) << LN_FIELD_REFERER;
        break;
      default:
        break;
      }
  G_STATIC_ASSERT (LN_FIELD__COUNT <= 32);
  for (t = 0; t < LN_FIELD__COUNT; t++)
    if (!(needed & (UINT32_C (1) << t)))
      cfg.skip_types |= UINT32_C (1) << t;
  return cfg;
}

/* What every pipeline, the main one and each --jobs worker's, has of its
 * own: parser, keyring, pseudonym cache, geo database and anonymiser. */
static gboolean
init_lane (LnPipeline *p, const LnOptions *options, GError **error)
{
  if (!(options->nginx ? parser_init_nginx (&p->parser, options->format, error)
                       : parser_init (&p->parser, options->format, error)))
    return FALSE;
  parser_keep_headers (&p->parser, (const char *const *) options->keep_headers);
  if (anon_needs_key (&options->anon))
    {
      if (options->key_dir)
        p->keyring = keyring_new_rotating (options->key_dir, options->rotate,
                                           options->retain,
                                           g_get_real_time () / G_USEC_PER_SEC, error);
      else if (options->derive != LN_PERIOD_NONE)
        p->keyring = keyring_new_derived (options->key_file, options->derive, error);
      else
        p->keyring = keyring_new_static (options->key_file, error);
      if (p->keyring == NULL)
        {
          parser_clear (&p->parser);
          return FALSE;
        }
      /* One 2 MiB huge page of slots: 2^17 slots (2.5 MiB) left a fifth
       * of the table in small pages, whose TLB misses cost --ip=hmac 1-2%
       * of its time, and each --jobs worker 0.5 MiB more. */
      p->cache = LN_IP_MODE_KEYED (options->anon.ip_mode)
                 ? pseudonym_cache_new (LN_PSEUDONYM_DEFAULT_SLOTS, error) : NULL;
      if (p->cache == NULL && LN_IP_MODE_KEYED (options->anon.ip_mode))
        {
          keyring_free (p->keyring);
          parser_clear (&p->parser);
          return FALSE;
        }
    }
  if (options->geo_db)
    {
      p->geo = geo_open (options->geo_db, options->geo_path, error);
      if (p->geo == NULL)
        {
          pipeline_clear (p);
          return FALSE;
        }
      if (!geo_set_cache_prefixes (p->geo, options->anon.v4_bits,
                                   options->anon.v6_bits, error))
        {
          pipeline_clear (p);
          return FALSE;
        }
    }
  {
    LnAnonConfig cfg = anon_config_for (options);

    anon_init (&p->anon, &cfg, p->keyring, p->cache);
  }
  p->anon.geo = p->geo;
  return TRUE;
}

/* --jobs N > 1 where chunks can be processed apart and written in order;
 * otherwise one thread, silently (see lognym(1), --jobs). */
static gboolean
want_jobs (const LnOptions *o)
{
  return o->jobs > 1 && !o->merge && !o->follow && !o->in_place
         && !(o->output && output_is_pattern (o->output))
         && !o->agg.flush;   /* rows go out as the input goes by */
}

/* --jobs N > 1: the workers, set up last but before --run-as, since they
 * open keys and databases too. */
static gboolean
start_jobs (LnPipeline *p, GError **error)
{
  if (!want_jobs (p->options))
    return TRUE;
  p->jobs = jobs_new (p, p->options->jobs, error);
  if (p->jobs == NULL)
    {
      pipeline_clear (p);
      return FALSE;
    }
  return TRUE;
}

gboolean
pipeline_init (LnPipeline *p, const LnOptions *options, LnOutput *output,
               GError **error)
{
  memset (p, 0, sizeof *p);
  p->stats.started = g_get_monotonic_time ();
  p->options = options;
  progress_init (&p->progress, options->files,
                 options->no_progress ? -1 : options->progress ? 1 : 0);
  p->output = output;
  /* each worker keeps its key states and cache key in secure memory too */
  if (want_jobs (options) && anon_needs_key (&options->anon)
      && !secmem_init (64 * 1024 + (size_t) options->jobs * 8192, error))
    return FALSE;
  if (!init_lane (p, options, error))
    return FALSE;
  if (options->aggregate || options->merge)
    {
      g_autofree char *key_id = NULL;
      LnAggConfig cfg = options->agg;

      /* merge takes this from the partials */
      cfg.durations = !options->merge && has_duration (&p->parser);
      if (!options->merge)
        {
          LnVisitorKey *key = NULL;

          if (!sketch_key (options, &key, &key_id, error))
            {
              pipeline_clear (p);
              return FALSE;
            }
          p->anon.visitor_key = key;
        }
      p->agg = agg_new (&cfg, key_id);
      buf_init (&p->arena, 4096);
      return start_jobs (p, error);
    }
  buf_init (&p->arena, 4096);
  p->writer.ops = writer_lookup (options->output_format);
  if (p->writer.ops == NULL)
    {
      /* cli.c let only conversions through */
      p->convert = convert_new (options->output_format, &p->parser, error);
      if (p->convert == NULL)
        {
          pipeline_clear (p);
          return FALSE;
        }
      p->writer.ops = &writer_convert_ops;
      p->writer.convert = p->convert;
    }
  else if (p->writer.ops != &writer_log_ops)
    {
      g_autofree char *fallback = NULL;
      const char *fields = options->fields;

      if (fields == NULL)
        {
          /* the default columns, less country without a database */
          fallback = g_strdup (LN_COLUMNS_DEFAULT);
          if (options->geo_db == NULL)
            {
              char *c = strstr (fallback, ",country");
              memmove (c, c + 8, strlen (c + 8) + 1);
            }
          fields = fallback;
        }
      p->writer.ncolumns = columns_parse (fields, p->writer.columns, LN_MAX_COLUMNS, error);
      if (p->writer.ncolumns == 0)
        {
          pipeline_clear (p);
          return FALSE;
        }
    }
  /* appending to a file that has rows already: no second header */
  if (p->writer.ops->begin && p->output && !output_has_data (p->output))
    p->writer.ops->begin (&p->writer, &p->output->buf);
  /* the fused path writes log lines, or CSV and JSON Lines rows from the
   * record it fills, and nothing else: no aggregate (gone above), no
   * conversion, no file per period; with --geo-db, log lines only (the
   * records would need the country) and not the --strict check after
   * each line */
  if (p->writer.ops == &writer_csv_ops || p->writer.ops == &writer_jsonl_ops)
    fastlane_init_records (&p->fastlane, &p->parser, &p->anon,
                           p->geo == NULL
                           && !(options->output && output_is_pattern (options->output)),
                           &p->record, &p->arena, &p->writer);
  else
    fastlane_init (&p->fastlane, &p->parser, &p->anon,
                   p->writer.ops == &writer_log_ops && !(p->geo != NULL && options->strict)
                   && !(options->output && output_is_pattern (options->output)));
  return start_jobs (p, error);
}

gboolean
pipeline_init_worker (LnPipeline *w, const LnPipeline *main, GError **error)
{
  memset (w, 0, sizeof *w);
  w->stats.started = main->stats.started;
  w->options = main->options;
  if (!init_lane (w, main->options, error))
    return FALSE;
  w->anon.visitor_key = main->anon.visitor_key;
  w->writer = main->writer;
  /* the same formats and options: the same decision as @main's, with
   * the worker's own record, arena and writer */
  if (main->fastlane.writer != NULL)
    fastlane_init_records (&w->fastlane, &w->parser, &w->anon, main->fastlane.enabled,
                           &w->record, &w->arena, &w->writer);
  else
    fastlane_init (&w->fastlane, &w->parser, &w->anon, main->fastlane.enabled);
  buf_init (&w->arena, 4096);
  return TRUE;
}

void
pipeline_set_output (LnPipeline *p, LnOutput *output)
{
  p->output = output;
}

void
pipeline_clear (LnPipeline *p)
{
  /* first: the workers borrow from this pipeline */
  jobs_free (p->jobs);
  p->jobs = NULL;
  progress_finish (&p->progress);
  parser_clear (&p->parser);
  anon_clear (&p->anon);
  keyring_free (p->keyring);
  pseudonym_cache_free (p->cache);
  geo_free (p->geo);
  p->geo = NULL;
  agg_free (p->agg);
  p->agg = NULL;
  convert_free (p->convert);
  p->convert = NULL;
  p->keyring = NULL;
  p->cache = NULL;
  buf_clear (&p->arena);
  memset (&p->record, 0, sizeof p->record);
}

void
pipeline_report_malformed (LnPipeline *p, const char *name, uint64_t line_no,
                           LnParseStatus status, size_t column)
{
  if (!p->options->verbose && p->reported >= REPORT_LIMIT)
    return;
  progress_finish (&p->progress);     /* a message must not land mid-line */
  p->reported++;
  /* The line itself is never echoed: it may hold a raw address. */
  g_printerr (_("lognym: %s:%" PRIu64 ": %s (column %zu)\n"),
              name, line_no, _(parse_status_message (status)), column);
  if (!p->options->verbose && p->reported == REPORT_LIMIT)
    g_printerr (_("lognym: further malformed lines are not reported "
                  "(use --verbose to see all)\n"));
}

void
pipeline_stop_error (LnLineOutcome outcome, const char *name, uint64_t line_no,
                     const char *detail, GError **error)
{
  switch (outcome)
    {
    case LN_LINE_KEY_ERASED:
      /* never give such a record a fresh key: stop, naming it */
      g_set_error (error, LN_ERROR, LN_ERROR_KEY_ERASED, "%s:%" PRIu64 ": %s",
                   name, line_no, detail ? detail : "?");
      break;
    case LN_LINE_FAIL:
      g_set_error (error, LN_ERROR, LN_ERROR_MALFORMED,
                   _("%s:%" PRIu64 ": malformed line, stopping "
                     "(--malformed=fail)"), name, line_no);
      break;
    case LN_LINE_GEO_STRICT:
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
                   _("%s:%" PRIu64 ": geo database lookup failed (--strict)"),
                   name, line_no);
      break;
    case LN_LINE_OK:
    case LN_LINE_ERROR:
    default:
      g_assert_not_reached ();
    }
}

/* Flushes before a read that would block, so that a quiet piped logger's
 * lines reach the file at once instead of waiting for a full block. */
static gboolean
on_input_idle (void *data, GError **error)
{
  LnPipeline *p = data;

  if (signals_take_reopen ())
    return output_reopen (p->output, error);
  return output_flush (p->output, error);
}

/* pipeline_line(), inlined into the loop of pipeline_process(): the call
 * with its seven arguments and saved registers cost ~25 instructions a
 * line there.  @plain: plain_lines(), or FALSE to test everything. */
static inline G_ALWAYS_INLINE LnLineOutcome
process_line (LnPipeline *p, gboolean plain, LnSpan line, LnSpan eol, LnBuf *out,
              LnParseStatus *status_out, size_t *column_out, GError **error)
{
  const LnOptions *o = p->options;
  LnRecord *rec = &p->record;
  size_t column = 0;
  LnParseStatus status;
  LnLineOutcome outcome = LN_LINE_OK;

  p->stats.lines_read++;
  /* most lines: parsed, anonymised and written in one pass (fastlane.h);
   * the rest, untouched by it, go the general way below */
  if (G_LIKELY (p->fastlane.enabled)
      && fastlane_line (&p->fastlane, line, eol, out))
    {
      *status_out = LN_PARSE_OK;
      *column_out = 0;
      p->stats.lines_written++;
      return LN_LINE_OK;
    }
  status = parser_parse (&p->parser, line, rec, &column);
  if (status == LN_PARSE_OK)
    {
      status = anon_record (&p->anon, rec, &p->arena);
      column = status == LN_PARSE_RESIDUAL && p->anon.residual_at
               ? (size_t) (p->anon.residual_at - line.p) + 1 : 0;
    }
  *status_out = status;
  *column_out = column;
  if (G_LIKELY (status == LN_PARSE_OK))
    {
      rec->eol = eol;
      if (G_UNLIKELY (!plain) && p->output != NULL && p->output->pattern != NULL)
        {
          gint64 now = g_get_real_time () / G_USEC_PER_SEC;

          if (!output_select (p->output, rec->has_time ? rec->time.epoch : now,
                              rec->has_time ? rec->time.utc_offset : 0, error))
            return LN_LINE_ERROR;
        }
      if (G_UNLIKELY (!plain) && p->agg)
        {
          agg_add (p->agg, rec, rec->has_visitor, rec->visitor);
          /* --flush-every (never with --jobs): a bucket closed; its rows
           * go out now */
          if (G_UNLIKELY (agg_flush_due (p->agg)))
            {
              agg_flush (p->agg, out);
              if (!output_flush (p->output, error))
                return LN_LINE_ERROR;
            }
        }
      else
        p->writer.ops->write_record (&p->writer, rec, out);
      p->stats.lines_written++;
    }
  else if (status == LN_PARSE_KEY_ERASED)
    return LN_LINE_KEY_ERASED;
  else
    {
      p->stats.malformed++;
      p->stats.by_reason[status]++;
      switch (o->malformed)
        {
        case LN_MALFORMED_REDACT:
          if (p->agg)
            break;    /* nothing to count: the line has no fields */
          /* no timestamp to choose a file by: the current one, or now's */
          if (G_UNLIKELY (p->output != NULL && p->output->pattern != NULL)
              && p->output->fd < 0
              && !output_select (p->output, g_get_real_time () / G_USEC_PER_SEC, 0, error))
            return LN_LINE_ERROR;
          /* --jobs: the key of the last record before this chunk */
          if (p->carry_in && p->anon.key == NULL && !p->anon.fallback)
            p->carry_in (p, p->carry_data);
          anon_redact (&p->anon, line, out);
          writer_end_line (out, eol);
          p->stats.redacted++;
          p->stats.lines_written++;
          break;
        case LN_MALFORMED_FAIL:
          return LN_LINE_FAIL;
        case LN_MALFORMED_DROP:
        default:
          break;
        }
    }
  if (G_UNLIKELY (!plain) && p->geo != NULL && o->strict && geo_error_count (p->geo) > 0)
    outcome = LN_LINE_GEO_STRICT;
  return outcome;
}

/* TRUE when none of the per-record extras of process_line() apply: no
 * file per period, no aggregate, no --strict geo check.  The same for
 * the whole run, so tested once instead of per line. */
static gboolean
plain_lines (const LnPipeline *p)
{
  return !(p->output != NULL && p->output->pattern != NULL) && p->agg == NULL
         && !(p->geo != NULL && p->options->strict);
}

LnLineOutcome
pipeline_line (LnPipeline *p, LnSpan line, LnSpan eol, LnBuf *out,
               LnParseStatus *status_out, size_t *column_out, GError **error)
{
  return process_line (p, FALSE, line, eol, out, status_out, column_out, error);
}

gboolean
pipeline_process (LnPipeline *p, LnReader *reader, GError **error)
{
  const LnOptions *o = p->options;
  LnSpan line, eol;
  gboolean plain, look_ahead;
  const volatile sig_atomic_t *reopen;
  int got;

  p->stats.files++;
  reader_set_idle_func (reader, on_input_idle, p);
  if (o->merge)
    {
      gboolean ok = agg_merge_from (p->agg, reader, error);

      p->stats.bytes_read += reader_bytes (reader);
      return ok;
    }
  if (p->jobs)
    return jobs_process (p->jobs, reader, error);
  plain = plain_lines (p);
  look_ahead = anon_wants_look_ahead (&p->anon);
  reopen = signals_reopen_flag ();
  while ((got = reader_next (reader, &line, &eol, error)) > 0)
    {
      LnParseStatus status;
      size_t column;
      LnLineOutcome outcome;

      if (look_ahead)
        anon_look_ahead (&p->anon, reader_ahead (reader));
      outcome = process_line (p, plain, line, eol, &p->output->buf,
                                            &status, &column, error);

      if (status != LN_PARSE_OK && status != LN_PARSE_KEY_ERASED)
        pipeline_report_malformed (p, reader_name (reader), reader_line_number (reader),
                                   status, column);
      if (G_UNLIKELY (outcome != LN_LINE_OK))
        {
          if (outcome != LN_LINE_ERROR)
            pipeline_stop_error (outcome, reader_name (reader), reader_line_number (reader),
                                 p->anon.key_error ? p->anon.key_error->message : NULL,
                                 error);
          return FALSE;
        }
      if (!output_maybe_flush (p->output, error))
        return FALSE;
      if (G_UNLIKELY (*reopen) && signals_take_reopen () && !output_reopen (p->output, error))
        return FALSE;
      if (G_UNLIKELY ((p->stats.lines_read & 0x3fff) == 0) && p->progress.enabled)
        progress_update (&p->progress, reader_bytes (reader), p->stats.lines_read);
    }
  p->stats.bytes_read += reader_bytes (reader);
  progress_file_done (&p->progress, reader_bytes (reader));
  return got == 0;
}

gboolean
pipeline_finish (LnPipeline *p, GError **error)
{
  progress_finish (&p->progress);
  if (p->agg)
    agg_write (p->agg, &p->output->buf);
  else if (p->writer.ops->finish)
    p->writer.ops->finish (&p->writer, &p->output->buf);
  if (p->geo)
    geo_report_errors (p->geo);
  return output_flush (p->output, error);
}

/* The summary as (key, value) pairs, in the order both forms print them. */
static void
collect (const LnPipeline *p, GArray *keys, GArray *values)
{
  const LnPipelineStats *s = &p->stats;
  const LnAnonStats *a = &p->anon.stats;
  int i;

#define PUT(k, v) do { const char *k_ = (k); guint64 v_ = (v); \
    g_array_append_val (keys, k_); g_array_append_val (values, v_); } while (0)
  PUT ("files", s->files);
  PUT ("lines_read", s->lines_read);
  PUT ("lines_written", s->lines_written);
  PUT ("malformed", s->malformed);
  for (i = 0; i < LN_PARSE__COUNT; i++)
    if (s->by_reason[i])
      {
        /* static strings: "malformed_" + key, built once per reason */
        static char names[LN_PARSE__COUNT][32];

        if (names[i][0] == '\0')
          g_snprintf (names[i], sizeof names[i], "malformed_%s", parse_status_key (i));
        PUT (names[i], s->by_reason[i]);
      }
  PUT ("redacted", s->redacted);
  PUT ("dropped", s->lines_read - s->lines_written);
  PUT ("clients_ipv4", a->clients_v4);
  PUT ("clients_ipv6", a->clients_v6);
  PUT ("clients_other", a->clients_other);
  PUT ("residual_masked", a->residual_masked);
  /* by notation, only those seen: "residual_dashed=2" */
  for (i = LN_RESIDUAL_PLAIN + 1; i < LN_RESIDUAL_FORM__COUNT; i++)
    if (a->residual_by_form[i])
      {
        static char names[LN_RESIDUAL_FORM__COUNT][32];

        if (names[i][0] == '\0')
          g_snprintf (names[i], sizeof names[i], "residual_%s",
                      residual_form_name ((LnResidualForm) i));
        PUT (names[i], a->residual_by_form[i]);
      }
  if (p->cache)
    {
      guint64 hits, misses;

      pseudonym_cache_counts (p->cache, &hits, &misses);
      PUT ("pseudonyms_computed", misses + s->cache_misses);
      PUT ("pseudonyms_cached", hits + s->cache_hits);
      PUT ("expired_key_truncated", a->expired_truncated);
    }
  if (p->geo)
    PUT ("geo_errors", geo_error_count (p->geo));
  if (p->agg)
    PUT ("aggregate_rows", agg_row_count (p->agg));
#undef PUT
}

static void
format_stats (const LnPipeline *p, gboolean json, GString *out)
{
  g_autoptr (GArray) keys = g_array_new (FALSE, FALSE, sizeof (const char *));
  g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (guint64));
  double seconds = (double) (g_get_monotonic_time () - p->stats.started) / 1e6;
  char secs[G_ASCII_DTOSTR_BUF_SIZE];
  guint i;

  collect (p, keys, values);
  /* locale-independent: never "0,25" */
  g_ascii_formatd (secs, sizeof secs, "%.3f", seconds);
  g_string_append (out, json ? "{" : "lognym: stats:");
  for (i = 0; i < keys->len; i++)
    g_string_append_printf (out, json ? "%s\"%s\":%" PRIu64 : " %s%s=%" PRIu64,
                            json && i ? "," : "", g_array_index (keys, const char *, i),
                            (uint64_t) g_array_index (values, guint64, i));
  /* the run's size and duration: monitoring wants them, the text line
   * stays the same from run to run for the same input */
  if (json)
    g_string_append_printf (out, ",\"bytes_read\":%" PRIu64 ",\"seconds\":%s}",
                            (uint64_t) p->stats.bytes_read, secs);
}

void
pipeline_print_stats (const LnPipeline *p, gboolean json)
{
  g_autoptr (GString) line = g_string_new (NULL);

  /* key=value or JSON, never translated: this is for scripts and
   * monitoring as much as for people */
  format_stats (p, json, line);
  g_printerr ("%s\n", line->str);
}

gboolean
pipeline_write_stats_file (const LnPipeline *p, const char *path, GError **error)
{
  g_autoptr (GString) text = g_string_new (NULL);

  struct stat st;

  format_stats (p, TRUE, text);
  g_string_append_c (text, '\n');
  /* A regular file (or a new one) is replaced atomically, so a monitor
   * never reads half of it; anything else (/dev/stderr, a FIFO) is written
   * to as it is, never replaced. */
  if (lstat (path, &st) == 0 && !S_ISREG (st.st_mode))
    {
      int fd = open (path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
      gboolean ok = fd >= 0 && write (fd, text->str, text->len) == (ssize_t) text->len;
      int err = errno;

      if (fd >= 0)
        close (fd);
      if (!ok)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_OUTPUT, "--stats-file: %s: %s", path,
                       g_strerror (err));
          return FALSE;
        }
      return TRUE;
    }
  if (!g_file_set_contents (path, text->str, (gssize) text->len, error))
    {
      g_prefix_error (error, "--stats-file: ");
      return FALSE;
    }
  return TRUE;
}
