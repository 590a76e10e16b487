#!/bin/sh
# bench_encoder.sh [ROUNDS] — the encoder's CPU time per batch (all-MiniLM-L6-v2 shape, batch 32 x
# 32 and 32 x 64) through build/bench/bench_encoder with 2 and with 1 OpenMP thread, alternating with
# the numpy reference (scripts/bench_encoder_numpy.py, float32) in each round so that a busy
# machine slows all three alike. Run it under the shared lock: flock /tmp/tml-heavy.lock sh scripts/bench_encoder.sh
set -e
rounds=${1:-2}
bench=${BENCH:-build/bench/bench_encoder}
[ -x "$bench" ] || { echo "bench_encoder.sh: $bench not built (make)"; exit 1; }
i=1
while [ "$i" -le "$rounds" ]; do
    echo "== round $i: $(uptime | sed 's/.*load/load/')"
    echo "-- ticketml, 2 OpenMP threads"
    "$bench" --reps 5 --len 32,64
    echo "-- ticketml, OMP_NUM_THREADS=1"
    OMP_NUM_THREADS=1 "$bench" --reps 5 --len 32,64 | tail -4
    echo "-- numpy reference (encoder_ref.py, float32)"
    python3 scripts/bench_encoder_numpy.py --reps 3 || true
    i=$((i + 1))
done
