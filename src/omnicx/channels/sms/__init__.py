"""SMS through Twilio: inbound messages and status callbacks on the inbox's webhooks, replies through Twilio's
Messages API."""
