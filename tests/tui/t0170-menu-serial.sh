#!/bin/bash
# The menu on a serial console: a vt220 of 80x24 whose BOOTFIX_READY is the
# terminal the menu draws on, as image/console sets it on the stick.  What
# the menu says to whoever watches the line ("bootfix: menu ready", a
# record it could not write) reaches the line, and the screen stays right:
# each screen is compared whole, line by line, with what it must show.
# Text written behind the menu's back is gone at the next screen and with
# Ctrl-L.  (tests/image/t0130-serial-screen.sh does the same on the stick
# in qemu.)
. "$(dirname "$0")/../lib.sh"

. "$TOP/tests/lib-tmux.sh"

F=C-00000291-00000000-00000032.sys
V=$(sed -n 's/^#define BOOTFIX_VERSION "\(.*\)"$/\1/p' "$TOP/recovery/version.h")
cleanup_tmux() { tm kill-server 2>/dev/null; cleanup_trash; }
trap cleanup_tmux EXIT

# serial DATA [READY]: the menu on a fresh 80x24 vt220 whose bytes go to
# bytes.log; BOOTFIX_READY is READY, or the terminal itself
serial() {
	tmux_fresh
	rm -f bytes.log go
	tm new-session -d -x 80 -y 24 "while [ ! -e go ]; do sleep 0.1; done; TERM=vt220 BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR sh -c 'BOOTFIX_READY=\${1:-\$(tty)} exec \$0 menu --device disk.img --data $1' $BOOTFIX ${2:-}; echo menu-exit=\$?; sleep 600" &&
	tm pipe-pane -o "cat >> $TRASH/bytes.log" && touch go
}

# the screen with what changes from run to run made constant: the loop
# device, the quarantine's time, this host's serial number
norm() {
	sed -E -e 's/loop[0-9]+p1 +/LOOP /' -e 's/loop[0-9]+p1/LOOP/g' \
		-e 's/[0-9]{8}T[0-9]{6}Z/YYYYMMDDTHHMMSSZ/g' -e '2s/^ This machine: serial .*//'
}

# expect NAME: the screen as it must be, from stdin (@V@ the version), 24 lines
expect() {
	sed "s/@V@/$V/" > "$1.want" && test "$(wc -l < "$1.want")" = 24
}

# same_screen NAME [S]: the whole screen is NAME.want within S seconds (20)
same_screen() {
	local _
	for _ in $(seq 1 $(( ${2:-20} * 5 ))); do
		# empty lines at the bottom: some, none or more (a larger pane)
		tm capture-pane -p | norm | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' > "$1.got"
		while [ "$(wc -l < "$1.got")" -lt 24 ]; do echo >> "$1.got"; done
		cmp -s "$1.want" "$1.got" && return 0
		sleep 0.2
	done
	echo "screen $1 is not as it must be:"
	diff -u "$1.want" "$1.got"
	return 1
}

# bytes_have TEXT [S]: TEXT went out on the line within S seconds (30)
bytes_have() {
	local _
	for _ in $(seq 1 $(( ${2:-30} * 5 ))); do
		grep -a -q -F -- "$1" bytes.log 2>/dev/null && return 0
		sleep 0.2
	done
	echo "never on the line: $1"
	return 1
}

expect list <<'EOF'
 bootfix @V@ - fix Windows machines that do not boot                ? = help

  #  Volume            Size  Windows          State
--------------------------------------------------------------------------------
>! 1 LOOP 32.0 MiB  DESKTOP-2KGM189  1 faulty file

















--------------------------------------------------------------------------------
 Enter fix  d details  r restore  l log  s scan  q quit  ? help
EOF

expect listfixed <<'EOF'
 bootfix @V@ - fix Windows machines that do not boot                ? = help

  #  Volume            Size  Windows          State
--------------------------------------------------------------------------------
>  1 LOOP 32.0 MiB  DESKTOP-2KGM189  fixed

















--------------------------------------------------------------------------------
 Enter fix  d details  r restore  l log  s scan  q quit  ? help
EOF

expect confirm <<'EOF'
 bootfix @V@ - confirm                                              ? = help

 Fix DESKTOP-2KGM189 on /dev/LOOP?

 These files will be moved to \bootfix-quarantine on the same volume.
 Nothing is deleted; "restore" puts them back.

   C-00000291-00000000-00000032.sys      41024 bytes  2024-07-19T04:09:00Z












  [ Fix ]   [ Cancel ]

--------------------------------------------------------------------------------
 Enter = choose  Left/Right/Tab = move  Esc = cancel
EOF

expect fixed <<'EOF'
 bootfix @V@ - result                                               ? = help

   FIXED  DESKTOP-2KGM189 (LOOP)

 1 faulty file quarantined in \bootfix-quarantine\YYYYMMDDTHHMMSSZ

 C-00000291-00000000-00000032.sys: quarantined
   -> \bootfix-quarantine\YYYYMMDDTHHMMSSZ\Windows\System32\drivers\
   CrowdStrike\C-00000291-00000000-00000032.sys









 Log: record 2 written to data/logs/bootfix.jsonl


 Done. Restart this machine without the stick. Enter = next machine.
--------------------------------------------------------------------------------
 Enter = next machine  Esc = back to the list  q = quit
EOF

expect notsaved <<'EOF'
 bootfix @V@ - result                                               ? = help

   FIXED  DESKTOP-2KGM189 (LOOP)

 1 faulty file quarantined in \bootfix-quarantine\YYYYMMDDTHHMMSSZ

 C-00000291-00000000-00000032.sys: quarantined; no copy on the stick: cannot
 make a folder for it in ro/quarantine/DESKTOP-2KGM189: Read-only file system
   -> \bootfix-quarantine\YYYYMMDDTHHMMSSZ\Windows\System32\drivers\
   CrowdStrike\C-00000291-00000000-00000032.sys








 Log: cannot write log ro/logs/bootfix.jsonl: read-only file system

 ! The record was NOT saved: keep the stick in (copy on the serial line).
 Enter = back to the list
--------------------------------------------------------------------------------
 Enter = continue  q = quit
EOF

test_expect_success 'setup: a faulty Windows disk, a data folder and a read-only one' '
	make_disk disk0.img gpt 40 32 && dev=$(attach disk0.img) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w $F "$FAULTY_TIME" &&
	ntfs_umount w && losetup -d $dev && cp --sparse=always disk0.img disk.img &&
	mkdir -p data ro && mount --bind data ro && mount -o remount,ro,bind ro
'

test_expect_success 'the list: "menu ready" on the line, the screen whole and right' '
	serial data && bytes_have "bootfix: menu ready" && same_screen list 60 &&
	test "$(grep -a -c "bootfix: menu ready" bytes.log)" = 1
'

test_expect_success 'confirm, then the result: each screen whole and right' '
	keys Enter && same_screen confirm &&
	keys Enter && same_screen fixed 60
'

test_expect_success 'text written behind the menu: gone at the next screen, and with Ctrl-L' '
	tty=$(tm display -p "#{pane_tty}") &&
	printf "\033[12;1HNOISE FROM THE KERNEL\r\n" > $tty &&
	keys Escape && same_screen listfixed 60 &&
	printf "\033[5;1HMORE NOISE\r\n" > $tty && sleep 0.5 &&
	tm capture-pane -p | grep -F "MORE NOISE" &&
	keys C-l && same_screen listfixed &&
	keys q && wait_for "menu-exit=0"
'

test_expect_success 'a record not written: on the line as JSON, the screen whole and right' '
	cp --sparse=always disk0.img disk.img && serial ro &&
	same_screen list 60 && keys Enter && same_screen confirm && keys Enter &&
	bytes_have "bootfix: audit record not written; here it is:" 60 &&
	same_screen notsaved 60 &&
	tr -d "\r" < bytes.log | awk "f { print; exit } /bootfix: audit record not written; here it is:/ { f = 1 }" > rec.json &&
	python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))
assert r[\"mode\"] == \"menu\" and r[\"outcome\"] == \"fixed\", (r[\"mode\"], r[\"outcome\"])
" rec.json &&
	keys q && wait_for "menu-exit=0" &&
	tr -d "\r" < bytes.log | grep -a -A1 "bootfix: these audit records could not be written; keep them:$" |
		tail -n 1 | cmp - rec.json
'

test_expect_success 'BOOTFIX_READY a file: the ready line and the record appended to it' '
	cp --sparse=always disk0.img disk.img && echo "before" > ready && serial ro $TRASH/ready &&
	same_screen list 60 && keys Enter && same_screen confirm && keys Enter &&
	same_screen notsaved 60 &&
	test "$(sed -n 1,2p ready)" = "$(printf "before\nbootfix: menu ready")" &&
	sed -n 3p ready | grep -x "bootfix: audit record not written; here it is:" &&
	sed -n 4p ready | python3 -c "import json, sys; assert json.load(sys.stdin)[\"mode\"] == \"menu\"" &&
	test "$(wc -l < ready)" = 4 &&
	! grep -a -q "here it is" bytes.log &&
	keys q && wait_for "menu-exit=0"
'

# sized W H STTY ENV: the menu on a W x H pane whose size the menu is told
# by stty (rows 0 cols 0: none, as on a serial line) and ENV
sized() {
	tmux_fresh
	tm new-session -d -x $1 -y $2 "stty $3; $4 TERM=vt220 BOOTFIX_RULES_DIR=$BOOTFIX_RULES_DIR $BOOTFIX menu --device disk.img --data data; echo menu-exit=\$?; sleep 600"
}

test_expect_success 'a terminal that cannot say its size (0x0, a serial line): drawn at 80x24' '
	cp --sparse=always disk0.img disk.img && sized 100 30 "rows 0 cols 0" "" &&
	same_screen list 60 && test -z "$(tm capture-pane -p | sed -n "25,\$p" | tr -d " \n")" &&
	! tm capture-pane -p | grep -q "^.\{81\}" &&
	keys q && wait_for "menu-exit=0"
'

test_expect_success 'told by LINES and COLUMNS: drawn at that size' '
	sized 100 30 "rows 0 cols 0" "LINES=30 COLUMNS=100" && wait_for "1 faulty file" 60 &&
	tm capture-pane -p | sed -n 3p | grep -F "State                             Label" &&
	tm capture-pane -p | sed -n 30p | grep -F "Enter fix  d details" &&
	tm capture-pane -p | sed -n 29p | grep -x -- "-\{100\}" &&
	keys q && wait_for "menu-exit=0"
'

test_done
