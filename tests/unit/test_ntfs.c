/*
 * test_ntfs.c - mounting Windows volumes (recovery/ntfs.c) against what
 * ntfs-3g and ntfsrecover answer, without either: stand-ins of the same
 * names, first in PATH, say what the real ones say in each case (a
 * hibernated Windows, fast restart, an unclean journal, a journal that
 * cannot be replayed, fast restart that stays after ntfsrecover -k, a
 * read-only fallback, no NTFS at all) and mount a tmpfs where ntfs-3g
 * would mount the volume.  So every branch of the read-write decision is
 * taken, with the message the operator would read, and every mount is
 * undone.  The stand-in's "device" is a file whose name picks the case.
 *
 * hiberfil.sys is looked at on a plain folder.  The mount tests need root
 * and run in a mount namespace of their own; without root they are skipped.
 */
#include <dirent.h>
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

#include "err.h"
#include "file.h"
#include "fixture.h"
#include "ntfs.h"
#include "proc.h"

/* ntfs-3g -o OPTS DEV DIR, as ntfs-3g 2022.10.3 answers (see classify() in ntfs.c) */
static const char fake_ntfs3g[] =
	"#!/bin/sh\n"
	"opts=$2 dev=$3 dir=$4\n"
	"echo \"$opts\" >> \"$dev.opts\"\n"
	"case ,$opts, in *,ro,*) ro=1 ;; *) ro= ;; esac\n"
	"case ,$opts, in *,remove_hiberfile,*) rh=1 ;; *) rh= ;; esac\n"
	"fallback() { echo 'Falling back to read-only mount because the NTFS partition is in an'\n"
	"  echo 'unsafe state. Please resume and shutdown Windows fully (no hibernation'\n"
	"  echo 'or fast restarting.)'; ro=1; }\n"
	"serve() {\n"
	"  mount -t tmpfs -o size=1m${ro:+,ro} bootfix-test \"$dir\" || exit 9\n"
	"  while grep -q \" $dir \" /proc/self/mountinfo; do sleep 0.05; done\n"
	"  exit 0\n"
	"}\n"
	"[ -n \"$ro\" ] && case ${dev##*/} in notntfs|fails) ;; *) serve ;; esac\n"
	"case ${dev##*/} in\n"
	"ok) serve ;;\n"
	"notntfs) echo 'NTFS signature is missing.'\n"
	"  echo \"Failed to mount '$dev': Invalid argument\"; exit 12 ;;\n"
	"fails) echo \"fuse: device not found, try 'modprobe fuse' first\"; exit 21 ;;\n"
	"hibernated) [ -n \"$rh\" ] && serve\n"
	"  echo 'Windows is hibernated, refused to mount.'; fallback; serve ;;\n"
	"fastrestart*) [ -e \"$dev.killed\" ] && [ \"${dev##*/}\" != fastrestart-stays ] && serve\n"
	"  echo 'Metadata kept in Windows cache, refused to mount.'\n"
	"  [ -n \"$rh\" ] && exit 14; fallback; serve ;;\n"
	"unclean*) [ -e \"$dev.replayed\" ] && [ \"${dev##*/}\" != unclean-stays ] && serve\n"
	"  echo 'The disk contains an unclean file system (0, 0).'\n"
	"  echo 'The file system wasn'\\''t safely closed on Windows. Fixing.'; exit 15 ;;\n"
	"readonly) ro=1; serve ;;\n"
	"esac\n"
	"exit 1\n";

/* ntfsrecover [-n | -k] DEV */
static const char fake_ntfsrecover[] =
	"#!/bin/sh\n"
	"case $1 in\n"
	"-n) case ${2##*/} in\n"
	"  fastrestart*) echo 'Fast restart mode detected'; exit 1 ;;\n"
	"  unreadable) echo 'Failed to read the $LogFile'; exit 1 ;;\n"
	"  killed) kill -9 $$ ;;\n"
	"  esac; exit 0 ;;\n"
	"-k) [ -e \"$2.nokill\" ] && { echo 'Could not clear the fast restart state.'; exit 1; }\n"
	"  : > \"$2.killed\"; exit 0 ;;\n"
	"esac\n"
	"case ${1##*/} in\n"
	"unclean-broken) echo 'Failed to replay the journal: log record damaged.'; exit 1 ;;\n"
	"unclean-mute) exit 1 ;;\n"
	"esac\n"
	": > \"$1.replayed\"; exit 0\n";

static int private_mounts;	/* root, in a mount namespace of our own */
static char base[64];		/* bin/ (the stand-ins), run/, dev/ */
static char run_dir[128], path_with[8400], path_without[8192];
static char root[64];		/* per test: a folder as a volume, and devices */
static int rootfd = -1;

static int group_setup(void **state)
{
	char path[256];

	(void)state;
	if (fixture_tmpdir(base, sizeof(base), "ntfs") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/bin", base);
	if (mkdir(path, 0755) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/bin/ntfs-3g", base);
	if (fixture_file(base, "bin/ntfs-3g", fake_ntfs3g, sizeof(fake_ntfs3g) - 1, 0) < 0 ||
	    chmod(path, 0755) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/bin/ntfsrecover", base);
	if (fixture_file(base, "bin/ntfsrecover", fake_ntfsrecover, sizeof(fake_ntfsrecover) - 1,
			 0) < 0 || chmod(path, 0755) < 0)
		return -1;
	snprintf(run_dir, sizeof(run_dir), "%s/run", base);
	setenv("BOOTFIX_RUN_DIR", run_dir, 1);
	snprintf(path_without, sizeof(path_without), "%s", getenv("PATH") ? getenv("PATH") :
		 "/usr/sbin:/usr/bin:/sbin:/bin");
	snprintf(path_with, sizeof(path_with), "%s/bin:%s", base, path_without);
	setenv("PATH", path_with, 1);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	ntfs_umount_all();
	setenv("PATH", path_without, 1);
	fixture_rm(base);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	if (fixture_tmpdir(root, sizeof(root), "ntfs-vol") < 0)
		return -1;
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return rootfd < 0;
}

static int teardown(void **state)
{
	(void)state;
	close(rootfd);
	fixture_rm(root);
	return 0;
}

/* A stand-in device: a file named for its case, in the test's folder. */
static const char *dev(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	if (access(path, F_OK) < 0)
		assert_int_equal(fixture_file(root, name, "", 0, 0), 0);
	return path;
}

/* Whether a file beside the device says something happened ("killed", "opts"...). */
static int beside(const char *device, const char *what)
{
	char path[300];

	snprintf(path, sizeof(path), "%s.%s", device, what);
	return access(path, F_OK) == 0;
}

/* What ntfs-3g was asked to do, the last time. */
static char *last_opts(const char *device)
{
	char path[300], *text, *last;

	snprintf(path, sizeof(path), "%s.opts", device);
	text = file_slurp(AT_FDCWD, path, 65536, NULL);
	assert_non_null(text);
	text[strlen(text) - 1] = '\0';
	last = strrchr(text, '\n');
	last = strdup(last ? last + 1 : text);
	free(text);
	return last;
}

/* Nothing is left mounted or made in the run folder. */
static void nothing_left(void)
{
	DIR *d = opendir(run_dir);
	struct dirent *e;
	FILE *f;
	struct proc_mount pm;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "mnt.", 4))
			fail_msg("%s/%s left behind", run_dir, e->d_name);
	closedir(d);
	f = proc_mountinfo_open();
	assert_non_null(f);
	while (proc_mountinfo_next(f, &pm))
		if (!strncmp(pm.point, run_dir, strlen(run_dir)))
			fail_msg("%s still mounted", pm.point);
	fclose(f);
}

static void expect_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void expect_err(const char *fmt, ...)
{
	char want[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	assert_string_equal(err_msg(), want);
}

/* ---- hiberfil.sys ---- */

static void test_hibernated(void **state)
{
	static const struct {
		const char *name;
		const char *data;	/* NULL: made by the shell line in make */
		const char *make;
		int want;
	} cases[] = {
		{ "hiberfil.sys", "hibr and a session", NULL, 1 },
		{ "hiberfil.sys", "HIBR", NULL, 1 },
		{ "HiberFil.SYS", "HIBR", NULL, 1 },		/* any case, as Windows */
		{ "hiberfil.sys", "wake", NULL, 0 },		/* resumed: no session kept */
		{ "hiberfil.sys", "Hibr", NULL, 0 },
		{ "hiberfil.sys", "hib", NULL, 0 },		/* three bytes */
		{ "hiberfil.sys", "", NULL, 0 },
		{ "hiberfile.sys", "HIBR", NULL, 0 },
		{ "hiberfil.sys", NULL, "printf HIBR > real; ln -s real hiberfil.sys", 0 },
		{ "hiberfil.sys", NULL, "mkfifo hiberfil.sys", 0 },	/* and no hang */
		{ "hiberfil.sys", NULL, "mkdir hiberfil.sys", 0 },
		{ "hiberfil.sys", NULL, ":", 0 },		/* none at all */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(fixture_sh("cd %s && rm -rf ./* && %s", root,
					    cases[i].make ? cases[i].make : ":"), 0);
		if (cases[i].data)
			assert_int_equal(fixture_file(root, cases[i].name, cases[i].data,
						      strlen(cases[i].data), 0), 0);
		if (ntfs_hibernated(rootfd) != cases[i].want)
			fail_msg("case %zu (%s %s): not %d", i, cases[i].name,
				 cases[i].data ? cases[i].data : cases[i].make, cases[i].want);
	}
}

/* ---- ntfsrecover -n ---- */

static void test_fast_restart_probe(void **state)
{
	char want[512];

	(void)state;
	assert_int_equal(ntfs_fast_restart(dev("fastrestart")), 1);
	assert_int_equal(ntfs_fast_restart(dev("ok")), 0);
	/* a $LogFile ntfsrecover cannot read is ntfs-3g's to judge */
	assert_int_equal(ntfs_fast_restart(dev("unreadable")), 0);
	assert_int_equal(ntfs_fast_restart(dev("killed")), -1);
	snprintf(want, sizeof(want), "cannot tell whether fast restart is on for %s: ntfsrecover "
		 "-n was killed by a signal", dev("killed"));
	assert_string_equal(err_msg(), want);
	/* no ntfsrecover at all */
	setenv("PATH", "/nonexistent", 1);
	assert_int_equal(ntfs_fast_restart(dev("fastrestart")), -1);
	setenv("PATH", path_with, 1);
	snprintf(want, sizeof(want), "cannot tell whether fast restart is on for %s: ntfsrecover "
		 "-n cannot run ntfsrecover: No such file or directory", dev("fastrestart"));
	assert_string_equal(err_msg(), want);
}

/* ---- read-only mounts ---- */

static void test_mount_ro(void **state)
{
	struct ntfs_mount m;
	enum ntfs_problem p = NTFS_FAILED;
	char *opts;
	struct stat st;

	(void)state;
	if (!private_mounts)
		skip();
	assert_int_equal(ntfs_mount_ro(dev("ok"), &m, &p), 0);
	assert_int_equal(p, NTFS_OK);
	assert_int_equal(m.rw, 0);
	assert_true(m.rootfd >= 0);
	assert_true(m.pid > 0);
	assert_string_equal(m.device, dev("ok"));
	assert_true(!strncmp(m.dir, run_dir, strlen(run_dir)));
	assert_int_equal(proc_mountinfo_state(m.dir), 0);
	/* only root reads the volume, and nothing on it is changed */
	opts = last_opts(dev("ok"));
	assert_string_equal(opts, "no_detach,uid=0,gid=0,umask=077,ro,noatime");
	free(opts);
	assert_int_equal(ntfs_umount(&m), 0);
	assert_int_equal(m.dir[0], '\0');
	assert_int_equal(m.rootfd, -1);
	assert_int_equal(ntfs_umount(&m), 0);		/* twice is safe */
	nothing_left();
	assert_int_equal(stat(run_dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

static void test_mount_ro_fails(void **state)
{
	struct ntfs_mount m;
	enum ntfs_problem p = NTFS_OK;

	(void)state;
	if (!private_mounts)
		skip();
	assert_int_equal(ntfs_mount_ro(dev("notntfs"), &m, &p), -1);
	assert_int_equal(p, NTFS_NOT_NTFS);
	expect_err("cannot mount %s read-only: NTFS signature is missing", dev("notntfs"));
	assert_int_equal(m.rootfd, -1);
	assert_int_equal(ntfs_umount(&m), 0);
	assert_int_equal(ntfs_mount_ro(dev("fails"), &m, NULL), -1);
	expect_err("cannot mount %s read-only: fuse: device not found, try 'modprobe fuse' first",
		   dev("fails"));
	setenv("PATH", "/nonexistent", 1);
	assert_int_equal(ntfs_mount_ro(dev("ok"), &m, &p), -1);
	setenv("PATH", path_with, 1);
	assert_int_equal(p, NTFS_FAILED);
	expect_err("cannot mount %s read-only: cannot run ntfs-3g: No such file or directory",
		   dev("ok"));
	nothing_left();
}

/* ---- read-write mounts ---- */

static void test_mount_rw(void **state)
{
	struct ntfs_policy pol = { 0 };
	struct ntfs_steps steps;
	struct ntfs_mount m;
	enum ntfs_problem p;
	char *opts;

	(void)state;
	if (!private_mounts)
		skip();
	memset(&steps, 0xff, sizeof(steps));
	assert_int_equal(ntfs_mount_rw(dev("ok"), &pol, &m, &p, &steps), 0);
	assert_int_equal(p, NTFS_OK);
	assert_int_equal(m.rw, 1);
	assert_int_equal(proc_mountinfo_state(m.dir), 1);
	assert_int_equal(steps.replayed_journal, 0);
	assert_int_equal(steps.killed_fast_restart, 0);
	assert_int_equal(steps.discarded_hibernation, 0);
	/* ntfs-3g's own "recovery" would reset the journal */
	opts = last_opts(dev("ok"));
	assert_string_equal(opts, "no_detach,uid=0,gid=0,umask=077,rw,norecover,noatime");
	free(opts);
	assert_int_equal(ntfs_umount(&m), 0);
	nothing_left();
}

static void test_mount_rw_hibernated(void **state)
{
	struct ntfs_policy pol = { 0 };
	struct ntfs_steps steps;
	struct ntfs_mount m;
	enum ntfs_problem p;
	const char *d = NULL;
	char *opts;

	(void)state;
	if (!private_mounts)
		skip();
	d = dev("hibernated");
	/* ntfs-3g fell back to read-only and said why: refused, unmounted */
	assert_int_equal(ntfs_mount_rw(d, &pol, &m, &p, &steps), -1);
	assert_int_equal(p, NTFS_HIBERNATED);
	expect_err("refusing to change %s: Windows is hibernated on it; fixing would lose the "
		   "hibernated session (--discard-hibernation accepts that)", d);
	nothing_left();
	/* the operator accepts losing the session */
	pol.discard_hibernation = 1;
	assert_int_equal(ntfs_mount_rw(d, &pol, &m, &p, &steps), 0);
	assert_int_equal(m.rw, 1);
	assert_int_equal(steps.discarded_hibernation, 1);
	opts = last_opts(d);
	assert_non_null(strstr(opts, ",remove_hiberfile"));
	free(opts);
	assert_int_equal(ntfs_umount(&m), 0);
	nothing_left();
}

static void test_mount_rw_fast_restart(void **state)
{
	struct ntfs_policy pol = { 0 };
	struct ntfs_steps steps;
	struct ntfs_mount m;
	enum ntfs_problem p;
	const char *d;

	(void)state;
	if (!private_mounts)
		skip();
	d = dev("fastrestart");
	assert_int_equal(ntfs_mount_rw(d, &pol, &m, &p, &steps), -1);
	assert_int_equal(p, NTFS_FAST_RESTART);
	expect_err("refusing to change %s: Windows fast restart keeps metadata cached for it "
		   "(--kill-fast-restart drops the pending changes)", d);
	assert_false(beside(d, "killed"));
	/* with remove_hiberfile ntfs-3g exits 14, as for hibernation: its words decide */
	pol.discard_hibernation = 1;
	assert_int_equal(ntfs_mount_rw(d, &pol, &m, &p, &steps), -1);
	assert_int_equal(p, NTFS_FAST_RESTART);
	assert_false(beside(d, "killed"));
	nothing_left();
	/* the operator drops the pending changes: ntfsrecover -k, then mounted */
	pol.discard_hibernation = 0;
	pol.kill_fast_restart = 1;
	assert_int_equal(ntfs_mount_rw(d, &pol, &m, &p, &steps), 0);
	assert_true(beside(d, "killed"));
	assert_int_equal(steps.killed_fast_restart, 1);
	assert_int_equal(steps.replayed_journal, 0);
	assert_int_equal(m.rw, 1);
	assert_int_equal(ntfs_umount(&m), 0);
	nothing_left();
}

static void test_mount_rw_fast_restart_stays(void **state)
{
	struct ntfs_policy pol = { .kill_fast_restart = 1 };
	struct ntfs_steps steps;
	struct ntfs_mount m;
	enum ntfs_problem p;
	const char *d;

	(void)state;
	if (!private_mounts)
		skip();
	d = dev("fastrestart-stays");
	assert_int_equal(ntfs_mount_rw(d, &pol, &m, &p, &steps), -1);
	assert_int_equal(p, NTFS_FAST_RESTART);
	expect_err("cannot mount %s read-write: fast restart state remains after ntfsrecover -k: "
		   "metadata kept in Windows cache, refused to mount", d);
	nothing_left();
	/* ntfsrecover -k itself fails */
	d = dev("fastrestart");
	assert_int_equal(fixture_sh("touch %s.nokill", d), 0);
	assert_int_equal(ntfs_mount_rw(d, &pol, &m, &p, &steps), -1);
	assert_int_equal(p, NTFS_FAST_RESTART);
	expect_err("cannot clear fast restart state of %s: ntfsrecover -k failed: could not clear "
		   "the fast restart state", d);
	assert_int_equal(steps.killed_fast_restart, 0);
	nothing_left();
}

static void test_mount_rw_unclean(void **state)
{
	struct ntfs_policy pol = { 0 };
	struct ntfs_steps steps;
	struct ntfs_mount m;
	enum ntfs_problem p;
	const char *d;

	(void)state;
	if (!private_mounts)
		skip();
	/* replayed with ntfsrecover (not ntfs-3g's reset), then mounted */
	d = dev("unclean");
	assert_int_equal(ntfs_mount_rw(d, &pol, &m, &p, &steps), 0);
	assert_true(beside(d, "replayed"));
	assert_int_equal(steps.replayed_journal, 1);
	assert_int_equal(m.rw, 1);
	assert_int_equal(ntfs_umount(&m), 0);
	nothing_left();
	d = dev("unclean-stays");
	assert_int_equal(ntfs_mount_rw(d, &pol, &m, &p, &steps), -1);
	assert_int_equal(p, NTFS_UNCLEAN);
	expect_err("cannot mount %s read-write: the journal is still unclean after ntfsrecover: "
		   "the disk contains an unclean file system (0, 0)", d);
	nothing_left();
	d = dev("unclean-broken");
	assert_int_equal(ntfs_mount_rw(d, &pol, &m, &p, &steps), -1);
	assert_int_equal(p, NTFS_UNCLEAN);
	expect_err("refusing to change %s: its journal could not be replayed (ntfsrecover: failed "
		   "to replay the journal: log record damaged); boot Windows' own recovery or run "
		   "chkdsk", d);
	assert_int_equal(steps.replayed_journal, 0);
	/* an ntfsrecover that fails without a word still says how */
	d = dev("unclean-mute");
	assert_int_equal(ntfs_mount_rw(d, &pol, &m, &p, &steps), -1);
	expect_err("refusing to change %s: its journal could not be replayed (ntfsrecover: exit "
		   "status 1); boot Windows' own recovery or run chkdsk", d);
	nothing_left();
}

static void test_mount_rw_other_failures(void **state)
{
	struct ntfs_policy pol = { .discard_hibernation = 1, .kill_fast_restart = 1 };
	struct ntfs_steps steps;
	struct ntfs_mount m;
	enum ntfs_problem p;

	(void)state;
	if (!private_mounts)
		skip();
	/* mounted read-only with no word why: a read-only device */
	assert_int_equal(ntfs_mount_rw(dev("readonly"), &pol, &m, &p, &steps), -1);
	assert_int_equal(p, NTFS_READONLY);
	expect_err("cannot mount %s read-write: the device is read-only or ntfs-3g would only "
		   "mount it read-only", dev("readonly"));
	nothing_left();
	assert_int_equal(ntfs_mount_rw(dev("notntfs"), &pol, &m, &p, &steps), -1);
	assert_int_equal(p, NTFS_NOT_NTFS);
	expect_err("cannot mount %s: not an NTFS volume: NTFS signature is missing", dev("notntfs"));
	assert_int_equal(ntfs_mount_rw(dev("fails"), &pol, &m, &p, &steps), -1);
	assert_int_equal(p, NTFS_FAILED);
	expect_err("cannot mount %s read-write: fuse: device not found, try 'modprobe fuse' first",
		   dev("fails"));
	nothing_left();
}

/* What a signal path calls: every mount still held goes. */
static void test_umount_all(void **state)
{
	struct ntfs_mount a, b;
	enum ntfs_problem p;
	char dir[256];

	(void)state;
	if (!private_mounts)
		skip();
	assert_int_equal(ntfs_mount_ro(dev("ok"), &a, &p), 0);
	assert_int_equal(ntfs_mount_ro(dev("ok"), &b, &p), 0);
	assert_string_not_equal(a.dir, b.dir);
	snprintf(dir, sizeof(dir), "%s", b.dir);
	ntfs_adopt(&b);		/* b's storage may go: a copy is kept */
	memset(&b, 0, sizeof(b));
	ntfs_umount_all();
	assert_int_equal(proc_mountinfo_state(dir), -1);
	assert_int_equal(a.dir[0], '\0');
	nothing_left();
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hibernated),
		T(test_fast_restart_probe),
		T(test_mount_ro),
		T(test_mount_ro_fails),
		T(test_mount_rw),
		T(test_mount_rw_hibernated),
		T(test_mount_rw_fast_restart),
		T(test_mount_rw_fast_restart_stays),
		T(test_mount_rw_unclean),
		T(test_mount_rw_other_failures),
		T(test_umount_all),
	};

	private_mounts = fixture_private_mounts();
	if (!private_mounts)
		fprintf(stderr, "test_ntfs: not root: the mount tests are skipped\n");
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
