#!/bin/sh
# check_serve_lib.sh — the serving library stays CUDA-free (docs/architecture.md): no symbol of
# libticketml_serve.a names CUDA, cuBLAS or the backend dispatch; no ticketml symbol is left for
# another library to supply; a program linked with it alone (no CUDA libraries) links and its ldd
# shows no CUDA. Usage: BUILD=build LIBS="<pkg-config libs>" sh scripts/check_serve_lib.sh
set -e
BUILD=${BUILD:-build}
LIB=$BUILD/libticketml_serve.a
[ -f "$LIB" ] || { echo "check_serve_lib: $LIB not built"; exit 1; }
bad=$(nm "$LIB" 2>/dev/null | grep -E ' [UTDBR] ' | grep -iE 'cuda|cublas|curand|tml_backend_|tml_cuda_' || true)
if [ -n "$bad" ]; then echo "check_serve_lib: FAIL: CUDA or backend symbols in $LIB:"; echo "$bad" | head; exit 1; fi
nm "$LIB" 2>/dev/null | awk '$1 == "U" {print $2}' | sort -u > /tmp/tml_serve_und.$$
nm "$LIB" 2>/dev/null | awk 'NF == 3 && $2 != "U" {print $3}' | sort -u > /tmp/tml_serve_def.$$
missing=$(comm -23 /tmp/tml_serve_und.$$ /tmp/tml_serve_def.$$ | grep '^tml_' || true)
rm -f /tmp/tml_serve_und.$$ /tmp/tml_serve_def.$$
if [ -n "$missing" ]; then echo "check_serve_lib: FAIL: $LIB needs ticketml symbols it lacks: $missing"; exit 1; fi
tmp=$(mktemp -d)
cat > "$tmp/p.c" <<'C'
#include "ticketml/serve.h"
int main(int argc, char **argv) {
    TmlError err;
    TmlServeModel *m = argc > 1 ? tml_serve_load(argv[1], &err) : 0;
    tml_serve_free(m);
    return 0;
}
C
${CC:-cc} -Iinclude -o "$tmp/p" "$tmp/p.c" "$LIB" $LIBS -fopenmp -lm -lpthread -ldl || { rm -rf "$tmp"; echo "check_serve_lib: FAIL: a program linked with $LIB alone does not link"; exit 1; }
if ldd "$tmp/p" | grep -iE 'cuda|cublas'; then echo "check_serve_lib: FAIL: a serving program loads CUDA"; rm -rf "$tmp"; exit 1; fi
rm -rf "$tmp"
echo "check_serve_lib: ok ($LIB: no CUDA, no backend dispatch; links alone)"
