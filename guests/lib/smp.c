/* Starting the other vCPUs (lib/smp.h, the start-up code in lib/ap_start.asm). */
#include "smp.h"
#include "cpu.h"
#include "fw_cfg.h"
#include "gstring.h"
#include "tap.h"

#define AP_BASE 0x8000ull /* as in ap_start.asm; SIPI vector = AP_BASE >> 12 */
#define AP_STACK_SIZE 16384
#define ICR_LOW 0x300
#define ICR_HIGH 0x310
#define ICR_INIT 0x00000500u
#define ICR_STARTUP 0x00000600u
#define ICR_ASSERT 0x00004000u
#define ICR_ALL_BUT_SELF 0x000C0000u
#define WAIT_LOOPS 200000000ull

extern u8 ap_blob[], ap_blob_end[], ap_cr3[], ap_entry[], ap_ticket[];
/* Stack of AP i: [ap_stacks + (i - 1) * size, ap_stacks + i * size) */
__attribute__((aligned(16))) u8 ap_stacks[(SMP_MAX_CPUS - 1) * AP_STACK_SIZE];

static void (*ap_fn)(u32 index);
static volatile u32 aps_in;

/* Where a symbol of the blob lives in its copy. */
static void *in_copy(u8 *sym)
{
	return (void *)(AP_BASE + (sym - ap_blob));
}

static void ap_main(u32 index)
{
	__atomic_fetch_add(&aps_in, 1, __ATOMIC_SEQ_CST);
	ap_fn(index);
}

u32 smp_cpu_count(void)
{
	u32 n = (u32)fw_cfg_read_int(0x05, 2);
	return n ? n : 1;
}

static void icr_send(u32 low)
{
	volatile u32 *apic = (volatile u32 *)LAPIC_BASE;
	apic[ICR_HIGH / 4] = 0;
	apic[ICR_LOW / 4] = low;
	for (volatile int i = 0; i < 100000; i++) /* a pause between INIT and SIPI */
		;
}

bool smp_start_aps(u32 count, void (*fn)(u32 index))
{
	if (count > SMP_MAX_CPUS) {
		diag("%u vCPUs: the runtime handles at most %u", count, SMP_MAX_CPUS);
		return false;
	}
	ap_fn = fn;
	aps_in = 0; /* a second start (after INIT) counts afresh */
	memcpy((void *)AP_BASE, ap_blob, ap_blob_end - ap_blob);
	*(u64 *)in_copy(ap_cr3) = read_cr3();
	*(u64 *)in_copy(ap_entry) = (u64)ap_main;
	*(u32 *)in_copy(ap_ticket) = 1;
	icr_send(ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_INIT);
	icr_send(ICR_ALL_BUT_SELF | ICR_STARTUP | (u32)(AP_BASE >> 12));
	for (u64 i = 0; i < WAIT_LOOPS && aps_in < count - 1; i++)
		__asm__ volatile("pause");
	if (aps_in != count - 1)
		diag("%u of %u other vCPUs started", aps_in, count - 1);
	return aps_in == count - 1;
}
