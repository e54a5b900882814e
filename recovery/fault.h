/*
 * fault.h - fault injection for the tests: a crash at a named point.
 *
 * BOOTFIX_TEST_KILL="POINT:N[:SIGNAL]" makes the N-th pass through
 * fault_point(POINT) send SIGNAL (a number or KILL, TERM, INT, STOP;
 * default KILL) to this process.  The tests use it to stop a fix at an exact step
 * (a kill -9 between a file's manifest entry and its move, say) instead of
 * racing a timer.  Unset, fault_point() does nothing.
 */
#ifndef BOOTFIX_FAULT_H
#define BOOTFIX_FAULT_H

/* Points: "looked" (a volume is mounted and about to be read), "begun" (the
   begun record is written), "intent" (a file's
   manifest entry is synced, before its move), "moved" (after the rename,
   before the entry is confirmed), "confirmed", "copied" (a stick copy). */
void fault_point(const char *point);

#endif
