#!/usr/bin/env bash
# The guest fuzzers on one backend: boots tests/attacks/fuzz.cfg (fuzz-exits
# with SEED and COUNT actions, fuzz-insn64 and fuzz-insn32 with COUNT/4
# instruction sequences each, hello beside them) and prints
#   fuzz: BACKEND EXITS exits, VMS VMs, FAILURES hypervisor failures
# with EXITS summed over the fuzzing VMs.
# A hypervisor failure is a panic, status 3, a hang (the run's timeout) or a
# VM beside the fuzzer that does not pass. The fuzzed VM itself may end with
# its own verdict or a clear stop reason. Exit status 0 only without failures.
# usage: tools/fuzz-guests.sh RUNNER BACKEND [COUNT] [SEED]
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
runner=${1:?usage: $0 RUNNER BACKEND [COUNT] [SEED]} backend=${2:?backend}
count=${3:-${FUZZ_COUNT:-100000}} seed=${4:-${FUZZ_SEED:-1}}
log=$BUILD/fuzz-$backend.log
sed "s/SEED/$seed/;s/COUNT/$count/;s/RUNS/$((count / 4))/" tests/attacks/fuzz.cfg > "$BUILD/guests/out/fuzz.cfg"

ARGS="config=fuzz.cfg" LOG="$log" QUIET=1 TIMEOUT=${TIMEOUT:-1800} bash -c "$runner" >/dev/null 2>&1
status=$?

exits=$(grep -a -o -E 'hv: VM fuzz[^ ]*: [0-9]+ exits' "$log" | grep -o '[0-9]* exits' | awk '{s += $1} END {print s}')
vms=$(grep -a -c -E '^hv: VM [^ ]+: (passed|FAILED)' "$log")
failures=0
grep -a -q -i 'panic' "$log" && failures=$((failures + 1))
case $status in 0 | 1) ;; *) failures=$((failures + 1)) ;; esac
grep -a -q 'hv: VM beside: passed' "$log" || failures=$((failures + 1))
grep -a -E '^hv: VM fuzz[^ ]*: ((passed|FAILED)|[0-9]+ exits)' "$log" | tr -d '\r' | cut -d'(' -f1 | sed "s/^/fuzz: $backend: /"
echo "fuzz: $backend ${exits:-0} exits, $vms VMs, $failures hypervisor failures (seed $seed, $count actions, $((count / 4)) sequences per fuzz-insn VM)"
[ "$failures" -eq 0 ]
