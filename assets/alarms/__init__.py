"""Alarms and rules: what the live data means for the people in the control room.

- :mod:`~assets.alarms.catalogue`: types, severities, states, what groups what;
- :mod:`~assets.alarms.models`: the tables; :mod:`~assets.alarms.queries`: items and lists for clients;
- :mod:`~assets.alarms.lifecycle`: raise once, group, acknowledge, clear, history, announcements;
- :mod:`~assets.alarms.correlation`: what a cabinet trip or a fibre failure affects;
- :mod:`~assets.alarms.rules` and :mod:`~assets.alarms.thresholds`: the rules, facts in and decisions out;
- :mod:`~assets.alarms.engine`: the process that applies them (``citypilot alarms run``).

Like :mod:`assets.live`, this package imports nothing at load time, so that ``assets.models`` can pull in
the tables.
"""
