/* check.h - the runtime unit tests' one assertion: CHECK(cond) counts a
 * pass or prints the failing line and counts a failure; main prints
 * "NAME: N passed, N failed" from `passed` and `failed`. Included once, by
 * the test's own file. */
#ifndef EQ_TEST_CHECK_H
#define EQ_TEST_CHECK_H

#include <stdio.h>

static int passed, failed;

static void check(int ok, const char *what, int line)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL line %d: %s\n", line, what);
    }
}
#define CHECK(c) check((c) != 0, #c, __LINE__)

#endif
