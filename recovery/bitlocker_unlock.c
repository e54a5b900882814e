/*
 * bitlocker_unlock.c - checking a key and mapping a volume: the key's
 * candidate protectors, libcryptsetup (dm-crypt) first, bootfix's own
 * derivation and dislocker-fuse where libcryptsetup cannot; closing
 * mappings again, also on exit and after a signal (a live table).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libcryptsetup.h>

#include "bitlocker_internal.h"
#include "disk.h"
#include "err.h"
#include "live.h"
#include "proc.h"

#define MAX_LIVE 16
LIVE_TABLE(live, struct bitlocker_mapping, MAX_LIVE);

/* ---- which protectors a key may open ---- */

static enum bitlocker_kind wanted_kind(enum bitlocker_key_kind k)
{
	switch (k) {
	case BITLOCKER_KEY_RECOVERY: return BITLOCKER_RECOVERY_PASSWORD;
	case BITLOCKER_KEY_PASSWORD: return BITLOCKER_PASSWORD;
	case BITLOCKER_KEY_STARTUP: return BITLOCKER_STARTUP_KEY;
	default: return BITLOCKER_CLEAR_KEY;
	}
}

static const char *key_kind_name(enum bitlocker_key_kind k)
{
	return bitlocker_kind_name(wanted_kind(k));
}

/* Indexes of the protectors key may open, into cand[]; returns how many. */
static size_t candidates(const struct bitlocker_info *bi, const struct bitlocker_key *k,
			 size_t cand[BITLOCKER_MAX_PROTECTORS], size_t *of_kind)
{
	size_t n = 0;

	*of_kind = 0;
	for (size_t i = 0; i < bi->nprot; i++) {
		if (bi->prot[i].kind != wanted_kind(k->kind))
			continue;
		(*of_kind)++;
		if (!k->guid || bitlocker_guid_match(bi->prot[i].guid, k->guid))
			cand[n++] = i;
	}
	return n;
}

/* ---- libcryptsetup ---- */

static char cs_msg[256];

static void cs_log(int level, const char *msg, void *usrptr)
{
	size_t n;

	(void)usrptr;
	if (level != CRYPT_LOG_ERROR || !msg)
		return;
	snprintf(cs_msg, sizeof(cs_msg), "%s", msg);
	n = strlen(cs_msg);
	while (n && (cs_msg[n - 1] == '\n' || cs_msg[n - 1] == '.'))
		cs_msg[--n] = '\0';
	err_lower_first(cs_msg);
}

/*
 * Why libcryptsetup (2.6) would refuse this volume or key before trying,
 * or NULL when it can be used.
 */
static const char *cs_refuses(const struct bitlocker_info *bi, const struct bitlocker_key *k)
{
	if (k->kind == BITLOCKER_KEY_CLEAR)
		return "it cannot use a clear key";
	for (size_t i = 0; i < bi->nprot; i++)
		if (bi->prot[i].kind == BITLOCKER_CLEAR_KEY)
			return "it refuses volumes with a clear key";
	if (bitlocker_converting(bi, NULL, 0))
		return "it refuses volumes whose encryption is in progress";
	if (k->kind == BITLOCKER_KEY_PASSWORD)
		for (size_t i = 0; i < k->len; i++)
			if ((unsigned char)k->secret[i] >= 0x80)
				/* 2.6 hashes UTF-8 length * 2 bytes of the UTF-16 form */
				return "it hashes passwords with non-ASCII characters wrongly";
	return NULL;
}

/* Ask libcryptsetup; returns 0, or a negative errno (-EPERM: wrong key). */
static int cs_activate(const char *dev, const char *name, const char *secret, size_t len,
		       uint32_t flags)
{
	struct crypt_device *cd = NULL;
	int r;

	cs_msg[0] = '\0';
	crypt_set_log_callback(NULL, cs_log, NULL);
	r = crypt_init(&cd, dev);
	if (r < 0)
		return r;
	crypt_set_log_callback(cd, cs_log, NULL);
	r = crypt_load(cd, CRYPT_BITLK, NULL);
	if (r == 0)
		r = crypt_activate_by_passphrase(cd, name, CRYPT_ANY_SLOT, secret, len, flags);
	crypt_free(cd);
	return r < 0 ? r : 0;
}

/* The secret as libcryptsetup wants it. */
static void cs_secret(const struct bitlocker_key *k, const struct bitlocker_rp *rp,
		      const char **s, size_t *len)
{
	if (k->kind == BITLOCKER_KEY_RECOVERY) {
		*s = rp->text;
		*len = strlen(rp->text);
	} else {
		*s = k->secret;
		*len = k->len;
	}
}

/* ---- check and open ---- */

static void wrong(const char *dev, const struct bitlocker_info *bi, const struct bitlocker_key *k,
		  const size_t *cand, size_t n, struct bitlocker_result *res)
{
	char ids[160] = "";
	size_t o = 0;

	res->wrong_key = 1;
	for (size_t i = 0; i < n && o < sizeof(ids) - 40; i++)
		o += (size_t)snprintf(ids + o, sizeof(ids) - o, "%s%s", i ? ", " : "",
				      bi->prot[cand[i]].guid);
	err_set("cannot unlock %s: the %s is wrong (tried key ID%s %s)", dev,
		key_kind_name(k->kind), n == 1 ? "" : "s", ids);
}

/* Common start of check and open: parse the key and find the candidates. */
static int prepare(const char *dev, const struct bitlocker_info *bi, const struct bitlocker_key *k,
		   struct bitlocker_rp *rp, size_t *cand, size_t *n, size_t *of_kind,
		   struct bitlocker_result *res)
{
	memset(res, 0, sizeof(*res));
	memset(rp, 0, sizeof(*rp));
	if (k->kind == BITLOCKER_KEY_RECOVERY &&
	    bitlocker_rp_parse(k->secret, k->len, rp, &res->bad_group) < 0) {
		char why[160];

		snprintf(why, sizeof(why), "%s", err_msg());
		res->wrong_key = 1;
		return err_set("cannot unlock %s: %s", dev, why);
	}
	*n = candidates(bi, k, cand, of_kind);
	if (*n == 0) {
		res->wrong_key = 1;
		if (*of_kind && k->guid)
			return err_set("cannot unlock %s: key ID %s is not one of its %s protectors",
				       dev, k->guid, key_kind_name(k->kind));
		return err_set("cannot unlock %s: it has no %s protector", dev,
			       key_kind_name(k->kind));
	}
	return 0;
}

static void found(const struct bitlocker_info *bi, long idx, const char *verifier,
		  struct bitlocker_result *res)
{
	snprintf(res->guid, sizeof(res->guid), "%s", bi->prot[idx].guid);
	res->kind = bi->prot[idx].kind;
	res->verifier = verifier;
}

/*
 * libcryptsetup says the key is right but not which protector took it:
 * with one candidate of the kind that is clear, else find it ourselves.
 */
static void attribute(const struct bitlocker_info *bi, const struct bitlocker_key *k,
		      const struct bitlocker_rp *rp, const size_t *cand, size_t n, size_t of_kind,
		      struct bitlocker_result *res)
{
	struct bitlocker_rawkey fvek;
	long idx = of_kind == 1 ? (long)cand[0] : bitlocker_derive_try(bi, k, rp, cand, n, &fvek);

	explicit_bzero(&fvek, sizeof(fvek));
	if (idx >= 0) {
		found(bi, idx, "libcryptsetup", res);
	} else {
		found(bi, (long)cand[0], "libcryptsetup", res);
		snprintf(res->note, sizeof(res->note), "the key ID could not be told apart");
	}
}

int bitlocker_check(const char *dev, const struct bitlocker_info *bi,
		    const struct bitlocker_key *k, struct bitlocker_result *res)
{
	size_t cand[BITLOCKER_MAX_PROTECTORS], n, of_kind;
	struct bitlocker_rp rp;
	struct bitlocker_rawkey fvek;
	const char *refuse;
	long idx;
	int rc = -1;

	if (prepare(dev, bi, k, &rp, cand, &n, &of_kind, res) < 0)
		return -1;
	refuse = cs_refuses(bi, k);
	if (!refuse) {
		const char *s;
		size_t len;
		int r;

		cs_secret(k, &rp, &s, &len);
		r = cs_activate(dev, NULL, s, len, 0);
		if (r == 0) {
			attribute(bi, k, &rp, cand, n, of_kind, res);
			bitlocker_rp_clear(&rp);
			return 0;
		}
		if (r == -EPERM) {
			wrong(dev, bi, k, cand, n, res);
			bitlocker_rp_clear(&rp);
			return -1;
		}
		snprintf(res->note, sizeof(res->note), "libcryptsetup could not check it: %.150s",
			 cs_msg[0] ? cs_msg : strerror(-r));
	} else {
		snprintf(res->note, sizeof(res->note), "not checked by libcryptsetup: %s", refuse);
	}
	idx = bitlocker_derive_try(bi, k, &rp, cand, n, &fvek);
	if (idx >= 0) {
		found(bi, idx, "bootfix", res);
		rc = 0;
	} else {
		wrong(dev, bi, k, cand, n, res);
	}
	explicit_bzero(&fvek, sizeof(fvek));
	bitlocker_rp_clear(&rp);
	return rc;
}

/* ---- mappings ---- */

/*
 * Does the kernel have device-mapper?  Not /dev/mapper/control: libdevmapper
 * makes that node itself whether the kernel has a driver behind it or not.
 */
static int dm_available(void)
{
	char line[128];
	FILE *f = fopen("/proc/misc", "re");
	int yes = 0;

	if (!f)
		return 0;
	while (!yes && fgets(line, sizeof(line), f))
		yes = strstr(line, " device-mapper\n") != NULL;
	fclose(f);
	return yes;
}

static void dm_pick_name(const struct bitlocker_info *bi, char *name, size_t len)
{
	char id[9];

	for (int i = 0; i < 8; i++)
		id[i] = (char)(bi->volume_guid[i] >= 'A' && bi->volume_guid[i] <= 'F' ?
			       bi->volume_guid[i] - 'A' + 'a' : bi->volume_guid[i]);
	id[8] = '\0';
	snprintf(name, len, "bootfix-%s", id);
	for (int k = 2; k < 100 && crypt_status(NULL, name) != CRYPT_INACTIVE &&
	     crypt_status(NULL, name) != CRYPT_INVALID; k++)
		snprintf(name, len, "bootfix-%s-%d", id, k);
}

int bitlocker_open(const char *dev, const struct bitlocker_info *bi,
		   const struct bitlocker_key *k, int readonly, struct bitlocker_mapping *m,
		   struct bitlocker_result *res)
{
	size_t cand[BITLOCKER_MAX_PROTECTORS], n, of_kind;
	struct bitlocker_rp rp;
	struct bitlocker_rawkey fvek;
	char why[200], csnote[200] = "";
	const char *refuse;
	long idx;
	int rc;

	memset(m, 0, sizeof(*m));
	m->loopfd = -1;
	m->readonly = readonly;
	snprintf(m->device, sizeof(m->device), "%s", dev);
	if (bitlocker_converting(bi, why, sizeof(why))) {
		memset(res, 0, sizeof(*res));
		return err_set("cannot unlock %s: %s; nothing was changed: start Windows (or its "
			       "recovery environment) and let BitLocker finish, then try again",
			       dev, why);
	}
	if (prepare(dev, bi, k, &rp, cand, &n, &of_kind, res) < 0)
		return -1;
	refuse = cs_refuses(bi, k);
	if (!refuse && dm_available()) {
		const char *s;
		size_t len;
		int r;

		dm_pick_name(bi, m->dm_name, sizeof(m->dm_name));
		cs_secret(k, &rp, &s, &len);
		r = cs_activate(dev, m->dm_name, s, len, readonly ? CRYPT_ACTIVATE_READONLY : 0);
		if (r == 0) {
			snprintf(m->path, sizeof(m->path), "/dev/mapper/%s", m->dm_name);
			m->via = BITLOCKER_VIA_DM;
			live_track(&live, m, 1);
			attribute(bi, k, &rp, cand, n, of_kind, res);
			bitlocker_rp_clear(&rp);
			return 0;
		}
		m->dm_name[0] = '\0';
		if (r == -EPERM) {
			wrong(dev, bi, k, cand, n, res);
			bitlocker_rp_clear(&rp);
			return -1;
		}
		snprintf(csnote, sizeof(csnote), "%.150s", cs_msg[0] ? cs_msg : strerror(-r));
	} else {
		snprintf(csnote, sizeof(csnote), "%s", refuse ? refuse : "device-mapper is not available");
	}
	idx = bitlocker_derive_try(bi, k, &rp, cand, n, &fvek);
	bitlocker_rp_clear(&rp);
	if (idx < 0) {
		wrong(dev, bi, k, cand, n, res);
		return -1;
	}
	found(bi, idx, "bootfix", res);
	snprintf(res->note, sizeof(res->note), "libcryptsetup could not map it (%s): mapped "
		 "through dislocker", csnote);
	if (!bitlocker_dislocker_installed()) {
		explicit_bzero(&fvek, sizeof(fvek));
		return err_set("cannot unlock %s: the key is right but libcryptsetup could not map "
			       "it (%s) and dislocker-fuse is not installed (apt-get install "
			       "dislocker)", dev, csnote);
	}
	rc = bitlocker_dislocker_open(dev, &fvek, m);
	explicit_bzero(&fvek, sizeof(fvek));
	if (rc < 0)
		return -1;
	live_track(&live, m, 1);
	return 0;
}

int bitlocker_close(struct bitlocker_mapping *m)
{
	int rc = 0;

	if (m->via == BITLOCKER_VIA_DM && m->dm_name[0]) {
		struct crypt_device *cd = NULL;
		int r = -ENODEV;

		for (int tries = 0; tries < 50; tries++) {
			r = crypt_init_by_name(&cd, m->dm_name);
			if (r == 0) {
				r = crypt_deactivate(cd, m->dm_name);
				crypt_free(cd);
				cd = NULL;
			}
			if (r != -EBUSY)
				break;
			proc_sleep_ms(100);
		}
		if (r < 0 && r != -ENODEV)
			return err_set("cannot close %s: %s", m->path, strerror(-r));
		m->dm_name[0] = '\0';
	} else if (m->via == BITLOCKER_VIA_DISLOCKER) {
		disk_loop_detach(&m->loopfd);
		rc = bitlocker_dislocker_stop(m);
		if (rc < 0)
			return -1;
	}
	m->via = BITLOCKER_VIA_NONE;
	m->path[0] = '\0';
	live_track(&live, m, 0);
	sync();
	return rc;
}

void bitlocker_no_core_dumps(void)
{
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void bitlocker_adopt(struct bitlocker_mapping *m)
{
	live_adopt(&live, m);
}

void bitlocker_close_all(void)
{
	for (size_t i = 0; i < live.n; i++)
		if (live.slot[i])
			bitlocker_close(live.slot[i]);
}
