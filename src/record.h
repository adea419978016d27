/* record.h - one parsed log line.
 *
 * Every field is a span into the reader's line buffer ("raw") plus the text
 * writers must emit instead ("out").  The anonymiser fills "out" before any
 * writer sees the record, so a writer cannot emit a raw client address by
 * mistake: it has nothing but "out" to print.  One LnRecord is reused for the
 * whole run.
 */
#ifndef LN_RECORD_H
#define LN_RECORD_H

#include <stdint.h>
#include <stdbool.h>
#include "span.h"
#include "clftime.h"

#define LN_MAX_FIELDS 64

typedef enum {
  LN_FIELD_CLIENT,      /* %h %a %{c}a: the client address (or a list) */
  LN_FIELD_IDENT,       /* %l */
  LN_FIELD_USER,        /* %u */
  LN_FIELD_TIME,        /* %t (between the brackets), %{...}t, $time_iso8601, $msec */
  LN_FIELD_REQUEST,     /* %r */
  LN_FIELD_STATUS,      /* %s %>s %<s */
  LN_FIELD_BYTES,       /* %b %B %O %I %S */
  LN_FIELD_REFERER,     /* %{Referer}i */
  LN_FIELD_USER_AGENT,  /* %{User-Agent}i */
  LN_FIELD_VHOST,       /* %v %V */
  LN_FIELD_PORT,        /* %p %{...}p */
  LN_FIELD_NUMBER,      /* %P %k %{msec_frac}t ...: numbers, kept */
  LN_FIELD_DURATION_US, /* %D, %{us}T: time to serve, microseconds */
  LN_FIELD_DURATION_MS, /* %{ms}T */
  LN_FIELD_DURATION_S,  /* %T, %{s}T */
  LN_FIELD_OTHER,       /* anything else: kept, scanned for addresses */
  LN_FIELD_TRAILING,    /* extra fields after a combined line (nginx XFF) */
  LN_FIELD_FORWARDED,   /* %{X-Forwarded-For}i: a list of client addresses */
  LN_FIELD_SERVER_ADDR, /* %A, $server_addr: the server's own address */
  LN_FIELD_HEADER,      /* other %{...}i %{...}o %{...}C, $http_..., $cookie_... */
  LN_FIELD_URL_PATH,    /* %U, $uri: the path without the query string */
  LN_FIELD_QUERY,       /* %q, $args: the query string */
  LN_FIELD_URI,         /* $request_uri: path and query string */
  LN_FIELD__COUNT
} LnFieldType;

typedef struct {
  LnFieldType type;
  LnSpan raw;           /* the field as written in the line */
  LnSpan out;           /* what writers emit: raw, a constant or arena text */
  uint32_t arena_off;   /* while anonymising: offset of "out" in the arena */
  bool in_arena;
} LnField;

typedef struct {
  LnSpan line;          /* without the line terminator */
  LnSpan eol;           /* "\n", "\r\n" or "" for an unterminated last line */
  int format_index;     /* which candidate format matched (auto mode) */
  size_t nfields;
  LnField fields[LN_MAX_FIELDS];
  int8_t first[LN_FIELD__COUNT];  /* index of the first field of a type, -1 */
  bool has_time;
  LnTime time;
  int status;           /* -1 when "-" or absent */
  char country[3];      /* set by the anonymiser with --geo-db, else "" */
  bool has_visitor;     /* set by the anonymiser for --aggregate: */
  uint64_t visitor;     /* keyed digest of the raw client address */
} LnRecord;

#endif /* LN_RECORD_H */
