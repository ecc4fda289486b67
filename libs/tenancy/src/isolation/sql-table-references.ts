/** A table named by a SQL statement: its name and the schema qualifying it, if any. */
export interface TableReference {
  schema?: string;
  table: string;
}

/** Keywords after which a statement names one or more tables. */
const TABLE_KEYWORDS = new Set(['from', 'join', 'into', 'update', 'table', 'using', 'truncate', 'copy', 'references']);
/** Keywords that may stand between such a keyword and the table name. */
const TABLE_PREFIXES = new Set(['only', 'if', 'not', 'exists', 'lateral']);
/** Keywords after which `name(` is a function call rather than a table with a column list. */
const FUNCTION_KEYWORDS = new Set(['from', 'join', 'using']);
/** Keywords after which a list of tables goes on past a comma. */
const LIST_KEYWORDS = new Set(['truncate', 'table']);
/**
 * Keywords that open a FROM list: up to a word of {@link FROM_LIST_ENDS} at the same parenthesis
 * depth, each comma starts another item, also after a sub-query, a function call or a join.
 */
const FROM_LISTS = new Set(['from', 'using']);
const FROM_LIST_ENDS = new Set([
  'where',
  'group',
  'having',
  'order',
  'limit',
  'offset',
  'fetch',
  'window',
  'union',
  'except',
  'intersect',
  'returning',
  'for',
  'select',
  'values',
  'set',
]);
/** Words that end a table reference instead of being its alias. */
const NOT_ALIASES = new Set([
  'where',
  'join',
  'inner',
  'left',
  'right',
  'full',
  'cross',
  'natural',
  'on',
  'using',
  'set',
  'values',
  'select',
  'group',
  'order',
  'limit',
  'offset',
  'having',
  'returning',
  'union',
  'except',
  'intersect',
  'for',
  'window',
  'default',
  'when',
  'then',
  'as',
  'lateral',
  'tablesample',
  'with',
  'do',
  'cascade',
  'restrict',
  'restart',
  'continue',
  'from',
  'to',
  'fetch',
  'into',
  'overriding',
  'only',
  'and',
  'or',
  'not',
]);

type Token = { kind: 'word'; value: string; quoted: boolean } | { kind: 'punct'; value: string };

/**
 * The tables a SQL statement names after `from`, `join`, `into`, `update`, `table`, `using`,
 * `truncate`, `copy` and `references`, including comma-separated lists (every item of a FROM or
 * USING list, also after a sub-query, a function call or a join). Comments, string literals
 * (also `E''` and dollar-quoted) and quoted identifiers are read as PostgreSQL reads them, so
 * neither formatting nor comments hide a table. Identifiers are returned as PostgreSQL resolves
 * them (unquoted ones lower-cased). A three-part name `db.schema.table` gives schema and table.
 */
export function sqlTableReferences(sql: string): TableReference[] {
  const tokens = tokenize(sql);
  const references: TableReference[] = [];
  /** Whether the clause at each parenthesis depth is a FROM list. */
  const fromList: boolean[] = [false];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const punct = token.kind === 'punct' ? token.value : undefined;
    if (punct === '(') {
      fromList[++depth] = false;
    } else if (punct === ')') {
      depth = Math.max(0, depth - 1);
    } else if (punct === ';') {
      depth = 0;
      fromList[0] = false;
    } else if (isKeyword(token, FROM_LISTS)) {
      fromList[depth] = true;
    } else if (isKeyword(token, FROM_LIST_ENDS)) {
      fromList[depth] = false;
    }
    const listItem = punct === ',' && fromList[depth];
    if (!listItem && !isKeyword(token, TABLE_KEYWORDS)) {
      continue;
    }
    const keyword = listItem ? 'from' : token.value;
    let j = i + 1;
    for (;;) {
      while (isKeyword(tokens[j], TABLE_PREFIXES)) {
        j++;
      }
      const parts: string[] = [];
      while (isWord(tokens[j])) {
        parts.push(tokens[j].value);
        if (tokens[j + 1]?.value === '.' && isWord(tokens[j + 2])) {
          j += 2;
        } else {
          j++;
          break;
        }
      }
      if (parts.length === 0 || (tokens[j]?.value === '(' && FUNCTION_KEYWORDS.has(keyword))) {
        break; // a sub-query, a function call, or not a table at all
      }
      references.push({ table: parts[parts.length - 1], ...(parts.length > 1 ? { schema: parts[parts.length - 2] } : {}) });
      if (isKeyword(tokens[j], AS)) {
        j++;
      }
      if (isWord(tokens[j]) && !isKeyword(tokens[j], NOT_ALIASES)) {
        j++; // an alias
      }
      if (tokens[j]?.value === ',' && LIST_KEYWORDS.has(keyword)) {
        j++;
        continue;
      }
      break;
    }
  }
  return references;
}

const AS = new Set(['as']);

function isWord(token: Token | undefined): boolean {
  return token?.kind === 'word';
}

/** An unquoted word of `words`. */
function isKeyword(token: Token | undefined, words: ReadonlySet<string>): boolean {
  return token?.kind === 'word' && !token.quoted && words.has(token.value);
}

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const length = sql.length;
  let i = 0;
  while (i < length) {
    const c = sql[i];
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? length : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < length && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else {
          i++;
        }
      }
    } else if (c === "'") {
      i = skipString(sql, i, /[eE]/.test(sql[i - 1] ?? '') && !/[\w$]/.test(sql[i - 2] ?? ''));
    } else if (c === '"') {
      let value = '';
      i++;
      while (i < length) {
        if (sql[i] === '"') {
          if (sql[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += sql[i++];
      }
      tokens.push({ kind: 'word', value, quoted: true });
    } else if (c === '$' && /[A-Za-z_$]/.test(sql[i + 1] ?? '') && !/[\w$]/.test(sql[i - 1] ?? '')) {
      const tag = /^\$[A-Za-z_\w]*\$/.exec(sql.slice(i, i + 64));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        i = end === -1 ? length : end + tag[0].length;
      } else {
        i++;
      }
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < length && /[\w$\u0080-\uffff]/.test(sql[j])) {
        j++;
      }
      tokens.push({ kind: 'word', value: sql.slice(i, j).toLowerCase(), quoted: false });
      i = j;
    } else if (c === '.' || c === ',' || c === '(' || c === ')' || c === ';') {
      tokens.push({ kind: 'punct', value: c });
      i++;
    } else {
      i++;
    }
  }
  return tokens;
}

/** Index after the string literal starting at `start` (a `'`); `escapes`: an `E''` string. */
function skipString(sql: string, start: number, escapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    if (escapes && sql[i] === '\\') {
      i += 2;
    } else if (sql[i] === "'") {
      if (sql[i + 1] === "'") {
        i += 2;
      } else {
        return i + 1;
      }
    } else {
      i++;
    }
  }
  return i;
}
