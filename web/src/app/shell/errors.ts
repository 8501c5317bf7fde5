import type { CombinedError } from "@urql/core";

/** The first GraphQL error's message (what the server says), or the network failure. */
export function errorText(error: CombinedError): string {
  const first = error.graphQLErrors[0];
  if (first) return first.message;
  return error.networkError?.message ?? error.message;
}

export function isUnauthenticated(error: CombinedError | undefined): boolean {
  return Boolean(error?.graphQLErrors.some((e) => e.extensions?.["code"] === "UNAUTHENTICATED"));
}
