/* Line-buffered, name-prefixed guest output (hv/vm/guest_console.h). */
#include "hv/vm/guest_console.h"
#include "hv/vm/vm.h"
#include "hv/console/console.h"
#include "kstring.h"

/* One console write per line: VMs and the hypervisor print at once, lines stay whole. */
static void emit_line(struct vm *vm)
{
	struct guest_console *c = &vm->console;

	if (!c->raw) /* raw bytes went out as they came */
		kprintf("[%s] %.*s\n", vm->name, (int)c->len, c->line);
	tap_line(&vm->tap, c->line, c->len);
	c->len = 0;
}

void guest_console_write(struct vm *vm, const char *buf, size_t len)
{
	struct guest_console *c = &vm->console;

	if (c->raw)
		console_write(buf, len);
	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];
		if (ch == '\n') {
			emit_line(vm);
		} else if (ch != '\r') {
			c->line[c->len++] = ch;
			if (c->len == GUEST_LINE_MAX)
				emit_line(vm);
		}
	}
}

void guest_console_flush(struct vm *vm)
{
	if (vm->console.len)
		emit_line(vm);
}
