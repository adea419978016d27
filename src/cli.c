/* cli.c - option parsing (see cli.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "convert.h"
#include "errors.h"
#include "i18n.h"
#include "parse.h"
#include "writer.h"

typedef struct {
  const char *name;
  int value;
} Choice;

/* Looks @value up in @choices; on failure names the option and the valid
 * words, as a usage error. */
static gboolean
parse_choice (const char *option, const char *value, const Choice *choices,
              int *out, GError **error)
{
  g_autoptr (GString) valid = g_string_new (NULL);
  const Choice *c;

  for (c = choices; c->name; c++)
    {
      if (strcmp (value, c->name) == 0)
        {
          *out = c->value;
          return TRUE;
        }
      g_string_append_printf (valid, "%s%s", valid->len ? ", " : "", c->name);
    }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               /* Translators: the bad value, the option, the valid values */
               _("invalid value '%s' for %s (valid: %s)"), value, option, valid->str);
  return FALSE;
}

static gboolean
parse_bits (const char *option, const char *value, unsigned max, unsigned *out,
            GError **error)
{
  guint64 n;

  if (!g_ascii_string_to_unsigned (value, 10, 0, max, &n, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("invalid value '%s' for %s (a number from 0 to %u)"),
                   value, option, max);
      return FALSE;
    }
  *out = (unsigned) n;
  return TRUE;
}

static gboolean
on_ip (const char *name, const char *value, gpointer data, GError **error)
{
  static const Choice c[] = {
    { "truncate", LN_IP_TRUNCATE }, { "drop", LN_IP_DROP }, { "hmac", LN_IP_HMAC },
    { "hmac-ipv6", LN_IP_HMAC_IPV6 }, { "truncate+hmac", LN_IP_TRUNCATE_HMAC },
    { "country", LN_IP_COUNTRY }, { 0 }
  };
  LnOptions *o = data;
  int v;

  if (!parse_choice (name, value, c, &v, error))
    return FALSE;
  o->anon.ip_mode = (LnIpMode) v;
  return TRUE;
}

static gboolean
on_ipv4_prefix (const char *name, const char *value, gpointer data, GError **error)
{
  return parse_bits (name, value, 32, &((LnOptions *) data)->anon.v4_bits, error);
}

static gboolean
on_ipv6_prefix (const char *name, const char *value, gpointer data, GError **error)
{
  return parse_bits (name, value, 128, &((LnOptions *) data)->anon.v6_bits, error);
}

static const Choice keep_dash[] = { { "dash", 0 }, { "keep", 1 }, { 0 } };

static gboolean
on_user_agent (const char *name, const char *value, gpointer data, GError **error)
{
  static const Choice c[] = {
    { "drop", LN_UA_DROP }, { "keep", LN_UA_KEEP }, { "family", LN_UA_FAMILY }, { 0 }
  };
  int v;

  if (!parse_choice (name, value, c, &v, error))
    return FALSE;
  ((LnOptions *) data)->anon.user_agent = (LnUserAgentPolicy) v;
  return TRUE;
}

static gboolean
on_remote_user (const char *name, const char *value, gpointer data, GError **error)
{
  static const Choice c[] = {
    { "dash", LN_USER_DASH }, { "keep", LN_USER_KEEP }, { "hmac", LN_USER_HMAC }, { 0 }
  };
  int v;

  if (!parse_choice (name, value, c, &v, error))
    return FALSE;
  ((LnOptions *) data)->anon.user = (LnUserPolicy) v;
  return TRUE;
}

static gboolean
on_referer (const char *name, const char *value, gpointer data, GError **error)
{
  static const Choice c[] = {
    { "origin", LN_REFERER_ORIGIN }, { "keep", LN_REFERER_KEEP },
    { "strip-query", LN_REFERER_STRIP_QUERY }, { "drop", LN_REFERER_DROP }, { 0 }
  };
  int v;

  if (!parse_choice (name, value, c, &v, error))
    return FALSE;
  ((LnOptions *) data)->anon.referer = (LnRefererPolicy) v;
  return TRUE;
}

static gboolean
on_query (const char *name, const char *value, gpointer data, GError **error)
{
  static const Choice c[] = { { "keep", LN_QUERY_KEEP }, { "strip", LN_QUERY_STRIP }, { 0 } };
  LnOptions *o = data;
  int v;

  if (!parse_choice (name, value, c, &v, error))
    return FALSE;
  o->query_policy = (LnQueryPolicy) v;
  return TRUE;
}

/* Appends the comma-separated words of @value to *@list. */
static gboolean
add_names (const char *name, const char *value, char ***list, GError **error)
{
  g_auto (GStrv) words = g_strsplit (value, ",", -1);
  GStrvBuilder *b = g_strv_builder_new ();
  char **w;

  if (*list)
    g_strv_builder_addv (b, (const char **) *list);
  for (w = words; *w; w++)
    {
      g_strstrip (*w);
      if (**w == '\0' || strpbrk (*w, "&=?# ") != NULL)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("%s: '%s' is not a name"), name, *w);
          g_strv_builder_unref (b);
          return FALSE;
        }
      g_strv_builder_add (b, *w);
    }
  g_strfreev (*list);
  *list = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return TRUE;
}

static gboolean
on_query_allow (const char *name, const char *value, gpointer data, GError **error)
{
  return add_names (name, value, &((LnOptions *) data)->query_allow, error);
}

static gboolean
on_query_deny (const char *name, const char *value, gpointer data, GError **error)
{
  return add_names (name, value, &((LnOptions *) data)->query_deny, error);
}

static gboolean
on_keep_header (const char *name, const char *value, gpointer data, GError **error)
{
  return add_names (name, value, &((LnOptions *) data)->keep_headers, error);
}

static gboolean
on_server_address (const char *name, const char *value, gpointer data, GError **error)
{
  static const Choice c[] = { { "keep", 0 }, { "client", 1 }, { 0 } };
  int v;

  if (!parse_choice (name, value, c, &v, error))
    return FALSE;
  ((LnOptions *) data)->anon.server_address_client = v;
  return TRUE;
}

/* --query, --query-allow and --query-deny into one rule. */
static gboolean
check_query_options (LnOptions *o, GError **error)
{
  int lists = (o->query_allow != NULL) + (o->query_deny != NULL);

  if (lists > 1 || (lists == 1 && o->query_policy == LN_QUERY_STRIP))
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                   _("--query=strip, --query-allow and --query-deny exclude each other"));
      return FALSE;
    }
  o->anon.query.policy = o->query_allow ? LN_QUERY_ALLOW
                         : o->query_deny ? LN_QUERY_DENY : o->query_policy;
  o->anon.query.names = (const char *const *) (o->query_allow ? o->query_allow
                                                                : o->query_deny);
  return TRUE;
}

static gboolean
on_ident (const char *name, const char *value, gpointer data, GError **error)
{
  int v;

  if (!parse_choice (name, value, keep_dash, &v, error))
    return FALSE;
  ((LnOptions *) data)->anon.keep_ident = v;
  return TRUE;
}

static gboolean
on_malformed (const char *name, const char *value, gpointer data, GError **error)
{
  static const Choice c[] = {
    { "drop", LN_MALFORMED_DROP }, { "redact", LN_MALFORMED_REDACT },
    { "fail", LN_MALFORMED_FAIL }, { 0 }
  };
  int v;

  if (!parse_choice (name, value, c, &v, error))
    return FALSE;
  ((LnOptions *) data)->malformed = (LnMalformedPolicy) v;
  return TRUE;
}

static gboolean
on_residual (const char *name, const char *value, gpointer data, GError **error)
{
  static const Choice c[] = {
    { "mask", LN_RESIDUAL_MASK }, { "malformed", LN_RESIDUAL_MALFORMED },
    { "off", LN_RESIDUAL_OFF }, { 0 }
  };
  int v;

  if (!parse_choice (name, value, c, &v, error))
    return FALSE;
  ((LnOptions *) data)->anon.residual = (LnResidualPolicy) v;
  return TRUE;
}

static const Choice periods[] = {
  { "daily", LN_PERIOD_DAILY }, { "weekly", LN_PERIOD_WEEKLY },
  { "monthly", LN_PERIOD_MONTHLY }, { 0 }
};

static gboolean
on_rotate (const char *name, const char *value, gpointer data, GError **error)
{
  int v;

  if (!parse_choice (name, value, periods, &v, error))
    return FALSE;
  ((LnOptions *) data)->rotate = (LnPeriod) v;
  return TRUE;
}

static gboolean
on_derive (const char *name, const char *value, gpointer data, GError **error)
{
  int v;

  if (!parse_choice (name, value, periods, &v, error))
    return FALSE;
  ((LnOptions *) data)->derive = (LnPeriod) v;
  return TRUE;
}

static gboolean
on_retain (const char *name, const char *value, gpointer data, GError **error)
{
  return parse_bits (name, value, 100000, &((LnOptions *) data)->retain, error);
}

static gboolean
on_expired_key (const char *name, const char *value, gpointer data, GError **error)
{
  static const Choice c[] = { { "error", 0 }, { "truncate", 1 }, { 0 } };
  int v;

  if (!parse_choice (name, value, c, &v, error))
    return FALSE;
  ((LnOptions *) data)->anon.expired_truncate = v;
  return TRUE;
}

static gboolean
on_key_file (const char *name, const char *value, gpointer data, GError **error)
{
  LnOptions *o = data;

  (void) name;
  (void) error;
  g_free (o->key_file);
  o->key_file = g_strdup (value);
  return TRUE;
}

static gboolean
on_key_dir (const char *name, const char *value, gpointer data, GError **error)
{
  LnOptions *o = data;

  (void) name;
  (void) error;
  g_free (o->key_dir);
  o->key_dir = g_strdup (value);
  return TRUE;
}

/* Cross-option rules that GOption cannot express. */
static gboolean
check_key_options (LnOptions *o, gboolean rotate_given, gboolean retain_given,
                   GError **error)
{
  const char *env = g_getenv ("LOGNYM_KEY_FILE");

  if (o->key_file == NULL && o->key_dir == NULL && env && *env)
    o->key_file = g_strdup (env);
  if (o->key_dir && o->key_file)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                   _("--key-file and --key-dir exclude each other"));
      return FALSE;
    }
  if ((rotate_given || retain_given) && o->key_dir == NULL)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                   _("--rotate and --retain need --key-dir"));
      return FALSE;
    }
  if (o->derive != LN_PERIOD_NONE && o->key_file == NULL)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE, _("--derive needs --key-file"));
      return FALSE;
    }
  if (LN_IP_MODE_KEYED (o->anon.ip_mode) && o->key_file == NULL && o->key_dir == NULL)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                   _("this --ip mode needs a key: --key-file FILE, --key-dir DIR or "
                     "LOGNYM_KEY_FILE (create a key with: lognym keygen FILE)"));
      return FALSE;
    }
  if (o->anon.user == LN_USER_HMAC && o->key_file == NULL && o->key_dir == NULL)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                   _("--remote-user=hmac needs a key: --key-file FILE, --key-dir DIR or "
                     "LOGNYM_KEY_FILE (create a key with: lognym keygen FILE)"));
      return FALSE;
    }
  if (o->key_dir && o->rotate == LN_PERIOD_NONE)
    o->rotate = LN_PERIOD_DAILY;
  if (o->anon.ip_mode == LN_IP_COUNTRY && o->geo_db == NULL)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE, _("--ip=country needs --geo-db"));
      return FALSE;
    }
  if ((o->geo_path || o->strict) && o->geo_db == NULL)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                   o->geo_path ? _("--geo-path needs --geo-db")
                               : _("--strict needs --geo-db"));
      return FALSE;
    }
  if (o->malformed == LN_MALFORMED_REDACT
      && (strcmp (o->output_format, "log") != 0 || o->aggregate || o->merge))
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                   _("--malformed=redact writes log lines: it applies to "
                     "--output-format=log only"));
      return FALSE;
    }
  if (o->create_mode >= 0 && (o->output == NULL || strcmp (o->output, "-") == 0))
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                   _("--mode applies to the files that -o creates: it needs -o FILE"));
      return FALSE;
    }
  if (o->shred_original && !o->in_place)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE, _("--shred-original needs --in-place"));
      return FALSE;
    }
  if (o->in_place
      && (o->output || o->aggregate || o->merge || strcmp (o->output_format, "log") != 0))
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                   _("--in-place rewrites log files as logs: it excludes -o, "
                     "--output-format and --aggregate"));
      return FALSE;
    }
  if (o->merge && o->aggregate)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                   _("--aggregate does not apply to merge: the keys come from the "
                     "partials"));
      return FALSE;
    }
  if (o->tz && o->aggregate == NULL)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE, _("--tz needs --aggregate"));
      return FALSE;
    }
  if (o->agg.flush)
    {
      size_t i;

      for (i = 0; i < o->agg.nkeys && o->agg.flush_every == LN_AGG__COUNT; i++)
        if (o->agg.keys[i] <= LN_AGG_MONTH)
          o->agg.flush_every = o->agg.keys[i];
      if (o->aggregate == NULL || !agg_flush_fits (&o->agg, o->agg.flush_every))
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("--flush-every needs a time key in --aggregate that its "
                         "period holds whole (minute, hour, day, week or month; "
                         "a month does not hold whole weeks)"));
          return FALSE;
        }
    }
  if (o->aggregate || o->merge)
    {
      gboolean country = FALSE;
      size_t i;

      for (i = 0; i < o->agg.nkeys; i++)
        country |= o->agg.keys[i] == LN_AGG_COUNTRY;
      if (country && o->geo_db == NULL)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("--aggregate country needs --geo-db"));
          return FALSE;
        }
      if (strcmp (o->output_format, "log") == 0)
        {
          g_free (o->output_format);
          o->output_format = g_strdup ("csv");
        }
      else if (writer_lookup (o->output_format) == NULL)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("--aggregate writes csv or jsonl, not log lines"));
          return FALSE;
        }
      o->agg.jsonl = strcmp (o->output_format, "jsonl") == 0;
      if (o->fields)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("--fields does not apply to aggregates"));
          return FALSE;
        }
      if (o->agg.partial && !o->merge && o->key_file == NULL && o->sketch_key_file == NULL)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("--partial needs a shared sketch key: --key-file or "
                         "--sketch-key-file (else visitor counts cannot merge)"));
          return FALSE;
        }
      return TRUE;
    }
  if (o->agg.partial)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE, _("--partial needs --aggregate"));
      return FALSE;
    }
  if (o->fields && strcmp (o->output_format, "csv") != 0
      && strcmp (o->output_format, "jsonl") != 0)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                   _("--fields applies to --output-format=csv or jsonl"));
      return FALSE;
    }
  return TRUE;
}

/* Stores a string option into the LnOptions member at @offset. */
static gboolean
set_string (gpointer data, size_t offset, const char *value)
{
  char **slot = (char **) (void *) ((char *) data + offset);

  g_free (*slot);
  *slot = g_strdup (value);
  return TRUE;
}

/* A writer name (log, csv, jsonl) first, then a preset, then anything with
 * a '%' as a LogFormat string; compiled here so that a bad one is a usage
 * error before any input is read. */
static gboolean
on_output_format (const char *name, const char *value, gpointer data, GError **error)
{
  if (writer_lookup (value) == NULL)
    {
      g_autoptr (LnLogFormat) target = NULL;

      if (!convert_is_target (value))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("invalid value '%s' for %s (valid: log, csv, jsonl, common, "
                         "combined, vhost_common, vhost_combined or a LogFormat string)"),
                       value, name);
          return FALSE;
        }
      target = convert_compile_target (value, error);
      if (target == NULL)
        return FALSE;
    }
  return set_string (data, G_STRUCT_OFFSET (LnOptions, output_format), value);
}

static gboolean
on_fields (const char *name, const char *value, gpointer data, GError **error)
{
  LnColumn cols[LN_MAX_COLUMNS];

  (void) name;
  if (columns_parse (value, cols, LN_MAX_COLUMNS, error) == 0)
    return FALSE;
  return set_string (data, G_STRUCT_OFFSET (LnOptions, fields), value);
}

static gboolean
on_geo_db (const char *name, const char *value, gpointer data, GError **error)
{
  (void) name;
  (void) error;
  return set_string (data, G_STRUCT_OFFSET (LnOptions, geo_db), value);
}

static gboolean
on_geo_path (const char *name, const char *value, gpointer data, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (value, "/", -1);
  guint i, n = g_strv_length (parts);

  for (i = 0; i < n && parts[i][0] != '\0'; i++)
    ;
  if (n == 0 || n > 8 || i < n)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("invalid value '%s' for %s (1 to 8 non-empty names separated "
                     "by '/')"), value, name);
      return FALSE;
    }
  return set_string (data, G_STRUCT_OFFSET (LnOptions, geo_path), value);
}

static gboolean
on_aggregate (const char *name, const char *value, gpointer data, GError **error)
{
  LnOptions *o = data;

  (void) name;
  if (!agg_parse_keys (value, &o->agg, error))
    return FALSE;
  return set_string (data, G_STRUCT_OFFSET (LnOptions, aggregate), value);
}

static gboolean
on_tz (const char *name, const char *value, gpointer data, GError **error)
{
  LnOptions *o = data;
  GTimeZone *tz = g_time_zone_new_identifier (value);

  if (tz == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("invalid value '%s' for %s (a time zone: UTC, an offset such as "
                     "+01:00 or -0700, or a name such as Europe/Berlin)"), value, name);
      return FALSE;
    }
  g_time_zone_unref (tz);
  set_string (data, G_STRUCT_OFFSET (LnOptions, tz), value);
  o->agg.tz = o->tz;
  return TRUE;
}

static gboolean
on_flush_every (const char *name, const char *value, gpointer data, GError **error)
{
  /* "bucket": the time key of --aggregate, resolved once all is parsed */
  static const Choice c[] = {
    { "minute", LN_AGG_MINUTE }, { "hour", LN_AGG_HOUR }, { "day", LN_AGG_DAY },
    { "week", LN_AGG_WEEK }, { "month", LN_AGG_MONTH }, { "bucket", LN_AGG__COUNT }, { 0 }
  };
  LnOptions *o = data;
  int v;

  if (!parse_choice (name, value, c, &v, error))
    return FALSE;
  o->agg.flush = TRUE;
  o->agg.flush_every = (LnAggKey) v;
  return TRUE;
}

static gboolean
on_sketch_key_file (const char *name, const char *value, gpointer data, GError **error)
{
  (void) name;
  (void) error;
  return set_string (data, G_STRUCT_OFFSET (LnOptions, sketch_key_file), value);
}

static gboolean
parse_count (const char *option, const char *value, guint64 *out, GError **error)
{
  if (!g_ascii_string_to_unsigned (value, 10, 1, G_MAXUINT32, out, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("invalid value '%s' for %s (a number from 1 to %u)"),
                   value, option, G_MAXUINT32);
      return FALSE;
    }
  return TRUE;
}

static gboolean
on_min_visitors (const char *name, const char *value, gpointer data, GError **error)
{
  return parse_count (name, value, &((LnOptions *) data)->agg.min_visitors, error);
}

static gboolean
on_min_requests (const char *name, const char *value, gpointer data, GError **error)
{
  return parse_count (name, value, &((LnOptions *) data)->agg.min_requests, error);
}

static gboolean
on_path_depth (const char *name, const char *value, gpointer data, GError **error)
{
  return parse_bits (name, value, 1000, &((LnOptions *) data)->agg.path_depth, error);
}

/* --mode: octal permission bits, as chmod takes them (no setuid, setgid
 * or sticky bit: they make no sense for a log). */
static gboolean
on_mode (const char *name, const char *value, gpointer data, GError **error)
{
  guint64 n;

  if (!g_ascii_string_to_unsigned (value, 8, 0, 0777, &n, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("invalid value '%s' for %s (an octal mode from 0 to 0777, "
                     "such as 0600)"), value, name);
      return FALSE;
    }
  ((LnOptions *) data)->create_mode = (int) n;
  return TRUE;
}

static gboolean
on_drain_timeout (const char *name, const char *value, gpointer data, GError **error)
{
  return parse_bits (name, value, 3600, &((LnOptions *) data)->drain_timeout, error);
}

static gboolean
on_jobs (const char *name, const char *value, gpointer data, GError **error)
{
  return parse_bits (name, value, LN_JOBS_MAX, &((LnOptions *) data)->jobs, error);
}

static gboolean
on_format (const char *name, const char *value, gpointer data, GError **error)
{
  LnOptions *o = data;

  (void) name;
  (void) error;
  o->nginx = FALSE;
  g_free (o->format);
  o->format = g_strdup (value);
  return TRUE;
}

static gboolean
on_nginx_format (const char *name, const char *value, gpointer data, GError **error)
{
  LnOptions *o = data;

  (void) name;
  (void) error;
  o->nginx = TRUE;
  return set_string (data, G_STRUCT_OFFSET (LnOptions, format), value);
}

/* --format-file FILE: the first line that is not blank or a # comment,
 * without surrounding white space and one pair of surrounding quotes. */
static gboolean
on_format_file (const char *name, const char *value, gpointer data, GError **error)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  size_t i;

  (void) name;
  if (!g_file_get_contents (value, &text, NULL, error))
    {
      g_prefix_error (error, "--format-file: ");
      return FALSE;
    }
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i]; i++)
    {
      char *line = g_strstrip (lines[i]);
      size_t n = strlen (line);

      if (n == 0 || line[0] == '#')
        continue;
      if (n >= 2 && line[0] == '"' && line[n - 1] == '"')
        {
          line[n - 1] = '\0';
          line++;
        }
      ((LnOptions *) data)->nginx = FALSE;
      return set_string (data, G_STRUCT_OFFSET (LnOptions, format), line);
    }
  g_set_error (error, LN_ERROR, LN_ERROR_USAGE, _("%s: no log format in the file"), value);
  return FALSE;
}

static gboolean
on_apache_config (const char *name, const char *value, gpointer data, GError **error)
{
  (void) name;
  (void) error;
  return set_string (data, G_STRUCT_OFFSET (LnOptions, apache_config), value);
}

static gboolean
on_log_name (const char *name, const char *value, gpointer data, GError **error)
{
  (void) name;
  (void) error;
  return set_string (data, G_STRUCT_OFFSET (LnOptions, log_name), value);
}

/* Finds 'LogFormat "..." NAME' in an Apache configuration file.  The
 * quoted string keeps its \" escapes: logformat_compile undoes them. */
static gboolean
read_apache_config (LnOptions *o, GError **error)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  size_t i;

  if (!g_file_get_contents (o->apache_config, &text, NULL, error))
    {
      g_prefix_error (error, "--apache-config: ");
      return FALSE;
    }
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i]; i++)
    {
      const char *p = lines[i];
      const char *q;
      g_autofree char *fmt = NULL;

      while (g_ascii_isspace (*p))
        p++;
      if (g_ascii_strncasecmp (p, "LogFormat", 9) != 0 || !g_ascii_isspace (p[9]))
        continue;
      p += 9;
      while (g_ascii_isspace (*p))
        p++;
      if (*p != '"')
        continue;
      for (q = p + 1; *q && *q != '"'; q++)
        if (*q == '\\' && q[1])
          q++;
      if (*q != '"')
        continue;
      fmt = g_strndup (p + 1, (gsize) (q - p - 1));
      q++;
      while (g_ascii_isspace (*q))
        q++;
      {
        g_autofree char *nick = g_strstrip (g_strdup (q));

        if (strcmp (nick, o->log_name) == 0)
          {
            g_free (o->format);
            o->format = g_steal_pointer (&fmt);
            o->nginx = FALSE;
            return TRUE;
          }
      }
    }
  g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
               _("%s: no LogFormat named '%s'"), o->apache_config, o->log_name);
  return FALSE;
}

static gboolean
on_stats_file (const char *name, const char *value, gpointer data, GError **error)
{
  (void) name;
  (void) error;
  return set_string (data, G_STRUCT_OFFSET (LnOptions, stats_file), value);
}

static gboolean
on_run_as (const char *name, const char *value, gpointer data, GError **error)
{
  (void) name;
  (void) error;
  return set_string (data, G_STRUCT_OFFSET (LnOptions, run_as), value);
}

static gboolean
on_output (const char *name, const char *value, gpointer data, GError **error)
{
  LnOptions *o = data;

  (void) name;
  (void) error;
  g_free (o->output);
  o->output = g_strdup (value);
  return TRUE;
}

typedef enum { MODE_RUN, MODE_MERGE, MODE_AUDIT } Mode;

static LnOptions *parse (int argc, char **argv, Mode mode, GError **error);

LnOptions *
cli_parse (int argc, char **argv, GError **error)
{
  return parse (argc, argv, MODE_RUN, error);
}

LnOptions *
cli_parse_merge (int argc, char **argv, GError **error)
{
  return parse (argc, argv, MODE_MERGE, error);
}

LnOptions *
cli_parse_audit (int argc, char **argv, GError **error)
{
  return parse (argc, argv, MODE_AUDIT, error);
}

static LnOptions *
parse (int argc, char **argv, Mode mode, GError **error)
{
  gboolean merge = mode == MODE_MERGE;
  g_autoptr (LnOptions) o = g_new0 (LnOptions, 1);
  g_autoptr (GOptionContext) ctx = NULL;
  GOptionGroup *group;
  char **files = NULL;
  /* automatic, so the NONE entries can point into this run's options */
  GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_CALLBACK, (void *) on_format,
      N_("Input log format: auto (default), common, combined, vhost_common, "
         "vhost_combined, or an Apache LogFormat string"), N_("FORMAT") },
    { "nginx-format", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_nginx_format,
      N_("Input log format as an nginx log_format body"), N_("FORMAT") },
    { "format-file", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_format_file,
      N_("Read the LogFormat string from FILE"), N_("FILE") },
    { "apache-config", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_apache_config,
      N_("Take the format from the LogFormat line named by --log-name in FILE"),
      N_("FILE") },
    { "log-name", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_log_name,
      N_("Nickname of the LogFormat to use with --apache-config (e.g. combined)"),
      N_("NAME") },
    { "ip", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_ip,
      N_("Client address handling: truncate (default), drop, hmac, hmac-ipv6, "
         "truncate+hmac or country"), N_("MODE") },
    { "ipv4-prefix", '4', 0, G_OPTION_ARG_CALLBACK, (void *) on_ipv4_prefix,
      N_("Keep the first N bits of IPv4 addresses (0-32, default 24)"), "N" },
    { "ipv6-prefix", '6', 0, G_OPTION_ARG_CALLBACK, (void *) on_ipv6_prefix,
      N_("Keep the first N bits of IPv6 addresses (0-128, default 48)"), "N" },
    { "user-agent", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_user_agent,
      N_("User agent: drop (default, written as \"-\"), keep, or family "
         "(e.g. Firefox/128, Googlebot)"), N_("POLICY") },
    { "remote-user", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_remote_user,
      /* xgettext:no-c-format */
      N_("Remote user (%u): dash (default), keep, or hmac (a keyed token)"),
      N_("POLICY") },
    { "referer", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_referer,
      N_("Referer: origin (default, scheme and host only), keep, strip-query or drop"),
      N_("POLICY") },
    { "query", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_query,
      N_("Query strings of requested URLs: keep (default) or strip"), N_("POLICY") },
    { "query-allow", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_query_allow,
      N_("Keep the values of these query parameters only; the others become "
         "REDACTED"), N_("NAME,…") },
    { "query-deny", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_query_deny,
      N_("Replace the values of these query parameters by REDACTED"), N_("NAME,…") },
    { "keep-header", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_keep_header,
      N_("Keep these header, cookie and nginx $http_ fields (dropped by default)"),
      N_("NAME,…") },
    { "server-address", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_server_address,
      /* xgettext:no-c-format */
      N_("Server address (%A, $server_addr): keep (default) or client (treated "
         "like a client address)"), N_("POLICY") },
    { "ident", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_ident,
      /* xgettext:no-c-format */
      N_("Identd field (%l): dash (default) or keep"), N_("POLICY") },
    { "malformed", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_malformed,
      N_("Lines that do not parse: drop (default), redact or fail"), N_("POLICY") },
    { "residual", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_residual,
      N_("Addresses found outside the client field: mask (default), "
         "malformed, or off"), N_("POLICY") },
    { "key-file", 'k', 0, G_OPTION_ARG_CALLBACK, (void *) on_key_file,
      N_("Key for the hmac modes (default: $LOGNYM_KEY_FILE)"), N_("FILE") },
    { "key-dir", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_key_dir,
      N_("Directory of per-period keys, created and erased as needed"), N_("DIR") },
    { "rotate", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_rotate,
      N_("Key period with --key-dir: daily (default), weekly or monthly"), N_("PERIOD") },
    { "retain", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_retain,
      N_("With --key-dir: erase keys older than N periods (default 7)"), "N" },
    { "derive", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_derive,
      N_("Derive per-period keys from the --key-file master key: daily, weekly "
         "or monthly"), N_("PERIOD") },
    { "expired-key", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_expired_key,
      N_("Records whose period key was erased: error (default) or truncate"),
      N_("POLICY") },
    { "allow-core-dumps", 0, 0, G_OPTION_ARG_NONE, &o->allow_core_dumps,
      N_("Let the process dump core (off by default: a core holds raw lines)"), NULL },
    { "output-format", 'O', 0, G_OPTION_ARG_CALLBACK, (void *) on_output_format,
      N_("Output: log (default, the input format), csv, jsonl, common, combined, "
         "vhost_common, vhost_combined or a LogFormat string"), N_("FORMAT") },
    { "fields", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_fields,
      N_("Columns of csv and jsonl output, separated by commas (see lognym(1))"),
      N_("LIST") },
    { "geo-db", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_geo_db,
      N_("Look client countries up in a MaxMind-format database"), N_("FILE") },
    { "geo-path", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_geo_path,
      N_("Where the country code is in the database's records, e.g. "
         "country/iso_code"), N_("PATH") },
    { "strict", 0, 0, G_OPTION_ARG_NONE, &o->strict,
      N_("Stop at the first geo database lookup error"), NULL },
    { "aggregate", 'a', 0, G_OPTION_ARG_CALLBACK, (void *) on_aggregate,
      N_("Write counts per KEYS instead of records, e.g. day,country "
         "(see lognym(1))"), N_("KEYS") },
    { "path-depth", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_path_depth,
      N_("Aggregate paths by their first N segments (0: whole path, the default)"), "N" },
    { "min-visitors", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_min_visitors,
      N_("Fold aggregate rows of fewer than K visitors into (other) "
         "(default 5; 1 turns it off)"), "K" },
    { "min-requests", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_min_requests,
      N_("Fold aggregate rows of fewer than K requests into (other) (default 1)"), "K" },
    { "partial", 0, 0, G_OPTION_ARG_NONE, &o->agg.partial,
      N_("Write unsuppressed, mergeable aggregates for lognym merge"), NULL },
    { "tz", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_tz,
      N_("Time zone of aggregate time buckets: UTC (default), +01:00 or a name "
         "such as Europe/Berlin"), N_("ZONE") },
    { "flush-every", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_flush_every,
      N_("Write aggregate rows as their PERIOD closes: minute, hour, day, week, "
         "month or bucket (the --aggregate time key)"), N_("PERIOD") },
    { "sketch-key-file", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_sketch_key_file,
      N_("Key for visitor sketches that must merge (default: derived from "
         "--key-file)"), N_("FILE") },
    { "output", 'o', 0, G_OPTION_ARG_CALLBACK, (void *) on_output,
      N_("Append the output to FILE instead of standard output"), N_("FILE") },
    { "mode", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_mode,
      N_("Create new -o files with exactly this octal MODE (default: 0640 less "
         "the umask)"), N_("MODE") },
    { "in-place", 'i', 0, G_OPTION_ARG_NONE, &o->in_place,
      N_("Rewrite each FILE atomically; gzip files stay gzip"), NULL },
    { "shred-original", 0, 0, G_OPTION_ARG_NONE, &o->shred_original,
      N_("With --in-place: then overwrite the replaced original with zeros "
         "(best effort)"), NULL },
    { "follow", 0, 0, G_OPTION_ARG_NONE, &o->follow,
      N_("Read the FIFO named as FILE again whenever its writer closes it"), NULL },
    { "drain-timeout", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_drain_timeout,
      N_("After SIGTERM, read a pipe on standard input until its writers close "
         "it, for at most this long (default 10; 0: stop at once)"), N_("SECONDS") },
    { "jobs", 'j', 0, G_OPTION_ARG_CALLBACK, (void *) on_jobs,
      N_("Process the input in N threads, written in input order (0: one per "
         "CPU; default 1)"), "N" },
    { "run-as", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_run_as,
      N_("After opening the output, key and database, become USER (and GROUP)"),
      N_("USER[:GROUP]") },
    { "stats", 0, 0, G_OPTION_ARG_NONE, &o->stats,
      N_("Print a summary on standard error at the end"), NULL },
    { "progress", 0, 0, G_OPTION_ARG_NONE, &o->progress,
      N_("Show a progress line on standard error even when it is not a terminal"),
      NULL },
    { "no-progress", 0, 0, G_OPTION_ARG_NONE, &o->no_progress,
      N_("Never show the progress line (shown on a terminal for files by default)"),
      NULL },
    { "stats-file", 0, 0, G_OPTION_ARG_CALLBACK, (void *) on_stats_file,
      N_("Write the summary as JSON to FILE at the end (for monitoring)"), N_("FILE") },
    { "show", 0, 0, G_OPTION_ARG_NONE, &o->show,
      N_("lognym audit: print the addresses found (they are personal data)"), NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose,
      N_("Report every malformed line, not only the first 10"), NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &o->version,
      N_("Print version information and exit"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, N_("[FILE…]") },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };
  o->format = g_strdup ("auto");
  o->anon.ip_mode = LN_IP_TRUNCATE;
  o->anon.v4_bits = 24;
  o->anon.v6_bits = 48;
  o->anon.residual = LN_RESIDUAL_MASK;
  o->malformed = LN_MALFORMED_DROP;
  o->retain = G_MAXUINT;    /* "not given"; defaulted below */
  o->create_mode = -1;
  o->rotate = LN_PERIOD_NONE;
  o->derive = LN_PERIOD_NONE;
  o->output_format = g_strdup ("log");
  o->merge = merge;
  o->audit = mode == MODE_AUDIT;
  o->jobs = 1;
  o->drain_timeout = 10;
  o->agg.min_visitors = 5;
  o->agg.min_requests = 1;

  if (mode != MODE_RUN)
    g_set_prgname (merge ? "lognym merge" : "lognym audit");
  ctx = g_option_context_new (merge ? _("- combine partial aggregates (lognym merge)")
                              : mode == MODE_AUDIT
                              ? _("- report lines that still hold raw addresses (lognym audit)")
                              : _("- make web server access logs safe to keep"));
  group = g_option_group_new ("lognym", "", "", o, NULL);
  g_option_group_add_entries (group, entries);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  g_option_context_set_main_group (ctx, group);
  g_option_context_set_summary (ctx,
    _("Reads Apache or nginx access logs (plain or gzip) and writes them with\n"
      "client addresses truncated or pseudonymised, user agents and user names\n"
      "removed, and any address left in other fields masked.  Without FILE, or\n"
      "with -, reads standard input.\n"
      "\n"
      "  lognym keygen [FILE]  write a new random key for the hmac modes\n"
      "  lognym merge [FILE…]  combine --partial aggregates\n"
      "  lognym audit [FILE…]  report lines that still hold raw addresses"));
  g_option_context_set_description (ctx,
    _("Exit status: 0 success, 1 usage error, 2 input/output or setup error,\n"
      "3 malformed input with --malformed=fail.\n"
      "\n"
      "Examples:\n"
      "  zcat access.log.1.gz | lognym > access.log.1.anon\n"
      "  lognym --ipv4-prefix 16 --ipv6-prefix 32 -o safe.log access.log\n"
      "\n"
      "See lognym(1) for what is kept and what is removed."));

  if (!g_option_context_parse (ctx, &argc, &argv, error))
    {
      g_strfreev (files);
      return NULL;
    }
  if (files == NULL)
    {
      files = g_new0 (char *, 2);
      files[0] = g_strdup ("-");
    }
  o->files = files;
  if (o->jobs == 0)
    o->jobs = MIN ((unsigned) g_get_num_processors (), LN_JOBS_MAX);
  if ((o->in_place || o->follow) && !o->version)
    {
      size_t n = g_strv_length (files), k;

      for (k = 0; k < n; k++)
        if (strcmp (files[k], "-") == 0)
          {
            g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                         o->in_place ? _("--in-place needs file names, not standard input")
                                     : _("--follow needs the name of a FIFO"));
            return NULL;
          }
      if (o->follow)
        {
          struct stat st;

          if (n != 1 || stat (files[0], &st) != 0 || !S_ISFIFO (st.st_mode))
            {
              g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                           _("--follow takes exactly one FIFO (a regular file would "
                             "be read again and again)"));
              return NULL;
            }
        }
    }
  {
    gboolean retain_given = o->retain != G_MAXUINT;

    if (!retain_given)
      o->retain = 7;
    if (!o->version && !check_key_options (o, o->rotate != LN_PERIOD_NONE, retain_given, error))
      return NULL;
  }
  if (!o->version && !check_query_options (o, error))
    return NULL;
  if (!o->version && (o->apache_config || o->log_name))
    {
      if (o->apache_config == NULL || o->log_name == NULL)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("--apache-config and --log-name go together"));
          return NULL;
        }
      if (!read_apache_config (o, error))
        return NULL;
    }
  if (!o->version)
    {
      /* compile once here so a bad format is a usage error before any I/O */
      LnParser probe;

      if (!(o->nginx ? parser_init_nginx (&probe, o->format, error)
                     : parser_init (&probe, o->format, error)))
        return NULL;
      parser_clear (&probe);
    }
  return g_steal_pointer (&o);
}

void
cli_options_free (LnOptions *options)
{
  if (options == NULL)
    return;
  g_free (options->format);
  g_free (options->output);
  g_free (options->key_file);
  g_free (options->key_dir);
  g_free (options->output_format);
  g_free (options->fields);
  g_free (options->geo_db);
  g_free (options->geo_path);
  g_free (options->aggregate);
  g_free (options->tz);
  g_free (options->apache_config);
  g_free (options->log_name);
  g_free (options->run_as);
  g_free (options->stats_file);
  g_free (options->sketch_key_file);
  g_strfreev (options->query_allow);
  g_strfreev (options->query_deny);
  g_strfreev (options->keep_headers);
  g_strfreev (options->files);
  g_free (options);
}

void
cli_print_version (void)
{
  printf ("lognym %s\n", PACKAGE_VERSION);
  printf (_("Copyright (C) 2026 the lognym authors.\n"
            "License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.\n"
            "This is free software: you are free to change and redistribute it.\n"
            "There is NO WARRANTY, to the extent permitted by law.\n"));
}
