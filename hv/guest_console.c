/* Line-buffered, name-prefixed guest output (hv/guest_console.h). */
#include "hv/guest_console.h"
#include "hv/vm.h"
#include "hv/console.h"
#include "kstring.h"

static void emit_line(struct vm *vm)
{
	struct guest_console *c = &vm->console;

	console_write("[", 1);
	console_write(vm->name, strlen(vm->name));
	console_write("] ", 2);
	console_write(c->line, c->len);
	console_write("\n", 1);
	tap_line(&vm->tap, c->line, c->len);
	c->len = 0;
}

void guest_console_write(struct vm *vm, const char *buf, size_t len)
{
	struct guest_console *c = &vm->console;

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
