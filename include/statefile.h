/*
 * statefile.h - persistence of runtime changes made on the admin port:
 * rule modes (global and per schema/table) and live approvals.
 *
 * The rule (docs/admin.md): the configuration says what the modes are; the
 * state file holds what admins changed on top of it.  At start, and after a
 * RELOAD, the configuration is applied first (conf_apply_rules), then the
 * state file (statefile_load).  A global mode is saved only when it differs
 * from the configured one, so "SET RULE DGnnn = default" (which sets the
 * configured mode) removes the change from the file.
 *
 * Format: text, one record a line, a header line "ddlgate-state 1" and a
 * last line "end <FNV-1a 64 of every byte before it, 16 hex digits>".  The
 * file is replaced atomically (temp file in the same directory, fsync,
 * rename, fsync of the directory); a truncated or corrupted file fails the
 * checksum and is refused as a whole, never half applied.  Records "next
 * <id>" (the next approval id) and an approval's trailing schema field were
 * added within version 1; files without them still load.
 */
#ifndef DDLGATE_STATEFILE_H
#define DDLGATE_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

/* Snapshot rules_* (modes that differ from c's configuration, every scoped
 * override) and approval_list() (pending, approved and denied entries) into path.
 * Thread-safe (saves are serialised).  false + err on any I/O error; the
 * previous file is then left as it was. */
bool statefile_save(const char *path, const struct conf *c, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Save only when approvals changed since the last save (a request arrived,
 * a once-approval was used...): call it from a periodic timer (the main
 * janitor), since approval_consume() runs on workers that must not do file
 * I/O.  Without it a used once-approval would be live again after a
 * restart.  No-op (true) when path is empty. */
bool statefile_save_if_changed(const char *path, const struct conf *c, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Verify and apply path on top of the modes in force.  A missing file is
 * not an error (nothing was saved yet): returns true and sets *missing if
 * missing is not NULL.  A bad file (torn, corrupted, too large) is refused
 * with err set and nothing applied; it is first renamed aside to
 * <path>.refused-YYYYmmddTHHMMSS (UTC; err says where), so the next save
 * cannot overwrite it, and read leniently for the approval ids it holds so
 * that new ids stay above them.  A file that cannot be opened (permissions)
 * is left in place.  Logs the refusal itself, once: callers should not log
 * err again (they did before, hence each refusal appeared twice). */
bool statefile_load(const char *path, bool *missing, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* The same check and apply on a buffer (tests, fuzzing). */
bool statefile_parse(const char *data, size_t len, bool apply, char *err, size_t errlen);

/* Prompt saves: an event on base (the main loop's) that workers make active
 * when they change an approval (a once-approval used, a request opened), so
 * the state file is written within the loop's next turn instead of at the
 * next janitor tick.  Its callback runs statefile_save_if_changed() with
 * the configuration in force.  Call start once the base exists (libevent
 * threading enabled), stop after the workers have stopped, before the base
 * is freed: stop also saves once more what changed since the last save. */
struct event_base;
bool statefile_autosave_start(struct event_base *base);
void statefile_autosave_stop(void);

#endif
