#!/bin/bash
# tests/e2e/errors.sh - error paths: exact messages and exit statuses.
#
# Exit statuses (lognym(1)): 0 ok, 1 usage, 2 input/output or setup error,
# 3 malformed input under --malformed=fail; a closed output pipe is a quiet
# 0.  Every run here happens in a scratch directory, so messages name files
# by stable relative paths.

. "$(dirname "$0")/lib.sh"

E=$WORK/e
mkdir -p "$E" || exit 99
cd "$E" || exit 99
cp "$DATA/in/common.log" common.log
cp "$DATA/in/nofinal.log" nofinal.log
cp "$DATA/in/malformed.log" malformed.log

# the reference outputs, from a plain successful run
"$LOGNYM" common.log >ref-common.out 2>/dev/null
"$LOGNYM" nofinal.log >ref-nofinal.out 2>/dev/null
cat ref-common.out ref-nofinal.out >ref-both.out
if [ ! -s ref-common.out ] || [ ! -s ref-nofinal.out ]; then
  fail "reference runs" "lognym produced no output for plain inputs"
fi

# big.log: 20000 valid lines (about 1.6 MB)
awk -v t="$CLF_TIME" 'BEGIN {
  for (i = 1; i <= 20000; i++)
    printf "192.0.2.%d - - %s \"GET /page/%d HTTP/1.1\" 200 %d\n", i % 250 + 1, t, i, i
}' >big.log
"$LOGNYM" big.log >ref-big.out 2>/dev/null

# --- inputs that cannot be read ---------------------------------------------
run_lognym r common.log nope.log nofinal.log
check_status "nonexistent input: status 2" 2 "$RC"
check_text "nonexistent input: message" \
  "lognym: nope.log: cannot open: No such file or directory" r.err
check_files "nonexistent input: the other files are still processed" ref-both.out r.out

mkdir adir
run_lognym r common.log adir nofinal.log
check_status "directory as input: status 2" 2 "$RC"
check_text "directory as input: message" "lognym: adir: is a directory" r.err
check_files "directory as input: the other files are still processed" ref-both.out r.out

if [ "$(id -u)" -eq 0 ]; then
  echo "# skip - unreadable input (chmod 000): running as root, which can read it anyway"
else
  cp common.log secret.log
  chmod 000 secret.log
  run_lognym r secret.log nofinal.log
  check_status "unreadable input: status 2" 2 "$RC"
  check_text "unreadable input: message" \
    "lognym: secret.log: cannot open: Permission denied" r.err
  check_files "unreadable input: the other files are still processed" ref-nofinal.out r.out
  chmod 600 secret.log
fi

run_lognym r <"$E"
check_status "directory as standard input: status 2" 2 "$RC"
check_text "directory as standard input: message" \
  "lognym: (standard input): read error: Is a directory" r.err

# --- bad options ------------------------------------------------------------
TRY="Try 'lognym --help' for more information."
# bad_option NAME "FIRST LINE OF STDERR" ARG...: exit 1, the message, the
# hint, nothing on stdout, and no output file created.
bad_option () {
  local name=$1 msg=$2
  shift 2
  rm -f never.out
  run_lognym r -o never.out "$@"
  check_status "bad option $name: status 1" 1 "$RC"
  check_text "bad option $name: message" "$msg
$TRY" r.err
  check_true "bad option $name: nothing written" \
    "stdout or never.out has content" test ! -s r.out -a ! -e never.out
}
bad_option "--ipv4-prefix 33" \
  "lognym: invalid value '33' for --ipv4-prefix (a number from 0 to 32)" --ipv4-prefix 33 common.log
bad_option "--ipv4-prefix x" \
  "lognym: invalid value 'x' for --ipv4-prefix (a number from 0 to 32)" --ipv4-prefix x common.log
bad_option "--ipv4-prefix -1" \
  "lognym: invalid value '-1' for --ipv4-prefix (a number from 0 to 32)" --ipv4-prefix=-1 common.log
bad_option "--ipv6-prefix 129" \
  "lognym: invalid value '129' for --ipv6-prefix (a number from 0 to 128)" --ipv6-prefix 129 common.log
bad_option "-6 129 (short form named as typed)" \
  "lognym: invalid value '129' for -6 (a number from 0 to 128)" -6 129 common.log
bad_option "--format '%Z'" \
  "lognym: log format, column 1: unknown directive '%Z'" --format '%Z' common.log
bad_option "--format with a bad directive later" \
  "lognym: log format, column 4: unknown directive '%Z'" --format '%h %Z' common.log
bad_option "unknown option" "lognym: Unknown option --bogus" --bogus common.log
bad_option "missing argument" "lognym: Missing argument for --ipv4-prefix" common.log --ipv4-prefix

# messages that list the valid words: the list grows with new modes, so only
# its start is fixed here
bad_choice () {
  local name=$1 prefix=$2
  shift 2
  run_lognym r "$@" common.log
  check_status "bad option $name: status 1" 1 "$RC"
  local first second
  { IFS= read -r first; IFS= read -r second; } <r.err
  if [[ $first == "$prefix"* ]] && [ "$second" = "$TRY" ] && [ "$(wc -l <r.err)" -eq 2 ]; then
    pass "bad option $name: message"
  else
    fail "bad option $name: message" "expected: $prefix... / $TRY" "got:" "$(cat r.err)"
  fi
}
bad_choice "--ip=bogus" "lognym: invalid value 'bogus' for --ip (valid: truncate, drop" --ip=bogus
bad_choice "--malformed=maybe" "lognym: invalid value 'maybe' for --malformed (valid: drop, redact, fail)" --malformed=maybe
bad_choice "--residual=sometimes" "lognym: invalid value 'sometimes' for --residual (valid: mask, malformed, off)" --residual=sometimes
bad_choice "--user-agent=hash" "lognym: invalid value 'hash' for --user-agent (valid: drop, keep, family)" --user-agent=hash

# --- --malformed=fail -------------------------------------------------------
{
  cat big.log
  echo "this line is not a log line"
  head -n 5 big.log
} >fail-late.log
rm -f fail.out
run_lognym r --malformed=fail -o fail.out fail-late.log
check_status "--malformed=fail: status 3" 3 "$RC"
check_text "--malformed=fail: message names file and line" \
  "lognym: fail-late.log:20001: line does not match the log format (column 28)
lognym: fail-late.log:20001: malformed line, stopping (--malformed=fail)" r.err
check_files "--malformed=fail: all output before the failing line is kept" ref-big.out fail.out

run_lognym r --malformed=fail malformed.log common.log
check_status "--malformed=fail stops the whole run: status 3" 3 "$RC"
check_text "--malformed=fail stops the whole run: no later file is read" \
  "192.0.2.0 - - [10/Oct/2000:13:55:36 -0700] \"GET /ok-1 HTTP/1.1\" 200 1" r.out

# --- output errors ----------------------------------------------------------
"$LOGNYM" common.log >/dev/full 2>r.err
RC=$?
check_status "stdout is /dev/full: status 2" 2 "$RC"
check_text "stdout is /dev/full: message" \
  "lognym: (standard output): write error: No space left on device" r.err

run_lognym r -o /dev/full big.log
check_status "-o /dev/full: status 2" 2 "$RC"
check_text "-o /dev/full: message" \
  "lognym: /dev/full: write error: No space left on device" r.err

# a file size limit: an error, never a silently short file
rm -f limited.out
(ulimit -f 64 && exec "$LOGNYM" -o limited.out big.log) >r.out 2>r.err
RC=$?
check_status "ulimit -f with -o: status 2" 2 "$RC"
check_text "ulimit -f with -o: message" \
  "lognym: limited.out: write error: File too large" r.err
check_true "ulimit -f with -o: what was written is a prefix of the output" \
  "limited.out is not a prefix of the full output" \
  cmp -s -n "$(stat -c %s limited.out 2>/dev/null || echo 0)" limited.out ref-big.out
(ulimit -f 64 && exec "$LOGNYM" big.log) >limited.out 2>r.err
RC=$?
check_status "ulimit -f on stdout: status 2" 2 "$RC"
check_text "ulimit -f on stdout: message" \
  "lognym: (standard output): write error: File too large" r.err

# the reader of our output goes away: quiet success
"$LOGNYM" big.log 2>r.err | head -n 1 >r.out
PS=("${PIPESTATUS[@]}")
check_status "output pipe closed early: lognym status 0" 0 "${PS[0]}"
check_empty "output pipe closed early: nothing on stderr" r.err
check_text "output pipe closed early: head got the first line" "$(head -n 1 ref-big.out)" r.out

# standard output closed altogether: a write error, not a confused refusal
"$LOGNYM" common.log >&- 2>r.err
RC=$?
check_status "stdout closed: status 2" 2 "$RC"
check_contains "stdout closed: a write error on standard output" \
  "lognym: (standard output): write error: " r.err
check_not_contains "stdout closed: not mistaken for writing over the input" \
  "input file is also the output file" r.err

# -o over an input: refused, and the input is left as it was
cp common.log self.log
run_lognym r -o self.log self.log
check_status "-o is the input: status 1" 1 "$RC"
check_text "-o is the input: message" "lognym: self.log: input file is also the output file" r.err
check_files "-o is the input: the input is unchanged" common.log self.log

ln -f self.log hardlink.log
run_lognym r -o hardlink.log ./self.log
check_status "-o is the input under another name: status 1" 1 "$RC"
check_text "-o is the input under another name: message" \
  "lognym: ./self.log: input file is also the output file" r.err
check_files "-o is the input under another name: the input is unchanged" common.log self.log

# shellcheck disable=SC2094 # reading and writing one file is the point
run_lognym r -o self.log - <self.log
check_status "-o is standard input: status 1" 1 "$RC"
check_text "-o is standard input: message" \
  "lognym: (standard input): input file is also the output file" r.err
check_files "-o is standard input: the input is unchanged" common.log self.log

# the refusal must come before anything is appended to that file
run_lognym r -o self.log nofinal.log self.log
check_status "-o is a later input: status 1" 1 "$RC"
check_text "-o is a later input: message" "lognym: self.log: input file is also the output file" r.err
check_files "-o is a later input: the input is unchanged" common.log self.log
cp common.log self.log

run_lognym r -o no/such/dir/out.log common.log
check_status "-o in a nonexistent directory: status 2" 2 "$RC"
check_text "-o in a nonexistent directory: message" \
  "lognym: no/such/dir/out.log: cannot open for writing: No such file or directory" r.err
check_true "-o in a nonexistent directory: nothing created" "no/ exists" test ! -e no

# --- damaged gzip input -----------------------------------------------------
gzip -n -c big.log >big.log.gz
size=$(stat -c %s big.log.gz)
head -c $((size / 2)) big.log.gz >trunc.gz
run_lognym r trunc.gz common.log
check_status "truncated .gz: status 2" 2 "$RC"
check_text "truncated .gz: message" "lognym: trunc.gz: compressed data is truncated" r.err
# the complete lines before the damage, then the next file
lines=$(($(wc -l <r.out) - $(wc -l <ref-common.out)))
head -n "$lines" ref-big.out >expect.out
cat ref-common.out >>expect.out
check_true "truncated .gz: complete lines before it are written" \
  "no line of the damaged file was written" test "$lines" -gt 100
check_files "truncated .gz: only complete lines, then the next file" expect.out r.out

{ cat big.log.gz; printf 'not gzip'; } >trailing.gz
run_lognym r trailing.gz
check_status "gzip with trailing garbage: status 2" 2 "$RC"
check_text "gzip with trailing garbage: message" \
  "lognym: trailing.gz: trailing garbage after compressed data" r.err
check_files "gzip with trailing garbage: all the data is written" ref-big.out r.out

gzip -n -c common.log >corrupt.gz
printf '\377\377\377\377' | dd of=corrupt.gz bs=1 seek=20 conv=notrunc 2>/dev/null
run_lognym r corrupt.gz
check_status "corrupt .gz: status 2" 2 "$RC"
check_text "corrupt .gz: message" "lognym: corrupt.gz: corrupt compressed data" r.err

# --- --help and --version ---------------------------------------------------
run_lognym r --help
check_status "--help: status 0" 0 "$RC"
check_contains "--help: usage on stdout" "Usage:" r.out
check_contains "--help: lists the options" "--ipv4-prefix" r.out
check_empty "--help: nothing on stderr" r.err
usage=$(sed -n '2p' r.out)
if [ "$(grep -o 'FILE' <<<"$usage" | wc -l)" -eq 1 ]; then
  pass "--help: the usage line names FILE once"
else
  fail "--help: the usage line names FILE once" "got: $usage"
fi
run_lognym r --version
check_status "--version: status 0" 0 "$RC"
if grep -q -E '^lognym [0-9]+\.[0-9]+' r.out; then
  pass "--version: name and version on stdout"
else
  fail "--version: name and version on stdout" "$(cat r.out)"
fi
check_empty "--version: nothing on stderr" r.err
run_lognym r -V nope.log
check_status "-V does not read files: status 0" 0 "$RC"

finish
