import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { AnonymousSessions } from '../lib';
import { checkPassword, type Account, type Accounts } from './users';

/** A well-formed hash (16-byte salt, 32-byte key) that no password matches: checked when the username is unknown. */
const DUMMY_HASH = `scrypt$${'A'.repeat(22)}$${'A'.repeat(43)}`;

export type ShopPassport = InstanceType<typeof Passport>;

/** One Passport per app instance (the global one would be shared by every app in a process). */
export function shopPassport(anon: AnonymousSessions, accounts: Accounts): ShopPassport {
  const passport = new Passport();
  passport.use(
    new LocalStrategy((username, password, done) => {
      findAccount(accounts, username, password).then((account) => done(null, account ?? false), done);
    }),
  );
  // checkRevocation: an access token verifies by signature alone for its 15 minutes, so without this a guest who
  // logged out, or whose cart just moved into an account, could still read and change that cart. One store read per
  // API call is the price; a store outage is then a 503 with Retry-After, never a 401 that makes apps drop tokens.
  passport.use(anon.strategy({ checkRevocation: true }));
  passport.serializeUser((user, done) => done(null, (user as Account).username));
  passport.deserializeUser((username: string, done) => accounts.find(username).then((a) => done(null, a ?? false), done));
  return passport;
}

async function findAccount(accounts: Accounts, username: string, password: string): Promise<Account | undefined> {
  const account = await accounts.find(username);
  // An unknown username costs the same scrypt as a wrong password: the answer's timing names no accounts.
  const matches = await checkPassword(password, account?.passwordHash ?? DUMMY_HASH);
  return account && matches ? account : undefined;
}
