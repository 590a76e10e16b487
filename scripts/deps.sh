#!/bin/sh
# deps.sh — installs the Debian packages ticketml builds against when run as root, or prints the
# exact install line. Called by the Makefile when pkg-config misses one; also `make deps`.
PKGS_DEB="build-essential pkg-config libopenblas-dev libhdf5-dev libcmocka-dev libutf8proc-dev libjansson-dev libinih-dev"
PC="openblas hdf5 cmocka libutf8proc jansson inih"
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists $PC; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing $PKGS_DEB" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq $PKGS_DEB >&2 && exit 0
    echo "deps: apt-get failed; see above" >&2
    exit 1
fi
echo "deps: missing packages; install them with:" >&2
echo "  sudo apt-get install -y $PKGS_DEB" >&2
exit 1
