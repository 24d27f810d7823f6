/* The MMIO instruction decoder: every supported form and width, and the rejections. */
#include "tests/unit/unit.h"
#include <stdio.h>
#include <string.h>

#include "hv/emulate/insn_decode.h"

#define M16 INSN_MODE_16
#define M32 INSN_MODE_32
#define M64 INSN_MODE_64
#define RD false
#define WR true
#define NONE INSN_EXTEND_NONE
#define ZX INSN_EXTEND_ZERO
#define SX INSN_EXTEND_SIGN
#define DS INSN_SEG_DS
#define SS INSN_SEG_SS

/* Like assert_true, but names the table row that failed. */
#define CHECK(what, cond) \
	do { \
		if (!(cond)) \
			fail_msg("%s: %s", what, #cond); \
	} while (0)

struct good {
	const char *what;
	enum insn_mode mode;
	u8 bytes[16];
	u8 len, size;
	bool write;
	u8 reg;
	bool high8;
	enum insn_extend extend;
	u8 dest_size;
	enum insn_seg seg;
};

static const struct good register_forms[] = {
	{ "mov [rax],cl", M64, { 0x88, 0x08 }, 2, 1, WR, 1, false, NONE, 1, DS },
	{ "mov [rax],ah", M64, { 0x88, 0x20 }, 2, 1, WR, 0, true, NONE, 1, DS },
	{ "mov [rax],bh", M32, { 0x88, 0x38 }, 2, 1, WR, 3, true, NONE, 1, DS },
	{ "mov [rax],spl", M64, { 0x40, 0x88, 0x20 }, 3, 1, WR, 4, false, NONE, 1, DS },
	{ "mov [rax],dil", M64, { 0x40, 0x88, 0x38 }, 3, 1, WR, 7, false, NONE, 1, DS },
	{ "mov [rax],r8b", M64, { 0x44, 0x88, 0x00 }, 3, 1, WR, 8, false, NONE, 1, DS },
	{ "mov [rax],ecx", M64, { 0x89, 0x08 }, 2, 4, WR, 1, false, NONE, 4, DS },
	{ "mov [rax],rcx", M64, { 0x48, 0x89, 0x08 }, 3, 8, WR, 1, false, NONE, 8, DS },
	{ "mov [rax],cx", M64, { 0x66, 0x89, 0x08 }, 3, 2, WR, 1, false, NONE, 2, DS },
	{ "mov [rax],r11", M64, { 0x4C, 0x89, 0x18 }, 3, 8, WR, 11, false, NONE, 8, DS },
	{ "mov [r8],eax", M64, { 0x41, 0x89, 0x00 }, 3, 4, WR, 0, false, NONE, 4, DS },
	{ "rex.w then 66: 66 wins", M64, { 0x48, 0x66, 0x89, 0x08 }, 4, 2, WR, 1, false, NONE, 2, DS },
	{ "66 with rex.w: rex.w wins", M64, { 0x66, 0x48, 0x89, 0x08 }, 4, 8, WR, 1, false, NONE, 8, DS },
	{ "mov al,[rip+d32]", M64, { 0x8A, 0x05, 1, 2, 3, 4 }, 6, 1, RD, 0, false, NONE, 1, DS },
	{ "mov eax,[rsp+8]", M64, { 0x8B, 0x44, 0x24, 0x08 }, 4, 4, RD, 0, false, NONE, 4, SS },
	{ "mov eax,[rsp+d32]", M64, { 0x8B, 0x84, 0x24, 0, 1, 0, 0 }, 7, 4, RD, 0, false, NONE, 4, SS },
	{ "mov eax,[abs32] via sib", M64, { 0x8B, 0x04, 0x25, 0, 0, 0xE0, 0xFE }, 7, 4, RD, 0, false, NONE, 4, DS },
	{ "mov eax,[rbp+0]", M64, { 0x8B, 0x45, 0x00 }, 3, 4, RD, 0, false, NONE, 4, SS },
	{ "mov eax,[r13+0]", M64, { 0x41, 0x8B, 0x45, 0x00 }, 4, 4, RD, 0, false, NONE, 4, DS },
	{ "mov r15,[rbx+rsi*8+d8]", M64, { 0x4C, 0x8B, 0x7C, 0xF3, 0x10 }, 5, 8, RD, 15, false, NONE, 8, DS },
	{ "mov dx,[rax]", M64, { 0x66, 0x8B, 0x10 }, 3, 2, RD, 2, false, NONE, 2, DS },
	{ "mov ch,[rax]", M64, { 0x8A, 0x28 }, 2, 1, RD, 1, true, NONE, 1, DS },
	{ "mov eax,fs:[rax]", M64, { 0x64, 0x8B, 0x00 }, 3, 4, RD, 0, false, NONE, 4, INSN_SEG_FS },
	{ "mov [abs32],ecx", M32, { 0x89, 0x0D, 0, 0, 0xE0, 0xFE }, 6, 4, WR, 1, false, NONE, 4, DS },
	{ "mov [ebp-4],eax", M32, { 0x89, 0x45, 0xFC }, 3, 4, WR, 0, false, NONE, 4, SS },
	{ "mov eax,[ebx+d32]", M32, { 0x8B, 0x83, 0, 3, 0, 0 }, 6, 4, RD, 0, false, NONE, 4, DS },
	{ "mov ax,[bx]", M16, { 0x8B, 0x07 }, 2, 2, RD, 0, false, NONE, 2, DS },
	{ "mov ax,[bp+2]", M16, { 0x8B, 0x46, 0x02 }, 3, 2, RD, 0, false, NONE, 2, SS },
	{ "mov si,[abs16]", M16, { 0x8B, 0x36, 0x34, 0x12 }, 4, 2, RD, 6, false, NONE, 2, DS },
	{ "mov [bx+si+d16],dl", M16, { 0x88, 0x90, 0x34, 0x12 }, 4, 1, WR, 2, false, NONE, 1, DS },
	{ "mov eax,[bx] (66)", M16, { 0x66, 0x8B, 0x07 }, 3, 4, RD, 0, false, NONE, 4, DS },
	{ "mov ax,[esp] (67)", M16, { 0x67, 0x8B, 0x04, 0x24 }, 4, 2, RD, 0, false, NONE, 2, SS },
	{ "mov es:[bx],al", M16, { 0x26, 0x88, 0x07 }, 3, 1, WR, 0, false, NONE, 1, INSN_SEG_ES },
	{ "mov ax,[si] (67 in 32)", M32, { 0x67, 0x66, 0x8B, 0x04 }, 4, 2, RD, 0, false, NONE, 2, DS },
	{ "movzx eax,byte [rax]", M64, { 0x0F, 0xB6, 0x00 }, 3, 1, RD, 0, false, ZX, 4, DS },
	{ "movzx cx,byte [rax]", M64, { 0x66, 0x0F, 0xB6, 0x08 }, 4, 1, RD, 1, false, ZX, 2, DS },
	{ "movzx rsp,byte [rax]", M64, { 0x48, 0x0F, 0xB6, 0x20 }, 4, 1, RD, 4, false, ZX, 8, DS },
	{ "movzx r9,word [rax]", M64, { 0x4C, 0x0F, 0xB7, 0x08 }, 4, 2, RD, 9, false, ZX, 8, DS },
	{ "movsx eax,byte [rax]", M64, { 0x0F, 0xBE, 0x00 }, 3, 1, RD, 0, false, SX, 4, DS },
	{ "movsx rdx,word [rax]", M64, { 0x48, 0x0F, 0xBF, 0x10 }, 4, 2, RD, 2, false, SX, 8, DS },
	{ "movsx eax,word [bx] (16)", M16, { 0x66, 0x0F, 0xBF, 0x07 }, 4, 2, RD, 0, false, SX, 4, DS },
	{ "13 prefixes: exactly 15 bytes", M32, { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
		0x66, 0x66, 0x66, 0x66, 0x89, 0x08 }, 15, 2, WR, 1, false, NONE, 2, DS },
};

static const struct good moffs_forms[] = {
	{ "mov al,[moffs64]", M64, { 0xA0, 1, 2, 3, 4, 5, 6, 7, 8 }, 9, 1, RD, 0, false, NONE, 1, DS },
	{ "mov rax,[moffs64]", M64, { 0x48, 0xA1, 1, 2, 3, 4, 5, 6, 7, 8 }, 10, 8, RD, 0, false, NONE, 8, DS },
	{ "mov [moffs32],eax (67)", M64, { 0x67, 0xA3, 1, 2, 3, 4 }, 6, 4, WR, 0, false, NONE, 4, DS },
	{ "mov eax,[moffs32]", M32, { 0xA1, 0, 0, 0xE0, 0xFE }, 5, 4, RD, 0, false, NONE, 4, DS },
	{ "mov [moffs32],al", M32, { 0xA2, 0, 0, 0xE0, 0xFE }, 5, 1, WR, 0, false, NONE, 1, DS },
	{ "mov [moffs16],ax", M16, { 0xA3, 0x00, 0x10 }, 3, 2, WR, 0, false, NONE, 2, DS },
	{ "mov gs:[moffs16],eax", M16, { 0x65, 0x66, 0xA3, 0x00, 0x10 }, 5, 4, WR, 0, false, NONE, 4,
	  INSN_SEG_GS },
};

static void check_good(const struct good *g)
{
	struct mmio_insn in;
	char err[128] = "";
	int r = insn_decode(g->bytes, sizeof(g->bytes), g->mode, &in, err, sizeof(err));
	CHECK(g->what, r == INSN_OK && err[0] == '\0');
	CHECK(g->what, in.len == g->len);
	CHECK(g->what, in.size == g->size);
	CHECK(g->what, in.write == g->write);
	CHECK(g->what, !in.has_imm);
	CHECK(g->what, in.reg == g->reg);
	CHECK(g->what, in.reg_high8 == g->high8);
	CHECK(g->what, in.extend == g->extend);
	CHECK(g->what, in.dest_size == g->dest_size);
	CHECK(g->what, in.seg == g->seg);
	/* exactly len bytes are needed: one fewer is truncated */
	CHECK(g->what, insn_decode(g->bytes, g->len, g->mode, &in, err, sizeof(err)) == INSN_OK);
	CHECK(g->what, insn_decode(g->bytes, g->len - 1u, g->mode, &in, err, sizeof(err)) ==
			       INSN_ERR_TRUNCATED);
}

static void test_register_forms(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(register_forms); i++)
		check_good(&register_forms[i]);
}

static void test_moffs_forms(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(moffs_forms); i++)
		check_good(&moffs_forms[i]);
}

struct imm_form {
	enum insn_mode mode;
	u8 bytes[16];
	u8 len, size;
	u64 imm;
};

static void test_store_immediate_forms(void **state)
{
	const struct imm_form forms[] = {
		{ M64, { 0xC6, 0x00, 0x5A }, 3, 1, 0x5A },
		{ M64, { 0xC6, 0x00, 0x80 }, 3, 1, 0xFFFFFFFFFFFFFF80ull },
		{ M64, { 0x66, 0xC7, 0x00, 0x34, 0x12 }, 5, 2, 0x1234 },
		{ M64, { 0xC7, 0x00, 0x78, 0x56, 0x34, 0x12 }, 6, 4, 0x12345678 },
		{ M64, { 0x48, 0xC7, 0x00, 0xFF, 0xFF, 0xFF, 0xFF }, 7, 8, ~0ull },
		{ M64, { 0x48, 0xC7, 0x00, 0x00, 0x00, 0x00, 0x80 }, 7, 8, 0xFFFFFFFF80000000ull },
		{ M64, { 0xC7, 0x80, 0x00, 0x03, 0, 0, 0x11, 0x22, 0x33, 0x44 }, 10, 4, 0x44332211 },
		{ M64, { 0xC7, 0x44, 0x24, 0x08, 1, 0, 0, 0 }, 8, 4, 1 },
		{ M16, { 0xC7, 0x06, 0x00, 0x10, 0xCD, 0xAB }, 6, 2, 0xFFFFFFFFFFFFABCDull },
		{ M16, { 0x66, 0xC7, 0x07, 1, 2, 3, 4 }, 7, 4, 0x04030201 },
		{ M32, { 0xC6, 0x05, 0, 0, 0xE0, 0xFE, 7 }, 7, 1, 7 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		struct mmio_insn in;
		char err[128];
		const struct imm_form *f = &forms[i];
		char what[32];
		snprintf(what, sizeof(what), "immediate form %zu", i);
		CHECK(what, insn_decode(f->bytes, 16, f->mode, &in, err, sizeof(err)) == INSN_OK);
		CHECK(what, in.write && in.has_imm);
		CHECK(what, in.len == f->len);
		CHECK(what, in.size == f->size);
		CHECK(what, in.imm == f->imm);
		CHECK(what, insn_decode(f->bytes, f->len - 1u, f->mode, &in, err, sizeof(err)) ==
				    INSN_ERR_TRUNCATED);
	}
}

struct bad {
	enum insn_mode mode;
	u8 bytes[16];
	size_t n;
	int error;
	const char *message;
};

static void test_rejections_name_the_opcode(void **state)
{
	const struct bad bad[] = {
		{ M64, { 0x8B, 0xC0 }, 2, INSN_ERR_NOT_MEMORY,
		  "instruction 0x8b 0xc0 moves between registers, it cannot access MMIO" },
		{ M64, { 0xC7, 0xC0, 1, 0, 0, 0 }, 6, INSN_ERR_NOT_MEMORY,
		  "instruction 0xc7 0xc0 moves between registers, it cannot access MMIO" },
		{ M64, { 0xF0, 0x89, 0x08 }, 3, INSN_ERR_PREFIX, "unsupported prefix 0xf0" },
		{ M64, { 0xF3, 0x89, 0x08 }, 3, INSN_ERR_PREFIX, "unsupported prefix 0xf3" },
		{ M64, { 0xF0, 0xA4 }, 2, INSN_ERR_PREFIX, "unsupported prefix 0xf0" },
		{ M64, { 0xA6 }, 1, INSN_ERR_OPCODE,
		  "unsupported opcode 0xa6 (not a form an MMIO access can use)" },
		{ M64, { 0x0F, 0xA3, 0x00 }, 3, INSN_ERR_OPCODE,
		  "unsupported opcode 0x0f 0xa3 (not a form an MMIO access can use)" },
		{ M64, { 0xFF, 0x00 }, 2, INSN_ERR_OPCODE,
		  "unsupported opcode 0xff (not a form an MMIO access can use)" },
		{ M64, { 0xC6, 0xF8, 0x00 }, 3, INSN_ERR_OPCODE, /* XABORT */
		  "unsupported opcode 0xc6 0xf8 (not a form an MMIO access can use)" },
		{ M64, { 0xC7, 0x08, 0, 0, 0, 0 }, 6, INSN_ERR_OPCODE, /* /1 */
		  "unsupported opcode 0xc7 0x08 (not a form an MMIO access can use)" },
		{ M32, { 0x40, 0x89, 0x08 }, 3, INSN_ERR_OPCODE, /* INC EAX outside 64-bit code */
		  "unsupported opcode 0x40 (not a form an MMIO access can use)" },
		{ M64, { 0x8B }, 1, INSN_ERR_TRUNCATED, "instruction truncated: 1 bytes are not enough" },
		{ M64, { 0x8B, 0x04 }, 2, INSN_ERR_TRUNCATED, "instruction truncated: 2 bytes are not enough" },
		{ M64, { 0x0F }, 1, INSN_ERR_TRUNCATED, "instruction truncated: 1 bytes are not enough" },
		{ M64, { 0x66, 0x48 }, 2, INSN_ERR_TRUNCATED, "instruction truncated: 2 bytes are not enough" },
		{ M64, { 0 }, 0, INSN_ERR_TRUNCATED, "instruction truncated: 0 bytes are not enough" },
		{ M32, { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
			 0x66, 0x89, 0x08 }, 16, INSN_ERR_TOO_LONG, "instruction longer than 15 bytes" },
		{ M32, { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
			 0x66, 0x66, 0x66 }, 16, INSN_ERR_TOO_LONG, "instruction longer than 15 bytes" },
		{ M64, { 0xC7, 0x80, 0x00, 0x03, 0, 0, 0x11, 0x22, 0x33, 0x44 }, 9, INSN_ERR_TRUNCATED,
		  "instruction truncated: 9 bytes are not enough" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct mmio_insn in;
		char err[128];
		int r = insn_decode(bad[i].bytes, bad[i].n, bad[i].mode, &in, err, sizeof(err));
		CHECK(bad[i].message, r == bad[i].error);
		assert_string_equal(err, bad[i].message);
	}
}

/* XCHG, CMPXCHG (LOCK allowed), STOS and MOVS (REP allowed) against MMIO. */
static void test_string_and_atomic(void **state)
{
	const struct { const char *what; u8 bytes[6]; u8 len; enum insn_op op; u8 size, reg; bool rep;
		       enum insn_seg seg; } good[] = {
		{ "xchg [rbx], eax", { 0x87, 0x03 }, 2, INSN_OP_XCHG, 4, 0, false, INSN_SEG_DS },
		{ "lock cmpxchg [rbx], rcx", { 0xF0, 0x48, 0x0F, 0xB1, 0x0B }, 5, INSN_OP_CMPXCHG, 8, 1, false, INSN_SEG_DS },
		{ "cmpxchg [rbx], dl", { 0x0F, 0xB0, 0x13 }, 3, INSN_OP_CMPXCHG, 1, 2, false, INSN_SEG_DS },
		{ "rep stosd", { 0xF3, 0xAB }, 2, INSN_OP_STOS, 4, 0, true, INSN_SEG_DS },
		{ "rep movsq", { 0xF3, 0x48, 0xA5 }, 3, INSN_OP_MOVS, 8, 0, true, INSN_SEG_DS },
		{ "movsb from FS", { 0x64, 0xA4 }, 2, INSN_OP_MOVS, 1, 0, false, INSN_SEG_FS },
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct mmio_insn in;
		char err[96];
		CHECK(good[i].what, insn_decode(good[i].bytes, good[i].len, M64, &in, err, sizeof(err)) == INSN_OK);
		CHECK(good[i].what, in.len == good[i].len && in.op == good[i].op && in.size == good[i].size &&
				    in.reg == good[i].reg && in.rep == good[i].rep && in.seg == good[i].seg);
	}
}

static void test_string_io(void **state)
{
	const struct { const char *what; enum insn_mode mode; u8 bytes[6]; size_t n; u8 len; bool rep; u8 addr_size;
		       enum insn_seg seg; } good[] = {
		{ "insb", M64, { 0x6C }, 1, 1, false, 8, INSN_SEG_DS },
		{ "rep outsb", M64, { 0xF3, 0x6E }, 2, 2, true, 8, INSN_SEG_DS },
		{ "repne insd: F2 repeats too", M64, { 0xF2, 0x6D }, 2, 2, true, 8, INSN_SEG_DS },
		{ "rep outs dword with an FS override", M64, { 0x64, 0xF3, 0x6F }, 3, 3, true, 8, INSN_SEG_FS },
		{ "a32 rep outsw (66 67 F3 6F)", M64, { 0x66, 0x67, 0xF3, 0x6F }, 4, 4, true, 4, INSN_SEG_DS },
		{ "REX.W before INS", M64, { 0xF3, 0x48, 0x6D }, 3, 3, true, 8, INSN_SEG_DS },
		{ "16-bit rep insb", M16, { 0xF3, 0x6C }, 2, 2, true, 2, INSN_SEG_DS },
		{ "16-bit a32 outsb with ES", M16, { 0x26, 0x67, 0x6E }, 3, 3, false, 4, INSN_SEG_ES },
		{ "32-bit rep outsb, then more bytes", M32, { 0xF3, 0x6E, 0x90, 0x90 }, 4, 2, true, 4, INSN_SEG_DS },
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct string_io_insn in;
		char err[96];
		CHECK(good[i].what, insn_decode_string_io(good[i].bytes, good[i].n, good[i].mode, &in, err,
							   sizeof(err)) == INSN_OK);
		CHECK(good[i].what, in.len == good[i].len && in.rep == good[i].rep &&
				    in.addr_size == good[i].addr_size && in.seg == good[i].seg);
	}
	const struct bad bad[] = {
		{ M64, { 0xF0, 0x6E }, 2, INSN_ERR_PREFIX, "LOCK prefix on 0x6e" },
		{ M64, { 0xF3, 0xA4 }, 2, INSN_ERR_OPCODE, "opcode 0xa4 where INS or OUTS was executed" },
		{ M64, { 0xF3 }, 1, INSN_ERR_TRUNCATED, "instruction truncated: 1 bytes are not enough" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct string_io_insn in;
		char err[96];
		CHECK(bad[i].message, insn_decode_string_io(bad[i].bytes, bad[i].n, bad[i].mode, &in, err,
							     sizeof(err)) == bad[i].error);
		assert_string_equal(err, bad[i].message);
	}
}

static void test_address_size(void **state)
{
	const struct { enum insn_mode mode; u8 bytes[4]; u8 addr_size; } cases[] = {
		{ M64, { 0x8B, 0x00 }, 8 }, { M64, { 0x67, 0x8B, 0x00 }, 4 },
		{ M32, { 0x8B, 0x00 }, 4 }, { M32, { 0x67, 0x8B, 0x00 }, 2 },
		{ M16, { 0x8B, 0x07 }, 2 }, { M16, { 0x67, 0x8B, 0x00 }, 4 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mmio_insn in;
		char err[64];
		assert_int_equal(insn_decode(cases[i].bytes, 4, cases[i].mode, &in, err, sizeof(err)), INSN_OK);
		assert_int_equal(in.addr_size, cases[i].addr_size);
	}
}

static void test_store_value(void **state)
{
	u64 gprs[16];
	struct mmio_insn in;
	char err[64];
	for (int i = 0; i < 16; i++)
		gprs[i] = 0x1111111111111111ull * (u64)i + 0x0102030405060708ull;
	insn_decode((const u8[]){ 0x88, 0x20 }, 2, M64, &in, err, sizeof(err)); /* mov [rax],ah */
	assert_int_equal(insn_store_value(&in, gprs), 0x07);
	insn_decode((const u8[]){ 0x66, 0x89, 0x18 }, 3, M64, &in, err, sizeof(err)); /* bx */
	assert_int_equal(insn_store_value(&in, gprs), gprs[3] & 0xFFFF);
	insn_decode((const u8[]){ 0x4C, 0x89, 0x38 }, 3, M64, &in, err, sizeof(err)); /* r15 */
	assert_int_equal(insn_store_value(&in, gprs), gprs[15]);
	insn_decode((const u8[]){ 0xC7, 0x00, 0xF0, 0xFF, 0xFF, 0xFF }, 6, M64, &in, err, sizeof(err));
	assert_int_equal(insn_store_value(&in, gprs), 0xFFFFFFF0);
}

static void test_load_result(void **state)
{
	struct mmio_insn in;
	char err[64];
	const u64 old = 0xAAAAAAAAAAAAAAAAull;
	insn_decode((const u8[]){ 0x8A, 0x20 }, 2, M64, &in, err, sizeof(err)); /* mov ah,[rax] */
	assert_int_equal(insn_load_result(&in, old, 0x1234), 0xAAAAAAAAAAAA34AAull);
	insn_decode((const u8[]){ 0x8A, 0x00 }, 2, M64, &in, err, sizeof(err)); /* mov al,[rax] */
	assert_int_equal(insn_load_result(&in, old, 0x1234), 0xAAAAAAAAAAAAAA34ull);
	insn_decode((const u8[]){ 0x66, 0x8B, 0x00 }, 3, M64, &in, err, sizeof(err)); /* ax */
	assert_int_equal(insn_load_result(&in, old, 0x55667788), 0xAAAAAAAAAAAA7788ull);
	insn_decode((const u8[]){ 0x8B, 0x00 }, 2, M64, &in, err, sizeof(err)); /* eax: upper cleared */
	assert_int_equal(insn_load_result(&in, old, 0x1122334455667788ull), 0x55667788);
	insn_decode((const u8[]){ 0x48, 0x8B, 0x00 }, 3, M64, &in, err, sizeof(err));
	assert_int_equal(insn_load_result(&in, old, 0x1122334455667788ull), 0x1122334455667788ull);
	insn_decode((const u8[]){ 0x0F, 0xB6, 0x00 }, 3, M64, &in, err, sizeof(err)); /* movzx eax,byte */
	assert_int_equal(insn_load_result(&in, old, 0xF0), 0xF0);
	insn_decode((const u8[]){ 0x48, 0x0F, 0xBE, 0x00 }, 4, M64, &in, err, sizeof(err)); /* movsx rax,byte */
	assert_int_equal(insn_load_result(&in, old, 0xF0), 0xFFFFFFFFFFFFFFF0ull);
	insn_decode((const u8[]){ 0x66, 0x0F, 0xBE, 0x00 }, 4, M64, &in, err, sizeof(err)); /* movsx ax,byte */
	assert_int_equal(insn_load_result(&in, old, 0x80), 0xAAAAAAAAAAAAFF80ull);
	insn_decode((const u8[]){ 0x0F, 0xBF, 0x00 }, 3, M64, &in, err, sizeof(err)); /* movsx eax,word */
	assert_int_equal(insn_load_result(&in, old, 0x8001), 0xFFFF8001ull);
	insn_decode((const u8[]){ 0x0F, 0xB7, 0x00 }, 3, M64, &in, err, sizeof(err)); /* movzx eax,word */
	assert_int_equal(insn_load_result(&in, old, 0x12348001), 0x8001);
}

/* The memory operand's address, every addressing form (registers: rN = 0x1000 * (N + 1)). */
static void test_effective_address(void **state)
{
	static const struct {
		const char *what;
		enum insn_mode mode;
		u8 bytes[16];
		u64 ea;
	} rows[] = {
		{ "mov eax,[rbx]", M64, { 0x8b, 0x03 }, 0x4000 },
		{ "mov eax,[rbx+0x10]", M64, { 0x8b, 0x43, 0x10 }, 0x4010 },
		{ "mov eax,[rbx-0x10]", M64, { 0x8b, 0x43, 0xf0 }, 0x3ff0 },
		{ "mov eax,[rbx+0x12345678]", M64, { 0x8b, 0x83, 0x78, 0x56, 0x34, 0x12 }, 0x12349678 },
		{ "mov eax,[rip+0x100]", M64, { 0x8b, 0x05, 0x00, 0x01, 0, 0 }, 0x100000 + 6 + 0x100 },
		{ "mov eax,[rbx+rcx*4]", M64, { 0x8b, 0x04, 0x8b }, 0x4000 + 4 * 0x2000 },
		{ "mov eax,[r13+r12*8+1]", M64, { 0x43, 0x8b, 0x44, 0xe5, 0x01 }, 0xe000 + 8 * 0xd000 + 1 },
		{ "mov eax,[rsp]", M64, { 0x8b, 0x04, 0x24 }, 0x5000 },
		{ "mov eax,[disp32] (SIB, no base)", M64, { 0x8b, 0x04, 0x25, 0x00, 0x00, 0xb0, 0xfe }, 0xfffffffffeb00000ull },
		{ "mov eax,[ebx] (67)", M64, { 0x67, 0x8b, 0x03 }, 0x4000 },
		{ "mov al,[moffs64]", M64, { 0xa0, 0x08, 0x00, 0xb0, 0xfe, 0, 0, 0, 0 }, 0xfeb00008 },
		{ "mov eax,[disp32] (32-bit code)", M32, { 0x8b, 0x05, 0x00, 0x00, 0xb0, 0xfe }, 0xfeb00000 },
		{ "mov eax,[bx+si+2] (16-bit)", M16, { 0x66, 0x8b, 0x40, 0x02 }, 0x4000 + 0x7000 + 2 },
		{ "mov ax,[bp] (16-bit)", M16, { 0x8b, 0x46, 0x00 }, 0x6000 },
		{ "mov ax,[0x1234] (16-bit)", M16, { 0x8b, 0x06, 0x34, 0x12 }, 0x1234 },
	};
	u64 gprs[16];
	for (int i = 0; i < 16; i++)
		gprs[i] = 0x1000ull * (u64)(i + 1);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mmio_insn in;
		char err[96];
		CHECK(rows[i].what, insn_decode(rows[i].bytes, 16, rows[i].mode, &in, err, sizeof(err)) == INSN_OK);
		u64 ea = insn_effective_address(&in, gprs, 0x100000);
		if (ea != rows[i].ea)
			fail_msg("%s: address 0x%llx, want 0x%llx", rows[i].what, (unsigned long long)ea,
				 (unsigned long long)rows[i].ea);
	}
}

/* Prefixes before an opcode the exit already named (SVM without next-RIP: CPUID, RDMSR, ...). */
static void test_prefix_length(void **state)
{
	static const u8 cpuid[] = { 0x0f, 0xa2 }, opsize[] = { 0x66, 0x0f, 0xa2 };
	static const u8 rex_w[] = { 0x48, 0x0f, 0x32 }, rex_then_66[] = { 0x48, 0x66, 0x0f, 0x32 };
	static const u8 many[] = { 0x2e, 0xf3, 0x66, 0x67, 0x4c, 0x0f, 0x33 }, only_prefixes[] = { 0x66, 0x66 };
	assert_int_equal(insn_prefix_length(cpuid, sizeof(cpuid), INSN_MODE_64), 0);
	assert_int_equal(insn_prefix_length(opsize, sizeof(opsize), INSN_MODE_32), 1);
	assert_int_equal(insn_prefix_length(rex_w, sizeof(rex_w), INSN_MODE_64), 1);
	assert_int_equal(insn_prefix_length(rex_w, sizeof(rex_w), INSN_MODE_32), 0); /* 0x48 is DEC EAX there */
	assert_int_equal(insn_prefix_length(rex_then_66, sizeof(rex_then_66), INSN_MODE_64), 2); /* a void REX still counts */
	assert_int_equal(insn_prefix_length(many, sizeof(many), INSN_MODE_64), 5);
	assert_int_equal(insn_prefix_length(only_prefixes, sizeof(only_prefixes), INSN_MODE_64), 0);
	assert_int_equal(insn_prefix_length(cpuid, 0, INSN_MODE_64), 0); /* nothing fetched */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_forms),
		cmocka_unit_test(test_moffs_forms),
		cmocka_unit_test(test_store_immediate_forms),
		cmocka_unit_test(test_rejections_name_the_opcode),
		cmocka_unit_test(test_address_size),
		cmocka_unit_test(test_string_and_atomic),
		cmocka_unit_test(test_string_io),
		cmocka_unit_test(test_store_value),
		cmocka_unit_test(test_load_result),
		cmocka_unit_test(test_effective_address),
		cmocka_unit_test(test_prefix_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
