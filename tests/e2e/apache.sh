#!/bin/bash
# tests/e2e/apache.sh - lognym as Apache httpd's piped logger, end to end,
# with Debian's apache2 on loopback.
#
# A minimal configuration in a temporary directory (no /etc/apache2) logs
# every request twice in the same format: piped into lognym --run-as nobody
# and raw beside it for comparison; a second pair logs the
# X-Forwarded-For header too, lognym taking that format from the
# configuration itself (--apache-config --log-name).  curl sends about 200
# requests (IPv4, IPv6 when ::1 works, X-Forwarded-For, long URLs with
# addresses in the query string, referers with addresses, user agents with
# quotes and backslashes), from four clients at once while
# `apache2 -k graceful` restarts the server (a new piped logger starts, the
# old one drains), then more requests, then `apache2 -k stop`.  One more
# request is half sent before the restart and finished a second after it:
# its old child writes its line into the old pipe after Apache sent the old
# logger SIGTERM (without --drain-timeout's reading on, that line is lost).
#
# Checked: every request answered is logged exactly once in each log, the
# anonymised log has the same requests (path, status, size) as the raw one,
# `lognym audit` and the leak check find no address, the piped loggers ran
# as nobody (seen with ps while they ran), and they said nothing in the
# error log.
#
# Root only, and only where /usr/sbin/apache2 exists (Debian package
# apache2; .ci/run installs it); skipped (77) otherwise.

. "$(dirname "$0")/lib.sh"

APACHE2=/usr/sbin/apache2
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: apache.sh must run as root (apache2 binds, drops to nobody; lognym --run-as)"
  exit 77
fi
if [ ! -x "$APACHE2" ]; then
  echo "SKIP: $APACHE2 not found (apt-get install apache2)"
  exit 77
fi
if ! command -v curl >/dev/null; then
  echo "SKIP: curl not found (apt-get install curl)"
  exit 77
fi

D=$WORK/apache
mkdir -p "$D/logs" "$D/htdocs" "$D/run" || exit 99
# the server's children and the piped loggers run as nobody
chmod 755 "$WORK" "$D" "$D/htdocs"
cd "$D" || exit 99
echo "hello" >htdocs/index.html
CONF=$D/httpd.conf

# --- helpers ----------------------------------------------------------------

# loggers: "PID USER" of every live lognym started by this test's server
loggers () {
  ps -eo pid=,user=,stat=,args= | awk -v d="-o $D/logs/" -v l="$LOGNYM" '
    $4 == l && index($0, d) && $3 !~ /^Z/ { print $1, $2 }'
}
no_loggers () {
  [ -z "$(loggers)" ]
}

apache_pid () {
  cat "$D/run/httpd.pid" 2>/dev/null
}

apache_cleanup () {
  local pid p
  pid=$(apache_pid)
  if [ -n "$pid" ] && running "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    wait_for 5 eval '! running '"$pid" || kill -9 "$pid" 2>/dev/null
  fi
  for p in $(loggers | awk '{ print $1 }'); do
    kill -9 "$p" 2>/dev/null
  done
  cleanup
}
trap apache_cleanup EXIT

# port_free PORT: nothing listens on PORT (TCP, any address)
port_free () {
  if command -v ss >/dev/null; then
    [ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
  else
    ! (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# --- the configuration --------------------------------------------------------

HAVE_V6=no
if grep -q '^00000000000000000000000000000001' /proc/net/if_inet6 2>/dev/null; then
  HAVE_V6=yes
fi

write_conf () {
  cat >"$CONF" <<EOF
ServerRoot "$D"
ServerName localhost
PidFile $D/run/httpd.pid
DefaultRuntimeDir $D/run
Mutex file:$D/run default
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
User nobody
Group $(id -gn nobody)
Listen 127.0.0.1:$PORT
$([ "$HAVE_V6" = yes ] && echo "Listen [::1]:$PORT")
StartServers 2
MaxRequestWorkers 50
ThreadsPerChild 25
GracefulShutdownTimeout 10
ErrorLog $D/logs/error.log
LogLevel warn
TypesConfig /etc/mime.types
DocumentRoot $D/htdocs
<Directory />
  Require all granted
</Directory>
DirectoryIndex index.html
LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" combined
LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" \"%{X-Forwarded-For}i\"" xff
CustomLog "|$LOGNYM --run-as nobody -o $D/logs/anon.log" combined
CustomLog $D/logs/raw.log combined
CustomLog "|$LOGNYM --run-as nobody --apache-config $CONF --log-name xff -o $D/logs/anon-xff.log" xff
CustomLog $D/logs/raw-xff.log xff
EOF
}

started=no
for _ in 1 2 3 4 5; do
  PORT=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
  port_free "$PORT" || continue
  write_conf
  if "$APACHE2" -f "$CONF" -k start >start.out 2>&1 \
     && wait_for 10 eval 'curl -s -o /dev/null --max-time 2 http://127.0.0.1:'"$PORT"'/'; then
    started=yes
    break
  fi
  apache_cleanup_pid=$(apache_pid)
  [ -n "$apache_cleanup_pid" ] && kill -9 "$apache_cleanup_pid" 2>/dev/null
done
if [ "$started" != yes ]; then
  fail "apache2 starts with the piped logger" "$(cat start.out logs/error.log 2>/dev/null)"
  finish
fi
pass "apache2 starts with the piped logger (port $PORT, IPv6: $HAVE_V6)"
# the probe requests above are logged too, without a req= id: left out below

# --- the requests ------------------------------------------------------------------

LONG=$(head -c 3000 /dev/zero | tr '\0' 'a')

# curl_config FIRST LAST: a curl -K config with one request per id
curl_config () {
  local id host kind
  for ((id = $1; id <= $2; id++)); do
    kind=$((id % 6))
    host=127.0.0.1
    [ "$kind" = 1 ] && [ "$HAVE_V6" = yes ] && host='[::1]'
    case $kind in
      0 | 1) echo "url = \"http://$host:$PORT/index.html?req=$id\"" ;;
      2) echo "url = \"http://$host:$PORT/?req=$id&client=203.0.113.9\""
         echo 'header = "X-Forwarded-For: 203.0.113.9, 198.51.100.7"' ;;
      3) echo "url = \"http://$host:$PORT/long/$LONG?req=$id&ip=198.51.100.23&v6=2001:db8:1234:5678::17&x=$LONG\"" ;;
      4) echo "url = \"http://$host:$PORT/missing?req=$id\""
         echo 'user-agent = "Mozilla/5.0 \"quoted\" \\back\\slash\\ '\''single'\'' from 192.0.2.44"' ;;
      5) echo "url = \"http://$host:$PORT/index.html?req=$id\""
         echo 'referer = "http://198.51.100.99/page?ip=2001:db8::99"'
         echo 'user-agent = ""' ;;
    esac
    echo 'globoff'
    echo 'output = "/dev/null"'
    echo 'max-time = 10'
    echo "write-out = \"req=$id %{http_code}\\n\""
    [ "$id" -lt "$2" ] && echo 'next'
  done
}

# client C: ids C*40+1 .. C*40+40 in 8 batches of 5, a pause between
client () {
  local b
  for b in 0 1 2 3 4 5 6 7; do
    curl -s -K "client$1-$b.conf"
    sleep 0.05
  done
}
for c in 0 1 2 3; do
  for b in 0 1 2 3 4 5 6 7; do
    curl_config $((c * 40 + b * 5 + 1)) $((c * 40 + b * 5 + 5)) >"client$c-$b.conf"
  done
done
# a request that an old child finishes well after the graceful restart:
# its connection is open and half its request sent before, the rest after;
# the old child then writes its line into the old pipe, whose logger Apache
# has sent SIGTERM by then
SLOW_OK=no
if exec 5<>"/dev/tcp/127.0.0.1/$PORT"; then
  SLOW_OK=yes
  printf 'GET /index.html?slowreq HTTP/1.1\r\n' >&5
fi
# four clients at once, with a graceful restart while they run
for c in 0 1 2 3; do
  client "$c" >"client$c.out" 2>"client$c.err" &
  eval "CURL$c=\$!"
done
# a quarter of the requests logged: restart
wait_for 20 eval '[ "$(grep -c "req=" logs/raw.log)" -ge 40 ]'
loggers >loggers-before.txt
"$APACHE2" -f "$CONF" -k graceful >graceful.out 2>&1
check_status "apache2 -k graceful mid-stream: status 0" 0 "$?"
still=0
for c in 0 1 2 3; do
  eval "pid=\$CURL$c"
  running "$pid" && still=$((still + 1))
done
at=$(grep -c "req=" logs/raw.log)
if [ "$still" -gt 0 ] && [ "$at" -lt 150 ]; then
  pass "the graceful restart came mid-stream ($at requests logged, $still clients still sending)"
else
  fail "the graceful restart came mid-stream" "$at requests logged, $still clients still sending"
fi
if [ "$SLOW_OK" = yes ]; then
  sleep 1
  printf 'Host: localhost\r\nConnection: close\r\n\r\n' >&5
  timeout 10 cat <&5 >slow.out
  exec 5<&-
fi
for c in 0 1 2 3; do
  eval "pid=\$CURL$c"
  if ! wait_for 30 eval '! running '"$pid"; then
    kill -9 "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
done
# the new piped loggers are up once the restarted server answers
wait_for 10 eval 'curl -s -o /dev/null --max-time 2 "http://127.0.0.1:'"$PORT"'/?req=0"'
sleep 0.5
loggers >loggers-after.txt
curl_config 161 200 >client4.conf
curl -s -K client4.conf >client4.out 2>client4.err
sleep 0.3

APID=$(apache_pid)
"$APACHE2" -f "$CONF" -k stop >stop.out 2>&1
check_status "apache2 -k stop: status 0" 0 "$?"
if wait_for 20 eval '! running '"$APID"; then
  pass "apache2 stops"
else
  fail "apache2 stops" "pid $APID still running 20 s after -k stop"
fi
if wait_for 10 no_loggers; then
  pass "the piped loggers exit after the server"
else
  fail "the piped loggers exit after the server" "$(loggers)"
fi

# --- the checks ------------------------------------------------------------------

# every id answered, as the clients saw it
cat client[0-4].out | awk '$2 != "000" { print $1 }' | sort >answered
nanswered=$(wc -l <answered)
if [ "$nanswered" -ge 190 ]; then
  pass "curl: $nanswered of 200 requests answered"
else
  fail "curl: at least 190 of 200 requests answered" "$nanswered answered" \
    "$(cat client[0-4].err | head -n 5)"
fi

# ids: the req=N of every logged request, sorted
ids () {
  grep -o '[?&]req=[0-9]*' "$1" | sed 's/^.//' | grep -v -x 'req=0' | sort
}
# requests: "path id status bytes" of every logged request with an id
requests () {
  sed -n 's/^[^"]*"[A-Z]* \([^ ?]*\)?req=\([0-9]*\)[^"]*" \([0-9]*\) \([0-9-]*\) .*$/\1 \2 \3 \4/p' "$1" |
    awk '$2 != 0' | sort
}

for pair in "raw.log anon.log" "raw-xff.log anon-xff.log"; do
  set -- $pair
  raw=logs/$1
  an=logs/$2
  ids "$raw" >ids.raw
  ids "$an" >ids.anon
  check_files "$1: every answered request logged exactly once" answered ids.raw
  check_files "$2: every answered request logged exactly once" answered ids.anon
  check_value "$2: as many lines as $1" "$(wc -l <"$raw")" "$(wc -l <"$an")"
  requests "$raw" >req.raw
  requests "$an" >req.anon
  if [ -s req.raw ] && cmp -s req.raw req.anon; then
    pass "$2: the same requests (path, id, status, size) as $1"
  else
    fail "$2: the same requests (path, id, status, size) as $1" \
      "$(diff req.raw req.anon | cut -c 1-200 | head -n 10)"
  fi
  "$LOGNYM" audit "$an" >audit.out 2>&1
  RC=$?
  check_status "$2: lognym audit finds no address (status 0)" 0 "$RC"
  [ "$RC" = 0 ] || cat audit.out | head -n 5 | sed 's/^/#   /'
  if [ -n "${LEAKCHECK:-}" ] && [ -x "$LEAKCHECK" ]; then
    "$LEAKCHECK" "$raw" "$an" >leak.out 2>&1
    RC=$?
    check_status "$2: the leak check finds no client address of $1" 0 "$RC"
    [ "$RC" = 0 ] || head -n 5 leak.out | sed 's/^/#   /'
  fi
  for addr in 203.0.113.9 198.51.100.7 198.51.100.23 198.51.100.99 192.0.2.44 2001:db8::99 \
    2001:db8:1234:5678::17 127.0.0.1; do
    check_not_contains "$2: $addr not in it" "$addr" "$an"
  done
  check_not_contains "$2: no user agent kept" 'quoted' "$an"
done
# the comparisons above can fail: the raw logs do hold what was sent
check_contains "raw.log holds the IPv4 client (the test sees it)" "127.0.0.1 - -" logs/raw.log
if [ "$HAVE_V6" = yes ]; then
  check_contains "raw.log holds the IPv6 client" "::1 - -" logs/raw.log
  check_contains "anon.log: the IPv6 client truncated" ":: - -" logs/anon.log
fi
check_contains "raw-xff.log holds the X-Forwarded-For header" "203.0.113.9, 198.51.100.7" \
  logs/raw-xff.log
check_contains "raw.log holds the quoted user agent, escaped" '\"quoted\"' logs/raw.log
check_contains "anon.log: the IPv4 client truncated" "127.0.0.0 - -" logs/anon.log

# the request an old child finished after the graceful restart
if [ "$SLOW_OK" = yes ]; then
  check_contains "the request finished after the restart: answered" "200 OK" slow.out
  check_contains "raw.log: the request finished after the restart" "slowreq" logs/raw.log
  for an in anon.log anon-xff.log; do
    check_contains "$an: the request finished after the restart (the old logger drains)" \
      "slowreq" "logs/$an"
  done
else
  fail "a connection to Apache from bash (/dev/tcp)" "could not connect"
fi

# who the piped loggers ran as
n_before=$(wc -l <loggers-before.txt)
n_after=$(wc -l <loggers-after.txt)
users=$(cat loggers-before.txt loggers-after.txt | awk '{ print $2 }' | sort -u | tr '\n' ' ')
if [ "$n_before" -ge 2 ] && [ "$n_after" -ge 2 ] && [ "$users" = "nobody " ]; then
  pass "the piped loggers ran as nobody (before and after the graceful restart)"
else
  fail "the piped loggers ran as nobody (before and after the graceful restart)" \
    "before: $(cat loggers-before.txt | tr '\n' ';') after: $(cat loggers-after.txt | tr '\n' ';')"
fi
grep 'lognym:' logs/error.log >lognym-errors.txt
check_empty "the piped loggers wrote nothing to the error log" lognym-errors.txt
stat -c %a logs/anon.log >mode.txt
check_text "anon.log created with mode 0640" "640" mode.txt

finish
