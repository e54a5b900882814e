#!/bin/bash
# Names that are wider or longer than they look: a volume label with ESC
# bytes (escaped: four columns a byte), one of CJK characters (two columns
# each), a file name of 40 CJK characters.  Table cells are escaped first,
# then cut and padded by display columns with '~' where cut, so the state
# stays in its place; a long name is cut at the screen's edge and never runs
# into the next line.  On a vt220 without a UTF-8 locale other bytes are '?'.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib-tmux.sh"

cleanup_tmux() { tm kill-server 2>/dev/null; cleanup_trash; }
trap cleanup_tmux EXIT
export LANG=C.UTF-8

CJK=電腦電腦電腦電腦電腦
LONG=C-00000291-$(printf '檔%.0s' $(seq 1 40)).sys
ESC_LABEL=$'\e[2J\e[31mRED'

menu() {	# menu W H TERM [env...]
	local w=$1 h=$2 t=$3
	shift 3
	tmux_fresh
	tm new-session -d -x $w -y $h "env $* TERM=$t BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR $BOOTFIX menu --device disk.img --data data; echo menu-exit=\$?; sleep 600"
}

test_expect_success 'setup: labels with ESC and CJK, a faulty file with a long CJK name' '
	make_disk disk.img gpt 72 32 32 && dev=$(attach disk.img) &&
	mkntfs -Q -q -F -L "$ESC_LABEL" ${dev}p1 >/dev/null 2>&1 &&
	mkntfs -Q -q -F -L "$CJK" ${dev}p2 >/dev/null 2>&1 &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w "$LONG" "$FAULTY_TIME" &&
	ntfs_umount w && losetup -d $dev && mkdir data
'

test_expect_success '160 columns: cells cut by columns, the state in its place' '
	menu 160 30 xterm && wait_for "1 faulty file" 60 && screen > wide.txt && cat wide.txt &&
	grep -E "^>! 1 loop[0-9]+p1 .*DESKTOP-2KGM189 +1 faulty file +\\\\x1b\[2J\\\\x1b\[3~( |$)" wide.txt &&
	grep -E "^   2 loop[0-9]+p2 .* - +no Windows +電腦電腦電腦~( |$)" wide.txt &&
	! grep -q "$(printf "\033")" wide.txt
'

test_expect_success '80 columns: the long name is cut at the edge; its size line stays whole' '
	menu 80 24 xterm && wait_for "1 faulty file" 60 && keys d && wait_for "SHA-256" &&
	screen > details.txt && cat details.txt &&
	grep -E "^ !faulty  C-00000291-檔" details.txt &&
	grep -E "^ +41024 bytes  modified 2024-07-19T04:09:00Z UTC  rule cs-291-faulty" details.txt &&
	test "$(grep -c "檔" details.txt)" = 1
'

test_expect_success 'the result screen: the name, its result and the quarantine path each whole' '
	keys Escape && wait_for "1 faulty file" && keys Enter && wait_for "[ Fix ]" && keys Enter &&
	wait_for "FIXED" 60 && screen > result.txt && cat result.txt &&
	grep -E "^ C-00000291-檔" result.txt && grep -E "^ 檔*\.sys: quarantined" result.txt &&
	grep -E "^   -> \\\\bootfix-quarantine\\\\[0-9TZ]+\\\\Windows" result.txt &&
	keys q && wait_for "menu-exit=0"
'

test_expect_success 'vt220 in the C locale: no raw UTF-8, "?" in its place' '
	menu 160 30 vt220 -u LANG LC_ALL=C && wait_for "no Windows" 60 && screen > c.txt && cat c.txt &&
	grep -E "^   2 loop[0-9]+p2 .* no Windows +\?{13}~" c.txt &&
	! grep -q "電" c.txt && keys q && wait_for "menu-exit=0"
'

test_done
