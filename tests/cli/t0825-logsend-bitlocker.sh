#!/bin/bash
# log-to on a BitLocker volume: when the log server cannot be reached the
# record is kept inside the encrypted volume, beside the fix's manifest
# (bootfix unlocks it again with the stick's key to write it); the next fix
# unlocks it, sends the kept record on to a real rsyslogd and marks it.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/cli/lib-bitlocker.sh"
. "$TOP/tests/cli/lib-logserver.sh"
trap 'stop_servers; bitlk_cleanup' EXIT

F291=C-00000291-00000000-00000032.sys
IMG=bitlk-aes-xts-128
LOG=data/logs/bootfix.jsonl
export BOOTFIX_LOGSEND_DELAY_MS=50

ntfs_small() { mkntfs -Q -q -F -L "$2" "$1" 61440 >/dev/null 2>&1; }

test_expect_success 'setup: a BitLocker volume with a faulty file, its key on the stick' '
	bitlk_extract && cp --sparse=always $IMGS/$IMG.img disk.img &&
	unlock_rw disk.img "--recovery-password -" "$(conf $IMG RP)" &&
	ntfs_small $MAPPED Windows && ntfs_mount $MAPPED w && windows_tree w &&
	channel_file w $F291 "$FAULTY_TIME" && ntfs_umount w &&
	unlock_done > /dev/null && mapping_gone &&
	mkdir -p data/keys &&
	printf "\"ComputerName\",\"KeyId\",\"RecoveryPassword\"\r\n\"DESKTOP-2KGM189\",\"{%s}\",\"%s\"\r\n" \
		"$(conf $IMG RP_VMK_GUID)" "$(conf $IMG RP)" > data/keys/fleet.csv &&
	TLS=$(free_port) && TCP=$(free_port) &&
	printf "log-to = syslog+tcp://127.0.0.1:%s\n" $TCP > data/bootfix.conf
'

test_expect_success 'server down: the record is kept inside the BitLocker volume' '
	expect_exit 0 $BOOTFIX fix --device disk.img --data data > f1.out 2> f1.err &&
	cat f1.out f1.err &&
	grep -E "^bootfix: not logged to syslog\+tcp://127\.0\.0\.1:$TCP: cannot connect: connection refused \(4 tries\); record kept in \\\\bootfix-quarantine\\\\[0-9TZ-]+\\\\record-unsent\.jsonl$" f1.err &&
	unlock_rw disk.img "--keys data/keys" "" && ntfs-3g -o ro $MAPPED w &&
	{ tail -n1 $LOG | cmp - w/bootfix-quarantine/*/record-unsent.jsonl; rc=$?; } &&
	ntfs_umount w && unlock_done > /dev/null && mapping_gone && test $rc = 0
'

test_expect_success 'server up: the next fix unlocks it and sends the kept record on' '
	make_ca ca && make_cert ca server "IP:127.0.0.1" &&
	start_rsyslog $TRASH/rs $TLS $TCP $TRASH/ca.pem $TRASH/server.pem $TRASH/server.key &&
	expect_exit 0 $BOOTFIX fix --device disk.img --data data > f2.out 2> f2.err &&
	cat f2.out f2.err &&
	grep -F "1 audit record kept here sent on to the log servers" f2.out &&
	wait_lines rs/tcp.log 2 && sed -n 2p $LOG | cmp - <(head -n1 rs/tcp.log) &&
	tail -n1 $LOG | cmp - <(tail -n1 rs/tcp.log)
'

test_done
