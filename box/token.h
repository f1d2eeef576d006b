/* token.h - the token file of boxes and servers (docs/boxes.md): read by
 * the daemons (http.c) and by those who call them (client.c, equery-server),
 * on its own so that a caller does not link the daemons' HTTP server. */
#ifndef EQ_TOKEN_H
#define EQ_TOKEN_H

#include <stddef.h>

/* The token in `path`: one line of at least 16 characters, no spaces.
 * NULL with the reason in err. The caller frees it. */
char *http_read_token(const char *path, char *err, size_t errlen);

#endif
