/*
 * bitlocker_rp.c - recovery passwords: 48 digits in 8 groups, each a
 * multiple of 11 below 720896; parsed from an export or a command line,
 * or typed key by key with every group checked as it is typed
 * (bitlocker_rp_entry_*: the menu and bootfix unlock draw its state).
 */
#include <string.h>

#include "bitlocker_internal.h"
#include "err.h"

enum bitlocker_rp_group bitlocker_rp_check_group(const char digits[6])
{
	long v = 0;

	for (int i = 0; i < 6; i++)
		v = v * 10 + (digits[i] - '0');
	if (v % 11)
		return BITLOCKER_GROUP_NOT11;
	if (v >= 720896)
		return BITLOCKER_GROUP_TOO_BIG;
	return BITLOCKER_GROUP_OK;
}

const char *bitlocker_rp_group_problem(enum bitlocker_rp_group g)
{
	switch (g) {
	case BITLOCKER_GROUP_NOT11: return "not divisible by 11";
	case BITLOCKER_GROUP_TOO_BIG: return "720896 or more";
	case BITLOCKER_GROUP_PARTIAL: return "fewer than 6 digits";
	case BITLOCKER_GROUP_EMPTY: return "missing";
	default: return "right";
	}
}

static void rp_fill(const char *digits, struct bitlocker_rp *rp)
{
	size_t o = 0;

	for (int g = 0; g < BITLOCKER_RP_GROUPS; g++) {
		long v = 0;

		for (int i = 0; i < 6; i++) {
			rp->text[o++] = digits[6 * g + i];
			v = v * 10 + (digits[6 * g + i] - '0');
		}
		if (g < BITLOCKER_RP_GROUPS - 1)
			rp->text[o++] = '-';
		rp->part[g] = (uint16_t)(v / 11);
	}
	rp->text[o] = '\0';
}

/* Check 48 digits group by group; 0, or -1 with err_set() and *bad. */
static int rp_check_digits(const char *digits, size_t n, int *bad)
{
	for (size_t g = 0; g < BITLOCKER_RP_GROUPS && 6 * (g + 1) <= n; g++) {
		enum bitlocker_rp_group s = bitlocker_rp_check_group(digits + 6 * g);

		if (s != BITLOCKER_GROUP_OK) {
			*bad = (int)g + 1;
			return err_set("recovery password group %zu is wrong (%s)", g + 1,
				       bitlocker_rp_group_problem(s));
		}
	}
	if (n != BITLOCKER_RP_DIGITS)
		return err_set("recovery password has %zu of %d digits", n, BITLOCKER_RP_DIGITS);
	return 0;
}

int bitlocker_rp_parse(const char *s, size_t len, struct bitlocker_rp *rp, int *bad_group)
{
	char digits[BITLOCKER_RP_DIGITS];
	size_t n = 0;
	int bad = 0, rc;

	memset(rp, 0, sizeof(*rp));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= '0' && c <= '9') {
			if (n == BITLOCKER_RP_DIGITS) {
				explicit_bzero(digits, sizeof(digits));
				if (bad_group)
					*bad_group = 0;
				return err_set("recovery password has more than %d digits",
					       BITLOCKER_RP_DIGITS);
			}
			digits[n++] = (char)c;
		} else if (c != '-' && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			explicit_bzero(digits, sizeof(digits));
			if (bad_group)
				*bad_group = n / 6 + 1 <= BITLOCKER_RP_GROUPS ? (int)(n / 6 + 1) : 0;
			return err_set("recovery password holds a character that is no digit "
				       "(in group %zu)", n / 6 + 1);
		}
	}
	rc = rp_check_digits(digits, n, &bad);
	if (rc == 0)
		rp_fill(digits, rp);
	explicit_bzero(digits, sizeof(digits));
	if (bad_group)
		*bad_group = bad;
	return rc;
}

void bitlocker_rp_clear(struct bitlocker_rp *rp)
{
	explicit_bzero(rp, sizeof(*rp));
}

int bitlocker_rp_entry_key(struct bitlocker_rp_entry *e, int ch)
{
	if (ch >= '0' && ch <= '9') {
		if (e->n >= BITLOCKER_RP_DIGITS)
			return -1;
		e->digit[e->n++] = (char)ch;
		return 1;
	}
	if (ch == BITLOCKER_RP_BACKSPACE || ch == '\b') {
		if (!e->n)
			return 0;
		e->digit[--e->n] = '\0';
		return 1;
	}
	if (ch == '-' || ch == ' ')
		return 0;
	return -1;
}

enum bitlocker_rp_group bitlocker_rp_entry_group(const struct bitlocker_rp_entry *e, unsigned g)
{
	if (g >= BITLOCKER_RP_GROUPS || e->n <= 6 * g)
		return BITLOCKER_GROUP_EMPTY;
	if (e->n < 6 * (g + 1))
		return BITLOCKER_GROUP_PARTIAL;
	return bitlocker_rp_check_group(e->digit + 6 * g);
}

int bitlocker_rp_entry_bad(const struct bitlocker_rp_entry *e)
{
	for (unsigned g = 0; g < BITLOCKER_RP_GROUPS; g++) {
		enum bitlocker_rp_group s = bitlocker_rp_entry_group(e, g);

		if (s == BITLOCKER_GROUP_NOT11 || s == BITLOCKER_GROUP_TOO_BIG)
			return (int)g + 1;
	}
	return 0;
}

int bitlocker_rp_entry_done(const struct bitlocker_rp_entry *e, struct bitlocker_rp *rp)
{
	int bad = 0;

	memset(rp, 0, sizeof(*rp));
	if (rp_check_digits(e->digit, e->n, &bad) < 0)
		return -1;
	rp_fill(e->digit, rp);
	return 0;
}

void bitlocker_rp_entry_clear(struct bitlocker_rp_entry *e)
{
	explicit_bzero(e, sizeof(*e));
}

int bitlocker_rp_fkey_digit(int n)
{
	if (n >= 1 && n <= 9)
		return '0' + n;
	if (n == 10)
		return '0';
	return -1;
}
