"""The report's words in French and English."""

from __future__ import annotations

LANGS = ("fr", "en")

TEXTS: dict[str, dict[str, str]] = {
    "title": {"fr": "Rapport mensuel du contrat — {month}", "en": "Monthly contract report — {month}"},
    "computed": {"fr": "Calculé le {at} à partir des données brutes", "en": "Computed on {at} from raw data"},
    "clauses": {"fr": "Clauses", "en": "Clauses"},
    "clause": {"fr": "Clause", "en": "Clause"},
    "figure": {"fr": "Valeur", "en": "Figure"},
    "target": {"fr": "Objectif", "en": "Target"},
    "verdict": {"fr": "Verdict", "en": "Verdict"},
    "met": {"fr": "respectée", "en": "met"},
    "not_met": {"fr": "NON respectée", "en": "NOT met"},
    "no_data": {"fr": "pas de données", "en": "no data"},
    "energy": {"fr": "Économies d'énergie", "en": "Energy savings"},
    "equipment": {"fr": "Disponibilité des équipements", "en": "Equipment availability"},
    "it": {"fr": "Disponibilité informatique", "en": "IT availability"},
    "delays": {"fr": "Délais d'intervention", "en": "Intervention delays"},
    "penalties": {"fr": "Pénalités du mois", "en": "Penalties of the month"},
    "method": {"fr": "Méthode", "en": "Method"},
    "completeness": {"fr": "Complétude des données", "en": "Data completeness"},
    "map": {"fr": "Économies par armoire", "en": "Savings per cabinet"},
    "commune": {"fr": "Commune", "en": "Commune"},
    "insee": {"fr": "Code INSEE", "en": "INSEE code"},
    "contract": {"fr": "Contrat de performance énergétique — éclairage public", "en":
                 "Energy performance contract — public lighting"},
    "summary": {"fr": "Synthèse", "en": "Summary"},
    "evidence": {"fr": "Chaque valeur se retrace jusqu'à ses lignes : citypilot contract explain …",
                 "en": "Every figure traces to its rows: citypilot contract explain …"},
    "page_of": {"fr": "Rapport {month}", "en": "Report {month}"},
    "cabinet": {"fr": "Armoire", "en": "Cabinet"},
    "baseline_kwh": {"fr": "Référence (kWh)", "en": "Baseline (kWh)"},
    "actual_kwh": {"fr": "Réel (kWh)", "en": "Actual (kWh)"},
    "savings": {"fr": "Économies", "en": "Savings"},
    "measured": {"fr": "mesuré", "en": "measured"},
    "modelled": {"fr": "modélisé", "en": "modelled"},
    "night": {"fr": "Nuit", "en": "Night"},
    "component": {"fr": "Composant", "en": "Component"},
    "breaches": {"fr": "Dépassements", "en": "Breaches"},
    "order": {"fr": "Ordre", "en": "Order"},
    "clock": {"fr": "Délai", "en": "Clock"},
    "due": {"fr": "Échéance", "en": "Due"},
    "late_min": {"fr": "Retard (min)", "en": "Late (min)"},
    "penalty": {"fr": "Pénalité (EUR)", "en": "Penalty (EUR)"},
    "method_energy": {
        "fr": "IPMVP option C par armoire : référence = puissance avant rénovation × heures de fonctionnement "
              "(coucher–lever du soleil à Dijon, moins la coupure de nuit) ; réel = compteurs (différences "
              "d'index, remises à zéro et trous traités) ou modèle (puissance et gradation) ; économies = 1 − réel ÷ "
              "référence.",
        "en": "IPMVP option C per cabinet: baseline = pre-renovation power × burning hours (sunset to sunrise at "
              "Dijon, less the night cut); actual = meters (counter differences, resets and gaps handled) or the "
              "model (power and dimming); savings = 1 − actual ÷ baseline."},
    "method_equipment": {
        "fr": "1 − heures-lampe perdues ÷ heures-lampe dues ; une panne compte depuis l'heure où elle est connue, "
              "au-delà de la tolérance de {tol:g} h.",
        "en": "1 − lamp-hours lost ÷ lamp-hours due; an outage counts from the time it was known, beyond the "
              "{tol:g} h tolerance."},
    "method_it": {
        "fr": "minutes disponibles ÷ (minutes du mois − maintenance planifiée) ; une minute sans battement de "
              "cœur compte comme indisponible.",
        "en": "up minutes ÷ (month minutes − planned maintenance); a minute without heartbeat counts as down."},
    "method_delays": {
        "fr": "à l'heure ÷ (clos + ouverts en retard), sur les trois délais ; pénalités selon le barème.",
        "en": "on time ÷ (closed + open overdue), over the three clocks; penalties from the schedule."},
    "complete_energy": {
        "fr": "{measured} de la référence mesurée ; {modelled} armoires modélisées sur {cabinets} ; lampes "
              "estimées {estimated}, exclues {left_out} ; remises à zéro {resets}, trous {gaps}.",
        "en": "{measured} of the baseline measured; {modelled} of {cabinets} cabinets modelled; lamps estimated "
              "{estimated}, left out {left_out}; meter resets {resets}, gaps {gaps}."},
    "complete_it": {
        "fr": "{missing} minutes sans battement de cœur ; {maintenance} minutes de maintenance exclues.",
        "en": "{missing} minutes without heartbeat; {maintenance} maintenance minutes excluded."},
    "complete_equipment": {
        "fr": "{lamps} points lumineux ; {outages} pannes, dont {counted} comptées.",
        "en": "{lamps} light points; {outages} outages, {counted} counted."},
}


def tr(key: str, lang: str, **values: object) -> str:
    """The text of ``key`` in ``lang``, formatted with ``values``."""
    return TEXTS[key][lang].format(**values)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f} %"
