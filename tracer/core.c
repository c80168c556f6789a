/* core.c — recovers the per-process rings of a dumped process from its ELF core file.
 *
 * A ring is a file-backed MAP_SHARED mapping, so a core holds its bytes only when bit 3 of the
 * process's coredump_filter ("file-backed shared") was set — the shim sets it at start. The core's
 * NT_FILE note lists every file mapping (start, end, file offset in pages, path); the mappings of
 * "*.ring" files are copied out of the PT_LOAD segments that cover them, page by page, to the same
 * file offsets, which rebuilds the ring file as it was in memory at the time of the dump (more
 * recent than the file on disk can be if the kernel had not written it back, and the only copy
 * when the disk copy is gone). The reader then treats it as an undrained ring whose writer is gone:
 * it reads the open packets up to their committed bytes (see ring.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <libelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proftrace/core.h"
#include "proftrace/trace.h"
#include "tracer/format.h"
#include "tracer/internal.h"
#include "tracer/perm.h"

#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif

struct load {
    uint64_t vaddr, memsz, offset, filesz;
};

struct core {
    const char *path;
    FILE *log;
    int fd;
    Elf *elf;
    struct load *loads;
    size_t nloads;
    const uint8_t *files; /* NT_FILE descriptor */
    size_t files_len;
};

static void say(const struct core *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct core *c, const char *fmt, ...)
{
    va_list ap;
    if (!c->log)
        return;
    fprintf(c->log, "proftrace core: %s: ", c->path);
    va_start(ap, fmt);
    vfprintf(c->log, fmt, ap);
    va_end(ap);
    fputc('\n', c->log);
}

/* The PT_LOAD segments, and the notes we need (NT_PRSTATUS of the first thread, NT_FILE). */
static int scan_core(struct core *c, struct pt_core_result *res)
{
    GElf_Ehdr eh;
    size_t nph;
    if (!gelf_getehdr(c->elf, &eh) || eh.e_type != ET_CORE) {
        say(c, "not an ELF core file");
        return -EINVAL;
    }
    if (elf_getphdrnum(c->elf, &nph) != 0) {
        say(c, "no program headers: %s", elf_errmsg(-1));
        return -EINVAL;
    }
    c->loads = calloc(nph ? nph : 1, sizeof *c->loads);
    if (!c->loads)
        return -ENOMEM;
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(c->elf, (int)i, &ph))
            continue;
        if (ph.p_type == PT_LOAD) {
            c->loads[c->nloads++] = (struct load){ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz};
            continue;
        }
        if (ph.p_type != PT_NOTE)
            continue;
        Elf_Data *d = elf_getdata_rawchunk(c->elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
        if (!d) {
            say(c, "note segment at byte %" PRIu64 " unreadable (truncated core?)",
                (uint64_t)ph.p_offset);
            continue;
        }
        GElf_Nhdr nh;
        size_t off = 0, name_off, desc_off;
        while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
            const uint8_t *desc = (const uint8_t *)d->d_buf + desc_off;
            if (nh.n_type == NT_PRSTATUS && !res->core_pid && nh.n_descsz >= sizeof(prstatus_t)) {
                prstatus_t ps;
                memcpy(&ps, desc, sizeof ps);
                res->core_pid = (uint32_t)ps.pr_pid;
                res->signo = ps.pr_cursig;
            } else if (nh.n_type == NT_FILE && !c->files) {
                c->files = desc;
                c->files_len = nh.n_descsz;
            }
        }
    }
    return 0;
}

/* Copy [start, end) of the dumped address space to file offset `foff` of fd. Returns the bytes the
 * core held (pages absent from the dump count as missing and stay holes). */
static uint64_t copy_range(const struct core *c, int fd, uint64_t start, uint64_t end,
                           uint64_t foff, uint64_t *missing)
{
    static uint8_t buf[1 << 16];
    uint64_t copied = 0;
    for (uint64_t a = start; a < end;) {
        const struct load *l = NULL;
        for (size_t i = 0; i < c->nloads; i++)
            if (a >= c->loads[i].vaddr && a < c->loads[i].vaddr + c->loads[i].memsz) {
                l = &c->loads[i];
                break;
            }
        uint64_t in_seg = l ? l->vaddr + l->memsz - a : end - a;
        uint64_t n = end - a < in_seg ? end - a : in_seg;
        uint64_t rel = l ? a - l->vaddr : 0;
        if (!l || rel >= l->filesz) { /* not dumped */
            *missing += n;
            a += n;
            continue;
        }
        if (n > l->filesz - rel)
            n = l->filesz - rel;
        for (uint64_t done = 0; done < n;) {
            size_t k = n - done < sizeof buf ? (size_t)(n - done) : sizeof buf;
            ssize_t r = pread(c->fd, buf, k, (off_t)(l->offset + rel + done));
            if (r <= 0) {
                *missing += n - done;
                break;
            }
            /* Leave all-zero pages as holes: most of a ring is never written. */
            for (ssize_t j = 0; j < r; j += 4096) {
                size_t m = r - j < 4096 ? (size_t)(r - j) : 4096;
                int zero = 1;
                for (size_t q = 0; q < m && zero; q++)
                    zero = buf[j + q] == 0;
                if (!zero &&
                    pwrite(fd, buf + j, m, (off_t)(foff + (a - start) + done + j)) != (ssize_t)m)
                    *missing += m;
                else
                    copied += m;
            }
            done += (uint64_t)r;
        }
        a += n;
    }
    return copied;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* Ring base name of an NT_FILE path ("/dir/rings/4711-...-abcd.ring", maybe " (deleted)"). */
static int ring_name(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    snprintf(out, len, "%s", slash ? slash + 1 : path);
    char *del = strstr(out, " (deleted)");
    if (del && del[10] == 0)
        *del = 0;
    return ends_with(out, ".ring") && out[0] != '.' ? 0 : -1;
}

static int mkdir_p(const char *dir)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
                return -errno;
            *p = '/';
        }
    if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* Walk NT_FILE: count, page size, count x (start, end, page offset), then count paths. */
static int recover_rings(struct core *c, const char *outdir, struct pt_core_result *res,
                         unsigned *named)
{
    const size_t W = sizeof(uint64_t);
    if (!c->files || c->files_len < 2 * W) {
        say(c, "no NT_FILE note: cannot tell which mappings are rings");
        return -ENOENT;
    }
    uint64_t count, page;
    memcpy(&count, c->files, W);
    memcpy(&page, c->files + W, W);
    if (count > (c->files_len - 2 * W) / (3 * W)) {
        say(c, "NT_FILE note damaged (%" PRIu64 " entries in %zu bytes)", count, c->files_len);
        return -EINVAL;
    }
    const uint8_t *tab = c->files + 2 * W;
    const char *names = (const char *)(tab + count * 3 * W);
    const char *names_end = (const char *)c->files + c->files_len;
    char rings[PATH_MAX], path[PATH_MAX + 256], name[256];
    int rc = 0;

    if (snprintf(rings, sizeof rings, "%s/rings", outdir) >= (int)sizeof rings)
        return -ENAMETOOLONG;
    for (uint64_t i = 0; i < count && names < names_end; i++) {
        const char *fname = names;
        size_t flen = strnlen(names, (size_t)(names_end - names));
        names += flen + 1;
        uint64_t e[3];
        memcpy(e, tab + i * 3 * W, sizeof e);
        if (ring_name(fname, name, sizeof name) < 0)
            continue;
        ++*named;
        if ((rc = mkdir_p(rings)) < 0) {
            say(c, "%s: %s", rings, strerror(-rc));
            return rc;
        }
        snprintf(path, sizeof path, "%s/%s", rings, name);
        /* Several NT_FILE entries may map parts of one ring: each lands at its own file offset. */
        int fd = pt_perm_open(path, O_WRONLY | O_CREAT);
        if (fd < 0) {
            rc = -errno;
            say(c, "%s: %s", path, strerror(errno));
            return rc;
        }
        uint64_t missing = 0, foff = e[2] * page;
        uint64_t got = copy_range(c, fd, e[0], e[1], foff, &missing);
        struct stat st;
        if (fstat(fd, &st) == 0 && (uint64_t)st.st_size < foff + (e[1] - e[0]))
            (void)ftruncate(fd, (off_t)(foff + (e[1] - e[0])));
        close(fd);
        if (got == 0) {
            unlink(path);
            res->missing++;
            say(c,
                "%s: mapped at 0x%" PRIx64 "-0x%" PRIx64 " but not in the dump (file-backed "
                "shared mappings were filtered out: bit 3 of /proc/PID/coredump_filter was "
                "clear)",
                fname, e[0], e[1]);
            continue;
        }
        if (missing)
            say(c, "%s: %" PRIu64 " of %" PRIu64 " bytes not in the dump, recovered the rest", name,
                missing, e[1] - e[0]);
        res->bytes += got;
        if (foff == 0) {
            res->rings++;
            /* Check what we rebuilt the way a reader will. */
            struct pt__ring_hdr h;
            char why[256];
            int rfd = pt_trace_file_open(AT_FDCWD, path);
            if (rfd >= 0 && pread(rfd, &h, sizeof h, 0) == (ssize_t)sizeof h &&
                pt__ring_check(&h, h.file_size, why, sizeof why) == 0) {
                say(c, "ring of pid %u (start time %" PRIu64 ") -> %s", h.pid, h.start_time, path);
                if (res->core_pid && h.pid != res->core_pid && h.host_pid != res->core_pid)
                    say(c,
                        "note: the ring's writer was pid %u (host pid %u), the core's first "
                        "thread is pid %u",
                        h.pid, h.host_pid, res->core_pid);
            } else {
                say(c, "%s: recovered, but its header is not a valid ring header", path);
            }
            if (rfd >= 0)
                close(rfd);
        }
    }
    return 0;
}

int pt_core_recover(const char *core, const char *outdir, FILE *log, struct pt_core_result *res)
{
    struct core c = {.path = core, .log = log, .fd = -1};
    unsigned named = 0;
    int rc;

    memset(res, 0, sizeof *res);
    if (elf_version(EV_CURRENT) == EV_NONE) {
        say(&c, "libelf: %s", elf_errmsg(-1));
        return -EINVAL;
    }
    /* As every reader opens its input: a FIFO or device named as the core cannot hang us. */
    c.fd = pt_trace_file_open(AT_FDCWD, core);
    if (c.fd < 0) {
        rc = c.fd;
        say(&c, "%s", pt_trace_file_error(rc));
        return rc;
    }
    c.elf = elf_begin(c.fd, ELF_C_READ_MMAP, NULL);
    if (!c.elf || elf_kind(c.elf) != ELF_K_ELF) {
        say(&c, "not an ELF file");
        rc = -EINVAL;
        goto out;
    }
    if ((rc = scan_core(&c, res)) < 0)
        goto out;
    if ((rc = recover_rings(&c, outdir, res, &named)) < 0)
        goto out;
    if (!named) {
        say(&c, "the process mapped no proftrace ring (was it traced? PROFTRACE_DIR unset?)");
        rc = -ENOENT;
    } else if (!res->rings) {
        rc = -ENODATA;
    }
out:
    if (c.elf)
        elf_end(c.elf);
    close(c.fd);
    free(c.loads);
    return rc;
}
