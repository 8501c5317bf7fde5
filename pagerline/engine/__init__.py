"""All behaviour lives here, once. Adapters (REST, GraphQL, workers, push actions) call these
functions and pass ``now``; nothing in the engine reads the wall clock."""
