/* dirs.h - the direction memory of eq_rt.h (EqDirs): one per bidirectional
 * query, kept by the engine across windows and instances.
 *
 * A conversation (a canonical group key) keeps the orientation of its first
 * packet ever seen by the query, window after window, until it has been
 * idle for EQ_DIRS_IDLE: no packet in the windows of that long. At most
 * EQ_DIRS_MAX conversations are remembered per query; beyond that a new
 * conversation is shown as its window's first packet has it, as if it had
 * no past, and is counted (docs/language.md 6.1). */
#ifndef EQ_DIRS_H
#define EQ_DIRS_H

#include <stdint.h>

#include "eq_rt.h"

#define EQ_DIRS_IDLE (60 * INT64_C(1000000000)) /* ns: Argus's TCP idle timeout */
enum { EQ_DIRS_MAX = 1 << 18 };

/* An empty memory for keys of key_size bytes; NULL when memory is short. */
EqDirs *eq_dirs_new(uint32_t key_size);
void eq_dirs_free(EqDirs *d);

/* Conversations that could not be remembered (the memory was full of live
 * ones), since the memory was made. */
uint64_t eq_dirs_unremembered(const EqDirs *d);

#endif
