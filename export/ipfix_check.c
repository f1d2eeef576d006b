/* ipfix_check.c - the IPFIX checker of equeryc; see ipfix_check.h. */
#include "ipfix_check.h"

#include <string.h>

#include "bundle.h"
#include "diag.h"
#include "ipfix_map.h"

unsigned ipfix_check(Compiler *c, const IrProgram *ir, uint32_t pen, FILE *out)
{
    static const char no_sha[] = "0000000000000000000000000000000000000000000000000000000000000000";
    Manifest *m = bundle_manifest(c, ir, no_sha, "equeryc");
    IpfixQueryMap *maps = ipfix_map_new(m, pen);
    unsigned warnings = 0;
    if (!maps) {
        fprintf(stderr, "equeryc: error: out of memory\n");
        manifest_free(m);
        return 0;
    }
    for (int q = 0; q < ir->nqueries; q++) {
        const IrQuery *iq = ir->queries[q];
        if (!maps[q].exported) {
            /* `query NAME` */
            diag_warning(c->diag, (Span){iq->span.lo, iq->span.lo + 5 + (uint32_t)strlen(iq->name) + 1},
                         "query '%s' is a packet query (no aggregates): its rows are packets, not flows, and are "
                         "left out of the IPFIX export (equery-run --pcap-out FILE writes its packets)",
                         iq->name);
            warnings++;
        }
    }
    diag_flush(c->diag);
    /* the mapping of the exported ones */
    for (unsigned q = 0; q < m->nqueries; q++)
        if (maps[q].exported)
            ipfix_map_describe(out, &m->queries[q], &maps[q], q, c->file, pen);
    ipfix_map_free(maps, m);
    manifest_free(m);
    return warnings;
}
