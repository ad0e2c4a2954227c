"""The "find a street or a code" box: matches from ``GET /api/v1/places`` as one types, the chosen one shown."""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import QStringListModel, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import QCompleter, QLineEdit, QWidget

from app.desktop.api import ApiClient, ApiError
from app.desktop.i18n import tr

TYPING_PAUSE_MS = 250
MAX_MATCHES = 10


def place_text(place: dict[str, Any]) -> str:
    """How a match reads in the list: label, what it is, and its commune."""
    where = f", {place['commune']}" if place.get("commune") and place["commune"] != place["label"] else ""
    return f"{place['label']} ({tr('place_' + place['type'])}{where})"


class PlaceSearch(QLineEdit):
    """A search field offering the server's matches; choosing one emits :attr:`placeChosen` (the API item)."""

    placeChosen = pyqtSignal(dict)
    failed = pyqtSignal(str)

    def __init__(self, client: ApiClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.matches: list[dict[str, Any]] = []
        self.setObjectName("place_search")
        self.setPlaceholderText(tr("find_place"))
        self.setClearButtonEnabled(True)
        self.setMinimumWidth(260)
        self.model = QStringListModel(self)
        self.offer = QCompleter(self.model, self)
        self.offer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.offer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.offer.activated[str].connect(self.choose_text)  # type: ignore[index]
        self.setCompleter(self.offer)
        self.pause = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS)
        self.pause.timeout.connect(self.look_up)
        self.textEdited.connect(lambda _text: self.pause.start())
        self.returnPressed.connect(self.choose_first)

    def look_up(self) -> None:
        """Ask the server for what matches the typed text and offer it."""
        text = self.text().strip()
        if len(text) < 2:
            self.matches = []
            self.model.setStringList([])
            return
        try:
            self.matches = self.client.places(text, MAX_MATCHES)["items"]
        except ApiError as exc:
            self.failed.emit(exc.message)
            return
        self.model.setStringList([place_text(p) for p in self.matches])
        if self.matches:
            self.offer.complete()
        else:
            self.failed.emit(tr("no_place", text=text))

    def choose(self, index: int) -> None:
        """Go to the ``index``-th match."""
        place = self.matches[index]
        self.offer.popup().hide()  # type: ignore[union-attr]
        self.placeChosen.emit(place)

    def choose_text(self, text: str) -> None:
        texts = [place_text(p) for p in self.matches]
        if text in texts:
            self.choose(texts.index(text))

    def choose_first(self) -> None:
        """Enter: the match whose text is in the box, else the best one."""
        if self.pause.isActive() or not self.matches:
            self.pause.stop()
            self.look_up()
        if self.text() in [place_text(p) for p in self.matches]:
            self.choose_text(self.text())
        elif self.matches:
            self.choose(0)
