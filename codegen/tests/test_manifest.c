/* test_manifest.c - manifest.yaml round trip and loader checks, and the
 * SHA-256 test vectors.
 *
 *   gcc -std=gnu11 -Wall -Wextra -Werror -I codegen codegen/manifest.c \
 *       codegen/sha256.c codegen/tests/test_manifest.c -lcyaml -lcrypto -o test_manifest
 *
 * Writes its files into a fresh temporary folder and removes them. Prints
 * "manifest: N passed, N failed" and exits non-zero on any failure. */
#include "manifest.h"
#include "sha256.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    ERR_LEN = 1024,
    TMPDIR_LEN = 256, /* leaves room in PATH_LEN for a file name */
    PATH_LEN = 512,
    MILLION = 1000000,
    NS_PER_S = 1000000000,
};

static int passed, failed;

__attribute__((format(printf, 2, 3)))
static void check(bool ok, const char *fmt, ...)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    va_list ap;
    va_start(ap, fmt);
    fputs("FAIL: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- SHA-256: FIPS 180-2 appendix B, plus the empty message ----------------- */

static void test_sha256(void)
{
    static const char ABC[] = "abc";
    static const char MSG448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    static const char ABC_HEX[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    static const char MSG448_HEX[] = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
    static const char MILLION_A_HEX[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    static const char EMPTY_HEX[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    char hex[SHA256_HEX_LEN + 1];

    sha256_hex(ABC, strlen(ABC), hex);
    check(!strcmp(hex, ABC_HEX), "sha256(\"abc\") = %s", hex);
    /* 56 bytes: the length no longer fits the block, padding needs a second one. */
    sha256_hex(MSG448, strlen(MSG448), hex);
    check(!strcmp(hex, MSG448_HEX), "sha256(448-bit message) = %s", hex);
    sha256_hex("", 0, hex);
    check(!strcmp(hex, EMPTY_HEX), "sha256(\"\") = %s", hex);

    char *million = malloc(MILLION);
    if (!million) {
        check(false, "out of memory");
        return;
    }
    memset(million, 'a', MILLION);
    sha256_hex(million, MILLION, hex);
    check(!strcmp(hex, MILLION_A_HEX), "sha256(one million 'a') = %s", hex);

    /* The incremental API, fed in uneven pieces that straddle blocks. */
    static const size_t PIECES[] = {1, 63, 64, 65, 7, 1000, 55, 56};
    Sha256 ctx;
    uint8_t digest[SHA256_DIGEST_LEN];
    size_t done = 0;
    sha256_init(&ctx);
    for (size_t i = 0; done < MILLION; i = (i + 1) % (sizeof PIECES / sizeof PIECES[0])) {
        size_t n = PIECES[i] < MILLION - done ? PIECES[i] : MILLION - done;
        sha256_update(&ctx, million + done, n);
        done += n;
    }
    sha256_final(&ctx, digest);
    sha256_to_hex(digest, hex);
    check(!strcmp(hex, MILLION_A_HEX), "incremental sha256(one million 'a') = %s", hex);

    sha256_init(&ctx);
    sha256_update(&ctx, MSG448, 3);
    sha256_update(&ctx, MSG448 + 3, 0);
    sha256_update(&ctx, MSG448 + 3, strlen(MSG448) - 3);
    sha256_final(&ctx, digest);
    sha256_to_hex(digest, hex);
    check(!strcmp(hex, MSG448_HEX), "incremental sha256(448-bit message) = %s", hex);
    free(million);
}

/* ---- files --------------------------------------------------------------- */

static char tmpdir[TMPDIR_LEN];

static const char *tmp_path(const char *name)
{
    static char path[PATH_LEN];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

static bool write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(text, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

/* ---- round trip ------------------------------------------------------------ */

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void compare_str(const char *what, const char *want, const char *got)
{
    check(same_str(want, got), "%s: want '%s', got '%s'", what, want ? want : "(null)", got ? got : "(null)");
}

static void compare_strs(const char *what, char *const *want, unsigned nwant, char *const *got, unsigned ngot)
{
    check(nwant == ngot, "%s: want %u entries, got %u", what, nwant, ngot);
    for (unsigned i = 0; i < nwant && i < ngot; i++) {
        char name[PATH_LEN];
        snprintf(name, sizeof name, "%s[%u]", what, i);
        compare_str(name, want[i], got[i]);
    }
}

static void compare_query(const MQuery *w, const MQuery *g)
{
    char what[PATH_LEN];
#define FIELD(f) (snprintf(what, sizeof what, "query %s: %s", w->name, #f), what)
    compare_str(FIELD(name), w->name, g->name);
    check(w->line == g->line, "%s", FIELD(line));
    check(w->aggregate == g->aggregate, "%s", FIELD(aggregate));
    check(w->bidir == g->bidir, "%s", FIELD(bidir));
    compare_strs(FIELD(keys), w->keys, w->nkeys, g->keys, g->nkeys);
    check(w->ncolumns == g->ncolumns, "%s", FIELD(ncolumns));
    for (unsigned i = 0; i < w->ncolumns && i < g->ncolumns; i++) {
        compare_str(FIELD(columns.name), w->columns[i].name, g->columns[i].name);
        compare_str(FIELD(columns.type), w->columns[i].type, g->columns[i].type);
        compare_str(FIELD(columns.origin), w->columns[i].origin, g->columns[i].origin);
    }
    check(w->every_ns == g->every_ns, "%s", FIELD(every_ns));
    check(w->within_ns == g->within_ns, "%s", FIELD(within_ns));
    compare_str(FIELD(start), w->start, g->start);
    check(w->start_ns == g->start_ns, "%s", FIELD(start_ns));
    compare_str(FIELD(trigger), w->trigger, g->trigger);
    compare_strs(FIELD(trigger_events), w->trigger_events, w->ntrigger_events, g->trigger_events,
                 g->ntrigger_events);
    check(w->nparams == g->nparams, "%s", FIELD(nparams));
    for (unsigned i = 0; i < w->nparams && i < g->nparams; i++) {
        compare_str(FIELD(params.event), w->params[i].event, g->params[i].event);
        compare_str(FIELD(params.column), w->params[i].column, g->params[i].column);
        compare_str(FIELD(params.type), w->params[i].type, g->params[i].type);
    }
    compare_strs(FIELD(reads), w->reads, w->nreads, g->reads, g->nreads);
    compare_strs(FIELD(backends), w->backends, w->nbackends, g->backends, g->nbackends);
#undef FIELD
}

static void compare_manifest(const Manifest *w, const Manifest *g)
{
    check(w->version == g->version, "version: want %u, got %u", w->version, g->version);
    compare_str("compiler", w->compiler, g->compiler);
    compare_str("source", w->source, g->source);
    compare_str("source_sha256", w->source_sha256, g->source_sha256);
    compare_str("c_source", w->c_source, g->c_source);
    compare_str("c_sha256", w->c_sha256, g->c_sha256);
    compare_str("komon_config", w->komon_config, g->komon_config);
    check(w->tcp_loss == g->tcp_loss, "tcp_loss");
    check(w->nqueries == g->nqueries, "nqueries: want %u, got %u", w->nqueries, g->nqueries);
    for (unsigned i = 0; i < w->nqueries && i < g->nqueries; i++)
        compare_query(&w->queries[i], &g->queries[i]);
    check(w->nevents == g->nevents, "nevents: want %u, got %u", w->nevents, g->nevents);
    for (unsigned i = 0; i < w->nevents && i < g->nevents; i++) {
        const MEvent *we = &w->events[i], *ge = &g->events[i];
        compare_str("event name", we->name, ge->name);
        check(we->line == ge->line, "event %s: line", we->name);
        compare_str("event query", we->query, ge->query);
        compare_str("event predicate", we->predicate, ge->predicate);
        compare_strs("event starts", we->starts, we->nstarts, ge->starts, ge->nstarts);
    }
}

/* loss_root_cause.eq cut to two queries: q1 watches TCP loss per host
 * pair, e1 fires on a lossy pair, and q2 then drills into that pair. */
static void test_round_trip(void)
{
    char *q1_keys[] = {"saddr", "daddr"};
    MColumn q1_columns[] = {{"saddr", "ipaddr", "key:saddr"}, {"daddr", "ipaddr", "key:daddr"}, {"pkts", "u64", "count"},
                           {"loss", "u64", NULL}};
    char *q1_reads[] = {"saddr", "daddr", "proto", "sport", "dport", "flgs", "ts", "payload_len", "tcp_seq"};
    char *q1_backends[] = {"c", "dpdk"};
    char *q2_keys[] = {"saddr", "daddr"};
    MColumn q2_columns[] = {{"saddr", "ipaddr", "key:saddr"}, {"daddr", "ipaddr", "key:daddr"}, {"bps", "u64", NULL},
                           {"first", "time", "min:ts"}};
    char *q2_trigger_events[] = {"e1"};
    MParam q2_params[] = {{"e1", "saddr", "ipaddr", false}, {"e1", "daddr", "ipaddr", false}};
    char *q2_reads[] = {"saddr", "daddr", "pkt_len", "ts"};
    char *q2_backends[] = {"c", "dpdk", "ebpf"};
    char *e1_starts[] = {"q2"};

    MQuery queries[] = {
        {
            .name = "q1", .line = 31, .aggregate = true, .bidir = true,
            .keys = q1_keys, .nkeys = 2, .columns = q1_columns, .ncolumns = 4,
            .every_ns = NS_PER_S, .within_ns = 0, .start = "launch", .start_ns = 0,
            .reads = q1_reads, .nreads = 9, .backends = q1_backends, .nbackends = 2,
        },
        {
            .name = "q2", .line = 41, .aggregate = true, .bidir = true,
            .keys = q2_keys, .nkeys = 2, .columns = q2_columns, .ncolumns = 4,
            .every_ns = NS_PER_S, .within_ns = 10ull * NS_PER_S, .start = "offset", .start_ns = 5ll * NS_PER_S,
            .trigger = "e1", .trigger_events = q2_trigger_events, .ntrigger_events = 1,
            .params = q2_params, .nparams = 2,
            .reads = q2_reads, .nreads = 4, .backends = q2_backends, .nbackends = 3,
        },
    };
    MEvent events[] = {{
        .name = "e1", .line = 38, .query = "q1",
        /* '&', '#', ': ' and a leading '*' would all change meaning unquoted. */
        .predicate = "*loss > 20 & pkts >= 10 # not: a comment",
        .starts = e1_starts, .nstarts = 1,
    }};
    Manifest m = {
        .version = MANIFEST_VERSION,
        .compiler = "equeryc 0.1.0",
        .source = "examples/loss root: cause.eq",
        .source_sha256 = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        .c_source = "program.c",
        .c_sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        .komon_config = "komon.yaml",
        .tcp_loss = true,
        .queries = queries, .nqueries = 2,
        .events = events, .nevents = 1,
    };
    char err[ERR_LEN] = "";
    char path[PATH_LEN];

    /* Once with every optional field set, once with komon_config absent. */
    for (int pass = 0; pass < 2; pass++) {
        snprintf(path, sizeof path, "%s", tmp_path(pass ? "round_trip_2.yaml" : "round_trip_1.yaml"));
        if (pass == 1)
            m.komon_config = NULL;
        bool saved = manifest_save(path, &m, err, sizeof err);
        check(saved, "round trip %d: save: %s", pass + 1, err);
        if (!saved)
            continue;
        Manifest *got = manifest_load(path, err, sizeof err);
        check(got != NULL, "round trip %d: load: %s", pass + 1, err);
        if (got)
            compare_manifest(&m, got);
        manifest_free(got);
        unlink(path);
    }

    /* A file that cannot be created: the operating system's reason comes through. */
    snprintf(path, sizeof path, "%s", tmp_path("no/such/folder/manifest.yaml"));
    check(!manifest_save(path, &m, err, sizeof err) && strstr(err, "No such file or directory"),
          "save into a missing folder: %s", err);

    /* manifest_save refuses what manifest_load would refuse, and writes nothing. */
    q2_columns[2].type = "int";
    snprintf(path, sizeof path, "%s", tmp_path("refused.yaml"));
    check(!manifest_save(path, &m, err, sizeof err), "save of a manifest with a bad type succeeded");
    check(strstr(err, "query 'q2': column 'bps': unknown type 'int'") != NULL, "save refused with: %s", err);
    check(access(path, F_OK) != 0, "a refused manifest was written");
    q2_columns[2].type = "u64";
}

/* ---- broken manifests ------------------------------------------------------ */

/* A valid manifest as a person would write it; each case below breaks it
 * in one place. */
static const char GOOD[] =
    "version: 1\n"
    "compiler: equeryc 0.1.0\n"
    "source: loss.eq\n"
    "source_sha256: 248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1\n"
    "c_source: program.c\n"
    "c_sha256: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
    "tcp_loss: true\n"
    "queries:\n"
    "- name: q1\n"
    "  line: 31\n"
    "  aggregate: true\n"
    "  bidir: true\n"
    "  keys: [saddr, daddr]\n"
    "  columns:\n"
    "  - {name: saddr, type: ipaddr}\n"
    "  - {name: daddr, type: ipaddr}\n"
    "  - {name: loss, type: u64}\n"
    "  every_ns: 1000000000\n"
    "  within_ns: 0\n"
    "  start: launch\n"
    "  start_ns: 0\n"
    "  reads: [saddr, daddr, ts, tcp_seq]\n"
    "  backends: [c, dpdk]\n"
    "- name: q2\n"
    "  line: 41\n"
    "  aggregate: true\n"
    "  bidir: false\n"
    "  columns:\n"
    "  - {name: bps, type: u64}\n"
    "  every_ns: 1000000000\n"
    "  within_ns: 10000000000\n"
    "  start: launch\n"
    "  start_ns: 0\n"
    "  trigger: e1\n"
    "  trigger_events: [e1]\n"
    "  params:\n"
    "  - {event: e1, column: saddr, type: ipaddr}\n"
    "  reads: [saddr, pkt_len, ts]\n"
    "  backends: [c]\n"
    "events:\n"
    "- name: e1\n"
    "  line: 38\n"
    "  query: q1\n"
    "  predicate: loss > 20\n"
    "  starts: [q2]\n";

typedef struct {
    const char *name;
    const char *old, *new; /* replace `old` (must occur in GOOD) by `new`; old NULL: `new` is the whole file */
    const char *expect;    /* words the error must contain */
} Broken;

static const Broken BROKEN[] = {
    {"wrong version", "version: 1\n", "version: 2\n", "made by another equeryc version: rebuild the bundle"},
    {"unknown event in trigger", "trigger_events: [e1]", "trigger_events: [e9]",
     "query 'q2': trigger event 'e9' is not defined"},
    {"bad column type", "{name: loss, type: u64}", "{name: loss, type: int64}",
     "query 'q1': column 'loss': unknown type 'int64'"},
    {"bad parameter type", "column: saddr, type: ipaddr}", "column: saddr, type: address}",
     "parameter 'e1.saddr': unknown type 'address'"},
    {"c_source with '/'", "c_source: program.c", "c_source: sub/program.c", "c_source 'sub/program.c'"},
    {"c_source with '..'", "c_source: program.c", "c_source: ../program.c", "must be a plain file name"},
    {"c_source as an option", "c_source: program.c", "c_source: -fplugin=x.c", "must be a plain file name"},
    {"duplicate query", "- name: q2\n", "- name: q1\n", "query 'q1' is defined twice"},
    {"duplicate column", "{name: daddr, type: ipaddr}", "{name: saddr, type: ipaddr}",
     "query 'q1': column 'saddr' is defined twice"},
    {"missing required field", "compiler: equeryc 0.1.0\n", "", "Missing required mapping field: compiler"},
    {"unknown key", "tcp_loss: true\n", "tcp_loss: true\nturbo: yes\n", "Unexpected key: turbo"},
    {"short sha256", "c_sha256: ba7816bf", "c_sha256: ba78", "c_sha256 'ba78"},
    {"uppercase sha256", "source_sha256: 248d6a61", "source_sha256: 248D6A61", "not 64 lowercase hexadecimal"},
    {"bad start", "  start: launch\n  start_ns: 0\n  trigger", "  start: soon\n  start_ns: 0\n  trigger",
     "query 'q2': start 'soon' is not launch, at or offset"},
    {"event on an unknown query", "  query: q1\n", "  query: q7\n", "event 'e1': query 'q7' is not defined"},
    {"starts an unknown query", "starts: [q2]", "starts: [q2, q8]", "event 'e1': started query 'q8' is not defined"},
    {"parameter of an unknown event", "{event: e1, column: saddr", "{event: e5, column: saddr",
     "query 'q2': parameter 'e5.saddr': event 'e5' is not defined"},
    {"parameter of a missing column", "{event: e1, column: saddr", "{event: e1, column: sport",
     "'sport' is not a column of query 'q1'"},
    {"parameter type differs", "column: saddr, type: ipaddr}", "column: saddr, type: mac}",
     "type mac differs from the column's type ipaddr"},
    {"query name not an identifier", "- name: q2\n", "- name: ../q2\n", "name '../q2' is not an identifier"},
    {"trigger cycle", "  query: q1\n", "  query: q2\n", "a trigger cycle"},
    {"not YAML at all (binary)", NULL, "\x7f" "ELF\x02\x01\x01\x03\x04", "control characters"},
    {"not YAML at all (a program)", NULL, "query q1 = Select(saddr) Every(1s);\n", "Expecting MAPPING"},
    {"not YAML at all (bad syntax)", NULL, "version: 1\ncompiler: x\n  bad: indent\n",
     "mapping values are not allowed in this context"},
    {"empty file", NULL, "", "empty file"},
    {"YAML alias", "  keys: [saddr, daddr]\n", "  keys: [&a saddr, *a]\n", "alias"},
};

/* GOOD with the first `old` replaced by `new`; NULL if `old` is not there,
 * which is a mistake in the table. */
static char *replace_once(const char *text, const char *old, const char *new)
{
    const char *at = strstr(text, old);
    if (!at)
        return NULL;
    size_t head = (size_t)(at - text), oldlen = strlen(old), newlen = strlen(new);
    size_t tail = strlen(at + oldlen);
    char *out = malloc(head + newlen + tail + 1);
    if (!out)
        return NULL;
    memcpy(out, text, head);
    memcpy(out + head, new, newlen);
    memcpy(out + head + newlen, at + oldlen, tail + 1);
    return out;
}

static void test_broken(void)
{
    char err[ERR_LEN];
    const char *path = tmp_path("manifest.yaml");

    /* The base must load, or every case below would fail for the wrong reason. */
    check(write_file(path, GOOD, strlen(GOOD)), "cannot write %s", path);
    Manifest *m = manifest_load(path, err, sizeof err);
    check(m != NULL, "the valid hand-written manifest did not load: %s", err);
    if (m)
        check(m->nqueries == 2 && m->nevents == 1 && m->queries[1].nparams == 1 && m->komon_config == NULL &&
                  m->queries[0].trigger == NULL && m->queries[1].nkeys == 0,
              "the valid hand-written manifest loaded wrongly");
    manifest_free(m);

    for (size_t i = 0; i < sizeof BROKEN / sizeof BROKEN[0]; i++) {
        const Broken *b = &BROKEN[i];
        char *text = b->old ? replace_once(GOOD, b->old, b->new) : strdup(b->new);
        if (!text) {
            check(false, "%s: '%s' is not in the base manifest", b->name, b->old);
            continue;
        }
        check(write_file(path, text, strlen(text)), "%s: cannot write %s", b->name, path);
        free(text);
        err[0] = '\0';
        m = manifest_load(path, err, sizeof err);
        check(m == NULL, "%s: loaded", b->name);
        manifest_free(m);
        check(strstr(err, b->expect) != NULL, "%s: want '%s' in: %s", b->name, b->expect, err);
        check(!strncmp(err, path, strlen(path)), "%s: message does not start with the file name: %s", b->name, err);
    }
    unlink(path);

    /* A file that is not there: the operating system's reason comes through. */
    m = manifest_load(tmp_path("missing.yaml"), err, sizeof err);
    check(m == NULL && strstr(err, "No such file or directory") != NULL, "missing file: %s", err);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/test_manifest.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    test_sha256();
    test_round_trip();
    test_broken();
    rmdir(tmpdir);
    printf("manifest: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
