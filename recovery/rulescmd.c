/*
 * rulescmd.c - `bootfix rules check FILE...`: say what is wrong with rule
 * files before they go on a stick (docs/rules.md).  Exit codes: 0 every
 * file good, 2 a file has problems (each said on stderr), 3 a file cannot
 * be read.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "front.h"
#include "rules.h"
#include "rulescmd.h"
#include "text.h"

static void print_problem(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", text_safe(msg));	/* a rule file is hostile input */
}

static int exec(const struct front_verb *self, struct front_args *a)
{
	int bad = 0, cannot = 0;

	/* the words are file names: none is taken as an option */
	if (a->argc < 2 || strcmp(a->argv[0], "check"))
		return front_usage(self);
	for (int i = 1; i < a->argc; i++) {
		struct ruleset rs = { 0 };
		int n = rules_load_file(&rs, a->argv[i], print_problem, NULL);

		if (n < 0) {
			fprintf(stderr, "bootfix: %s\n", text_safe(err_msg()));
			cannot = 1;
		} else if (n > 0) {
			bad = 1;
		} else {
			printf("%s: %zu rule%s ok\n", a->argv[i], rs.n, rs.n == 1 ? "" : "s");
		}
		rules_free(&rs);
	}
	return bad ? FRONT_EXIT_USAGE : cannot ? FRONT_EXIT_CANNOT : FRONT_EXIT_OK;
}

const struct front_verb rulescmd_verb = {
	.name = "rules",
	.usage = "bootfix rules check FILE...",
	.exec = exec,
};
