/* logformat.h - Apache LogFormat strings compiled into an operation table.
 *
 * A format is compiled once at start-up into a flat array of "field, then
 * the literal that must follow it" operations; the per-line parser only
 * walks that array.  The presets (common, combined, vhost_common,
 * vhost_combined) are ordinary LogFormat strings compiled the same way, so
 * a LogFormat string that equals a preset parses exactly as fast.
 */
#ifndef LN_LOGFORMAT_H
#define LN_LOGFORMAT_H

#include <glib.h>
#include "record.h"
#include "timefmt.h"

typedef enum {
  LN_SCAN_BARE,         /* up to the first byte of the next literal; no spaces */
  LN_SCAN_BARE_SPACES,  /* the same, spaces allowed (%t) */
  LN_SCAN_QUOTED,       /* between double quotes, Apache's \" escapes */
  LN_SCAN_LIST,         /* "a, b, c": a forwarded-for list in %h */
  LN_SCAN_TIME,         /* as far as the op's timefmt matches */
} LnScan;

typedef struct {
  LnFieldType type;
  LnScan scan;
  LnSpan literal;       /* what must follow the field; empty at end of line */
  const char *directive;  /* as written: "%>s", "%{Referer}i", "$http_host" */
  const char *name;       /* the {...} argument or nginx variable name, or NULL */
  LnTimeFmt *timefmt;     /* LN_FIELD_TIME: its form (owned), NULL for CLF */
  /* set by the parser from the above (see parse.c) */
  uint8_t check;          /* how the value is validated */
  uint8_t shape;          /* a fixed-width shortcut, or 0 */
  uint8_t find;           /* how its end is found */
  bool may_be_empty;      /* "" is a value ("" quoted, an absent %q) */
  bool literal_found;     /* the scan stops on the literal's first byte */
} LnOp;

typedef struct {
  char *name;           /* preset name, or the format string itself */
  char *text;           /* the LogFormat string (owned; literals point here) */
  LnSpan leading;       /* literal before the first field */
  size_t nops;
  LnOp ops[LN_MAX_FIELDS];
  gboolean trailing_fields;  /* accept extra fields after the last one */
  gboolean vhost_no_port;    /* auto mode: "%v " must not swallow ":port" */
  gboolean time_forms;       /* a time op other than one %t: see parse.c */
  int8_t first[LN_FIELD__COUNT];  /* index of the first op of each type, -1;
                                   * set by the parser (see parse.c) */
  GStringChunk *strings;     /* storage of the ops' directive and name */
} LnLogFormat;

/* The LogFormat string of a preset, or NULL if @name is not a preset. */
const char *logformat_preset (const char *name);

/* Compiles @format (a preset name or a LogFormat string, with httpd.conf
 * escapes \" \\ \t \n understood) into a new LnLogFormat.  On error returns
 * NULL and sets @error (LN_ERROR_USAGE) naming the offending column. */
LnLogFormat *logformat_compile (const char *format, GError **error);

/* Compiles the body of an nginx log_format ("$remote_addr - $remote_user
 * [$time_local] ...").  Known variables get their field type; unknown ones
 * are opaque text, scanned for addresses like every free-text field. */
LnLogFormat *logformat_compile_nginx (const char *format, GError **error);

void logformat_free (LnLogFormat *format);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LnLogFormat, logformat_free)

#endif /* LN_LOGFORMAT_H */
