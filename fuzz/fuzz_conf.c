/* fuzz_conf.c - libFuzzer target: the input is written to a file and read
 * by both loaders, as the daemon reads them: the ini configuration
 * (conf_load_file + conf_validate + SHOW CONFIG formatting) and the state
 * file parser (statefile_parse, applying what it accepts; reset afterwards). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "approval.h"
#include "conf.h"
#include "log.h"
#include "rules.h"
#include "statefile.h"

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct conf *c = malloc(sizeof(*c));
    char err[1024], sec[64], key[64], val[1200];
    FILE *f;

    if (!c)
        return 0;
    if (!path[0]) {
        log_set_level(LOG_ERROR);
        snprintf(path, sizeof(path), "/tmp/fuzz_conf.%d", (int)getpid());
    }
    f = fopen(path, "wb");
    if (!f) {
        free(c);
        return 0;
    }
    fwrite(data, 1, size, f);
    fclose(f);

    conf_defaults(c);
    err[0] = '\0';
    if (conf_load_file(c, path, err, sizeof(err))) {
        (void)conf_validate(c, err, sizeof(err));
        for (int i = 0;
             conf_key_at(c, i, sec, sizeof(sec), key, sizeof(key), val, sizeof(val), NULL); i++)
            ;
    } else if (err[0] == '\0') {
        abort(); /* a failure must say why */
    }
    free(c);

    /* the state loader on the same bytes (statefile_load reads the file
     * whole into memory and calls this; the parse path is the same, without
     * an error line on stderr per input) */
    if (!statefile_parse((const char *)data, size, true, err, sizeof(err)) && err[0] == '\0')
        abort();
    rules_reset();
    approval_reset();
    unlink(path);
    return 0;
}
