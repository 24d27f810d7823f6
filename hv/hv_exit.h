/* Ending a run: how the hypervisor hands its status to whoever started it. */
#ifndef HV_EXIT_H
#define HV_EXIT_H

/* Exit statuses shared by every part of the hypervisor and read by tools/. */
#define HV_EXIT_OK 0
#define HV_EXIT_FAILED 1   /* a test or VM did not meet its expectation */
#define HV_EXIT_USAGE 2    /* bad command line or configuration */
#define HV_EXIT_PANIC 3    /* the hypervisor itself failed (panic, CPU exception) */

/* on_exit= key. AUTO picks QEMU or Bochs when detected, else HALT. */
enum exit_method { EXIT_AUTO, EXIT_QEMU, EXIT_BOCHS, EXIT_HALT, EXIT_RESET };

void hv_exit_set_method(enum exit_method m);
void hv_exit(int status) __attribute__((noreturn));

#endif
