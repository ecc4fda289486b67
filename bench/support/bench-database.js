import pg from 'pg';

/** Server used when DATABASE_URL is not set: the local PostgreSQL (user postgres, trust). */
const DEFAULT_SERVER = 'postgresql://postgres@127.0.0.1:5432/postgres';

/**
 * A database dedicated to one bench run, created on the server of DATABASE_URL (or the local
 * PostgreSQL) and dropped by `drop()`. `pool` is a small pg pool for the bench's own SQL
 * (fixtures, counts), separate from the apps' pools.
 */
export class BenchDatabase {
  constructor(url, maintenanceUrl, name) {
    this.url = url;
    this.name = name;
    this.maintenanceUrl = maintenanceUrl;
    this.pool = new pg.Pool({ connectionString: url, max: 4 });
  }

  static async create(serverUrl = process.env.DATABASE_URL ?? DEFAULT_SERVER, suffix = '') {
    const name = `tenancy_bench_${Date.now().toString(36)}_${process.pid}${suffix ? `_${suffix}` : ''}`;
    const maintenance = new URL(serverUrl);
    const target = new URL(serverUrl);
    target.pathname = `/${name}`;
    const client = new pg.Client({ connectionString: maintenance.toString() });
    await client.connect();
    try {
      await client.query(`create database "${name}"`);
    } finally {
      await client.end();
    }
    return new BenchDatabase(target.toString(), maintenance.toString(), name);
  }

  /** Rows of one query. */
  async rows(sql, params = []) {
    return (await this.pool.query(sql, params)).rows;
  }

  /** The server's version string, e.g. `15.20`. */
  async serverVersion() {
    const [row] = await this.rows('show server_version');
    return row.server_version;
  }

  /** Drops the database (once, however often it is called), ending every connection to it. */
  drop() {
    this.dropping ??= (async () => {
      await this.pool.end().catch(() => undefined);
      const client = new pg.Client({ connectionString: this.maintenanceUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists "${this.name}" with (force)`);
      } finally {
        await client.end();
      }
    })();
    return this.dropping;
  }
}
