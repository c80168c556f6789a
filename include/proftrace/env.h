/* env.h — the environment variables of traced processes: one table, which the shim checks values
 * against, `proftrace record` checks before it starts a command, and `proftrace --help` and the
 * proftrace(1) manual page list. */
#ifndef PROFTRACE_ENV_H
#define PROFTRACE_ENV_H

#include <stddef.h>

/* How a value is checked (pt_env_check). */
enum pt_env_kind {
    PT_ENV_ANY,    /* any value (checked where it is used, or not for users) */
    PT_ENV_BOOL,   /* 0 or 1 (empty: unset) */
    PT_ENV_SIZE,   /* bytes with an optional k or m suffix, in the ring's range */
    PT_ENV_COUNT,  /* a number of thread buffers, in the ring's range */
    PT_ENV_NOLOSS, /* milliseconds a writer waits for room, 1 to 600000 */
    PT_ENV_STACKS, /* PROFTRACE_STACKS words */
    PT_ENV_BREAK,  /* PROFTRACE_BREAK words */
    PT_ENV_INLINE, /* PROFTRACE_INLINE mode */
    PT_ENV_GROUP,  /* a group name or gid */
};

/* V(NAME, KIND, VALUE, DEFAULT, HELP): the value's name in the documentation, the default as the
 * documentation states it ("" when there is none), and what the variable does (flowing text). */
#define PT_ENV_VARS(V)                                                                             \
    V(PROFTRACE_DIR, ANY, "DIR", "",                                                               \
      "the trace directory; the ring goes to DIR/rings/. Unset or empty: the shim does "           \
      "nothing. `record` and `collect` set it.")                                                   \
    V(PROFTRACE_STACKS, STACKS, "LIST", "delete,MAPI,fail",                                        \
      "which events carry a stack, a comma list of: all, none, delete (the deleting calls), "      \
      "fail (failed calls), a category of calls (REG, MAP, IMP, MAPI, SHM, FILE, PROC, CRED, "     \
      "NS), a function name.")                                                                     \
    V(PROFTRACE_BREAK, BREAK, "LIST", "",                                                          \
      "stop in the debugger, a comma list of: delete-held (the delete of a resource another "      \
      "live process holds, before it happens), key-deleted (a registry call failing with "         \
      "ERROR_KEY_DELETED), delete (any delete); 1 or all: delete-held,key-deleted; 0: none. "      \
      "SIGTRAP is raised only when a debugger is attached; otherwise a breakpoint event says "     \
      "where it would have stopped.")                                                              \
    V(PROFTRACE_HOLDS, BOOL, "0|1", "1",                                                           \
      "0: keep this process out of the shared holds table (PROFTRACE_BREAK=delete-held then "      \
      "cannot tell a held resource).")                                                             \
    V(PROFTRACE_BUFSIZE, SIZE, "SIZE", "4m",                                                       \
      "bytes per thread buffer, from 16k to 1024m (k and m suffixes), backed on disk as the "      \
      "thread fills it. `record --buffer-size` sets it.")                                          \
    V(PROFTRACE_THREADS, COUNT, "N", "64",                                                         \
      "thread buffers of the ring, from 1 to 4096; each is backed on disk only when a thread "     \
      "first records, and more threads at once share them.")                                       \
    V(PROFTRACE_OVERWRITE, BOOL, "0|1", "0",                                                       \
      "1: flight recorder, the ring keeps the newest events instead of counting the newest as "    \
      "lost. `record --overwrite` sets it.")                                                       \
    V(PROFTRACE_NOLOSS, NOLOSS, "MS", "",                                                          \
      "milliseconds, from 1 to 600000: a thread whose buffer is full waits for the collector to "  \
      "make room instead of losing the event, until the collector has made no progress for that "  \
      "long; then the buffer loses and counts (as without it) until the collector drains again, "  \
      "so a dead collector never hangs the program. Ignored with PROFTRACE_OVERWRITE. "            \
      "`record --no-loss` and `collect --no-loss` set it.")                                        \
    V(PROFTRACE_INLINE, INLINE, "MODE", "auto",                                                    \
      "auto, all or off, optionally followed by ,verbose: which definitions of the profile API "   \
      "are hooked inline, where interposition cannot see their calls (auto: static and "           \
      "-Bsymbolic ones; all: every one; verbose: one line on stderr per hook).")                   \
    V(PROFTRACE_HOOKS, ANY, "LIST", "",                                                            \
      "lib:function[,...]: entry and exit events for more functions, static ones included (lib "   \
      "empty: the executable, then every library). A function that cannot be hooked is named "     \
      "on stderr and runs unhooked.")                                                              \
    V(PROFTRACE_REDACT, BOOL, "0|1", "0",                                                          \
      "1: command lines reduced to argv[0] and a count of what was left out (value data is "       \
      "never recorded). Any other value redacts too, after a warning.")                            \
    V(PROFTRACE_GROUP, GROUP, "GROUP", "",                                                         \
      "a group (name or gid) that may read the trace: directories 02750, files 0640. Unset: the "  \
      "trace is private to its user.")                                                             \
    V(PROFTRACE_ALLOW_UIDS, ANY, "USERS", "",                                                      \
      "users (names or uids, separated by commas, or *) whose processes may write rings into "     \
      "the trace. Unset: only the trace's owner and root.")                                        \
    V(PROFTRACE_GPID, ANY, "VALUE", "",                                                            \
      "set by the shim across an exec (gpid:pid:start_time:depth): the process's pid in the "      \
      "outermost pid namespace. Not for users.")                                                   \
    V(PROFTRACE_SECCOMP, ANY, "1", "",                                                             \
      "set by the shim across every exec once a seccomp filter the program installed stopped "     \
      "its tracing (the filter is inherited): the shim stays inert, without a word. Not for "      \
      "users.")

/* Checks the value of an environment variable of the table. Returns 0 when `value` is valid (or
 * empty, which means unset), -EINVAL when it is not (`why` then says what is accepted, for a
 * message "NAME=value: why"), -ENOENT when `name` is not in the table. Async-signal-unsafe only
 * for PT_ENV_GROUP names (an NSS lookup); allocates nothing. */
int pt_env_check(const char *name, const char *value, char *why, size_t len);

/* The default of a variable of the table as the documentation states it ("" when none), or NULL
 * when `name` is not in the table. */
const char *pt_env_default(const char *name);

/* What to use instead of a value pt_env_check refused: NULL, the default (as if unset), except for
 * PROFTRACE_REDACT, "1": redaction errs on the side of leaving out. */
const char *pt_env_fallback(const char *name);

/* The end of the message about a refused value: "using the default 4m", "using 1", "ignored" (a
 * variable without a default). Returns buf. */
const char *pt_env_instead(const char *name, char *buf, size_t len);

#endif
