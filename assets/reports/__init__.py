"""Citizen reports (Open311 GeoReport v2): services, intake snapped to assets and checked against telemetry."""
