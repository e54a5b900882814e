#!/bin/bash
# log export --csv: RFC 4180 (CRLF, quoted fields, doubled quotes) in UTF-8
# with a byte-order mark, so Excel shows commas, quotes and non-ASCII names
# as they are and runs nothing as a formula; log list never prints control
# characters from a record to the terminal.
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys
LOG=data/logs/bootfix.jsonl
SITE='Zürich "Ost", 東京'
OPER="O'Brien, Ana"

machine() { rm -rf "$1" && windows_tree "$1" && channel_file "$1" $F291 "$FAULTY_TIME"; }

# Two fixes that move files (a begun and a final record each) and one with
# nothing to fix (one record): five lines, three runs.
test_expect_success 'setup: records with awkward names' '
	mkdir data &&
	machine w1 && $BOOTFIX fix --root w1 --data data --site "$SITE" --operator "$OPER" \
		> f1.out 2>&1 &&
	machine w2 && $BOOTFIX fix --root w2 --data data --site "line1
line2" --operator "=HYPERLINK(\"http://evil\")" > f2.out 2>&1 &&
	rm -rf w3 && windows_tree w3 &&
	$BOOTFIX fix --root w3 --data data --site plain > f3.out 2>&1 &&
	test $(wc -l < $LOG) = 5 &&
	test $(grep -c "\"stage\":\"begun\"" $LOG) = 2 &&
	test $(sed -n "1p;3p" $LOG | grep -c "\"stage\":\"begun\"") = 2
'

test_expect_success 'export --csv is RFC 4180 with a UTF-8 BOM and CRLF line ends' '
	expect_exit 0 $BOOTFIX log export --csv $LOG > out.csv &&
	test "$(head -c 3 out.csv | od -An -tx1 | tr -d " ")" = efbbbf &&
	python3 - <<-PY
	data = open("out.csv", "rb").read()
	body = data[3:]
	assert body.endswith(b"\r\n"), body[-20:]
	# every LF is part of a CRLF, except the one inside the quoted two-line site
	assert body.count(b"\n") == body.count(b"\r\n") + 1, body
	assert b"\"Z\xc3\xbcrich \"\"Ost\"\", \xe6\x9d\xb1\xe4\xba\xac\"" in body, body
	PY
'

test_expect_success 'a CSV reader gets every field back as written' '
	python3 - <<-PY
	import csv, io, json
	rows = list(csv.DictReader(io.open("out.csv", encoding="utf-8-sig", newline="")))
	# one row per run: the begun records (lines 1 and 3) are superseded
	assert len(rows) == 3, rows
	a, b, c = rows
	assert (a["line"], b["line"], c["line"]) == ("2", "4", "5"), rows
	assert a["site"] == """$SITE""" and a["operator"] == """$OPER""", a
	assert a["computer_name"] == "DESKTOP-2KGM189" and a["outcome"] == "fixed", a
	assert a["faulty"] == "1" and a["quarantined"] == "1", a
	assert a["file"] == "$LOG" and a["time"].endswith("Z"), a
	assert b["site"] == "line1\nline2", b
	# a formula from a record is shown as text, not run
	assert b["operator"] == "\x27=HYPERLINK(\"http://evil\")", b
	assert c["outcome"] == "nothing-to-fix" and c["quarantined"] == "0", c
	lines = open("$LOG", "rb").read().split(b"\n")
	import hashlib
	assert a["sha256"] == hashlib.sha256(lines[1]).hexdigest(), a
	assert c["sha256"] == hashlib.sha256(lines[4]).hexdigest(), c
	assert list(rows[0].keys())[:5] == ["file", "line", "source_file", "source_line", "time"]
	PY
'

test_expect_success 'list and summary show non-ASCII names, aligned by columns' '
	$BOOTFIX log list $LOG > l.out && cat l.out &&
	grep -F "$SITE" l.out &&
	python3 - <<-PY &&
	import unicodedata
	lines = open("l.out", encoding="utf-8").read().splitlines()
	def col(line, word):
	    i = line.index(word)
	    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line[:i])
	assert col(lines[0], "OUTCOME") == col(lines[1], "fixed"), lines
	PY
	$BOOTFIX log summary $LOG > s.out && cat s.out &&
	grep -E "^  $SITE +1$" s.out
'

test_expect_success 'control characters from a record never reach the terminal' '
	python3 - <<-PY &&
	import json, hashlib
	r = json.loads(open("$LOG", "rb").read().split(b"\n")[1])	# the final record of fix 1
	assert "stage" not in r, r
	r["volumes"][0]["computer_name"] = "EVIL\x1b]0;pwned\x07\x1b[2J\u009b31m"
	r["seq"], r["prev"] = 1, "0" * 64	# alone in a log of its own
	open("evil.jsonl", "wb").write(json.dumps(r, ensure_ascii=False).encode() + b"\n")
	PY
	expect_exit 0 $BOOTFIX log verify evil.jsonl &&
	$BOOTFIX log list evil.jsonl > e.out && cat -A e.out &&
	grep -F "EVIL\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m" e.out &&
	! grep -q "$(printf "\033")" e.out &&
	! grep -q "$(printf "\302\233")" e.out
'

test_done
