#!/bin/bash
# tests/e2e/progress.sh - the progress line as a person sees it: lognym runs
# in a tmux pane (a real terminal, 120x10) and the screen is read with
# `tmux capture-pane -p`.  Mid-run the pane must show one line with the
# percent, bytes of the total, lines per second and the time left, redrawn
# in place; at the end that line must be gone (only what the script prints
# afterwards, or the --stats summary, is on the screen).  With
# --no-progress, or with standard error not the terminal, nothing shows.
#
# lognym reads some 5 million lines a second, so it is slowed down by the
# test: it starts stopped, then is continued and stopped (SIGCONT/SIGSTOP)
# in a loop, so that it runs a millisecond or two in every 100.  The run therefore takes seconds, and a
# frame can be captured mid-run.  Skips (77) only when tmux is missing.

. "$(dirname "$0")/lib.sh"

if ! command -v tmux >/dev/null 2>&1; then
  echo "SKIP: tmux is not installed (apt-get install tmux)"
  exit 77
fi

D=$WORK/progress
mkdir -p "$D" || exit 99
cd "$D" || exit 99

# our own tmux server, its socket under $WORK, not the user's
TMUX_TMPDIR=$WORK
export TMUX_TMPDIR
unset TMUX
# a server per run (lognymtest1, 2, ...): a new session on a server that is
# still shutting down fails
RUN=0
T="tmux -L lognymtest0 -f /dev/null"

PIDS=
progress_cleanup () {
  local p i
  for p in $PIDS; do
    kill -CONT "$p" 2>/dev/null
    kill -9 "$p" 2>/dev/null
  done
  for i in $(seq 1 "$RUN"); do
    tmux -L "lognymtest$i" -f /dev/null kill-server 2>/dev/null
  done
  cleanup
}
trap progress_cleanup EXIT

# 600 000 lines, about 60 MB: enough that a fast lognym, slowed down as
# below, is still running when the second frame is looked for
awk 'BEGIN {
  for (i = 1; i <= 600000; i++)
    printf "192.0.%d.%d - - [10/Oct/2000:13:55:36 -0700] \"GET /p/%d HTTP/1.1\" 200 %d \"-\" \"Mozilla/5.0\"\n", i % 256, i % 250 + 1, i, i
}' >big.log

# screen: the pane's visible text, trailing blank lines removed
screen () {
  $T capture-pane -p -t lognym 2>/dev/null | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}

# realtime PID: PID runs before any ordinary process (SCHED_FIFO) where
# that is allowed (root): on a busy machine, a throttle that waits for a
# CPU lets a fast lognym run for as long as the wait, and it could read
# the whole file in one of its "short" windows.  lognym itself is not.
realtime () {
  chrt -f -p 50 "$1" >/dev/null 2>&1 || true
}

# start ARGS...: lognym ARGS big.log >/dev/null $REDIR in a new pane (the
# session "lognym"), then "rc=N" when it ends; $LPID is lognym's pid, slowed
# down by a stop/continue loop ($SLOWPID)
start () {
  local args
  $T kill-server 2>/dev/null
  RUN=$((RUN + 1))
  T="tmux -L lognymtest$RUN -f /dev/null"
  rm -f pid
  printf -v args ' %q' "$@"
  $T new-session -d -x 120 -y 10 -s lognym \
    "sh -c 'echo \$\$ >pid; kill -STOP \$\$; exec $(printf %q "$LOGNYM")$args big.log >/dev/null ${REDIR:-}'; echo rc=\$?; exec sleep 600" \
    || { echo "cannot start tmux"; exit 99; }
  wait_for 10 test -s pid || { fail "start: lognym did not start in the pane"; return 1; }
  LPID=$(cat pid)
  PIDS="$PIDS $LPID"
  # The pane's shell stops itself before it becomes lognym, and runs on
  # only under the loop below: a lognym that ran at full speed until this
  # script had read the pid could finish 600 000 lines (under 0.1 s on a
  # fast machine) before the first frame.
  wait_for 10 eval 'grep -q "^[0-9]* ([^)]*) T" "/proc/$LPID/stat"' \
    || { fail "start: the pane's shell did not stop itself"; return 1; }
  # the pauses are bash's own "read -t" on a FIFO nobody writes, not
  # sleep(1): a fork and exec per pause made lognym's running windows
  # long and uneven on a busy machine, and a fast lognym finished before
  # the second frame
  rm -f idle.fifo
  mkfifo idle.fifo || exit 99
  (
    realtime $BASHPID
    exec 9<>idle.fifo
    while kill -STOP "$LPID" 2>/dev/null; do
      read -r -t "${SLOW:-0.1}" -u 9
      kill -CONT "$LPID" 2>/dev/null || break
      read -r -t 0.001 -u 9
    done
  ) &
  SLOWPID=$!
  PIDS="$PIDS $SLOWPID"
}

# finish_run: full speed again; wait for "rc=" on the screen
finish_run () {
  kill "$SLOWPID" 2>/dev/null
  wait "$SLOWPID" 2>/dev/null
  kill -CONT "$LPID" 2>/dev/null
  wait_for 20 eval 'screen | grep -q "^rc="'
}

# g_format_size() puts a no-break space before the unit
FRAME='^lognym: +[0-9]{1,3}%  [0-9.]+[^ ]* ?[kMG]?B of [0-9.]+[^ ]* ?[kMG]?B  [0-9]+ lines/s  [0-9]+:[0-5][0-9] left *$'

# --- the default on a terminal ----------------------------------------------

start
if wait_for 20 eval 'screen | grep -q "lines/s"'; then
  screen >frame1.txt
  pass "terminal: a progress line appears mid-run"
  if [ "$(wc -l <frame1.txt)" = 1 ] && grep -q -E "$FRAME" frame1.txt; then
    pass "terminal: one line with percent, bytes of total, lines/s and time left"
  else
    fail "terminal: one line with percent, bytes of total, lines/s and time left" \
      "screen:" "$(cat -A frame1.txt)"
  fi
  total=$(awk -v s="$(stat -c %s big.log)" 'BEGIN { printf "%.1f", s / 1e6 }')
  if grep -q -E " of $total[^ ]* ?MB " frame1.txt; then
    pass "terminal: the total is the file's size ($total MB)"
  else
    fail "terminal: the total is the file's size ($total MB)" "$(cat -A frame1.txt)"
  fi
  # redrawn in place: later, another frame on the same single line.  From
  # here lognym is held stopped and let run a few milliseconds at a time,
  # with a pause over the redraw interval (a quarter of a second) between:
  # on a busy machine the windows of the stop/continue loop grow, and a
  # fast lognym could end between two looks at the screen
  kill "$SLOWPID" 2>/dev/null
  wait "$SLOWPID" 2>/dev/null
  kill -STOP "$LPID" 2>/dev/null
  # The window grows by a millisecond a step: lognym redraws only every
  # 16384 lines (2 ms of a fast one), and on a busy machine it may not get
  # a CPU at once.  It is timed by bash's own "read -t", as above: the
  # fork and exec of sleep(1) made it 10 ms and more, in which a fast
  # lognym read the rest of the file.
  rm -f step.fifo
  mkfifo step.fifo || exit 99
  exec 8<>step.fifo
  realtime $$
  step_once () {
    local window
    printf -v window '0.%03d' "$step"
    kill -CONT "$LPID" 2>/dev/null
    read -r -t "$window" -u 8
    kill -STOP "$LPID" 2>/dev/null
    sleep 0.3
    screen >frame2.txt
    ! cmp -s frame1.txt frame2.txt && grep -q "lines/s" frame2.txt
  }
  got=
  for step in $(seq 1 40); do
    if step_once; then
      got=1
      break
    fi
  done
  chrt -o -p 0 $$ >/dev/null 2>&1
  if [ -n "$got" ]; then
    if [ "$(wc -l <frame2.txt)" = 1 ] && grep -q -E "$FRAME" frame2.txt; then
      pass "terminal: redrawn in place (a new frame, still one line)"
    else
      fail "terminal: redrawn in place (a new frame, still one line)" "$(cat -A frame2.txt)"
    fi
    p1=$(sed -E 's/^lognym: +([0-9]+)%.*/\1/' frame1.txt)
    p2=$(sed -E 's/^lognym: +([0-9]+)%.*/\1/' frame2.txt)
    check_true "terminal: the percentage grows ($p1% then $p2%)" "it did not" test "$p2" -ge "$p1"
  else
    fail "terminal: redrawn in place (a new frame, still one line)" "no second frame"
  fi
else
  fail "terminal: a progress line appears mid-run" "screen:" "$(screen | cat -A)"
fi
finish_run
screen >final.txt
check_text "terminal: at the end the line is erased, nothing else on the screen" "rc=0" final.txt

# --- with --stats: only the summary remains ----------------------------------

start --stats
wait_for 20 eval 'screen | grep -q "lines/s"' \
  || fail "--stats: a progress line appears mid-run" "$(screen | cat -A)"
finish_run
screen >final.txt
if head -n 1 final.txt | grep -q '^lognym: stats: files=1 lines_read=600000 ' \
   && tail -n 1 final.txt | grep -q -x 'rc=0' && ! grep -q -e 'lines/s' -e '%' final.txt; then
  pass "--stats: at the end only the summary (from column 0) and rc=0"
else
  fail "--stats: at the end only the summary (from column 0) and rc=0" "$(cat -A final.txt)"
fi

# --- --no-progress, and standard error not a terminal: nothing --------------

for variant in --no-progress stderr-file; do
  if [ "$variant" = --no-progress ]; then
    SLOW=0.1 start --no-progress --allow-core-dumps
  else
    rm -f err.txt
    SLOW=0.1 REDIR='2>err.txt' start --allow-core-dumps
  fi
  # look while it reads the first 4 MB (some 40 000 lines: with the
  # default, a frame is drawn by then); /proc/PID/io is readable because
  # of --allow-core-dumps (else it is root's)
  seen=no
  for _ in $(seq 1 1000); do
    running "$LPID" || break
    screen | grep -q -e 'lines/s' -e '%' && { seen=yes; break; }
    [ "$(awk '/^rchar/ { print $2 }' "/proc/$LPID/io" 2>/dev/null || echo 0)" -ge 4000000 ] && break
    sleep 0.02
  done
  still=no
  running "$LPID" && still=yes
  finish_run
  screen >final.txt
  if [ "$seen" = no ] && [ "$still" = yes ]; then
    pass "$variant: no progress line while it runs"
  else
    fail "$variant: no progress line while it runs" \
      "seen: $seen, still running after 4 MB: $still" "$(screen | cat -A)"
  fi
  check_text "$variant: nothing on the screen at the end" "rc=0" final.txt
done
check_empty "stderr-file: nothing written to standard error" err.txt

finish
