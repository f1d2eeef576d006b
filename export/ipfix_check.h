/* ipfix_check.h - `equeryc --check --export=ipfix`: how each query of a
 * checked program would go out as IPFIX (ipfix_map.h), on `out`, and a
 * located warning for each query that would be left out. */
#ifndef EQ_IPFIX_CHECK_H
#define EQ_IPFIX_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include "compiler.h"
#include "ir.h"

/* Returns the number of warnings (left-out queries). */
unsigned ipfix_check(Compiler *c, const IrProgram *ir, uint32_t pen, FILE *out);

#endif
