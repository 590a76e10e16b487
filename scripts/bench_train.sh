#!/bin/bash
# bench_train.sh [SIZE...] — ticketml against fastText, side by side (`make bench-train`; issue 14).
# For each size (default: 1M 10M) a synth corpus (seed 1) is made once; tool_ftinput writes the train
# and test rows of ticketml's own split (configs/bench-intent.ini: test_frac 0.05, seed 1) in
# fastText's format with ticketml's tokens, so both tools learn from the same rows and words. Then,
# REPS times, alternating which goes first, each tool runs its whole command on an idle machine and
# with one busy process pinned to core 1 (the tools themselves unpinned):
#   ticketml: ticketml train configs/bench-intent.ini (read the CSV, featurize, train, test, save)
#   fastText: scripts/bench_fasttext.py (read the text, build the dictionary, train, test, save)
# at the same settings: dim 100, word bigrams, 2M buckets, 5 epochs, per-example lr 0.1 (ticketml's
# lr 6.4 over batch_size 64), softmax, THREADS threads. Measured per run: wall time of the whole
# command and peak resident memory (/usr/bin/time -v), the training loop's time (each tool's own
# figure), words/s over it counted as fastText counts its input (every token plus the label and the
# line end: 5 x ntokens words for both), test accuracy. Prints medians and ratios and writes
# bench-out/bench_train.md (the table) and bench-out/bench_train_runs.tsv (every run).
# Env: REPS=3 THREADS=2 CONDS="idle busy" DEVICE=cpu (cuda: ticketml on the GPU) FASTTEXT=1 (0: skip
# fastText) BENCH_OUT=bench-out (tables, logs) CORPUS=$BENCH_OUT (the generated corpora, reused when there)
# TOOL=path/to/tool_ftinput TIME=/usr/bin/time (GNU time) SUMMARY_ONLY=1 (only the table, from the runs file
# already there: for a run that was stopped early). Run it alone: `flock /tmp/tml-heavy.lock`.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${*:-1M 10M}
REPS=${REPS:-3}
THREADS=${THREADS:-2}
CONDS=${CONDS:-idle busy}
DEVICE=${DEVICE:-cpu}
FASTTEXT=${FASTTEXT:-1}
OUT=${BENCH_OUT:-bench-out}
CORPUS=${CORPUS:-$OUT}
TIME=${TIME:-/usr/bin/time}
TML=${TML:-./ticketml}
TOOL=${TOOL:-$(ls -d build/tools/tool_ftinput build-cpu/tools/tool_ftinput 2>/dev/null | head -1 || true)}
CONFIG=configs/bench-intent.ini
mkdir -p "$OUT"
[ -x "$TML" ] && [ -n "$TOOL" ] && [ -x "$TOOL" ] || { echo "bench_train: build first (make)" >&2; exit 2; }
if [ "$FASTTEXT" = 1 ] && ! python3 -c 'import fasttext' 2>/dev/null; then
    echo "bench_train: installing fasttext-wheel (fastText's C++ trainer for Python)" >&2
    python3 -m pip install -q fasttext-wheel >&2
fi
num() { case $1 in *k) echo $((${1%k} * 1000)) ;; *M) echo $((${1%M} * 1000000)) ;; *) echo "$1" ;; esac; }
secs() { # /usr/bin/time's "h:mm:ss" or "m:ss.ss" -> seconds
    echo "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'
}
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" "$2" | tail -1; }
load() { cut -d' ' -f1 /proc/loadavg; }
cpu() { awk '/User time|System time/{ s += $NF } END { printf "%.1f", s }' "$1"; } # user + system s
runs=$OUT/bench_train_runs.tsv
[ "${SUMMARY_ONLY:-0}" = 1 ] && SIZES= || printf "size\tcond\trep\ttool\twall_s\tloop_s\twords_per_s\twords_per_s_thread\ttest_acc\tpeak_mb\tload\tcpu_s\n" >"$runs"

# one run of one tool; appends a line to $runs
run_tml() { # size dir cond rep ntokens
    local log=$2/run-tml.log ld
    ld=$(load)
    "$TIME" -v "$TML" train "$CONFIG" --set data.train="$2/tickets.csv" --set train.threads="$THREADS" \
        --device "$DEVICE" --out "$2/tml.h5" >"$log.out" 2>"$log" || { echo "ticketml failed: $log" >&2; grep -v "^[[:space:]]" "$log" | tail -3 >&2; exit 1; }
    local wall peak loop acc own
    wall=$(secs "$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$log")")
    peak=$(awk '/Maximum resident/{printf "%.0f", $6/1024}' "$log")
    loop=$(sed -n 's/^trained .* in \([0-9.]*\)s (.*/\1/p' "$log")
    own=$(sed -n 's/^trained .*, \([0-9.]*\)M words\/s,.*/\1/p' "$log")
    acc=$(cat "$log.out" "$log" | sed -n 's/^test: accuracy \([0-9.]*\).*/\1/p' | head -1)
    local wps
    wps=$(awk -v n="$5" -v t="$loop" 'BEGIN { printf "%.0f", 5 * n / t }')
    # the trainer's own count must be fastText's: 5 x (tokens + 2 per row)
    awk -v a="$own" -v b="$wps" 'BEGIN { if (a * 1e6 < 0.95 * b || a * 1e6 > 1.05 * b) exit 1 }' ||
        echo "bench_train: warning: ticketml counted ${own}M words/s, fastText's count gives $wps" >&2
    printf "%s\t%s\t%s\tticketml\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$1" "$3" "$4" "$wall" "$loop" "$wps" \
        "$((wps / THREADS))" "$acc" "$peak" "$ld" "$(cpu "$log")" >>"$runs"
}
run_ft() { # size dir cond rep ntokens
    local log=$2/run-ft.log ld
    ld=$(load)
    "$TIME" -v python3 scripts/bench_fasttext.py "$2/ft_train.txt" "$2/ft_test.txt" "$2/ft.bin" \
        --ntokens "$5" --thread "$THREADS" >"$log.out" 2>"$log" || { echo "fastText failed: $log" >&2; grep -v "^[[:space:]]" "$log" | tail -3 >&2; exit 1; }
    local wall peak
    wall=$(secs "$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$log")")
    peak=$(awk '/Maximum resident/{printf "%.0f", $6/1024}' "$log")
    printf "%s\t%s\t%s\tfasttext\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$1" "$3" "$4" "$wall" "$(field loop_s "$log.out")" \
        "$(field words_per_s "$log.out")" "$(field words_per_s_thread "$log.out")" "$(field test_acc "$log.out")" \
        "$peak" "$ld" "$(cpu "$log")" >>"$runs"
}

busy_pid=
stop_busy() { [ -n "$busy_pid" ] && kill "$busy_pid" 2>/dev/null && wait "$busy_pid" 2>/dev/null; busy_pid=; }
trap stop_busy EXIT

for size in $SIZES; do
    n=$(num "$size")
    dir=$CORPUS/$size
    mkdir -p "$dir"
    [ -f "$dir/tickets.csv" ] || "$TML" synth --tickets "$n" --customers $((n / 5 + 1)) --seed 1 --out "$dir" >/dev/null 2>&1
    if [ ! -f "$dir/ft_split.txt" ]; then
        "$TOOL" "$CONFIG" "$dir/ft_train.txt" "$dir/ft_test.txt" data.train="$dir/tickets.csv" >"$dir/ft_split.txt"
    fi
    # train N rows, T tokens -> fastText's tokens per epoch: T + a label and a line end per row
    ntok=$(awk '{ gsub(",", ""); print $4 + 2 * $2 }' "$dir/ft_split.txt")
    echo "== $size: $(cat "$dir/ft_split.txt"); $ntok words per epoch as fastText counts them" >&2
    for rep in $(seq 1 "$REPS"); do
        for cond in $CONDS; do
            if [ "$cond" = busy ]; then
                taskset -c 1 sh -c 'while :; do :; done' &
                busy_pid=$!
            fi
            order="tml ft"
            [ $((rep % 2)) = 0 ] && order="ft tml"
            for tool in $order; do
                [ "$tool" = ft ] && [ "$FASTTEXT" != 1 ] && continue
                "run_$tool" "$size" "$dir" "$cond" "$rep" "$ntok"
                tail -1 "$runs" >&2
            done
            stop_busy
        done
    done
done

# medians per (size, cond, tool) and the ratios ticketml / fastText
python3 - "$runs" "$THREADS" "$OUT/bench_train.md" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
threads = sys.argv[2]
med = lambda xs: statistics.median(xs) if xs else float("nan")
keys = []
for r in rows:
    k = (r["size"], r["cond"])
    if k not in keys:
        keys.append(k)
has_cpu = all(r.get("cpu_s") for r in rows)
out = ["| tickets | machine | tool | wall s | loop s | words/s | words/s/thread | test acc | peak MB | load |" + (" CPU s |" if has_cpu else ""),
       "|---|---|---|---|---|---|---|---|---|---|" + ("---|" if has_cpu else "")]
for size, cond in keys:
    m = {}
    for tool in ("ticketml", "fasttext"):
        rs = [r for r in rows if r["size"] == size and r["cond"] == cond and r["tool"] == tool]
        if not rs:
            continue
        f = lambda c: med([float(r[c]) for r in rs])
        m[tool] = {c: f(c) for c in ("wall_s", "loop_s", "words_per_s", "words_per_s_thread", "test_acc", "peak_mb") + (("cpu_s",) if has_cpu else ())}
        loads = [float(r["load"]) for r in rs]
        w = m[tool]
        out.append(f"| {size} | {cond} | {tool} | {w['wall_s']:.1f} | {w['loop_s']:.1f} | {w['words_per_s']/1e6:.2f}M | "
                   f"{w['words_per_s_thread']/1e6:.2f}M | {w['test_acc']:.4f} | {w['peak_mb']:.0f} | "
                   f"{min(loads):.1f}-{max(loads):.1f} |" + (f" {w['cpu_s']:.0f} |" if has_cpu else ""))
    if len(m) == 2:
        t, f = m["ticketml"], m["fasttext"]
        out.append(f"| {size} | {cond} | **ratio** ticketml/fastText | **{t['wall_s']/f['wall_s']:.2f}** | "
                   f"{t['loop_s']/f['loop_s']:.2f} | {t['words_per_s']/f['words_per_s']:.2f} | "
                   f"{t['words_per_s_thread']/f['words_per_s_thread']:.2f} | {100*(t['test_acc']-f['test_acc']):+.2f} pt | "
                   f"{t['peak_mb']/f['peak_mb']:.2f} | |" + (f" {t['cpu_s']/f['cpu_s']:.2f} |" if has_cpu else ""))
nrep = max(int(r['rep']) for r in rows)
note = (f"\n{'Medians of %d runs' % nrep if nrep > 1 else 'One run'} each, alternating which tool goes first; {threads} threads; "
        "busy = one `while :; do :; done` pinned to core 1; load = 1-minute load average when each run started"
        + ("; CPU s = user + system seconds of the whole command" if has_cpu else "") + ".\n")
text = "\n".join(out) + "\n" + note
open(sys.argv[3], "w").write(text)
print(text)
PY
