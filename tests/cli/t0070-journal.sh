#!/bin/bash
# A crashed Windows leaves its NTFS journal unclean; fast restart leaves
# metadata cached.  bootfix replays the journal with ntfsrecover (never lets
# ntfs-3g reset it) and refuses fast restart unless told.  The $LogFile
# states are written by tests/tools/ntfs-logstate (valid restart pages and a
# checkpoint record that ntfs-3g and ntfsrecover accept).
. "$(dirname "$0")/../lib.sh"

F=C-00000291-00000000-00000032.sys

# disk_with STATE IMG : a Windows disk with a faulty file and that journal state
disk_with() {
	make_disk $2 gpt 40 32 && dev=$(attach $2) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w $F "$FAULTY_TIME" &&
	if [ "${3:-}" = hibernated ]; then
		{ printf HIBR; head -c 8188 /dev/zero; } > w/hiberfil.sys
	fi &&
	ntfs_umount w && losetup -d $dev &&
	off=$(( $(partx -g -o START -n 1 $2) * 512 )) &&
	$LOGSTATE $2 --offset $off $1 >/dev/null &&
	echo $off > $2.off
}
logstate() { $LOGSTATE $1 --offset $(cat $1.off) show; }

test_expect_success 'setup: a volume with an unclean journal' '
	disk_with unclean u.img && logstate u.img | grep -i "unclean" &&
	image_sha u.img > u.sha
'

test_expect_success 'scan and dry run leave an unclean volume byte for byte' '
	expect_exit 1 $BOOTFIX scan --device u.img --json > us.json &&
	python3 -c "
import json; v = json.load(open(\"us.json\"))[\"volumes\"][0]
assert v[\"fast_restart\"] is False and v[\"problem\"] == \"none\", v" &&
	expect_exit 1 $BOOTFIX fix --dry-run --device u.img >/dev/null &&
	test "$(image_sha u.img)" = "$(cat u.sha)"
'

test_expect_success 'fix replays the journal with ntfsrecover, then quarantines' '
	expect_exit 0 $BOOTFIX fix --device u.img --json > fix.json &&
	python3 -c "
import json; v = json.load(open(\"fix.json\"))[\"volumes\"][0]
assert v[\"journal_replayed\"] and v[\"outcome\"] == \"fixed\", v" &&
	logstate u.img > state && cat state &&
	grep -i "clean" state && ! grep -i "unclean" state && ! grep -i "empty" state
'

test_expect_success 'setup: fast restart' '
	disk_with fast-restart f.img && logstate f.img | grep -i "fast" &&
	image_sha f.img > f.sha
'

test_expect_success 'scan sees fast restart (ntfsrecover -n), changes no byte' '
	expect_exit 1 $BOOTFIX scan --device f.img --json > fs.json &&
	python3 -c "
import json; v = json.load(open(\"fs.json\"))[\"volumes\"][0]
assert v[\"fast_restart\"] is True and v[\"problem\"] == \"fast-restart\", v
assert v[\"hibernated\"] is False and v[\"outcome\"] == \"nothing-to-fix\", v
assert \"disk_model\" not in v and \"disk_serial\" not in v, v" &&
	expect_exit 1 $BOOTFIX scan --device f.img > fs.out && cat fs.out &&
	grep -E "^/dev/loop[0-9]+p1  ntfs .*Windows \(DESKTOP-2KGM189\)  fast restart$" fs.out &&
	grep -Fx "  Windows was shut down with fast restart: a fix drops the changes it keeps cached (--kill-fast-restart)" fs.out &&
	! grep -F "  disk " fs.out &&
	test "$(image_sha f.img)" = "$(cat f.sha)"
'

test_expect_success 'fix refuses fast restart, names --kill-fast-restart, changes no byte' '
	expect_exit 1 $BOOTFIX fix --device f.img > out && cat out &&
	grep -F "refused: refusing to change /dev/loop" out &&
	grep -F -- "--kill-fast-restart" out &&
	expect_exit 1 $BOOTFIX fix --device f.img --json > fr.json &&
	python3 -c "
import json; v = json.load(open(\"fr.json\"))[\"volumes\"][0]
assert v[\"problem\"] == \"fast-restart\" and v[\"outcome\"] == \"refused\", v" &&
	test "$(image_sha f.img)" = "$(cat f.sha)"
'

# fake_ntfsrecover DIR MODE : an ntfsrecover in DIR that, for -n, says
# nothing (quiet) or never ends (hang: 300 KB of output, then it waits for a
# child of its own that is deaf to SIGTERM and holds the output open); for
# anything else the real one
fake_ntfsrecover() {
	mkdir -p $1 && cat > $1/ntfsrecover <<-EOF && chmod +x $1/ntfsrecover
	#!/bin/bash
	case " \$* " in *" -n "*) ;; *) exec $(command -v ntfsrecover) "\$@" ;; esac
	echo \$\$ > $TRASH/$1.pid
	[ $2 = quiet ] && exit 0
	head -c 300000 /dev/zero | tr "\\\\0" x
	( trap "" TERM; echo \$BASHPID > $TRASH/$1.child; while :; do sleep 1; done ) &
	wait
	EOF
}

test_expect_success 'fast restart the look missed: the refusal still sets problem' '
	fake_ntfsrecover quiet quiet &&
	PATH=$TRASH/quiet:$PATH expect_exit 1 $BOOTFIX fix --device f.img --json > q.json &&
	test -s quiet.pid &&
	python3 -c "
import json; v = json.load(open(\"q.json\"))[\"volumes\"][0]
assert v[\"fast_restart\"] is True and v[\"problem\"] == \"fast-restart\", v
assert v[\"outcome\"] == \"refused\" and \"--kill-fast-restart\" in v[\"reason\"], v" &&
	test "$(image_sha f.img)" = "$(cat f.sha)"
'

test_expect_success 'an ntfsrecover -n that never ends is stopped, its children too; scan says it cannot tell' '
	fake_ntfsrecover hang hang &&
	start=$(date +%s) &&
	PATH=$TRASH/hang:$PATH expect_exit 1 $BOOTFIX scan --device f.img --json > hang.json &&
	took=$(( $(date +%s) - start )) && echo "took $took s" &&
	test $took -ge 20 && test $took -lt 40 &&
	process_gone $(cat hang.pid) && process_gone $(cat hang.child) &&
	python3 -c "
import json; v = json.load(open(\"hang.json\"))[\"volumes\"][0]
assert v[\"fast_restart\"] is False and v[\"problem\"] == \"none\", v
assert \"ntfsrecover -n was still reading its \$LogFile after 20 seconds\" in v[\"identity_note\"], v
assert v[\"computer_name\"] == \"DESKTOP-2KGM189\" and v[\"findings\"], v" &&
	test "$(image_sha f.img)" = "$(cat f.sha)"
'

test_expect_success 'fix --kill-fast-restart clears it with ntfsrecover -k and fixes' '
	expect_exit 0 $BOOTFIX fix --device f.img --kill-fast-restart --json > k.json &&
	python3 -c "
import json; v = json.load(open(\"k.json\"))[\"volumes\"][0]
assert v[\"fast_restart_killed\"] and v[\"outcome\"] == \"fixed\", v" &&
	! logstate f.img | grep -i "fast" &&
	expect_exit 0 $BOOTFIX scan --device f.img --json > after.json &&
	python3 -c "
import json; v = json.load(open(\"after.json\"))[\"volumes\"][0]
assert v[\"fast_restart\"] is False and v[\"problem\"] == \"none\", v"
'

test_expect_success 'hibernated and fast restart: scan says both, hibernated first' '
	disk_with fast-restart hf.img hibernated && image_sha hf.img > hf.sha &&
	expect_exit 1 $BOOTFIX scan --device hf.img --json > hf.json &&
	python3 -c "
import json; v = json.load(open(\"hf.json\"))[\"volumes\"][0]
assert v[\"hibernated\"] and v[\"fast_restart\"] and v[\"problem\"] == \"hibernated\", v" &&
	expect_exit 1 $BOOTFIX fix --device hf.img --json > hff.json &&
	python3 -c "
import json; v = json.load(open(\"hff.json\"))[\"volumes\"][0]
assert v[\"problem\"] == \"hibernated\" and v[\"outcome\"] == \"refused\", v" &&
	test "$(image_sha hf.img)" = "$(cat hf.sha)"
'


test_expect_success 'hibernated and unclean: refused untouched; --discard-hibernation replays and fixes' '
	disk_with unclean h.img hibernated && image_sha h.img > h.sha &&
	expect_exit 1 $BOOTFIX fix --device h.img > out &&
	grep -F -- "--discard-hibernation" out &&
	test "$(image_sha h.img)" = "$(cat h.sha)" &&
	expect_exit 0 $BOOTFIX fix --device h.img --discard-hibernation --json > h.json &&
	python3 -c "
import json; v = json.load(open(\"h.json\"))[\"volumes\"][0]
assert v[\"journal_replayed\"] and v[\"hibernation_discarded\"] and v[\"outcome\"] == \"fixed\", v"
'

test_done
