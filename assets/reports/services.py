"""What citizens may report (the Open311 services), and which asset kinds each is about."""

from __future__ import annotations

from dataclasses import dataclass

from assets.errors import FieldError, ValidationError


@dataclass(frozen=True)
class Service:
    """One kind of report: its code, names in English and French, the kinds of asset it concerns,
    and whether a device saying "fault" confirms it (a lamp out) or contradicts it when "ok"."""

    code: str
    name_en: str
    name_fr: str
    kinds: tuple[str, ...]
    group: str
    device_confirms: bool = True
    keywords: tuple[str, ...] = ()


SERVICES: tuple[Service, ...] = (
    Service("lamp_out", "Street light out", "Lampadaire éteint", ("luminaire",), "lighting",
            keywords=("lamp", "streetlight", "lampadaire", "éclairage")),
    Service("lamp_flickering", "Street light flickering", "Lampadaire qui clignote", ("luminaire",), "lighting",
            keywords=("flicker", "clignote")),
    Service("lamp_day_burning", "Light on in daytime", "Éclairage allumé en journée", ("luminaire",), "lighting",
            device_confirms=False, keywords=("jour", "daytime")),
    Service("cabinet_damaged", "Open or damaged lighting cabinet", "Armoire d'éclairage ouverte ou abîmée",
            ("cabinet",), "lighting", device_confirms=False, keywords=("armoire", "cabinet")),
    Service("signal_out", "Traffic signal not working", "Feu tricolore en panne", ("signal_head", "signal_controller"),
            "traffic", keywords=("feu", "signal")),
    Service("camera_damaged", "Damaged CCTV camera", "Caméra de vidéoprotection abîmée", ("camera",), "video",
            device_confirms=False, keywords=("caméra", "camera")),
)
#: How far from the reported point the asset may stand (metres).
SNAP_M = 30.0


def service(code: str) -> Service:
    """The service ``code``; ValidationError naming ``service_code`` otherwise."""
    for found in SERVICES:
        if found.code == code:
            return found
    known = ", ".join(s.code for s in SERVICES)
    raise ValidationError(FieldError("service_code", f"{code!r} is not a service (services: {known})"))
