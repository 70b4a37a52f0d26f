#!/usr/bin/env bash
# CTest check of scripts/generate_corpus.py (about 10 s):
#   scripts/check_synthetic_corpus.sh ALIGNER WORK_DIR
# - the same seed gives byte-identical files, plain or gzip; another seed differs;
# - the three files have one line per pair, and every gold link is inside its pair;
# - the alignment is learnable: `aligner align -d -o -v` on 2,000 pairs scores an
#   AER below 0.3 against the generator's gold, where random links (as many per
#   pair as the gold has, at random positions) score above 0.9.
# Exits 77 (CTest: skipped) when python3-numpy is missing.
set -euo pipefail
aligner=$1
work=$2
generate="$(dirname "$0")/generate_corpus.py"
/usr/bin/python3 -c 'import numpy' 2>/dev/null || { echo "python3-numpy missing: skipped" >&2; exit 77; }
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$generate" --pairs 2000 --seed 5 --block 700 --prefix "$work/a"
"$generate" --pairs 2000 --seed 5 --block 700 --prefix "$work/b" --gzip
"$generate" --pairs 2000 --seed 6 --block 700 --prefix "$work/c"
for ext in src tgt gold; do
  cmp -s "$work/a.$ext" <(zcat "$work/b.$ext.gz") || fail "seed 5 gave different $ext files"
  [ "$(wc -l < "$work/a.$ext")" -eq 2000 ] || fail "$ext has $(wc -l < "$work/a.$ext") lines, not 2000"
done
cmp -s "$work/a.src" "$work/c.src" && fail "seeds 5 and 6 gave the same source text"
ls "$work" | grep -q tmp && fail "temporary files left: $(ls "$work")"

# Every gold link i-j within the lengths of its pair; every pair has a link.
paste -d '\t' "$work/a.src" "$work/a.tgt" "$work/a.gold" | awk -F '\t' '
  { l = split($1, s, " "); m = split($2, t, " "); n = split($3, g, " ")
    if (n == 0) { print "pair " NR ": no gold link"; bad = 1 }
    for (k = 1; k <= n; ++k) {
      split(g[k], ij, "-")
      if (ij[1] < 0 || ij[1] >= l || ij[2] < 0 || ij[2] >= m) { print "pair " NR ": link " g[k] " outside " l "x" m; bad = 1 }
    } }
  END { exit bad }' || fail "gold links out of range"

"$aligner" align --source "$work/a.src" --target "$work/a.tgt" -d -o -v --output "$work/a.align" 2> "$work/a.log"
aer=$("$aligner" evaluate -a "$work/a.align" -g "$work/a.gold" | awk '{ print $2 }')
# Random baseline: for each pair as many links as its gold, uniformly placed.
paste -d '\t' "$work/a.src" "$work/a.tgt" "$work/a.gold" | awk -F '\t' 'BEGIN { srand(1) }
  { l = split($1, s, " "); m = split($2, t, " "); n = split($3, g, " "); line = ""
    for (k = 1; k <= n; ++k) line = line (k > 1 ? " " : "") int(rand() * l) "-" int(rand() * m)
    print line }' > "$work/random.align"
random=$("$aligner" evaluate -a "$work/random.align" -g "$work/a.gold" | awk '{ print $2 }')
echo "AER: aligner align -d -o -v $aer, random links $random"
awk -v a="$aer" -v r="$random" 'BEGIN { exit !(a < 0.3 && r > 0.9) }' ||
  fail "AER $aer (want < 0.3) against random $random (want > 0.9)"
echo OK
