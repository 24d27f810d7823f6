/*
 * TAP on COM1: plan(N) first, then one ok()/skip() per test, then tap_finish()
 * (the runtime calls it when test_main returns). Names of checks that only a
 * hypervisor of this project can pass (CPUID signature, hypercalls, test
 * device) start with "hv: ", so a run on plain QEMU can tell them apart.
 */
#ifndef GUEST_TAP_H
#define GUEST_TAP_H

#include "types.h"

void plan(int tests);
/* Prints "ok N - name" or "not ok N - name"; returns cond. */
bool ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like ok(got == want), with a diagnostic showing both on failure. */
bool ok_eq(u64 got, u64 want, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void skip(const char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reports a failure that ends the guest now (e.g. an unexpected exception). */
__attribute__((noreturn)) void bail_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 0 when every test so far passed and the plan was met, else 1. */
u32 tap_status(void);
/* Exits with 0 when every test passed and the plan was met, else 1. */
__attribute__((noreturn)) void tap_finish(void);

/* Ends the VM: status to the debug-exit port 0xF4, then halt forever. */
__attribute__((noreturn)) void guest_exit(u32 status);

#endif
