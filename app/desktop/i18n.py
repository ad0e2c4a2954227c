"""The desktop's texts in English and French; the language follows QLocale (``set_language`` overrides)."""

from __future__ import annotations

from typing import Any

STRINGS: dict[str, tuple[str, str]] = {  # key: (English, French)
    "app_title": ("CityPilot desktop", "CityPilot bureau"),
    "sign_in": ("Sign in", "Connexion"),
    "server": ("Server", "Serveur"),
    "user": ("User", "Utilisateur"),
    "password": ("Password", "Mot de passe"),
    "token": ("or API token", "ou jeton d'API"),
    "sign_in_failed": ("Sign-in failed: {reason}", "Échec de la connexion : {reason}"),
    "missing_server": ("Give the server's address.", "Indiquez l'adresse du serveur."),
    "missing_user": ("Give a user and a password, or a token.",
                     "Indiquez un utilisateur et un mot de passe, ou un jeton."),
    "layers": ("Layers", "Couches"),
    "assets": ("Assets", "Équipements"),
    "search": ("Code or name…", "Code ou nom…"),
    "all_kinds": ("All kinds", "Tous les types"),
    "more": ("More", "Suite"),
    "count": ("{shown} of {total}", "{shown} sur {total}"),
    "code": ("Code", "Code"),
    "name": ("Name", "Nom"),
    "kind": ("Kind", "Type"),
    "status": ("Status", "État"),
    "version": ("Version", "Version"),
    "attributes": ("Attributes", "Attributs"),
    "save": ("Save", "Enregistrer"),
    "saved": ("Saved: version {version}", "Enregistré : version {version}"),
    "nothing_changed": ("Nothing changed.", "Aucune modification."),
    "fix_fields": ("The server refused: {reason}", "Le serveur a refusé : {reason}"),
    "no_selection": ("Select an asset on the map or in the table.",
                     "Sélectionnez un équipement sur la carte ou dans le tableau."),
    "required": ("required", "obligatoire"),
    "to_complete": ("to complete", "à compléter"),
    "conflict_title": ("Someone saved this asset meanwhile", "Quelqu'un a enregistré cet équipement entre-temps"),
    "conflict_text": ("Version {theirs} is on the server; you edited version {mine}.",
                      "La version {theirs} est sur le serveur ; vous avez modifié la version {mine}."),
    "field": ("Field", "Champ"),
    "mine": ("Mine", "La mienne"),
    "theirs": ("Server's", "Celle du serveur"),
    "keep_mine": ("Keep mine", "Garder la mienne"),
    "take_theirs": ("Take theirs", "Prendre celle du serveur"),
    "signed_in_as": ("{user} ({role}) on {server}", "{user} ({role}) sur {server}"),
    "error": ("Error", "Erreur"),
    "yes": ("yes", "oui"),
    "no": ("no", "non"),
    "unknown": ("unknown", "inconnu"),
}

_language: str | None = None


def language() -> str:
    """'fr' or 'en': set explicitly, else the system locale's (QLocale)."""
    if _language:
        return _language
    from PyQt6.QtCore import QLocale

    return "fr" if QLocale().name().startswith("fr") else "en"


def set_language(lang: str | None) -> None:
    global _language
    _language = lang if lang in ("en", "fr") else None


def tr(key: str, **values: Any) -> str:
    """The text ``key`` in the current language, formatted with ``values``."""
    english, french = STRINGS[key]
    return (french if language() == "fr" else english).format(**values)


def pick(labels: dict[str, Any] | None, fallback: str) -> str:
    """A server label map (``{"en": ..., "fr": ...}``) in the current language."""
    labels = labels or {}
    return str(labels.get(language()) or labels.get("en") or fallback)
