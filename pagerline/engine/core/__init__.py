"""The shared core of the engine: errors the caller maps to 4xx, side effects that run after
commit, metrics, plain SQL and its dialect fragments, the one input rule, the "leave as is"
marker, and the alert timeline writer (every domain writes to an alert's timeline).

May import: nothing else in the engine."""
