"""What differs between Qt5 QGIS 3 (Debian's 3.22) and Qt6 QGIS 4, in one place: field types and ``QAction``."""

from __future__ import annotations

from qgis.core import Qgis

if Qgis.QGIS_VERSION_INT >= 33800:  # QGIS 3.38 and 4 take QMetaType.Type (QVariant.Type is gone with Qt6)
    from qgis.PyQt.QtCore import QMetaType

    INT, DOUBLE, BOOL, STRING = (QMetaType.Type.Int, QMetaType.Type.Double, QMetaType.Type.Bool,
                                 QMetaType.Type.QString)
else:
    from qgis.PyQt.QtCore import QVariant

    INT, DOUBLE, BOOL, STRING = QVariant.Type.Int, QVariant.Type.Double, QVariant.Type.Bool, QVariant.Type.String

try:  # Qt6 moved QAction to QtGui
    from qgis.PyQt.QtGui import QAction
except ImportError:
    from qgis.PyQt.QtWidgets import QAction

__all__ = ["BOOL", "DOUBLE", "INT", "STRING", "QAction"]
