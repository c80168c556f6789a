/* dwarf_line.c — file:line of an address from the DWARF line tables (.debug_line, versions 2 to
 * 5), read directly with libelf: no libdw needed. Only what a stack line needs: the row covering
 * the address in any line program of the module. */
#include <stdio.h>
#include <string.h>

#include "analyzer/dwarf_line.h"

#ifdef PT_HAVE_LIBELF
#include <gelf.h>

struct rd {
    const uint8_t *p, *end;
    int bad;
};

static uint64_t u(struct rd *r, int n)
{
    uint64_t v = 0;
    if (r->end - r->p < n) {
        r->bad = 1;
        r->p = r->end;
        return 0;
    }
    for (int i = 0; i < n; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += n;
    return v;
}

static uint64_t uleb(struct rd *r)
{
    uint64_t v = 0;
    for (int shift = 0; r->p < r->end; shift += 7) {
        uint8_t b = *r->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    r->bad = 1;
    return v;
}

static int64_t sleb(struct rd *r)
{
    int64_t v = 0;
    int shift = 0;
    uint8_t b = 0;
    while (r->p < r->end) {
        b = *r->p++;
        if (shift < 64)
            v |= (int64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if (shift < 64 && (b & 0x40))
        v |= -((int64_t)1 << shift);
    return v;
}

static const char *cstr(struct rd *r)
{
    const char *s = (const char *)r->p;
    const uint8_t *z = memchr(r->p, 0, (size_t)(r->end - r->p));
    if (!z) {
        r->bad = 1;
        r->p = r->end;
        return "";
    }
    r->p = z + 1;
    return s;
}

struct sect {
    const uint8_t *d;
    size_t n;
};

static struct sect section(Elf *elf, const char *want)
{
    struct sect s = {0};
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx))
        return s;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
            continue;
        const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (!name || strcmp(name, want))
            continue;
        if (sh.sh_flags & SHF_COMPRESSED)
            elf_compress(scn, 0, 0);
        Elf_Data *d = elf_getdata(scn, NULL);
        if (d && d->d_buf) {
            s.d = d->d_buf;
            s.n = d->d_size;
        }
        return s;
    }
    return s;
}

static const char *strat(struct sect s, uint64_t off)
{
    if (!s.d || off >= s.n || !memchr(s.d + off, 0, s.n - off))
        return "";
    return (const char *)s.d + off;
}

#define MAXNAMES 512

/* Reads a v5 entry list (directories or files) into names[]/dirs[]. */
static unsigned v5_entries(struct rd *r, int off64, int addr_size, struct sect line_str,
                           struct sect str, const char **names, unsigned *dirs)
{
    uint8_t nfmt = (uint8_t)u(r, 1);
    uint64_t fmt[16][2];
    for (unsigned i = 0; i < nfmt; i++) {
        uint64_t ct = uleb(r), form = uleb(r);
        if (i < 16) {
            fmt[i][0] = ct;
            fmt[i][1] = form;
        }
    }
    uint64_t count = uleb(r);
    unsigned kept = 0;
    for (uint64_t e = 0; e < count && !r->bad; e++) {
        const char *name = "";
        uint64_t dir = 0;
        for (unsigned i = 0; i < nfmt && i < 16; i++) {
            uint64_t v = 0;
            const char *s = NULL;
            switch (fmt[i][1]) {
            case 0x08:
                s = cstr(r);
                break; /* string */
            case 0x1f:
                s = strat(line_str, u(r, off64 ? 8 : 4));
                break; /* line_strp */
            case 0x0e:
                s = strat(str, u(r, off64 ? 8 : 4));
                break; /* strp */
            case 0x0f:
                v = uleb(r);
                break; /* udata */
            case 0x0b:
                v = u(r, 1);
                break;
            case 0x05:
                v = u(r, 2);
                break;
            case 0x06:
                v = u(r, 4);
                break;
            case 0x07:
                v = u(r, 8);
                break;
            case 0x1e:
                r->p = r->end - r->p >= 16 ? r->p + 16 : r->end;
                break;   /* data16 */
            case 0x09: { /* block */
                uint64_t n = uleb(r);
                r->p = (uint64_t)(r->end - r->p) >= n ? r->p + n : r->end;
                break;
            }
            default:
                r->bad = 1;
                return kept;
            }
            if (fmt[i][0] == 1 && s)
                name = s;
            else if (fmt[i][0] == 2)
                dir = v;
        }
        if (kept < MAXNAMES) {
            names[kept] = name;
            if (dirs)
                dirs[kept] = (unsigned)dir;
            kept++;
        }
    }
    (void)addr_size;
    return kept;
}

int pt__dwarf_line(Elf *elf, uint64_t addr, char *file, size_t len, unsigned *line)
{
    struct sect dl = section(elf, ".debug_line");
    struct sect line_str = section(elf, ".debug_line_str"), str = section(elf, ".debug_str");
    if (!dl.d)
        return -1;
    struct rd all = {dl.d, dl.d + dl.n, 0};
    while (all.p < all.end && !all.bad) {
        uint64_t unit = u(&all, 4);
        int off64 = 0;
        if (unit == 0xffffffffull) {
            unit = u(&all, 8);
            off64 = 1;
        }
        if (all.bad || unit > (uint64_t)(all.end - all.p))
            return -1;
        struct rd r = {all.p, all.p + unit, 0};
        all.p += unit;
        unsigned version = (unsigned)u(&r, 2);
        if (version < 2 || version > 5)
            continue;
        int addr_size = 8;
        if (version >= 5) {
            addr_size = (int)u(&r, 1);
            u(&r, 1);
        }
        uint64_t hlen = u(&r, off64 ? 8 : 4);
        const uint8_t *prog = r.p + hlen;
        if (hlen > (uint64_t)(r.end - r.p))
            continue;
        unsigned min_inst = (unsigned)u(&r, 1);
        if (version >= 4)
            u(&r, 1);
        int default_stmt = (int)u(&r, 1);
        int8_t line_base = (int8_t)u(&r, 1);
        uint8_t line_range = (uint8_t)u(&r, 1), opcode_base = (uint8_t)u(&r, 1);
        uint8_t oplen[256] = {0};
        for (unsigned i = 1; i < opcode_base; i++)
            oplen[i] = (uint8_t)u(&r, 1);
        if (!line_range || r.bad)
            continue;
        static const char *dirs[MAXNAMES], *files[MAXNAMES];
        static unsigned fdir[MAXNAMES];
        unsigned ndirs = 0, nfiles = 0;
        if (version >= 5) {
            ndirs = v5_entries(&r, off64, addr_size, line_str, str, dirs, NULL);
            nfiles = v5_entries(&r, off64, addr_size, line_str, str, files, fdir);
        } else {
            dirs[ndirs++] = "";
            for (const char *s; *(s = cstr(&r)) && !r.bad;)
                if (ndirs < MAXNAMES)
                    dirs[ndirs++] = s;
            files[nfiles++] = "";
            fdir[0] = 0;
            for (const char *s; *(s = cstr(&r)) && !r.bad;) {
                unsigned d = (unsigned)uleb(&r);
                uleb(&r);
                uleb(&r);
                if (nfiles < MAXNAMES) {
                    fdir[nfiles] = d;
                    files[nfiles++] = s;
                }
            }
        }
        if (r.bad)
            continue;
        r.p = prog;
        /* the state machine; a row matches when addr is in [row, next row) of one sequence */
        uint64_t a = 0, prev_a = 0;
        uint64_t fileno = 1, ln = 1, prev_file = 0, prev_line = 0;
        int have_prev = 0;
        (void)default_stmt;
#define ROW()                                                                                      \
    do {                                                                                           \
        if (have_prev && prev_a <= addr && addr < a) {                                             \
            fileno = prev_file;                                                                    \
            ln = prev_line;                                                                        \
            goto found;                                                                            \
        }                                                                                          \
        prev_a = a;                                                                                \
        prev_file = fileno;                                                                        \
        prev_line = ln;                                                                            \
        have_prev = 1;                                                                             \
    } while (0)
        while (r.p < r.end && !r.bad) {
            uint8_t op = (uint8_t)u(&r, 1);
            if (op >= opcode_base) {
                unsigned adj = op - opcode_base;
                a += (adj / line_range) * min_inst;
                ln += line_base + (int)(adj % line_range);
                ROW();
            } else if (op == 0) {
                uint64_t n = uleb(&r);
                const uint8_t *next = (uint64_t)(r.end - r.p) >= n ? r.p + n : r.end;
                uint8_t sub = n ? (uint8_t)u(&r, 1) : 0;
                if (sub == 1) { /* end_sequence */
                    ROW();
                    a = 0;
                    fileno = 1;
                    ln = 1;
                    have_prev = 0;
                } else if (sub == 2) {
                    a = u(&r, (int)(n - 1 <= 8 ? n - 1 : 8));
                }
                r.p = next;
            } else {
                switch (op) {
                case 1:
                    ROW();
                    break;
                case 2:
                    a += uleb(&r) * min_inst;
                    break;
                case 3:
                    ln += sleb(&r);
                    break;
                case 4:
                    fileno = uleb(&r);
                    break;
                case 8:
                    a += ((255u - opcode_base) / line_range) * min_inst;
                    break;
                case 9:
                    a += u(&r, 2);
                    break;
                default:
                    for (unsigned i = 0; i < oplen[op]; i++)
                        uleb(&r);
                }
            }
        }
        continue;
    found:
        if (fileno >= nfiles || !files[fileno][0])
            return -1;
        {
            const char *f = files[fileno];
            const char *d = fdir[fileno] < ndirs ? dirs[fdir[fileno]] : "";
            if (f[0] == '/' || !d[0])
                snprintf(file, len, "%s", f);
            else
                snprintf(file, len, "%s/%s", d, f);
            *line = (unsigned)ln;
            return 0;
        }
    }
    return -1;
}

#else
int pt__dwarf_line_unused;
#endif
