/* fuzz_frontend.c - libFuzzer target over the whole front end: scanner,
 * parser, checker, lowering and the AST and IR printers. Any input must end
 * in diagnostics or an IR, never in a crash, a hang or a leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "ir.h"
#include "sema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* diagnostics and dumps go to a sink: their formatting runs too */
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    char *src = malloc(size + 1);
    if (!src)
        return 0;
    memcpy(src, data, size);
    src[size] = '\0';
    Compiler c;
    compiler_init(&c, "fuzz.eq", src, size, sink);
    dump_tokens(&c, sink);
    if (parse_program(&c)) {
        ast_dump(sink, &c.prog, c.diag);
        Sema sm;
        if (sema_check(&c, &sm))
            ir_print(sink, ir_lower(&c, &sm));
    }
    compiler_free(&c);
    free(src);
    return 0;
}
