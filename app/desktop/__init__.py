"""The planners' desktop (PyQt6): a client of a CityPilot server's HTTP API only, holding no rule of the city.

``api`` and ``credentials`` do not import Qt; every other module is the Qt interface.

In progress (issue 15): the client, sign-in, form, conflict dialog, table, layer tree and map view are
here; the main window, ``citypilot desktop`` and the pytest-qt tests are not yet, so nothing runs it.
"""
