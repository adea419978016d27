#!/bin/bash
# tests/e2e/cron.sh - nightly batches: lognym over many files goes on past
# an unreadable one and exits 2 at the end, naming it; and the shipped
# examples data/cron.d/lognym.example (a cron.d line) and
# data/cron.d/lognym-archive.example (the script it runs: rotated logs
# anonymised into an archive, an original deleted only once its copy is
# complete), run here with /bin/sh over a temporary directory.
#
# An unreadable file is one with mode 000, read as nobody (setpriv) when
# the test runs as root, since root reads it anyway.

. "$(dirname "$0")/lib.sh"

CRON_EXAMPLE=$TESTS_SRCDIR/../data/cron.d/lognym.example
ARCHIVE=$TESTS_SRCDIR/../data/cron.d/lognym-archive.example

D=$WORK/cron
mkdir -p "$D" || exit 99
cd "$D" || exit 99

IS_ROOT=no
[ "$(id -u)" = 0 ] && IS_ROOT=yes
NOBODY_GID=$(id -g nobody 2>/dev/null || echo 65534)
if [ "$IS_ROOT" = yes ]; then
  # nobody must reach the files
  chmod 755 "$WORK" "$D"
fi

# as_other CMD...: CMD as nobody when root, else as ourselves
as_other () {
  if [ "$IS_ROOT" = yes ]; then
    setpriv --reuid=nobody --regid="$NOBODY_GID" --clear-groups -- "$@"
  else
    "$@"
  fi
}

# gen FILE TAG N: N combined lines with path /TAG/i
gen () {
  awk -v tag="$2" -v n="$3" 'BEGIN {
    for (i = 1; i <= n; i++)
      printf "192.0.2.%d - - [10/Oct/2000:13:55:36 -0700] \"GET /%s/%d?from=198.51.100.%d HTTP/1.1\" 200 %d \"-\" \"ua\"\n",
        i % 250 + 1, tag, i, i % 250 + 1, i
  }' >"$1"
}

# --- lognym over five files, the third unreadable ---------------------------------
mkdir -m 777 batch
for i in 1 2 3 4 5; do
  gen "batch/f$i.log" "f$i" $((i * 10))
done
gzip -n batch/f5.log
chmod 000 batch/f3.log
as_other "$LOGNYM" --stats -o batch/out.log batch/f1.log batch/f2.log batch/f3.log \
  batch/f4.log batch/f5.log.gz >r.out 2>r.err
RC=$?
check_status "batch, third file unreadable: exit status 2" 2 "$RC"
grep -v '^lognym: stats:' r.err >errors.txt
check_text "batch: the unreadable file named, once" \
  "lognym: batch/f3.log: cannot open: Permission denied" errors.txt
sed -n 's|^.*"GET /\(f[0-9]\)/.*$|\1|p' batch/out.log | uniq -c | awk '{ print $2, $1 }' >done.txt
check_text "batch: the four others processed, in order, every line once" "f1 10
f2 20
f4 40
f5 50" done.txt
grep '^lognym: stats:' r.err >stats.txt
check_true "batch: --stats line present" "no stats line in: $(cat r.err)" test -s stats.txt
check_contains "batch: --stats counts the four files" " files=4 " stats.txt
check_contains "batch: --stats counts their lines" " lines_written=120 " stats.txt
check_empty "batch: nothing on stdout with -o" r.out
"$LOGNYM" audit batch/out.log >audit.out 2>&1
check_status "batch: lognym audit of the output: status 0" 0 "$?"

# the same to standard output, the unreadable file first and last
as_other "$LOGNYM" batch/f3.log batch/f1.log batch/f3.log >r.out 2>r.err
RC=$?
check_status "batch to stdout, unreadable first and last: exit status 2" 2 "$RC"
check_value "batch to stdout: the middle file written" 10 "$(grep -c '"GET /f1/' r.out)"
check_value "batch to stdout: both failures reported" 2 "$(grep -c 'batch/f3.log: cannot open' r.err)"
chmod 644 batch/f3.log

# --- data/cron.d/lognym.example ------------------------------------------------------
if [ ! -f "$CRON_EXAMPLE" ] || [ ! -f "$ARCHIVE" ]; then
  fail "the cron examples are shipped" "missing: $CRON_EXAMPLE or $ARCHIVE"
  finish
fi
# jobs: lines that are neither comments, blank, nor VAR=value
grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' -e '^[A-Za-z_][A-Za-z0-9_]*=' "$CRON_EXAMPLE" >jobs.txt
check_value "cron.d example: exactly one job line" 1 "$(wc -l <jobs.txt)"
# minute hour dom month dow user command...
if awk 'NF >= 7 && $1 ~ /^[0-9*,\/-]+$/ && $2 ~ /^[0-9*,\/-]+$/ && $3 ~ /^[0-9*,\/-]+$/ &&
        $4 ~ /^[0-9*,\/-]+$/ && $5 ~ /^[0-9*,\/-]+$/ && $6 ~ /^[a-z_][a-z0-9_-]*$/ { ok = 1 }
        END { exit !ok }' jobs.txt; then
  pass "cron.d example: five time fields, a user, a command"
else
  fail "cron.d example: five time fields, a user, a command" "$(cat jobs.txt)"
fi
check_contains "cron.d example: runs the archive script" "lognym-archive" jobs.txt
check_true "lognym-archive.example: valid sh (sh -n)" "syntax error" sh -n "$ARCHIVE"
check_true "lognym-archive.example: executable in the source tree" "mode $(stat -c %a "$ARCHIVE")" \
  test -x "$ARCHIVE"

# --- data/cron.d/lognym-archive.example ---------------------------------------------
SRC=$D/apache2
DST=$D/apache2/anonymised
mkdir -p "$SRC"
gen "$SRC/access.log" live 5
gen "$SRC/access.log.1" one 5
for i in 2 3 4 5 6; do
  gen "$SRC/access.log.$i" "r$i" $((i * 7))
  "$LOGNYM" "$SRC/access.log.$i" >"expected.$i" 2>/dev/null
  gzip -n "$SRC/access.log.$i"
  touch -d "2024-01-0$i 03:00:00" "$SRC/access.log.$i.gz"
done
cp -p "$SRC/access.log" live.orig
cp -p "$SRC/access.log.1" one.orig
cp -p "$SRC/access.log.4.gz" four.orig
chmod 000 "$SRC/access.log.4.gz"
[ "$IS_ROOT" = yes ] && chown -R nobody "$SRC"
as_other env LOGNYM="$LOGNYM" sh "$ARCHIVE" "$SRC" "$DST" >r.out 2>r.err
RC=$?
check_status "archive script, one rotated log unreadable: exit status 2" 2 "$RC"
check_contains "archive script: the unreadable log named by lognym" \
  "lognym: $SRC/access.log.4.gz: cannot open: Permission denied" r.err
check_contains "archive script: and said to be kept" "$SRC/access.log.4.gz: not archived, kept" r.err
ok=
for i in 2 3 5 6; do
  a=$DST/access.log.$i.gz
  if [ ! -f "$a" ]; then ok="$ok $i:missing"; continue; fi
  gzip -t "$a" 2>/dev/null || ok="$ok $i:not-gzip"
  zcat "$a" 2>/dev/null | cmp -s - "expected.$i" || ok="$ok $i:content"
  [ "$(stat -c %y "$a")" = "$(date -d "2024-01-0$i 03:00:00" '+%Y-%m-%d %H:%M:%S.000000000 %z')" ] \
    || ok="$ok $i:mtime"
  [ -e "$SRC/access.log.$i.gz" ] && ok="$ok $i:original-left"
done
check_value "archive script: the four others archived (gzip, anonymised, mtime kept) and deleted" \
  "" "$ok"
chmod 644 "$SRC/access.log.4.gz"
check_files "archive script: the unreadable log is kept as it was" four.orig "$SRC/access.log.4.gz"
check_true "archive script: nothing archived for it" "it is in the archive" \
  test ! -e "$DST/access.log.4.gz"
check_files "archive script: the live access.log untouched" live.orig "$SRC/access.log"
check_files "archive script: access.log.1 untouched" one.orig "$SRC/access.log.1"
find "$DST" -name '.*' -type f >partial.txt
check_empty "archive script: no partial file left in the archive" partial.txt
"$LOGNYM" audit "$DST"/access.log.*.gz >audit.out 2>&1
check_status "archive script: lognym audit of the archive: status 0" 0 "$?"
check_empty "archive script: nothing on stdout" r.out

# once readable, the next night's run archives it
as_other env LOGNYM="$LOGNYM" sh "$ARCHIVE" "$SRC" "$DST" >r.out 2>r.err
RC=$?
check_status "archive script, next run: exit status 0" 0 "$RC"
check_empty "archive script, next run: no message" r.err
zcat "$DST/access.log.4.gz" 2>/dev/null >four.got
check_files "archive script, next run: the log kept last time is archived" expected.4 four.got
check_true "archive script, next run: and its original deleted" "still there" \
  test ! -e "$SRC/access.log.4.gz"

# a failing lognym (a bad option) keeps every original
gen "$SRC/access.log.7" r7 3
gzip -n "$SRC/access.log.7"
[ "$IS_ROOT" = yes ] && chown nobody "$SRC/access.log.7.gz"
as_other env LOGNYM="$LOGNYM" LOGNYM_OPTIONS="--no-such-option" sh "$ARCHIVE" "$SRC" "$DST" \
  >r.out 2>r.err
RC=$?
check_status "archive script, lognym failing: exit status 2" 2 "$RC"
check_true "archive script, lognym failing: the original kept" "deleted" \
  test -f "$SRC/access.log.7.gz"
check_true "archive script, lognym failing: nothing archived" "archived" \
  test ! -e "$DST/access.log.7.gz"

finish
