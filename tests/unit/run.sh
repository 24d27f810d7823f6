#!/usr/bin/env bash
# Runs cmocka test programs with TAP output, shows it, and ends with one line
# "unit: N passed, N failed, N skipped" (counting test cases; a program that
# crashes or exits non-zero without reporting a failed case counts as one
# failure; cmocka prints a skipped case as "not ok N # SKIP").
set -u
passed=0 failed=0 skipped=0
for prog in "$@"; do
	echo "# $prog"
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP timeout 120 "$prog" 2>&1)
	status=$?
	echo "$out"
	ok=$(grep -c '^ok ' <<<"$out")
	bad=$(grep '^not ok ' <<<"$out" | grep -vc '# SKIP')
	skip=$(grep '^not ok ' <<<"$out" | grep -c '# SKIP')
	if [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; then
		echo "not ok - $prog exited with status $status"
		bad=1
	fi
	passed=$((passed + ok)) failed=$((failed + bad)) skipped=$((skipped + skip))
done
echo "unit: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
