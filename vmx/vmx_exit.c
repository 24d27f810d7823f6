/*
 * Decoding a VM exit into the neutral struct vm_exit the core dispatches.
 * A few exits exist only because of VMX and are finished here: control-
 * register writes (the CR0/CR4 masks) and instructions of
 * features hidden from the guest (VMX, MONITOR/MWAIT: #UD). Those return
 * EXIT_KIND_NONE with the guest's RIP already advanced.
 */
#include "vmx/vmx.h"
#include "vmx/names.h"
#include "hv/cpu/cpu.h"

#define VECTOR_DB 1
#define VECTOR_UD 6
#define VECTOR_GP 13

static void inject_exception(struct vcpu *vcpu, u8 vector, bool has_error)
{
	struct vcpu_event ev = { .type = EVENT_EXCEPTION, .vector = vector, .has_error_code = has_error };
	vmx_inject_event(vcpu, &ev);
}

static void skip_insn(struct vcpu *vcpu)
{
	vcpu->regs.rip += vmcs_read(VMCS_EXIT_INSN_LEN);
}

/* In 64-bit code a MOV to CR takes all 64 bits of the register, elsewhere the low 32. */
static u64 operand(struct vcpu *vcpu, unsigned gpr)
{
	u64 v = vcpu->regs.gpr[gpr];
	bool code64 = (vmcs_read(VMCS_GUEST_EFER) & EFER_LMA) && (vmcs_read(VMCS_GUEST_CS_AR) & AR_L);
	return code64 ? v : (u32)v;
}

/* The architectural #GP cases of MOV to CR0 (SDM vol. 2, MOV CR). */
static bool cr0_write_faults(u64 cr0, u64 cr4, u64 efer)
{
	if (cr0 >> 32)
		return true;
	if ((cr0 & CR0_PG) && !(cr0 & CR0_PE))
		return true;
	if ((cr0 & CR0_NW) && !(cr0 & CR0_CD))
		return true;
	/* Leaving long mode is only allowed from compatibility mode. */
	if (!(cr0 & CR0_PG) && (efer & EFER_LMA) && (vmcs_read(VMCS_GUEST_CS_AR) & AR_L))
		return true;
	return (cr0 & CR0_PG) && (efer & EFER_LME) && !(cr4 & CR4_PAE);
}

/* A MOV to CR4 faults on a bit this CPU does not have (VMXE too: VMX is hidden) or on clearing PAE in long mode. */
static bool cr4_write_faults(u64 cr4, u64 efer)
{
	if (cr4 & ~(vmx_caps.cr4_fixed1 & ~CR4_VMXE))
		return true;
	return (efer & EFER_LMA) && !(cr4 & CR4_PAE);
}

static u64 visible_cr(u32 shadow, u32 mask, u32 real)
{
	u64 m = vmcs_read(mask);
	return (vmcs_read(shadow) & m) | (vmcs_read(real) & ~m);
}

static bool handle_cr_access(struct vcpu *vcpu, u64 q)
{
	u64 efer = vmcs_read(VMCS_GUEST_EFER);
	u64 cr0 = visible_cr(VMCS_CR0_SHADOW, VMCS_CR0_MASK, VMCS_GUEST_CR0);
	u64 cr4 = visible_cr(VMCS_CR4_SHADOW, VMCS_CR4_MASK, VMCS_GUEST_CR4);
	u64 value;

	switch (CRQ_TYPE(q)) {
	case CRQ_MOV_TO_CR:
		value = operand(vcpu, CRQ_GPR(q));
		if (CRQ_CR(q) == 0) {
			if (cr0_write_faults(value, cr4, efer))
				goto gp;
			bool pae_paging = (value & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LME);
			if (pae_paging && !(cr0 & CR0_PG) && !vmx_load_pdptes(vcpu, vmcs_read(VMCS_GUEST_CR3)))
				goto gp;
			vmx_set_cr0(vcpu, value);
		} else if (CRQ_CR(q) == 4) {
			if (cr4_write_faults(value, efer))
				goto gp;
			vmx_set_cr4(vcpu, value);
		} else if (CRQ_CR(q) == 3) {
			vmcs_write(VMCS_GUEST_CR3, value);
		} else {
			return false;
		}
		break;
	case CRQ_MOV_FROM_CR:
		if (CRQ_CR(q) != 3)
			return false;
		vcpu->regs.gpr[CRQ_GPR(q)] = vmcs_read(VMCS_GUEST_CR3);
		break;
	case CRQ_CLTS:
		vmx_set_cr0(vcpu, cr0 & ~(1ull << 3));
		break;
	case CRQ_LMSW: /* loads PE, MP, EM, TS; never clears PE */
		vmx_set_cr0(vcpu, (cr0 & ~0xeull) | (CRQ_LMSW_DATA(q) & 0xf) | (cr0 & CR0_PE));
		break;
	}
	skip_insn(vcpu);
	return true;
gp:
	inject_exception(vcpu, VECTOR_GP, true);
	return true;
}

static void decode_io(struct vcpu *vcpu, struct vm_exit *exit, u64 q)
{
	exit->kind = EXIT_KIND_IO;
	exit->io.port = (u16)IOQ_PORT(q);
	exit->io.size = (u8)IOQ_SIZE(q);
	exit->io.in = q & IOQ_IN;
	exit->io.string = q & IOQ_STRING;
	exit->io.rep = q & IOQ_REP;
	exit->io.data = (u32)(vcpu->regs.gpr[GPR_RAX] & (0xffffffffull >> (32 - 8 * exit->io.size)));
}

static void decode_ept_violation(struct vm_exit *exit, u64 q)
{
	exit->kind = EXIT_KIND_TDP_FAULT;
	exit->tdp.gpa = vmcs_read(VMCS_GUEST_PHYS_ADDR);
	exit->tdp.read = q & EPTQ_READ;
	exit->tdp.write = q & EPTQ_WRITE;
	exit->tdp.exec = q & EPTQ_FETCH;
	exit->tdp.present = q & 0x38; /* the entry allowed read, write or execute */
	exit->tdp.in_walk = (q & EPTQ_LINEAR_VALID) && !(q & EPTQ_FINAL_TRANSLATION);
	exit->tdp.in_event = vmcs_read(VMCS_IDT_VECTORING_INFO) & INTR_INFO_VALID;
}

/*
 * A #DB that exits has not updated DR6 (SDM 27.1): the exit qualification
 * holds B0-B3, BD and BS (and RTM, active low), which go into the guest's
 * live DR6 (hv/vm/guest_switch.c) before the core reflects the #DB.
 * INT1 (ICEBP) exits as a privileged software exception at the
 * instruction: its #DB is delivered after it, like a trap.
 */
#define DR6_B0_3_BD_BS 0x600full
#define DR6_RTM (1ull << 16)
static void debug_exception(struct vcpu *vcpu, u32 info)
{
	u64 q = to_vmx(vcpu)->exit_qual, dr6;

	asm volatile("mov %%dr6, %0" : "=r"(dr6));
	dr6 |= q & DR6_B0_3_BD_BS;
	if (q & DR6_RTM)
		dr6 &= ~DR6_RTM;
	asm volatile("mov %0, %%dr6" : : "r"(dr6));
	if (INTR_INFO_TYPE(info) == INTR_TYPE_PRIV_SW_EXCEPTION)
		skip_insn(vcpu);
}

static void decode_exception(struct vcpu *vcpu, struct vm_exit *exit)
{
	u32 info = (u32)vmcs_read(VMCS_EXIT_INTR_INFO);
	if (INTR_INFO_TYPE(info) == INTR_TYPE_NMI) {
		/* A host NMI arrived in guest mode: hand it to the host's own handler. */
		asm volatile("int $2");
		exit->kind = EXIT_KIND_NONE;
		return;
	}
	exit->kind = EXIT_KIND_EXCEPTION;
	exit->exception.vector = (u8)INTR_INFO_VECTOR(info);
	if (exit->exception.vector == VECTOR_DB)
		debug_exception(vcpu, info);
	exit->exception.has_error_code = info & INTR_INFO_HAS_ERROR;
	if (exit->exception.has_error_code)
		exit->exception.error_code = (u32)vmcs_read(VMCS_EXIT_INTR_ERROR);
}

/* Instructions of features the guest's CPUID does not have: VMX, SMX, MONITOR/MWAIT. */
static bool hidden_instruction(u32 reason)
{
	return (reason >= EXIT_REASON_VMCLEAR && reason <= EXIT_REASON_VMXON) ||
	       reason == EXIT_REASON_INVEPT || reason == EXIT_REASON_INVVPID ||
	       reason == EXIT_REASON_VMFUNC || reason == EXIT_REASON_GETSEC ||
	       reason == EXIT_REASON_MWAIT || reason == EXIT_REASON_MONITOR;
}

void vmx_decode_exit(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 reason = vmx->exit_reason & 0xffff;
	u64 q = vmx->exit_qual;

	*exit = (struct vm_exit){ .kind = EXIT_KIND_UNHANDLED };
	switch (reason) {
	case EXIT_REASON_EXCEPTION_NMI: decode_exception(vcpu, exit); break;
	case EXIT_REASON_EXTERNAL_INTR: exit->kind = EXIT_KIND_NONE; break; /* taken once IF is back on */
	case EXIT_REASON_PREEMPT_TIMER: exit->kind = EXIT_KIND_NONE; break; /* the slice ended (vmx_run) */
	case EXIT_REASON_INTR_WINDOW: /* the core injects at the next entry */
	case EXIT_REASON_NMI_WINDOW: exit->kind = EXIT_KIND_NONE; break;
	case EXIT_REASON_TRIPLE_FAULT: exit->kind = EXIT_KIND_SHUTDOWN; break;
	case EXIT_REASON_CPUID:
		exit->kind = EXIT_KIND_CPUID;
		exit->cpuid.leaf = (u32)vcpu->regs.gpr[GPR_RAX];
		exit->cpuid.subleaf = (u32)vcpu->regs.gpr[GPR_RCX];
		break;
	case EXIT_REASON_HLT: exit->kind = EXIT_KIND_HLT; break;
	case EXIT_REASON_IO: decode_io(vcpu, exit, q); break;
	case EXIT_REASON_RDMSR:
	case EXIT_REASON_WRMSR:
		exit->kind = reason == EXIT_REASON_RDMSR ? EXIT_KIND_MSR_READ : EXIT_KIND_MSR_WRITE;
		exit->msr.index = (u32)vcpu->regs.gpr[GPR_RCX];
		exit->msr.value = (vcpu->regs.gpr[GPR_RDX] << 32) | (u32)vcpu->regs.gpr[GPR_RAX];
		break;
	case EXIT_REASON_VMCALL: exit->kind = EXIT_KIND_HYPERCALL; break;
	case EXIT_REASON_EPT_VIOLATION: decode_ept_violation(exit, q); break;
	case EXIT_REASON_CR_ACCESS:
		if (CRQ_CR(q) == 8 && CRQ_TYPE(q) <= CRQ_MOV_FROM_CR) {
			exit->kind = EXIT_KIND_CR8; /* the TPR: the core's */
			exit->cr8.write = CRQ_TYPE(q) == CRQ_MOV_TO_CR;
			exit->cr8.gpr = (s8)CRQ_GPR(q);
			exit->insn_len = (u8)vmcs_read(VMCS_EXIT_INSN_LEN);
		} else if (handle_cr_access(vcpu, q))
			exit->kind = EXIT_KIND_NONE;
		break;
	case EXIT_REASON_XSETBV:
		exit->kind = EXIT_KIND_XSETBV;
		exit->xcr.index = (u32)vcpu->regs.gpr[GPR_RCX];
		exit->xcr.value = (vcpu->regs.gpr[GPR_RDX] << 32) | (u32)vcpu->regs.gpr[GPR_RAX];
		break;
	case EXIT_REASON_INVD:
	case EXIT_REASON_WBINVD: exit->kind = EXIT_KIND_CACHE; break;
	case EXIT_REASON_RDPMC: exit->kind = EXIT_KIND_RDPMC; break;
	default:
		if (hidden_instruction(reason)) {
			inject_exception(vcpu, VECTOR_UD, false);
			exit->kind = EXIT_KIND_NONE;
		}
		break;
	}
	/* Instruction exits the core completes by skipping the instruction. */
	if (exit->kind == EXIT_KIND_CPUID || exit->kind == EXIT_KIND_HLT || exit->kind == EXIT_KIND_IO ||
	    exit->kind == EXIT_KIND_MSR_READ || exit->kind == EXIT_KIND_MSR_WRITE ||
	    exit->kind == EXIT_KIND_HYPERCALL || exit->kind == EXIT_KIND_XSETBV || exit->kind == EXIT_KIND_CACHE ||
	    exit->kind == EXIT_KIND_RDPMC) /* a prefixed RDPMC is longer than 0F 33 */
		exit->insn_len = (u8)vmcs_read(VMCS_EXIT_INSN_LEN);
	if (exit->kind == EXIT_KIND_UNHANDLED) {
		exit->raw.code = reason;
		exit->raw.info1 = q;
		exit->raw.info2 = reason == EXIT_REASON_EPT_MISCONFIG ? vmcs_read(VMCS_GUEST_PHYS_ADDR) :
				  vmcs_read(VMCS_GUEST_LINEAR_ADDR);
		exit->raw.what = vmx_exit_reason_name(reason);
	}
}
