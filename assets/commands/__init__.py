"""Commands to devices: the state and rules (no talking to devices: that is ``connectors.commands``).

- :mod:`assets.commands.service`: give, confirm, cancel a command (what every client calls), and the
  audited, announced state changes of its targets;
- :mod:`assets.commands.states`: the state machine; :mod:`assets.commands.actions`: what can be
  commanded and with which parameters; :mod:`assets.commands.targets`: which devices a selection is;
- :mod:`assets.commands.verify` and :mod:`assets.commands.progress`: what proves a device obeyed,
  timeouts and retries, as the worker applies them;
- :mod:`assets.commands.views`: commands as plain data; :mod:`assets.commands.watch`: following one.

This package imports nothing at load time so that ``assets.models`` can pull in its tables.
"""
