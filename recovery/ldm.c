/*
 * ldm.c - a dynamic disk's volumes from its LDM database (see ldm.h).
 *
 * The layout (every number big-endian) was worked out by others: the Linux
 * kernel's block/partitions/ldm.c and libldm (ldmtool) read it.  What is
 * read here, and how it is checked, is our own:
 *
 *   PRIVHEAD  "PRIVHEAD", version 2.11 (MBR) or 2.12 (GPT); at 0x30 the
 *             disk's GUID as text; 0x11B data area start and size, 0x12B
 *             database start and size (sectors)
 *   TOCBLOCK  database sector 2 (sector 1 on some disks): "TOCBLOCK", two
 *             bitmaps (name, flags, start, size) at 0x24 and 0x46; the one
 *             called "config" starts the VMDB (sectors into the database)
 *   VMDB      "VMDB", 0x08 VBLK size, 0x0C offset of the first VBLK (bytes
 *             from the VMDB), 0x12 version 4.10, 0x85 the committed number
 *             of volume, component, partition and disk records
 *   VBLK      entries of that size: "VBLK", 0x04 sequence, 0x08 record id,
 *             0x0C entry number, 0x0E entries of the record; then (only in
 *             a record's first entry) 0x10 status, 0x12 flags, 0x13 type
 *             (low nibble) and revision (high nibble), 0x14 size, 0x18 the
 *             fields, most of them of variable length (a length byte, then
 *             that many bytes)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fs.h>

#include "err.h"
#include "file.h"
#include "ldm.h"

#define SECTOR 512
/* the database is 1 MiB on every disk Windows made; anything larger is refused */
#define CONFIG_SECTORS_MAX 2048
#define CONFIG_SECTORS_MIN 32
/* one record spans at most this many VBLK entries (a long hint: 2 or 3) */
#define SPAN_MAX 16

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* GPT's numbers are little-endian */
static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

const char *ldm_kind_name(enum ldm_kind k)
{
	switch (k) {
	case LDM_SIMPLE:
		return "simple";
	case LDM_SPANNED:
		return "spanned";
	case LDM_STRIPED:
		return "striped";
	case LDM_MIRROR:
		return "mirror";
	case LDM_RAID5:
		return "RAID-5";
	}
	return "unknown";
}

/* ---- reading the fields of one record, never past its end ---- */

struct field {
	const uint8_t *p;
	size_t left;
	int bad;		/* a field ran past the record's end */
};

static const uint8_t *take(struct field *f, size_t n)
{
	const uint8_t *p = f->p;

	if (f->bad || n > f->left) {
		f->bad = 1;
		return NULL;
	}
	f->p += n;
	f->left -= n;
	return p;
}

static uint8_t take_u8(struct field *f)
{
	const uint8_t *p = take(f, 1);

	return p ? *p : 0;
}

static uint64_t take_be64(struct field *f)
{
	const uint8_t *p = take(f, 8);

	return p ? be64(p) : 0;
}

/* A variable-length number: a length byte (at most max), then that many bytes. */
static uint64_t take_num(struct field *f, size_t max)
{
	size_t n = take_u8(f);
	const uint8_t *p;
	uint64_t v = 0;

	if (n > max) {
		f->bad = 1;
		return 0;
	}
	p = take(f, n);
	for (size_t i = 0; p && i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* A variable-length string into buf (cap bytes with the NUL); 0, or -1 when longer. */
static int take_str(struct field *f, char *buf, size_t cap)
{
	size_t n = take_u8(f);
	const uint8_t *p = take(f, n);

	buf[0] = '\0';
	if (!p)
		return 0;
	if (n >= cap)
		return -1;
	/* names are shown to people and written in records: printable ASCII only */
	for (size_t i = 0; i < n; i++)
		buf[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	buf[n] = '\0';
	return 0;
}

static void skip_str(struct field *f)
{
	take(f, take_u8(f));
}

/* ---- the objects of the database ---- */

enum obj_type { OBJ_VOLUME = 1, OBJ_COMPONENT, OBJ_PARTITION, OBJ_DISK, OBJ_GROUP };

struct obj {
	enum obj_type type;
	uint32_t id;
	char name[LDM_NAME_MAX];
	uint32_t parent;	/* component: its volume; partition: its component */
	uint32_t disk;		/* partition: its disk */
	uint32_t count;		/* volume: components; component: partitions */
	uint32_t found;		/* children found pointing at it */
	int comp_type;		/* component: 1 striped, 2 spanned, 3 RAID */
	int vol_type;		/* volume: 3 "gen", 4 "raid5" */
	uint64_t start, vol_offset, size;	/* partition (sectors); volume: size */
	uint8_t guid[16];	/* disk */
};

struct db {
	struct obj *o;
	size_t n;
	uint32_t counted[5];	/* records of each type found: volume .. disk */
};

static const char *const type_name[] = { "", "volume", "component", "partition", "disk",
					  "disk group" };

/* Parse a GUID written as text ("0a1b...-...") into 16 bytes in text order. */
static int guid_text(const char *s, size_t len, uint8_t out[16])
{
	size_t k = 0;

	for (size_t i = 0; i < len && s[i] && k < 32; i++) {
		int c = s[i], v;

		if (c == '-')
			continue;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = (c | 0x20) - 'a' + 10;
		else
			return -1;
		if (k % 2 == 0)
			out[k / 2] = (uint8_t)(v << 4);
		else
			out[k / 2] |= (uint8_t)v;
		k++;
	}
	return k == 32 ? 0 : -1;
}

/* One whole record (its first entry's bytes from 0x10 on, the rest appended). */
static int parse_record(struct db *db, const uint8_t *rec, size_t len, uint32_t record_id)
{
	struct obj o;
	struct field f;
	uint8_t flags, type, rev;
	uint32_t size;
	char guid[80];

	if (len < 8)
		return err_set("VBLK record %u is cut short", record_id);
	flags = rec[2];
	type = rec[3] & 0x0f;
	rev = rec[3] >> 4;
	size = be32(rec + 4);
	if (type == 0)
		return 0;	/* a free entry */
	if (type > OBJ_GROUP)
		return err_set("VBLK record %u has unknown type %u", record_id, type);
	if (size > len - 8)
		return err_set("VBLK record %u says it is %u bytes long, more than its entries hold",
			       record_id, size);
	if (db->n == LDM_OBJECTS_MAX)
		return err_set("more than %d VBLK records", LDM_OBJECTS_MAX);
	memset(&o, 0, sizeof(o));
	o.type = type;
	f.p = rec + 8;
	f.left = size;
	f.bad = 0;
	o.id = (uint32_t)take_num(&f, 4);
	if (take_str(&f, o.name, sizeof(o.name)) < 0)
		return err_set("%s record %u has a name longer than %d characters", type_name[type],
			       o.id, LDM_NAME_MAX - 1);
	switch (type) {
	case OBJ_VOLUME:
		if (rev != 5)
			return err_set("volume record %u has revision %u (known: 5)", o.id, rev);
		skip_str(&f);			/* "gen" or "raid5": the byte below says it */
		skip_str(&f);			/* unknown ("0" or "8000000000000000") */
		take(&f, 14);			/* state: "ACTIVE" */
		o.vol_type = take_u8(&f);
		take(&f, 5);			/* unknown, volume number, zeros */
		take_u8(&f);			/* flags */
		o.count = (uint32_t)take_num(&f, 4);
		take(&f, 16);			/* commit id, id */
		o.size = take_num(&f, 8);
		if (o.vol_type != 3 && o.vol_type != 4)
			return err_set("volume record %u has unknown type %d", o.id, o.vol_type);
		break;
	case OBJ_COMPONENT:
		if (rev != 3)
			return err_set("component record %u has revision %u (known: 3)", o.id, rev);
		skip_str(&f);			/* state: "ACTIVE" */
		o.comp_type = take_u8(&f);
		take(&f, 4);
		o.count = (uint32_t)take_num(&f, 4);
		take(&f, 16);			/* log commit id, zeros */
		o.parent = (uint32_t)take_num(&f, 4);
		if (o.comp_type < 1 || o.comp_type > 3)
			return err_set("component record %u has unknown type %d", o.id, o.comp_type);
		break;
	case OBJ_PARTITION:
		if (rev != 3)
			return err_set("partition record %u has revision %u (known: 3)", o.id, rev);
		take(&f, 12);			/* zeros, log commit id */
		o.start = take_be64(&f);
		o.vol_offset = take_be64(&f);
		o.size = take_num(&f, 8);
		o.parent = (uint32_t)take_num(&f, 4);
		o.disk = (uint32_t)take_num(&f, 4);
		if (flags & 0x08)
			take_num(&f, 4);	/* its index in a striped or RAID-5 component */
		break;
	case OBJ_DISK:
		if (rev == 3) {
			if (take_str(&f, guid, sizeof(guid)) < 0 ||
			    guid_text(guid, sizeof(guid), o.guid) < 0)
				return err_set("disk record %u has no valid GUID", o.id);
		} else if (rev == 4) {
			const uint8_t *p = take(&f, 16);

			if (p)
				memcpy(o.guid, p, 16);
		} else {
			return err_set("disk record %u has revision %u (known: 3, 4)", o.id, rev);
		}
		break;
	case OBJ_GROUP:
		break;
	}
	if (f.bad)
		return err_set("%s record %u is cut short", type_name[type], o.id);
	for (size_t i = 0; i < db->n; i++)
		if (db->o[i].id == o.id && db->o[i].type != OBJ_GROUP && type != OBJ_GROUP)
			return err_set("two records have id %u", o.id);
	if (type < OBJ_GROUP)
		db->counted[type]++;
	db->o[db->n++] = o;
	return 0;
}

/* A record spanning entries: the pieces found so far. */
struct span {
	uint32_t record_id;
	uint16_t total;
	uint16_t got;
	uint32_t have;		/* bit per entry number */
	uint8_t *data;		/* total * (vblk size - 16) bytes */
};

static void spans_free(struct span *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].data);
	free(s);
}

/* Walk the VBLK entries after the VMDB at vmdb (left bytes to the database's end). */
static int parse_vblks(struct db *db, const uint8_t *vmdb, size_t left)
{
	uint32_t size = be32(vmdb + 0x08), first = be32(vmdb + 0x0C), piece;
	struct span *spans = NULL;
	size_t nspans = 0, nslots, held = 0;
	int rc = 0;

	if (size < 0x18 + 8 || size > 4096)
		return err_set("VMDB has a VBLK size of %u bytes", size);
	if (first < 0xB9 || first >= left)
		return err_set("VMDB puts its first VBLK at %u bytes, outside the database", first);
	piece = size - 16;
	nslots = (left - first) / size;
	db->o = calloc(LDM_OBJECTS_MAX, sizeof(*db->o));
	if (!db->o)
		return err_set("%s", err_cause(ENOMEM));
	for (size_t i = 0; i < nslots && rc == 0; i++) {
		const uint8_t *e = vmdb + first + i * size;
		uint32_t record_id = be32(e + 0x08);
		uint16_t entry = be16(e + 0x0C), total = be16(e + 0x0E);
		struct span *s = NULL;

		if (memcmp(e, "VBLK", 4))
			break;		/* the last entry in use */
		if (total == 0)
			continue;	/* a free entry */
		if (entry >= total) {
			rc = err_set("VBLK entry %zu is piece %u of %u", i, entry, total);
			break;
		}
		if (total == 1) {
			rc = parse_record(db, e + 0x10, piece, record_id);
			continue;
		}
		if (total > SPAN_MAX) {
			rc = err_set("VBLK record %u spans %u entries (at most %d)", record_id, total,
				     SPAN_MAX);
			break;
		}
		for (size_t k = 0; k < nspans && !s; k++)
			if (spans[k].record_id == record_id)
				s = &spans[k];
		if (!s) {
			struct span *grown;

			if (nspans == LDM_OBJECTS_MAX) {
				rc = err_set("more than %d VBLK records", LDM_OBJECTS_MAX);
				break;
			}
			grown = realloc(spans, (nspans + 1) * sizeof(*spans));
			if (!grown) {
				rc = err_set("%s", err_cause(ENOMEM));
				break;
			}
			spans = grown;
			s = &spans[nspans++];
			memset(s, 0, sizeof(*s));
			s->record_id = record_id;
			s->total = total;
			/* pieces never claim more than the database holds */
			held += (size_t)total * piece;
			s->data = held <= (size_t)CONFIG_SECTORS_MAX * SECTOR ? calloc(total, piece) : NULL;
			if (!s->data) {
				rc = err_set("%s", err_cause(ENOMEM));
				break;
			}
		}
		if (s->total != total || (s->have & 1u << entry)) {
			rc = err_set("VBLK record %u has piece %u twice or differing counts",
				     record_id, entry);
			break;
		}
		s->have |= 1u << entry;
		s->got++;
		memcpy(s->data + (size_t)entry * piece, e + 0x10, piece);
	}
	for (size_t k = 0; rc == 0 && k < nspans; k++) {
		if (spans[k].got != spans[k].total)
			rc = err_set("VBLK record %u has %u of its %u pieces", spans[k].record_id,
				     spans[k].got, spans[k].total);
		else
			rc = parse_record(db, spans[k].data, (size_t)spans[k].total * piece,
					  spans[k].record_id);
	}
	spans_free(spans, nspans);
	return rc;
}

static struct obj *find(struct db *db, enum obj_type type, uint32_t id)
{
	for (size_t i = 0; i < db->n; i++)
		if (db->o[i].type == type && db->o[i].id == id)
			return &db->o[i];
	return NULL;
}

/* The PRIVHEAD's fields that place things on the disk (sectors). */
struct privhead {
	uint8_t disk_guid[16];
	uint64_t data_start, data_size, config_start, config_size;
};

static int parse_privhead(const uint8_t *ph, uint64_t ph_sector, uint64_t disk_sectors,
			  struct privhead *h)
{
	uint16_t major = be16(ph + 0x0C), minor = be16(ph + 0x0E);

	if (memcmp(ph, "PRIVHEAD", 8))
		return err_set("no PRIVHEAD in sector %llu", (unsigned long long)ph_sector);
	if (major != 2 || (minor != 11 && minor != 12))
		return err_set("PRIVHEAD version %u.%u (known: 2.11, 2.12)", major, minor);
	if (guid_text((const char *)ph + 0x30, 64, h->disk_guid) < 0)
		return err_set("PRIVHEAD has no valid disk GUID");
	h->data_start = be64(ph + 0x11B);
	h->data_size = be64(ph + 0x123);
	h->config_start = be64(ph + 0x12B);
	h->config_size = be64(ph + 0x133);
	if (h->config_size < CONFIG_SECTORS_MIN || h->config_size > CONFIG_SECTORS_MAX)
		return err_set("PRIVHEAD says the database is %llu sectors (at most %d)",
			       (unsigned long long)h->config_size, CONFIG_SECTORS_MAX);
	if (h->config_start >= disk_sectors || h->config_size > disk_sectors - h->config_start)
		return err_set("PRIVHEAD puts the database past the end of the disk");
	if (h->data_size == 0 || h->data_start >= disk_sectors ||
	    h->data_size > disk_sectors - h->data_start)
		return err_set("PRIVHEAD puts the data area past the end of the disk");
	/* the data area holds the volumes: never sector 0 (the MBR), the
	   PRIVHEAD nor the database */
	if (h->data_start == 0)
		return err_set("PRIVHEAD's data area overlaps the MBR");
	if (ph_sector >= h->data_start && ph_sector - h->data_start < h->data_size)
		return err_set("PRIVHEAD's data area overlaps the PRIVHEAD");
	if (h->config_start < h->data_start + h->data_size &&
	    h->data_start < h->config_start + h->config_size)
		return err_set("PRIVHEAD's data area overlaps the database");
	return 0;
}

/* The VMDB, through the TOCBLOCK: its offset in config, or -1 with err_set(). */
static long find_vmdb(const uint8_t *config, size_t len)
{
	for (size_t sec = 2; sec >= 1; sec--) {
		const uint8_t *t = config + sec * SECTOR;

		if (memcmp(t, "TOCBLOCK", 8))
			continue;
		for (size_t b = 0; b < 2; b++) {
			const uint8_t *bm = t + 0x24 + b * 0x22;
			uint64_t start = be64(bm + 0x0A);

			if (memcmp(bm, "config\0", 7))
				continue;
			if (start == 0 || start >= len / SECTOR)
				return err_set("TOCBLOCK puts the VMDB past the database's end");
			if (memcmp(config + start * SECTOR, "VMDB", 4))
				return err_set("no VMDB in database sector %llu, where the TOCBLOCK "
					       "says", (unsigned long long)start);
			return (long)(start * SECTOR);
		}
		return err_set("TOCBLOCK names no config area");
	}
	return err_set("no TOCBLOCK in the database");
}

/* Make the volumes of g from the objects of db. */
static int volumes(struct db *db, const struct privhead *h, struct ldm_group *g)
{
	g->v = calloc(db->counted[OBJ_VOLUME] + 1, sizeof(*g->v));
	if (!g->v)
		return err_set("%s", err_cause(ENOMEM));
	/* each partition on a disk and in a component; each component in a volume */
	for (size_t i = 0; i < db->n; i++) {
		struct obj *o = &db->o[i], *up;

		if (o->type == OBJ_PARTITION) {
			if (!find(db, OBJ_DISK, o->disk))
				return err_set("partition %s is on disk %u, which has no record",
					       o->name, o->disk);
			up = find(db, OBJ_COMPONENT, o->parent);
			if (!up)
				return err_set("partition %s belongs to component %u, which has no "
					       "record", o->name, o->parent);
			if (o->size == 0 || o->start > h->data_size || o->size > h->data_size - o->start)
				return err_set("partition %s lies outside the data area (past the "
					       "end of the disk)", o->name);
			up->found++;
		} else if (o->type == OBJ_COMPONENT) {
			up = find(db, OBJ_VOLUME, o->parent);
			if (!up)
				return err_set("component %s belongs to volume %u, which has no "
					       "record", o->name, o->parent);
			up->found++;
		}
	}
	for (size_t i = 0; i < db->n; i++) {
		struct obj *vo = &db->o[i];
		struct ldm_volume *v;
		struct obj *comp = NULL, *part = NULL;

		if (vo->type != OBJ_VOLUME)
			continue;
		if (vo->found == 0 || vo->found != vo->count)
			return err_set("volume %s has %u components of the %u it says", vo->name,
				       vo->found, vo->count);
		for (size_t k = 0; k < g->n; k++)
			if (!strcmp(g->v[k].name, vo->name))
				return err_set("two volumes are called %s", vo->name);
		v = &g->v[g->n++];
		snprintf(v->name, sizeof(v->name), "%s", vo->name);
		if (vo->size > UINT64_MAX / SECTOR)
			return err_set("volume %s is too large", vo->name);
		v->size = vo->size * SECTOR;
		for (size_t k = 0; k < db->n; k++) {
			struct obj *c = &db->o[k];

			if (c->type != OBJ_COMPONENT || c->parent != vo->id)
				continue;
			if (c->found == 0 || c->found != c->count)
				return err_set("component %s has %u partitions of the %u it says",
					       c->name, c->found, c->count);
			if ((c->comp_type == 3) != (vo->vol_type == 4))
				return err_set("volume %s mixes RAID-5 and other components",
					       vo->name);
			comp = c;
			for (size_t p = 0; p < db->n; p++) {
				struct obj *po = &db->o[p], *disk;

				if (po->type != OBJ_PARTITION || po->parent != c->id)
					continue;
				disk = find(db, OBJ_DISK, po->disk);
				if (disk && !memcmp(disk->guid, h->disk_guid, 16))
					v->here = 1;
				part = po;
			}
		}
		if (comp->comp_type == 1)
			v->kind = LDM_STRIPED;
		else if (comp->comp_type == 3)
			v->kind = LDM_RAID5;
		else if (vo->count > 1)
			v->kind = LDM_MIRROR;
		else if (comp->count > 1)
			v->kind = LDM_SPANNED;
		else
			v->kind = LDM_SIMPLE;
		if (v->kind != LDM_SIMPLE || !v->here)
			continue;
		/* one extent, all of the volume, on this disk */
		if (part->vol_offset != 0 || part->size != vo->size)
			return err_set("simple volume %s is %llu sectors but its partition %s is "
				       "%llu sectors from volume offset %llu", vo->name,
				       (unsigned long long)vo->size, part->name,
				       (unsigned long long)part->size,
				       (unsigned long long)part->vol_offset);
		v->offset = (h->data_start + part->start) * SECTOR;
		v->length = part->size * SECTOR;
	}
	return 0;
}

int ldm_parse(const uint8_t *privhead, size_t len, uint64_t ph_sector, const uint8_t *config,
	      size_t config_len, uint64_t disk_sectors, struct ldm_group *g)
{
	struct privhead h;
	struct db db = { 0 };
	const uint8_t *vmdb;
	long at;
	int rc;

	memset(g, 0, sizeof(*g));
	if (len < SECTOR)
		return err_set("PRIVHEAD sector cut short");
	if (disk_sectors > UINT64_MAX / SECTOR)
		return err_set("the disk is too large");
	if (parse_privhead(privhead, ph_sector, disk_sectors, &h) < 0)
		return -1;
	if (config_len < h.config_size * SECTOR)
		return err_set("the database is cut short (%zu of %llu bytes)", config_len,
			       (unsigned long long)h.config_size * SECTOR);
	config_len = h.config_size * SECTOR;
	at = find_vmdb(config, config_len);
	if (at < 0)
		return -1;
	vmdb = config + at;
	if (config_len - (size_t)at < 0xB9)
		return err_set("the VMDB is cut short");
	if (be16(vmdb + 0x12) != 4 || be16(vmdb + 0x14) != 10)
		return err_set("VMDB version %u.%u (known: 4.10)", be16(vmdb + 0x12),
			       be16(vmdb + 0x14));
	{
		char name[LDM_NAME_MAX];
		size_t n = strnlen((const char *)vmdb + 0x16, 31);

		for (size_t i = 0; i < n && i < sizeof(name) - 1; i++)
			name[i] = vmdb[0x16 + i] >= 0x20 && vmdb[0x16 + i] < 0x7f ?
				  (char)vmdb[0x16 + i] : '?';
		name[n < sizeof(name) ? n : sizeof(name) - 1] = '\0';
		snprintf(g->name, sizeof(g->name), "%s", name);
	}
	g->data_start = h.data_start * SECTOR;
	g->data_size = h.data_size * SECTOR;
	rc = parse_vblks(&db, vmdb, config_len - (size_t)at);
	/* the VMDB counts the committed records of each kind: all must be there */
	for (int t = OBJ_VOLUME; rc == 0 && t <= OBJ_DISK; t++) {
		uint32_t said = be32(vmdb + 0x85 + 4 * (t - 1));

		if (said != db.counted[t])
			rc = err_set("the VMDB says %u %s records, there are %u", said, type_name[t],
				     db.counted[t]);
	}
	if (rc == 0)
		rc = volumes(&db, &h, g);
	free(db.o);
	if (rc < 0)
		ldm_free(g);
	return rc;
}

void ldm_free(struct ldm_group *g)
{
	free(g->v);
	memset(g, 0, sizeof(*g));
}

/* The last sector of the GPT partition of type "LDM metadata" on fd, or 0. */
static uint64_t gpt_ldm_privhead(int fd, uint64_t disk_sectors)
{
	/* 5808C8AA-7E8F-42E0-85D2-E1E90434CFB3 as GPT stores it */
	static const uint8_t ldm_metadata[16] = { 0xaa, 0xc8, 0x08, 0x58, 0x8f, 0x7e, 0xe0, 0x42,
						  0x85, 0xd2, 0xe1, 0xe9, 0x04, 0x34, 0xcf, 0xb3 };
	uint8_t hdr[SECTOR], *ent;
	uint64_t lba, found = 0;
	uint32_t n, size;

	if (file_pread_all(fd, hdr, SECTOR, SECTOR) != SECTOR || memcmp(hdr, "EFI PART", 8))
		return 0;
	lba = le(hdr + 0x48, 8);
	n = (uint32_t)le(hdr + 0x50, 4);
	size = (uint32_t)le(hdr + 0x54, 4);
	if (n == 0 || n > 1024 || size < 128 || size > 1024 || size % 8 || lba < 2 ||
	    lba >= disk_sectors)
		return 0;
	ent = malloc((size_t)n * size);
	if (!ent)
		return 0;
	if (file_pread_all(fd, ent, (size_t)n * size, (off_t)(lba * SECTOR)) ==
	    (ssize_t)((size_t)n * size)) {
		for (uint32_t i = 0; i < n && !found; i++) {
			const uint8_t *e = ent + (size_t)i * size;

			if (!memcmp(e, ldm_metadata, 16))
				found = le(e + 0x28, 8);
		}
	}
	free(ent);
	return found < disk_sectors ? found : 0;
}

int ldm_read(const char *path, struct ldm_group *g)
{
	uint8_t mbr[SECTOR], ph[SECTOR], *config = NULL;
	uint64_t bytes = 0, ph_sector = 0, start, size;
	struct stat st;
	int fd, rc = -1, secsize = SECTOR;

	memset(g, 0, sizeof(*g));
	fd = file_open(AT_FDCWD, path, O_RDONLY, 0);
	if (fd < 0)
		return err_set("cannot read the LDM database of %s: %s", path, err_cause(errno));
	if (fstat(fd, &st) < 0) {
		err_set("%s", err_cause(errno));
		goto out;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &bytes) < 0 || ioctl(fd, BLKSSZGET, &secsize) < 0) {
			err_set("%s", err_cause(errno));
			goto out;
		}
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
	} else {
		err_set("not a disk");
		goto out;
	}
	if (secsize != SECTOR) {
		err_set("it has %d-byte sectors (only 512-byte sectors are read)", secsize);
		goto out;
	}
	if (file_pread_all(fd, mbr, SECTOR, 0) != SECTOR || mbr[510] != 0x55 || mbr[511] != 0xaa) {
		err_set("no partition table in sector 0");
		goto out;
	}
	for (int i = 0; i < 4 && !ph_sector; i++) {
		uint8_t type = mbr[446 + 16 * i + 4];

		if (type == 0x42)
			ph_sector = 6;
		else if (type == 0xee)
			ph_sector = gpt_ldm_privhead(fd, bytes / SECTOR);
	}
	if (!ph_sector) {
		err_set("no dynamic disk partition (MBR type 0x42 or GPT LDM metadata)");
		goto out;
	}
	if (file_pread_all(fd, ph, SECTOR, (off_t)(ph_sector * SECTOR)) != SECTOR ||
	    memcmp(ph, "PRIVHEAD", 8)) {
		err_set("no PRIVHEAD in sector %llu", (unsigned long long)ph_sector);
		goto out;
	}
	start = be64(ph + 0x12B);
	size = be64(ph + 0x133);
	if (size < CONFIG_SECTORS_MIN || size > CONFIG_SECTORS_MAX || start >= bytes / SECTOR ||
	    size > bytes / SECTOR - start) {
		/* ldm_parse() says which */
		rc = ldm_parse(ph, SECTOR, ph_sector, ph, 0, bytes / SECTOR, g);
		goto out;
	}
	config = malloc(size * SECTOR);
	if (!config) {
		err_set("%s", err_cause(ENOMEM));
		goto out;
	}
	errno = 0;
	if (file_pread_all(fd, config, size * SECTOR, (off_t)(start * SECTOR)) !=
	    (ssize_t)(size * SECTOR)) {
		err_set("cannot read its %llu sectors from sector %llu: %s",
			(unsigned long long)size, (unsigned long long)start,
			errno ? err_cause(errno) : "cut short");
		goto out;
	}
	rc = ldm_parse(ph, SECTOR, ph_sector, config, size * SECTOR, bytes / SECTOR, g);
out:
	if (rc < 0)
		err_wrap("cannot read the LDM database of %s", path);
	free(config);
	close(fd);
	return rc;
}
