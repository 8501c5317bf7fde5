// Typed operations from the server's schema: every document in src/**/*.graphql is validated
// against ../schema.graphql, so an operation that no longer matches the schema fails codegen
// (and with it `npm test`, `npm run build` and `make test`).
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["src/**/*.graphql"],
  errorsOnly: true,
  generates: {
    "src/gql/graphql.ts": {
      plugins: ["typescript-operations", "typed-document-node"],
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: true,
        scalars: { DateTime: "string", JSON: "unknown", ID: "string" },
      },
    },
  },
};

export default config;
