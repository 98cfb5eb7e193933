/* errors.c - sqlstate lookup for ddlgate's error codes (errors.h). */
#include "errors.h"

#include <stddef.h>

const char *dg_error_sqlstate(int code)
{
    switch (code) {
#define DG_ERR_CASE(name, c, state, summary) \
    case c:                                  \
        return state;
        DG_ERRORS(DG_ERR_CASE)
#undef DG_ERR_CASE
    case 1317: /* ER_QUERY_INTERRUPTED: a held DDL answers a KILL QUERY like the server */
        return "70100";
    default:
        return "HY000";
    }
}
