/*
 * auditlog_row.c - the facts of one record as auditors' listings show
 * them (bootfix log list, export, summary): who, where, which machine and
 * Windows, what was found and quarantined, which BitLocker keys were used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditlog_internal.h"

void auditlog_row_join(char **acc, const char *s)
{
	char *joined;

	if (!s || !*s)
		return;
	/* the same name twice (two volumes of one install) is said once */
	for (const char *p = *acc; p && *p;) {
		size_t n = strcspn(p, ",");

		if (n == strlen(s) && !strncmp(p, s, n))
			return;
		p += n;
		p += strspn(p, ", ");
	}
	if (asprintf(&joined, "%s%s%s", *acc ? *acc : "", *acc ? ", " : "", s) < 0)
		return;
	free(*acc);
	*acc = joined;
}

void auditlog_row(struct json_object *rec, struct auditlog_row *row)
{
	struct json_object *m = get_obj(rec, "machine", json_type_object);
	struct json_object *vols = get_obj(rec, "volumes", json_type_array);
	struct json_object *keys = get_obj(rec, "bitlocker", json_type_array);

	memset(row, 0, sizeof(*row));
	row->time = get_str(rec, "time");
	row->action = get_str(rec, "action");
	row->mode = get_str(rec, "mode");
	row->operator_name = get_str(rec, "operator");
	row->site = get_str(rec, "site");
	row->stick = get_str(rec, "stick");
	row->outcome = get_str(rec, "outcome");
	/* records written before "restored" existed called a restore "fixed" */
	if (row->action && !strcmp(row->action, "restore") && row->outcome &&
	    !strcmp(row->outcome, "fixed"))
		row->outcome = "restored";
	row->reason = get_str(rec, "reason");
	row->sys_vendor = get_str(m, "sys_vendor");
	row->product_name = get_str(m, "product_name");
	row->product_serial = get_str(m, "product_serial");
	row->product_uuid = get_str(m, "product_uuid");
	if (get_long(rec, "duration_ms", &row->duration_ms) < 0)
		row->duration_ms = -1;
	if (get_long(m, "uptime_s", &row->uptime_s) < 0)
		row->uptime_s = -1;
	row->stage = get_str(rec, "stage");
	row->run = get_str(rec, "run");
	row->sig_key = get_str(rec, "sig_key");
	row->is_signed = get_str(rec, "sig") != NULL;
	for (size_t i = 0; vols && i < json_object_array_length(vols); i++) {
		struct json_object *v = json_object_array_get_idx(vols, i);
		struct json_object *f = get_obj(v, "findings", json_type_array), *w;

		if (!json_object_is_type(v, json_type_object))
			continue;
		row->volumes++;
		auditlog_row_volume(row, get_str(v, "outcome"), get_str(v, "problem"),
				    json_object_object_get_ex(v, "bitlocker_locked", &w) &&
				    json_object_get_boolean(w));
		if (json_object_object_get_ex(v, "windows", &w) && json_object_get_boolean(w)) {
			row->windows_volumes++;
			const char *pn = get_str(v, "product_name"), *b = get_str(v, "build"),
				   *dv = get_str(v, "display_version");
			char *s;

			auditlog_row_join(&row->computer, get_str(v, "computer_name"));
			if ((pn || b) && asprintf(&s, "%s%s%s%s%s%s", pn ? pn : "Windows",
						  b ? " " : "", b ? b : "", dv ? " (" : "",
						  dv ? dv : "", dv ? ")" : "") >= 0) {
				auditlog_row_join(&row->windows, s);
				free(s);
			}
		}
		for (size_t k = 0; f && k < json_object_array_length(f); k++) {
			struct json_object *x = json_object_array_get_idx(f, k), *done;
			const char *verdict = get_str(x, "verdict"), *action = get_str(x, "action");

			auditlog_row_finding(row, get_str(x, "rule"), verdict,
					     action && !strcmp(action, "quarantine") &&
					     json_object_object_get_ex(x, "done", &done) &&
					     json_object_get_boolean(done));
		}
	}
	for (size_t i = 0; keys && i < json_object_array_length(keys); i++) {
		struct json_object *k = json_object_array_get_idx(keys, i);

		auditlog_row_join(&row->key_ids, get_str(k, "key_id"));
		auditlog_row_key(row, get_str(k, "key_id"), get_str(k, "device"),
				 get_str(k, "source"));
	}
}

void auditlog_row_volume(struct auditlog_row *row, const char *outcome, const char *problem,
			 int locked)
{
	int stuck = outcome && (!strcmp(outcome, "refused") || !strcmp(outcome, "failed"));

	row->locked += locked;
	row->stuck_locked += locked && stuck;
	row->stuck_problem += stuck && problem && strcmp(problem, "none");
}

/* Grow *a (of *n items of size sz) by one zeroed item; NULL when out of memory. */
static void *grow(void **a, size_t *n, size_t sz)
{
	char *g;

	/* rows are read in parallel, a few findings each: powers of two */
	if ((*n & (*n - 1)) == 0) {
		g = realloc(*a, (*n ? 2 * *n : 1) * sz);
		if (!g)
			return NULL;
		*a = g;
	}
	g = (char *)*a + (*n)++ * sz;
	memset(g, 0, sz);
	return g;
}

void auditlog_row_finding(struct auditlog_row *row, const char *rule, const char *verdict,
			  int quarantined)
{
	struct auditlog_row_finding *f;
	int faulty = verdict && !strcmp(verdict, "faulty");
	int unknown = verdict && !strcmp(verdict, "unknown");

	row->findings++;
	row->faulty += faulty;
	row->unknown += unknown;
	row->quarantined += quarantined;
	if (!(f = grow((void **)&row->found, &row->nfound, sizeof(*f))))
		return;
	f->rule = rule;
	f->faulty = (unsigned char)faulty;
	f->unknown = (unsigned char)unknown;
	f->quarantined = (unsigned char)(quarantined != 0);
}

void auditlog_row_key(struct auditlog_row *row, const char *key_id, const char *device,
		      const char *source)
{
	struct auditlog_row_key *k = grow((void **)&row->keys, &row->nkeys, sizeof(*k));

	if (!k)
		return;
	k->key_id = key_id;
	k->device = device;
	k->source = source;
}

void auditlog_row_free(struct auditlog_row *row)
{
	free(row->arena);
	free(row->computer);
	free(row->windows);
	free(row->key_ids);
	free(row->found);
	free(row->keys);
	memset(row, 0, sizeof(*row));
}
