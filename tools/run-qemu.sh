#!/usr/bin/env bash
# Boots the UEFI build in QEMU (q35 + OVMF) and exits with the hypervisor's status.
# Environment: BUILD (build), ARGS (hypervisor command line), ACCEL (tcg|kvm),
#   SMP (4), MEM (512M), TIMEOUT (seconds, 120), LOG (console log file),
#   QUIET=1 (console only to the log; its tail is shown on failure),
#   QEMU_EXTRA (more QEMU options, e.g. "-s -S" for make debug),
#   DISK (boot this disk image as is, e.g. make usb's, instead of a fresh ESP),
#   INTERACTIVE=1 (the terminal's keys reach the hypervisor's COM1; Ctrl-A x quits,
#   Ctrl-A c is QEMU's monitor),
#   GUESTS (the folder of guest images to ship; $BUILD/guests/out).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build} ARGS=${ARGS:-} ACCEL=${ACCEL:-tcg} SMP=${SMP:-4} MEM=${MEM:-512M}
TIMEOUT=${TIMEOUT:-120} LOG=${LOG:-$BUILD/qemu-serial.log} QUIET=${QUIET:-} QEMU_EXTRA=${QEMU_EXTRA:-} DISK=${DISK:-} GUESTS=${GUESTS:-$BUILD/guests/out}
OVMF_DIR=/usr/share/OVMF

tools/deps.sh --check >/dev/null || tools/deps.sh || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/hv-qemu.XXXXXX")
trap 'rm -rf "$work"' EXIT
if [ -z "$DISK" ]; then
	DISK=$work/esp.img
	tools/mkesp.sh "$DISK" "$BUILD/BOOTX64.EFI" "$ARGS" "$GUESTS" || exit 1
elif [ -n "$ARGS" ]; then
	echo "run-qemu: ARGS cannot change the command line stored on DISK=$DISK" >&2
	exit 2
fi
cp "$OVMF_DIR/OVMF_VARS_4M.fd" "$work/vars.fd"   # fresh variables every run

case "$ACCEL" in
tcg) accel=(-accel tcg -cpu qemu64,+svm,+npt) ;;
kvm)
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		accel=(-accel kvm -cpu host)
	else
		echo "run-qemu: ACCEL=kvm but /dev/kvm is not usable here" >&2
		exit 1
	fi ;;
*) echo "run-qemu: ACCEL must be tcg or kvm, not '$ACCEL'" >&2; exit 2 ;;
esac

mkdir -p "$(dirname "$LOG")"
: >"$LOG"
serial=(-chardev "stdio,id=com1,signal=off,logfile=$LOG" -serial chardev:com1)
[ -n "$QUIET" ] && serial=(-chardev "file,id=com1,path=$LOG" -serial chardev:com1)
input=/dev/null
if [ -n "${INTERACTIVE:-}" ]; then
	serial=(-chardev "stdio,id=com1,mux=on,signal=off,logfile=$LOG" -serial chardev:com1
		-mon chardev=com1,mode=readline)
	input=/dev/stdin
fi

# shellcheck disable=SC2086
timeout --foreground -k 5 "$TIMEOUT" qemu-system-x86_64 -machine q35 "${accel[@]}" -m "$MEM" -smp "$SMP" \
	-drive "if=pflash,format=raw,readonly=on,file=$OVMF_DIR/OVMF_CODE_4M.fd" \
	-drive "if=pflash,format=raw,file=$work/vars.fd" \
	-drive "format=raw,file=$DISK,snapshot=on" \
	-device isa-debug-exit,iobase=0xf4,iosize=4 \
	"${serial[@]}" -display none -monitor none -net none -no-reboot $QEMU_EXTRA <"$input"
rc=$?

# isa-debug-exit makes QEMU exit with (status << 1) | 1; anything else means
# the hypervisor never reached hv_exit (timeout, crash, reset).
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	why="timed out after ${TIMEOUT}s"; status=124
elif [ $((rc & 1)) -eq 1 ]; then
	status=$((rc >> 1)); why="hypervisor exit status $status"
else
	why="QEMU exited with $rc without the hypervisor's exit port (reset or crash)"; status=125
fi
if [ $status -ne 0 ]; then
	echo "run-qemu: $why; last console lines ($LOG):" >&2
	tail -n 25 "$LOG" | tr -d '\r' | sed 's/^/  | /' >&2
fi
exit $status
