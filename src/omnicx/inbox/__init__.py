"""The inbox: conversations and messages from every channel, assignment, labels, SLA clocks."""
