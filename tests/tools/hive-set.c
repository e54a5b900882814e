/*
 * hive-set - a registry hive for the tests, made with libhivex from a real
 * one: copy IN to OUT with string values set under a key path, made as
 * needed.
 *
 *   hive-set IN OUT 'Microsoft\Windows NT\CurrentVersion' NAME=VALUE...
 *
 * The tests have one real hive (a Windows 10 SYSTEM hive); a SOFTWARE hive
 * is that hive with the CurrentVersion values Windows keeps there
 * (ProductName, DisplayVersion, CurrentBuildNumber): bootfix reads only
 * those, by path from the root.  Values are REG_SZ, UTF-16LE, as Windows
 * writes them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hivex.h>

/* s as UTF-16LE with its terminating NUL (ASCII only: enough for tests). */
static char *utf16(const char *s, size_t *len)
{
	size_t n = strlen(s) + 1;
	char *out = calloc(n, 2);

	for (size_t i = 0; out && i < n; i++)
		out[2 * i] = s[i];
	*len = 2 * n;
	return out;
}

int main(int argc, char **argv)
{
	hive_h *h;
	hive_node_h node;
	char *path, *part, *save = NULL;

	if (argc < 4) {
		fprintf(stderr, "usage: hive-set IN OUT KEY\\PATH NAME=VALUE...\n");
		return 2;
	}
	h = hivex_open(argv[1], HIVEX_OPEN_WRITE);
	if (!h) {
		fprintf(stderr, "hive-set: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	node = hivex_root(h);
	path = strdup(argv[3]);
	for (part = strtok_r(path, "\\", &save); part; part = strtok_r(NULL, "\\", &save)) {
		hive_node_h next = hivex_node_get_child(h, node, part);

		if (!next)
			next = hivex_node_add_child(h, node, part);
		if (!next) {
			fprintf(stderr, "hive-set: cannot add key %s: %s\n", part, strerror(errno));
			return 1;
		}
		node = next;
	}
	for (int i = 4; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		hive_set_value v;
		size_t len;

		if (!eq) {
			fprintf(stderr, "hive-set: not NAME=VALUE: %s\n", argv[i]);
			return 2;
		}
		*eq = '\0';
		v.key = argv[i];
		v.t = hive_t_REG_SZ;
		v.value = utf16(eq + 1, &len);
		v.len = len;
		if (!v.value || hivex_node_set_value(h, node, &v, 0) < 0) {
			fprintf(stderr, "hive-set: cannot set %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		free(v.value);
	}
	if (hivex_commit(h, argv[2], 0) < 0) {
		fprintf(stderr, "hive-set: cannot write %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	hivex_close(h);
	free(path);
	return 0;
}
