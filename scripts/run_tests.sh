#!/bin/sh
# run_tests.sh TEST... — runs each test program, shows its output, and ends with one summary line
# ("N passed, N failed") so CI and people see the outcome at a glance. Exit 1 if any failed.
passed=0; failed=0; failed_names=""
for t in "$@"; do
    echo "== $t"
    if "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); failed_names="$failed_names $t"; fi
done
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
