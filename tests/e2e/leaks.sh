#!/bin/bash
# tests/e2e/leaks.sh - the promise: no client address of the input appears
# anywhere in lognym's output.
#
# Runs lognym over every input in tests/data (in/ and thirdparty/), the
# generated special inputs (a 1 MiB line, NUL bytes, 2000 lines of varied
# addresses) and a gzip file, with every option set below, and checks the
# output with tests/leakcheck at the matching prefixes.  A check passes when
# lognym exits 0 and leakcheck finds no leak.  Where the whole output is
# checked, "lognym audit" with the same prefixes must find nothing in it
# either (the property of issue 4: audit on lognym's output is clean for
# every input, format and policy).  --residual=off leaves other
# fields alone by design, so there only the client fields of the output are
# checked.  The first checks make sure that leakcheck itself can fail.

. "$(dirname "$0")/lib.sh"

if [ -z "$LEAKCHECK" ] || [ ! -x "$LEAKCHECK" ]; then
  echo "SKIP: tests/leakcheck not built (make tests/leakcheck, or set LEAKCHECK)"
  exit 77
fi

GEN=$WORK/gen
gen_special_inputs "$GEN"
gzip -n -c "$GEN/addrmix.log" >"$GEN/addrmix.log.gz"

# leakcheck_run NAME [OPTION...] ORIGINAL OUTPUT: status in $LC_RC, report in
# $WORK/lc.out
leakcheck_run () {
  "$LEAKCHECK" "$@" >"$WORK/lc.out" 2>"$WORK/lc.err"
  LC_RC=$?
}

# --- the oracle -----------------------------------------------------------
T=$CLF_TIME
SELF=$WORK/self
mkdir -p "$SELF"
cat >"$SELF/orig.log" <<EOF
192.0.2.7 - - $T "GET / HTTP/1.1" 200 1
10.1.2.0 - - $T "GET /already-truncated HTTP/1.1" 200 2
2001:db8:abcd:12::7 - - $T "GET / HTTP/1.1" 200 3
[2001:db8:1:2::99]:443 - - $T "GET / HTTP/1.1" 200 4
fe80::1234:5678%eth0 - - $T "GET / HTTP/1.1" 200 5
198.51.100.23:5678 - - $T "GET / HTTP/1.1" 200 6
10.0.0.2, 10.0.0.1, 203.0.113.45 - - $T "GET / HTTP/1.1" 200 7 "-" "-"
"10.5.102.222, 199.96.1.1" 10.2.1.185 - - $T "GET / HTTP/1.1" 200 8 "-" "-"
www.example.com 198.51.100.99 - - $T "GET / HTTP/1.1" 200 9
::ffff:192.0.2.77 - - $T "GET / HTTP/1.1" 200 10
EOF

leakcheck_run "$SELF/orig.log" "$SELF/orig.log"
check_status "leakcheck: the original leaks everything (status)" 1 "$LC_RC"
check_contains "leakcheck: summary line" \
  "leakcheck: 10 input lines, 12 distinct client addresses, 10 output lines, 12 leaked" "$WORK/lc.out"

probe_leak () {
  local name=$1 text=$2 expect=$3
  shift 3
  printf 'x %s y\n' "$text" >"$SELF/out.log"
  leakcheck_run "$@" "$SELF/orig.log" "$SELF/out.log"
  check_status "leakcheck: $name" "$expect" "$LC_RC"
}
probe_leak "plain IPv4 found" "192.0.2.7" 1
probe_leak "IPv4 with a port found" "192.0.2.7:8080" 1
probe_leak "IPv4 inside a mapped IPv6 found" "::ffff:192.0.2.7" 1
probe_leak "IPv4 after hex letters found" "abc192.0.2.7" 1
probe_leak "IPv4 as a sentence end found" "see 192.0.2.7." 1
probe_leak "uncompressed upper-case IPv6 found" "2001:0DB8:ABCD:0012:0000:0000:0000:0007" 1
probe_leak "bracketed client without brackets found" "2001:db8:1:2::99" 1
probe_leak "IPv6 followed by :port found" "2001:db8:1:2::99:8080" 1
probe_leak "zone-id client found" "fe80::1234:5678" 1
probe_leak "client with :port found without it" "198.51.100.23" 1
probe_leak "second forwarded-for hop found" "10.0.0.1" 1
probe_leak "last forwarded-for hop found" "203.0.113.45" 1
probe_leak "quoted forwarded-for hop found" "199.96.1.1" 1
probe_leak "vhost line: client in field 2 found" "198.51.100.99" 1
probe_leak "v4-mapped client found" "::ffff:c000:24d" 1
probe_leak "truncated forms are not leaks" "192.0.2.0 2001:db8:abcd:: [2001:db8:1::]:443 10.0.0.0 ::ffff:192.0.2.0" 0
probe_leak "a longer address is not a leak" "192.0.2.70 11.92.0.2.7" 0
probe_leak "an address equal to its truncation is skipped" "10.1.2.0" 0
probe_leak "--any forbids it too" "10.1.2.0" 1 --any
probe_leak "--v4-prefix 32 forbids no IPv4" "192.0.2.7" 0 --v4-prefix 32
probe_leak "--v6-prefix 128 forbids no IPv6" "2001:db8:abcd:12::7" 0 --v6-prefix=128
probe_leak "--v6-prefix 128 still forbids IPv4" "192.0.2.7" 1 --v6-prefix 128
leakcheck_run "$SELF/orig.log"
check_status "leakcheck: usage error is status 2" 2 "$LC_RC"
leakcheck_run --v4-prefix 33 "$SELF/orig.log" "$SELF/orig.log"
check_status "leakcheck: bad prefix is status 2" 2 "$LC_RC"
leakcheck_run "$SELF/nonexistent" "$SELF/orig.log"
check_status "leakcheck: missing file is status 2" 2 "$LC_RC"
leakcheck_run "$GEN/addrmix.log.gz" "$GEN/addrmix.log"
check_status "leakcheck: reads gzip, finds the raw generated addresses" 1 "$LC_RC"

# --- the matrix -------------------------------------------------------------
# The client fields of an output line: what precedes " [" minus identd and
# user, from the first hop of a forwarded-for list (a vhost in front is not
# part of it).
client_fields () {
  awk '{
    sub(/\r$/, "")
    i = index($0, " [")
    if (i == 0) next
    n = split(substr($0, 1, i - 1), t, " ")
    last = n - 2
    if (last < 1) next
    first = last
    while (first > 1 && t[first - 1] ~ /,$/) first--
    s = t[first]
    for (k = first + 1; k <= last; k++) s = s " " t[k]
    print s
  }' "$1"
}

INPUTS=()
for f in "$DATA"/in/*.log "$DATA"/thirdparty/*.log "$GEN"/*.log "$GEN"/addrmix.log.gz; do
  INPUTS+=("$f")
done

# name | lognym options | leakcheck options | where
MATRIX='defaults          |                                  |                                 | anywhere
ip-drop           | --ip=drop                        | --v4-prefix 0 --v6-prefix 0     | anywhere
prefix-16-32      | --ipv4-prefix 16 --ipv6-prefix 32 | --v4-prefix 16 --v6-prefix 32  | anywhere
prefix-20-52      | -4 20 -6 52                      | --v4-prefix 20 --v6-prefix 52   | anywhere
prefix-0-128      | --ipv4-prefix 0 --ipv6-prefix 128 | --v4-prefix 0 --v6-prefix 128  | anywhere
prefix-32-0       | --ipv4-prefix 32 --ipv6-prefix 0 | --v4-prefix 32 --v6-prefix 0    | anywhere
malformed-redact  | --malformed=redact               |                                 | anywhere
malformed-drop    | --malformed=drop                 |                                 | anywhere
user-agent-keep   | --user-agent=keep                | --v4-prefix 24 --v6-prefix 48   | anywhere
user-ident-keep   | --remote-user=keep --ident=keep  |                                 | anywhere
residual-off      | --residual=off                   |                                 | client
referer-keep      | --referer=keep                   |                                 | anywhere
referer-strip     | --referer=strip-query --query=strip |                              | anywhere
query-deny        | --referer=keep --query-deny ip,from,q |                            | anywhere
ua-family         | --user-agent=family --remote-user=dash |                           | anywhere
server-client     | --server-address=client --keep-header X,Cookie |                   | anywhere
convert-common    | -O common                        |                                 | anywhere
convert-combined  | -O combined --user-agent=keep    | --v4-prefix 24 --v6-prefix 48   | anywhere
convert-vhost     | -O vhost_combined                |                                 | anywhere'

while IFS='|' read -r set lopts copts where; do
  set=${set//[[:space:]]/}
  where=${where//[[:space:]]/}
  for f in "${INPUTS[@]}"; do
    rel=${f#"$DATA"/}
    rel=${rel#"$GEN"/}
    # shellcheck disable=SC2086 # the option strings are word lists
    "$LOGNYM" $lopts "$f" >"$WORK/m.out" 2>"$WORK/m.err"
    rc=$?
    check=$WORK/m.out
    if [ "$where" = client ]; then
      client_fields "$WORK/m.out" >"$WORK/m.client"
      check=$WORK/m.client
    fi
    # shellcheck disable=SC2086
    leakcheck_run $copts "$f" "$check"
    summary=
    read -r summary <"$WORK/lc.out"
    k='?'
    [[ $summary =~ ([0-9]+)\ distinct ]] && k=${BASH_REMATCH[1]}
    name="$set: $rel ($k addresses, $where)"
    if [ "$rc" -eq 0 ] && [ "$LC_RC" -eq 0 ]; then
      pass "$name"
    else
      fail "$name" "lognym $lopts $rel: exit status $rc" \
        "$(head -n 5 "$WORK/m.err")" "$(head -n 8 "$WORK/lc.out")" "$(cat "$WORK/lc.err")"
    fi
    if [ "$where" = anywhere ]; then
      # audit knows the prefixes by lognym's own option names
      aopts=${copts//--v4-prefix/--ipv4-prefix}
      aopts=${aopts//--v6-prefix/--ipv6-prefix}
      # shellcheck disable=SC2086
      "$LOGNYM" audit $aopts "$WORK/m.out" >"$WORK/a.out" 2>"$WORK/a.err"
      arc=$?
      if [ "$arc" -eq 0 ]; then
        pass "$set: $rel: lognym audit finds nothing in the output"
      else
        fail "$set: $rel: lognym audit finds nothing in the output" "exit status $arc" \
          "$(head -n 5 "$WORK/a.out")" "$(head -n 3 "$WORK/a.err")"
      fi
    fi
  done
done <<EOF
$MATRIX
EOF

# A LogFormat target with every free-text field the inputs may carry (the
# matrix splits options at spaces, so it runs here).
CONVERT_FORMAT='%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" "%{X-Forwarded-For}i" "%{Host}i" %U %q'
for f in "${INPUTS[@]}"; do
  rel=${f#"$DATA"/}
  rel=${rel#"$GEN"/}
  "$LOGNYM" --user-agent=keep -O "$CONVERT_FORMAT" "$f" >"$WORK/m.out" 2>"$WORK/m.err"
  rc=$?
  leakcheck_run --v4-prefix 24 --v6-prefix 48 "$f" "$WORK/m.out"
  if [ "$rc" -eq 0 ] && [ "$LC_RC" -eq 0 ]; then
    pass "convert-logformat: $rel"
  else
    fail "convert-logformat: $rel" "lognym -O '$CONVERT_FORMAT' $rel: exit status $rc" \
      "$(head -n 5 "$WORK/m.err")" "$(head -n 8 "$WORK/lc.out")" "$(cat "$WORK/lc.err")"
  fi
done

finish
