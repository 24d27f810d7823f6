# Test guests: `make guests` puts every image and suite.cfg in $(BUILD)/guests/out/.
# C guests link the runtime in guests/lib/ (built once for 64-bit, once for
# 32-bit); guests/NAME.c is the guest NAME, guests/NAME.asm a pure nasm one.

GUEST_DIR := $(BUILD)/guests
GUEST_OUT := $(GUEST_DIR)/out

# Multiboot kernels, 64-bit (the runtime switches to long mode): NAME.elf
GUESTS_MB64 := hello cpuid io msr hypercall memory mmio triple-fault multiboot \
	readonly mmio-cache hugepage-nx isolation dirty-log smp memslot-live spin \
	apic apic-timer ipi acpi pit rtc irqchip isa-irq bench-irq \
	xsetbv cpu-state intercepts idt-mmio console-flood tdp-flood fuzz-exits db-loop
# Other files the suite hands to guests (Multiboot modules)
GUEST_FILES := multiboot-module.txt
# Flat 32-bit images entered in protected mode at load=0x100000: NAME.bin
GUESTS_FLAT32 := protmode32
# Flat 16-bit images at load=0x8000 that switch to long mode themselves: NAME.bin
GUESTS_FLAT16 := modeswitch
# Flat 16-bit nasm-only images at load=0x8000 that stay in real mode: NAME.bin
GUESTS_REAL := realmode
# nasm-only Multiboot kernels (flat, the header's address fields): NAME.bin
GUESTS_MB_ASM := multiboot-low

GUEST_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -nostdlib -fno-pic -fno-pie \
	-mno-red-zone -fno-stack-protector -mgeneral-regs-only -fno-delete-null-pointer-checks \
	-fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns \
	-Wall -Wextra -Wno-unused-parameter -Werror -Iinclude -Iguests/lib
GUEST_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	--build-id=none --no-warn-rwx-segments -T guests/lib/guest.ld

GUEST_LIB_C := runtime serial print gstring tap idt multiboot fw_cfg hcall
GUEST_LIB64 := $(patsubst %,$(GUEST_DIR)/lib64/%.o,$(GUEST_LIB_C) paging usermode smp apic) \
	$(GUEST_DIR)/lib64/isr.o $(GUEST_DIR)/lib64/irq.o $(GUEST_DIR)/lib64/usermode_entry.o $(GUEST_DIR)/lib64/ap_start.o
GUEST_LIB32 := $(patsubst %,$(GUEST_DIR)/lib32/%.o,$(GUEST_LIB_C)) \
	$(GUEST_DIR)/lib32/isr.o
GUEST_DEPS := guests/lib/guest.ld $(wildcard guests/lib/*.inc)

# The instruction-stream fuzzer, one source built twice: fuzz-insn64.elf
# (Multiboot, long mode) and fuzz-insn32.bin (flat 32-bit, Multiboot fields).
FUZZ_INSN_PARTS := fuzz-insn fuzz-insn-gen fuzz-insn-space fuzz-insn-run

GUEST_IMAGES := $(GUESTS_MB64:%=$(GUEST_OUT)/%.elf) $(GUEST_FILES:%=$(GUEST_OUT)/%) \
	$(patsubst %,$(GUEST_OUT)/%.bin,$(GUESTS_FLAT32) $(GUESTS_FLAT16) $(GUESTS_REAL) $(GUESTS_MB_ASM)) \
	$(GUEST_OUT)/fuzz-insn64.elf $(GUEST_OUT)/fuzz-insn32.bin

.PHONY: guests
all: guests
guests: $(GUEST_IMAGES) $(GUEST_OUT)/suite.cfg

$(GUEST_OUT)/suite.cfg $(GUEST_FILES:%=$(GUEST_OUT)/%): $(GUEST_OUT)/%: guests/%
	@mkdir -p $(dir $@)
	cp $< $@

# --- compiling ---
$(GUEST_DIR)/lib64/%.o $(GUEST_DIR)/g64/%.o: GUEST_ARCH := -m64
$(GUEST_DIR)/lib32/%.o $(GUEST_DIR)/g32/%.o: GUEST_ARCH := -m32 -march=i686

# (One rule per folder: a pattern rule with two targets would build both at once.)
GUEST_COMPILE = @mkdir -p $(dir $@) && echo "  CC $@" && \
	$(CC) $(GUEST_CFLAGS) $(GUEST_ARCH) -MMD -MP -c $< -o $@
$(GUEST_DIR)/lib64/%.o: guests/lib/%.c
	$(GUEST_COMPILE)
$(GUEST_DIR)/lib32/%.o: guests/lib/%.c
	$(GUEST_COMPILE)
$(GUEST_DIR)/g64/%.o: guests/%.c
	$(GUEST_COMPILE)
$(GUEST_DIR)/g32/%.o: guests/%.c
	$(GUEST_COMPILE)

$(GUEST_DIR)/lib64/%.o: guests/lib/%.asm $(GUEST_DEPS)
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -Iguests/lib/ -o $@ $<
$(GUEST_DIR)/lib64/entry64.o: guests/lib/entry32.asm $(GUEST_DEPS)
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -DLONG_MODE -Iguests/lib/ -o $@ $<
$(GUEST_DIR)/lib32/%.o: guests/lib/%.asm $(GUEST_DEPS)
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -g -Iguests/lib/ -o $@ $<
$(GUEST_DIR)/lib32/entry32-flat.o: guests/lib/entry32.asm $(GUEST_DEPS)
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -g -DMB_FLAT -Iguests/lib/ -o $@ $<

$(GUEST_DIR)/g64/%.o: guests/%.asm $(GUEST_DEPS)
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -Iguests/lib/ -o $@ $<
$(GUEST_DIR)/g32/%.o: guests/%.asm $(GUEST_DEPS)
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -g -Iguests/lib/ -o $@ $<

-include $(wildcard $(GUEST_DIR)/*/*.d)
# Intermediate objects stay, so a rebuild relinks only what changed.
.SECONDARY: $(GUEST_LIB64) $(GUEST_LIB32) $(addprefix $(GUEST_DIR)/, \
	lib64/entry64.o lib64/entry16.o lib32/entry32-flat.o \
	$(patsubst %,g64/%.o,$(GUESTS_MB64) $(GUESTS_FLAT16)) $(GUESTS_FLAT32:%=g32/%.o) \
	$(FUZZ_INSN_PARTS:%=g64/%.o) $(FUZZ_INSN_PARTS:%=g32/%.o))

# --- linking ---
# QEMU's -kernel (and Multiboot itself) wants ELF32: the 64-bit link is
# converted, which keeps the program headers and addresses (all below 4 GiB).
$(GUEST_OUT)/%.elf: $(GUEST_DIR)/g64/%.o $(GUEST_DIR)/lib64/entry64.o $(GUEST_LIB64) $(GUEST_DEPS)
	@mkdir -p $(dir $@)
	$(LD) -m elf_x86_64 $(GUEST_LDFLAGS) --defsym=GUEST_LOAD=0x100000 \
		-o $(GUEST_DIR)/g64/$*.elf64 $(GUEST_DIR)/lib64/entry64.o $< $(GUEST_LIB64)
	objcopy -I elf64-x86-64 -O elf32-i386 $(GUEST_DIR)/g64/$*.elf64 $@

$(GUESTS_FLAT32:%=$(GUEST_OUT)/%.bin): $(GUEST_OUT)/%.bin: $(GUEST_DIR)/g32/%.o \
		$(GUEST_DIR)/lib32/entry32-flat.o $(GUEST_LIB32) $(GUEST_DEPS)
	@mkdir -p $(dir $@)
	$(LD) -m elf_i386 $(GUEST_LDFLAGS) --defsym=GUEST_LOAD=0x100000 \
		-o $(GUEST_DIR)/g32/$*.elf $(GUEST_DIR)/lib32/entry32-flat.o $< $(GUEST_LIB32)
	objcopy -O binary $(GUEST_DIR)/g32/$*.elf $@

$(GUEST_OUT)/fuzz-insn64.elf: $(FUZZ_INSN_PARTS:%=$(GUEST_DIR)/g64/%.o) $(GUEST_DIR)/lib64/entry64.o \
		$(GUEST_LIB64) $(GUEST_DEPS)
	@mkdir -p $(dir $@)
	$(LD) -m elf_x86_64 $(GUEST_LDFLAGS) --defsym=GUEST_LOAD=0x100000 -o $(GUEST_DIR)/g64/fuzz-insn64.elf64 \
		$(GUEST_DIR)/lib64/entry64.o $(FUZZ_INSN_PARTS:%=$(GUEST_DIR)/g64/%.o) $(GUEST_LIB64)
	objcopy -I elf64-x86-64 -O elf32-i386 $(GUEST_DIR)/g64/fuzz-insn64.elf64 $@

$(GUEST_OUT)/fuzz-insn32.bin: $(FUZZ_INSN_PARTS:%=$(GUEST_DIR)/g32/%.o) $(GUEST_DIR)/lib32/entry32-flat.o \
		$(GUEST_LIB32) $(GUEST_DEPS)
	@mkdir -p $(dir $@)
	$(LD) -m elf_i386 $(GUEST_LDFLAGS) --defsym=GUEST_LOAD=0x100000 -o $(GUEST_DIR)/g32/fuzz-insn32.elf \
		$(GUEST_DIR)/lib32/entry32-flat.o $(FUZZ_INSN_PARTS:%=$(GUEST_DIR)/g32/%.o) $(GUEST_LIB32)
	objcopy -O binary $(GUEST_DIR)/g32/fuzz-insn32.elf $@

$(GUESTS_FLAT16:%=$(GUEST_OUT)/%.bin): $(GUEST_OUT)/%.bin: $(GUEST_DIR)/g64/%.o \
		$(GUEST_DIR)/lib64/entry16.o $(GUEST_LIB64) $(GUEST_DEPS)
	@mkdir -p $(dir $@)
	$(LD) -m elf_x86_64 $(GUEST_LDFLAGS) --defsym=GUEST_LOAD=0x8000 \
		-o $(GUEST_DIR)/g64/$*.elf $(GUEST_DIR)/lib64/entry16.o $< $(GUEST_LIB64)
	objcopy -O binary $(GUEST_DIR)/g64/$*.elf $@

$(patsubst %,$(GUEST_OUT)/%.bin,$(GUESTS_REAL) $(GUESTS_MB_ASM)): $(GUEST_OUT)/%.bin: guests/%.asm $(GUEST_DEPS)
	@mkdir -p $(dir $@)
	$(NASM) -f bin -Iguests/lib/ -o $@ $<

# The guests alone on plain QEMU (no hypervisor): runtime and non-hypervisor checks.
.PHONY: check-guests
check: check-guests
check-guests: guests
	BUILD=$(BUILD) tools/run-guest-qemu.sh --all
	@# fuzz-insn on plain QEMU too: its sequences and restores are right without us
	sed "s/SEED/1/;s/COUNT/80000/;s/RUNS/20000/" tests/attacks/fuzz.cfg > $(GUEST_OUT)/fuzz-plain.cfg
	@# (removed again: every file of the folder is a boot file, at most BOOT_MAX_IMAGES = 128 of them)
	BUILD=$(BUILD) SUITE=fuzz-plain.cfg tools/run-guest-qemu.sh fuzz-insn64 fuzz-insn32; s=$$?; \
		rm -f $(GUEST_OUT)/fuzz-plain.cfg; exit $$s
