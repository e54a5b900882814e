/*
 * record.c - the audit record the fronts write (see record.h, docs/log.md):
 * bootfix.conf, the write-ahead "begun" record, the final record and the
 * note each front shows, and the rows of the menu's log screen.  Prints
 * nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "auditlog.h"
#include "err.h"
#include "record.h"
#include "text.h"


void record_load(struct record *rec, struct engine_opts *eo)
{
	char *path;

	config_init(&rec->conf);
	logsend_init(&rec->send);
	rec->unreadable[0] = '\0';
	if (!eo->data_dir)
		return;
	if (asprintf(&path, "%s/bootfix.conf", eo->data_dir) < 0)
		return;
	if (config_load(&rec->conf, path) < 0)
		snprintf(rec->unreadable, sizeof(rec->unreadable), "%s (settings ignored)", err_msg());
	free(path);
	if (!eo->operator_name)
		eo->operator_name = rec->conf.operator_name;
	if (!eo->site)
		eo->site = rec->conf.site;
	for (size_t i = 0; i < rec->conf.nlog_to; i++)
		if (logsend_parse(rec->conf.log_to[i], &rec->send.dest[rec->send.n]) == 0)
			rec->send.n++;
	if (asprintf(&rec->send.ca_file, "%s/%s", eo->data_dir, rec->conf.log_ca ?
		     rec->conf.log_ca : CONFIG_LOG_CA_DEFAULT) < 0)
		rec->send.ca_file = NULL;
	if (rec->conf.log_token && asprintf(&rec->send.token_file, "%s/%s", eo->data_dir,
					    rec->conf.log_token) < 0)
		rec->send.token_file = NULL;
	eo->send = rec->send.n ? &rec->send : NULL;
}

/* The name the syslog header gives this machine: its Windows computer name. */
static const char *computer(const struct run *r)
{
	for (size_t i = 0; r && i < r->n; i++)
		if (r->v[i].computer_name)
			return r->v[i].computer_name;
	return NULL;
}

/*
 * Keep line in the quarantine folders r made (engine_keep_record()): where
 * gets the kept files' Windows paths, ", "-separated, or why it was not
 * kept anywhere.  Returns 1 when kept somewhere.
 */
static int keep(const struct engine_opts *eo, const struct run *r, const char *line,
		char *where, size_t len)
{
	struct run kr;
	size_t o = 0;
	int kept = 0;

	where[0] = '\0';
	if (!line) {
		snprintf(where, len, "%s", err_cause(ENOMEM));
		return 0;
	}
	if (engine_keep_record(eo, NULL, r, line, strlen(line), &kr) < 0) {
		snprintf(where, len, "%s", err_msg());
		run_free(&kr);
		return 0;
	}
	for (size_t i = 0; i < kr.n && o < len; i++)
		if (kr.v[i].outcome == OUTCOME_FIXED && kr.v[i].quarantine) {
			o += (size_t)snprintf(where + o, len - o, "%s%s", kept ? ", " : "",
					      kr.v[i].quarantine);
			kept = 1;
		}
	for (size_t i = 0; !kept && i < kr.n && o < len; i++)
		o += (size_t)snprintf(where + o, len - o, "%s%s: %s", i ? "; " : "", kr.v[i].device,
				      kr.v[i].reason ? kr.v[i].reason : "not kept");
	if (!kept && !where[0])
		snprintf(where, len, "%s", r && r->n ? "this run made no quarantine folder to keep "
			 "it in" : "no volume to keep it on");
	run_free(&kr);
	return kept;
}

/*
 * Send line to every log server of rec->send; note (at *o of len) gets a
 * line for each.  Returns how many servers did not take it; *kept whether
 * it was then kept on a volume.
 */
static int send_all(struct record *rec, const struct engine_opts *eo, const struct run *r,
		    const char *line, char *note, size_t len, size_t *o, int *kept)
{
	char why[LOGSEND_DEST_MAX][512], where[1024];
	int failed[LOGSEND_DEST_MAX], nfailed = 0;

	*kept = 0;
	for (size_t i = 0; i < rec->send.n; i++) {
		const struct logsend_dest *d = &rec->send.dest[i];

		failed[i] = !line || logsend_one(&rec->send, d, computer(r), line, strlen(line)) < 0;
		if (failed[i]) {
			snprintf(why[i], sizeof(why[i]), "%s", line ? err_msg() : err_cause(ENOMEM));
			nfailed++;
		} else if (*o < len) {
			*o += (size_t)snprintf(note + *o, len - *o, "\nsent to %s", d->url);
		}
	}
	if (!nfailed)
		return 0;
	*kept = keep(eo, r, line, where, sizeof(where));
	for (size_t i = 0; i < rec->send.n && *o < len; i++)
		if (failed[i])
			*o += (size_t)snprintf(note + *o, len - *o, "\nnot logged to %s: %s; %s %s",
					       rec->send.dest[i].url, why[i], *kept ?
					       "record kept in" : "record not kept on the volume:",
					       where);
	return nfailed;
}

int record_write(struct record *rec, const struct engine_opts *eo, const struct run *r,
		 const struct ruleset *rs, const char *error, char *note, size_t len, char **unlogged)
{
	/* a network boot: the site's settings, no stick to keep a log on */
	int no_stick = eo->no_stick && !rec->log_path;
	struct audit_info ai = {
		.action = eo->verb == ENGINE_RESTORE ? "restore" : "fix",
		.mode = eo->mode, .operator_name = eo->operator_name, .site = eo->site,
		.stick = rec->conf.stick, .data_dir = eo->data_dir, .rules = rs, .run = r,
		.error = error, .notes = rec->conf.problems, .nnotes = rec->conf.nproblems,
		.alone = rec->send.n > 0 || no_stick, .no_log = rec->no_log || no_stick,
	};
	struct auditlog_appended a;
	char *path = NULL, *unreadable[1] = { (char *)rec->unreadable };
	int rc, kept = 0;
	size_t o = 0;

	/* what was wrong with bootfix.conf goes into the record too */
	if (rec->unreadable[0]) {
		ai.notes = unreadable;
		ai.nnotes = 1;
	}
	rc = auditlog_write_run(&ai, rec->log_path, &path, &a);

	note[0] = '\0';
	if (unlogged)
		*unlogged = NULL;
	if (rec->begun_note[0]) {
		o = (size_t)snprintf(note, len, "%s", rec->begun_note);
		if (o >= len)
			o = len - 1;
		rec->begun_note[0] = '\0';
	}
	if (rc == 1 && no_stick && !rec->send.n) {
		/* a network boot without a log server: nowhere to keep it; shown
		   so it is not lost */
		snprintf(note, len, "not written: no stick (network boot)");
		if (unlogged && a.alone)
			*unlogged = strdup(a.alone);
	} else if (rc == 1 && (rec->no_log || no_stick)) {
		snprintf(note, len, "no log on this machine's data folder: the log servers alone "
			 "get the record");
	} else if (rc == 1) {
		snprintf(note, len, "no audit log written (give --data DIR or --log FILE)");
	} else if (rc == 0) {
		if (a.torn_bytes)
			o += (size_t)snprintf(note + o, len - o, "warning: %s ended in %zu bytes of an "
					      "interrupted record; kept as they are and noted in "
					      "the new record\n", path, a.torn_bytes);
		for (size_t i = 0; i < a.nwarnings && o < len; i++)
			o += (size_t)snprintf(note + o, len - o, "warning: %s\n", a.warnings[i]);
		/* shown after "log: " by the menu: the words do not say "log" again */
		if (o < len)
			snprintf(note + o, len - o, "record %ld written to %s", a.seq, path);
	} else {
		/* "cannot append to FILE: why" is said as "cannot write log FILE: why" */
		const char *cause = a.why[0] ? a.why : err_msg();

		for (size_t i = 0; i < a.nwarnings && o < len; i++)
			o += (size_t)snprintf(note + o, len - o, "warning: %s\n", a.warnings[i]);
		if (o < len)
			snprintf(note + o, len - o, "cannot write log %s: %s", path ? path : "", cause);
		if (unlogged && a.line)
			*unlogged = strdup(a.line);
	}
	rec->not_logged = 0;
	if (rec->send.n) {
		int nfailed;

		o = strlen(note);
		/* the same bytes as the stick's line; with no log, the record alone */
		nfailed = send_all(rec, eo, r, rc == 0 ? a.line : a.alone, note, len, &o, &kept);
		rec->not_logged = nfailed;
		if (rc == 1 && nfailed < (int)rec->send.n) {
			rc = 0;		/* a log server has it */
		} else if (rc == 1 && kept) {
			rc = 0;		/* on the volume, for the next run to send */
		} else if (rc == 1) {
			rc = -1;
			if (unlogged && a.alone)
				*unlogged = strdup(a.alone);
		}
		if (note[0] == '\n')
			memmove(note, note + 1, strlen(note));
	}
	free(path);
	auditlog_appended_free(&a);
	return rc;
}

int record_begun(struct record *rec, const struct engine_opts *eo, const struct run *r)
{
	struct audit_info ai = {
		.action = eo->verb == ENGINE_RESTORE ? "restore" : "fix",
		.mode = eo->mode, .operator_name = eo->operator_name, .site = eo->site,
		.stick = rec->conf.stick, .data_dir = eo->data_dir, .rules = eo->rules, .run = r,
		.notes = rec->conf.problems, .nnotes = rec->conf.nproblems, .begun = 1,
		.no_log = rec->no_log || (eo->no_stick && !rec->log_path),
	};
	struct auditlog_appended a;
	char *path = NULL;
	int rc = auditlog_write_run(&ai, rec->log_path, &path, &a);
	size_t o = 0;

	/* what this first append found (a torn tail, a head it could not
	   update) is said with the final record's note (record_write) */
	rec->begun_note[0] = '\0';
	if (rc == 0 && a.torn_bytes)
		o += (size_t)snprintf(rec->begun_note, sizeof(rec->begun_note), "warning: %s ended in "
				      "%zu bytes of an interrupted record; kept as they are and "
				      "noted in the new record\n", path, a.torn_bytes);
	for (size_t i = 0; rc == 0 && i < a.nwarnings && o < sizeof(rec->begun_note); i++)
		o += (size_t)snprintf(rec->begun_note + o, sizeof(rec->begun_note) - o, "warning: %s\n",
				      a.warnings[i]);
	/* not written: the final record will not be either, and is then shown */
	free(path);
	auditlog_appended_free(&a);
	return rc;
}

void record_done(struct record *rec)
{
	config_free(&rec->conf);
	logsend_free(&rec->send);
}

/* A record the log screen shows: not junk, not a "begun" record its final one follows. */
static int shown(const struct auditlog_line *l)
{
	return l->kind != AUDITLOG_JUNK && !l->superseded;
}

/*
 * Append s to buf (at *o, len bytes) cut to cols terminal columns, never
 * inside a character, then pad it with spaces to cols when pad is set.
 * s is safe text (text_safe(): valid UTF-8, no controls).
 */
static void fit(char *buf, size_t len, size_t *o, const char *s, size_t cols, int pad)
{
	size_t w = 0, n = strlen(s);
	mbstate_t st;

	memset(&st, 0, sizeof(st));
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		wchar_t wc;
		int cw = 1;

		if (k > n - i)
			break;
		if (mbrtowc(&wc, s + i, k, &st) == k && (cw = wcwidth(wc)) < 0)
			cw = 1;
		memset(&st, 0, sizeof(st));
		if (w + (size_t)cw > cols || *o + k >= len)
			break;
		memcpy(buf + *o, s + i, k);
		*o += k;
		w += (size_t)cw;
		i += k;
	}
	for (; pad && w < cols && *o + 1 < len; w++)
		buf[(*o)++] = ' ';
	buf[*o] = '\0';
}

int record_tail(const struct record *rec, const char *data_dir, char **lines, int max,
		char *status, size_t len)
{
	struct auditlog log;
	char *path = NULL;
	size_t nrec = 0;
	int n = 0;

	status[0] = '\0';
	if (rec && rec->log_path)
		path = strdup(rec->log_path);
	else if (!data_dir || asprintf(&path, "%s/" AUDITLOG_DEFAULT, data_dir) < 0)
		path = NULL;
	if (!path) {
		snprintf(status, len, "no log: this stick has no data folder");
		return 0;
	}
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		snprintf(status, len, "no records yet in %s", path);
		free(path);
		return 0;
	}
	if (auditlog_read(&log, path) < 0) {
		snprintf(status, len, "cannot read the log: %s", err_msg());
		auditlog_free(&log);
		free(path);
		return 0;
	}
	if (auditlog_verify(&log, NULL, 0, NULL, NULL, &nrec) == 0)
		snprintf(status, len, "verify: intact, %zu record%s in %s", nrec, nrec == 1 ? "" : "s",
			 path);
	else
		snprintf(status, len, "verify: DAMAGED: %s", err_msg());
	for (size_t i = 0; i < log.n; i++) {
		static const struct { size_t cols; int pad; } col[] = {
			{ RECORD_TAIL_TIME, 1 }, { RECORD_TAIL_COMPUTER, 1 }, { RECORD_TAIL_SERIAL, 1 },
			{ RECORD_TAIL_ACTION, 1 }, { RECORD_TAIL_OUTCOME, 0 },
		};
		struct auditlog_row r;
		const char *cell[5];
		char line[256];
		size_t o = 0;

		if (!shown(&log.lines[i]))
			continue;
		auditlog_row(log.lines[i].rec, &r);
		cell[0] = r.time ? r.time : "?";
		cell[1] = r.computer ? r.computer : "-";
		cell[2] = r.product_serial ? r.product_serial : "-";
		cell[3] = r.action ? r.action : "?";
		cell[4] = r.outcome ? r.outcome : "?";
		/* record text is hostile: escaped, then cut to its column */
		for (size_t c = 0; c < 5; c++) {
			if (c)
				fit(line, sizeof(line), &o, "  ", 2, 0);
			fit(line, sizeof(line), &o, text_safe(cell[c]), col[c].cols, col[c].pad);
		}
		auditlog_row_free(&r);
		if (n == max) {
			free(lines[0]);
			memmove(lines, lines + 1, (size_t)(max - 1) * sizeof(*lines));
			n--;
		}
		lines[n] = strdup(line);
		if (lines[n])
			n++;
	}
	auditlog_free(&log);
	free(path);
	return n;
}
