/* diag_stream.h — a stdio stream for a library's diagnostics that writes each line to stderr with
 * the command's prefix, so every message of a command starts with "proftrace COMMAND:". */
#ifndef PT_CMDS_DIAG_STREAM_H
#define PT_CMDS_DIAG_STREAM_H

#include <stdio.h>

/* A stream whose lines go to stderr as "proftrace CMD: <line>" (a leading "proftrace: " the
 * library wrote is replaced). `cmd` must outlive it; fclose it when done. NULL when out of memory
 * (then use stderr). */
FILE *pt__diag_stream(const char *cmd);

/* A diagnostics callback (pt_trace_diag_fn) writing "proftrace CMD: <what>" on stderr; `cmd` is
 * the command's name, given as the callback's argument. */
void pt__diag_line(void *cmd, const char *what);

#endif
