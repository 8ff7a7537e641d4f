"""Errors of the commerce domain, each with a stable code clients can rely on."""

from __future__ import annotations

from omnicx.kernel.errors import Conflict, Invalid, NotFound, Unauthorized


class OutOfStock(Conflict):
    """A line asks for more units than are available at its location; nothing was reserved or allocated."""

    code = "out_of_stock"

    def __init__(self, message: str, *, sku: str = "", location: str = "") -> None:
        super().__init__(message)
        self.sku = sku
        self.location = location


class TransitionNotAllowed(Conflict):
    """The order cannot move from its current status to the requested one; nothing was changed."""

    code = "transition_not_allowed"


class PickupCodeInvalid(Invalid):
    """The pickup code presented at the store does not match the order's."""

    code = "pickup_code_invalid"


class ProductNotFound(NotFound):
    code = "product_not_found"


class VariantNotFound(NotFound):
    """No variant with this SKU in the workspace."""

    code = "sku_not_found"


class LocationNotFound(NotFound):
    code = "location_not_found"


class OrderNotFound(NotFound):
    code = "order_not_found"


class ReservationNotFound(NotFound):
    code = "reservation_not_found"


class DuplicateSku(Conflict):
    """A SKU is unique per workspace."""

    code = "sku_exists"


class DuplicateLocation(Conflict):
    code = "location_exists"


class SignatureInvalid(Unauthorized):
    """A Shopify-compatible webhook came without a valid `X-Shopify-Hmac-Sha256`; nothing was stored."""

    code = "signature_invalid"


class InvalidReportRange(Invalid):
    """The sales report's start is after its end, or the range is longer than allowed."""

    code = "invalid_report_range"


class ReviewNotFound(NotFound):
    """No review (or review request) of this workspace has that id, or a review link's signature is wrong: a
    forged link is told nothing more than an unknown one."""

    code = "review_not_found"


class AlreadyReviewed(Conflict):
    """Every product sent was reviewed already through this link: one review per product and order."""

    code = "already_reviewed"


class ServiceNotFound(NotFound):
    code = "store_service_not_found"


class AppointmentNotFound(NotFound):
    code = "appointment_not_found"


class SlotTaken(Conflict):
    """Every seat of the service is booked at that time (perhaps a moment ago, by someone else)."""

    code = "slot_taken"


class StoreClosed(Invalid):
    """The appointment would fall outside the store's opening hours, on a closure day, or in the past."""

    code = "store_closed"
