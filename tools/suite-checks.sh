# Sourced by the scripts that boot a suite once and then check its console
# log line by line (tools/check-suite-fails.sh, tools/check-mmu-reclaim.sh).
# The caller sets `log` and a NAME for messages; `check` counts, `checks_done` sums up.
passed=0 failed=0

check() { # check NAME CONDITION-STATUS
	if [ "$2" -eq 0 ]; then echo "ok   - $1"; passed=$((passed + 1));
	else echo "FAIL - $1"; failed=$((failed + 1)); fi
}

checks_done() { # checks_done NAME: on failure the console's tail, then the summary and status
	if [ $failed -ne 0 ]; then
		echo "$1: console tail ($log):"
		tail -n 20 "$log" | tr -d '\r' | sed 's/^/  | /'
		# The runner's own messages (and the emulator's, e.g. an abort), kept by the caller.
		if [ -s "$log.stderr" ]; then
			echo "$1: the runner's and emulator's messages ($log.stderr):"
			tail -n 15 "$log.stderr" | sed 's/^/  ! /'
		fi
	fi
	echo "$passed passed, $failed failed"
	[ $failed -eq 0 ]
}
