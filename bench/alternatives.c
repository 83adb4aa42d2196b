/*
 * alternatives.c — what a user would write instead of pfipc to ask another
 * thread to do something and wait for the answer: a byte through a pipe, a
 * byte through a socketpair, or a request/reply under a mutex and two
 * condition variables. Each side is pinned to its own CPU as in the floors,
 * so the comparison with a pf call on the other core is like for like.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

/* ------------------------------------------------- pipe and socketpair */

/* to_peer[1] → to_peer[0] carries the request, to_main[1] → to_main[0] the
 * reply. A socketpair is bidirectional, so both ends serve both ways. */
struct bytepipe {
	bool socket;
	int main_tx, main_rx, peer_tx, peer_rx;
	struct peer *peer;
	struct cpu_saved saved;
};

static void byte_swap_or_die(int tx, int rx, bool send_first)
{
	char c = 'x';

	if (send_first && write(tx, &c, 1) != 1)
		goto fail;
	if (read(rx, &c, 1) != 1)
		goto fail;
	if (!send_first && write(tx, &c, 1) != 1)
		goto fail;
	return;
fail:
	perror("pfbench: pipe/socket ping-pong");
	_exit(1);
}

static void bytepipe_peer(void *arg, uint64_t iters)
{
	struct bytepipe *bp = arg;

	for (uint64_t i = 0; i < iters; i++)
		byte_swap_or_die(bp->peer_tx, bp->peer_rx, false);
}

static int bytepipe_setup(void *ctx, const char **why)
{
	struct bytepipe *bp = ctx;
	int a[2], b[2];

	if (bp->socket) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a) != 0) {
			*why = "socketpair failed";
			return -1;
		}
		bp->main_tx = bp->main_rx = a[0];
		bp->peer_tx = bp->peer_rx = a[1];
	} else {
		if (pipe2(a, O_CLOEXEC) != 0 || pipe2(b, O_CLOEXEC) != 0) {
			*why = "pipe failed";
			return -1;
		}
		bp->main_tx = a[1], bp->peer_rx = a[0];
		bp->peer_tx = b[1], bp->main_rx = b[0];
	}
	if (peer_start(&bp->peer, bytepipe_peer, bp, cpu_b(), NULL, NULL)) {
		*why = "could not start the peer thread";
		return -1;
	}
	return 0;
}

static void bytepipe_begin(void *ctx)
{
	struct bytepipe *bp = ctx;

	cpu_pin(cpu_a(), &bp->saved);
}

static void bytepipe_end(void *ctx)
{
	struct bytepipe *bp = ctx;

	cpu_unpin(&bp->saved);
}

static uint64_t bytepipe_run(void *ctx, uint64_t iters, uint64_t *ops)
{
	struct bytepipe *bp = ctx;

	peer_kick(bp->peer, iters);
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		byte_swap_or_die(bp->main_tx, bp->main_rx, true);
	}
	uint64_t t1 = now_ns();
	peer_wait(bp->peer);
	*ops = iters;
	return t1 - t0;
}

/* ------------------------------------------- mutex + condvar request/reply */

/* The textbook request/reply: a request counter and a reply counter under
 * one mutex, a condition variable for each direction. */
struct condvar_rr {
	pthread_mutex_t lock;
	pthread_cond_t req_cv, rep_cv;
	uint64_t req, rep;
	struct peer *peer;
	struct cpu_saved saved;
};

static void condvar_peer(void *arg, uint64_t iters)
{
	struct condvar_rr *cv = arg;

	pthread_mutex_lock(&cv->lock);
	for (uint64_t i = 0; i < iters; i++) {
		while (cv->req == cv->rep)
			pthread_cond_wait(&cv->req_cv, &cv->lock);
		cv->rep = cv->req; /* "do the work", answer */
		pthread_cond_signal(&cv->rep_cv);
	}
	pthread_mutex_unlock(&cv->lock);
}

static int condvar_setup(void *ctx, const char **why)
{
	struct condvar_rr *cv = ctx;

	pthread_mutex_init(&cv->lock, NULL);
	pthread_cond_init(&cv->req_cv, NULL);
	pthread_cond_init(&cv->rep_cv, NULL);
	if (peer_start(&cv->peer, condvar_peer, cv, cpu_b(), NULL, NULL)) {
		*why = "could not start the peer thread";
		return -1;
	}
	return 0;
}

static void condvar_begin(void *ctx)
{
	struct condvar_rr *cv = ctx;

	cpu_pin(cpu_a(), &cv->saved);
}

static void condvar_end(void *ctx)
{
	struct condvar_rr *cv = ctx;

	cpu_unpin(&cv->saved);
}

static uint64_t condvar_run(void *ctx, uint64_t iters, uint64_t *ops)
{
	struct condvar_rr *cv = ctx;

	peer_kick(cv->peer, iters);
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		pthread_mutex_lock(&cv->lock);
		cv->req++;
		pthread_cond_signal(&cv->req_cv);
		while (cv->rep != cv->req)
			pthread_cond_wait(&cv->rep_cv, &cv->lock);
		pthread_mutex_unlock(&cv->lock);
	}
	uint64_t t1 = now_ns();
	peer_wait(cv->peer);
	*ops = iters;
	return t1 - t0;
}

static struct bytepipe pipe_pp = { .socket = false };
static struct bytepipe socket_pp = { .socket = true };
static struct condvar_rr condvar_rr;

void alternatives_register(struct case_list *l)
{
	case_add(l, &(struct bench_case){
		.name = "pipe_pp", .group = "alternative",
		.label = "pipe ping-pong, 2 threads",
		.ctx = &pipe_pp, .setup = bytepipe_setup,
		.begin = bytepipe_begin, .end = bytepipe_end,
		.run = bytepipe_run });
	case_add(l, &(struct bench_case){
		.name = "socketpair_pp", .group = "alternative",
		.label = "socketpair ping-pong, 2 threads",
		.ctx = &socket_pp, .setup = bytepipe_setup,
		.begin = bytepipe_begin, .end = bytepipe_end,
		.run = bytepipe_run });
	case_add(l, &(struct bench_case){
		.name = "condvar_rr", .group = "alternative",
		.label = "mutex+condvar req/reply, 2 threads",
		.ctx = &condvar_rr, .setup = condvar_setup,
		.begin = condvar_begin, .end = condvar_end,
		.run = condvar_run });
}
