/*
 * rules.c - parse and apply rule files (see rules.h and docs/rules.md).
 *
 * Rule files are written by technicians in Notepad, so the parser accepts a
 * UTF-8 byte-order mark and CRLF line ends, and every complaint names the
 * file and line.  It never trusts its input: it is fuzzed (tests/fuzz).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "err.h"
#include "file.h"
#include "rules.h"
#include "utc.h"

#define RULES_MAX_FILE (1024 * 1024)

struct parser {
	const char *name;
	int line;
	int problems;
	err_warn_fn fn;
	void *ctx;
};

static void problem(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	n = snprintf(msg, sizeof(msg), "%s:%d: ", p->name, p->line);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (p->problems++ == 0 && !p->fn)
		err_set("%s", msg);
	if (p->fn)
		p->fn(p->ctx, msg);
}

const char *verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_FAULTY:
		return "faulty";
	case VERDICT_GOOD:
		return "good";
	default:
		return "unknown";
	}
}

static void rule_free(struct rule *r)
{
	free(r->id);
	free(r->title);
	free(r->reference);
	free(r->directory);
	free(r->name);
	free(r->sizes);
	free(r->sha256);
}

void rules_free(struct ruleset *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		rule_free(&rs->rules[i]);
	for (size_t i = 0; i < rs->nfiles; i++) {
		free(rs->files[i].path);
		free(rs->files[i].id);
	}
	free(rs->rules);
	free(rs->files);
	memset(rs, 0, sizeof(*rs));
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* Normalise a Windows directory: '/' -> '\', no leading '\', no "." or "..". */
static char *parse_directory(struct parser *p, const char *v)
{
	char *d, *s, *out;

	if (((v[0] >= 'A' && v[0] <= 'Z') || (v[0] >= 'a' && v[0] <= 'z')) && v[1] == ':') {
		problem(p, "directory must be relative to the volume root, without a drive letter: %s", v);
		return NULL;
	}
	d = strdup(v);
	if (!d)
		return NULL;
	for (s = d; *s; s++)
		if (*s == '/')
			*s = '\\';
	out = d;
	while (*out == '\\')
		out++;
	memmove(d, out, strlen(out) + 1);
	while (*d && d[strlen(d) - 1] == '\\')
		d[strlen(d) - 1] = '\0';
	if (!*d) {
		problem(p, "directory is empty");
		free(d);
		return NULL;
	}
	for (s = d; s; s = strchr(s, '\\')) {
		size_t n;

		if (*s == '\\')
			s++;
		n = strcspn(s, "\\");
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) {
			problem(p, "directory must not contain empty, '.' or '..' parts: %s", v);
			free(d);
			return NULL;
		}
	}
	if (file_check_relpath(d, '\\')) {
		problem(p, "directory is not a plain path beneath the volume root (%s): %s",
			file_check_relpath(d, '\\'), v);
		free(d);
		return NULL;
	}
	return d;
}

/* "max-size = 64M": bytes, or with K, M, G (powers of 1024). */
static int parse_max_size(struct parser *p, struct rule *r, const char *v)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (end != v && *end && !end[1] && strchr("kKmMgG", *end)) {
		int shift = strchr("kK", *end) ? 10 : strchr("mM", *end) ? 20 : 30;

		if (n > (1ULL << (62 - shift)))
			errno = ERANGE;
		n <<= shift;
		end++;
	}
	if (errno || end == v || *end || *v == '-' || n == 0 || n > (1ULL << 62)) {
		problem(p, "max-size must be a positive number of bytes, or with K, M or G: %s", v);
		return -1;
	}
	if (n > (1ULL << 30)) {
		/* restore refuses larger entries (QUARANTINE_MAX_FILE): keep them in step */
		problem(p, "max-size is over 1G, more than bootfix reads: %s", v);
		return -1;
	}
	r->max_size = (off_t)n;
	return 0;
}

static int parse_sizes(struct parser *p, struct rule *r, char *v)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(v, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		char *end;
		unsigned long long n;
		off_t *grown;

		errno = 0;
		n = strtoull(tok, &end, 10);
		if (errno || *end || !isdigit((unsigned char)tok[0])) {
			problem(p, "size is not a number of bytes: %s", tok);
			return -1;
		}
		grown = realloc(r->sizes, (r->nsizes + 1) * sizeof(*grown));
		if (!grown)
			return -1;
		r->sizes = grown;
		r->sizes[r->nsizes++] = (off_t)n;
	}
	if (!r->nsizes) {
		problem(p, "size needs at least one number");
		return -1;
	}
	return 0;
}

static int parse_sha256(struct parser *p, struct rule *r, char *v)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(v, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		char (*grown)[65];
		size_t i;

		if (strlen(tok) != 64) {
			problem(p, "sha256 must be 64 hex digits: %s", tok);
			return -1;
		}
		grown = realloc(r->sha256, (r->nsha256 + 1) * sizeof(*grown));
		if (!grown)
			return -1;
		r->sha256 = grown;
		for (i = 0; i < 64; i++) {
			if (!isxdigit((unsigned char)tok[i])) {
				problem(p, "sha256 must be 64 hex digits: %s", tok);
				return -1;
			}
			r->sha256[r->nsha256][i] = (char)tolower((unsigned char)tok[i]);
		}
		r->sha256[r->nsha256++][64] = '\0';
	}
	if (!r->nsha256) {
		problem(p, "sha256 needs at least one digest");
		return -1;
	}
	return 0;
}

static int parse_header(struct parser *p, struct rule *r, const char *v)
{
	size_t n = 0;

	while (*v) {
		unsigned int byte;

		if (*v == ' ' || *v == '\t' || *v == ',') {
			v++;
			continue;
		}
		if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
			v += 2;
		if (!isxdigit((unsigned char)v[0]) || !isxdigit((unsigned char)v[1])) {
			problem(p, "header must be hex bytes, like 'AA BB 01': %s", v);
			return -1;
		}
		if (n == FILE_HEAD_MAX) {
			problem(p, "header is longer than %d bytes", FILE_HEAD_MAX);
			return -1;
		}
		sscanf(v, "%2x", &byte);
		r->header[n++] = (unsigned char)byte;
		v += 2;
	}
	if (!n) {
		problem(p, "header needs at least one byte");
		return -1;
	}
	r->headerlen = n;
	return 0;
}

static int parse_yesno(struct parser *p, const char *key, const char *v, int *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0"))
		*out = 0;
	else {
		problem(p, "%s must be yes or no: %s", key, v);
		return -1;
	}
	return 0;
}

/* Bits for keys seen, to refuse a key given twice in one rule. */
enum {
	K_TITLE = 1 << 0, K_REF = 1 << 1, K_DIR = 1 << 2, K_NAME = 1 << 3, K_FROM = 1 << 4,
	K_BEFORE = 1 << 5, K_SIZE = 1 << 6, K_SHA = 1 << 7, K_CONTENT = 1 << 8,
	K_HEADER = 1 << 9, K_VERDICT = 1 << 10, K_UNATT = 1 << 11, K_MAXSIZE = 1 << 12,
};

static const struct {
	const char *name;
	int bit;
} keys[] = {
	{ "title", K_TITLE }, { "reference", K_REF }, { "directory", K_DIR },
	{ "name", K_NAME }, { "modified-from", K_FROM }, { "modified-before", K_BEFORE },
	{ "size", K_SIZE }, { "sha256", K_SHA }, { "content", K_CONTENT },
	{ "header", K_HEADER }, { "verdict", K_VERDICT }, { "unattended", K_UNATT },
	{ "max-size", K_MAXSIZE },
};

static int set_key(struct parser *p, struct rule *r, int *seen, const char *key, char *v)
{
	int bit = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcasecmp(key, keys[i].name))
			bit = keys[i].bit;
	if (!bit) {
		problem(p, "unknown key '%s' (known: title, reference, directory, name, "
			"modified-from, modified-before, size, max-size, sha256, content, header, "
			"verdict, unattended)", key);
		return -1;
	}
	if (*seen & bit) {
		problem(p, "key '%s' given twice in rule [%s]", key, r->id);
		return -1;
	}
	*seen |= bit;
	if (!*v) {
		problem(p, "key '%s' has no value", key);
		return -1;
	}
	switch (bit) {
	case K_TITLE:
		return (r->title = strdup(v)) ? 0 : -1;
	case K_REF:
		return (r->reference = strdup(v)) ? 0 : -1;
	case K_DIR:
		return (r->directory = parse_directory(p, v)) ? 0 : -1;
	case K_NAME:
		if (strchr(v, '\\') || strchr(v, '/')) {
			problem(p, "name is a file-name glob and must not contain '\\' or '/': %s", v);
			return -1;
		}
		return (r->name = strdup(v)) ? 0 : -1;
	case K_FROM:
	case K_BEFORE:
		if (utc_parse(v, bit == K_FROM ? &r->from : &r->before) < 0) {
			problem(p, "%s is not a UTC time like 2024-07-19 04:09 UTC or "
				"2024-07-19T04:09:00Z: %s", key, v);
			return -1;
		}
		*(bit == K_FROM ? &r->has_from : &r->has_before) = 1;
		return 0;
	case K_SIZE:
		return parse_sizes(p, r, v);
	case K_SHA:
		return parse_sha256(p, r, v);
	case K_CONTENT:
		if (!strcasecmp(v, "all-zero"))
			r->content = 1;
		else if (!strcasecmp(v, "not-all-zero"))
			r->content = -1;
		else {
			problem(p, "content must be all-zero or not-all-zero: %s", v);
			return -1;
		}
		return 0;
	case K_HEADER:
		return parse_header(p, r, v);
	case K_VERDICT:
		if (!strcasecmp(v, "faulty"))
			r->verdict = VERDICT_FAULTY;
		else if (!strcasecmp(v, "good"))
			r->verdict = VERDICT_GOOD;
		else if (!strcasecmp(v, "unknown"))
			r->verdict = VERDICT_UNKNOWN;
		else {
			problem(p, "verdict must be faulty, good or unknown: %s", v);
			return -1;
		}
		return 0;
	case K_UNATT:
		return parse_yesno(p, key, v, &r->unattended);
	case K_MAXSIZE:
		return parse_max_size(p, r, v);
	}
	return -1;
}

static int valid_id(const char *id)
{
	if (!*id || strlen(id) > 64)
		return 0;
	for (; *id; id++)
		if (!isalnum((unsigned char)*id) && !strchr("._-", *id))
			return 0;
	return 1;
}

/* Finish a rule: check required keys; on success move it into out. */
static int close_rule(struct parser *p, struct rule *r, int seen, int line,
		      struct rule **out, size_t *nout)
{
	int saved = p->line, ok = 1;
	struct rule *grown;

	p->line = line;
	if (!(seen & K_DIR))
		problem(p, "rule [%s] has no directory", r->id), ok = 0;
	if (!(seen & K_NAME))
		problem(p, "rule [%s] has no name", r->id), ok = 0;
	if (!(seen & K_VERDICT))
		problem(p, "rule [%s] has no verdict", r->id), ok = 0;
	if (r->has_from && r->has_before && r->from >= r->before)
		problem(p, "rule [%s]: modified-from must be before modified-before", r->id), ok = 0;
	p->line = saved;
	if (!ok)
		return -1;
	if (!r->title)
		r->title = strdup(r->id);
	grown = realloc(*out, (*nout + 1) * sizeof(**out));
	if (!grown)
		return -1;
	*out = grown;
	(*out)[(*nout)++] = *r;
	memset(r, 0, sizeof(*r));
	return 0;
}

static int id_taken(const struct ruleset *rs, struct rule *mine, size_t nmine, const char *id)
{
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->rules[i].id, id))
			return 1;
	for (size_t i = 0; i < nmine; i++)
		if (!strcmp(mine[i].id, id))
			return 1;
	return 0;
}

static void sha256_hex(const char *text, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

int rules_parse(struct ruleset *rs, const char *name, const char *text, size_t len,
		err_warn_fn fn, void *ctx)
{
	struct parser p = { .name = name, .fn = fn, .ctx = ctx };
	struct rule cur, *mine = NULL;
	size_t nmine = 0, pos = 0;
	int seen = 0, inrule = 0, curline = 0;
	const char *slash;

	memset(&cur, 0, sizeof(cur));
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		pos = 3;
	if (len >= 2 && (!memcmp(text, "\xff\xfe", 2) || !memcmp(text, "\xfe\xff", 2))) {
		p.line = 1;
		problem(&p, "file is UTF-16; save it as UTF-8 (Notepad: Save As, Encoding UTF-8)");
		return p.problems;
	}
	while (pos < len) {
		size_t end = pos, n;
		char buf[1024], *line, *eq;

		while (end < len && text[end] != '\n')
			end++;
		n = end - pos;
		p.line++;
		if (n >= sizeof(buf)) {
			problem(&p, "line is longer than %zu characters", sizeof(buf) - 1);
			pos = end + 1;
			continue;
		}
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		pos = end + 1;
		if (memchr(buf, '\0', n)) {
			problem(&p, "line contains a NUL byte");
			continue;
		}
		if (n && buf[n - 1] == '\r')
			buf[n - 1] = '\0';
		line = trim(buf);
		if (!*line || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			char *close = strchr(line, ']');

			if (inrule && close_rule(&p, &cur, seen, curline, &mine, &nmine) < 0) {
				rule_free(&cur);
				memset(&cur, 0, sizeof(cur));
			}
			inrule = 0;
			if (!close || *trim(close + 1)) {
				problem(&p, "rule header must be [id] alone on its line");
				continue;
			}
			*close = '\0';
			line = trim(line + 1);
			if (!valid_id(line)) {
				problem(&p, "rule id must be 1-64 letters, digits, '.', '_' or '-': [%s]",
					line);
				continue;
			}
			if (id_taken(rs, mine, nmine, line)) {
				problem(&p, "rule id [%s] is already used", line);
				continue;
			}
			cur.id = strdup(line);
			cur.line = curline = p.line;
			seen = 0;
			inrule = 1;
			continue;
		}
		eq = strchr(line, '=');
		if (!eq) {
			problem(&p, "expected 'key = value' or '[rule-id]': %s", line);
			continue;
		}
		*eq = '\0';
		if (!inrule) {
			problem(&p, "key '%s' outside a rule; start a rule with [id]", trim(line));
			continue;
		}
		set_key(&p, &cur, &seen, trim(line), trim(eq + 1));
	}
	if (inrule && close_rule(&p, &cur, seen, curline, &mine, &nmine) < 0)
		rule_free(&cur);
	if (!p.problems && nmine == 0) {
		p.line = p.line ? p.line : 1;
		problem(&p, "no rules in file");
	}
	if (!p.problems) {
		struct rulefile *grownf = realloc(rs->files, (rs->nfiles + 1) * sizeof(*grownf));
		struct rule *grownr = grownf ? realloc(rs->rules, (rs->n + nmine) * sizeof(*grownr)) : NULL;
		struct rulefile *f;
		size_t l;

		if (grownf)
			rs->files = grownf;
		if (!grownr) {
			for (size_t i = 0; i < nmine; i++)
				rule_free(&mine[i]);
			free(mine);
			return err_set("cannot load %s: out of memory", name), 1;
		}
		rs->rules = grownr;
		f = &rs->files[rs->nfiles++];
		f->path = strdup(name);
		slash = strrchr(name, '/');
		f->id = strdup(slash ? slash + 1 : name);
		l = strlen(f->id);
		if (l > 6 && !strcmp(f->id + l - 6, ".rules"))
			f->id[l - 6] = '\0';
		sha256_hex(text, len, f->sha256);
		for (size_t i = 0; i < nmine; i++) {
			mine[i].file = f->path;
			rs->rules[rs->n++] = mine[i];
		}
		/* rules point at f->path; the files array may move, the strings do not */
	} else {
		for (size_t i = 0; i < nmine; i++)
			rule_free(&mine[i]);
	}
	free(mine);
	return p.problems;
}

int rules_load_file(struct ruleset *rs, const char *path, err_warn_fn fn, void *ctx)
{
	size_t len;
	char *text = file_slurp(AT_FDCWD, path, RULES_MAX_FILE, &len);
	int n;

	if (!text)
		return -1;
	n = rules_parse(rs, path, text, len, fn, ctx);
	free(text);
	return n;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int rules_load_dir(struct ruleset *rs, const char *dir, int optional)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (!d) {
		if (optional && errno == ENOENT)
			return 0;
		return err_set("cannot open rules directory %s: %s", dir, strerror(errno));
	}
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		char **grown;

		if (l <= 6 || strcmp(e->d_name + l - 6, ".rules") || e->d_name[0] == '.')
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown)
			break;
		names = grown;
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (rc == 0) {
			int k = rules_load_file(rs, path, NULL, NULL);

			rc = k < 0 ? -1 : k > 0 ? -2 : 0;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

const char **rules_directories(const struct ruleset *rs, size_t *n)
{
	const char **dirs = calloc(rs->n ? rs->n : 1, sizeof(*dirs));
	size_t k = 0;

	if (!dirs) {
		*n = 0;
		return NULL;
	}
	for (size_t i = 0; i < rs->n; i++) {
		size_t j;

		for (j = 0; j < k; j++)
			if (!strcasecmp(dirs[j], rs->rules[i].directory))
				break;
		if (j == k)
			dirs[k++] = rs->rules[i].directory;
	}
	*n = k;
	return dirs;
}

static int covers(const struct rule *r, const char *dir, const char *name)
{
	return !strcasecmp(r->directory, dir) && fnmatch(r->name, name, FNM_CASEFOLD) == 0;
}

off_t rules_max_size(const struct ruleset *rs, const char *dir, const char *name)
{
	off_t max = 0;

	for (size_t i = 0; i < rs->n; i++)
		if (covers(&rs->rules[i], dir, name)) {
			off_t m = rs->rules[i].max_size ? rs->rules[i].max_size : RULES_MAX_SIZE;

			if (m > max)
				max = m;
		}
	return max;
}

int rules_wants(const struct ruleset *rs, const char *dir, const char *name)
{
	for (size_t i = 0; i < rs->n; i++)
		if (covers(&rs->rules[i], dir, name))
			return 1;
	return 0;
}

static int holds(const struct rule *r, time_t mtime, const struct file_digest *d)
{
	size_t i;

	if (d->size > (r->max_size ? r->max_size : RULES_MAX_SIZE))
		return 0;
	if (r->has_from && mtime < r->from)
		return 0;
	if (r->has_before && mtime >= r->before)
		return 0;
	if (r->nsizes) {
		for (i = 0; i < r->nsizes && r->sizes[i] != d->size; i++)
			;
		if (i == r->nsizes)
			return 0;
	}
	if (r->nsha256) {
		for (i = 0; i < r->nsha256 && strcmp(r->sha256[i], d->sha256); i++)
			;
		if (i == r->nsha256)
			return 0;
	}
	if (r->content == 1 && !d->all_zero)
		return 0;
	if (r->content == -1 && d->all_zero)
		return 0;
	if (r->headerlen && (d->headlen < r->headerlen || memcmp(d->head, r->header, r->headerlen)))
		return 0;
	return 1;
}

const struct rule *rules_judge(const struct ruleset *rs, const char *dir, const char *name,
			       time_t mtime, const struct file_digest *d, enum verdict *v)
{
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->rules[i];

		if (covers(r, dir, name) && holds(r, mtime, d)) {
			*v = r->verdict;
			return r;
		}
	}
	*v = VERDICT_UNKNOWN;
	return NULL;
}
