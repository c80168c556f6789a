/* event_filter.h — the event filters `proftrace events` and `proftrace live` share. */
#ifndef PT_CMDS_EVENT_FILTER_H
#define PT_CMDS_EVENT_FILTER_H

#include "proftrace/trace.h"

/* 1 when `kind` names the event's class (exact), 'call' (any call, case-insensitive) or the
 * call's category (REG MAP ..., case-insensitive); else 0. */
int pt__kind_matches(const struct pt_event *ev, const char *kind);

/* 1 when `kind` is 'call', a category or an event class, i.e. pt__kind_matches can match it. */
int pt__kind_known(const char *kind);

#endif
