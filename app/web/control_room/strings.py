"""The control room's words for its JavaScript, from the same catalogue as the templates.

Every text the page's scripts show is here (``lazy_gettext``, so ``make translations`` finds it);
the page embeds them, in the reader's language, as a JSON dictionary (:func:`js_strings`).
"""

from __future__ import annotations

from flask_babel import get_locale, lazy_gettext

from assets.kinds import all_kinds, spec_for
from assets.live.family_stats import family_of

_ = lazy_gettext

FAMILIES = {
    "lighting": _("Public lighting"),
    "traffic": _("Traffic signals"),
    "video": _("Video protection"),
    "fleet": _("Fleet"),
    "network": _("Fibre network"),
    "environment": _("Environmental sensors"),
    "energy": _("Buildings and energy"),
}

STATES = {
    "ok": _("ok"),
    "fault": _("in fault"),
    "unreachable": _("not reachable"),
    "unknown": _("unknown"),
}

STRINGS = {
    # counters
    "in_service": _("in service"),
    "in_service_hint": _("Inventory status: in service (what the planners decided)"),
    "in_fault": _("in fault"),
    "unreachable_n": _("unreachable"),
    # stream
    "stream_live": _("Live"),
    "stream_reconnecting": _("Reconnecting…"),
    "stream_closed": _("Live stream lost"),
    # map
    "vehicles": _("Vehicles"),
    "base": _("Communes and streets"),
    "background": _("Background map"),
    "cluster_title": _("%(count)s devices here"),
    "cluster_zoom": _("Zoom in"),
    "background_unreachable": _("The background map cannot be reached: the city is drawn from its own data."),
    # alarms
    "alarms_unavailable": _("The alarm service is not available on this server yet."),
    "alarms_empty": _("No active alarm."),
    "alarms_error": _("The alarms could not be read: %(message)s"),
    "alarm_new": _("New %(severity)s alarm: %(type)s, %(asset)s"),
    "alarm_cleared": _("Alarm cleared: %(type)s, %(asset)s"),
    "acknowledge": _("Acknowledge"),
    "acknowledged_by": _("Acknowledged by %(who)s at %(when)s"),
    "acknowledge_failed": _("Could not acknowledge: %(message)s"),
    "show_on_map": _("Show on map"),
    "affected": _("%(count)s affected"),
    "raised_at": _("Raised at %(when)s"),
    "severity_critical": _("critical"),
    "severity_major": _("major"),
    "severity_minor": _("minor"),
    "severity_warning": _("warning"),
    "alarm_lamp_failure": _("Light point failure"),
    "alarm_cabinet_trip": _("Cabinet tripped"),
    "alarm_device_silent": _("Device silent"),
    "alarm_meter_unreachable": _("Meter unreachable"),
    "alarm_sensor_threshold": _("Sensor threshold exceeded"),
    "alarm_vehicle_outside_zone": _("Vehicle outside its zone"),
    "alarm_fibre_failure": _("Fibre failure"),
    "alarm_sla_at_risk": _("Order deadline at risk"),
    "alarm_sla_breached": _("Order deadline breached"),
    # asset panel
    "panel_loading": _("Loading…"),
    "panel_error": _("This asset could not be read: %(message)s"),
    "live_state": _("Live state"),
    "since": _("since %(when)s"),
    "last_seen": _("Last message: %(when)s"),
    "never_seen": _("The device never spoke."),
    "attributes": _("Attributes"),
    "inventory_status": _("Inventory status"),
    "values": _("Last values"),
    "telemetry": _("Telemetry (24 h)"),
    "metric": _("Measure"),
    "no_telemetry": _("No measure in the last 24 hours."),
    "history": _("History"),
    "no_history": _("No change recorded."),
    "history_entry": _("%(action)s by %(actor)s"),
    "action_insert": _("created"),
    "action_update": _("changed"),
    "action_retire": _("retired"),
    "action_delete": _("deleted"),
    "status_planned": _("planned"),
    "status_in_service": _("in service"),
    "status_out_of_service": _("out of service"),
    "status_removed": _("removed"),
    "code": _("Code"),
    "commune": _("Commune"),
    "yes": _("yes"),
    "no": _("no"),
    "zoom_to": _("Zoom to it"),
    "chart_label": _("%(metric)s over the last 24 hours, from %(min)s to %(max)s"),
    # search
    "search_none": _("No asset with this code."),
    # selection and commands
    "draw_hint": _("Click to add corners; double-click, Enter or a click on the first corner closes the area; "
                   "Backspace removes a corner, Escape cancels."),
    "draw_too_small": _("An area needs at least three corners."),
    "estimate": _("About %(count)s of them drawn on the map inside the area."),
    "command_sent": _("Command %(id)s sent to %(count)s devices."),
    "command_failed": _("The command was refused: %(message)s"),
    "command_unavailable": _("The command service is not available on this server yet."),
    "command_title": _("Command %(id)s: %(action)s"),
    "command_awaiting": _("Waiting for a second person to confirm (signals)."),
    "command_confirm": _("Confirm"),
    "command_confirmed": _("Command %(id)s confirmed."),
    "command_cancel": _("Cancel the command"),
    "command_cancelled": _("Command %(id)s cancelled."),
    "command_close": _("Close"),
    "command_more": _("…and %(count)s more devices"),
    "command_requested": _("Requested by %(who)s at %(when)s"),
    "choice_dim": _("dim (level below)"),
    "action_dim": _("dim to %(level)s %%"),
    "action_switch_on": _("switch on"),
    "action_switch_off": _("switch off"),
    "action_flash": _("flashing mode"),
    "action_normal": _("normal mode"),
    "action_reboot": _("reboot"),
    "cmd_running": _("running"),
    "cmd_done": _("done"),
    "cmd_partly_failed": _("partly failed"),
    "cmd_failed": _("failed"),
    "cmd_cancelled": _("cancelled"),
    "cmd_awaiting_confirmation": _("awaiting confirmation"),
    "target_queued": _("queued"),
    "target_sent": _("sent"),
    "target_acknowledged": _("acknowledged"),
    "target_verified": _("verified"),
    "target_failed": _("failed"),
    "target_timed_out": _("timed out"),
    "target_cancelled": _("cancelled"),
    "pending_title": _("Commands awaiting your confirmation"),
    "pending_item": _("%(action)s on %(count)s devices, requested by %(who)s"),
    # work orders panel (orders.js)
    "orders_title": _("Work orders"),
    "orders_empty": _("No work order matches."),
    "orders_unavailable": _("Work orders are not available on this server."),
    "orders_error": _("Work orders could not be read: %(message)s"),
    "filter_state": _("State"),
    "filter_category": _("Category"),
    "filter_priority": _("Priority"),
    "filter_all": _("All"),
    "load_more": _("Show more"),
    "order_state_open": _("Open"),
    "order_state_new": _("New"),
    "order_state_assigned": _("Assigned"),
    "order_state_en_route": _("En route"),
    "order_state_on_site": _("On site"),
    "order_state_made_safe": _("Made safe"),
    "order_state_waiting": _("Waiting"),
    "order_state_done": _("Done"),
    "order_state_verified": _("Verified"),
    "order_state_cancelled": _("Cancelled"),
    "order_category_lighting": _("Lighting"),
    "order_category_signals": _("Traffic signals"),
    "order_category_video": _("Video"),
    "order_category_fibre": _("Fibre"),
    "order_category_buildings": _("Buildings"),
    "order_priority_urgent": _("Urgent"),
    "order_priority_high": _("High"),
    "order_priority_normal": _("Normal"),
    "order_priority_low": _("Low"),
    "clock_response": _("response"),
    "clock_make_safe": _("make safe"),
    "clock_resolution": _("resolution"),
    "clock_paused": _("clock paused"),
    "no_due": _("no deadline running"),
    "time_left": _("%(clock)s: %(time)s left"),
    "late_by": _("%(clock)s: late by %(time)s"),
    "days_short": _("d"),
    "unassigned": _("unassigned"),
    "propose_crew": _("Propose a crew"),
    "propose_failed": _("No proposal: %(message)s"),
    "no_crew": _("No qualified crew available."),
    "proposal_line": _("%(crew)s: %(km)s km, %(min)s min, %(queue)s order(s) ahead"),
    "would_breach": _("would breach"),
    "assign_to": _("Assign to %(crew)s"),
    "assigned_ok": _("Order %(id)s assigned to %(crew)s"),
    "assign_failed": _("Assignment failed: %(message)s"),
    "order_at_risk": _("Order %(id)s: %(clock)s at risk"),
    "order_breached": _("Order %(id)s: %(clock)s deadline breached"),
    "order_new": _("Open a work order"),
    "order_description": _("What is wrong"),
    "order_open": _("Open the order"),
    "order_opened": _("Work order %(id)s opened"),
    "order_open_failed": _("The order was not opened: %(message)s"),
    "alarm_order": _("Work order"),
    "alarm_order_opened": _("Work order %(id)s opened for this alarm"),
    "alarm_order_exists": _("Work order %(id)s answers this alarm"),
    "alarm_order_failed": _("No work order: %(message)s"),
    "show_proof": _("Proof on map"),
    "proof_proven": _("Arrival proven by position (%(m)s m from the asset)"),
    "proof_unproven": _("Arrival NOT proven: the reported position is far from the asset"),
    "proof_no_arrival": _("No arrival reported yet"),
    "proof_tracks": _("%(n)s vehicle visit(s)"),
    "proof_track": _("Vehicle track %(from)s – %(to)s"),
    "proof_by_vehicle": _("stamped by the vehicle"),
    "proof_failed": _("No proof: %(message)s"),
    # contract panel (contract.js)
    "contract_title": _("Contract"),
    "contract_month": _("Month %(month)s, so far"),
    "contract_energy": _("Energy saved"),
    "contract_equipment": _("Light points lit"),
    "contract_it": _("IT availability"),
    "contract_delays": _("Interventions on time"),
    "contract_target": _("target"),
    "contract_met": _("met"),
    "contract_missed": _("not met"),
    "contract_none": _("no figure"),
    "contract_trend": _("%(clause)s over the last months: %(values)s"),
    "contract_penalties": _("Penalties this month: %(amount)s (%(breaches)s late interventions)"),
    "contract_computed": _("Computed from raw data at %(when)s · citypilot contract explain"),
    "contract_error": _("The contract's figures could not be read: %(message)s"),
}


#: Attribute names as people read them (the panel shows others as they are named in the data).
FIELDS = {
    "approach": _("approach"),
    "building_use": _("building use"),
    "bus_priority": _("bus priority"),
    "camera_type": _("camera type"),
    "circuit_number": _("circuit number"),
    "colour_temp_k": _("colour temperature (K)"),
    "contract_power_kva": _("contract power (kVA)"),
    "dev_eui": _("DevEUI"),
    "dimming_profile": _("dimming profile"),
    "energy_meter_id": _("energy meter"),
    "fibre_count": _("fibres"),
    "fibre_node_id": _("fibre node"),
    "floor_area_m2": _("floor area (m²)"),
    "from_node_id": _("from node"),
    "head_type": _("signal head type"),
    "height_m": _("height (m)"),
    "install_date": _("install date"),
    "intersection": _("intersection"),
    "is_led": _("LED"),
    "length_m": _("length (m)"),
    "luminaire_type": _("luminaire type"),
    "manufacturer": _("manufacturer"),
    "meter_model": _("meter model"),
    "modbus_host": _("Modbus host"),
    "modbus_port": _("Modbus port"),
    "model": _("model"),
    "name": _("name"),
    "node_type": _("node type"),
    "parent_id": _("parent"),
    "plate": _("number plate"),
    "power_w": _("power (W)"),
    "power_w_before": _("power before LED (W)"),
    "register_map": _("register map"),
    "sensor_type": _("sensor type"),
    "support_type": _("support type"),
    "to_node_id": _("to node"),
    "tracker_id": _("tracker"),
    "unit_id": _("Modbus unit"),
    "vehicle_type": _("vehicle type"),
    "zone_communes": _("zone (communes)"),
}


def js_strings() -> dict[str, str]:
    """The dictionary of the page's scripts, in the current language."""
    return {**{key: str(value) for key, value in STRINGS.items()},
            **{f"field_{key}": str(value) for key, value in FIELDS.items()}}


def family_labels() -> dict[str, str]:
    return {key: str(value) for key, value in FAMILIES.items()}


def state_labels() -> dict[str, str]:
    return {key: str(value) for key, value in STATES.items()}


def kind_labels() -> dict[str, dict[str, str]]:
    """Every asset kind: its label as the users say it (French or English) and its family."""
    french = str(get_locale()) == "fr"
    return {
        kind: {"label": spec_for(kind).label_fr if french else spec_for(kind).label_en, "family": family_of(kind)}
        for kind in all_kinds()
    }
