/*
 * A guest flooding the operator's console: one HC_CONSOLE_WRITE of 4096
 * newlines, then COM1 with escape sequences (clear screen, set the title,
 * an 8-bit CSI). The hypervisor prints at most console_rate lines a second
 * of each VM (the rest are counted and announced, never printed) and shows
 * no byte that is not printable ASCII; the TAP lines after the flood still
 * count. tools/check-attacks.sh also checks that no escape byte reached
 * the log.
 */
#include "guest.h"

static char flood[HC_CONSOLE_MAX];

void test_main(void)
{
	struct hc_stats before, after;

	plan(3);
	if (!hcall_available()) {
		fail_without_hypercalls(3);
		return;
	}
	read_stats(&before);
	memset(flood, '\n', sizeof(flood));
	long rc = hcall(HC_CONSOLE_WRITE, (unsigned long)flood, sizeof(flood), 0, 0, NULL);
	print("escapes: \x1b[2J\x1b]0;owned\x07 \x9b" "31m\n");
	read_stats(&after);
	ok(rc == HC_OK, "hv: a console write of %u newlines is accepted (rc %ld)", HC_CONSOLE_MAX, rc);
	ok(after.size >= sizeof(after) && after.console_dropped - before.console_dropped > 0,
	   "hv: the lines over the rate limit are dropped and counted (%lu)",
	   (unsigned long)(after.console_dropped - before.console_dropped));
	ok(after.console_filtered - before.console_filtered >= 4,
	   "hv: escape and control bytes are filtered and counted (%lu)",
	   (unsigned long)(after.console_filtered - before.console_filtered));
}
