"""French and English: from the browser's Accept-Language, switched with ?lang= (kept in a cookie);
every message of the interface has its French translation, and the compiled catalog is current."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask

import resources
from tests.web.helpers import ContractClient, People, give_password, sign_in

CATALOG = resources.path("translations", "fr", "LC_MESSAGES")
WEB = Path(__file__).resolve().parents[2] / "app" / "web"


def test_login_page_follows_the_browser(client: ContractClient) -> None:
    french = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="fr">' in french and "Connexion" in french and "Mot de passe" in french
    english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "Sign in" in english and "Password" in english
    assert "Mot de passe" in client.get("/login?lang=fr").get_data(as_text=True)


def test_lang_parameter_switches_and_is_remembered(app: Flask) -> None:
    client = app.test_client()
    switched = client.get("/login?lang=fr", headers={"Accept-Language": "en"})
    assert "Identifiant" in switched.get_data(as_text=True)
    assert "lang=fr" in switched.headers["Set-Cookie"]
    later = client.get("/login", headers={"Accept-Language": "en"})  # the cookie wins over the browser
    assert "Identifiant" in later.get_data(as_text=True)
    back = client.get("/login?lang=en", headers={"Accept-Language": "fr"})
    assert "User name" in back.get_data(as_text=True)


def test_api_messages_and_labels_in_french(app: Flask, client: ContractClient, people: People) -> None:
    refused = client.get("/api/v1/stats", headers={"Accept-Language": "fr"})
    assert refused.status_code == 401 and refused.get_json()["message"].startswith("Connectez-vous d'abord")
    forbidden = client.get("/api/v1/users", headers={**people["planner"].auth, "Accept-Language": "fr"})
    assert forbidden.get_json()["message"] == "Votre rôle (chargé d'études) ne permet pas cette action."
    assert client.get("/api/v1/stats?lang=en").get_json()["message"].startswith("Sign in first")
    kinds = client.get("/api/v1/kinds?lang=fr", headers=people["crew"].auth).get_json()["items"]
    assert {k["name"]: k["label"] for k in kinds}["cabinet"] == "armoire de commande"


def test_home_page_in_french_uses_the_users_words(app: Flask, client: ContractClient, people: People) -> None:
    give_password(app, "planner")
    sign_in(client, "planner")
    page = client.get("/?lang=fr").get_data(as_text=True)
    assert "Connecté en tant que chargé d&#39;études" in page
    assert "Points lumineux, armoires de commande" in page and "Se déconnecter" in page


def test_every_message_is_translated_and_compiled() -> None:
    with (CATALOG / "messages.po").open("rb") as po:
        catalog = read_po(po)
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    keywords = {"_": None, "gettext": None, "lazy_gettext": None}
    wanted = {message for _, _, message, _, _ in extract_from_dir(str(WEB), method_map, keywords=keywords)}
    missing = sorted(m for m in wanted if not (catalog.get(m) and catalog.get(m).string))
    assert missing == [], "messages without a French translation"
    with (CATALOG / "messages.mo").open("rb") as mo:
        compiled = read_mo(mo)
    assert {m.id: m.string for m in compiled if m.id} == {m.id: m.string for m in catalog if m.id}, (
        "messages.mo is stale: pybabel compile -d resources/translations"
    )
