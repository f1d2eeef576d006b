/* input.h - the inputs a run or a box reads (inputs.def): which source
 * opens each (source.h) and what it is told. equery-run and equery-box
 * name an input the same way and open it with the same source, through
 * input_options(). */
#ifndef EQ_INPUT_H
#define EQ_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "source.h"

typedef enum {
#define INPUT(id, option, arg, source, live, one_program, help) INPUT_##id,
#include "inputs.def"
#undef INPUT
    INPUT_COUNT
} InputKind;

typedef struct {
    const char *option, *arg;
    const SourceOps *src;
    bool live, one_program;
    const char *help;
} InputDesc;

extern const InputDesc input_desc[INPUT_COUNT];

/* Sets in *so what input k with its argument tells its source (the
 * capture, the interface, tc rather than XDP, the EAL arguments). */
void input_options(InputKind k, const char *arg, SourceOptions *so);
/* Checks at start what can be checked without a program: the capture is
 * readable, the interface exists. False with the reason in err. */
bool input_check(InputKind k, const char *arg, char *err, size_t errlen);

#endif
