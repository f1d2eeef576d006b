/* test_dirs.c - unit test of the direction memory (runtime/dirs.c): a
 * conversation keeps its first orientation across windows, is forgotten
 * after EQ_DIRS_IDLE without packets, and at EQ_DIRS_MAX live
 * conversations a new one is shown as its window has it, counted; stale
 * entries make room again. Prints "dirs: N passed, N failed"; exits 1 on
 * a failure. */
#include <stdio.h>
#include <string.h>

#include "dirs.h"

#include "check.h"

typedef struct {
    uint64_t has, id;
} Key;

#define SEC INT64_C(1000000000)

static EqWindow win(int64_t s) { return (EqWindow){s * SEC, (s + 1) * SEC, SEC}; }

static uint8_t orient(EqDirs *d, uint64_t id, uint8_t o, int64_t s)
{
    Key k = {1, id};
    EqWindow w = win(s);
    return eq_dirs_orient(d, &k, sizeof k, o, &w);
}

int main(void)
{
    EqDirs *d = eq_dirs_new(sizeof(Key));
    CHECK(d != NULL);
    /* no memory: the group's own */
    Key k = {1, 1};
    EqWindow w0 = win(0);
    CHECK(eq_dirs_orient(NULL, &k, sizeof k, 0, &w0) == 0);
    CHECK(eq_dirs_orient(NULL, &k, sizeof k, 1, &w0) == 1);
    /* first seen reversed (0): kept in the next windows whatever they say */
    CHECK(orient(d, 1, 0, 0) == 0);
    CHECK(orient(d, 1, 1, 1) == 0);
    CHECK(orient(d, 1, 1, 5) == 0);
    /* another conversation, its own */
    CHECK(orient(d, 2, 1, 0) == 1);
    CHECK(orient(d, 2, 0, 3) == 1);
    /* idle: last seen in [5, 6); still there in the window starting 65 s
     * after (59 s of silence), forgotten in the one starting 66 s after */
    CHECK(orient(d, 1, 1, 65) == 0);
    CHECK(orient(d, 1, 1, 125) == 0);
    CHECK(orient(d, 1, 1, 186) == 1); /* 60 s silent: forgotten, now 1 */
    CHECK(orient(d, 1, 0, 187) == 1);
    CHECK(eq_dirs_unremembered(d) == 0);
    /* the bound: fill it with live conversations at t = 200 */
    for (uint64_t i = 100; i < 100 + EQ_DIRS_MAX; i++)
        orient(d, i, 1, 200);
    uint64_t before = eq_dirs_unremembered(d);
    CHECK(before > 0); /* 1 and 2 took room: a few of these did not fit */
    /* a new one while they are live: its own orientation, not remembered */
    CHECK(orient(d, 7, 0, 201) == 0);
    CHECK(orient(d, 7, 1, 202) == 1);
    CHECK(eq_dirs_unremembered(d) == before + 2);
    /* a remembered one keeps its orientation at the bound */
    CHECK(orient(d, 100, 0, 203) == 1);
    /* 60 s later they are stale: swept, the new one is remembered */
    CHECK(orient(d, 8, 0, 300) == 0);
    CHECK(orient(d, 8, 1, 301) == 0);
    CHECK(eq_dirs_unremembered(d) == before + 2);
    /* a key of another size is not looked up */
    uint64_t small = 5;
    CHECK(eq_dirs_orient(d, &small, sizeof small, 1, &w0) == 1);
    eq_dirs_free(d);
    eq_dirs_free(NULL);
    printf("dirs: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
