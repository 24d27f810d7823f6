/*
 * Decoder for the MOV forms of insn_decode.h. Layout of an instruction:
 * legacy prefixes, REX (64-bit code only, last before the opcode), opcode
 * (1 or 2 bytes), ModRM [SIB] [displacement], immediate or moffs.
 */
#include "hv/emulate/insn_decode.h"
#include "hv/console/printf.h"

struct cursor {
	const u8 *bytes;
	size_t avail; /* min(n, 15) */
	size_t pos;
	bool truncated, too_long;
};

static u8 next_byte(struct cursor *c)
{
	if (c->pos >= c->avail) {
		if (c->pos >= INSN_MAX_LEN)
			c->too_long = true;
		else
			c->truncated = true;
		c->pos++;
		return 0;
	}
	return c->bytes[c->pos++];
}

/* Reads a little-endian value of `size` bytes, sign-extended from its top bit. */
static u64 next_signed(struct cursor *c, unsigned size)
{
	u64 v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (u64)next_byte(c) << (8 * i);
	if (size < 8 && (v >> (8 * size - 1) & 1))
		v |= ~0ull << (8 * size);
	return v;
}

/* --- prefixes --- */

struct prefixes {
	bool opsize, addrsize;
	bool has_seg;
	enum insn_seg seg;
	u8 rex; /* 0 when absent */
	u8 rep; /* F2 or F3 (the last one), 0 when absent */
	u8 bad; /* LOCK (F0), 0 when absent */
};

static bool segment_prefix(u8 b, enum insn_seg *seg)
{
	switch (b) {
	case 0x26: *seg = INSN_SEG_ES; return true;
	case 0x2E: *seg = INSN_SEG_CS; return true;
	case 0x36: *seg = INSN_SEG_SS; return true;
	case 0x3E: *seg = INSN_SEG_DS; return true;
	case 0x64: *seg = INSN_SEG_FS; return true;
	case 0x65: *seg = INSN_SEG_GS; return true;
	default: return false;
	}
}

/* Consumes prefixes; returns the first opcode byte. A REX not directly before it is void. */
static u8 read_prefixes(struct cursor *c, enum insn_mode mode, struct prefixes *p)
{
	for (;;) {
		u8 b = next_byte(c);
		if (c->truncated || c->too_long)
			return 0;
		if (mode == INSN_MODE_64 && (b & 0xF0) == 0x40) {
			p->rex = b;
			continue;
		}
		if (b == 0x66)
			p->opsize = true;
		else if (b == 0x67)
			p->addrsize = true;
		else if (segment_prefix(b, &p->seg))
			p->has_seg = true;
		else if (b == 0xF2 || b == 0xF3)
			p->rep = b;
		else if (b == 0xF0)
			p->bad = b;
		else
			return b;
		p->rex = 0;
	}
}

/* --- operand and address sizes --- */

static u8 operand_size(enum insn_mode mode, const struct prefixes *p)
{
	if (mode == INSN_MODE_64 && (p->rex & 0x08))
		return 8;
	if (mode == INSN_MODE_16)
		return p->opsize ? 4 : 2;
	return p->opsize ? 2 : 4;
}

static u8 address_size(enum insn_mode mode, const struct prefixes *p)
{
	switch (mode) {
	case INSN_MODE_16: return p->addrsize ? 4 : 2;
	case INSN_MODE_32: return p->addrsize ? 2 : 4;
	default: return p->addrsize ? 4 : 8;
	}
}

/* --- ModRM --- */

/* 16-bit addressing: ModRM.rm names base and index (SDM vol. 2, table 2-1). */
static const s8 base16[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };  /* BX BX BP BP SI DI BP BX */
static const s8 index16[8] = { 6, 7, 6, 7, -1, -1, -1, -1 }; /* SI DI SI DI */

static void memory_operand16(struct cursor *c, u8 mod, u8 rm, bool *stack, struct mmio_insn *out)
{
	*stack = rm == 2 || rm == 3 || (rm == 6 && mod != 0);
	out->base = base16[rm];
	out->index = index16[rm];
	if (mod == 0 && rm == 6)
		out->base = -1; /* disp16 alone */
	u8 disp = mod == 1 ? 1 : (mod == 2 || (mod == 0 && rm == 6)) ? 2 : 0;
	out->disp = disp ? next_signed(c, disp) : 0;
}

/*
 * Reads SIB and displacement of a memory operand into out (base, index,
 * scale, disp). Returns false for a register operand (mod == 3). Sets
 * *stack when the base is rBP or rSP, whose default segment is SS.
 */
static bool memory_operand(struct cursor *c, u8 modrm, u8 addr_size, u8 rex, bool code64, bool *stack,
			   struct mmio_insn *out)
{
	u8 mod = modrm >> 6, rm = modrm & 7;

	out->scale = 1;
	out->base = out->index = -1;
	if (mod == 3)
		return false;
	if (addr_size == 2) {
		memory_operand16(c, mod, rm, stack, out);
		return true;
	}
	bool disp32_alone = false;
	if (rm == 4) {
		u8 sib = next_byte(c), base = sib & 7, index = (u8)(((sib >> 3) & 7) | ((rex & 2) << 2));
		*stack = !(rex & 1) && (base == 4 || (base == 5 && mod != 0));
		out->scale = (u8)(1u << (sib >> 6));
		out->index = index == 4 ? -1 : (s8)index; /* no index (rSP cannot be one; r12 can) */
		out->base = (s8)(base | ((rex & 1) << 3));
		disp32_alone = mod == 0 && base == 5;
		if (disp32_alone)
			out->base = -1;
	} else {
		*stack = !(rex & 1) && rm == 5 && mod != 0;
		out->base = (s8)(rm | ((rex & 1) << 3));
		disp32_alone = mod == 0 && rm == 5;
		if (disp32_alone) {
			out->base = -1;
			out->rip_relative = code64; /* disp32 alone only outside 64-bit code */
		}
	}
	u8 disp = mod == 1 ? 1 : (mod == 2 || disp32_alone) ? 4 : 0;
	out->disp = disp ? next_signed(c, disp) : 0;
	return true;
}

/* Register from ModRM.reg (+ REX.R); byte registers 4-7 are AH..BH without REX. */
static void set_register(struct mmio_insn *out, u8 modrm, u8 rex, u8 size)
{
	u8 reg = (u8)(((modrm >> 3) & 7) | ((rex & 4) << 1));
	if (size == 1 && !rex && reg >= 4 && reg < 8) {
		out->reg = reg - 4;
		out->reg_high8 = true;
	} else {
		out->reg = reg;
	}
}

/* --- the opcode table --- */

struct form {
	u8 op;          /* the (last) opcode byte */
	enum insn_op kind;
	bool lock_ok;   /* XCHG, CMPXCHG */
	bool string;    /* STOS, MOVS: no ModRM, REP allowed, operands at rSI/rDI */
	bool two_byte;  /* after 0F */
	bool byte_op;   /* memory operand is 8 bits; else opsize (or 16 for B7/BF) */
	bool word_op;   /* memory operand is 16 bits (MOVZX/MOVSX from r/m16) */
	bool write;
	bool imm;
	bool moffs;
	enum insn_extend extend;
};

static const struct form forms[] = {
	{ .op = 0x88, .byte_op = true, .write = true },        /* MOV r/m8, r8 */
	{ .op = 0x89, .write = true },                         /* MOV r/m, r */
	{ .op = 0x8A, .byte_op = true },                       /* MOV r8, r/m8 */
	{ .op = 0x8B },                                        /* MOV r, r/m */
	{ .op = 0xC6, .byte_op = true, .write = true, .imm = true }, /* MOV r/m8, imm8 */
	{ .op = 0xC7, .write = true, .imm = true },            /* MOV r/m, imm16/32 */
	{ .op = 0xA0, .byte_op = true, .moffs = true },        /* MOV AL, moffs */
	{ .op = 0xA1, .moffs = true },                         /* MOV eAX, moffs */
	{ .op = 0xA2, .byte_op = true, .write = true, .moffs = true }, /* MOV moffs, AL */
	{ .op = 0xA3, .write = true, .moffs = true },          /* MOV moffs, eAX */
	{ .op = 0xB6, .two_byte = true, .byte_op = true, .extend = INSN_EXTEND_ZERO }, /* MOVZX r, r/m8 */
	{ .op = 0xB7, .two_byte = true, .word_op = true, .extend = INSN_EXTEND_ZERO }, /* MOVZX r, r/m16 */
	{ .op = 0xBE, .two_byte = true, .byte_op = true, .extend = INSN_EXTEND_SIGN }, /* MOVSX r, r/m8 */
	{ .op = 0xBF, .two_byte = true, .word_op = true, .extend = INSN_EXTEND_SIGN }, /* MOVSX r, r/m16 */
	{ .op = 0x86, .kind = INSN_OP_XCHG, .lock_ok = true, .byte_op = true }, /* XCHG r/m8, r8 */
	{ .op = 0x87, .kind = INSN_OP_XCHG, .lock_ok = true },                  /* XCHG r/m, r */
	{ .op = 0xB0, .two_byte = true, .kind = INSN_OP_CMPXCHG, .lock_ok = true, .byte_op = true }, /* CMPXCHG r/m8, r8 */
	{ .op = 0xB1, .two_byte = true, .kind = INSN_OP_CMPXCHG, .lock_ok = true },                  /* CMPXCHG r/m, r */
	{ .op = 0xAA, .kind = INSN_OP_STOS, .string = true, .byte_op = true, .write = true }, /* STOSB */
	{ .op = 0xAB, .kind = INSN_OP_STOS, .string = true, .write = true },                  /* STOSW/D/Q */
	{ .op = 0xA4, .kind = INSN_OP_MOVS, .string = true, .byte_op = true },                /* MOVSB */
	{ .op = 0xA5, .kind = INSN_OP_MOVS, .string = true },                                 /* MOVSW/D/Q */
};

static const struct form *find_form(u8 op, bool two_byte)
{
	for (size_t i = 0; i < ARRAY_SIZE(forms); i++)
		if (forms[i].op == op && forms[i].two_byte == two_byte)
			return &forms[i];
	return NULL;
}

/* --- errors --- */

static int fail(char *err, size_t errlen, int code, const char *what, const u8 *op,
		unsigned op_len)
{
	ksnprintf(err, errlen, "%s", what);
	for (unsigned i = 0; i < op_len; i++)
		kappendf(err, errlen, " 0x%02x", op[i]);
	switch (code) {
	case INSN_ERR_OPCODE:
		kappendf(err, errlen, " (not a form an MMIO access can use)");
		break;
	case INSN_ERR_NOT_MEMORY:
		kappendf(err, errlen, " moves between registers, it cannot access MMIO");
		break;
	default:
		break;
	}
	return code;
}

/* --- decoding --- */

static void set_sizes(struct mmio_insn *out, const struct form *f, u8 opsize)
{
	out->size = f->byte_op ? 1 : f->word_op ? 2 : opsize;
	out->dest_size = f->extend != INSN_EXTEND_NONE ? opsize : out->size;
	out->extend = f->extend;
}

/*
 * Decodes what follows the opcode: ModRM operands, immediate or moffs.
 * opcode[] has room for the ModRM byte too, so messages can show it.
 */
static int decode_operands(struct cursor *c, const struct form *f, const struct prefixes *p,
			   enum insn_mode mode, struct mmio_insn *out, u8 *opcode, unsigned op_len, char *err,
			   size_t errlen)
{
	bool stack = false;

	if (f->string) {
		out->reg = 0; /* STOS stores rAX; MOVS has no register operand */
		out->rep = p->rep == 0xF3;
		return INSN_OK;
	}
	if (f->moffs) {
		out->reg = 0; /* AL / AX / EAX / RAX */
		out->base = out->index = -1;
		out->scale = 1;
		out->disp = next_signed(c, out->addr_size); /* an address: only its low addr_size bytes count */
		return INSN_OK;
	}
	opcode[op_len] = next_byte(c);
	if (c->truncated)
		return INSN_OK; /* reported by the caller */
	if (f->imm && (opcode[op_len] >> 3 & 7) != 0)
		return fail(err, errlen, INSN_ERR_OPCODE, "unsupported opcode", opcode, op_len + 1);
	if (!memory_operand(c, opcode[op_len], out->addr_size, p->rex, mode == INSN_MODE_64, &stack, out))
		return fail(err, errlen, INSN_ERR_NOT_MEMORY, "instruction", opcode, op_len + 1);
	if (!p->has_seg && stack)
		out->seg = INSN_SEG_SS;
	if (f->imm) {
		out->has_imm = true;
		out->imm = next_signed(c, out->size == 8 ? 4 : out->size);
	} else {
		set_register(out, opcode[op_len], p->rex, f->extend ? out->dest_size : out->size);
	}
	return INSN_OK;
}

static int incomplete(const struct cursor *c, size_t n, char *err, size_t errlen)
{
	if (c->too_long) {
		ksnprintf(err, errlen, "instruction longer than 15 bytes");
		return INSN_ERR_TOO_LONG;
	}
	ksnprintf(err, errlen, "instruction truncated: %zu bytes are not enough", n);
	return INSN_ERR_TRUNCATED;
}

int insn_decode(const u8 *bytes, size_t n, enum insn_mode mode, struct mmio_insn *out,
		char *err, size_t errlen)
{
	struct cursor c = { .bytes = bytes, .avail = MIN(n, (size_t)INSN_MAX_LEN) };
	struct prefixes p = { .seg = INSN_SEG_DS };
	u8 opcode[3];
	unsigned op_len = 1;
	const struct form *f;
	int r;

	*out = (struct mmio_insn){ 0 };
	opcode[0] = read_prefixes(&c, mode, &p);
	if (opcode[0] == 0x0F && !c.truncated && !c.too_long)
		opcode[op_len++] = next_byte(&c);
	if (c.truncated || c.too_long)
		goto incomplete;
	f = find_form(opcode[op_len - 1], op_len == 2);
	if (!f)
		return fail(err, errlen, INSN_ERR_OPCODE, "unsupported opcode", opcode, op_len);
	if ((p.bad && !f->lock_ok) || (p.rep && !f->string))
		return fail(err, errlen, INSN_ERR_PREFIX, "unsupported prefix", p.bad && !f->lock_ok ? &p.bad : &p.rep, 1);

	out->op = f->kind;
	out->write = f->write;
	out->addr_size = address_size(mode, &p);
	out->seg = p.seg;
	set_sizes(out, f, operand_size(mode, &p));
	r = decode_operands(&c, f, &p, mode, out, opcode, op_len, err, errlen);
	if (r != INSN_OK)
		return r;
	if (c.truncated || c.too_long)
		goto incomplete;
	out->len = (u8)c.pos;
	return INSN_OK;
incomplete:
	return incomplete(&c, n, err, errlen);
}

u32 insn_prefix_length(const u8 *bytes, size_t n, enum insn_mode mode)
{
	struct cursor c = { .bytes = bytes, .avail = MIN(n, (size_t)INSN_MAX_LEN) };
	struct prefixes p = { .seg = INSN_SEG_DS };

	read_prefixes(&c, mode, &p);
	return c.truncated || c.too_long ? 0 : (u32)c.pos - 1; /* pos is past the opcode byte */
}

int insn_decode_string_io(const u8 *bytes, size_t n, enum insn_mode mode, struct string_io_insn *out,
			  char *err, size_t errlen)
{
	struct cursor c = { .bytes = bytes, .avail = MIN(n, (size_t)INSN_MAX_LEN) };
	struct prefixes p = { .seg = INSN_SEG_DS };

	*out = (struct string_io_insn){ 0 };
	u8 opcode = read_prefixes(&c, mode, &p);
	if (c.truncated || c.too_long)
		return incomplete(&c, n, err, errlen);
	if (p.bad)
		return fail(err, errlen, INSN_ERR_PREFIX, "LOCK prefix on", &opcode, 1);
	if (opcode < 0x6C || opcode > 0x6F) {
		ksnprintf(err, errlen, "opcode 0x%02x where INS or OUTS was executed", opcode);
		return INSN_ERR_OPCODE;
	}
	out->len = (u8)c.pos;
	out->rep = p.rep != 0; /* for INS/OUTS, F2 repeats like F3 */
	out->addr_size = address_size(mode, &p);
	out->seg = p.seg;
	return INSN_OK;
}

/* --- applying a decoded access --- */

static u64 size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

u64 insn_effective_address(const struct mmio_insn *in, const u64 gprs[16], u64 rip)
{
	u64 ea = in->disp;
	if (in->base >= 0)
		ea += gprs[in->base];
	if (in->index >= 0)
		ea += gprs[in->index] * in->scale;
	if (in->rip_relative)
		ea += rip + in->len;
	return ea & size_mask(in->addr_size);
}

u64 insn_store_value(const struct mmio_insn *in, const u64 gprs[16])
{
	u64 v = in->has_imm ? in->imm : gprs[in->reg] >> (in->reg_high8 ? 8 : 0);
	return v & size_mask(in->size);
}

u64 insn_load_result(const struct mmio_insn *in, u64 old_reg, u64 data)
{
	u64 v = data & size_mask(in->size);
	u64 dest_mask = size_mask(in->dest_size);

	if (in->extend == INSN_EXTEND_SIGN && (v >> (8 * in->size - 1) & 1))
		v |= ~size_mask(in->size);
	v &= dest_mask;
	if (in->reg_high8)
		return (old_reg & ~0xFF00ull) | (v << 8);
	if (in->dest_size >= 4)
		return v; /* 32-bit writes zero the upper half */
	return (old_reg & ~dest_mask) | v;
}
