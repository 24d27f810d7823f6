#!/usr/bin/env bash
# Boot tests: boots the hypervisor and checks what it must print and its exit status.
# usage: tools/check-boot.sh svm|vmx
#   svm: the UEFI build in QEMU TCG (AMD SVM + NPT), also from make usb's disk image
#   vmx: the Multiboot2 build (GRUB) and the UEFI build (OVMF) in Bochs (Intel VT-x + EPT)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
passed=0 failed=0
logdir=$BUILD/check-boot
mkdir -p "$logdir"

# Boot tests ship one small guest and a config naming only it: they prove the
# boot path up to a guest run, without paying for (or depending on) the suite.
export GUESTS=$logdir/guests
rm -rf "$GUESTS"
mkdir -p "$GUESTS"
cp "$BUILD/guests/out/hello.elf" "$GUESTS/" || { echo "check-boot: build the guests first (make)"; exit 1; }
echo "name=hello image=hello.elf mem=16M cpus=1 expect=exit:0" >"$GUESTS/boot.cfg"
BOOT_ARGS="config=boot.cfg"

# expect LOG PATTERN...: every extended regex must match a line of LOG.
expect() {
	local log=$1 pat
	shift
	for pat in "$@"; do
		# Not grep -q: it stops reading at the first match, tr then dies of SIGPIPE and
		# pipefail turns the match into a failure (long console logs hit this).
		tr -d '\r' <"$log" | grep -a -E -- "$pat" >/dev/null || { echo "    missing in console output: /$pat/"; return 1; }
	done
}

# run_case NAME WANT_STATUS RUNNER ARGS PATTERN...: one boot, one verdict line.
run_case() {
	local name=$1 want=$2 runner=$3 args=$4
	shift 4
	local log=$logdir/$name.log out
	out=$(ARGS="$BOOT_ARGS${args:+ $args}" LOG="$log" QUIET=1 "$runner" 2>&1)
	local status=$?
	local why=""
	if [ "$want" = fail ]; then
		[ $status -ne 0 ] && [ $status -lt 124 ] || why="exit status $status, want a failure status from the hypervisor"
	elif [ $status -ne "$want" ]; then
		why="exit status $status, want $want"
	fi
	local missing
	missing=$(expect "$log" "$@") || why="${why:+$why; }output incomplete"
	if [ -z "$why" ]; then
		echo "ok   - $name"
		passed=$((passed + 1))
	else
		echo "FAIL - $name: $why"
		[ -n "$missing" ] && echo "$missing"
		[ -n "$out" ] && echo "$out" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
}

# fb_case NAME ARGS WANT: boots (QEMU, halting at the end), takes a screendump
# and checks whether the top text rows hold pixels of the console's colour
# (WANT = lit|dark).
fb_case() {
	local name=$1 args=$2 want=$3 log=$logdir/$1.log
	local sock=$logdir/$1.mon shot=$logdir/$1.ppm
	rm -f "$sock" "$shot" "$log"
	ARGS="$BOOT_ARGS on_exit=halt${args:+ $args}" LOG="$log" QUIET=1 TIMEOUT=60 \
		QEMU_EXTRA="-monitor unix:$sock,server,nowait" tools/run-qemu.sh >/dev/null 2>&1 &
	local qemu=$! i
	for i in $(seq 1 100); do
		grep -a -q '^hv: exit status' "$log" 2>/dev/null && break
		sleep 0.5
	done
	python3 - "$sock" "$shot" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
for cmd in (b"screendump " + sys.argv[2].encode() + b"\n", b"quit\n"):
    time.sleep(0.5)
    s.send(cmd)
time.sleep(0.5)
PY
	wait $qemu 2>/dev/null
	local lit
	lit=$(tools/fb-lit-pixels.py "$shot" 40 2>&1)
	if { [ "$want" = lit ] && [ "${lit:-0}" -gt 200 ] 2>/dev/null; } ||
		{ [ "$want" = dark ] && [ "$lit" = 0 ]; }; then
		echo "ok   - $name"
		passed=$((passed + 1))
	else
		echo "FAIL - $name: $lit console-coloured pixels in the top rows, want $want"
		failed=$((failed + 1))
	fi
}

BANNER='^hv: minimal type-1 hypervisor, booted via'
MEMMAP='^hv: memory map: [0-9]+ ranges, [1-9][0-9]* MiB usable'
SVM='^hv: cpu .*: SVM yes, NPT yes'
VMX='^hv: cpu .*: VMX yes, EPT yes, unrestricted guest yes'
BOGUS="^hv: error: command line: unknown key 'bogus'"
CACHED='^  cr0 0x[08][0-9a-f]{7} ' # PG or not; CD (bit 30) and NW (bit 29) clear
BADVAL="^hv: error: command line: bad value 'sideways' for 'on_exit'"
SCHED_OK='^hv: sched self-test: 10 passed, 0 failed$'
# online N: the hypervisor started every CPU the emulator was given.
online() { echo "^hv: smp: $1 CPU\\(s\\) online\$"; }
# enabled_on VENDOR N: one pattern per CPU 0..N-1: the backend was turned on on each of them.
enabled_on() { local i; for ((i = 0; i < $2; i++)); do echo "^hv: $1: enabled on CPU $i "; done; }
DUMP=('^hv: CPU exception #UD invalid opcode \(vector 6\)' '^  rip 0x[0-9a-f]+ \(image\+0x[0-9a-f]+\) cs 0x8' \
	'^  rax 0x[0-9a-f]{16} rbx' '^  cr0 0x[0-9a-f]+ cr2 0x[0-9a-f]+ cr3' '^  stack trace: 0x[0-9a-f]+ .* <- 0x')

case "${1:-}" in
svm)
	q=tools/run-qemu.sh
	q4() { SMP=4 tools/run-qemu.sh; }
	mapfile -t SVM_ON4 < <(enabled_on svm 4)
	run_case qemu-uefi-boot 0 q4 "" "$BANNER UEFI" "$MEMMAP" "$SVM" "$(online 4)" "${SVM_ON4[@]}" \
		'^hv: VM hello: passed' '^hv: exit status 0'
	run_case qemu-uefi-unknown-key fail $q "bogus=1" "$BOGUS"
	run_case qemu-uefi-bad-value fail $q "on_exit=sideways" "$BADVAL"
	run_case qemu-uefi-test-fault fail $q "test_fault=ud" "${DUMP[@]}" '^hv: exit status 3'
	run_case qemu-uefi-sched 0 q4 "test_sched=on" "$(online 4)" "$SCHED_OK"
	run_case qemu-uefi-smp-off 0 $q "smp=off test_sched=on" "$(online 1)" "$SCHED_OK"
	run_case qemu-uefi-text-read-only fail $q "test_fault=pf" \
		'^hv: CPU exception #PF page fault \(vector 14\), error code 0x3$' '^  cr0 .* cr2 0x[1-9a-f]' '^hv: exit status 3'
	many() { # more boot files than BOOT_MAX_IMAGES (128): counted, refused with a message, no hang
		mkdir -p "$logdir/many" && cp "$GUESTS"/* "$logdir/many/" &&
			for i in $(seq 1 130); do echo "$i" >"$logdir/many/extra$i.txt"; done &&
			GUESTS=$logdir/many tools/run-qemu.sh
	}
	run_case qemu-uefi-too-many-images 2 many "" '^hv: 4 boot images beyond the first 128 were dropped' \
		'^hv: exit status 2'
	usb() { # the disk image of make usb, built here with the boot-test guests
		tools/mkusb.sh "$logdir/usb.img" "$BUILD/BOOTX64.EFI" "$ARGS" "$GUESTS" >/dev/null &&
			ARGS= DISK=$logdir/usb.img tools/run-qemu.sh
	}
	run_case qemu-usb-image 0 usb "" "$BANNER UEFI" "$MEMMAP" '^hv: VM hello: passed' '^hv: exit status 0'
	fb_case qemu-uefi-fb-console "" lit
	fb_case qemu-uefi-fb-off "console=serial" dark
	;;
vmx)
	mb2() { BOOT=mb2 tools/run-bochs.sh; }
	efi_smp2() { BOOT=efi SMP=2 tools/run-bochs.sh; }
	mb2_smp2() { BOOT=mb2 SMP=2 tools/run-bochs.sh; }
	run_case bochs-mb2-boot 0 mb2 "" "$BANNER Multiboot2" "$MEMMAP" "$VMX" '^hv: VM hello: passed' '^hv: exit status 0'
	mapfile -t VMX_ON2 < <(enabled_on vmx 2)
	run_case bochs-efi-boot 0 efi_smp2 "" "$BANNER UEFI" "$MEMMAP" "$VMX" "$(online 2)" "${VMX_ON2[@]}" \
		'^hv: VM hello: passed' '^hv: exit status 0'
	run_case bochs-mb2-sched 0 mb2_smp2 "test_sched=on" "$(online 2)" "$SCHED_OK"
	run_case bochs-mb2-unknown-key fail mb2 "bogus=1" "$BOGUS"
	# The dump's CR0 also proves the host runs cached: GRUB on the Bochs BIOS hands over CD/NW set.
	run_case bochs-mb2-test-fault fail mb2 "test_fault=ud" "${DUMP[@]}" "$CACHED" '^hv: exit status 3'
	;;
*)
	echo "usage: $0 svm|vmx" >&2
	exit 2
	;;
esac

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
