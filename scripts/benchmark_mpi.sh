#!/usr/bin/env bash
# aligner-mpi on the Hansards training data: one process against 1, 2, 4 ...
# MPI ranks (oversubscribed on this machine: this measures memory and traffic
# per rank, and overhead; not the speed of a cluster).
#
#   scripts/benchmark_mpi.sh [--pairs 100000|all] [--ranks "1 2 4"] [--threads 1]
#                            [--reuse-reference] [-- ALIGN FLAGS]  (default flags: -d -o -v)
#
# For `aligner` and for each rank count it runs
#   align --source FR --target EN FLAGS --threads T --output OUT
# on the first N training pairs, checks that every output is byte-identical
# to aligner's, and prints one row per run: wall seconds, peak resident
# memory of the largest rank (GNU time on each rank), translation table
# entries of the largest rank (local: its block's pairs; owned: its shard of
# the M-step) against the whole table, and the bytes the busiest rank sends
# per EM iteration (counts to owners, probabilities back; from aligner-mpi's
# log). Also written as CSV to ${WORK_DIR:-out/benchmark_mpi}/benchmark_mpi.csv.
# --reuse-reference takes aligner's run (output, wall, memory) from an earlier
# run of the script in the same WORK_DIR with the same options, when there.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${DATA_DIR:-../shared/data}/hansards-fr-en
work=${WORK_DIR:-out/benchmark_mpi}
aligner=${ALIGNER:-build/aligner}
aligner_mpi=${ALIGNER_MPI:-build/aligner-mpi}
mpirun=${MPIRUN:-mpirun}
pairs=100000
ranks="1 2 4"
threads=1
reuse=no
flags=(-d -o -v)
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs=$2; shift 2 ;;
    --ranks) ranks=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --reuse-reference) reuse=yes; shift ;;
    --) shift; flags=("$@"); break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for binary in "$aligner" "$aligner_mpi"; do
  [ -x "$binary" ] || { echo "no $binary: build first (scripts/build.sh)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time; apt-get install time)" >&2; exit 1; }
[ -s "$data/train.fr.gz" ] && [ -s "$data/train.en.gz" ] ||
  { echo "no Hansards training data in $data (set DATA_DIR)" >&2; exit 1; }
mkdir -p "$work"
fr=$work/train.$pairs.fr
en=$work/train.$pairs.en
if [ ! -s "$fr" ] || [ ! -s "$en" ]; then
  if [ "$pairs" = all ]; then
    gzip -dc "$data/train.fr.gz" > "$fr"
    gzip -dc "$data/train.en.gz" > "$en"
  else
    gzip -dc "$data/train.fr.gz" | head -n "$pairs" > "$fr" || true
    gzip -dc "$data/train.en.gz" | head -n "$pairs" > "$en" || true
  fi
fi
root=""
[ "$(id -u)" -eq 0 ] && root="--allow-run-as-root"
args=(align --source "$PWD/$fr" --target "$PWD/$en" "${flags[@]}" --threads "$threads")

# One process: wall seconds and peak KiB.
if [ "$reuse" = no ] || [ ! -s "$work/one.align" ] || [ ! -s "$work/one.wall" ]; then
  start=$(date +%s.%N)
  /usr/bin/time -f %M -o "$work/one.mem" "$aligner" "${args[@]}" --output "$work/one.align" \
    2> "$work/one.log" || { cat "$work/one.log" >&2; exit 1; }
  echo "$(date +%s.%N) - $start" | bc > "$work/one.wall"
fi
one_wall=$(cat "$work/one.wall")
one_mem=$(tail -1 "$work/one.mem")
csv=$work/benchmark_mpi.csv
echo "run,ranks,wall_s,peak_rss_mib_largest_rank,table_entries_all,local_entries_largest_rank,owned_entries_largest_rank,bytes_sent_per_iteration_largest_rank,identical" > "$csv"
printf '%-12s %5s %8s %12s %12s %12s %12s %14s %9s\n' run ranks wall_s peak_MiB entries_all \
  local_max owned_max bytes/iter identical
printf '%-12s %5s %8.1f %12.1f %12s %12s %12s %14s %9s\n' aligner 1 "$one_wall" \
  "$(echo "$one_mem / 1024" | bc -l)" - - - - -
echo "aligner,1,$one_wall,$(echo "$one_mem / 1024" | bc -l),,,,," >> "$csv"

for n in $ranks; do
  rm -f "$work"/mpi.mem.*
  start=$(date +%s.%N)
  # GNU time around each rank, so the peak is that rank's own.
  # --bind-to none: by default each of up to 2 ranks is bound to one core,
  # which --threads above 1 would share.
  "$mpirun" --oversubscribe --bind-to none $root -np "$n" sh -c \
    'exec /usr/bin/time -f %M -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' "$PWD/$work/mpi.mem" \
    "$aligner_mpi" "${args[@]}" --output "$work/mpi.$n.align" 2> "$work/mpi.$n.log" \
    || { cat "$work/mpi.$n.log" >&2; exit 1; }
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  mem=$(for f in "$work"/mpi.mem.*; do tail -1 "$f"; done | sort -n | tail -1)
  line=$(grep -o 'table entries: .*' "$work/mpi.$n.log")
  all=$(echo "$line" | sed -E 's/table entries: ([0-9]+) in all.*/\1/')
  local_max=$(echo "$line" | sed -E 's/.*largest rank ([0-9]+) local.*/\1/')
  owned_max=$(echo "$line" | sed -E 's/.* and ([0-9]+) owned.*/\1/')
  bytes=$(echo "$line" | sed -E 's/.*sends ([0-9]+) bytes.*/\1/')
  identical=no
  cmp -s "$work/one.align" "$work/mpi.$n.align" && identical=yes
  printf '%-12s %5s %8.1f %12.1f %12s %12s %12s %14s %9s\n' aligner-mpi "$n" "$wall" \
    "$(echo "$mem / 1024" | bc -l)" "$all" "$local_max" "$owned_max" "$bytes" "$identical"
  echo "aligner-mpi,$n,$wall,$(echo "$mem / 1024" | bc -l),$all,$local_max,$owned_max,$bytes,$identical" >> "$csv"
  [ "$identical" = yes ] || { echo "output of $n ranks differs from aligner's" >&2; exit 1; }
done
echo "(CSV: $csv)"
