/*
 * machine.c - who the computer is (see machine.h).
 *
 * Everything comes from sysfs, read through file_open() like any other
 * file; values are trimmed of the newline and padding firmware adds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "err.h"
#include "file.h"
#include "machine.h"
#include "text.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct machine_nic *)a)->name, ((const struct machine_nic *)b)->name);
}

static int read_nics(struct machine *m, const char *sysroot)
{
	char path[4096];
	struct dirent *e;
	int dfd;
	DIR *d = file_opendir(sysroot, "class/net", &dfd);

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		struct machine_nic *grown;
		char *mac;

		if (e->d_name[0] == '.' || !strcmp(e->d_name, "lo"))
			continue;
		snprintf(path, sizeof(path), "%s/address", e->d_name);
		mac = file_attr(dfd, path);
		if (!mac || strspn(mac, "0:") == strlen(mac)) {
			free(mac);
			continue;
		}
		grown = realloc(m->nics, (m->nnics + 1) * sizeof(*grown));
		if (!grown) {
			free(mac);
			closedir(d);
			return err_set("cannot list network cards: %s", strerror(ENOMEM));
		}
		m->nics = grown;
		snprintf(path, sizeof(path), "%s/device", e->d_name);
		grown[m->nnics].name = strdup(e->d_name);
		grown[m->nnics].mac = mac;
		grown[m->nnics].physical = faccessat(dfd, path, F_OK, 0) == 0;
		m->nnics++;
	}
	closedir(d);
	if (m->nnics)
		qsort(m->nics, m->nnics, sizeof(*m->nics), by_name);
	return 0;
}

/*
 * Whole seconds since the running system booted, or 0 when /proc/uptime
 * cannot be read.  Booted from the stick, that is how long the machine has
 * taken from boot to now: the report shows it as boot to fixed.
 */
static long read_uptime(void)
{
	char buf[64];
	int fd = file_open(AT_FDCWD, "/proc/uptime", O_RDONLY, 0);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	char *end;
	double up;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	up = strtod(buf, &end);
	return end != buf && up >= 1 && up < 1e9 ? (long)up : 0;
}

int machine_read(struct machine *m, const char *sysroot)
{
	char path[4096];
	int dfd, rc = 0;

	memset(m, 0, sizeof(*m));
	if (!sysroot)
		sysroot = "/sys";
	snprintf(path, sizeof(path), "%s/class/dmi/id", sysroot);
	dfd = file_open(AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0);
	if (dfd >= 0) {
#define X(f) m->f = file_attr(dfd, #f);
		MACHINE_DMI_FIELDS
#undef X
		close(dfd);
	}
	if (read_nics(m, sysroot) < 0)
		rc = -1;
	if (hw_disks(sysroot, &m->disks, &m->ndisks) < 0)
		rc = -1;
	m->uptime_s = read_uptime();
	return rc;
}

static void put(struct json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

struct json_object *machine_json(const struct machine *m)
{
	struct json_object *o = json_object_new_object(), *nics = json_object_new_array(),
			   *disks = json_object_new_array();

#define X(f) put(o, #f, m->f);
	MACHINE_DMI_FIELDS
#undef X
	for (size_t i = 0; i < m->nnics; i++) {
		struct json_object *n = json_object_new_object();

		put(n, "name", m->nics[i].name);
		put(n, "mac", m->nics[i].mac);
		json_object_object_add(n, "physical", json_object_new_boolean(m->nics[i].physical));
		json_object_array_add(nics, n);
	}
	json_object_object_add(o, "nics", nics);
	for (size_t i = 0; i < m->ndisks; i++) {
		const struct diskinfo *k = &m->disks[i].sysfs;
		struct json_object *d = json_object_new_object();

		put(d, "name", k->name);
		put(d, "model", k->model);
		put(d, "serial", k->serial);
		if (k->size)
			json_object_object_add(d, "size", json_object_new_int64((int64_t)k->size));
		json_object_array_add(disks, d);
	}
	json_object_object_add(o, "disks", disks);
	if (m->uptime_s > 0)
		json_object_object_add(o, "uptime_s", json_object_new_int64(m->uptime_s));
	return o;
}

int machine_serial_placeholder(const char *s)
{
	/* what firmware vendors ship when nobody filled the field in */
	static const char *const fill[] = {
		"To be filled by O.E.M.", "To Be Filled By O.E.M", "Default string",
		"System Serial Number", "Chassis Serial Number", "Not Specified",
		"Not Applicable", "Not Available", "None", "N/A", "NA", "OEM", "O.E.M.",
		"Serial", "SerialNumber", "Serial Number", "Invalid", "Unknown",
		"0123456789", "123456789", "1234567890",
	};

	if (!s || !*s)
		return 1;
	for (size_t i = 0; i < sizeof(fill) / sizeof(fill[0]); i++)
		if (!strcasecmp(s, fill[i]))
			return 1;
	if (!s[1])
		return 1;	/* "0", "A": one character names no machine */
	/* "00000000", "........", "xxxxxxxx": one filler character repeated */
	if (strchr("0.-_xX* ", s[0])) {
		size_t i = 1;

		while (s[i] == s[0])
			i++;
		return !s[i];
	}
	return 0;
}

char *machine_serial(const char *sysroot)
{
	char path[4096], *raw, *s;
	int dfd;

	snprintf(path, sizeof(path), "%s/class/dmi/id", sysroot ? sysroot : "/sys");
	dfd = file_open(AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0);
	if (dfd < 0)
		return NULL;
	raw = file_attr(dfd, "product_serial");
	close(dfd);
	s = text_printable(raw, MACHINE_SERIAL_MAX);
	free(raw);
	if (s && machine_serial_placeholder(s)) {
		free(s);
		s = NULL;
	}
	return s;
}

int machine_no_dmi(const struct machine *m)
{
	int none = 1;

#define X(f) none &= !m->f;
	MACHINE_DMI_FIELDS
#undef X
	return none;
}

void machine_free(struct machine *m)
{
#define X(f) free(m->f);
	MACHINE_DMI_FIELDS
#undef X
	for (size_t i = 0; i < m->nnics; i++) {
		free(m->nics[i].name);
		free(m->nics[i].mac);
	}
	free(m->nics);
	hw_disks_free(m->disks, m->ndisks);
	memset(m, 0, sizeof(*m));
}
