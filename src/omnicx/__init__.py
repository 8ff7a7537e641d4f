"""omnicx: one customer identity across every channel a business talks on."""

__version__ = "0.1.0"
