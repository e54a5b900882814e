/*
 * identity.c - machine and Windows identity (see identity.h).
 *
 * Hives come from a hostile volume: they are opened with O_NOFOLLOW by us
 * and handed to libhivex through /proc/self/fd, and every failure of
 * libhivex becomes a note rather than a crash.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hivex.h>

#include "err.h"
#include "file.h"
#include "identity.h"
#include "winpath.h"

static hive_node_h child(hive_h *h, hive_node_h node, const char *name)
{
	return node ? hivex_node_get_child(h, node, name) : 0;
}

static char *string_value(hive_h *h, hive_node_h node, const char *name)
{
	hive_value_h v;

	if (!node)
		return NULL;
	v = hivex_node_get_value(h, node, name);
	if (!v)
		return NULL;
	return hivex_value_string(h, v);
}

static hive_h *open_hive(const char *path)
{
	return hivex_open(path, 0);
}

char *identity_computer_name(const char *hive_path)
{
	hive_h *h = open_hive(hive_path);
	hive_node_h sel, cs, node;
	hive_value_h cur;
	char name[32], *out;
	int32_t n;

	if (!h) {
		err_set("cannot read SYSTEM hive: %s", strerror(errno));
		return NULL;
	}
	sel = child(h, hivex_root(h), "Select");
	cur = sel ? hivex_node_get_value(h, sel, "Current") : 0;
	errno = 0;
	n = cur ? hivex_value_dword(h, cur) : -1;
	if (!cur || (n == -1 && errno)) {
		hivex_close(h);
		err_set("cannot read SYSTEM hive: no Select\\Current value");
		return NULL;
	}
	snprintf(name, sizeof(name), "ControlSet%03d", (int)n);
	cs = child(h, hivex_root(h), name);
	node = child(h, child(h, child(h, cs, "Control"), "ComputerName"), "ComputerName");
	out = string_value(h, node, "ComputerName");
	if (!out)
		err_set("cannot read SYSTEM hive: no %s\\Control\\ComputerName\\ComputerName", name);
	hivex_close(h);
	return out;
}

/* Open a hive file of the install and return a /proc/self/fd path for it. */
static int open_hive_file(int rootfd, const char *wpath, char *proc, size_t len)
{
	int fd = winpath_openfile(rootfd, wpath, O_RDONLY, NULL);

	if (fd >= 0)
		snprintf(proc, len, "/proc/self/fd/%d", fd);
	return fd;
}

void identity_windows(int rootfd, struct windows_info *wi)
{
	char proc[64];
	int fd;

	memset(wi, 0, sizeof(*wi));
	fd = open_hive_file(rootfd, "Windows\\System32\\config\\SYSTEM", proc, sizeof(proc));
	if (fd < 0) {
		if (asprintf(&wi->note, "cannot open SYSTEM hive: %s", strerror(errno)) < 0)
			wi->note = NULL;
	} else {
		wi->computer_name = identity_computer_name(proc);
		if (!wi->computer_name)
			wi->note = strdup(err_msg());
		close(fd);
	}
	fd = open_hive_file(rootfd, "Windows\\System32\\config\\SOFTWARE", proc, sizeof(proc));
	if (fd >= 0) {
		hive_h *h = open_hive(proc);

		if (h) {
			hive_node_h cv = child(h, child(h, child(h, hivex_root(h), "Microsoft"),
						   "Windows NT"),
				   "CurrentVersion");
			wi->product_name = string_value(h, cv, "ProductName");
			wi->build = string_value(h, cv, "CurrentBuildNumber");
			if (!wi->build)
				wi->build = string_value(h, cv, "CurrentBuild");
			wi->display_version = string_value(h, cv, "DisplayVersion");
			wi->system_root = string_value(h, cv, "SystemRoot");
			hivex_close(h);
		} else if (!wi->note) {
			if (asprintf(&wi->note, "cannot read SOFTWARE hive: %s", strerror(errno)) < 0)
				wi->note = NULL;
		}
		close(fd);
	}
}

void identity_windows_free(struct windows_info *wi)
{
	free(wi->computer_name);
	free(wi->product_name);
	free(wi->build);
	free(wi->display_version);
	free(wi->system_root);
	free(wi->note);
	memset(wi, 0, sizeof(*wi));
}

char *identity_dmi(const char *name)
{
	char path[256], buf[256];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/dmi/id/%s", name);
	fd = file_open(AT_FDCWD, path, O_RDONLY, 0);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	return n ? strdup(buf) : NULL;
}

char *identity_folder_name(const char *computer_name)
{
	char *serial = NULL, *s;
	const char *src = computer_name;
	size_t len;

	if (!src || !*src) {
		serial = identity_dmi("product_serial");
		src = serial && *serial ? serial : "unknown-machine";
	}
	/* a hive can hold a name of any length; a folder name cannot (and is
	   never half a UTF-8 character: at most three bytes go back) */
	len = strlen(src);
	if (len > IDENTITY_FOLDER_MAX) {
		len = IDENTITY_FOLDER_MAX;
		for (int k = 0; k < 3 && ((unsigned char)src[len] & 0xc0) == 0x80; k++)
			len--;
	}
	s = strndup(src, len);
	for (char *p = s; p && *p; p++)
		if ((unsigned char)*p < 0x20 || strchr("\\/:*?\"<>|. ", *p))
			*p = '_';
	free(serial);
	return s;
}
