#!/bin/bash
# tests/e2e/piped.sh - lognym as a piped logger: flushing while the pipe
# stays open, -o reopened on SIGHUP and SIGUSR1 (logrotate's mv + signal and
# copytruncate), no line lost or duplicated across reopens with a writer
# that never pauses, SIGTERM/SIGINT/EOF, write errors, --run-as.
#
# The input is a FIFO that this script holds open on a descriptor (as
# Apache holds a piped logger's pipe), so lognym only sees EOF when the
# script closes it.  Every wait is bounded; a lognym that does not exit in
# time is killed and the check fails.
#
# Root only (skipped otherwise, with a "skip -" line): --run-as, the
# warning of a root piped logger without --run-as, and the full tmpfs
# (mount -t tmpfs -o size=64k).

. "$(dirname "$0")/lib.sh"

D=$WORK/piped
mkdir -p "$D" || exit 99
cd "$D" || exit 99

SKIPPED=0
skip () {
  SKIPPED=$((SKIPPED + 1))
  printf 'skip - %s\n' "$1"
}

# --- helpers --------------------------------------------------------------

PIDS=
MOUNTED=
piped_cleanup () {
  local p
  exec 3>&- 4>&- 2>/dev/null
  for p in $PIDS; do
    kill -9 "$p" 2>/dev/null
  done
  [ -n "$MOUNTED" ] && umount "$MOUNTED" 2>/dev/null
  cleanup
}
trap piped_cleanup EXIT

# wait_exit PID SECONDS: waits for a child of this shell; $RC is its exit
# status, or "timeout" (and the process is killed) when it outlives SECONDS
wait_exit () {
  if wait_for "$2" eval '! running '"$1"; then
    wait "$1"
    RC=$?
  else
    kill -9 "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    RC=timeout
  fi
}

# line N: a combined line numbered N (path /n/N), client 192.0.2.x
line () {
  printf '192.0.2.%d - - [10/Oct/2000:13:55:36 -0700] "GET /n/%d HTTP/1.1" 200 %d "-" "ua/%d"\n' \
    $(($1 % 250 + 1)) "$1" "$1" "$1"
}
# anon N: the same line anonymised
anon () {
  printf '192.0.2.0 - - [10/Oct/2000:13:55:36 -0700] "GET /n/%d HTTP/1.1" 200 %d "-" "-"\n' "$1" "$1"
}
# in_order FILE...: "N" when the files hold lines 1..N in order, once each
# (and N >= 1); else what is wrong
in_order () {
  cat "$@" 2>/dev/null | awk '
    { if (match($0, /"GET \/n\/[0-9]+ /) == 0) { print "line " NR " has no number"; bad = 1; exit }
      n = substr($0, RSTART + 8, RLENGTH - 9) + 0
      if (n != NR) { print "line " NR " is number " n; bad = 1; exit } }
    END { if (!bad) print (NR ? NR : "no lines") }'
}
# has_lines N FILE: FILE holds N lines
has_lines () {
  [ -f "$2" ] && [ "$(wc -l <"$2")" -eq "$1" ]
}

# start_logger FIFO ARGS...: lognym ARGS reading FIFO (stdin), stderr in
# logger.err; opens FIFO for writing on descriptor 3 (held by this shell).
# $LPID is lognym's pid.
start_logger () {
  local fifo=$1
  shift
  rm -f "$fifo"
  mkfifo "$fifo" || exit 99
  "$LOGNYM" "$@" <"$fifo" 2>logger.err &
  LPID=$!
  PIDS="$PIDS $LPID"
  exec 3>"$fifo"
}

# --- flushing while the pipe stays open -------------------------------------

start_logger in.fifo -o out.log
line 1 >&3
t0=$(date +%s%N)
if wait_for 1.0 has_lines 1 out.log; then
  pass "flush: a line appears in the output within 1 s, pipe still open"
else
  fail "flush: a line appears in the output within 1 s, pipe still open" \
    "after $(( ($(date +%s%N) - t0) / 1000000 )) ms: $(wc -l <out.log 2>&1) lines"
fi
anon 1 >expected
check_files "flush: the line is anonymised" expected out.log
stat -c %a out.log >mode.txt 2>&1
check_text "-o: created with mode 0640" "640" mode.txt
sleep 1.2
line 2 >&3
if wait_for 1.0 has_lines 2 out.log; then
  pass "flush: after a second of silence, the next line within 1 s too"
else
  fail "flush: after a second of silence, the next line within 1 s too" \
    "$(wc -l <out.log 2>&1) lines"
fi
check_true "flush: lognym still running with the pipe open" "it exited" running "$LPID"

# --- mv + SIGHUP, mv + SIGUSR1 --------------------------------------------------

for sig in HUP USR1; do
  mv out.log "out.log.$sig"
  kill -"$sig" "$LPID"
  # lognym creates the new file when it reopens
  if wait_for 2 test -f out.log; then
    pass "SIG$sig after mv: out.log created again"
  else
    fail "SIG$sig after mv: out.log created again" "no out.log 2 s after the signal"
  fi
  n=$([ "$sig" = HUP ] && echo 3 || echo 4)
  line "$n" >&3
  wait_for 1.0 has_lines 1 out.log
  anon "$n" >expected
  check_files "SIG$sig after mv: the next line goes to the new file" expected out.log
  stat -c %a out.log >mode.txt 2>&1
  check_text "SIG$sig after mv: the new file has mode 0640" "640" mode.txt
done
{ anon 1; anon 2; } >expected
check_files "SIGHUP after mv: the renamed file keeps what was written before" \
  expected out.log.HUP
anon 3 >expected
check_files "SIGUSR1 after mv: the renamed file keeps what was written before" \
  expected out.log.USR1
check_true "SIGHUP/SIGUSR1 do not end lognym" "it exited" running "$LPID"

# --- copytruncate -------------------------------------------------------------
# logrotate's copytruncate: cp, then truncate the live file, which lognym
# keeps writing (O_APPEND: at the new end, no hole of NUL bytes).
for n in 5 6 7; do line "$n" >&3; done
wait_for 1.0 has_lines 4 out.log
cp out.log out.log.copy
: >out.log
for n in 8 9; do line "$n" >&3; done
wait_for 1.0 has_lines 2 out.log
{ anon 8; anon 9; } >expected
check_files "copytruncate: writing goes on at the start of the truncated file" \
  expected out.log
{ anon 4; anon 5; anon 6; anon 7; anon 8; anon 9; } >expected
cat out.log.copy out.log >joined
check_files "copytruncate: no line lost or doubled (copy + live file)" expected joined
# and copytruncate followed by a signal (postrotate with copytruncate)
cp out.log out.log.copy2
: >out.log
kill -HUP "$LPID"
sleep 0.3
line 10 >&3
wait_for 1.0 has_lines 1 out.log
anon 10 >expected
check_files "copytruncate + SIGHUP: the next line in the live file" expected out.log

# --- EOF -------------------------------------------------------------------------
line 11 >&3
exec 3>&-
wait_exit "$LPID" 3
check_status "EOF: exit status 0" 0 "$RC"
{ anon 10; anon 11; } >expected
check_files "EOF: the last line is written" expected out.log
grep -v 'warning: running as root' logger.err >err.txt
check_empty "no message on stderr during all this (but the root warning)" err.txt

# --- a FIFO named on the command line, before its writer ---------------------
# lognym opens it itself (non-blocking) and must wait for the first writer,
# as open(2) would, not take the empty FIFO for the end of its input
rm -f named.fifo named.out
mkfifo named.fifo || exit 99
"$LOGNYM" named.fifo >named.out 2>named.err &
NPID=$!
PIDS="$PIDS $NPID"
sleep 0.3
waiting=no
running "$NPID" && waiting=yes
check_value "named FIFO: lognym waits for its first writer" yes "$waiting"
{ line 21; line 22; } >named.fifo
wait_exit "$NPID" 10
check_status "named FIFO: exit status 0 at the writer's EOF" 0 "$RC"
{ anon 21; anon 22; } >expected
check_files "named FIFO: the writer's lines" expected named.out

# --- SIGTERM and SIGINT, quiet pipe -------------------------------------------
for sig in TERM INT; do
  rm -f out.log
  start_logger in.fifo -o out.log
  for n in 1 2 3; do line "$n" >&3; done
  wait_for 1.0 has_lines 3 out.log
  kill -"$sig" "$LPID"
  wait_exit "$LPID" 3
  check_status "SIG$sig with the pipe open: exit status 0" 0 "$RC"
  { anon 1; anon 2; anon 3; } >expected
  check_files "SIG$sig with the pipe open: everything read is written" expected out.log
  exec 3>&-
done

# --- a writer that never pauses ------------------------------------------------
# fast_writer STOPFILE COUNTFILE: numbered lines as fast as awk can, until
# STOPFILE exists (looked for every 1000 lines); the last number in COUNTFILE
fast_writer () {
  awk -v stop="$1" -v count="$2" 'BEGIN {
    for (i = 1; ; i++) {
      printf "192.0.2.%d - - [10/Oct/2000:13:55:36 -0700] \"GET /n/%d HTTP/1.1\" 200 %d \"-\" \"ua/%d\"\n", i % 250 + 1, i, i, i
      if (i % 1000 == 0) {
        if ((getline x < stop) >= 0) break
        close(stop)
      }
    }
    print i > count
  }'
}

# five rotations (mv + SIGHUP or SIGUSR1) while the writer writes
rm -f out.log* stop count in.fifo
mkfifo in.fifo
"$LOGNYM" -o out.log <in.fifo 2>logger.err &
LPID=$!
PIDS="$PIDS $LPID"
timeout 60 bash -c "$(declare -f fast_writer); fast_writer stop count" >in.fifo &
WPID=$!
PIDS="$PIDS $WPID"
rotated=0
for r in 1 2 3 4 5; do
  sleep 0.05
  wait_for 2 test -s out.log || break
  mv out.log "out.log.$r"
  if [ $((r % 2)) = 1 ]; then kill -HUP "$LPID"; else kill -USR1 "$LPID"; fi
  rotated=$r
done
sleep 0.15
writer_alive=no
running "$WPID" && writer_alive=yes
: >stop
wait_exit "$WPID" 10
wait_exit "$LPID" 20
check_status "never-pausing writer: lognym exits 0 at EOF" 0 "$RC"
check_value "never-pausing writer: 5 rotations done while it wrote" "5 yes" \
  "$rotated $writer_alive"
total=$(cat count 2>/dev/null || echo 0)
got=$(in_order out.log.1 out.log.2 out.log.3 out.log.4 out.log.5 out.log)
if [ "$total" -gt 1000 ] && [ "$got" = "$total" ]; then
  pass "never-pausing writer: all $total lines once each, in order, across the 6 files"
else
  fail "never-pausing writer: every line exactly once across the 6 files" \
    "the writer wrote $total lines; in the files: $got"
fi
empty=
for f in out.log.1 out.log.2 out.log.3 out.log.4 out.log.5 out.log; do
  [ -s "$f" ] || empty="$empty $f"
done
if [ -z "$empty" ]; then
  pass "never-pausing writer: every file got lines (each reopen took effect)"
else
  fail "never-pausing writer: every file got lines (each reopen took effect)" "empty:$empty"
fi
n_bad=$(cat out.log.[1-5] out.log | grep -c -v '^192\.0\.2\.0 - - \[10/Oct/2000:13:55:36 -0700\] "GET /n/[0-9]* HTTP/1.1" 200 [0-9]* "-" "-"$')
check_value "never-pausing writer: every output line whole and anonymised" "0" "$n_bad"
rm -f out.log* got want

# SIGTERM and SIGINT while the writer never pauses: lognym finishes the
# block it has, flushes, and exits 0 (the writer then gets EPIPE)
for sig in TERM INT; do
  rm -f out.log stop count in.fifo
  mkfifo in.fifo
  "$LOGNYM" -o out.log <in.fifo 2>logger.err &
  LPID=$!
  PIDS="$PIDS $LPID"
  timeout 60 bash -c "$(declare -f fast_writer); fast_writer stop count" >in.fifo 2>/dev/null &
  WPID=$!
  PIDS="$PIDS $WPID"
  wait_for 5 test -s out.log
  sleep 0.2
  kill -"$sig" "$LPID"
  wait_exit "$LPID" 2
  check_status "SIG$sig with a writer that never pauses: exits 0 within 2 s" 0 "$RC"
  : >stop
  wait_exit "$WPID" 10
  got=$(in_order out.log)
  case $got in
    [0-9]*) pass "SIG$sig with a writer that never pauses: lines 1..$got once each, none missing" ;;
    *) fail "SIG$sig with a writer that never pauses: lines 1..N once each, none missing" "$got" ;;
  esac
  rm -f out.log
done

# --- write errors -------------------------------------------------------------
awk 'BEGIN { for (i = 1; i <= 20000; i++)
  printf "192.0.2.%d - - [10/Oct/2000:13:55:36 -0700] \"GET /n/%d HTTP/1.1\" 200 %d \"-\" \"ua/%d\"\n", i % 250 + 1, i, i, i }' >big.log
run_lognym r -o /dev/full big.log
check_status "write error (/dev/full): exit status 2" 2 "$RC"
check_text "write error (/dev/full): reported once" \
  "lognym: /dev/full: write error: No space left on device" r.err

# with the pipe open: the flush before blocking fails, lognym ends at once
start_logger in.fifo -o /dev/full
line 1 >&3
wait_exit "$LPID" 3
check_status "write error while the pipe stays open: exit 2 without waiting for EOF" 2 "$RC"
grep -v 'warning: running as root' logger.err >err.txt
check_text "write error while the pipe stays open: reported once" \
  "lognym: /dev/full: write error: No space left on device" err.txt
exec 3>&-

if [ "$(id -u)" = 0 ] && mkdir -p tiny && mount -t tmpfs -o size=64k tmpfs tiny 2>/dev/null; then
  MOUNTED=$D/tiny
  # shellcheck disable=SC2002 # a pipe on purpose: lognym as a piped logger
  cat big.log | timeout 20 "$LOGNYM" -o tiny/out.log 2>r.err
  RC=$?
  check_status "full filesystem (64 KiB tmpfs): exit status 2" 2 "$RC"
  grep -v 'warning: running as root' r.err >err.txt
  check_text "full filesystem: reported once" \
    "lognym: tiny/out.log: write error: No space left on device" err.txt
  umount tiny && MOUNTED=
else
  skip "full filesystem (needs root and mount -t tmpfs)"
fi

# --- --run-as --------------------------------------------------------------------
if [ "$(id -u)" = 0 ]; then
  NOBODY_UID=$(id -u nobody)
  NOBODY_GID=$(id -g nobody)
  mkdir -m 700 private
  start_logger in.fifo --run-as nobody -o private/out.log
  line 1 >&3
  if wait_for 2 has_lines 1 private/out.log; then
    pass "--run-as nobody: the output opened as root (in a 0700 root directory) is written"
  else
    fail "--run-as nobody: the output opened as root (in a 0700 root directory) is written" \
      "$(cat logger.err)"
  fi
  want="Uid:	$NOBODY_UID	$NOBODY_UID	$NOBODY_UID	$NOBODY_UID
Gid:	$NOBODY_GID	$NOBODY_GID	$NOBODY_GID	$NOBODY_GID
Groups:	$NOBODY_GID"
  grep -E '^(Uid|Gid|Groups):' "/proc/$LPID/status" | sed 's/[[:space:]]*$//' >ids.txt
  check_text "--run-as nobody: real, effective, saved and fs ids are nobody's, no other group" \
    "$want" ids.txt
  grep '^NoNewPrivs:' "/proc/$LPID/status" >nnp.txt
  check_text "--run-as nobody: no_new_privs is set" "NoNewPrivs:	1" nnp.txt
  line 2 >&3
  exec 3>&-
  wait_exit "$LPID" 3
  check_status "--run-as nobody: exit status 0 at EOF" 0 "$RC"
  { anon 1; anon 2; } >expected
  check_files "--run-as nobody: all lines written" expected private/out.log
  check_empty "--run-as: no warning about running as root" logger.err

  line 1 >one.log
  rm -f private/none.log
  run_lognym r --run-as no-such-user-lognym -o private/none.log one.log
  check_status "--run-as unknown user: exit status 2" 2 "$RC"
  check_contains "--run-as unknown user: named" "no-such-user-lognym" r.err
  check_true "--run-as unknown user: nothing written" "private/none.log has data" \
    test ! -s private/none.log
  check_empty "--run-as unknown user: nothing on stdout" r.out
  run_lognym r --run-as nobody:no-such-group-lognym -o private/none.log one.log
  check_status "--run-as nobody:unknown group: exit status 2" 2 "$RC"
  check_true "--run-as nobody:unknown group: nothing written" "private/none.log has data" \
    test ! -s private/none.log
  # fails closed when the drop is not possible: a non-root user cannot
  # become another one
  chmod 755 "$WORK" "$D"
  mkdir -m 777 open
  line 1 >open/one.log
  setpriv --reuid=nobody --regid="$NOBODY_GID" --clear-groups -- \
    "$LOGNYM" --run-as daemon -o open/none.log open/one.log >r.out 2>r.err
  RC=$?
  check_status "--run-as as a non-root user: exit status 2" 2 "$RC"
  check_contains "--run-as as a non-root user: says why" "--run-as" r.err
  check_true "--run-as as a non-root user: nothing written" "open/none.log has data" \
    test ! -s open/none.log
  chmod 700 "$WORK"

  # root, a pipe, no --run-as: one warning line
  line 1 | "$LOGNYM" -o warn.log 2>r.err
  RC=$?
  check_status "root piped logger without --run-as: exit status 0" 0 "$RC"
  check_text "root piped logger without --run-as: exactly one warning line" \
    "lognym: warning: running as root; a piped logger should use --run-as USER" r.err
  run_lognym r -o warn2.log one.log
  check_empty "root reading a file (not a pipe): no warning" r.err
else
  skip "--run-as nobody (needs root)"
  skip "--run-as unknown user (needs root)"
  skip "root piped logger warning (needs root)"
  line 1 >one.log
  run_lognym r --run-as root -o none.log one.log
  check_status "--run-as as a non-root user: exit status 2" 2 "$RC"
  check_true "--run-as as a non-root user: nothing written" "none.log has data" \
    test ! -s none.log
fi

[ "$SKIPPED" = 0 ] || echo "# $SKIPPED skipped"
finish
