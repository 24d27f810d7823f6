#!/usr/bin/env bash
# Builds the Linux guest's two images from Debian packages (nothing of them is
# committed, nothing is installed into the host):
#   $OUT/bzImage             the kernel of Debian's linux-image-*-cloud-amd64
#   $OUT/kernel-version      its release, e.g. 6.1.0-57-cloud-amd64
#   $OUT/initramfs.cpio.gz   newc cpio: the static BusyBox of busybox-static,
#                            a link per applet, guests/linux/init as /init and
#                            /bin/hv-exit (guests/linux/hv-exit.asm)
# The .debs come from `apt-get download` into $OUT/debs and are unpacked with
# `dpkg-deb -x`. Environment: BUILD (build), OUT ($BUILD/linux).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT=${OUT:-$BUILD/linux}
KERNEL_META=linux-image-cloud-amd64
INIT=guests/linux/init

die() { echo "linux-images: $*" >&2; exit 1; }
for tool in apt-get apt-cache dpkg-deb cpio gzip nasm ld; do
	command -v "$tool" >/dev/null || die "'$tool' is missing (tools/deps.sh installs cpio; the rest come with Debian)"
done

# The package the metapackage points at: the kernel of the current point release.
kernel_package() {
	apt-cache depends "$KERNEL_META" 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }'
}
pkg=$(kernel_package)
if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ]; then
	echo "linux-images: no package lists know $KERNEL_META; running apt-get update" >&2
	apt-get update -q >/dev/null
	pkg=$(kernel_package)
fi
[ -n "$pkg" ] || die "apt does not know $KERNEL_META (run as root: apt-get update)"

mkdir -p "$OUT/debs"
# Downloads PACKAGE into $OUT/debs unless a .deb of it is there; prints its path.
fetch() {
	local name=$1 deb
	deb=$(ls "$OUT/debs/${name}"_*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ]; then
		(cd "$OUT/debs" && apt-get download -q "$name" >&2) || die "apt-get download $name failed"
		deb=$(ls "$OUT/debs/${name}"_*.deb | head -n 1)
	fi
	echo "$deb"
}

kdeb=$(fetch "$pkg")
bdeb=$(fetch busybox-static)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The kernel: only /boot/vmlinuz-* is kept (modules are not needed: the
# cloud flavour builds in the 8250 UART, ACPI and the initramfs support).
dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*'
vmlinuz=$(ls "$tmp"/boot/vmlinuz-* | head -n 1)
[ -f "$vmlinuz" ] || die "$kdeb has no /boot/vmlinuz-*"
cp "$vmlinuz" "$OUT/bzImage.tmp" && mv "$OUT/bzImage.tmp" "$OUT/bzImage"
basename "$vmlinuz" | sed 's/^vmlinuz-//' >"$OUT/kernel-version"

# The initramfs.
root=$tmp/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,root}
dpkg-deb -x "$bdeb" "$tmp/bb"
cp "$tmp/bb/bin/busybox" "$root/bin/busybox"
# One link per applet, where BusyBox itself says it belongs (bin/, sbin/, usr/...).
for path in $("$root/bin/busybox" --list-full); do
	[ "$path" = bin/busybox ] || ln -sf /bin/busybox "$root/$path"
done
install -m 0755 "$INIT" "$root/init"
# hv-exit: the debug-exit port from user space (guests/linux/hv-exit.asm).
nasm -f elf64 -o "$tmp/hv-exit.o" guests/linux/hv-exit.asm
ld -static -s -o "$root/bin/hv-exit" "$tmp/hv-exit.o"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9 -n >"$OUT/initramfs.cpio.gz.tmp"
mv "$OUT/initramfs.cpio.gz.tmp" "$OUT/initramfs.cpio.gz"
echo "linux-images: $OUT/bzImage ($(cat "$OUT/kernel-version"), $(stat -c %s "$OUT/bzImage") bytes)," \
	"$OUT/initramfs.cpio.gz ($(stat -c %s "$OUT/initramfs.cpio.gz") bytes)"
