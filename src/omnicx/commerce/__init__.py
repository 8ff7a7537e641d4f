"""Commerce: products, locations, stock, reservations, orders and their status timeline, click-and-collect."""
