#!/bin/bash
# tests/e2e/residual_table.sh - true and false positives of the residual scan
# on every test log, compared with a reviewed table.
#
# For each log in tests/data/{in,thirdparty,residual}, `lognym audit --show`
# with prefixes of 0 bits (so that every address but 0.0.0.0 and :: counts
# as raw) lists what the scanner finds; matches in the client field are left
# out: the scan is about everything else (malformed lines are scanned whole,
# their client included).  Each match is looked up in the hand-labelled
# tests/data/residual/labels.tsv (FILE, FIELD, TOKEN -> TP or FP) and the
# table of matches, true and false positives per log is compared with
# tests/data/residual/table.txt.  Any change of the scanner that moves a
# number fails here until the table is regenerated and reviewed:
#
#   tests/e2e/residual_table.sh                 compare
#   REGENERATE=1 tests/e2e/residual_table.sh    rewrite table.txt (review it)
#
# A match without a label fails too: label it in labels.tsv first.

. "$(dirname "$0")/lib.sh"

LABELS=$DATA/residual/labels.tsv
TABLE=$DATA/residual/table.txt
ACTUAL=$WORK/table.txt
MATCHES=$WORK/matches.tsv

(
  cd "$DATA" || exit 99
  for f in in/*.log thirdparty/*.log residual/*.log; do
    "$LOGNYM" audit --show --ipv4-prefix 0 --ipv6-prefix 0 "$f" 2>/dev/null
    [ $? -le 1 ] || echo "ERROR $f"
  done
) | grep -v '^[^:]*:[0-9]*: client: ' \
  | sed 's|^\([^:]*\):[0-9]*: \([^:]*\): \(.*\)$|\1\t\2\t\3|' >"$MATCHES"

if grep -q '^ERROR ' "$MATCHES"; then
  fail "audit runs" "$(grep '^ERROR ' "$MATCHES")"
fi

# FILE<TAB>FIELD<TAB>TOKEN -> label; unlabelled matches are reported
awk -F'\t' -v labels="$LABELS" -v unl="$WORK/unlabelled" '
  BEGIN {
    while ((getline line < labels) > 0) {
      if (line ~ /^#/ || line == "") continue
      split(line, f, "\t")
      lab[f[1] "\t" f[2] "\t" f[3]] = f[4]
    }
  }
  {
    k = $1 "\t" $2 "\t" $3
    if (!(k in lab)) { print k > unl; next }
    n[$1]++
    if (lab[k] == "TP") tp[$1]++; else fp[$1]++
  }
  END {
    for (g in n) printf "%s\t%d\t%d\t%d\n", g, n[g], tp[g] + 0, fp[g] + 0
  }' "$MATCHES" >"$WORK/counts"

{
  echo "# Residual scan on the test logs (tests/e2e/residual_table.sh):"
  echo "# matches outside the client field, true and false positives"
  echo "# (labels in labels.tsv).  Logs without matches are left out."
  printf '%-50s %7s %5s %5s\n' log matches tp fp
  sort "$WORK/counts" | awk -F'\t' '
    { printf "%-50s %7d %5d %5d\n", $1, $2, $3, $4; m += $2; t += $3; p += $4 }
    END {
      printf "%-50s %7d %5d %5d\n", "total", m, t, p
      printf "precision %.3f (tp / matches)\n", m ? t / m : 1
    }'
  printf 'logs scanned: %d\n' "$(cd "$DATA" && ls in/*.log thirdparty/*.log residual/*.log | wc -l)"
} >"$ACTUAL"

if [ -s "$WORK/unlabelled" ]; then
  fail "every match is labelled" "not in labels.tsv:" "$(cat "$WORK/unlabelled")"
else
  pass "every match is labelled"
fi

if [ -n "${REGENERATE:-}" ]; then
  cp "$ACTUAL" "$TABLE"
  echo "table written to $TABLE: review it (git diff) before committing"
  cat "$TABLE"
  exit 0
fi

if cmp -s "$TABLE" "$ACTUAL"; then
  pass "residual table"
else
  fail "residual table" "differs from $TABLE:" "$(show_diff "$TABLE" "$ACTUAL")"
fi
finish
