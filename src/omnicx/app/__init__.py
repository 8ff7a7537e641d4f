"""The composition root: the app factory, the root CLI, migrations and the explicit wiring of every domain
(job handlers, customer-view providers, privacy erasers, navigation). Nothing below imports it."""
