/* fs_client.c - a client of the in-memory file server, calling it through
 * the header pfidl writes from fs.pfidl.
 *
 *   python3 tools/pfidl/pfidl.py examples/fs/fs.pfidl -o /tmp/fs
 *   cc -O2 -I/tmp/fs examples/fs/fs_client.c examples/fs/fs_server.c \
 *      /tmp/fs/fs_exports.c $(pkg-config --cflags --libs pfipc) -o fs-example
 *
 * (meson builds the same as build/examples/fs/fs-example; see meson.build.)
 */
#include <stdio.h>
#include <string.h>

#include "fs_client.h"
#include "fs_server.h"

/* Prints why a call through an import failed; returns 1 so main can add up
 * failures. */
static int failed(const char *what)
{
	if (pf_errno() == 0)
		return 0;
	fprintf(stderr, "%s: %s\n", what, pf_error_message());
	return 1;
}

int main(void)
{
	static const char text[] = "hello from a page fault";
	static char too_long[5000];
	pf_process *server;
	char buf[64];
	int err;

	/* main becomes the client process; the server gets its own thread and
	 * has exported all of fs.pfidl by the time pf_process_create returns. */
	if ((err = pf_process_join_self(NULL, "fs-client")) < 0 ||
	    (err = pf_process_create(&server, "fs-server", NULL, fs_server_init,
				     NULL)) < 0 ||
	    (err = fs_client_init()) < 0) {
		fprintf(stderr, "setup: %s\n", pf_strerror(err));
		return 1;
	}

	int fd = fs_open("greeting.txt", strlen("greeting.txt"), true);
	int bad = failed("open");
	printf("open(\"greeting.txt\") = %d\n", fd);

	long n = fs_write(fd, text, strlen(text));
	bad += failed("write");
	printf("write(%d, \"%s\") = %ld\n", fd, text, n);

	fs_seek(fd, 0);
	bad += failed("seek");
	memset(buf, 0, sizeof(buf));
	n = fs_read(fd, buf, sizeof(buf));
	bad += failed("read");
	printf("read(%d) = %ld: \"%.*s\"\n", fd, n, (int)(n > 0 ? n : 0), buf);

	struct fs_stat st = fs_fstat(fd);
	bad += failed("fstat");
	printf("fstat(%d) = { size %llu, ino %u, opens %u }\n", fd,
	       (unsigned long long)st.size, st.ino, st.opens);

	/* fs.pfidl says write takes at most 4096 bytes: pfipc refuses the
	 * call before the server sees it. */
	n = fs_write(fd, too_long, sizeof(too_long));
	printf("write(%d, 5000 bytes) = %ld, pf_errno() = %d (%s)\n", fd, n,
	       pf_errno(), pf_strerror(pf_errno()));
	if (pf_errno() != -EMSGSIZE)
		bad++;

	printf("close(%d) = %d\n", fd, fs_close(fd));
	bad += failed("close");

	pf_process_stop(server);
	pf_process_join(server);
	pf_thread_detach();
	return bad ? 1 : 0;
}
