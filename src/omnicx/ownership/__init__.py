"""Ownership: what a workspace has proven it controls (an email address, a whole email domain; later a phone
number, a page, a bot), so that identifiers shared by every workspace of an omnicx server belong to one only
after proof. A proof is a code sent to the address, or a DNS TXT record `omnicx-verification=<token>` at the
domain. Other domains ask `service.owner` before routing anything to a workspace."""
