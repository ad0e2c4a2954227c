"""The thin QGIS glue: imports only ``qgis.PyQt``, ``qgis.core`` and ``qgis.gui``; the rules are in ``logic``."""
