/*
 * raid.c - RAID volumes assembled by md: what they are, and making one
 * writable for a fix and read-only again (see raid.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "file.h"
#include "proc.h"
#include "raid.h"

/* mdadm's output kept for a message */
#define OUTPUT_MAX 4096

/* "md126", "md_d0": a kernel name, nothing that walks out of /sys/class/block */
static int md_name(const char *name)
{
	return !strncmp(name, "md", 2) && strlen(name) < 32 && !strchr(name, '/') &&
	       strcmp(name, ".") && strcmp(name, "..");
}

/* The directory ROOT/class/block/NAME/SUB, opened; -1 when absent. */
static int block_dir(const char *sysroot, const char *name, const char *sub)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/class/block/%s%s%s", sysroot ? sysroot : "/sys", name,
		 sub ? "/" : "", sub ? sub : "");
	return file_open(AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0);
}

static int attr_int(int dfd, const char *attr, int fallback)
{
	char *s = file_attr(dfd, attr), *end;
	long v;

	if (!s)
		return fallback;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 1000)
		v = fallback;
	free(s);
	return (int)v;
}

/*
 * The kind of metadata: "external:imsm" on a container; a volume inside one
 * says "external:/md127/0" ('-' instead of '/' while mdmon does not manage
 * it), so the container is asked.
 */
static const char *kind_of(const char *sysroot, const char *version, int *external,
			   char container[32])
{
	const char *p;
	size_t n;
	int dfd;
	char *v;
	const char *kind = "RAID";

	*external = !strncmp(version, "external:", 9);
	if (!*external)
		return "Linux RAID";
	p = version + 9;
	if (!strcmp(p, "imsm"))
		return "Intel RAID";
	if (!strcmp(p, "ddf"))
		return "DDF RAID";
	if (*p != '/' && *p != '-')
		return kind;
	p++;
	n = strcspn(p, "/");
	if (n == 0 || n >= 32)
		return kind;
	memcpy(container, p, n);
	container[n] = '\0';
	if (!md_name(container)) {
		container[0] = '\0';
		return kind;
	}
	if ((dfd = block_dir(sysroot, container, "md")) < 0)
		return kind;
	v = file_attr(dfd, "metadata_version");
	close(dfd);
	if (v && !strcmp(v, "external:imsm"))
		kind = "Intel RAID";
	else if (v && !strcmp(v, "external:ddf"))
		kind = "DDF RAID";
	free(v);
	return kind;
}

int raid_read(const char *sysroot, const char *name, struct raid *r)
{
	char *version = NULL, *level = NULL, *state = NULL;
	int dfd, ok = 0;

	memset(r, 0, sizeof(*r));
	if (!md_name(name) || (dfd = block_dir(sysroot, name, "md")) < 0)
		return 0;
	version = file_attr(dfd, "metadata_version");
	level = file_attr(dfd, "level");
	state = file_attr(dfd, "array_state");
	/* a container has no level; an array not started is "inactive" */
	if (version && level && *level && state && strcmp(state, "inactive") &&
	    strcmp(state, "clear")) {
		snprintf(r->name, sizeof(r->name), "%s", name);
		r->kind = kind_of(sysroot, version, &r->external, r->container);
		if (!strncmp(level, "raid", 4) && level[4] >= '0' && level[4] <= '9')
			r->level = atoi(level + 4);
		else
			r->level = -1;
		r->disks = attr_int(dfd, "raid_disks", 0);
		r->missing = attr_int(dfd, "degraded", 0);
		r->readonly = !strcmp(state, "readonly");
		ok = 1;
	}
	free(version);
	free(level);
	free(state);
	close(dfd);
	return ok;
}

const char *raid_text(const struct raid *r, char *buf, size_t len)
{
	char level[16] = "";

	if (r->level >= 0)
		snprintf(level, sizeof(level), " %d", r->level);
	else
		snprintf(level, sizeof(level), " (linear)");
	if (r->missing)
		snprintf(buf, len, "%s%s (%d disk%s, %d missing)", r->kind, level, r->disks,
			 r->disks == 1 ? "" : "s", r->missing);
	else
		snprintf(buf, len, "%s%s (%d disk%s)", r->kind, level, r->disks,
			 r->disks == 1 ? "" : "s");
	return buf;
}

int raid_member_in_use(const char *sysroot, const char *name, char *md)
{
	int dfd = block_dir(sysroot, name, "holders"), found = 0;
	DIR *d;
	struct dirent *e;
	struct raid r;

	if (dfd < 0)
		return 0;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	while (!found && (e = readdir(d)))
		if (e->d_name[0] != '.' && raid_read(sysroot, e->d_name, &r)) {
			snprintf(md, 32, "%s", r.name);
			found = 1;
		}
	closedir(d);
	return found;
}

/* Append word to the list in buf ("sda sdb"), when it fits. */
static void list_add(char *buf, size_t len, const char *word)
{
	size_t n = strlen(buf);

	if (n + strlen(word) + 2 <= len)
		snprintf(buf + n, len - n, "%s%s", n ? " " : "", word);
}

/*
 * Whether member disk of the md volume open as mddfd (its md directory)
 * works: not marked faulty (a disk pulled out), no write failed on it
 * (md keeps such a disk, with the blocks it failed in its bad block list,
 * and writes the others only).
 */
static int member_ok(int mddfd, const char *disk)
{
	char attr[300], *state;
	int ok;

	snprintf(attr, sizeof(attr), "dev-%s/state", disk);
	state = mddfd >= 0 ? file_attr(mddfd, attr) : NULL;
	ok = !state || (!strstr(state, "faulty") && !strstr(state, "write_error"));
	free(state);
	return ok;
}

const char *raid_members(const char *sysroot, const char *name, char *buf, size_t len)
{
	int dfd, mddfd;
	DIR *d;
	struct dirent *e;

	buf[0] = '\0';
	if (!md_name(name) || (dfd = block_dir(sysroot, name, "slaves")) < 0)
		return buf;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return buf;
	}
	mddfd = block_dir(sysroot, name, "md");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && member_ok(mddfd, e->d_name))
			list_add(buf, len, e->d_name);
	if (mddfd >= 0)
		close(mddfd);
	closedir(d);
	return buf;
}

/* Whether word is one of the list's ("sda sdb"). */
static int list_has(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

int raid_lost(const char *sysroot, const char *name, const char *before, char *buf,
	      size_t len)
{
	char now[512], disk[64];
	const char *p = before;
	int lost = 0;
	size_t n;

	buf[0] = '\0';
	raid_members(sysroot, name, now, sizeof(now));
	while (*p) {
		n = strcspn(p, " ");
		if (n > 0 && n < sizeof(disk)) {
			memcpy(disk, p, n);
			disk[n] = '\0';
			if (!list_has(now, disk)) {
				list_add(buf, len, disk);
				lost++;
			}
		}
		p += n;
		p += strspn(p, " ");
	}
	return lost;
}

/* Run mdadm with one option on /dev/NAME; 0, or -1 with err_set(). */
static int mdadm(const char *option, const char *name, long timeout_ms)
{
	char dev[48], line[300];
	char *argv[] = { "mdadm", (char *)option, dev, NULL };
	char *out = NULL;
	int code;

	snprintf(dev, sizeof(dev), "/dev/%s", name);
	code = proc_run(argv, timeout_ms, &out, OUTPUT_MAX);
	proc_first_line(out, NULL, line, sizeof(line));
	free(out);
	if (code == 0)
		return 0;
	if (code == PROC_TIMED_OUT)
		return err_set("mdadm %s %s did not finish in %ld seconds", option, dev,
			       timeout_ms / 1000);
	if (code < 0 || code == PROC_CANNOT_RUN)
		return err_set("cannot run mdadm %s %s: %s", option, dev,
			       *line ? line : "mdadm not found");
	return err_set("mdadm %s %s failed: %s", option, dev,
		       *line ? line : "no reason given");
}

/*
 * Whether mdmon manages the container: its pid file in /run/mdadm names a
 * running process (mdadm --readwrite starts it and waits for its socket).
 */
static int mdmon_running(const char *container)
{
	char path[96], *s;
	int fd, pid, ok = 0;

	snprintf(path, sizeof(path), "/run/mdadm/%s.pid", container);
	fd = file_open(AT_FDCWD, path, O_RDONLY, 0);
	if (fd < 0)
		return 0;
	s = file_read_text(fd, 32);
	close(fd);
	pid = s ? atoi(s) : 0;
	if (pid > 0 && kill(pid, 0) == 0)
		ok = 1;
	free(s);
	return ok;
}

int raid_writable(const char *name)
{
	struct raid r;
	char what[80];
	int dfd;
	char *state;

	if (!raid_read(NULL, name, &r))
		return err_set("cannot write to %s: it is not a running RAID volume", name);
	if (r.missing)
		return err_set("%s, %s: a disk is missing, so it is only read (a write would "
			       "mark the missing disk failed)", name, raid_text(&r, what, sizeof(what)));
	dfd = block_dir(NULL, name, "md");
	state = dfd >= 0 ? file_attr(dfd, "array_state") : NULL;
	if (dfd >= 0)
		close(dfd);
	/* read-auto on external metadata still needs mdmon for the first write */
	if (state && strcmp(state, "readonly") && (strcmp(state, "read-auto") || !r.external)) {
		free(state);
		return 0;
	}
	free(state);
	if (r.external && !r.container[0])
		return err_set("cannot make %s writable: its metadata container is not known", name);
	if (mdadm("--readwrite", name, 60 * 1000L) < 0)
		return err_set("cannot make %s writable: %s", name, err_msg());
	if (!raid_read(NULL, name, &r) || r.readonly)
		return err_set("cannot make %s writable: it is still read-only after mdadm "
			       "--readwrite", name);
	/* without mdmon the first write would wait for ever for the metadata */
	if (r.external && !mdmon_running(r.container)) {
		mdadm("--readonly", name, 60 * 1000L);
		return err_set("cannot make %s writable: mdmon did not start for %s (is "
			       "/sbin/mdmon there?); left read-only", name, r.container);
	}
	return 1;
}

int raid_settle(const char *name)
{
	if (mdadm("--wait-clean", name, 120 * 1000L) < 0)
		return -1;
	return mdadm("--readonly", name, 60 * 1000L);
}
