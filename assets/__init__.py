"""What the equipment is and says: inventory models, hierarchy and topology, validation, history,
import/export; later live state, telemetry, tracks and alarms. Imports only ``gis``."""
