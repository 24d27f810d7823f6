/* Decoding an SVM #VMEXIT into the neutral struct vm_exit the core dispatches. */
#include "svm/svm.h"
#include "x86.h"

/* Instruction lengths for CPUs without next-RIP saving (QEMU TCG: NRIP is 0),
 * without prefixes: set_insn_len says so and the core adds those at RIP. */
#define LEN_CPUID 2
#define LEN_HLT 1
#define LEN_MSR 2
#define LEN_VMMCALL 3
#define LEN_XSETBV 3
#define LEN_INVD 2 /* and WBINVD */
#define LEN_RDPMC 2
#define VECTOR_UD 6

/* Without next-RIP saving the length is the opcode's alone; CPUID, RDMSR and
 * the others take (and ignore) operand-size, segment, REP and REX prefixes,
 * which the core adds after the exit (guest_insn_prefixes): reading guest
 * memory here, with interrupts off and the vCPU still "in guest mode", could
 * stall a memslot update waiting for it. */
static void set_insn_len(struct vm_exit *exit, const struct vmcb *vmcb, u8 known)
{
	if ((svm_caps.features & SVM_FEATURE_NRIP) && vmcb->control.next_rip) {
		exit->insn_len = (u8)(vmcb->control.next_rip - vmcb->save.rip);
		return;
	}
	exit->insn_len = known;
	exit->insn_len_without_prefixes = true;
}

static void decode_io(const struct vmcb *vmcb, struct vm_exit *exit)
{
	u64 info = vmcb->control.exit_info1;

	exit->kind = EXIT_KIND_IO;
	exit->io.port = (u16)(info >> IOIO_PORT_SHIFT);
	exit->io.size = (info & IOIO_SIZE32) ? 4 : (info & IOIO_SIZE16) ? 2 : 1;
	exit->io.in = info & IOIO_IN;
	exit->io.string = info & IOIO_STRING;
	exit->io.rep = info & IOIO_REP;
	exit->io.data = (u32)(vmcb->save.rax & (0xffffffffull >> (32 - 8 * exit->io.size)));
	/* EXITINFO2 holds the next RIP for IOIO, with or without NRIP. */
	exit->insn_len = (u8)(vmcb->control.exit_info2 - vmcb->save.rip);
}

static void decode_npf(const struct vmcb *vmcb, struct vm_exit *exit)
{
	u64 info = vmcb->control.exit_info1;

	exit->kind = EXIT_KIND_TDP_FAULT;
	exit->tdp.gpa = vmcb->control.exit_info2;
	exit->tdp.write = info & NPF_WRITE;
	exit->tdp.exec = info & NPF_FETCH;
	exit->tdp.read = !exit->tdp.write && !exit->tdp.exec;
	exit->tdp.present = info & NPF_PRESENT;
	exit->tdp.in_walk = info & NPF_IN_WALK;
	exit->tdp.in_event = vmcb->control.exit_int_info & EVENT_VALID;
}

#define CR4_RESERVED 0xffffffff00008000ull /* bit 15 and 32-63: reserved on every CPU */

/*
 * VMRUN says only "invalid" (AMD APM vol. 2, "Canonicalization and
 * Consistency Checks"): name the first rule the saved guest state breaks.
 * The save area is read as it was entered, before anything rebuilds it.
 */
const char *svm_explain_invalid(const struct vmcb *vmcb)
{
	const struct vmcb_save *s = &vmcb->save;
	const struct vmcb_control *c = &vmcb->control;

	if (!(s->efer & EFER_SVME))
		return "VMRUN refused the guest state: guest EFER.SVME is clear";
	if (c->asid == 0)
		return "VMRUN refused the guest state: ASID 0 is the host's";
	if (!(c->intercept_misc2 & INTERCEPT2_VMRUN))
		return "VMRUN refused the guest state: the VMRUN intercept is clear";
	if ((s->cr0 & CR0_NW) && !(s->cr0 & CR0_CD))
		return "VMRUN refused the guest state: CR0.NW set without CR0.CD";
	if ((s->cr0 >> 32) || (s->dr6 >> 32) || (s->dr7 >> 32))
		return "VMRUN refused the guest state: upper 32 bits of CR0, DR6 or DR7 set";
	if (s->cr4 & CR4_RESERVED)
		return "VMRUN refused the guest state: reserved CR4 bits set";
	if ((s->efer & EFER_LME) && (s->cr0 & CR0_PG) && (s->cs.attrib & SEG_ATTR_L) && (s->cs.attrib & SEG_ATTR_DB))
		return "VMRUN refused the guest state: CS.L and CS.D both set in long mode";
	return "VMRUN refused the guest state (VMEXIT_INVALID; no known rule broken, see the dump)";
}

/* Exceptions that push an error code (#DF, #TS, #NP, #SS, #GP, #PF, #AC). */
static bool has_error_code(u8 vector)
{
	return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17;
}

void svm_decode_exit(struct vcpu *vcpu, struct vm_exit *exit)
{
	const struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u64 code = vmcb->control.exit_code;

	*exit = (struct vm_exit){ .kind = EXIT_KIND_UNHANDLED };
	if ((u32)code == VMEXIT_INVALID) {
		exit->kind = EXIT_KIND_ENTRY_FAILED;
		exit->raw.what = svm_explain_invalid(vmcb);
	} else if (code >= VMEXIT_EXCEPTION_BASE && code < VMEXIT_EXCEPTION_BASE + 32) {
		exit->kind = EXIT_KIND_EXCEPTION;
		exit->exception.vector = (u8)(code - VMEXIT_EXCEPTION_BASE);
		exit->exception.has_error_code = has_error_code(exit->exception.vector);
		exit->exception.error_code = (u32)vmcb->control.exit_info1;
	} else {
		switch (code) {
		case VMEXIT_INTR:
		case VMEXIT_NMI:
			exit->kind = EXIT_KIND_NONE; /* the host takes it after STGI */
			break;
		case VMEXIT_VINTR: /* an interrupt window opened */
		case VMEXIT_IRET:  /* an NMI's IRET (svm_vcpu.c: after_exit) */
			exit->kind = EXIT_KIND_NONE;
			break;
		case VMEXIT_CR8_READ:
		case VMEXIT_CR8_WRITE:
			exit->kind = EXIT_KIND_CR8;
			exit->cr8.write = code == VMEXIT_CR8_WRITE;
			exit->cr8.gpr = -1; /* the core decodes it (QEMU has no decode assists) */
			break;
		case VMEXIT_CPUID:
			exit->kind = EXIT_KIND_CPUID;
			exit->cpuid.leaf = (u32)vmcb->save.rax;
			exit->cpuid.subleaf = (u32)vcpu->regs.gpr[GPR_RCX];
			set_insn_len(exit, vmcb, LEN_CPUID);
			break;
		case VMEXIT_HLT:
			exit->kind = EXIT_KIND_HLT;
			set_insn_len(exit, vmcb, LEN_HLT);
			break;
		case VMEXIT_IOIO:
			decode_io(vmcb, exit);
			break;
		case VMEXIT_MSR:
			exit->kind = vmcb->control.exit_info1 ? EXIT_KIND_MSR_WRITE : EXIT_KIND_MSR_READ;
			exit->msr.index = (u32)vcpu->regs.gpr[GPR_RCX];
			exit->msr.value = ((u64)(u32)vcpu->regs.gpr[GPR_RDX] << 32) | (u32)vmcb->save.rax;
			set_insn_len(exit, vmcb, LEN_MSR);
			break;
		case VMEXIT_VMMCALL:
			exit->kind = EXIT_KIND_HYPERCALL;
			set_insn_len(exit, vmcb, LEN_VMMCALL);
			break;
		case VMEXIT_NPF:
			decode_npf(vmcb, exit);
			break;
		case VMEXIT_XSETBV:
			exit->kind = EXIT_KIND_XSETBV;
			exit->xcr.index = (u32)vcpu->regs.gpr[GPR_RCX];
			exit->xcr.value = ((u64)(u32)vcpu->regs.gpr[GPR_RDX] << 32) | (u32)vmcb->save.rax;
			set_insn_len(exit, vmcb, LEN_XSETBV);
			break;
		case VMEXIT_INVD:
		case VMEXIT_WBINVD:
			exit->kind = EXIT_KIND_CACHE;
			set_insn_len(exit, vmcb, LEN_INVD);
			break;
		case VMEXIT_RDPMC:
			exit->kind = EXIT_KIND_RDPMC;
			set_insn_len(exit, vmcb, LEN_RDPMC);
			break;
		case VMEXIT_INVLPGA:
		case VMEXIT_VMRUN:
		case VMEXIT_VMLOAD:
		case VMEXIT_VMSAVE:
		case VMEXIT_STGI:
		case VMEXIT_CLGI:
		case VMEXIT_SKINIT:
			/* SVM is hidden from the guest (CPUID) and its EFER.SVME reads 0:
			 * its instructions do not exist (APM vol. 3: #UD when EFER.SVME is clear). */
			svm_inject_event(vcpu, &(struct vcpu_event){ .type = EVENT_EXCEPTION, .vector = VECTOR_UD });
			exit->kind = EXIT_KIND_NONE;
			break;
		case VMEXIT_SHUTDOWN:
			exit->kind = EXIT_KIND_SHUTDOWN;
			break;
		}
	}
	if (exit->kind == EXIT_KIND_UNHANDLED || exit->kind == EXIT_KIND_ENTRY_FAILED) {
		exit->raw.code = code;
		exit->raw.info1 = vmcb->control.exit_info1;
		exit->raw.info2 = vmcb->control.exit_info2;
		if (!exit->raw.what)
			exit->raw.what = svm_exit_code_name(code);
	}
}

const char *svm_exit_code_name(u64 code)
{
	switch (code) {
	case VMEXIT_INTR: return "INTR";
	case VMEXIT_NMI: return "NMI";
	case VMEXIT_SMI: return "SMI";
	case VMEXIT_INIT: return "INIT";
	case VMEXIT_VINTR: return "VINTR";
	case VMEXIT_IRET: return "IRET";
	case VMEXIT_CR8_READ: return "CR8 read";
	case VMEXIT_CR8_WRITE: return "CR8 write";
	case VMEXIT_CPUID: return "CPUID";
	case VMEXIT_HLT: return "HLT";
	case VMEXIT_IOIO: return "IOIO";
	case VMEXIT_MSR: return "MSR";
	case VMEXIT_SHUTDOWN: return "SHUTDOWN";
	case VMEXIT_VMRUN: return "VMRUN";
	case VMEXIT_VMMCALL: return "VMMCALL";
	case VMEXIT_VMLOAD: return "VMLOAD";
	case VMEXIT_VMSAVE: return "VMSAVE";
	case VMEXIT_STGI: return "STGI";
	case VMEXIT_CLGI: return "CLGI";
	case VMEXIT_SKINIT: return "SKINIT";
	case VMEXIT_NPF: return "NPF";
	case VMEXIT_XSETBV: return "XSETBV";
	case VMEXIT_INVD: return "INVD";
	case VMEXIT_WBINVD: return "WBINVD";
	case VMEXIT_RDPMC: return "RDPMC";
	case VMEXIT_INVLPGA: return "INVLPGA";
	}
	if ((u32)code == VMEXIT_INVALID)
		return "INVALID";
	if (code >= VMEXIT_EXCEPTION_BASE && code < VMEXIT_EXCEPTION_BASE + 32)
		return "exception";
	return "other";
}
