/*
 * disk.c - block device discovery and image attachment (see disk.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/blkpg.h>
#include <linux/loop.h>
#include <blkid.h>

#include "disk.h"
#include "err.h"
#include "file.h"
#include "proc.h"
#include "raid.h"
#include "runstate.h"
#include "text.h"

static int is_disk_name(const char *n)
{
	static const char *const prefix[] = { "sd", "nvme", "vd", "mmcblk", "loop", "xvd", "hd", "md" };

	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (!strncmp(n, prefix[i], strlen(prefix[i])))
			return 1;
	return 0;
}

/* Read a small sysfs attribute into buf, trimmed; returns buf or NULL. */
static char *sysfs_read(const char *path, char *buf, size_t len)
{
	int fd = file_open(AT_FDCWD, path, O_RDONLY, 0);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return buf;
}

static uint64_t sysfs_size(const char *name)
{
	char path[1024], buf[64];

	snprintf(path, sizeof(path), "/sys/class/block/%s/size", name);
	if (!sysfs_read(path, buf, sizeof(buf)))
		return 0;
	return strtoull(buf, NULL, 10) * 512;
}

static int sysfs_partno(const char *name)
{
	char path[1024], buf[32];

	snprintf(path, sizeof(path), "/sys/class/block/%s/partition", name);
	if (!sysfs_read(path, buf, sizeof(buf)))
		return 0;
	return atoi(buf);
}

static void probe(struct blockdev *b)
{
	blkid_probe pr = blkid_new_probe_from_filename(b->path);
	const char *v;

	if (!pr)
		return;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL |
					  BLKID_SUBLKS_UUID);
	if (blkid_do_safeprobe(pr) == 0) {
		if (!blkid_probe_lookup_value(pr, "TYPE", &v, NULL))
			b->fstype = strdup(v);
		if (!blkid_probe_lookup_value(pr, "LABEL", &v, NULL))
			b->label = strdup(v);
		if (!blkid_probe_lookup_value(pr, "UUID", &v, NULL))
			b->uuid = strdup(v);
	}
	blkid_free_probe(pr);
}

/* The GPT partition types of a dynamic disk's LDM metadata and data. */
static const char *const ldm_guid[] = {
	"5808c8aa-7e8f-42e0-85d2-e1e90434cfb3",
	"af9b60a0-1431-4f62-bc68-3311714a69ad",
};

static int dynamic_parts(blkid_probe pr)
{
	blkid_partlist pl = blkid_probe_get_partitions(pr);
	blkid_parttable tab;
	const char *kind;

	if (!pl || !(tab = blkid_partlist_get_table(pl)) || !(kind = blkid_parttable_get_type(tab)))
		return 0;
	for (int i = 0; i < blkid_partlist_numof_partitions(pl); i++) {
		blkid_partition part = blkid_partlist_get_partition(pl, i);
		const char *t;

		if (!part)
			continue;
		if (!strcmp(kind, "dos") && blkid_partition_get_type(part) == 0x42)
			return 1;
		t = blkid_partition_get_type_string(part);
		for (size_t k = 0; t && !strcmp(kind, "gpt") && k < 2; k++)
			if (!strcasecmp(t, ldm_guid[k]))
				return 1;
	}
	return 0;
}

enum disk_member disk_member_of(const char *name)
{
	enum disk_member m = DISK_MEMBER_NONE;
	char path[300];
	blkid_probe pr;
	const char *v;

	snprintf(path, sizeof(path), "/dev/%s", name);
	pr = blkid_new_probe_from_filename(path);
	if (!pr)
		return m;
	/* RAID metadata sits at the disk's end, beneath any partition table */
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, 0);
	if (blkid_do_safeprobe(pr) == 0 && !blkid_probe_lookup_value(pr, "TYPE", &v, NULL)) {
		if (!strcmp(v, "isw_raid_member"))
			m = DISK_MEMBER_IMSM;
		else if (!strcmp(v, "ddf_raid_member"))
			m = DISK_MEMBER_DDF;
	}
	if (m == DISK_MEMBER_NONE) {
		blkid_reset_probe(pr);
		blkid_probe_enable_superblocks(pr, 0);
		blkid_probe_enable_partitions(pr, 1);
		blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
		if (dynamic_parts(pr))
			m = DISK_MEMBER_DYNAMIC;
	}
	blkid_free_probe(pr);
	return m;
}

static int add(struct blockdev **out, size_t *n, const char *name, const char *disk,
	       enum disk_member member)
{
	struct blockdev *grown = realloc(*out, (*n + 1) * sizeof(**out));
	struct blockdev *b;
	char path[300];

	if (!grown)
		return err_set("cannot list disks: %s", strerror(ENOMEM));
	*out = grown;
	b = &grown[(*n)++];
	memset(b, 0, sizeof(*b));
	snprintf(path, sizeof(path), "/dev/%s", name);
	b->name = strdup(name);
	b->path = strdup(path);
	b->disk = strdup(disk);
	b->partno = sysfs_partno(name);
	b->size = sysfs_size(name);
	b->member = member;
	if (!strncmp(disk, "md", 2)) {
		struct raid r;
		char text[96];

		if (raid_read(NULL, disk, &r)) {
			b->raid = strdup(raid_text(&r, text, sizeof(text)));
			b->raid_missing = r.missing;
		}
	}
	probe(b);
	return 0;
}

static int by_partno(const void *a, const void *b)
{
	const struct blockdev *x = a, *y = b;

	if (strcmp(x->disk, y->disk))
		return strcmp(x->disk, y->disk);
	return x->partno - y->partno;
}

/* Append the volumes of whole disk name: its partitions, or itself. */
static int add_disk(const char *name, struct blockdev **out, size_t *n)
{
	char path[256];
	DIR *d;
	struct dirent *e;
	size_t before = *n;
	enum disk_member member = disk_member_of(name);

	snprintf(path, sizeof(path), "/sys/class/block/%s", name);
	d = opendir(path);
	if (!d)
		return err_set("cannot list partitions of %s: %s", name, strerror(errno));
	while ((e = readdir(d))) {
		char p[1024];
		struct stat st;

		if (strncmp(e->d_name, name, strlen(name)))
			continue;
		snprintf(p, sizeof(p), "%s/%s/partition", path, e->d_name);
		if (stat(p, &st) == 0 && add(out, n, e->d_name, name, member) < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (*n == before && sysfs_size(name) > 0)
		return add(out, n, name, name, member);
	return 0;
}

static int skip_disk(const char *name)
{
	/* nvme multipath controller paths and eMMC boot/rpmb areas are not volumes */
	if (!strncmp(name, "nvme", 4) && strchr(name + 4, 'c'))
		return 1;
	if (!strncmp(name, "mmcblk", 6) && (strstr(name, "boot") || strstr(name, "rpmb")))
		return 1;
	return sysfs_size(name) == 0;
}

int disk_is_partition(const char *path)
{
	char sys[96];
	struct stat st;

	if (!path || stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
		return 0;
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/partition", major(st.st_rdev),
		 minor(st.st_rdev));
	return access(sys, F_OK) == 0;
}

int disk_part_extent(const char *name, uint64_t *start, uint64_t *end)
{
	char path[1024], s[64], n[64];

	snprintf(path, sizeof(path), "/sys/class/block/%s/start", name);
	if (!sysfs_read(path, s, sizeof(s)))
		return 0;
	snprintf(path, sizeof(path), "/sys/class/block/%s/size", name);
	if (!sysfs_read(path, n, sizeof(n)))
		return 0;
	*start = strtoull(s, NULL, 10) * 512;
	*end = *start + strtoull(n, NULL, 10) * 512;
	return 1;
}

int disk_is_blockdev(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return err_set("cannot use %s: %s", path, strerror(errno));
	if (S_ISBLK(st.st_mode))
		return 1;
	if (S_ISREG(st.st_mode))
		return 0;
	return err_set("cannot use %s: not a disk, partition or image file", path);
}

int disk_volumes(const char *path, struct blockdev **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (path) {
		char link[128], target[512], *base;
		struct stat st;
		ssize_t l;
		int rc;

		if (stat(path, &st) < 0)
			return err_set("cannot use %s: %s", path, strerror(errno));
		if (!S_ISBLK(st.st_mode))
			return err_set("cannot use %s: not a block device", path);
		snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(st.st_rdev),
			 minor(st.st_rdev));
		l = readlink(link, target, sizeof(target) - 1);
		if (l < 0)
			return err_set("cannot find %s in sysfs: %s", path, strerror(errno));
		target[l] = '\0';
		base = strrchr(target, '/');
		base = base ? base + 1 : target;
		if (sysfs_partno(base) > 0) {
			char *slash = strrchr(target, '/'), *parent;

			*slash = '\0';
			parent = strrchr(target, '/');
			parent = parent ? parent + 1 : base;
			rc = add(out, n, base, parent, disk_member_of(parent));
		} else {
			rc = add_disk(base, out, n);
		}
		if (rc < 0) {
			disk_free(*out, *n);
			*out = NULL;
			*n = 0;
			return -1;
		}
	} else {
		DIR *d = opendir("/sys/class/block");
		struct dirent *e;

		if (!d)
			return err_set("cannot list disks in /sys/class/block: %s", strerror(errno));
		while ((e = readdir(d))) {
			char md[32];

			if (e->d_name[0] == '.' || !is_disk_name(e->d_name) ||
			    sysfs_partno(e->d_name) > 0 || skip_disk(e->d_name) ||
			    raid_member_in_use(NULL, e->d_name, md))
				continue;
			if (add_disk(e->d_name, out, n) < 0) {
				closedir(d);
				disk_free(*out, *n);
				*out = NULL;
				*n = 0;
				return -1;
			}
		}
		closedir(d);
	}
	qsort(*out, *n, sizeof(**out), by_partno);
	return 0;
}

void disk_free(struct blockdev *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].path);
		free(v[i].disk);
		free(v[i].fstype);
		free(v[i].label);
		free(v[i].uuid);
		free(v[i].raid);
	}
	free(v);
}

/* The serial number in SCSI VPD page 0x80 of disk name (SATA and SAS disks), or NULL. */
static char *vpd_serial(int blockdir, const char *name)
{
	unsigned char page[256];
	char path[1024], text[256];
	ssize_t n;
	size_t len;
	int fd;

	snprintf(path, sizeof(path), "%s/device/vpd_pg80", name);
	fd = file_open(blockdir, path, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0)
		return NULL;
	n = read(fd, page, sizeof(page));
	close(fd);
	/* header: device type, page code 0x80, length (big-endian); then ASCII */
	if (n < 5 || page[1] != 0x80)
		return NULL;
	len = (size_t)page[2] << 8 | page[3];
	if (len > (size_t)n - 4)
		len = (size_t)n - 4;
	memcpy(text, page + 4, len);
	text[len] = '\0';
	return text_printable(text, DISK_ID_MAX);
}

int disk_info_at(int blockdir, const char *name, struct diskinfo *di)
{
	static const char *const serial_attr[] = { "device/serial", "serial", "device/vpd_pg80",
						    "device/wwid", "loop/backing_file" };
	static const char *const model_attr[] = { "device/model", "device/name" };
	char path[1024], *s, *end;
	unsigned long long sectors;

	memset(di, 0, sizeof(*di));
	di->name = strdup(name);
	if (!*name || strchr(name, '/'))
		return 0;	/* names no entry of blockdir */
	snprintf(path, sizeof(path), "%s/size", name);
	if ((s = file_attr(blockdir, path))) {
		sectors = strtoull(s, &end, 10);
		if (*s >= '0' && *s <= '9' && !*end && sectors < (1ULL << 54))
			di->size = sectors * 512;
		free(s);
	}
	/* device/name: what an SD or eMMC card calls its model */
	for (size_t i = 0; !di->model && i < sizeof(model_attr) / sizeof(model_attr[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", name, model_attr[i]);
		di->model = file_attr(blockdir, path);
	}
	for (size_t i = 0; !di->serial && i < sizeof(serial_attr) / sizeof(serial_attr[0]); i++) {
		if (!strcmp(serial_attr[i], "device/vpd_pg80")) {
			di->serial = vpd_serial(blockdir, name);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", name, serial_attr[i]);
		di->serial = file_attr(blockdir, path);
	}
	return 0;
}

int disk_info(const char *name, struct diskinfo *di)
{
	int blockdir = file_open(AT_FDCWD, "/sys/class/block", O_RDONLY | O_DIRECTORY, 0);
	int rc = disk_info_at(blockdir, name, di);

	if (blockdir >= 0)
		close(blockdir);
	return rc;
}

int disk_virtual(const char *name)
{
	static const char *const prefix[] = { "loop", "ram", "zram", "dm-", "md", "sr", "fd",
					       "nbd" };

	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (!strncmp(name, prefix[i], strlen(prefix[i])))
			return 1;
	return 0;
}

void disk_ids(const char *name, char **model, char **serial)
{
	struct diskinfo di;

	*model = NULL;
	*serial = NULL;
	if (!name || disk_virtual(name))
		return;		/* an image file's loop device: no hardware to name */
	disk_info(name, &di);
	*model = text_printable(di.model, DISK_ID_MAX);
	*serial = text_printable(di.serial, DISK_ID_MAX);
	diskinfo_free(&di);
}

void diskinfo_free(struct diskinfo *di)
{
	free(di->name);
	free(di->model);
	free(di->serial);
	memset(di, 0, sizeof(*di));
}

/* Wait until the kernel has made /dev nodes for every partition it found. */
static void wait_partitions(const struct loopdev *lo)
{
	for (int tries = 0; tries < 50; tries++) {
		char path[128];
		DIR *d;
		struct dirent *e;
		int missing = 0;

		snprintf(path, sizeof(path), "/sys/class/block/%s", lo->name);
		d = opendir(path);
		if (!d)
			return;
		while ((e = readdir(d))) {
			char dev[300];
			struct stat st;

			if (strncmp(e->d_name, lo->name, strlen(lo->name)) || !e->d_name[strlen(lo->name)])
				continue;
			snprintf(dev, sizeof(dev), "/dev/%s", e->d_name);
			if (stat(dev, &st) < 0)
				missing = 1;
		}
		closedir(d);
		if (!missing)
			return;
		proc_sleep_ms(100);
	}
}

static int has_partitions(const struct loopdev *lo)
{
	char path[128];
	DIR *d;
	struct dirent *e;
	int found = 0;

	snprintf(path, sizeof(path), "/sys/class/block/%s", lo->name);
	d = opendir(path);
	if (!d)
		return 0;
	while (!found && (e = readdir(d)))
		found = !strncmp(e->d_name, lo->name, strlen(lo->name)) &&
			e->d_name[strlen(lo->name)] == 'p';
	closedir(d);
	return found;
}

/*
 * Some kernels (minimal VM kernels, ours in CI) have no partition table
 * parsers, so LO_FLAGS_PARTSCAN finds nothing.  Then read the table with
 * libblkid and tell the kernel about each partition, as `partx -a` does.
 */
static void add_partitions(const struct loopdev *lo)
{
	blkid_probe pr;
	blkid_partlist pl;

	if (has_partitions(lo))
		return;
	pr = blkid_new_probe_from_filename(lo->path);
	if (!pr)
		return;
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	pl = blkid_probe_get_partitions(pr);
	for (int i = 0; pl && i < blkid_partlist_numof_partitions(pl); i++) {
		blkid_partition part = blkid_partlist_get_partition(pl, i);
		struct blkpg_partition bp;
		struct blkpg_ioctl_arg arg;

		if (!part || blkid_partition_is_extended(part))
			continue;
		memset(&bp, 0, sizeof(bp));
		bp.start = (long long)blkid_partition_get_start(part) * 512;
		bp.length = (long long)blkid_partition_get_size(part) * 512;
		bp.pno = blkid_partition_get_partno(part);
		memset(&arg, 0, sizeof(arg));
		arg.op = BLKPG_ADD_PARTITION;
		arg.datalen = sizeof(bp);
		arg.data = &bp;
		ioctl(lo->fd, BLKPG, &arg);
	}
	blkid_free_probe(pr);
}

/* Mount points (and sources) of what is mounted from the block device rdev. */
static int mounted_from(dev_t rdev, char *where, size_t len)
{
	FILE *f = proc_mountinfo_open();
	struct proc_mount m;
	int found = 0;

	if (!f)
		return 0;
	while (!found && proc_mountinfo_next(f, &m)) {
		struct stat st;

		/* a kernel file system shows the device's number; a FUSE one
		   (ntfs-3g) shows the device's path as its source */
		if (makedev(m.major, m.minor) == rdev ||
		    (m.source[0] == '/' && stat(m.source, &st) == 0 && S_ISBLK(st.st_mode) &&
		     st.st_rdev == rdev)) {
			snprintf(where, len, "%s", m.point);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/* The first holder (device-mapper, RAID) of block device name in sysfs. */
static int held_by(const char *name, char *who, size_t len)
{
	char path[512];
	DIR *d;
	struct dirent *e;
	int found = 0;

	snprintf(path, sizeof(path), "/sys/class/block/%s/holders", name);
	d = opendir(path);
	if (!d)
		return 0;
	while (!found && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(who, len, "%s", e->d_name);
			found = 1;
		}
	closedir(d);
	return found;
}

int disk_busy(const char *dev, char *why, size_t len)
{
	struct stat st;
	char what[1024], *base;
	int fd;

	why[0] = '\0';
	if (stat(dev, &st) < 0 || !S_ISBLK(st.st_mode))
		return 0;
	base = strrchr(dev, '/');
	base = base ? base + 1 : (char *)dev;
	if (mounted_from(st.st_rdev, what, sizeof(what))) {
		snprintf(why, len, "%s is mounted at %s (unmount it first)", dev, what);
		return 1;
	}
	if (held_by(base, what, sizeof(what))) {
		snprintf(why, len, "%s is held by %s (device-mapper or RAID; stop that first)", dev,
			 what);
		return 1;
	}
	/* a mount in another namespace, an ntfs-3g, RAID: each opens it exclusively */
	fd = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == EBUSY) {
		snprintf(why, len, "%s is in use by another program (mounted elsewhere, or open "
			 "exclusively); stop that first", dev);
		return 1;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/* The first busy partition of the loop device loop ("/dev/loop3"), if any. */
static int loop_parts_busy(const char *loop, char *why, size_t len)
{
	const char *name = strrchr(loop, '/') + 1;
	char path[300];
	DIR *d;
	struct dirent *e;
	int busy = 0;

	snprintf(path, sizeof(path), "/sys/class/block/%s", name);
	d = opendir(path);
	if (!d)
		return 0;
	while (!busy && (e = readdir(d))) {
		char dev[300];

		if (strncmp(e->d_name, name, strlen(name)) || e->d_name[strlen(name)] != 'p')
			continue;
		snprintf(dev, sizeof(dev), "/dev/%s", e->d_name);
		busy = disk_busy(dev, why, len);
	}
	closedir(d);
	return busy;
}

/* A loop device already backed by the file (device st_dev, inode st_ino)? */
static int attached_as(const struct stat *img, char *loop, size_t len)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		char path[300];
		struct loop_info64 li;
		int fd;

		if (strncmp(e->d_name, "loop", 4) || strchr(e->d_name + 4, 'p'))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", e->d_name);
		fd = file_open(AT_FDCWD, path, O_RDONLY | O_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (ioctl(fd, LOOP_GET_STATUS64, &li) == 0 && li.lo_device == (uint64_t)img->st_dev &&
		    li.lo_inode == (uint64_t)img->st_ino) {
			snprintf(loop, len, "%s", path);
			found = 1;
		}
		close(fd);
	}
	closedir(d);
	return found;
}

static int loop_attach(int fd, const char *file, const char *name, int readonly, int partscan,
		       uint64_t offset, uint64_t size, struct loopdev *lo);

int disk_loop_attach(int fd, const char *file, const char *name, int readonly, int partscan,
		     struct loopdev *lo)
{
	return loop_attach(fd, file, name, readonly, partscan, 0, 0, lo);
}

int disk_loop_extent(int fd, const char *file, const char *name, int readonly, uint64_t offset,
		     uint64_t size, struct loopdev *lo)
{
	if (size == 0)
		return err_set("cannot attach %s: an empty extent", file);
	return loop_attach(fd, file, name, readonly, 0, offset, size, lo);
}

static int loop_attach(int fd, const char *file, const char *name, int readonly, int partscan,
		       uint64_t offset, uint64_t size, struct loopdev *lo)
{
	int ctl, tries;

	memset(lo, 0, sizeof(*lo));
	lo->fd = -1;
	ctl = file_open(AT_FDCWD, "/dev/loop-control", O_RDWR, 0);
	if (ctl < 0)
		return err_set("cannot attach %s: /dev/loop-control: %s", file, strerror(errno));
	for (tries = 0; tries < 20; tries++) {
		struct loop_config cfg;
		int num = ioctl(ctl, LOOP_CTL_GET_FREE), lfd;

		if (num < 0) {
			err_set("cannot attach %s: no free loop device: %s", file, strerror(errno));
			break;
		}
		snprintf(lo->name, sizeof(lo->name), "loop%d", num);
		snprintf(lo->path, sizeof(lo->path), "/dev/loop%d", num);
		lfd = file_open(AT_FDCWD, lo->path, readonly ? O_RDONLY : O_RDWR, 0);
		if (lfd < 0) {
			err_set("cannot attach %s: %s: %s", file, lo->path, strerror(errno));
			break;
		}
		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = (uint32_t)fd;
		cfg.info.lo_flags = (partscan ? LO_FLAGS_PARTSCAN : 0) | LO_FLAGS_AUTOCLEAR |
				    (readonly ? LO_FLAGS_READ_ONLY : 0);
		cfg.info.lo_offset = offset;
		cfg.info.lo_sizelimit = size;
		snprintf((char *)cfg.info.lo_file_name, LO_NAME_SIZE, "%s", name);
		if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0) {
			lo->fd = lfd;
			break;
		}
		if (errno == EBUSY) {	/* someone else took it: try the next one */
			close(lfd);
			continue;
		}
		err_set("cannot attach %s to %s: %s", file, lo->path, strerror(errno));
		close(lfd);
		break;
	}
	close(ctl);
	if (lo->fd < 0) {
		if (tries == 20)
			err_set("cannot attach %s: every loop device was busy", file);
		lo->name[0] = lo->path[0] = '\0';
		return -1;
	}
	return 0;
}

void disk_loop_detach(int *fd)
{
	if (*fd < 0)
		return;
	ioctl(*fd, LOOP_CLR_FD, 0);
	close(*fd);
	*fd = -1;
}

int disk_attach(const char *file, int readonly, struct loopdev *lo)
{
	int ffd, rc;
	struct stat st;
	char other[300], backing[64];

	memset(lo, 0, sizeof(*lo));
	lo->fd = -1;
	ffd = file_open(AT_FDCWD, file, readonly ? O_RDONLY : O_RDWR, 0);
	if (ffd < 0)
		return err_set("cannot open %s%s: %s", file, readonly ? "" : " read-write",
			       strerror(errno));
	if (fstat(ffd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(ffd);
		return err_set("cannot attach %s: not a regular file", file);
	}
	/* a virtual machine using the image (qemu, and others, lock it) */
	{
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

		if (fcntl(ffd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) {
			close(ffd);
			if (fl.l_pid > 0)
				return err_set("cannot use %s: process %d holds a lock on it (a "
					       "virtual machine using it?); stop it first", file,
					       (int)fl.l_pid);
			return err_set("cannot use %s: another program holds a lock on it (a "
				       "virtual machine using it?); stop it first", file);
		}
	}
	/* a second loop device on one image, both writable, destroys it */
	if (attached_as(&st, other, sizeof(other))) {
		char why[1200];

		close(ffd);
		if (loop_parts_busy(other, why, sizeof(why)) == 0 && disk_busy(other, why, sizeof(why)) == 0)
			snprintf(why, sizeof(why), "%s is not mounted", other);
		return err_set("cannot use %s: it is attached already as %s (%s); detach it "
			       "first: losetup -d %s", file, other, why, other);
	}
	snprintf(backing, sizeof(backing), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	rc = disk_loop_attach(ffd, file, file, readonly, 1, lo);
	close(ffd);
	if (rc < 0)
		return -1;
	runstate_add("loop", 0, lo->path, backing);
	add_partitions(lo);
	wait_partitions(lo);
	return 0;
}

void disk_detach(struct loopdev *lo)
{
	if (lo->fd < 0)
		return;
	disk_loop_detach(&lo->fd);
	runstate_drop("loop", lo->path);
}
