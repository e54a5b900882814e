/*
 * test_config.c - DATA/bootfix.conf as people write it in Notepad (cmocka).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "err.h"

static size_t parse(struct config *c, const char *text)
{
	config_init(c);
	return config_parse(c, "bootfix.conf", text, strlen(text));
}

static void test_all_keys(void **state)
{
	struct config c;

	(void)state;
	assert_int_equal(parse(&c, "# who and where\noperator = Ana Lima\nsite = Ward 3, East\n"
			       "stick = stick-07\nmode = auto\nafter = reboot\ncountdown = 30\n"), 0);
	assert_string_equal(c.operator_name, "Ana Lima");
	assert_string_equal(c.site, "Ward 3, East");
	assert_string_equal(c.stick, "stick-07");
	assert_int_equal(c.mode, CONFIG_MODE_AUTO);
	assert_int_equal(c.after, CONFIG_AFTER_REBOOT);
	assert_int_equal(c.countdown, 30);
	assert_string_equal(config_mode_name(c.mode), "auto");
	assert_string_equal(config_after_name(c.after), "reboot");
	config_free(&c);
	assert_null(c.site);
	assert_int_equal(c.countdown, -1);
}

/* log-to, log-ca, log-token: the URLs as logsend_parse() reads them */
static void test_log_servers(void **state)
{
	struct config c;
	struct logsend_dest d;

	(void)state;
	assert_int_equal(parse(&c, "log-to = syslog+tls://logs.ward3.example\n"
			       "LOG-TO = syslog+tcp://[::1]:1514/\n"
			       "log-to = HTTPS://10.0.0.5:8088?index=bootfix\n"
			       "log-ca = keys/site-ca.pem\nlog-token = keys/hec-token\n"), 0);
	assert_int_equal(c.nlog_to, 3);
	assert_string_equal(c.log_ca, "keys/site-ca.pem");
	assert_string_equal(c.log_token, "keys/hec-token");
	assert_int_equal(logsend_parse(c.log_to[0], &d), 0);
	assert_int_equal(d.scheme, LOGSEND_SYSLOG_TLS);
	assert_string_equal(d.host, "logs.ward3.example");
	assert_string_equal(d.port, "6514");
	assert_string_equal(d.path, "");
	assert_int_equal(logsend_parse(c.log_to[1], &d), 0);
	assert_int_equal(d.scheme, LOGSEND_SYSLOG_TCP);
	assert_string_equal(d.host, "::1");
	assert_string_equal(d.port, "1514");
	assert_int_equal(logsend_parse(c.log_to[2], &d), 0);
	assert_int_equal(d.scheme, LOGSEND_HTTPS);
	assert_string_equal(d.host, "10.0.0.5");
	assert_string_equal(d.port, "8088");
	assert_string_equal(d.path, "/?index=bootfix");
	assert_int_equal(logsend_parse("https://h.example", &d), 0);
	assert_string_equal(d.port, "443");
	assert_string_equal(d.path, "/");
	config_free(&c);
	assert_int_equal(c.nlog_to, 0);
	assert_null(c.log_ca);
	/* one server written two ways is one server: it would get each record twice */
	assert_int_equal(parse(&c, "log-to = syslog+tls://Logs.Example\n"
			       "log-to = syslog+tls://logs.example:6514/\n"
			       "log-to = https://h.example\nlog-to = HTTPS://H.example:443/\n"
			       "log-to = https://h.example/other\n"), 2);
	assert_int_equal(c.nlog_to, 3);
	assert_string_equal(c.problems[0], "bootfix.conf:2: log-to syslog+tls://logs.example:6514/ "
			    "is given twice, as syslog+tls://Logs.Example before (ignored)");
	assert_string_equal(c.problems[1], "bootfix.conf:4: log-to HTTPS://H.example:443/ "
			    "is given twice, as https://h.example before (ignored)");
	config_free(&c);
	/* each bad line is one problem naming line and key; the good ones count */
	assert_int_equal(parse(&c, "log-to = gopher://x\nlog-to = syslog+tcp://h:70000\n"
			       "log-to = syslog+tcp://h:514\nlog-ca = ../ca.pem\n"), 3);
	assert_string_equal(c.problems[0], "bootfix.conf:1: log-to: unknown scheme 'gopher' "
			    "(give syslog+tls, syslog+tcp or https) (ignored)");
	assert_string_equal(c.problems[1], "bootfix.conf:2: log-to: port 70000 is out of range "
			    "(1 to 65535) (ignored)");
	assert_int_equal(c.nlog_to, 1);
	assert_null(c.log_ca);
	config_free(&c);
}

static void test_notepad(void **state)
{
	struct config c;

	(void)state;
	/* UTF-8 BOM, CRLF, spaces and tabs, quotes, any case of key and value */
	assert_int_equal(parse(&c, "\xef\xbb\xbfOperator\t=  \"Zoë\"  \r\n\r\n; comment\r\n"
			       "SITE=Zürich #2\r\nMode = MENU\r\nafter = Wait"), 0);
	assert_string_equal(c.operator_name, "Zoë");
	assert_string_equal(c.site, "Zürich #2");
	assert_int_equal(c.mode, CONFIG_MODE_MENU);
	assert_int_equal(c.after, CONFIG_AFTER_WAIT);
	assert_int_equal(c.countdown, -1);
	config_free(&c);
}

static void test_problems_are_messages(void **state)
{
	struct config c;

	(void)state;
	assert_int_equal(parse(&c, "colour = blue\nsite\nmode = fast\nafter = shutdown\n"
			       "countdown = -5\ncountdown = 99999\ncountdown = 12abc\n"
			       "operator =\nsite = ok\nsite = twice\n"), 9);
	assert_string_equal(c.problems[0], "bootfix.conf:1: unknown key 'colour' (ignored)");
	assert_string_equal(c.problems[1], "bootfix.conf:2: expected 'key = value' (ignored)");
	assert_string_equal(c.problems[2],
			    "bootfix.conf:3: mode must be menu or auto, not 'fast' (ignored)");
	assert_non_null(strstr(c.problems[3], ":4: after must be poweroff, reboot or wait"));
	assert_non_null(strstr(c.problems[4], ":5: countdown must be 0 to 3600 seconds"));
	assert_non_null(strstr(c.problems[5], ":6: countdown"));
	assert_non_null(strstr(c.problems[6], ":7: countdown"));
	assert_string_equal(c.problems[7], "bootfix.conf:8: operator has no value (ignored)");
	assert_string_equal(c.problems[8],
			    "bootfix.conf:10: site is set again; this later value counts");
	/* bad lines are skipped, good ones still count */
	assert_string_equal(c.site, "twice");
	assert_null(c.operator_name);
	assert_int_equal(c.mode, CONFIG_MODE_UNSET);
	assert_int_equal(c.countdown, -1);
	for (size_t i = 0; i < c.nproblems; i++)
		assert_null(strchr(c.problems[i], '\n'));
	config_free(&c);
}

static void test_bad_text(void **state)
{
	struct config c;
	char nul[] = "site = a\0b\noperator = ok\n";

	(void)state;
	assert_int_equal(parse(&c, "\xff\xfes\0i\0t\0e\0"), 1);
	assert_non_null(strstr(c.problems[0], "UTF-16"));
	assert_null(c.site);
	config_free(&c);
	/* Latin-1 from an old editor: refused with advice, not stored as garbage */
	assert_int_equal(parse(&c, "site = Z\xfcrich\n"), 1);
	assert_non_null(strstr(c.problems[0], "not UTF-8"));
	assert_null(c.site);
	config_free(&c);
	assert_int_equal(parse(&c, "site = a\x1b[2Jb\n"), 1);
	assert_non_null(strstr(c.problems[0], "control character"));
	config_free(&c);
	config_init(&c);
	assert_int_equal(config_parse(&c, "x.conf", nul, sizeof(nul) - 1), 1);
	assert_string_equal(c.operator_name, "ok");
	config_free(&c);
	{
		char longv[300];

		memset(longv, 'a', sizeof(longv));
		memcpy(longv, "site=", 5);
		longv[sizeof(longv) - 1] = '\0';
		assert_int_equal(parse(&c, longv), 1);
		assert_non_null(strstr(c.problems[0], "longer than 128 bytes"));
		config_free(&c);
	}
}

static void test_load(void **state)
{
	char dir[] = "/tmp/bootfix-config.XXXXXX", path[64];
	struct config c;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bootfix.conf", dir);
	config_init(&c);
	assert_int_equal(config_load(&c, path), 0);	/* missing: fine, nothing set */
	assert_null(c.site);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("site = Lab\nbogus = 1\n", f);
	fclose(f);
	assert_int_equal(config_load(&c, path), 1);
	assert_string_equal(c.site, "Lab");
	assert_non_null(strstr(c.problems[0], "bootfix.conf:2: unknown key 'bogus'"));
	config_free(&c);
	unlink(path);
	/* a link is not followed */
	assert_int_equal(symlink("/etc/hostname", path), 0);
	config_init(&c);
	assert_int_equal(config_load(&c, path), -1);
	assert_non_null(strstr(err_msg(), "cannot open"));
	config_free(&c);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_notepad),
		cmocka_unit_test(test_problems_are_messages),
		cmocka_unit_test(test_log_servers),
		cmocka_unit_test(test_bad_text),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
