/* breakpoint.h — PROFTRACE_BREAK checks the generated wrappers make (breakpoint.c). */
#ifndef PT_PRELOAD_BREAKPOINT_H
#define PT_PRELOAD_BREAKPOINT_H

struct pt__call;

/* PROFTRACE_BREAK's conditions, as pt__break_config (stack.c) parsed them into pt__break_mask. */
enum { PT__BRK_DELETE_HELD = 1, PT__BRK_KEY_DELETED = 2, PT__BRK_DELETE = 4 };
extern unsigned pt__break_mask;
/* Before the real call (identities taken): delete-held / delete. */
void pt__break_before(struct pt__call *c);
/* After it (result known): key-deleted. */
void pt__break_after(struct pt__call *c);

#endif
