/* Internal to svm/: per-vCPU backend state and the pieces the files share. */
#ifndef SVM_SVM_H
#define SVM_SVM_H

#include "types.h"
#include "hv/vm/vcpu.h"
#include "svm/vmcb.h"
#include "x86.h"

#define MSR_VM_CR       0xC0010114u
#define VM_CR_LOCK      (1ull << 3)
#define VM_CR_SVMDIS    (1ull << 4)
#define MSR_VM_HSAVE_PA 0xC0010117u

/* CPUID 0x8000000A EDX: optional SVM features this backend uses when present. */
#define SVM_FEATURE_NPT          (1u << 0)
#define SVM_FEATURE_NRIP         (1u << 3)
#define SVM_FEATURE_FLUSH_BY_ASID (1u << 6)

struct svm_caps {
	u32 features;  /* CPUID 0x8000000A EDX */
	u32 nasids;    /* CPUID 0x8000000A EBX: ASIDs 1..nasids-1 are usable by guests */
};
extern struct svm_caps svm_caps;

struct svm_vcpu {
	struct vmcb *vmcb;       /* one page, identity-mapped: pointer == physical address */
	u32 asid;
	bool flush_pending;      /* flush this vCPU's translations at the next VMRUN */
	bool entered;            /* VMRUN was issued at least once */
	u64 exit_rip;            /* guest RIP at the last exit: the interrupt shadow holds only there */
	bool nmi_blocked;        /* an NMI was delivered and its IRET has not completed */
	bool awaiting_iret;      /* the IRET intercept fired at iret_rip: unblocked once RIP moves on */
	u64 iret_rip;
};

/* What SVM keeps per physical CPU (hv/cpu/percpu.h's `vendor` points here),
 * two pages from palloc: the host-save area, then the host VMCB. */
#define SVM_CPU_PAGES 2
struct svm_cpu {
	u64 host_save_pa;  /* VM_HSAVE_PA: where VMRUN keeps the host state; 0 while SVM is off here */
	u64 host_vmcb_pa;  /* VMSAVE/VMLOAD keep the host FS/GS/TR/LDTR/syscall MSRs here around VMRUN */
	u64 asid_used;     /* bit n: ASID n tags a vCPU pinned to this CPU (svm/asid.c) */
};

static inline struct svm_vcpu *to_svm(struct vcpu *vcpu) { return vcpu->vendor; }

/* svm_entry.asm: VMRUN `vmcb_pa` with the other GPRs from/to `regs`, host FS/GS/TR/... kept in
 * `host_vmcb_pa`. Called and returns with interrupts disabled; physical interrupts end the guest. */
void svm_enter(struct vcpu_regs *regs, u64 vmcb_pa, u64 host_vmcb_pa);

/* svm_exit.c */
void svm_decode_exit(struct vcpu *vcpu, struct vm_exit *exit);
const char *svm_exit_code_name(u64 code);
const char *svm_explain_invalid(const struct vmcb *vmcb);

/* svm_vcpu.c: the per-vCPU operations */
const char *svm_vcpu_create(struct vcpu *vcpu);
void svm_vcpu_destroy(struct vcpu *vcpu);
void svm_run(struct vcpu *vcpu, struct vm_exit *exit);
void svm_inject_event(struct vcpu *vcpu, const struct vcpu_event *event);
bool svm_irq_allowed(struct vcpu *vcpu);
bool svm_nmi_allowed(struct vcpu *vcpu);
void svm_request_irq_window(struct vcpu *vcpu);
void svm_request_nmi_window(struct vcpu *vcpu);
void svm_set_root(struct vcpu *vcpu, u64 root);
void svm_set_tsc_offset(struct vcpu *vcpu, u64 offset);
void svm_flush_tlb(struct vcpu *vcpu);
void svm_dump(struct vcpu *vcpu);

/* npt.c: the NPT entry format handed to mm/ */
extern const struct spte_format npt_format;

/* svm_state.c */
void svm_get_sregs(struct vcpu *vcpu, struct vcpu_sregs *sregs);
void svm_set_sregs(struct vcpu *vcpu, const struct vcpu_sregs *sregs);
bool svm_get_msr(struct vcpu *vcpu, u32 index, u64 *value);
bool svm_set_msr(struct vcpu *vcpu, u32 index, u64 value);

/* asid.c */
u32 svm_asid_alloc(void);
void svm_asid_free(u32 asid);

/* svm.c */
u64 svm_iopm_pa(void);
u64 svm_msrpm_pa(void);
u64 svm_host_vmcb_pa(void); /* this CPU's (struct svm_cpu) */

#endif
