#!/usr/bin/env bash
# Runs test guests on plain QEMU (TCG, no hypervisor of ours) the way
# suite.cfg describes them, to check the guests and their runtime alone.
#
#   tools/run-guest-qemu.sh [-v] NAME...    run these VMs of the suite
#   tools/run-guest-qemu.sh [-v] --all      run every VM of the suite
#
# Checks only a hypervisor of this project can pass are named "hv: ..." by
# the guests; on plain QEMU they fail, so a VM passes here when its outcome
# matches `expect` and every `not ok` line is such a check (then the guest
# exits with 1 instead of 0). Multiboot/ELF images boot with -kernel; flat
# real-mode images from a disk whose boot sector (guests/lib/bootsector.asm)
# loads them; flat 32-bit images carry Multiboot address fields.
# -v prints each guest's output. Ends with "N passed, N failed".
set -uo pipefail

BUILD=${BUILD:-build}
OUT=$BUILD/guests/out
CFG=$OUT/${SUITE:-suite.cfg} # SUITE=another config among the images
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
verbose=0
[ "${1:-}" = "-v" ] && { verbose=1; shift; }
[ $# -ge 1 ] || { echo "usage: $0 [-v] NAME...|--all" >&2; exit 2; }
[ -f "$CFG" ] || { echo "run-guest-qemu: $CFG missing (run: make guests)" >&2; exit 2; }

# The value of KEY on a suite line ("" if absent); args= may be quoted.
value() {
	local line=$1 key=$2
	if [[ $line =~ (^|[[:space:]])$key=\"([^\"]*)\" ]]; then echo "${BASH_REMATCH[2]}"
	elif [[ $line =~ (^|[[:space:]])$key=([^[:space:]]*) ]]; then echo "${BASH_REMATCH[2]}"
	fi
}

# Prints the QEMU options that boot the VM of this suite line.
boot_options() {
	local line=$1 image=$OUT/$(value "$1" image) kind mode
	kind=$(value "$line" kind)
	mode=$(value "$line" mode)
	if [ "$kind" = flat ] && [ "$mode" = real ]; then
		local load entry sectors
		load=$(value "$line" load)
		entry=$(value "$line" entry)
		sectors=$(( ($(stat -c %s "$image") + 511) / 512 ))
		nasm -f bin -DLOAD="$load" -DENTRY="${entry:-$load}" -DSECTORS=$sectors \
			-o "$TMP/disk.img" guests/lib/bootsector.asm || return 1
		cat "$image" >> "$TMP/disk.img"
		truncate -s $(( (sectors + 1) * 512 )) "$TMP/disk.img"
		# SeaBIOS did not boot a disk under -machine q35 here; i440FX (pc) does
		echo "-machine pc -drive format=raw,file=$TMP/disk.img"
	else
		local modules
		modules=$(grep -oE "(^|[[:space:]])module=[^[:space:]]+" <<<"$line" |
			sed "s|.*module=|$OUT/|" | paste -sd, -)
		echo "-machine q35 -kernel $image${modules:+ -initrd $modules}"
	fi
}

# Runs one VM; prints its verdict; returns 0 when it passed.
run_vm() {
	local name=$1 line opts expect mem cpus args rc want_rc limit=60
	line=$(grep -E "^[[:space:]]*name=$name([[:space:]]|$)" "$CFG" | head -1)
	[ -n "$line" ] || { echo "FAIL $name: not in $CFG"; return 1; }
	opts=$(boot_options "$line") || { echo "FAIL $name: cannot build its boot disk"; return 1; }
	expect=$(value "$line" expect)
	mem=$(value "$line" mem)
	cpus=$(value "$line" cpus)
	args=$(value "$line" args)
	# expect=timeout: the guest never ends; QEMU is stopped at its timeout_ms
	[ "$expect" = timeout ] && limit=$(( ($(value "$line" timeout_ms) + 999) / 1000 ))
	local cmdline=()
	[[ $opts == *-kernel* ]] && cmdline=(-append "$args")
	: > "$TMP/$name.log"
	# shellcheck disable=SC2086 # opts holds several words on purpose
	timeout "$limit" qemu-system-x86_64 -accel tcg -m "${mem:-16M}" -smp "${cpus:-1}" \
		$opts "${cmdline[@]}" -device isa-debug-exit,iobase=0xf4,iosize=4 -device pc-testdev \
		-serial "file:$TMP/$name.log" -display none -monitor none -no-reboot </dev/null
	rc=$?
	[ $verbose = 1 ] && sed "s/^/[$name] /" "$TMP/$name.log"

	local not_ok hv_fail plan ran problem=""
	not_ok=$(grep -c '^not ok' "$TMP/$name.log")
	hv_fail=$(grep -c '^not ok [0-9]* - hv: ' "$TMP/$name.log")
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$TMP/$name.log" | head -1)
	ran=$(grep -cE '^(not )?ok [0-9]+' "$TMP/$name.log")
	case $expect in
	exit:*)
		want_rc=$(( ($(echo "${expect#exit:}") << 1) | 1 ))
		# hypervisor-only checks failing turn status 0 into 1
		[ "$hv_fail" -gt 0 ] && [ "${expect#exit:}" = 0 ] && want_rc=3
		# an ACPI power-off (S5) ends QEMU with status 0 where the hypervisor reports exit:0
		[ $rc = 0 ] && [ "$expect" = exit:0 ] && [ "$hv_fail" = 0 ] && want_rc=0
		[ $rc = "$want_rc" ] || problem="QEMU exit status $rc, want $want_rc ($expect)"
		# QEMU itself failing also exits with 1: a TAP guest must have printed its plan
		[ -n "$plan" ] || problem="${problem:+$problem; }no TAP plan printed";;
	triple-fault)
		[ $rc = 0 ] || problem="QEMU exit status $rc, want 0 (reset by triple fault)";;
	reset)	# -no-reboot: a reset ends QEMU with status 0
		[ $rc = 0 ] || problem="QEMU exit status $rc, want 0 (reset)"
		[ -n "$plan" ] || problem="${problem:+$problem; }no TAP plan printed";;
	timeout)
		[ $rc = 124 ] || problem="QEMU exit status $rc, want it still running at ${limit}s (timeout)";;
	*)	problem="expect=$expect cannot be checked on plain QEMU";;
	esac
	[ "$not_ok" -gt "$hv_fail" ] && problem="${problem:+$problem; }$((not_ok - hv_fail)) failed test(s)"
	[ -n "$plan" ] && [ "$plan" != "$ran" ] && problem="${problem:+$problem; }plan 1..$plan but $ran test(s) ran"
	if [ -n "$problem" ]; then
		echo "FAIL $name: $problem"
		[ $verbose = 1 ] || sed "s/^/[$name] /" "$TMP/$name.log"
		return 1
	fi
	echo "PASS $name${hv_fail:+ ($hv_fail hypervisor-only check(s) failed, as they must on plain QEMU)}" |
		sed 's/ (0 hypervisor-only.*//'
}

if [ "$1" = --all ]; then
	set -- $(sed -n 's/^[[:space:]]*name=\([^[:space:]]*\).*/\1/p' "$CFG")
fi
passed=0 failed=0
for name in "$@"; do
	if run_vm "$name"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "$passed passed, $failed failed"
[ $failed = 0 ]
