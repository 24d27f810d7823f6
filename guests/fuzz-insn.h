/* The instruction-stream fuzzer's parts (fuzz-insn.c). */
#ifndef FUZZ_INSN_H
#define FUZZ_INSN_H

#include "types.h"

/* Fixed places above the image, in RAM of the 16 MiB VM (fuzz.cfg): the
 * code buffer at 8 MiB, then from 12 MiB (FUZZ_RW) scratch data, the
 * sequence's stack and (64-bit) the IST stack. The random address space
 * (fuzz-insn-space.c) maps only [FUZZ_RW, 16 MiB) writable. */
#define FUZZ_CODE 0x800000ul
#define FUZZ_CODE_SIZE 0x1000ul
#define FUZZ_RW 0xc00000ul
#define FUZZ_SCRATCH (FUZZ_RW + 0x10000)
#define FUZZ_SCRATCH_SIZE 0x20000ul
#define FUZZ_STACK_TOP (FUZZ_SCRATCH + FUZZ_SCRATCH_SIZE + 0x10000) /* its stack follows the scratch */
#define FUZZ_IST_TOP (FUZZ_STACK_TOP + 0x10000)
#define FUZZ_RAM_END 0x1000000ul /* mem=16M */

#define TESTDEV 0xfeb00000ul
#define PC_TESTDEV_MEM 0xff000000ul
#define IOAPIC 0xfec00000ul
#define LAPIC 0xfee00000ul
#define UNBACKED 0x20000000ul /* above RAM, below the device hole: all-ones */

#ifndef RFLAGS_TF
#define RFLAGS_TF (1ul << 8)
#endif

enum { REG_AX, REG_CX, REG_DX, REG_BX, REG_SP, REG_BP, REG_SI, REG_DI };

/* What fuzz_run loads before jumping to `code` (offsets used by the asm). */
struct fuzz_ctx {
	unsigned long gpr[16]; /* RAX..R15 in encoding order; 32-bit uses 8 */
	unsigned long flags;
	unsigned long cr3; /* the address space of the run; 32-bit: 0 = paging off */
	unsigned long code;
};

/* fuzz-insn-run.asm: the vector that ended the run, or -1 at its tail. */
int fuzz_run(const struct fuzz_ctx *c);

/* fuzz-insn.c */
u64 rnd(void);
unsigned long interesting(void);
unsigned long scratch_pointer(void);

/* fuzz-insn-space.c: the IDT (fuzz_idtr: its pseudo-descriptor), the address spaces, the MSRs SYSCALL and
 * SYSENTER use; the random address space's CR3. */
void fuzz_setup(void);
extern struct __attribute__((packed)) fuzz_idtr {
	u16 limit;
	unsigned long base;
} fuzz_idtr;
unsigned long fuzz_random_cr3(void);
unsigned long fuzz_template_cr3(void);
/* The CR3 the guest runs with outside runs; and a copy of its tables. */
unsigned long fuzz_saved_cr3(void);
unsigned long fuzz_copy_cr3(void);

/* fuzz-insn-gen.c: write a run into the code buffer (and set c->code, c->cr3). */
void templates(struct fuzz_ctx *c);
void random_bytes(struct fuzz_ctx *c);
/* The end of the last run written. */
const u8 *fuzz_code_end(void);

#endif
