#include <errno.h>
#include "ident/registry.h"
#include "proc/process.h"
#include "proc/wait.h"
#include "sched/complete.h"
#include "sched/crashed.h"
#include "sched/queue.h"
#include "trace/record.h"

void process_crashed(struct pf_process *p)
{
	struct call_msg *queued;
	if (!queue_crash(p, &queued))
		return;   /* it was already crashed, stopping or dead */
	registry_withdraw(p);
	msg_fail_all(queued, -EOWNERDEAD);
	wake_group_notify_all(&p->threads);
	trace_process_died(p, PF_DIED_CRASHED);
	process_tell_watchers(p, PF_DIED_CRASHED);
}
