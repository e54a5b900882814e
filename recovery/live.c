/*
 * live.c - the table of things to undo before exit (see live.h).
 */
#include <string.h>

#include "live.h"

void live_track(struct live *l, void *p, int on)
{
	for (size_t i = 0; i < l->n; i++) {
		if (on && !l->slot[i]) {
			l->slot[i] = p;
			return;
		}
		if (!on && l->slot[i] == p) {
			l->slot[i] = NULL;
			return;
		}
	}
}

/* Whether store slot k holds a copy something still points to. */
static int store_used(const struct live *l, const void *copy)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->slot[i] == copy)
			return 1;
	return 0;
}

void live_adopt(struct live *l, void *p)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->slot[i] != p)
			continue;
		for (size_t k = 0; k < l->n; k++) {
			void *copy = (char *)l->store + k * l->size;

			if (copy == p)
				return;		/* already a copy of ours */
			if (!store_used(l, copy)) {
				memcpy(copy, p, l->size);
				l->slot[i] = copy;
				return;
			}
		}
		return;
	}
}
