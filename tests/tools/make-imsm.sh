#!/bin/bash
# make-imsm.sh - make tests/data/imsm-raid1-{a,b}.img.xz: the two member
# disks of a real Intel RST (IMSM metadata) RAID 1 volume holding a crashed
# Windows disk (MBR, one NTFS partition with the Windows tree and a faulty
# channel file, made by scripts/fixture-lib.sh; SYSTEM a placeholder).
#
# The host kernel may lack md, so the array is made in qemu by the image's
# own kernel (Debian's linux-image, unpacked by image/build) from a small
# initramfs of busybox-static, the host's mdadm and mdmon, and md-mod/raid1:
#   IMSM_NO_PLATFORM=1 mdadm -C /dev/md/imsm0 -e imsm -n 2 sda sdb (q35 SATA)
#   mdadm -C /dev/md/vol0 -l 1 -n 2 /dev/md/imsm0 --assume-clean
#   dd the Windows disk (virtio vda) onto the volume, wait clean, stop.
#
# With METADATA=ddf the same with SNIA DDF metadata (mdadm -e ddf):
# tests/data/ddf-raid1-{a,b}.img.xz.
#
# usage: [METADATA=imsm|ddf] tests/tools/make-imsm.sh [OUTDIR] (root; default tests/data)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/tests/data}
meta=${METADATA:-imsm}
case $meta in imsm|ddf) ;; *) echo "make-imsm: METADATA is imsm or ddf" >&2; exit 2 ;; esac
pkg=${PKGDIR:-}
if [ -z "$pkg" ]; then
	for d in "$top"/out/build/pkg/linux-image-*-amd64 /work/main/out/build/pkg/linux-image-*-amd64; do
		[ -d "$d" ] && { pkg=$d; break; }
	done
fi
[ -n "$pkg" ] || { echo "make-imsm: no unpacked linux-image (make image first, or PKGDIR=)" >&2; exit 1; }
kver=$(ls "$pkg/lib/modules" | head -n1)
kmod=$pkg/lib/modules/$kver/kernel
work=$(mktemp -d /tmp/make-imsm.XXXXXX)
trap 'umount "$work/mnt" 2>/dev/null || true; losetup -j "$work/win.img" -O NAME -n | xargs -r -n1 losetup -d; rm -rf "$work"' EXIT

. "$top/scripts/fixture-lib.sh"

# the Windows disk the volume will hold (smaller than the volume)
make_disk "$work/win.img" mbr 40 32
dev=$(attach "$work/win.img")
ntfs_format "${dev}p1" Windows
ntfs_mount "${dev}p1" "$work/mnt"
# the real hive (1.7 MB compressed) would make each member that big: a
# placeholder marks the tree as Windows; its computer name stays unknown
windows_tree "$work/tree"
printf 'not a hive: made by tests/tools/make-imsm.sh\n' > "$work/tree/Windows/System32/config/SYSTEM"
cp -a "$work/tree/." "$work/mnt/"
channel_file "$work/mnt" C-00000291-00000000-00000032.sys "$FAULTY_TIME" zero
channel_file "$work/mnt" C-00000291-00000000-00000031.sys "$FIXED_TIME"
ntfs_umount "$work/mnt"
losetup -d "$dev"

# the initramfs
r=$work/root
mkdir -p "$r"/{bin,sbin,lib/x86_64-linux-gnu,lib64,proc,sys,dev,run/mdadm,tmp,mod}
cp /usr/bin/busybox "$r/bin/busybox"
cp /sbin/mdadm /sbin/mdmon "$r/sbin/"
for lib in $(ldd /sbin/mdadm /sbin/mdmon | awk '/=> \//{ print $3 } /^\t\/lib64/{ print $1 }' | sort -u); do
	cp -L "$lib" "$r$lib"
done
mods="drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev
      drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci drivers/block/virtio_blk
      drivers/scsi/scsi_common drivers/scsi/scsi_mod drivers/ata/libata drivers/ata/libahci
      drivers/ata/ahci lib/crc64 lib/crc64-rocksoft crypto/crct10dif_common lib/crc-t10dif
      block/t10-pi drivers/scsi/sd_mod drivers/md/md-mod drivers/md/raid1"
for m in $mods; do
	cp "$kmod/$m.ko" "$r/mod/"
done
echo "${mods//$'\n'/ }" | tr ' ' '\n' | sed -n 's|.*/||p' | tr '\n' ' ' > "$r/mod/order"
echo "$meta" > "$r/meta"
cat > "$r/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /mod/order); do
	insmod /mod/$m.ko
done
for i in $(seq 1 100); do [ -b /dev/sdb ] && [ -b /dev/vda ] && break; sleep 0.1; done
export IMSM_NO_PLATFORM=1 MDADM_NO_UDEV=1
set -x
meta=$(cat /meta)
mdadm -C /dev/md/imsm0 -e $meta -n 2 /dev/sda /dev/sdb -R &&
mdadm -C /dev/md/vol0 -l 1 -n 2 /dev/md/imsm0 -R --assume-clean &&
dd if=/dev/vda of=/dev/md/vol0 bs=1M conv=fsync && echo WINDOWS-WRITTEN
sync; mdadm --wait-clean /dev/md/vol0; cat /proc/mdstat
mdadm --detail /dev/md/vol0
mdadm --stop /dev/md/vol0 && mdadm --stop /dev/md/imsm0 && echo IMSM-MADE
sync
poweroff -f
EOF
chmod +x "$r/init"
(cd "$r" && find . | cpio -o -H newc --quiet) | gzip -1 > "$work/initrd"

# DDF keeps 32 MiB of each disk for its metadata
size=64M; [ "$meta" = ddf ] && size=96M
truncate -s $size "$work/a.img" "$work/b.img"
timeout 600 qemu-system-x86_64 -m 512 -nographic -no-reboot \
	-kernel "$pkg/boot/vmlinuz-$kver" -initrd "$work/initrd" \
	-append "console=ttyS0 panic=-1 quiet" \
	-M q35 -drive file="$work/a.img",format=raw,if=none,id=a \
	-device ide-hd,bus=ide.0,drive=a,serial=BFXIMSM0A,model=bootfix-imsm-a \
	-drive file="$work/b.img",format=raw,if=none,id=b \
	-device ide-hd,bus=ide.1,drive=b,serial=BFXIMSM0B,model=bootfix-imsm-b \
	-drive file="$work/win.img",format=raw,if=virtio,readonly=on \
	</dev/null > "$work/console.log" 2>&1 || true
if ! grep -q IMSM-MADE "$work/console.log" || ! grep -q '^WINDOWS-WRITTEN' "$work/console.log"; then
	cat "$work/console.log" >&2
	echo "make-imsm: the guest did not make the array" >&2
	exit 1
fi
grep -E 'md12|resync|raid1|State' "$work/console.log" || true
mkdir -p "$out"
for m in a b; do
	xz -9 -c "$work/$m.img" > "$out/$meta-raid1-$m.img.xz"
done
ls -l "$out/$meta"-raid1-*.img.xz
