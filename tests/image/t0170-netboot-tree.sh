#!/bin/bash
# make netboot's tree (image/netboot, docs/netboot.md), no machine booted:
# Debian's signed shim and network GRUB byte for byte, GRUB's built-in
# prefix (/grub) where grub.cfg is, the stick's kernel and initramfs byte
# for byte, pxelinux; the site settings as a second, reproducible newc
# archive under /site; a warning for keys; every hostile site folder
# refused with one line and no tree written.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/image/lib-netboot.sh"

PKG=$NB_BUILD/pkg

test_expect_success 'signed shim and network GRUB from the packages, byte for byte' '
	cmp "$NETBOOT/bootx64.efi" $PKG/shim-signed/usr/lib/shim/shimx64.efi.signed &&
	cmp "$NETBOOT/grubx64.efi" $PKG/grub-efi-amd64-signed/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed &&
	cmp "$NETBOOT/mmx64.efi" $PKG/shim-helpers-amd64-signed/usr/lib/shim/mmx64.efi.signed &&
	cmp "$NETBOOT/lpxelinux.0" $PKG/pxelinux/usr/lib/PXELINUX/lpxelinux.0 &&
	test ! -e "$NETBOOT/fbx64.efi"
'

test_expect_success 'GRUB built-in prefix is /grub, and grub/grub.cfg is there' '
	objcopy -O binary --only-section=mods "$NETBOOT/grubx64.efi" mods.bin &&
	python3 -c "
import struct
d = open(\"mods.bin\", \"rb\").read()
magic, _, off, size = struct.unpack_from(\"<IIQQ\", d, 0)
assert magic == 0x676d696d, hex(magic)
p, prefix = off, None
while p < size:
    t, s = struct.unpack_from(\"<II\", d, p)
    if t == 3:
        prefix = d[p + 8:p + s].rstrip(b\"\\0\").decode()
    p += s
print(\"prefix\", prefix)
assert prefix == \"/grub\", prefix
" &&
	grep -q "^	linux /boot/vmlinuz .* bootfix.data=none$" "$NETBOOT/grub/grub.cfg"
'

test_expect_success 'the kernel and initramfs are the stick image files, byte for byte' '
	for f in boot/vmlinuz boot/initrd.img; do
		test "$(sha256sum < "$NETBOOT/$f" | cut -c1-64)" = \
		     "$(sed -n "s|^SHA256 ($f) = ||p" "$MANIFEST")" || return 1
	done
'

test_expect_success 'site settings: a second newc archive under /site, loaded after the main one' '
	mkdir -p site/rules site/keys &&
	printf "mode = auto\n" > site/bootfix.conf &&
	printf "# none yet\n" > site/rules/site.rules &&
	mkdir -p site/keys && printf "dummy CA\n" > site/keys/log-ca.pem &&
	netboot_tree nb --site site 2> err && cat err && ! grep -q warning err &&
	cpio -t -v < nb/boot/site.img > list 2>/dev/null && cat list &&
	test "$(awk "{ print \$NF }" list | tr "\n" " ")" = \
	     "site site/bootfix.conf site/keys site/keys/log-ca.pem site/rules site/rules/site.rules " &&
	! awk "\$2 != 1 || \$3 != \"root\" || \$4 != \"root\"" list | grep -v "^d" | grep . &&
	grep -q "^	initrd /boot/initrd.img /boot/site.img$" nb/grub/grub.cfg &&
	grep -q "^	INITRD boot/initrd.img,boot/site.img$" nb/pxelinux.cfg/default &&
	cmp nb/boot/initrd.img "$NETBOOT/boot/initrd.img" &&
	netboot_tree nb2 --site site 2> /dev/null && cmp nb/boot/site.img nb2/boot/site.img &&
	tail -n +2 nb.manifest > m1 && tail -n +2 nb2.manifest > m2 && diff m1 m2
'

test_expect_success 'keys in the site settings: a warning that TFTP is clear text' '
	printf "KeyId,RecoveryPassword\r\n" > site/keys/ward.csv &&
	netboot_tree nb --site site 2> err && cat err &&
	test "$(grep -c "warning: SITE/keys/ has 1 file(s)" err)" = 1 &&
	grep -q "clear text" err && cpio -t < nb/boot/site.img 2>/dev/null | grep -qx site/keys/ward.csv
'

# refused WHAT REGEX: image/netboot --site bad fails with one line matching REGEX
refused() {
	rm -rf out-bad out-bad.manifest &&
	! netboot_tree out-bad --site "$1" 2> err && cat err &&
	test "$(wc -l < err)" = 1 && grep -E -q "$2" err && test ! -e out-bad
}

test_expect_success 'hostile site folders are refused with one line' '
	mkdir -p b1 && ln -s /etc/shadow b1/bootfix.conf &&
	refused b1 "SITE/bootfix.conf: a symbolic link: refusing it" &&
	mkdir -p b2/rules && ln -s /etc b2/rules/etc &&
	refused b2 "SITE/rules/etc: a symbolic link" &&
	mkdir -p b3 && mkfifo b3/fifo && refused b3 "SITE/fifo: a device, pipe or socket" &&
	mkdir -p b4 && mknod b4/sda b 8 0 && refused b4 "SITE/sda: a device, pipe or socket" &&
	mkdir -p b5/keys && truncate -s 5M b5/keys/huge.bek &&
	refused b5 "SITE/keys/huge.bek: 5242880 bytes, too big" &&
	mkdir -p b6 && for i in 1 2 3 4 5; do truncate -s 4M b6/f$i || return 1; done &&
	refused b6 "over 16777216 bytes in all" &&
	mkdir -p b7 && : > "b7/$(printf "x\033[2Jy")" && refused b7 "a name with control characters" &&
	mkdir -p b8 && : > "b8/$(printf "new\nline")" && refused b8 "a name with control characters" &&
	ln -s site b9 && refused b9 "site folder b9: a symbolic link" &&
	mkdir -p b10/rules && (cd b10/rules && seq 1 1001 | xargs touch) &&
	refused b10 "over 1000 files and folders" &&
	refused nowhere "site folder nowhere: no such folder" &&
	! grep -q "$(printf "\033")" err
'
test_done
