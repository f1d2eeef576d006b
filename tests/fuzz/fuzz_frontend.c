/* fuzz_frontend.c - libFuzzer target over the whole front end: scanner,
 * parser, checker, lowering, the AST and IR printers and the code
 * generators (C, and eBPF for what it accepts). Any input must end in
 * diagnostics or generated code, never in a crash, a hang or a leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_gen.h"
#include "compiler.h"
#include "ebpf_gen.h"
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
        if (sema_check(&c, &sm)) {
            IrProgram *ir = ir_lower(&c, &sm);
            ir_print(sink, ir);
            cgen_header(sink, &c, ir);
            cgen_program(sink, &c, ir);
            if (ebpf_check(&c, ir))
                ebpf_program(sink, &c, ir);
        }
    }
    compiler_free(&c);
    free(src);
    return 0;
}
