/*
 * config.c - DATA/bootfix.conf (see config.h).
 *
 * The file is written in Notepad by whoever prepared the stick, so it is
 * read forgivingly: each bad line is reported and skipped, and nothing in
 * it can stop a repair.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "file.h"

#define CONFIG_FILE_MAX (64 * 1024)

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->countdown = -1;
}

void config_free(struct config *c)
{
	free(c->operator_name);
	free(c->site);
	free(c->stick);
	for (size_t i = 0; i < c->nlog_to; i++)
		free(c->log_to[i]);
	free(c->log_ca);
	free(c->log_token);
	for (size_t i = 0; i < c->nproblems; i++)
		free(c->problems[i]);
	free(c->problems);
	config_init(c);
}

const char *config_mode_name(enum config_mode m)
{
	return m == CONFIG_MODE_MENU ? "menu" : m == CONFIG_MODE_AUTO ? "auto" : NULL;
}

const char *config_after_name(enum config_after a)
{
	switch (a) {
	case CONFIG_AFTER_POWEROFF:
		return "poweroff";
	case CONFIG_AFTER_REBOOT:
		return "reboot";
	case CONFIG_AFTER_WAIT:
		return "wait";
	default:
		return NULL;
	}
}

static void problem(struct config *c, const char *name, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void problem(struct config *c, const char *name, int line, const char *fmt, ...)
{
	char msg[512], *s, **grown;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0) {
		if (asprintf(&s, "%s:%d: %s", name, line, msg) < 0)
			return;
	} else if (asprintf(&s, "%s: %s", name, msg) < 0) {
		return;
	}
	grown = realloc(c->problems, (c->nproblems + 1) * sizeof(*grown));
	if (!grown) {
		free(s);
		return;
	}
	c->problems = grown;
	c->problems[c->nproblems++] = s;
}

/* 1 when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
static int utf8_ok(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char b = s[i];
		size_t n;
		unsigned long cp;

		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf)
			n = 1, cp = b & 0x1f;
		else if (b >= 0xe0 && b <= 0xef)
			n = 2, cp = b & 0x0f;
		else if (b >= 0xf0 && b <= 0xf4)
			n = 3, cp = b & 0x07;
		else
			return 0;
		if (i + n >= len)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* A name for a record: 1..CONFIG_VALUE_MAX bytes of UTF-8 text, no control characters. */
static int set_name(struct config *c, const char *name, int line, const char *key,
		    const char *v, char **dst)
{
	size_t len = strlen(v);

	if (len > CONFIG_VALUE_MAX) {
		problem(c, name, line, "%s is longer than %d bytes (ignored)", key, CONFIG_VALUE_MAX);
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			problem(c, name, line, "%s holds a control character (ignored)", key);
			return -1;
		}
	if (!utf8_ok((const unsigned char *)v, len)) {
		problem(c, name, line, "%s is not UTF-8 text; save the file as UTF-8 (ignored)",
			key);
		return -1;
	}
	free(*dst);
	*dst = strdup(v);
	return 0;
}

static const char *const known[] = { "operator", "site", "stick", "mode", "after",
				      "countdown", "log-to", "log-ca", "log-token" };
enum { KEY_LOG_TO = 6, KEY_LOG_CA, KEY_LOG_TOKEN };
static const char *const modes[] = { "menu", "auto" };	/* enum config_mode - 1 */
static const char *const afters[] = { "poweroff", "reboot", "wait" };	/* config_after - 1 */

/* Index of v in names[0..n), any case, or -1. */
static int pick(const char *v, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(v, names[i]))
			return (int)i;
	return -1;
}

/* A log server: a URL logsend_parse() takes, not given before. */
static int add_log_to(struct config *c, const char *name, int line, const char *v)
{
	struct logsend_dest d;
	char *s;

	if (logsend_parse(v, &d) < 0) {
		problem(c, name, line, "log-to: %s (ignored)", err_msg());
		return -1;
	}
	/* the same server however written (HOST's case, the default port, a
	   trailing '/'): given twice, it would get each record twice */
	for (size_t i = 0; i < c->nlog_to; i++) {
		struct logsend_dest e;

		if (logsend_parse(c->log_to[i], &e) == 0 && e.scheme == d.scheme &&
		    !strcasecmp(e.host, d.host) && !strcmp(e.port, d.port) && !strcmp(e.path, d.path)) {
			if (!strcmp(c->log_to[i], v))
				problem(c, name, line, "log-to %s is given twice (ignored)", v);
			else
				problem(c, name, line, "log-to %s is given twice, as %s before "
					"(ignored)", v, c->log_to[i]);
			return -1;
		}
	}
	if (c->nlog_to == LOGSEND_DEST_MAX) {
		problem(c, name, line, "log-to: at most %d log servers (ignored)", LOGSEND_DEST_MAX);
		return -1;
	}
	if (!(s = strdup(v)))
		return -1;
	c->log_to[c->nlog_to++] = s;
	return 0;
}

/* A file below the data folder: relative, '/'-separated, never climbing out. */
static int set_path(struct config *c, const char *name, int line, const char *key,
		    const char *v, char **dst)
{
	const char *bad = strlen(v) > CONFIG_PATH_MAX ? "it is too long" :
			  file_check_relpath(v, '/');

	if (bad) {
		problem(c, name, line, "%s must name a file in the data folder, like "
			"keys/log-ca.pem: %s (ignored)", key, bad);
		return -1;
	}
	free(*dst);
	*dst = strdup(v);
	return 0;
}

/* Apply one value; 0 when it took, -1 when reported and ignored. */
static int set(struct config *c, const char *name, int line, size_t k, const char *v)
{
	const char *key = known[k];
	char *end;
	long n;
	int i;

	switch (k) {
	case 0:
		return set_name(c, name, line, key, v, &c->operator_name);
	case 1:
		return set_name(c, name, line, key, v, &c->site);
	case 2:
		return set_name(c, name, line, key, v, &c->stick);
	case 3:
		if ((i = pick(v, modes, 2)) < 0) {
			problem(c, name, line, "mode must be menu or auto, not '%.40s' (ignored)", v);
			return -1;
		}
		c->mode = (enum config_mode)(i + 1);
		return 0;
	case KEY_LOG_TO:
		return add_log_to(c, name, line, v);
	case KEY_LOG_CA:
		return set_path(c, name, line, key, v, &c->log_ca);
	case KEY_LOG_TOKEN:
		return set_path(c, name, line, key, v, &c->log_token);
	case 4:
		if ((i = pick(v, afters, 3)) < 0) {
			problem(c, name, line,
				"after must be poweroff, reboot or wait, not '%.40s' (ignored)", v);
			return -1;
		}
		c->after = (enum config_after)(i + 1);
		return 0;
	default:
		errno = 0;
		n = strtol(v, &end, 10);
		if (!isdigit((unsigned char)*v) || *end || errno || n > CONFIG_COUNTDOWN_MAX) {
			problem(c, name, line, "countdown must be 0 to %d seconds, not '%.40s' "
				"(ignored)", CONFIG_COUNTDOWN_MAX, v);
			return -1;
		}
		c->countdown = (int)n;
		return 0;
	}
}

static void setting(struct config *c, const char *name, int line, const char *key,
		    const char *v, unsigned *seen)
{
	size_t k = (size_t)pick(key, known, sizeof(known) / sizeof(known[0]));

	if (k == (size_t)-1) {
		problem(c, name, line, "unknown key '%.40s' (ignored)", key);
		return;
	}
	if (!*v) {
		problem(c, name, line, "%s has no value (ignored)", known[k]);
		return;
	}
	if (set(c, name, line, k, v) < 0)
		return;
	/* only a value that took counts as set: a typo then its fix is one setting;
	   log-to is meant to be given once per server */
	if ((*seen & (1u << k)) && k != KEY_LOG_TO)
		problem(c, name, line, "%s is set again; this later value counts", known[k]);
	*seen |= 1u << k;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

size_t config_parse(struct config *c, const char *name, const char *text, size_t len)
{
	size_t before = c->nproblems, pos = 0;
	unsigned seen = 0;
	int line = 0;

	if (len >= 2 && (((unsigned char)text[0] == 0xff && (unsigned char)text[1] == 0xfe) ||
			 ((unsigned char)text[0] == 0xfe && (unsigned char)text[1] == 0xff))) {
		problem(c, name, 0, "saved as UTF-16; save it as UTF-8 (whole file ignored)");
		return c->nproblems - before;
	}
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		pos = 3;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *buf, *s, *eq;

		line++;
		if (memchr(text + pos, '\0', n)) {
			problem(c, name, line, "holds a NUL byte (ignored)");
			pos += n + 1;
			continue;
		}
		buf = strndup(text + pos, n);
		pos += n + 1;
		if (!buf)
			break;
		s = trim(buf);
		if (!*s || *s == '#' || *s == ';') {
			free(buf);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			problem(c, name, line, "expected 'key = value' (ignored)");
			free(buf);
			continue;
		}
		*eq = '\0';
		{
			char *key = trim(s), *v = trim(eq + 1);
			size_t vl = strlen(v);

			if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
				v[vl - 1] = '\0';
				v++;
			}
			setting(c, name, line, key, v, &seen);
		}
		free(buf);
	}
	return c->nproblems - before;
}

int config_load(struct config *c, const char *path)
{
	size_t len;
	char *text;
	int fd = file_open(AT_FDCWD, path, O_RDONLY | O_NONBLOCK, 0);

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd >= 0)
		close(fd);
	text = file_slurp(AT_FDCWD, path, CONFIG_FILE_MAX, &len);
	if (!text)
		return -1;	/* file_slurp() said why */
	len = config_parse(c, path, text, len);
	free(text);
	return (int)len;
}
