/*
 * disk.h - finding block devices and the file systems on them.
 *
 * Disks come from sysfs (sd*, nvme*, vd*, mmcblk*, loop*, md*); each partition,
 * or a whole disk without partitions, is one volume probed with libblkid.
 * Image files are attached as partition-scanning loop devices (what
 * `losetup -P` does) that the kernel also detaches when we exit.
 */
#ifndef BOOTFIX_DISK_H
#define BOOTFIX_DISK_H

#include <stddef.h>
#include <stdint.h>

/*
 * What a whole disk is part of, from its own metadata: such a disk holds no
 * volume that may be changed through it alone.
 */
enum disk_member {
	DISK_MEMBER_NONE,
	DISK_MEMBER_IMSM,	/* Intel RST RAID (libblkid "isw_raid_member") */
	DISK_MEMBER_DDF,	/* SNIA DDF RAID (libblkid "ddf_raid_member") */
	DISK_MEMBER_DYNAMIC,	/* Windows dynamic disk: MBR type 0x42 or GPT LDM partitions */
};

struct blockdev {
	char *name;		/* kernel name: "sda1", "loop0p2" */
	char *path;		/* "/dev/sda1" */
	char *disk;		/* whole disk's kernel name: "sda" */
	int partno;		/* 0 for a whole disk */
	uint64_t size;		/* bytes */
	char *fstype;		/* libblkid TYPE ("ntfs", "BitLocker", ...) or NULL */
	char *label;
	char *uuid;
	enum disk_member member;	/* of its whole disk */
	char *raid;		/* its whole disk is a RAID volume md assembled: "Intel RAID 1
				   (2 disks)" (raid_text()), else NULL */
	int raid_missing;	/* members that volume lacks: it is only read */
};

/*
 * What the whole disk name (a kernel name: "sda", "loop3") is a member of,
 * read with libblkid from /dev/name: RAID metadata (IMSM, DDF) first, then
 * a partition table of a Windows dynamic disk.  DISK_MEMBER_NONE when it is
 * a plain disk or cannot be read.
 */
enum disk_member disk_member_of(const char *name);

/* A disk for the audit record. */
struct diskinfo {
	char *name;
	char *model;
	char *serial;
	uint64_t size;
};

/* An attached image file. */
struct loopdev {
	char name[32];		/* "loop3" */
	char path[40];		/* "/dev/loop3" */
	int fd;			/* held open: the kernel detaches when it closes */
};

/*
 * Attach the image file as a loop device with partition scanning, read-only
 * when readonly is set, and wait for its partitions to appear.  An image
 * that some loop device already reads (found by device and inode, whatever
 * its name) is refused with that device and what holds it.  The loop
 * device is recorded in the run folder's state (runstate.h).  Returns 0,
 * or -1 with err_set() naming file and cause.
 */
int disk_attach(const char *file, int readonly, struct loopdev *lo);

/*
 * Put a loop device over the open file fd (what losetup does), read-only
 * when readonly is set, with the kernel reading its partition table when
 * partscan is set.  It clears itself (LO_FLAGS_AUTOCLEAR) once lo->fd,
 * held open, is closed and nothing else uses it.  name is what the kernel
 * shows as its backing file (the first 63 bytes); file names the file in
 * messages.  fd stays the caller's to close.  Returns 0 with lo filled, or
 * -1 with err_set() naming file and cause (lo->fd is -1).
 */
int disk_loop_attach(int fd, const char *file, const char *name, int readonly, int partscan,
		     struct loopdev *lo);

/*
 * The same over size bytes of fd from byte offset on (a volume of a dynamic
 * disk, from its LDM database): the kernel lets no read or write of the
 * loop device reach outside them.  Never scans for partitions.  Returns 0,
 * or -1 with err_set() (an empty extent too).
 */
int disk_loop_extent(int fd, const char *file, const char *name, int readonly, uint64_t offset,
		     uint64_t size, struct loopdev *lo);

/* Detach the loop device held open as *fd and set *fd to -1 (nothing when it is -1). */
void disk_loop_detach(int *fd);

/*
 * Whether the block device dev is in use by something else: mounted (in
 * this namespace, by device number or, for FUSE, by source path), held in
 * sysfs (device-mapper, RAID), or open exclusively (a mount in another
 * namespace, a writable ntfs-3g).  Returns 1 with why holding one line that
 * names the holder and what to do, else 0.  Anything not a block device is
 * not busy.
 */
int disk_busy(const char *dev, char *why, size_t len);

/* Detach (idempotent; safe in a signal-time cleanup path). */
void disk_detach(struct loopdev *lo);

/*
 * List the volumes of one disk or partition (path: a block device), or of
 * every disk of the machine when path is NULL, each probed with libblkid.
 * A disk that is a member of a running md RAID volume is left out of the
 * whole machine's list: its volumes are listed through that RAID volume.
 * *out is an array the caller frees with disk_free().  Returns 0 or -1 with
 * err_set().
 */
int disk_volumes(const char *path, struct blockdev **out, size_t *n);

/* Free an array from disk_volumes(). */
void disk_free(struct blockdev *v, size_t n);

/*
 * Model, serial and size of the whole disk called name; caller frees with
 * diskinfo_free.  The model is device/model, else device/name (SD, eMMC);
 * the serial is the first of: device/serial (NVMe, eMMC), serial (virtio),
 * SCSI VPD page 0x80 (SATA, SAS), device/wwid, and for a loop device its
 * backing file.  Values are as sysfs has them (first line, trailing blanks
 * trimmed), but the VPD serial, made printable; NULL when absent or empty.
 */
int disk_info(const char *name, struct diskinfo *di);

/*
 * The same for the disk listed as name in the open directory blockdir
 * (/sys/class/block, or SYSROOT/block in tests): disk_info() is this with
 * the real /sys/class/block.
 */
int disk_info_at(int blockdir, const char *name, struct diskinfo *di);
void diskinfo_free(struct diskinfo *di);

/* The longest disk model or serial shown (firmware may send anything). */
#define DISK_ID_MAX 64

/*
 * Model and serial of the whole disk called name, to tell disks apart on
 * screen and in records: printable ASCII, spaces trimmed, at most
 * DISK_ID_MAX bytes (text_printable()); new strings the caller frees, or
 * NULL when unknown.  A virtual disk (disk_virtual()) has neither: the
 * loop device of an image file names no hardware.
 */
void disk_ids(const char *name, char **model, char **serial);

/*
 * 1 when the kernel name is a block device that is no hardware of this
 * machine: loop, ram, zram, dm-, md, sr, fd, nbd.
 */
int disk_virtual(const char *name);

/* 1 when path is a block device that is a partition (sysfs), else 0. */
int disk_is_partition(const char *path);

/*
 * The byte range [*start, *end) of the partition called name ("sda1") on
 * its disk, from sysfs; 0 when it cannot be read.
 */
int disk_part_extent(const char *name, uint64_t *start, uint64_t *end);

/* 1 when path is a block device, 0 when a regular file, -1 with err_set() otherwise. */
int disk_is_blockdev(const char *path);

#endif
