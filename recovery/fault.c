/*
 * fault.c - the tests' crash points (see fault.h).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"

void fault_point(const char *point)
{
	static long passes;
	const char *spec = getenv("BOOTFIX_TEST_KILL");
	char name[32], sig[16] = "KILL";
	long n;
	int signo;

	if (!spec || sscanf(spec, "%31[^:]:%ld:%15s", name, &n, sig) < 2 || strcmp(name, point))
		return;
	if (++passes != n)
		return;
	if (!strcmp(sig, "TERM"))
		signo = SIGTERM;
	else if (!strcmp(sig, "INT"))
		signo = SIGINT;
	else if (!strcmp(sig, "KILL"))
		signo = SIGKILL;
	else if (!strcmp(sig, "STOP"))
		signo = SIGSTOP;	/* the tests look at a bootfix frozen mid-work */
	else
		signo = atoi(sig);
	kill(getpid(), signo);
}
