/* relocate.c — decodes a function's entry with capstone and relocates the displaced instructions.
 *
 * Design. A hook overwrites the first bytes of a function (after an `endbr64`, which must stay at
 * the entry for IBT) with a jump: 5 bytes (jmp rel32 to a stub near the function) or 14 bytes
 * (jmp [rip+0] with an absolute address, when no memory within ±2 GiB was free). The whole
 * instructions those bytes cut into move to a trampoline, followed by a jump back to the first
 * instruction left in place, so calling the trampoline runs the original function.
 *
 * Moving an instruction changes its address, so:
 *  - a RIP-relative operand gets its disp32 recomputed for the new address (refused when the
 *    trampoline is too far for the original target to be reachable);
 *  - jmp/jcc/loop/jrcxz/call with a relative target become absolute forms that reach anywhere:
 *    jcc becomes the inverted jcc over a 14-byte absolute jmp; loop/jrcxz jump over a short jmp
 *    to an absolute jmp; call becomes `call [rip+2]; jmp +8; .quad target` so it returns into the
 *    trampoline and falls through. Targets inside the displaced bytes map to their copies.
 * Refused, with the function's name and the reason:
 *  - the function is shorter than what the jump needs (the bytes past its end belong to others);
 *  - ret, syscall, int3, ud2, hlt, an indirect jmp through a register, xbegin in the displaced
 *    instructions (the function may end there or the instruction cannot run elsewhere);
 *  - a call that is not the last displaced instruction (its return address would point into bytes
 *    we overwrite);
 *  - a relative branch anywhere else in the body (linear sweep over the symbol's size) whose
 *    target is inside the displaced bytes or the entry (only a call to the entry, recursion, is
 *    fine: it goes through the hook like any call; a jump there would turn each iteration of a
 *    loop through the entry into a call). Branches among the displaced instructions themselves
 *    go to their copies;
 *  - bytes capstone cannot decode, in the displaced instructions or the body.
 * A jump table or another function jumping into the displaced bytes cannot be seen; compilers do
 * not emit either for the first bytes of a function. */
#include "preload/inline/inline_internal.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const uint8_t endbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};

enum kind {
    K_PLAIN,  /* copied as is */
    K_RIPREL, /* copied, disp32 recomputed */
    K_JMP,    /* jmp rel8/rel32 */
    K_JCC,    /* jcc rel8/rel32 */
    K_LOOP,   /* loop/loope/loopne/jrcxz/jecxz rel8 */
    K_CALL,   /* call rel32 */
};

struct insn {
    enum kind kind;
    uint8_t len;
    uint8_t cc;          /* condition code of a jcc */
    uint8_t disp_offset; /* K_RIPREL: where disp32 sits in the instruction */
    uintptr_t dest;      /* branch target, or the address a RIP-relative operand refers to */
    uint8_t bytes[16];
};

int pt__why(int err, char *why, size_t whylen, const char *name, const char *fmt, ...)
{
    if (why && whylen) {
        int n = snprintf(why, whylen, "%s: ", name ? name : "?");
        if (n >= 0 && (size_t)n < whylen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(why + n, whylen - n, fmt, ap);
            va_end(ap);
        }
    }
    return err;
}

void pt__encode_absjmp(uint8_t *p, uintptr_t dest)
{
    static const uint8_t op[6] = {0xff, 0x25, 0, 0, 0, 0};
    memcpy(p, op, sizeof op);
    memcpy(p + 6, &dest, 8);
}

size_t pt__encode_jmp(uint8_t *p, uintptr_t at, uintptr_t dest)
{
    int64_t rel = (int64_t)dest - (int64_t)(at + PT__REL32_LEN);
    if (rel < INT32_MIN || rel > INT32_MAX) {
        pt__encode_absjmp(p, dest);
        return PT__ABSJMP_LEN;
    }
    int32_t r32 = (int32_t)rel;
    p[0] = 0xe9;
    memcpy(p + 1, &r32, 4);
    return PT__REL32_LEN;
}

/* Classify one decoded instruction; returns NULL when it can move, or why it cannot. */
static const char *classify(const cs_insn *ci, struct insn *out)
{
    const cs_x86 *x = &ci->detail->x86;
    uint8_t op0 = x->opcode[0], op1 = x->opcode[1];

    memset(out, 0, sizeof *out);
    out->len = (uint8_t)ci->size;
    memcpy(out->bytes, ci->bytes, ci->size);

    switch (ci->id) {
    case X86_INS_SYSCALL:
    case X86_INS_SYSENTER:
        return "syscall";
    case X86_INS_INT3:
        return "int3";
    case X86_INS_UD2:
    case X86_INS_HLT:
        return "ud2/hlt";
    case X86_INS_XBEGIN:
        return "xbegin";
    default:
        break;
    }

    for (unsigned g = 0; g < ci->detail->groups_count; g++) {
        uint8_t grp = ci->detail->groups[g];
        if (grp == X86_GRP_RET || grp == X86_GRP_IRET)
            return "ret";
        if (grp == X86_GRP_INT)
            return ci->id == X86_INS_INT3 ? "int3" : "int";
    }

    if (op0 == 0xe9 || op0 == 0xeb) {
        out->kind = K_JMP;
        out->dest = (uintptr_t)x->operands[0].imm;
        return NULL;
    }
    if ((op0 >= 0x70 && op0 <= 0x7f) || (op0 == 0x0f && op1 >= 0x80 && op1 <= 0x8f)) {
        out->kind = K_JCC;
        out->cc = (op0 == 0x0f ? op1 : op0) & 0x0f;
        out->dest = (uintptr_t)x->operands[0].imm;
        return NULL;
    }
    if (op0 >= 0xe0 && op0 <= 0xe3) {
        out->kind = K_LOOP;
        out->dest = (uintptr_t)x->operands[0].imm;
        return NULL;
    }
    if (op0 == 0xe8) {
        out->kind = K_CALL;
        out->dest = (uintptr_t)x->operands[0].imm;
        return NULL;
    }

    for (unsigned i = 0; i < x->op_count; i++) {
        const cs_x86_op *o = &x->operands[i];
        if (o->type == X86_OP_MEM && o->mem.base == X86_REG_RIP) {
            /* RIP-relative addressing always has a disp32 (capstone 4 misreports its size with
             * some prefixes, so the offset is checked against the bytes instead). */
            int32_t d32;
            uint8_t at = x->encoding.disp_offset;
            if (x->prefix[3] == 0x67)
                return "EIP-relative operand";
            if (at == 0 || at + 4u > ci->size)
                return "RIP-relative operand whose disp32 cannot be located";
            memcpy(&d32, ci->bytes + at, 4);
            if (d32 != o->mem.disp)
                return "RIP-relative operand whose disp32 cannot be located";
            out->kind = K_RIPREL;
            out->disp_offset = at;
            out->dest = (uintptr_t)(ci->address + ci->size + o->mem.disp);
            return NULL;
        }
    }
    if (ci->id == X86_INS_JMP || ci->id == X86_INS_LJMP)
        return "indirect jmp"; /* through a register or non-RIP memory: the function may end */
    return NULL;
}

static int is_branch(enum kind k)
{
    return k == K_JMP || k == K_JCC || k == K_LOOP || k == K_CALL;
}

static int open_cs(csh *cs)
{
    if (cs_open(CS_ARCH_X86, CS_MODE_64, cs) != CS_ERR_OK)
        return -ENOMEM;
    cs_option(*cs, CS_OPT_DETAIL, CS_OPT_ON);
    return 0;
}

/* Linear sweep of the body: refuse any relative branch from outside the displaced instructions to
 * a point inside them other than the entry. */
static int scan_body(csh cs, cs_insn *ci, struct pt__reloc *r, char *why, size_t whylen)
{
    uintptr_t site = r->target + r->entry_kept, end_patch = site + r->displaced;
    const uint8_t *code = (const uint8_t *)r->target;
    size_t left = r->size;
    uint64_t addr = r->target;
    struct insn in;

    while (left > 0) {
        size_t off = (size_t)(addr - r->target);
        if (!cs_disasm_iter(cs, &code, &left, &addr, ci))
            return pt__why(-ENOTSUP, why, whylen, r->name,
                           "undecodable byte 0x%02x at +%zu in the body (cannot check it for "
                           "branches back into the entry)",
                           *code, off);
        if (ci->address >= site && ci->address < end_patch)
            continue;
        classify(ci, &in);
        if (!is_branch(in.kind))
            continue;
        /* A call to the entry is recursion and goes through the hook, as it should; a jump to
         * it would make each loop iteration look like a new call. */
        int to_entry = in.dest == r->target || in.dest == site;
        if (in.dest >= r->target && in.dest < end_patch && !(in.kind == K_CALL && to_entry))
            return pt__why(-ENOTSUP, why, whylen, r->name,
                           "branch at +%zu back into the patched bytes (to +%zu)", off,
                           (size_t)(in.dest - r->target));
    }
    return 0;
}

int pt__reloc_plan(struct pt__reloc *r, const char *name, uintptr_t target, size_t size,
                   size_t patch_len, char *why, size_t whylen)
{
    csh cs;
    cs_insn *ci = NULL;
    int err;

    memset(r, 0, sizeof *r);
    r->name = name;
    r->target = target;
    r->size = size;
    r->patch_len = patch_len;
    if (!target)
        return pt__why(-EINVAL, why, whylen, name, "no address");
    if (size == 0)
        return pt__why(-ENOTSUP, why, whylen, name,
                       "function size unknown (symbol has no size): its body cannot be checked");
    if (size >= 4 && memcmp((const void *)target, endbr64, 4) == 0)
        r->entry_kept = 4;
    if (size < r->entry_kept + patch_len)
        return pt__why(-ENOTSUP, why, whylen, name,
                       "function too short (%zu bytes; the hook needs %zu)", size,
                       r->entry_kept + patch_len);

    if ((err = open_cs(&cs)) < 0)
        return pt__why(err, why, whylen, name, "capstone unavailable");
    if (!(ci = cs_malloc(cs))) {
        err = pt__why(-ENOMEM, why, whylen, name, "out of memory");
        goto out_cs;
    }

    uintptr_t site = target + r->entry_kept;
    const uint8_t *code = (const uint8_t *)site;
    size_t left = size - r->entry_kept;
    uint64_t addr = site;
    while (r->displaced < patch_len) {
        struct insn in;
        const char *bad;
        size_t off = r->entry_kept + r->displaced;
        if (!cs_disasm_iter(cs, &code, &left, &addr, ci)) {
            if (left == 0 || (left < 15 && code + left == (const uint8_t *)(target + size)))
                err = pt__why(-ENOTSUP, why, whylen, name,
                              "function too short (%zu bytes; the hook needs whole instructions "
                              "over %zu)",
                              size, r->entry_kept + patch_len);
            else
                err = pt__why(-ENOTSUP, why, whylen, name, "undecodable byte 0x%02x at +%zu", *code,
                              off);
            goto out;
        }
        if ((bad = classify(ci, &in))) {
            err = pt__why(-ENOTSUP, why, whylen, name, "%s at +%zu inside the patched bytes", bad,
                          off);
            goto out;
        }
        if ((in.kind == K_CALL || ci->id == X86_INS_CALL) && r->displaced + in.len < patch_len) {
            err = pt__why(-ENOTSUP, why, whylen, name,
                          "call at +%zu would return into the patched bytes", off);
            goto out;
        }
        if (r->n_insns == PT__MAX_INSNS) {
            err = pt__why(-ENOTSUP, why, whylen, name, "too many instructions in the entry");
            goto out;
        }
        r->insn_off[r->n_insns++] = (uint8_t)r->displaced;
        r->displaced += in.len;
    }
    err = scan_body(cs, ci, r, why, whylen);
out:
    cs_free(ci, 1);
out_cs:
    cs_close(&cs);
    return err;
}

/* Map a branch target inside the displaced bytes to its relocated copy. */
static int map_dest(const struct pt__reloc *r, uintptr_t at, const struct insn *in,
                    uintptr_t *mapped)
{
    uintptr_t site = r->target + r->entry_kept, dest = in->dest;
    *mapped = dest;
    if (dest < site || dest >= site + r->displaced)
        return 0; /* outside */
    if (dest == site && in->kind == K_CALL)
        return 0; /* a recursive call enters through the hook */
    for (unsigned i = 0; i < r->n_insns; i++)
        if (site + r->insn_off[i] == dest) {
            *mapped = at + r->moved_off[i];
            return 0;
        }
    return -1; /* into the middle of an instruction */
}

int pt__reloc_emit(struct pt__reloc *r, uintptr_t at, char *why, size_t whylen)
{
    uintptr_t site = r->target + r->entry_kept;
    struct insn ins[PT__MAX_INSNS];
    csh cs;
    cs_insn *ci;
    int err = 0;

    if ((err = open_cs(&cs)) < 0)
        return pt__why(err, why, whylen, r->name, "capstone unavailable");
    if (!(ci = cs_malloc(cs))) {
        cs_close(&cs);
        return pt__why(-ENOMEM, why, whylen, r->name, "out of memory");
    }

    /* Pass 1: decode again and lay out the copies, so branches inside can be mapped. */
    size_t off = 0;
    for (unsigned i = 0; i < r->n_insns; i++) {
        const uint8_t *code = (const uint8_t *)(site + r->insn_off[i]);
        size_t left = 16;
        uint64_t addr = site + r->insn_off[i];
        if (!cs_disasm_iter(cs, &code, &left, &addr, ci)) {
            err = pt__why(-ENOTSUP, why, whylen, r->name, "entry changed while hooking");
            goto out;
        }
        classify(ci, &ins[i]);
        r->moved_off[i] = (uint16_t)off;
        switch (ins[i].kind) {
        case K_PLAIN:
        case K_RIPREL:
            off += ins[i].len;
            break;
        case K_JMP:
            off += PT__ABSJMP_LEN;
            break;
        case K_JCC:
        case K_CALL:
            off += 2 + PT__ABSJMP_LEN;
            break;
        case K_LOOP:
            off += ins[i].len + 2 + PT__ABSJMP_LEN;
            break;
        }
    }
    if (off + PT__ABSJMP_LEN > PT__CODE_MAX) {
        err = pt__why(-ENOTSUP, why, whylen, r->name, "relocated entry too large");
        goto out;
    }

    /* Pass 2: emit. */
    for (unsigned i = 0; i < r->n_insns; i++) {
        struct insn *in = &ins[i];
        uint8_t *p = r->code + r->moved_off[i];
        uintptr_t here = at + r->moved_off[i], dest = in->dest;
        size_t ioff = r->entry_kept + r->insn_off[i];

        if (is_branch(in->kind) && map_dest(r, at, in, &dest) < 0) {
            err = pt__why(-ENOTSUP, why, whylen, r->name,
                          "branch at +%zu into the middle of an instruction", ioff);
            goto out;
        }
        if (in->kind != K_CALL && in->dest == r->target && r->entry_kept) {
            err = pt__why(-ENOTSUP, why, whylen, r->name,
                          "branch at +%zu back to the entry (a loop through it)", ioff);
            goto out;
        }
        switch (in->kind) {
        case K_PLAIN:
            memcpy(p, in->bytes, in->len);
            break;
        case K_RIPREL: {
            int64_t disp = (int64_t)in->dest - (int64_t)(here + in->len);
            if (disp < INT32_MIN || disp > INT32_MAX) {
                err = pt__why(-ENOTSUP, why, whylen, r->name,
                              "RIP-relative operand at +%zu cannot reach %#lx from the trampoline "
                              "at %#lx (beyond ±2 GiB)",
                              ioff, (unsigned long)in->dest, (unsigned long)here);
                goto out;
            }
            int32_t d32 = (int32_t)disp;
            memcpy(p, in->bytes, in->len);
            memcpy(p + in->disp_offset, &d32, 4);
            break;
        }
        case K_JMP:
            pt__encode_absjmp(p, dest);
            break;
        case K_JCC:
            p[0] = (uint8_t)(0x70 | (in->cc ^ 1)); /* inverted condition skips the jump */
            p[1] = PT__ABSJMP_LEN;
            pt__encode_absjmp(p + 2, dest);
            break;
        case K_LOOP:
            /* loop/jrcxz cannot be inverted: taken -> +2 lands on the absolute jmp, not taken
             * -> the short jmp skips it. Prefixes (0x67 for ecx) are kept with the opcode. */
            memcpy(p, in->bytes, in->len - 1u);
            p[in->len - 1] = 2;
            p[in->len] = 0xeb;
            p[in->len + 1] = PT__ABSJMP_LEN;
            pt__encode_absjmp(p + in->len + 2, dest);
            break;
        case K_CALL: {
            static const uint8_t call_abs[8] = {0xff, 0x15, 2, 0, 0, 0, 0xeb, 8};
            memcpy(p, call_abs, sizeof call_abs); /* call [rip+2]; jmp over the address */
            memcpy(p + 8, &dest, 8);
            break;
        }
        }
    }
    /* Back to the rest of the function: a direct jmp rel32 when it reaches (it always does from
     * a near slot, and predicts better than the indirect form). */
    r->code_len = off + pt__encode_jmp(r->code + off, at + off, site + r->displaced);
out:
    cs_free(ci, 1);
    cs_close(&cs);
    return err;
}
