#!/usr/bin/env bash
# Runs the whole pipeline on every gold set in ../shared/data (or $DATA_DIR):
# trains both directions on the set's training text plus its test text (test
# text alone where there is no training text), symmetrizes with every
# heuristic, scores against the gold, and prints one table.
#
#   scripts/evaluate_gold_sets.sh [--hansards-pairs N|all] [--sets a,b] [-- ALIGN FLAGS]
#
# ALIGN FLAGS default to fast_align's recommended "-d -o -v". --hansards-pairs
# (default 100000) is how many Hansards training pairs to use; "all" = 1,130,104.
# Work files go to ${WORK_DIR:-out/gold}; the table is also written there as gold.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${DATA_DIR:-../shared/data}
work=${WORK_DIR:-out/gold}
aligner=${ALIGNER:-build/aligner}
hansards_pairs=100000
sets=""
flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    --hansards-pairs) hansards_pairs=$2; shift 2 ;;
    --sets) sets=$2; shift 2 ;;
    --) shift; flags=("$@"); break ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ ${#flags[@]} -eq 0 ] && flags=(-d -o -v)
[ -x "$aligner" ] || scripts/build.sh >&2
mkdir -p "$work"
table="$work/gold.tsv"
printf 'set\tdirection\tAER\tprecision\trecall\tF1\tseconds\n' > "$table"

score() {  # name direction alignment gold seconds
  local line
  line=$("$aligner" evaluate -a "$3" -g "$4" --offset 0)
  # "AER x  precision x  recall x  F1 x  (...)"
  read -r _ aer _ p _ r _ f _ <<< "$line"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$aer" "$p" "$r" "$f" "$5" >> "$table"
}

now() { date +%s%N; }

for dir in "$data"/*/; do
  name=$(basename "$dir")
  [ -f "$dir/test.gold" ] || continue
  if [ -n "$sets" ] && [[ ",$sets," != *",$name,"* ]]; then continue; fi
  src_lang=""; tgt_lang=""
  for f in "$dir"/test.*; do
    ext=${f##*.}
    case "$ext" in gold|txt) ;; *) if [ -z "$src_lang" ]; then src_lang=$ext; else tgt_lang=$ext; fi ;; esac
  done
  # The source (left) side is the one the gold's first index points into:
  # the folder name says it, e.g. hansards-fr-en = fr source.
  if [[ "$name" != *"-$src_lang-$tgt_lang"* && "$name" == *"-$tgt_lang-$src_lang"* ]]; then
    tmp=$src_lang; src_lang=$tgt_lang; tgt_lang=$tmp
  fi
  label=$name
  src="$work/$name.$src_lang"; tgt="$work/$name.$tgt_lang"
  # Test pairs first, so that alignment lines 1..n are the scored ones.
  if [ -f "$dir/train.$src_lang.gz" ]; then
    if [ "$hansards_pairs" = all ]; then
      label="$name (all training pairs)"
      { cat "$dir/test.$src_lang"; zcat "$dir/train.$src_lang.gz"; } > "$src"
      { cat "$dir/test.$tgt_lang"; zcat "$dir/train.$tgt_lang.gz"; } > "$tgt"
    else
      label="$name ($hansards_pairs training pairs)"
      { cat "$dir/test.$src_lang"; { zcat "$dir/train.$src_lang.gz" || true; } | head -n "$hansards_pairs"; } > "$src"
      { cat "$dir/test.$tgt_lang"; { zcat "$dir/train.$tgt_lang.gz" || true; } | head -n "$hansards_pairs"; } > "$tgt"
    fi
  else
    cp "$dir/test.$src_lang" "$src"; cp "$dir/test.$tgt_lang" "$tgt"
  fi
  gold="$dir/test.gold"
  start=$(now)
  "$aligner" align --source "$src" --target "$tgt" "${flags[@]}" --quiet --output "$work/$name.forward" &
  fwd_pid=$!
  "$aligner" align --source "$src" --target "$tgt" "${flags[@]}" -r --quiet --output "$work/$name.reverse"
  wait $fwd_pid
  seconds=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
  score "$label" forward "$work/$name.forward" "$gold" "$seconds"
  score "$label" reverse "$work/$name.reverse" "$gold" "$seconds"
  for h in intersect union grow-diag grow-diag-final grow-diag-final-and; do
    "$aligner" symmetrize -i "$work/$name.forward" -j "$work/$name.reverse" -c "$h" --output "$work/$name.$h"
    score "$label" "$h" "$work/$name.$h" "$gold" "$seconds"
  done
done
echo "align flags: ${flags[*]}"
awk -F '\t' '{ printf "%-40s %-20s %-8s %-10s %-8s %-8s %s\n", $1, $2, $3, $4, $5, $6, $7 }' "$table"
