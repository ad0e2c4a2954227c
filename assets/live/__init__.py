"""Live data of the assets: what devices say (live state, telemetry, tracks, events, dead letters).

Connectors write it through :class:`assets.live.writer.LiveWriter`; everyone reads it through
:mod:`assets.live.queries`; :func:`assets.live.stats.live_stats` gives the operations figures;
:mod:`assets.live.partitions` keeps the history partitioned and within its retention. This package
imports nothing at load time so that ``assets.models`` can pull in the table definitions.
"""
