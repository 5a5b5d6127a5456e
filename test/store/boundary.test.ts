// The store boundary (docs/store.md step 8): nothing outside src/store/ imports better-sqlite3 or
// pg, prepares statements, opens transactions on the connection or writes SQL. The files that
// still do are listed here by name, each with what it still holds; the list only shrinks: a file
// that no longer needs its entry fails the test too, so the entry is removed when it moves.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Phase B (moved on its own branch, issue-16): tolerated while they are there, and they may go
 * at any merge without touching this file.
 */
const PHASE_B: Record<string, string> = {
};

/** still on the synchronous repositories / raw SQL; each moves onto the ports in its own step */
const STILL_ALLOWED: Record<string, string> = {
};

const SQL = /\b(SELECT\s[\s\S]{0,200}?\sFROM\s|INSERT\s+(OR\s+\w+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|CREATE\s+(TABLE|INDEX)\s|PRAGMA\s)/;
const ENGINE = /from\s+['"](better-sqlite3|pg)['"]|import\(\s*['"](better-sqlite3|pg)['"]\s*\)|\.prepare\(|\.transaction\(/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [relative(ROOT, path).split('\\').join('/')] : [];
  });
}

describe('the store boundary', () => {
  const offenders = sources(join(ROOT, 'src'))
    .filter((file) => !file.startsWith('src/store/'))
    .filter((file) => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      return SQL.test(text) || ENGINE.test(text);
    });

  it('nothing outside src/store/ imports the engines or writes SQL, but the files still listed', () => {
    expect(offenders.filter((file) => !(file in STILL_ALLOWED) && !(file in PHASE_B))).toEqual([]);
  });

  it('every file still listed still needs its entry (a file that moved leaves the list)', () => {
    expect(Object.keys(STILL_ALLOWED).filter((file) => !offenders.includes(file))).toEqual([]);
  });

  it('src/store/ exports no synchronous repository nor the SQLite connection, and nothing in src/ reaches past its index for them', async () => {
    const exported = Object.keys(await import('../../src/store/index.ts'));
    expect(exported.filter((name) => /Repository$|^openDatabase$|^migrate$|^MIGRATIONS$/.test(name))).toEqual([]);
    // types leave no trace at run time: the index's text names none
    expect(readFileSync(join(ROOT, 'src/store/index.ts'), 'utf8').split('\n').filter((line) => !line.startsWith('//') && /Repository\b|\bDb\b/.test(line))).toEqual([]);
    const repositories = /from\s+['"][./]*store\/(db|migrations|residents|events|timeline|alerts|rule-state)\.ts['"]/;
    expect(sources(join(ROOT, 'src')).filter((file) => !file.startsWith('src/store/') && repositories.test(readFileSync(join(ROOT, file), 'utf8')))).toEqual([]);
  });

  it('the check sees what it must: SQL and engine use in a file', () => {
    expect(SQL.test('db.prepare(`SELECT id FROM visits WHERE at > ?`)')).toBe(true);
    expect(SQL.test("'DELETE FROM sessions WHERE user_id = ?'")).toBe(true);
    expect(ENGINE.test("import Database from 'better-sqlite3';")).toBe(true);
    expect(ENGINE.test("import pg from 'pg';")).toBe(true);
    expect(SQL.test('select the resident from the list')).toBe(false);
  });
});
