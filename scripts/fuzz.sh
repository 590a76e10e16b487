#!/bin/sh
# fuzz.sh — builds the CSV and JSONL reader fuzz targets (tests/fuzz_*.c) with clang's libFuzzer,
# ASan and UBSan, and runs each for FUZZ_SECONDS (default 60). Prints run time, executions and
# findings per target; exit 1 if any target crashed. Called by `make fuzz`.
# Knobs: FUZZ_SECONDS, FUZZ_OUT (default build-fuzz), CLANG (default clang), FUZZ_JOBS.
set -u
SECS=${FUZZ_SECONDS:-60}
OUT=${FUZZ_OUT:-build-fuzz}
CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "fuzz: $CLANG not found; install it (apt-get install clang) to fuzz the readers" >&2
    exit 2
fi
mkdir -p "$OUT"
# libFuzzer ships with clang's runtime; check it links before building the real targets
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
    > "$OUT/probe.c"
if ! "$CLANG" -fsanitize=fuzzer "$OUT/probe.c" -o "$OUT/probe" 2>"$OUT/probe.log"; then
    echo "fuzz: $CLANG cannot link -fsanitize=fuzzer (libFuzzer missing); see $OUT/probe.log" >&2
    exit 2
fi
# 7-byte read chunks: inputs of a few hundred bytes then cross chunk boundaries everywhere (inside
# quotes, between CR and LF, inside the BOM's line), which 1 MiB chunks would never show the fuzzer
CFLAGS="-std=c11 -D_GNU_SOURCE -DTML_READ_CHUNK=7 -g -O1 -I. -Iinclude -Itests $(pkg-config --cflags jansson)"
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
SRCS="data/reader.c data/table.c data/csv.c data/jsonl.c data/strmap.c"
status=0
for target in csv jsonl; do
    bin="$OUT/fuzz_$target"
    echo "== fuzz_$target: building"
    # shellcheck disable=SC2086
    "$CLANG" $CFLAGS $SAN tests/fuzz_$target.c $SRCS -o "$bin" $(pkg-config --libs jansson) || exit 1
    corpus="$OUT/corpus_$target"
    mkdir -p "$corpus"
    # seeds: small valid and broken inputs, so the fuzzer starts inside the interesting states
    if [ "$target" = csv ]; then
        printf 'a,b\n1,2\n' > "$corpus/seed1"
        printf '\357\273\277id,"te""xt",c\r\n1,"x,\r\ny",\r\n2,"",""""\n' > "$corpus/seed2"
        printf 'a,b\n1,"open\n' > "$corpus/seed3"
    else
        printf '{"a": 1, "b": "x"}\n{"b": null}\n' > "$corpus/seed1"
        printf '{"t": "caf\\u00e9", "n": 1.5e3, "k": true}\r\n\n{"t": [1]}\n' > "$corpus/seed2"
    fi
    log="$OUT/fuzz_$target.log"
    rm -f "$OUT/fuzz_$target-"*   # reproducers of an earlier run
    start=$(date +%s)
    ( cd "$OUT" && "./fuzz_$target" -max_total_time="$SECS" -max_len=4096 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="fuzz_$target-" "corpus_$target" ) >"$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    crashes=$(ls "$OUT/fuzz_$target-"* 2>/dev/null | wc -l)
    if [ $rc -eq 0 ]; then
        echo "fuzz_$target: ran ${took}s, ${execs:-?} executions, ${cov:-cov ?}, corpus $(ls "$corpus" | wc -l) inputs; found nothing"
    else
        status=1
        echo "fuzz_$target: ran ${took}s, ${execs:-?} executions; FOUND a problem (exit $rc), $crashes reproducer(s) in $OUT; log: $log"
        grep -m 5 -E 'ERROR|SUMMARY|runtime error' "$log"
    fi
done
exit $status
