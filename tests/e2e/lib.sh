# tests/e2e/lib.sh - shared prelude of lognym's end-to-end tests (bash).
#
# Sourced by every tests/e2e/*.sh.  `make check` exports LOGNYM, LEAKCHECK,
# TESTS_SRCDIR and TOP_BUILDDIR; run by hand, the scripts look for the
# binaries next to the source tree (an in-tree build, or build*/ below it):
#
#     tests/e2e/golden.sh
#     LOGNYM=/tmp/build/src/lognym LEAKCHECK=/tmp/build/tests/leakcheck tests/e2e/leaks.sh
#
# A script does not stop at the first failure: every check prints
# "ok - NAME" or "not ok - NAME" (with the differences), and `finish`
# prints "N passed, M failed" and exits 1 if anything failed.  A missing
# lognym binary is a skip (exit 77).

set -u
LC_ALL=C
export LC_ALL
LANGUAGE=
export LANGUAGE
# messages must be the untranslated ones whatever the caller's environment
unset LANG LOGNYM_LOCALEDIR LOGNYM_KEY_FILE 2>/dev/null
umask 022

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTS_SRCDIR=${TESTS_SRCDIR:-$(cd "$E2E_DIR/.." && pwd)}
DATA=$TESTS_SRCDIR/data
export TESTS_SRCDIR

# Prints the first existing executable among the usual build locations of
# @1 (a path relative to the top build directory).
find_built () {
  local rel=$1 top=${TESTS_SRCDIR%/tests} d
  for d in ${TOP_BUILDDIR:+"$TOP_BUILDDIR"} "$top" "$top"/build*/ "$PWD"; do
    d=${d%/}
    if [ -x "$d/$rel" ] && [ -f "$d/$rel" ]; then
      printf '%s\n' "$d/$rel"
      return 0
    fi
  done
  return 1
}

LOGNYM=${LOGNYM:-$(find_built src/lognym || true)}
LEAKCHECK=${LEAKCHECK:-$(find_built tests/leakcheck || true)}
if [ -z "$LOGNYM" ] || [ ! -x "$LOGNYM" ]; then
  echo "SKIP: lognym binary not found (build it, or set LOGNYM=path/to/lognym)"
  exit 77
fi
export LOGNYM LEAKCHECK

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lognym-e2e.XXXXXX") || {
  echo "cannot create a temporary directory" >&2
  exit 99
}
cleanup () {
  chmod -R u+rwX "$WORK" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PASSED=0
FAILED=0

pass () {
  PASSED=$((PASSED + 1))
  printf 'ok - %s\n' "$1"
}

# fail NAME [DETAIL...]: details are printed indented below the line.
fail () {
  local name=$1
  shift
  FAILED=$((FAILED + 1))
  printf 'not ok - %s\n' "$name"
  if [ $# -gt 0 ]; then
    printf '%s\n' "$@" | sed 's/^/#   /'
  fi
}

# A unified diff of two files, printable even for binary content.
show_diff () {
  diff -a -u "$1" "$2" | head -n "${DIFF_LINES:-40}" | cat -v
}

# check_status NAME EXPECTED ACTUAL
check_status () {
  if [ "$2" = "$3" ]; then
    pass "$1"
  else
    fail "$1" "expected exit status $2, got $3"
  fi
}

# check_files NAME EXPECTED_FILE ACTUAL_FILE: byte-identical.
check_files () {
  if cmp -s "$2" "$3"; then
    pass "$1"
  else
    fail "$1" "$(show_diff "$2" "$3")"
  fi
}

# check_text NAME EXPECTED_TEXT ACTUAL_FILE: the file holds exactly the
# text plus a final newline (or nothing, for an empty text).
check_text () {
  local exp=$WORK/.expected.$$
  if [ -n "$2" ]; then printf '%s\n' "$2" >"$exp"; else : >"$exp"; fi
  check_files "$1" "$exp" "$3"
}

# check_empty NAME FILE
check_empty () {
  if [ ! -s "$2" ]; then
    pass "$1"
  else
    fail "$1" "expected an empty file, got:" "$(head -c 2000 "$2" | cat -v)"
  fi
}

# check_contains NAME FIXED_STRING FILE
check_contains () {
  if grep -q -F -e "$2" "$3"; then
    pass "$1"
  else
    fail "$1" "expected to find: $2" "in:" "$(head -c 2000 "$3" | cat -v)"
  fi
}

# check_not_contains NAME FIXED_STRING FILE
check_not_contains () {
  if ! grep -q -F -e "$2" "$3"; then
    pass "$1"
  else
    fail "$1" "did not expect: $2" "$(grep -n -F -e "$2" "$3" | head -n 5 | cat -v)"
  fi
}

# check_true NAME DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check_true () {
  local name=$1 what=$2
  shift 2
  if "$@"; then
    pass "$name"
  else
    fail "$name" "$what"
  fi
}

# run_lognym PREFIX [ARG...]: runs lognym with stdin from /dev/null unless
# redirected by the caller; stdout in PREFIX.out, stderr in PREFIX.err, the
# exit status in $RC.
run_lognym () {
  local prefix=$1
  shift
  "$LOGNYM" "$@" >"$prefix.out" 2>"$prefix.err"
  RC=$?
}

# The anonymised form of a test's own input, to compare with, must never
# come from lognym itself; these helpers only build inputs.

CLF_TIME='[10/Oct/2000:13:55:36 -0700]'

# gen_special_inputs DIR: inputs that are not committed because of their
# size or their bytes.
#   longline.log  a 1 MiB request line between two ordinary lines
#   nul.log       NUL bytes in the request, the referer, the user agent and
#                 in a malformed line
#   addrmix.log   2000 lines of varied client fields, also in other fields
gen_special_inputs () {
  local dir=$1
  mkdir -p "$dir"
  {
    printf '192.0.2.1 - - %s "GET /before HTTP/1.1" 200 1\n' "$CLF_TIME"
    printf '198.51.100.77 - - %s "GET /' "$CLF_TIME"
    head -c 1048576 /dev/zero | tr '\0' 'a'
    printf '?from=203.0.113.99 HTTP/1.1" 200 1048576 "-" "Mozilla/5.0"\n'
    printf '2001:db8:abcd:12::7 - - %s "GET /after HTTP/1.1" 200 2\n' "$CLF_TIME"
  } >"$dir/longline.log"
  {
    printf '192.0.2.7 - - %s "GET /a\0b HTTP/1.1" 200 5 "ref\0erer" "x\0y"\n' "$CLF_TIME"
    printf '198.51.100.7 - - %s "GET /\0?ip=198.51.100.7\0 HTTP/1.1" 200 6\n' "$CLF_TIME"
    printf '203.0.113.9 \0 - - %s "GET / HTTP/1.1" 200 7\n' "$CLF_TIME"
    printf '\0\0\0\n'
    printf '2001:db8::9 - - %s "GET /\0 HTTP/1.1" 200 8\n' "$CLF_TIME"
  } >"$dir/nul.log"
  awk -v t="$CLF_TIME" 'BEGIN {
    srand(20261125)
    for (i = 1; i <= 2000; i++) {
      a = int(rand() * 223) + 1; b = int(rand() * 256); c = int(rand() * 256)
      d = int(rand() * 255) + 1
      v4 = a "." b "." c "." d
      v6 = sprintf("2001:db8:%x:%x:%x::%x", int(rand() * 65536), int(rand() * 65536),
                   int(rand() * 65536), int(rand() * 65535) + 1)
      k = i % 10
      if (k == 0) client = v4
      else if (k == 1) client = v6
      else if (k == 2) client = v4 ":" int(rand() * 65536)
      else if (k == 3) client = "[" v6 "]:" int(rand() * 65536)
      else if (k == 4) client = toupper(v6)
      else if (k == 5) client = "::ffff:" v4
      else if (k == 6) client = "10.0.0." d ", " v4
      else if (k == 7) client = "fe80::" sprintf("%x", d) "%eth0"
      else if (k == 8) client = v4
      else client = v6
      if (i % 3 == 0)
        printf "%s - - %s \"GET /p?ip=%s HTTP/1.1\" 200 %d \"http://%s/\" \"Mozilla/5.0 (%s)\"\n", client, t, v4, i, v4, v4
      else if (i % 3 == 1)
        printf "www.example.com:443 %s - - %s \"GET /q?v6=%s HTTP/1.1\" 200 %d \"-\" \"-\"\n", client, t, v6, i
      else
        printf "%s - - %s \"GET /r HTTP/1.1\" 200 %d\n", client, t, i
    }
  }' >"$dir/addrmix.log"
}

# finish: the closing line and the exit status.
finish () {
  printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
  if [ "$FAILED" -gt 0 ]; then
    exit 1
  fi
  exit 0
}

# Helpers of the scripts that drive processes (piped, apache, nginx, ...).

# running PID: the process exists and is not a zombie
running () {
  local s
  s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  case $s in Z*) return 1 ;; esac
  return 0
}

# check_value NAME EXPECTED ACTUAL: two strings
check_value () {
  if [ "$2" = "$3" ]; then
    pass "$1"
  else
    fail "$1" "expected: $2" "actual:   $3"
  fi
}

# wait_for SECONDS COMMAND...: polls COMMAND every 20 ms; false on timeout
wait_for () {
  local limit
  limit=$(awk -v n="$(date +%s%N)" -v s="$1" 'BEGIN { printf "%.0f", n + s * 1e9 }')
  shift
  while :; do
    "$@" && return 0
    [ "$(date +%s%N)" -ge "$limit" ] && return 1
    sleep 0.02
  done
}
