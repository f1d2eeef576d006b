/* test_prom.c - prom.c's output, exactly: HELP and TYPE once per family
 * and for every family, label values escaped (backslash, double quote,
 * newline), histograms as cumulative buckets with +Inf, _sum and _count,
 * a value on a bucket's bound counted in that bucket; and misuse (a wrong
 * number of label values, a family's samples split) reported by
 * prom_end, the bad sample left out. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"

static unsigned failed;

/* Fails when `want` is not in `text` (or is, when `present` is false). */
static void expect(const char *text, const char *want, int present, const char *what)
{
    if ((strstr(text, want) != NULL) != present) {
        failed++;
        fprintf(stderr, "FAIL %s: %s %s\n--- output:\n%s\n", what, present ? "missing" : "unexpected", want, text);
    }
}

static unsigned count(const char *text, const char *what)
{
    unsigned n = 0;
    for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

static void missing_label(PromOut *o) { prom_u64(o, PM_HTTP, PROM_LV("1"), 1); }

static void split_family(PromOut *o)
{
    prom_u64(o, PM_HTTP, PROM_LV("1", "200"), 1);
    prom_u64(o, PM_DEPLOYED, PROM_LV("1"), 1);
    prom_u64(o, PM_HTTP, PROM_LV("1", "404"), 1);
}

/* A misuse: prom_end reports it, and the bad sample (`absent`) is left out. */
static void misuse(void (*use)(PromOut *), const char *what, const char *absent)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    PromOut o;
    prom_begin(&o, f, 0, PM_SRV_FIRST);
    use(&o);
    bool ok = prom_end(&o);
    fclose(f);
    if (ok) {
        failed++;
        fprintf(stderr, "FAIL %s is not reported\n", what);
    }
    expect(text, absent, 0, what);
    free(text);
}

int main(void)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    PromOut o;
    prom_begin(&o, f, 0, PM_SRV_FIRST);
    prom_u64(&o, PM_DEPLOYED, PROM_LV("1"), 18446744073709551615u);
    prom_u64(&o, PM_HTTP, PROM_LV("1", "200"), 3);
    prom_u64(&o, PM_HTTP, PROM_LV("1", "a\"b\\c\nd"), 4);
    PromLatency h = {0};
    prom_latency_add(&h, 0.0001); /* on the first bound: in its bucket */
    prom_latency_add(&h, 0.003);
    prom_latency_add(&h, 20);
    prom_hist(&o, PM_BARRIER, PROM_LV("1"), &h);
    prom_f64(&o, PM_UPTIME, PROM_LV("1"), 1.5);
    int ok = prom_end(&o);
    fclose(f);
    if (!ok) {
        failed++;
        fprintf(stderr, "FAIL prom_end reports misuse of a correct use\n");
    }
    expect(text, "# HELP equery_box_deployed_total Programs deployed on the box since it started.\n"
                 "# TYPE equery_box_deployed_total counter\n"
                 "equery_box_deployed_total{box=\"1\"} 18446744073709551615\n", 1, "a counter");
    expect(text, "equery_box_http_requests_total{box=\"1\",code=\"200\"} 3\n"
                 "equery_box_http_requests_total{box=\"1\",code=\"a\\\"b\\\\c\\nd\"} 4\n", 1, "escaped label values");
    expect(text, "equery_box_barrier_wait_seconds_bucket{box=\"1\",le=\"0.0001\"} 1\n"
                 "equery_box_barrier_wait_seconds_bucket{box=\"1\",le=\"0.00025\"} 1\n", 1, "the first buckets");
    expect(text, "equery_box_barrier_wait_seconds_bucket{box=\"1\",le=\"0.0025\"} 1\n"
                 "equery_box_barrier_wait_seconds_bucket{box=\"1\",le=\"0.005\"} 2\n", 1, "cumulative buckets");
    expect(text, "equery_box_barrier_wait_seconds_bucket{box=\"1\",le=\"10\"} 2\n"
                 "equery_box_barrier_wait_seconds_bucket{box=\"1\",le=\"+Inf\"} 3\n"
                 "equery_box_barrier_wait_seconds_sum{box=\"1\"} 20.0031\n"
                 "equery_box_barrier_wait_seconds_count{box=\"1\"} 3\n", 1, "+Inf, _sum, _count");
    expect(text, "equery_box_uptime_seconds{box=\"1\"} 1.5\n", 1, "a gauge");
    if (count(text, "# TYPE ") != PM_SRV_FIRST || count(text, "# HELP ") != PM_SRV_FIRST ||
        count(text, "# TYPE equery_box_http_requests_total ") != 1) {
        failed++;
        fprintf(stderr, "FAIL every family's HELP and TYPE once: %u TYPE, %u HELP, %d families\n",
                count(text, "# TYPE "), count(text, "# HELP "), PM_SRV_FIRST);
    }
    free(text);

    misuse(missing_label, "a wrong number of label values", "equery_box_http_requests_total{");
    misuse(split_family, "a family split in two", "code=\"404\"");

    printf("test_prom: %s\n", failed ? "FAILED" : "ok");
    return failed ? 1 : 0;
}
