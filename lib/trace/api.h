/* Starting and stopping traces and statistics: the pf_trace_* API, and the
 * environment (PFIPC_TRACE, PFIPC_TRACE_EVENTS, PFIPC_STATS). */
#ifndef PF_TRACE_API_H
#define PF_TRACE_API_H

/* From pf_init, once: start what the environment asks for. A trace file
 * that cannot be created is said in one line on stderr. */
void trace_from_environment(void);

#endif
