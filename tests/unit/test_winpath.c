/*
 * test_winpath.c - case-insensitive Windows path resolution (cmocka).
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "winpath.h"

static char root[64];
static int rootfd;

static int setup(void **state)
{
	char cmd[1024];

	(void)state;
	strcpy(root, "/tmp/bootfix-winpath.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/WINDOWS/system32/Drivers %s/Elsewhere && "
		 "echo x > %s/WINDOWS/system32/Drivers/A.SYS && "
		 "ln -s ../Elsewhere %s/WINDOWS/Link && mkdir -p %s/Caf\xc3\x89", root, root, root,
		 root, root);
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

static void test_resolves_any_case(void **state)
{
	char *real = NULL;
	int fd;

	(void)state;
	fd = winpath_opendir(rootfd, "Windows\\System32\\drivers", &real);
	assert_true(fd >= 0);
	assert_string_equal(real, "WINDOWS\\system32\\Drivers");
	free(real);
	close(fd);
	fd = winpath_openfile(rootfd, "windows/SYSTEM32/DRIVERS/a.sys", O_RDONLY, &real);
	assert_true(fd >= 0);
	assert_string_equal(real, "WINDOWS\\system32\\Drivers\\A.SYS");
	free(real);
	close(fd);
}

static void test_refuses_links_and_dots(void **state)
{
	(void)state;
	assert_int_equal(winpath_opendir(rootfd, "Windows\\Link", NULL), -1);
	assert_true(errno == ELOOP || errno == ENOTDIR);	/* O_NOFOLLOW|O_DIRECTORY */
	assert_int_equal(winpath_opendir(rootfd, "Windows\\..\\Elsewhere", NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(winpath_opendir(rootfd, "Windows\\Nothing", NULL), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(winpath_openfile(rootfd, "Windows\\System32", O_RDONLY, NULL), -1);
	assert_int_equal(errno, EISDIR);
}

static void test_unicode_case(void **state)
{
	char *name;

	(void)state;
	assert_int_equal(winpath_namecmp("caf\xc3\xa9", "CAF\xc3\x89"), 0);
	assert_int_not_equal(winpath_namecmp("cafe", "caf\xc3\xa9"), 0);
	assert_int_not_equal(winpath_namecmp("abc", "abcd"), 0);
	name = winpath_lookup(rootfd, "caf\xc3\xa9");
	assert_non_null(name);
	assert_string_equal(name, "Caf\xc3\x89");
	free(name);
}

static void test_separators(void **state)
{
	char *p = winpath_to_posix("a\\b\\c"), *w = winpath_from_posix("a/b/c");

	(void)state;
	assert_string_equal(p, "a/b/c");
	assert_string_equal(w, "a\\b\\c");
	free(p);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolves_any_case),
		cmocka_unit_test(test_refuses_links_and_dots),
		cmocka_unit_test(test_unicode_case),
		cmocka_unit_test(test_separators),
	};

	setlocale(LC_CTYPE, "C.UTF-8");
	return cmocka_run_group_tests(tests, setup, teardown);
}
