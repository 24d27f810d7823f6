# The attack suite (issue 13): tests/attacks/attacks.cfg travels with the
# guest images; tools/check-attacks.sh boots it on each backend.
.PHONY: check-svm-attacks check-vmx-attacks
all: $(BUILD)/guests/out/attacks.cfg
$(BUILD)/guests/out/attacks.cfg: tests/attacks/attacks.cfg
	@mkdir -p $(dir $@)
	cp $< $@
check-svm: check-svm-attacks
check-svm-attacks: all
	BUILD=$(BUILD) tools/check-attacks.sh tools/run-qemu.sh svm
check-vmx: check-vmx-attacks
check-vmx-attacks: all
	BUILD=$(BUILD) tools/check-attacks.sh "$(BOCHS_MB2)" vmx
