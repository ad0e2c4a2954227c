"""Spatial building blocks: CRS, geometry checks, tile maths, nearest neighbour, formats.

Imports nothing from the rest of CityPilot.
"""
