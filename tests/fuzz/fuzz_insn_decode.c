/*
 * libFuzzer target: the MMIO instruction decoder (hv/emulate/insn_decode.c),
 * which parses bytes a guest controls. Input: byte 0 picks the mode (16, 32
 * or 64-bit code), the rest are the instruction bytes. Besides ASan/UBSan,
 * every instruction the decoder accepts is compared with Capstone's reading
 * of the same bytes (the reference decoder): length, access width, MOV
 * family, direction, and the memory operand's base, index, scale and
 * displacement. Any disagreement aborts with both readings.
 */
#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/emulate/insn_decode.h"

static csh cs[3];

static void die(const u8 *b, size_t n, int mode, const char *what, const cs_insn *ci)
{
	fprintf(stderr, "insn_decode disagrees with Capstone (%s) in %d-bit mode:", what, 16 << mode);
	for (size_t i = 0; i < n && i < 15; i++)
		fprintf(stderr, " %02x", b[i]);
	if (ci)
		fprintf(stderr, "\n  Capstone: %s %s (%u bytes)", ci->mnemonic, ci->op_str, ci->size);
	fprintf(stderr, "\n");
	abort();
}

/* Capstone's register as our number 0..15 (rAX..r15), -1 for none, -2 for RIP/EIP, -3 other. */
static int reg_num(x86_reg r)
{
	static const char *const names[16][4] = {
		{ "rax", "eax", "ax", "al" }, { "rcx", "ecx", "cx", "cl" }, { "rdx", "edx", "dx", "dl" },
		{ "rbx", "ebx", "bx", "bl" }, { "rsp", "esp", "sp", "spl" }, { "rbp", "ebp", "bp", "bpl" },
		{ "rsi", "esi", "si", "sil" }, { "rdi", "edi", "di", "dil" }, { "r8", "r8d", "r8w", "r8b" },
		{ "r9", "r9d", "r9w", "r9b" }, { "r10", "r10d", "r10w", "r10b" }, { "r11", "r11d", "r11w", "r11b" },
		{ "r12", "r12d", "r12w", "r12b" }, { "r13", "r13d", "r13w", "r13b" },
		{ "r14", "r14d", "r14w", "r14b" }, { "r15", "r15d", "r15w", "r15b" },
	};
	if (r == X86_REG_INVALID)
		return -1;
	if (r == X86_REG_RIP || r == X86_REG_EIP)
		return -2;
	const char *name = cs_reg_name(cs[2], r);
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 4; j++)
			if (name && strcmp(name, names[i][j]) == 0)
				return i;
	return -3;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const cs_mode modes[3] = { CS_MODE_16, CS_MODE_32, CS_MODE_64 };
	for (int m = 0; m < 3; m++) {
		if (cs_open(CS_ARCH_X86, modes[m], &cs[m]) != CS_ERR_OK)
			abort();
		cs_option(cs[m], CS_OPT_DETAIL, CS_OPT_ON);
	}
	return 0;
}

/* 66 before F2/F3: Capstone 4 then decodes MOVS/STOS as 32-bit, the CPU
 * (and the SDM: prefixes in any order) as 16-bit. Not a decoder finding. */
static bool osize_before_rep(const u8 *b, u8 len)
{
	bool osize = false;
	for (u8 i = 0; i < len; i++) {
		if (b[i] == 0x66)
			osize = true;
		else if ((b[i] == 0xf2 || b[i] == 0xf3) && osize)
			return true;
	}
	return false;
}

static void compare(const u8 *b, size_t n, int mode, const struct mmio_insn *in)
{
	cs_insn *ci = NULL;
	if (cs_disasm(cs[mode], b, n, 0x1000, 1, &ci) != 1)
		die(b, n, mode, "accepted what Capstone cannot decode", NULL);
	const cs_x86 *x = &ci->detail->x86;
	const cs_x86_op *mem = NULL, *other = NULL;
	for (int i = 0; i < x->op_count; i++) {
		if (x->operands[i].type == X86_OP_MEM && !mem)
			mem = &x->operands[i];
		else
			other = &x->operands[i];
	}
	if (ci->size != in->len)
		die(b, n, mode, "length", ci);
	/* The mnemonic Capstone gives each operation (MOVZX/MOVSX and MOVABS are MOVs). */
	static const char *const names[] = {
		[INSN_OP_MOV] = "mov", [INSN_OP_XCHG] = "xchg", [INSN_OP_CMPXCHG] = "cmpxchg",
		[INSN_OP_STOS] = "stos", [INSN_OP_MOVS] = "movs",
	};
	const char *want = names[in->op], *mnemonic = strrchr(ci->mnemonic, ' '); /* past "rep ", "lock " */
	mnemonic = mnemonic ? mnemonic + 1 : ci->mnemonic;
	if (strncmp(mnemonic, want, strlen(want)) != 0)
		die(b, n, mode, "not the operation decoded", ci);
	if (!mem)
		die(b, n, mode, "no memory operand", ci);
	bool string = in->op == INSN_OP_STOS || in->op == INSN_OP_MOVS;
	if (mem->size != in->size && !(string && osize_before_rep(b, in->len)))
		die(b, n, mode, "access width", ci);
	if (string) {
		cs_free(ci, 1); /* the address is rDI / rSI, not a ModRM form */
		return;
	}
	if (in->op == INSN_OP_MOV && (x->operands[0].type == X86_OP_MEM) != in->write)
		die(b, n, mode, "direction", ci);
	if (other && other->type == X86_OP_IMM && !in->has_imm)
		die(b, n, mode, "immediate", ci);
	int base = reg_num(mem->mem.base), index = reg_num(mem->mem.index);
	bool rip = base == -2;
	if (rip != in->rip_relative || (!rip && base != in->base) || index != in->index ||
	    (index >= 0 && (u8)mem->mem.scale != in->scale))
		die(b, n, mode, "address registers", ci);
	u64 mask = in->addr_size == 8 ? ~0ull : (1ull << (8 * in->addr_size)) - 1;
	if (((u64)mem->mem.disp & mask) != (in->disp & mask))
		die(b, n, mode, "displacement", ci);
	cs_free(ci, 1);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct mmio_insn in;
	struct string_io_insn sio;
	char err[128];

	if (size < 1)
		return 0;
	int mode = data[0] % 3;
	const u8 *b = data + 1;
	size_t n = size - 1;
	insn_decode_string_io(b, n, (enum insn_mode)mode, &sio, err, sizeof(err));
	if (insn_decode(b, n, (enum insn_mode)mode, &in, err, sizeof(err)) != INSN_OK)
		return 0;
	if (in.len == 0 || in.len > n || in.len > INSN_MAX_LEN || in.reg > 15)
		die(b, n, mode, "impossible result", NULL);
	compare(b, n, mode, &in);
	return 0;
}
