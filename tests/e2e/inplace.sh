#!/bin/bash
# tests/e2e/inplace.sh - lognym --in-place FILE...: each file rewritten
# atomically (a hidden temporary file in the same directory, renamed over
# the original), keeping owner, group, mode and mtime; gzip stays gzip; the
# original untouched when anything fails: SIGKILL half-way through a large
# file, a file size limit (ulimit -f), a directory the user cannot write
# to, an unreadable file among several, --malformed=fail.  With
# --shred-original the replaced inode is all zeros afterwards (read through
# a descriptor held since before the run), a file with other hard links is
# refused, and SIGKILL half-way still leaves the original intact.
#
# The expected content of a rewritten file is lognym's ordinary output for
# the same file on standard output (io.sh and golden.sh check that output).
# The checks that need another user (an unwritable directory, an unreadable
# file) run lognym as nobody with setpriv when root, and are done directly
# (or skipped, for the directory) otherwise.

. "$(dirname "$0")/lib.sh"

D=$WORK/inplace
mkdir -p "$D" || exit 99
cd "$D" || exit 99

SKIPPED=0
skip () {
  SKIPPED=$((SKIPPED + 1))
  printf 'skip - %s\n' "$1"
}

PIDS=
inplace_cleanup () {
  local p
  for p in $PIDS; do
    kill -9 "$p" 2>/dev/null
  done
  cleanup
}
trap inplace_cleanup EXIT

IS_ROOT=no
[ "$(id -u)" = 0 ] && IS_ROOT=yes
NOBODY_GID=$(id -g nobody 2>/dev/null || echo 65534)

# as_other CMD...: CMD as nobody when root, else as ourselves
as_other () {
  if [ "$IS_ROOT" = yes ]; then
    setpriv --reuid=nobody --regid="$NOBODY_GID" --clear-groups -- "$@"
  else
    "$@"
  fi
}

# meta FILE: owner, group, mode and mtime (to the nanosecond)
meta () {
  stat -c '%u:%g %a %y' "$1"
}

# leftovers DIR: hidden temporary files of lognym in DIR
leftovers () {
  find "$1" -maxdepth 1 -name '.*.lognym-*' -printf '%f\n' | sort
}

# gen_log FILE LINES: numbered combined lines with varied addresses
gen_log () {
  awk -v n="$2" 'BEGIN {
    for (i = 1; i <= n; i++)
      printf "%s - - [10/Oct/2000:13:55:%02d -0700] \"GET /p/%d?from=198.51.100.%d HTTP/1.1\" 200 %d \"http://203.0.113.%d/\" \"Mozilla/5.0 (X11; Linux x86_64) n%d\"\n",
        (i % 7 == 0 ? sprintf("2001:db8:%x::%x", i % 65536, i % 9 + 1) : sprintf("192.0.2.%d", i % 250 + 1)),
        i % 60, i, i % 200 + 1, i, i % 250 + 1, i
  }' >"$1"
}

# --- a plain file ---------------------------------------------------------------
gen_log plain.log 2000
printf 'this line is malformed\n' >>plain.log
"$LOGNYM" plain.log >plain.expected 2>/dev/null
[ "$IS_ROOT" = yes ] && chown nobody:"$NOBODY_GID" plain.log
chmod 0604 plain.log
touch -d '2021-03-04 05:06:07.123456789' plain.log
meta plain.log >meta.before
ino_before=$(stat -c %i plain.log)
run_lognym r --in-place plain.log
check_status "plain file: exit status 0" 0 "$RC"
check_files "plain file: rewritten as lognym writes it to stdout" plain.expected plain.log
meta plain.log >meta.after
check_files "plain file: owner, group, mode and mtime kept" meta.before meta.after
check_true "plain file: replaced by rename (a new inode)" "same inode $ino_before" \
  test "$(stat -c %i plain.log)" != "$ino_before"
check_empty "plain file: stdout empty" r.out
if [ "$(wc -l <r.err)" = 1 ] && grep -q '^lognym: plain\.log:2001: line does not match' r.err; then
  pass "plain file: only the malformed line reported"
else
  fail "plain file: only the malformed line reported" "$(cat r.err)"
fi
leftovers . >left.txt
check_empty "plain file: no temporary file left" left.txt
if [ -n "${LEAKCHECK:-}" ] && [ -x "$LEAKCHECK" ]; then
  gen_log plain.raw 2000
  "$LEAKCHECK" plain.raw plain.log >leak.out 2>&1
  check_status "plain file: no client address left (leakcheck)" 0 "$?"
fi

# --- gzip -------------------------------------------------------------------------
gen_log zipped.log 3000
"$LOGNYM" zipped.log >zipped.expected 2>/dev/null
gzip -n -9 zipped.log
[ "$IS_ROOT" = yes ] && chown daemon:"$NOBODY_GID" zipped.log.gz
chmod 0640 zipped.log.gz
touch -d '2022-11-12 13:14:15.987654321' zipped.log.gz
meta zipped.log.gz >meta.before
run_lognym r --in-place zipped.log.gz
check_status "gzip file: exit status 0" 0 "$RC"
check_true "gzip file: still valid gzip (gzip -t)" "gzip -t fails" gzip -t zipped.log.gz
zcat zipped.log.gz >zipped.got 2>&1
check_files "gzip file: decompresses to lognym's output" zipped.expected zipped.got
meta zipped.log.gz >meta.after
check_files "gzip file: owner, group, mode and mtime kept" meta.before meta.after

# several files in one run, plain and gzip, in two directories
mkdir -p sub
gen_log a.log 100
gen_log sub/b.log 200
gen_log c.log 300
"$LOGNYM" a.log >a.expected 2>/dev/null
"$LOGNYM" sub/b.log >b.expected 2>/dev/null
"$LOGNYM" c.log >c.expected 2>/dev/null
gzip -n c.log
run_lognym r --in-place a.log sub/b.log c.log.gz
check_status "three files: exit status 0" 0 "$RC"
zcat c.log.gz >c.got 2>&1
if cmp -s a.expected a.log && cmp -s b.expected sub/b.log && cmp -s c.expected c.got; then
  pass "three files (one in a subdirectory, one gzip): each rewritten"
else
  fail "three files (one in a subdirectory, one gzip): each rewritten"
fi

# an empty file stays empty
: >empty.log
run_lognym r --in-place empty.log
check_status "empty file: exit status 0" 0 "$RC"
check_empty "empty file: still empty" empty.log

# a symbolic link: either the file it points to is rewritten (the link stays
# a link) or lognym refuses; never the link replaced while the raw target
# stays as it was
gen_log target.log 50
cp target.log target.raw
"$LOGNYM" target.log >target.expected 2>/dev/null
ln -s target.log link.log
run_lognym r --in-place link.log
if [ -L link.log ] && cmp -s target.expected target.log && [ "$RC" = 0 ]; then
  pass "symbolic link: the target is rewritten, the link kept"
elif [ -L link.log ] && cmp -s target.raw target.log && [ "$RC" = 2 ]; then
  pass "symbolic link: refused (status 2), nothing changed"
else
  fail "symbolic link: the target rewritten through the link, or a refusal" \
    "status $RC; link.log is $( [ -L link.log ] && echo 'a link' || echo 'no longer a link')," \
    "target.log is $(cmp -s target.raw target.log && echo 'still raw' || echo 'changed')"
fi

# --- failures leave the original untouched ----------------------------------------

# SIGKILL half-way through a large file (~50 MB)
gen_log huge.log 350000
sha256sum huge.log >huge.sum
killed=no
for _ in 1 2 3; do
  "$LOGNYM" --in-place huge.log 2>/dev/null &
  pid=$!
  PIDS="$PIDS $pid"
  # wait until the temporary file holds a few MB, then SIGKILL
  for _ in $(seq 1 2000); do
    tmp=$(leftovers .)
    if [ -n "$tmp" ] && [ "$(stat -c %s "$tmp" 2>/dev/null || echo 0)" -gt 4000000 ]; then
      break
    fi
    running "$pid" || break
    sleep 0.002
  done
  if running "$pid"; then
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    killed=yes
    break
  fi
  wait "$pid" 2>/dev/null
  # too fast: it finished first; start over from the raw file
  gen_log huge.log 350000
done
if [ "$killed" = yes ]; then
  pass "SIGKILL: lognym killed half-way (a partial temporary file existed)"
  check_true "SIGKILL: the original is byte-identical" "huge.log changed" \
    sha256sum --quiet -c huge.sum
  # besides huge.log and huge.sum, at most the hidden temporary file
  find . -maxdepth 1 -name "*huge*" -printf "%f\n" | grep -v -x -e huge.log -e huge.sum >left.txt
  if [ ! -s left.txt ] || { [ "$(wc -l <left.txt)" = 1 ] \
       && grep -q -x -E '\.huge\.log\.lognym-[A-Za-z0-9]{6}' left.txt; }; then
    pass "SIGKILL: nothing but a hidden .huge.log.lognym-XXXXXX left beside it"
  else
    fail "SIGKILL: nothing but a hidden .huge.log.lognym-XXXXXX left beside it" "$(cat left.txt)"
  fi
else
  fail "SIGKILL: lognym killed half-way" "it finished three times before the kill"
fi
rm -f .huge.log.lognym-* huge.log huge.sum

# a file size limit: ulimit -f 200 (200 KiB), a 2 MB file
gen_log limited.log 20000
cp -p limited.log limited.orig
(ulimit -f 200 && exec "$LOGNYM" --in-place limited.log) >r.out 2>r.err
RC=$?
check_status "ulimit -f: exit status 2" 2 "$RC"
check_contains "ulimit -f: 'File too large' reported" "File too large" r.err
check_contains "ulimit -f: the message names the file" "limited.log" r.err
check_files "ulimit -f: the original is byte-identical" limited.orig limited.log
leftovers . >left.txt
check_empty "ulimit -f: the temporary file is removed" left.txt

# --malformed=fail stops half-way
gen_log strict.log 1000
printf 'malformed\n' >>strict.log
gen_log more.log 10
cat more.log >>strict.log
cp -p strict.log strict.orig
run_lognym r --in-place --malformed=fail strict.log
check_status "--malformed=fail: exit status 3" 3 "$RC"
check_files "--malformed=fail: the original is byte-identical" strict.orig strict.log
leftovers . >left.txt
check_empty "--malformed=fail: the temporary file is removed" left.txt

# a directory the user cannot write to (root writes anywhere: run as nobody)
if [ "$IS_ROOT" = yes ]; then
  chmod 755 "$WORK" "$D"
  mkdir -m 755 locked
  gen_log locked/ro-dir.log 100
  chown nobody locked/ro-dir.log
  cp -p locked/ro-dir.log ro-dir.orig
  as_other "$LOGNYM" --in-place locked/ro-dir.log >r.out 2>r.err
  RC=$?
  check_status "unwritable directory: exit status 2" 2 "$RC"
  check_contains "unwritable directory: the reason is given" "Permission denied" r.err
  check_files "unwritable directory: the original is byte-identical" ro-dir.orig locked/ro-dir.log
  leftovers locked >left.txt
  check_empty "unwritable directory: no temporary file" left.txt
  chmod 700 "$WORK"
else
  skip "unwritable directory (needs root, to run lognym as nobody)"
fi

# five files, the third unreadable: the others are rewritten, status 2 at
# the end naming the unreadable one
chmod 755 "$WORK" "$D"
mkdir -m 755 batch
for i in 1 2 3 4 5; do
  gen_log "batch/m$i.log" $((i * 100))
  "$LOGNYM" "batch/m$i.log" >"m$i.expected" 2>/dev/null
done
cp batch/m3.log m3.orig
chmod 000 batch/m3.log
[ "$IS_ROOT" = yes ] && chown -R nobody batch
as_other "$LOGNYM" --in-place batch/m1.log batch/m2.log batch/m3.log batch/m4.log \
  batch/m5.log >r.out 2>r.err
RC=$?
check_status "unreadable file among five: exit status 2" 2 "$RC"
check_text "unreadable file among five: named, once" \
  "lognym: batch/m3.log: cannot rewrite in place: Permission denied" r.err
ok=
for i in 1 2 4 5; do
  cmp -s "m$i.expected" "batch/m$i.log" || ok="$ok m$i.log"
done
if [ -z "$ok" ]; then
  pass "unreadable file among five: the four others rewritten"
else
  fail "unreadable file among five: the four others rewritten" "not rewritten:$ok"
fi
chmod 644 batch/m3.log
check_files "unreadable file among five: it is left as it was" m3.orig batch/m3.log
leftovers batch >left.txt
check_empty "unreadable file among five: no temporary file" left.txt
chmod 700 "$WORK"

# --- --shred-original ------------------------------------------------------------
# A second handle on the original inode, opened before the run, shows what
# became of the raw bytes once the rename took the name away.

# without the option the old inode keeps the raw text (what it is for)
gen_log keep.log 500
exec 5<keep.log
run_lognym r --in-place keep.log
cat <&5 >keep.old
exec 5<&-
check_true "without --shred-original: the replaced inode still holds the addresses" \
  "no address in the old bytes" grep -q -F 192.0.2. keep.old

gen_log shred.log 3000
"$LOGNYM" shred.log >shred.expected 2>/dev/null
size=$(stat -c %s shred.log)
touch -d '2020-01-02 03:04:05.5' shred.log
meta shred.log >meta.before
exec 5<shred.log
run_lognym r --in-place --shred-original shred.log
cat <&5 >shred.old
exec 5<&-
check_status "--shred-original: exit status 0" 0 "$RC"
check_empty "--shred-original: no message" r.err
check_files "--shred-original: the file is the anonymised content" shred.expected shred.log
meta shred.log >meta.after
check_files "--shred-original: owner, group, mode and mtime kept" meta.before meta.after
check_value "--shred-original: the old inode keeps its size" "$size" "$(stat -c %s shred.old)"
check_value "--shred-original: no client address left in the old inode" 0 \
  "$(grep -c -a -E '192\.0\.2\.|2001:db8|198\.51\.100\.' shred.old)"
check_value "--shred-original: every byte of the old inode is zero" 0 \
  "$(tr -d '\0' <shred.old | wc -c)"
leftovers . >left.txt
check_empty "--shred-original: no temporary file left" left.txt

# gzip, the old inode held by another process (as a reader of the log
# would); read back through /proc
gen_log shredz.log 3000
"$LOGNYM" shredz.log >shredz.expected 2>/dev/null
gzip -n shredz.log
size=$(stat -c %s shredz.log.gz)
sleep 300 <shredz.log.gz &
holder=$!
PIDS="$PIDS $holder"
run_lognym r --in-place --shred-original shredz.log.gz
check_status "--shred-original, gzip: exit status 0" 0 "$RC"
zcat shredz.log.gz >shredz.got 2>&1
check_files "--shred-original, gzip: the file decompresses to the anonymised content" \
  shredz.expected shredz.got
cat "/proc/$holder/fd/0" >shredz.old
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
check_value "--shred-original, gzip: the old inode keeps its size" "$size" \
  "$(stat -c %s shredz.old)"
check_value "--shred-original, gzip: every byte of the old inode is zero" 0 \
  "$(tr -d '\0' <shredz.old | wc -c)"

# another hard link: refused, both names untouched
gen_log linked.log 200
cp linked.log linked.orig
ln linked.log linked.other
run_lognym r --in-place --shred-original linked.log
check_status "--shred-original, hard link: exit status 2" 2 "$RC"
check_contains "--shred-original, hard link: refused, naming the file" \
  "linked.log: not rewritten: --shred-original would destroy the data of its other hard links" r.err
check_files "--shred-original, hard link: the file is byte-identical" linked.orig linked.log
check_files "--shred-original, hard link: the other name is byte-identical" \
  linked.orig linked.other
check_value "--shred-original, hard link: still two links" 2 "$(stat -c %h linked.log)"
leftovers . >left.txt
check_empty "--shred-original, hard link: no temporary file" left.txt

# without --in-place: a usage error
gen_log usage.log 10
cp usage.log usage.orig
run_lognym r --shred-original usage.log
check_status "--shred-original without --in-place: exit status 1" 1 "$RC"
check_contains "--shred-original without --in-place: said so" \
  "--shred-original needs --in-place" r.err
check_empty "--shred-original without --in-place: nothing written" r.out
check_files "--shred-original without --in-place: the file untouched" usage.orig usage.log

# SIGKILL half-way: the original is intact (nothing is overwritten before
# the anonymised file has replaced it)
gen_log huge.log 350000
sha256sum huge.log >huge.sum
killed=no
for _ in 1 2 3; do
  "$LOGNYM" --in-place --shred-original huge.log 2>/dev/null &
  pid=$!
  PIDS="$PIDS $pid"
  for _ in $(seq 1 2000); do
    tmp=$(leftovers .)
    if [ -n "$tmp" ] && [ "$(stat -c %s "$tmp" 2>/dev/null || echo 0)" -gt 4000000 ]; then
      break
    fi
    running "$pid" || break
    sleep 0.002
  done
  if running "$pid"; then
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    killed=yes
    break
  fi
  wait "$pid" 2>/dev/null
  gen_log huge.log 350000
done
if [ "$killed" = yes ]; then
  check_true "--shred-original, SIGKILL half-way: the original is byte-identical" \
    "huge.log changed" sha256sum --quiet -c huge.sum
else
  fail "--shred-original, SIGKILL half-way" "it finished three times before the kill"
fi
rm -f .huge.log.lognym-* huge.log huge.sum

# not a regular file
mkfifo not-regular.fifo
timeout 5 "$LOGNYM" --in-place not-regular.fifo >r.out 2>r.err
RC=$?
check_status "a FIFO: exit status 2 (at once, not waiting for a writer)" 2 "$RC"
check_contains "a FIFO: refused as not a regular file" "not a regular file" r.err

[ "$SKIPPED" = 0 ] || echo "# $SKIPPED skipped"
finish
