/* equeryc.c - the EQuery compiler driver.
 *
 *   equeryc [--check] [--emit=tokens|ast|ir|c|h|bpf|fields] [-o OUTDIR] [--target=T] FILE.eq
 *
 * Exit status: 0 success (warnings allowed), 1 errors in the program,
 * 2 usage errors (bad options, unreadable input). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "c_gen.h"
#include "compiler.h"
#include "ebpf_gen.h"
#include "ipfix_check.h"
#include "ipfix_map.h"
#include "ir.h"
#include "komon_config.h"
#include "sema.h"

enum { EXIT_PROGRAM = 1, EXIT_USAGE = 2 };
enum { MAX_SOURCE = 16 * 1024 * 1024 }; /* bytes; programs are small */

typedef enum { EMIT_NONE, EMIT_TOKENS, EMIT_AST, EMIT_IR, EMIT_C, EMIT_H, EMIT_BPF, EMIT_FIELDS, EMIT_KOMON } Emit;
static const char *const emit_names[] = {"", "tokens", "ast", "ir", "c", "h", "bpf", "fields", "komon"};
/* a target is a backend (backends.def) */
enum { TARGET_C = BK_C, TARGET_DPDK = BK_DPDK, TARGET_EBPF = BK_EBPF, TARGET_KOMON = BK_KOMON };

static void usage(FILE *out)
{
    fputs("usage: equeryc [options] FILE.eq     (FILE '-' reads standard input)\n"
          "\n"
          "Compiles an EQuery program.\n"
          "\n"
          "options:\n"
          "  --check             check the program and report errors; write nothing\n"
          "                      (with --target=ebpf: also what the eBPF backend refuses)\n"
          "  --emit=STAGE        print a stage to standard output: tokens, ast, ir,\n"
          "                      c (the generated measurement code, program.c),\n"
          "                      h (its key and state structs, program.h),\n"
          "                      bpf (the eBPF program, program.bpf.c), fields\n"
          "                      (the field catalogue as a Markdown table), or komon\n"
          "                      (the KOMon probe configuration, komon.yaml)\n"
          "  -o, --output=DIR    where to write the bundle (default: FILE's name without\n"
          "                      .eq, in the current folder, as cc -c writes objects);\n"
          "                      a bundle is manifest.yaml, program.eq (the source),\n"
          "                      program.c and program.h,\n"
          "                      program.bpf.c for --target=ebpf, komon.yaml when a\n"
          "                      query reads KOMon samples (docs/bundle.md)\n"
          "  --target=T          backend: c (default); dpdk (the same bundle, which the\n"
          "                      DPDK engine runs: checks that every query can run there,\n"
          "                      docs/dpdk.md); ebpf (docs/ebpf.md); komon (the C\n"
          "                      bundle with its KOMon probe configuration, docs/komon.md)\n"
          "  --export=ipfix      with --check: how each query goes out as IPFIX\n"
          "                      (equery-run --ipfix): which column becomes which\n"
          "                      information element, and a warning for each packet\n"
          "                      query, which is left out (docs/export.md)\n"
          "  --ipfix-pen=N       the enterprise number shown for --export=ipfix\n"
          "  -h, --help          show this help\n"
          "  --version           show the version\n"
          "\n"
          "exit status: 0 ok, 1 errors in the program, 2 usage errors\n",
          out);
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("equeryc: error: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'equeryc --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

/* "unknown KIND 'ARG' (a, b, c)": the choices from their one list. */
static int unknown_choice(const char *kind, const char *arg, const char *const *names, int n)
{
    fprintf(stderr, "equeryc: error: unknown %s '%s' (", kind, arg);
    for (int i = 0; i < n; i++)
        fprintf(stderr, "%s%s", i ? ", " : "", names[i]);
    fputs(")\nTry 'equeryc --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

/* Reads all of `path` ('-': standard input) into a NUL-terminated buffer. */
static char *read_source(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "equeryc: error: cannot open '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fprintf(stderr, "equeryc: error: out of memory reading '%s'\n", path);
            break;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
        if (n > MAX_SOURCE) {
            fprintf(stderr, "equeryc: error: '%s' is larger than %d MiB; is it an EQuery program?\n", path,
                    MAX_SOURCE >> 20);
            free(buf);
            buf = NULL;
            break;
        }
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    if (buf && ferror(f)) {
        fprintf(stderr, "equeryc: error: cannot read '%s': %s\n", path, strerror(errno));
        free(buf);
        buf = NULL;
    }
    if (f != stdin)
        fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* The field catalogue as the Markdown table in docs/fields.md. */
static void emit_fields(FILE *out)
{
    fputs("| field | type | role | s/d partner | backends | description |\n"
          "|---|---|---|---|---|---|\n",
          out);
    for (int i = 0; i < F__COUNT; i++) {
        const FieldInfo *f = &cat_fields[i];
        fprintf(out, "| `%s` | %s | %s | %s | %s | %s |\n", f->name, cat_type_names[f->type], cat_role_names[f->role],
                f->partner == F_NONE ? "" : cat_fields[f->partner].name, cat_backends_text(f->backends), f->desc);
    }
}

int main(int argc, char **argv)
{
    enum { OPT_CHECK = 256, OPT_EMIT, OPT_TARGET, OPT_VERSION, OPT_EXPORT, OPT_PEN };
    static const struct option opts[] = {
        {"check", no_argument, 0, OPT_CHECK},  {"emit", required_argument, 0, OPT_EMIT},
        {"output", required_argument, 0, 'o'}, {"target", required_argument, 0, OPT_TARGET},
        {"help", no_argument, 0, 'h'},         {"version", no_argument, 0, OPT_VERSION},
        {"export", required_argument, 0, OPT_EXPORT}, {"ipfix-pen", required_argument, 0, OPT_PEN},
        {0, 0, 0, 0},
    };
    bool check_only = false;
    Emit emit = EMIT_NONE;
    const char *outdir = NULL;
    int target = TARGET_C;
    bool export_ipfix = false;
    unsigned long pen = IPFIX_PEN_DEFAULT;
    char *pen_end;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_CHECK: check_only = true; break;
        case OPT_EMIT: {
            emit = EMIT_NONE;
            for (int i = 1; i < (int)(sizeof emit_names / sizeof emit_names[0]); i++)
                if (!strcmp(optarg, emit_names[i]))
                    emit = (Emit)i;
            if (emit == EMIT_NONE)
                return unknown_choice("--emit stage", optarg, emit_names + 1,
                                      (int)(sizeof emit_names / sizeof emit_names[0]) - 1);
            break;
        }
        case 'o': outdir = optarg; break;
        case OPT_TARGET: {
            target = -1;
            for (int i = 0; i < BK__COUNT; i++)
                if (!strcmp(optarg, cat_backend_names[i]))
                    target = i;
            if (target < 0)
                return unknown_choice("target", optarg, cat_backend_names, BK__COUNT);
            break;
        }
        case OPT_EXPORT:
            if (strcmp(optarg, "ipfix") != 0)
                return usage_error("unknown export '%s' (ipfix)", optarg);
            export_ipfix = true;
            break;
        case OPT_PEN:
            errno = 0;
            pen = strtoul(optarg, &pen_end, 10);
            if (errno || *pen_end || !*optarg || *optarg == '-' || pen < 1 || pen > UINT32_MAX)
                return usage_error("--ipfix-pen needs a number from 1 to 4294967295, not '%s'", optarg);
            break;
        case 'h': usage(stdout); return 0;
        case OPT_VERSION: printf("equeryc %s\n", EQUERY_VERSION); return 0;
        case ':': return usage_error("option '%s' needs an argument", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (export_ipfix && !check_only)
        return usage_error("%s", "--export=ipfix goes with --check");
    if (emit == EMIT_FIELDS) {
        emit_fields(stdout);
        return 0;
    }
    if (optind == argc)
        return usage_error("%s", "no input file");
    if (argc - optind > 1)
        return usage_error("more than one input file ('%s'); compile one program at a time", argv[optind + 1]);
    const char *path = argv[optind];
    size_t len;
    char *src = read_source(path, &len);
    if (!src)
        return EXIT_USAGE;
    const char *shown = strcmp(path, "-") ? path : "<stdin>";
    Compiler c;
    compiler_init(&c, shown, src, len, stderr);
    int status = 0;
    if (emit == EMIT_TOKENS) {
        dump_tokens(&c, stdout);
        status = diag_errors(c.diag) ? EXIT_PROGRAM : 0;
        goto done;
    }
    if (!parse_program(&c)) {
        status = EXIT_PROGRAM;
        goto done;
    }
    if (emit == EMIT_AST) {
        ast_dump(stdout, &c.prog, c.diag);
        goto done;
    }
    Sema sm;
    if (!sema_check(&c, &sm)) {
        status = EXIT_PROGRAM;
        goto done;
    }
    IrProgram *ir = ir_lower(&c, &sm);
    if (emit == EMIT_IR) {
        ir_print(stdout, ir);
        goto done;
    }
    if (emit == EMIT_C) {
        cgen_program(stdout, &c, ir);
        goto done;
    }
    if (emit == EMIT_H) {
        cgen_header(stdout, &c, ir);
        goto done;
    }
    /* the KOMon probe's settings and port (docs/komon.md) */
    KomonConfig kc;
    bool has_komon;
    bool komon_ok = komon_config_of(&c, ir, &kc, &has_komon, true);
    if (!komon_ok) {
        komon_config_clear(&kc);
        status = EXIT_PROGRAM;
        goto done;
    }
    if ((emit == EMIT_KOMON || target == TARGET_KOMON) && !has_komon) {
        fprintf(stderr, "equeryc: error: %s: no query reads KOMon samples (proc_time, sock_buf): there is no probe to "
                        "configure\n",
                shown);
        komon_config_clear(&kc);
        status = EXIT_PROGRAM;
        goto done;
    }
    if (emit == EMIT_KOMON) {
        char kerr[256];
        diag_flush(c.diag);
        if (!komon_config_print(stdout, &kc, kerr, sizeof kerr)) {
            fprintf(stderr, "equeryc: error: %s\n", kerr);
            status = EXIT_PROGRAM;
        }
        komon_config_clear(&kc);
        goto done;
    }
    komon_config_clear(&kc);
    /* what the eBPF backend cannot run is an error in the program */
    if ((target == TARGET_EBPF || emit == EMIT_BPF) && !ebpf_check(&c, ir)) {
        status = EXIT_PROGRAM;
        goto done;
    }
    if (emit == EMIT_BPF) {
        ebpf_program(stdout, &c, ir);
        goto done;
    }
    /* the DPDK engine runs the C bundle: every query must be one it can feed */
    if (target == TARGET_DPDK) {
        for (int i = 0; i < ir->nqueries; i++) {
            const IrQuery *q = ir->queries[i];
            if (!(q->backends & B_DPDK)) {
                diag_error(c.diag, (Span){q->span.lo, q->span.lo + 5 + (uint32_t)strlen(q->name) + 1},
                           "query '%s' cannot run on the DPDK engine: it reads KOMon samples (proc_time, "
                           "sock_buf), which only the KOMon probe provides",
                           q->name);
                status = EXIT_PROGRAM;
            }
        }
        if (status)
            goto done;
    }
    if (check_only && export_ipfix)
        ipfix_check(&c, ir, (uint32_t)pen, stderr);
    if (check_only)
        goto done;
    char *dir = outdir ? strdup(outdir) : NULL;
    if (!outdir && !strcmp(path, "-")) {
        fprintf(stderr, "equeryc: error: a program read from standard input needs -o OUTDIR\n");
        status = EXIT_USAGE;
        goto done;
    }
    if (!dir)
        dir = bundle_default_dir(path);
    char err[512];
    diag_flush(c.diag); /* the program's warnings come before what follows */
    if (!bundle_write_target(&c, ir, dir, "equeryc " EQUERY_VERSION,
                             target == TARGET_EBPF ? BUNDLE_TARGET_EBPF : BUNDLE_TARGET_C, err, sizeof err)) {
        fprintf(stderr, "equeryc: error: %s\n", err);
        status = EXIT_USAGE;
    }
    free(dir);
done:
    compiler_free(&c);
    free(src);
    return status;
}
