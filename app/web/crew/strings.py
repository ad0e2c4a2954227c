"""The tablet's words for its JavaScript, from the same catalogue as the templates (``lazy_gettext``, so
``make translations`` finds them), embedded in the page in the reader's language (:func:`js_strings`)."""

from __future__ import annotations

from flask_babel import lazy_gettext

from fieldservice.states import STATES, WAITING_REASONS

_ = lazy_gettext

WAITING = {
    "road_permit": _("Road permit"),
    "supplier": _("Supplier"),
    "police": _("Police"),
    "access_refused": _("Access refused"),
    "awaiting_device": _("Until the device reports ok"),
}

ORDER_STATES = {
    "new": _("New"),
    "assigned": _("Assigned"),
    "en_route": _("En route"),
    "on_site": _("On site"),
    "made_safe": _("Made safe"),
    "waiting": _("Waiting"),
    "done": _("Done"),
    "verified": _("Verified"),
    "cancelled": _("Cancelled"),
}

STRINGS = {
    # network and queue
    "online": _("Online"),
    "offline": _("Offline: your work is kept on the tablet"),
    "waiting_none": _("Everything is sent"),
    "waiting_one": _("1 action waiting to be sent"),
    "waiting_n": _("%(count)s actions waiting to be sent"),
    "sending": _("Sending…"),
    "signed_out": _("Your session has ended: sign in again to send your work (it is kept)."),
    "sign_in_again": _("Sign in again"),
    "refused_title": _("Not applied"),
    "refused_reason": _("Order %(id)s: %(action)s was not applied. %(message)s"),
    "refused_state": _("The order is now %(state)s, crew %(crew)s."),
    "refused_other_crew": _("another crew"),
    "refused_no_crew": _("none"),
    "dismiss": _("Understood"),
    "saved_offline": _("Saved on the tablet; it will be sent when the network returns."),
    "action_move": _("the move to “%(state)s”"),
    "action_tick": _("the checklist item “%(label)s”"),
    "action_labour": _("the labour"),
    "action_part": _("the part %(reference)s"),
    "action_note": _("the note"),
    "action_photo": _("a photo"),
    "action_signature": _("the signature"),
    # list
    "my_orders": _("My orders"),
    "map": _("Map"),
    "orders_none": _("No open order for your crew."),
    "orders_count": _("%(count)s open orders"),
    "orders_cached": _("Orders as of %(when)s (offline)"),
    "load_more": _("More orders"),
    "time_left": _("%(clock)s: %(time)s left"),
    "time_late": _("%(clock)s: late by %(time)s"),
    "no_clock": _("no running deadline"),
    "clock_response": _("response"),
    "clock_make_safe": _("make safe"),
    "clock_resolution": _("resolution"),
    "distance": _("%(distance)s away"),
    "distance_unknown": _("position unknown"),
    "priority_urgent": _("Urgent"),
    "priority_high": _("High"),
    "priority_normal": _("Normal"),
    "priority_low": _("Low"),
    "category_lighting": _("Lighting"),
    "category_signals": _("Traffic signals"),
    "category_video": _("Video"),
    "category_fibre": _("Fibre"),
    "category_buildings": _("Buildings"),
    "my_position": _("My position"),
    "position_unavailable": _("Position not available: allow the location for this site."),
    # order page
    "back": _("Back to my orders"),
    "order_title": _("Order %(id)s"),
    "navigate": _("Navigate"),
    "asset": _("Asset"),
    "assets": _("Assets"),
    "live_state": _("Live state"),
    "history": _("History"),
    "feeds": _("What it feeds"),
    "feeds_none": _("Nothing downstream."),
    "attributes": _("Attributes"),
    "no_history": _("No change recorded."),
    "not_cached": _("Not available offline: open it once online."),
    "checklist": _("Checklist"),
    "required": _("required"),
    "labour": _("Labour"),
    "labour_start": _("Start"),
    "labour_end": _("End"),
    "labour_add": _("Record the labour"),
    "labour_hours": _("%(hours)s h"),
    "parts": _("Parts"),
    "part_reference": _("Reference"),
    "part_label": _("Label"),
    "part_quantity": _("Quantity"),
    "part_unit": _("Unit"),
    "part_add": _("Add the part"),
    "notes": _("Notes"),
    "note_add": _("Add the note"),
    "note_placeholder": _("What you saw, what you did"),
    "photos": _("Photos"),
    "take_photo": _("Take a photo"),
    "photo_waiting": _("waiting to be sent"),
    "signature": _("Signature"),
    "signature_hint": _("Sign with a finger in the box"),
    "signature_clear": _("Clear"),
    "signature_save": _("Save the signature"),
    "signature_empty": _("The box is empty: sign first."),
    "signature_saved": _("Signature saved"),
    "transitions": _("Next step"),
    "move_en_route": _("On my way"),
    "move_on_site": _("On site"),
    "move_made_safe": _("Made safe"),
    "move_waiting": _("Waiting"),
    "move_done": _("Done"),
    "move_assigned": _("Back to assigned"),
    "move_new": _("Back to new"),
    "move_cancelled": _("Cancel"),
    "move_verified": _("Verified"),
    "waiting_reason": _("Why it waits"),
    "pending": _("waiting to be sent"),
    "presence_proven": _("Presence proven (%(distance)s from the asset)"),
    "presence_flagged": _("Arrival not proven by a position"),
    "done_needs": _("To close: tick the required items and be on site."),
    "error": _("Error: %(message)s"),
    "state": _("State"),
    "priority": _("Priority"),
    "description": _("Description"),
    "yes": _("yes"),
    "no": _("no"),
}


def js_strings() -> dict[str, str]:
    """Every text of the tablet's scripts, in the current language."""
    return {key: str(value) for key, value in STRINGS.items()}


def order_state_labels() -> dict[str, str]:
    """Every state of an order, as the crews call it."""
    return {state: str(ORDER_STATES.get(state, state)) for state in STATES}


def waiting_labels() -> dict[str, str]:
    """The reasons an order may wait, as the crews call them (the domain's list, in its order)."""
    return {reason: str(WAITING.get(reason, reason)) for reason in WAITING_REASONS}
