/* SPDX-License-Identifier: MIT */
/*
 * A sweep's result store: one SQLite database, in WAL mode so that
 * `sweep show` reads while workers write, every finished cell its own
 * transaction (synchronous=FULL: a committed cell survives a crash of the
 * process or the machine).
 *
 *   grid(id = 1, json, cells)     the canonical grid
 *   cells(idx, seed, axes, status, metrics, error, seconds, host,
 *         version, pid, claimed)  one row per cell
 *
 * application_id marks the file as initlab's, user_version its format.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "initlab/alloc.h"
#include "initlab/sweep.h"
#include "initlab/version.h"
#include "internal/spec_impl.h"

#define APP_ID  0x494c5357 /* "ILSW" */
#define FORMAT  1
#define BUSY_MS 60000 /* a writer waits this long for another's transaction */

struct il_sweep_store {
    sqlite3 *db;
    char *path, *grid;
};

static const char *const status_names[] = {"pending", "running", "done", "failed"};

const char *il_sweep_status_name(il_sweep_status s)
{
    return (unsigned)s < 4 ? status_names[s] : "unknown";
}

static il_sweep_status status_of(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, status_names[i]) == 0)
            return (il_sweep_status)i;
    return IL_SWEEP_PENDING;
}

static char *dup_text(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = il_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* SQLite's last error on 's' as IL_EIO (IL_EFORMAT for a file that is not
 * a database), the path named. */
static il_status db_error(const il_sweep_store *s, const char *what, il_error *err)
{
    int code = sqlite3_extended_errcode(s->db);
    il__set_error(err, "%s: %s: %s%s", s->path, what, sqlite3_errmsg(s->db),
                  (code & 0xff) == SQLITE_BUSY ? " (another process holds it; try again)" : "");
    return (code & 0xff) == SQLITE_NOTADB || (code & 0xff) == SQLITE_CORRUPT ? IL_EFORMAT : IL_EIO;
}

static il_status exec(il_sweep_store *s, const char *sql, il_error *err)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? IL_OK : db_error(s, sql, err);
}

/* One integer from 'sql' into *out. */
static il_status query_int(il_sweep_store *s, const char *sql, long long *out, il_error *err)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(q, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_OK ? IL_OK : db_error(s, sql, err);
}

static void rollback(il_sweep_store *s)
{
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

void il_sweep_store_close(il_sweep_store *s)
{
    if (!s)
        return;
    sqlite3_close(s->db);
    il_free(s->path);
    il_free(s->grid);
    il_free(s);
}

/* Open 'path', check that it is empty or ours; *fresh 1 when empty. */
static il_status db_open(const char *path, int create, il_sweep_store **out, int *fresh,
                         il_error *err)
{
    il_sweep_store *s = il_calloc(1, sizeof *s);
    long long app = 0, format = 0, tables = 0;
    il_status st;
    int rc;

    if (!s || !(s->path = dup_text(path))) {
        il_free(s);
        return IL_ENOMEM;
    }
    rc = sqlite3_open_v2(
        path, &s->db,
        SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        if (!s->db) {
            il_free(s->path);
            il_free(s);
            return IL_ENOMEM;
        }
        st = db_error(s, "cannot open", err);
        il_sweep_store_close(s);
        return st;
    }
    sqlite3_busy_timeout(s->db, BUSY_MS);
    if ((st = query_int(s, "PRAGMA application_id", &app, err)) != IL_OK ||
        (st = query_int(s, "PRAGMA user_version", &format, err)) != IL_OK ||
        (st = query_int(s, "SELECT count(*) FROM sqlite_master", &tables, err)) != IL_OK) {
        if (st == IL_EFORMAT)
            il__set_error(err, "%s: not an initlab sweep database (%s)", path,
                          sqlite3_errmsg(s->db));
        il_sweep_store_close(s);
        return st;
    }
    *fresh = app == 0 && tables == 0;
    if (!*fresh && app != APP_ID) {
        il__set_error(err,
                      "%s: an SQLite database of another program (application_id %lld), not "
                      "an initlab sweep's",
                      path, app);
        il_sweep_store_close(s);
        return IL_EFORMAT;
    }
    if (!*fresh && format != FORMAT) {
        il__set_error(err, "%s: sweep database format %lld; this initlab reads format %d", path,
                      format, FORMAT);
        il_sweep_store_close(s);
        return IL_EFORMAT;
    }
    if ((st = exec(s, "PRAGMA journal_mode=WAL", err)) != IL_OK ||
        (st = exec(s, "PRAGMA synchronous=NORMAL", err)) != IL_OK) {
        il_sweep_store_close(s);
        return st;
    }
    *out = s;
    return IL_OK;
}

static il_status read_grid(il_sweep_store *s, il_error *err)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT json FROM grid WHERE id = 1", -1, &q, NULL);
    il_status st = IL_OK;
    if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW && sqlite3_column_text(q, 0)) {
        if (!(s->grid = dup_text((const char *)sqlite3_column_text(q, 0))))
            st = IL_ENOMEM;
    } else if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
        il__set_error(err, "%s: the sweep database has no grid", s->path);
        st = IL_EFORMAT;
    } else {
        st = db_error(s, "reading the grid", err);
    }
    sqlite3_finalize(q);
    return st;
}

static il_status create(il_sweep_store *s, const il_sweep_grid *g, il_error *err)
{
    static const char schema[] =
        "CREATE TABLE grid (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL,"
        " cells INTEGER NOT NULL);"
        "CREATE TABLE cells (idx INTEGER PRIMARY KEY, seed INTEGER NOT NULL,"
        " axes TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending'"
        " CHECK (status IN ('pending', 'running', 'done', 'failed')),"
        " metrics TEXT, error TEXT, seconds REAL, host TEXT, version TEXT, pid INTEGER,"
        " claimed REAL);"
        "CREATE INDEX cells_status ON cells (status, idx);";
    char sql[96];
    sqlite3_stmt *q = NULL;
    il_status st;
    int rc;

    if ((st = exec(s, "BEGIN IMMEDIATE", err)) != IL_OK)
        return st;
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d;", APP_ID,
             FORMAT);
    if ((st = exec(s, schema, err)) != IL_OK || (st = exec(s, sql, err)) != IL_OK)
        goto fail;
    rc = sqlite3_prepare_v2(s->db, "INSERT INTO grid (id, json, cells) VALUES (1, ?, ?)", -1, &q,
                            NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, il_sweep_grid_json(g), -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)il_sweep_grid_cells(g));
        rc = sqlite3_step(q) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(q);
    q = NULL;
    if (rc != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "INSERT INTO cells (idx, seed, axes) VALUES (?, ?, ?)", -1, &q,
                           NULL) != SQLITE_OK) {
        st = db_error(s, "writing the grid", err);
        goto fail;
    }
    for (size_t i = 0; i < il_sweep_grid_cells(g); i++) {
        char *axes = NULL;
        if ((st = il_sweep_cell_axes(g, i, &axes, err)) != IL_OK)
            goto fail;
        sqlite3_bind_int64(q, 1, (sqlite3_int64)i);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)il_sweep_cell_seed(il_sweep_grid_seed(g), i));
        sqlite3_bind_text(q, 3, axes, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(q);
        il_free(axes);
        sqlite3_reset(q);
        if (rc != SQLITE_DONE) {
            st = db_error(s, "writing the cells", err);
            goto fail;
        }
    }
    sqlite3_finalize(q);
    q = NULL;
    if ((st = exec(s, "COMMIT", err)) != IL_OK)
        goto fail;
    return IL_OK;
fail:
    sqlite3_finalize(q);
    rollback(s);
    return st;
}

il_status il_sweep_store_open(const char *path, const il_sweep_grid *g, il_sweep_store **out,
                              il_error *err)
{
    il_sweep_store *s;
    char diff[600];
    int fresh;
    il_status st = db_open(path, 1, &s, &fresh, err);

    if (st != IL_OK)
        return st;
    if (fresh)
        st = create(s, g, err);
    if (st == IL_OK)
        st = read_grid(s, err);
    if (st == IL_OK) {
        il_sweep_grid_diff(s->grid, il_sweep_grid_json(g), diff, sizeof diff);
        if (diff[0]) {
            il__set_error(err, "%s holds another grid (%s); give another --db", path, diff);
            st = IL_EINVAL;
        }
    }
    if (st != IL_OK) {
        il_sweep_store_close(s);
        return st;
    }
    *out = s;
    return IL_OK;
}

il_status il_sweep_store_open_existing(const char *path, size_t max_values, il_sweep_store **out,
                                       il_sweep_grid **grid, il_error *err)
{
    il_sweep_store *s;
    int fresh;
    il_status st = db_open(path, 0, &s, &fresh, err);
    il_error inner;

    if (st != IL_OK)
        return st;
    if (fresh) {
        il__set_error(err, "%s: an empty database, not an initlab sweep's", path);
        st = IL_EFORMAT;
    }
    if (st == IL_OK)
        st = read_grid(s, err);
    if (st == IL_OK && grid &&
        (st = il_sweep_grid_from_json(s->grid, strlen(s->grid), max_values, grid, &inner)) != IL_OK)
        il__set_error(err, "%s: its grid: %s", path, inner.message);
    if (st != IL_OK) {
        il_sweep_store_close(s);
        return st;
    }
    *out = s;
    return IL_OK;
}

const char *il_sweep_store_grid_json(const il_sweep_store *s)
{
    return s->grid;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

il_status il_sweep_store_reclaim(il_sweep_store *s, const char *host, size_t *n, il_error *err)
{
    sqlite3_stmt *q = NULL, *u = NULL;
    size_t count = 0;
    il_status st;
    int rc;

    if ((st = exec(s, "BEGIN IMMEDIATE", err)) != IL_OK)
        return st;
    rc = sqlite3_prepare_v2(
        s->db, "SELECT idx, pid FROM cells WHERE status = 'running' AND host = ?", -1, &q, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db,
                                "UPDATE cells SET status = 'pending', pid = NULL, claimed = NULL "
                                "WHERE idx = ?",
                                -1, &u, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, host, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            long long pid = sqlite3_column_int64(q, 1);
            /* a process that is gone is ESRCH; EPERM means someone else's, alive */
            if (pid > 0 && kill((pid_t)pid, 0) == 0)
                continue;
            if (pid > 0 && errno != ESRCH)
                continue;
            sqlite3_bind_int64(u, 1, sqlite3_column_int64(q, 0));
            if (sqlite3_step(u) != SQLITE_DONE) {
                rc = SQLITE_ERROR;
                break;
            }
            sqlite3_reset(u);
            count++;
        }
    }
    if (rc != SQLITE_DONE)
        st = db_error(s, "reclaiming cells", err);
    sqlite3_finalize(q);
    sqlite3_finalize(u);
    if (st == IL_OK)
        st = exec(s, "COMMIT", err);
    if (st != IL_OK)
        rollback(s);
    if (n)
        *n = count;
    return st;
}

il_status il_sweep_store_claim(il_sweep_store *s, size_t shard_i, size_t shard_n, long pid,
                               const char *host, size_t *index, int *found, il_error *err)
{
    sqlite3_stmt *q = NULL, *u = NULL;
    il_status st;
    int rc;

    *found = 0;
    if ((st = exec(s, "BEGIN IMMEDIATE", err)) != IL_OK)
        return st;
    rc = sqlite3_prepare_v2(s->db,
                            "SELECT idx FROM cells WHERE status = 'pending' AND idx % ? = ? "
                            "ORDER BY idx LIMIT 1",
                            -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, (sqlite3_int64)shard_n);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)shard_i);
        rc = sqlite3_step(q);
    }
    if (rc == SQLITE_ROW) {
        *index = (size_t)sqlite3_column_int64(q, 0);
        rc = sqlite3_prepare_v2(s->db,
                                "UPDATE cells SET status = 'running', pid = ?, host = ?, "
                                "claimed = ? WHERE idx = ?",
                                -1, &u, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(u, 1, pid);
            sqlite3_bind_text(u, 2, host, -1, SQLITE_STATIC);
            sqlite3_bind_double(u, 3, now());
            sqlite3_bind_int64(u, 4, (sqlite3_int64)*index);
            rc = sqlite3_step(u);
        }
        *found = rc == SQLITE_DONE;
    }
    if (rc != SQLITE_DONE)
        st = db_error(s, "claiming a cell", err);
    sqlite3_finalize(q);
    sqlite3_finalize(u);
    if (st == IL_OK)
        st = exec(s, "COMMIT", err);
    if (st != IL_OK) {
        rollback(s);
        *found = 0;
    }
    return st;
}

il_status il_sweep_store_finish(il_sweep_store *s, size_t index, il_sweep_status status,
                                const char *metrics, const char *error, double seconds,
                                const char *host, il_error *err)
{
    sqlite3_stmt *u = NULL;
    /* one statement: its own transaction */
    int rc = sqlite3_prepare_v2(s->db,
                                "UPDATE cells SET status = ?, metrics = ?, error = ?, seconds = ?, "
                                "host = ?, version = ?, pid = NULL WHERE idx = ?",
                                -1, &u, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(u, 1, il_sweep_status_name(status), -1, SQLITE_STATIC);
        if (metrics)
            sqlite3_bind_text(u, 2, metrics, -1, SQLITE_STATIC);
        if (error)
            sqlite3_bind_text(u, 3, error, -1, SQLITE_STATIC);
        sqlite3_bind_double(u, 4, seconds);
        sqlite3_bind_text(u, 5, host, -1, SQLITE_STATIC);
        sqlite3_bind_text(u, 6, il_version(), -1, SQLITE_STATIC);
        sqlite3_bind_int64(u, 7, (sqlite3_int64)index);
        rc = sqlite3_step(u);
    }
    sqlite3_finalize(u);
    return rc == SQLITE_DONE ? IL_OK : db_error(s, "recording a cell", err);
}

il_status il_sweep_store_counts(il_sweep_store *s, size_t shard_i, size_t shard_n, size_t counts[4],
                                double *seconds, il_error *err)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT status, count(*), total(seconds) FROM cells "
                                "WHERE idx % ? = ? GROUP BY status",
                                -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, (sqlite3_int64)shard_n);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)shard_i);
    }
    *seconds = 0;
    for (int i = 0; i < 4; i++)
        counts[i] = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        il_sweep_status st = status_of((const char *)sqlite3_column_text(q, 0));
        counts[st] = (size_t)sqlite3_column_int64(q, 1);
        if (st == IL_SWEEP_DONE || st == IL_SWEEP_FAILED)
            *seconds += sqlite3_column_double(q, 2);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? IL_OK : db_error(s, "counting cells", err);
}

static const char *text_or_null(sqlite3_stmt *q, int col)
{
    return (const char *)sqlite3_column_text(q, col);
}

static void fill_row(sqlite3_stmt *q, il_sweep_row *r)
{
    r->index = (size_t)sqlite3_column_int64(q, 0);
    r->seed = (uint64_t)sqlite3_column_int64(q, 1);
    r->status = status_of(text_or_null(q, 2));
    r->axes = text_or_null(q, 3);
    r->metrics = text_or_null(q, 4);
    r->error = text_or_null(q, 5);
    r->seconds =
        sqlite3_column_type(q, 6) == SQLITE_NULL ? (double)NAN : sqlite3_column_double(q, 6);
    r->host = text_or_null(q, 7);
    r->version = text_or_null(q, 8);
    r->pid = (long)sqlite3_column_int64(q, 9);
}

#define ROW_COLUMNS "idx, seed, status, axes, metrics, error, seconds, host, version, pid"

il_status il_sweep_store_each(il_sweep_store *s, int (*fn)(void *ctx, const il_sweep_row *row),
                              void *ctx, il_error *err)
{
    sqlite3_stmt *q = NULL;
    il_sweep_row row;
    int rc =
        sqlite3_prepare_v2(s->db, "SELECT " ROW_COLUMNS " FROM cells ORDER BY idx", -1, &q, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        fill_row(q, &row);
        if (fn(ctx, &row)) {
            rc = SQLITE_DONE;
            break;
        }
        rc = SQLITE_OK;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? IL_OK : db_error(s, "reading the cells", err);
}

il_status il_sweep_store_merge(il_sweep_store *dst, il_sweep_store *src, size_t *copied,
                               size_t *conflicts, il_error *err)
{
    sqlite3_stmt *q = NULL, *d = NULL, *u = NULL;
    size_t n_copied = 0, n_conflicts = 0;
    char diff[600];
    il_status st;
    int rc;

    il_sweep_grid_diff(dst->grid, src->grid, diff, sizeof diff);
    if (diff[0]) {
        il__set_error(err, "%s and %s hold different grids (%s)", dst->path, src->path, diff);
        return IL_EINVAL;
    }
    if ((st = exec(dst, "BEGIN IMMEDIATE", err)) != IL_OK)
        return st;
    rc = sqlite3_prepare_v2(src->db,
                            "SELECT " ROW_COLUMNS " FROM cells WHERE status IN ('done', 'failed') "
                            "ORDER BY idx",
                            -1, &q, NULL);
    if (rc != SQLITE_OK) {
        st = db_error(src, "reading the cells", err);
        goto out;
    }
    if (sqlite3_prepare_v2(dst->db, "SELECT status, metrics FROM cells WHERE idx = ?", -1, &d,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(dst->db,
                           "UPDATE cells SET status = ?, metrics = ?, error = ?, seconds = ?, "
                           "host = ?, version = ?, pid = NULL, claimed = NULL WHERE idx = ?",
                           -1, &u, NULL) != SQLITE_OK) {
        st = db_error(dst, "merging", err);
        goto out;
    }
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        il_sweep_row r;
        il_sweep_status have;
        fill_row(q, &r);
        sqlite3_bind_int64(d, 1, (sqlite3_int64)r.index);
        if (sqlite3_step(d) != SQLITE_ROW) {
            st = db_error(dst, "merging", err);
            goto out;
        }
        have = status_of(text_or_null(d, 0));
        if (have == IL_SWEEP_DONE || (have == IL_SWEEP_FAILED && r.status == IL_SWEEP_FAILED)) {
            if (have == IL_SWEEP_DONE && r.status == IL_SWEEP_DONE &&
                (!text_or_null(d, 1) || !r.metrics || strcmp(text_or_null(d, 1), r.metrics) != 0))
                n_conflicts++;
            sqlite3_reset(d);
            continue;
        }
        sqlite3_reset(d);
        sqlite3_bind_text(u, 1, il_sweep_status_name(r.status), -1, SQLITE_STATIC);
        sqlite3_bind_text(u, 2, r.metrics, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(u, 3, r.error, -1, SQLITE_TRANSIENT);
        if (isnan(r.seconds))
            sqlite3_bind_null(u, 4);
        else
            sqlite3_bind_double(u, 4, r.seconds);
        sqlite3_bind_text(u, 5, r.host, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(u, 6, r.version, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(u, 7, (sqlite3_int64)r.index);
        if (sqlite3_step(u) != SQLITE_DONE) {
            st = db_error(dst, "merging", err);
            goto out;
        }
        sqlite3_reset(u);
        n_copied++;
    }
    if (rc != SQLITE_DONE)
        st = db_error(src, "reading the cells", err);
out:
    sqlite3_finalize(q);
    sqlite3_finalize(d);
    sqlite3_finalize(u);
    if (st == IL_OK)
        st = exec(dst, "COMMIT", err);
    if (st != IL_OK)
        rollback(dst);
    if (copied)
        *copied = n_copied;
    if (conflicts)
        *conflicts = n_conflicts;
    return st;
}
