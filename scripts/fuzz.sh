#!/bin/sh
# fuzz.sh — builds the fuzz targets (tests/fuzz_*.c) with clang's libFuzzer, ASan and UBSan and runs
# each for FUZZ_SECONDS (default 60): the CSV and JSONL readers, the config parser, the model /
# checkpoint reader and the export reader (the last three link the whole library, built here with
# clang). Prints run time, executions and findings per target; exit 1 if any target crashed.
# Called by `make fuzz`; heavy (minutes of CPU): run it under `flock /tmp/tml-heavy.lock`.
# Knobs: FUZZ_SECONDS (0: build and write the seeds only: a build, no lock needed), FUZZ_KEEP_GOING=1
# (run on after a crash, timeout or out-of-memory, then sum the findings up by where they are), FUZZ_OUT
# (default build-fuzz), CLANG (default clang), FUZZ_TARGETS (default "csv jsonl config model export"). Seeds: small valid inputs written here; the model and export
# seeds are trained by ./ticketml (built by `make` first).
set -u
SECS=${FUZZ_SECONDS:-60}
OUT=${FUZZ_OUT:-build-fuzz}
CLANG=${CLANG:-clang}
TARGETS=${FUZZ_TARGETS:-"csv jsonl config model export"}
ROOT=$(pwd)
if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "fuzz: $CLANG not found; install it (apt-get install clang libomp-dev) to fuzz" >&2
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
PKGS="openblas hdf5 libutf8proc jansson inih"
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
BASE="-std=c11 -D_GNU_SOURCE -g -O1 -I. -Iinclude -Itests"
# 7-byte read chunks: inputs of a few hundred bytes then cross chunk boundaries everywhere (inside
# quotes, between CR and LF, inside the BOM's line), which 1 MiB chunks would never show the fuzzer
READER_CFLAGS="$BASE -DTML_READ_CHUNK=7 $(pkg-config --cflags jansson)"
READER_SRCS="data/reader.c data/table.c data/csv.c data/jsonl.c data/strmap.c"

# The whole library (no CUDA) instrumented for the fuzzer, for the config, model and export targets.
build_lib() {
    [ -f "$OUT/lib/libfuzz.a" ] && [ -z "$(find data trainer eval serve kernels -name '*.c' -newer "$OUT/lib/libfuzz.a" | head -1)" ] && return 0
    if ! pkg-config --exists $PKGS; then
        echo "fuzz: missing -dev packages for the library ($PKGS); run make deps" >&2
        return 1
    fi
    printf '#include <omp.h>\nint main(void) { return omp_get_max_threads() > 0 ? 0 : 1; }\n' > "$OUT/omp.c"
    if ! "$CLANG" -fopenmp "$OUT/omp.c" -o "$OUT/omp" 2>/dev/null; then
        echo "fuzz: $CLANG -fopenmp does not link; apt-get install libomp-dev" >&2
        return 1
    fi
    echo "== building the library with $CLANG for fuzzing (a few minutes)"
    mkdir -p "$OUT/lib"
    objs=""
    # shellcheck disable=SC2046
    for src in $(ls kernels/*.c kernels/cpu/*.c data/*.c trainer/*.c trainer/gbdt/*.c eval/*.c serve/*.c); do
        obj="$OUT/lib/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')"
        if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
            # shellcheck disable=SC2086
            "$CLANG" $BASE -fopenmp -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
                $(pkg-config --cflags $PKGS) -c "$src" -o "$obj" || return 1
        fi
        objs="$objs $obj"
    done
    rm -f "$OUT/lib/libfuzz.a"
    # shellcheck disable=SC2086
    ar rcs "$OUT/lib/libfuzz.a" $objs
}

# Tiny models (text linear, embedding + hidden, tabular MLP, trees, a checkpoint with optimizer
# state and best weights) and their exports, as seeds: each in both modes of fuzz_model (first
# byte 0: as is; 1: checksum stamped) and both formats of fuzz_export.
make_model_seeds() {
    S="$OUT/seeds"
    [ -f "$S/done" ] && return 0
    if [ ! -x ./ticketml ]; then
        echo "fuzz: ./ticketml not built; run make first (the model seeds are trained with it)" >&2
        return 1
    fi
    rm -rf "$S" && mkdir -p "$S"
    ./ticketml synth --tickets 150 --customers 60 --seed 3 --out "$S/corpus" >/dev/null 2>&1 || return 1
    txt="[data]\nkind = text\ntrain = corpus/tickets.csv\ntext = text\nlabel = intent\nvalid_frac = 0.2\n"
    txt="$txt[text]\nbuckets = 50\nword_ngrams = 2\nmin_count = 3\n"
    printf "$txt[model]\ntype = linear\n[train]\nepochs = 2\n" > "$S/lin.ini"
    printf "${txt}tfidf = true\n[model]\ntype = embedding\ndim = 4\nhidden = 3\n[train]\nepochs = 2\n" > "$S/emb.ini"
    tab="[data]\nkind = tabular\ntrain = corpus/customers.csv\nlabel = churn\nid = customer_id\npositive = Yes\n"
    tab="$tab""valid_frac = 0.2\n[tabular]\nignore = customer_id\n"
    printf "$tab[model]\ntype = mlp\nhidden = 3\n[train]\nepochs = 2\n" > "$S/mlp.ini"
    printf "$tab[model]\ntype = gbdt\nmax_leaves = 4\nmin_data_in_leaf = 3\n[train]\nrounds = 3\n" > "$S/gb.ini"
    ( cd "$S" &&
      for m in lin emb mlp gb; do ../../ticketml train $m.ini --out $m.h5 --quiet --device cpu || exit 1; done &&
      TICKETML_INTERRUPT_AT_STEP=3 ../../ticketml train lin.ini --out ck.h5 --quiet --device cpu
      [ -f ck.h5.ckpt ] ) >/dev/null 2>&1 || { echo "fuzz: training the seed models failed" >&2; return 1; }
    mkdir -p "$OUT/corpus_model" "$OUT/corpus_export"
    for m in lin emb mlp gb; do
        for mode in 0 1; do
            { printf "\\00$mode"; cat "$S/$m.h5"; } > "$OUT/corpus_model/seed_${m}_$mode"
        done
        ./ticketml export "$S/$m.h5" --out "$S/exh_$m" --format hdf5 >/dev/null 2>&1 &&
            { printf '\000'; cat "$S/exh_$m/model.h5"; } > "$OUT/corpus_export/seed_h5_$m" &&
            { printf '\002'; cat "$S/exh_$m/model.h5"; } > "$OUT/corpus_export/seed_h5s_$m"
        if ./ticketml export "$S/$m.h5" --out "$S/exs_$m" --format safetensors >/dev/null 2>&1; then
            n=$(wc -c < "$S/exs_$m/model.json")
            { printf '\001'; python3 -c "import sys,struct;sys.stdout.buffer.write(struct.pack('<I',$n))";
              cat "$S/exs_$m/model.json" "$S/exs_$m/model.safetensors"; } > "$OUT/corpus_export/seed_st_$m"
        fi
    done
    { printf '\001'; cat "$S/ck.h5.ckpt"; } > "$OUT/corpus_model/seed_ckpt_1"
    touch "$S/done"
}

status=0
for target in $TARGETS; do
    bin="$OUT/fuzz_$target"
    corpus="$OUT/corpus_$target"
    mkdir -p "$corpus"
    maxlen=4096
    echo "== fuzz_$target: building"
    case $target in
    csv|jsonl)
        # shellcheck disable=SC2086
        "$CLANG" $READER_CFLAGS $SAN tests/fuzz_$target.c $READER_SRCS -o "$bin" $(pkg-config --libs jansson) || exit 1
        # seeds: small valid and broken inputs, so the fuzzer starts inside the interesting states
        if [ "$target" = csv ]; then
            printf 'a,b\n1,2\n' > "$corpus/seed1"
            printf '\357\273\277id,"te""xt",c\r\n1,"x,\r\ny",\r\n2,"",""""\n' > "$corpus/seed2"
            printf 'a,b\n1,"open\n' > "$corpus/seed3"
        else
            printf '{"a": 1, "b": "x"}\n{"b": null}\n' > "$corpus/seed1"
            printf '{"t": "caf\\u00e9", "n": 1.5e3, "k": true}\r\n\n{"t": [1]}\n' > "$corpus/seed2"
        fi
        ;;
    config|model|export)
        build_lib || exit 2
        # shellcheck disable=SC2046,SC2086
        "$CLANG" $BASE -fopenmp $SAN $(pkg-config --cflags $PKGS) tests/fuzz_$target.c "$OUT/lib/libfuzz.a" \
            -o "$bin" $(pkg-config --libs $PKGS) -fopenmp -lm -lpthread -ldl || exit 1
        if [ "$target" = config ]; then
            for c in configs/*.ini; do cp "$c" "$corpus/seed_$(basename "$c")"; done
            printf '[train]\nlr = 0.1 ; comment\n epochs = 2\n[model]\ntype=linear\n' > "$corpus/seed_x"
        else
            make_model_seeds || exit 2
            maxlen=$(ls -l "$corpus" | awk 'BEGIN { m = 4096 } { if ($5 > m) m = $5 } END { print m + 1024 }')
        fi
        ;;
    *) echo "fuzz: unknown target $target" >&2; exit 2 ;;
    esac
    [ "$SECS" = 0 ] && continue
    log="$OUT/fuzz_$target.log"
    rm -f "$OUT/fuzz_$target-"*   # reproducers of an earlier run
    start=$(date +%s)
    keep=""
    [ "${FUZZ_KEEP_GOING:-0}" = 1 ] && keep="-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1"
    # shellcheck disable=SC2086
    ( cd "$OUT" && "./fuzz_$target" -max_total_time="$SECS" -max_len="$maxlen" -rss_limit_mb=2048 -timeout=20 \
        -print_final_stats=1 $keep -artifact_prefix="fuzz_$target-" "corpus_$target" ) >"$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | awk '{ s += $1 } END { if (NR) print s }')
    [ -z "$execs" ] && execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    crashes=$(ls "$OUT/fuzz_$target-"* 2>/dev/null | wc -l)
    if [ "${FUZZ_KEEP_GOING:-0}" = 1 ] && [ "$crashes" -gt 0 ]; then
        # where each reproducer fails: the sanitizer's summary line (or the timeout), counted
        for rep in "$OUT/fuzz_$target-"*; do
            ( cd "$OUT" && timeout 60 "./fuzz_$target" -timeout=20 -rss_limit_mb=2048 "$(basename "$rep")" 2>&1 ) |
                grep -m1 -E 'SUMMARY|ERROR: libFuzzer: timeout' | sed 's/ (BuildId[^)]*)//; s/0x[0-9a-f]*//g'
        done | sort | uniq -c | sed "s/^/fuzz_$target: /"
        rc=1
    fi
    if [ $rc -eq 0 ]; then
        echo "fuzz_$target: ran ${took}s, ${execs:-?} executions, ${cov:-cov ?}, corpus $(ls "$corpus" | wc -l) inputs; found nothing"
    else
        status=1
        echo "fuzz_$target: ran ${took}s, ${execs:-?} executions; FOUND a problem (exit $rc), $crashes reproducer(s) in $OUT; log: $log"
        grep -m 5 -E 'ERROR|SUMMARY|runtime error' "$log"
    fi
done
cd "$ROOT" || exit 1
exit $status
