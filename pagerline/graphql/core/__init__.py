"""What every resolver shares: context, errors with ``extensions.code``, the ``DateTime`` scalar,
argument parsing, permissions, DataLoaders, the ``Node`` interface and ``Priority`` enum, input
checks, reading the bus for subscriptions, outage handling, error logging, execution, the view.

May import: nothing else in ``pagerline.graphql``."""
