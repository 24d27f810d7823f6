#!/usr/bin/env bash
# Boots the hypervisor in Bochs (Intel VT-x with EPT) and exits with its status.
#   BOOT=mb2: GRUB (legacy BIOS) loads hv-mb2.elf via Multiboot2, guests as module2.
#   BOOT=efi: OVMF loads BOOTX64.EFI from an EFI-bootable ISO.
# Environment: BUILD (build), BOOT (mb2|efi), ARGS (hypervisor command line),
#   SMP (1), MEGS (512), TIMEOUT (seconds; 120 for mb2, 240 for efi),
#   IPS (4000000: emulated instructions per emulated second, which sets the TSC's rate),
#   LOG (console log), QUIET=1 (console only to the log; its tail is shown on failure),
#   GUESTS (the folder of guest images to ship; $BUILD/guests/out).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build} BOOT=${BOOT:-mb2} ARGS=${ARGS:-} SMP=${SMP:-1} MEGS=${MEGS:-512} QUIET=${QUIET:-}
IPS=${IPS:-4000000}
LOG=${LOG:-$BUILD/bochs-$BOOT-serial.log}
GUESTS=${GUESTS:-$BUILD/guests/out}

tools/deps.sh --check >/dev/null || tools/deps.sh || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/hv-bochs.XXXXXX")
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$LOG")"
: >"$LOG"

# A GRUB rescue ISO: boots at once, hypervisor + one module2 line per guest image.
make_mb2_iso() {
	mkdir -p "$work/iso/boot/grub" "$work/iso/guests"
	cp "$BUILD/hv-mb2.elf" "$work/iso/boot/hv.elf" || return 1
	{
		echo "set timeout=0"
		echo "set default=0"
		echo "menuentry hv {"
		echo "  multiboot2 /boot/hv.elf $ARGS"
		if [ -d "$GUESTS" ]; then
			for f in "$GUESTS"/*; do
				[ -f "$f" ] || continue
				cp "$f" "$work/iso/guests/"
				echo "  module2 /guests/$(basename "$f") $(basename "$f")"
			done
		fi
		echo "  boot"
		echo "}"
	} >"$work/iso/boot/grub/grub.cfg"
	grub-mkrescue -o "$work/hv.iso" "$work/iso" >"$work/grub-mkrescue.log" 2>&1 ||
		{ cat "$work/grub-mkrescue.log" >&2; return 1; }
}

# An ISO whose El Torito EFI image is the ESP that make run uses.
make_efi_iso() {
	mkdir -p "$work/iso"
	tools/mkesp.sh "$work/iso/esp.img" "$BUILD/BOOTX64.EFI" "$ARGS" "$GUESTS" || return 1
	xorriso -as mkisofs -quiet -R -e esp.img -no-emul-boot -o "$work/hv.iso" "$work/iso" \
		>"$work/xorriso.log" 2>&1 || { cat "$work/xorriso.log" >&2; return 1; }
}

case "$BOOT" in
mb2)
	TIMEOUT=${TIMEOUT:-120}
	make_mb2_iso || exit 1
	rom="romimage: file=/usr/share/bochs/BIOS-bochs-latest"
	;;
efi)
	TIMEOUT=${TIMEOUT:-240}
	make_efi_iso || exit 1
	# Bochs takes one ROM image: the 2 MB OVMF variables + code, mapped at 0xffe00000.
	cat /usr/share/OVMF/OVMF_VARS.fd /usr/share/OVMF/OVMF_CODE.fd >"$work/ovmf.fd"
	rom="romimage: file=$work/ovmf.fd, address=0xffe00000"
	;;
*) echo "run-bochs: BOOT must be mb2 or efi, not '$BOOT'" >&2; exit 2 ;;
esac

cat >"$work/bochsrc" <<RC
megs: $MEGS
$rom
vgaromimage: file=/usr/share/vgabios/vgabios.bin
cpu: model=corei7_skylake_x, count=$SMP, ips=$IPS, reset_on_triple_fault=0, ignore_bad_msrs=1
clock: sync=none, time0=1
ata0-master: type=cdrom, path=$work/hv.iso, status=inserted
boot: cdrom
display_library: rfb, options="timeout=0"
config_interface: textconfig
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
mouse: enabled=0
com1: enabled=1, mode=file, dev=$work/com1.log
port_e9_hack: enabled=1
panic: action=fatal
log: $work/bochs.log
RC
printf 'c\nquit\n' >"$work/bochs.rc"

# Copy the console to the log (and stdout) as it grows.
touch "$work/com1.log"
if [ -n "$QUIET" ]; then
	tail -n +1 -F "$work/com1.log" 2>/dev/null >"$LOG" &
else
	tail -n +1 -F "$work/com1.log" 2>/dev/null | tee "$LOG" &
fi
tailer=$!
timeout -k 5 "$TIMEOUT" bochs -q -f "$work/bochsrc" -rc "$work/bochs.rc" </dev/null >"$work/bochs.out" 2>&1
rc=$?
sleep 0.3
kill "$tailer" 2>/dev/null
wait "$tailer" 2>/dev/null
tr -d '\r' <"$work/com1.log" >"$LOG"

# Bochs exits 0 only through the success port (the debugger's quit); the
# hypervisor prints its exact status, which we report.
printed=$(grep -a -o 'hv: exit status [0-9]*' "$LOG" | tail -n 1 | awk '{print $4}')
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	why="timed out after ${TIMEOUT}s"; status=124
elif [ -n "$printed" ]; then
	status=$printed; why="hypervisor exit status $status"
	[ $rc -eq 0 ] && [ "$status" -ne 0 ] && { why="$why, but Bochs exited 0"; status=125; }
	[ $rc -ne 0 ] && [ "$status" -eq 0 ] && { why="$why, but Bochs exited $rc"; status=125; }
else
	why="Bochs exited with $rc before the hypervisor's exit"; status=125
fi
if [ "$status" -ne 0 ]; then
	echo "run-bochs: $why; last console lines ($LOG):" >&2
	tail -n 25 "$LOG" | sed 's/^/  | /' >&2
	echo "run-bochs: errors from the Bochs log:" >&2
	# Bochs tags each log line with its level after the tick count: e = error, p = panic.
	grep -a -h -E '^[0-9]+[ep]\[|>>PANIC<<' "$work/bochs.log" "$work/bochs.out" 2>/dev/null | tail -n 15 | sed 's/^/  | /' >&2
fi
exit "$status"
