"""The control room's contract panel, on the real server and the demo city: a gauge per clause with the month's
figure computed from raw data, its target and verdict (green when met, red when not), the month's penalties,
and each clause's trend over the last six months; French and English. Reads only: nothing is left behind."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from assets.db import unit_of_work
from fieldservice import sla
from fieldservice.contract.month import contract_month, months_before
from tests.browser.helpers import open_control_room

GREEN, RED = "rgb(27, 127, 59)", "rgb(179, 38, 30)"
LOADED = "() => document.getElementById('cr-contract').dataset.loaded === 'trend'"


def _pct(value: float, digits: int) -> str:
    return f"{value * 100:.{digits}f}".replace(".", ",") + " %"


def test_the_contract_panel_shows_each_clause_its_verdict_and_trend(page, server, sign_in, city_engine: Engine,
                                                                    errors) -> None:
    now = dt.datetime.now(dt.UTC)
    month = sla.month_of(now)
    with unit_of_work(city_engine, None) as session:
        expected = contract_month(session, month, now=now)
    sign_in(page, "supervisor")
    open_control_room(page, server)
    page.wait_for_function(LOADED, timeout=120_000)
    panel = page.locator("#cr-contract")
    assert panel.locator("h2").inner_text() == "Contrat"
    assert f"Mois {month}" in panel.inner_text()
    clauses = panel.locator("li.cr-clause")
    assert clauses.evaluate_all("(els) => els.map((e) => e.dataset.clause)") == ["energy", "equipment", "it", "delays"]

    energy = panel.locator("li[data-clause='energy']")
    savings = expected["energy"]["savings"]  # the demo city has no meter history: its lamps modelled, ~70 %
    assert savings is not None and expected["energy"]["met"] is True
    assert energy.locator(".cr-clause-value").inner_text() == _pct(savings, 0)
    assert energy.get_attribute("data-state") == "met" and "objectif 65 % · atteint" in energy.inner_text()
    assert energy.locator(".cr-gauge-value").evaluate("(e) => getComputedStyle(e).stroke") == GREEN

    it = panel.locator("li[data-clause='it']")  # no heartbeat recorded this month: not proved up
    assert expected["it"]["met"] is False
    assert it.get_attribute("data-state") == "missed" and "non atteint" in it.inner_text()
    assert it.locator(".cr-gauge-value").evaluate("(e) => getComputedStyle(e).stroke") == RED
    assert "objectif 99,50 %" in it.inner_text()
    equipment = panel.locator("li[data-clause='equipment']")
    assert equipment.locator(".cr-clause-value").inner_text() == _pct(expected["equipment"]["availability"], 1)
    delays = panel.locator("li[data-clause='delays']")
    rate = expected["delays"]["rate"]
    assert delays.locator(".cr-clause-value").inner_text() == ("–" if rate is None else _pct(rate, 0))

    penalties = panel.locator(".cr-contract-penalties")
    assert penalties.get_attribute("data-penalties") == expected["penalties_eur"]
    assert f"({expected['delays']['breaches']} interventions en retard)" in penalties.inner_text()

    months = months_before(month, 6)
    bars = energy.locator(".cr-trend rect")
    assert bars.count() == 6
    assert bars.evaluate_all("(els) => els.map((e) => e.querySelector('title').textContent.split(':')[0])") == months
    assert energy.locator(".cr-trend").get_attribute("aria-label").startswith("Énergie économisée sur les derniers")

    page.goto(f"{server}/control-room?lang=en")
    page.wait_for_function(LOADED, timeout=120_000)
    assert panel.locator("h2").inner_text() == "Contract"
    assert "Energy saved" in panel.inner_text() and "Interventions on time" in panel.inner_text()
    assert "target 65 % · met" in panel.locator("li[data-clause='energy']").inner_text()
    assert not errors
