#!/bin/bash
# bootfix log report: the auditors' HTML page, opened in headless Chromium.
# Logs from real fixes (fixed, hibernated and refused, clean, killed midway),
# one tampered with, a log server's file (rsyslog's format, records of two
# sticks and of machines with none), and a log of 400 records re-chained
# from a real one with hostile names (markup, quotes, controls, bidi characters, URLs to a
# server this test runs on 127.0.0.1).  The figures in the page's DOM are
# checked against counts made here from the JSON, no script may run, no
# request may leave the page, and printing to A4 PDF works.  A screenshot
# and the first printed page are kept in out/report/ for a person.
. "$(dirname "$0")/../lib.sh"

F291=C-00000291-00000000-00000032.sys
SHOTS=$TOP/out/report
CHROME="timeout 180 chromium --headless=new --no-sandbox --disable-gpu --no-first-run
	--disable-extensions --user-data-dir=$TRASH/chrome"
SRV=

stop_server() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	SRV=
}
trap 'stop_server; cleanup_trash' EXIT

fix_root() {	# fix_root DIR LOG [ARGS...]: a real fix of a Windows tree
	local d=$1 log=$2
	shift 2
	$BOOTFIX fix --root "$d" --log "$log" "$@" > "$d.out" 2>&1
	case $? in 0|1) return 0 ;; esac
	cat "$d.out"
	return 1
}

test_expect_success 'setup: a listener on 127.0.0.1 that records every request' '
	python3 - > srv.log 2>&1 <<-PY &
	import http.server, socketserver
	class H(http.server.BaseHTTPRequestHandler):
	    def do_GET(self):
	        open("hits", "a").write(self.path + "\n")
	        self.send_response(404); self.end_headers()
	    def log_message(self, *a): pass
	s = socketserver.TCPServer(("127.0.0.1", 0), H)
	open("port.tmp", "w").write(str(s.server_address[1]))
	__import__("os").rename("port.tmp", "port")
	s.serve_forever()
	PY
	echo $! > srv.pid &&
	for _ in $(seq 1 100); do test -s port && break; sleep 0.1; done &&
	test -s port
'
SRV=$(cat srv.pid 2>/dev/null)
PORT=$(cat port 2>/dev/null)
export REPORT_HOSTILE_URL=http://127.0.0.1:$PORT/leak

test_expect_success 'setup: logs of real fixes (fixed, hibernated, clean, killed midway)' '
	windows_tree w1 && channel_file w1 $F291 "$FAULTY_TIME" &&
	fix_root w1 stick1.jsonl --site "Ward A" --operator "Ana Lima" &&
	windows_tree w2 && channel_file w2 $F291 "$FAULTY_TIME" &&
	{ printf hibr; head -c 65532 /dev/urandom; } > w2/hiberfil.sys &&
	fix_root w2 stick1.jsonl --site "<script>document.title=\"pwned\"</script>" \
		--operator "O'"'"'Brien \"<b>x</b>\" $(printf "\342\200\256")evil" &&
	windows_tree w3 && fix_root w3 stick1.jsonl --site "Ward A" &&
	windows_tree w4 && channel_file w4 $F291 "$FAULTY_TIME" &&
	{ BOOTFIX_TEST_KILL=moved:1:KILL $BOOTFIX fix --root w4 --log stick2.jsonl --site ICU \
		> w4.out 2>&1; test $? = 137; } &&
	grep -q "\"stage\":\"begun\"" stick2.jsonl &&
	expect_exit 0 $BOOTFIX log verify stick1.jsonl stick2.jsonl &&
	grep -q "\"outcome\":\"refused\"" stick1.jsonl
'

test_expect_success 'setup: a tampered copy, and 400 records with hostile names' '
	sed "2s/Ana Lima/Eve Lima/" stick1.jsonl > tampered.jsonl &&
	cp stick1.jsonl.head tampered.jsonl.head &&
	expect_exit 1 $BOOTFIX log verify tampered.jsonl &&
	python3 $TOP/tests/tools/report-log.py stick1.jsonl 400 made.jsonl 7 hostile &&
	expect_exit 0 $BOOTFIX log verify made.jsonl &&
	grep -q "document.title" made.jsonl && grep -q "data-pwned" made.jsonl &&
	grep -q "127.0.0.1:$PORT/leak" made.jsonl
'

# a log server's file: records of two sticks (chained each, a stick name in
# every record) and of machines with no stick (no chain), as rsyslog writes
# them in its traditional file format, with another program's line between
test_expect_success 'setup: a log server'"'"'s file (rsyslog'"'"'s format, two sticks, one line not a record)' '
	REPORT_SERIAL=MS python3 $TOP/tests/tools/report-log.py stick1.jsonl 40 srv.jsonl 11 hostile &&
	python3 - srv.jsonl > server.log <<-PY &&
	import json, hashlib, sys
	prev, seq = {}, {}
	for i, line in enumerate(open(sys.argv[1], "rb")):
	    r = json.loads(line)
	    stick = ("stick-A", "stick-B", None)[i % 3]
	    for k in ("seq", "prev"):
	        r.pop(k)
	    if stick:
	        seq[stick] = seq.get(stick, 0) + 1
	        r["stick"], r["seq"] = stick, seq[stick]
	        r["prev"] = prev.get(stick, "0" * 64)
	    b = json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode()
	    if stick:
	        prev[stick] = hashlib.sha256(b).hexdigest()
	    sys.stdout.buffer.write(b"Dec  1 20:%02d:%02d pc-%05d bootfix[%d]: " % (i // 60, i % 60, i, 100 + i) + b + b"\n")
	    if i == 7:
	        sys.stdout.buffer.write(b"Dec  1 20:00:08 ward-pc CRON[4242]: (root) CMD (run-parts /etc/cron.hourly)\n")
	PY
	expect_exit 0 $BOOTFIX log verify server.log > sv.out && cat sv.out &&
	grep -q "^server.log: intact: 40 records from a log server, each checked" sv.out &&
	grep -q "a log server.s file: 40 records, each checked on its own; 27 in the chains of 2 sticks" sv.out &&
	grep -q "13 records not chained" sv.out &&
	grep -q "1 syslog line not a record (skipped)" sv.out
'

LOGS="stick1.jsonl stick2.jsonl tampered.jsonl made.jsonl server.log"

test_expect_success 'report: written, says a log does not verify (exit 1)' '
	expect_exit 1 $BOOTFIX log report -o report.html $LOGS > r.out 2> r.err &&
	cat r.out r.err &&
	grep -Fx "report.html: report of $(($(cat $LOGS | wc -l) - 1)) records from 5 logs (a log does not verify: the page says which)" r.out &&
	grep -q "warning: tampered.jsonl does not verify" r.err &&
	test -s report.html
'

test_expect_success 'report: an existing page is kept unless --force, a log never; a missing log writes nothing' '
	cp report.html before.html &&
	expect_exit 3 $BOOTFIX log report -o report.html made.jsonl 2> e1 &&
	grep -q "cannot write report.html: file exists (--force replaces it)" e1 &&
	cmp report.html before.html &&
	expect_exit 3 $BOOTFIX log report -o other.html made.jsonl nosuch.jsonl 2> e2 &&
	grep -q "nosuch.jsonl" e2 && test ! -e other.html &&
	expect_exit 0 $BOOTFIX log report --force -o again.html made.jsonl &&
	expect_exit 0 $BOOTFIX log report --force -o again.html made.jsonl &&
	expect_exit 2 $BOOTFIX log report made.jsonl &&
	cp made.jsonl keep.jsonl && cp made.jsonl.head keep.jsonl.head &&
	expect_exit 3 $BOOTFIX log report --force -o made.jsonl made.jsonl 2> e3 &&
	grep -Fx "bootfix: refusing to write made.jsonl: it is one of the logs" e3 &&
	expect_exit 3 $BOOTFIX log report --force -o made.jsonl.head made.jsonl 2> e4 &&
	grep -q "refusing to write made.jsonl.head" e4 &&
	cmp made.jsonl keep.jsonl && cmp made.jsonl.head keep.jsonl.head &&
	test -z "$(ls .bootfix-report.* 2>/dev/null)"
'

# what the page must say, counted here from the JSON (docs/log.md, "The report")
cat > expect.py <<'PY'
import json, sys, calendar, time
records, machines, sites, fixed_site, keys = [], {}, {}, {}, set()
runs_final = set()
for f in sys.argv[1:]:
    for line in open(f, "rb"):
        try:	# a log server's line: the record after "HOST TAG: "
            r = json.loads(line[line.find(b"{"):] if b"{" in line else line)
        except ValueError:
            continue
        if r.get("stage") != "begun" and r.get("run"):
            runs_final.add(r["run"])
        records.append((f, r))
def when(r):
    try:
        return calendar.timegm(time.strptime(r.get("time", ""), "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return None
out = {}
n = 0
for order, (f, r) in enumerate(records):
    begun = r.get("stage") == "begun"
    if begun and r.get("run") in runs_final:
        for k in r.get("bitlocker", []):
            keys.add(k["key_id"])
        continue
    n += 1
    o = "interrupted" if begun else r.get("outcome")
    site = r.get("site") or "(none)"
    t = when(r)
    if o == "fixed" and t is not None:
        fixed_site[site] = fixed_site.get(site, 0) + 1
    for k in r.get("bitlocker", []):
        keys.add(k["key_id"])
    m = r.get("machine", {})
    names = []
    for v in r.get("volumes", []):
        if v.get("windows") and v.get("computer_name") and v["computer_name"] not in names:
            names.append(v["computer_name"])
    key = m.get("product_uuid") or m.get("product_serial") or ", ".join(names) or "r%d" % order
    vols = r.get("volumes", [])
    clean = o == "fixed" or (o == "nothing-to-fix" and any(v.get("windows") for v in vols)
            and not any(v.get("bitlocker_locked") for v in vols)
            and not any(x.get("verdict") == "unknown" for v in vols for x in v.get("findings", [])))
    tt = t if t is not None else -2**63
    if key not in machines or (tt, order) >= machines[key][0]:
        machines[key] = ((tt, order), o, clean)
print("n-records", n)
print("n-machines", len(machines))
for o in ("fixed", "restored", "left", "nothing-to-fix", "refused", "failed", "interrupted"):
    print("machines-" + o, sum(1 for v in machines.values() if v[1] == o))
print("notfixed-count", sum(1 for v in machines.values() if not v[2]))
print("keys-count", len(keys))
print("chart-total", sum(fixed_site.values()))
json.dump(fixed_site, open("fixed_site.json", "w"))
PY

# the figures the browser shows: element text by id, chart bars by legend site
cat > dom.py <<'PY'
import html.parser, json, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.cur, self.tags, self.attrs = {}, None, {}, []
        self.legend, self.slot, self.bars, self.rows, self.title, self.intitle = {}, None, {}, [], "", False
        self.body = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.attrs += [(tag, k, v or "") for k, v in attrs]
        if tag == "body":
            self.body = a
        if tag == "title":
            self.intitle = True
        if "id" in a:
            self.cur = a["id"]; self.ids[self.cur] = ""
        if tag == "li" and "data-slot" in a:
            self.slot = a["data-slot"]; self.legend[self.slot] = ""
        if tag == "rect" and a.get("class") == "bar":
            self.bars[a["data-slot"]] = self.bars.get(a["data-slot"], 0) + int(a["data-n"])
        if tag == "tr" and "data-next" in a:
            self.rows.append(int(a["data-next"]))
    def handle_endtag(self, tag):
        if tag == "title":
            self.intitle = False
        if tag == "li":
            self.slot = None
        self.cur = None
    def handle_data(self, d):
        if self.intitle:
            self.title += d
        if self.cur:
            self.ids[self.cur] += d
        if self.slot is not None and tag_ok(d):
            self.legend[self.slot] += d
def tag_ok(d):
    return not d.startswith(" (") and not d.startswith("(")
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
for k in sys.argv[2:]:
    print(k, p.ids.get(k, "MISSING").strip())
json.dump({"legend": p.legend, "bars": p.bars, "rows": p.rows, "tags": p.tags,
           "attrs": p.attrs, "title": p.title, "body": p.body}, open(sys.argv[1] + ".json", "w"))
PY

IDS="n-records n-machines machines-fixed machines-restored machines-left machines-nothing-to-fix
     machines-refused machines-failed machines-interrupted notfixed-count keys-count chart-total"

test_expect_success 'the raw page: nothing that runs, loads or links; record text escaped' '
	python3 dom.py report.html > /dev/null &&
	python3 - report.html.json <<-PY
	import json, sys
	d = json.load(open(sys.argv[1]))
	bad = [t for t in d["tags"] if t in ("script", "img", "link", "iframe", "object",
	       "embed", "base", "form", "a", "video", "audio", "source", "image", "use")]
	assert not bad, bad
	assert d["tags"]["style"] == 1, d["tags"]
	for tag, k, v in d["attrs"]:
	    assert not k.startswith("on"), (tag, k)
	    assert "//" not in v and "javascript" not in v.lower() and "url(" not in v, (tag, k, v)
	    assert k not in ("src", "href", "srcset", "action", "xlink:href"), (tag, k, v)
	PY
	! grep -qi "<script" report.html &&
	! grep -q "$(printf "\342\200\256")" report.html &&
	grep -q "content=\"default-src '"'"'none'"'"'; style-src '"'"'unsafe-inline'"'"'; img-src data:\"" report.html &&
	grep -q "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;" report.html &&
	grep -q "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" report.html &&
	grep -q "\\\\u202E" report.html
'

test_expect_success 'chromium: no request leaves the page (a listener on 127.0.0.1 is told nothing)' '
	printf "<!DOCTYPE html><img src=\"http://127.0.0.1:%s/control\">" $PORT > control.html &&
	$CHROME --dump-dom file://$TRASH/control.html > control.dom 2> control.err &&
	grep -qx /control hits &&
	: > hits &&
	$CHROME --virtual-time-budget=3000 --dump-dom file://$TRASH/report.html > dom.html 2> dom.err &&
	test -s dom.html && test ! -s hits
'
stop_server

test_expect_success 'chromium: no script ran; the DOM shows the figures counted from the JSON' '
	python3 expect.py $LOGS > want && cat want &&
	python3 dom.py dom.html $IDS > got && cat got &&
	diff want got &&
	python3 - dom.html.json fixed_site.json <<-PY
	import json, sys
	d, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
	assert d["title"].startswith("bootfix audit report, "), d["title"]
	assert "pwned" not in d["title"] and "data-pwned" not in d["body"], d
	assert "script" not in d["tags"] and "img" not in d["tags"], d["tags"]
	def shown(s, most):	# as docs/log.md says record text is shown
	    out = ""
	    for i, c in enumerate(s):
	        if i >= most:
	            return out + "\u2026"
	        o = ord(c)
	        if o < 0x20 or o == 0x7f:
	            out += "\\\\x%02X" % o
	        elif 0x80 <= o <= 0x9f or o == 0x61c or 0x200b <= o <= 0x200f or 0x2028 <= o <= 0x202e or 0x2060 <= o <= 0x2069 or o == 0xfeff:
	            out += "\\\\u%04X" % o
	        else:
	            out += c
	    return out
	want = {shown(k, 60): v for k, v in want.items()}
	named = {d["legend"][s].strip(): d["bars"].get(s, 0) for s in d["legend"] if s != "8"}
	assert len(named) >= 5, named
	for site, n in named.items():
	    assert want.get(site) == n, (site, n, want.get(site))
	assert sum(d["bars"].values()) == sum(want.values())
	# every key ID is listed with the machine it opened (all made records have a serial)
	import re
	keys = open("dom.html", encoding="utf-8").read().split("id=\\"keys\\"", 1)[1].split("</table>")[0]
	rows = re.findall(r"<tr><td><code><bdi>([^<]*)</bdi></code></td><td[^>]*><bdi>[^<]*</bdi></td>"
	                  r"<td[^>]*><bdi>([^<]*)</bdi></td>", keys)
	assert len(rows) == int(open("want").read().split("keys-count ")[1].split()[0]), len(rows)
	assert all(serial.startswith("M") for _, serial in rows), [r for r in rows if not r[1].startswith("M")]
	# the not-fixed rows are in the order of the next action
	rows = d["rows"][len(set(d["rows"])):]
	assert rows == sorted(rows) and rows, rows
	PY
'

test_expect_success 'chromium: the verification verdicts at the top, in words' '
	grep -q "id=\"verdict\">1 of 5 logs do NOT verify" dom.html &&
	grep -o "<td class=\"ko\">does not verify: <bdi>line [0-9]*: [^<]*" dom.html | grep -q "^<td class=\"ko\">does not verify: <bdi>line 3: chain broken" &&
	test $(grep -o "<td class=\"ok\">intact</td>" dom.html | wc -l) = 3 &&
	grep -F "<td class=\"ok\">intact<div class=\"server\">a log server'"'"'s file: 40 records each checked on its own, 27 in the chains of 2 sticks; 13 not chained; 1 other line skipped</div></td><td class=\"n\">40</td>" dom.html
'

test_expect_success 'signed logs: the key checked is named with its fingerprint; unchecked said so' '
	mkdir -p data/keys data/logs &&
	openssl genpkey -algorithm ed25519 -out data/keys/log-signing.pem 2>/dev/null &&
	openssl pkey -in data/keys/log-signing.pem -pubout -out pub.pem &&
	windows_tree w5 && channel_file w5 $F291 "$FAULTY_TIME" &&
	fix_root w5 data/logs/bootfix.jsonl --data data --site "Ward S" &&
	fp=$(openssl pkey -pubin -in pub.pem -outform DER | tail -c 32 | sha256sum | cut -c1-64) &&
	grep -q "\"sig_key\":\"$fp\"" data/logs/bootfix.jsonl &&
	expect_exit 0 $BOOTFIX log report --pubkey pub.pem -o signed.html data/logs/bootfix.jsonl &&
	grep -q "<td class=\"ok\">all good, checked with <bdi>pub.pem ($fp)</bdi></td>" signed.html &&
	grep -q "<code>$fp</code>" signed.html &&
	expect_exit 0 $BOOTFIX log report -o unchecked.html data/logs/bootfix.jsonl &&
	grep -q "<td>2 of 2 records signed; not checked (give --pubkey)</td>" unchecked.html
'

test_expect_success 'a merged log: its records counted as those of the logs merged' '
	expect_exit 0 $BOOTFIX log merge -o merged.jsonl stick1.jsonl made.jsonl > /dev/null &&
	expect_exit 0 $BOOTFIX log report -o merged.html merged.jsonl &&
	expect_exit 0 $BOOTFIX log report -o parts.html stick1.jsonl made.jsonl &&
	for id in n-records n-machines machines-fixed machines-refused notfixed-count keys-count chart-total; do
		a=$(grep -o "id=\"$id\">[0-9]*" merged.html) && b=$(grep -o "id=\"$id\">[0-9]*" parts.html) &&
		echo "$a $b" && test "$a" = "$b" || exit 1
	done
'

# records edited by an attacker, read the fast way (the scanner, not json-c):
# a 1 MB site name, 2997 sites, far-off times, bad UTF-8, U+2028, text that
# would close the style, hostile durations and uptimes
test_expect_success 'hostile records: the page stays bounded, inert and says what it left out' '
	python3 - stick1.jsonl > hostile.jsonl <<-PY &&
	import copy, hashlib, json, sys
	t = [json.loads(l) for l in open(sys.argv[1], "rb")][0]
	for k in ("seq", "prev", "sig", "sig_key", "stage"):
	    t.pop(k, None)
	prev, out = "0" * 64, sys.stdout.buffer
	def put(seq, r, raw=None):
	    global prev
	    r["seq"], r["prev"] = seq, prev
	    b = json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode()
	    if raw:
	        b = b.replace(b"@BAD@", raw)
	    prev = hashlib.sha256(b).hexdigest()
	    out.write(b + b"\n")
	seq = 0
	for i in range(3000):
	    r = copy.deepcopy(t)
	    seq += 1
	    r.update(outcome="fixed", site="site %d" % i, operator="op %d" % i, run="run %d" % i,
	             time="2024-07-19T%02d:00:00Z" % (i % 24), duration_ms=1000 + i)
	    r["machine"] = {"product_serial": "H%d" % i, "uptime_s": 100 + i}
	    if i < 10 and i % 2 == 0:	# the busiest site, its name 1 MB
	        r["site"] = "A" * (1 << 20)
	    if i == 1:
	        r["site"] = "</style><style>*{display:none}</style>"
	        r["operator"] = "line\u2028sep @BAD@"
	    if i in (2, 3):
	        r["time"] = ("1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z")[i - 2]
	    if i == 4:
	        r["duration_ms"], r["machine"]["uptime_s"] = -5, -7
	    if i == 5:	# the longest run time there can be; an uptime of 31,000 years
	        r["duration_ms"], r["machine"]["uptime_s"] = 2 ** 63 - 1, 10 ** 12
	    if i == 7:	# not a number of milliseconds: no time
	        r["duration_ms"], r["machine"]["uptime_s"] = 1e300, 1.5
	    put(seq, r, b"\xff\xfe" if i == 1 else None)
	PY
	test $(stat -c %s hostile.jsonl) -gt 1048576 &&
	expect_exit 0 $BOOTFIX log report -o hostile.html hostile.jsonl > h.out 2> h.err &&
	cat h.out h.err &&
	test $(stat -c %s hostile.html) -lt 400000 &&
	python3 dom.py hostile.html n-records machines-fixed chart-total chart-outside time-n time-boot time-run > h.ids &&
	cat h.ids &&
	grep -qx "n-records 3000" h.ids && grep -qx "machines-fixed 3000" h.ids &&
	grep -qx "chart-total 2998" h.ids && grep -qx "chart-outside 2" h.ids &&
	grep -qx "time-n 2998" h.ids && grep -qx "time-boot 2997" h.ids && grep -qx "time-run 1" h.ids &&
	grep -q "id=\"time-slowest\">2562047788015 h 12 min<" hostile.html &&
	grep -q "AAAAAAAAAA…</bdi>" hostile.html &&
	grep -q "and 2496 more sites" hostile.html &&
	test $(grep -o "<style" hostile.html | wc -l) = 1 &&
	grep -q "&lt;/style&gt;&lt;style&gt;\*{display:none}&lt;/style&gt;" hostile.html &&
	grep -q "line\\\\u2028sep" hostile.html &&
	! grep -q "$(printf "\342\200\250")" hostile.html &&
	! LC_ALL=C grep -q "$(printf "\377")" hostile.html
'

test_expect_success 'chromium: a screenshot and A4 print to PDF, first page as PNG (out/report/)' '
	mkdir -p "$SHOTS" &&
	$CHROME --host-resolver-rules="MAP * ~NOTFOUND" --window-size=1280,2000 \
		--screenshot=$TRASH/report.png file://$TRASH/report.html > shot.out 2>&1 &&
	test $(stat -c %s report.png) -gt 50000 &&
	$CHROME --host-resolver-rules="MAP * ~NOTFOUND" --no-pdf-header-footer \
		--print-to-pdf=$TRASH/report.pdf file://$TRASH/report.html > pdf.out 2>&1 &&
	pdfinfo report.pdf > pdf.info && cat pdf.info &&
	grep -Eq "^Page size: .*\(A4\)" pdf.info &&
	test $(awk "/^Pages:/ { print \$2 }" pdf.info) -ge 2 &&
	pdftoppm -png -r 80 -f 1 -l 1 report.pdf page &&
	test $(stat -c %s page-1.png 2>/dev/null || stat -c %s page-01.png) -gt 20000 &&
	pdftotext -f 1 -l 1 report.pdf - | grep -q "The logs, and whether they verify" &&
	cp report.png "$SHOTS/report.png" && cp page-*1.png "$SHOTS/report-page1.png" &&
	cp report.html "$SHOTS/report.html" && cp report.pdf "$SHOTS/report.pdf"
'

test_done
