# fixture-lib.sh - make simulated crashed-Windows disks from real parts:
# disk image files partitioned with sfdisk, NTFS made by mkntfs, populated
# through ntfs-3g, the real SYSTEM hive from tests/data.
# Sourced by tests/lib.sh, scripts/mkdemo-disk, scripts/bench and
# scripts/bench-unlock; needs root (losetup).

FIXTURE_TOP=${FIXTURE_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TESTDATA=$FIXTURE_TOP/tests/data	# real Windows-made files, see its README.md
CS_DIR='Windows/System32/drivers/CrowdStrike'
FAULTY_TIME='2024-07-19 04:09:00 UTC'
FIXED_TIME='2024-07-19 05:27:00 UTC'

# make_disk FILE gpt|mbr SIZE_MB PART_MB... : an empty partitioned image
make_disk() {
	local file=$1 table=$2 size=$3 spec="" p
	shift 3
	truncate -s 0 "$file" && truncate -s "${size}M" "$file" || return 1
	if [ "$table" = gpt ]; then spec="label: gpt"$'\n'; else spec="label: dos"$'\n'; fi
	for p in "$@"; do
		if [ "$table" = gpt ]; then
			spec+="size=${p}MiB, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"$'\n'
		else
			spec+="size=${p}MiB, type=7"$'\n'
		fi
	done
	printf '%s' "$spec" | sfdisk -q "$file" >/dev/null
}

# attach FILE : prints the loop device, partitions added (partx -a where the
# kernel has no partition table parsers)
attach() {
	local dev
	dev=$(losetup -P -f --show "$1") || return 1
	ls /sys/class/block/"${dev#/dev/}"/ | grep -q "^${dev#/dev/}p" ||
		partx -a "$dev" 2>/dev/null
	for _ in $(seq 1 50); do
		ls "$dev"p* >/dev/null 2>&1 && break
		sfdisk -d "$dev" >/dev/null 2>&1 || break	# no table: a bare volume
		sleep 0.1
	done
	echo "$dev"
}

# ntfs_format DEV LABEL
ntfs_format() {
	mkntfs -Q -q -F -L "$2" "$1" >/dev/null 2>&1
}

# ntfs_mount DEV DIR / ntfs_umount DIR : mount through ntfs-3g, unmount and wait
ntfs_mount() {
	mkdir -p "$2" && ntfs-3g "$1" "$2"
}
ntfs_umount() {
	local src
	src=$(awk -v m="$(cd "$1" && pwd -P)" '$2 == m { s = $1 } END { print s }' /proc/mounts)
	umount "$1" || return 1
	# ntfs-3g flushes and exits after the unmount, holding its device
	# exclusively until then: wait for that device, not for a process name
	case $src in
	/dev/*)
		for _ in $(seq 1 200); do
			python3 -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL))' \
				"$src" 2>/dev/null && break
			sleep 0.05
		done ;;
	esac
	sync
}

# windows_tree DIR [SYSTEM-DIR-CASE] : a minimal Windows install with the real hive
windows_tree() {
	local root=$1 win=${2:-Windows/System32}
	mkdir -p "$root/$win/config" || return 1
	xz -dc "$TESTDATA/hives/SYSTEM_WIN_10_1709.xz" > "$root/$win/config/SYSTEM" || return 1
	printf 'MZ fake kernel\n' > "$root/$win/ntoskrnl.exe"
	mkdir -p "$root/Users/Public/Documents" "$root/ProgramData"
	printf 'patient notes\n' > "$root/Users/Public/Documents/notes.txt"
	touch -d '2023-05-01 10:00 UTC' "$root/Users/Public/Documents/notes.txt"
}

# channel_file ROOT NAME TIME [zero|random SIZE] : a CrowdStrike channel file
channel_file() {
	local root=$1 name=$2 when=$3 kind=${4:-random} size=${5:-41024} dir
	dir=$(find "$root" -maxdepth 4 -ipath "$root/$CS_DIR" -type d 2>/dev/null | head -n1)
	[ -n "$dir" ] || { dir="$root/$CS_DIR"; mkdir -p "$dir"; }
	if [ "$kind" = zero ]; then
		head -c "$size" /dev/zero > "$dir/$name"
	else
		head -c "$size" /dev/urandom > "$dir/$name"
	fi
	touch -d "$when" "$dir/$name"
}

# listing DIR : path, size, mtime (ns) and sha256 of every file, sorted
listing() {
	(cd "$1" && find . -type f -print0 | sort -z |
		while IFS= read -r -d '' f; do
			printf '%s\t%s\t%s\n' "$f" "$(stat -c '%s %y' "$f")" \
				"$(sha256sum < "$f" | cut -c1-64)"
		done)
}
