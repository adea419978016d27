#!/bin/bash
# tests/e2e/jobs.sh - --jobs N gives what --jobs 1 gives, byte for byte.
#
# For every case, lognym runs with --jobs 1 and with --jobs 2, 3 and 8, and
# these must be identical:
#   - standard output;
#   - standard error: the malformed-line reports (file, line number,
#     reason, column, in input order, the first 10 or all with --verbose),
#     error messages and the --stats line;
#   - the --stats-file JSON less its "seconds";
#   - the exit status.
# One exception, documented in lognym(1): each worker has its own pseudonym
# cache, so pseudonyms_computed and pseudonyms_cached split differently;
# they are compared as their sum.
#
# Inputs: every log of tests/data (in, in-geo, keys) concatenated (mixed
# formats, so many malformed lines), a 200000-line log from
# tests/bench/genlog (about 47 MB: many 256 KiB chunks), the same gzip'ed and
# on a pipe, and tiny ones: empty, one line, no final newline, a final "\r"
# without "\n", CRLF, a 1 MiB line.  LOGNYM_CHUNK_BYTES (the chunk size,
# for tests) cuts the small inputs into many chunks, also in the middle of
# the long line.
#
# Modes: truncate, hmac (tests/data/keys/fixed.key), truncate+hmac with
# --key-dir (both orders: the parallel run creating the period keys, or
# the sequential one), --derive, -O csv, -O jsonl, --aggregate
# day,country,status with --geo-db (and --partial), --malformed=redact,
# --malformed=fail, --verbose, a --key-dir whose second period was erased
# (the run stops at that period's first line), and a geo database with
# broken pointers under --strict.

. "$(dirname "$0")/lib.sh"

R=$WORK/run
mkdir -p "$R" || exit 99
KEY=$WORK/fixed.key
cp "$DATA/keys/fixed.key" "$KEY" && chmod 600 "$KEY" || exit 99
GEO=$DATA/geo/GeoLite2-Country-Test.mmdb
BROKEN_GEO=$DATA/geo/MaxMind-DB-test-broken-pointers-24.mmdb

GENLOG=${GENLOG:-$(find_built tests/bench/genlog || true)}
if [ -z "$GENLOG" ] || [ ! -x "$GENLOG" ]; then
  echo "cannot find tests/bench/genlog (make check builds it)"
  exit 99
fi

# ---------------------------------------------------------------- inputs
ALL=$R/all.log
cat "$DATA"/in/*.log "$DATA"/in-geo/*.log "$DATA"/keys/clients.log >"$ALL" || exit 99
GEN=$R/gen.log
"$GENLOG" -n 200000 >"$GEN" || exit 99
gzip -c "$GEN" >"$R/gen.log.gz" || exit 99
: >"$R/empty.log"
head -n 1 "$DATA/in/combined.log" >"$R/one.log"
head -n 3 "$DATA/in/combined.log" | head -c -1 >"$R/nofinal.log"
{ head -n 2 "$DATA/in/combined.log"; head -n 1 "$DATA/in/common.log" | tr -d '\n'; printf '\r'; } \
  >"$R/finalcr.log"
cp "$DATA/in/crlf.log" "$R/crlf.log"
gen_special_inputs "$R/special"
# the long line twice, with malformed lines around it
{ cat "$R/special/longline.log"; echo 'junk one'; cat "$R/special/longline.log";
  echo 'junk two'; } >"$R/long.log"

# ------------------------------------------------------------ comparison

# Keeps stderr comparable: pseudonyms_computed and pseudonyms_cached
# become their sum.
normalise_err () {
  sed -E 's/ pseudonyms_computed=([0-9]+) pseudonyms_cached=([0-9]+)/ pseudonyms=\1+\2/' "$1" \
    | awk '{ if (match($0, / pseudonyms=[0-9]+\+[0-9]+/)) {
               s = substr($0, RSTART + 12, RLENGTH - 12); split(s, n, "+");
               $0 = substr($0, 1, RSTART - 1) " pseudonyms=" (n[1] + n[2]) substr($0, RSTART + RLENGTH) }
             print }'
}

normalise_json () {
  [ -f "$1" ] || { echo "(no stats file)"; return; }
  sed -E -e 's/,"seconds":[0-9.]+//' \
    -e 's/"pseudonyms_computed":([0-9]+),"pseudonyms_cached":([0-9]+)/"pseudonyms":\1+\2/' "$1" \
    | awk '{ while (match($0, /"pseudonyms":[0-9]+\+[0-9]+/)) {
               s = substr($0, RSTART + 13, RLENGTH - 13); split(s, n, "+");
               $0 = substr($0, 1, RSTART - 1) "\"pseudonyms_sum\":" (n[1] + n[2]) substr($0, RSTART + RLENGTH) }
             print }'
}

# run_one PREFIX JOBS INPUT [ARG...]: INPUT "-" reads $STDIN_FILE through a
# pipe; INPUT "<FILE" redirects the file (a regular standard input).
run_one () {
  local prefix=$1 jobs=$2 input=$3
  shift 3
  rm -f "$prefix.json"
  case $input in
    -) cat "$STDIN_FILE" | "$LOGNYM" --jobs "$jobs" --stats --stats-file "$prefix.json" "$@" - \
         >"$prefix.out" 2>"$prefix.err"
       RC=$? ;;
    \<*) "$LOGNYM" --jobs "$jobs" --stats --stats-file "$prefix.json" "$@" <"${input#<}" \
           >"$prefix.out" 2>"$prefix.err"
         RC=$? ;;
    *) "$LOGNYM" --jobs "$jobs" --stats --stats-file "$prefix.json" "$@" $input \
         >"$prefix.out" 2>"$prefix.err" </dev/null
       RC=$? ;;
  esac
  echo "$RC" >"$prefix.rc"
  normalise_err "$prefix.err" >"$prefix.nerr"
  normalise_json "$prefix.json" >"$prefix.njson"
}

# same_as_one NAME INPUT [ARG...]: --jobs 2, 3 and 8 against --jobs 1.
N=0
same_as_one () {
  local name=$1 input=$2 j base bad
  shift 2
  N=$((N + 1))
  base=$R/c$N
  run_one "$base-1" 1 "$input" "$@"
  for j in 2 3 8; do
    run_one "$base-$j" "$j" "$input" "$@"
    bad=
    cmp -s "$base-1.rc" "$base-$j.rc" \
      || bad="exit status $(cat "$base-1.rc") with --jobs 1, $(cat "$base-$j.rc") with --jobs $j"
    if [ -z "$bad" ] && ! cmp -s "$base-1.out" "$base-$j.out"; then
      bad="standard output differs: $(cmp "$base-1.out" "$base-$j.out" 2>&1 | head -n 1)"
    fi
    if [ -z "$bad" ] && ! cmp -s "$base-1.nerr" "$base-$j.nerr"; then
      bad="standard error differs:
$(show_diff "$base-1.nerr" "$base-$j.nerr")"
    fi
    if [ -z "$bad" ] && ! cmp -s "$base-1.njson" "$base-$j.njson"; then
      bad="--stats-file differs:
$(show_diff "$base-1.njson" "$base-$j.njson")"
    fi
    if [ -z "$bad" ]; then
      pass "$name: --jobs $j = --jobs 1"
    else
      fail "$name: --jobs $j = --jobs 1" "$bad"
    fi
  done
}

# A case must do something, or the comparison proves nothing.
expect_lines () {
  local name=$1 file=$2 min=$3 n
  n=$(wc -l <"$file")
  if [ "$n" -ge "$min" ]; then
    pass "$name"
  else
    fail "$name" "expected at least $min lines, got $n"
  fi
}

# ---------------------------------------------------- the generated log
same_as_one "gen, truncate" "$GEN"
expect_lines "gen, truncate: 199978 lines written" "$R/c$N-1.out" 199978
check_contains "gen, truncate: malformed lines reported" "gen.log:14830:" "$R/c$N-2.err"
same_as_one "gen, hmac" "$GEN" --ip=hmac -k "$KEY"
check_contains "gen, hmac: pseudonyms counted" "pseudonyms_computed=" "$R/c$N-2.err"
same_as_one "gen, truncate+hmac --key-dir (--jobs 1 creates the keys)" "$GEN" \
  --ip=truncate+hmac --key-dir "$R/kd1" --retain 100000 --malformed=redact
mkdir -p "$R/kd2"
chmod 700 "$R/kd2"
# --jobs 8 first: the workers create the period keys
run_one "$R/kd2-8" 8 "$GEN" --ip=hmac --key-dir "$R/kd2" --retain 100000
run_one "$R/kd2-1" 1 "$GEN" --ip=hmac --key-dir "$R/kd2" --retain 100000
check_files "gen, hmac --key-dir (--jobs 8 creates the keys): same output" \
  "$R/kd2-1.out" "$R/kd2-8.out"
check_value "gen, hmac --key-dir: one key per period" 2 "$(ls "$R/kd2" | grep -c '\.key$')"
same_as_one "gen, hmac --derive daily, --malformed=redact" "$GEN" \
  --ip=hmac -k "$KEY" --derive daily --malformed=redact
same_as_one "gen, -O csv" "$GEN" -O csv
same_as_one "gen, -O jsonl --ip=hmac-ipv6" "$GEN" -O jsonl --ip=hmac-ipv6 -k "$KEY"
same_as_one "gen, --aggregate day,country,status --geo-db" "$GEN" \
  --aggregate day,country,status --geo-db "$GEO" -k "$KEY"
expect_lines "gen, --aggregate: rows" "$R/c$N-1.out" 10
same_as_one "gen, --aggregate hour,path --partial" "$GEN" \
  --aggregate hour,path --path-depth 2 --partial -k "$KEY"
same_as_one "gen, --malformed=redact" "$GEN" --malformed=redact
same_as_one "gen, --malformed=fail" "$GEN" --malformed=fail
check_value "gen, --malformed=fail: status 3" 3 "$(cat "$R/c$N-2.rc")"
expect_lines "gen, --malformed=fail: the lines before the first malformed one" \
  "$R/c$N-2.out" 14829
same_as_one "gen, --verbose --residual malformed" "$GEN" --verbose --residual malformed
same_as_one "gen, gzip" "$R/gen.log.gz" --ip=hmac -k "$KEY"
STDIN_FILE=$GEN
same_as_one "gen, a pipe on standard input" - --ip=hmac -k "$KEY" --malformed=redact
same_as_one "gen, a file on standard input" "<$GEN"
same_as_one "gen and all, two files" "$GEN $ALL"

# the second period's key erased: the run stops at its first line
mkdir -p "$R/kd3"
chmod 700 "$R/kd3"
touch "$R/kd3/2026-11-25.erased"
same_as_one "gen, --key-dir with an erased period" "$GEN" --ip=hmac --key-dir "$R/kd3" \
  --retain 100000
check_value "gen, erased period: status 2" 2 "$(cat "$R/c$N-1.rc")"
check_contains "gen, erased period: names the line" "gen.log:" "$R/c$N-3.err"
expect_lines "gen, erased period: the lines before it are written" "$R/c$N-3.out" 1000
# IPv6 clients are lookup errors in that IPv4-only database
same_as_one "gen, --strict on a database with broken pointers" "$GEN" \
  --geo-db "$BROKEN_GEO" --geo-path country/iso_code --strict -O csv --fields time,country,status
check_contains "gen, --strict: stops at the first lookup error" "gen.log:28: geo database" \
  "$R/c$N-8.err"
same_as_one "gen, lookup errors counted by kind" "$GEN" \
  --geo-db "$BROKEN_GEO" --geo-path country/iso_code -O csv --fields time,country,status
check_contains "gen, lookup errors counted by kind: the count" "lookup error (count: 20673)" \
  "$R/c$N-8.err"

# A malformed line redacted before any record of its chunk takes the key
# of the last record before it in input order, as with one thread: records
# of a new day each, junk lines with an address between them, chunks of
# two or three lines.
awk 'BEGIN { for (i = 0; i < 400; i++) {
  printf "192.0.2.%d - - [%02d/Nov/2026:12:00:00 +0000] \"GET /%d HTTP/1.1\" 200 %d\n", i % 250 + 1, i % 25 + 1, i, i
  if (i % 2) printf "junk from 198.51.100.%d at %d\n", i % 250, i } }' >"$R/periods.log"
export LOGNYM_CHUNK_BYTES=150
same_as_one "junk at chunk starts, --derive daily, redact" "$R/periods.log" \
  --ip=hmac -k "$KEY" --derive daily --malformed=redact
same_as_one "junk at chunk starts, --key-dir, redact" "$R/periods.log" \
  --ip=hmac --key-dir "$R/kd4" --retain 100000 --malformed=redact
unset LOGNYM_CHUNK_BYTES

# ---------------------------------------- all test inputs, small chunks
for chunk in 1000000 4096 300; do
  export LOGNYM_CHUNK_BYTES=$chunk
  same_as_one "all, chunks of $chunk bytes, truncate" "$ALL"
  check_value "all, chunks of $chunk bytes: the 10-message limit applies" 1 \
    "$(grep -c 'further malformed lines are not reported' "$R/c$N-3.err")"
  same_as_one "all, chunks of $chunk bytes, hmac, redact, verbose" "$ALL" \
    --ip=hmac -k "$KEY" --malformed=redact --verbose
  same_as_one "all, chunks of $chunk bytes, --derive, redact" "$ALL" \
    --ip=truncate+hmac -k "$KEY" --derive monthly --malformed=redact
  same_as_one "all, chunks of $chunk bytes, jsonl" "$ALL" -O jsonl --geo-db "$GEO"
  same_as_one "all, chunks of $chunk bytes, fail" "$ALL" --malformed=fail
  same_as_one "all, chunks of $chunk bytes, aggregate" "$ALL" \
    --aggregate day,country,status --geo-db "$GEO" -k "$KEY" --min-visitors 1
  for t in empty one nofinal finalcr crlf long; do
    same_as_one "$t, chunks of $chunk bytes" "$R/$t.log" --malformed=redact
  done
  STDIN_FILE=$R/long.log
  same_as_one "long lines on a pipe, chunks of $chunk bytes" - --verbose
done
unset LOGNYM_CHUNK_BYTES

# ------------------------------- a regular file read by the workers
# A file named on the command line is not read by one thread: each worker
# reads a range of it itself and keeps the lines that start in that range
# (jobs.c, read_range).  Tiny chunks put a range boundary at every byte:
# in a CRLF, just before and after a newline, inside a line longer than
# many chunks; a file without any newline and one whose last line has
# none are read partly or wholly in order after the ranges.
printf 'no newline at all from 192.0.2.55' >"$R/noline.log"
printf '\n\n\n' >"$R/newlines.log"
{ head -n 2 "$DATA/in/combined.log"; printf '\n'; head -n 1 "$DATA/in/combined.log";
  printf 'junk 203.0.113.5\n\n'; } >"$R/blank.log"
# a line of 5 MiB (several chunks of the default 256 KiB), malformed lines
# around it, and no final newline
{ head -n 1 "$DATA/in/combined.log"; echo 'junk before'
  printf '198.51.100.77 - - %s "GET /' "$CLF_TIME"
  head -c 5242880 /dev/zero | tr '\0' 'b'
  printf '?from=203.0.113.99 HTTP/1.1" 200 5 "-" "x"\n'
  echo 'junk after'; head -n 2 "$DATA/in/common.log" | head -c -1; } >"$R/huge.log"
for chunk in 1 2 3 5 17 64 199; do
  export LOGNYM_CHUNK_BYTES=$chunk
  for t in empty one nofinal finalcr crlf noline newlines blank; do
    same_as_one "$t, file ranges of $chunk bytes" "$R/$t.log" --verbose
  done
  same_as_one "all, file ranges of $chunk bytes, redact" "$ALL" --malformed=redact --verbose
done
for chunk in 4096 65537 1048576; do
  export LOGNYM_CHUNK_BYTES=$chunk
  same_as_one "5 MiB line, file ranges of $chunk bytes" "$R/huge.log" --verbose
  check_contains "5 MiB line, ranges of $chunk bytes: the malformed line after it" \
    "huge.log:4: line does not match" "$R/c$N-2.err"
  check_value "5 MiB line, ranges of $chunk bytes: the 4 good lines are written" 4 \
    "$(awk 'END { print NR }' "$R/c$N-2.out")"
  same_as_one "1 MiB lines, file ranges of $chunk bytes" "$R/long.log" --verbose
  same_as_one "5 MiB line, file ranges of $chunk bytes, fail" "$R/huge.log" --malformed=fail
done
unset LOGNYM_CHUNK_BYTES
# the same file once on standard input (read in order) and once by name
cat "$R/huge.log" "$GEN" >"$R/huge-gen.log"
export LOGNYM_CHUNK_BYTES=100000
run_one "$R/byname" 2 "$R/huge-gen.log"
run_one "$R/bystdin" 1 "<$R/huge-gen.log"
unset LOGNYM_CHUNK_BYTES
check_files "ranges read by the workers: the output of one thread on standard input" \
  "$R/bystdin.out" "$R/byname.out"
sed 's/(standard input)/huge-gen.log/' "$R/bystdin.nerr" >"$R/bystdin.named"
sed "s|$R/||" "$R/byname.nerr" >"$R/byname.named"
check_files "ranges read by the workers: the same reports, by line number" \
  "$R/bystdin.named" "$R/byname.named"
check_value "ranges read by the workers: status 0" 0 "$(cat "$R/byname.rc")"

# --in-place with --jobs (done by one thread, see lognym(1)) rewrites the
# file as --jobs 1 does
cp "$GEN" "$R/inplace1.log"
cp "$GEN" "$R/inplace2.log"
run_lognym "$R/ip1" --jobs 1 --in-place "$R/inplace1.log"
run_lognym "$R/ip2" --jobs 2 --in-place "$R/inplace2.log"
check_status "--in-place --jobs 2: status 0" 0 "$RC"
check_files "--in-place --jobs 2: the file rewritten as with --jobs 1" \
  "$R/inplace1.log" "$R/inplace2.log"
expect_lines "--in-place --jobs 2: the file is rewritten" "$R/inplace2.log" 199978

# ------------------------------------------------- output errors, signals
"$LOGNYM" --jobs 2 "$GEN" 2>"$R/epipe.err" | head -n 5 >"$R/epipe.out"
check_value "a closed pipe (| head): status 0 with --jobs 2" 0 "${PIPESTATUS[0]}"
check_empty "a closed pipe: no message" "$R/epipe.err"
check_value "a closed pipe: head got its lines" 5 "$(wc -l <"$R/epipe.out")"
"$LOGNYM" --jobs 1 "$GEN" >/dev/full 2>"$R/full1.err"
"$LOGNYM" --jobs 2 "$GEN" >/dev/full 2>"$R/full2.err"
check_value "a full disk: status 2 with --jobs 2" 2 "$?"
check_files "a full disk: the same messages as --jobs 1" "$R/full1.err" "$R/full2.err"
check_value "a full disk: one write error" 1 "$(grep -c 'No space left' "$R/full2.err")"

# a piped logger: lines are written as they come, SIGHUP reopens -o
# between chunks, SIGTERM ends the run with everything written
lines_in () { [ -f "$1" ] && [ "$(wc -l <"$1")" -eq "$2" ]; }
mkfifo "$R/fifo" || exit 99
head -n 3000 "$GEN" >"$R/part1"
sed -n '3001,5000p' "$GEN" >"$R/part2"
"$LOGNYM" --jobs 2 -o "$R/piped.log" "$R/fifo" 2>"$R/piped.err" &
pid=$!
exec 3>"$R/fifo"
cat "$R/part1" >&3
check_true "piped, --jobs 2: the first lines are written without waiting for more" \
  "piped.log does not have the 3000 lines of part 1" wait_for 10 lines_in "$R/piped.log" 3000
# --jobs N runs N threads: the reading one works on chunks too, besides
# N - 1 workers (counted by name: a sanitizer may run a thread of its own)
workers () { cat /proc/"$1"/task/*/comm | grep -c '^lognym-job$'; }
check_value "piped, --jobs 2: one worker besides the reading thread" 1 "$(workers "$pid")"
mv "$R/piped.log" "$R/piped.log.1"
kill -HUP "$pid"
sleep 0.2
cat "$R/part2" >&3
check_true "piped, --jobs 2: after SIGHUP the lines go to a new file" \
  "piped.log does not have the 2000 lines of part 2" wait_for 10 lines_in "$R/piped.log" 2000
kill -TERM "$pid"
wait "$pid"
check_value "piped, --jobs 2: SIGTERM ends the run with status 0" 0 "$?"
exec 3>&-
cat "$R/part1" "$R/part2" | "$LOGNYM" --jobs 1 >"$R/piped.expected" 2>/dev/null
cat "$R/piped.log.1" "$R/piped.log" >"$R/piped.all"
check_files "piped, --jobs 2: both files together are the output of --jobs 1" \
  "$R/piped.expected" "$R/piped.all"

# ... except where a worker may wait for the chunks before to be written
# (a key to carry into a malformed line: --malformed=redact with period
# keys): then the reading thread only writes, and N workers run besides
mkfifo "$R/fifo2" || exit 99
"$LOGNYM" --jobs 2 --ip=hmac -k "$KEY" --derive daily --malformed=redact \
  -o "$R/carry.log" "$R/fifo2" 2>/dev/null &
pid=$!
exec 3>"$R/fifo2"
cat "$R/part1" >&3
check_true "piped, --jobs 2, a key to carry: the first lines are written" \
  "carry.log does not have the 3000 lines of part 1" wait_for 10 lines_in "$R/carry.log" 3000
check_value "piped, --jobs 2, a key to carry: two workers" 2 "$(workers "$pid")"
exec 3>&-
wait "$pid"

# ------------------------------------------------------ the option itself
run_lognym "$R/opt1" --jobs 1 "$ALL"
run_lognym "$R/opt0" --jobs 0 "$ALL"
check_status "--jobs 0 (one per CPU): status 0" 0 "$RC"
check_files "--jobs 0: output" "$R/opt1.out" "$R/opt0.out"
for bad in 257 -1 x ''; do
  run_lognym "$R/optbad" --jobs "$bad" "$R/one.log"
  check_status "--jobs '$bad': usage error" 1 "$RC"
done
check_contains "--jobs 257: the message names the range" "0 to 256" "$R/optbad.err"

# fallbacks: -o with a strftime pattern is written by one thread
run_lognym "$R/pat1" --jobs 1 -o "$R/pat1-%Y-%m-%d.log" "$GEN"
run_lognym "$R/pat2" --jobs 2 -o "$R/pat2-%Y-%m-%d.log" "$GEN"
check_value "-o PATTERN with --jobs 2: as many files" "$(ls "$R" | grep -c '^pat1-')" \
  "$(ls "$R" | grep -c '^pat2-')"
cat "$R"/pat1-*.log >"$R/pat1.all"
cat "$R"/pat2-*.log >"$R/pat2.all"
check_files "-o PATTERN with --jobs 2: same output" "$R/pat1.all" "$R/pat2.all"

finish
