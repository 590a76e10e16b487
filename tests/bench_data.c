/* bench_data.c — data-layer throughput: CSV parse, vocabulary fit, featurization (words + bigrams,
 * + char n-grams, + tf-idf), the whole tml_features_fit, and dataset-cache write/reload against
 * re-parsing. Usage: bench_data [FILE.csv TEXT_COL LABEL_COL] (default: ~200k generated tickets
 * mixing English, numbers, URLs, e-mails and Chinese). Prints one table. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "data/dataset.h"
#include "data/table.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static const char *const EN[] = {
    "my", "card", "was", "charged", "twice", "please", "refund", "the", "order", "I", "can't", "log", "in", "to",
    "account", "password", "reset", "not", "working", "app", "crashes", "when", "open", "it", "delivery", "late",
    "again", "where", "is", "parcel", "cancel", "subscription", "upgrade", "plan", "billing", "invoice", "wrong",
    "address", "change", "phone", "number", "transfer", "pending", "since", "yesterday", "help", "urgent", "thanks",
    "support", "agent", "waiting", "for", "hours", "terrible", "service", "great", "fast", "slow", "broken",
    "screen", "battery", "replacement", "warranty", "store", "online", "payment", "failed", "declined", "bank",
    "fee", "interest", "statement", "limit", "increase", "loan", "mortgage", "branch", "closed", "email", "sent"};
static const char *const ZH[] = {"退款", "订单", "送餐", "很快", "味道", "不错", "客服", "态度", "太差", "快递",
                                 "没有", "收到", "账户", "登录", "失败", "密码", "重置", "谢谢"};
static const char *const LABELS[] = {"billing", "refund", "login", "delivery", "cancel", "upgrade", "card", "other"};

/* Writes n generated tickets as CSV (id,text,label); returns the file size. */
static long generate(const char *path, int n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    fprintf(f, "id,text,label\n");
    for (int i = 0; i < n; i++) {
        fprintf(f, "T%07d,\"", i);
        int words = 8 + (int)rnd(25);
        int zh = rnd(10) == 0;
        for (int w = 0; w < words; w++) {
            if (w) fputc(zh && rnd(2) ? ',' : ' ', f);
            uint32_t k = rnd(100);
            if (zh) fputs(ZH[rnd(sizeof ZH / sizeof ZH[0])], f);
            else if (k < 2) fprintf(f, "https://help.example.com/t/%u", rnd(100000));
            else if (k < 3) fprintf(f, "user%u@mail.example.org", rnd(10000));
            else if (k < 7) fprintf(f, "%u", rnd(1000000));
            else if (k < 8) fprintf(f, "@agent%u", rnd(500));
            else fputs(EN[rnd(sizeof EN / sizeof EN[0])], f);
        }
        fprintf(f, "\",%s\n", LABELS[rnd(sizeof LABELS / sizeof LABELS[0])]);
    }
    long size = ftell(f);
    fclose(f);
    return size;
}

typedef struct Row {
    const char *stage;
    double secs;
    double mb, rows;
    const char *note;
} Row;

static Row rows_out[16];
static int n_out;
static void add(const char *stage, double secs, double mb, double rows, const char *note) {
    rows_out[n_out++] = (Row){stage, secs, mb, rows, note};
}

static double featurize(const TmlTextConfig *c, const char *const *texts, int64_t n, int64_t *nnz) {
    TmlError err = {{0}};
    TmlTextFeaturizer *f = tml_textfeat_new(c);
    if (tml_textfeat_fit(f, texts, n, &err)) {
        fprintf(stderr, "fit: %s\n", err.msg);
        exit(1);
    }
    int64_t *off;
    int32_t *ids;
    float *w;
    double t0 = now_s();
    if (tml_textfeat_transform(f, texts, n, &off, &ids, &w, &err)) {
        fprintf(stderr, "transform: %s\n", err.msg);
        exit(1);
    }
    double dt = now_s() - t0;
    *nnz = off[n];
    free(off), free(ids), free(w);
    tml_textfeat_free(f);
    return dt;
}

int main(int argc, char **argv) {
    char path[512], cache[512], ini[1024];
    const char *text_col = "text", *label_col = "label";
    int generated = 0;
    if (argc >= 2) {
        snprintf(path, sizeof path, "%s", argv[1]);
        if (argc >= 3) text_col = argv[2];
        if (argc >= 4) label_col = argv[3];
    } else {
        snprintf(path, sizeof path, "/tmp/bench_data_%d.csv", (int)getpid());
        fprintf(stderr, "bench_data: generating 200000 tickets into %s\n", path);
        if (generate(path, 200000) < 0) {
            fprintf(stderr, "bench_data: cannot write %s\n", path);
            return 1;
        }
        generated = 1;
    }
    snprintf(cache, sizeof cache, "/tmp/bench_data_%d.h5", (int)getpid());
    struct stat st;
    if (stat(path, &st)) {
        fprintf(stderr, "bench_data: %s not found\n", path);
        return 1;
    }
    double mb = (double)st.st_size / 1e6;
    TmlError err = {{0}};

    double t0 = now_s();
    TmlTable *t = tml_table_read(path, TML_FORMAT_AUTO, &err);
    if (!t) {
        fprintf(stderr, "bench_data: %s\n", err.msg);
        return 1;
    }
    double t_parse = now_s() - t0;
    int64_t n = t->n_rows;
    add("parse CSV (tml_table_read)", t_parse, mb, (double)n, "");
    int tc = tml_table_col(t, text_col, &err);
    if (tc < 0) {
        fprintf(stderr, "bench_data: %s\n", err.msg);
        return 1;
    }
    const char **texts = (const char **)malloc((size_t)n * sizeof *texts);
    double text_mb = 0;
    for (int64_t i = 0; i < n; i++) {
        texts[i] = tml_table_cell(t, i, tc);
        text_mb += (double)strlen(texts[i]);
    }
    text_mb /= 1e6;

    TmlTextConfig c;
    tml_textfeat_config_default(&c);
    {
        TmlTextFeaturizer *f = tml_textfeat_new(&c);
        t0 = now_s();
        if (tml_textfeat_fit(f, texts, n, &err)) {
            fprintf(stderr, "fit: %s\n", err.msg);
            return 1;
        }
        add("fit vocabulary", now_s() - t0, text_mb, (double)n, "");
        tml_textfeat_free(f);
    }
    static char notes[4][64];
    int64_t nnz;
    double dt = featurize(&c, texts, n, &nnz);
    snprintf(notes[0], sizeof notes[0], "%.1f ids/row", (double)nnz / (double)n);
    add("featurize words+bigrams", dt, text_mb, (double)n, notes[0]);
    c.minn = 3;
    c.maxn = 6;
    dt = featurize(&c, texts, n, &nnz);
    snprintf(notes[1], sizeof notes[1], "%.1f ids/row", (double)nnz / (double)n);
    add("featurize +char 3-6", dt, text_mb, (double)n, notes[1]);
    c.minn = c.maxn = 0;
    c.tfidf = 1;
    dt = featurize(&c, texts, n, &nnz);
    snprintf(notes[2], sizeof notes[2], "%.1f ids/row", (double)nnz / (double)n);
    add("featurize +tfidf", dt, text_mb, (double)n, notes[2]);
    free(texts);
    tml_table_free(t);

    /* end to end: config -> train/valid, then the cache */
    snprintf(ini, sizeof ini, "[data]\ntrain = %s\ntext = %s\nlabel = %s\nvalid_frac = 0.1\n", path, text_col,
             label_col);
    TmlConfig *cfg = tml_config_parse(ini, "bench.ini", &err);
    TmlFeatures *f;
    TmlDataset *tr, *va, *te;
    t0 = now_s();
    if (!cfg || tml_features_fit(cfg, &f, &tr, &va, &te, &err)) {
        fprintf(stderr, "bench_data: %s\n", err.msg);
        return 1;
    }
    double t_fit = now_s() - t0;
    add("tml_features_fit (parse+fit+featurize)", t_fit, mb, (double)n, "");
    t0 = now_s();
    if (tml_cache_write(cache, cfg, f, tr, va, te, &err)) {
        fprintf(stderr, "bench_data: %s\n", err.msg);
        return 1;
    }
    double t_w = now_s() - t0;
    stat(cache, &st);
    snprintf(notes[3], sizeof notes[3], "%.1f MB file", (double)st.st_size / 1e6);
    add("cache write", t_w, mb, (double)n, notes[3]);
    tml_dataset_free(tr), tml_dataset_free(va), tml_dataset_free(te);
    tml_features_free(f);
    t0 = now_s();
    int rc = tml_cache_read(cache, cfg, &f, &tr, &va, &te, &err);
    double t_r = now_s() - t0;
    if (rc != 1) {
        fprintf(stderr, "bench_data: cache read %d: %s\n", rc, err.msg);
        return 1;
    }
    static char speed[64];
    snprintf(speed, sizeof speed, "%.1fx faster than re-parsing", t_fit / t_r);
    add("cache reload", t_r, mb, (double)n, speed);
    tml_dataset_free(tr), tml_dataset_free(va), tml_dataset_free(te);
    tml_features_free(f);
    tml_config_free(cfg);

    printf("bench_data: %s, %lld rows, %.1f MB (%.1f MB of text)\n", path, (long long)n, mb, text_mb);
    printf("%-40s %9s %9s %11s  %s\n", "stage", "seconds", "MB/s", "rows/s", "");
    for (int i = 0; i < n_out; i++)
        printf("%-40s %9.3f %9.1f %11.0f  %s\n", rows_out[i].stage, rows_out[i].secs, rows_out[i].mb / rows_out[i].secs,
               rows_out[i].rows / rows_out[i].secs, rows_out[i].note);
    unlink(cache);
    if (generated) unlink(path);
    return 0;
}
