/**
 * @module Statements written with named parameters (`$perEndpoint`, `$now`), for the executor's
 * `?` placeholders: the one-statement verbs of PostgreSQL (claim, fan-out) name their parameters
 * instead of counting them, and a name used twice is filled twice.
 */
import type { SqlValue } from '../sqlExecutor.js';

/** A statement for the executor, and a function that puts its parameters in the order they appear. */
export interface NamedStatement {
  sql: string;
  /** The parameters' names, one per `?` in `sql`. */
  names: readonly string[];
  parameters(values: Readonly<Record<string, SqlValue>>): SqlValue[];
}

/** `template` with each `$name` turned into `?`. A name missing from the values is bound as NULL. */
export function namedStatement(template: string): NamedStatement {
  const names: string[] = [];
  const sql = template.replace(/\$([a-zA-Z]\w*)/g, (_, name: string) => {
    names.push(name);
    return '?';
  });
  return { sql, names, parameters: (values) => names.map((name) => values[name] ?? null) };
}

/** `{1,2,3}`: a PostgreSQL array literal of numbers, or of strings that need no quoting (base64url). */
export const arrayLiteral = (items: readonly (number | string)[]): string => `{${items.join(',')}}`;
