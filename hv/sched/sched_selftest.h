/* test_sched=on: a self-test of kernel threads and the scheduler on every
 * online CPU, printed as TAP and summed up as "N passed, N failed". */
#ifndef HV_SCHED_SELFTEST_H
#define HV_SCHED_SELFTEST_H

/* Runs in thread "main"; returns the exit status (HV_EXIT_OK when all passed). */
int sched_selftest(void);

#endif
