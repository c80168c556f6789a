/* seccomp.h — tracing stops before a seccomp filter that refuses what the shim needs (seccomp.c). */
#ifndef PT_PRELOAD_SECCOMP_H
#define PT_PRELOAD_SECCOMP_H

/* Why tracing stopped for a seccomp filter, or NULL: then every exec carries PROFTRACE_SECCOMP=1
 * (the filter is inherited), and a shim that starts with it stays inert and silent. */
extern const char *pt__seccomp_stopped;

#endif
