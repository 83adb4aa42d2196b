/* Handing out the entries of an import, and switching them on: the
 * control side of the entry layer (the signal side is lib/entry/). */
#include <errno.h>
#include "entry/pages.h"
#include "entry/sud.h"
#include "entry/vector.h"
#include "ident/import.h"
#include "pfipc.h"
#include "proc/process.h"

static const enum stub_kind stub_of[] = {
	[PF_ENTRY_TRAP] = STUB_TRAP, [PF_ENTRY_UD2] = STUB_UD2, [PF_ENTRY_INT] = STUB_INT,
	[PF_ENTRY_SYSCALL] = STUB_SYSCALL, [PF_ENTRY_INT80] = STUB_INT80,
};

int pf_entry_enable(unsigned kind)
{
	if (kind > PF_ENTRY_INT80)
		return -EINVAL;
	int rc = pf_init();
	if (rc)
		return rc;
	if (kind == PF_ENTRY_SYSCALL || kind == PF_ENTRY_INT80)
		return sud_enable();
	return 0;
}

int pf_import_entry(const pf_import *imp, unsigned kind, void **out)
{
	if (!imp || !out || kind > PF_ENTRY_INT80)
		return -EINVAL;
	if (kind == PF_ENTRY_GATE) {
		*out = (void *)imp->gate;
		return 0;
	}
	int rc = pf_entry_enable(kind);
	if (!rc)
		rc = pages_prepare(stub_of[kind], imp->owner->index);
	if (rc)
		return rc;
	*out = (void *)pages_stub(stub_of[kind], imp->owner->index, imp->slot);
	return 0;
}

int pf_entry_vector(unsigned vector)
{
	if (!vector_usable(vector))
		return -EINVAL;
	return pages_set_int_vector(vector);
}
