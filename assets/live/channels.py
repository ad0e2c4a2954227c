"""The PostgreSQL NOTIFY channels other processes (web streams, desktop) listen on.

``citypilot_live``: one JSON payload (< 8000 bytes) per committed change, sent in the transaction
that makes it (so only committed changes are announced):

- ``{"type": "state", "asset_id", "kind", "state", "previous", "since", "ts"}`` when an asset's live
  state changes (or it gets its first one);
- ``{"type": "position", "asset_id", "lon", "lat", "speed_kmh", "heading_deg", "ts"}`` when a
  vehicle's live position moves (the latest per vehicle and batch).

``citypilot_alarms``: alarms raised, acknowledged, cleared (the control issue).

``citypilot_commands``: ``{"type": "command", "id", "state", "asset_id", "target_state"}`` when a command
or one of its targets changes state (``asset_id`` / ``target_state`` null for the command itself).
"""

LIVE_CHANNEL = "citypilot_live"
ALARM_CHANNEL = "citypilot_alarms"
COMMAND_CHANNEL = "citypilot_commands"
