/*
 * unlockcmd.c - `bootfix unlock`: show a BitLocker volume's key IDs and
 * unlock it with the first key source that fits (see keys.h).
 *
 * A typed recovery password is read from stdin without echo.  On a
 * terminal it is entered group by group as on BitLocker's own recovery
 * screen: digits from the top row, the keypad or F1-F10, dashes optional,
 * each group checked the moment its sixth digit arrives, and the line is
 * wiped once Enter is pressed.  Keys never reach stdout, stderr or a file;
 * the buffers that held them are scrubbed.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "bitlocker.h"
#include "disk.h"
#include "err.h"
#include "front.h"
#include "keys.h"
#include "text.h"
#include "unlockcmd.h"

#define SECRET_MAX 1024


static void say_problem(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "bootfix: %s\n", text_safe(msg));
}

/* ---- reading a key from stdin ---- */

/* One line from fd 0 with read(2): no stdio buffer keeps a copy. */
static int read_line(char *buf, size_t len, size_t *n)
{
	*n = 0;
	for (;;) {
		char c;
		ssize_t r = read(0, &c, 1);

		if (r < 0 && errno == EINTR && !front_stop)
			continue;
		if (r <= 0)
			return *n ? 0 : -1;
		if (c == '\n')
			break;
		if (*n + 1 < len)
			buf[(*n)++] = c;
	}
	if (*n && buf[*n - 1] == '\r')
		(*n)--;
	buf[*n] = '\0';
	return 0;
}

static struct termios saved_tty;
static int tty_raw;

static void tty_restore(void)
{
	if (tty_raw)
		tcsetattr(0, TCSAFLUSH, &saved_tty);
	tty_raw = 0;
}

static int tty_noecho(int canonical)
{
	struct termios t;

	if (tcgetattr(0, &saved_tty) < 0)
		return -1;
	t = saved_tty;
	t.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
	if (!canonical) {
		t.c_lflag &= (tcflag_t)~(ICANON | ISIG);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
	}
	if (tcsetattr(0, TCSAFLUSH, &t) < 0)
		return -1;
	tty_raw = 1;
	return 0;
}

static int read_byte(void)
{
	unsigned char c;
	ssize_t r;

	do
		r = read(0, &c, 1);
	while (r < 0 && errno == EINTR);
	return r == 1 ? c : -1;
}

/* A byte if one arrives within ms, else -1 (to tell Esc from an escape sequence). */
static int read_byte_within(int ms)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };

	return poll(&p, 1, ms) == 1 ? read_byte() : -1;
}

/*
 * After ESC: F1-F10 and the keypad in application mode as the digits they
 * stand for, whatever the terminal (xterm, VT100, Linux console); -2 for
 * Esc alone, -1 for any other sequence.
 */
static int escape_digit(void)
{
	char seq[8];
	int c = read_byte_within(50), n = 0;

	if (c < 0)
		return -2;
	if (c == 'O') {
		c = read_byte_within(50);
		if (c >= 'P' && c <= 'S')			/* F1-F4 */
			return bitlocker_rp_fkey_digit(c - 'P' + 1);
		if (c >= 'p' && c <= 'y')			/* keypad 0-9 */
			return '0' + (c - 'p');
		return -1;
	}
	if (c != '[')
		return -1;
	c = read_byte_within(50);
	if (c == '[') {					/* Linux console F1-F5 */
		c = read_byte_within(50);
		return c >= 'A' && c <= 'E' ? bitlocker_rp_fkey_digit(c - 'A' + 1) : -1;
	}
	while (c >= '0' && c <= '9' && n < 7) {
		seq[n++] = (char)c;
		c = read_byte_within(50);
	}
	seq[n] = '\0';
	if (c != '~')
		return -1;
	switch (atoi(seq)) {
	case 11: return '1';
	case 12: return '2';
	case 13: return '3';
	case 14: return '4';
	case 15: return '5';
	case 17: return '6';
	case 18: return '7';
	case 19: return '8';
	case 20: return '9';
	case 21: return '0';
	default: return -1;
	}
}

/* Draw the entry: groups so far, a wrong group in reverse video, and why. */
static void draw_entry(const struct bitlocker_rp_entry *e)
{
	int bad = bitlocker_rp_entry_bad(e);

	fputs("\r\033[K  ", stderr);
	for (unsigned g = 0; g < BITLOCKER_RP_GROUPS && e->n > 6 * g; g++) {
		unsigned end = e->n < 6 * (g + 1) ? e->n : 6 * (g + 1);
		enum bitlocker_rp_group s = bitlocker_rp_entry_group(e, g);
		int wrong = s == BITLOCKER_GROUP_NOT11 || s == BITLOCKER_GROUP_TOO_BIG;

		fprintf(stderr, "%s%s%.*s%s", g ? "-" : "", wrong ? "\033[7m" : "",
			(int)(end - 6 * g), e->digit + 6 * g, wrong ? "\033[0m" : "");
	}
	if (bad)
		fprintf(stderr, "   group %d is wrong (%s)", bad,
			bitlocker_rp_group_problem(bitlocker_rp_entry_group(e, (unsigned)bad - 1)));
	fflush(stderr);
}

/* Interactive entry on a terminal; 0 with *rp, or -1 (aborted). */
static int enter_recovery(const char *ids, struct bitlocker_rp *rp)
{
	struct bitlocker_rp_entry e;
	int rc = -1;

	memset(&e, 0, sizeof(e));
	fprintf(stderr, "Recovery password for key ID %s\n"
		"(48 digits; dashes optional; F1-F10 type 1-9,0; Esc or Ctrl-C cancels)\n",
		ids[0] ? ids : "(none on this volume)");
	if (tty_noecho(0) < 0)
		return -1;
	draw_entry(&e);
	for (;;) {
		int c = read_byte();

		if (c < 0 || c == 3 || c == 4 || front_stop)		/* EOF, Ctrl-C, Ctrl-D */
			break;
		if (c == 27) {
			c = escape_digit();
			if (c == -2)
				break;
			if (c < 0)
				continue;
		}
		if (c == '\r' || c == '\n') {
			if (bitlocker_rp_entry_done(&e, rp) == 0) {
				rc = 0;
				break;
			}
			fputc('\a', stderr);
			continue;
		}
		if (c == 0x15) {				/* Ctrl-U: start again */
			bitlocker_rp_entry_clear(&e);
		} else if (bitlocker_rp_entry_key(&e, c) < 0) {
			fputc('\a', stderr);
			continue;
		}
		if (bitlocker_rp_entry_bad(&e))
			fputc('\a', stderr);
		draw_entry(&e);
	}
	bitlocker_rp_entry_clear(&e);
	/* the key must not stay on the screen */
	fputs("\r\033[K", stderr);
	fflush(stderr);
	tty_restore();
	return rc;
}

/* ---- volumes ---- */

struct target {
	char *dev;
	struct bitlocker_info bi;
	int have;
};

/* The BitLocker volumes of dev: dev itself, or its partitions. */
static int find_targets(const char *dev, int check, struct loopdev *lo, struct target **out,
			size_t *n)
{
	struct bitlocker_info probe;
	struct blockdev *b = NULL;
	size_t nb = 0;
	const char *path = dev;
	int blk, rc;

	*out = NULL;
	*n = 0;
	rc = bitlocker_read(dev, &probe);
	if (rc == 0) {
		*out = calloc(1, sizeof(**out));
		if (!*out)
			return err_set("cannot unlock %s: %s", dev, strerror(ENOMEM));
		(*out)->dev = strdup(dev);
		(*out)->bi = probe;
		(*out)->have = 1;
		*n = 1;
		return 0;
	}
	if (rc != BITLOCKER_NOT_BITLOCKER)
		return -1;	/* BitLocker, but its metadata cannot be read: said as it is */
	blk = disk_is_blockdev(dev);
	if (blk < 0)
		return -1;
	if (blk == 0) {
		if (geteuid() != 0)
			return err_set("cannot look for BitLocker partitions in %s: must be run as "
				       "root (or give a file that holds just the volume)", dev);
		if (disk_attach(dev, check, lo) < 0)
			return -1;
		path = lo->path;
	}
	if (disk_volumes(path, &b, &nb) < 0)
		return -1;
	for (size_t i = 0; i < nb; i++) {
		struct target *grown;

		if (!b[i].fstype || strcmp(b[i].fstype, "BitLocker"))
			continue;
		grown = realloc(*out, (*n + 1) * sizeof(**out));
		if (!grown)
			break;
		*out = grown;
		memset(&grown[*n], 0, sizeof(grown[*n]));
		grown[*n].dev = strdup(b[i].path);
		(*n)++;
	}
	disk_free(b, nb);
	if (*n == 0)
		return err_set("cannot unlock %s: no BitLocker volume on it", dev);
	return 0;
}

static void print_volume(const struct target *t)
{
	const struct bitlocker_info *bi = &t->bi;
	char why[200];

	/* the description and protector names come from the volume: escaped */
	printf("%s: BitLocker%s, %s", text_safe(t->dev), bi->togo ? " To Go" : "", bi->cipher);
	if (bi->description[0])
		printf(", \"%s\"", text_safe(bi->description));
	putchar('\n');
	for (size_t i = 0; i < bi->nprot; i++)
		printf("  key ID %s (%.8s)  %s%s%s%s\n", bi->prot[i].guid, bi->prot[i].guid,
		       bitlocker_kind_name(bi->prot[i].kind), bi->prot[i].name[0] ? " \"" : "",
		       text_safe(bi->prot[i].name), bi->prot[i].name[0] ? "\"" : "");
	if (bitlocker_converting(bi, why, sizeof(why)))
		printf("  %s\n", why);
}

/* Hold the mappings until stdin gives a line or ends, or a signal comes. */
static void hold(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };

	fprintf(stderr, "bootfix: the volume stays unlocked until stdin ends, Enter or Ctrl-C\n");
	while (!front_stop) {
		char c;
		int r = poll(&p, 1, 200);

		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		if (read(0, &c, 1) <= 0 || c == '\n')
			break;
	}
}

static const struct option opts[] = {
	{ "device", required_argument, NULL, 'd' },
	{ "keys", required_argument, NULL, 'k' },
	{ "data", required_argument, NULL, 'D' },
	{ "recovery-password", required_argument, NULL, 'r' },
	{ "password", required_argument, NULL, 'p' },
	{ "check", no_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int exec(const struct front_verb *self, struct front_args *a)
{
	const char *dev = front_arg(a, 'd'), *keydir = front_arg(a, 'k');
	const char *data = front_arg(a, 'D');
	char keypath[4096], secret[SECRET_MAX];
	struct bitlocker_key typed = { 0 };
	struct bitlocker_rp rp;
	struct keyring kr = { 0 };
	struct loopdev lo = { .fd = -1 };
	struct target *t = NULL;
	struct bitlocker_mapping *maps = NULL;
	size_t nt = 0, slen = 0;
	int ch, check = front_arg(a, 'c') != NULL, want_rp = 0, want_pw = 0, code = 0;
	int interrupted = 0;

	memset(&rp, 0, sizeof(rp));
	for (size_t i = 0; i < a->nopt; i++) {
		ch = a->opt[i].ch;
		if (ch != 'r' && ch != 'p')
			continue;
		if (strcmp(a->opt[i].value, "-")) {
			fprintf(stderr, "bootfix unlock: give keys on stdin (--%s -), never "
				"as an argument others can read\n",
				ch == 'r' ? "recovery-password" : "password");
			return FRONT_EXIT_USAGE;
		}
		*(ch == 'r' ? &want_rp : &want_pw) = 1;
	}
	/* no operand is named back: it may be a key typed in the wrong place */
	if (a->argc > 0 || !dev || (want_rp && want_pw))
		return front_usage(self);
	data = front_data_dir(data);
	if (!keydir && data) {
		snprintf(keypath, sizeof(keypath), "%s/keys", data);
		keydir = keypath;
	}
	if (!check && geteuid() != 0)
		return front_error("cannot unlock %s read-write: must be run as root (--check only "
				 "verifies the key)", dev);
	bitlocker_no_core_dumps();
	front_catch_signals();
	if (find_targets(dev, check, &lo, &t, &nt) < 0) {
		code = front_error("%s", err_msg());
		goto out;
	}
	for (size_t i = 0; i < nt; i++)
		if (!t[i].have && bitlocker_read(t[i].dev, &t[i].bi) == 0)
			t[i].have = 1;
	for (size_t i = 0; i < nt; i++)
		if (t[i].have)
			print_volume(&t[i]);
	fflush(stdout);
	if (keydir) {
		if (keys_load_dir(&kr, keydir, say_problem, NULL) < 0) {
			code = front_error("%s", err_msg());
			goto out;
		}
		fprintf(stderr, "bootfix: %zu key%s and %zu startup key%s from %s\n", kr.n,
			kr.n == 1 ? "" : "s", kr.nbek, kr.nbek == 1 ? "" : "s", keydir);
	}
	if (want_rp || want_pw) {
		if (want_rp && isatty(0)) {
			char ids[200] = "";

			if (nt && t[0].have)
				bitlocker_recovery_ids(&t[0].bi, " or ", 0, ids, sizeof(ids));
			if (enter_recovery(ids, &rp) < 0) {
				fprintf(stderr, "bootfix unlock: no recovery password entered\n");
				code = FRONT_EXIT_NOT_DONE;
				goto out;
			}
			typed.secret = rp.text;
			typed.len = strlen(rp.text);
		} else {
			int tty = isatty(0);

			if (tty) {
				fprintf(stderr, "Password: ");
				tty_noecho(1);
			}
			ch = read_line(secret, sizeof(secret), &slen);
			if (tty) {
				tty_restore();
				fputc('\n', stderr);
			}
			if (ch < 0) {
				fprintf(stderr, "bootfix unlock: no key on stdin\n");
				code = FRONT_EXIT_USAGE;
				goto out;
			}
			typed.secret = secret;
			typed.len = slen;
			if (want_rp) {
				int bad = 0;

				/* checked before any slow key derivation is tried */
				if (bitlocker_rp_parse(secret, slen, &rp, &bad) < 0) {
					code = FRONT_EXIT_NOT_DONE;
					front_error("cannot unlock %s: %s", dev, err_msg());
					goto out;
				}
				typed.secret = rp.text;
				typed.len = strlen(rp.text);
			}
		}
		typed.kind = want_rp ? BITLOCKER_KEY_RECOVERY : BITLOCKER_KEY_PASSWORD;
	}
	maps = calloc(nt ? nt : 1, sizeof(*maps));
	if (!maps) {
		code = front_error("cannot unlock %s: %s", dev, strerror(ENOMEM));
		goto out;
	}
	for (size_t i = 0; i < nt && !front_stop; i++) {
		struct keys_unlock_opts o = {
			.kr = keydir ? &kr : NULL, .typed = typed.secret ? &typed : NULL,
			.check = check, .typed_only = check, .tried = say_problem,
		};
		struct bitlocker_result res;
		struct keys_source src;
		char srcname[400], why[200];

		maps[i].loopfd = -1;
		if (!t[i].have) {
			front_error("cannot unlock %s: cannot read its BitLocker metadata", t[i].dev);
			code = FRONT_EXIT_CANNOT;
			continue;
		}
		if (keys_unlock(t[i].dev, &t[i].bi, &o, &maps[i], &res, &src) < 0) {
			front_error("%s", err_msg());
			if (code != FRONT_EXIT_CANNOT)
				code = res.wrong_key ? FRONT_EXIT_NOT_DONE : FRONT_EXIT_CANNOT;
			continue;
		}
		keys_source_name(&src, srcname, sizeof(srcname));
		printf("%s: %s with key ID %s (%.8s), %s, from %s; checked by %s\n", t[i].dev,
		       check ? "key verified" : "unlocked", src.key_id, src.key_id,
		       bitlocker_kind_name(src.protector), text_safe(srcname), res.verifier);
		if (res.note[0])
			printf("  %s\n", res.note);
		if (check && bitlocker_converting(&t[i].bi, why, sizeof(why)))
			printf("  cannot be mapped yet: %s\n", why);
		if (!check)
			printf("%s: mapped read-write at %s\n", t[i].dev, maps[i].path);
		fflush(stdout);
	}
	if (front_stop)
		interrupted = 1;
	else if (!check && code == 0)
		hold();
out:
	for (size_t i = 0; maps && i < nt; i++)
		if (maps[i].via != BITLOCKER_VIA_NONE) {
			char path[64];

			snprintf(path, sizeof(path), "%s", maps[i].path);
			if (bitlocker_close(&maps[i]) < 0) {
				front_error("%s", err_msg());
				code = FRONT_EXIT_CANNOT;
			} else {
				printf("%s: closed %s\n", t[i].dev, path);
			}
		}
	bitlocker_close_all();
	tty_restore();
	explicit_bzero(secret, sizeof(secret));
	bitlocker_rp_clear(&rp);
	keys_free(&kr);
	for (size_t i = 0; i < nt; i++) {
		free(t[i].dev);
		bitlocker_info_clear(&t[i].bi);
	}
	free(t);
	free(maps);
	disk_detach(&lo);
	if (interrupted) {
		fprintf(stderr, "bootfix: interrupted; every mapping closed\n");
		if (code == 0)
			code = FRONT_EXIT_CANNOT;
	}
	return code;
}

const struct front_verb unlockcmd_verb = {
	.name = "unlock",
	.usage = "bootfix unlock --device FILE|DEV [--keys DIR | --data DIR] "
		 "[--recovery-password - | --password -] [--check]",
	.shortopts = "d:k:D:r:p:ch", .longopts = opts, .lower = 0, .upper = -1,
	.exec = exec,
};
