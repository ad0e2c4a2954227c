"""Modbus TCP: register maps per device model (:mod:`.registers`, :mod:`.codec`), one unit at a time
(:mod:`.client`: reads, writes, the cabinet functions the command service calls), the poller of every
meter and cabinet of the inventory (:mod:`.inventory`, :mod:`.poller`, :mod:`.livesink`,
:mod:`.service`) and the ``modbus`` connector (:mod:`.connector`). Imports nothing at load time."""
