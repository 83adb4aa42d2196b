#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include "base/msg.h"
#include "call/await.h"
#include "call/take.h"
#include "call/window.h"
#include "ident/import.h"
#include "ident/registry.h"
#include "proc/thread.h"
#include "trace/window_stats.h"

static const char *op_name(unsigned op)
{
	return op == WINDOW_READ ? "read" : op == WINDOW_WRITE ? "write" : "atomic update";
}

int call_window(struct pf_thread *t, struct pf_import *imp, const char *via,
		struct window_io *io)
{
	struct call_msg *m = call_take(t, imp, via);
	m->stack_args = NULL;   /* an access carries no arguments */
	m->regs.stack_len = 0;
	m->io = *io;
	struct call_result ignored;
	call_await(m, &ignored);
	int err = t->error.err;
	/* M is still T's own unless the access was given up (a timeout). */
	if (!err && io->op != WINDOW_WRITE)
		memcpy(io->value, m->io.value, io->width);
	window_stats_access(imp->entry, io->op, io->width, imp->flags & PF_IMPORT_ONEWAY, err);
	if (err) {
		char why[LIMIT_ERROR_MESSAGE];
		strcpy(why, t->error.text);
		bool port = via[0] == 'p';
		error_set(&t->error, err, "%s of %u bytes at %s %#llx of %s \"%s\": %s", op_name(io->op),
			  io->width, port ? "port offset" : "offset", (unsigned long long)io->offset,
			  port ? "port range" : "window", imp->entry->name, why);
	}
	return err;
}
