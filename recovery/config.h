/*
 * config.h - DATA/bootfix.conf: what the person who prepared the stick
 * chose (who works with it, where, how the unattended mode behaves).
 *
 * Plain "key = value" lines, '#' or ';' at the start of a line for a
 * comment; CRLF line ends and a UTF-8 byte-order mark are accepted, keys are
 * case-insensitive.  A bad line never stops bootfix: it becomes one message
 * in problems[] and is ignored; the rest of the file still counts.
 */
#ifndef BOOTFIX_CONFIG_H
#define BOOTFIX_CONFIG_H

#include <stddef.h>

#include "logsend.h"

enum config_mode { CONFIG_MODE_UNSET, CONFIG_MODE_MENU, CONFIG_MODE_AUTO };
enum config_after { CONFIG_AFTER_UNSET, CONFIG_AFTER_POWEROFF, CONFIG_AFTER_REBOOT,
		    CONFIG_AFTER_WAIT };

#define CONFIG_VALUE_MAX 128	/* bytes of an operator, site or stick name */
#define CONFIG_COUNTDOWN_MAX 3600
#define CONFIG_LOG_CA_DEFAULT "keys/log-ca.pem"	/* below the data folder */
#define CONFIG_PATH_MAX 255	/* bytes of a log-ca or log-token file name */

struct config {
	char *operator_name;	/* operator = NAME, or NULL */
	char *site;		/* site = NAME, or NULL */
	char *stick;		/* stick = NAME (names this stick in audit records), or NULL */
	enum config_mode mode;	/* mode = menu | auto */
	enum config_after after;	/* after = poweroff | reboot | wait */
	int countdown;		/* countdown = SECONDS (0..3600), or -1 when not set */
	/* the site's log servers (docs/log.md): log-to = URL, one line each, checked
	   with logsend_parse(); log-ca and log-token name files below the data
	   folder ('/'-separated, no ".."), or are NULL */
	char *log_to[LOGSEND_DEST_MAX];
	size_t nlog_to;
	char *log_ca;		/* log-ca = FILE (default keys/log-ca.pem) */
	char *log_token;	/* log-token = FILE: https's bearer token */
	char **problems;	/* "bootfix.conf:3: unknown key 'colour' (ignored)" */
	size_t nproblems;
};

/* An empty configuration: nothing set, countdown -1, no problems. */
void config_init(struct config *c);

/*
 * Read text (len bytes; need not be NUL-terminated) of a file called name
 * (used in messages) into c, over what c already holds.  Returns the number
 * of problems added to c->problems; never fails otherwise (out of memory
 * drops settings, never crashes).
 */
size_t config_parse(struct config *c, const char *name, const char *text, size_t len);

/*
 * Read the file at path into c.  A missing file is no problem (returns 0,
 * nothing set).  Returns the number of problems added, or -1 with err_set()
 * when the file exists but cannot be read (c is unchanged then).
 */
int config_load(struct config *c, const char *path);

/* Free what c owns and make it empty again. */
void config_free(struct config *c);

/* "menu", "auto", "poweroff", "reboot", "wait"; NULL for UNSET. */
const char *config_mode_name(enum config_mode m);
const char *config_after_name(enum config_after a);

#endif
