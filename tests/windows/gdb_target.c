/* What gdb_window_test.py runs under gdb: a driver function that loads
 * from two windows, one served on the owner's thread and one migrating,
 * with a breakpoint in the window's read function. Exits 0 when every
 * load returned what it should. */
#include <pfipc.h>
#include <stdint.h>
#include <stdio.h>

__attribute__((noinline)) int target_read(void *ctx, uint64_t offset, unsigned width,
					  void *value)
{
	(void)ctx;
	(void)width;
	*(uint32_t *)value = (uint32_t)offset * 2;
	__asm__ volatile("" ::: "memory");
	return 0;
}

static const pf_window_ops ops = { target_read, NULL, NULL };

/* Where the two windows are mapped, for the test to compare with the
 * register the faulting load reads through. */
void *volatile target_windows[2];

/* The load is the function's first instruction: unwinding into it must
 * not take the faulting instruction for a return address. */
__attribute__((noinline)) uint32_t target_poll(volatile uint32_t *regs)
{
	return regs[5];
}

static int init(void *arg)
{
	(void)arg;
	int rc = pf_window_create("gw.msg", 1, &ops, NULL, 0);
	return rc ? rc : pf_window_create("gw.mig", 1, &ops, NULL, PF_EXPORT_MIGRATE);
}

int main(void)
{
	pf_process *driver, *device;
	void *msg, *mig;
	if (pf_process_join_self(&driver, "driver") != 0 ||
	    pf_process_create(&device, "device", NULL, init, NULL) != 0 ||
	    pf_window_map("gw.msg", 0, &msg) != 0 || pf_window_map("gw.mig", 0, &mig) != 0)
		return 2;
	target_windows[0] = msg;
	target_windows[1] = mig;
	uint32_t a = target_poll(msg), b = target_poll(mig);
	printf("read %u and %u\n", a, b);
	return a == 40 && b == 40 && pf_errno() == 0 ? 0 : 1;
}
