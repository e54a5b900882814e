/*
 * auditlog_scan.c - reading a record fast: a strict JSON scanner that
 * builds nothing, then json-c given only the members a reader needs (the
 * chain's for verify, a row's for list, export and summary) instead of
 * the whole record, whose findings, disks and notes are most of its bytes
 * and of json-c's work.
 *
 * The scanner takes a subset of what json-c's strict mode takes, with the
 * same meaning; whatever it does not take (an escape in a member name, a
 * member twice, a lone surrogate, a leading zero, nesting past 30, any
 * malformed text) goes to json-c whole, which decides as it always did.
 * So a line is read alike either way.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditlog_internal.h"

#define DEPTH 30

enum { T_OBJ, T_ARR, T_STR, T_OTHER };

struct tok {
	unsigned char type;
	unsigned char esc;		/* strings: hold a backslash */
	size_t start, end;		/* strings with their quotes */
	size_t next;			/* the token after this value and all inside it */
};

struct scan {
	const char *s;
	size_t len, pos;
	struct tok *t;
	size_t n, room;
	char *out;			/* the reduced text */
	size_t olen, oroom;
	int taken;			/* s[0..len) scanned and taken: its tokens are t */
};

static pthread_key_t scan_key;
static pthread_once_t scan_once = PTHREAD_ONCE_INIT;

static void scan_free(void *p)
{
	struct scan *sc = p;

	free(sc->t);
	free(sc->out);
	free(sc);
}

static void scan_init(void)
{
	pthread_key_create(&scan_key, scan_free);
}

static long add(struct scan *sc, int type)
{
	if (sc->n == sc->room) {
		size_t room = sc->room ? 2 * sc->room : 512;
		struct tok *grown = realloc(sc->t, room * sizeof(*grown));

		if (!grown)
			return -1;
		sc->t = grown;
		sc->room = room;
	}
	sc->t[sc->n].type = (unsigned char)type;
	sc->t[sc->n].esc = 0;
	sc->t[sc->n].start = sc->pos;
	return (long)sc->n++;
}

static void ws(struct scan *sc)
{
	while (sc->pos < sc->len && (sc->s[sc->pos] == ' ' || sc->s[sc->pos] == '\t' ||
				     sc->s[sc->pos] == '\r' || sc->s[sc->pos] == '\n'))
		sc->pos++;
}

static int hex4(const char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* Bytes a string cannot hold as they are, or that end or escape it. */
static const unsigned char special[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1,
};

static int string(struct scan *sc)
{
	const char *s = sc->s;
	long k = add(sc, T_STR);

	if (k < 0)
		return -1;
	for (sc->pos++; sc->pos < sc->len; sc->pos++) {
		unsigned char c = (unsigned char)s[sc->pos];
		unsigned u, lo;

		if (!special[c])
			continue;
		if (c == '"') {
			sc->t[k].end = ++sc->pos;
			sc->t[k].next = sc->n;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c != '\\')
			continue;
		sc->t[k].esc = 1;
		if (++sc->pos >= sc->len)
			return -1;
		if (strchr("\"\\/bfnrt", s[sc->pos]) && s[sc->pos])
			continue;
		if (s[sc->pos] != 'u' || sc->pos + 4 >= sc->len || hex4(s + sc->pos + 1, &u) < 0)
			return -1;
		sc->pos += 4;
		if (u >= 0xdc00 && u <= 0xdfff)
			return -1;
		if (u >= 0xd800 && u <= 0xdbff) {
			/* a pair, or json-c judges */
			if (sc->pos + 6 >= sc->len || s[sc->pos + 1] != '\\' || s[sc->pos + 2] != 'u' ||
			    hex4(s + sc->pos + 3, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
				return -1;
			sc->pos += 6;
		}
	}
	return -1;
}

static int digits(struct scan *sc)
{
	size_t from = sc->pos;

	while (sc->pos < sc->len && sc->s[sc->pos] >= '0' && sc->s[sc->pos] <= '9')
		sc->pos++;
	return sc->pos > from ? 0 : -1;
}

static int value(struct scan *sc, int depth)
{
	const char *s = sc->s;
	long k;

	if (sc->pos >= sc->len || depth > DEPTH)
		return -1;
	switch (s[sc->pos]) {
	case '"':
		return string(sc);
	case '{':
	case '[': {
		int obj = s[sc->pos] == '{';
		char close = obj ? '}' : ']';

		if ((k = add(sc, obj ? T_OBJ : T_ARR)) < 0)
			return -1;
		sc->pos++;
		ws(sc);
		if (sc->pos < sc->len && s[sc->pos] == close) {
			sc->pos++;
		} else {
			for (;;) {
				if (obj) {
					if (sc->pos >= sc->len || s[sc->pos] != '"' || string(sc) < 0)
						return -1;
					ws(sc);
					if (sc->pos >= sc->len || s[sc->pos] != ':')
						return -1;
					sc->pos++;
					ws(sc);
				}
				if (value(sc, depth + 1) < 0)
					return -1;
				ws(sc);
				if (sc->pos < sc->len && s[sc->pos] == ',') {
					sc->pos++;
					ws(sc);
					continue;
				}
				if (sc->pos < sc->len && s[sc->pos] == close) {
					sc->pos++;
					break;
				}
				return -1;
			}
		}
		sc->t[k].end = sc->pos;
		sc->t[k].next = sc->n;
		return 0;
	}
	case 't':
	case 'f':
	case 'n': {
		const char *word = s[sc->pos] == 't' ? "true" : s[sc->pos] == 'f' ? "false" : "null";
		size_t n = strlen(word);

		if (sc->len - sc->pos < n || memcmp(s + sc->pos, word, n))
			return -1;
		if ((k = add(sc, T_OTHER)) < 0)
			return -1;
		sc->pos += n;
		break;
	}
	default:
		if ((k = add(sc, T_OTHER)) < 0)
			return -1;
		if (s[sc->pos] == '-')
			sc->pos++;
		if (sc->pos < sc->len && s[sc->pos] == '0') {
			sc->pos++;
			if (sc->pos < sc->len && s[sc->pos] >= '0' && s[sc->pos] <= '9')
				return -1;	/* a leading zero */
		} else if (digits(sc) < 0) {
			return -1;
		}
		if (sc->pos < sc->len && s[sc->pos] == '.') {
			sc->pos++;
			if (digits(sc) < 0)
				return -1;
		}
		if (sc->pos < sc->len && (s[sc->pos] == 'e' || s[sc->pos] == 'E')) {
			sc->pos++;
			if (sc->pos < sc->len && (s[sc->pos] == '+' || s[sc->pos] == '-'))
				sc->pos++;
			if (digits(sc) < 0)
				return -1;
		}
		break;
	}
	sc->t[k].end = sc->pos;
	sc->t[k].next = sc->n;
	return 0;
}

/* What a reader needs of a record: members, and inside some of them members again. */
struct keep {
	const char *name;
	size_t len;
	const struct keep *sub;		/* NULL: the whole value */
};

#define K(name) { name, sizeof(name) - 1, NULL }
#define KSUB(name, sub) { name, sizeof(name) - 1, sub }
#define KEND { NULL, 0, NULL }

/* what the checks read: auditlog_verify.c's chain, a server file's sticks, superseded runs */
#define CHAIN_MEMBERS \
	K("schema"), K("seq"), K("prev"), K("kind"), K("record"), K("source"), K("sig_key"), \
	K("sig"), K("run"), K("stage"), K("recovered_torn_tail"), K("stick")

static const struct keep keep_chain[] = { CHAIN_MEMBERS, KEND };

static const struct keep keep_machine[] = {
	K("sys_vendor"), K("product_name"), K("product_serial"), K("product_uuid"),
	K("board_serial"), K("uptime_s"), KEND,
};
static const struct keep keep_finding[] = {
	K("verdict"), K("action"), K("done"), K("rule"), KEND,
};
static const struct keep keep_volume[] = {
	K("windows"), K("product_name"), K("build"), K("display_version"), K("computer_name"),
	K("outcome"), K("problem"), K("bitlocker_locked"), KSUB("findings", keep_finding), KEND,
};
static const struct keep keep_row[] = {
	CHAIN_MEMBERS,
	K("time"), K("action"), K("mode"), K("operator"), K("site"), K("outcome"),
	K("reason"), K("duration_ms"), K("bitlocker"), KSUB("machine", keep_machine),
	KSUB("volumes", keep_volume), KEND,
};

static int put(struct scan *sc, const char *p, size_t n)
{
	if (sc->olen + n + 1 > sc->oroom) {
		size_t room = (sc->olen + n + 1) * 2;
		char *grown = realloc(sc->out, room);

		if (!grown)
			return -1;
		sc->out = grown;
		sc->oroom = room;
	}
	memcpy(sc->out + sc->olen, p, n);
	sc->olen += n;
	return 0;
}

/* The member of keep[] that a name token (no escapes) names, or NULL. */
static const struct keep *kept(const struct scan *sc, size_t k, const struct keep *keep)
{
	size_t n = sc->t[k].end - sc->t[k].start - 2;

	for (; keep->name; keep++)
		if (keep->len == n && !memcmp(keep->name, sc->s + sc->t[k].start + 1, n))
			return keep;
	return NULL;
}

/*
 * Token k (an object, or an array of them) written with only the members
 * keep names; top, the record itself: its last member too (the signature
 * check asks whether "sig" is last).  -1: json-c should read it whole.
 */
static int reduce(struct scan *sc, size_t k, const struct keep *keep, int top)
{
	const struct tok *t = &sc->t[k];
	int first = 1;

	if (t->type == T_ARR) {
		if (put(sc, "[", 1) < 0)
			return -1;
		for (size_t i = k + 1; i < t->next; i = sc->t[i].next) {
			if ((!first && put(sc, ",", 1) < 0) || reduce(sc, i, keep, 0) < 0)
				return -1;
			first = 0;
		}
		return put(sc, "]", 1);
	}
	if (t->type != T_OBJ)	/* not what a record holds here: as it is */
		return put(sc, sc->s + t->start, t->end - t->start);
	if (put(sc, "{", 1) < 0)
		return -1;
	for (size_t i = k + 1; i < t->next; i = sc->t[sc->t[i].next].next) {
		size_t v = sc->t[i].next;
		const struct keep *m;

		if (sc->t[i].esc)
			return -1;
		m = kept(sc, i, keep);
		if (!m && !(top && sc->t[v].next == t->next))
			continue;
		if ((!first && put(sc, ",", 1) < 0) ||
		    put(sc, sc->s + sc->t[i].start, sc->t[i].end - sc->t[i].start) < 0 ||
		    put(sc, ":", 1) < 0)
			return -1;
		first = 0;
		if (m && m->sub) {
			if (reduce(sc, v, m->sub, 0) < 0)
				return -1;
		} else if (put(sc, sc->s + sc->t[v].start, sc->t[v].end - sc->t[v].start) < 0) {
			return -1;
		}
	}
	return put(sc, "}", 1);
}

/* Top-level member names: none escaped, none twice (else json-c's rules apply). */
static int plain_names(const struct scan *sc)
{
	for (size_t i = 1; i < sc->t[0].next; i = sc->t[sc->t[i].next].next) {
		size_t n = sc->t[i].end - sc->t[i].start;
		const char *name = sc->s + sc->t[i].start;

		if (sc->t[i].esc)
			return -1;
		for (size_t k = 1; k < i; k = sc->t[sc->t[k].next].next)
			if (sc->t[k].end - sc->t[k].start == n && sc->s[sc->t[k].start + 1] == name[1] &&
			    !memcmp(sc->s + sc->t[k].start, name, n))
				return -1;
	}
	return 0;
}

struct json_object *auditlog_scan_json(const char *s, size_t len, enum scan_mode mode)
{
	struct scan *sc;
	struct json_object *j;

	pthread_once(&scan_once, scan_init);
	sc = pthread_getspecific(scan_key);
	if (!sc) {
		if (!(sc = calloc(1, sizeof(*sc))))
			return auditlog_read_json(s, len);
		pthread_setspecific(scan_key, sc);
	}
	sc->taken = 0;
	if (mode == SCAN_FULL || !len || s[0] != '{')
		return auditlog_read_json(s, len);
	sc->s = s;
	sc->len = len;
	sc->pos = 0;
	sc->n = 0;
	sc->olen = 0;
	sc->taken = 0;
	if (value(sc, 0) < 0 || sc->pos != len || plain_names(sc) < 0)
		return auditlog_read_json(s, len);
	sc->taken = 1;
	if (reduce(sc, 0, mode == SCAN_ROW ? keep_row : keep_chain, 1) < 0)
		return auditlog_read_json(s, len);
	j = auditlog_read_json(sc->out, sc->olen);
	return j ? j : auditlog_read_json(s, len);
}

/* ---- a row without json-c ---- */

struct rowctx {
	struct scan *sc;
	char *arena;			/* as long as the record: unescaped strings never grow */
	size_t used;
	int fallback;			/* json-c should read this record */
};

/* The value of member name in object token k (the last of that name, as json-c keeps), or 0. */
static size_t member(struct rowctx *r, size_t k, const char *name)
{
	const struct scan *sc = r->sc;
	size_t n = strlen(name), found = 0;

	if (sc->t[k].type != T_OBJ)
		return 0;
	for (size_t i = k + 1; i < sc->t[k].next; i = sc->t[sc->t[i].next].next) {
		if (sc->t[i].esc) {
			r->fallback = 1;
			return 0;
		}
		if (sc->t[i].end - sc->t[i].start - 2 == n &&
		    !memcmp(sc->s + sc->t[i].start + 1, name, n))
			found = sc->t[i].next;
	}
	return found;
}

static void utf8(char *out, size_t *o, unsigned cp)
{
	if (cp < 0x80) {
		out[(*o)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*o)++] = (char)(0xc0 | cp >> 6);
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*o)++] = (char)(0xe0 | cp >> 12);
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*o)++] = (char)(0xf0 | cp >> 18);
		out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/* String token v (0: none) unescaped into the arena, or NULL when v is no string. */
static const char *str(struct rowctx *r, size_t v)
{
	const struct scan *sc = r->sc;
	const char *p, *end;
	char *out = r->arena + r->used;
	size_t o = 0;

	if (!v || sc->t[v].type != T_STR)
		return NULL;
	p = sc->s + sc->t[v].start + 1;
	end = sc->s + sc->t[v].end - 1;
	while (p < end) {
		unsigned cp, lo;

		if (*p != '\\') {
			out[o++] = *p++;
			continue;
		}
		p++;
		switch (*p) {
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u':
			hex4(p + 1, &cp);
			p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {	/* the scanner saw its pair */
				hex4(p + 3, &lo);
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			}
			utf8(out, &o, cp);
			break;
		default: out[o++] = *p; break;		/* " \ / */
		}
		p++;
	}
	out[o] = '\0';
	r->used += o + 1;
	return out;
}

/* json_object_get_boolean() of token v (0: none). */
static int boolean(struct rowctx *r, size_t v)
{
	const struct scan *sc = r->sc;
	const char *p = sc->s + sc->t[v].start;

	if (!v)
		return 0;
	switch (sc->t[v].type) {
	case T_STR:
		return sc->t[v].end - sc->t[v].start > 2;
	case T_OTHER:
		if (*p == 't')
			return 1;
		if (*p == 'f' || *p == 'n')
			return 0;
		/* a number: true unless zero; with an exponent json-c decides */
		for (const char *q = p; q < sc->s + sc->t[v].end; q++)
			if (*q == 'e' || *q == 'E')
				r->fallback = 1;
		for (; p < sc->s + sc->t[v].end; p++)
			if (*p >= '1' && *p <= '9')
				return 1;
		return 0;
	default:
		return 0;
	}
}

/* An integer json-c reads as an int (no fraction or exponent, short enough), else -1. */
static long integer(struct rowctx *r, size_t v, int *ok)
{
	const struct scan *sc = r->sc;
	const char *p = sc->s + sc->t[v].start;
	size_t n = v ? sc->t[v].end - sc->t[v].start : 0;
	long x = 0;
	int neg;

	*ok = 0;
	if (!v || sc->t[v].type != T_OTHER || !((*p >= '0' && *p <= '9') || *p == '-'))
		return -1;
	if (memchr(p, '.', n) || memchr(p, 'e', n) || memchr(p, 'E', n))
		return -1;
	if (n > 18) {
		r->fallback = 1;
		return -1;
	}
	neg = *p == '-';
	for (size_t i = neg; i < n; i++)
		x = x * 10 + (p[i] - '0');
	*ok = 1;
	return neg ? -x : x;
}

int auditlog_scan_row(const char *s, size_t len, struct auditlog_row *row)
{
	struct rowctx r = { 0 };
	size_t m, vols, keys;
	int ok;

	memset(row, 0, sizeof(*row));
	if (!len || s[0] != '{')
		return -1;
	pthread_once(&scan_once, scan_init);
	r.sc = pthread_getspecific(scan_key);
	if (!r.sc) {
		if (!(r.sc = calloc(1, sizeof(*r.sc))))
			return -1;
		pthread_setspecific(scan_key, r.sc);
	}
	/* the record was just scanned to classify it (auditlog_scan_json()): once is enough */
	if (!r.sc->taken || r.sc->s != s || r.sc->len != len) {
		r.sc->s = s;
		r.sc->len = len;
		r.sc->pos = 0;
		r.sc->n = 0;
		r.sc->taken = 0;
		if (value(r.sc, 0) < 0 || r.sc->pos != len || plain_names(r.sc) < 0)
			return -1;
		r.sc->taken = 1;
	}
	if (!(r.arena = malloc(len + 1)))
		return -1;
	row->arena = r.arena;
	row->time = str(&r, member(&r, 0, "time"));
	row->action = str(&r, member(&r, 0, "action"));
	row->mode = str(&r, member(&r, 0, "mode"));
	row->operator_name = str(&r, member(&r, 0, "operator"));
	row->site = str(&r, member(&r, 0, "site"));
	row->stick = str(&r, member(&r, 0, "stick"));
	row->outcome = str(&r, member(&r, 0, "outcome"));
	/* records written before "restored" existed called a restore "fixed" */
	if (row->action && !strcmp(row->action, "restore") && row->outcome &&
	    !strcmp(row->outcome, "fixed"))
		row->outcome = "restored";
	row->reason = str(&r, member(&r, 0, "reason"));
	m = member(&r, 0, "machine");
	if (m && r.sc->t[m].type == T_OBJ) {
		row->sys_vendor = str(&r, member(&r, m, "sys_vendor"));
		row->product_name = str(&r, member(&r, m, "product_name"));
		row->product_serial = str(&r, member(&r, m, "product_serial"));
		row->product_uuid = str(&r, member(&r, m, "product_uuid"));
	}
	row->duration_ms = integer(&r, member(&r, 0, "duration_ms"), &ok);
	if (!ok)
		row->duration_ms = -1;
	row->stage = str(&r, member(&r, 0, "stage"));
	row->run = str(&r, member(&r, 0, "run"));
	row->sig_key = str(&r, member(&r, 0, "sig_key"));
	m = member(&r, 0, "sig");
	row->is_signed = m && r.sc->t[m].type == T_STR;
	m = member(&r, 0, "machine");
	row->uptime_s = -1;
	if (m && r.sc->t[m].type == T_OBJ) {
		row->uptime_s = integer(&r, member(&r, m, "uptime_s"), &ok);
		if (!ok)
			row->uptime_s = -1;
	}
	vols = member(&r, 0, "volumes");
	for (size_t v = vols + 1; vols && r.sc->t[vols].type == T_ARR && v < r.sc->t[vols].next;
	     v = r.sc->t[v].next) {
		size_t f;

		if (r.sc->t[v].type != T_OBJ)
			continue;
		row->volumes++;
		auditlog_row_volume(row, str(&r, member(&r, v, "outcome")),
				    str(&r, member(&r, v, "problem")),
				    boolean(&r, member(&r, v, "bitlocker_locked")));
		if (boolean(&r, member(&r, v, "windows"))) {
			row->windows_volumes++;
			const char *pn = str(&r, member(&r, v, "product_name"));
			const char *b = str(&r, member(&r, v, "build"));
			const char *dv = str(&r, member(&r, v, "display_version"));
			char *w;

			auditlog_row_join(&row->computer, str(&r, member(&r, v, "computer_name")));
			if ((pn || b) && asprintf(&w, "%s%s%s%s%s%s", pn ? pn : "Windows",
						  b ? " " : "", b ? b : "", dv ? " (" : "",
						  dv ? dv : "", dv ? ")" : "") >= 0) {
				auditlog_row_join(&row->windows, w);
				free(w);
			}
		}
		f = member(&r, v, "findings");
		for (size_t x = f + 1; f && r.sc->t[f].type == T_ARR && x < r.sc->t[f].next;
		     x = r.sc->t[x].next) {
			const char *verdict = NULL, *action = NULL, *rule = NULL;
			size_t done = 0;

			if (r.sc->t[x].type == T_OBJ) {
				verdict = str(&r, member(&r, x, "verdict"));
				action = str(&r, member(&r, x, "action"));
				rule = str(&r, member(&r, x, "rule"));
				done = member(&r, x, "done");
			}
			auditlog_row_finding(row, rule, verdict, action &&
					     !strcmp(action, "quarantine") && boolean(&r, done));
		}
	}
	keys = member(&r, 0, "bitlocker");
	for (size_t k = keys + 1; keys && r.sc->t[keys].type == T_ARR && k < r.sc->t[keys].next;
	     k = r.sc->t[k].next) {
		const char *id = NULL, *dev = NULL, *src = NULL;

		if (r.sc->t[k].type == T_OBJ) {
			id = str(&r, member(&r, k, "key_id"));
			dev = str(&r, member(&r, k, "device"));
			src = str(&r, member(&r, k, "source"));
		}
		auditlog_row_join(&row->key_ids, id);
		auditlog_row_key(row, id, dev, src);
	}
	if (r.fallback) {
		auditlog_row_free(row);
		return -1;
	}
	return 0;
}
