/* server_ipfix.c - a program's IPFIX export on equery-server
 * (server_ipfix.h). */
#include <stdio.h>
#include <string.h>

#include "export.h"
#include "server_ipfix.h"

bool server_ipfix_wanted(const char *arg, const char *target, bool *want, char *msg, size_t len)
{
    if (arg && strcmp(arg, "0") != 0 && strcmp(arg, "1") != 0) {
        snprintf(msg, len, "ipfix is 0 (no IPFIX export of this program) or 1, not '%.40s'", arg);
        return false;
    }
    if (arg && !strcmp(arg, "1") && !target) {
        snprintf(msg, len, "this server exports no IPFIX (start it with --ipfix HOST:PORT)");
        return false;
    }
    *want = target && !(arg && !strcmp(arg, "0"));
    return true;
}

void *server_ipfix_add(Output *out, const char *target, const Manifest *m, char *msg, size_t len, unsigned *code)
{
    IpfixOptions o = {.udp = target,
                      .pen = IPFIX_PEN_DEFAULT,
                      .mtu = IPFIX_MTU_DEFAULT,
                      .refresh_s = IPFIX_REFRESH_DEFAULT,
                      .quiet = true,
                      .tool = "equery-server"};
    char err[512];
    int status = 0;
    /* (its warnings, packet queries left out, go to the server's log) */
    void *s = ipfix_sink_new(&o, m, stderr, err, sizeof err, &status);
    if (!s) {
        snprintf(msg, len, "IPFIX export (the server's --ipfix): %.400s; submit with ?ipfix=0 to run the program "
                           "without it",
                 err);
        *code = status == 2 ? 400 : 503;
        return NULL;
    }
    if (!out_add(out, &ipfix_sink_ops, s)) {
        ipfix_sink_ops.close(s);
        snprintf(msg, len, "too many outputs");
        *code = 500;
        return NULL;
    }
    return s;
}

void server_ipfix_domain(void *sink, uint32_t domain)
{
    if (sink)
        ipfix_sink_set_domain(sink, domain);
}
