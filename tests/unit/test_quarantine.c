/*
 * test_quarantine.c - manifests, moves and restores on a plain directory
 * (cmocka).  The CLI tests do the same on real NTFS through ntfs-3g.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "file.h"
#include "finding.h"
#include "quarantine.h"

static char root[64];
static int rootfd;

static int setup(void **state)
{
	char cmd[1024];

	(void)state;
	strcpy(root, "/tmp/bootfix-quarantine.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/Win/Drv && printf faulty > %s/Win/Drv/c-291.sys &&"
		 " touch -d '2024-07-19 04:09:00 UTC' %s/Win/Drv/c-291.sys", root, root, root);
	if (system(cmd) != 0)
		return -1;
	rootfd = open(root, O_RDONLY | O_DIRECTORY);
	return rootfd < 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	close(rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) != 0;
}

static void finding_for(struct finding *f, const char *path)
{
	char full[256];
	struct stat st;
	int fd;

	memset(f, 0, sizeof(*f));
	snprintf(full, sizeof(full), "%s/%s", root, path);
	fd = open(full, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(file_hash(fd, &f->d), 0);
	close(fd);
	f->mtime = st.st_mtim;
	f->path = strdup("Win\\Drv\\c-291.sys");
	f->rule = strdup("r1");
	f->verdict = VERDICT_FAULTY;
}

static void test_move_and_restore(void **state)
{
	struct quarantine_opts o = { .machine = "PC1", .who = "unit" };
	struct finding f, *back = NULL;
	char *folder = NULL, path[512], cmd[600], *manifest;
	size_t n = 0;
	struct stat st;

	(void)state;
	finding_for(&f, "Win/Drv/c-291.sys");
	assert_int_equal(quarantine_move(rootfd, &f, 1, &o, &folder), 0);
	assert_true(f.done);
	assert_string_equal(f.result, "quarantined");
	assert_non_null(folder);
	assert_true(strncmp(folder, "\\bootfix-quarantine\\", 20) == 0);
	snprintf(path, sizeof(path), "%s/Win/Drv/c-291.sys", root);
	assert_int_equal(stat(path, &st), -1);
	/* the manifest is what sha256sum -c accepts */
	snprintf(cmd, sizeof(cmd), "cd %s/bootfix-quarantine/* && sha256sum --quiet -c manifest.txt",
		 root);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "bootfix-quarantine/%s/manifest.txt", folder + 20);
	manifest = file_slurp(rootfd, path, 65536, NULL);
	assert_non_null(manifest);
	assert_non_null(strstr(manifest, "# file Win\\Drv\\c-291.sys\n"));
	assert_non_null(strstr(manifest, "# size 6\n"));
	assert_non_null(strstr(manifest, "# mtime 2024-07-19T04:09:00Z"));
	assert_non_null(strstr(manifest, "SHA256 (Win/Drv/c-291.sys) = "));
	free(manifest);

	assert_int_equal(quarantine_restore(rootfd, NULL, &back, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(back[0].result, "restored");
	snprintf(path, sizeof(path), "%s/Win/Drv/c-291.sys", root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, f.mtime.tv_sec);
	finding_free(&back[0]);
	free(back);

	/* twice is safe */
	assert_int_equal(quarantine_restore(rootfd, NULL, &back, &n), 0);
	assert_string_equal(back[0].result, "already in place");
	finding_free(&back[0]);
	free(back);
	finding_free(&f);
	free(folder);
}

static void test_restore_never_overwrites(void **state)
{
	struct quarantine_opts o = { .machine = "PC1", .who = "unit" };
	struct finding f, *back = NULL;
	char *folder = NULL, path[512];
	size_t n = 0;
	int fd;

	(void)state;
	finding_for(&f, "Win/Drv/c-291.sys");
	assert_int_equal(quarantine_move(rootfd, &f, 1, &o, &folder), 0);
	snprintf(path, sizeof(path), "%s/Win/Drv/c-291.sys", root);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);	/* a new file took its place */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "new", 3), 3);
	close(fd);
	assert_true(quarantine_restore(rootfd, NULL, &back, &n) > 0);
	for (size_t i = 0; i < n; i++) {
		if (back[i].result && strstr(back[i].result, "refused"))
			assert_non_null(strstr(back[i].result, "not overwritten"));
		finding_free(&back[i]);
	}
	free(back);
	finding_free(&f);
	free(folder);
}

static void test_changed_file_is_left(void **state)
{
	struct quarantine_opts o = { .machine = "PC1", .who = "unit" };
	struct finding f;
	char *folder = NULL, path[512];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/Win/Drv/c-291.sys", root);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_int_equal(write(fd, "one", 3), 3);
	close(fd);
	finding_for(&f, "Win/Drv/c-291.sys");
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "two", 3), 3);	/* changed between scan and fix */
	close(fd);
	assert_int_equal(quarantine_move(rootfd, &f, 1, &o, &folder), 1);
	assert_false(f.done);
	assert_string_equal(f.result, "left in place: it changed since the scan");
	assert_int_equal(access(path, F_OK), 0);
	finding_free(&f);
	free(folder);
}

static void test_manifest_entries_checked(void **state)
{
	static const char z[] = "0000000000000000000000000000000000000000000000000000000000000000";
	char text[4096];
	struct finding *f = NULL;
	size_t n = 0;
	int len;

	(void)state;
	len = snprintf(text, sizeof(text),
		       "# bootfix quarantine manifest, version 2\n"
		       "#\n# file Win\\Drv\\good.sys\n# size 6\n# sha256 %s\n"
		       "SHA256 (Win/Drv/good.sys) = %s\n"
		       "#\n# file zz\\..\\..\\host\\x.sys\n# size 6\n# sha256 %s\n"
		       "#\n# file \\etc\\passwd\n# size 6\n# sha256 %s\n"
		       "#\n# file Win\\bad-size.sys\n# size -6\n# sha256 %s\n"
		       "#\n# file Win\\no-sha.sys\n# size 6\n"
		       "#\n# file Win\\nul", z, z, z, z, z);
	/* a NUL inside a path must not shorten it into a different, valid one */
	memcpy(text + len, "\0.sys\n# size 6\n# sha256 ", 25);
	memcpy(text + len + 25, z, 64);
	len += 25 + 64;
	assert_int_equal(quarantine_parse_manifest(text, (size_t)len, &f, &n), 0);
	assert_int_equal(n, 6);
	assert_null(f[0].result);
	assert_true(f[0].confirmed);
	assert_string_equal(f[1].result, "refused: bad manifest entry: it climbs out with ..");
	assert_string_equal(f[2].result, "refused: bad manifest entry: it is absolute");
	assert_string_equal(f[3].result, "refused: bad manifest entry: has a bad size");
	assert_string_equal(f[4].result, "refused: bad manifest entry: has no SHA-256");
	assert_string_equal(f[5].result, "refused: bad manifest entry: has a NUL byte in its path");
	for (size_t i = 0; i < n; i++)
		finding_free(&f[i]);
	free(f);
}

/* Records kept for the log servers: written once, listed, read back, marked sent. */
static void test_kept_records(void **state)
{
	/* the record of the fix that made 20240719T080917Z: it names that folder */
	const char *rec = "{\"schema\":1,\"tool\":\"bootfix\",\"outcome\":\"fixed\",\"volumes\":"
			  "[{\"quarantine\":\"\\\\bootfix-quarantine\\\\20240719T080917Z\"}]}";
	char **folders = NULL, *where = NULL, *line, path[1024];
	size_t len;
	int n;

	(void)state;
	snprintf(path, sizeof(path), "mkdir -p %s/bootfix-quarantine/20240719T080917Z "
		 "%s/bootfix-quarantine/20240719T090000Z %s/bootfix-quarantine/20200101T000000Z && "
		 "ln -s /etc/passwd %s/bootfix-quarantine/20200101T000000Z/record-unsent.jsonl",
		 root, root, root, root);
	assert_int_equal(system(path), 0);
	assert_int_equal(quarantine_keep_record(rootfd, "\\bootfix-quarantine\\20240719T090000Z",
						rec, strlen(rec), &where), 0);
	assert_string_equal(where, "\\bootfix-quarantine\\20240719T090000Z\\record-unsent.jsonl");
	free(where);
	assert_int_equal(quarantine_keep_record(rootfd, "\\bootfix-quarantine\\20240719T080917Z",
						rec, strlen(rec), &where), 0);
	free(where);
	/* never over an existing one; never out of the volume */
	assert_int_equal(quarantine_keep_record(rootfd, "\\bootfix-quarantine\\20240719T080917Z",
						rec, strlen(rec), &where), -1);
	assert_null(where);
	assert_int_equal(quarantine_keep_record(rootfd, "\\bootfix-quarantine\\..\\..",
						rec, strlen(rec), &where), -1);
	/* oldest first; the planted link is listed but never read */
	n = quarantine_unsent(rootfd, &folders);
	assert_int_equal(n, 3);
	assert_string_equal(folders[0], "\\bootfix-quarantine\\20200101T000000Z");
	assert_string_equal(folders[1], "\\bootfix-quarantine\\20240719T080917Z");
	assert_null(quarantine_unsent_read(rootfd, folders[0], &len));
	line = quarantine_unsent_read(rootfd, folders[1], &len);
	assert_non_null(line);
	assert_int_equal(len, strlen(rec));
	assert_string_equal(line, rec);
	free(line);
	/* the same record in another folder is not that folder's fix's: never sent */
	assert_string_equal(folders[2], "\\bootfix-quarantine\\20240719T090000Z");
	assert_null(quarantine_unsent_read(rootfd, folders[2], &len));
	assert_string_equal(err_msg(), "\\bootfix-quarantine\\20240719T090000Z\\record-unsent.jsonl "
			    "is not the record of the fix that made the folder: not sent");
	assert_null(quarantine_unsent_read(rootfd, folders[0], &len));
	assert_string_equal(err_msg(), "\\bootfix-quarantine\\20200101T000000Z\\record-unsent.jsonl "
			    "is a link: not sent");
	/* marked sent: renamed, never over an earlier record-sent.jsonl */
	assert_int_equal(quarantine_unsent_mark(rootfd, folders[1]), 0);
	assert_int_equal(quarantine_keep_record(rootfd, folders[1], rec, strlen(rec), &where), 0);
	free(where);
	assert_int_equal(quarantine_unsent_mark(rootfd, folders[1]), 0);
	snprintf(path, sizeof(path), "test -f %s/bootfix-quarantine/20240719T080917Z/"
		 "record-sent.jsonl && test -f %s/bootfix-quarantine/20240719T080917Z/"
		 "record-sent-2.jsonl && test ! -e %s/bootfix-quarantine/20240719T080917Z/"
		 "record-unsent.jsonl", root, root, root);
	assert_int_equal(system(path), 0);
	for (int i = 0; i < n; i++)
		free(folders[i]);
	free(folders);
	assert_int_equal(quarantine_unsent(rootfd, &folders), 2);
	for (int i = 0; i < 2; i++)
		free(folders[i]);
	free(folders);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest_entries_checked),
		cmocka_unit_test(test_move_and_restore),
		cmocka_unit_test(test_restore_never_overwrites),
		cmocka_unit_test(test_changed_file_is_left),
		cmocka_unit_test(test_kept_records),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
