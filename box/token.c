/* token.c - the token file (token.h). */
#include "token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TOKEN_MIN = 16 };

char *http_read_token(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read the token file '%s': %s", path, strerror(errno));
        return NULL;
    }
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        buf[--n] = '\0';
    if (n < TOKEN_MIN || strpbrk(buf, " \t\r\n")) {
        snprintf(err, errlen, "the token in '%s' must be one line of at least 16 characters, without spaces", path);
        return NULL;
    }
    return strdup(buf);
}
