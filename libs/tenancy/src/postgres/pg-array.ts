/**
 * A PostgreSQL array literal for a text parameter (`= any(?::text[])`): MikroORM expands array
 * parameters into lists, which `any()` does not take and which break when empty.
 */
export function pgArray(values: readonly (string | number)[]): string {
  return `{${values.map((value) => `"${String(value).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
}
