/* dl_watch.h — the dynamic loader's notice of every load and unload (dl_watch.c). */
#ifndef PT_PRELOAD_DL_WATCH_H
#define PT_PRELOAD_DL_WATCH_H

/* Once at start, with the shim on: replace _dl_debug_state. Only while the process has a single
 * thread (the replacement is one store into code no other thread may be running). 0, or -1 when
 * the watch is not available (modules then come from stacks). */
int pt__dl_watch_init(int single_threaded);
/* Whether the watch is in place. */
int pt__dl_watching(void);

#endif
