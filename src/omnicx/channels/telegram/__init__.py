"""Telegram through the Bot API: a bot's webhook registered by omnicx with a secret token, private messages
to the bot, replies through `sendMessage`."""
