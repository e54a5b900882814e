/*
 * test_file.c - careful file access (recovery/file.c) where a shell test
 * cannot reach: links and ".." planted in the way, a mount crossed, names
 * and paths at their longest, sparse files, short writes, a full file
 * system, a file that shrinks under the reader and one that gives EIO.
 *
 * file_open_beneath() is tried twice: with openat2() and, in a child whose
 * seccomp filter makes openat2() fail with ENOSYS (a kernel before 5.6),
 * with the part-by-part walk.  Both must refuse the same things the same
 * way.  The mount tests need root and run in a mount namespace of their
 * own; without root they are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <openssl/evp.h>

#include <cmocka.h>

#include "err.h"
#include "file.h"
#include "fixture.h"

#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_HELLO "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static int private_mounts;	/* root, in a mount namespace of our own */
static int walk_mode;		/* openat2() is refused: file_open_beneath() walks */
static char root[64];
static int rootfd = -1;

static int setup(void **state)
{
	char mnt[128];

	(void)state;
	if (fixture_tmpdir(root, sizeof(root), "file") < 0)
		return -1;
	if (fixture_sh("set -e; cd %s; mkdir -p a/b mnt; printf data > a/b/file; "
		       "ln -s b a/dirlink; ln -s b/file a/filelink; ln -s / out; ln -s .. a/up; "
		       "ln -s nowhere a/dangling; mkfifo a/fifo", root) != 0)
		return -1;
	snprintf(mnt, sizeof(mnt), "%s/mnt", root);
	if (private_mounts && (mount("bootfix-test", mnt, "tmpfs", 0, "size=1m") < 0 ||
			       fixture_sh("printf x > %s/mnt/x", root) != 0))
		return -1;
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return rootfd < 0;
}

static int teardown(void **state)
{
	(void)state;
	if (rootfd >= 0)
		close(rootfd);
	rootfd = -1;
	fixture_rm(root);
	return 0;
}

/* The SHA-256 of len zero bytes, as file_hash() writes it. */
static void sha256_zeros(off_t len, char hex[65])
{
	static const unsigned char zero[65536];
	unsigned char md[32];
	unsigned int mdlen;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while (len > 0) {
		size_t k = len < (off_t)sizeof(zero) ? (size_t)len : sizeof(zero);

		EVP_DigestUpdate(ctx, zero, k);
		len -= (off_t)k;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

/* The SHA-256 of every byte read() gives from fd, from offset 0. */
static void sha256_read(int fd, char hex[65])
{
	unsigned char buf[65536], md[32];
	unsigned int mdlen;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ssize_t n;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

/* A new file name in the scratch folder, for tests that make their own. */
static int new_file(const char *name)
{
	return file_open(rootfd, name, O_RDWR | O_CREAT | O_EXCL, 0644);
}

static int exists(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* ---- file_open ---- */

static void test_open_never_follows(void **state)
{
	int fd;

	(void)state;
	assert_int_equal(file_open(rootfd, "a/filelink", O_RDONLY, 0), -1);
	assert_int_equal(errno, ELOOP);
	/* only the last part: a link on the way is the caller's to refuse */
	fd = file_open(rootfd, "a/b/file", O_RDONLY, 0);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	/* a FIFO planted by a volume does not hang a reader that asks O_NONBLOCK */
	fd = file_open(rootfd, "a/fifo", O_RDONLY | O_NONBLOCK, 0);
	assert_true(fd >= 0);
	close(fd);
}

/* ---- file_check_relpath ---- */

static void test_check_relpath(void **state)
{
	static const struct {
		const char *path;
		char sep;
		const char *why;	/* NULL: accepted */
	} cases[] = {
		{ "Windows/System32/x.sys", '/', NULL },
		{ "Windows\\System32\\x.sys", '\\', NULL },
		{ "a..b/...", '/', NULL },		/* dots inside a name are a name */
		{ ".hidden", '/', NULL },
		{ "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac", '/', NULL },
		{ "\xff\xfe", '/', NULL },		/* bytes >= 0x80 are the volume's business */
		{ "", '/', "it is empty" },
		{ "/etc/passwd", '/', "it is absolute" },
		{ "\\Windows", '\\', "it is absolute" },
		{ "\\Windows", '/', "it is absolute" },
		{ "a//b", '/', "it has an empty part" },
		{ "a/", '/', "it has an empty part" },
		{ "a\\\\b", '\\', "it has an empty part" },
		{ ".", '/', "it has a '.' part" },
		{ "a/./b", '/', "it has a '.' part" },
		{ "..", '/', "it climbs out with .." },
		{ "a/../../etc", '/', "it climbs out with .." },
		{ "a\\..", '\\', "it climbs out with .." },
		{ "a\\b", '/', "it holds a slash" },	/* one part to Linux, two to Windows */
		{ "a/b", '\\', "it holds a slash" },
		{ "C:/x", '/', "it names a drive or a stream (':')" },
		{ "x.sys:stream", '/', "it names a drive or a stream (':')" },
		{ "a/b\nc", '/', "it holds a control character" },
		{ "a\tb", '/', "it holds a control character" },
		{ "a\x1b[2Jb", '/', "it holds a control character" },
		{ "a\x7f", '/', "it holds a control character" },
	};

	(void)state;
	assert_string_equal(file_check_relpath(NULL, '/'), "it is empty");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = file_check_relpath(cases[i].path, cases[i].sep);

		if (!cases[i].why && why)
			fail_msg("\"%s\" refused: %s", cases[i].path, why);
		if (cases[i].why && (!why || strcmp(why, cases[i].why)))
			fail_msg("\"%s\": \"%s\", not \"%s\"", cases[i].path, why ? why : "accepted",
				 cases[i].why);
	}
}

/* 4095 bytes is the longest path (PATH_MAX with its NUL); 4096 is refused. */
static void test_check_relpath_length(void **state)
{
	char path[4200];

	(void)state;
	memset(path, 'x', sizeof(path));
	for (size_t i = 255; i < 4095; i += 256)
		path[i] = '/';
	path[4095] = '\0';
	assert_null(file_check_relpath(path, '/'));
	path[4095] = 'x';
	path[4096] = '\0';
	assert_string_equal(file_check_relpath(path, '/'), "it is too long");
	path[4096] = 'x';
	path[4199] = '\0';
	assert_string_equal(file_check_relpath(path, '/'), "it is too long");
}

/* ---- file_open_beneath, run with openat2() and again with the walk ---- */

static void test_beneath_mode(void **state)
{
	struct open_how {
		uint64_t flags, mode, resolve;
	} how = { O_RDONLY, 0, 0 };
	long fd = syscall(SYS_openat2, rootfd, "a", &how, sizeof(how));

	(void)state;
	if (walk_mode) {
		assert_int_equal(fd, -1);
		assert_int_equal(errno, ENOSYS);
	} else if (fd < 0) {
		assert_int_equal(errno, ENOSYS);	/* an old kernel: both runs walk */
	} else {
		close((int)fd);
	}
}

static void test_beneath_opens(void **state)
{
	char buf[8] = "";
	struct stat a, b;
	int fd;

	(void)state;
	fd = file_open_beneath(rootfd, "a/b/file", O_RDONLY, 0);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "data", 4);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fstat(fd, &a), 0);
	close(fd);
	assert_int_equal(fstatat(rootfd, "a/b/file", &b, 0), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	fd = file_open_beneath(rootfd, "a/b", O_RDONLY | O_DIRECTORY, 0);
	assert_true(fd >= 0);
	close(fd);
	/* a mode given without O_CREAT is ignored, as by open(): O_DIRECTORY
	   shares its bit with O_TMPFILE, and openat2() refused the mode */
	fd = file_open_beneath(rootfd, "a/b", O_RDONLY | O_DIRECTORY, 0755);
	assert_true(fd >= 0);
	close(fd);
	fd = file_open_beneath(rootfd, "a/b/file", O_RDONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(file_open_beneath(rootfd, "a/missing", O_RDONLY, 0), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(file_open_beneath(rootfd, "a/missing/file", O_RDONLY, 0), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(file_open_beneath(rootfd, "a/b/file", O_RDONLY | O_DIRECTORY, 0), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(file_open_beneath(rootfd, "a/b/file/x", O_RDONLY, 0), -1);
	assert_int_equal(errno, ENOTDIR);
}

static void test_beneath_refuses_paths(void **state)
{
	static const char *const bad[] = {
		"../etc/passwd", "a/../a/b/file", "a/b/..", "/etc/passwd", "a//b/file",
		"a/./b/file", ".", "", "a/b/file/", "C:/x", "a/b\n/file",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		if (file_open_beneath(rootfd, bad[i], O_RDONLY, 0) != -1 || errno != EINVAL)
			fail_msg("\"%s\" not refused with EINVAL (errno %d)", bad[i], errno);
	}
	errno = 0;
	assert_int_equal(file_open_beneath(rootfd, NULL, O_RDONLY, 0), -1);
	assert_int_equal(errno, EINVAL);
}

/* Every link is refused with ELOOP, wherever it stands on the path. */
static void test_beneath_refuses_links(void **state)
{
	static const struct {
		const char *path;
		int flags;
	} links[] = {
		{ "a/filelink", O_RDONLY },		/* the last part */
		{ "a/dirlink", O_RDONLY | O_DIRECTORY },
		{ "a/dirlink/file", O_RDONLY },	/* a part on the way */
		{ "out/etc/passwd", O_RDONLY },	/* out of the tree, absolutely */
		{ "a/up/a/b/file", O_RDONLY },	/* out of the tree by a ".." link */
		{ "a/dangling", O_RDONLY },
		{ "a/dangling", O_WRONLY | O_CREAT },	/* never made through a link */
		{ "a/dirlink/new", O_WRONLY | O_CREAT },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		errno = 0;
		if (file_open_beneath(rootfd, links[i].path, links[i].flags, 0644) != -1 ||
		    errno != ELOOP)
			fail_msg("\"%s\": not refused with ELOOP (errno %d: %s)", links[i].path,
				 errno, strerror(errno));
	}
	assert_false(exists(rootfd, "a/nowhere"));
	assert_false(exists(rootfd, "a/b/new"));
}

static void test_beneath_creates(void **state)
{
	struct stat st;
	int fd;

	(void)state;
	fd = file_open_beneath(rootfd, "a/b/made", O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fstatat(rootfd, "a/b/made", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600 & ~umask(022));
	assert_int_equal(file_open_beneath(rootfd, "a/b/made", O_WRONLY | O_CREAT | O_EXCL, 0600),
			 -1);
	assert_int_equal(errno, EEXIST);
	/* only the last part may be new */
	assert_int_equal(file_open_beneath(rootfd, "a/new/made", O_WRONLY | O_CREAT, 0600), -1);
	assert_int_equal(errno, ENOENT);
	assert_false(exists(rootfd, "a/new"));
	assert_int_equal(unlinkat(rootfd, "a/b/made", 0), 0);
}

/* A name of 255 bytes (UTF-8: 127 two-byte letters and one more) is the longest. */
static void test_beneath_longest_name(void **state)
{
	char name[300], path[320];
	int fd;

	(void)state;
	for (int i = 0; i < 127; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	name[254] = 'x';
	name[255] = '\0';
	snprintf(path, sizeof(path), "a/b/%s", name);
	fd = file_open_beneath(rootfd, path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
	fd = file_open_beneath(rootfd, path, O_RDONLY, 0);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(unlinkat(rootfd, path, 0), 0);
	strcat(path, "y");
	assert_int_equal(file_open_beneath(rootfd, path, O_WRONLY | O_CREAT | O_EXCL, 0644), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

/* A path of 4095 bytes: fifteen folders of 255-byte names and a file. */
static void test_beneath_longest_path(void **state)
{
	char path[4200], part[256];
	int fd;

	(void)state;
	memset(part, 'd', 255);
	part[255] = '\0';
	path[0] = '\0';
	for (int i = 0; i < 15; i++) {
		part[0] = (char)('a' + i);
		strcat(path, part);
		assert_int_equal(mkdirat(rootfd, path, 0755), 0);
		strcat(path, "/");
	}
	memset(part, 'f', 255);
	strcat(path, part);
	assert_int_equal(strlen(path), 4095);
	fd = file_open_beneath(rootfd, path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
	strcat(path, "f");
	assert_int_equal(file_open_beneath(rootfd, path, O_WRONLY | O_CREAT, 0644), -1);
	assert_int_equal(errno, EINVAL);
}

static void test_beneath_refuses_mounts(void **state)
{
	int fd;

	(void)state;
	if (!private_mounts)
		skip();
	/* the same name through a plain open crosses; beneath does not */
	fd = openat(rootfd, "mnt/x", O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(file_open_beneath(rootfd, "mnt/x", O_RDONLY, 0), -1);
	assert_int_equal(errno, EXDEV);
	assert_int_equal(file_open_beneath(rootfd, "mnt", O_RDONLY | O_DIRECTORY, 0), -1);
	assert_int_equal(errno, EXDEV);
	assert_int_equal(file_open_beneath(rootfd, "mnt/new", O_WRONLY | O_CREAT, 0644), -1);
	assert_int_equal(errno, EXDEV);
	assert_int_equal(fixture_sh("test ! -e %s/mnt/new", root), 0);
}

/* ---- file_writeall ---- */

static void test_writeall_full_device(void **state)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	(void)state;
	if (fd < 0)
		skip();
	assert_int_equal(file_writeall(fd, "x", 1), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(file_writeall(fd, "", 0), 0);
	close(fd);
}

/* Under RLIMIT_FSIZE a write is cut short, then the next one fails. */
static void test_writeall_short_write(void **state)
{
	static char buf[200000];
	struct rlimit old, lim;
	struct stat st;
	int fd = new_file("short");

	(void)state;
	assert_true(fd >= 0);
	memset(buf, 'w', sizeof(buf));
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 100000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(file_writeall(fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	/* what fitted was written, once: the loop went on after the short write */
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 100000);
	/* and now it all goes */
	assert_int_equal(file_writeall(fd, buf, sizeof(buf)), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 300000);
	close(fd);
}

/* ---- file_hash ---- */

static void test_hash_small_files(void **state)
{
	struct file_digest d;
	int fd;

	(void)state;
	fd = new_file("empty");
	assert_int_equal(file_hash(fd, &d), 0);
	assert_int_equal(d.size, 0);
	assert_string_equal(d.sha256, SHA256_EMPTY);
	assert_int_equal(d.all_zero, 0);	/* nothing is not "all zero" */
	assert_int_equal(d.headlen, 0);
	assert_int_equal(d.read, 0);
	close(fd);

	fd = new_file("hello");
	assert_int_equal(write(fd, "hello", 5), 5);
	/* the offset is the caller's: the file is read from 0 */
	assert_int_equal(file_hash(fd, &d), 0);
	assert_int_equal(d.size, 5);
	assert_string_equal(d.sha256, SHA256_HELLO);
	assert_int_equal(d.all_zero, 0);
	assert_int_equal(d.headlen, 5);
	assert_memory_equal(d.head, "hello", 5);
	assert_int_equal(d.read, 5);
	close(fd);
}

/* Zero bytes written (not holes) and a head of exactly FILE_HEAD_MAX. */
static void test_hash_zero_bytes(void **state)
{
	static unsigned char buf[100000];
	char want[65];
	struct file_digest d;
	int fd = new_file("zeros");

	(void)state;
	assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(file_hash(fd, &d), 0);
	sha256_zeros(sizeof(buf), want);
	assert_string_equal(d.sha256, want);
	assert_int_equal(d.all_zero, 1);
	assert_int_equal(d.headlen, FILE_HEAD_MAX);
	/* one byte that is not zero, at the very end */
	assert_int_equal(pwrite(fd, "\1", 1, sizeof(buf) - 1), 1);
	assert_int_equal(file_hash(fd, &d), 0);
	assert_int_equal(d.all_zero, 0);
	close(fd);
}

/* A sparse file of 64 MiB with no block at all is all zero, and nothing is read. */
static void test_hash_sparse_empty(void **state)
{
	char want[65];
	struct file_digest d;
	struct stat st;
	int fd = new_file("sparse");

	(void)state;
	assert_int_equal(ftruncate(fd, 64 << 20), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_blocks, 0);
	assert_int_equal(file_hash(fd, &d), 0);
	sha256_zeros(64 << 20, want);
	assert_string_equal(d.sha256, want);
	assert_int_equal(d.size, 64 << 20);
	assert_int_equal(d.all_zero, 1);
	assert_int_equal(d.read, 0);
	assert_int_equal(d.headlen, FILE_HEAD_MAX);
	for (int i = 0; i < FILE_HEAD_MAX; i++)
		assert_int_equal(d.head[i], 0);
	close(fd);

	/* 4096 bytes and less take the SEEK_DATA way: all hole, all zero */
	fd = new_file("sparse-small");
	assert_int_equal(ftruncate(fd, 4096), 0);
	assert_int_equal(file_hash(fd, &d), 0);
	sha256_zeros(4096, want);
	assert_string_equal(d.sha256, want);
	assert_int_equal(d.all_zero, 1);
	assert_int_equal(d.read, 0);
	close(fd);
}

/* Data between holes: only the data is read, and the hash is of every byte. */
static void test_hash_sparse_data(void **state)
{
	char want[65], data[100];
	struct file_digest d;
	int fd = new_file("holes");

	(void)state;
	memset(data, 'X', sizeof(data));
	assert_int_equal(ftruncate(fd, 16 << 20), 0);
	assert_int_equal(pwrite(fd, data, sizeof(data), 8 << 20), (ssize_t)sizeof(data));
	assert_int_equal(pwrite(fd, "end", 3, (16 << 20) - 3), 3);
	assert_int_equal(file_hash(fd, &d), 0);
	sha256_read(fd, want);
	assert_string_equal(d.sha256, want);
	assert_int_equal(d.size, 16 << 20);
	assert_int_equal(d.all_zero, 0);
	assert_true(d.read >= 103);
	assert_true(d.read <= 1 << 20);		/* a few blocks, not 16 MiB */
	assert_int_equal(d.headlen, FILE_HEAD_MAX);
	assert_int_equal(d.head[0], 0);		/* the head is a hole: zero bytes */
	close(fd);

	/* data first, then a hole: the head is the data */
	fd = new_file("data-then-hole");
	assert_int_equal(write(fd, "MZ\x90", 3), 3);
	assert_int_equal(ftruncate(fd, 8 << 20), 0);
	assert_int_equal(file_hash(fd, &d), 0);
	sha256_read(fd, want);
	assert_string_equal(d.sha256, want);
	assert_memory_equal(d.head, "MZ\x90\0\0", 5);
	assert_int_equal(d.headlen, FILE_HEAD_MAX);
	close(fd);
}

static void test_hash_not_regular(void **state)
{
	struct file_digest d;
	int p[2], fd;

	(void)state;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(file_hash(fd, &d), -1);
	assert_int_equal(errno, EINVAL);
	close(fd);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(file_hash(p[0], &d), -1);
	assert_int_equal(errno, EINVAL);
	close(p[0]);
	close(p[1]);
	assert_int_equal(file_hash(-1, &d), -1);
	assert_int_equal(errno, EBADF);
}

/*
 * A sysfs attribute says 4096 bytes and gives a few: to file_hash() a file
 * that shrank while it was read (EIO), never a hash of what it did not see.
 */
static void test_hash_file_that_shrinks(void **state)
{
	static const char *const attrs[] = { "/sys/kernel/uevent_seqnum", "/sys/power/state",
					     "/sys/devices/system/cpu/online" };
	struct file_digest d;
	struct stat st;
	char *text;
	int fd = -1;

	(void)state;
	for (size_t i = 0; fd < 0 && i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		fd = open(attrs[i], O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != 4096)) {
			close(fd);
			fd = -1;
		}
		if (fd >= 0) {
			text = file_slurp(AT_FDCWD, attrs[i], 8192, NULL);
			assert_null(text);
			assert_non_null(strstr(err_msg(), ": file shrank"));
		}
	}
	if (fd < 0)
		skip();
	assert_int_equal(file_hash(fd, &d), -1);
	assert_int_equal(errno, EIO);
	close(fd);
}

/* A file whose blocks cannot be read: EIO, for the hash, the copy and the slurp. */
static void test_unreadable_file(void **state)
{
	char dir[128], path[160];
	struct file_digest d;
	int fd, dfd;

	(void)state;
	if (!private_mounts)
		skip();
	snprintf(dir, sizeof(dir), "%s/eio", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	fd = fixture_eio_file(dir, "ok=5000", "bad", 1721362200);
	if (fd < 0)
		skip();		/* no mkfs.ext2, debugfs or loop devices here */
	assert_int_equal(file_hash(fd, &d), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(d.size, 12288);
	/* a partial copy is not left behind */
	assert_int_equal(file_copy(fd, rootfd, "copy", NULL), -1);
	assert_string_equal(err_msg(), "cannot copy copy: Input/output error");
	assert_false(exists(rootfd, "copy"));
	snprintf(path, sizeof(path), "%s/m", dir);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_null(file_slurp(dfd, "bad", 1 << 20, NULL));
	assert_string_equal(err_msg(), "cannot read bad: Input/output error");
	/* the file before it is whole */
	{
		size_t len = 0;
		char *ok = file_slurp(dfd, "ok", 1 << 20, &len);

		assert_non_null(ok);
		assert_int_equal(len, 5000);
		free(ok);
	}
	close(dfd);
	close(fd);
}

/* ---- file_sync_dir, file_mkdirs, file_write_new ---- */

static void test_sync_dir(void **state)
{
	int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_int_equal(file_sync_dir(rootfd), 0);
	/* a file system that cannot sync a directory (EINVAL) is not a failure */
	assert_true(fd >= 0);
	assert_int_equal(file_sync_dir(fd), 0);
	close(fd);
	assert_int_equal(file_sync_dir(-1), -1);
	assert_int_equal(errno, EBADF);
}

static void test_mkdirs(void **state)
{
	int created = -1, fd;
	struct stat st;

	(void)state;
	fd = file_mkdirs(rootfd, "m/n/o", 0700, &created);
	assert_true(fd >= 0);
	assert_int_equal(created, 1);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	close(fd);
	fd = file_mkdirs(rootfd, "m/n/o", 0700, &created);
	assert_true(fd >= 0);
	assert_int_equal(created, 0);
	close(fd);
	/* only the last one counts */
	fd = file_mkdirs(rootfd, "m/n/o/p", 0700, NULL);
	assert_true(fd >= 0);
	close(fd);
	fd = file_mkdirs(rootfd, "m/q", 0700, &created);
	assert_true(fd >= 0);
	assert_int_equal(created, 1);
	close(fd);
}

static void test_mkdirs_refuses(void **state)
{
	(void)state;
	assert_int_equal(file_mkdirs(rootfd, "m/../../escape", 0755, NULL), -1);
	assert_string_equal(err_msg(), "cannot make directory m/../../escape: it climbs out with ..");
	assert_false(exists(rootfd, "m"));
	assert_int_equal(file_mkdirs(rootfd, "/tmp/x", 0755, NULL), -1);
	assert_string_equal(err_msg(), "cannot make directory /tmp/x: it is absolute");
	/* a link on the way is not followed, and nothing is made behind it */
	assert_int_equal(file_mkdirs(rootfd, "a/dirlink/new", 0755, NULL), -1);
	assert_string_equal(err_msg(), "cannot open directory a/dirlink/new at dirlink: it is a link");
	assert_false(exists(rootfd, "a/b/new"));
	assert_int_equal(file_mkdirs(rootfd, "out", 0755, NULL), -1);
	assert_string_equal(err_msg(), "cannot open directory out: it is a link");
	/* a file in the way */
	assert_int_equal(file_mkdirs(rootfd, "a/b/file/x", 0755, NULL), -1);
	assert_string_equal(err_msg(),
			    "cannot open directory a/b/file/x at file: Not a directory");
}

static void test_write_new(void **state)
{
	char *text;
	size_t len;
	struct stat st;

	(void)state;
	assert_int_equal(file_write_new(rootfd, "new.txt", "one\0two", 7), 0);
	text = file_slurp(rootfd, "new.txt", 100, &len);
	assert_non_null(text);
	assert_int_equal(len, 7);
	assert_memory_equal(text, "one\0two", 8);
	free(text);
	assert_int_equal(fstatat(rootfd, "new.txt", &st, 0), 0);
	assert_int_equal(st.st_mode & 0777, 0644 & ~umask(022));
	/* never over anything: the old file stays as it was */
	assert_int_equal(file_write_new(rootfd, "new.txt", "three", 5), -1);
	assert_string_equal(err_msg(), "cannot create new.txt: File exists");
	assert_int_equal(fstatat(rootfd, "new.txt", &st, 0), 0);
	assert_int_equal(st.st_size, 7);
	/* nor through a link, even one to nothing */
	assert_int_equal(file_write_new(rootfd, "a/dangling", "x", 1), -1);
	assert_false(exists(rootfd, "a/nowhere"));
}

/* A write cut short leaves no half file behind. */
static void test_write_new_partial_removed(void **state)
{
	static char buf[200000];
	struct rlimit old, lim;

	(void)state;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 100000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(file_write_new(rootfd, "big", buf, sizeof(buf)), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_string_equal(err_msg(), "cannot write big: File too large");
	assert_false(exists(rootfd, "big"));
}

/* ---- file_copy ---- */

static void test_copy(void **state)
{
	static char buf[300000];
	char sha[65], want[65];
	struct stat a, b;
	struct timespec ts[2] = { { 1721362200, 123456789 }, { 1721362260, 987654321 } };
	int src = new_file("src"), dst;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7);
	assert_int_equal(write(src, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	assert_int_equal(futimens(src, ts), 0);
	/* where the caller left the offset does not matter */
	assert_int_equal(lseek(src, 1000, SEEK_SET), 1000);
	assert_int_equal(file_copy(src, rootfd, "dst", sha), 0);
	sha256_read(src, want);
	assert_string_equal(sha, want);
	dst = open(root, O_RDONLY | O_DIRECTORY);
	assert_int_equal(fstatat(dst, "dst", &b, 0), 0);
	close(dst);
	assert_int_equal(fstat(src, &a), 0);
	assert_int_equal(b.st_size, sizeof(buf));
	assert_int_equal(b.st_mtim.tv_sec, a.st_mtim.tv_sec);
	assert_int_equal(b.st_mtim.tv_nsec, a.st_mtim.tv_nsec);
	dst = file_open(rootfd, "dst", O_RDONLY, 0);
	sha256_read(dst, sha);
	assert_string_equal(sha, want);
	close(dst);
	/* never over anything: the copy there stays */
	assert_int_equal(file_copy(src, rootfd, "a/b/file", NULL), -1);
	assert_string_equal(err_msg(), "cannot create copy a/b/file: File exists");
	assert_int_equal(fstatat(rootfd, "a/b/file", &b, 0), 0);
	assert_int_equal(b.st_size, 4);
	close(src);
}

static void test_copy_not_regular(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(file_copy(p[0], rootfd, "fromfifo", NULL), -1);
	assert_string_equal(err_msg(), "cannot copy fromfifo: not a regular file");
	assert_false(exists(rootfd, "fromfifo"));
	close(p[0]);
	close(p[1]);
}

/* A copy cut short (a file size limit, or a full stick) is removed. */
static void test_copy_partial_removed(void **state)
{
	static char buf[300000];
	struct rlimit old, lim;
	int src = new_file("src2");

	(void)state;
	assert_int_equal(write(src, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 100000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(file_copy(src, rootfd, "cut", NULL), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_string_equal(err_msg(), "cannot copy cut: File too large");
	assert_false(exists(rootfd, "cut"));
	close(src);
}

static void test_copy_to_full_file_system(void **state)
{
	static char buf[300000];
	char dir[128];
	int src = new_file("src3"), small;

	(void)state;
	if (!private_mounts) {
		close(src);
		skip();
	}
	assert_int_equal(write(src, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	snprintf(dir, sizeof(dir), "%s/small", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(mount("bootfix-test", dir, "tmpfs", 0, "size=128k"), 0);
	small = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(file_copy(src, small, "copy", NULL), -1);
	assert_string_equal(err_msg(), "cannot copy copy: No space left on device");
	assert_false(exists(small, "copy"));
	assert_int_equal(file_write_new(small, "written", buf, sizeof(buf)), -1);
	assert_string_equal(err_msg(), "cannot write written: No space left on device");
	assert_false(exists(small, "written"));
	/* and what fits still goes */
	assert_int_equal(file_write_new(small, "fits", buf, 1000), 0);
	close(small);
	close(src);
	assert_int_equal(umount2(dir, 0), 0);
}

/* ---- file_slurp, file_pread_all, file_read_text ---- */

static void test_slurp(void **state)
{
	char *text;
	size_t len = 99;

	(void)state;
	text = file_slurp(rootfd, "a/b/file", 4, &len);
	assert_non_null(text);
	assert_string_equal(text, "data");
	assert_int_equal(len, 4);
	free(text);
	/* one byte over the limit */
	assert_null(file_slurp(rootfd, "a/b/file", 3, &len));
	assert_string_equal(err_msg(), "cannot read a/b/file: larger than 3 bytes");
	assert_null(file_slurp(rootfd, "a/filelink", 100, NULL));
	assert_string_equal(err_msg(), "cannot open a/filelink: Too many levels of symbolic links");
	assert_null(file_slurp(rootfd, "a/missing", 100, NULL));
	assert_string_equal(err_msg(), "cannot open a/missing: No such file or directory");
	assert_null(file_slurp(rootfd, "a/b", 100, NULL));
	assert_string_equal(err_msg(), "cannot read a/b: is a directory");
	/* a FIFO neither hangs nor is read */
	assert_null(file_slurp(rootfd, "a/fifo", 100, NULL));
	assert_string_equal(err_msg(), "cannot read a/fifo: not a regular file");
	text = file_slurp(rootfd, "a/b/file", 100, NULL);
	assert_string_equal(text, "data");
	free(text);
}

static void test_pread_all(void **state)
{
	char buf[16];
	int p[2];
	int fd = file_open(rootfd, "a/b/file", O_RDONLY, 0);

	(void)state;
	assert_int_equal(file_pread_all(fd, buf, 16, 0), 4);
	assert_memory_equal(buf, "data", 4);
	assert_int_equal(file_pread_all(fd, buf, 2, 2), 2);
	assert_memory_equal(buf, "ta", 2);
	assert_int_equal(file_pread_all(fd, buf, 16, 4), 0);
	assert_int_equal(file_pread_all(fd, buf, 16, 1000), 0);
	close(fd);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(file_pread_all(p[0], buf, 1, 0), -1);
	assert_int_equal(errno, ESPIPE);
	close(p[0]);
	close(p[1]);
}

static void test_read_text(void **state)
{
	char *s;
	int p[2], fd = memfd_create("text", MFD_CLOEXEC);

	(void)state;
	s = file_read_text(fd, 100);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(write(fd, "cannot run ntfs-3g: No such file\n", 33), 33);
	s = file_read_text(fd, 10);
	assert_string_equal(s, "cannot run");
	free(s);
	s = file_read_text(fd, 1000);
	assert_string_equal(s, "cannot run ntfs-3g: No such file\n");
	free(s);
	close(fd);
	/* what cannot be read is "" */
	assert_int_equal(pipe(p), 0);
	s = file_read_text(p[0], 100);
	assert_string_equal(s, "");
	free(s);
	close(p[0]);
	close(p[1]);
	s = file_read_text(-1, 100);
	assert_string_equal(s, "");
	free(s);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest beneath[] = {
	T(test_beneath_mode),
	T(test_beneath_opens),
	T(test_beneath_refuses_paths),
	T(test_beneath_refuses_links),
	T(test_beneath_creates),
	T(test_beneath_longest_name),
	T(test_beneath_longest_path),
	T(test_beneath_refuses_mounts),
};

/* In a child: openat2() fails with ENOSYS, so file_open_beneath() walks. */
static int run_beneath_walking(void)
{
#if defined(__x86_64__)
	const unsigned int arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
	const unsigned int arch = AUDIT_ARCH_AARCH64;
#else
	const unsigned int arch = 0;
#endif
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(filter) / sizeof(filter[0]), filter };
	int status;
	pid_t pid;

	if (!arch) {
		fprintf(stderr, "test_file: no seccomp filter for this machine: the walk is not tried\n");
		return 0;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
			perror("test_file: seccomp");
			_exit(1);
		}
		walk_mode = 1;
		_exit(cmocka_run_group_tests_name("file_open_beneath, walking part by part",
						  beneath, NULL, NULL) ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	return !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_never_follows),
		T(test_check_relpath),
		T(test_check_relpath_length),
		T(test_writeall_full_device),
		T(test_writeall_short_write),
		T(test_hash_small_files),
		T(test_hash_zero_bytes),
		T(test_hash_sparse_empty),
		T(test_hash_sparse_data),
		T(test_hash_not_regular),
		T(test_hash_file_that_shrinks),
		T(test_unreadable_file),
		T(test_sync_dir),
		T(test_mkdirs),
		T(test_mkdirs_refuses),
		T(test_write_new),
		T(test_write_new_partial_removed),
		T(test_copy),
		T(test_copy_not_regular),
		T(test_copy_partial_removed),
		T(test_copy_to_full_file_system),
		T(test_slurp),
		T(test_pread_all),
		T(test_read_text),
	};
	int failed;

	private_mounts = fixture_private_mounts();
	if (!private_mounts)
		fprintf(stderr, "test_file: not root: the mount tests are skipped\n");
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("file_open_beneath, with openat2", beneath, NULL,
					      NULL);
	failed += run_beneath_walking();
	return failed ? 1 : 0;
}
