/*
 * ldm.h - the volumes of a Windows dynamic disk, from its LDM database.
 *
 * A dynamic disk (an MBR partition of type 0x42, or a GPT disk with an
 * "LDM metadata" partition) keeps no partition table of its volumes: the
 * Logical Disk Manager's database (1 MiB near the disk's end, the same on
 * every disk of its disk group) describes them.  Its PRIVHEAD (MBR: sector
 * 6; GPT: the last sector of the LDM metadata partition) says where the
 * data area and the database are; the database's TOCBLOCK points to the
 * VMDB, which is followed by VBLK records: volumes, their components,
 * the partitions (extents on one disk) of each component, disks and the
 * disk group.  A record may span several VBLK entries.
 *
 * Everything read is hostile: reads are bounded (the sector, the 1 MiB
 * database, the GPT entries), every offset, length and count is checked,
 * and a database that is inconsistent in any way is refused as a whole.
 * Nothing here prints or writes.
 */
#ifndef BOOTFIX_LDM_H
#define BOOTFIX_LDM_H

#include <stddef.h>
#include <stdint.h>

/* What a volume is made of, as Windows' Disk Management names it. */
enum ldm_kind {
	LDM_SIMPLE,	/* one extent on one disk */
	LDM_SPANNED,	/* extents one after the other, maybe on several disks */
	LDM_STRIPED,	/* RAID 0 */
	LDM_MIRROR,	/* RAID 1: each half holds the whole volume */
	LDM_RAID5,
};

/* The longest volume or disk group name kept (longer names are refused). */
#define LDM_NAME_MAX 32

/* At most this many VBLK records (volumes, components, partitions, disks). */
#define LDM_OBJECTS_MAX 2048

struct ldm_volume {
	char name[LDM_NAME_MAX];	/* "Volume1": printable ASCII, unique in the group */
	enum ldm_kind kind;
	uint64_t size;			/* bytes */
	int here;			/* one of its partitions lies on this disk */
	uint64_t offset;		/* a SIMPLE volume here: its first byte on this disk */
	uint64_t length;		/* and its length in bytes; 0 otherwise */
};

struct ldm_group {
	char name[LDM_NAME_MAX];	/* the disk group: "WIN-ABC123Dg0" (printable) */
	uint64_t data_start;		/* bytes: the data area of this disk, where its */
	uint64_t data_size;		/* volumes lie (PRIVHEAD) */
	struct ldm_volume *v;		/* ordered as in the database */
	size_t n;
};

/*
 * Parse a dynamic disk's LDM database from memory: privhead is the sector
 * holding its PRIVHEAD (len bytes, at least 512), read from sector
 * ph_sector of a disk of disk_sectors 512-byte sectors; config is the
 * database itself (config_len bytes read from the sector PRIVHEAD names).
 * Fills *g (ldm_free() releases it).  Returns 0, or -1 with err_set()
 * naming the cause (no disk name: the caller adds it).
 */
int ldm_parse(const uint8_t *privhead, size_t len, uint64_t ph_sector, const uint8_t *config,
	      size_t config_len, uint64_t disk_sectors, struct ldm_group *g);

/*
 * Read the LDM database of the whole disk at path (a block device or an
 * image file; 512-byte sectors) and parse it.  Returns 0 with *g filled,
 * or -1 with err_set("cannot read the LDM database of PATH: CAUSE").
 */
int ldm_read(const char *path, struct ldm_group *g);

/* Free what ldm_parse() or ldm_read() filled (an emptied *g may be freed again). */
void ldm_free(struct ldm_group *g);

/* "simple", "spanned", "striped", "mirror", "RAID-5" (static). */
const char *ldm_kind_name(enum ldm_kind k);

#endif
