/* build.c - compile, cache and load generated programs; see build.h. */
#define _GNU_SOURCE
#include "build.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sha256.h"

extern char **environ;

/* The flags the generated code is built with (part of the cache key). */
static const char *const CFLAGS[] = {"-std=gnu11", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-fvisibility=hidden", NULL};
static const char *const RT_HEADERS[] = {"eq_rt.h", "eq_packet.h", "eq_layout.h", NULL};
/* What program.bpf.c includes of runtime/include (part of its cache key). */
static const char *const BPF_HEADERS[] = {"eq_kern.h", "eq_ebpf_abi.h", "eq_layout.h", NULL};
enum { MAX_SOURCE = 64 << 20 };

/* The headers generated code includes: EQUERY_RUNTIME_INCLUDE; else where
 * an installed equery-run finds them, PREFIX/share/equery/include beside
 * PREFIX/bin; else the source tree's runtime/include (a build tree). */
const char *build_include_dir(void)
{
    static char found[PATH_MAX + 64];
    const char *env = getenv("EQUERY_RUNTIME_INCLUDE");
    if (env && *env)
        return env;
    if (!found[0]) {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        char probe[PATH_MAX + 64];
        if (n > 0) {
            exe[n] = '\0';
            char *slash = strrchr(exe, '/');
            if (slash)
                *slash = '\0';
            snprintf(probe, sizeof probe, "%s/../share/equery/include/eq_rt.h", exe);
            if (access(probe, R_OK) == 0)
                snprintf(found, sizeof found, "%s/../share/equery/include", exe);
        }
        if (!found[0])
            snprintf(found, sizeof found, "%s", EQ_RT_INCLUDE_DIR);
    }
    return found;
}

static const char *compiler(void)
{
    const char *cc = getenv("EQUERY_CC");
    if (cc && *cc)
        return cc;
    return "cc";
}

/* Reads a whole file; NULL (errno set) on failure. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        if (cap >= MAX_SOURCE) {
            free(buf);
            buf = NULL;
            errno = EFBIG;
            break;
        }
        char *nb = realloc(buf, cap *= 2);
        if (!nb)
            free(buf);
        buf = nb;
    }
    if (buf && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        *len = n;
    return buf;
}

/* mkdir -p with mode 0700 for the folders it creates. */
static bool make_dirs(const char *path, char *err, size_t errlen)
{
    char *p = strdup(path);
    if (!p)
        abort();
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s)
            continue;
        char saved = *s;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create '%s': %s", p, strerror(errno));
            free(p);
            return false;
        }
        *s = saved;
        if (!saved)
            break;
    }
    free(p);
    return true;
}

/* The cache folder: private to this user, or refused. */
static char *cache_dir(char *err, size_t errlen)
{
    char *dir = NULL;
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int r;
    if (xdg && *xdg == '/')
        r = asprintf(&dir, "%s/equery/so", xdg);
    else if (home && *home == '/')
        r = asprintf(&dir, "%s/.cache/equery/so", home);
    else
        r = asprintf(&dir, "/tmp/equery-%u/so", (unsigned)geteuid());
    if (r < 0)
        abort();
    if (!make_dirs(dir, err, errlen)) {
        free(dir);
        return NULL;
    }
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
        snprintf(err, errlen, "refusing the cache folder '%s': it must be a folder of user %u that no one else can write",
                 dir, (unsigned)geteuid());
        free(dir);
        return NULL;
    }
    return dir;
}

/* Is `path` a regular file of ours that no one else can write? */
static bool trusted_file(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 022);
}

/* Runs the compiler; its messages go to the file `log`. */
static bool run_compiler(const char *const *argv, const char *log, char *err, size_t errlen)
{
    bool bpf = false; /* the eBPF object: clang -target bpf */
    for (int i = 0; argv[i]; i++)
        bpf |= !strcmp(argv[i], "bpf");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        snprintf(err, errlen,
                 "cannot run the compiler '%s': %s; equery-run compiles each program's measurement code: install %s "
                 "(Debian: apt-get install %s), or name another compiler with %s",
                 argv[0], strerror(rc), bpf ? "clang" : "a C compiler", bpf ? "clang llvm libbpf-dev" : "gcc",
                 bpf ? "EQUERY_CLANG" : "EQUERY_CC");
        return false;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(err, errlen, "waiting for the C compiler: %s", strerror(errno));
            return false;
        }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    size_t n = 0;
    char *msg = slurp(log, &n);
    snprintf(err, errlen,
             "the generated code did not compile (this is a bug in equeryc; please report it with the program):\n%.*s",
             msg ? (int)(n > 4000 ? 4000 : n) : 0, msg ? msg : "");
    free(msg);
    return false;
}

/* Runs argv (whose output is `tmp`) unless `dest` is already in the cache,
 * then moves tmp to dest with `mode`; at the end dest must be a private
 * file of this user. What: "program", "eBPF object", for messages. */
static bool build_into_cache(const char *const *argv, const char *tmp, const char *dest, const char *log, mode_t mode,
                             const char *what, bool verbose, bool *cached, char *err, size_t errlen)
{
    *cached = trusted_file(dest);
    if (!*cached) {
        if (verbose) {
            fputs("equery-run: building:", stderr);
            for (int i = 0; argv[i]; i++)
                fprintf(stderr, " %s", argv[i]);
            fputc('\n', stderr);
        }
        bool built = run_compiler(argv, log, err, errlen);
        unlink(log);
        if (!built) {
            unlink(tmp);
            return false;
        }
        chmod(tmp, mode);
        if (rename(tmp, dest) != 0) {
            snprintf(err, errlen, "cannot move the built %s into the cache: %s", what, strerror(errno));
            unlink(tmp);
            return false;
        }
    }
    if (!trusted_file(dest)) {
        snprintf(err, errlen, "refusing to load '%s': not a private file of this user", dest);
        return false;
    }
    return true;
}

/* Adds the runtime headers `names` (in folder inc) to a cache key. */
static bool hash_headers(Sha256 *h, const char *inc, const char *const *names, char *err, size_t errlen)
{
    for (int i = 0; names[i]; i++) {
        char *hp = NULL, *hd;
        size_t hl = 0;
        if (asprintf(&hp, "%s/%s", inc, names[i]) < 0)
            abort();
        hd = slurp(hp, &hl);
        if (!hd) {
            snprintf(err, errlen, "runtime header '%s' not found (set EQUERY_RUNTIME_INCLUDE to runtime/include)", hp);
            free(hp);
            return false;
        }
        sha256_update(h, hd, hl);
        free(hd);
        free(hp);
    }
    return true;
}

bool build_load(const char *dir, const Manifest *m, bool verbose, Loaded *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    bool ok = false;
    char *src_path = NULL, *src = NULL, *cache = NULL, *so = NULL, *tmp = NULL, *log = NULL;
    size_t len = 0;
    if (asprintf(&src_path, "%s/%s", dir, m->c_source) < 0)
        abort();
    src = slurp(src_path, &len);
    if (!src) {
        snprintf(err, errlen, "cannot read '%s': %s", src_path, strerror(errno));
        goto out;
    }
    char hex[65];
    sha256_hex(src, len, hex);
    if (strcmp(hex, m->c_sha256) != 0) {
        snprintf(err, errlen, "'%s' does not match its manifest (edited by hand?): compile the program again", src_path);
        goto out;
    }
    /* the cache key: source, headers, compiler command */
    const char *inc = build_include_dir();
    Sha256 h;
    sha256_init(&h);
    sha256_update(&h, src, len);
    /* program.c includes the bundle's program.h (its key and state structs):
     * part of the key too. A bundle from before program.h existed has none. */
    char *hdr_path = NULL;
    if (asprintf(&hdr_path, "%s/program.h", dir) < 0)
        abort();
    size_t hdr_len = 0;
    char *hdr = slurp(hdr_path, &hdr_len);
    if (hdr) {
        sha256_update(&h, "program.h", sizeof "program.h");
        sha256_update(&h, hdr, hdr_len);
        free(hdr);
    }
    free(hdr_path);
    if (!hash_headers(&h, inc, RT_HEADERS, err, errlen)) {
        sha256_final(&h, (uint8_t[SHA256_DIGEST_LEN]){0}); /* releases the context */
        goto out;
    }
    sha256_update(&h, compiler(), strlen(compiler()) + 1);
    for (int i = 0; CFLAGS[i]; i++)
        sha256_update(&h, CFLAGS[i], strlen(CFLAGS[i]) + 1);
    uint8_t digest[32];
    sha256_final(&h, digest);
    char key[SHA256_HEX_LEN + 1];
    sha256_to_hex(digest, key);
    cache = cache_dir(err, errlen);
    if (!cache)
        goto out;
    if (asprintf(&so, "%s/%s.so", cache, key) < 0 || asprintf(&tmp, "%s/.%s.%d.so", cache, key, (int)getpid()) < 0 ||
        asprintf(&log, "%s/.%s.%d.log", cache, key, (int)getpid()) < 0)
        abort();
    char *incflag = NULL;
    if (asprintf(&incflag, "-I%s", inc) < 0)
        abort();
    const char *argv[32];
    int n = 0;
    argv[n++] = compiler();
    for (int i = 0; CFLAGS[i]; i++)
        argv[n++] = CFLAGS[i];
    argv[n++] = incflag;
    argv[n++] = "-o";
    argv[n++] = tmp;
    argv[n++] = src_path;
    argv[n] = NULL;
    bool ready = build_into_cache(argv, tmp, so, log, 0700, "program", verbose, &out->cached, err, errlen);
    free(incflag);
    if (!ready)
        goto out;
    out->dl = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!out->dl) {
        snprintf(err, errlen, "cannot load '%s': %s", so, dlerror());
        goto out;
    }
    out->prog = dlsym(out->dl, EQ_PROGRAM_SYMBOL);
    if (!out->prog) {
        snprintf(err, errlen, "'%s' has no symbol %s", so, EQ_PROGRAM_SYMBOL);
        dlclose(out->dl);
        out->dl = NULL;
        goto out;
    }
    out->so_path = so;
    so = NULL;
    ok = true;
out:
    free(src_path);
    free(src);
    free(cache);
    free(so);
    free(tmp);
    free(log);
    return ok;
}

void build_unload(Loaded *l)
{
    if (l->dl)
        dlclose(l->dl);
    free(l->so_path);
    memset(l, 0, sizeof *l);
}

/* ---- the eBPF object ------------------------------------------------------ */

static const char *bpf_compiler(void)
{
    const char *cc = getenv("EQUERY_CLANG");
    return cc && *cc ? cc : "clang";
}

bool build_bpf(const char *dir, const Manifest *m, bool verbose, char **obj, char *err, size_t errlen)
{
    *obj = NULL;
    bool ok = false;
    char *src_path = NULL, *src = NULL, *hdr_path = NULL, *hdr = NULL, *cache = NULL, *out = NULL, *tmp = NULL,
         *log = NULL, *incdir = NULL, *rtinc = NULL;
    size_t len = 0, hdr_len = 0;
    const char *inc = build_include_dir();
    if (asprintf(&src_path, "%s/%s", dir, m->bpf_source ? m->bpf_source : "program.bpf.c") < 0 ||
        asprintf(&hdr_path, "%s/program.h", dir) < 0 ||
        asprintf(&incdir, "-I%s", dir) < 0 || asprintf(&rtinc, "-I%s", inc) < 0)
        abort();
    src = slurp(src_path, &len);
    if (!src) {
        snprintf(err, errlen,
                 "cannot read '%s': %s (a bundle for the eBPF engine is made with equeryc --target=ebpf)", src_path,
                 strerror(errno));
        goto out;
    }
    if (!m->bpf_source) {
        snprintf(err, errlen, "the bundle's manifest names no eBPF program (made by an older equeryc?): compile the "
                              "program again with equeryc --target=ebpf");
        goto out;
    }
    char bhex[65];
    sha256_hex(src, len, bhex);
    if (strcmp(bhex, m->bpf_sha256) != 0) {
        snprintf(err, errlen, "'%s' does not match its manifest (edited by hand?): compile the program again", src_path);
        goto out;
    }
    hdr = slurp(hdr_path, &hdr_len);
    if (!hdr) {
        snprintf(err, errlen, "cannot read '%s': %s", hdr_path, strerror(errno));
        goto out;
    }
    const char *argv[16];
    int n = 0;
    argv[n++] = bpf_compiler();
    argv[n++] = "-O2";
    argv[n++] = "-g";
    argv[n++] = "-target";
    argv[n++] = "bpf";
    argv[n++] = "-I" EQ_MULTIARCH_INCLUDE;
    int at_inc = n;
    argv[n++] = incdir;
    int at_rtinc = n;
    argv[n++] = rtinc; /* eq_kern.h and the headers it includes */
    argv[n++] = "-c";
    int at_src = n;
    argv[n++] = src_path;
    argv[n++] = "-o";
    int at_out = n;
    argv[n++] = NULL;
    argv[n] = NULL;
    Sha256 h;
    sha256_init(&h);
    sha256_update(&h, src, len);
    sha256_update(&h, "program.h", sizeof "program.h");
    sha256_update(&h, hdr, hdr_len);
    if (!hash_headers(&h, inc, BPF_HEADERS, err, errlen)) {
        sha256_final(&h, (uint8_t[SHA256_DIGEST_LEN]){0}); /* releases the context */
        goto out;
    }
    for (int i = 0; i < n; i++)
        if (i != at_src && i != at_out && i != at_inc && i != at_rtinc) /* not paths: their contents count */
            sha256_update(&h, argv[i], strlen(argv[i]) + 1);
    uint8_t digest[32];
    sha256_final(&h, digest);
    char key[SHA256_HEX_LEN + 1];
    sha256_to_hex(digest, key);
    cache = cache_dir(err, errlen);
    if (!cache)
        goto out;
    if (asprintf(&out, "%s/%s.bpf.o", cache, key) < 0 || asprintf(&tmp, "%s/.%s.%d.bpf.o", cache, key, (int)getpid()) < 0 ||
        asprintf(&log, "%s/.%s.%d.bpf.log", cache, key, (int)getpid()) < 0)
        abort();
    argv[at_out] = tmp;
    bool cached;
    if (!build_into_cache(argv, tmp, out, log, 0600, "eBPF object", verbose, &cached, err, errlen))
        goto out;
    *obj = out;
    out = NULL;
    ok = true;
out:
    free(src_path);
    free(src);
    free(hdr_path);
    free(hdr);
    free(cache);
    free(out);
    free(tmp);
    free(log);
    free(incdir);
    free(rtinc);
    return ok;
}
