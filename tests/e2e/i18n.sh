#!/usr/bin/env bash
# i18n.sh - messages come out in German with the German catalog, the catalog
# is complete, and the log output is the same bytes in every language.
#
# Environment (set by AM_TESTS_ENVIRONMENT): LOGNYM (the binary),
# TOP_BUILDDIR (the build directory), TESTS_SRCDIR (the source tests/).
#
# German is selected with LANGUAGE=de and a locale other than C: C.UTF-8
# (built into glibc 2.35 and later), or a de_* locale when one is installed.
# The catalog is loaded from a temporary directory through LOGNYM_LOCALEDIR,
# so nothing needs to be installed.

set -u
export LC_ALL=C LANGUAGE=
unset LOGNYM_KEY_FILE

LOGNYM=${LOGNYM:-}
TESTS_SRCDIR=${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
TOP_BUILDDIR=${TOP_BUILDDIR:-$TESTS_SRCDIR/..}
top_srcdir=$TESTS_SRCDIR/..
po=$top_srcdir/po/de.po
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
finish () {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] || exit 1
  exit 0
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lognym-i18n.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# ------------------------------------------------------ the German catalog

gmo=
for f in "$TOP_BUILDDIR/po/de.gmo" "$top_srcdir/po/de.gmo"; do
  if [ -s "$f" ]; then gmo=$f; break; fi
done
mkdir -p "$tmp/locale/de/LC_MESSAGES"
if [ -n "$gmo" ]; then
  cp "$gmo" "$tmp/locale/de/LC_MESSAGES/lognym.mo"
  ok "found the built catalog ${gmo#"$TOP_BUILDDIR"/}"
elif command -v msgfmt > /dev/null 2>&1 && [ -r "$po" ]; then
  msgfmt -o "$tmp/locale/de/LC_MESSAGES/lognym.mo" "$po"
  ok "no built de.gmo; compiled po/de.po with msgfmt instead"
else
  not_ok "found de.gmo in $TOP_BUILDDIR/po or $top_srcdir/po"
  finish
fi

# ---------------------------------------------- completeness of po/de.po

if command -v msgfmt > /dev/null 2>&1; then
  if [ ! -r "$po" ]; then
    not_ok "po/de.po is readable"
  else
    stats=$(msgfmt --check --statistics -o /dev/null "$po" 2>&1)
    st=$?
    if [ $st -eq 0 ] && [[ $stats == *"translated message"* ]] \
       && [[ $stats != *untranslated* ]] && [[ $stats != *fuzzy* ]]; then
      ok "po/de.po passes msgfmt --check with no untranslated or fuzzy messages ($stats)"
    else
      not_ok "po/de.po passes msgfmt --check with no untranslated or fuzzy messages"
      printf '%s\n' "$stats" | sed 's/^/# /'
    fi
  fi
  # de.po must cover the messages of the current sources, not only of the
  # last template: extract a fresh template and compare.
  if command -v xgettext > /dev/null 2>&1 && command -v msgcmp > /dev/null 2>&1 \
     && [ -r "$top_srcdir/po/POTFILES.in" ] && [ -r "$po" ]; then
    mapfile -t srcs < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top_srcdir/po/POTFILES.in")
    # a source with messages that POTFILES.in does not name is never
    # offered to translators
    unlisted=$(cd "$top_srcdir" && grep -l -E '(^|[^A-Za-z_])N?_ \(' src/*.c \
               | while read -r f; do
                   printf '%s\n' "${srcs[@]}" | grep -qx "$f" || echo "$f"
                 done)
    if [ -z "$unlisted" ]; then
      ok "po/POTFILES.in names every source with translatable messages"
    else
      not_ok "po/POTFILES.in names every source with translatable messages: $unlisted"
    fi
    if (cd "$top_srcdir" && xgettext --from-code=UTF-8 --language=C \
          --keyword=_ --keyword=N_ --keyword=C_:1c,2 \
          -o "$tmp/fresh.pot" "${srcs[@]}") 2> "$tmp/xgettext.err"; then
      if msgcmp "$po" "$tmp/fresh.pot" > "$tmp/msgcmp.out" 2>&1; then
        ok "po/de.po translates every message of the sources in POTFILES.in"
      else
        not_ok "po/de.po translates every message of the sources in POTFILES.in (run make -C po update-po and translate)"
        sed 's/^/# /' "$tmp/msgcmp.out" | head -n 20
      fi
    else
      not_ok "xgettext extracts the messages of POTFILES.in"
      sed 's/^/# /' "$tmp/xgettext.err" | head -n 5
    fi
  else
    skip "xgettext or msgcmp missing: de.po not compared with the sources"
  fi
else
  skip "msgfmt is not installed: po/de.po not checked"
fi

# ---------------------------------------------------- a locale for German

# Prints the first setting of LC_ALL under which LANGUAGE=de gives German.
available=$(locale -a 2> /dev/null)
candidates=()
for l in C.UTF-8 C.utf8; do
  if printf '%s\n' "$available" | grep -qixF "$l"; then candidates+=("$l"); fi
done
while read -r l; do
  [ -n "$l" ] && candidates+=("$l")
done < <(printf '%s\n' "$available" | grep -iE '^de_[A-Z]{2}\.utf-?8$' | head -n 2)
# without "locale -a", try C.UTF-8 anyway
[ -n "$available" ] || candidates=(C.UTF-8)

de_env () {  # de_env LOCALE COMMAND...: run COMMAND with German messages
  local loc=$1
  shift
  LOGNYM_LOCALEDIR=$tmp/locale LC_ALL=$loc LANGUAGE=de "$@"
}

german_locale=
for l in "${candidates[@]}"; do
  if de_env "$l" "$LOGNYM" --help 2> /dev/null | grep -q 'Vorgabe'; then
    german_locale=$l
    break
  fi
done

if [ ${#candidates[@]} -eq 0 ]; then
  skip "no C.UTF-8 or de_* locale on this system: German output not checked"
elif [ -z "$german_locale" ]; then
  not_ok "LANGUAGE=de with LC_ALL=${candidates[0]} gives German messages"
  de_env "${candidates[0]}" "$LOGNYM" --help 2>&1 | head -n 5 | sed 's/^/# /'
else
  ok "LANGUAGE=de with LC_ALL=$german_locale gives German messages"

  # --help: our own texts (GLib's headings depend on GLib's catalogs)
  help=$(de_env "$german_locale" "$LOGNYM" --help)
  st=$?
  missing=()
  for w in "Zugriffsprotokolle" "Umgang mit Client-Adressen" "Vorgabe" \
           "Beispiele:" "Exit-Status:" "--malformed=fail" "DATEI"; do
    [[ $help == *"$w"* ]] || missing+=("$w")
  done
  if [ $st -eq 0 ] && [ ${#missing[@]} -eq 0 ]; then
    ok "--help is German and exits 0"
  else
    not_ok "--help is German and exits 0 (status $st; missing: ${missing[*]})"
  fi
  # option names and value words stay English
  missing=()
  for w in "--format" "--ip=" "--ipv4-prefix" "truncate" "drop" "keep" "dash" \
           "redact" "fail" "mask" "malformed" "off" "auto" "vhost_combined"; do
    [[ $help == *"$w"* ]] || missing+=("$w")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    ok "German --help keeps option names and value words untranslated"
  else
    not_ok "German --help keeps option names and value words untranslated (missing: ${missing[*]})"
  fi

  # a usage error
  err=$(de_env "$german_locale" "$LOGNYM" --ipv4-prefix 33 2>&1 < /dev/null)
  st=$?
  if [ $st -eq 1 ] && [[ $err == *"ungültiger Wert"* ]] && [[ $err == *"--ipv4-prefix"* ]] \
     && [[ $err == *"eine Zahl von 0 bis 32"* ]] && [[ $err == *"lognym --help"* ]]; then
    ok "--ipv4-prefix 33 is reported in German with exit status 1"
  else
    not_ok "--ipv4-prefix 33 is reported in German with exit status 1 (status $st)"
    printf '%s\n' "$err" | sed 's/^/# /'
  fi

  # a bad log format
  err=$(de_env "$german_locale" "$LOGNYM" --format '%h %Z' 2>&1 < /dev/null)
  st=$?
  if [ $st -eq 1 ] && [[ $err == *"Protokollformat, Spalte 4: unbekannte Direktive"* ]]; then
    ok "an unknown LogFormat directive is reported in German with exit status 1"
  else
    not_ok "an unknown LogFormat directive is reported in German with exit status 1 (status $st)"
    printf '%s\n' "$err" | sed 's/^/# /'
  fi

  # an I/O error, a malformed-line report and the --stats line
  err=$(de_env "$german_locale" "$LOGNYM" --stats "$sample" "$tmp/missing.log" 2>&1 > /dev/null)
  st=$?
  if [ $st -eq 2 ] && [[ $err == *"kann nicht geöffnet werden"* ]] \
     && [[ $err == *"Zeile passt nicht zum Protokollformat (Spalte "* ]] \
     && [[ $err == *"lognym: stats: files=1 lines_read=13 "* ]] \
     && [[ $err == *"malformed_layout=1"* ]]; then
    ok "I/O errors and malformed lines are reported in German, --stats keys stay untranslated"
  else
    not_ok "I/O errors and malformed lines are reported in German, --stats keys stay untranslated (status $st)"
    printf '%s\n' "$err" | sed 's/^/# /'
  fi

  # a key error and the keygen usage
  err=$(de_env "$german_locale" "$LOGNYM" --ip=hmac 2>&1 < /dev/null)
  st=$?
  if [ $st -eq 1 ] && [[ $err == *"braucht einen Schlüssel"* ]] && [[ $err == *"lognym keygen"* ]]; then
    ok "a keyed --ip mode without a key is reported in German with exit status 1"
  else
    not_ok "a keyed --ip mode without a key is reported in German with exit status 1 (status $st)"
    printf '%s\n' "$err" | sed 's/^/# /'
  fi
  out=$(de_env "$german_locale" "$LOGNYM" keygen --help 2>&1)
  if [[ $out == *"Aufruf: lognym keygen"* ]]; then
    ok "keygen --help is German"
  else
    not_ok "keygen --help is German"
    printf '%s\n' "$out" | sed 's/^/# /'
  fi

  ver=$(de_env "$german_locale" "$LOGNYM" --version)
  if [[ $ver == "lognym "* ]] && [[ $ver == *"KEINE GARANTIE"* ]]; then
    ok "--version is German"
  else
    not_ok "--version is German"
  fi

  # ------------------------------------ the data is never translated
  crlf=$tmp/crlf.log
  {
    printf '192.0.2.44 - bob [01/Dec/2026:23:59:60 -0130] "GET /\344\366\374?x=1,5 HTTP/1.1" 200 1234567 "-" "Agent 1,0"\r\n'
    printf '\r\n'
    printf '2001:db8::99 - - [29/Feb/2028:00:00:00 +0000] "GET / HTTP/1.1" - - "http://[2001:db8::1]:8080/" "-"'
  } > "$crlf"
  gzip -c < "$sample" > "$tmp/sample.gz"
  "$LOGNYM" keygen "$tmp/key" || not_ok "lognym keygen writes a key"
  for args in "" "--malformed=redact" "--user-agent=keep --remote-user=keep --ident=keep" \
              "--ip=drop" "--residual=malformed --malformed=redact -4 16 -6 32" \
              "--ip=hmac -k $tmp/key" "--ip=truncate+hmac -k $tmp/key --malformed=redact" \
              "--ip=hmac-ipv6 --key-dir $tmp/keys --expired-key=truncate"; do
    for input in "$sample" "$tmp/sample.gz" "$crlf"; do
      label=${args:-defaults}
      label=${label//$tmp\//}
      # shellcheck disable=SC2086
      "$LOGNYM" $args "$input" > "$tmp/c.out" 2> /dev/null
      cst=$?
      # shellcheck disable=SC2086
      de_env "$german_locale" "$LOGNYM" $args "$input" > "$tmp/de.out" 2> /dev/null
      dst=$?
      if [ -s "$tmp/c.out" ] && cmp -s "$tmp/c.out" "$tmp/de.out" && [ $cst -eq $dst ]; then
        ok "output is byte-identical in C and German: $label, ${input##*/}"
      else
        not_ok "output is byte-identical in C and German: $label, ${input##*/} (status $cst/$dst)"
        diff "$tmp/c.out" "$tmp/de.out" | head -n 4 | sed 's/^/# /'
      fi
    done
  done
  # -o FILE too
  "$LOGNYM" -o "$tmp/c.file" "$sample" 2> /dev/null
  de_env "$german_locale" "$LOGNYM" -o "$tmp/de.file" "$sample" 2> /dev/null
  if [ -s "$tmp/c.file" ] && cmp -s "$tmp/c.file" "$tmp/de.file"; then
    ok "-o output is byte-identical in C and German"
  else
    not_ok "-o output is byte-identical in C and German"
  fi
fi

finish
