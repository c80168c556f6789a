/* event_stack.h — `proftrace events --stack`: the recorded stack under an event, symbolized as
 * `proftrace report` shows stacks. */
#ifndef PT_CMDS_EVENT_STACK_H
#define PT_CMDS_EVENT_STACK_H

#include <stdio.h>

#include "proftrace/trace.h"

struct pt__stacks;

/* NULL when out of memory. */
struct pt__stacks *pt__stacks_new(void);

/* Learns each process's modules from its `process` and `module` events (the other events are
 * ignored). Call on every event of the trace, in order, whether or not it is shown. */
void pt__stacks_note(struct pt__stacks *st, const struct pt_event *ev);

/* The stack ev recorded, one frame a line as report prints a stack (proftrace's own frames
 * dropped, inlined calls their own frames); nothing when it recorded none. */
void pt__stacks_print(struct pt__stacks *st, FILE *out, const struct pt_event *ev);

/* What report would say once about symbolization (no libdw, debuginfod unavailable ...), one
 * sentence a line prefixed by `prefix`, to out. */
void pt__stacks_notes(struct pt__stacks *st, FILE *out, const char *prefix);

void pt__stacks_free(struct pt__stacks *st);

#endif
