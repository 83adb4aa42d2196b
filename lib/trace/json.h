/* Writing a recording as a Chrome trace-event JSON file (the format
 * Perfetto and chrome://tracing open). Normal context; threads may go on
 * recording meanwhile: what they publish after the writer looked at their
 * buffer is in the next file. */
#ifndef PF_TRACE_JSON_H
#define PF_TRACE_JSON_H

#include <stdint.h>

/* Write the current recording, which started at clock ORIGIN, to PATH
 * (emptied first). *DROPPED gets the events the buffers had no room for.
 * 0, -ENOMEM or an I/O error. */
int trace_json_write(const char *path, uint64_t origin, uint64_t *dropped);

#endif
