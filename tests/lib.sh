# tests/lib.sh - shared by every tests/cli/tNNNN-*.sh (after git's t/).
#
# Each test script runs in a fresh trash directory, builds its own real
# disk images (sfdisk, mkntfs, ntfs-3g) and cleans up every mount and loop
# device on exit.  test_expect_success 'what' 'commands chained with &&'
# records a pass or a failure; test_done prints "N passed, N failed".

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIXTURE_TOP=$TOP
. "$TOP/scripts/fixture-lib.sh"
BOOTFIX=${BOOTFIX_BIN:-$TOP/bootfix}	# BOOTFIX_BIN: a snapshot to test while the tree is rebuilt
export BOOTFIX_RULES_DIR=$TOP/rules
LOGSTATE=$TOP/tests/tools/ntfs-logstate
NAME=$(basename "$0" .sh)
TRASH=$(mktemp -d "$TOP/tests/trash.$NAME.XXXXXX")
# this test's own run folder: its lock, mount points and state files
export BOOTFIX_RUN_DIR=$TRASH/run
test_count=0
test_failed=0

# process_gone PID: it has ended (a zombie not yet reaped counts as ended)
process_gone() {
	case $(awk '{ print $3 }' /proc/$1/stat 2>/dev/null) in
	''|Z|X) return 0 ;;
	esac
	return 1
}

# ntfs-3g daemons a killed bootfix of this test left (named in its state files)
leftover_ntfs3g() {
	cat "$BOOTFIX_RUN_DIR"/state.* 2>/dev/null | awk '$1 == "ntfs-3g" { print $2 }'
}

cleanup_trash() {
	local m l p
	# SIGTERM: ntfs-3g unmounts and flushes (SIGKILL would leave it stuck
	# in the kernel, waiting for itself to answer the unmount)
	for p in $(leftover_ntfs3g); do
		kill "$p" 2>/dev/null
	done
	for p in $(leftover_ntfs3g); do
		for _ in $(seq 1 300); do
			process_gone "$p" && break
			sleep 0.1
		done
	done
	for m in $(awk -v t="$TRASH" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	for l in $(losetup -n -O NAME,BACK-FILE 2>/dev/null | awk -v t="$TRASH" 'index($2, t) == 1 { print $1 }'); do
		losetup -d "$l" 2>/dev/null
	done
	sleep 0.2
	[ -n "${KEEP_TRASH:-}" ] || rm -rf "$TRASH"
}
trap cleanup_trash EXIT
cd "$TRASH" || exit 1

test_expect_success() {
	local desc=$1 body=$2 out rc
	test_count=$((test_count + 1))
	out="$TRASH/.out.$test_count"
	eval "$body" >"$out" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		echo "ok $test_count - $NAME: $desc"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $NAME: $desc"
		sed 's/^/#   /' "$out" | tail -n 40
	fi
}

test_done() {
	echo "$((test_count - test_failed)) passed, $test_failed failed"
	[ $test_failed = 0 ]
}

# helpers for assertions
expect_exit() {	# expect_exit CODE command...
	local want=$1 got
	shift
	"$@"
	got=$?
	[ "$got" = "$want" ] || { echo "expected exit $want, got $got: $*"; return 1; }
}

image_sha() { sha256sum "$1" | cut -c1-64; }

# outside_sha FILE OFF LEN: sha256 of FILE without its bytes OFF..OFF+LEN
# (what a fix of the volume there must never change)
outside_sha() {
	python3 - "$1" "$2" "$3" <<-'PY'
	import hashlib, sys
	h, (off, n) = hashlib.sha256(), map(int, sys.argv[2:])
	with open(sys.argv[1], "rb") as f:
	    h.update(f.read(off)); f.seek(off + n); h.update(f.read())
	print(h.hexdigest())
	PY
}

# with_volume IMG PARTNO DIR : attach image and mount one partition read-write
with_volume() {
	local dev
	dev=$(attach "$1") || return 1
	echo "$dev" > "$TRASH/.loop"
	ntfs_mount "${dev}p$2" "$3"
}
# done_volume DIR : unmount and detach what with_volume made
done_volume() {
	ntfs_umount "$1" && losetup -d "$(cat "$TRASH/.loop")"
}
