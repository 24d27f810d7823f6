#!/usr/bin/env bash
# One Linux VM (Debian's kernel, the BusyBox initramfs of tools/linux-images.sh)
# under the hypervisor in QEMU, or on plain QEMU as the reference (PLAIN=1).
#   tools/run-linux.sh shell   the terminal is the VM's console (make run-linux)
#   tools/run-linux.sh check   /init checks what the kernel found and prints TAP
#                              (make check-linux); exits with the run's status
# Environment: BUILD (build), CPUS (2 vCPUs), MEM_MIB (256, the VM's RAM),
#   TIMEOUT (seconds; check: 900), PLAIN=1 (no hypervisor: qemu -kernel),
#   KARGS (more kernel command line words), BACKEND (svm: QEMU; vmx: Bochs,
#   check only, its log $BUILD/linux/check-vmx.log), IPS (Bochs's instructions per second).
# Leaving the shell: `poweroff` ends the VM and the run; Ctrl-A x quits QEMU
# at once, Ctrl-A c switches to QEMU's monitor (and back).
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-shell}
BUILD=${BUILD:-build} CPUS=${CPUS:-2} MEM_MIB=${MEM_MIB:-256} PLAIN=${PLAIN:-} KARGS=${KARGS:-}
BACKEND=${BACKEND:-svm}
case "$BACKEND" in
svm) ;;
vmx) [ "$mode" = check ] || { echo "run-linux: BACKEND=vmx (Bochs) runs the check only" >&2; exit 2; } ;;
*) echo "run-linux: BACKEND must be svm (QEMU) or vmx (Bochs), not '$BACKEND'" >&2; exit 2 ;;
esac
case "$mode" in
shell) TIMEOUT=${TIMEOUT:-86400} ;;
check) TIMEOUT=${TIMEOUT:-900} ;;
*) echo "usage: $0 shell|check" >&2; exit 2 ;;
esac
images=$BUILD/linux
for f in bzImage initramfs.cpio.gz; do
	[ -f "$images/$f" ] || { echo "run-linux: $images/$f is missing (make linux-images)" >&2; exit 1; }
done
kargs="console=ttyS0 hvlinux.mode=$mode hvlinux.cpus=$CPUS hvlinux.mem_mib=$MEM_MIB $KARGS"
log=$images/$mode${PLAIN:+-plain}.log
[ "$BACKEND" = vmx ] && log=$images/$mode-vmx.log
start=$(date +%s%N)

if [ -n "$PLAIN" ]; then
	serial=(-serial "file:$log")
	[ "$mode" = shell ] && serial=(-chardev "stdio,id=com1,mux=on,signal=off,logfile=$log"
		-serial chardev:com1 -mon chardev=com1,mode=readline)
	timeout --foreground -k 5 "$TIMEOUT" qemu-system-x86_64 -machine q35 -accel tcg -cpu qemu64 \
		-smp "$CPUS" -m "$MEM_MIB" -kernel "$images/bzImage" -initrd "$images/initramfs.cpio.gz" \
		-append "$kargs" -device isa-debug-exit,iobase=0xf4,iosize=4 -display none -net none \
		-no-reboot "${serial[@]}"
	rc=$?
	# isa-debug-exit: (status << 1) | 1; 0: the kernel powered the machine off (ACPI S5)
	status=$((rc & 1 ? rc >> 1 : rc == 0 ? 0 : 125))
	[ $rc -eq 124 ] && status=124
else
	# The VM's images and its one-line config, shipped as the guest images.
	dir=$images/guests-$BACKEND
	rm -rf "$dir" && mkdir -p "$dir"
	cp "$images/bzImage" "$images/initramfs.cpio.gz" "$dir/"
	# check: the VM stops a minute before QEMU would be killed, so its verdict is printed
	timeout_ms=$(( (TIMEOUT - 60) * 1000 ))
	# (0: none; Bochs's clock follows instructions, not the wall clock TIMEOUT counts)
	[ "$mode" = shell ] || [ "$BACKEND" = vmx ] && timeout_ms=0
	expect=exit:0
	input=off # the shell's VM owns the keyboard (and prints raw, without the [linux] prefix)
	[ "$mode" = shell ] && input=on
	printf 'name=linux image=bzImage kind=linux initrd=initramfs.cpio.gz mem=%sM cpus=%s timeout_ms=%s expect=%s console_input=%s args="%s"\n' \
		"$MEM_MIB" "$CPUS" "$timeout_ms" "$expect" "$input" "$kargs" >"$dir/linux.cfg"
	qemu_mem=$(( MEM_MIB + 512 ))M
	if [ "$BACKEND" = vmx ]; then
		# Bochs (VT-x): no interactive console; IPS sets how fast the TSC runs
		# against the instructions executed (see check-linux-vmx in tests/linux.mk).
		QUIET=1 BOOT=mb2 SMP=$CPUS MEGS=$(( MEM_MIB + 256 )) IPS=${IPS:-4000000} GUESTS=$dir \
			ARGS="config=linux.cfg console=serial" LOG=$log TIMEOUT=$TIMEOUT tools/run-bochs.sh
	elif [ "$mode" = shell ]; then
		INTERACTIVE=1 GUESTS=$dir ARGS="config=linux.cfg console=serial" MEM=$qemu_mem LOG=$log \
			TIMEOUT=$TIMEOUT tools/run-qemu.sh
	else
		QUIET=1 GUESTS=$dir ARGS="config=linux.cfg console=serial" MEM=$qemu_mem LOG=$log \
			TIMEOUT=$TIMEOUT tools/run-qemu.sh
	fi
	status=$?
fi
ms=$(( ($(date +%s%N) - start) / 1000000 ))
secs=$(printf "%d.%01d" $((ms / 1000)) $((ms % 1000 / 100)))

if [ "$mode" = check ]; then
	# What the kernel said of itself, /init's TAP, and when /init began.
	tr -d '\r' <"$log" | grep -m1 'Linux version' | sed 's/^/run-linux: /'
	tr -d '\r' <"$log" | grep -E '^(\[linux\] )?(ok |not ok |1\.\.|# |hvlinux:)' | sed 's/^/run-linux: /'
	if ! tr -d '\r' <"$log" | grep -q 'hvlinux: /init started'; then
		echo "run-linux: /init never ran; the kernel's last lines ($log):"
		tr -d '\r' <"$log" | grep -v '^$' | tail -n 15 | sed 's/^/  | /'
	fi
	echo "run-linux: ${PLAIN:+plain QEMU, }status $status after ${secs} s"
fi
exit "$status"
