/* attach.h — the shim's attach mode (internal): tracing started in a process already running. */
#ifndef PT_PRELOAD_ATTACH_H
#define PT_PRELOAD_ATTACH_H

#include <stddef.h>

/* Tracing in this process was started by an attach (inherited by its fork children). */
extern int pt__attached;

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
