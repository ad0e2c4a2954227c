"""Fleet GPS: trackers over MQTT (CityPilot format, ``gps`` channel) and phones over OsmAnd HTTP."""
