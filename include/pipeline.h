/*
 * pipeline.h - the statement hook: every COM_QUERY / COM_STMT_PREPARE text
 * passes through pipeline_check() before it is forwarded.  It runs the gate
 * (parse, classify, rules), counts and records the verdict, and tells the
 * session what to do with the command.
 */
#ifndef DDLGATE_PIPELINE_H
#define DDLGATE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gate.h"

struct session;
struct worker;

enum pipeline_decision {
    PIPELINE_FORWARD = 0, /* send the client's bytes unchanged */
    PIPELINE_REWRITE,     /* send v->rewritten instead */
    PIPELINE_REFUSE,      /* answer v->err_code / v->message, send nothing */
    PIPELINE_HOLD,        /* the pipeline keeps the command (DDL queue) */
    PIPELINE_WAIT,        /* leave the command where it is: ask again later */
};

enum pipeline_decision pipeline_check(struct session *s, uint8_t cmd, const char *text, size_t len,
                                      struct gate_verdict *v);
/* The session closes: leave the queue, release held tables, free state. */
void pipeline_abandon(struct session *s);
/* COM_STMT_PREPARE answered OK with this id: remember its tables. */
void pipeline_prepared(struct session *s, uint32_t stmt_id);
void pipeline_stmt_close(struct session *s, uint32_t stmt_id);
void pipeline_forget_prepared(struct session *s);
enum pipeline_exec {
    PIPELINE_EXEC_FORWARD = 0, /* send it */
    PIPELINE_EXEC_FENCE,       /* wait for the fence on its tables (pipeline_hold_fence) */
    PIPELINE_EXEC_QUEUE,       /* a prepared DDL: hold it in the DDL queue */
    PIPELINE_EXEC_REFUSE,      /* needs an approval it has not got: answer v's ERR */
};
/* COM_STMT_EXECUTE: note its tables and say what to do with it.  A
 * statement prepared under an approval uses one per execute (a once
 * approval is spent here); without one it is refused (v: 7101/7104 with
 * a pending id).  v must have been set up with gate_verdict_init(); the
 * caller clears it. */
enum pipeline_exec pipeline_execute(struct session *s, uint32_t stmt_id, struct gate_verdict *v);
/* Does an execute of stmt_id need an approval?  (Then the caller must have
 * the whole packet before pipeline_execute, which uses the approval.) */
bool pipeline_execute_gated(const struct session *s, uint32_t stmt_id);
/* PIPELINE_EXEC_QUEUE: the execute packet is in s->held_text/held_cmd;
 * queue it like a COM_QUERY DDL.  False: it could not be queued (send it). */
bool pipeline_queue_execute(struct session *s, uint32_t stmt_id);
/* park the session's held command behind the fence on its tables */
void pipeline_hold_fence(struct session *s);
/* server.c: route a packet of an internal command; true when the command
 * (or the internal sequence) consumed it */
bool pipeline_internal_packet(struct session *s, const uint8_t *p, uint32_t len, bool done);
/* The table definitions a held DDL waited for are known now. */
void pipeline_facts_ready(struct worker *w, uint64_t sid);
/* The command's response has been relayed completely. */
void pipeline_command_done(struct session *s);

#endif
