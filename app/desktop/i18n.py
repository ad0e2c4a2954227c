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
    "keep": ("Keep", "Garder"),
    "merge": ("Merge field by field", "Fusionner champ par champ"),
    "took_theirs": ("The server's version {version} is shown.", "La version {version} du serveur est affichée."),
    "tools": ("Tools", "Outils"),
    "add_point": ("Add", "Ajouter"),
    "select_box": ("Select (rectangle)", "Sélectionner (rectangle)"),
    "selected": ("{count} selected", "{count} sélectionné(s)"),
    "selection_capped": ("{count} of {total} selected (zoom in for the rest)",
                         "{count} sur {total} sélectionnés (zoomez pour le reste)"),
    "bulk_edit": ("Edit the selection", "Modifier la sélection"),
    "attach_circuit": ("Attach to a circuit", "Rattacher à un départ"),
    "circuit_id": ("Circuit (asset id)", "Départ (identifiant)"),
    "nothing_to_attach": ("Nothing in the selection hangs on a circuit.",
                          "Rien dans la sélection ne se rattache à un départ."),
    "saved_many": ("{count} assets saved", "{count} équipements enregistrés"),
    "retire": ("Retire", "Retirer"),
    "undo": ("Undo", "Annuler"),
    "redo": ("Redo", "Rétablir"),
    "import": ("Import…", "Importer…"),
    "new_asset": ("New asset", "Nouvel équipement"),
    "fill_new": ("New {kind}: fill in the form and save.", "Nouveau {kind} : remplissez le formulaire et enregistrez."),
    "live_on": ("● live", "● en direct"),
    "live_off": ("○ reconnecting…", "○ reconnexion…"),
    "alarm": ("Alarm: {text}", "Alarme : {text}"),
    "live_state": ("Live state", "État en direct"),
    "state_ok": ("working", "en service"),
    "state_fault": ("fault", "en panne"),
    "state_unreachable": ("unreachable", "injoignable"),
    "state_unknown": ("unknown", "inconnu"),
    "import_title": ("Import a survey", "Importer un relevé"),
    "choose_file": ("Choose a file…", "Choisir un fichier…"),
    "dry_run": ("Dry run", "Essai à blanc"),
    "do_import": ("Import", "Importer"),
    "save_rejects": ("Save the rejects…", "Enregistrer les rejets…"),
    "import_report": ("{read} read, {imported} imported, {rejected} rejected, {duplicates} duplicates",
                      "{read} lues, {imported} importées, {rejected} rejetées, {duplicates} doublons"),
    "import_dry": ("Dry run: nothing saved. ", "Essai à blanc : rien d'enregistré. "),
    "row": ("Row", "Ligne"),
    "reason": ("Reason", "Motif"),
    "mapping": ("Columns of the file and where each goes (the server's suggestion first)",
                "Colonnes du fichier et leur destination (la suggestion du serveur d'abord)"),
    "plan_works": ("Plan works…", "Planifier des travaux…"),
    "plan_title": ("Work orders for {count} asset(s)", "Ordres de travail pour {count} équipement(s)"),
    "category": ("Category", "Catégorie"),
    "category_auto": ("(by the assets' family)", "(selon la famille des équipements)"),
    "category_lighting": ("Lighting", "Éclairage"),
    "category_signals": ("Traffic signals", "Feux tricolores"),
    "category_video": ("Video", "Vidéo"),
    "category_fibre": ("Fibre", "Fibre"),
    "category_buildings": ("Buildings", "Bâtiments"),
    "priority": ("Priority", "Priorité"),
    "priority_urgent": ("Urgent", "Urgente"),
    "priority_high": ("High", "Haute"),
    "priority_normal": ("Normal", "Normale"),
    "priority_low": ("Low", "Basse"),
    "description": ("Description", "Description"),
    "one_per_asset": ("One order per asset", "Un ordre par équipement"),
    "orders_made": ("{count} work order(s) opened: {ids}", "{count} ordre(s) de travail ouvert(s) : {ids}"),
    "orders_layer": ("Open orders", "Ordres ouverts"),
    "alarms_layer": ("Alarms", "Alarmes"),
    "layer_shown": ("{layer}: {shown} on the map of {total}", "{layer} : {shown} sur la carte, sur {total}"),
    "feeds": ("What does it feed?", "Qu'alimente-t-il ?"),
    "feeds_none": ("{code} feeds nothing.", "{code} n'alimente rien."),
    "feeds_shown": ("{code} feeds {total} asset(s), highlighted on the map.",
                    "{code} alimente {total} équipement(s), en surbrillance sur la carte."),
    "order_picked": ("Work order #{id}", "Ordre de travail n° {id}"),
    "draw_fibre": ("Draw fibre", "Tracer une fibre"),
    "draw_hint": ("Click each vertex (within {metres} m of a node, cabinet or camera it snaps onto it); "
                  "double-click to finish.",
                  "Cliquez chaque sommet (à moins de {metres} m d'un nœud, d'une armoire ou d'une caméra, il s'y "
                  "accroche) ; double-cliquez pour finir."),
    "snapped": ("Snapped onto {code}", "Accroché à {code}"),
    "not_snapped": ("Free vertex (nothing near to snap onto)", "Sommet libre (rien d'assez proche)"),
    "draw_more": ("A segment needs at least two vertices.", "Un tronçon a besoin d'au moins deux sommets."),
    "ends_missing": ("Its ends must join fibre nodes: {fields} not set.",
                     "Ses extrémités doivent rejoindre des nœuds fibre : {fields} non renseigné(s)."),
    "lasso": ("Lasso", "Lasso"),
    "status_planned": ("Planned", "Projeté"),
    "status_in_service": ("In service", "En service"),
    "status_out_of_service": ("Out of service", "Hors service"),
    "status_removed": ("Removed", "Déposé"),
    "vehicles_layer": ("Vehicles", "Véhicules"),
    "find_place": ("Find a street or a code…", "Chercher une rue ou un code…"),
    "place_street": ("street", "rue"),
    "place_commune": ("commune", "commune"),
    "place_asset": ("asset", "équipement"),
    "no_place": ("Nothing matches “{text}”.", "Rien ne correspond à « {text} »."),
    "file": ("File", "Fichier"),
    "layer": ("Layer", "Couche"),
    "crs": ("CRS", "Système de coordonnées"),
    "crs_hint": ("the file's own (or EPSG:2154, EPSG:4326…)", "celui du fichier (ou EPSG:2154, EPSG:4326…)"),
    "column": ("Column", "Colonne"),
    "target": ("Goes to", "Destination"),
    "rows": ("Rows", "Lignes"),
    "close": ("Close", "Fermer"),
    "rejects": ("Rejected rows", "Lignes rejetées"),
    "importing": ("Importing {name}…", "Import de {name}…"),
    "checking": ("Checking {name} (dry run)…", "Vérification de {name} (essai à blanc)…"),
    "import_crs": ("CRS {crs} ({source})", "Système {crs} ({source})"),
    "preview_partial": ("The map shows {drawn} of {rows} rows.", "La carte montre {drawn} lignes sur {rows}."),
    "rejects_saved": ("Rejects saved to {path}", "Rejets enregistrés dans {path}"),
    "ignore_column": ("(ignore)", "(ignorer)"),
    "geometry_column": ("(geometry)", "(géométrie)"),
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
