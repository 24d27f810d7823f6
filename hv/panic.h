/* panic(): the hypervisor cannot go on. Prints the reason and ends the run. */
#ifndef HV_PANIC_H
#define HV_PANIC_H

void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
