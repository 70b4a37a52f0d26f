#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, then aligns the
# bundled Czech-English example with the recommended setting (both HMM
# directions trained together by agreement, on lowercased words), and scores
# each direction, their grow-diag-final-and symmetrization and the jointly
# decoded links against the human gold alignment. Outputs go to out/example/.
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
echo "alignments written to $out/cs-en.{forward,reverse,grow-diag-final-and,agreement}"
