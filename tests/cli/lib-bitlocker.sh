# tests/cli/lib-bitlocker.sh - sourced by tests/cli/t06NN-bitlocker-*.sh after
# tests/lib.sh: the 21 Windows-made BitLocker images of tests/data,
# extracted into the trash directory (never written in place).

BITLK_TAR=$TESTDATA/bitlk-images.tar.xz
IMGS=$TRASH/bitlk-images

# bitlk_extract : unpack the images (sparse: 2.2 GB apparent, under 1 MB real)
bitlk_extract() {
	tar -xJf "$BITLK_TAR" -C "$TRASH" && chmod u+w "$IMGS"/*.img
}

# images : every image name in images.conf
images() { sed -n 's/^\[\(.*\)\]$/\1/p' "$IMGS/images.conf"; }

# conf IMAGE KEY : a value from images.conf ("" when absent or empty)
conf() {
	awk -v s="[$1]" -v k="$2" '
		$0 == s { f = 1; next }
		/^\[/ { f = 0 }
		f && index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }
	' "$IMGS/images.conf"
}

# upper GUID : the key ID as bootfix prints it
upper() { printf '%s' "$1" | tr a-f A-F; }

# no_keys_in FILE... : no recovery password, password or key of images.conf in FILE
no_keys_in() {
	local i k v d
	for i in $(images); do
		for k in RP RP2; do
			v=$(conf "$i" $k)
			[ -n "$v" ] || continue
			d=$(printf '%s' "$v" | tr -d -)
			if grep -qF -e "$v" -e "$d" -e "${v:7:13}" "$@"; then
				echo "a recovery password of $i leaked into $*"
				return 1
			fi
		done
	done
	return 0
}

# a test that failed half-way leaves no mapping behind: SIGTERM closes it
UNLOCK_PID=
bitlk_cleanup() {
	if [ -n "$UNLOCK_PID" ] && kill -0 "$UNLOCK_PID" 2>/dev/null; then
		kill -TERM "$UNLOCK_PID"
		wait "$UNLOCK_PID" 2>/dev/null
	fi
	cleanup_trash
}
trap bitlk_cleanup EXIT

# unlock_rw IMAGE KEYARGS STDIN-KEY : start `bootfix unlock` read-write in the
# background, its stdin a fifo we hold; sets MAPPED to the device and
# UNLOCK_PID.  unlock_done closes it (a newline on stdin) and waits.
unlock_rw() {
	local img=$1 args=$2 key=$3 i
	rm -f "$TRASH/ctl" "$TRASH/unlock.out" "$TRASH/unlock.err"
	mkfifo "$TRASH/ctl" || return 1
	exec 7<>"$TRASH/ctl"
	[ -z "$key" ] || printf '%s\n' "$key" >&7
	# 7>&-: bootfix must not hold the writing end of its own stdin
	$BOOTFIX unlock --device "$img" $args <"$TRASH/ctl" 7>&- >"$TRASH/unlock.out" \
		2>"$TRASH/unlock.err" &
	UNLOCK_PID=$!
	MAPPED=
	for i in $(seq 1 600); do
		MAPPED=$(sed -n 's/.*: mapped read-write at //p' "$TRASH/unlock.out")
		if [ -n "$MAPPED" ]; then
			# through dislocker: a loop device over its FUSE file
			BACKING=$(losetup -n -O BACK-FILE "$MAPPED" 2>/dev/null)
			return 0
		fi
		kill -0 $UNLOCK_PID 2>/dev/null || break
		sleep 0.1
	done
	echo "unlock did not map $img:"; cat "$TRASH/unlock.out" "$TRASH/unlock.err"
	exec 7>&-
	return 1
}
unlock_done() {
	local rc
	printf '\n' >&7
	wait $UNLOCK_PID
	rc=$?
	exec 7>&-
	cat "$TRASH/unlock.out" "$TRASH/unlock.err"
	return $rc
}

# mapping_gone : the last mapping (MAPPED over BACKING) is gone: the loop
# device no longer reads the dislocker file, its FUSE mount and directory
# are gone (bootfix removes the directory only after dislocker-fuse exits)
mapping_gone() {
	local i dir=${BACKING%/dislocker-file}
	[ -n "$BACKING" ] || { echo "no backing file recorded for $MAPPED"; return 1; }
	for i in $(seq 1 50); do
		if [ "$(losetup -n -O BACK-FILE "$MAPPED" 2>/dev/null)" != "$BACKING" ] &&
		   ! grep -qF " $dir " /proc/self/mountinfo && [ ! -e "$dir" ]; then
			return 0
		fi
		sleep 0.1
	done
	echo "$MAPPED over $BACKING still there:"; losetup "$MAPPED"; grep -F "$dir" /proc/self/mountinfo
	return 1
}
