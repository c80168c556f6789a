/* chunks.h — the rotated layout of a trace directory, for the collector that writes it (internal
 * to the tracer; readers use include/proftrace/follow.h). docs/rotation.md describes the files. */
#ifndef PT_TRACER_CHUNKS_H
#define PT_TRACER_CHUNKS_H

#include <stdint.h>

/* A chunk's summary (PT_CHUNK_SUMMARY_FILE), written when the collector closes it. */
struct pt__chunk_summary {
    uint64_t events;            /* events the collector wrote into it */
    uint64_t first_ts, last_ts; /* the oldest and newest packet times in it (0: none) */
};

/* Small "key value" files, one per line after a first line naming the file's kind and version
 * ("proftrace-dropped 1"). Written whole into a temporary file and renamed over the old one, so a
 * reader sees the old one or the new one. 0 or a negative errno. */
int pt__chunk_summary_write(const char *path, const struct pt__chunk_summary *s);
int pt__chunk_summary_read(const char *path, struct pt__chunk_summary *s);

/* The running totals of what rotation dropped (PT_DROPPED_FILE in DIR/chunks). */
struct pt__dropped {
    uint64_t chunks, events, first_ts;
};
int pt__dropped_write(const char *path, const struct pt__dropped *d);
int pt__dropped_read(const char *path, struct pt__dropped *d);

/* Whether name is a chunk directory's name (decimal digits only); its number into *num. */
int pt__chunk_name_parse(const char *name, uint32_t *num);

#endif
