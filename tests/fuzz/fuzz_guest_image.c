/*
 * libFuzzer target: the guest image parser (ELF32/ELF64/Multiboot headers,
 * hv/runner/guest_image.c) on arbitrary bytes, under ASan/UBSan. A plan it
 * accepts must hold what the loader relies on: every segment inside guest
 * RAM and inside the file, no two segments overlapping, the entry inside RAM.
 */
#include <stdlib.h>
#include <stdio.h>

#include "hv/runner/guest_image.h"

#define RAM (16ull << 20)

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct guest_image_params p = { .kind = GUEST_IMAGE_DETECT, .ram_size = RAM };
	struct guest_load_plan plan;
	char err[200];

	if (guest_image_plan(data, size, &p, &plan, err, sizeof(err)))
		return 0;
	for (u32 i = 0; i < plan.nsegments; i++) {
		const struct guest_segment *s = &plan.seg[i];
		bool bad = s->file_size > s->mem_size || s->file_offset + s->file_size > size ||
			   s->file_offset + s->file_size < s->file_offset || !guest_ram_contains(RAM, s->gpa, s->mem_size);
		for (u32 j = 0; j < i; j++)
			bad |= s->gpa < plan.seg[j].gpa + plan.seg[j].mem_size && plan.seg[j].gpa < s->gpa + s->mem_size &&
			       s->mem_size && plan.seg[j].mem_size;
		if (bad) {
			fprintf(stderr, "guest_image_plan accepted segment %u at 0x%llx (+0x%llx) it must refuse\n", i,
				(unsigned long long)s->gpa, (unsigned long long)s->mem_size);
			abort();
		}
	}
	return 0;
}
