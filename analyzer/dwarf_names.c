/* dwarf_names.c — the name of a function from its DWARF entry, spelled as the C++ demangler spells
 * the others in a stack: "svc::remove_backing(char const*)". An inlined function with internal
 * linkage has no linkage name to demangle, only DW_AT_name, so its scopes and parameter types are
 * read from the entries. What this cannot spell (function pointers, arrays) leaves the qualified
 * name without parameters, as gdb shows frames. C functions are their plain name. */
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/dwarf_names.h"

struct out {
    char *b;
    size_t len, used;
    int ok;
};

static void put(struct out *o, const char *s)
{
    size_t n = strlen(s);
    if (o->used + n >= o->len) {
        o->ok = 0;
        return;
    }
    memcpy(o->b + o->used, s, n + 1);
    o->used += n;
}

/* The entry an attribute refers to (through abstract origins and specifications), or NULL. */
static Dwarf_Die *ref(Dwarf_Die *die, int name, Dwarf_Die *mem)
{
    Dwarf_Attribute a;
    return dwarf_formref_die(dwarf_attr_integrate(die, name, &a), mem);
}

/* "ns::Class::" for the namespaces and classes around die. */
static void scopes(Dwarf_Die *die, struct out *o)
{
    Dwarf_Die *chain;
    int n = dwarf_getscopes_die(die, &chain);
    for (int i = n - 1; i >= 1; i--) { /* chain[0] is die, chain[n - 1] its unit */
        int tag = dwarf_tag(&chain[i]);
        if (tag != DW_TAG_namespace && tag != DW_TAG_structure_type && tag != DW_TAG_class_type &&
            tag != DW_TAG_union_type)
            continue;
        const char *name = dwarf_diename(&chain[i]);
        put(o, name ? name : "(anonymous namespace)");
        put(o, "::");
    }
    if (n > 0)
        free(chain);
}

/* DWARF's base type names in the demangler's spelling. */
static const char *base_name(const char *n)
{
    static const char *const map[][2] = {
        {"long int", "long"},
        {"long unsigned int", "unsigned long"},
        {"short int", "short"},
        {"short unsigned int", "unsigned short"},
        {"long long int", "long long"},
        {"long long unsigned int", "unsigned long long"},
        {"_Bool", "bool"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(n, map[i][0]))
            return map[i][1];
    return n;
}

/* A type as the demangler writes it ("char const*"); typedefs are looked through, as mangled
 * names record the type itself. Returns 0, or -1 for what it cannot spell. */
static int type_name(Dwarf_Die *t, struct out *o, int depth)
{
    if (!t) {
        put(o, "void");
        return 0;
    }
    if (depth > 32)
        return -1;
    Dwarf_Die mem, *inner = ref(t, DW_AT_type, &mem);
    const char *name = dwarf_diename(t);
    switch (dwarf_tag(t)) {
    case DW_TAG_base_type:
        if (!name)
            return -1;
        put(o, base_name(name));
        return 0;
    case DW_TAG_typedef:
        return type_name(inner, o, depth + 1);
    case DW_TAG_structure_type:
    case DW_TAG_class_type:
    case DW_TAG_union_type:
    case DW_TAG_enumeration_type:
        if (!name)
            return -1;
        scopes(t, o);
        put(o, name);
        return 0;
    case DW_TAG_pointer_type:
    case DW_TAG_reference_type:
    case DW_TAG_rvalue_reference_type:
    case DW_TAG_const_type:
    case DW_TAG_volatile_type: {
        int tag = dwarf_tag(t);
        if (inner && dwarf_tag(inner) == DW_TAG_subroutine_type)
            return -1;
        if (type_name(inner, o, depth + 1))
            return -1;
        put(o, tag == DW_TAG_pointer_type            ? "*"
               : tag == DW_TAG_reference_type        ? "&"
               : tag == DW_TAG_rvalue_reference_type ? "&&"
               : tag == DW_TAG_const_type            ? " const"
                                                     : " volatile");
        return 0;
    }
    default:
        return -1;
    }
}

/* A parameter's type without top-level const and volatile, which are not part of a signature. */
static Dwarf_Die *param_type(Dwarf_Die *param, Dwarf_Die *mem)
{
    Dwarf_Die *t = ref(param, DW_AT_type, mem);
    while (t && (dwarf_tag(t) == DW_TAG_const_type || dwarf_tag(t) == DW_TAG_volatile_type))
        t = ref(t, DW_AT_type, mem);
    return t;
}

/* "(char const*)" (and " const" for a const method) from the formal parameters of fn. */
static int params(Dwarf_Die *fn, struct out *o)
{
    Dwarf_Die child;
    int first = 1, const_this = 0;
    put(o, "(");
    if (dwarf_child(fn, &child) == 0) {
        do {
            int tag = dwarf_tag(&child);
            if (tag == DW_TAG_unspecified_parameters) {
                put(o, first ? "..." : ", ...");
                first = 0;
                continue;
            }
            if (tag != DW_TAG_formal_parameter)
                continue;
            Dwarf_Die mem, *t = param_type(&child, &mem);
            if (dwarf_hasattr_integrate(&child, DW_AT_artificial)) { /* this */
                Dwarf_Die pm, *pointee = t ? ref(t, DW_AT_type, &pm) : NULL;
                const_this = pointee && dwarf_tag(pointee) == DW_TAG_const_type;
                continue;
            }
            if (!first)
                put(o, ", ");
            first = 0;
            if (type_name(t, o, 0))
                return -1;
        } while (dwarf_siblingof(&child, &child) == 0);
    }
    put(o, const_this ? ") const" : ")");
    return 0;
}

const char *pt__dwarf_func_name(Dwarf_Die *die, int cplusplus, char *buf, size_t len)
{
    const char *name = dwarf_diename(die);
    if (!name || !len)
        return NULL;
    if (!cplusplus)
        return name;
    /* the entry that declares it (inside its namespace or class) and the one that defines it */
    Dwarf_Die origin_mem, decl_mem, *fn = die;
    if (dwarf_tag(die) == DW_TAG_inlined_subroutine && ref(die, DW_AT_abstract_origin, &origin_mem))
        fn = &origin_mem;
    Dwarf_Attribute a;
    Dwarf_Die *decl = dwarf_formref_die(dwarf_attr(fn, DW_AT_specification, &a), &decl_mem);
    struct out o = {buf, len, 0, 1};
    buf[0] = 0;
    scopes(decl ? decl : fn, &o);
    put(&o, name);
    if (!o.ok)
        return name;
    size_t bare = o.used;
    if (params(fn, &o) || !o.ok)
        buf[bare] = 0; /* no parameters rather than wrong ones */
    return buf;
}
