/* c_gen.h - the portable C backend: the measurement primitives of a
 * program as readable C (program.c of a bundle), built against
 * runtime/include/eq_rt.h. The DPDK driver compiles the same file.
 *
 * The queries' key and state structs go into a header of their own
 * (program.h), which program.c includes and which the eBPF backend's
 * program.bpf.c includes too: one layout for both (docs/ebpf.md). */
#ifndef EQUERY_C_GEN_H
#define EQUERY_C_GEN_H

#include <stdio.h>

#include "compiler.h"
#include "ir.h"

/* Writes the C for program `p`, compiled from `c`'s source (program.c). */
void cgen_program(FILE *out, const Compiler *c, const IrProgram *p);

/* Writes program.h: the key and state typedefs of every query, and the
 * fingerprint EQ_PROGRAM_H_ID of that layout. */
void cgen_header(FILE *out, const Compiler *c, const IrProgram *p);

/* Writes the #include of program.h with the check that it is the one
 * cgen_header writes for `p` (used by program.c and program.bpf.c). */
void cgen_include_header(FILE *out, const Compiler *c, const IrProgram *p);

#endif
