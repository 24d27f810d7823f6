/*
 * The vendor seam: the only way hv/ talks to the virtualization hardware.
 *
 * svm/ (AMD SVM) and vmx/ (Intel VT-x) each fill one `struct vendor_ops`.
 * The core never sees a control-block offset, a VMCS field or a vendor exit code:
 * a backend translates its exit into the neutral `struct vm_exit` below and
 * the core decides what to do with it (hv/vm/exit_dispatch.c). Guest state crosses the
 * seam in neutral form too (`struct vcpu_regs`, `struct vcpu_sregs`).
 *
 * Register ownership: the core reads and writes the vCPU's general purpose
 * registers, RIP and RFLAGS only through `vcpu->regs`. ops->run() loads
 * them into the hardware before entry and stores them back after the exit,
 * so a handler just edits `vcpu->regs` (e.g. sets RAX, advances RIP).
 * Everything else (segments, control registers, EFER, descriptor tables)
 * goes through get_sregs()/set_sregs(). Start states (real, protected,
 * long mode) are built once in neutral form by the core (vcpu_reset() in
 * hv/vm/vcpu.c) and handed to set_sregs().
 */
#ifndef HV_VENDOR_H
#define HV_VENDOR_H

#include "types.h"

struct vcpu;
struct spte_format; /* mm/spte.h: how this vendor's EPT/NPT entries look */

/*
 * General purpose registers in the hardware's encoding order (the number an
 * instruction's ModRM/REX fields give a register indexes `gpr[]`), then RIP
 * and RFLAGS. Entry stubs save and restore the guest's GPRs here; the
 * order is fixed (asm depends on it), so only append.
 */
enum vcpu_gpr {
	GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
	GPR_COUNT
};

struct vcpu_regs {
	u64 gpr[GPR_COUNT]; /* offset 8 * enum vcpu_gpr */
	u64 rip;            /* offset 128 */
	u64 rflags;         /* offset 136 */
};

/* A segment register in neutral form (the fields of a descriptor, unpacked). */
struct vcpu_segment {
	u16 selector;
	u64 base;
	u32 limit;    /* in bytes, already scaled by G */
	u8 type;      /* 4-bit descriptor type */
	u8 s;         /* 1: code/data, 0: system */
	u8 dpl;
	u8 present;
	u8 avl;
	u8 l;         /* 64-bit code */
	u8 db;        /* default operand size / big */
	u8 g;         /* granularity (limit is already scaled; kept for round trips) */
	u8 unusable;  /* VT-x "unusable" (a null selector loaded in protected mode) */
};

struct vcpu_dtable {
	u64 base;
	u16 limit;
};

enum vcpu_seg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_COUNT };

/* Guest system state that is not in `struct vcpu_regs`. */
struct vcpu_sregs {
	struct vcpu_segment seg[SEG_COUNT]; /* indexed by enum vcpu_seg (hardware order) */
	struct vcpu_segment tr, ldtr;
	struct vcpu_dtable gdt, idt;
	u64 cr0, cr2, cr3, cr4;
	u64 efer;
	/* The current privilege level as the CPU has it (SVM keeps it apart,
	 * and SS.DPL need not match it; VT-x: SS.DPL, which is CPL there).
	 * get_sregs only: set_sregs derives it from SS. */
	u8 cpl;
};

/* An event to deliver to the guest at the next entry. */
enum vcpu_event_type {
	EVENT_EXT_INTR,     /* external interrupt (vector from a device/APIC) */
	EVENT_NMI,
	EVENT_EXCEPTION,    /* hardware exception, e.g. #GP, #UD */
	EVENT_SOFT_INTR,    /* INTn */
};

struct vcpu_event {
	u8 type;            /* enum vcpu_event_type */
	u8 vector;
	bool has_error_code;
	u32 error_code;
};

/* What made the guest stop running, decoded by the backend. */
enum exit_kind {
	EXIT_KIND_NONE,         /* nothing for the core to do (e.g. host interrupt, NMI): re-enter */
	EXIT_KIND_IO,           /* IN/OUT/INS/OUTS */
	EXIT_KIND_MSR_READ,     /* RDMSR */
	EXIT_KIND_MSR_WRITE,    /* WRMSR */
	EXIT_KIND_CPUID,
	EXIT_KIND_HLT,
	EXIT_KIND_HYPERCALL,    /* VMCALL or VMMCALL (whichever this CPU traps natively) */
	EXIT_KIND_XSETBV,       /* XSETBV (CPL 0 and CR4.OSXSAVE already checked by the CPU) */
	EXIT_KIND_CACHE,        /* INVD or WBINVD: the caches are shared with the host and other VMs */
	EXIT_KIND_RDPMC,        /* RDPMC: the counters are the host's */
	EXIT_KIND_TDP_FAULT,    /* EPT violation / nested page fault */
	EXIT_KIND_EXCEPTION,    /* an intercepted guest exception (e.g. #UD of the other vendor's hypercall) */
	EXIT_KIND_CR8,          /* MOV to/from CR8: the local APIC's TPR (hv/vm/vcpu_intr.c) */
	EXIT_KIND_SHUTDOWN,     /* triple fault */
	EXIT_KIND_ENTRY_FAILED, /* the hardware refused the guest state (SVM invalid-state exit / VM-entry failure) */
	EXIT_KIND_UNHANDLED,    /* anything else: the VM stops, ops->dump() explains */
	EXIT_KIND_COUNT
};

struct vm_exit {
	enum exit_kind kind;
	/* Length of the exiting instruction, 0 when unknown. The backend fills
	 * it for every exit the core completes by skipping the instruction
	 * (IO, MSR, CPUID, HLT, HYPERCALL, XSETBV, CACHE). */
	u8 insn_len;
	/* insn_len is the opcode's alone (SVM without next-RIP saving): the core
	 * adds the prefixes at RIP, after the exit, never inside the backend's run. */
	bool insn_len_without_prefixes;
	union {
		struct {
			u16 port;
			u8 size;         /* 1, 2 or 4 bytes */
			bool in;         /* true: IN/INS, false: OUT/OUTS */
			bool string;     /* INS/OUTS */
			bool rep;        /* REP prefix */
			u32 data;        /* OUT: the value written (low `size` bytes of RAX) */
		} io;
		struct {
			u32 index;       /* ECX */
			u64 value;       /* WRMSR: EDX:EAX */
		} msr;
		struct {
			u32 index;       /* ECX */
			u64 value;       /* EDX:EAX */
		} xcr;
		struct {
			u32 leaf;        /* EAX */
			u32 subleaf;     /* ECX */
		} cpuid;
		struct {
			u64 gpa;
			bool read, write, exec;
			bool present;    /* a translation existed (permission fault) */
			bool in_walk;    /* during the guest's own page-table walk */
			bool in_event;   /* while delivering an event (IDT, GDT or stack access): re-delivered at the next entry */
		} tdp;
		struct {
			u8 vector;
			bool has_error_code;
			u32 error_code;
		} exception;
		struct {
			bool write;      /* MOV to CR8 */
			s8 gpr;          /* the other operand; -1: unknown (the core decodes the instruction) */
		} cr8;
		struct {
			u64 code;        /* the vendor's own exit code: printed, never interpreted */
			u64 info1, info2;
			const char *what;/* short vendor text, e.g. an invalid-state exit or an entry failure cause */
		} raw;                   /* EXIT_KIND_ENTRY_FAILED, EXIT_KIND_UNHANDLED */
	};
};

/*
 * The CPU operations. Returned strings are complete messages for the user.
 *
 * Invariant (the core's promise to the backends): every op that takes a
 * vcpu (vcpu_create, set_sregs, run, ..., vcpu_destroy) is called on that
 * vCPU's own thread, which is pinned to one CPU that vendor_cpu_ready()
 * said is ready. So a vCPU's control structure is only ever loaded on one
 * CPU, the host state a backend records at vcpu_create (GDTR, TR, GS base:
 * hv/cpu/percpu.h) is that CPU's, and the per-CPU state a backend hangs on
 * this_cpu()->vendor (its host-save areas, its tags for guest TLB entries)
 * is the one the vCPU always uses. VT-x checks it at every VMCS load
 * (vmx_load_vmcs panics when a VMCS active on one CPU is used on another).
 */
struct vendor_ops {
	const char *name; /* "svm" or "vmx" */

	/* The banner's line: writes what this CPU offers of the vendor's extension
	 * ("SVM yes, NPT yes, ..."); false when the CPU lacks the extension altogether. */
	bool (*describe)(char *buf, u32 len);
	/* NULL when this CPU can run guests, else why not ("SVM disabled by firmware (VM_CR.SVMDIS)"). */
	const char *(*probe)(void);
	/* Turn virtualization on for the calling CPU; NULL on success, else why it failed. */
	const char *(*enable_cpu)(void);

	/* Allocate backend state (vcpu->vendor) and give the vCPU a valid
	 * power-on state; NULL, or why it could not ("out of memory", ...). */
	const char *(*vcpu_create)(struct vcpu *vcpu);
	void (*vcpu_destroy)(struct vcpu *vcpu);

	/* Enter the guest until the next exit, then decode it into *exit.
	 * Loads vcpu->regs before entry and stores them after. */
	void (*run)(struct vcpu *vcpu, struct vm_exit *exit);

	void (*get_sregs)(struct vcpu *vcpu, struct vcpu_sregs *sregs);
	/* Also keeps derived state consistent (EFER.LMA, the IA-32e control, real mode). */
	void (*set_sregs)(struct vcpu *vcpu, const struct vcpu_sregs *sregs);

	/*
	 * Guest MSRs that belong to the CPU state the hardware switches with the
	 * guest: SYSENTER_CS/ESP/EIP (0x174-0x176), PAT (0x277), STAR, LSTAR,
	 * CSTAR, SFMASK (0xC0000081-84) and KERNEL_GS_BASE (0xC0000102). The
	 * core's allow-list (hv/vm/msr.c) decides who may touch them and checks the
	 * values; these only move them. false: not an MSR this backend holds.
	 * (EFER, FS_BASE and GS_BASE go through get_sregs/set_sregs.)
	 */
	bool (*get_msr)(struct vcpu *vcpu, u32 index, u64 *value);
	bool (*set_msr)(struct vcpu *vcpu, u32 index, u64 value);

	/* Deliver the event at the next entry (one pending event at a time). */
	void (*inject_event)(struct vcpu *vcpu, const struct vcpu_event *event);

	/*
	 * Interrupt delivery (hv/vm/vcpu_intr.c). irq_allowed: at the next
	 * entry the guest can take an external interrupt (RFLAGS.IF=1, no STI
	 * or MOV-SS shadow at that instruction, no event already queued).
	 * nmi_allowed: the same for an NMI (not blocked by an NMI before its
	 * IRET, no MOV-SS/STI shadow, no event queued). The windows: exit as
	 * soon as the guest can take one (VT-x interrupt/NMI-window exiting;
	 * SVM V_IRQ with the VINTR intercept, IRET intercept). A window holds
	 * for the next entry only: the core asks again before each.
	 */
	bool (*irq_allowed)(struct vcpu *vcpu);
	bool (*nmi_allowed)(struct vcpu *vcpu);
	void (*request_irq_window)(struct vcpu *vcpu);
	void (*request_nmi_window)(struct vcpu *vcpu);

	/* The guest's TSC is the host's plus `offset` from the next entry on (RDTSC, RDTSCP). */
	void (*set_tsc_offset)(struct vcpu *vcpu, u64 offset);

	/* Use `root` (host-physical address of the top EPT/NPT table) from the
	 * next entry on; implies a flush of this vCPU's guest translations. */
	void (*set_root)(struct vcpu *vcpu, u64 root);
	/* Flush this vCPU's guest TLB (guest-physical and combined) before the next entry. */
	void (*flush_tlb)(struct vcpu *vcpu);

	/* Print the essential guest state and the last exit (for a VM that stops unexpectedly). */
	void (*dump)(struct vcpu *vcpu);

	/* The second-level page-table entry format that mm/ builds for this vendor. */
	const struct spte_format *spte;
};

/* The backend in use, set once by vendor_select() at boot (hv/vm/vendor.c). */
extern const struct vendor_ops *vendor;

/* Prints one line per virtualization extension the CPU has ("hv: cpu <vendor>: ..."), or says it has none. */
void vendor_print_features(const char *cpu_vendor);

/* Probe the backends (SVM, then VMX); NULL when one was chosen, else the last reason none fits. */
const char *vendor_select(void);

/*
 * After vendor_select(): ops->enable_cpu on every online CPU (hv/cpu/smp.h). A
 * CPU that fails is reported ("hv: CPU n: cannot run guests: ...") and left
 * out. NULL when at least the boot CPU (0) is ready, else the reason it is not.
 */
const char *vendor_enable_all_cpus(void);
/* True when virtualization is on for this CPU: only such CPUs get vCPU threads. */
bool vendor_cpu_ready(u32 cpu);

extern const struct vendor_ops svm_ops; /* svm/ */
extern const struct vendor_ops vmx_ops; /* vmx/ */

const char *exit_kind_name(enum exit_kind kind);

#endif
