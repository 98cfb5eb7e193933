/*
 * mdlqueue.c - the metadata-lock-aware DDL queue (see mdlqueue.h).
 */
#include "mdlqueue.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static pthread_mutex_t mdlq_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mdlq_stats stats;
static char visibility[200] = "unknown (monitor not connected)";

void mdlq_stats_get(struct mdlq_stats *out)
{
    pthread_mutex_lock(&mdlq_lock);
    *out = stats;
    pthread_mutex_unlock(&mdlq_lock);
}

int mdlq_list(struct mdlq_info *out, int max)
{
    (void)out;
    (void)max;
    return 0;
}

bool mdlq_cancel(uint64_t id, const char *admin)
{
    (void)id;
    (void)admin;
    return false;
}

void mdlq_visibility(char *buf, size_t len)
{
    pthread_mutex_lock(&mdlq_lock);
    snprintf(buf, len, "%s", visibility);
    pthread_mutex_unlock(&mdlq_lock);
}
