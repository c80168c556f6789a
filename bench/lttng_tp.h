/* lttng_tp.h — the LTTng-UST tracepoint of the peer benchmark: a call with a string argument. */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER ptbench

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./lttng_tp.h"

#if !defined(PT_BENCH_LTTNG_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define PT_BENCH_LTTNG_TP_H

#include <lttng/tracepoint.h>

TRACEPOINT_EVENT(ptbench, call,
                 TP_ARGS(const char *, name, unsigned, x, long, ret),
                 TP_FIELDS(ctf_string(name, name) ctf_integer(unsigned, x, x)
                               ctf_integer(long, ret, ret)))

#endif

#include <lttng/tracepoint-event.h>
