"""Public face of the channels: what other domains use of them. The demo runs the providers' local stand-ins
(`sms/simulator.py`, `whatsapp/simulator.py`) so its SMS and WhatsApp inboxes are proven and its replies
delivered over real HTTP."""

from omnicx.channels.sms.simulator import SentMessage, TwilioSimulator
from omnicx.channels.whatsapp.simulator import (
    GraphRequest,
    WhatsAppSimulator,
    message_notification,
    status_notification,
)

__all__ = [
    "GraphRequest",
    "SentMessage",
    "TwilioSimulator",
    "WhatsAppSimulator",
    "message_notification",
    "status_notification",
]
