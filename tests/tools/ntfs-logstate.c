/*
 * ntfs-logstate - test fixture that puts the NTFS journal ($LogFile) of a
 * volume image into a known state, or reports the state it finds.
 *
 *   ntfs-logstate IMAGE [--offset BYTES] clean|unclean|fast-restart|empty|show
 *
 * Tests of bootfix need volumes that look like Windows left them: with an
 * unclean journal (crash, power loss), with a fast-restart (version 2.0)
 * journal, or cleanly shut down. mkntfs only makes an all-0xFF journal, which
 * ntfs-3g treats as clean, so this tool writes the journal itself.
 *
 * It finds $LogFile from the boot sector and MFT record 2, and writes two
 * restart pages ("RSTR") plus a minimal log: one page of old records and one
 * page whose only record is a checkpoint that the restart area points at,
 * with the tail copies in blocks 2 and 3 (2..33 are the buffer for version
 * 2.0). ntfs-3g only reads the restart pages; ntfsrecover also walks the log
 * back from the newest page, and with this layout it finds the checkpoint,
 * has nothing to replay, and rewrites the restart pages as clean.
 *
 * No libntfs-3g on purpose: the fixture must not share code (or bugs) with
 * the driver whose behaviour the tests check. Little endian layout only.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECTOR 512u      /* fixup stride, whatever the device sector size */
#define PAGE 4096u       /* log page size written by every Windows version */
#define NO_CLIENT 0xffffu
#define VOLUME_IS_CLEAN 0x0002u
#define CKPT_DATA_LEN 0x68u  /* client data size of an XP..8 checkpoint */

struct run { uint64_t vcn, lcn, len; };

struct vol {
	int fd;
	uint64_t base;          /* byte offset of the volume in the image */
	uint32_t cluster;
	uint64_t logsize;       /* $LogFile data size */
	struct run runs[64];
	size_t nruns;
};

static const char *prog = "ntfs-logstate";

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint16_t get16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }
static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v); put32(p + 4, v >> 32); }

static void xpread(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	if (n != (ssize_t)len)
		die("read of %zu bytes at %llu failed: %s", len,
		    (unsigned long long)off, n < 0 ? strerror(errno) : "short read");
}

static void xpwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	ssize_t n = pwrite(fd, buf, len, (off_t)off);

	if (n != (ssize_t)len)
		die("write of %zu bytes at %llu failed: %s", len,
		    (unsigned long long)off, n < 0 ? strerror(errno) : "short write");
}

/* Undo the update sequence fixups; -1 means a torn (or never written) record. */
static int mst_unprotect(uint8_t *rec, size_t size)
{
	unsigned ofs = get16(rec + 4), count = get16(rec + 6);

	if (ofs & 1 || count != size / SECTOR + 1 || ofs + 2 * count > SECTOR - 2)
		return -1;
	for (unsigned i = 1; i < count; i++)
		if (memcmp(rec + i * SECTOR - 2, rec + ofs, 2))
			return -1;
	for (unsigned i = 1; i < count; i++)
		memcpy(rec + i * SECTOR - 2, rec + ofs + 2 * i, 2);
	return 0;
}

static void mst_protect(uint8_t *rec, size_t size)
{
	unsigned ofs = get16(rec + 4), count = get16(rec + 6);
	/* 0 and 0xffff are not valid sequence numbers for the driver */
	uint16_t usn = get16(rec + ofs) + 1;

	if (usn == 0 || usn == 0xffff)
		usn = 1;
	put16(rec + ofs, usn);
	for (unsigned i = 1; i < count && i * SECTOR <= size; i++) {
		memcpy(rec + ofs + 2 * i, rec + i * SECTOR - 2, 2);
		put16(rec + i * SECTOR - 2, usn);
	}
}

static void parse_runs(struct vol *v, const uint8_t *a, uint32_t alen)
{
	const uint8_t *p = a + get16(a + 0x20), *end = a + alen;
	uint64_t vcn = get64(a + 0x10), lcn = 0;

	if (vcn != 0)
		die("$LogFile data does not start in its base record");
	while (p < end && *p) {
		unsigned lb = *p & 0xf, ob = *p >> 4;
		uint64_t len = 0;
		int64_t delta = 0;

		if (!lb || lb > 8 || ob > 8 || p + 1 + lb + ob > end)
			die("corrupt $LogFile runlist");
		for (unsigned i = 0; i < lb; i++)
			len |= (uint64_t)p[1 + i] << 8 * i;
		for (unsigned i = 0; i < ob; i++)
			delta |= (int64_t)((uint64_t)p[1 + lb + i] << 8 * i);
		if (ob && ob < 8 && p[lb + ob] & 0x80)  /* sign-extend */
			delta |= (int64_t)(~(uint64_t)0 << 8 * ob);
		if (!ob)
			die("sparse $LogFile is not supported");
		if (v->nruns == sizeof(v->runs) / sizeof(v->runs[0]))
			die("$LogFile is too fragmented");
		lcn += (uint64_t)delta;
		v->runs[v->nruns++] = (struct run){ vcn, lcn, len };
		vcn += len;
		p += 1 + lb + ob;
	}
	if (vcn * v->cluster < v->logsize)
		die("$LogFile runlist does not cover its data");
}

static void open_volume(struct vol *v, const char *path, uint64_t base, int rw)
{
	uint8_t bs[512];

	v->fd = open(path, rw ? O_RDWR : O_RDONLY);
	if (v->fd < 0)
		die("cannot open %s: %s", path, strerror(errno));
	v->base = base;
	xpread(v->fd, bs, sizeof(bs), base);
	if (memcmp(bs + 3, "NTFS    ", 8))
		die("no NTFS boot sector at offset %llu", (unsigned long long)base);

	uint32_t bps = get16(bs + 11), spc = bs[13];
	/* Windows writes 2^n as 256 - n once clusters exceed 128 sectors */
	if (spc > 0x80)
		spc = 1u << (256 - spc);
	v->cluster = bps * spc;
	if (bps < 256 || bps > 4096 || bps & (bps - 1) || !spc || v->cluster > (1u << 21))
		die("unsupported sector or cluster size");

	int8_t cpr = (int8_t)bs[0x40];
	uint32_t recsize = cpr > 0 ? (uint32_t)cpr * v->cluster : 1u << -cpr;
	if (recsize < SECTOR || recsize > 65536)
		die("unsupported mft record size %u", recsize);

	/* Record 2 always lies in the first extent of $MFT: the system files
	 * 0..15 are allocated together when the volume is formatted. */
	uint8_t *rec = malloc(recsize);
	if (!rec)
		die("out of memory");
	xpread(v->fd, rec, recsize, base + get64(bs + 0x30) * v->cluster + 2ull * recsize);
	if (memcmp(rec, "FILE", 4) || mst_unprotect(rec, recsize))
		die("mft record 2 ($LogFile) is unreadable");

	uint32_t used = get32(rec + 0x18), ofs = get16(rec + 0x14);
	if (used > recsize)
		die("mft record 2 is corrupt");
	while (ofs + 16 <= used && get32(rec + ofs) != 0xffffffffu) {
		const uint8_t *a = rec + ofs;
		uint32_t alen = get32(a + 4);

		if (alen < 16 || ofs + alen > used)
			die("mft record 2 is corrupt");
		if (get32(a) == 0x80 && a[9] == 0) {
			if (!a[8])
				die("$LogFile data is resident");
			v->logsize = get64(a + 0x30);
			parse_runs(v, a, alen);
			free(rec);
			/* same lower bound as the driver: 2 restart pages + 48 */
			if ((v->logsize & ~(uint64_t)(PAGE - 1)) < 50ull * PAGE)
				die("$LogFile is too small");
			return;
		}
		ofs += alen;
	}
	die("$LogFile has no unnamed $DATA attribute in its base record");
}

/* Read or write a byte range of $LogFile, following its runlist. */
static void log_io(struct vol *v, uint64_t off, uint8_t *buf, size_t len, int wr)
{
	while (len) {
		uint64_t vcn = off / v->cluster;
		size_t i = 0;

		while (i < v->nruns && !(vcn >= v->runs[i].vcn &&
					 vcn < v->runs[i].vcn + v->runs[i].len))
			i++;
		if (i == v->nruns)
			die("offset %llu is outside $LogFile", (unsigned long long)off);
		uint64_t in_run = off - v->runs[i].vcn * v->cluster;
		uint64_t room = v->runs[i].len * v->cluster - in_run;
		size_t n = len < room ? len : (size_t)room;
		uint64_t phys = v->base + v->runs[i].lcn * v->cluster + in_run;

		if (wr)
			xpwrite(v->fd, buf, n, phys);
		else
			xpread(v->fd, buf, n, phys);
		off += n;
		buf += n;
		len -= n;
	}
}

/* The parameters shared by the restart area and the log pages. */
struct layout {
	int major, minor;
	unsigned seq_bits;
	uint64_t prev_blk, ckpt_blk;  /* page of old records, checkpoint page */
	uint64_t prev_lsn, ckpt_lsn;
};

static unsigned seq_bits(uint64_t logsize)
{
	unsigned bits = 0;

	while (logsize) {
		logsize >>= 1;
		bits++;
	}
	return 67 - bits;
}

/* An LSN is a wrap count over the 8-byte unit offset of the record. */
static uint64_t lsn_at(const struct layout *l, uint64_t off)
{
	return (1ull << (64 - l->seq_bits)) | off >> 3;
}

static void make_restart(uint8_t *pg, const struct vol *v, const struct layout *l,
			 uint16_t in_use, uint16_t flags)
{
	uint8_t *ra = pg + 0x30, *cl = ra + 0x40;

	memset(pg, 0, PAGE);
	memcpy(pg, "RSTR", 4);
	put16(pg + 4, 0x1e);                  /* usa right after the header */
	put16(pg + 6, PAGE / SECTOR + 1);
	put32(pg + 16, PAGE);                 /* system page size */
	put32(pg + 20, PAGE);                 /* log page size */
	put16(pg + 24, 0x30);                 /* restart area offset */
	put16(pg + 26, l->minor);
	put16(pg + 28, l->major);

	put64(ra + 0, l->ckpt_lsn);           /* current lsn */
	put16(ra + 8, 1);                     /* one client: NTFS */
	put16(ra + 10, NO_CLIENT);            /* free list */
	put16(ra + 12, in_use);
	put16(ra + 14, flags);
	put32(ra + 16, l->seq_bits);
	put16(ra + 20, 0x40 + 0xa0);          /* restart area length */
	put16(ra + 22, 0x40);                 /* client array offset, as XP+ */
	put64(ra + 24, v->logsize);
	put32(ra + 32, CKPT_DATA_LEN);        /* last lsn data length */
	put16(ra + 36, 0x30);                 /* log record header length */
	put16(ra + 38, 0x40);                 /* log page data offset */
	put32(ra + 40, 1);                    /* restart log open count */

	/* Nothing older than the checkpoint is needed: no replay work. */
	put64(cl + 0, l->ckpt_lsn);           /* oldest lsn */
	put64(cl + 8, l->ckpt_lsn);           /* client restart lsn */
	put16(cl + 16, NO_CLIENT);
	put16(cl + 18, NO_CLIENT);
	put32(cl + 28, 8);
	memcpy(cl + 32, "N\0T\0F\0S\0", 8);
	mst_protect(pg, PAGE);
}

static void make_record_page(uint8_t *pg, uint64_t copy, uint16_t next_rec,
			     uint64_t last_end_lsn)
{
	memset(pg, 0, PAGE);
	memcpy(pg, "RCRD", 4);
	put16(pg + 4, 0x28);
	put16(pg + 6, PAGE / SECTOR + 1);
	put64(pg + 8, copy);                  /* last lsn, or offset in a tail copy */
	put32(pg + 16, 1);                    /* a record ends in this page */
	put16(pg + 20, 1);                    /* page count */
	put16(pg + 22, 1);                    /* page position */
	put16(pg + 24, next_rec);
	put64(pg + 32, last_end_lsn);
}

static void put_record(uint8_t *r, uint64_t lsn, uint64_t prev, uint32_t data_len,
		       uint32_t type, uint32_t transaction)
{
	put64(r + 0, lsn);
	put64(r + 8, prev);                   /* client previous lsn */
	put32(r + 0x18, data_len);
	put32(r + 0x20, type);
	put32(r + 0x24, transaction);
	/* redo and undo operations stay Noop, with no data */
}

static void write_state(struct vol *v, const char *state)
{
	struct layout l = { 1, 1, seq_bits(v->logsize), 4, 5, 0, 0 };
	uint16_t flags = 0;
	uint8_t *pg = malloc(PAGE);

	if (!pg)
		die("out of memory");
	if (!strcmp(state, "empty")) {
		/* what mkntfs and ntfs-3g's journal reset leave behind */
		memset(pg, 0xff, PAGE);
		for (uint64_t off = 0; off < v->logsize; off += PAGE)
			log_io(v, off, pg, v->logsize - off < PAGE ? v->logsize - off : PAGE, 1);
		free(pg);
		return;
	}
	if (!strcmp(state, "clean")) {
		flags = VOLUME_IS_CLEAN;
	} else if (!strcmp(state, "fast-restart")) {
		/* version 2.0 buffers pages in blocks 2..33; regular pages follow */
		l.major = 2;
		l.minor = 0;
		l.prev_blk = 34;
		l.ckpt_blk = 35;
	}
	l.prev_lsn = lsn_at(&l, l.prev_blk * PAGE + 0x40);
	l.ckpt_lsn = lsn_at(&l, l.ckpt_blk * PAGE + 0x40);

	/*
	 * The older page ends too close to its end for another record header,
	 * so ntfsrecover starts the checkpoint page at its first record
	 * instead of expecting a record that overlaps from the older page.
	 */
	uint16_t prev_end = PAGE - 40;
	make_record_page(pg, l.prev_lsn, prev_end, l.prev_lsn);
	put_record(pg + 0x40, l.prev_lsn, 0, prev_end - 0x40 - 0x30, 1, 1);
	mst_protect(pg, PAGE);
	log_io(v, l.prev_blk * PAGE, pg, PAGE, 1);

	uint16_t ckpt_end = 0x40 + 0x30 + CKPT_DATA_LEN;
	for (int copy = 0; copy < 3; copy++) {
		uint64_t blk = copy == 0 ? l.ckpt_blk : (uint64_t)copy + 1;

		/* version 2.0 has a single buffer copy, in block 2 */
		if (l.major == 2 && blk == 3)
			continue;
		/* a version 1.1 tail copy records where its page belongs */
		make_record_page(pg, l.major == 1 && blk < 4 ? l.ckpt_blk * PAGE : l.ckpt_lsn,
				 ckpt_end, l.ckpt_lsn);
		put_record(pg + 0x40, l.ckpt_lsn, l.prev_lsn, CKPT_DATA_LEN, 2, 0);
		mst_protect(pg, PAGE);
		log_io(v, blk * PAGE, pg, PAGE, 1);
	}

	/* XP and later keep client 0 in use even across a clean shutdown */
	for (int i = 0; i < 2; i++) {
		make_restart(pg, v, &l, 0, flags);
		log_io(v, (uint64_t)i * PAGE, pg, PAGE, 1);
	}
	free(pg);
}

/* Classify like ntfs-3g's logfile.c and volume.c do. */
static int show_state(struct vol *v)
{
	uint8_t *pg = malloc(PAGE);
	int best = -1;
	uint64_t best_lsn = 0;
	unsigned major = 0, minor = 0, in_use = 0, flags = 0;

	if (!pg)
		die("out of memory");
	printf("logfile: %llu bytes\n", (unsigned long long)v->logsize);
	for (int i = 0; i < 2; i++) {
		log_io(v, (uint64_t)i * PAGE, pg, PAGE, 0);
		if (get32(pg) == 0xffffffffu) {
			printf("page %d: empty\n", i);
			continue;
		}
		if (memcmp(pg, "RSTR", 4) && memcmp(pg, "CHKD", 4)) {
			printf("page %d: no restart page\n", i);
			continue;
		}
		if (get16(pg + 24) > PAGE - 48) {
			printf("page %d: bad restart area offset\n", i);
			continue;
		}
		int torn = mst_unprotect(pg, PAGE);
		const uint8_t *ra = pg + get16(pg + 24);
		uint64_t lsn = get64(ra);

		printf("page %d: %.4s version %u.%u in_use 0x%x flags 0x%x "
		       "current_lsn 0x%llx%s\n", i, (const char *)pg,
		       get16(pg + 28), get16(pg + 26), get16(ra + 12),
		       get16(ra + 14), (unsigned long long)lsn,
		       torn ? " (bad fixups)" : "");
		/* the driver uses the newer page, the first one on a tie */
		if (!torn && (best < 0 || lsn > best_lsn)) {
			best = i;
			best_lsn = lsn;
			major = get16(pg + 28);
			minor = get16(pg + 26);
			in_use = get16(ra + 12);
			flags = get16(ra + 14);
		}
	}
	free(pg);

	const char *state;
	if (best < 0)
		state = "empty";
	else if (major == 2 && minor == 0)
		state = "fast-restart";
	else if (major != 1 || minor != 1)
		state = "unsupported";
	else if (in_use != NO_CLIENT && !(flags & VOLUME_IS_CLEAN))
		state = "unclean";
	else
		state = "clean";
	printf("state: %s\n", state);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: %s IMAGE [--offset BYTES] "
		"clean|unclean|fast-restart|empty|show\n", prog);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *image = NULL, *state = NULL;
	uint64_t base = 0;
	struct vol v = { 0 };

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--offset") && i + 1 < argc) {
			char *end;

			errno = 0;
			base = strtoull(argv[++i], &end, 0);
			if (errno || *end || argv[i][0] == '-')
				die("bad offset '%s'", argv[i]);
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage();
		} else if (!image) {
			image = argv[i];
		} else if (!state) {
			state = argv[i];
		} else {
			usage();
		}
	}
	if (!image || !state)
		usage();

	static const char *const states[] = {
		"clean", "unclean", "fast-restart", "empty", "show"
	};
	size_t k = 0;
	while (k < 5 && strcmp(state, states[k]))
		k++;
	if (k == 5)
		die("unknown state '%s'", state);

	int show = !strcmp(state, "show");
	open_volume(&v, image, base, !show);
	if (show)
		return show_state(&v);
	write_state(&v, state);
	if (fsync(v.fd))
		die("fsync failed: %s", strerror(errno));
	close(v.fd);
	return 0;
}
