#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, then aligns the
# bundled Czech-English example with the recommended setting (both HMM
# directions trained together by agreement, on lowercased words), and scores
# each direction, their grow-diag-final-and symmetrization and the jointly
# decoded links against the human gold alignment, and writes an HTML page of the
# symmetrized links against the gold (aligner view). Outputs go to out/example/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
out=out/example
mkdir -p "$out"
aligner=build/aligner
$aligner symmetric --source examples/pcedt.cs --target examples/pcedt.en \
  --model hmm --agreement --lowercase -c grow-diag-final-and --prefix "$out/cs-en" --quiet
for f in forward reverse grow-diag-final-and agreement; do
  printf '%-20s ' "$f"
  $aligner evaluate -a "$out/cs-en.$f" -g examples/pcedt.gold
done
$aligner view --source examples/pcedt.cs --target examples/pcedt.en -a "$out/cs-en.grow-diag-final-and" \
  -g examples/pcedt.gold --output "$out/cs-en.html"
echo "alignments written to $out/cs-en.{forward,reverse,grow-diag-final-and,agreement}"
echo "open $out/cs-en.html in a browser to see them against the gold alignment, worst pairs first"
