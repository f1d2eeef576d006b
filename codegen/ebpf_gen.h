/* ebpf_gen.h - the eBPF backend: an XDP and tc program (program.bpf.c of a
 * bundle built with --target=ebpf, over runtime/include/eq_kern.h) that
 * parses each frame once and updates every query's per-group partial
 * states in per-CPU BPF maps. The key and
 * state structs are program.h's, shared with program.c, so that user space
 * merges the CPUs' partial states and closes windows with program.c's own
 * functions. docs/ebpf.md describes the program, its maps and what the
 * backend does not do yet. */
#ifndef EQUERY_EBPF_GEN_H
#define EQUERY_EBPF_GEN_H

#include <stdbool.h>
#include <stdio.h>

#include "compiler.h"
#include "ir.h"

/* Reports, as errors located in the source, every query that the eBPF
 * engine cannot run: those over KOMon samples. True when the whole
 * program can be compiled for eBPF. */
bool ebpf_check(const Compiler *c, const IrProgram *p);

/* Why the kernel program cannot aggregate query q itself (packet query,
 * COUNT(DISTINCT), TCP loss, drill-down values, real arithmetic per
 * packet), or NULL. Such a query is measured in user space on the frames
 * the kernel sends up (docs/ebpf.md, "Split queries"). */
const char *ebpf_user_reason(const IrQuery *q);

/* Writes program.bpf.c for a program ebpf_check accepted. */
void ebpf_program(FILE *out, const Compiler *c, const IrProgram *p);

#endif
