/*
 * test_text.c - escaping hostile text for people, checking paths from a
 * volume, and errors that keep their cause (cmocka).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "file.h"
#include "text.h"

static void test_controls_and_bidi_escaped(void **state)
{
	(void)state;
	assert_string_equal(text_safe("C-00000291.sys"), "C-00000291.sys");
	assert_string_equal(text_safe("a\033[2Jb"), "a\\x1b[2Jb");
	assert_string_equal(text_safe("x\ry\nz\t"), "x\\x0dy\\x0az\\x09");
	assert_string_equal(text_safe("\x7f"), "\\x7f");
	/* C1 CSI (U+009B) and the bidi overrides, as JSON writes them */
	assert_string_equal(text_safe("a\xc2\x9b" "31m"), "a\\u009b31m");
	assert_string_equal(text_safe("\xe2\x80\xae" "gnp.sys"), "\\u202egnp.sys");
	assert_string_equal(text_safe("\xe2\x81\xa6x\xe2\x81\xa9"), "\\u2066x\\u2069");
	/* bytes that are not UTF-8: each one escaped, even a raw C1 byte */
	assert_string_equal(text_safe("\x9b" "2J"), "\\x9b2J");
	assert_string_equal(text_safe("\xc3"), "\\xc3");
	assert_string_equal(text_safe("\xed\xa0\x80"), "\\xed\\xa0\\x80");	/* a surrogate */
	/* what people can read stays as it is */
	assert_string_equal(text_safe("Zürich, 東京"), "Zürich, 東京");
	assert_string_equal(text_safe(NULL), "(null)");
	assert_true(text_needs_escape("a\033"));
	assert_false(text_needs_escape("Zürich"));
}

static void test_safe_buf_cuts_on_a_character(void **state)
{
	char buf[8];

	(void)state;
	text_safe_buf("ab\033cd", buf, sizeof(buf));
	assert_string_equal(buf, "ab\\x1bc");
	text_safe_buf("aé東京", buf, sizeof(buf));
	assert_string_equal(buf, "aé東");
}

/* a disk model or serial: shown on one line, short, whatever firmware sent */
static void test_printable_ids(void **state)
{
	char *s;

	(void)state;
	s = text_printable("  Samsung SSD 860 EVO 500GB          ", 64);
	assert_string_equal(s, "Samsung SSD 860 EVO 500GB");
	free(s);
	s = text_printable("ST1000\033[2J\r\nDM003 \xc3\xa9\x7f-9YN1", 64);
	assert_string_equal(s, "ST1000[2JDM003 -9YN1");
	free(s);
	s = text_printable("ABCDEFGHIJ", 4);
	assert_string_equal(s, "ABCD");
	free(s);
	s = text_printable("AB   CD", 3);			/* a cut never ends on a space */
	assert_string_equal(s, "AB");
	free(s);
	assert_null(text_printable("   \t\n ", 64));
	assert_null(text_printable("\x01\x02", 64));
	assert_null(text_printable(NULL, 64));
}

static void test_relpath_checks(void **state)
{
	(void)state;
	assert_null(file_check_relpath("Windows\\System32\\x.sys", '\\'));
	assert_null(file_check_relpath("a/b/c", '/'));
	assert_string_equal(file_check_relpath("..\\x", '\\'), "it climbs out with ..");
	assert_string_equal(file_check_relpath("a\\..\\..\\x", '\\'), "it climbs out with ..");
	assert_string_equal(file_check_relpath("a\\.\\x", '\\'), "it has a '.' part");
	assert_string_equal(file_check_relpath("\\etc\\passwd", '\\'), "it is absolute");
	assert_string_equal(file_check_relpath("/etc/passwd", '\\'), "it is absolute");
	assert_string_equal(file_check_relpath("a\\\\b", '\\'), "it has an empty part");
	assert_string_equal(file_check_relpath("a\\", '\\'), "it has an empty part");
	assert_string_equal(file_check_relpath("C:\\x", '\\'), "it names a drive or a stream (':')");
	assert_string_equal(file_check_relpath("a\\x.sys:ads", '\\'), "it names a drive or a stream (':')");
	assert_string_equal(file_check_relpath("a/b\\c", '/'), "it holds a slash");
	assert_string_equal(file_check_relpath("a\\b/c", '\\'), "it holds a slash");
	assert_string_equal(file_check_relpath("a\nb", '\\'), "it holds a control character");
	assert_string_equal(file_check_relpath("", '\\'), "it is empty");
}

static void test_sizes(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(text_size(0, buf, sizeof(buf)), "0 B");
	assert_string_equal(text_size(1023, buf, sizeof(buf)), "1023 B");
	assert_string_equal(text_size(1536, buf, sizeof(buf)), "1.5 KiB");
	assert_string_equal(text_size(512ull << 30, buf, sizeof(buf)), "512.0 GiB");
	/* a 500 GB disk, as its maker counts */
	assert_string_equal(text_size(500000000000ull, buf, sizeof(buf)), "465.7 GiB");
	assert_string_equal(text_size(2048ull << 40, buf, sizeof(buf)), "2048.0 TiB");
	/* a short buffer is cut, never overrun */
	assert_string_equal(text_size(1536, buf, 4), "1.5");
}

static void test_utf16_to_utf8(void **state)
{
	/* "Aé€😀" and an unpaired surrogate */
	const unsigned char in[] = { 'A', 0, 0xe9, 0, 0xac, 0x20, 0x3d, 0xd8, 0x00, 0xde,
				     0x00, 0xd8, 'z', 0 };
	char out[64];

	(void)state;
	text_utf16_to_utf8(in, sizeof(in), out, sizeof(out));
	assert_string_equal(out, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbdz");
	/* a small buffer is cut, never overrun */
	text_utf16_to_utf8(in, sizeof(in), out, 4);
	assert_string_equal(out, "A\xc3\xa9");
}

static void test_open_parent(void **state)
{
	char dir[] = "/tmp/bootfix-parent.XXXXXX", path[256], link[128], *base = (char *)1;
	struct stat st, dst;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/log.jsonl", dir);
	fd = file_open_parent(path, &base);
	assert_true(fd >= 0);
	assert_string_equal(base, "log.jsonl");
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(stat(dir, &dst), 0);
	assert_true(st.st_ino == dst.st_ino && st.st_dev == dst.st_dev);
	close(fd);
	free(base);
	/* no slash: the current directory */
	fd = file_open_parent("log.jsonl", &base);
	assert_true(fd >= 0);
	assert_string_equal(base, "log.jsonl");
	close(fd);
	free(base);
	/* a directory is not a file name */
	snprintf(path, sizeof(path), "%s/", dir);
	assert_int_equal(file_open_parent(path, &base), -1);
	assert_int_equal(errno, EISDIR);
	assert_null(base);
	assert_int_equal(file_open_parent("", &base), -1);
	assert_int_equal(errno, EISDIR);
	/* the directory given is not followed when it is a link (a stick's logs -> /etc) */
	snprintf(link, sizeof(link), "%s/logs", dir);
	assert_int_equal(symlink("/etc", link), 0);
	snprintf(path, sizeof(path), "%s/passwd", link);
	assert_int_equal(file_open_parent(path, &base), -1);
	assert_true(errno == ENOTDIR || errno == ELOOP);	/* O_DIRECTORY | O_NOFOLLOW */
	assert_null(base);
	unlink(link);
	rmdir(dir);
}

static void test_wrap_keeps_the_cause(void **state)
{
	(void)state;
	err_set("cannot open %s: %s", "x", strerror(ENOENT));
	err_wrap("cannot append to %s", "log.jsonl");
	assert_string_equal(err_msg(), "cannot append to log.jsonl: cannot open x: No such file or directory");
	/* the message itself as an argument: formatted aside first */
	err_set("cannot append to %s: %s", "y", err_msg());
	assert_string_equal(err_msg(), "cannot append to y: cannot append to log.jsonl: "
			    "cannot open x: No such file or directory");
}

static void test_causes_lowercase(void **state)
{
	char a[] = "No such file or directory", b[] = "EFI variables are not supported",
	     c[] = "I/O error", d[] = "A volume is busy", e[] = "x", f[] = "";

	(void)state;
	/* strerror() and libcryptsetup begin with a capital; our messages do not */
	assert_string_equal(err_lower_first(a), "no such file or directory");
	assert_string_equal(err_lower_first(d), "a volume is busy");
	/* acronyms keep their case */
	assert_string_equal(err_lower_first(b), "EFI variables are not supported");
	assert_string_equal(err_lower_first(c), "I/O error");
	assert_string_equal(err_lower_first(e), "x");
	assert_string_equal(err_lower_first(f), "");
	assert_null(err_lower_first(NULL));
	assert_string_equal(err_cause(EROFS), "read-only file system");
	/* four causes in one message stay apart */
	err_set("%s, %s, %s, %s", err_cause(ENOENT), err_cause(EACCES), err_cause(ENOSPC),
		err_cause(EIO));
	assert_string_equal(err_msg(), "no such file or directory, permission denied, "
			    "no space left on device, input/output error");
}

static void *other_thread(void *arg)
{
	(void)arg;
	err_set("worker: %s", "its own message");
	return NULL;
}

static void test_errors_per_thread(void **state)
{
	pthread_t t;

	(void)state;
	err_set("main thread");
	assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
	pthread_join(t, NULL);
	assert_string_equal(err_msg(), "main thread");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls_and_bidi_escaped),
		cmocka_unit_test(test_safe_buf_cuts_on_a_character),
		cmocka_unit_test(test_printable_ids),
		cmocka_unit_test(test_relpath_checks),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_utf16_to_utf8),
		cmocka_unit_test(test_open_parent),
		cmocka_unit_test(test_wrap_keeps_the_cause),
		cmocka_unit_test(test_causes_lowercase),
		cmocka_unit_test(test_errors_per_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
