/* crash_restart: a server whose export crashes on bad input. The crash
 * kills only the server; the client gets EOWNERDEAD, is told of the death,
 * and the server comes back under its restart policy.
 *
 *   cc -O2 -g crash_restart.c $(pkg-config --cflags --libs pfipc) -o crash_restart
 */
#include <pfipc.h>
#include <stdio.h>

static int *volatile nowhere;   /* NULL: dereferencing it crashes */

static long parse(long x)
{
	if (x < 0)
		return *nowhere;   /* a bug in the server */
	return x * 10;
}

static int parser_init(void *arg)
{
	(void)arg;
	printf("[parser] starting, exporting parser.parse\n");
	return pf_export("parser.parse", (void *)parse, PF_STACK_AUTO, 0);
}

static void on_death(pf_process *p, int why, void *arg)
{
	(void)arg;
	printf("[client] death notice: %s %s\n", pf_process_name(p),
	       why == PF_DIED_CRASHED ? "crashed" : "stopped");
}

int main(void)
{
	pf_process *client, *parser;
	pf_import *imp;
	pf_process_options opts = { .restart = PF_RESTART_ALWAYS };
	if (pf_process_join_self(&client, "client") ||
	    pf_process_create(&parser, "parser", &opts, parser_init, NULL) ||
	    pf_process_watch(parser, on_death, NULL) ||
	    pf_import_create(&imp, "parser.parse", 0))
		return 1;
	long (*parse_call)(long) = PF_GATE(long(long), imp);

	long inputs[] = { 4, -1, 5 };
	for (int i = 0; i < 3; i++) {
		long r = parse_call(inputs[i]);
		if (pf_errno() == 0)
			printf("[client] parse(%ld) = %ld\n", inputs[i], r);
		else
			printf("[client] parse(%ld) failed: %s\n", inputs[i], pf_error_message());
		if (pf_errno() == -EOWNERDEAD) {
			/* The restart is asynchronous: calls fail with
			 * EOWNERDEAD until the new incarnation has exported. */
			for (int tries = 0; tries < 1000 && pf_process_crashes(parser) == 1; tries++) {
				parse_call(0);
				if (pf_errno() == 0)
					break;
			}
		}
	}
	printf("[client] parser crashed %u time(s) and is serving again\n", pf_process_crashes(parser));
	pf_process_stop(parser);
	pf_process_join(parser);
	pf_thread_detach();
	return 0;
}
