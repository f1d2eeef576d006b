/* table.h - setting up and tearing down the group table of eq_rt.h.
 *
 * The hot path (eq_table_get) is inline in eq_rt.h and grows the table
 * through eq_table_grow (table.c); the host creates each query's table
 * with eq_table_init and frees it with eq_table_free. */
#ifndef EQ_TABLE_H
#define EQ_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "eq_rt.h"

/* Capacity a table starts with at most: tables grow on demand, so a large
 * max_groups costs no memory until groups arrive. */
enum { EQ_TABLE_INITIAL_MAX = 1024 };

/* Sets up an empty table for keys of key_size bytes and states of
 * state_size bytes holding at most max_groups groups. slot_size is
 * EQ_TAG_SIZE + key_size + state_size rounded up to 8; the capacity is the
 * smallest power of two that keeps max_groups groups within the 3/4 load
 * eq_table_get maintains, but at most EQ_TABLE_INITIAL_MAX. key_size must
 * be a multiple of 8 (eq_hash reads whole words, and the state that follows
 * the key must stay 8-byte aligned). Returns false, leaving *t empty (safe
 * to pass to eq_table_free), when memory is short or the sizes are
 * invalid. */
bool eq_table_init(EqTable *t, uint32_t key_size, uint32_t state_size, uint32_t max_groups);

/* Makes room for `groups` groups in all (at most its max_groups) at once,
 * so that filling the table to that many does not grow it step by step,
 * each step a fresh allocation and a rehash: for tables whose size is known
 * before they are filled (a box's partial, partitions merged at a window's
 * close). Returns false, the table unchanged, when memory is short; the
 * table then grows on demand as before. */
bool eq_table_reserve(EqTable *t, uint64_t groups);

/* Frees the slots and leaves *t empty. It does not free what the states
 * own: call the query's clear() first. */
void eq_table_free(EqTable *t);

/* Zeroed memory for a large array (a table's slots, a window's rows):
 * from 2 MiB on, mapped with transparent huge pages, so that it is read
 * without a TLB miss per 4 KiB and filled without a page fault per 4 KiB
 * (each costly in a VM). Free it with eq_big_free and the same size. */
void *eq_big_alloc(size_t bytes);
void eq_big_free(void *p, size_t bytes);

#endif
