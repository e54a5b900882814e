/*
 * logreport.c - the auditors' report: aggregates of many logs' records and
 * the one HTML page that shows them (see logreport.h, docs/log.md).
 *
 * Nothing of a record is kept but what the page shows: counts in small
 * tables keyed by name (sites, operators, rules), fixes per hour and site,
 * the latest record's facts per machine, the key IDs used and the run
 * times.  The page is written in one pass with inline CSS and inline SVG
 * made here; every text from a record goes through logreport_html_text().
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auditlog.h"
#include "err.h"
#include "file.h"
#include "logreport.h"
#include "text.h"
#include "sha256.h"
#include "utc.h"
#include "version.h"

/* ---- outcomes and what to do next ---- */

enum rep_outcome {
	RO_FIXED, RO_RESTORED, RO_LEFT, RO_NOTHING, RO_REFUSED, RO_FAILED, RO_INTERRUPTED,
	RO_OTHER, RO_N
};

static const char *const rep_outcome_name[RO_N] = {
	"fixed", "restored", "left", "nothing-to-fix", "refused", "failed", "interrupted",
	"other",
};

/* The not-fixed table's order: what a person has to do first comes first. */
enum rep_next {
	NX_OK, NX_HIBERNATED, NX_LOCKED, NX_CHECK_FILE, NX_INTERRUPTED, NX_NO_WINDOWS,
	NX_FAILED, NX_REFUSED, NX_UNKNOWN, NX_LEFT, NX_RESTORED, NX_N
};

static const char *const next_name[NX_N] = {
	"fixed or clean", "hibernated / fast restart", "BitLocker locked",
	"file to check", "interrupted", "no Windows seen", "failed", "refused",
	"outcome not known", "left as it is", "restored",
};

static const char *const next_action[NX_N] = {
	"",
	"ask whether the hibernated session may be lost, then fix with "
	"--discard-hibernation or --kill-fast-restart",
	"find the recovery key by its key ID and put it on the stick, then fix again",
	"look at the file the reason names (verdict unknown) and decide",
	"the fix was cut short: bootfix scan the machine, then fix again",
	"no Windows volume was seen: wrong disk, or a disk controller the stick has no "
	"driver for",
	"read the reason, deal with it, then fix again",
	"read the reason: the operator can override it",
	"read the record: its outcome is not one bootfix writes",
	"a person chose to leave it: nothing to do unless that changes",
	"files were put back on purpose: the machine crashes again",
};

static enum rep_outcome outcome_of(const char *s)
{
	for (int i = 0; s && i < RO_OTHER; i++)
		if (!strcmp(s, rep_outcome_name[i]))
			return (enum rep_outcome)i;
	return RO_OTHER;
}

/* ---- names to indexes (sites, operators, rules, machines, runs) ---- */

struct dict {
	char **names;		/* by index, in the order first seen */
	size_t n, alloc;
	size_t *slot;		/* open addressing: index + 1, 0 empty */
	size_t cap;		/* a power of two, at least twice n */
};

static size_t hash(const char *s)
{
	size_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static long dict_find(const struct dict *d, const char *s)
{
	if (!d->cap)
		return -1;
	for (size_t i = hash(s) & (d->cap - 1);; i = (i + 1) & (d->cap - 1)) {
		if (!d->slot[i])
			return -1;
		if (!strcmp(d->names[d->slot[i] - 1], s))
			return (long)(d->slot[i] - 1);
	}
}

static int dict_grow(struct dict *d)
{
	size_t cap = d->cap ? d->cap * 2 : 64, *slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -1;
	for (size_t k = 0; k < d->n; k++) {
		size_t i = hash(d->names[k]) & (cap - 1);

		while (slot[i])
			i = (i + 1) & (cap - 1);
		slot[i] = k + 1;
	}
	free(d->slot);
	d->slot = slot;
	d->cap = cap;
	return 0;
}

/* The index of s, added when new (*added set); -1 when out of memory. */
static long dict_add(struct dict *d, const char *s, int *added)
{
	long at = dict_find(d, s);
	size_t i;

	if (added)
		*added = 0;
	if (at >= 0)
		return at;
	if ((d->n + 1) * 2 > d->cap && dict_grow(d) < 0)
		return -1;
	if (d->n == d->alloc) {
		size_t na = d->alloc ? d->alloc * 2 : 16;
		char **g = realloc(d->names, na * sizeof(*g));

		if (!g)
			return -1;
		d->names = g;
		d->alloc = na;
	}
	if (!(d->names[d->n] = strdup(s)))
		return -1;
	for (i = hash(s) & (d->cap - 1); d->slot[i]; i = (i + 1) & (d->cap - 1))
		;
	d->slot[i] = ++d->n;
	if (added)
		*added = 1;
	return (long)(d->n - 1);
}

static void dict_free(struct dict *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->names[i]);
	free(d->names);
	free(d->slot);
	memset(d, 0, sizeof(*d));
}

/*
 * Record text is hostile and unbounded (a 1 MB site name, a new name in
 * every record): the tables keep at most TABLE_NAMES names each, of at
 * most NAME_BYTES bytes (longer ones cut, marked with "…"); the records of
 * names past that count on one row that says so.  Keys only matched, never
 * shown (runs, machines) are hashed when long.
 */
#define TABLE_NAMES 20000
#define NAME_BYTES 240
#define TABLE_FULL "(more names than the report tells apart)"

static char *dup_cut(const char *s, size_t max);

/* The index of name (none when NULL or empty) in table d, added when new. -1 out of memory. */
static long name_at(struct dict *d, const char *name, const char *none)
{
	char *cut;
	long i;

	if (!name || !*name)
		name = none;
	if (strlen(name) <= NAME_BYTES) {
		if ((i = dict_find(d, name)) >= 0)
			return i;
		return dict_add(d, d->n >= TABLE_NAMES ? TABLE_FULL : name, NULL);
	}
	if (!(cut = dup_cut(name, NAME_BYTES)))
		return -1;
	i = dict_find(d, cut);
	if (i < 0)
		i = dict_add(d, d->n >= TABLE_NAMES ? TABLE_FULL : cut, NULL);
	free(cut);
	return i;
}

/* s, or when longer than max bytes "sha256:HEX" of it in buf. */
static const char *short_key(const char *s, size_t max, char buf[8 + SHA256_HEX_LEN])
{
	if (strlen(s) <= max)
		return s;
	memcpy(buf, "sha256:", 7);
	sha256_hex(s, strlen(s), buf + 7);
	return buf;
}

/* Make room for index i in an array of elements of size sz (zeroed). */
static int room(void **a, size_t *alloc, size_t i, size_t sz)
{
	size_t na;
	char *g;

	if (i < *alloc)
		return 0;
	na = *alloc ? *alloc : 16;
	while (na <= i)
		na *= 2;
	g = realloc(*a, na * sz);
	if (!g)
		return -1;
	memset(g + *alloc * sz, 0, (na - *alloc) * sz);
	*a = g;
	*alloc = na;
	return 0;
}

/* ---- fixes per hour and site ---- */

struct hours {
	uint64_t *key;		/* hour << 20 | site, + 1; 0 empty */
	long *n;
	size_t cap, used;
};

#define SITE_BITS 20
#define SITE_MAX ((1L << SITE_BITS) - 1)

static int hours_add(struct hours *h, long long hour, long site)
{
	uint64_t k = ((uint64_t)hour << SITE_BITS | (uint64_t)(site > SITE_MAX ? SITE_MAX : site)) + 1;
	size_t i;

	if ((h->used + 1) * 2 > h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		uint64_t *key = calloc(cap, sizeof(*key));
		long *n = calloc(cap, sizeof(*n));

		if (!key || !n) {
			free(key);
			free(n);
			return err_set("cannot count fixes per hour: %s", err_cause(ENOMEM));
		}
		for (size_t j = 0; j < h->cap; j++) {
			if (!h->key[j])
				continue;
			for (i = (size_t)(h->key[j] * 0x9e3779b97f4a7c15ULL) & (cap - 1); key[i];
			     i = (i + 1) & (cap - 1))
				;
			key[i] = h->key[j];
			n[i] = h->n[j];
		}
		free(h->key);
		free(h->n);
		h->key = key;
		h->n = n;
		h->cap = cap;
	}
	for (i = (size_t)(k * 0x9e3779b97f4a7c15ULL) & (h->cap - 1); h->key[i] && h->key[i] != k;
	     i = (i + 1) & (h->cap - 1))
		;
	if (!h->key[i]) {
		h->key[i] = k;
		h->used++;
	}
	h->n[i]++;
	return 0;
}

/* ---- what the report holds ---- */

struct tally {
	long out[RO_N];		/* records by outcome */
};

struct ruletally {
	long findings, faulty, quarantined, unknown;
};

/* The facts of one record that the page may show. */
struct facts {
	enum rep_outcome outcome;
	enum rep_next next;
	long long t;		/* its time, or LLONG_MIN when it has none that parses */
	long duration_ms;	/* -1 unknown */
	long uptime_s;		/* the machine's uptime when the record was written, -1 unknown */
	char *time, *site, *operator_name, *computer, *serial, *machine, *reason, *source;
	char *block;		/* a copy's texts are all in it (facts_copy()) */
};

struct rep_machine {
	struct facts f;		/* of its latest record */
	size_t order;		/* when that record was fed */
};

struct keyuse {
	char *key_id, *device, *from, *time;
	char *mkey;		/* its machine (machine_key()); found when the page is written */
	size_t machine;
};

struct source {
	struct logreport_source_info info;	/* strings owned */
	int declared;
	long records, begun, signed_records;
	struct dict sig_keys;			/* sig_key values seen */
};

struct pending {
	struct facts f;
	size_t order;
	int done;		/* its run's record followed */
};

struct logreport {
	struct source *src;
	size_t nsrc, last_src;
	long records, junk_time;	/* records fed (begun ones held included); without a time */
	long out[RO_N];			/* records by outcome */
	struct dict sites, operators, rules, machines, runs, keyseen;
	struct tally *site_t, *op_t;
	size_t site_alloc, op_alloc;
	struct ruletally *rule_t;
	size_t rule_alloc;
	struct rep_machine *mach;
	size_t mach_alloc;
	struct keyuse *keys;
	size_t nkeys, keys_alloc;
	struct pending *pend;
	size_t pend_alloc;
	struct hours hours;
	long *dur;			/* fixed records: boot to record (ms) where known,
					   else the run's duration_ms */
	size_t ndur, dur_alloc, nboot;	/* nboot of them boot to record */
	struct facts slowest;
	long slowest_ms;
	size_t order;
	int oom;
};

static void facts_free(struct facts *f)
{
	free(f->block);
	memset(f, 0, sizeof(*f));
}

/*
 * A copy of s cut to at most max bytes on a character boundary, then "…"
 * when cut (NULL stays NULL).
 */
static char *dup_cut(const char *s, size_t max)
{
	size_t n;
	char *d;

	if (!s)
		return NULL;
	n = strlen(s);
	if (n <= max)
		return strdup(s);
	/* cut on a character boundary, and say so */
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	d = malloc(n + 4);
	if (d) {
		memcpy(d, s, n);
		memcpy(d + n, "\xe2\x80\xa6", 4);
	}
	return d;
}

#define TEXT_MAX 600		/* bytes kept of any one text of a record */

/* One text of a copy: at most max bytes of s, cut as dup_cut() does, at *at. */
static char *pack(char **at, const char *s, size_t max)
{
	char *d = *at;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	if (n <= max) {
		memcpy(d, s, n + 1);
	} else {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		memcpy(d, s, n);
		memcpy(d + n, "\xe2\x80\xa6", 4);
		n += 3;
	}
	*at = d + n + 1;
	return d;
}

/* The room pack() takes for s. */
static size_t packed(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	return s ? (n <= max ? n : max + 3) + 1 : 0;
}

/* A copy of *from whose texts are cut and kept in one block (a machine's facts: one malloc). */
static int facts_copy(struct facts *to, const struct facts *from)
{
	size_t len = packed(from->time, TEXT_MAX) + packed(from->site, TEXT_MAX) +
		     packed(from->operator_name, TEXT_MAX) + packed(from->computer, TEXT_MAX) +
		     packed(from->serial, TEXT_MAX) + packed(from->machine, 4 * TEXT_MAX) +
		     packed(from->reason, TEXT_MAX) + packed(from->source, TEXT_MAX);
	char *at;

	*to = *from;
	if (!(to->block = at = malloc(len ? len : 1))) {
		memset(to, 0, sizeof(*to));
		return err_set("cannot count a record: %s", err_cause(ENOMEM));
	}
	to->time = pack(&at, from->time, TEXT_MAX);
	to->site = pack(&at, from->site, TEXT_MAX);
	to->operator_name = pack(&at, from->operator_name, TEXT_MAX);
	to->computer = pack(&at, from->computer, TEXT_MAX);
	to->serial = pack(&at, from->serial, TEXT_MAX);
	to->machine = pack(&at, from->machine, 4 * TEXT_MAX);
	to->reason = pack(&at, from->reason, TEXT_MAX);
	to->source = pack(&at, from->source, TEXT_MAX);
	return 0;
}

struct logreport *logreport_new(void)
{
	struct logreport *r = calloc(1, sizeof(*r));

	if (!r)
		err_set("cannot make a report: %s", err_cause(ENOMEM));
	else
		r->slowest_ms = -1;
	return r;
}

static struct source *find_source(struct logreport *r, const char *name)
{
	/* records come a log at a time: the one named last is the likely one */
	if (r->nsrc && !strcmp(r->src[r->last_src].info.name, name))
		return &r->src[r->last_src];
	for (size_t i = r->nsrc; i-- > 0;)
		if (!strcmp(r->src[i].info.name, name)) {
			r->last_src = i;
			return &r->src[i];
		}
	return NULL;
}

static struct source *add_source(struct logreport *r, const char *name)
{
	struct source *g = realloc(r->src, (r->nsrc + 1) * sizeof(*g)), *s;

	if (!g)
		return NULL;
	r->src = g;
	s = &g[r->nsrc];
	memset(s, 0, sizeof(*s));
	if (!(s->info.name = strdup(name)))
		return NULL;
	r->nsrc++;
	return s;
}

int logreport_source(struct logreport *r, const struct logreport_source_info *si)
{
	const char *name = si->name ? si->name : "-";
	struct source *s = find_source(r, name);

	if (!s && !(s = add_source(r, name)))
		return err_set("cannot add %s to the report: %s", name, err_cause(ENOMEM));
	free((char *)s->info.why);
	free((char *)s->info.keys);
	s->info.intact = si->intact;
	s->info.records = si->records;
	s->info.sigs_checked = si->sigs_checked;
	s->info.server = si->server;
	s->info.chains = si->chains;
	s->info.chained = si->chained;
	s->info.alone = si->alone;
	s->info.other = si->other;
	s->info.why = si->why ? strdup(si->why) : NULL;
	s->info.keys = si->keys ? strdup(si->keys) : NULL;
	s->declared = 1;
	return 0;
}

/* ---- one record ---- */

/* What to do next about a machine whose latest record is row, with outcome o. */
static enum rep_next classify(const struct auditlog_row *row, enum rep_outcome o)
{
	switch (o) {
	case RO_FIXED:
		return NX_OK;
	case RO_RESTORED:
		return NX_RESTORED;
	case RO_LEFT:
		return NX_LEFT;
	case RO_INTERRUPTED:
		return NX_INTERRUPTED;
	case RO_OTHER:
		return NX_UNKNOWN;
	case RO_NOTHING:
		return row->locked ? NX_LOCKED : row->unknown ? NX_CHECK_FILE :
		       !row->windows_volumes ? NX_NO_WINDOWS : NX_OK;
	default:
		break;
	}
	if (row->stuck_problem)
		return NX_HIBERNATED;
	if (row->stuck_locked)
		return NX_LOCKED;
	if (row->unknown && o == RO_REFUSED)
		return NX_CHECK_FILE;
	return o == RO_FAILED ? NX_FAILED : NX_REFUSED;
}

/*
 * Which machine a record is about: as `log summary` counts machines, the
 * firmware's UUID, else its serial number, else the Windows computer names,
 * else (nothing to tell it by) the record alone.
 */
static const char *machine_key(const char *uuid, const char *serial, const char *names,
			       size_t order, char *buf, size_t len)
{
	if (uuid && *uuid)
		snprintf(buf, len, "uuid:%s", uuid);
	else if (serial && *serial)
		snprintf(buf, len, "serial:%s", serial);
	else if (*names)
		snprintf(buf, len, "name:%s", names);
	else	/* nothing tells it apart: a machine of its own */
		snprintf(buf, len, "record:%zu", order);
	/* a hostile serial or name 4 KB long would be kept once per machine */
	if (strlen(buf) > 128) {
		char h[SHA256_HEX_LEN];

		sha256_hex(buf, strlen(buf), h);
		snprintf(buf, len, "sha256:%s", h);
	}
	return buf;
}

static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* A record's time (YYYY-MM-DDTHH:MM:SSZ, as bootfix writes it, quickly), or LLONG_MIN. */
static long long parse_time(const char *s)
{
	int y, mo, d, h, mi, sec;
	time_t t;

	if (s && strlen(s) == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
	    s[16] == ':' && s[19] == 'Z' && (y = digits(s, 4)) >= 1970 &&
	    (mo = digits(s + 5, 2)) >= 1 && mo <= 12 && (d = digits(s + 8, 2)) >= 1 && d <= 31 &&
	    (h = digits(s + 11, 2)) >= 0 && h < 24 && (mi = digits(s + 14, 2)) >= 0 && mi < 60 &&
	    (sec = digits(s + 17, 2)) >= 0 && sec < 61) {
		/* days from 1970-01-01 (Howard Hinnant's days_from_civil) */
		long long yy = y - (mo <= 2), era = yy / 400, yoe = yy - era * 400;
		long long doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
		long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

		return ((era * 146097 + doe - 719468) * 24 + h) * 3600 + mi * 60 + sec;
	}
	return s && utc_parse(s, &t) == 0 ? (long long)t : LLONG_MIN;
}

static struct tally *tally_at(struct logreport *r, struct dict *d, struct tally **t,
			      size_t *alloc, const char *name)
{
	long i = name_at(d, name, "(none)");

	if (i < 0 || room((void **)t, alloc, (size_t)i, sizeof(**t)) < 0) {
		r->oom = 1;
		return NULL;
	}
	return &(*t)[i];
}

/* Count a record whose facts are final (a begun record alone counts at the end). */
static int apply(struct logreport *r, const struct facts *f, size_t order)
{
	struct tally *t;
	long m;
	int added;

	r->out[f->outcome]++;
	if ((t = tally_at(r, &r->sites, &r->site_t, &r->site_alloc, f->site)))
		t->out[f->outcome]++;
	if ((t = tally_at(r, &r->operators, &r->op_t, &r->op_alloc, f->operator_name)))
		t->out[f->outcome]++;
	if (f->t == LLONG_MIN)
		r->junk_time++;
	if (f->outcome == RO_FIXED && f->t != LLONG_MIN) {
		long s = name_at(&r->sites, f->site, "(none)");
		long long hour = f->t / 3600 - (f->t % 3600 < 0);

		if (s >= 0 && hour > -(1LL << 40) && hour < (1LL << 40) &&
		    hours_add(&r->hours, hour + (1LL << 40), s) < 0)
			return -1;
	}
	if (f->outcome == RO_FIXED && (f->uptime_s > 0 || f->duration_ms >= 0)) {
		/* boot to record where the machine's uptime says it, else the run alone */
		long ms = f->uptime_s > 0 ? f->uptime_s * 1000 : f->duration_ms;

		if (room((void **)&r->dur, &r->dur_alloc, r->ndur, sizeof(*r->dur)) < 0)
			return err_set("cannot count run times: %s", err_cause(ENOMEM));
		r->dur[r->ndur++] = ms;
		r->nboot += f->uptime_s > 0;
		if (ms > r->slowest_ms) {
			facts_free(&r->slowest);
			if (facts_copy(&r->slowest, f) < 0)
				return -1;
			r->slowest_ms = ms;
		}
	}
	if (!f->machine)
		return 0;
	m = dict_add(&r->machines, f->machine, &added);	/* short: machine_key() */
	if (m < 0 || room((void **)&r->mach, &r->mach_alloc, (size_t)m, sizeof(*r->mach)) < 0)
		return err_set("cannot count machines: %s", err_cause(ENOMEM));
	/* the latest record decides; for records of one time, the one fed last */
	if (added || f->t > r->mach[m].f.t ||
	    (f->t == r->mach[m].f.t && order > r->mach[m].order)) {
		struct facts copy;

		/* a machine fixed or clean is not listed: only what the key table shows of it */
		if (f->next == NX_OK) {
			struct facts lean = { .outcome = f->outcome, .next = f->next, .t = f->t,
					      .duration_ms = f->duration_ms, .uptime_s = f->uptime_s,
					      .site = f->site, .computer = f->computer,
					      .serial = f->serial };

			if (facts_copy(&copy, &lean) < 0)
				return -1;
		} else if (facts_copy(&copy, f) < 0) {
			return -1;
		}
		facts_free(&r->mach[m].f);
		r->mach[m].f = copy;
		r->mach[m].order = order;
	}
	return 0;
}

static int add_keys(struct logreport *r, const struct auditlog_row *row, const char *machine,
		    const char *time)
{
	for (size_t i = 0; i < row->nkeys; i++) {
		const struct auditlog_row_key *k = &row->keys[i];
		char *seen;
		int added;

		if (!k->key_id)
			continue;
		char kb[8 + SHA256_HEX_LEN];

		if (asprintf(&seen, "%s\x1f%s", machine ? machine : "?",
			     short_key(k->key_id, 200, kb)) < 0)
			return err_set("cannot count keys: %s", err_cause(ENOMEM));
		added = 0;
		if (dict_add(&r->keyseen, seen, &added) < 0) {
			free(seen);
			return err_set("cannot count keys: %s", err_cause(ENOMEM));
		}
		free(seen);
		if (!added)
			continue;
		if (room((void **)&r->keys, &r->keys_alloc, r->nkeys, sizeof(*r->keys)) < 0)
			return err_set("cannot count keys: %s", err_cause(ENOMEM));
		r->keys[r->nkeys] = (struct keyuse){
			.key_id = dup_cut(k->key_id, 200), .device = dup_cut(k->device, 200),
			.from = dup_cut(k->source, 300), .time = dup_cut(time, 64),
			.mkey = machine ? strdup(machine) : NULL, .machine = SIZE_MAX,
		};
		r->nkeys++;
	}
	return 0;
}

static void rule_count(struct logreport *r, const struct auditlog_row *row)
{
	for (size_t i = 0; i < row->nfound; i++) {
		const struct auditlog_row_finding *x = &row->found[i];
		long at = name_at(&r->rules, x->rule, "(no rule)");
		struct ruletally *t;

		if (at < 0 || room((void **)&r->rule_t, &r->rule_alloc, (size_t)at,
				   sizeof(*r->rule_t)) < 0) {
			r->oom = 1;
			return;
		}
		t = &r->rule_t[at];
		t->findings++;
		t->faulty += x->faulty;
		t->unknown += x->unknown;
		t->quarantined += x->quarantined;
	}
}

int logreport_record(struct logreport *r, struct json_object *rec, const char *source)
{
	struct auditlog_row row;
	int rc;

	auditlog_row(rec, &row);
	rc = logreport_row(r, &row, source);
	auditlog_row_free(&row);
	return rc;
}

int logreport_row(struct logreport *r, const struct auditlog_row *row, const char *source)
{
	struct facts f;
	struct source *s;
	char key[4096];
	const char *uuid = row->product_uuid, *serial = row->product_serial;
	const char *names = row->computer ? row->computer : "";
	char rb[8 + SHA256_HEX_LEN];
	int begun = row->stage && !strcmp(row->stage, "begun"), rc = 0;
	size_t order = ++r->order;

	source = source ? source : "-";
	if (!(s = find_source(r, source)) && !(s = add_source(r, source)))
		return err_set("cannot count a record: %s", err_cause(ENOMEM));
	s->records++;
	s->begun += begun;
	if (row->is_signed) {
		s->signed_records++;
		if (row->sig_key && s->sig_keys.n < 16 && strlen(row->sig_key) <= 128 &&
		    dict_add(&s->sig_keys, row->sig_key, NULL) < 0)
			r->oom = 1;
	}
	r->records++;
	/* the row says a restore recorded as "fixed" (older logs) was "restored" */
	f = (struct facts){
		.outcome = begun ? RO_INTERRUPTED : outcome_of(row->outcome),
		.t = parse_time(row->time),
		.duration_ms = row->duration_ms,
		/* a hostile uptime (negative, past 30 years) says nothing */
		.uptime_s = row->uptime_s > 0 && row->uptime_s < 946080000L ? row->uptime_s : -1,
		.time = (char *)row->time, .site = (char *)row->site,
		.operator_name = (char *)row->operator_name,
		.computer = *names ? (char *)names : NULL,
		.serial = (char *)(serial ? serial : uuid),
		.reason = (char *)row->reason, .source = (char *)source,
	};
	f.next = classify(row, f.outcome);
	f.machine = (char *)machine_key(uuid, serial, names, order, key, sizeof(key));
	if (begun && row->run) {
		/* held until its run's record comes; alone at the end, interrupted */
		long p = dict_add(&r->runs, short_key(row->run, 64, rb), NULL);

		if (p < 0 || room((void **)&r->pend, &r->pend_alloc, (size_t)p, sizeof(*r->pend)) < 0)
			rc = err_set("cannot count a record: %s", err_cause(ENOMEM));
		else if (!r->pend[p].done && !r->pend[p].order)
			rc = facts_copy(&r->pend[p].f, &f);
		if (rc == 0 && p >= 0 && !r->pend[p].done)
			r->pend[p].order = order;
		/* a key used before the cut must be rotated all the same */
		return rc == 0 ? add_keys(r, row, f.machine, f.time) : rc;
	}
	if (row->run) {
		/* its begun record, before or after it (a merge orders by time), is done */
		long p = dict_add(&r->runs, short_key(row->run, 64, rb), NULL);

		if (p < 0 || room((void **)&r->pend, &r->pend_alloc, (size_t)p, sizeof(*r->pend)) < 0)
			return err_set("cannot count a record: %s", err_cause(ENOMEM));
		if (!r->pend[p].done) {
			r->pend[p].done = 1;
			facts_free(&r->pend[p].f);
		}
	}
	rc = apply(r, &f, order);
	if (rc == 0)
		rc = add_keys(r, row, f.machine, f.time);
	if (rc == 0)
		rule_count(r, row);
	return rc;
}

void logreport_free(struct logreport *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nsrc; i++) {
		free((char *)r->src[i].info.name);
		free((char *)r->src[i].info.why);
		free((char *)r->src[i].info.keys);
		dict_free(&r->src[i].sig_keys);
	}
	free(r->src);
	for (size_t i = 0; i < r->machines.n; i++)
		facts_free(&r->mach[i].f);
	for (size_t i = 0; i < r->runs.n; i++)
		facts_free(&r->pend[i].f);
	for (size_t i = 0; i < r->nkeys; i++) {
		free(r->keys[i].key_id);
		free(r->keys[i].device);
		free(r->keys[i].from);
		free(r->keys[i].time);
		free(r->keys[i].mkey);
	}
	dict_free(&r->sites);
	dict_free(&r->operators);
	dict_free(&r->rules);
	dict_free(&r->machines);
	dict_free(&r->runs);
	dict_free(&r->keyseen);
	free(r->site_t);
	free(r->op_t);
	free(r->rule_t);
	free(r->mach);
	free(r->keys);
	free(r->pend);
	free(r->hours.key);
	free(r->hours.n);
	free(r->dur);
	facts_free(&r->slowest);
	free(r);
}

/* ---- HTML text ---- */

/* Characters that change how text around them reads, or hide: shown as \uXXXX. */
static int invisible(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x061c || (c >= 0x200b && c <= 0x200f) ||
	       (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x2069) || c == 0xfeff ||
	       (c >= 0xfff9 && c <= 0xfffb);
}

void logreport_html_text(FILE *out, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;

	if (!s || !*s) {
		fputc('-', out);
		return;
	}
	while (*p) {
		uint32_t c;
		size_t n = text_utf8_char(p, &c);

		if (chars++ >= max) {
			fputs("\xe2\x80\xa6", out);	/* … */
			return;
		}
		if (!n) {
			fputs("\xef\xbf\xbd", out);	/* U+FFFD */
			p++;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02X", (unsigned)c);
		else if (invisible(c))
			fprintf(out, "\\u%04X", (unsigned)c);
		else if (c == '&')
			fputs("&amp;", out);
		else if (c == '<')
			fputs("&lt;", out);
		else if (c == '>')
			fputs("&gt;", out);
		else if (c == '"')
			fputs("&quot;", out);
		else if (c == '\'')
			fputs("&#39;", out);
		else
			fwrite(p, 1, n, out);
		p += n;
	}
}

/* Record text in a table cell, isolated from the text around it; cls one of ours. */
static void cellc(FILE *o, const char *cls, const char *s, size_t max)
{
	fprintf(o, "<td class=\"%s\"><bdi>", cls);
	logreport_html_text(o, s, max);
	fputs("</bdi></td>", o);
}

static void cell(FILE *o, const char *s, size_t max)
{
	fputs("<td><bdi>", o);
	logreport_html_text(o, s, max);
	fputs("</bdi></td>", o);
}

static void num(FILE *o, long n)
{
	fprintf(o, "<td class=\"n\">%ld</td>", n);
}

/* ---- the page ---- */

static const char *const outcome_colour[RO_N] = {
	"#2e7d32", "#6a1b9a", "#757575", "#0277bd", "#ef6c00", "#c62828", "#ad1457", "#455a64",
};

/* Sites in the chart: the busiest get a colour each, the rest share grey. */
#define CHART_SITES 8
static const char *const site_colour[CHART_SITES + 1] = {
	"#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#9e9d24", "#4e342e",
	"#9e9e9e",
};

static const char css[] =
	"*{box-sizing:border-box}"
	"body{font:14px/1.4 'DejaVu Sans',Arial,sans-serif;color:#212121;margin:0 auto;"
	"max-width:1100px;padding:16px}"
	"h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:24px 0 8px;"
	"border-bottom:2px solid #424242;break-after:avoid}"
	"h3{font-size:15px;margin:12px 0 6px;break-after:avoid}"
	"p{margin:4px 0}.muted{color:#616161}"
	"table{border-collapse:collapse;width:100%;margin:4px 0 8px}table.counts{width:auto;min-width:60%}"
	"thead{display:table-header-group}tr{break-inside:avoid}"
	"th,td{border:1px solid #bdbdbd;padding:3px 6px;text-align:left;vertical-align:top;"
	"unicode-bidi:isolate;overflow-wrap:anywhere}"
	"th{background:#eeeeee}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;"
	"white-space:nowrap}"
	"bdi{unicode-bidi:isolate}td.nw{white-space:nowrap}table.list{font-size:12px;table-layout:fixed}"
	"table.list td.nw{white-space:normal}table.list td{overflow-wrap:break-word}"
	".banner{padding:10px 14px;border-radius:4px;font-size:16px;font-weight:bold;"
	"color:#fff;margin:8px 0}"
	".good{background:#2e7d32}.bad{background:#c62828}.warn{background:#ef6c00}"
	".ok{color:#2e7d32;font-weight:bold}.ko{color:#c62828;font-weight:bold}"
	".server{color:#333;font-weight:normal}"
	".cards{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}"
	".card{flex:1 1 120px;border:1px solid #bdbdbd;border-left:8px solid #999;"
	"padding:6px 10px;break-inside:avoid}"
	".card .v{font-size:26px;font-weight:bold}.card .k{font-size:12px;color:#424242}"
	".sw{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}"
	"ul.legend{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:12px}"
	"svg{width:100%;height:auto;break-inside:avoid}"
	"section{margin-bottom:12px}.keep{break-inside:avoid}"
	"code{font-family:'DejaVu Sans Mono',monospace;font-size:12px}"
	"@page{size:A4;margin:12mm}"
	"@media print{body{max-width:none;padding:0;font-size:11px}.card{flex:1 1 60px}"
	"table.list{font-size:8.5px}table.list td,table.list th{padding:2px 3px}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	"section.page{break-before:page}h2{margin-top:8px}}";

static void write_head(FILE *o, struct logreport *r, long long made)
{
	char when[UTC_LEN];

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; img-src data:\">\n"
	      "<meta name=\"referrer\" content=\"no-referrer\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", o);
	fprintf(o, "<title>bootfix audit report, %zu machines</title>\n<style>%s</style>\n"
		"</head><body>\n", r->machines.n, css);
	long counted = 0;

	for (int k = 0; k < RO_N; k++)
		counted += r->out[k];
	fprintf(o, "<h1>bootfix audit report</h1>\n<p class=\"muted\">Made by bootfix %s on %s "
		"from <span id=\"n-logs\">%zu</span> log%s holding <span id=\"n-lines\">%ld</span> "
		"records: <span id=\"n-records\">%ld</span> counted (a begun record whose run's "
		"record follows is left out) about <span id=\"n-machines\">%zu</span> machine%s. "
		"Every figure comes from the records; a record's time is the clock of the machine "
		"it was made on.</p>\n", BOOTFIX_VERSION, utc_format((time_t)made, when), r->nsrc,
		r->nsrc == 1 ? "" : "s", r->records, counted, r->machines.n,
		r->machines.n == 1 ? "" : "s");
}

static void write_sources(FILE *o, struct logreport *r)
{
	size_t bad = 0, unchecked = 0;

	for (size_t i = 0; i < r->nsrc; i++) {
		bad += r->src[i].declared && !r->src[i].info.intact;
		unchecked += !r->src[i].declared;
	}
	fputs("<section id=\"logs\"><h2>1. The logs, and whether they verify</h2>\n", o);
	if (bad)
		fprintf(o, "<div class=\"banner bad\" id=\"verdict\">%zu of %zu logs do NOT verify: "
			"records were changed, removed or added after they were written. Their "
			"records are counted below all the same.</div>\n", bad, r->nsrc);
	else if (unchecked)
		fprintf(o, "<div class=\"banner warn\" id=\"verdict\">%zu of %zu logs were not "
			"checked</div>\n", unchecked, r->nsrc);
	else if (r->nsrc == 1)
		fputs("<div class=\"banner good\" id=\"verdict\">The log verifies: every record "
		      "is as it was written</div>\n", o);
	else
		fprintf(o, "<div class=\"banner good\" id=\"verdict\">All %zu logs verify: every "
			"record is as it was written</div>\n", r->nsrc);
	fputs("<table id=\"logs-table\"><thead><tr><th>log</th><th>verification</th>"
	      "<th class=\"n\">records</th><th>signatures</th><th>signing keys seen "
	      "(SHA-256 of the public key)</th></tr></thead><tbody>\n", o);
	for (size_t i = 0; i < r->nsrc; i++) {
		struct source *s = &r->src[i];

		fputs("<tr>", o);
		cellc(o, "nw", s->info.name, 200);
		if (!s->declared)
			fputs("<td class=\"ko\">not checked", o);
		else if (s->info.intact)
			fputs("<td class=\"ok\">intact", o);
		else {
			fputs("<td class=\"ko\">does not verify: <bdi>", o);
			logreport_html_text(o, s->info.why, 400);
			fputs("</bdi>", o);
		}
		if (s->declared && s->info.server) {
			/* as `log verify` says it: no one chain to check the file by */
			fprintf(o, "<div class=\"server\">a log server's file: %zu record%s each "
				"checked on its own, %zu in the chains of %zu stick%s",
				s->info.records, s->info.records == 1 ? "" : "s", s->info.chained,
				s->info.chains, s->info.chains == 1 ? "" : "s");
			if (s->info.alone)
				fprintf(o, "; %zu not chained", s->info.alone);
			if (s->info.other)
				fprintf(o, "; %zu other line%s skipped", s->info.other,
					s->info.other == 1 ? "" : "s");
			fputs("</div>", o);
		}
		fputs("</td>", o);
		num(o, s->records);
		if (s->declared && s->info.intact && s->info.sigs_checked) {
			fputs("<td class=\"ok\">all good, checked with <bdi>", o);
			logreport_html_text(o, s->info.keys, 300);
			fputs("</bdi></td>", o);
		} else if (s->signed_records == 0) {
			fputs("<td class=\"ko\">none: anyone could have written these records</td>", o);
		} else {
			fprintf(o, "<td>%ld of %ld records signed; not checked (give --pubkey)</td>",
				s->signed_records, s->records);
		}
		fputs("<td><code>", o);
		for (size_t k = 0; k < s->sig_keys.n; k++) {
			if (k)
				fputs("<br>", o);
			logreport_html_text(o, s->sig_keys.names[k], 64);
		}
		if (!s->sig_keys.n)
			fputs("-", o);
		fputs("</code></td></tr>\n", o);
	}
	fputs("</tbody></table></section>\n", o);
}

struct rank {
	long total;
	size_t i;
};

static int rank_cmp(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Indexes 0..n sorted by total[] biggest first, ties in first-seen order; NULL if no memory. */
static size_t *ranked(const long *total, size_t n)
{
	struct rank *rk = malloc((n ? n : 1) * sizeof(*rk));
	size_t *ix = malloc((n ? n : 1) * sizeof(*ix));

	if (!rk || !ix) {
		free(rk);
		free(ix);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		rk[i] = (struct rank){ total[i], i };
	qsort(rk, n, sizeof(*rk), rank_cmp);
	for (size_t i = 0; i < n; i++)
		ix[i] = rk[i].i;
	free(rk);
	return ix;
}

/* Whether any name has a record of an outcome bootfix does not write. */
static int other_any(const struct tally *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].out[RO_OTHER])
			return 1;
	return 0;
}

/* A table of names by outcome counts (sites, operators), the busiest first. */
static void write_tally(FILE *o, const char *id, const char *what, struct dict *d,
			struct tally *t)
{
	long *total = calloc(d->n ? d->n : 1, sizeof(*total));
	size_t *ix;
	int other;

	for (size_t i = 0; total && i < d->n; i++)
		for (int k = 0; k < RO_N; k++)
			total[i] += t[i].out[k];
	ix = total ? ranked(total, d->n) : NULL;
	other = other_any(t, d->n);
	fprintf(o, "<h3>Records by %s</h3>\n<table class=\"counts\" id=\"%s\"><thead><tr><th>%s</th>", what, id,
		what);
	for (int k = 0; k < RO_N; k++)
		if (k != RO_OTHER || other)
			fprintf(o, "<th class=\"n\">%s</th>", rep_outcome_name[k]);
	fputs("<th class=\"n\">records</th></tr></thead><tbody>\n", o);
	for (size_t j = 0; ix && j < d->n && j < LOGREPORT_ROWS; j++) {
		size_t i = ix[j];

		fputs("<tr>", o);
		cell(o, d->names[i], 120);
		for (int k = 0; k < RO_N; k++)
			if (k != RO_OTHER || other)
				num(o, t[i].out[k]);
		num(o, total[i]);
		fputs("</tr>\n", o);
	}
	fputs("</tbody></table>\n", o);
	if (d->n > LOGREPORT_ROWS)
		fprintf(o, "<p class=\"muted\">and %zu more %ss, with fewer records, not listed "
			"(bootfix log summary lists them all)</p>\n", d->n - LOGREPORT_ROWS, what);
	free(ix);
	free(total);
}

/* Begun records still alone: their runs were cut short. */
static int finish(struct logreport *r)
{
	for (size_t p = 0; p < r->runs.n; p++) {
		struct pending *pd = &r->pend[p];

		if (pd->done || !pd->order)
			continue;
		pd->done = 1;
		if (apply(r, &pd->f, pd->order) < 0)
			return -1;
		facts_free(&pd->f);
	}
	return 0;
}

static void write_totals(FILE *o, struct logreport *r)
{
	long m[RO_N] = { 0 };

	for (size_t i = 0; i < r->machines.n; i++)
		m[r->mach[i].f.outcome]++;
	fputs("<section id=\"totals\"><h2>2. Totals</h2>\n<h3>Machines, by the outcome of their "
	      "latest record</h3>\n<div class=\"cards\">", o);
	for (int k = 0; k < RO_N; k++) {
		if (k == RO_OTHER && !m[k])
			continue;
		fprintf(o, "<div class=\"card\" style=\"border-left-color:%s\"><div class=\"v\" "
			"id=\"machines-%s\">%ld</div><div class=\"k\">%s</div></div>",
			outcome_colour[k], rep_outcome_name[k], m[k], rep_outcome_name[k]);
	}
	fputs("</div>\n<h3>Records, by outcome</h3>\n<table class=\"counts\" id=\"by-outcome\"><thead><tr>", o);
	for (int k = 0; k < RO_N; k++)
		if (k != RO_OTHER || r->out[k])
			fprintf(o, "<th class=\"n\">%s</th>", rep_outcome_name[k]);
	fputs("<th class=\"n\">records</th></tr></thead><tbody><tr>", o);
	{
		long all = 0;

		for (int k = 0; k < RO_N; k++) {
			all += r->out[k];
			if (k != RO_OTHER || r->out[k])
				num(o, r->out[k]);
		}
		num(o, all);
	}
	fputs("</tr></tbody></table>\n<p class=\"muted\">A machine fixed after a refusal has "
	      "two records: both are counted here, and the machine once above, by its latest "
	      "record. A begun record whose run's record follows is not counted; one "
	      "alone is interrupted.</p>\n", o);
	write_tally(o, "by-site", "site", &r->sites, r->site_t);
	write_tally(o, "by-operator", "operator", &r->operators, r->op_t);
	fputs("<h3>Files found, by the rule that judged them</h3>\n<table class=\"counts\" id=\"by-rule\"><thead>"
	      "<tr><th>rule</th><th class=\"n\">files</th><th class=\"n\">faulty</th>"
	      "<th class=\"n\">quarantined</th><th class=\"n\">unknown</th></tr></thead>"
	      "<tbody>\n", o);
	{
		long *total = calloc(r->rules.n ? r->rules.n : 1, sizeof(*total));
		size_t *ix;

		for (size_t i = 0; total && i < r->rules.n; i++)
			total[i] = r->rule_t[i].findings;
		ix = total ? ranked(total, r->rules.n) : NULL;
		for (size_t j = 0; ix && j < r->rules.n && j < LOGREPORT_ROWS; j++) {
			struct ruletally *t = &r->rule_t[ix[j]];

			fputs("<tr>", o);
			cell(o, r->rules.names[ix[j]], 120);
			num(o, t->findings);
			num(o, t->faulty);
			num(o, t->quarantined);
			num(o, t->unknown);
			fputs("</tr>\n", o);
		}
		if (!r->rules.n)
			fputs("<tr><td colspan=\"5\">no file was found by any rule</td></tr>\n", o);
		free(ix);
		free(total);
	}
	fputs("</tbody></table></section>\n", o);
}

/* A step of 1, 2 or 5 times a power of ten giving about five lines up to max. */
static long nice_step(long max)
{
	long step = 1;

	while (max / step > 5) {
		if (max / (step * 2) <= 5)
			return step * 2;
		if (max / (step * 5) <= 5)
			return step * 5;
		step *= 10;
	}
	return step;
}

#define CHART_BINS 240

struct hourcount {
	long long hour;
	int slot;
	long n;
};

static int hc_cmp(const void *a, const void *b)
{
	const struct hourcount *x = a, *y = b;

	return x->hour < y->hour ? -1 : x->hour > y->hour;
}

static void bin_label(char *buf, size_t len, long long hour, long long w)
{
	char t[UTC_LEN];

	utc_format((time_t)(hour * 3600), t);
	if (w >= 24)
		snprintf(buf, len, "%.10s", t);
	else
		snprintf(buf, len, "%.10s %.2s:00", t, t + 11);
}

static void write_chart(FILE *o, struct logreport *r)
{
	size_t n = 0, nsites = r->sites.n;
	struct hourcount *hc = malloc((r->hours.used ? r->hours.used : 1) * sizeof(*hc));
	int *slot = malloc((nsites ? nsites : 1) * sizeof(*slot));
	long *fixed = calloc(nsites ? nsites : 1, sizeof(*fixed));
	long slot_total[CHART_SITES + 1] = { 0 };
	size_t *ix = NULL, lo, hi, nbins;
	long total = 0, dropped = 0, *bins = NULL, ymax = 0, step;
	long long w, first;
	int nslots = 0;

	fputs("<section id=\"hours\" class=\"keep\"><h2>3. Machines fixed per hour, per site"
	      "</h2>\n", o);
	if (!hc || !slot || !fixed)
		goto out;
	for (size_t i = 0; i < nsites; i++)
		fixed[i] = r->site_t[i].out[RO_FIXED];
	if (!(ix = ranked(fixed, nsites)))
		goto out;
	for (size_t j = 0; j < nsites; j++)
		slot[ix[j]] = j < CHART_SITES && fixed[ix[j]] ? (int)j : CHART_SITES;
	for (size_t i = 0; i < r->hours.cap; i++) {
		uint64_t k;

		if (!r->hours.key[i])
			continue;
		k = r->hours.key[i] - 1;
		hc[n].hour = (long long)(k >> SITE_BITS) - (1LL << 40);
		hc[n].slot = (k & SITE_MAX) < nsites ? slot[k & SITE_MAX] : CHART_SITES;
		hc[n].n = r->hours.n[i];
		total += hc[n].n;
		n++;
	}
	if (!n) {
		fputs("<p id=\"chart-none\">No record says a machine was fixed at a known time.</p>\n", o);
		goto out;
	}
	qsort(hc, n, sizeof(*hc), hc_cmp);
	/* a machine whose clock is years off must not squash the incident into one bar */
	lo = 0;
	hi = n - 1;
	while (hc[hi].hour - hc[lo].hour >= CHART_BINS) {
		/* whole hours, all sites together: the hour with fewer fixes goes */
		size_t l2 = lo, h2 = hi;
		long nl = 0, nh = 0, drop;
		int low;

		while (hc[l2].hour == hc[lo].hour)
			nl += hc[l2++].n;
		while (hc[h2].hour == hc[hi].hour)
			nh += hc[h2--].n;
		low = nl <= nh;
		drop = low ? nl : nh;
		if ((dropped + drop) * 100 > total)
			break;
		dropped += drop;
		if (low)
			lo = l2;
		else
			hi = h2;
	}
	w = 1;
	if (hc[hi].hour - hc[lo].hour >= CHART_BINS) {
		long long days = (hc[hi].hour / 24 - hc[lo].hour / 24) + 1;

		w = 24 * ((days + CHART_BINS - 1) / CHART_BINS);
	}
	first = hc[lo].hour - ((hc[lo].hour % w) + w) % w;
	nbins = (size_t)((hc[hi].hour - first) / w + 1);
	if (!(bins = calloc(nbins * (CHART_SITES + 1), sizeof(*bins))))
		goto out;
	for (size_t i = lo; i <= hi; i++) {
		size_t b = (size_t)((hc[i].hour - first) / w);

		bins[b * (CHART_SITES + 1) + hc[i].slot] += hc[i].n;
		slot_total[hc[i].slot] += hc[i].n;
	}
	for (size_t b = 0; b < nbins; b++) {
		long sum = 0;

		for (int s = 0; s <= CHART_SITES; s++)
			sum += bins[b * (CHART_SITES + 1) + s];
		ymax = sum > ymax ? sum : ymax;
	}
	step = nice_step(ymax);
	ymax = (ymax + step - 1) / step * step;
	for (int s = 0; s <= CHART_SITES; s++)
		nslots += slot_total[s] > 0;
	fputs("<ul class=\"legend\" id=\"chart-legend\">", o);
	for (size_t j = 0; j < nsites && j < CHART_SITES; j++) {
		if (!fixed[ix[j]])
			break;
		fprintf(o, "<li data-slot=\"%zu\"><span class=\"sw\" style=\"background:%s\"></span>"
			"<bdi>", j, site_colour[j]);
		logreport_html_text(o, r->sites.names[ix[j]], 60);
		fprintf(o, "</bdi> <span class=\"muted\">(%ld)</span></li>", slot_total[j]);
	}
	if (slot_total[CHART_SITES])
		fprintf(o, "<li data-slot=\"%d\"><span class=\"sw\" style=\"background:%s\"></span>"
			"other sites <span class=\"muted\">(%ld)</span></li>", CHART_SITES,
			site_colour[CHART_SITES], slot_total[CHART_SITES]);
	fputs("</ul>\n", o);
	{
		const double x0 = 56, x1 = 990, y0 = 16, y1 = 250;
		double bw = (x1 - x0) / (double)nbins, bar = bw * 0.8 > 48 ? 48 : bw * 0.8;
		size_t every = (nbins + 9) / 10;

		fprintf(o, "<svg id=\"chart\" viewBox=\"0 0 1000 300\" role=\"img\" "
			"font-size=\"11\" "
			"font-family=\"DejaVu Sans,Arial,sans-serif\">\n"
			"<desc>Machines fixed per %s, stacked by site</desc>\n",
			w == 1 ? "hour" : w == 24 ? "day" : "period of days");
		for (long y = 0; y <= ymax; y += step) {
			double yy = y1 - (y1 - y0) * (double)y / (double)(ymax ? ymax : 1);

			fprintf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
				"stroke=\"#e0e0e0\"/><text x=\"%.1f\" y=\"%.1f\" "
				"text-anchor=\"end\">%ld</text>\n", x0, x1, yy, yy, x0 - 4, yy + 4, y);
		}
		for (size_t b = 0; b < nbins; b++) {
			long below = 0;
			char label[40];

			bin_label(label, sizeof(label), first + (long long)b * w, w);
			for (int s = 0; s <= CHART_SITES; s++) {
				long v = bins[b * (CHART_SITES + 1) + s];
				double h = (y1 - y0) * (double)v / (double)ymax,
				       y = y1 - (y1 - y0) * (double)below / (double)ymax - h;

				if (!v)
					continue;
				fprintf(o, "<rect class=\"bar\" data-bin=\"%s\" data-slot=\"%d\" "
					"data-n=\"%ld\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
					"height=\"%.2f\" fill=\"%s\"><title>%s: %ld fixed</title>"
					"</rect>\n", label, s, v, x0 + bw * ((double)b + 0.5) - bar / 2, y,
					bar, h, site_colour[s], label, v);
				below += v;
			}
			if (b % every == 0)
				fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>"
					"\n", x0 + bw * ((double)b + 0.5), y1 + 16, label + 5);
		}
		fprintf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#424242\"/>"
			"\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#616161\">each "
			"bar: one %s, UTC</text>\n</svg>\n", x0, x1, y1, y1, (x0 + x1) / 2, y1 + 40,
			w == 1 ? "hour" : w == 24 ? "day" : "period of days");
	}
	fprintf(o, "<p class=\"muted\">Records with outcome fixed and a time, <span "
		"id=\"chart-total\">%ld</span> drawn", total - dropped);
	if (dropped)
		fprintf(o, "; <span id=\"chart-outside\">%ld</span> dated far from the others "
			"(a machine's clock is wrong?) are left out of the chart", dropped);
	fputs(".</p>\n", o);
out:
	fputs("</section>\n", o);
	free(hc);
	free(slot);
	free(fixed);
	free(ix);
	free(bins);
}

static struct logreport *sort_r;	/* for qsort: the page is written by one thread */

static int notfixed_cmp(const void *a, const void *b)
{
	const struct facts *x = &sort_r->mach[*(const size_t *)a].f;
	const struct facts *y = &sort_r->mach[*(const size_t *)b].f;
	int c;

	if (x->next != y->next)
		return x->next < y->next ? -1 : 1;
	if ((c = strcmp(x->site ? x->site : "", y->site ? y->site : "")))
		return c;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return strcmp(x->machine ? x->machine : "", y->machine ? y->machine : "");
}

static void write_notfixed(FILE *o, struct logreport *r)
{
	size_t *ix = malloc((r->machines.n ? r->machines.n : 1) * sizeof(*ix)), n = 0;
	long per[NX_N] = { 0 }, shown[NX_N] = { 0 };

	fputs("<section id=\"notfixed-section\" class=\"page\"><h2>4. Machines not fixed, the "
	      "next action first</h2>\n", o);
	if (!ix) {
		fputs("<p>out of memory</p></section>\n", o);
		return;
	}
	for (size_t i = 0; i < r->machines.n; i++)
		if (r->mach[i].f.next != NX_OK) {
			ix[n++] = i;
			per[r->mach[i].f.next]++;
		}
	sort_r = r;
	qsort(ix, n, sizeof(*ix), notfixed_cmp);
	if (!n) {
		fputs("<div class=\"banner good\" id=\"notfixed-none\">Every machine's latest record "
		      "is fixed, or clean with nothing to fix</div>\n", o);
		goto out;
	}
	fprintf(o, "<p><span id=\"notfixed-count\">%zu</span> machine%s whose latest record is "
		"not fixed (a machine counts by its latest record).</p>\n", n, n == 1 ? "" : "s");
	fputs("<table id=\"notfixed-summary\"><thead><tr><th>why</th><th>what to do</th>"
	      "<th class=\"n\">machines</th></tr></thead><tbody>\n", o);
	for (int k = 1; k < NX_N; k++)
		if (per[k])
			fprintf(o, "<tr data-next=\"%d\"><td>%s</td><td>%s</td><td class=\"n\">%ld"
				"</td></tr>\n", k, next_name[k], next_action[k], per[k]);
	fputs("</tbody></table>\n<table class=\"list\" id=\"notfixed\"><colgroup><col style=\"width:11%\">"
	      "<col style=\"width:13%\"><col style=\"width:10%\"><col style=\"width:9%\">"
	      "<col style=\"width:15%\"><col style=\"width:8%\"><col style=\"width:26%\">"
	      "<col style=\"width:8%\"></colgroup><thead><tr><th>why</th><th>computer</th>"
	      "<th>serial / UUID</th><th>site</th><th>time</th><th>outcome</th><th>reason</th>"
	      "<th>log</th></tr></thead><tbody>\n", o);
	for (size_t j = 0; j < n && j < LOGREPORT_ROWS; j++) {
		const struct facts *f = &r->mach[ix[j]].f;

		shown[f->next]++;
		fprintf(o, "<tr data-next=\"%d\"><td>%s</td>", f->next, next_name[f->next]);
		cellc(o, "nw", f->computer, 60);
		cellc(o, "nw", f->serial, 40);
		cellc(o, "nw", f->site, 40);
		cellc(o, "nw", f->time, 24);
		fprintf(o, "<td class=\"nw\">%s</td>", rep_outcome_name[f->outcome]);
		cellc(o, "r", f->reason, 300);
		cellc(o, "nw", f->source, 60);
		fputs("</tr>\n", o);
	}
	fputs("</tbody></table>\n", o);
	if (n > LOGREPORT_ROWS) {
		fprintf(o, "<p id=\"notfixed-more\">%zu more machines not fixed are not listed "
			"here (bootfix log list shows every record):", n - LOGREPORT_ROWS);
		for (int k = 1; k < NX_N; k++)
			if (per[k] > shown[k])
				fprintf(o, " %s %ld;", next_name[k], per[k] - shown[k]);
		fputs("</p>\n", o);
	}
out:
	fputs("</section>\n", o);
	free(ix);
}

static int key_cmp(const void *a, const void *b)
{
	const struct keyuse *x = a, *y = b;
	const char *cx = x->machine != SIZE_MAX && sort_r->mach[x->machine].f.computer ?
			 sort_r->mach[x->machine].f.computer : "";
	const char *cy = y->machine != SIZE_MAX && sort_r->mach[y->machine].f.computer ?
			 sort_r->mach[y->machine].f.computer : "";
	int c = strcmp(cx, cy);

	return c ? c : strcmp(x->key_id ? x->key_id : "", y->key_id ? y->key_id : "");
}

static void write_keys(FILE *o, struct logreport *r)
{
	struct dict ids = { 0 };

	fputs("<section id=\"keys-section\"><h2>5. BitLocker key IDs used: rotate these keys"
	      "</h2>\n", o);
	for (size_t i = 0; i < r->nkeys; i++)
		if (r->keys[i].key_id && dict_add(&ids, r->keys[i].key_id, NULL) < 0)
			break;
	/* a key used in a begun record is known before its machine is counted */
	for (size_t i = 0; i < r->nkeys; i++) {
		long m = r->keys[i].mkey ? dict_find(&r->machines, r->keys[i].mkey) : -1;

		r->keys[i].machine = m >= 0 ? (size_t)m : SIZE_MAX;
	}
	if (!r->nkeys) {
		fputs("<p id=\"keys-none\">No record says a BitLocker key was used.</p></section>\n", o);
		return;
	}
	fprintf(o, "<p><span id=\"keys-count\">%zu</span> key IDs used on <span "
		"id=\"keys-uses\">%zu</span> machine-key pairs. The records hold key IDs only, "
		"never a key: look each up in the key store and rotate the key.</p>\n", ids.n,
		r->nkeys);
	sort_r = r;
	qsort(r->keys, r->nkeys, sizeof(*r->keys), key_cmp);
	fputs("<table class=\"list\" id=\"keys\"><colgroup><col style=\"width:27%\">"
	      "<col style=\"width:13%\"><col style=\"width:10%\"><col style=\"width:9%\">"
	      "<col style=\"width:10%\"><col style=\"width:16%\"><col style=\"width:15%\">"
	      "</colgroup><thead><tr><th>key ID</th><th>computer</th><th>serial / UUID</th>"
	      "<th>site</th><th>device</th><th>key came from</th><th>time</th></tr></thead>"
	      "<tbody>\n", o);
	for (size_t i = 0; i < r->nkeys && i < LOGREPORT_ROWS; i++) {
		const struct keyuse *k = &r->keys[i];
		const struct facts *f = k->machine != SIZE_MAX ? &r->mach[k->machine].f : NULL;

		fputs("<tr><td><code><bdi>", o);
		logreport_html_text(o, k->key_id, 80);
		fputs("</bdi></code></td>", o);
		cellc(o, "nw", f ? f->computer : NULL, 60);
		cellc(o, "nw", f ? f->serial : NULL, 40);
		cellc(o, "nw", f ? f->site : NULL, 40);
		cellc(o, "nw", k->device, 40);
		cellc(o, "r", k->from, 80);
		cellc(o, "nw", k->time, 24);
		fputs("</tr>\n", o);
	}
	fputs("</tbody></table>\n", o);
	if (r->nkeys > LOGREPORT_ROWS)
		fprintf(o, "<p id=\"keys-more\">%zu more uses not listed here: bootfix log "
			"keys-used lists them all.</p>\n", r->nkeys - LOGREPORT_ROWS);
	fputs("</section>\n", o);
	dict_free(&ids);
}

static int long_cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

static void duration(char *buf, size_t len, long ms)
{
	if (ms < 60000)
		snprintf(buf, len, "%.1f s", (double)ms / 1000);
	else if (ms < 3600000)
		snprintf(buf, len, "%ld min %02ld s", ms / 60000, ms / 1000 % 60);
	else
		snprintf(buf, len, "%ld h %02ld min", ms / 3600000, ms / 60000 % 60);
}

static void write_times(FILE *o, struct logreport *r)
{
	static const long edge[] = { 30000, 60000, 120000, 300000, 600000, 1800000, LONG_MAX };
	static const char *const edge_name[] = { "under 30 s", "30 s - 1 min", "1 - 2 min",
						 "2 - 5 min", "5 - 10 min", "10 - 30 min",
						 "30 min or more" };
	long count[7] = { 0 }, most = 1;
	char med[32], p90[32], slow[32];

	fputs("<section id=\"time-section\" class=\"keep\"><h2>6. Time per machine</h2>\n", o);
	if (!r->ndur) {
		fputs("<p id=\"time-none\">No fixed record gives its run time.</p></section>\n", o);
		return;
	}
	qsort(r->dur, r->ndur, sizeof(*r->dur), long_cmp);
	for (size_t i = 0; i < r->ndur; i++)
		for (int b = 0; b < 7; b++)
			if (r->dur[i] < edge[b]) {
				count[b]++;
				break;
			}
	for (int b = 0; b < 7; b++)
		most = count[b] > most ? count[b] : most;
	duration(med, sizeof(med), r->dur[(r->ndur - 1) / 2]);
	duration(p90, sizeof(p90), r->dur[(r->ndur - 1) * 9 / 10]);
	duration(slow, sizeof(slow), r->dur[r->ndur - 1]);
	if (r->nboot == r->ndur)
		fprintf(o, "<p>From the machine's boot to its record (the uptime it recorded: "
			"booted from the stick, boot to fixed), over <span id=\"time-n\">%zu</span> "
			"fixed records.</p>\n", r->ndur);
	else if (r->nboot)
		fprintf(o, "<p>Over <span id=\"time-n\">%zu</span> fixed records: <span "
			"id=\"time-boot\">%zu</span> from the machine's boot to its record (the "
			"uptime it recorded: booted from the stick, boot to fixed), <span "
			"id=\"time-run\">%zu</span> from bootfix starting to its record only (their "
			"records give no uptime: the run's duration_ms).</p>\n", r->ndur, r->nboot,
			r->ndur - r->nboot);
	else
		fprintf(o, "<p>From bootfix starting on a machine to its record (the run's "
			"duration_ms; these records give no uptime, so the time to boot is not "
			"known), over <span id=\"time-n\">%zu</span> fixed records.</p>\n", r->ndur);
	fprintf(o, "<div class=\"cards\"><div class=\"card\"><div class=\"v\" "
		"data-ms=\"%ld\" id=\"time-median\">%s</div><div class=\"k\">median</div></div>"
		"<div class=\"card\"><div class=\"v\" data-ms=\"%ld\" id=\"time-p90\">%s</div>"
		"<div class=\"k\">9 in 10 machines within</div></div><div class=\"card\"><div "
		"class=\"v\" data-ms=\"%ld\" id=\"time-slowest\">%s</div><div class=\"k\">slowest: "
		"<bdi>", r->dur[(r->ndur - 1) / 2], med, r->dur[(r->ndur - 1) * 9 / 10],
		p90, r->dur[r->ndur - 1], slow);
	logreport_html_text(o, r->slowest.computer ? r->slowest.computer : r->slowest.serial, 40);
	fputs("</bdi>, <bdi>", o);
	logreport_html_text(o, r->slowest.time, 24);
	fprintf(o, "</bdi>, %s</div></div></div>\n", r->slowest.uptime_s > 0 ? "from boot" :
		"the run alone");
	fputs("<svg id=\"time-chart\" viewBox=\"0 0 1000 170\" "
	      "role=\"img\" font-size=\"12\" "
	      "font-family=\"DejaVu Sans,Arial,sans-serif\"><desc>Fixed machines by run time"
	      "</desc>\n", o);
	for (int b = 0; b < 7; b++) {
		double wd = 700.0 * (double)count[b] / (double)most, y = 4 + 23.0 * b;

		fprintf(o, "<text x=\"150\" y=\"%.0f\" text-anchor=\"end\">%s</text><rect "
			"class=\"tbar\" data-n=\"%ld\" x=\"160\" y=\"%.0f\" width=\"%.1f\" "
			"height=\"17\" fill=\"#1565c0\"/><text x=\"%.1f\" y=\"%.0f\">%ld</text>\n",
			y + 13, edge_name[b], count[b], y, wd, 166 + wd, y + 13, count[b]);
	}
	fputs("</svg></section>\n", o);
}

int logreport_write(struct logreport *r, FILE *o, long long made)
{
	if (finish(r) < 0)
		return -1;
	write_head(o, r, made ? made : (long long)time(NULL));
	if (r->oom)
		fputs("<div class=\"banner bad\">Out of memory while counting: some figures are "
		      "short</div>\n", o);
	write_sources(o, r);
	write_totals(o, r);
	write_chart(o, r);
	write_notfixed(o, r);
	write_keys(o, r);
	write_times(o, r);
	fputs("<footer class=\"muted\"><p>Where the figures come from: docs/log.md, \"The "
	      "report\". Records with no time that parses: ", o);
	fprintf(o, "<span id=\"n-untimed\">%ld</span>.</p></footer>\n</body></html>\n",
		r->junk_time);
	if (fflush(o) != 0 || ferror(o))
		return err_set("cannot write the report: %s", err_cause(errno ? errno : EIO));
	return 0;
}

int logreport_write_path(struct logreport *r, const char *path, int replace)
{
	char *buf = NULL, *base = NULL, tmp[64];
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int dfd = -1, fd = -1, rc = -1, made = 0;

	if (!mem)
		return err_set("cannot write %s: %s", path, err_cause(errno));
	if (logreport_write(r, mem, 0) < 0) {
		fclose(mem);
		free(buf);
		return err_wrap("cannot write %s", path);
	}
	fclose(mem);
	dfd = file_open_parent(path, &base);
	if (dfd < 0) {
		err_set("cannot write %s: %s", path, err_cause(errno));
		goto out;
	}
	snprintf(tmp, sizeof(tmp), ".bootfix-report.%ld.tmp", (long)getpid());
	fd = file_open(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		err_set("cannot write %s: %s", path, err_cause(errno));
		goto out;
	}
	made = 1;
	if (file_writeall(fd, buf, len) < 0 || fsync(fd) < 0) {
		err_set("cannot write %s: %s", path, err_cause(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	/* a link never replaces: the page appears whole, or the file there stays */
	if ((replace ? renameat(dfd, tmp, dfd, base) : linkat(dfd, tmp, dfd, base, 0)) < 0) {
		err_set("cannot write %s: %s%s", path, err_cause(errno),
			errno == EEXIST ? " (--force replaces it)" : "");
		goto out;
	}
	unlinkat(dfd, tmp, 0);
	file_sync_dir(dfd);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && made)
		unlinkat(dfd, tmp, 0);
	if (dfd >= 0)
		close(dfd);
	free(base);
	free(buf);
	return rc;
}
