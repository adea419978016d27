/* parse.h - runs a compiled log format over one line.
 *
 * No allocation and no writes to the line: the record receives spans.  A
 * line that does not fit is reported with an LnParseStatus and the 1-based
 * column where it stopped fitting; the messages come from a static table so
 * the per-line path never builds a GError.
 */
#ifndef LN_PARSE_H
#define LN_PARSE_H

#include <glib.h>
#include "logformat.h"
#include "record.h"

typedef enum {
  LN_PARSE_OK,
  LN_PARSE_EMPTY,
  LN_PARSE_EXPECTED_TEXT,
  LN_PARSE_EMPTY_FIELD,
  LN_PARSE_UNTERMINATED_QUOTE,
  LN_PARSE_BAD_TIME,
  LN_PARSE_BAD_STATUS,
  LN_PARSE_BAD_BYTES,
  LN_PARSE_BAD_NUMBER,
  LN_PARSE_TRAILING_TEXT,
  LN_PARSE_TOO_MANY_FIELDS,
  LN_PARSE_RESIDUAL,      /* set by the anonymiser under --residual=malformed */
  LN_PARSE_KEY_ERASED,    /* set by the anonymiser: no key for the period */
  LN_PARSE__COUNT
} LnParseStatus;

/* The bits of LnParser.fast: which one-pass CLF shortcut a format has
 * (parse.c, fast_kind).  Public for fastlane.c, which takes the same
 * lines in the same way. */
enum {
  LN_CLF_ON = 1,
  LN_CLF_COMBINED = 2,    /* "%{Referer}i" "%{User-Agent}i" after %b */
  LN_CLF_VHOST = 4,       /* "%v " first */
  LN_CLF_VHOST_PORT = 8,  /* "%v:%p " first */
  LN_CLF_NO_IDENT = 16,   /* nginx: "$remote_addr - $remote_user [" */
};

typedef struct {
  LnLogFormat *formats[8];  /* candidates; auto mode has several */
  size_t nformats;
  size_t last_match;        /* auto mode tries the last winner first */
  LnTimeCache time_cache;   /* %t */
  LnTimeFmtCache timefmt_cache;  /* the other time forms */
  uint8_t fast[8];          /* per format: which CLF shortcut applies, or 0 */
  /* the general path's time parts of the current line: a date, a time of
   * day, a zone in fields of their own (parse.c, combine_time_parts) */
  struct {
    unsigned seen;          /* 1u << LnTimePart */
    bool instant_zoned;     /* rec->time's own format had a zone */
    bool parts_zoned;       /* the date's or the clock's format had one */
    int64_t date, clock;
    int32_t zone, parts_offset;
  } parts;
  bool generic_only;        /* tests: never take a shortcut */
} LnParser;

/* Sets up @parser for @format: "auto", a preset name or a LogFormat string.
 * Returns FALSE and sets @error (LN_ERROR_USAGE) for a bad format. */
gboolean parser_init (LnParser *parser, const char *format, GError **error);

/* The same for an nginx log_format body. */
gboolean parser_init_nginx (LnParser *parser, const char *format, GError **error);

void parser_clear (LnParser *parser);

/* Makes @parser run every line through the generic op interpreter, never
 * the shortcut for the Apache CLF family.  Both must give the same record
 * for every line: the unit tests compare them. */
void parser_set_generic_only (LnParser *parser);

/* Tests: whether the shortcut of candidate @index (0 unless "auto") takes
 * @line; if it does, @rec holds the record parser_parse() gives. */
gboolean parser_parse_shortcut (LnParser *parser, size_t index, LnSpan line,
                                LnRecord *rec);

/* Header, cookie and nginx $http_/$cookie_ fields named in @names (ASCII
 * case-insensitive, "-" and "_" alike; nginx's "http_", "sent_http_" and
 * "upstream_http_" prefixes ignored) are kept as free text instead of
 * dropped.  Done once, on the compiled formats. */
void parser_keep_headers (LnParser *parser, const char *const *names);

/* Parses @line (without its terminator) into @rec.  Returns LN_PARSE_OK or
 * the reason the line does not fit, with the 1-based byte @column where it
 * stopped fitting. */
LnParseStatus parser_parse (LnParser *parser, LnSpan line, LnRecord *rec,
                            size_t *column);

/* An untranslated, static description of @status (mark: N_()). */
const char *parse_status_message (LnParseStatus status);

/* A short, untranslated, stable key for @status, used in --stats. */
const char *parse_status_key (LnParseStatus status);

#endif /* LN_PARSE_H */
