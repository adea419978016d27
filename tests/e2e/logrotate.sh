#!/bin/bash
# tests/e2e/logrotate.sh - data/logrotate.d/lognym.example with the real
# logrotate (Debian package logrotate; .ci/run installs it), two forced
# rotations each, in a temporary directory.
#
# 1. The stanza as shipped, its paths pointed at the temporary directory,
#    lognym at the built binary, the Apache reload replaced by a marker
#    file: raw lines in access.log, `logrotate -f -s STATE CONF`, new raw
#    lines, again.  access.log.1 must be lognym's output for what was
#    rotated (lognym audit: status 0), access.log.2.gz valid gzip of the
#    earlier anonymised lines, and no raw line anywhere but in the live
#    access.log.
# 2. The commented variant for a piped logger, uncommented: lognym -o
#    access.log (--run-as nobody when root) reads a FIFO fed by a writer
#    that keeps writing while logrotate rotates twice, its postrotate's
#    pkill replaced by kill -HUP of that lognym: every line once, in order,
#    across access.log.2.gz, access.log.1 and access.log.
#
# Skipped (77) without /usr/sbin/logrotate.

. "$(dirname "$0")/lib.sh"

LOGROTATE=/usr/sbin/logrotate
if [ ! -x "$LOGROTATE" ]; then
  echo "SKIP: $LOGROTATE not found (apt-get install logrotate)"
  exit 77
fi
EXAMPLE=$TESTS_SRCDIR/../data/logrotate.d/lognym.example
if [ ! -f "$EXAMPLE" ]; then
  echo "SKIP: $EXAMPLE not found"
  exit 77
fi

D=$WORK/logrotate
mkdir -p "$D" || exit 99
cd "$D" || exit 99

IS_ROOT=no
[ "$(id -u)" = 0 ] && IS_ROOT=yes

# --- helpers ----------------------------------------------------------------

PIDS=
lr_cleanup () {
  local p
  exec 3>&- 2>/dev/null
  for p in $PIDS; do
    kill -9 "$p" 2>/dev/null
  done
  cleanup
}
trap lr_cleanup EXIT

# raw FIRST LAST: numbered raw combined lines
raw () {
  awk -v a="$1" -v b="$2" 'BEGIN {
    for (i = a; i <= b; i++)
      printf "%s - - [10/Oct/2000:13:55:36 -0700] \"GET /n/%d?ip=198.51.100.%d HTTP/1.1\" 200 %d \"-\" \"ua\"\n",
        (i % 3 == 0 ? sprintf("2001:db8:%x::1", i) : sprintf("192.0.2.%d", i % 250 + 1)), i, i % 250 + 1, i
  }'
}

# in_order FILE...: "N" when the files hold lines 1..N in order, once each
in_order () {
  cat "$@" 2>/dev/null | awk '
    { if (match($0, /"GET \/n\/[0-9]+[ ?]/) == 0) { print "line " NR " has no number"; bad = 1; exit }
      n = substr($0, RSTART + 8, RLENGTH - 9) + 0
      if (n != NR) { print "line " NR " is number " n; bad = 1; exit } }
    END { if (!bad) print (NR ? NR : "no lines") }'
}

# audit_ok NAME FILE: lognym audit finds nothing (gzip read as such)
audit_ok () {
  "$LOGNYM" audit "$2" >audit.out 2>&1
  local rc=$?
  check_status "$1" 0 "$rc"
  [ "$rc" = 0 ] || head -n 3 audit.out | sed 's/^/#   /'
}

# --- 1. the stanza as shipped -------------------------------------------------------

L=$D/log
mkdir -p "$L"
# the shipped stanza: from the first line that starts with the path to "}"
sed -n '/^\/var\/log\/apache2\/access.log {/,/^}/p' "$EXAMPLE" >stanza.orig
sed -e "s#/var/log/apache2#$L#g" \
  -e "s#/usr/bin/lognym#$LOGNYM#g" \
  -e "s#pgrep -f ^/usr/sbin/apache2 >/dev/null#true#" \
  -e "s#invoke-rc.d apache2 reload >/dev/null 2>&1 || true#touch $D/reloaded#" \
  -e "s#sleep 5#sleep 0#" \
  stanza.orig >rotate.conf
# not root: the new access.log cannot be given to root:adm
[ "$IS_ROOT" = yes ] || sed -i 's/create 640 root adm/create 640/' rotate.conf
if [ -s stanza.orig ] && ! grep -q -e invoke-rc.d -e /usr/bin/lognym -e /var/log rotate.conf \
   && grep -q -e "--in-place $L/access.log.1" rotate.conf; then
  pass "the shipped stanza is found and pointed at the test directory"
else
  fail "the shipped stanza is found and pointed at the test directory" "$(cat rotate.conf)"
fi
for opt in daily "rotate 14" compress delaycompress missingok notifempty sharedscripts; do
  check_true "the shipped stanza has '$opt'" "missing" grep -q -x "[[:space:]]*$opt" stanza.orig
done

raw 1 100 >"$L/access.log"
chmod 604 "$L/access.log"
touch -d '2020-05-06 07:08:09' "$L/access.log"
stat -c '%a %U %G %y' "$L/access.log" >meta.before
raw 1 100 >batch1.raw
"$LOGNYM" batch1.raw >batch1.expected 2>/dev/null
"$LOGROTATE" -f -s state rotate.conf >lr1.out 2>&1
check_status "first rotation: logrotate status 0" 0 "$?"
[ -s lr1.out ] && sed 's/^/#   /' lr1.out
check_true "first rotation: postrotate ran (the reload marker)" "no marker" test -f reloaded
check_files "first rotation: access.log.1 is the anonymised first batch" \
  batch1.expected "$L/access.log.1"
audit_ok "first rotation: lognym audit access.log.1: status 0" "$L/access.log.1"
check_true "first rotation: a new, empty access.log" "no empty access.log" \
  eval "[ -f '$L/access.log' ] && [ ! -s '$L/access.log' ]"
stat -c '%a %U %G %y' "$L/access.log.1" >meta.txt
check_files "first rotation: access.log.1 keeps the mode, owner and mtime of the log" \
  meta.before meta.txt

raw 101 250 >>"$L/access.log"
raw 101 250 >batch2.raw
"$LOGNYM" batch2.raw >batch2.expected 2>/dev/null
rm -f reloaded
"$LOGROTATE" -f -s state rotate.conf >lr2.out 2>&1
check_status "second rotation: logrotate status 0" 0 "$?"
[ -s lr2.out ] && sed 's/^/#   /' lr2.out
check_true "second rotation: postrotate ran" "no marker" test -f reloaded
if [ "$IS_ROOT" = yes ]; then
  stat -c '%a %U %G' "$L/access.log.1" >meta.txt
  check_text "second rotation: access.log.1 keeps what 'create' gave it (640 root adm)" \
    "640 root adm" meta.txt
fi
check_files "second rotation: access.log.1 is the anonymised second batch" \
  batch2.expected "$L/access.log.1"
check_true "second rotation: access.log.2.gz is valid gzip" "gzip -t fails" \
  gzip -t "$L/access.log.2.gz"
zcat "$L/access.log.2.gz" >two.txt 2>&1
check_files "second rotation: access.log.2.gz holds the anonymised first batch" \
  batch1.expected two.txt
audit_ok "second rotation: lognym audit access.log.2.gz: status 0" "$L/access.log.2.gz"
(cd "$L" && ls -A) >files.txt
check_text "second rotation: access.log, access.log.1, access.log.2.gz and nothing else" \
  "access.log
access.log.1
access.log.2.gz" files.txt
# nothing raw but the live log
if [ -n "${LEAKCHECK:-}" ] && [ -x "$LEAKCHECK" ]; then
  cat batch1.raw batch2.raw >all.raw
  { zcat "$L/access.log.2.gz"; cat "$L/access.log.1"; } >rotated.txt
  "$LEAKCHECK" all.raw rotated.txt >leak.out 2>&1
  check_status "no client address of either batch in the rotated files (leakcheck)" 0 "$?"
fi

# --- 2. the variant for a piped logger ----------------------------------------------

P=$D/piped
mkdir -p "$P"
sed -n '/^#\/var\/log\/apache2\/access.log {/,/^#}/s/^#//p' "$EXAMPLE" >variant.orig
RUN_AS=()
OWNER=$(id -un)
if [ "$IS_ROOT" = yes ]; then
  RUN_AS=(--run-as nobody)
  OWNER=nobody
  # lognym reopens access.log as nobody: it must reach the directory
  chmod 755 "$WORK" "$D" "$P"
fi
GROUP=$(id -gn "$OWNER")

mkfifo in.fifo
"$LOGNYM" "${RUN_AS[@]}" -o "$P/access.log" <in.fifo 2>lognym.err &
LPID=$!
PIDS="$PIDS $LPID"
exec 3>in.fifo

sed -e "s#/var/log/apache2#$P#g" \
  -e "s#pkill -HUP .*#kill -HUP $LPID#" \
  -e "s#create 640 www-data adm#create 640 $OWNER $GROUP#" \
  variant.orig >variant.conf
if [ -s variant.orig ] && grep -q -e "kill -HUP $LPID" variant.conf \
   && ! grep -q -e /var/log -e pkill variant.conf; then
  pass "the shipped variant is found and pointed at the test directory"
else
  fail "the shipped variant is found and pointed at the test directory" "$(cat variant.conf)"
fi

# the writer: 30000 numbered lines, a short pause every 500
(
  for ((i = 1; i <= 30000; i += 500)); do
    raw "$i" $((i + 499))
    sleep 0.01
  done
) >&3 &
WPID=$!
PIDS="$PIDS $WPID"

lines_in () { [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ]; }
wait_for 10 lines_in "$P/access.log" 2000
"$LOGROTATE" -f -s state2 variant.conf >lr3.out 2>&1
check_status "piped variant, first rotation: logrotate status 0" 0 "$?"
[ -s lr3.out ] && sed 's/^/#   /' lr3.out
wait_for 10 lines_in "$P/access.log" 2000
"$LOGROTATE" -f -s state2 variant.conf >lr4.out 2>&1
check_status "piped variant, second rotation: logrotate status 0" 0 "$?"
[ -s lr4.out ] && sed 's/^/#   /' lr4.out
mid=no
running "$WPID" && mid=yes
check_value "piped variant: both rotations while the writer was writing" yes "$mid"
wait_for 30 eval '! running '"$WPID"
exec 3>&-
if wait_for 10 eval '! running '"$LPID"; then
  wait "$LPID"
  RC=$?
else
  kill -9 "$LPID"
  RC=timeout
fi
check_status "piped variant: lognym exits 0 at EOF" 0 "$RC"
check_empty "piped variant: lognym said nothing" lognym.err
(cd "$P" && ls -A) >files.txt
check_text "piped variant: access.log, access.log.1, access.log.2.gz" "access.log
access.log.1
access.log.2.gz" files.txt
zcat "$P/access.log.2.gz" >two.txt 2>/dev/null
got=$(in_order two.txt "$P/access.log.1" "$P/access.log")
check_value "piped variant: all 30000 lines once each, in order, across the three files" \
  30000 "$got"
empty=
for f in two.txt "$P/access.log.1" "$P/access.log"; do
  [ -s "$f" ] || empty="$empty $(basename "$f")"
done
check_value "piped variant: each of the three files got lines" "" "$empty"
"$LOGNYM" audit "$P/access.log.2.gz" "$P/access.log.1" "$P/access.log" >audit.out 2>&1
check_status "piped variant: lognym audit of the three files: status 0" 0 "$?"

finish
