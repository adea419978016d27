#!/bin/bash
# tests/e2e/keys.sh - keyed pseudonyms end to end: --ip=hmac, hmac-ipv6 and
# truncate+hmac with a fixed key (goldens), keygen, key-file checks,
# LOGNYM_KEY_FILE, rotating keys in a directory (concurrent creation,
# per-record periods, erasure, expired periods) and derived keys.
#
#   tests/e2e/keys.sh                  run every check
#   REGENERATE=1 tests/e2e/keys.sh     rewrite tests/data/expected/keys-*.out
#
# After regenerating, review the goldens by eye (git diff): a golden states
# what lognym SHOULD do.  HAND_EDITED lists goldens that REGENERATE=1
# leaves alone unless REGENERATE_HAND=1 (none today: keys-hmac-ipv6.out's
# "[PSEUDONYM]:51234" lines were hand-written until lognym learnt to
# bracket an IPv6 pseudonym followed by a port).
#
# The goldens were reviewed by hand: every token is 16 base32 characters,
# one address always gives one token, 192.0.2.7 and ::ffff:192.0.2.7 give
# the same one, and no client address of the input is left.  The checks
# below verify those properties on every run as well, and compare some
# tokens with HMAC-SHA-256 and HKDF computed by openssl(1), independently
# of lognym.
#
# The key is tests/data/keys/fixed.key.  Git does not keep its mode 0600,
# so it is copied into the scratch directory and chmod'ed there.
#
# Dates of the rotation checks are relative to the real clock (lognym
# erases keys relative to "now").

if [ -f "$(dirname "$0")/lib.sh" ]; then
  . "$(dirname "$0")/lib.sh"
else
  # a minimal stand-in for tests/e2e/lib.sh
  set -u
  LC_ALL=C; export LC_ALL; LANGUAGE=; export LANGUAGE
  unset LANG LOGNYM_LOCALEDIR LOGNYM_KEY_FILE 2>/dev/null
  umask 022
  TESTS_SRCDIR=${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
  DATA=$TESTS_SRCDIR/data
  if [ -z "${LOGNYM:-}" ] || [ ! -x "$LOGNYM" ]; then
    echo "SKIP: lognym binary not found (set LOGNYM=path/to/lognym)"
    exit 77
  fi
  LEAKCHECK=${LEAKCHECK:-}
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/lognym-e2e.XXXXXX") || exit 99
  trap 'chmod -R u+rwX "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
  PASSED=0 FAILED=0
  pass () { PASSED=$((PASSED + 1)); printf 'ok - %s\n' "$1"; }
  fail () {
    local name=$1; shift
    FAILED=$((FAILED + 1)); printf 'not ok - %s\n' "$name"
    [ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/#   /'
  }
  check_status () { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected exit status $2, got $3"; fi; }
  check_files () {
    if cmp -s "$2" "$3"; then pass "$1"
    else fail "$1" "$(diff -a -u "$2" "$3" | head -n 40 | cat -v)"; fi
  }
  check_contains () {
    if grep -q -F -e "$2" "$3"; then pass "$1"
    else fail "$1" "expected to find: $2" "in:" "$(head -c 2000 "$3" | cat -v)"; fi
  }
  check_not_contains () {
    if ! grep -q -F -e "$2" "$3"; then pass "$1"
    else fail "$1" "did not expect: $2" "$(grep -n -F -e "$2" "$3" | head -n 5 | cat -v)"; fi
  }
  check_empty () {
    if [ ! -s "$2" ]; then pass "$1"; else fail "$1" "expected an empty file, got:" "$(head -c 2000 "$2" | cat -v)"; fi
  }
  run_lognym () { local p=$1; shift; "$LOGNYM" "$@" >"$p.out" 2>"$p.err"; RC=$?; }
  finish () { printf '%d passed, %d failed\n' "$PASSED" "$FAILED"; [ "$FAILED" -gt 0 ] && exit 1; exit 0; }
fi

EXPECTED=$DATA/expected
KEYS=$DATA/keys
KEY=$WORK/fixed.key
cp "$KEYS/fixed.key" "$KEY" && chmod 600 "$KEY" || exit 99
KEYHEX=$(sed -n 's/^lognym-key-v1 \([0-9a-f]\{64\}\)$/\1/p' "$KEY")
[ ${#KEYHEX} -eq 64 ] || { echo "bad fixed key $KEYS/fixed.key"; exit 99; }

HAVE_OPENSSL=no
if command -v openssl >/dev/null 2>&1 && command -v base32 >/dev/null 2>&1 \
   && printf 'x' | openssl dgst -sha256 -mac HMAC -macopt hexkey:00 -binary >/dev/null 2>&1; then
  HAVE_OPENSSL=yes
fi

skip () {
  PASSED=$((PASSED + 1))
  printf 'ok - %s # SKIP %s\n' "$1" "$2"
}

# check_eq NAME EXPECTED ACTUAL
check_eq () {
  if [ "$2" = "$3" ]; then
    pass "$1"
  else
    fail "$1" "expected: $2" "actual:   $3"
  fi
}

# check_ne NAME A B
check_ne () {
  if [ "$2" != "$3" ]; then
    pass "$1"
  else
    fail "$1" "both are: $2"
  fi
}

# oracle_token KEYHEX ADDRHEX16: the first 80 bits of HMAC-SHA-256 as
# lognym's base32 token, computed by openssl.
oracle_token () {
  printf "$(printf '%s' "$2" | sed 's/../\\x&/g')" \
    | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$1" -binary \
    | head -c 10 | base32 | tr 'A-Z' 'a-z'
}

# hkdf_key MASTERHEX INFO: the 32-byte HKDF-SHA-256 output as hex (openssl).
hkdf_key () {
  openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt "hexkey:$1" \
    -kdfopt salt:lognym-derive-v1 -kdfopt "info:$2" HKDF 2>/dev/null \
    | tr -d ':\n' | tr 'A-F' 'a-f'
}

key_hex_of () {
  sed -n 's/^lognym-key-v1 \([0-9a-f]*\)$/\1/p' "$1"
}

# field N of line L of FILE
field () {
  awk -v l="$2" -v f="$3" 'NR == l { print $f }' "$1"
}

# clf EPOCH OFFSET: "[dd/Mon/yyyy:HH:MM:SS +hhmm]" of the instant EPOCH as
# written by a server whose clock is OFFSET (+hhmm or -hhmm).
clf () {
  local sign=${2:0:1} hh=${2:1:2} mm=${2:3:2} secs
  secs=$((10#$hh * 3600 + 10#$mm * 60))
  [ "$sign" = "-" ] && secs=$((-secs))
  printf '[%s %s]' "$(date -u -d "@$(($1 + secs))" '+%d/%b/%Y:%H:%M:%S')" "$2"
}

day_name () {
  date -u -d "@$1" +%F
}

# ----------------------------------------------------------- the goldens

INPUTS="$TESTS_SRCDIR/../data/sample-access.log $DATA/in/ipv4.log $DATA/in/ipv6.log $DATA/in/xff.log $KEYS/clients.log"
if [ ! -f "$TESTS_SRCDIR/../data/sample-access.log" ]; then
  echo "cannot find data/sample-access.log next to tests/"
  exit 99
fi

HAND_EDITED=""

golden () {   # golden NAME ARGS...
  local name=$1
  shift
  # shellcheck disable=SC2086
  run_lognym "$WORK/$name" "$@" $INPUTS
  if [ "${REGENERATE:-}" = 1 ] \
     && { [ "${REGENERATE_HAND:-}" = 1 ] || ! printf ' %s ' $HAND_EDITED | grep -q -F " $name "; }; then
    cp "$WORK/$name.out" "$EXPECTED/$name.out"
    echo "# wrote $EXPECTED/$name.out"
  fi
  check_status "$name: exit status" 0 "$RC"
  check_files "$name: output equals the golden" "$EXPECTED/$name.out" "$WORK/$name.out"
  # shellcheck disable=SC2086
  run_lognym "$WORK/$name.again" "$@" $INPUTS
  check_files "$name: a second run gives the same output" "$WORK/$name.out" "$WORK/$name.again.out"
}

golden keys-hmac --ip=hmac -k "$KEY"
golden keys-hmac-ipv6 --ip=hmac-ipv6 -k "$KEY"
golden keys-truncate-hmac --ip=truncate+hmac -k "$KEY"
golden keys-derive-daily --ip=hmac -k "$KEY" --derive daily

# ------------------------------------------ properties of this run's output

# Each input alone, so that line numbers match.
C=$WORK/clients
run_lognym "$C.hmac" --ip=hmac -k "$KEY" "$KEYS/clients.log"
run_lognym "$C.v6" --ip=hmac-ipv6 -k "$KEY" "$KEYS/clients.log"
run_lognym "$C.th" --ip=truncate+hmac -k "$KEY" "$KEYS/clients.log"

bad_tokens=$(awk 'NR <= 13 && (length($1) != 16 || $1 !~ /^[a-z2-7]+$/) { print NR ": " $1 }' "$C.hmac.out")
if [ -z "$bad_tokens" ] && [ "$(wc -l <"$C.hmac.out")" -eq 18 ]; then
  pass "hmac: every client address became 16 base32 characters"
else
  fail "hmac: every client address became 16 base32 characters" "$bad_tokens" \
    "$(wc -l <"$C.hmac.out") lines"
fi
t1=$(field "$C.hmac.out" 1 1)
same=$(awk -v t="$t1" '(NR <= 6 || NR == 18) && $1 != t { print NR ": " $1 }' "$C.hmac.out")
if [ -z "$same" ]; then
  pass "hmac: every written form of 192.0.2.7 (mapped, bracketed, port, upper case) has one token"
else
  fail "hmac: every written form of 192.0.2.7 (mapped, bracketed, port, upper case) has one token" "$same"
fi
check_eq "hmac: 192.0.2.7 and ::ffff:192.0.2.7 give the same token" "$t1" "$(field "$C.hmac.out" 2 1)"
t8=$(field "$C.hmac.out" 8 1)
check_eq "hmac: compressed, bracketed and upper-case IPv6 give one token" \
  "$t8 $t8" "$(field "$C.hmac.out" 9 1) $(field "$C.hmac.out" 10 1)"
check_ne "hmac: neighbours in one /24 get different tokens" "$t1" "$(field "$C.hmac.out" 7 1)"
check_ne "hmac: neighbours in one /48 get different tokens" "$t8" "$(field "$C.hmac.out" 12 1)"
check_contains "hmac: an address in the request becomes the client's token" \
  "GET /p?from=$t1&v6=$t8 " "$C.hmac.out"
check_eq "truncate+hmac: network and token" "192.0.2.0-$t1" "$(field "$C.th.out" 1 1)"
check_eq "truncate+hmac: brackets and port dropped" "::ffff:192.0.2.0-$t1" "$(field "$C.th.out" 3 1)"
check_eq "truncate+hmac: IPv6 network and token" "2001:db8:85a3::-$t8" "$(field "$C.th.out" 9 1)"
v6a=$(field "$C.v6.out" 1 1)
case $v6a in
  2001:db8:*) pass "hmac-ipv6: the pseudonym is in 2001:db8::/32" ;;
  *) fail "hmac-ipv6: the pseudonym is in 2001:db8::/32" "got $v6a" ;;
esac
check_eq "hmac-ipv6: ::ffff:192.0.2.7 has the pseudonym of 192.0.2.7" "$v6a" "$(field "$C.v6.out" 2 1)"
check_eq "hmac-ipv6: brackets and port kept around the pseudonym" "[$v6a]:8080" "$(field "$C.v6.out" 3 1)"
# "a.b.c.d:port" must not become an unbracketed IPv6 address followed by
# ":port" (nine groups: not an address, and ambiguous)
v6p=$(field "$C.v6.out" 4 1)
case $v6p in
  "$v6a" | "[$v6a]:51234") pass "hmac-ipv6: an IPv4 address with a port stays unambiguous" ;;
  *) fail "hmac-ipv6: an IPv4 address with a port stays unambiguous" \
       "input 192.0.2.7:51234 became $v6p (expected $v6a or [$v6a]:51234)" ;;
esac

if [ "$HAVE_OPENSSL" = yes ]; then
  check_eq "hmac: token of 192.0.2.7 equals HMAC-SHA-256 by openssl" \
    "$(oracle_token "$KEYHEX" 00000000000000000000ffffc0000207)" "$t1"
  check_eq "hmac: token of 2001:db8:85a3::8a2e:370:7334 equals HMAC-SHA-256 by openssl" \
    "$(oracle_token "$KEYHEX" 20010db885a3000000008a2e03707334)" "$t8"
  check_eq "hmac: token of 198.51.100.23 (vhost line, forwarded-for hop) by openssl" \
    "$(oracle_token "$KEYHEX" 00000000000000000000ffffc6336417)" "$(field "$C.hmac.out" 14 2)"
else
  skip "tokens equal HMAC-SHA-256 by openssl" "openssl or base32 not installed"
fi

# no client address of the input is left in the output
if [ -n "${LEAKCHECK:-}" ] && [ -x "$LEAKCHECK" ]; then
  if "$LEAKCHECK" --any "$KEYS/clients.log" "$KEYS/clients.log" >/dev/null 2>&1; then
    fail "leakcheck finds the addresses of an unanonymised log (self-test)"
  else
    pass "leakcheck finds the addresses of an unanonymised log (self-test)"
  fi
  for input in "$TESTS_SRCDIR/../data/sample-access.log" "$DATA/in/ipv6.log" "$DATA/in/xff.log" \
               "$KEYS/clients.log" "$DATA/in/ipv4.log"; do
    base=$(basename "$input" .log)
    for mode in hmac hmac-ipv6 truncate+hmac; do
      any=--any
      # truncate+hmac keeps the network part, and ipv4.log has 0.0.0.0 as
      # a client, the placeholder of lines without an address
      if [ "$mode" = truncate+hmac ] || [ "$base" = ipv4 ]; then any=; fi
      run_lognym "$WORK/leak-$base-$mode" --ip="$mode" -k "$KEY" "$input"
      # shellcheck disable=SC2086
      if "$LEAKCHECK" $any "$input" "$WORK/leak-$base-$mode.out" >"$WORK/leak.txt" 2>&1; then
        pass "$mode: no client address of $base.log is left (leakcheck ${any:-default})"
      else
        fail "$mode: no client address of $base.log is left (leakcheck ${any:-default})" \
          "$(head -n 20 "$WORK/leak.txt")"
      fi
    done
  done
else
  skip "no client address is left (leakcheck)" "tests/leakcheck not built"
fi

# ---------------------------------------------------------------- keygen

K=$WORK/keygen
mkdir -p "$K"
run_lognym "$K/gen1" keygen "$K/new.key"
check_status "keygen: exit status 0" 0 "$RC"
check_eq "keygen: mode 0600" 600 "$(stat -c %a "$K/new.key" 2>/dev/null)"
if grep -q -x -E 'lognym-key-v1 [0-9a-f]{64}' "$K/new.key" && [ "$(wc -c <"$K/new.key")" -eq 79 ]; then
  pass "keygen: \"lognym-key-v1 <64 hex digits>\\n\""
else
  fail "keygen: \"lognym-key-v1 <64 hex digits>\\n\"" "$(cat -v "$K/new.key")"
fi
cp "$K/new.key" "$K/before"
run_lognym "$K/gen2" keygen "$K/new.key"
check_status "keygen: an existing file is status 2" 2 "$RC"
check_contains "keygen: the refusal names the file" "$K/new.key" "$K/gen2.err"
check_files "keygen: the existing key is unchanged" "$K/before" "$K/new.key"
ln -s "$K/elsewhere" "$K/link.key"
run_lognym "$K/gen3" keygen "$K/link.key"
check_status "keygen: a symbolic link is refused" 2 "$RC"
if [ ! -e "$K/elsewhere" ]; then pass "keygen: nothing written through the link"; else fail "keygen: nothing written through the link"; fi
LOGNYM_KEY_FILE=$K/env.key "$LOGNYM" keygen >"$K/gen4.out" 2>"$K/gen4.err"
check_status "keygen: LOGNYM_KEY_FILE names the file" 0 "$?"
check_eq "keygen: LOGNYM_KEY_FILE file has mode 0600" 600 "$(stat -c %a "$K/env.key" 2>/dev/null)"
run_lognym "$K/gen5" keygen
check_status "keygen: no file and no LOGNYM_KEY_FILE is a usage error" 1 "$RC"
check_ne "keygen: two keys differ" "$(key_hex_of "$K/new.key")" "$(key_hex_of "$K/env.key")"
run_lognym "$K/use" --ip=hmac -k "$K/new.key" "$KEYS/clients.log"
check_status "keygen: the new key works" 0 "$RC"
check_ne "keygen: another key gives other tokens" "$t1" "$(field "$K/use.out" 1 1)"

# ------------------------------------------------------------- key files

B=$WORK/bad
mkdir -p "$B"
for mode in 644 640 604; do
  cp "$KEY" "$B/k$mode"
  chmod "$mode" "$B/k$mode"
  run_lognym "$B/m$mode" --ip=hmac -k "$B/k$mode" "$KEYS/clients.log"
  check_status "key file mode 0$mode: status 2" 2 "$RC"
  check_contains "key file mode 0$mode: the message names the file" "$B/k$mode" "$B/m$mode.err"
  check_contains "key file mode 0$mode: the message names the mode" "0$mode" "$B/m$mode.err"
  check_empty "key file mode 0$mode: nothing written" "$B/m$mode.out"
done
if [ "$(id -u)" = 0 ]; then
  cp "$KEY" "$B/nobody.key"
  chown 65534:65534 "$B/nobody.key"
  run_lognym "$B/own" --ip=hmac -k "$B/nobody.key" "$KEYS/clients.log"
  check_status "key file of another user: status 2" 2 "$RC"
  check_contains "key file of another user: the message says so" "owned" "$B/own.err"
else
  skip "key file of another user: status 2" "not root"
fi
printf 'lognym-key-v1 000102030405060708090a0b0c0d0e\n' >"$B/short.key"
chmod 600 "$B/short.key"
run_lognym "$B/short" --ip=hmac -k "$B/short.key" "$KEYS/clients.log"
check_status "key of 15 bytes: status 2" 2 "$RC"
check_contains "key of 15 bytes: the message says it is too short" "too short" "$B/short.err"
printf 'this is not a key\n' >"$B/text.key"
chmod 600 "$B/text.key"
run_lognym "$B/text" --ip=hmac -k "$B/text.key" "$KEYS/clients.log"
check_status "not a key file: status 2" 2 "$RC"
run_lognym "$B/missing" --ip=hmac -k "$B/no-such.key" "$KEYS/clients.log"
check_status "missing key file: status 2" 2 "$RC"
check_contains "missing key file: the message names it" "$B/no-such.key" "$B/missing.err"
mkdir -m 700 "$B/dir.key"
run_lognym "$B/dir" --ip=hmac -k "$B/dir.key" "$KEYS/clients.log"
check_status "a directory as key file: status 2" 2 "$RC"

for mode in hmac hmac-ipv6 truncate+hmac; do
  run_lognym "$B/nokey-$mode" --ip="$mode" "$KEYS/clients.log"
  check_status "--ip=$mode without a key: usage error, status 1" 1 "$RC"
  check_empty "--ip=$mode without a key: nothing written" "$B/nokey-$mode.out"
done
check_contains "without a key: the message says how to get one" "keygen" "$B/nokey-hmac.err"
run_lognym "$B/both" --ip=hmac -k "$KEY" --key-dir "$B/kd" "$KEYS/clients.log"
check_status "--key-file with --key-dir: status 1" 1 "$RC"
run_lognym "$B/rot" --ip=hmac -k "$KEY" --rotate daily "$KEYS/clients.log"
check_status "--rotate without --key-dir: status 1" 1 "$RC"
run_lognym "$B/der" --ip=hmac --derive daily "$KEYS/clients.log"
check_status "--derive without a key file: status 1" 1 "$RC"

# LOGNYM_KEY_FILE
LOGNYM_KEY_FILE=$KEY "$LOGNYM" --ip=hmac "$KEYS/clients.log" >"$B/env.out" 2>"$B/env.err"
check_status "LOGNYM_KEY_FILE: status 0" 0 "$?"
check_files "LOGNYM_KEY_FILE: same output as -k" "$C.hmac.out" "$B/env.out"
LOGNYM_KEY_FILE=$B/k644 "$LOGNYM" --ip=hmac -k "$KEY" "$KEYS/clients.log" >"$B/env2.out" 2>"$B/env2.err"
check_status "-k wins over LOGNYM_KEY_FILE" 0 "$?"
check_files "-k wins over LOGNYM_KEY_FILE: output" "$C.hmac.out" "$B/env2.out"
LOGNYM_KEY_FILE=$B/k644 "$LOGNYM" --ip=hmac "$KEYS/clients.log" >"$B/env3.out" 2>"$B/env3.err"
check_status "LOGNYM_KEY_FILE of mode 0644: status 2" 2 "$?"
LOGNYM_KEY_FILE='' "$LOGNYM" --ip=hmac "$KEYS/clients.log" >"$B/env4.out" 2>"$B/env4.err"
check_status "empty LOGNYM_KEY_FILE is no key: status 1" 1 "$?"
LOGNYM_KEY_FILE=$KEY "$LOGNYM" --ip=hmac --derive daily "$KEYS/clients.log" >"$B/env5.out" 2>"$B/env5.err"
check_status "--derive with LOGNYM_KEY_FILE" 0 "$?"

# -------------------------------------------------------- rotating keys

NOW=$(date -u +%s)
TODAY=$(day_name "$NOW")
# noon of today (UTC) and of the days around it
NOON=$(( NOW / 86400 * 86400 + 43200 ))
R=$WORK/rot
mkdir -p "$R"

# concurrent creation: two processes, one empty directory, the same input
awk -v t="$(clf "$NOON" +0000)" 'BEGIN {
  for (i = 0; i < 3000; i++)
    printf "192.0.%d.%d - - %s \"GET /c%d HTTP/1.1\" 200 %d\n", int(i / 250), i % 250 + 1, t, i, i
}' >"$R/today.log"
race_ok=0
race_detail=
for round in 1 2 3 4 5; do
  dir=$R/race$round
  mkdir -m 700 "$dir"
  "$LOGNYM" --ip=hmac --key-dir "$dir" -o "$R/a$round.out" "$R/today.log" 2>"$R/a$round.err" &
  pa=$!
  "$LOGNYM" --ip=hmac --key-dir "$dir" -o "$R/b$round.out" "$R/today.log" 2>"$R/b$round.err" &
  pb=$!
  wait "$pa"; ra=$?
  wait "$pb"; rb=$?
  nkeys=$(find "$dir" -name '*.key' | wc -l)
  nother=$(find "$dir" -mindepth 1 ! -name '*.key' | wc -l)
  if [ "$ra" = 0 ] && [ "$rb" = 0 ] && cmp -s "$R/a$round.out" "$R/b$round.out" \
     && [ "$nkeys" = 1 ] && [ "$nother" = 0 ] && [ -f "$dir/$TODAY.key" ] \
     && [ "$(wc -l <"$R/a$round.out")" -eq 3000 ]; then
    race_ok=$((race_ok + 1))
  else
    race_detail="$race_detail round $round: status $ra/$rb, $nkeys key files, $nother other files, outputs $(cmp -s "$R/a$round.out" "$R/b$round.out" && echo equal || echo differ);"
  fi
done
check_eq "--key-dir: two concurrent processes agree and create one key file (5 rounds)" 5 "$race_ok"
[ -n "$race_detail" ] && echo "# $race_detail"
check_eq "--key-dir: the key file has mode 0600" 600 "$(stat -c %a "$R/race1/$TODAY.key" 2>/dev/null)"
if [ "$HAVE_OPENSSL" = yes ]; then
  check_eq "--key-dir: the token is HMAC under the period's key file (openssl)" \
    "$(oracle_token "$(key_hex_of "$R/race1/$TODAY.key")" 00000000000000000000ffffc0000001)" \
    "$(field "$R/a1.out" 1 1)"
fi
# eight at once, on a directory that does not exist yet
pids=
for i in 1 2 3 4 5 6 7 8; do
  "$LOGNYM" --ip=hmac --key-dir "$R/race8/keys" -o "$R/eight$i.out" "$R/today.log" 2>"$R/eight$i.err" &
  pids="$pids $!"
done
st=0
for p in $pids; do wait "$p" || st=1; done
agree=yes
for i in 2 3 4 5 6 7 8; do cmp -s "$R/eight1.out" "$R/eight$i.out" || agree=no; done
check_eq "--key-dir: eight concurrent processes on a new directory: status, agreement, key files" \
  "0 yes 1" "$st $agree $(find "$R/race8/keys" -name '*.key' | wc -l)"
check_eq "--key-dir: a created key directory has mode 0700" 700 "$(stat -c %a "$R/race8/keys" 2>/dev/null)"

# the period of a record is the UTC day of its own instant
MIDNIGHT=$(( NOW / 86400 * 86400 ))        # today 00:00:00 UTC
YESTERDAY=$(day_name $((MIDNIGHT - 1)))
{
  printf '192.0.2.7 - - %s "GET /y-235959-utc HTTP/1.1" 200 1\n' "$(clf $((MIDNIGHT - 1)) +0000)"
  printf '192.0.2.7 - - %s "GET /t-000000-utc HTTP/1.1" 200 2\n' "$(clf "$MIDNIGHT" +0000)"
  # 23:59:59 local at -0700 is 06:59:59 UTC today
  printf '192.0.2.7 - - %s "GET /y-235959-0700 HTTP/1.1" 200 3\n' "$(clf $((MIDNIGHT + 7 * 3600 - 1)) -0700)"
  # 00:00:00 local at +0530 is 18:30:00 UTC yesterday
  printf '192.0.2.7 - - %s "GET /t-000000-0530 HTTP/1.1" 200 4\n' "$(clf $((MIDNIGHT - 5 * 3600 - 1800)) +0530)"
  # 00:00:00 local at +1400 is 10:00:00 UTC yesterday
  printf '192.0.2.7 - - %s "GET /t-000000-1400 HTTP/1.1" 200 5\n' "$(clf $((MIDNIGHT - 14 * 3600)) +1400)"
  # 13:59:59 local at +1400 is 23:59:59 UTC yesterday; 14:00:00 is today
  printf '192.0.2.7 - - %s "GET /t-135959-1400 HTTP/1.1" 200 6\n' "$(clf $((MIDNIGHT - 1)) +1400)"
  printf '192.0.2.7 - - %s "GET /t-140000-1400 HTTP/1.1" 200 7\n' "$(clf "$MIDNIGHT" +1400)"
} >"$R/edges.log"
run_lognym "$R/edges" --ip=hmac --key-dir "$R/edges-keys" "$R/edges.log"
check_status "period edges: status 0" 0 "$RC"
if [ -f "$R/edges-keys/$YESTERDAY.key" ] && [ -f "$R/edges-keys/$TODAY.key" ] \
   && [ "$(find "$R/edges-keys" -name '*.key' | wc -l)" -eq 2 ]; then
  pass "period edges: keys of $YESTERDAY and $TODAY, no other"
else
  fail "period edges: keys of $YESTERDAY and $TODAY, no other" "$(ls "$R/edges-keys")"
fi
ty=$(field "$R/edges.out" 1 1)
tt=$(field "$R/edges.out" 2 1)
check_ne "period edges: 23:59:59 and 00:00:00 UTC have different tokens" "$ty" "$tt"
check_eq "period edges: each record in the UTC day of its own offset" \
  "$ty $tt $tt $ty $ty $ty $tt" \
  "$(awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 }' "$R/edges.out")"
if [ "$HAVE_OPENSSL" = yes ]; then
  check_eq "period edges: tokens are HMAC under each day's key file (openssl)" \
    "$(oracle_token "$(key_hex_of "$R/edges-keys/$YESTERDAY.key")" 00000000000000000000ffffc0000207) $(oracle_token "$(key_hex_of "$R/edges-keys/$TODAY.key")" 00000000000000000000ffffc0000207)" \
    "$ty $tt"
fi
run_lognym "$R/edges2" --ip=hmac --key-dir "$R/edges-keys" "$R/edges.log"
check_files "period edges: a second run reuses the keys" "$R/edges.out" "$R/edges2.out"

# weekly and monthly key names
run_lognym "$R/weekly" --ip=hmac --key-dir "$R/wk" --rotate weekly "$R/edges.log"
WEEK=$(date -u -d "@$NOW" +%G-W%V)
if [ "$RC" = 0 ] && [ -f "$R/wk/$WEEK.key" ]; then
  pass "--rotate weekly: key file $WEEK.key"
else
  fail "--rotate weekly: key file $WEEK.key" "status $RC" "$(ls "$R/wk" 2>&1)"
fi
run_lognym "$R/monthly" --ip=hmac --key-dir "$R/mo" --rotate monthly "$R/today.log"
MONTH=$(date -u -d "@$NOW" +%Y-%m)
if [ "$RC" = 0 ] && [ -f "$R/mo/$MONTH.key" ]; then
  pass "--rotate monthly: key file $MONTH.key"
else
  fail "--rotate monthly: key file $MONTH.key" "status $RC" "$(ls "$R/mo" 2>&1)"
fi

# erasure: keys older than --retain periods go, with tombstones
E=$R/erase
mkdir -m 700 "$E"
for back in 10 9 8 7 1; do
  name=$(day_name $((NOON - back * 86400)))
  printf 'lognym-key-v1 %s\n' "$(printf '%064d' "$back")" >"$E/$name.key"
  chmod 600 "$E/$name.key"
done
D10=$(day_name $((NOON - 10 * 86400)))
D8=$(day_name $((NOON - 8 * 86400)))
D7=$(day_name $((NOON - 7 * 86400)))
D3=$(day_name $((NOON - 3 * 86400)))
D1=$(day_name $((NOON - 86400)))
ln "$E/$D10.key" "$R/second-name-of-$D10"
cp "$E/$D7.key" "$R/copy-of-$D7"
printf 'notes\n' >"$E/README"
run_lognym "$R/erase" --ip=hmac --key-dir "$E" --retain 7 "$R/today.log"
check_status "erasure: status 0" 0 "$RC"
gone=
for back in 10 9 8; do
  name=$(day_name $((NOON - back * 86400)))
  [ -e "$E/$name.key" ] && gone="$gone $name.key still there;"
  [ -e "$E/$name.erased" ] || gone="$gone no $name.erased;"
done
check_eq "erasure: keys older than 7 days are gone, tombstones left" "" "$gone"
if [ -f "$E/$D7.key" ] && [ -f "$E/$D1.key" ] && [ ! -e "$E/$D7.erased" ] && [ -f "$E/README" ]; then
  pass "erasure: keys within the retention and other files are kept"
else
  fail "erasure: keys within the retention and other files are kept" "$(ls -a "$E")"
fi
check_files "erasure: a kept key is unchanged" "$R/copy-of-$D7" "$E/$D7.key"
size=$(wc -c <"$R/second-name-of-$D10")
nonzero=$(tr -d '\000' <"$R/second-name-of-$D10" | wc -c)
check_eq "erasure: the erased key's bytes were overwritten with zeros in place" "79 0" "$size $nonzero"

# records whose period key was erased, or is older than the retention
{
  printf '192.0.2.7 - - %s "GET /today HTTP/1.1" 200 1\n' "$(clf "$NOON" +0000)"
  printf '198.51.100.77 - - %s "GET /old HTTP/1.1" 200 2\n' "$(clf $((NOON - 8 * 86400)) +0000)"
  printf '203.0.113.5 - - %s "GET /today-again HTTP/1.1" 200 3\n' "$(clf "$NOON" +0000)"
} >"$R/old.log"
run_lognym "$R/old" --ip=hmac --key-dir "$E" --retain 7 "$R/old.log"
check_status "erased period: status 2" 2 "$RC"
check_contains "erased period: the message names file and line" "$R/old.log:2:" "$R/old.err"
check_contains "erased period: the message names the period" "$D8" "$R/old.err"
check_not_contains "erased period: the record's address is not written" "198.51.100.77" "$R/old.out"
if [ ! -e "$E/$D8.key" ]; then pass "erased period: no fresh key was created"; else fail "erased period: no fresh key was created"; fi
run_lognym "$R/old-t" --ip=hmac --key-dir "$E" --retain 7 --expired-key=truncate "$R/old.log"
check_status "--expired-key=truncate: status 0" 0 "$RC"
head -n 1 "$R/old.log" >"$R/one.log"
run_lognym "$R/one" --ip=hmac --key-dir "$E" --retain 7 "$R/one.log"
check_eq "--expired-key=truncate: the old record is truncated, the others pseudonymised" \
  "$(field "$R/one.out" 1 1) 198.51.100.0 3" \
  "$(field "$R/old-t.out" 1 1) $(field "$R/old-t.out" 2 1) $(wc -l <"$R/old-t.out")"
if [ ! -e "$E/$D8.key" ]; then pass "--expired-key=truncate: still no key for $D8"; else fail "--expired-key=truncate: still no key for $D8"; fi
# never had a key and older than the retention
printf '192.0.2.7 - - %s "GET /ancient HTTP/1.1" 200 1\n' "$(clf $((NOON - 30 * 86400)) +0000)" >"$R/ancient.log"
run_lognym "$R/ancient" --ip=hmac --key-dir "$E" --retain 7 "$R/ancient.log"
check_status "a period older than the retention without a key: status 2" 2 "$RC"
check_contains "a period older than the retention: message with file:line" "$R/ancient.log:1:" "$R/ancient.err"
# erased within the retention: only a tombstone
: >"$E/$D3.erased"
printf '192.0.2.7 - - %s "GET /tomb HTTP/1.1" 200 1\n' "$(clf $((NOON - 3 * 86400)) +0000)" >"$R/tomb.log"
run_lognym "$R/tomb" --ip=hmac --key-dir "$E" --retain 7 "$R/tomb.log"
check_status "a tombstoned period within the retention: status 2" 2 "$RC"
if [ ! -e "$E/$D3.key" ]; then pass "a tombstoned period gets no fresh key"; else fail "a tombstoned period gets no fresh key"; fi
# far in the future
printf '192.0.2.7 - - %s "GET /future HTTP/1.1" 200 1\n' "$(clf $((NOON + 3 * 86400)) +0000)" >"$R/future.log"
run_lognym "$R/future" --ip=hmac --key-dir "$E" --retain 7 "$R/future.log"
check_status "a record three days ahead: status 2" 2 "$RC"

# A record that cannot get a key must not spoil the key of the period
# looked up just before it: after 16 periods (the keyring's slots), an
# expired record recycles the slot of the last lookup.
W=$R/slots
mkdir -m 700 "$W"
{
  for back in 20 19 18 17 16 15 14 13 12 11 10 9 8 7 6 5; do
    printf '192.0.2.7 - - %s "GET /d%s HTTP/1.1" 200 1\n' "$(clf $((NOON - back * 86400)) +0000)" "$back"
  done
  printf '192.0.2.7 - - %s "GET /back HTTP/1.1" 200 2\n' "$(clf $((NOON - 20 * 86400)) +0000)"
  printf '192.0.2.8 - - %s "GET /future HTTP/1.1" 200 3\n' "$(clf $((NOON + 3 * 86400)) +0000)"
  printf '192.0.2.99 - - %s "GET /after HTTP/1.1" 200 4\n' "$(clf $((NOON - 20 * 86400)) +0000)"
} >"$R/slots.log"
tail -n 1 "$R/slots.log" >"$R/slots-last.log"
run_lognym "$R/slots" --ip=hmac --key-dir "$W" --retain 30 --expired-key=truncate "$R/slots.log"
check_status "after an expired record: status 0" 0 "$RC"
run_lognym "$R/slots-last" --ip=hmac --key-dir "$W" --retain 30 "$R/slots-last.log"
check_eq "after an expired record, the previous period keeps its key" \
  "$(field "$R/slots-last.out" 1 1)" "$(tail -n 1 "$R/slots.out" | awk '{ print $1 }')"

# -------------------------------------------------------- derived keys

Dv=$WORK/derive
mkdir -p "$Dv/host-a" "$Dv/host-b"
cp "$KEY" "$Dv/host-a/master.key"
cp "$KEY" "$Dv/host-b/other-name.key"
chmod 600 "$Dv/host-a/master.key" "$Dv/host-b/other-name.key"
run_lognym "$Dv/a1" --ip=hmac -k "$Dv/host-a/master.key" --derive daily "$R/edges.log"
check_status "--derive daily: status 0" 0 "$RC"
run_lognym "$Dv/a2" --ip=hmac -k "$Dv/host-a/master.key" --derive daily "$R/edges.log"
check_files "--derive daily: two runs agree" "$Dv/a1.out" "$Dv/a2.out"
run_lognym "$Dv/b" --ip=hmac -k "$Dv/host-b/other-name.key" --derive daily "$R/edges.log"
check_files "--derive daily: a copy of the master elsewhere agrees (fleet)" "$Dv/a1.out" "$Dv/b.out"
dy=$(field "$Dv/a1.out" 1 1)
dt=$(field "$Dv/a1.out" 2 1)
check_ne "--derive daily: two days give two tokens" "$dy" "$dt"
check_eq "--derive daily: each record in the UTC day of its own offset" \
  "$dy $dt $dt $dy $dy $dy $dt" "$(awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 }' "$Dv/a1.out")"
run_lognym "$Dv/static" --ip=hmac -k "$KEY" "$R/edges.log"
check_ne "--derive daily: the derived key is not the master" "$(field "$Dv/static.out" 1 1)" "$dt"
if [ "$HAVE_OPENSSL" = yes ] && [ -n "$(hkdf_key "$KEYHEX" "lognym period $TODAY")" ]; then
  check_eq "--derive daily: key = HKDF(salt lognym-derive-v1, master, \"lognym period DAY\") (openssl)" \
    "$(oracle_token "$(hkdf_key "$KEYHEX" "lognym period $TODAY")" 00000000000000000000ffffc0000207)" "$dt"
  d26=$(awk 'NR == 1 { print $1 }' "$EXPECTED/keys-derive-daily.out")
  check_eq "--derive golden: the sample's 2026-11-25 token by openssl" \
    "$(oracle_token "$(hkdf_key "$KEYHEX" "lognym period 2026-11-25")" 00000000000000000000ffffc0000211)" "$d26"
else
  skip "--derive daily: key = HKDF(...) (openssl)" "openssl without the kdf command"
fi
chmod 644 "$Dv/host-b/other-name.key"
run_lognym "$Dv/bad" --ip=hmac -k "$Dv/host-b/other-name.key" --derive daily "$R/edges.log"
check_status "--derive: a master of mode 0644 is status 2" 2 "$RC"

finish
