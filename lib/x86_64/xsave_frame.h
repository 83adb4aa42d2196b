/* The FPU and vector state in a signal frame: an FXSAVE image, followed by
 * an XSAVE area when the kernel says so in the image's unused bytes
 * (struct _fpx_sw_bytes, arch/x86/include/uapi/asm/sigcontext.h). Read by
 * the entry layer (a window access's register operands) and by dispatch (a
 * restore frame's copy of the state). */
#ifndef PF_X86_64_XSAVE_FRAME_H
#define PF_X86_64_XSAVE_FRAME_H

#include <stdint.h>
#include <string.h>

#define FXSAVE_SIZE      512u   /* the legacy image; the XSAVE header follows */
#define FXSAVE_SW_BYTES  464u   /* where the kernel's note sits in it */
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u

struct sw_bytes {
	uint32_t magic1;
	uint32_t extended_size;
	uint64_t xfeatures;
	uint32_t xstate_size;
	uint32_t padding[7];
};

static inline const struct sw_bytes *xsave_note(const uint8_t *fp)
{
	return (const struct sw_bytes *)(const void *)(fp + FXSAVE_SW_BYTES);
}

/* The size of the XSAVE area at FP (without the closing magic), or 0 when
 * FP holds only an FXSAVE image. The kernel trusts the frame only with
 * both magics; so do we. */
static inline uint32_t xsave_frame_size(const uint8_t *fp)
{
	const struct sw_bytes *sw = xsave_note(fp);
	uint32_t magic2;
	if (sw->magic1 != FP_XSTATE_MAGIC1 || sw->xstate_size < FXSAVE_SIZE + 64)
		return 0;
	memcpy(&magic2, fp + sw->xstate_size, sizeof magic2);
	return magic2 == FP_XSTATE_MAGIC2 ? sw->xstate_size : 0;
}

#endif
