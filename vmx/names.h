/* Names for VMX numbers that end up in error messages. */
#ifndef VMX_NAMES_H
#define VMX_NAMES_H

#include "types.h"

/* The SDM's wording for a VM-instruction error number (VMCS field 0x4400). */
const char *vmx_insn_error_name(u32 error);
/* The name of a basic exit reason (bits 15:0 of the exit-reason field). */
const char *vmx_exit_reason_name(u32 reason);

#endif
