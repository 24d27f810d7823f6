#!/usr/bin/env bash
# Console input end to end (QEMU, SVM): the hypervisor runs
# tests/console-input (console_input=on); once that VM says it waits, this
# script types "hello" and Enter on the hypervisor's COM1 (QEMU's stdio
# through a FIFO) and the VM must receive exactly that line. The VM that owns
# input prints raw (no "[input] " prefix, hv/vm/guest_console.h).
# Prints "check-console-input: ok" or why not; exits 0 when it passed.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
work=$(mktemp -d "${TMPDIR:-/tmp}/hv-input.XXXXXX")
trap 'exec 3>&-; rm -rf "$work"' EXIT
log=$BUILD/console-input.log
rm -f "$log" # the wait below must see this run's lines only
mkfifo "$work/keys"
exec 3<>"$work/keys" # held open: QEMU must not see the end of its input

INTERACTIVE=1 LOG=$log TIMEOUT=${TIMEOUT:-120} ARGS="config=console-input.cfg console=serial" \
	tools/run-qemu.sh <&3 >/dev/null 2>&1 &
qemu=$!
for _ in $(seq 1 120); do
	grep -aq '^# waiting for input' "$log" 2>/dev/null && break # raw: no [input] prefix
	kill -0 $qemu 2>/dev/null || break
	sleep 1
done
printf 'hello\r' >&3
wait $qemu
status=$?
if [ $status -eq 0 ] && grep -aq '^ok 1 - the typed line arrived' "$log" &&
	grep -aq '^1 passed, 0 failed' <(tr -d '\r' <"$log"); then
	echo "check-console-input: ok (the VM received the line typed on the hypervisor's console)"
	exit 0
fi
echo "check-console-input: FAILED (status $status); last console lines ($log):"
tr -d '\r' <"$log" | tail -n 12 | sed 's/^/  | /'
exit 1
