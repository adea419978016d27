#!/bin/bash
# tests/e2e/convert.sh - -O with a preset or a LogFormat string: the log
# written in another format reads back, with that format, as the same
# records.
#
# 1. Round trips: for each input and target, the records of
#      lognym -f IN -O jsonl --fields F          (the anonymised input)
#    equal those of
#      lognym -f IN -O TARGET | lognym -f TARGET -O jsonl --fields F
#    where F are the columns both formats have.  Anonymising twice changes
#    nothing (a truncated address truncates to itself), so any difference
#    is a field lost, moved or mangled by the conversion, or a converted
#    line lognym cannot read back.
# 2. Quoting: an unquoted field written between quotes gets Apache's
#    escapes (\" \\ \xhh); a quoted one keeps its escapes either way.
# 3. Durations and byte counts follow Apache's conventions.

. "$(dirname "$0")/lib.sh"

SAMPLE=$TESTS_SRCDIR/../data/sample-access.log

# roundtrip NAME IN_FORMAT TARGET FIELDS INPUT...; the options in the
# array OPTS go to all three runs.
OPTS=()
roundtrip () {
  local name=$1 from=$2 to=$3 fields=$4
  shift 4
  "$LOGNYM" "${OPTS[@]}" -f "$from" -O jsonl --fields "$fields" "$@" >"$WORK/a.jsonl" 2>"$WORK/a.err"
  "$LOGNYM" "${OPTS[@]}" -f "$from" -O "$to" "$@" >"$WORK/conv.log" 2>"$WORK/conv.err"
  "$LOGNYM" "${OPTS[@]}" -f "$to" -O jsonl --fields "$fields" --stats "$WORK/conv.log" \
    >"$WORK/b.jsonl" 2>"$WORK/b.err"
  if [ ! -s "$WORK/a.jsonl" ]; then
    fail "round trip $name" "no records from the input"
  elif ! grep -q 'malformed=0 ' "$WORK/b.err"; then
    fail "round trip $name" "the converted log does not read back:" "$(head -n 5 "$WORK/b.err")"
  else
    check_files "round trip $name" "$WORK/a.jsonl" "$WORK/b.jsonl"
  fi
}

REQ=time,client,method,path,query,protocol,request,status,bytes
ALL=$REQ,user,referer,user_agent
roundtrip "combined -> common" combined common "$REQ" \
  "$DATA/in/combined.log" "$DATA/thirdparty/netdata-big_combined.log" "$SAMPLE"
OPTS=(--user-agent=keep --remote-user=keep)
roundtrip "combined -> LogFormat (agent and user kept)" combined \
  '%v %h %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"' "$ALL" \
  "$DATA/in/combined.log" "$DATA/in/quotes.log"
OPTS=()
roundtrip "common -> combined" common combined "$REQ,user" \
  "$DATA/in/common.log" "$DATA/thirdparty/netdata-common-synthetic.log"
roundtrip "vhost_combined -> combined" vhost_combined combined "$ALL" \
  "$DATA/in/vhost_combined.log" "$DATA/thirdparty/netdata-vhost_combined.log"
roundtrip "combined -> vhost_common" combined vhost_common "$REQ,vhost" \
  "$DATA/in/combined.log"
roundtrip "vhost_common -> common" vhost_common common "$REQ" \
  "$DATA/thirdparty/netdata-vhost_common.log"
roundtrip "combined -> LogFormat with %D and a header" combined \
  '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D "%{X-Forwarded-For}i"' \
  "$ALL,duration_us" "$DATA/in/combined.log"
roundtrip "custom LogFormat -> %T in ms" \
  '%h %l %u %t "%r" %>s %b %D "%{X-Forwarded-For}i" %{Host}i' \
  '%h %l %u %t "%r" %>s %b %{ms}T "%{X-Forwarded-For}i" "%{Host}i"' \
  "$REQ" "$DATA/in/custom.log"

# nginx in, LogFormat out, header by name: the X-Forwarded-For list and
# the request time come back
NGINX='$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for" $request_time'
TARGET='%h %l %u %t "%r" %>s %B "%{Referer}i" "%{User-Agent}i" "%{X-Forwarded-For}i" %D'
"$LOGNYM" --nginx-format "$NGINX" -O jsonl --fields "$REQ,referer,duration_us" \
  "$DATA/in/nginx-xff.log" >"$WORK/a.jsonl" 2>"$WORK/a.err"
"$LOGNYM" --nginx-format "$NGINX" -O "$TARGET" "$DATA/in/nginx-xff.log" >"$WORK/conv.log"
"$LOGNYM" -f "$TARGET" -O jsonl --fields "$REQ,referer,duration_us" "$WORK/conv.log" \
  >"$WORK/b.jsonl" 2>"$WORK/b.err"
check_files "round trip nginx -> LogFormat" "$WORK/a.jsonl" "$WORK/b.jsonl"
check_contains "nginx \$http_x_forwarded_for -> %{X-Forwarded-For}i" \
  '"203.0.113.0, 10.0.0.0" 123000' "$WORK/conv.log"

# --- quoting ---------------------------------------------------------------
printf '192.0.2.1 - - %s "GET / HTTP/1.1" 200 1 a"b\\c\001d\te\n' "$CLF_TIME" >"$WORK/bare.log"
run_lognym "$WORK/q" --keep-header X-Test -f '%h %l %u %t "%r" %>s %b %{X-Test}i' \
  -O '%h "%{X-Test}i" %{X-Test}i' "$WORK/bare.log"
check_status "quoting: exit status" 0 "$RC"
check_text "quoting: unquoted field into quotes is escaped, bare stays bare" \
  "$(printf '192.0.2.0 "a\\"b\\\\c\\x01d\\te" a"b\\c\001d\te')" "$WORK/q.out"
run_lognym "$WORK/q2" -f combined --user-agent=keep -O '%h "%{User-Agent}i" %{User-Agent}i' \
  "$DATA/in/quotes.log"
check_contains "quoting: quoted field keeps its escapes in quotes" \
  '"Mozilla/5.0 \"evil\" (X11)"' "$WORK/q2.out"
check_contains "quoting: quoted field keeps its escapes bare" \
  ' ends with a backslash\\' "$WORK/q2.out"

# --- numbers ---------------------------------------------------------------
{
  printf '192.0.2.1 - - %s "GET / HTTP/1.1" 200 0 1999999\n' "$CLF_TIME"
  printf '192.0.2.2 - - %s "GET / HTTP/1.1" 200 - -\n' "$CLF_TIME"
} >"$WORK/num.log"
run_lognym "$WORK/n" -f '%h %l %u %t "%r" %>s %B %D' -O '%b %B %O %I %T %{ms}T %D' "$WORK/num.log"
check_text "bytes and durations: Apache's conventions" \
  "$(printf -- '- 0 0 - 1 1999 1999999\n- 0 0 - - - -')" "$WORK/n.out"

# --- time --------------------------------------------------------------------
run_lognym "$WORK/t" -f combined -O '%t %h' "$DATA/in/combined.log"
check_contains "time: the input's %t text" "[10/Oct/2000:13:55:36 -0700] 192.0.2.0" "$WORK/t.out"

finish
