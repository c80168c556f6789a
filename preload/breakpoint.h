/* breakpoint.h — PROFTRACE_BREAK checks the generated wrappers make (breakpoint.c). */
#ifndef PT_PRELOAD_BREAKPOINT_H
#define PT_PRELOAD_BREAKPOINT_H

struct pt__call;

/* Parse PROFTRACE_BREAK (sets pt__break_armed when anything is asked for). */
void pt__brk_config(const char *spec);
/* Before the real call (identities taken): delete-held / delete. */
void pt__break_before(struct pt__call *c);
/* After it (result known): key-deleted. */
void pt__break_after(struct pt__call *c);

#endif
