/* CPU discovery and AP start-up (Intel SDM vol. 3, 9.4 "Multiple-processor
 * initialization": INIT, 10 ms, SIPI, 200 us, SIPI). */
#include "hv/cpu/smp.h"
#include "hv/cpu/acpi.h"
#include "hv/console/console.h"
#include "hv/cpu/cpu.h"
#include "hv/cpu/gdt.h"
#include "hv/cpu/idt.h"
#include "hv/cpu/irq.h"
#include "hv/cpu/lapic.h"
#include "hv/vm/mm_platform.h"
#include "hv/runner/options.h"
#include "hv/cpu/paging.h"
#include "hv/panic.h"
#include "hv/cpu/percpu.h"
#include "hv/sched/sched.h"
#include "hv/cpu/time.h"
#include "kstring.h"
#include "mm/page_alloc.h"

#define INIT_DELAY_NS (10 * NSEC_PER_MSEC)
#define SIPI_DELAY_NS (200 * NSEC_PER_USEC)
#define ONLINE_TIMEOUT_NS (2 * NSEC_PER_SEC) /* emulators under load are slow to start a CPU */
#define BROADCAST_QUIET_NS (200 * NSEC_PER_MSEC)
#define LOW_4G (1ull << 32)
#define SIPI_LIMIT (1ull << 20) /* a start-up IPI names a page number of 8 bits */

/* In hv/cpu/ap_trampoline.asm. */
extern const u8 smp_trampoline_start[], smp_trampoline_end[], smp_trampoline_params[];

/* The parameter block at the end of the trampoline (same order as there). */
struct trampoline_params {
	u64 cr3_low;  /* a PML4 below 4 GiB: 32-bit code can load only 32 bits */
	u64 cr3;      /* the hypervisor's root, loaded once in 64-bit mode */
	u64 efer;
	u64 cr0;
	u64 entry;    /* smp_ap_main */
	u64 stacks;   /* u64 stack_tops[max]: the stack for each ticket */
	u64 max;      /* tickets handed out beyond this park their CPU */
	u64 ticket;   /* next ticket: APs take them atomically as they arrive */
};

static u64 ap_cr4;                     /* the BSP's CR4, copied by every AP */
static u64 ap_stack_tops[MAX_CPUS - 1]; /* by ticket; AP with ticket t becomes CPU t + 1 */

static void smp_ap_main(u32 ticket) __attribute__((noreturn, used));
static void smp_ap_main(u32 ticket)
{
	struct percpu *c = &percpu_table[ticket + 1];
	write_cr4(ap_cr4);
	c->id = ticket + 1;
	c->boot_stack_top = ap_stack_tops[ticket];
	gdt_init_cpu(c->id);
	idt_load();
	percpu_bind(c);
	lapic_init_ap();
	c->apic_id = lapic_id();
	sched_run_ap();
}

/* A PML4 the 32-bit trampoline can load: the real one, or a copy of it below 4 GiB. */
static u64 low_pml4(void)
{
	u64 root = paging_root();
	if (root < LOW_4G)
		return root;
	u64 copy = palloc_page();
	if (!copy || copy >= LOW_4G)
		return 0;
	memcpy((void *)(uintptr_t)copy, (const void *)(uintptr_t)root, PAGE_SIZE);
	return copy;
}

/* Copies the trampoline to its page and fills what every AP shares. */
static struct trampoline_params *install_trampoline(u64 page, u64 cr3_low)
{
	size_t size = (size_t)(smp_trampoline_end - smp_trampoline_start);
	if (size > PAGE_SIZE)
		panic("smp: the AP trampoline (%lu bytes) does not fit its page", (unsigned long)size);
	memcpy((void *)(uintptr_t)page, smp_trampoline_start, size);
	struct trampoline_params *p =
		(void *)(uintptr_t)(page + (u64)(smp_trampoline_params - smp_trampoline_start));
	p->cr3_low = cr3_low;
	p->cr3 = paging_root();
	p->efer = EFER_LME | (rdmsr(MSR_EFER) & EFER_NXE);
	p->cr0 = read_cr0();
	p->entry = (u64)(uintptr_t)smp_ap_main;
	p->stacks = (u64)(uintptr_t)ap_stack_tops;
	p->max = 0;
	p->ticket = 0;
	ap_cr4 = read_cr4();
	return p;
}

/* Boot stacks for tickets [first, first + n); false when memory is short. */
static bool alloc_stacks(u32 first, u32 n)
{
	for (u32 t = first; t < first + n; t++) {
		u64 stack = palloc(KSTACK_SIZE / PAGE_SIZE, PAGE_SIZE);
		if (!stack) {
			log_error("smp: out of memory for AP boot stacks\n");
			return false;
		}
		ap_stack_tops[t] = stack + KSTACK_SIZE;
	}
	return true;
}

static void free_stack(u32 ticket)
{
	palloc_free(ap_stack_tops[ticket] - KSTACK_SIZE, KSTACK_SIZE / PAGE_SIZE);
	ap_stack_tops[ticket] = 0;
}

static bool wait_online(struct percpu *c, u64 timeout_ns)
{
	u64 end = time_now_ns() + timeout_ns;
	while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE))
		if (time_now_ns() >= end)
			return false;
		else
			cpu_relax();
	return true;
}

/* INIT, 10 ms, SIPI, 200 us, SIPI (a second SIPI is ignored by a CPU that already runs). */
static void send_init_sipi_sipi(u32 dest, u64 page)
{
	lapic_send_init(dest);
	time_delay_ns(INIT_DELAY_NS);
	lapic_send_startup(dest, (u32)(page >> PAGE_SHIFT));
	time_delay_ns(SIPI_DELAY_NS);
	lapic_send_startup(dest, (u32)(page >> PAGE_SHIFT));
}

/* Starts the AP with this APIC id as CPU cpu_count; true when a CPU came online there. */
static bool start_ap(u32 apic_id, struct trampoline_params *p, u64 page)
{
	u32 ticket = cpu_count - 1;
	struct percpu *c = &percpu_table[cpu_count];
	memset(c, 0, sizeof(*c));
	if (!alloc_stacks(ticket, 1))
		return false;
	__atomic_store_n(&p->max, ticket + 1, __ATOMIC_RELEASE); /* exactly one more ticket */
	send_init_sipi_sipi(apic_id, page);
	if (wait_online(c, ONLINE_TIMEOUT_NS))
		return true;
	lapic_send_init(apic_id); /* stop it, should it still be on its way */
	time_delay_ns(INIT_DELAY_NS);
	if (__atomic_load_n(&c->online, __ATOMIC_ACQUIRE))
		return true; /* it made it after all */
	free_stack(ticket);
	return false;
}

/* Starts every enabled CPU of the MADT but the BSP, one at a time; returns how many failed. */
static u32 start_listed_aps(const struct madt_info *m, struct trampoline_params *p, u64 page)
{
	u32 failed = 0;
	for (u32 i = 0; i < m->ncpus; i++) {
		u32 apic_id = m->cpus[i].apic_id;
		if (apic_id == percpu_table[0].apic_id)
			continue;
		if (apic_id > 0xFF && !lapic_x2apic_mode()) {
			log_error("smp: CPU with APIC id %u needs x2APIC mode; left out\n", apic_id);
			failed++;
		} else if (start_ap(apic_id, p, page)) {
			u32 got = percpu_table[cpu_count].apic_id;
			if (got != apic_id)
				log_warn("smp: started APIC id %u, but APIC id %u answered\n", apic_id, got);
			log_info("smp: CPU %u (APIC id %u) online\n", cpu_count, got);
			cpu_count++;
		} else {
			log_error("smp: CPU with APIC id %u did not come online; left out\n", apic_id);
			failed++;
		}
	}
	return failed;
}

/*
 * Without a MADT (OVMF under Bochs installs no ACPI tables), every AP is
 * started at once with a broadcast INIT-SIPI-SIPI; each takes a ticket as it
 * arrives. We wait until no new CPU has arrived for a while.
 */
static void start_all_aps(struct trampoline_params *p, u64 page)
{
	if (!alloc_stacks(0, MAX_CPUS - 1))
		return;
	__atomic_store_n(&p->max, MAX_CPUS - 1, __ATOMIC_RELEASE);
	send_init_sipi_sipi(LAPIC_ALL_BUT_SELF, page);
	u64 end = time_now_ns() + ONLINE_TIMEOUT_NS;
	u64 quiet_since = time_now_ns();
	u32 arrived = 0;
	while (time_now_ns() < end) {
		u32 now = (u32)MIN(__atomic_load_n(&p->ticket, __ATOMIC_ACQUIRE), (u64)MAX_CPUS - 1);
		if (now != arrived) {
			arrived = now;
			quiet_since = time_now_ns();
		}
		bool all_online = true;
		for (u32 i = 1; i <= arrived; i++)
			all_online &= __atomic_load_n(&percpu_table[i].online, __ATOMIC_ACQUIRE) != 0;
		if (all_online && time_now_ns() - quiet_since >= BROADCAST_QUIET_NS)
			break;
		cpu_relax();
	}
	for (u32 i = 1; i <= arrived; i++) {
		struct percpu *c = &percpu_table[i];
		if (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE))
			panic("smp: CPU %u took a start-up ticket but never came online", i);
		log_info("smp: CPU %u (APIC id %u) online\n", i, c->apic_id);
	}
	cpu_count = 1 + arrived;
	for (u32 t = arrived; t < MAX_CPUS - 1; t++)
		free_stack(t);
}

/* The CPUs the MADT lists; false (said loudly) when there is no usable MADT. */
static bool read_madt(const struct boot_info *bi, struct madt_info *m)
{
	char err[160];
	u64 pa;
	u32 len;
	if (acpi_find_table(bi->rsdp, "APIC", 0, &pa, &len, err, sizeof(err)) ||
	    acpi_parse_madt((const void *)(uintptr_t)pa, len, m, err, sizeof(err))) {
		log_warn("smp: %s; starting CPUs by broadcast instead\n", err);
		return false;
	}
	if (m->beyond_max)
		log_warn("smp: %u CPU(s) beyond the limit of %u left out\n", m->beyond_max, MAX_CPUS);
	return true;
}

void smp_init(const struct boot_info *bi)
{
	static struct madt_info madt;
	bool have_madt = hv_options.smp && read_madt(bi, &madt);
	time_init();
	lapic_init_bsp(have_madt ? madt.lapic_base : 0);
	lapic_timer_calibrate();
	mm_platform_set_clock(time_now_ns);

	struct percpu *bsp = &percpu_table[0];
	bsp->id = 0;
	bsp->apic_id = lapic_id();
	cpu_count = 1;
	percpu_bind(bsp);
	irq_init();
	sched_init_bsp();

	u32 failed = 0;
	u64 cr3_low = low_pml4();
	if (!hv_options.smp)
		log_info("smp: smp=off, using the boot CPU only\n");
	else if (!bi->trampoline)
		log_error("smp: the boot path reserved no trampoline page; running on the boot CPU only\n");
	else if ((bi->trampoline & (PAGE_SIZE - 1)) || bi->trampoline >= SIPI_LIMIT)
		log_error("smp: trampoline page 0x%lx is not a page below 1 MiB (a start-up IPI cannot reach it);"
			  " running on the boot CPU only\n", (unsigned long)bi->trampoline);
	else if (!cr3_low)
		log_error("smp: no page below 4 GiB for the APs' page table; running on the boot CPU only\n");
	else if (have_madt)
		failed = start_listed_aps(&madt, install_trampoline(bi->trampoline, cr3_low), bi->trampoline);
	else
		start_all_aps(install_trampoline(bi->trampoline, cr3_low), bi->trampoline);
	kprintf("hv: smp: %u CPU(s) online", cpu_count);
	if (failed)
		kprintf(", %u failed to start", failed);
	kprintf("\n");
	sched_start_tick();
}

struct on_each_cpu_call {
	void (*fn)(void *);
	void *arg;
};

static void on_each_cpu_thread(void *p)
{
	struct on_each_cpu_call *call = p;
	call->fn(call->arg);
}

/* Joinable threads: their stacks are back when this returns, so a caller
 * that counts free pages around it (hv/runner/run.c) sees none missing. */
void smp_on_each_cpu(void (*fn)(void *), void *arg)
{
	struct on_each_cpu_call call = { fn, arg };
	struct thread *threads[MAX_CPUS];
	u32 n = cpu_count;
	for (u32 i = 0; i < n; i++) {
		threads[i] = kthread_create_joinable("on-each-cpu", on_each_cpu_thread, &call, (int)i);
		if (!threads[i])
			panic("smp_on_each_cpu: out of memory for a thread");
	}
	for (u32 i = 0; i < n; i++)
		kthread_join(threads[i]);
}
