/* disasm.c — a few instructions around a deleting call site (capstone), so a report shows the
 * exact call in the library that removed the resource even without its source. Call and jump
 * targets are named as perf annotate names them (`call shm_unlink@plt`, `call mapisim__purge`).
 *
 * capstone is loaded (dlopen) when a report first disassembles, not linked: most reports show no
 * code, and loading it at every start (its relocations) costs about a millisecond, which a report
 * of a million events notices. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/symbolize.h"

#ifdef PT_HAVE_CAPSTONE
#include <capstone/capstone.h>
#include <dlfcn.h>
#include <elf.h>
#include <pthread.h>

/* The library the build's header describes: its soname carries the API's major version. */
#define PT__STR_(x) #x
#define PT__STR(x) PT__STR_(x)
#define CAPSTONE_SONAME "libcapstone.so." PT__STR(CS_API_MAJOR)

static struct {
    __typeof__(&cs_open) open;
    __typeof__(&cs_disasm) disasm;
    __typeof__(&cs_free) free;
    __typeof__(&cs_close) close;
    char why[256]; /* why it could not be loaded ("" when it was) */
} cs;
static pthread_once_t cs_once = PTHREAD_ONCE_INIT;

static void cs_load(void)
{
    void *h = dlopen(CAPSTONE_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (h) {
        *(void **)&cs.open = dlsym(h, "cs_open");
        *(void **)&cs.disasm = dlsym(h, "cs_disasm");
        *(void **)&cs.free = dlsym(h, "cs_free");
        *(void **)&cs.close = dlsym(h, "cs_close");
    }
    if (!h || !cs.open || !cs.disasm || !cs.free || !cs.close)
        snprintf(cs.why, sizeof cs.why, "%s", h ? "a function is missing from it" : dlerror());
}

const char *pt__disasm_unavailable(void)
{
    return NULL;
}

/* An instruction's operands with a branch target named: a direct target ("0x7f..." or "#0x7f...")
 * becomes its symbol, a call through a pointer slot addressed from rip gets the slot's name. */
static void operands(struct pt__symbolizer *s, const struct pt__proc *p, const cs_insn *in,
                     char *buf, size_t len)
{
    snprintf(buf, len, "%s", in->op_str);
    const char *m = in->mnemonic;
    int branch = !strncmp(m, "call", 4) || m[0] == 'j' || !strcmp(m, "b") || !strcmp(m, "bl") ||
                 !strncmp(m, "b.", 2) || !strcmp(m, "cbz") || !strcmp(m, "cbnz");
    if (!branch || !s)
        return;
    char name[192];
    const char *o = in->op_str[0] == '#' ? in->op_str + 1 : in->op_str;
    char *end;
    uint64_t target = strtoull(o, &end, 16);
    if (!strncmp(o, "0x", 2) && !*end) {
        if (!pt__sym_target(s, p, target, name, sizeof name))
            snprintf(buf, len, "%s", name);
        return;
    }
    const char *rip = strstr(in->op_str, "[rip + 0x");
    if (rip) {
        uint64_t disp = strtoull(rip + 9, &end, 16);
        if (*end == ']' && !pt__sym_slot(s, p, in->address + in->size + disp, name, sizeof name))
            snprintf(buf, len, "%s  # %s", in->op_str, name);
    }
}

int pt__disasm_around(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t ret,
                      const char *indent, char *out, size_t len)
{
    uint8_t code[4096];
    uint64_t start;
    int machine = 0;
    out[0] = 0;
    if (!s) {
        snprintf(out, len, "%scode not shown: module files are not opened without symbols\n",
                 indent);
        return -ENOENT;
    }
    long n = pt__sym_code(s, p, ret, code, sizeof code, &start, &machine);
    if (n == -ENOTSUP) {
        snprintf(out, len, "%scode not shown: %s\n", indent, pt__sym_unavailable());
        return -ENOTSUP;
    }
    if (n <= 0) {
        snprintf(out, len,
                 "%scode not available (module file not readable, or only its debug file found)\n",
                 indent);
        return -ENOENT;
    }
    cs_arch arch;
    cs_mode mode;
    if (machine == EM_X86_64) {
        arch = CS_ARCH_X86;
        mode = CS_MODE_64;
    } else if (machine == EM_AARCH64) {
        arch = CS_ARCH_ARM64;
        mode = CS_MODE_ARM;
    } else {
        snprintf(out, len, "%sno disassembler for ELF machine %d\n", indent, machine);
        return -ENOTSUP;
    }
    pthread_once(&cs_once, cs_load);
    if (cs.why[0]) {
        snprintf(out, len, "%scapstone could not be loaded (%s): %s\n", indent, CAPSTONE_SONAME,
                 cs.why);
        return -ENOTSUP;
    }
    csh h;
    if (cs.open(arch, mode, &h) != CS_ERR_OK) {
        snprintf(out, len, "%scapstone could not start\n", indent);
        return -ENOTSUP;
    }
    cs_insn *ins;
    size_t count = cs.disasm(h, code, (size_t)n, start, 0, &ins);
    size_t at = count; /* the instruction that starts at the return address */
    for (size_t i = 0; i < count; i++)
        if (ins[i].address == ret) {
            at = i;
            break;
        }
    if (at == count || at == 0) {
        snprintf(out, len, "%sreturn address 0x%llx is not on an instruction boundary here\n",
                 indent, (unsigned long long)ret);
        cs.free(ins, count);
        cs.close(&h);
        return -ENOENT;
    }
    /* the call (at - 1), six instructions before it (its arguments, a check) and two after */
    size_t from = at >= 7 ? at - 7 : 0, to = at + 2 < count ? at + 2 : count;
    size_t used = 0;
    for (size_t i = from; i < to && used < len; i++) {
        char ops[400];
        operands(s, p, &ins[i], ops, sizeof ops);
        int w = snprintf(out + used, len - used, "%s%s 0x%llx  %-8s %s\n", indent,
                         i == at - 1 ? "=>" : "  ", (unsigned long long)ins[i].address,
                         ins[i].mnemonic, ops);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    cs.free(ins, count);
    cs.close(&h);
    return 0;
}

#else

const char *pt__disasm_unavailable(void)
{
    return "no disassembly: built without capstone";
}

int pt__disasm_around(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t ret,
                      const char *indent, char *out, size_t len)
{
    snprintf(out, len, "%s%s\n", indent, pt__disasm_unavailable());
    return -ENOTSUP;
}

#endif
