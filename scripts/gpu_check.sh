#!/bin/bash
# gpu_check.sh pack|run|dry-run — issue 14's GPU check as one prepared script, for a GPU machine with
# 16 cores, no network and no -dev packages, where device time comes in 15-minute allowances.
#   pack     (here, with nvcc, no GPU): build and bundle ./ticketml, the test and bench programs,
#            tool_ftinput and /usr/bin/time with their libraries into .gpu.tar.gz (scripts/gpu_run.sh).
#   run      (on the GPU machine, carry [".gpu.tar.gz"]): unpack, then each step with its own timeout
#            under one deadline (GPU_CHECK_BUDGET, default 450 s): ticketml devices; make test-gpu's
#            programs with TICKETML_REQUIRE_CUDA=1 (parity, gradients, CUDA training, encoder;
#            bench_ops and bench_encoder --device cuda); compute-sanitizer on the parity and CUDA
#            training tests when the toolkit has it; the training benchmark (bench_train.sh, one
#            repetition, idle) on CUDA at 1M and 10M tickets and on the CPU at 1M (fastText too when
#            its Python module is there). Every step's output goes into one results file,
#            $OUT/gpu_check.txt (or ./gpu_check.txt), with a PASS/FAIL/SKIP line per step; exit 1 if
#            any step failed.
#   dry-run  (here): `run` on this machine with tiny corpora (20k tickets) to show every step; the
#            steps that need CUDA fail there with their reason, the others must pass.
# The corpora are generated on the machine (`ticketml synth`): 1M tickets are 180 MB, too large to carry.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
case $mode in
pack)
    bash scripts/gpu_run.sh .gpu >/dev/null || exit 1
    # add the training benchmark's helpers to the bundle
    bundle=${GPU_BUNDLE:-../shared/scripts/gpu-bundle.sh}
    [ -x "$bundle" ] || bundle=/work/shared/scripts/gpu-bundle.sh
    progs=./ticketml
    for p in build/tests/test_* build/bench/* build/tools/tool_ftinput /usr/bin/time; do
        case $p in *.o | *.d) continue ;; esac
        [ -f "$p" ] && [ -x "$p" ] && progs="$progs $p"
    done
    # shellcheck disable=SC2086
    "$bundle" .gpu $progs || exit 1
    echo "gpu_check: device command: bash scripts/gpu_check.sh run   (carry [\".gpu.tar.gz\"], timeout_s 540)"
    exit 0
    ;;
run | dry-run) ;;
*)
    echo "usage: scripts/gpu_check.sh pack|run|dry-run" >&2
    exit 2
    ;;
esac

out=${OUT:-.}
mkdir -p "$out"
res=$out/gpu_check.txt
: >"$res"
t0=$(date +%s)
budget=${GPU_CHECK_BUDGET:-450}
fails=0
note() { echo "$*" | tee -a "$res" >&2; }

if [ "$mode" = run ]; then
    [ -d .gpu/bin ] || tar xzf .gpu.tar.gz || { note "FAIL unpack: .gpu.tar.gz missing (run 'pack' here and carry it)"; exit 1; }
    export LD_LIBRARY_PATH=$PWD/.gpu/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
    bin=.gpu/bin
    sizes_cuda=${GPU_SIZES:-1M 10M}
    size_cpu=${CPU_SIZE:-1M}
    threads_cpu=${CPU_THREADS:-$(nproc)}
else
    bin=build/tests # the dry run uses this checkout's build
    sizes_cuda=20k
    size_cpu=20k
    threads_cpu=2
fi
prog() { # the program named $1 in the bundle or in build/
    if [ "$mode" = run ]; then echo "$bin/$(basename "$1")"; else echo "$1"; fi
}
TML=$(prog ./ticketml)
[ "$mode" = run ] || TML=./ticketml
TIME=$(prog /usr/bin/time)
[ "$mode" = run ] || TIME=/usr/bin/time

# step NAME CAP_S CMD...: runs CMD with a timeout of min(CAP_S, time left), appends its output and a
# PASS/FAIL line to the results file.
step() {
    local name=$1 cap=$2
    shift 2
    local left=$((budget - ($(date +%s) - t0)))
    [ "$cap" -lt "$left" ] || cap=$left
    if [ "$cap" -le 5 ]; then
        note "SKIP $name: the ${budget}s budget is spent"
        fails=$((fails + 1))
        return
    fi
    note "== $name (timeout ${cap}s) \$ $*"
    local s rc
    s=$(date +%s)
    timeout "$cap" "$@" >>"$res" 2>&1
    rc=$?
    if [ $rc = 0 ]; then note "PASS $name ($(($(date +%s) - s))s)"; else
        note "FAIL $name (exit $rc$([ $rc = 124 ] && echo ", timed out"), $(($(date +%s) - s))s)"
        fails=$((fails + 1))
    fi
}

note "gpu_check $mode: $(date -u), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >>"$res" 2>&1
step devices 20 "$TML" devices
# make test-gpu's programs (the Makefile's GPU_TESTS and benches), against the bundle
for t in test_ops_parity test_ops_grad test_train_cuda test_encoder; do
    step "$t" 90 env TICKETML_REQUIRE_CUDA=1 "$(prog build/tests/$t)"
done
step "bench_ops --device cuda" 60 env TICKETML_REQUIRE_CUDA=1 "$(prog build/bench/bench_ops)" --device cuda
step "bench_encoder --device cuda" 60 env TICKETML_REQUIRE_CUDA=1 "$(prog build/bench/bench_encoder)" --device cuda --reps 3
san=${CUDA_HOME:-/usr/local/cuda}/bin/compute-sanitizer
if [ -x "$san" ]; then
    for t in test_ops_parity test_train_cuda; do
        step "memcheck $t" 90 env TICKETML_REQUIRE_CUDA=1 "$san" --tool memcheck --leak-check full --error-exitcode 1 \
            "$(prog build/tests/$t)"
    done
else
    note "SKIP memcheck: $san not found"
fi
# the training benchmark: ticketml on CUDA (and the CPU at one size), one repetition on an idle machine
corpus=${GPU_CORPUS:-.gpu-corpus} # generated once, shared by the CUDA and CPU runs; not carried back
ft=0
python3 -c 'import fasttext' 2>/dev/null && ft=1
bench() { # DEVICE THREADS FASTTEXT SIZE: the command line (timeout runs programs, not functions)
    echo env TML="$TML" TOOL="$(prog build/tools/tool_ftinput)" TIME="$TIME" DEVICE="$1" THREADS="$2" REPS=1 CONDS=idle \
        FASTTEXT="$3" BENCH_OUT="$out/bench-$1" CORPUS="$corpus" bash scripts/bench_train.sh "$4"
}
for s in $sizes_cuda; do
    # shellcheck disable=SC2046
    step "bench_train cuda $s" 240 $(bench cuda 2 0 "$s")
done
# shellcheck disable=SC2046
step "bench_train cpu $size_cpu (fastText: $ft)" 150 $(bench cpu "$threads_cpu" "$ft" "$size_cpu")
for d in cuda cpu; do
    [ -f "$out/bench-$d/bench_train.md" ] && { echo "-- bench_train $d"; cat "$out/bench-$d/bench_train.md"; } >>"$res"
done
note "gpu_check $mode: $fails step(s) failed or skipped, $(($(date +%s) - t0))s; results in $res"
[ "$fails" = 0 ]
