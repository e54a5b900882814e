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
	for (size_t i = 0; vols && i < json_object_array_length(vols); i++) {
		struct json_object *v = json_object_array_get_idx(vols, i);
		struct json_object *f = get_obj(v, "findings", json_type_array), *w;

		if (!json_object_is_type(v, json_type_object))
			continue;
		row->volumes++;
		if (json_object_object_get_ex(v, "windows", &w) && json_object_get_boolean(w)) {
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

			row->findings++;
			row->faulty += verdict && !strcmp(verdict, "faulty");
			row->quarantined += action && !strcmp(action, "quarantine") &&
					    json_object_object_get_ex(x, "done", &done) &&
					    json_object_get_boolean(done);
		}
	}
	for (size_t i = 0; keys && i < json_object_array_length(keys); i++)
		auditlog_row_join(&row->key_ids, get_str(json_object_array_get_idx(keys, i), "key_id"));
}

void auditlog_row_free(struct auditlog_row *row)
{
	free(row->arena);
	free(row->computer);
	free(row->windows);
	free(row->key_ids);
	memset(row, 0, sizeof(*row));
}
