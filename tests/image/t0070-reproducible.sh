#!/bin/bash
# Reproducible: a second build from the same packages and the same bootfix
# binary (taken out of the first image, in case ./bootfix was rebuilt
# since), in another directory, gives the same bytes.
. "$(dirname "$0")/lib.sh"

test_expect_success 'a second build gives the same image, byte for byte' '
	test -f "$IMAGE" &&
	mcopy -i "$IMAGE@@$ESP_OFFSET" ::/boot/initrd.img . &&
	zstd -dc initrd.img | cpio -i --quiet --to-stdout usr/sbin/bootfix > bootfix &&
	chmod +x bootfix &&
	{ BOOTFIX_BIN=$PWD/bootfix "$TOP/image/build" --out out2 > build.log 2>&1 ||
		{ tail -n 20 build.log; false; }; } &&
	echo "# first:  $(cut -c1-64 "${IMAGE%/*}/bootfix.img.sha256")" &&
	echo "# second: $(cut -c1-64 out2/bootfix.img.sha256)" &&
	cmp "$IMAGE" out2/bootfix.img &&
	cmp "$MANIFEST" out2/bootfix.manifest
'
test_done
