"""LoRaWAN: network-server uplink formats (ChirpStack v4, The Things Stack v3) and device codecs."""
