#!/bin/bash
# tests/e2e/formats.sh - csv and jsonl output, --fields, and country lookups
# with --geo-db, end to end.
#
# 1. Goldens: every case of the table below runs lognym in a scratch
#    directory where in/, thirdparty/, in-geo/, geo/ (links to tests/data)
#    data/ (the sample log) and gen/ (files made here) sit, so that file
#    names in messages are stable.  A case passes when its exit status is
#    the one in the table and standard output and standard error equal
#    tests/data/expected/CASE.{out,err}.  (The status is kept in the table,
#    not in a CASE.status file: golden.sh takes every *.status in expected/
#    for one of its own cases.)
#
#      tests/e2e/formats.sh                        every check
#      tests/e2e/formats.sh CASE...                only these golden cases
#      REGENERATE=1 tests/e2e/formats.sh [CASE...] rewrite the goldens
#
#    After regenerating, review every changed golden by eye (git diff): a
#    golden states what lognym SHOULD do.  The goldens of the cases in
#    HAND_WRITTEN were written by hand because lognym got them wrong (see
#    the table); REGENERATE=1 leaves them alone unless they are named.
#
# 2. Properties, over every input in tests/data (in/, thirdparty/, in-geo/),
#    the sample log and the generated special inputs of lib.sh:
#    - the CSV parses with Python's csv module (strict), starts with the
#      header, has as many rows as records (--stats lines_written) and as
#      many fields in each row as in the header;
#    - sqlite3 ".import --csv" loads it without a warning and
#      "select count(*)" gives the number of records;
#    - every JSONL line is UTF-8 and parses with json.loads, as an object
#      with the column names as keys, in order;
#    - bytes that are not UTF-8 come back exactly: the path, query and
#      referer of every record of matomo-common_encoding_big5.log and of a
#      generated file with the bytes 0x80-0xff, NUL and control characters,
#      decoded from the JSON (or CSV) and encoded with 'surrogateescape',
#      equal the bytes of the input;
#    - $LEAKCHECK finds no client address of the input in the csv and
#      jsonl output (with --ip=country: not even a truncated one);
#    - the output is the same bytes in every locale.
#    A check whose tool (python3, sqlite3) is missing is skipped with a
#    message.  Known bugs are checked too and fail until they are fixed
#    (see "known bugs" below).

. "$(dirname "$0")/lib.sh"

EXPECTED=$DATA/expected
RUN=$WORK/run
ACTUAL=$WORK/actual
GEN=$RUN/gen
mkdir -p "$GEN" "$ACTUAL" "$RUN/data" || exit 99
for d in in thirdparty in-geo geo; do
  ln -s "$DATA/$d" "$RUN/$d" || exit 99
done
ln -s "$TESTS_SRCDIR/../data/sample-access.log" "$RUN/data/sample-access.log" || exit 99

HAVE_PYTHON=
command -v python3 >/dev/null 2>&1 && HAVE_PYTHON=1
HAVE_SQLITE=
command -v sqlite3 >/dev/null 2>&1 && HAVE_SQLITE=1

skip () {
  printf 'ok - # SKIP %s\n' "$1"
}

# check_text_eq NAME EXPECTED ACTUAL: two strings are equal
check_text_eq () {
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "got:      $3"; fi
}

# ------------------------------------------------------ generated inputs

gen_special_inputs "$GEN"

# durations in every unit Apache writes them
{
  printf '192.0.2.1 - - [25/Nov/2026:08:15:02 +0100] "GET /d HTTP/1.1" 200 1 1234\n'
  printf '192.0.2.2 - - [25/Nov/2026:08:15:03 +0100] "GET /d HTTP/1.1" 200 2 0\n'
  printf '192.0.2.3 - - [25/Nov/2026:08:15:04 +0100] "GET /d HTTP/1.1" 200 3 -\n'
  printf '192.0.2.4 - - [25/Nov/2026:08:15:05 +0100] "GET /d HTTP/1.1" 200 4 0042\n'
} >"$GEN/duration-D.log"
{
  printf '192.0.2.1 - - [25/Nov/2026:08:15:02 -0500] "GET /t HTTP/1.1" 200 1 2\n'
  printf '192.0.2.2 - - [25/Nov/2026:08:15:03 -0500] "GET /t HTTP/1.1" 200 2 0\n'
  printf '192.0.2.3 - - [25/Nov/2026:08:15:04 -0500] "GET /t HTTP/1.1" 200 3 1.25\n'
} >"$GEN/duration-T.log"
{
  printf '192.0.2.1 - - [25/Nov/2026:08:15:02 +0000] "GET /ms HTTP/1.1" 200 1 1234\n'
  printf '192.0.2.2 - - [25/Nov/2026:08:15:03 +0000] "GET /ms HTTP/1.1" 200 2 0.5\n'
} >"$GEN/duration-ms.log"
: >"$GEN/empty.log"

# Every byte that is not printable ASCII, in paths, queries and referers:
# control characters (not LF), NUL, DEL and 0x80-0xff, alone and in valid
# and invalid UTF-8 sequences.  No digit, '.', ':' or hex letter is next to
# them, so the residual scan finds no address to mask.  No '"', '\', '?'
# or space inside a part.
python_bytes_log () {
  python3 - "$1" <<'EOF'
import sys
chunks = []
ctl = bytes(b for b in range(0x00, 0x20) if b != 0x0a)
chunks += [ctl[:16], ctl[16:], b"\x7f"]
high = bytes(range(0x80, 0x100))
chunks += [high[i:i + 16] for i in range(0, 128, 16)]
chunks += [
    "é".encode(), "中文".encode(), "😀".encode(),           # valid UTF-8
    b"\xc3", b"\xc3(", b"\xe4\xb8", b"\xf0\x9f\x98",          # truncated
    b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80",            # overlong, surrogate
    b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80", b"\x80\xbf", # > U+10FFFF, junk
    b"caf\xe9", "ok\u00e9".encode() + b"\xff" + "\u4e2d".encode(),
]
with open(sys.argv[1], "wb") as f:
    for i, c in enumerate(chunks):
        f.write(b'192.0.2.%d - - [25/Nov/2026:08:15:02 +0100] "GET /p' % (i % 250 + 1)
                + c + b"?q=" + c[::-1] + b' HTTP/1.1" 200 %d "http://x/r' % i + c
                + b'" "-"\n')
EOF
}
if [ -n "$HAVE_PYTHON" ]; then
  python_bytes_log "$GEN/bytes.log"
fi

# ------------------------------------------------------------ golden cases

# Goldens written by hand for bugs these cases found (see the table).
HAND_WRITTEN=" usage-geo-path-empty usage-geo-path-empty-part "

CASES=$WORK/cases
grep -v '^#' >"$CASES" <<'EOF'
# NAME                        | STATUS | OPTIONS (shell words)                 | INPUTS
# --- csv and jsonl with the default columns
csv-sample                    | 0 | -O csv                                      | data/sample-access.log
jsonl-sample                  | 0 | -O jsonl                                    | data/sample-access.log
csv-combined                  | 0 | --output-format=csv                         | in/combined.log
jsonl-combined                | 0 | --output-format jsonl                       | in/combined.log
csv-quotes-ua-keep            | 0 | -O csv --user-agent=keep                    | in/quotes.log
jsonl-quotes-ua-keep          | 0 | -O jsonl --user-agent=keep                  | in/quotes.log
csv-nonutf8                   | 0 | -O csv                                      | in/nonutf8.log
jsonl-nonutf8                 | 0 | -O jsonl                                    | in/nonutf8.log
csv-crlf                      | 0 | -O csv                                      | in/crlf.log
jsonl-crlf                    | 0 | -O jsonl                                    | in/crlf.log
jsonl-ipv6                    | 0 | -O jsonl                                    | in/ipv6.log
csv-xff                       | 0 | -O csv                                      | in/xff.log
csv-residual                  | 0 | -O csv --user-agent=keep                    | in/residual.log
jsonl-malformed-stats         | 0 | -O jsonl --stats                            | in/malformed.log
csv-malformed-fail            | 3 | -O csv --malformed=fail                     | in/malformed.log
csv-multiple-files            | 0 | -O csv                                      | in/common.log in/nofinal.log - <in/ipv4.log
csv-empty-input               | 0 | -O csv                                      | gen/empty.log
jsonl-empty-input             | 0 | -O jsonl                                    | gen/empty.log
csv-nul                       | 0 | -O csv                                      | gen/nul.log
jsonl-nul                     | 0 | -O jsonl                                    | gen/nul.log
# --- third-party logs: "-" byte counts, "-" and "" requests, no protocol,
# --- forwarded-for lists, Big5 bytes, host names
csv-tp-beats-apache-darwin    | 0 | -O csv                                      | thirdparty/beats-apache-access-darwin-2.4.23.log
jsonl-tp-beats-apache-test    | 0 | -O jsonl                                    | thirdparty/beats-apache-access-test.log
csv-tp-beats-nginx-test       | 0 | -O csv                                      | thirdparty/beats-nginx-access-test.log
jsonl-tp-dissect-apache       | 0 | -O jsonl                                    | thirdparty/dissect-apache-access.log
csv-tp-lnav-1                 | 0 | -O csv                                      | thirdparty/lnav-logfile_access_log.1.log
jsonl-tp-matomo-big5          | 0 | -O jsonl                                    | thirdparty/matomo-common_encoding_big5.log
csv-tp-matomo-big5            | 0 | -O csv                                      | thirdparty/matomo-common_encoding_big5.log
jsonl-tp-matomo-logs_to_tests | 0 | -O jsonl                                    | thirdparty/matomo-logs_to_tests.log
csv-tp-netdata-vhost_combined | 0 | -O csv --fields time,vhost,port,client,request,status,bytes,referer | thirdparty/netdata-vhost_combined.log
# --- --fields
csv-fields-one                | 0 | -O csv --fields status                      | in/common.log
csv-fields-all                | 0 | -O csv --fields time,client,country,vhost,port,user,method,path,query,protocol,request,status,bytes,referer,user_agent,duration_us | in/vhost_combined.log
jsonl-fields-all              | 0 | -O jsonl --fields time,client,country,vhost,port,user,method,path,query,protocol,request,status,bytes,referer,user_agent,duration_us | in/vhost_combined.log
jsonl-fields-order-spaces     | 0 | -O jsonl --fields ' bytes, status ,time'    | in/common.log
jsonl-fields-twice            | 0 | -O jsonl --fields path,path                 | in/common.log
jsonl-fields-kept             | 0 | -O jsonl --fields user,user_agent,referer --remote-user=keep --user-agent=keep | in/user.log in/combined.log
csv-fields-request-parts      | 0 | -O csv --fields request,method,path,query,protocol | thirdparty/beats-apache-access-test.log thirdparty/dissect-apache-access.log thirdparty/lnav-logfile_access_log.1.log in/quotes.log
csv-duration-D                | 0 | -O csv --format '%h %l %u %t "%r" %>s %b %D' --fields time,path,duration_us | gen/duration-D.log
jsonl-duration-T              | 0 | -O jsonl --format '%h %l %u %t "%r" %>s %b %T' --fields time,path,duration_us | gen/duration-T.log
jsonl-duration-ms             | 0 | -O jsonl --format '%h %l %u %t "%r" %>s %b %{ms}T' --fields time,duration_us | gen/duration-ms.log
jsonl-duration-us             | 0 | -O jsonl --format '%h %l %u %t "%r" %>s %b %{us}T' --fields time,duration_us | gen/duration-D.log
csv-custom-format             | 0 | -O csv --format '%h %l %u %t "%r" %>s %b %D "%{X-Forwarded-For}i" %{Host}i' | in/custom.log
# --- countries: both record shapes, both MaxMind test databases
csv-geo-tiny                  | 0 | -O csv --geo-db geo/tiny-country.mmdb       | in-geo/geo.log
jsonl-geo-tiny                | 0 | -O jsonl --geo-db geo/tiny-country.mmdb     | in-geo/geo.log
csv-geo-tiny-flat             | 0 | -O csv --geo-db geo/tiny-country-flat.mmdb --fields client,country,path | in-geo/geo.log
csv-geo-geoip2                | 0 | -O csv --geo-db geo/GeoIP2-Country-Test.mmdb --fields client,country,path | in-geo/geo.log
csv-geo-geolite2              | 0 | -O csv --geo-db geo/GeoLite2-Country-Test.mmdb --fields client,country,path | in-geo/geo.log
jsonl-geo-geoip2-thirdparty   | 0 | -O jsonl --geo-db geo/GeoIP2-Country-Test.mmdb --fields vhost,client,country,path | thirdparty/beats-nginx-access-test-with-host.log thirdparty/beats-apache-access-test.log
jsonl-geo-geolite2-ssl        | 0 | -O jsonl --geo-db geo/GeoLite2-Country-Test.mmdb --format '%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b' --fields time,client,country,path,bytes | thirdparty/beats-apache-access-ssl-request.log
csv-geo-drop                  | 0 | -O csv --ip=drop --geo-db geo/tiny-country.mmdb --fields client,country | in-geo/geo.log
log-geo-tiny                  | 0 | --geo-db geo/tiny-country.mmdb              | in-geo/geo.log
# --- --ip=country: the client field becomes the code, in every format
log-ip-country-tiny           | 0 | --ip=country --geo-db geo/tiny-country.mmdb | in-geo/geo.log
log-ip-country-flat           | 0 | --ip=country --geo-db geo/tiny-country-flat.mmdb | in-geo/geo.log
csv-ip-country-geoip2         | 0 | -O csv --ip=country --geo-db geo/GeoIP2-Country-Test.mmdb --fields client,country,path | in-geo/geo.log
jsonl-ip-country-geolite2     | 0 | -O jsonl --ip=country --geo-db geo/GeoLite2-Country-Test.mmdb --fields client,country,path | in-geo/geo.log
log-ip-country-residual       | 0 | --ip=country --geo-db geo/tiny-country.mmdb | in/residual.log in/xff.log
# --- --geo-path overrides the built-in paths
csv-geo-path-flat             | 0 | -O csv --geo-db geo/tiny-country-flat.mmdb --geo-path country_code --fields client,country | in-geo/geo.log
csv-geo-path-mismatch         | 0 | -O csv --geo-db geo/tiny-country.mmdb --geo-path country_code --fields client,country | in-geo/geo.log
csv-geo-path-registered       | 0 | -O csv --geo-db geo/GeoIP2-Country-Test.mmdb --geo-path registered_country/iso_code --fields client,country | in-geo/geo.log
# --- lookup errors: reported once per kind with a count, never per line;
# --- the stream goes on (status 0) unless --strict (status 2)
csv-geo-broken                | 0 | -O csv --geo-db geo/MaxMind-DB-test-broken-pointers-24.mmdb --geo-path country/iso_code --fields client,country | in-geo/geo.log
csv-geo-broken-two-files      | 0 | -O csv --geo-db geo/MaxMind-DB-test-broken-pointers-24.mmdb --geo-path country/iso_code --fields client,country | in-geo/geo.log in-geo/geo.log
log-geo-broken-ip-country     | 0 | --ip=country --geo-db geo/MaxMind-DB-test-broken-pointers-24.mmdb --geo-path country/iso_code | in-geo/geo.log
csv-geo-broken-strict         | 2 | -O csv --strict --geo-db geo/MaxMind-DB-test-broken-pointers-24.mmdb --geo-path country/iso_code --fields client,country | in-geo/geo.log
log-geo-strict-no-errors      | 0 | --strict --geo-db geo/tiny-country.mmdb     | in-geo/geo.log
# --- setup errors (status 2)
geo-type-without-country      | 2 | -O csv --geo-db geo/MaxMind-DB-test-broken-pointers-24.mmdb | in-geo/geo.log
geo-not-a-database            | 2 | -O csv --geo-db geo/MaxMind-DB.LICENSE-MIT.txt | in-geo/geo.log
geo-missing-database          | 2 | --ip=country --geo-db geo/missing.mmdb     | in-geo/geo.log
# --- usage errors (status 1)
usage-ip-country-without-db   | 1 | --ip=country                                | in-geo/geo.log
usage-ip-country-csv-no-db    | 1 | -O csv --ip=country                         | in-geo/geo.log
usage-fields-with-log         | 1 | --fields time,client                        | in-geo/geo.log
usage-fields-with-log-explicit | 1 | -O log --fields time                       | in-geo/geo.log
usage-fields-unknown          | 1 | -O csv --fields time,bogus                  | in-geo/geo.log
usage-fields-empty            | 1 | -O jsonl --fields ''                        | in-geo/geo.log
usage-fields-empty-name       | 1 | -O jsonl --fields time,,client              | in-geo/geo.log
usage-output-format-unknown   | 1 | -O xml                                      | in-geo/geo.log
usage-geo-path-without-db     | 1 | --geo-path country/iso_code                 | in-geo/geo.log
usage-geo-path-too-deep       | 1 | -O csv --geo-db geo/tiny-country.mmdb --geo-path a/b/c/d/e/f/g/h/i | in-geo/geo.log
# hand-written: an empty --geo-path is a usage error; lognym crashed
# (SIGSEGV in geo_open: g_strsplit ("") gives an empty vector)
usage-geo-path-empty          | 1 | -O csv --geo-db geo/tiny-country.mmdb --geo-path '' | in-geo/geo.log
# hand-written: an empty part after the first is refused like a leading
# one ("non-empty parts"); lognym accepted "country/" and answered XR/--
usage-geo-path-empty-part     | 1 | -O csv --geo-db geo/tiny-country.mmdb --geo-path country/ | in-geo/geo.log
EOF

trim () {
  local s=$1
  s=${s#"${s%%[![:space:]]*}"}
  s=${s%"${s##*[![:space:]]}"}
  printf '%s' "$s"
}

# run_case NAME OPTIONS INPUTS: leaves NAME.{out,err,status} in $ACTUAL.
run_case () {
  local name=$1 optstr=$2 inputs=$3 stdin=/dev/null tok
  local -a opts=() args=()
  eval "opts=($optstr)"
  for tok in $inputs; do
    case $tok in
      '<'*) stdin=$RUN/${tok#<} ;;
      *) args+=("$tok") ;;
    esac
  done
  (cd "$RUN" && exec "$LOGNYM" "${opts[@]}" "${args[@]}") \
    <"$stdin" >"$ACTUAL/$name.out" 2>"$ACTUAL/$name.err"
  echo $? >"$ACTUAL/$name.status"
}

selected () {
  local n
  [ $# -le 1 ] && return 0
  for n in "${@:2}"; do
    [ "$n" = "$1" ] && return 0
  done
  return 1
}

declare -A known=()
while IFS='|' read -r name want opts inputs; do
  name=$(trim "$name")
  [ -n "$name" ] || continue
  want=$(trim "$want")
  if [ -n "${known[$name]:-}" ]; then
    fail "table: case $name defined twice"
    continue
  fi
  known[$name]=1
  case $name in
    csv-*|jsonl-*|log-*|geo-*|usage-*) ;;
    *) fail "table: case $name: name starts with csv-, jsonl-, log-, geo- or usage-" ;;
  esac
  selected "$name" "$@" || continue
  run_case "formats-$name" "$(trim "$opts")" "$(trim "$inputs")"
  got=$(cat "$ACTUAL/formats-$name.status")

  if [ -n "${REGENERATE:-}" ]; then
    if [ "$got" != "$want" ]; then
      echo "status differs - $name: expected $want, got $got (fix lognym or the table)"
    fi
    if [[ $HAND_WRITTEN == *[[:space:]]"${name}"[[:space:]]* ]] && ! selected "$name" x "$@"; then
      echo "kept hand-written golden - $name (name it to overwrite)"
      continue
    fi
    changed=
    for part in out err; do
      if ! cmp -s "$ACTUAL/formats-$name.$part" "$EXPECTED/formats-$name.$part" 2>/dev/null; then
        cp "$ACTUAL/formats-$name.$part" "$EXPECTED/formats-$name.$part"
        changed="$changed $part"
      fi
    done
    [ -n "$changed" ] && echo "regenerated - $name:$changed"
    continue
  fi

  details=()
  if [ "$got" != "$want" ]; then
    details+=("expected exit status $want, got $got")
  fi
  for part in out err; do
    if [ ! -f "$EXPECTED/formats-$name.$part" ]; then
      details+=("missing golden formats-$name.$part (run REGENERATE=1 $0 $name, then review it)")
    elif ! cmp -s "$EXPECTED/formats-$name.$part" "$ACTUAL/formats-$name.$part"; then
      details+=("$part differs:" "$(show_diff "$EXPECTED/formats-$name.$part" "$ACTUAL/formats-$name.$part")")
    fi
  done
  if [ ${#details[@]} -eq 0 ]; then
    pass "$name"
  else
    fail "$name" "${details[@]}"
  fi
done <"$CASES"

for n in "$@"; do
  [ -n "${known[$n]:-}" ] || fail "case $n" "no such case in the table"
done

if [ -n "${REGENERATE:-}" ]; then
  echo "goldens written to $EXPECTED: review them (git diff) before committing"
  exit 0
fi

# every formats-* golden belongs to a case of the table
if [ $# -eq 0 ]; then
  stale=()
  for f in "$EXPECTED"/formats-*.out "$EXPECTED"/formats-*.err "$EXPECTED"/formats-*.status; do
    [ -e "$f" ] || continue
    b=$(basename "$f")
    b=${b#formats-}
    b=${b%.*}
    [ -n "${known[$b]:-}" ] || stale+=("$(basename "$f")")
  done
  if [ ${#stale[@]} -eq 0 ]; then
    pass "no formats-* golden without a case"
  else
    fail "no formats-* golden without a case" "stale goldens: ${stale[*]}"
  fi
fi

# With case names given, only those goldens run.
if [ $# -gt 0 ]; then
  finish
fi

# ------------------------------------------------------------- properties

HEADER_NOGEO=time,client,vhost,method,path,query,protocol,status,bytes,referer,user_agent,duration_us
HEADER_GEO=time,client,country,vhost,method,path,query,protocol,status,bytes,referer,user_agent,duration_us

# The checkers.  Each prints the reason and exits 1 when the property does
# not hold.
cat >"$WORK/check_csv.py" <<'EOF'
# check_csv.py FILE RECORDS HEADER: RFC 4180 CSV with HEADER, RECORDS rows
import csv, sys
csv.field_size_limit(sys.maxsize)     # gen/longline.log has a 1 MiB request
path, records, header = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
with open(path, newline="", encoding="utf-8", errors="surrogateescape") as f:
    data = f.read()
if not data.endswith("\r\n"):
    sys.exit("the output does not end in CRLF")
try:
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as f:
        rows = list(csv.reader(f, strict=True))
except csv.Error as e:
    sys.exit("csv.Error: %s" % e)
if not rows or rows[0] != header:
    sys.exit("header %r, expected %r" % (rows[0] if rows else None, header))
if len(rows) - 1 != records:
    sys.exit("%d rows after the header, expected %d records" % (len(rows) - 1, records))
for i, r in enumerate(rows[1:], 2):
    if len(r) != len(header):
        sys.exit("row %d has %d fields, the header %d: %r" % (i, len(r), len(header), r[:4]))
EOF
cat >"$WORK/check_jsonl.py" <<'EOF'
# check_jsonl.py FILE RECORDS KEYS: one JSON object per line, strict UTF-8
import json, sys
path, records, keys = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
n = 0
with open(path, "rb") as f:
    for n, raw in enumerate(f, 1):
        if not raw.endswith(b"\n"):
            sys.exit("line %d: no final newline" % n)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            sys.exit("line %d is not UTF-8: %s" % (n, e))
        try:
            obj = json.loads(text)
        except ValueError as e:
            sys.exit("line %d: %s: %r" % (n, e, raw[:80]))
        if not isinstance(obj, dict) or list(obj) != keys:
            sys.exit("line %d: keys %r, expected %r" % (n, list(obj) if isinstance(obj, dict) else obj, keys))
        for k, v in obj.items():
            if v is not None and not isinstance(v, (str, int)):
                sys.exit("line %d: %s is a %s" % (n, k, type(v).__name__))
if n != records:
    sys.exit("%d lines, expected %d records" % (n, records))
EOF
cat >"$WORK/roundtrip.py" <<'EOF'
# roundtrip.py INPUT OUTPUT csv|jsonl: path, query and referer of every
# record, decoded and encoded with surrogateescape, are the input's bytes
import csv, json, re, sys
csv.field_size_limit(sys.maxsize)
src, out, kind = sys.argv[1:4]
want = []
with open(src, "rb") as f:
    for line in f:
        m = re.search(rb'\] "([^"]*)" \d{3} \S+(?: "([^"]*)")?', line)
        if not m:
            sys.exit("test input line does not match: %r" % line[:80])
        req, ref = m.group(1), m.group(2)
        first, last = req.find(b" "), req.rfind(b" ")
        target = req[first + 1:last]
        path, _, query = target.partition(b"?")
        if ref is None or ref == b"-":
            ref = b""                 # absent: null in JSON, empty in CSV
        want.append((path, query, ref))
got = []
if kind == "jsonl":
    with open(out, "rb") as f:
        for raw in f:
            o = json.loads(raw.decode("utf-8"))
            got.append(tuple((o[k] or "").encode("utf-8", "surrogateescape") if o[k] is not None else b""
                             for k in ("path", "query", "referer")))
else:
    with open(out, newline="", encoding="utf-8", errors="surrogateescape") as f:
        rows = list(csv.DictReader(f, strict=True))
    for r in rows:
        got.append(tuple(r[k].encode("utf-8", "surrogateescape") for k in ("path", "query", "referer")))
if len(got) != len(want):
    sys.exit("%d records in the output, %d in the input" % (len(got), len(want)))
for i, (w, g) in enumerate(zip(want, got), 1):
    if w != g:
        sys.exit("record %d: expected %r, got %r" % (i, w, g))
EOF

# records_of STDERR_FILE: lines_written of the --stats line
records_of () {
  sed -n 's/.*lognym: stats: .* lines_written=\([0-9]*\) .*/\1/p' "$1" | tail -n 1
}

INPUTS=()
for f in "$DATA"/in/*.log "$DATA"/thirdparty/*.log "$DATA"/in-geo/*.log \
         "$TESTS_SRCDIR/../data/sample-access.log" "$GEN"/longline.log "$GEN"/nul.log \
         "$GEN"/addrmix.log; do
  [ -f "$f" ] && INPUTS+=("$f")
done
[ -f "$GEN/bytes.log" ] && INPUTS+=("$GEN/bytes.log")
# inputs that auto does not recognise, with their LogFormat
declare -A FORMAT_OF=(
  ["$DATA/in/custom.log"]='%h %l %u %t "%r" %>s %b %D "%{X-Forwarded-For}i" %{Host}i'
  ["$DATA/thirdparty/beats-apache-access-ssl-request.log"]='%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b'
)

label_of () {
  local f=$1
  case $f in
    "$DATA"/*) printf '%s' "${f#"$DATA"/}" ;;
    "$GEN"/*) printf 'gen/%s' "${f#"$GEN"/}" ;;
    *) printf '%s' "${f##*/}" ;;
  esac
}

P=$WORK/prop
mkdir -p "$P"
[ -n "$HAVE_PYTHON" ] || skip "python3 is not installed: csv and json checks not run (Debian: apt-get install python3)"
[ -n "$HAVE_SQLITE" ] || skip "sqlite3 is not installed: .import checks not run (Debian: apt-get install sqlite3)"
if [ -z "$LEAKCHECK" ] || [ ! -x "$LEAKCHECK" ]; then
  skip "tests/leakcheck not built: leak checks not run (make tests/leakcheck, or set LEAKCHECK)"
  LEAKCHECK=
fi

RUNS=()
for f in "${INPUTS[@]}"; do
  RUNS+=("$f|auto")
  [ -n "${FORMAT_OF[$f]:-}" ] && RUNS+=("$f|${FORMAT_OF[$f]}")
done
for r in "${RUNS[@]}"; do
  f=${r%%|*}
  logformat=${r#*|}
  label=$(label_of "$f")
  [ "$logformat" = auto ] || label="$label --format '$logformat'"
  for fmt in csv jsonl; do
    o=$P/out.$fmt
    "$LOGNYM" -O "$fmt" --stats --format "$logformat" "$f" >"$o" 2>"$P/err"
    rc=$?
    n=$(records_of "$P/err")
    if [ "$rc" -ne 0 ] || [ -z "$n" ]; then
      fail "$fmt $label: lognym exits 0 with a --stats line" "status $rc" "$(head -n 5 "$P/err")"
      continue
    fi
    if [ "$fmt" = csv ]; then
      if [ -n "$HAVE_PYTHON" ]; then
        if msg=$(python3 "$WORK/check_csv.py" "$o" "$n" "$HEADER_NOGEO" 2>&1); then
          pass "csv $label: Python's csv reads the header and $n rows of 12 fields"
        else
          fail "csv $label: Python's csv reads the header and $n rows of 12 fields" "$msg"
        fi
      fi
      if [ -n "$HAVE_SQLITE" ]; then
        got=$(cd "$P" && sqlite3 :memory: ".import --csv out.csv t" "select count(*) from t;" 2>"$P/sqlite.err")
        if [ "$got" = "$n" ] && [ ! -s "$P/sqlite.err" ]; then
          pass "csv $label: sqlite3 .import --csv loads $n records"
        else
          fail "csv $label: sqlite3 .import --csv loads $n records" "count: $got" "$(head -n 5 "$P/sqlite.err")"
        fi
      fi
    else
      if [ -n "$HAVE_PYTHON" ]; then
        if msg=$(python3 "$WORK/check_jsonl.py" "$o" "$n" "$HEADER_NOGEO" 2>&1); then
          pass "jsonl $label: $n lines, each a JSON object with the 12 columns"
        else
          fail "jsonl $label: $n lines, each a JSON object with the 12 columns" "$msg"
        fi
        # exactly the one-liner of the issue, in the C locale of the tests
        if python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <"$o" 2>"$P/py.err"; then
          pass "jsonl $label: python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]'"
        else
          fail "jsonl $label: python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]'" "$(tail -n 2 "$P/py.err")"
        fi
      fi
    fi
    if [ -n "$LEAKCHECK" ]; then
      if "$LEAKCHECK" "$f" "$o" >"$P/lc.out" 2>&1; then
        pass "$fmt $label: leakcheck finds no client address"
      else
        fail "$fmt $label: leakcheck finds no client address" "$(head -n 8 "$P/lc.out")"
      fi
    fi
  done
done

# With a geo database the country column is there; with --ip=country no
# client address is left in any form, not even a truncated one.
GEO_IN=$DATA/in-geo/geo.log
for db in tiny-country tiny-country-flat GeoIP2-Country-Test GeoLite2-Country-Test; do
  for fmt in csv jsonl; do
    for mode in truncate country; do
      o=$P/geo.$fmt
      "$LOGNYM" -O "$fmt" --stats --ip=$mode --geo-db "$DATA/geo/$db.mmdb" "$GEO_IN" >"$o" 2>"$P/err"
      rc=$?
      n=$(records_of "$P/err")
      label="$fmt --ip=$mode --geo-db $db"
      if [ "$rc" -ne 0 ] || [ -z "$n" ]; then
        fail "$label: lognym exits 0" "status $rc" "$(head -n 5 "$P/err")"
        continue
      fi
      if [ -n "$HAVE_PYTHON" ]; then
        if msg=$(python3 "$WORK/check_$fmt.py" "$o" "$n" "$HEADER_GEO" 2>&1); then
          pass "$label: $n records with the 13 columns"
        else
          fail "$label: $n records with the 13 columns" "$msg"
        fi
      fi
      if [ -n "$LEAKCHECK" ]; then
        any=
        [ "$mode" = country ] && any=--any
        if "$LEAKCHECK" $any "$GEO_IN" "$o" >"$P/lc.out" 2>&1; then
          pass "$label: leakcheck ${any:+--any }finds no client address"
        else
          fail "$label: leakcheck ${any:+--any }finds no client address" "$(head -n 8 "$P/lc.out")"
        fi
      fi
    done
  done
done
if [ -n "$HAVE_SQLITE" ]; then
  "$LOGNYM" -O csv --geo-db "$DATA/geo/tiny-country.mmdb" "$GEO_IN" >"$P/geo.csv" 2>/dev/null
  got=$(cd "$P" && sqlite3 :memory: ".import --csv geo.csv t" \
          "select country || '=' || count(*) from t group by country order by country;" 2>&1 | paste -sd' ')
  check_text_eq "csv --geo-db tiny-country: sqlite3 groups the records by country" \
    "=1 --=14 AU=2 BE=1 DE=5 FR=4 JP=1 NL=2 US=1 XP=11 XR=4" "$got"
fi

# Bytes that are not UTF-8 come back exactly.
if [ -n "$HAVE_PYTHON" ]; then
  # in/nonutf8.log has an address in a query, masked unless --residual=off
  for f in "$DATA/thirdparty/matomo-common_encoding_big5.log" "$DATA/in/nonutf8.log" "$GEN/bytes.log"; do
    label=$(label_of "$f")
    extra=()
    [ "$f" = "$DATA/in/nonutf8.log" ] && extra=(--residual=off) && label="$label --residual=off"
    for fmt in jsonl csv; do
      "$LOGNYM" -O "$fmt" "${extra[@]}" --referer=keep --fields path,query,referer "$f" >"$P/rt.$fmt" 2>"$P/err"
      if msg=$(python3 "$WORK/roundtrip.py" "$f" "$P/rt.$fmt" "$fmt" 2>&1); then
        pass "$fmt $label: path, query and referer bytes round-trip through surrogateescape"
      else
        fail "$fmt $label: path, query and referer bytes round-trip through surrogateescape" "$msg"
      fi
    done
  done
  # the escapes themselves: \udcXX for invalid bytes, \u00XX for controls,
  # valid UTF-8 as it is
  "$LOGNYM" -O jsonl --fields path "$GEN/bytes.log" >"$P/bytes.jsonl" 2>/dev/null
  check_contains "jsonl: an invalid byte is written as \\udcXX" '"/p\udcc3("' "$P/bytes.jsonl"
  check_contains "jsonl: NUL and control characters are written as \\u00XX" '"/p\u0000\u0001\u0002' "$P/bytes.jsonl"
  check_contains "jsonl: valid UTF-8 is written as it is" '"/pok'"$(printf '\303\251')"'\udcff'"$(printf '\344\270\255')"'"' "$P/bytes.jsonl"
  check_contains "jsonl: an encoded surrogate is three invalid bytes" '"/p\udced\udca0\udc80"' "$P/bytes.jsonl"
  check_contains "jsonl: DEL is written as it is" "$(printf '"/p\177"')" "$P/bytes.jsonl"
else
  skip "python3 is not installed: round trips of non-UTF-8 bytes not checked"
fi

# The output is the same bytes in every locale: numbers and times do not
# follow LC_NUMERIC or LC_TIME, and messages go to standard error only.
locales=()
while read -r l; do
  [ -n "$l" ] && locales+=("$l")
done < <(locale -a 2>/dev/null | grep -iE '^(C\.utf-?8|de_DE\.utf-?8|fr_FR\.utf-?8|ar_.*\.utf-?8)$' | head -n 4)
if [ ${#locales[@]} -eq 0 ]; then
  skip "no UTF-8 locale installed: locale independence not checked"
fi
for l in "${locales[@]}"; do
  for fmt in csv jsonl; do
    args=(-O "$fmt" --geo-db "$DATA/geo/tiny-country.mmdb" --format '%h %l %u %t "%r" %>s %b %T')
    "$LOGNYM" "${args[@]}" "$GEN/duration-T.log" >"$P/c.out" 2>/dev/null
    LC_ALL=$l LANGUAGE=de "$LOGNYM" "${args[@]}" "$GEN/duration-T.log" >"$P/l.out" 2>/dev/null
    check_files "$fmt: the same bytes with LC_ALL=$l LANGUAGE=de" "$P/c.out" "$P/l.out"
  done
done

# Several input files: one header, then every record.
"$LOGNYM" -O csv "$DATA/in/common.log" "$DATA/in/combined.log" >"$P/two.csv" 2>/dev/null
hdrs=$(grep -c '^time,' "$P/two.csv")
check_true "csv of two files has one header" "found $hdrs header lines" test "$hdrs" -eq 1

# --malformed=redact writes raw log lines, which are neither CSV rows nor
# JSON objects: with -O csv or jsonl it is a usage error (exit 1), and
# nothing is written.
for fmt in jsonl csv; do
  "$LOGNYM" -O "$fmt" --malformed=redact "$DATA/in/malformed.log" >"$P/redact.$fmt" 2>"$P/err"
  st=$?
  check_true "$fmt --malformed=redact is refused with status 1 and no output" \
    "status $st, $(wc -c <"$P/redact.$fmt") bytes out: $(head -c 200 "$P/err")" \
    test "$st" -eq 1 -a ! -s "$P/redact.$fmt"
done

# -o appends: a second run into the same CSV file must not add a second
# header row in the middle of the data (sqlite3 .import takes it for a
# record).
"$LOGNYM" -O csv -o "$P/append.csv" "$DATA/in/common.log" 2>/dev/null
"$LOGNYM" -O csv -o "$P/append.csv" "$DATA/in/combined.log" 2>/dev/null
hdrs=$(grep -c '^time,' "$P/append.csv")
check_true "csv -o FILE appended twice has one header" "found $hdrs header lines" test "$hdrs" -eq 1

finish
