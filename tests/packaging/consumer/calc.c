/* calc.c - a client and a server of calc.pfidl in one program, through the
 * code pfidl writes:
 *
 *   pfidl calc.pfidl -o .
 *   cc -I. calc.c calc_exports.c $(pkg-config --cflags --libs pfipc) -o calc
 */
#include <stdio.h>
#include "calc_client.h"
#include "calc_server.h"

long calc_add_impl(long a, long b)
{
	return a + b;
}

double calc_scale_impl(double x)
{
	return x * 2.5;
}

int main(void)
{
	pf_process *server;
	int err;
	if ((err = pf_process_join_self(NULL, "calc-client")) < 0 ||
	    (err = pf_process_create(&server, "calc", NULL, calc_server_init, NULL)) < 0 ||
	    (err = calc_client_init()) < 0) {
		fprintf(stderr, "calc: %s\n", pf_strerror(err));
		return 1;
	}
	long sum = calc_add(40, 2);
	double scaled = calc_scale(4.0);
	printf("calc: 40 + 2 = %ld, 4 * 2.5 = %g\n", sum, scaled);
	return sum == 42 && scaled == 10.0 && pf_errno() == 0 ? 0 : 1;
}
