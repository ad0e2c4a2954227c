"""Delivery layer of CityPilot: command line, private servers, web and desktop clients."""
