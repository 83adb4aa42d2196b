#include <stdarg.h>
#include <stdio.h>
#include "base/msg.h"
#include "ident/registry.h"
#include "proc/process.h"
#include "proc/thread.h"
#include "sched/deadlock.h"

/* snprintf at *N, keeping *N inside the buffer when the text is cut. */
static void append(char *buf, size_t cap, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
	if (*n + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	if (w > 0)
		*n = *n + (size_t)w < cap ? *n + (size_t)w : cap - 1;
}

bool deadlock_would_wait_forever(struct call_msg *m, struct pf_thread *h)
{
	char *buf = m->detail;
	size_t cap = sizeof m->detail, n = 0;
	append(buf, cap, &n, "deadlock: %s", m->callee->name);
	for (unsigned hops = 0; h && hops < LIMIT_DEADLOCK_HOPS; hops++) {
		if (h == atomic_load(&m->caller)) {
			append(buf, cap, &n, " -> %s (\"%s\" is not reentrant and is busy in this cycle)",
			       m->callee->name, m->entry->name);
			return true;
		}
		struct call_msg *w = atomic_load(&h->waiting_on);
		if (!w)
			break;
		struct pf_process *callee = atomic_load(&w->callee);
		if (!callee)
			break;
		append(buf, cap, &n, " -> %s", callee->name);
		h = atomic_load(&w->state) == MSG_RUNNING ? atomic_load(&w->server) : NULL;
	}
	buf[0] = '\0';
	return false;
}
