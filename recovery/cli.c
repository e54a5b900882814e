/*
 * cli.c - main() and the table of verbs: `bootfix VERB [options]`.
 *
 * Each verb is an entry (front.h's struct front_verb, after tmux's
 * cmd_entry) defined in its own front: scan, fix and restore in fixcmd.c,
 * rules in rulescmd.c, log in logcmd.c, unlock in unlockcmd.c, menu in
 * menu.c, auto in auto.c, hw in hwcmd.c; version and help are here because they read the
 * table.  Exit codes are front.h's (bootfix(8), EXIT STATUS).
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auto.h"
#include "err.h"
#include "fixcmd.h"
#include "front.h"
#include "hwcmd.h"
#include "logcmd.h"
#include "menu.h"
#include "ntfs.h"
#include "rulescmd.h"
#include "unlockcmd.h"
#include "version.h"

static int exec_version(const struct front_verb *self, struct front_args *a);
static int exec_help(const struct front_verb *self, struct front_args *a);

static const struct front_verb version_verb = {
	.name = "version", .alias = "--version",
	.usage = "bootfix version",
	.exec = exec_version,
};

static const struct front_verb help_verb = {
	.name = "help", .alias = "--help",
	.usage = "bootfix help",
	.exec = exec_help,
};

/* In the order `bootfix help` shows them. */
static const struct front_verb *const verbs[] = {
	&fixcmd_scan_verb, &fixcmd_fix_verb, &fixcmd_restore_verb, &rulescmd_verb, &logcmd_verb,
	&unlockcmd_verb, &hwcmd_verb, &menu_verb, &auto_verb, &version_verb, &help_verb,
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

static int exec_version(const struct front_verb *self, struct front_args *a)
{
	(void)self;
	(void)a;
	printf("bootfix %s\n", BOOTFIX_VERSION);
	return FRONT_EXIT_OK;
}

static int exec_help(const struct front_verb *self, struct front_args *a)
{
	(void)self;
	(void)a;
	printf("bootfix %s - find and quarantine the files that keep Windows from booting\n\n",
	       BOOTFIX_VERSION);
	for (size_t i = 0; i < NVERBS; i++)
		printf("  %s\n", verbs[i]->usage);
	printf("\nSee bootfix(8).\n");
	return FRONT_EXIT_OK;
}

/*
 * The verbs that mount Windows volumes (FRONT_MOUNTS) do it in a mount
 * namespace of their own, made here before any thread starts: other users
 * and processes of the machine never see the volume (docs/security.md).
 * `unlock` is left out: what it maps is for the person at the shell.
 */
static void private_mounts(const struct front_verb *v)
{
	if (v && (v->flags & FRONT_MOUNTS) && geteuid() == 0 && ntfs_private_mounts() < 0)
		fprintf(stderr, "bootfix: warning: %s: volumes will be visible to this machine's "
			"other users\n", err_msg());
}

int main(int argc, char **argv)
{
	const struct front_verb *v;

	setlocale(LC_CTYPE, "C.UTF-8");
	if (argc < 2) {
		/* a technician at a console: the menu; anything else: the usage */
		private_mounts(&menu_verb);
		if (isatty(0) && isatty(1))
			return front_verb_run(&menu_verb, argc, argv);
		exec_help(&help_verb, NULL);
		return FRONT_EXIT_USAGE;
	}
	v = front_verb_find(verbs, NVERBS, !strcmp(argv[1], "-h") ? "help" : argv[1]);
	private_mounts(v);
	if (v)
		return front_verb_run(v, argc - 1, argv + 1);
	fprintf(stderr, "bootfix: unknown verb '%s' (try 'bootfix help')\n", argv[1]);
	return FRONT_EXIT_USAGE;
}
