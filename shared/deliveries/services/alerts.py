"""Alerts (CONTRACT §9): any event whose data carries ``notify`` (owner ids) becomes one delivery
per person per channel of their Owners ``notify`` cell, in the same Change as the event.

Every clock calls :func:`alert_deliveries` with the events it is about to record: SLA clocks
now; case, approval and renewal clocks later. The delivery id comes from the cause (the timer
that fired), the person and the channel, so a retried sweep never alerts anyone twice.
"""

from __future__ import annotations

from datetime import datetime

from shared.deliveries.domain.alerts import LOCALES, render_alert, zone
from shared.deliveries.domain.deliveries import Delivery, delivery_id_for
from shared.kernel.domain.events import Event, iso
from shared.kernel.domain.links import links_for
from shared.rules.domain.active import ActiveRules

EMAIL = "email"


def alert_deliveries(
    events: list[Event],
    name: str | None,
    active: ActiveRules,
    cause: str,
    now: datetime,
    calendar: str | None = None,
) -> list[Delivery]:
    """The deliveries that tell each ``notify`` person about each event. ``name``: what the
    subject is called (a lead's name and company); ``calendar``: the clock's, for its zone."""
    rules = active.rules
    locale = rules.settings.locale if rules.settings.locale in LOCALES else "en"
    calendar_zone = active.calendars[calendar].timezone if calendar and calendar in active.calendars else None
    people = {o.owner_id: o.name for o in rules.owners.values()}
    deliveries: list[Delivery] = []
    for event in events:
        for owner_id in event.data.get("notify") or []:
            owner = rules.owners.get(owner_id)
            if owner is None:
                continue
            tz = zone(owner.timezone, calendar_zone, rules.settings.timezone)
            alert = render_alert(event.type, event.data, event.subject, name, tz, locale, people)
            # what the alert asks this person to do, as action links (CONTRACT §12): their claims,
            # never a token — the courier signs them into URLs as it sends
            links = [
                link.as_dict()
                for link in links_for(
                    event.type, event.subject, event.data, owner_id, event.id, now, rules.settings.link_ttl_hours
                )
            ]
            for channel in owner.notify:
                if channel == EMAIL and not owner.email:
                    continue  # nowhere to write to; the other channels still go
                deliveries.append(
                    Delivery(
                        delivery_id=delivery_id_for(cause, event.type, owner_id, channel),
                        kind="alert",
                        channel=channel,
                        about=event.subject,
                        created_at=iso(now),
                        payload={
                            "title": alert.title,
                            "text": alert.text,
                            "event": event.type,
                            "event_id": event.id,
                            **({"links": links, "locale": locale} if links else {}),
                        },
                        to=owner_id,
                        address=owner.email if channel == EMAIL else None,
                        cause=cause,
                    )
                )
    return deliveries
