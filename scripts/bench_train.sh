#!/bin/bash
# bench_train.sh [SIZE...] — training, scoring and explanation throughput side by side on every
# backend present. For each size (e.g. 10k 100k 1M 10M; default 1M) it generates a synth corpus,
# featurizes it once into an HDF5 cache (not timed), trains configs/bench-intent.ini (dim 100,
# word bigrams, 5 epochs) on each backend, then scores the whole corpus and explains 20 tickets.
# Prints one table and writes it to bench-out/results.tsv. BACKENDS="cpu cuda" overrides detection.
set -euo pipefail
cd "$(dirname "$0")/.."
TML=./ticketml
OUT=bench-out
SIZES=${*:-1M}
mkdir -p $OUT
backends=${BACKENDS:-cpu}
if [ -z "${BACKENDS:-}" ] && $TML devices 2>/dev/null | grep -q '^--device auto uses: cuda'; then backends="cpu cuda"; fi
num() { case $1 in *k) echo $(( ${1%k} * 1000 ));; *M) echo $(( ${1%M} * 1000000 ));; *) echo "$1";; esac; }
hdr=$(printf "%-5s %-5s %8s %9s %10s %8s %8s %8s %10s %9s" size device train_s "Mtok/s" "samples/s" "s/epoch" "peak_MB" test_acc "score_r/s" "expl/s")
echo "$hdr" | tee $OUT/results.tsv
for size in $SIZES; do
    n=$(num "$size"); dir=$OUT/$size
    [ -f "$dir/tickets.csv" ] || $TML synth --tickets "$n" --customers $(( n / 5 + 1 )) --seed 1 --out "$dir" >/dev/null 2>&1
    $TML data "$dir/tickets.csv" --config configs/bench-intent.ini --cache "$dir/cache.h5" >/dev/null 2>&1
    for dev in $backends; do
        log=$dir/train-$dev.log
        if ! /usr/bin/time -v $TML train configs/bench-intent.ini --set data.train="$dir/tickets.csv" --cache "$dir/cache.h5" \
            --device "$dev" --out "$dir/model-$dev.h5" >"$log.out" 2>"$log"; then
            echo "training on $dev failed; see $log" >&2; continue
        fi
        line=$(grep '^trained ' "$log")   # trained N steps in T s (S samples/s, M tokens/s)
        secs=$(echo "$line" | sed 's/.* in \([0-9.]*\)s.*/\1/')
        sps=$(echo "$line" | sed 's/.*(\([0-9]*\) samples.*/\1/')
        mtok=$(echo "$line" | sed -n 's/.*, \([0-9.]*\)M tokens.*/\1/p')
        peak=$(awk '/Maximum resident/{printf "%.0f", $6/1024}' "$log")
        acc=$(sed -n 's/^test: accuracy \([0-9.]*\).*/\1/p' "$log.out")
        t0=$(date +%s.%N)
        $TML eval "$dir/model-$dev.h5" "$dir/tickets.csv" --device "$dev" --quiet
        t1=$(date +%s.%N)
        $TML explain "$dir/model-$dev.h5" "$dir/tickets.csv" --rows 1-20 --device "$dev" --samples 5000 >/dev/null
        t2=$(date +%s.%N)
        score=$(echo "$n / ($t1 - $t0)" | bc -l)
        expl=$(echo "20 / ($t2 - $t1)" | bc -l)
        printf "%-5s %-5s %8.1f %9s %10s %8.1f %8s %8s %10.0f %9.1f\n" "$size" "$dev" "$secs" "$mtok" "$sps" \
            "$(echo "$secs / 5" | bc -l)" "$peak" "$acc" "$score" "$expl" | tee -a $OUT/results.tsv
    done
done
echo "(scoring and explanation times include loading the model and re-reading the CSV)"
