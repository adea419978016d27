#!/bin/bash
# tests/e2e/nginx.sh - lognym --follow FIFO with Debian's nginx on loopback.
#
# nginx writes its access log into a FIFO (access_log DIR/fifo combined)
# and, for comparison, into a plain file beside it.  lognym --follow
# --run-as nobody reads the FIFO and appends to DIR/anon.log; it is started
# first (nginx's open of the FIFO waits for a reader).  Requests with curl,
# `nginx -s reload` mid-stream (nginx opens the FIFO again for its new
# workers), more requests, `nginx -s quit` (every writer closes the FIFO:
# lognym sees EOF, flushes and waits for the next writer), nginx started
# again, more requests, nginx stopped, SIGTERM to lognym while it waits for
# the next writer.
#
# Checked: every request answered is in anon.log exactly once (counted by
# their unique query strings) and in the same number of lines as the raw
# log, one lognym process all along, exit status 0 after SIGTERM, lognym
# audit and the leak check clean, nothing on lognym's stderr.
#
# Root only, and only where /usr/sbin/nginx exists (Debian package nginx;
# .ci/run installs it); skipped (77) otherwise.

. "$(dirname "$0")/lib.sh"

NGINX=/usr/sbin/nginx
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: nginx.sh must run as root (nginx drops to nobody; lognym --run-as)"
  exit 77
fi
if [ ! -x "$NGINX" ]; then
  echo "SKIP: $NGINX not found (apt-get install nginx)"
  exit 77
fi
if ! command -v curl >/dev/null; then
  echo "SKIP: curl not found (apt-get install curl)"
  exit 77
fi

D=$WORK/nginx
mkdir -p "$D/logs" "$D/htdocs" "$D/run" "$D/tmp" || exit 99
chmod 755 "$WORK" "$D" "$D/htdocs"
cd "$D" || exit 99
echo "hello" >htdocs/index.html
CONF=$D/nginx.conf
NOBODY_GROUP=$(id -gn nobody)

# --- helpers ----------------------------------------------------------------

nginx_pid () {
  cat "$D/run/nginx.pid" 2>/dev/null
}

LPID=
nginx_cleanup () {
  local pid
  pid=$(nginx_pid)
  if [ -n "$pid" ] && running "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    wait_for 5 eval '! running '"$pid" || kill -9 "$pid" 2>/dev/null
  fi
  [ -n "$LPID" ] && kill -9 "$LPID" 2>/dev/null
  cleanup
}
trap nginx_cleanup EXIT

port_free () {
  if command -v ss >/dev/null; then
    [ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
  else
    ! (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

HAVE_V6=no
if grep -q '^00000000000000000000000000000001' /proc/net/if_inet6 2>/dev/null; then
  HAVE_V6=yes
fi

write_conf () {
  cat >"$CONF" <<EOF
daemon on;
master_process on;
worker_processes 2;
user nobody $NOBODY_GROUP;
pid $D/run/nginx.pid;
error_log $D/logs/error.log warn;
events { worker_connections 64; }
http {
  client_body_temp_path $D/tmp/body;
  proxy_temp_path $D/tmp/proxy;
  fastcgi_temp_path $D/tmp/fastcgi;
  uwsgi_temp_path $D/tmp/uwsgi;
  scgi_temp_path $D/tmp/scgi;
  access_log $D/fifo combined;
  access_log $D/logs/raw.log combined;
  server {
    listen 127.0.0.1:$PORT;
    $([ "$HAVE_V6" = yes ] && echo "listen [::1]:$PORT;")
    root $D/htdocs;
    location / { }
  }
}
EOF
}

start_nginx () {
  "$NGINX" -c "$CONF" -p "$D/" -e "$D/logs/error.log" >start.out 2>&1 \
    && wait_for 10 eval 'curl -s -o /dev/null --max-time 2 "http://127.0.0.1:'"$PORT"'/?req=0"'
}

# ids FILE: the req=N of every logged request (but the probes, req=0), sorted
ids () {
  grep -o '[?&]req=[0-9]*' "$1" | sed 's/^.//' | grep -v -x 'req=0' | sort
}

# requests FIRST LAST: one curl per batch of ids, IPv4 and IPv6 in turn,
# addresses in the query strings and referers; "req=N CODE" lines
requests () {
  local id host
  for ((id = $1; id <= $2; id++)); do
    host=127.0.0.1
    [ $((id % 2)) = 1 ] && [ "$HAVE_V6" = yes ] && host='[::1]'
    echo "url = \"http://$host:$PORT/index.html?req=$id&ip=198.51.100.$((id % 250 + 1))\""
    echo 'globoff'
    echo 'output = "/dev/null"'
    echo 'max-time = 10'
    echo "referer = \"http://203.0.113.$((id % 250 + 1))/\""
    echo 'user-agent = "Mozilla/5.0 \"odd\" 192.0.2.99"'
    echo "write-out = \"req=$id %{http_code}\\n\""
    [ "$id" -lt "$2" ] && echo 'next'
  done >"req-$1.conf"
  curl -s -K "req-$1.conf" >>answers 2>>curl.err
}

# --- lognym first, then nginx ---------------------------------------------------

PORT=
for _ in 1 2 3 4 5; do
  p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
  if port_free "$p"; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "no free port found" >&2; exit 99; }
write_conf

mkfifo fifo
chown nobody fifo
chmod 600 fifo
"$LOGNYM" --follow --run-as nobody -o "$D/anon.log" fifo 2>lognym.err &
LPID=$!
: >answers

if start_nginx; then
  pass "nginx starts, writing its access log into the FIFO (port $PORT, IPv6: $HAVE_V6)"
else
  fail "nginx starts, writing its access log into the FIFO" \
    "$(cat start.out logs/error.log 2>/dev/null | head -n 20)"
  finish
fi
user=$(ps -o user= -p "$LPID")
check_value "lognym runs as nobody" "nobody" "$user"

requests 1 50
"$NGINX" -c "$CONF" -p "$D/" -e "$D/logs/error.log" -s reload >reload.out 2>&1
check_status "nginx -s reload: status 0" 0 "$?"
requests 51 100
sleep 0.5
requests 101 120

# every writer goes: lognym must wait for the next one, not exit
NPID=$(nginx_pid)
"$NGINX" -c "$CONF" -p "$D/" -e "$D/logs/error.log" -s quit >quit.out 2>&1
if wait_for 15 eval '! running '"$NPID"; then
  pass "nginx -s quit: nginx stops"
else
  fail "nginx -s quit: nginx stops" "pid $NPID still running"
fi
sleep 0.5
check_true "lognym --follow still running after its writer closed the FIFO" \
  "lognym exited: $(cat lognym.err)" running "$LPID"
n_before=$(ids anon.log | wc -l)
check_value "everything written before the writer closed is in anon.log" "120" "$n_before"

if start_nginx; then
  pass "nginx starts again: lognym opened the FIFO again"
else
  fail "nginx starts again: lognym opened the FIFO again" "$(tail -n 5 logs/error.log)"
fi
requests 121 170
sleep 0.3
NPID=$(nginx_pid)
"$NGINX" -c "$CONF" -p "$D/" -e "$D/logs/error.log" -s stop >stop.out 2>&1
wait_for 15 eval '! running '"$NPID" || kill -9 "$NPID" 2>/dev/null
sleep 0.5

# lognym waits for the next writer (in poll(2), the FIFO opened
# non-blocking): SIGTERM ends it
kill -TERM "$LPID"
if wait_for 5 eval '! running '"$LPID"; then
  wait "$LPID"
  RC=$?
else
  kill -9 "$LPID"
  wait "$LPID" 2>/dev/null
  RC=timeout
fi
LPID=
check_status "SIGTERM while waiting for a writer: exit status 0" 0 "$RC"
check_empty "lognym: nothing on stderr" lognym.err

# --- the checks ------------------------------------------------------------------

awk '$2 != "000" { print $1 }' answers | sort >answered
n=$(wc -l <answered)
if [ "$n" -ge 165 ]; then
  pass "curl: $n of 170 requests answered"
else
  fail "curl: at least 165 of 170 requests answered" "$n" "$(head -n 5 curl.err)"
fi
ids logs/raw.log >ids.raw
ids anon.log >ids.anon
check_files "raw.log: every answered request exactly once" answered ids.raw
check_files "anon.log: every answered request exactly once, across reload and restart" \
  answered ids.anon
check_value "anon.log: as many lines as raw.log" "$(wc -l <logs/raw.log)" "$(wc -l <anon.log)"
"$LOGNYM" audit anon.log >audit.out 2>&1
RC=$?
check_status "anon.log: lognym audit finds no address (status 0)" 0 "$RC"
if [ -n "${LEAKCHECK:-}" ] && [ -x "$LEAKCHECK" ]; then
  "$LEAKCHECK" logs/raw.log anon.log >leak.out 2>&1
  RC=$?
  check_status "anon.log: the leak check finds no client address of raw.log" 0 "$RC"
  [ "$RC" = 0 ] || head -n 5 leak.out | sed 's/^/#   /'
fi
check_contains "raw.log holds the raw IPv4 client (the checks can fail)" "127.0.0.1 - -" logs/raw.log
check_not_contains "anon.log: no 127.0.0.1" "127.0.0.1" anon.log
check_not_contains "anon.log: no 192.0.2.99 (user agent dropped)" "192.0.2.99" anon.log
if [ "$HAVE_V6" = yes ]; then
  check_contains "raw.log holds the IPv6 client" "::1 - -" logs/raw.log
  check_contains "anon.log: the IPv6 client truncated" ":: - -" anon.log
fi
stat -c '%a %U' anon.log >mode.txt
check_text "anon.log: mode 0640, created by root before the drop" "640 root" mode.txt

finish
