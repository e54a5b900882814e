/*
 * hw.h - the machine's hardware as the kernel sees it, so that "no Windows
 * found" never hides a disk the image has no driver for: PCI storage and
 * USB controllers with their vendor:device id, name (pci.ids) and the
 * driver bound to each, or none; the disks with model, serial, size and
 * bus; the keyboards.
 *
 * Everything comes from sysfs below a root (NULL: "/sys"; tests pass a
 * directory laid out like it), read with file_open().  Names and strings
 * from devices and from pci.ids are untrusted: printable ASCII only
 * (text_printable()), cut to HW_NAME_MAX bytes.
 */
#ifndef BOOTFIX_HW_H
#define BOOTFIX_HW_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "disk.h"

#define HW_NAME_MAX 96

/* A PCI controller of class 01 (mass storage) or 0c03 (USB). */
struct hw_controller {
	char slot[32];		/* "0000:00:1f.2" */
	unsigned vendor, device;	/* 0x103c, 0x323a */
	unsigned class;		/* 0x010400: class, subclass, programming interface */
	char *name;		/* "Hewlett-Packard Company Smart Array G6 controllers" (pci.ids),
				   NULL when pci.ids does not know the vendor */
	char *driver;		/* bound driver ("hpsa"), NULL: none */
};

/*
 * A disk of the machine: an entry of SYSROOT/block that is hardware
 * (disk_virtual() says no), read by hw_disks().
 */
struct hw_disk {
	struct diskinfo sysfs;	/* name, model, serial and size as sysfs has them, by
				   disk_info()'s rule: what the audit record keeps */
	char *name;		/* "sda", "nvme0n1": printable, NULL when nothing is */
	char *model, *serial;	/* printable, NULL when unknown: what screens show */
	uint64_t size;		/* bytes */
	const char *bus;	/* "nvme", "ata", "scsi", "usb", "virtio", "mmc", "hyperv", "xen", "other" */
	char controller[32];	/* the PCI slot it hangs off, "" when none */
};

struct hw_keyboard {
	char *name;		/* "AT Translated Set 2 keyboard", as the kernel says */
	const char *bus;	/* "PS/2", "USB", "I2C", "Bluetooth", "Hyper-V", "virtual", "other" */
};

struct hw {
	struct hw_controller *controllers;	/* sorted by slot */
	size_t ncontrollers;
	struct hw_disk *disks;			/* hw_disks(), but those without a
						   printable name (nothing to show) */
	size_t ndisks;
	struct hw_keyboard *keyboards;		/* in input device order */
	size_t nkeyboards;
};

/*
 * Fill *h (free with hw_free(); zeroed first).  sysroot: where sysfs is
 * (NULL: "/sys").  pciids: the pci.ids file for names (NULL: the image's
 * /usr/share/bootfix/pci.ids, else /usr/share/misc/pci.ids or
 * /usr/share/hwdata/pci.ids); a missing or unreadable one leaves the names
 * NULL.  What cannot be read is left out.  Returns 0, or -1 with err_set()
 * when out of memory (h then holds what was read).
 */
int hw_read(struct hw *h, const char *sysroot, const char *pciids);

/*
 * The machine's disks: the one walk of SYSROOT/block (sysroot NULL:
 * "/sys"), for `bootfix hw`, the menu and the audit record (machine.h)
 * alike.  Every entry but the virtual ones (loop, ram, zram, dm-, md, sr,
 * fd, nbd: disk_virtual()), sorted by kernel name; each one's facts from
 * disk_info_at() below SYSROOT/block, its bus and controller from where its
 * link points.  *out is an array the caller frees with hw_disks_free();
 * nothing (0) when SYSROOT/block cannot be read.  Returns 0, or -1 with
 * err_set() when out of memory (*out then holds what was read).
 */
int hw_disks(const char *sysroot, struct hw_disk **out, size_t *n);
void hw_disks_free(struct hw_disk *disks, size_t n);

/* 1 when c is a storage controller (class 01) no driver has taken. */
int hw_bare(const struct hw_controller *c);

/* The number of such controllers in h. */
size_t hw_nbare(const struct hw *h);

/*
 * "103c:323a Hewlett-Packard Company Smart Array G6 controllers" (or
 * "103c:323a RAID bus controller" when pci.ids has no name) into buf;
 * returns buf.
 */
char *hw_controller_text(const struct hw_controller *c, char *buf, size_t len);

/* The controller's class in words: "RAID bus controller", "SATA controller"... */
const char *hw_class_name(unsigned class);

/*
 * [{"slot","id":"103c:323a","class","name","driver"}] of the
 * controllers (driver null when none); a new reference the caller owns.
 */
struct json_object *hw_controllers_json(const struct hw *h);

/* {"controllers":[...], "disks":[...], "keyboards":[...]}: a new reference. */
struct json_object *hw_json(const struct hw *h);

void hw_free(struct hw *h);

#endif
