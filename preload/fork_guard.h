/* fork_guard.h — the shim's calls into the dynamic loader are kept out of forks (fork_guard.c). */
#ifndef PT_PRELOAD_FORK_GUARD_H
#define PT_PRELOAD_FORK_GUARD_H

/* Around any shim code that may take the loader's lock (dl_iterate_phdr, dlopen): 0, or -1 when
 * a fork is under way (then skip the work, or pt__loader_wait() and go ahead unguarded). */
int pt__loader_begin(void);
void pt__loader_end(void);
/* Wait (at most 100 ms) for a fork under way to end. */
void pt__loader_wait(void);
/* pthread_atfork handlers (state.c registers them); the child's is called from its own. */
void pt__fork_prepare(void);
void pt__fork_parent(void);
void pt__fork_child_reset(void);

#endif
