/*
 * auditlog.c - the audit record of one run: its outcome ("fixed",
 * "refused", ...) and reason, the JSON record (see docs/log.md), and
 * writing it to the stick's log (auditlog_write_run(), the one call a
 * front makes after a fix or restore).  The other parts of the log are
 * listed in auditlog_internal.h.
 *
 * Text in a record comes from hostile volumes and firmware: what is not
 * valid UTF-8 is replaced, so every record is valid JSON text.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auditlog_internal.h"
#include "err.h"
#include "file.h"
#include "hw.h"
#include "identity.h"
#include "quarantine.h"
#include "report.h"
#include "utc.h"
#include "version.h"

/* ---- UTF-8 ---- */

/* Length of the well-formed UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t k;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 1, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 2, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 3, cp = s[0] & 0x07;
	else
		return 0;
	if (k >= n)
		return 0;
	for (size_t i = 1; i <= k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k + 1;
}

/* Replace every ill-formed byte of string o by U+FFFD. */
static void utf8_fix(struct json_object *o)
{
	const unsigned char *s = (const unsigned char *)json_object_get_string(o);
	size_t n = (size_t)json_object_get_string_len(o), i, k = 0;
	char *out;

	for (i = 0; i < n; i += utf8_seq(s + i, n - i))
		if (!utf8_seq(s + i, n - i))
			break;
	if (i >= n)
		return;
	out = malloc(3 * n + 1);
	if (!out)
		return;
	for (i = 0; i < n;) {
		size_t len = utf8_seq(s + i, n - i);

		if (len) {
			memcpy(out + k, s + i, len);
			k += len;
			i += len;
		} else {
			memcpy(out + k, "\xef\xbf\xbd", 3);
			k += 3;
			i++;
		}
	}
	json_object_set_string_len(o, out, (int)k);
	free(out);
}

static void sanitize(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_string:
		utf8_fix(o);
		break;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			sanitize(json_object_array_get_idx(o, i));
		break;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			sanitize(v);
		}
		break;
	}
	default:
		break;
	}
}

/* ---- the record ---- */

/* Append "DEVICE: text" of every volume whose outcome is in mask to *acc. */
static void join_reasons(const struct run *r, unsigned mask, char **acc)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct volume *v = &r->v[i];
		char *s;

		if (!(mask & (1u << v->outcome)) || !v->reason)
			continue;
		if (asprintf(&s, "%s%s%s: %s", *acc ? *acc : "", *acc ? "; " : "",
			     v->device ? v->device : "?", v->reason) < 0)
			return;
		free(*acc);
		*acc = s;
	}
}

#define WHY(o) (1u << (o))

const char *auditlog_outcome(const struct audit_info *ai, char **reason)
{
	const struct run *r = ai->run;
	size_t faulty = 0, left = 0, acted = 0, undone = 0, unknown = 0;
	int failed = 0, refused = 0, kept = 0, windows = 0;
	int restore = ai->action && !strcmp(ai->action, "restore");
	const struct finding *unknown_at = NULL;
	const char *unknown_dev = NULL;
	const char *out;

	*reason = NULL;
	if (ai->error) {
		*reason = strdup(ai->error);
		return "failed";
	}
	if (!r || r->n == 0) {
		if (asprintf(reason, "no NTFS or BitLocker volume found on %s",
			     r && r->target ? r->target : "the target") < 0)
			*reason = NULL;
		return "nothing-to-fix";
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct volume *v = &r->v[i];

		failed += v->outcome == OUTCOME_FAILED;
		refused += v->outcome == OUTCOME_REFUSED;
		windows += v->windows;
		/* a person chose to leave this volume as it is: what is on it was
		   decided, not left behind, and says nothing about the others */
		if (v->outcome == OUTCOME_LEFT) {
			kept++;
			continue;
		}
		for (size_t k = 0; k < v->nfindings; k++) {
			const struct finding *f = &v->findings[k];
			int acts = f->action && strcmp(f->action, "none");

			if (f->verdict == VERDICT_UNKNOWN && !unknown++) {
				unknown_at = f;
				unknown_dev = v->device ? v->device : "?";
			}
			if (!restore && f->verdict == VERDICT_FAULTY) {
				faulty++;
				left += !f->done;
			}
			if (acts && f->done)
				acted++;
			if (restore && acts && !f->done)
				undone++;
		}
	}
	if (left || undone) {
		out = failed ? "failed" : "refused";
		join_reasons(r, WHY(OUTCOME_FAILED) | WHY(OUTCOME_REFUSED) | WHY(OUTCOME_LEFT),
			     reason);
		if (!*reason && asprintf(reason, "%zu of %zu %s left in place", left + undone,
					 restore ? acted + undone : faulty,
					 restore ? "files" : "faulty files") < 0)
			*reason = NULL;
	} else if (failed) {
		out = "failed";
		join_reasons(r, WHY(OUTCOME_FAILED) | WHY(OUTCOME_LEFT), reason);
	} else if (acted) {
		/* a restore puts back what a fix took away: never called fixed */
		out = restore ? "restored" : "fixed";
		join_reasons(r, WHY(OUTCOME_FIXED) | WHY(OUTCOME_REFUSED) | WHY(OUTCOME_LEFT),
			     reason);
	} else if (refused) {
		out = "refused";
		join_reasons(r, WHY(OUTCOME_REFUSED) | WHY(OUTCOME_LEFT), reason);
	} else if (kept) {
		out = "left";
		join_reasons(r, WHY(OUTCOME_LEFT), reason);
		if (!*reason)
			*reason = strdup("left as it is");
	} else {
		out = "nothing-to-fix";
		*reason = strdup(restore ? "nothing in quarantine" :
				 windows ? "no faulty files" : "no Windows found");
		if (!restore && unknown && *reason) {
			/* the record must not call clean what waits for a person */
			char *s;

			if (asprintf(&s, "%s; %zu file%s to check%s: %s: %s%s%s", *reason, unknown,
				     unknown == 1 ? "" : "s", unknown == 1 ? "" : ", the first",
				     unknown_dev, unknown_at->path, unknown_at->why ? ": " : "",
				     unknown_at->why ? unknown_at->why : "") >= 0) {
				free(*reason);
				*reason = s;
			}
		}
	}
	return out;
}

/* Where the manifest of each quarantine folder made by this run is. */
static struct json_object *manifests(const struct audit_info *ai)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; ai->run && i < ai->run->n; i++) {
		const struct volume *v = &ai->run->v[i];
		struct json_object *m;
		const char *ts;
		char *s, *machine;

		if (!v->quarantine)
			continue;
		m = json_object_new_object();
		put_str(m, "device", v->device);
		if (asprintf(&s, "%s\\%s", v->quarantine, QUARANTINE_MANIFEST) >= 0) {
			put_str(m, "volume", s);
			free(s);
		}
		ts = strrchr(v->quarantine, '\\');
		ts = ts ? ts + 1 : v->quarantine;
		machine = identity_folder_name(v->computer_name);
		if (ai->data_dir && v->stick_manifest)
			s = strdup(v->stick_manifest);
		else if (!ai->data_dir || !machine ||
			 asprintf(&s, "quarantine/%s/%s/%s", machine, ts, QUARANTINE_MANIFEST) < 0)
			s = NULL;
		if (s) {
			int dfd = file_open(AT_FDCWD, ai->data_dir, O_RDONLY | O_DIRECTORY, 0);

			if (dfd >= 0 && faccessat(dfd, s, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				put_str(m, "stick", s);
			if (dfd >= 0)
				close(dfd);
			free(s);
		}
		free(machine);
		json_object_array_add(a, m);
	}
	return a;
}

struct json_object *auditlog_record(const struct audit_info *ai)
{
	struct json_object *o = json_object_new_object(), *a, *notes = json_object_new_array();
	const struct run *r = ai->run;
	char when[UTC_LEN], *reason = NULL;
	const char *outcome;
	int restore = ai->action && !strcmp(ai->action, "restore");

	json_object_object_add(o, "schema", json_object_new_int(AUDITLOG_SCHEMA));
	put_str(o, "time", utc_format(r && r->started ? r->started : time(NULL), when));
	put_str(o, "tool", "bootfix");
	put_str(o, "version", BOOTFIX_VERSION);
	put_str(o, "action", ai->action);
	put_str(o, "mode", ai->mode);
	put_str(o, "operator", ai->operator_name);
	put_str(o, "site", ai->site);
	put_str(o, "stick", ai->stick);
	put_str(o, "target", r ? r->target : NULL);
	/* write-ahead: "begun" before the first change, the final record after,
	   both with the run's id; a begun record alone means interrupted */
	put_str(o, "run", r && r->id[0] ? r->id : NULL);
	if (ai->begun)
		put_str(o, "stage", "begun");
	a = json_object_new_array();
	for (size_t i = 0; ai->rules && i < ai->rules->nfiles; i++) {
		struct json_object *f = json_object_new_object();

		put_str(f, "id", ai->rules->files[i].id);
		put_str(f, "sha256", ai->rules->files[i].sha256);
		json_object_array_add(a, f);
	}
	json_object_object_add(o, "rules", a);
	if (ai->machine) {
		struct json_object *mj = machine_json(ai->machine);

		/* the storage and USB controllers and their drivers: a disk
		   the record does not list may hang off one without a driver */
		if (r) {
			json_object_object_add(mj, "controllers", hw_controllers_json(&r->hw));
		} else {
			struct hw h;

			hw_read(&h, NULL, NULL);
			json_object_object_add(mj, "controllers", hw_controllers_json(&h));
			hw_free(&h);
		}
		json_object_object_add(o, "machine", mj);
		if (machine_no_dmi(ai->machine))
			json_object_array_add(notes, json_object_new_string(
				"no DMI data on this machine (/sys/class/dmi/id)"));
	}
	a = json_object_new_array();
	for (size_t i = 0; r && i < r->n; i++) {
		struct json_object *v = report_volume(&r->v[i]);

		/* the engine calls a volume whose files went back "fixed" */
		if (restore && r->v[i].outcome == OUTCOME_FIXED)
			put_str(v, "outcome", "restored");
		json_object_array_add(a, v);
		if (r->v[i].identity_note) {
			char *s;

			if (asprintf(&s, "%s: %s", r->v[i].device, r->v[i].identity_note) >= 0) {
				json_object_array_add(notes, json_object_new_string(s));
				free(s);
			}
		}
	}
	json_object_object_add(o, "volumes", a);
	a = json_object_new_array();
	for (size_t i = 0; i < ai->nkeys; i++) {
		struct json_object *k = json_object_new_object();

		put_str(k, "device", ai->keys[i].device);
		put_str(k, "key_id", ai->keys[i].key_id);
		put_str(k, "source", ai->keys[i].source);
		json_object_array_add(a, k);
	}
	/* the keys the engine used on this run's volumes: key ID and source, never a key */
	for (size_t i = 0; !ai->nkeys && r && i < r->n; i++) {
		struct json_object *k;

		if (!r->v[i].unlocked_by)
			continue;
		k = json_object_new_object();
		put_str(k, "device", r->v[i].device);
		put_str(k, "key_id", r->v[i].unlocked_by);
		put_str(k, "source", r->v[i].key_source);
		put_str(k, "kind", r->v[i].key_kind);
		put_str(k, "computer_name", r->v[i].computer_name);
		json_object_array_add(a, k);
	}
	json_object_object_add(o, "bitlocker", a);
	json_object_object_add(o, "manifests", manifests(ai));
	if (ai->begun) {
		/* what the record says if nothing follows it */
		outcome = "interrupted";
		if (asprintf(&reason, "the %s began and no final record followed (power cut, "
			     "pulled stick, or bootfix killed): check the volume with bootfix "
			     "scan", ai->action ? ai->action : "fix") < 0)
			reason = NULL;
	} else {
		outcome = auditlog_outcome(ai, &reason);
	}
	put_str(o, "outcome", outcome);
	put_str(o, "reason", reason);
	free(reason);
	json_object_object_add(o, "duration_ms", json_object_new_int64(r ? r->duration_ms : 0));
	for (size_t i = 0; i < ai->nnotes; i++)
		json_object_array_add(notes, json_object_new_string(ai->notes[i]));
	json_object_object_add(o, "notes", notes);
	sanitize(o);
	return o;
}

/* ---- writing it ---- */

int auditlog_write_run(struct audit_info *ai, const char *log_path, char **path,
		       struct auditlog_appended *a)
{
	struct machine m;
	char *key = NULL;
	struct json_object *rec;
	int rc, own = !ai->machine, nowhere = ai->no_log || (!log_path && !ai->data_dir);

	memset(a, 0, sizeof(*a));
	*path = NULL;
	if (nowhere && !ai->alone)
		return 1;
	if (log_path && !nowhere)
		*path = strdup(log_path);
	else if (!nowhere && asprintf(path, "%s/" AUDITLOG_DEFAULT, ai->data_dir) < 0)
		*path = NULL;
	if (ai->data_dir && asprintf(&key, "%s/" AUDITLOG_KEY, ai->data_dir) < 0)
		key = NULL;
	if (own) {
		machine_read(&m, NULL);
		ai->machine = &m;
	}
	rec = auditlog_record(ai);
	if (own) {
		machine_free(&m);
		ai->machine = NULL;
	}
	if (nowhere) {
		rc = 1;
	} else if (!*path || (ai->data_dir && !key)) {
		rc = err_set("cannot write the audit log: %s", err_cause(ENOMEM));
		a->line = auditlog_sign_line(rec, NULL);
	} else if (!log_path) {
		int dfd = file_open(AT_FDCWD, ai->data_dir, O_RDONLY | O_DIRECTORY, 0), lfd = -1;

		if (dfd < 0)
			rc = auditlog_append_failed(a, *path, "cannot open %s: %s", ai->data_dir,
						    err_cause(errno));
		else if ((lfd = file_mkdirs(dfd, "logs", 0755, NULL)) < 0)
			rc = auditlog_append_failed(a, *path, "%s", err_msg());
		else
			rc = auditlog_append(*path, rec, key, a);
		if (lfd < 0 && !a->line)
			a->line = auditlog_sign_line(rec, NULL);
		if (lfd >= 0)
			close(lfd);
		if (dfd >= 0)
			close(dfd);
	} else {
		rc = auditlog_append(*path, rec, key, a);
	}
	if (rc != 0 && ai->alone) {
		char why[sizeof(a->why)];

		/* the failure's message outlives the signing, which may set its own */
		snprintf(why, sizeof(why), "%s", err_msg());
		a->alone = auditlog_append_alone(rec, key, a);
		if (rc < 0)
			err_set("%s", why);
	}
	json_object_put(rec);
	free(key);
	return rc;
}
