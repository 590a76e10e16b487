#!/bin/sh
# gpu_run.sh [DEST] — build the CUDA binaries here (this machine has nvcc but no GPU) and pack
# ./ticketml, every built test program and the benchmarks with ../shared/scripts/gpu-bundle.sh into
# DEST.tar.gz (default .gpu.tar.gz) for a GPU machine. The command to run there is printed at the
# end and documented in docs/backend.md ("Running on a GPU").
set -eu
dest=${1:-.gpu}
cd "$(dirname "$0")/.."
bundle=${GPU_BUNDLE:-../shared/scripts/gpu-bundle.sh}
[ -x "$bundle" ] || bundle=/work/shared/scripts/gpu-bundle.sh
[ -x "$bundle" ] || { echo "gpu_run: gpu-bundle.sh not found (set GPU_BUNDLE)" >&2; exit 2; }
command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ] || {
    echo "gpu_run: nvcc not found; a CPU-only build would not exercise the GPU" >&2; exit 2; }

# The whole tree when it builds; otherwise at least the kernels' programs (other rooms' work in
# progress must not block a GPU check of the kernels).
if ! make -j2 all >&2; then
    echo "gpu_run: 'make all' failed; building the kernels' programs only" >&2
    make -j2 ticketml build/tests/test_ops_parity build/tests/test_ops_grad build/bench/bench_ops >&2
fi
progs=./ticketml
for p in build/tests/test_* build/bench/*; do
    case $p in *.o | *.d) continue ;; esac
    [ -f "$p" ] && [ -x "$p" ] && progs="$progs $p"
done
# shellcheck disable=SC2086
"$bundle" "$dest" $progs

# /.gpu* is in .gitignore, so the bundle never shows up in `git status`.
cat <<MSG
gpu_run: on the device run (carry ["$dest.tar.gz"]):
  tar xzf $dest.tar.gz && export LD_LIBRARY_PATH=\$PWD/$dest/lib:/usr/local/cuda/lib64:\${LD_LIBRARY_PATH:-} && $dest/bin/ticketml devices && $dest/bin/test_ops_parity && $dest/bin/test_ops_grad && $dest/bin/bench_ops --device cuda
MSG
