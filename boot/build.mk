# Boot paths: the same kernel objects linked twice.
#   UEFI:       gnu-efi crt0 + boot/efi + kernel -> shared ELF -> PE32+ BOOTX64.EFI
#   Multiboot2: boot/mb2 (32-bit entry, long mode) + kernel -> ELF at 2 MiB (hv-mb2.elf)

GNUEFI_LIB  := /usr/lib
EFI_CRT0    := $(GNUEFI_LIB)/crt0-efi-x86_64.o
EFI_LDS     := $(GNUEFI_LIB)/elf_x86_64_efi.lds
EFI_CFLAGS  := $(KCFLAGS) -I/usr/include/efi -I/usr/include/efi/x86_64 -DGNU_EFI_USE_MS_ABI

BOOT_COMMON_OBJS := $(BUILD)/boot/bootinfo.o
BOOT_EFI_OBJS    := $(patsubst %.c,$(BUILD)/%.o,$(wildcard boot/efi/*.c))
BOOT_MB2_OBJS    := $(patsubst %.c,$(BUILD)/%.o,$(wildcard boot/mb2/*.c)) \
	$(patsubst %.asm,$(BUILD)/%.asm.o,$(wildcard boot/mb2/*.asm))

$(BUILD)/boot/efi/%.o: boot/efi/%.c
	@mkdir -p $(dir $@)
	$(KCC) $(EFI_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/boot/%.o: boot/%.c
	@mkdir -p $(dir $@)
	$(KCC) $(KCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/boot/%.asm.o: boot/%.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -o $@ $<

-include $(BOOT_EFI_OBJS:.o=.d) $(BOOT_MB2_OBJS:.o=.d) $(BOOT_COMMON_OBJS:.o=.d)

# -Bsymbolic binds every reference inside the image, leaving only RELATIVE
# relocations, which gnu-efi's _relocate applies at start-up.
$(BUILD)/hv-efi.so: $(EFI_CRT0) $(BOOT_EFI_OBJS) $(BOOT_COMMON_OBJS) $(KERNEL_OBJS) $(EFI_LDS)
	ld -nostdlib -znocombreloc -shared -Bsymbolic --no-undefined -T $(EFI_LDS) \
		$(EFI_CRT0) $(BOOT_EFI_OBJS) $(BOOT_COMMON_OBJS) $(KERNEL_OBJS) \
		$(GNUEFI_LIB)/libgnuefi.a -o $@

$(BUILD)/BOOTX64.EFI: $(BUILD)/hv-efi.so
	objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j .rel.* -j .rela.* -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

$(BUILD)/hv-mb2.elf: $(BOOT_MB2_OBJS) $(BOOT_COMMON_OBJS) $(KERNEL_OBJS) boot/mb2/link.ld
	ld -nostdlib -static -z max-page-size=4096 --no-warn-rwx-segments -T boot/mb2/link.ld \
		$(BOOT_MB2_OBJS) $(BOOT_COMMON_OBJS) $(KERNEL_OBJS) -o $@
	grub-file --is-x86-multiboot2 $@ || { echo "$@: not a valid Multiboot2 image" >&2; exit 1; }

.PHONY: boot
boot: $(BUILD)/BOOTX64.EFI $(BUILD)/hv-mb2.elf
all: boot
