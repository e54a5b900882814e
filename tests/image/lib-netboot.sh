# tests/image/lib-netboot.sh - for the network boot tests
# (tests/image/tNNNN-netboot-*.sh), after lib.sh.
#
# NETBOOT            the tree make netboot built (out/netboot, or beside
#                    BOOTFIX_IMAGE's image)
# netboot_tree DIR [image/netboot options]
#                    a tree of this test's own (a site overlay, kernel
#                    options), from the same image build
# user_net DIR BOOTFILE [MORE]
#                    image/qemu's --net for qemu's user network serving DIR
#                    by TFTP: restrict=on, so the machine reaches nothing but
#                    qemu's own DHCP and TFTP (and MORE, e.g. a guestfwd to
#                    this host's loopback)
# site_record NAME   the record a machine without a stick printed on the
#                    serial console after "audit record not written; here it
#                    is:" (one JSON line), into NAME.record.json
# rsyslog_tls_start, rsyslog_stop, rsyslog_today
#                    a real rsyslogd with the TLS receiver of docs/netboot.md
# log_fwd PORT       user_net's MORE for a machine's log-to
#                    syslog+tls://10.0.2.100:6514: each connection to that
#                    address is relayed to 127.0.0.1:PORT (refused when
#                    nothing listens there: a log server that is down)

NETBOOT=${BOOTFIX_NETBOOT:-$(dirname "$IMAGE")/netboot}
NB_BUILD=$(dirname "$IMAGE")/build

netboot_tree() {
	local out=$1
	shift
	BOOTFIX_MANIFEST=$MANIFEST "$TOP/image/netboot" --build "$NB_BUILD" --out "$out" "$@"
}

user_net() {
	echo "user,restrict=on,tftp=$1,bootfile=$2${3:+,$3}"
}

site_record() {
	tr -d '\r' < "$TRASH/$1.log" |
		grep -a -A1 -F "bootfix: audit record not written; here it is:" |
		tail -n 1 > "$TRASH/$1.record.json" && test -s "$TRASH/$1.record.json"
}

# rsyslog_tls_start: a test CA (ca.pem) and a server certificate for
# 127.0.0.1, 10.0.2.100 (the address a machine on qemu's user network is
# forwarded from) and logs.test; rsyslogd in the foreground with the TLS
# receiver of docs/netboot.md (one file per day, in rsyslog/), on a free
# port of 127.0.0.1 (RSYSLOG_PORT).  Stopped on exit with the test.
# Started again after rsyslog_stop: the same CA, certificate and port.
rsyslog_tls_start() {
	local d=$TRASH/rsyslog
	mkdir -p "$d/logs" "$d/work" &&
	# started again (a server back up): the same CA, certificate and port
	if [ ! -s "$d/server.pem" ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
			-subj "/CN=bootfix test CA" -keyout "$d/ca.key" -out "$TRASH/ca.pem" 2>/dev/null &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=logs.test" \
			-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null &&
		printf "subjectAltName=DNS:logs.test,IP:127.0.0.1,IP:10.0.2.100\n" > "$d/ext" &&
		openssl x509 -req -in "$d/server.csr" -CA "$TRASH/ca.pem" -CAkey "$d/ca.key" \
			-CAcreateserial -days 2 -extfile "$d/ext" -out "$d/server.pem" 2>/dev/null
	fi &&
	RSYSLOG_PORT=${RSYSLOG_PORT:-$(free_port)} &&
	cat > "$d/rsyslog.conf" <<CONF &&
global(maxMessageSize="256k" workDirectory="$d/work"
       DefaultNetstreamDriver="gtls"
       DefaultNetstreamDriverCAFile="$TRASH/ca.pem"
       DefaultNetstreamDriverCertFile="$d/server.pem"
       DefaultNetstreamDriverKeyFile="$d/server.key")
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1"
       StreamDriver.AuthMode="anon")
template(name="bootfixDaily" type="string"
         string="$d/logs/%\$year%-%\$month%-%\$day%.log")
ruleset(name="bootfix") {
    action(type="omfile" dynaFile="bootfixDaily"
           template="RSYSLOG_SyslogProtocol23Format"
           dirCreateMode="0750" fileCreateMode="0640")
}
input(type="imtcp" port="$RSYSLOG_PORT" address="127.0.0.1" ruleset="bootfix")
CONF
	{ rsyslogd -n -f "$d/rsyslog.conf" -i "$d/rsyslogd.pid" > "$d/rsyslogd.out" 2>&1 & } &&
	echo $! > "$d/pid" &&
	for _ in $(seq 1 100); do
		python3 -c "import socket; socket.create_connection((\"127.0.0.1\", $RSYSLOG_PORT), 1)" \
			2>/dev/null && return 0
		sleep 0.1
	done
	cat "$d/rsyslogd.out"
	return 1
}

rsyslog_stop() {
	local p
	p=$(cat "$TRASH/rsyslog/pid" 2>/dev/null) || return 0
	kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	rm -f "$TRASH/rsyslog/pid"
	return 0
}

# rsyslog_today: rsyslog's file of today (UTC), as the receiver names it
rsyslog_today() {
	echo "$TRASH/rsyslog/logs/$(date -u +%Y-%m-%d).log"
}

# log_fwd PORT: a guestfwd of qemu's user network (restrict=on lets a
# machine reach nothing else): each connection the machine opens to
# 10.0.2.100:6514 starts relay.py, which connects to 127.0.0.1:PORT and
# copies both ways, half-closes included (a syslog sender waits for the
# server to close after it).  Nothing listening there: the relay ends at
# once and the machine's connection closes, as a server that is down.
# (A "tcp:" guestfwd would connect once, when qemu starts, for all.)
log_fwd() {
	cat > "$TRASH/relay.py" <<'PY'
import os, selectors, socket, sys
err = os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
os.dup2(err, 2)		# fds 0, 1 and 2 are the machine's connection: not stderr
guest = socket.socket(fileno=os.dup(0))
try:
    up = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
except OSError as e:
    print("relay: 127.0.0.1:%s: %s" % (sys.argv[1], e), file=sys.stderr)
    sys.exit(1)
print("relay: connected to 127.0.0.1:%s" % sys.argv[1], file=sys.stderr)
sel = selectors.DefaultSelector()
sel.register(guest, selectors.EVENT_READ, up)
sel.register(up, selectors.EVENT_READ, guest)
left = 2
while left:
    for key, _ in sel.select():
        try:
            data = key.fileobj.recv(65536)
        except OSError:
            data = b""
        if data:
            key.data.sendall(data)
            continue
        sel.unregister(key.fileobj)
        left -= 1
        try:
            key.data.shutdown(socket.SHUT_WR)
        except OSError:
            pass
PY
	echo "guestfwd=tcp:10.0.2.100:6514-cmd:python3 $TRASH/relay.py $1 $TRASH/relay.log"
}

# free_port: a port of 127.0.0.1 nothing listens on now
free_port() {
	python3 -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])"
}
