/* Who is calling: caller identity, per-caller variables, handles, grants.
 *
 * Client processes are "actors": processes whose one public export runs a
 * function the test hands them, on the actor's own thread and so as the
 * actor. That lets one test thread act as several processes in turn.
 * Functions run by an actor must not assert (cmocka's asserts only work
 * on the test's thread): they return what they saw and the test checks it.
 *
 * Links the static library to read internal counters (caller_data_count,
 * handles_open_count, grants_count) that show what an exit freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../common.h"
#include "ident/caller_data.h"
#include "ident/grants.h"
#include "ident/handles.h"

/* ---- actors ------------------------------------------------------------- */

typedef long (*act_fn)(void *arg);

struct actor {
	pf_process *p;
	long (*run)(act_fn, void *);
};

struct actor_spec {
	char name[32];
	const struct one_export *extra;
};

static long run_here(act_fn fn, void *arg)
{
	return fn(arg);
}

static int actor_init(void *arg)
{
	const struct actor_spec *s = arg;
	char ex[64];
	snprintf(ex, sizeof ex, "%s.run", s->name);
	int rc = pf_export(ex, (void *)run_here, 0, 0);
	return rc || !s->extra ? rc : export_list_init((void *)s->extra);
}

/* Every process a test starts, so that a test that fails half-way does not
 * leave processes (and their namespaces) behind for the next one. */
static pf_process *started[32];
static unsigned nstarted;

static pf_process *track(pf_process *p)
{
	if (nstarted < 32)
		started[nstarted++] = p;
	return p;
}

static pf_process *server(const char *name, const struct one_export *exports)
{
	return track(start_server(name, exports));
}

static int stop_leftovers(void **state)
{
	(void)state;
	while (nstarted) {
		pf_process *p = started[--nstarted];
		pf_process_stop(p);   /* harmless on a process already stopped */
		pf_process_join(p);
	}
	return 0;
}

/* A process NAME exporting NAME.run, and EXTRA (may be NULL). */
static struct actor actor_start(const char *name, const struct one_export *extra)
{
	struct actor a = { 0 };
	struct actor_spec s = { .extra = extra };
	snprintf(s.name, sizeof s.name, "%s", name);
	assert_int_equal(pf_process_create(&a.p, name, NULL, actor_init, &s), 0);
	track(a.p);
	char ex[64];
	snprintf(ex, sizeof ex, "%s.run", name);
	a.run = PF_GATE(long(act_fn, void *), import_ok(ex));
	return a;
}

/* FN(ARG) on A's thread, as A. */
static long as(const struct actor *a, act_fn fn, void *arg)
{
	long r = a->run(fn, arg);
	assert_int_equal(pf_errno(), 0);
	return r;
}

/* The calling process's import of NAME, made once and remembered: a
 * process has only 256 import slots. */
static struct {
	pf_process *p;
	char name[64];
	void *gate;
} gates[256];
static unsigned ngates;

static int gate_for(const char *name, void **gate)
{
	for (unsigned i = 0; i < ngates; i++)
		if (gates[i].p == pf_self() && strcmp(gates[i].name, name) == 0) {
			*gate = gates[i].gate;
			return 0;
		}
	pf_import *imp;
	int rc = pf_import_create(&imp, name, 0);
	if (rc || ngates == 256)
		return rc ? rc : -ENOSPC;
	gates[ngates].p = pf_self();
	snprintf(gates[ngates].name, sizeof gates[ngates].name, "%s", name);
	*gate = gates[ngates++].gate = pf_import_gate(imp);
	return 0;
}

/* Call NAME() as the calling process: its value, or the negative errno of
 * the import or of the call. An actor function. */
static long call0(void *name)
{
	long (*f)(void);
	int rc = gate_for(name, (void **)&f);
	if (rc)
		return rc;
	long v = f();
	return pf_errno() ? pf_errno() : v;
}

/* The same with two integer arguments. */
struct call2_req {
	const char *name;
	long a, b;
};

static long call2(void *arg)
{
	struct call2_req *r = arg;
	long (*f)(long, long);
	int rc = gate_for(r->name, (void **)&f);
	if (rc)
		return rc;
	long v = f(r->a, r->b);
	return pf_errno() ? pf_errno() : v;
}

/* ======================================================================== */
/* Caller identity                                                           */
/* ======================================================================== */

static pf_process *who_caller(void)
{
	return pf_caller();
}

static pf_process *caller_in_init = (pf_process *)1;

static int who_init(void *arg)
{
	caller_in_init = pf_caller();
	return export_list_init(arg);
}

static void caller_is_null_outside_an_export(void **state)
{
	(void)state;
	static const struct one_export ex[] = { { "who.caller", (void *)who_caller, 0, 0 }, { 0 } };
	pf_process *who;
	assert_int_equal(pf_process_create(&who, "who", NULL, who_init, (void *)ex), 0);
	track(who);
	assert_null(pf_caller());
	assert_null(caller_in_init);
	stop_server(who);
}

static void export_sees_the_process_that_called_it(void **state)
{
	(void)state;
	static const struct one_export ex[] = { { "who2.caller", (void *)who_caller, 0, 0 }, { 0 } };
	pf_process *who = server("who2", ex);
	struct actor alice = actor_start("alice", NULL);
	pf_process *(*f)(void) = PF_GATE(pf_process *(void), import_ok("who2.caller"));
	assert_ptr_equal(f(), pf_self());
	assert_ptr_equal((pf_process *)as(&alice, call0, "who2.caller"), alice.p);
	stop_server(alice.p);
	stop_server(who);
}

/* A → B → C, and B → A while A waits. */
static pf_process *b_saw_before, *b_saw_after;
static pf_process *(*b_to_c)(void);
static pf_process *(*b_to_a)(void);

static pf_process *b_via_c(void)
{
	b_saw_before = pf_caller();
	pf_process *c_saw = b_to_c();
	b_saw_after = pf_caller();
	return c_saw;
}

static pf_process *b_back_to_a(void)
{
	b_saw_before = pf_caller();
	pf_process *a_saw = b_to_a();
	b_saw_after = pf_caller();
	return a_saw;
}

static int b_init(void *arg)
{
	(void)arg;
	pf_import *c, *a;
	int rc;
	if ((rc = pf_export("nb.via_c", (void *)b_via_c, 0, 0)) ||
	    (rc = pf_export("nb.back", (void *)b_back_to_a, 0, 0)) ||
	    (rc = pf_import_create(&c, "nc.who", 0)) ||
	    (rc = pf_import_create(&a, "na.who", PF_IMPORT_LAZY)))
		return rc;
	b_to_c = PF_GATE(pf_process *(void), c);
	b_to_a = PF_GATE(pf_process *(void), a);
	return 0;
}

static void nested_calls_report_the_immediate_caller(void **state)
{
	(void)state;
	static const struct one_export cx[] = { { "nc.who", (void *)who_caller, 0, 0 }, { 0 } };
	pf_process *c = server("C", cx), *b;
	assert_int_equal(pf_process_create(&b, "B", NULL, b_init, NULL), 0);
	track(b);
	pf_process *(*via_c)(void) = PF_GATE(pf_process *(void), import_ok("nb.via_c"));

	assert_ptr_equal(via_c(), b);            /* C sees B, not A */
	assert_ptr_equal(b_saw_before, pf_self()); /* B sees A */
	assert_ptr_equal(b_saw_after, pf_self());  /* and still A after C returned */
	stop_server(b);
	stop_server(c);
}

static void callback_into_a_waiting_caller_sees_the_callee_as_caller(void **state)
{
	(void)state;
	static const struct one_export cx[] = { { "nc.who", (void *)who_caller, 0, 0 }, { 0 } };
	static int exported;
	if (!exported++)
		assert_int_equal(pf_export("na.who", (void *)who_caller, 0, 0), 0);
	pf_process *c = server("C", cx), *b;
	assert_int_equal(pf_process_create(&b, "B", NULL, b_init, NULL), 0);
	track(b);
	pf_process *(*back)(void) = PF_GATE(pf_process *(void), import_ok("nb.back"));

	assert_ptr_equal(back(), b);             /* A, serving while it waits, sees B */
	assert_ptr_equal(b_saw_before, pf_self());
	assert_ptr_equal(b_saw_after, pf_self());
	assert_null(pf_caller());                /* and A is back outside any export */
	stop_server(b);
	stop_server(c);
}

/* ---- forging ------------------------------------------------------------ */

static int vault_gets;

static long vault_put(long secret)
{
	long *v;
	int rc = pf_caller_data_alloc(7, sizeof *v, (void **)&v);
	if (rc)
		return rc;
	*v = secret;
	return 0;
}

/* CLAIMED is what a caller says it is; the vault never believes it. */
static long vault_get(pf_process *claimed)
{
	(void)claimed;
	vault_gets++;
	long *v = pf_caller_data_get(7);
	return v ? *v : -ENOENT;
}

static pf_process *vault_caller(pf_process *a, pf_process *b, pf_process *c,
				pf_process *d, pf_process *e, pf_process *f)
{
	(void)a, (void)b, (void)c, (void)d, (void)e, (void)f;
	return pf_caller();
}

static const struct one_export vault_ex[] = {
	{ "vault.put", (void *)vault_put, 0, 0 },
	{ "vault.get", (void *)vault_get, 0, 0 },
	{ "vault.caller", (void *)vault_caller, 0, 0 },
	{ 0 },
};

static pf_process *forge_as;

static long put_secret(void *arg)
{
	struct call2_req r = { "vault.put", (long)arg, 0 };
	return call2(&r);
}

/* Every argument register says "I am forge_as". */
static long claim_everywhere(void *arg)
{
	(void)arg;
	pf_process *(*f)(pf_process *, pf_process *, pf_process *, pf_process *,
			 pf_process *, pf_process *);
	int rc = gate_for("vault.caller", (void **)&f);
	if (rc)
		return rc;
	return (long)f(forge_as, forge_as, forge_as, forge_as, forge_as, forge_as);
}

static long get_claiming(void *arg)
{
	(void)arg;
	struct call2_req r = { "vault.get", (long)forge_as, 0 };
	return call2(&r);
}

static void arguments_claiming_another_process_do_not_change_the_caller(void **state)
{
	(void)state;
	pf_process *vault = server("vault", vault_ex);
	struct actor alice = actor_start("alice", NULL), mallory = actor_start("mallory", NULL);
	assert_int_equal(as(&alice, put_secret, (void *)1234), 0);
	forge_as = alice.p;

	assert_ptr_equal((pf_process *)as(&mallory, claim_everywhere, NULL), mallory.p);
	assert_int_equal(as(&mallory, get_claiming, NULL), -ENOENT);   /* not alice's secret */
	assert_int_equal(as(&alice, get_claiming, NULL), 1234);
	stop_server(mallory.p);
	stop_server(alice.p);
	stop_server(vault);
}

/* Mallory calls through Alice's import — the gate and the slot Alice got. */
static pf_import *alices_import;

static long import_vault_get(void *arg)
{
	(void)arg;
	return pf_import_create(&alices_import, "vault.get", 0);
}

static long call_through_alices_import(void *arg)
{
	long (*gate)(pf_process *) = PF_GATE(long(pf_process *), alices_import);
	long (*const *slot)(pf_process *) = PF_SLOT(long(pf_process *), alices_import);
	long v = arg ? (*slot)(forge_as) : gate(forge_as);
	return pf_errno() ? pf_errno() : v;
}

static void calling_through_another_process_import_is_refused(void **state)
{
	(void)state;
	pf_process *vault = server("vault", vault_ex);
	struct actor alice = actor_start("alice", NULL), mallory = actor_start("mallory", NULL);
	assert_int_equal(as(&alice, put_secret, (void *)99), 0);
	assert_int_equal(as(&alice, import_vault_get, NULL), 0);
	forge_as = alice.p;
	vault_gets = 0;

	assert_int_equal(as(&mallory, call_through_alices_import, NULL), -EPERM);
	assert_int_equal(as(&mallory, call_through_alices_import, (void *)1), -EPERM);
	assert_int_equal(vault_gets, 0);                       /* it never ran */
	assert_int_equal(as(&alice, call_through_alices_import, NULL), 99);
	stop_server(mallory.p);
	stop_server(alice.p);
	stop_server(vault);
}

/* ======================================================================== */
/* Per-caller variables                                                      */
/* ======================================================================== */

static long tally_bump(long key, long by)
{
	long *v = pf_caller_data_get((unsigned)key);
	if (!v) {
		int rc = pf_caller_data_alloc((unsigned)key, sizeof *v, (void **)&v);
		if (rc)
			return rc;
	}
	return *v += by;
}

static long tally_addr(long key)
{
	return (long)pf_caller_data_get((unsigned)key);
}

static long tally_alloc(long key)
{
	void *p;
	return pf_caller_data_alloc((unsigned)key, 16, &p);
}

static long tally_free(long key)
{
	return pf_caller_data_free((unsigned)key);
}

static const struct one_export tally_ex[] = {
	{ "tally.bump", (void *)tally_bump, 0, 0 },
	{ "tally.addr", (void *)tally_addr, 0, 0 },
	{ "tally.alloc", (void *)tally_alloc, 0, 0 },
	{ "tally.free", (void *)tally_free, 0, 0 },
	{ 0 },
};

static long bump(const struct actor *a, long key, long by)
{
	struct call2_req r = { "tally.bump", key, by };
	return as(a, call2, &r);
}

static void per_caller_variables_are_isolated_between_three_callers(void **state)
{
	(void)state;
	pf_process *tally = server("tally", tally_ex);
	struct actor a = actor_start("alice", NULL), b = actor_start("bob", NULL),
		     c = actor_start("carol", NULL);
	for (int round = 1; round <= 3; round++) {
		assert_int_equal(bump(&a, 1, 1), round);
		assert_int_equal(bump(&b, 1, 10), 10 * round);
		assert_int_equal(bump(&c, 1, 100), 100 * round);
	}
	assert_int_equal(bump(&a, 2, 5), 5);      /* another key, another variable */
	assert_int_equal(bump(&a, 1, 0), 3);
	assert_int_equal(caller_data_count(tally), 4);
	stop_server(a.p);
	stop_server(b.p);
	stop_server(c.p);
	stop_server(tally);
}

static void per_caller_variable_stays_at_one_address_across_calls(void **state)
{
	(void)state;
	pf_process *tally = server("tally", tally_ex);
	struct actor a = actor_start("alice", NULL);
	assert_int_equal(bump(&a, 3, 1), 1);
	struct call2_req r = { "tally.addr", 3, 0 };
	long first = as(&a, call2, &r);
	assert_true(first != 0);
	assert_int_equal(bump(&a, 3, 1), 2);
	assert_int_equal(as(&a, call2, &r), first);
	assert_int_equal(*(long *)first, 2);      /* the server's memory, still there */
	stop_server(a.p);
	stop_server(tally);
}

static void per_caller_variable_alloc_get_and_free_keep_their_contract(void **state)
{
	(void)state;
	pf_process *tally = server("tally", tally_ex);
	long (*alloc)(long) = PF_GATE(long(long), import_ok("tally.alloc"));
	long (*addr)(long) = PF_GATE(long(long), import_ok("tally.addr"));
	long (*release)(long) = PF_GATE(long(long), import_ok("tally.free"));
	assert_int_equal(addr(9), 0);                   /* absent: NULL */
	assert_int_equal(alloc(9), 0);
	long p = addr(9);
	assert_true(p != 0);
	assert_int_equal(p % (long)_Alignof(max_align_t), 0);
	assert_memory_equal((void *)p, (char[16]){ 0 }, 16);   /* zeroed */
	assert_int_equal(alloc(9), -EEXIST);
	assert_int_equal(release(9), 0);
	assert_int_equal(addr(9), 0);
	assert_int_equal(release(9), -ENOENT);
	stop_server(tally);
}

static void per_caller_variables_outside_an_export_are_refused(void **state)
{
	(void)state;
	void *p = NULL;
	assert_int_equal(pf_caller_data_alloc(1, 8, &p), -EINVAL);
	assert_null(pf_caller_data_get(1));
	assert_int_equal(pf_caller_data_free(1), -EINVAL);
}

static void per_caller_variables_are_freed_when_the_caller_exits(void **state)
{
	(void)state;
	pf_process *tally = server("tally", tally_ex);
	struct actor a = actor_start("alice", NULL), b = actor_start("bob", NULL),
		     c = actor_start("carol", NULL);
	bump(&a, 1, 1), bump(&a, 2, 1), bump(&b, 1, 1), bump(&c, 1, 1);
	assert_int_equal(caller_data_count(tally), 4);
	stop_server(a.p);
	assert_int_equal(caller_data_count(tally), 2);
	stop_server(b.p);
	assert_int_equal(caller_data_count(tally), 1);
	assert_int_equal(bump(&c, 1, 1), 2);            /* carol's is untouched */
	stop_server(c.p);
	assert_int_equal(caller_data_count(tally), 0);
	stop_server(tally);
}

static void per_caller_variables_are_freed_when_the_server_exits(void **state)
{
	(void)state;
	pf_process *tally = server("tally", tally_ex);
	struct actor a = actor_start("alice", NULL);
	bump(&a, 1, 1);
	assert_int_equal(caller_data_count(tally), 1);
	stop_server(tally);
	assert_int_equal(caller_data_count(tally), 0);
	stop_server(a.p);
}

/* ======================================================================== */
/* Handles                                                                   */
/* ======================================================================== */

static long hs_create(void *obj, uint64_t *out)
{
	return pf_handle_create(obj, out);
}

static long hs_lookup(uint64_t h, void **out)
{
	return pf_handle_lookup(h, out);
}

static long hs_close(uint64_t h)
{
	return pf_handle_close(h);
}

static long hs_give(uint64_t h, pf_process *to)
{
	return pf_handle_transfer(h, to);
}

static const struct one_export hs_ex[] = {
	{ "hs.create", (void *)hs_create, 0, 0 },
	{ "hs.lookup", (void *)hs_lookup, 0, 0 },
	{ "hs.close", (void *)hs_close, 0, 0 },
	{ "hs.give", (void *)hs_give, 0, 0 },
	{ 0 },
};

/* One handle operation, made by an actor. */
enum hs_op { HS_CREATE, HS_LOOKUP, HS_CLOSE, HS_GIVE };

struct hs_req {
	enum hs_op op;
	void *obj;          /* HS_CREATE */
	uint64_t h;         /* in, or out of HS_CREATE */
	pf_process *to;     /* HS_GIVE */
	void *found;        /* out of HS_LOOKUP */
	const char *ns;     /* the server's namespace: "hs" unless set */
};

static long hs_do(void *arg)
{
	struct hs_req *r = arg;
	static const char *const names[] = { "create", "lookup", "close", "give" };
	char name[32];
	snprintf(name, sizeof name, "%s.%s", r->ns ? r->ns : "hs", names[r->op]);
	void *gate;
	int rc = gate_for(name, &gate);
	if (rc)
		return rc;
	long v = 0;
	switch (r->op) {
	case HS_CREATE: v = ((long (*)(void *, uint64_t *))gate)(r->obj, &r->h); break;
	case HS_LOOKUP: v = ((long (*)(uint64_t, void **))gate)(r->h, &r->found); break;
	case HS_CLOSE:  v = ((long (*)(uint64_t))gate)(r->h); break;
	case HS_GIVE:   v = ((long (*)(uint64_t, pf_process *))gate)(r->h, r->to); break;
	}
	return pf_errno() ? pf_errno() : v;
}

static uint64_t create_as(const struct actor *a, void *obj)
{
	struct hs_req r = { .op = HS_CREATE, .obj = obj };
	assert_int_equal(as(a, hs_do, &r), 0);
	return r.h;
}

static long lookup_as(const struct actor *a, uint64_t h, void **found)
{
	struct hs_req r = { .op = HS_LOOKUP, .h = h };
	long rc = as(a, hs_do, &r);
	*found = r.found;
	return rc;
}

static long close_as(const struct actor *a, uint64_t h)
{
	struct hs_req r = { .op = HS_CLOSE, .h = h };
	return as(a, hs_do, &r);
}

static long give_as(const struct actor *a, uint64_t h, pf_process *to)
{
	struct hs_req r = { .op = HS_GIVE, .h = h, .to = to };
	return as(a, hs_do, &r);
}

static int object_a, object_b;

static void handle_is_usable_by_its_owner_only(void **state)
{
	(void)state;
	pf_process *hs = server("hs", hs_ex);
	struct actor alice = actor_start("alice", NULL), bob = actor_start("bob", NULL);
	uint64_t h = create_as(&alice, &object_a);
	void *found = NULL;

	assert_int_equal(lookup_as(&alice, h, &found), 0);
	assert_ptr_equal(found, &object_a);
	found = NULL;
	assert_int_equal(lookup_as(&bob, h, &found), -EPERM);
	assert_null(found);                             /* bob gets no object */
	assert_int_equal(close_as(&bob, h), -EPERM);
	assert_int_equal(give_as(&bob, h, bob.p), -EPERM);
	assert_int_equal(lookup_as(&alice, h, &found), 0);   /* still alice's */
	assert_ptr_equal(found, &object_a);
	stop_server(bob.p);
	stop_server(alice.p);
	stop_server(hs);
}

static void handle_is_not_the_object_address(void **state)
{
	(void)state;
	pf_process *hs = server("hs", hs_ex);
	struct actor alice = actor_start("alice", NULL);
	uint64_t h1 = create_as(&alice, &object_a), h2 = create_as(&alice, &object_a);
	assert_true(h1 != (uint64_t)(uintptr_t)&object_a);
	assert_true(h1 != 0 && h2 != 0 && h1 != h2);
	assert_true((h1 >> 40) != (h2 >> 40) || (h1 >> 40) == 0);   /* tags differ */
	stop_server(alice.p);
	stop_server(hs);
}

static void closed_stale_and_unknown_handles_are_bad(void **state)
{
	(void)state;
	pf_process *hs = server("hs", hs_ex);
	struct actor alice = actor_start("alice", NULL);
	uint64_t h = create_as(&alice, &object_a);
	void *found;
	assert_int_equal(close_as(&alice, h), 0);
	assert_int_equal(lookup_as(&alice, h, &found), -EBADF);
	assert_int_equal(close_as(&alice, h), -EBADF);
	uint64_t again = create_as(&alice, &object_b);    /* reuses the slot */
	assert_true(again != h);
	assert_int_equal(lookup_as(&alice, h, &found), -EBADF);   /* stale */
	assert_int_equal(lookup_as(&alice, 0, &found), -EBADF);
	assert_int_equal(lookup_as(&alice, again ^ (1ull << 50), &found), -EBADF);
	assert_int_equal(lookup_as(&alice, (again & ~0xfffffull) | 12345, &found), -EBADF);
	stop_server(alice.p);
	stop_server(hs);
}

static void transferred_handle_belongs_to_the_new_owner_only(void **state)
{
	(void)state;
	pf_process *hs = server("hs", hs_ex);
	struct actor alice = actor_start("alice", NULL), bob = actor_start("bob", NULL),
		     gone = actor_start("gone", NULL);
	uint64_t h = create_as(&alice, &object_b);
	void *found = NULL;
	assert_int_equal(give_as(&alice, h, bob.p), 0);
	assert_int_equal(lookup_as(&alice, h, &found), -EPERM);
	assert_int_equal(lookup_as(&bob, h, &found), 0);
	assert_ptr_equal(found, &object_b);
	assert_int_equal(close_as(&alice, h), -EPERM);

	stop_server(gone.p);
	assert_int_equal(give_as(&bob, h, gone.p), -ESRCH);   /* to an exited process */
	assert_int_equal(give_as(&bob, h, NULL), -EINVAL);
	assert_int_equal(close_as(&bob, h), 0);
	stop_server(bob.p);
	stop_server(alice.p);
	stop_server(hs);
}

/* Alice makes N handles, closes every other one, makes N/2 more. */
#define REUSE_N 1000

static uint64_t reuse_open[REUSE_N], reuse_closed[REUSE_N / 2], reuse_new[REUSE_N / 2];

static long churn(void *arg)
{
	(void)arg;
	struct hs_req r = { .op = HS_CREATE, .obj = &object_a };
	for (int i = 0; i < REUSE_N; i++) {
		if (hs_do(&r))
			return -1;
		reuse_open[i] = r.h;
	}
	for (int i = 0; i < REUSE_N; i += 2) {
		struct hs_req c = { .op = HS_CLOSE, .h = reuse_open[i] };
		if (hs_do(&c))
			return -2;
		reuse_closed[i / 2] = reuse_open[i];
		reuse_open[i] = 0;
	}
	for (int i = 0; i < REUSE_N / 2; i++) {
		if (hs_do(&r))
			return -3;
		reuse_new[i] = r.h;
	}
	for (int i = 0; i < REUSE_N / 2; i++) {
		struct hs_req l = { .op = HS_LOOKUP, .h = reuse_closed[i] };
		if (hs_do(&l) != -EBADF)
			return -4;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void handles_are_never_reused_while_open(void **state)
{
	(void)state;
	pf_process *hs = server("hs", hs_ex);
	struct actor alice = actor_start("alice", NULL);
	assert_int_equal(as(&alice, churn, NULL), 0);
	assert_int_equal(handles_open_count(hs), REUSE_N);

	/* Every handle ever given out is distinct: the open ones, the new
	 * ones (which reuse the closed slots) and the closed ones. */
	static uint64_t all[REUSE_N * 2];
	size_t n = 0;
	for (int i = 0; i < REUSE_N; i++)
		if (reuse_open[i])
			all[n++] = reuse_open[i];
	memcpy(all + n, reuse_new, sizeof reuse_new);
	n += REUSE_N / 2;
	memcpy(all + n, reuse_closed, sizeof reuse_closed);
	n += REUSE_N / 2;
	qsort(all, n, sizeof *all, cmp_u64);
	for (size_t i = 1; i < n; i++)
		assert_true(all[i] != all[i - 1]);
	stop_server(alice.p);
	stop_server(hs);
}

static void handles_of_an_exited_caller_are_closed(void **state)
{
	(void)state;
	pf_process *hs = server("hs", hs_ex);
	struct actor alice = actor_start("alice", NULL), bob = actor_start("bob", NULL);
	create_as(&alice, &object_a);
	create_as(&alice, &object_a);
	uint64_t hb = create_as(&bob, &object_b);
	assert_int_equal(handles_open_count(hs), 3);
	stop_server(alice.p);
	assert_int_equal(handles_open_count(hs), 1);
	void *found;
	assert_int_equal(lookup_as(&bob, hb, &found), 0);
	stop_server(bob.p);
	assert_int_equal(handles_open_count(hs), 0);
	stop_server(hs);
}

static void handle_of_one_server_means_nothing_to_another(void **state)
{
	(void)state;
	static const struct one_export hs2_ex[] = {
		{ "hs2.create", (void *)hs_create, 0, 0 },
		{ "hs2.lookup", (void *)hs_lookup, 0, 0 },
		{ 0 },
	};
	pf_process *hs = server("hs", hs_ex), *hs2 = server("hs2", hs2_ex);
	struct actor alice = actor_start("alice", NULL);
	uint64_t h = create_as(&alice, &object_a);
	struct hs_req r2 = { .op = HS_CREATE, .obj = &object_b, .ns = "hs2" };
	assert_int_equal(as(&alice, hs_do, &r2), 0);     /* slot 0 is open in hs2 too */
	struct hs_req l = { .op = HS_LOOKUP, .h = h, .ns = "hs2" };
	assert_int_equal(as(&alice, hs_do, &l), -EBADF);
	stop_server(alice.p);
	stop_server(hs2);
	stop_server(hs);
}

static void handles_outside_an_export_are_refused(void **state)
{
	(void)state;
	uint64_t h;
	void *p;
	assert_int_equal(pf_handle_create(&object_a, &h), -EINVAL);
	assert_int_equal(pf_handle_lookup(1, &p), -EINVAL);
	assert_int_equal(pf_handle_close(1), -EINVAL);
}

/* ======================================================================== */
/* Grants                                                                    */
/* ======================================================================== */

static long gs_secret(void) { return 42; }
static long gs_public(void) { return 7; }

static const struct one_export gs_ex[] = {
	{ "gs.secret", (void *)gs_secret, 0, PF_EXPORT_PRIVATE },
	{ "gs.public", (void *)gs_public, 0, 0 },
	{ 0 },
};

/* pf_grant / pf_delegate / pf_revoke, made by whichever actor runs it. */
enum grant_op { GRANT, DELEGATE, REVOKE };

struct grant_req {
	enum grant_op op;
	const char *name;
	pf_process *who;
	unsigned flags;
};

static long grant_do(void *arg)
{
	struct grant_req *r = arg;
	switch (r->op) {
	case GRANT:    return pf_grant(r->name, r->who, r->flags);
	case DELEGATE: return pf_delegate(r->name, r->who);
	case REVOKE:   return pf_revoke(r->name, r->who);
	}
	return -EINVAL;
}

static long grant_as(const struct actor *a, enum grant_op op, pf_process *who, unsigned flags)
{
	struct grant_req r = { op, "gs.secret", who, flags };
	return as(a, grant_do, &r);
}

static long grant_as_name(const struct actor *a, const char *name, pf_process *to)
{
	struct grant_req r = { GRANT, name, to, 0 };
	return as(a, grant_do, &r);
}

static long import_only(void *name)
{
	pf_import *imp;
	return pf_import_create(&imp, name, 0);
}

static void private_export_cannot_be_imported_without_a_grant(void **state)
{
	(void)state;
	struct actor gs = actor_start("gs", gs_ex), alice = actor_start("alice", NULL);
	pf_import *imp;
	assert_int_equal(pf_import_create(&imp, "gs.secret", 0), -EPERM);
	assert_int_equal(as(&alice, import_only, "gs.secret"), -EPERM);
	assert_int_equal(as(&alice, call0, "gs.public"), 7);
	assert_int_equal(as(&gs, call0, "gs.secret"), 42);   /* the exporter may */
	stop_server(alice.p);
	stop_server(gs.p);
}

static void granted_process_imports_and_calls_a_private_export(void **state)
{
	(void)state;
	struct actor gs = actor_start("gs", gs_ex), alice = actor_start("alice", NULL),
		     bob = actor_start("bob", NULL);
	assert_int_equal(grant_as(&gs, GRANT, alice.p, 0), 0);
	assert_int_equal(as(&alice, call0, "gs.secret"), 42);
	assert_int_equal(as(&bob, call0, "gs.secret"), -EPERM);   /* alice's grant only */
	stop_server(bob.p);
	stop_server(alice.p);
	stop_server(gs.p);
}

static void only_the_exporter_may_grant(void **state)
{
	(void)state;
	struct actor gs = actor_start("gs", gs_ex), alice = actor_start("alice", NULL);
	assert_int_equal(grant_as(&alice, GRANT, alice.p, 0), -EPERM);
	assert_int_equal(pf_grant("gs.secret", pf_self(), 0), -EPERM);
	assert_int_equal(grant_as(&gs, GRANT, alice.p, 1u << 7), -EINVAL);
	struct grant_req pub = { GRANT, "gs.public", alice.p, 0 };
	assert_int_equal(as(&gs, grant_do, &pub), -EINVAL);      /* not private */
	struct grant_req none = { GRANT, "gs.nothing", alice.p, 0 };
	assert_int_equal(as(&gs, grant_do, &none), -ENOENT);
	assert_int_equal(grant_as(&alice, REVOKE, alice.p, 0), -ENOENT);
	stop_server(alice.p);
	stop_server(gs.p);
}

static char revoked_message[256];

static long call_secret_keep_message(void *arg)
{
	long v = call0(arg);
	snprintf(revoked_message, sizeof revoked_message, "%s", pf_error_message());
	return v;
}

static void revoked_import_fails_its_next_call_with_eperm(void **state)
{
	(void)state;
	struct actor gs = actor_start("gs", gs_ex), alice = actor_start("alice", NULL);
	assert_int_equal(grant_as(&gs, GRANT, alice.p, 0), 0);
	assert_int_equal(as(&alice, call0, "gs.secret"), 42);
	assert_int_equal(grant_as(&gs, REVOKE, alice.p, 0), 0);

	assert_int_equal(as(&alice, call_secret_keep_message, "gs.secret"), -EPERM);
	assert_non_null(strstr(revoked_message, "alice"));
	assert_non_null(strstr(revoked_message, "gs.secret"));
	assert_int_equal(as(&alice, call0, "gs.public"), 7);    /* alice carries on */
	assert_int_equal(grant_as(&gs, REVOKE, alice.p, 0), -ENOENT);

	assert_int_equal(grant_as(&gs, GRANT, alice.p, 0), 0);   /* granted again */
	assert_int_equal(as(&alice, call0, "gs.secret"), 42);
	stop_server(alice.p);
	stop_server(gs.p);
}

static void holder_with_delegate_right_passes_the_grant_on(void **state)
{
	(void)state;
	struct actor gs = actor_start("gs", gs_ex), alice = actor_start("alice", NULL),
		     bob = actor_start("bob", NULL), carol = actor_start("carol", NULL),
		     dave = actor_start("dave", NULL);
	assert_int_equal(grant_as(&gs, GRANT, alice.p, PF_GRANT_DELEGATE), 0);
	assert_int_equal(grant_as(&gs, GRANT, dave.p, 0), 0);

	assert_int_equal(grant_as(&alice, DELEGATE, bob.p, 0), 0);
	assert_int_equal(as(&bob, call0, "gs.secret"), 42);
	assert_int_equal(grant_as(&bob, DELEGATE, carol.p, 0), -EPERM);   /* no further */
	assert_int_equal(grant_as(&dave, DELEGATE, carol.p, 0), -EPERM);  /* no right */
	assert_int_equal(grant_as(&carol, DELEGATE, carol.p, 0), -EPERM); /* no grant */
	assert_int_equal(as(&carol, call0, "gs.secret"), -EPERM);
	stop_server(dave.p);
	stop_server(carol.p);
	stop_server(bob.p);
	stop_server(alice.p);
	stop_server(gs.p);
}

static void revoking_a_delegator_revokes_what_it_delegated(void **state)
{
	(void)state;
	struct actor gs = actor_start("gs", gs_ex), alice = actor_start("alice", NULL),
		     bob = actor_start("bob", NULL);
	assert_int_equal(grant_as(&gs, GRANT, alice.p, PF_GRANT_DELEGATE), 0);
	assert_int_equal(grant_as(&alice, DELEGATE, bob.p, 0), 0);
	assert_int_equal(as(&bob, call0, "gs.secret"), 42);
	assert_int_equal(grant_as(&gs, REVOKE, alice.p, 0), 0);
	assert_int_equal(as(&alice, call0, "gs.secret"), -EPERM);
	assert_int_equal(as(&bob, call0, "gs.secret"), -EPERM);
	stop_server(bob.p);
	stop_server(alice.p);
	stop_server(gs.p);
}

static void delegator_may_revoke_what_it_delegated_and_nothing_else(void **state)
{
	(void)state;
	struct actor gs = actor_start("gs", gs_ex), alice = actor_start("alice", NULL),
		     bob = actor_start("bob", NULL), carol = actor_start("carol", NULL);
	assert_int_equal(grant_as(&gs, GRANT, alice.p, PF_GRANT_DELEGATE), 0);
	assert_int_equal(grant_as(&gs, GRANT, carol.p, 0), 0);
	assert_int_equal(grant_as(&alice, DELEGATE, bob.p, 0), 0);
	assert_int_equal(grant_as(&alice, REVOKE, carol.p, 0), -EPERM);
	assert_int_equal(grant_as(&bob, REVOKE, alice.p, 0), -EPERM);
	assert_int_equal(grant_as(&alice, REVOKE, bob.p, 0), 0);
	assert_int_equal(as(&bob, call0, "gs.secret"), -EPERM);
	assert_int_equal(as(&alice, call0, "gs.secret"), 42);
	assert_int_equal(as(&carol, call0, "gs.secret"), 42);
	stop_server(carol.p);
	stop_server(bob.p);
	stop_server(alice.p);
	stop_server(gs.p);
}

static pf_import *lazy_imp;

static long import_lazily(void *name)
{
	return pf_import_create(&lazy_imp, name, PF_IMPORT_LAZY);
}

static long call_lazy_import(void *arg)
{
	(void)arg;
	long v = PF_GATE(long(void), lazy_imp)();
	return pf_errno() ? pf_errno() : v;
}

static void lazy_import_of_a_private_export_fails_at_its_call_without_a_grant(void **state)
{
	(void)state;
	static const struct one_export late_ex[] = {
		{ "late.secret", (void *)gs_secret, 0, PF_EXPORT_PRIVATE }, { 0 } };
	struct actor alice = actor_start("alice", NULL);
	/* Imported while nobody exports the name: nothing to check yet. */
	assert_int_equal(as(&alice, import_lazily, "late.secret"), 0);
	struct actor late = actor_start("late", late_ex);
	assert_int_equal(as(&alice, call_lazy_import, NULL), -EPERM);
	assert_int_equal(grant_as_name(&late, "late.secret", alice.p), 0);
	assert_int_equal(as(&alice, call_lazy_import, NULL), 42);
	stop_server(late.p);
	stop_server(alice.p);
}

static void grants_end_when_the_holder_or_the_exporter_exits(void **state)
{
	(void)state;
	unsigned before = grants_count();
	struct actor gs = actor_start("gs", gs_ex), alice = actor_start("alice", NULL),
		     bob = actor_start("bob", NULL), carol = actor_start("carol", NULL);
	assert_int_equal(grant_as(&gs, GRANT, alice.p, PF_GRANT_DELEGATE), 0);
	assert_int_equal(grant_as(&alice, DELEGATE, carol.p, 0), 0);
	assert_int_equal(grant_as(&gs, GRANT, bob.p, 0), 0);
	assert_int_equal(grants_count(), before + 3);
	stop_server(alice.p);                          /* with what alice delegated */
	assert_int_equal(grants_count(), before + 1);
	assert_int_equal(as(&carol, call0, "gs.secret"), -EPERM);
	stop_server(gs.p);
	assert_int_equal(grants_count(), before);

	/* A new exporter of the name does not inherit the old one's grants. */
	struct actor gs2 = actor_start("gs", gs_ex);
	assert_int_equal(as(&bob, call0, "gs.secret"), -EPERM);
	stop_server(gs2.p);
	stop_server(carol.p);
	stop_server(bob.p);
}

/* ======================================================================== */
/* Crashes, restarts and asynchronous calls                                  */
/* ======================================================================== */

static long *volatile wild = (long *)16;   /* a fault outside the arena */

static long crash_here(void *arg)
{
	(void)arg;
	*wild = 1;
	return 0;
}

static void state_kept_for_a_caller_that_crashed_is_released(void **state)
{
	(void)state;
	unsigned grants_before = grants_count();
	pf_process *tally = server("tally", tally_ex), *hs = server("hs", hs_ex);
	struct actor gs = actor_start("gs", gs_ex), alice = actor_start("alice", NULL);
	assert_int_equal(bump(&alice, 1, 1), 1);
	create_as(&alice, &object_a);
	assert_int_equal(grant_as(&gs, GRANT, alice.p, 0), 0);

	assert_int_equal(alice.run(crash_here, NULL), 0);
	assert_int_equal(pf_errno(), -EOWNERDEAD);
	assert_int_equal(pf_process_join(alice.p), 0);   /* without a restart it ends */
	assert_int_equal(caller_data_count(tally), 0);
	assert_int_equal(handles_open_count(hs), 0);
	assert_int_equal(grants_count(), grants_before);
	stop_server(gs.p);
	stop_server(hs);
	stop_server(tally);
}

/* An export that grants its own caller: the shape of a "login" call. */
static long rs_admit(void) { return pf_grant("rs.secret", pf_caller(), 0); }
static long rs_crash(void) { return crash_here(NULL); }

static const struct one_export rs_ex[] = {
	{ "rs.secret", (void *)gs_secret, 0, PF_EXPORT_PRIVATE },
	{ "rs.admit", (void *)rs_admit, 0, 0 },
	{ "rs.crash", (void *)rs_crash, 0, 0 },
	{ 0 },
};

static void grant_survives_a_crash_and_restart_of_its_exporter(void **state)
{
	(void)state;
	pf_process_options opts = { .restart = PF_RESTART_ALWAYS };
	pf_process *rs;
	assert_int_equal(pf_process_create(&rs, "rs", &opts, export_list_init, (void *)rs_ex), 0);
	track(rs);
	struct actor alice = actor_start("alice", NULL);
	assert_int_equal(as(&alice, call0, "rs.admit"), 0);
	assert_int_equal(as(&alice, call0, "rs.secret"), 42);

	PF_GATE(long(void), import_ok("rs.crash"))();
	assert_int_equal(pf_errno(), -EOWNERDEAD);
	/* The same process comes back from its init; wait until it serves. */
	long v = 0;
	for (int i = 0; i < 2000; i++) {
		v = as(&alice, call0, "rs.secret");
		if (v != -ESRCH && v != -EOWNERDEAD)
			break;
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
	}
	assert_int_equal(pf_process_crashes(rs), 1);
	assert_int_equal(v, 42);
	stop_server(alice.p);
	stop_server(rs);
}

static pf_import *async_secret;

static long import_async(void *arg)
{
	(void)arg;
	return pf_import_create(&async_secret, "gs.secret", PF_IMPORT_ASYNC);
}

static long call_async_and_wait(void *arg)
{
	(void)arg;
	uint64_t ticket = PF_GATE(uint64_t(void), async_secret)();
	if (pf_errno())
		return pf_errno();
	pf_result r;
	int rc = pf_wait(ticket, 5000000000, &r);
	return rc ? rc : (long)r.rax;
}

static void asynchronous_call_through_a_revoked_import_fails_with_eperm(void **state)
{
	(void)state;
	struct actor gs = actor_start("gs", gs_ex), alice = actor_start("alice", NULL);
	assert_int_equal(grant_as(&gs, GRANT, alice.p, 0), 0);
	assert_int_equal(as(&alice, import_async, NULL), 0);
	assert_int_equal(as(&alice, call_async_and_wait, NULL), 42);
	assert_int_equal(grant_as(&gs, REVOKE, alice.p, 0), 0);
	assert_int_equal(as(&alice, call_async_and_wait, NULL), -EPERM);
	stop_server(alice.p);
	stop_server(gs.p);
}

int main(void)
{
	if (pf_process_join_self(NULL, "main") != 0)
		return 1;
	const struct CMUnitTest identity[] = {
		cmocka_unit_test_teardown(caller_is_null_outside_an_export, stop_leftovers),
		cmocka_unit_test_teardown(export_sees_the_process_that_called_it, stop_leftovers),
		cmocka_unit_test_teardown(nested_calls_report_the_immediate_caller, stop_leftovers),
		cmocka_unit_test_teardown(callback_into_a_waiting_caller_sees_the_callee_as_caller, stop_leftovers),
		cmocka_unit_test_teardown(arguments_claiming_another_process_do_not_change_the_caller, stop_leftovers),
		cmocka_unit_test_teardown(calling_through_another_process_import_is_refused, stop_leftovers),
	};
	const struct CMUnitTest caller_data[] = {
		cmocka_unit_test_teardown(per_caller_variables_are_isolated_between_three_callers, stop_leftovers),
		cmocka_unit_test_teardown(per_caller_variable_stays_at_one_address_across_calls, stop_leftovers),
		cmocka_unit_test_teardown(per_caller_variable_alloc_get_and_free_keep_their_contract, stop_leftovers),
		cmocka_unit_test_teardown(per_caller_variables_outside_an_export_are_refused, stop_leftovers),
		cmocka_unit_test_teardown(per_caller_variables_are_freed_when_the_caller_exits, stop_leftovers),
		cmocka_unit_test_teardown(per_caller_variables_are_freed_when_the_server_exits, stop_leftovers),
	};
	const struct CMUnitTest handles[] = {
		cmocka_unit_test_teardown(handle_is_usable_by_its_owner_only, stop_leftovers),
		cmocka_unit_test_teardown(handle_is_not_the_object_address, stop_leftovers),
		cmocka_unit_test_teardown(closed_stale_and_unknown_handles_are_bad, stop_leftovers),
		cmocka_unit_test_teardown(transferred_handle_belongs_to_the_new_owner_only, stop_leftovers),
		cmocka_unit_test_teardown(handles_are_never_reused_while_open, stop_leftovers),
		cmocka_unit_test_teardown(handles_of_an_exited_caller_are_closed, stop_leftovers),
		cmocka_unit_test_teardown(handle_of_one_server_means_nothing_to_another, stop_leftovers),
		cmocka_unit_test_teardown(handles_outside_an_export_are_refused, stop_leftovers),
	};
	const struct CMUnitTest grants[] = {
		cmocka_unit_test_teardown(private_export_cannot_be_imported_without_a_grant, stop_leftovers),
		cmocka_unit_test_teardown(granted_process_imports_and_calls_a_private_export, stop_leftovers),
		cmocka_unit_test_teardown(only_the_exporter_may_grant, stop_leftovers),
		cmocka_unit_test_teardown(revoked_import_fails_its_next_call_with_eperm, stop_leftovers),
		cmocka_unit_test_teardown(holder_with_delegate_right_passes_the_grant_on, stop_leftovers),
		cmocka_unit_test_teardown(revoking_a_delegator_revokes_what_it_delegated, stop_leftovers),
		cmocka_unit_test_teardown(delegator_may_revoke_what_it_delegated_and_nothing_else, stop_leftovers),
		cmocka_unit_test_teardown(lazy_import_of_a_private_export_fails_at_its_call_without_a_grant, stop_leftovers),
		cmocka_unit_test_teardown(grants_end_when_the_holder_or_the_exporter_exits, stop_leftovers),
	};
	const struct CMUnitTest lifecycle[] = {
		cmocka_unit_test_teardown(state_kept_for_a_caller_that_crashed_is_released, stop_leftovers),
		cmocka_unit_test_teardown(grant_survives_a_crash_and_restart_of_its_exporter, stop_leftovers),
		cmocka_unit_test_teardown(asynchronous_call_through_a_revoked_import_fails_with_eperm, stop_leftovers),
	};
	int failed = cmocka_run_group_tests_name("caller identity", identity, NULL, NULL);
	failed += cmocka_run_group_tests_name("per-caller variables", caller_data, NULL, NULL);
	failed += cmocka_run_group_tests_name("handles", handles, NULL, NULL);
	failed += cmocka_run_group_tests_name("grants", grants, NULL, NULL);
	failed += cmocka_run_group_tests_name("crashes, restarts, asynchronous calls", lifecycle, NULL, NULL);
	return failed ? 1 : 0;
}
