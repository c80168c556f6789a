/* fuzz_util.h — scratch trace directories and a full read of them, shared by the fuzz targets. */
#ifndef PT_FUZZ_UTIL_H
#define PT_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* This process's scratch directory (created once, removed at exit): $TMPDIR/ptfuzz.XXXXXX. */
const char *fz_dir(void);

/* Write `n` bytes to fz_dir()/rel (parent directories created). Aborts on I/O errors: a fuzz run
 * that cannot write its input must not pass silently. */
void fz_write(const char *rel, const uint8_t *data, size_t n);

/* Remove everything inside fz_dir() (the directory itself stays). */
void fz_clean(void);

/* Read the trace in `dir` the way `proftrace events` and `proftrace report` do: every event,
 * formatted, fed to the analyzer, findings reported as text and JSON to /dev/null. Returns the
 * number of events read. */
uint64_t fz_read_trace(const char *dir, int analyze);

#endif
