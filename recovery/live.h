/*
 * live.h - what a module must undo before bootfix exits (ntfs-3g mounts,
 * BitLocker mappings): a fixed table of pointers to the callers' structs,
 * so that an exit or error path can undo whatever is still there.  When an
 * undo fails and the caller's struct is about to go (a local), the caller
 * hands it over with live_adopt(): the table keeps a copy of its own.
 */
#ifndef BOOTFIX_LIVE_H
#define BOOTFIX_LIVE_H

#include <stddef.h>

struct live {
	void **slot;		/* n pointers: NULL, a caller's struct, or a copy in store */
	void *store;		/* n copies of size bytes, for live_adopt() */
	size_t n, size;
};

/* A static table called name of up to count live things of type type. */
#define LIVE_TABLE(name, type, count)                                          \
	static void *name##_slot[count];                                       \
	static type name##_store[count];                                       \
	static struct live name = { name##_slot, name##_store, count, sizeof(type) }

/* Start (on) or stop tracking p; a full table leaves p untracked. */
void live_track(struct live *l, void *p, int on);

/* p is tracked and its storage is about to go: track a copy of it instead. */
void live_adopt(struct live *l, void *p);

#endif
