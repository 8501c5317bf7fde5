"""Chat: alerts posted to team channels, kept up to date, and acted on from the channel.

Every platform is an adapter over the same paths: :mod:`.posts` keeps each alert's message in
step with the alert, :mod:`.presses` turns a button press into the engine's accept, resolve or
escalate, and :mod:`.commands` answers ``/pagerline``.

May import: ``core``, ``notify``, ``people``, ``schedules``, ``alerts``, ``delivery``, ``sources``.
"""
