# tests/image/lib-faults.sh - for the fault tests (t0100 power cut, t0110
# stick pulled, t0120 disk errors): tests/image/lib.sh plus a qemu machine
# that can be hurt while it works.
#
# image/qemu starts the machine (same firmware, devices and options as
# every other image test) with a stand-in qemu-system-x86_64 first in its
# PATH that changes two things in qemu's arguments and then execs the real
# qemu: "-monitor none" gets a QMP socket NAME.qmp next to it, and a disk
# may get a blkdebug layer that injects I/O errors.  The stand-in fails
# loudly when image/qemu's arguments no longer look as expected.
#
# fault_boot NAME [--blkdebug ID=CONFIG] ARGS...
#                          like boot_start; qemu's own pid in NAME.qpid, its
#                          QMP socket NAME.qmp; ID is image/qemu's drive id
#                          of a --disk (disk1 for the first)
# qmp NAME COMMAND [JSON-ARGS]   one QMP command; prints its "return" as JSON
# disk_stat NAME DRIVE FIELD     a number from query-blockstats of DRIVE
#                          (disk1, stick); wr_operations counts writes (the
#                          NVMe device model counts no flushes)
# until_writes NAME DRIVE N [S]  wait for the Nth write to DRIVE
# power_cut NAME           SIGKILL to qemu itself: the machine loses power
# pull_stick NAME          device_del of the USB stick
# serial_record NAME FILE  the record bootfix printed on the serial console
#                          when it could not write it to the stick
# stick_log STICK DIR      the data partition's logs/bootfix.jsonl(.head)
# faulty_disk IMG N        mkdemo-disk with N faulty channel files, IMG.sha
# sectors IMG DIR NAME...  where a file's bytes and its MFT record lie
# look_ro IMG DIR, look_done DIR [MAP]   mount the Windows volume read-only
# check_files DIR ALL.SHA MODE [MAP], check_parents DEV MAP
#                          every file once, intact, manifests exact, and
#                          each MFT record naming the folder that lists it

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REAL_QEMU=$(command -v qemu-system-x86_64 || echo /usr/bin/qemu-system-x86_64)
FAULT_BIN=$TRASH/.fault-bin
mkdir -p "$FAULT_BIN"
cat > "$FAULT_BIN/qemu-system-x86_64" <<'EOF'
#!/bin/bash
# stand-in for qemu-system-x86_64 (tests/image/lib-faults.sh)
args=() prev='' mon=0 bd=0
for a in "$@"; do
	if [ "$prev" = -monitor ] && [ "$a" = none ]; then
		args+=("$a" -qmp "unix:$FAULT_QMP,server=on,wait=off")
		mon=1 prev=$a
		continue
	fi
	if [ -n "${FAULT_BLKDEBUG:-}" ] && [ "$prev" = -drive ]; then
		id=${FAULT_BLKDEBUG%%=*} cfg=${FAULT_BLKDEBUG#*=}
		case $a in
		if=none,id=$id,format=raw,file=*)
			img=${a#*,file=}
			a="if=none,id=$id,format=raw,file.driver=blkdebug,file.config=$cfg,file.image.filename=$img"
			bd=1 ;;
		esac
	fi
	args+=("$a")
	prev=$a
done
if [ $mon = 0 ]; then
	echo "lib-faults: image/qemu no longer passes '-monitor none': cannot add the QMP socket" >&2
	exit 99
fi
if [ -n "${FAULT_BLKDEBUG:-}" ] && [ $bd = 0 ]; then
	echo "lib-faults: no drive 'if=none,id=${FAULT_BLKDEBUG%%=*},format=raw,file=...' in image/qemu's arguments" >&2
	exit 99
fi
echo $$ > "$FAULT_QPID"
exec "$FAULT_REAL_QEMU" "${args[@]}"
EOF
chmod +x "$FAULT_BIN/qemu-system-x86_64"

fault_boot() {
	local name=$1 blk=''
	shift
	if [ "${1:-}" = --blkdebug ]; then
		blk=$2
		shift 2
	fi
	rm -f "$TRASH/$name.qpid" "$TRASH/$name.qmp"
	: > "$TRASH/$name.log"
	PATH="$FAULT_BIN:$PATH" FAULT_REAL_QEMU=$REAL_QEMU FAULT_QMP=$TRASH/$name.qmp \
		FAULT_QPID=$TRASH/$name.qpid FAULT_BLKDEBUG=$blk \
		"$QEMU" --serial-log "$TRASH/$name.log" "$@" > "$TRASH/$name.qemu" 2>&1 &
	echo $! > "$TRASH/$name.pid"
	date +%s > "$TRASH/$name.start"
	for _ in $(seq 1 100); do
		[ -S "$TRASH/$name.qmp" ] && [ -s "$TRASH/$name.qpid" ] && return 0
		boot_running "$name" || break
		sleep 0.1
	done
	echo "qemu did not start with its QMP socket:"
	cat "$TRASH/$name.qemu"
	return 1
}

qmp() {
	python3 "$TOP/tests/tools/qmp.py" "$TRASH/$1.qmp" "$2" "${3:-}"
}

disk_stat() {
	qmp "$1" query-blockstats | python3 -c '
import json, sys
for d in json.load(sys.stdin):
    if d.get("device") == sys.argv[1]:
        print(d["stats"][sys.argv[2]]); break
else:
    sys.exit("no drive " + sys.argv[1])' "$2" "$3"
}

power_cut() {
	local q
	q=$(cat "$TRASH/$1.qpid") || return 1
	kill -KILL "$q" || return 1
	# image/qemu (our child) sees its qemu die and ends
	wait "$(cat "$TRASH/$1.pid")" 2>/dev/null
	rm -f "$TRASH/$1.pid"
	echo "# power cut after $(($(date +%s) - $(cat "$TRASH/$1.start"))) s"
}

stick_log() {
	mkdir -p "$2" &&
		mcopy -o -i "$1@@$DATA_OFFSET" ::/logs/bootfix.jsonl "$2/" 2>/dev/null &&
		{ mcopy -o -i "$1@@$DATA_OFFSET" ::/logs/bootfix.jsonl.head "$2/" 2>/dev/null || :; }
}

# check_files DIR ALL.SHA exact|cut|any [MAP] : the Windows volume mounted at DIR
# against ALL.SHA ("hex  name" of every faulty file as made): each file is
# exactly once either in place or in a quarantine folder, with its bytes, no
# two names share an MFT record; each folder's manifest lists with SHA256
# lines exactly the files it holds and has its "# end:" line.  With cut, a
# manifest without its end line may lack the line of one file that moved
# (the one in flight) and have one entry whose file did not move; with any,
# the manifests need only name files that are in their folder.  Prints
# what it found, one line per folder.  MAP gets "name MFT-record
# folder-MFT-record" of every file, for check_parents.
check_files() {
	python3 "$FAULT_BIN/check_files.py" "$@"
}
cat > "$FAULT_BIN/check_files.py" <<'EOF'
import hashlib, os, re, sys
root, allsha, mode = sys.argv[1], sys.argv[2], sys.argv[3]
mapf = open(sys.argv[4], "w") if len(sys.argv) > 4 else None
CS = "Windows/System32/drivers/CrowdStrike"
want = {}
for line in open(allsha):
    h, name = line.split()
    want[name] = h
bad = []
def sha(p):
    return hashlib.sha256(open(p, "rb").read()).hexdigest()
where = {n: [] for n in want}
inodes = {}
def look(d, tag):
    held = set()
    if not os.path.isdir(d):
        return held
    for n in sorted(os.listdir(d)):
        p = os.path.join(d, n)
        if n not in want:
            continue
        held.add(n)
        where[n].append(tag)
        st = os.lstat(p)
        if st.st_ino in inodes:
            bad.append("%s and %s are the same MFT record %d" % (inodes[st.st_ino], p, st.st_ino))
        inodes[st.st_ino] = p
        if mapf:
            mapf.write("%s %d %d\n" % (n, st.st_ino, os.stat(d).st_ino))
        if sha(p) != want[n]:
            bad.append("%s: its bytes changed (sha256 %s, was %s)" % (p, sha(p), want[n]))
    return held
inplace = look(os.path.join(root, CS), "in place")
qtop = os.path.join(root, "bootfix-quarantine")
folders = sorted(os.listdir(qtop)) if os.path.isdir(qtop) else []
nq = 0
for q in folders:
    qd = os.path.join(qtop, q)
    held = look(os.path.join(qd, CS), "in " + q)
    nq += len(held)
    for dp, dn, fn in os.walk(qd):
        for f in fn:
            rel = os.path.relpath(os.path.join(dp, f), qd)
            if rel != "manifest.txt" and not (dp == os.path.join(qd, CS) and f in want):
                bad.append("%s: unexpected file %s" % (q, rel))
    try:
        text = open(os.path.join(qd, "manifest.txt"), "rb").read()
    except OSError as e:
        bad.append("%s: no manifest: %s" % (q, e))
        continue
    if b"\0" in text:
        bad.append("%s: manifest has NUL bytes (torn write) at offset %d of %d"
                   % (q, text.index(b"\0"), len(text)))
    text = text.replace(b"\0", b"").decode("utf-8", "replace")
    entries, lines, ends = [], [], []
    for l in text.split("\n"):
        m = re.match(r"# file (.*)$", l)
        if m:
            entries.append(m.group(1).split("\\")[-1])
        m = re.match(r"SHA256 \((.*)\) = ([0-9a-f]{64})$", l)
        if m:
            n = m.group(1).split("/")[-1]
            lines.append(n)
            if want.get(n) != m.group(2):
                bad.append("%s: manifest line for %s has sha256 %s, the file was %s"
                           % (q, n, m.group(2), want.get(n)))
        if l.startswith("# end:"):
            ends.append(l)
    S, E = set(lines), set(entries)
    if len(lines) != len(S):
        bad.append("%s: a file has two SHA256 lines" % q)
    if len(ends) > 1:
        bad.append("%s: %d end lines" % (q, len(ends)))
    if not S <= held:
        bad.append("%s: manifest lists files not in the folder: %s" % (q, sorted(S - held)[:5]))
    if not held <= E:
        bad.append("%s: files in the folder without a manifest entry: %s" % (q, sorted(held - E)[:5]))
    if mode == "any":
        pass
    elif ends or mode != "cut":
        if not ends:
            bad.append("%s: manifest has no end line" % q)
        if S != held:
            bad.append("%s: manifest is not exact: %d files lack their SHA256 line: %s"
                       % (q, len(held - S), sorted(held - S)[:5]))
    else:
        if len(held - S) > 1:
            bad.append("%s: %d moved files lack their SHA256 line (at most the one in flight may): %s"
                       % (q, len(held - S), sorted(held - S)[:5]))
        if len(E - S) > 1:
            bad.append("%s: %d entries without a SHA256 line (at most one may be in flight)" % (q, len(E - S)))
    print("%s: entries %d, SHA256 lines %d, holds %d, %s" %
          (q, len(E), len(S), len(held), ends[0] if ends else "no end line"))
lost = [n for n, w in where.items() if not w]
twice = [n for n, w in where.items() if len(w) > 1]
if lost:
    bad.append("%d files lost (neither in place nor in quarantine): %s" % (len(lost), lost[:5]))
if twice:
    bad.append("%d files in two places: %s" % (len(twice), [(n, where[n]) for n in twice[:5]]))
print("in place %d, in quarantine %d, in %d folder(s)" % (len(inplace), nq, len(folders)))
if mapf:
    mapf.close()
for b in bad:
    print("BAD: " + b)
sys.exit(1 if bad else 0)
EOF

# faulty_disk IMG N : scripts/mkdemo-disk (GPT, NTFS, the real hive, the
# faulty channel file 291 and a good 290) plus N-1 more faulty channel
# files of 4 KiB; IMG.sha gets "sha256  name" of all N faulty files
faulty_disk() {
	local img=$1 n=$2 dev i f
	"$TOP/scripts/mkdemo-disk" "$img" > /dev/null &&
	dev=$(attach "$img") && ntfs_mount "${dev}p1" "$img.mnt" || return 1
	for i in $(seq 1 $((n - 1))); do
		f=$img.mnt/$CS_DIR/$(printf 'C-00000291-00000000-%08d.sys' $((i + 100)))
		head -c 4096 /dev/urandom > "$f" && touch -d "$FAULTY_TIME" "$f" || return 1
	done
	(cd "$img.mnt/$CS_DIR" && sha256sum C-00000291-*.sys) > "$img.sha" &&
	ntfs_umount "$img.mnt" && losetup -d "$dev" && rmdir "$img.mnt" &&
	test "$(wc -l < "$img.sha")" = "$n"
}

# look_ro IMG DIR / look_done DIR [MAP] : mount the image's Windows volume
# read-only with ntfs-3g on this host, and undo that; with MAP (from
# check_files), check_parents on the unmounted volume before detaching it
look_ro() {
	local dev
	dev=$(attach "$1") && echo "$dev" > "$TRASH/.look" && mkdir -p "$2" &&
		ntfs-3g -o ro "${dev}p1" "$2"
}
look_done() {
	local rc=0
	if mountpoint -q "$1"; then
		ntfs_umount "$1" || return 1
	fi
	if [ -s "$TRASH/.look" ]; then
		[ -z "${2:-}" ] || check_parents "$(cat "$TRASH/.look")p1" "$2" || rc=1
		losetup -d "$(cat "$TRASH/.look")" && rm -f "$TRASH/.look"
	fi
	return $rc
}

# until_writes NAME DRIVE N [S] : wait until qemu has done N writes to DRIVE
# (query-blockstats wr_operations); fails when qemu ends first or after S
# seconds (default 400)
until_writes() {
	local name=$1 drive=$2 n=$3 limit=${4:-400} start w=
	start=$(date +%s)
	while :; do
		boot_running "$name" || { echo "qemu ended after ${w:-no} writes to $drive, before $n"; return 1; }
		w=$(disk_stat "$name" "$drive" wr_operations) || return 1
		[ "$w" -ge "$n" ] && { echo "# $drive: $w writes after $(($(date +%s) - $(cat "$TRASH/$name.start"))) s"; return 0; }
		[ $(($(date +%s) - start)) -lt "$limit" ] ||
			{ echo "only $w writes to $drive in $limit s"; return 1; }
		sleep 0.1
	done
}

# sectors IMG DIR NAME... : for each channel file NAME (mounted from IMG at
# DIR, read-only), "NAME DATA-SECTOR MFT-SECTOR": the disk sector where its
# bytes begin and the first sector of its MFT record (found by content: its
# first 512 bytes; the 1 KiB record beginning "FILE" that holds its name)
sectors() {
	local img=$1 dir=$2
	shift 2
	python3 - "$img" "$dir/$CS_DIR" "$@" <<'EOF'
import mmap, os, sys
img, d, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(img, "rb") as f:
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    for n in names:
        head = open(os.path.join(d, n), "rb").read(512)
        data = m.find(head)
        if data < 0 or data % 512 or m.find(head, data + 1) >= 0:
            sys.exit("cannot place the bytes of " + n)
        u = n.encode("utf-16-le")
        rec, at = -1, m.find(u)
        while at >= 0:
            r = at - at % 1024
            if m[r:r + 4] == b"FILE":
                if rec >= 0 and rec != r:
                    sys.exit("two MFT records name " + n)
                rec = r
            at = m.find(u, at + 1)
        if rec < 0:
            sys.exit("no MFT record names " + n)
        print(n, data // 512, rec // 512)
EOF
}

# check_parents DEV MAP : with the volume DEV not mounted, each file's MFT
# record (ntfsinfo) names as its parent the folder that lists it: a rename
# that reached the disk only in part shows here.  Prints "name record
# listed-in parent(s)" for each file that disagrees; fails if any does.
check_parents() {
	local dev=$1 n ino dir parents bad=0
	while read -r n ino dir; do
		parents=$(ntfsinfo -i "$ino" "$dev" 2>&1 |
			awk '/Parent directory:/ { print $3 }' | sort -u | xargs)
		if [ "$parents" != "$dir" ]; then
			echo "half-moved: $n (MFT record $ino) is listed in folder $dir, its record names folder ${parents:-none}"
			bad=1
		fi
	done < "$2"
	return $bad
}

# pull_stick NAME : take the USB stick out of the running machine (QMP
# device_del of the usb-storage device that holds the drive "stick")
pull_stick() {
	local dev
	dev=$(qmp "$1" query-block | python3 -c '
import json, sys
for d in json.load(sys.stdin):
    if d.get("device") == "stick":
        print(d["qdev"].split("/scsi.0/")[0])' ) && test -n "$dev" &&
	qmp "$1" device_del "{\"id\": \"$dev\"}" > /dev/null &&
	echo "# stick ($dev) pulled after $(($(date +%s) - $(cat "$TRASH/$1.start"))) s"
}

# serial_record NAME FILE : the audit record bootfix printed on the serial
# console after "audit record not written; here it is:", into FILE
serial_record() {
	tr -d '\r' < "$TRASH/$1.log" |
		awk 'f { print; exit } /bootfix: audit record not written; here it is:/ { f = 1 }' > "$2" &&
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$2"
}
