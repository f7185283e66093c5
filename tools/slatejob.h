/* slatejob: the nightly slate of one date as `swish slate` runs it, shared by
 * the command and the service's push jobs: the models as of the date (no
 * look-ahead, models.h), the slate, the run stored in one transaction and
 * the rows it replaced re-graded. */
#ifndef SW_SLATEJOB_H
#define SW_SLATEJOB_H

#include "pipeline/grade.h"
#include "pipeline/slate.h"
#include "pipeline/store.h"

typedef struct {
    sw_slate *slate;
    sw_store_result res;              /* run_id 0: not stored */
    sw_grade_result regraded;
    int degraded;                     /* a model or the stack was refused or failed */
    int offline;                      /* the model store was served from its cache */
    double t_models;
} slatejob;

/* Warnings ("warning") and notes ("note") of the loader and the slate. */
typedef void (*slatejob_say)(void *ctx, const char *kind, const char *msg);

/* store: write the database (cfg->db).  On failure nothing is stored and
 * *out holds nothing.  The exit status of a success is slatejob_exit. */
int slatejob_run(const sw_config *cfg, const sw_league *lg, int day, int store, const char *config_text,
                 slatejob_say say, void *ctx, slatejob *out, sw_error *err);
int slatejob_exit(const slatejob *j);
void slatejob_free(slatejob *j);

#endif
