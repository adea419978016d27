#!/bin/bash
# tests/e2e/io.sh - bytes in, bytes out: long lines, line ends, NUL and
# non-UTF-8 bytes, -o, standard input, gzip members, and the same output
# whatever the input is read from.
#
# Expected outputs are built here with printf next to their inputs, never
# from lognym's own output.

. "$(dirname "$0")/lib.sh"

D=$WORK/io
mkdir -p "$D" || exit 99
cd "$D" || exit 99
T=$CLF_TIME

# --- a 1 MiB line -----------------------------------------------------------
# long_line CLIENT FROM UA: a combined line with a 1 MiB path, an address
# after it in the query string and a user agent.
long_line () {
  printf '%s - - %s "GET /' "$1" "$T"
  head -c 1048576 /dev/zero | tr '\0' 'a'
  printf '?from=%s HTTP/1.1" 200 1048576 "-" "%s"\n' "$2" "$3"
}
{
  printf '192.0.2.1 - - %s "GET /before HTTP/1.1" 200 1\n' "$T"
  long_line 198.51.100.77 203.0.113.99 "Mozilla/5.0"
  printf '2001:db8:abcd:12::7 - - %s "GET /after HTTP/1.1" 200 2\n' "$T"
} >long.log
{
  printf '192.0.2.0 - - %s "GET /before HTTP/1.1" 200 1\n' "$T"
  long_line 198.51.100.0 203.0.113.0 "-"
  printf '2001:db8:abcd:: - - %s "GET /after HTTP/1.1" 200 2\n' "$T"
} >long.expected
run_lognym r long.log
check_status "1 MiB line: status 0" 0 "$RC"
check_files "1 MiB line: intact but for the rewritten fields" long.expected r.out
check_empty "1 MiB line: no message" r.err

# the same line without the rest of the file and without a final newline
long_line 198.51.100.77 203.0.113.99 "Mozilla/5.0" | head -c -1 >long-last.log
run_lognym r long-last.log
long_line 198.51.100.0 203.0.113.0 "-" >long-last.expected
check_files "1 MiB last line without newline: intact, newline added" long-last.expected r.out

# --- line ends ----------------------------------------------------------------
printf '%s\r\n' \
  "192.0.2.7 - - $T \"GET /crlf-1 HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0\"" \
  "2001:db8:abcd:12::7 - - $T \"GET /crlf-2 HTTP/1.1\" 200 2" >crlf.log
printf '%s\r\n' \
  "192.0.2.0 - - $T \"GET /crlf-1 HTTP/1.1\" 200 1 \"-\" \"-\"" \
  "2001:db8:abcd:: - - $T \"GET /crlf-2 HTTP/1.1\" 200 2" >crlf.expected
run_lognym r crlf.log
check_files "CRLF line ends are kept" crlf.expected r.out

printf '%s\n' "192.0.2.7 - - $T \"GET /lf HTTP/1.1\" 200 1" >mixed-eol.log
printf '%s\r\n' "192.0.2.8 - - $T \"GET /crlf HTTP/1.1\" 200 2" >>mixed-eol.log
printf '%s\n' "192.0.2.9 - - $T \"GET /lf-again HTTP/1.1\" 200 3" >>mixed-eol.log
printf '%s\n' "192.0.2.0 - - $T \"GET /lf HTTP/1.1\" 200 1" >mixed-eol.expected
printf '%s\r\n' "192.0.2.0 - - $T \"GET /crlf HTTP/1.1\" 200 2" >>mixed-eol.expected
printf '%s\n' "192.0.2.0 - - $T \"GET /lf-again HTTP/1.1\" 200 3" >>mixed-eol.expected
run_lognym r mixed-eol.log
check_files "LF and CRLF lines in one file each keep their end" mixed-eol.expected r.out

printf '%s\n%s' "192.0.2.7 - - $T \"GET /first HTTP/1.1\" 200 1" \
  "198.51.100.23 - - $T \"GET /last HTTP/1.1\" 200 2" >nofinal.log
printf '%s\n' "192.0.2.0 - - $T \"GET /first HTTP/1.1\" 200 1" \
  "198.51.100.0 - - $T \"GET /last HTTP/1.1\" 200 2" >nofinal.expected
run_lognym r nofinal.log
check_files "missing final newline: a newline is added" nofinal.expected r.out

printf '%s\r' "192.0.2.7 - - $T \"GET /cr-at-eof HTTP/1.1\" 200 1" >cr-eof.log
printf '%s\r\n' "192.0.2.0 - - $T \"GET /cr-at-eof HTTP/1.1\" 200 1" >cr-eof.expected
run_lognym r cr-eof.log
check_files "a CR at end of file without LF: CRLF written" cr-eof.expected r.out

: >empty.log
run_lognym r empty.log
check_status "empty file: status 0" 0 "$RC"
check_empty "empty file: no output" r.out
check_empty "empty file: no message" r.err

# --- bytes that are not text ------------------------------------------------
{
  printf '192.0.2.7 - - %s "GET /a\0b HTTP/1.1" 200 5 "ref\0erer" "x\0y"\n' "$T"
  printf '198.51.100.7 - - %s "GET /\0?ip=198.51.100.7\0 HTTP/1.1" 200 6 "-" "-"\n' "$T"
  printf '\0\0\0\n'
  printf '2001:db8::9 - - %s "GET /\0\0 HTTP/1.1" 200 8\n' "$T"
} >nul.log
{
  printf '192.0.2.0 - - %s "GET /a\0b HTTP/1.1" 200 5 "ref\0erer" "-"\n' "$T"
  printf '198.51.100.0 - - %s "GET /\0?ip=198.51.100.0\0 HTTP/1.1" 200 6 "-" "-"\n' "$T"
  printf '2001:db8:: - - %s "GET /\0\0 HTTP/1.1" 200 8\n' "$T"
} >nul.expected
run_lognym r --referer=keep nul.log
check_status "NUL bytes: status 0" 0 "$RC"
check_files "NUL bytes pass through unchanged" nul.expected r.out
check_text "NUL bytes: the line of NULs is reported as malformed" \
  "lognym: nul.log:3: line does not match the log format (column 4)" r.err

{
  printf '192.0.2.7 - - %s "GET /caf\351 HTTP/1.1" 200 1 "http://example.com/\377\376" "-"\n' "$T"
  printf '198.51.100.23 - - %s "GET /\344\270\255\346\226\207 HTTP/1.1" 200 2 "-" "-"\n' "$T"
  printf '203.0.113.45 - - %s "GET /\244\244?ip=\377203.0.113.45\377 HTTP/1.1" 200 3\n' "$T"
  printf '203.0.113.46 - - %s "GET /\300\257\200 HTTP/1.1" 200 4 "\355\240\200" "-"\n' "$T"
} >bytes.log
{
  printf '192.0.2.0 - - %s "GET /caf\351 HTTP/1.1" 200 1 "http://example.com/\377\376" "-"\n' "$T"
  printf '198.51.100.0 - - %s "GET /\344\270\255\346\226\207 HTTP/1.1" 200 2 "-" "-"\n' "$T"
  printf '203.0.113.0 - - %s "GET /\244\244?ip=\377203.0.113.0\377 HTTP/1.1" 200 3\n' "$T"
  printf '203.0.113.0 - - %s "GET /\300\257\200 HTTP/1.1" 200 4 "\355\240\200" "-"\n' "$T"
} >bytes.expected
run_lognym r --referer=keep bytes.log
check_files "non-UTF-8 bytes pass through unchanged" bytes.expected r.out
check_empty "non-UTF-8 bytes: no message" r.err

# --- -o -----------------------------------------------------------------------
printf '%s\n' "192.0.2.7 - - $T \"GET /o HTTP/1.1\" 200 1" >o.log
printf '%s\n' "192.0.2.0 - - $T \"GET /o HTTP/1.1\" 200 1" >o.expected

rm -f new.out
run_lognym r -o new.out o.log
check_status "-o new file: status 0" 0 "$RC"
check_empty "-o new file: nothing on stdout" r.out
check_files "-o new file: the output" o.expected new.out
stat -c %a new.out >mode.txt 2>&1
check_text "-o new file: created with mode 0640" "640" mode.txt

printf 'an earlier line\n' >old.out
chmod 604 old.out
run_lognym r --output old.out o.log
{ printf 'an earlier line\n'; cat o.expected; } >old.expected
check_status "-o existing file: status 0" 0 "$RC"
check_files "-o existing file: appended to" old.expected old.out
stat -c %a old.out >mode.txt 2>&1
check_text "-o existing file: its mode is left alone" "604" mode.txt
run_lognym r -o old.out o.log
cat o.expected >>old.expected
check_files "-o twice: appended again" old.expected old.out

rm -f masked.out
(umask 077 && exec "$LOGNYM" -o masked.out o.log) 2>/dev/null
stat -c %a masked.out >mode.txt 2>&1
check_text "-o new file under umask 077: mode 0600" "600" mode.txt

# --mode: exactly that mode for a file -o creates, whatever the umask; an
# existing file keeps its own; strftime patterns and SIGHUP reopens too
rm -f m600.out m660.out
run_lognym r --mode 0600 -o m600.out o.log
check_status "--mode 0600: status 0" 0 "$RC"
check_files "--mode 0600: the output" o.expected m600.out
stat -c %a m600.out >mode.txt 2>&1
check_text "--mode 0600: created with mode 0600" "600" mode.txt
(umask 077 && exec "$LOGNYM" --mode=660 -o m660.out o.log) 2>/dev/null
stat -c %a m660.out >mode.txt 2>&1
check_text "--mode 660 under umask 077: mode 0660 (the umask does not apply)" "660" mode.txt
printf 'an earlier line\n' >m-old.out
chmod 604 m-old.out
run_lognym r --mode 0600 -o m-old.out o.log
check_status "--mode, existing file: status 0" 0 "$RC"
stat -c %a m-old.out >mode.txt 2>&1
check_text "--mode, existing file: its mode is left alone" "604" mode.txt
rm -rf pat
printf '%s\n' "192.0.2.7 - - [11/Oct/2000:13:55:36 -0700] \"GET /o HTTP/1.1\" 200 1" >>o2.log
cat o.log >>o2.log
run_lognym r --mode 0604 -o 'pat/%Y-%m-%d.log' o2.log
check_status "--mode with an -o pattern: status 0" 0 "$RC"
stat -c '%n %a' pat/*.log >mode.txt 2>&1
check_text "--mode with an -o pattern: every file created with that mode" \
  "pat/2000-10-10.log 604
pat/2000-10-11.log 604" mode.txt
for bad in 0800 01777 1000 -1 '' 0x1ff 'rw-r-----' ' 600'; do
  run_lognym r --mode "$bad" -o bad.out o.log
  if [ "$RC" = 1 ] && grep -q "invalid value '$bad' for --mode" r.err && [ ! -e bad.out ]; then
    pass "--mode '$bad': usage error, nothing created"
  else
    fail "--mode '$bad': usage error, nothing created" "status $RC" "$(cat r.err)"
  fi
done
run_lognym r --mode 0600 o.log
check_status "--mode without -o: usage error" 1 "$RC"
check_contains "--mode without -o: said so" "--mode applies to the files that -o creates" r.err

run_lognym r -o - o.log
check_files "-o - is standard output" o.expected r.out
check_true "-o - creates no file named '-'" "a file named - exists" test ! -e ./-

# --- standard input -------------------------------------------------------
printf '%s\n' "192.0.2.1 - - $T \"GET /a HTTP/1.1\" 200 1" >a.log
printf '%s\n' "192.0.2.2 - - $T \"GET /b HTTP/1.1\" 200 2" >b.log
printf '%s\n' "192.0.2.3 - - $T \"GET /stdin HTTP/1.1\" 200 3" >c.log
printf '%s\n' "192.0.2.0 - - $T \"GET /a HTTP/1.1\" 200 1" \
  "192.0.2.0 - - $T \"GET /stdin HTTP/1.1\" 200 3" \
  "192.0.2.0 - - $T \"GET /b HTTP/1.1\" 200 2" >acb.expected
run_lognym r a.log - b.log <c.log
check_files "'-' between files reads standard input in its place" acb.expected r.out
# shellcheck disable=SC2002 # standard input must be a pipe here
cat c.log | "$LOGNYM" a.log - b.log >r.out 2>r.err
check_files "'-' between files, standard input a pipe" acb.expected r.out

# --- gzip -----------------------------------------------------------------------
{ gzip -n -c a.log; gzip -n -c c.log; gzip -n -c b.log; } >members.gz
printf '%s\n' "192.0.2.0 - - $T \"GET /a HTTP/1.1\" 200 1" \
  "192.0.2.0 - - $T \"GET /stdin HTTP/1.1\" 200 3" \
  "192.0.2.0 - - $T \"GET /b HTTP/1.1\" 200 2" >members.expected
run_lognym r members.gz
check_status "concatenated gzip members: status 0" 0 "$RC"
check_files "concatenated gzip members: all of them" members.expected r.out

# a member boundary in the middle of a line
cat "$DATA/in/residual.log" >split.log
head -c 500 split.log | gzip -n -c >split.gz
tail -c +501 split.log | gzip -n -c >>split.gz
"$LOGNYM" split.log >split.expected 2>/dev/null
run_lognym r split.gz
check_files "gzip member boundary inside a line" split.expected r.out

# --- the same output from a file, a pipe and gzip ---------------------------------
gen_special_inputs "$D/gen"
for f in long.log crlf.log nofinal.log nul.log bytes.log "$D/gen/addrmix.log" \
  "$DATA/in/malformed.log" "$DATA/thirdparty/basjes-hackers-access-part1.log" \
  "$DATA/thirdparty/netdata-big_combined.log"; do
  name=$(basename "$f")
  "$LOGNYM" "$f" >from-file.out 2>/dev/null
  gzip -n -c "$f" >in.gz
  ok=
  # shellcheck disable=SC2002 # a pipe, not a file, on purpose
  cat "$f" | "$LOGNYM" >from-pipe.out 2>/dev/null
  cmp -s from-file.out from-pipe.out || ok="$ok pipe"
  "$LOGNYM" <"$f" >from-stdin.out 2>/dev/null
  cmp -s from-file.out from-stdin.out || ok="$ok stdin-redirect"
  "$LOGNYM" in.gz >from-gz.out 2>/dev/null
  cmp -s from-file.out from-gz.out || ok="$ok gzip-file"
  # shellcheck disable=SC2002
  cat in.gz | "$LOGNYM" - >from-gzpipe.out 2>/dev/null
  cmp -s from-file.out from-gzpipe.out || ok="$ok gzip-pipe"
  if [ ! -s from-file.out ]; then
    fail "same output from file, pipe and gzip: $name" "no output at all"
  elif [ -z "$ok" ]; then
    pass "same output from file, pipe and gzip: $name"
  else
    fail "same output from file, pipe and gzip: $name" "differs for:$ok"
  fi
done

# a slow writer: lines arrive in pieces, across read calls
{
  printf '192.0.2.7 - - %s "GET /sl' "$T"
  sleep 0.2
  printf 'ow HTTP/1.1" 200 1\n198.51.100.7 - - %s "GET /second' "$T"
  sleep 0.2
  printf ' HTTP/1.1" 200 2\n'
} | "$LOGNYM" >r.out 2>r.err
printf '%s\n' "192.0.2.0 - - $T \"GET /slow HTTP/1.1\" 200 1" \
  "198.51.100.0 - - $T \"GET /second HTTP/1.1\" 200 2" >slow.expected
check_files "lines split across pipe reads are joined" slow.expected r.out

finish
