# tests/cli/lib-logserver.sh - sourced by tests/cli/t08NN-logsend-*.sh after
# tests/lib.sh: a test CA and server certificates made with openssl, and
# real log servers on 127.0.0.1 started in the trash directory: rsyslogd
# (Debian's rsyslog and rsyslog-gnutls) with a TLS and a plain TCP
# listener, openssl s_server, and tests/tools/https-receiver.py.  Each is
# stopped by the pid this test started, when the test ends.

SERVER_PIDS=""
LOGSEND_FILE=C-00000291-00000000-00000032.sys

# disk IMG : a GPT disk with Windows and a faulty channel file
disk() {
	make_disk $1 gpt 40 32 && dev=$(attach $1) && ntfs_format ${dev}p1 Windows &&
	ntfs_mount ${dev}p1 w && windows_tree w && channel_file w $LOGSEND_FILE "$FAULTY_TIME" &&
	ntfs_umount w && losetup -d $dev
}

# site_conf LINE... : data/bootfix.conf of these lines
site_conf() { printf '%s\n' "$@" > data/bootfix.conf; }

# free_port : a TCP port nothing listens on at 127.0.0.1 right now
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT : until something accepts connections on 127.0.0.1:PORT (10 s)
wait_port() {
	python3 - "$1" <<-'PY'
	import socket, sys, time
	for _ in range(200):
	    try:
	        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
	        sys.exit(0)
	    except OSError:
	        time.sleep(0.05)
	sys.exit(1)
	PY
}

# make_ca NAME : NAME.key, NAME.pem, a CA for tests (P-256, 2 days)
make_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout $1.key -out $1.pem -subj "/CN=bootfix test CA $1" 2>/dev/null
}

# make_cert CA NAME SAN : NAME.key, NAME.pem, a server certificate CA signed for SAN
make_cert() {
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$3" > $2.ext &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $2.key \
		-out $2.csr -subj "/CN=$2" 2>/dev/null &&
	openssl x509 -req -in $2.csr -CA $1.pem -CAkey $1.key -CAcreateserial -days 2 \
		-extfile $2.ext -out $2.pem 2>/dev/null
}

# start_rsyslog DIR TLSPORT TCPPORT CA CERT KEY : rsyslogd of its own; the
# message part (%msg%) of each record goes to DIR/tls.log or DIR/tcp.log,
# the whole message as received (%rawmsg%) to DIR/tls.raw
start_rsyslog() {
	local d=$1
	mkdir -p $d/work &&
	cat > $d/rsyslog.conf <<-EOF &&
	global(workDirectory="$d/work" maxMessageSize="256k"
	       DefaultNetstreamDriverCAFile="$4"
	       DefaultNetstreamDriverCertFile="$5"
	       DefaultNetstreamDriverKeyFile="$6")
	module(load="imtcp" MaxSessions="20")
	template(name="msgonly" type="string" string="%msg%\n")
	template(name="raw" type="string" string="%rawmsg%\n")
	ruleset(name="tls") {
		action(type="omfile" file="$d/tls.log" template="msgonly")
		action(type="omfile" file="$d/tls.raw" template="raw")
	}
	ruleset(name="tcp") {
		action(type="omfile" file="$d/tcp.log" template="msgonly")
	}
	input(type="imtcp" address="127.0.0.1" port="$2" ruleset="tls"
	      StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
	input(type="imtcp" address="127.0.0.1" port="$3" ruleset="tcp")
	EOF
	{ rsyslogd -n -f $d/rsyslog.conf -i $d/rsyslogd.pid > $d/stderr 2>&1 & } &&
	echo $! > $d/pid && SERVER_PIDS="$SERVER_PIDS $!" &&
	wait_port $2 && wait_port $3
}

# start_s_server DIR PORT CERT KEY : a TLS server (openssl s_server) that shows
# a certificate bootfix must refuse
start_s_server() {
	mkdir -p $1 &&
	{ openssl s_server -quiet -accept 127.0.0.1:$2 -cert $3 -key $4 < /dev/null \
		> $1/s_server.out 2>&1 & } &&
	echo $! > $1/pid && SERVER_PIDS="$SERVER_PIDS $!" &&
	wait_port $2
}

# start_https DIR PORT CERT KEY TOKENFILE : tests/tools/https-receiver.py
start_https() {
	mkdir -p $1/bodies &&
	{ python3 "$TOP/tests/tools/https-receiver.py" --port $2 --cert $3 --key $4 \
		--token-file $5 --out $1/bodies > $1/stderr 2>&1 & } &&
	echo $! > $1/pid && SERVER_PIDS="$SERVER_PIDS $!" &&
	wait_port $2
}

# stop_server DIR : stop the server started in DIR (by its pid) and wait for it
stop_server() {
	local p
	p=$(cat $1/pid) || return 1
	kill $p 2>/dev/null
	for _ in $(seq 1 100); do
		process_gone $p && return 0
		sleep 0.05
	done
	return 1
}

# wait_lines FILE N : until FILE has N lines (10 s)
wait_lines() {
	for _ in $(seq 1 200); do
		[ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "$1 has not $2 lines:"; cat "$1" 2>/dev/null
	return 1
}

stop_servers() {
	local p
	for p in $SERVER_PIDS; do
		kill $p 2>/dev/null
	done
	for p in $SERVER_PIDS; do
		for _ in $(seq 1 100); do
			process_gone $p && break
			sleep 0.05
		done
	done
}
trap 'stop_servers; cleanup_trash' EXIT
