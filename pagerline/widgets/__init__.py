"""The on-call home-screen widget feed (built on the engine's schedule queries)."""
