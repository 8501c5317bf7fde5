"""Chat platform adapters: each speaks its platform's API; the engine (:mod:`pagerline.engine.chat`)
decides what to post and what a press or a command does."""
