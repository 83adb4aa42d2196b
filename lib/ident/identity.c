/* pf_caller and the one exit hook for everything kept per process. */
#include "ident/caller_data.h"
#include "ident/grants.h"
#include "ident/handles.h"
#include "ident/identity.h"
#include "ident/windows.h"
#include "proc/thread.h"

pf_process *pf_caller(void)
{
	/* call_serve sets caller_proc from the message, whose `from` the fault
	 * handler took from the faulting thread; it saves and restores it
	 * around every call, so nested calls see their immediate caller. */
	struct pf_thread *t = pf_current;
	return t ? t->caller_proc : NULL;
}

void identity_process_exit(struct pf_process *p)
{
	grants_release(p);
	handles_release(p);
	caller_data_release(p);
	windows_process_exit(p);
}
