#!/usr/bin/env bash
# Runs the whole pipeline on every gold set in ../shared/data (or $DATA_DIR):
# trains both directions on the set's training text plus its test text (test
# text alone where there is no training text), symmetrizes with every
# heuristic, scores against the gold, and prints one table.
#
#   scripts/evaluate_gold_sets.sh [--hansards-pairs N|all] [--sets a,b]
#                                 [--models m1,m2,...] [--threads N] [-- ALIGN FLAGS]
#
# --models runs several models, one after the other, on every set: model1
# ("--model model1 -v"), model2 ("--model model2 -v"), diagonal ("-d -o -v",
# fast_align's recommended setting), hmm ("--model hmm -v"), hmm-agreement
# (both HMM directions trained together by agreement: "symmetric --model hmm
# --agreement", which also scores the jointly decoded "agreement" links),
# hmm-agreement-lc (the same on lowercased words: "--lowercase", the
# recommended setting); "all" = all six.
# Without --models, one run with ALIGN FLAGS (default "-d -o -v").
# --hansards-pairs (default 100000) is how many Hansards training pairs to use;
# "all" = 1,130,104. Both directions run at once, each with --threads N
# (default: half the cores). Seconds are wall time for both directions.
# Work files go to ${WORK_DIR:-out/gold}; the full table (every heuristic) is
# also written there as gold.tsv, and a summary per set and model (forward,
# reverse, grow-diag-final-and, the best heuristic) as summary.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${DATA_DIR:-../shared/data}
work=${WORK_DIR:-out/gold}
aligner=${ALIGNER:-build/aligner}
hansards_pairs=100000
sets=""
models=""
threads=$(( $(nproc) > 1 ? $(nproc) / 2 : 1 ))
flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    --hansards-pairs) hansards_pairs=$2; shift 2 ;;
    --sets) sets=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --) shift; flags=("$@"); break ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ ${#flags[@]} -eq 0 ] && flags=(-d -o -v)
[ "$models" = all ] && models=model1,model2,diagonal,hmm,hmm-agreement,hmm-agreement-lc
model_flags() {  # model name -> its align flags
  case "$1" in
    model1) echo "--model model1 -v" ;;
    model2) echo "--model model2 -v" ;;
    diagonal) echo "-d -o -v" ;;
    hmm) echo "--model hmm -v" ;;
    hmm-agreement) echo "--model hmm --agreement" ;;
    hmm-agreement-lc) echo "--model hmm --agreement --lowercase" ;;
    *) echo "unknown model: $1 (model1, model2, diagonal, hmm, hmm-agreement, hmm-agreement-lc)" >&2
       return 2 ;;
  esac
}
if [ -n "$models" ]; then
  for model in ${models//,/ }; do model_flags "$model" >/dev/null; done
fi
[ -x "$aligner" ] || scripts/build.sh >&2
mkdir -p "$work"
table="$work/gold.tsv"
printf 'set\tmodel\tdirection\tAER\tprecision\trecall\tF1\tseconds\n' > "$table"

score() {  # name model direction alignment gold seconds
  local line
  line=$("$aligner" evaluate -a "$4" -g "$5" --offset 0)
  # "AER x  precision x  recall x  F1 x  (...)"
  read -r _ aer _ p _ r _ f _ <<< "$line"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$aer" "$p" "$r" "$f" "$6" >> "$table"
}

# run_model label name model_label src tgt gold flags...: both directions,
# every heuristic, scored.
run_model() {
  local label=$1 name=$2 model=$3 src=$4 tgt=$5 gold=$6 start seconds fwd_pid h
  shift 6
  local out="$work/$name.${model// /}" agreement=0
  [[ " $* " == *" --agreement "* ]] && agreement=1
  start=$(now)
  if [ $agreement = 1 ]; then
    # One process trains both directions together, on all of their threads.
    "$aligner" symmetric --source "$src" --target "$tgt" "$@" --threads "$((threads * 2))" \
      --quiet --prefix "$out"
  else
    "$aligner" align --source "$src" --target "$tgt" "$@" --threads "$threads" --quiet --output "$out.forward" &
    fwd_pid=$!
    "$aligner" align --source "$src" --target "$tgt" "$@" -r --threads "$threads" --quiet --output "$out.reverse"
    wait $fwd_pid
  fi
  seconds=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
  score "$label" "$model" forward "$out.forward" "$gold" "$seconds"
  score "$label" "$model" reverse "$out.reverse" "$gold" "$seconds"
  [ $agreement = 1 ] && score "$label" "$model" agreement "$out.agreement" "$gold" "$seconds"
  for h in intersect union grow-diag grow-diag-final grow-diag-final-and; do
    "$aligner" symmetrize -i "$out.forward" -j "$out.reverse" -c "$h" --output "$out.$h"
    score "$label" "$model" "$h" "$out.$h" "$gold" "$seconds"
  done
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
  if [ -n "$models" ]; then
    for model in ${models//,/ }; do
      read -r -a mflags <<< "$(model_flags "$model")"
      run_model "$label" "$name" "$model" "$src" "$tgt" "$gold" "${mflags[@]}"
    done
  else
    run_model "$label" "$name" "${flags[*]}" "$src" "$tgt" "$gold" "${flags[@]}"
  fi
done
[ -z "$models" ] && echo "align flags: ${flags[*]}"
awk -F '\t' '{ printf "%-40s %-14s %-20s %-8s %-10s %-8s %-8s %s\n", $1, $2, $3, $4, $5, $6, $7, $8 }' "$table"
# Summary: one line per set and model.
awk -F '\t' 'NR > 1 {
  key = $1 "\t" $2
  if (!(key in seen)) { seen[key] = 1; order[++n] = key; best[key] = 2 }
  aer[key, $3] = $4; secs[key] = $8
  if ($3 != "forward" && $3 != "reverse" && $4 < best[key]) { best[key] = $4; best_h[key] = $3 }
}
END {
  print "set\tmodel\tforward\treverse\tgrow-diag-final-and\tbest symmetrized or joint\tseconds"
  for (k = 1; k <= n; ++k) {
    key = order[k]
    printf "%s\t%s\t%s\t%s\t%s (%s)\t%s\n", key, aer[key, "forward"], aer[key, "reverse"],
      aer[key, "grow-diag-final-and"], best[key], best_h[key], secs[key]
  }
}' "$table" > "$work/summary.tsv"
echo
awk -F '\t' '{ printf "%-40s %-14s %-8s %-8s %-20s %-28s %s\n", $1, $2, $3, $4, $5, $6, $7 }' "$work/summary.tsv"
