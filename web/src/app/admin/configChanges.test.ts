import { Client, subscriptionExchange } from "@urql/core";
import { describe, expect, it, vi } from "vitest";
import { watchConfigChanges, type ConfigChange } from "./configChanges";

interface Sink {
  next: (value: unknown) => void;
  error: (error: unknown) => void;
  complete: () => void;
}

/** A urql client whose subscriptions go to a stand-in for the live connection: the test plays
 * the server, sending `next` payloads (as graphql-ws hands them to urql) and errors. */
function liveClient() {
  const open: { query: string; sink: Sink; closed: boolean }[] = [];
  const client = new Client({
    url: "http://pagerline.test/graphql",
    exchanges: [
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink: Sink) => {
            const entry = { query: request.query ?? "", sink, closed: false };
            open.push(entry);
            return { unsubscribe: () => void (entry.closed = true) };
          },
        }),
      }),
    ],
  });
  // urql starts a subscription's transport on its own schedule: wait until it is open.
  const opened = (count: number) => vi.waitFor(() => expect(open.filter((o) => !o.closed)).toHaveLength(count));
  const send = (change: ConfigChange) => open.forEach((o) => !o.closed && o.sink.next({ data: { configChanges: change } }));
  return { client, open, opened, send };
}

describe("watchConfigChanges", () => {
  it("subscribes to configChanges and passes on the changes of the kinds asked for", async () => {
    const { client, open, opened, send } = liveClient();
    const seen: ConfigChange[] = [];
    const stop = watchConfigChanges(client, ["SCHEDULE", "USER"], (c) => seen.push(c), () => undefined);
    await opened(1);
    expect(open).toHaveLength(1);
    expect(open[0]!.query).toContain("configChanges");
    expect(open[0]!.query.replace(/\s+/g, " ")).toContain("configChanges { kind id action");

    send({ kind: "SCHEDULE", id: "7", action: "UPDATED" });
    send({ kind: "SOURCE", id: "3", action: "CREATED" }); // not asked for
    send({ kind: "USER", id: "12", action: "DELETED" });
    send({ kind: "SCHEDULE", id: "7", action: "UPDATED" }); // a second edit of the same thing is news too
    expect(seen).toEqual([
      { kind: "SCHEDULE", id: "7", action: "UPDATED" },
      { kind: "USER", id: "12", action: "DELETED" },
      { kind: "SCHEDULE", id: "7", action: "UPDATED" },
    ]);

    stop();
    expect(open[0]!.closed).toBe(true);
    send({ kind: "USER", id: "13", action: "CREATED" });
    expect(seen).toHaveLength(3);
  });

  it("passes on every kind when none is named", async () => {
    const { client, opened, send } = liveClient();
    const seen: string[] = [];
    watchConfigChanges(client, [], (c) => seen.push(c.kind), () => undefined);
    await opened(1);
    send({ kind: "TEAM", id: "1", action: "CREATED" });
    send({ kind: "CALENDAR_FEED", id: "2", action: "DELETED" });
    expect(seen).toEqual(["TEAM", "CALENDAR_FEED"]);
  });

  it("reports a refused subscription (a non-admin gets FORBIDDEN)", async () => {
    const { client, open, opened } = liveClient();
    const errors: string[] = [];
    const seen: ConfigChange[] = [];
    watchConfigChanges(client, ["TEAM"], (c) => seen.push(c), (message) => errors.push(message));
    await opened(1);
    open[0]!.sink.next({ errors: [{ message: "Only admins can follow configuration changes", extensions: { code: "FORBIDDEN" } }] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("Only admins can follow configuration changes");
    expect(seen).toEqual([]);
  });

  it("sends the ConfigChanges subscription document", async () => {
    const { client, open, opened } = liveClient();
    watchConfigChanges(client, ["TEAM"], () => undefined, () => undefined);
    await opened(1);
    expect(open[0]!.query).toMatch(/^subscription ConfigChanges/);
  });
});
