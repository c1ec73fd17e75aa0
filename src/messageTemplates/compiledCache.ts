/**
 * @module A bounded least-recently-used cache of compiled message templates, keyed by
 * `(id, version)` (or an inline template's hash). Bounded by entries and by the size of the
 * sources held: a compiled template keeps its source and Handlebars code, so a few hundred
 * 512 KB templates must not hold gigabytes.
 */

/** Options of `createCompiledCache`. */
export interface CompiledCacheOptions {
  /** Most entries (default 500). */
  maxEntries?: number;
  /** Most source bytes held together (default 64 MB). */
  maxBytes?: number;
}

/** The cache. */
export interface CompiledCache<T> {
  get(key: string): T | undefined;
  set(key: string, value: T, bytes: number): void;
  /** Drops every entry whose key starts with `prefix` (a deleted template). */
  deletePrefix(prefix: string): void;
  readonly size: number;
}

/** A new empty cache. */
export function createCompiledCache<T>(options: CompiledCacheOptions = {}): CompiledCache<T> {
  const maxEntries = options.maxEntries ?? 500;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  // A Map iterates in insertion order: re-inserting on use makes the first key the least recent.
  const entries = new Map<string, { value: T; bytes: number }>();
  let bytes = 0;
  const drop = (key: string) => {
    const entry = entries.get(key);
    if (entry === undefined) return;
    entries.delete(key);
    bytes -= entry.bytes;
  };
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    set(key, value, size) {
      drop(key);
      entries.set(key, { value, bytes: size });
      bytes += size;
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries && bytes <= maxBytes) break;
        if (oldest === key) continue;
        drop(oldest);
      }
    },
    deletePrefix(prefix) {
      for (const key of [...entries.keys()]) if (key.startsWith(prefix)) drop(key);
    },
    get size() {
      return entries.size;
    },
  };
}
