#include "idt.h"
#include "cpu.h"
#include "tap.h"

/* What the assembly stubs (isr32.asm / isr64.asm) hand to exception_handler. */
struct exception_frame {
	unsigned long vector, error; /* error is 0 for vectors without one */
	unsigned long ip, cs, flags; /* pushed by the CPU */
};

#ifdef __x86_64__
struct idt_gate {
	u16 offset_low, selector;
	u8 ist, type;
	u16 offset_mid;
	u32 offset_high, reserved;
};
#define CODE_SELECTOR SEL_CODE64
#else
struct idt_gate {
	u16 offset_low, selector;
	u8 zero, type;
	u16 offset_high;
};
#define CODE_SELECTOR SEL_CODE32
#endif
#define GATE_INTERRUPT_PRESENT 0x8E /* present, DPL 0, interrupt gate */

extern const unsigned long exception_stub_table[32];
extern unsigned long catch_sp; /* non-zero while catch_exception runs */
__attribute__((noreturn)) void catch_resume(unsigned long vector);

static struct idt_gate idt[256]; /* gates 32-255 are not present until irq_set_handler */
unsigned long caught_error_code;

static void set_gate(int v, unsigned long addr)
{
	struct idt_gate *g = &idt[v];
	g->offset_low = (u16)addr;
	g->selector = CODE_SELECTOR;
	g->type = GATE_INTERRUPT_PRESENT;
#ifdef __x86_64__
	g->offset_mid = (u16)(addr >> 16);
	g->offset_high = (u32)(addr >> 32);
#else
	g->offset_high = (u16)(addr >> 16);
#endif
}

void idt_init(void)
{
	for (int v = 0; v < 32; v++)
		set_gate(v, exception_stub_table[v]);
	idt_load();
}

void idt_load(void)
{
	struct __attribute__((packed)) {
		u16 limit;
		unsigned long base;
	} idtr = { sizeof(idt) - 1, (unsigned long)idt };
	__asm__ volatile("lidt %0" ::"m"(idtr));
}

const char *exception_name(int vector)
{
	static const char *const names[32] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO",
		"#TS", "#NP", "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC",
		"#XM", "#VE", "#CP",
	};
	return vector >= 0 && vector < 32 && names[vector] ? names[vector] : "reserved vector";
}

void exception_handler(struct exception_frame *f)
{
	if (catch_sp) {
		caught_error_code = f->error;
		catch_resume(f->vector);
	}
	bail_out("unexpected exception %s (vector %lu, error 0x%lx) at %lx:%lx",
		 exception_name((int)f->vector), f->vector, f->error, f->cs, f->ip);
}

#ifdef __x86_64__
extern const unsigned long irq_stub_table[256];
static void (*irq_handlers[256])(u8 vector, struct irq_frame *frame);

void irq_set_handler(u8 vector, void (*fn)(u8 vector, struct irq_frame *frame))
{
	irq_handlers[vector] = fn;
	set_gate(vector, fn ? irq_stub_table[vector] : vector < 32 ? exception_stub_table[vector] : 0);
	if (!fn && vector >= 32)
		idt[vector].type = 0; /* not present again */
}

void irq_dispatch(unsigned long vector, struct irq_frame *frame)
{
	if (!irq_handlers[vector])
		bail_out("interrupt on vector %lu with no handler (at 0x%lx)", vector, frame->rip);
	irq_handlers[vector]((u8)vector, frame);
}
#endif
