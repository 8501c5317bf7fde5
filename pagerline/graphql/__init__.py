"""The Strawberry GraphQL schema. Resolvers are thin: authorize, call the engine, shape."""
