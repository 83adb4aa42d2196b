/* fs_isolated.c - the same file server, isolated: a bug in it cannot reach
 * its client.
 *
 *   python3 tools/pfidl/pfidl.py examples/fs/fs.pfidl -o /tmp/fs
 *   cc -O2 -I/tmp/fs examples/fs/fs_isolated.c examples/fs/fs_server.c \
 *      /tmp/fs/fs_exports.c $(pkg-config --cflags --libs pfipc) -o fs-isolated
 *
 * (meson builds the same as build/examples/fs/fs-isolated.)
 *
 * The server runs with PF_ISOLATE_SPACE, in an OS process of its own, and
 * PF_RESTART_ALWAYS. Besides fs.pfidl it exports one function written the
 * way pfidl exists to prevent: "fs.label" writes a label through a pointer
 * its caller passed. In the client's address space that write would land
 * in the client's memory; here it lands in the server's own copy, and a
 * bad pointer crashes only the server, which comes back empty (an isolated
 * process's memory is not kept across a restart) while the client carries
 * on.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fs_client.h"
#include "fs_server.h"

/* The bug: the server treats the caller's pointer as its own memory. */
static long fs_label(char *where)
{
	strcpy(where, "written by the file server");
	return 0;
}

static int server_init(void *arg)
{
	int err = fs_server_init(arg);
	return err ? err : pf_export("fs.label", (void *)fs_label, PF_STACK_AUTO, 0);
}

/* What the client keeps in its own memory. */
static char notes[64] = "the client's own notes";

static int failed(const char *what)
{
	if (pf_errno() == 0)
		return 0;
	fprintf(stderr, "%s: %s\n", what, pf_error_message());
	return 1;
}

/* Opens NAME, waiting (up to a second) while the server restarts. */
static int open_when_back(const char *name, bool create)
{
	for (int i = 0; i < 1000; i++) {
		int fd = fs_open(name, strlen(name), create);
		if (pf_errno() != -EOWNERDEAD)
			return fd;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	return -EOWNERDEAD;
}

int main(void)
{
	static const char text[] = "hello from another address space";
	pf_process *server;
	pf_process_options opts = { .size = sizeof opts, .isolation = PF_ISOLATE_SPACE,
				    .restart = PF_RESTART_ALWAYS };
	pf_import *label_imp;
	char buf[64];
	int err, bad = 0;

	if ((err = pf_process_join_self(NULL, "fs-client")) < 0 ||
	    (err = pf_process_create(&server, "fs-server", &opts, server_init, NULL)) < 0 ||
	    (err = fs_client_init()) < 0 ||
	    (err = pf_import_create(&label_imp, "fs.label", 0)) < 0) {
		fprintf(stderr, "setup: %s\n", pf_strerror(err));
		return 1;
	}
	long (*label)(char *) = PF_GATE(long(char *), label_imp);

	/* Buffers declared in fs.pfidl cross the boundary both ways. */
	int fd = fs_open("greeting.txt", strlen("greeting.txt"), true);
	bad += failed("open");
	fs_write(fd, text, strlen(text));
	bad += failed("write");
	fs_seek(fd, 0);
	memset(buf, 0, sizeof buf);
	long n = fs_read(fd, buf, sizeof buf);
	bad += failed("read");
	printf("read back: \"%.*s\"\n", (int)(n > 0 ? n : 0), buf);

	/* A plain pointer does not: the server writes into its own memory. */
	label(notes);
	bad += failed("label");
	printf("after fs.label(notes): notes = \"%s\"\n", notes);
	if (strcmp(notes, "the client's own notes") != 0)
		bad++;

	/* A bad request: a wild write. Only the server dies. */
	label((char *)16);
	printf("fs.label(bad pointer): pf_errno() = %d (%s)\n", pf_errno(),
	       pf_strerror(pf_errno()));
	if (pf_errno() != -EOWNERDEAD)
		bad++;

	/* Restarted from its init, in a fresh OS process: its files are gone,
	 * the client goes on. */
	fd = open_when_back("greeting.txt", false);
	printf("open(\"greeting.txt\") after the restart = %d (%s)\n", fd,
	       fd == -ENOENT ? "no such file: the new incarnation starts empty" : "?");
	if (fd != -ENOENT)
		bad++;
	fd = open_when_back("greeting.txt", true);
	fs_write(fd, text, strlen(text));
	bad += failed("write");
	struct fs_stat st = fs_fstat(fd);
	bad += failed("fstat");
	printf("written again: %llu bytes; the server crashed %u time(s)\n",
	       (unsigned long long)st.size, pf_process_crashes(server));
	fs_close(fd);
	bad += failed("close");

	pf_process_stop(server);
	pf_process_join(server);
	pf_thread_detach();
	return bad ? 1 : 0;
}
