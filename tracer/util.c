/* util.c — small helpers of the tracer: process start times, clocks, ring names and headers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "tracer/collector.h"
#include "tracer/internal.h"

uint64_t pt__proc_start_time(pid_t pid)
{
    char path[64], buf[1024];
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    else
        snprintf(path, sizeof path, "/proc/self/stat");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    /* comm may hold spaces and parentheses: fields resume after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    p++;
    /* field 3 (state) is the first after ')'; starttime is field 22 */
    for (int field = 3; field < 22; field++) {
        p = strchr(p + 1, ' ');
        if (!p)
            return 0;
    }
    return strtoull(p + 1, NULL, 10);
}

int64_t pt__realtime_offset(void)
{
    struct timespec m0, r, m1;
    clock_gettime(CLOCK_MONOTONIC, &m0);
    clock_gettime(CLOCK_REALTIME, &r);
    clock_gettime(CLOCK_MONOTONIC, &m1);
    int64_t mono = ((int64_t)m0.tv_sec * 1000000000 + m0.tv_nsec) / 2 +
                   ((int64_t)m1.tv_sec * 1000000000 + m1.tv_nsec) / 2;
    return (int64_t)r.tv_sec * 1000000000 + r.tv_nsec - mono;
}

int pt__parse_ring_name(const char *name, uint32_t *pid, uint64_t *start, uint64_t *instance)
{
    unsigned long p;
    unsigned long long s, inst;
    int n = 0;
    if (sscanf(name, "%lu-%llu-%16llx.ring%n", &p, &s, &inst, &n) != 3 || name[n] != 0)
        return -EINVAL;
    *pid = (uint32_t)p;
    *start = s;
    *instance = inst;
    return 0;
}

/* F_DUPFD_CLOEXEC to the first free number at or above `want`, closing fd on success. */
static int fd_move(int fd, int want)
{
    int hi = fcntl(fd, F_DUPFD_CLOEXEC, want);
    if (hi < 0)
        return -1;
    close(fd);
    return hi;
}

int pt__fd_high(int fd)
{
    struct rlimit rl;
    if (fd < 0 || getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return fd;
    rlim_t cur = rl.rlim_cur;
    /* Past the program's limit when the hard limit leaves room: no open() of the program can ever
     * get that number, nor fail for it. F_DUPFD refuses numbers at or past the soft limit, so it
     * is raised for the one call and put back (the program does not run meanwhile: this is the
     * process's start or a fork child's). Past 1088 the number stays 1024 (a table of that many
     * descriptors costs the kernel memory in every process). */
    if (cur < 1024 + 64 && (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > cur)) {
        struct rlimit up = {cur + 64, rl.rlim_max};
        if (rl.rlim_max != RLIM_INFINITY && up.rlim_cur > rl.rlim_max)
            up.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &up) == 0) {
            int hi = fd_move(fd, (int)cur);
            (void)setrlimit(RLIMIT_NOFILE, &rl);
            if (hi >= 0)
                return hi;
        }
    }
    if (cur >= 1024 + 64 || cur == RLIM_INFINITY) {
        int hi = fd_move(fd, 1024);
        return hi >= 0 ? hi : fd;
    }
    /* No room past the limit: the highest free number below it, the last the program would get. */
    for (int want = (int)cur - 1; want > fd; want--) {
        int hi = fcntl(fd, F_DUPFD_CLOEXEC, want);
        if (hi < 0)
            continue; /* `want` is taken (and all above it): one lower */
        close(fd);
        return hi;
    }
    return fd; /* no high number free: a low number is still better than none */
}

int pt__write_zeros(int fd, uint64_t off, uint64_t len)
{
    /* One page of zeros, never written (.bss: the zero page), named 16 times per call: 64 KiB a
     * system call for one page fault, where a 64 KiB buffer took 16. */
    static const uint8_t zeros[4096];
    struct iovec iov[16];
    for (unsigned i = 0; i < 16; i++)
        iov[i] = (struct iovec){.iov_base = (void *)zeros, .iov_len = sizeof zeros};
    while (len) {
        int n = len >= sizeof iov / sizeof iov[0] * sizeof zeros
                    ? (int)(sizeof iov / sizeof iov[0])
                    : (int)((len + sizeof zeros - 1) / sizeof zeros);
        size_t last = len - (uint64_t)(n - 1) * sizeof zeros;
        iov[n - 1].iov_len = last < sizeof zeros ? last : sizeof zeros;
        ssize_t w = pwritev(fd, iov, n, (off_t)off);
        iov[n - 1].iov_len = sizeof zeros;
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        off += (uint64_t)w;
        len -= (uint64_t)w;
    }
    return 0;
}

int pt__fd_is(int fd, uint64_t dev, uint64_t ino)
{
    struct stat st;
    return fd >= 0 && fstat(fd, &st) == 0 && (uint64_t)st.st_dev == dev &&
           (uint64_t)st.st_ino == ino;
}

int pt__ring_check(const struct pt__ring_hdr *h, uint64_t file_size, char *why, size_t len)
{
    if (file_size < sizeof *h) {
        snprintf(why, len, "truncated at byte %" PRIu64 " (header needs %zu)", file_size,
                 sizeof *h);
        return -1;
    }
    if (memcmp(h->magic, PT__RING_MAGIC, 8)) {
        snprintf(why, len, "not a proftrace ring (bad magic at byte 0)");
        return -1;
    }
    if (h->endian != PT__ENDIAN_MARK) {
        snprintf(why, len, "written with another byte order (byte 12), not supported");
        return -1;
    }
    if (h->version != PT__RING_VERSION || h->event_version != PT_FORMAT_VERSION) {
        snprintf(why, len,
                 "ring version %u / event format %u, this reader knows %u / %u only (written by "
                 "%s proftrace: read it with the proftrace that wrote it)",
                 h->version, h->event_version, PT__RING_VERSION, PT_FORMAT_VERSION,
                 h->version < PT__RING_VERSION ? "an older" : "another");
        return -1;
    }
    if (h->header_size < offsetof(struct pt__ring_hdr, table_hash) + sizeof h->table_hash) {
        snprintf(why, len, "written by a different event table: the ring has no table hash "
                           "(an older proftrace), this reader's is %016" PRIx64,
                 pt__table_hash());
        return -1;
    }
    if (h->table_hash != pt__table_hash()) {
        snprintf(why, len,
                 "written by a different event table: table hash %016" PRIx64
                 ", this reader's is %016" PRIx64 "; read it with the proftrace that wrote it",
                 h->table_hash, pt__table_hash());
        return -1;
    }
    if (h->header_size != sizeof *h || h->pkt_hdr_size != PT__PKT_HDR_SIZE ||
        h->ctl_size != PT__TBUF_CTL_BYTES || h->claims_off != PT__CLAIMS_OFF ||
        h->off_commit != offsetof(struct pt__tbuf_ctl, commit)) {
        snprintf(why, len, "unexpected layout in header (header %u bytes, packet header %u)",
                 h->header_size, h->pkt_hdr_size);
        return -1;
    }
    if (h->sub_size < 4096 || h->sub_size > (1u << 20) || (h->sub_size & (h->sub_size - 1)) ||
        h->nsub < 2 || h->nsub > PT__MAX_SUB || (h->nsub & (h->nsub - 1)) || h->nbufs == 0 ||
        h->nbufs > PT__MAX_BUFS || h->bufs_off != pt__ring_bufs_off(h->nbufs) ||
        h->wake_pkts == 0 || h->wake_pkts > h->nsub ||
        h->tbuf_stride != h->ctl_size + (uint64_t)h->sub_size * h->nsub ||
        h->file_size != h->bufs_off + h->tbuf_stride * h->nbufs) {
        snprintf(why, len, "inconsistent layout in header (packet %u bytes x %u, %u buffers)",
                 h->sub_size, h->nsub, h->nbufs);
        return -1;
    }
    return 0;
}

int pt_shim_path(char *buf, size_t len)
{
    /* Installed: PREFIX/bin/proftrace and PREFIX/lib/proftrace/; the build tree: bin/ and lib/. */
    static const char *const beside[] = {"../lib/proftrace/libproftrace.so",
                                         "../lib/libproftrace.so"};
    char exe[4096], joined[4200];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(buf, len, "libproftrace.so");
        return -ENOENT;
    }
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    for (size_t i = 0; i < sizeof beside / sizeof beside[0]; i++) {
        snprintf(joined, sizeof joined, "%s/%s", exe, beside[i]);
        char *real = realpath(joined, NULL);
        if (real) {
            snprintf(buf, len, "%s", real);
            free(real);
            return 0;
        }
    }
    /* where an installation has it, ".." resolved: PREFIX/lib/proftrace/libproftrace.so */
    slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    snprintf(buf, len, "%s/%s", exe, beside[0] + 3);
    return -ENOENT;
}
