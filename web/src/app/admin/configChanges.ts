// Following the server's configChanges subscription (admins only): every create, update and
// delete of a team, user, schedule, policy, source or setting, by anyone, once committed. A
// section passes the kinds it shows and refetches (or drops) what a change names.
import type { Client } from "@urql/core";
import { ConfigChangesDocument, type ConfigAction, type ConfigKind } from "../../gql/graphql";

export type { ConfigAction, ConfigKind };

export interface ConfigChange {
  kind: ConfigKind;
  id: string;
  action: ConfigAction;
}

/** Subscribes over `client` (the session's live connection) and calls `onChange` for each
 * change of one of `kinds` (every kind when empty), `onError` with a failed subscription's
 * message. Returns the unsubscribe. */
export function watchConfigChanges(
  client: Client,
  kinds: readonly ConfigKind[],
  onChange: (change: ConfigChange) => void,
  onError: (message: string) => void,
): () => void {
  const wanted = new Set(kinds);
  const { unsubscribe } = client.subscription(ConfigChangesDocument, {}).subscribe((result) => {
    if (result.error) onError(result.error.message);
    const change = result.data?.configChanges;
    if (change && (wanted.size === 0 || wanted.has(change.kind))) {
      onChange({ kind: change.kind, id: change.id, action: change.action });
    }
  });
  return unsubscribe;
}
