#!/usr/bin/env bash
# Runs the whole pipeline on every gold set in ../shared/data (or $DATA_DIR):
# trains both directions on the set's training text plus its test text (test
# text alone where there is no training text), symmetrizes with every
# heuristic, scores against the gold, and prints one table.
#
#   scripts/evaluate_gold_sets.sh [--hansards-pairs N|all] [--sets a,b]
#                                 [--models m1,m2,...] [--threads N]
#                                 [--eflomal PATH [--eflomal-runs N]] [-- ALIGN FLAGS]
#
# --models runs several models, one after the other, on every set: model1
# ("--model model1 -v"), model2 ("--model model2 -v"), diagonal ("-d -o -v",
# fast_align's recommended setting), hmm ("--model hmm -v"), hmm-agreement
# (both HMM directions trained together by agreement, align's HMM diagonal
# tension, no fertility: "symmetric --model hmm --agreement --no-lowercase
# --no-fertility --hmm-diagonal-tension 4 --stem-length 0", which also
# scores the jointly decoded "agreement" links; symmetric lowercases and cuts
# words to 4 characters by default, these three keep whole words),
# hmm-agreement-lc (the same on lowercased words: "--lowercase"; symmetric's
# default before fertility), hmm-agreement-fertility (that with
# "--fertility": a fertility model over both directions' posteriors),
# default ("aligner symmetric" with no model flags: today hmm-agreement-lc
# with fertility, tension 2, and words cut to their first 4 characters);
# "all" = all eight.
# --eflomal PATH runs eflomal's Python front end (eflomal-align, built outside
# the project) on every set too, --eflomal-runs times (default 3; it samples,
# so figures are means over the runs), symmetrizes its two directions with
# our symmetrize (atools' heuristics) and adds its mean AER as model
# "eflomal"; the last table then puts eflomal's grow-diag-final-and beside
# every model's. Skipped, with a note, when PATH is not executable.
# Without --models, one run with ALIGN FLAGS (default "-d -o -v"); with
# --models, ALIGN FLAGS are appended to every model's own flags (e.g.
# "--models default -- --fertility-alpha 2" tries one option on the default).
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
eflomal=""
eflomal_runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --eflomal) eflomal=$2; shift 2 ;;
    --eflomal-runs) eflomal_runs=$2; shift 2 ;;
    --hansards-pairs) hansards_pairs=$2; shift 2 ;;
    --sets) sets=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --) shift; flags=("$@"); break ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
extra_flags=("${flags[@]}")
[ ${#flags[@]} -eq 0 ] && flags=(-d -o -v)
[ "$models" = all ] &&
  models=model1,model2,diagonal,hmm,hmm-agreement,hmm-agreement-lc,hmm-agreement-fertility,default
if [ -n "$eflomal" ] && [ ! -x "$eflomal" ]; then
  echo "note: --eflomal $eflomal is not executable; eflomal skipped" >&2
  eflomal=""
fi
case "$eflomal_runs" in ''|*[!0-9]*|0) echo "--eflomal-runs must be a positive integer" >&2; exit 2 ;; esac
model_flags() {  # model name -> its align flags
  case "$1" in
    model1) echo "--model model1 -v" ;;
    model2) echo "--model model2 -v" ;;
    diagonal) echo "-d -o -v" ;;
    hmm) echo "--model hmm -v" ;;
    hmm-agreement) echo "--model hmm --agreement --no-lowercase --no-fertility --hmm-diagonal-tension 4 --stem-length 0" ;;
    hmm-agreement-lc) echo "--model hmm --agreement --lowercase --no-fertility --hmm-diagonal-tension 4 --stem-length 0" ;;
    hmm-agreement-fertility) echo "--model hmm --agreement --lowercase --fertility --hmm-diagonal-tension 4 --stem-length 0" ;;
    default) echo "" ;;
    *) echo "unknown model: $1 (model1, model2, diagonal, hmm, hmm-agreement, hmm-agreement-lc," \
         "hmm-agreement-fertility, default)" >&2
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
  [ "$model" = default ] && agreement=1  # one symmetric process, as for agreement
  rm -f "$out.agreement"
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
  if [ -f "$out.agreement" ]; then score "$label" "$model" agreement "$out.agreement" "$gold" "$seconds"; fi
  for h in intersect union grow-diag grow-diag-final grow-diag-final-and; do
    "$aligner" symmetrize -i "$out.forward" -j "$out.reverse" -c "$h" --output "$out.$h"
    score "$label" "$model" "$h" "$out.$h" "$gold" "$seconds"
  done
}

now() { date +%s%N; }

# run_eflomal label name src tgt gold: eflomal_runs runs of eflomal, each
# symmetrized with every heuristic; the table gets the mean of each figure.
run_eflomal() {
  local label=$1 name=$2 src=$3 tgt=$4 gold=$5 run start seconds h
  local runs="$work/$name.eflomal.runs.tsv" out
  : > "$runs"
  for run in $(seq 1 "$eflomal_runs"); do
    out="$work/$name.eflomal.$run"
    start=$(now)
    "$eflomal" -s "$src" -t "$tgt" -f "$out.forward" -r "$out.reverse" --overwrite
    seconds=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
    for h in forward reverse intersect union grow-diag grow-diag-final grow-diag-final-and; do
      case $h in
        forward|reverse) ;;
        *) "$aligner" symmetrize -i "$out.forward" -j "$out.reverse" -c "$h" --output "$out.$h" ;;
      esac
      read -r _ aer _ p _ r _ f _ <<< "$("$aligner" evaluate -a "$out.$h" -g "$gold" --offset 0)"
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$h" "$aer" "$p" "$r" "$f" "$seconds" >> "$runs"
    done
  done
  awk -F '\t' -v set="$label" -v model="eflomal" -v n="$eflomal_runs" '
    { if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 }
      for (c = 2; c <= 6; ++c) sum[$1, c] += $c }
    END { for (x = 1; x <= k; ++x) { h = order[x]
            printf "%s\t%s\t%s\t%.4f\t%.4f\t%.4f\t%.4f\t%.1f\n", set, model, h, sum[h, 2] / n,
              sum[h, 3] / n, sum[h, 4] / n, sum[h, 5] / n, sum[h, 6] / n } }' "$runs" >> "$table"
}

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
      run_model "$label" "$name" "$model" "$src" "$tgt" "$gold" "${mflags[@]}" "${extra_flags[@]}"
    done
  else
    run_model "$label" "$name" "${flags[*]}" "$src" "$tgt" "$gold" "${flags[@]}"
  fi
  [ -n "$eflomal" ] && run_eflomal "$label" "$name" "$src" "$tgt" "$gold"
done
[ -z "$models" ] && echo "align flags: ${flags[*]}"
[ -n "$models" ] && [ ${#extra_flags[@]} -gt 0 ] && echo "flags added to every model: ${extra_flags[*]}"
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
if [ -n "$eflomal" ]; then
  # grow-diag-final-and of every model beside eflomal's mean, per set.
  echo
  echo "grow-diag-final-and AER beside eflomal (mean of $eflomal_runs runs); negative: ahead of eflomal"
  awk -F '\t' 'NR > 1 && $3 == "grow-diag-final-and" {
    if ($2 == "eflomal") { efl[$1] = $4; next }
    if (!(($1, $2) in seen)) { seen[$1, $2] = 1; order[++n] = $1 "\t" $2 }
    aer[$1, $2] = $4
  }
  END {
    printf "%-40s %-24s %-8s %-8s %s\n", "set", "model", "ours", "eflomal", "difference"
    for (k = 1; k <= n; ++k) {
      split(order[k], key, "\t")
      e = (key[1] in efl) ? efl[key[1]] : ""
      d = e == "" ? "" : sprintf("%+.4f", aer[key[1], key[2]] - e)
      printf "%-40s %-24s %-8s %-8s %s\n", key[1], key[2], aer[key[1], key[2]], e, d
    }
  }' "$table"
fi
