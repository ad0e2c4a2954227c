"""How CityPilot talks to devices: MQTT, LoRaWAN network servers, Modbus, GPS trackers; ingest and
simulators. Each connector implements one small contract and registers itself. Imports assets, gis."""
