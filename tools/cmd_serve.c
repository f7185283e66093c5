/* cmd_serve: `swish serve`, the prediction worker as a service (serve.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "runcfg.h"
#include "serve.h"

static const cli_opt opts[] = {
    RUNCFG_OPT_CONFIG,
    RUNCFG_OPT_DATA,
    RUNCFG_OPT_MODELS,
    {"--db", "DB", "SQLite file or postgresql:// URL: predictions and the push jobs (overrides paths.db)", 0},
    {"--listen", "HOST:PORT", "address to listen on (overrides serve.listen; port 0: any free port)", 0},
    {"--threads", "N", "request threads, also the slate's (overrides serve.threads and slate.threads); " SW_THREADS_RULE,
     0},
};

int cmd_serve(int argc, char **argv)
{
    cli_args a = {
        .usage = "swish serve",
        .summary =
            "Serve predictions over HTTP until SIGTERM (libmicrohttpd; one line per request on stderr):\n\n"
            "  POST /pubsub/push   a Pub/Sub push whose data is {\"game_date\": \"YYYY-MM-DD\"}: the job is recorded\n"
            "                      in the database before the acknowledgement, then the slate of that date runs\n"
            "                      as 'swish slate' runs it and is stored; a redelivered messageId is acknowledged\n"
            "                      and not run twice; jobs interrupted by a crash resume at start-up.  Pushes\n"
            "                      carry a JWT signed by the keys of serve.jwks (RS256; audience, issuer and\n"
            "                      service account checked) or the shared serve.token as ?token=\n"
            "  POST /v1/predict    {\"date\": D, \"player_id\": ID [, \"line\": L] [, \"explain\": true]} or\n"
            "                      {\"date\": D, \"players\": [ID or {\"player_id\": ID, \"line\": L}, ...]}: every\n"
            "                      system's prediction, the final call, P(over), the model versions, the drivers\n"
            "  GET  /v1/slate?date=D[&system=S|all]   the stored calls of a date\n"
            "  GET  /v1/jobs/ID    a push job's state\n"
            "  GET  /healthz       alive;  GET /readyz: models loaded and verified, database writable\n"
            "  GET  /metrics       Prometheus text format\n\n"
            "SIGHUP reloads models and data (also when serve.poll_s sees the store's champions or the data\n"
            "change); new models load and verify in the background and replace the old at once, a failed\n"
            "load keeps the old.  SIGTERM stops accepting, finishes the requests in flight and the running\n"
            "job (queued ones stay in the database for the next start), and exits 0.",
        .opts = opts,
        .n_opts = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    sw_config cfg;
    if ((rc = runcfg_load(&a, &cfg))) return rc;
    const char *listen = cli_get(&a, "--listen");
    if (listen) {
        if (strlen(listen) >= sizeof cfg.listen) return cli_failf(SW_ARG, "--listen: too long");
        snprintf(cfg.listen, sizeof cfg.listen, "%s", listen);
    }
    if (cli_get(&a, "--threads")) cfg.serve_threads = cfg.threads;
    char *text = runcfg_text(&cfg);
    rc = serve_main(&cfg, text);
    free(text);
    return rc;
}
