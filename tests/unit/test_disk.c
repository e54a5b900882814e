/*
 * test_disk.c - disks, partitions and image files (recovery/disk.c): which
 * names are no hardware, what is a disk, and, with real loop devices over
 * an image the test makes (two partitions, one of them ext2), attaching,
 * listing the volumes in partition order, what holds a device (a mount, an
 * exclusive open), an image attached twice or locked by a virtual machine,
 * and the run folder's record of each loop device.
 *
 * The loop tests need root and run in a mount namespace of their own;
 * without root they are skipped.  The whole machine's disks are not listed:
 * probing other tests' loop devices would hold them open.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fs.h>

#include <cmocka.h>

#include "disk.h"
#include "err.h"
#include "file.h"
#include "fixture.h"

static int private_mounts;	/* root, in a mount namespace of our own */
static char root[64];		/* per test: img, run/, m/ */
static char img[128], run_dir[128];

static int setup(void **state)
{
	(void)state;
	if (fixture_tmpdir(root, sizeof(root), "disk") < 0)
		return -1;
	snprintf(img, sizeof(img), "%s/disk.img", root);
	/* MBR: p1 4 MiB (NTFS type, empty), p2 8 MiB ext2 labelled WINLABEL */
	return fixture_sh("set -e; cd %s; truncate -s 16M disk.img; "
			  "printf 'label: dos\\n1MiB,4MiB,7\\n5MiB,8MiB,83\\n' | sfdisk -q disk.img; "
			  "mkfs.ext2 -q -F -L WINLABEL -E offset=5242880 disk.img 8192", root);
}

static int teardown(void **state)
{
	(void)state;
	fixture_rm(root);
	return 0;
}

/* ---- names ---- */

static void test_virtual(void **state)
{
	static const char *const virt[] = { "loop0", "loop12p2", "ram0", "zram0", "dm-3", "md127",
					    "sr0", "fd0", "nbd0" };
	static const char *const hard[] = { "sda", "sdb3", "nvme0n1", "nvme0n1p2", "vda",
					    "mmcblk0", "mmcblk0p1", "xvda", "hda" };
	char *model, *serial;

	(void)state;
	for (size_t i = 0; i < sizeof(virt) / sizeof(virt[0]); i++)
		if (!disk_virtual(virt[i]))
			fail_msg("%s taken for hardware", virt[i]);
	for (size_t i = 0; i < sizeof(hard) / sizeof(hard[0]); i++)
		if (disk_virtual(hard[i]))
			fail_msg("%s taken for no hardware", hard[i]);
	/* no hardware, nothing to name; nothing at all, nothing either */
	disk_ids("loop0", &model, &serial);
	assert_null(model);
	assert_null(serial);
	disk_ids(NULL, &model, &serial);
	assert_null(model);
	assert_null(serial);
	disk_ids("sdzz-no-such-disk", &model, &serial);
	assert_null(model);
	assert_null(serial);
}

static void test_info_unknown(void **state)
{
	struct diskinfo di;
	struct dirent *e;
	char climb[80] = "";
	uint64_t size = 0;
	DIR *d;

	(void)state;
	assert_int_equal(disk_info("sdzz-no-such-disk", &di), 0);
	assert_string_equal(di.name, "sdzz-no-such-disk");
	assert_null(di.model);
	assert_null(di.serial);
	assert_int_equal(di.size, 0);
	diskinfo_free(&di);
	assert_null(di.name);
	/* a name with a '/' reads nothing, not even the disk it leads back to */
	d = opendir("/sys/class/block");
	while (d && (e = readdir(d)) && !size) {
		if (e->d_name[0] == '.' || strlen(e->d_name) > 64)
			continue;
		assert_int_equal(disk_info(e->d_name, &di), 0);
		size = di.size;
		diskinfo_free(&di);
		snprintf(climb, sizeof(climb), "../block/%s", e->d_name);
	}
	if (d)
		closedir(d);
	if (!size)
		return;		/* no block device with a size here */
	assert_int_equal(disk_info(climb, &di), 0);
	assert_string_equal(di.name, climb);
	assert_null(di.model);
	assert_null(di.serial);
	assert_int_equal(di.size, 0);
	diskinfo_free(&di);
}

static void test_is_blockdev(void **state)
{
	char want[256];

	(void)state;
	assert_int_equal(disk_is_blockdev(img), 0);
	assert_int_equal(disk_is_blockdev(root), -1);
	snprintf(want, sizeof(want), "cannot use %s: not a disk, partition or image file", root);
	assert_string_equal(err_msg(), want);
	assert_int_equal(disk_is_blockdev("/dev/null"), -1);
	assert_int_equal(disk_is_blockdev("/nonexistent.img"), -1);
	assert_string_equal(err_msg(), "cannot use /nonexistent.img: No such file or directory");
	if (access("/dev/loop0", F_OK) == 0)
		assert_int_equal(disk_is_blockdev("/dev/loop0"), 1);
}

/* What is not a block device is never busy (an image file is checked by attaching). */
static void test_busy_not_blockdev(void **state)
{
	char why[256] = "x";

	(void)state;
	assert_int_equal(disk_busy(img, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(disk_busy("/dev/null", why, sizeof(why)), 0);
	assert_int_equal(disk_busy("/nonexistent", why, sizeof(why)), 0);
}

static void test_volumes_refuses(void **state)
{
	struct blockdev *b = (struct blockdev *)1;
	size_t n = 9;
	char want[256];

	(void)state;
	assert_int_equal(disk_volumes(img, &b, &n), -1);
	snprintf(want, sizeof(want), "cannot use %s: not a block device", img);
	assert_string_equal(err_msg(), want);
	assert_null(b);
	assert_int_equal(n, 0);
	assert_int_equal(disk_volumes("/nonexistent", &b, &n), -1);
	assert_string_equal(err_msg(), "cannot use /nonexistent: No such file or directory");
}

/* ---- loop devices ---- */

static void test_loop_attach(void **state)
{
	struct loopdev lo;
	struct diskinfo di;
	char *model, *serial, path[256];
	int fd, ro = 0;

	(void)state;
	if (!private_mounts)
		skip();
	fd = open(img, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(disk_loop_attach(fd, img, "shown-name", 1, 0, &lo), 0);
	close(fd);		/* the loop device holds the file */
	assert_true(lo.fd >= 0);
	assert_true(!strncmp(lo.name, "loop", 4));
	snprintf(path, sizeof(path), "/dev/%s", lo.name);
	assert_string_equal(lo.path, path);
	assert_int_equal(ioctl(lo.fd, BLKROGET, &ro), 0);
	assert_int_equal(ro, 1);
	/* no partition scan asked: no partitions */
	snprintf(path, sizeof(path), "/sys/class/block/%s/%sp1", lo.name, lo.name);
	assert_int_not_equal(access(path, F_OK), 0);
	/* sysfs names the backing file; a loop device names no hardware */
	assert_int_equal(disk_info(lo.name, &di), 0);
	assert_int_equal(di.size, 16 << 20);
	assert_string_equal(di.serial, img);
	diskinfo_free(&di);
	disk_ids(lo.name, &model, &serial);
	assert_null(model);
	assert_null(serial);
	/* gone once detached (another test may take the device at once: then
	   it is backed by something else) */
	disk_loop_detach(&lo.fd);
	assert_int_equal(lo.fd, -1);
	assert_int_equal(disk_info(lo.name, &di), 0);
	assert_true(!di.serial || strcmp(di.serial, img));
	diskinfo_free(&di);
	disk_loop_detach(&lo.fd);		/* twice: nothing */
}

static void test_loop_attach_bad_fd(void **state)
{
	struct loopdev lo;
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	if (!private_mounts) {
		close(fd);
		skip();
	}
	assert_int_equal(disk_loop_attach(fd, "a folder", "a folder", 1, 0, &lo), -1);
	assert_int_equal(lo.fd, -1);
	assert_string_equal(lo.name, "");
	assert_true(!strncmp(err_msg(), "cannot attach a folder to /dev/loop", 35));
	close(fd);
}

/* The image's partitions, in order, probed; and the run folder knows the loop device. */
static void test_attach_and_list(void **state)
{
	struct loopdev lo;
	struct blockdev *b;
	size_t n;
	char path[300], *text;

	(void)state;
	if (!private_mounts)
		skip();
	assert_int_equal(disk_attach(img, 1, &lo), 0);
	snprintf(path, sizeof(path), "%s/state.%d", run_dir, (int)getpid());
	text = file_slurp(AT_FDCWD, path, 65536, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, lo.path));
	free(text);

	assert_int_equal(disk_volumes(lo.path, &b, &n), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%sp%zu", lo.name, i + 1);
		assert_string_equal(b[i].name, path);
		snprintf(path, sizeof(path), "/dev/%sp%zu", lo.name, i + 1);
		assert_string_equal(b[i].path, path);
		assert_string_equal(b[i].disk, lo.name);
		assert_int_equal(b[i].partno, (int)i + 1);
	}
	assert_int_equal(b[0].size, 4 << 20);
	assert_null(b[0].fstype);		/* typed NTFS in the table, nothing in it */
	assert_int_equal(b[1].size, 8 << 20);
	assert_string_equal(b[1].fstype, "ext2");
	assert_string_equal(b[1].label, "WINLABEL");
	assert_non_null(b[1].uuid);
	disk_free(b, n);

	/* one partition named: that one alone, of its disk */
	snprintf(path, sizeof(path), "%sp2", lo.path);
	assert_int_equal(disk_volumes(path, &b, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(b[0].path, path);
	assert_string_equal(b[0].disk, lo.name);
	assert_int_equal(b[0].partno, 2);
	disk_free(b, n);

	disk_detach(&lo);
	assert_int_equal(lo.fd, -1);
	disk_detach(&lo);
	snprintf(path, sizeof(path), "%s/state.%d", run_dir, (int)getpid());
	text = file_slurp(AT_FDCWD, path, 65536, NULL);
	assert_true(!text || !strstr(text, "loop"));
	free(text);
}

/* A mount, or an exclusive open, makes a partition busy; a second attach is refused. */
static void test_busy_and_attached_twice(void **state)
{
	struct loopdev lo, again;
	char part[300], dir[128], why[1400], want[1400];
	int excl;

	(void)state;
	if (!private_mounts)
		skip();
	assert_int_equal(disk_attach(img, 0, &lo), 0);
	snprintf(part, sizeof(part), "%sp2", lo.path);
	assert_int_equal(disk_busy(part, why, sizeof(why)), 0);
	assert_string_equal(why, "");

	/* attached already: refused, naming the loop device and how to free it */
	assert_int_equal(disk_attach(img, 1, &again), -1);
	assert_int_equal(again.fd, -1);
	snprintf(want, sizeof(want), "cannot use %s: it is attached already as %s (%s is not "
		 "mounted); detach it first: losetup -d %s", img, lo.path, lo.path, lo.path);
	assert_string_equal(err_msg(), want);

	snprintf(dir, sizeof(dir), "%s/m", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(mount(part, dir, "ext2", MS_RDONLY, NULL), 0);
	assert_int_equal(disk_busy(part, why, sizeof(why)), 1);
	snprintf(want, sizeof(want), "%s is mounted at %s (unmount it first)", part, dir);
	assert_string_equal(why, want);
	assert_int_equal(disk_attach(img, 1, &again), -1);
	assert_non_null(strstr(err_msg(), want));
	assert_int_equal(umount2(dir, 0), 0);

	/* what a mount in another namespace looks like: an exclusive open */
	excl = open(part, O_RDONLY | O_EXCL | O_CLOEXEC);
	assert_true(excl >= 0);
	assert_int_equal(disk_busy(part, why, sizeof(why)), 1);
	snprintf(want, sizeof(want), "%s is in use by another program (mounted elsewhere, or open "
		 "exclusively); stop that first", part);
	assert_string_equal(why, want);
	close(excl);
	assert_int_equal(disk_busy(part, why, sizeof(why)), 0);
	disk_detach(&lo);
}

/* An image a virtual machine holds (qemu locks it) is not attached. */
static void test_attach_locked_image(void **state)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct loopdev lo;
	char want[512];
	int fd;

	(void)state;
	if (!private_mounts)
		skip();
	fd = open(img, O_RDWR | O_CLOEXEC);
	assert_int_equal(fcntl(fd, F_SETLK, &fl), 0);
	assert_int_equal(disk_attach(img, 1, &lo), -1);
	snprintf(want, sizeof(want), "cannot use %s: process %d holds a lock on it (a virtual "
		 "machine using it?); stop it first", img, (int)getpid());
	assert_string_equal(err_msg(), want);
	close(fd);		/* drops the lock */
	/* an open file description lock (what qemu takes) has no process */
	fd = open(img, O_RDWR | O_CLOEXEC);
	fl.l_pid = 0;
	assert_int_equal(fcntl(fd, F_OFD_SETLK, &fl), 0);
	assert_int_equal(disk_attach(img, 1, &lo), -1);
	snprintf(want, sizeof(want), "cannot use %s: another program holds a lock on it (a "
		 "virtual machine using it?); stop it first", img);
	assert_string_equal(err_msg(), want);
	close(fd);
	assert_int_equal(disk_attach(img, 1, &lo), 0);
	disk_detach(&lo);
}

static void test_attach_refuses(void **state)
{
	struct loopdev lo;
	char want[256];

	(void)state;
	assert_int_equal(disk_attach("/nonexistent.img", 0, &lo), -1);
	assert_string_equal(err_msg(), "cannot open /nonexistent.img read-write: No such file or "
			    "directory");
	assert_int_equal(lo.fd, -1);
	assert_int_equal(disk_attach("/nonexistent.img", 1, &lo), -1);
	assert_string_equal(err_msg(), "cannot open /nonexistent.img: No such file or directory");
	assert_int_equal(disk_attach(root, 1, &lo), -1);
	snprintf(want, sizeof(want), "cannot attach %s: not a regular file", root);
	assert_string_equal(err_msg(), want);
	/* a link to the image is not followed */
	snprintf(want, sizeof(want), "%s/link.img", root);
	assert_int_equal(symlink(img, want), 0);
	assert_int_equal(disk_attach(want, 1, &lo), -1);
	assert_non_null(strstr(err_msg(), "Too many levels of symbolic links"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_virtual),
		T(test_info_unknown),
		T(test_is_blockdev),
		T(test_busy_not_blockdev),
		T(test_volumes_refuses),
		T(test_loop_attach),
		T(test_loop_attach_bad_fd),
		T(test_attach_and_list),
		T(test_busy_and_attached_twice),
		T(test_attach_locked_image),
		T(test_attach_refuses),
	};
	char base[64];
	int rc;

	private_mounts = fixture_private_mounts();
	if (!private_mounts)
		fprintf(stderr, "test_disk: not root: the loop device tests are skipped\n");
	if (fixture_tmpdir(base, sizeof(base), "disk-run") < 0)
		return 1;
	snprintf(run_dir, sizeof(run_dir), "%s/run", base);
	setenv("BOOTFIX_RUN_DIR", run_dir, 1);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	fixture_rm(base);
	return rc;
}
