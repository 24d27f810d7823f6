/*
 * Following a guest's TAP report (`1..N`, `ok N - x`, `not ok N - x`,
 * `# diag`) line by line, so the runner can judge the VM: no `not ok`,
 * and the plan, if one was printed, met.
 */
#ifndef HV_TAP_H
#define HV_TAP_H

#include "types.h"

struct tap {
	bool has_plan;
	u32 planned;      /* N of the plan line `1..N` */
	u32 passed;       /* `ok` lines */
	u32 failed;       /* `not ok` lines */
};

/* Feed one console line (without the newline). */
void tap_line(struct tap *tap, const char *line, size_t len);

/* NULL when the report is clean, else why not ("2 tests failed", "plan 1..5 but 3 tests ran"). */
const char *tap_problem(const struct tap *tap, char *buf, size_t buflen);

#endif
