/* attach.h — the shim's attach mode (internal): tracing started in a process already running. */
#ifndef PT_PRELOAD_ATTACH_H
#define PT_PRELOAD_ATTACH_H

#include <stddef.h>

/* Tracing in this process was started by an attach (inherited by its fork children). */
extern int pt__attached;

/* Tracing has stopped for good (seccomp.c: a filter the program is installing refuses what the
 * shim needs): when attached, the GOT slots go back and the ring is finished now, before the
 * filter is in place, as a detach would do; the process runs on as untraced, and is not attached
 * again. Does nothing in a process traced from its start. */
void pt__attach_abandon(void);

/* got_rebind.c. Rebind every loaded object's resolved GOT slots of the names the shim exports to
 * its wrappers: 0, or -ENOENT when the shim cannot read its own symbol table. */
int pt__got_rebind(void);
/* Objects loaded since: rebound too (after a dlopen; does nothing unless attached and on). */
void pt__got_rescan(void);
/* Write every slot still holding a wrapper back to its old value; how many were. */
size_t pt__got_restore(void);
/* Slots rebound now. */
size_t pt__got_count(void);

#endif
