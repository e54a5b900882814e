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

enum config_mode { CONFIG_MODE_UNSET, CONFIG_MODE_MENU, CONFIG_MODE_AUTO };
enum config_after { CONFIG_AFTER_UNSET, CONFIG_AFTER_POWEROFF, CONFIG_AFTER_REBOOT,
		    CONFIG_AFTER_WAIT };

#define CONFIG_VALUE_MAX 128	/* bytes of an operator, site or stick name */
#define CONFIG_COUNTDOWN_MAX 3600

struct config {
	char *operator_name;	/* operator = NAME, or NULL */
	char *site;		/* site = NAME, or NULL */
	char *stick;		/* stick = NAME (names this stick in audit records), or NULL */
	enum config_mode mode;	/* mode = menu | auto */
	enum config_after after;	/* after = poweroff | reboot | wait */
	int countdown;		/* countdown = SECONDS (0..3600), or -1 when not set */
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
