/* curl_lib.c - libcurl loaded when used (curl_lib.h). */
#include "curl_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

CurlLib curl_lib;

static pthread_mutex_t load_mu = PTHREAD_MUTEX_INITIALIZER;

bool curl_lib_load(const char *option, char *err, size_t errlen)
{
    static void *lib;
    pthread_mutex_lock(&load_mu);
    bool ok = lib != NULL;
    if (ok)
        goto out;
    void *l = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!l) {
        snprintf(err, errlen, "%s needs libcurl (apt-get install libcurl4): %s", option, dlerror());
        goto out;
    }
    static const struct {
        const char *name;
        size_t at;
    } syms[] = {
#define CURL_SYM(name, ret, params) {"curl_" #name, offsetof(CurlLib, name)},
        CURL_FNS(CURL_SYM)
#undef CURL_SYM
    };
    CurlLib fns;
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        void *f = dlsym(l, syms[i].name);
        if (!f) {
            snprintf(err, errlen, "%s needs libcurl: %s has no %s", option, LIBCURL_SONAME, syms[i].name);
            dlclose(l);
            goto out;
        }
        memcpy((char *)&fns + syms[i].at, &f, sizeof f);
    }
    curl_lib = fns;
    curl_lib.global_init(CURL_GLOBAL_DEFAULT);
    lib = l;
    ok = true;
out:
    pthread_mutex_unlock(&load_mu);
    return ok;
}
