#!/bin/bash
# tests/e2e/fastlane.sh - the fused line path changes nothing but speed.
#
# lognym takes plain lines of the CLF family through one fused pass
# (src/fastlane.c); LOGNYM_NO_FASTLANE=1 turns that off, and every line
# goes the general way.  For every case both runs must give the same:
#   - standard output;
#   - standard error: malformed-line reports (file, line number, reason,
#     column), error messages and the --stats line;
#   - the --stats-file JSON less its "seconds";
#   - the exit status.
#
# Inputs: every log of tests/data/in and in-geo concatenated (mixed formats,
# many malformed lines, residual addresses), a 50000-line log from
# tests/bench/genlog, and a CRLF copy of both.  Modes: the defaults,
# prefixes, --user-agent=keep --referer=keep, --referer=drop, --residual=off
# and =malformed, --malformed=redact and =fail, --verbose, -f common and -f
# combined, --jobs 2, the pseudonym modes (also with keys derived per day,
# on a log whose lines go back and forth between two days), --geo-db (the
# lookups count in --stats; a broken database's errors too; --strict is left
# to the general path), and CSV and JSON Lines output (the fused path fills
# the record for the column writer), with the default columns, --fields
# lists, other formats, --jobs 2 and the pseudonym modes.

. "$(dirname "$0")/lib.sh"

R=$WORK/run
mkdir -p "$R" || exit 99
KEY=$WORK/fixed.key
cp "$DATA/keys/fixed.key" "$KEY" && chmod 600 "$KEY" || exit 99

GENLOG=${GENLOG:-$(find_built tests/bench/genlog || true)}
ALL=$WORK/all.log
cat "$DATA"/in/*.log "$DATA"/in-geo/*.log >"$ALL" || exit 99
INPUTS="$ALL"
if [ -n "$GENLOG" ] && [ -x "$GENLOG" ]; then
  "$GENLOG" -n 50000 >"$WORK/gen.log" || exit 99
  INPUTS="$INPUTS $WORK/gen.log"
else
  echo "# tests/bench/genlog not built: tests/data only"
fi
# two days in turn, two lines each, the same addresses on both: in the
# pseudonym modes, a cache slot located a line ahead (anon_look_ahead) with
# the day before's key would give the other day's pseudonym
awk 'BEGIN { for (i = 0; i < 400; i++) {
         d = int (i / 2) % 2
         printf "192.0.2.%d - - [%s/Nov/2026:%s +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"\n",
                i % 7, d ? "25" : "26", d ? "23:59:59" : "00:00:00" } }' >"$WORK/days.log" || exit 99
INPUTS="$INPUTS $WORK/days.log"
for f in $INPUTS; do
  sed 's/$/\r/' "$f" >"${f%.log}-crlf.log" || exit 99
  INPUTS="$INPUTS ${f%.log}-crlf.log"
done

# run TAG ENV... -- ARGS...: output, errors, stats file and status of one
# run in $R/TAG.*
run () {
  local tag=$1 st
  shift
  local envs=()
  while [ "$1" != "--" ]; do
    envs+=("$1")
    shift
  done
  shift
  # RUN_STDIN: a file to read on standard input
  env "${envs[@]}" "$LOGNYM" --no-progress --stats --stats-file="$R/$tag.json" "$@" \
    <"${RUN_STDIN:-/dev/null}" >"$R/$tag.out" 2>"$R/$tag.err"
  st=$?
  echo "$st" >"$R/$tag.status"
  # the one field that differs from run to run
  if [ -f "$R/$tag.json" ]; then
    sed 's/"seconds":[0-9.]*//' "$R/$tag.json" >"$R/$tag.stats"
  else
    : >"$R/$tag.stats"
  fi
  rm -f "$R/$tag.json"
}

# same NAME ARGS...: with and without the fused path.
same () {
  local name=$1
  shift
  run fused X_UNUSED=1 -- "$@"
  run general LOGNYM_NO_FASTLANE=1 -- "$@"
  check_files "$name: output" "$R/general.out" "$R/fused.out"
  check_files "$name: errors and --stats" "$R/general.err" "$R/fused.err"
  check_files "$name: --stats-file" "$R/general.stats" "$R/fused.stats"
  check_files "$name: exit status" "$R/general.status" "$R/fused.status"
}

for in in $INPUTS; do
  base=$(basename "$in")
  same "$base default" "$in"
  same "$base prefixes" -4 16 -6 32 "$in"
  same "$base keep" --user-agent=keep --referer=keep "$in"
  same "$base referer drop" --referer=drop "$in"
  same "$base residual off" --residual=off "$in"
  same "$base residual malformed" --residual=malformed "$in"
  same "$base redact" --malformed=redact "$in"
  same "$base fail" --malformed=fail "$in"
  same "$base verbose" --verbose "$in"
  same "$base common" -f common "$in"
  same "$base combined" -f combined "$in"
  same "$base jobs" --jobs 2 "$in"
  RUN_STDIN=$in same "$base stdin" -
  same "$base hmac" --ip=hmac -k "$KEY" "$in"
  same "$base hmac-ipv6" --ip=hmac-ipv6 -k "$KEY" "$in"
  same "$base truncate+hmac" --ip=truncate+hmac -k "$KEY" "$in"
  same "$base derived keys" --ip=hmac -k "$KEY" --derive daily "$in"
  RUN_STDIN=$in same "$base hmac stdin" --ip=hmac -k "$KEY" -
  same "$base geo" --geo-db "$DATA/geo/GeoIP2-Country-Test.mmdb" "$in"
  same "$base geo errors" --geo-db "$DATA/geo/MaxMind-DB-test-broken-pointers-24.mmdb" \
    --geo-path country/iso_code "$in"
  same "$base geo hmac" --geo-db "$DATA/geo/tiny-country.mmdb" --ip=hmac -k "$KEY" "$in"
  same "$base geo strict" --geo-db "$DATA/geo/MaxMind-DB-test-broken-pointers-24.mmdb" \
    --geo-path country/iso_code --strict "$in"
  same "$base csv" -O csv "$in"
  same "$base jsonl" -O jsonl "$in"
  same "$base csv fields" -O csv --fields time,client,request,status,bytes,referer,user_agent \
    --user-agent=keep "$in"
  same "$base jsonl fields" -O jsonl \
    --fields user,method,path,query,protocol,client,vhost,port,duration_us,time "$in"
  same "$base csv residual malformed" -O csv --residual=malformed "$in"
  same "$base jsonl keep" -O jsonl --user-agent=keep --referer=keep "$in"
  same "$base csv common" -O csv -f common "$in"
  same "$base csv jobs" -O csv --jobs 2 "$in"
  same "$base csv hmac" -O csv --ip=hmac -k "$KEY" "$in"
  same "$base jsonl derived keys" -O jsonl --ip=hmac -k "$KEY" --derive daily "$in"
done

finish
