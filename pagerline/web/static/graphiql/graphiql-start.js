// Starts GraphiQL (served from this folder, so it works without internet) against this server's
// /graphql: HTTP for queries and mutations, graphql-transport-ws for subscriptions. Sign in with
// the login mutation, then put {"Authorization": "Bearer <token>"} in the Headers tab (GraphiQL
// keeps it in this browser's localStorage).

const EXAMPLE = `# pagerline's API. Sign in first:
#   mutation { login(email: "you@example.com", password: "…") { token } }
# and put {"Authorization": "Bearer <token>"} in the Headers tab below.
{
  alerts(status: [PENDING, ACCEPTED], first: 10) {
    edges { node { id summary status links { href text } } }
  }
}
`;

const endpoint = new URL("/graphql", window.location.href);
const socket = new URL(endpoint);
socket.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

const fetcher = GraphiQL.createFetcher({ url: endpoint.href, subscriptionUrl: socket.href });

ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultQuery: EXAMPLE,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    defaultEditorToolsVisibility: true,
    inputValueDeprecation: true,
  }),
);
