/* window_server: a server that hands out windows as handles.
 *
 *   cc -O2 window_server.c $(pkg-config --cflags --libs pfipc) -o window_server
 *
 * Three client processes (alice, bob, eve) and a window server ("win").
 * win.create is a private export: the server grants it to alice and bob
 * only. Each client gets a handle for its window; the server looks handles
 * up for the process pf_caller() names — taken from the thread that made
 * the call, not from anything the client passes — so bob's handle is
 * useless to alice even when she learns its value. Eve, with no grant,
 * cannot import win.create at all.
 *
 * Clients are processes with one export, "<name>.act", that main asks to
 * take one step at a time, so the story prints in order. */
#include <pfipc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the window server -------------------------------------------------- */

struct window {
	char title[32];
};

/* How many windows each client has open: a per-caller variable. */
#define KEY_OPEN_WINDOWS 1u

static unsigned *open_windows(void)
{
	unsigned *n = pf_caller_data_get(KEY_OPEN_WINDOWS);
	if (!n && pf_caller_data_alloc(KEY_OPEN_WINDOWS, sizeof *n, (void **)&n) != 0)
		return NULL;
	return n;
}

/* Returns the new window's handle, or 0 (never a valid handle). */
static uint64_t win_create(const char *title)
{
	struct window *w = calloc(1, sizeof *w);
	unsigned *n = open_windows();
	uint64_t h;
	if (!w || !n || pf_handle_create(w, &h) != 0) {
		free(w);
		return 0;
	}
	snprintf(w->title, sizeof w->title, "%s", title);
	++*n;
	printf("  [win] created \"%s\" for %s (handle %#llx; %s has %u open)\n",
	       w->title, pf_process_name(pf_caller()), (unsigned long long)h,
	       pf_process_name(pf_caller()), *n);
	return h;
}

/* 0, or the negative errno value pf_handle_lookup gave. */
static int win_close(uint64_t h)
{
	struct window *w;
	int rc = pf_handle_lookup(h, (void **)&w);
	if (rc) {
		printf("  [win] %s may not close handle %#llx: %s\n",
		       pf_process_name(pf_caller()), (unsigned long long)h, pf_strerror(rc));
		return rc;
	}
	pf_handle_close(h);
	--*open_windows();
	printf("  [win] closed \"%s\" for %s\n", w->title, pf_process_name(pf_caller()));
	free(w);
	return 0;
}

static int win_init(void *arg)
{
	(void)arg;
	int rc;
	if ((rc = pf_export("win.create", (void *)win_create, 0, PF_EXPORT_PRIVATE)) ||
	    (rc = pf_export("win.close", (void *)win_close, 0, 0)))
		return rc;
	/* Only the exporter may grant; this server admits alice and bob. */
	if ((rc = pf_grant("win.create", pf_process_find("alice"), 0)) ||
	    (rc = pf_grant("win.create", pf_process_find("bob"), 0)))
		return rc;
	printf("  [win] win.create is private; granted to alice and bob\n");
	return 0;
}

/* ---- the clients -------------------------------------------------------- */

enum step { IMPORT, OPEN, CLOSE_OWN, CLOSE_OTHERS };

struct client {
	const char *name;
	uint64_t (*create)(const char *);
	int (*close)(uint64_t);
	uint64_t window;
};

static struct client clients[] = { { .name = "alice" }, { .name = "bob" }, { .name = "eve" } };

/* The client whose thread runs this (each client's export runs on its
 * own process's thread). */
static struct client *me(void)
{
	for (size_t i = 0; i < sizeof clients / sizeof *clients; i++)
		if (strcmp(clients[i].name, pf_process_name(pf_self())) == 0)
			return &clients[i];
	return NULL;
}

static int client_act(enum step step, struct client *other)
{
	struct client *c = me();
	pf_import *imp;
	int rc;
	switch (step) {
	case IMPORT:
		if ((rc = pf_import_create(&imp, "win.create", 0)) != 0) {
			printf("  [%s] cannot import win.create: %s\n", c->name, pf_strerror(rc));
			return rc;
		}
		c->create = PF_GATE(uint64_t(const char *), imp);
		if ((rc = pf_import_create(&imp, "win.close", 0)) != 0)
			return rc;
		c->close = PF_GATE(int(uint64_t), imp);
		printf("  [%s] imported win.create and win.close\n", c->name);
		return 0;
	case OPEN: {
		char title[32];
		snprintf(title, sizeof title, "%s's editor", c->name);
		c->window = c->create(title);
		return pf_errno();
	}
	case CLOSE_OWN:
		return c->close(c->window);
	case CLOSE_OTHERS:
		/* The handle's value leaked to us; the server still refuses. */
		printf("  [%s] trying to close %s's window %#llx\n", c->name,
		       other->name, (unsigned long long)other->window);
		return c->close(other->window);
	}
	return -1;
}

static int client_init(void *arg)
{
	char name[64];
	snprintf(name, sizeof name, "%s.act", (const char *)arg);
	return pf_export(name, (void *)client_act, 0, 0);
}

/* ---- main: sets the stage and calls the clients in turn ----------------- */

static pf_process *procs[3];
static int (*act[3])(enum step, struct client *);

static int start_client(int i)
{
	char name[64];
	pf_import *imp;
	int rc = pf_process_create(&procs[i], clients[i].name, NULL, client_init,
				   (void *)clients[i].name);
	snprintf(name, sizeof name, "%s.act", clients[i].name);
	if (!rc && !(rc = pf_import_create(&imp, name, 0)))
		act[i] = PF_GATE(int(enum step, struct client *), imp);
	return rc;
}

int main(void)
{
	pf_process *win;
	int rc;
	enum { ALICE, BOB, EVE };

	if ((rc = pf_process_join_self(NULL, "main")) || (rc = start_client(ALICE)) ||
	    (rc = start_client(BOB)) || (rc = start_client(EVE)) ||
	    (rc = pf_process_create(&win, "win", NULL, win_init, NULL))) {
		fprintf(stderr, "window_server: set-up failed: %s\n", pf_strerror(rc));
		return 1;
	}

	printf("1. alice and bob import the window server; eve tries\n");
	act[ALICE](IMPORT, NULL);
	act[BOB](IMPORT, NULL);
	rc = act[EVE](IMPORT, NULL);
	printf("   eve's import: %d (%s)\n", rc, pf_strerror(rc));

	printf("2. alice and bob open a window each\n");
	act[ALICE](OPEN, NULL);
	act[BOB](OPEN, NULL);

	printf("3. alice tries to close bob's window\n");
	rc = act[ALICE](CLOSE_OTHERS, &clients[BOB]);
	printf("   alice's attempt: %d (%s)\n", rc, pf_strerror(rc));

	printf("4. each closes their own\n");
	int a = act[ALICE](CLOSE_OWN, NULL), b = act[BOB](CLOSE_OWN, NULL);
	printf("   alice: %d, bob: %d\n", a, b);

	printf("5. bob closes his window again: the handle is stale now\n");
	rc = act[BOB](CLOSE_OWN, NULL);
	printf("   bob's second close: %d (%s)\n", rc, pf_strerror(rc));

	pf_process_stop(win);
	pf_process_join(win);
	for (int i = 0; i < 3; i++) {
		pf_process_stop(procs[i]);
		pf_process_join(procs[i]);
	}
	pf_thread_detach();
	return 0;
}
