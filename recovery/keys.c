/*
 * keys.c - BitLocker key sources: key exports (CSV), startup key files,
 * the clear key and typed keys, tried in order (see keys.h).
 *
 * Key exports come from many consoles and many hands (Excel re-saves them,
 * PowerShell adds a "#TYPE" line, AD stores the key ID inside an object
 * name), so the reader is lenient about form and strict about content:
 * a key ID must be a GUID (or its 8-character prefix) and a recovery
 * password must pass its checksums, or the row is skipped and reported
 * without the key.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "err.h"
#include "file.h"
#include "keys.h"

#define MAX_FIELDS 256

/* ---- the keyring ---- */

static void report(err_warn_fn problem, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(err_warn_fn problem, void *ctx, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!problem)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	problem(ctx, buf);
}

/* Keep a copy of name for the entries to point to. */
static const char *keep_name(struct keyring *kr, const char *name)
{
	char **grown;

	if (kr->nnames && !strcmp(kr->names[kr->nnames - 1], name))
		return kr->names[kr->nnames - 1];
	grown = realloc(kr->names, (kr->nnames + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	kr->names = grown;
	kr->names[kr->nnames] = strdup(name);
	return kr->names[kr->nnames] ? kr->names[kr->nnames++] : NULL;
}

/* Grow the entries without leaving a copy of the keys in freed memory. */
static struct keyring_entry *new_entry(struct keyring *kr)
{
	if (kr->n == kr->cap) {
		size_t cap = kr->cap ? 2 * kr->cap : 64;
		struct keyring_entry *e = calloc(cap, sizeof(*e));

		if (!e)
			return NULL;
		if (kr->e) {
			memcpy(e, kr->e, kr->n * sizeof(*e));
			explicit_bzero(kr->e, kr->n * sizeof(*e));
			free(kr->e);
		}
		kr->e = e;
		kr->cap = cap;
	}
	memset(&kr->e[kr->n], 0, sizeof(kr->e[kr->n]));
	return &kr->e[kr->n];
}

void keys_free(struct keyring *kr)
{
	if (kr->e) {
		explicit_bzero(kr->e, kr->cap * sizeof(*kr->e));
		free(kr->e);
	}
	for (size_t i = 0; i < kr->nbek; i++) {
		explicit_bzero(kr->bek[i].data, kr->bek[i].len);
		free(kr->bek[i].data);
	}
	free(kr->bek);
	for (size_t i = 0; i < kr->nnames; i++)
		free(kr->names[i]);
	free(kr->names);
	memset(kr, 0, sizeof(*kr));
}

/* ---- text ---- */

/*
 * The file as NUL-terminated UTF-8 (caller scrubs and frees): a UTF-8 BOM
 * is dropped, UTF-16 (BOM, or ASCII text with every other byte zero)
 * converted.
 */
static char *to_utf8(const char *data, size_t len, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)data;
	unsigned char *swapped = NULL;
	char *out;
	int utf16 = 0;

	if (len >= 2 && u[0] == 0xff && u[1] == 0xfe) {
		utf16 = 1;
		u += 2;
		len -= 2;
	} else if (len >= 2 && u[0] == 0xfe && u[1] == 0xff) {
		swapped = malloc(len);
		if (!swapped)
			return NULL;
		for (size_t i = 2; i + 1 < len; i += 2) {
			swapped[i - 2] = u[i + 1];
			swapped[i - 1] = u[i];
		}
		utf16 = 1;
		u = swapped;
		len -= 2;
	} else if (len >= 4 && u[0] && !u[1] && u[2] && !u[3]) {
		utf16 = 1;
	} else if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) {
		u += 3;
		len -= 3;
	}
	if (!utf16) {
		out = malloc(len + 1);
		if (out) {
			memcpy(out, u, len);
			out[len] = '\0';
			*outlen = len;
		}
		return out;
	}
	out = malloc(len / 2 * 3 + 1);
	if (out)
		*outlen = bitlocker_utf16_to_utf8(u, len & ~(size_t)1, out, len / 2 * 3 + 1);
	if (swapped) {
		explicit_bzero(swapped, len + 2);
		free(swapped);
	}
	return out;
}

/* Lower-case letters and digits of a header name: "Key ID" -> "keyid". */
static void squash(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 1 < len; s++) {
		char c = *s;

		if (c >= 'A' && c <= 'Z')
			out[o++] = (char)(c - 'A' + 'a');
		else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[o++] = c;
	}
	out[o] = '\0';
}

/* Header names, best first. */
static const char *const id_names[] = {
	"keyid", "recoverykeyid", "bitlockerkeyid", "bitlockerrecoverykeyid",
	"msfverecoveryguid", "recoveryguid", "recoverypasswordid", "keyprotectorid",
	"protectorid", "keyidentifier", "recoverykeyidentifier", "bitlockerkeyidentifier",
	"recoveryid", "id", NULL,
};
/* When no key-ID column exists: AD object names hold the ID as "...{GUID}". */
static const char *const id_fallback_names[] = {
	"name", "cn", "distinguishedname", "objectname", NULL,
};
static const char *const key_names[] = {
	"recoverypassword", "recoverykey", "msfverecoverypassword", "bitlockerrecoverypassword",
	"bitlockerrecoverykey", "bitlockerkey", "recoverypasswordvalue", "recoverykeyvalue",
	"keyvalue", "key", NULL,
};
static const char *const computer_names[] = {
	"computername", "devicename", "computer", "device", "hostname", "machinename",
	"dnshostname", "devicedisplayname", NULL,
};

static int rank(const char *const *names, const char *h)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], h))
			return i;
	return -1;
}

/* The GUID somewhere in s (braces optional) or an 8-hex-digit prefix. */
static int find_id(const char *s, char out[BITLOCKER_GUID_LEN])
{
	size_t n = strlen(s);

	for (size_t i = 0; i + 36 <= n; i++) {
		char cand[37];

		if (i > 0 && ((s[i - 1] >= '0' && s[i - 1] <= '9') ||
			      (s[i - 1] >= 'a' && s[i - 1] <= 'f') ||
			      (s[i - 1] >= 'A' && s[i - 1] <= 'F')))
			continue;
		memcpy(cand, s + i, 36);
		cand[36] = '\0';
		if (bitlocker_guid_parse(cand, out) == 0)
			return 0;
	}
	return bitlocker_guid_prefix_parse(s, out);
}

/* The computer name in an AD distinguished name "CN=...{GUID},CN=PC01,OU=...". */
static void computer_from_dn(const char *dn, char *out, size_t len)
{
	const char *p = strstr(dn, ",CN=");
	size_t n;

	if (!p)
		p = strstr(dn, ",cn=");
	if (!p)
		return;
	p += 4;
	n = strcspn(p, ",");
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* ---- CSV ---- */

struct csv {
	const char *p, *end;
	char delim;
	char *buf;		/* unquoted fields of the current row */
	size_t cap;
	size_t off[MAX_FIELDS];
	size_t nf;
	unsigned line;		/* line where the current row starts */
	unsigned next_line;
};

static int put(struct csv *c, size_t *o, char ch)
{
	if (*o + 1 >= c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		char *b = malloc(cap);

		if (!b)
			return -1;
		if (c->buf) {
			memcpy(b, c->buf, *o);
			explicit_bzero(c->buf, c->cap);
			free(c->buf);
		}
		c->buf = b;
		c->cap = cap;
	}
	c->buf[(*o)++] = ch;
	return 0;
}

/*
 * Read one row (RFC 4180: quoted fields may hold the delimiter, quotes as
 * "" and line breaks).  Returns 1 with c->nf fields, 0 at the end, -1 when
 * out of memory.
 */
static int csv_row(struct csv *c)
{
	size_t o = 0;
	int quoted = 0, at_start = 1;

	c->nf = 0;
	c->line = c->next_line;
	if (c->p >= c->end)
		return 0;
	c->off[c->nf++] = 0;
	while (c->p < c->end) {
		char ch = *c->p++;

		if (quoted) {
			if (ch == '"' && c->p < c->end && *c->p == '"') {
				c->p++;
				if (put(c, &o, '"') < 0)
					return -1;
			} else if (ch == '"') {
				quoted = 0;
			} else {
				if (ch == '\n')
					c->next_line++;
				if (put(c, &o, ch) < 0)
					return -1;
			}
			continue;
		}
		if (ch == '"' && at_start) {
			quoted = 1;
			at_start = 0;
		} else if (ch == c->delim) {
			if (put(c, &o, '\0') < 0)
				return -1;
			if (c->nf < MAX_FIELDS)
				c->off[c->nf++] = o;
			at_start = 1;
		} else if (ch == '\n' || ch == '\r') {
			if (ch == '\r' && c->p < c->end && *c->p == '\n')
				c->p++;
			c->next_line++;
			break;
		} else {
			if (put(c, &o, ch) < 0)
				return -1;
			if (ch != ' ' && ch != '\t')
				at_start = 0;
		}
	}
	if (put(c, &o, '\0') < 0)
		return -1;
	/* fields beyond MAX_FIELDS were joined into the last one: never mind */
	return 1;
}

static const char *field(const struct csv *c, int i)
{
	return i >= 0 && (size_t)i < c->nf ? c->buf + c->off[i] : "";
}

static int blank_row(const struct csv *c)
{
	for (size_t i = 0; i < c->nf; i++)
		if (c->buf[c->off[i] + strspn(c->buf + c->off[i], " \t")])
			return 0;
	return 1;
}

/* The delimiter of the header line starting at p: the most frequent of , ; tab. */
static char guess_delim(const char *p, const char *end)
{
	int n[3] = { 0, 0, 0 }, quoted = 0;

	for (; p < end && (quoted || (*p != '\n' && *p != '\r')); p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == ',')
			n[0]++;
		else if (!quoted && *p == ';')
			n[1]++;
		else if (!quoted && *p == '\t')
			n[2]++;
	}
	if (n[1] > n[0] && n[1] >= n[2])
		return ';';
	if (n[2] > n[0])
		return '\t';
	return ',';
}

static const char *trim(char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* Strip what spreadsheets add around a value: blanks, quotes, ' and =. */
static const char *unwrap_value(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\'' || *s == '=' || *s == '"')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '"'))
		s[--n] = '\0';
	return s;
}

int keys_parse_csv(struct keyring *kr, const char *name, const char *data, size_t len,
		   err_warn_fn problem, void *ctx)
{
	struct csv c;
	char *text, h[64];
	size_t tlen = 0;
	int idcol = -1, idrank = 99, fbcol = -1, fbrank = 99, keycol = -1, keyrank = 99;
	int pccol = -1, pcrank = 99, dncol = -1, added = 0, rc;
	const char *kept;

	text = to_utf8(data, len, &tlen);
	if (!text)
		return err_set("cannot read key export %s: %s", name, strerror(ENOMEM));
	memset(&c, 0, sizeof(c));
	c.p = text;
	c.end = text + tlen;
	c.next_line = 1;
	/* Excel's "sep=;" line, and Windows PowerShell's "#TYPE ..." line */
	if (c.end - c.p >= 5 && !strncasecmp(c.p, "sep=", 4)) {
		c.delim = c.p[4];
		c.p += strcspn(c.p, "\n");
		c.p += c.p < c.end;
		c.next_line++;
	}
	while (c.p < c.end && (*c.p == '#' || *c.p == '\n' || *c.p == '\r')) {
		c.p += strcspn(c.p, "\n");
		c.p += c.p < c.end;
		c.next_line++;
	}
	if (!c.delim)
		c.delim = guess_delim(c.p, c.end);
	rc = csv_row(&c);
	for (size_t i = 0; rc > 0 && i < c.nf; i++) {
		int r;

		squash(field(&c, (int)i), h, sizeof(h));
		if ((r = rank(id_names, h)) >= 0 && r < idrank)
			idcol = (int)i, idrank = r;
		if ((r = rank(id_fallback_names, h)) >= 0 && r < fbrank)
			fbcol = (int)i, fbrank = r;
		if ((r = rank(key_names, h)) >= 0 && r < keyrank)
			keycol = (int)i, keyrank = r;
		if ((r = rank(computer_names, h)) >= 0 && r < pcrank)
			pccol = (int)i, pcrank = r;
		if (!strcmp(h, "distinguishedname"))
			dncol = (int)i;
	}
	if (idcol < 0)
		idcol = fbcol;
	if (rc < 0 || idcol < 0 || keycol < 0 || idcol == keycol) {
		explicit_bzero(text, tlen);
		free(text);
		if (c.buf) {
			explicit_bzero(c.buf, c.cap);
			free(c.buf);
		}
		if (rc < 0)
			return err_set("cannot read key export %s: %s", name, strerror(ENOMEM));
		return err_set("cannot read key export %s: no %s column in its first line (see "
			       "docs/bitlocker.md for the names understood)", name,
			       idcol < 0 ? "key ID" : "recovery password");
	}
	kept = keep_name(kr, name);
	while (kept && (rc = csv_row(&c)) > 0) {
		struct keyring_entry *e;
		char id[BITLOCKER_GUID_LEN], *keytext;
		int bad = 0;

		if (blank_row(&c))
			continue;
		if (find_id(field(&c, idcol), id) < 0) {
			kr->skipped++;
			report(problem, ctx, "%s line %u: skipped: no key ID in it", name, c.line);
			continue;
		}
		keytext = c.buf + c.off[keycol < (int)c.nf ? keycol : 0];
		if (keycol >= (int)c.nf || !*unwrap_value(keytext)) {
			kr->skipped++;
			report(problem, ctx, "%s line %u: skipped: no recovery password for key ID %s",
			       name, c.line, id);
			continue;
		}
		e = new_entry(kr);
		if (!e) {
			rc = -1;
			break;
		}
		keytext = (char *)unwrap_value(keytext);
		if (bitlocker_rp_parse(keytext, strlen(keytext), &e->rp, &bad) < 0) {
			kr->skipped++;
			report(problem, ctx, "%s line %u: skipped: key ID %s: %s", name, c.line, id,
			       err_msg());
			bitlocker_rp_clear(&e->rp);
			continue;
		}
		memcpy(e->id, id, sizeof(e->id));
		e->file = kept;
		e->line = c.line;
		if (pccol >= 0)
			snprintf(e->computer, sizeof(e->computer), "%s", trim(
				 c.buf + c.off[pccol < (int)c.nf ? pccol : 0]));
		if (!e->computer[0] && dncol >= 0 && dncol < (int)c.nf)
			computer_from_dn(field(&c, dncol), e->computer, sizeof(e->computer));
		kr->n++;
		added++;
	}
	explicit_bzero(text, tlen);
	free(text);
	if (c.buf) {
		explicit_bzero(c.buf, c.cap);
		free(c.buf);
	}
	if (!kept || rc < 0)
		return err_set("cannot read key export %s: %s", name, strerror(ENOMEM));
	kr->files++;
	return added;
}

int keys_add_bek(struct keyring *kr, const char *name, const unsigned char *data, size_t len)
{
	struct keyring_bek *grown, *b;
	unsigned char key[32];
	char guid[BITLOCKER_GUID_LEN];
	const char *kept;

	if (bitlocker_bek_parse(data, len, name, guid, key) < 0)
		return -1;
	explicit_bzero(key, sizeof(key));
	kept = keep_name(kr, name);
	grown = kept ? realloc(kr->bek, (kr->nbek + 1) * sizeof(*grown)) : NULL;
	if (!grown)
		return err_set("cannot read startup key %s: %s", name, strerror(ENOMEM));
	kr->bek = grown;
	b = &kr->bek[kr->nbek];
	memset(b, 0, sizeof(*b));
	b->data = malloc(len);
	if (!b->data)
		return err_set("cannot read startup key %s: %s", name, strerror(ENOMEM));
	memcpy(b->data, data, len);
	b->len = len;
	b->file = kept;
	memcpy(b->guid, guid, sizeof(b->guid));
	kr->nbek++;
	kr->files++;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && !strcasecmp(s + n - k, suffix);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int keys_load_dir(struct keyring *kr, const char *dir, err_warn_fn problem, void *ctx)
{
	int dfd = file_open(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0);
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	DIR *d;

	if (dfd < 0) {
		if (errno == ENOENT)
			return 0;
		return err_set("cannot read keys in %s: %s", dir,
			       errno == ELOOP ? "it is a link" : strerror(errno));
	}
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return err_set("cannot read keys in %s: %s", dir, strerror(errno));
	}
	while ((e = readdir(d))) {
		char **grown;

		if (!ends_with(e->d_name, ".csv") && !ends_with(e->d_name, ".bek"))
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown)
			break;
		names = grown;
		names[n] = strdup(e->d_name);
		if (names[n])
			n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;
		char *data = file_slurp(dirfd(d), names[i], KEYS_FILE_MAX, &len);

		if (!data) {
			report(problem, ctx, "%s", err_msg());
		} else if (ends_with(names[i], ".bek")) {
			if (keys_add_bek(kr, names[i], (unsigned char *)data, len) < 0)
				report(problem, ctx, "%s", err_msg());
		} else if (keys_parse_csv(kr, names[i], data, len, problem, ctx) < 0) {
			report(problem, ctx, "%s", err_msg());
		}
		if (data) {
			explicit_bzero(data, len);
			free(data);
		}
		free(names[i]);
	}
	free(names);
	closedir(d);
	return 0;
}

size_t keys_find(const struct keyring *kr, const char *id, const struct keyring_entry **out,
		 size_t max)
{
	size_t n = 0;

	/* whole IDs first: a prefix-only export is the weaker match */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < kr->n; i++) {
			const struct keyring_entry *e = &kr->e[i];
			int whole = strlen(e->id) == BITLOCKER_GUID_LEN - 1;

			if (whole != (pass == 0) || !bitlocker_guid_match(id, e->id))
				continue;
			if (n < max)
				out[n] = e;
			n++;
		}
	return n;
}

/* The shorter of two key IDs (whole or 8 characters) is a prefix of the other. */
static int prefix_match(const char *a, const char *b)
{
	size_t n = strlen(a) < strlen(b) ? strlen(a) : strlen(b);

	return n > 0 && !strncmp(a, b, n);
}

const struct keyring_entry *keys_lookup(const struct keyring *kr, const char *query)
{
	char q[BITLOCKER_GUID_LEN];
	const struct keyring_entry *hit = NULL;
	size_t n = 0;

	if (bitlocker_guid_prefix_parse(query, q) < 0) {
		err_set("cannot look up key ID: give the whole key ID or its first %d characters",
			BITLOCKER_GUID_SHORT);
		return NULL;
	}
	for (size_t i = 0; i < kr->n; i++) {
		const struct keyring_entry *e = &kr->e[i];
		int seen = 0;

		if (!prefix_match(e->id, q))
			continue;
		/* the same key exported twice (AD and Intune) is one key */
		for (size_t j = 0; j < i && !seen; j++)
			seen = prefix_match(kr->e[j].id, q) && !strcmp(kr->e[j].id, e->id) &&
			       !strcmp(kr->e[j].rp.text, e->rp.text);
		if (seen)
			continue;
		if (!hit)
			hit = e;
		n++;
	}
	if (!hit) {
		err_set("no key with key ID %s in the key exports", q);
		return NULL;
	}
	if (n > 1) {
		err_set("key ID %s is ambiguous: %zu keys start with it; give the whole key ID", q, n);
		return NULL;
	}
	return hit;
}

/* ---- trying the sources ---- */

const char *key_source_kind_name(enum key_source_kind k)
{
	switch (k) {
	case KEY_SOURCE_CSV: return "csv";
	case KEY_SOURCE_BEK: return "bek";
	case KEY_SOURCE_CLEAR: return "clear-key";
	default: return "typed";
	}
}

const char *key_source_name(const struct key_source *s, char *buf, size_t len)
{
	switch (s->kind) {
	case KEY_SOURCE_CSV:
		snprintf(buf, len, "CSV file %s line %u%s%s%s", s->file, s->line,
			 s->computer[0] ? " (" : "", s->computer, s->computer[0] ? ")" : "");
		break;
	case KEY_SOURCE_BEK:
		snprintf(buf, len, "BEK file %s", s->file);
		break;
	case KEY_SOURCE_CLEAR:
		snprintf(buf, len, "clear key (BitLocker suspended)");
		break;
	default:
		snprintf(buf, len, "typed %s", bitlocker_kind_name(s->protector));
		break;
	}
	return buf;
}

struct attempt {
	const char *dev;
	const struct bitlocker_info *bi;
	const struct keys_unlock_opts *o;
	struct bitlocker_mapping *m;
	struct bitlocker_result *res;
	int tried, fatal;
	char last[512];
};

/* Try one key; 1 when it opened the volume, 0 when not, -1 when trying must stop. */
static int try_key(struct attempt *a, const struct bitlocker_key *k)
{
	int rc;

	a->tried++;
	rc = a->o->check ? bitlocker_check(a->dev, a->bi, k, a->res) :
			   bitlocker_open(a->dev, a->bi, k, a->o->readonly, a->m, a->res);
	if (rc == 0)
		return 1;
	snprintf(a->last, sizeof(a->last), "%s", err_msg());
	if (a->o->tried && k != a->o->typed)	/* a typed key's failure is the answer */
		a->o->tried(a->o->ctx, a->last);
	if (!a->res->wrong_key) {
		a->fatal = 1;
		return -1;
	}
	return 0;
}

static void fill(struct key_source *src, enum key_source_kind kind, const struct bitlocker_result *res)
{
	src->kind = kind;
	src->protector = res->kind;
	snprintf(src->key_id, sizeof(src->key_id), "%s", res->guid);
}

/* A sentence naming the key IDs a person should look up, for the refusal. */
static void wanted_ids(const struct bitlocker_info *bi, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < bi->nprot && o + 60 < len; i++)
		if (bi->prot[i].kind == BITLOCKER_RECOVERY_PASSWORD)
			o += (size_t)snprintf(buf + o, len - o, "%s%s (%.8s)", o ? ", " : "",
					      bi->prot[i].guid, bi->prot[i].guid);
}

int keys_unlock(const char *dev, const struct bitlocker_info *bi, const struct keys_unlock_opts *o,
		struct bitlocker_mapping *m, struct bitlocker_result *res, struct key_source *src)
{
	struct attempt a = { .dev = dev, .bi = bi, .o = o, .m = m, .res = res };
	struct bitlocker_mapping unused;
	char ids[400];
	int r;

	memset(src, 0, sizeof(*src));
	memset(res, 0, sizeof(*res));
	if (!m)
		a.m = &unused;
	if (o->typed_only && o->typed)
		goto typed;
	/* 1. exports, by the key IDs of the volume's recovery-password protectors */
	for (size_t i = 0; o->kr && i < bi->nprot; i++) {
		const struct keyring_entry *hits[16];
		size_t n;

		if (bi->prot[i].kind != BITLOCKER_RECOVERY_PASSWORD)
			continue;
		n = keys_find(o->kr, bi->prot[i].guid, hits, 16);
		for (size_t k = 0; k < n && k < 16; k++) {
			struct bitlocker_key key = {
				.kind = BITLOCKER_KEY_RECOVERY, .secret = hits[k]->rp.text,
				.len = strlen(hits[k]->rp.text), .guid = bi->prot[i].guid,
			};
			int dup = 0;

			for (size_t j = 0; j < k; j++)
				dup |= !strcmp(hits[j]->rp.text, hits[k]->rp.text);
			if (dup)
				continue;
			if ((r = try_key(&a, &key)) < 0)
				return err_set("%s", a.last);
			if (r > 0) {
				fill(src, KEY_SOURCE_CSV, res);
				snprintf(src->file, sizeof(src->file), "%s", hits[k]->file);
				src->line = hits[k]->line;
				snprintf(src->computer, sizeof(src->computer), "%s", hits[k]->computer);
				return 0;
			}
		}
	}
	/* 2. startup key files */
	for (size_t i = 0; o->kr && i < bi->nprot; i++) {
		if (bi->prot[i].kind != BITLOCKER_STARTUP_KEY)
			continue;
		for (size_t k = 0; k < o->kr->nbek; k++) {
			const struct keyring_bek *b = &o->kr->bek[k];
			struct bitlocker_key key = {
				.kind = BITLOCKER_KEY_STARTUP, .secret = (const char *)b->data,
				.len = b->len, .guid = bi->prot[i].guid,
			};

			if (strcmp(b->guid, bi->prot[i].guid))
				continue;
			if ((r = try_key(&a, &key)) < 0)
				return err_set("%s", a.last);
			if (r > 0) {
				fill(src, KEY_SOURCE_BEK, res);
				snprintf(src->file, sizeof(src->file), "%s", b->file);
				return 0;
			}
		}
	}
	/* 3. the clear key of a suspended BitLocker */
	for (size_t i = 0; i < bi->nprot; i++) {
		struct bitlocker_key key = { .kind = BITLOCKER_KEY_CLEAR };

		if (bi->prot[i].kind != BITLOCKER_CLEAR_KEY)
			continue;
		if ((r = try_key(&a, &key)) < 0)
			return err_set("%s", a.last);
		if (r > 0) {
			fill(src, KEY_SOURCE_CLEAR, res);
			return 0;
		}
		break;
	}
	/* 4. what the technician typed */
typed:
	if (o->typed) {
		if ((r = try_key(&a, o->typed)) < 0)
			return err_set("%s", a.last);
		if (r > 0) {
			fill(src, KEY_SOURCE_TYPED, res);
			return 0;
		}
		/* keep bitlocker's message: it names a wrong group */
		return err_set("%s", a.last);
	}
	res->wrong_key = 1;
	if (bitlocker_tpm_only(bi))
		return err_set("cannot unlock %s: it can only be unlocked by its TPM or a smart "
			       "card, on its own computer; it has no recovery password, password, "
			       "startup key or clear key bootfix could use", dev);
	wanted_ids(bi, ids, sizeof(ids));
	if (a.tried)
		return err_set("cannot unlock %s: %d key%s tried, none fits (last: %s)", dev, a.tried,
			       a.tried == 1 ? "" : "s", a.last);
	if (ids[0])
		return err_set("cannot unlock %s: no key for recovery key ID %s in the key exports; "
			       "add the export that holds it or type the recovery password", dev, ids);
	return err_set("cannot unlock %s: no key for it: it needs its password or startup key "
		       "(.BEK file)", dev);
}
