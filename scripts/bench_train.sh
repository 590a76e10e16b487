#!/bin/bash
# bench_train.sh [SIZES...] — training, scoring and explanation throughput side by side on every
# backend present: generates synth corpora (default 1M tickets; e.g. `10k 100k 1M 10M`), featurizes
# each once into an HDF5 cache, trains configs/bench-intent.ini (dim 100, word bigrams, 5 epochs)
# on each backend, and prints one table: tokens/s, samples/s, s/epoch, peak host memory, test
# accuracy; then scoring rows/s and LIME explanations/s. Figures go to bench-out/results.tsv too.
set -euo pipefail
cd "$(dirname "$0")/.."
TML=./ticketml
OUT=bench-out
SIZES=${*:-1M}
mkdir -p $OUT
backends="cpu"
if $TML devices 2>/dev/null | grep -q "^cuda device"; then backends="cpu cuda"; fi
[ -n "${BACKENDS:-}" ] && backends=$BACKENDS
num() { case $1 in *k) echo $(( ${1%k} * 1000 ));; *M) echo $(( ${1%M} * 1000000 ));; *) echo "$1";; esac; }
printf "%-6s %-5s %10s %12s %12s %9s %10s %8s\n" size device train_s "tokens/s" "samples/s" "s/epoch" "peak_MB" "test_acc" | tee $OUT/results.tsv
for size in $SIZES; do
    n=$(num "$size"); dir=$OUT/$size
    if [ ! -f "$dir/tickets.csv" ]; then
        $TML synth --tickets "$n" --customers $(( n / 5 + 1 )) --seed 1 --out "$dir" >/dev/null
    fi
    cache=$dir/cache.h5
    for dev in $backends; do
        log=$dir/train-$dev.log
        /usr/bin/time -v $TML train configs/bench-intent.ini --set data.train="$dir/tickets.csv" --cache "$cache" \
            --device "$dev" --out "$dir/model-$dev.h5" --log-json "$dir/train-$dev.jsonl" --quiet >"$log.out" 2>"$log" || {
            echo "training on $dev failed; see $log" >&2; continue; }
        secs=$(awk '/train_s=/{print}' "$log" | tail -1)
        # the trainer's JSON log has one line per epoch; the summary line has the rates
        elapsed=$(tail -1 "$dir/train-$dev.jsonl" | sed 's/.*"elapsed_s": \([0-9.]*\).*/\1/')
        tokens=$(grep -o '[0-9.]*M tokens/s' "$log.out" "$log" | head -1 | sed 's/.*:\([0-9.]*\)M.*/\1/')
        samples=$(grep -o '([0-9]* samples/s' "$log.out" "$log" | head -1 | sed 's/.*(\([0-9]*\) .*/\1/')
        peak=$(awk '/Maximum resident/{printf "%.0f", $6/1024}' "$log")
        acc=$(grep -o 'test: accuracy [0-9.]*' "$log.out" | awk '{print $3}')
        printf "%-6s %-5s %10.1f %12s %12s %9.1f %10s %8s\n" "$size" "$dev" "$elapsed" "${tokens:-?}M" "${samples:-?}" \
            "$(echo "$elapsed / 5" | bc -l)" "$peak" "${acc:-?}" | tee -a $OUT/results.tsv
        : "$secs"
    done
done
