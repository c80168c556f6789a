/* unwind.c — the calling thread's stack from the DWARF call-frame information (.eh_frame) that
 * every x86-64 object carries, with no lock, no allocation, no descriptor and, on the thread's own
 * stack, no system call.
 *
 * Why not libunwind: its first use opens a pipe (it validates addresses by writing them to it),
 * which takes descriptor numbers the program would get; it takes locks (pthread_once, its caches,
 * dl_iterate_phdr's loader lock) that a fork child can inherit held by a thread that no longer
 * exists there; and a seccomp filter that refuses futex makes pthread_once abort the program.
 *
 * How: the registers are taken at one point of this function; each step finds the object holding
 * the pc with _dl_find_object (glibc >= 2.35: lock-free and async-signal-safe, meant for
 * unwinders), the FDE in its .eh_frame_hdr search table, runs the CIE's and the FDE's
 * instructions up to the pc to get the rules of that row (CFA, where each register was saved),
 * and computes the caller's registers. Expressions (signal frames, PLT entries, realigned stacks)
 * are evaluated by a small DWARF stack machine.
 *
 * What is read, and why it is safe: the CFI itself lies in the mapped object _dl_find_object
 * returned, and every offset is checked against that object's range. Stack slots are read
 * directly only inside the range that is known to be this thread's stack: from the stack pointer
 * at the start up to the top of the thread's stack (below its thread control block for a thread
 * glibc made; __libc_stack_end for the initial thread), while that span is no larger than a
 * stack can be. Anything else (a signal handler on an alternate stack, a coroutine's stack) is
 * read through process_vm_readv on the process itself, which fails instead of faulting; that
 * path is turned off when a seccomp filter would refuse the call (seccomp.c). Unwinding stops
 * at the first frame it cannot follow (no CFI, a register it does not know, a stack that does
 * not grow), so a stack is at worst short, never wrong in a way that touches unmapped memory. */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "preload/unwind.h"

extern void *__libc_stack_end; /* exported by the dynamic loader: the initial thread's stack top */

int pt__unwind_slow_ok = 1;
static uintptr_t pt__stack_cap = (uintptr_t)8 << 20;

void pt__unwind_init(void)
{
    struct rlimit rl;
    uintptr_t cap = (uintptr_t)32 << 20;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > 0)
        cap = (uintptr_t)rl.rlim_cur;
    if (cap < ((uintptr_t)8 << 20))
        cap = (uintptr_t)8 << 20;
    if (cap > ((uintptr_t)1 << 30))
        cap = (uintptr_t)1 << 30;
    pt__stack_cap = cap;
}

/* ---- Registers ---------------------------------------------------------------------------------
 * DWARF numbering for x86-64: 0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi, 5 rdi, 6 rbp, 7 rsp, 8-15 r8-r15,
 * 16 the return address. */
#define NREG 17
#define RSP 7
#define RA 16

struct regs {
    uint64_t v[NREG];
    uint32_t known; /* bit i: v[i] is this frame's value */
};

struct ctx {
    uintptr_t lo, span; /* slots read directly: from lo to lo + span */
    int pid;            /* for process_vm_readv, 0 not yet asked */
};

static int read_slow(struct ctx *c, uintptr_t a, uint64_t *out)
{
    if (!pt__unwind_slow_ok)
        return -1;
    if (!c->pid)
        c->pid = (int)syscall(SYS_getpid);
    struct iovec local = {out, 8}, remote = {(void *)a, 8};
    return syscall(SYS_process_vm_readv, c->pid, &local, 1UL, &remote, 1UL, 0UL) == 8 ? 0 : -1;
}

static inline __attribute__((always_inline)) int read_stack(struct ctx *c, uintptr_t a,
                                                            uint64_t *out)
{
    if (a & 7)
        return -1;
    if (a - c->lo <= c->span) { /* lo <= a <= lo + span */
        *out = *(const uint64_t *)a;
        return 0;
    }
    return read_slow(c, a, out);
}

/* ---- Reading CFI: every read checked against the object's mapped range ---------------------- */
struct cur {
    const uint8_t *p, *end;
    int bad;
};

static uint64_t get_n(struct cur *r, unsigned n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    memcpy(&v, r->p, n); /* little-endian */
    r->p += n;
    return v;
}

static uint64_t get_uleb(struct cur *r)
{
    uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (r->bad || r->p >= r->end || shift > 63) {
            r->bad = 1;
            return 0;
        }
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
}

static int64_t get_sleb(struct cur *r)
{
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        if (r->bad || r->p >= r->end || shift > 63) {
            r->bad = 1;
            return 0;
        }
        b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40))
        v |= ~(uint64_t)0 << shift;
    return (int64_t)v;
}

/* A pointer in one of the DW_EH_PE_* encodings; datarel is relative to `data` (.eh_frame_hdr). */
static uint64_t get_enc(struct cur *r, uint8_t enc, uintptr_t data)
{
    uintptr_t at = (uintptr_t)r->p;
    uint64_t v;
    if (enc == 0xff) /* DW_EH_PE_omit */
        return 0;
    switch (enc & 0x0f) {
    case 0x00: v = get_n(r, 8); break;                           /* absptr */
    case 0x01: v = get_uleb(r); break;                           /* uleb128 */
    case 0x02: v = get_n(r, 2); break;                           /* udata2 */
    case 0x03: v = get_n(r, 4); break;                           /* udata4 */
    case 0x04: v = get_n(r, 8); break;                           /* udata8 */
    case 0x09: v = (uint64_t)get_sleb(r); break;                 /* sleb128 */
    case 0x0a: v = (uint64_t)(int64_t)(int16_t)get_n(r, 2); break; /* sdata2 */
    case 0x0b: v = (uint64_t)(int64_t)(int32_t)get_n(r, 4); break; /* sdata4 */
    case 0x0c: v = get_n(r, 8); break;                           /* sdata8 */
    default: r->bad = 1; return 0;
    }
    switch (enc & 0x70) {
    case 0x00: break;             /* absolute */
    case 0x10: v += at; break;    /* pcrel */
    case 0x30: v += data; break;  /* datarel */
    default: r->bad = 1; return 0; /* textrel, funcrel, aligned: not used on x86-64 Linux */
    }
    if (enc & 0x80) /* indirect: only through the object's own (relocated) data */
        r->bad = 1;
    return v;
}

/* ---- CIE and FDE ----------------------------------------------------------------------------- */
struct cie {
    const uint8_t *insns, *insns_end;
    uint64_t code_align;
    int64_t data_align;
    unsigned ra_reg;
    uint8_t fde_enc, aug_z, signal;
};

struct fde {
    uint64_t pc_begin, pc_end;
    const uint8_t *insns, *insns_end;
};

/* The entry at p: its contents [*body, *end), or -1. */
static int entry_bounds(const uint8_t *p, const uint8_t *lo, const uint8_t *hi, const uint8_t **body,
                        const uint8_t **end)
{
    struct cur r = {p, hi, 0};
    if (p < lo)
        return -1;
    uint64_t len = get_n(&r, 4);
    if (len == 0xffffffffu)
        len = get_n(&r, 8);
    if (r.bad || len == 0 || len > (uint64_t)(hi - r.p))
        return -1;
    *body = r.p;
    *end = r.p + len;
    return 0;
}

static int parse_cie(const uint8_t *p, const uint8_t *lo, const uint8_t *hi, struct cie *c)
{
    const uint8_t *body, *end;
    if (entry_bounds(p, lo, hi, &body, &end) < 0)
        return -1;
    struct cur r = {body, end, 0};
    if (get_n(&r, 4) != 0) /* a CIE's id is 0 in .eh_frame */
        return -1;
    uint8_t version = (uint8_t)get_n(&r, 1);
    if (r.bad || (version != 1 && version != 3))
        return -1;
    const char *aug = (const char *)r.p;
    size_t alen = strnlen(aug, (size_t)(end - r.p));
    if (alen == (size_t)(end - r.p))
        return -1;
    r.p += alen + 1;
    memset(c, 0, sizeof *c);
    c->code_align = get_uleb(&r);
    c->data_align = get_sleb(&r);
    c->ra_reg = version == 1 ? (unsigned)get_n(&r, 1) : (unsigned)get_uleb(&r);
    c->fde_enc = 0; /* absptr unless 'R' says otherwise */
    const uint8_t *aug_end = NULL;
    for (const char *a = aug; *a && !r.bad; a++) {
        switch (*a) {
        case 'z':
            if (a != aug)
                return -1;
            c->aug_z = 1;
            {
                uint64_t n = get_uleb(&r);
                if (r.bad || n > (uint64_t)(end - r.p))
                    return -1;
                aug_end = r.p + n;
            }
            break;
        case 'R': c->fde_enc = (uint8_t)get_n(&r, 1); break;
        case 'L': (void)get_n(&r, 1); break;
        case 'P': {
            uint8_t enc = (uint8_t)get_n(&r, 1);
            (void)get_enc(&r, enc & 0x7f, 0); /* the personality routine: not ours to follow */
            break;
        }
        case 'S': c->signal = 1; break;
        case 'B': case 'G': break; /* AArch64 key, MTE tagging: nothing for x86-64 */
        default:
            if (!aug_end) /* an augmentation we do not know and cannot skip */
                return -1;
            goto aug_done; /* the rest of the data is skipped as a whole */
        }
    }
aug_done:
    if (r.bad)
        return -1;
    if (aug_end)
        r.p = aug_end;
    c->insns = r.p;
    c->insns_end = end;
    return 0;
}

static int parse_fde(const uint8_t *p, const uint8_t *lo, const uint8_t *hi, struct cie *c,
                     struct fde *f)
{
    const uint8_t *body, *end;
    if (entry_bounds(p, lo, hi, &body, &end) < 0)
        return -1;
    struct cur r = {body, end, 0};
    uint32_t id = (uint32_t)get_n(&r, 4);
    if (r.bad || id == 0 || (uintptr_t)id > (uintptr_t)(body - lo))
        return -1;
    if (parse_cie(body - id, lo, hi, c) < 0)
        return -1;
    f->pc_begin = get_enc(&r, c->fde_enc, 0);
    uint64_t range = get_enc(&r, c->fde_enc & 0x0f, 0);
    f->pc_end = f->pc_begin + range;
    if (c->aug_z) {
        uint64_t n = get_uleb(&r);
        if (r.bad || n > (uint64_t)(end - r.p))
            return -1;
        r.p += n;
    }
    if (r.bad)
        return -1;
    f->insns = r.p;
    f->insns_end = end;
    return 0;
}

/* The FDE covering pc, through the object's .eh_frame_hdr binary-search table. */
static int find_fde(uintptr_t pc, struct cie *c, struct fde *f)
{
    struct dl_find_object fo;
    if (_dl_find_object((void *)pc, &fo) != 0 || !fo.dlfo_eh_frame)
        return -1;
    const uint8_t *lo = fo.dlfo_map_start, *hi = fo.dlfo_map_end;
    const uint8_t *hdr = fo.dlfo_eh_frame;
    if (hdr < lo || hdr + 4 > hi || hdr[0] != 1)
        return -1;
    struct cur r = {hdr + 4, hi, 0};
    (void)get_enc(&r, hdr[1], (uintptr_t)hdr); /* eh_frame_ptr: not needed with a table */
    uint64_t count = get_enc(&r, hdr[2], (uintptr_t)hdr);
    if (r.bad || hdr[3] != 0x3b /* datarel | sdata4 */ || count == 0 ||
        count > (uint64_t)(hi - r.p) / 8)
        return -1;
    const int32_t *tab = (const int32_t *)r.p;
    intptr_t rel = (intptr_t)(pc - (uintptr_t)hdr);
    size_t a = 0, b = (size_t)count;
    while (b - a > 1) { /* the last entry whose start is <= pc */
        size_t m = a + (b - a) / 2;
        if ((intptr_t)tab[2 * m] <= rel)
            a = m;
        else
            b = m;
    }
    if ((intptr_t)tab[2 * a] > rel)
        return -1;
    if (parse_fde(hdr + tab[2 * a + 1], lo, hi, c, f) < 0)
        return -1;
    return pc >= f->pc_begin && pc < f->pc_end ? 0 : -1;
}

/* ---- The row: rules for the CFA and every register at pc ------------------------------------ */
enum { R_SAME = 0, R_UNDEF, R_OFFSET, R_VAL_OFFSET, R_REG, R_EXPR, R_VAL_EXPR };

struct rule {
    uint8_t how;
    int64_t n;              /* offset, or the register for R_REG */
    const uint8_t *e, *ee;  /* expression */
};

struct row {
    struct rule reg[NREG];
    uint8_t cfa_is_expr;
    unsigned cfa_reg;
    int64_t cfa_off;
    const uint8_t *cfa_e, *cfa_ee;
};

#define MAX_STATES 8

static void set_rule(struct row *row, uint64_t reg, uint8_t how, int64_t n, const uint8_t *e,
                     const uint8_t *ee)
{
    if (reg < NREG) { /* vector registers and others: nothing the walk needs */
        row->reg[reg].how = how;
        row->reg[reg].n = n;
        row->reg[reg].e = e;
        row->reg[reg].ee = ee;
    }
}

/* Run the instructions in [p, end) from location loc until it passes pc. `init` is the row after
 * the CIE's instructions (for DW_CFA_restore), NULL while running those. */
static int run_cfa(const uint8_t *p, const uint8_t *end, const struct cie *c, uint64_t loc,
                   uint64_t pc, struct row *row, const struct row *init)
{
    struct row saved[MAX_STATES];
    unsigned nsaved = 0;
    struct cur r = {p, end, 0};
    while (r.p < r.end && !r.bad) {
        uint8_t op = (uint8_t)get_n(&r, 1);
        uint8_t hi2 = op & 0xc0, low = op & 0x3f;
        uint64_t reg, delta = 0;
        int64_t off;
        if (hi2 == 0x40) { /* DW_CFA_advance_loc */
            delta = low;
        } else if (hi2 == 0x80) { /* DW_CFA_offset */
            off = (int64_t)get_uleb(&r) * c->data_align;
            set_rule(row, low, R_OFFSET, off, NULL, NULL);
            continue;
        } else if (hi2 == 0xc0) { /* DW_CFA_restore */
            if (!init)
                return -1;
            if (low < NREG)
                row->reg[low] = init->reg[low];
            continue;
        } else {
            switch (op) {
            case 0x00: continue; /* nop */
            case 0x01: /* set_loc */
                loc = get_enc(&r, c->fde_enc, 0);
                if (loc > pc)
                    return r.bad ? -1 : 0;
                continue;
            case 0x02: delta = get_n(&r, 1); break;
            case 0x03: delta = get_n(&r, 2); break;
            case 0x04: delta = get_n(&r, 4); break;
            case 0x05: /* offset_extended */
                reg = get_uleb(&r);
                off = (int64_t)get_uleb(&r) * c->data_align;
                set_rule(row, reg, R_OFFSET, off, NULL, NULL);
                continue;
            case 0x06: /* restore_extended */
                reg = get_uleb(&r);
                if (!init)
                    return -1;
                if (reg < NREG)
                    row->reg[reg] = init->reg[reg];
                continue;
            case 0x07: set_rule(row, get_uleb(&r), R_UNDEF, 0, NULL, NULL); continue;
            case 0x08: set_rule(row, get_uleb(&r), R_SAME, 0, NULL, NULL); continue;
            case 0x09: /* register */
                reg = get_uleb(&r);
                set_rule(row, reg, R_REG, (int64_t)get_uleb(&r), NULL, NULL);
                continue;
            case 0x0a: /* remember_state */
                if (nsaved == MAX_STATES)
                    return -1;
                saved[nsaved++] = *row;
                continue;
            case 0x0b: /* restore_state: the CFA rule is remembered too, as binutils and gcc do */
                if (!nsaved)
                    return -1;
                *row = saved[--nsaved];
                continue;
            case 0x0c: /* def_cfa */
                row->cfa_is_expr = 0;
                row->cfa_reg = (unsigned)get_uleb(&r);
                row->cfa_off = (int64_t)get_uleb(&r);
                continue;
            case 0x0d: row->cfa_is_expr = 0, row->cfa_reg = (unsigned)get_uleb(&r); continue;
            case 0x0e: row->cfa_off = (int64_t)get_uleb(&r); continue;
            case 0x0f: { /* def_cfa_expression */
                uint64_t n = get_uleb(&r);
                if (r.bad || n > (uint64_t)(r.end - r.p))
                    return -1;
                row->cfa_is_expr = 1;
                row->cfa_e = r.p;
                row->cfa_ee = r.p + n;
                r.p += n;
                continue;
            }
            case 0x10:   /* expression */
            case 0x16: { /* val_expression */
                reg = get_uleb(&r);
                uint64_t n = get_uleb(&r);
                if (r.bad || n > (uint64_t)(r.end - r.p))
                    return -1;
                set_rule(row, reg, op == 0x10 ? R_EXPR : R_VAL_EXPR, 0, r.p, r.p + n);
                r.p += n;
                continue;
            }
            case 0x11: /* offset_extended_sf */
                reg = get_uleb(&r);
                set_rule(row, reg, R_OFFSET, get_sleb(&r) * c->data_align, NULL, NULL);
                continue;
            case 0x12: /* def_cfa_sf */
                row->cfa_is_expr = 0;
                row->cfa_reg = (unsigned)get_uleb(&r);
                row->cfa_off = get_sleb(&r) * c->data_align;
                continue;
            case 0x13: row->cfa_off = get_sleb(&r) * c->data_align; continue;
            case 0x14: /* val_offset */
                reg = get_uleb(&r);
                set_rule(row, reg, R_VAL_OFFSET, (int64_t)get_uleb(&r) * c->data_align, NULL, NULL);
                continue;
            case 0x15: /* val_offset_sf */
                reg = get_uleb(&r);
                set_rule(row, reg, R_VAL_OFFSET, get_sleb(&r) * c->data_align, NULL, NULL);
                continue;
            case 0x2e: (void)get_uleb(&r); continue; /* GNU_args_size */
            case 0x2f: /* GNU_negative_offset_extended */
                reg = get_uleb(&r);
                set_rule(row, reg, R_OFFSET, -(int64_t)get_uleb(&r) * c->data_align, NULL, NULL);
                continue;
            default:
                return -1; /* not an instruction we know: cannot go on */
            }
        }
        /* An advance: stop once the row covers pc. */
        if (r.bad)
            return -1;
        loc += delta * c->code_align;
        if (loc > pc)
            return 0;
    }
    return r.bad ? -1 : 0;
}

/* ---- DWARF expressions ---------------------------------------------------------------------- */
static int eval(const uint8_t *p, const uint8_t *end, const struct regs *rg, struct ctx *cx,
                int push_cfa, uint64_t cfa, uint64_t *out)
{
    uint64_t st[16];
    int sp = 0;
    struct cur r = {p, end, 0};
    if (push_cfa)
        st[sp++] = cfa;
#define NEED(n) if (sp < (n)) return -1
#define PUSH(v) do { uint64_t pt__v = (v); if (sp == 16) return -1; st[sp++] = pt__v; } while (0)
    while (r.p < r.end) {
        uint8_t op = (uint8_t)get_n(&r, 1);
        uint64_t a;
        if (op >= 0x30 && op <= 0x4f) { /* lit0..31 */
            PUSH((uint64_t)(op - 0x30));
        } else if (op >= 0x70 && op <= 0x8f) { /* breg0..31 */
            unsigned reg = op - 0x70;
            int64_t off = get_sleb(&r);
            if (reg >= NREG || !(rg->known & (1u << reg)))
                return -1;
            PUSH(rg->v[reg] + (uint64_t)off);
        } else {
            switch (op) {
            case 0x92: { /* bregx */
                uint64_t reg = get_uleb(&r);
                int64_t off = get_sleb(&r);
                if (reg >= NREG || !(rg->known & (1u << reg)))
                    return -1;
                PUSH(rg->v[reg] + (uint64_t)off);
                break;
            }
            case 0x06: /* deref */
                NEED(1);
                if (read_stack(cx, (uintptr_t)st[sp - 1], &a) < 0)
                    return -1;
                st[sp - 1] = a;
                break;
            case 0x08: PUSH(get_n(&r, 1)); break;                              /* const1u */
            case 0x09: PUSH((uint64_t)(int64_t)(int8_t)get_n(&r, 1)); break;   /* const1s */
            case 0x0a: PUSH(get_n(&r, 2)); break;                              /* const2u */
            case 0x0b: PUSH((uint64_t)(int64_t)(int16_t)get_n(&r, 2)); break;  /* const2s */
            case 0x0c: PUSH(get_n(&r, 4)); break;                              /* const4u */
            case 0x0d: PUSH((uint64_t)(int64_t)(int32_t)get_n(&r, 4)); break;  /* const4s */
            case 0x0e: case 0x0f: PUSH(get_n(&r, 8)); break;                   /* const8u/s */
            case 0x10: PUSH(get_uleb(&r)); break;                              /* constu */
            case 0x11: PUSH((uint64_t)get_sleb(&r)); break;                    /* consts */
            case 0x12: NEED(1); PUSH(st[sp - 1]); break;                       /* dup */
            case 0x13: NEED(1); sp--; break;                                   /* drop */
            case 0x14: NEED(2); PUSH(st[sp - 2]); break;                       /* over */
            case 0x16: NEED(2); a = st[sp - 1]; st[sp - 1] = st[sp - 2]; st[sp - 2] = a; break;
            case 0x1a: NEED(2); sp--; st[sp - 1] &= st[sp]; break;            /* and */
            case 0x1c: NEED(2); sp--; st[sp - 1] -= st[sp]; break;            /* minus */
            case 0x1e: NEED(2); sp--; st[sp - 1] *= st[sp]; break;            /* mul */
            case 0x1f: NEED(1); st[sp - 1] = -st[sp - 1]; break;              /* neg */
            case 0x20: NEED(1); st[sp - 1] = ~st[sp - 1]; break;              /* not */
            case 0x21: NEED(2); sp--; st[sp - 1] |= st[sp]; break;            /* or */
            case 0x22: NEED(2); sp--; st[sp - 1] += st[sp]; break;            /* plus */
            case 0x23: NEED(1); st[sp - 1] += get_uleb(&r); break;            /* plus_uconst */
            case 0x24: NEED(2); sp--; st[sp - 1] = st[sp] < 64 ? st[sp - 1] << st[sp] : 0; break;
            case 0x25: NEED(2); sp--; st[sp - 1] = st[sp] < 64 ? st[sp - 1] >> st[sp] : 0; break;
            case 0x27: NEED(2); sp--; st[sp - 1] ^= st[sp]; break;            /* xor */
            case 0x29: NEED(2); sp--; st[sp - 1] = st[sp - 1] == st[sp]; break; /* eq */
            case 0x2a: NEED(2); sp--; st[sp - 1] = (int64_t)st[sp - 1] >= (int64_t)st[sp]; break;
            case 0x2b: NEED(2); sp--; st[sp - 1] = (int64_t)st[sp - 1] > (int64_t)st[sp]; break;
            case 0x2c: NEED(2); sp--; st[sp - 1] = (int64_t)st[sp - 1] <= (int64_t)st[sp]; break;
            case 0x2d: NEED(2); sp--; st[sp - 1] = (int64_t)st[sp - 1] < (int64_t)st[sp]; break;
            case 0x2e: NEED(2); sp--; st[sp - 1] = st[sp - 1] != st[sp]; break; /* ne */
            case 0x96: break;                                                 /* nop */
            default: return -1;
            }
        }
        if (r.bad)
            return -1;
    }
#undef NEED
#undef PUSH
    if (sp < 1)
        return -1;
    *out = st[sp - 1];
    return 0;
}

/* ---- Rows already computed --------------------------------------------------------------------
 * Running the CFA program costs a few hundred instructions a frame; a program takes its stacks
 * from the same few call sites again and again. A row of the usual form (CFA = register + offset,
 * the return address and callee-saved registers at offsets from it, every other register
 * unchanged) is kept in a process-wide table indexed by pc. Any thread, a signal handler
 * included, may read and fill it without a lock: an entry is a sequence count (odd while it is
 * written) around its contents, so a reader that saw it change discards what it read. Entries of
 * an older generation are stale: the generation moves whenever an object is loaded or unloaded
 * (pt__unwind_forget), so a pc never finds the row of code that is gone. */
#define CACHE 2048 /* a power of two */
static const uint8_t tracked[7] = {3, 6, 12, 13, 14, 15, RA}; /* rbx rbp r12-r15, return address */

struct crow {
    _Atomic uint32_t seq;
    uint32_t gen;
    uintptr_t pc;
    int32_t cfa_off;
    uint8_t cfa_reg, nsaved;
    uint8_t reg[7];  /* the registers read back, the return address among them */
    int16_t off[7];  /* where, from the CFA */
    uint32_t undef;  /* registers the caller does not have (bit per register) */
};
static struct crow cache[CACHE];
static _Atomic uint32_t cache_gen = 1;

void pt__unwind_forget(void)
{
    atomic_fetch_add(&cache_gen, 1);
}

static struct crow *cache_slot(uintptr_t pc)
{
    return &cache[(unsigned)((pc ^ (pc >> 11)) * 0x9E3779B1u >> 20) & (CACHE - 1)];
}

static int cache_get(uintptr_t pc, struct crow *out)
{
    struct crow *e = cache_slot(pc);
    uint32_t s = atomic_load_explicit(&e->seq, memory_order_acquire);
    if (s & 1)
        return -1;
    out->gen = e->gen;
    out->pc = e->pc;
    out->cfa_off = e->cfa_off;
    out->cfa_reg = e->cfa_reg;
    out->nsaved = e->nsaved;
    out->undef = e->undef;
    memcpy(out->reg, e->reg, sizeof out->reg);
    memcpy(out->off, e->off, sizeof out->off);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&e->seq, memory_order_relaxed) != s || out->pc != pc ||
        out->gen != atomic_load_explicit(&cache_gen, memory_order_relaxed))
        return -1;
    return 0;
}

/* Keep the row if it has the usual form. */
static void cache_put(uintptr_t pc, const struct row *row, const struct cie *c, uint32_t gen)
{
    struct crow n;
    if (row->cfa_is_expr || c->signal || c->ra_reg != RA || row->cfa_reg >= NREG ||
        row->cfa_off != (int32_t)row->cfa_off)
        return;
    n.nsaved = 0;
    n.undef = 0;
    for (unsigned i = 0, t = 0; i < NREG; i++) {
        const struct rule *ru = &row->reg[i];
        int is_tracked = t < 7 && tracked[t] == i;
        t += is_tracked;
        if (ru->how == R_SAME)
            continue;
        if (!is_tracked)
            return; /* a caller-saved register with a rule of its own: not the usual form */
        if (ru->how == R_UNDEF) {
            n.undef |= 1u << i;
        } else if (ru->how == R_OFFSET && ru->n == (int16_t)ru->n) {
            n.reg[n.nsaved] = (uint8_t)i;
            n.off[n.nsaved++] = (int16_t)ru->n;
        } else {
            return;
        }
    }
    struct crow *e = cache_slot(pc);
    uint32_t s = atomic_load_explicit(&e->seq, memory_order_relaxed);
    if ((s & 1) || !atomic_compare_exchange_strong(&e->seq, &s, s + 1))
        return; /* another writer is at it: leave it */
    e->gen = gen;
    e->pc = pc;
    e->cfa_off = (int32_t)row->cfa_off;
    e->cfa_reg = (uint8_t)row->cfa_reg;
    e->nsaved = n.nsaved;
    e->undef = n.undef;
    memcpy(e->reg, n.reg, sizeof e->reg);
    memcpy(e->off, n.off, sizeof e->off);
    atomic_store_explicit(&e->seq, s + 2, memory_order_release);
}

/* One step with a kept row, in place (on failure the walk ends: rg no longer matters). */
static int step_cached(struct regs *rg, struct ctx *cx, const struct crow *cr, uintptr_t *ra_slot)
{
    if (!(rg->known & (1u << cr->cfa_reg)))
        return -1;
    uint64_t cfa = rg->v[cr->cfa_reg] + (uint64_t)(int64_t)cr->cfa_off;
    rg->known &= ~cr->undef;
    *ra_slot = 0;
    for (unsigned k = 0; k < cr->nsaved; k++) {
        uintptr_t a = (uintptr_t)(cfa + (uint64_t)(int64_t)cr->off[k]);
        if (read_stack(cx, a, &rg->v[cr->reg[k]]) < 0)
            return -1;
        rg->known |= 1u << cr->reg[k];
        if (cr->reg[k] == RA)
            *ra_slot = a;
    }
    if (!*ra_slot)
        return -1; /* the return address is read from the stack in every row kept */
    rg->v[RSP] = cfa;
    rg->known |= 1u << RSP;
    return 0;
}

/* One step: from the registers of a frame at pc to its caller's. *signal is set when the frame
 * is a signal trampoline (its caller's pc is not a return address); *ra_slot is where the return
 * address was read (0 when it was not read from the stack). */
static int step(struct regs *rg, struct ctx *cx, uintptr_t lookup, int *signal, uintptr_t *ra_slot)
{
    struct crow cr;
    if (cache_get(lookup, &cr) == 0) {
        *signal = 0;
        return step_cached(rg, cx, &cr, ra_slot);
    }
    uint32_t gen = atomic_load_explicit(&cache_gen, memory_order_acquire);
    struct cie c;
    struct fde f;
    if (find_fde(lookup, &c, &f) < 0)
        return -1;
    struct row init, row;
    memset(&init, 0, sizeof init);
    if (run_cfa(c.insns, c.insns_end, &c, f.pc_begin, UINT64_MAX, &init, NULL) < 0)
        return -1;
    row = init;
    if (run_cfa(f.insns, f.insns_end, &c, f.pc_begin, lookup, &row, &init) < 0)
        return -1;
    cache_put(lookup, &row, &c, gen);
    uint64_t cfa;
    if (row.cfa_is_expr) {
        if (eval(row.cfa_e, row.cfa_ee, rg, cx, 0, 0, &cfa) < 0)
            return -1;
    } else {
        if (row.cfa_reg >= NREG || !(rg->known & (1u << row.cfa_reg)))
            return -1;
        cfa = rg->v[row.cfa_reg] + (uint64_t)row.cfa_off;
    }
    struct regs nx = *rg;
    *ra_slot = row.reg[RA].how == R_OFFSET ? (uintptr_t)(cfa + (uint64_t)row.reg[RA].n) : 0;
    for (unsigned i = 0; i < NREG; i++) {
        const struct rule *ru = &row.reg[i];
        uint64_t v, a;
        switch (ru->how) {
        case R_SAME:
            continue;
        case R_UNDEF:
            nx.known &= ~(1u << i);
            continue;
        case R_OFFSET:
            if (read_stack(cx, (uintptr_t)(cfa + (uint64_t)ru->n), &v) < 0)
                return -1;
            break;
        case R_VAL_OFFSET:
            v = cfa + (uint64_t)ru->n;
            break;
        case R_REG:
            if (ru->n < 0 || ru->n >= NREG || !(rg->known & (1u << ru->n))) {
                nx.known &= ~(1u << i);
                continue;
            }
            v = rg->v[ru->n];
            break;
        case R_EXPR:
            if (eval(ru->e, ru->ee, rg, cx, 1, cfa, &a) < 0 || read_stack(cx, (uintptr_t)a, &v) < 0)
                return -1;
            break;
        default: /* R_VAL_EXPR */
            if (eval(ru->e, ru->ee, rg, cx, 1, cfa, &v) < 0)
                return -1;
            break;
        }
        nx.v[i] = v;
        nx.known |= 1u << i;
    }
    if (c.ra_reg != RA || !(nx.known & (1u << RA)))
        return -1; /* the outermost frame (its return address is undefined) */
    nx.v[RSP] = cfa;
    nx.known |= 1u << RSP;
    *rg = nx;
    *signal = c.signal;
    return 0;
}

/* The directly readable span of this thread's stack, starting at sp. */
static void stack_span(struct ctx *cx, uintptr_t sp)
{
    uintptr_t tcb = (uintptr_t)pthread_self(); /* glibc puts it right above a thread's stack */
    uintptr_t top = (uintptr_t)__libc_stack_end;
    uintptr_t hi = 0;
    if (sp < tcb && tcb - sp <= pt__stack_cap)
        hi = tcb;
    else if (top && sp <= top && top - sp <= pt__stack_cap)
        hi = (top | 4095) + 1; /* the page of argc, which the kernel mapped with the stack */
    if (hi >= sp + 8) {
        cx->lo = sp;
        cx->span = hi - sp - 8; /* the last 8-byte slot starts at lo + span */
    } else {
        cx->lo = UINTPTR_MAX; /* nothing is read directly (UINTPTR_MAX is never aligned) */
        cx->span = 0;
    }
}

/* The walk behind pt__unwind and pt__unwind_ret_slot: fills ips (when not NULL), or stops at the
 * first frame whose pc lies in one of the nr ranges r[i][0] <= pc < r[i][1] and returns the
 * address of its return-address slot. */
static __attribute__((always_inline)) inline int walk(struct regs *rg, uintptr_t *ips, int max,
                                                      const uintptr_t (*r)[2], int nr,
                                                      uintptr_t *slot)
{
    struct ctx cx = {UINTPTR_MAX, 0, 0};
    stack_span(&cx, (uintptr_t)rg->v[RSP]);
    int n = 0, signal = 1; /* the first pc is exact, not a return address */
    while (n < max) {
        uintptr_t pc = (uintptr_t)rg->v[RA], ra_slot;
        if (!pc)
            break;
        if (ips)
            ips[n] = pc;
        n++;
        uint64_t sp = rg->v[RSP];
        int was_signal = signal;
        if (step(rg, &cx, signal ? pc : pc - 1, &signal, &ra_slot) < 0)
            break;
        int in = 0;
        for (int i = 0; i < nr; i++)
            in |= pc >= r[i][0] && pc < r[i][1];
        if (in) {
            /* Only a slot inside this thread's own stack: it is written to. */
            if (ra_slot - cx.lo <= cx.span)
                *slot = ra_slot;
            break;
        }
        if (!was_signal && !signal && rg->v[RSP] <= sp)
            break; /* the stack must grow towards the caller */
    }
    return n;
}

/* The registers at one point of the calling function, whose row the CFI describes. */
#define TAKE_REGS(rg)                                                                              \
    do {                                                                                           \
        memset(&(rg), 0, sizeof(rg));                                                              \
        __asm__ volatile("leaq 0(%%rip), %%rax\n\t"                                                \
                         "movq %%rax, 128(%0)\n\t"                                                 \
                         "movq %%rbx, 24(%0)\n\t"                                                  \
                         "movq %%rbp, 48(%0)\n\t"                                                  \
                         "movq %%rsp, 56(%0)\n\t"                                                  \
                         "movq %%r12, 96(%0)\n\t"                                                  \
                         "movq %%r13, 104(%0)\n\t"                                                 \
                         "movq %%r14, 112(%0)\n\t"                                                 \
                         "movq %%r15, 120(%0)\n\t"                                                 \
                         :                                                                         \
                         : "r"((rg).v)                                                             \
                         : "rax", "memory");                                                       \
        (rg).known = (1u << 3) | (1u << 6) | (1u << RSP) | (0xfu << 12) | (1u << RA);              \
    } while (0)

__attribute__((noinline)) int pt__unwind(uintptr_t *ips, int max)
{
    struct regs rg;
    TAKE_REGS(rg);
    return walk(&rg, ips, max, NULL, 0, NULL);
}

__attribute__((noinline)) uintptr_t *pt__unwind_ret_slot(const uintptr_t (*ranges)[2], int n)
{
    struct regs rg;
    uintptr_t slot = 0;
    TAKE_REGS(rg);
    walk(&rg, NULL, 64, ranges, n, &slot);
    return (uintptr_t *)slot;
}
