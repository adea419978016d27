#!/bin/bash
# tests/e2e/aggregate.sh - --aggregate end to end: goldens, usage and
# input errors, the merge property, the parallel and Hadoop recipes,
# memory per row and the leak check.
#
#   tests/e2e/aggregate.sh                  run every check
#   REGENERATE=1 tests/e2e/aggregate.sh     rewrite tests/data/expected/aggregate-*.{out,err}
#
# After regenerating, review every changed golden by eye (git diff): a
# golden states what lognym SHOULD do.  The goldens of the cases in
# HAND_WRITTEN were written by hand because lognym got them wrong when they
# were written (see the comments at the table); REGENERATE=1 leaves them
# alone unless REGENERATE_HAND=1.  Take a case off the list once lognym
# passes it.  The exit status of a golden case is
# in the table below, not in a .status file (golden.sh owns the
# tests/data/expected/*.status files: each of them must be one of its
# cases).
#
# The sketch key is tests/data/keys/fixed.key, copied into the scratch
# directory and made mode 0600 (git does not keep the mode), so the sketch
# id in partials and every visitor count are reproducible.
#
# THE PROPERTY (the issue's promise): for every log of tests/data/in and
# tests/data/thirdparty, split at pseudo-random line boundaries (a fixed
# LCG, so every run splits alike; empty parts included) into 1..8 parts,
#     lognym -a KEYS --partial -k KEY PART   for every part,
#     lognym merge   on their concatenation
# equals lognym -a KEYS -k KEY on the whole file byte for byte; also with
# the concatenation sorted (Hadoop's shuffle), with --min-visitors 1, with
# the partials as file arguments, with -a day,country and a geo database,
# and with duration histograms (a %D format, tests/data/in-agg) and --tz.
#
# Partials have no header line: every line ends in a schema column (keys,
# path depth, precision, zone, durations, sketch key digest), checked on
# every line of the partial goldens; lines in any order merge, and a line
# of another schema is refused where it stands (file:line).
#
# --flush-every: lines fed through a FIFO, the rows of closed minutes
# polled for (with a timeout, not a fixed sleep) before EOF; the rows
# written at EOF or SIGTERM add up to a run over the lines read.
#
# Recipes of the manual exercised here: GNU parallel --pipe (skipped when
# parallel(1) is not installed: Debian package "parallel"), and Hadoop
# Streaming simulated as mapper per split -> key<TAB>value lines sorted by
# key -> reducer, with and without a combiner, and with two reducers
# ('lognym merge --partial') whose partials are merged again.
#
# Memory is a bound, not a timing: peak RSS (GNU time, Debian package
# "time") of -a minute over a generated 200000-line log stays under 64 MiB.

. "$(dirname "$0")/lib.sh"

EXPECTED=$DATA/expected
RUN=$WORK/run
ACTUAL=$WORK/actual
SAMPLE=$TESTS_SRCDIR/../data/sample-access.log
mkdir -p "$RUN/gen" "$ACTUAL" "$WORK/split" || exit 99
ln -s "$DATA/in" "$RUN/in" && ln -s "$DATA/thirdparty" "$RUN/thirdparty" \
  && ln -s "$DATA/in-geo" "$RUN/in-geo" && ln -s "$DATA/geo" "$RUN/geo" \
  && ln -s "$DATA/in-agg" "$RUN/in-agg" || exit 99
if [ ! -f "$SAMPLE" ]; then
  echo "cannot find data/sample-access.log next to tests/"
  exit 99
fi
mkdir -p "$RUN/data" && ln -s "$SAMPLE" "$RUN/data/sample-access.log" || exit 99

# the fixed sketch key, and a second, different one
if [ -f "$DATA/keys/fixed.key" ]; then
  cp "$DATA/keys/fixed.key" "$RUN/key"
elif [ -f "$DATA/keys/agg.key" ]; then
  cp "$DATA/keys/agg.key" "$RUN/key"
else
  echo "SKIP: no fixed key (tests/data/keys/fixed.key)"
  exit 77
fi
chmod 600 "$RUN/key"
KEY=$RUN/key
"$LOGNYM" keygen "$RUN/key2" >/dev/null 2>&1 || {
  echo "lognym keygen failed"
  exit 99
}
KEY2=$RUN/key2

GEO=
if [ -f "$DATA/geo/tiny-country.mmdb" ]; then
  GEO=$DATA/geo/tiny-country.mmdb
else
  echo "# no tests/data/geo/tiny-country.mmdb: the country checks are skipped"
fi

SKIPPED=0
skip () {
  SKIPPED=$((SKIPPED + 1))
  printf 'skip - %s\n' "$1"
}

# lognym in $RUN (stable file names in messages); stdout, stderr, status
# to PREFIX.{out,err} and $RC.
run_in () {
  local prefix=$1
  shift
  (cd "$RUN" && exec "$LOGNYM" "$@") <"${STDIN:-/dev/null}" >"$prefix.out" 2>"$prefix.err"
  RC=$?
}

# partial inputs of the merge goldens and error cases, made first
"$LOGNYM" -a day,status --partial -k "$KEY" "$DATA/thirdparty/basjes-hackers-access-part1.log" \
  2>/dev/null | head -n 40 >"$RUN/gen/basjes-head.partial"
"$LOGNYM" -a day,status --partial -k "$KEY" "$SAMPLE" 2>/dev/null >"$RUN/gen/sample.partial"
"$LOGNYM" -a day,status --partial -k "$KEY2" "$SAMPLE" 2>/dev/null >"$RUN/gen/sample-key2.partial"
"$LOGNYM" -a day,path --partial -k "$KEY" "$SAMPLE" 2>/dev/null >"$RUN/gen/sample-path.partial"

# ------------------------------------------------------------ the goldens

# Hand-written goldens: none at present.  (sample-day-path-mv1 and
# in-vhost-class-mv1 were, until lognym stopped folding rows of 0 visitors
# at --min-visitors 1 and stopped taking "www.example.org:80" for a vhost
# after a port-less line; lognym now writes them as they were written by
# hand.)  Add a case as " NAME " with a comment saying what lognym got
# wrong.
HAND_WRITTEN=" "

CASES=$WORK/cases
grep -v '^#' >"$CASES" <<'EOF'
# NAME                       | STATUS | OPTIONS (shell words)                                   | INPUTS
basjes-day-status            | 0 | -a day,status -k key                                          | thirdparty/basjes-hackers-access-part1.log
basjes-hour-method-mv1       | 0 | -a hour,method --min-visitors 1 -k key                        | thirdparty/basjes-hackers-access-part1.log
basjes-day-path1-mv50        | 0 | -a day,path --path-depth 1 --min-visitors 50 -k key           | thirdparty/basjes-hackers-access-part1.log
basjes-path2-minreq20        | 0 | -a path --path-depth 2 --min-visitors 1 --min-requests 20 -k key | thirdparty/basjes-hackers-access-part1.log
basjes-week-class-jsonl      | 0 | -a week,status_class -O jsonl -k key                          | thirdparty/basjes-hackers-access-part1.log
basjes-referer-month         | 0 | -a referer_origin,month --min-visitors 5 -k key               | thirdparty/basjes-hackers-access-part1.log
basjes-partial               | 0 | -a day,status_class --partial -k key                          | thirdparty/basjes-hackers-access-part1.log
netdata-month-referer        | 0 | -a month,referer_origin -k key                                | thirdparty/netdata-big_combined.log
netdata-minute-method-mv1    | 0 | -a minute,method --min-visitors 1 -k key                      | thirdparty/netdata-big_combined.log
netdata-status-jsonl-mv50    | 0 | -a status -O jsonl --min-visitors 50 -k key                   | thirdparty/netdata-big_combined.log
netdata-path1-minreq         | 0 | -a day,path --path-depth 1 --min-requests 10 -k key           | thirdparty/netdata-big_combined.log
sample-day-path-mv1          | 0 | -a day,path --min-visitors 1 -k key                           | data/sample-access.log
sample-hour-status-stats     | 0 | -a hour,status -k key --stats                                 | data/sample-access.log
sample-partial               | 0 | -a day,path --partial -k key                                  | data/sample-access.log
sample-sketch-key-file       | 0 | -a day,status --partial --sketch-key-file key                 | data/sample-access.log
in-vhost-class-mv1           | 0 | -a vhost,status_class --min-visitors 1 -k key                 | in/vhost_combined.log in/vhost_common.log
in-several-files             | 0 | -a status_class -k key --min-visitors 2                       | in/common.log in/combined.log in/ipv6.log in/malformed.log
merge-sample                 | 0 | merge --min-visitors 1                                        | gen/sample.partial
merge-stdin-jsonl            | 0 | merge -O jsonl                                                | <gen/basjes-head.partial
merge-to-partial             | 0 | merge --partial                                               | gen/sample.partial gen/sample.partial
geo-day-country-mv1          | 0 | -a day,country --geo-db geo/tiny-country.mmdb --min-visitors 1 -k key | in-geo/geo.log
geo-country-class            | 0 | -a country,status_class --geo-db geo/tiny-country.mmdb -k key | thirdparty/basjes-hackers-access-part1.log in-geo/geo.log
dur-hour-path                | 0 | -f '%h %l %u %t "%r" %>s %b %D' -a hour,path --min-visitors 3 -k key | in-agg/durations.log
dur-tz-hour-class-jsonl      | 0 | -f '%h %l %u %t "%r" %>s %b %D' -a hour,status_class --tz Europe/Berlin -O jsonl -k key | in-agg/durations.log
dur-tz-day-method            | 0 | -f '%h %l %u %t "%r" %>s %b %D' -a day,method --tz Europe/Berlin -k key | in-agg/durations.log
dur-tz-partial               | 0 | -f '%h %l %u %t "%r" %>s %b %D' -a hour,path --tz Europe/Berlin --partial -k key | in-agg/durations.log
dur-flush-minute             | 0 | -f '%h %l %u %t "%r" %>s %b %D' -a minute,status_class --flush-every minute --min-visitors 1 -k key | in-agg/durations.log
tz-offset-day-nodur          | 0 | -f '%h %l %u %t "%r" %>s %b %P' -a day,status --tz -0700 --min-visitors 2 -k key | in-agg/durations.log
EOF

trim () {
  local s=$1
  s=${s#"${s%%[![:space:]]*}"}
  s=${s%"${s##*[![:space:]]}"}
  printf '%s' "$s"
}

declare -A known=()
while IFS='|' read -r name want opts inputs; do
  name=aggregate-$(trim "$name")
  want=$(trim "$want")
  known[$name]=1
  if [[ $name == aggregate-geo-* ]] && [ -z "$GEO" ]; then
    skip "$name (no tests/data/geo/tiny-country.mmdb)"
    continue
  fi
  eval "words=($(trim "$opts"))"
  args=()
  stdin=/dev/null
  for tok in $(trim "$inputs"); do
    case $tok in
      '<'*) stdin=$RUN/${tok#<} ;;
      *) args+=("$tok") ;;
    esac
  done
  STDIN=$stdin run_in "$ACTUAL/$name" "${words[@]}" "${args[@]}"
  if [ -n "${REGENERATE:-}" ] \
     && { [ "${REGENERATE_HAND:-}" = 1 ] || [[ $HAND_WRITTEN != *" ${name#aggregate-} "* ]]; }; then
    for part in out err; do
      if ! cmp -s "$ACTUAL/$name.$part" "$EXPECTED/$name.$part" 2>/dev/null; then
        cp "$ACTUAL/$name.$part" "$EXPECTED/$name.$part"
        echo "# regenerated $name.$part"
      fi
    done
  fi
  details=()
  [ "$RC" = "$want" ] || details+=("exit status $RC, expected $want")
  for part in out err; do
    if [ ! -f "$EXPECTED/$name.$part" ]; then
      details+=("missing golden $name.$part (run REGENERATE=1 $0, then review it)")
    elif ! cmp -s "$EXPECTED/$name.$part" "$ACTUAL/$name.$part"; then
      details+=("$part differs:" "$(show_diff "$EXPECTED/$name.$part" "$ACTUAL/$name.$part")")
    fi
  done
  if [ ${#details[@]} -eq 0 ]; then
    pass "golden $name"
  else
    fail "golden $name" "${details[@]}"
  fi
done <"$CASES"

stale=()
for f in "$EXPECTED"/aggregate-*.out "$EXPECTED"/aggregate-*.err; do
  [ -e "$f" ] || continue
  b=$(basename "$f")
  b=${b%.*}
  [ -n "${known[$b]:-}" ] || stale+=("$(basename "$f")")
done
if [ ${#stale[@]} -eq 0 ]; then
  pass "every aggregate golden has a case"
else
  fail "every aggregate golden has a case" "stale goldens: ${stale[*]}"
fi

# the goldens' own properties, checked on every run
out=$ACTUAL/aggregate-basjes-day-status.out
check_true "csv: header line of the keys and the three metrics" "$(head -n 1 "$out" | cat -v)" \
  test "$(head -n 1 "$out")" = $'day,status,requests,bytes,visitors\r'
check_true "csv: every row ends in CRLF" "" \
  test "$(grep -c $'\r$' "$out")" = "$(wc -l <"$out")"
# totals add up whatever the suppression
sums () { awk -F, 'NR > 1 { r += $(NF - 2); b += $(NF - 1) } END { printf "%d %d\n", r, b }' "$1"; }
s1=$(sums "$ACTUAL/aggregate-basjes-hour-method-mv1.out")
for c in basjes-day-status basjes-day-path1-mv50 basjes-path2-minreq20; do
  check_true "totals of $c equal those without suppression ($s1)" \
    "got $(sums "$ACTUAL/aggregate-$c.out")" test "$(sums "$ACTUAL/aggregate-$c.out")" = "$s1"
done
# no row but (other) has fewer than K visitors
below=$(awk -F, 'NR > 1 && $2 != "\"(other)\"" && $NF + 0 < 50' "$ACTUAL/aggregate-basjes-day-path1-mv50.out")
check_true "--min-visitors 50: no kept row below 50 visitors" "$below" test -z "$below"
below=$(awk -F, 'NR > 1 && $1 != "\"(other)\"" && $(NF - 2) + 0 < 20' "$ACTUAL/aggregate-basjes-path2-minreq20.out")
check_true "--min-requests 20: no kept row below 20 requests" "$below" test -z "$below"
rows=$(awk -F, 'NR > 1 && $2 != "\"(other)\""' "$ACTUAL/aggregate-basjes-day-path1-mv50.out" | wc -l)
check_true "--min-visitors 50 keeps some rows" "none kept" test "$rows" -gt 0
check_true "(other) is the last row of its time bucket" \
  "$(cat "$ACTUAL/aggregate-basjes-day-path1-mv50.out")" \
  test -z "$(awk -F, 'NR > 1 { if ($1 == prev && prevother) bad = 1; prev = $1; prevother = ($2 == "\"(other)\"") } END { if (bad) print "bad" }' \
    "$ACTUAL/aggregate-basjes-day-path1-mv50.out")"
jl=$ACTUAL/aggregate-basjes-week-class-jsonl.out
check_true "jsonl: every line is an object with the keys and metrics" "$(head -n 3 "$jl")" \
  test -z "$(grep -v -E '^\{"week":"[0-9]{4}-W[0-9]{2}","status_class":"(([1-9]xx|-)","requests":[0-9]+,"bytes":[0-9]+,"visitors":[0-9]+|\(other\)","requests":[0-9]+,"bytes":[0-9]+,"visitors":([0-9]+|null))\}$' "$jl")"
# an (other) row of fewer than K visitors (default 5) keeps its requests
# and bytes but withholds its visitors: empty in CSV, null in JSON Lines
withheld () {   # withheld FILE K: the (other) rows breaking the rule
  awk -F, -v k="$2" 'NR > 1 {
      v = $NF; sub(/\r$/, "", v); other = index($0, "\"(other)\"") > 0
      if (v == "" ? !other : (other && v + 0 < k)) print
    }' "$1"
}
for c in basjes-day-status:5 basjes-day-path1-mv50:50 basjes-referer-month:5 \
         netdata-month-referer:5 netdata-path1-minreq:5 in-several-files:2; do
  f=$ACTUAL/aggregate-${c%:*}.out
  check_true "${c%:*}: a visitor count is withheld in (other) rows below ${c#*:} only" \
    "$(withheld "$f" "${c#*:}")" test -z "$(withheld "$f" "${c#*:}")"
done
check_true "basjes-day-status: some (other) rows withhold their visitors" "none" \
  test "$(grep -c $',\r$' "$ACTUAL/aggregate-basjes-day-status.out")" -gt 0
check_true "jsonl: some (other) rows withhold their visitors (null)" "none" \
  grep -q '"status_class":"(other)",.*"visitors":null}$' "$jl"
check_true "--min-visitors 1: no visitor count withheld" \
  "$(grep -n -e $',\r$' "$ACTUAL/aggregate-basjes-hour-method-mv1.out" | head -n 3)" \
  test -z "$(grep -e $',\r$' "$ACTUAL/aggregate-basjes-hour-method-mv1.out" \
    "$ACTUAL/aggregate-netdata-minute-method-mv1.out" "$ACTUAL/aggregate-sample-day-path-mv1.out" \
    "$ACTUAL/aggregate-basjes-path2-minreq20.out")"
check_true "--min-visitors 1 --min-requests 20: the (other) row shows its visitors" \
  "$(grep '"(other)"' "$ACTUAL/aggregate-basjes-path2-minreq20.out")" \
  grep -q -E '^"\(other\)",[0-9]+,[0-9]+,[0-9]+'$'\r''$' "$ACTUAL/aggregate-basjes-path2-minreq20.out"

# Partials have no header line: every line is KEY, requests, bytes,
# sketch and the schema (keys, path depth, precision, the digest of the
# sketch key: the same for the same key file, whether given as -k or as
# --sketch-key-file, and whatever the keys).
schema_re () {   # schema_re KEYS (no {16}: mawk has no intervals)
  printf '^lognym-partial-v3;keys=%s;path_depth=0;precision=12;tz=%s;durations=%s;sketch=%s$' \
    "$1" "${SCHEMA_TZ:-UTC}" "${SCHEMA_DURATIONS:-none}" \
    "$(printf '[0-9a-f]%.0s' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)"
}
# bad_lines FILE KEYS: the lines that are not six columns ending in the
# schema of KEYS (a duration histogram in the fifth: "-" or BUCKET:COUNT,...)
bad_lines () {
  awk -F '\t' -v re="$(schema_re "$2")" 'NF != 6 || $6 !~ re || $2 !~ /^[0-9]+$/ || $3 !~ /^[0-9]+$/ || $5 !~ /^(-|[0-9]+:[0-9]+(,[0-9]+:[0-9]+)*)$/' "$1"
}
for c in basjes-partial:day,status_class sample-partial:day,path \
         sample-sketch-key-file:day,status merge-to-partial:day,status; do
  f=$ACTUAL/aggregate-${c%:*}.out
  check_true "partial ${c%:*}: the schema column on every line, no header" \
    "$(bad_lines "$f" "${c#*:}" | head -n 3 | cut -c 1-200)" \
    eval 'test -s "$f" && test -z "$(bad_lines "$f" "${c#*:}")"'
done
digests=$(cat "$ACTUAL"/aggregate-{basjes-partial,sample-partial,sample-sketch-key-file,merge-to-partial}.out \
  "$RUN/gen/sample.partial" | sed 's/.*;sketch=//' | sort -u)
check_true "partials of one sketch key carry one digest" "$digests" \
  test "$(printf '%s\n' "$digests" | wc -l)" = 1
d2=$(sed 's/.*;sketch=//' "$RUN/gen/sample-key2.partial" | sort -u)
check_true "a partial of another sketch key carries another digest" "$digests / $d2" \
  eval 'test -n "$d2" && test "$d2" != "$digests" && test "$(printf "%s\n" "$d2" | wc -l)" = 1'
if command -v python3 >/dev/null 2>&1; then
  check_true "jsonl: python3 parses every line" "" \
    python3 -c 'import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    json.loads(line)' "$jl"
fi
# a second run, another process and another hash seed: same bytes
run_in "$WORK/again" -a day,path --path-depth 1 --min-visitors 50 -k key \
  thirdparty/basjes-hackers-access-part1.log
check_files "deterministic: a second run gives the same rows" \
  "$ACTUAL/aggregate-basjes-day-path1-mv50.out" "$WORK/again.out"

# --min-visitors 1 turns suppression off: no row is folded, not even one
# without an address (host names, "-": no visitor digest, 0 visitors)
run_in "$WORK/hosts" -a day,path --min-visitors 1 -k key in/hosts.log
printf '%s\r\n' 'day,path,requests,bytes,visitors' \
  '"2000-10-10","/address-in-host-name",1,7,0' '"2000-10-10","/dash",1,4,0' \
  '"2000-10-10","/host-name",1,2,0' '"2000-10-10","/localhost",1,1,0' \
  '"2000-10-10","/reverse-dns",1,6,0' '"2000-10-10","/unix-socket",1,3,0' \
  '"2000-10-10","/unknown",1,5,0' >"$WORK/hosts.expected"
check_files "--min-visitors 1 folds nothing (clients without an address)" \
  "$WORK/hosts.expected" "$WORK/hosts.out"

# --------------------------------------------------------------- errors

# err NAME STATUS NEEDLE ARGS...: exit status, nothing on stdout, NEEDLE
# in the message.
err () {
  local name=$1 want=$2 needle=$3
  shift 3
  run_in "$WORK/err" "$@"
  check_status "error: $name: exit status $want" "$want" "$RC"
  check_empty "error: $name: no rows written" "$WORK/err.out"
  [ -z "$needle" ] || check_contains "error: $name: message" "$needle" "$WORK/err.err"
}

err "unknown key" 1 "unknown key 'nosuch'" -a day,nosuch -k key in/common.log
err "unknown key lists the valid ones" 1 "referer_origin" -a nosuch -k key in/common.log
err "two time keys" 1 "at most one time key" -a day,hour -k key in/common.log
err "more than 8 keys" 1 "at most 8" -a status,status,status,status,status,status,status,status,status -k key in/common.log
err "country without --geo-db" 1 "needs --geo-db" -a day,country -k key in/common.log
err "--partial without a key" 1 "--partial needs a shared sketch key" -a day --partial in/common.log
err "--partial without --aggregate" 1 "--partial needs --aggregate" --partial -k key in/common.log
err "--fields with --aggregate" 1 "--fields" -a day --fields time,path -k key in/common.log
err "--min-visitors 0" 1 "min-visitors" -a day --min-visitors 0 -k key in/common.log
err "--min-requests x" 1 "min-requests" -a day --min-requests x -k key in/common.log
err "missing --sketch-key-file" 2 "" -a day --partial --sketch-key-file gen/nosuch.key in/common.log
err "merge: different sketch keys" 2 "different sketch key" merge gen/sample.partial gen/sample-key2.partial
err "merge: different sketch keys, the other order" 2 "different sketch key" merge gen/sample-key2.partial gen/sample.partial
STDIN=$RUN/gen/both.partial
cat "$RUN/gen/sample.partial" "$RUN/gen/sample-key2.partial" >"$STDIN"
err "merge: different sketch keys on stdin" 2 "(standard input):" merge
unset STDIN
err "merge: different keys" 2 "other keys" merge gen/sample.partial gen/sample-path.partial
err "merge: a log instead of partials" 3 "in/common.log:1: not a lognym partial" merge in/common.log
printf 'garbage\n' >"$RUN/gen/garbage"
err "merge: garbage" 3 "not a lognym partial" merge gen/garbage
{ head -n 2 "$RUN/gen/sample.partial"; printf 'x\t1\n'; } >"$RUN/gen/short-line.partial"
err "merge: malformed row" 3 "gen/short-line.partial:3: not a lognym partial line" merge gen/short-line.partial
# one line made with another sketch key, in the middle of a stream
check_true "gen/sample.partial has more than 3 lines" "" \
  test "$(wc -l <"$RUN/gen/sample.partial")" -gt 3
sed '3 s/;sketch=[0-9a-f]*$/;sketch=0123456789abcdef/' "$RUN/gen/sample.partial" >"$RUN/gen/mid-key.partial"
err "merge: another sketch key on line 3" 2 "gen/mid-key.partial:3: partial made with a different sketch key" \
  merge gen/mid-key.partial
STDIN=$RUN/gen/mid-key.partial
err "merge: another sketch key on line 3 of stdin" 2 "(standard input):3: partial made with a different sketch key" merge
unset STDIN
sed '3 s/;keys=day,status;/;keys=day,method;/' "$RUN/gen/sample.partial" >"$RUN/gen/mid-keys.partial"
err "merge: other keys on line 3" 2 "gen/mid-keys.partial:3: partial made with other keys" \
  merge gen/mid-keys.partial
# the schema column
sed '1 s/keys=day,status/keys=day,bogus/' "$RUN/gen/sample.partial" >"$RUN/gen/bogus-key.partial"
err "merge: unknown key in a schema is malformed input" 3 "gen/bogus-key.partial:1: " \
  merge gen/bogus-key.partial
sed '4 s/keys=day,status/keys=day,bogus/' "$RUN/gen/sample.partial" >"$RUN/gen/bogus-key4.partial"
err "merge: unknown key in the schema of line 4" 3 "gen/bogus-key4.partial:4: " \
  merge gen/bogus-key4.partial
sed '2 s/;precision=12;/;precision=14;/' "$RUN/gen/sample.partial" >"$RUN/gen/p14.partial"
err "merge: a schema of another precision" 3 "gen/p14.partial:2: malformed partial line (schema)" \
  merge gen/p14.partial
sed '2 s/\tlognym-partial-v3;/\tlognym-partial-v0;/' "$RUN/gen/sample.partial" >"$RUN/gen/v0.partial"
err "merge: another version of the format" 3 "gen/v0.partial:2: partial of another lognym version" \
  merge gen/v0.partial
# v2 sketches counted SipHash digests of the addresses: not mixed with v3's
sed '2 s/\tlognym-partial-v3;/\tlognym-partial-v2;/' "$RUN/gen/sample.partial" >"$RUN/gen/v2.partial"
err "merge: a v2 line among v3 lines" 3 \
  "gen/v2.partial:2: partial of an older lognym (lognym-partial-v2), whose visitor sketches" \
  merge gen/v2.partial
cut -f 1-4 "$RUN/gen/sample.partial" >"$RUN/gen/no-schema.partial"
err "merge: lines without the schema column" 3 "gen/no-schema.partial:1: not a lognym partial line" \
  merge gen/no-schema.partial
# the old format: a header line, then rows of four columns
{ printf '#lognym-partial v1 keys=day,status path_depth=0 precision=12 sketch=%s\n' \
    "$(head -n 1 "$RUN/gen/sample.partial" | sed 's/.*;sketch=//')"
  cut -f 1-4 "$RUN/gen/sample.partial"; } >"$RUN/gen/old-format.partial"
err "merge: the old format with a header line" 3 "gen/old-format.partial:1: not a lognym partial line" \
  merge gen/old-format.partial

# --tz, durations and --flush-every
FMT_D='%h %l %u %t "%r" %>s %b %D'
"$LOGNYM" -f "$FMT_D" -a hour,path --partial -k "$KEY" "$DATA/in-agg/durations.log" \
  2>/dev/null >"$RUN/gen/dur-utc.partial"
"$LOGNYM" -f "$FMT_D" -a hour,path --tz Europe/Berlin --partial -k "$KEY" \
  "$DATA/in-agg/durations.log" 2>/dev/null >"$RUN/gen/dur-berlin.partial"
# the same lines without a duration field (%P takes the number)
"$LOGNYM" -f '%h %l %u %t "%r" %>s %b %P' -a hour,path --partial -k "$KEY" \
  "$DATA/in-agg/durations.log" 2>/dev/null >"$RUN/gen/nodur-utc.partial"
err "merge: partials of two time zones" 2 \
  "gen/dur-berlin.partial:1: partial bucketed in time zone Europe/Berlin, the lines before it in UTC" \
  merge gen/dur-utc.partial gen/dur-berlin.partial
err "merge: partials with and without durations" 2 "gen/nodur-utc.partial:1: partial with duration histograms" \
  merge gen/dur-utc.partial gen/nodur-utc.partial
err "--tz: an unknown zone" 1 "invalid value 'Mars/Olympus' for --tz" -a day --tz Mars/Olympus in-agg/durations.log
err "--tz without --aggregate" 1 "--tz needs --aggregate" --tz UTC in-agg/durations.log
err "--tz with merge" 1 "--tz needs --aggregate" merge --tz UTC gen/dur-utc.partial
err "--flush-every: an unknown period" 1 "invalid value 'fortnight' for --flush-every" \
  -a day --flush-every fortnight in-agg/durations.log
err "--flush-every without a time key" 1 "--flush-every needs a time key" \
  -a path --flush-every day in-agg/durations.log
err "--flush-every finer than the time key" 1 "--flush-every needs a time key" \
  -a day --flush-every hour in-agg/durations.log
err "--flush-every month with weeks" 1 "--flush-every needs a time key" \
  -a week --flush-every month in-agg/durations.log
err "--flush-every without --aggregate" 1 "--flush-every needs a time key" \
  --flush-every day in-agg/durations.log
# the flushed rows add up to the rows of a run that does not flush, and as
# partials they merge into it exactly
run_in "$WORK/flush-part" -f "$FMT_D" -a minute,path --flush-every bucket --partial -k key \
  in-agg/durations.log
"$LOGNYM" merge <"$WORK/flush-part.out" >"$WORK/flush-merged.out" 2>/dev/null
"$LOGNYM" -f "$FMT_D" -a minute,path -k "$KEY" "$DATA/in-agg/durations.log" \
  >"$WORK/flush-whole.out" 2>/dev/null
check_files "--flush-every: the merge of flushed partials is the whole" \
  "$WORK/flush-whole.out" "$WORK/flush-merged.out"
dur_sums () { awk -F, 'NR > 1 { r += $(NF - 4); b += $(NF - 3) } END { printf "%d %d\n", r, b }' "$1"; }
check_true "--flush-every: flushed rows add up to the whole" \
  "$(dur_sums "$ACTUAL/aggregate-dur-flush-minute.out") / $(dur_sums "$ACTUAL/aggregate-dur-hour-path.out")" \
  test "$(dur_sums "$ACTUAL/aggregate-dur-flush-minute.out")" = "$(dur_sums "$ACTUAL/aggregate-dur-hour-path.out")"
check_true "--flush-every: one header line" "" \
  test "$(grep -c '^minute,' "$ACTUAL/aggregate-dur-flush-minute.out")" = 1
check_true "--tz Europe/Berlin: hour labels carry +02:00 and +01:00" "" \
  eval 'grep -q "\"hour\":\"2024-10-27T02:00+02:00\"" "$ACTUAL/aggregate-dur-tz-hour-class-jsonl.out" &&
        grep -q "\"hour\":\"2024-10-27T02:00+01:00\"" "$ACTUAL/aggregate-dur-tz-hour-class-jsonl.out"'
check_true "durations: p50 <= p95 on every row, milliseconds with three decimals" \
  "$(awk -F, 'NR > 1' "$ACTUAL/aggregate-dur-hour-path.out" | head -n 3)" \
  test -z "$(awk -F, 'NR > 1 { p50 = $(NF - 1); p95 = $NF; sub(/\r$/, "", p95)
      if (p50 == "" && p95 == "") next
      if (p50 !~ /^[0-9]+\.[0-9][0-9][0-9]$/ || p95 !~ /^[0-9]+\.[0-9][0-9][0-9]$/ || p50 + 0 > p95 + 0) print }' \
      "$ACTUAL/aggregate-dur-hour-path.out")"
# durations do not depend on the locale (LC_NUMERIC=de_DE would write 1,5)
for loc in de_DE.UTF-8 fr_FR.UTF-8; do
  if locale -a 2>/dev/null | grep -qi "^${loc%.*}.utf-\?8$"; then
    (cd "$RUN" && LC_ALL=$loc "$LOGNYM" -f "$FMT_D" -a hour,path --min-visitors 3 -k key \
      in-agg/durations.log >"$WORK/locale.out" 2>/dev/null)
    check_files "durations under LC_ALL=$loc: the same digits" \
      "$ACTUAL/aggregate-dur-hour-path.out" "$WORK/locale.out"
  fi
done

# merge takes its keys from the partials: --aggregate is a usage error
run_in "$WORK/merge-a" merge -a day,status gen/sample.partial
check_status "merge -a: a usage error" 1 "$RC"
check_empty "merge -a: no rows written" "$WORK/merge-a.out"
check_contains "merge -a: message" "--aggregate does not apply to merge" "$WORK/merge-a.err"
check_not_contains "merge -a: not a sketch key error" "different sketch key" "$WORK/merge-a.err"

# an empty input merges to an empty result, in CSV too: the keys come from
# the partials, there are none, and a header of the metrics alone would be
# a table of another shape (a Hadoop reducer that got no rows)
: >"$RUN/gen/empty.partial"
run_in "$WORK/empty" merge gen/empty.partial
check_status "merge of nothing: exit status 0" 0 "$RC"
check_empty "merge of nothing: no header row either" "$WORK/empty.out"
check_empty "merge of nothing: no message" "$WORK/empty.err"
STDIN=/dev/null run_in "$WORK/empty" merge -O jsonl
check_status "merge -O jsonl of nothing: exit status 0" 0 "$RC"
check_empty "merge -O jsonl of nothing: no rows" "$WORK/empty.out"
run_in "$WORK/empty" merge --partial gen/empty.partial gen/empty.partial
check_status "merge --partial of nothing: exit status 0" 0 "$RC"
check_empty "merge --partial of nothing: no lines" "$WORK/empty.out"

# ---------------------------------------------------------- the property

# A linear congruential generator: the same cut points on every machine;
# seeded per file and key set (a new input does not move the others' cuts).
LCG=1
lcg () { LCG=$(( (LCG * 1103515245 + 12345) % 2147483648 )); }
SPLIT_CUTS=

# split_file FILE N DIR: DIR/1 .. DIR/N, at N-1 random line boundaries
# (sorted, repeats allowed: empty parts).
split_file () {
  local file=$1 n=$2 dir=$3 lines cuts=() i
  lines=$(awk 'END { print NR }' "$file")
  for ((i = 1; i < n; i++)); do
    lcg
    cuts+=($(( LCG % (lines + 1) )))
  done
  SPLIT_CUTS=$(printf '%s\n' "${cuts[@]}" | sort -n | tr '\n' ' ')
  rm -rf "$dir"
  mkdir -p "$dir"
  awk -v cuts="$SPLIT_CUTS" -v n="$n" -v dir="$dir" '
    BEGIN { k = split(cuts, c, " "); for (j = 1; j <= n; j++) printf "" >(dir "/" j); i = 1 }
    { while (i <= k && NR > c[i]) i++; print >(dir "/" i) }' "$file"
}

# property LABEL FILE AGG_ARGS...: one check per file and key set, over
# n = 1..8 parts and the variants.
PROPERTY_RUNS=0
property () {
  local label=$1 file=$2 n i dir=$WORK/split/p problems=()
  shift 2
  "$LOGNYM" "$@" -k "$KEY" "$file" >"$WORK/whole" 2>/dev/null
  "$LOGNYM" "$@" --min-visitors 1 -k "$KEY" "$file" >"$WORK/whole1" 2>/dev/null
  if [ "$(wc -l <"$WORK/whole1")" -le 1 ]; then
    skip "property $label: ${file#"$DATA"/} has no parseable line"
    return
  fi
  LCG=$(printf '%s %s' "${file##*/}" "$label" | cksum | cut -d ' ' -f 1)
  for ((n = 1; n <= 8; n++)); do
    split_file "$file" "$n" "$dir"
    for ((i = 1; i <= n; i++)); do
      "$LOGNYM" "$@" --partial -k "$KEY" "$dir/$i" >"$dir/$i.p" 2>/dev/null \
        || problems+=("n=$n: the partial of part $i failed")
    done
    (cd "$dir" && cat $(seq -f '%g.p' "$n")) >"$WORK/cat"
    PROPERTY_RUNS=$((PROPERTY_RUNS + 1))
    "$LOGNYM" merge <"$WORK/cat" >"$WORK/m" 2>"$WORK/m.err" \
      || problems+=("n=$n: merge failed: $(head -n 2 "$WORK/m.err")")
    cmp -s "$WORK/whole" "$WORK/m" \
      || problems+=("n=$n (after lines ${SPLIT_CUTS:-none}) concatenated:" "$(show_diff "$WORK/whole" "$WORK/m" | head -n 12)")
    LC_ALL=C sort "$WORK/cat" | "$LOGNYM" merge >"$WORK/m" 2>/dev/null
    cmp -s "$WORK/whole" "$WORK/m" \
      || problems+=("n=$n (after lines ${SPLIT_CUTS:-none}) sorted:" "$(show_diff "$WORK/whole" "$WORK/m" | head -n 12)")
    "$LOGNYM" merge --min-visitors 1 <"$WORK/cat" >"$WORK/m" 2>/dev/null
    cmp -s "$WORK/whole1" "$WORK/m" \
      || problems+=("n=$n (after lines ${SPLIT_CUTS:-none}) --min-visitors 1:" "$(show_diff "$WORK/whole1" "$WORK/m" | head -n 12)")
    if [ "$n" = 3 ] || [ "$n" = 8 ]; then
      (cd "$dir" && "$LOGNYM" merge $(seq -f '%g.p' "$n") >"$WORK/m" 2>/dev/null)
      cmp -s "$WORK/whole" "$WORK/m" \
        || problems+=("n=$n (after lines ${SPLIT_CUTS:-none}) as files:" "$(show_diff "$WORK/whole" "$WORK/m" | head -n 12)")
    fi
  done
  if [ ${#problems[@]} -eq 0 ]; then
    pass "property $label: ${file#"$DATA"/}, split into 1..8 parts"
  else
    fail "property $label: ${file#"$DATA"/}, split into 1..8 parts" "${problems[@]}"
  fi
}

for f in "$DATA"/thirdparty/*.log "$DATA"/in/*.log; do
  property "day,status" "$f" -a day,status
done
if [ -n "$GEO" ]; then
  for f in "$DATA"/in-geo/*.log "$DATA"/thirdparty/basjes-hackers-access-part1.log \
           "$DATA"/in/ipv6.log "$DATA"/in/xff.log "$DATA"/in/mixed.log; do
    property "day,country" "$f" -a day,country --geo-db "$GEO"
  done
else
  skip "property day,country (no tests/data/geo/tiny-country.mmdb)"
fi
# every key at once, on the largest inputs
for f in "$DATA"/thirdparty/basjes-hackers-access-part1.log "$DATA"/thirdparty/netdata-big_combined.log \
         "$DATA"/in/vhost_combined.log; do
  property "hour,vhost,method,path,status_class,referer_origin" "$f" \
    -a hour,vhost,method,path,status_class,referer_origin --path-depth 2
done
# durations and --tz: histograms and zones merge exactly too
property "hour,path durations" "$DATA/in-agg/durations.log" -f "$FMT_D" -a hour,path
property "minute,status_class durations --tz" "$DATA/in-agg/durations.log" -f "$FMT_D" \
  -a minute,status_class --tz Europe/Berlin
for f in "$DATA"/in-agg/durations.log "$DATA"/thirdparty/basjes-hackers-access-part1.log; do
  property "day,path --tz -07:00" "$f" -a day,path --path-depth 1 --tz -07:00
done
echo "# property: $PROPERTY_RUNS splits merged"

# Partial lines in any order merge alike: there is no header line that
# must come first.  Rows whose first key sorts before '#' or 'l' (here the
# path "!bang"), sorted, reversed and ordered by their sketches.
printf '%s\n' \
  '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET !bang HTTP/1.1" 200 1' \
  '192.0.2.2 - - [10/Oct/2000:13:55:36 -0700] "GET /ok HTTP/1.1" 200 2' \
  '192.0.2.3 - - [11/Oct/2000:13:55:36 -0700] "GET /ok HTTP/1.1" 200 4' \
  '192.0.2.4 - - [11/Oct/2000:13:55:36 -0700] "GET /~tilde HTTP/1.1" 200 8' >"$WORK/bang.log"
"$LOGNYM" -a day,path --min-visitors 1 -k "$KEY" "$WORK/bang.log" >"$WORK/bang.whole" 2>/dev/null
"$LOGNYM" -a day,path --partial -k "$KEY" "$WORK/bang.log" >"$WORK/bang.p" 2>/dev/null
check_true "any order: the partial has 4 lines" "$(cat -v "$WORK/bang.p")" \
  test "$(wc -l <"$WORK/bang.p")" = 4
for order in sort "sort -r" tac "sort -t $'\t' -k4,4"; do
  eval "LC_ALL=C $order" <"$WORK/bang.p" >"$WORK/bang.o"
  (cd "$WORK" && "$LOGNYM" merge --min-visitors 1 bang.o >bang.m 2>bang.err)
  RC=$?
  check_true "any order ($order): merged" "exit status $RC: $(cat "$WORK/bang.err")" test "$RC" = 0
  check_files "any order ($order): the rows of the whole" "$WORK/bang.whole" "$WORK/bang.m"
done
check_true "any order: the orders differ" "" \
  test "$(LC_ALL=C sort "$WORK/bang.p" | md5sum)" != "$(LC_ALL=C sort -r "$WORK/bang.p" | md5sum)"

# ------------------------------------------------------------- recipes

BIG=$DATA/thirdparty/basjes-hackers-access-part1.log
"$LOGNYM" -a day,status -k "$KEY" "$BIG" >"$WORK/big.whole" 2>/dev/null

# one machine: GNU parallel --pipe
if command -v parallel >/dev/null 2>&1; then
  for log in "$BIG" "$DATA/thirdparty/netdata-big_combined.log"; do
    "$LOGNYM" -a day,status -k "$KEY" "$log" >"$WORK/par.whole" 2>/dev/null
    parallel --will-cite -j 2 --pipe -N 500 "$LOGNYM" -a day,status --partial -k "$KEY" \
      <"$log" 2>/dev/null | "$LOGNYM" merge >"$WORK/par.out" 2>"$WORK/par.err"
    check_files "recipe: parallel --pipe -N 500 ... --partial | lognym merge: ${log#"$DATA"/}" \
      "$WORK/par.whole" "$WORK/par.out"
  done
  parallel --will-cite -j 2 --pipe -N 300 "$LOGNYM" -a week,country,status_class --partial \
    -k "$KEY" ${GEO:+--geo-db "$GEO"} <"$BIG" >"$WORK/par.p" 2>/dev/null
  if [ -n "$GEO" ]; then
    "$LOGNYM" -a week,country,status_class -k "$KEY" --geo-db "$GEO" "$BIG" >"$WORK/par.whole" 2>/dev/null
    "$LOGNYM" merge <"$WORK/par.p" >"$WORK/par.out" 2>/dev/null
    check_files "recipe: parallel --pipe -N 300, week,country,status_class" \
      "$WORK/par.whole" "$WORK/par.out"
  fi
else
  skip "recipe: GNU parallel (not installed: apt-get install parallel)"
fi

# Hadoop Streaming, simulated: the input split into blocks, the mapper on
# each, its lines handed on as key<TAB>value (a line without a tab is all
# key: Hadoop writes it with an empty value after a tab), sorted by key,
# one reducer.
hadoop () {   # hadoop COMBINER(yes|no) OUTPUT
  local chunk
  rm -rf "$WORK/hd"
  mkdir -p "$WORK/hd"
  (cd "$WORK/hd" && split -l 400 "$BIG" in.)
  for chunk in "$WORK"/hd/in.*; do
    if [ "$1" = yes ]; then
      "$LOGNYM" -a day,status --partial -k "$KEY" "$chunk" 2>/dev/null \
        | "$LOGNYM" merge --partial
    else
      "$LOGNYM" -a day,status --partial -k "$KEY" "$chunk" 2>/dev/null
    fi
  done | awk '{ if (index($0, "\t")) print; else print $0 "\t" }' \
       | LC_ALL=C sort -t "$(printf '\t')" -k1,1 \
       | "$LOGNYM" merge >"$2" 2>"$2.err"
}
hadoop no "$WORK/hd.out"
check_files "recipe: Hadoop Streaming -mapper '... --partial' -reducer 'lognym merge'" \
  "$WORK/big.whole" "$WORK/hd.out"
hadoop yes "$WORK/hd2.out"
check_files "recipe: Hadoop Streaming with -combiner 'lognym merge --partial'" \
  "$WORK/big.whole" "$WORK/hd2.out"

# Two reducers, 'lognym merge --partial' each, then 'lognym merge' over
# their outputs: neither reducer sees a header (there is none).  The
# shuffled lines given to them half and half (a key's lines may go to
# both), and partitioned by key as Hadoop's partitioner does (all lines of
# a key to one reducer).
(cd "$WORK/hd" && for chunk in in.*; do
   "$LOGNYM" -a day,status --partial -k "$KEY" "$chunk" 2>/dev/null
 done) | LC_ALL=C sort -t "$(printf '\t')" -k1,1 >"$WORK/hd/shuffled"
lines=$(wc -l <"$WORK/hd/shuffled")
head -n $((lines / 2)) "$WORK/hd/shuffled" >"$WORK/hd/half1"
tail -n +$((lines / 2 + 1)) "$WORK/hd/shuffled" >"$WORK/hd/half2"
# by the day's last digit: odd days to the second reducer
awk -F '\t' '{ print >(FILENAME ".by-key" (substr($1, 10, 1) % 2 + 1)) }' "$WORK/hd/shuffled"
for split in half by-key; do
  case $split in
    half) r1=$WORK/hd/half1 r2=$WORK/hd/half2 ;;
    by-key) r1=$WORK/hd/shuffled.by-key1 r2=$WORK/hd/shuffled.by-key2 ;;
  esac
  check_true "recipe: two reducers ($split): each gets lines" "$(wc -l "$r1" "$r2")" \
    eval 'test -s "$r1" && test -s "$r2"'
  "$LOGNYM" merge --partial <"$r1" >"$WORK/hd/r1.p" 2>"$WORK/hd/r.err"
  "$LOGNYM" merge --partial <"$r2" >"$WORK/hd/r2.p" 2>>"$WORK/hd/r.err"
  check_true "recipe: two reducers ($split): the schema on every line they write" \
    "$(cat "$WORK/hd/r.err"; bad_lines "$WORK/hd/r1.p" day,status | head -n 2 | cut -c 1-200)" \
    eval 'test -s "$WORK/hd/r1.p" && test -s "$WORK/hd/r2.p" && test -z "$(bad_lines "$WORK/hd/r1.p" day,status; bad_lines "$WORK/hd/r2.p" day,status)"'
  cat "$WORK/hd/r2.p" "$WORK/hd/r1.p" | "$LOGNYM" merge >"$WORK/hd/r.out" 2>/dev/null
  check_files "recipe: two reducers ($split), merged again: the aggregate of the whole" \
    "$WORK/big.whole" "$WORK/hd/r.out"
done
# Spark: rdd.pipe(mapper).coalesce(1).pipe('lognym merge'): the partials
# of the partitions, concatenated in partition order
(cd "$WORK/hd" && for chunk in in.*; do
   "$LOGNYM" -a day,status --partial -k "$KEY" "$chunk" 2>/dev/null
 done) | "$LOGNYM" merge >"$WORK/spark.out" 2>/dev/null
check_files "recipe: Spark pipe() then coalesce(1).pipe('lognym merge')" "$WORK/big.whole" "$WORK/spark.out"

# the sketch key from --sketch-key-file, whatever --key-file says
"$LOGNYM" -a day,status --partial -k "$KEY" "$WORK/hd/in.aa" >"$WORK/sk1" 2>/dev/null
"$LOGNYM" -a day,status --partial -k "$KEY2" --sketch-key-file "$KEY" "$WORK/hd/in.ab" >"$WORK/sk2" 2>/dev/null
"$LOGNYM" -a day,status -k "$KEY" "$WORK/hd/in.aa" "$WORK/hd/in.ab" >"$WORK/sk.whole" 2>/dev/null
"$LOGNYM" merge "$WORK/sk1" "$WORK/sk2" >"$WORK/sk.out" 2>"$WORK/sk.err"
check_files "--sketch-key-file overrides --key-file for the sketches" "$WORK/sk.whole" "$WORK/sk.out"

# ---------------------------------------------- --flush-every on a pipe

# poll_rows FILE N: up to 30 s for FILE to hold N lines (a bound against a
# hang, not a timing: the check is that the rows come before EOF)
poll_rows () {
  local i
  for ((i = 0; i < 300; i++)); do
    [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
# sums of requests and bytes of CSV rows with the two duration columns
flush_pipe () {   # flush_pipe END: "eof" or "term"
  local fifo=$WORK/flush.fifo pid rc seen=no
  rm -f "$fifo"
  mkfifo "$fifo" || return
  (cd "$RUN" && exec "$LOGNYM" -f "$FMT_D" -a minute,path --flush-every minute \
     --min-visitors 1 -k key --stats-file "$WORK/fifo.stats" <"$fifo" >"$WORK/fifo.out" \
     2>"$WORK/fifo.err") &
  pid=$!
  exec 7>"$fifo"
  head -n 100 "$DATA/in-agg/durations.log" >&7
  poll_rows "$WORK/fifo.out" 3 && seen=yes
  check_true "--flush-every on a pipe ($1): rows of closed minutes come before EOF" \
    "$(cat "$WORK/fifo.out" "$WORK/fifo.err")" test "$seen" = yes
  if [ "$1" = term ]; then
    kill -TERM "$pid"
  else
    tail -n +101 "$DATA/in-agg/durations.log" >&7
  fi
  exec 7>&-
  wait "$pid"
  rc=$?
  check_status "--flush-every on a pipe ($1): exit status 0" 0 "$rc"
  # what was read is written: the rows add up to a run over those lines
  n=$(sed 's/.*"lines_read":\([0-9]*\).*/\1/' "$WORK/fifo.stats")
  head -n "$n" "$DATA/in-agg/durations.log" >"$WORK/fifo.read"
  "$LOGNYM" -f "$FMT_D" -a minute,path --min-visitors 1 -k "$KEY" "$WORK/fifo.read" \
    >"$WORK/fifo.whole" 2>/dev/null
  check_true "--flush-every on a pipe ($1): the rows add up to a run without it ($n lines)" \
    "$(dur_sums "$WORK/fifo.out") / $(dur_sums "$WORK/fifo.whole")" \
    eval 'test "$n" -ge 100 && test "$(dur_sums "$WORK/fifo.out")" = "$(dur_sums "$WORK/fifo.whole")"'
}
flush_pipe eof
flush_pipe term

# --------------------------------------------------------------- memory

gen_log () {   # gen_log LINES PATHS: one day, 50000 clients
  awk -v n="$1" -v paths="$2" 'BEGIN {
    srand(20261125)
    for (i = 0; i < n; i++) {
      s = int(i * 86400 / n); a = int(rand() * 50000)
      printf "10.%d.%d.%d - - [25/Nov/2026:%02d:%02d:%02d +0000] \"GET /p%d HTTP/1.1\" 200 %d\n",
        int(a / 65536) % 256, int(a / 256) % 256, a % 256,
        int(s / 3600), int(s / 60) % 60, s % 60, i % paths, i % 1000
    }
  }'
}
if [ -x /usr/bin/time ]; then
  gen_log 200000 50 >"$WORK/mem-big.log"
  gen_log 20000 50 >"$WORK/mem-small.log"
  for size in small big; do
    /usr/bin/time -f %M -o "$WORK/mem-$size.rss" "$LOGNYM" -a minute -k "$KEY" \
      "$WORK/mem-$size.log" >"$WORK/mem-$size.out" 2>/dev/null
  done
  rss_big=$(tail -n 1 "$WORK/mem-big.rss")
  rss_small=$(tail -n 1 "$WORK/mem-small.rss")
  rows=$(($(wc -l <"$WORK/mem-big.out") - 1))
  echo "# memory: -a minute, 200000 lines -> $rows rows (dense sketches): peak RSS $rss_big KiB;" \
       "20000 lines -> $(($(wc -l <"$WORK/mem-small.out") - 1)) rows: $rss_small KiB"
  check_true "memory: 200000 lines give 1440 minute rows" "got $rows" test "$rows" = 1440
  if grep -q -a -e __asan_init -e __ubsan_handle "$LOGNYM" 2>/dev/null; then
    skip "memory: RSS bound (a sanitizer build)"
  else
    check_true "memory: peak RSS of -a minute over 200000 lines < 64 MiB" \
      "peak RSS $rss_big KiB" test "$rss_big" -lt 65536
    check_true "memory: 10 times the lines in the same rows cost < 16 MiB more" \
      "$rss_small KiB -> $rss_big KiB" test $((rss_big - rss_small)) -lt 16384
  fi
  # with many rows of few visitors: sparse sketches
  gen_log 200000 20000 >"$WORK/mem-rows.log"
  /usr/bin/time -f %M -o "$WORK/mem-rows.rss" "$LOGNYM" -a day,path --min-visitors 1 -k "$KEY" \
    "$WORK/mem-rows.log" >"$WORK/mem-rows.out" 2>/dev/null
  echo "# memory: -a day,path, 200000 lines -> $(($(wc -l <"$WORK/mem-rows.out") - 1)) rows" \
       "of ~10 visitors (sparse sketches): peak RSS $(tail -n 1 "$WORK/mem-rows.rss") KiB"
else
  skip "memory (no /usr/bin/time: apt-get install time)"
fi

# ----------------------------------------------------------- leak check

# --any forbids every client address of the input, even one that is its
# own truncation; it applies to keys that carry no text of the log's
# (times, codes, countries) and to the sketches of partials.  Keys that
# carry masked text (vhost, path, referer_origin) get the ordinary check:
# a masked address may equal a client that was already truncated in the
# input (in/ipv6.log: "2001:db8:abcd::" is a client, and the referer
# "http://[2001:db8:abcd:12::7]/" masks to it), which is no leak.
if [ -n "$LEAKCHECK" ] && [ -x "$LEAKCHECK" ]; then
  leaks=()
  n=0
  for f in "$DATA"/in/*.log "$DATA"/thirdparty/*.log "$DATA"/in-geo/*.log "$SAMPLE"; do
    for variant in any-csv any-partial text-csv text-partial; do
      case $variant in
        any-csv) set -- --any -a minute,method,status,status_class --min-visitors 1 ;;
        any-partial) set -- --any -a hour,method,status ${GEO:+-a hour,country,method,status --geo-db "$GEO"} --partial ;;
        text-csv) set -- -a day,vhost,method,path,status,referer_origin --min-visitors 1 ;;
        text-partial) set -- -a minute,vhost,path,referer_origin --partial ;;
      esac
      if [ "$1" = --any ]; then
        shift
        lcopt=--any
      else
        lcopt=
      fi
      "$LOGNYM" "$@" -k "$KEY" "$f" >"$WORK/lk.out" 2>/dev/null
      "$LEAKCHECK" $lcopt "$f" "$WORK/lk.out" >"$WORK/lk.report" 2>&1
      rc=$?
      n=$((n + 1))
      [ "$rc" = 0 ] || leaks+=("${f#"$DATA"/} ($variant, status $rc):" "$(head -n 5 "$WORK/lk.report")")
    done
  done
  if [ ${#leaks[@]} -eq 0 ]; then
    pass "leakcheck: no client address in the aggregates of $n runs (--any where no log text is kept)"
  else
    fail "leakcheck: no client address in the aggregates" "${leaks[@]}"
  fi
else
  skip "leakcheck (tests/leakcheck not built)"
fi

[ "$SKIPPED" = 0 ] || echo "# $SKIPPED skipped"
finish
