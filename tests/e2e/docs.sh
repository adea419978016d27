#!/usr/bin/env bash
# docs.sh - lognym(1) agrees with "lognym --help", renders without warnings,
# and every command in its EXAMPLES section works with the built binary.
#
# Environment (set by AM_TESTS_ENVIRONMENT): LOGNYM (the binary),
# TESTS_SRCDIR (the source tests/ directory).
#
# The man page marks each .EX block of EXAMPLES with a comment line right
# before it:
#   .\" example: sh [status=N]   the block is a shell script; it is run with
#                                sh in a sandbox that holds access.log,
#                                access.log.1, access.log.2.gz and
#                                /var/log/{nginx,apache2} (mapped into the
#                                sandbox); "lognym" is the binary under test
#   .\" example: customlog       an Apache CustomLog line; its piped command
#                                is run with the sample log on its input
# An unmarked block is an error: every example is tested.

set -u
export LC_ALL=C LANGUAGE=
unset LOGNYM_KEY_FILE

LOGNYM=${LOGNYM:-}
TESTS_SRCDIR=${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
top_srcdir=$TESTS_SRCDIR/..
man=$top_srcdir/doc/lognym.1
sample=$top_srcdir/data/sample-access.log

if [ -z "$LOGNYM" ] || [ ! -x "$LOGNYM" ]; then
  echo "SKIP: LOGNYM is not set to an executable lognym binary"
  exit 77
fi

passed=0
failed=0
ok () { echo "ok - $*"; passed=$((passed + 1)); }
not_ok () { echo "not ok - $*"; failed=$((failed + 1)); }
skip () { echo "ok - # SKIP $*"; }
check () {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}
finish () {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] || exit 1
  exit 0
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lognym-docs.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

if [ ! -r "$man" ]; then
  not_ok "man page $man is readable"
  finish
fi
if [ ! -r "$sample" ]; then
  not_ok "sample log $sample is readable"
  finish
fi

# ---------------------------------------------------------------- helpers

# Turns roff text into plain text: the escapes a man page uses for options,
# quotes and backslashes, and font changes.
unroff () {
  sed -e 's/\\-/-/g' -e 's/\\(aq/'"'"'/g' -e 's/\\(dq/"/g' -e 's/\\(em/--/g' \
      -e 's/\\(en/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' -e 's/\\%//g' \
      -e 's/\\e/\\/g'
}

# Prints the lines of man page section $1 (.SH NAME up to the next .SH).
section () {
  local want=$1 line in=0
  while IFS= read -r line; do
    if [[ $line == .SH* ]]; then
      local name=${line#.SH}
      name=${name# }
      name=${name//\"/}
      if [ "$name" = "$want" ]; then in=1; continue; fi
      [ $in -eq 1 ] && break
    fi
    [ $in -eq 1 ] && printf '%s\n' "$line"
  done < "$man"
}

# Flattens roff source to running text: comment lines go, macro names go,
# the arguments of alternating-font macros are joined without spaces (as
# groff prints them), and escapes are resolved.
flatten () {
  local line args out word
  while IFS= read -r line; do
    case $line in
      .\\\"*|\'\\\"*) continue ;;
      .B\ *|.I\ *)
        printf '%s ' "$(printf '%s\n' "${line#.? }" | tr -d '"' | unroff)" ;;
      .BR\ *|.RB\ *|.BI\ *|.IB\ *|.IR\ *|.RI\ *)
        args=${line#.?? }
        out=
        # split on spaces, honouring double quotes
        while [ -n "$args" ]; do
          args=${args#"${args%%[! ]*}"}
          [ -z "$args" ] && break
          if [[ $args == \"* ]]; then
            args=${args#\"}
            word=${args%%\"*}
            args=${args#*\"}
          else
            word=${args%% *}
            [[ $args == *" "* ]] && args=${args#* } || args=
          fi
          out+=$word
        done
        printf '%s ' "$(printf '%s\n' "$out" | unroff)" ;;
      .*) printf ' ' ;;
      *) printf '%s ' "$(printf '%s\n' "$line" | unroff)" ;;
    esac
  done
  echo
}

# ------------------------------------------------ the man page and --help

help=$("$LOGNYM" --help) || { not_ok "lognym --help exits 0"; finish; }
man_text=$(unroff < "$man")

# long options shown by --help: "  -f, --format=FORMAT   ..." or "  --ip=MODE ..."
mapfile -t help_lines < <(printf '%s\n' "$help" | grep -E '^ +(-[[:alnum:]], )?--[[:alnum:]]')
help_opts=()
declare -A help_short=() help_desc=() in_help=()
for l in "${help_lines[@]}"; do
  [[ $l =~ ^\ +(-([[:alnum:]]),\ )?--([[:alnum:]][[:alnum:]-]*)(=[^ ]*)?\ +(.*)$ ]] || continue
  name=${BASH_REMATCH[3]}
  help_opts+=("$name")
  in_help[$name]=1
  help_short[$name]=${BASH_REMATCH[2]}
  help_desc[$name]=${BASH_REMATCH[5]}
done
if [ "${#help_opts[@]}" -ge 5 ]; then
  ok "--help lists ${#help_opts[@]} long options"
else
  not_ok "--help lists long options (found ${#help_opts[@]})"
fi

options_src=$(section OPTIONS)
check "man page has an OPTIONS section" test -n "$options_src"

# The tag line of each option entry (.TP, then the tag) and the entry text,
# which runs to the next .TP outside .RS/.RE (an entry may nest a list).
declare -A man_tag=() man_entry=()
tags=()
mapfile -t opt_lines <<< "$options_src"
n=${#opt_lines[@]}
depth=0
for ((i = 0; i < n; i++)); do
  case ${opt_lines[i]} in
    .RS*) depth=$((depth + 1)) ;;
    .RE*) depth=$((depth - 1)) ;;
  esac
  if [ "${opt_lines[i]}" != ".TP" ] || [ $depth -ne 0 ]; then continue; fi
  tag=$(printf '%s\n' "${opt_lines[i + 1]:-}" | flatten)
  body=()
  d=0
  for ((j = i + 2; j < n; j++)); do
    case ${opt_lines[j]} in
      .RS*) d=$((d + 1)) ;;
      .RE*) d=$((d - 1)) ;;
      .TP) [ $d -eq 0 ] && break ;;
      .SS*|.SH*) break ;;
    esac
    body+=("${opt_lines[j]}")
  done
  text=$(printf '%s\n' "${body[@]}" | flatten)
  while read -r o; do
    [ -n "$o" ] || continue
    o=${o#--}
    tags+=("$o")
    man_tag[$o]=$tag
    man_entry[$o]=$text
  done < <(printf '%s\n' "$tag" | grep -oE -- '--[[:alnum:]][[:alnum:]-]*')
done

for o in "${help_opts[@]}"; do
  if [ -n "${man_tag[$o]+x}" ]; then
    ok "--$o from --help has an entry in the man page's OPTIONS"
  else
    not_ok "--$o from --help has an entry in the man page's OPTIONS"
    continue
  fi
  s=${help_short[$o]}
  if [ -n "$s" ]; then
    if [[ " ${man_tag[$o]} " =~ (^|[^[:alnum:]-])-$s([^[:alnum:]]|$) ]]; then
      ok "--$o: short option -$s is in the man page entry"
    else
      not_ok "--$o: short option -$s is in the man page entry (tag: ${man_tag[$o]})"
    fi
  fi
done

for o in "${tags[@]}"; do
  check "man page option --$o exists in --help" test -n "${in_help[$o]+x}"
done

# every --option the man page mentions anywhere must exist
mapfile -t mentioned < <(printf '%s\n' "$man_text" | grep -oE -- '--[[:alnum:]][[:alnum:]-]*' | sort -u)
stale=()
for m in "${mentioned[@]}"; do
  [ -n "${in_help[${m#--}]+x}" ] || stale+=("$m")
done
if [ "${#stale[@]}" -eq 0 ]; then
  ok "every option the man page mentions (${#mentioned[@]}) exists in --help"
else
  not_ok "the man page mentions options that --help does not know: ${stale[*]}"
fi

# choice words and defaults: "Label: a (default), b or c" in --help.  An
# option takes a choice when, parenthesised remarks removed, its description
# ends in a list of at least two single words after a colon.
for o in "${help_opts[@]}"; do
  d=${help_desc[$o]}
  list=$(printf '%s\n' "$d" | sed -e 's/([^)]*)//g')
  [[ $list == *:* ]] || continue
  list=$(printf '%s\n' "$list" | sed -e 's/.*://' -e 's/ or /,/g')
  words=()
  IFS=, read -ra parts <<< "$list"
  for w in "${parts[@]}"; do
    w=$(printf '%s' "$w" | tr -s ' ' | sed -e 's/^ //' -e 's/ $//' -e 's/^or //')
    [[ $w =~ ^[a-z][a-z0-9_+-]*$ ]] && words+=("$w")
  done
  [ "${#words[@]}" -ge 2 ] || continue
  # the default: the word right before "(default"
  def=$(printf '%s\n' "$d" | sed -n 's/.*[ :]\([[:alnum:]_+-]*\) (default.*/\1/p')
  entry=" ${man_entry[$o]:-} "
  for w in "${words[@]}"; do
    re=${w//+/\\+}
    if [[ $entry =~ (^|[^[:alnum:]_+-])$re([^[:alnum:]_+-]|$) ]]; then
      ok "--$o: choice '$w' is documented in its man page entry"
    else
      not_ok "--$o: choice '$w' is documented in its man page entry"
    fi
  done
  if [ -n "$def" ]; then
    if [[ $entry == *"$def (default"* ]]; then
      ok "--$o: the man page gives the same default ($def)"
    else
      not_ok "--$o: the man page gives the same default ($def)"
    fi
  fi
done

# numeric defaults and ranges: "(0-32, default 24)", "(default 7)", and
# defaults taken from elsewhere: "(default: $LOGNYM_KEY_FILE)"
for o in "${help_opts[@]}"; do
  d=${help_desc[$o]}
  entry=${man_entry[$o]:-}
  if [[ $d =~ \(([0-9]+)-([0-9]+),\ default\ ([0-9]+)\) ]]; then
    lo=${BASH_REMATCH[1]} hi=${BASH_REMATCH[2]} def=${BASH_REMATCH[3]}
    if [[ $entry == *"$lo-$hi, default $def"* ]]; then
      ok "--$o: the man page gives the same range and default ($lo-$hi, $def)"
    else
      not_ok "--$o: the man page gives the same range and default ($lo-$hi, $def)"
    fi
  elif [[ $d =~ \(default\ ([0-9]+)\) ]]; then
    def=${BASH_REMATCH[1]}
    if [[ $entry =~ default\ $def([^0-9]|$) ]]; then
      ok "--$o: the man page gives the same default ($def)"
    else
      not_ok "--$o: the man page gives the same default ($def)"
    fi
  elif [[ $d =~ \(default:\ ([^\)]+)\) ]]; then
    def=${BASH_REMATCH[1]}
    if [[ $entry == *"$def"* ]]; then
      ok "--$o: the man page names the same default ($def)"
    else
      not_ok "--$o: the man page names the same default ($def)"
    fi
  fi
done

# sub-commands shown in the --help summary ("  lognym keygen FILE  ...")
synopsis=$(section SYNOPSIS | flatten)
while read -r sub; do
  [ -n "$sub" ] || continue
  if [[ " $synopsis " == *" lognym $sub "* ]]; then
    ok "sub-command '$sub' from --help is in the SYNOPSIS"
  else
    not_ok "sub-command '$sub' from --help is in the SYNOPSIS"
  fi
done < <(printf '%s\n' "$help" | sed -n 's/^  lognym \([a-z][a-z-]*\) .*/\1/p')

# environment variables named in --help are documented under ENVIRONMENT
env_src=$(section ENVIRONMENT | flatten)
while read -r var; do
  [ -n "$var" ] || continue
  if [[ " $env_src " =~ [^A-Z_]${var}[^A-Z_] ]]; then
    ok "\$$var from --help is in ENVIRONMENT"
  else
    not_ok "\$$var from --help is in ENVIRONMENT"
  fi
done < <(printf '%s\n' "$help" | grep -oE '\$[A-Z][A-Z0-9_]+' | tr -d '$' | sort -u)

# the exit statuses listed in --help are documented
exit_src=$(section "EXIT STATUS")
mapfile -t codes < <(printf '%s\n' "$help" | sed -n '/^Exit status:/,/^$/p' \
                       | grep -oE '(^|[ :,])[0-9]+ [a-z]' | grep -oE '[0-9]+')
if [ "${#codes[@]}" -eq 0 ]; then
  not_ok "--help lists exit statuses"
fi
for c in "${codes[@]}"; do
  if printf '%s\n' "$exit_src" | grep -qx "\.B $c"; then
    ok "exit status $c from --help is in EXIT STATUS"
  else
    not_ok "exit status $c from --help is in EXIT STATUS"
  fi
done

# sections and version
for s in NAME SYNOPSIS DESCRIPTION OPTIONS "LOG FORMATS" ANONYMISATION \
         "MALFORMED LINES" OUTPUT "EXIT STATUS" ENVIRONMENT FILES EXAMPLES \
         "SEE ALSO"; do
  if grep -qE "^\.SH \"?$s\"?\$" "$man"; then
    ok "man page has section $s"
  else
    not_ok "man page has section $s"
  fi
done
version=$("$LOGNYM" --version | head -n 1)
if grep -q "^\.TH LOGNYM 1 .*\"$version\"" "$man"; then
  ok "man page header names the binary's version ($version)"
else
  not_ok "man page header names the binary's version ($version): $(grep '^\.TH' "$man")"
fi

# ------------------------------------------------------------ rendering

if command -v groff > /dev/null 2>&1; then
  warnings=$(groff -man -Tutf8 -ww -z "$man" 2>&1)
  if [ -z "$warnings" ]; then
    ok "groff -man -ww renders the man page without warnings"
  else
    not_ok "groff -man -ww renders the man page without warnings"
    printf '%s\n' "$warnings" | sed 's/^/# /'
  fi
else
  skip "groff is not installed: rendering not checked"
fi
if command -v lexgrog > /dev/null 2>&1; then
  if lexgrog "$man" 2>&1 | grep -q '"lognym - '; then
    ok "lexgrog parses the NAME section"
  else
    not_ok "lexgrog parses the NAME section: $(lexgrog "$man" 2>&1)"
  fi
else
  skip "lexgrog is not installed: NAME section not checked"
fi

# ------------------------------------------------------------- examples

# Raw addresses of the sample log: none may appear in what an example writes.
mapfile -t raw_addrs < <( { grep -oE '([0-9]{1,3}\.){3}[0-9]{1,3}' "$sample";
                            grep -oE '2001:db8:[0-9a-f:]*[0-9a-f]' "$sample"; } \
                          | grep -vE '\.0$|::$' | sort -u)

# The fixtures are the sample log with today's date (UTC, at a time of day
# that is today in UTC whatever the offset), so that examples with per-period
# keys find records of the current period.
today=$(LC_ALL=C date -u +%d/%b/%Y)
sed -e "s#\[[0-9][0-9]/[A-Z][a-z][a-z]/[0-9]\{4\}:[0-9:]*#[$today:12:00:00#" \
  "$sample" > "$tmp/today.log"
make_sandbox () {  # make_sandbox DIR
  local sb=$1 log=$tmp/today.log
  rm -rf "$sb"
  mkdir -p "$sb/bin" "$sb/work" "$sb/var/log/nginx" "$sb/var/log/apache2"
  printf '#!/bin/sh\nexec "%s" "$@"\n' "$LOGNYM" > "$sb/bin/lognym"
  chmod +x "$sb/bin/lognym"
  cp "$log" "$sb/work/access.log"
  cp "$log" "$sb/work/access.log.1"
  gzip -c < "$log" > "$sb/work/access.log.2.gz"
  cp "$log" "$sb/var/log/nginx/access.log"
  cp "$log" "$sb/var/log/nginx/access.log.1"
  gzip -c < "$log" > "$sb/var/log/nginx/access.log.2.gz"
  gzip -c < "$log" > "$sb/var/log/nginx/access.log.3.gz"
}

# Paths in the examples that point into the system go into the sandbox.
map_paths () {  # map_paths SANDBOX < text
  sed -e "s#/usr/bin/lognym#lognym#g" -e "s#/usr/local/bin/lognym#lognym#g" \
      -e "s#/var/log/#$1/var/log/#g"
}

# Lists every file of the sandbox with its checksum.
snapshot () {
  (cd "$1" && find . -type f ! -path './bin/*' -exec md5sum {} + | sort)
}

# Checks the files an example created or changed, and its standard output,
# for raw sample addresses.  Prints the offending file names.
leaked () {  # leaked SANDBOX BEFORE AFTER STDOUT
  local sb=$1 f a
  for f in $(comm -13 "$2" "$3" | sed 's/^[^ ]*  *//') "$4"; do
    [ -f "$f" ] || f=$sb/$f
    [ -f "$f" ] || continue
    case $f in *.gz) continue ;; esac
    for a in "${raw_addrs[@]}"; do
      if grep -qF -- "$a" "$f"; then
        echo "${f#"$sb"/} holds $a"
      fi
    done
  done
}

examples_src=$(section EXAMPLES)
mapfile -t ex_lines <<< "$examples_src"
n=${#ex_lines[@]}
nblocks=0
for ((i = 0; i < n; i++)); do
  [ "${ex_lines[i]}" = ".EX" ] || continue
  nblocks=$((nblocks + 1))
  marker=${ex_lines[i - 1]:-}
  block=()
  for ((j = i + 1; j < n; j++)); do
    [ "${ex_lines[j]}" = ".EE" ] && break
    block+=("${ex_lines[j]}")
  done
  src=$(printf '%s\n' "${block[@]}")
  # name the example by its first line that is not a comment
  first=$(printf '%s\n' "${block[@]}" | grep -v '^#' | head -n 1 | unroff)
  label="example $nblocks ($first)"

  # only the escapes unroff knows may appear inside an example
  if printf '%s\n' "$src" | sed -e 's/\\-//g' -e 's/\\(aq//g' -e 's/\\(dq//g' \
       -e 's/\\e//g' -e 's/\\&//g' | grep -qF "\\"; then
    not_ok "$label: uses only the escapes \\- \\e \\(aq \\(dq \\&"
    continue
  fi
  if printf '%s\n' "$src" | grep -q '^[.'"'"']'; then
    not_ok "$label: no line starts with a control character"
    continue
  fi

  kind='' want_status=0
  if [[ $marker =~ ^\.\\\"\ example:\ ([a-z]+)(\ status=([0-9]+))?\ *$ ]]; then
    kind=${BASH_REMATCH[1]}
    [ -n "${BASH_REMATCH[3]}" ] && want_status=${BASH_REMATCH[3]}
  else
    not_ok "$label: is marked with '.\\\" example: KIND' on the line before .EX"
    continue
  fi

  sb=$tmp/sandbox
  make_sandbox "$sb"
  snapshot "$sb" > "$tmp/before"
  script=$(printf '%s\n' "$src" | unroff | map_paths "$sb")
  case $kind in
    sh)
      printf '%s\n' "$script" > "$tmp/example.sh"
      (cd "$sb/work" && umask 022 && PATH=$sb/bin:$PATH sh "$tmp/example.sh") \
        > "$tmp/out" 2> "$tmp/err" < /dev/null
      status=$?
      ;;
    customlog)
      if [[ $script =~ ^CustomLog[[:space:]]+\"\|\$?([^\"]+)\"[[:space:]]+[[:alnum:]_]+[[:space:]]*$ ]]; then
        cmd=${BASH_REMATCH[1]}
      else
        not_ok "$label: is a CustomLog \"|command\" nickname line"
        continue
      fi
      (cd "$sb/work" && umask 022 && PATH=$sb/bin:$PATH sh -c "$cmd") \
        > "$tmp/out" 2> "$tmp/err" < "$tmp/today.log"
      status=$?
      ;;
    *)
      not_ok "$label: unknown example kind '$kind'"
      continue
      ;;
  esac
  snapshot "$sb" > "$tmp/after"

  if [ "$status" -eq "$want_status" ] && ! grep -qE 'not found|No such file|cannot open|Unknown option|invalid value' "$tmp/err"; then
    ok "$label: runs with exit status $want_status"
  else
    not_ok "$label: runs with exit status $want_status (got $status)"
    sed 's/^/# stderr: /' "$tmp/err" | head -n 5
    continue
  fi
  if ! cmp -s "$tmp/before" "$tmp/after" || [ -s "$tmp/out" ] || [ -s "$tmp/err" ]; then
    ok "$label: produces output"
  else
    not_ok "$label: produces output"
  fi
  leaks=$(leaked "$sb" "$tmp/before" "$tmp/after" "$tmp/out")
  if [ -z "$leaks" ]; then
    ok "$label: writes no raw address of the sample"
  else
    not_ok "$label: writes no raw address of the sample"
    printf '%s\n' "$leaks" | sed 's/^/# /' | head -n 5
  fi
  if [ "$kind" = customlog ]; then
    target=$(printf '%s\n' "$cmd" | grep -oE -- "-o +[^ ]+" | sed 's/^-o *//')
    if [ -n "$target" ] && [ -f "$target" ]; then
      mode=$(stat -c %a "$target")
      lines=$(wc -l < "$target")
      want_lines=$("$LOGNYM" "$tmp/today.log" 2> /dev/null | wc -l)
      check "$label: the piped logger appends $want_lines lines to ${target#"$sb"/}" \
        test "$lines" -eq "$want_lines"
      check "$label: the log file is created with mode 640 (umask 022)" \
        test "$mode" = 640
    else
      not_ok "$label: the piped logger writes its -o file"
    fi
  fi
done
if [ "$nblocks" -ge 1 ]; then
  ok "EXAMPLES has $nblocks tested examples"
else
  not_ok "EXAMPLES has examples in .EX/.EE blocks"
fi

finish
