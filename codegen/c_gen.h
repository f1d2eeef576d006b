/* c_gen.h - the portable C backend: the measurement primitives of a
 * program as readable C (program.c of a bundle), built against
 * runtime/include/eq_rt.h. The DPDK driver compiles the same file. */
#ifndef EQUERY_C_GEN_H
#define EQUERY_C_GEN_H

#include <stdio.h>

#include "compiler.h"
#include "ir.h"

/* Writes the C for program `p`, compiled from `c`'s source. */
void cgen_program(FILE *out, const Compiler *c, const IrProgram *p);

#endif
