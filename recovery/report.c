/*
 * report.c - runs as JSON (see report.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "utc.h"
#include "version.h"

static void put_str(struct json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

struct json_object *report_finding(const struct finding *f)
{
	struct json_object *o = json_object_new_object();
	char when[UTC_LEN];

	put_str(o, "path", f->path);
	/* null, not absent, when no rule decided: readers see it was asked */
	json_object_object_add(o, "rule", f->rule ? json_object_new_string(f->rule) : NULL);
	put_str(o, "verdict", verdict_name(f->verdict));
	if (f->why)
		put_str(o, "why", f->why);
	json_object_object_add(o, "size", json_object_new_int64(f->d.size));
	if (f->d.sha256[0])
		put_str(o, "sha256", f->d.sha256);
	if (f->mtime.tv_sec)
		put_str(o, "mtime", utc_format(f->mtime.tv_sec, when));
	if (f->has_attrib) {
		char a[16];

		snprintf(a, sizeof(a), "0x%08x", f->attrib);
		put_str(o, "attributes", a);
	}
	if (f->action) {
		put_str(o, "action", f->action);
		put_str(o, "result", f->result ? f->result : "not acted on");
		json_object_object_add(o, "done", json_object_new_boolean(f->done));
	}
	put_str(o, "moved_to", f->moved_to);
	return o;
}

struct json_object *report_volume(const struct volume *v)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	put_str(o, "device", v->device);
	put_str(o, "disk", v->disk);
	put_str(o, "disk_model", v->disk_model);
	put_str(o, "disk_serial", v->disk_serial);
	put_str(o, "raid", v->raid);
	put_str(o, "fstype", v->fstype);
	put_str(o, "label", v->label);
	put_str(o, "uuid", v->uuid);
	if (v->size)
		json_object_object_add(o, "size", json_object_new_int64((int64_t)v->size));
	json_object_object_add(o, "windows", json_object_new_boolean(v->windows));
	json_object_object_add(o, "bitlocker_locked", json_object_new_boolean(v->locked));
	put_str(o, "member", v->member);
	if (v->ldm_volume) {
		struct json_object *d = json_object_new_object();

		put_str(d, "volume", v->ldm_volume);
		put_str(d, "kind", v->ldm_kind);
		if (v->ldm_offset)
			json_object_object_add(d, "offset", json_object_new_int64((int64_t)v->ldm_offset));
		json_object_object_add(o, "dynamic", d);
	}
	if (v->bitlocker) {
		struct json_object *b = json_object_new_object(), *ids = json_object_new_array();
		char *list = v->key_ids ? strdup(v->key_ids) : NULL, *save = NULL;

		/* key IDs only: which keys opened the volume, never a key */
		for (char *t = list ? strtok_r(list, " ", &save) : NULL; t;
		     t = strtok_r(NULL, " ", &save))
			json_object_array_add(ids, json_object_new_string(t));
		free(list);
		json_object_object_add(b, "key_ids", ids);
		put_str(b, "description", v->bitlocker_description);
		put_str(b, "unlocked_by", v->unlocked_by);
		put_str(b, "key_source", v->key_source);
		put_str(b, "key_kind", v->key_kind);
		put_str(b, "via", v->unlock_via);
		json_object_object_add(o, "bitlocker", b);
	}
	json_object_object_add(o, "hibernated", json_object_new_boolean(v->hibernated));
	json_object_object_add(o, "fast_restart", json_object_new_boolean(v->fast_restart));
	put_str(o, "problem", problem_name(v->problem));
	put_str(o, "computer_name", v->computer_name);
	put_str(o, "product_name", v->product_name);
	put_str(o, "build", v->build);
	put_str(o, "display_version", v->display_version);
	put_str(o, "identity_note", v->identity_note);
	for (size_t i = 0; i < v->nfindings; i++)
		json_object_array_add(a, report_finding(&v->findings[i]));
	json_object_object_add(o, "findings", a);
	put_str(o, "quarantine", v->quarantine);
	if (v->steps.replayed_journal)
		json_object_object_add(o, "journal_replayed", json_object_new_boolean(1));
	if (v->steps.killed_fast_restart)
		json_object_object_add(o, "fast_restart_killed", json_object_new_boolean(1));
	if (v->steps.discarded_hibernation)
		json_object_object_add(o, "hibernation_discarded", json_object_new_boolean(1));
	put_str(o, "outcome", outcome_name(v->outcome));
	put_str(o, "reason", v->reason);
	return o;
}

struct json_object *report_run(const struct run *r, const char *verb, int dry_run)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	char when[UTC_LEN];

	put_str(o, "tool", "bootfix");
	put_str(o, "version", BOOTFIX_VERSION);
	put_str(o, "verb", verb);
	json_object_object_add(o, "dry_run", json_object_new_boolean(dry_run));
	put_str(o, "target", r->target);
	put_str(o, "machine_serial", r->machine_serial);
	put_str(o, "time", utc_format(r->started, when));
	json_object_object_add(o, "duration_ms", json_object_new_int64(r->duration_ms));
	for (size_t i = 0; i < r->n; i++)
		json_object_array_add(a, report_volume(&r->v[i]));
	json_object_object_add(o, "volumes", a);
	return o;
}
