"""What commerce's vocabularies are called on pages, reports and the customer's timeline: an order's status,
its fulfilment and its sales channel (marked for translation, translated where shown)."""

from __future__ import annotations

from omnicx.commerce.enums import Fulfilment, OrderStatus, SalesChannel
from omnicx.kernel.i18n import lazy as N_

STATUS_NAMES = {
    OrderStatus.PLACED: N_("Placed"),
    OrderStatus.PAID: N_("Paid"),
    OrderStatus.ALLOCATED: N_("Allocated"),
    OrderStatus.READY_FOR_PICKUP: N_("Ready for pickup"),
    OrderStatus.PICKED_UP: N_("Picked up"),
    OrderStatus.SHIPPED: N_("Shipped"),
    OrderStatus.DELIVERED: N_("Delivered"),
    OrderStatus.CANCELLED: N_("Cancelled"),
    OrderStatus.RETURNED: N_("Returned"),
}
FULFILMENT_NAMES = {Fulfilment.SHIP: N_("Ship"), Fulfilment.PICKUP: N_("Pickup")}
SALES_CHANNEL_NAMES = {
    SalesChannel.WEB: N_("Web"),
    SalesChannel.APP: N_("App"),
    SalesChannel.STORE: N_("Store"),
    SalesChannel.MARKETPLACE: N_("Marketplace"),
}
