#!/bin/bash
# tests/e2e/signals.sh - SIGTERM and SIGHUP reach a lognym waiting on an
# idle pipe at once, whenever they arrive: also in the window after the
# flags were checked and before the blocking wait began.
#
# That window is made wide and deterministic here: lognym reads a FIFO that
# this script holds open, and writes to a FIFO that nobody reads yet, so
# the flush it does before waiting for more input blocks in write(2).  The
# signal arrives there; then the output is drained.  A lognym that checked
# its flags only before the flush now blocks in read(2) until more input
# comes (never, here) and the bounded wait fails.  Then the same for
# SIGHUP (the reopened -o must appear without new input), and a loop of
# 50 runs that send SIGTERM at varied moments right after some input.

. "$(dirname "$0")/lib.sh"

D=$WORK/signals
mkdir -p "$D" || exit 99
cd "$D" || exit 99

PIDS=
signals_cleanup () {
  local p
  exec 3>&- 4>&- 2>/dev/null
  for p in $PIDS; do
    kill -9 "$p" 2>/dev/null
  done
  cleanup
}
trap signals_cleanup EXIT

# wait_exit PID SECONDS: $RC is the exit status of the child PID, or
# "timeout" (and it is killed) when it outlives SECONDS
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

# in_write PID: the process is blocked in write(2) (syscall 1 on x86_64,
# 64 on arm64 and riscv; else by the kernel function it sleeps in)
in_write () {
  local nr
  nr=$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null)
  case $(uname -m):$nr in
    x86_64:1 | aarch64:64 | riscv64:64) return 0 ;;
  esac
  case $(ps -o wchan= -p "$1" 2>/dev/null) in
    pipe_w*) return 0 ;;
  esac
  return 1
}

# lines N FIRST: N combined lines, numbered from FIRST
lines () {
  awk -v n="$1" -v f="$2" 'BEGIN {
    for (i = f; i < f + n; i++)
      printf "192.0.2.%d - - [10/Oct/2000:13:55:36 -0700] \"GET /n/%d HTTP/1.1\" 200 %d \"-\" \"ua\"\n", i % 250 + 1, i, i
  }'
}

# blocked_flush SIGNAL [ARG...]: lognym ARG... -o out.fifo reading in.fifo, blocked in the
# flush before its wait for input; SIGNAL sent there.  $LPID is lognym.
blocked_flush () {
  local sig=$1
  shift
  rm -f in.fifo out.fifo drained.txt
  mkfifo in.fifo out.fifo || exit 99
  # held read-write: lognym's open succeeds, and nothing is read yet
  exec 4<>out.fifo
  # --allow-core-dumps: a non-dumpable process's /proc/PID/syscall is
  # root's, and in_write reads it
  "$LOGNYM" "$@" --allow-core-dumps --output-format=jsonl -o out.fifo <in.fifo \
    2>logger.err 3>&- 4>&- &
  LPID=$!
  PIDS="$PIDS $LPID"
  exec 3>in.fifo
  # 40 KB in, in one write(2) (less than a pipe holds, so lognym reads it
  # all before it flushes), about 100 KB of JSON out: more than a pipe
  # holds, less than lognym's output block, so the write that blocks is
  # the flush before the wait
  lines 500 1 >input.txt
  cat input.txt >&3
  if wait_for 10 in_write "$LPID"; then
    pass "$sig: lognym blocked in the flush before waiting for input"
  else
    fail "$sig: lognym blocked in the flush before waiting for input" \
      "$(cat /proc/"$LPID"/syscall 2>&1; ps -o stat=,wchan= -p "$LPID")"
  fi
}

# drain: the output read into drained.txt from now on ($CPID)
drain () {
  cat <&4 >drained.txt 3>&- 4>&- &
  CPID=$!
  PIDS="$PIDS $CPID"
}

# --- SIGTERM in the window: exits without more input ----------------------

blocked_flush TERM
kill -TERM "$LPID"
drain
wait_exit "$LPID" 10
check_status "SIGTERM during the flush: exit 0 at once, no more input needed" 0 "$RC"
wait_for 5 eval '[ "$(wc -l <drained.txt)" -ge 500 ]'
kill "$CPID" 2>/dev/null
wait "$CPID" 2>/dev/null
check_value "SIGTERM during the flush: all 500 lines written" 500 "$(wc -l <drained.txt)"
check_not_contains "SIGTERM during the flush: no line cut short" "does not match" logger.err
exec 3>&- 4>&-

# --- SIGHUP in the window: -o reopened without more input -----------------

# as logrotate does: -o moved away, then the signal; lognym creates a new
# regular file out.fifo when it reopens (with the --mode given)
blocked_flush HUP --mode 0600
mv out.fifo out.old.fifo
kill -HUP "$LPID"
drain
wait_for 5 eval '[ "$(wc -l <drained.txt)" -ge 500 ]'
if wait_for 5 test -f out.fifo; then
  pass "SIGHUP during the flush: -o reopened at once, no more input needed"
else
  fail "SIGHUP during the flush: -o reopened at once, no more input needed" \
    "no new out.fifo 5 s after the signal"
fi
stat -c %a out.fifo >mode.txt 2>&1
check_text "SIGHUP: the new -o file created with --mode 0600" 600 mode.txt
check_true "SIGHUP during the flush: still running" "it exited" running "$LPID"
lines 1 2001 >&3
wait_for 5 eval '[ "$(wc -l <out.fifo 2>/dev/null)" = 1 ]'
check_contains "SIGHUP during the flush: the next line goes to the new -o" \
  '"path":"/n/2001"' out.fifo
kill -TERM "$LPID"
wait_exit "$LPID" 10
check_status "SIGHUP during the flush: then SIGTERM, exit 0" 0 "$RC"
kill "$CPID" 2>/dev/null
wait "$CPID" 2>/dev/null
check_value "SIGHUP during the flush: the old -o got all 500 lines" 500 "$(wc -l <drained.txt)"
exec 3>&- 4>&-

# --- SIGTERM while the writer is in the middle of a line -------------------

# read_bytes PID: bytes the process has read so far
read_bytes () {
  awk '$1 == "rchar:" { print $2 }' "/proc/$1/io" 2>/dev/null
}

# half_line REST: three lines and half of a fourth in, read by lognym; then
# SIGTERM; then REST and a fifth line, or (REST empty) nothing more
half_line () {
  local before
  rm -f in.fifo out.log
  mkfifo in.fifo || exit 99
  "$LOGNYM" --allow-core-dumps -o out.log <in.fifo 2>logger.err 3>&- &
  LPID=$!
  PIDS="$PIDS $LPID"
  exec 3>in.fifo
  lines 3 1 >&3
  wait_for 10 eval '[ "$(wc -l 2>/dev/null <out.log)" = 3 ]'
  before=$(read_bytes "$LPID")
  printf '192.0.2.9 - - [10/Oct/2000:13:55:36 -0700] "GET /n/' >&3
  wait_for 10 eval '[ "$(read_bytes '"$LPID"')" -gt "$before" ]'
  kill -TERM "$LPID"
  # in a subshell: a lognym that exits at once must not take this script
  # with it by SIGPIPE
  if [ -n "$1" ]; then
    (printf '%s' "$1"; lines 1 5) >&3 2>/dev/null
  fi
  wait_exit "$LPID" 10
  exec 3>&-
}

half_line '4 HTTP/1.1" 200 4 "-" "ua"
'
check_status "SIGTERM mid-line: exit 0" 0 "$RC"
check_value "SIGTERM mid-line: the cut line completed and written, nothing after it" 4 \
  "$(wc -l <out.log)"
check_contains "SIGTERM mid-line: the fourth line whole" '"GET /n/4 HTTP/1.1" 200 4' out.log
check_not_contains "SIGTERM mid-line: not reported as malformed" "(standard input):4:" logger.err
check_not_contains "SIGTERM mid-line: no line after the cut one read" '/n/5 ' out.log

# the rest never comes: after the grace second the cut line is the last
# line, reported as malformed as before
half_line ''
case $RC in
  timeout) fail "SIGTERM mid-line, no rest: exits within 10 s" "timeout" ;;
  *) pass "SIGTERM mid-line, no rest: exits within 10 s" ;;
esac
check_value "SIGTERM mid-line, no rest: the three whole lines written" 3 \
  "$(grep -c '/n/[123] ' out.log)"
check_contains "SIGTERM mid-line, no rest: the cut line reported" "(standard input):4:" logger.err

# --- SIGTERM on a pipe nobody else reads: read on until the writers close -----
# Apache stops its old piped loggers with SIGTERM on a graceful restart while
# its old children still write the requests they finish into the old pipe.

# pipe_writer GO N: three lines; once GO exists (for at most 20 s), N more
# lines from the fourth on and the end of the pipe (N = -1: never ends)
pipe_writer () {
  lines 3 1
  for _ in $(seq 1 200); do
    [ -e "$1" ] && break
    sleep 0.1
  done
  if [ "$2" -ge 0 ]; then
    lines "$2" 4
  else
    sleep 20
  fi
}

# drain_run N ARG...: lognym ARG... -o out.log on the pipe of pipe_writer
# GO N; SIGTERM once it wrote three lines, then GO; $RC, $SECONDS_TAKEN
drain_run () {
  local n=$1 start
  shift
  rm -f out.log go logger.err
  # <(...): an anonymous pipe, and $! is lognym itself
  "$LOGNYM" "$@" -o out.log < <(pipe_writer go "$n" 2>/dev/null) 2>logger.err &
  LPID=$!
  PIDS="$PIDS $LPID"
  wait_for 10 eval '[ "$(wc -l 2>/dev/null <out.log)" = 3 ]'
  start=$(date +%s%N)
  kill -TERM "$LPID"
  sleep 0.2
  : >go
  wait_exit "$LPID" 20
  SECONDS_TAKEN=$(( ($(date +%s%N) - start) / 1000000000 ))
}

drain_run 5
check_status "SIGTERM on a pipe: exit 0 once the writer closes" 0 "$RC"
check_value "SIGTERM on a pipe: the lines written after the signal are read too" 8 \
  "$(wc -l <out.log)"
check_true "SIGTERM on a pipe: done when the writer closes, not at the timeout" \
  "took $SECONDS_TAKEN s" test "$SECONDS_TAKEN" -lt 8
grep -v 'warning: running as root' logger.err >err.txt
check_empty "SIGTERM on a pipe: nothing on stderr (but the root warning)" err.txt

drain_run -1 --drain-timeout 1
check_status "SIGTERM on a pipe that stays open: exit 0" 0 "$RC"
check_true "SIGTERM on a pipe that stays open: ends after --drain-timeout 1" \
  "took $SECONDS_TAKEN s" test "$SECONDS_TAKEN" -lt 6
check_value "SIGTERM on a pipe that stays open: what was read is written" 3 \
  "$(wc -l <out.log)"
check_contains "SIGTERM on a pipe that stays open: says the rest is not read" \
  "(standard input): warning: still open 1 s after the signal to stop" logger.err

drain_run 5 --drain-timeout 0
check_status "--drain-timeout 0: exit 0 at once" 0 "$RC"
check_value "--drain-timeout 0: nothing after the signal is read" 3 "$(wc -l <out.log)"

# a second signal ends the drain at once
rm -f out.log go logger.err
"$LOGNYM" -o out.log < <(pipe_writer go -1 2>/dev/null) 2>logger.err &
LPID=$!
PIDS="$PIDS $LPID"
wait_for 10 eval '[ "$(wc -l 2>/dev/null <out.log)" = 3 ]'
kill -TERM "$LPID"
sleep 0.3
check_true "SIGTERM on a pipe that stays open: still reading before the timeout" \
  "it exited" running "$LPID"
kill -INT "$LPID"
wait_exit "$LPID" 5
check_status "a second signal ends the drain at once, exit 0" 0 "$RC"
check_value "a second signal: what was read is written" 3 "$(wc -l <out.log)"
: >go

# --- SIGTERM while a regular file is read: read to its end ---------------------
# Deterministic: lognym is stopped (SIGSTOP) as soon as its handlers are in,
# long before it can be through the file; the signals wait until SIGCONT.

# caught PID SIG: the process has a handler for signal number SIG
caught () {
  local mask
  mask=$(awk '$1 == "SigCgt:" { print $2 }' "/proc/$1/status" 2>/dev/null)
  [ -n "$mask" ] && [ $(( (0x$mask >> ($2 - 1)) & 1 )) = 1 ]
}

# stopped_in_place SIG...: lognym --in-place big.log, stopped once its
# handlers are in, sent SIG... and continued; $RC, $EARLY (it was through
# the file before it could be stopped)
stopped_in_place () {
  local size
  lines 300000 1 >big.log
  cp big.log big.orig
  "$LOGNYM" --in-place big.log 2>logger.err &
  LPID=$!
  PIDS="$PIDS $LPID"
  wait_for 10 caught "$LPID" 15
  kill -STOP "$LPID"
  size=$(stat -c %s big.orig)
  EARLY=no
  [ "$(read_bytes "$LPID")" -ge "$size" ] && EARLY=yes
  for sig in "$@"; do
    kill -"$sig" "$LPID"
  done
  kill -CONT "$LPID"
  wait_exit "$LPID" 60
}

stopped_in_place TERM
check_status "SIGTERM during --in-place: exit 0" 0 "$RC"
"$LOGNYM" big.orig >expected 2>/dev/null
check_files "SIGTERM during --in-place: the whole file rewritten, not its first part" \
  expected big.log

stopped_in_place TERM INT
if [ "$EARLY" = yes ]; then
  echo "SKIP: a second signal during --in-place: lognym was through the file before it could be stopped"
else
  check_status "a second signal during --in-place: exit 2" 2 "$RC"
  check_files "a second signal during --in-place: the file left unchanged" big.orig big.log
  check_contains "a second signal during --in-place: says so" \
    "big.log: stopped by a second signal before its end; left unchanged" logger.err
  check_value "a second signal during --in-place: no temporary file left" "" \
    "$(ls -A | grep lognym-)"
fi
rm -f big.log big.orig expected

# --- 50 runs: SIGTERM right after input, at varied moments -----------------

bad=
for i in $(seq 1 50); do
  rm -f in.fifo out.log
  mkfifo in.fifo || exit 99
  "$LOGNYM" -o out.log <in.fifo 2>logger.err 3>&- &
  LPID=$!
  PIDS="$PIDS $LPID"
  exec 3>in.fifo
  # handlers are installed once the first line is through
  lines 1 0 >&3
  if ! wait_for 10 eval '[ -s out.log ]'; then
    bad="$bad run $i: the first line never arrived;"
    kill -9 "$LPID" 2>/dev/null
    wait "$LPID" 2>/dev/null
    exec 3>&-
    continue
  fi
  lines $((i * 37)) 1 >&3
  # 0 to 4 ms after the input, in steps
  case $((i % 5)) in
    0) ;;
    *) sleep "0.00$((i % 5))" ;;
  esac
  kill -TERM "$LPID"
  wait_exit "$LPID" 10
  exec 3>&-
  if [ "$RC" != 0 ]; then
    bad="$bad run $i: status $RC;"
  fi
done
if [ -z "$bad" ]; then
  pass "50 runs: SIGTERM right after input, each exits 0 within 10 s"
else
  fail "50 runs: SIGTERM right after input, each exits 0 within 10 s" "$bad"
fi

finish
