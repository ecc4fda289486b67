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
  /** Numbers of the `$n` parameters PostgreSQL reads as parameters (not inside a literal or comment). */
  parameters: number[];
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
  // tablefunc: the query or table named in text
  'crosstab',
  'crosstab2',
  'crosstab3',
  'crosstab4',
  'connectby',
]);

/**
 * Functions whose first argument names a relation in text (implicitly cast to `regclass`): read as
 * a relation when it is a constant, refused otherwise (`nextval(c.oid)` could name any sequence).
 */
const RELATION_TEXT_FUNCTIONS = new Set([
  'nextval',
  'setval',
  'currval',
  'pg_sequence_last_value',
  'pg_get_serial_sequence',
  'pg_relation_size',
  'pg_total_relation_size',
  'pg_table_size',
  'pg_indexes_size',
  'pg_relation_filenode',
  'pg_relation_filepath',
  // pageinspect, pgstattuple, pg_prewarm
  'get_raw_page',
  'bt_metap',
  'bt_page_items',
  'bt_page_stats',
  'pgstattuple',
  'pgstattuple_approx',
  'pg_prewarm',
]);

/** Functions that act on other sessions, whichever tenant they serve. */
const OTHER_SESSION_FUNCTIONS = new Set(['pg_terminate_backend', 'pg_cancel_backend']);

/** Fields of any node holding a `[schema.]name` list of an object in a schema (collation, operator …). */
const QUALIFIED_NAME_FIELDS = ['collname', 'collation', 'opclass', 'operName', 'useOp', 'method'];

/** Settings that change how PostgreSQL reads SQL text (the parser here assumes the defaults) or where unqualified names go. */
const READING_SETTINGS = new Set([
  'standard_conforming_strings',
  'backslash_quote',
  'escape_string_warning',
  'client_encoding',
  'search_path',
]);

/**
 * Catalog relations that show other tenants' data: column statistics (sample values), statements
 * running in other sessions (MikroORM inlines values), large objects. Refused in any schema, and
 * unqualified (PostgreSQL finds `pg_catalog` first).
 */
const DATA_EXPOSING_RELATIONS = new Set([
  'pg_stats',
  'pg_stats_ext',
  'pg_stats_ext_exprs',
  'pg_statistic',
  'pg_statistic_ext_data',
  'pg_stat_activity',
  'pg_stat_statements',
  'pg_largeobject',
]);
/** Functions behind those views. */
const DATA_EXPOSING_FUNCTIONS = new Set([
  'pg_stat_get_activity',
  'pg_stat_statements',
  'pg_stat_get_backend_activity',
  // large objects belong to no schema: every tenant's
  'lo_get',
  'lo_open',
  'loread',
  'lo_put',
  'lo_unlink',
]);

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
    return { relations: [], schemas: [], parameters: [], refused: `PostgreSQL's parser cannot read it (${errorText(error)})` };
  }
  const reader = new TreeReader();
  try {
    for (const { stmt } of tree.stmts ?? []) {
      if (!stmt) {
        continue;
      }
      const kind = Object.keys(stmt)[0];
      if (!KNOWN_STATEMENTS.has(kind)) {
        reader.refuse(`${kind} statements are not checked`);
      }
      reader.visit(stmt);
    }
  } catch (error) {
    // a statement nested deeper than the walk's stack: refused, never passed
    return { relations: [], schemas: [], parameters: [], refused: `it is nested too deeply to be read (${errorText(error)})` };
  }
  return reader.facts();
}

/** CTE names in scope: how many enclosing WITH clauses define each (a statement may reuse a name). */
class CteScope {
  private readonly counts = new Map<string, number>();

  has(name: string): boolean {
    return (this.counts.get(name) ?? 0) > 0;
  }

  add(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  remove(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 1) - 1);
  }
}

class TreeReader {
  private readonly relations: RelationReference[] = [];
  private readonly schemas: string[] = [];
  private readonly parameters = new Set<number>();
  private readonly ctes = new CteScope();
  private refused?: string;

  refuse(reason: string): void {
    this.refused ??= reason;
  }

  facts(): StatementFacts {
    return { relations: this.relations, schemas: this.schemas, refused: this.refused, parameters: [...this.parameters] };
  }

  /** Walks any node. */
  visit(node: unknown): void {
    if (Array.isArray(node)) {
      for (const item of node) {
        this.visit(item);
      }
      return;
    }
    if (typeof node !== 'object' || node === null) {
      return;
    }
    const object = node as Json;
    // fields typed RangeVar (a statement's target table …) come without the `{ RangeVar: … }` wrapper
    if (typeof object.relname === 'string') {
      this.rangeVar(object);
    }
    // a TypeName (column types, casts …): a type in another tenant's schema is that tenant's
    if (Array.isArray(object.names) && 'typemod' in object) {
      this.qualifier(strings(object.names));
    }
    // collations, operator classes, operators (`OPERATOR(s.+)`), TABLESAMPLE methods: in a schema
    for (const field of QUALIFIED_NAME_FIELDS) {
      if (Array.isArray(object[field])) {
        this.qualifier(strings(object[field]));
      }
    }
    // an operator expression's name (`1 OPERATOR(s.+) 2`)
    if (Array.isArray(object.name)) {
      this.qualifier(strings(object.name));
    }
    // CASCADE drops or empties what depends on the object: other tenants' foreign keys to a shared table
    if (object.behavior === 'DROP_CASCADE') {
      this.refuse("CASCADE reaches objects the statement does not name (other tenants' tables referencing it)");
    }
    if (isRecord(object.withClause)) {
      this.visitWith(object);
      return;
    }
    for (const [key, value] of Object.entries(object)) {
      if (isRecord(value)) {
        this.visitNode(key, value);
      } else if (Array.isArray(value)) {
        this.visit(value);
      }
    }
  }

  /** A statement with a WITH clause: each CTE sees the ones before it (all of them when recursive). */
  private visitWith(statement: Json): void {
    const withClause = statement.withClause as Json;
    const definitions = (Array.isArray(withClause.ctes) ? withClause.ctes : [])
      .map((cte) => (isRecord(cte) && isRecord(cte.CommonTableExpr) ? cte.CommonTableExpr : undefined))
      .filter((cte): cte is Json => cte !== undefined);
    const names = definitions.map((cte) => String(cte.ctename));
    const recursive = withClause.recursive === true;
    if (recursive) {
      names.forEach((name) => this.ctes.add(name));
    }
    definitions.forEach((cte, index) => {
      this.visit(cte.ctequery);
      if (!recursive) {
        this.ctes.add(names[index]);
      }
    });
    const rest: Json = { ...statement };
    delete rest.withClause;
    this.visit(rest);
    names.forEach((name) => this.ctes.remove(name));
  }

  private visitNode(kind: string, node: Json): void {
    switch (kind) {
      case 'FuncCall':
        this.funcCall(node);
        break;
      case 'TypeCast':
        this.typeCast(node);
        break;
      // (DO, CREATE FUNCTION and PREPARE only come as whole statements, which KNOWN_STATEMENTS refuses;
      // EXECUTE also comes inside EXPLAIN and CREATE TABLE AS)
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
          // the new name too: it must be one the tenant may use (not a future tenant's)
          this.schemas.push(node.subname, ...(typeof node.newname === 'string' ? [node.newname] : []));
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
        if (node.targtype === 'ACL_TARGET_ALL_IN_SCHEMA' || node.objtype === 'OBJECT_SCHEMA') {
          this.schemas.push(...strings(node.objects));
        } else if (Array.isArray(node.objects)) {
          // functions, types … named `[schema.]name`: the schema must be one the tenant may use
          for (const object of node.objects) {
            const names = isRecord(object) && isRecord(object.ObjectWithArgs) ? strings(object.ObjectWithArgs.objname) : [];
            if (names.length > 1) {
              this.schemas.push(names.at(-2) as string);
            }
          }
          this.namedObjects(
            node.objtype,
            node.objects.filter((object) => isRecord(object) && isRecord(object.List)),
          );
        }
        break;
      case 'CreateSchemaStmt':
        if (typeof node.schemaname === 'string') {
          this.schemas.push(node.schemaname);
        }
        break;
      case 'CopyStmt':
        // (COPY … PROGRAM 'command' holds the command in `filename` too)
        if (typeof node.filename === 'string') {
          this.refuse('COPY to or from a server file or program reads and writes outside any schema');
        }
        break;
      case 'ParamRef':
        if (typeof node.number === 'number') {
          this.parameters.add(node.number);
        }
        break;
      case 'ReindexStmt':
        if (node.kind === 'REINDEX_OBJECT_SCHEMA' && typeof node.name === 'string') {
          this.schemas.push(node.name);
        } else if (node.kind === 'REINDEX_OBJECT_DATABASE' || node.kind === 'REINDEX_OBJECT_SYSTEM') {
          this.refuse('REINDEX of the whole database reaches every tenant');
        }
        break;
      case 'CallStmt':
        if (isRecord(node.funccall)) {
          this.funcCall(node.funccall);
        }
        break;
      case 'VacuumStmt':
        if (!Array.isArray(node.rels) || node.rels.length === 0) {
          this.refuse('VACUUM or ANALYZE of the whole database reaches every tenant');
        }
        break;
      case 'ClusterStmt':
        if (!isRecord(node.relation)) {
          this.refuse('CLUSTER of the whole database reaches every tenant');
        }
        break;
      case 'Constraint':
        // `EXCLUDE (c WITH OPERATOR(s.=))`: each exclusion is (element, operator name)
        for (const exclusion of Array.isArray(node.exclusions) ? node.exclusions : []) {
          const operator =
            isRecord(exclusion) && isRecord(exclusion.List) && Array.isArray(exclusion.List.items)
              ? exclusion.List.items[1]
              : undefined;
          if (isRecord(operator) && isRecord(operator.List)) {
            this.qualifier(strings(operator.List.items));
          }
        }
        break;
      case 'CreateTrigStmt':
        this.qualifier(strings(node.funcname));
        break;
      case 'DefElem':
        if (isRecord(node.arg) && isRecord(node.arg.List)) {
          if (node.defname === 'owned_by') {
            // `OWNED BY [schema.]table.column`
            this.relationOf(strings(node.arg.List.items).slice(0, -1));
          } else if (node.defname === 'sequence_name') {
            // an identity column's `SEQUENCE NAME [schema.]name`: the sequence is created there
            this.relationOf(strings(node.arg.List.items));
          }
        }
        break;
      case 'CreateStmt':
        this.temporary(node.relation, node.oncommit);
        break;
      case 'into':
      case 'intoClause':
        this.temporary(node.rel, node.onCommit);
        break;
      case 'ViewStmt':
        this.temporary(node.view, undefined);
        break;
      case 'CreateSeqStmt':
        this.temporary(node.sequence, undefined);
        break;
    }
    this.visit(node);
  }

  private rangeVar(node: Json): void {
    const name = String(node.relname);
    const schema = typeof node.schemaname === 'string' ? node.schemaname : undefined;
    if (schema === undefined && this.ctes.has(name)) {
      return;
    }
    if (DATA_EXPOSING_RELATIONS.has(name) && (schema === undefined || schema === 'pg_catalog' || schema === 'public')) {
      this.refuse(`${name} shows other tenants' data`);
    }
    // `create temp table x`: the table goes to the session's temporary schema
    this.relations.push({ schema: schema ?? (node.relpersistence === 't' ? 'pg_temp' : undefined), name });
  }

  private funcCall(node: Json): void {
    const names = strings(node.funcname);
    this.qualifier(names);
    const name = names.at(-1)?.toLowerCase();
    if (name === undefined) {
      return;
    }
    if (DATA_EXPOSING_FUNCTIONS.has(name)) {
      this.refuse(`${name}() shows other tenants' data`);
    } else if (SQL_FROM_TEXT_FUNCTIONS.has(name)) {
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
    } else if (RELATION_TEXT_FUNCTIONS.has(name)) {
      const text = Array.isArray(node.args) ? constantText(node.args[0]) : undefined;
      if (text === undefined) {
        this.refuse(`${name}() of a relation the check cannot read (not a constant name)`);
      } else {
        this.relationFromText(text);
      }
    } else if (OTHER_SESSION_FUNCTIONS.has(name)) {
      this.refuse(`${name}() reaches other tenants' sessions`);
    }
  }

  /** The schema of a qualified name of a function, type … (`schema.name`): one the tenant must be allowed. */
  private qualifier(names: string[]): void {
    if (names.length > 1) {
      this.schemas.push(names.at(-2) as string);
    }
  }

  private relationOf(names: string[]): void {
    if (names.length > 1) {
      this.relations.push({ schema: names.at(-2), name: names.at(-1) as string });
    } else if (names.length === 1) {
      this.relations.push({ name: names[0] });
    }
  }

  /**
   * A temporary relation outlives the request on a pooled connection and shadows shared tables for
   * whoever gets the connection next: only `ON COMMIT DROP` tables (gone with the transaction).
   */
  private temporary(relation: unknown, onCommit: unknown): void {
    // `create table pg_temp.x` is as temporary as `create temp table x`
    const temporary =
      isRecord(relation) &&
      (relation.relpersistence === 't' ||
        (typeof relation.schemaname === 'string' && /^pg_temp(_\d+)?$/.test(relation.schemaname)));
    if (temporary && onCommit !== 'ONCOMMIT_DROP') {
      this.refuse('a temporary relation outlives the transaction on a pooled connection (use ON COMMIT DROP)');
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
      const names = !isRecord(object)
        ? []
        : isRecord(object.List)
          ? strings(object.List.items)
          : isRecord(object.TypeName)
            ? strings(object.TypeName.names)
            : isRecord(object.ObjectWithArgs)
              ? strings(object.ObjectWithArgs.objname)
              : strings([object]);
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
  // each part is a name, then a dot (another name must follow: `'acme.'` is not a name) or the end
  for (;;) {
    pattern.lastIndex = index;
    const match = pattern.exec(text);
    if (!match) {
      return undefined;
    }
    parts.push(match[1] !== undefined ? match[1].replaceAll('""', '"') : match[2].toLowerCase());
    index = pattern.lastIndex;
    if (match[3] === '') {
      return parts.length <= 3 ? parts : undefined;
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
