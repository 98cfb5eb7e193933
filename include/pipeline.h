/*
 * pipeline.h - the statement hook: every COM_QUERY / COM_STMT_PREPARE text
 * passes through pipeline_check() before it is forwarded.  It runs the gate
 * (parse, classify, rules), counts and records the verdict, and tells the
 * session what to do with the command.
 */
#ifndef DDLGATE_PIPELINE_H
#define DDLGATE_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "gate.h"

struct session;

enum pipeline_decision {
    PIPELINE_FORWARD = 0, /* send the client's bytes unchanged */
    PIPELINE_REWRITE,     /* send v->rewritten instead */
    PIPELINE_REFUSE,      /* answer v->err_code / v->message, send nothing */
    PIPELINE_HOLD,        /* the pipeline keeps the command (DDL queue) */
};

enum pipeline_decision pipeline_check(struct session *s, uint8_t cmd, const char *text,
                                      size_t len, struct gate_verdict *v);
/* The session closes while its statement is held. */
void pipeline_abandon(struct session *s);
/* The command's response has been relayed completely. */
void pipeline_command_done(struct session *s);

#endif
