"""The Overview reads every domain: reuse the inbox's fixtures, and tracking's source for the processing backlog."""

from tests.inbox.conftest import email_inbox as email_inbox
from tests.tracking.conftest import source as source
