"""The Overview reads every domain: reuse the inbox's fixtures."""

from tests.inbox.conftest import email_inbox as email_inbox
