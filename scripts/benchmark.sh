#!/usr/bin/env bash
# Speed and memory benchmark on the Hansards training data.
#
#   scripts/benchmark.sh [--sizes 10000,100000,all] [--threads N] [--speedup-size 100000]
#                        [--speedup-repeat 5] [--repeat R] [-- ALIGN FLAGS]
#
# For each size (training pairs; "all" = 1,130,104) and both directions it runs
#   aligner align --source FR.gz --target EN.gz -d -o -v [-r]
# on the first N training pairs plus the 447 test pairs, from the gzip files to
# written links, and prints: wall seconds (whole run), seconds reading and
# encoding the corpus, mean seconds per EM iteration of each model, decoding
# seconds, peak resident memory, and E-step links per second per thread
# (sum over pairs of (l+1)*m, per iteration, over E-step time and threads).
# Then the growth ratios between sizes, and the E-step speed-up from 1 thread
# to all: the median ratio of --speedup-repeat alternating pairs of runs, with
# a check that all their outputs are identical. The table is also written as
# CSV to ${WORK_DIR:-out/benchmark}/benchmark.csv. With --repeat R (default 3)
# the table's runs are made in R passes over all sizes and directions, and
# each row is the run with the median wall time; growth ratios are medians of
# the passes' ratios (shared machines are noisy; R=1 for a quick look).
# --sizes "" measures only the thread speed-up.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${DATA_DIR:-../shared/data}/hansards-fr-en
work=${WORK_DIR:-out/benchmark}
aligner=${ALIGNER:-build/aligner}
sizes=10000,100000,all
threads=$(nproc)
speedup_size=100000
speedup_repeat=5
repeat=3
flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --speedup-size) speedup_size=$2; shift 2 ;;
    --speedup-repeat) speedup_repeat=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --) shift; flags=("$@"); break ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ ${#flags[@]} -eq 0 ] && flags=(-d -o -v)
for count in "$repeat" "$speedup_repeat"; do
  [[ "$count" =~ ^[1-9][0-9]*$ ]] || { echo "--repeat and --speedup-repeat need a count >= 1" >&2; exit 2; }
done
[ "$threads" -gt 1 ] || echo "note: $threads thread(s): no thread speed-up to measure" >&2
[ -x "$aligner" ] || scripts/build.sh >&2
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
mkdir -p "$work"

make_corpus() {  # size -> writes $work/h$size.{fr,en}.gz
  local size=$1 side
  for side in fr en; do
    local out="$work/h$size.$side.gz"
    [ -s "$out" ] && continue
    if [ "$size" = all ]; then
      { cat "$data/test.$side"; zcat "$data/train.$side.gz"; } | gzip -1 > "$out"
    else
      { cat "$data/test.$side"; { zcat "$data/train.$side.gz" || true; } | head -n "$size"; } | gzip -1 > "$out"
    fi
  done
}

# Runs one alignment; prints "wall read iter_summary decode rss_mb links_per_s_per_thread".
run() {  # size direction threads output
  local size=$1 dir=$2 n=$3 out=$4 log="$4.log" extra=()
  [ "$dir" = reverse ] && extra=(-r)
  /usr/bin/time -v "$aligner" align --source "$work/h$size.fr.gz" --target "$work/h$size.en.gz" \
    "${flags[@]}" "${extra[@]}" --threads "$n" --output "$out" 2> "$log" ||
    { echo "aligner failed on $size pairs, $dir, $n threads (see $log)" >&2; return 1; }
  awk -v threads="$n" '
    /Elapsed \(wall clock\)/ { split($NF, t, ":"); wall = (length(t) == 3) ? t[1]*3600 + t[2]*60 + t[3] : t[1]*60 + t[2] }
    /Maximum resident set size/ { rss = $NF / 1024 }
    / read [0-9]+ pairs/ { for (i = 1; i <= NF; ++i) if ($i == "in") { r = $(i+1); sub("s$", "", r) } }
    / iteration [0-9]+:/ {
      model = $3; it_model[model]++
      for (i = 1; i <= NF; ++i) {
        if ($i == "E-step") { e = $(i+1); sub("s$", "", e) }
        if ($i == "M-step") { m = $(i+1); sub("s$", "", m) }
        if ($i ~ /^\(/ && $(i+1) == "links/s),") { l = $i; sub("^\\(", "", l); sub("M$", "", l) }
      }
      secs[model] += e + m; estep += e; links += l * e * 1e6
      if (!(model in seen)) { seen[model] = 1; order[++nm] = model }
    }
    / aligned in / { d = $NF; sub("s$", "", d) }
    END {
      s = ""
      for (k = 1; k <= nm; ++k) s = s sprintf("%s%s:%.2f", (k > 1 ? "/" : ""), order[k], secs[order[k]] / it_model[order[k]])
      printf "%.2f %.2f %s %.2f %.0f %.1f\n", wall, r, s, d, rss, (estep > 0 ? links / estep / threads / 1e6 : 0)
    }' "$log"
}

median() {  # numbers on stdin, one per line -> their median (the lower middle one)
  sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# Passes: each runs every size and direction once, so that drift in a shared
# host's speed over the minutes of a benchmark falls on all sizes of a pass
# alike. A row reports the run with the median wall time over the passes (its
# log is kept; the output file is the last pass's, the same in every pass),
# and a growth ratio is the median of the passes' own ratios, not a ratio of
# two rows.
declare -A line_of
for size in ${sizes//,/ }; do make_corpus "$size"; done
for ((k = 1; k <= repeat; ++k)); do
  for size in ${sizes//,/ }; do
    for dir in forward reverse; do
      out="$work/h$size.$dir"
      line_of[$size.$dir.$k]=$(run "$size" "$dir" "$threads" "$out")
      cp "$out.log" "$out.log.$k"
      echo "pass $k: $size $dir: ${line_of[$size.$dir.$k]%% *}s" >&2
    done
  done
done

csv="$work/benchmark.csv"
if [ -n "$sizes" ]; then
  echo "pairs,direction,threads,wall_s,read_s,seconds_per_iteration,decode_s,peak_rss_mb,estep_mlinks_per_s_per_thread" > "$csv"
  printf '%-9s %-8s %-7s %-8s %-7s %-34s %-8s %-8s %s\n' pairs direction threads wall_s read_s "s/iteration (per model)" decode_s rss_mb "Mlinks/s/thread"
fi
for size in ${sizes//,/ }; do
  for dir in forward reverse; do
    out="$work/h$size.$dir"
    wall=$(for ((k = 1; k <= repeat; ++k)); do echo "${line_of[$size.$dir.$k]%% *}"; done | median)
    best=""
    for ((k = 1; k <= repeat; ++k)); do  # keep the log of the median run
      if [ -z "$best" ] && [ "${line_of[$size.$dir.$k]%% *}" = "$wall" ]; then
        best=${line_of[$size.$dir.$k]}
        mv "$out.log.$k" "$out.log"
      else
        rm -f "$out.log.$k"
      fi
    done
    read -r wall read_s iters decode rss lps <<< "$best"
    printf '%-9s %-8s %-7s %-8s %-7s %-34s %-8s %-8s %s\n' "$size" "$dir" "$threads" "$wall" "$read_s" "$iters" "$decode" "$rss" "$lps"
    echo "$size,$dir,$threads,$wall,$read_s,$iters,$decode,$rss,$lps" >> "$csv"
  done
done

# Growth with corpus size, forward direction: the median over passes of each
# pass's ratio of field `field` of the run lines (1 wall, 5 peak memory).
growth_ratio() {  # field smaller_size larger_size
  local field=$1 a=$2 b=$3 k
  for ((k = 1; k <= repeat; ++k)); do
    awk -v f="$field" -v a="${line_of[$a.forward.$k]}" -v b="${line_of[$b.forward.$k]}" \
      'BEGIN { split(a, x, " "); split(b, y, " "); print (x[f] > 0 ? y[f] / x[f] : "inf") }'
  done | median
}
prev=""
for size in ${sizes//,/ }; do
  if [ -n "$prev" ]; then
    awk -v a="$prev" -v b="$size" -v t="$(growth_ratio 1 "$prev" "$size")" \
        -v m="$(growth_ratio 5 "$prev" "$size")" 'BEGIN {
      na = (a == "all") ? 1130104 : a; nb = (b == "all") ? 1130104 : b
      printf "growth %s -> %s pairs (x%.1f data): time x%.2f, memory x%.2f\n", a, b, nb / na, t, m }'
  fi
  prev=$size
done

# Thread scaling: E-step seconds with 1 thread against all. The runs
# alternate (1, N, 1, N, ...) so that drift in a shared host's speed hits both
# sides alike; each pair of runs gives a ratio, and the median ratio is
# reported. Every run's output must be identical to the first 1-thread run's.
estep_seconds() {  # log -> summed E-step seconds of all iterations
  awk '/ iteration [0-9]+:/ { for (i = 1; i <= NF; ++i) if ($i == "E-step") { e = $(i+1); sub("s$", "", e); s += e } } END { print s }' "$1"
}
if [ "$threads" -gt 1 ]; then
  make_corpus "$speedup_size"
  base="$work/h$speedup_size"
  same=identical ratios=()
  rm -f "$base".t1.* "$base".tN.*  # logs and outputs of earlier invocations
  for ((k = 1; k <= speedup_repeat; ++k)); do
    run "$speedup_size" forward 1 "$base.t1.$k" > /dev/null
    run "$speedup_size" forward "$threads" "$base.tN.$k" > /dev/null
    e1=$(estep_seconds "$base.t1.$k.log"); eN=$(estep_seconds "$base.tN.$k.log")
    for out in "$base.t1.$k" "$base.tN.$k"; do
      # Keep only the first output, and any that differs from it.
      if cmp -s "$base.t1.1" "$out"; then
        [ "$out" = "$base.t1.1" ] || rm -f "$out"
      else
        same=DIFFERENT
        echo "output differs: $out (against $base.t1.1)" >&2
      fi
    done
    ratio=$(awk -v a="$e1" -v b="$eN" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }')
    ratios+=("$ratio")
    printf 'E-step at %s pairs, run %d: 1 thread %.2fs, %d threads %.2fs: %sx\n' \
      "$speedup_size" "$k" "$e1" "$threads" "$eN" "$ratio"
  done
  speedup=$(printf '%s\n' "${ratios[@]}" | median)
  echo "E-step speed-up at $speedup_size pairs, 1 -> $threads threads: ${speedup}x (median of $speedup_repeat alternating pairs of runs); output $same"
fi
if [ -n "$sizes" ]; then echo "CSV: $csv"; fi
