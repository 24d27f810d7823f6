#!/usr/bin/env bash
# Builds a raw disk image for bare metal (write it to a USB stick with dd):
# a GPT (with its protective MBR) holding one EFI system partition, the same
# FAT image that make run boots (tools/mkesp.sh).
# usage: tools/mkusb.sh OUT.img BOOTX64.EFI "COMMAND LINE" [GUEST_DIR]
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 OUT.img BOOTX64.EFI \"COMMAND LINE\" [GUEST_DIR]" >&2; exit 2; }
out=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$(dirname "$0")/mkesp.sh" "$tmp/esp.img" "$2" "$3" "${4:-}"

ESP_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
start_mib=1                                   # 1 MiB alignment, as partitioning tools do
esp_bytes=$(stat -c %s "$tmp/esp.img")
esp_sectors=$((esp_bytes / 512))
rm -f "$out"
truncate -s $(( (start_mib + 1) * 1048576 + esp_bytes )) "$out"   # + 1 MiB for the backup GPT
printf 'label: gpt\nstart=%d, size=%d, type=%s, name="EFI system partition"\n' \
	$((start_mib * 2048)) "$esp_sectors" "$ESP_TYPE" | sfdisk --quiet "$out"
dd if="$tmp/esp.img" of="$out" bs=1M seek=$start_mib conv=notrunc status=none
echo "mkusb: $out ($((esp_bytes / 1048576)) MiB ESP); write it with: dd if=$out of=/dev/sdX bs=4M conv=fsync"
