import { loadModule, parseSync } from 'libpg-query';

/** A relation (table, view, sequence, index) a statement names, as PostgreSQL reads the name. */
export interface RelationReference {
  /** The schema qualifying it; `undefined` when unqualified (resolved through `search_path`). */
  schema?: string;
  name: string;
}

/** What the SQL check needs to know about a piece of SQL, read with PostgreSQL's own parser. */
export interface StatementFacts {
  /** Every relation named, in any statement kind (CTE names in scope excluded). */
  relations: RelationReference[];
  /** Schemas named as such (`DROP SCHEMA`, `GRANT … IN SCHEMA`, `SET SCHEMA`, `CREATE SCHEMA` …). */
  schemas: string[];
  /** Why the SQL cannot be checked (SQL run from text, a parser setting, a statement kind not known …). */
  refused?: string;
}

/** Functions that run SQL given as text, which no text check can follow. */
const SQL_FROM_TEXT_FUNCTIONS = new Set([
  'query_to_xml',
  'query_to_xml_and_xmlschema',
  'query_to_xmlschema',
  'table_to_xml',
  'table_to_xml_and_xmlschema',
  'table_to_xmlschema',
  'schema_to_xml',
  'schema_to_xml_and_xmlschema',
  'schema_to_xmlschema',
  'database_to_xml',
  'database_to_xml_and_xmlschema',
  'database_to_xmlschema',
  'cursor_to_xml',
  'ts_stat',
  'ts_rewrite',
  'dblink',
  'dblink_exec',
  'dblink_open',
  'dblink_send_query',
  'lo_import',
  'lo_export',
  'pg_read_file',
  'pg_read_binary_file',
  'pg_ls_dir',
]);

/** Settings that change how PostgreSQL reads SQL text (the parser here assumes the defaults) or where unqualified names go. */
const READING_SETTINGS = new Set(['standard_conforming_strings', 'backslash_quote', 'escape_string_warning', 'search_path']);

/**
 * Statement kinds whose every relation and schema the reader finds. Any other kind is refused
 * while tenant entities exist: a statement the check does not understand is never passed.
 */
const KNOWN_STATEMENTS = new Set([
  'SelectStmt',
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'MergeStmt',
  'TruncateStmt',
  'LockStmt',
  'CopyStmt',
  'ExplainStmt',
  'TransactionStmt',
  'VariableSetStmt',
  'VariableShowStmt',
  'CreateStmt',
  'CreateTableAsStmt',
  'ViewStmt',
  'IndexStmt',
  'AlterTableStmt',
  'DropStmt',
  'CommentStmt',
  'RenameStmt',
  'AlterObjectSchemaStmt',
  'GrantStmt',
  'CreateSeqStmt',
  'AlterSeqStmt',
  'VacuumStmt',
  'ClusterStmt',
  'ReindexStmt',
  'RefreshMatViewStmt',
  'CreateSchemaStmt',
  'CreateTrigStmt',
  'RuleStmt',
  'CreatePolicyStmt',
  'AlterPolicyStmt',
  'DeclareCursorStmt',
  'FetchStmt',
  'ClosePortalStmt',
  'ListenStmt',
  'UnlistenStmt',
  'NotifyStmt',
  'CallStmt',
]);

/** `DROP` / `COMMENT ON` object types whose names are relations (`[schema.]name`). */
const RELATION_OBJECTS = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_INDEX',
  'OBJECT_SEQUENCE',
  'OBJECT_FOREIGN_TABLE',
]);
/** Object types named `[schema.]table.name` (the relation, then the object's own name). */
const OBJECTS_ON_RELATIONS = new Set(['OBJECT_COLUMN', 'OBJECT_TRIGGER', 'OBJECT_RULE', 'OBJECT_POLICY', 'OBJECT_TABCONSTRAINT']);

type Json = Record<string, unknown>;

let loaded: Promise<void> | undefined;

/** Loads PostgreSQL's parser (WebAssembly) once; {@link readStatement} needs it loaded. */
export function loadSqlParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

/**
 * Reads SQL (one or more statements) with PostgreSQL 18's parser and returns every relation and
 * schema it names. SQL the parser cannot read comes back refused, never passed.
 */
export function readStatement(sql: string): StatementFacts {
  let tree: { stmts?: { stmt?: Json }[] };
  try {
    tree = parseSync(sql) as unknown as { stmts?: { stmt?: Json }[] };
  } catch (error) {
    return { relations: [], schemas: [], refused: `PostgreSQL's parser cannot read it (${errorText(error)})` };
  }
  const reader = new TreeReader();
  for (const { stmt } of tree.stmts ?? []) {
    if (!stmt) {
      continue;
    }
    const kind = Object.keys(stmt)[0];
    if (!KNOWN_STATEMENTS.has(kind)) {
      reader.refuse(`${kind} statements are not checked`);
    }
    reader.visit(stmt, []);
  }
  return reader.facts();
}

class TreeReader {
  private readonly relations: RelationReference[] = [];
  private readonly schemas: string[] = [];
  private refused?: string;

  refuse(reason: string): void {
    this.refused ??= reason;
  }

  facts(): StatementFacts {
    return { relations: this.relations, schemas: this.schemas, refused: this.refused };
  }

  /** Walks any node; `ctes` holds the CTE names in scope, innermost last. */
  visit(node: unknown, ctes: readonly string[]): void {
    if (Array.isArray(node)) {
      for (const item of node) {
        this.visit(item, ctes);
      }
      return;
    }
    if (typeof node !== 'object' || node === null) {
      return;
    }
    const object = node as Json;
    // fields typed RangeVar (a statement's target table …) come without the `{ RangeVar: … }` wrapper
    if (typeof object.relname === 'string') {
      this.rangeVar(object, ctes);
    }
    if (isRecord(object.withClause)) {
      this.visitWith(object, ctes);
      return;
    }
    for (const [key, value] of Object.entries(object)) {
      if (isRecord(value)) {
        this.visitNode(key, value, ctes);
      } else if (Array.isArray(value)) {
        this.visit(value, ctes);
      }
    }
  }

  /** A statement with a WITH clause: each CTE sees the ones before it (all of them when recursive). */
  private visitWith(statement: Json, outer: readonly string[]): void {
    const withClause = statement.withClause as Json;
    const definitions = (Array.isArray(withClause.ctes) ? withClause.ctes : [])
      .map((cte) => (isRecord(cte) && isRecord(cte.CommonTableExpr) ? cte.CommonTableExpr : undefined))
      .filter((cte): cte is Json => cte !== undefined);
    const names = definitions.map((cte) => String(cte.ctename));
    definitions.forEach((cte, index) => {
      const visible = withClause.recursive === true ? names : names.slice(0, index);
      this.visit(cte.ctequery, [...outer, ...visible]);
    });
    const rest: Json = { ...statement };
    delete rest.withClause;
    this.visit(rest, [...outer, ...names]);
  }

  private visitNode(kind: string, node: Json, ctes: readonly string[]): void {
    switch (kind) {
      case 'FuncCall':
        this.funcCall(node);
        break;
      case 'TypeCast':
        this.typeCast(node);
        break;
      case 'DoStmt':
        this.refuse('DO blocks run SQL from text');
        break;
      case 'CreateFunctionStmt':
        this.refuse('function bodies are SQL text');
        break;
      case 'PrepareStmt':
      case 'ExecuteStmt':
        this.refuse('prepared statements are session state that outlives the bound tenant');
        break;
      case 'VariableSetStmt':
        if (typeof node.name === 'string' && READING_SETTINGS.has(node.name.toLowerCase())) {
          this.refuse(`SET ${node.name} changes how SQL is read or where unqualified names go`);
        }
        break;
      case 'DropStmt':
        this.namedObjects(node.removeType, node.objects);
        break;
      case 'CommentStmt':
      case 'SecLabelStmt':
        this.namedObjects(node.objtype, [node.object]);
        break;
      case 'RenameStmt':
        if (node.renameType === 'OBJECT_SCHEMA' && typeof node.subname === 'string') {
          this.schemas.push(node.subname);
        }
        if (!isRecord(node.relation)) {
          this.namedObjects(node.renameType, [node.object]);
        }
        break;
      case 'AlterObjectSchemaStmt':
        if (typeof node.newschema === 'string') {
          this.schemas.push(node.newschema);
        }
        if (!isRecord(node.relation)) {
          this.namedObjects(node.objectType, [node.object]);
        }
        break;
      case 'GrantStmt':
        if (node.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') {
          this.schemas.push(...strings(node.objects));
        }
        break;
      case 'CreateSchemaStmt':
        if (typeof node.schemaname === 'string') {
          this.schemas.push(node.schemaname);
        }
        break;
      case 'CopyStmt':
        if (node.is_program === true) {
          this.refuse('COPY … PROGRAM runs a shell command');
        }
        break;
    }
    this.visit(node, ctes);
  }

  private rangeVar(node: Json, ctes: readonly string[]): void {
    const name = String(node.relname);
    const schema = typeof node.schemaname === 'string' ? node.schemaname : undefined;
    if (schema === undefined && ctes.includes(name)) {
      return;
    }
    // `create temp table x`: the table goes to the session's temporary schema
    this.relations.push({ schema: schema ?? (node.relpersistence === 't' ? 'pg_temp' : undefined), name });
  }

  private funcCall(node: Json): void {
    const name = strings(node.funcname).at(-1)?.toLowerCase();
    if (name === undefined) {
      return;
    }
    if (SQL_FROM_TEXT_FUNCTIONS.has(name)) {
      this.refuse(`${name}() runs SQL or reads objects named in text`);
    } else if (name === 'set_config') {
      const setting = Array.isArray(node.args) ? constantText(node.args[0]) : undefined;
      if (setting === undefined || READING_SETTINGS.has(setting.toLowerCase())) {
        this.refuse('set_config() of a setting that changes how SQL is read or where unqualified names go');
      }
    } else if (name === 'to_regclass' && Array.isArray(node.args)) {
      const text = constantText(node.args[0]);
      if (text !== undefined) {
        this.relationFromText(text);
      }
    }
  }

  /** `'schema.table'::regclass` names a relation in a string. */
  private typeCast(node: Json): void {
    const type = isRecord(node.typeName) ? strings(node.typeName.names).at(-1)?.toLowerCase() : undefined;
    const text = constantText(node.arg);
    if (type === 'regclass' && text !== undefined) {
      this.relationFromText(text);
    }
  }

  private relationFromText(text: string): void {
    const parts = splitQualifiedName(text);
    if (parts === undefined) {
      this.refuse(`a relation name in text the check cannot read (${JSON.stringify(text.slice(0, 80))})`);
      return;
    }
    this.relations.push(parts.length > 1 ? { schema: parts.at(-2), name: parts.at(-1) as string } : { name: parts[0] });
  }

  /** Objects named by lists of names (`DROP`, `COMMENT ON` …), by object type. */
  private namedObjects(type: unknown, objects: unknown): void {
    for (const object of Array.isArray(objects) ? objects : []) {
      const names = isRecord(object) && isRecord(object.List) ? strings(object.List.items) : strings([object]);
      if (names.length === 0) {
        continue;
      }
      if (type === 'OBJECT_SCHEMA') {
        this.schemas.push(...names);
      } else if (RELATION_OBJECTS.has(String(type))) {
        this.relations.push(names.length > 1 ? { schema: names.at(-2), name: names.at(-1) as string } : { name: names[0] });
      } else if (OBJECTS_ON_RELATIONS.has(String(type)) && names.length > 1) {
        const relation = names.slice(0, -1);
        this.relations.push(
          relation.length > 1 ? { schema: relation.at(-2), name: relation.at(-1) as string } : { name: relation[0] },
        );
      } else if (names.length > 1) {
        // a function, type … in a schema: the schema must be one the tenant may use
        this.schemas.push(names.at(-2) as string);
      }
    }
  }
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `sval`s of a list of `String` nodes. */
function strings(list: unknown): string[] {
  if (!Array.isArray(list)) {
    return [];
  }
  return list
    .map((item) => (isRecord(item) && isRecord(item.String) ? item.String.sval : undefined))
    .filter((value): value is string => typeof value === 'string');
}

/** The text of a string constant node, if it is one. */
function constantText(node: unknown): string | undefined {
  if (!isRecord(node)) {
    return undefined;
  }
  if (isRecord(node.A_Const) && isRecord(node.A_Const.sval) && typeof node.A_Const.sval.sval === 'string') {
    return node.A_Const.sval.sval;
  }
  if (isRecord(node.TypeCast)) {
    return constantText(node.TypeCast.arg);
  }
  return undefined;
}

/** `a.b` / `"A"."b"` as PostgreSQL reads a qualified name in text; `undefined` when it cannot tell. */
function splitQualifiedName(text: string): string[] | undefined {
  const parts: string[] = [];
  const pattern = /\s*(?:"((?:[^"]|"")*)"|([a-zA-Z_][a-zA-Z0-9_$]*))\s*(\.|$)/y;
  let index = 0;
  while (index < text.length) {
    pattern.lastIndex = index;
    const match = pattern.exec(text);
    if (!match) {
      return undefined;
    }
    parts.push(match[1] !== undefined ? match[1].replaceAll('""', '"') : match[2].toLowerCase());
    index = pattern.lastIndex;
    if (match[3] === '') {
      break;
    }
  }
  return parts.length > 0 && parts.length <= 3 ? parts : undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
