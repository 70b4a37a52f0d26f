#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, then aligns the
# bundled Czech-English example in both directions, symmetrizes, and scores
# the result against its human gold alignment. Outputs go to out/example/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
out=out/example
mkdir -p "$out"
aligner=build/aligner
$aligner align --source examples/pcedt.cs --target examples/pcedt.en -d -o -v --output "$out/forward.align"
$aligner align --source examples/pcedt.cs --target examples/pcedt.en -d -o -v -r --output "$out/reverse.align"
$aligner symmetrize -i "$out/forward.align" -j "$out/reverse.align" -c grow-diag-final-and \
  --output "$out/symmetrized.align"
for f in forward reverse symmetrized; do
  printf '%-12s ' "$f"
  $aligner evaluate -a "$out/$f.align" -g examples/pcedt.gold
done
echo "alignments written to $out/"
