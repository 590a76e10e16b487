/* config.c — INI configs through inih, flattened to "section.key" entries that remember their line,
 * so every later complaint (bad type, unknown key) names file:line. inih does not report line
 * numbers to handlers in the packaged build, so a small line-counting reader feeds it. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/config.h"

/* inih's packaged line buffer; longer lines would be cut silently, so they are refused instead. */
#define CONFIG_MAX_LINE 200

typedef struct ConfigParse {
    TmlConfig *cfg;
    const char *text;  /* remaining input */
    int line;          /* line most recently handed to inih */
    int long_line;     /* first line longer than the buffer, 0 if none */
    int bad_line;      /* line the handler rejected */
    char bad_msg[900];
} ConfigParse;

/* fgets() over the in-memory text, counting lines. The limit is on a line's content: its '\n' is
 * dropped when the content alone fills the buffer (inih needs no newline), so a line of num - 1
 * characters reads the same with or without one; it counted against the limit before, and the
 * last line of a file, written back with its newline, became too long (a fuzz finding). */
static char *config_reader(char *str, int num, void *stream) {
    ConfigParse *p = stream;
    if (!*p->text) return NULL;
    const char *nl = strchr(p->text, '\n');
    size_t len = nl ? (size_t)(nl - p->text) + 1 : strlen(p->text);
    size_t content = nl ? len - 1 : len;
    p->line++;
    size_t keep = len;
    if (content > (size_t)num - 1) {
        keep = (size_t)num - 1;
        if (!p->long_line) p->long_line = p->line;
    } else if (keep > (size_t)num - 1) {
        keep = content;
    }
    memcpy(str, p->text, keep);
    str[keep] = 0;
    p->text += len;
    return str;
}

static int config_find(const TmlConfig *c, const char *key) {
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->entries[i].key, key) == 0) return i;
    return -1;
}

static int config_add(TmlConfig *c, const char *key, const char *value, int line) {
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 32;
        TmlConfigEntry *ne = realloc(c->entries, (size_t)cap * sizeof *ne);
        if (!ne) return -1;
        c->entries = ne;
        c->cap = cap;
    }
    TmlConfigEntry *e = &c->entries[c->n];
    e->key = strdup(key);
    e->value = strdup(value);
    e->line = line;
    if (!e->key || !e->value) {
        free(e->key);
        free(e->value);
        return -1;
    }
    c->n++;
    return 0;
}

/* Section and key names are words (letters, digits, '_', '-'; a key may also hold '.'): model files
 * store the config as text and parse it again, and a name with a '.', a ';' or spaces in it would
 * not read back the same (found by fuzzing). */
static int plain_name(const char *s, int allow_dot) {
    if (!*s) return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-' || (allow_dot && *s == '.'))) return 0;
    return 1;
}

static int config_handler(void *user, const char *section, const char *name, const char *value) {
    ConfigParse *p = user;
    char key[256];
    if (*section)
        snprintf(key, sizeof key, "%s.%s", section, name);
    else
        snprintf(key, sizeof key, "%s", name);
    if (p->bad_line) return 0; /* report the first problem only */
    int i = config_find(p->cfg, key);
    if (i >= 0) {
        p->bad_line = p->line;
        snprintf(p->bad_msg, sizeof p->bad_msg,
                 "%s is set twice (lines %d and %d); keep one (an indented line continues the previous value, so "
                 "don't indent keys)", key, p->cfg->entries[i].line, p->line);
        return 0;
    }
    if (!*section) {
        p->bad_line = p->line;
        snprintf(p->bad_msg, sizeof p->bad_msg, "key \"%s\" is outside any section; put it under a [section] header",
                 name);
        return 0;
    }
    /* inih keeps 49 characters of a name for the indented line that may follow it: after a longer
     * name, that line became a key of its own, named by the cut name (a fuzz finding) */
    if (strlen(name) > 48) {
        p->bad_line = p->line;
        snprintf(p->bad_msg, sizeof p->bad_msg, "the key name \"%.60s...\" is longer than 48 characters; no key "
                 "is that long (see docs/config.md)", name);
        return 0;
    }
    if (!plain_name(section, 0) || !plain_name(name, 1)) {
        p->bad_line = p->line;
        if (!*name)
            snprintf(p->bad_msg, sizeof p->bad_msg, "a key name is missing before '='; write key = value");
        else
            snprintf(p->bad_msg, sizeof p->bad_msg,
                     "[%.60s] %.60s: section and key names are words of letters, digits, '_' and '-', like "
                     "[train] epochs",
                     section, name);
        return 0;
    }
    if (config_add(p->cfg, key, value, p->line) < 0) {
        p->bad_line = p->line;
        snprintf(p->bad_msg, sizeof p->bad_msg, "out of memory");
        return 0;
    }
    return 1;
}

TmlConfig *tml_config_parse(const char *text, const char *name, TmlError *err) {
    TmlConfig *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(name))) {
        free(c);
        return tml_fail(err, "%s: out of memory", name), NULL;
    }
    ConfigParse p = {.cfg = c, .text = text};
    int rc = ini_parse_stream(config_reader, &p, config_handler, &p);
    if (p.long_line && (rc == 0 || p.long_line <= rc)) {
        tml_fail(err, "%s:%d: line longer than %d characters; shorten it (e.g. a shorter path or ${TICKETML_DATA})",
                 name, p.long_line, CONFIG_MAX_LINE - 1);
        goto fail;
    }
    if (rc != 0) {
        if (p.bad_line && p.bad_line == rc)
            tml_fail(err, "%s:%d: %s", name, rc, p.bad_msg);
        else if (rc > 0)
            tml_fail(err, "%s:%d: not an INI line; write `[section]`, `key = value` or a `;` comment", name, rc);
        else
            tml_fail(err, "%s: could not parse (error %d)", name, rc);
        goto fail;
    }
    return c;
fail:
    tml_config_free(c);
    return NULL;
}

TmlConfig *tml_config_load(const char *path, TmlError *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return tml_fail(err, "%s: cannot open config: %s", path, strerror(errno)), NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf) return tml_fail(err, "%s: out of memory", path), NULL;
    if (bad) {
        free(buf);
        return tml_fail(err, "%s: read error", path), NULL;
    }
    buf[n] = 0;
    if (strlen(buf) != n) {
        free(buf);
        return tml_fail(err, "%s: NUL byte in the config; save it as plain UTF-8 text", path), NULL;
    }
    TmlConfig *c = tml_config_parse(buf, path, err);
    free(buf);
    return c;
}

void tml_config_free(TmlConfig *c) {
    if (!c) return;
    for (int i = 0; i < c->n; i++) {
        free(c->entries[i].key);
        free(c->entries[i].value);
    }
    free(c->entries);
    free(c->path);
    free(c);
}

/* Copies s[0..n) without surrounding blanks into a malloc'd string. */
static char *strip_dup(const char *s, size_t n) {
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

int tml_config_set(TmlConfig *c, const char *assignment, TmlError *err) {
    const char *eq = strchr(assignment, '=');
    if (!eq)
        return tml_fail(err, "--set %s: expected section.key=value, e.g. --set train.epochs=10", assignment);
    char *key = strip_dup(assignment, (size_t)(eq - assignment));
    char *value = strip_dup(eq + 1, strlen(eq + 1));
    int rc = 0;
    if (!key || !value) {
        rc = tml_fail(err, "--set %s: out of memory", assignment);
        goto done;
    }
    const char *dot = strchr(key, '.');
    if (!dot || dot == key || !dot[1]) {
        rc = tml_fail(err, "--set %s: the key must be section.key, e.g. --set train.epochs=10", assignment);
        goto done;
    }
    /* the config is saved in model files as INI text and read back line by line: an override must
     * fit in one line of it, as a key in the file must */
    char section[256];
    snprintf(section, sizeof section, "%.*s", (int)(dot - key), key);
    if (!plain_name(section, 0) || !plain_name(dot + 1, 1) || strpbrk(value, "\r\n")) {
        rc = tml_fail(err, "--set %s: section and key names are words of letters, digits, '_' and '-' (e.g. "
                           "--set train.epochs=10), and a value holds no line break", assignment);
        goto done;
    }
    if (strlen(section) > 48 || strlen(dot + 1) > 48) { /* inih cuts longer names (see config_handler) */
        rc = tml_fail(err, "--set %s: a section or key name is longer than 48 characters; no key is that long "
                           "(see docs/config.md)", assignment);
        goto done;
    }
    /* written back as "key = value" */
    if (strlen(dot + 1) + strlen(value) + 3 > CONFIG_MAX_LINE - 1) {
        rc = tml_fail(err, "--set %s: longer than a config line may be (%d characters); shorten it (e.g. a path "
                           "through ${TICKETML_DATA})", assignment, CONFIG_MAX_LINE - 1);
        goto done;
    }
    int i = config_find(c, key);
    if (i >= 0) {
        free(c->entries[i].value);
        c->entries[i].value = value;
        c->entries[i].line = 0;
        value = NULL;
    } else if (config_add(c, key, value, 0) < 0) {
        rc = tml_fail(err, "--set %s: out of memory", assignment);
    }
done:
    free(key);
    free(value);
    return rc;
}

static const TmlConfigEntry *config_entry(const TmlConfig *c, const char *key) {
    int i = config_find(c, key);
    return i < 0 ? NULL : &c->entries[i];
}

const char *tml_config_str(const TmlConfig *c, const char *key, const char *def) {
    const TmlConfigEntry *e = config_entry(c, key);
    return e ? e->value : def;
}

/* "file:line: key = "value"" or "--set key=value" for messages. */
static void config_where(const TmlConfig *c, const TmlConfigEntry *e, char *buf, size_t n) {
    if (e->line > 0)
        snprintf(buf, n, "%s:%d: %s = \"%s\"", c->path, e->line, e->key, e->value);
    else
        snprintf(buf, n, "--set %s=%s", e->key, e->value);
}

void tml_config_where(const TmlConfig *c, const char *key, char *buf, size_t n) {
    const TmlConfigEntry *e = config_entry(c, key);
    if (e) config_where(c, e, buf, n);
    else snprintf(buf, n, "%s (default)", key);
}

int tml_config_int(const TmlConfig *c, const char *key, int64_t def, int64_t *out, TmlError *err) {
    const TmlConfigEntry *e = config_entry(c, key);
    if (!e) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(e->value, &end, 10);
    while (isspace((unsigned char)*end)) end++;
    if (end == e->value || *end || errno == ERANGE) {
        char where[600];
        config_where(c, e, where, sizeof where);
        return tml_fail(err, "%s is not an integer; write a whole number, e.g. %s = %lld", where, key, (long long)def);
    }
    *out = v;
    return 0;
}

int tml_config_double(const TmlConfig *c, const char *key, double def, double *out, TmlError *err) {
    const TmlConfigEntry *e = config_entry(c, key);
    if (!e) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(e->value, &end);
    while (isspace((unsigned char)*end)) end++;
    if (end == e->value || *end || !isfinite(v) || errno == ERANGE) {
        char where[600];
        config_where(c, e, where, sizeof where);
        return tml_fail(err, "%s is not a finite number; write e.g. %s = %g", where, key, def);
    }
    *out = v;
    return 0;
}

int tml_config_bool(const TmlConfig *c, const char *key, int def, int *out, TmlError *err) {
    const TmlConfigEntry *e = config_entry(c, key);
    if (!e) {
        *out = def;
        return 0;
    }
    static const char *const yes[] = {"1", "true", "yes", "on"}, *const no[] = {"0", "false", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(e->value, yes[i]) == 0) return *out = 1, 0;
        if (strcasecmp(e->value, no[i]) == 0) return *out = 0, 0;
    }
    char where[600];
    config_where(c, e, where, sizeof where);
    return tml_fail(err, "%s is not a boolean; write true or false (also yes/no, on/off, 1/0)", where);
}

/* Levenshtein distance, for "did you mean". */
static int edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    int *row = malloc((lb + 1) * sizeof *row);
    if (!row) return 1 << 20;
    for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    int d = row[lb];
    free(row);
    return d;
}

static int key_known(const char *key, const char *const *known) {
    for (int i = 0; known[i]; i++) {
        size_t n = strlen(known[i]);
        if (n >= 2 && strcmp(known[i] + n - 2, ".*") == 0) {
            if (strncmp(key, known[i], n - 1) == 0) return 1; /* "section." prefix */
        } else if (strcmp(key, known[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

int tml_config_choice(const TmlConfig *cfg, const char *key, const char *def, const char *const *names, int n,
                      TmlError *err) {
    const char *v = tml_config_str(cfg, key, def);
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i])) return i;
    char opts[256] = "", where[600];
    for (int i = 0; i < n; i++) {
        strncat(opts, names[i], sizeof opts - strlen(opts) - 1);
        if (i + 1 < n) strncat(opts, " | ", sizeof opts - strlen(opts) - 1);
    }
    tml_config_where(cfg, key, where, sizeof where);
    return tml_fail(err, "%s is not one of: %s", where, opts);
}

int tml_config_check_keys(const TmlConfig *c, const char *const *known, TmlError *err) {
    for (int i = 0; i < c->n; i++) {
        const TmlConfigEntry *e = &c->entries[i];
        if (key_known(e->key, known)) continue;
        char where[600];
        if (e->line > 0)
            snprintf(where, sizeof where, "%s:%d", c->path, e->line);
        else
            snprintf(where, sizeof where, "--set %s", e->key);
        const char *best = NULL;
        int best_d = 1 << 20;
        for (int k = 0; known[k]; k++) {
            int d = edit_distance(e->key, known[k]);
            if (d < best_d) best_d = d, best = known[k];
        }
        size_t len = strlen(e->key);
        int limit = len / 3 > 2 ? (int)(len / 3) : 2;
        if (best && best_d <= limit)
            return tml_fail(err, "%s: unknown key \"%s\"; did you mean \"%s\"?", where, e->key, best);
        /* nothing close: list the keys of the same section, or all of them */
        const char *dot = strchr(e->key, '.');
        size_t sec = dot ? (size_t)(dot - e->key) + 1 : 0;
        char list[400];
        size_t n = 0;
        list[0] = 0;
        for (int pass = 0; pass < 2 && n == 0; pass++)
            for (int k = 0; known[k] && n + 40 < sizeof list; k++)
                if (pass == 1 || (sec && strncmp(known[k], e->key, sec) == 0))
                    n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", known[k]);
        return tml_fail(err, "%s: unknown key \"%s\"; known keys: %s", where, e->key, list);
    }
    return 0;
}

char *tml_config_to_string(const TmlConfig *c) {
    size_t cap = 256, n = 0;
    for (int i = 0; i < c->n; i++) cap += strlen(c->entries[i].key) * 2 + strlen(c->entries[i].value) + 16;
    char *out = malloc(cap);
    char *done = calloc((size_t)c->n + 1, 1);
    if (!out || !done) {
        free(out);
        free(done);
        return NULL;
    }
    out[0] = 0;
    for (int i = 0; i < c->n; i++) {
        if (done[i]) continue;
        const char *key = c->entries[i].key;
        const char *dot = strchr(key, '.');
        size_t sl = dot ? (size_t)(dot - key) : 0;
        n += (size_t)snprintf(out + n, cap - n, "%s[%.*s]\n", n ? "\n" : "", (int)sl, key);
        for (int j = i; j < c->n; j++) {
            const char *kj = c->entries[j].key;
            const char *dj = strchr(kj, '.');
            if (done[j] || !dj || (size_t)(dj - kj) != sl || strncmp(kj, key, sl) != 0) continue;
            /* "k = ;v" would read back as a comment: a value that starts with ';' follows '=' directly */
            const char *v = c->entries[j].value;
            n += (size_t)snprintf(out + n, cap - n, "%s =%s%s\n", dj + 1, v[0] == ';' ? "" : " ", v);
            done[j] = 1;
        }
    }
    free(done);
    return out;
}
