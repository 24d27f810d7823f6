/* Placeholder until a virtualization backend lands: there is nothing to run. */
#include "hv/run.h"
#include "hv/console.h"
#include "hv/exit.h"

int hv_run(struct boot_info *bi)
{
	kprintf("hv: no virtualization backend yet; %u guest image(s) not run\n", bi->image_count);
	return HV_EXIT_OK;
}
