"""The API client against the real server: tokens, pages, and each error as its own exception."""

from __future__ import annotations

import pytest

from citypilot_qgis.logic.client import Client, Forbidden, Invalid, NotFound, Unauthorized, Unreachable, normalise_base


def test_base_url_is_normalised_and_checked() -> None:
    assert normalise_base(" https://city.example.org/api/v1/ ") == "https://city.example.org"
    with pytest.raises(ValueError, match="server URL"):
        normalise_base("city.example.org")


def test_me_names_the_user_and_role(city) -> None:
    me = city.client("planner").me()
    assert (me["name"], me["role"], me["via"]) == ("planner", "planner", "token")


def test_a_wrong_token_is_unauthorized(city) -> None:
    with pytest.raises(Unauthorized):
        Client(city.base, "cp_not-a-token").me()


def test_an_unreachable_server_says_so() -> None:
    with pytest.raises(Unreachable, match="cannot reach"):
        Client("http://127.0.0.1:9", "x", timeout=2).me()


def test_pages_follow_next_links(city) -> None:
    client = city.client("planner")
    first = client.get("/assets", kind="cabinet", limit=7)
    paged = list(client.pages("/assets", limit=7, kind="cabinet"))
    assert len(first["items"]) == 7
    assert len(paged) > 7
    assert len({a["id"] for a in paged}) == len(paged)


def test_role_refusals_and_missing_assets(city) -> None:
    operator = city.client("operator")
    with pytest.raises(Forbidden):
        operator.update_asset(1, 1, {"name": "x"})
    with pytest.raises(NotFound):
        city.client("planner").asset(999_999_999)


def test_validation_errors_name_the_field(city) -> None:
    planner = city.client("planner")
    cabinet = next(planner.pages("/assets", limit=1, kind="cabinet"))
    with pytest.raises(Invalid) as refused:
        planner.update_asset(cabinet["id"], cabinet["version"], {"contract_power_kva": "lots"})
    assert [p.field for p in refused.value.problems] == ["contract_power_kva"]


def test_french_messages(city) -> None:
    with pytest.raises(Invalid) as refused:
        city.client("planner", "fr").create_asset("cabinet", {}, None)
    assert refused.value.problems
    assert "Invalid" not in refused.value.message
