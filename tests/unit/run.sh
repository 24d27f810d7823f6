#!/usr/bin/env bash
# Runs cmocka test programs with TAP output, shows it, and ends with one line
# "unit: N passed, N failed" (counting test cases; a program that crashes or
# exits non-zero without reporting a failed case counts as one failure).
set -u
passed=0 failed=0
for prog in "$@"; do
	echo "# $prog"
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP timeout 120 "$prog" 2>&1)
	status=$?
	echo "$out"
	ok=$(grep -c '^ok ' <<<"$out")
	bad=$(grep -c '^not ok ' <<<"$out")
	if [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; then
		echo "not ok - $prog exited with status $status"
		bad=1
	fi
	passed=$((passed + ok)) failed=$((failed + bad))
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
