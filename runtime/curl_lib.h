/* curl_lib.h - libcurl, loaded (dlopen) by the features that use it and
 * not linked: equery-run --box (box/client.c) and the ClickHouse store
 * (store/clickhouse_store.c). With its dependencies (TLS, Kerberos, LDAP,
 * SSH, ...) libcurl took a fifth of the time of a whole run over a capture,
 * in the dynamic linker, at every start (docs/performance.md).
 *
 * Include this header before any other that includes <curl/curl.h>: the
 * functions are called through curl_lib, whose pointers libcurl's type
 * checks (macros over curl_easy_setopt and others) would not let through. */
#ifndef EQ_CURL_LIB_H
#define EQ_CURL_LIB_H

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

/* The libcurl functions equery calls: CURL_FN(name, return type, parameters), written once. */
#define CURL_FNS(CURL_FN)                                                                \
    CURL_FN(global_init, CURLcode, (long flags))                                        \
    CURL_FN(global_cleanup, void, (void))                                               \
    CURL_FN(easy_init, CURL *, (void))                                                  \
    CURL_FN(easy_cleanup, void, (CURL * h))                                             \
    CURL_FN(easy_reset, void, (CURL * h))                                               \
    CURL_FN(easy_setopt, CURLcode, (CURL * h, CURLoption opt, ...))                     \
    CURL_FN(easy_perform, CURLcode, (CURL * h))                                         \
    CURL_FN(easy_getinfo, CURLcode, (CURL * h, CURLINFO info, ...))                     \
    CURL_FN(easy_strerror, const char *, (CURLcode rc))                                 \
    CURL_FN(easy_escape, char *, (CURL * h, const char *s, int len))                    \
    CURL_FN(slist_append, struct curl_slist *, (struct curl_slist * l, const char *s))  \
    CURL_FN(slist_free_all, void, (struct curl_slist * l))                              \
    CURL_FN(free, void, (void *p))                                                      \
    CURL_FN(url, CURLU *, (void))                                                       \
    CURL_FN(url_cleanup, void, (CURLU * u))                                             \
    CURL_FN(url_set, CURLUcode, (CURLU * u, CURLUPart what, const char *part, unsigned flags)) \
    CURL_FN(url_get, CURLUcode, (const CURLU *u, CURLUPart what, char **part, unsigned flags))

/* curl_lib.NAME is libcurl's curl_NAME, once curl_lib_load() succeeded. */
typedef struct {
#define CURL_FIELD(name, ret, params) ret(*name) params;
    CURL_FNS(CURL_FIELD)
#undef CURL_FIELD
} CurlLib;
extern CurlLib curl_lib;

/* libcurl's soname: its ABI has been version 4 since 2006 */
#define LIBCURL_SONAME "libcurl.so.4"

/* Loads libcurl (once; from any thread) and calls curl_global_init. False
 * with the reason in err: "OPTION needs libcurl (apt-get install
 * libcurl4): DLERROR" (option: what needs it, "--box"). */
bool curl_lib_load(const char *option, char *err, size_t errlen);

#endif
