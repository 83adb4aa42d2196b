/* busy: a server busy with one call while a second waits in its queue,
 * then stop_here() for gdb_test.py to look at with `pf ps`. */
#include <pfipc.h>
#include <semaphore.h>

static sem_t started, release;

static long hold(long x)
{
	sem_post(&started);
	sem_wait(&release);
	return x;
}

static int init(void *arg) { (void)arg; return pf_export("busy.hold", (void *)hold, 0, 0); }

__attribute__((noinline)) void stop_here(void)
{
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	pf_process *p;
	pf_import *imp;
	sem_init(&started, 0, 0);
	sem_init(&release, 0, 0);
	if (pf_process_join_self(NULL, "client") ||
	    pf_process_create(&p, "busy", NULL, init, NULL) ||
	    pf_import_create(&imp, "busy.hold", PF_IMPORT_ASYNC))
		return 2;
	uint64_t (*call)(long) = PF_GATE(uint64_t(long), imp);
	uint64_t first = call(1);
	sem_wait(&started);          /* the first call is running */
	uint64_t second = call(2);   /* queued behind it */
	stop_here();
	sem_post(&release);
	sem_post(&release);
	pf_wait(first, -1, NULL);
	pf_wait(second, -1, NULL);
	return 0;
}
