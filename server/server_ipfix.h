/* server_ipfix.h - equery-server --ipfix HOST:PORT: the merged rows of the
 * programs it runs, as IPFIX over UDP to the operator's collector
 * (export/ipfix_sink.c), one observation domain per program: its id.
 * A request can only opt a program out (POST /api/programs?ipfix=0): the
 * collector is the server's option, never a request's. docs/export.md. */
#ifndef EQ_SERVER_IPFIX_H
#define EQ_SERVER_IPFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manifest.h"
#include "output.h"

/* Whether a program is exported: `arg` is the request's ipfix parameter
 * (NULL, "0" or "1"), `target` the server's --ipfix (or NULL). False with
 * the reason in msg (a 400) for another value, or "1" without --ipfix. */
bool server_ipfix_wanted(const char *arg, const char *target, bool *want, char *msg, size_t len);

/* Adds the IPFIX sink to out; NULL with the reason in msg and the HTTP
 * status in *code (400: the program cannot be exported, 503: the
 * collector cannot be reached). Its observation domain is set later, with
 * server_ipfix_domain, once the program has its id. */
void *server_ipfix_add(Output *out, const char *target, const Manifest *m, char *msg, size_t len, unsigned *code);
void server_ipfix_domain(void *sink, uint32_t domain);

#endif
