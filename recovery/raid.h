/*
 * raid.h - RAID volumes the kernel's md driver has assembled: Intel RST
 * (IMSM metadata, BIOS "RAID On"), SNIA DDF and Linux md arrays.
 *
 * The image assembles IMSM and DDF volumes read-only (image/init, mdadm):
 * reading them never changes a disk.  A fix makes one writable just before
 * its first write and settles it once the volume is unmounted:
 *
 *   mdadm --readwrite    (starts mdmon, which keeps IMSM's dirty/clean
 *                         state the way Intel's driver does)
 *   ... the fix ...
 *   mdadm --wait-clean   (mdmon marks the metadata clean: no resync when
 *                         Windows boots)
 *   mdadm --readonly
 *
 * A degraded volume (a member missing) is only read: a write would make
 * mdmon record the missing disk as failed, which Windows' driver would
 * then have to rebuild.
 */
#ifndef BOOTFIX_RAID_H
#define BOOTFIX_RAID_H

#include <stddef.h>

struct raid {
	char name[32];		/* "md126" */
	const char *kind;	/* "Intel RAID", "DDF RAID", "Linux RAID" (static) */
	int level;		/* 0, 1, 4, 5, 6, 10; -1 linear or unknown */
	int disks;		/* raid_disks: members it is made of */
	int missing;		/* degraded: members not there */
	int readonly;		/* array_state "readonly": no write reaches a disk */
	int external;		/* metadata kept by mdmon (IMSM, DDF) */
	char container[32];	/* external: the container holding it ("md127"), else "" */
};

/*
 * Read what /sys/block/NAME/md says of an assembled, running md volume
 * (sysroot: where sysfs is, NULL for "/sys"; tests pass a tree laid out
 * like it).  Returns 1 with *r filled, 0 when name is no md volume or not
 * running (an IMSM container, an inactive array).
 */
int raid_read(const char *sysroot, const char *name, struct raid *r);

/*
 * "Intel RAID 1 (2 disks)", or with members missing "Intel RAID 1 (2
 * disks, 1 missing)"; into buf, which is returned.
 */
const char *raid_text(const struct raid *r, char *buf, size_t len);

/*
 * Whether the whole disk name ("sda") is a member of a running md volume:
 * 1 with that volume's name in md (at least 32 bytes), else 0.
 */
int raid_member_in_use(const char *sysroot, const char *name, char *md);

/*
 * The member disks of md volume name that work now, from sysfs ("sda
 * sdb"): none marked faulty, none a write failed on.  Into buf ("" when
 * there are none or name is no md volume); returns buf.
 */
const char *raid_members(const char *sysroot, const char *name, char *buf, size_t len);

/*
 * Which of the disks in before (raid_members() when the fix began) no
 * longer work in md volume name: gone from it, marked faulty (pulled
 * out), or a write failed on them.  Their names into buf ("sdb"); returns
 * how many.
 */
int raid_lost(const char *sysroot, const char *name, const char *before, char *buf,
	      size_t len);

/*
 * Make the md volume name writable for a fix: nothing when it already is,
 * else `mdadm --readwrite`.  A degraded volume is refused.  Returns 1 when
 * it was switched (raid_settle() then puts it back), 0 when it already was
 * writable, -1 with err_set() naming the volume and the cause.
 */
int raid_writable(const char *name);

/*
 * After a fix: wait until the metadata says clean (`mdadm --wait-clean`),
 * then make the volume read-only again.  Returns 0 or -1 with err_set().
 */
int raid_settle(const char *name);

#endif
