/*
 * test_front.c - the layer the fronts share (front.c, cmocka): a verb
 * entry's options and operands as front_verb_run() hands them over, sizes
 * as the list and the CLI print them, the data folder, and the setup of
 * front_begin() with a stick's bootfix.conf and rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "err.h"
#include "front.h"
#include "text.h"

/* ---- verbs ---- */

static struct front_args seen;	/* what exec was given, copied */
static const char *seen_values[8];
static int seen_ch[8];
static int execs;

static int record_exec(const struct front_verb *self, struct front_args *a)
{
	(void)self;
	execs++;
	seen = *a;
	for (size_t i = 0; i < a->nopt && i < 8; i++) {
		seen_ch[i] = a->opt[i].ch;
		seen_values[i] = a->opt[i].value;
	}
	seen.opt = NULL;	/* freed after exec returns */
	return 42;
}

static const struct option opts[] = {
	{ "device", required_argument, NULL, 'd' },
	{ "pubkey", required_argument, NULL, 'k' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct front_verb one = {
	.name = "one", .usage = "bootfix one [--device X] [--pubkey F]... [--json] FILE",
	.shortopts = "d:k:jh", .longopts = opts, .lower = 1, .upper = 1,
	.exec = record_exec,
};

static const struct front_verb raw = {
	.name = "raw", .alias = "--raw", .usage = "bootfix raw ANYTHING...",
	.exec = record_exec,
};

static int run(const struct front_verb *v, const char *const *words)
{
	static char *argv[16];	/* exec's operands point into it after the run */
	int argc = 0;

	while (words[argc]) {
		argv[argc] = (char *)words[argc];
		argc++;
	}
	argv[argc] = NULL;
	execs = 0;
	memset(&seen, 0, sizeof(seen));
	return front_verb_run(v, argc, argv);
}

static void test_verb_options(void **state)
{
	struct front_args a;
	struct front_opt o[4];

	(void)state;
	assert_int_equal(run(&one, (const char *[]){ "one", "--pubkey", "a.pem", "-j", "--device",
						     "d.img", "-k", "b.pem", "log.jsonl", NULL }),
			 42);
	assert_int_equal(execs, 1);
	assert_int_equal(seen.nopt, 4);
	assert_int_equal(seen.argc, 1);
	assert_string_equal(seen.argv[0], "log.jsonl");
	/* in the order given, flags with "" */
	assert_int_equal(seen_ch[0], 'k');
	assert_string_equal(seen_values[0], "a.pem");
	assert_int_equal(seen_ch[1], 'j');
	assert_string_equal(seen_values[1], "");
	/* front_arg: the last one; front_arg_nth: each in turn */
	for (size_t i = 0; i < 4; i++) {
		o[i].ch = seen_ch[i];
		o[i].value = seen_values[i];
	}
	a.opt = o;
	a.nopt = 4;
	assert_string_equal(front_arg(&a, 'd'), "d.img");
	assert_string_equal(front_arg(&a, 'k'), "b.pem");
	assert_string_equal(front_arg(&a, 'j'), "");
	assert_null(front_arg(&a, 'o'));
	assert_string_equal(front_arg_nth(&a, 'k', 0), "a.pem");
	assert_string_equal(front_arg_nth(&a, 'k', 1), "b.pem");
	assert_null(front_arg_nth(&a, 'k', 2));
}

static void test_verb_usage(void **state)
{
	(void)state;
	/* --help: the usage on stdout, exec not run, exit 0 */
	assert_int_equal(run(&one, (const char *[]){ "one", "--help", NULL }), FRONT_EXIT_OK);
	assert_int_equal(execs, 0);
	/* an unknown option, a missing argument, too many or too few operands: 2 */
	assert_int_equal(run(&one, (const char *[]){ "one", "--bogus", "f", NULL }),
			 FRONT_EXIT_USAGE);
	assert_int_equal(run(&one, (const char *[]){ "one", "f", "--device", NULL }),
			 FRONT_EXIT_USAGE);
	assert_int_equal(run(&one, (const char *[]){ "one", "f", "g", NULL }), FRONT_EXIT_USAGE);
	assert_int_equal(run(&one, (const char *[]){ "one", "-j", NULL }), FRONT_EXIT_USAGE);
	assert_int_equal(execs, 0);
	/* "--" ends the options: a file may begin with a dash */
	assert_int_equal(run(&one, (const char *[]){ "one", "--", "-j", NULL }), 42);
	assert_string_equal(seen.argv[0], "-j");
	assert_int_equal(seen.nopt, 0);
}

static void test_verb_raw(void **state)
{
	const struct front_verb *table[] = { &one, &raw };

	(void)state;
	/* without shortopts exec gets every word after the verb, options or not */
	assert_int_equal(run(&raw, (const char *[]){ "raw", "check", "--help", "-x", NULL }), 42);
	assert_int_equal(seen.argc, 3);
	assert_string_equal(seen.argv[1], "--help");
	assert_int_equal(seen.nopt, 0);
	assert_ptr_equal(front_verb_find(table, 2, "one"), &one);
	assert_ptr_equal(front_verb_find(table, 2, "--raw"), &raw);
	assert_null(front_verb_find(table, 2, "two"));
}

/* ---- sizes ---- */

static void test_size(void **state)
{
	char buf[32];

	(void)state;
	text_size(512, buf, sizeof(buf));
	assert_string_equal(buf, "512 B");
	text_size(1024, buf, sizeof(buf));
	assert_string_equal(buf, "1.0 KiB");
	/* the menu's list and the CLI print a volume alike */
	text_size(32ULL << 20, buf, sizeof(buf));
	assert_string_equal(buf, "32.0 MiB");
	text_size(1000204886016ULL, buf, sizeof(buf));
	assert_string_equal(buf, "931.5 GiB");
	text_size(5ULL << 50, buf, sizeof(buf));
	assert_string_equal(buf, "5120.0 TiB");
}

/* ---- the data folder, rules, front_begin() ---- */

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/bootfix-front.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) != 0;
}

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_data_dir(void **state)
{
	(void)state;
	unsetenv("BOOTFIX_DATA");
	assert_null(front_data_dir(NULL));
	setenv("BOOTFIX_DATA", "", 1);
	assert_null(front_data_dir(NULL));
	setenv("BOOTFIX_DATA", "/data", 1);
	assert_string_equal(front_data_dir(NULL), "/data");
	assert_string_equal(front_data_dir("given"), "given");
	unsetenv("BOOTFIX_DATA");
}

static void test_begin(void **state)
{
	char path[256];
	struct front f;

	(void)state;
	snprintf(path, sizeof(path), "%s/builtin", dir);
	mkdir(path, 0755);
	setenv("BOOTFIX_RULES_DIR", path, 1);
	snprintf(path, sizeof(path), "%s/data", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/data/rules", dir);
	mkdir(path, 0755);

	/* no rule anywhere: cannot run, and says where it looked */
	memset(&f, 0, sizeof(f));
	snprintf(path, sizeof(path), "%s/data", dir);
	setenv("BOOTFIX_DATA", path, 1);
	assert_int_equal(front_begin(&f, FRONT_DATA_ENV), FRONT_EXIT_CANNOT);
	assert_string_equal(f.eo.data_dir, path);
	assert_non_null(strstr(err_msg(), "no rules loaded from "));
	front_end(&f);

	/* a stick with one rule and a bootfix.conf naming the operator */
	put("data/rules/one.rules", "[r1]\ndirectory = Windows\\System32\nname = x.sys\n"
	    "verdict = faulty\n");
	put("data/bootfix.conf", "operator = Ana Lima\nsite = Ward 3\ncolour = red\n");
	memset(&f, 0, sizeof(f));
	f.eo.site = "given site";
	assert_int_equal(front_begin(&f, FRONT_DATA_ENV), FRONT_EXIT_OK);
	assert_int_equal(f.rules.n, 1);
	assert_ptr_equal(f.eo.rules, &f.rules);
	assert_ptr_equal(f.eo.stop, &front_stop);
	/* the conf fills what the command line left out, and its problems are kept */
	assert_string_equal(f.eo.operator_name, "Ana Lima");
	assert_string_equal(f.eo.site, "given site");
	assert_int_equal(f.rec.conf.nproblems, 1);
	front_end(&f);
	assert_null(f.eo.operator_name);
	assert_string_equal(f.eo.site, "given site");

	/* without FRONT_DATA_ENV the environment is not the data folder */
	memset(&f, 0, sizeof(f));
	assert_int_equal(front_begin(&f, 0), FRONT_EXIT_CANNOT);
	assert_null(f.eo.data_dir);
	front_end(&f);

	/* a malformed rule file: a usage error (2), as bootfix rules check says */
	put("data/rules/bad.rules", "[r2]\ndirectory = Windows\nname = y.sys\nverdict = maybe\n");
	memset(&f, 0, sizeof(f));
	assert_int_equal(front_begin(&f, FRONT_DATA_ENV), FRONT_EXIT_USAGE);
	front_end(&f);
	unsetenv("BOOTFIX_DATA");
	unsetenv("BOOTFIX_RULES_DIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verb_options),
		cmocka_unit_test(test_verb_usage),
		cmocka_unit_test(test_verb_raw),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_data_dir),
		cmocka_unit_test(test_begin),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
