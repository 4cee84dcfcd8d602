"""Shaping contacts for pages."""

from dataclasses import dataclass
from datetime import datetime

from cxloop.contacts.models import Channel, Contact, OptOutSource


def masked_destination(contact: Contact, channel: str) -> str:
    """The address a link's messages go to, partly hidden: a forwarded link must not leak it."""
    if channel == Channel.EMAIL and "@" in contact.email:
        local, domain = contact.email.rsplit("@", 1)
        return f"{local[:1]}***@{domain}"
    if channel == Channel.SMS and len(contact.phone) > 4:
        return f"***{contact.phone[-4:]}"
    return ""


@dataclass(frozen=True, slots=True)
class ChannelState:
    value: str
    label: str
    address: str
    opted_out_at: datetime | None
    source: str  # how the contact was opted out, in words


def channel_states(contact: Contact) -> list[ChannelState]:
    states = []
    for channel in Channel:
        source = getattr(contact, f"{channel.value}_opt_out_source")
        states.append(
            ChannelState(
                value=channel.value,
                label=str(channel.label),
                address=contact.email if channel == Channel.EMAIL else contact.phone,
                opted_out_at=getattr(contact, f"{channel.value}_opted_out_at"),
                source=str(OptOutSource(source).label) if source else "",
            )
        )
    return states
