#!/usr/bin/env bash
# Builds a FAT EFI system partition image with mtools (no mounting, no root):
#   \EFI\BOOT\BOOTX64.EFI   the hypervisor
#   \EFI\hv\cmdline.txt     its command line
#   \EFI\hv\guests\*        every file of GUEST_DIR (if it exists)
# usage: tools/mkesp.sh OUT.img BOOTX64.EFI "COMMAND LINE" [GUEST_DIR]
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 OUT.img BOOTX64.EFI \"COMMAND LINE\" [GUEST_DIR]" >&2; exit 2; }
out=$1 efi=$2 cmdline=$3 guests=${4:-}
[ -f "$efi" ] || { echo "mkesp: $efi does not exist (run make first)" >&2; exit 1; }

# Size: 64 MiB, or more when the guest images need it (FAT32 wants >= 33 MiB).
need_kb=$(du -skL "$efi" ${guests:+$( [ -d "$guests" ] && echo "$guests")} 2>/dev/null | awk '{s += $1} END {print s}')
size_mb=$(( need_kb / 1024 * 2 + 64 ))

export MTOOLS_SKIP_CHECK=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f "$out"
truncate -s ${size_mb}M "$out"
mkfs.vfat -F 32 -n HVESP "$out" >/dev/null
mmd -i "$out" ::/EFI ::/EFI/BOOT ::/EFI/hv ::/EFI/hv/guests
mcopy -i "$out" "$efi" ::/EFI/BOOT/BOOTX64.EFI
printf '%s\n' "$cmdline" >"$tmp/cmdline.txt"
mcopy -i "$out" "$tmp/cmdline.txt" ::/EFI/hv/cmdline.txt
if [ -n "$guests" ] && [ -d "$guests" ]; then
	for f in "$guests"/*; do
		[ -f "$f" ] && mcopy -i "$out" "$f" "::/EFI/hv/guests/$(basename "$f")"
	done
fi
exit 0
