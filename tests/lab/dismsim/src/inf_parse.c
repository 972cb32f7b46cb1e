/*
 * A small, explicit parser for driver INF files (the part of SetupAPI's INF
 * syntax DISM's driver servicing reads).
 *
 * Encoding: UTF-16LE with a BOM (FF FE), UTF-8 with or without a BOM (plain
 * ASCII/ANSI INFs are read as UTF-8).
 *
 * Syntax, per logical line (a trailing `\` joins the next physical line):
 *   [Section name]              a section header; sections with the same name merge
 *   key = field, field, ...     an entry; the key is everything before the first unquoted `=`
 *   field, field, ...           an entry without a key
 *   ; comment                   outside quotes, to the end of the line
 *   "quoted, text"              commas, `=` and `;` are literal; "" is one quote
 * Unquoted fields are trimmed.  %name% is replaced by the [Strings] value of
 * `name` (keys compare case-insensitively; the values may be quoted); `%%` is
 * one `%`; an unknown name is left as written.  Language sections
 * ([Strings.0409], ...) are used only when there is no [Strings].
 *
 * What is read for DISM (inf_parse fills a lab_inf):
 *   [Version]       Signature ($Windows NT$ / $Chicago$), Class, ClassGuid, Provider,
 *                   DriverVer = MM/DD/YYYY[,a.b.c.d], CatalogFile, CatalogFile.NTamd64/.NTx86
 *   [Manufacturer]  name = models-section[, TargetOS decoration...]  (NTamd64, NTx86, ...)
 *   models          description = install-section, hardware-id[, compatible-id...]
 *   install         <section>[.NTamd64|.NTx86|.NT].Services: AddService = name, flags, service-section;
 *                   the service section's StartType 0 (SERVICE_BOOT_START) marks a boot-start driver
 *   [SourceDisksFiles], [SourceDisksFiles.amd64|.x86]  the files a package stages
 *
 * Errors (HRESULT_FROM_SETUPAPI values; the message names the file and the line):
 *   SPAPI_E_WRONG_INF_STYLE 0x800F0100  no [Version] section, or no valid Signature
 *   SPAPI_E_GENERAL_SYNTAX  0x800F0003  unbalanced quotes or brackets, a DriverVer that is
 *                                       missing or not MM/DD/YYYY[,a.b.c.d], no Class or ClassGuid
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "lab.h"
#include "model_state.h"

typedef struct inf_line {
    char *key;               /* NULL for an entry without `=` */
    char **fields;
    size_t nfields;
    size_t lineno;
} inf_line;

typedef struct inf_section {
    char *name;
    size_t lineno;
    inf_line *lines;
    size_t n;
} inf_section;

typedef struct inf_doc {
    const char *win;         /* for messages */
    inf_section *secs;
    size_t n;
} inf_doc;

static HRESULT syntax(const inf_doc *d, size_t lineno, const char *what)
{
    return lab_fail(LAB_E_INF_SYNTAX, "The INF file %s is malformed at line %zu: %s.", d->win, lineno, what);
}

/* ---- reading the bytes ---- */

static char *read_text(const char *lab, const char *win, HRESULT *hr)
{
    FILE *f = fopen(lab, "rb");
    if (!f) {
        *hr = errno == ENOENT ? image_missing(lab, win) : lab_fail(lab_hr_from_errno(errno), "(%s)", win);
        return NULL;
    }
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap + 2);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *grown = realloc(buf, cap * 2 + 2);
            if (!grown) {
                free(buf);
                buf = NULL;
            }
            buf = grown;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        *hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
        return NULL;
    }
    buf[n] = buf[n + 1] = 0;
    if (n >= 2 && buf[0] == 0xFF && buf[1] == 0xFE) {
        size_t units = (n - 2) / 2;
        WCHAR *w = malloc((units + 1) * sizeof(WCHAR));
        char *out = NULL;
        if (w) {
            for (size_t i = 0; i < units; i++)
                w[i] = (WCHAR)(buf[2 + 2 * i] | (buf[3 + 2 * i] << 8));
            w[units] = 0;
            out = u16_to_utf8(w);
        }
        free(w);
        free(buf);
        if (!out)
            *hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
        return out;
    }
    if (n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
        memmove(buf, buf + 3, n - 3 + 1);
    return (char *)buf;
}

/* ---- tokenizing ---- */

typedef struct sbuf {
    char *p;
    size_t len, cap, sig;    /* sig: length up to the last significant character */
} sbuf;

static int sb_put(sbuf *b, char c, int significant)
{
    if (!significant && b->sig == 0 && b->len == 0)
        return 0;            /* leading unquoted blanks */
    if (b->len + 2 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    b->p[b->len++] = c;
    if (significant)
        b->sig = b->len;
    return 0;
}

static char *sb_take(sbuf *b)
{
    char *s = b->p ? b->p : malloc(1);
    if (s)
        s[b->p ? b->sig : 0] = '\0';
    b->p = NULL;
    b->len = b->cap = b->sig = 0;
    return s;
}

static int push_field(inf_line *l, char *s)
{
    char **grown = realloc(l->fields, (l->nfields + 1) * sizeof(char *));
    if (!grown || !s) {
        free(s);
        return -1;
    }
    l->fields = grown;
    l->fields[l->nfields++] = s;
    return 0;
}

static void free_line(inf_line *l)
{
    free(l->key);
    for (size_t i = 0; i < l->nfields; i++)
        free(l->fields[i]);
    free(l->fields);
}

/* One logical line of a section body -> key and fields; *empty for a blank line. */
static HRESULT tokenize(const inf_doc *d, const char *text, size_t lineno, inf_line *out, int *empty)
{
    memset(out, 0, sizeof(*out));
    out->lineno = lineno;
    sbuf b = { 0 };
    int quoted = 0, any = 0, have_key = 0, oom = 0;
    const char *p = text;
    for (; *p; p++) {
        char c = *p;
        if (quoted) {
            if (c == '"' && p[1] == '"') {
                oom |= sb_put(&b, '"', 1);
                p++;
            } else if (c == '"') {
                quoted = 0;
            } else {
                oom |= sb_put(&b, c, 1);
            }
            continue;
        }
        if (c == ';')
            break;
        if (c == '"') {
            quoted = 1;
            any = 1;
            continue;
        }
        if (c == '=' && !have_key && out->nfields == 0) {
            out->key = sb_take(&b);
            have_key = 1;
            any = 1;
            oom |= out->key == NULL;
            continue;
        }
        if (c == ',') {
            oom |= push_field(out, sb_take(&b));
            any = 1;
            continue;
        }
        int blank = c == ' ' || c == '\t' || c == '\r';
        oom |= sb_put(&b, c, !blank);
        any |= !blank;
    }
    if (quoted) {
        free(b.p);
        free_line(out);
        return syntax(d, lineno, "a quoted string is not closed (unbalanced quotes)");
    }
    if (any || b.sig)
        oom |= push_field(out, sb_take(&b));
    else
        free(b.p);
    if (oom) {
        free_line(out);
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    }
    *empty = !any;   /* "key =" still has one (empty) field */
    return LAB_S_OK;
}

static inf_section *find_section(const inf_doc *d, const char *name)
{
    for (size_t i = 0; i < d->n; i++)
        if (utf8_casecmp(d->secs[i].name, name) == 0)
            return &d->secs[i];
    return NULL;
}

static inf_section *add_section(inf_doc *d, const char *name, size_t lineno)
{
    inf_section *s = find_section(d, name);
    if (s)
        return s;
    inf_section *grown = realloc(d->secs, (d->n + 1) * sizeof(*grown));
    if (!grown)
        return NULL;
    d->secs = grown;
    s = &d->secs[d->n];
    memset(s, 0, sizeof(*s));
    s->name = strdup(name);
    s->lineno = lineno;
    if (!s->name)
        return NULL;
    d->n++;
    return s;
}

static void free_doc(inf_doc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        for (size_t j = 0; j < d->secs[i].n; j++)
            free_line(&d->secs[i].lines[j]);
        free(d->secs[i].lines);
        free(d->secs[i].name);
    }
    free(d->secs);
    d->secs = NULL;
    d->n = 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static HRESULT parse_doc(char *text, inf_doc *d)
{
    inf_section *cur = NULL;
    size_t lineno = 0;
    char *p = text;
    char *logical = NULL;
    size_t logical_line = 0;
    HRESULT hr = LAB_S_OK;
    while (hr == LAB_S_OK && *p) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        char *line = trim(p);
        p = nl ? nl + 1 : p + strlen(p);
        /* Continuation: a trailing backslash outside a comment joins the next line. */
        size_t n = strlen(line);
        int cont = n && line[n - 1] == '\\' && !strchr(line, ';');
        if (cont)
            line[n - 1] = '\0';
        if (logical) {
            char *joined = lab_strdup_printf("%s%s", logical, line);
            free(logical);
            logical = joined;
        } else {
            logical = strdup(line);
            logical_line = lineno;
        }
        if (!logical)
            return lab_fail(LAB_E_OUTOFMEMORY, NULL);
        if (cont && *p)
            continue;
        char *l = trim(logical);
        if (*l == '[') {
            char *close = strchr(l, ']');
            if (!close) {
                hr = syntax(d, logical_line, "a section name is missing its closing bracket");
                break;
            }
            *close = '\0';
            char *name = trim(l + 1);
            if (!(cur = add_section(d, name, logical_line)))
                hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
        } else if (*l && *l != ';') {
            inf_line entry;
            int empty = 0;
            hr = tokenize(d, l, logical_line, &entry, &empty);
            if (hr == LAB_S_OK && (empty || !cur)) {
                free_line(&entry);   /* lines before the first section are ignored, as SetupAPI does */
            } else if (hr == LAB_S_OK) {
                inf_line *grown = realloc(cur->lines, (cur->n + 1) * sizeof(*grown));
                if (!grown) {
                    free_line(&entry);
                    hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
                } else {
                    cur->lines = grown;
                    cur->lines[cur->n++] = entry;
                }
            }
        }
        free(logical);
        logical = NULL;
    }
    free(logical);
    return hr;
}

/* ---- %strings% ---- */

static const inf_section *strings_section(const inf_doc *d)
{
    const inf_section *s = find_section(d, "Strings");
    for (size_t i = 0; !s && i < d->n; i++)
        if (strncasecmp(d->secs[i].name, "Strings.", 8) == 0)
            s = &d->secs[i];
    return s;
}

static const char *string_value(const inf_section *strs, const char *name, size_t len)
{
    for (size_t i = 0; strs && i < strs->n; i++) {
        const inf_line *l = &strs->lines[i];
        if (!l->key || strlen(l->key) != len)
            continue;
        char *want = strndup(name, len);
        int same = want && utf8_casecmp(want, l->key) == 0;
        free(want);
        if (same)
            return l->nfields ? l->fields[0] : "";
    }
    return NULL;
}

static int append(char **out, size_t *n, size_t *cap, const char *piece, size_t len)
{
    if (*n + len + 1 > *cap) {
        size_t want = (*n + len + 1) * 2;
        char *grown = realloc(*out, want);
        if (!grown)
            return -1;
        *out = grown;
        *cap = want;
    }
    memcpy(*out + *n, piece, len);
    *n += len;
    (*out)[*n] = '\0';
    return 0;
}

static char *substitute(const inf_section *strs, const char *s)
{
    char *out = NULL;
    size_t n = 0, cap = 0;
    int bad = append(&out, &n, &cap, "", 0);
    for (const char *p = s; !bad && *p;) {
        if (*p == '%' && p[1] == '%') {            /* %% -> % */
            bad = append(&out, &n, &cap, "%", 1);
            p += 2;
            continue;
        }
        const char *end = *p == '%' ? strchr(p + 1, '%') : NULL;
        const char *value = end ? string_value(strs, p + 1, (size_t)(end - p - 1)) : NULL;
        if (value) {
            bad = append(&out, &n, &cap, value, strlen(value));
            p = end + 1;
        } else {
            bad = append(&out, &n, &cap, p, 1);   /* unknown names stay as written */
            p++;
        }
    }
    if (bad) {
        free(out);
        return NULL;
    }
    return out;
}

static HRESULT substitute_all(inf_doc *d)
{
    const inf_section *strs = strings_section(d);
    for (size_t i = 0; i < d->n; i++) {
        if (&d->secs[i] == strs)
            continue;
        for (size_t j = 0; j < d->secs[i].n; j++) {
            inf_line *l = &d->secs[i].lines[j];
            char **slots[64];
            size_t k = 0;
            if (l->key)
                slots[k++] = &l->key;
            for (size_t f = 0; f < l->nfields && k < 64; f++)
                slots[k++] = &l->fields[f];
            for (size_t s = 0; s < k; s++) {
                if (!strchr(*slots[s], '%'))
                    continue;
                char *v = substitute(strs, *slots[s]);
                if (!v)
                    return lab_fail(LAB_E_OUTOFMEMORY, NULL);
                free(*slots[s]);
                *slots[s] = v;
            }
        }
    }
    return LAB_S_OK;
}

/* ---- lookups ---- */

static const inf_line *find_key(const inf_section *s, const char *key)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (s->lines[i].key && utf8_casecmp(s->lines[i].key, key) == 0)
            return &s->lines[i];
    return NULL;
}

static char *field_dup(const inf_line *l, size_t i)
{
    return (l && i < l->nfields) ? strdup(l->fields[i]) : NULL;
}

/* "NTamd64", "NTamd64.10.0...19041", "NTx86", "NT" -> PROCESSOR_ARCHITECTURE, or -1. */
static int decoration_arch(const char *dec)
{
    size_t n = strcspn(dec, ".");
    if (n < 2 || strncasecmp(dec, "NT", 2) != 0)
        return -1;
    const char *a = dec + 2;
    n -= 2;
    if (n == 0 || (n == 3 && strncasecmp(a, "x86", 3) == 0))
        return 0;   /* an undecorated NT models section serves x86 only */
    if (n == 5 && strncasecmp(a, "amd64", 5) == 0)
        return 9;
    if (n == 5 && strncasecmp(a, "arm64", 5) == 0)
        return 12;
    if (n == 3 && strncasecmp(a, "arm", 3) == 0)
        return 5;
    if (n == 4 && strncasecmp(a, "ia64", 4) == 0)
        return 6;
    return -1;
}

static const char *arch_ext(unsigned arch)
{
    switch (arch) {
    case 0: return "NTx86";
    case 9: return "NTamd64";
    case 12: return "NTarm64";
    case 5: return "NTarm";
    case 6: return "NTia64";
    default: return "NT";
    }
}

/* The decorated install section for `arch`, as SetupAPI picks it. */
static const inf_section *install_section(const inf_doc *d, const char *base, unsigned arch)
{
    char *name = lab_strdup_printf("%s.%s", base, arch_ext(arch));
    const inf_section *s = name ? find_section(d, name) : NULL;
    free(name);
    if (!s && (name = lab_strdup_printf("%s.NT", base))) {
        s = find_section(d, name);
        free(name);
    }
    return s ? s : find_section(d, base);
}

/* ServiceName of an install section, and whether it starts at boot (StartType 0). */
static char *service_of(const inf_doc *d, const char *install, unsigned arch, int *boot_start)
{
    const inf_section *inst = install_section(d, install, arch);
    if (!inst)
        return NULL;
    char *name = lab_strdup_printf("%s.Services", inst->name);
    const inf_section *svc = name ? find_section(d, name) : NULL;
    free(name);
    const inf_line *pick = NULL;
    for (size_t i = 0; svc && i < svc->n; i++) {
        const inf_line *l = &svc->lines[i];
        if (!l->key || utf8_casecmp(l->key, "AddService") != 0 || l->nfields == 0)
            continue;
        unsigned long flags = l->nfields > 1 ? strtoul(l->fields[1], NULL, 0) : 0;
        if (!pick || (flags & 0x2))   /* SPSVCINST_ASSOCSERVICE: the device's function driver */
            pick = l;
        if (flags & 0x2)
            break;
    }
    if (!pick)
        return NULL;
    if (pick->nfields > 2) {
        const inf_line *st = find_key(find_section(d, pick->fields[2]), "StartType");
        if (st && st->nfields && strtoul(st->fields[0], NULL, 0) == 0)
            *boot_start = 1;
    }
    return strdup(pick->fields[0]);
}

static HRESULT add_driver(lab_inf *inf, const char *mfg, const inf_line *model, unsigned arch, char *service)
{
    lab_inf_driver *grown = realloc(inf->drivers, (inf->driver_count + 1) * sizeof(*grown));
    if (!grown) {
        free(service);
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    }
    inf->drivers = grown;
    lab_inf_driver *x = &inf->drivers[inf->driver_count++];
    memset(x, 0, sizeof(*x));
    x->manufacturer = strdup(mfg);
    x->description = strdup(model->key ? model->key : "");
    x->hardware_id = strdup(model->fields[1]);
    x->arch = arch;
    x->service = service;
    if (model->nfields > 2) {
        size_t len = 0;
        for (size_t i = 2; i < model->nfields; i++)
            len += strlen(model->fields[i]) + 1;
        x->compatible_ids = calloc(1, len + 1);
        for (size_t i = 2; x->compatible_ids && i < model->nfields; i++) {
            if (i > 2)
                strcat(x->compatible_ids, ",");
            strcat(x->compatible_ids, model->fields[i]);
        }
    }
    if (!x->manufacturer || !x->description || !x->hardware_id)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    return LAB_S_OK;
}

static HRESULT read_models(const inf_doc *d, lab_inf *inf)
{
    const inf_section *mfgs = find_section(d, "Manufacturer");
    for (size_t i = 0; mfgs && i < mfgs->n; i++) {
        const inf_line *m = &mfgs->lines[i];
        if (m->nfields == 0 || !m->fields[0][0])
            continue;
        const char *mfg = m->key ? m->key : m->fields[0];
        size_t decorations = m->nfields - 1;
        for (size_t k = 0; k < (decorations ? decorations : 1); k++) {
            int arch = decorations ? decoration_arch(m->fields[k + 1]) : 0;
            if (arch < 0)
                continue;
            char *name = decorations ? lab_strdup_printf("%s.%s", m->fields[0], m->fields[k + 1])
                                     : strdup(m->fields[0]);
            const inf_section *models = name ? find_section(d, name) : NULL;
            free(name);
            for (size_t j = 0; models && j < models->n; j++) {
                const inf_line *model = &models->lines[j];
                if (model->nfields < 2 || !model->fields[1][0])
                    continue;
                char *service = service_of(d, model->fields[0], (unsigned)arch, &inf->boot_start);
                HRESULT hr = add_driver(inf, mfg, model, (unsigned)arch, service);
                if (hr != LAB_S_OK)
                    return hr;
            }
        }
    }
    return LAB_S_OK;
}

static char **section_keys(const inf_doc *d, const char *name, size_t *count)
{
    *count = 0;
    const inf_section *s = find_section(d, name);
    char **out = calloc(s ? s->n + 1 : 1, sizeof(char *));
    for (size_t i = 0; out && s && i < s->n; i++) {
        const inf_line *l = &s->lines[i];
        const char *file = l->key ? l->key : (l->nfields ? l->fields[0] : NULL);
        if (file && *file)
            out[(*count)++] = strdup(file);
    }
    return out;
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return -1;
    unsigned long v = strtoul(s, &end, 10);
    if (end == s || v > max)
        return -1;
    *out = (unsigned)v;
    return (int)(end - s);
}

/* DriverVer = MM/DD/YYYY[,a.b.c.d] */
static int parse_driver_ver(const inf_line *l, lab_inf *inf)
{
    if (!l || l->nfields == 0)
        return -1;
    const char *s = l->fields[0];
    unsigned mon, day, year;
    int n;
    if ((n = parse_uint(s, 12, &mon)) < 0 || s[n] != '/')
        return -1;
    s += n + 1;
    if ((n = parse_uint(s, 31, &day)) < 0 || s[n] != '/')
        return -1;
    s += n + 1;
    if ((n = parse_uint(s, 9999, &year)) < 0 || s[n] != '\0' || mon == 0 || day == 0 || year < 1980)
        return -1;
    struct tm tm = { .tm_year = (int)year - 1900, .tm_mon = (int)mon - 1, .tm_mday = (int)day, .tm_hour = 12 };
    time_t t = timegm(&tm);
    struct tm back;
    if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != (int)day)
        return -1;   /* 02/30 and friends */
    unsigned short v[8] = { (unsigned short)year, (unsigned short)mon, (unsigned short)back.tm_wday,
                            (unsigned short)day, 0, 0, 0, 0 };
    memcpy(inf->date.v, v, sizeof(v));
    memset(inf->version, 0, sizeof(inf->version));
    if (l->nfields > 1 && l->fields[1][0]) {
        s = l->fields[1];
        for (int part = 0; part < 4; part++) {
            if ((n = parse_uint(s, 65535, &inf->version[part])) < 0)
                return -1;
            s += n;
            if (*s == '\0')
                break;
            if (*s != '.' || part == 3)
                return -1;
            s++;
        }
    }
    return 0;
}

static HRESULT read_version(const inf_doc *d, lab_inf *inf)
{
    const inf_section *v = find_section(d, "Version");
    if (!v)
        return lab_fail(LAB_E_INF_STYLE, "The INF file %s has no [Version] section (line 1).", d->win);
    const inf_line *sig = find_key(v, "Signature");
    if (!sig || sig->nfields == 0 ||
        (strcasecmp(sig->fields[0], "$Windows NT$") != 0 && strcasecmp(sig->fields[0], "$Chicago$") != 0))
        return lab_fail(LAB_E_INF_STYLE, "The INF file %s has no valid Signature in [Version] (line %zu); "
                        "expected \"$Windows NT$\".", d->win, sig ? sig->lineno : v->lineno);
    const inf_line *cls = find_key(v, "Class"), *guid = find_key(v, "ClassGuid");
    if (!cls || !cls->nfields || !cls->fields[0][0])
        return syntax(d, v->lineno, "[Version] has no Class");
    if (!guid || !guid->nfields || !guid->fields[0][0])
        return syntax(d, v->lineno, "[Version] has no ClassGuid");
    const inf_line *ver = find_key(v, "DriverVer");
    if (parse_driver_ver(ver, inf) != 0)
        return syntax(d, ver ? ver->lineno : v->lineno,
                      ver ? "DriverVer is not MM/DD/YYYY[,a.b.c.d]" : "[Version] has no DriverVer");
    inf->class_name = field_dup(cls, 0);
    inf->class_guid = field_dup(guid, 0);
    inf->provider = field_dup(find_key(v, "Provider"), 0);
    inf->catalog = field_dup(find_key(v, "CatalogFile"), 0);
    inf->catalog_amd64 = field_dup(find_key(v, "CatalogFile.NTamd64"), 0);
    inf->catalog_x86 = field_dup(find_key(v, "CatalogFile.NTx86"), 0);
    if (!inf->class_name || !inf->class_guid)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    return LAB_S_OK;
}

HRESULT inf_parse(const char *lab, const char *win, lab_inf *inf)
{
    memset(inf, 0, sizeof(*inf));
    HRESULT hr = LAB_S_OK;
    struct stat st;
    if (stat(lab, &st) == 0 && S_ISDIR(st.st_mode))
        return lab_fail(LAB_E_INVALIDARG, "%s is a folder; a driver path names one .inf file.", win);
    char *text = read_text(lab, win, &hr);
    if (!text)
        return hr;
    inf_doc d = { win, NULL, 0 };
    hr = parse_doc(text, &d);
    free(text);
    if (hr == LAB_S_OK)
        hr = substitute_all(&d);
    if (hr == LAB_S_OK)
        hr = read_version(&d, inf);
    if (hr == LAB_S_OK)
        hr = read_models(&d, inf);
    if (hr == LAB_S_OK) {
        inf->files_any = section_keys(&d, "SourceDisksFiles", &inf->files_any_count);
        inf->files_amd64 = section_keys(&d, "SourceDisksFiles.amd64", &inf->files_amd64_count);
        inf->files_x86 = section_keys(&d, "SourceDisksFiles.x86", &inf->files_x86_count);
    }
    free_doc(&d);
    if (hr != LAB_S_OK)
        inf_free(inf);
    return hr;
}

const char *inf_catalog_for(const lab_inf *inf, unsigned arch)
{
    const char *decorated = arch == 9 ? inf->catalog_amd64 : arch == 0 ? inf->catalog_x86 : NULL;
    return decorated && *decorated ? decorated : (inf->catalog && *inf->catalog ? inf->catalog : NULL);
}

int inf_has_arch(const lab_inf *inf, unsigned arch)
{
    for (size_t i = 0; i < inf->driver_count; i++)
        if (inf->drivers[i].arch == arch)
            return 1;
    return 0;
}

void inf_keep_arch(lab_inf *inf, unsigned arch)
{
    size_t kept = 0;
    for (size_t i = 0; i < inf->driver_count; i++) {
        if (inf->drivers[i].arch == arch)
            inf->drivers[kept++] = inf->drivers[i];
        else
            inf_driver_free(&inf->drivers[i]);
    }
    inf->driver_count = kept;
}

void inf_driver_free(lab_inf_driver *x)
{
    free(x->manufacturer);
    free(x->description);
    free(x->hardware_id);
    free(x->service);
    free(x->compatible_ids);
}

void inf_free(lab_inf *inf)
{
    for (size_t i = 0; i < inf->driver_count; i++)
        inf_driver_free(&inf->drivers[i]);
    free(inf->drivers);
    free(inf->class_name);
    free(inf->class_guid);
    free(inf->provider);
    free(inf->catalog);
    free(inf->catalog_amd64);
    free(inf->catalog_x86);
    free_list(inf->files_any, inf->files_any_count);
    free_list(inf->files_amd64, inf->files_amd64_count);
    free_list(inf->files_x86, inf->files_x86_count);
    memset(inf, 0, sizeof(*inf));
}
