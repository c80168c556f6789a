/* diag_stream.h — a stdio stream for a library's diagnostics that writes each line to stderr with
 * the command's prefix, so every message of a command starts with "proftrace COMMAND:". */
#ifndef PT_CMDS_DIAG_STREAM_H
#define PT_CMDS_DIAG_STREAM_H

#include <stdio.h>

/* A stream whose lines go to stderr as "proftrace CMD: <line>" (a leading "proftrace: " the
 * library wrote is replaced). `cmd` must outlive it; fclose it when done. NULL when out of memory
 * (then use stderr). */
FILE *pt__diag_stream(const char *cmd);

#endif
