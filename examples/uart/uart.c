/* uart: a simulated serial port served by one process, driven by another
 * through a volatile struct of registers, as a driver drives hardware.
 *
 *   cc -O2 uart.c $(pkg-config --cflags --libs pfipc) -o uart
 *
 * The "uart" process offers a window, "uart.regs", one page whose first
 * bytes are the device's registers. The main thread joins as the process
 * "driver", maps the window and uses it: every load and store there is a
 * call to the uart process, which runs the register's behaviour on its own
 * thread and answers. Nothing in the driver's code knows: it is plain C on
 * a volatile struct (build it at -O0 or -O2 alike).
 *
 * The device: writing `data` transmits a byte (the transmitter is busy
 * for two status reads afterwards, so the driver polls `status`); reading
 * `data` takes the next received byte; `irq_enable` masks the two
 * interrupts (received data, transmitter empty), `irq_pending` shows the
 * enabled ones that happened and clears those written with a 1; `baud` is
 * the line speed; `tx_count` counts transmitted bytes. */
#include <pfipc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The register block, as the driver and the device both see it. */
struct uart_regs {
	uint8_t data;        /* 0: write: transmit; read: receive */
	uint8_t status;      /* 1: UART_RX_READY, UART_TX_EMPTY */
	uint8_t irq_enable;  /* 2: UART_IRQ_RX, UART_IRQ_TX */
	uint8_t irq_pending; /* 3: read: pending and enabled; write 1s: clear */
	uint32_t baud;       /* 4 */
	uint32_t tx_count;   /* 8: read only */
};

#define UART_RX_READY 0x01
#define UART_TX_EMPTY 0x20
#define UART_IRQ_RX   0x01
#define UART_IRQ_TX   0x02

/* ---- the device ("uart") ------------------------------------------------ */

struct uart {
	char line[128];         /* what the line carried, until a newline */
	size_t len;
	const char *rx;         /* bytes waiting to be received */
	unsigned busy;          /* status reads until the transmitter is empty */
	uint8_t irq_enable, irq_raised;
	uint32_t baud, tx_count;
};

static struct uart uart = { .rx = "OK\r\n" };

static uint8_t status(struct uart *u)
{
	if (u->busy && --u->busy == 0)
		u->irq_raised |= UART_IRQ_TX;
	return (uint8_t)((*u->rx ? UART_RX_READY : 0) | (u->busy ? 0 : UART_TX_EMPTY));
}

static int uart_read(void *ctx, uint64_t offset, unsigned width, void *value)
{
	struct uart *u = ctx;
	uint32_t v = 0;
	switch (offset) {
	case offsetof(struct uart_regs, data):
		v = *u->rx ? (uint8_t)*u->rx++ : 0;
		break;
	case offsetof(struct uart_regs, status):
		v = status(u);
		break;
	case offsetof(struct uart_regs, irq_enable):
		v = u->irq_enable;
		break;
	case offsetof(struct uart_regs, irq_pending):
		v = u->irq_raised & u->irq_enable;
		break;
	case offsetof(struct uart_regs, baud):
		v = u->baud;
		break;
	case offsetof(struct uart_regs, tx_count):
		v = u->tx_count;
		break;
	default:
		return -EINVAL;   /* the driver sees 0xff...: no such register */
	}
	memcpy(value, &v, width < sizeof v ? width : sizeof v);
	return 0;
}

static int uart_write(void *ctx, uint64_t offset, unsigned width, const void *value)
{
	struct uart *u = ctx;
	uint32_t v = 0;
	memcpy(&v, value, width < sizeof v ? width : sizeof v);
	switch (offset) {
	case offsetof(struct uart_regs, data):
		if (u->busy)
			printf("  [uart] overrun: '%c' sent while busy\n", v);
		u->tx_count++;
		u->busy = 2;
		if (v == '\n' || u->len + 1 == sizeof u->line) {
			u->line[u->len] = '\0';
			printf("  [uart] line from %s: \"%s\"\n", pf_process_name(pf_caller()), u->line);
			u->len = 0;
		} else {
			u->line[u->len++] = (char)v;
		}
		break;
	case offsetof(struct uart_regs, irq_enable):
		u->irq_enable = (uint8_t)v;
		printf("  [uart] interrupts enabled: %#x\n", v);
		break;
	case offsetof(struct uart_regs, irq_pending):
		u->irq_raised &= (uint8_t)~v;
		break;
	case offsetof(struct uart_regs, baud):
		u->baud = v;
		printf("  [uart] %u baud, %u-byte store\n", v, width);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static const pf_window_ops uart_ops = { uart_read, uart_write, NULL };

static int uart_init(void *arg)
{
	return pf_window_create("uart.regs", 1, &uart_ops, arg, 0);
}

/* ---- the driver ----------------------------------------------------------- */

static volatile struct uart_regs *regs;

/* Polls until the transmitter is empty, then hands it the byte. */
static unsigned uart_putc(char c)
{
	unsigned polls = 1;
	while (!(regs->status & UART_TX_EMPTY))
		polls++;
	regs->data = (uint8_t)c;
	return polls;
}

int main(void)
{
	pf_process *device, *driver;
	void *window;
	if (pf_process_create(&device, "uart", NULL, uart_init, &uart) != 0 ||
	    pf_process_join_self(&driver, "driver") != 0 ||
	    pf_window_map("uart.regs", 0, &window) != 0) {
		fprintf(stderr, "uart: %s\n", pf_error_message());
		return 1;
	}
	regs = window;
	pf_stats_enable(1);

	printf("[driver] setting up the line\n");
	regs->baud = 115200;
	regs->irq_enable |= UART_IRQ_TX;   /* a read, then a write */

	const char *msg = "hello through a window\n";
	unsigned polls = 0;
	printf("[driver] sending %zu bytes\n", strlen(msg));
	for (const char *p = msg; *p; p++)
		polls += uart_putc(*p);
	printf("[driver] %u status reads for %u bytes; irq pending %#x\n", polls,
	       regs->tx_count, regs->irq_pending);
	regs->irq_pending = UART_IRQ_TX;   /* acknowledge */

	char reply[16];
	size_t n = 0;
	while ((regs->status & UART_RX_READY) && n + 1 < sizeof reply)
		reply[n++] = (char)regs->data;
	reply[n] = '\0';
	printf("[driver] received %zu bytes: \"%.*s\"\n", n, (int)strcspn(reply, "\r\n"), reply);

	pf_window_stats s;
	if (pf_stats_get_window("uart.regs", &s) == 0)
		printf("[driver] %llu instructions reached the device: %llu reads, %llu writes\n",
		       (unsigned long long)s.instructions, (unsigned long long)s.reads,
		       (unsigned long long)s.writes);

	pf_process_stop(device);
	pf_process_join(device);
	uint8_t gone = regs->status;
	printf("[driver] the device is gone: status reads %#x (%s)\n", gone,
	       pf_strerror(pf_errno()));
	return 0;
}
