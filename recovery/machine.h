/*
 * machine.h - the computer bootfix runs on, for the audit record: its DMI
 * identity (vendor, model, serial numbers, BIOS), its network cards' MAC
 * addresses and its disks.
 *
 * Firmware fills DMI as it likes, or not at all: what cannot be read is
 * left out (NULL), never an error.  With --root the machine is the one the
 * volume is mounted on (a rescue VM), not necessarily the Windows owner.
 */
#ifndef BOOTFIX_MACHINE_H
#define BOOTFIX_MACHINE_H

#include <stddef.h>

#include <json-c/json.h>

#include "hw.h"

/* The DMI attributes recorded, in record order (/sys/class/dmi/id/NAME). */
#define MACHINE_DMI_FIELDS \
	X(sys_vendor) X(product_name) X(product_serial) X(product_uuid) X(board_serial) \
	X(bios_version)

struct machine_nic {
	char *name;		/* "eth0" */
	char *mac;		/* "52:54:00:12:34:56", as the kernel prints it */
	int physical;		/* backed by a device (not a bridge, tunnel, veth...) */
};

struct machine {
#define X(f) char *f;
	MACHINE_DMI_FIELDS
#undef X
	struct machine_nic *nics;	/* sorted by name; lo and 00:00:00:00:00:00 left out */
	size_t nnics;
	struct hw_disk *disks;		/* hw_disks(): the listing `bootfix hw` shows */
	size_t ndisks;
	long uptime_s;			/* seconds since the running system booted (/proc/uptime):
					 * in the rescue system, boot to record; 0 unknown */
};

/*
 * Fill *m (free with machine_free()).  sysroot is where sysfs is mounted
 * (NULL: "/sys"; tests pass a directory laid out like it).  Disks are
 * hw_disks(): the whole disks listed in SYSROOT/block that are hardware
 * (not loop, ram, zram, dm-, md, sr, fd, nbd: an image attached for a run
 * is gone by the time the record is written, and its name may already
 * mean another), their facts read below SYSROOT/block by disk_info()'s
 * rule.  Returns 0, or -1 with err_set() when out of memory (m then holds
 * what was read).
 */
int machine_read(struct machine *m, const char *sysroot);

/*
 * {"sys_vendor":..., ..., "nics":[{"name","mac","physical"}],
 *  "disks":[{"name","model","serial","size"}]}, absent fields left out
 * (the disks' as sysfs has them: struct hw_disk's sysfs); a new reference
 * the caller owns.
 */
struct json_object *machine_json(const struct machine *m);

/* The longest machine serial kept. */
#define MACHINE_SERIAL_MAX 64

/*
 * This machine's serial number, to tell machines of a shift apart: DMI
 * product_serial below sysroot (NULL: "/sys"; root-readable only), as
 * text_printable() makes it, at most MACHINE_SERIAL_MAX bytes.  A new
 * string the caller frees; NULL when absent, blank or a placeholder.
 */
char *machine_serial(const char *sysroot);

/*
 * 1 when s is no serial number but what firmware ships unfilled ("To be
 * filled by O.E.M.", "Default string", "System Serial Number", "0",
 * "00000000"...), compared without case; also for NULL and "".
 */
int machine_serial_placeholder(const char *s);

/* 1 when no DMI attribute could be read at all. */
int machine_no_dmi(const struct machine *m);

void machine_free(struct machine *m);

#endif
