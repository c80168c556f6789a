/* rules.h — the detectors, in the order they run, and every name a finding shows to users
 * (internal to analyzer/).
 *
 * PT_RULES(R) has one row per rule: R(id, name, run, after, story, severity)
 *   id     PT__R_<id>;
 *   name   the rule's name in every report, `live --kind` and DESIGN §4;
 *   run    void run(struct pt_analyzer *): appends its findings (rule_<name>.c);
 *   after  the rule whose findings it reads (it runs later), or NONE;
 *   story  how its findings are told (struct pt__story, report.h): a deletion compared by in-use
 *          views or by the identities of the two processes (report_story.c), or, for a finding
 *          that is not a deletion, the rule's own (report_<name>.c: kept apart from the detector
 *          so that what only detects links none of the reports);
 *   severity how grave its finding is, `medium`, `high` or `critical`: a deletion that caused a
 *          failure (a victim) is one step graver (verdict.c); a deleted-while-held open file's
 *          comes from what the file is to its holder instead (open_file.c, which adds `low`).
 * A new rule is its file plus one row here (plus its report file when its finding is not a
 * deletion), and its files in CMakeLists.txt.
 * PT_CAUSES(C): C(id, name) for every cause a finding can have (docs/report-json.md).
 */
#ifndef PT_ANALYZER_RULES_H
#define PT_ANALYZER_RULES_H

#define PT_RULES(R)                                                                                \
    R(PURGE, "cross-namespace-purge", pt__rule_purge, NONE, pt__story_views, "high")               \
    R(HELD, "deleted-while-held", pt__rule_deleted_held, PURGE, pt__story_identities, "medium")    \
    R(LATENT, "latent-purge-hazard", pt__rule_latent, PURGE, pt__story_latent, "medium")

#define PT_CAUSES(C)                                                                               \
    C(IDENTITY, "identity-split")                                                                  \
    C(SESSION, "session-namespace-split")                                                          \
    C(KERNEL, "kernel-namespace-split")                                                            \
    C(SAME, "same-view")                                                                           \
    C(NO_CHECK, "no-liveness-check")                                                               \
    C(UNKNOWN, "unknown")

enum pt__rule {
    PT__R_NONE = -1,
#define PT__RULE_ENUM(id, name, run, after, story, severity) PT__R_##id,
    PT_RULES(PT__RULE_ENUM)
#undef PT__RULE_ENUM
        PT__R_COUNT
};

enum pt__cause {
#define PT__CAUSE_ENUM(id, name) PT__C_##id,
    PT_CAUSES(PT__CAUSE_ENUM)
#undef PT__CAUSE_ENUM
        PT__C_COUNT
};

struct pt_analyzer;
struct pt__story;
#define PT__RULE_DECL(id, name, run, after, story, severity)                                       \
    void run(struct pt_analyzer *a);                                                               \
    extern const struct pt__story story;
PT_RULES(PT__RULE_DECL)
#undef PT__RULE_DECL

#endif
