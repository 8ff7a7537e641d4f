"""Public face of the commerce domain. Other domains import from here only.

Write functions commit (they are complete actions) unless called with `commit=False` by a caller that owns the
transaction, such as a job handler.
"""

from omnicx.commerce.service.carts import (
    ABANDON_AFTER,
    CART_CHECK_JOB,
    check_abandoned_cart,
    checkout_cart,
    get_cart,
    set_cart_item,
)
from omnicx.commerce.service.catalogue import (
    create_location,
    create_product,
    get_product,
    get_variant,
    import_products,
    list_locations,
    list_products,
    minor_units,
    read_product_csv,
    update_location,
    update_product,
    update_variant,
)
from omnicx.commerce.service.notices import NOTIFY_READY_JOB, list_notifications, notify_ready, order_notices
from omnicx.commerce.service.order_status import change_status
from omnicx.commerce.service.orders import (
    get_order,
    list_orders,
    order_by_token,
    order_timeline,
    pickup_board,
    pickup_code,
    place_order,
    resolve_customer,
)
from omnicx.commerce.service.privacy import erase_customer_data, export_customer_data
from omnicx.commerce.service.shopify import (
    SHOPIFY_JOB,
    count_webhooks,
    process_webhook,
    receive_webhook,
    set_shopify_secret,
    sign,
)
from omnicx.commerce.service.stock import (
    LOW_STOCK_THRESHOLD,
    SWEEP_JOB,
    availability,
    list_stock,
    release_reservation,
    reserve,
    set_stock,
    stock_alerts,
    stores_with_stock,
    sweep_expired,
)

__all__ = [
    "ABANDON_AFTER",
    "CART_CHECK_JOB",
    "LOW_STOCK_THRESHOLD",
    "NOTIFY_READY_JOB",
    "SHOPIFY_JOB",
    "SWEEP_JOB",
    "availability",
    "change_status",
    "check_abandoned_cart",
    "checkout_cart",
    "count_webhooks",
    "create_location",
    "create_product",
    "erase_customer_data",
    "export_customer_data",
    "get_cart",
    "get_order",
    "get_product",
    "get_variant",
    "import_products",
    "list_locations",
    "list_notifications",
    "list_orders",
    "list_products",
    "list_stock",
    "minor_units",
    "notify_ready",
    "order_by_token",
    "order_notices",
    "order_timeline",
    "pickup_board",
    "pickup_code",
    "place_order",
    "process_webhook",
    "read_product_csv",
    "receive_webhook",
    "release_reservation",
    "reserve",
    "resolve_customer",
    "set_cart_item",
    "set_shopify_secret",
    "set_stock",
    "sign",
    "stock_alerts",
    "stores_with_stock",
    "sweep_expired",
    "update_location",
    "update_product",
    "update_variant",
]
