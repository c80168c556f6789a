/* help.h — proftrace's own page: `proftrace --help` and proftrace(1). */
#ifndef PT_CMDS_HELP_H
#define PT_CMDS_HELP_H

#include <stdio.h>

#include "cmds/doc.h"

/* What proftrace is, its commands, its environment, files and exit statuses. */
void pt__help_main(FILE *f, enum pt__doc_format fmt);

#endif
