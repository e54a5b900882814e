/*
 * hw.c - controllers, disks and keyboards from sysfs (see hw.h).
 *
 * PCI devices are SYSROOT/bus/pci/devices/SLOT with class, vendor and
 * device attributes and a driver link when one is bound.  Disks are the
 * hardware entries of SYSROOT/block (hw_disks(), the record's list too),
 * each read by disk_info_at(); the link's target says which bus and which
 * PCI slot they hang off.  Keyboards are the input devices whose key
 * bitmap has the first row of keys, udev's test (input_id).  Names come
 * from pci.ids, read once for all controllers.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk.h"
#include "err.h"
#include "file.h"
#include "hw.h"
#include "text.h"

/* A hex attribute ("0x010400"); -1 when absent or not a number. */
static long read_hex(int dirfd, const char *name)
{
	char *s = file_attr(dirfd, name), *end;
	long v;

	if (!s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 16);
	if (errno || end == s || *end || v < 0)
		v = -1;
	free(s);
	return v;
}

/* The last part of the link dirfd/name points at ("ahci"); NULL if none. */
static char *link_base(int dirfd, const char *name)
{
	char target[4096], *slash;
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);

	if (n <= 0)
		return NULL;
	target[n] = '\0';
	slash = strrchr(target, '/');
	return text_printable(slash ? slash + 1 : target, HW_NAME_MAX);
}

const char *hw_class_name(unsigned class)
{
	switch (class >> 8) {
	case 0x0100: return "SCSI storage controller";
	case 0x0101: return "IDE interface";
	case 0x0102: return "floppy disk controller";
	case 0x0104: return "RAID bus controller";
	case 0x0105: return "ATA controller";
	case 0x0106: return "SATA controller";
	case 0x0107: return "SAS controller";
	case 0x0108: return "NVMe controller";
	case 0x0c03: return "USB controller";
	}
	return (class >> 16) == 0x01 ? "mass storage controller" : "controller";
}

int hw_bare(const struct hw_controller *c)
{
	return (c->class >> 16) == 0x01 && !c->driver;
}

size_t hw_nbare(const struct hw *h)
{
	size_t n = 0;

	for (size_t i = 0; h && i < h->ncontrollers; i++)
		n += hw_bare(&h->controllers[i]);
	return n;
}

char *hw_controller_text(const struct hw_controller *c, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%04x %s", c->vendor, c->device,
		 c->name ? c->name : hw_class_name(c->class));
	return buf;
}

/* "  1234  Name" or "\t1234  Name": the id (-1 if not such a line), *name set. */
static long ids_line(const char *line, int tabs, const char **name)
{
	char hex[5];

	for (int i = 0; i < tabs; i++)
		if (line[i] != '\t')
			return -1;
	line += tabs;
	for (int i = 0; i < 4; i++)
		if (!isxdigit((unsigned char)line[i]))
			return -1;
	if (line[4] != ' ')
		return -1;
	memcpy(hex, line, 4);
	hex[4] = '\0';
	*name = line + 4;
	while (**name == ' ')
		(*name)++;
	return strtol(hex, NULL, 16);
}

static FILE *open_ids(const char *pciids)
{
	static const char *const where[] = {
		"/usr/share/bootfix/pci.ids", "/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids",
	};
	int fd;

	if (pciids) {
		fd = file_open(AT_FDCWD, pciids, O_RDONLY, 0);
		return fd < 0 ? NULL : fdopen(fd, "re");
	}
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if ((fd = file_open(AT_FDCWD, where[i], O_RDONLY, 0)) >= 0)
			return fdopen(fd, "re");
	return NULL;
}

/*
 * Name every controller from pci.ids in one pass: "Vendor Device", or the
 * vendor alone when pci.ids knows the vendor and not the device.  Lines
 * are cut at 512 bytes; the class section (C lines) ends the devices.
 */
static void name_controllers(struct hw *h, const char *pciids)
{
	char line[512], vname[HW_NAME_MAX + 1] = "";
	long vendor = -1;
	FILE *f;

	if (!h->ncontrollers || !(f = open_ids(pciids)))
		return;
	while (fgets(line, sizeof(line), f)) {
		const char *name;
		long id;

		if (!strchr(line, '\n') && !feof(f)) {
			int ch;

			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;	/* a line too long for any name: skip the rest */
			continue;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == 'C' && line[1] == ' ')
			break;
		if ((id = ids_line(line, 0, &name)) >= 0) {
			vendor = id;
			snprintf(vname, sizeof(vname), "%s", name);
			for (size_t i = 0; i < h->ncontrollers; i++)
				if (h->controllers[i].vendor == (unsigned)id && !h->controllers[i].name)
					h->controllers[i].name = text_printable(vname, HW_NAME_MAX);
		} else if (vendor >= 0 && (id = ids_line(line, 1, &name)) >= 0) {
			for (size_t i = 0; i < h->ncontrollers; i++) {
				struct hw_controller *c = &h->controllers[i];
				char both[2 * HW_NAME_MAX + 2];

				if (c->vendor != (unsigned)vendor || c->device != (unsigned)id)
					continue;
				snprintf(both, sizeof(both), "%s %s", vname, name);
				free(c->name);
				c->name = text_printable(both, HW_NAME_MAX);
			}
		}
	}
	fclose(f);
}

static int by_slot(const void *a, const void *b)
{
	return strcmp(((const struct hw_controller *)a)->slot,
		      ((const struct hw_controller *)b)->slot);
}

static int read_controllers(struct hw *h, const char *sysroot)
{
	struct dirent *e;
	int dfd;
	DIR *d = file_opendir(sysroot, "bus/pci/devices", &dfd);

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[512];
		struct hw_controller *c;
		long class, vendor, device;

		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(c->slot))
			continue;
		snprintf(path, sizeof(path), "%s/class", e->d_name);
		class = read_hex(dfd, path);
		if (class < 0 || ((class >> 16) != 0x01 && (class >> 8) != 0x0c03))
			continue;
		snprintf(path, sizeof(path), "%s/vendor", e->d_name);
		vendor = read_hex(dfd, path);
		snprintf(path, sizeof(path), "%s/device", e->d_name);
		device = read_hex(dfd, path);
		if (vendor < 0 || vendor > 0xffff || device < 0 || device > 0xffff)
			continue;
		c = realloc(h->controllers, (h->ncontrollers + 1) * sizeof(*c));
		if (!c) {
			closedir(d);
			return err_set("cannot list controllers: %s", strerror(ENOMEM));
		}
		h->controllers = c;
		c += h->ncontrollers++;
		memset(c, 0, sizeof(*c));
		snprintf(c->slot, sizeof(c->slot), "%s", e->d_name);
		c->class = (unsigned)class;
		c->vendor = (unsigned)vendor;
		c->device = (unsigned)device;
		snprintf(path, sizeof(path), "%s/driver", e->d_name);
		c->driver = link_base(dfd, path);
	}
	closedir(d);
	if (h->ncontrollers)
		qsort(h->controllers, h->ncontrollers, sizeof(*h->controllers), by_slot);
	return 0;
}

/* Is s a PCI slot name, "0000:00:1f.2"? */
static int pci_slot(const char *s, size_t n)
{
	static const char shape[] = "xxxx:xx:xx.x";

	if (n != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (shape[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != shape[i])
			return 0;
	return 1;
}

/* The bus and PCI slot of a disk, from where its sysfs link points. */
static void disk_place(struct hw_disk *k, const char *target)
{
	const char *p = target, *slash;

	k->bus = "other";
	k->controller[0] = '\0';
	/* the last PCI slot on the way is the disk's controller */
	while (*p) {
		slash = strchr(p, '/');
		if (!slash)
			slash = p + strlen(p);
		if (pci_slot(p, (size_t)(slash - p)))
			snprintf(k->controller, sizeof(k->controller), "%.*s", (int)(slash - p), p);
		p = *slash ? slash + 1 : slash;
	}
	if (strstr(target, "/usb"))
		k->bus = "usb";
	else if (strstr(target, "/nvme"))
		k->bus = "nvme";
	else if (strstr(target, "/ata"))
		k->bus = "ata";
	else if (strstr(target, "/mmc"))
		k->bus = "mmc";
	else if (strstr(target, "/vmbus") || strstr(target, "VMBUS"))
		k->bus = "hyperv";
	else if (strstr(target, "/xen") || strstr(target, "/vbd-"))
		k->bus = "xen";
	else if (strstr(target, "/host"))
		k->bus = "scsi";
	else if (strstr(target, "/virtio"))
		k->bus = "virtio";
}

static int by_disk(const void *a, const void *b)
{
	return strcmp(((const struct hw_disk *)a)->sysfs.name,
		      ((const struct hw_disk *)b)->sysfs.name);
}

int hw_disks(const char *sysroot, struct hw_disk **out, size_t *n)
{
	struct dirent *e;
	int dfd, rc = 0;
	DIR *d = file_opendir(sysroot ? sysroot : "/sys", "block", &dfd);

	*out = NULL;
	*n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char target[4096];
		struct hw_disk *k;
		ssize_t len;

		if (e->d_name[0] == '.' || disk_virtual(e->d_name))
			continue;
		k = realloc(*out, (*n + 1) * sizeof(*k));
		if (!k) {
			rc = err_set("cannot list disks: %s", strerror(ENOMEM));
			break;
		}
		*out = k;
		k += *n;
		memset(k, 0, sizeof(*k));
		disk_info_at(dfd, e->d_name, &k->sysfs);
		if (!k->sysfs.name) {
			diskinfo_free(&k->sysfs);
			rc = err_set("cannot list disks: %s", strerror(ENOMEM));
			break;
		}
		(*n)++;
		k->name = text_printable(k->sysfs.name, HW_NAME_MAX);
		k->model = text_printable(k->sysfs.model, HW_NAME_MAX);
		k->serial = text_printable(k->sysfs.serial, HW_NAME_MAX);
		k->size = k->sysfs.size;
		len = readlinkat(dfd, e->d_name, target, sizeof(target) - 1);
		target[len > 0 ? len : 0] = '\0';
		disk_place(k, target);
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof(**out), by_disk);
	return rc;
}

static void disk_clear(struct hw_disk *k)
{
	diskinfo_free(&k->sysfs);
	free(k->name);
	free(k->model);
	free(k->serial);
}

void hw_disks_free(struct hw_disk *disks, size_t n)
{
	for (size_t i = 0; i < n; i++)
		disk_clear(&disks[i]);
	free(disks);
}

/* The disks without those that have no printable name: nothing to show them by. */
static int read_disks(struct hw *h, const char *sysroot)
{
	int rc = hw_disks(sysroot, &h->disks, &h->ndisks);
	size_t kept = 0;

	for (size_t i = 0; i < h->ndisks; i++) {
		if (h->disks[i].name)
			h->disks[kept++] = h->disks[i];
		else
			disk_clear(&h->disks[i]);
	}
	h->ndisks = kept;
	return rc;
}

static const char *input_bus(long bustype)
{
	switch (bustype) {
	case 0x03: return "USB";
	case 0x05: return "Bluetooth";
	case 0x06: return "virtual";
	case 0x11: return "PS/2";
	case 0x18: return "I2C";
	case 0x1c: return "SPI";
	}
	return "other";
}

/*
 * A keyboard has the keys Esc to D (bits 1-31 of the key bitmap's lowest
 * word, the last one in capabilities/key), as udev's input_id decides.
 */
static int keyboard(int dfd, const char *dev)
{
	char path[512], *s, *last;
	unsigned long long low;
	int yes;

	snprintf(path, sizeof(path), "%s/capabilities/key", dev);
	if (!(s = file_attr(dfd, path)))
		return 0;
	last = strrchr(s, ' ');
	last = last ? last + 1 : s;
	errno = 0;
	low = strtoull(last, NULL, 16);
	yes = !errno && (low & 0xfffffffeULL) == 0xfffffffeULL;
	free(s);
	return yes;
}

static int read_keyboards(struct hw *h, const char *sysroot)
{
	struct dirent **list;
	int dfd, n;
	char path[4096];

	snprintf(path, sizeof(path), "%s/class/input", sysroot);
	dfd = file_open(AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0);
	if (dfd < 0)
		return 0;
	n = scandir(path, &list, NULL, versionsort);
	for (int i = 0; i < n; i++) {
		const char *dev = list[i]->d_name;
		struct hw_keyboard *k;
		char *name;
		long bustype;

		if (strncmp(dev, "input", 5) || !keyboard(dfd, dev)) {
			free(list[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/name", dev);
		name = file_attr(dfd, path);
		snprintf(path, sizeof(path), "%s/id/bustype", dev);
		bustype = read_hex(dfd, path);
		k = realloc(h->keyboards, (h->nkeyboards + 1) * sizeof(*k));
		if (k) {
			h->keyboards = k;
			k += h->nkeyboards++;
			k->name = text_printable(name, HW_NAME_MAX);
			k->bus = input_bus(bustype);
			if (name && strstr(name, "Hyper-V"))
				k->bus = "Hyper-V";
		}
		free(name);
		free(list[i]);
		if (!k) {
			for (int j = i + 1; j < n; j++)
				free(list[j]);
			free(list);
			close(dfd);
			return err_set("cannot list keyboards: %s", strerror(ENOMEM));
		}
	}
	if (n >= 0)
		free(list);
	close(dfd);
	return 0;
}

int hw_read(struct hw *h, const char *sysroot, const char *pciids)
{
	memset(h, 0, sizeof(*h));
	if (!sysroot)
		sysroot = "/sys";
	if (read_controllers(h, sysroot) < 0 || read_disks(h, sysroot) < 0 ||
	    read_keyboards(h, sysroot) < 0)
		return -1;
	name_controllers(h, pciids);
	return 0;
}

static void put(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

struct json_object *hw_controllers_json(const struct hw *h)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < h->ncontrollers; i++) {
		const struct hw_controller *c = &h->controllers[i];
		struct json_object *o = json_object_new_object();
		char id[16];

		snprintf(id, sizeof(id), "%04x:%04x", c->vendor, c->device);
		put(o, "slot", c->slot);
		put(o, "id", id);
		put(o, "class", hw_class_name(c->class));
		put(o, "name", c->name);
		put(o, "driver", c->driver);
		json_object_array_add(a, o);
	}
	return a;
}

struct json_object *hw_json(const struct hw *h)
{
	struct json_object *o = json_object_new_object(), *a;

	json_object_object_add(o, "controllers", hw_controllers_json(h));
	a = json_object_new_array();
	for (size_t i = 0; i < h->ndisks; i++) {
		const struct hw_disk *k = &h->disks[i];
		struct json_object *d = json_object_new_object();

		put(d, "name", k->name);
		put(d, "model", k->model);
		put(d, "serial", k->serial);
		json_object_object_add(d, "size", json_object_new_int64((int64_t)k->size));
		put(d, "bus", k->bus);
		put(d, "controller", k->controller[0] ? k->controller : NULL);
		json_object_array_add(a, d);
	}
	json_object_object_add(o, "disks", a);
	a = json_object_new_array();
	for (size_t i = 0; i < h->nkeyboards; i++) {
		struct json_object *k = json_object_new_object();

		put(k, "name", h->keyboards[i].name);
		put(k, "bus", h->keyboards[i].bus);
		json_object_array_add(a, k);
	}
	json_object_object_add(o, "keyboards", a);
	return o;
}

void hw_free(struct hw *h)
{
	for (size_t i = 0; i < h->ncontrollers; i++) {
		free(h->controllers[i].name);
		free(h->controllers[i].driver);
	}
	hw_disks_free(h->disks, h->ndisks);
	for (size_t i = 0; i < h->nkeyboards; i++)
		free(h->keyboards[i].name);
	free(h->controllers);
	free(h->keyboards);
	memset(h, 0, sizeof(*h));
}
