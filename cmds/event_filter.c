/* event_filter.c — the event filters `proftrace events` and `proftrace live` share. */
#define _GNU_SOURCE
#include <string.h>
#include <strings.h>

#include "cmds/event_filter.h"
#include "proftrace/calls.h"

static const char *const categories[] = {
#define CAT(c) #c,
    PT_CATEGORIES(CAT)
#undef CAT
};

static const unsigned char call_category[] = {
#define ROW(name, cat, hook, cret, cparams, cargs, retk, fields) PT_CAT_##cat,
    PT_CALLS(ROW, _)
#undef ROW
};

int pt__kind_matches(const struct pt_event *ev, const char *kind)
{
    const char *name = pt_event_name(ev->id);
    if (name && !strcmp(name, kind))
        return 1;
    int is_call = ev->id >= PT_EV_CALL_FIRST;
    if (!strcasecmp(kind, "call"))
        return is_call;
    if (is_call && ev->id - PT_EV_CALL_FIRST < PT_CALL_COUNT) {
        unsigned cat = call_category[ev->id - PT_EV_CALL_FIRST];
        return !strcasecmp(kind, categories[cat]);
    }
    return 0;
}

int pt__kind_known(const char *kind)
{
    if (!strcasecmp(kind, "call"))
        return 1;
    for (unsigned i = 0; i < PT_CAT_COUNT; i++)
        if (!strcasecmp(kind, categories[i]))
            return 1;
    for (unsigned id = 0; pt_event_name(id); id++)
        if (!strcmp(pt_event_name(id), kind))
            return 1;
    return 0;
}
