/* classes.c — the table of event classes (names, fields, wire types), expanded from PT_EVENTS and
 * PT_CALLS, and the name/field lookups of event.h. */
#include <string.h>

#include "proftrace/calls.h"
#include "proftrace/event.h"
#include "tracer/internal.h"

/* Field lists: one array per class, each terminated by a {NULL, 0} row (classes without fields). */
#define W(wire, n) {#n, PT_WIRE_##wire},
#define EV_FIELDS(name, fields) static const struct pt__field_desc f_ev_##name[] = {fields{0, 0}};
PT_EVENTS(EV_FIELDS, W)
#undef EV_FIELDS
#define F(cap, n) PT_CAP_##cap(W, n)
#define CALL_FIELDS(name, cat, hook, cret, cparams, cargs, retk, fields)                         \
    static const struct pt__field_desc f_call_##name[] = {fields{0, 0}};
PT_CALLS(CALL_FIELDS, F)
#undef CALL_FIELDS
#undef F
#undef W

#define COUNT(arr) ((uint8_t)(sizeof(arr) / sizeof(arr)[0] - 1))
const struct pt__class pt__classes[] = {
#define EV_ROW(name, fields) {#name, 0, 0xff, 0, COUNT(f_ev_##name), f_ev_##name},
    PT_EVENTS(EV_ROW, _)
#undef EV_ROW
#define CALL_ROW(name, cat, hook, cret, cparams, cargs, retk, fields)                             \
    {#name, 1, PT_CAT_##cat, retk, COUNT(f_call_##name), f_call_##name},
        PT_CALLS(CALL_ROW, _)
#undef CALL_ROW
};
const unsigned pt__nclasses = sizeof pt__classes / sizeof pt__classes[0];

const char *const pt__category_names[] = {
#define CAT_NAME(c) #c,
    PT_CATEGORIES(CAT_NAME)
#undef CAT_NAME
};

_Static_assert(sizeof pt__classes / sizeof pt__classes[0] == PT_EV_CALL_FIRST + PT_CALL_COUNT,
               "class table out of step with event.h / calls.h");
_Static_assert(PT_EV_CALL_FIRST + PT_CALL_COUNT < 0xfffe, "class ids must fit the record header");

const char *pt_ns_name(unsigned i)
{
    static const char *const names[PT_NS_COUNT] = {
#define NS_NAME(ns) #ns,
        PT_NAMESPACES(NS_NAME)
#undef NS_NAME
    };
    return i < PT_NS_COUNT ? names[i] : NULL;
}

const char *pt_event_name(unsigned id)
{
    return id < pt__nclasses ? pt__classes[id].name : NULL;
}

const struct pt_value *pt_event_field(const struct pt_event *ev, const char *name)
{
    for (unsigned i = 0; i < ev->nfields; i++) {
        const char *n = pt_event_field_name(ev, i);
        if (n && !strcmp(n, name))
            return &ev->field[i];
    }
    return NULL;
}

const char *pt_event_field_name(const struct pt_event *ev, unsigned i)
{
    if (ev->id >= pt__nclasses || i >= pt__classes[ev->id].nfields)
        return NULL;
    return pt__classes[ev->id].fields[i].name;
}

enum pt_wire pt_event_field_wire(const struct pt_event *ev, unsigned i)
{
    if (ev->id >= pt__nclasses || i >= pt__classes[ev->id].nfields)
        return (enum pt_wire)0;
    return (enum pt_wire)pt__classes[ev->id].fields[i].wire;
}
