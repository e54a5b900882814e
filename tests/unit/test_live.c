/* test_live.c - the table of mounts and mappings to undo (recovery/live.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "live.h"

struct thing {
	char name[16];
	int open;
};

LIVE_TABLE(things, struct thing, 2);

static size_t tracked(void)
{
	size_t n = 0;

	for (size_t i = 0; i < things.n; i++)
		n += things.slot[i] != NULL;
	return n;
}

static void test_track_untrack(void **state)
{
	struct thing a = { "a", 1 }, b = { "b", 1 }, c = { "c", 1 };

	(void)state;
	live_track(&things, &a, 1);
	live_track(&things, &b, 1);
	live_track(&things, &c, 1);	/* full: not tracked, no overflow */
	assert_int_equal(tracked(), 2);
	live_track(&things, &a, 0);
	assert_int_equal(tracked(), 1);
	assert_ptr_equal(things.slot[1], &b);
	live_track(&things, &b, 0);
	assert_int_equal(tracked(), 0);
}

static void test_adopt_outlives_the_owner(void **state)
{
	struct thing *copy;

	(void)state;
	{
		struct thing local = { "mnt-1", 1 };

		live_track(&things, &local, 1);
		live_adopt(&things, &local);
		memset(&local, 0x55, sizeof(local));	/* the owner's storage is reused */
	}
	assert_int_equal(tracked(), 1);
	copy = things.slot[0];
	assert_string_equal(copy->name, "mnt-1");
	assert_int_equal(copy->open, 1);
	/* a second owner at another address is tracked beside it, and adopting
	   an adopted copy changes nothing */
	{
		struct thing other = { "mnt-2", 1 };

		live_track(&things, &other, 1);
		live_adopt(&things, copy);
		assert_ptr_equal(things.slot[0], copy);
		live_adopt(&things, &other);
		assert_string_equal(((struct thing *)things.slot[1])->name, "mnt-2");
		assert_ptr_not_equal(things.slot[1], copy);
	}
	/* undone at last: both slots free again */
	live_track(&things, things.slot[0], 0);
	live_track(&things, things.slot[1], 0);
	assert_int_equal(tracked(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_track_untrack),
		cmocka_unit_test(test_adopt_outlives_the_owner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
