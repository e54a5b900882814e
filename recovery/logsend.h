/*
 * logsend.h - sending an audit record to the site's log servers
 * (bootfix.conf's log-to lines; docs/log.md, "Log servers").
 *
 *   syslog+tls://host[:6514]   RFC 5424 message, RFC 6587 octet counting,
 *                              over TLS 1.2 or later as RFC 5425 says
 *   syslog+tcp://host[:514]    the same in clear (trusted networks, tests)
 *   https://host[:443]/path    one POST per record, the record as its
 *                              JSON body, an optional bearer token; 2xx
 *                              answers alone count
 *
 * The server's certificate is checked against the site's CA file and its
 * name (or IP address) for syslog+tls and https; there is no fallback to
 * a system store.  Each send is tried a bounded number of times with a
 * growing pause between tries.  Nothing here prints; failures come back as
 * err_set() messages.
 */
#ifndef BOOTFIX_LOGSEND_H
#define BOOTFIX_LOGSEND_H

#include <signal.h>
#include <stddef.h>

#define LOGSEND_URL_MAX 1024		/* bytes of a log-to URL */
#define LOGSEND_DEST_MAX 8		/* log-to lines one bootfix.conf may have */
#define LOGSEND_ATTEMPTS 4		/* tries per record and server */
#define LOGSEND_DELAY_MS 1000		/* pause after the first failed try; doubles */
#define LOGSEND_CONNECT_MS 5000		/* to connect */
#define LOGSEND_IO_MS 10000		/* for the TLS handshake, the sending, the answer */
/* test only: the first pause in ms (0..60000) instead of LOGSEND_DELAY_MS */
#define LOGSEND_DELAY_ENV "BOOTFIX_LOGSEND_DELAY_MS"
/* test only: each step's time in ms (100..60000) instead of LOGSEND_CONNECT_MS
   and LOGSEND_IO_MS */
#define LOGSEND_TIMEOUT_ENV "BOOTFIX_LOGSEND_TIMEOUT_MS"

enum logsend_scheme { LOGSEND_SYSLOG_TLS, LOGSEND_SYSLOG_TCP, LOGSEND_HTTPS };

/* One log server, as a log-to URL names it. */
struct logsend_dest {
	enum logsend_scheme scheme;
	char url[LOGSEND_URL_MAX + 1];	/* as given, for messages */
	char host[256];			/* a DNS name or an IP address (no brackets) */
	char port[6];			/* decimal, 1..65535 */
	char path[LOGSEND_URL_MAX + 1];	/* https: "/..." with any query; else "" */
};

/*
 * Read a log-to URL into *d.  Refused (-1 with err_set() giving the cause
 * alone, "unknown scheme 'ftp' (give syslog+tls, syslog+tcp or https)"):
 * another scheme, user names or passwords in the URL, an empty or
 * malformed host, a port outside 1..65535, a path on a syslog URL, a
 * fragment, control characters or spaces, more than LOGSEND_URL_MAX bytes.
 */
int logsend_parse(const char *url, struct logsend_dest *d);

/* Where and how records go; fill with logsend_init(), then set the fields. */
struct logsend {
	struct logsend_dest dest[LOGSEND_DEST_MAX];
	size_t n;
	char *ca_file;		/* PEM CA certificate(s) for syslog+tls and https */
	char *token_file;	/* https: its first line is the bearer token; NULL: none */
	unsigned attempts;	/* LOGSEND_ATTEMPTS */
	unsigned delay_ms;	/* LOGSEND_DELAY_MS, or $BOOTFIX_LOGSEND_DELAY_MS */
	unsigned connect_ms;	/* LOGSEND_CONNECT_MS, or $BOOTFIX_LOGSEND_TIMEOUT_MS */
	unsigned io_ms;		/* LOGSEND_IO_MS, or $BOOTFIX_LOGSEND_TIMEOUT_MS */
	volatile sig_atomic_t *stop;	/* set by a signal: no more tries, no more pauses */
};

/* No server; the default tries, pauses and timeouts (the test variables read here). */
void logsend_init(struct logsend *s);

/* Free the file names and make s empty again. */
void logsend_free(struct logsend *s);

/*
 * Send the record line[0..len) (one JSON line, no '\n') to d, trying up to
 * s->attempts times.  hostname names this machine in the syslog header (a
 * Windows computer name: anything but [A-Za-z0-9._-] makes it "-"; NULL is
 * "-").  Returns 0 once the server took it (syslog: written and the
 * connection closed cleanly by both sides; https: a 2xx status), or -1
 * with err_set() giving the last try's cause ("connection refused",
 * "certificate verify failed: ...", "the server answered 401
 * Unauthorized"), and "after N tries" when there were several.
 */
int logsend_one(const struct logsend *s, const struct logsend_dest *d, const char *hostname,
		const char *line, size_t len);

/* "syslog+tls", "syslog+tcp", "https" (static). */
const char *logsend_scheme_name(enum logsend_scheme sc);

#endif
