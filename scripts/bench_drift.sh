#!/bin/bash
# bench_drift.sh [TICKETS] [RUNS] — the drift monitor's speed target: `ticketml drift` of TICKETS
# (default 1M) current tickets against TICKETS reference tickets, report written, end to end (read
# and parse both CSVs, featurize, score, count every word and word pair, compare, write the three
# report files). The model is configs/bench-intent.ini (embedding bag, dim 100, word bigrams)
# trained on a separate 100k corpus (not timed); the current corpus has the synth drift knob on for
# its second half. Prints each run's wall time and peak memory and the median. Run it alone, under
# `flock /tmp/tml-heavy.lock`; docs/monitoring.md quotes it.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${2:-3}
TML=${TICKETML:-./ticketml}
OUT=bench-out/drift
mkdir -p $OUT
C=$(( N / 5 + 1 ))
[ -f $OUT/ref-$N/tickets.csv ] || $TML synth --tickets "$N" --customers $C --seed 11 --start-date 2025-01-01 \
    --days 365 --out $OUT/ref-$N --quiet >/dev/null
[ -f $OUT/cur-$N/tickets.csv ] || $TML synth --tickets "$N" --customers $C --seed 12 --start-date 2026-01-01 \
    --days 90 --shift-date 2026-02-15 --out $OUT/cur-$N --quiet >/dev/null
[ -f $OUT/train/tickets.csv ] || $TML synth --tickets 100000 --customers 20000 --seed 13 --out $OUT/train --quiet >/dev/null
[ -f $OUT/model.h5 ] || $TML train configs/bench-intent.ini --set data.train=$OUT/train/tickets.csv \
    --set data.test_frac=0 --set data.valid_frac=0.05 --set train.epochs=2 --out $OUT/model.h5 --quiet >/dev/null
echo "drift: $N current vs $N reference tickets ($(du -h $OUT/ref-$N/tickets.csv | cut -f1) + $(du -h $OUT/cur-$N/tickets.csv | cut -f1) of CSV), $(nproc) cores"
times=()
for i in $(seq 1 "$RUNS"); do
    set +e
    /usr/bin/time -v $TML drift $OUT/model.h5 $OUT/ref-$N/tickets.csv $OUT/cur-$N/tickets.csv --report $OUT/report \
        --time created_at >$OUT/run.out 2>$OUT/run.err
    rc=$?
    set -e
    [ $rc -le 1 ] || { cat $OUT/run.err; exit 1; }
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(k=1;k<=n;k++) s=s*60+a[k]; print s}' $OUT/run.err)
    peak=$(awk '/Maximum resident/{printf "%.0f", $6/1024}' $OUT/run.err)
    # CPU seconds beside the wall time: on a shared machine the wall time measures the neighbours too
    cpu=$(awk -F': ' '/User time|System time/{s+=$2} END{printf "%.1f", s}' $OUT/run.err)
    echo "run $i: ${wall} s wall, ${cpu} s CPU (user+sys), peak ${peak} MB, exit $rc ($(head -1 $OUT/run.out)); load $(cut -d' ' -f1-3 /proc/loadavg)"
    times+=("$wall")
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print "median: " a[int((NR+1)/2)] " s"}'
grep -E '^\s*ticketml drift: \[' $OUT/run.err | tail -6
