import { MikroORM } from '@mikro-orm/core';

/**
 * Counts the SQL statements an app's ORM sends, by wrapping the `onQuery` hook the app installed
 * (the tenancy SQL guard among them); `restore()` puts the app's hook back.
 */
export class QueryCounter {
  count = 0;

  constructor(app) {
    this.config = app.get(MikroORM).config;
    this.original = this.config.get('onQuery');
    const original = this.original;
    this.config.set('onQuery', (sql, params) => {
      this.count++;
      return original(sql, params);
    });
  }

  restore() {
    this.config.set('onQuery', this.original);
  }
}
