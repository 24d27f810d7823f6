/* Port I/O: the serial port, fw_cfg values against the configuration (the
 * suite passes them as args "mem=SIZE cpus=N"), the PIC mask registers,
 * ports nobody claims (all-ones reads, ignored writes, counted), and the
 * string forms INS/OUTS with and without REP, both directions of DF. */
#include "guest.h"

#define PIC1_DATA 0x21
#define UNKNOWN_PORT 0x200 /* game port: no device on the platform */
#define FW_CFG_SEL 0x510
#define FW_CFG_DATA 0x511

static u64 expected(const char *key)
{
	char text[32];
	u64 v;
	if (!cmdline_arg(key, text, sizeof(text)) || !parse_size(text, &v)) {
		diag("no valid %s= on the command line \"%s\"", key, cmdline());
		return ~0ull;
	}
	return v;
}

static void touch_unknown_port(void *arg)
{
	(void)inb(UNKNOWN_PORT);
	outb(UNKNOWN_PORT, 1);
}

static void unknown_port_counts(void)
{
	struct hc_stats b, a;
	bool got = stats_around(touch_unknown_port, NULL, &b, &a);
	if (!ok(got && a.unknown_port_reads == b.unknown_port_reads + 1 &&
			a.unknown_port_writes == b.unknown_port_writes + 1,
		"hv: an unknown port read and write are counted") && got)
		diag("reads %lu -> %lu, writes %lu -> %lu", b.unknown_port_reads, a.unknown_port_reads,
		     b.unknown_port_writes, a.unknown_port_writes);
}

/* REP INSB of the fw_cfg signature: the bytes, RDI moved on by 4, RCX counted down. */
static void rep_insb_signature(void)
{
	char sig[8] = { 0 };
	u64 rdi = (u64)sig, rcx = 4;
	outw(FW_CFG_SEL, FW_CFG_SIGNATURE);
	__asm__ volatile("rep insb" : "+D"(rdi), "+c"(rcx) : "d"(FW_CFG_DATA) : "memory");
	ok(!memcmp(sig, "QEMU", 5) && rdi == (u64)sig + 4 && rcx == 0,
	   "REP INSB reads the fw_cfg signature (\"%s\"), RDI +4, RCX 0 (%lu)", sig, rcx);
}

static const char out_bytes[] = "abcde";
static u64 outs_rsi, outs_rcx;

/* REP OUTSB backwards (DF=1) from the last byte; then a single OUTSW forwards. */
static void outs_both_ways(void *arg)
{
	u64 rsi = (u64)&out_bytes[4], rcx = 5;
	__asm__ volatile("std; rep outsb; cld" : "+S"(rsi), "+c"(rcx) : "d"(UNKNOWN_PORT) : "memory");
	outs_rsi = rsi;
	outs_rcx = rcx;
	rsi = (u64)out_bytes;
	__asm__ volatile("outsw" : "+S"(rsi) : "d"(UNKNOWN_PORT) : "memory");
	outs_rsi = outs_rsi == (u64)out_bytes - 1 && rsi == (u64)out_bytes + 2;
}

static void outs_counted(void)
{
	struct hc_stats b, a;
	bool got = stats_around(outs_both_ways, NULL, &b, &a);
	if (!got)
		outs_both_ways(NULL); /* no statistics (plain QEMU): the registers still tell */
	ok(outs_rsi && outs_rcx == 0, "STD; REP OUTSB walks RSI down by 5, RCX to 0; OUTSW moves RSI +2");
	ok(got && a.unknown_port_writes == b.unknown_port_writes + 6,
	   "hv: REP OUTSB of 5 bytes and one OUTSW are 6 writes to the unknown port (%lu)",
	   got ? a.unknown_port_writes - b.unknown_port_writes : 0);
}

/* QEMU's pc-testdev (-device pc-testdev; the hypervisor's VMs have it by default). */
static void pc_testdev_latch(void)
{
	outl(0xE0, 0x11223344);
	ok_eq(inl(0xE0), 0x11223344, "pc-testdev: the latch at 0xE0 reads back a 32-bit write");
	outb(0xE2, 0xAA);
	u32 l = inl(0xE0), w = inw(0xE2), b = inb(0xE1);
	if (!ok(l == 0x11AA3344 && w == 0x11AA && b == 0x33, "pc-testdev: byte and word accesses reach their bytes"))
		diag("inl 0xE0 0x%x, inw 0xE2 0x%x, inb 0xE1 0x%x", l, w, b);
	outb(0xEB, 0x77);
	ok_eq(inl(0xE8), 0x77AA3344, "pc-testdev: 0xE8 is the same latch, byte by byte");
	outl(0xE4, 0x100000);
	ok_eq(inl(0xE0), 0x77AA3344, "pc-testdev: a page-flush write (0xE4) leaves the latch alone");
}

static void pulse_irq_lines(void *arg)
{
	for (u16 line = 0; line < 24; line++) {
		outb(0x2000 + line, 1);
		outb(0x2000 + line, 0);
	}
}

static void pc_testdev_irq_lines(void)
{
	struct hc_stats b, a;
	bool got = stats_around(pulse_irq_lines, NULL, &b, &a);
	ok(got && a.unknown_port_writes == b.unknown_port_writes,
	   "hv: the IRQ-line ports 0x2000-0x2017 are claimed (48 writes, none to an unknown port)");
}

void test_main(void)
{
	plan(20);
	serial_flush();
	ok((inb(COM1 + UART_LSR) & (LSR_THR_EMPTY | LSR_TX_EMPTY)) == (LSR_THR_EMPTY | LSR_TX_EMPTY),
	   "serial LSR reports the transmitter empty (bits 5 and 6)");

	char sig[5] = { 0 };
	fw_cfg_read(FW_CFG_SIGNATURE, sig, 4);
	ok(!memcmp(sig, "QEMU", 4), "fw_cfg signature is \"QEMU\" (read \"%s\")", sig);
	ok(fw_cfg_read_int(FW_CFG_ID, 4) & 1, "fw_cfg interface id has the port interface (bit 0)");
	ok_eq(fw_cfg_read_int(FW_CFG_RAM_SIZE, 8), expected("mem"), "fw_cfg RAM size equals the configuration");
	u64 cpus = fw_cfg_read_int(FW_CFG_NB_CPUS, 2);
	ok_eq(cpus, expected("cpus"), "fw_cfg CPU count equals the configuration");
	ok(fw_cfg_read_int(FW_CFG_MAX_CPUS, 2) >= cpus, "fw_cfg max CPUs >= CPU count");

	u8 old_mask = inb(PIC1_DATA);
	outb(PIC1_DATA, 0xA5);
	ok_eq(inb(PIC1_DATA), 0xA5, "PIC mask register 0x21 reads back the last value written");
	outb(PIC1_DATA, old_mask);

	ok_eq(inb(UNKNOWN_PORT), 0xFF, "unknown port 0x%x: 8-bit read is all-ones", UNKNOWN_PORT);
	ok_eq(inw(UNKNOWN_PORT), 0xFFFF, "unknown port 0x%x: 16-bit read is all-ones", UNKNOWN_PORT);
	ok_eq(inl(UNKNOWN_PORT), 0xFFFFFFFF, "unknown port 0x%x: 32-bit read is all-ones", UNKNOWN_PORT);
	outb(UNKNOWN_PORT, 0x5A);
	ok_eq(inb(UNKNOWN_PORT), 0xFF, "a write to an unknown port is ignored");
	unknown_port_counts();
	rep_insb_signature();
	outs_counted();
	pc_testdev_latch();
	pc_testdev_irq_lines();
}
