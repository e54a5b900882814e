/*
 * log-gen - many realistic records for benchmarks and tests, made the way
 * bootfix makes them: a real record (the last line of a log a test fix
 * wrote) is copied N times with another machine, site, stick, time, run
 * and outcome each, then chained (seq, prev) and signed with bootfix's own
 * code, so the result verifies like a stick's log.
 *
 *   log-gen [--key PEM] [--syslog STICKS] N TEMPLATE.jsonl OUT
 *
 * --key signs every record (and the head file) with that Ed25519 key.
 * --syslog writes what a log server writes instead: rsyslog's traditional
 * file format, "Dec  1 20:37:22 pc-00042 bootfix[1234]: RECORD", the
 * records of STICKS sticks interleaved, each stick its own chain.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auditlog_internal.h"
#include "file.h"
#include "sha256.h"
#include "utc.h"

static void die(const char *what)
{
	fprintf(stderr, "log-gen: %s\n", what);
	exit(1);
}

static void set(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

int main(int argc, char **argv)
{
	static const char *const outcomes[] = { "fixed", "fixed", "fixed", "fixed", "fixed",
						"fixed", "nothing-to-fix", "refused", "fixed",
						"failed" };
	EVP_PKEY *key = NULL;
	long n, sticks = 1;
	size_t len;
	char *tmpl, *last, *nl, *base;
	struct json_object *t;
	char (*prev)[65], genesis[65] = "";
	long *seq;
	FILE *out;
	int i = 1, dirfd;

	for (; i < argc && argv[i][0] == '-'; i += 2) {
		if (i + 1 >= argc)
			die("usage: log-gen [--key PEM] [--syslog STICKS] N TEMPLATE.jsonl OUT");
		if (!strcmp(argv[i], "--key") && !(key = auditlog_sign_load_key(argv[i + 1], 1)))
			die(err_msg());
		if (!strcmp(argv[i], "--syslog") && (sticks = atol(argv[i + 1])) < 1)
			die("--syslog takes a number of sticks");
	}
	if (argc - i != 3 || (n = atol(argv[i])) < 1)
		die("usage: log-gen [--key PEM] [--syslog STICKS] N TEMPLATE.jsonl OUT");
	tmpl = file_slurp(AT_FDCWD, argv[i + 1], 64 << 20, &len);
	if (!tmpl)
		die(err_msg());
	while (len && tmpl[len - 1] == '\n')
		tmpl[--len] = '\0';
	last = (nl = strrchr(tmpl, '\n')) ? nl + 1 : tmpl;
	t = auditlog_read_json(last, strlen(last));
	if (!t)
		die("the template's last line is not a record");
	out = fopen(argv[i + 2], "wx");
	if (!out)
		die("cannot create the output");
	prev = calloc((size_t)sticks, sizeof(*prev));
	seq = calloc((size_t)sticks, sizeof(*seq));
	for (long s = 0; s < sticks; s++)
		memcpy(prev[s], AUDITLOG_ZEROS, 65);
	for (long r = 0; r < n; r++) {
		struct json_object *o = NULL, *m, *vols, *v;
		long s = sticks > 1 ? (r * 7919) % sticks : 0;
		time_t when = 1721376540 + r * 17;
		char buf[128], *line;

		json_object_deep_copy(t, &o, NULL);
		json_object_object_del(o, "recovered_torn_tail");
		json_object_object_del(o, "seq");
		json_object_object_del(o, "prev");
		json_object_object_del(o, "stage");
		set(o, "time", utc_format(when, buf));
		snprintf(buf, sizeof(buf), "Ward %ld", r % 40 + 1);
		set(o, "site", buf);
		snprintf(buf, sizeof(buf), "stick-%02ld", s + 1);
		set(o, "stick", buf);
		snprintf(buf, sizeof(buf), "%016lx%016lx", (unsigned long)r * 2654435761UL,
			 (unsigned long)r);
		set(o, "run", buf);
		set(o, "outcome", outcomes[r % 10]);
		if (json_object_object_get_ex(o, "machine", &m) && json_object_is_type(m, json_type_object)) {
			snprintf(buf, sizeof(buf), "4c4c4544-%04lx-%04lx-8052-b4c04f4e4e32",
				 (r >> 16) & 0xffff, r & 0xffff);
			set(m, "product_uuid", buf);
			snprintf(buf, sizeof(buf), "PF%06ld", r);
			set(m, "product_serial", buf);
		}
		if (json_object_object_get_ex(o, "volumes", &vols) &&
		    json_object_is_type(vols, json_type_array))
			for (size_t k = 0; k < json_object_array_length(vols); k++) {
				v = json_object_array_get_idx(vols, k);
				snprintf(buf, sizeof(buf), "PC-%05ld", r);
				if (json_object_is_type(v, json_type_object))
					set(v, "computer_name", buf);
			}
		json_object_object_add(o, "seq", json_object_new_int64(++seq[s]));
		set(o, "prev", prev[s]);
		line = auditlog_sign_line(o, key);
		if (!line)
			die("cannot sign a record");
		sha256_hex(line, strlen(line), prev[s]);
		if (r == 0)
			memcpy(genesis, prev[s], 65);
		if (sticks > 1) {
			struct tm tm;
			char stamp[32];

			gmtime_r(&when, &tm);
			strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
			fprintf(out, "%s pc-%05ld bootfix[%ld]: %s\n", stamp, r, 1000 + r % 30000,
				line);
		} else {
			fprintf(out, "%s\n", line);
		}
		free(line);
		json_object_put(o);
	}
	if (fclose(out) != 0)
		die("cannot write the output");
	if (sticks == 1) {
		/* the head file, as an append leaves it */
		dirfd = file_open_parent(argv[i + 2], &base);
		if (dirfd < 0 || auditlog_append_head(dirfd, base, genesis, seq[0], prev[0], key) < 0)
			die(err_msg());
	}
	EVP_PKEY_free(key);
	return 0;
}
