/*
 * logsend.c - one audit record to one log server (see logsend.h).
 *
 * Every step has a deadline: the connect (non-blocking, then poll), the
 * TLS handshake, the sending and the answer.  A record counts as sent when
 * the server took it the only way each protocol can say so: a syslog
 * server reads the stream to its end and closes its side (we close ours
 * first, then wait for it), an https server answers 2xx.  A try that fails
 * for a reason another try cannot change (the CA file, the certificate, a
 * 4xx answer) ends the tries.
 */
#include <arpa/inet.h>
#include <linux/sockios.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "file.h"
#include "logsend.h"
#include "version.h"

#define TOKEN_MAX 4096
#define ANSWER_MAX 8192		/* bytes of an https answer read for its status line */
/* RFC 5424 PRI: facility 13 ("log audit"), severity 5 (notice) */
#define SYSLOG_PRI (13 * 8 + 5)

const char *logsend_scheme_name(enum logsend_scheme sc)
{
	return sc == LOGSEND_SYSLOG_TLS ? "syslog+tls" : sc == LOGSEND_SYSLOG_TCP ? "syslog+tcp" :
	       "https";
}

/* ---- the URL ---- */

static int host_ok(const char *h, size_t n)
{
	if (n == 0 || n > 253 || h[0] == '.' || h[0] == '-' || h[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-')
			return 0;
		if (h[i] == '.' && i + 1 < n && h[i + 1] == '.')
			return 0;
	}
	return 1;
}

int logsend_parse(const char *url, struct logsend_dest *d)
{
	static const struct { const char *prefix; enum logsend_scheme sc; const char *port; } schemes[] = {
		{ "syslog+tls://", LOGSEND_SYSLOG_TLS, "6514" },
		{ "syslog+tcp://", LOGSEND_SYSLOG_TCP, "514" },
		{ "https://", LOGSEND_HTTPS, "443" },
	};
	size_t len = strlen(url), alen, hlen, k;
	const char *p = NULL, *host, *colon, *rest, *sep;

	memset(d, 0, sizeof(*d));
	if (len > LOGSEND_URL_MAX)
		return err_set("longer than %d bytes", LOGSEND_URL_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return err_set("holds a space, a control character or a non-ASCII byte "
				       "(write a URL as ASCII)");
	for (k = 0; k < sizeof(schemes) / sizeof(schemes[0]); k++)
		if (!strncasecmp(url, schemes[k].prefix, strlen(schemes[k].prefix))) {
			p = url + strlen(schemes[k].prefix);
			break;
		}
	if (!p) {
		sep = strstr(url, "://");
		if (sep && sep - url <= 16)
			return err_set("unknown scheme '%.*s' (give syslog+tls, syslog+tcp or https)",
				       (int)(sep - url), url);
		return err_set("not a URL (give syslog+tls://HOST:PORT, syslog+tcp://HOST:PORT "
			       "or https://HOST/PATH)");
	}
	d->scheme = schemes[k].sc;
	snprintf(d->url, sizeof(d->url), "%s", url);
	alen = strcspn(p, "/?#");
	if (memchr(p, '@', alen))
		return err_set("user names and passwords do not go in the URL (log-token gives "
			       "https a bearer token)");
	host = p;
	if (*p == '[') {
		const char *close = memchr(p, ']', alen);
		struct in6_addr a6;

		if (!close)
			return err_set("an IPv6 address in '[' has no ']'");
		host = p + 1;
		hlen = (size_t)(close - host);
		if (hlen >= sizeof(d->host))
			return err_set("the host is longer than %zu bytes", sizeof(d->host) - 1);
		memcpy(d->host, host, hlen);
		if (inet_pton(AF_INET6, d->host, &a6) != 1)
			return err_set("'%s' is not an IPv6 address", d->host);
		colon = close + 1 < p + alen ? close + 1 : NULL;
		if (colon && *colon != ':')
			return err_set("only ':PORT' may follow an IPv6 address in brackets");
	} else {
		colon = memchr(p, ':', alen);
		hlen = colon ? (size_t)(colon - p) : alen;
		if (colon && memchr(colon + 1, ':', (size_t)(p + alen - colon - 1)))
			return err_set("an IPv6 address goes in brackets: [ADDRESS]:PORT");
		if (!host_ok(p, hlen))
			return err_set("'%.*s' is not a host name or an IP address", (int)(hlen > 64 ? 64 :
				       hlen), p);
		memcpy(d->host, p, hlen);
	}
	if (colon) {
		const char *digits = colon + 1;
		size_t nd = (size_t)(p + alen - digits);
		long port = 0;

		if (nd == 0)
			return err_set("the port after ':' is empty");
		for (size_t i = 0; i < nd; i++) {
			if (!isdigit((unsigned char)digits[i]))
				return err_set("the port is not a number");
			if (port <= 65535)
				port = port * 10 + (digits[i] - '0');
		}
		if (port < 1 || port > 65535)
			return err_set("port %.*s is out of range (1 to 65535)", (int)(nd > 12 ? 12 :
				       nd), digits);
		snprintf(d->port, sizeof(d->port), "%ld", port);
	} else {
		snprintf(d->port, sizeof(d->port), "%s", schemes[k].port);
	}
	rest = p + alen;
	if (strchr(rest, '#'))
		return err_set("a fragment ('#...') means nothing to a log server");
	if (d->scheme != LOGSEND_HTTPS) {
		if (*rest && strcmp(rest, "/"))
			return err_set("a syslog URL has no path or query");
	} else {
		snprintf(d->path, sizeof(d->path), "%s%s", *rest == '/' ? "" : "/", rest);
	}
	return 0;
}

/* ---- settings ---- */

/* A test variable in ms within lo..hi, else dflt. */
static unsigned env_ms(const char *name, long lo, long hi, unsigned dflt)
{
	const char *env = getenv(name);
	char *end;
	long v;

	if (!env || !*env)
		return dflt;
	errno = 0;
	v = strtol(env, &end, 10);
	return !*end && !errno && v >= lo && v <= hi ? (unsigned)v : dflt;
}

void logsend_init(struct logsend *s)
{
	memset(s, 0, sizeof(*s));
	s->attempts = LOGSEND_ATTEMPTS;
	s->delay_ms = env_ms(LOGSEND_DELAY_ENV, 0, 60000, LOGSEND_DELAY_MS);
	s->connect_ms = env_ms(LOGSEND_TIMEOUT_ENV, 100, 60000, LOGSEND_CONNECT_MS);
	s->io_ms = env_ms(LOGSEND_TIMEOUT_ENV, 100, 60000, LOGSEND_IO_MS);
}

void logsend_free(struct logsend *s)
{
	free(s->ca_file);
	free(s->token_file);
	logsend_init(s);
}

/* ---- one try ---- */

/* What one try learnt: why it failed, and whether trying again can help. */
struct try {
	char why[400];
	int final;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for ev on fd until deadline; 0, or -1 with t->why ("timed out DOING"). */
static int wait_fd(int fd, short ev, long long deadline, struct try *t, const char *doing)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = ev };
		long long left = deadline - now_ms();
		int n;

		if (left <= 0) {
			snprintf(t->why, sizeof(t->why), "timed out %s", doing);
			return -1;
		}
		n = poll(&p, 1, left > 1000 ? 1000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR) {
			snprintf(t->why, sizeof(t->why), "cannot wait for the server: %s",
				 err_cause(errno));
			return -1;
		}
	}
}

/* A connected non-blocking TCP socket to d, or -1 with t->why. */
static int dial(const struct logsend_dest *d, unsigned connect_ms, struct try *t)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *res, *ai;
	int rc = getaddrinfo(d->host, d->port, &hints, &res), fd = -1;

	if (rc) {
		snprintf(t->why, sizeof(t->why), "cannot resolve %s: %s", d->host,
			 rc == EAI_SYSTEM ? err_cause(errno) : gai_strerror(rc));
		err_lower_first(t->why + strlen("cannot resolve ") + strlen(d->host) + 2);
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		long long deadline = now_ms() + connect_ms;
		int e = 0;
		socklen_t el = sizeof(e);

		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(t->why, sizeof(t->why), "cannot connect: %s", err_cause(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno != EINPROGRESS) {
			snprintf(t->why, sizeof(t->why), "cannot connect: %s", err_cause(errno));
		} else if (wait_fd(fd, POLLOUT, deadline, t, "connecting") == 0) {
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0)
				break;
			snprintf(t->why, sizeof(t->why), "cannot connect: %s", err_cause(e ? e : errno));
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* ---- plain TCP ---- */

static int plain_put(int fd, const char *buf, size_t len, long long deadline, struct try *t)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(fd, POLLOUT, deadline, t, "sending") < 0)
				return -1;
		} else if (n < 0 && errno != EINTR) {
			snprintf(t->why, sizeof(t->why), "cannot send: %s", err_cause(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * The server closed its side: did its system take every byte we sent, and
 * our close?  A server that closes before reading (rsyslog at its session
 * limit) sends its close first and then refuses what came after it: over
 * a slow network its close reaches us long before the refusal.  Until every
 * byte is acknowledged the record is not counted as sent.
 */
static int all_taken(int fd, long long deadline, struct try *t)
{
	for (;;) {
		int unacked = 0, e = 0;
		socklen_t el = sizeof(e);

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e) {
			snprintf(t->why, sizeof(t->why), "the server closed the connection without "
				 "taking the record: %s", err_cause(e));
			return -1;
		}
		if (ioctl(fd, SIOCOUTQ, &unacked) < 0 || unacked == 0)
			return 0;
		if (now_ms() >= deadline) {
			snprintf(t->why, sizeof(t->why), "timed out waiting for the server to take "
				 "the record (%d bytes not acknowledged)", unacked);
			return -1;
		}
		/* nothing to poll for: the connection is readable (closed) all along */
		nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	}
}

/* Our side closed: wait for the server to read to the end and close its side. */
static int plain_close(int fd, long long deadline, struct try *t)
{
	char junk[512];

	if (shutdown(fd, SHUT_WR) < 0) {
		snprintf(t->why, sizeof(t->why), "cannot close the connection: %s", err_cause(errno));
		return -1;
	}
	for (;;) {
		ssize_t n = recv(fd, junk, sizeof(junk), 0);

		if (n == 0)
			return all_taken(fd, deadline, t);
		if (n > 0)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (wait_fd(fd, POLLIN, deadline, t, "waiting for the server to close") < 0)
				return -1;
		} else if (errno != EINTR) {
			snprintf(t->why, sizeof(t->why), "the connection failed before the server "
				 "closed it: %s", err_cause(errno));
			return -1;
		}
	}
}

/* ---- TLS ---- */

static int is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

/* OpenSSL's last error as a cause, lowercase; "" when it has none. */
static void ssl_cause(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	snprintf(buf, len, "%s", r ? r : "");
	ERR_clear_error();
}

static SSL_CTX *tls_context(const struct logsend *s, struct try *t)
{
	SSL_CTX *ctx;
	struct stat st;
	char cause[200];
	int fd;

	t->final = 1;		/* the CA file does not change between tries */
	if (!s->ca_file) {
		snprintf(t->why, sizeof(t->why), "no CA certificate to check the server with "
			 "(log-ca)");
		return NULL;
	}
	fd = file_open(AT_FDCWD, s->ca_file, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(t->why, sizeof(t->why), "cannot read the CA file %s: %s", s->ca_file,
			 errno == ELOOP ? "it is a link" : err_cause(errno));
		return NULL;
	}
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(t->why, sizeof(t->why), "cannot read the CA file %s: it is %s", s->ca_file,
			 S_ISDIR(st.st_mode) ? "a folder" : "not a regular file");
		close(fd);
		return NULL;
	}
	close(fd);
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		ssl_cause(cause, sizeof(cause));
		snprintf(t->why, sizeof(t->why), "cannot set up TLS: %s", cause);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_load_verify_locations(ctx, s->ca_file, NULL) != 1) {
		ssl_cause(cause, sizeof(cause));
		snprintf(t->why, sizeof(t->why), "the CA file %s holds no usable certificate%s%s",
			 s->ca_file, cause[0] ? ": " : "", cause);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* rsyslog and many https servers close without a close_notify: the end of
	   the stream, not an attack, once everything was sent */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	t->final = 0;
	return ctx;
}

/*
 * Drive one SSL call that may want to read or write on a non-blocking
 * socket: 1 done (*ret its result), 0 call it again, -1 failed (*err the
 * SSL_get_error() code).
 */
static int ssl_step(SSL *ssl, int fd, int r, long long deadline, struct try *t, const char *doing,
		    int *err)
{
	*err = SSL_get_error(ssl, r);
	if (r > 0)
		return 1;
	if (*err == SSL_ERROR_WANT_READ)
		return wait_fd(fd, POLLIN, deadline, t, doing) < 0 ? -1 : 0;
	if (*err == SSL_ERROR_WANT_WRITE)
		return wait_fd(fd, POLLOUT, deadline, t, doing) < 0 ? -1 : 0;
	return -1;
}

static SSL *tls_open(SSL_CTX *ctx, int fd, const struct logsend_dest *d, long long deadline,
		     struct try *t)
{
	SSL *ssl = SSL_new(ctx);
	char cause[200];
	int err = 0, r;

	if (!ssl) {
		ssl_cause(cause, sizeof(cause));
		snprintf(t->why, sizeof(t->why), "cannot set up TLS: %s", cause);
		return NULL;
	}
	SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_set_fd(ssl, fd);
	if (is_ip(d->host)) {
		/* an address is checked against the certificate's IP entries; no SNI (RFC 6066) */
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), d->host);
	} else {
		SSL_set_tlsext_host_name(ssl, d->host);
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		SSL_set1_host(ssl, d->host);
	}
	ERR_clear_error();
	for (;;) {
		int s;

		r = SSL_connect(ssl);
		s = ssl_step(ssl, fd, r, deadline, t, "in the TLS handshake", &err);
		if (s == 1)
			return ssl;
		if (s == 0)
			continue;
		break;
	}
	if (t->why[0]) {
		/* timed out */
	} else if (SSL_get_verify_result(ssl) != X509_V_OK) {
		snprintf(t->why, sizeof(t->why), "certificate verify failed: %s",
			 X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
		t->final = 1;
	} else if (err == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0) {
		snprintf(t->why, sizeof(t->why), "the TLS handshake failed: %s", errno ?
			 err_cause(errno) : "the server closed the connection");
	} else {
		ssl_cause(cause, sizeof(cause));
		snprintf(t->why, sizeof(t->why), "the TLS handshake failed%s%s", cause[0] ? ": " : "",
			 cause);
	}
	ERR_clear_error();
	SSL_free(ssl);
	return NULL;
}

static int tls_put(SSL *ssl, int fd, const char *buf, size_t len, long long deadline,
		   struct try *t)
{
	char cause[200];
	int err;

	ERR_clear_error();
	while (len) {
		int r = SSL_write(ssl, buf, len > 1 << 30 ? 1 << 30 : (int)len), s;

		s = ssl_step(ssl, fd, r, deadline, t, "sending", &err);
		if (s == 1) {
			buf += r;
			len -= (size_t)r;
		} else if (s < 0) {
			if (!t->why[0]) {
				ssl_cause(cause, sizeof(cause));
				snprintf(t->why, sizeof(t->why), "cannot send: %s", cause[0] ? cause :
					 err_cause(errno ? errno : EPIPE));
			}
			return -1;
		}
	}
	return 0;
}

/*
 * Read from the TLS connection into buf (len bytes, *got so far) until
 * stop is found in it, it is full, or the server closes (1 closed, 0 stop
 * found or full, -1 failed).
 */
static int tls_get(SSL *ssl, int fd, char *buf, size_t len, size_t *got, const char *stop,
		   long long deadline, struct try *t, const char *doing)
{
	char cause[200];
	int err;

	ERR_clear_error();
	while (*got < len) {
		int r = SSL_read(ssl, buf + *got, (int)(len - *got)), s;

		s = ssl_step(ssl, fd, r, deadline, t, doing, &err);
		if (s == 1) {
			*got += (size_t)r;
			if (stop && memmem(buf, *got, stop, strlen(stop)))
				return 0;
		} else if (s < 0) {
			if (err == SSL_ERROR_ZERO_RETURN ||
			    (err == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0 && r == 0))
				return 1;
			if (!t->why[0]) {
				ssl_cause(cause, sizeof(cause));
				snprintf(t->why, sizeof(t->why), "the connection failed %s: %s", doing,
					 cause[0] ? cause : err_cause(errno ? errno : EIO));
			}
			return -1;
		}
	}
	return 0;
}

/* Our close_notify, then the server's close: it read the stream to its end. */
static int tls_close(SSL *ssl, int fd, long long deadline, struct try *t)
{
	char junk[512];
	int err;

	ERR_clear_error();
	for (;;) {
		int r = SSL_shutdown(ssl), s;

		if (r >= 0)
			break;
		s = ssl_step(ssl, fd, r, deadline, t, "closing", &err);
		if (s < 0) {
			if (!t->why[0])
				snprintf(t->why, sizeof(t->why), "cannot close the connection");
			return -1;
		}
	}
	for (;;) {
		size_t got = 0;
		int r = tls_get(ssl, fd, junk, sizeof(junk), &got, NULL, deadline, t,
				"waiting for the server to close");

		if (r == 1)
			return all_taken(fd, deadline, t);
		if (r < 0)
			return -1;
	}
}

/* ---- the messages ---- */

/* The syslog header's HOSTNAME: a plain name, else the nil value. */
static const char *syslog_host(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 63)
		return "-";
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '.' && name[i] != '-' &&
		    name[i] != '_')
			return "-";
	return name;
}

/* RFC 5424 message framed by RFC 6587 octet counting: "LEN SP MSG". Caller frees. */
static char *syslog_frame(const char *hostname, const char *line, size_t len, size_t *out)
{
	char head[256], when[40], *buf;
	struct timespec ts;
	struct tm tm;
	size_t hl, ml;
	int pl;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	/* no BOM before the record: MSG-ANY keeps the record's bytes as they are */
	hl = (size_t)snprintf(head, sizeof(head), "<%d>1 %s.%03ldZ %s bootfix %ld record - ",
			      SYSLOG_PRI, when, ts.tv_nsec / 1000000, syslog_host(hostname),
			      (long)getpid());
	ml = hl + len;
	buf = malloc(ml + 32);
	if (!buf)
		return NULL;
	pl = snprintf(buf, 32, "%zu ", ml);
	memcpy(buf + pl, head, hl);
	memcpy(buf + pl + hl, line, len);
	*out = (size_t)pl + ml;
	return buf;
}

/* The bearer token: the first line of the file, visible ASCII. Caller frees. */
static char *read_token(const char *path, struct try *t)
{
	size_t len, n;
	char *text = file_slurp(AT_FDCWD, path, TOKEN_MAX + 2, &len);

	t->final = 1;
	if (!text) {
		snprintf(t->why, sizeof(t->why), "cannot read the token file: %s", err_msg());
		return NULL;
	}
	/* Notepad may begin the file with a UTF-8 BOM, as bootfix.conf (config.c) */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		memmove(text, text + 3, len - 2);
	n = strcspn(text, "\r\n");
	text[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)text[i] <= 0x20 || (unsigned char)text[i] >= 0x7f)
			n = 0;
	if (n == 0 || n > TOKEN_MAX) {
		snprintf(t->why, sizeof(t->why), "the token file %s holds no token (its first line "
			 "must be 1 to %d visible ASCII characters)", path, TOKEN_MAX);
		free(text);
		return NULL;
	}
	t->final = 0;
	return text;
}

/* The status of an https answer: "HTTP/1.x NNN reason". */
static int http_status(const char *buf, size_t len, struct try *t)
{
	char reason[64];
	size_t i, k = 0;
	int code;

	if (len < 12 || strncmp(buf, "HTTP/1.", 7) || !isdigit((unsigned char)buf[7]) ||
	    buf[8] != ' ' || !isdigit((unsigned char)buf[9]) || !isdigit((unsigned char)buf[10]) ||
	    !isdigit((unsigned char)buf[11])) {
		snprintf(t->why, sizeof(t->why), "the server did not answer in HTTP/1");
		return -1;
	}
	code = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (code >= 200 && code < 300)
		return 0;
	for (i = 12; i < len && buf[i] == ' '; i++)
		;
	for (; i < len && k + 1 < sizeof(reason) && buf[i] != '\r' && buf[i] != '\n'; i++)
		reason[k++] = buf[i] >= 0x20 && buf[i] < 0x7f ? buf[i] : '?';
	reason[k] = '\0';
	snprintf(t->why, sizeof(t->why), "the server answered %d%s%s%s", code, k ? " " : "", reason,
		 code >= 300 && code < 400 ? " (a redirect is not followed: give log-to the URL "
		 "it names)" : "");
	/* a request refused or sent elsewhere stays so; a busy or broken server may
	   take it later */
	t->final = (code >= 300 && code < 500 && code != 408 && code != 429);
	return -1;
}

static char *http_request(const struct logsend_dest *d, const char *token, const char *line,
			  size_t len, size_t *out)
{
	char *head = NULL, *buf;
	int v6 = strchr(d->host, ':') != NULL, n;
	int dflt = !strcmp(d->port, "443");

	n = asprintf(&head, "POST %s HTTP/1.1\r\nHost: %s%s%s%s%s\r\nUser-Agent: bootfix/%s\r\n"
		     "Content-Type: application/json\r\nContent-Length: %zu\r\n%s%s%s"
		     "Connection: close\r\n\r\n", d->path, v6 ? "[" : "", d->host, v6 ? "]" : "",
		     dflt ? "" : ":", dflt ? "" : d->port, BOOTFIX_VERSION, len,
		     token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "");
	if (n < 0)
		return NULL;
	buf = malloc((size_t)n + len);
	if (buf) {
		memcpy(buf, head, (size_t)n);
		memcpy(buf + n, line, len);
		*out = (size_t)n + len;
	}
	free(head);
	return buf;
}

static int try_once(const struct logsend *s, const struct logsend_dest *d, const char *hostname,
		    const char *line, size_t len, struct try *t)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	char *msg = NULL, *token = NULL, answer[ANSWER_MAX];
	size_t mlen = 0, got = 0;
	long long deadline;
	int fd = -1, rc = -1;

	memset(t, 0, sizeof(*t));
	if (d->scheme == LOGSEND_HTTPS && s->token_file && !(token = read_token(s->token_file, t)))
		return -1;
	if (d->scheme != LOGSEND_SYSLOG_TCP && !(ctx = tls_context(s, t)))
		goto out;
	msg = d->scheme == LOGSEND_HTTPS ? http_request(d, token, line, len, &mlen) :
	      syslog_frame(hostname, line, len, &mlen);
	if (!msg) {
		snprintf(t->why, sizeof(t->why), "%s", err_cause(ENOMEM));
		goto out;
	}
	if ((fd = dial(d, s->connect_ms, t)) < 0)
		goto out;
	deadline = now_ms() + s->io_ms;
	if (!ctx) {
		rc = plain_put(fd, msg, mlen, deadline, t) < 0 || plain_close(fd, deadline, t) < 0 ?
		     -1 : 0;
		goto out;
	}
	if (!(ssl = tls_open(ctx, fd, d, deadline, t)) || tls_put(ssl, fd, msg, mlen, deadline, t) < 0)
		goto out;
	if (d->scheme == LOGSEND_SYSLOG_TLS) {
		rc = tls_close(ssl, fd, deadline, t);
		goto out;
	}
	for (;;) {
		char *end;
		size_t used;

		if (tls_get(ssl, fd, answer, sizeof(answer), &got, "\r\n", deadline, t,
			    "waiting for the answer") < 0)
			goto out;
		/* an interim answer (100 Continue, 102, 103) comes before the final one
		   (RFC 9110, 15.2): the record is not refused, the answer is still to come */
		if (got < 12 || strncmp(answer, "HTTP/1.", 7) || answer[9] != '1')
			break;
		while (!(end = memmem(answer, got, "\r\n\r\n", 4))) {
			if (got == sizeof(answer) ||
			    tls_get(ssl, fd, answer, sizeof(answer), &got, "\r\n\r\n", deadline, t,
				    "waiting for the answer") != 0) {
				if (!t->why[0])
					snprintf(t->why, sizeof(t->why), "the server ended its answer "
						 "after an interim one");
				goto out;
			}
		}
		used = (size_t)(end + 4 - answer);
		memmove(answer, answer + used, got - used);
		got -= used;
		if (memmem(answer, got, "\r\n", 2))
			break;
	}
	rc = http_status(answer, got, t);
out:
	if (ssl) {
		SSL_set_quiet_shutdown(ssl, 1);
		SSL_free(ssl);
	}
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	if (token)
		explicit_bzero(token, strlen(token));
	free(token);
	if (msg && d->scheme == LOGSEND_HTTPS)
		explicit_bzero(msg, mlen);	/* it holds the token */
	free(msg);
	return rc;
}

int logsend_one(const struct logsend *s, const struct logsend_dest *d, const char *hostname,
		const char *line, size_t len)
{
	unsigned delay = s->delay_ms, tries = 0;
	struct try t;

	for (;;) {
		tries++;
		if (try_once(s, d, hostname, line, len, &t) == 0)
			return 0;
		if (t.final || tries >= s->attempts || (s->stop && *s->stop))
			break;
		/* a pause that a signal cuts short */
		for (unsigned waited = 0; waited < delay && !(s->stop && *s->stop); waited += 100) {
			struct timespec ts = { 0, (long)(delay - waited < 100 ? delay - waited : 100) *
					       1000000L };

			nanosleep(&ts, NULL);
		}
		delay = delay > 60000 ? delay : delay * 2;
	}
	if (tries > 1)
		return err_set("%s (%u tries)", t.why, tries);
	return err_set("%s", t.why);
}
