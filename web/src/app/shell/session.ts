// The session token, kept in localStorage as before so a reload stays signed in. Signing out
// also forgets the offline snapshot, so the next person on this browser never sees it.
import { clearSnapshot } from "../../pwa/snapshotStore";

export const TOKEN_KEY = "pagerline.token";

export function storedToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else {
    localStorage.removeItem(TOKEN_KEY);
    clearSnapshot();
  }
}
