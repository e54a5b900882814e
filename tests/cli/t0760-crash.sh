#!/bin/bash
# kill -9 at several points of a 500-file fix (what a power cut leaves, as
# seen through a second read-only mount of the image; the power cut itself
# is tests/image/t0100-power-cut.sh): after the begun record,
# between a manifest entry and its move, between a move and its SHA256 line,
# after the last move, while copying to the stick.  Each time: the log
# verifies and shows the run as interrupted; every file is in place or in
# quarantine intact, and the manifest lists exactly the moved files but for
# at most the one in flight; the next fix makes that manifest exact and
# finishes; restore brings all 500 back.
. "$(dirname "$0")/../lib.sh"

N=500

test_expect_success 'setup: 500 faulty files' '
	make_disk base.img gpt 60 48 && dev=$(attach base.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && mkdir -p w/$CS_DIR &&
	for i in $(seq 1 $N); do
		head -c 4096 /dev/urandom > w/$CS_DIR/C-00000291-00000000-$(printf %08d $i).sys || exit 1
	done &&
	touch -d "$FAULTY_TIME" w/$CS_DIR/* &&
	(cd w/$CS_DIR && sha256sum *) > all.sha &&
	ntfs_umount w && losetup -d $dev
'

# check_volume IMG [cut]: every file in place or quarantined intact; each
# manifest lists exactly what its folder holds (with cut: a manifest without
# its end line may miss the one file in flight)
check_volume() {
	local dev q n=0 m l
	dev=$(attach "$1") && ntfs-3g -o ro ${dev}p1 w || return 1
	for q in w/bootfix-quarantine/*/; do
		[ -d "$q" ] || continue
		l=$(grep -c "^SHA256 " $q/manifest.txt)
		m=$(find $q -name "*.sys" | wc -l)
		if [ $l -gt 0 ]; then
			(cd $q && sha256sum --quiet -c manifest.txt) || { echo "bad manifest $q"; return 1; }
		fi
		echo "$q lists $l, holds $m"
		if [ "$l" != "$m" ]; then
			[ "${2:-}" = cut ] && [ $((l + 1)) = $m ] && ! grep -q "^# end:" $q/manifest.txt ||
				{ echo "manifest of $q is not exact"; return 1; }
		fi
		n=$((n + m))
	done
	echo "in quarantine: $n, in place: $(ls w/$CS_DIR | wc -l)"
	[ $((n + $(ls w/$CS_DIR | wc -l))) = $N ] || { echo "files lost or doubled"; return 1; }
	# every file, wherever it is, has its bytes
	(cd w && find $CS_DIR bootfix-quarantine -name "*.sys" -exec sha256sum {} + 2>/dev/null) |
		awk "{ n = split(\$2, p, \"/\"); print \$1 \"  \" p[n] }" | sort -k2 | cmp - <(sort -k2 all.sha) ||
		{ echo "a file lost its bytes"; return 1; }
	ntfs_umount w && losetup -d $dev
}

# check_restored IMG: all 500 back in place, bit-exact
check_restored() {
	local dev
	dev=$(attach "$1") && ntfs-3g -o ro ${dev}p1 w || return 1
	[ $(ls w/$CS_DIR | wc -l) = $N ] && (cd w/$CS_DIR && sha256sum --quiet -c "$TRASH/all.sha") &&
		ntfs_umount w && losetup -d $dev
}

for point in begun:1 intent:1 moved:250 confirmed:500 copied:10; do
	name=${point%%:*}
	test_expect_success "kill -9 at $point: log intact, run interrupted, nothing lost" "
		cp --sparse=always base.img $name.img && mkdir -p data-$name &&
		BOOTFIX_TEST_KILL=$point $BOOTFIX fix --device $name.img --data data-$name > $name.out 2>&1
		test \$? = 137 &&
		expect_exit 0 $BOOTFIX log verify data-$name/logs/bootfix.jsonl &&
		$BOOTFIX log list data-$name/logs/bootfix.jsonl > $name.list && cat $name.list &&
		test \$(grep -c ' interrupted\$' $name.list) = 1 &&
		check_volume $name.img cut
	"
	test_expect_success "after $point: the next fix cleans up and finishes; manifests exact; restore all" "
		expect_exit 0 $BOOTFIX fix -v --device $name.img --data data-$name > $name.fix 2> $name.err &&
		grep -F 'cleaned up after a bootfix that was killed' $name.err &&
		test -z \"\$(ls $BOOTFIX_RUN_DIR/state.* 2>/dev/null)\" &&
		check_volume $name.img > $name.check && cat $name.check &&
		grep -q 'in place: 0\$' $name.check &&
		$BOOTFIX log list data-$name/logs/bootfix.jsonl > $name.list2 &&
		grep -q ' interrupted\$' $name.list2 &&
		tail -n1 $name.list2 | grep -E -q ' (fixed|nothing-to-fix)\$' &&
		expect_exit 0 $BOOTFIX restore --device $name.img --data data-$name > $name.rest &&
		check_restored $name.img
	"
done

test_done
