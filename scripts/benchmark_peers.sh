#!/usr/bin/env bash
# Issue 15's target rows: our aligner against its peers, side by side in one run.
#
#   scripts/benchmark_peers.sh [--sizes 100000,all] [--repeat R] [--threads N]
#                              [--peers-dir DIR] [--eflomal-align PATH] [--fast-align PATH]
#                              [--symmetric-flags "FLAGS"] [--align-flags "FLAGS"]
#                              [--runs symmetric,diagonal]
#
# For each size (the first N Hansards training pairs plus the 447 test pairs;
# "all" = 1,130,104) it times, from reading the files to written links:
#   both directions: aligner symmetric --source S --target T SYMMETRIC_FLAGS
#                    (default none: the most accurate setting, whatever it is)
#                    against eflomal-align -s S -t T -f F -r R (its defaults)
#   one direction:   aligner align -i S-T ALIGN_FLAGS (default -d -o -v)
#                    against fast_align -i S-T -d -o -v
# with GNU time (wall seconds, peak resident memory), N threads for all
# (--threads for ours, OMP_NUM_THREADS for the peers; default: nproc). Every
# tool reads the same plain-text files (prepared once, untimed: eflomal and
# fast_align read no gzip). R passes (default 3) each run every command once,
# ours and the peer's back to back, so a shared host's drift falls on both;
# a row reports the median wall time and the median peak memory over the
# passes, the peer's medians from the same passes, and their ratios beside
# the issue's targets (wall <= 1/3 and memory <= 1 of eflomal's; wall <= 1/10
# of fast_align's). AER on the 447 gold pairs is printed as a check that
# each tool did the job (grow-diag-final-and for ours, each direction for
# eflomal, forward for the diagonal rows). A peer whose binary is absent is
# skipped (its columns say so). --runs picks the rows (default both:
# "symmetric", "diagonal"). Results also go to $WORK_DIR/peers.csv.
#
# Peers are built outside the repository: DIR/eflomal-align and DIR/fast_align
# (--peers-dir, default ${PEERS_DIR:-../peers}), or each path on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${DATA_DIR:-../shared/data}/hansards-fr-en
work=${WORK_DIR:-out/benchmark_peers}
aligner=${ALIGNER:-build/aligner}
peers=${PEERS_DIR:-../peers}
eflomal=$peers/eflomal-align
fast_align=$peers/fast_align
sizes=100000,all
repeat=3
threads=$(nproc)
runs=symmetric,diagonal
symmetric_flags=""  # the default: the most accurate setting (HMM by agreement, lowercased)
align_flags="-d -o -v"
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --peers-dir) eflomal=$2/eflomal-align; fast_align=$2/fast_align; shift 2 ;;
    --eflomal-align) eflomal=$2; shift 2 ;;
    --fast-align) fast_align=$2; shift 2 ;;
    --symmetric-flags) symmetric_flags=$2; shift 2 ;;
    --align-flags) align_flags=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || { echo "--repeat needs a count >= 1" >&2; exit 2; }
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "--threads needs a count >= 1" >&2; exit 2; }
[[ "$runs" =~ ^(symmetric|diagonal)(,(symmetric|diagonal))?$ ]] ||
  { echo "--runs takes symmetric, diagonal or both" >&2; exit 2; }
wants() { [[ ",$runs," == *",$1,"* ]]; }
command -v /usr/bin/time >/dev/null || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }
[ -x "$aligner" ] || scripts/build.sh >&2
[ -r "$data/train.fr.gz" ] || { echo "no Hansards data in $data (set DATA_DIR)" >&2; exit 1; }
have() { [ -n "$1" ] && [ -x "$1" ]; }
have "$eflomal" || echo "note: no eflomal-align at '$eflomal': its rows are skipped" >&2
have "$fast_align" || echo "note: no fast_align at '$fast_align': its rows are skipped" >&2
read -r -a sym_flags <<< "$symmetric_flags"
read -r -a diag_flags <<< "$align_flags"
mkdir -p "$work"

make_corpus() {  # size -> $work/h$size.{fr,en} and the joined $work/h$size.fr-en
  local size=$1 base="$work/h$1" side
  [ -s "$base.fr-en" ] && return
  for side in fr en; do
    if [ "$size" = all ]; then
      { cat "$data/test.$side"; zcat "$data/train.$side.gz"; } > "$base.$side.tmp"
    else
      { cat "$data/test.$side"; { zcat "$data/train.$side.gz" || true; } | head -n "$size"; } > "$base.$side.tmp"
    fi
    mv "$base.$side.tmp" "$base.$side"
  done
  paste -d '\t' "$base.fr" "$base.en" | sed 's/\t/ ||| /' > "$base.fr-en.tmp"
  mv "$base.fr-en.tmp" "$base.fr-en"
}

timed() {  # log command... -> prints "wall_s peak_mb"; the command's stderr goes to log
  local log=$1; shift
  /usr/bin/time -f '%e %M' -o "$log.time" "$@" 2> "$log" ||
    { echo "failed: $* (see $log)" >&2; return 1; }
  awk '{ printf "%.2f %.0f\n", $1, $2 / 1024 }' "$log.time"
}

aer() {  # alignment -> its AER on the 447 test pairs (the corpus's first lines)
  "$aligner" evaluate -a "$1" -g "$data/test.gold" --offset 0 | awk '{ print $2 }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "") }'; }

declare -A result  # [row.tool.pass] = "wall rss"
declare -A quality  # [row.tool] = AER text
for size in ${sizes//,/ }; do make_corpus "$size"; done
for ((k = 1; k <= repeat; ++k)); do
  for size in ${sizes//,/ }; do
    base="$work/h$size"
    row="$size.symmetric"
    if wants symmetric; then
      result[$row.ours.$k]=$(OMP_NUM_THREADS=$threads timed "$base.sym.log" "$aligner" symmetric \
        --source "$base.fr" --target "$base.en" "${sym_flags[@]}" --threads "$threads" --prefix "$base.sym")
      echo "pass $k: $size aligner symmetric: ${result[$row.ours.$k]}" >&2
      if have "$eflomal"; then
        rm -f "$base.eflomal.fwd" "$base.eflomal.rev"
        result[$row.peer.$k]=$(OMP_NUM_THREADS=$threads timed "$base.eflomal.log" "$eflomal" \
          -s "$base.fr" -t "$base.en" -f "$base.eflomal.fwd" -r "$base.eflomal.rev")
        echo "pass $k: $size eflomal-align: ${result[$row.peer.$k]}" >&2
      fi
    fi
    row="$size.diagonal"
    wants diagonal || continue
    result[$row.ours.$k]=$(timed "$base.diag.log" "$aligner" align -i "$base.fr-en" "${diag_flags[@]}" \
      --threads "$threads" --output "$base.diag")
    echo "pass $k: $size aligner align: ${result[$row.ours.$k]}" >&2
    if have "$fast_align"; then
      result[$row.peer.$k]=$(OMP_NUM_THREADS=$threads timed "$base.fast_align.log" \
        sh -c '"$1" -i "$2" -d -o -v > "$3.tmp" && mv "$3.tmp" "$3"' sh "$fast_align" "$base.fr-en" "$base.fast_align")
      echo "pass $k: $size fast_align: ${result[$row.peer.$k]}" >&2
    fi
  done
done

for size in ${sizes//,/ }; do
  base="$work/h$size"
  if wants symmetric; then
    quality[$size.symmetric.ours]="gdfa $(aer "$base.sym.grow-diag-final-and")"
    have "$eflomal" && quality[$size.symmetric.peer]="fwd $(aer "$base.eflomal.fwd") rev $(aer "$base.eflomal.rev")"
  fi
  if wants diagonal; then
    quality[$size.diagonal.ours]="fwd $(aer "$base.diag")"
    have "$fast_align" && quality[$size.diagonal.peer]="fwd $(aer "$base.fast_align")"
  fi
done

field() {  # row tool column(1 wall, 2 rss) -> median over the passes
  local k
  for ((k = 1; k <= repeat; ++k)); do
    [ -n "${result[$1.$2.$k]:-}" ] && echo "${result[$1.$2.$k]}" | awk -v c="$3" '{ print $c }'
  done | median
}

csv="$work/peers.csv"
echo "pairs,run,our_command,our_wall_s,our_peak_mb,peer,peer_wall_s,peer_peak_mb,wall_ratio,memory_ratio,wall_target,our_aer,peer_aer" > "$csv"
printf '%-9s %-10s %8s %8s  %-13s %8s %8s  %-17s %-10s  %s\n' pairs run "wall_s" "peak_MB" peer "wall_s" \
  "peak_MB" "wall ratio (target)" "mem ratio" "AER ours | peer (447 gold pairs)"
for size in ${sizes//,/ }; do
  pairs=$size
  [ "$size" = all ] && pairs=1130104
  for run in symmetric diagonal; do
    wants "$run" || continue
    row="$size.$run"
    if [ "$run" = symmetric ]; then peer=eflomal-align; target="<= 0.333"; command="aligner symmetric ${symmetric_flags:-(defaults)}"
    else peer=fast_align; target="<= 0.100"; command="aligner align $align_flags"; fi
    ow=$(field "$row" ours 1); om=$(field "$row" ours 2)
    pw=$(field "$row" peer 1); pm=$(field "$row" peer 2)
    if [ -n "$pw" ]; then
      wr=$(awk -v a="$ow" -v b="$pw" 'BEGIN { printf "%.3f", a / b }')
      mr=$(awk -v a="$om" -v b="$pm" 'BEGIN { printf "%.3f", a / b }')
    else
      pw=skipped pm=- wr=- mr=-
    fi
    printf '%-9s %-10s %8s %8s  %-13s %8s %8s  %-6s (%-8s)  %-10s  %s | %s\n' "$pairs+447" "$run" "$ow" "$om" "$peer" \
      "$pw" "$pm" "$wr" "$target" "$mr" "${quality[$row.ours]}" "${quality[$row.peer]:-}"
    echo "$pairs,$run,$command,$ow,$om,$peer,$pw,$pm,$wr,$mr,$target,${quality[$row.ours]},${quality[$row.peer]:-}" >> "$csv"
  done
done
echo "medians of $repeat pass(es), $threads threads; commands: aligner symmetric ${symmetric_flags:-(defaults)}; eflomal-align (defaults);" \
  "aligner align $align_flags; fast_align -d -o -v. CSV: $csv"
