#!/usr/bin/env bash
# Issue 15's corpus sizes past Hansards: synthetic parallel text of any size
# (scripts/generate_corpus.py), and how wall time and peak memory grow with it.
#
#   scripts/benchmark_synthetic.sh [--sizes 1000000,3000000,10000000] [--threads N]
#                                  [--symmetric-flags "FLAGS"] [--align-flags "FLAGS"]
#                                  [--no-align] [--seed S]
#
# For each size it generates the corpus once (untimed; kept in $WORK_DIR, default
# out/benchmark_synthetic, and reused), then times with GNU time, from reading the
# files to written links:
#   both directions: aligner symmetric --source S --target T SYMMETRIC_FLAGS
#                    (default none: the most accurate setting)
#   one direction:   aligner align --source S --target T ALIGN_FLAGS (default -d -o -v),
#                    unless --no-align
# and prints wall seconds, peak resident memory, the AER against the generator's
# own gold links (grow-diag-final-and for symmetric, forward for align), and the
# growth of time and memory from the size before (beside the growth of the pairs).
# Results also go to $WORK_DIR/synthetic.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${WORK_DIR:-out/benchmark_synthetic}
aligner=${ALIGNER:-build/aligner}
sizes=1000000,3000000,10000000
threads=$(nproc)
symmetric_flags=""
align_flags="-d -o -v"
run_align=1
seed=1
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --symmetric-flags) symmetric_flags=$2; shift 2 ;;
    --align-flags) align_flags=$2; shift 2 ;;
    --no-align) run_align=0; shift ;;
    --seed) seed=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "--threads needs a count >= 1" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }
/usr/bin/python3 -c 'import numpy' 2>/dev/null || { echo "needs python3-numpy (scripts/install_deps.sh)" >&2; exit 1; }
[ -x "$aligner" ] || scripts/build.sh >&2
read -r -a sym_flags <<< "$symmetric_flags"
read -r -a diag_flags <<< "$align_flags"
mkdir -p "$work"

timed() {  # log command... -> prints "wall_s peak_mb"; the command's stderr goes to log
  local log=$1; shift
  /usr/bin/time -f '%e %M' -o "$log.time" "$@" 2> "$log" ||
    { echo "failed: $* (see $log)" >&2; return 1; }
  awk '{ printf "%.2f %.0f\n", $1, $2 / 1024 }' "$log.time"
}
aer() { "$aligner" evaluate -a "$1" -g "$2" | awk '{ print $2 }'; }

csv="$work/synthetic.csv"
echo "pairs,run,wall_s,peak_mb,aer,time_growth,memory_growth,pairs_growth" > "$csv"
printf '%-11s %-10s %9s %9s  %-12s %s\n' pairs run wall_s peak_MB AER "growth from the size before: time, memory (pairs)"
declare -A last_wall last_rss
last_pairs=""
for size in ${sizes//,/ }; do
  base="$work/s$size"
  if [ ! -s "$base.gold" ]; then
    echo "generating $size pairs (seed $seed)" >&2
    /usr/bin/python3 scripts/generate_corpus.py --pairs "$size" --seed "$seed" --prefix "$base" >&2
  fi
  runs=(symmetric)
  [ "$run_align" = 1 ] && runs+=(align)
  for run in "${runs[@]}"; do
    if [ "$run" = symmetric ]; then
      result=$(timed "$base.sym.log" "$aligner" symmetric --source "$base.src" --target "$base.tgt" \
        "${sym_flags[@]}" --threads "$threads" --prefix "$base.sym")
      quality="gdfa $(aer "$base.sym.grow-diag-final-and" "$base.gold")"
    else
      result=$(timed "$base.diag.log" "$aligner" align --source "$base.src" --target "$base.tgt" \
        "${diag_flags[@]}" --threads "$threads" --output "$base.diag")
      quality="fwd $(aer "$base.diag" "$base.gold")"
    fi
    read -r wall rss <<< "$result"
    growth="" tg="" mg="" pg=""
    if [ -n "$last_pairs" ]; then
      tg=$(awk -v a="$wall" -v b="${last_wall[$run]}" 'BEGIN { printf "%.2f", a / b }')
      mg=$(awk -v a="$rss" -v b="${last_rss[$run]}" 'BEGIN { printf "%.2f", a / b }')
      pg=$(awk -v a="$size" -v b="$last_pairs" 'BEGIN { printf "%.2f", a / b }')
      growth="x$tg, x$mg (x$pg)"
    fi
    printf '%-11s %-10s %9s %9s  %-12s %s\n' "$size" "$run" "$wall" "$rss" "$quality" "$growth"
    echo "$size,$run,$wall,$rss,$quality,$tg,$mg,$pg" >> "$csv"
    last_wall[$run]=$wall
    last_rss[$run]=$rss
  done
  last_pairs=$size
done
echo "$threads threads; commands: aligner symmetric ${symmetric_flags:-(defaults)}; aligner align $align_flags." \
  "AER against the generator's gold. CSV: $csv"
