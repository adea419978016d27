#!/bin/bash
# tests/e2e/systemd.sh - the shipped unit data/systemd/lognym-nginx.service.
#
# systemd is not run: `systemd-analyze verify` checks the unit (with
# ExecStart pointing at the lognym under test), and then what the unit
# would do is done by hand, with its own command lines taken from the file:
# the directories systemd makes (RuntimeDirectory=, LogsDirectory=, their
# modes, owned by User=/Group= when root), ExecStartPre= and ExecStart= as
# User= (setpriv, when root) under UMask=, a writer that opens, writes and
# closes the FIFO as nginx does on start and reload, ExecReload= after the
# log was moved (logrotate), and SIGTERM (systemctl stop) that must end it
# with status 0.  Paths under /run/lognym and /var/log/lognym are moved
# under the test's temporary directory.

. "$(dirname "$0")/lib.sh"

UNIT=${TESTS_SRCDIR%/tests}/data/systemd/lognym-nginx.service
[ -r "$UNIT" ] || { echo "cannot read $UNIT"; exit 99; }

D=$WORK/systemd
mkdir -p "$D" || exit 99
cd "$D" || exit 99

SKIPPED=0
skip () {
  SKIPPED=$((SKIPPED + 1))
  printf 'skip - %s\n' "$1"
}

PIDS=
systemd_cleanup () {
  local p
  exec 3>&- 2>/dev/null
  for p in $PIDS; do
    kill -9 "$p" 2>/dev/null
  done
  cleanup
}
trap systemd_cleanup EXIT

# key NAME: the value of the unit's (last) NAME= line
key () {
  sed -n "s/^$1=//p" "$UNIT" | tail -n 1
}

# --- systemd-analyze verify -----------------------------------------------------

if command -v systemd-analyze >/dev/null 2>&1; then
  sed "s|/usr/bin/lognym|$LOGNYM|g" "$UNIT" >lognym-nginx.service
  systemd-analyze verify --man=no ./lognym-nginx.service >verify.out 2>&1
  RC=$?
  check_status "systemd-analyze verify: exit status 0" 0 "$RC"
  check_empty "systemd-analyze verify: no warning" verify.out
else
  skip "systemd-analyze verify (systemd-analyze not installed)"
fi

# --- the unit's commands, by hand ---------------------------------------------

RUN=$D/run/lognym
LOGS=$D/log/lognym
USER_=$(key User)
GROUP_=$(key Group)
# the unit's command lines with the paths moved
cmdline () {
  key "$1" | sed -e "s|/run/lognym|$RUN|g" -e "s|/var/log/lognym|$LOGS|g" \
    -e "s|/usr/bin/lognym|$LOGNYM|g"
}

AS=()
if [ "$(id -u)" = 0 ] && id "$USER_" >/dev/null 2>&1 && getent group "$GROUP_" >/dev/null; then
  AS=(setpriv --reuid="$USER_" --regid="$GROUP_" --clear-groups --)
  chmod 755 "$WORK" "$D"
  # lognym itself must be reachable by User=
  probe=$("${AS[@]}" "$LOGNYM" --version >/dev/null 2>&1 && echo yes)
  if [ "$probe" != yes ]; then
    skip "as $USER_ (it cannot run $LOGNYM); running as $(id -un)"
    AS=()
  fi
else
  skip "as User=$USER_ (needs root and the user); running as $(id -un)"
fi

mkdir -p "$RUN" "$LOGS" || exit 99
chmod "$(key RuntimeDirectoryMode)" "$RUN"
chmod "$(key LogsDirectoryMode)" "$LOGS"
chmod 755 "$D/run" "$D/log"
if [ ${#AS[@]} -gt 0 ]; then
  chown "$USER_:$GROUP_" "$RUN" "$LOGS"
fi

eval "set -- $(cmdline ExecStartPre)"
(umask "$(key UMask)" && "${AS[@]}" "$@") >pre.out 2>&1
check_status "ExecStartPre: exit status 0" 0 "$?"
check_true "ExecStartPre: the FIFO exists" "no FIFO" test -p "$RUN/access.fifo"
eval "set -- $(cmdline ExecStartPre)"
(umask "$(key UMask)" && "${AS[@]}" "$@") >pre.out 2>&1
check_status "ExecStartPre again (a restart): exit status 0, FIFO kept" 0 "$?"

eval "set -- $(cmdline ExecStart)"
(umask "$(key UMask)" && exec "${AS[@]}" "$@") >lognym.out 2>lognym.err &
LPID=$!
PIDS="$PIDS $LPID"

line () {
  printf '192.0.2.%d - - [10/Oct/2000:13:55:36 -0700] "GET /n/%d HTTP/1.1" 200 %d "-" "ua/%d"\n' \
    $(($1 % 250 + 1)) "$1" "$1" "$1"
}
has_lines () {
  [ -f "$2" ] && [ "$(wc -l <"$2")" -eq "$1" ]
}

# nginx starts: opens the FIFO (waits for the reader), writes
exec 3>"$RUN/access.fifo"
line 1 >&3
line 2 >&3
if wait_for 5 has_lines 2 "$LOGS/access.log"; then
  pass "the writer's lines reach $(key ExecStart | sed 's/.* -o \([^ ]*\).*/\1/') at once"
else
  fail "the writer's lines reach the log at once" "$(cat lognym.err)"
fi
# nginx reloads: closes the FIFO and opens it again
exec 3>&-
exec 3>"$RUN/access.fifo"
line 3 >&3
wait_for 5 has_lines 3 "$LOGS/access.log"
check_true "after the writer closed and reopened the FIFO (nginx reload): still read" \
  "$(wc -l <"$LOGS/access.log") lines" has_lines 3 "$LOGS/access.log"
check_not_contains "the log holds no client address" "192.0.2.2 " "$LOGS/access.log"
stat -c %a "$LOGS/access.log" >mode.txt
check_text "the log is created with mode 0640 (--mode)" 640 mode.txt
if [ ${#AS[@]} -gt 0 ]; then
  stat -c %U "$LOGS/access.log" >owner.txt
  check_text "the log belongs to User=" "$USER_" owner.txt
fi

# logrotate: move, then ExecReload
mv "$LOGS/access.log" "$LOGS/access.log.1"
reload=$(key ExecReload | sed "s/\$MAINPID/$LPID/")
eval "$reload"
check_status "ExecReload: exit status 0" 0 "$?"
wait_for 5 test -f "$LOGS/access.log"
line 4 >&3
if wait_for 5 has_lines 1 "$LOGS/access.log"; then
  pass "after the move and ExecReload, new lines go to a new log"
else
  fail "after the move and ExecReload, new lines go to a new log" "$(cat lognym.err)"
fi
check_true "the moved log keeps its 3 lines" "$(wc -l <"$LOGS/access.log.1")" \
  has_lines 3 "$LOGS/access.log.1"

# systemctl stop: SIGTERM (KillMode=mixed: to the main process)
kill -TERM "$LPID"
if wait_for 10 eval '! running '"$LPID"; then
  wait "$LPID"
  RC=$?
else
  RC=timeout
fi
check_status "SIGTERM (systemctl stop): exit status 0" 0 "$RC"
check_empty "nothing on standard error" lognym.err
exec 3>&-

[ "$SKIPPED" = 0 ] || echo "# $SKIPPED skipped"
finish
