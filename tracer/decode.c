/* decode.c — the record decoder of decode.h out of line, for readers of single records (the
 * collector's walk over a packet it drains). */
#include "tracer/decode.h"

int pt__decode_record(const uint8_t *p, size_t avail, uint64_t *ts, struct pt_event *ev,
                      const char **why)
{
    return pt__decode(p, avail, ts, ev, why);
}
