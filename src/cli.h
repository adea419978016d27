/* cli.h - command-line options into an immutable LnOptions.
 *
 * The only GOptionEntry table of the program.  Everything the run needs is
 * in LnOptions, passed down explicitly: there is no global configuration.
 */
#ifndef LN_CLI_H
#define LN_CLI_H

#include <glib.h>
#include "agg.h"
#include "anon.h"
#include "key.h"

/* Most --jobs threads. */
#define LN_JOBS_MAX 256

typedef enum {
  LN_MALFORMED_DROP,
  LN_MALFORMED_REDACT,
  LN_MALFORMED_FAIL,
} LnMalformedPolicy;

typedef struct {
  char *format;               /* "auto", preset or LogFormat string */
  gboolean nginx;             /* format is an nginx log_format body */
  char *apache_config;        /* --apache-config FILE */
  char *log_name;             /* --log-name NAME */
  LnAnonConfig anon;
  LnQueryPolicy query_policy; /* --query; the lists below override it */
  char **query_allow;         /* --query-allow names, or NULL */
  char **query_deny;          /* --query-deny names, or NULL */
  char **keep_headers;        /* --keep-header names, or NULL */
  LnMalformedPolicy malformed;
  char *output;               /* NULL: standard output */
  int create_mode;            /* --mode for files -o creates; -1: 0640 less umask */
  gboolean stats;             /* the key=value summary on stderr */
  char *stats_file;           /* --stats-file: JSON summary written there */
  gboolean verbose;
  gboolean version;
  char *key_file;             /* --key-file or $LOGNYM_KEY_FILE */
  char *key_dir;              /* --key-dir: rotating per-period keys */
  LnPeriod rotate;            /* with --key-dir; default daily */
  unsigned retain;            /* periods kept before erasure */
  LnPeriod derive;            /* --derive: HKDF period keys from key_file */
  gboolean allow_core_dumps;
  char *output_format;        /* writer name: log (default), csv, jsonl */
  char *fields;               /* columns for csv/jsonl */
  char *geo_db;               /* --geo-db FILE.mmdb */
  char *geo_path;             /* --geo-path a/b/c */
  gboolean strict;            /* geo lookup errors end the run */
  char *aggregate;            /* --aggregate keys, or NULL */
  LnAggConfig agg;
  char *tz;                   /* --tz ZONE (agg.tz points here), or NULL */
  char *sketch_key_file;
  gboolean merge;             /* the "lognym merge" subcommand */
  gboolean audit;             /* the "lognym audit" subcommand */
  gboolean show;              /* audit: print the addresses found */
  gboolean in_place;          /* rewrite each FILE atomically */
  gboolean shred_original;    /* then overwrite the replaced original */
  gboolean follow;            /* reopen the input FIFO when its writer closes */
  unsigned drain_timeout;     /* seconds a pipe is read on after SIGTERM */
  unsigned jobs;              /* --jobs: threads, 0 = one per CPU */
  char *run_as;               /* USER[:GROUP] after opening files */
  gboolean progress;          /* --progress */
  gboolean no_progress;       /* --no-progress */
  char **files;               /* NULL-terminated; never empty ("-") */
} LnOptions;

/* Parses @argv.  Returns a new LnOptions, or NULL with @error set
 * (G_OPTION_ERROR or LN_ERROR_USAGE: exit status 1).  --help prints and
 * exits 0 inside GLib. */
LnOptions *cli_parse (int argc, char **argv, GError **error);

/* The same for "lognym merge [OPTION…] [FILE…]" (@argv starts at "merge"). */
LnOptions *cli_parse_merge (int argc, char **argv, GError **error);

/* The same for "lognym audit [OPTION…] [FILE…]". */
LnOptions *cli_parse_audit (int argc, char **argv, GError **error);

void cli_options_free (LnOptions *options);

/* Prints the --version text to standard output. */
void cli_print_version (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LnOptions, cli_options_free)

#endif /* LN_CLI_H */
