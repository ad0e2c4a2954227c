"""MQTT: CityPilot's own topic contract and the LoRaWAN network servers' uplinks (docs/MQTT.md)."""
