/*
 * Decoding the instruction behind an MMIO exit. A guest talks to a device
 * with MOVs, and test kernels also with string and atomic instructions;
 * this decoder knows exactly these forms and rejects all else with a
 * message naming the opcode:
 *   88/89 store reg   8A/8B load reg   C6/C7 store immediate
 *   A0-A3 moffs load/store of AL/eAX   0F B6/B7 MOVZX   0F BE/BF MOVSX
 *   86/87 XCHG r/m, reg   0F B0/B1 CMPXCHG r/m, reg (LOCK allowed on both)
 *   AA/AB STOS   A4/A5 MOVS (REP allowed on both)
 * with prefixes 66, 67, segment overrides and (64-bit code) REX. It also
 * decodes the prefixes of INS/OUTS (insn_decode_string_io) for hv/devices/io_string.c.
 * The memory operand's effective address is decoded too: the exit gives
 * the guest-physical address, and the emulation checks that the decoded
 * instruction really accesses it (another vCPU may have rewritten the code
 * or the page tables between the exit and the fetch).
 */
#ifndef HV_INSN_DECODE_H
#define HV_INSN_DECODE_H

#include "types.h"

#define INSN_MAX_LEN 15

/* The code segment's mode: sets the default operand and address sizes. */
enum insn_mode {
	INSN_MODE_16, /* real mode or a 16-bit code segment (CS.D = 0) */
	INSN_MODE_32, /* 32-bit code segment (CS.D = 1), also compatibility mode */
	INSN_MODE_64, /* 64-bit code segment (CS.L = 1) */
};

enum insn_extend { INSN_EXTEND_NONE, INSN_EXTEND_ZERO, INSN_EXTEND_SIGN };

enum insn_seg { INSN_SEG_ES, INSN_SEG_CS, INSN_SEG_SS, INSN_SEG_DS, INSN_SEG_FS, INSN_SEG_GS };

enum insn_error {
	INSN_OK = 0,
	INSN_ERR_TRUNCATED = -1,   /* fewer bytes than the instruction needs */
	INSN_ERR_TOO_LONG = -2,    /* more than 15 bytes */
	INSN_ERR_PREFIX = -3,      /* LOCK or REP where the form does not take it */
	INSN_ERR_OPCODE = -4,      /* not one of the forms above */
	INSN_ERR_NOT_MEMORY = -5,  /* a MOV between registers: cannot cause MMIO */
};

/* What the instruction does with the memory operand. */
enum insn_op {
	INSN_OP_MOV,        /* load or store (`write`) */
	INSN_OP_XCHG,       /* load, store the register, the register gets the old value */
	INSN_OP_CMPXCHG,    /* load, compare with rAX, store the register if equal, else rAX gets it */
	INSN_OP_STOS,       /* store rAX at ES:rDI, advance rDI */
	INSN_OP_MOVS,       /* copy [seg:rSI] to ES:rDI, advance both */
};

struct mmio_insn {
	u8 len;             /* instruction length in bytes */
	enum insn_op op;
	bool rep;           /* STOS/MOVS with REP (F3): rCX counts the elements */
	u8 size;            /* bytes accessed in memory: 1, 2, 4 or 8 */
	bool write;         /* true: store to the device; false: load from it */
	bool has_imm;       /* write of imm (C6/C7) rather than of a register */
	u8 reg;             /* register operand: 0 = rAX ... 15 = r15 */
	bool reg_high8;     /* the register is AH, CH, DH or BH (bits 8-15 of reg) */
	u64 imm;            /* C6/C7: the immediate, sign-extended to 64 bits */
	enum insn_extend extend; /* loads: how the value widens into the register */
	u8 dest_size;       /* loads: bytes of the register written (1, 2, 4, 8) */
	u8 addr_size;       /* 2, 4 or 8 */
	enum insn_seg seg;  /* segment of the memory operand (override or DS/SS); MOVS: of its source */
	/* The memory operand's effective address: base + index * scale + disp. */
	s8 base, index;     /* register numbers (0 = rAX ... 15 = r15), -1: none */
	u8 scale;           /* 1, 2, 4 or 8 */
	bool rip_relative;  /* 64-bit code, ModRM mod 0 rm 5: disp counts from the next RIP */
	u64 disp;           /* sign-extended; moffs forms: the whole address */
};

/* The operand's effective address (before the segment base), truncated to
 * the address size; rip is the instruction's own address. */
u64 insn_effective_address(const struct mmio_insn *in, const u64 gprs[16], u64 rip);

/*
 * Decodes bytes[0..n) (n may exceed the instruction; at most 15 are read).
 * Returns INSN_OK, or an insn_error with a message in err, e.g.
 * "unsupported opcode 0x0f 0xa3 (not a MOV form an MMIO access can use)".
 */
int insn_decode(const u8 *bytes, size_t n, enum insn_mode mode, struct mmio_insn *out,
		char *err, size_t errlen);

/* INS/OUTS (6C-6F) with their prefixes: what emulating a string port access needs. */
struct string_io_insn {
	u8 len;            /* instruction length in bytes */
	bool rep;          /* a REP (F3) or REPNE (F2) prefix: RCX counts the elements */
	u8 addr_size;      /* of RSI/RDI/RCX: 2, 4 or 8 */
	enum insn_seg seg; /* OUTS's source segment (DS or an override); INS always writes ES */
};

/* Decodes the INS or OUTS at bytes[0..n); INSN_OK or an insn_error with a message in err. */
int insn_decode_string_io(const u8 *bytes, size_t n, enum insn_mode mode, struct string_io_insn *out,
			  char *err, size_t errlen);

/* The prefix bytes (legacy and REX) before the opcode at bytes[0..n); 0 when no opcode follows. */
u32 insn_prefix_length(const u8 *bytes, size_t n, enum insn_mode mode);

/* For a write: the value to store, from the register file (rAX..r15) or the immediate. */
u64 insn_store_value(const struct mmio_insn *in, const u64 gprs[16]);

/*
 * For a load: the register's new value, given its old value and the data
 * read from the device (low `size` bytes used). Writing 4 bytes of a
 * register clears its upper half, as the CPU does in 64-bit mode.
 */
u64 insn_load_result(const struct mmio_insn *in, u64 old_reg, u64 data);

#endif
