// People who sign in on the page, and their sessions: the SQLite engine's statements behind
// the `users` port (ports.ts; postgres/tables.ts says the same in its dialect). A session row
// holds only the SHA-256 of the cookie's value, so the database file alone signs nobody in;
// passwords only as a scrypt hash (src/api/users.ts makes and checks it).
import type { Db } from './db.ts';

export type UserRole = 'caseworker' | 'admin';

export interface UserRow {
  id: number;
  username: string;
  displayName: string;
  role: UserRole;
  passwordHash: string;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
  lastSignInAt: number | null;
}

export interface SessionRow {
  userId: number;
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

const userCols = `id, username, display_name AS displayName, role, password_hash AS passwordHash, disabled,
  created_at AS createdAt, updated_at AS updatedAt, last_sign_in_at AS lastSignInAt`;

const toUser = (row: any): UserRow => ({ ...row, disabled: row.disabled === 1 });

export function userRepository(db: Db) {
  const s = {
    insert: db.prepare(`INSERT INTO users (username, display_name, role, password_hash, created_at, updated_at)
      VALUES (@username, @displayName, @role, @passwordHash, @now, @now)`),
    get: db.prepare(`SELECT ${userCols} FROM users WHERE id = ?`),
    byUsername: db.prepare(`SELECT ${userCols} FROM users WHERE username = ?`),
    byDisplayName: db.prepare(`SELECT ${userCols} FROM users WHERE display_name = ?`),
    list: db.prepare(`SELECT ${userCols} FROM users ORDER BY disabled, display_name`),
    update: db.prepare(`UPDATE users SET display_name = @displayName, role = @role, password_hash = @passwordHash,
      disabled = @disabled, updated_at = @now WHERE id = @id`),
    signedIn: db.prepare(`UPDATE users SET last_sign_in_at = ? WHERE id = ?`),
    activeAdmins: db.prepare(`SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled = 0`),
    insertSession: db.prepare(`INSERT INTO sessions (token_hash, user_id, csrf, created_at, last_seen_at, expires_at)
      VALUES (@tokenHash, @userId, @csrf, @now, @now, @expiresAt)`),
    session: db.prepare(`SELECT user_id AS userId, csrf, created_at AS createdAt, last_seen_at AS lastSeenAt, expires_at AS expiresAt
      FROM sessions WHERE token_hash = ?`),
    touch: db.prepare(`UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`),
    deleteSession: db.prepare(`DELETE FROM sessions WHERE token_hash = ?`),
    deleteSessionsOf: db.prepare(`DELETE FROM sessions WHERE user_id = ?`),
    deleteOtherSessions: db.prepare(`DELETE FROM sessions WHERE user_id = ? AND token_hash != ?`),
    purge: db.prepare(`DELETE FROM sessions WHERE expires_at <= @now OR last_seen_at <= @idleBefore`),
  };

  return {
    create(u: { username: string; displayName: string; role: UserRole; passwordHash: string }, now: number): UserRow {
      const id = Number(s.insert.run({ ...u, now }).lastInsertRowid);
      return toUser(s.get.get(id));
    },
    get: (id: number): UserRow | undefined => { const r = s.get.get(id); return r ? toUser(r) : undefined; },
    byUsername: (username: string): UserRow | undefined => { const r = s.byUsername.get(username); return r ? toUser(r) : undefined; },
    byDisplayName: (name: string): UserRow | undefined => { const r = s.byDisplayName.get(name); return r ? toUser(r) : undefined; },
    list: (): UserRow[] => s.list.all().map(toUser),
    update(u: UserRow, now: number): void {
      s.update.run({ id: u.id, displayName: u.displayName, role: u.role, passwordHash: u.passwordHash, disabled: u.disabled ? 1 : 0, now });
    },
    signedIn: (id: number, now: number): void => { s.signedIn.run(now, id); },
    activeAdmins: (): number => (s.activeAdmins.get() as { n: number }).n,

    createSession(tokenHash: Buffer, userId: number, csrf: string, now: number, expiresAt: number): void {
      s.insertSession.run({ tokenHash, userId, csrf, now, expiresAt });
    },
    session: (tokenHash: Buffer): SessionRow | undefined => s.session.get(tokenHash) as SessionRow | undefined,
    touch: (tokenHash: Buffer, now: number): void => { s.touch.run(now, tokenHash); },
    deleteSession: (tokenHash: Buffer): void => { s.deleteSession.run(tokenHash); },
    deleteSessionsOf: (userId: number): void => { s.deleteSessionsOf.run(userId); },
    deleteOtherSessions: (userId: number, keep: Buffer): void => { s.deleteOtherSessions.run(userId, keep); },
    purge: (now: number, idleBefore: number): void => { s.purge.run({ now, idleBefore }); },
  };
}
export type UserRepository = ReturnType<typeof userRepository>;
