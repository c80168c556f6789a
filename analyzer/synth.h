/* synth.h — building decoded events by hand, laid out exactly as the table (event.h, calls.h)
 * says the reader returns them: for unit tests and the analyzer benchmark, which feed the model
 * directly. */
#ifndef PT_ANALYZER_SYNTH_H
#define PT_ANALYZER_SYNTH_H

#include <stdint.h>

#include "proftrace/event.h"

/* Reset *ev to event class `id` of process `pid`/stream, thread `tid`, at `ts`, with every field
 * of the class present and zero / "". For a call class ts_enter = ts, depth 0, ret 0, err 0; an
 * FD-returning call also gets its descriptor identity fields (see pt__synth_ret_dev_name). */
void pt__synth(struct pt_event *ev, unsigned id, uint32_t pid, uint32_t tid, uint64_t ts);

/* Set a field by name; returns 0, or -ENOENT when the class has no such field. Strings are not
 * copied: they must outlive the event's use. */
int pt__synth_u(struct pt_event *ev, const char *name, uint64_t v);
int pt__synth_s(struct pt_event *ev, const char *name, const char *s);

struct pt_tbuf;
/* Encode *ev into a ring thread buffer with the tracer's writer. Returns 0, or -ENOSPC when the
 * buffer counted it as lost. */
int pt__synth_write(struct pt_tbuf *b, const struct pt_event *ev);

/* Names the decoder gives the identity of a returned descriptor. */
extern const char *pt__synth_ret_dev_name, *pt__synth_ret_ino_name;

#endif
