#!/usr/bin/env bash
# Installs the Debian packages the project needs. As root it runs apt-get;
# otherwise it prints the exact command. `--check` only reports what is missing.
set -euo pipefail
PKGS=(gcc make gnu-efi nasm ovmf qemu-system-x86 bochs bochsbios vgabios
      grub-pc-bin grub-common xorriso mtools dosfstools libcmocka-dev gdb
      fdisk python3 clang libcapstone-dev cpio)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "${1:-}" = "--check" ]; then
	echo "missing packages: ${missing[*]}" >&2
	exit 1
fi
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages; run as root: apt-get update && $cmd" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
$cmd -q
