"""Email: a built-in SMTP server for inbound mail (aiosmtpd), a parser with threading, an SMTP sender."""
