/* tracer_tool_corrupt.c — damages a ring or stream file at random but aimed places (ring header,
 * control blocks of used buffers, packet headers and records), reproducibly from a seed. Not a
 * test by itself: tracer_fuzz.sh runs readers on the result. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/format.h"

static uint64_t rng;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: tracer_tool_corrupt FILE SEED FLIPS\n");
        return 2;
    }
    rng = 0x9E3779B97F4A7C15ull ^ strtoull(argv[2], NULL, 10) * 0xBF58476D1CE4E5B9ull;
    int flips = atoi(argv[3]);
    int fd = open(argv[1], O_RDWR);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0)
        return 1;
    uint64_t size = (uint64_t)st.st_size;
    struct pt__ring_hdr h;
    int is_ring = pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h &&
                  !memcmp(h.magic, PT__RING_MAGIC, 8) && h.nbufs && h.tbuf_stride;
    for (int k = 0; k < flips; k++) {
        uint64_t off;
        unsigned pick = (unsigned)(next() % 100);
        if (!is_ring || pick < 10) {
            off = next() % (is_ring ? sizeof h : size);
        } else {
            /* a used buffer: one whose wpos is not 0 */
            uint64_t base = 0;
            for (int tries = 0; tries < 64; tries++) {
                uint64_t b = h.bufs_off + h.tbuf_stride * (next() % h.nbufs), wpos = 0;
                if (b + 128 <= size &&
                    pread(fd, &wpos, 8, (off_t)(b + offsetof(struct pt__tbuf_ctl, wpos))) == 8 &&
                    wpos) {
                    base = b;
                    break;
                }
            }
            if (!base)
                continue;
            if (pick < 55) /* control block: wpos, lost, last_ts..., consumed, commit[] */
                off = base + (next() % 2 ? next() % 64
                                         : offsetof(struct pt__tbuf_ctl, consumed) +
                                               next() % (8 + 8 * h.nsub + 64));
            else if (pick < 75) /* a packet header */
                off = base + h.ctl_size + (next() % h.nsub) * h.sub_size + next() % PT__PKT_HDR_SIZE;
            else /* records */
                off = base + h.ctl_size + next() % ((uint64_t)h.nsub * h.sub_size);
        }
        if (off >= size)
            continue;
        uint8_t v;
        if (pread(fd, &v, 1, (off_t)off) != 1)
            continue;
        v ^= (uint8_t)(1u << (next() % 8));
        if (next() % 4 == 0)
            v = (uint8_t)next();
        if (pwrite(fd, &v, 1, (off_t)off) != 1)
            return 1;
    }
    close(fd);
    return 0;
}
