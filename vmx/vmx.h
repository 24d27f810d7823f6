/* Internal to vmx/: per-vCPU backend state and the pieces the files share. */
#ifndef VMX_VMX_H
#define VMX_VMX_H

#include "types.h"
#include "hv/vm/vcpu.h"
#include "vmx/caps.h"
#include "vmx/insn.h"
#include "vmx/vmcs.h"

#define VMX_LAZY_MSRS 5 /* STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE */

struct vmx_vcpu {
	void *vmcs;              /* one page, identity-mapped: pointer == physical address */
	u64 vmcs_pa;
	u32 cpu;                 /* the CPU the VMCS is active on; VMX_NO_CPU before its first load */
	bool launched;           /* VMLAUNCH done: the next entry is VMRESUME */
	u16 vpid;                /* 0 when VPID is not used */
	u64 eptp;                /* 0 until the core gives a root */
	bool flush_pending;      /* INVEPT (and INVVPID) before the next entry */
	u64 cr2;                 /* not in the VMCS: the entry stub swaps it */
	u64 lazy_msr[VMX_LAZY_MSRS]; /* guest values of the MSRs VMX does not switch */
	u32 event_info;          /* VM-entry interruption information for the next entry (0: none) */
	u32 event_error;
	u32 event_insn_len;
	u64 exit_rip;            /* guest RIP at the last exit, to see when the core skipped an insn */
	u32 windows;             /* PROC_*_WINDOW_EXITING the core asked for, for the next entry */
	u32 proc_ctl;            /* the primary processor controls in the VMCS */
	u32 exit_reason;         /* last exit, for dump() */
	u64 exit_qual;
	char fail_msg[256];      /* why the last entry failed (vm_exit.raw.what points here) */
	/* The host's software path per exit: TSC from a VM exit to the next entry. */
	u64 exit_tsc;            /* TSC at the last exit, 0 before the first */
	u64 host_tsc;            /* summed over handled exits */
	u64 handled_exits;
};

static inline struct vmx_vcpu *to_vmx(struct vcpu *vcpu) { return vcpu->vendor; }

/* The capabilities and chosen controls, shared by all CPUs (probe fills them). */
extern struct vmx_caps vmx_caps;
extern struct vmx_config vmx_cfg;

/* What VMX keeps per physical CPU (hv/cpu/percpu.h's `vendor` points here). */
#define VMX_NO_CPU (~0u)

struct vmx_cpu {
	u64 vmxon_pa;             /* the VMXON region; 0 while VMX is off on this CPU */
	u64 current_vmcs;         /* the VMCS VMPTRLD made current here, 0 for none */
	bool lazy_valid;          /* lazy_msr holds what the CPU holds */
	u64 lazy_msr[VMX_LAZY_MSRS];
};

/* This CPU's VMX state (valid once vmx_enable_cpu ran on it). */
struct vmx_cpu *vmx_this_cpu(void);

/* The VM-instruction error of the last failed VMX instruction (0 if none). */
static inline u64 vmcs_read_error(void)
{
	u64 v = 0;
	vmread_checked(VMCS_INSN_ERROR, &v);
	return v;
}

/* VMREAD/VMWRITE of the current VMCS; a failure is a hypervisor bug and panics with the field. */
u64 vmcs_read(u32 field);
void vmcs_write(u32 field, u64 value);

/* vmx_entry.asm: enter the guest with GPRs (but RSP) from regs and CR2 from *cr2;
 * returns 0 after a VM exit (regs and *cr2 hold the guest's), 1 for VMfailInvalid,
 * 2 for VMfailValid (the VM-instruction error field says why). */
int vmx_enter(struct vcpu_regs *regs, u64 *cr2, u64 launched);
/* The host RIP of every VMCS: where a VM exit lands inside vmx_enter. */
void vmx_exit_landing(void);

/* vmcs_setup.c: VMCS set-up */
void vmx_setup_vmcs(struct vcpu *vcpu);
/* The host's TR selector (0 when no TSS is loaded: VM exits then fail). */
u16 vmx_host_tr(void);
/* vmx_state.c: guest state in neutral form, and the controls it implies */
void vmx_get_sregs(struct vcpu *vcpu, struct vcpu_sregs *sregs);
void vmx_set_sregs(struct vcpu *vcpu, const struct vcpu_sregs *sregs);
/* Apply a guest write to CR0 (value as the guest sees it): shadow, real CR0, EFER.LMA, IA-32e control. */
void vmx_set_cr0(struct vcpu *vcpu, u64 cr0);
void vmx_set_cr4(struct vcpu *vcpu, u64 cr4);
/* PAE paging outside long mode: load the four PDPTEs at cr3 into the (current)
 * VMCS, as the CPU does when paging is turned on; false (#GP) when one is invalid. */
bool vmx_load_pdptes(struct vcpu *vcpu, u64 cr3);
/* Test knob: give the guest a TR that is not a busy TSS, so that VM entry fails (VMCS current). */
void vmx_break_guest_state(struct vcpu *vcpu);

/* vmx_exit.c: decoding an exit (with the current VMCS) */
void vmx_decode_exit(struct vcpu *vcpu, struct vm_exit *exit);

/* vmx_fail.c: explaining failed entries */
void vmx_entry_failure(struct vcpu *vcpu, u32 reason, struct vm_exit *exit);
void vmx_insn_failure(struct vcpu *vcpu, int fail, struct vm_exit *exit);
void vmx_dump(struct vcpu *vcpu);

/* vpid.c: a VPID per live vCPU (0: none free; the vCPU then runs without one) */
u16 vmx_vpid_alloc(void);
void vmx_vpid_free(u16 vpid);

/* vmx_vcpu.c: the per-vCPU operations */
const char *vmx_vcpu_create(struct vcpu *vcpu);
void vmx_vcpu_destroy(struct vcpu *vcpu);
void vmx_run(struct vcpu *vcpu, struct vm_exit *exit);
void vmx_inject_event(struct vcpu *vcpu, const struct vcpu_event *event);
bool vmx_irq_allowed(struct vcpu *vcpu);
bool vmx_nmi_allowed(struct vcpu *vcpu);
void vmx_request_irq_window(struct vcpu *vcpu);
void vmx_request_nmi_window(struct vcpu *vcpu);
void vmx_set_tsc_offset(struct vcpu *vcpu, u64 offset);
void vmx_set_root(struct vcpu *vcpu, u64 root);
void vmx_flush_tlb(struct vcpu *vcpu);
/* Make this vCPU's VMCS the current one on this CPU. */
void vmx_load_vmcs(struct vcpu *vcpu);
/* Every operation on a vCPU's VMCS runs between these: interrupts off (no
 * preemption, so no other thread makes its VMCS current under our VMREADs and
 * VMWRITEs) and this vCPU's VMCS current. Nothing in between may print or
 * take a lock a preempted thread could hold. */
u64 vmx_vmcs_begin(struct vcpu *vcpu);
void vmx_vmcs_end(u64 flags);

/* vmx.c: the I/O and MSR bitmaps every VMCS points at */
u64 vmx_io_bitmap_a_pa(void);
u64 vmx_io_bitmap_b_pa(void);
u64 vmx_msr_bitmap_pa(void);

/* guest_msrs.c: guest state the VMCS does not switch */
bool vmx_get_msr(struct vcpu *vcpu, u32 index, u64 *value);
bool vmx_set_msr(struct vcpu *vcpu, u32 index, u64 value);
/* Put the guest's syscall MSRs in this CPU before entry (only what differs). */
void vmx_load_lazy_state(struct vcpu *vcpu);

/* vmx.c: detection and VMXON */
const char *vmx_probe(void);
const char *vmx_enable_cpu(void);

#endif
