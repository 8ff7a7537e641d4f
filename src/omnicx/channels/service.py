"""Public face of the channels: what other domains use of them. The demo runs the SMS provider's local stand-in
(`sms/simulator.py`) so its SMS inbox is proven and its replies delivered over real HTTP."""

from omnicx.channels.sms.simulator import SentMessage, TwilioSimulator

__all__ = ["SentMessage", "TwilioSimulator"]
